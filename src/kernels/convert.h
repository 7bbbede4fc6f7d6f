/* convert.h — widening stored 16-bit floats to float. */
#ifndef GPT_CONVERT_H
#define GPT_CONVERT_H

#include <stdint.h>

#include "internal.h"

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

#endif
