/* ops.c — kernels: layernorm, GELU, SiLU, matrix products over stored weights.
 *
 * Weights stay in the dtype they were stored in (F32, F16, BF16) and are
 * widened to float inside the kernels, so a decode step reads each weight's
 * stored bytes once. Large products (the prompt) go to BLAS; for 16-bit
 * weights a panel of rows is widened into caller scratch first.
 */
#include <math.h>
#include <sched.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdint.h>

#include "convert.h"
#include "layers.h"
#include "ops.h"
#include "quant.h"
#include "simd.h"

/* Rows of a product up to which our own kernels run it. They read the
 * weights once (BLAS packs them first), and they compute every output
 * element in one fixed order whatever the number of rows and threads, so a
 * decode row gives the same bits alone or beside 63 others. Generation
 * keeps its decode steps within this many rows. */
#define SMALL_ROWS OPS_SMALL_ROWS
/* Rows of a 16-bit matrix widened at a time for BLAS: the inputs of a
 * Conv1D block (matmul), which sets its sums' order; up to WIDEN_MAX_ROWS
 * output rows of an nn.Linear one (matmul_t, widen_chunk_rows). */
#define PANEL_ROWS 256
#define WIDEN_MAX_ROWS 512

/* Several-row products on AVX2 (head_block_avx2) fetch the
 * weights of the block of 16 rows AHEAD_BLOCKS ahead into L2, a slice a
 * tile (2 beat 1 and 4 in a 16 x 16 BF16 block test: 60% of the FMA peak
 * against 52% and 48%). */
#define AHEAD_BLOCKS 2

static int force_portable = 0;

void ops_force_portable(int on) { force_portable = on != 0; }

static int cpu_has_avx2(void) {
#if HAVE_X86
    static int cached = -1;
    if (force_portable) return 0;
    if (cached < 0)
        cached = cpu_avx2_fma_f16c();
    return cached;
#else
    return 0;
#endif
}

int ops_threads(void) { return omp_get_max_threads(); }
int ops_avx2(void) { return cpu_has_avx2(); }

/* The widest kernels this CPU runs: AVX-512 with VNNI (Q8's integer dots),
 * AVX-512 (the head tiles, the Llama family's tiles and decode walk), AVX2,
 * or the portable loops. */
const char *gpt_kernels(void) {
    if (!cpu_has_avx2()) return "portable";
    if (ops_q8_vnni()) return "avx512-vnni";
    return ops_head_avx512() ? "avx512" : "avx2";
}
/* Elementwise work below this many values stays on one thread: the
 * parallel region would cost more than it saves. Each value is computed
 * the same way either way. */
#define PAR_MIN 32768

/* One row: y (C) from x (C). */
static void layernorm_row(float *y, const float *x, const float *w, const float *b, int C, float eps) {
    /* Two passes in double: the mean first, then the variance about it,
     * so a large mean does not cancel the variance. */
    double sum = 0;
    for (int i = 0; i < C; i++) sum += x[i];
    double mean = sum / C;
    double var = 0;
    for (int i = 0; i < C; i++) var += (x[i] - mean) * (x[i] - mean);
    var /= C;
    float rstd = (float)(1.0 / sqrt(var + eps));
    float m = (float)mean;
    for (int i = 0; i < C; i++) y[i] = (x[i] - m) * rstd * w[i] + b[i];
}

/* A plain branch, not an `if` clause: libgomp still builds (allocates) a
 * one-thread team for a region whose clause is false, and the per-token
 * loop must not allocate. */
void layernorm(float *out, const float *in, const float *w, const float *b, int R, int C, float eps) {
    if ((size_t)R * C < PAR_MIN) {
        for (int r = 0; r < R; r++) layernorm_row(out + (size_t)r * C, in + (size_t)r * C, w, b, C, eps);
        return;
    }
#pragma omp parallel for schedule(static)
    for (int r = 0; r < R; r++) layernorm_row(out + (size_t)r * C, in + (size_t)r * C, w, b, C, eps);
}

/* GELU, tanh form, as a sigmoid: 0.5 v (1 + tanh(u)) = v / (1 + exp(-2u)),
 * u = sqrt(2/pi) (v + 0.044715 v^3). exp is computed here rather than by
 * libm (whose tanhf was a fifth of a prompt's time): 2^n times a degree-7
 * Taylor polynomial on [-ln2/2, ln2/2], every step a single IEEE operation
 * that the AVX2 lanes repeat exactly, so both paths give the same bits.
 * Measured against double: within 1.9e-6 of the value (the rounding of
 * z = -2u in float bounds it), where 0.5 v (1 + tanhf(u)) in float loses
 * up to 7% to cancellation near v = -4. */
#define EXP_MAX 88.0f   // exp(88) is finite in float
#define EXP_MIN -87.0f  // and exp(-87) is normal
static const float EXP_C[8] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f};
#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693145751953125f     // ln 2 in 16 bits: n * LN2_HI is exact
#define LN2_LO 1.42860682030941723e-6f  // ln 2 - LN2_HI
#define GELU_M2K -1.5957691216057308f   // -2 sqrt(2/pi)

static inline float clamp_exp_arg(float z) { return fminf(fmaxf(z, EXP_MIN), EXP_MAX); }

/* exp(z) for z already clamped to [EXP_MIN, EXP_MAX]: 2^n p(r), z = n ln2 + r. */
static inline float exp_clamped(float z) {
    float n = rintf(z * LOG2E);
    float r = fmaf(n, -LN2_LO, fmaf(n, -LN2_HI, z));
    float p = EXP_C[0];
    for (int k = 1; k < 8; k++) p = fmaf(p, r, EXP_C[k]);
    int32_t bits = ((int32_t)n + 127) << 23;  // 2^n
    float scale;
    memcpy(&scale, &bits, 4);
    return p * scale;
}

static inline float gelu_tanh_one(float v) {
    float inner = fmaf(0.044715f, (v * v) * v, v);
    float z = clamp_exp_arg(GELU_M2K * inner);
    /* Where exp saturates (v below about -10.6) GELU is zero to float
     * precision, which v / (1 + e^88) would not be for a huge v. */
    return z == EXP_MAX ? 0.0f * v : v / (1.0f + exp_clamped(z));
}

/* silu(g) * u = g / (1 + e^-g) * u, the exponent clamped as GELU's. Where
 * it saturates (g <= -88) silu is zero to float precision, which
 * g / (1 + e^88) would not be for a huge g; above g = 87 it is g itself. */
static inline float silu_mul_one(float g, float u) {
    float z = clamp_exp_arg(-g);
    return z == EXP_MAX ? 0.0f * g * u : g / (1.0f + exp_clamped(z)) * u;
}

#if HAVE_X86
/* exp_clamped on eight lanes, the same operations. */
TARGET_AVX2 static inline __attribute__((always_inline)) __m256 exp_clamped8(__m256 z) {
    __m256 nf = _mm256_round_ps(_mm256_mul_ps(z, _mm256_set1_ps(LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fmadd_ps(nf, _mm256_set1_ps(-LN2_HI), z);
    r = _mm256_fmadd_ps(nf, _mm256_set1_ps(-LN2_LO), r);
    __m256 p = _mm256_set1_ps(EXP_C[0]);
    for (int k = 1; k < 8; k++) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_C[k]));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(nf), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

TARGET_AVX2 static void gelu_tanh_avx2(float *x, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 inner = _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), _mm256_mul_ps(_mm256_mul_ps(v, v), v), v);
        __m256 z = _mm256_mul_ps(_mm256_set1_ps(GELU_M2K), inner);
        z = _mm256_min_ps(_mm256_max_ps(z, _mm256_set1_ps(EXP_MIN)), _mm256_set1_ps(EXP_MAX));
        __m256 y = _mm256_div_ps(v, _mm256_add_ps(_mm256_set1_ps(1.0f), exp_clamped8(z)));
        __m256 saturated = _mm256_cmp_ps(z, _mm256_set1_ps(EXP_MAX), _CMP_EQ_OQ);
        _mm256_storeu_ps(x + i, _mm256_blendv_ps(y, _mm256_mul_ps(_mm256_setzero_ps(), v), saturated));
    }
    for (; i < n; i++) x[i] = gelu_tanh_one(x[i]);
}

TARGET_AVX2 static void silu_mul_avx2(float *gate, const float *up, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i);
        __m256 z = _mm256_xor_ps(g, _mm256_set1_ps(-0.0f));  // -g, as the scalar negation
        z = _mm256_min_ps(_mm256_max_ps(z, _mm256_set1_ps(EXP_MIN)), _mm256_set1_ps(EXP_MAX));
        __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), exp_clamped8(z)));
        __m256 saturated = _mm256_cmp_ps(z, _mm256_set1_ps(EXP_MAX), _CMP_EQ_OQ);
        silu = _mm256_blendv_ps(silu, _mm256_mul_ps(_mm256_setzero_ps(), g), saturated);
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) gate[i] = silu_mul_one(gate[i], up[i]);
}

TARGET_AVX2 static void exp_shifted_avx2(float *x, float shift, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 z = _mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_set1_ps(shift));
        z = _mm256_min_ps(_mm256_max_ps(z, _mm256_set1_ps(EXP_MIN)), _mm256_set1_ps(EXP_MAX));
        _mm256_storeu_ps(x + i, exp_clamped8(z));
    }
    for (; i < n; i++) x[i] = exp_clamped(clamp_exp_arg(x[i] - shift));
}
#endif

void exp_shifted(float *x, float shift, int n) {
#if HAVE_X86
    if (cpu_has_avx2()) {
        exp_shifted_avx2(x, shift, n);
        return;
    }
#endif
    for (int i = 0; i < n; i++) x[i] = exp_clamped(clamp_exp_arg(x[i] - shift));
}

static void gelu_tanh_block(float *p, size_t m) {
#if HAVE_X86
    if (cpu_has_avx2()) {
        gelu_tanh_avx2(p, m);
        return;
    }
#endif
    for (size_t i = 0; i < m; i++) p[i] = gelu_tanh_one(p[i]);
}

void gelu_tanh(float *x, size_t n) {
    /* Blocks of 4096 values, split across threads when there are many
     * (a plain branch: see layernorm). */
    const size_t block = 4096, n_blocks = (n + block - 1) / block;
    if (n < PAR_MIN) {
        for (size_t b = 0; b < n_blocks; b++) gelu_tanh_block(x + b * block, n - b * block < block ? n - b * block : block);
        return;
    }
#pragma omp parallel for schedule(static)
    for (size_t b = 0; b < n_blocks; b++) gelu_tanh_block(x + b * block, n - b * block < block ? n - b * block : block);
}

static void silu_mul_block(float *gate, const float *up, size_t n) {
#if HAVE_X86
    if (cpu_has_avx2()) {
        silu_mul_avx2(gate, up, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) gate[i] = silu_mul_one(gate[i], up[i]);
}

/* Its own exponential, not libm's expf: with expf, silu_mul and expf were
 * 2.9% and 1.1% of a SmolLM2-shaped prompt's profile; now 0.6% in all. */
void silu_mul(float *gate, const float *up, size_t n) {
    const size_t block = 4096, n_blocks = (n + block - 1) / block;
    if (n < PAR_MIN) {
        silu_mul_block(gate, up, n);
        return;
    }
#pragma omp parallel for schedule(static)
    for (size_t b = 0; b < n_blocks; b++)
        silu_mul_block(gate + b * block, up + b * block, n - b * block < block ? n - b * block : block);
}

static inline float gelu_erf_one(float v) { return 0.5f * v * (1.0f + erff(v * 0.7071067811865476f)); }

void gelu_erf(float *x, size_t n) {
    if (n < PAR_MIN) {
        for (size_t i = 0; i < n; i++) x[i] = gelu_erf_one(x[i]);
        return;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) x[i] = gelu_erf_one(x[i]);
}

size_t matmul_panel_floats(int cols) { return (size_t)WIDEN_MAX_ROWS * (size_t)cols; }

void matrix_row(float *out, const gpt_matrix *W, int row) {
    if (W->dtype == GPT_DTYPE_Q8)
        dequantize_row_q8(out, W, row);
    else
        gpt_matrix_row_f32(out, W, row);
}

/* ---- dot products on floats ----------------------------------------- */


/* The same sums in the same order as the AVX2 kernels (16 lanes, then the
 * same reduction tree), so a machine without AVX2 gets the same bits. */
PORTABLE_CLONES static float dot_portable(const float *a, const void *b, gpt_dtype bt, size_t base, int n) {
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; l++) acc[l] = fmaf(a[i + l], load_one(b, bt, base + i + l), acc[l]);
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) acc[l] = fmaf(a[i + l], load_one(b, bt, base + i + l), acc[l]);
    float t[8];
    for (int l = 0; l < 8; l++) t[l] = acc[l] + acc[l + 8];
    float sum = ((t[0] + t[4]) + (t[1] + t[5])) + ((t[2] + t[6]) + (t[3] + t[7]));
    for (; i < n; i++) sum += a[i] * load_one(b, bt, base + i);
    return sum;
}

#if HAVE_X86
TARGET_AVX2 static float dot_avx2(const float *a, const float *b, int n);
#endif

float dot_f32(const float *a, const float *b, int n) {
#if HAVE_X86
    if (cpu_has_avx2()) return dot_avx2(a, b, n);
#endif
    return dot_portable(a, b, GPT_DTYPE_F32, 0, n);
}

/* ---- out (R, OC) = in (R, IC) @ W [IC, OC], few rows ----------------- */

/* Columns [j0, j1) of the product: each weight row is read once, for all R
 * rows of in, while those output columns stay in cache. */
PORTABLE_CLONES static void matmul_small_cols(float *out, const float *in, const gpt_matrix *W, const float *bias,
                              int R, int j0, int j1) {
    const int IC = W->rows, OC = W->cols;
    for (int r = 0; r < R; r++) {
        float *o = out + (size_t)r * OC;
        for (int j = j0; j < j1; j++) o[j] = bias ? bias[j] : 0.0f;
    }
    /* Each output: bias, then one fused multiply-add per input in order. */
    for (int i = 0; i < IC; i++) {
        for (int j = j0; j < j1; j++) {
            float w = load_one(W->data, W->dtype, gpt_matrix_index(W, i, j));
            for (int r = 0; r < R; r++) {
                float *o = &out[(size_t)r * OC + j];
                *o = fmaf(in[(size_t)r * IC + i], w, *o);
            }
        }
    }
}

#if HAVE_X86
/* Eight weight rows per pass: out is loaded and stored once per eight
 * fused multiply-adds, in input order, so each element still sees bias,
 * then i, i+1, ... i+7. dt is a constant in each specialized copy, so the
 * widening is chosen once, not per load. */
#define KROWS 8
TARGET_AVX2 static inline __attribute__((always_inline)) void small_cols_body(
    float *out, const float *in, const void *wd, const gpt_dtype dt, const float *bias, int R, int IC, int OC,
    int j0, int j1) {
    for (int r = 0; r < R; r++) {
        float *o = out + (size_t)r * OC;
        for (int j = j0; j < j1; j++) o[j] = bias ? bias[j] : 0.0f;
    }
    const int jv = j0 + ((j1 - j0) & ~15);  // end of the 16-wide part
    int i = 0;
    for (; i + KROWS <= IC; i += KROWS) {
        const size_t b = (size_t)i * OC;
        if (R == 1) {
            const size_t esize = dt == GPT_DTYPE_F32 ? 4 : 2;
            /* A thread's run of each weight row is short when the matrix is
             * narrow (768 halves split two ways: 768 bytes), too short for
             * the hardware prefetcher to get going on each of the eight
             * rows: fetch the next pass's rows ahead. (On long runs this
             * only costs: it slows the kernel in cache by a sixth.) */
            const int prefetch = (size_t)(j1 - j0) * esize <= 1024 && i + 2 * KROWS <= IC;
            __m256 x[KROWS];
            for (int k = 0; k < KROWS; k++) x[k] = _mm256_set1_ps(in[i + k]);
            int j = j0;
            for (; j < jv; j += 16) {
                /* The next pass's rows, a line each (16 floats, or 32 halves
                 * every other step) */
                if (prefetch && (dt == GPT_DTYPE_F32 || ((j - j0) & 31) == 0))
                    for (int k = 0; k < KROWS; k++)
                        _mm_prefetch((const char *)wd + (b + (size_t)(KROWS + k) * OC + j) * esize, _MM_HINT_T0);
                __m256 a0 = _mm256_loadu_ps(out + j), a1 = _mm256_loadu_ps(out + j + 8);
                for (int k = 0; k < KROWS; k++) {
                    a0 = _mm256_fmadd_ps(x[k], load8(wd, dt, b + (size_t)k * OC + j), a0);
                    a1 = _mm256_fmadd_ps(x[k], load8(wd, dt, b + (size_t)k * OC + j + 8), a1);
                }
                _mm256_storeu_ps(out + j, a0);
                _mm256_storeu_ps(out + j + 8, a1);
            }
            for (; j < j1; j++) {
                float a = out[j];
                for (int k = 0; k < KROWS; k++) a = fmaf(in[i + k], load_one(wd, dt, b + (size_t)k * OC + j), a);
                out[j] = a;
            }
        } else {
            /* Each widened weight vector meets every row of in. */
            int j = j0;
            for (; j < jv; j += 8) {
                __m256 w[KROWS];
                for (int k = 0; k < KROWS; k++) w[k] = load8(wd, dt, b + (size_t)k * OC + j);
                for (int r = 0; r < R; r++) {
                    const float *xr = in + (size_t)r * IC + i;
                    float *o = out + (size_t)r * OC + j;
                    __m256 a = _mm256_loadu_ps(o);
                    for (int k = 0; k < KROWS; k++) a = _mm256_fmadd_ps(_mm256_broadcast_ss(xr + k), w[k], a);
                    _mm256_storeu_ps(o, a);
                }
            }
            for (; j < j1; j++)
                for (int r = 0; r < R; r++) {
                    const float *xr = in + (size_t)r * IC + i;
                    float *o = out + (size_t)r * OC + j;
                    float a = *o;
                    for (int k = 0; k < KROWS; k++) a = fmaf(xr[k], load_one(wd, dt, b + (size_t)k * OC + j), a);
                    *o = a;
                }
        }
    }
    for (; i < IC; i++) {
        size_t b0 = (size_t)i * OC;
        for (int r = 0; r < R; r++) {
            float x = in[(size_t)r * IC + i];
            float *o = out + (size_t)r * OC;
            int j = j0;
            for (; j + 8 <= j1; j += 8)
                _mm256_storeu_ps(o + j, _mm256_fmadd_ps(_mm256_set1_ps(x), load8(wd, dt, b0 + j), _mm256_loadu_ps(o + j)));
            for (; j < j1; j++) o[j] = fmaf(x, load_one(wd, dt, b0 + j), o[j]);
        }
    }
}

/* One input row, W in column panels (gpt_matrix.col_panels): out[j] for j
 * in [j0, j1), multiples of GPT_PANEL_COLS. A panel's 64 sums sit in eight
 * registers while the inputs go by in order: each output is the bias, then
 * one fused multiply-add per input in order (small_cols_body's bits), and
 * the thread's columns are one sequential run of memory, where in rows they
 * were a short run of each weight row. NS panels (1 or 2) run side by side,
 * starting at columns jj[0], jj[1], sharing each input's broadcast. The
 * loops are unrolled so that the sums live in registers (14 of a pair's 16;
 * the broadcast takes one more): without it gcc kept every sum on the
 * stack, a load and a store around every fma (GPT-2 124M
 * one-row decode 1.17x F32, 1.15x F16 as fast unrolled, in process). */
TARGET_AVX2 static inline __attribute__((always_inline)) void panels_body(float *out, const float *in,
                                                                        const void *wd, const gpt_dtype dt,
                                                                        const float *bias, int IC, const int jj[2],
                                                                        const int NS) {
    __m256 acc[2][GPT_PANEL_COLS / 8];  // acc[s]: panel s's 64 sums
#pragma GCC unroll 2
    for (int s = 0; s < NS; s++)
#pragma GCC unroll 8
        for (int c = 0; c < GPT_PANEL_COLS / 8; c++)
            acc[s][c] = bias ? _mm256_loadu_ps(bias + jj[s] + 8 * c) : _mm256_setzero_ps();
    for (int i = 0; i < IC; i++) {
        const __m256 x = _mm256_set1_ps(in[i]);
#pragma GCC unroll 2
        for (int s = 0; s < NS; s++) {
            const size_t row = (size_t)jj[s] * IC + (size_t)i * GPT_PANEL_COLS;  // panel jj / 64 starts at 64 (jj / 64) IC
#pragma GCC unroll 8
            for (int c = 0; c < GPT_PANEL_COLS / 8; c++) acc[s][c] = _mm256_fmadd_ps(x, load8(wd, dt, row + 8 * c), acc[s][c]);
        }
    }
#pragma GCC unroll 2
    for (int s = 0; s < NS; s++)
#pragma GCC unroll 8
        for (int c = 0; c < GPT_PANEL_COLS / 8; c++) _mm256_storeu_ps(out + jj[s] + 8 * c, acc[s][c]);
}

/* The thread's panels as two streams, the first half of them beside the
 * second: with one sequential stream a thread, perf of GPT-2 124M's F32
 * decode on Zen 3 found the panels about a fifth slower a byte than the
 * head, which walks two far-apart streams (float_dot2). One row of GPT-2
 * 124M decoded 1.12x (F32) and 1.13x (F16) as fast so, in process, and
 * four streams no faster than two (BENCHMARKS.md). An odd panel out runs
 * alone. */
TARGET_AVX2 static inline __attribute__((always_inline)) void panel_cols_body(float *out, const float *in,
                                                                            const void *wd, const gpt_dtype dt,
                                                                            const float *bias, int IC, int j0,
                                                                            int j1) {
    const int n = (j1 - j0) / GPT_PANEL_COLS, half = (n + 1) / 2;
    for (int p = 0; p < n - half; p++) {
        const int jj[2] = {j0 + p * GPT_PANEL_COLS, j0 + (half + p) * GPT_PANEL_COLS};
        panels_body(out, in, wd, dt, bias, IC, jj, 2);
    }
    if (n % 2) {
        const int jj[2] = {j0 + (half - 1) * GPT_PANEL_COLS, 0};
        panels_body(out, in, wd, dt, bias, IC, jj, 1);
    }
}

