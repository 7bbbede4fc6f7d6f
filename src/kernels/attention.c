/* attention.c — causal attention of query heads over their cached keys and
 * values: row by row for decode steps and short prompts (attend_head), and a
 * prompt chunk's rows in tiles (attend_rows, at the end of the file).
 *
 * The scores were one dot_f32 per cached position, each ending in its own
 * horizontal reduction, and the weighted sum one axpy per position that
 * loaded and stored the output each time. At tg128 on the SmolLM2 shape the
 * two were 7-10% of a decode step's samples, and they grow with the
 * context. In attend_head 16 positions' dots (8 on AVX2) end in one
 * transposed reduction, the exponentials are exp_shifted's vector ones, and
 * the output stays in registers across the positions.
 *
 * Every path of attend_head gives the same bits, as the products' do: each
 * dot is dot_f32's 16-lane tree (lane l takes inputs i + l, a last run of 8
 * goes to lanes 0-7, then t_l = lane l + lane l+8 and
 * ((t0+t4)+(t1+t5))+((t2+t6)+(t3+t7)), then the inputs past the last
 * multiple of 8 one by one); the sum of the exponentials is the same tree
 * over positions; each output value is one fused multiply-add per position,
 * in order, then times 1/sum.
 *
 * A 16-bit cache (--cache-type f16) holds IEEE halves. The AVX2 kernels
 * widen them as they load them (vcvtph2ps), the AVX-512 path takes those
 * AVX2 kernels, and the portable one widens them one by one: widening is
 * exact, so every path gives the bits of a float cache holding the same
 * values. */
#include <float.h>
#include <math.h>

#include "convert.h"
#include "ops.h"
#include "simd.h"

static float max_portable(const float *x, int n) {
    float m = -FLT_MAX;
    for (int i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

/* x[0] + ... + x[n-1] in the 16-lane tree (a dot with ones). */
static float sum_tree_portable(const float *x, int n) {
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; l++) acc[l] += x[i + l];
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) acc[l] += x[i + l];
    float t[8];
    for (int l = 0; l < 8; l++) t[l] = acc[l] + acc[l + 8];
    float sum = ((t[0] + t[4]) + (t[1] + t[5])) + ((t[2] + t[6]) + (t[3] + t[7]));
    for (; i < n; i++) sum += x[i];
    return sum;
}

/* dot_f32(q, K row t): a row of halves widened first (the same bits as
 * the floats it widens to). */
static float dot_row(const float *q, const void *K, int stride, int t, int HD, gpt_dtype dt) {
    if (dt == GPT_DTYPE_F32) return dot_f32(q, (const float *)K + (size_t)t * stride, HD);
    float row[HD];  // HD <= 4096 (config.c)
    for (int i = 0; i < HD; i++) row[i] = load_one(K, GPT_DTYPE_F16, (size_t)t * stride + i);
    return dot_f32(q, row, HD);
}

/* s[t] = scale * q . K row t for t in [first, last]. */
static void scores_portable(float *s, const float *q, const void *K, int stride, int first, int last, int HD,
                            float scale, gpt_dtype dt) {
    for (int t = first; t <= last; t++) s[t] = dot_row(q, K, stride, t, HD, dt) * scale;
}

/* out (HD) = (out, or with fresh set 0) + the sum over t in [first, last]
 * of e[t] * V row t, one fma a position in order, then times inv. Runs of
 * positions continued from out (inv 1) and ended with inv give the bits of
 * one run: 1 is exact. */
static void weighted_portable(float *out, const float *e, const void *V, int stride, int first, int last, int HD,
                              float inv, int fresh, gpt_dtype dt) {
    if (fresh)
        for (int d = 0; d < HD; d++) out[d] = 0.0f;
    for (int t = first; t <= last; t++)
        for (int d = 0; d < HD; d++) out[d] = fmaf(e[t], load_one(V, dt, (size_t)t * stride + d), out[d]);
    for (int d = 0; d < HD; d++) out[d] *= inv;
}

#if HAVE_X86
/* s[t..t+n) hold the trees' sums: the inputs past the last multiple of 8 go
 * on one by one (dot_f32's tail), then each is scaled. */
static inline void finish_dots(float *s, const float *q, const void *K, int stride, int t, int n, int HD, float scale,
                               const gpt_dtype dt) {
    for (int j = 0; j < n; j++) {
        float d = s[t + j];
        for (int i = HD & ~7; i < HD; i++) d += q[i] * load_one(K, dt, (size_t)(t + j) * stride + i);
        s[t + j] = d * scale;
    }
}

/* ---- AVX2: 8 positions' dots per reduction ---- */

/* Four positions' dots (keys at `at` + p kstride), each as dot_f32's two
 * 8-lane chains (inputs i.. and i + 8.. of every 16; a last run of 8 to the
 * first) summed lane by lane into lanes[p]. Each load of the query serves
 * all four: per 16 inputs 2 loads of q and 8 of keys for 8 fmas, where a
 * position at a time loaded q again for each (16 loads for 8 fmas, and the
 * loads bound the loop). Zen 2, SmolLM2-135M BF16 at 1,024 and 3,000
 * positions: --parallel 16 1.11x and 1.15x, one stream 1.06-1.10x. */
