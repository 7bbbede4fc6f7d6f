/* convert.h — widening stored 16-bit floats to float. */
#ifndef GPT_CONVERT_H
#define GPT_CONVERT_H

#include <stdint.h>

#include "internal.h"

/* IEEE half (F16) to float, exactly: subnormals, infinities and NaN included. */
float gpt_half_to_float(uint16_t h);
/* bfloat16 to float: the top 16 bits of a float. */
float gpt_bf16_to_float(uint16_t h);
/* out (m->cols) = row `row` of an F32, F16 or BF16 matrix, widened. */
void gpt_matrix_row_f32(float *out, const gpt_matrix *m, int row);

#endif
