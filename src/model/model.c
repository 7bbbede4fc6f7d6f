/* model.c — bind a checkpoint's tensors by their hub names (GPT-2's, or
 * Llama/Mistral/Qwen's), check every shape against the config, tie or
 * untie the head. Matrices stay in the files' bytes (read into huge pages,
 * or mapped) in their stored dtype, or are quantized into one block of
 * huge pages; the small vectors (layer norms, biases) are widened into one
 * owned float buffer. */
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "convert.h"
#include "hugemem.h"
#include "quant.h"
#include "safetensors.h"

typedef struct {
    st_archive archive;
    float *vectors;        // every norm weight and bias, widened
    hugemem q8;            // every quantized matrix, one after another
} model_storage;

typedef struct {
    const st_archive *a;
    const char *prefix;    // "" or "transformer."
    const char *dir;       // the model directory, for messages
    unsigned char *used;   // (a->n_tensors) 1 where a tensor was bound
    char *err;
    size_t err_len;
} binder;

/* The tensor `prefix + name`; full receives that name for messages. */
static const st_tensor *find(const binder *b, const char *name, char full[256]) {
    snprintf(full, 256, "%s%s", b->prefix, name);
    const st_tensor *t = st_find(b->a, full);
    if (t) b->used[t - b->a->tensors] = 1;
    return t;
}

/* Buffers that HF checkpoints may carry and HF itself skips on load: GPT-2's
 * causal mask (attn.bias, attn.masked_bias) and older Llamas' rotary
 * frequencies (rotary_emb.inv_freq). Each is computed, not learned. */
static int is_hf_buffer(const char *name) {
    static const char *suffixes[] = {".attn.bias", ".attn.masked_bias", ".rotary_emb.inv_freq"};
    const size_t n = strlen(name);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        const size_t k = strlen(suffixes[i]);
        if (n >= k && !strcmp(name + n - k, suffixes[i])) return 1;
    }
    return 0;
}

/* Counts the tensors nothing bound: a checkpoint with more layers, or
 * biases, than config.json describes loads as HF loads it (they go
 * unread), and the count lets the caller say so. */
static void count_unused(gpt_model *m, const binder *b) {
    m->unused_tensors = 0;
    m->first_unused[0] = '\0';
    for (int i = 0; i < b->a->n_tensors; i++) {
        const char *name = b->a->tensors[i].name;
        if (b->used[i] || is_hf_buffer(name)) continue;
        if (m->unused_tensors++ == 0) snprintf(m->first_unused, sizeof m->first_unused, "%s", name);
    }
}

static gpt_status dtype_of(const binder *b, const st_tensor *t, const char *name, gpt_dtype *out) {
    if (!strcmp(t->dtype, "F32")) *out = GPT_DTYPE_F32;
    else if (!strcmp(t->dtype, "F16")) *out = GPT_DTYPE_F16;
    else if (!strcmp(t->dtype, "BF16")) *out = GPT_DTYPE_BF16;
    else return gpt_fail(b->err, b->err_len, GPT_ERR_UNSUPPORTED, "%s: %s has dtype %s (want F32, F16 or BF16)",
                         t->file, name, t->dtype);
    return GPT_OK;
}

/* A tensor's shape as the messages print it: [] (a scalar), [n], [n,m], ... */
static const char *shape_text(char *buf, size_t len, const st_tensor *t) {
    size_t at = (size_t)snprintf(buf, len, "[");
    for (int d = 0; d < t->ndim && at < len; d++)
        at += (size_t)snprintf(buf + at, len - at, "%s%lld", d ? "," : "", (long long)t->shape[d]);
    if (at < len) snprintf(buf + at, len - at, "]");
    return buf;
}

