/* layers.h — the kernels of the Llama-shaped families: RMSNorm, rotary
 * position embeddings. Output pointer first, then inputs,
 * then sizes; none allocates. Each row is computed alone, the same bits
 * whatever rows stand beside it and whatever the thread count. */
#ifndef GPT_LAYERS_H
#define GPT_LAYERS_H

#include "internal.h"

/* out (R, C) = in (R, C) / sqrt(mean(in^2) + eps) * w (C); the mean of
 * squares in double. out may alias in. */
void rmsnorm(float *out, const float *in, const float *w, int R, int C, float eps);

/* freq (HD/2): the rotary frequency of each pair, as HF transformers
 * computes it (default, linear or llama3), in double. */
void rope_frequencies(double *freq, const gpt_config *cfg);
/* Rows [p0, p1) of the angle tables cos_table, sin_table (positions, half):
 * cos and sin of position x frequency, in double, then rounded. */
void rope_rows(float *cos_table, float *sin_table, const double *freq, int half, int p0, int p1);

/* In place: rotates each of n_heads heads of x (n_heads, HD) by one
 * position's angles cos_row, sin_row (HD/2), the rotate_half convention:
 * dimension i pairs with i + HD/2. */
void rope_apply(float *x, const float *cos_row, const float *sin_row, int n_heads, int HD);

#endif
