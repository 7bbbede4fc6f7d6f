/* test_tokenizer_parts.c — the tokenizer's components one by one (the
 * library's internal API, src/text/tokenizer_internal.h): the split regexes'
 * Unicode edges, the Llama 3/Qwen scanner against PCRE2, each normalizer,
 * each Split behavior (HF's documented examples), Digits, Metaspace,
 * Punctuation, Whitespace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "check.h"
#include "internal.h"
#include "tokenizer_internal.h"

/* ---- regex ---- */

static int full_match(const char *pattern, const char *text) {
    char why[200];
    tk_regex *re = tk_regex_compile(pattern, strlen(pattern), why, sizeof why);
    CHECK(re != NULL, "pattern %s: %s", pattern, why);
    if (!re) return -1;
    size_t a, b;
    int rc = tk_regex_search(re, text, strlen(text), 0, &a, &b);
    tk_regex_free(re);
    return rc == 1 && a == 0 && b == strlen(text);
}

static void check_regex_edges(void) {
    struct { const char *pattern, *text; int want; const char *why; } cases[] = {
        {"\\s", "\xc2\x85", 1, "U+0085 NEL is \\s in Oniguruma"},
        {"\\s", "\xef\xbb\xbf", 0, "U+FEFF is not \\s"},
        {"\\s", "\xe1\xa0\x8e", 0, "U+180E is not White_Space (PCRE2 alone says it is)"},
        {"\\s", "\xe3\x80\x80", 1, "U+3000 is \\s"},
        {"\\s", "\xe2\x80\xa8", 1, "U+2028 is \\s"},
        {"\\s", "\x0b", 1, "VT is \\s"},
        {"\\S", "\xc2\x85", 0, "U+0085 is not \\S"},
        {"[^\\s\\p{L}]", "\xe1\xa0\x8e", 1, "U+180E in a negated class with \\s"},
        {"[^\\s\\p{L}]", "\xc2\x85", 0, "U+0085 in a negated class with \\s"},
        {"\\p{L}", "\xc2\xaa", 1, "U+00AA is Lo"},
        {"\\p{L}", "\xcc\x81", 0, "U+0301 is Mn, not L"},
        {"\\p{L}", "\xca\xb0", 1, "U+02B0 is Lm"},
        {"\\p{N}", "\xc2\xb2", 1, "U+00B2 is No"},
        {"\\p{N}", "\xc2\xbd", 1, "U+00BD is No"},
        {"\\p{N}", "\xe2\x85\xab", 1, "U+216B is Nl"},
        {"\\p{N}", "\xd9\xa3", 1, "U+0663 is Nd"},
        {"\\p{L}", "\xe2\x85\xab", 0, "U+216B is not L"},
        {"\\p{N}", "\xf0\x9f\x98\x80", 0, "an emoji is not N"},
        {"(?i:'s|'t)", "'S", 1, "(?i:) folds case"},
        {"(?i:'s)", "'\xc5\xbf", 1, "(?i:s) matches U+017F long s"},
        {"\\w", "\xcc\x81", 1, "Oniguruma's \\w takes marks"},
        {"\\w", "\xe2\x85\xab", 1, "Oniguruma's \\w takes Nl (Alphabetic)"},
        {"\\d", "\xd9\xa3", 1, "\\d is Nd"},
        {"\\d", "\xc2\xb2", 0, "\\d is not No"},
        {"\\h", "f", 1, "Oniguruma's \\h is a hex digit"},
        {"\\u00e9", "\xc3\xa9", 1, "Ruby's \\uHHHH"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = full_match(cases[i].pattern, cases[i].text);
        CHECK(got == cases[i].want, "/%s/ on case %zu: got %d, want %d (%s)", cases[i].pattern, i, got, cases[i].want,
              cases[i].why);
    }
    const char *refused[] = {"\\bx", "[\\S]", "(", "a{2,1}", "[[:alpha:]]"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char why[200] = "";
        tk_regex *re = tk_regex_compile(refused[i], strlen(refused[i]), why, sizeof why);
        CHECK(re == NULL && why[0], "/%s/ must be refused with a reason (got %s)", refused[i], re ? "a regex" : why);
        tk_regex_free(re);
    }
}

/* The scanner and PCRE2 give the same pieces. */
static int same_split(tk_regex *re, const char *text, size_t n, int digits) {
    tk_regex_iter it = {0};
    size_t a, b, at = 0;
    while (tk_regex_next(re, text, n, &it, &a, &b) == 1) {
        size_t len = tk_hub_next_piece((const unsigned char *)text + at, n - at, digits);
        if (a != at || b != at + len) {
            fprintf(stderr, "  at byte %zu: regex [%zu, %zu), scanner [%zu, %zu)\n", at, a, b, at, at + len);
            return 0;
        }
        at = b;
    }
    return at == n;
}

static void check_hub_scanner(void) {
    for (int digits = 1; digits <= 3; digits += 2) {
        const char *pattern = digits == 3 ? TK_HUB_PATTERN_3 : TK_HUB_PATTERN_1;
        char why[200];
        tk_regex *re = tk_regex_compile(pattern, strlen(pattern), why, sizeof why);
        CHECK(re != NULL, "hub pattern: %s", why);
        if (!re) return;
        int texts = 0, same = 0;
        static const char *files[] = {"tests/golden/tokenizers/llama3/cases.json", "tests/golden/tokenizer/cases.json"};
        for (int f = 0; f < 2; f++) {
            char *json = check_read_file(files[f], NULL);
            CHECK(json != NULL, "cannot read %s", files[f]);
            cJSON *root = cJSON_Parse(json ? json : "");
            const cJSON *c;
            cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
                const char *text = cJSON_GetObjectItem(c, "text")->valuestring;
                int ok = same_split(re, text, strlen(text), digits);
                CHECK(ok, "digits %d: scanner and regex split %.60s differently", digits, text);
                texts++, same += ok;
            }
            cJSON_Delete(root);
            free(json);
        }
        /* Random strings over the characters at the pattern's edges. */
        static const char *alphabet[] = {"a", "Z", "\xc3\xa9", "\xc5\xbf", "'", "s", "T", "L", "e", " ", "\t", "\n",
                                         "\r", "\xc2\x85", "\xc2\xa0", "\xe3\x80\x80", "\xef\xbb\xbf", "\xe1\xa0\x8e",
                                         "1", "\xd9\xa3", "\xc2\xbd", "\xe2\x85\xab", "!", ".", "\xcc\x81",
                                         "\xf0\x9f\x98\x80", "\xe2\x80\xa8", "\x0b", "\xe4\xb8\xad", "_"};
        const int n_alpha = sizeof alphabet / sizeof alphabet[0];
        unsigned seed = 12345;
        for (int r = 0; r < 20000; r++) {
            char text[256];
            size_t n = 0;
            int len = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 12;
            for (int k = 0; k < len; k++) {
                const char *ch = alphabet[((seed = seed * 1103515245u + 12345u) >> 16) % (unsigned)n_alpha];
                memcpy(text + n, ch, strlen(ch));
                n += strlen(ch);
            }
            int ok = same_split(re, text, n, digits);
            texts++, same += ok;
            if (!ok) {
                CHECK(ok, "digits %d: scanner and regex split random text %d differently", digits, r);
                break;
            }
        }
        fprintf(stderr, "hub scanner, %d digits: %d/%d texts split as PCRE2 does\n", digits, same, texts);
        tk_regex_free(re);
    }
}

