/* norm.c — RMSNorm (Llama, Mistral, Qwen; Qwen3's per-head q/k norms). */
#include <math.h>

#include "layers.h"
#include "ops.h"
#include "simd.h"

/* Above this many values the rows are split across threads (each row is
 * computed the same way either way). */
#define PAR_MIN 32768

/* The mean square's partial sums: value i goes to partial i mod 16, and
 * the partials are added in order at the end, on every path. Squares of
 * floats are exact in double, so a path may add them with fma or not. A
 * single running sum was a chain of 576 dependent adds a row, and the
 * scaling loop stayed scalar (it may write over its input): 3% of a
 * 16-row SmolLM2-135M decode step in perf. */
#define RMS_PARTS 16

/* 1 / sqrt(mean square of x (C) + eps) from the partial sums part
 * (RMS_PARTS) of the values before C - C % RMS_PARTS; the rest are added
 * to their partials first. */
static float rms_rstd(double *part, const float *x, int C, float eps) {
    for (int i = C - C % RMS_PARTS; i < C; i++) part[i % RMS_PARTS] += (double)x[i] * x[i];
    double sum = 0;
    for (int j = 0; j < RMS_PARTS; j++) sum += part[j];
    return (float)(1.0 / sqrt(sum / C + eps));
}

/* One row: y (C) from x (C). */
static void rmsnorm_row(float *y, const float *x, const float *w, int C, float eps) {
    double part[RMS_PARTS] = {0};  // (RMS_PARTS) the mean square's partial sums
    for (int i = 0; i + RMS_PARTS <= C; i += RMS_PARTS)
        for (int j = 0; j < RMS_PARTS; j++) part[j] += (double)x[i + j] * x[i + j];
    const float rstd = rms_rstd(part, x, C, eps);
    for (int i = 0; i < C; i++) y[i] = x[i] * rstd * w[i];
}

#if HAVE_X86
/* rmsnorm_row on AVX2: the same sums and products, the same bits. */
TARGET_AVX2 static void rmsnorm_row_avx2(float *y, const float *x, const float *w, int C, float eps) {
    __m256d acc[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
    for (int i = 0; i + RMS_PARTS <= C; i += RMS_PARTS)
        for (int h = 0; h < 2; h++) {  // values i + 8h .. i + 8h + 7: partials 8h .. 8h + 7
            const __m256 v = _mm256_loadu_ps(x + i + 8 * h);
            const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
            acc[2 * h] = _mm256_fmadd_pd(lo, lo, acc[2 * h]);
            acc[2 * h + 1] = _mm256_fmadd_pd(hi, hi, acc[2 * h + 1]);
        }
    double part[RMS_PARTS];  // (RMS_PARTS) acc's lanes in order
    for (int a = 0; a < 4; a++) _mm256_storeu_pd(part + 4 * a, acc[a]);
    const float rstd = rms_rstd(part, x, C, eps);
    const __m256 scale = _mm256_set1_ps(rstd);
    int i = 0;
    for (; i + 8 <= C; i += 8)
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), scale), _mm256_loadu_ps(w + i)));
    for (; i < C; i++) y[i] = x[i] * rstd * w[i];
}
#endif

/* One row on the best path the CPU has (each gives the same bits). */
static void rmsnorm_row_best(float *y, const float *x, const float *w, int C, float eps) {
#if HAVE_X86
    if (ops_avx2()) {
        rmsnorm_row_avx2(y, x, w, C, eps);
        return;
    }
#endif
    rmsnorm_row(y, x, w, C, eps);
}

/* A plain branch, not an `if` clause: libgomp allocates a one-thread team
 * for a region whose clause is false, and the per-token loop must not. */
void rmsnorm(float *out, const float *in, const float *w, int R, int C, float eps) {
    if ((size_t)R * C < PAR_MIN) {
        for (int r = 0; r < R; r++) rmsnorm_row_best(out + (size_t)r * C, in + (size_t)r * C, w, C, eps);
        return;
    }
#pragma omp parallel for schedule(static)
    for (int r = 0; r < R; r++) rmsnorm_row_best(out + (size_t)r * C, in + (size_t)r * C, w, C, eps);
}
