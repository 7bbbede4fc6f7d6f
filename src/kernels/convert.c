/* convert.c — widening stored F16/BF16 values to float. */
#include <string.h>

#include "convert.h"

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

float gpt_bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

void gpt_row_panel_from_rows(void *panel, const void *rows, gpt_dtype dt, int cols) {
    const size_t esize = dt == GPT_DTYPE_F32 ? 4 : 2;
    unsigned char *dst = panel;
    const unsigned char *src = rows;
    for (int j = 0; j < GPT_ROW_PANEL; j++) {
        const int lane = gpt_row_panel_lane(dt, j);
        for (int c = 0; c < cols; c++)
            memcpy(dst + ((size_t)c * GPT_ROW_PANEL + lane) * esize, src + ((size_t)j * cols + c) * esize, esize);
    }
}

void gpt_matrix_row_f32(float *out, const gpt_matrix *m, int row) {
    if (m->row_panels) {  // one value a step, GPT_ROW_PANEL apart
        gpt_matrix one = {.dtype = m->dtype, .rows = 1, .cols = 1};
        const size_t esize = m->dtype == GPT_DTYPE_F32 ? 4 : 2;
        for (int c = 0; c < m->cols; c++) {
            one.data = (const char *)m->data + gpt_matrix_index(m, row, c) * esize;
            gpt_matrix_row_f32(out + c, &one, 0);
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
