/* bench-kernels.c — the LM-head-style product matmul_t (nn.Linear weights
 * [out, in], which every Llama/Qwen matrix uses) alone, at the shapes of
 * SmolLM2-135M and Qwen2.5-0.5B, beside the memory bandwidth measured in
 * the same run. Not a test: figures for BENCHMARKS.md.
 *   make build/bench-kernels && build/bench-kernels [THREADS]
 * One row (decode): GB/s of weights streamed, each pass over a set of
 * matrices larger than the L3 so the weights come from DRAM, and that as a
 * fraction of the read bandwidth. 512 rows (a prompt): GFLOP/s.
 *   build/bench-kernels THREADS ab
 * pairs, in one process, the AVX2 head (ops_force_no_avx512(1)) with the
 * default (AVX-512 where the CPU has it) on BF16 matrices, alternating nine
 * times: one row (decode), 16, 64 and 512 rows (512: BLAS on widened panels
 * against the AVX-512 tiles); medians of the per-pair speed
 * ratios, which a loaded machine moves far less than the figures alone.
 *   build/bench-kernels THREADS model DIR
 * the same pairing on a whole model: a 512-token prompt in one forward
 * call, then 64 decode steps, five pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omp.h>

#include "convert.h"
#include "gpt.h"
#include "hugemem.h"
#include "ops.h"
#include "quant.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ULL;
static float uniform(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 11) % 2000001) / 1000000.0f - 1.0f;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A V x C matrix of BF16 values in [-0.05, 0.05], on 2 MB pages as a
 * loaded model's weights are (mem: for hugemem_free). */
static uint16_t *random_bf16(int V, int C, hugemem *mem) {
    uint16_t *d = hugemem_alloc(mem, sizeof(uint16_t) * V * C);
    if (!d) {
        fprintf(stderr, "out of memory for a %d x %d matrix\n", V, C);
        exit(1);
    }
    for (size_t i = 0; i < (size_t)V * C; i++) {
        float f = uniform() * 0.05f;
        uint32_t bits;
        memcpy(&bits, &f, 4);
        d[i] = (uint16_t)(bits >> 16);
    }
    return d;
}

/* n_mats matrices of V x C in dtype dt (BF16 or, quantized from it, Q8). */
static void bench_shape(const char *name, int V, int C, int n_mats, gpt_dtype dt, double bw) {
    gpt_matrix *W = calloc(n_mats, sizeof *W);
    hugemem *store = calloc(n_mats, sizeof *store);
    size_t bytes = 0;
    for (int m = 0; m < n_mats; m++) {
        uint16_t *d = random_bf16(V, C, &store[m]);
        W[m] = (gpt_matrix){.data = d, .dtype = GPT_DTYPE_BF16, .rows = V, .cols = C};
        if (dt == GPT_DTYPE_Q8) {
            char err[256];
            gpt_matrix q;
            hugemem qs;
            void *blocks = hugemem_alloc(&qs, quantize_q8_bytes(&W[m], 0));
            if (!blocks || quantize_q8(&q, blocks, &W[m], 0, name, err, sizeof err) != GPT_OK) {
                fprintf(stderr, "%s\n", blocks ? err : "out of memory for Q8 weights");
                exit(1);
            }
            hugemem_free(&store[m]);
            W[m] = q, store[m] = qs;
        }
        bytes += dt == GPT_DTYPE_Q8 ? quantize_q8_bytes(&(gpt_matrix){.rows = V, .cols = C}, 0) : (size_t)V * C * 2;
    }
    const int R = 512;
    float *in = malloc(sizeof(float) * R * C), *out = malloc(sizeof(float) * R * V);
    float *panel = malloc(sizeof(float) * matmul_panel_floats(C));
    for (int i = 0; i < R * C; i++) in[i] = uniform();
    /* decode: one row through every matrix, 7 passes, median */
    double t[7];
    for (int rep = 0; rep < 8; rep++) {
        double t0 = now();
        for (int m = 0; m < n_mats; m++) matmul_t(out, V, in, &W[m], 1, panel, NULL);
        if (rep) t[rep - 1] = now() - t0;
    }
    qsort(t, 7, sizeof(double), cmp);
    double gbs = bytes / t[3] / 1e9;
    /* prompt: 512 rows through one matrix, 5 passes, median */
    double tp[5];
    for (int rep = 0; rep < 6; rep++) {
        double t0 = now();
        matmul_t(out, V, in, &W[0], R, panel, NULL);
        if (rep) tp[rep - 1] = now() - t0;
    }
    qsort(tp, 5, sizeof(double), cmp);
    double gflops = 2.0 * R * V * C / tp[2] / 1e9;
    printf("%-22s %-4s decode %6.2f GB/s (%3.0f%% of %.1f GB/s, %zu MB)  prompt R=512 %6.1f GFLOP/s\n", name,
           dt == GPT_DTYPE_Q8 ? "Q8" : "BF16", gbs, 100 * gbs / bw, bw, bytes >> 20, gflops);
    for (int m = 0; m < n_mats; m++) hugemem_free(&store[m]);
    free(W), free(store), free(in), free(out), free(panel);
}