TARGET_AVX2 static void matmul_panel_cols_avx2(float *out, const float *in, const gpt_matrix *W, const float *bias,
                                               int j0, int j1) {
    switch (W->dtype) {
    case GPT_DTYPE_F16: panel_cols_body(out, in, W->data, GPT_DTYPE_F16, bias, W->rows, j0, j1); break;
    case GPT_DTYPE_BF16: panel_cols_body(out, in, W->data, GPT_DTYPE_BF16, bias, W->rows, j0, j1); break;
    default: panel_cols_body(out, in, W->data, GPT_DTYPE_F32, bias, W->rows, j0, j1); break;
    }
}

TARGET_AVX2 static void matmul_small_cols_avx2(float *out, const float *in, const gpt_matrix *W,
                                               const float *bias, int R, int j0, int j1) {
    const int IC = W->rows, OC = W->cols;
    if (W->col_panels) {  // rows of W only (panel matrices reach here only off panel edges)
        matmul_small_cols(out, in, W, bias, R, j0, j1);
        return;
    }
    switch (W->dtype) {
    case GPT_DTYPE_F16: small_cols_body(out, in, W->data, GPT_DTYPE_F16, bias, R, IC, OC, j0, j1); break;
    case GPT_DTYPE_BF16: small_cols_body(out, in, W->data, GPT_DTYPE_BF16, bias, R, IC, OC, j0, j1); break;
    default: small_cols_body(out, in, W->data, GPT_DTYPE_F32, bias, R, IC, OC, j0, j1); break;
    }
}

/* Many rows. A tile of NR rows (up to 6) x 16 columns sits in twelve
 * registers while the sum runs over a block of inputs [i0, i0 + n) in
 * order; it starts from the bias at i0 = 0 and from the partial sums in
 * out after that, and a float stored and loaded back is the same float, so
 * each element gets exactly the chain matmul_small_cols_avx2 gives it
 * (bias, then one fused multiply-add per input in order) while each weight
 * load serves NR rows. wp is the block's weights for the tile, packed
 * (n, 16): the tile's lines in W are a whole weight row apart, and with
 * rows of 3072 floats they all fall in one L1 set. */
#define K_BLOCK 128
_Static_assert(K_BLOCK + 1 <= PANEL_ROWS, "matmul_small packs K_BLOCK rows of W into the panel");
TARGET_AVX2 static inline __attribute__((always_inline)) void tile_body(
    float *out, int OC, const float *in, int IC, const float *wp, int n, const float *bias, int i0, int j,
    const int NR) {
    __m256 acc[6][2];
    if (i0 == 0) {
        __m256 b0 = bias ? _mm256_loadu_ps(bias + j) : _mm256_setzero_ps();
        __m256 b1 = bias ? _mm256_loadu_ps(bias + j + 8) : _mm256_setzero_ps();
#pragma GCC unroll 6
        for (int r = 0; r < NR; r++) acc[r][0] = b0, acc[r][1] = b1;
    } else {
#pragma GCC unroll 6
        for (int r = 0; r < NR; r++) {
            acc[r][0] = _mm256_loadu_ps(out + (size_t)r * OC + j);
            acc[r][1] = _mm256_loadu_ps(out + (size_t)r * OC + j + 8);
        }
    }
    const float *x = in + i0;
    for (int k = 0; k < n; k++, wp += 16, x++) {
        __m256 w0 = _mm256_loadu_ps(wp), w1 = _mm256_loadu_ps(wp + 8);
#pragma GCC unroll 6
        for (int r = 0; r < NR; r++) {
            __m256 xr = _mm256_broadcast_ss(x + (size_t)r * IC);
            acc[r][0] = _mm256_fmadd_ps(xr, w0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(xr, w1, acc[r][1]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < NR; r++) {
        _mm256_storeu_ps(out + (size_t)r * OC + j, acc[r][0]);
        _mm256_storeu_ps(out + (size_t)r * OC + j + 8, acc[r][1]);
    }
}

TARGET_AVX2 static void tile_avx2(float *out, int OC, const float *in, int IC, const float *wp, int n,
                                  const float *bias, int i0, int j, int nr) {
    switch (nr) {  // one copy per row count, so the loops unroll
    case 1: tile_body(out, OC, in, IC, wp, n, bias, i0, j, 1); break;
    case 2: tile_body(out, OC, in, IC, wp, n, bias, i0, j, 2); break;
    case 3: tile_body(out, OC, in, IC, wp, n, bias, i0, j, 3); break;
    case 4: tile_body(out, OC, in, IC, wp, n, bias, i0, j, 4); break;
    case 5: tile_body(out, OC, in, IC, wp, n, bias, i0, j, 5); break;
    default: tile_body(out, OC, in, IC, wp, n, bias, i0, j, 6); break;
    }
}

/* Packs the block of weight rows [i0, i0+n), columns [j0, j0 + 16 * n_tiles),
 * widened, tile by tile: tile t is wp + t * (n + 1) * 16, (n, 16). The
 * weights are read along their rows, which the hardware prefetchers follow
 * (a tile's own lines are a whole weight row apart, and rows of 768 or 3072
 * floats put them all in one cache set). The extra line between tiles
 * keeps the scattered stores out of one cache set too. Column panels are
 * read panel by panel (j0 is a panel edge: matmul_small's chunks keep
 * panels whole), each one sequential run: along the rows, every row's
 * 128 bytes of a panel were a run of their own, and the pack was 44% of a
 * 16-sequence GPT-2 124M BF16 step (panel by panel: 1.38x the step, in
 * process). */
TARGET_AVX2 static inline __attribute__((always_inline)) void pack_body(float *wp, const gpt_matrix *W,
                                                                      const gpt_dtype dt, int i0, int n, int j0,
                                                                      int n_tiles) {
    const int panel_tiles = W->col_panels ? GPT_PANEL_COLS / 16 : n_tiles;  // tiles read as one run per row
    for (int t0 = 0; t0 < n_tiles; t0 += panel_tiles)
        for (int k = 0; k < n; k++)
            for (int t = t0; t < t0 + panel_tiles && t < n_tiles; t++) {
                float *dst = wp + (size_t)t * (n + 1) * 16 + (size_t)k * 16;
                const size_t src = gpt_matrix_index(W, i0 + k, j0 + 16 * t);  // 16 columns in a row either way
                _mm256_storeu_ps(dst, load8(W->data, dt, src));
                _mm256_storeu_ps(dst + 8, load8(W->data, dt, src + 8));
            }
}

TARGET_AVX2 static void pack_avx2(float *wp, const gpt_matrix *W, int i0, int n, int j0, int n_tiles) {
    switch (W->dtype) {
    case GPT_DTYPE_F16: pack_body(wp, W, GPT_DTYPE_F16, i0, n, j0, n_tiles); break;
    case GPT_DTYPE_BF16: pack_body(wp, W, GPT_DTYPE_BF16, i0, n, j0, n_tiles); break;
    default: pack_body(wp, W, GPT_DTYPE_F32, i0, n, j0, n_tiles); break;
    }
}

/* Columns [j0, j1) for R rows: input block by input block (packed once
 * into wp, (K_BLOCK + 1) x (j1 - j0) floats), tile by tile, each
 * tile's rows in groups of six. Columns past the last full tile of 16 go
 * to the one-row kernel. */
TARGET_AVX2 static void matmul_tiled_cols_avx2(float *out, const float *in, const gpt_matrix *W,
                                               const float *bias, int R, int j0, int j1, float *wp) {
    const int IC = W->rows, OC = W->cols;
    const int n_tiles = (j1 - j0) / 16, j_full = j0 + 16 * n_tiles;
    for (int i0 = 0; i0 < IC; i0 += K_BLOCK) {
        int n = IC - i0 < K_BLOCK ? IC - i0 : K_BLOCK;
        pack_avx2(wp, W, i0, n, j0, n_tiles);
        for (int t = 0; t < n_tiles; t++)
            for (int r0 = 0; r0 < R; r0 += 6) {
                int nr = R - r0 < 6 ? R - r0 : 6;
                tile_avx2(out + (size_t)r0 * OC, OC, in + (size_t)r0 * IC, IC, wp + (size_t)t * (n + 1) * 16, n, bias, i0,
                          j0 + 16 * t, nr);
            }
    }
    if (j_full < j1) matmul_small_cols_avx2(out, in, W, bias, R, j_full, j1);
}
#endif

/* Output columns [j0, j1) of a product of up to SMALL_ROWS rows. */
static void matmul_small_chunk(float *out, const float *in, const gpt_matrix *W, const float *bias, int R, int j0,
                               int j1, float *panel) {
#if HAVE_X86
    if (cpu_has_avx2() && R >= 2) {  // each chunk packs into its own columns of panel
        matmul_tiled_cols_avx2(out, in, W, bias, R, j0, j1, panel + (size_t)(K_BLOCK + 1) * j0);
        return;
    }
    if (cpu_has_avx2() && W->col_panels) {  // one row; j0, j1 panel edges (matmul_small)
        matmul_panel_cols_avx2(out, in, W, bias, j0, j1);
        return;
    }
    if (cpu_has_avx2()) {  // one row, rows of W
        matmul_small_cols_avx2(out, in, W, bias, R, j0, j1);
        return;
    }
#endif
    (void)panel;
    matmul_small_cols(out, in, W, bias, R, j0, j1);
}

static void matmul_small(float *out, const float *in, const gpt_matrix *W, const float *bias, int R, float *panel,
                         ops_team *team) {
    const int OC = W->cols;
    int nt = team ? omp_get_num_threads() : omp_get_max_threads();
    /* Column chunks, a multiple of 16 wide, one or more per thread. */
    int chunk = (OC + nt - 1) / nt;
    const int align = W->col_panels ? GPT_PANEL_COLS : 16;  // panels stay whole
    chunk = (chunk + align - 1) / align * align;
    if (chunk < 64) chunk = 64;
    int n_chunks = (OC + chunk - 1) / chunk;
    if (team) {  // the same chunks, a static part each
        int c0, c1;
        ops_team_part(team, n_chunks, &c0, &c1);
        for (int c = c0; c < c1; c++)
            matmul_small_chunk(out, in, W, bias, R, c * chunk, c * chunk + chunk < OC ? c * chunk + chunk : OC, panel);
        ops_team_sync(team);
        return;
    }
    if (n_chunks == 1) {  // a plain branch: see layernorm
        matmul_small_chunk(out, in, W, bias, R, 0, OC, panel);
        return;
    }
#pragma omp parallel for schedule(static)
    for (int c = 0; c < n_chunks; c++) {
        int j0 = c * chunk, j1 = j0 + chunk < OC ? j0 + chunk : OC;
        matmul_small_chunk(out, in, W, bias, R, j0, j1, panel);
    }
}

/* ---- BLAS on fixed blocks ------------------------------------------- */

/* C (M, N) = alpha A (M, K) @ B + beta C, B (K, N) or with trans_b B^T for
 * B (N, K); lda, ldb, ldc are row strides. The product runs as one
 * single-threaded BLAS call per block of C (GEMM_ROWS rows, GEMM_COLS
 * columns or gemm_cols's), the blocks split across our threads. The blocks
 * depend on M and N alone, so each element's bits do not depend on the
 * thread count: OpenBLAS's own
 * threading cuts the work by thread count, and its edge kernels sum in
 * other orders. (OpenBLAS's OpenMP build runs single-threaded inside a
 * parallel region.) The blocks go a column of blocks at a time, so the
 * static split gives every thread its part of each row of blocks: row by
 * row, a 300-row prompt gave one thread the 256-row blocks and the other
 * the 44-row ones (a 300-token GPT-2 124M prompt: 0.70x the time so in
 * F32, 0.73x in BF16, in process; at 512 the same). */
#define GEMM_ROWS 256
#define GEMM_COLS 256
/* Columns of a block of C when B is not transposed (the Conv1D products,
 * in rows or in F32 panels): 128 where the rows are one block and 256
 * columns would leave few blocks to share (GPT-2's 768-wide products were 3
 * blocks on 2 threads: prompts of 100-256 tokens 1.06-1.14x as fast so,
 * GPT-2 124M F32 and BF16, in process). M and N alone choose it, so the bits
 * do not depend on the threads. */
static int gemm_cols(int M, int N) { return M <= GEMM_ROWS && N > GEMM_COLS ? GEMM_COLS / 2 : GEMM_COLS; }

/* The first of [start, start + n) in a static split of n_items among nt
 * threads, as OpenMP's schedule(static) splits them. */
static void static_share(int n_items, int t, int nt, int *start, int *count) {
    const int q = n_items / nt, r = n_items % nt;
    *count = q + (t < r);
    *start = t * q + (t < r ? t : r);
}

/* The buffers of K x GEMM_COLS floats gemm_blocks's threads put an F32
 * matrix's column panels back in rows in (matmul_scratch_floats): the
 * threads beyond that many sit out, and two per block of columns keep every
 * thread busy for prompts of up to 512 rows. */
#define PANEL_GATHER_BUFFERS(n_col_blocks) (2 * (n_col_blocks))

/* gemm_fixed_blocks, or with panels (an F32 matrix (K, N) in column panels,
 * B and ldb unused) its blocks and BLAS calls on each block's columns put
 * back in rows in the calling thread's buffer in scratch: the same floats
 * in the same calls, so the bits of the rows layout (a mapped file), which
 * widening in blocks of inputs, as 16-bit weights go, would not keep. The
 * blocks go a column of blocks at a time, so a thread puts a block of
 * columns back once for all the rows of A, and BLAS packs it from cache:
 * that costs 2-5% of a 512-token GPT-2 124M prompt against the rows (in
 * process), where one copy of the whole matrix first cost 8%. */
static void gemm_blocks(int trans_b, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                        int ldb, float beta, float *C, int ldc, const gpt_matrix *panels, float *scratch) {
    const int GC = trans_b ? GEMM_COLS : gemm_cols(M, N);  // columns of a block
    const int mb = (M + GEMM_ROWS - 1) / GEMM_ROWS, nb = (N + GC - 1) / GC;
    const int buffers = PANEL_GATHER_BUFFERS((N + GEMM_COLS - 1) / GEMM_COLS);  // with panels: one a thread
    int nt = omp_get_max_threads();
    if (panels && nt > buffers) nt = buffers;
    /* Always a parallel region, even for one block: outside one, OpenBLAS
     * would thread the call itself. */
#pragma omp parallel num_threads(nt)
    {
        const int t = omp_get_thread_num();
        float *rows = panels ? scratch + (size_t)t * K * GEMM_COLS : NULL;  // (K, n) a block's columns, in rows
        int first, count, have = -1;  // have: the block of columns in rows
        static_share(mb * nb, t, omp_get_num_threads(), &first, &count);
        for (int b = first; b < first + count; b++) {
            const int m0 = b % mb * GEMM_ROWS, n0 = b / mb * GC;
            const int m = M - m0 < GEMM_ROWS ? M - m0 : GEMM_ROWS, n = N - n0 < GC ? N - n0 : GC;
            const float *Bb = rows;  // this block's B, rows ldbb apart
            int ldbb = n;
            if (!panels) {
                Bb = trans_b ? B + (size_t)n0 * ldb : B + n0;
                ldbb = ldb;
            }
            for (int c = 0; panels && have != b / mb && c < n; c += GPT_PANEL_COLS) {
                const float *panel = (const float *)panels->data + (size_t)(n0 + c) * K;  // (K, 64)
                for (int r = 0; r < K; r++)
                    memcpy(rows + (size_t)r * n + c, panel + (size_t)r * GPT_PANEL_COLS,
                           sizeof(float) * GPT_PANEL_COLS);
            }
            have = b / mb;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, K, alpha,
                        A + (size_t)m0 * lda, lda, Bb, ldbb, beta, C + (size_t)m0 * ldc + n0, ldc);
        }
    }
}

void gemm_fixed_blocks(int trans_b, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                       int ldb, float beta, float *C, int ldc) {
    gemm_blocks(trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL, NULL);
}

/* Weight rows of an nn.Linear matrix widened per gemm_fixed_blocks call
 * (matmul_t's prompts), for R input rows: a multiple of GEMM_COLS, so the
 * blocks, and the bits, are those of any other multiple. 256 where the
 * blocks of one call split evenly among the threads, else 512: with 256, a
 * prompt of up to 256 rows was one block on one thread, and 300 rows were a
 * 256-row block for one thread and a 44-row one for the other (SmolLM2
 * shape in BF16, in process: 128 rows 1.60x as fast with 512, 300 rows
 * 1.36x; Qwen2.5 1.52x and 1.39x; at 512 rows, 512 ran at 0.96-0.97x, the
 * widened rows no longer in L2). */
static int widen_chunk_rows(int R) {
    const int mb = (R + GEMM_ROWS - 1) / GEMM_ROWS, nt = omp_get_max_threads();
    return nt == 1 || (R % GEMM_ROWS == 0 && mb % nt == 0) ? GEMM_COLS : WIDEN_MAX_ROWS;
}
_Static_assert(WIDEN_MAX_ROWS % GEMM_COLS == 0 && PANEL_ROWS <= WIDEN_MAX_ROWS, "widen_chunk_rows");

#if HAVE_X86
/* out (C) = row `row` of an F16 or BF16 matrix, eight values per step: the
 * same floats as gpt_matrix_row_f32 (both conversions are exact). */
TARGET_AVX2 static void widen_row_avx2(float *out, const gpt_matrix *W, int row) {
    const int n = W->cols, run = W->col_panels ? GPT_PANEL_COLS : n;  // values stored side by side
    for (int c = 0; c < n; c += run) {
        const size_t base = gpt_matrix_index(W, row, c);
        int i = 0;
        if (W->dtype == GPT_DTYPE_F16)
            for (; i + 8 <= run; i += 8) _mm256_storeu_ps(out + c + i, load8(W->data, GPT_DTYPE_F16, base + i));
        else
            for (; i + 8 <= run; i += 8) _mm256_storeu_ps(out + c + i, load8(W->data, GPT_DTYPE_BF16, base + i));
        for (; i < run; i++) out[c + i] = load_one(W->data, W->dtype, base + i);
    }
}
#endif

#if HAVE_X86
/* out (16, ldo) = the 16 rows of a whole Q8 panel (blocks nb) widened, each
 * value scale x (q + 128 - 128) as dequantize_row_q8 makes it: per block
 * and quad k, 8 bytes (two rows' quads) at a time, stored as two rows'
 * four values. */
TARGET_AVX2 static void widen_q8_panel_avx2(float *out, size_t ldo, const gpt_q8_panel_block *panel, int nb) {
    const __m256i bias = _mm256_set1_epi32(128);
    for (int b = 0; b < nb; b++) {
        __m256 scale[8];  // scale[i]: row 2i's scale in the low four lanes, row 2i + 1's in the high
        for (int i = 0; i < 8; i++)
            scale[i] = _mm256_set_m128(_mm_set1_ps(panel[b].scale[2 * i + 1]), _mm_set1_ps(panel[b].scale[2 * i]));
        for (int k = 0; k < 8; k++)
            for (int i = 0; i < 8; i++) {
                const __m128i quads = _mm_loadl_epi64((const __m128i *)(panel[b].q[k] + 8 * i));
                const __m256 v = _mm256_mul_ps(
                    scale[i], _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepu8_epi32(quads), bias)));
                float *row = out + (size_t)(2 * i) * ldo + GPT_Q8_BLOCK * b + 4 * k;
                _mm_storeu_ps(row, _mm256_castps256_ps128(v));
                _mm_storeu_ps(row + ldo, _mm256_extractf128_ps(v, 1));
            }
    }
}
#endif

/* Widens rows [r0, r0+n) of W into panel (n, W->cols). */
static void widen_rows(float *panel, const gpt_matrix *W, int r0, int n) {
#if HAVE_X86
    const int vector = cpu_has_avx2() && (W->dtype == GPT_DTYPE_F16 || W->dtype == GPT_DTYPE_BF16);
    if (cpu_has_avx2() && W->dtype == GPT_DTYPE_Q8) {  // whole panels 16 rows at a time, the rest a row at a time
        const int nb = W->cols / GPT_Q8_BLOCK, p0 = (r0 + GPT_Q8_PANEL - 1) / GPT_Q8_PANEL,
                  p1 = (r0 + n) / GPT_Q8_PANEL;  // whole panels [p0, p1)
#pragma omp parallel for schedule(static)
        for (int p = p0; p < p1; p++)
            widen_q8_panel_avx2(panel + (size_t)(p * GPT_Q8_PANEL - r0) * W->cols, (size_t)W->cols,
                                gpt_q8_panel_of(W, p * GPT_Q8_PANEL), nb);
        for (int r = 0; r < n; r++)
            if (r0 + r < p0 * GPT_Q8_PANEL || r0 + r >= p1 * GPT_Q8_PANEL) matrix_row(panel + (size_t)r * W->cols, W, r0 + r);
        return;
    }
#endif
#pragma omp parallel for schedule(static)
    for (int r = 0; r < n; r++) {
#if HAVE_X86
        if (vector) {
            widen_row_avx2(panel + (size_t)r * W->cols, W, r0 + r);
            continue;
        }
#endif
        matrix_row(panel + (size_t)r * W->cols, W, r0 + r);
    }
}

size_t matmul_scratch_floats(const gpt_matrix *W) {
    const size_t panel = matmul_panel_floats(W->cols);
    if (W->dtype != GPT_DTYPE_F32 || !W->col_panels) return panel;
    const size_t gather = (size_t)PANEL_GATHER_BUFFERS((W->cols + GEMM_COLS - 1) / GEMM_COLS) * W->rows * GEMM_COLS;
    return gather > panel ? gather : panel;
}

/* ---- Q8: out[r][j] = in[r] . W[j], W [OUT][IN/32 blocks] --------------- */

/* Q8 products of up to SMALL_ROWS rows are integer dot products: each input
 * row is quantized to blocks of 32 int8 values with a scale, as the weights
 * are (stored in panels of 16 rows, gpt_q8_panel_block). Per block, the 32
 * products of an input row and a weight row are summed exactly in
 * integers; the sum, converted to float, is scaled by x.scale * w.scale and
 * fused into the dot's accumulator, block after block, from zero:
 *     dot = fmaf((float)sum_b, x.scale_b * w.scale_b, dot),  b = 0, 1, ...
 * Integer sums are exact in any order, and the float steps are the same for
 * every row count, thread count and path (portable, AVX2, AVX-512 VNNI): a
 * row's result is the same bits alone or beside 299 others. A panel's
 * layout puts a block's 16 sums of one input row in one vector (VNNI; two
 * on AVX2), so one conversion, one product of scales and one fma serve 16
 * dots: in rows of blocks they had served two (the float side was what the
 * tiles waited on; BENCHMARKS.md, twentieth session). */
