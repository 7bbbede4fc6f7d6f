/* jinja_eval.c — renders a parsed chat template: values, operators,
 * filters, tests, methods, statements, and the public gpt_template_* calls.
 *
 * Semantics are Jinja2 3.1's as transformers sets it up
 * (ImmutableSandboxedEnvironment: lists and dicts cannot be changed, only a
 * namespace() can; the default Undefined: printing it gives '', most other
 * uses fail with "'x' is undefined"), and Python's for what Python does
 * (str.strip whitespace, repr of lists and floats, json.dumps for tojson).
 * Every render is bounded in steps, output bytes, memory and macro depth. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#include "internal.h"
#include "jinja.h"

#define VALUE_MAX_DEPTH 500  /* nesting of values walked by repr, tojson, == */

typedef struct jframe {
    struct jframe *parent;
    int n, cap;
    int *syms;
    jvalue *vals;
} jframe;

typedef struct { char *p; size_t n, cap; } jbuf;

typedef struct {
    jfail *fail;
    jarena *a;
    const struct gpt_template *t;
    jvalue *globals;        /* (nsym) context variables and global functions by symbol */
    jframe *root;
    jbuf *out;
    long steps, max_steps;
    size_t max_output;
    int depth, max_depth;
    int has_time;
    int64_t time;
    int line;
    const jexpr *hole;      /* {% set x | filter %}: the expression standing for the captured text */
    jvalue hole_val;
} jr;

/* ---------------- errors ---------------- */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
_Noreturn static void rerr(jr *R, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    jfail_raise(R->fail, GPT_ERR_FORMAT, "line %d: %s", R->line, msg);
}

static void step(jr *R) {
    if (++R->steps > R->max_steps) rerr(R, "rendering exceeds %ld steps (a loop that never ends?)", R->max_steps);
}

/* ---------------- values ---------------- */
static jvalue v_none(void) { jvalue v; memset(&v, 0, sizeof v); v.type = JV_NONE; return v; }
static jvalue v_undef(const char *msg) { jvalue v; memset(&v, 0, sizeof v); v.type = JV_UNDEF; v.u.s.p = msg; return v; }
static jvalue v_bool(int b) { jvalue v; memset(&v, 0, sizeof v); v.type = JV_BOOL; v.u.b = !!b; return v; }
static jvalue v_int(int64_t i) { jvalue v; memset(&v, 0, sizeof v); v.type = JV_INT; v.u.i = i; return v; }
static jvalue v_float(double f) { jvalue v; memset(&v, 0, sizeof v); v.type = JV_FLOAT; v.u.f = f; return v; }
static jvalue v_str(const char *p, size_t n) { jvalue v; memset(&v, 0, sizeof v); v.type = JV_STR; v.u.s.p = p; v.u.s.n = n; return v; }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static jvalue v_undef_fmt(jr *R, const char *fmt, ...) {
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return v_undef(ja_strdup(R->a, msg, strlen(msg)));
}

static jlist *new_list(jr *R, size_t cap) {
    jlist *l = ja_alloc(R->a, sizeof *l);
    memset(l, 0, sizeof *l);
    if (cap) l->v = ja_alloc(R->a, cap * sizeof(jvalue));
    l->cap = cap;
    return l;
}

static void list_push(jr *R, jlist *l, jvalue v) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        l->v = ja_grow(R->a, l->v, l->n * sizeof(jvalue), cap * sizeof(jvalue));
        l->cap = cap;
    }
    l->v[l->n++] = v;
}

static jvalue v_list(jlist *l) { jvalue v; memset(&v, 0, sizeof v); v.type = JV_LIST; v.u.l = l; return v; }
static jvalue v_dict(jdict *d, int type) { jvalue v; memset(&v, 0, sizeof v); v.type = (uint8_t)type; v.u.d = d; return v; }

static jdict *new_dict(jr *R) {
    jdict *d = ja_alloc(R->a, sizeof *d);
    memset(d, 0, sizeof *d);
    return d;
}

static int is_num(const jvalue *v) { return v->type == JV_BOOL || v->type == JV_INT || v->type == JV_FLOAT; }
static double num_f(const jvalue *v) { return v->type == JV_FLOAT ? v->u.f : v->type == JV_INT ? (double)v->u.i : (double)v->u.b; }
static int64_t num_i(const jvalue *v) { return v->type == JV_INT ? v->u.i : v->u.b; }

/* Keys equal as Python dict keys: 1 == 1.0 == True, strings by bytes. */
static int key_eq(const jvalue *a, const jvalue *b) {
    if (a->type == JV_STR || b->type == JV_STR)
        return a->type == b->type && a->u.s.n == b->u.s.n && memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0;
    if (is_num(a) && is_num(b)) {
        if (a->type == JV_FLOAT || b->type == JV_FLOAT) return num_f(a) == num_f(b);
        return num_i(a) == num_i(b);
    }
    return a->type == JV_NONE && b->type == JV_NONE;
}

static jvalue *dict_find(const jdict *d, const jvalue *key) {
    for (size_t k = 0; k < d->n; k++)
        if (key_eq(&d->k[k], key)) return &d->v[k];
    return NULL;
}

static jvalue *dict_find_str(const jdict *d, const char *p, size_t n) {
    jvalue key = v_str(p, n);
    return dict_find(d, &key);
}

static void dict_set(jr *R, jdict *d, jvalue key, jvalue val) {
    jvalue *slot = dict_find(d, &key);
    if (slot) { *slot = val; return; }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4;
        d->k = ja_grow(R->a, d->k, d->n * sizeof(jvalue), cap * sizeof(jvalue));
        d->v = ja_grow(R->a, d->v, d->n * sizeof(jvalue), cap * sizeof(jvalue));
        d->cap = cap;
    }
    d->k[d->n] = key;
    d->v[d->n++] = val;
}

static const char *type_name(const jvalue *v) {
    switch (v->type) {
    case JV_UNDEF: return "Undefined";
    case JV_NONE: return "NoneType";
    case JV_BOOL: return "bool";
    case JV_INT: return "int";
    case JV_FLOAT: return "float";
    case JV_STR: return "str";
    case JV_LIST: return v->u.l->gen ? "generator" : v->u.l->tuple ? "tuple" : "list";
    case JV_DICT: return "dict";
    case JV_NS: return "Namespace";
    case JV_MACRO: return "Macro";
    case JV_LOOP: return "LoopContext";
    default: return "builtin_function_or_method";
    }
}

_Noreturn static void undefined_fail(jr *R, const jvalue *v) {
    rerr(R, "%s", v->u.s.p ? v->u.s.p : "undefined value");
}

static int truthy(const jvalue *v) {
    switch (v->type) {
    case JV_UNDEF: case JV_NONE: return 0;
    case JV_BOOL: return v->u.b;
    case JV_INT: return v->u.i != 0;
    case JV_FLOAT: return v->u.f != 0.0;
    case JV_STR: return v->u.s.n != 0;
    case JV_LIST: return v->u.l->gen || v->u.l->n != 0;  /* a generator object is always true */
    case JV_DICT: return v->u.d->n != 0;
    default: return 1;
    }
}

/* ---------------- buffers ---------------- */
static void buf_put(jr *R, jbuf *b, const char *p, size_t n) {
    if (n == 0) return;
    if (b->n + n > R->max_output) rerr(R, "output exceeds %zu bytes", R->max_output);
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->n + n) cap *= 2;
        b->p = ja_grow(R->a, b->p, b->n, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}
static void buf_puts(jr *R, jbuf *b, const char *s) { buf_put(R, b, s, strlen(s)); }
static void buf_putc(jr *R, jbuf *b, char c) { buf_put(R, b, &c, 1); }
static jvalue buf_value(jbuf *b) { return v_str(b->p ? b->p : "", b->n); }

/* ---------------- UTF-8 ---------------- */
static size_t u8_len(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

static uint32_t u8_get(const char *s, size_t *len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t n = u8_len(p[0]);
    *len = n;
    if (n == 1) return p[0];
    if (n == 2) return ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    if (n == 3) return ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) | ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}

static void buf_put_cp(jr *R, jbuf *b, uint32_t cp) {
    char tmp[4];
    size_t n;
    if (cp < 0x80) { tmp[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { tmp[0] = (char)(0xC0 | (cp >> 6)); tmp[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) { tmp[0] = (char)(0xE0 | (cp >> 12)); tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); tmp[2] = (char)(0x80 | (cp & 0x3F)); n = 3; }
    else { tmp[0] = (char)(0xF0 | (cp >> 18)); tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3F)); tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); tmp[3] = (char)(0x80 | (cp & 0x3F)); n = 4; }
    buf_put(R, b, tmp, n);
}

static size_t u8_count(jstr s) {
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++) n += ((unsigned char)s.p[i] & 0xC0) != 0x80;
    return n;
}

/* Byte offset of code point k (k <= count). */
static size_t u8_offset(jstr s, size_t k) {
    size_t i = 0;
    while (k > 0 && i < s.n) { i += u8_len((unsigned char)s.p[i]); k--; }
    return i;
}

static int py_isspace(uint32_t c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* ---------------- str() and repr() ---------------- */
static void put_float(jr *R, jbuf *b, double d, int json) {
    char tmp[40];
    if (isnan(d)) { buf_puts(R, b, json ? "NaN" : "nan"); return; }
    if (isinf(d)) { buf_puts(R, b, d < 0 ? (json ? "-Infinity" : "-inf") : (json ? "Infinity" : "inf")); return; }
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d) break;
    }
    /* tmp: [-]d[.ddd]e[+-]XX; Python's repr: fixed for -4 <= exp < 16 */
    char digits[24];
    int nd = 0, neg = tmp[0] == '-';
    const char *p = tmp + neg;
    for (; *p && *p != 'e'; p++)
        if (*p != '.') digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    char out[64];
    int o = 0;
    if (neg) out[o++] = '-';
    if (exp >= -4 && exp < 16) {
        if (exp < 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (int k = 0; k < -exp - 1; k++) out[o++] = '0';
            for (int k = 0; k < nd; k++) out[o++] = digits[k];
        } else {
            for (int k = 0; k <= exp; k++) out[o++] = k < nd ? digits[k] : '0';
            out[o++] = '.';
            if (nd > exp + 1) for (int k = exp + 1; k < nd; k++) out[o++] = digits[k];
            else out[o++] = '0';
        }
        out[o] = '\0';
    } else {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int k = 1; k < nd; k++) out[o++] = digits[k];
        }
        snprintf(out + o, sizeof out - (size_t)o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    }
    buf_puts(R, b, out);
}

static int py_printable(uint32_t c) {
    if (c == ' ') return 1;
    if (c < 0x20 || c == 0x7F) return 0;
    if (c < 0x7F) return 1;
    switch (utf8proc_category((utf8proc_int32_t)c)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS: case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_ZS:
        return 0;
    default:
        return 1;
    }
}

static void repr_str(jr *R, jbuf *b, jstr s) {
    int has_sq = memchr(s.p, '\'', s.n) != NULL, has_dq = memchr(s.p, '"', s.n) != NULL;
    char q = has_sq && !has_dq ? '"' : '\'';
    buf_putc(R, b, q);
    for (size_t i = 0; i < s.n;) {
        size_t len;
        uint32_t c = u8_get(s.p + i, &len);
        char tmp[16];
        if (c == (uint32_t)q || c == '\\') { buf_putc(R, b, '\\'); buf_putc(R, b, (char)c); }
        else if (c == '\n') buf_puts(R, b, "\\n");
        else if (c == '\r') buf_puts(R, b, "\\r");
        else if (c == '\t') buf_puts(R, b, "\\t");
        else if (py_printable(c)) buf_put(R, b, s.p + i, len);
        else {
            if (c < 0x100) snprintf(tmp, sizeof tmp, "\\x%02x", c);
            else if (c < 0x10000) snprintf(tmp, sizeof tmp, "\\u%04x", c);
            else snprintf(tmp, sizeof tmp, "\\U%08x", c);
            buf_puts(R, b, tmp);
        }
        i += len;
    }
    buf_putc(R, b, q);
}

static void to_str(jr *R, jbuf *b, const jvalue *v);

static void repr(jr *R, jbuf *b, const jvalue *v, int depth) {
    if (depth > VALUE_MAX_DEPTH) rerr(R, "a value nested more than %d deep", VALUE_MAX_DEPTH);
    switch (v->type) {
    case JV_STR: repr_str(R, b, v->u.s); return;
    case JV_UNDEF: buf_puts(R, b, "Undefined"); return;
    case JV_LIST: {
        const jlist *l = v->u.l;
        if (l->gen) { buf_puts(R, b, "<generator object>"); return; }  /* Python adds an address */
        buf_putc(R, b, l->tuple ? '(' : '[');
        for (size_t k = 0; k < l->n; k++) {
            if (k) buf_puts(R, b, ", ");
            repr(R, b, &l->v[k], depth + 1);
        }
        if (l->tuple && l->n == 1) buf_putc(R, b, ',');
        buf_putc(R, b, l->tuple ? ')' : ']');
        return;
    }
    case JV_DICT: case JV_NS: {
        const jdict *d = v->u.d;
        if (v->type == JV_NS) buf_puts(R, b, "<Namespace ");
        buf_putc(R, b, '{');
        for (size_t k = 0; k < d->n; k++) {
            if (k) buf_puts(R, b, ", ");
            repr(R, b, &d->k[k], depth + 1);
            buf_puts(R, b, ": ");
            repr(R, b, &d->v[k], depth + 1);
        }
        buf_putc(R, b, '}');
        if (v->type == JV_NS) buf_putc(R, b, '>');
        return;
    }
    default: to_str(R, b, v);
    }
}