static gpt_status bind_matrix(const binder *b, gpt_matrix *m, const char *short_name, int rows, int cols) {
    char name[256];
    const st_tensor *t = find(b, short_name, name);
    if (!t) return gpt_fail(b->err, b->err_len, GPT_ERR_FORMAT, "%s: the checkpoint has no tensor %s", b->dir, name);
    char shape[200];
    if (t->ndim != 2 || t->shape[0] != rows || t->shape[1] != cols)
        return gpt_fail(b->err, b->err_len, GPT_ERR_FORMAT, "%s: %s has shape %s, config wants [%d,%d]", t->file, name,
                        shape_text(shape, sizeof shape, t), rows, cols);
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
    char shape[200];
    if (t->ndim != 1 || t->shape[0] != n)
        return gpt_fail(b->err, b->err_len, GPT_ERR_FORMAT, "%s: %s has shape %s, config wants [%d]", t->file, name,
                        shape_text(shape, sizeof shape, t), n);
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
    case GPT_DTYPE_Q8:  // whole panels of 16 rows
        return (size_t)((m->rows + GPT_Q8_PANEL - 1) / GPT_Q8_PANEL) * (m->cols / GPT_Q8_BLOCK) *
               sizeof(gpt_q8_panel_block);
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

/* Whether the loader stores a present Conv1D matrix in column panels. */
static int to_panels(const gpt_matrix *mat) { return mat->data && mat->cols % GPT_PANEL_COLS == 0; }

/* Rewrites a float matrix held in writable memory, rows in place, as
 * column panels of GPT_PANEL_COLS (cols a multiple of it), on the threads.
 * copy: scratch of the matrix's bytes, one buffer for every matrix (a
 * buffer each, freshly mapped, had the kernel zero 340 MB for GPT-2 124M's
 * F32 matrices). */
static void to_col_panels(gpt_matrix *mat, unsigned char *copy) {
    const size_t esize = mat->dtype == GPT_DTYPE_F32 ? 4 : 2;
    const size_t run = GPT_PANEL_COLS * esize, row_bytes = (size_t)mat->cols * esize;
    const unsigned char *src = mat->data;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < mat->rows; r++) memcpy(copy + r * row_bytes, src + r * row_bytes, row_bytes);
    mat->col_panels = 1;
    unsigned char *dst = (unsigned char *)mat->data;  // the archive's copy, ours to write
    const int n_panels = mat->cols / GPT_PANEL_COLS;
#pragma omp parallel for schedule(static)
    for (int p = 0; p < n_panels; p++)  // each panel one sequential run of writes
        for (int r = 0; r < mat->rows; r++)
            memcpy(dst + gpt_matrix_index(mat, r, p * GPT_PANEL_COLS) * esize, copy + r * row_bytes + p * run, run);
}

/* Rewrites a float matrix held in writable memory, rows a multiple of
 * GPT_ROW_PANEL, as row panels in place (gpt_matrix.row_panels): a panel
 * takes the bytes its 16 rows had, so each thread needs only one block of
 * 16 rows as scratch. Returns 0, the matrix untouched, when out of memory. */
static int to_row_panels(gpt_matrix *mat) {
    const size_t esize = mat->dtype == GPT_DTYPE_F32 ? 4 : 2;
    const size_t panel_bytes = (size_t)GPT_ROW_PANEL * mat->cols * esize;
#ifdef _OPENMP
    const int nt = omp_get_max_threads();
#else
    const int nt = 1;  // the fuzz build links no OpenMP
#endif
    const int n_panels = mat->rows / GPT_ROW_PANEL;
    unsigned char *scratch = malloc(panel_bytes * (size_t)nt);
    if (!scratch) return 0;
    unsigned char *data = (unsigned char *)mat->data;  // the archive's copy, ours to write
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int p = 0; p < n_panels; p++) {
#ifdef _OPENMP
        unsigned char *rows = scratch + panel_bytes * (size_t)omp_get_thread_num();
#else
        unsigned char *rows = scratch;
#endif
        memcpy(rows, data + panel_bytes * (size_t)p, panel_bytes);
        gpt_row_panel_from_rows(data + panel_bytes * (size_t)p, rows, mat->dtype, mat->cols);
    }
    free(scratch);
    mat->row_panels = 1;
    return 1;
}

/* Matrix i of a layer (gpt_layer_matrix), and its name for messages. */
#define LAYER_MATRICES GPT_LAYER_MATRICES
static gpt_matrix *layer_matrix(gpt_layer *ly, int i, const char **name) {
    static const char *names[LAYER_MATRICES] = {"qkv", "q_proj", "k_proj", "v_proj",
                                                "o_proj", "gate_proj", "up_proj", "down_proj"};
    *name = names[i];
    return gpt_layer_matrix(ly, i);
}

/* Floats of every vector (norm weights and biases) a model of this config
 * may hold, as an upper bound for the one buffer they are widened into. */
static size_t vector_floats(const gpt_config *c) {
    size_t C = c->n_embd, I = c->n_inner, HD = c->head_dim;
    size_t QD = (size_t)c->n_head * HD, KD = (size_t)c->n_kv_head * HD;
    return (size_t)c->n_layer * (4 * C + QD + 2 * KD + 2 * HD + C + 2 * I + C) + 2 * C;
}

