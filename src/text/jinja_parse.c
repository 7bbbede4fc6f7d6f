/* jinja_parse.c — chat templates: the arena, the lexer and the parser.
 *
 * The lexer follows Jinja2's (3.1) with trim_blocks and lstrip_blocks on, as
 * transformers' apply_chat_template sets it up:
 * - newlines (\r\n, \r, \n) become \n and one trailing newline is dropped;
 * - "{%-" / "{{-" / "{#-" strip all whitespace before the tag, "-%}" / "-}}"
 *   / "-#}" all whitespace after it (Python's str.strip whitespace);
 * - trim_blocks: the first newline after a block or comment tag ("%}",
 *   "#}") is removed; "+%}" keeps it;
 * - lstrip_blocks: whitespace from the start of a line up to a block or
 *   comment tag is removed (any Python whitespace, NBSP included, as
 *   Jinja2 3.1's \s+); "{%+" keeps it; "{{" never strips.
 * The parser builds the tree of jinja.h, naming line:column in every error. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jinja.h"

/* ---------------- failure and arena ---------------- */
_Noreturn void jfail_raise(jfail *f, gpt_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
    f->status = status;
    longjmp(f->jmp, 1);
}

struct jblock {
    jblock *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void *ja_alloc(jarena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    jblock *b = a->head;
    if (!b || b->cap - b->used < n) {
        /* 64 KB blocks stay under malloc's mmap threshold, so a render reuses
         * the heap's pages instead of faulting in fresh ones every time */
        size_t cap = n > 65536 - sizeof(jblock) ? n : 65536 - sizeof(jblock);
        if (a->limit && a->total + cap + sizeof(jblock) > a->limit) {
            if (a->total + n + sizeof(jblock) > a->limit)
                jfail_raise(a->fail, GPT_ERR_FORMAT, "rendering exceeds %zu bytes of memory", a->limit);
            cap = n;
        }
        b = malloc(sizeof(jblock) + cap);
        if (!b) jfail_raise(a->fail, GPT_ERR_OOM, "template: out of memory");
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
        a->total += sizeof(jblock) + cap;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

void *ja_grow(jarena *a, void *p, size_t old_n, size_t new_n) {
    void *q = ja_alloc(a, new_n);
    if (old_n) memcpy(q, p, old_n);
    return q;
}

char *ja_strdup(jarena *a, const char *p, size_t n) {
    char *q = ja_alloc(a, n + 1);
    if (n) memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

void ja_free(jarena *a) {
    jblock *b = a->head;
    while (b) {
        jblock *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}

/* ---------------- UTF-8 ---------------- */
int jinja_utf8_valid(const char *s, size_t n, size_t *bad_at) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
        else goto bad;
        if (i + len > n) goto bad;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) goto bad;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) goto bad;
        i += len;
    }
    return 1;
bad:
    if (bad_at) *bad_at = i;
    return 0;
}

/* Python's str.isspace() for the code point at p (len bytes set), 0 when not. */
static int py_space_at(const char *s, size_t n, size_t *len) {
    const unsigned char *p = (const unsigned char *)s;
    if (n == 0) return 0;
    unsigned c = p[0];
    if (c < 0x80) {
        *len = 1;
        return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    }
    uint32_t cp;
    if ((c & 0xE0) == 0xC0 && n >= 2) { cp = ((c & 0x1F) << 6) | (p[1] & 0x3F); *len = 2; }
    else if ((c & 0xF0) == 0xE0 && n >= 3) { cp = ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F); *len = 3; }
    else return 0;
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* The length of text once its trailing Python whitespace is removed. */
static size_t py_rstrip_len(const char *s, size_t n) {
    size_t end = n;
    while (end > 0) {
        size_t start = end - 1;
        while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80 && end - start < 4) start--;
        size_t len;
        if (!py_space_at(s + start, end - start, &len) || start + len != end) break;
        end = start;
    }
    return end;
}

static size_t py_lspace_len(const char *s, size_t n) {
    size_t i = 0, len;
    while (i < n && py_space_at(s + i, n - i, &len)) i += len;
    return i;
}

/* ---------------- lexer ---------------- */
typedef enum {
    T_EOF, T_TEXT, T_VAR_BEGIN, T_VAR_END, T_BLOCK_BEGIN, T_BLOCK_END,
    T_NAME, T_STRING, T_INT, T_FLOAT, T_OP
} ttype;

typedef struct {
    uint8_t type;
    char op[3];        /* T_OP: the operator */
    jstr s;            /* text, name, string value */
    int64_t i;
    double f;
    size_t pos;        /* offset in the normalized source */
    int line, col;     /* of pos, counted once when lexed */
} token;

typedef struct {
    struct gpt_template *tpl;
    jarena *a;
    jfail *fail;
    const char *src;
    size_t n;
    token *toks;
    size_t ntok, cap;
    size_t pos;        /* parser: current token */
    int loop_depth;    /* parser: inside a for loop (break/continue allowed) */
    int block_depth;
    int rec;           /* parser recursion depth */
    size_t lc_pos;     /* line_col's cache: a position and its line and column */
    int lc_line, lc_col;
} jparser;

