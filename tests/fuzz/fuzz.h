/* fuzz.h — what the libFuzzer targets share: one scratch directory per
 * process for the files a loader reads, and a check that aborts (a finding)
 * with the condition that failed. */
#ifndef GPT_FUZZ_H
#define GPT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpt.h"

/* A broken invariant is a finding: say which, then abort so libFuzzer
 * saves the input. */
#define FUZZ_CHECK(cond)                                                               \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* The loaders read files from a directory: every input is written into the
 * same one (made once, removed at exit), never a directory per input. */
static char fuzz_dir_path[64];
static const char *const fuzz_file_names[] = {
    "config.json", "model.safetensors", "model.safetensors.index.json", "a.safetensors", "b.safetensors",
    "vocab.json", "merges.txt", "tokenizer.json",
};

static inline void fuzz_path(char *out, size_t out_len, const char *name) {
    snprintf(out, out_len, "%s/%s", fuzz_dir_path, name);
}

static inline void fuzz_remove(const char *name) {
    char path[128];
    fuzz_path(path, sizeof path, name);
    unlink(path);
}

static inline void fuzz_dir_cleanup(void) {
    for (size_t i = 0; i < sizeof fuzz_file_names / sizeof fuzz_file_names[0]; i++) fuzz_remove(fuzz_file_names[i]);
    rmdir(fuzz_dir_path);
}

static inline const char *fuzz_dir(void) {
    if (!fuzz_dir_path[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/gpt-fuzz-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
        FUZZ_CHECK(mkdtemp(fuzz_dir_path) != NULL);
        atexit(fuzz_dir_cleanup);
    }
    return fuzz_dir_path;
}

/* Writes size bytes as the file name in the scratch directory. */
static inline void fuzz_write(const char *name, const void *data, size_t size) {
    char path[128];
    fuzz_dir();
    fuzz_path(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(data, 1, size, f) == size);
    FUZZ_CHECK(fclose(f) == 0);
}

#endif
