/* test_ops.c — the "one row, one answer" rule of the matrix kernels
 * (docs/DESIGN.md): for up to OPS_SMALL_ROWS rows, a row's output is the
 * same bits whether it is computed alone, beside 6 or 63 other rows, with 1
 * or 2 threads, by the AVX2 kernels or the portable ones; and a
 * Conv1D-style product is exactly the bias followed by one fmaf per input
 * in input order; above OPS_SMALL_ROWS rows (BLAS) a product is the same
 * bits with 1, 2 or 3 threads (and the same bits as each row alone where
 * the long product keeps the one-row order: matmul_t on F16/BF16 with
 * AVX-512, and on AVX2 and VNNI, unless built with -DGPT_Q8_INT8_PROMPTS=0,
 * Q8 prompts as integer dots). F32, F16, BF16 and Q8 weights; the Q8 products on VNNI, on AVX2
 * and portable; matmul_t's float products on AVX-512, AVX2 and portable.
 * The Llama family's matrices (gpt_matrix.in_order), in rows and in row
 * panels: each element exactly the fmaf chain in input order, prompts
 * included (each row the bits it has alone), the two layouts the same bits. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "check.h"
#include "convert.h"
#include "layers.h"
#include "ops.h"
#include "quant.h"
#include "simd.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t next_u32(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static float uniform(void) { return (float)(next_u32() % 2000001) / 1000000.0f - 1.0f; }  // [-1, 1]

/* A rows x cols matrix of random values in dtype (F32, F16 or BF16);
 * *wide gets the same values as floats. */
static void *random_matrix(gpt_dtype dt, int rows, int cols, float **wide) {
    size_t n = (size_t)rows * cols;
    *wide = malloc(sizeof(float) * n);
    if (dt == GPT_DTYPE_F32) {
        float *d = malloc(sizeof(float) * n);
        for (size_t i = 0; i < n; i++) d[i] = (*wide)[i] = uniform();
        return d;
    }
    uint16_t *d = malloc(sizeof(uint16_t) * n);
    for (size_t i = 0; i < n; i++) {
        if (dt == GPT_DTYPE_F16) {
            /* sign, exponent 10..16 (2^-5 .. 2^1), random mantissa */
            uint32_t u = next_u32();
            d[i] = (uint16_t)(((u & 1) << 15) | ((10 + (u >> 1) % 7) << 10) | ((u >> 8) & 0x3FF));
            (*wide)[i] = gpt_half_to_float(d[i]);
        } else {
            float f = uniform();
            uint32_t bits;
            memcpy(&bits, &f, 4);
            d[i] = (uint16_t)(bits >> 16);
            (*wide)[i] = gpt_bf16_to_float(d[i]);
        }
    }
    return d;
}

static int same_bits(const float *a, const float *b, size_t n, size_t *where) {
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float))) {
            *where = i;
            return 0;
        }
    return 1;
}

#define NROWS OPS_SMALL_ROWS
static const char *PATH_NAME[] = {"default", "AVX2 (no AVX-512)", "portable"};

/* Runs the product for rows [r0, r0+R) of in into out (R rows, ldo OC). */
static void run(int transposed, float *out, const float *in, const gpt_matrix *W, const float *bias, int r0, int R,
                int IN, int OUT, float *panel) {
    if (transposed) matmul_t(out, OUT, in + (size_t)r0 * IN, W, R, panel, NULL);
    else matmul(out, in + (size_t)r0 * IN, W, bias, R, panel, NULL);
}

/* A team for the kernels' team paths (a decode step's: gpt_forward). */
static ops_team test_team;

/* run, by every thread of a parallel region as one team (up to
 * OPS_SMALL_ROWS rows, as a decode step's team takes). */
static void run_team(int transposed, float *out, const float *in, const gpt_matrix *W, const float *bias, int r0,
                     int R, int IN, int OUT, float *panel) {
#pragma omp parallel
    {
        if (transposed) matmul_t(out, OUT, in + (size_t)r0 * IN, W, R, panel, &test_team);
        else matmul(out, in + (size_t)r0 * IN, W, bias, R, panel, &test_team);
    }
}

