/* pretokenize.c — tokenizer.json's pre-tokenizers: each splits every piece
 * of text into smaller ones, in turn, as HF's tokenizers does.
 *
 *   Split         matches of a Regex (regex.c) or String, kept as the
 *                 behavior says: Isolated, Removed, MergedWithPrevious,
 *                 MergedWithNext, Contiguous; invert swaps match and gap
 *   Digits        numbers (N*): one per piece, or runs
 *   Punctuation   ASCII punctuation and P*, each its own piece by default
 *   Whitespace    \w+|[^\w\s]+, the rest dropped
 *   WhitespaceSplit  White_Space dropped
 *   Metaspace     ' ' → replacement (▁), prepended per prepend_scheme, split
 *                 before each replacement
 *   ByteLevel     add_prefix_space, and with use_regex GPT-2's pattern
 *                 (a hand-written scanner, tk_gpt2_next_piece); the model
 *                 then works on raw bytes
 * Empty pieces are dropped, as HF does.
 */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "tokenizer_internal.h"

int tk_pieces_push(tk_pieces *l, size_t off, size_t len, int at_start) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        tk_piece *p = realloc(l->p, sizeof(tk_piece) * cap);
        if (!p) return -1;
        l->p = p;
        l->cap = cap;
    }
    l->p[l->n++] = (tk_piece){off, len, at_start};
    return 0;
}

/* ---- GPT-2's pattern, by hand ---------------------------------------------
 *     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 */

enum { CLS_LETTER, CLS_NUMBER, CLS_SPACE, CLS_OTHER, CLS_INVALID };

static int classify(int cp) {
    if (tk_is_white_space(cp)) return CLS_SPACE;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        return CLS_LETTER;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return CLS_NUMBER;
    default:
        return CLS_OTHER;
    }
}

static signed char ascii_class[128];

static void init_ascii_class(void) {
    if (ascii_class['a'] == CLS_LETTER + 1) return;
    for (int c = 0; c < 128; c++) ascii_class[c] = (signed char)(classify(c) + 1);  // +1: 0 means not ready
}

/* The class and length of the code point at s (n bytes left). */
static int class_at(const unsigned char *s, size_t n, int *len) {
    if (s[0] < 0x80) {
        *len = 1;
        return ascii_class[s[0]] - 1;
    }
    int cp;
    *len = tk_utf8_decode(s, n, &cp);
    if (*len == 0) {
        *len = 1;
        return CLS_INVALID;
    }
    return classify(cp);
}

/* Length of the run of class cls starting at s. */
static size_t run_of(const unsigned char *s, size_t n, int cls) {
    size_t i = 0;
    while (i < n) {
        int len, c = class_at(s + i, n - i, &len);
        if (c != cls) break;
        i += (size_t)len;
    }
    return i;
}

size_t tk_gpt2_next_piece(const unsigned char *s, size_t n) {
    init_ascii_class();
    /* 's 't 're 've 'm 'll 'd */
    if (s[0] == '\'' && n >= 2) {
        if (s[1] == 's' || s[1] == 't' || s[1] == 'm' || s[1] == 'd') return 2;
        if (n >= 3 && ((s[1] == 'r' && s[2] == 'e') || (s[1] == 'v' && s[2] == 'e') || (s[1] == 'l' && s[2] == 'l')))
            return 3;
    }
    int len0, c0 = class_at(s, n, &len0);
    if (c0 == CLS_INVALID) return 1;  // an invalid byte stands alone
    /* ' ?' then a run of letters, numbers or others */
    size_t start = 0;
    int c = c0;
    if (s[0] == ' ' && n > 1) {
        int len1;
        int c1 = class_at(s + 1, n - 1, &len1);
        if (c1 == CLS_LETTER || c1 == CLS_NUMBER || c1 == CLS_OTHER) start = 1, c = c1;
    }
    if (c == CLS_LETTER || c == CLS_NUMBER || c == CLS_OTHER) return start + run_of(s + start, n - start, c);
    /* Whitespace: \s+(?!\S) gives back the last character of a run that a
     * non-space follows (if that leaves at least one); else \s+. */
    size_t run = 0, last_len = 0;
    while (run < n) {
        int len, cc = class_at(s + run, n - run, &len);
        if (cc != CLS_SPACE) break;
        last_len = (size_t)len;
        run += (size_t)len;
    }
    if (run < n && run > last_len) return run - last_len;
    return run;
}

