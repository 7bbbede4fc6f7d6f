/* tokenizer.c — the public tokenizer API: loading, encoding, decoding.
 *
 * Two sources, one pipeline (see tokenizer_internal.h):
 * - GPT-2's vocab.json + merges.txt: byte-level BPE with GPT-2's pattern
 *   and one special token, <|endoftext|>;
 * - a HuggingFace tokenizer.json (tokenizer_json.c), with whatever
 *   normalizer, pre-tokenizer, BPE model, post-processor and decoder it
 *   names, plus tokenizer_config.json and generation_config.json.
 *
 * encode: added tokens are found in the raw text first (leftmost, longest);
 * each piece between them is normalized, pre-tokenized and BPE-encoded on
 * its own, exactly as HF's tokenizers does. Bytes that are not UTF-8 (which
 * HF refuses) are encoded one by one: as their byte token (byte-level),
 * their <0xNN> token (byte_fallback), or unk.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <utf8proc.h>

#include "tokenizer_internal.h"

#define GPT2_SPECIAL "<|endoftext|>"

/* ---- UTF-8 and white space ------------------------------------------------ */

int tk_utf8_encode(char *out, int cp) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | cp >> 6); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int tk_utf8_decode(const unsigned char *s, size_t n, int *cp) {
    unsigned c = s[0];
    if (c < 0x80) { *cp = (int)c; return 1; }
    int len;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80, c &= 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800, c &= 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000, c &= 0x07;
    else return 0;
    if ((size_t)len > n) return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = c << 6 | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = (int)c;
    return len;
}

int tk_is_white_space(int cp) {
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000;
}

/* ---- files ------------------------------------------------------------------ */

char *tk_read_file(const char *path, size_t *len, gpt_status *st, char *err, size_t err_len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        *st = gpt_fail(err, err_len, GPT_ERR_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0) n = ftell(f);
    if (n < 0 || (unsigned long)n > TK_MAX_FILE_BYTES || fseek(f, 0, SEEK_SET) != 0) {
        *st = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: not a readable file of at most %u MB", path,
                       TK_MAX_FILE_BYTES >> 20);
    } else if (!(buf = malloc((size_t)n + 1))) {
        *st = gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory", path);
    } else if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        *st = gpt_fail(err, err_len, GPT_ERR_IO, "%s: read error", path);
        free(buf);
        buf = NULL;
    } else {
        buf[n] = '\0';
        *len = (size_t)n;
        *st = GPT_OK;
    }
    fclose(f);
    return buf;
}

/* ---- GPT-2's vocab.json + merges.txt ---------------------------------------- */

static gpt_status load_vocab_json(gpt_tokenizer *t, const cJSON *vocab, const char *file, char *err, size_t err_len) {
    if (!cJSON_IsObject(vocab)) return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: vocabulary is not a JSON object", file);
    int count = cJSON_GetArraySize(vocab);
    if (count < 256 || count > 10000000)
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %d tokens (want 256 to 10M)", file, count);
    gpt_status st = tk_vocab_init(t, count, err, err_len);
    t->n_model = count;
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab) {
        if (st != GPT_OK) return st;
        double v = cJSON_IsNumber(e) ? e->valuedouble : -1;
        if (!(v >= 0 && v < count) || v != (double)(int)v)
            return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: token \"%.40s\" has id %.0f outside 0..%d", file,
                            e->string, v, count - 1);
        int id = (int)v;
        if (t->spelling[id])
            return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: id %d is given to two tokens", file, id);
        st = tk_vocab_set(t, id, e->string, strlen(e->string), 1, file, err, err_len);
        if (st == GPT_OK && !t->model_text[id])
            return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: token %d \"%.40s\" is not byte-level BPE text", file, id,
                            e->string);
    }
    return st;
}

static gpt_status load_merges_txt(gpt_tokenizer *t, char *text, size_t len, const char *file, char *err,
                                  size_t err_len) {
    size_t lines = 1;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    if (tk_alloc_pairs(t, lines) != GPT_OK) return gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory", file);
    int rank = 0, line_no = 0;
    char *p = text, *end = text + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line_end = nl ? nl : end;
        line_no++;
        char *q = line_end;
        if (q > p && q[-1] == '\r') q--;
        size_t n = (size_t)(q - p);
        if (line_no == 1 && n >= 8 && !memcmp(p, "#version", 8)) { p = line_end + 1; continue; }
        if (n == 0) { p = line_end + 1; continue; }  // blank lines, a final newline
        char *space = memchr(p, ' ', n);
        if (!space || space == p || space + 1 == q || memchr(space + 1, ' ', (size_t)(q - space - 1)))
            return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: line %d: expected two tokens separated by one space",
                            file, line_no);
        gpt_status st = tk_add_merge(t, p, (size_t)(space - p), space + 1, (size_t)(q - space - 1), rank++, file, "line %d", line_no,
                                     err, err_len);
        if (st != GPT_OK) return st;
        p = line_end + 1;
    }
    return GPT_OK;
}

