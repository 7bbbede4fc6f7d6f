/* norm.c — RMSNorm (Llama, Mistral, Qwen; Qwen3's per-head q/k norms). */
#include <math.h>

#include "layers.h"

/* Above this many values the rows are split across threads (each row is
 * computed the same way either way). */
#define PAR_MIN 32768

/* One row: y (C) from x (C). */
static void rmsnorm_row(float *y, const float *x, const float *w, int C, float eps) {
    /* The mean square in double: the reference is float64, and a long
     * row of float squares loses digits to the running sum. */
    double sum = 0;
    for (int i = 0; i < C; i++) sum += (double)x[i] * x[i];
    float rstd = (float)(1.0 / sqrt(sum / C + eps));
    for (int i = 0; i < C; i++) y[i] = x[i] * rstd * w[i];
}

/* A plain branch, not an `if` clause: libgomp allocates a one-thread team
 * for a region whose clause is false, and the per-token loop must not. */
void rmsnorm(float *out, const float *in, const float *w, int R, int C, float eps) {
    if ((size_t)R * C < PAR_MIN) {
        for (int r = 0; r < R; r++) rmsnorm_row(out + (size_t)r * C, in + (size_t)r * C, w, C, eps);
        return;
    }
#pragma omp parallel for schedule(static)
    for (int r = 0; r < R; r++) rmsnorm_row(out + (size_t)r * C, in + (size_t)r * C, w, C, eps);
}