/* ---- the Llama 3 / Qwen2 pattern, by hand ----------------------------------
 *     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *      ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * ({1,3}: Llama 3; a single \p{N}: Qwen2/Qwen3). The same matches as the
 * regex (test_tokenizer_parts compares them on every case and on random
 * text), without a regex call per piece: the hub's most common pattern runs
 * at GPT-2's speed. Every position starts a match, so there are no gaps. */

const char *const TK_HUB_PATTERN_1 =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char *const TK_HUB_PATTERN_3 =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* (?i:s) also matches U+017F LATIN SMALL LETTER LONG S, which folds to s. */
static int contraction_at(const unsigned char *s, size_t n) {
    if (n >= 2) {
        int c = s[1] | 0x20;
        if (c == 't' || c == 'm' || c == 'd' || c == 's') return 2;
        if (n >= 3 && s[1] == 0xC5 && s[2] == 0xBF) return 3;  // 'ſ
    }
    if (n >= 3) {
        int a = s[1] | 0x20, b = s[2] | 0x20;
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    }
    return 0;
}

static int is_newline(const unsigned char *s) { return s[0] == '\r' || s[0] == '\n'; }

size_t tk_hub_next_piece(const unsigned char *s, size_t n, int max_digits) {
    init_ascii_class();
    int len0, c0 = class_at(s, n, &len0);
    if (s[0] == '\'') {
        int k = contraction_at(s, n);
        if (k) return (size_t)k;
    }
    if (c0 == CLS_LETTER) return run_of(s, n, CLS_LETTER);
    int len1 = 0, c1 = (size_t)len0 < n ? class_at(s + len0, n - (size_t)len0, &len1) : -1;
    /* [^\r\n\p{L}\p{N}]?\p{L}+ */
    if (c0 != CLS_NUMBER && !is_newline(s) && c1 == CLS_LETTER)
        return (size_t)len0 + run_of(s + len0, n - (size_t)len0, CLS_LETTER);
    /* \p{N}{1,max} */
    if (c0 == CLS_NUMBER) {
        size_t i = 0;
        for (int d = 0; d < max_digits && i < n; d++) {
            int len, c = class_at(s + i, n - i, &len);
            if (c != CLS_NUMBER) break;
            i += (size_t)len;
        }
        return i;
    }
    /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
    size_t start = c0 == CLS_OTHER ? 0 : (s[0] == ' ' && c1 == CLS_OTHER) ? 1 : (size_t)-1;
    if (start != (size_t)-1) {
        size_t i = start + run_of(s + start, n - start, CLS_OTHER);
        while (i < n && is_newline(s + i)) i++;
        return i;
    }
    /* White space: up to its last newline; else all of it at the end of the
     * text; else all but its last character (\s+(?!\S)), if that leaves one. */
    size_t run = 0, last_len = 0, after_newline = 0;
    while (run < n) {
        int len, c = class_at(s + run, n - run, &len);
        if (c != CLS_SPACE) break;
        if (is_newline(s + run)) after_newline = run + 1;
        last_len = (size_t)len;
        run += (size_t)len;
    }
    if (after_newline) return after_newline;
    if (run < n && run > last_len) return run - last_len;
    return run;
}

/* ---- matches and the split behaviors ------------------------------------ */

typedef struct {
    size_t start, end;
    int is_match;
} span;

typedef struct {
    span *s;
    size_t n, cap;
} spans;

