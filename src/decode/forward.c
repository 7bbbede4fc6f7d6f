/* forward.c — gpt_context (KV caches and scratch) and the forward pass over
 * a batch of rows, each a token at a position in one of n_seq sequences.
 *
 * One pass for every family: the config's switches choose LayerNorm or
 * RMSNorm, learned or rotary positions, a fused Conv1D qkv or separate
 * nn.Linear q, k, v (grouped-query: the cache holds only the kv heads),
 * q/k norms, a sliding window, a GELU or gated SiLU MLP.
 *
 * One allocation is made up front by gpt_context_new; gpt_forward never
 * allocates, so the per-token loop does not either.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "convert.h"
#include "layers.h"
#include "ops.h"

struct gpt_context {
    const gpt_model *model;
    int n_ctx;      // positions per sequence
    int n_seq;      // sequences with a cache each
    int max_rows;   // rows one forward call may take

    int kv_f16;     // the cache holds IEEE halves (else floats)
    float *key_cache;    // (n_layer, n_seq, n_kv_head, n_ctx, head_dim) floats, or halves with kv_f16
    float *value_cache;  // (n_layer, n_seq, n_kv_head, n_ctx, head_dim) floats, or halves with kv_f16
    float *rope_cos;     // (n_ctx, HD/2) rotary angles, rows 0..rope_made-1 made; empty with learned positions
    float *rope_sin;     // (n_ctx, HD/2)
    double *rope_freq;   // (HD/2) each pair's frequency
    int rope_made;       // positions of the tables made so far (gpt_forward makes more as they come: a
                         // --ctx of 131,072 no longer costs seconds and its pages before the first token)

    /* Scratch for one call of max_rows rows. */
    float *x;        // (R, C) the residual stream
    float *norm;     // (R, C) norm output
    float *qkv;      // (R, QD + 2KD) query, key, value
    float *attn;     // (R, QD) attention output, heads side by side
    float *proj;     // (R, C) a projection before it joins the residual
    float *mlp;      // (R, I) the MLP's hidden layer (the gate, for a gated MLP)
    float *mlp_up;   // (R, I) the gated MLP's up projection; empty for GELU
    float *scores;   // (scores_rows, n_keys) attention weights: group_rows rows per thread,
                     // a row per head (attention_row_split), or PROMPT_ATTN_ROWS rows
                     // per thread for a prompt chunk
    float *keys_packed;  // (n_kv_head, n_keys / 32, HD, 32) a prompt chunk's keys, packed for attend_rows
    float *head_inv;     // (n_head) one row's heads' 1 / sum of their softmax (attention_row_split)
    float *values_wide;  // (n_kv_head, n_keys, HD) an F16 cache's values widened for a prompt chunk; empty
                         // for a float cache
    float *embed;    // (C) one widened embedding row
    float *panel;    // (PANEL) the products' scratch: widened 16-bit rows or packed blocks (matmul_scratch_floats)
    int scores_rows;  // rows of scores: max(threads at creation x group_rows, max_rows)
    int n_procs;     // the CPUs at creation (omp_get_num_procs is a system call each time)
    int n_keys;      // n_ctx rounded up to ATTN_KEY_BLOCK: the row stride of scores

    void *block;     // the one allocation all the above live in
    size_t bytes;
    ops_team team;   // a decode step's threads (gpt_forward); 64-byte aligned, as the context is
};

static int g_threads = 0;  // 0: not set yet

void gpt_set_threads(int n_threads) {
    if (n_threads <= 0) n_threads = omp_get_num_procs();
    g_threads = n_threads;
    /* BLAS must run single-threaded, on the fixed blocks that our threads
     * share (gemm_fixed_blocks): its own threading would make the bits of a
     * product depend on the thread count. OpenBLAS's OpenMP build does so
     * by itself inside a parallel region, and there its thread count is
     * OpenMP's (setting it sets OpenMP's); a pthreads build is told 1. */
    if (openblas_get_parallel() == 2) openblas_set_num_threads(n_threads);
    else openblas_set_num_threads(1);
    omp_set_num_threads(n_threads);
}

int gpt_get_threads(void) { return g_threads > 0 ? g_threads : omp_get_max_threads(); }

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

/* Rows of scores a decode attention task holds: the query heads of one kv
 * head that attend_group takes at once. */
static int group_rows(const gpt_config *c) {
    const int group = c->n_head / c->n_kv_head;
    return group < ATTN_GROUP_MAX ? group : ATTN_GROUP_MAX;
}

/* a * b * c, or 0 when it overflows (callers treat 0 as too large). */
static size_t mul3(size_t a, size_t b, size_t c) {
    if (a && b > SIZE_MAX / a) return 0;
    if (a * b != 0 && c > SIZE_MAX / (a * b)) return 0;
    return a * b * c;
}

gpt_status gpt_context_new(gpt_context **out, const gpt_model *model, int n_ctx, int n_seq, int max_rows,
                           char *err, size_t err_len) {
    const gpt_context_params params = {n_ctx, n_seq, max_rows, GPT_DTYPE_F32};
    return gpt_context_new_ex(out, model, &params, err, err_len);
}