/* GPT-2: wte, wpe, h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc,
 * mlp.c_proj}, ln_f; Conv1D matrices [in, out]. */
static gpt_status bind_gpt2(gpt_model *m, const binder *b, float **vp) {
    const gpt_config *c = &m->cfg;
    const int C = c->n_embd, H = c->n_inner;
    float *v = *vp;
    char name[128];
    gpt_status st = bind_matrix(b, &m->wte, "wte.weight", c->vocab_size, C);
    if (st == GPT_OK) st = bind_matrix(b, &m->wpe, "wpe.weight", c->n_positions, C);
    for (int l = 0; l < c->n_layer && st == GPT_OK; l++) {
        gpt_layer *ly = &m->layers[l];
        struct { const char *suffix; const float **dst; int n; } vecs[] = {
            {"ln_1.weight", &ly->attn_norm_w, C}, {"ln_1.bias", &ly->attn_norm_b, C},
            {"attn.c_attn.bias", &ly->qkv_b, 3 * C}, {"attn.c_proj.bias", &ly->o_b, C},
            {"ln_2.weight", &ly->mlp_norm_w, C}, {"ln_2.bias", &ly->mlp_norm_b, C},
            {"mlp.c_fc.bias", &ly->up_b, H}, {"mlp.c_proj.bias", &ly->down_b, C},
        };
        for (size_t i = 0; i < sizeof vecs / sizeof vecs[0] && st == GPT_OK; i++) {
            snprintf(name, sizeof name, "h.%d.%s", l, vecs[i].suffix);
            st = bind_vector(b, v, name, vecs[i].n);
            *vecs[i].dst = v;
            v += vecs[i].n;
        }
        struct { const char *suffix; gpt_matrix *dst; int rows, cols; } mats[] = {
            {"attn.c_attn.weight", &ly->qkv_w, C, 3 * C}, {"attn.c_proj.weight", &ly->o_w, C, C},
            {"mlp.c_fc.weight", &ly->up_w, C, H}, {"mlp.c_proj.weight", &ly->down_w, H, C},
        };
        for (size_t i = 0; i < sizeof mats / sizeof mats[0] && st == GPT_OK; i++) {
            snprintf(name, sizeof name, "h.%d.%s", l, mats[i].suffix);
            st = bind_matrix(b, mats[i].dst, name, mats[i].rows, mats[i].cols);
        }
    }
    if (st == GPT_OK) {
        m->ln_f_w = v;
        st = bind_vector(b, v, "ln_f.weight", C);
        v += C;
    }
    if (st == GPT_OK) {
        m->ln_f_b = v;
        st = bind_vector(b, v, "ln_f.bias", C);
        v += C;
    }
    /* The head: lm_head.weight when stored (never prefixed), else tied to wte. */
    if (st == GPT_OK) {
        if (st_find(b->a, "lm_head.weight")) {
            binder head = *b;
            head.prefix = "";
            st = bind_matrix(&head, &m->lm_head, "lm_head.weight", c->vocab_size, C);
        } else {
            m->lm_head = m->wte;
        }
    }
    *vp = v;
    return st;
}

/* Llama, Mistral, Qwen2, Qwen3: model.embed_tokens, model.layers.N.{
 * input_layernorm, self_attn.{q,k,v,o}_proj (+ bias), self_attn.{q,k}_norm,
 * post_attention_layernorm, mlp.{gate,up,down}_proj (+ bias)}, model.norm,
 * lm_head; nn.Linear matrices [out, in]. */