static int spans_push(spans *l, size_t start, size_t end, int is_match) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        span *p = realloc(l->s, sizeof(span) * cap);
        if (!p) return -1;
        l->s = p;
        l->cap = cap;
    }
    l->s[l->n++] = (span){start, end, is_match};
    return 0;
}

static int is_numeric(int cp) {  // Rust's char::is_numeric: N*
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

static int is_punctuation(int cp) {  // HF's is_punc: ASCII punctuation or P*
    if (cp < 0x80) return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
                          (cp >= 0x7B && cp <= 0x7E);
    utf8proc_category_t c = utf8proc_category(cp);
    return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_PO;
}

/* HF's Pattern::find_matches: the text as gaps (0) and matches (1), in order. */
static int find_matches(const tk_pretokenizer *p, int replacement_cp, const char *s, size_t n, spans *out) {
    out->n = 0;
    if (n == 0) return spans_push(out, 0, 0, 0);
    if (p->kind == PRE_SPLIT && !p->re) {  // a String pattern: its occurrences, left to right
        if (p->literal_len == 0) return spans_push(out, 0, n, 0);
        size_t prev = 0;
        for (size_t i = 0; i + p->literal_len <= n;) {
            const char *hit = memmem(s + i, n - i, p->literal, p->literal_len);
            if (!hit) break;
            size_t at = (size_t)(hit - s);
            if (prev != at && spans_push(out, prev, at, 0)) return -1;
            if (spans_push(out, at, at + p->literal_len, 1)) return -1;
            prev = i = at + p->literal_len;
        }
        if (prev != n && spans_push(out, prev, n, 0)) return -1;
        return 0;
    }
    if (p->re) {  // Split with a Regex, Whitespace
        tk_regex_iter it = {0};
        size_t prev = 0, a, b;
        int rc;
        while ((rc = tk_regex_next(p->re, s, n, &it, &a, &b)) == 1) {
            if (prev != a && spans_push(out, prev, a, 0)) return -1;
            if (spans_push(out, a, b, 1)) return -1;
            prev = b;
        }
        if (rc < 0) return -1;
        if (prev != n && spans_push(out, prev, n, 0)) return -1;
        return 0;
    }
    /* A character predicate: each matching character is its own match. */
    size_t last = 0;
    for (size_t i = 0; i < n;) {
        int cp, k = tk_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (k == 0) cp = 0xFFFD, k = 1;
        int hit = p->kind == PRE_DIGITS ? is_numeric(cp)
                  : p->kind == PRE_PUNCTUATION ? is_punctuation(cp)
                  : p->kind == PRE_WHITESPACE_SPLIT ? tk_is_white_space(cp)
                  : cp == replacement_cp;
        if (hit) {
            if (last < i && spans_push(out, last, i, 0)) return -1;
            if (spans_push(out, i, i + (size_t)k, 1)) return -1;
            last = i + (size_t)k;
        }
        i += (size_t)k;
    }
    if (last < n && spans_push(out, last, n, 0)) return -1;
    return 0;
}

/* Applies a behavior to the spans, in place: what is left are the pieces
 * (is_match 1 = drop it, for Removed). */
static void apply_behavior(tk_split_behavior behavior, spans *m) {
    size_t w = 0;
    int previous_match = 0;
    switch (behavior) {
    case SPLIT_ISOLATED:
        for (size_t i = 0; i < m->n; i++) m->s[i].is_match = 0;
        return;
    case SPLIT_REMOVED:
        return;
    case SPLIT_CONTIGUOUS:  // consecutive spans of the same kind merge
        for (size_t i = 0; i < m->n; i++) {
            span cur = m->s[i];  // read before the write below may overwrite it
            if (w && cur.is_match == previous_match) m->s[w - 1].end = cur.end;
            else m->s[w++] = (span){cur.start, cur.end, 0};
            previous_match = cur.is_match;
        }
        for (size_t i = 0; i < w; i++) m->s[i].is_match = 0;
        m->n = w;
        return;
    case SPLIT_MERGED_WITH_PREVIOUS:  // a match joins the piece before it
        for (size_t i = 0; i < m->n; i++) {
            span cur = m->s[i];
            if (cur.is_match && !previous_match && w) m->s[w - 1].end = cur.end;
            else m->s[w++] = (span){cur.start, cur.end, 0};
            previous_match = cur.is_match;
        }
        m->n = w;
        return;
    case SPLIT_MERGED_WITH_NEXT: {  // a match joins the piece after it: the same, right to left
        size_t n = m->n;
        w = n;
        for (size_t k = n; k-- > 0;) {
            span cur = m->s[k];
            if (cur.is_match && !previous_match && w < n) m->s[w].start = cur.start;
            else m->s[--w] = (span){cur.start, cur.end, 0};
            previous_match = cur.is_match;
        }
        memmove(m->s, m->s + w, sizeof(span) * (n - w));
        m->n = n - w;
        return;
    }
    }
}

/* ---- the steps ---------------------------------------------------------- */

/* Appends the bytes prefix + arena[off, off+len) to the arena as a new piece. */
static int prefixed(tk_buf *arena, const char *prefix, size_t prefix_len, tk_piece *piece) {
    size_t off = arena->n;
    if (tk_buf_put(arena, prefix, prefix_len) || tk_buf_put(arena, NULL, piece->len)) return -1;
    memmove(arena->s + off + prefix_len, arena->s + piece->off, piece->len);
    piece->off = off;
    piece->len += prefix_len;
    return 0;
}

static int metaspace_text(const tk_pretokenizer *p, tk_buf *arena, tk_piece *piece) {
    size_t off = arena->n, n = piece->len, count = 0;
    for (size_t i = 0; i < n; i++) count += arena->s[piece->off + i] == ' ';
    int starts = n >= (size_t)p->replacement_len && 0 == memcmp(arena->s + piece->off, p->replacement, (size_t)p->replacement_len);
    if (count == 0 && (starts || p->prepend_scheme == PREPEND_NEVER)) return 0;  // nothing changes
    if (tk_buf_put(arena, NULL, n + (count + 1) * (size_t)p->replacement_len)) return -1;
    char *out = arena->s + off;
    const char *in = arena->s + piece->off;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == ' ') memcpy(out + w, p->replacement, (size_t)p->replacement_len), w += (size_t)p->replacement_len;
        else out[w++] = in[i];
    }
    /* Prepend after the replace, when the result does not start with it. */
    int now_starts = w >= (size_t)p->replacement_len && 0 == memcmp(out, p->replacement, (size_t)p->replacement_len);
    int prepend = !now_starts && (p->prepend_scheme == PREPEND_ALWAYS ||
                                  (p->prepend_scheme == PREPEND_FIRST && piece->at_start));
    if (prepend) {
        memmove(out + p->replacement_len, out, w);
        memcpy(out, p->replacement, (size_t)p->replacement_len);
        w += (size_t)p->replacement_len;
    }
    arena->n = off + w;
    piece->off = off;
    piece->len = w;
    return 0;
}