gpt_status gpt_context_new_ex(gpt_context **out, const gpt_model *model, const gpt_context_params *params, char *err,
                              size_t err_len) {
    *out = NULL;
    if (!model) return gpt_fail(err, err_len, GPT_ERR_ARG, "no model");
    if (!params) return gpt_fail(err, err_len, GPT_ERR_ARG, "no context parameters");
    if (params->cache_dtype != GPT_DTYPE_F32 && params->cache_dtype != GPT_DTYPE_F16)
        return gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "a KV cache of %s is not supported (F32 or F16)",
                        gpt_dtype_name(params->cache_dtype));
    const int kv_f16 = params->cache_dtype == GPT_DTYPE_F16;
    int n_ctx = params->n_ctx, n_seq = params->n_seq, max_rows = params->max_rows;
    const gpt_config *c = &model->cfg;
    if (n_ctx <= 0) n_ctx = c->n_positions < GPT_DEFAULT_CTX ? c->n_positions : GPT_DEFAULT_CTX;
    if (n_ctx > c->n_positions) n_ctx = c->n_positions;
    if (n_seq <= 0) n_seq = 1;
    if (max_rows <= 0) max_rows = 512;
    if (max_rows < n_seq) max_rows = n_seq;  // a decode step takes a row per sequence
    const size_t C = c->n_embd, H = c->n_inner, L = c->n_layer, R = max_rows;  // (complex.h owns I)
    const size_t QD = (size_t)c->n_head * c->head_dim, KD = (size_t)c->n_kv_head * c->head_dim;
    int threads = omp_get_max_threads();
    if (omp_get_num_procs() > threads) threads = omp_get_num_procs();
    const int scores_rows = threads * group_rows(c) > max_rows ? threads * group_rows(c) : max_rows;

    size_t cache = mul3(L * n_seq, n_ctx, KD);  // elements; floats of storage below
    if (cache == 0 || cache > SIZE_MAX / 8)
        return gpt_fail(err, err_len, GPT_ERR_OOM, "KV cache of %d sequences x %d positions is too large", n_seq,
                        n_ctx);
    if (kv_f16) cache = (cache + 1) / 2;
    /* The products' scratch: Conv1D's by output width (and F32 panels'
     * buffers, below), nn.Linear's (and the head's) by input width. */
    size_t panel = max_size(max_size(matmul_panel_floats((int)(QD + 2 * KD)), matmul_panel_floats((int)H)),
                            max_size(matmul_panel_floats((int)C), matmul_panel_floats((int)QD)));
    for (int l = 0; l < c->n_layer; l++)  // F32 column panels: their prompts' buffers
        for (int i = 0; i < GPT_LAYER_MATRICES; i++)
            panel = max_size(panel, matmul_scratch_floats(gpt_layer_matrix(&model->layers[l], i)));
    size_t rope = c->rope != GPT_ROPE_NONE ? (size_t)n_ctx * (c->head_dim / 2) : 0;
    const size_t rope_freq = c->rope != GPT_ROPE_NONE ? (size_t)c->head_dim : 0;  // floats: HD/2 doubles
    const size_t n_keys = ((size_t)n_ctx + ATTN_KEY_BLOCK - 1) / ATTN_KEY_BLOCK * ATTN_KEY_BLOCK;
    size_t floats[] = {
        cache, cache, rope, rope, rope_freq,  // key_cache, value_cache, rope_cos, rope_sin, rope_freq
        R * C, R * C, R * (QD + 2 * KD),    // x, norm, qkv
        R * QD, R * C, R * H,               // attn, proj, mlp
        c->gated_silu ? R * H : 0,          // mlp_up
        (size_t)scores_rows * n_keys, n_keys * KD, (size_t)c->n_head,
        kv_f16 ? n_keys * KD : 0, C, panel,  // values_wide, embed, panel
    };
    size_t total = 0;
    /* Each buffer starts on a 64-byte line. */
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) total += (floats[i] + 15) & ~(size_t)15;
    if (total > SIZE_MAX / sizeof(float))
        return gpt_fail(err, err_len, GPT_ERR_OOM, "context of %d positions is too large", n_ctx);

    gpt_context *ctx = NULL;  // aligned for its team's cache lines
    void *block = NULL;
    if (posix_memalign((void **)&ctx, 64, sizeof *ctx) != 0) ctx = NULL;
    if (ctx) memset(ctx, 0, sizeof *ctx);
    if (!ctx || posix_memalign(&block, 64, total * sizeof(float)) != 0) {
        free(ctx);
        return gpt_fail(err, err_len, GPT_ERR_OOM, "cannot allocate %zu MB for the KV cache and scratch",
                        total * sizeof(float) >> 20);
    }
    float *p = block;
    float *rope_freq_floats = NULL;
    float **slots[] = {&ctx->key_cache, &ctx->value_cache, &ctx->rope_cos, &ctx->rope_sin, &rope_freq_floats, &ctx->x,
                       &ctx->norm, &ctx->qkv, &ctx->attn, &ctx->proj, &ctx->mlp, &ctx->mlp_up,
                       &ctx->scores, &ctx->keys_packed, &ctx->head_inv, &ctx->values_wide,
                       &ctx->embed, &ctx->panel};
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
        *slots[i] = p;
        p += (floats[i] + 15) & ~(size_t)15;
    }
    ctx->model = model;
    ctx->kv_f16 = kv_f16;
    ctx->n_ctx = n_ctx;
    ctx->n_seq = n_seq;
    ctx->max_rows = max_rows;
    ctx->scores_rows = scores_rows;
    ctx->n_procs = omp_get_num_procs();
    ctx->n_keys = (int)n_keys;
    ctx->block = block;
    ctx->bytes = total * sizeof(float);
    ctx->rope_freq = (double *)rope_freq_floats;  // 64-byte aligned, as every slot
    if (rope) rope_frequencies(ctx->rope_freq, c);
    *out = ctx;
    return GPT_OK;
}

