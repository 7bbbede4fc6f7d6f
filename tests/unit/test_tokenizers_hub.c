/* test_tokenizers_hub.c — three hub tokenizer.json files (Llama 3, Qwen3,
 * Llama 2) against the ids and text HF's tokenizers gives for 277 strings
 * each (tests/golden/tokenizers/NAME/cases.json): every case in every mode
 * (ids: specials parsed; ids_special: with the post-processor; ids_ordinary:
 * special-token text as plain text), decoded and decoded_special byte for
 * byte, and the streamed decode equal to the whole one. */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "check.h"
#include "gpt.h"

static int same_ids(const int *ids, size_t n, const cJSON *want) {
    if ((int)n != cJSON_GetArraySize(want)) return 0;
    for (size_t i = 0; i < n; i++)
        if (ids[i] != cJSON_GetArrayItem(want, (int)i)->valueint) return 0;
    return 1;
}

static void print_ids(const char *label, const int *ids, size_t n) {
    fprintf(stderr, "  %s:", label);
    for (size_t i = 0; i < n && i < 64; i++) fprintf(stderr, " %d", ids[i]);
    fprintf(stderr, n > 64 ? " ...\n" : "\n");
}

static void check_tokenizer(const char *name, int want_cases, const char *want_kind, int want_bos, int want_eos) {
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "tests/golden/tokenizers/%s", name);
    snprintf(path, sizeof path, "%s/cases.json", dir);
    gpt_tokenizer *t = NULL;
    char err[512];
    CHECK(gpt_tokenizer_load(&t, dir, err, sizeof err) == GPT_OK, "%s: %s", name, err);
    char *json = check_read_file(path, NULL);
    CHECK(json != NULL, "cannot read %s", path);
    if (!t || !json) {
        free(json);
        gpt_tokenizer_free(t);
        return;
    }
    CHECK(!strcmp(gpt_tokenizer_kind(t), want_kind), "%s: kind \"%s\", want \"%s\"", name, gpt_tokenizer_kind(t), want_kind);
    CHECK(gpt_tokenizer_bos_id(t) == want_bos, "%s: bos %d, want %d", name, gpt_tokenizer_bos_id(t), want_bos);
    CHECK(gpt_tokenizer_eos_id(t) == want_eos, "%s: eos %d, want %d", name, gpt_tokenizer_eos_id(t), want_eos);
    cJSON *root = cJSON_Parse(json);
    free(json);
    const cJSON *cases = cJSON_GetObjectItem(root, "cases"), *c;
    CHECK(cJSON_GetArraySize(cases) == want_cases, "%s: %d cases, want %d", name, cJSON_GetArraySize(cases), want_cases);
    static const char *modes[] = {"ids", "ids_special", "ids_ordinary"};
    static const int flags[] = {GPT_ENCODE_SPECIAL, GPT_ENCODE_SPECIAL | GPT_ENCODE_ADD_SPECIAL, 0};
    int passed[3] = {0}, decoded_ok[2] = {0}, index = 0;
    cJSON_ArrayForEach(c, cases) {
        const char *text = cJSON_GetObjectItem(c, "text")->valuestring;
        for (int m = 0; m < 3; m++) {
            const cJSON *want = cJSON_GetObjectItem(c, modes[m]);
            if (!want) want = cJSON_GetObjectItem(c, "ids");  // ids_ordinary only where it differs
            int *ids = NULL;
            size_t n = 0;
            gpt_status st = gpt_tokenizer_encode_ex(t, text, strlen(text), flags[m], &ids, &n, err, sizeof err);
            int ok = st == GPT_OK && same_ids(ids, n, want);
            passed[m] += ok;
            CHECK(ok, "%s case %d %s differ: %.80s", name, index, modes[m], cJSON_PrintUnformatted(cJSON_GetObjectItem(c, "text")));
            if (!ok) {
                print_ids("got ", ids, n);
                char *w = cJSON_PrintUnformatted(want);
                fprintf(stderr, "  want: %.400s\n", w);
                free(w);
            }
            free(ids);
        }
        /* Decoding the reference ids, whole and streamed. */
        for (int m = 0; m < 2; m++) {
            const cJSON *want_ids = cJSON_GetObjectItem(c, m ? "ids_special" : "ids");
            const char *want = cJSON_GetObjectItem(c, m ? "decoded_special" : "decoded")->valuestring;
            size_t n = (size_t)cJSON_GetArraySize(want_ids);
            int *ids = malloc(sizeof(int) * (n + 1));
            for (size_t i = 0; i < n; i++) ids[i] = cJSON_GetArrayItem(want_ids, (int)i)->valueint;
            char *got = NULL;
            size_t len = 0;
            gpt_status st = gpt_tokenizer_decode(t, ids, n, &got, &len, err, sizeof err);
            int ok = st == GPT_OK && len == strlen(want) && !memcmp(got, want, len);
            decoded_ok[m] += ok;
            CHECK(ok, "%s case %d %s: got \"%.200s\", want \"%.200s\"", name, index, m ? "decoded_special" : "decoded",
                  got ? got : "(error)", want);
            /* Streamed: each id's bytes in turn give the same text. */
            gpt_detokenizer d;
            gpt_detokenizer_init(&d);
            size_t at = 0;
            int streamed = got != NULL;
            for (size_t i = 0; i < n && streamed; i++) {
                size_t k;
                const char *b = gpt_detokenizer_next(t, &d, ids[i], &k);
                streamed = b && at + k <= len && !memcmp(got + at, b, k);
                at += k;
            }
            CHECK(streamed && at == len, "%s case %d: streamed decode differs from the whole", name, index);
            free(got);
            free(ids);
        }
        index++;
    }
    fprintf(stderr, "%s: ids %d/%d, ids_special %d/%d, ids_ordinary %d/%d, decoded %d/%d, decoded_special %d/%d\n", name,
            passed[0], index, passed[1], index, passed[2], index, decoded_ok[0], index, decoded_ok[1], index);
    cJSON_Delete(root);
    gpt_tokenizer_free(t);
}

int main(void) {
    check_tokenizer("llama3", 277, "byte-level BPE (tokenizer.json)", 128000, 128001);
    check_tokenizer("qwen3", 277, "byte-level BPE (tokenizer.json)", -1, 151645);
    check_tokenizer("llama2", 277, "BPE with byte fallback (tokenizer.json)", 1, 2);
    return check_done("test_tokenizers_hub");
}
