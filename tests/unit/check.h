/* check.h — a tiny test harness: every failed check prints what it compared. */
#ifndef GPT_CHECK_H
#define GPT_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures = 0;
static int check_count = 0;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        check_count++;                                                      \
        if (!(cond)) {                                                      \
            check_failures++;                                               \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
        }                                                                   \
    } while (0)

#define CHECK_NEAR(got, want, tol, what)                                          \
    do {                                                                          \
        double g_ = (got), w_ = (want);                                           \
        CHECK(fabs(g_ - w_) <= (tol), "%s: got %.9g, want %.9g (|diff| %.3g > %g)", \
              (what), g_, w_, fabs(g_ - w_), (double)(tol));                      \
    } while (0)

/* A whole file in a malloc'd, NUL-terminated buffer (*len set when not
 * NULL), or NULL when it cannot be read. */
static inline char *check_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[n] = '\0';
    if (buf && len) *len = (size_t)n;
    fclose(f);
    return buf;
}

/* Ends a test program: prints a summary line and returns its exit status. */
static inline int check_done(const char *name) {
    if (check_failures) {
        fprintf(stderr, "%s: %d of %d checks failed\n", name, check_failures, check_count);
        return 1;
    }
    printf("%s: %d checks passed\n", name, check_count);
    return 0;
}

#endif