static gpt_status load_gpt2_files(gpt_tokenizer *t, const char *vocab_path, const char *merges_path, char *err,
                                  size_t err_len) {
    gpt_status st;
    size_t vlen = 0, mlen = 0;
    char *vtext = tk_read_file(vocab_path, &vlen, &st, err, err_len);
    char *mtext = vtext ? tk_read_file(merges_path, &mlen, &st, err, err_len) : NULL;
    if (vtext && mtext) {
        t->byte_level = 1;
        cJSON *vocab = gpt_json_parse(vtext, vlen, 0);
        st = vocab ? load_vocab_json(t, vocab, vocab_path, err, err_len)
                   : gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: not valid JSON", vocab_path);
        cJSON_Delete(vocab);
        if (st == GPT_OK) st = load_merges_txt(t, mtext, mlen, merges_path, err, err_len);
    }
    free(vtext);
    free(mtext);
    if (st != GPT_OK) return st;
    t->kind = "GPT-2 byte-level BPE (vocab.json + merges.txt)";
    t->gpt2_scanner = 1;
    t->unk = -1;
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        t->byte_token[b] = tk_find_text(t, &c, 1);
        if (t->byte_token[b] < 0)
            return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: no token for byte 0x%02X", vocab_path, b);
    }
    int eot = tk_find_spelling(t, GPT2_SPECIAL, strlen(GPT2_SPECIAL));
    if (eot >= 0) {
        if (!(t->added = calloc(1, sizeof(tk_added))) || !(t->added[0].content = strdup(GPT2_SPECIAL)))
            return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
        t->added[0].len = strlen(GPT2_SPECIAL);
        t->added[0].id = eot;
        t->added[0].special = 1;
        t->n_added = 1;
    }
    if (!(t->dec = calloc(1, sizeof(tk_decoder)))) return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    t->dec[0].kind = DEC_BYTELEVEL;
    t->n_dec = 1;
    return GPT_OK;
}

gpt_status gpt_tokenizer_load(gpt_tokenizer **out, const char *dir, char *err, size_t err_len) {
    *out = NULL;
    gpt_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    t->eot = t->bos = t->eos = t->unk = -1;
    char vocab_path[PATH_MAX], merges_path[PATH_MAX], json_path[PATH_MAX];
    snprintf(vocab_path, sizeof vocab_path, "%s/vocab.json", dir);
    snprintf(merges_path, sizeof merges_path, "%s/merges.txt", dir);
    snprintf(json_path, sizeof json_path, "%s/tokenizer.json", dir);
    gpt_status st;
    FILE *probe_v = fopen(vocab_path, "rb"), *probe_m = fopen(merges_path, "rb"), *probe_j = NULL;
    int have_gpt2 = probe_v || probe_m;
    if (probe_v) fclose(probe_v);
    if (probe_m) fclose(probe_m);
    if (!have_gpt2 && !(probe_j = fopen(json_path, "rb"))) {
        st = gpt_fail(err, err_len, GPT_ERR_IO, "%s: no vocab.json + merges.txt, nor tokenizer.json", dir);
    } else {
        if (probe_j) fclose(probe_j);
        st = have_gpt2 ? load_gpt2_files(t, vocab_path, merges_path, err, err_len)
                       : tk_load_tokenizer_json(t, json_path, err, err_len);
    }
    if (st == GPT_OK) st = tk_load_configs(t, dir, err, err_len);
    if (st == GPT_OK) st = tk_added_build(t, err, err_len);
    if (st == GPT_OK) st = tk_decoders_prepare(t, have_gpt2 ? vocab_path : json_path, err, err_len);
    if (st == GPT_OK) st = tk_cache_init(t, err, err_len);
    if (st != GPT_OK) {
        gpt_tokenizer_free(t);
        return st;
    }
    t->eot = tk_find_spelling(t, GPT2_SPECIAL, strlen(GPT2_SPECIAL));
    *out = t;
    return GPT_OK;
}