/* ---- normalizers ---- */

static void check_normalizer(const char *what, tk_normalizer *steps, int n, const char *in, const char *want) {
    tk_buf out = {0};
    int rc = tk_normalize(steps, n, in, strlen(in), &out);
    int ok = rc == 0 && out.n == strlen(want) && (out.n == 0 || !memcmp(out.s, want, out.n));
    CHECK(ok, "%s(\"%s\"): got \"%.*s\", want \"%s\"", what, in, (int)out.n, out.s ? out.s : "", want);
    free(out.s);
}

static void check_normalizers(void) {
    tk_normalizer nfc = {.kind = NORM_NFC}, nfkc = {.kind = NORM_NFKC}, nfd = {.kind = NORM_NFD},
                  lower = {.kind = NORM_LOWERCASE}, strip = {.kind = NORM_STRIP, .strip_left = 1, .strip_right = 1},
                  lstrip = {.kind = NORM_STRIP, .strip_left = 1},
                  prepend = {.kind = NORM_PREPEND, .content = "\xe2\x96\x81", .content_len = 3},
                  replace = {.kind = NORM_REPLACE, .content = "\xe2\x96\x81", .content_len = 3, .literal = " ", .literal_len = 1};
    check_normalizer("NFC", &nfc, 1, "cafe\xcc\x81", "caf\xc3\xa9");
    check_normalizer("NFC", &nfc, 1, "\xe2\x84\xa6", "\xce\xa9");  // OHM SIGN -> OMEGA
    check_normalizer("NFD", &nfd, 1, "\xc3\xa9", "e\xcc\x81");
    check_normalizer("NFKC", &nfkc, 1, "\xef\xac\x81 \xe2\x91\xa0", "fi 1");  // ligature fi, circled 1
    check_normalizer("Lowercase", &lower, 1, "\xc3\x80" "BC", "\xc3\xa0" "bc");
    check_normalizer("Lowercase", &lower, 1, "\xc4\xb0", "i\xcc\x87");  // İ -> i + combining dot
    check_normalizer("Strip", &strip, 1, " \t\xe3\x80\x80 a b \xc2\x85", "a b");
    check_normalizer("Strip(left)", &lstrip, 1, "  a  ", "a  ");
    check_normalizer("Prepend", &prepend, 1, "Hi", "\xe2\x96\x81Hi");
    check_normalizer("Prepend", &prepend, 1, "", "");  // an empty piece gets nothing
    check_normalizer("Replace", &replace, 1, " a  b", "\xe2\x96\x81" "a\xe2\x96\x81\xe2\x96\x81" "b");
    tk_normalizer seq[2] = {prepend, replace};  // Llama 2's, in its order
    check_normalizer("Sequence[Prepend, Replace]", seq, 2, "Hello world", "\xe2\x96\x81Hello\xe2\x96\x81world");
    char why[200];
    tk_normalizer re_replace = {.kind = NORM_REPLACE, .content = "_", .content_len = 1,
                                .re = tk_regex_compile(" +", 2, why, sizeof why)};
    check_normalizer("Replace(Regex)", &re_replace, 1, "a   b c", "a_b_c");
    tk_regex_free(re_replace.re);
}