static void line_col(jparser *P, size_t pos, int *line, int *col) {
    int l = 1, c = 1;
    size_t i = 0;
    if (pos >= P->lc_pos) { i = P->lc_pos; l = P->lc_line; c = P->lc_col; }  /* positions mostly ascend */
    for (; i < pos && i < P->n; i++) {
        if (P->src[i] == '\n') { l++; c = 1; }
        else if (((unsigned char)P->src[i] & 0xC0) != 0x80) c++;
    }
    P->lc_pos = i;
    P->lc_line = l;
    P->lc_col = c;
    *line = l;
    *col = c;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
_Noreturn static void perr(jparser *P, size_t pos, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line, col;
    line_col(P, pos, &line, &col);
    jfail_raise(P->fail, GPT_ERR_FORMAT, "line %d:%d: %s", line, col, msg);
}

static token *push_tok(jparser *P, int type, size_t pos) {
    if (P->ntok == P->cap) {
        size_t cap = P->cap ? P->cap * 2 : 256;
        P->toks = ja_grow(P->a, P->toks, P->ntok * sizeof(token), cap * sizeof(token));
        P->cap = cap;
    }
    token *t = &P->toks[P->ntok++];
    memset(t, 0, sizeof *t);
    t->type = (uint8_t)type;
    t->pos = pos;
    line_col(P, pos, &t->line, &t->col);  /* tokens come in order: the cache makes this linear */
    return t;
}

static void push_text(jparser *P, size_t start, size_t len) {
    if (len == 0) return;
    token *t = push_tok(P, T_TEXT, start);
    t->s.p = P->src + start;
    t->s.n = len;
}

static int is_name_start(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int hexval(int c) { return is_digit(c) ? c - '0' : (c | 32) - 'a' + 10; }

static size_t put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string literal at P->src[i] (the quote); Python unicode-escape rules. */
static size_t lex_string(jparser *P, size_t i, token *t) {
    char q = P->src[i];
    size_t j = i + 1;
    while (j < P->n && P->src[j] != q) {
        if (P->src[j] == '\\') j++;
        j++;
    }
    if (j >= P->n) perr(P, i, "unterminated string");
    char *out = ja_alloc(P->a, j - i + 1);  /* escapes never lengthen */
    size_t o = 0;
    for (size_t k = i + 1; k < j;) {
        char c = P->src[k];
        if (c != '\\') { out[o++] = c; k++; continue; }
        char e = P->src[k + 1];
        k += 2;
        switch (e) {
        case '\n': break;
        case '\\': out[o++] = '\\'; break;
        case '\'': out[o++] = '\''; break;
        case '"': out[o++] = '"'; break;
        case 'a': out[o++] = '\a'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'v': out[o++] = '\v'; break;
        case 'x': case 'u': case 'U': {
            int nd = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            uint32_t cp = 0;
            for (int d = 0; d < nd; d++, k++) {
                if (k >= j || !is_hex(P->src[k])) perr(P, k, "truncated \\%c escape in a string", e);
                cp = cp * 16 + (uint32_t)hexval(P->src[k]);
            }
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                perr(P, k, "\\%c escape in a string is not a character (U+%X)", e, cp);
            o += put_utf8(out + o, cp);
            break;
        }
        default:
            if (e >= '0' && e <= '7') {
                uint32_t cp = (uint32_t)(e - '0');
                for (int d = 0; d < 2 && k < j && P->src[k] >= '0' && P->src[k] <= '7'; d++, k++)
                    cp = cp * 8 + (uint32_t)(P->src[k] - '0');
                o += put_utf8(out + o, cp);
            } else { /* unknown escapes stay as written */
                out[o++] = '\\';
                k--;
            }
        }
    }
    t->type = T_STRING;
    t->s.p = out;
    t->s.n = o;
    return j + 1;
}

/* Numbers as Jinja2 3.1 lexes them: a float is digits with a fraction or an
 * exponent (not right after a '.': "xs.1.5" is xs[1][5]); an integer is
 * decimal without leading zeros, or 0x / 0o / 0b; '_' may separate digits. */
static int digit_ok(char c, int base) { return base == 16 ? is_hex(c) : c >= '0' && c < '0' + base; }

/* The end of a run of digits from j, a '_' allowed between two digits. */
static size_t digits_end(const jparser *P, size_t j, int base) {
    while (j < P->n) {
        if (digit_ok(P->src[j], base)) j++;
        else if (P->src[j] == '_' && j + 1 < P->n && digit_ok(P->src[j + 1], base)) j += 2;
        else break;
    }
    return j;
}

static size_t lex_number(jparser *P, size_t i, token *t) {
    int after_dot = i > 0 && P->src[i - 1] == '.';
    size_t j = digits_end(P, i, 10), end = j;
    int is_float = 0;
    if (!after_dot) {
        if (j + 1 < P->n && P->src[j] == '.' && is_digit(P->src[j + 1])) { is_float = 1; end = j = digits_end(P, j + 1, 10); }
        if (j < P->n && (P->src[j] | 32) == 'e') {
            size_t k = j + 1;
            if (k < P->n && (P->src[k] == '+' || P->src[k] == '-')) k++;
            if (k < P->n && is_digit(P->src[k])) { is_float = 1; end = digits_end(P, k, 10); }
        }
    }
    if (is_float) {
        char *buf = ja_alloc(P->a, end - i + 1);
        size_t b = 0;
        for (size_t k = i; k < end; k++)
            if (P->src[k] != '_') buf[b++] = P->src[k];
        buf[b] = '\0';
        t->type = T_FLOAT;
        t->f = strtod(buf, NULL);  /* 1e999 is inf, as Python's float() */
        return end;
    }
    int base = 10;
    size_t start = i;
    if (P->src[i] == '0' && i + 1 < P->n && P->src[i + 1] && strchr("xXoObB", P->src[i + 1])) {
        char c = (char)(P->src[i + 1] | 32);
        base = c == 'x' ? 16 : c == 'o' ? 8 : 2;
        start = i + 2;
        end = digits_end(P, start, base);
        if (end == start) { base = 10; start = i; end = i + 1; }  /* "0x" alone: the 0, then a name */
    } else if (P->src[i] == '0') {
        end = i + 1;  /* "0(_?0)*": a zero; digits after it start a new token */
        while (end + 1 < P->n && P->src[end] == '_' && P->src[end + 1] == '0') end += 2;
        while (end < P->n && P->src[end] == '0') end++;
    } else {
        end = j;
    }
    int64_t v = 0;
    for (size_t k = start; k < end; k++) {
        if (P->src[k] == '_') continue;
        int d = hexval(P->src[k]);
        if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v))
            perr(P, i, "integer %.*s does not fit in 64 bits", (int)(end - i > 40 ? 40 : end - i), P->src + i);
    }
    t->type = T_INT;
    t->i = v;
    return end;
}

static const char *const ops3[] = {"//", "**", "==", "!=", ">=", "<=", NULL};