static void check_product(const char *what, int transposed, const gpt_matrix *W, const float *wide, int IN,
                          int OUT, int with_bias) {
    float *in = malloc(sizeof(float) * NROWS * IN), *bias = malloc(sizeof(float) * OUT);
    for (int i = 0; i < NROWS * IN; i++) in[i] = uniform();
    for (int j = 0; j < OUT; j++) bias[j] = uniform();
    const float *b = with_bias ? bias : NULL;
    int panel_cols = IN > OUT ? IN : OUT;
    const size_t scratch = matmul_scratch_floats(W);  // an F32 matrix in panels: its prompts' buffers
    float *panel = malloc(sizeof(float) * (scratch > matmul_panel_floats(panel_cols) ? scratch : matmul_panel_floats(panel_cols)));
    float *ref = malloc(sizeof(float) * NROWS * OUT), *got = malloc(sizeof(float) * NROWS * OUT);

    /* The reference: every row alone, one thread, the default path. */
    omp_set_num_threads(1);
    ops_force_portable(0);
    for (int r = 0; r < NROWS; r++) run(transposed, ref + (size_t)r * OUT, in, W, b, r, 1, IN, OUT, panel);

    /* The definition, for Conv1D products of float weights and the Llama
     * family's (in_order, W [OUT, IN]): one fmaf per input in input order,
     * from the bias or zero. */
    if (wide) {
        int bad = 0;
        for (int r = 0; r < NROWS && !bad; r++)
            for (int j = 0; j < OUT && !bad; j++) {
                float a = b ? b[j] : 0.0f;
                for (int i = 0; i < IN; i++)
                    a = fmaf(in[(size_t)r * IN + i], wide[transposed ? (size_t)j * IN + i : (size_t)i * OUT + j], a);
                if (memcmp(&a, &ref[(size_t)r * OUT + j], 4)) {
                    bad = 1;
                    CHECK(0, "%s: row %d col %d: %.9g, the fmaf chain gives %.9g", what, r, j,
                          ref[(size_t)r * OUT + j], a);
                }
            }
        CHECK(!bad, "%s: matches the fmaf chain", what);
    }

    /* Paths: 0 the default (AVX-512 head tiles, and VNNI for Q8, where the
     * CPU has them), 1 AVX2 without AVX-512, 2 portable. */
    for (int path = 0; path <= 2; path++)
        for (int threads = 1; threads <= 3; threads++) {
            omp_set_num_threads(threads);
            ops_force_no_avx512(path == 1);
            ops_force_portable(path == 2);
            /* 5: AVX2 tiles of 3 and 2 input rows; 3, 5, 6 and 7: Q8's VNNI
             * tiles of that many rows (up to 8), 6 the AVX2 Q8 tiles' 4 + 2;
             * AVX2's row panels three blocks at a time: 2 one tile of 2
             * rows, 5 = 4 + 1, 6 = 4 + 2, 7 = 4 + 3, 8 and 16 fours (3
             * two blocks at a time) */
            const int sizes[] = {1, 2, 3, 5, 6, 7, 8, 16, NROWS};
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
                for (int in_team = 0; in_team <= 1; in_team++) {  // each kernel's own region, or a team's
                    int R = sizes[s];
                    memset(got, 0xFF, sizeof(float) * NROWS * OUT);
                    for (int r0 = 0; r0 + R <= NROWS; r0 += R)
                        (in_team ? run_team : run)(transposed, got + (size_t)r0 * OUT, in, W, b, r0, R, IN, OUT, panel);
                    int covered = NROWS / R * R;
                    size_t where = 0;
                    int ok = same_bits(got, ref, (size_t)covered * OUT, &where);
                    CHECK(ok, "%s: %s, %d threads%s, %d rows at a time: row %zu col %zu differs (%.9g vs %.9g)",
                          what, PATH_NAME[path], threads, in_team ? " in a team" : "", R, where / OUT, where % OUT,
                          got[where], ref[where]);
                }
        }
    ops_force_portable(0);
    ops_force_no_avx512(0);

    /* More rows than OPS_SMALL_ROWS: 65 (one past) and 300 (several chunks).
     * BLAS runs them on fixed blocks, the same bits with 1, 2 or 3 threads
     * (rule 4); where matmul_t runs 16-bit weights on AVX-512 tiles, or Q8
     * runs them as integer dots (on AVX2 and VNNI by default), each row
     * is the same bits as computed alone. */
    for (int RB = 65; RB <= 300; RB += 235) {
        float *big_in = malloc(sizeof(float) * RB * IN), *one = malloc(sizeof(float) * RB * OUT),
              *many = malloc(sizeof(float) * RB * OUT), *alone = malloc(sizeof(float) * RB * OUT);
        for (int i = 0; i < RB * IN; i++) big_in[i] = uniform();
        for (int path = 0; path <= 1; path++) {
            ops_force_no_avx512(path == 1);
            for (int threads = 1; threads <= 3; threads++) {
                omp_set_num_threads(threads);
                run(transposed, threads == 1 ? one : many, big_in, W, b, 0, RB, IN, OUT, panel);
                if (threads == 1) continue;
                size_t where = 0;
                int ok = same_bits(many, one, (size_t)RB * OUT, &where);
                CHECK(ok, "%s: %d rows, %s, %d threads vs 1: row %zu col %zu differs (%.9g vs %.9g)", what, RB,
                      PATH_NAME[path], threads, where / OUT, where % OUT, many[where], one[where]);
            }
            /* Rows one at a time where the long product keeps the one-row
             * order: Q8 as integer dots (on AVX2 and VNNI, by default), and matmul_t
             * on 16-bit weights with AVX-512. */
            const int one_row_order = (W->dtype == GPT_DTYPE_Q8 && ops_q8_int8_prompts()) || (transposed && W->in_order) ||
                                      (transposed && ops_head_avx512() && IN >= OPS_TILED_PROMPT_MIN_COLS &&
                                       (W->dtype == GPT_DTYPE_F16 || W->dtype == GPT_DTYPE_BF16));
            if (path == 0 && one_row_order) {
                omp_set_num_threads(2);
                for (int r = 0; r < RB; r++) run(transposed, alone + (size_t)r * OUT, big_in, W, b, r, 1, IN, OUT, panel);
                size_t where = 0;
                int ok = same_bits(one, alone, (size_t)RB * OUT, &where);
                CHECK(ok, "%s: %d rows at once vs each row alone: row %zu col %zu differs (%.9g vs %.9g)", what,
                      RB, where / OUT, where % OUT, one[where], alone[where]);
            }
        }
        /* `one` now holds the AVX2 path; where that is BLAS on panels
         * widened eight values at a time (Q8 prompts as integer dots go
         * there when told), the portable path's BLAS on panels widened one
         * value at a time gives the same bits. */
        omp_set_num_threads(1);
        if (W->dtype == GPT_DTYPE_Q8 && ops_q8_int8_prompts()) {
            ops_force_q8_blas_prompts(1);
            run(transposed, one, big_in, W, b, 0, RB, IN, OUT, panel);
            ops_force_q8_blas_prompts(0);
        }
        ops_force_no_avx512(0);
        ops_force_portable(1);
        run(transposed, many, big_in, W, b, 0, RB, IN, OUT, panel);
        ops_force_portable(0);
        size_t where = 0;
        int ok = same_bits(many, one, (size_t)RB * OUT, &where);
        CHECK(ok, "%s: %d rows, portable vs AVX2 (widened panels): row %zu col %zu differs (%.9g vs %.9g)", what, RB,
              where / OUT, where % OUT, many[where], one[where]);
        free(big_in), free(one), free(many), free(alone);
    }
    omp_set_num_threads(2);
    free(in);
    free(bias);
    free(panel);
    free(ref);
    free(got);
}

static void test_dtype(gpt_dtype dt, const char *name, int IN, int OUT) {
    char what[96];
    float *wide;
    /* Conv1D: W [IN, OUT] */
    void *data = random_matrix(dt, IN, OUT, &wide);
    gpt_matrix W = {.data = data, .dtype = dt, .rows = IN, .cols = OUT};
    snprintf(what, sizeof what, "matmul %s %dx%d", name, IN, OUT);
    check_product(what, 0, &W, wide, IN, OUT, 1);
    snprintf(what, sizeof what, "matmul %s %dx%d no bias", name, IN, OUT);
    check_product(what, 0, &W, wide, IN, OUT, 0);
    if (OUT % GPT_PANEL_COLS == 0) {
        /* The same matrix in column panels (as the loader stores Conv1D
         * weights it reads into memory): the same chain, so the same checks,
         * and prompts with the bits of the rows layout (F32: one BLAS call
         * over every input, on the panels put back in rows; 16-bit: widened
         * blocks of 256 inputs either way). */
        const size_t esize = dt == GPT_DTYPE_F32 ? 4 : 2;
        unsigned char *panels = malloc(esize * IN * OUT);
        const unsigned char *rows = data;
        for (int i = 0; i < IN; i++)
            for (int j = 0; j < OUT; j++)
                memcpy(panels + (((size_t)(j / GPT_PANEL_COLS) * IN + i) * GPT_PANEL_COLS + j % GPT_PANEL_COLS) * esize,
                       rows + ((size_t)i * OUT + j) * esize, esize);
        gpt_matrix P = {.data = panels, .dtype = dt, .rows = IN, .cols = OUT, .col_panels = 1};
        snprintf(what, sizeof what, "matmul %s %dx%d in column panels", name, IN, OUT);
        check_product(what, 0, &P, wide, IN, OUT, 1);
        /* Prompts (BLAS on the rows put back, or widened): the bits of the
         * rows layout, with the rows one block of BLAS's and several. */
        for (int RB = 100; RB <= 300; RB += 200) {
            float *x = malloc(sizeof(float) * RB * IN), *a = malloc(sizeof(float) * RB * OUT),
                  *b = malloc(sizeof(float) * RB * OUT), *scratch = malloc(sizeof(float) * matmul_scratch_floats(&P));
            for (int i = 0; i < RB * IN; i++) x[i] = uniform();
            matmul(a, x, &W, NULL, RB, scratch, NULL);
            matmul(b, x, &P, NULL, RB, scratch, NULL);
            size_t where = 0;
            CHECK(same_bits(a, b, (size_t)RB * OUT, &where), "%s, %d rows: row %zu col %zu %.9g, in rows %.9g", what,
                  RB, where / OUT, where % OUT, b[where], a[where]);
            free(x), free(a), free(b), free(scratch);
        }
        free(panels);
    }
    if (IN % GPT_Q8_BLOCK == 0) {
        gpt_matrix Q;
        void *storage = malloc(quantize_q8_bytes(&W, 1));
        char err[256];
        CHECK(quantize_q8(&Q, storage, &W, 1, "w", err, sizeof err) == GPT_OK, "%s", err);
        snprintf(what, sizeof what, "matmul Q8 from %s %dx%d", name, IN, OUT);
        check_product(what, 0, &Q, NULL, IN, OUT, 1);
        free(storage);
    }
    free(data);
    free(wide);
    /* The head: W [OUT, IN], out = in @ W^T */
    data = random_matrix(dt, OUT, IN, &wide);
    W = (gpt_matrix){.data = data, .dtype = dt, .rows = OUT, .cols = IN};
    snprintf(what, sizeof what, "matmul_t %s %dx%d", name, OUT, IN);
    check_product(what, 1, &W, NULL, IN, OUT, 0);
    /* The Llama family's matrices and head (in_order): the fmaf chain, in
     * rows (a mapped file) and in row panels (the loader's copy), and
     * prompts of both (the tiles, in chunks of rows) the same bits. */
    W.in_order = 1;
    snprintf(what, sizeof what, "matmul_t %s %dx%d in input order", name, OUT, IN);
    check_product(what, 1, &W, wide, IN, OUT, 0);
    if (OUT % GPT_ROW_PANEL == 0) {
        const size_t esize = dt == GPT_DTYPE_F32 ? 4 : 2, panel_bytes = esize * GPT_ROW_PANEL * IN;
        unsigned char *panels = malloc(esize * IN * OUT);
        for (int p = 0; p < OUT / GPT_ROW_PANEL; p++)
            gpt_row_panel_from_rows(panels + p * panel_bytes, (const unsigned char *)data + p * panel_bytes, dt, IN);
        gpt_matrix P = W;
        P.data = panels;
        P.row_panels = 1;
        snprintf(what, sizeof what, "matmul_t %s %dx%d in row panels", name, OUT, IN);
        check_product(what, 1, &P, wide, IN, OUT, 0);
        float *row = malloc(sizeof(float) * IN);
        int bad = 0;
        for (int j = 0; j < OUT && !bad; j++) {
            matrix_row(row, &P, j);
            for (int i = 0; i < IN && !bad; i++)
                if (memcmp(&row[i], &wide[(size_t)j * IN + i], 4)) {
                    bad = 1;
                    CHECK(0, "%s: matrix_row %d col %d: %.9g, stored %.9g", what, j, i, row[i], wide[(size_t)j * IN + i]);
                }
        }
        CHECK(!bad, "%s: matrix_row reads the stored rows", what);
        free(row);
        for (int RB = 100; RB <= 600; RB += 500) {
            float *x = malloc(sizeof(float) * RB * IN), *a = malloc(sizeof(float) * RB * OUT),
                  *c = malloc(sizeof(float) * RB * OUT), *scratch = malloc(sizeof(float) * matmul_panel_floats(IN));
            for (int i = 0; i < RB * IN; i++) x[i] = uniform();
            matmul_t(a, OUT, x, &W, RB, scratch, NULL);
            matmul_t(c, OUT, x, &P, RB, scratch, NULL);
            size_t where = 0;
            CHECK(same_bits(a, c, (size_t)RB * OUT, &where), "%s, %d rows: row %zu col %zu %.9g, in rows %.9g", what,
                  RB, where / OUT, where % OUT, c[where], a[where]);
            free(x), free(a), free(c), free(scratch);
        }
        free(panels);
    }
    W.in_order = 0;
    if (IN % GPT_Q8_BLOCK == 0) {
        gpt_matrix Q;
        void *storage = malloc(quantize_q8_bytes(&W, 0));
        char err[256];
        CHECK(quantize_q8(&Q, storage, &W, 0, "head", err, sizeof err) == GPT_OK, "%s", err);
        snprintf(what, sizeof what, "matmul_t Q8 from %s %dx%d", name, OUT, IN);
        check_product(what, 1, &Q, NULL, IN, OUT, 0);
        free(storage);
    }
    free(data);
    free(wide);
}