static void to_str(jr *R, jbuf *b, const jvalue *v) {
    char tmp[64];
    switch (v->type) {
    case JV_UNDEF: return;
    case JV_NONE: buf_puts(R, b, "None"); return;
    case JV_BOOL: buf_puts(R, b, v->u.b ? "True" : "False"); return;
    case JV_INT: snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i); buf_puts(R, b, tmp); return;
    case JV_FLOAT: put_float(R, b, v->u.f, 0); return;
    case JV_STR: buf_put(R, b, v->u.s.p, v->u.s.n); return;
    case JV_LIST: case JV_DICT: case JV_NS: repr(R, b, v, 0); return;
    case JV_MACRO:
        buf_puts(R, b, "<Macro '");
        buf_put(R, b, v->u.macro->def->text.p, v->u.macro->def->text.n);
        buf_puts(R, b, "'>");
        return;
    case JV_LOOP:
        snprintf(tmp, sizeof tmp, "<LoopContext %lld/%lld>", (long long)v->u.loop->index0 + 1, (long long)v->u.loop->length);
        buf_puts(R, b, tmp);
        return;
    default: buf_puts(R, b, "<built-in function>"); return;
    }
}

/* str(v) as a string value (strings as they are, no copy). */
static jstr str_of(jr *R, const jvalue *v) {
    if (v->type == JV_STR) return v->u.s;
    jbuf b = {0};
    to_str(R, &b, v);
    jstr s = {b.p ? b.p : "", b.n};
    return s;
}

/* ---------------- tojson (Python json.dumps) ---------------- */
typedef struct { jstr indent; int has_indent, sort_keys, ascii; } json_opts;

static void json_str(jr *R, jbuf *b, jstr s, int ascii) {
    buf_putc(R, b, '"');
    size_t run = 0;
    for (size_t i = 0; i < s.n;) {
        unsigned char c = (unsigned char)s.p[i];
        const char *esc = NULL;
        char tmp[16];
        size_t len = 1;
        if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c == '\n') esc = "\\n";
        else if (c == '\r') esc = "\\r";
        else if (c == '\t') esc = "\\t";
        else if (c == '\b') esc = "\\b";
        else if (c == '\f') esc = "\\f";
        else if (c < 0x20 || (ascii && c == 0x7F)) { snprintf(tmp, sizeof tmp, "\\u%04x", c); esc = tmp; }
        else if (ascii && c >= 0x80) {
            uint32_t cp = u8_get(s.p + i, &len);
            if (cp >= 0x10000) {
                cp -= 0x10000;
                snprintf(tmp, sizeof tmp, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
            } else {
                snprintf(tmp, sizeof tmp, "\\u%04x", cp);
            }
            esc = tmp;
        }
        if (esc) {
            buf_put(R, b, s.p + run, i - run);
            buf_puts(R, b, esc);
            i += len;
            run = i;
        } else {
            i++;
        }
    }
    buf_put(R, b, s.p + run, s.n - run);
    buf_putc(R, b, '"');
}

static void json_newline(jr *R, jbuf *b, const json_opts *o, int level) {
    buf_putc(R, b, '\n');
    for (int k = 0; k < level; k++) buf_put(R, b, o->indent.p, o->indent.n);
}

static int key_less(const jdict *d, size_t x, size_t y) {
    const jstr *a = &d->k[x].u.s, *b = &d->k[y].u.s;
    size_t n = a->n < b->n ? a->n : b->n;
    int c = memcmp(a->p, b->p, n);  /* UTF-8 bytes sort as code points, as Python's str */
    return c ? c < 0 : a->n < b->n;
}

/* A stable merge sort of order[0..n) by key (qsort has no context argument,
 * and renders may run in several threads at once). */
static void sort_keys(jr *R, const jdict *d, size_t *order, size_t n) {
    size_t *tmp = ja_alloc(R->a, n * sizeof(size_t));
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = key_less(d, order[j], order[i]) ? order[j++] : order[i++];
            while (i < mid) tmp[k++] = order[i++];
            while (j < hi) tmp[k++] = order[j++];
        }
        memcpy(order, tmp, n * sizeof(size_t));
    }
}

static void tojson(jr *R, jbuf *b, const jvalue *v, const json_opts *o, int level) {
    if (level > VALUE_MAX_DEPTH) rerr(R, "a value nested more than %d deep", VALUE_MAX_DEPTH);
    char tmp[32];
    switch (v->type) {
    case JV_NONE: buf_puts(R, b, "null"); return;
    case JV_BOOL: buf_puts(R, b, v->u.b ? "true" : "false"); return;
    case JV_INT: snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i); buf_puts(R, b, tmp); return;
    case JV_FLOAT: put_float(R, b, v->u.f, 1); return;
    case JV_STR: json_str(R, b, v->u.s, o->ascii); return;
    case JV_LIST: {
        const jlist *l = v->u.l;
        if (l->gen) rerr(R, "Object of type generator is not JSON serializable");
        if (!l->n) { buf_puts(R, b, "[]"); return; }
        buf_putc(R, b, '[');
        for (size_t k = 0; k < l->n; k++) {
            if (k) buf_puts(R, b, o->has_indent ? "," : ", ");
            if (o->has_indent) json_newline(R, b, o, level + 1);
            tojson(R, b, &l->v[k], o, level + 1);
        }
        if (o->has_indent) json_newline(R, b, o, level);
        buf_putc(R, b, ']');
        return;
    }
    case JV_DICT: {
        const jdict *d = v->u.d;
        if (!d->n) { buf_puts(R, b, "{}"); return; }
        size_t *order = ja_alloc(R->a, d->n * sizeof(size_t));
        for (size_t k = 0; k < d->n; k++) order[k] = k;
        if (o->sort_keys) {
            for (size_t k = 0; k < d->n; k++)
                if (d->k[k].type != JV_STR) rerr(R, "tojson: sort_keys needs string keys");
            sort_keys(R, d, order, d->n);
        }
        buf_putc(R, b, '{');
        for (size_t j = 0; j < d->n; j++) {
            size_t k = order[j];
            if (j) buf_puts(R, b, o->has_indent ? "," : ", ");
            if (o->has_indent) json_newline(R, b, o, level + 1);
            const jvalue *key = &d->k[k];
            if (key->type == JV_STR) json_str(R, b, key->u.s, o->ascii);
            else if (key->type == JV_NONE) buf_puts(R, b, "\"null\"");
            else if (key->type == JV_BOOL) buf_puts(R, b, key->u.b ? "\"true\"" : "\"false\"");
            else if (key->type == JV_INT || key->type == JV_FLOAT) { buf_putc(R, b, '"'); tojson(R, b, key, o, level + 1); buf_putc(R, b, '"'); }
            else rerr(R, "keys must be str, int, float, bool or None, not %s", type_name(key));
            buf_puts(R, b, ": ");
            tojson(R, b, &d->v[k], o, level + 1);
        }
        if (o->has_indent) json_newline(R, b, o, level);
        buf_putc(R, b, '}');
        return;
    }
    default: rerr(R, "Object of type %s is not JSON serializable", type_name(v));
    }
}

/* ---------------- comparison ---------------- */
static int veq(jr *R, const jvalue *a, const jvalue *b, int depth) {
    if (depth > VALUE_MAX_DEPTH) rerr(R, "a value nested more than %d deep", VALUE_MAX_DEPTH);
    if (is_num(a) && is_num(b)) {
        if (a->type == JV_FLOAT || b->type == JV_FLOAT) return num_f(a) == num_f(b);
        return num_i(a) == num_i(b);
    }
    if (a->type != b->type) return 0;
    switch (a->type) {
    case JV_UNDEF: case JV_NONE: return 1;
    case JV_STR: return a->u.s.n == b->u.s.n && memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0;
    case JV_LIST:
        if (a->u.l->gen || b->u.l->gen) return a->u.l == b->u.l;
        if (a->u.l->tuple != b->u.l->tuple || a->u.l->n != b->u.l->n) return 0;
        for (size_t k = 0; k < a->u.l->n; k++)
            if (!veq(R, &a->u.l->v[k], &b->u.l->v[k], depth + 1)) return 0;
        return 1;
    case JV_DICT:
        if (a->u.d->n != b->u.d->n) return 0;
        for (size_t k = 0; k < a->u.d->n; k++) {
            const jvalue *w = dict_find(b->u.d, &a->u.d->k[k]);
            if (!w || !veq(R, &a->u.d->v[k], w, depth + 1)) return 0;
        }
        return 1;
    case JV_NS: return a->u.d == b->u.d;
    case JV_MACRO: return a->u.macro == b->u.macro;
    case JV_FUNC: return a->u.fn == b->u.fn;
    default: return 0;
    }
}

/* <0, 0, >0 for a < b as Python orders them, or a TypeError. */
static int vcmp(jr *R, const jvalue *a, const jvalue *b, const char *op, int depth) {
    if (depth > VALUE_MAX_DEPTH) rerr(R, "a value nested more than %d deep", VALUE_MAX_DEPTH);
    if (a->type == JV_UNDEF) undefined_fail(R, a);
    if (b->type == JV_UNDEF) undefined_fail(R, b);
    if (is_num(a) && is_num(b)) {
        if (a->type == JV_FLOAT || b->type == JV_FLOAT) {
            double x = num_f(a), y = num_f(b);
            return (x > y) - (x < y);
        }
        int64_t x = num_i(a), y = num_i(b);
        return (x > y) - (x < y);
    }
    if (a->type == JV_STR && b->type == JV_STR) {
        size_t n = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
        int c = memcmp(a->u.s.p, b->u.s.p, n);
        return c ? c : (a->u.s.n > b->u.s.n) - (a->u.s.n < b->u.s.n);
    }
    if (a->type == JV_LIST && b->type == JV_LIST && a->u.l->tuple == b->u.l->tuple) {
        size_t n = a->u.l->n < b->u.l->n ? a->u.l->n : b->u.l->n;
        for (size_t k = 0; k < n; k++) {
            if (veq(R, &a->u.l->v[k], &b->u.l->v[k], depth + 1)) continue;
            return vcmp(R, &a->u.l->v[k], &b->u.l->v[k], op, depth + 1);
        }
        return (a->u.l->n > b->u.l->n) - (a->u.l->n < b->u.l->n);
    }
    rerr(R, "'%s' not supported between instances of '%s' and '%s'", op, type_name(a), type_name(b));
}

static int contains(jr *R, const jvalue *item, const jvalue *seq) {
    switch (seq->type) {
    case JV_STR:
        if (item->type != JV_STR) rerr(R, "'in <string>' requires string as left operand, not %s", type_name(item));
        if (item->u.s.n == 0) return 1;
        return memmem(seq->u.s.p, seq->u.s.n, item->u.s.p, item->u.s.n) != NULL;
    case JV_LIST:
        for (size_t k = 0; k < seq->u.l->n; k++)
            if (veq(R, item, &seq->u.l->v[k], 0)) return 1;
        return 0;
    case JV_DICT: return dict_find(seq->u.d, item) != NULL;
    case JV_UNDEF: return 0;
    default: rerr(R, "argument of type '%s' is not iterable", type_name(seq));
    }
}

/* ---------------- iteration, indexing, slicing ---------------- */
static jlist *str_chars(jr *R, jstr s) {
    jlist *l = new_list(R, u8_count(s));
    for (size_t i = 0; i < s.n;) {
        size_t len = u8_len((unsigned char)s.p[i]);
        list_push(R, l, v_str(s.p + i, len));
        i += len;
    }
    return l;
}

static jlist *iterate(jr *R, const jvalue *v) {
    switch (v->type) {
    case JV_UNDEF: return new_list(R, 0);
    case JV_LIST: return v->u.l;
    case JV_DICT: {
        jlist *l = new_list(R, 0);
        l->n = l->cap = v->u.d->n;
        l->v = v->u.d->k;
        return l;
    }
    case JV_STR: return str_chars(R, v->u.s);
    default: rerr(R, "'%s' object is not iterable", type_name(v));
    }
}

enum {
    M_NONE = -1,
    /* str */
    M_STARTSWITH, M_ENDSWITH, M_STRIP, M_LSTRIP, M_RSTRIP, M_SPLIT, M_RSPLIT, M_REPLACE, M_UPPER, M_LOWER,
    M_TITLE, M_CAPITALIZE, M_FORMAT, M_JOIN, M_FIND, M_COUNT, M_SPLITLINES, M_ISDIGIT, M_ISSPACE,
    /* dict */
    M_ITEMS, M_KEYS, M_VALUES, M_GET,
    /* loop */
    M_CYCLE
};
static const char *const str_methods[] = {
    "startswith", "endswith", "strip", "lstrip", "rstrip", "split", "rsplit", "replace", "upper", "lower",
    "title", "capitalize", "format", "join", "find", "count", "splitlines", "isdigit", "isspace", NULL};
static const char *const dict_methods[] = {"items", "keys", "values", "get", NULL};
static const char *const dict_unsafe[] = {"clear", "pop", "popitem", "setdefault", "update", NULL};
static const char *const list_unsafe[] = {"append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear", NULL};

/* names: a NULL-terminated list, or NULL for a callable that takes no
 * arguments (any keyword is then unexpected). */
static int find_name(const char *const *names, jstr n) {
    for (int k = 0; names && names[k]; k++)
        if (strlen(names[k]) == n.n && memcmp(names[k], n.p, n.n) == 0) return k;
    return -1;
}

static jvalue bound(jr *R, jvalue self, int method) {
    jbound *b = ja_alloc(R->a, sizeof *b);
    b->self = self;
    b->method = method;
    jvalue v;
    memset(&v, 0, sizeof v);
    v.type = JV_BOUND;
    v.u.bound = b;
    return v;
}

static jvalue unsafe(jr *R, jstr name, const char *type) {
    return v_undef_fmt(R, "access to attribute '%.*s' of '%s' object is unsafe.", (int)name.n, name.p, type);
}

static const char *obj_repr(const jvalue *v) {
    switch (v->type) {
    case JV_NONE: return "None";
    case JV_DICT: return "dict object";
    case JV_LIST: return v->u.l->tuple ? "tuple object" : "list object";
    case JV_STR: return "str object";
    case JV_INT: return "int object";
    case JV_FLOAT: return "float object";
    case JV_BOOL: return "bool object";
    case JV_NS: return "jinja2.utils.Namespace object";
    case JV_LOOP: return "jinja2.runtime.LoopContext object";
    default: return "object";
    }
}