PORTABLE_CLONES static void q8_panel_portable(float *out, int ldo, const gpt_q8_block *x, int nb, const gpt_q8_panel_block *panel,
                              int nr) {
    for (int r = 0; r < nr; r++)
        for (int j = 0; j < GPT_Q8_PANEL; j++) {
            float dot = 0.0f;
            for (int b = 0; b < nb; b++) {
                const gpt_q8_block *xb = x + (size_t)r * nb + b;
                int32_t sum = 0;
                for (int i = 0; i < GPT_Q8_BLOCK; i++) sum += xb->q[i] * (panel[b].q[i / 4][4 * j + i % 4] - 128);
                dot = fmaf((float)sum, xb->scale * panel[b].scale[j], dot);
            }
            out[(size_t)r * ldo + j] = dot;
        }
}

/* Prompts (more than SMALL_ROWS rows) as integer dots, in chunks of
 * SMALL_ROWS rows, instead of BLAS on widened panels: each prompt row's
 * products then have the bits they have decoded alone. On VNNI since the
 * tiles fetch the next block ahead, run 4 input rows and start from
 * -128 x the weights: a 512-token prompt ran 1.13x (SmolLM2 shape), 1.26x (Qwen2.5) and 1.13x
 * (GPT-2 124M) as fast as on BLAS, in process (before those three it only
 * matched AVX-512 sgemm, 0.88-1.07x). On AVX2 since the panel tile took
 * the weights' sign onto x: 1.07-1.10x of BLAS on Zen 2 (SmolLM2, Qwen2.5
 * and GPT-2 124M shapes, 1.02x the bundled model; in process), where rows
 * of blocks had run 0.75x on Zen 3. -DGPT_Q8_INT8_PROMPTS=0 builds the
 * BLAS path; test_ops checks whichever is built. */
#ifdef GPT_Q8_INT8_PROMPTS
#define Q8_INT8_PROMPTS GPT_Q8_INT8_PROMPTS
#else
#define Q8_INT8_PROMPTS 1
#endif

static int no_vnni = 0;
void ops_force_no_vnni(int on) { no_vnni = on != 0; }

/* AVX-512 with VNNI (vpdpbusd: four u8 x s8 products summed into each
 * int32 lane in one instruction) and BW, detected at run time. */
static int cpu_has_vnni(void) {
#if HAVE_X86
    static int cached = -1;
    if (no_vnni || !cpu_has_avx2()) return 0;
    if (cached < 0) cached = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl") &&
                 __builtin_cpu_supports("avx512bw");
    return cached;
#else
    return 0;
#endif
}

int ops_q8_vnni(void) { return cpu_has_vnni(); }
static int q8_blas_prompts = 0;
void ops_force_q8_blas_prompts(int on) { q8_blas_prompts = on != 0; }
int ops_q8_int8_prompts(void) { return Q8_INT8_PROMPTS && !q8_blas_prompts && cpu_has_avx2(); }

/* Four of a block's int8 values (4k..4k+3) as one 32-bit lane. */
static inline int32_t q8_quad(const gpt_q8_block *xb, int k) {
    int32_t v;
    memcpy(&v, xb->q + 4 * k, 4);
    return v;
}

#if HAVE_X86
/* 8 rows' quad k of a panel (q + 128, 32 bytes at w) as signed q. */
TARGET_AVX2 static inline __attribute__((always_inline)) __m256i q8_signed_quads(const uint8_t *w) {
    return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)w), _mm256_set1_epi8((char)0x80));
}

/* sum + the 8 lanes' four products of one quad: maddubs takes one side
 * unsigned, so the caller passes |a| there and b with a's sign; |a|, |b| <=
 * 127, so the 16-bit pair sums (at most 2 x 127 x 127) never saturate. */
TARGET_AVX2 static inline __attribute__((always_inline)) __m256i q8_quad_add(__m256i sum, __m256i abs_a,
                                                                          __m256i b_signed_as_a) {
    return _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(abs_a, b_signed_as_a), _mm256_set1_epi16(1)));
}

/* Line `line` (0-8: quads 0-7, then the scales) of block b of the Q8
 * panel at ahead into L2; nothing where ahead is NULL. */
static inline __attribute__((always_inline)) void fetch_q8_line(const char *ahead, int b, int line) {
    if (ahead) _mm_prefetch(ahead + (size_t)b * sizeof(gpt_q8_panel_block) + 64 * line, _MM_HINT_T1);
}

/* One panel against NR input rows (up to 4), its rows 0-7 and then 8-15
 * in 8 lanes: per block, value quad k of the 8 rows against x's quad k
 * broadcast. Here the weights' sign moves onto x (one input row's walk,
 * q8_row2_avx2_body, moves x's onto w): |w| then serves every input row,
 * and each row's quad costs a sign, maddubs, madd and add. With the quads loop unrolled no
 * further, GCC no longer spilled to the stack; the two ran a Zen 2 step of
 * 16 streams at 1.09x (SmolLM2-135M and Qwen2.5-0.5B shapes, in process).
 * Up to 2 rows take both halves in one pass over the panel (8 sums and
 * accumulators fit the registers); 3 or 4 rows take rows 0-7 in a pass and
 * then 8-15 from L1. ahead (NULL: none) is a later panel, fetched into L2
 * a line every other quad over the passes (9 lines a block): perf found
 * the first pass waiting on its loads, the second leaving the memory idle.
 * Zen 2, a Q8 decode step of 2, 3, 4, 6 and 16 streams against one pass a
 * half and no fetch: 1.24, 1.10-1.13, 1.16-1.19, 1.10-1.12 and 1.05-1.06x
 * at SmolLM2-135M's shape, 1.16-1.24, 1.14-1.16, 1.23-1.25, 1.16 and
 * 1.06-1.07x at Qwen2.5-0.5B's (BENCHMARKS.md).
 * The sums are integers and each half's fma per block is the same, so the
 * bits are the same either way. Out: (NR, ldo), 16 columns. */
TARGET_AVX2 static inline __attribute__((always_inline)) void q8_panel_avx2_body(
    float *out, int ldo, const gpt_q8_block *x, const gpt_q8_panel_block *panel, int nb, const int NR,
    const char *ahead) {
    if (NR <= 2) {  // both halves in one pass
        __m256 acc[2][2];  // acc[r][h]: rows 8h..8h+7 against input row r
#pragma GCC unroll 2
        for (int r = 0; r < NR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
        for (int b = 0; b < nb; b++) {
            __m256i sum[2][2];
#pragma GCC unroll 2
            for (int r = 0; r < NR; r++) sum[r][0] = sum[r][1] = _mm256_setzero_si256();
#pragma GCC unroll 1
            for (int k = 0; k < 8; k++) {
                fetch_q8_line(ahead, b, k);
                const __m256i q0 = q8_signed_quads(panel[b].q[k]), q1 = q8_signed_quads(panel[b].q[k] + 32);
                const __m256i abs0 = _mm256_abs_epi8(q0), abs1 = _mm256_abs_epi8(q1);
#pragma GCC unroll 2
                for (int r = 0; r < NR; r++) {
                    const __m256i xk = _mm256_set1_epi32(q8_quad(x + (size_t)r * nb + b, k));
                    sum[r][0] = q8_quad_add(sum[r][0], abs0, _mm256_sign_epi8(xk, q0));
                    sum[r][1] = q8_quad_add(sum[r][1], abs1, _mm256_sign_epi8(xk, q1));
                }
            }
            fetch_q8_line(ahead, b, 8);  // the scales
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) {
                const __m256 ws = _mm256_loadu_ps(panel[b].scale + 8 * h);
#pragma GCC unroll 2
                for (int r = 0; r < NR; r++)
                    acc[r][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[r][h]),
                                                _mm256_mul_ps(_mm256_set1_ps(x[(size_t)r * nb + b].scale), ws), acc[r][h]);
            }
        }
#pragma GCC unroll 2
        for (int r = 0; r < NR; r++)
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) _mm256_storeu_ps(out + (size_t)r * ldo + 8 * h, acc[r][h]);
        return;
    }
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        __m256 acc[4];  // acc[r]: rows 8h..8h+7 against input row r
#pragma GCC unroll 4
        for (int r = 0; r < NR; r++) acc[r] = _mm256_setzero_ps();
        for (int b = 0; b < nb; b++) {
            __m256i sum[4];
#pragma GCC unroll 4
            for (int r = 0; r < NR; r++) sum[r] = _mm256_setzero_si256();
#pragma GCC unroll 1
            for (int k = 0; k < 8; k++) {
                if (!(k & 1)) fetch_q8_line(ahead, b, 4 * h + k / 2);  // lines 0-3 in the first half's pass, 4-7 in the second's
                const __m256i q = q8_signed_quads(panel[b].q[k] + 32 * h), abs_q = _mm256_abs_epi8(q);
#pragma GCC unroll 4
                for (int r = 0; r < NR; r++) {
                    const __m256i xk = _mm256_set1_epi32(q8_quad(x + (size_t)r * nb + b, k));
                    sum[r] = q8_quad_add(sum[r], abs_q, _mm256_sign_epi8(xk, q));
                }
            }
            if (h) fetch_q8_line(ahead, b, 8);  // the scales
            const __m256 ws = _mm256_loadu_ps(panel[b].scale + 8 * h);
#pragma GCC unroll 4
            for (int r = 0; r < NR; r++)
                acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[r]), _mm256_mul_ps(_mm256_set1_ps(x[(size_t)r * nb + b].scale), ws),
                                         acc[r]);
        }
#pragma GCC unroll 4
        for (int r = 0; r < NR; r++) _mm256_storeu_ps(out + (size_t)r * ldo + 8 * h, acc[r]);
    }
}

/* S panels (walk_item's streams, or one) against NR input rows on AVX-512
 * VNNI, S x NR <= 8: a block's 16 rows in one vector, each quad of x
 * broadcast against quad k of the 16 rows' q + 128 (x signed, w unsigned,
 * as vpdpbusd takes them), the sum started from x's offset, -128 x the sum
 * of x's block, which leaves exactly the sum of q_x q_w; the 8 quads in two
 * chains. Out: out[s] + r * ldo, 16 floats each. */
TARGET_VNNI static inline __attribute__((always_inline)) void q8_panels_vnni_body(
    float *const out[4], int ldo, const gpt_q8_block *x, const void *const panel[4], int nb, const int S, const int NR) {
    __m512 acc[4][8];  // acc[s][r]: panel s against input row r
#pragma GCC unroll 4
    for (int s = 0; s < S; s++)
#pragma GCC unroll 8
        for (int r = 0; r < NR; r++) acc[s][r] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++) {
#pragma GCC unroll 4
        for (int s = 0; s < S; s++) {
            const gpt_q8_panel_block *pb = (const gpt_q8_panel_block *)panel[s] + b;
            __m512i w[8];
#pragma GCC unroll 8
            for (int k = 0; k < 8; k++) w[k] = _mm512_loadu_si512(pb->q[k]);
            const __m512 ws = _mm512_loadu_ps(pb->scale);
#pragma GCC unroll 8
            for (int r = 0; r < NR; r++) {
                const gpt_q8_block *xb = x + (size_t)r * nb + b;
                __m512i s0 = _mm512_set1_epi32(xb->offset), s1 = _mm512_setzero_si512();
#pragma GCC unroll 4
                for (int k = 0; k < 8; k += 2) {
                    s0 = _mm512_dpbusd_epi32(s0, w[k], _mm512_set1_epi32(q8_quad(xb, k)));
                    s1 = _mm512_dpbusd_epi32(s1, w[k + 1], _mm512_set1_epi32(q8_quad(xb, k + 1)));
                }
                acc[s][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1)),
                                            _mm512_mul_ps(_mm512_set1_ps(xb->scale), ws), acc[s][r]);
            }
        }
    }
#pragma GCC unroll 4
    for (int s = 0; s < S; s++)
#pragma GCC unroll 8
        for (int r = 0; r < NR; r++) _mm512_storeu_ps(out[s] + (size_t)r * ldo, acc[s][r]);
}

/* One panel against nr input rows (up to 4 on AVX2, 8 on VNNI): out (nr,
 * ldo), 16 columns. */
TARGET_AVX2 static void q8_panel_tile_avx2(float *out, int ldo, const gpt_q8_block *x, const gpt_q8_panel_block *panel,
                                           int nb, int nr, const char *ahead) {
    switch (nr) {
    case 1: q8_panel_avx2_body(out, ldo, x, panel, nb, 1, ahead); return;
    case 2: q8_panel_avx2_body(out, ldo, x, panel, nb, 2, ahead); return;
    case 3: q8_panel_avx2_body(out, ldo, x, panel, nb, 3, ahead); return;
    default: q8_panel_avx2_body(out, ldo, x, panel, nb, 4, ahead); return;
    }
}
TARGET_VNNI static void q8_panel_tile_vnni(float *out, int ldo, const gpt_q8_block *x, const gpt_q8_panel_block *panel,
                                           int nb, int nr) {
    float *const o[4] = {out, out, out, out};
    const void *const p[4] = {panel, panel, panel, panel};
    switch (nr) {
    case 1: q8_panels_vnni_body(o, ldo, x, p, nb, 1, 1); return;
    case 2: q8_panels_vnni_body(o, ldo, x, p, nb, 1, 2); return;
    case 3: q8_panels_vnni_body(o, ldo, x, p, nb, 1, 3); return;
    case 4: q8_panels_vnni_body(o, ldo, x, p, nb, 1, 4); return;
    case 5: q8_panels_vnni_body(o, ldo, x, p, nb, 1, 5); return;
    case 6: q8_panels_vnni_body(o, ldo, x, p, nb, 1, 6); return;
    case 7: q8_panels_vnni_body(o, ldo, x, p, nb, 1, 7); return;
    default: q8_panels_vnni_body(o, ldo, x, p, nb, 1, 8); return;
    }
}

/* Four panels from anywhere (walk_item's streams) against one input row:
 * out[s], 16 floats each. AVX2 takes two panels at a time, both halves of
 * each at once: x's quad broadcast and its |x| serve four weight vectors,
 * and 4 sums and 4 accumulators leave registers for the rest (a body over
 * all four, wanting 4 sums, 4 accumulators, 4 weight vectors and the
 * input's of AVX2's 16 registers, ran a SmolLM2-shape Q8 decode step at
 * 0.93x, on Zen 5 with AVX-512 off). VNNI takes all four (two at a time:
 * 0.93-0.94x).
 * The quads go unrolled no further than the loop: GCC spilled the eight
 * unrolled quads' values to the stack (a Zen 2 decode step 1.06-1.08x
 * without the spills). Nothing is fetched by hand: on Zen 2 (2 MB pages)
 * the hardware prefetcher alone streams it faster. Each block fetching
 * the next one of both panels into L1, as this body did in the twenty-first
 * session, ran a Q8 decode step at 0.83-0.89x of none at SmolLM2's shape
 * and 0.87-0.88x at Qwen2.5's (BENCHMARKS.md). */
TARGET_AVX2 static inline __attribute__((always_inline)) void q8_row2_avx2_body(
    float *const out[2], const gpt_q8_block *x, const void *const panel[2], int nb) {
    const gpt_q8_panel_block *const pn[2] = {panel[0], panel[1]};
    __m256 acc[2][2];  // acc[s][h]: panel s's rows 8h..8h+7
#pragma GCC unroll 2
    for (int s = 0; s < 2; s++) acc[s][0] = acc[s][1] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        __m256i sum[2][2];
#pragma GCC unroll 2
        for (int s = 0; s < 2; s++) sum[s][0] = sum[s][1] = _mm256_setzero_si256();
#pragma GCC unroll 1
        for (int k = 0; k < 8; k++) {
            const __m256i xk = _mm256_set1_epi32(q8_quad(x + b, k)), ax = _mm256_abs_epi8(xk);
#pragma GCC unroll 2
            for (int s = 0; s < 2; s++)
#pragma GCC unroll 2
                for (int h = 0; h < 2; h++)
                    sum[s][h] = q8_quad_add(sum[s][h], ax, _mm256_sign_epi8(q8_signed_quads(pn[s][b].q[k] + 32 * h), xk));
        }
        const __m256 xs = _mm256_set1_ps(x[b].scale);
#pragma GCC unroll 2
        for (int s = 0; s < 2; s++)
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++)
                acc[s][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[s][h]),
                                            _mm256_mul_ps(xs, _mm256_loadu_ps(pn[s][b].scale + 8 * h)), acc[s][h]);
    }
#pragma GCC unroll 2
    for (int s = 0; s < 2; s++)
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) _mm256_storeu_ps(out[s] + 8 * h, acc[s][h]);
}
TARGET_AVX2 static void q8_panels4_avx2(float *const out[4], const gpt_q8_block *x, const void *const panel[4],
                                        int nb) {
    q8_row2_avx2_body(out, x, panel, nb);
    q8_row2_avx2_body(out + 2, x, panel + 2, nb);
}
TARGET_VNNI static void q8_panels4_vnni(float *const out[4], const gpt_q8_block *x, const void *const panel[4],
                                        int nb) {
    q8_panels_vnni_body(out, 0, x, panel, nb, 4, 1);
}
#endif

/* Rows [j0, j1) of W, one panel (j0 a multiple of 16), against the R
 * quantized rows xq (R, nb), then the bias: tiles of 8 input rows (4 on
 * AVX2). A panel is one run of memory, which the hardware prefetcher
 * follows; the tiles after the first read it from L2. On AVX2 the first
 * tile also fetches the panel AHEAD_BLOCKS on into L2 (q8_panel_avx2_body).
 * The padded last panel's tiles go through part. */
static void q8_panel_rows(float *out, int ldo, const gpt_q8_block *xq, const gpt_matrix *W, const float *bias, int R,
                          int j0, int j1, int path) {
    const int nb = W->cols / GPT_Q8_BLOCK, tile_rows = path == 1 ? 4 : 8, nw = j1 - j0;
    const gpt_q8_panel_block *panel = gpt_q8_panel_of(W, j0);
    const int ahead_row = j0 + AHEAD_BLOCKS * GPT_Q8_PANEL;  // fetched by the first tile (4 ahead: no better)
    const char *ahead = ahead_row < W->rows ? (const char *)gpt_q8_panel_of(W, ahead_row) : NULL;
    float part[8 * GPT_Q8_PANEL];  // (8, 16) a tile's outputs of a padded panel
    for (int r0 = 0; r0 < R; r0 += tile_rows) {
        const int nr = R - r0 < tile_rows ? R - r0 : tile_rows;
        float *o = nw == GPT_Q8_PANEL ? out + (size_t)r0 * ldo + j0 : part;
        const int ldt = nw == GPT_Q8_PANEL ? ldo : GPT_Q8_PANEL;
        const gpt_q8_block *x = xq + (size_t)r0 * nb;
#if HAVE_X86
        if (path == 2) q8_panel_tile_vnni(o, ldt, x, panel, nb, nr);
        else if (path == 1) q8_panel_tile_avx2(o, ldt, x, panel, nb, nr, r0 == 0 ? ahead : NULL);
        else
#endif
            q8_panel_portable(o, ldt, x, nb, panel, nr);
        if (o == part)
            for (int r = 0; r < nr; r++) memcpy(out + (size_t)(r0 + r) * ldo + j0, part + r * GPT_Q8_PANEL, sizeof(float) * nw);
        if (bias)
            for (int r = 0; r < nr; r++)
                for (int k = 0; k < nw; k++) out[(size_t)(r0 + r) * ldo + j0 + k] += bias[j0 + k];
    }
}

/* Where block blk of 16 rows of a list of products lies (first[m]: product
 * m's first block): returns the product, *j0 its first row. */
static int q8_block_at(const int *first, int blk, int *j0) {
    int m = 0;
    while (blk >= first[m + 1]) m++;
    *j0 = (blk - first[m]) * 16;
    return m;
}

/* One input row (decode), Q8 (VNNI or AVX2) or float rows (on AVX2; on
 * AVX-512 those of more than LONG_ROW_BYTES): a thread's share, blocks
 * [b0, b1) of the products p against in (Q8: xq (1, nb)), walked in steps. The share is S streams of
 * consecutive blocks (walks: four for Q8, two for floats; the first
 * (b1 - b0) % S one block longer), and step k takes block k of each (Q8
 * and row panels: the whole panel of each; other floats a row of each at a
 * time), so the thread reads S sequential streams far apart, which the
 * hardware prefetcher follows, and runs S dots side by side. Q8 in rows of
 * blocks (before panels): one thread over 100,000 rows of 576 inputs
 * streamed 34-37 GB/s so, against 25-28 GB/s one row at a time and 9 GB/s
 * for two neighbouring rows side by side. Long float rows (Qwen2.5-0.5B's down projection, 4864
 * BF16 inputs): one row at a time is a single chain of 304 dependent fmas,
 * and four neighbouring rows side by side (since removed) streamed as four
 * short runs a row apart; two far-apart streams read 1.3-1.5x as fast,
 * three or four slower than two (BENCHMARKS.md). On AVX-512 short float
 * rows stay one row at a time, which streams at the memory's speed there
 * (the walk measured 0.91-1.06x, Zen 5); on AVX2 (Zen 3) every float row
 * walks (1.18-1.22x a SmolLM2 or Qwen2.5 BF16 step) and Q8 walks four
 * streams (1.2-1.5x, in rows of blocks). In the last step of an uneven
 * share the streams that have ended repeat the first one's rows into a
 * sink (the blocks left over went one row at a time on AVX2 before: 4% of
 * a SmolLM2-shape Q8 step's samples). Blocks short of 16 rows go as group_block runs them. Every dot
 * has the bits of group_block's. */
static int walk_items(int b0, int b1, int streams) { return (b1 - b0 + streams - 1) / streams; }

/* Bytes of one stored row of W (Q8: a sixteenth of its panels' bytes, so
 * the panel of row 16p starts 16p rows' bytes in). */
