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

static int32_t block_offset(const int8_t *q) {
    int32_t sum = 0;
    for (int i = 0; i < GPT_Q8_BLOCK; i++) sum += q[i];
    return -128 * sum;
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
            out[b].offset = block_offset(out[b].q);
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
        out[b].offset = block_offset(out[b].q);
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
        out[b].offset = block_offset(out[b].q);
    }
}

void dequantize_row_q8(float *out, const gpt_matrix *W, int row) {
    const int nb = W->cols / GPT_Q8_BLOCK, j = row % GPT_Q8_PANEL;
    const gpt_q8_panel_block *pb = gpt_q8_panel_of(W, row);
    for (int b = 0; b < nb; b++)
        for (int i = 0; i < GPT_Q8_BLOCK; i++)
            out[b * GPT_Q8_BLOCK + i] = pb[b].scale[j] * (float)(pb[b].q[i / 4][4 * j + i % 4] - 128);
}

size_t quantize_q8_bytes(const gpt_matrix *m, int transpose) {
    const int rows = transpose ? m->cols : m->rows, cols = transpose ? m->rows : m->cols;
    const size_t panels = ((size_t)rows + GPT_Q8_PANEL - 1) / GPT_Q8_PANEL;
    return sizeof(gpt_q8_panel_block) * (size_t)(cols / GPT_Q8_BLOCK) * panels;
}

/* Panel `panel` (blocks nb) of a Q8 matrix from its rows' blocks, rows[j]
 * row j of the panel's (NULL: a padding row, zeros). */
static void q8_panel_from_rows(gpt_q8_panel_block *panel, const gpt_q8_block *const rows[GPT_Q8_PANEL], int nb) {
    for (int b = 0; b < nb; b++)
        for (int j = 0; j < GPT_Q8_PANEL; j++) {
            panel[b].scale[j] = rows[j] ? rows[j][b].scale : 0.0f;
            for (int i = 0; i < GPT_Q8_BLOCK; i++)
                panel[b].q[i / 4][4 * j + i % 4] = (uint8_t)((rows[j] ? rows[j][b].q[i] : 0) + 128);
        }
}

gpt_status quantize_q8(gpt_matrix *out, void *storage, const gpt_matrix *m, int transpose, const char *name,
                       char *err, size_t err_len) {
    const int rows = transpose ? m->cols : m->rows;  // outputs
    const int cols = transpose ? m->rows : m->cols;  // the sum
    if (cols % GPT_Q8_BLOCK)
        return gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "%s: Q8 needs a length that is a multiple of %d, not %d",
                        name, GPT_Q8_BLOCK, cols);
    const int nb = cols / GPT_Q8_BLOCK, n_panels = (rows + GPT_Q8_PANEL - 1) / GPT_Q8_PANEL;
    gpt_q8_panel_block *panels = storage;
    /* Widen to float with the sum along rows: [rows][cols]. A Conv1D
     * weight is transposed in 32x32 tiles so both sides stay in cache. Rows
     * that already run along the sum are widened a panel at a time by each
     * thread (a float copy of the whole matrix, 1 GB for Llama-3.2-1B's
     * embedding, had the kernel clear fresh pages for every matrix). */
    float *wide = NULL, *stored = NULL;
    if (transpose) {
        wide = malloc(sizeof(float) * (size_t)rows * cols);               // (rows, cols)
        stored = malloc(sizeof(float) * (size_t)m->rows * m->cols);       // (in, out)
        if (!wide || !stored) {
            free(wide);
            free(stored);
            return gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory for Q8 weights", name);
        }
#pragma omp parallel for schedule(static)
        for (int r = 0; r < m->rows; r++) gpt_matrix_row_f32(stored + (size_t)r * m->cols, m, r);
#pragma omp parallel for schedule(static)
        for (int i0 = 0; i0 < m->rows; i0 += 32)
            for (int j0 = 0; j0 < m->cols; j0 += 32)
                for (int i = i0; i < i0 + 32 && i < m->rows; i++)
                    for (int j = j0; j < j0 + 32 && j < m->cols; j++)
                        wide[(size_t)j * m->rows + i] = stored[(size_t)i * m->cols + j];
        free(stored);
    }
#ifdef _OPENMP
    const int nt = omp_get_max_threads();
#else
    const int nt = 1;  // the fuzz build links no OpenMP
#endif
    /* Each thread: a panel's rows as floats (16, cols), then as blocks (16, nb). */
    const size_t per_thread = sizeof(float) * GPT_Q8_PANEL * (size_t)cols + sizeof(gpt_q8_block) * GPT_Q8_PANEL * nb;
    char *scratch = malloc(per_thread * (size_t)nt);
    if (!scratch) {
        free(wide);
        return gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory for Q8 weights", name);
    }
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int p = 0; p < n_panels; p++) {
#ifdef _OPENMP
        char *mine = scratch + per_thread * (size_t)omp_get_thread_num();
#else
        char *mine = scratch;
#endif
        float *row_floats = (float *)mine;                                                    // (16, cols)
        gpt_q8_block *row_blocks = (gpt_q8_block *)(mine + sizeof(float) * GPT_Q8_PANEL * (size_t)cols);  // (16, nb)
        const gpt_q8_block *panel_rows[GPT_Q8_PANEL];
        for (int j = 0; j < GPT_Q8_PANEL; j++) {
            const int r = p * GPT_Q8_PANEL + j;
            panel_rows[j] = NULL;
            if (r >= rows) continue;
            const float *row = wide ? wide + (size_t)r * cols : row_floats + (size_t)j * cols;
            if (!wide) gpt_matrix_row_f32(row_floats + (size_t)j * cols, m, r);
            quantize_row_q8(row_blocks + (size_t)j * nb, row, cols);
            panel_rows[j] = row_blocks + (size_t)j * nb;
        }
        q8_panel_from_rows(panels + (size_t)p * nb, panel_rows, nb);
    }
    free(scratch);
    free(wide);
    *out = (gpt_matrix){.data = storage, .dtype = GPT_DTYPE_Q8, .rows = rows, .cols = cols};
    return GPT_OK;
}
