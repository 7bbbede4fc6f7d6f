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
    "gpt bench [-m MODEL] [-p N] [-n N] [-d N] [--parallel P] [-t THREADS] [-r REPEATS] [--format text|jsonl]";
static const char *HELP =
    "Measure speed: ppN processes an N-token prompt in one block, tgN generates N tokens\n"
    "one at a time from an empty context, or with -d N after N positions already in the\n"
    "cache (as in a long chat; the cache is filled once, before the repeats). Each figure\n"
    "is the median of the repeats.\n"
    "With --parallel P, tgN decodes P sequences side by side (one forward pass of P\n"
    "rows per step, as batch generation does) and reports the aggregate tokens/s.\n"
    "Beside tg: the bytes of weights each token reads (with -d, and the cached keys and\n"
    "values it reads, at the mean position; a step of P sequences reads the weights once\n"
    "and P caches), the memory bandwidth (read\n"
    "passes over 1 GiB on 2 MB pages, as the weights are, measured just before each\n"
    "repeat; the buffer is kept for the run), and the fraction of that roofline\n"
    "reached: the median of the repeats' fractions, each against its own bandwidth\n"
    "(jsonl lists every repeat).\n"
    "Beside pp: the matrix arithmetic rate reached (GFLOP/s) and its fraction of the\n"
    "BLAS sgemm rate measured now (512x768 @ 768x3072, the shape of the prompt's MLP,\n"
    "in 256x256 blocks of the output shared by the threads, as gpt calls BLAS).\n"
    "The first line names the BLAS library's kernel core (OpenBLAS).\n"
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
    "  gpt bench -p 0 -n 64 -d 2048\n";

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
    long n_prompt = 512, n_gen = 128, depth = 0, repeats = 5, parallel = 1;
    int jsonl = 0;
    cli_parse p = {0};
    for (int c; (c = cli_next_option(&cmd, argc, argv, &p)) != -1;) {
        const char *v = optarg;
        switch (c) {
        case CLI_OPT_STOP: return p.status;
        case 'p':
            if (cli_parse_int(v, 0, 1 << 20, &n_prompt))
                return cli_usage_fail(&cmd, "-p wants an integer in 0..%d, not '%s'", 1 << 20, v);
            break;
        case 'n':
            if (cli_parse_int(v, 0, 1 << 20, &n_gen))
                return cli_usage_fail(&cmd, "-n wants an integer in 0..%d, not '%s'", 1 << 20, v);
            break;
        case 'd':
            if (cli_parse_int(v, 0, 1 << 20, &depth))
                return cli_usage_fail(&cmd, "-d wants an integer in 0..%d, not '%s'", 1 << 20, v);
            break;
        case 'r':
            if (cli_parse_int(v, 1, 1000, &repeats))
                return cli_usage_fail(&cmd, "-r wants an integer in 1..1000, not '%s'", v);
            break;
        case OPT_PARALLEL:
            if (cli_parse_int(v, 1, 64, &parallel))
                return cli_usage_fail(&cmd, "--parallel wants an integer in 1..64, not '%s'", v);
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
    const int nt = gpt_get_threads();
    const char *dir = cli_model_dir(model_flag);
    gpt_model *model;  // no tokenizer: the prompt is made of ids
    if (cli_open(dir, NULL, NULL, &model) != EXIT_OK) return EXIT_RUNTIME;
    const gpt_config *c = gpt_model_config(model);
    const int V = c->vocab_size, C = c->n_embd;
    int rc = EXIT_OK;
    char err[512];
    if (n_prompt > c->n_positions || depth + n_gen > c->n_positions) {
        cli_error("-p, and -d plus -n, must fit the context of %d", c->n_positions);
        gpt_model_free(model);
        return EXIT_RUNTIME;
    }
    /* The positions allocated: the default, or more for a prompt or a
     * depth past it. */
    const int n_ctx = n_prompt > depth + n_gen ? (int)n_prompt : (int)(depth + n_gen);
    gpt_context *ctx = NULL;
    gpt_bandwidth_probe *probe = NULL;  // made before the first tg repeat
    const long fill_rows = depth < 512 ? depth : 512;       // the -d positions go in chunks of this many
    long rows = n_prompt > parallel ? n_prompt : parallel;  // a prompt, or one decode step of every sequence
    if (rows < fill_rows) rows = fill_rows;
    float *logits = malloc(sizeof(float) * V * parallel);  // (parallel, V)
    int *ids = malloc(sizeof(int) * rows), *pos = malloc(sizeof(int) * rows), *seq = calloc(rows, sizeof(int));
    unsigned char *want = malloc((size_t)rows);  // (rows) every decode row's logits are wanted
    double *times = malloc(sizeof(double) * repeats);      // (repeats) seconds
    double *bandwidths = malloc(sizeof(double) * repeats);  // (repeats) GB/s, read just before each tg repeat
    double *fractions = malloc(sizeof(double) * repeats);   // (repeats) each tg repeat's share of its bandwidth
    if (!logits || !ids || !pos || !seq || !want || !times || !bandwidths || !fractions ||
        gpt_context_new(&ctx, model, n_ctx, (int)parallel, (int)rows, err, sizeof err) != GPT_OK) {
        cli_error("%s", ctx ? "out of memory" : err);
        rc = EXIT_RUNTIME;
        goto out;
    }
    uint64_t x = 88172645463325252ULL;  // fixed pseudo-random prompt: same work every run
    for (long i = 0; i < rows; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        ids[i] = (int)(x % (uint64_t)V), pos[i] = (int)i;
    }
    memset(want, 1, (size_t)rows);
    /* Weights one decode token reads: every matrix but the position table
     * (learned positions) and an untied embedding table, of which it reads
     * one row each. */
    const double wpe_bytes = c->rope != GPT_ROPE_NONE ? 0
                             : (double)c->n_positions * C * (gpt_model_dtype(model) == GPT_DTYPE_F32 ? 4 : 2);
    const double wte_bytes = c->tied ? 0 : (double)V * C * (gpt_model_file_dtype(model) == GPT_DTYPE_F32 ? 4 : 2);
    const double weight_bytes = (double)gpt_model_weight_bytes(model) - wpe_bytes - wte_bytes;
    /* With -d, the keys and values a token reads too (float, every layer's
     * kv heads), at the mean position, as far as a sliding window goes. */
    double cache_bytes = 0;
    if (depth > 0)
        for (int l = 0; l < c->n_layer; l++) {
            double seen = depth + (n_gen + 1) / 2.0;
            if (c->sliding_window && l >= c->window_first_layer && seen > c->sliding_window) seen = c->sliding_window;
            cache_bytes += 2.0 * sizeof(float) * c->n_kv_head * c->head_dim * seen;
        }
    const double step_bytes = weight_bytes + (double)parallel * cache_bytes;  // one decode step of P sequences
    /* FLOPs of a ppN block: 2 per weight of the layers for each token (q, k,
     * v, o; the MLP's two or three matrices), the causal attention (Q K^T
     * and S V over positions 0..i for token i: 2 QD (i + 1) multiply-adds
     * each), and the head for the last token only. */
    const double n = (double)n_prompt;
    const double QD = (double)c->n_head * c->head_dim, KD = (double)c->n_kv_head * c->head_dim;
    const double layer_weights = C * (QD + 2 * KD) + QD * C + (c->gated_silu ? 3.0 : 2.0) * C * c->n_inner;
    const double pp_flops = 2.0 * n * c->n_layer * layer_weights + 2.0 * c->n_layer * QD * n * (n + 1) +
                            2.0 * (double)V * C;
    const char *name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    if (!*name) name = dir;

    if (!jsonl) cli_printf("# BLAS: OpenBLAS core %s, %d threads\n", blas_core(), nt);
    if (n_prompt > 0) {
        const double gemm = measure_gemm();
        for (long r = 0; r < repeats; r++) {
            gpt_batch b = {.n = (int)n_prompt, .tokens = ids, .pos = pos, .seq = seq};
            double t0 = cli_now();
            if (gpt_forward(ctx, &b, logits, err, sizeof err) != GPT_OK) {
                cli_error("%s", err);
                rc = EXIT_RUNTIME;
                goto out;
            }
            times[r] = cli_now() - t0;
        }
        double t = median(times, (int)repeats), tps = n_prompt / t;
        double gflops = pp_flops / t / 1e9;
        double frac = gemm > 0 ? gflops / gemm : 0;
        if (jsonl)
            cli_printf("{\"test\":\"pp%ld\",\"tokens_per_s\":%.2f,\"threads\":%d,\"model\":\"%s\",\"dtype\":\"%s\","
                   "\"gflops\":%.1f,\"gemm_gflops\":%.1f,\"gemm_fraction\":%.3f,\"blas_core\":\"%s\"}\n",
                   n_prompt, tps, nt, name, gpt_dtype_name(gpt_model_dtype(model)), gflops, gemm, frac, blas_core());
        else
            cli_printf("%-16s %-5s pp%-5ld %9.2f t/s  (%.1f GFLOP/s = %.0f%% of sgemm %.1f GFLOP/s, %d threads)\n", name,
                   gpt_dtype_name(gpt_model_dtype(model)), n_prompt, tps, gflops, frac * 100, gemm, nt);
        cli_flush();
    }
    if (n_gen > 0 && depth > 0 && !cli_output_failed()) {
        /* The cache of sequence 0 filled once with positions 0..depth-1 (in
         * chunks of fill_rows), then copied to the others: each repeat
         * writes positions depth.. over the last one's. */
        for (long p0 = 0; p0 < depth; p0 += fill_rows) {
            const long chunk = depth - p0 < fill_rows ? depth - p0 : fill_rows;
            for (long i = 0; i < chunk; i++) pos[i] = (int)(p0 + i), seq[i] = 0;
            gpt_batch b = {.n = (int)chunk, .tokens = ids, .pos = pos, .seq = seq};
            if (gpt_forward(ctx, &b, logits, err, sizeof err) != GPT_OK) {
                cli_error("%s", err);
                rc = EXIT_RUNTIME;
                goto out;
            }
        }
        for (int s = 1; s < parallel; s++)
            if (gpt_context_copy_seq(ctx, s, 0, (int)depth, err, sizeof err) != GPT_OK) {
                cli_error("%s", err);
                rc = EXIT_RUNTIME;
                goto out;
            }
    }
    if (n_gen > 0 && !cli_output_failed()) {
        /* The roofline beside each repeat: read as STREAM does (1 GiB, best
         * of 3 passes) just before it. This machine's bandwidth moves
         * between runs seconds apart (32 or 45 GB/s on a shared 2-vCPU VM),
         * so a fraction means something only against the bandwidth of its
         * own moment. The buffer is made once and kept for the repeats. */
        if (gpt_bandwidth_probe_new(&probe, 0, err, sizeof err) != GPT_OK) {
            cli_error("%s", err);
            rc = EXIT_RUNTIME;
            goto out;
        }
        for (long r = 0; r < repeats; r++) {
            if (gpt_bandwidth_probe_read(probe, 3, &bandwidths[r], err, sizeof err) != GPT_OK) {
                cli_error("%s", err);
                rc = EXIT_RUNTIME;
                goto out;
            }
            double t0 = cli_now();
            for (long i = 0; i < n_gen; i++) {
                int step_pos[64], step_seq[64], step_ids[64];  // (parallel) one row per sequence
                for (int s = 0; s < parallel; s++)
                    step_pos[s] = (int)(depth + i), step_seq[s] = s, step_ids[s] = ids[(i * parallel + s) % rows];
                gpt_batch b = {.n = (int)parallel, .tokens = step_ids, .pos = step_pos, .seq = step_seq,
                               .want_logits = want};
                if (gpt_forward(ctx, &b, logits, err, sizeof err) != GPT_OK) {
                    cli_error("%s", err);
                    rc = EXIT_RUNTIME;
                    goto out;
                }
            }
            times[r] = cli_now() - t0;
            /* The roofline of a step: it reads the weights once, whatever P,
             * and each sequence's cached keys and values. */
            fractions[r] = n_gen / times[r] * step_bytes / (bandwidths[r] * 1e9);
        }
        char test[64];
        if (parallel > 1) snprintf(test, sizeof test, "tg%ldx%ld", n_gen, parallel);
        else snprintf(test, sizeof test, "tg%ld", n_gen);
        if (depth > 0) snprintf(test + strlen(test), sizeof test - strlen(test), "@d%ld", depth);
        if (jsonl) {  // every repeat's figures, then (the medians sort the arrays) the medians
            cli_printf("{\"test\":\"%s\",\"repeats\":[", test);
            for (long r = 0; r < repeats; r++)
                cli_printf("%s{\"tokens_per_s\":%.2f,\"bandwidth_gbs\":%.2f,\"roofline_fraction\":%.3f}", r ? "," : "",
                           n_gen * parallel / times[r], bandwidths[r], fractions[r]);
            cli_printf("],");
        }
        double t = median(times, (int)repeats), tps = n_gen * parallel / t;
        double bandwidth = median(bandwidths, (int)repeats), roof = median(fractions, (int)repeats);
        if (jsonl)
            cli_printf("\"tokens_per_s\":%.2f,\"threads\":%d,\"parallel\":%ld,\"depth\":%ld,\"model\":\"%s\","
                   "\"dtype\":\"%s\",\"weight_bytes_per_token\":%.0f,\"cache_bytes_per_token\":%.0f,"
                   "\"bandwidth_gbs\":%.2f,\"roofline_fraction\":%.3f}\n",
                   tps, nt, parallel, depth, name, gpt_dtype_name(gpt_model_dtype(model)), weight_bytes, cache_bytes,
                   bandwidth, roof);
        else if (depth > 0)
            cli_printf("%-16s %-5s %-7s %9.2f t/s  (%.0f%% of %.1f GB/s x %.0f MB weights + %.0f MB cache/step, %d threads)\n",
                   name, gpt_dtype_name(gpt_model_dtype(model)), test, tps, roof * 100, bandwidth, weight_bytes / 1e6,
                   parallel * cache_bytes / 1e6, nt);
        else
            cli_printf("%-16s %-5s %-7s %9.2f t/s  (%.0f%% of %.1f GB/s x %.0f MB/step, %d threads)\n", name,
                   gpt_dtype_name(gpt_model_dtype(model)), test, tps, roof * 100, bandwidth,
                   step_bytes / 1e6, nt);
    }
out:
    gpt_bandwidth_probe_free(probe);
    free(logits);
    free(ids);
    free(pos);
    free(seq);
    free(want);
    free(times);
    free(bandwidths);
    free(fractions);
    gpt_context_free(ctx);
    gpt_model_free(model);
    return rc;
}