/* Tokens inside a tag from i to its end; returns the offset after the end. */
static size_t lex_tag(jparser *P, size_t i, int is_block, size_t open_pos) {
    int depth = 0;
    char stack[JINJA_MAX_EXPR_DEPTH];
    for (;;) {
        size_t ws;
        while (i < P->n && py_space_at(P->src + i, P->n - i, &ws)) i += ws;
        if (i >= P->n)
            perr(P, open_pos, "unexpected end of template: this %s is not closed", is_block ? "'{%'" : "'{{'");
        const char *s = P->src + i;
        size_t rest = P->n - i;
        if (depth == 0) {
            char close = is_block ? '%' : '}';
            size_t k = 0;
            int sign = 0;
            if (s[0] == '-' || (s[0] == '+' && is_block)) { sign = s[0]; k = 1; }
            if (rest >= k + 2 && s[k] == close && s[k + 1] == '}') {
                push_tok(P, is_block ? T_BLOCK_END : T_VAR_END, i);
                i += k + 2;
                if (sign == '-') i += py_lspace_len(P->src + i, P->n - i);
                else if (is_block && sign == 0 && i < P->n && P->src[i] == '\n') i++;
                return i;
            }
        }
        token *t = push_tok(P, T_OP, i);
        unsigned char c = (unsigned char)s[0];
        if (is_name_start(c)) {
            size_t j = i + 1;
            while (j < P->n && (is_name_start(P->src[j]) || is_digit(P->src[j]))) j++;
            t->type = T_NAME;
            t->s.p = P->src + i;
            t->s.n = j - i;
            i = j;
        } else if (is_digit(c)) {
            i = lex_number(P, i, t);
        } else if (c == '\'' || c == '"') {
            i = lex_string(P, i, t);
        } else {
            int matched = 0;
            for (int k = 0; ops3[k]; k++)
                if (rest >= 2 && s[0] == ops3[k][0] && s[1] == ops3[k][1]) {
                    memcpy(t->op, ops3[k], 2);
                    i += 2;
                    matched = 1;
                    break;
                }
            if (!matched) {
                if (!strchr("+-*/%~[](){}=.:|,<>", c) || c == 0) {
                    if (c >= 0x20 && c < 0x7f) perr(P, i, "unexpected character '%c'", c);
                    perr(P, i, "unexpected character (byte 0x%02x)", c);
                }
                t->op[0] = (char)c;
                i++;
                if (c == '(' || c == '[' || c == '{') {
                    if (depth >= JINJA_MAX_EXPR_DEPTH) perr(P, t->pos, "brackets nested too deeply");
                    stack[depth++] = (char)(c == '(' ? ')' : c == '[' ? ']' : '}');
                } else if (c == ')' || c == ']' || c == '}') {
                    if (depth == 0 || stack[depth - 1] != (char)c) perr(P, t->pos, "unexpected '%c'", c);
                    depth--;
                }
            }
        }
    }
}

/* Does a "{% raw %}"-style tag named word start at i? Sets *end past it and
 * *sign to its closing sign. */
static int match_word_tag(jparser *P, size_t i, const char *word, size_t *end, int *close_sign) {
    size_t j = i + 2, ws, wl = strlen(word);
    if (j < P->n && (P->src[j] == '-' || P->src[j] == '+')) j++;
    while (j < P->n && py_space_at(P->src + j, P->n - j, &ws)) j += ws;
    if (P->n - j < wl || memcmp(P->src + j, word, wl) != 0) return 0;
    j += wl;
    if (j < P->n && (is_name_start(P->src[j]) || is_digit(P->src[j]))) return 0;
    while (j < P->n && py_space_at(P->src + j, P->n - j, &ws)) j += ws;
    int sign = 0;
    if (j < P->n && (P->src[j] == '-' || P->src[j] == '+')) sign = P->src[j++];
    if (P->n - j < 2 || P->src[j] != '%' || P->src[j + 1] != '}') return 0;
    *end = j + 2;
    *close_sign = sign;
    return 1;
}

/* Text from start to tag_pos, before a tag whose opening sign is sign. */
static void push_text_before(jparser *P, size_t start, size_t tag_pos, int sign, int is_var, int line_starting) {
    size_t len = tag_pos - start;
    const char *text = P->src + start;
    if (sign == '-') {
        len = py_rstrip_len(text, len);
    } else if (sign != '+' && !is_var) {
        size_t l = len;
        while (l > 0 && text[l - 1] != '\n') l--;
        if (l > 0 || line_starting) {  /* Jinja2 3.1: whitespace_re (\s+, Unicode) from the line start */
            if (py_lspace_len(text + l, len - l) == len - l) len = l;
        }
    }
    push_text(P, start, len);
}

static void lex(jparser *P) {
    size_t i = 0;
    int line_starting = 1;
    while (i < P->n) {
        size_t t = i;
        while (t + 1 < P->n && !(P->src[t] == '{' && (P->src[t + 1] == '{' || P->src[t + 1] == '%' || P->src[t + 1] == '#')))
            t++;
        if (t + 1 >= P->n) {
            push_text(P, i, P->n - i);
            break;
        }
        char kind = P->src[t + 1];
        int sign = 0;
        if (t + 2 < P->n && (P->src[t + 2] == '-' || P->src[t + 2] == '+')) sign = P->src[t + 2];
        size_t end;
        int close_sign;
        if (kind == '%' && match_word_tag(P, t, "raw", &end, &close_sign)) {
            push_text_before(P, i, t, sign, 0, line_starting);
            if (close_sign == '-') end += py_lspace_len(P->src + end, P->n - end);
            else if (close_sign == '+') perr(P, t, "'+%%}' is not allowed after raw");
            size_t body = end, r = end, endraw_end;
            line_starting = end > 0 && P->src[end - 1] == '\n';
            for (;;) {
                while (r + 1 < P->n && !(P->src[r] == '{' && P->src[r + 1] == '%')) r++;
                if (r + 1 >= P->n) perr(P, t, "missing {%% endraw %%} for this raw block");
                if (match_word_tag(P, r, "endraw", &endraw_end, &close_sign)) break;
                r++;
            }
            int s2 = (r + 2 < P->n && (P->src[r + 2] == '-' || P->src[r + 2] == '+')) ? P->src[r + 2] : 0;
            push_text_before(P, body, r, s2, 0, line_starting);
            i = endraw_end;
            if (close_sign == '-') i += py_lspace_len(P->src + i, P->n - i);
            else if (close_sign == 0 && i < P->n && P->src[i] == '\n') i++;
            line_starting = i > 0 && P->src[i - 1] == '\n';
            continue;
        }
        push_text_before(P, i, t, sign, kind == '{', line_starting);
        size_t after = t + 2 + (sign ? 1 : 0);
        if (kind == '#') {
            size_t j = after;
            while (j + 1 < P->n && !(P->src[j] == '#' && P->src[j + 1] == '}')) j++;
            if (j + 1 >= P->n) perr(P, t, "unterminated comment");
            int csign = j > after && (P->src[j - 1] == '-' || P->src[j - 1] == '+') ? P->src[j - 1] : 0;
            i = j + 2;
            if (csign == '-') i += py_lspace_len(P->src + i, P->n - i);
            else if (csign == 0 && i < P->n && P->src[i] == '\n') i++;
        } else {
            push_tok(P, kind == '%' ? T_BLOCK_BEGIN : T_VAR_BEGIN, t);
            i = lex_tag(P, after, kind == '%', t);
        }
        line_starting = i > 0 && P->src[i - 1] == '\n';
    }
    push_tok(P, T_EOF, P->n);
}

