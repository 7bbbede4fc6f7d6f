/* cli_bench.c — `gpt bench`: prompt processing (ppP) and generation (tgN)
 * tokens/s as the median of repeats, each beside the machine's limit
 * measured in the same run: memory read bandwidth for generation, the
 * arithmetic rate for the prompt. */
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "cli.h"

static const char *USAGE =
    "gpt bench [-m MODEL] [-p N,...] [-n N,...] [-d N,...] [--parallel P,...] [-t THREADS] [-r REPEATS] [--format text|jsonl]";
static const char *HELP =
    "Measure speed: ppN processes an N-token prompt in one block, tgN generates N tokens\n"
    "one at a time from an empty context, or with -d N after N positions already in the\n"
    "cache (as in a long chat; the cache is filled once, before the repeats). Each figure\n"
    "is the median of the repeats.\n"
    "With --parallel P, tgN decodes P sequences side by side (one forward pass of P\n"
    "rows per step, as batch generation does) and reports the aggregate tokens/s.\n"
    "Beside tg: the bytes of weights each token reads (with -d, and the cached keys and\n"
    "values it reads, at the mean position, halves with --cache-type f16; a step of P\n"
    "sequences reads the weights once and P caches), the memory bandwidth (read\n"
    "passes over 1 GiB on 2 MB pages, as the weights are, measured just before each\n"
    "repeat; the buffer is kept for the run), and the fraction of that roofline\n"
    "reached: the median of the repeats' fractions, each against its own bandwidth\n"
    "(jsonl lists every repeat).\n"
    "Beside pp: the matrix arithmetic rate reached (GFLOP/s) and its fraction of the\n"
    "BLAS sgemm rate measured now (512x768 @ 768x3072, the shape of the prompt's MLP,\n"
    "in 256x256 blocks of the output shared by the threads, as gpt calls BLAS).\n"
    "The first line names the BLAS library's kernel core (OpenBLAS).\n"
    "-p, -n, -d and --parallel each take a list, commas between (at most 16 values, as\n"
    "llama-bench's): every pp test runs, then tg for each depth, length and width, in\n"
    "the order given.\n"
    "\n"
    "options:\n"
    "  -m, --model DIR        model directory (default: $GPT_MODEL, else the bundled model)\n"
    "  -p, --prompt-tokens N  prompt tokens (default 512; 0 skips the test)\n"
    "  -n, --gen-tokens N     generated tokens (default 128; 0 skips the test)\n"
    "  -d, --depth N          positions in the cache before tgN (default 0)\n"
    "      --parallel P       sequences decoded together in tgN (default 1, at most 64)\n"
    "  -t, --threads N        threads (default: $GPT_THREADS, else all cores)\n"
    "  -r, --repeats N        repeats (default 5)\n"
    "      --format F         text or jsonl (json is accepted too; default text)\n"
    "  -h, --help             this help\n"
    "\n"
    "example:\n"
    "  gpt bench -p 512 -n 128 -t 2 --format jsonl\n"
    "  gpt bench -p 0 -n 64 -d 2048\n"
    "  gpt bench -p 128,512 -n 32 --parallel 1,8\n";

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The BLAS sgemm rate in GFLOP/s on the prompt MLP's shape, best of
 * three after a warm-up: the arithmetic roofline for pp. BLAS is called as
 * gpt calls it: single-threaded on 256 x 256 blocks of the output that the
 * threads share. */
static double measure_gemm(void) {
    const int M = 512, K = 768, N = 3072;
    float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * K * N), *c = malloc(sizeof(float) * M * N);
    if (!a || !b || !c) {
        free(a), free(b), free(c);
        return 0;
    }
    for (int i = 0; i < M * K; i++) a[i] = (float)(i % 17) * 0.01f;
    for (int i = 0; i < K * N; i++) b[i] = (float)(i % 13) * 0.01f;
    double best = 0;
    for (int rep = 0; rep < 4; rep++) {
        double t0 = cli_now();
#pragma omp parallel for schedule(static)
        for (int blk = 0; blk < (M / 256) * (N / 256); blk++) {
            int m0 = blk / (N / 256) * 256, n0 = blk % (N / 256) * 256;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 256, 256, K, 1.0f, a + (size_t)m0 * K, K, b + n0, N,
                        0.0f, c + (size_t)m0 * N + n0, N);
        }
        double g = 2.0 * M * K * N / (cli_now() - t0) / 1e9;
        if (rep > 0 && g > best) best = g;
    }
    free(a), free(b), free(c);
    return best;
}