static void test_dot(void) {
    const int ns[] = {1, 7, 8, 15, 16, 17, 31, 64, 77, 100};
    float a[128], b[128];
    for (int i = 0; i < 128; i++) a[i] = uniform(), b[i] = uniform();
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        ops_force_portable(0);
        float x = dot_f32(a, b, ns[k]);
        ops_force_portable(1);
        float y = dot_f32(a, b, ns[k]);
        ops_force_portable(0);
        CHECK(!memcmp(&x, &y, 4), "dot_f32 n=%d: %.9g (default) vs %.9g (portable)", ns[k], x, y);
    }
}

/* An elementwise op over x, into a on the default path and into b on the
 * portable one; the two must be the same bits. */
static void both_paths(void (*op)(float *, int), const float *x, float *a, float *b, int n, const char *what) {
    memcpy(a, x, sizeof(float) * n);
    memcpy(b, x, sizeof(float) * n);
    ops_force_portable(0);
    op(a, n);
    ops_force_portable(1);
    op(b, n);
    ops_force_portable(0);
    size_t where = 0;
    int same = same_bits(a, b, (size_t)n, &where);
    CHECK(same, "%s at x = %.9g: %.9g (default) vs %.9g (portable)", what, x[where], a[where], b[where]);
}
static void run_gelu(float *x, int n) { gelu_tanh(x, (size_t)n); }
static void run_exp(float *x, int n) { exp_shifted(x, 1.5f, n); }

/* gelu_tanh: the AVX2 and portable paths give the same bits, and both are
 * close to the formula computed in double. */
static void test_gelu(void) {
    enum { N = 20011 };  // not a multiple of 8: the scalar tail too
    float *x = malloc(sizeof(float) * N), *a = malloc(sizeof(float) * N), *b = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) x[i] = (float)(i - N / 2) * (24.0f / N) + uniform() * 1e-3f;  // [-12, 12]
    x[0] = -1e30f, x[1] = 1e30f, x[2] = 0.0f, x[3] = -0.0f, x[4] = 1e-30f, x[5] = -200.0f, x[6] = 200.0f;
    both_paths(run_gelu, x, a, b, N, "gelu_tanh");
    /* Error in units of the allowed error: 4e-6 relative, or 1e-11 absolute
     * for tiny values. Float's own rounding of the exponent allows no
     * better: an ulp of z = 2u near 25 is 2e-6 of exp(z). (The float tanh
     * form 0.5 v (1 + tanhf(u)) is off by 7% of the value near v = -4.) */
    double worst = 0;
    int worst_i = 0;
    for (int i = 0; i < N; i++) {
        /* 0.5 v (1 + tanh u) as v / (1 + exp(-2u)): no cancellation in 1 + tanh u near -1. */
        double v = x[i], ref = v / (1.0 + exp(-2.0 * 0.7978845608028654 * (v + 0.044715 * v * v * v)));
        double err = fabs(a[i] - ref) / fmax(4e-6 * fabs(ref), 1e-11);
        if (err > worst) worst = err, worst_i = i;
    }
    CHECK(worst <= 1, "gelu_tanh(%.9g) = %.9g, error %.3g times the allowed (4e-6 relative, 1e-11 absolute)", x[worst_i],
          a[worst_i], worst);
    free(x), free(a), free(b);
}

/* exp_shifted (softmax's exponentials): the same bits on both paths, and
 * within 2e-7 of exp in double (relative) over the range softmax uses. */
static void test_exp(void) {
    enum { N = 10007 };
    float *x = malloc(sizeof(float) * N), *a = malloc(sizeof(float) * N), *b = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) x[i] = -87.0f * (float)i / (N - 1) + uniform() * 1e-3f;  // (shifted) [-87, 0]
    x[0] = 0.0f, x[1] = -200.0f;  // the maximum itself; one past the clamp
    both_paths(run_exp, x, a, b, N, "exp_shifted(x - 1.5)");
    double worst = 0;
    int worst_i = 2;
    for (int i = 2; i < N; i++) {
        double z = (double)(x[i] - 1.5f), ref = exp(z);
        if (z < -87) continue;  // clamped on purpose
        double err = fabs(a[i] - ref) / ref;
        if (err > worst) worst = err, worst_i = i;
    }
    CHECK(worst < 2e-7, "exp_shifted(%.9g - 1.5) = %.9g, relative error %.3g", x[worst_i], a[worst_i], worst);
    CHECK(a[0] > 0.2231 && a[0] < 0.2232, "exp(-1.5) = %.9g", a[0]);
    CHECK(a[1] > 0 && a[1] < 1e-37, "exp(-201.5), clamped to exp(-87): %.9g", a[1]);
    free(x), free(a), free(b);
}

static const float *silu_up;  // the up values run_silu multiplies by
static void run_silu(float *x, int n) { silu_mul(x, silu_up, (size_t)n); }

/* silu_mul: the same bits on both paths, and within 1e-6 (relative) of
 * g / (1 + e^-g) * u in double; below g = -88 the exponent is clamped and
 * the value only has to be tiny. */