/* ---------------- parser ---------------- */
int jinja_symbol(struct gpt_template *tpl, const char *p, size_t n) {
    for (int k = 0; k < tpl->nsym; k++)
        if (tpl->syms[k].n == n && memcmp(tpl->syms[k].p, p, n) == 0) return k;
    if (tpl->nsym == 0 || (tpl->nsym >= 16 && (tpl->nsym & (tpl->nsym - 1)) == 0)) { /* grow at powers of two */
        size_t cap = tpl->nsym ? (size_t)tpl->nsym * 2 : 16;
        tpl->syms = ja_grow(&tpl->arena, tpl->syms, (size_t)tpl->nsym * sizeof(jstr), cap * sizeof(jstr));
    }
    tpl->syms[tpl->nsym].p = ja_strdup(&tpl->arena, p, n);
    tpl->syms[tpl->nsym].n = n;
    return tpl->nsym++;
}

static token *cur(jparser *P) { return &P->toks[P->pos]; }
static token *peek(jparser *P, size_t k) { return P->pos + k < P->ntok ? &P->toks[P->pos + k] : &P->toks[P->ntok - 1]; }
static void advance(jparser *P) { if (P->toks[P->pos].type != T_EOF) P->pos++; }
static int is_op(const token *t, const char *op) { return t->type == T_OP && strcmp(t->op, op) == 0; }
static int is_name(const token *t, const char *name) {
    return t->type == T_NAME && t->s.n == strlen(name) && memcmp(t->s.p, name, t->s.n) == 0;
}

static const char *describe(const token *t, char *buf, size_t len) {
    switch (t->type) {
    case T_EOF: return "end of template";
    case T_TEXT: return "text";
    case T_VAR_BEGIN: return "'{{'";
    case T_VAR_END: return "'}}'";
    case T_BLOCK_BEGIN: return "'{%'";
    case T_BLOCK_END: return "'%}'";
    case T_NAME: snprintf(buf, len, "'%.*s'", (int)(t->s.n > 40 ? 40 : t->s.n), t->s.p); return buf;
    case T_STRING: return "a string";
    case T_INT: case T_FLOAT: return "a number";
    default: snprintf(buf, len, "'%s'", t->op); return buf;
    }
}

_Noreturn static void unexpected(jparser *P, const char *wanted) {
    char buf[64];
    token *t = cur(P);
    if (wanted) perr(P, t->pos, "expected %s, got %s", wanted, describe(t, buf, sizeof buf));
    perr(P, t->pos, "unexpected %s", describe(t, buf, sizeof buf));
}

static void expect_op(jparser *P, const char *op) {
    if (!is_op(cur(P), op)) {
        char w[16];
        snprintf(w, sizeof w, "'%s'", op);
        unexpected(P, w);
    }
    advance(P);
}

static void expect_type(jparser *P, int type, const char *what) {
    if (cur(P)->type != type) unexpected(P, what);
    advance(P);
}

static jexpr *new_expr(jparser *P, int kind, const token *at) {
    jexpr *e = ja_alloc(P->a, sizeof *e);
    memset(e, 0, sizeof *e);
    e->kind = (uint8_t)kind;
    e->line = at->line;
    e->col = at->col;
    return e;
}

/* Sets e's depth from its children's and refuses trees too deep to walk. */
static jexpr *fin(jparser *P, jexpr *e, const token *at) {
    int d = 0;
    jexpr *kids[3] = {e->a, e->b, e->c};
    for (int k = 0; k < 3; k++) if (kids[k] && kids[k]->depth > d) d = kids[k]->depth;
    for (int k = 0; k < e->nargs; k++) if (e->args[k] && e->args[k]->depth > d) d = e->args[k]->depth;
    for (int k = 0; k < e->nkw; k++) if (e->kwargs[k] && e->kwargs[k]->depth > d) d = e->kwargs[k]->depth;
    e->depth = d + 1;
    if (e->depth > JINJA_MAX_EXPR_DEPTH) perr(P, at->pos, "expression nested more than %d deep", JINJA_MAX_EXPR_DEPTH);
    return e;
}

typedef struct { void **v; int n, cap; } ptrvec;
static void pv_push(jparser *P, ptrvec *pv, void *x) {
    if (pv->n == pv->cap) {
        int cap = pv->cap ? pv->cap * 2 : 4;
        pv->v = ja_grow(P->a, pv->v, (size_t)pv->n * sizeof(void *), (size_t)cap * sizeof(void *));
        pv->cap = cap;
    }
    pv->v[pv->n++] = x;
}

/* Counts the parser's own recursion (nested brackets, not, unary signs). */
static void enter(jparser *P) {
    if (++P->rec > 3 * JINJA_MAX_EXPR_DEPTH) perr(P, cur(P)->pos, "expression nested more than %d deep", JINJA_MAX_EXPR_DEPTH);
}

static jexpr *parse_expression(jparser *P, int with_cond);
static jexpr *parse_unary(jparser *P, int with_filter);
static jexpr *parse_primary(jparser *P);
static jexpr *parse_postfix(jparser *P, jexpr *e);

/* Arguments of a call after '(' up to ')'. */
static void parse_call_args(jparser *P, jexpr *e) {
    ptrvec args = {0}, kwv = {0};
    jstr *kwn = NULL;
    int nkw = 0, kwcap = 0;
    expect_op(P, "(");
    while (!is_op(cur(P), ")")) {
        if (args.n + nkw > 0) expect_op(P, ",");
        if (is_op(cur(P), ")")) break;
        if (is_op(cur(P), "*") || is_op(cur(P), "**")) perr(P, cur(P)->pos, "*args and **kwargs are not supported");
        if (cur(P)->type == T_NAME && is_op(peek(P, 1), "=")) {
            if (nkw == kwcap) {
                int cap = kwcap ? kwcap * 2 : 4;
                kwn = ja_grow(P->a, kwn, (size_t)nkw * sizeof(jstr), (size_t)cap * sizeof(jstr));
                kwcap = cap;
            }
            kwn[nkw++] = cur(P)->s;
            advance(P);
            advance(P);
            pv_push(P, &kwv, parse_expression(P, 1));
        } else {
            if (nkw) perr(P, cur(P)->pos, "a positional argument follows a keyword argument");
            pv_push(P, &args, parse_expression(P, 1));
        }
    }
    advance(P);
    e->args = (jexpr **)args.v;
    e->nargs = args.n;
    e->kwnames = kwn;
    e->kwargs = (jexpr **)kwv.v;
    e->nkw = nkw;
}

