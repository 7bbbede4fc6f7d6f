/* regex.c — the split patterns of tokenizer.json, with Oniguruma's meaning,
 * matched by PCRE2 (JIT-compiled when the JIT is available).
 *
 * HF's tokenizers compiles these patterns with Oniguruma (Ruby syntax,
 * UTF-8). PCRE2 in UTF + UCP mode reads the hub's patterns the same way
 * (\p{L}, \p{N}, (?i:...), lookahead, {m,n}) except for a few escapes whose
 * sets differ; those are rewritten to explicit sets before compiling:
 *   \s  Oniguruma: the White_Space property (U+0085 yes, U+180E and U+FEFF
 *       no). PCRE2 10.42 also counts U+180E, so \s becomes the list.
 *   \w  Oniguruma: Alphabetic, marks, decimal digits, connector punctuation,
 *       ZWNJ/ZWJ. PCRE2: letters, numbers, underscore.
 *   \d  Nd in both; \h is a hex digit in Oniguruma (a blank in PCRE2).
 * A negated escape inside a class (\S, \W, \D, \H inside [...]) and the word
 * boundaries \b \B are refused: they have no exact spelling here. ^ and $ are
 * line anchors, as in Ruby.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

struct tk_regex {
    pcre2_code *code;
    pcre2_match_data *match;
    int jit;
};

#define WHITE_SPACE "\\t\\n\\x{0b}\\f\\r \\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}"
#define WORD "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200c}\\x{200d}"
#define HEX "0-9a-fA-F"

/* Rewrites pattern into out (Oniguruma → PCRE2); 0, or -1 with why. */
static int translate(const char *p, size_t n, tk_buf *out, char *why, size_t why_len) {
    int in_class = 0;  // depth of [...] (Oniguruma allows nested classes; PCRE2 does not, so refuse)
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\\' && i + 1 < n) {
            char e = p[++i];
            const char *set = NULL;
            int negated = 0;
            switch (e) {
            case 's': set = WHITE_SPACE; break;
            case 'S': set = WHITE_SPACE, negated = 1; break;
            case 'w': set = WORD; break;
            case 'W': set = WORD, negated = 1; break;
            case 'd': set = "\\p{Nd}"; break;
            case 'D': set = "\\p{Nd}", negated = 1; break;
            case 'h': set = HEX; break;
            case 'H': set = HEX, negated = 1; break;
            case 'b': case 'B': case 'G': case 'K': case 'X': case 'R': case 'N': case 'O': case 'y': case 'Y':
                snprintf(why, why_len, "the escape \\%c is not supported", e);
                return -1;
            default: break;
            }
            if (set) {
                if (in_class && negated) {
                    snprintf(why, why_len, "the escape \\%c inside a [...] class is not supported", e);
                    return -1;
                }
                int rc = 0;
                if (!in_class) rc |= tk_buf_put(out, negated ? "[^" : "[", negated ? 2 : 1);
                rc |= tk_buf_put(out, set, strlen(set));
                if (!in_class) rc |= tk_buf_put(out, "]", 1);
                if (rc) goto oom;
                continue;
            }
            if (e == 'u' && i + 4 < n) {  // Ruby's \uHHHH is PCRE2's \x{HHHH}
                char x[12];
                snprintf(x, sizeof x, "\\x{%.4s}", p + i + 1);
                if (tk_buf_put(out, x, strlen(x))) goto oom;
                i += 4;
                continue;
            }
            char esc[2] = {'\\', e};
            if (tk_buf_put(out, esc, 2)) goto oom;
            continue;
        }
        if (c == '[') {
            if (in_class) {
                if (i + 1 < n && p[i + 1] == ':') {  // a POSIX bracket like [:alpha:] inside a class
                    snprintf(why, why_len, "POSIX bracket classes are not supported");
                    return -1;
                }
                snprintf(why, why_len, "nested [...] classes are not supported");
                return -1;
            }
            in_class = 1;
            if (tk_buf_put(out, "[", 1)) goto oom;
            /* A ']' or '^]' right after '[' is a literal. */
            if (i + 1 < n && p[i + 1] == '^') {
                if (tk_buf_put(out, "^", 1)) goto oom;
                i++;
            }
            if (i + 1 < n && p[i + 1] == ']') {
                if (tk_buf_put(out, "\\]", 2)) goto oom;
                i++;
            }
            continue;
        }
        if (c == ']' && in_class) in_class = 0;
        if (c == '&' && in_class && i + 1 < n && p[i + 1] == '&') {
            snprintf(why, why_len, "class intersection && is not supported");
            return -1;
        }
        if (tk_buf_put(out, &c, 1)) goto oom;
    }
    if (tk_buf_put(out, "", 1)) goto oom;  // NUL-terminate
    out->n--;
    return 0;
oom:
    snprintf(why, why_len, "out of memory");
    return -1;
}

tk_regex *tk_regex_compile(const char *pattern, size_t len, char *why, size_t why_len) {
    tk_buf buf = {0};
    if (translate(pattern, len, &buf, why, why_len) != 0) {
        free(buf.s);
        return NULL;
    }
    int code;
    PCRE2_SIZE at;
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    if (cc) pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)buf.s, buf.n, PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE, &code, &at, cc);
    pcre2_compile_context_free(cc);
    free(buf.s);
    if (!re) {
        char msg[160];
        pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof msg);
        snprintf(why, why_len, "does not compile: %s", msg);
        return NULL;
    }
    tk_regex *r = calloc(1, sizeof *r);
    if (r) r->match = pcre2_match_data_create_from_pattern(re, NULL);
    if (!r || !r->match) {
        pcre2_code_free(re);
        free(r);
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    r->code = re;
    r->jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
    return r;
}

int tk_regex_search(tk_regex *re, const char *s, size_t n, size_t from, size_t *start, size_t *end) {
    int rc = re->jit ? pcre2_jit_match(re->code, (PCRE2_SPTR)s, n, from, 0, re->match, NULL)
                     : pcre2_match(re->code, (PCRE2_SPTR)s, n, from, PCRE2_NO_UTF_CHECK, re->match, NULL);
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc < 0) return -1;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->match);
    *start = ov[0];
    *end = ov[1];
    if (*end < *start) return -1;  // \K could do this; refused at compile time
    return 1;
}

void tk_regex_free(tk_regex *re) {
    if (!re) return;
    pcre2_match_data_free(re->match);
    pcre2_code_free(re->code);
    free(re);
}

int tk_regex_next(tk_regex *re, const char *s, size_t n, tk_regex_iter *it, size_t *start, size_t *end) {
    while (it->pos <= n) {
        int rc = tk_regex_search(re, s, n, it->pos, start, end);
        if (rc <= 0) return rc;
        /* Like Oniguruma's find_iter: an empty match right where the last
         * match ended is skipped, one character on. */
        if (*start == *end && it->had_match && *end == it->last_end) {
            if (*end >= n) return 0;
            int cp, k = tk_utf8_decode((const unsigned char *)s + *end, n - *end, &cp);
            it->pos = *end + (size_t)(k ? k : 1);
            continue;
        }
        it->pos = *end;
        it->last_end = *end;
        it->had_match = 1;
        return 1;
    }
    return 0;
}
