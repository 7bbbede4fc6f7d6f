/* test_tokenizer.c — the tokenizer against tiktoken's ids for 247 strings
 * (tests/golden/tokenizer/cases.json), byte-exact round trips for any
 * bytes, near-linear time on pathological pieces, clear errors for bad files. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "check.h"
#include "gpt.h"

#define MODEL "models/gpt2-books-30m"

static void write_file(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "wb");
    fwrite(text, 1, len, f);
    fclose(f);
}

/* Decodes ids back to bytes and compares with the text. */
static int round_trips(gpt_tokenizer *t, const char *text, size_t len, const int *ids, size_t n) {
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k;
        const char *b = gpt_tokenizer_token_bytes(t, ids[i], &k);
        if (!b || at + k > len || memcmp(text + at, b, k)) return 0;
        at += k;
    }
    return at == len;
}

static void print_ids(const char *label, const int *ids, size_t n) {
    fprintf(stderr, "  %s:", label);
    for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", ids[i]);
    fputc('\n', stderr);
}

static void check_cases(gpt_tokenizer *t) {
    char *json = check_read_file("tests/golden/tokenizer/cases.json", NULL);
    CHECK(json != NULL, "cannot read tests/golden/tokenizer/cases.json");
    if (!json) return;
    cJSON *root = cJSON_Parse(json);
    free(json);
    const cJSON *cases = cJSON_GetObjectItem(root, "cases"), *c;
    int index = 0, n_cases = cJSON_GetArraySize(cases);
    CHECK(n_cases == 247, "%d cases, want 247", n_cases);
    cJSON_ArrayForEach(c, cases) {
        const char *text = cJSON_GetObjectItem(c, "text")->valuestring;
        size_t len = strlen(text);
        for (int special = 0; special < 2; special++) {
            const cJSON *want = cJSON_GetObjectItem(c, special ? "ids_special" : "ids");
            int *ids = NULL;
            size_t n = 0;
            char err[256];
            gpt_status st = gpt_tokenizer_encode(t, text, len, special, &ids, &n, err, sizeof err);
            int same = st == GPT_OK && (int)n == cJSON_GetArraySize(want);
            for (size_t i = 0; same && i < n; i++) same = ids[i] == cJSON_GetArrayItem(want, (int)i)->valueint;
            CHECK(same, "case %d (%s) %s differ", index, special ? "ids_special" : "ids",
                  cJSON_PrintUnformatted(cJSON_GetObjectItem(c, "text")));
            if (!same) {
                print_ids("got ", ids, n);
                char *w = cJSON_PrintUnformatted(want);
                fprintf(stderr, "  want: %s\n", w);
                free(w);
            }
            CHECK(round_trips(t, text, len, ids, n), "case %d does not decode back to its bytes", index);
            free(ids);
        }
        index++;
    }
    cJSON_Delete(root);
}

/* Any bytes in: invalid UTF-8 is kept byte by byte. */
static void check_any_bytes(gpt_tokenizer *t) {
    const char *samples[] = {"\xff", "abc\x80\x80 def", "\xc3", "caf\xc3\xa9 \xed\xa0\x80 x", "\xf0\x9f\x98",
                             "\xc0\xaf overlong", "a\0b"};
    size_t lens[] = {1, 9, 1, 11, 3, 11, 3};  // bytes, the NUL of "a\0b" included
    for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
        int *ids;
        size_t n;
        char err[256];
        gpt_status st = gpt_tokenizer_encode(t, samples[s], lens[s], 0, &ids, &n, err, sizeof err);
        CHECK(st == GPT_OK, "sample %zu: %s", s, err);
        if (st == GPT_OK) CHECK(round_trips(t, samples[s], lens[s], ids, n), "sample %zu lost bytes", s);
        if (st == GPT_OK) free(ids);
    }
    /* All 256 byte values, and random bytes. */
    unsigned char all[4096];
    for (int i = 0; i < 256; i++) all[i] = (unsigned char)i;
    uint64_t x = 12345;
    for (int i = 256; i < 4096; i++) x ^= x << 13, x ^= x >> 7, x ^= x << 17, all[i] = (unsigned char)x;
    int *ids;
    size_t n;
    char err[256];
    CHECK(gpt_tokenizer_encode(t, (const char *)all, sizeof all, 1, &ids, &n, err, sizeof err) == GPT_OK, "%s", err);
    CHECK(round_trips(t, (const char *)all, sizeof all, ids, n), "random bytes lost in the round trip");
    free(ids);
}