/* obj.name */
static jvalue get_attr(jr *R, const jvalue *obj, jstr name) {
    int m;
    switch (obj->type) {
    case JV_UNDEF: undefined_fail(R, obj);
    case JV_DICT:
        if ((m = find_name(dict_methods, name)) >= 0) return bound(R, *obj, M_ITEMS + m);
        if (find_name(dict_unsafe, name) >= 0) return unsafe(R, name, "dict");
        {
            jvalue *v = dict_find_str(obj->u.d, name.p, name.n);
            if (v) return *v;
        }
        break;
    case JV_NS: {
        jvalue *v = dict_find_str(obj->u.d, name.p, name.n);
        if (v) return *v;
        break;
    }
    case JV_STR:
        if ((m = find_name(str_methods, name)) >= 0) return bound(R, *obj, m);
        break;
    case JV_LIST:
        if (find_name(list_unsafe, name) >= 0) return unsafe(R, name, obj->u.l->tuple ? "tuple" : "list");
        break;
    case JV_LOOP: {
        const jloop *L = obj->u.loop;
        static const char *const names[] = {"index", "index0", "revindex", "revindex0", "first", "last", "length",
                                            "previtem", "nextitem", "depth", "depth0", "cycle", NULL};
        switch (find_name(names, name)) {
        case 0: return v_int(L->index0 + 1);
        case 1: return v_int(L->index0);
        case 2: return v_int(L->length - L->index0);
        case 3: return v_int(L->length - L->index0 - 1);
        case 4: return v_bool(L->index0 == 0);
        case 5: return v_bool(L->index0 == L->length - 1);
        case 6: return v_int(L->length);
        case 7: return L->index0 > 0 ? L->items->v[L->index0 - 1] : v_undef("there is no previous item");
        case 8: return L->index0 + 1 < L->length ? L->items->v[L->index0 + 1] : v_undef("there is no next item");
        case 9: return v_int(1);
        case 10: return v_int(0);
        case 11: return bound(R, *obj, M_CYCLE);
        default: break;
        }
        break;
    }
    default: break;
    }
    if (obj->type == JV_NONE) return v_undef_fmt(R, "'None' has no attribute '%.*s'", (int)name.n, name.p);
    return v_undef_fmt(R, "'%s' has no attribute '%.*s'", obj_repr(obj), (int)name.n, name.p);
}

/* obj[key] */
static jvalue get_item(jr *R, const jvalue *obj, const jvalue *key) {
    if (obj->type == JV_UNDEF) undefined_fail(R, obj);
    if (obj->type == JV_DICT) {
        jvalue *v = dict_find(obj->u.d, key);
        if (v) return *v;
    } else if (obj->type == JV_LIST && obj->u.l->gen) {
        /* a generator has no items: Jinja2 gives undefined */
    } else if ((obj->type == JV_LIST || obj->type == JV_STR) && (key->type == JV_INT || key->type == JV_BOOL)) {
        int64_t i = num_i(key);
        int64_t n = obj->type == JV_LIST ? (int64_t)obj->u.l->n : (int64_t)u8_count(obj->u.s);
        if (i < 0) i += n;
        if (i >= 0 && i < n) {
            if (obj->type == JV_LIST) return obj->u.l->v[i];
            size_t off = u8_offset(obj->u.s, (size_t)i);
            return v_str(obj->u.s.p + off, u8_len((unsigned char)obj->u.s.p[off]));
        }
        return v_undef_fmt(R, "%s has no element %lld", obj_repr(obj), (long long)num_i(key));
    }
    if (key->type == JV_STR) return get_attr(R, obj, key->u.s);
    jbuf b = {0};
    repr(R, &b, key, 0);
    return v_undef_fmt(R, "%s has no element %.*s", obj_repr(obj), (int)(b.n > 100 ? 100 : b.n), b.p);
}

static int64_t slice_arg(jr *R, const jvalue *v, int64_t dflt) {
    if (v->type == JV_NONE) return dflt;
    if (v->type == JV_INT || v->type == JV_BOOL) return num_i(v);
    if (v->type == JV_UNDEF) undefined_fail(R, v);
    rerr(R, "slice indices must be integers or None");
}

static jvalue do_slice(jr *R, const jvalue *obj, const jvalue *start_v, const jvalue *stop_v, const jvalue *step_v) {
    if (obj->type == JV_UNDEF) undefined_fail(R, obj);
    if ((obj->type != JV_LIST && obj->type != JV_STR) || (obj->type == JV_LIST && obj->u.l->gen))
        rerr(R, "'%s' object is not subscriptable", type_name(obj));
    int64_t step = slice_arg(R, step_v, 1);
    if (step == 0) rerr(R, "slice step cannot be zero");
    if (step < -INT64_MAX) step = -INT64_MAX;
    int ascii = 1;
    int64_t n;
    if (obj->type == JV_LIST) n = (int64_t)obj->u.l->n;
    else {
        n = (int64_t)u8_count(obj->u.s);
        ascii = (size_t)n == obj->u.s.n;
    }
    int64_t lo = step < 0 ? -1 : 0, hi = step < 0 ? n - 1 : n;
    int64_t start = slice_arg(R, start_v, step < 0 ? hi : lo), stop = slice_arg(R, stop_v, step < 0 ? lo : hi);
    if (start_v->type != JV_NONE) {
        if (start < 0) { start += n; if (start < lo) start = lo; }
        else if (start > hi) start = hi;
    }
    if (stop_v->type != JV_NONE) {
        if (stop < 0) { stop += n; if (stop < lo) stop = lo; }
        else if (stop > hi) stop = hi;
    }
    if (obj->type == JV_LIST) {
        jlist *l = new_list(R, 0);
        l->tuple = obj->u.l->tuple;
        for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) list_push(R, l, obj->u.l->v[i]);
        return v_list(l);
    }
    jstr s = obj->u.s;
    if (ascii && step == 1) return v_str(s.p + start, stop > start ? (size_t)(stop - start) : 0);
    size_t *offs = NULL;
    if (!ascii) {
        offs = ja_alloc(R->a, ((size_t)n + 1) * sizeof(size_t));
        size_t i = 0;
        for (int64_t k = 0; k < n; k++) { offs[k] = i; i += u8_len((unsigned char)s.p[i]); }
        offs[n] = s.n;
    }
    jbuf b = {0};
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        size_t o = ascii ? (size_t)i : offs[i];
        size_t len = ascii ? 1 : offs[i + 1] - offs[i];
        buf_put(R, &b, s.p + o, len);
    }
    return buf_value(&b);
}

/* ---------------- arithmetic ---------------- */
/* Python's "fmt % args" for %s %r %d %i %f (with a precision) and %%. */
static jvalue percent_format(jr *R, jstr fmt, const jvalue *args) {
    const jvalue *items = args;
    size_t n = 1, used = 0;
    if (args->type == JV_LIST && args->u.l->tuple) { items = args->u.l->v; n = args->u.l->n; }
    jbuf b = {0};
    for (size_t i = 0; i < fmt.n; i++) {
        if (fmt.p[i] != '%') { buf_putc(R, &b, fmt.p[i]); continue; }
        int prec = -1;
        if (++i < fmt.n && fmt.p[i] == '.') {
            prec = 0;
            while (++i < fmt.n && fmt.p[i] >= '0' && fmt.p[i] <= '9' && prec < 100) prec = prec * 10 + fmt.p[i] - '0';
        }
        if (i >= fmt.n) rerr(R, "incomplete format");
        char c = fmt.p[i];
        if (c == '%') { buf_putc(R, &b, '%'); continue; }
        if (used >= n) rerr(R, "not enough arguments for format string");
        const jvalue *v = &items[used++];
        char tmp[160];
        switch (c) {
        case 's': to_str(R, &b, v); break;
        case 'r': repr(R, &b, v, 0); break;
        case 'd': case 'i':
            if (v->type == JV_FLOAT) snprintf(tmp, sizeof tmp, "%.0f", trunc(v->u.f));
            else if (v->type == JV_INT || v->type == JV_BOOL) snprintf(tmp, sizeof tmp, "%lld", (long long)num_i(v));
            else rerr(R, "%%%c format: a real number is required, not %s", c, type_name(v));
            buf_puts(R, &b, tmp);
            break;
        case 'f':
            if (!is_num(v)) rerr(R, "must be real number, not %s", type_name(v));
            snprintf(tmp, sizeof tmp, "%.*f", prec < 0 ? 6 : prec > 50 ? 50 : prec, num_f(v));
            buf_puts(R, &b, tmp);
            break;
        default: rerr(R, "unsupported format character '%c'", c);
        }
    }
    if (used < n) rerr(R, "not all arguments converted during string formatting");
    return buf_value(&b);
}

static jvalue arith(jr *R, int op, const jvalue *a, const jvalue *b) {
    static const char *const sym[] = {"+", "-", "*", "/", "//", "%", "**"};
    if (op == JOP_CONCAT) {
        jbuf buf = {0};
        to_str(R, &buf, a);
        to_str(R, &buf, b);
        return buf_value(&buf);
    }
    if (a->type == JV_UNDEF) undefined_fail(R, a);
    if (b->type == JV_UNDEF) undefined_fail(R, b);
    if (is_num(a) && is_num(b)) {
        if (a->type != JV_FLOAT && b->type != JV_FLOAT && op != JOP_DIV) {
            int64_t x = num_i(a), y = num_i(b), r = 0;
            int ovf = 0;
            switch (op) {
            case JOP_ADD: ovf = __builtin_add_overflow(x, y, &r); break;
            case JOP_SUB: ovf = __builtin_sub_overflow(x, y, &r); break;
            case JOP_MUL: ovf = __builtin_mul_overflow(x, y, &r); break;
            case JOP_FLOORDIV: case JOP_MOD:
                if (y == 0) rerr(R, "integer division or modulo by zero");
                if (x == INT64_MIN && y == -1) { ovf = op == JOP_FLOORDIV; r = 0; break; }
                {
                    int64_t q = x / y, m = x % y;
                    if (m != 0 && ((m < 0) != (y < 0))) { q--; m += y; }
                    r = op == JOP_FLOORDIV ? q : m;
                }
                break;
            case JOP_POW:
                if (y < 0) return v_float(pow((double)x, (double)y));
                {
                    int64_t base = x, e = y;
                    r = 1;
                    while (e > 0 && !ovf) {  /* by squaring; base is squared only while bits remain */
                        if (e & 1) ovf |= __builtin_mul_overflow(r, base, &r);
                        e >>= 1;
                        if (e && !ovf) ovf |= __builtin_mul_overflow(base, base, &base);
                    }
                }
                break;
            }
            if (ovf) rerr(R, "integer overflow in '%s' (this interpreter's integers are 64-bit)", sym[op]);
            return v_int(r);
        }
        double x = num_f(a), y = num_f(b);
        switch (op) {
        case JOP_ADD: return v_float(x + y);
        case JOP_SUB: return v_float(x - y);
        case JOP_MUL: return v_float(x * y);
        case JOP_DIV:
            if (y == 0) rerr(R, "division by zero");
            return v_float(x / y);
        case JOP_FLOORDIV: case JOP_MOD: {
            if (y == 0) rerr(R, "float %s by zero", op == JOP_MOD ? "modulo" : "floor division");
            double m = fmod(x, y), q = (x - m) / y, fq;  /* CPython's float divmod */
            if (m != 0) {
                if ((y < 0) != (m < 0)) { m += y; q -= 1.0; }
            } else {
                m = copysign(0.0, y);
            }
            if (q != 0) {
                fq = floor(q);
                if (q - fq > 0.5) fq += 1.0;
            } else {
                fq = copysign(0.0, x / y);
            }
            return v_float(op == JOP_MOD ? m : fq);
        }
        default: return v_float(pow(x, y));
        }
    }
    if (op == JOP_MOD && a->type == JV_STR) return percent_format(R, a->u.s, b);
    if (op == JOP_ADD && a->type == JV_STR && b->type == JV_STR) {
        size_t n = a->u.s.n + b->u.s.n;
        if (n > R->max_output) rerr(R, "a string exceeds %zu bytes", R->max_output);
        char *p = ja_alloc(R->a, n + 1);
        memcpy(p, a->u.s.p, a->u.s.n);
        memcpy(p + a->u.s.n, b->u.s.p, b->u.s.n);
        return v_str(p, n);
    }
    if (op == JOP_ADD && a->type == JV_LIST && b->type == JV_LIST && a->u.l->tuple == b->u.l->tuple && !a->u.l->gen && !b->u.l->gen) {
        jlist *l = new_list(R, a->u.l->n + b->u.l->n);
        l->tuple = a->u.l->tuple;
        for (size_t k = 0; k < a->u.l->n; k++) list_push(R, l, a->u.l->v[k]);
        for (size_t k = 0; k < b->u.l->n; k++) list_push(R, l, b->u.l->v[k]);
        return v_list(l);
    }
    if (op == JOP_MUL && ((a->type == JV_STR || (a->type == JV_LIST && !a->u.l->gen)) && (b->type == JV_INT || b->type == JV_BOOL))) {
        int64_t times = num_i(b);
        if (times < 0) times = 0;
        if (a->type == JV_STR) {
            if (a->u.s.n && (uint64_t)times > R->max_output / a->u.s.n) rerr(R, "a string exceeds %zu bytes", R->max_output);
            jbuf buf = {0};
            for (int64_t k = 0; k < times; k++) buf_put(R, &buf, a->u.s.p, a->u.s.n);
            return buf_value(&buf);
        }
        if (a->u.l->n && (uint64_t)times > 1000000 / a->u.l->n) rerr(R, "a list of more than 1000000 items");
        jlist *l = new_list(R, 0);
        l->tuple = a->u.l->tuple;
        for (int64_t k = 0; k < times; k++)
            for (size_t j = 0; j < a->u.l->n; j++) list_push(R, l, a->u.l->v[j]);
        return v_list(l);
    }
    if (op == JOP_MUL && (b->type == JV_STR || b->type == JV_LIST) && (a->type == JV_INT || a->type == JV_BOOL))
        return arith(R, op, b, a);
    if (op == JOP_ADD && (a->type == JV_STR || a->type == JV_LIST))
        rerr(R, "can only concatenate %s (not \"%s\") to %s", type_name(a), type_name(b), type_name(a));
    rerr(R, "unsupported operand type(s) for %s: '%s' and '%s'", sym[op], type_name(a), type_name(b));
}

