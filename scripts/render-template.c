/* render-template.c — renders one template file with one context file and
 * prints "OK\n" and the text, "ERR\n" and the render error, or "PERR\n" and
 * the parse error; always exit status 0. The C half of
 * tests/fuzz/diff-template.py (bounds as fuzz_template's but 10x the steps,
 * strftime_now's clock at 2024-07-26 00:00 UTC).
 *   make build/render-template && build/render-template TEMPLATE CONTEXT.json */
#include <stdio.h>
#include <stdlib.h>

#include "gpt.h"

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0;
    *n = 0;
    for (;;) {
        if (*n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            if (!buf) { fclose(f); return NULL; }
        }
        size_t got = fread(buf + *n, 1, 4096, f);
        *n += got;
        if (got < 4096) break;
    }
    fclose(f);
    buf[*n] = '\0';
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: render-template TEMPLATE CONTEXT.json\n"); return 2; }
    size_t n, m, len;
    char *src = slurp(argv[1], &n), *ctx = slurp(argv[2], &m), err[600], *out;
    if (!src || !ctx) { fprintf(stderr, "render-template: cannot read the files\n"); return 2; }
    gpt_template *t;
    const gpt_template_limits lim = {.max_steps = 200000, .max_output = 1 << 16, .max_memory = 64 << 20, .has_time = 1, .time = 1721952000};
    if (gpt_template_new(&t, src, n, err, sizeof err)) {
        printf("PERR\n%s", err);
    } else if (gpt_template_render(t, ctx, &lim, &out, &len, err, sizeof err)) {
        printf("ERR\n%s", err);
    } else {
        printf("OK\n");
        fwrite(out, 1, len, stdout);
        free(out);
    }
    gpt_template_free(t);
    free(src);
    free(ctx);
    return 0;
}