static const char *blas_core(void) {
#ifdef OPENBLAS_VERSION
    const char *name = openblas_get_corename();
    return name ? name : "unknown";
#else
    return "unknown";
#endif
}

/* A value list: "512" or "128,512,2048", as llama-bench takes them. */
#define BENCH_LIST_MAX 16
typedef struct {
    long v[BENCH_LIST_MAX];
    int n;
} bench_list;

/* Each comma-separated item an integer in lo..hi; no empty items. Returns
 * 0, or -1. */
static int parse_list(const char *s, long lo, long hi, bench_list *out) {
    out->n = 0;
    for (const char *item = s;; item++) {
        const char *end = strchr(item, ',');
        const size_t len = end ? (size_t)(end - item) : strlen(item);
        char one[32];
        if (len == 0 || len >= sizeof one || out->n == BENCH_LIST_MAX) return -1;
        memcpy(one, item, len);
        one[len] = '\0';
        if (cli_parse_int(one, lo, hi, &out->v[out->n++])) return -1;
        if (!end) return 0;
        item = end;
    }
}

static long list_max(const bench_list *l) {
    long m = 0;
    for (int i = 0; i < l->n; i++) m = l->v[i] > m ? l->v[i] : m;
    return m;
}

/* What every test of one run shares: the model, one context sized for the
 * largest test, and the buffers. */
typedef struct {
    gpt_model *model;
    const gpt_config *c;
    gpt_context *ctx;
    gpt_bandwidth_probe *probe;  // made before the first tg repeat, kept for the run
    const char *name;            // the model directory's last part
    int nt, jsonl;
    long repeats;
    long rows;                   // rows of the largest batch: a prompt, a decode step, or a fill chunk
    double weight_bytes;         // weights one decode token reads
    float *logits;               // (max parallel, V)
    int *ids, *pos, *seq;        // (rows)
    unsigned char *want;         // (rows) every decode row's logits are wanted
    double *times;               // (repeats) seconds
    double *bandwidths;          // (repeats) GB/s, read just before each tg repeat
    double *fractions;           // (repeats) each tg repeat's share of its bandwidth
    char err[512];
} bench;

static int forward_or_fail(bench *b, const gpt_batch *batch) {
    if (gpt_forward(b->ctx, batch, b->logits, b->err, sizeof b->err) == GPT_OK) return EXIT_OK;
    cli_error("%s", b->err);
    return EXIT_RUNTIME;
}