/* An expression, or a tuple of them separated by commas. */
static jexpr *parse_tuple(jparser *P, int with_cond, int explicit_parens) {
    token *at = cur(P);
    ptrvec items = {0};
    int is_tuple = 0;
    for (;;) {
        if (items.n) expect_op(P, ",");
        token *t = cur(P);
        if (t->type == T_VAR_END || t->type == T_BLOCK_END || is_op(t, ")") || is_name(t, "recursive")) {
            if (items.n == 0 && !explicit_parens) unexpected(P, "an expression");
            break;
        }
        pv_push(P, &items, parse_expression(P, with_cond));
        if (!is_op(cur(P), ",")) break;
        is_tuple = 1;
    }
    if (!is_tuple && items.n == 1) return items.v[0];
    jexpr *e = new_expr(P, JE_TUPLE, at);
    e->args = (jexpr **)items.v;
    e->nargs = items.n;
    return fin(P, e, at);
}

static jexpr *parse_primary(jparser *P) {
    token *t = cur(P);
    jexpr *e;
    switch (t->type) {
    case T_NAME:
        advance(P);
        e = new_expr(P, JE_CONST, t);
        if (is_name(t, "true") || is_name(t, "True")) { e->cval.type = JV_BOOL; e->cval.u.b = 1; }
        else if (is_name(t, "false") || is_name(t, "False")) { e->cval.type = JV_BOOL; e->cval.u.b = 0; }
        else if (is_name(t, "none") || is_name(t, "None")) e->cval.type = JV_NONE;
        else { e->kind = JE_NAME; e->id = jinja_symbol(P->tpl, t->s.p, t->s.n); e->name = t->s; }
        return fin(P, e, t);
    case T_STRING: {
        size_t n = 0, k = P->pos;
        while (P->toks[k].type == T_STRING) n += P->toks[k++].s.n;
        char *s = ja_alloc(P->a, n + 1);
        n = 0;
        while (cur(P)->type == T_STRING) {
            memcpy(s + n, cur(P)->s.p, cur(P)->s.n);
            n += cur(P)->s.n;
            advance(P);
        }
        e = new_expr(P, JE_CONST, t);
        e->cval.type = JV_STR;
        e->cval.u.s.p = s;
        e->cval.u.s.n = n;
        return fin(P, e, t);
    }
    case T_INT:
        advance(P);
        e = new_expr(P, JE_CONST, t);
        e->cval.type = JV_INT;
        e->cval.u.i = t->i;
        return fin(P, e, t);
    case T_FLOAT:
        advance(P);
        e = new_expr(P, JE_CONST, t);
        e->cval.type = JV_FLOAT;
        e->cval.u.f = t->f;
        return fin(P, e, t);
    default:
        break;
    }
    if (is_op(t, "(")) {
        advance(P);
        e = parse_tuple(P, 1, 1);
        expect_op(P, ")");
        return e;
    }
    if (is_op(t, "[")) {
        advance(P);
        ptrvec items = {0};
        while (!is_op(cur(P), "]")) {
            if (items.n) expect_op(P, ",");
            if (is_op(cur(P), "]")) break;
            pv_push(P, &items, parse_expression(P, 1));
        }
        advance(P);
        e = new_expr(P, JE_LIST, t);
        e->args = (jexpr **)items.v;
        e->nargs = items.n;
        return fin(P, e, t);
    }
    if (is_op(t, "{")) {
        advance(P);
        ptrvec keys = {0}, vals = {0};
        while (!is_op(cur(P), "}")) {
            if (keys.n) expect_op(P, ",");
            if (is_op(cur(P), "}")) break;
            pv_push(P, &keys, parse_expression(P, 1));
            expect_op(P, ":");
            pv_push(P, &vals, parse_expression(P, 1));
        }
        advance(P);
        e = new_expr(P, JE_DICT, t);
        e->args = (jexpr **)keys.v;
        e->nargs = keys.n;
        e->kwargs = (jexpr **)vals.v;
        e->nkw = vals.n;
        return fin(P, e, t);
    }
    unexpected(P, "an expression");
}

static jexpr *parse_postfix(jparser *P, jexpr *e) {
    for (;;) {
        token *t = cur(P);
        if (is_op(t, ".")) {
            advance(P);
            token *n = cur(P);
            if (n->type == T_NAME) {
                advance(P);
                jexpr *x = new_expr(P, JE_ATTR, t);
                x->a = e;
                x->name = n->s;
                e = fin(P, x, t);
            } else if (n->type == T_INT) {
                advance(P);
                jexpr *k = new_expr(P, JE_CONST, n);
                k->cval.type = JV_INT;
                k->cval.u.i = n->i;
                fin(P, k, n);
                jexpr *x = new_expr(P, JE_ITEM, t);
                x->a = e;
                x->b = k;
                e = fin(P, x, t);
            } else {
                unexpected(P, "an attribute name");
            }
        } else if (is_op(t, "[")) {
            advance(P);
            jexpr *parts[3] = {NULL, NULL, NULL};
            int colons = 0;
            for (;;) {
                token *u = cur(P);
                if (is_op(u, "]")) break;
                if (is_op(u, ":")) {
                    if (++colons > 2) unexpected(P, "']'");
                    advance(P);
                    continue;
                }
                if (is_op(u, ",")) perr(P, u->pos, "tuple subscripts are not supported");
                if (parts[colons]) unexpected(P, "']' or ':'");
                parts[colons] = parse_expression(P, 1);
            }
            advance(P);
            jexpr *x;
            if (colons == 0) {
                if (!parts[0]) perr(P, t->pos, "empty subscript");
                x = new_expr(P, JE_ITEM, t);
                x->b = parts[0];
            } else {
                x = new_expr(P, JE_SLICE, t);
                x->b = parts[0];
                x->c = parts[1];
                x->args = ja_alloc(P->a, sizeof(jexpr *));
                x->args[0] = parts[2];
                x->nargs = 1;
            }
            x->a = e;
            e = fin(P, x, t);
        } else if (is_op(t, "(")) {
            jexpr *x = new_expr(P, JE_CALL, t);
            x->a = e;
            parse_call_args(P, x);
            e = fin(P, x, t);
        } else {
            return e;
        }
    }
}

