/* decode.c — tokenizer.json's decoder chain, precomputed per token.
 *
 * HF decodes a list of token strings through its decoders in turn:
 *   ByteLevel     GPT-2's map back to bytes, then joins the tokens
 *   Replace       a String pattern in each token
 *   ByteFallback  <0xNN> tokens to their bytes
 *   Fuse          joins the tokens
 *   Strip         up to `start` leading and `stop` trailing `content` chars
 *   Metaspace     the replacement (▁) to a space, dropped in the first token
 * Until a step joins the tokens, each step works on each token alone
 * (Metaspace also asks whether it is the first); after a join, a step sees
 * the whole text. So the decoded text is
 *     head[first id] + tail[second id] + tail[third id] + ...
 * with a post-join Strip of leading characters applied once at the start.
 * Chains where that would not be exact (a multi-character Replace, a
 * Metaspace or a trailing Strip after a join) are refused at load.
 *
 * Bytes are kept as bytes: HF turns byte tokens that are not valid UTF-8 on
 * their own into U+FFFD; here they are written as they are, so streaming
 * token by token gives the same bytes as decoding all at once, and a text
 * that decodes to valid UTF-8 decodes exactly as HF's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* One token through the chain; is_first: the first token of the text. */
static int decode_token(const gpt_tokenizer *t, const char *token, int is_first, tk_buf *out, tk_buf *tmp) {
    out->n = 0;
    if (tk_buf_put(out, token, strlen(token))) return -1;
    if (t->decoder_joins_with_space && !is_first) {
        tmp->n = 0;
        if (tk_buf_put(tmp, " ", 1) || tk_buf_put(tmp, out->s, out->n)) return -1;
        tk_buf s = *out; *out = *tmp; *tmp = s;
    }
    int fused = 0;
    for (int k = 0; k < t->n_dec; k++) {
        const tk_decoder *d = &t->dec[k];
        tmp->n = 0;
        switch (d->kind) {
        case DEC_BYTELEVEL: {
            int all = 1;
            for (size_t i = 0; i < out->n && all;) {
                int cp, step = tk_utf8_decode((const unsigned char *)out->s + i, out->n - i, &cp);
                int byte = step ? tk_unicode_to_byte(cp) : -1;
                if (byte < 0) all = 0;
                else {
                    char b = (char)byte;
                    if (tk_buf_put(tmp, &b, 1)) return -1;
                }
                i += (size_t)(step ? step : 1);
            }
            if (!all) {  // a token outside the map (an added token) keeps its own bytes
                tmp->n = 0;
                if (tk_buf_put(tmp, out->s, out->n)) return -1;
            }
            fused = 1;
            break;
        }
        case DEC_REPLACE: {
            size_t done = 0;
            for (size_t i = 0; d->pattern_len && i + d->pattern_len <= out->n;) {
                const char *hit = memmem(out->s + i, out->n - i, d->pattern, d->pattern_len);
                if (!hit) break;
                size_t at = (size_t)(hit - out->s);
                if (tk_buf_put(tmp, out->s + done, at - done) || tk_buf_put(tmp, d->content, d->content_len)) return -1;
                done = i = at + d->pattern_len;
            }
            if (tk_buf_put(tmp, out->s + done, out->n - done)) return -1;
            break;
        }
        case DEC_BYTEFALLBACK: {  // exactly "<0xNN>", two hex digits of either case
            int hi = out->n == 6 && !memcmp(out->s, "<0x", 3) && out->s[5] == '>' ? hex_digit(out->s[3]) : -1;
            int lo = hi >= 0 ? hex_digit(out->s[4]) : -1;
            if (lo >= 0) {
                char b = (char)(hi << 4 | lo);
                if (tk_buf_put(tmp, &b, 1)) return -1;
            } else if (tk_buf_put(tmp, out->s, out->n)) {
                return -1;
            }
            break;
        }
        case DEC_FUSE:
            fused = 1;
            if (tk_buf_put(tmp, out->s, out->n)) return -1;
            break;
        case DEC_STRIP: {
            size_t a = 0, b = out->n;
            if (!fused) {  // each token alone (after a join: once, at the start of the text)
                for (int i = 0; i < d->start && a + d->content_len <= b && !memcmp(out->s + a, d->content, d->content_len); i++)
                    a += d->content_len;
                for (int i = 0; i < d->stop && b >= a + d->content_len &&
                                !memcmp(out->s + b - d->content_len, d->content, d->content_len); i++)
                    b -= d->content_len;
            }
            if (tk_buf_put(tmp, out->s + a, b - a)) return -1;
            break;
        }
        case DEC_METASPACE: {
            int first = fused ? 1 : is_first;
            for (size_t i = 0; i < out->n;) {
                if (out->n - i >= (size_t)d->replacement_len && !memcmp(out->s + i, d->replacement, (size_t)d->replacement_len)) {
                    if (!(first && d->prepend) && tk_buf_put(tmp, " ", 1)) return -1;
                    i += (size_t)d->replacement_len;
                } else {
                    if (tk_buf_put(tmp, out->s + i, 1)) return -1;
                    i++;
                }
            }
            break;
        }
        }
        tk_buf s = *out; *out = *tmp; *tmp = s;
    }
    return 0;
}

