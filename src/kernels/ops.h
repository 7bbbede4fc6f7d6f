/* ops.h — the kernels of the forward pass. Output pointer first, inputs,
 * then sizes; no kernel allocates. Shapes are in comments: (R, C) means R
 * rows of C floats, row-major. */
#ifndef GPT_OPS_H
#define GPT_OPS_H

#include <stdatomic.h>

#include "internal.h"

/* ---- a decode step's team ----
 * A decode step runs its layers in one parallel region (gpt_forward). Each
 * kernel given a team runs the calling thread's part of its work and then
 * waits at the team's barrier, instead of opening a parallel region of its
 * own: on the 2-vCPU EPYC VM a fork and join cost 3 us and this barrier
 * 0.5 (libgomp's wakes the others with a system call), against 150 forks a
 * SmolLM2 step. Every thread of the region calls each kernel, with the
 * same arguments, and a team's kernels take at most OPS_SMALL_ROWS rows.
 * Kernels given NULL open their own region, as before. Which thread
 * computes an element changes none of its bits. */

/* A share of a parallel region's work items, taken from the front by its
 * owner and stolen from the back by the others (ops.c). */
typedef struct {
    _Alignas(64) _Atomic uint64_t span;  // the items not yet taken: first (low 32 bits), end (high 32)
} ops_work_share;

/* Threads a team may have. */
#define OPS_TEAM_MAX 64
typedef struct {
    _Alignas(64) atomic_uint arrived;     // threads at the barrier now
    _Alignas(64) atomic_uint generation;  // barriers passed
    ops_work_share shares[OPS_TEAM_MAX];  // the current kernel's shares, one a thread
} ops_team;

/* Waits until every thread of the calling team has called it (the team's
 * writes before it are seen after it). NULL: returns at once. */
void ops_team_sync(ops_team *team);

/* The calling thread's part [*i0, *i1) of n items under a static split of
 * the team (all of them without one). */
void ops_team_part(const ops_team *team, int n, int *i0, int *i1);

/* Dynamic tasks 0..n-1 of a region's threads: shares (nt of them, one a
 * thread) start with a static split; each thread takes its own from the
 * front, then steals from the others' backs. ops_shares_init sets them all
 * before a region; in a team each thread sets its own (ops_share_own:
 * a thief that comes before finds the share empty, as the last kernel left
 * it). ops_share_next returns how many tasks were taken (0: none left) and
 * *first the first of them. */
void ops_shares_init(ops_work_share *shares, int nt, int n);
void ops_share_own(ops_work_share *shares, int t, int nt, int n);
int ops_share_next(ops_work_share *shares, int nt, int n, int *first);

/* out (R, C) = LayerNorm(in (R, C)) * w (C) + b (C). out may alias in. */
void layernorm(float *out, const float *in, const float *w, const float *b, int R, int C, float eps);

/* In place: x[i] = exp(x[i] - shift), x[i] - shift clamped to [-87, 88]
 * (softmax's exponentials); the AVX2 and portable paths give the same bits. */
void exp_shifted(float *x, float shift, int n);

/* In place over n values: GELU, tanh form (gelu_new) or exact erf form. */
void gelu_tanh(float *x, size_t n);
void gelu_erf(float *x, size_t n);

/* In place over n values: gate[i] = silu(gate[i]) * up[i], silu(v) =
 * v / (1 + e^-v), the exponent clamped to [-87, 88] as in gelu_tanh; the
 * AVX2 and portable paths give the same bits. */
void silu_mul(float *gate, const float *up, size_t n);

/* Up to this many rows, matmul and matmul_t compute each output element in
 * one fixed order (bias, then a fused multiply-add per input, in input
 * order; dots in a fixed 16-lane tree), independent of R and of the thread
 * count: a row's result does not depend on the rows beside it. Above it,
 * BLAS runs the product. */
#define OPS_SMALL_ROWS 64

/* out (R, OC) = in (R, IC) @ W [IC, OC] + bias (OC, or NULL).
 * panel: scratch of matmul_scratch_floats(W) floats: packed weight blocks
 * for 2..OPS_SMALL_ROWS rows, widened 16-bit panels for BLAS above that
 * (F32 column panels: blocks of columns back in rows), the quantized
 * inputs for Q8. */
