/* bench-sampler.c — microseconds per gpt_sampler_sample call on a GPT-2
 * sized vocabulary (50257 random logits, a history of 512 tokens), for the
 * default settings, the same plus penalties and min-p, and top-p over the
 * whole vocabulary (top-k 0). Median of 9 rounds of 200 calls each, in
 * the thread's CPU time.
 * Built by `make build/bench-sampler`; run by scripts/bench-sampling.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gpt.h"

enum { V = 50257, HISTORY = 512, CALLS = 200, ROUNDS = 9 };

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);  // CPU time: a busy machine shares the cores
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double time_config(const char *name, gpt_sampler_params p, const float *logits) {
    double us[ROUNDS];
    char err[256];
    for (int r = 0; r < ROUNDS; r++) {
        gpt_sampler *s;
        if (gpt_sampler_new(&s, &p, V, err, sizeof err) != GPT_OK) {
            fprintf(stderr, "%s: %s\n", name, err);
            exit(1);
        }
        for (int i = 0; i < HISTORY; i++) gpt_sampler_accept(s, (i * 7919) % V, i >= 64);
        double t0 = now();
        for (int i = 0; i < CALLS; i++) {
            int id;
            gpt_sampler_sample(s, logits, &id, err, sizeof err);
            gpt_sampler_accept(s, id, 1);
        }
        us[r] = (now() - t0) / CALLS * 1e6;
        gpt_sampler_free(s);
    }
    qsort(us, ROUNDS, sizeof us[0], by_value);
    printf("%-44s %8.1f us/token (median of %d; range %.1f-%.1f)\n", name, us[ROUNDS / 2], ROUNDS, us[0],
           us[ROUNDS - 1]);
    return us[ROUNDS / 2];
}

int main(void) {
    static float logits[V];
    unsigned long long x = 42;
    for (int i = 0; i < V; i++) {  // roughly GPT-2's spread: a few high, most low
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(x >> 11) / 9007199254740992.0;
        logits[i] = (float)(-8 + 10 * pow(u, 3));
    }
    gpt_sampler_params base = {.temperature = 0.8f, .top_k = 40, .top_p = 0.95f, .seed = 1};
    gpt_sampler_params all = base;
    all.repetition_penalty = 1.3f, all.presence_penalty = 0.5f, all.frequency_penalty = 0.5f, all.min_p = 0.05f;
    gpt_sampler_params greedy = {.temperature = 0, .top_p = 1};
    gpt_sampler_params greedy_pen = greedy;
    greedy_pen.repetition_penalty = 1.3f, greedy_pen.presence_penalty = 0.5f, greedy_pen.frequency_penalty = 0.5f;
    gpt_sampler_params wide = {.temperature = 0.8f, .top_k = 0, .top_p = 0.95f, .seed = 1};
    time_config("greedy", greedy, logits);
    time_config("greedy + penalties", greedy_pen, logits);
    time_config("T 0.8, top-k 40, top-p 0.95 (defaults)", base, logits);
    time_config("defaults + penalties + min-p 0.05", all, logits);
    time_config("T 0.8, top-k 0, top-p 0.95", wide, logits);
    return 0;
}