gpt_status tk_decoders_prepare(gpt_tokenizer *t, const char *file, char *err, size_t err_len) {
    /* Refuse what head/tail cannot reproduce exactly. */
    int fused = 0;
    for (int k = 0; k < t->n_dec; k++) {
        const tk_decoder *d = &t->dec[k];
        int chars = 0;
        if (d->kind == DEC_REPLACE)
            for (size_t i = 0; i < d->pattern_len; i++) chars += ((unsigned char)d->pattern[i] & 0xC0) != 0x80;
        if (fused && d->kind == DEC_REPLACE && chars > 1)
            return gpt_fail(err, err_len, GPT_ERR_FORMAT,
                            "%s: decoder Replace of a multi-character pattern after Fuse/ByteLevel is not supported", file);
        if (fused && d->kind == DEC_METASPACE)
            return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: decoder Metaspace after Fuse/ByteLevel is not supported", file);
        if (fused && d->kind == DEC_STRIP) {
            if (d->stop > 0)
                return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: decoder Strip with stop > 0 after Fuse is not supported", file);
            if (t->strip_start)
                return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: two decoder Strips after Fuse are not supported", file);
            t->strip_start = d->content;
            t->strip_start_len = d->content_len;
            t->strip_start_count = d->start;
        }
        if (d->kind == DEC_FUSE || d->kind == DEC_BYTELEVEL) fused = 1;
    }
    int n = t->n_vocab;
    t->head = calloc((size_t)n, sizeof(char *));
    t->tail = calloc((size_t)n, sizeof(char *));
    t->head_len = calloc((size_t)n, sizeof(int));
    t->tail_len = calloc((size_t)n, sizeof(int));
    if (!t->head || !t->tail || !t->head_len || !t->tail_len)
        return gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory", file);
    int depends_on_first = t->decoder_joins_with_space;
    for (int k = 0; k < t->n_dec; k++) depends_on_first |= t->dec[k].kind == DEC_METASPACE;
    tk_buf out = {0}, tmp = {0};
    gpt_status st = GPT_OK;
    for (int id = 0; id < n && st == GPT_OK; id++) {
        if (!t->spelling[id]) continue;  // a hole in the ids decodes to nothing
        /* Only Metaspace, a post-Fuse Strip and the join with spaces treat the first token apart. */
        for (int first = 0; first < 1 + depends_on_first && st == GPT_OK; first++) {
            if (decode_token(t, t->spelling[id], first, &out, &tmp) != 0) {
                st = gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory", file);
                break;
            }
            char *copy = tk_pool_copy(&t->pool, out.s, out.n);
            if (!copy) {
                st = gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory", file);
                break;
            }
            if (out.n > (size_t)t->max_bytes) t->max_bytes = (int)out.n;
            if (first) t->head[id] = copy, t->head_len[id] = (int)out.n;
            else t->tail[id] = copy, t->tail_len[id] = (int)out.n;
        }
        if (st == GPT_OK && !depends_on_first) {
            t->head[id] = t->tail[id];
            t->head_len[id] = t->tail_len[id];
            continue;
        }
        /* Most tokens decode the same either way: share the bytes. */
        if (st == GPT_OK && t->head_len[id] == t->tail_len[id] && !memcmp(t->head[id], t->tail[id], (size_t)t->tail_len[id])) {
            t->head[id] = t->tail[id];
        }
    }
    free(out.s);
    free(tmp.s);
    return st;
}
