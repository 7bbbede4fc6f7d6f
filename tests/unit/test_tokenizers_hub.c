/* test_tokenizers_hub.c — three hub tokenizer.json files (Llama 3, Qwen3,
 * Llama 2) against the ids and text HF's tokenizers gives for 277 strings
 * each (tests/golden/tokenizers/NAME/cases.json): every case in every mode
 * (ids: specials parsed; ids_special: with the post-processor; ids_ordinary:
 * special-token text as plain text), decoded and decoded_special byte for
 * byte, and the streamed decode equal to the whole one. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "check.h"
#include "gpt.h"

/* tests/golden/tokenizers_small: name and case count (generate.mjs drops the
 * strings where tokenizers.js is known to differ from HF's Rust library). */
static const struct {
    const char *name;
    int cases;
} small_tokenizers[] = {
    {"smollm", 482},           {"gpt2_prefix_space", 526},      {"llama31_template", 526}, {"qwen25", 526},
    {"template_pair", 526},    {"split_removed", 526},          {"split_isolated", 526},   {"split_invert", 526},
    {"whitespace", 526},       {"nfkc_lower_strip", 517},       {"ignore_merges", 526},    {"mistral_v03", 526},
    {"metaspace_always", 526}, {"metaspace_never", 526},        {"gemma", 526},            {"phi3", 526},
    {"unk_fuse", 526},         {"unk_nofuse", 526},             {"digits_runs", 482},      {"split_bytelevel_prefix", 526},
    {"added_normalized", 517}, {"sp_added_strip", 526}, {"o200k_regex", 526}, {"deepseek_v3", 526}, {"nfd_wsplit", 526}, {"nfkd_sp", 526},
};

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

/* folder: tests/golden/FOLDER/NAME; want_kind NULL: the kind, BOS and EOS
 * are not checked (the small files of tokenizers_small). */
static void check_tokenizer_in(const char *folder, const char *name, int want_cases, const char *want_kind, int want_bos,
                               int want_eos) {
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "tests/golden/%s/%s", folder, name);
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
    if (want_kind) {
        CHECK(!strcmp(gpt_tokenizer_kind(t), want_kind), "%s: kind \"%s\", want \"%s\"", name, gpt_tokenizer_kind(t),
              want_kind);
        CHECK(gpt_tokenizer_bos_id(t) == want_bos, "%s: bos %d, want %d", name, gpt_tokenizer_bos_id(t), want_bos);
        CHECK(gpt_tokenizer_eos_id(t) == want_eos, "%s: eos %d, want %d", name, gpt_tokenizer_eos_id(t), want_eos);
    }
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

static void check_tokenizer(const char *name, int want_cases, const char *want_kind, int want_bos, int want_eos) {
    check_tokenizer_in("tokenizers", name, want_cases, want_kind, want_bos, want_eos);
}


/* ---- small hand-made tokenizer.json files: what the three do not exercise ---- */

static char tmp_dir[64];

