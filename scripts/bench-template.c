/* bench-template.c — time to parse and to render the chat-template fixtures
 * (tests/golden/chat/NAME): for each template, the case with the most
 * messages (and that conversation repeated 10 times), rendered through gpt_chat_context + gpt_template_render as the
 * CLI does, many times; prints the median of 7 batches per render.
 *   make build/bench-template && build/bench-template  (from the repo root) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "gpt.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (fread(p, 1, (size_t)n, f) != (size_t)n) n = 0;
    p[n] = '\0';
    fclose(f);
    return p;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void) {
    const char *names[] = {"chatml", "llama3", "qwen3"};
    for (int t = 0; t < 3; t++) {
        char path[256], err[600];
        snprintf(path, sizeof path, "tests/golden/chat/%s/chat_template.jinja", names[t]);
        char *src = slurp(path);
        snprintf(path, sizeof path, "tests/golden/chat/%s/cases.json", names[t]);
        char *json = slurp(path);
        if (!src || !json) { fprintf(stderr, "run from the repository root\n"); return 1; }
        cJSON *fx = cJSON_Parse(json);
        const cJSON *c, *best = NULL;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(fx, "cases"))
            if (!best || cJSON_GetArraySize(cJSON_GetObjectItem(c, "messages")) > cJSON_GetArraySize(cJSON_GetObjectItem(best, "messages")))
                best = c;
        char *special = cJSON_PrintUnformatted(cJSON_GetObjectItem(fx, "context"));
        for (int copies = 1; copies <= 10; copies += 9) {
        cJSON *list = cJSON_CreateArray();  /* the case's messages, copies times over */
        for (int k = 0; k < copies; k++) {
            const cJSON *m;
            cJSON_ArrayForEach(m, cJSON_GetObjectItem(best, "messages")) cJSON_AddItemToArray(list, cJSON_Duplicate(m, 1));
        }
        char *msgs = cJSON_PrintUnformatted(list);
        int n_msgs = cJSON_GetArraySize(list);
        cJSON_Delete(list);
        double parse[7], render[7];
        size_t out_len = 0;
        for (int b = 0; b < 7; b++) {
            const int reps = 2000;
            double t0 = now();
            for (int r = 0; r < reps; r++) {
                gpt_template *tpl;
                if (gpt_template_new(&tpl, src, strlen(src), err, sizeof err)) { fprintf(stderr, "%s\n", err); return 1; }
                gpt_template_free(tpl);
            }
            parse[b] = (now() - t0) / reps;
            gpt_template *tpl;
            gpt_template_new(&tpl, src, strlen(src), err, sizeof err);
            t0 = now();
            for (int r = 0; r < reps; r++) {
                char *ctx, *out;
                if (gpt_chat_context(special, msgs, 1, NULL, &ctx, err, sizeof err) ||
                    gpt_template_render(tpl, ctx, NULL, &out, &out_len, err, sizeof err)) {
                    fprintf(stderr, "%s\n", err);
                    return 1;
                }
                free(ctx);
                free(out);
            }
            render[b] = (now() - t0) / reps;
            gpt_template_free(tpl);
        }
        qsort(parse, 7, sizeof(double), cmp);
        qsort(render, 7, sizeof(double), cmp);
        printf("%-7s %4zu-byte template, %d messages -> %4zu bytes: parse %6.1f us, context + render %6.1f us (median of 7 x 2000)\n",
               names[t], strlen(src), n_msgs, out_len, parse[3] * 1e6, render[3] * 1e6);
        free(msgs);
        }
        free(special);
        cJSON_Delete(fx);
        free(src);
        free(json);
    }
    return 0;
}