/* ppN: one N-token block from position 0, beside the sgemm rate measured now. */
static int bench_pp(bench *b, long n_prompt) {
    const gpt_config *c = b->c;
    const double C = c->n_embd, V = c->vocab_size;
    /* FLOPs of a ppN block: 2 per weight of the layers for each token (q, k,
     * v, o; the MLP's two or three matrices), the causal attention (Q K^T
     * and S V over positions 0..i for token i: 2 QD (i + 1) multiply-adds
     * each), and the head for the last token only. */
    const double n = (double)n_prompt;
    const double QD = (double)c->n_head * c->head_dim, KD = (double)c->n_kv_head * c->head_dim;
    const double layer_weights = C * (QD + 2 * KD) + QD * C + (c->gated_silu ? 3.0 : 2.0) * C * c->n_inner;
    const double pp_flops = 2.0 * n * c->n_layer * layer_weights + 2.0 * c->n_layer * QD * n * (n + 1) + 2.0 * V * C;
    for (long i = 0; i < n_prompt; i++) b->pos[i] = (int)i, b->seq[i] = 0;
    const double gemm = measure_gemm();
    for (long r = 0; r < b->repeats; r++) {
        gpt_batch batch = {.n = (int)n_prompt, .tokens = b->ids, .pos = b->pos, .seq = b->seq};
        double t0 = cli_now();
        if (forward_or_fail(b, &batch) != EXIT_OK) return EXIT_RUNTIME;
        b->times[r] = cli_now() - t0;
    }
    double t = median(b->times, (int)b->repeats), tps = n_prompt / t;
    double gflops = pp_flops / t / 1e9;
    double frac = gemm > 0 ? gflops / gemm : 0;
    const char *dtype = gpt_dtype_name(gpt_model_dtype(b->model));
    if (b->jsonl)
        cli_printf("{\"test\":\"pp%ld\",\"tokens_per_s\":%.2f,\"threads\":%d,\"model\":\"%s\",\"dtype\":\"%s\","
                   "\"gflops\":%.1f,\"gemm_gflops\":%.1f,\"gemm_fraction\":%.3f,\"blas_core\":\"%s\"}\n",
                   n_prompt, tps, b->nt, b->name, dtype, gflops, gemm, frac, blas_core());
    else
        cli_printf("%-16s %-5s pp%-5ld %9.2f t/s  (%.1f GFLOP/s = %.0f%% of sgemm %.1f GFLOP/s, %d threads)\n",
                   b->name, dtype, n_prompt, tps, gflops, frac * 100, gemm, b->nt);
    cli_flush();
    return EXIT_OK;
}

/* -d's positions go into the cache in prompt chunks of at most this many rows. */
#define BENCH_FILL_ROWS 512

/* Positions 0..depth-1 of sequence 0's cache filled (in chunks of at most
 * BENCH_FILL_ROWS), then copied to sequences 1..n_seq-1: each tg repeat writes
 * positions depth.. over the last one's. */
static int bench_fill(bench *b, long depth, long n_seq) {
    const long fill_rows = depth < BENCH_FILL_ROWS ? depth : BENCH_FILL_ROWS;
    for (long p0 = 0; p0 < depth; p0 += fill_rows) {
        const long chunk = depth - p0 < fill_rows ? depth - p0 : fill_rows;
        for (long i = 0; i < chunk; i++) b->pos[i] = (int)(p0 + i), b->seq[i] = 0;
        gpt_batch batch = {.n = (int)chunk, .tokens = b->ids, .pos = b->pos, .seq = b->seq};
        if (forward_or_fail(b, &batch) != EXIT_OK) return EXIT_RUNTIME;
    }
    for (int s = 1; s < n_seq && depth > 0; s++)
        if (gpt_context_copy_seq(b->ctx, s, 0, (int)depth, b->err, sizeof b->err) != GPT_OK) {
            cli_error("%s", b->err);
            return EXIT_RUNTIME;
        }
    return EXIT_OK;
}

/* tgN (xP, @dD): N decode steps of P sequences from position D, each repeat
 * beside the bandwidth read just before it. */