/* Seconds for `passes` products of R rows through each of the n_mats matrices. */
static double time_products(float *out, const float *in, const gpt_matrix *W, int n_mats, int R, int passes,
                            float *panel) {
    double t0 = now();
    for (int p = 0; p < passes; p++)
        for (int m = 0; m < n_mats; m++) matmul_t(out, W[m].rows, in, &W[m], R, panel, NULL);
    return now() - t0;
}

static void ab_shape(const char *name, int V, int C, int n_mats, double bw) {
    gpt_matrix *W = calloc(n_mats, sizeof *W);
    size_t bytes = (size_t)n_mats * V * C * 2;
    hugemem *store = calloc(n_mats, sizeof *store);
    for (int m = 0; m < n_mats; m++) {
        uint16_t *d = random_bf16(V, C, &store[m]);
        W[m] = (gpt_matrix){.data = d, .dtype = GPT_DTYPE_BF16, .rows = V, .cols = C};
    }
    const int RMAX = 512, ROUNDS = 9;
    float *in = malloc(sizeof(float) * RMAX * C), *out = malloc(sizeof(float) * RMAX * V);
    float *panel = malloc(sizeof(float) * matmul_panel_floats(C));
    for (int i = 0; i < RMAX * C; i++) in[i] = uniform();
    const int rows[4] = {1, 16, 64, 512};
    double ratio[4][9], t_old[4][9], t_new[4][9];
    time_products(out, in, W, n_mats, 1, 1, panel);  // first touch
    for (int round = 0; round < ROUNDS; round++)
        for (int k = 0; k < 4; k++) {
            /* decode: every matrix once (from DRAM); prompts: one matrix, in cache after the first pass */
            int nm = k ? 1 : n_mats, passes = k == 3 ? 1 : k ? 4 : 1;
            ops_force_no_avx512(1);
            t_old[k][round] = time_products(out, in, W, nm, rows[k], passes, panel);
            ops_force_no_avx512(0);
            t_new[k][round] = time_products(out, in, W, nm, rows[k], passes, panel);
            ratio[k][round] = t_old[k][round] / t_new[k][round];
        }
    for (int k = 0; k < 4; k++) {
        qsort(ratio[k], ROUNDS, sizeof(double), cmp);
        qsort(t_old[k], ROUNDS, sizeof(double), cmp);
        qsort(t_new[k], ROUNDS, sizeof(double), cmp);
        double to = t_old[k][ROUNDS / 2], tn = t_new[k][ROUNDS / 2];
        if (k == 0)
            printf("%-16s R=1  avx2 %6.2f GB/s (%3.0f%%)  default %6.2f GB/s (%3.0f%%)  speed ratio median %.3f "
                   "(min %.3f max %.3f)\n",
                   name, bytes / to / 1e9, 100 * bytes / to / 1e9 / bw, bytes / tn / 1e9, 100 * bytes / tn / 1e9 / bw,
                   ratio[k][ROUNDS / 2], ratio[k][0], ratio[k][ROUNDS - 1]);
        else {
            double flops = (k == 3 ? 1.0 : 4.0) * 2 * rows[k] * V * C;
            printf("%-16s R=%-3davx2 %6.1f GFLOP/s  default %6.1f GFLOP/s  speed ratio median %.3f (min %.3f max "
                   "%.3f)\n",
                   name, rows[k], flops / to / 1e9, flops / tn / 1e9, ratio[k][ROUNDS / 2], ratio[k][0],
                   ratio[k][ROUNDS - 1]);
        }
    }
    for (int m = 0; m < n_mats; m++) hugemem_free(&store[m]);
    free(W), free(store), free(in), free(out), free(panel);
}