static size_t row_bytes(const gpt_matrix *W) {
    if (W->dtype == GPT_DTYPE_Q8) return (size_t)(W->cols / GPT_Q8_BLOCK) * (sizeof(gpt_q8_panel_block) / GPT_Q8_PANEL);
    return (size_t)W->cols * (W->dtype == GPT_DTYPE_F32 ? 4 : 2);
}
_Static_assert(GPT_Q8_PANEL == GPT_ROW_PANEL, "walk_item's panels and sinks: 16 rows either way");

/* Where the panel of rows [v0, v0 + 16) of W starts (v0 a multiple of 16:
 * v0 rows' bytes in), and the bytes of one panel. */
static inline const char *panel_at(const gpt_matrix *W, int v0) { return (const char *)W->data + (size_t)v0 * row_bytes(W); }
static inline size_t panel_bytes_of(const gpt_matrix *W) { return GPT_ROW_PANEL * row_bytes(W); }

static void group_block(float *out, int ldo, const float *in, const gpt_q8_block *xq, const gpt_matrix *W, int R,
                        int j0, int j1, int path);
static void float_dot2(float *const out[], const float *x, const void *const row[], gpt_dtype dt, int n);
static int walks(const ops_product *p, int n, int R, int path);
#if HAVE_X86
TARGET_AVX2 static void in_order_panels2_avx2(float *const out[2], const float *x, const void *const panel[2],
                                              gpt_dtype dt, int C);
TARGET_AVX512 static void in_order_panels4_avx512(float *const out[4], const float *x, const void *const panel[4],
                                                  gpt_dtype dt, int C);
static int cpu_has_avx512(void);
#endif

static void walk_item(const ops_product *p, const int *first, int b0, int b1, int k, int streams, const float *in,
                      const gpt_q8_block *xq, int path) {
    const int S = streams, len = (b1 - b0) / S, longer = (b1 - b0) % S;  // streams i < longer have len + 1 blocks
    int j0[4] = {0}, m[4] = {0}, n = 0, full = 1;
    for (int i = 0; i < S; i++) {
        if (k >= len + (i < longer)) continue;  // this stream has ended
        m[n] = q8_block_at(first, b0 + i * len + (i < longer ? i : longer) + k, &j0[n]);
        full &= j0[n] + 16 <= p[m[n]].W->rows;
        n++;
    }
    for (int i = 0; i < n && !full; i++) {
        const int j1 = j0[i] + 16 < p[m[i]].W->rows ? j0[i] + 16 : p[m[i]].W->rows;
        group_block(p[m[i]].out, p[m[i]].ldo, in, xq, p[m[i]].W, 1, j0[i], j1, path);
    }
    const gpt_dtype dt = p[m[0]].W->dtype;
    const int cols = p[m[0]].W->cols;  // one dtype and width for every product walked (walks)
    const size_t row_size = row_bytes(p[m[0]].W);
#if HAVE_X86
    /* Panels side by side: Q8's (walks: 4) or row panels (4 or 2). j0 is a
     * multiple of 16, so j0 rows' bytes in are where its panel starts. */
    if (full && (dt == GPT_DTYPE_Q8 || p[m[0]].W->in_order)) {
        float panel_sink[4][GPT_ROW_PANEL];  // the outputs of a stream that has ended
        float *out[4];
        const void *panel[4];
        for (int i = 0; i < S; i++) {
            const int s = i < n ? i : 0;
            out[i] = i < n ? p[m[i]].out + j0[i] : panel_sink[i];
            panel[i] = (const char *)p[m[s]].W->data + (size_t)j0[s] * row_size;
        }
        if (dt == GPT_DTYPE_Q8 && path == 2) q8_panels4_vnni(out, xq, panel, cols / GPT_Q8_BLOCK);
        else if (dt == GPT_DTYPE_Q8) q8_panels4_avx2(out, xq, panel, cols / GPT_Q8_BLOCK);
        else if (S == 4) in_order_panels4_avx512(out, in, panel, dt, cols);  // walks: four streams on AVX-512
        else in_order_panels2_avx2(out, in, panel, dt, cols);
        return;
    }
#endif
    float sink[4];  // the outputs of the streams that have ended
    for (int r = 0; r < 16 && full; r++) {
        float *out[4];
        const void *w[4];
        for (int i = 0; i < S; i++) {
            const int s = i < n ? i : 0;
            out[i] = i < n ? p[m[i]].out + j0[i] + r : &sink[i];
            w[i] = (const char *)p[m[s]].W->data + (size_t)(j0[s] + r) * row_size;
        }
        float_dot2(out, in, w, dt, cols);  // two streams
    }
}

/* ---- shares with stealing ----
 * The work items of a parallel region (blocks of 16 rows, or steps of the
 * Q8 decode walk) start split as static_share splits them (the split
 * prefetch_next_share assumes). Each thread takes its own from the front,
 * in pieces of an eighth of what is left; a thread done with its own takes
 * half of what is left of another's, from the back. On the Zen 4 VM the
 * two vCPUs stream at rates that differ from one product to the next, and
 * with the fixed split each spun at the joins for about a fifth of a
 * SmolLM2-shape decode step (4% so; the step 1.14x in BF16, see DESIGN).
 * Every item is computed whole by one thread and by the same code, so which
 * thread takes it changes no bits. */
typedef ops_work_share work_share;

/* Thread t's share: items 0.. over its static share [b0, b1) of n_blocks
 * blocks (owner_blocks), each block an item, or with walk set, each item of
 * the walk over them (walk_items); all of these once for each of
 * products products of the same rows. In a team each thread sets its own
 * as it starts (share_own); before a region of its own, the caller sets
 * them all (shares_init). */
static void share_own(work_share *s, int t, int nt, int n_blocks, int walk, int products) {
    int b0, count;
    static_share(n_blocks, t, nt, &b0, &count);
    const uint64_t items = (uint64_t)products * (walk ? walk_items(b0, b0 + count, walk) : count);
    atomic_store_explicit(&s[t].span, items << 32, memory_order_relaxed);
}

static void shares_init(work_share *s, int nt, int n_blocks, int walk, int products) {
    for (int t = 0; t < nt; t++) share_own(s, t, nt, n_blocks, walk, products);
}

/* Takes items of one share, from the front (its owner) or the back (another
 * thread): returns how many, and *first the first of them. With a group
 * over 1, a multiple of it where enough are left: blocks of row panels run
 * two or three at a time (in_order_run) only within one take, and a 16-row
 * BF16 decode step took odd counts often enough that even ones ran it
 * 1.04-1.07x as fast (pairs; SmolLM2 and Qwen2.5 shapes, Zen 5, in
 * process). */
static int share_take(work_share *s, int from_back, int group, int *first) {
    uint64_t span = atomic_load_explicit(&s->span, memory_order_relaxed);
    for (;;) {
        const uint32_t front = (uint32_t)span, back = (uint32_t)(span >> 32);
        if (front >= back) return 0;
        uint32_t n = (back - front) / (from_back ? 2 : 8);
        if (n == 0) n = 1;
        if (group > 1 && n % group && n < back - front) {  // whole groups (share_next)
            n += group - n % group;
            if (n > back - front) n = back - front;
        }
        const uint64_t rest = from_back ? front | (uint64_t)(back - n) << 32 : (front + n) | (uint64_t)back << 32;
        if (atomic_compare_exchange_weak_explicit(&s->span, &span, rest, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *first = (int)(from_back ? back - n : front);
            return (int)n;
        }
    }
}

/* Share owner's blocks [b0, b1) of n_blocks under the static split. */
static void owner_blocks(int n_blocks, int owner, int nt, int *b0, int *b1) {
    int count;
    static_share(n_blocks, owner, nt, b0, &count);
    *b1 = *b0 + count;
}

/* The calling thread's next items of the nt shares of n_blocks blocks: its
 * own first, then the others' (group: see share_take). Returns how many (0:
 * none left), *first the first of them, and [*b0, *b1) the blocks of the
 * share they came from. */
static int share_next(work_share *s, int nt, int n_blocks, int group, int *b0, int *b1, int *first) {
    const int t = omp_get_thread_num();
    for (int k = 0; k < nt; k++) {
        const int owner = (t + k) % nt, n = share_take(&s[owner], k > 0, group, first);
        if (n) {
            owner_blocks(n_blocks, owner, nt, b0, b1);
            return n;
        }
    }
    return 0;
}

void ops_shares_init(work_share *shares, int nt, int n) { shares_init(shares, nt, n, 0, 1); }
void ops_share_own(work_share *shares, int t, int nt, int n) { share_own(shares, t, nt, n, 0, 1); }
int ops_share_next(work_share *shares, int nt, int n, int *first) {
    int b0 = 0, b1, k0 = 0;  // set only when tasks were taken
    const int taken = share_next(shares, nt, n, 0, &b0, &b1, &k0);
    *first = b0 + k0;
    return taken;
}

/* ---- the team's barrier ---- */

/* Pauses a thread spins at the team's barrier before it yields. */
#define TEAM_SPINS 4096

void ops_team_sync(ops_team *team) {
    if (!team) return;
    const unsigned nt = (unsigned)omp_get_num_threads();
    if (nt < 2) return;
    /* The generation is read before arriving: the last to arrive moves it
     * on, and a thread that read it after that would wait for the next. */
    const unsigned gen = atomic_load_explicit(&team->generation, memory_order_acquire);
    if (atomic_fetch_add_explicit(&team->arrived, 1, memory_order_acq_rel) + 1 == nt) {
        atomic_store_explicit(&team->arrived, 0, memory_order_relaxed);  // seen before the new generation
        atomic_store_explicit(&team->generation, gen + 1, memory_order_release);
        return;
    }
    /* Spin (the team has no more threads than the CPUs it runs on; a
     * step's waits here averaged 0.1-5 us), but after TEAM_SPINS pauses
     * (about 80 us on the Zen 5 VM) yield the CPU at each look, should
     * another process hold the CPU of the thread awaited. */
    for (unsigned spins = 0; atomic_load_explicit(&team->generation, memory_order_acquire) == gen; spins++) {
#if HAVE_X86
        _mm_pause();
#endif
        if (spins > TEAM_SPINS) sched_yield();
    }
}

void ops_team_part(const ops_team *team, int n, int *i0, int *i1) {
    if (!team) {
        *i0 = 0, *i1 = n;
        return;
    }
    int count;
    static_share(n, omp_get_thread_num(), omp_get_num_threads(), i0, &count);
    *i1 = *i0 + count;
}

/* The calling thread's items of shares of n_blocks blocks of the products
 * p, as walks (walk_item), until none is left. */
static void walk_shares(work_share *s, int nt, const ops_product *p, const int *first, int n_blocks, int walk,
                        const float *in, const gpt_q8_block *xq, int path) {
    int b0, b1, k0, n;
    while ((n = share_next(s, nt, n_blocks, 0, &b0, &b1, &k0)) > 0)
        for (int k = k0; k < k0 + n; k++) walk_item(p, first, b0, b1, k, walk, in, xq, path);
}

/* xq (R, IN / 32 blocks) = the R rows of in (R, IN) quantized, the rows
 * split across the threads when there are many (a plain branch: see
 * layernorm). Every Q8 product's input goes through here. */
static void quantize_rows_q8(gpt_q8_block *xq, const float *in, int R, int IN, ops_team *team) {
    const int nb = IN / GPT_Q8_BLOCK;
    if (team) {  // each thread its rows, then all of them wait for all the rows
        int r0, r1;
        ops_team_part(team, R, &r0, &r1);
        for (int r = r0; r < r1; r++) quantize_row_q8(xq + (size_t)r * nb, in + (size_t)r * IN, IN);
        ops_team_sync(team);
        return;
    }
    if ((size_t)R * IN < PAR_MIN) {
        for (int r = 0; r < R; r++) quantize_row_q8(xq + (size_t)r * nb, in + (size_t)r * IN, IN);
        return;
    }
#pragma omp parallel for schedule(static)
    for (int r = 0; r < R; r++) quantize_row_q8(xq + (size_t)r * nb, in + (size_t)r * IN, IN);
}

static void matmul_q8(float *out, int ldo, const float *in, const gpt_matrix *W, const float *bias, int R,
                      float *panel, ops_team *team) {
    const int OUT = W->rows, IN = W->cols;
    const int path = cpu_has_vnni() ? 2 : cpu_has_avx2() ? 1 : 0;
    if (R <= SMALL_ROWS || ops_q8_int8_prompts()) {
        /* Integer dots. The rows go in chunks of SMALL_ROWS,
         * quantized into panel: 40 bytes per 32 inputs, within
         * matmul_panel_floats of any product's width. Blocks of 16 weight
         * rows stay in cache while the chunk's rows meet them. */
        gpt_q8_block *xq = (gpt_q8_block *)panel;  // (SMALL_ROWS, nb) the chunk's rows, quantized
        const int n_blocks = (OUT + 15) / 16;
        if (R == 1 && path) {  // decode: matmul_t_group's walk, four streams a thread
            const ops_product one = {out, ldo, W};
            matmul_t_group(&one, 1, in, 1, panel, NULL, team);
            if (!bias) return;
            int j0, j1;  // the calling thread's part of the bias (all of it without a team)
            ops_team_part(team, OUT, &j0, &j1);
            for (int j = j0; j < j1; j++) out[j] += bias[j];
            ops_team_sync(team);
            return;
        }
        for (int r0 = 0; r0 < R; r0 += SMALL_ROWS) {
            const int n = R - r0 < SMALL_ROWS ? R - r0 : SMALL_ROWS;
            quantize_rows_q8(xq, in + (size_t)r0 * IN, n, IN, team);
            if (team) {  // the same blocks, a static part each
                int b0, b1;
                ops_team_part(team, n_blocks, &b0, &b1);
                for (int blk = b0; blk < b1; blk++) {
                    const int j0 = blk * 16, j1 = j0 + 16 < OUT ? j0 + 16 : OUT;
                    q8_panel_rows(out + (size_t)r0 * ldo, ldo, xq, W, bias, n, j0, j1, path);
                }
                ops_team_sync(team);
                continue;
            }
#pragma omp parallel for schedule(static)
            for (int blk = 0; blk < n_blocks; blk++) {
                const int j0 = blk * 16, j1 = j0 + 16 < OUT ? j0 + 16 : OUT;
                q8_panel_rows(out + (size_t)r0 * ldo, ldo, xq, W, bias, n, j0, j1, path);
            }
        }
        return;
    }
    /* Many rows: widen panels of W and let BLAS run the product. */
    for (int r = 0; r < R; r++) {
        float *o = out + (size_t)r * ldo;
        if (bias) memcpy(o, bias, sizeof(float) * OUT);
        else memset(o, 0, sizeof(float) * OUT);
    }
    const int chunk = widen_chunk_rows(R);
    for (int j = 0; j < OUT; j += chunk) {
        const int n = OUT - j < chunk ? OUT - j : chunk;
        widen_rows(panel, W, j, n);
        gemm_fixed_blocks(1, R, n, IN, 1.0f, in, IN, panel, IN, 1.0f, out + j, ldo);
    }
}

void matmul(float *out, const float *in, const gpt_matrix *W, const float *bias, int R, float *panel,
            ops_team *team) {
    if (W->dtype == GPT_DTYPE_Q8) {  // stored [OUT][IN]
        matmul_q8(out, W->rows, in, W, bias, R, panel, team);
        return;
    }
    const int IC = W->rows, OC = W->cols;
    if (R <= SMALL_ROWS) {
        matmul_small(out, in, W, bias, R, panel, team);
        return;
    }
    for (int r = 0; r < R; r++) {
        float *o = out + (size_t)r * OC;
        if (bias) memcpy(o, bias, sizeof(float) * OC);
        else memset(o, 0, sizeof(float) * OC);
    }
    if (W->dtype == GPT_DTYPE_F32) {  // BLAS over every input at once, in rows or in panels
        if (W->col_panels) {
            gemm_blocks(0, R, OC, IC, 1.0f, in, IC, NULL, 0, 1.0f, out, OC, W, panel);
            return;
        }
        gemm_fixed_blocks(0, R, OC, IC, 1.0f, in, IC, W->data, OC, 1.0f, out, OC);
        return;
    }
    /* out += in[:, p:p+n] @ W[p:p+n, :], one widened panel at a time. */
    for (int p = 0; p < IC; p += PANEL_ROWS) {
        int n = IC - p < PANEL_ROWS ? IC - p : PANEL_ROWS;
        widen_rows(panel, W, p, n);
        gemm_fixed_blocks(0, R, OC, n, 1.0f, in + p, IC, panel, OC, 1.0f, out, OC);
    }
}

/* ---- out (R, V) = in (R, C) @ W^T, W [V, C] -------------------------- */

#if HAVE_X86
/* The 16-lane tree's reduction: acc0 + acc1, halves, pairs. */
TARGET_AVX2 static inline __attribute__((always_inline)) float reduce16(__m256 acc0, __m256 acc1) {
    acc0 = _mm256_add_ps(acc0, acc1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc0), _mm256_extractf128_ps(acc0, 1));
    s = _mm_hadd_ps(s, s);
    s = _mm_hadd_ps(s, s);
    return _mm_cvtss_f32(s);
}

/* One dot of the 16-lane tree (two 8-lane chains). A row at a time, each
 * thread's rows are one sequential stream, which the hardware prefetcher
 * follows. Four rows side by side (four streams a row apart, with a
 * software prefetch of the next four) streamed at 0.4-0.8x of that from
 * DRAM; decode walks far-apart streams instead (walk_item). */
TARGET_AVX2 static inline __attribute__((always_inline)) float dot1_body(const float *x, const void *wd,
                                                                       const gpt_dtype dt, size_t base, int n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), load8(wd, dt, base + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), load8(wd, dt, base + i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), load8(wd, dt, base + i), acc0);
    float sum = reduce16(acc0, acc1);
    for (; i < n; i++) sum += x[i] * load_one(wd, dt, base + i);
    return sum;
}

/* Rows longer than this many bytes walk far-apart streams on AVX-512 too
 * (walks): one such row alone is a single chain of n / 16 dependent fmas
 * that no reordering window spans (896 x 4864, Qwen2.5-0.5B's down
 * projection, streamed at 0.7x of the read bandwidth so). */
#define LONG_ROW_BYTES 4096

/* out[k] = x . row[k] for K rows from anywhere (float_dot2 walks two): K
 * dots of the 16-lane tree side by side, each with dot1_body's bits. */
TARGET_AVX2 static inline __attribute__((always_inline)) void dots_side_body(float *const out[], const float *x,
                                                                           const void *const row[],
                                                                           const gpt_dtype dt, int n, const int K) {
    __m256 a0[4], a1[4];
    for (int k = 0; k < K; k++) a0[k] = a1[k] = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);
        for (int k = 0; k < K; k++) {
            a0[k] = _mm256_fmadd_ps(x0, load8(row[k], dt, i), a0[k]);
            a1[k] = _mm256_fmadd_ps(x1, load8(row[k], dt, i + 8), a1[k]);
        }
    }
    for (; i + 8 <= n; i += 8) {
        __m256 x0 = _mm256_loadu_ps(x + i);
        for (int k = 0; k < K; k++) a0[k] = _mm256_fmadd_ps(x0, load8(row[k], dt, i), a0[k]);
    }
    for (int k = 0; k < K; k++) {
        float sum = reduce16(a0[k], a1[k]);
        for (int t = i; t < n; t++) sum += x[t] * load_one(row[k], dt, t);
        *out[k] = sum;
    }
}

/* The AVX2 head tiles: rows of over HEAD_TILE_CHUNK_MIN inputs in chunks of
 * HEAD_TILE_CHUNK (a 3 x 4 tile's chunk 11 KB of L1 in BF16). */
#define HEAD_TILE_CHUNK_MIN 1024
#define HEAD_TILE_CHUNK 512

static inline int long_rows(const gpt_dtype dt, int C) {
    return (size_t)C * (dt == GPT_DTYPE_F32 ? 4 : 2) > LONG_ROW_BYTES;
}

/* out[v] = x . W row v for head rows v in [v0, v1). */
TARGET_AVX2 static inline __attribute__((always_inline)) void head_row_body(float *out, const float *x,
                                                                          const void *wd, const gpt_dtype dt, int C,
                                                                          int v0, int v1) {
    for (int v = v0; v < v1; v++) out[v] = dot1_body(x, wd, dt, (size_t)v * C, C);
}

/* Several input rows: tiles of NV head rows x NR input rows (up to 3 x 4),
 * each dot the same 16-lane tree as dot1_body. Its two 8-lane halves are
 * summed in two passes (lanes 0-7 of every 16 inputs, then lanes 8-15), so
 * twelve dots need only twelve accumulators (with 3 weights and an input,
 * the 16 registers); the tile's weights and inputs stay in L1 between the
 * passes. Rows longer than HEAD_TILE_CHUNK_MIN go in chunks of
 * HEAD_TILE_CHUNK inputs, both passes a chunk, the sums carried in half[]:
 * each lane still adds its products in input order, so the bits are the
 * same, but a whole 4-row tile (4 x 4864 floats for Qwen2.5's down
 * projection) no longer falls out of L1 before its second pass (1.19x a
 * 4864-input matrix of 16 rows, 1.08x a 16-row Qwen2.5-0.5B step).
 * prefetch: the next tile's weight rows, fetched into L1 in the second
 * pass, when the inputs come from L1 and L2 is idle. */