void gpt_tokenizer_free(gpt_tokenizer *t) {
    if (!t) return;
    tk_pool_free(&t->pool);
    free(t->spelling);
    free(t->spell_len);
    free(t->model_text);
    free(t->model_len);
    free(t->by_text);
    free(t->by_spelling);
    free(t->pairs);
    for (int i = 0; i < t->n_added; i++) free(t->added[i].content);
    free(t->added);
    free(t->trie);
    for (int i = 0; i < t->n_norm; i++) {
        free(t->norm[i].content);
        free(t->norm[i].literal);
        tk_regex_free(t->norm[i].re);
    }
    free(t->norm);
    for (int i = 0; i < t->n_pre; i++) {
        free(t->pre[i].literal);
        tk_regex_free(t->pre[i].re);
    }
    free(t->pre);
    for (int i = 0; i < t->n_dec; i++) {
        free(t->dec[i].pattern);
        free(t->dec[i].content);
    }
    free(t->dec);
    free(t->prefix);
    free(t->suffix);
    free(t->head);
    free(t->tail);
    free(t->head_len);
    free(t->tail_len);
    free(t->eos_ids);
    free(t->cache);
    free(t->cache_text);
    free(t->cache_ids);
    free(t->sym);
    free(t->next);
    free(t->prev);
    free(t->norm_buf.s);
    free(t->arena.s);
    free(t->pieces.p);
    free(t->pieces2.p);
    free(t);
}

/* ---- added tokens ---------------------------------------------------------- */

gpt_status tk_added_build(gpt_tokenizer *t, char *err, size_t err_len) {
    t->trie_nodes = 1;
    t->n_normalized_added = 0;
    t->only_first_byte = -1;
    t->trie_cap = 64;
    t->trie = malloc(sizeof(*t->trie) * (size_t)t->trie_cap);
    if (!t->trie) return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    memset(t->trie[0], 0xFF, sizeof t->trie[0]);
    memset(t->first_byte, 0, sizeof t->first_byte);
    tk_buf key = {0};  // a normalized token's content after the normalizer
    for (int a = 0; a < t->n_added; a++) {
        const unsigned char *s = (const unsigned char *)t->added[a].content;
        size_t len = t->added[a].len;
        /* HF matches a normalized token in the normalized text, so its content
         * goes through the normalizer too ("ﬁx" under NFKC is "fix"). */
        if (t->added[a].normalized && t->n_norm && len) {
            if (tk_normalize(t->norm, t->n_norm, t->added[a].content, len, &key)) {
                free(key.s);
                return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
            }
            s = (const unsigned char *)key.s;
            len = key.n;
        }
        if (len == 0) continue;  // an empty added token never matches
        t->first_byte[s[0]] = 1;
        int node = 0;
        for (size_t i = 0; i < len; i++) {
            if (t->trie[node][s[i]] < 0) {
                if (t->trie_nodes == t->trie_cap) {
                    void *p = realloc(t->trie, sizeof(*t->trie) * (size_t)t->trie_cap * 2);
                    if (!p) {
                        free(key.s);
                        return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
                    }
                    t->trie = p;
                    t->trie_cap *= 2;
                }
                memset(t->trie[t->trie_nodes], 0xFF, sizeof t->trie[0]);
                t->trie[node][s[i]] = t->trie_nodes++;
            }
            node = t->trie[node][s[i]];
        }
        if (t->trie[node][256] < 0) t->trie[node][256] = a;  // the same text twice: the first wins
        t->only_first_byte = t->only_first_byte == -1 || t->only_first_byte == s[0] ? s[0] : -2;
        t->n_normalized_added += t->added[a].normalized;
    }
    free(key.s);
    if (t->only_first_byte < 0) t->only_first_byte = -1;  // none, or several: no memchr
    return GPT_OK;
}

/* The longest added token (of the normalized or the raw set) that starts at
 * s; its index, or -1. */
static int added_at(const gpt_tokenizer *t, const unsigned char *s, size_t n, int normalized, size_t *len) {
    int node = 0, best = -1;
    for (size_t i = 0; i < n; i++) {
        node = t->trie[node][s[i]];
        if (node < 0) break;
        int a = t->trie[node][256];
        if (a >= 0 && t->added[a].normalized == normalized) best = a, *len = i + 1;
    }
    return best;
}

static int is_word_char(int cp) {  // the regex crate's \w
    if (cp == '_' || cp == 0x200C || cp == 0x200D) return 1;
    utf8proc_category_t c = utf8proc_category(cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ND) || c == UTF8PROC_CATEGORY_NL ||
           c == UTF8PROC_CATEGORY_PC;
}