static void test_silu(void) {
    enum { N = 20011 };  // not a multiple of 8: the scalar tail too
    float *x = malloc(sizeof(float) * N), *u = malloc(sizeof(float) * N), *a = malloc(sizeof(float) * N),
          *b = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) {
        x[i] = (float)(i - N / 2) * (200.0f / N) + uniform() * 1e-3f;  // [-100, 100]
        u[i] = uniform() * 4.0f;
    }
    x[0] = -1e30f, x[1] = 1e30f, x[2] = 0.0f, x[3] = -0.0f, x[4] = 1e-30f, x[5] = -87.5f, x[6] = -88.5f;
    silu_up = u;
    both_paths(run_silu, x, a, b, N, "silu_mul");
    double worst = 0;
    int worst_i = 0;
    for (int i = 0; i < N; i++) {
        double g = x[i], ref = g / (1.0 + exp(-g)) * u[i];
        double err = g < -88 ? (fabs(a[i]) < 1e-30 ? 0 : INFINITY) : fabs(a[i] - ref) / fmax(1e-6 * fabs(ref), 1e-37);
        if (err > worst) worst = err, worst_i = i;
    }
    CHECK(worst <= 1, "silu_mul(%.9g) * %.9g = %.9g, error %.3g times the allowed (1e-6 relative)", x[worst_i],
          u[worst_i], a[worst_i], worst);
    free(x), free(u), free(a), free(b);
}

/* rmsnorm: the same bits on the AVX2 and portable paths, in place or not,
 * for row lengths with every tail (16-value blocks, 8-value runs, single
 * values), and each output within 2 float roundings (4 ulps, 2^-22
 * relative) of x / sqrt(mean(x^2) + eps) * w in double. */
static void test_rmsnorm(void) {
    const int lengths[] = {1, 7, 8, 15, 16, 17, 64, 100, 576, 896, 2049};
    enum { R = 3 };
    for (size_t t = 0; t < sizeof lengths / sizeof *lengths; t++) {
        const int C = lengths[t];
        float *x = malloc(sizeof(float) * R * C), *w = malloc(sizeof(float) * C), *a = malloc(sizeof(float) * R * C),
              *b = malloc(sizeof(float) * R * C);
        for (int i = 0; i < R * C; i++) x[i] = (uniform() - 0.5f) * (i % 5 == 0 ? 300.0f : 2.0f);
        for (int i = 0; i < C; i++) w[i] = uniform() * 2.0f - 0.5f;
        ops_force_portable(0);
        rmsnorm(a, x, w, R, C, 1e-6f);
        ops_force_portable(1);
        memcpy(b, x, sizeof(float) * R * C);
        rmsnorm(b, b, w, R, C, 1e-6f);  // in place
        ops_force_portable(0);
        size_t where = 0;
        int same = same_bits(a, b, (size_t)R * C, &where);
        CHECK(same, "rmsnorm C = %d: row %zu value %zu %.9g (AVX2) vs %.9g (portable, in place)", C, where / C,
              where % C, a[where], b[where]);
        double worst = 0;
        size_t worst_i = 0;
        for (int r = 0; r < R; r++) {
            double sum = 0;
            for (int i = 0; i < C; i++) sum += (double)x[r * C + i] * x[r * C + i];
            const double rstd = 1.0 / sqrt(sum / C + 1e-6);
            for (int i = 0; i < C; i++) {
                const double ref = x[r * C + i] * rstd * w[i];
                const double err = fabs(a[r * C + i] - ref) / fmax(fabs(ref) * 0x1p-22, 1e-37);
                if (err > worst) worst = err, worst_i = (size_t)r * C + i;
            }
        }
        CHECK(worst <= 1, "rmsnorm C = %d: row %zu value %zu is %.9g, error %.3g times the allowed (2^-22 relative)",
              C, worst_i / C, worst_i % C, a[worst_i], worst);
        free(x), free(w), free(a), free(b);
    }
}

/* ref (HD) = softmax attention in double of q over K and V rows [first,
 * last] (rows stride floats apart), scores times scale. */
static void attention_reference(double *ref, const float *q, const float *K, const float *V, int stride, int first,
                                int last, int HD, double scale) {
    double *scores = malloc(sizeof(double) * (size_t)(last + 1)), maxv = -INFINITY, sum = 0;
    for (int t = first; t <= last; t++) {
        double dot = 0;
        for (int i = 0; i < HD; i++) dot += (double)q[i] * K[(size_t)t * stride + i];
        scores[t] = dot * scale;
        maxv = fmax(maxv, scores[t]);
    }
    for (int t = first; t <= last; t++) sum += scores[t] = exp(scores[t] - maxv);
    for (int d = 0; d < HD; d++) {
        ref[d] = 0;
        for (int t = first; t <= last; t++) ref[d] += scores[t] / sum * V[(size_t)t * stride + d];
    }
    free(scores);
}

/* attend_head: the same bits on AVX-512, AVX2 and portable paths, and each
 * output within 2e-6 (relative to the largest |V|) of softmax attention in
 * double, for head sizes with every tail (a run of 8, single inputs) and
 * position counts on and off the 16- and 8-position blocks, with a window
 * (first > 0) and rows stride floats apart. */
static void test_attention(void) {
    const int hds[] = {64, 128, 80, 72, 67, 8, 3, 256};
    const int spans[][2] = {{0, 0}, {0, 6}, {0, 7}, {0, 15}, {0, 16}, {3, 19}, {0, 39}, {37, 99}, {0, 299}};
    enum { MAXPOS = 300, MAXHD = 256, STRIDE = 2 * MAXHD + 5 };
    float *K = malloc(sizeof(float) * MAXPOS * STRIDE), *V = malloc(sizeof(float) * MAXPOS * STRIDE);
    float q[MAXHD], scores[MAXPOS], out[3][MAXHD];
    for (size_t i = 0; i < (size_t)MAXPOS * STRIDE; i++) K[i] = uniform() * 3.0f, V[i] = uniform();
    for (int i = 0; i < MAXHD; i++) q[i] = uniform() * 3.0f;
    for (size_t h = 0; h < sizeof hds / sizeof hds[0]; h++) {
        const int HD = hds[h];
        const float scale = 1.0f / sqrtf((float)HD);
        for (size_t k = 0; k < sizeof spans / sizeof spans[0]; k++) {
            const int first = spans[k][0], last = spans[k][1];
            for (int path = 0; path < 3; path++) {
                ops_force_no_avx512(path == 1);
                ops_force_portable(path == 2);
                attend_head(out[path], q, K + 1, V + 2, STRIDE, first, last, HD, scale, scores);
            }
            ops_force_portable(0);
            ops_force_no_avx512(0);
            for (int path = 1; path < 3; path++) {
                size_t where = 0;
                CHECK(same_bits(out[0], out[path], (size_t)HD, &where),
                      "attend_head HD=%d positions %d..%d: element %zu %.9g (default) vs %.9g (%s)", HD, first, last,
                      where, out[0][where], out[path][where], PATH_NAME[path]);
            }
            double ref[MAXHD], worst = 0, worst_ref = 0;
            int worst_d = 0;
            attention_reference(ref, q, K + 1, V + 2, STRIDE, first, last, HD, scale);
            for (int d = 0; d < HD; d++) {
                double err = fabs(out[0][d] - ref[d]);
                if (err > worst) worst = err, worst_d = d, worst_ref = ref[d];
            }
            CHECK(worst <= 2e-6, "attend_head HD=%d positions %d..%d: element %d %.9g, want %.9g (|diff| %.3g > 2e-6)",
                  HD, first, last, worst_d, out[0][worst_d], worst_ref, worst);
        }
    }
    free(K), free(V);
}

/* attend_group (the query heads of one kv head at once, in runs of
 * positions), and its three steps split as one row's threads split them:
 * each head's output the bits attend_head gives it alone, on every path,
 * for groups of 1 to 9 (past ATTN_GROUP_MAX, in parts) and spans within
 * one run of 64 positions and across several. With an F16 cache (the keys
 * and values as halves, widened as they are loaded): attend_head's bits
 * over the halves widened beforehand. */