TARGET_AVX2 static inline __attribute__((always_inline)) void head_tile_body(
    float *out, int ldo, const float *in, const void *wd, const gpt_dtype dt, int C, int v, const int NV,
    const int NR, const char *prefetch) {
    const int n16 = C / 16 * 16;
    const size_t esize = dt == GPT_DTYPE_F32 ? 4 : 2;
    const int chunk = C > HEAD_TILE_CHUNK_MIN ? HEAD_TILE_CHUNK : C;
    __m256 half[2][3][4];  // [pass][head row][input row]
#pragma GCC unroll 3
    for (int a = 0; a < NV; a++)
#pragma GCC unroll 4
        for (int r = 0; r < NR; r++) half[0][a][r] = half[1][a][r] = _mm256_setzero_ps();
#define TILE_STEP                                                                                            \
    __m256 w[3];                                                                                             \
    _Pragma("GCC unroll 3") for (int a = 0; a < NV; a++) w[a] = load8(wd, dt, (size_t)(v + a) * C + i);     \
    _Pragma("GCC unroll 4") for (int r = 0; r < NR; r++) {                                                  \
        __m256 x = _mm256_loadu_ps(in + (size_t)r * C + i);                                                  \
        _Pragma("GCC unroll 3") for (int a = 0; a < NV; a++) acc[a][r] = _mm256_fmadd_ps(x, w[a], acc[a][r]); \
    }
    for (int i0 = 0; i0 < C; i0 += chunk) {
        const int i1 = C - i0 < chunk ? C : i0 + chunk;
        for (int pass = 0; pass < 2; pass++) {
            __m256 acc[3][4];
#pragma GCC unroll 3
            for (int a = 0; a < NV; a++)
#pragma GCC unroll 4
                for (int r = 0; r < NR; r++) acc[a][r] = half[pass][a][r];
            /* Lanes 0-7 also take the last eight inputs when C % 16 >= 8, as dot1_body does. */
            const int pass_end = pass == 0 ? (C - n16 >= 8 ? n16 + 8 : n16) : n16;
            const int end = i1 < pass_end ? i1 : pass_end;
            if (prefetch && pass == 1)  // the next tile's weights, into L1 while L2 is idle
                for (int i = i0 + pass * 8; i + 8 <= end; i += 16) {
#pragma GCC unroll 3
                    for (int a = 0; a < NV; a++) _mm_prefetch(prefetch + ((size_t)a * C + i - 8) * esize, _MM_HINT_T0);
                    TILE_STEP
                }
            else
                for (int i = i0 + pass * 8; i + 8 <= end; i += 16) {
                    TILE_STEP
                }
#pragma GCC unroll 3
            for (int a = 0; a < NV; a++)
#pragma GCC unroll 4
                for (int r = 0; r < NR; r++) half[pass][a][r] = acc[a][r];
        }
    }
#undef TILE_STEP
    const int n8 = C / 8 * 8;
    /* Four dots of a head row at once: hadd(hadd(s0, s1), hadd(s2, s3))
     * adds the same pairs as reduce16's two hadds of each alone, so the
     * bits are reduce16's (1.03x a 16-row step, against twelve reduce16
     * chains and a tail loop). */
    for (int a = 0; a < NV; a++) {
        __m128 s[4];
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++) {
            if (r < NR) {
                const __m256 t = _mm256_add_ps(half[0][a][r], half[1][a][r]);
                s[r] = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
            } else
                s[r] = _mm_setzero_ps();
        }
        float sums[4];
        _mm_storeu_ps(sums, _mm_hadd_ps(_mm_hadd_ps(s[0], s[1]), _mm_hadd_ps(s[2], s[3])));
#pragma GCC unroll 4
        for (int r = 0; r < NR; r++) {
            float sum = sums[r];
            if (n8 < C) {
                const float *x = in + (size_t)r * C;
                for (int t = n8; t < C; t++) sum += x[t] * load_one(wd, dt, (size_t)(v + a) * C + t);
            }
            out[(size_t)r * ldo + v + a] = sum;
        }
    }
}

/* Every tile head_block_avx2 asks for: 1-3 head rows x 2-4 input rows (no
 * tile has one input row there). */
#define HEAD_TILE_CASES(DT)                                                                                  \
    switch (nv * 8 + nr) {                                                                                   \
    case 10: head_tile_body(out, ldo, in, wd, DT, C, v, 1, 2, prefetch); break;                               \
    case 11: head_tile_body(out, ldo, in, wd, DT, C, v, 1, 3, prefetch); break;                               \
    case 12: head_tile_body(out, ldo, in, wd, DT, C, v, 1, 4, prefetch); break;                               \
    case 18: head_tile_body(out, ldo, in, wd, DT, C, v, 2, 2, prefetch); break;                               \
    case 19: head_tile_body(out, ldo, in, wd, DT, C, v, 2, 3, prefetch); break;                               \
    case 20: head_tile_body(out, ldo, in, wd, DT, C, v, 2, 4, prefetch); break;                               \
    case 26: head_tile_body(out, ldo, in, wd, DT, C, v, 3, 2, prefetch); break;                               \
    case 28: head_tile_body(out, ldo, in, wd, DT, C, v, 3, 4, prefetch); break;                               \
    default: head_tile_body(out, ldo, in, wd, DT, C, v, 3, 3, prefetch); break;                               \
    }

/* out[r * ldo + v] for nv head rows from v and nr input rows of in. */
TARGET_AVX2 static void head_tile_avx2(float *out, int ldo, const float *in, const gpt_matrix *W, int v, int nv,
                                       int nr, int prefetch_next) {
    const int C = W->cols;
    const void *wd = W->data;
    const size_t esize = W->dtype == GPT_DTYPE_F32 ? 4 : 2;
    const char *prefetch =
        prefetch_next && v + nv < W->rows ? (const char *)wd + (size_t)(v + nv) * C * esize : NULL;
    switch (W->dtype) {
    case GPT_DTYPE_F16: HEAD_TILE_CASES(GPT_DTYPE_F16); break;
    case GPT_DTYPE_BF16: HEAD_TILE_CASES(GPT_DTYPE_BF16); break;
    default: HEAD_TILE_CASES(GPT_DTYPE_F32); break;
    }
}

TARGET_AVX2 static void head_block_avx2(float *out, int ldo, const float *in, const gpt_matrix *W, int R, int v0,
                                        int v1) {
    if (R > 1) {
        /* Tiles of 3 head rows (2 and 2 for the last 4) x 4 input rows (3
         * and 2 for 5, 3 and 3 for 6, 4 and 3 for 7): 12 sums share 3
         * weight and 4 input loads, and no tile has one input row (R >= 2
         * never leaves one), nor a 16 x 16 block one head row: the 3 x 3
         * tiles left 3 x 1 and 1 x 3 tiles, 4 loads for 3 sums. 1.11x and
         * 1.18x a 16-row SmolLM2-135M and Qwen2.5-0.5B BF16 step on Zen 3
         * against 3 x 3 tiles (BENCHMARKS.md). */
        /* The block two ahead (AHEAD_BLOCKS) streams into L2 a slice a
         * tile, so its weights are there when it starts; the last tile of
         * each head row group fetches the next group's rows into L1.
         * Without them a 16-row step waited on the weights (a 16 x 16
         * block of streamed weights ran at 0.6-0.7x the rate of one held
         * in L2); 1.06-1.09x a 16-row step with both, 1.19x a 4-row one
         * (BENCHMARKS.md, eleventh session). */
        const size_t row_size = (size_t)W->cols * (W->dtype == GPT_DTYPE_F32 ? 4 : 2);
        const int ahead_row = v0 + AHEAD_BLOCKS * 16;
        const int ahead_rows = ahead_row >= W->rows ? 0 : W->rows - ahead_row < 16 ? W->rows - ahead_row : 16;
        const char *ahead = ahead_rows ? (const char *)W->data + (size_t)ahead_row * row_size : NULL;
        const size_t ahead_bytes = (size_t)ahead_rows * row_size;
        const int n_tiles = ((v1 - v0 + 2) / 3) * ((R + 3) / 4);  // about: the rest goes after the last tile
        const size_t slice = (ahead_bytes / n_tiles + 63) & ~(size_t)63;
        size_t done = 0;
        for (int v = v0, nv; v < v1; v += nv) {
            nv = v1 - v == 4 ? 2 : v1 - v < 3 ? v1 - v : 3;
            for (int r = 0, nr; r < R; r += nr) {
                const int left = R - r;
                nr = left >= 7 || left == 4 ? 4 : left >= 5 ? 3 : left;
                for (size_t end = done + slice; done < end && done < ahead_bytes; done += 64)
                    _mm_prefetch(ahead + done, _MM_HINT_T1);
                head_tile_avx2(out + (size_t)r * ldo, ldo, in + (size_t)r * W->cols, W, v, nv, nr,
                               r + nr >= R);  // the last tile of the group fetches the next group's rows
            }
        }
        for (; done < ahead_bytes; done += 64) _mm_prefetch(ahead + done, _MM_HINT_T1);
        return;
    }
    switch (W->dtype) {
    case GPT_DTYPE_F16: head_row_body(out, in, W->data, GPT_DTYPE_F16, W->cols, v0, v1); break;
    case GPT_DTYPE_BF16: head_row_body(out, in, W->data, GPT_DTYPE_BF16, W->cols, v0, v1); break;
    default: head_row_body(out, in, W->data, GPT_DTYPE_F32, W->cols, v0, v1); break;
    }
}

TARGET_AVX2 static float dot_avx2(const float *a, const float *b, int n) {
    return dot1_body(a, b, GPT_DTYPE_F32, 0, n);
}

/* ---- the head on AVX-512: the same 16-lane tree, one register per dot ----
 *
 * A 512-bit register holds the tree's 16 lanes (acc0's 8 then acc1's), so a
 * dot of the AVX2 path is one register here, the same fused multiply-adds
 * in the same lanes: lane l takes inputs i + l, i stepping by 16; a last
 * run of 8 inputs goes to lanes 0-7 alone (a masked fma keeps lanes 8-15
 * as they are); then the same reduction (reduce16 of the two halves) and
 * the same scalar tail. The bits are those of the AVX2 and portable paths.
 * On Zen 4 a 512-bit operation runs as two 256-bit halves, so the gain is
 * in instructions, not in FLOPs: half the loads, widenings and fmas issued,
 * and tiles of 4 head rows x 4 input rows (16 dots in registers, one pass,
 * ended by one transposed reduction) instead of 3 x 3 in two passes. */

static int no_avx512 = 0;
void ops_force_no_avx512(int on) {
    no_avx512 = on != 0;
    no_vnni = on != 0;
}

static int cpu_has_avx512(void) {
    static int cached = -1;
    if (no_avx512 || !cpu_has_avx2()) return 0;
    if (cached < 0)
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl");
    return cached;
}
int ops_head_avx512(void) { return cpu_has_avx512(); }

/* 16 values from element i, widened: BF16 is a shift into the top half. */
TARGET_AVX512 static inline __attribute__((always_inline)) __m512 load16(const void *data, gpt_dtype dt, size_t i) {
    switch (dt) {
    case GPT_DTYPE_F16:
        return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)data + i)));
    case GPT_DTYPE_BF16: {
        __m256i h = _mm256_loadu_si256((const __m256i *)((const uint16_t *)data + i));
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
    default: return _mm512_loadu_ps((const float *)data + i);
    }
}

/* 8 values in lanes 0-7, zeros above (for the masked last run of 8). */
TARGET_AVX512 static inline __attribute__((always_inline)) __m512 load8z(const void *data, gpt_dtype dt, size_t i) {
    return _mm512_zextps256_ps512(load8(data, dt, i));
}

TARGET_AVX512 static inline __attribute__((always_inline)) float reduce16z(__m512 acc) {
    return reduce16(_mm512_castps512_ps256(acc), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1)));
}

/* x . W row at base, n values: the AVX2 path's 16-lane tree with each pair
 * of 8-lane chains in one register. One weight row at a time, no software
 * prefetch: each thread's rows are one sequential stream (dot1_body). */
TARGET_AVX512 static inline __attribute__((always_inline)) float dot1_body512(const float *x, const void *wd,
                                                                          const gpt_dtype dt, size_t base, int n) {
    __m512 acc = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), load16(wd, dt, base + i), acc);
    if (i + 8 <= n) {
        acc = _mm512_mask3_fmadd_ps(_mm512_zextps256_ps512(_mm256_loadu_ps(x + i)), load8z(wd, dt, base + i), acc,
                                    0x00FF);
        i += 8;
    }
    float sum = reduce16z(acc);
    for (; i < n; i++) sum += x[i] * load_one(wd, dt, base + i);
    return sum;
}

/* dots_side_body with a register per dot. */
TARGET_AVX512 static inline __attribute__((always_inline)) void dots_side_body512(float *const out[],
                                                                                const float *x,
                                                                                const void *const row[],
                                                                                const gpt_dtype dt, int n,
                                                                                const int K) {
    __m512 a[4];
    for (int k = 0; k < K; k++) a[k] = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 xv = _mm512_loadu_ps(x + i);
        for (int k = 0; k < K; k++) a[k] = _mm512_fmadd_ps(xv, load16(row[k], dt, i), a[k]);
    }
    if (i + 8 <= n) {
        __m512 xv = _mm512_zextps256_ps512(_mm256_loadu_ps(x + i));
        for (int k = 0; k < K; k++) a[k] = _mm512_mask3_fmadd_ps(xv, load8z(row[k], dt, i), a[k], 0x00FF);
        i += 8;
    }
    for (int k = 0; k < K; k++) {
        float sum = reduce16z(a[k]);
        for (int t = i; t < n; t++) sum += x[t] * load_one(row[k], dt, t);
        *out[k] = sum;
    }
}

TARGET_AVX512 static inline __attribute__((always_inline)) void head_row_body512(float *out, const float *x,
                                                                               const void *wd, const gpt_dtype dt,
                                                                               int C, int v0, int v1) {
    for (int v = v0; v < v1; v++) out[v] = dot1_body512(x, wd, dt, (size_t)v * C, C);
}

/* Several input rows: a tile of NV head rows x NR input rows (up to 4 x 4),
 * every dot in one register for the whole pass over C, each ended alone
 * (the rows left after head_tile16_body512's 4 x 4 tiles). */
TARGET_AVX512 static inline __attribute__((always_inline)) void head_tile_body512(
    float *out, int ldo, const float *in, const void *wd, const gpt_dtype dt, int C, int v, const int NV,
    const int NR, const char *prefetch) {
    __m512 acc[4][4];
#pragma GCC unroll 4
    for (int a = 0; a < NV; a++)
#pragma GCC unroll 4
        for (int r = 0; r < NR; r++) acc[a][r] = _mm512_setzero_ps();
    int i = 0;
    const size_t esize = dt == GPT_DTYPE_F32 ? 4 : 2;
    for (; i + 16 <= C; i += 16) {
        if (prefetch)  // the same offsets of the rows a block further on, while these come from cache
            for (int a = 0; a < NV; a++) _mm_prefetch(prefetch + ((size_t)a * C + i) * esize, _MM_HINT_T1);
        __m512 w[4];
#pragma GCC unroll 4
        for (int a = 0; a < NV; a++) w[a] = load16(wd, dt, (size_t)(v + a) * C + i);
#pragma GCC unroll 4
        for (int r = 0; r < NR; r++) {
            __m512 x = _mm512_loadu_ps(in + (size_t)r * C + i);
#pragma GCC unroll 4
            for (int a = 0; a < NV; a++) acc[a][r] = _mm512_fmadd_ps(x, w[a], acc[a][r]);
        }
    }
    if (i + 8 <= C) {
        for (int a = 0; a < NV; a++) {
            __m512 w = load8z(wd, dt, (size_t)(v + a) * C + i);
            for (int r = 0; r < NR; r++)
                acc[a][r] = _mm512_mask3_fmadd_ps(_mm512_zextps256_ps512(_mm256_loadu_ps(in + (size_t)r * C + i)), w,
                                                  acc[a][r], 0x00FF);
        }
        i += 8;
    }
    for (int a = 0; a < NV; a++)
        for (int r = 0; r < NR; r++) {
            const float *x = in + (size_t)r * C;
            float sum = reduce16z(acc[a][r]);
            for (int t = i; t < C; t++) sum += x[t] * load_one(wd, dt, (size_t)(v + a) * C + t);
            out[(size_t)r * ldo + v + a] = sum;
        }
}

#define HEAD_TILE512_NR(DT, NV)                                                                          \
    switch (nr) {                                                                                      \
    case 1: head_tile_body512(out, ldo, in, wd, DT, C, v, NV, 1, prefetch); break;                               \
    case 2: head_tile_body512(out, ldo, in, wd, DT, C, v, NV, 2, prefetch); break;                               \
    case 3: head_tile_body512(out, ldo, in, wd, DT, C, v, NV, 3, prefetch); break;                               \
    default: /* 4 x 4 ends its dots together (NV is a constant: one branch is compiled) */                    \
        if (NV == 4) head_tile16_body512(out, ldo, in, wd, DT, C, v, prefetch);                                 \
        else head_tile_body512(out, ldo, in, wd, DT, C, v, NV, 4, prefetch);                                    \
        break;                                                                                                   \
    }
#define HEAD_TILE512_CASES(DT)                                                                           \
    if (nv == 4) {                                                                                     \
        HEAD_TILE512_NR(DT, 4)                                                                         \
    } else {                                                                                           \
        HEAD_TILE512_NR(DT, 1)                                                                         \
    }

/* Four head rows x four input rows: 16 dots in 16 registers over the whole
 * of C, ended together by reduce16x16, the same tree as reduce16z's one by
 * one. The 4 x 6 tile ends each of its 24 dots alone, which at C = 576 was
 * about a third of its time: 16 rows' products at the SmolLM2 shapes ran
 * 1.00-1.12x as fast on these, a whole decode step of 16 sequences
 * 1.03-1.05x (BENCHMARKS.md). */
TARGET_AVX512 static inline __attribute__((always_inline)) void head_tile16_body512(float *out, int ldo,
                                                                                  const float *in, const void *wd,
                                                                                  const gpt_dtype dt, int C, int v,
                                                                                  const char *prefetch) {
    __m512 acc[16];  // acc[4 * r + a]: input row r . head row v + a
#pragma GCC unroll 16
    for (int k = 0; k < 16; k++) acc[k] = _mm512_setzero_ps();
    int i = 0;
    const size_t esize = dt == GPT_DTYPE_F32 ? 4 : 2;
    for (; i + 16 <= C; i += 16) {
        if (prefetch)  // as head_tile_body512
            for (int a = 0; a < 4; a++) _mm_prefetch(prefetch + ((size_t)a * C + i) * esize, _MM_HINT_T1);
        __m512 w[4];
#pragma GCC unroll 4
        for (int a = 0; a < 4; a++) w[a] = load16(wd, dt, (size_t)(v + a) * C + i);
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++) {
            const __m512 x = _mm512_loadu_ps(in + (size_t)r * C + i);
#pragma GCC unroll 4
            for (int a = 0; a < 4; a++) acc[4 * r + a] = _mm512_fmadd_ps(x, w[a], acc[4 * r + a]);
        }
    }
    if (i + 8 <= C) {
        for (int a = 0; a < 4; a++) {
            const __m512 w = load8z(wd, dt, (size_t)(v + a) * C + i);
            for (int r = 0; r < 4; r++)
                acc[4 * r + a] = _mm512_mask3_fmadd_ps(
                    _mm512_zextps256_ps512(_mm256_loadu_ps(in + (size_t)r * C + i)), w, acc[4 * r + a], 0x00FF);
        }
        i += 8;
    }
    const __m512 sums = reduce16x16(acc);  // lane 4r + a: out[r][v + a]
    if (i == C) {
        _mm_storeu_ps(out + v, _mm512_extractf32x4_ps(sums, 0));
        _mm_storeu_ps(out + (size_t)ldo + v, _mm512_extractf32x4_ps(sums, 1));
        _mm_storeu_ps(out + (size_t)2 * ldo + v, _mm512_extractf32x4_ps(sums, 2));
        _mm_storeu_ps(out + (size_t)3 * ldo + v, _mm512_extractf32x4_ps(sums, 3));
        return;
    }
    float tree[16];  // the inputs past the last multiple of 8 go on one by one
    _mm512_storeu_ps(tree, sums);
    for (int r = 0; r < 4; r++)
        for (int a = 0; a < 4; a++) {
            const float *x = in + (size_t)r * C;
            float sum = tree[4 * r + a];
            for (int t = i; t < C; t++) sum += x[t] * load_one(wd, dt, (size_t)(v + a) * C + t);
            out[(size_t)r * ldo + v + a] = sum;
        }
}

/* out[r * ldo + v] for nv (4, or 1) head rows from v and nr (up to 4) input
 * rows: 4 x 4 on head_tile16_body512, the rest on head_tile_body512. */
TARGET_AVX512 static void head_tile_avx512(float *out, int ldo, const float *in, const gpt_matrix *W, int v, int nv,
                                           int nr, int prefetch_next) {
    const int C = W->cols;
    const void *wd = W->data;
    const size_t esize = W->dtype == GPT_DTYPE_F32 ? 4 : 2;
    const char *prefetch =
        prefetch_next && v + 16 < W->rows ? (const char *)wd + (size_t)(v + 16) * C * esize : NULL;
    switch (W->dtype) {
    case GPT_DTYPE_F16: HEAD_TILE512_CASES(GPT_DTYPE_F16); break;
    case GPT_DTYPE_BF16: HEAD_TILE512_CASES(GPT_DTYPE_BF16); break;
    default: HEAD_TILE512_CASES(GPT_DTYPE_F32); break;
    }
}

TARGET_AVX512 static void head_block_avx512(float *out, int ldo, const float *in, const gpt_matrix *W, int R, int v0,
                                            int v1) {
    if (R > 1) {
        /* Each tile of 4 input rows meets the block's head rows while both
         * stay in cache. The first tile reads the block from memory, four
         * rows side by side, which the hardware prefetcher follows poorly:
         * it fetches the next block's rows ahead (1.18x whole-model decode of
         * 16 sequences at the SmolLM2 shape). It fetches them into L2, not
         * L1: 16 rows of 576 BF16 inputs are 18 KB, and the next block's
         * arriving in L1 evicted this one while the later tiles still read
         * it (T1 for T0: 1.21x decode of 16 sequences, 1.36x of 8, 1.70x of
         * 4, in process, SmolLM2 shape). */
        for (int r = 0; r < R;) {
            const int nr = R - r < 4 ? R - r : 4;  // 4 x 4 tiles, then the rows left on the 4 x nr ones
            float *o = out + (size_t)r * ldo;
            const float *x = in + (size_t)r * W->cols;
            int v = v0;
            for (; v + 4 <= v1; v += 4) head_tile_avx512(o, ldo, x, W, v, 4, nr, r == 0);
            for (; v < v1; v++) head_tile_avx512(o, ldo, x, W, v, 1, nr, r == 0);
            r += nr;
        }
        return;
    }
    switch (W->dtype) {
    case GPT_DTYPE_F16: head_row_body512(out, in, W->data, GPT_DTYPE_F16, W->cols, v0, v1); break;
    case GPT_DTYPE_BF16: head_row_body512(out, in, W->data, GPT_DTYPE_BF16, W->cols, v0, v1); break;
    default: head_row_body512(out, in, W->data, GPT_DTYPE_F32, W->cols, v0, v1); break;
    }
}
#endif