/* ---------------- arguments ---------------- */
typedef struct {
    jvalue *pos;
    int npos;
    const jstr *kwn;
    jvalue *kwv;
    int nkw;
} jargs;

/* Binds A to names (positional first, then keywords) into out[n]; given[k]
 * says which were passed. */
static void bind_args(jr *R, const char *what, const jargs *A, const char *const *names, int n, jvalue *out, int *given) {
    for (int k = 0; k < n; k++) { out[k] = v_none(); given[k] = 0; }
    if (A->npos > n) rerr(R, "%s takes at most %d argument%s (%d given)", what, n, n == 1 ? "" : "s", A->npos);
    for (int k = 0; k < A->npos; k++) { out[k] = A->pos[k]; given[k] = 1; }
    for (int j = 0; j < A->nkw; j++) {
        int k = find_name(names, A->kwn[j]);
        if (k < 0 || k >= n) rerr(R, "%s got an unexpected keyword argument '%.*s'", what, (int)A->kwn[j].n, A->kwn[j].p);
        if (given[k]) rerr(R, "%s got multiple values for argument '%s'", what, names[k]);
        out[k] = A->kwv[j];
        given[k] = 1;
    }
}

static jstr want_str(jr *R, const char *what, const jvalue *v) {
    if (v->type == JV_UNDEF) undefined_fail(R, v);
    if (v->type != JV_STR) rerr(R, "%s: expected a string, got %s", what, type_name(v));
    return v->u.s;
}

static int64_t want_int(jr *R, const char *what, const jvalue *v) {
    if (v->type == JV_UNDEF) undefined_fail(R, v);
    if (v->type != JV_INT && v->type != JV_BOOL) rerr(R, "%s: expected an integer, got %s", what, type_name(v));
    return num_i(v);
}

/* ---------------- string helpers ---------------- */
static int cp_in(uint32_t c, jstr set) {
    for (size_t i = 0; i < set.n;) {
        size_t len;
        if (u8_get(set.p + i, &len) == c) return 1;
        i += len;
    }
    return 0;
}

/* Python's str.strip/lstrip/rstrip: chars NULL strips whitespace. */
static jstr py_strip(jstr s, const jstr *chars, int left, int right) {
    size_t a = 0, b = s.n;
    if (left)
        while (a < b) {
            size_t len;
            uint32_t c = u8_get(s.p + a, &len);
            if (chars ? !cp_in(c, *chars) : !py_isspace(c)) break;
            a += len;
        }
    if (right)
        while (b > a) {
            size_t st = b - 1;
            while (st > a && ((unsigned char)s.p[st] & 0xC0) == 0x80) st--;
            size_t len;
            uint32_t c = u8_get(s.p + st, &len);
            if (chars ? !cp_in(c, *chars) : !py_isspace(c)) break;
            b = st;
        }
    jstr r = {s.p + a, b - a};
    return r;
}

enum { CASE_UPPER, CASE_LOWER, CASE_TITLE, CASE_CAPITALIZE, CASE_JINJA_TITLE };

static int is_cased(uint32_t c) {
    int cat = utf8proc_category((utf8proc_int32_t)c);
    return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT;
}

static jvalue change_case(jr *R, jstr s, int mode) {
    jbuf b = {0};
    int prev_cased = 0, first = 1;
    for (size_t i = 0; i < s.n;) {
        size_t len;
        uint32_t c = u8_get(s.p + i, &len), o;
        switch (mode) {
        case CASE_UPPER: o = (uint32_t)utf8proc_toupper((utf8proc_int32_t)c); break;
        case CASE_LOWER: o = (uint32_t)utf8proc_tolower((utf8proc_int32_t)c); break;
        case CASE_CAPITALIZE:
            o = first ? (uint32_t)utf8proc_totitle((utf8proc_int32_t)c) : (uint32_t)utf8proc_tolower((utf8proc_int32_t)c);
            break;
        case CASE_TITLE:  /* str.title: a cased letter after an uncased one starts a word */
            o = prev_cased ? (uint32_t)utf8proc_tolower((utf8proc_int32_t)c) : (uint32_t)utf8proc_totitle((utf8proc_int32_t)c);
            prev_cased = is_cased(c);
            break;
        default: {        /* Jinja's title filter: words start after whitespace, '-', brackets */
            int boundary = py_isspace(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
            o = boundary ? c : prev_cased ? (uint32_t)utf8proc_tolower((utf8proc_int32_t)c) : (uint32_t)utf8proc_toupper((utf8proc_int32_t)c);
            prev_cased = !boundary;
        }
        }
        first = 0;
        buf_put_cp(R, &b, o);
        i += len;
    }
    return buf_value(&b);
}

static jvalue str_replace(jr *R, jstr s, jstr old, jstr new_, int64_t count) {
    jbuf b = {0};
    size_t i = 0;
    int64_t done = 0;
    if (old.n == 0) {  /* Python inserts new before every character and at the end */
        for (; i <= s.n && (count < 0 || done < count); done++) {
            buf_put(R, &b, new_.p, new_.n);
            if (i == s.n) { i++; break; }
            size_t len = u8_len((unsigned char)s.p[i]);
            buf_put(R, &b, s.p + i, len);
            i += len;
        }
        if (i < s.n) buf_put(R, &b, s.p + i, s.n - i);
        return buf_value(&b);
    }
    while (count < 0 || done < count) {
        const char *hit = memmem(s.p + i, s.n - i, old.p, old.n);
        if (!hit) break;
        size_t at = (size_t)(hit - s.p);
        buf_put(R, &b, s.p + i, at - i);
        buf_put(R, &b, new_.p, new_.n);
        i = at + old.n;
        done++;
    }
    buf_put(R, &b, s.p + i, s.n - i);
    return buf_value(&b);
}

static jvalue str_split(jr *R, jstr s, const jvalue *sep, int64_t maxsplit, int from_right) {
    jlist *l = new_list(R, 0);
    if (sep->type == JV_NONE) {  /* runs of whitespace, no empty pieces */
        jstr rest = s;
        for (;;) {
            rest = from_right ? py_strip(rest, NULL, 0, 1) : py_strip(rest, NULL, 1, 0);
            if (rest.n == 0) break;
            if (maxsplit >= 0 && (int64_t)l->n == maxsplit) {
                list_push(R, l, v_str(rest.p, rest.n));
                break;
            }
            if (!from_right) {
                size_t i = 0, len;
                while (i < rest.n && !py_isspace(u8_get(rest.p + i, &len))) i += len;
                list_push(R, l, v_str(rest.p, i));
                rest.p += i;
                rest.n -= i;
            } else {
                size_t e = rest.n;
                while (e > 0) {
                    size_t st = e - 1, len;
                    while (st > 0 && ((unsigned char)rest.p[st] & 0xC0) == 0x80) st--;
                    if (py_isspace(u8_get(rest.p + st, &len))) break;
                    e = st;
                }
                list_push(R, l, v_str(rest.p + e, rest.n - e));
                rest.n = e;
            }
        }
    } else {
        jstr sp = want_str(R, "split", sep);
        if (sp.n == 0) rerr(R, "empty separator");
        if (!from_right) {
            size_t i = 0;
            for (;;) {
                const char *hit = (maxsplit < 0 || (int64_t)l->n < maxsplit) ? memmem(s.p + i, s.n - i, sp.p, sp.n) : NULL;
                if (!hit) { list_push(R, l, v_str(s.p + i, s.n - i)); break; }
                list_push(R, l, v_str(s.p + i, (size_t)(hit - (s.p + i))));
                i = (size_t)(hit - s.p) + sp.n;
            }
        } else {
            size_t e = s.n;
            for (;;) {
                size_t found = SIZE_MAX;
                if ((maxsplit < 0 || (int64_t)l->n < maxsplit) && e >= sp.n)
                    for (size_t k = e - sp.n + 1; k-- > 0;)
                        if (memcmp(s.p + k, sp.p, sp.n) == 0) { found = k; break; }
                if (found == SIZE_MAX) { list_push(R, l, v_str(s.p, e)); break; }
                list_push(R, l, v_str(s.p + found + sp.n, e - found - sp.n));
                e = found;
            }
        }
    }
    if (from_right)
        for (size_t a = 0, b = l->n ? l->n - 1 : 0; a < b; a++, b--) {
            jvalue t = l->v[a];
            l->v[a] = l->v[b];
            l->v[b] = t;
        }
    return v_list(l);
}

static int prefix_match(jr *R, jstr s, const jvalue *p, int suffix) {
    if (p->type == JV_LIST && p->u.l->tuple) {
        for (size_t k = 0; k < p->u.l->n; k++)
            if (prefix_match(R, s, &p->u.l->v[k], suffix)) return 1;
        return 0;
    }
    if (p->type != JV_STR)
        rerr(R, "%s first arg must be str or a tuple of str, not %s", suffix ? "endswith" : "startswith", type_name(p));
    if (p->u.s.n > s.n) return 0;
    return memcmp(suffix ? s.p + s.n - p->u.s.n : s.p, p->u.s.p, p->u.s.n) == 0;
}

static int all_digits(jstr s) {
    for (size_t k = 0; k < s.n; k++)
        if (s.p[k] < '0' || s.p[k] > '9') return 0;
    return s.n > 0;
}

/* str.format with {} {0} {name} fields (no format specs). */
static jvalue str_format(jr *R, jstr s, const jargs *A) {
    jbuf b = {0};
    int auto_idx = 0;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c == '}') {
            if (i + 1 < s.n && s.p[i + 1] == '}') { buf_putc(R, &b, '}'); i++; continue; }
            rerr(R, "format: single '}' encountered in format string");
        }
        if (c != '{') { buf_putc(R, &b, c); continue; }
        if (i + 1 < s.n && s.p[i + 1] == '{') { buf_putc(R, &b, '{'); i++; continue; }
        const char *close = memchr(s.p + i, '}', s.n - i);
        if (!close) rerr(R, "format: single '{' encountered in format string");
        jstr field = {s.p + i + 1, (size_t)(close - (s.p + i + 1))};
        if (memchr(field.p, ':', field.n) || memchr(field.p, '!', field.n) || memchr(field.p, '.', field.n) || memchr(field.p, '[', field.n))
            rerr(R, "format: only {}, {N} and {name} fields are supported");
        const jvalue *v = NULL;
        if (field.n == 0) {
            if (auto_idx >= A->npos) rerr(R, "format: replacement index %d out of range", auto_idx);
            v = &A->pos[auto_idx++];
        } else if (all_digits(field)) {  /* all digits: a position (Python's rule); else a keyword */
            size_t idx = 0;
            for (size_t k = 0; k < field.n && idx <= (size_t)A->npos; k++) idx = idx * 10 + (size_t)(field.p[k] - '0');
            if (idx >= (size_t)A->npos) rerr(R, "format: replacement index %.*s out of range", (int)(field.n > 40 ? 40 : field.n), field.p);
            v = &A->pos[idx];
        } else {
            for (int k = 0; k < A->nkw; k++)
                if (A->kwn[k].n == field.n && memcmp(A->kwn[k].p, field.p, field.n) == 0) v = &A->kwv[k];
            if (!v) rerr(R, "format: no argument named '%.*s'", (int)(field.n > 40 ? 40 : field.n), field.p);
        }
        to_str(R, &b, v);
        i = (size_t)(close - s.p);
    }
    return buf_value(&b);
}

/* Python's str.splitlines(): \n \r \r\n \v \f \x1c-\x1e \x85 U+2028 U+2029 end lines. */
static jlist *split_lines(jr *R, jstr s) {
    jlist *l = new_list(R, 0);
    size_t start = 0;
    for (size_t i = 0; i < s.n;) {
        size_t len;
        uint32_t c = u8_get(s.p + i, &len);
        if (c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E || c == 0x85 ||
            c == 0x2028 || c == 0x2029) {
            list_push(R, l, v_str(s.p + start, i - start));
            i += len;
            if (c == '\r' && i < s.n && s.p[i] == '\n') i++;
            start = i;
        } else {
            i += len;
        }
    }
    if (start < s.n) list_push(R, l, v_str(s.p + start, s.n - start));
    return l;
}