static void test_attention_group(void) {
    const int hds[] = {64, 128, 67};
    const int spans[][2] = {{0, 0}, {0, 63}, {0, 64}, {5, 200}, {37, 299}};
    const int groups[] = {1, 2, 3, 7, 9};
    enum { MAXPOS = 300, MAXHD = 128, MAXG = 9, STRIDE = MAXHD + 3, LDS = MAXPOS + 4 };
    float *K = malloc(sizeof(float) * MAXPOS * STRIDE), *V = malloc(sizeof(float) * MAXPOS * STRIDE);
    float *Kw = malloc(sizeof(float) * MAXPOS * STRIDE), *Vw = malloc(sizeof(float) * MAXPOS * STRIDE);
    uint16_t *K16 = malloc(sizeof(uint16_t) * MAXPOS * STRIDE), *V16 = malloc(sizeof(uint16_t) * MAXPOS * STRIDE);
    float q[MAXG * MAXHD], alone[MAXG * MAXHD], grouped[MAXG * MAXHD], scores[MAXG * LDS];
    float split_scores[MAXG * LDS], inv[MAXG];
    for (size_t i = 0; i < (size_t)MAXPOS * STRIDE; i++) {
        K[i] = uniform() * 3.0f, V[i] = uniform();
        K16[i] = gpt_float_to_half(K[i]), V16[i] = gpt_float_to_half(V[i]);
        Kw[i] = gpt_half_to_float(K16[i]), Vw[i] = gpt_half_to_float(V16[i]);
    }
    for (int i = 0; i < MAXG * MAXHD; i++) q[i] = uniform() * 3.0f;
    for (int path = 0; path < 3; path++) {
        ops_force_no_avx512(path == 1);
        ops_force_portable(path == 2);
        for (int f16 = 0; f16 < 2; f16++)
            for (size_t h = 0; h < sizeof hds / sizeof hds[0]; h++)
                for (size_t k = 0; k < sizeof spans / sizeof spans[0]; k++)
                    for (size_t gi = 0; gi < sizeof groups / sizeof groups[0]; gi++) {
                        const int HD = hds[h], first = spans[k][0], last = spans[k][1], G = groups[gi];
                        const float scale = 1.0f / sqrtf((float)HD);
                        const void *Kc = f16 ? (const void *)K16 : K, *Vc = f16 ? (const void *)V16 : V;
                        const char *cache = f16 ? "F16" : "F32";
                        for (int g = 0; g < G; g++)
                            attend_head(alone + g * HD, q + g * HD, f16 ? Kw : K, f16 ? Vw : V, STRIDE, first, last,
                                        HD, scale, scores);
                        attend_group(grouped, q, G, Kc, Vc, f16, STRIDE, first, last, HD, scale, scores, LDS);
                        size_t where = 0;
                        CHECK(same_bits(alone, grouped, (size_t)G * HD, &where),
                              "attend_group %s %s cache HD=%d G=%d positions %d..%d: head %zu element %zu %.9g, "
                              "attend_head %.9g",
                              PATH_NAME[path], cache, HD, G, first, last, where / HD, where % HD, grouped[where],
                              alone[where]);
                        /* the three steps as threads split them: the scores in
                         * three uneven parts of the span, the values in two
                         * uneven parts of the dimensions */
                        const int n = last - first + 1, cut1 = first + n / 5, cut2 = first + n / 2;
                        attend_scores(split_scores, LDS, q, G, Kc, f16, STRIDE, first, cut1 - 1, HD, scale);
                        attend_scores(split_scores, LDS, q, G, Kc, f16, STRIDE, cut1, cut2 - 1, HD, scale);
                        attend_scores(split_scores, LDS, q, G, Kc, f16, STRIDE, cut2, last, HD, scale);
                        for (int g = 0; g < G; g++) inv[g] = attend_softmax(split_scores + g * LDS, first, last);
                        const int dcut = HD / 3 + 1;
                        attend_weighted(grouped, split_scores, LDS, inv, G, Vc, f16, STRIDE, first, last, HD, dcut, HD);
                        attend_weighted(grouped, split_scores, LDS, inv, G, Vc, f16, STRIDE, first, last, HD, 0, dcut);
                        CHECK(same_bits(alone, grouped, (size_t)G * HD, &where),
                              "attend_scores/softmax/weighted split %s %s cache HD=%d G=%d positions %d..%d: head %zu "
                              "element %zu %.9g, attend_head %.9g",
                              PATH_NAME[path], cache, HD, G, first, last, where / HD, where % HD, grouped[where],
                              alone[where]);
                    }
    }
    ops_force_portable(0);
    ops_force_no_avx512(0);
    free(K), free(V), free(Kw), free(Vw), free(K16), free(V16);
}

/* gpt_float_to_half against the definition: every finite half comes back
 * from its float; the float halfway between two neighbouring halves goes
 * to the one with an even mantissa, and the next float either side of it
 * to the nearer one; past the largest half (65504) by half a step and
 * more, infinity. Where the CPU has F16C, its conversion agrees on a
 * million random floats. */
#if HAVE_X86
TARGET_AVX2 static uint16_t f16c_to_half(float f) {
    return (uint16_t)_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT), 0);
}
#endif

static void test_float_to_half(void) {
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7C00) == 0x7C00) continue;  // infinities and NaN
        const uint16_t back = gpt_float_to_half(gpt_half_to_float((uint16_t)h));
        CHECK(back == h, "gpt_float_to_half(%.9g) = 0x%04x, want 0x%04x", gpt_half_to_float((uint16_t)h), back, h);
        if ((h & 0x7FFF) == 0x7BFF) continue;  // the largest: no finite neighbour above
        const float a = gpt_half_to_float((uint16_t)h), b = gpt_half_to_float((uint16_t)(h + 1));
        const float mid = (a + b) / 2;  // exact: halves have 11 bits
        const uint16_t even = (h & 1) ? (uint16_t)(h + 1) : (uint16_t)h;
        const uint16_t got = gpt_float_to_half(mid), below = gpt_float_to_half(nextafterf(mid, a));
        const uint16_t above = gpt_float_to_half(nextafterf(mid, b));
        CHECK(got == even && below == h && above == h + 1,
              "gpt_float_to_half between 0x%04x and 0x%04x: mid %.9g -> 0x%04x (want 0x%04x), below -> 0x%04x, above "
              "-> 0x%04x",
              h, h + 1, mid, got, even, below, above);
    }
    CHECK(gpt_float_to_half(65519.99f) == 0x7BFF && gpt_float_to_half(65520.0f) == 0x7C00 &&
              gpt_float_to_half(-1e30f) == 0xFC00 && gpt_float_to_half(1e-10f) == 0 &&
              (gpt_float_to_half(NAN) & 0x7E00) == 0x7E00,
          "gpt_float_to_half at the edges: 65519.99 0x%04x, 65520 0x%04x, -1e30 0x%04x, 1e-10 0x%04x, NaN 0x%04x",
          gpt_float_to_half(65519.99f), gpt_float_to_half(65520.0f), gpt_float_to_half(-1e30f),
          gpt_float_to_half(1e-10f), gpt_float_to_half(NAN));
#if HAVE_X86
    if (!cpu_avx2_fma_f16c()) {
#endif
        printf("SKIP the F16C comparison of gpt_float_to_half: not on this CPU (the definition above is checked)\n");
        return;
#if HAVE_X86
    }
    int differ = 0;
    uint32_t first_bits = 0;
    for (int i = 0; i < 1000000; i++) {
        uint32_t bits = next_u32();
        float f;
        memcpy(&f, &bits, 4);
        if (f != f) continue;  // NaN payloads may differ
        if (gpt_float_to_half(f) != f16c_to_half(f) && !differ++) first_bits = bits;
    }
    CHECK(differ == 0, "gpt_float_to_half differs from F16C on %d random floats (the first 0x%08x)", differ, first_bits);
