/* quant.c — turning stored weights into Q8 blocks at load time.
 * A block holds 32 consecutive values of one row along the product's sum,
 * as q * scale with q in [-127, 127] and scale = max|x| / 127, so the
 * largest value of each block is exact up to float rounding. */
#include <float.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdlib.h>

#include "convert.h"
#include "quant.h"

/* A scale so small that its inverse overflows (max|x| under about 1e-36,
 * the scale a subnormal): x * inf would quantize 0 to a NaN's conversion
 * and the rest to -128 (outside the [-127, 127] the products assume), so
 * such a block divides by its scale instead. */
static int tiny_scale(float scale) { return scale > 0 && 1.0f / scale > FLT_MAX; }
static void quantize_block_divide(int8_t *q, const float *v, float scale) {
    for (int i = 0; i < GPT_Q8_BLOCK; i++) q[i] = (int8_t)lrintf(v[i] / scale);
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
/* The same bits as the loop below: max|x| is exact in any order, the
 * scale and its inverse are the same float operations, and the conversion
 * rounds to nearest even as lrintf does in the default rounding mode. */
__attribute__((target("avx2"))) static void quantize_row_q8_avx2(gpt_q8_block *out, const float *x, int n) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    for (int b = 0; b < n / GPT_Q8_BLOCK; b++) {
        const float *v = x + b * GPT_Q8_BLOCK;
        __m256 v0 = _mm256_loadu_ps(v), v1 = _mm256_loadu_ps(v + 8), v2 = _mm256_loadu_ps(v + 16),
               v3 = _mm256_loadu_ps(v + 24);
        __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_and_ps(v0, abs_mask), _mm256_and_ps(v1, abs_mask)),
                                 _mm256_max_ps(_mm256_and_ps(v2, abs_mask), _mm256_and_ps(v3, abs_mask)));
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
        float amax = _mm_cvtss_f32(h);
        float scale = amax / 127.0f;
        float inv = scale > 0 ? 1.0f / scale : 0.0f;
        out[b].scale = scale;
        if (tiny_scale(scale)) {
            quantize_block_divide(out[b].q, v, scale);
            continue;
        }
        __m256 vi = _mm256_set1_ps(inv);
        __m256i q0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, vi)), q1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, vi));
        __m256i q2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, vi)), q3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, vi));
        /* Pack 32-bit to 8-bit (values are within [-127, 127]); the packs
         * work per 128-bit lane, the permute restores the order. */
        __m256i p01 = _mm256_packs_epi32(q0, q1), p23 = _mm256_packs_epi32(q2, q3);
        __m256i p = _mm256_packs_epi16(p01, p23);
        p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)out[b].q, p);
    }
}
#endif

void quantize_row_q8(gpt_q8_block *out, const float *x, int n) {
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_cpu_supports("avx2")) {
        quantize_row_q8_avx2(out, x, n);
        return;
    }
#endif
    for (int b = 0; b < n / GPT_Q8_BLOCK; b++) {
        const float *v = x + b * GPT_Q8_BLOCK;
        float amax = 0;
        for (int i = 0; i < GPT_Q8_BLOCK; i++) amax = fabsf(v[i]) > amax ? fabsf(v[i]) : amax;
        float scale = amax / 127.0f;
        float inv = scale > 0 ? 1.0f / scale : 0.0f;
        out[b].scale = scale;
        if (tiny_scale(scale)) quantize_block_divide(out[b].q, v, scale);
        else
            for (int i = 0; i < GPT_Q8_BLOCK; i++) out[b].q[i] = (int8_t)lrintf(v[i] * inv);
    }
}

void dequantize_row_q8(float *out, const gpt_q8_block *blocks, int n) {
    for (int b = 0; b < n / GPT_Q8_BLOCK; b++)
        for (int i = 0; i < GPT_Q8_BLOCK; i++) out[b * GPT_Q8_BLOCK + i] = blocks[b].scale * blocks[b].q[i];
}

size_t quantize_q8_bytes(const gpt_matrix *m, int transpose) {
    const int rows = transpose ? m->cols : m->rows, cols = transpose ? m->rows : m->cols;
    return sizeof(gpt_q8_block) * (size_t)(cols / GPT_Q8_BLOCK) * (size_t)rows;
}

gpt_status quantize_q8(gpt_matrix *out, gpt_q8_block *blocks, const gpt_matrix *m, int transpose, const char *name,
                       char *err, size_t err_len) {
    const int rows = transpose ? m->cols : m->rows;  // outputs
    const int cols = transpose ? m->rows : m->cols;  // the sum
    if (cols % GPT_Q8_BLOCK)
        return gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "%s: Q8 needs a length that is a multiple of %d, not %d",
                        name, GPT_Q8_BLOCK, cols);
    const size_t per_row = (size_t)cols / GPT_Q8_BLOCK;
    if (!transpose) {
        /* Rows already run along the sum: each thread widens one row at a
         * time. (A float copy of the whole matrix, 1 GB for Llama-3.2-1B's
         * embedding, had the kernel clear fresh pages for every matrix.) */
#ifdef _OPENMP
        const int nt = omp_get_max_threads();
#else
        const int nt = 1;  // the fuzz build links no OpenMP
#endif
        float *row_of_thread = malloc(sizeof(float) * (size_t)cols * (size_t)nt);  // (nt, cols)
        if (!row_of_thread) return gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory for Q8 weights", name);
#pragma omp parallel for schedule(static) num_threads(nt)
        for (int r = 0; r < rows; r++) {
#ifdef _OPENMP
            float *row = row_of_thread + (size_t)cols * (size_t)omp_get_thread_num();
#else
            float *row = row_of_thread;
#endif
            gpt_matrix_row_f32(row, m, r);
            quantize_row_q8(blocks + (size_t)r * per_row, row, cols);
        }
        free(row_of_thread);
        *out = (gpt_matrix){.data = blocks, .dtype = GPT_DTYPE_Q8, .rows = rows, .cols = cols};
        return GPT_OK;
    }
    /* Widen to float with the sum along rows: [rows][cols]. A Conv1D
     * weight is transposed in 32x32 tiles so both sides stay in cache. */
    float *wide = malloc(sizeof(float) * (size_t)rows * cols);           // (rows, cols)
    float *stored = transpose ? malloc(sizeof(float) * (size_t)m->rows * m->cols) : NULL;  // (in, out)
    if (!wide || (transpose && !stored)) {
        free(wide);
        free(stored);
        return gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory for Q8 weights", name);
    }
    float *dst = transpose ? stored : wide;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < m->rows; r++) gpt_matrix_row_f32(dst + (size_t)r * m->cols, m, r);
    if (transpose) {
#pragma omp parallel for schedule(static)
        for (int i0 = 0; i0 < m->rows; i0 += 32)
            for (int j0 = 0; j0 < m->cols; j0 += 32)
                for (int i = i0; i < i0 + 32 && i < m->rows; i++)
                    for (int j = j0; j < j0 + 32 && j < m->cols; j++)
                        wide[(size_t)j * m->rows + i] = stored[(size_t)i * m->cols + j];
    }
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) quantize_row_q8(blocks + (size_t)r * per_row, wide + (size_t)r * cols, cols);
    free(wide);
    free(stored);
    *out = (gpt_matrix){.data = blocks, .dtype = GPT_DTYPE_Q8, .rows = rows, .cols = cols};
    return GPT_OK;
}
