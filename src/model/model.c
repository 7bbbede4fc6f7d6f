/* model.c — bind a checkpoint's tensors by name, check every shape against
 * the config, tie or untie the head. Matrices stay in the file mapping in
 * their stored dtype; the small vectors (layer norms, biases) are widened
 * into one owned float buffer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "convert.h"
#include "quant.h"
#include "safetensors.h"

typedef struct {
    st_archive archive;
    float *vectors;        // every layer-norm weight and bias, widened
    void **q8;             // (n_q8) quantized matrices
    int n_q8;
} model_storage;

typedef struct {
    const st_archive *a;
    const char *prefix;    // "" or "transformer."
    const char *dir;       // the model directory, for messages
    char *err;
    size_t err_len;
} binder;

/* The tensor `prefix + name`; full receives that name for messages. */
static const st_tensor *find(const binder *b, const char *name, char full[256]) {
    snprintf(full, 256, "%s%s", b->prefix, name);
    return st_find(b->a, full);
}

static gpt_status dtype_of(const binder *b, const st_tensor *t, const char *name, gpt_dtype *out) {
    if (!strcmp(t->dtype, "F32")) *out = GPT_DTYPE_F32;
    else if (!strcmp(t->dtype, "F16")) *out = GPT_DTYPE_F16;
    else if (!strcmp(t->dtype, "BF16")) *out = GPT_DTYPE_BF16;
    else return gpt_fail(b->err, b->err_len, GPT_ERR_UNSUPPORTED, "%s: %s has dtype %s (want F32, F16 or BF16)",
                         t->file, name, t->dtype);
    return GPT_OK;
}

static gpt_status bind_matrix(const binder *b, gpt_matrix *m, const char *short_name, int rows, int cols) {
    char name[256];
    const st_tensor *t = find(b, short_name, name);
    if (!t) return gpt_fail(b->err, b->err_len, GPT_ERR_FORMAT, "%s: the checkpoint has no tensor %s", b->dir, name);
    if (t->ndim != 2 || t->shape[0] != rows || t->shape[1] != cols)
        return gpt_fail(b->err, b->err_len, GPT_ERR_FORMAT, "%s: %s has shape [%lld%s%lld], config wants [%d,%d]",
                        t->file, name, t->ndim > 0 ? (long long)t->shape[0] : 0LL, t->ndim > 1 ? "," : "",
                        t->ndim > 1 ? (long long)t->shape[1] : 0LL, rows, cols);
    gpt_status st = dtype_of(b, t, name, &m->dtype);
    if (st != GPT_OK) return st;
    m->data = t->data;
    m->rows = rows;
    m->cols = cols;
    return GPT_OK;
}

/* Widens a vector tensor of n values into dst. */
static gpt_status bind_vector(const binder *b, float *dst, const char *short_name, int n) {
    char name[256];
    const st_tensor *t = find(b, short_name, name);
    if (!t) return gpt_fail(b->err, b->err_len, GPT_ERR_FORMAT, "%s: the checkpoint has no tensor %s", b->dir, name);
    if (t->ndim != 1 || t->shape[0] != n)
        return gpt_fail(b->err, b->err_len, GPT_ERR_FORMAT, "%s: %s has shape [%lld], config wants [%d]", t->file,
                        name, t->ndim > 0 ? (long long)t->shape[0] : 0LL, n);
    gpt_matrix m = {.data = t->data, .rows = 1, .cols = n};
    gpt_status st = dtype_of(b, t, name, &m.dtype);
    if (st != GPT_OK) return st;
    gpt_matrix_row_f32(dst, &m, 0);
    return GPT_OK;
}

static size_t matrix_bytes(const gpt_matrix *m) {
    size_t n = (size_t)m->rows * m->cols;
    switch (m->dtype) {
    case GPT_DTYPE_F32: return n * 4;
    case GPT_DTYPE_Q8: return n / GPT_Q8_BLOCK * sizeof(gpt_q8_block);
    default: return n * 2;
    }
}

/* The first NaN or Inf in n floats, or -1. */
static long first_non_finite(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return (long)i;
    return -1;
}

static gpt_status check_matrix_finite(const gpt_matrix *m, const char *name, char *err, size_t err_len) {
    float *row = malloc(sizeof(float) * (size_t)m->cols);
    if (!row) return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    gpt_status st = GPT_OK;
    for (int r = 0; r < m->rows && st == GPT_OK; r++) {
        gpt_matrix_row_f32(row, m, r);
        long at = first_non_finite(row, (size_t)m->cols);
        if (at >= 0)
            st = gpt_fail(err, err_len, GPT_ERR_NUMERIC, "%s holds %s at element %ld", name,
                          isnan(row[at]) ? "NaN" : "Inf", (long)r * m->cols + at);
    }
    free(row);
    return st;
}