#if !HAVE_X86
void ops_force_no_avx512(int on) { (void)on; }
int ops_head_avx512(void) { return 0; }
#endif

/* ---- products in input order (gpt_matrix.in_order) --------------------
 *
 * The Llama family's matrices: out[r][v] = in[r] . W row v, one fused
 * multiply-add per input in input order, from zero (the order GPT-2's
 * Conv1D products keep). Vectors run across outputs, not inputs, so a
 * row's bits do not depend on how many rows or outputs a tile holds. In
 * row panels (gpt_matrix.row_panels) a tile of up to 6 input rows x 16
 * outputs keeps twelve accumulators: each input's 16 weights are loaded
 * and widened once (BF16: one load, a shift and a mask) and each of the
 * rows' inputs is broadcast against them, so the tile issues 12 fmas to 2
 * widening operations and 7 loads. The old 16-lane dot tiles issued 12 to
 * 6 and 7 and ended in reductions; these ran at 89-93% of two cores' FMA
 * peak on two threads over a streamed 49,152 x 576 BF16 matrix and 16
 * input rows (the dot tiles at 40-50%; BENCHMARKS.md, twelfth session). Rows stored as
 * rows (a mapped file; a matrix whose rows are not a multiple of 16) go
 * through the same tiles, a chunk of inputs of the block at a time turned
 * into a float panel on the stack first. */
#define IN_ORDER_TILE_ROWS 6
#define IN_ORDER_CHUNK 256  // inputs of a rows-layout block turned at a time: (256, 16) floats, 16 KB

#if HAVE_X86
/* Half h (0: rows 0-7, 1: rows 8-15) of input k's 16 weights of a panel. */
TARGET_AVX2 static inline __attribute__((always_inline)) __m256 widen8(const void *panel, const gpt_dtype dt, size_t k,
                                                                      const int h) {
    switch (dt) {
    case GPT_DTYPE_BF16: {  // one load for both halves (gpt_row_panel_lane)
        const __m256i v = _mm256_loadu_si256((const __m256i *)((const uint16_t *)panel + 16 * k));
        return _mm256_castsi256_ps(h ? _mm256_and_si256(v, _mm256_set1_epi32((int)0xFFFF0000u))
                                     : _mm256_slli_epi32(v, 16));
    }
    case GPT_DTYPE_F16:
        return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)panel + 16 * k + 8 * h)));
    default: return _mm256_loadu_ps((const float *)panel + 16 * k + 8 * h);
    }
}

/* The 16 weights of input k of a panel (element 16 k): rows 0-7 in *lo,
 * rows 8-15 in *hi (BF16: one load, which GCC shares between the halves). */
TARGET_AVX2 static inline __attribute__((always_inline)) void widen16(const void *panel, const gpt_dtype dt, size_t k,
                                                                     __m256 *lo, __m256 *hi) {
    *lo = widen8(panel, dt, k, 0);
    *hi = widen8(panel, dt, k, 1);
}

/* At input k of a tile: a line of ahead_bytes from ahead where (k & every)
 * == 0, until *fetched reaches ahead_bytes. */
static inline __attribute__((always_inline)) void fetch_at(const char *ahead, size_t ahead_bytes, int k, int every,
                                                           size_t *fetched) {
    if (ahead && (k & every) == 0 && *fetched < ahead_bytes) {
        _mm_prefetch(ahead + *fetched, _MM_HINT_T1);
        *fetched += 64;
    }
}

/* out (NR, 16 at ldo) for NR input rows (ldi apart) against inputs
 * [0, n) of a panel; the sums start from zero (first) or from out. */
TARGET_AVX2 static inline __attribute__((always_inline)) void in_order_tile_body(float *out, int ldo, const float *in,
                                                                                int ldi, const void *panel,
                                                                                const gpt_dtype dt, int n, const int NR,
                                                                                int first, const char *ahead,
                                                                                size_t ahead_bytes) {
    __m256 lo_acc[IN_ORDER_TILE_ROWS], hi_acc[IN_ORDER_TILE_ROWS];
#pragma GCC unroll 6
    for (int r = 0; r < NR; r++) {
        lo_acc[r] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(out + (size_t)r * ldo);
        hi_acc[r] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(out + (size_t)r * ldo + 8);
    }
    size_t fetched = 0;
    for (int k = 0; k < n; k++) {
        fetch_at(ahead, ahead_bytes, k, 3, &fetched);  // a line every fourth input
        __m256 lo, hi;
        widen16(panel, dt, (size_t)k, &lo, &hi);
#pragma GCC unroll 6
        for (int r = 0; r < NR; r++) {
            const __m256 x = _mm256_broadcast_ss(in + (size_t)r * ldi + k);
            lo_acc[r] = _mm256_fmadd_ps(x, lo, lo_acc[r]);
            hi_acc[r] = _mm256_fmadd_ps(x, hi, hi_acc[r]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < NR; r++) {
        _mm256_storeu_ps(out + (size_t)r * ldo, lo_acc[r]);
        _mm256_storeu_ps(out + (size_t)r * ldo + 8, hi_acc[r]);
    }
}

#define IN_ORDER_TILE_CASES(DT)                                                                            \
    switch (nr) {                                                                                          \
    case 1: in_order_tile_body(out, ldo, in, ldi, panel, DT, n, 1, first, tile_ahead, tile_bytes); break;  \
    case 2: in_order_tile_body(out, ldo, in, ldi, panel, DT, n, 2, first, tile_ahead, tile_bytes); break;  \
    case 3: in_order_tile_body(out, ldo, in, ldi, panel, DT, n, 3, first, tile_ahead, tile_bytes); break;  \
    case 4: in_order_tile_body(out, ldo, in, ldi, panel, DT, n, 4, first, tile_ahead, tile_bytes); break;  \
    case 5: in_order_tile_body(out, ldo, in, ldi, panel, DT, n, 5, first, tile_ahead, tile_bytes); break;  \
    default: in_order_tile_body(out, ldo, in, ldi, panel, DT, n, 6, first, tile_ahead, tile_bytes); break; \
    }

/* Tiles of up to T rows over R rows, the last two split evenly (T = 6,
 * R = 16: 6, 5, 5; R = 7: 4, 3), each fetching its slice of ahead_bytes
 * from ahead. tile_next gives the next tile's rows (0 when none are left)
 * and its *tile_ahead (NULL: nothing) and *tile_bytes. */
typedef struct {
    int T, R, r;
    const char *ahead;
    size_t ahead_bytes, slice, done;
} tile_walk;

static inline tile_walk tile_walk_new(int T, int R, const char *ahead, size_t ahead_bytes) {
    const int n_tiles = (R + T - 1) / T;
    return (tile_walk){T, R, 0, ahead, ahead_bytes, (ahead_bytes / n_tiles + 63) & ~(size_t)63, 0};
}

static inline int tile_next(tile_walk *w, const char **tile_ahead, size_t *tile_bytes) {
    const int left = w->R - w->r, T = w->T;
    const int nr = left > T ? (left < 2 * T ? (left + 1) / 2 : T) : left;
    *tile_ahead = w->ahead && w->done < w->ahead_bytes ? w->ahead + w->done : NULL;
    *tile_bytes = w->ahead_bytes - w->done < w->slice ? w->ahead_bytes - w->done : w->slice;
    w->done += *tile_ahead ? *tile_bytes : 0;
    w->r += nr;
    return nr;
}

/* out (R, 16 at ldo) = R input rows against inputs [0, n) of a panel, in
 * tiles of up to 6 rows (tile_walk).
 * ahead, ahead_bytes: a later panel, fetched into L2 a slice a tile, a
 * line every fourth input (SmolLM2-135M --parallel 16 1.20x against the
 * slice fetched in a burst before the tile, whose loop perf found holding
 * 6% of the samples). */
TARGET_AVX2 static void in_order_tiles_avx2(float *out, int ldo, const float *in, int ldi, const void *panel,
                                            gpt_dtype dt, int n, int R, int first, const char *ahead,
                                            size_t ahead_bytes) {
    tile_walk walk = tile_walk_new(IN_ORDER_TILE_ROWS, R, ahead, ahead_bytes);
    const char *tile_ahead;
    size_t tile_bytes;
    for (int nr; (nr = tile_next(&walk, &tile_ahead, &tile_bytes)) > 0;
         out += (size_t)nr * ldo, in += (size_t)nr * ldi) {
        switch (dt) {
        case GPT_DTYPE_BF16: IN_ORDER_TILE_CASES(GPT_DTYPE_BF16); break;
        case GPT_DTYPE_F16: IN_ORDER_TILE_CASES(GPT_DTYPE_F16); break;
        default: IN_ORDER_TILE_CASES(GPT_DTYPE_F32); break;
        }
    }
}

/* A tile that fetches ahead_bytes over its n inputs takes a line at the
 * inputs k with (k & every) == 0: every fourth input where that covers
 * them, else every second, else every input. */
static inline int fetch_every(size_t ahead_bytes, int n) {
    const size_t lines = ahead_bytes / 64;
    return lines * 4 <= (size_t)n ? 3 : lines * 2 <= (size_t)n ? 1 : 0;
}

/* Three whole panels at once on AVX2, for 2 input rows or more (but 3):
 * a 6-row tile keeps 12 chains of fmas (Zen 2's two FMA pipes and 5-cycle
 * latency want 10 or more), but 16 rows split 6, 5, 5, and 8 rows 4, 4:
 * 10 and 8 chains. A tile of 4 rows x 3 halves (24 outputs) keeps 12 for
 * any multiple of 4 rows; a block's two halves and the three panels' six
 * make two such tiles. Zen 2, 576 inputs, one thread in L2, such a tile
 * without the fetch of later panels against the 6-row walk: 16 rows 1.12x
 * (105 GFLOP/s of a thread's 107 FMA peak), 8 rows 1.31x, 4 rows 1.32x,
 * 32 rows 1.07x, 12 rows even. With the fetch (its tests cost 7% in L2
 * and 10-12% from L3), 16 rows on two threads streaming a 75 MB matrix
 * (on 4 KB pages): 160-172 GFLOP/s against 152 for the 6-row walk. In
 * whole commands (weights on 2 MB pages) a 16-stream step without the
 * fetch ran 0.87-0.96x. Each output is still one chain in input order,
 * the same bits as in_order_tile_body's. */
#define IN_ORDER_TRIPLE_ROWS 4

/* out (NR, 24 at ldo) for NR (3 or 4) input rows (ldi apart) against
 * inputs [0, n) of halves 3 t .. 3 t + 2 of three panels (a, then b, stride elements
 * on): t = 0 a's two and b's first, t = 1 b's second and c's two (a is
 * then the second panel). Fetches ahead_bytes from ahead, a line every
 * fourth, second or every input, as its share needs. */
TARGET_AVX2 static inline __attribute__((always_inline)) void in_order_triple_body(float *out, int ldo,
                                                                                  const float *in, int ldi,
                                                                                  const void *a, size_t stride,
                                                                                  const gpt_dtype dt, int n, const int NR,
                                                                                  const int t, const char *ahead,
                                                                                  size_t ahead_bytes) {
    const size_t esize = dt == GPT_DTYPE_F32 ? 4 : 2;
    const void *b = (const char *)a + stride * esize;
    __m256 acc[IN_ORDER_TRIPLE_ROWS][3];  // acc[r][j]: row r against the tile's half j
#pragma GCC unroll 4
    for (int r = 0; r < NR; r++)
        acc[r][0] = acc[r][1] = acc[r][2] = _mm256_setzero_ps();
    const int every = fetch_every(ahead_bytes, n);
    size_t fetched = 0;
    for (int k = 0; k < n; k++) {
        fetch_at(ahead, ahead_bytes, k, every, &fetched);
        const __m256 w[3] = {widen8(a, dt, (size_t)k, t), t ? widen8(b, dt, (size_t)k, 0) : widen8(a, dt, (size_t)k, 1),
                             widen8(b, dt, (size_t)k, t)};
#pragma GCC unroll 4
        for (int r = 0; r < NR; r++) {
            const __m256 x = _mm256_broadcast_ss(in + (size_t)r * ldi + k);
            acc[r][0] = _mm256_fmadd_ps(x, w[0], acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, w[1], acc[r][1]);
            acc[r][2] = _mm256_fmadd_ps(x, w[2], acc[r][2]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < NR; r++) {
        _mm256_storeu_ps(out + (size_t)r * ldo, acc[r][0]);
        _mm256_storeu_ps(out + (size_t)r * ldo + 8, acc[r][1]);
        _mm256_storeu_ps(out + (size_t)r * ldo + 16, acc[r][2]);
    }
}

/* out (NR, 8 NH at ldo) for NR input rows (ldi apart) against inputs
 * [0, n) of the NH halves of NH / 2 whole panels (a, stride elements on
 * b and c): NR NH chains, where a tile of one panel keeps 2 NR. 2 or 1
 * rows x 6 halves (in_order_triple_avx2's rows left over) and 3 rows x 4
 * halves (in_order_pair3_avx2) keep 12 or 6. Each weight is widened, used
 * by the rows and dropped before the next (12 accumulators, the inputs and
 * the weight in 16 registers). Zen 2, SmolLM2-135M BF16 (medians of four
 * rounds against one panel at a time): --parallel 2 1.24x (a median 87%
 * of the roofline, was 70-75%), 5 = 4 + 1 1.13x, 6 = 4 + 2 1.19x, 9 = 4 + 4 + 1
 * even; in L2 on one thread, 2 rows 81 GFLOP/s against 41. */
TARGET_AVX2 static inline __attribute__((always_inline)) void in_order_six_body(float *out, int ldo, const float *in,
                                                                               int ldi, const void *a, size_t stride,
                                                                               const gpt_dtype dt, int n, const int NR,
                                                                               const int NH, const char *ahead,
                                                                               size_t ahead_bytes) {
    const size_t esize = dt == GPT_DTYPE_F32 ? 4 : 2;
    __m256 acc[3][6];  // acc[r][h]: row r against half h (panel h / 2, its rows 8 (h % 2)..)
#pragma GCC unroll 3
    for (int r = 0; r < NR; r++)
#pragma GCC unroll 6
        for (int h = 0; h < NH; h++) acc[r][h] = _mm256_setzero_ps();
    const int every = fetch_every(ahead_bytes, n);
    size_t fetched = 0;
    for (int k = 0; k < n; k++) {
        fetch_at(ahead, ahead_bytes, k, every, &fetched);
        __m256 x[3];
#pragma GCC unroll 3
        for (int r = 0; r < NR; r++) x[r] = _mm256_broadcast_ss(in + (size_t)r * ldi + k);
#pragma GCC unroll 6
        for (int h = 0; h < NH; h++) {
            const __m256 w = widen8((const char *)a + (size_t)(h / 2) * stride * esize, dt, (size_t)k, h % 2);
#pragma GCC unroll 3
            for (int r = 0; r < NR; r++) acc[r][h] = _mm256_fmadd_ps(x[r], w, acc[r][h]);
        }
    }
#pragma GCC unroll 3
    for (int r = 0; r < NR; r++)
#pragma GCC unroll 6
        for (int h = 0; h < NH; h++) _mm256_storeu_ps(out + (size_t)r * ldo + 8 * h, acc[r][h]);
}

/* The g whole blocks of W in row panels past the g from row v0, or those
 * there are: where they start (NULL: none) and *bytes. */
static const char *next_blocks(const gpt_matrix *W, int v0, int g, size_t *bytes) {
    const int later = (W->rows - v0) / GPT_ROW_PANEL - g;  // whole blocks past these g
    *bytes = later > 0 ? (size_t)(later < g ? later : g) * panel_bytes_of(W) : 0;
    return later > 0 ? panel_at(W, v0) + g * panel_bytes_of(W) : NULL;
}

/* Rows [v0, v0 + 32) of W in row panels (two whole panels) against 3 input
 * rows on AVX2: one tile of 3 rows x 4 halves (12 chains), fetching the
 * next two blocks, or those there are. */
TARGET_AVX2 static void in_order_pair3_avx2(float *out, int ldo, const float *in, const gpt_matrix *W, int v0) {
    const int C = W->cols;
    const size_t stride = (size_t)GPT_ROW_PANEL * C;
    size_t ahead_bytes;
    const char *panel = panel_at(W, v0), *ahead = next_blocks(W, v0, 2, &ahead_bytes);
    switch (W->dtype) {
    case GPT_DTYPE_BF16: in_order_six_body(out + v0, ldo, in, C, panel, stride, GPT_DTYPE_BF16, C, 3, 4, ahead, ahead_bytes); break;
    case GPT_DTYPE_F16: in_order_six_body(out + v0, ldo, in, C, panel, stride, GPT_DTYPE_F16, C, 3, 4, ahead, ahead_bytes); break;
    default: in_order_six_body(out + v0, ldo, in, C, panel, stride, GPT_DTYPE_F32, C, 3, 4, ahead, ahead_bytes); break;
    }
}

/* out (R, 48 at ldo) = R input rows against inputs [0, n) of three panels
 * stride elements apart: each group of 4 rows two tiles
 * (in_order_triple_body), then the rows left over: 3 two such tiles, 2 or
 * 1 one tile of all six halves (in_order_six_body); each tile fetches its
 * slice of ahead_bytes (as tile_walk slices it among the tiles). */
TARGET_AVX2 static void in_order_triple_avx2(float *out, int ldo, const float *in, int ldi, const void *panel,
                                             size_t stride, gpt_dtype dt, int n, int R, const char *ahead,
                                             size_t ahead_bytes) {
    const size_t esize = dt == GPT_DTYPE_F32 ? 4 : 2;
    const void *second = (const char *)panel + stride * esize;
    const int left = R % IN_ORDER_TRIPLE_ROWS, tiles = R / IN_ORDER_TRIPLE_ROWS * 2 + (left == 3 ? 2 : left > 0);
    tile_walk walk = tile_walk_new(1, tiles, ahead, ahead_bytes);  // a step a tile: its slice
    const char *tile_ahead;
    size_t tile_bytes;
    for (int r = 0, nr; r < R; r += nr, out += (size_t)nr * ldo, in += (size_t)nr * ldi) {
        nr = R - r < IN_ORDER_TRIPLE_ROWS ? R - r : IN_ORDER_TRIPLE_ROWS;
        for (int t = 0; t < (nr >= 3 ? 2 : 1); t++) {
            tile_next(&walk, &tile_ahead, &tile_bytes);
#define IN_ORDER_TRIPLE_CASE(DT)                                                                                   \
    switch (nr * 2 + t) {                                                                                          \
    case 8: in_order_triple_body(out, ldo, in, ldi, panel, stride, DT, n, 4, 0, tile_ahead, tile_bytes); break;    \
    case 9: in_order_triple_body(out + 24, ldo, in, ldi, second, stride, DT, n, 4, 1, tile_ahead, tile_bytes); break; \
    case 6: in_order_triple_body(out, ldo, in, ldi, panel, stride, DT, n, 3, 0, tile_ahead, tile_bytes); break;    \
    case 7: in_order_triple_body(out + 24, ldo, in, ldi, second, stride, DT, n, 3, 1, tile_ahead, tile_bytes); break; \
    case 4: in_order_six_body(out, ldo, in, ldi, panel, stride, DT, n, 2, 6, tile_ahead, tile_bytes); break;       \
    default: in_order_six_body(out, ldo, in, ldi, panel, stride, DT, n, 1, 6, tile_ahead, tile_bytes); break;      \
    }
            switch (dt) {
            case GPT_DTYPE_BF16: IN_ORDER_TRIPLE_CASE(GPT_DTYPE_BF16); break;
            case GPT_DTYPE_F16: IN_ORDER_TRIPLE_CASE(GPT_DTYPE_F16); break;
            default: IN_ORDER_TRIPLE_CASE(GPT_DTYPE_F32); break;
            }
#undef IN_ORDER_TRIPLE_CASE
        }
    }
}

/* Rows [v0, v0 + 48) of W in row panels (three whole panels) against R
 * input rows: fetches the next three blocks, or those there are. */
TARGET_AVX2 static void in_order_triple_rows_avx2(float *out, int ldo, const float *in, const gpt_matrix *W, int R,
                                                  int v0) {
    const int C = W->cols;
    size_t ahead_bytes;
    const char *ahead = next_blocks(W, v0, 3, &ahead_bytes);
    in_order_triple_avx2(out + v0, ldo, in, C, panel_at(W, v0), (size_t)GPT_ROW_PANEL * C, W->dtype, C, R, ahead,
                         ahead_bytes);
}

/* The same tiles on AVX-512: one register holds an input's 16 weights, so
 * a tile keeps one accumulator per input row and panel in the 32
 * registers. BF16 widens in the panel's order (lane 2j row j, lane 2j + 1
 * row 8 + j: gpt_row_panel_lane), which a permutation undoes at the store;
 * each lane is still one row's chain of fmas in input order, so the bits
 * are the AVX2 tiles'. Each chain waits on its last fma, so a tile needs 8
 * rows to keep two FMA pipes busy; with one panel each fma also loads its
 * input, and a tile of two panels (in_order_pair_avx512) loads each input
 * once for two fmas. A 4864 x 896 BF16 matrix against 512 rows on two Zen 5
 * threads (FMA peak 460 GFLOP/s): the AVX2 tiles 210 GFLOP/s, one panel 8
 * rows 320, two panels 10 rows 383 (more rows ran slower: 16 rows of one
 * panel 282). Chunks of inputs that stay in L1 did not help (0.93-1.0x). */
#define IN_ORDER_TILE_ROWS_512 8   // one panel: 8 chains keep both FMA pipes busy
#define IN_ORDER_PAIR_ROWS_512 10  // two panels: 20 accumulators, and no spills

/* The 16 weights of input k of a panel (element 16 k), widened. */
TARGET_AVX512 static inline __attribute__((always_inline)) __m512 widen16_512(const void *panel, const gpt_dtype dt,
                                                                             size_t k) {
    switch (dt) {
    case GPT_DTYPE_BF16: {
        const __m256i v = _mm256_loadu_si256((const __m256i *)((const uint16_t *)panel + 16 * k));
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(v), 16));
    }
    case GPT_DTYPE_F16: return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)panel + 16 * k)));
    default: return _mm512_loadu_ps((const float *)panel + 16 * k);
    }
}