static jvalue call_method(jr *R, const jbound *bm, const jargs *A) {
    const jvalue *self = &bm->self;
    jvalue a[3];
    int g[3];
    if (bm->method <= M_ISSPACE) {
        jstr s = self->u.s;
        const char *what = str_methods[bm->method];
        switch (bm->method) {
        case M_STARTSWITH: case M_ENDSWITH: {
            static const char *const n[] = {"prefix", "start", "end", NULL};
            bind_args(R, what, A, n, 3, a, g);
            if (!g[0]) rerr(R, "%s() takes at least 1 argument", what);
            if (g[1] || g[2]) {
                int64_t len = (int64_t)u8_count(s);
                int64_t st = g[1] ? slice_arg(R, &a[1], 0) : 0, en = g[2] ? slice_arg(R, &a[2], len) : len;
                if (st < 0) { st += len; if (st < 0) st = 0; }
                if (en < 0) { en += len; if (en < 0) en = 0; }
                if (st > len) return v_bool(0);
                if (en > len) en = len;
                if (en < st) en = st;
                size_t o1 = u8_offset(s, (size_t)st), o2 = u8_offset(s, (size_t)en);
                s.p += o1;
                s.n = o2 - o1;
            }
            return v_bool(prefix_match(R, s, &a[0], bm->method == M_ENDSWITH));
        }
        case M_STRIP: case M_LSTRIP: case M_RSTRIP: {
            static const char *const n[] = {"chars", NULL};
            bind_args(R, what, A, n, 1, a, g);
            jstr chars;
            if (a[0].type != JV_NONE) chars = want_str(R, what, &a[0]);
            jstr r = py_strip(s, a[0].type != JV_NONE ? &chars : NULL, bm->method != M_RSTRIP, bm->method != M_LSTRIP);
            return v_str(r.p, r.n);
        }
        case M_SPLIT: case M_RSPLIT: {
            static const char *const n[] = {"sep", "maxsplit", NULL};
            bind_args(R, what, A, n, 2, a, g);
            return str_split(R, s, &a[0], g[1] ? want_int(R, what, &a[1]) : -1, bm->method == M_RSPLIT);
        }
        case M_REPLACE: {
            static const char *const n[] = {"old", "new", "count", NULL};
            bind_args(R, what, A, n, 3, a, g);
            return str_replace(R, s, want_str(R, what, &a[0]), want_str(R, what, &a[1]), g[2] ? want_int(R, what, &a[2]) : -1);
        }
        case M_UPPER: case M_LOWER: case M_TITLE: case M_CAPITALIZE: case M_ISDIGIT: case M_ISSPACE: {
            bind_args(R, what, A, NULL, 0, a, g);
            if (bm->method == M_UPPER) return change_case(R, s, CASE_UPPER);
            if (bm->method == M_LOWER) return change_case(R, s, CASE_LOWER);
            if (bm->method == M_TITLE) return change_case(R, s, CASE_TITLE);
            if (bm->method == M_CAPITALIZE) return change_case(R, s, CASE_CAPITALIZE);
            int ok = s.n > 0;
            for (size_t i = 0; i < s.n && ok;) {
                size_t len;
                uint32_t c = u8_get(s.p + i, &len);
                ok = bm->method == M_ISSPACE ? py_isspace(c) : utf8proc_category((utf8proc_int32_t)c) == UTF8PROC_CATEGORY_ND;
                i += len;
            }
            return v_bool(ok);
        }
        case M_FORMAT: return str_format(R, s, A);
        case M_JOIN: {
            static const char *const n[] = {"iterable", NULL};
            bind_args(R, what, A, n, 1, a, g);
            jlist *l = iterate(R, &a[0]);
            jbuf b = {0};
            for (size_t k = 0; k < l->n; k++) {
                if (l->v[k].type != JV_STR) rerr(R, "sequence item %zu: expected str instance, %s found", k, type_name(&l->v[k]));
                if (k) buf_put(R, &b, s.p, s.n);
                buf_put(R, &b, l->v[k].u.s.p, l->v[k].u.s.n);
            }
            return buf_value(&b);
        }
        case M_FIND: case M_COUNT: {
            static const char *const n[] = {"sub", NULL};
            bind_args(R, what, A, n, 1, a, g);
            jstr sub = want_str(R, what, &a[0]);
            if (bm->method == M_FIND) {
                const char *hit = sub.n ? memmem(s.p, s.n, sub.p, sub.n) : s.p;
                if (!hit) return v_int(-1);
                jstr head = {s.p, (size_t)(hit - s.p)};
                return v_int((int64_t)u8_count(head));
            }
            if (sub.n == 0) return v_int((int64_t)u8_count(s) + 1);
            int64_t count = 0;
            for (size_t i = 0;;) {
                const char *hit = memmem(s.p + i, s.n - i, sub.p, sub.n);
                if (!hit) break;
                count++;
                i = (size_t)(hit - s.p) + sub.n;
            }
            return v_int(count);
        }
        case M_SPLITLINES:
            bind_args(R, what, A, NULL, 0, a, g);
            return v_list(split_lines(R, s));
        }
    }
    if (bm->method == M_CYCLE) {
        if (A->npos == 0) rerr(R, "no items for cycling given");
        return A->pos[self->u.loop->index0 % A->npos];
    }
    const jdict *d = self->u.d;
    if (bm->method == M_GET) {
        static const char *const n[] = {"key", "default", NULL};
        bind_args(R, "get", A, n, 2, a, g);
        if (!g[0]) rerr(R, "get expected at least 1 argument, got 0");
        jvalue *v = dict_find(d, &a[0]);
        return v ? *v : a[1];
    }
    bind_args(R, dict_methods[bm->method - M_ITEMS], A, NULL, 0, a, g);  // items, keys or values
    jlist *l = new_list(R, d->n);
    for (size_t k = 0; k < d->n; k++) {
        if (bm->method == M_KEYS) list_push(R, l, d->k[k]);
        else if (bm->method == M_VALUES) list_push(R, l, d->v[k]);
        else {
            jlist *pair = new_list(R, 2);
            pair->tuple = 1;
            list_push(R, pair, d->k[k]);
            list_push(R, pair, d->v[k]);
            list_push(R, l, v_list(pair));
        }
    }
    return v_list(l);
}

/* ---------------- filters and tests ---------------- */
enum {
    F_ABS, F_CAPITALIZE, F_COUNT, F_D, F_DEFAULT, F_E, F_ESCAPE, F_FIRST, F_FLOAT, F_INDENT, F_INT, F_ITEMS, F_JOIN,
    F_LAST, F_LENGTH, F_LIST, F_LOWER, F_MAP, F_REJECT, F_REJECTATTR, F_REPLACE, F_REVERSE, F_SAFE, F_SELECT,
    F_SELECTATTR, F_STRING, F_TITLE, F_TOJSON, F_TRIM, F_UPPER
};
static const char *const filter_names[] = {
    "abs", "capitalize", "count", "d", "default", "e", "escape", "first", "float", "indent", "int", "items", "join",
    "last", "length", "list", "lower", "map", "reject", "rejectattr", "replace", "reverse", "safe", "select",
    "selectattr", "string", "title", "tojson", "trim", "upper", NULL};

enum {
    T_BOOLEAN, T_CALLABLE, T_DEFINED, T_DIVISIBLEBY, T_EQ, T_EQUALTO, T_ESCAPED, T_EVEN, T_FALSE, T_FLOAT, T_GE,
    T_GT, T_GREATERTHAN, T_IN, T_INTEGER, T_ITERABLE, T_LE, T_LOWER, T_LT, T_LESSTHAN, T_MAPPING, T_NE, T_NONE,
    T_NUMBER, T_ODD, T_SAMEAS, T_SEQUENCE, T_STRING, T_TRUE, T_UNDEFINED, T_UPPER
};
static const char *const test_names[] = {
    "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false", "float", "ge",
    "gt", "greaterthan", "in", "integer", "iterable", "le", "lower", "lt", "lessthan", "mapping", "ne", "none",
    "number", "odd", "sameas", "sequence", "string", "true", "undefined", "upper", NULL};

int jinja_filter_id(const char *p, size_t n) { jstr s = {p, n}; return find_name(filter_names, s); }
int jinja_test_id(const char *p, size_t n) { jstr s = {p, n}; return find_name(test_names, s); }

static int apply_test(jr *R, int id, const jvalue *v, const jargs *A) {
    const jvalue *arg = A->npos ? &A->pos[0] : NULL;
    int takes_arg = id == T_DIVISIBLEBY || id == T_EQ || id == T_EQUALTO || id == T_NE || id == T_SAMEAS || id == T_IN ||
                    id == T_GE || id == T_GT || id == T_GREATERTHAN || id == T_LE || id == T_LT || id == T_LESSTHAN;
    if (A->nkw || A->npos > takes_arg)
        rerr(R, "test '%s' takes %s", test_names[id], takes_arg ? "one argument" : "no arguments");
    switch (id) {
    case T_DEFINED: return v->type != JV_UNDEF;
    case T_UNDEFINED: return v->type == JV_UNDEF;
    case T_NONE: return v->type == JV_NONE;
    case T_BOOLEAN: return v->type == JV_BOOL;
    case T_TRUE: return v->type == JV_BOOL && v->u.b;
    case T_FALSE: return v->type == JV_BOOL && !v->u.b;
    case T_INTEGER: return v->type == JV_INT;
    case T_FLOAT: return v->type == JV_FLOAT;
    case T_NUMBER: return is_num(v);
    case T_STRING: return v->type == JV_STR;
    case T_MAPPING: return v->type == JV_DICT;
    case T_SEQUENCE: /* len() and __getitem__: Undefined has both */
        return v->type == JV_STR || (v->type == JV_LIST && !v->u.l->gen) || v->type == JV_DICT || v->type == JV_UNDEF;
    case T_ITERABLE: return v->type == JV_STR || v->type == JV_LIST || v->type == JV_DICT || v->type == JV_UNDEF;
    case T_CALLABLE: return v->type == JV_MACRO || v->type == JV_FUNC || v->type == JV_BOUND;
    case T_ESCAPED: return 0;
    case T_LOWER: case T_UPPER: {
        jstr s = str_of(R, v);  /* Jinja2: str(value).islower() */
        int cased = 0;
        for (size_t i = 0; i < s.n;) {
            size_t len;
            uint32_t c = u8_get(s.p + i, &len);
            int cat = utf8proc_category((utf8proc_int32_t)c);
            if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT) { if (id == T_LOWER) return 0; cased = 1; }
            if (cat == UTF8PROC_CATEGORY_LL) { if (id == T_UPPER) return 0; cased = 1; }
            i += len;
        }
        return cased;
    }
    case T_EVEN: case T_ODD: {
        int64_t i = want_int(R, test_names[id], v);
        return (i % 2 == 0) == (id == T_EVEN);
    }
    default: break;
    }
    if (!arg) rerr(R, "test '%s' needs an argument", test_names[id]);
    switch (id) {
    case T_DIVISIBLEBY: {
        jvalue m = arith(R, JOP_MOD, v, arg);
        return num_f(&m) == 0;
    }
    case T_EQ: case T_EQUALTO: return veq(R, v, arg, 0);
    case T_NE: return !veq(R, v, arg, 0);
    case T_SAMEAS:
        if (v->type != arg->type) return 0;
        if (v->type == JV_NONE || v->type == JV_UNDEF) return 1;
        if (v->type == JV_BOOL || v->type == JV_INT) return veq(R, v, arg, 0);
        if (v->type == JV_STR) return v->u.s.p == arg->u.s.p && v->u.s.n == arg->u.s.n;
        return veq(R, v, arg, 0) && (v->type != JV_LIST || v->u.l == arg->u.l) && (v->type != JV_DICT || v->u.d == arg->u.d);
    case T_IN: return contains(R, v, arg);
    case T_GE: return vcmp(R, v, arg, ">=", 0) >= 0;
    case T_GT: case T_GREATERTHAN: return vcmp(R, v, arg, ">", 0) > 0;
    case T_LE: return vcmp(R, v, arg, "<=", 0) <= 0;
    case T_LT: case T_LESSTHAN: return vcmp(R, v, arg, "<", 0) < 0;
    }
    return 0;
}

/* Jinja's attribute getter for selectattr/map: "a.b.0" looks up each part. */
static jvalue get_path(jr *R, const jvalue *v, jstr path) {
    jvalue cur = *v;
    size_t i = 0;
    while (i <= path.n) {
        const char *dot = memchr(path.p + i, '.', path.n - i);
        size_t end = dot ? (size_t)(dot - path.p) : path.n;
        jstr part = {path.p + i, end - i};
        int digits = part.n > 0;
        for (size_t k = 0; k < part.n; k++) digits &= part.p[k] >= '0' && part.p[k] <= '9';
        jvalue key = digits ? v_int(atoll(part.p)) : v_str(part.p, part.n);
        cur = get_item(R, &cur, &key);  /* a part after a missing one fails, as Jinja2's getitem on Undefined */
        if (!dot) break;
        i = end + 1;
    }
    return cur;
}

static jvalue apply_filter(jr *R, int id, const jvalue *v, const jargs *A);

static jvalue select_items(jr *R, int id, const jvalue *v, const jargs *A) {
    int by_attr = id == F_SELECTATTR || id == F_REJECTATTR, want = id == F_SELECT || id == F_SELECTATTR;
    int first = by_attr ? 1 : 0;
    jstr attr = {0};
    if (by_attr) {
        if (A->npos < 1) rerr(R, "%s needs an attribute name", filter_names[id]);
        attr = want_str(R, filter_names[id], &A->pos[0]);
    }
    int test = -1;
    if (A->npos > first) {
        jstr name = want_str(R, filter_names[id], &A->pos[first]);
        test = jinja_test_id(name.p, name.n);
        if (test < 0) rerr(R, "no test named '%.*s'", (int)name.n, name.p);
    }
    jargs targs = {A->npos > first + 1 ? A->pos + first + 1 : NULL, A->npos > first + 1 ? A->npos - first - 1 : 0, NULL, NULL, 0};
    jlist *in = iterate(R, v), *out = new_list(R, 0);
    for (size_t k = 0; k < in->n; k++) {
        step(R);
        jvalue x = by_attr ? get_path(R, &in->v[k], attr) : in->v[k];
        int ok = test < 0 ? truthy(&x) : apply_test(R, test, &x, &targs);
        if (ok == want) list_push(R, out, in->v[k]);
    }
    out->gen = 1;
    return v_list(out);
}

