/* convert.c — widening stored F16/BF16 values to float. */
#include <string.h>

#include "convert.h"
#include "simd.h"

float gpt_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F;
    uint32_t mant = h & 0x3FF;
    uint32_t bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000 | (mant << 13);  // infinity or NaN
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);  // 112 = 127 - 15
    } else if (mant == 0) {
        bits = sign;  // signed zero
    } else {
        /* Subnormal: shift the mantissa up until its leading 1 is implicit. */
        int e = -1;
        do {
            e++;
            mant <<= 1;
        } while (!(mant & 0x400));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((mant & 0x3FF) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t gpt_float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000, ax = x & 0x7FFFFFFF;
    if (ax > 0x7F800000) return (uint16_t)(sign | 0x7E00 | ((ax >> 13) & 0x3FF));  // NaN, kept quiet
    if (ax >= 0x477FF000) return (uint16_t)(sign | 0x7C00);  // 65520 and up (and infinity) round to infinity
    if (ax < 0x38800000) {  // under 2^-14, the smallest normal half: a multiple of 2^-24
        if (ax < 0x33000000) return (uint16_t)sign;  // under 2^-25: 0 (2^-25 itself ties to 0, the even one)
        const uint32_t mant = (ax & 0x7FFFFF) | 0x800000, shift = 126 - (ax >> 23);  // f = mant 2^-24 / 2^shift
        uint32_t h = mant >> shift;
        const uint32_t rest = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rest > half || (rest == half && (h & 1))) h++;  // to nearest, ties to even (up to 0x400: normal)
        return (uint16_t)(sign | h);
    }
    uint32_t h = (ax - 0x38000000) >> 13;  // the exponent rebiased (127 - 15 = 112), 10 mantissa bits
    const uint32_t rest = ax & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;  // a carry moves into the exponent, as it should
    return (uint16_t)(sign | h);
}

float gpt_bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

#if HAVE_X86
/* The BF16 case, eight inputs a step: rows j and 8 + j interleaved into
 * 32-bit pairs (unpack), then the eight pairs of each input gathered by an
 * 8 x 8 transpose of those pairs. Loading Qwen2.5-0.5B's 988 MB took 0.07 s
 * longer than before the panels, against 0.20 s by value. */
TARGET_AVX2 static void row_panel_bf16_avx2(void *panel, const void *rows, int cols) {
    uint16_t *dst = panel;
    const uint16_t *src = rows;
    int c = 0;
    for (; c + 8 <= cols; c += 8) {
        __m256 pairs[8];  // pairs[j]: (row j, row 8 + j) at inputs c..c+7
        for (int j = 0; j < 8; j++) {
            const __m128i a = _mm_loadu_si128((const __m128i *)(src + (size_t)j * cols + c));
            const __m128i b = _mm_loadu_si128((const __m128i *)(src + (size_t)(8 + j) * cols + c));
            pairs[j] = _mm256_castsi256_ps(_mm256_set_m128i(_mm_unpackhi_epi16(a, b), _mm_unpacklo_epi16(a, b)));
        }
        transpose8(pairs);
        for (int i = 0; i < 8; i++) _mm256_storeu_ps((float *)(dst + (size_t)(c + i) * GPT_ROW_PANEL), pairs[i]);
    }
    for (; c < cols; c++)
        for (int j = 0; j < GPT_ROW_PANEL; j++)
            dst[(size_t)c * GPT_ROW_PANEL + gpt_row_panel_lane(GPT_DTYPE_BF16, j)] = src[(size_t)j * cols + c];
}
#endif

void gpt_row_panel_from_rows(void *panel, const void *rows, gpt_dtype dt, int cols) {
    if (dt == GPT_DTYPE_F32) {
        float *dst = panel;
        const float *src = rows;
        for (int c = 0; c < cols; c++)
            for (int j = 0; j < GPT_ROW_PANEL; j++) dst[(size_t)c * GPT_ROW_PANEL + j] = src[(size_t)j * cols + c];
        return;
    }
#if HAVE_X86
    if (dt == GPT_DTYPE_BF16 && __builtin_cpu_supports("avx2")) {
        row_panel_bf16_avx2(panel, rows, cols);
        return;
    }
#endif
    int lane[GPT_ROW_PANEL];  // where each row goes
    for (int j = 0; j < GPT_ROW_PANEL; j++) lane[j] = gpt_row_panel_lane(dt, j);
    uint16_t *dst = panel;
    const uint16_t *src = rows;
    for (int c = 0; c < cols; c++)
        for (int j = 0; j < GPT_ROW_PANEL; j++) dst[(size_t)c * GPT_ROW_PANEL + lane[j]] = src[(size_t)j * cols + c];
}

void gpt_matrix_row_f32(float *out, const gpt_matrix *m, int row) {
    if (m->row_panels) {  // one value a step, GPT_ROW_PANEL apart
        const size_t at = gpt_matrix_index(m, row, 0);
        const uint16_t *h = (const uint16_t *)m->data + at;
        for (int c = 0; c < m->cols; c++) {
            const size_t i = (size_t)c * GPT_ROW_PANEL;
            if (m->dtype == GPT_DTYPE_F32) out[c] = ((const float *)m->data)[at + i];
            else out[c] = m->dtype == GPT_DTYPE_BF16 ? gpt_bf16_to_float(h[i]) : gpt_half_to_float(h[i]);
        }
        return;
    }
    if (m->col_panels) {  // one panel's run of the row at a time
        gpt_matrix run = {.dtype = m->dtype, .rows = 1, .cols = GPT_PANEL_COLS};
        const size_t esize = m->dtype == GPT_DTYPE_F32 ? 4 : 2;
        for (int c = 0; c < m->cols; c += GPT_PANEL_COLS) {
            run.data = (const char *)m->data + gpt_matrix_index(m, row, c) * esize;
            gpt_matrix_row_f32(out + c, &run, 0);
        }
        return;
    }
    const size_t n = (size_t)m->cols, base = (size_t)row * n;
    switch (m->dtype) {
    case GPT_DTYPE_F32:
        memcpy(out, (const char *)m->data + base * 4, n * 4);  // rows may be unaligned
        break;
    case GPT_DTYPE_F16: {
        const unsigned char *p = (const unsigned char *)m->data + base * 2;
        for (size_t i = 0; i < n; i++) out[i] = gpt_half_to_float((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
        break;
    }
    case GPT_DTYPE_BF16: {
        const unsigned char *p = (const unsigned char *)m->data + base * 2;
        for (size_t i = 0; i < n; i++) out[i] = gpt_bf16_to_float((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
        break;
    }
    default:
        memset(out, 0, n * sizeof(float));  // Q8 rows are widened by quant.c
        break;
    }
}