/* e | filter ... and e is test ...: what binds tighter than any operator. */
static jexpr *parse_filters(jparser *P, jexpr *e) {
    for (;;) {
        token *t = cur(P);
        if (is_op(t, "|")) {
            advance(P);
            token *n = cur(P);
            if (n->type != T_NAME) unexpected(P, "a filter name");
            advance(P);
            jexpr *x = new_expr(P, JE_FILTER, n);
            x->a = e;
            x->name = n->s;
            x->id = jinja_filter_id(n->s.p, n->s.n);
            if (x->id < 0) perr(P, n->pos, "no filter named '%.*s'", (int)n->s.n, n->s.p);
            if (is_op(cur(P), "(")) parse_call_args(P, x);
            e = fin(P, x, t);
        } else if (is_name(t, "is")) {
            advance(P);
            jexpr *x = new_expr(P, JE_TEST, t);
            if (is_name(cur(P), "not")) { x->op = 1; advance(P); }
            token *n = cur(P);
            if (n->type != T_NAME) unexpected(P, "a test name");
            advance(P);
            x->a = e;
            x->name = n->s;
            x->id = jinja_test_id(n->s.p, n->s.n);
            if (x->id < 0) perr(P, n->pos, "no test named '%.*s'", (int)n->s.n, n->s.p);
            token *u = cur(P);
            if (is_op(u, "(")) {
                parse_call_args(P, x);
            } else if ((u->type == T_NAME || u->type == T_STRING || u->type == T_INT || u->type == T_FLOAT ||
                        is_op(u, "[") || is_op(u, "{")) &&
                       !is_name(u, "else") && !is_name(u, "or") && !is_name(u, "and")) {
                if (is_name(u, "is")) perr(P, u->pos, "tests cannot be chained with 'is'");
                enter(P);
                jexpr *arg = parse_postfix(P, parse_primary(P));
                x->args = ja_alloc(P->a, sizeof(jexpr *));
                x->args[0] = arg;
                x->nargs = 1;
            }
            e = fin(P, x, t);
        } else if (is_op(t, "(")) {
            jexpr *x = new_expr(P, JE_CALL, t);
            x->a = e;
            parse_call_args(P, x);
            e = fin(P, x, t);
        } else {
            return e;
        }
    }
}

static jexpr *parse_unary(jparser *P, int with_filter) {
    token *t = cur(P);
    int depth = P->rec;
    enter(P);
    jexpr *e;
    if (is_op(t, "-") || is_op(t, "+")) {
        advance(P);
        e = new_expr(P, is_op(t, "-") ? JE_NEG : JE_POS, t);
        e->a = parse_unary(P, 0);
        e = fin(P, e, t);
    } else {
        e = parse_primary(P);
    }
    e = parse_postfix(P, e);
    if (with_filter) e = parse_filters(P, e);
    P->rec = depth;
    return e;
}

static jexpr *binary(jparser *P, int kind, int op, jexpr *a, jexpr *b, const token *at) {
    jexpr *e = new_expr(P, kind, at);
    e->op = (uint8_t)op;
    e->a = a;
    e->b = b;
    return fin(P, e, at);
}

static jexpr *parse_pow(jparser *P) {
    jexpr *e = parse_unary(P, 1);
    while (is_op(cur(P), "**")) {
        token *t = cur(P);
        advance(P);
        e = binary(P, JE_BIN, JOP_POW, e, parse_unary(P, 1), t);
    }
    return e;
}

static jexpr *parse_math2(jparser *P) {
    jexpr *e = parse_pow(P);
    for (;;) {
        token *t = cur(P);
        int op = is_op(t, "*") ? JOP_MUL : is_op(t, "/") ? JOP_DIV : is_op(t, "//") ? JOP_FLOORDIV : is_op(t, "%") ? JOP_MOD : -1;
        if (op < 0) return e;
        advance(P);
        e = binary(P, JE_BIN, op, e, parse_pow(P), t);
    }
}

static jexpr *parse_concat(jparser *P) {
    jexpr *e = parse_math2(P);
    while (is_op(cur(P), "~")) {
        token *t = cur(P);
        advance(P);
        e = binary(P, JE_BIN, JOP_CONCAT, e, parse_math2(P), t);
    }
    return e;
}

static jexpr *parse_math1(jparser *P) {
    jexpr *e = parse_concat(P);
    for (;;) {
        token *t = cur(P);
        int op = is_op(t, "+") ? JOP_ADD : is_op(t, "-") ? JOP_SUB : -1;
        if (op < 0) return e;
        advance(P);
        e = binary(P, JE_BIN, op, e, parse_concat(P), t);
    }
}

static jexpr *parse_compare(jparser *P) {
    token *at = cur(P);
    jexpr *e = parse_math1(P);
    ptrvec operands = {0};
    uint8_t ops[64];
    for (;;) {
        token *t = cur(P);
        int op;
        if (is_op(t, "==")) op = JOP_EQ;
        else if (is_op(t, "!=")) op = JOP_NE;
        else if (is_op(t, "<")) op = JOP_LT;
        else if (is_op(t, "<=")) op = JOP_LE;
        else if (is_op(t, ">")) op = JOP_GT;
        else if (is_op(t, ">=")) op = JOP_GE;
        else if (is_name(t, "in")) op = JOP_IN;
        else if (is_name(t, "not") && is_name(peek(P, 1), "in")) { op = JOP_NOTIN; advance(P); }
        else break;
        advance(P);
        if (operands.n == 64) perr(P, t->pos, "more than 64 comparisons in a chain");
        ops[operands.n] = (uint8_t)op;
        pv_push(P, &operands, parse_math1(P));
    }
    if (!operands.n) return e;
    jexpr *c = new_expr(P, JE_CMP, at);
    c->a = e;
    c->args = (jexpr **)operands.v;
    c->nargs = operands.n;
    c->ops = ja_alloc(P->a, (size_t)operands.n);
    memcpy(c->ops, ops, (size_t)operands.n);
    return fin(P, c, at);
}

static jexpr *parse_not(jparser *P) {
    token *t = cur(P);
    if (is_name(t, "not")) {
        int depth = P->rec;
        enter(P);
        advance(P);
        jexpr *e = new_expr(P, JE_NOT, t);
        e->a = parse_not(P);
        P->rec = depth;
        return fin(P, e, t);
    }
    return parse_compare(P);
}