/* 100 kB of one letter, of spaces, of one emoji: near-linear, well under a second. */
static void check_pathological(gpt_tokenizer *t) {
    const char *units[] = {"a", " ", "\xf0\x9f\x98\x80", "ab", "1"};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t unit = strlen(units[u]), len = 100000 / unit * unit;
        char *text = malloc(len);
        for (size_t i = 0; i < len; i += unit) memcpy(text + i, units[u], unit);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int *ids;
        size_t n;
        char err[256];
        gpt_status st = gpt_tokenizer_encode(t, text, len, 0, &ids, &n, err, sizeof err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
        CHECK(st == GPT_OK, "pathological %zu: %s", u, err);
        /* A generous bound that only a quadratic algorithm misses: this is a
         * complexity check, not a benchmark (see BENCHMARKS.md). */
        CHECK(secs < 5.0, "100 kB of '%s' took %.2f s", units[u], secs);
        if (st == GPT_OK) {
            CHECK(round_trips(t, text, len, ids, n), "pathological %zu lost bytes", u);
            free(ids);
        }
        free(text);
    }
}

/* A model directory in /tmp with the given files. */
static char *make_dir(const char *vocab, const char *merges, const char *tokenizer_json) {
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/gpt-test-tok-XXXXXX");
    if (!mkdtemp(dir)) return NULL;
    char path[128];
    if (vocab) snprintf(path, sizeof path, "%s/vocab.json", dir), write_file(path, vocab, strlen(vocab));
    if (merges) snprintf(path, sizeof path, "%s/merges.txt", dir), write_file(path, merges, strlen(merges));
    if (tokenizer_json)
        snprintf(path, sizeof path, "%s/tokenizer.json", dir), write_file(path, tokenizer_json, strlen(tokenizer_json));
    return dir;
}

static void remove_dir(const char *dir) {
    const char *names[] = {"vocab.json", "merges.txt", "tokenizer.json"};
    char path[128];
    for (int i = 0; i < 3; i++) snprintf(path, sizeof path, "%s/%s", dir, names[i]), unlink(path);
    rmdir(dir);
}

static void expect_load_error(const char *what, const char *dir, gpt_status want, const char *needle) {
    gpt_tokenizer *t = NULL;
    char err[512] = "";
    gpt_status st = gpt_tokenizer_load(&t, dir, err, sizeof err);
    CHECK(st == want, "%s: status %d, want %d (%s)", what, st, want, err);
    CHECK(strstr(err, needle) != NULL, "%s: message \"%s\" does not name \"%s\"", what, err, needle);
    CHECK(t == NULL, "%s: a tokenizer came back with an error", what);
    gpt_tokenizer_free(t);
}