/* ---- pre-tokenizers ---- */

static void check_pre(const char *what, tk_pretokenizer *steps, int n, const char *in, const char *want) {
    tk_buf arena = {0};
    tk_pieces io = {0}, scratch = {0};
    tk_buf_put(&arena, in, strlen(in));
    tk_pieces_push(&io, 0, arena.n, 1);
    int rc = tk_pretokenize(steps, n, &arena, &io, &scratch);
    char got[512] = "";
    for (size_t i = 0; i < io.n && rc == 0; i++) {  // pieces joined by '|'
        if (i) strcat(got, "|");
        strncat(got, arena.s + io.p[i].off, io.p[i].len);
    }
    CHECK(rc == 0 && !strcmp(got, want), "%s(\"%s\"): got \"%s\", want \"%s\"", what, in, got, want);
    free(arena.s);
    free(io.p);
    free(scratch.p);
}

static void check_pretokenizers(void) {
    /* HF's SplitDelimiterBehavior documentation, on "the-final--countdown". */
    const char *text = "the-final--countdown";
    struct { tk_split_behavior b; const char *want; } behaviors[] = {
        {SPLIT_REMOVED, "the|final|countdown"},
        {SPLIT_ISOLATED, "the|-|final|-|-|countdown"},
        {SPLIT_MERGED_WITH_PREVIOUS, "the-|final-|-|countdown"},
        {SPLIT_MERGED_WITH_NEXT, "the|-final|-|-countdown"},
        {SPLIT_CONTIGUOUS, "the|-|final|--|countdown"},
    };
    for (int i = 0; i < 5; i++) {
        tk_pretokenizer p = {.kind = PRE_SPLIT, .behavior = behaviors[i].b, .literal = "-", .literal_len = 1};
        check_pre("Split(String)", &p, 1, text, behaviors[i].want);
        char why[200];
        p.literal = NULL, p.literal_len = 0;
        p.re = tk_regex_compile("-", 1, why, sizeof why);
        check_pre("Split(Regex)", &p, 1, text, behaviors[i].want);
        tk_regex_free(p.re);
    }
    tk_pretokenizer inverted = {.kind = PRE_SPLIT, .behavior = SPLIT_REMOVED, .invert = 1, .literal = "-", .literal_len = 1};
    check_pre("Split(invert, Removed)", &inverted, 1, text, "-|-|-");
    tk_pretokenizer digits = {.kind = PRE_DIGITS, .individual_digits = 1}, runs = {.kind = PRE_DIGITS};
    check_pre("Digits(individual)", &digits, 1, "a123b\xd9\xa3\xc2\xbd", "a|1|2|3|b|\xd9\xa3|\xc2\xbd");
    check_pre("Digits", &runs, 1, "a123b\xd9\xa3\xc2\xbd", "a|123|b|\xd9\xa3\xc2\xbd");
    tk_pretokenizer meta = {.kind = PRE_METASPACE, .replacement = "\xe2\x96\x81", .replacement_len = 3,
                            .prepend_scheme = PREPEND_ALWAYS, .split = 1};
    check_pre("Metaspace(always)", &meta, 1, "Hey friend!", "\xe2\x96\x81Hey|\xe2\x96\x81" "friend!");
    check_pre("Metaspace(always)", &meta, 1, "\xe2\x96\x81" "a", "\xe2\x96\x81" "a");  // already there: not twice
    meta.split = 0;
    check_pre("Metaspace(no split)", &meta, 1, "Hey friend", "\xe2\x96\x81Hey\xe2\x96\x81" "friend");
    meta.prepend_scheme = PREPEND_NEVER;
    check_pre("Metaspace(never)", &meta, 1, "Hey friend", "Hey\xe2\x96\x81" "friend");
    /* "first": only the piece at the start of the text; after another split, not. */
    tk_pretokenizer first[2] = {{.kind = PRE_SPLIT, .behavior = SPLIT_REMOVED, .literal = "|", .literal_len = 1},
                                {.kind = PRE_METASPACE, .replacement = "\xe2\x96\x81", .replacement_len = 3,
                                 .prepend_scheme = PREPEND_FIRST, .split = 1}};
    check_pre("Metaspace(first)", first, 2, "a|b", "\xe2\x96\x81" "a|b");
    tk_pretokenizer punct = {.kind = PRE_PUNCTUATION, .behavior = SPLIT_ISOLATED};
    check_pre("Punctuation", &punct, 1, "Hey, friend!\xe2\x80\x94$", "Hey|,| friend|!|\xe2\x80\x94|$");
    char why[200];
    tk_pretokenizer ws = {.kind = PRE_WHITESPACE, .invert = 1, .re = tk_regex_compile("\\w+|[^\\w\\s]+", strlen("\\w+|[^\\w\\s]+"), why, sizeof why)};
    check_pre("Whitespace", &ws, 1, "Hey friend!  x", "Hey|friend|!|x");
    tk_regex_free(ws.re);
    tk_pretokenizer wss = {.kind = PRE_WHITESPACE_SPLIT};
    check_pre("WhitespaceSplit", &wss, 1, "Hey friend!\xc2\x85x", "Hey|friend!|x");
    tk_pretokenizer bl = {.kind = PRE_BYTELEVEL, .add_prefix_space = 1, .use_regex = 1};
    check_pre("ByteLevel(prefix, regex)", &bl, 1, "Hello world's", " Hello| world|'s");
}