static int bench_tg(bench *b, long n_gen, long depth, long parallel) {
    const gpt_config *c = b->c;
    /* With -d, the keys and values a token reads too (floats, or halves
     * with --cache-type f16; every layer's kv heads), at the mean position,
     * as far as a sliding window goes. */
    const double position_bytes = (double)gpt_kv_cache_bytes_as(b->model, 1, cli_cache_dtype) / c->n_layer;  // a layer's
    double cache_bytes = 0;
    if (depth > 0)
        for (int l = 0; l < c->n_layer; l++) {
            double seen = depth + (n_gen + 1) / 2.0;
            if (c->sliding_window && l >= c->window_first_layer && seen > c->sliding_window) seen = c->sliding_window;
            cache_bytes += position_bytes * seen;
        }
    const double step_bytes = b->weight_bytes + (double)parallel * cache_bytes;  // one decode step of P sequences
    /* The roofline beside each repeat: read as STREAM does (1 GiB, best
     * of 3 passes) just before it. This machine's bandwidth moves
     * between runs seconds apart (32 or 45 GB/s on a shared 2-vCPU VM),
     * so a fraction means something only against the bandwidth of its
     * own moment. The buffer is made once and kept for the run. */
    if (!b->probe && gpt_bandwidth_probe_new(&b->probe, 0, b->err, sizeof b->err) != GPT_OK) {
        cli_error("%s", b->err);
        return EXIT_RUNTIME;
    }
    for (long r = 0; r < b->repeats; r++) {
        if (gpt_bandwidth_probe_read(b->probe, 3, &b->bandwidths[r], b->err, sizeof b->err) != GPT_OK) {
            cli_error("%s", b->err);
            return EXIT_RUNTIME;
        }
        double t0 = cli_now();
        for (long i = 0; i < n_gen; i++) {
            int step_pos[64], step_seq[64], step_ids[64];  // (parallel) one row per sequence
            for (int s = 0; s < parallel; s++)
                step_pos[s] = (int)(depth + i), step_seq[s] = s, step_ids[s] = b->ids[(i * parallel + s) % b->rows];
            gpt_batch batch = {.n = (int)parallel, .tokens = step_ids, .pos = step_pos, .seq = step_seq,
                               .want_logits = b->want};
            if (forward_or_fail(b, &batch) != EXIT_OK) return EXIT_RUNTIME;
        }
        b->times[r] = cli_now() - t0;
        /* The roofline of a step: it reads the weights once, whatever P,
         * and each sequence's cached keys and values. */
        b->fractions[r] = n_gen / b->times[r] * step_bytes / (b->bandwidths[r] * 1e9);
    }
    char test[64];
    if (parallel > 1) snprintf(test, sizeof test, "tg%ldx%ld", n_gen, parallel);
    else snprintf(test, sizeof test, "tg%ld", n_gen);
    if (depth > 0) snprintf(test + strlen(test), sizeof test - strlen(test), "@d%ld", depth);
    if (b->jsonl) {  // every repeat's figures, then (the medians sort the arrays) the medians
        cli_printf("{\"test\":\"%s\",\"repeats\":[", test);
        for (long r = 0; r < b->repeats; r++)
            cli_printf("%s{\"tokens_per_s\":%.2f,\"bandwidth_gbs\":%.2f,\"roofline_fraction\":%.3f}", r ? "," : "",
                       n_gen * parallel / b->times[r], b->bandwidths[r], b->fractions[r]);
        cli_printf("],");
    }
    double t = median(b->times, (int)b->repeats), tps = n_gen * parallel / t;
    double bandwidth = median(b->bandwidths, (int)b->repeats), roof = median(b->fractions, (int)b->repeats);
    const char *dtype = gpt_dtype_name(gpt_model_dtype(b->model));
    if (b->jsonl)
        cli_printf("\"tokens_per_s\":%.2f,\"threads\":%d,\"parallel\":%ld,\"depth\":%ld,\"model\":\"%s\","
                   "\"dtype\":\"%s\",\"weight_bytes_per_token\":%.0f,\"cache_bytes_per_token\":%.0f,"
                   "\"cache_type\":\"%s\",\"bandwidth_gbs\":%.2f,\"roofline_fraction\":%.3f}\n",
                   tps, b->nt, parallel, depth, b->name, dtype, b->weight_bytes, cache_bytes,
                   cli_cache_type(), bandwidth, roof);
    else if (depth > 0)
        cli_printf("%-16s %-5s %-7s %9.2f t/s  (%.0f%% of %.1f GB/s x %.0f MB weights + %.0f MB %scache/step, %d "
                   "threads)\n",
                   b->name, dtype, test, tps, roof * 100, bandwidth, b->weight_bytes / 1e6, parallel * cache_bytes / 1e6,
                   cli_cache_dtype == GPT_DTYPE_F32 ? "" : "F16 ", b->nt);
    else
        cli_printf("%-16s %-5s %-7s %9.2f t/s  (%.0f%% of %.1f GB/s x %.0f MB/step, %d threads)\n", b->name, dtype, test,
                   tps, roof * 100, bandwidth, step_bytes / 1e6, b->nt);
    cli_flush();
    return EXIT_OK;
}