void matmul(float *out, const float *in, const gpt_matrix *W, const float *bias, int R, float *panel,
            ops_team *team);

/* matmul_t on F16/BF16 rows of at least this many inputs, on AVX-512, runs
 * prompts of more than OPS_SMALL_ROWS rows in the one-row order too (each
 * row the bits it has alone) instead of BLAS. */
#define OPS_TILED_PROMPT_MIN_COLS 1024

/* out (R, V) = in (R, C) @ W^T, W [V, C] (the LM head). ldo: row stride of out.
 * panel: scratch of matmul_panel_floats(C) floats. */
void matmul_t(float *out, int ldo, const float *in, const gpt_matrix *W, int R, float *panel, ops_team *team);

/* One product of matmul_t_group: out (R, ldo) = in @ W^T. */
typedef struct {
    float *out;
    int ldo;
    const gpt_matrix *W;
} ops_product;
#define OPS_GROUP_MAX 4
/* The product that follows (its matrices, and whether they are a gated
 * pair), so that each thread, done with its share of this one, fetches the
 * start of its share of that one while it waits for the others. */
typedef struct {
    const gpt_matrix *W[OPS_GROUP_MAX];
    int n;
    int gated;
} ops_next;
/* n (up to OPS_GROUP_MAX) products of the same input, each element the bits
 * matmul_t gives it; up to OPS_SMALL_ROWS rows they share one parallel
 * region. panel: scratch for the widest. next: the product after, or NULL. */
void matmul_t_group(const ops_product *p, int n, const float *in, int R, float *panel, const ops_next *next,
                    ops_team *team);
/* out (R, ldo) = silu(in @ Wg^T + bg) * (in @ Wu^T + bu), the gated MLP's
 * hidden layer, each element the bits of matmul_t, the bias and silu_mul;
 * up (R, ldo) is scratch for the up projection. Biases may be NULL. Up to
 * OPS_SMALL_ROWS rows the threads run the activation too. */
void matmul_t_gated(float *out, float *up, int ldo, const float *in, const gpt_matrix *Wg, const float *bg,
                    const gpt_matrix *Wu, const float *bu, int R, float *panel, const ops_next *next,
                    ops_team *team);

/* C (M, N) = alpha A (M, K) @ B + beta C, with trans_b B^T: BLAS on fixed
 * blocks of C split across the threads, so every element is the same bits
 * whatever the thread count. Row strides lda, ldb, ldc. */
void gemm_fixed_blocks(int trans_b, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                       int ldb, float beta, float *C, int ldc);

/* Scratch floats matmul_t needs for a matrix of `cols` columns, and matmul
 * for one of `cols` columns in rows or 16-bit column panels. */
size_t matmul_panel_floats(int cols);

/* Scratch floats matmul needs for W, whatever its layout. */
size_t matmul_scratch_floats(const gpt_matrix *W);

/* out (C) = row `row` of W, widened to float. */
void matrix_row(float *out, const gpt_matrix *W, int row);

/* Dot product of n floats. */
float dot_f32(const float *a, const float *b, int n);

/* out (HD) = sum over t in [first, last] of softmax(scale * q . K row t)
 * times V row t: one query head's causal attention over the cached rows of
 * its kv head. K and V point at that head's values at position 0; rows are
 * stride floats apart. scores: scratch of last + 1 floats. The same bits on
 * every path (see attention.c). */
void attend_head(float *out, const float *q, const float *K, const float *V, int stride, int first, int last,
                 int HD, float scale, float *scores);

/* Positions of one kv head's keys or values the grouped kernels take at a
 * time. */
#define ATTN_RUN 64

/* The kernels below read a kv head's cache as floats, or with kv_f16 as
 * IEEE halves (a 16-bit cache), widened as they are loaded (exactly, so
 * the bits are those of a float cache holding the rounded values). */

/* attend_head for G query heads of one kv head at once (q and out G x HD,
 * scores G rows of last + 1 floats, lds apart; at most ATTN_GROUP_MAX rows
 * are used, a larger group going in parts): each key and value is read
 * once for the G heads, and each head's output has attend_head's bits. */