static int last_char(const char *s, size_t n, size_t *start) {  // the code point ending at n, or -1
    if (n == 0) return -1;
    size_t i = n - 1;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80 && n - i < 4) i--;
    int cp;
    if (tk_utf8_decode((const unsigned char *)s + i, n - i, &cp) != (int)(n - i)) return -1;
    *start = i;
    return cp;
}

/* One segment of text: an added token (id >= 0) or text to encode. */
typedef struct {
    size_t start, end;
    int id;
} segment;

typedef struct {
    segment *s;
    size_t n, cap;
} segments;

static int seg_push(segments *l, size_t start, size_t end, int id) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        segment *p = realloc(l->s, sizeof(segment) * cap);
        if (!p) return -1;
        l->s = p;
        l->cap = cap;
    }
    l->s[l->n++] = (segment){start, end, id};
    return 0;
}

/* HF's AddedVocabulary::find_matches over s[0..n): leftmost-longest
 * matches, special ones skipped unless parse_special, then single_word,
 * lstrip and rstrip. */
static int split_added(const gpt_tokenizer *t, const char *s, size_t n, int normalized, int parse_special,
                       segments *out) {
    out->n = 0;
    size_t start_offset = 0;
    for (size_t i = 0; i < n && t->n_added;) {
        if (t->only_first_byte >= 0) {  // every added token starts with the same byte (Llama 3's '<'): memchr
            const char *next = memchr(s + i, t->only_first_byte, n - i);
            if (!next) break;
            i = (size_t)(next - s);
        }
        size_t len = 0;
        int a = t->first_byte[(unsigned char)s[i]] ? added_at(t, (const unsigned char *)s + i, n - i, normalized, &len) : -1;
        if (a < 0) { i++; continue; }
        const tk_added *tok = &t->added[a];
        size_t start = i, stop = i + len;
        i = stop;  // the matcher moves on past this match, whatever is decided below
        if (tok->special && !parse_special) continue;
        if (tok->single_word) {
            size_t at;
            int before = last_char(s, start, &at), after = -1;
            if (stop < n) tk_utf8_decode((const unsigned char *)s + stop, n - stop, &after);
            if ((before >= 0 && is_word_char(before)) || (after >= 0 && is_word_char(after))) continue;
        }
        if (tok->lstrip) {
            size_t k = start, at;
            int cp;
            while (k > 0 && (cp = last_char(s, k, &at)) >= 0 && tk_is_white_space(cp)) k = at;
            start = k > start_offset ? k : start_offset;
        }
        if (tok->rstrip) {
            int cp, step;
            while (stop < n && (step = tk_utf8_decode((const unsigned char *)s + stop, n - stop, &cp)) > 0 &&
                   tk_is_white_space(cp))
                stop += (size_t)step;
            i = stop;
        }
        if (start_offset < start && seg_push(out, start_offset, start, -1)) return -1;
        if (seg_push(out, start, stop, tok->id)) return -1;
        start_offset = stop;
    }
    if (start_offset < n && seg_push(out, start_offset, n, -1)) return -1;
    return 0;
}

/* ---- encoding ---------------------------------------------------------------- */

/* Encodes valid UTF-8 text that holds no added token: normalize, split on
 * normalized added tokens, pre-tokenize, BPE. */
static int encode_valid(gpt_tokenizer *t, const char *s, size_t n, int at_start, int parse_special, tk_ids *out) {
    if (t->n_norm) {
        if (tk_normalize(t->norm, t->n_norm, s, n, &t->norm_buf)) return -1;
        s = t->norm_buf.s;
        n = t->norm_buf.n;
    }
    segments segs = {0};
    if (t->n_normalized_added) {
        if (split_added(t, s, n, 1, parse_special, &segs)) return -1;
    } else if (seg_push(&segs, 0, n, -1)) {
        return -1;
    }
    int rc = 0;
    for (size_t k = 0; k < segs.n && rc == 0; k++) {
        if (segs.s[k].id >= 0) {
            rc = tk_ids_push(out, &segs.s[k].id, 1);
            continue;
        }
        if (t->hub_scanner) {  // Llama 3 / Qwen2: the scanner alone, straight into BPE
            const unsigned char *p = (const unsigned char *)s + segs.s[k].start;
            size_t len = segs.s[k].end - segs.s[k].start;
            for (size_t i = 0; i < len && rc == 0;) {
                size_t piece = tk_hub_next_piece(p + i, len - i, t->hub_scanner);
                rc = tk_bpe_piece(t, p + i, piece, out);
                i += piece;
            }
            continue;
        }
        t->arena.n = 0;
        t->pieces.n = 0;
        if (tk_buf_put(&t->arena, s + segs.s[k].start, segs.s[k].end - segs.s[k].start) ||
            tk_pieces_push(&t->pieces, 0, t->arena.n, at_start && segs.s[k].start == 0) ||
            tk_pretokenize(t->pre, t->n_pre, &t->arena, &t->pieces, &t->pieces2)) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < t->pieces.n && rc == 0; i++)
            rc = tk_bpe_piece(t, (const unsigned char *)t->arena.s + t->pieces.p[i].off, t->pieces.p[i].len, out);
    }
    free(segs.s);
    return rc;
}