static gpt_status bind_llama(gpt_model *m, const binder *b, float **vp) {
    const gpt_config *c = &m->cfg;
    const int C = c->n_embd, I = c->n_inner, HD = c->head_dim, QD = c->n_head * HD, KD = c->n_kv_head * HD;
    float *v = *vp;
    char name[160];
    gpt_status st = bind_matrix(b, &m->wte, "model.embed_tokens.weight", c->vocab_size, C);
    for (int l = 0; l < c->n_layer && st == GPT_OK; l++) {
        gpt_layer *ly = &m->layers[l];
        struct { const char *suffix; const float **dst; int n; int want; } vecs[] = {
            {"input_layernorm.weight", &ly->attn_norm_w, C, 1},
            {"self_attn.q_proj.bias", &ly->qkv_b, QD, c->qkv_bias},  // q, k, v biases side by side
            {"self_attn.k_proj.bias", NULL, KD, c->qkv_bias},
            {"self_attn.v_proj.bias", NULL, KD, c->qkv_bias},
            {"self_attn.o_proj.bias", &ly->o_b, C, c->o_bias},
            {"self_attn.q_norm.weight", &ly->q_norm_w, HD, c->qk_norm},
            {"self_attn.k_norm.weight", &ly->k_norm_w, HD, c->qk_norm},
            {"post_attention_layernorm.weight", &ly->mlp_norm_w, C, 1},
            {"mlp.gate_proj.bias", &ly->gate_b, I, c->mlp_bias},
            {"mlp.up_proj.bias", &ly->up_b, I, c->mlp_bias},
            {"mlp.down_proj.bias", &ly->down_b, C, c->mlp_bias},
        };
        for (size_t i = 0; i < sizeof vecs / sizeof vecs[0] && st == GPT_OK; i++) {
            if (!vecs[i].want) continue;
            snprintf(name, sizeof name, "model.layers.%d.%s", l, vecs[i].suffix);
            st = bind_vector(b, v, name, vecs[i].n);
            if (vecs[i].dst) *vecs[i].dst = v;
            v += vecs[i].n;
        }
        struct { const char *suffix; gpt_matrix *dst; int rows, cols; } mats[] = {
            {"self_attn.q_proj.weight", &ly->q_w, QD, C}, {"self_attn.k_proj.weight", &ly->k_w, KD, C},
            {"self_attn.v_proj.weight", &ly->v_w, KD, C}, {"self_attn.o_proj.weight", &ly->o_w, C, QD},
            {"mlp.gate_proj.weight", &ly->gate_w, I, C},  {"mlp.up_proj.weight", &ly->up_w, I, C},
            {"mlp.down_proj.weight", &ly->down_w, C, I},
        };
        for (size_t i = 0; i < sizeof mats / sizeof mats[0] && st == GPT_OK; i++) {
            snprintf(name, sizeof name, "model.layers.%d.%s", l, mats[i].suffix);
            st = bind_matrix(b, mats[i].dst, name, mats[i].rows, mats[i].cols);
        }
    }
    if (st == GPT_OK) {
        m->ln_f_w = v;
        st = bind_vector(b, v, "model.norm.weight", C);
        v += C;
    }
    /* The head: lm_head.weight when untied; a tied checkpoint may carry it
     * too, and then it must be the embedding, byte for byte. */
    if (st == GPT_OK) {
        const st_tensor *head = st_find(b->a, "lm_head.weight");
        if (!c->tied) {
            st = bind_matrix(b, &m->lm_head, "lm_head.weight", c->vocab_size, C);
        } else if (head) {
            gpt_matrix h;
            st = bind_matrix(b, &h, "lm_head.weight", c->vocab_size, C);
            if (st == GPT_OK && (h.dtype != m->wte.dtype ||
                                 (h.data != m->wte.data && memcmp(h.data, m->wte.data, matrix_bytes(&h)))))
                st = gpt_fail(b->err, b->err_len, GPT_ERR_FORMAT,
                              "%s: lm_head.weight differs from model.embed_tokens.weight, but config.json has "
                              "tie_word_embeddings true",
                              b->dir);
            m->lm_head = m->wte;
        } else {
            m->lm_head = m->wte;
        }
    }
    *vp = v;
    return st;
}

