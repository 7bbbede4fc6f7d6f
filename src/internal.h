/* internal.h — structures shared between the library's modules; not public. */
#ifndef GPT_INTERNAL_H
#define GPT_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "gpt.h"

/* The JSON value that is the whole of text[0, len) (whitespace may follow
 * it), or NULL: not JSON, more after the value, or out of memory. With
 * last_key_wins a key repeated in an object keeps its last value, as
 * Python's json reads a config; without, every copy stays (a tokenizer's
 * vocabulary refuses a token given twice itself, in its fast scan too). */
struct cJSON;
struct cJSON *gpt_json_parse(const char *text, size_t len, int last_key_wins);

/* Writes a formatted one-line message into err (if any) and returns status. */
gpt_status gpt_fail(char *err, size_t err_len, gpt_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* A weight matrix as stored: rows x cols, row-major, in dtype. For GPT-2's
 * Conv1D layers (c_attn, c_proj, c_fc) rows = in features, cols = out
 * features; for wte, wpe and lm_head rows = vocab or positions, cols = C.
 * data points into a file mapping (F32/F16/BF16) or an owned buffer (Q8).
 * Rows are not necessarily aligned.
 * col_panels: a 16-bit Conv1D matrix copied into memory, whose cols are a
 * multiple of GPT_PANEL_COLS, may be stored in column panels instead:
 * panel q holds columns [64q, 64q + 64) of every row, (rows, 64)
 * row-major, from element 64q * rows (gpt_matrix_index). A thread's
 * columns of a decode product are then one sequential run of memory.
 * in_order: the Llama family's nn.Linear matrices and head ([out, in]):
 * each output adds its products in input order, one fused multiply-add
 * after another from zero (the Conv1D order), on every path and layout,
 * where GPT-2's head sums 16 lanes and reduces them (ops.c).
 * row_panels: such a matrix copied into memory, rows a multiple of
 * GPT_ROW_PANEL, stored in row panels: panel p holds rows [16p, 16p + 16)
 * as (cols, 16), input by input, from element 16p * cols; BF16 pairs rows
 * j and 8 + j side by side (gpt_row_panel_lane), so one 256-bit load
 * widens to rows 0-7 by a shift and to rows 8-15 by a mask. A tile of
 * several input rows then broadcasts each input against 16 outputs, the
 * weights widened once for all of them (docs/DESIGN.md). */
#define GPT_PANEL_COLS 64
#define GPT_ROW_PANEL 16
typedef struct {
    const void *data;
    gpt_dtype dtype;
    int rows;
    int cols;
    int col_panels;
    int row_panels;
    int in_order;
} gpt_matrix;

/* Where row j of a row panel sits among its GPT_ROW_PANEL values. */
static inline int gpt_row_panel_lane(gpt_dtype dt, int j) {
    return dt == GPT_DTYPE_BF16 ? (j < 8 ? 2 * j : 2 * (j - 8) + 1) : j;
}

/* The element (row, col) of W's data, in any layout. */
static inline size_t gpt_matrix_index(const gpt_matrix *W, int row, int col) {
    if (W->row_panels)
        return ((size_t)(row / GPT_ROW_PANEL) * W->cols + col) * GPT_ROW_PANEL +
               gpt_row_panel_lane(W->dtype, row % GPT_ROW_PANEL);
    if (!W->col_panels) return (size_t)row * W->cols + col;
    return ((size_t)(col / GPT_PANEL_COLS) * W->rows + row) * GPT_PANEL_COLS + col % GPT_PANEL_COLS;
}

/* Q8: each run of 32 consecutive values along a row is one block. A
 * quantized input row is a run of these; offset is -128 x the sum of q, what
 * the VNNI products subtract for the weights' unsigned bytes. */
#define GPT_Q8_BLOCK 32
typedef struct {
    float scale;           /* value = scale * q */
    int32_t offset;        /* -128 * (q[0] + ... + q[31]) */
    int8_t q[GPT_Q8_BLOCK];
} gpt_q8_block;

/* Q8 weights are stored in panels of GPT_Q8_PANEL rows, block by block: a
 * block's 16 rows x 32 values as 8 vectors of 64 bytes, vector k holding
 * values 4k..4k+3 of row j at bytes 4j..4j+3, each as q + 128 (an unsigned
 * byte, as vpdpbusd takes it); then the 16 rows' scales. So one 512-bit
 * integer dot against four of an input's values broadcast serves 16 rows,
 * and one conversion and one fused multiply-add a block serve 16 sums. A
 * matrix whose rows are not a multiple of 16 ends in a panel padded with
 * rows of zeros (q 0, scale 0). Matrix row r's block b is
 * panel[r / 16 * blocks + b], lane r % 16. */
#define GPT_Q8_PANEL 16
typedef struct {
    uint8_t q[GPT_Q8_BLOCK / 4][GPT_Q8_PANEL * 4];  /* [k][4 j + e]: row j's value 4k + e, + 128 */
    float scale[GPT_Q8_PANEL];                      /* row j's scale */
} gpt_q8_panel_block;
_Static_assert(sizeof(gpt_q8_panel_block) % GPT_Q8_PANEL == 0, "a panel is 16 rows of whole bytes");

/* The panel of a Q8 matrix that holds row `row` (lane row % 16). */
static inline const gpt_q8_panel_block *gpt_q8_panel_of(const gpt_matrix *W, int row) {
    return (const gpt_q8_panel_block *)W->data + (size_t)(row / GPT_Q8_PANEL) * (size_t)(W->cols / GPT_Q8_BLOCK);
}

/* One block's weights. The same fields serve every family; what a family
 * lacks is NULL (vectors) or has data NULL (matrices). QD = n_head * HD,
 * KD = n_kv_head * HD. GPT-2 stores Conv1D matrices [in, out] (model->conv1d)
 * with q, k, v fused in qkv_w; the others store nn.Linear [out, in]. Q8
 * matrices are [out / 16 panels][in / 32 blocks] either way. */
typedef struct {
    const float *attn_norm_w, *attn_norm_b;  /* (C); b NULL for RMSNorm */
    gpt_matrix qkv_w;                   /* GPT-2: [C, QD + 2 KD] */
    gpt_matrix q_w, k_w, v_w;           /* [QD, C], [KD, C], [KD, C] */
    const float *qkv_b;                 /* (QD + 2 KD) or NULL */
    const float *q_norm_w, *k_norm_w;   /* (HD) Qwen3, else NULL */
    gpt_matrix o_w;                     /* [QD, C] Conv1D or [C, QD] */
    const float *o_b;                   /* (C) or NULL */
    const float *mlp_norm_w, *mlp_norm_b;  /* (C); b NULL for RMSNorm */
    gpt_matrix gate_w;                  /* [I, C] gated MLP, else data NULL */
    gpt_matrix up_w;                    /* GPT-2 c_fc [C, I]; else [I, C] */
    const float *gate_b, *up_b;         /* (I) or NULL */
    gpt_matrix down_w;                  /* GPT-2 c_proj [I, C]; else [C, I] */
    const float *down_b;                /* (C) or NULL */
} gpt_layer;

/* Every matrix a layer may hold (absent ones have data NULL), for the
 * passes over all of them: matrix i of ly, i < GPT_LAYER_MATRICES. */
#define GPT_LAYER_MATRICES 8
static inline gpt_matrix *gpt_layer_matrix(gpt_layer *ly, int i) {
    gpt_matrix *all[GPT_LAYER_MATRICES] = {&ly->qkv_w, &ly->q_w,    &ly->k_w,  &ly->v_w,
                                           &ly->o_w,   &ly->gate_w, &ly->up_w, &ly->down_w};
    return all[i];
}

struct gpt_model {
    gpt_config cfg;
    int conv1d;              /* 1: GPT-2's [in, out] matrices (before Q8) */
    gpt_matrix wte;          /* [V, C] token embeddings */
    gpt_matrix wpe;          /* [P, C] position embeddings; data NULL with rotary */
    gpt_matrix lm_head;      /* [V, C]; the same data as wte when tied */
    const float *ln_f_w, *ln_f_b;  /* (C) the final norm; b NULL for RMSNorm */
    gpt_layer *layers;       /* (n_layer) */

    gpt_dtype dtype;         /* dtype of the matrices in memory */
    gpt_dtype file_dtype;    /* dtype as stored */
    size_t n_params;
    size_t file_bytes;
    size_t weight_bytes;
    int unused_tensors;      /* tensors of the files that nothing reads (HF's buffers aside) */
    char first_unused[160];  /* the first of them by the files' order, for the warning */

    /* Storage, released by gpt_model_free. */
    void *storage;           /* loader-private: mappings and owned buffers */
};

#endif /* GPT_INTERNAL_H */