gpt_status gpt_model_load(gpt_model **out, const char *dir, const gpt_load_options *opts, char *err,
                          size_t err_len) {
    *out = NULL;
    gpt_load_options none = {0};
    if (!opts) opts = &none;
    gpt_model *m = calloc(1, sizeof *m);
    model_storage *s = calloc(1, sizeof *s);
    if (!m || !s) {
        free(m);
        free(s);
        return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    }
    m->storage = s;
    gpt_status st = config_load(&m->cfg, dir, err, err_len);
    if (st == GPT_OK) st = st_open(&s->archive, dir, err, err_len);
    if (st != GPT_OK) {
        gpt_model_free(m);
        return st;
    }
    const gpt_config *c = &m->cfg;
    const int C = c->n_embd, H = c->n_inner, V = c->vocab_size, P = c->n_positions, L = c->n_layer;
    binder b = {.a = &s->archive, .prefix = "", .dir = dir, .err = err, .err_len = err_len};
    if (!st_find(&s->archive, "wte.weight") && st_find(&s->archive, "transformer.wte.weight"))
        b.prefix = "transformer.";

    /* Vectors per layer: ln_1 w,b (2C), attn bias (3C), proj bias (C), ln_2 w,b (2C),
     * fc bias (H), fc_proj bias (C) = 9C + H; then ln_f (2C). */
    size_t per_layer = 9 * (size_t)C + H;
    s->vectors = malloc(sizeof(float) * (per_layer * L + 2 * (size_t)C));
    m->layers = calloc((size_t)L, sizeof(gpt_layer));
    if (!s->vectors || !m->layers) {
        gpt_model_free(m);
        return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    }
    st = bind_matrix(&b, &m->wte, "wte.weight", V, C);
    if (st == GPT_OK) st = bind_matrix(&b, &m->wpe, "wpe.weight", P, C);
    float *v = s->vectors;
    char name[128];
    for (int l = 0; l < L && st == GPT_OK; l++) {
        gpt_layer *ly = &m->layers[l];
        struct { const char *suffix; float **dst; int n; } vecs[] = {
            {"ln_1.weight", (float **)&ly->ln_1_w, C}, {"ln_1.bias", (float **)&ly->ln_1_b, C},
            {"attn.c_attn.bias", (float **)&ly->attn_b, 3 * C}, {"attn.c_proj.bias", (float **)&ly->attn_proj_b, C},
            {"ln_2.weight", (float **)&ly->ln_2_w, C}, {"ln_2.bias", (float **)&ly->ln_2_b, C},
            {"mlp.c_fc.bias", (float **)&ly->fc_b, H}, {"mlp.c_proj.bias", (float **)&ly->fc_proj_b, C},
        };
        for (size_t i = 0; i < sizeof vecs / sizeof vecs[0] && st == GPT_OK; i++) {
            snprintf(name, sizeof name, "h.%d.%s", l, vecs[i].suffix);
            st = bind_vector(&b, v, name, vecs[i].n);
            *vecs[i].dst = v;
            v += vecs[i].n;
        }
        struct { const char *suffix; gpt_matrix *dst; int rows, cols; } mats[] = {
            {"attn.c_attn.weight", &ly->attn_w, C, 3 * C}, {"attn.c_proj.weight", &ly->attn_proj_w, C, C},
            {"mlp.c_fc.weight", &ly->fc_w, C, H}, {"mlp.c_proj.weight", &ly->fc_proj_w, H, C},
        };
        for (size_t i = 0; i < sizeof mats / sizeof mats[0] && st == GPT_OK; i++) {
            snprintf(name, sizeof name, "h.%d.%s", l, mats[i].suffix);
            st = bind_matrix(&b, mats[i].dst, name, mats[i].rows, mats[i].cols);
        }
    }
    if (st == GPT_OK) {
        m->ln_f_w = v;
        st = bind_vector(&b, v, "ln_f.weight", C);
        v += C;
    }
    if (st == GPT_OK) {
        m->ln_f_b = v;
        st = bind_vector(&b, v, "ln_f.bias", C);
    }
    /* The head: lm_head.weight when stored (never prefixed), else tied to wte. */
    int untied = 0;
    if (st == GPT_OK) {
        if (st_find(&s->archive, "lm_head.weight")) {
            binder head = b;
            head.prefix = "";
            st = bind_matrix(&head, &m->lm_head, "lm_head.weight", V, C);
            untied = st == GPT_OK && m->lm_head.data != m->wte.data;
        } else {
            m->lm_head = m->wte;
        }
    }
    if (st != GPT_OK) {
        gpt_model_free(m);
        return st;
    }

    m->file_dtype = m->layers[0].attn_w.dtype;
    m->dtype = m->file_dtype;
    size_t matrices = (size_t)V * C + (size_t)P * C + (size_t)L * (4 * (size_t)C * C + 2 * (size_t)C * H);
    size_t vectors = per_layer * L + 2 * (size_t)C;
    m->n_params = matrices + vectors + (untied ? (size_t)V * C : 0);
    m->file_bytes = s->archive.total_bytes;

    if (opts->check_finite) {
        long at = first_non_finite(s->vectors, vectors);
        if (at >= 0)
            st = gpt_fail(err, err_len, GPT_ERR_NUMERIC, "%s: a layer-norm weight or bias holds NaN or Inf", dir);
        const gpt_matrix *all[4] = {&m->wte, &m->wpe, &m->lm_head, NULL};
        const char *names[4] = {"wte.weight", "wpe.weight", "lm_head.weight", NULL};
        for (int i = 0; i < 3 && st == GPT_OK; i++)
            if (i < 2 || untied) st = check_matrix_finite(all[i], names[i], err, err_len);
        for (int l = 0; l < L && st == GPT_OK; l++) {
            gpt_layer *ly = &m->layers[l];
            const gpt_matrix *mats[4] = {&ly->attn_w, &ly->attn_proj_w, &ly->fc_w, &ly->fc_proj_w};
            const char *suffix[4] = {"attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight",
                                     "mlp.c_proj.weight"};
            for (int i = 0; i < 4 && st == GPT_OK; i++) {
                snprintf(name, sizeof name, "h.%d.%s", l, suffix[i]);
                st = check_matrix_finite(mats[i], name, err, err_len);
            }
        }
    }
    if (st == GPT_OK && opts->quantize_q8) {
        /* Conv1D weights turn to [out][in]; the head stays [V][C] and, when
         * tied, the quantized head also serves the embedding lookups. */
        s->q8 = calloc((size_t)4 * L + 2, sizeof(void *));
        if (!s->q8) st = gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
        for (int l = 0; l < L && st == GPT_OK; l++) {
            gpt_layer *ly = &m->layers[l];
            gpt_matrix *mats[4] = {&ly->attn_w, &ly->attn_proj_w, &ly->fc_w, &ly->fc_proj_w};
            for (int i = 0; i < 4 && st == GPT_OK; i++) {
                snprintf(name, sizeof name, "h.%d matrix %d", l, i);
                st = quantize_q8(mats[i], &s->q8[s->n_q8], mats[i], 1, name, err, err_len);
                if (st == GPT_OK) s->n_q8++;
            }
        }
        if (st == GPT_OK) {
            st = quantize_q8(&m->lm_head, &s->q8[s->n_q8], &m->lm_head, 0, "lm_head", err, err_len);
            if (st == GPT_OK) {
                s->n_q8++;
                if (!untied) m->wte = m->lm_head;
            }
        }
        if (st == GPT_OK) m->dtype = GPT_DTYPE_Q8;
    }
    if (st != GPT_OK) {
        gpt_model_free(m);
        return st;
    }
    /* Bytes held: every distinct matrix as it is now, and the vectors. */
    m->weight_bytes = matrix_bytes(&m->wte) + matrix_bytes(&m->wpe) + vectors * sizeof(float);
    if (m->lm_head.data != m->wte.data) m->weight_bytes += matrix_bytes(&m->lm_head);
    for (int l = 0; l < L; l++) {
        const gpt_layer *ly = &m->layers[l];
        m->weight_bytes += matrix_bytes(&ly->attn_w) + matrix_bytes(&ly->attn_proj_w) + matrix_bytes(&ly->fc_w) +
                           matrix_bytes(&ly->fc_proj_w);
    }
    *out = m;
    return GPT_OK;
}

void gpt_model_free(gpt_model *m) {
    if (!m) return;
    model_storage *s = m->storage;
    if (s) {
        st_close(&s->archive);
        free(s->vectors);
        for (int i = 0; i < s->n_q8; i++) free(s->q8[i]);
        free(s->q8);
        free(s);
    }
    free(m->layers);
    free(m);
}

const gpt_config *gpt_model_config(const gpt_model *m) { return &m->cfg; }
gpt_dtype gpt_model_dtype(const gpt_model *m) { return m->dtype; }
gpt_dtype gpt_model_file_dtype(const gpt_model *m) { return m->file_dtype; }
size_t gpt_model_n_params(const gpt_model *m) { return m->n_params; }
size_t gpt_model_file_bytes(const gpt_model *m) { return m->file_bytes; }
size_t gpt_model_weight_bytes(const gpt_model *m) { return m->weight_bytes; }