/* out (NR, 16 NP at ldo) for NR input rows (ldi apart) against inputs
 * [0, n) of NP panels (1 or 2, stride elements apart); the sums start
 * from zero (first) or from out. */
TARGET_AVX512 static inline __attribute__((always_inline)) void in_order_tile_body512(
    float *out, int ldo, const float *in, int ldi, const void *panel, size_t stride, const gpt_dtype dt, int n,
    const int NP, const int NR, int first, const char *ahead, size_t ahead_bytes) {
    /* BF16: lane l holds row lane_row[l]; row j sits in lane row_lane[j] */
    const __m512i lane_row = _mm512_setr_epi32(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
    const __m512i row_lane = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    const size_t esize = dt == GPT_DTYPE_F32 ? 4 : 2;
    __m512 acc[2][IN_ORDER_PAIR_ROWS_512];  // acc[p][r]: input row r against panel p's 16 rows
#pragma GCC unroll 2
    for (int p = 0; p < NP; p++)
#pragma GCC unroll 16
        for (int r = 0; r < NR; r++) {
            acc[p][r] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(out + (size_t)r * ldo + 16 * p);
            if (!first && dt == GPT_DTYPE_BF16) acc[p][r] = _mm512_permutexvar_ps(lane_row, acc[p][r]);
        }
    size_t fetched = 0;
    /* A line every fourth input, as the AVX2 tiles, or every second or
     * every input where the tile's slice needs more: a pair's 16-row decode
     * has two tiles, each a panel's worth to fetch (fetching half of it left
     * the next pair to demand misses: 1.04-1.10x a 16-row BF16 step). */
    const int every = fetch_every(ahead_bytes, n);
    for (int k = 0; k < n; k++) {
        fetch_at(ahead, ahead_bytes, k, every, &fetched);
        __m512 w[2];
#pragma GCC unroll 2
        for (int p = 0; p < NP; p++) w[p] = widen16_512((const char *)panel + p * stride * esize, dt, (size_t)k);
#pragma GCC unroll 16
        for (int r = 0; r < NR; r++) {
            const __m512 x = _mm512_set1_ps(in[(size_t)r * ldi + k]);
#pragma GCC unroll 2
            for (int p = 0; p < NP; p++) acc[p][r] = _mm512_fmadd_ps(x, w[p], acc[p][r]);
        }
    }
#pragma GCC unroll 2
    for (int p = 0; p < NP; p++)
#pragma GCC unroll 16
        for (int r = 0; r < NR; r++)
            _mm512_storeu_ps(out + (size_t)r * ldo + 16 * p,
                             dt == GPT_DTYPE_BF16 ? _mm512_permutexvar_ps(row_lane, acc[p][r]) : acc[p][r]);
}

#define IN_ORDER_TILE512_CASE(DT, NP, NR)                                                                  \
    case NR:                                                                                               \
        in_order_tile_body512(out, ldo, in, ldi, panel, stride, DT, n, NP, NR, first, tile_ahead, tile_bytes); \
        break;
#define IN_ORDER_TILE512_CASES(DT)                                                                         \
    if (np == 2) {                                                                                         \
        switch (nr) {                                                                                      \
            IN_ORDER_TILE512_CASE(DT, 2, 1) IN_ORDER_TILE512_CASE(DT, 2, 2) IN_ORDER_TILE512_CASE(DT, 2, 3) \
            IN_ORDER_TILE512_CASE(DT, 2, 4) IN_ORDER_TILE512_CASE(DT, 2, 5) IN_ORDER_TILE512_CASE(DT, 2, 6) \
            IN_ORDER_TILE512_CASE(DT, 2, 7) IN_ORDER_TILE512_CASE(DT, 2, 8) IN_ORDER_TILE512_CASE(DT, 2, 9) \
        default: in_order_tile_body512(out, ldo, in, ldi, panel, stride, DT, n, 2, IN_ORDER_PAIR_ROWS_512, first, \
                                       tile_ahead, tile_bytes);                                            \
        }                                                                                                  \
    } else {                                                                                               \
        switch (nr) {                                                                                      \
            IN_ORDER_TILE512_CASE(DT, 1, 1) IN_ORDER_TILE512_CASE(DT, 1, 2) IN_ORDER_TILE512_CASE(DT, 1, 3) \
            IN_ORDER_TILE512_CASE(DT, 1, 4) IN_ORDER_TILE512_CASE(DT, 1, 5) IN_ORDER_TILE512_CASE(DT, 1, 6) \
            IN_ORDER_TILE512_CASE(DT, 1, 7)                                                                \
        default: in_order_tile_body512(out, ldo, in, ldi, panel, stride, DT, n, 1, IN_ORDER_TILE_ROWS_512, first, \
                                       tile_ahead, tile_bytes);                                            \
        }                                                                                                  \
    }

/* in_order_tiles_avx2 on AVX-512, over np (1 or 2) panels stride elements
 * apart: tiles of up to IN_ORDER_TILE_ROWS_512 rows (one panel) or
 * IN_ORDER_PAIR_ROWS_512 (two), as tile_walk splits them. */
TARGET_AVX512 static void in_order_tiles_avx512(float *out, int ldo, const float *in, int ldi, const void *panel,
                                                size_t stride, int np, gpt_dtype dt, int n, int R, int first,
                                                const char *ahead, size_t ahead_bytes) {
    tile_walk walk = tile_walk_new(np == 2 ? IN_ORDER_PAIR_ROWS_512 : IN_ORDER_TILE_ROWS_512, R, ahead, ahead_bytes);
    const char *tile_ahead;
    size_t tile_bytes;
    for (int nr; (nr = tile_next(&walk, &tile_ahead, &tile_bytes)) > 0;
         out += (size_t)nr * ldo, in += (size_t)nr * ldi) {
        switch (dt) {
        case GPT_DTYPE_BF16: IN_ORDER_TILE512_CASES(GPT_DTYPE_BF16); break;
        case GPT_DTYPE_F16: IN_ORDER_TILE512_CASES(GPT_DTYPE_F16); break;
        default: IN_ORDER_TILE512_CASES(GPT_DTYPE_F32); break;
        }
    }
}

/* One panel: in_order_tiles_avx2's arguments. */
TARGET_AVX512 static void in_order_tiles1_avx512(float *out, int ldo, const float *in, int ldi, const void *panel,
                                                 gpt_dtype dt, int n, int R, int first, const char *ahead,
                                                 size_t ahead_bytes) {
    in_order_tiles_avx512(out, ldo, in, ldi, panel, 0, 1, dt, n, R, first, ahead, ahead_bytes);
}

/* Rows [v0, v0 + 32) of W in row panels (two whole panels) against R
 * input rows, on AVX-512: each input row's broadcast serves 32 outputs. */
TARGET_AVX512 static void in_order_pair_avx512(float *out, int ldo, const float *in, const gpt_matrix *W, int R,
                                               int v0) {
    const int C = W->cols;
    const size_t panel_bytes = panel_bytes_of(W);
    const char *panel = panel_at(W, v0);
    const int ahead_ok = v0 + (AHEAD_BLOCKS + 1) * GPT_ROW_PANEL < W->rows;  // R > 1 (in_order_run_blocks)
    in_order_tiles_avx512(out + v0, ldo, in, C, panel, (size_t)GPT_ROW_PANEL * C, 2, W->dtype, C, R, 1,
                          ahead_ok ? panel + AHEAD_BLOCKS * panel_bytes : NULL, ahead_ok ? 2 * panel_bytes : 0);
}

/* One input row against two row panels from anywhere (walk_item): four
 * chains, where one panel alone has two, each waiting on its last fma. */
TARGET_AVX2 static inline __attribute__((always_inline)) void in_order_panels2_body(float *const out[2], const float *x,
                                                                                   const void *const panel[2],
                                                                                   const gpt_dtype dt, int C) {
    __m256 lo0 = _mm256_setzero_ps(), hi0 = lo0, lo1 = lo0, hi1 = lo0;
    for (int k = 0; k < C; k++) {
        __m256 wlo0, whi0, wlo1, whi1;
        widen16(panel[0], dt, (size_t)k, &wlo0, &whi0);
        widen16(panel[1], dt, (size_t)k, &wlo1, &whi1);
        const __m256 xk = _mm256_broadcast_ss(x + k);
        lo0 = _mm256_fmadd_ps(xk, wlo0, lo0);
        hi0 = _mm256_fmadd_ps(xk, whi0, hi0);
        lo1 = _mm256_fmadd_ps(xk, wlo1, lo1);
        hi1 = _mm256_fmadd_ps(xk, whi1, hi1);
    }
    _mm256_storeu_ps(out[0], lo0);
    _mm256_storeu_ps(out[0] + 8, hi0);
    _mm256_storeu_ps(out[1], lo1);
    _mm256_storeu_ps(out[1] + 8, hi1);
}

TARGET_AVX2 static void in_order_panels2_avx2(float *const out[2], const float *x, const void *const panel[2],
                                              gpt_dtype dt, int C) {
    switch (dt) {
    case GPT_DTYPE_BF16: in_order_panels2_body(out, x, panel, GPT_DTYPE_BF16, C); break;
    case GPT_DTYPE_F16: in_order_panels2_body(out, x, panel, GPT_DTYPE_F16, C); break;
    default: in_order_panels2_body(out, x, panel, GPT_DTYPE_F32, C); break;
    }
}

/* One input row against four row panels from anywhere (walk_item) on
 * AVX-512: a register a panel, each input broadcast from memory into the
 * fma; the store undoes BF16's lane order (in_order_tile_body512). Four
 * far-apart streams a thread, where AVX2 walks two: a whole decode step
 * ran 1.16-1.17x (Qwen2.5-0.5B BF16) and 1.05-1.13x (SmolLM2-135M) as fast as the
 * AVX2 kernel's two streams on Zen 5, and two AVX-512 streams only
 * 0.98-1.03x (BENCHMARKS.md, seventeenth session). */
TARGET_AVX512 static inline __attribute__((always_inline)) void in_order_panels4_body512(float *const out[4],
                                                                                        const float *x,
                                                                                        const void *const panel[4],
                                                                                        const gpt_dtype dt, int C) {
    const __m512i row_lane = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    __m512 acc[4];  // acc[s]: panel s's 16 rows
#pragma GCC unroll 4
    for (int s = 0; s < 4; s++) acc[s] = _mm512_setzero_ps();
    for (int k = 0; k < C; k++) {
        const __m512 xk = _mm512_set1_ps(x[k]);
#pragma GCC unroll 4
        for (int s = 0; s < 4; s++) acc[s] = _mm512_fmadd_ps(xk, widen16_512(panel[s], dt, (size_t)k), acc[s]);
    }
#pragma GCC unroll 4
    for (int s = 0; s < 4; s++)
        _mm512_storeu_ps(out[s], dt == GPT_DTYPE_BF16 ? _mm512_permutexvar_ps(row_lane, acc[s]) : acc[s]);
}

TARGET_AVX512 static void in_order_panels4_avx512(float *const out[4], const float *x, const void *const panel[4],
                                                  gpt_dtype dt, int C) {
    switch (dt) {
    case GPT_DTYPE_BF16: in_order_panels4_body512(out, x, panel, GPT_DTYPE_BF16, C); break;
    case GPT_DTYPE_F16: in_order_panels4_body512(out, x, panel, GPT_DTYPE_F16, C); break;
    default: in_order_panels4_body512(out, x, panel, GPT_DTYPE_F32, C); break;
    }
}

/* A rows-layout block read eight inputs of all 16 rows a step (16 x 8
 * values, in 16 runs a row apart) leaves the hardware prefetcher behind:
 * each step fetches as much of the next block, at the same place, into
 * L1 (a mapped SmolLM2-135M's one-row decode 63 -> 99 t/s). */
TARGET_AVX2 static inline __attribute__((always_inline)) void fetch_next_step(const char *next, int k, size_t esize) {
    const size_t at = (size_t)k * GPT_ROW_PANEL * esize, step_bytes = (size_t)GPT_ROW_PANEL * 8 * esize;
    for (size_t off = 0; off < step_bytes; off += 64) _mm_prefetch(next + at + off, _MM_HINT_T0);
}

/* panel (k1 - k0, 16) = inputs [k0, k1) of rows [v0, v1) of W (rows
 * layout), widened; rows past v1 are zero. Eight inputs of all 16 rows a
 * step (16 loads, two 8 x 8 transposes), in registers. */
TARGET_AVX2 static inline __attribute__((always_inline)) void rows_to_panel_body(float *panel, const void *wd,
                                                                                const gpt_dtype dt, int C, int W_rows,
                                                                                int v0, int v1, int k0, int k1) {
    const int n = k1 - k0;
    const size_t esize = dt == GPT_DTYPE_F32 ? 4 : 2;
    const char *next = v1 + GPT_ROW_PANEL <= W_rows ? (const char *)wd + (size_t)v1 * C * esize : NULL;
    int k = 0;
    if (v1 - v0 == GPT_ROW_PANEL)
        for (; k + 8 <= n; k += 8) {
            if (next) fetch_next_step(next, k0 + k, esize);
            __m256 lo[8], hi[8];
#pragma GCC unroll 8
            for (int j = 0; j < 8; j++) {
                lo[j] = load8(wd, dt, (size_t)(v0 + j) * C + k0 + k);
                hi[j] = load8(wd, dt, (size_t)(v0 + 8 + j) * C + k0 + k);
            }
            transpose8(lo);
            transpose8(hi);
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++) {
                _mm256_storeu_ps(panel + (size_t)(k + i) * 16, lo[i]);
                _mm256_storeu_ps(panel + (size_t)(k + i) * 16 + 8, hi[i]);
            }
        }
    for (; k < n; k++)
        for (int j = 0; j < GPT_ROW_PANEL; j++)
            panel[(size_t)k * 16 + j] = v0 + j < v1 ? load_one(wd, dt, (size_t)(v0 + j) * C + k0 + k) : 0.0f;
}

TARGET_AVX2 static void rows_to_panel_avx2(float *panel, const gpt_matrix *W, int v0, int v1, int k0, int k1) {
    switch (W->dtype) {
    case GPT_DTYPE_BF16: rows_to_panel_body(panel, W->data, GPT_DTYPE_BF16, W->cols, W->rows, v0, v1, k0, k1); break;
    case GPT_DTYPE_F16: rows_to_panel_body(panel, W->data, GPT_DTYPE_F16, W->cols, W->rows, v0, v1, k0, k1); break;
    default: rows_to_panel_body(panel, W->data, GPT_DTYPE_F32, W->cols, W->rows, v0, v1, k0, k1); break;
    }
}

/* out (16) = one input row x against rows [v0, v0 + 16) of W (rows
 * layout): eight inputs of eight rows a step, turned in registers and
 * fused into the rows' chains at once (a turned panel between them left
 * a mapped SmolLM2-135M's decode at a third of the copy's speed). */
TARGET_AVX2 static inline __attribute__((always_inline)) void in_order_rows1_body(float *out, const float *x,
                                                                                 const void *wd, const gpt_dtype dt,
                                                                                 int C, int v0, int next_rows) {
    __m256 acc_lo = _mm256_setzero_ps(), acc_hi = _mm256_setzero_ps();  // rows 0-7, rows 8-15
    const size_t esize = dt == GPT_DTYPE_F32 ? 4 : 2;
    const char *next = next_rows ? (const char *)wd + (size_t)(v0 + GPT_ROW_PANEL) * C * esize : NULL;
    int k = 0;
    for (; k + 8 <= C; k += 8) {
        if (next) fetch_next_step(next, k, esize);
        __m256 w[8];
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) w[j] = load8(wd, dt, (size_t)(v0 + j) * C + k);
        transpose8(w);
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++) acc_lo = _mm256_fmadd_ps(_mm256_broadcast_ss(x + k + i), w[i], acc_lo);
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) w[j] = load8(wd, dt, (size_t)(v0 + 8 + j) * C + k);
        transpose8(w);
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++) acc_hi = _mm256_fmadd_ps(_mm256_broadcast_ss(x + k + i), w[i], acc_hi);
    }
    float sums[GPT_ROW_PANEL];
    _mm256_storeu_ps(sums, acc_lo);
    _mm256_storeu_ps(sums + 8, acc_hi);
    for (; k < C; k++)
        for (int j = 0; j < GPT_ROW_PANEL; j++) sums[j] = fmaf(x[k], load_one(wd, dt, (size_t)(v0 + j) * C + k), sums[j]);
    memcpy(out, sums, sizeof sums);
}

/* out (R, ldo) columns [v0, v1) (a block of at most 16 rows of W). */
TARGET_AVX2 static void in_order_block_avx2(float *out, int ldo, const float *in, const gpt_matrix *W, int R, int v0,
                                            int v1) {
    const int C = W->cols, full = v1 - v0 == GPT_ROW_PANEL;
    /* the tiles: AVX-512's where the CPU has it (the same bits) */
    void (*const tiles)(float *, int, const float *, int, const void *, gpt_dtype, int, int, int, const char *,
                        size_t) = cpu_has_avx512() ? in_order_tiles1_avx512 : in_order_tiles_avx2;
    float short_out[SMALL_ROWS * GPT_ROW_PANEL];  // (R, 16) a block short of 16 rows
    float *o = full ? out + v0 : short_out;
    const int ld = full ? ldo : GPT_ROW_PANEL;
    if (W->row_panels) {
        const size_t panel_bytes = panel_bytes_of(W);
        const char *panel = panel_at(W, v0);
        const int ahead_ok = R > 1 && v0 + AHEAD_BLOCKS * GPT_ROW_PANEL < W->rows;
        tiles(o, ld, in, C, panel, W->dtype, C, R, 1,
                            ahead_ok ? panel + AHEAD_BLOCKS * panel_bytes : NULL, ahead_ok ? panel_bytes : 0);
    } else if (R == 1 && full) {
        const int next_rows = v0 + 2 * GPT_ROW_PANEL <= W->rows;  // the next block is whole
        switch (W->dtype) {
        case GPT_DTYPE_BF16: in_order_rows1_body(o, in, W->data, GPT_DTYPE_BF16, C, v0, next_rows); break;
        case GPT_DTYPE_F16: in_order_rows1_body(o, in, W->data, GPT_DTYPE_F16, C, v0, next_rows); break;
        default: in_order_rows1_body(o, in, W->data, GPT_DTYPE_F32, C, v0, next_rows); break;
        }
    } else {
        float turned[IN_ORDER_CHUNK * GPT_ROW_PANEL];  // (chunk, 16) the block's weights for a chunk of inputs
        for (int k0 = 0; k0 < C; k0 += IN_ORDER_CHUNK) {
            const int k1 = C - k0 < IN_ORDER_CHUNK ? C : k0 + IN_ORDER_CHUNK;
            rows_to_panel_avx2(turned, W, v0, v1, k0, k1);
            tiles(o, ld, in + k0, C, turned, GPT_DTYPE_F32, k1 - k0, R, k0 == 0, NULL, 0);
        }
    }
    if (!full)
        for (int r = 0; r < R; r++)
            memcpy(out + (size_t)r * ldo + v0, short_out + (size_t)r * GPT_ROW_PANEL, sizeof(float) * (v1 - v0));
}

/* The same, in pieces of at most SMALL_ROWS input rows (short_out's). */
TARGET_AVX2 static void in_order_rows_avx2(float *out, int ldo, const float *in, const gpt_matrix *W, int R, int v0,
                                           int v1) {
    for (int r = 0; r < R; r += SMALL_ROWS)
        in_order_block_avx2(out + (size_t)r * ldo, ldo, in + (size_t)r * W->cols, W,
                            R - r < SMALL_ROWS ? R - r : SMALL_ROWS, v0, v1);
}
#endif

/* acc[v] (n chains) += x[k] * the weight at first[v] + k step, k in input
 * order: dt a constant in each copy, so the widening is chosen once. */
static inline __attribute__((always_inline)) void in_order_chains(float *acc, const float *x, const void *data,
                                                                  const gpt_dtype dt, const size_t *first, size_t step,
                                                                  int n, int C) {
    for (int k = 0; k < C; k++)
        for (int v = 0; v < n; v++) acc[v] = fmaf(x[k], load_one(data, dt, first[v] + (size_t)k * step), acc[v]);
}

/* Rows [v0, v1) of W (at most 16, from a multiple of 16) against R input
 * rows: each element the fmaf chain in input order, on any path. W is in
 * rows or row panels (in_order matrices never are in column panels), so a
 * row's inputs lie a fixed step apart. */
PORTABLE_CLONES static void in_order_block(float *out, int ldo, const float *in, const gpt_matrix *W, int R, int v0, int v1) {
#if HAVE_X86
    if (cpu_has_avx2()) {
        in_order_rows_avx2(out, ldo, in, W, R, v0, v1);
        return;
    }
#endif
    const int C = W->cols, n = v1 - v0;
    size_t first[GPT_ROW_PANEL];  // (n) where each row's input 0 sits; input k is k steps on (rows or row panels)
    for (int v = v0; v < v1; v++) first[v - v0] = gpt_matrix_index(W, v, 0);
    const size_t step = W->row_panels ? GPT_ROW_PANEL : 1;
    for (int r = 0; r < R; r++) {
        float acc[GPT_ROW_PANEL] = {0};  // (n) the block's chains, side by side so that none waits on another
        switch (W->dtype) {
        case GPT_DTYPE_BF16: in_order_chains(acc, in + (size_t)r * C, W->data, GPT_DTYPE_BF16, first, step, n, C); break;
        case GPT_DTYPE_F16: in_order_chains(acc, in + (size_t)r * C, W->data, GPT_DTYPE_F16, first, step, n, C); break;
        default: in_order_chains(acc, in + (size_t)r * C, W->data, GPT_DTYPE_F32, first, step, n, C); break;
        }
        memcpy(out + (size_t)r * ldo + v0, acc, sizeof(float) * (size_t)n);
    }
}

/* Head rows [v0, v1) of W against R input rows, each element by the fixed
 * 16-lane tree (in input order when W->in_order), on the best path the CPU
 * has (all give the same bits). */
