/* internal.h — structures shared between the library's modules; not public. */
#ifndef GPT_INTERNAL_H
#define GPT_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "gpt.h"

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
 * Rows are not necessarily aligned. */
typedef struct {
    const void *data;
    gpt_dtype dtype;
    int rows;
    int cols;
} gpt_matrix;

/* Q8: each run of 32 consecutive values along a row is one block. */
#define GPT_Q8_BLOCK 32
typedef struct {
    float scale;           /* value = scale * q */
    int8_t q[GPT_Q8_BLOCK];
} gpt_q8_block;

typedef struct {
    const float *ln_1_w, *ln_1_b;       /* (C) */
    gpt_matrix attn_w;                  /* [C, 3C] */
    const float *attn_b;                /* (3C) */
    gpt_matrix attn_proj_w;             /* [C, C] */
    const float *attn_proj_b;           /* (C) */
    const float *ln_2_w, *ln_2_b;       /* (C) */
    gpt_matrix fc_w;                    /* [C, I] */
    const float *fc_b;                  /* (I) */
    gpt_matrix fc_proj_w;               /* [I, C] */
    const float *fc_proj_b;             /* (C) */
} gpt_layer;

struct gpt_model {
    gpt_config cfg;
    gpt_matrix wte;          /* [V, C] token embeddings */
    gpt_matrix wpe;          /* [P, C] position embeddings */
    gpt_matrix lm_head;      /* [V, C]; the same data as wte when tied */
    const float *ln_f_w, *ln_f_b;  /* (C) */
    gpt_layer *layers;       /* (n_layer) */

    gpt_dtype dtype;         /* dtype of the matrices in memory */
    gpt_dtype file_dtype;    /* dtype as stored */
    size_t n_params;
    size_t file_bytes;
    size_t weight_bytes;

    /* Storage, released by gpt_model_free. */
    void *storage;           /* loader-private: mappings and owned buffers */
};

#endif /* GPT_INTERNAL_H */