TARGET_AVX2 static inline __attribute__((always_inline)) void dot_lanes8x4(__m256 lanes[4], const float *q,
                                                                           const void *k, size_t at, size_t kstride,
                                                                           int HD, const gpt_dtype dt) {
    __m256 acc0[4], acc1[4];
#pragma GCC unroll 4
    for (int p = 0; p < 4; p++) acc0[p] = acc1[p] = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= HD; i += 16) {
        const __m256 qa = _mm256_loadu_ps(q + i), qb = _mm256_loadu_ps(q + i + 8);
#pragma GCC unroll 4
        for (int p = 0; p < 4; p++) {
            acc0[p] = _mm256_fmadd_ps(qa, load8(k, dt, at + p * kstride + i), acc0[p]);
            acc1[p] = _mm256_fmadd_ps(qb, load8(k, dt, at + p * kstride + i + 8), acc1[p]);
        }
    }
    if (i + 8 <= HD) {
        const __m256 qa = _mm256_loadu_ps(q + i);
#pragma GCC unroll 4
        for (int p = 0; p < 4; p++) acc0[p] = _mm256_fmadd_ps(qa, load8(k, dt, at + p * kstride + i), acc0[p]);
    }
#pragma GCC unroll 4
    for (int p = 0; p < 4; p++) lanes[p] = _mm256_add_ps(acc0[p], acc1[p]);
}

/* The rest of the tree for 8 dots at once, t[j] the lanes of dot j:
 * lanes l + l+4 (128-bit halves), then adjacent pairs, then pairs two
 * apart, as reduce16's hadds; lane j of the result is dot j. */