#endif
}

/* attend_rows (a prompt chunk's attention): the same bits on AVX-512, AVX2
 * and portable paths; each row the same bits as when it is computed alone;
 * each output within 4e-6 (relative to the largest |V|) of causal softmax
 * attention in double (its dots run in input order, as BLAS's did, where
 * attend_head's 16-lane tree holds 2e-6; at HD 128 the order is 2.1e-6
 * off). Head sizes with every tail, blocks of rows on and
 * off the 4-row tiles, starting at 0 and later, with and without a window. */
static void test_attend_rows(void) {
    const int hds[] = {64, 128, 80, 67, 8, 3};
    const int blocks[][3] = {{0, 1, 0}, {0, 4, 0}, {0, 13, 0}, {5, 64, 0}, {37, 7, 0},
                             {250, 50, 0}, {0, 40, 16}, {90, 30, 7}, {3, 64, 40}};  // pos0, rows, window
    enum { MAXPOS = 300, MAXHD = 128, STRIDE = 2 * MAXHD + 5, LDS = 320, MAXROWS = 64 };
    float *K = malloc(sizeof(float) * MAXPOS * STRIDE), *V = malloc(sizeof(float) * MAXPOS * STRIDE);
    float *Q = malloc(sizeof(float) * MAXROWS * STRIDE), *Kp = malloc(sizeof(float) * LDS * MAXHD);
    float *scores = malloc(sizeof(float) * MAXROWS * LDS), *out[3], alone[MAXHD];
    float *Kw = malloc(sizeof(float) * MAXPOS * STRIDE), *Kp_f16 = malloc(sizeof(float) * LDS * MAXHD);
    float *Kp_wide = malloc(sizeof(float) * LDS * MAXHD);
    uint16_t *K16 = malloc(sizeof(uint16_t) * MAXPOS * STRIDE);
    for (int p = 0; p < 3; p++) out[p] = malloc(sizeof(float) * MAXROWS * MAXHD);
    for (size_t i = 0; i < (size_t)MAXPOS * STRIDE; i++) {
        K[i] = uniform() * 3.0f, V[i] = uniform();
        K16[i] = gpt_float_to_half(K[i]), Kw[i] = gpt_half_to_float(K16[i]);
    }
    for (size_t i = 0; i < (size_t)MAXROWS * STRIDE; i++) Q[i] = uniform() * 3.0f;
    for (size_t h = 0; h < sizeof hds / sizeof hds[0]; h++) {
        const int HD = hds[h];
        const float scale = 1.0f / sqrtf((float)HD);
        for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++) {
            const int pos0 = blocks[k][0], rows = blocks[k][1], window = blocks[k][2], N = pos0 + rows;
            attention_pack_keys(Kp, K + 1, 0, STRIDE, N, HD);
            /* an F16 cache's keys pack as the halves widened beforehand */
            const size_t packed = (size_t)(N + ATTN_KEY_BLOCK - 1) / ATTN_KEY_BLOCK * ATTN_KEY_BLOCK * HD;
            attention_pack_keys(Kp_f16, K16 + 1, 1, STRIDE, N, HD);
            attention_pack_keys(Kp_wide, Kw + 1, 0, STRIDE, N, HD);
            size_t at = 0;
            CHECK(same_bits(Kp_wide, Kp_f16, packed, &at),
                  "attention_pack_keys F16 HD=%d N=%d: packed float %zu %.9g, the widened halves' %.9g", HD, N, at,
                  Kp_f16[at], Kp_wide[at]);
            for (int path = 0; path < 3; path++) {
                ops_force_no_avx512(path == 1);
                ops_force_portable(path == 2);
                attend_rows(out[path], HD, Q, STRIDE, Kp, V + 2, STRIDE, rows, pos0, window, HD, scale, scores, LDS);
            }
            ops_force_portable(0);
            ops_force_no_avx512(0);
            for (int path = 1; path < 3; path++) {
                size_t where = 0;
                CHECK(same_bits(out[0], out[path], (size_t)rows * HD, &where),
                      "attend_rows HD=%d rows %d from %d, window %d: element %zu %.9g (default) vs %.9g (%s)", HD,
                      rows, pos0, window, where, out[0][where], out[path][where], PATH_NAME[path]);
            }
            double worst = 0, worst_ref = 0;
            int worst_r = 0, worst_d = 0, alone_differs = -1;
            for (int r = 0; r < rows; r++) {
                const float *q = Q + (size_t)r * STRIDE;
                attend_rows(alone, HD, q, STRIDE, Kp, V + 2, STRIDE, 1, pos0 + r, window, HD, scale, scores, LDS);
                if (alone_differs < 0 && memcmp(alone, out[0] + (size_t)r * HD, sizeof(float) * HD) != 0)
                    alone_differs = r;
                const int last = pos0 + r, first = window && last >= window ? last - window + 1 : 0;
                double ref[MAXHD];
                attention_reference(ref, q, K + 1, V + 2, STRIDE, first, last, HD, scale);
                for (int d = 0; d < HD; d++) {
                    double err = fabs(out[0][(size_t)r * HD + d] - ref[d]);
                    if (err > worst) worst = err, worst_r = r, worst_d = d, worst_ref = ref[d];
                }
            }
            CHECK(alone_differs < 0, "attend_rows HD=%d rows %d from %d, window %d: row %d differs from itself alone",
                  HD, rows, pos0, window, alone_differs);
            CHECK(worst <= 4e-6,
                  "attend_rows HD=%d rows %d from %d, window %d: row %d element %d %.9g, want %.9g (|diff| %.3g > 4e-6)",
                  HD, rows, pos0, window, worst_r, worst_d, out[0][(size_t)worst_r * HD + worst_d], worst_ref, worst);
        }
    }
    free(K), free(V), free(Q), free(Kp), free(scores), free(Kw), free(Kp_f16), free(Kp_wide), free(K16);
    for (int p = 0; p < 3; p++) free(out[p]);
}

/* quantize_row_q8 (vectorized where it can be) against its definition:
 * scale = max|x| / 127, q = x / scale rounded to nearest even (x times the
 * scale's inverse, or divided by the scale where the inverse overflows). */
static void test_quantize(void) {
    enum { N = 32 * 42 };
    float x[N];
    for (int i = 0; i < N; i++) x[i] = uniform() * (float)(1 + i / 32);
    for (int i = 0; i < 32; i++) x[i] = (float)(i - 16) + 0.5f;  // ties: amax 16 -> inv 127/16
    for (int i = 32; i < 64; i++) x[i] = 0.0f;                    // an all-zero block
    for (int i = 64; i < 96; i++) x[i] = (float)(i - 80) * 0.25f;                 // amax 4: more ties
    x[96] = 127.0f;                                               // scale 1: k + 0.5 ties
    for (int i = 97; i < 128; i++) x[i] = (float)(i - 112) + 0.5f;
    for (int i = 128; i < 160; i++) x[i] = (float)(i - 140) * 1e-39f;  // tiny: 1 / scale overflows
    for (int i = 160; i < 192; i++) x[i] = (float)(i - 170) * 3e-38f;  // small, the inverse finite
    gpt_q8_block got[N / 32];
    quantize_row_q8(got, x, N);
    int bad = 0;
    for (int b = 0; b < N / 32; b++) {
        float amax = 0;
        for (int i = 0; i < 32; i++) amax = fabsf(x[32 * b + i]) > amax ? fabsf(x[32 * b + i]) : amax;
        float scale = amax / 127.0f, inv = scale > 0 ? 1.0f / scale : 0.0f;
        if (memcmp(&scale, &got[b].scale, 4)) bad++;
        for (int i = 0; i < 32; i++) {
            const float v = x[32 * b + i];
            const int8_t want = (int8_t)lrintf(isinf(inv) ? v / scale : v * inv);
            if (got[b].q[i] != want && ++bad <= 3)
                printf("  block %d value %d: x %.9g scale %.9g: q %d, want %d\n", b, i, v, scale, got[b].q[i], want);
        }
    }
    CHECK(bad == 0, "quantize_row_q8: %d values differ from the definition", bad);
    for (int b = 0; b < N / 32; b++) {
        int32_t sum = 0;
        for (int i = 0; i < 32; i++) sum += got[b].q[i];
        CHECK(got[b].offset == -128 * sum, "quantize_row_q8: block %d offset %d, want -128 x %d", b, got[b].offset, sum);
    }
}

