/* bench-tokenize.c — the tokenizer alone, in one process, one thread:
 *     build/bench-tokenize MODEL_DIR FILE [RUNS]
 * prints the load's wall time (median of RUNS loads) and the encode's
 * throughput over FILE (median of RUNS encodes, load excluded, specials
 * parsed), so that a busy machine's process start-up and file cache do not
 * swamp the figure. Build: make build/bench-tokenize. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gpt.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench-tokenize MODEL_DIR FILE [RUNS]\n");
        return 2;
    }
    int runs = argc > 3 ? atoi(argv[3]) : 11;
    if (runs < 1 || runs > 1000) runs = 11;
    FILE *f = fopen(argv[2], "rb");
    if (!f) { perror(argv[2]); return 1; }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    if (!text || fread(text, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "cannot read %s\n", argv[2]); return 1; }
    fclose(f);
    double *load = malloc(sizeof(double) * (size_t)runs), *enc = malloc(sizeof(double) * (size_t)runs);
    char err[512];
    gpt_tokenizer *tok = NULL;
    size_t n_ids = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        if (gpt_tokenizer_load(&tok, argv[1], err, sizeof err) != GPT_OK) { fprintf(stderr, "%s\n", err); return 1; }
        load[r] = now() - t0;
        int *ids;
        t0 = now();
        if (gpt_tokenizer_encode_ex(tok, text, (size_t)n, GPT_ENCODE_SPECIAL, &ids, &n_ids, err, sizeof err) != GPT_OK) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        enc[r] = now() - t0;
        free(ids);
        if (r == runs - 1) printf("%s: %s, %d tokens\n", argv[1], gpt_tokenizer_kind(tok), gpt_tokenizer_vocab_size(tok));
        gpt_tokenizer_free(tok);
    }
    qsort(load, (size_t)runs, sizeof(double), by_value);
    qsort(enc, (size_t)runs, sizeof(double), by_value);
    printf("  load %.3f s; %s: %ld bytes -> %zu ids in %.4f s = %.1f MB/s (medians of %d)\n", load[runs / 2], argv[2], n,
           n_ids, enc[runs / 2], n / enc[runs / 2] / 1e6, runs);
    free(load);
    free(enc);
    free(text);
    return 0;
}
