/* normalize.c — tokenizer.json's normalizers, applied to one piece of text
 * (the text between two added tokens) as HF's tokenizers does:
 *   NFC, NFD, NFKC, NFKD  Unicode normalization (utf8proc)
 *   Lowercase             per character, full mapping (Rust's char::to_lowercase)
 *   Strip                 White_Space at the left and/or right
 *   Prepend               its text before a non-empty piece
 *   Replace               every match of a String or Regex pattern
 * A Sequence is flattened into the steps at load time.
 */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "tokenizer_internal.h"

int tk_buf_put(tk_buf *b, const void *p, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) return -1;
        b->s = s;
        b->cap = cap;
    }
    if (n && p) memcpy(b->s + b->n, p, n);  // p NULL: only make room
    b->n += n;
    return 0;
}

static int unicode_normalize(tk_norm_kind kind, const char *in, size_t n, tk_buf *out) {
    int options = UTF8PROC_STABLE;
    if (kind == NORM_NFC || kind == NORM_NFKC) options |= UTF8PROC_COMPOSE;
    else options |= UTF8PROC_DECOMPOSE;
    if (kind == NORM_NFKC || kind == NORM_NFKD) options |= UTF8PROC_COMPAT;
    utf8proc_uint8_t *result = NULL;
    utf8proc_ssize_t len = utf8proc_map((const utf8proc_uint8_t *)in, (utf8proc_ssize_t)n, &result, options);
    if (len < 0) return -1;  // only out of memory: the text is valid UTF-8
    int rc = tk_buf_put(out, result, (size_t)len);
    free(result);
    return rc;
}

/* Whether every character is below U+0300: none of those changes under NFC
 * (the first with NFC_Quick_Check No or Maybe is U+0300, a combining mark),
 * and there is no mark to compose them with. Lead bytes 0xCC and up start
 * U+0300 and higher. */
static int below_u0300(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0xCC) return 0;
    return 1;
}

static int lowercase(const char *in, size_t n, tk_buf *out) {
    for (size_t i = 0; i < n;) {
        int cp, k = tk_utf8_decode((const unsigned char *)in + i, n - i, &cp);
        if (k == 0) return -1;
        char enc[8];
        int len;
        if (cp == 0x130) {  // İ: the one unconditional multi-character lowercase (i + combining dot)
            memcpy(enc, "i\xcc\x87", 3);
            len = 3;
        } else {
            len = tk_utf8_encode(enc, utf8proc_tolower(cp));
        }
        if (tk_buf_put(out, enc, (size_t)len)) return -1;
        i += (size_t)k;
    }
    return 0;
}

static int strip(int left, int right, const char *in, size_t n, tk_buf *out) {
    size_t a = 0, b = n;
    while (left && a < b) {
        int cp, k = tk_utf8_decode((const unsigned char *)in + a, b - a, &cp);
        if (k == 0 || !tk_is_white_space(cp)) break;
        a += (size_t)k;
    }
    while (right && b > a) {
        size_t s = b - 1;  // back to the start of the last character
        while (s > a && ((unsigned char)in[s] & 0xC0) == 0x80) s--;
        int cp, k = tk_utf8_decode((const unsigned char *)in + s, b - s, &cp);
        if (k == 0 || !tk_is_white_space(cp)) break;
        b = s;
    }
    return tk_buf_put(out, in + a, b - a);
}

static int replace(const tk_normalizer *r, const char *in, size_t n, tk_buf *out) {
    size_t done = 0;
    if (r->re) {
        tk_regex_iter it = {0};
        size_t s, e;
        int rc;
        while ((rc = tk_regex_next(r->re, in, n, &it, &s, &e)) == 1) {
            if (tk_buf_put(out, in + done, s - done) || tk_buf_put(out, r->content, r->content_len)) return -1;
            done = e;
        }
        if (rc < 0) return -1;
    } else if (r->literal_len) {
        for (size_t i = 0; i + r->literal_len <= n;) {
            const char *hit = memmem(in + i, n - i, r->literal, r->literal_len);
            if (!hit) break;
            size_t at = (size_t)(hit - in);
            if (tk_buf_put(out, in + done, at - done) || tk_buf_put(out, r->content, r->content_len)) return -1;
            done = i = at + r->literal_len;
        }
    }
    return tk_buf_put(out, in + done, n - done);
}

int tk_normalize(const tk_normalizer *steps, int n_steps, const char *in, size_t n, tk_buf *out) {
    out->n = 0;
    if (tk_buf_put(out, in, n)) return -1;
    tk_buf tmp = {0};
    int rc = 0;
    for (int i = 0; i < n_steps && rc == 0; i++) {
        const tk_normalizer *s = &steps[i];
        if (out->n == 0) break;  // every normalizer leaves an empty piece empty
        tmp.n = 0;
        switch (s->kind) {
        case NORM_NFC: case NORM_NFD: case NORM_NFKC: case NORM_NFKD:
            if (s->kind == NORM_NFC && below_u0300(out->s, out->n)) continue;  // already NFC: leave it
            rc = unicode_normalize(s->kind, out->s, out->n, &tmp);
            break;
        case NORM_LOWERCASE: rc = lowercase(out->s, out->n, &tmp); break;
        case NORM_STRIP: rc = strip(s->strip_left, s->strip_right, out->s, out->n, &tmp); break;
        case NORM_PREPEND:
            if (out->n) rc = tk_buf_put(&tmp, s->content, s->content_len);
            if (!rc) rc = tk_buf_put(&tmp, out->s, out->n);
            break;
        case NORM_REPLACE: rc = replace(s, out->s, out->n, &tmp); break;
        }
        tk_buf swap = *out;
        *out = tmp;
        tmp = swap;
    }
    free(tmp.s);
    return rc;
}