/* Q8 products against their definition: each weight row is quantize_row_q8's
 * blocks (read back through matrix_row as scale x q), each input row too,
 * and each dot is fmaf((float)sum_b, x.scale * w.scale, dot) block after
 * block from zero, where sum_b is the exact integer sum of a block's 32
 * products; one row alone and 5 at once, every path, 1 and 2 threads. A
 * Conv1D weight [in, out] quantizes to the same bytes as its transpose. */
static void test_q8_definition(int OUT, int IN) {
    const int nb = IN / GPT_Q8_BLOCK, R = 5;
    float *wide = malloc(sizeof(float) * OUT * IN), *conv = malloc(sizeof(float) * OUT * IN);  // [OUT, IN], [IN, OUT]
    for (int j = 0; j < OUT; j++)
        for (int i = 0; i < IN; i++) wide[(size_t)j * IN + i] = conv[(size_t)i * OUT + j] = uniform() * (float)(1 + j % 5);
    gpt_matrix W = {.data = wide, .dtype = GPT_DTYPE_F32, .rows = OUT, .cols = IN};
    gpt_matrix Wc = {.data = conv, .dtype = GPT_DTYPE_F32, .rows = IN, .cols = OUT};
    const size_t bytes = quantize_q8_bytes(&W, 0);
    CHECK(bytes == quantize_q8_bytes(&Wc, 1), "Q8 %dx%d: %zu bytes, from Conv1D %zu", OUT, IN, bytes, quantize_q8_bytes(&Wc, 1));
    void *storage = malloc(bytes), *storage_conv = malloc(bytes);
    gpt_matrix Q, Qc;
    char err[256];
    CHECK(quantize_q8(&Q, storage, &W, 0, "w", err, sizeof err) == GPT_OK, "%s", err);
    CHECK(quantize_q8(&Qc, storage_conv, &Wc, 1, "w", err, sizeof err) == GPT_OK, "%s", err);
    CHECK(!memcmp(storage, storage_conv, bytes), "Q8 %dx%d: Conv1D [in, out] and nn.Linear [out, in] quantize to different bytes", OUT, IN);
    gpt_q8_block *wq = malloc(sizeof(gpt_q8_block) * OUT * nb), *xq = malloc(sizeof(gpt_q8_block) * R * nb);
    float *in = malloc(sizeof(float) * R * IN), *row = malloc(sizeof(float) * IN);
    for (int j = 0; j < OUT; j++) quantize_row_q8(wq + (size_t)j * nb, wide + (size_t)j * IN, IN);
    for (int i = 0; i < R * IN; i++) in[i] = uniform();
    for (int r = 0; r < R; r++) quantize_row_q8(xq + (size_t)r * nb, in + (size_t)r * IN, IN);
    int bad = 0;
    for (int j = 0; j < OUT && !bad; j++) {
        matrix_row(row, &Q, j);
        for (int i = 0; i < IN && !bad; i++) {
            const gpt_q8_block *b = wq + (size_t)j * nb + i / 32;
            const float want = b->scale * (float)b->q[i % 32];
            if (memcmp(&row[i], &want, 4)) {
                bad = 1;
                CHECK(0, "Q8 %dx%d: matrix_row %d col %d: %.9g, want scale %.9g x q %d = %.9g", OUT, IN, j, i, row[i],
                      b->scale, b->q[i % 32], want);
            }
        }
    }
    float *want = malloc(sizeof(float) * R * OUT), *got = malloc(sizeof(float) * R * OUT);
    for (int r = 0; r < R; r++)
        for (int j = 0; j < OUT; j++) {
            float dot = 0.0f;
            for (int b = 0; b < nb; b++) {
                const gpt_q8_block *x = xq + (size_t)r * nb + b, *w = wq + (size_t)j * nb + b;
                int32_t sum = 0;
                for (int i = 0; i < 32; i++) sum += x->q[i] * w->q[i];
                dot = fmaf((float)sum, x->scale * w->scale, dot);
            }
            want[(size_t)r * OUT + j] = dot;
        }
    float *panel = malloc(sizeof(float) * matmul_panel_floats(IN));
    for (int path = 0; path <= 2; path++)
        for (int threads = 1; threads <= 2; threads++)
            for (int rows = 1; rows <= R; rows += R - 1) {
                omp_set_num_threads(threads);
                ops_force_no_avx512(path == 1);
                ops_force_portable(path == 2);
                memset(got, 0xFF, sizeof(float) * R * OUT);
                for (int r0 = 0; r0 < R; r0 += rows) matmul_t(got + (size_t)r0 * OUT, OUT, in + (size_t)r0 * IN, &Q, rows, panel, NULL);
                size_t where = 0;
                CHECK(same_bits(got, want, (size_t)R * OUT, &where),
                      "Q8 %dx%d, %s, %d threads, %d rows at a time: row %zu col %zu %.9g, the definition %.9g", OUT,
                      IN, PATH_NAME[path], threads, rows, where / OUT, where % OUT, got[where], want[where]);
            }
    ops_force_no_avx512(0);
    ops_force_portable(0);
    omp_set_num_threads(2);
    free(wide), free(conv), free(storage), free(storage_conv), free(wq), free(xq), free(in), free(row), free(want),
        free(got), free(panel);
}

/* matmul_t_group (q, k, v in one region) gives each product the bits
 * matmul_t gives it alone, and matmul_t_gated the bits of matmul_t, the
 * biases and silu_mul: 1, 7 and 70 rows (70: the per-matrix fallback),
 * float weights and Q8, every path and 1-3 threads. */