/* One byte that is not UTF-8. */
static int encode_stray_byte(gpt_tokenizer *t, unsigned char b, tk_ids *out) {
    int id = t->byte_token[b] >= 0 ? t->byte_token[b] : t->unk;
    if (id < 0) return -2;
    return tk_ids_push(out, &id, 1);
}

/* Text between added tokens. */
static int encode_text(gpt_tokenizer *t, const char *s, size_t n, int at_start, int parse_special, tk_ids *out) {
    if (t->gpt2_scanner) {  // GPT-2: no normalizer, the scanner takes any bytes
        for (size_t i = 0; i < n;) {
            size_t len = tk_gpt2_next_piece((const unsigned char *)s + i, n - i);
            int rc = tk_bpe_piece(t, (const unsigned char *)s + i, len, out);
            if (rc) return rc;
            i += len;
        }
        return 0;
    }
    /* Runs of valid UTF-8, and the stray bytes between them. */
    size_t run = 0;
    for (size_t i = 0; i <= n;) {
        while (i < n && (unsigned char)s[i] < 0x80) i++;  // ASCII, the common case, quickly
        int cp, k = i < n ? tk_utf8_decode((const unsigned char *)s + i, n - i, &cp) : 0;
        if (k > 0) { i += (size_t)k; continue; }
        if (i > run) {
            int rc = encode_valid(t, s + run, i - run, at_start && run == 0, parse_special, out);
            if (rc) return rc;
        }
        if (i == n) break;
        int rc = encode_stray_byte(t, (unsigned char)s[i], out);
        if (rc) return rc;
        run = ++i;
    }
    return 0;
}

gpt_status gpt_tokenizer_encode_ex(gpt_tokenizer *t, const char *text, size_t len, int flags, int **ids,
                                   size_t *n_ids, char *err, size_t err_len) {
    *ids = NULL;
    *n_ids = 0;
    tk_ids out = {0};
    segments segs = {0};
    const int parse_special = (flags & GPT_ENCODE_SPECIAL) != 0;
    int rc = 0;
    if (flags & GPT_ENCODE_ADD_SPECIAL) rc = tk_ids_push(&out, t->prefix, (size_t)t->n_prefix);
    if (!rc) rc = split_added(t, text, len, 0, parse_special, &segs);
    for (size_t k = 0; k < segs.n && rc == 0; k++) {
        if (segs.s[k].id >= 0) rc = tk_ids_push(&out, &segs.s[k].id, 1);
        else rc = encode_text(t, text + segs.s[k].start, segs.s[k].end - segs.s[k].start, segs.s[k].start == 0,
                              parse_special, &out);
    }
    if (!rc && (flags & GPT_ENCODE_ADD_SPECIAL)) rc = tk_ids_push(&out, t->suffix, (size_t)t->n_suffix);
    free(segs.s);
    if (rc) {
        free(out.ids);
        if (rc == -2)
            return gpt_fail(err, err_len, GPT_ERR_FORMAT,
                            "tokenizer: a character has no token, and the tokenizer has no unk_token");
        return gpt_fail(err, err_len, GPT_ERR_OOM, "tokenizer: out of memory");
    }
    if (!out.ids) out.ids = malloc(sizeof(int));  // an empty text still gets a buffer to free
    if (!out.ids) return gpt_fail(err, err_len, GPT_ERR_OOM, "tokenizer: out of memory");
    *ids = out.ids;
    *n_ids = out.n;
    return GPT_OK;
}

gpt_status gpt_tokenizer_encode(gpt_tokenizer *t, const char *text, size_t len, int parse_special, int **ids,
                                size_t *n_ids, char *err, size_t err_len) {
    return gpt_tokenizer_encode_ex(t, text, len, parse_special ? GPT_ENCODE_SPECIAL : 0, ids, n_ids, err, err_len);
}