static int step(const tk_pretokenizer *p, tk_buf *arena, const tk_pieces *in, tk_pieces *out, spans *m) {
    out->n = 0;
    int replacement_cp = -1;
    if (p->kind == PRE_METASPACE) tk_utf8_decode((const unsigned char *)p->replacement, (size_t)p->replacement_len, &replacement_cp);
    for (size_t k = 0; k < in->n; k++) {
        tk_piece piece = in->p[k];
        if (p->kind == PRE_BYTELEVEL) {
            if (p->add_prefix_space && (piece.len == 0 || arena->s[piece.off] != ' ') &&
                prefixed(arena, " ", 1, &piece))
                return -1;
            if (!p->use_regex) {
                if (piece.len && tk_pieces_push(out, piece.off, piece.len, piece.at_start)) return -1;
                continue;
            }
            for (size_t i = 0; i < piece.len;) {
                size_t len = tk_gpt2_next_piece((const unsigned char *)arena->s + piece.off + i, piece.len - i);
                if (tk_pieces_push(out, piece.off + i, len, piece.at_start && i == 0)) return -1;
                i += len;
            }
            continue;
        }
        if (p->kind == PRE_METASPACE) {
            if (metaspace_text(p, arena, &piece)) return -1;
            if (!p->split) {
                if (piece.len && tk_pieces_push(out, piece.off, piece.len, piece.at_start)) return -1;
                continue;
            }
        }
        if (p->kind == PRE_SPLIT && p->hub_digits) {  // the Llama 3 / Qwen pattern, Isolated
            const unsigned char *text = (const unsigned char *)arena->s + piece.off;
            for (size_t i = 0; i < piece.len;) {
                size_t len = tk_hub_next_piece(text + i, piece.len - i, p->hub_digits);
                if (tk_pieces_push(out, piece.off + i, len, piece.at_start && i == 0)) return -1;
                i += len;
            }
            continue;
        }
        if (p->kind == PRE_SPLIT && p->re && p->behavior == SPLIT_ISOLATED && !p->invert) {
            /* The hub's common case, without the spans: every gap and match is a piece. */
            tk_regex_iter it = {0};
            size_t prev = 0, a, b;
            int rc;
            const char *text = arena->s + piece.off;
            while ((rc = tk_regex_next(p->re, text, piece.len, &it, &a, &b)) == 1) {
                if (prev != a && tk_pieces_push(out, piece.off + prev, a - prev, piece.at_start && prev == 0)) return -1;
                if (b != a && tk_pieces_push(out, piece.off + a, b - a, piece.at_start && a == 0)) return -1;
                prev = b;
            }
            if (rc < 0) return -1;
            if (prev != piece.len && tk_pieces_push(out, piece.off + prev, piece.len - prev, piece.at_start && prev == 0))
                return -1;
            continue;
        }
        if (find_matches(p, replacement_cp, arena->s + piece.off, piece.len, m)) return -1;
        if (p->invert)
            for (size_t i = 0; i < m->n; i++) m->s[i].is_match = !m->s[i].is_match;
        tk_split_behavior behavior = p->kind == PRE_SPLIT || p->kind == PRE_PUNCTUATION ? p->behavior
                                     : p->kind == PRE_DIGITS ? (p->individual_digits ? SPLIT_ISOLATED : SPLIT_CONTIGUOUS)
                                     : p->kind == PRE_METASPACE ? SPLIT_MERGED_WITH_NEXT
                                     : SPLIT_REMOVED;  // Whitespace (inverted), WhitespaceSplit
        apply_behavior(behavior, m);
        for (size_t i = 0; i < m->n; i++) {
            if (m->s[i].is_match || m->s[i].end == m->s[i].start) continue;
            if (tk_pieces_push(out, piece.off + m->s[i].start, m->s[i].end - m->s[i].start,
                               piece.at_start && m->s[i].start == 0))
                return -1;
        }
    }
    return 0;
}

int tk_pretokenize(const tk_pretokenizer *steps, int n_steps, tk_buf *arena, tk_pieces *io, tk_pieces *scratch) {
    spans m = {0};
    int rc = 0;
    for (int i = 0; i < n_steps && rc == 0; i++) {
        const tk_pretokenizer *p = &steps[i];
        if (p->kind == PRE_BYTELEVEL && !p->add_prefix_space && !p->use_regex) continue;  // it only marks the alphabet
        rc = step(p, arena, io, scratch, &m);
        tk_pieces swap = *io;
        *io = *scratch;
        *scratch = swap;
    }
    free(m.s);
    return rc;
}