static void test_group(gpt_dtype dt, const char *name, int IN, int panels) {
    /* panels: the Llama family's matrices in row panels (in_order), whole
     * blocks of 16 rows, which run two blocks at a time on AVX-512 (three
     * on AVX2, rows in fours) where a thread takes that many of its share at
     * once (a share's owner takes an eighth of what is left: 16 blocks or
     * more) */
    const int rows[3] = {panels ? 256 : 37, panels ? 128 : 20, panels ? 128 : 20}, R_MAX = 70;
    const int TOTAL = rows[0] + rows[1] + rows[2];  // the three side by side
    void *data[3], *qstore[3] = {0};
    float *wide[3];
    gpt_matrix W[3], Q[3];
    char err[256];
    for (int m = 0; m < 3; m++) {
        data[m] = random_matrix(dt, rows[m], IN, &wide[m]);
        W[m] = (gpt_matrix){.data = data[m], .dtype = dt, .rows = rows[m], .cols = IN};
        if (panels) {
            const size_t esize = dt == GPT_DTYPE_F32 ? 4 : 2, panel_bytes = esize * GPT_ROW_PANEL * IN;
            unsigned char *stored = malloc(panel_bytes * (rows[m] / GPT_ROW_PANEL));
            for (int q = 0; q < rows[m] / GPT_ROW_PANEL; q++)
                gpt_row_panel_from_rows(stored + q * panel_bytes, (const unsigned char *)data[m] + q * panel_bytes, dt,
                                        IN);
            free(data[m]);
            data[m] = stored;
            W[m].data = stored;
            W[m].in_order = 1;
            W[m].row_panels = 1;
        } else if (IN % GPT_Q8_BLOCK == 0) {
            qstore[m] = malloc(quantize_q8_bytes(&W[m], 0));
            CHECK(quantize_q8(&Q[m], qstore[m], &W[m], 0, "w", err, sizeof err) == GPT_OK, "%s", err);
        }
    }
    float *in = malloc(sizeof(float) * R_MAX * IN), *panel = malloc(sizeof(float) * matmul_panel_floats(IN));
    float *want = malloc(sizeof(float) * R_MAX * TOTAL), *got = malloc(sizeof(float) * R_MAX * TOTAL);
    float bias[256];  // (2, rows[1]) the gated test's gate and up biases
    for (int i = 0; i < R_MAX * IN; i++) in[i] = uniform();
    for (int i = 0; i < 256; i++) bias[i] = uniform();
    for (int q8 = 0; q8 <= (IN % GPT_Q8_BLOCK == 0 && !panels); q8++) {
        const gpt_matrix *M = q8 ? Q : W;
        for (int path = 0; path <= 2; path++)
            for (int threads = 1; threads <= 3; threads++) {
                omp_set_num_threads(threads);
                ops_force_no_avx512(path == 1);
                ops_force_portable(path == 2);
                /* AVX2's row panels three blocks at a time: 2 one tile of
                 * 2 rows, 5 = 4 + 1, 7 = 4 + 3, 16 fours; 3 two blocks */
                const int sizes[] = {1, 2, 3, 5, 7, 16, R_MAX};
                for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
                    const int R = sizes[s];
                    /* The references alone on the portable path up to
                     * OPS_SMALL_ROWS rows (the same bits as every path there:
                     * check_product): one-row products of long rows walk,
                     * alone as in a group. More rows: this path's BLAS. */
                    ops_product p[3];
                    ops_force_portable(R <= OPS_SMALL_ROWS || path == 2);
                    for (int m = 0, at = 0; m < 3; at += rows[m], m++) {
                        matmul_t(want + at, TOTAL, in, &M[m], R, panel, NULL);
                        p[m] = (ops_product){got + at, TOTAL, &M[m]};
                    }
                    ops_force_portable(path == 2);
                    const ops_next gated_next = {{&M[1], &M[2]}, 2, 1};  // prefetches only: no effect on the bits
                    size_t where = 0;
                    int ok = 1;
                    for (int in_team = 0; in_team <= (R <= OPS_SMALL_ROWS); in_team++) {  // its own region, a team's
                        memset(got, 0xFF, sizeof(float) * R * TOTAL);
                        if (in_team) {
#pragma omp parallel
                            matmul_t_group(p, 3, in, R, panel, &gated_next, &test_team);
                        } else {
                            matmul_t_group(p, 3, in, R, panel, &gated_next, NULL);
                        }
                        ok = same_bits(got, want, (size_t)R * TOTAL, &where);
                        CHECK(ok, "matmul_t_group %s%s %d inputs: %s, %d threads%s, %d rows: row %zu col %zu %.9g, "
                              "alone %.9g", q8 ? "Q8 from " : "", name, IN, PATH_NAME[path], threads,
                              in_team ? " in a team" : "", R, where / TOTAL, where % TOTAL, got[where], want[where]);
                    }
                    /* The gated MLP: matrices 1 and 2 (20 or 128 rows each) as gate and up,
                     * with biases and without: matmul_t, + bias, silu_mul. */
                    const int H = rows[1];
                    for (int with_bias = 0; with_bias <= 1; with_bias++) {
                        float *g = want, *u = want + R * H;  // (R, H) each
                        ops_force_portable(R <= OPS_SMALL_ROWS || path == 2);  // as above
                        matmul_t(g, H, in, &M[1], R, panel, NULL);
                        matmul_t(u, H, in, &M[2], R, panel, NULL);
                        ops_force_portable(path == 2);
                        for (int i = 0; i < R * H; i++) {
                            if (with_bias) g[i] += bias[i % H], u[i] += bias[H + i % H];
                        }
                        silu_mul(g, u, (size_t)R * H);
                        const ops_next group_next = {{&M[0], &M[1], &M[2]}, 3, 0};
                        for (int in_team = 0; in_team <= (R <= OPS_SMALL_ROWS); in_team++) {
                            memset(got, 0xFF, sizeof(float) * 2 * R * H);
                            if (in_team) {
#pragma omp parallel
                                matmul_t_gated(got, got + R * H, H, in, &M[1], with_bias ? bias : NULL, &M[2],
                                               with_bias ? bias + H : NULL, R, panel, &group_next, &test_team);
                            } else {
                                matmul_t_gated(got, got + R * H, H, in, &M[1], with_bias ? bias : NULL, &M[2],
                                               with_bias ? bias + H : NULL, R, panel, &group_next, NULL);
                            }
                            ok = same_bits(got, g, (size_t)R * H, &where);
                            CHECK(ok, "matmul_t_gated %s%s %d inputs%s: %s, %d threads%s, %d rows: row %zu unit %zu "
                                  "%.9g, unfused %.9g", q8 ? "Q8 from " : "", name, IN,
                                  with_bias ? " with biases" : "", PATH_NAME[path], threads,
                                  in_team ? " in a team" : "", R, where / H, where % H, got[where], g[where]);
                        }
                    }
                }
            }
    }
    ops_force_portable(0);
    ops_force_no_avx512(0);
    omp_set_num_threads(1);
    for (int m = 0; m < 3; m++) free(data[m]), free(wide[m]), free(qstore[m]);
    free(in), free(panel), free(want), free(got);
}

int main(void) {
    if (!ops_q8_vnni())
        printf("SKIP the AVX-512 VNNI Q8 path: not on this CPU (the AVX2 and portable Q8 paths are tested)\n");
    if (!ops_head_avx512())
        printf("SKIP the AVX-512 head tiles (matmul_t F32/F16/BF16): not on this CPU (the AVX2 and portable paths are tested)\n");
    test_dot();
    test_quantize();
    test_q8_definition(48, 64);    // three whole panels
    test_q8_definition(37, 96);    // two panels and one padded with 11 rows of zeros
    test_q8_definition(160, 2080); // long rows: ten panels of 65 blocks
    test_gelu();
    test_silu();
    test_rmsnorm();
    test_exp();
    test_attention();
    test_attention_group();
    test_float_to_half();
    test_attend_rows();
    const gpt_dtype dts[] = {GPT_DTYPE_F32, GPT_DTYPE_F16, GPT_DTYPE_BF16};
    const char *names[] = {"F32", "F16", "BF16"};
    char panel_name[32];
    for (int d = 0; d < 3; d++) {
        test_dtype(dts[d], names[d], 77, 203);   // odd sizes: every tail path
        test_dtype(dts[d], names[d], 96, 211);   // Q8-sized sum
        test_dtype(dts[d], names[d], 768, 300);  // GPT-2's width
        test_dtype(dts[d], names[d], 300, 77);   // inputs over several blocks of the packed kernel, with a tail
        test_dtype(dts[d], names[d], 100, 67);   // C % 16 = 4: the head's scalar tail without the 8-lane run
        test_dtype(dts[d], names[d], 1100, 37);  // long rows: walked; AVX2 tiles in chunks of 512 inputs (512, 512, 76)
        test_dtype(dts[d], names[d], 2080, 23);  // long 16-bit rows too (over 4 KB), and 23 = 5 x 4 + 3
        test_dtype(dts[d], names[d], 300, 48);   // 3 row panels, inputs 300 (a tail of 4 past the 8 x 8 transposes)
        test_dtype(dts[d], names[d], 300, 320);  // 16-bit Conv1D in column panels too (5 panels: 3 threads split 2, 2, 1; prompts widen 256 + 44 inputs)
        test_dtype(dts[d], names[d], 96, 448);   // 7 column panels: one thread walks 3 pairs and one alone; 2 threads 4 and 3, 3 threads 3, 3, 1
        test_group(dts[d], names[d], 576, 0);
        test_group(dts[d], names[d], 2080, 0);
        snprintf(panel_name, sizeof panel_name, "%s in row panels", names[d]);
        test_group(dts[d], panel_name, 576, 1);
        test_group(dts[d], panel_name, 2080, 1);
    }
    return check_done("test_ops");
}