TARGET_AVX2 static inline __attribute__((always_inline)) __m256 reduce8x8(const __m256 *t) {
    __m256 s[4], u[2];
    for (int j = 0; j < 4; j++)  // s[j]: dot 2j's four sums, then dot 2j+1's
        s[j] = _mm256_add_ps(_mm256_permute2f128_ps(t[2 * j], t[2 * j + 1], 0x20),
                             _mm256_permute2f128_ps(t[2 * j], t[2 * j + 1], 0x31));
    for (int j = 0; j < 2; j++)  // u[j]: per half, a dot's (s0+s1, s2+s3), then another's
        u[j] = _mm256_add_ps(_mm256_shuffle_ps(s[2 * j], s[2 * j + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm256_shuffle_ps(s[2 * j], s[2 * j + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    const __m256 r = _mm256_add_ps(_mm256_shuffle_ps(u[0], u[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm256_shuffle_ps(u[0], u[1], _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm256_permutevar8x32_ps(r, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));  // dots 0 2 4 6 | 1 3 5 7
}

TARGET_AVX2 static inline __attribute__((always_inline)) void scores_avx2_any(float *s, const float *q, const void *K,
                                                                            int stride, int first, int last, int HD,
                                                                            float scale, const gpt_dtype dt) {
    int t = first;
    for (; t + 8 <= last + 1; t += 8) {
        __m256 lanes[8];
        dot_lanes8x4(lanes, q, K, (size_t)t * stride, (size_t)stride, HD, dt);
        dot_lanes8x4(lanes + 4, q, K, (size_t)(t + 4) * stride, (size_t)stride, HD, dt);
        if (HD % 8 == 0) {  // no inputs left one by one: finish_dots' product, 8 at once
            _mm256_storeu_ps(s + t, _mm256_mul_ps(reduce8x8(lanes), _mm256_set1_ps(scale)));
            continue;
        }
        _mm256_storeu_ps(s + t, reduce8x8(lanes));
        finish_dots(s, q, K, stride, t, 8, HD, scale, dt);
    }
    for (; t <= last; t++) s[t] = dot_row(q, K, stride, t, HD, dt) * scale;
}

TARGET_AVX2 static void scores_avx2(float *s, const float *q, const float *K, int stride, int first, int last,
                                    int HD, float scale) {
    scores_avx2_any(s, q, K, stride, first, last, HD, scale, GPT_DTYPE_F32);
}

/* An F16 cache's keys, widened as they are loaded (the bits of scores_avx2
 * over the widened floats). */
TARGET_AVX2 static void scores_avx2_half(float *s, const float *q, const uint16_t *K, int stride, int first, int last,
                                         int HD, float scale) {
    scores_avx2_any(s, q, K, stride, first, last, HD, scale, GPT_DTYPE_F16);
}

TARGET_AVX2 static float sum_tree_avx2(const float *x, int n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_add_ps(acc0, _mm256_loadu_ps(x + i));
        acc1 = _mm256_add_ps(acc1, _mm256_loadu_ps(x + i + 8));
    }
    if (i + 8 <= n) acc0 = _mm256_add_ps(acc0, _mm256_loadu_ps(x + i)), i += 8;
    acc0 = _mm256_add_ps(acc0, acc1);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc0), _mm256_extractf128_ps(acc0, 1));
    h = _mm_hadd_ps(h, h);
    h = _mm_hadd_ps(h, h);
    float sum = _mm_cvtss_f32(h);
    for (; i < n; i++) sum += x[i];
    return sum;
}

/* The largest of x[0..n) (-FLT_MAX for none): the scalar loop's value in any
 * order, as a NaN is passed over both ways (vmaxps returns its second
 * operand, the running maximum, when the first is a NaN). The scalar loop
 * was a fifth of a prompt's attention at the SmolLM2 shape. */
TARGET_AVX2 static float max_avx2(const float *x, int n) {
    __m256 m0 = _mm256_set1_ps(-FLT_MAX), m1 = m0;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        m0 = _mm256_max_ps(_mm256_loadu_ps(x + i), m0);
        m1 = _mm256_max_ps(_mm256_loadu_ps(x + i + 8), m1);
    }
    m0 = _mm256_max_ps(m0, m1);
    float lanes[8], m = -FLT_MAX;
    _mm256_storeu_ps(lanes, m0);
    for (int l = 0; l < 8; l++) m = lanes[l] > m ? lanes[l] : m;
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

/* NV registers of the output (8 values each, NV up to 8) from d0, across
 * every position. NV is a constant in each copy, so the sums stay in
 * registers: with a run-time count gcc kept them in memory, and each
 * position's fmas waited on a store and a load (the weighted sum was then
 * most of a decode step's attention time). Each register is one chain of
 * fmas that waits on its last, so a head of 64 takes all 8 in one pass:
 * two passes of 4 kept 4 chains where two FMA pipes of 5-cycle latency want
 * 10 (Zen 2, SmolLM2-135M BF16 --parallel 16 at 1,024 and 3,000 positions:
 * 1.08-1.14x; one stream even). */
TARGET_AVX2 static inline __attribute__((always_inline)) void weighted_regs8(float *out, const float *e,
                                                                           const void *V, size_t d0, int stride,
                                                                           int first, int last, const int NV,
                                                                           float inv, int fresh, const gpt_dtype dt) {
    __m256 o[8];
#pragma GCC unroll 8
    for (int c = 0; c < NV; c++) o[c] = fresh ? _mm256_setzero_ps() : _mm256_loadu_ps(out + 8 * c);
    for (int t = first; t <= last; t++) {
        const __m256 w = _mm256_set1_ps(e[t]);
        const size_t at = (size_t)t * stride + d0;
#pragma GCC unroll 8
        for (int c = 0; c < NV; c++) o[c] = _mm256_fmadd_ps(w, load8(V, dt, at + 8 * c), o[c]);
    }
#pragma GCC unroll 8
    for (int c = 0; c < NV; c++) _mm256_storeu_ps(out + 8 * c, _mm256_mul_ps(o[c], _mm256_set1_ps(inv)));
}

/* The output 64 values at a time in eight registers, across every position. */
TARGET_AVX2 static inline __attribute__((always_inline)) void weighted_avx2_any(float *out, const float *e,
                                                                              const void *V, int stride, int first,
                                                                              int last, int HD, float inv, int fresh,
                                                                              const gpt_dtype dt) {
    int d0 = 0;
    while (HD - d0 >= 8) {
        const int nv = (HD - d0) / 8 < 8 ? (HD - d0) / 8 : 8;  // registers in use
        switch (nv) {
        case 1: weighted_regs8(out + d0, e, V, d0, stride, first, last, 1, inv, fresh, dt); break;
        case 2: weighted_regs8(out + d0, e, V, d0, stride, first, last, 2, inv, fresh, dt); break;
        case 3: weighted_regs8(out + d0, e, V, d0, stride, first, last, 3, inv, fresh, dt); break;
        case 4: weighted_regs8(out + d0, e, V, d0, stride, first, last, 4, inv, fresh, dt); break;
        case 5: weighted_regs8(out + d0, e, V, d0, stride, first, last, 5, inv, fresh, dt); break;
        case 6: weighted_regs8(out + d0, e, V, d0, stride, first, last, 6, inv, fresh, dt); break;
        case 7: weighted_regs8(out + d0, e, V, d0, stride, first, last, 7, inv, fresh, dt); break;
        default: weighted_regs8(out + d0, e, V, d0, stride, first, last, 8, inv, fresh, dt); break;
        }
        d0 += 8 * nv;
    }
    if (d0 < HD) {
        const void *rest = dt == GPT_DTYPE_F16 ? (const void *)((const uint16_t *)V + d0) : (const void *)((const float *)V + d0);
        weighted_portable(out + d0, e, rest, stride, first, last, HD - d0, inv, fresh, dt);
    }
}

TARGET_AVX2 static void weighted_avx2(float *out, const float *e, const float *V, int stride, int first, int last,
                                      int HD, float inv, int fresh) {
    weighted_avx2_any(out, e, V, stride, first, last, HD, inv, fresh, GPT_DTYPE_F32);
}

/* An F16 cache's values, widened as they are loaded. */
TARGET_AVX2 static void weighted_avx2_half(float *out, const float *e, const uint16_t *V, int stride, int first,
                                           int last, int HD, float inv, int fresh) {
    weighted_avx2_any(out, e, V, stride, first, last, HD, inv, fresh, GPT_DTYPE_F16);
}

/* ---- AVX-512: 16 positions' dots per reduction ---- */

/* One dot's 16 lanes (dot_f32's two chains in one register). */
TARGET_AVX512 static inline __attribute__((always_inline)) __m512 dot_lanes16(const float *q, const float *k,
                                                                              int HD) {
    __m512 acc = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= HD; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(k + i), acc);
    if (i + 8 <= HD)
        acc = _mm512_mask3_fmadd_ps(_mm512_zextps256_ps512(_mm256_loadu_ps(q + i)),
                                    _mm512_zextps256_ps512(_mm256_loadu_ps(k + i)), acc, 0x00FF);
    return acc;
}

TARGET_AVX512 static void scores_avx512(float *s, const float *q, const float *K, int stride, int first, int last,
                                        int HD, float scale) {
    int t = first;
    for (; t + 16 <= last + 1; t += 16) {
        __m512 lanes[16];
        for (int j = 0; j < 16; j++) lanes[j] = dot_lanes16(q, K + (size_t)(t + j) * stride, HD);
        _mm512_storeu_ps(s + t, reduce16x16(lanes));
        finish_dots(s, q, K, stride, t, 16, HD, scale, GPT_DTYPE_F32);
    }
    if (t <= last) scores_avx2(s, q, K, stride, t, last, HD, scale);
}

/* NV registers of the output (16 values each, masked) from out, across
 * every position; NV a constant in each copy (see weighted_regs8). */
TARGET_AVX512 static inline __attribute__((always_inline)) void weighted_regs16(float *out, const float *e,
                                                                              const float *V, int stride,
                                                                              int first, int last, const int NV,
                                                                              const __mmask16 *mask, float inv,
                                                                              int fresh) {
    __m512 o[4];
#pragma GCC unroll 4
    for (int c = 0; c < NV; c++) o[c] = fresh ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(mask[c], out + 16 * c);
    for (int t = first; t <= last; t++) {
        const __m512 w = _mm512_set1_ps(e[t]);
        const float *v = V + (size_t)t * stride;
#pragma GCC unroll 4
        for (int c = 0; c < NV; c++) o[c] = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(mask[c], v + 16 * c), o[c]);
    }
#pragma GCC unroll 4
    for (int c = 0; c < NV; c++) _mm512_mask_storeu_ps(out + 16 * c, mask[c], _mm512_mul_ps(o[c], _mm512_set1_ps(inv)));
}

/* The output 64 values at a time in four registers (the last 16 masked). */
TARGET_AVX512 static void weighted_avx512(float *out, const float *e, const float *V, int stride, int first,
                                          int last, int HD, float inv, int fresh) {
    for (int d0 = 0; d0 < HD; d0 += 64) {
        const int left = HD - d0, nv = (left + 15) / 16 < 4 ? (left + 15) / 16 : 4;
        __mmask16 mask[4];
        for (int c = 0; c < 4; c++) {
            const int in = left - 16 * c;
            mask[c] = in >= 16 ? 0xFFFF : in > 0 ? (__mmask16)((1u << in) - 1) : 0;
        }
        switch (nv) {
        case 1: weighted_regs16(out + d0, e, V + d0, stride, first, last, 1, mask, inv, fresh); break;
        case 2: weighted_regs16(out + d0, e, V + d0, stride, first, last, 2, mask, inv, fresh); break;
        case 3: weighted_regs16(out + d0, e, V + d0, stride, first, last, 3, mask, inv, fresh); break;
        default: weighted_regs16(out + d0, e, V + d0, stride, first, last, 4, mask, inv, fresh); break;
        }
    }
}
#endif

/* The kernels' path: 2 AVX-512, 1 AVX2, 0 portable. */
static int attention_path(void) {
#if HAVE_X86
    return ops_head_avx512() ? 2 : ops_avx2() ? 1 : 0;
#else
    return 0;
#endif
}

/* x (n) = exp(x - max x) in place; returns 1 / their sum (the 16-lane
 * tree). The same bits on every path: the maximum does not depend on the
 * order, exp_shifted's lanes repeat its scalar steps, and the AVX2 sum is
 * the portable tree. */
static float softmax_weights(float *x, int n, int path) {
#if HAVE_X86
    const float maxv = path ? max_avx2(x, n) : max_portable(x, n);
    exp_shifted(x, maxv, n);
    return 1.0f / (path ? sum_tree_avx2(x, n) : sum_tree_portable(x, n));
#else
    (void)path;
    exp_shifted(x, max_portable(x, n), n);
    return 1.0f / sum_tree_portable(x, n);
#endif
}

/* The path's scores and weighted sums (attend_head) over a float cache,
 * or an F16 one (the AVX2 kernels on AVX-512 too: every path
 * gives the same bits). */
static void scores_path(float *s, const float *q, const void *K, gpt_dtype dt, int stride, int first, int last, int HD,
                        float scale, int path) {
#if HAVE_X86
    if (dt == GPT_DTYPE_F16 && path) scores_avx2_half(s, q, K, stride, first, last, HD, scale);
    else if (path == 2) scores_avx512(s, q, K, stride, first, last, HD, scale);
    else if (path == 1) scores_avx2(s, q, K, stride, first, last, HD, scale);
    else
#else
    (void)path;  // only the portable kernels are built
#endif
        scores_portable(s, q, K, stride, first, last, HD, scale, dt);
}

static void weighted_path(float *out, const float *e, const void *V, gpt_dtype dt, int stride, int first, int last,
                          int HD, float inv, int fresh, int path) {
#if HAVE_X86
    if (dt == GPT_DTYPE_F16 && path) weighted_avx2_half(out, e, V, stride, first, last, HD, inv, fresh);
    else if (path == 2) weighted_avx512(out, e, V, stride, first, last, HD, inv, fresh);
    else if (path == 1) weighted_avx2(out, e, V, stride, first, last, HD, inv, fresh);
    else
#else
    (void)path;  // only the portable kernels are built
#endif
        weighted_portable(out, e, V, stride, first, last, HD, inv, fresh, dt);
}

void attend_head(float *out, const float *q, const float *K, const float *V, int stride, int first, int last,
                 int HD, float scale, float *scores) {
    const int n = last - first + 1, path = attention_path();
    scores_path(scores, q, K, GPT_DTYPE_F32, stride, first, last, HD, scale, path);
    const float inv = softmax_weights(scores + first, n, path);
    weighted_path(out, scores, V, GPT_DTYPE_F32, stride, first, last, HD, inv, 1, path);
}

/* Positions a grouped pass takes at a time: their keys (or values) of one
 * kv head, 16 KB at head_dim 64, stay in L1 for the group's query heads. */
#define GROUP_RUN ATTN_RUN

/* The cache's element type: floats, or with kv_f16 IEEE halves. */
static gpt_dtype kv_dtype(int kv_f16) { return kv_f16 ? GPT_DTYPE_F16 : GPT_DTYPE_F32; }

#if HAVE_X86
TARGET_AVX2 static void widen_avx2(float *out, const uint16_t *in, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, load8(in, GPT_DTYPE_F16, i));
    for (; i < n; i++) out[i] = load_one(in, GPT_DTYPE_F16, i);
}
#endif

void attention_widen(float *out, const uint16_t *in, size_t n) {
#if HAVE_X86
    if (attention_path()) {
        widen_avx2(out, in, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) out[i] = load_one(in, GPT_DTYPE_F16, i);
}

/* Scores of G query heads of one kv head (q G x HD, scores G rows lds
 * apart) at positions [t0, t1]: each run of GROUP_RUN positions' keys is
 * read for all G heads. Every position's dot is the same alone or in a
 * block, so any split of a span into parts gives attend_head's scores. */
void attend_scores(float *scores, int lds, const float *q, int G, const void *K, int kv_f16, int stride, int t0,
                   int t1, int HD, float scale) {
    const int path = attention_path();
    for (int r0 = t0; r0 <= t1; r0 += GROUP_RUN) {
        const int r1 = t1 - r0 < GROUP_RUN ? t1 : r0 + GROUP_RUN - 1;
        for (int g = 0; g < G; g++)
            scores_path(scores + (size_t)g * lds, q + (size_t)g * HD, K, kv_dtype(kv_f16), stride, r0, r1, HD, scale, path);
    }
}

float attend_softmax(float *scores, int first, int last) {
    return softmax_weights(scores + first, last - first + 1, attention_path());
}

/* Values [d0, d1) of the G heads' outputs (out G x HD) over the span
 * [first, last]: each run of GROUP_RUN positions' values is read for all
 * G heads, each value's fma chain carried from run to run in out and
 * scaled by inv[g] at the end. Each value is its own chain, so any split
 * of the dimensions gives attend_head's bits. */
void attend_weighted(float *out, const float *scores, int lds, const float *inv, int G, const void *V, int kv_f16,
                     int stride, int first, int last, int HD, int d0, int d1) {
    const int path = attention_path();
    const void *columns = kv_f16 ? (const void *)((const uint16_t *)V + d0) : (const void *)((const float *)V + d0);
    for (int t0 = first; t0 <= last; t0 += GROUP_RUN) {
        const int t1 = last - t0 < GROUP_RUN ? last : t0 + GROUP_RUN - 1;
        for (int g = 0; g < G; g++)
            weighted_path(out + (size_t)g * HD + d0, scores + (size_t)g * lds, columns, kv_dtype(kv_f16), stride, t0, t1,
                          d1 - d0, t1 == last ? inv[g] : 1.0f, t0 == first, path);
    }
}

/* attend_head for the G query heads of one kv head (a GQA group), q and
 * out G x HD each, scores G rows lds apart: each run of GROUP_RUN
 * positions' keys is read for all G heads, then each run of values (the
 * three steps above), the same bits. */
void attend_group(float *out, const float *q, int G, const void *K, const void *V, int kv_f16, int stride, int first,
                  int last, int HD, float scale, float *scores, int lds) {
    for (; G > ATTN_GROUP_MAX; G -= ATTN_GROUP_MAX, out += ATTN_GROUP_MAX * HD, q += ATTN_GROUP_MAX * HD)
        attend_group(out, q, ATTN_GROUP_MAX, K, V, kv_f16, stride, first, last, HD, scale, scores, lds);
    float inv[ATTN_GROUP_MAX];
    attend_scores(scores, lds, q, G, K, kv_f16, stride, first, last, HD, scale);
    for (int g = 0; g < G; g++) inv[g] = attend_softmax(scores + (size_t)g * lds, first, last);
    attend_weighted(out, scores, lds, inv, G, V, kv_f16, stride, first, last, HD, 0, HD);
}

/* ---- prompts: a block of query rows at once, keys as vector lanes ----
 *
 * A prompt chunk's rows of one head ran as two BLAS products over the
 * whole square of positions (S = Q K^T, then S V), half of it masked away,
 * with 64-float dots that left BLAS packing more than multiplying: at the
 * SmolLM2 shape a 512-token prompt spent about a fifth of its time there.
 * Here each tile of 4 query rows computes only the keys its rows see:
 * scores against keys packed 32 to a block (each dimension's 32 keys side
 * by side, so a vector of keys is one load and a query value one
 * broadcast), then the rows' softmax, then the values weighted in
 * registers.
 *
 * Each score is one fused multiply-add per dimension in order, then times
 * scale; each output value one fused multiply-add per position in order
 * (the positions no row of the tile sees add exact zeros), then times
 * 1 / sum, the sum of the exponentials in attend_head's 16-lane tree. So
 * every path gives the same bits, and a row's do not depend on the other
 * rows of its chunk. */

#define KEY_BLOCK ATTN_KEY_BLOCK  // keys per packed block (ops.h)
#define TILE_ROWS 4   // query rows per tile

void attention_pack_keys(float *Kp, const void *K, int kv_f16, int stride, int N, int HD) {
    for (int b = 0; b * KEY_BLOCK < N; b++) {
        float *dst = Kp + (size_t)b * HD * KEY_BLOCK;  // (HD, KEY_BLOCK)
        for (int j = 0; j < KEY_BLOCK; j++) {
            const int t = b * KEY_BLOCK + j;
            if (t >= N) {
                for (int d = 0; d < HD; d++) dst[(size_t)d * KEY_BLOCK + j] = 0.0f;
                continue;
            }
            if (kv_f16) {
                const uint16_t *k = (const uint16_t *)K + (size_t)t * stride;
                for (int d = 0; d < HD; d++) dst[(size_t)d * KEY_BLOCK + j] = gpt_half_to_float(k[d]);
                continue;
            }
            const float *k = (const float *)K + (size_t)t * stride;
            for (int d = 0; d < HD; d++) dst[(size_t)d * KEY_BLOCK + j] = k[d];
        }
    }
}

/* s[r][t] = scale * q_r . k_t for the nr rows of q (ldq apart) and the keys
 * of blocks [b0, b1) of Kp; s rows lds apart. */
static void block_scores_portable(float *s, int lds, const float *q, int ldq, const float *Kp, int nr, int b0,
                                  int b1, int HD, float scale) {
    for (int r = 0; r < nr; r++)
        for (int b = b0; b < b1; b++)
            for (int j = 0; j < KEY_BLOCK; j++) {
                const float *k = Kp + (size_t)b * HD * KEY_BLOCK + j;
                float acc = 0.0f;
                for (int d = 0; d < HD; d++) acc = fmaf(q[(size_t)r * ldq + d], k[(size_t)d * KEY_BLOCK], acc);
                s[(size_t)r * lds + b * KEY_BLOCK + j] = acc * scale;
            }
}

/* out (nr, HD) rows ldo apart = (sum over t in [t0, t1] of p_r[t] V row t)
 * times inv[r], p rows lds apart. */
static void block_weighted_portable(float *out, int ldo, const float *p, int lds, const float *V, int stride, int nr,
                                    int t0, int t1, int HD, const float *inv) {
    for (int r = 0; r < nr; r++)
        for (int d = 0; d < HD; d++) {
            float acc = 0.0f;
            for (int t = t0; t <= t1; t++) acc = fmaf(p[(size_t)r * lds + t], V[(size_t)t * stride + d], acc);
            out[(size_t)r * ldo + d] = acc * inv[r];
        }
}

#if HAVE_X86
/* One step of a tile of 4 rows x 16 lanes (two registers): acc[r] +=
 * a[r][i] x (x0, x1) for each row r, one fused multiply-add a lane. The
 * scores' step (a: the query rows, x: 16 keys' dimension i) and the values'
 * (a: the weights, x: a value row's 16 dimensions). */
TARGET_AVX2 static inline __attribute__((always_inline)) void tile4x16_step(__m256 acc[TILE_ROWS][2],
                                                                           const float *const a[TILE_ROWS],
                                                                           int i, __m256 x0, __m256 x1) {
#pragma GCC unroll 4
    for (int r = 0; r < TILE_ROWS; r++) {
        const __m256 w = _mm256_broadcast_ss(a[r] + i);
        acc[r][0] = _mm256_fmadd_ps(w, x0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(w, x1, acc[r][1]);
    }
}

/* The tile's rows past nr repeat row 0 (their results are not stored), so
 * each copy has a constant row count. */
TARGET_AVX2 static void block_scores_avx2(float *s, int lds, const float *q, int ldq, const float *Kp, int nr,
                                          int b0, int b1, int HD, float scale) {
    const float *qr[TILE_ROWS];
#pragma GCC unroll 4
    for (int r = 0; r < TILE_ROWS; r++) qr[r] = q + (size_t)(r < nr ? r : 0) * ldq;
    for (int b = b0; b < b1; b++)
        for (int half = 0; half < KEY_BLOCK; half += 16) {
            const float *k = Kp + (size_t)b * HD * KEY_BLOCK + half;
            __m256 acc[TILE_ROWS][2];
#pragma GCC unroll 4
            for (int r = 0; r < TILE_ROWS; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
            for (int d = 0; d < HD; d++)
                tile4x16_step(acc, qr, d, _mm256_loadu_ps(k + (size_t)d * KEY_BLOCK),
                              _mm256_loadu_ps(k + (size_t)d * KEY_BLOCK + 8));
#pragma GCC unroll 4
            for (int r = 0; r < nr; r++) {
                float *out = s + (size_t)r * lds + b * KEY_BLOCK + half;
                _mm256_storeu_ps(out, _mm256_mul_ps(acc[r][0], _mm256_set1_ps(scale)));
                _mm256_storeu_ps(out + 8, _mm256_mul_ps(acc[r][1], _mm256_set1_ps(scale)));
            }
        }
}

/* 16 output values (two registers) of the tile's rows at a time. */
TARGET_AVX2 static void block_weighted_avx2(float *out, int ldo, const float *p, int lds, const float *V, int stride,
                                            int nr, int t0, int t1, int HD, const float *inv) {
    const float *pr[TILE_ROWS];
#pragma GCC unroll 4
    for (int r = 0; r < TILE_ROWS; r++) pr[r] = p + (size_t)(r < nr ? r : 0) * lds;
    int d0 = 0;
    for (; d0 + 16 <= HD; d0 += 16) {
        __m256 acc[TILE_ROWS][2];
#pragma GCC unroll 4
        for (int r = 0; r < TILE_ROWS; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
        for (int t = t0; t <= t1; t++) {
            const float *v = V + (size_t)t * stride + d0;
            tile4x16_step(acc, pr, t, _mm256_loadu_ps(v), _mm256_loadu_ps(v + 8));
        }
#pragma GCC unroll 4
        for (int r = 0; r < nr; r++) {
            _mm256_storeu_ps(out + (size_t)r * ldo + d0, _mm256_mul_ps(acc[r][0], _mm256_set1_ps(inv[r])));
            _mm256_storeu_ps(out + (size_t)r * ldo + d0 + 8, _mm256_mul_ps(acc[r][1], _mm256_set1_ps(inv[r])));
        }
    }
    if (d0 < HD) block_weighted_portable(out + d0, ldo, p, lds, V + d0, stride, nr, t0, t1, HD - d0, inv);
}

/* 32 keys (a block, two registers) of the tile's rows at a time. */
TARGET_AVX512 static void block_scores_avx512(float *s, int lds, const float *q, int ldq, const float *Kp, int nr,
                                              int b0, int b1, int HD, float scale) {
    const float *qr[TILE_ROWS];
#pragma GCC unroll 4
    for (int r = 0; r < TILE_ROWS; r++) qr[r] = q + (size_t)(r < nr ? r : 0) * ldq;
    for (int b = b0; b < b1; b++) {
        const float *k = Kp + (size_t)b * HD * KEY_BLOCK;
        __m512 acc[TILE_ROWS][2];
#pragma GCC unroll 4
        for (int r = 0; r < TILE_ROWS; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
        for (int d = 0; d < HD; d++) {
            const __m512 k0 = _mm512_loadu_ps(k + (size_t)d * KEY_BLOCK), k1 = _mm512_loadu_ps(k + (size_t)d * KEY_BLOCK + 16);
#pragma GCC unroll 4
            for (int r = 0; r < TILE_ROWS; r++) {
                const __m512 qv = _mm512_set1_ps(qr[r][d]);
                acc[r][0] = _mm512_fmadd_ps(qv, k0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(qv, k1, acc[r][1]);
            }
        }
#pragma GCC unroll 4
        for (int r = 0; r < nr; r++) {
            float *out = s + (size_t)r * lds + b * KEY_BLOCK;
            _mm512_storeu_ps(out, _mm512_mul_ps(acc[r][0], _mm512_set1_ps(scale)));
            _mm512_storeu_ps(out + 16, _mm512_mul_ps(acc[r][1], _mm512_set1_ps(scale)));
        }
    }
}

/* 64 output values (four registers, the last masked) of the tile's rows at
 * a time. */
TARGET_AVX512 static void block_weighted_avx512(float *out, int ldo, const float *p, int lds, const float *V,
                                                int stride, int nr, int t0, int t1, int HD, const float *inv) {
    const float *pr[TILE_ROWS];
#pragma GCC unroll 4
    for (int r = 0; r < TILE_ROWS; r++) pr[r] = p + (size_t)(r < nr ? r : 0) * lds;
    for (int d0 = 0; d0 < HD; d0 += 64) {
        __mmask16 mask[4];
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++) {
            const int in = HD - d0 - 16 * c;
            mask[c] = in >= 16 ? 0xFFFF : in > 0 ? (__mmask16)((1u << in) - 1) : 0;
        }
        __m512 acc[TILE_ROWS][4];
#pragma GCC unroll 4
        for (int r = 0; r < TILE_ROWS; r++)
#pragma GCC unroll 4
            for (int c = 0; c < 4; c++) acc[r][c] = _mm512_setzero_ps();
        for (int t = t0; t <= t1; t++) {
            const float *v = V + (size_t)t * stride + d0;
            __m512 vv[4];
#pragma GCC unroll 4
            for (int c = 0; c < 4; c++) vv[c] = _mm512_maskz_loadu_ps(mask[c], v + 16 * c);
#pragma GCC unroll 4
            for (int r = 0; r < TILE_ROWS; r++) {
                const __m512 w = _mm512_set1_ps(pr[r][t]);
#pragma GCC unroll 4
                for (int c = 0; c < 4; c++) acc[r][c] = _mm512_fmadd_ps(w, vv[c], acc[r][c]);
            }
        }
#pragma GCC unroll 4
        for (int r = 0; r < nr; r++)
#pragma GCC unroll 4
            for (int c = 0; c < 4; c++)
                _mm512_mask_storeu_ps(out + (size_t)r * ldo + d0 + 16 * c, mask[c],
                                      _mm512_mul_ps(acc[r][c], _mm512_set1_ps(inv[r])));
    }
}
#endif

void attend_rows(float *out, int ldo, const float *q, int ldq, const float *Kp, const float *V, int stride,
                 int n_rows, int pos0, int window, int HD, float scale, float *scores, int lds) {
    const int path = attention_path();
    for (int i0 = 0; i0 < n_rows; i0 += TILE_ROWS) {
        const int nr = n_rows - i0 < TILE_ROWS ? n_rows - i0 : TILE_ROWS;
        int first[TILE_ROWS], last[TILE_ROWS];
        float inv[TILE_ROWS];
        for (int r = 0; r < nr; r++) {
            last[r] = pos0 + i0 + r;
            first[r] = window > 0 && last[r] >= window ? last[r] - window + 1 : 0;
        }
        const int lo = first[0], hi = last[nr - 1];  // the keys some row of the tile sees
        const int b0 = lo / KEY_BLOCK, b1 = hi / KEY_BLOCK + 1;
        float *s = scores + (size_t)i0 * lds;  // (nr, lds)
        const float *qt = q + (size_t)i0 * ldq;
#if HAVE_X86
        if (path == 2) block_scores_avx512(s, lds, qt, ldq, Kp, nr, b0, b1, HD, scale);
        else if (path == 1) block_scores_avx2(s, lds, qt, ldq, Kp, nr, b0, b1, HD, scale);
        else
#endif
            block_scores_portable(s, lds, qt, ldq, Kp, nr, b0, b1, HD, scale);
        for (int r = 0; r < nr; r++) {
            float *row = s + (size_t)r * lds;
            inv[r] = softmax_weights(row + first[r], last[r] - first[r] + 1, path);
            for (int t = lo; t < first[r]; t++) row[t] = 0.0f;
            for (int t = last[r] + 1; t <= hi; t++) row[t] = 0.0f;
        }
        float *o = out + (size_t)i0 * ldo;
#if HAVE_X86
        if (path == 2) block_weighted_avx512(o, ldo, s, lds, V, stride, nr, lo, hi, HD, inv);
        else if (path == 1) block_weighted_avx2(o, ldo, s, lds, V, stride, nr, lo, hi, HD, inv);
        else
#endif
            block_weighted_portable(o, ldo, s, lds, V, stride, nr, lo, hi, HD, inv);
    }
}