#define ATTN_GROUP_MAX 8
void attend_group(float *out, const float *q, int G, const void *K, const void *V, int kv_f16, int stride, int first,
                  int last, int HD, float scale, float *scores, int lds);

/* attend_group's three steps, for a row's attention split over threads
 * (any split gives the same bits):
 * - attend_scores: scores (G rows lds apart) of G query heads of one kv
 *   head at positions [t0, t1], a part of the span;
 * - attend_softmax: one head's scores over the whole span [first, last]
 *   made its softmax weights in place (before the 1 / sum), which it
 *   returns;
 * - attend_weighted: values [d0, d1) of the G heads' outputs (out G x HD)
 *   over the span, with inv[g] the heads' 1 / sum. */
void attend_scores(float *scores, int lds, const float *q, int G, const void *K, int kv_f16, int stride, int t0,
                   int t1, int HD, float scale);
float attend_softmax(float *scores, int first, int last);
void attend_weighted(float *out, const float *scores, int lds, const float *inv, int G, const void *V, int kv_f16,
                     int stride, int first, int last, int HD, int d0, int d1);

/* out (n) = n IEEE halves widened exactly (an F16 cache's values for
 * attend_rows, which reads floats). */
void attention_widen(float *out, const uint16_t *in, size_t n);

/* Keys 0..N-1 of one kv head (K at position 0, rows stride elements
 * apart; halves with kv_f16, widened) packed for attend_rows: Kp
 * (ceil(N / 32), HD, 32), each block of 32 keys stored dimension by
 * dimension, the keys past N zero. */
void attention_pack_keys(float *Kp, const void *K, int kv_f16, int stride, int N, int HD);
/* Keys per block of attention_pack_keys. */
#define ATTN_KEY_BLOCK 32

/* out (n_rows, HD), rows ldo apart: causal attention of n_rows query rows
 * of one head (q, rows ldq apart) at positions pos0, pos0 + 1, .., against
 * its kv head's packed keys Kp and values V (position 0, rows stride
 * apart). Row r sees positions pos0 + r - window + 1 (not below 0; window
 * 0: from 0) to pos0 + r. scores: scratch of (n_rows, lds) floats, lds at
 * least pos0 + n_rows rounded up to ATTN_KEY_BLOCK. The same bits on every
 * path, and each row's independent of the others (see attention.c). */
void attend_rows(float *out, int ldo, const float *q, int ldq, const float *Kp, const float *V, int stride,
                 int n_rows, int pos0, int window, int HD, float scale, float *scores, int lds);

/* For tests: nonzero makes every kernel take its portable path (the same
 * bits as the AVX2 path, by construction); 0 restores the detection. */
void ops_force_portable(int on);

/* Nonzero when the CPU has AVX2, FMA and F16C (the AVX2 kernels' needs),
 * detected at run time. */
int cpu_avx2_fma_f16c(void);

/* For tests: nonzero keeps the Q8 products off AVX-512 VNNI (the AVX2
 * path, the same bits); 0 restores the detection. */
void ops_force_no_vnni(int on);
/* For tests: nonzero keeps every kernel off AVX-512 (the float head's
 * 512-bit tiles and Q8's VNNI: the AVX2 paths, the same bits); 0 restores
 * the detection. */
void ops_force_no_avx512(int on);
/* For tests: nonzero sends Q8 prompts of more than OPS_SMALL_ROWS rows to
 * BLAS on widened panels, as the portable path and a
 * -DGPT_Q8_INT8_PROMPTS=0 build do; 0 restores the default. */
void ops_force_q8_blas_prompts(int on);
/* Nonzero when the kernels take their AVX2 paths (not forced portable). */
int ops_avx2(void);
/* Nonzero when matmul_t's float products (F32, F16, BF16) run on AVX-512. */
int ops_head_avx512(void);
/* Nonzero when the Q8 products run on AVX-512 VNNI. */
int ops_q8_vnni(void);
/* Nonzero when Q8 products of more than OPS_SMALL_ROWS rows run as integer
 * dots too (on AVX2 and VNNI, unless built with -DGPT_Q8_INT8_PROMPTS=0). */
int ops_q8_int8_prompts(void);

/* The thread count the kernels use (and BLAS is told). */
int ops_threads(void);

#endif