/* Q8 matrices start 64-byte-aligned in their shared block. */
static size_t q8_aligned(size_t bytes) { return (bytes + 63) / 64 * 64; }

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
    /* Matrices quantized at load are read once from the files: mapping
     * them then costs nothing after, where a copy would be held for good. */
    if (st == GPT_OK) st = st_open(&s->archive, dir, opts->map_files || opts->quantize_q8, err, err_len);
    if (st != GPT_OK) {
        gpt_model_free(m);
        return st;
    }
    const gpt_config *c = &m->cfg;
    const int L = c->n_layer;
    binder b = {.a = &s->archive, .prefix = "", .dir = dir, .err = err, .err_len = err_len};
    b.used = calloc((size_t)s->archive.n_tensors + 1, 1);
    if (c->arch == GPT_ARCH_GPT2 && !st_find(&s->archive, "wte.weight") &&
        st_find(&s->archive, "transformer.wte.weight"))
        b.prefix = "transformer.";
    m->conv1d = c->arch == GPT_ARCH_GPT2;

    s->vectors = malloc(sizeof(float) * vector_floats(c));
    m->layers = calloc((size_t)L, sizeof(gpt_layer));
    if (!s->vectors || !m->layers || !b.used) {
        free(b.used);
        gpt_model_free(m);
        return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    }
    float *v = s->vectors;
    st = m->conv1d ? bind_gpt2(m, &b, &v) : bind_llama(m, &b, &v);
    if (st == GPT_OK) count_unused(m, &b);
    free(b.used);
    if (st != GPT_OK) {
        gpt_model_free(m);
        return st;
    }
    const size_t vectors = (size_t)(v - s->vectors);
    const int untied = m->lm_head.data != m->wte.data;
    m->cfg.tied = !untied;  // GPT-2's head is tied unless the file carries one

    m->file_dtype = m->conv1d ? m->layers[0].qkv_w.dtype : m->layers[0].q_w.dtype;
    m->dtype = m->file_dtype;
    size_t params = (size_t)m->wte.rows * m->wte.cols + (size_t)m->wpe.rows * m->wpe.cols + vectors;
    if (untied) params += (size_t)m->lm_head.rows * m->lm_head.cols;
    for (int l = 0; l < L; l++)
        for (int i = 0; i < LAYER_MATRICES; i++) {
            const char *nm;
            const gpt_matrix *mat = layer_matrix(&m->layers[l], i, &nm);
            if (mat->data) params += (size_t)mat->rows * mat->cols;
        }
    m->n_params = params;
    m->file_bytes = s->archive.total_bytes;

    char name[128];
    if (opts->check_finite) {
        long at = first_non_finite(s->vectors, vectors);
        if (at >= 0)
            st = gpt_fail(err, err_len, GPT_ERR_NUMERIC, "%s: a norm weight or bias holds NaN or Inf", dir);
        const gpt_matrix *all[3] = {&m->wte, &m->wpe, &m->lm_head};
        const char *names[3] = {"wte.weight", "wpe.weight", "lm_head.weight"};
        for (int i = 0; i < 3 && st == GPT_OK; i++)
            if (all[i]->data && (i < 2 || untied)) st = check_matrix_finite(all[i], names[i], err, err_len);
        for (int l = 0; l < L && st == GPT_OK; l++)
            for (int i = 0; i < LAYER_MATRICES && st == GPT_OK; i++) {
                const char *nm;
                const gpt_matrix *mat = layer_matrix(&m->layers[l], i, &nm);
                if (!mat->data) continue;
                snprintf(name, sizeof name, "layer %d %s", l, nm);
                st = check_matrix_finite(mat, name, err, err_len);
            }
    }
    if (st == GPT_OK && opts->quantize_q8) {
        /* Conv1D weights turn to [out][in]; nn.Linear weights and the head
         * stay [out][in]. When tied, the quantized head also serves the
         * embedding lookups. */
        size_t q8_bytes = q8_aligned(quantize_q8_bytes(&m->lm_head, 0));  // every matrix, each at 64 bytes
        for (int l = 0; l < L; l++)
            for (int i = 0; i < LAYER_MATRICES; i++) {
                const char *nm;
                const gpt_matrix *mat = layer_matrix(&m->layers[l], i, &nm);
                if (mat->data) q8_bytes += q8_aligned(quantize_q8_bytes(mat, m->conv1d));
            }
        char *next = hugemem_alloc(&s->q8, q8_bytes);
        if (!next) st = gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory for %zu bytes of Q8 weights", q8_bytes);
        for (int l = 0; l < L && st == GPT_OK; l++)
            for (int i = 0; i < LAYER_MATRICES && st == GPT_OK; i++) {
                const char *nm;
                gpt_matrix *mat = layer_matrix(&m->layers[l], i, &nm);
                if (!mat->data) continue;
                snprintf(name, sizeof name, "layer %d %s", l, nm);
                const size_t bytes = q8_aligned(quantize_q8_bytes(mat, m->conv1d));
                const gpt_matrix stored = *mat;
                st = quantize_q8(mat, next, mat, m->conv1d, name, err, err_len);
                st_release(&s->archive, stored.data, matrix_bytes(&stored));
                next += bytes;
            }
        if (st == GPT_OK) {
            const gpt_matrix stored = m->lm_head;
            st = quantize_q8(&m->lm_head, next, &m->lm_head, 0, "lm_head", err, err_len);
            if (st == GPT_OK && !untied) m->wte = m->lm_head;
            // An untied embedding stays mapped: token lookups read it.
            if (st == GPT_OK) st_release(&s->archive, stored.data, matrix_bytes(&stored));
        }
        if (st == GPT_OK) m->dtype = GPT_DTYPE_Q8;
    }
    /* Conv1D matrices copied into memory go into column panels, in place
     * (gpt_matrix.col_panels): a decode thread's columns were a short run of
     * each weight row, and read so they streamed at 0.6-0.7x of the panels
     * (see DESIGN). F32 prompts put blocks of columns back in rows for BLAS
     * (gemm_blocks): the rows' bits. A mapped file stays as it is. */
    const int panels = st == GPT_OK && m->conv1d && !opts->map_files && !opts->quantize_q8;
    size_t largest = 0;  // bytes of the largest matrix to rewrite
    for (int l = 0; l < L && panels; l++)
        for (int i = 0; i < LAYER_MATRICES; i++) {
            const char *nm;
            const gpt_matrix *mat = layer_matrix(&m->layers[l], i, &nm);
            if (to_panels(mat) && matrix_bytes(mat) > largest) largest = matrix_bytes(mat);
        }
    unsigned char *copy = largest ? malloc(largest) : NULL;
    if (largest && !copy) st = gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory for a %zu-byte matrix", largest);
    for (int l = 0; l < L && copy; l++)
        for (int i = 0; i < LAYER_MATRICES; i++) {
            const char *nm;
            gpt_matrix *mat = layer_matrix(&m->layers[l], i, &nm);
            if (to_panels(mat)) to_col_panels(mat, copy);
        }
    free(copy);
    /* The Llama family's float matrices sum in input order (gpt_matrix.
     * in_order); copied into memory, those of whole panels of 16 rows go
     * into row panels, in place, the tied head once. A mapped file stays
     * in rows, with the same bits. */
    if (st == GPT_OK && !m->conv1d) {
        const int pack = !opts->map_files && !opts->quantize_q8;
        gpt_matrix *heads[2] = {&m->wte, &m->lm_head};
        for (int i = 0; i < 2; i++) {
            if (heads[i]->dtype == GPT_DTYPE_Q8) continue;
            heads[i]->in_order = 1;
            if (i == 1 && heads[1]->data == heads[0]->data) {
                heads[1]->row_panels = heads[0]->row_panels;
                continue;
            }
            if (pack && heads[i]->rows % GPT_ROW_PANEL == 0 && !to_row_panels(heads[i]))
                st = gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
        }
        for (int l = 0; l < L && st == GPT_OK; l++)
            for (int i = 0; i < LAYER_MATRICES && st == GPT_OK; i++) {
                const char *nm;
                gpt_matrix *mat = layer_matrix(&m->layers[l], i, &nm);
                if (!mat->data || mat->dtype == GPT_DTYPE_Q8) continue;
                mat->in_order = 1;
                if (pack && mat->rows % GPT_ROW_PANEL == 0 && !to_row_panels(mat))
                    st = gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
            }
    }
    if (st != GPT_OK) {
        gpt_model_free(m);
        return st;
    }
    /* Bytes held: every distinct matrix as it is now, and the vectors. */
    m->weight_bytes = matrix_bytes(&m->wte) + matrix_bytes(&m->wpe) + vectors * sizeof(float);
    if (m->lm_head.data != m->wte.data) m->weight_bytes += matrix_bytes(&m->lm_head);
    for (int l = 0; l < L; l++)
        for (int i = 0; i < LAYER_MATRICES; i++) {
            const char *nm;
            const gpt_matrix *mat = layer_matrix(&m->layers[l], i, &nm);
            if (mat->data) m->weight_bytes += matrix_bytes(mat);
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
        hugemem_free(&s->q8);
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
int gpt_model_unused_tensors(const gpt_model *m, const char **first) {
    if (first) *first = m->unused_tensors ? m->first_unused : NULL;
    return m->unused_tensors;
}
size_t gpt_kv_cache_bytes_as(const gpt_model *m, int n_ctx, gpt_dtype cache_dtype) {
    const gpt_config *c = &m->cfg;
    const size_t element = cache_dtype == GPT_DTYPE_F16 ? 2 : sizeof(float);
    return 2 * element * (size_t)c->n_layer * (size_t)(n_ctx > 0 ? n_ctx : 0) * c->n_kv_head * c->head_dim;
}
size_t gpt_kv_cache_bytes(const gpt_model *m, int n_ctx) { return gpt_kv_cache_bytes_as(m, n_ctx, GPT_DTYPE_F32); }