static jvalue apply_filter(jr *R, int id, const jvalue *v, const jargs *A) {
    jvalue a[4];
    int g[4];
    const char *what = filter_names[id];
    switch (id) {
    case F_TRIM: {
        static const char *const n[] = {"chars", NULL};
        bind_args(R, what, A, n, 1, a, g);
        jstr chars;
        if (a[0].type != JV_NONE) chars = want_str(R, what, &a[0]);
        jstr r = py_strip(str_of(R, v), a[0].type != JV_NONE ? &chars : NULL, 1, 1);
        return v_str(r.p, r.n);
    }
    case F_LENGTH: case F_COUNT:
        bind_args(R, what, A, NULL, 0, a, g);
        switch (v->type) {
        case JV_UNDEF: return v_int(0);
        case JV_STR: return v_int((int64_t)u8_count(v->u.s));
        case JV_LIST:
            if (v->u.l->gen) rerr(R, "object of type 'generator' has no len()");
            return v_int((int64_t)v->u.l->n);
        case JV_DICT: return v_int((int64_t)v->u.d->n);
        default: rerr(R, "object of type '%s' has no len()", type_name(v));
        }
    case F_TOJSON: {
        static const char *const n[] = {"ensure_ascii", "indent", "separators", "sort_keys", NULL};
        bind_args(R, what, A, n, 4, a, g);
        json_opts o = {{"", 0}, 0, truthy(&a[3]), truthy(&a[0])};
        if (a[2].type != JV_NONE) rerr(R, "tojson: separators are not supported");
        if (a[1].type == JV_STR) { o.indent = a[1].u.s; o.has_indent = 1; }
        else if (a[1].type != JV_NONE) {
            int64_t w = want_int(R, what, &a[1]);
            if (w > 64) rerr(R, "tojson: indent %lld is more than 64", (long long)w);
            o.indent.p = "                                                                ";
            o.indent.n = w > 0 ? (size_t)w : 0;
            o.has_indent = 1;
        }
        jbuf b = {0};
        tojson(R, &b, v, &o, 0);
        return buf_value(&b);
    }
    case F_UPPER: case F_LOWER: case F_CAPITALIZE: case F_TITLE:
        bind_args(R, what, A, NULL, 0, a, g);
        return change_case(R, str_of(R, v), id == F_UPPER ? CASE_UPPER : id == F_LOWER ? CASE_LOWER : id == F_CAPITALIZE ? CASE_CAPITALIZE : CASE_JINJA_TITLE);
    case F_JOIN: {
        static const char *const n[] = {"d", "attribute", NULL};
        bind_args(R, what, A, n, 2, a, g);
        jstr sep = g[0] ? str_of(R, &a[0]) : (jstr){"", 0};
        jlist *l = iterate(R, v);
        jbuf b = {0};
        for (size_t k = 0; k < l->n; k++) {
            if (k) buf_put(R, &b, sep.p, sep.n);
            if (g[1] && a[1].type != JV_NONE) {
                jvalue x = a[1].type == JV_INT ? get_item(R, &l->v[k], &a[1]) : get_path(R, &l->v[k], want_str(R, what, &a[1]));
                to_str(R, &b, &x);
            } else {
                to_str(R, &b, &l->v[k]);
            }
        }
        return buf_value(&b);
    }
    case F_DEFAULT: case F_D: {
        static const char *const n[] = {"default_value", "boolean", NULL};
        bind_args(R, what, A, n, 2, a, g);
        if (!g[0]) a[0] = v_str("", 0);
        if (v->type == JV_UNDEF || (truthy(&a[1]) && !truthy(v))) return a[0];
        return *v;
    }
    case F_ITEMS: {
        bind_args(R, what, A, NULL, 0, a, g);
        if (v->type == JV_UNDEF) return v_list(new_list(R, 0));
        if (v->type != JV_DICT) rerr(R, "Can only get item pairs from a mapping.");
        jbound bm = {*v, M_ITEMS};
        jargs none = {0};
        jvalue r = call_method(R, &bm, &none);
        r.u.l->gen = 1;  /* Jinja2 3.1's items filter yields */
        return r;
    }
    case F_FIRST: case F_LAST: {
        bind_args(R, what, A, NULL, 0, a, g);
        /* Undefined iterates (and reverses) as empty: no item, no error */
        if (id == F_LAST && v->type == JV_LIST && v->u.l->gen) rerr(R, "'generator' object is not reversible");
        jlist *l = iterate(R, v);
        if (!l->n) return v_undef_fmt(R, "No %s item, sequence was empty.", id == F_FIRST ? "first" : "last");
        return l->v[id == F_FIRST ? 0 : l->n - 1];
    }
    case F_LIST: {
        bind_args(R, what, A, NULL, 0, a, g);
        jlist *src = iterate(R, v), *l = new_list(R, src->n);
        for (size_t k = 0; k < src->n; k++) list_push(R, l, src->v[k]);
        return v_list(l);
    }
    case F_REVERSE: {
        bind_args(R, what, A, NULL, 0, a, g);
        if (v->type == JV_STR) {
            jvalue none = v_none(), back = v_int(-1);
            return do_slice(R, v, &none, &none, &back);
        }
        if (v->type == JV_LIST && v->u.l->gen) rerr(R, "argument to reversed() must be a sequence");
        jlist *src = iterate(R, v), *l = new_list(R, src->n);
        for (size_t k = src->n; k-- > 0;) list_push(R, l, src->v[k]);
        l->gen = 1;  /* reversed(): an iterator */
        return v_list(l);
    }
    case F_STRING: case F_SAFE: {
        bind_args(R, what, A, NULL, 0, a, g);
        jstr s = str_of(R, v);
        jvalue r = v_str(s.p, s.n);
        r.markup = id == F_SAFE || (v->type == JV_STR && v->markup);
        return r;
    }
    case F_E: case F_ESCAPE: {
        bind_args(R, what, A, NULL, 0, a, g);
        if (v->type == JV_STR && v->markup) return *v;  /* Markup is escaped already */
        jstr s = str_of(R, v);
        jbuf b = {0};
        for (size_t i = 0; i < s.n; i++) {
            switch (s.p[i]) {
            case '&': buf_puts(R, &b, "&amp;"); break;
            case '<': buf_puts(R, &b, "&lt;"); break;
            case '>': buf_puts(R, &b, "&gt;"); break;
            case '"': buf_puts(R, &b, "&#34;"); break;
            case '\'': buf_puts(R, &b, "&#39;"); break;
            default: buf_putc(R, &b, s.p[i]);
            }
        }
        jvalue r = buf_value(&b);
        r.markup = 1;
        return r;
    }
    case F_INT: case F_FLOAT: {
        static const char *const n[] = {"default", "base", NULL};
        bind_args(R, what, A, n, id == F_INT ? 2 : 1, a, g);
        jvalue dflt = g[0] ? a[0] : id == F_INT ? v_int(0) : v_float(0.0);
        if (v->type == JV_UNDEF) undefined_fail(R, v);  /* int(Undefined) raises, and do_int lets it through */
        double f;
        if (v->type == JV_INT || v->type == JV_BOOL) f = (double)num_i(v);
        else if (v->type == JV_FLOAT) f = v->u.f;
        else if (v->type == JV_STR) {
            jstr s = py_strip(v->u.s, NULL, 1, 1);
            char tmp[64];
            if (s.n == 0 || s.n >= sizeof tmp) return dflt;
            memcpy(tmp, s.p, s.n);
            tmp[s.n] = '\0';
            char *end;
            if (id == F_INT) {
                long long base = g[1] ? want_int(R, what, &a[1]) : 10;
                if (base < 2 || base > 36) base = 10;
                long long i = strtoll(tmp, &end, (int)base);
                if (*end == '\0' && end != tmp) return v_int(i);
            }
            f = strtod(tmp, &end);
            if (*end != '\0' || end == tmp) return dflt;
        } else {
            return dflt;
        }
        if (id == F_FLOAT) return v_float(f);
        if (!isfinite(f) || f >= 9.2e18 || f <= -9.2e18) return dflt;
        return v_int((int64_t)f);
    }
    case F_ABS:
        bind_args(R, what, A, NULL, 0, a, g);
        if (v->type == JV_FLOAT) return v_float(fabs(v->u.f));
        if (v->type == JV_INT || v->type == JV_BOOL) {
            int64_t i = num_i(v);
            if (i == INT64_MIN) rerr(R, "integer overflow in abs");
            return v_int(i < 0 ? -i : i);
        }
        rerr(R, "bad operand type for abs(): '%s'", type_name(v));
    case F_REPLACE: {
        static const char *const n[] = {"old", "new", "count", NULL};
        bind_args(R, what, A, n, 3, a, g);
        if (!g[0] || !g[1]) rerr(R, "do_replace() missing 1 required positional argument: '%s'", g[0] ? "new" : "old");
        return str_replace(R, str_of(R, v), str_of(R, &a[0]), str_of(R, &a[1]), g[2] && a[2].type != JV_NONE ? want_int(R, what, &a[2]) : -1);
    }
    case F_INDENT: {
        static const char *const n[] = {"width", "first", "blank", NULL};
        bind_args(R, what, A, n, 3, a, g);
        jstr pad;
        if (!g[0]) pad = (jstr){"    ", 4};
        else if (a[0].type == JV_STR) pad = a[0].u.s;
        else {
            int64_t w = want_int(R, what, &a[0]);
            if (w < 0) w = 0;
            if (w > 256) rerr(R, "indent width %lld is more than 256", (long long)w);
            char *p = ja_alloc(R->a, (size_t)w + 1);
            memset(p, ' ', (size_t)w);
            pad = (jstr){p, (size_t)w};
        }
        /* Jinja2's do_indent: s + "\n" split by str.splitlines, joined again with "\n" */
        if (v->type == JV_UNDEF) undefined_fail(R, v);
        if (v->type != JV_STR) rerr(R, "unsupported operand type(s) for +=: '%s' and 'str'", type_name(v));
        jstr s0 = v->u.s;
        char *p = ja_alloc(R->a, s0.n + 1);
        memcpy(p, s0.p, s0.n);
        p[s0.n] = '\n';
        jlist *lines = split_lines(R, (jstr){p, s0.n + 1});
        jbuf b = {0};
        for (size_t k = 0; k < lines->n; k++) {
            jstr line = lines->v[k].u.s;
            if (k) buf_putc(R, &b, '\n');
            if (k ? (line.n || truthy(&a[2])) : truthy(&a[1])) buf_put(R, &b, pad.p, pad.n);
            buf_put(R, &b, line.p, line.n);
        }
        return buf_value(&b);
    }
    case F_SELECT: case F_REJECT: case F_SELECTATTR: case F_REJECTATTR:
        for (int k = 0; k < A->nkw; k++) rerr(R, "%s: keyword arguments are not supported", what);
        return select_items(R, id, v, A);
    case F_MAP: {
        jlist *in = iterate(R, v), *out = new_list(R, in->n);
        jvalue attr = v_undef(NULL), dflt = v_undef(NULL);
        for (int k = 0; k < A->nkw; k++) {
            if (A->kwn[k].n == 9 && memcmp(A->kwn[k].p, "attribute", 9) == 0) attr = A->kwv[k];
            else if (A->kwn[k].n == 7 && memcmp(A->kwn[k].p, "default", 7) == 0) dflt = A->kwv[k];
            else rerr(R, "map: unexpected keyword argument '%.*s'", (int)A->kwn[k].n, A->kwn[k].p);
        }
        if (attr.type != JV_UNDEF) {
            jstr path = want_str(R, what, &attr);
            for (size_t k = 0; k < in->n; k++) {
                jvalue x = get_path(R, &in->v[k], path);
                list_push(R, out, x.type == JV_UNDEF && dflt.type != JV_UNDEF ? dflt : x);
            }
            out->gen = 1;
            return v_list(out);
        }
        if (A->npos < 1) rerr(R, "map needs a filter name or attribute=");
        jstr fname = want_str(R, what, &A->pos[0]);
        int fid = jinja_filter_id(fname.p, fname.n);
        if (fid < 0) rerr(R, "no filter named '%.*s'", (int)fname.n, fname.p);
        jargs rest = {A->pos + 1, A->npos - 1, NULL, NULL, 0};
        for (size_t k = 0; k < in->n; k++) {
            step(R);
            list_push(R, out, apply_filter(R, fid, &in->v[k], &rest));
        }
        out->gen = 1;
        return v_list(out);
    }
    }
    rerr(R, "filter '%s' is not implemented", what);
}

/* ---------------- global functions ---------------- */
enum { FN_RANGE, FN_NAMESPACE, FN_RAISE, FN_STRFTIME, FN_DICT };
static const char *const fn_names[] = {"range", "namespace", "raise_exception", "strftime_now", "dict", NULL};