static jexpr *parse_and(jparser *P) {
    jexpr *e = parse_not(P);
    while (is_name(cur(P), "and")) {
        token *t = cur(P);
        advance(P);
        e = binary(P, JE_AND, 0, e, parse_not(P), t);
    }
    return e;
}

static jexpr *parse_or(jparser *P) {
    jexpr *e = parse_and(P);
    while (is_name(cur(P), "or")) {
        token *t = cur(P);
        advance(P);
        e = binary(P, JE_OR, 0, e, parse_and(P), t);
    }
    return e;
}

static jexpr *parse_expression(jparser *P, int with_cond) {
    int depth = P->rec;
    enter(P);
    jexpr *e = parse_or(P);
    while (with_cond && is_name(cur(P), "if")) {
        token *t = cur(P);
        advance(P);
        jexpr *c = new_expr(P, JE_COND, t);
        c->c = parse_or(P);
        c->a = e;
        if (is_name(cur(P), "else")) {
            advance(P);
            c->b = parse_expression(P, 1);
        }
        e = fin(P, c, t);
    }
    P->rec = depth;
    return e;
}

/* ---------------- statements ---------------- */
static jstmt *new_stmt(jparser *P, int kind, const token *at) {
    jstmt *s = ja_alloc(P->a, sizeof *s);
    memset(s, 0, sizeof *s);
    s->kind = (uint8_t)kind;
    s->line = at->line;
    return s;
}

static jstmt **parse_body(jparser *P, const char *const *ends, int *nbody, int *which, const token *opener);

static void expect_block_end(jparser *P) { expect_type(P, T_BLOCK_END, "'%}'"); }

/* Names assigned by for/set: "a" or "a, b" or "(a, b)". */
static void parse_targets(jparser *P, jstmt *s) {
    int parens = 0;
    if (is_op(cur(P), "(")) { parens = 1; advance(P); }
    int cap = 0;
    for (;;) {
        token *t = cur(P);
        if (t->type != T_NAME) unexpected(P, "a variable name");
        advance(P);
        if (s->ntargets == cap) {
            cap = cap ? cap * 2 : 2;
            s->targets = ja_grow(P->a, s->targets, (size_t)s->ntargets * sizeof(int), (size_t)cap * sizeof(int));
        }
        s->targets[s->ntargets++] = jinja_symbol(P->tpl, t->s.p, t->s.n);
        if (!is_op(cur(P), ",")) break;
        s->unpack = 1;
        advance(P);
        if (parens && is_op(cur(P), ")")) break;
    }
    if (parens) { s->unpack = 1; expect_op(P, ")"); }
}

static jstmt *parse_for(jparser *P, token *at) {
    jstmt *s = new_stmt(P, JS_FOR, at);
    parse_targets(P, s);
    if (!is_name(cur(P), "in")) unexpected(P, "'in'");
    advance(P);
    s->e = parse_tuple(P, 0, 0);
    if (is_name(cur(P), "if")) {
        advance(P);
        s->cond = parse_expression(P, 1);
    }
    if (is_name(cur(P), "recursive")) perr(P, cur(P)->pos, "recursive loops are not supported");
    expect_block_end(P);
    static const char *const ends[] = {"endfor", "else", NULL};
    static const char *const end_only[] = {"endfor", NULL};
    int which;
    P->loop_depth++;
    s->body = parse_body(P, ends, &s->nbody, &which, at);
    P->loop_depth--;
    if (which == 1) {
        advance(P);
        expect_block_end(P);
        s->alt = parse_body(P, end_only, &s->nalt, &which, at);
    }
    advance(P);
    return s;
}

static jstmt *parse_if(jparser *P, token *at) {
    jstmt *s = new_stmt(P, JS_IF, at);
    s->e = parse_tuple(P, 0, 0);
    expect_block_end(P);
    static const char *const ends[] = {"endif", "elif", "else", NULL};
    static const char *const end_only[] = {"endif", NULL};
    int which;
    s->body = parse_body(P, ends, &s->nbody, &which, at);
    if (which == 1) {
        token *t = cur(P);
        advance(P);
        s->alt = ja_alloc(P->a, sizeof(jstmt *));
        s->alt[0] = parse_if(P, t);  /* consumes up to and including endif */
        s->nalt = 1;
        return s;
    }
    if (which == 2) {
        advance(P);
        expect_block_end(P);
        s->alt = parse_body(P, end_only, &s->nalt, &which, at);
    }
    advance(P);
    return s;
}

static jstmt *parse_set(jparser *P, token *at) {
    jstmt *s = new_stmt(P, JS_SET, at);
    token *t = cur(P);
    if (t->type == T_NAME && is_op(peek(P, 1), ".")) {
        token *attr = peek(P, 2);
        if (attr->type != T_NAME) { advance(P); advance(P); unexpected(P, "an attribute name"); }
        s->kind = JS_SET_ATTR;
        s->targets = ja_alloc(P->a, sizeof(int));
        s->targets[0] = jinja_symbol(P->tpl, t->s.p, t->s.n);
        s->ntargets = 1;
        s->text = attr->s;
        advance(P); advance(P); advance(P);
        expect_op(P, "=");
        s->e = parse_tuple(P, 1, 0);
        return s;
    }
    parse_targets(P, s);
    if (is_op(cur(P), "=")) {
        advance(P);
        s->e = parse_tuple(P, 1, 0);
        return s;
    }
    if (s->unpack) unexpected(P, "'='");
    s->kind = JS_SET_BLOCK;
    if (is_op(cur(P), "|")) {
        jexpr *hole = new_expr(P, JE_CONST, cur(P));  /* replaced by the captured text */
        hole->cval.type = JV_UNDEF;
        fin(P, hole, cur(P));
        s->e = parse_filters(P, hole);
        s->cond = hole;
    }
    expect_block_end(P);
    static const char *const ends[] = {"endset", NULL};
    int which;
    s->body = parse_body(P, ends, &s->nbody, &which, at);
    advance(P);
    return s;
}

