/* quant.h — Q8 weights: blocks of 32 int8 values with one float scale. */
#ifndef GPT_QUANT_H
#define GPT_QUANT_H

#include "internal.h"

/* Quantizes m (F32/F16/BF16) into a Q8 matrix laid out with the sum of
 * a product along its rows, in panels of 16 rows (gpt_q8_panel_block): a
 * Conv1D weight [in, out] (transpose = 1) becomes [out / 16][in / 32
 * blocks]; the LM head [V, C] (transpose = 0) [V / 16][C / 32 blocks]. Each
 * row is quantize_row_q8's blocks. The sum's length must be a multiple of
 * 32. storage: quantize_q8_bytes(m, transpose) bytes of the caller's; on
 * success *out describes the matrix there. */
gpt_status quantize_q8(gpt_matrix *out, void *storage, const gpt_matrix *m, int transpose, const char *name,
                       char *err, size_t err_len);
size_t quantize_q8_bytes(const gpt_matrix *m, int transpose);

/* Quantizes one row of n floats (n a multiple of 32) into n/32 blocks,
 * each with its offset. */
void quantize_row_q8(gpt_q8_block *out, const float *x, int n);

/* out (W->cols) = row `row` of the Q8 matrix W, widened to float. */
void dequantize_row_q8(float *out, const gpt_matrix *W, int row);

#endif