static jvalue call_global(jr *R, int fn, const jargs *A) {
    jvalue a[3];
    int g[3];
    switch (fn) {
    case FN_RANGE: {
        static const char *const n[] = {"start", "stop", "step", NULL};
        bind_args(R, "range()", A, n, 3, a, g);
        if (A->nkw) rerr(R, "range() takes no keyword arguments");
        if (!g[0]) rerr(R, "range expected at least 1 argument, got 0");
        int64_t start = 0, stop, stp = 1;
        if (!g[1]) stop = want_int(R, "range()", &a[0]);
        else {
            start = want_int(R, "range()", &a[0]);
            stop = want_int(R, "range()", &a[1]);
            if (g[2]) stp = want_int(R, "range()", &a[2]);
        }
        if (stp == 0) rerr(R, "range() arg 3 must not be zero");
        double len = stp > 0 ? ceil(((double)stop - (double)start) / (double)stp) : ceil(((double)start - (double)stop) / -(double)stp);
        if (len < 0) len = 0;
        if (len > 100000) rerr(R, "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
        R->steps += (long)len;  /* building the list is work too: nested ranges meet the step bound first */
        step(R);
        jlist *l = new_list(R, (size_t)len);
        for (int64_t k = 0; k < (int64_t)len; k++) list_push(R, l, v_int(start + k * stp));
        return v_list(l);
    }
    case FN_NAMESPACE: case FN_DICT: {
        jdict *d = new_dict(R);
        if (A->npos > 1) rerr(R, "%s() takes at most 1 positional argument", fn_names[fn]);
        if (A->npos == 1) {
            if (A->pos[0].type != JV_DICT) rerr(R, "%s(): the positional argument must be a mapping", fn_names[fn]);
            for (size_t k = 0; k < A->pos[0].u.d->n; k++) dict_set(R, d, A->pos[0].u.d->k[k], A->pos[0].u.d->v[k]);
        }
        for (int k = 0; k < A->nkw; k++) dict_set(R, d, v_str(A->kwn[k].p, A->kwn[k].n), A->kwv[k]);
        return v_dict(d, fn == FN_NAMESPACE ? JV_NS : JV_DICT);
    }
    case FN_RAISE: {
        static const char *const n[] = {"message", NULL};
        bind_args(R, "raise_exception()", A, n, 1, a, g);
        if (!g[0]) rerr(R, "raise_exception() missing 1 required positional argument: 'message'");
        jstr msg = str_of(R, &a[0]);
        /* the template's own message, verbatim; an empty one would leave the
         * caller's "template: " with nothing after it */
        if (msg.n == 0) msg = (jstr){"raise_exception() with an empty message", 39};
        size_t used = msg.n < sizeof R->fail->msg - 1 ? msg.n : sizeof R->fail->msg - 1;
        memcpy(R->fail->msg, msg.p, used);
        R->fail->msg[used] = '\0';
        R->fail->status = GPT_ERR_FORMAT;
        R->fail->is_raise = 1;
        longjmp(R->fail->jmp, 1);
    }
    case FN_STRFTIME: {
        static const char *const n[] = {"format", NULL};
        bind_args(R, "strftime_now()", A, n, 1, a, g);
        jstr f = want_str(R, "strftime_now()", &a[0]);
        char *fmt = ja_strdup(R->a, f.p, f.n);
        struct tm tm;
        /* UTC: localtime_r would read TZ, and the library reads no environment;
         * a caller wanting local time passes it in limits->time (see gpt.h) */
        time_t t = R->has_time ? (time_t)R->time : time(NULL);
        gmtime_r(&t, &tm);
        char out[512];
        size_t len = strftime(out, sizeof out, fmt, &tm);
        if (len == 0 && f.n > 0) rerr(R, "strftime_now(): the formatted date is empty or longer than 511 bytes");
        return v_str(ja_strdup(R->a, out, len), len);
    }
    }
    rerr(R, "unknown function");
}

/* ---------------- frames ---------------- */
static jframe *new_frame(jr *R, jframe *parent) {
    jframe *f = ja_alloc(R->a, sizeof *f);
    memset(f, 0, sizeof *f);
    f->parent = parent;
    return f;
}

static void frame_set(jr *R, jframe *f, int sym, jvalue v) {
    for (int k = 0; k < f->n; k++)
        if (f->syms[k] == sym) { f->vals[k] = v; return; }
    if (f->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 8;
        f->syms = ja_grow(R->a, f->syms, (size_t)f->n * sizeof(int), (size_t)cap * sizeof(int));
        f->vals = ja_grow(R->a, f->vals, (size_t)f->n * sizeof(jvalue), (size_t)cap * sizeof(jvalue));
        f->cap = cap;
    }
    f->syms[f->n] = sym;
    f->vals[f->n++] = v;
}

static jvalue lookup(jr *R, const jframe *f, int sym) {
    for (; f; f = f->parent)
        for (int k = 0; k < f->n; k++)
            if (f->syms[k] == sym) return f->vals[k];
    jvalue v = R->globals[sym];
    if (v.type == JV_UNDEF && !v.u.s.p)
        return v_undef_fmt(R, "'%.*s' is undefined", (int)R->t->syms[sym].n, R->t->syms[sym].p);
    return v;
}

/* ---------------- evaluation ---------------- */
static jvalue eval(jr *R, jframe *f, const jexpr *e);
static int exec_body(jr *R, jframe *f, jstmt *const *body, int n);

static void eval_args(jr *R, jframe *f, const jexpr *e, jargs *A) {
    A->npos = e->nargs;
    A->nkw = e->nkw;
    A->kwn = e->kwnames;
    A->pos = e->nargs ? ja_alloc(R->a, (size_t)e->nargs * sizeof(jvalue)) : NULL;
    A->kwv = e->nkw ? ja_alloc(R->a, (size_t)e->nkw * sizeof(jvalue)) : NULL;
    for (int k = 0; k < e->nargs; k++) A->pos[k] = eval(R, f, e->args[k]);
    for (int k = 0; k < e->nkw; k++) A->kwv[k] = eval(R, f, e->kwargs[k]);
}

static jvalue call_macro(jr *R, const struct jmacro *m, const jargs *A) {
    const jstmt *def = m->def;
    if (R->depth >= R->max_depth) rerr(R, "macro calls nested more than %d deep", R->max_depth);
    if (A->npos > def->ntargets)
        rerr(R, "macro '%.*s' takes not more than %d argument(s)", (int)def->text.n, def->text.p, def->ntargets);
    jframe *f = new_frame(R, m->frame);
    int *given = ja_alloc(R->a, (size_t)(def->ntargets + 1) * sizeof(int));
    for (int k = 0; k < def->ntargets; k++) given[k] = k < A->npos;
    for (int k = 0; k < A->npos; k++) frame_set(R, f, def->targets[k], A->pos[k]);
    for (int j = 0; j < A->nkw; j++) {
        int hit = -1;
        for (int k = 0; k < def->ntargets; k++) {
            jstr name = R->t->syms[def->targets[k]];
            if (name.n == A->kwn[j].n && memcmp(name.p, A->kwn[j].p, name.n) == 0) hit = k;
        }
        if (hit < 0) rerr(R, "macro '%.*s' takes no keyword argument '%.*s'", (int)def->text.n, def->text.p, (int)A->kwn[j].n, A->kwn[j].p);
        if (given[hit]) rerr(R, "macro '%.*s' got multiple values for argument '%.*s'", (int)def->text.n, def->text.p, (int)A->kwn[j].n, A->kwn[j].p);
        given[hit] = 1;
        frame_set(R, f, def->targets[hit], A->kwv[j]);
    }
    R->depth++;
    for (int k = 0; k < def->ntargets; k++) {
        if (given[k]) continue;
        jvalue v = def->defaults[k] ? eval(R, f, def->defaults[k])
                                    : v_undef_fmt(R, "parameter '%.*s' was not provided", (int)R->t->syms[def->targets[k]].n, R->t->syms[def->targets[k]].p);
        frame_set(R, f, def->targets[k], v);
    }
    jbuf *saved = R->out, b = {0};
    int saved_line = R->line;
    R->out = &b;
    exec_body(R, f, def->body, def->nbody);
    R->out = saved;
    R->line = saved_line;
    R->depth--;
    return buf_value(&b);
}

static jvalue call_value(jr *R, const jvalue *fn, const jargs *A) {
    switch (fn->type) {
    case JV_FUNC: return call_global(R, fn->u.fn, A);
    case JV_BOUND: return call_method(R, fn->u.bound, A);
    case JV_MACRO: return call_macro(R, fn->u.macro, A);
    case JV_UNDEF: undefined_fail(R, fn);
    default: rerr(R, "'%s' object is not callable", type_name(fn));
    }
}

static jvalue eval(jr *R, jframe *f, const jexpr *e) {
    step(R);
    switch (e->kind) {
    case JE_CONST: return e == R->hole ? R->hole_val : e->cval;
    case JE_NAME: return lookup(R, f, e->id);
    case JE_ATTR: {
        jvalue o = eval(R, f, e->a);
        return get_attr(R, &o, e->name);
    }
    case JE_ITEM: {
        jvalue o = eval(R, f, e->a), k = eval(R, f, e->b);
        return get_item(R, &o, &k);
    }
    case JE_SLICE: {
        jvalue o = eval(R, f, e->a);
        jvalue a = e->b ? eval(R, f, e->b) : v_none(), b = e->c ? eval(R, f, e->c) : v_none();
        jvalue s = e->args[0] ? eval(R, f, e->args[0]) : v_none();
        return do_slice(R, &o, &a, &b, &s);
    }
    case JE_CALL: {
        jvalue fn = eval(R, f, e->a);
        jargs A;
        eval_args(R, f, e, &A);
        int line = R->line;
        R->line = e->line;
        jvalue r = call_value(R, &fn, &A);
        R->line = line;
        return r;
    }
    case JE_FILTER: {
        jvalue v = eval(R, f, e->a);
        jargs A;
        eval_args(R, f, e, &A);
        return apply_filter(R, e->id, &v, &A);
    }
    case JE_TEST: {
        jvalue v = eval(R, f, e->a);
        jargs A;
        eval_args(R, f, e, &A);
        return v_bool(apply_test(R, e->id, &v, &A) != (e->op == 1));
    }
    case JE_NEG: case JE_POS: {
        jvalue v = eval(R, f, e->a);
        if (v.type == JV_UNDEF) undefined_fail(R, &v);
        if (v.type == JV_FLOAT) return v_float(e->kind == JE_NEG ? -v.u.f : v.u.f);
        if (v.type == JV_INT || v.type == JV_BOOL) {
            int64_t i = num_i(&v);
            if (e->kind == JE_POS) return v_int(i);
            if (i == INT64_MIN) rerr(R, "integer overflow in unary '-'");
            return v_int(-i);
        }
        rerr(R, "bad operand type for unary %c: '%s'", e->kind == JE_NEG ? '-' : '+', type_name(&v));
    }
    case JE_NOT: {
        jvalue v = eval(R, f, e->a);
        return v_bool(!truthy(&v));
    }
    case JE_AND: {
        jvalue a = eval(R, f, e->a);
        return truthy(&a) ? eval(R, f, e->b) : a;
    }
    case JE_OR: {
        jvalue a = eval(R, f, e->a);
        return truthy(&a) ? a : eval(R, f, e->b);
    }
    case JE_BIN: {
        jvalue a = eval(R, f, e->a), b = eval(R, f, e->b);
        return arith(R, e->op, &a, &b);
    }
    case JE_CMP: {
        jvalue left = eval(R, f, e->a);
        for (int k = 0; k < e->nargs; k++) {
            jvalue right = eval(R, f, e->args[k]);
            int ok;
            switch (e->ops[k]) {
            case JOP_EQ: ok = veq(R, &left, &right, 0); break;
            case JOP_NE: ok = !veq(R, &left, &right, 0); break;
            case JOP_LT: ok = vcmp(R, &left, &right, "<", 0) < 0; break;
            case JOP_LE: ok = vcmp(R, &left, &right, "<=", 0) <= 0; break;
            case JOP_GT: ok = vcmp(R, &left, &right, ">", 0) > 0; break;
            case JOP_GE: ok = vcmp(R, &left, &right, ">=", 0) >= 0; break;
            case JOP_IN: ok = contains(R, &left, &right); break;
            default: ok = !contains(R, &left, &right); break;
            }
            if (!ok) return v_bool(0);
            left = right;
        }
        return v_bool(1);
    }
    case JE_COND: {
        jvalue c = eval(R, f, e->c);
        if (truthy(&c)) return eval(R, f, e->a);
        if (e->b) return eval(R, f, e->b);
        return v_undef_fmt(R, "the inline if-expression on line %d evaluated to false and no else section was defined.", e->line);
    }
    case JE_LIST: case JE_TUPLE: {
        jlist *l = new_list(R, (size_t)e->nargs);
        l->tuple = e->kind == JE_TUPLE;
        for (int k = 0; k < e->nargs; k++) list_push(R, l, eval(R, f, e->args[k]));
        return v_list(l);
    }
    case JE_DICT: {
        jdict *d = new_dict(R);
        for (int k = 0; k < e->nargs; k++) {
            jvalue key = eval(R, f, e->args[k]);
            if (key.type != JV_STR && key.type != JV_INT && key.type != JV_BOOL && key.type != JV_FLOAT && key.type != JV_NONE)
                rerr(R, "unhashable type: '%s'", type_name(&key));
            dict_set(R, d, key, eval(R, f, e->kwargs[k]));
        }
        return v_dict(d, JV_DICT);
    }
    }
    rerr(R, "unknown expression");
}

/* ---------------- statements ---------------- */
enum { FLOW_NEXT = 0, FLOW_BREAK, FLOW_CONTINUE };

static void assign_targets(jr *R, jframe *f, const jstmt *s, const jvalue *v) {
    if (!s->unpack) { frame_set(R, f, s->targets[0], *v); return; }
    if (v->type == JV_UNDEF) undefined_fail(R, v);
    jlist *items = iterate(R, v);
    if ((int)items->n != s->ntargets || items->n > (size_t)s->ntargets) {
        if (items->n > (size_t)s->ntargets) rerr(R, "too many values to unpack (expected %d)", s->ntargets);
        rerr(R, "not enough values to unpack (expected %d, got %zu)", s->ntargets, items->n);
    }
    for (int k = 0; k < s->ntargets; k++) frame_set(R, f, s->targets[k], items->v[k]);
}

static int exec_stmt(jr *R, jframe *f, const jstmt *s) {
    step(R);
    R->line = s->line;
    switch (s->kind) {
    case JS_TEXT: buf_put(R, R->out, s->text.p, s->text.n); return FLOW_NEXT;
    case JS_OUTPUT: {
        jvalue v = eval(R, f, s->e);
        to_str(R, R->out, &v);
        return FLOW_NEXT;
    }
    case JS_IF: {
        if (!s->e) return exec_body(R, f, s->body, s->nbody);
        jvalue c = eval(R, f, s->e);
        return truthy(&c) ? exec_body(R, f, s->body, s->nbody) : exec_body(R, f, s->alt, s->nalt);
    }
    case JS_FOR: {
        jvalue it = eval(R, f, s->e);
        jlist *items = iterate(R, &it);
        jframe *inner = new_frame(R, f);
        if (s->cond) {  /* "for x in xs if cond": the loop sees only the items that pass */
            jlist *kept = new_list(R, 0);
            for (size_t k = 0; k < items->n; k++) {
                step(R);
                inner->n = 0;
                assign_targets(R, inner, s, &items->v[k]);
                jvalue c = eval(R, inner, s->cond);
                if (truthy(&c)) list_push(R, kept, items->v[k]);
            }
            items = kept;
        }
        jloop *L = ja_alloc(R->a, sizeof *L);
        L->length = (int64_t)items->n;
        L->items = items;
        jvalue loopv;
        memset(&loopv, 0, sizeof loopv);
        loopv.type = JV_LOOP;
        loopv.u.loop = L;
        for (size_t k = 0; k < items->n; k++) {
            step(R);       /* an iteration is a step even when its body is empty */
            inner->n = 0;  /* every iteration starts from the enclosing scope */
            L->index0 = (int64_t)k;
            assign_targets(R, inner, s, &items->v[k]);
            if (R->t->loop_sym >= 0) frame_set(R, inner, R->t->loop_sym, loopv);
            int flow = exec_body(R, inner, s->body, s->nbody);
            if (flow == FLOW_BREAK) break;
        }
        if (items->n == 0) return exec_body(R, f, s->alt, s->nalt);
        return FLOW_NEXT;
    }
    case JS_SET: {
        jvalue v = eval(R, f, s->e);
        assign_targets(R, f, s, &v);
        return FLOW_NEXT;
    }
    case JS_SET_ATTR: {
        jvalue ns = lookup(R, f, s->targets[0]);
        if (ns.type != JV_NS) rerr(R, "cannot assign attribute on non-namespace object");
        jvalue v = eval(R, f, s->e);
        dict_set(R, ns.u.d, v_str(s->text.p, s->text.n), v);
        return FLOW_NEXT;
    }
    case JS_SET_BLOCK: {
        jbuf *saved = R->out, b = {0};
        R->out = &b;
        exec_body(R, f, s->body, s->nbody);
        R->out = saved;
        jvalue v = buf_value(&b);
        if (s->e) {
            const jexpr *hole = R->hole;
            jvalue hole_val = R->hole_val;
            R->hole = s->cond;
            R->hole_val = v;
            v = eval(R, f, s->e);
            R->hole = hole;
            R->hole_val = hole_val;
        }
        frame_set(R, f, s->targets[0], v);
        return FLOW_NEXT;
    }
    case JS_MACRO: {
        struct jmacro *m = ja_alloc(R->a, sizeof *m);
        m->def = s;
        m->frame = f;
        jvalue v;
        memset(&v, 0, sizeof v);
        v.type = JV_MACRO;
        v.u.macro = m;
        frame_set(R, f, s->sym, v);
        return FLOW_NEXT;
    }
    case JS_BREAK: return FLOW_BREAK;
    case JS_CONTINUE: return FLOW_CONTINUE;
    }
    return FLOW_NEXT;
}

static int exec_body(jr *R, jframe *f, jstmt *const *body, int n) {
    for (int k = 0; k < n; k++) {
        int flow = exec_stmt(R, f, body[k]);
        if (flow != FLOW_NEXT) return flow;
    }
    return FLOW_NEXT;
}

/* ---------------- the context: JSON into values ---------------- */
/* Our own reader, not cJSON's: it keeps 1 and 1.0 apart as Python's
 * json.loads does (tojson prints them back differently). */
typedef struct {
    jr *R;
    const char *p;
    size_t n, i;
    int depth;
} jjson;

_Noreturn static void json_fail(jjson *J, const char *what) {
    jfail_raise(J->R->fail, GPT_ERR_ARG, "context: %s at byte %zu", what, J->i);
}

static void json_ws(jjson *J) {
    while (J->i < J->n && (J->p[J->i] == ' ' || J->p[J->i] == '\t' || J->p[J->i] == '\n' || J->p[J->i] == '\r')) J->i++;
}

static int json_word(jjson *J, const char *w) {
    size_t n = strlen(w);
    if (J->n - J->i >= n && memcmp(J->p + J->i, w, n) == 0) { J->i += n; return 1; }
    return 0;
}

static uint32_t json_hex4(jjson *J) {
    if (J->n - J->i < 4) json_fail(J, "truncated \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        char c = J->p[J->i++];
        int d = c >= '0' && c <= '9' ? c - '0' : (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10 : -1;
        if (d < 0) json_fail(J, "bad \\u escape");
        v = v * 16 + (uint32_t)d;
    }
    return v;
}

static jvalue json_string(jjson *J) {
    jr *R = J->R;
    J->i++;  /* the quote */
    size_t start = J->i;
    while (J->i < J->n && J->p[J->i] != '"' && J->p[J->i] != '\\') {
        if ((unsigned char)J->p[J->i] < 0x20) json_fail(J, "control character in a string");
        J->i++;
    }
    if (J->i < J->n && J->p[J->i] == '"') {  /* no escapes: point into the input */
        J->i++;
        return v_str(J->p + start, J->i - start - 1);
    }
    jbuf b = {0};
    size_t saved_max = R->max_output;
    R->max_output = SIZE_MAX;  /* the context's own size is the caller's business */
    buf_put(R, &b, J->p + start, J->i - start);
    for (;;) {
        if (J->i >= J->n) json_fail(J, "unterminated string");
        char c = J->p[J->i];
        if (c == '"') { J->i++; break; }
        if ((unsigned char)c < 0x20) json_fail(J, "control character in a string");
        if (c != '\\') { buf_putc(R, &b, c); J->i++; continue; }
        J->i++;
        if (J->i >= J->n) json_fail(J, "unterminated string");
        char e = J->p[J->i++];
        switch (e) {
        case '"': buf_putc(R, &b, '"'); break;
        case '\\': buf_putc(R, &b, '\\'); break;
        case '/': buf_putc(R, &b, '/'); break;
        case 'b': buf_putc(R, &b, '\b'); break;
        case 'f': buf_putc(R, &b, '\f'); break;
        case 'n': buf_putc(R, &b, '\n'); break;
        case 'r': buf_putc(R, &b, '\r'); break;
        case 't': buf_putc(R, &b, '\t'); break;
        case 'u': {
            uint32_t cp = json_hex4(J);
            if (cp >= 0xD800 && cp <= 0xDBFF && J->n - J->i >= 6 && J->p[J->i] == '\\' && J->p[J->i + 1] == 'u') {
                size_t save = J->i;
                J->i += 2;
                uint32_t lo = json_hex4(J);
                if (lo >= 0xDC00 && lo <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else J->i = save;
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) json_fail(J, "a lone UTF-16 surrogate (\\u escape) in a string");
            buf_put_cp(R, &b, cp);
            break;
        }
        default: json_fail(J, "bad escape in a string");
        }
    }
    R->max_output = saved_max;
    return buf_value(&b);
}

static jvalue json_value(jjson *J) {
    jr *R = J->R;
    json_ws(J);
    if (J->i >= J->n) json_fail(J, "unexpected end of JSON");
    char c = J->p[J->i];
    if (c == '{' || c == '[') {
        if (++J->depth > VALUE_MAX_DEPTH) json_fail(J, "JSON nested too deeply");
        J->i++;
        json_ws(J);
        jvalue out;
        if (c == '{') {
            jdict *d = new_dict(R);
            if (J->i < J->n && J->p[J->i] == '}') J->i++;
            else for (;;) {
                json_ws(J);
                if (J->i >= J->n || J->p[J->i] != '"') json_fail(J, "expected a string key");
                jvalue key = json_string(J);
                json_ws(J);
                if (J->i >= J->n || J->p[J->i] != ':') json_fail(J, "expected ':'");
                J->i++;
                jvalue v = json_value(J);
                dict_set(R, d, key, v);  /* a repeated key: the last value wins, as in Python */
                json_ws(J);
                if (J->i < J->n && J->p[J->i] == ',') { J->i++; continue; }
                if (J->i < J->n && J->p[J->i] == '}') { J->i++; break; }
                json_fail(J, "expected ',' or '}'");
            }
            out = v_dict(d, JV_DICT);
        } else {
            jlist *l = new_list(R, 0);
            if (J->i < J->n && J->p[J->i] == ']') J->i++;
            else for (;;) {
                list_push(R, l, json_value(J));
                json_ws(J);
                if (J->i < J->n && J->p[J->i] == ',') { J->i++; continue; }
                if (J->i < J->n && J->p[J->i] == ']') { J->i++; break; }
                json_fail(J, "expected ',' or ']'");
            }
            out = v_list(l);
        }
        J->depth--;
        return out;
    }
    if (c == '"') return json_string(J);
    if (json_word(J, "true")) return v_bool(1);
    if (json_word(J, "false")) return v_bool(0);
    if (json_word(J, "null")) return v_none();
    if (json_word(J, "NaN")) return v_float(NAN);
    if (json_word(J, "Infinity")) return v_float(INFINITY);
    if (json_word(J, "-Infinity")) return v_float(-INFINITY);
    size_t start = J->i;
    if (J->i < J->n && J->p[J->i] == '-') J->i++;
    if (J->i >= J->n || !(J->p[J->i] >= '0' && J->p[J->i] <= '9')) json_fail(J, "unexpected character");
    if (J->p[J->i] == '0') J->i++;
    else while (J->i < J->n && J->p[J->i] >= '0' && J->p[J->i] <= '9') J->i++;
    int is_float = 0;
    if (J->i < J->n && J->p[J->i] == '.') {
        is_float = 1;
        J->i++;
        if (J->i >= J->n || !(J->p[J->i] >= '0' && J->p[J->i] <= '9')) json_fail(J, "bad number");
        while (J->i < J->n && J->p[J->i] >= '0' && J->p[J->i] <= '9') J->i++;
    }
    if (J->i < J->n && (J->p[J->i] == 'e' || J->p[J->i] == 'E')) {
        is_float = 1;
        J->i++;
        if (J->i < J->n && (J->p[J->i] == '+' || J->p[J->i] == '-')) J->i++;
        if (J->i >= J->n || !(J->p[J->i] >= '0' && J->p[J->i] <= '9')) json_fail(J, "bad number");
        while (J->i < J->n && J->p[J->i] >= '0' && J->p[J->i] <= '9') J->i++;
    }
    char *num = ja_strdup(R->a, J->p + start, J->i - start);
    if (is_float) return v_float(strtod(num, NULL));
    int64_t v = 0;
    int neg = num[0] == '-';
    for (const char *q = num + neg; *q; q++)
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, neg ? -(*q - '0') : *q - '0', &v)) {
            J->i = start;
            json_fail(J, "an integer that does not fit in 64 bits");
        }
    return v_int(v);
}

/* ---------------- public API ---------------- */
typedef struct {
    jfail fail;
    jarena arena;
    jr R;
    jbuf out;
} render_state;

gpt_status gpt_template_new(gpt_template **out, const char *source, size_t len, char *err, size_t err_len) {
    if (!out) return gpt_fail(err, err_len, GPT_ERR_ARG, "gpt_template_new: out is NULL");
    *out = NULL;
    if (!source && len) return gpt_fail(err, err_len, GPT_ERR_ARG, "gpt_template_new: source is NULL");
    struct gpt_template *tpl = calloc(1, sizeof *tpl);
    jfail *fail = calloc(1, sizeof *fail);
    if (!tpl || !fail) {
        free(tpl);
        free(fail);
        return gpt_fail(err, err_len, GPT_ERR_OOM, "template: out of memory");
    }
    tpl->arena.fail = fail;
    if (setjmp(fail->jmp)) {
        gpt_status st = fail->status;
        gpt_fail(err, err_len, st, "%s", fail->msg);
        ja_free(&tpl->arena);
        free(tpl);
        free(fail);
        return st;
    }
    jinja_parse(tpl, source ? source : "", len, fail);
    tpl->arena.fail = NULL;
    free(fail);
    *out = tpl;
    return GPT_OK;
}

void gpt_template_free(gpt_template *tpl) {
    if (!tpl) return;
    ja_free(&tpl->arena);
    free(tpl);
}

gpt_status gpt_template_render(const gpt_template *tpl, const char *context_json, const gpt_template_limits *limits,
                               char **out, size_t *out_len, char *err, size_t err_len) {
    if (!tpl || !out) return gpt_fail(err, err_len, GPT_ERR_ARG, "gpt_template_render: template or out is NULL");
    *out = NULL;
    if (out_len) *out_len = 0;
    render_state *S = calloc(1, sizeof *S);
    if (!S) return gpt_fail(err, err_len, GPT_ERR_OOM, "template: out of memory");
    jr *R = &S->R;
    R->fail = &S->fail;
    R->a = &S->arena;
    R->t = tpl;
    S->arena.fail = &S->fail;
    S->arena.limit = limits && limits->max_memory ? limits->max_memory : GPT_TEMPLATE_MAX_MEMORY;
    R->max_steps = limits && limits->max_steps > 0 ? limits->max_steps : GPT_TEMPLATE_MAX_STEPS;
    R->max_output = limits && limits->max_output ? limits->max_output : GPT_TEMPLATE_MAX_OUTPUT;
    R->max_depth = limits && limits->max_depth > 0 ? limits->max_depth : GPT_TEMPLATE_MAX_DEPTH;
    R->has_time = limits ? limits->has_time : 0;
    R->time = limits ? limits->time : 0;
    R->out = &S->out;
    if (setjmp(S->fail.jmp)) {
        gpt_status st = S->fail.status;
        if (strncmp(S->fail.msg, "rendering exceeds", 17) == 0 && strstr(S->fail.msg, "memory"))
            gpt_fail(err, err_len, st, "line %d: %s", R->line, S->fail.msg);  /* the arena knows no line */
        else
            gpt_fail(err, err_len, st, "%s", S->fail.msg);
        ja_free(&S->arena);
        free(S);
        return st;
    }
    /* globals: the context's variables first, then the global functions */
    R->globals = ja_alloc(R->a, ((size_t)tpl->nsym + 1) * sizeof(jvalue));
    for (int k = 0; k < tpl->nsym; k++) {
        R->globals[k] = v_undef(NULL);
        int fn = find_name(fn_names, tpl->syms[k]);
        if (fn >= 0) {
            memset(&R->globals[k], 0, sizeof(jvalue));
            R->globals[k].type = JV_FUNC;
            R->globals[k].u.fn = fn;
        }
    }
    if (context_json) {
        size_t n = strlen(context_json), bad;
        if (!jinja_utf8_valid(context_json, n, &bad))
            jfail_raise(&S->fail, GPT_ERR_ARG, "context: not valid UTF-8 at byte %zu", bad);
        jjson J = {R, context_json, n, 0, 0};
        json_ws(&J);
        if (J.i < J.n) {
            jvalue ctx = json_value(&J);
            json_ws(&J);
            if (J.i < J.n) json_fail(&J, "trailing characters after the JSON value");
            if (ctx.type != JV_DICT) jfail_raise(&S->fail, GPT_ERR_ARG, "context: not a JSON object");
            for (size_t k = 0; k < ctx.u.d->n; k++) {
                jstr key = ctx.u.d->k[k].u.s;
                for (int s = 0; s < tpl->nsym; s++)
                    if (tpl->syms[s].n == key.n && memcmp(tpl->syms[s].p, key.p, key.n) == 0) R->globals[s] = ctx.u.d->v[k];
            }
        }
    }
    R->root = new_frame(R, NULL);
    R->line = 1;
    exec_body(R, R->root, tpl->body, tpl->nbody);
    char *text = malloc(S->out.n + 1);
    if (!text) jfail_raise(&S->fail, GPT_ERR_OOM, "template: out of memory for %zu bytes of output", S->out.n);
    if (S->out.n) memcpy(text, S->out.p, S->out.n);
    text[S->out.n] = '\0';
    *out = text;
    if (out_len) *out_len = S->out.n;
    ja_free(&S->arena);
    free(S);
    return GPT_OK;
}