static jstmt *parse_macro(jparser *P, token *at) {
    jstmt *s = new_stmt(P, JS_MACRO, at);
    token *n = cur(P);
    if (n->type != T_NAME) unexpected(P, "a macro name");
    advance(P);
    s->text = n->s;
    s->ntargets = 0;
    s->sym = jinja_symbol(P->tpl, n->s.p, n->s.n);
    expect_op(P, "(");
    int cap = 0, seen_default = 0;
    while (!is_op(cur(P), ")")) {
        if (s->ntargets) expect_op(P, ",");  /* no trailing comma in a signature, as Jinja2 */
        token *p = cur(P);
        if (p->type != T_NAME) unexpected(P, "a parameter name");
        advance(P);
        if (s->ntargets == cap) {
            cap = cap ? cap * 2 : 4;
            s->targets = ja_grow(P->a, s->targets, (size_t)s->ntargets * sizeof(int), (size_t)cap * sizeof(int));
            s->defaults = ja_grow(P->a, s->defaults, (size_t)s->ntargets * sizeof(jexpr *), (size_t)cap * sizeof(jexpr *));
        }
        s->targets[s->ntargets] = jinja_symbol(P->tpl, p->s.p, p->s.n);
        s->defaults[s->ntargets] = NULL;
        if (is_op(cur(P), "=")) {
            advance(P);
            s->defaults[s->ntargets] = parse_expression(P, 1);
            seen_default = 1;
        } else if (seen_default) {
            perr(P, p->pos, "a parameter without a default follows one with a default");
        }
        s->ntargets++;
    }
    advance(P);
    expect_block_end(P);
    static const char *const ends[] = {"endmacro", NULL};
    int which, saved = P->loop_depth;
    P->loop_depth = 0;
    s->body = parse_body(P, ends, &s->nbody, &which, at);
    P->loop_depth = saved;
    advance(P);
    return s;
}

static jstmt *parse_statement(jparser *P) {
    token *t = cur(P);
    if (t->type != T_NAME) unexpected(P, "a tag name");
    advance(P);
    jstmt *s;
    if (is_name(t, "for")) s = parse_for(P, t);
    else if (is_name(t, "if")) s = parse_if(P, t);
    else if (is_name(t, "set")) s = parse_set(P, t);
    else if (is_name(t, "macro")) s = parse_macro(P, t);
    else if (is_name(t, "break") || is_name(t, "continue")) {
        if (!P->loop_depth) perr(P, t->pos, "'%.*s' outside a loop", (int)t->s.n, t->s.p);
        s = new_stmt(P, is_name(t, "break") ? JS_BREAK : JS_CONTINUE, t);
    } else if (is_name(t, "generation")) {
        /* transformers' {% generation %} marks the assistant's text; it renders its body */
        s = new_stmt(P, JS_IF, t);
        expect_block_end(P);
        static const char *const ends[] = {"endgeneration", NULL};
        int which;
        s->body = parse_body(P, ends, &s->nbody, &which, t);
        advance(P);
    } else {
        perr(P, t->pos, "unknown tag '%.*s'", (int)(t->s.n > 40 ? 40 : t->s.n), t->s.p);
    }
    expect_block_end(P);
    return s;
}

/* Statements up to one of ends (the tag name is left current) or, when
 * ends is NULL, to the end of the template. */
static jstmt **parse_body(jparser *P, const char *const *ends, int *nbody, int *which, const token *opener) {
    ptrvec body = {0};
    if (++P->block_depth > JINJA_MAX_EXPR_DEPTH) perr(P, opener->pos, "blocks nested more than %d deep", JINJA_MAX_EXPR_DEPTH);
    for (;;) {
        token *t = cur(P);
        if (t->type == T_EOF) {
            if (ends) {
                char buf[64];
                perr(P, opener->pos, "this %s is never closed: expected {%% %s %%} before the end of the template",
                     describe(opener, buf, sizeof buf), ends[0]);
            }
            break;
        }
        if (t->type == T_TEXT) {
            jstmt *s = new_stmt(P, JS_TEXT, t);
            s->text = t->s;
            pv_push(P, &body, s);
            advance(P);
        } else if (t->type == T_VAR_BEGIN) {
            advance(P);
            jstmt *s = new_stmt(P, JS_OUTPUT, t);
            s->e = parse_tuple(P, 1, 0);
            expect_type(P, T_VAR_END, "'}}'");
            pv_push(P, &body, s);
        } else if (t->type == T_BLOCK_BEGIN) {
            advance(P);
            token *n = cur(P);
            int hit = -1;
            for (int k = 0; ends && ends[k]; k++)
                if (is_name(n, ends[k])) hit = k;
            if (hit >= 0) {
                *which = hit;
                break;
            }
            if (n->type == T_NAME && ((n->s.n > 3 && memcmp(n->s.p, "end", 3) == 0) || is_name(n, "else") || is_name(n, "elif"))) {
                if (ends) perr(P, n->pos, "unexpected '%.*s': the innermost open block needs '%s'",
                               (int)(n->s.n > 40 ? 40 : n->s.n), n->s.p, ends[0]);
                perr(P, n->pos, "unexpected '%.*s': no block is open", (int)(n->s.n > 40 ? 40 : n->s.n), n->s.p);
            }
            pv_push(P, &body, parse_statement(P));
        } else {
            unexpected(P, NULL);
        }
    }
    P->block_depth--;
    *nbody = body.n;
    return (jstmt **)body.v;
}

void jinja_parse(struct gpt_template *tpl, const char *src0, size_t len, jfail *fail) {
    jparser P;
    memset(&P, 0, sizeof P);
    P.lc_line = 1;
    P.lc_col = 1;
    P.tpl = tpl;
    P.a = &tpl->arena;
    P.fail = fail;
    size_t bad;
    if (!jinja_utf8_valid(src0, len, &bad)) {
        int line = 1;
        for (size_t i = 0; i < bad; i++) line += src0[i] == '\n';
        jfail_raise(fail, GPT_ERR_FORMAT, "line %d: not valid UTF-8 (byte %zu)", line, bad);
    }
    /* newlines normalized; one trailing newline dropped (keep_trailing_newline off) */
    char *src = ja_alloc(P.a, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (src0[i] == '\r') {
            src[n++] = '\n';
            if (i + 1 < len && src0[i + 1] == '\n') i++;
        } else {
            src[n++] = src0[i];
        }
    }
    if (n > 0 && src[n - 1] == '\n') n--;
    src[n] = '\0';
    P.src = src;
    P.n = n;
    lex(&P);
    int which;
    tpl->body = parse_body(&P, NULL, &tpl->nbody, &which, &P.toks[0]);
    tpl->loop_sym = -1;
    for (int k = 0; k < tpl->nsym; k++)
        if (tpl->syms[k].n == 4 && memcmp(tpl->syms[k].p, "loop", 4) == 0) tpl->loop_sym = k;
}