/* ---- decoding ---------------------------------------------------------------- */

void gpt_detokenizer_init(gpt_detokenizer *d) {
    d->n_tokens = 0;
    d->strip_left = -1;
}

const char *gpt_detokenizer_next(const gpt_tokenizer *t, gpt_detokenizer *d, int id, size_t *len) {
    if (id < 0 || id >= t->n_vocab || !t->tail[id]) {
        *len = 0;
        return NULL;
    }
    const int first = d->n_tokens++ == 0;
    const char *s = first ? t->head[id] : t->tail[id];
    size_t n = (size_t)(first ? t->head_len[id] : t->tail_len[id]);
    if (d->strip_left < 0) d->strip_left = t->strip_start ? t->strip_start_count : 0;
    /* A Strip after Fuse: leading characters of the whole text, once. */
    while (d->strip_left > 0 && n >= t->strip_start_len && !memcmp(s, t->strip_start, t->strip_start_len)) {
        s += t->strip_start_len;
        n -= t->strip_start_len;
        d->strip_left--;
    }
    if (n) d->strip_left = 0;
    *len = n;
    return s;
}

gpt_status gpt_tokenizer_decode(const gpt_tokenizer *t, const int *ids, size_t n, char **text, size_t *len, char *err,
                                size_t err_len) {
    *text = NULL;
    *len = 0;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= t->n_vocab || !t->tail[ids[i]])
            return gpt_fail(err, err_len, GPT_ERR_ARG, "tokenizer: %d is not a token id", ids[i]);
        total += (size_t)(i == 0 ? t->head_len[ids[i]] : t->tail_len[ids[i]]);
    }
    char *out = malloc(total + 1);
    if (!out) return gpt_fail(err, err_len, GPT_ERR_OOM, "tokenizer: out of memory");
    gpt_detokenizer d;
    gpt_detokenizer_init(&d);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k;
        const char *b = gpt_detokenizer_next(t, &d, ids[i], &k);
        memcpy(out + at, b, k);
        at += k;
    }
    out[at] = '\0';
    *text = out;
    *len = at;
    return GPT_OK;
}

/* ---- accessors -------------------------------------------------------------- */

int gpt_tokenizer_vocab_size(const gpt_tokenizer *t) { return t->n_vocab; }
int gpt_tokenizer_eot_id(const gpt_tokenizer *t) { return t->eot; }
int gpt_tokenizer_max_token_bytes(const gpt_tokenizer *t) { return t->max_bytes; }
int gpt_tokenizer_bos_id(const gpt_tokenizer *t) { return t->bos; }
int gpt_tokenizer_eos_id(const gpt_tokenizer *t) { return t->n_eos ? t->eos_ids[0] : t->eos >= 0 ? t->eos : t->eot; }
const char *gpt_tokenizer_kind(const gpt_tokenizer *t) { return t->kind; }
int gpt_tokenizer_round_trips(const gpt_tokenizer *t) { return t->lossless; }
long long gpt_tokenizer_model_max_length(const gpt_tokenizer *t) { return t->model_max_length; }

int gpt_tokenizer_is_eos(const gpt_tokenizer *t, int id) {
    if (id < 0) return 0;
    for (int i = 0; i < t->n_eos; i++)
        if (t->eos_ids[i] == id) return 1;
    return t->n_eos == 0 && id == gpt_tokenizer_eos_id(t);
}

int gpt_tokenizer_eos_ids(const gpt_tokenizer *t, const int **ids) {
    *ids = t->eos_ids;
    return t->n_eos;
}

int gpt_tokenizer_token_id(const gpt_tokenizer *t, const char *token) {
    return tk_find_spelling(t, token, strlen(token));
}

int gpt_tokenizer_is_special(const gpt_tokenizer *t, int id) {
    for (int i = 0; i < t->n_added; i++)
        if (t->added[i].id == id) return t->added[i].special;
    return 0;
}

const char *gpt_tokenizer_token_bytes(const gpt_tokenizer *t, int id, size_t *len) {
    if (id < 0 || id >= t->n_vocab || !t->tail[id]) return NULL;
    *len = (size_t)t->tail_len[id];
    return t->tail[id];
}

const char *gpt_tokenizer_token_string(const gpt_tokenizer *t, int id) {
    if (id < 0 || id >= t->n_vocab) return NULL;
    return t->spelling[id];
}