/* Whole model: pp512 and 64 decode steps, AVX2 head vs default, paired. */
static int ab_model(const char *dir, double bw) {
    char err[256];
    gpt_model *model = NULL;
    gpt_context *ctx = NULL;
    if (gpt_model_load(&model, dir, NULL, err, sizeof err) != GPT_OK ||
        gpt_context_new(&ctx, model, 1024, 1, 512, err, sizeof err) != GPT_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const int V = gpt_model_config(model)->vocab_size, P = 512, G = 64, ROUNDS = 5;
    int *ids = malloc(sizeof(int) * P), *pos = malloc(sizeof(int) * P), *seq = calloc(P, sizeof(int));
    float *logits = malloc(sizeof(float) * V);
    for (int i = 0; i < P; i++) ids[i] = (i * 7919) % V, pos[i] = i;
    double pp[2][5], tg[2][5], rpp[5], rtg[5];
    for (int round = 0; round < ROUNDS; round++)
        for (int k = 0; k < 2; k++) {
            int avx2_only = (round + k) % 2;  // alternate which goes first
            ops_force_no_avx512(avx2_only);
            gpt_batch b = {.n = P, .tokens = ids, .pos = pos, .seq = seq};
            double t0 = now();
            if (gpt_forward(ctx, &b, logits, err, sizeof err) != GPT_OK) return fprintf(stderr, "%s\n", err), 1;
            pp[avx2_only][round] = P / (now() - t0);
            t0 = now();
            for (int g = 0; g < G; g++) {
                gpt_batch d = {.n = 1, .tokens = &ids[g], .pos = &pos[g], .seq = seq};
                if (gpt_forward(ctx, &d, logits, err, sizeof err) != GPT_OK) return fprintf(stderr, "%s\n", err), 1;
            }
            tg[avx2_only][round] = G / (now() - t0);
        }
    ops_force_no_avx512(0);
    for (int r = 0; r < ROUNDS; r++) rpp[r] = pp[0][r] / pp[1][r], rtg[r] = tg[0][r] / tg[1][r];
    qsort(rpp, ROUNDS, sizeof(double), cmp), qsort(rtg, ROUNDS, sizeof(double), cmp);
    for (int k = 0; k < 2; k++) qsort(pp[k], ROUNDS, sizeof(double), cmp), qsort(tg[k], ROUNDS, sizeof(double), cmp);
    const double bytes = (double)gpt_model_weight_bytes(model);
    printf("%s: pp512 avx2 %.1f t/s, default %.1f t/s, ratio median %.3f (min %.3f max %.3f)\n", dir, pp[1][2],
           pp[0][2], rpp[2], rpp[0], rpp[4]);
    printf("%s: tg64 avx2 %.2f t/s (%.0f%% of %.1f GB/s), default %.2f t/s (%.0f%%), ratio median %.3f (min %.3f max "
           "%.3f)\n",
           dir, tg[1][2], 100 * tg[1][2] * bytes / 1e9 / bw, bw, tg[0][2], 100 * tg[0][2] * bytes / 1e9 / bw, rtg[2],
           rtg[0], rtg[4]);
    free(ids), free(pos), free(seq), free(logits);
    gpt_context_free(ctx);
    gpt_model_free(model);
    return 0;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (argc > 3 && !strcmp(argv[2], "model")) {
        gpt_set_threads(threads);
        char err[256];
        double bw = 0;
        if (gpt_memory_bandwidth(&bw, 0, 5, err, sizeof err) != GPT_OK) fprintf(stderr, "%s\n", err);
        printf("# %d threads, AVX2 head vs default (AVX-512 head: %s), bandwidth %.1f GB/s\n", threads,
               ops_head_avx512() ? "yes" : "no", bw);
        return ab_model(argv[3], bw);
    }
    if (argc > 2 && !strcmp(argv[2], "ab")) {
        gpt_set_threads(threads);
        char err[256];
        double bw = 0;
        if (gpt_memory_bandwidth(&bw, 0, 5, err, sizeof err) != GPT_OK) fprintf(stderr, "%s\n", err);
        printf("# %d threads, BF16, AVX2 head vs default (AVX-512 head: %s), bandwidth %.1f GB/s\n", threads,
               ops_head_avx512() ? "yes" : "no", bw);
        ab_shape("head 49152x576", 49152, 576, 3, bw);
        ab_shape("mlp 4864x896", 4864, 896, 16, bw);
        ab_shape("down 896x4864", 896, 4864, 16, bw);
        ab_shape("down 576x1536", 576, 1536, 96, bw);
        return 0;
    }
    gpt_set_threads(threads);
    char err[256];
    double bw = 0;
    if (gpt_memory_bandwidth(&bw, 0, 5, err, sizeof err) != GPT_OK) fprintf(stderr, "%s\n", err);
    printf("# %d threads, kernels %s, CPU %s\n", threads, gpt_kernels(), gpt_cpu_features());
    /* ~130 MB+ per set: the head of SmolLM2-135M x 2, Qwen2.5-0.5B's MLP matrices x 16 */
    bench_shape("head 49152x576", 49152, 576, 3, GPT_DTYPE_BF16, bw);
    bench_shape("head 49152x576", 49152, 576, 3, GPT_DTYPE_Q8, bw);
    bench_shape("mlp 4864x896", 4864, 896, 16, GPT_DTYPE_BF16, bw);
    bench_shape("mlp 4864x896", 4864, 896, 24, GPT_DTYPE_Q8, bw);
    bench_shape("down 896x4864", 896, 4864, 16, GPT_DTYPE_BF16, bw);
    bench_shape("down 896x4864", 896, 4864, 24, GPT_DTYPE_Q8, bw);
    return 0;
}
