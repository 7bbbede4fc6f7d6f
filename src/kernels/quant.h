/* quant.h — Q8 weights: blocks of 32 int8 values with one float scale. */
#ifndef GPT_QUANT_H
#define GPT_QUANT_H

#include "internal.h"

/* Quantizes m (F32/F16/BF16) into a Q8 matrix laid out with the sum of
 * a product along its rows: a Conv1D weight [in, out] (transpose = 1)
 * becomes [out][in/32 blocks]; the LM head [V, C] (transpose = 0) stays
 * [V][C/32 blocks]. The sum's length must be a multiple of 32. blocks:
 * quantize_q8_bytes(m, transpose) bytes of the caller's; on success *out
 * describes the matrix there. */
gpt_status quantize_q8(gpt_matrix *out, gpt_q8_block *blocks, const gpt_matrix *m, int transpose, const char *name,
                       char *err, size_t err_len);
size_t quantize_q8_bytes(const gpt_matrix *m, int transpose);

/* Quantizes one row of n floats (n a multiple of 32) into n/32 blocks. */
void quantize_row_q8(gpt_q8_block *out, const float *x, int n);

/* out (n) = the row's n/32 blocks, widened to float. */
void dequantize_row_q8(float *out, const gpt_q8_block *blocks, int n);

#endif