int cli_bench(int argc, char **argv) {
    enum { OPT_PARALLEL = CLI_OPT_OWN, OPT_FORMAT };
    static const struct option options[] = {
        CLI_ROW_MODEL, CLI_ROW_THREADS, CLI_ROWS_WEIGHTS, CLI_ROW_HELP,
        {"prompt-tokens", required_argument, NULL, 'p'},
        {"gen-tokens", required_argument, NULL, 'n'},
        {"depth", required_argument, NULL, 'd'},
        {"repeats", required_argument, NULL, 'r'},
        {"parallel", required_argument, NULL, OPT_PARALLEL},
        {"format", required_argument, NULL, OPT_FORMAT},
        CLI_ROW_END,
    };
    const cli_command cmd = {"bench", USAGE, HELP, options, 0};
    bench_list prompts = {{512}, 1}, gens = {{128}, 1}, depths = {{0}, 1}, parallels = {{1}, 1};
    long repeats = 5;
    int jsonl = 0;
    cli_parse p = {0};
    for (int c; (c = cli_next_option(&cmd, argc, argv, &p)) != -1;) {
        const char *v = optarg;
        switch (c) {
        case CLI_OPT_STOP: return p.status;
        case 'p':
            if (parse_list(v, 0, 1 << 20, &prompts))
                return cli_usage_fail(&cmd, "-p wants integers in 0..%d, commas between (at most %d), not '%s'",
                                      1 << 20, BENCH_LIST_MAX, v);
            break;
        case 'n':
            if (parse_list(v, 0, 1 << 20, &gens))
                return cli_usage_fail(&cmd, "-n wants integers in 0..%d, commas between (at most %d), not '%s'",
                                      1 << 20, BENCH_LIST_MAX, v);
            break;
        case 'd':
            if (parse_list(v, 0, 1 << 20, &depths))
                return cli_usage_fail(&cmd, "-d wants integers in 0..%d, commas between (at most %d), not '%s'",
                                      1 << 20, BENCH_LIST_MAX, v);
            break;
        case 'r':
            if (cli_parse_int(v, 1, 1000, &repeats))
                return cli_usage_fail(&cmd, "-r wants an integer in 1..1000, not '%s'", v);
            break;
        case OPT_PARALLEL:
            if (parse_list(v, 1, 64, &parallels))
                return cli_usage_fail(&cmd, "--parallel wants integers in 1..64, commas between (at most %d), not '%s'",
                                      BENCH_LIST_MAX, v);
            break;
        case OPT_FORMAT:
            if (!strcmp(v, "jsonl") || !strcmp(v, "json")) jsonl = 1;
            else if (!strcmp(v, "text")) jsonl = 0;
            else return cli_usage_fail(&cmd, "--format wants text or jsonl, not '%s'", v);
            break;
        }
    }
    if (p.n_args) return cli_usage_fail(&cmd, "unexpected argument '%s'", p.args[0]);
    const char *model_flag = p.model_dir;
    const long threads = p.threads;
    gpt_set_threads(cli_threads(threads));
    bench b = {.nt = gpt_get_threads(), .jsonl = jsonl, .repeats = repeats};
    const char *dir = cli_model_dir(model_flag);
    if (cli_open(dir, NULL, NULL, &b.model) != EXIT_OK) return EXIT_RUNTIME;  // no tokenizer: prompts of ids
    const gpt_config *c = b.c = gpt_model_config(b.model);
    const int V = c->vocab_size, C = c->n_embd;
    const long max_prompt = list_max(&prompts), max_gen = list_max(&gens), max_depth = list_max(&depths);
    const long max_parallel = list_max(&parallels);
    int rc = EXIT_OK;
    if (max_prompt > c->n_positions || max_depth + max_gen > c->n_positions) {
        cli_error("-p, and -d plus -n, must fit the context of %d", c->n_positions);
        gpt_model_free(b.model);
        return EXIT_RUNTIME;
    }
    /* One context for every test: the positions of the longest prompt or
     * the deepest tg, the sequences of the widest. */
    const int n_ctx = max_prompt > max_depth + max_gen ? (int)max_prompt : (int)(max_depth + max_gen);
    const long fill_rows = max_depth < BENCH_FILL_ROWS ? max_depth : BENCH_FILL_ROWS;
    b.rows = max_prompt > max_parallel ? max_prompt : max_parallel;
    if (b.rows < fill_rows) b.rows = fill_rows;
    b.logits = malloc(sizeof(float) * V * max_parallel);
    b.ids = malloc(sizeof(int) * b.rows), b.pos = malloc(sizeof(int) * b.rows), b.seq = calloc(b.rows, sizeof(int));
    b.want = malloc((size_t)b.rows);
    b.times = malloc(sizeof(double) * repeats);
    b.bandwidths = malloc(sizeof(double) * repeats);
    b.fractions = malloc(sizeof(double) * repeats);
    if (!b.logits || !b.ids || !b.pos || !b.seq || !b.want || !b.times || !b.bandwidths || !b.fractions ||
        cli_context_new(&b.ctx, b.model, n_ctx, (int)max_parallel, (int)b.rows, b.err, sizeof b.err) != GPT_OK) {
        cli_error("%s", b.ctx ? "out of memory" : b.err);
        rc = EXIT_RUNTIME;
        goto out;
    }
    uint64_t x = 88172645463325252ULL;  // fixed pseudo-random prompt: same work every run
    for (long i = 0; i < b.rows; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        b.ids[i] = (int)(x % (uint64_t)V);
    }
    memset(b.want, 1, (size_t)b.rows);
    /* Weights one decode token reads: every matrix but the position table
     * (learned positions) and an untied embedding table, of which it reads
     * one row each. */
    const double wpe_bytes = c->rope != GPT_ROPE_NONE ? 0
                             : (double)c->n_positions * C * (gpt_model_dtype(b.model) == GPT_DTYPE_F32 ? 4 : 2);
    const double wte_bytes = c->tied ? 0 : (double)V * C * (gpt_model_file_dtype(b.model) == GPT_DTYPE_F32 ? 4 : 2);
    b.weight_bytes = (double)gpt_model_weight_bytes(b.model) - wpe_bytes - wte_bytes;
    b.name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    if (!*b.name) b.name = dir;

    /* As llama-bench orders them: every pp test, then tg for each depth,
     * length and width. */
    if (!jsonl) cli_printf("# BLAS: OpenBLAS core %s, %d threads\n", blas_core(), b.nt);
    for (int i = 0; i < prompts.n && rc == EXIT_OK && !cli_output_failed(); i++)
        if (prompts.v[i] > 0) rc = bench_pp(&b, prompts.v[i]);
    for (int d = 0; d < depths.n && rc == EXIT_OK && max_gen > 0 && !cli_output_failed(); d++) {
        rc = bench_fill(&b, depths.v[d], max_parallel);
        for (int g = 0; g < gens.n && rc == EXIT_OK && !cli_output_failed(); g++)
            for (int w = 0; w < parallels.n && rc == EXIT_OK && gens.v[g] > 0 && !cli_output_failed(); w++)
                rc = bench_tg(&b, gens.v[g], depths.v[d], parallels.v[w]);
    }
out:
    gpt_bandwidth_probe_free(b.probe);
    free(b.logits);
    free(b.ids);
    free(b.pos);
    free(b.seq);
    free(b.want);
    free(b.times);
    free(b.bandwidths);
    free(b.fractions);
    gpt_context_free(b.ctx);
    gpt_model_free(b.model);
    return rc;
}