/* ---- gpt_json_parse: every JSON file the library reads ---- */

/* The object's keys and number values in order, as "k=v,k=v". */
static void object_text(const cJSON *o, char *buf, size_t len) {
    size_t at = 0;
    buf[0] = '\0';
    for (const cJSON *c = o ? o->child : NULL; c && at < len; c = c->next)
        at += (size_t)snprintf(buf + at, len - at, "%s%s=%d", at ? "," : "", c->string, c->valueint);
}

static void check_json_parse(void) {
    struct { const char *text, *want; } cases[] = {
        {"{\"a\": 1, \"b\": 2, \"a\": 3}", "b=2,a=3"},  // Python's json keeps the last a
        {"{\"a\": 1, \"a\": 2, \"a\": 3}  \n", "a=3"},
        {"{\"a\": {\"x\": 1, \"x\": 2}, \"b\": 2}", "a=0,b=2"},  // nested: below
        {"{\"a\": 1} x", NULL},                            // bytes after the value
        {"{\"a\": 1,\x01 \"b\": 2}", NULL},                // a control character
        {"{\"a\": 1}\t\r\n ", "a=1"},
    };
    char got[4096];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *root = gpt_json_parse(cases[i].text, strlen(cases[i].text), 1);
        object_text(root, got, sizeof got);
        if (!cases[i].want) CHECK(root == NULL, "json %s: parsed (%s), want a refusal", cases[i].text, got);
        else CHECK(root && !strcmp(got, cases[i].want), "json %s: got %s, want %s", cases[i].text, root ? got : "NULL",
                   cases[i].want);
        if (i == 2 && root) {
            object_text(cJSON_GetObjectItemCaseSensitive(root, "a"), got, sizeof got);
            CHECK(!strcmp(got, "x=2"), "json nested duplicate: got %s, want x=2", got);
        }
        cJSON_Delete(root);
    }
    /* Without last_key_wins (a vocabulary, whose tokenizer refuses a token
     * given twice) every copy stays. */
    const char *twice = "{\"a\": 1, \"b\": 2, \"a\": 3}";
    cJSON *both = gpt_json_parse(twice, strlen(twice), 0);
    object_text(both, got, sizeof got);
    CHECK(both && !strcmp(got, "a=1,b=2,a=3"), "json without last_key_wins: got %s, want a=1,b=2,a=3", got);
    cJSON_Delete(both);
    /* A large object: keys k0..k39, then k5, k17 and
     * k39 again with new values, and k0 a third time. */
    char text[2048], want[2048];
    size_t at = (size_t)snprintf(text, sizeof text, "{");
    for (int k = 0; k < 40; k++) at += (size_t)snprintf(text + at, sizeof text - at, "\"k%d\": %d, ", k, k);
    at += (size_t)snprintf(text + at, sizeof text - at, "\"k5\": 105, \"k0\": 100, \"k17\": 117, \"k39\": 139, \"k0\": 200}");
    at = 0;
    for (int k = 1; k < 40; k++)
        if (k != 5 && k != 17 && k != 39) at += (size_t)snprintf(want + at, sizeof want - at, "%sk%d=%d", at ? "," : "", k, k);
    snprintf(want + at, sizeof want - at, ",k5=105,k17=117,k39=139,k0=200");
    cJSON *root = gpt_json_parse(text, strlen(text), 1);
    object_text(root, got, sizeof got);
    CHECK(root && !strcmp(got, want), "json, 45 keys with repeats: got\n  %s\nwant\n  %s", got, want);
    cJSON_Delete(root);
}

int main(void) {
    check_json_parse();
    check_regex_edges();
    check_hub_scanner();
    check_normalizers();
    check_pretokenizers();
    return check_done("test_tokenizer_parts");
}
