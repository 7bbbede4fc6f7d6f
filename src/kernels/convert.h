/* convert.h — widening stored 16-bit floats to float. */
#ifndef GPT_CONVERT_H
#define GPT_CONVERT_H

#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "simd.h"

/* IEEE half (F16) to float, exactly: subnormals, infinities and NaN included. */
float gpt_half_to_float(uint16_t h);
/* float to IEEE half, rounded to nearest, ties to even (as F16C's
 * vcvtps2ph): subnormals, infinities and NaN included. */
uint16_t gpt_float_to_half(float f);
/* bfloat16 to float: the top 16 bits of a float. */
float gpt_bf16_to_float(uint16_t h);
/* panel (cols, GPT_ROW_PANEL) = the GPT_ROW_PANEL rows (GPT_ROW_PANEL,
 * cols) of an F32, F16 or BF16 matrix in row-panel order
 * (gpt_matrix.row_panels). panel and rows do not overlap. */
void gpt_row_panel_from_rows(void *panel, const void *rows, gpt_dtype dt, int cols);
/* out (m->cols) = row `row` of an F32, F16 or BF16 matrix, widened. */
void gpt_matrix_row_f32(float *out, const gpt_matrix *m, int row);

/* ---- widening loads: element i of F32, F16 or BF16 data as float (the
 * products' weights, the attention's cached keys and values) ---- */

static inline float load_one(const void *data, gpt_dtype dt, size_t i) {
    switch (dt) {
    case GPT_DTYPE_F16: return gpt_half_to_float(((const uint16_t *)data)[i]);
    case GPT_DTYPE_BF16: return gpt_bf16_to_float(((const uint16_t *)data)[i]);
    default: {
        float v;
        memcpy(&v, (const char *)data + 4 * i, 4);  // rows may be unaligned
        return v;
    }
    }
}

#if HAVE_X86
TARGET_AVX2 static inline __attribute__((always_inline)) __m256 load8(const void *data, gpt_dtype dt, size_t i) {
    switch (dt) {
    case GPT_DTYPE_F16:
        return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)data + i)));
    case GPT_DTYPE_BF16: {
        __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)data + i));
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
    default: return _mm256_loadu_ps((const float *)data + i);
    }
}
#endif

#endif