void gpt_context_free(gpt_context *ctx) {
    if (!ctx) return;
    free(ctx->block);
    free(ctx);
}

int gpt_context_n_ctx(const gpt_context *ctx) { return ctx->n_ctx; }
int gpt_context_max_rows(const gpt_context *ctx) { return ctx->max_rows; }
int gpt_context_n_seq(const gpt_context *ctx) { return ctx->n_seq; }
const gpt_model *gpt_context_model(const gpt_context *ctx) { return ctx->model; }
size_t gpt_context_bytes(const gpt_context *ctx) { return ctx->bytes; }

/* x (n) += y (n): the residual stream; threads split long ones (a plain
 * branch: libgomp allocates a team for a region whose `if` clause is false). */
static void add_rows(float *x, const float *y, size_t n) {
    if (n < 32768) {
        for (size_t i = 0; i < n; i++) x[i] += y[i];
        return;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

/* The cached key or value of (layer, seq, kv head, pos): head_dim floats,
 * or halves with an F16 cache.
 * Each kv head's positions lie together, so attention reads one run per
 * head. With the kv heads side by side in each position's row instead, a
 * head read head_dim floats a row apart (4 KB at the Qwen3-0.6B shape,
 * a page per position), and a SmolLM2-135M-shape decode after 2,048
 * positions ran 0.77-0.84x as fast as this (BENCHMARKS.md). */
static void *cache_at(const gpt_context *ctx, float *cache, int layer, int seq, int kv, int pos) {
    const gpt_config *c = &ctx->model->cfg;
    const size_t at = ((((size_t)layer * ctx->n_seq + seq) * c->n_kv_head + kv) * ctx->n_ctx + pos) * c->head_dim;
    return ctx->kv_f16 ? (void *)((uint16_t *)cache + at) : (void *)(cache + at);
}

/* The sliding window of this layer (W positions), or 0 for none. */
static int layer_window(const gpt_config *c, int layer) {
    return c->sliding_window && layer >= c->window_first_layer ? c->sliding_window : 0;
}

/* The first position a row at pos sees in this layer: pos - W + 1 inside a
 * sliding window of W, else 0. */
static int first_seen(const gpt_config *c, int layer, int pos) {
    const int window = layer_window(c, layer);
    return window && pos >= window ? pos - window + 1 : 0;
}

/* Threads for attention: group_rows rows of scores each (more threads
 * than the context was made for would run past them). */
static int attention_threads(const gpt_context *ctx) {
    const int threads = omp_get_max_threads(), most = ctx->scores_rows / group_rows(&ctx->model->cfg);
    return threads < most ? threads : most;
}

/* Row r's attention, query heads [h0, h0 + G) of one kv head (h0 / (n_head
 * / n_kv_head)): their queries against the sequence's keys (0 or the
 * window's start)..pos, softmax, the weighted sums of values, with scores
 * as scratch (min(G, ATTN_GROUP_MAX) rows of n_keys). One head goes to
 * attend_head, a group to attend_group, which reads each run of keys and
 * values once for all of them; the bits are the same either way. */
static void attend_task(gpt_context *ctx, int layer, const gpt_batch *b, int r, int h0, int G, float *scores) {
    const gpt_config *c = &ctx->model->cfg;
    const int NH = c->n_head, HD = c->head_dim, QD = NH * HD, KD = c->n_kv_head * HD;
    const int QKV = QD + 2 * KD, kv = h0 / (NH / c->n_kv_head), pos = b->pos[r], seq = b->seq[r];
    const void *K = cache_at(ctx, ctx->key_cache, layer, seq, kv, 0);    // (pos+1, HD)
    const void *V = cache_at(ctx, ctx->value_cache, layer, seq, kv, 0);  // (pos+1, HD)
    float *out = ctx->attn + (size_t)r * QD + h0 * HD;                    // (G, HD)
    const float *q = ctx->qkv + (size_t)r * QKV + h0 * HD;                // (G, HD)
    const int first = first_seen(c, layer, pos);
    const float scale = 1.0f / sqrtf((float)HD);
    if (G == 1 && !ctx->kv_f16) attend_head(out, q, K, V, HD, first, pos, HD, scale, scores);
    else attend_group(out, q, G, K, V, ctx->kv_f16, HD, first, pos, HD, scale, scores, ctx->n_keys);
}

/* At most this many bytes of keys and values are fetched ahead per task:
 * no more than the smallest L2 of current x86 cores (256 KB; Zen 4 has 1
 * MB), so that what is fetched first is still there when it is read. (A
 * SmolLM2 step at position 128 fetches 128 KB a thread.) */
#define FETCH_MAX_BYTES (256 * 1024)

/* Fetches into L2 the cached keys and values (the positions before pos,
 * up to FETCH_MAX_BYTES) of the kv heads that query heads [h0, h1) of one
 * row read. They were written a step ago, and a step reads far more than
 * the caches hold, so they come from memory. Read on demand, a head's HD
 * floats of a position at a time (256 bytes at HD 64), a cache row apart,
 * each position waited for its own miss: at the SmolLM2 shape attention was 0.5 ms of a 6-8 ms
 * decode step over 128 positions, and 0.15 ms when run again at once from
 * cache. With every miss asked for first, 0.32-0.38 ms (BENCHMARKS.md). */
static void fetch_keys_values(const gpt_context *ctx, int layer, int seq, int pos, int h0, int h1) {
    const gpt_config *c = &ctx->model->cfg;
    const int group = c->n_head / c->n_kv_head;
    size_t budget = FETCH_MAX_BYTES;
    for (int kv = h0 / group; h1 > h0 && kv <= (h1 - 1) / group; kv++) {
        const int first = first_seen(c, layer, pos);
        const char *K = cache_at(ctx, ctx->key_cache, layer, seq, kv, first);    // (pos - first, HD)
        const char *V = cache_at(ctx, ctx->value_cache, layer, seq, kv, first);  // (pos - first, HD)
        size_t bytes = (size_t)((const char *)cache_at(ctx, ctx->key_cache, layer, seq, kv, pos) - K);
        if (2 * bytes > budget) bytes = budget / 2;
        budget -= 2 * bytes;
        for (size_t i = 0; i < bytes; i += 64) {  // a 64-byte line
            __builtin_prefetch(K + i, 0, 2);
            __builtin_prefetch(V + i, 0, 2);
        }
        if (!budget) return;
    }
}

/* One row's attention, thread t of nt: a static share of the heads, their
 * keys and values fetched first (fetch_keys_values). The share's heads of
 * one kv head run as a group (attend_group: its keys and values read once
 * for them all, the same bits); one head at a time, SmolLM2 after 2,048
 * positions read its 96 MB of cache at a third of the weights' rate. */
static void attention_heads(gpt_context *ctx, int layer, const gpt_batch *b, int t, int nt) {
    const gpt_config *c = &ctx->model->cfg;
    const int NH = c->n_head, group = NH / c->n_kv_head, h0 = NH * t / nt, h1 = NH * (t + 1) / nt;
    float *scores = ctx->scores + (size_t)t * group_rows(c) * ctx->n_keys;  // (group_rows, n_keys)
    fetch_keys_values(ctx, layer, b->seq[0], b->pos[0], h0, h1);
    for (int h = h0; h < h1;) {
        const int end = (h / group + 1) * group < h1 ? (h / group + 1) * group : h1;  // this kv head's, in the share
        attend_task(ctx, layer, b, 0, h, end - h, scores);
        h = end;
    }
}

/* A row that sees at least this many positions runs its attention split
 * three ways (attention_row_split). */
#define SPLIT_MIN_POSITIONS 128

/* Whether one row at pos splits its attention three ways over nt threads:
 * a long enough span, and a row of scores for every head. */
static int row_splits(const gpt_context *ctx, int layer, int pos, int nt) {
    const gpt_config *c = &ctx->model->cfg;
    return nt >= 2 && pos - first_seen(c, layer, pos) + 1 >= SPLIT_MIN_POSITIONS && ctx->scores_rows >= c->n_head;
}

/* Waits for the team, or for the threads of the enclosing region. */
static void row_sync(ops_team *team) {
    if (team) ops_team_sync(team);
    else {
#pragma omp barrier
    }
}

/* One row's attention after a long context, thread t of nt, in three
 * steps with a wait after each of the first two:
 * 1. the scores of every head at the thread's part of the positions
 *    (each kv head's keys read once, for its query heads);
 * 2. the softmax of the thread's part of the heads;
 * 3. the weighted sums of the thread's part of the output, in 16-float
 *    columns of each kv head's heads (each value is one position-ordered
 *    fma chain, so a thread can take any of them).
 * Every thread has a like share of the work whatever the head counts. A
 * static share of the heads (attention_heads) leaves threads idle where
 * they outnumber the heads (9 at the SmolLM2 shape) and splits unevenly
 * where the heads do not divide (5 and 4 on 2 threads), and a kv head's
 * cache is read by each thread that holds one of its query heads. On the
 * 2-core Zen 3 of BENCHMARKS.md, where one thread reads memory nearly as
 * fast as two, this gained 2% at SmolLM2 after 512 and 2,048 positions
 * and 10% at 3 heads (medians of pairs in one process). The steps' bits are attend_group's (attend_scores,
 * attend_softmax, attend_weighted), so the split changes none. */
static void attention_row_split(gpt_context *ctx, int layer, const gpt_batch *b, int t, int nt, ops_team *team) {
    const gpt_config *c = &ctx->model->cfg;
    const int NH = c->n_head, NKV = c->n_kv_head, G = NH / NKV, HD = c->head_dim;
    const int pos = b->pos[0], seq = b->seq[0], lds = ctx->n_keys;
    const int first = first_seen(c, layer, pos), n = pos - first + 1;
    const float scale = 1.0f / sqrtf((float)HD);
    const float *q = ctx->qkv;   // (NH, HD) the row's queries
    float *out = ctx->attn;      // (NH, HD)
    float *scores = ctx->scores; // (NH, lds) a row a head

    const int p0 = first + (int)((long)n * t / nt), p1 = first + (int)((long)n * (t + 1) / nt) - 1;
    for (int kv = 0; kv < NKV && p0 <= p1; kv++)
        attend_scores(scores + (size_t)kv * G * lds, lds, q + (size_t)kv * G * HD, G,
                      cache_at(ctx, ctx->key_cache, layer, seq, kv, 0), ctx->kv_f16, HD, p0, p1, HD, scale);
    row_sync(team);
    for (int h = NH * t / nt; h < NH * (t + 1) / nt; h++)
        ctx->head_inv[h] = attend_softmax(scores + (size_t)h * lds, first, pos);
    row_sync(team);
    const int columns = (HD + 15) / 16, units = NKV * columns;  // 16-float columns of each kv head's outputs
    for (int u = units * t / nt, u_end = units * (t + 1) / nt; u < u_end;) {
        const int kv = u / columns, end = (kv + 1) * columns < u_end ? (kv + 1) * columns : u_end;
        const int d0 = (u - kv * columns) * 16, d1 = (end - kv * columns) * 16 < HD ? (end - kv * columns) * 16 : HD;
        attend_weighted(out + (size_t)kv * G * HD, scores + (size_t)kv * G * lds, lds, ctx->head_inv + kv * G, G,
                        cache_at(ctx, ctx->value_cache, layer, seq, kv, 0), ctx->kv_f16, HD, first, pos, HD, d0, d1);
        u = end;
    }
}

/* Several rows' attention, the calling thread's tasks of the shares: rows
 * (their keys and values fetched first), or with row_tasks 0, (row, head)
 * pairs. */
static void attention_tasks(gpt_context *ctx, int layer, const gpt_batch *b, int row_tasks, ops_work_share *shares,
                            int nt) {
    const int NH = ctx->model->cfg.n_head, NKV = ctx->model->cfg.n_kv_head, group = NH / NKV;
    const int n_tasks = row_tasks ? b->n : b->n * NH;
    float *scores = ctx->scores + (size_t)omp_get_thread_num() * group_rows(&ctx->model->cfg) * ctx->n_keys;
    int first, n;
    while ((n = ops_share_next(shares, nt, n_tasks, &first)) > 0)
        for (int task = first; task < first + n; task++) {
            if (!row_tasks) {
                attend_task(ctx, layer, b, task / NH, task % NH, 1, scores);
                continue;
            }
            fetch_keys_values(ctx, layer, b->seq[task], b->pos[task], 0, NH);
            for (int kv = 0; kv < NKV; kv++) attend_task(ctx, layer, b, task, kv * group, group, scores);
        }
}

/* Causal self-attention for each row (attend_task), each thread with its
 * own rows of scores. One row (a decode step) that sees SPLIT_MIN_POSITIONS
 * or more: split three ways (attention_row_split). A shorter one: each
 * thread takes a static share of the heads, fetches their keys and values
 * first (fetch_keys_values), and runs the share's heads of each kv head as
 * a group. At least two rows a thread (batch decode): a row a
 * task, taken dynamically (rows differ in length: ops_share_next), its
 * keys and values fetched first; 16 SmolLM2 rows a step ran 1.05x as fast
 * so as with (row, head) tasks and no fetch, 1.08x at 128 positions. Fewer
 * rows: (row, head) tasks, to keep every thread busy. Which thread takes a
 * task changes no bits. With a team, the calling thread's part, then the
 * team's barrier. */
static void attention(gpt_context *ctx, int layer, const gpt_batch *b, ops_team *team) {
    const int R = b->n, NH = ctx->model->cfg.n_head;
    if (team) {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        const int row_tasks = R >= 2 * nt, n_tasks = row_tasks ? R : R * NH;
        if (R == 1 && row_splits(ctx, layer, b->pos[0], nt)) attention_row_split(ctx, layer, b, t, nt, team);
        else if (R == 1) attention_heads(ctx, layer, b, t, nt);
        else {
            ops_share_own(team->shares, t, nt, n_tasks);
            attention_tasks(ctx, layer, b, row_tasks, team->shares, nt);
        }
        ops_team_sync(team);
        return;
    }
    const int threads = attention_threads(ctx), row_tasks = R >= 2 * threads, n_tasks = row_tasks ? R : R * NH;
    if (R == 1) {
#pragma omp parallel num_threads(threads)
        {
            const int t = omp_get_thread_num(), nt = omp_get_num_threads();
            if (row_splits(ctx, layer, b->pos[0], nt)) attention_row_split(ctx, layer, b, t, nt, NULL);
            else attention_heads(ctx, layer, b, t, nt);
        }
        return;
    }
    ops_work_share shares[threads];
    ops_shares_init(shares, threads, n_tasks);
#pragma omp parallel num_threads(threads)
    attention_tasks(ctx, layer, b, row_tasks, shares, threads);
}

/* Query rows of a prompt chunk per attention task. */
#define PROMPT_ATTN_ROWS 64

/* Attention for a prompt chunk: R rows of one sequence at consecutive
 * positions p0.. (attend_rows). Each kv head's keys 0..p0+R-1 are packed
 * once; then each task takes PROMPT_ATTN_ROWS rows of one query head, the
 * last rows (which see the most keys) first, with that many rows of scores
 * per thread. */
static void attention_chunk(gpt_context *ctx, int layer, const gpt_batch *b) {
    const gpt_config *c = &ctx->model->cfg;
    const int NH = c->n_head, NKV = c->n_kv_head, HD = c->head_dim, QD = NH * HD, KD = NKV * HD, R = b->n;
    const int QKV = QD + 2 * KD, group = NH / NKV;
    const int p0 = b->pos[0], N = p0 + R, seq = b->seq[0], lds = ctx->n_keys;
    const int window = layer_window(c, layer);
    const float scale = 1.0f / sqrtf((float)HD);
    const size_t packed = (size_t)lds * HD;  // floats of one kv head's keys
#pragma omp parallel for schedule(static)
    for (int kv = 0; kv < NKV; kv++) {
        attention_pack_keys(ctx->keys_packed + kv * packed, cache_at(ctx, ctx->key_cache, layer, seq, kv, 0),
                            ctx->kv_f16, HD, N, HD);
        if (ctx->kv_f16)  // attend_rows reads float values
            attention_widen(ctx->values_wide + kv * packed, cache_at(ctx, ctx->value_cache, layer, seq, kv, 0),
                            (size_t)N * HD);  // a kv head's positions lie together (cache_at)
    }

    const int n_blocks = (R + PROMPT_ATTN_ROWS - 1) / PROMPT_ATTN_ROWS;
    int threads = ctx->scores_rows / PROMPT_ATTN_ROWS, nt = omp_get_max_threads();
    if (threads < 1) threads = 1;  // then R <= max_rows < PROMPT_ATTN_ROWS: one block, all of scores
    if (threads > nt) threads = nt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int task = 0; task < n_blocks * NH; task++) {
        const int blk = n_blocks - 1 - task / NH, h = task % NH, r0 = blk * PROMPT_ATTN_ROWS;
        const int rows = R - r0 < PROMPT_ATTN_ROWS ? R - r0 : PROMPT_ATTN_ROWS;
        attend_rows(ctx->attn + (size_t)r0 * QD + h * HD, QD, ctx->qkv + (size_t)r0 * QKV + h * HD, QKV,
                    ctx->keys_packed + (h / group) * packed,
                    ctx->kv_f16 ? ctx->values_wide + (h / group) * packed
                                : cache_at(ctx, ctx->value_cache, layer, seq, h / group, 0),
                    HD, rows, p0 + r0, window, HD,
                    scale, ctx->scores + (size_t)omp_get_thread_num() * PROMPT_ATTN_ROWS * lds, lds);
    }
}

/* A chunk of one sequence's prompt, long enough for matrix products. */
static int is_prompt_chunk(const gpt_batch *b) {
    if (b->n <= OPS_SMALL_ROWS) return 0;  // few rows: the per-row path, the same as decoding
    for (int r = 1; r < b->n; r++)
        if (b->seq[r] != b->seq[0] || b->pos[r] != b->pos[0] + r) return 0;
    return 1;
}

static gpt_status check_batch(const gpt_context *ctx, const gpt_batch *b, char *err, size_t err_len) {
    const gpt_config *c = &ctx->model->cfg;
    if (!b || b->n <= 0 || !b->tokens || !b->pos || !b->seq)
        return gpt_fail(err, err_len, GPT_ERR_ARG, "empty batch");
    if (b->n > ctx->max_rows)
        return gpt_fail(err, err_len, GPT_ERR_ARG, "batch of %d rows exceeds the context's %d", b->n,
                        ctx->max_rows);
    for (int r = 0; r < b->n; r++) {
        if (b->tokens[r] < 0 || b->tokens[r] >= c->vocab_size)
            return gpt_fail(err, err_len, GPT_ERR_ARG, "token id %d is outside the vocabulary (0..%d)",
                            b->tokens[r], c->vocab_size - 1);
        if (b->seq[r] < 0 || b->seq[r] >= ctx->n_seq)
            return gpt_fail(err, err_len, GPT_ERR_ARG, "sequence %d is outside 0..%d", b->seq[r], ctx->n_seq - 1);
        if (b->pos[r] < 0 || b->pos[r] >= ctx->n_ctx)
            return gpt_fail(err, err_len, GPT_ERR_CONTEXT_FULL, "position %d is past the context length %d",
                            b->pos[r], ctx->n_ctx);
    }
    return GPT_OK;
}

/* out (R, n) += bias (n), rows ldo apart. */
static void add_bias(float *out, int ldo, const float *bias, int n, int R) {
    for (int r = 0; r < R; r++)
        for (int j = 0; j < n; j++) out[(size_t)r * ldo + j] += bias[j];
}

/* The block's norm: LayerNorm (weight and bias) or RMSNorm (weight). */
static void block_norm(const gpt_config *c, float *out, const float *in, const float *w, const float *b, int R) {
    if (c->rms_norm) rmsnorm(out, in, w, R, c->n_embd, c->layer_norm_epsilon);
    else layernorm(out, in, w, b, R, c->n_embd, c->layer_norm_epsilon);
}

/* Rows [r0, r1) of the residual stream: x += proj (its bias added first,
 * where there is one), then, with w, norm = the block's norm of x. With a
 * team a row at a time: each call a plain loop, no region inside the
 * step's (without one, the kernels split many rows across the threads). */
static void residual_rows(gpt_context *ctx, const float *bias, const float *w, const float *b, int r0, int r1,
                          const ops_team *team) {
    const gpt_config *c = &ctx->model->cfg;
    const size_t C = c->n_embd;
    const int step = team ? 1 : r1 - r0;
    for (int r = r0; r < r1; r += step) {
        if (bias) add_bias(ctx->proj + r * C, (int)C, bias, (int)C, step);
        add_rows(ctx->x + r * C, ctx->proj + r * C, step * C);
        if (w) block_norm(c, ctx->norm + r * C, ctx->x + r * C, w, b, step);
    }
}

/* Row r's query and key take their position (Qwen2: the q, k, v biases
 * first; Qwen3: each head normed, then rotated), and its key and value
 * join the cache. */
static void position_row(gpt_context *ctx, int layer, const gpt_batch *b, int r) {
    const gpt_layer *L = &ctx->model->layers[layer];
    const gpt_config *c = &ctx->model->cfg;
    const int HD = c->head_dim, QD = c->n_head * HD, KD = c->n_kv_head * HD, QKV = QD + 2 * KD;
    float *q = ctx->qkv + (size_t)r * QKV, *k = q + QD;  // (QD), (KD), the value after it
    if (L->qkv_b && !ctx->model->conv1d) add_bias(q, QKV, L->qkv_b, QKV, 1);  // Conv1D's product adds its own
    if (L->q_norm_w) {
        rmsnorm(q, q, L->q_norm_w, c->n_head, HD, c->layer_norm_epsilon);
        rmsnorm(k, k, L->k_norm_w, c->n_kv_head, HD, c->layer_norm_epsilon);
    }
    if (c->rope != GPT_ROPE_NONE) {
        const size_t at = (size_t)b->pos[r] * (HD / 2);
        rope_apply(q, ctx->rope_cos + at, ctx->rope_sin + at, c->n_head, HD);
        rope_apply(k, ctx->rope_cos + at, ctx->rope_sin + at, c->n_kv_head, HD);
    }
    for (int kv = 0; kv < c->n_kv_head; kv++) {
        void *key = cache_at(ctx, ctx->key_cache, layer, b->seq[r], kv, b->pos[r]);
        void *value = cache_at(ctx, ctx->value_cache, layer, b->seq[r], kv, b->pos[r]);
        if (!ctx->kv_f16) {
            memcpy(key, k + kv * HD, sizeof(float) * HD);
            memcpy(value, k + KD + kv * HD, sizeof(float) * HD);
            continue;
        }
        for (int d = 0; d < HD; d++) {  // rounded to the nearest half as they enter the cache
            ((uint16_t *)key)[d] = gpt_float_to_half(k[kv * HD + d]);
            ((uint16_t *)value)[d] = gpt_float_to_half(k[KD + kv * HD + d]);
        }
    }
}

/* The layers over the batch's rows, x holding their embeddings. With a
 * team (a decode step: every thread of one parallel region calls this),
 * each kernel runs the calling thread's part and waits at the team's
 * barrier, and the row-wise steps between them (norms, positions, the
 * residual) take the calling thread's rows. Without one each kernel opens
 * its own region. */
static void forward_layers(gpt_context *ctx, const gpt_batch *b, int chunk, ops_team *team) {
    const gpt_model *m = ctx->model;
    const gpt_config *c = &m->cfg;
    const int C = c->n_embd, H = c->n_inner, R = b->n;
    const int HD = c->head_dim, QD = c->n_head * HD, KD = c->n_kv_head * HD, QKV = QD + 2 * KD;
    int r0, r1;  // the calling thread's rows (all of them without a team)
    ops_team_part(team, R, &r0, &r1);
    const int step = team ? 1 : r1 - r0;  // rows a call: see residual_rows

    for (int r = r0; r < r1; r += step)
        block_norm(c, ctx->norm + (size_t)r * C, ctx->x + (size_t)r * C, m->layers[0].attn_norm_w,
                   m->layers[0].attn_norm_b, step);
    ops_team_sync(team);
    for (int l = 0; l < c->n_layer; l++) {
        const gpt_layer *L = &m->layers[l];
        if (m->conv1d) {  // GPT-2: one fused product
            matmul(ctx->qkv, ctx->norm, &L->qkv_w, L->qkv_b, R, ctx->panel, team);
        } else {
            const ops_product qkv[3] = {{ctx->qkv, QKV, &L->q_w}, {ctx->qkv + QD, QKV, &L->k_w},
                                        {ctx->qkv + QD + KD, QKV, &L->v_w}};
            const ops_next o_next = {{&L->o_w}, 1, 0};
            matmul_t_group(qkv, 3, ctx->norm, R, ctx->panel, &o_next, team);
        }
        for (int r = r0; r < r1; r++) position_row(ctx, l, b, r);
        ops_team_sync(team);
        if (chunk) attention_chunk(ctx, l, b);
        else attention(ctx, l, b, team);
        if (m->conv1d) matmul(ctx->proj, ctx->attn, &L->o_w, L->o_b, R, ctx->panel, team);
        else {
            const ops_product o = {ctx->proj, C, &L->o_w};
            const ops_next mlp_next = {{&L->gate_w, &L->up_w}, 2, 1};
            matmul_t_group(&o, 1, ctx->attn, R, ctx->panel, c->gated_silu ? &mlp_next : NULL, team);
        }
        residual_rows(ctx, m->conv1d ? NULL : L->o_b, L->mlp_norm_w, L->mlp_norm_b, r0, r1, team);
        ops_team_sync(team);

        const gpt_layer *N = l + 1 < c->n_layer ? &m->layers[l + 1] : NULL;  // the next layer, if any
        if (c->gated_silu) {  // down(silu(gate(x)) * up(x))
            const ops_next down_next = {{&L->down_w}, 1, 0};
            matmul_t_gated(ctx->mlp, ctx->mlp_up, H, ctx->norm, &L->gate_w, L->gate_b, &L->up_w, L->up_b, R,
                           ctx->panel, &down_next, team);
            /* then the next layer's q, k and v, or the head */
            const ops_next after = N ? (ops_next){{&N->q_w, &N->k_w, &N->v_w}, 3, 0} : (ops_next){{&m->lm_head}, 1, 0};
            const ops_product down = {ctx->proj, C, &L->down_w};
            matmul_t_group(&down, 1, ctx->mlp, R, ctx->panel, &after, team);
        } else {
            matmul(ctx->mlp, ctx->norm, &L->up_w, L->up_b, R, ctx->panel, team);
            for (int r = r0; r < r1; r += step) {
                float *h = ctx->mlp + (size_t)r * H;
                if (c->gelu_exact) gelu_erf(h, (size_t)step * H);
                else gelu_tanh(h, (size_t)step * H);
            }
            ops_team_sync(team);
            matmul(ctx->proj, ctx->mlp, &L->down_w, L->down_b, R, ctx->panel, team);
        }
        /* The residual, then the next layer's norm (the final norm waits for
         * the rows wanted) */
        residual_rows(ctx, m->conv1d ? NULL : L->down_b, N ? N->attn_norm_w : NULL, N ? N->attn_norm_b : NULL,
                      r0, r1, team);
        ops_team_sync(team);
    }
}

/* The threads of a decode step's team, or 0 for none: a step of at most
 * OPS_SMALL_ROWS rows (its kernels are our own; BLAS runs prompt chunks),
 * called outside any parallel region, on 2 to OPS_TEAM_MAX threads, no
 * more than the CPUs (the team's barrier spins) nor attention's rows of
 * scores. */
static int team_threads(const gpt_context *ctx, const gpt_batch *b, int chunk) {
    const int nt = omp_get_max_threads();
    if (chunk || b->n > OPS_SMALL_ROWS || omp_in_parallel()) return 0;
    if (nt < 2 || nt > OPS_TEAM_MAX || nt > ctx->n_procs || nt > ctx->scores_rows) return 0;
    return nt;
}

gpt_status gpt_forward(gpt_context *ctx, const gpt_batch *b, float *logits, char *err, size_t err_len) {
    gpt_status st = check_batch(ctx, b, err, err_len);
    if (st != GPT_OK) return st;
    const gpt_model *m = ctx->model;
    const gpt_config *c = &m->cfg;
    const int C = c->n_embd, R = b->n;
    const int chunk = is_prompt_chunk(b);

    /* The rotary tables' rows up to the batch's last position, once each
     * (check_batch holds positions below n_ctx). */
    if (c->rope != GPT_ROPE_NONE) {
        int rows = ctx->rope_made;
        for (int r = 0; r < R; r++) rows = b->pos[r] + 1 > rows ? b->pos[r] + 1 : rows;
        if (rows > ctx->rope_made)
            rope_rows(ctx->rope_cos, ctx->rope_sin, ctx->rope_freq, c->head_dim / 2, ctx->rope_made, rows);
        ctx->rope_made = rows;
    }

    /* x = wte[token] (+ wpe[pos] with learned positions) */
    for (int r = 0; r < R; r++) {
        float *x = ctx->x + (size_t)r * C;
        matrix_row(x, &m->wte, b->tokens[r]);
        if (!m->wpe.data) continue;
        matrix_row(ctx->embed, &m->wpe, b->pos[r]);
        for (int i = 0; i < C; i++) x[i] += ctx->embed[i];
    }

    const int nt = team_threads(ctx, b, chunk);
    if (nt) {
#pragma omp parallel num_threads(nt)
        forward_layers(ctx, b, chunk, &ctx->team);
    } else {
        forward_layers(ctx, b, chunk, NULL);
    }

    /* Gather the wanted rows, final norm, logits against the head. */
    int n_out = 0;
    for (int r = 0; r < R; r++) {
        int want = b->want_logits ? b->want_logits[r] != 0 : r == R - 1;
        if (!want) continue;
        if (n_out != r) memcpy(ctx->x + (size_t)n_out * C, ctx->x + (size_t)r * C, sizeof(float) * C);
        n_out++;
    }
    if (n_out == 0) return GPT_OK;
    block_norm(c, ctx->norm, ctx->x, m->ln_f_w, m->ln_f_b, n_out);
    matmul_t(logits, c->vocab_size, ctx->norm, &m->lm_head, n_out, ctx->panel, NULL);
    return GPT_OK;
}

/* ---- copying a sequence's cache (n samples share one prompt read) ----
 * For each layer, cache and kv head, positions 0..n_pos-1 of one sequence
 * lie together, from cache_at(.., 0) to cache_at(.., n_pos). */
gpt_status gpt_context_copy_seq(gpt_context *ctx, int dst, int src, int n_pos, char *err, size_t err_len) {
    if (dst < 0 || dst >= ctx->n_seq || src < 0 || src >= ctx->n_seq)
        return gpt_fail(err, err_len, GPT_ERR_ARG, "sequence %d or %d is outside 0..%d", dst, src, ctx->n_seq - 1);
    if (n_pos < 0 || n_pos > ctx->n_ctx)
        return gpt_fail(err, err_len, GPT_ERR_ARG, "%d positions to copy, the context holds %d", n_pos, ctx->n_ctx);
    if (dst == src || n_pos == 0) return GPT_OK;
    float *caches[2] = {ctx->key_cache, ctx->value_cache};
    for (int l = 0; l < ctx->model->cfg.n_layer; l++)
        for (int k = 0; k < 2; k++)
            for (int kv = 0; kv < ctx->model->cfg.n_kv_head; kv++) {
                const char *from = (const char *)cache_at(ctx, caches[k], l, src, kv, 0);
                size_t bytes = (size_t)((const char *)cache_at(ctx, caches[k], l, src, kv, n_pos) - from);
                memcpy(cache_at(ctx, caches[k], l, dst, kv, 0), from, bytes);
            }
    return GPT_OK;
}