static void check_bad_files(void) {
    size_t vlen, mlen;
    char *vocab = check_read_file(MODEL "/vocab.json", &vlen), *merges = check_read_file(MODEL "/merges.txt", &mlen);
    expect_load_error("missing dir", "/tmp/no-such-gpt-model", GPT_ERR_IO, "/tmp/no-such-gpt-model");

    char *dir = make_dir("{\"a\": 0", "#version: 0.2\n", NULL);
    expect_load_error("truncated vocab.json", dir, GPT_ERR_FORMAT, "vocab.json");
    remove_dir(dir);

    /* A bad merges line among good ones. */
    char *bad_merges = malloc(mlen + 64);
    memcpy(bad_merges, merges, 100);
    char *nl = memchr(bad_merges + 20, '\n', 80);
    strcpy(nl + 1, "onlyonetoken\n");
    dir = make_dir(vocab, bad_merges, NULL);
    expect_load_error("malformed merges.txt", dir, GPT_ERR_FORMAT, "merges.txt: line");
    remove_dir(dir);
    strcpy(nl + 1, "zzq\xc4\xa0 qqz\n");
    dir = make_dir(vocab, bad_merges, NULL);
    expect_load_error("merge of unknown tokens", dir, GPT_ERR_FORMAT, "not in the vocabulary");
    remove_dir(dir);
    free(bad_merges);

    dir = make_dir("{\"a\": 99999999}", "#version: 0.2\n", NULL);
    expect_load_error("id out of range", dir, GPT_ERR_FORMAT, "vocab.json");
    remove_dir(dir);

    dir = make_dir(vocab, NULL, NULL);
    expect_load_error("vocab.json without merges.txt", dir, GPT_ERR_IO, "merges.txt");
    remove_dir(dir);

    /* tokenizer.json with the real vocabulary and merges (as "a b" strings
     * and as pairs) tokenizes as vocab.json + merges.txt do. */
    cJSON *tj = cJSON_CreateObject(), *model = cJSON_AddObjectToObject(tj, "model");
    /* GPT-2's own tokenizer.json names its byte-level pre-tokenizer and decoder. */
    cJSON_AddItemToObject(tj, "pre_tokenizer",
                          cJSON_Parse("{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true}"));
    cJSON_AddItemToObject(tj, "decoder", cJSON_Parse("{\"type\":\"ByteLevel\"}"));
    cJSON_AddItemToObject(model, "vocab", cJSON_Parse(vocab));
    cJSON *m = cJSON_AddArrayToObject(model, "merges");
    char *line = strtok(merges, "\n");
    int count = 0;
    for (line = strtok(NULL, "\n"); line; line = strtok(NULL, "\n"), count++) {
        if (count % 2) {
            cJSON_AddItemToArray(m, cJSON_CreateString(line));
        } else {
            char *sp = strchr(line, ' ');
            *sp = '\0';
            const char *pair[2] = {line, sp + 1};
            cJSON_AddItemToArray(m, cJSON_CreateStringArray(pair, 2));
        }
    }
    char *tjs = cJSON_PrintUnformatted(tj);
    dir = make_dir(NULL, NULL, tjs);
    gpt_tokenizer *t = NULL;
    char err[512];
    gpt_status st = gpt_tokenizer_load(&t, dir, err, sizeof err);
    CHECK(st == GPT_OK, "tokenizer.json: %s", err);
    if (t) {
        /* Against vocab.json + merges.txt, which the 247 reference cases check. */
        gpt_tokenizer *ref = NULL;
        gpt_tokenizer_load(&ref, MODEL, err, sizeof err);
        const char *texts[] = {"Hello, world! It's 2026: tokenizer.json works.", "  indented\n\tcode();  ",
                               "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 \xf0\x9f\x98\x80!!"};
        for (int k = 0; k < 3 && ref; k++) {
            int *ids, *want;
            size_t n, n_want;
            gpt_tokenizer_encode(t, texts[k], strlen(texts[k]), 0, &ids, &n, err, sizeof err);
            gpt_tokenizer_encode(ref, texts[k], strlen(texts[k]), 0, &want, &n_want, err, sizeof err);
            int same = n == n_want && !memcmp(ids, want, n * sizeof(int));
            CHECK(same, "tokenizer.json and vocab.json+merges.txt differ on text %d", k);
            if (!same) print_ids("tokenizer.json", ids, n), print_ids("vocab+merges", want, n_want);
            free(ids);
            free(want);
        }
        gpt_tokenizer_free(ref);
    }
    gpt_tokenizer_free(t);
    remove_dir(dir);
    free(tjs);
    cJSON_Delete(tj);
    free(vocab);
    free(merges);
}

int main(void) {
    gpt_tokenizer *t = NULL;
    char err[512];
    gpt_status st = gpt_tokenizer_load(&t, MODEL, err, sizeof err);
    CHECK(st == GPT_OK, "load %s: %s", MODEL, err);
    if (t) {
        CHECK(gpt_tokenizer_vocab_size(t) == 50257, "vocab size %d", gpt_tokenizer_vocab_size(t));
        CHECK(gpt_tokenizer_eot_id(t) == 50256, "eot id %d", gpt_tokenizer_eot_id(t));
        CHECK(gpt_tokenizer_token_bytes(t, 50257, &(size_t){0}) == NULL, "id 50257 has bytes");
        CHECK(gpt_tokenizer_token_bytes(t, -1, &(size_t){0}) == NULL, "id -1 has bytes");
        check_cases(t);
        check_any_bytes(t);
        check_pathological(t);
    }
    gpt_tokenizer_free(t);
    gpt_tokenizer_free(NULL);
    check_bad_files();
    return check_done("test_tokenizer");
}