static void head_block(float *out, int ldo, const float *in, const gpt_matrix *W, int R, int v0, int v1) {
    if (W->in_order) {
        in_order_block(out, ldo, in, W, R, v0, v1);
        return;
    }
#if HAVE_X86
    if (cpu_has_avx512()) {
        head_block_avx512(out, ldo, in, W, R, v0, v1);
        return;
    }
    if (cpu_has_avx2()) {
        head_block_avx2(out, ldo, in, W, R, v0, v1);
        return;
    }
#endif
    const int C = W->cols;
    for (int r = 0; r < R; r++)
        for (int v = v0; v < v1; v++)
            out[(size_t)r * ldo + v] = dot_portable(in + (size_t)r * C, W->data, W->dtype, (size_t)v * C, C);
}

/* How many whole blocks of 16 rows of W run at once on R input rows
 * (in_order_run), the Llama family's row panels and several rows: two on
 * AVX-512, where a tile's broadcast input then serves 32 outputs
 * (BENCHMARKS.md, seventeenth session); on AVX2 three (in_order_triple_avx2),
 * but two for 3 rows (in_order_pair3_avx2: three panels, as 2 + 1 rows or
 * 3 x 3 halves, ran 0.88-0.92x of one panel at a time, two 1.06-1.13x);
 * else one. */
static int in_order_run_blocks(const gpt_matrix *W, int R) {
#if HAVE_X86
    if (!W->in_order || !W->row_panels || R < 2) return 1;
    if (cpu_has_avx512()) return 2;
    if (cpu_has_avx2()) return R == 3 ? 2 : 3;
#else
    (void)W;
    (void)R;
#endif
    return 1;
}

/* Rows [v0, v0 + 16 g) of W, g whole blocks (in_order_run_blocks(W, R)),
 * against R input rows: the bits head_block gives each block. */
static void in_order_run(float *out, int ldo, const float *in, const gpt_matrix *W, int R, int v0, int g) {
#if HAVE_X86
    if (g == 2) {
        if (cpu_has_avx512()) in_order_pair_avx512(out, ldo, in, W, R, v0);
        else in_order_pair3_avx2(out, ldo, in, W, v0);  // R = 3 (in_order_run_blocks)
        return;
    }
    if (g == 3) {
        in_order_triple_rows_avx2(out, ldo, in, W, R, v0);
        return;
    }
#endif
    for (int j = 0; j < g; j++) head_block(out, ldo, in, W, R, v0 + 16 * j, v0 + 16 * j + 16);
}

/* out (R, V) for R rows: blocks of 16 head rows, shared among the threads
 * as work_share shares them, stay in cache while every input row meets
 * them. */
static void head_share(float *out, int ldo, const float *in, const gpt_matrix *W, int R, work_share *shares,
                       int nt) {
    const int V = W->rows, n_blocks = (V + 15) / 16;
    int b0, b1, k0, n;
    const int g = in_order_run_blocks(W, R);
    while ((n = share_next(shares, nt, n_blocks, g, &b0, &b1, &k0)) > 0)
        for (int blk = b0 + k0; blk < b0 + k0 + n; blk++) {
            if (g > 1 && blk + g <= b0 + k0 + n && (blk + g) * 16 <= V) {
                in_order_run(out, ldo, in, W, R, blk * 16, g);
                blk += g - 1;
                continue;
            }
            head_block(out, ldo, in, W, R, blk * 16, blk * 16 + 16 < V ? blk * 16 + 16 : V);
        }
}

static void matmul_t_rows(float *out, int ldo, const float *in, const gpt_matrix *W, int R, ops_team *team) {
    const int n_blocks = (W->rows + 15) / 16;
    if (team) {
        const int nt = omp_get_num_threads();
        share_own(team->shares, omp_get_thread_num(), nt, n_blocks, 0, 1);
        head_share(out, ldo, in, W, R, team->shares, nt);
        ops_team_sync(team);
        return;
    }
    const int nt = omp_get_max_threads();
    work_share shares[nt];
    shares_init(shares, nt, n_blocks, 0, 1);
#pragma omp parallel num_threads(nt)
    head_share(out, ldo, in, W, R, shares, nt);
}

#ifndef HEAD_CHUNK_FLOATS
#define HEAD_CHUNK_FLOATS 131072
#endif

/* A prompt on the decode kernels: chunks of rows whose inputs fill about
 * half the L2 (at least SMALL_ROWS rows) while the weights stream past,
 * every row the bits it has alone, whatever R and the threads. */
static void matmul_t_chunks(float *out, int ldo, const float *in, const gpt_matrix *W, int R) {
    const int C = W->cols;
    int chunk = HEAD_CHUNK_FLOATS / C;
    if (chunk < SMALL_ROWS) chunk = SMALL_ROWS;
    for (int r = 0; r < R; r += chunk)
        matmul_t_rows(out + (size_t)r * ldo, ldo, in + (size_t)r * C, W, R - r < chunk ? R - r : chunk, NULL);
}
void matmul_t(float *out, int ldo, const float *in, const gpt_matrix *W, int R, float *panel, ops_team *team) {
    if (W->dtype == GPT_DTYPE_Q8) {
        matmul_q8(out, ldo, in, W, NULL, R, panel, team);
        return;
    }
    const int V = W->rows, C = W->cols;
    const ops_product one = {out, ldo, W};
    if (walks(&one, 1, R, 0)) {  // one row of long float rows: matmul_t_group walks them
        matmul_t_group(&one, 1, in, R, panel, NULL, team);
        return;
    }
    if (R <= SMALL_ROWS) {
        matmul_t_rows(out, ldo, in, W, R, team);
        return;
    }
    /* The Llama family's matrices: prompts run the decode tiles too
     * (matmul_t_chunks), so each row has the bits it has alone (pp512 on
     * Zen 3 against BLAS on widened rows: SmolLM2-135M BF16 1.06x,
     * Qwen2.5-0.5B 1.23x; BENCHMARKS.md, twelfth session). */
    if (W->in_order) {
        matmul_t_chunks(out, ldo, in, W, R);
        return;
    }
#if HAVE_X86
    /* 16-bit weights of long rows on AVX-512: the register tiles beat
     * widening panels for BLAS there (1.1-1.2x at 1536 and 4864 inputs; at
     * 576 the whole SmolLM2 prompt was 0.88-0.96x, so short rows stay on
     * BLAS). Longer prompts run in chunks of rows whose inputs fill about
     * half the L2 (at least SMALL_ROWS rows) while the weights stream past:
     * every row the bits it has alone, whatever R and the threads. F32
     * stays on BLAS. */
    if (W->dtype != GPT_DTYPE_F32 && C >= OPS_TILED_PROMPT_MIN_COLS && cpu_has_avx512()) {
        matmul_t_chunks(out, ldo, in, W, R);
        return;
    }
#endif
    if (W->dtype == GPT_DTYPE_F32) {
        gemm_fixed_blocks(1, R, V, C, 1.0f, in, C, (const float *)W->data, C, 0.0f, out, ldo);
        return;
    }
    const int chunk = widen_chunk_rows(R);
    for (int v = 0; v < V; v += chunk) {
        const int n = V - v < chunk ? V - v : chunk;
        widen_rows(panel, W, v, n);
        gemm_fixed_blocks(1, R, n, C, 1.0f, in, C, panel, C, 0.0f, out + v, ldo);
    }
}


/* Into L2: up to this many bytes of a thread's share of the next product. */
#ifndef NEXT_PREFETCH_BYTES
#define NEXT_PREFETCH_BYTES 65536
#endif

static void prefetch_bytes(const char *p, size_t n) {
#if HAVE_X86
    for (size_t off = 0; off < n; off += 64) _mm_prefetch(p + off, _MM_HINT_T1);
#else
    (void)p, (void)n;
#endif
}

/* Up to max bytes of blocks [b0, b0 + nb) of the n products W, their
 * blocks of 16 rows one list. */
static void prefetch_blocks(const gpt_matrix *const *W, int n, int b0, int nb, size_t max) {
    for (int m = 0, first = 0; m < n && nb > 0 && max > 0; m++) {
        const int blocks = (W[m]->rows + 15) / 16;
        if (b0 < first + blocks) {  // the range starts (or goes on) in this matrix
            const int from = b0 - first, n_here = blocks - from < nb ? blocks - from : nb;
            const int r0 = from * 16, r1 = (from + n_here) * 16 < W[m]->rows ? (from + n_here) * 16 : W[m]->rows;
            size_t bytes = (size_t)(r1 - r0) * row_bytes(W[m]);
            if (bytes > max) bytes = max;
            prefetch_bytes((const char *)W[m]->data + (size_t)r0 * row_bytes(W[m]), bytes);
            max -= bytes, b0 += n_here, nb -= n_here;
        }
        first += blocks;
    }
}

/* Thread t of nt, finding no items of a product left to take, fetches the
 * start of its static share of the next one (blocks of 16 rows, the share
 * it will take first; of a gated product, the gate's rows) while the others
 * finish: in that tail fewer threads stream than the memory serves, and the
 * rest would go unused. Prefetching the starts of a Q8 walk's four streams
 * instead made no difference (1.00-1.02x, in-process pairs). */
static void prefetch_next_share(const ops_next *next, int t, int nt) {
    if (!next || next->n <= 0) return;
    const int n = next->gated ? 1 : next->n;  // a gated product reads its gate rows first
    int total = 0, b0, nb;
    for (int m = 0; m < n; m++) total += (next->W[m]->rows + 15) / 16;
    static_share(total, t, nt, &b0, &nb);
    prefetch_blocks(next->W, n, b0, nb, NEXT_PREFETCH_BYTES);
}

/* Rows [j0, j1) of one product of a group: the Q8 integer dots against xq,
 * or the float head. */
static void group_block(float *out, int ldo, const float *in, const gpt_q8_block *xq, const gpt_matrix *W, int R,
                        int j0, int j1, int path) {
    if (W->dtype == GPT_DTYPE_Q8) q8_panel_rows(out, ldo, xq, W, NULL, R, j0, j1, path);
    else head_block(out, ldo, in, W, R, j0, j1);
}

/* out[k] = x . row[k] for two float rows from anywhere (walk_item), no
 * software prefetch (two far-apart sequential streams, which the hardware
 * follows), each dot head_block's 16-lane tree. */
#if HAVE_X86
TARGET_AVX512 static void float_dot2_avx512(float *const out[], const float *x, const void *const row[], gpt_dtype dt,
                                            int n) {
    switch (dt) {
    case GPT_DTYPE_F16: dots_side_body512(out, x, row, GPT_DTYPE_F16, n, 2); break;
    case GPT_DTYPE_BF16: dots_side_body512(out, x, row, GPT_DTYPE_BF16, n, 2); break;
    default: dots_side_body512(out, x, row, GPT_DTYPE_F32, n, 2); break;
    }
}
TARGET_AVX2 static void float_dot2_avx2(float *const out[], const float *x, const void *const row[], gpt_dtype dt,
                                        int n) {
    switch (dt) {
    case GPT_DTYPE_F16: dots_side_body(out, x, row, GPT_DTYPE_F16, n, 2); break;
    case GPT_DTYPE_BF16: dots_side_body(out, x, row, GPT_DTYPE_BF16, n, 2); break;
    default: dots_side_body(out, x, row, GPT_DTYPE_F32, n, 2); break;
    }
}
#endif

static void float_dot2(float *const out[], const float *x, const void *const row[], gpt_dtype dt, int n) {
#if HAVE_X86
    if (cpu_has_avx512()) {
        float_dot2_avx512(out, x, row, dt, n);
        return;
    }
    if (cpu_has_avx2()) {
        float_dot2_avx2(out, x, row, dt, n);
        return;
    }
#endif
    for (int k = 0; k < 2; k++) *out[k] = dot_portable(x, row[k], dt, 0, n);
}

/* The streams a thread walks one input row against the n products p in
 * (walk_item), or 0 for blocks one at a time: Q8 on VNNI or AVX2 (path 2
 * or 1), four; row panels (the Llama family's copied matrices), four on
 * AVX-512 and two on AVX2; other float rows of one dtype, two: on AVX-512
 * those longer than LONG_ROW_BYTES, on AVX2 all. */
static int walks(const ops_product *p, int n, int R, int path) {
    if (R != 1) return 0;
    const gpt_dtype dt = p[0].W->dtype;
    for (int m = 1; m < n; m++)
        if (p[m].W->dtype != dt) return 0;
    if (dt != GPT_DTYPE_Q8 && p[0].W->in_order) {  // row panels
        for (int m = 0; m < n; m++)
            if (!p[m].W->row_panels) return 0;
#if HAVE_X86
        if (cpu_has_avx512()) return 4;
#endif
        return cpu_has_avx2() ? 2 : 0;
    }
    if (dt == GPT_DTYPE_Q8) return path ? 4 : 0;
#if HAVE_X86
    /* Floats: on AVX-512 only rows over LONG_ROW_BYTES (short rows one at a
     * time stream as fast there: 0.91-1.06x), on AVX2 every row (1.18-1.22x
     * a SmolLM2 or Qwen2.5 BF16 decode step on Zen 3). */
    if (cpu_has_avx512()) return long_rows(dt, p[0].W->cols) ? 2 : 0;
    return cpu_has_avx2() ? 2 : 0;
#else
    return 0;
#endif
}

/* Several products of one input (q, k and v; gate and up), each as
 * matmul_t computes it alone. Up to SMALL_ROWS rows they share one
 * parallel region over all their blocks of 16 rows (and Q8 quantizes the
 * input once): a decode step then has one fork and join, and each thread
 * one contiguous run of weights, per group instead of per matrix. */
/* The calling thread's part of a group (matmul_t_group): its items of the
 * shares, then the start of the next product. */
static void group_share(const ops_product *p, const int *first, int n_blocks, const float *in,
                        const gpt_q8_block *xq, int R, int walk, int path, work_share *shares, int nt,
                        const ops_next *next) {
    if (walk) walk_shares(shares, nt, p, first, n_blocks, walk, in, xq, path);
    int b0, b1, k0, n_take;
    const int take_g = in_order_run_blocks(p[0].W, R);  // R > 1: no walk
    while (!walk && (n_take = share_next(shares, nt, n_blocks, take_g, &b0, &b1, &k0)) > 0) {
        for (int blk = b0 + k0; blk < b0 + k0 + n_take; blk++) {
            int j0;
            const int m = q8_block_at(first, blk, &j0), g = in_order_run_blocks(p[m].W, R);
            if (g > 1 && blk + g <= b0 + k0 + n_take && blk + g <= first[m + 1] &&
                j0 + 16 * g <= p[m].W->rows) {  // this block and the next g - 1, all whole
                in_order_run(p[m].out, p[m].ldo, in, p[m].W, R, j0, g);
                blk += g - 1;
                continue;
            }
            const int j1 = j0 + 16 < p[m].W->rows ? j0 + 16 : p[m].W->rows;
            group_block(p[m].out, p[m].ldo, in, xq, p[m].W, R, j0, j1, path);
        }
    }
    prefetch_next_share(next, omp_get_thread_num(), nt);
}

void matmul_t_group(const ops_product *p, int n, const float *in, int R, float *panel, const ops_next *next,
                    ops_team *team) {
    int q8 = 0, n_blocks = 0, first[OPS_GROUP_MAX + 1];  // first[m]: matrix m's first block
    for (int m = 0; m < n; m++) {
        q8 += p[m].W->dtype == GPT_DTYPE_Q8;
        first[m] = n_blocks;
        n_blocks += (p[m].W->rows + 15) / 16;
    }
    first[n] = n_blocks;
    if (R > SMALL_ROWS || n > OPS_GROUP_MAX || (q8 && q8 != n)) {
        for (int m = 0; m < n; m++) matmul_t(p[m].out, p[m].ldo, in, p[m].W, R, panel, team);
        return;
    }
    const int IN = p[0].W->cols;
    const int path = cpu_has_vnni() ? 2 : cpu_has_avx2() ? 1 : 0;
    gpt_q8_block *xq = (gpt_q8_block *)panel;  // (R, nb) the rows quantized, as matmul_q8 does
    if (q8) quantize_rows_q8(xq, in, R, IN, team);
    const int walk = walks(p, n, R, path);
    if (team) {
        const int nt = omp_get_num_threads();
        share_own(team->shares, omp_get_thread_num(), nt, n_blocks, walk, 1);
        group_share(p, first, n_blocks, in, xq, R, walk, path, team->shares, nt, next);
        ops_team_sync(team);
        return;
    }
    const int nt = omp_get_max_threads();
    work_share shares[nt];
    shares_init(shares, nt, n_blocks, walk, 1);
#pragma omp parallel num_threads(nt)
    group_share(p, first, n_blocks, in, xq, R, walk, path, shares, nt, next);
}

/* Units [j0, j1) of R rows of the gated MLP, gate in out and up in up:
 * the biases, then silu(gate) * up, as matmul_t_gated defines them. */
static void gated_finish(float *out, float *up, int ldo, const float *bg, const float *bu, int R, int j0, int j1) {
    for (int r = 0; r < R; r++) {
        float *g = out + (size_t)r * ldo, *u = up + (size_t)r * ldo;
        if (bg)
            for (int j = j0; j < j1; j++) g[j] += bg[j];
        if (bu)
            for (int j = j0; j < j1; j++) u[j] += bu[j];
        if (j1 > j0) silu_mul(g + j0, u + j0, (size_t)(j1 - j0));
    }
}

/* The calling thread's part of matmul_t_gated: its items of the shares,
 * then (after the others', at the team's barrier or the region's) the
 * activation of its static share of units, then the start of the next
 * product. */
static void gated_share(const ops_product *both, const float *bg, const float *bu, const float *in,
                        const gpt_q8_block *xq, int R, int walk, int path, work_share *shares, int nt,
                        const ops_next *next, ops_team *team) {
    const int H = both[0].W->rows, ldo = both[0].ldo, n_blocks = (H + 15) / 16;
    const int first[2] = {0, n_blocks};
    int b0, b1, k0, n;
    const int take_g = in_order_run_blocks(both[0].W, R);  // R > 1: no walk
    while ((n = share_next(shares, nt, n_blocks, take_g, &b0, &b1, &k0)) > 0) {
        const int per = walk ? walk_items(b0, b1, walk) : b1 - b0;  // items of one product
        for (int k = k0; k < k0 + n; k++) {
            const ops_product *pr = &both[k >= per];
            const int item = k % per;
            if (walk) walk_item(pr, first, b0, b1, item, walk, in, xq, path);
            else {
                const int j0 = (b0 + item) * 16, j1 = j0 + 16 < H ? j0 + 16 : H;
                const int g = in_order_run_blocks(pr->W, R);
                if (g > 1 && k + g <= k0 + n && item + g <= per && j0 + 16 * g <= H) {
                    in_order_run(pr->out, ldo, in, pr->W, R, j0, g);  // this item and the next g - 1, all whole
                    k += g - 1;
                    continue;
                }
                group_block(pr->out, ldo, in, xq, pr->W, R, j0, j1, path);
            }
        }
    }
    if (team) ops_team_sync(team);
    else {
#pragma omp barrier
    }
    for (int t = omp_get_thread_num(); t < nt; t += omp_get_num_threads()) {
        owner_blocks(n_blocks, t, nt, &b0, &b1);
        gated_finish(both[0].out, both[1].out, ldo, bg, bu, R, b0 * 16, b1 * 16 < H ? b1 * 16 : H);
    }
    prefetch_next_share(next, omp_get_thread_num(), nt);
}

/* out (R, ldo) = silu(in @ Wg^T + bg) * (in @ Wu^T + bu), the gated MLP's
 * hidden layer; up (R, ldo) holds the up projection. Biases may be NULL.
 * Up to SMALL_ROWS rows, one parallel region over blocks of 16 hidden
 * units, each block's gate rows, then its up rows, then its silu: the
 * activation runs on the threads instead of after the join. Each element
 * has the bits of matmul_t, then the bias, then silu_mul. */
void matmul_t_gated(float *out, float *up, int ldo, const float *in, const gpt_matrix *Wg, const float *bg,
                    const gpt_matrix *Wu, const float *bu, int R, float *panel, const ops_next *next,
                    ops_team *team) {
    const int H = Wg->rows, IN = Wg->cols;
    if (R > SMALL_ROWS || (Wg->dtype == GPT_DTYPE_Q8) != (Wu->dtype == GPT_DTYPE_Q8)) {
        matmul_t(out, ldo, in, Wg, R, panel, team);
        matmul_t(up, ldo, in, Wu, R, panel, team);
        if (team) {  // a team's rows: R <= SMALL_ROWS, each thread its units of every row
            int j0, j1;
            ops_team_part(team, H, &j0, &j1);
            gated_finish(out, up, ldo, bg, bu, R, j0, j1);
            ops_team_sync(team);
            return;
        }
        for (int r = 0; r < R; r++) {
            float *g = out + (size_t)r * ldo, *u = up + (size_t)r * ldo;
            if (bg)
                for (int j = 0; j < H; j++) g[j] += bg[j];
            if (bu)
                for (int j = 0; j < H; j++) u[j] += bu[j];
            if (ldo != H) silu_mul(g, u, (size_t)H);
        }
        if (ldo == H) silu_mul(out, up, (size_t)R * H);  // one call: long ones split across the threads
        return;
    }
    const int path = cpu_has_vnni() ? 2 : cpu_has_avx2() ? 1 : 0;
    gpt_q8_block *xq = (gpt_q8_block *)panel;  // (R, nb) the rows quantized, as matmul_q8 does
    if (Wg->dtype == GPT_DTYPE_Q8) quantize_rows_q8(xq, in, R, IN, team);
    const int n_blocks = (H + 15) / 16;
    /* Each share's items twice, the gate's then the up's: each thread reads
     * one product at a time (the Q8 walk's gate and up step by step, eight
     * streams, ran at 0.92x at SmolLM2's shape). The activation waits for
     * both products of its units, so after a barrier each thread runs it on
     * its static share. */
    const ops_product both[2] = {{out, ldo, Wg}, {up, ldo, Wu}};
    const int walk = walks(both, 2, R, path);
    if (team) {
        const int nt = omp_get_num_threads();
        share_own(team->shares, omp_get_thread_num(), nt, n_blocks, walk, 2);
        gated_share(both, bg, bu, in, xq, R, walk, path, team->shares, nt, next, team);
        ops_team_sync(team);
        return;
    }
    const int nt = omp_get_max_threads();
    work_share shares[nt];
    shares_init(shares, nt, n_blocks, walk, 2);
#pragma omp parallel num_threads(nt)
    gated_share(both, bg, bu, in, xq, R, walk, path, shares, nt, next, NULL);
}