static gpt_tokenizer *load_json(const char *json, const char *config) {
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/tokenizer.json", tmp_dir);
    FILE *f = fopen(path, "w");
    fputs(json, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/tokenizer_config.json", tmp_dir);
    if (config) {
        f = fopen(path, "w");
        fputs(config, f);
        fclose(f);
    } else {
        unlink(path);
    }
    gpt_tokenizer *t = NULL;
    CHECK(gpt_tokenizer_load(&t, tmp_dir, err, sizeof err) == GPT_OK, "hand-made tokenizer.json: %s", err);
    return t;
}

static void expect_ids(gpt_tokenizer *t, const char *what, const char *text, int flags, const int *want, size_t n_want) {
    int *ids = NULL;
    size_t n = 0;
    char err[256];
    gpt_status st = gpt_tokenizer_encode_ex(t, text, strlen(text), flags, &ids, &n, err, sizeof err);
    int ok = st == GPT_OK && n == n_want && !memcmp(ids, want, n * sizeof(int));
    CHECK(ok, "%s: \"%s\"", what, text);
    if (!ok) print_ids("got ", ids, n), print_ids("want", want, n_want);
    free(ids);
}

static void expect_decoded(gpt_tokenizer *t, const char *what, const int *ids, size_t n, const char *want) {
    char *got = NULL, err[256];
    size_t len = 0;
    gpt_status st = gpt_tokenizer_decode(t, ids, n, &got, &len, err, sizeof err);
    CHECK(st == GPT_OK && len == strlen(want) && !memcmp(got, want, len), "%s: got \"%s\", want \"%s\"", what,
          got ? got : err, want);
    free(got);
}

/* One token per character (ids below), no merges, so the pieces show. */
#define CHARS "\"<unk>\":0,\" \":1,\"!\":2,\"a\":3,\"b\":4,\"x\":5,\"\\u2581\":6,\"\\u2581a\":7,\"\\u2581b\":8"
enum { SP = 1, BANG = 2, A = 3, B = 4, X = 5, META = 6, META_A = 7, META_B = 8, MASK = 9 };

static void check_added_token_flags(void) {
    /* HF's AddedVocabulary: lstrip takes the white space before the match,
     * rstrip the white space after, single_word needs no word character on
     * either side. */
    static const char *flags[] = {"\"lstrip\":true", "\"rstrip\":true", "\"single_word\":true", "\"lstrip\":false"};
    for (int k = 0; k < 4; k++) {
        char json[1024];
        snprintf(json, sizeof json,
                 "{\"model\":{\"type\":\"BPE\",\"vocab\":{" CHARS "},\"merges\":[],\"unk_token\":\"<unk>\"},"
                 "\"added_tokens\":[{\"id\":9,\"content\":\"<m>\",\"special\":true,%s}]}", flags[k]);
        gpt_tokenizer *t = load_json(json, NULL);
        if (!t) continue;
        if (k == 0) {
            expect_ids(t, "lstrip", "a  <m> !", GPT_ENCODE_SPECIAL, (int[]){A, MASK, SP, BANG}, 4);
        } else if (k == 1) {
            expect_ids(t, "rstrip", "a  <m> !", GPT_ENCODE_SPECIAL, (int[]){A, SP, SP, MASK, BANG}, 5);
        } else if (k == 2) {
            /* Not matched: the text stays, '<', 'm', '>' each unk (fuse_unk is off). */
            expect_ids(t, "single_word, inside a word", "a<m>", GPT_ENCODE_SPECIAL, (int[]){A, 0, 0, 0}, 4);
            expect_ids(t, "single_word, alone", "a <m> b", GPT_ENCODE_SPECIAL, (int[]){A, SP, MASK, SP, B}, 5);
        } else {
            expect_ids(t, "no flags", "a <m>!", GPT_ENCODE_SPECIAL, (int[]){A, SP, MASK, BANG}, 4);
            /* Without GPT_ENCODE_SPECIAL the text stays text. */
            expect_ids(t, "no flags, plain", "a<m>", 0, (int[]){A, 0, 0, 0}, 4);
        }
        gpt_tokenizer_free(t);
    }
}

static void check_metaspace_and_templates(void) {
    /* Metaspace pre-tokenizer and decoder: "a b" -> ▁a ▁b -> "a b" (the first ▁ dropped). */
    gpt_tokenizer *t = load_json(
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{" CHARS "},\"merges\":[\"\\u2581 a\",\"\\u2581 b\"],\"unk_token\":\"<unk>\"},"
        "\"pre_tokenizer\":{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\",\"prepend_scheme\":\"always\",\"split\":true},"
        "\"decoder\":{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\",\"prepend_scheme\":\"always\"}}", NULL);
    if (t) {
        expect_ids(t, "Metaspace", "a b", 0, (int[]){META_A, META_B}, 2);
        expect_decoded(t, "Metaspace decoder", (int[]){META_A, META_B}, 2, "a b");
        expect_decoded(t, "Metaspace decoder, ▁ first", (int[]){META, META_A}, 2, " a");
        gpt_tokenizer_free(t);
    }
    /* No decoder: HF joins the tokens with spaces. */
    t = load_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{" CHARS "},\"merges\":[]}}", NULL);
    if (t) {
        expect_decoded(t, "no decoder", (int[]){A, B, X}, 3, "a b x");
        gpt_tokenizer_free(t);
    }
    /* A template with a suffix; and transformers' Llama classes rebuilding it from add_bos/add_eos. */
    static const char *template =
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{" CHARS "},\"merges\":[]},"
        "\"added_tokens\":[{\"id\":9,\"content\":\"<m>\",\"special\":true}],"
        "\"post_processor\":{\"type\":\"Sequence\",\"processors\":[{\"type\":\"ByteLevel\"},{\"type\":\"TemplateProcessing\","
        "\"single\":[{\"SpecialToken\":{\"id\":\"<m>\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
        "{\"SpecialToken\":{\"id\":\"!\",\"type_id\":0}}],"
        "\"special_tokens\":{\"<m>\":{\"id\":\"<m>\",\"ids\":[9],\"tokens\":[\"<m>\"]},\"!\":{\"id\":\"!\",\"ids\":[2],\"tokens\":[\"!\"]}}}]}}";
    t = load_json(template, NULL);
    if (t) {
        expect_ids(t, "template", "ab", GPT_ENCODE_ADD_SPECIAL, (int[]){MASK, A, B, BANG}, 4);
        expect_ids(t, "template, not asked for", "ab", 0, (int[]){A, B}, 2);
        gpt_tokenizer_free(t);
    }
    t = load_json(template, "{\"tokenizer_class\":\"LlamaTokenizer\",\"bos_token\":\"x\",\"eos_token\":{\"content\":\"b\"},"
                            "\"add_bos_token\":false,\"add_eos_token\":true}");
    if (t) {
        expect_ids(t, "LlamaTokenizer add_eos_token", "a", GPT_ENCODE_ADD_SPECIAL, (int[]){A, B}, 2);
        CHECK(gpt_tokenizer_bos_id(t) == X && gpt_tokenizer_eos_id(t) == B, "bos %d eos %d, want %d %d",
              gpt_tokenizer_bos_id(t), gpt_tokenizer_eos_id(t), X, B);
        gpt_tokenizer_free(t);
    }
}

int main(void) {
    check_tokenizer("llama3", 277, "byte-level BPE (tokenizer.json)", 128000, 128001);
    check_tokenizer("qwen3", 277, "byte-level BPE (tokenizer.json)", -1, 151645);
    check_tokenizer("llama2", 277, "BPE with byte fallback (tokenizer.json)", 1, 2);
    /* Small files with the structure of other hub tokenizers, expected values
     * from tokenizers.js (tests/golden/tokenizers_small/README.md). */
    for (size_t i = 0; i < sizeof small_tokenizers / sizeof *small_tokenizers; i++)
        check_tokenizer_in("tokenizers_small", small_tokenizers[i].name, small_tokenizers[i].cases, NULL, 0, 0);
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/gpt-tok-XXXXXX");
    CHECK(mkdtemp(tmp_dir) != NULL, "mkdtemp");
    check_added_token_flags();
    check_metaspace_and_templates();
    char path[128];
    snprintf(path, sizeof path, "%s/tokenizer.json", tmp_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/tokenizer_config.json", tmp_dir);
    unlink(path);
    rmdir(tmp_dir);
    return check_done("test_tokenizers_hub");
}
