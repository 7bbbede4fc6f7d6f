/* tokenizer.c — GPT-2 byte-level BPE, exactly as the reference defines it.
 *
 * encode: text → pieces by the GPT-2 pre-tokenizer pattern
 *     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * (hand-written as a scanner over code points, Unicode classes from
 * utf8proc), then each piece's bytes → byte tokens → lowest-rank merges
 * first. A cache maps pieces seen before straight to their ids.
 *
 * Any bytes in, nothing lost: an invalid UTF-8 byte is a piece of its own
 * and becomes its byte token, so decode(encode(s)) == s for every s.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <utf8proc.h>

#include "internal.h"

#define SPECIAL_TEXT "<|endoftext|>"
#define MAX_FILE_BYTES (64u << 20)
#define CACHE_SLOTS (1u << 17)       // piece cache: open addressing, cleared when half full
#define CACHE_POOL_IDS (1u << 20)    // ids the cache may hold before it is cleared

/* ---- hash tables ------------------------------------------------------ */

static uint64_t hash_bytes(const void *p, size_t n) {  // FNV-1a, then a mix
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ULL;
    h ^= h >> 29;
    return h * 0xbf58476d1ce4e5b9ULL;
}

static uint64_t hash_u64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

typedef struct {
    uint64_t key;   // (left << 32) | right, +1 so that 0 means empty
    int rank;
    int merged;     // the id of left+right
} pair_entry;

struct gpt_tokenizer {
    int n_vocab;
    char **spelling;        // (n_vocab) vocab.json strings (byte-level unicode)
    char **bytes;           // (n_vocab) raw bytes of each token
    int *n_bytes;           // (n_vocab)
    int max_bytes;          // the longest token's bytes
    int *by_spelling;       // (spell_slots) ids hashed by spelling, -1 empty
    size_t spell_slots;
    pair_entry *pairs;      // (pair_slots) merges
    size_t pair_slots;
    int byte_token[256];    // the id of each single byte
    int eot;                // <|endoftext|>, or -1

    /* Piece cache: piece bytes → ids. */
    struct { uint64_t hash; uint32_t text_off, text_len, ids_off, n_ids; } *cache;  // (CACHE_SLOTS)
    size_t cache_used;
    char *cache_text;       // piece bytes, appended
    size_t cache_text_len, cache_text_cap;
    int *cache_ids;         // ids, appended
    size_t cache_ids_len;

    /* BPE scratch, grown as needed. */
    int *sym;               // (cap) symbol ids of the piece being merged
    int *next, *prev;       // (cap) linked list over symbols
    size_t cap;
};

/* ---- bytes <-> unicode (GPT-2's map) ------------------------------------ */

/* The code point GPT-2 uses to spell byte b: printable Latin-1 bytes stand
 * for themselves, the rest are moved to U+0100 and up, in byte order. */
static void byte_to_unicode(int table[256]) {
    int n = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        table[b] = printable ? b : 256 + n++;
    }
}

static int encode_utf8(char *out, int cp) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | cp >> 6); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* Decodes one valid UTF-8 code point at s (n bytes left); returns its length,
 * or 0 when the bytes there are not valid UTF-8. */
static int decode_utf8(const unsigned char *s, size_t n, int *cp) {
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

/* ---- loading -------------------------------------------------------------- */

static int find_spelling(const gpt_tokenizer *t, const char *s, size_t n) {
    size_t mask = t->spell_slots - 1;
    for (size_t i = hash_bytes(s, n) & mask;; i = (i + 1) & mask) {
        int id = t->by_spelling[i];
        if (id < 0) return -1;
        if (strlen(t->spelling[id]) == n && !memcmp(t->spelling[id], s, n)) return id;
    }
}

static const pair_entry *find_pair(const gpt_tokenizer *t, int left, int right) {
    uint64_t key = ((uint64_t)(uint32_t)left << 32 | (uint32_t)right) + 1;
    size_t mask = t->pair_slots - 1;
    for (size_t i = hash_u64(key) & mask;; i = (i + 1) & mask) {
        if (t->pairs[i].key == key) return &t->pairs[i];
        if (t->pairs[i].key == 0) return NULL;
    }
}

static char *read_small_file(const char *path, size_t *len, gpt_status *st, char *err, size_t err_len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        *st = gpt_fail(err, err_len, GPT_ERR_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0) n = ftell(f);
    if (n < 0 || (unsigned long)n > MAX_FILE_BYTES || fseek(f, 0, SEEK_SET) != 0) {
        *st = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: not a readable file of at most %u MB", path,
                       MAX_FILE_BYTES >> 20);
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

/* Takes the vocabulary from a JSON object {spelling: id}. */
static gpt_status load_vocab(gpt_tokenizer *t, const cJSON *vocab, const char *file, char *err, size_t err_len) {
    if (!cJSON_IsObject(vocab)) return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: vocabulary is not a JSON object", file);
    int count = cJSON_GetArraySize(vocab);
    if (count < 256 || count > 10000000)
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %d tokens (want 256 to 10M)", file, count);
    t->n_vocab = count;
    t->spelling = calloc((size_t)count, sizeof(char *));
    t->bytes = calloc((size_t)count, sizeof(char *));
    t->n_bytes = calloc((size_t)count, sizeof(int));
    for (t->spell_slots = 1; t->spell_slots < (size_t)count * 2; t->spell_slots *= 2) {}
    t->by_spelling = malloc(sizeof(int) * t->spell_slots);
    if (!t->spelling || !t->bytes || !t->n_bytes || !t->by_spelling)
        return gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory", file);
    memset(t->by_spelling, 0xFF, sizeof(int) * t->spell_slots);

    int unicode_to_byte[324];  // GPT-2's map runs to U+0143
    for (int i = 0; i < 324; i++) unicode_to_byte[i] = -1;
    int table[256];
    byte_to_unicode(table);
    for (int b = 0; b < 256; b++) unicode_to_byte[table[b]] = b;

    const cJSON *e;
    cJSON_ArrayForEach(e, vocab) {
        double v = cJSON_IsNumber(e) ? e->valuedouble : -1;
        if (!(v >= 0 && v < count) || v != (double)(int)v)
            return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: token \"%.40s\" has id %.0f outside 0..%d", file,
                            e->string, v, count - 1);
        int id = (int)v;
        if (t->spelling[id])
            return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: id %d is given to two tokens", file, id);
        size_t n = strlen(e->string);
        t->spelling[id] = strdup(e->string);
        t->bytes[id] = malloc(n + 1);
        if (!t->spelling[id] || !t->bytes[id]) return gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory", file);
        /* Spelling → bytes; a special token like <|endoftext|> is spelled in
         * printable ASCII, so it decodes to its own text. */
        int len = 0;
        for (size_t i = 0; i < n;) {
            int cp, k = decode_utf8((const unsigned char *)e->string + i, n - i, &cp);
            if (k == 0 || cp >= 324 || unicode_to_byte[cp] < 0)
                return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: token %d \"%.40s\" is not byte-level BPE text",
                                file, id, e->string);
            t->bytes[id][len++] = (char)unicode_to_byte[cp];
            i += (size_t)k;
        }
        t->n_bytes[id] = len;
        if (len > t->max_bytes) t->max_bytes = len;
        size_t mask = t->spell_slots - 1, i = hash_bytes(e->string, n) & mask;
        while (t->by_spelling[i] >= 0) i = (i + 1) & mask;
        t->by_spelling[i] = id;
    }
    for (int b = 0; b < 256; b++) {
        char s[4];
        int n = encode_utf8(s, table[b]);
        t->byte_token[b] = find_spelling(t, s, (size_t)n);
        if (t->byte_token[b] < 0)
            return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: no token for byte 0x%02X", file, b);
    }
    t->eot = find_spelling(t, SPECIAL_TEXT, strlen(SPECIAL_TEXT));
    return GPT_OK;
}

/* Adds merge `rank`: left right → their concatenation. */
static gpt_status add_merge(gpt_tokenizer *t, const char *left, size_t nl, const char *right, size_t nr, int rank,
                            const char *file, int line, char *err, size_t err_len) {
    int a = find_spelling(t, left, nl), b = find_spelling(t, right, nr);
    char joined[512];
    if (a < 0 || b < 0 || nl + nr >= sizeof joined)
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: line %d: \"%.*s %.*s\" names a token not in the vocabulary",
                        file, line, (int)(nl < 40 ? nl : 40), left, (int)(nr < 40 ? nr : 40), right);
    memcpy(joined, left, nl);
    memcpy(joined + nl, right, nr);
    int merged = find_spelling(t, joined, nl + nr);
    if (merged < 0)
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: line %d: the merge of \"%.*s\" and \"%.*s\" is not in the vocabulary",
                        file, line, (int)(nl < 40 ? nl : 40), left, (int)(nr < 40 ? nr : 40), right);
    uint64_t key = ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 1;
    size_t mask = t->pair_slots - 1, i = hash_u64(key) & mask;
    while (t->pairs[i].key && t->pairs[i].key != key) i = (i + 1) & mask;
    if (t->pairs[i].key) return GPT_OK;  // a repeated merge keeps its first (lowest) rank
    t->pairs[i] = (pair_entry){key, rank, merged};
    return GPT_OK;
}

static gpt_status alloc_pairs(gpt_tokenizer *t, size_t n_merges) {
    for (t->pair_slots = 1; t->pair_slots < n_merges * 2 + 2; t->pair_slots *= 2) {}
    t->pairs = calloc(t->pair_slots, sizeof(pair_entry));
    return t->pairs ? GPT_OK : GPT_ERR_OOM;
}

static gpt_status load_merges_txt(gpt_tokenizer *t, char *text, size_t len, const char *file, char *err,
                                  size_t err_len) {
    size_t lines = 1;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    if (alloc_pairs(t, lines) != GPT_OK) return gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory", file);
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
        gpt_status st = add_merge(t, p, (size_t)(space - p), space + 1, (size_t)(q - space - 1), rank++, file, line_no,
                                  err, err_len);
        if (st != GPT_OK) return st;
        p = line_end + 1;
    }
    return GPT_OK;
}

static gpt_status load_tokenizer_json(gpt_tokenizer *t, const char *dir, char *err, size_t err_len) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    size_t len = 0;
    gpt_status st;
    char *text = read_small_file(path, &len, &st, err, err_len);
    if (!text) {
        if (st == GPT_ERR_IO)
            return gpt_fail(err, err_len, GPT_ERR_IO, "%s: no vocab.json + merges.txt, nor tokenizer.json", dir);
        return st;
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(model, "merges");
    if (!cJSON_IsObject(model) || !cJSON_IsArray(merges)) {
        cJSON_Delete(root);
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: needs model.vocab and model.merges", path);
    }
    st = load_vocab(t, cJSON_GetObjectItemCaseSensitive(model, "vocab"), path, err, err_len);
    if (st == GPT_OK && alloc_pairs(t, (size_t)cJSON_GetArraySize(merges)) != GPT_OK)
        st = gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory", path);
    int rank = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, merges) {
        if (st != GPT_OK) break;
        /* Either "left right" or ["left", "right"]. */
        if (cJSON_IsString(m)) {
            const char *s = m->valuestring, *space = strchr(s, ' ');
            if (!space || space == s || !space[1] || strchr(space + 1, ' '))
                st = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: merge %d: expected two tokens separated by one space",
                              path, rank);
            else
                st = add_merge(t, s, (size_t)(space - s), space + 1, strlen(space + 1), rank, path, rank + 1, err,
                               err_len);
        } else if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(cJSON_GetArrayItem(m, 0)) &&
                   cJSON_IsString(cJSON_GetArrayItem(m, 1))) {
            const char *l = cJSON_GetArrayItem(m, 0)->valuestring, *r = cJSON_GetArrayItem(m, 1)->valuestring;
            st = add_merge(t, l, strlen(l), r, strlen(r), rank, path, rank + 1, err, err_len);
        } else {
            st = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: merge %d is neither \"a b\" nor [\"a\", \"b\"]", path, rank);
        }
        rank++;
    }
    cJSON_Delete(root);
    return st;
}

gpt_status gpt_tokenizer_load(gpt_tokenizer **out, const char *dir, char *err, size_t err_len) {
    *out = NULL;
    gpt_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    t->eot = -1;
    char vocab_path[PATH_MAX], merges_path[PATH_MAX];
    snprintf(vocab_path, sizeof vocab_path, "%s/vocab.json", dir);
    snprintf(merges_path, sizeof merges_path, "%s/merges.txt", dir);
    gpt_status st;
    FILE *probe_v = fopen(vocab_path, "rb"), *probe_m = fopen(merges_path, "rb");
    int have_files = probe_v || probe_m;
    if (probe_v) fclose(probe_v);
    if (probe_m) fclose(probe_m);
    if (!have_files) {
        st = load_tokenizer_json(t, dir, err, err_len);
    } else {
        size_t vlen = 0, mlen = 0;
        char *vtext = read_small_file(vocab_path, &vlen, &st, err, err_len);
        char *mtext = vtext ? read_small_file(merges_path, &mlen, &st, err, err_len) : NULL;
        if (vtext && mtext) {
            cJSON *vocab = cJSON_ParseWithLength(vtext, vlen);
            st = vocab ? load_vocab(t, vocab, vocab_path, err, err_len)
                       : gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: not valid JSON", vocab_path);
            cJSON_Delete(vocab);
            if (st == GPT_OK) st = load_merges_txt(t, mtext, mlen, merges_path, err, err_len);
        }
        free(vtext);
        free(mtext);
    }
    if (st == GPT_OK) {
        t->cache = calloc(CACHE_SLOTS, sizeof *t->cache);
        t->cache_ids = malloc(sizeof(int) * CACHE_POOL_IDS);
        if (!t->cache || !t->cache_ids) st = gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    }
    if (st != GPT_OK) {
        gpt_tokenizer_free(t);
        return st;
    }
    *out = t;
    return GPT_OK;
}

void gpt_tokenizer_free(gpt_tokenizer *t) {
    if (!t) return;
    for (int i = 0; i < t->n_vocab; i++) {
        if (t->spelling) free(t->spelling[i]);
        if (t->bytes) free(t->bytes[i]);
    }
    free(t->spelling);
    free(t->bytes);
    free(t->n_bytes);
    free(t->by_spelling);
    free(t->pairs);
    free(t->cache);
    free(t->cache_text);
    free(t->cache_ids);
    free(t->sym);
    free(t->next);
    free(t->prev);
    free(t);
}

int gpt_tokenizer_vocab_size(const gpt_tokenizer *t) { return t->n_vocab; }
int gpt_tokenizer_eot_id(const gpt_tokenizer *t) { return t->eot; }
int gpt_tokenizer_max_token_bytes(const gpt_tokenizer *t) { return t->max_bytes; }

const char *gpt_tokenizer_token_bytes(const gpt_tokenizer *t, int id, size_t *len) {
    if (id < 0 || id >= t->n_vocab || !t->bytes[id]) return NULL;
    *len = (size_t)t->n_bytes[id];
    return t->bytes[id];
}

const char *gpt_tokenizer_token_string(const gpt_tokenizer *t, int id) {
    if (id < 0 || id >= t->n_vocab) return NULL;
    return t->spelling[id];
}

/* ---- BPE ---------------------------------------------------------------- */

typedef struct {
    int *ids;
    size_t n, cap;
} id_list;

static int push_ids(id_list *l, const int *ids, size_t n) {
    if (l->n + n > l->cap) {
        size_t cap = l->cap ? l->cap : 256;
        while (cap < l->n + n) cap *= 2;
        int *p = realloc(l->ids, sizeof(int) * cap);
        if (!p) return -1;
        l->ids = p;
        l->cap = cap;
    }
    memcpy(l->ids + l->n, ids, sizeof(int) * n);
    l->n += n;
    return 0;
}

/* Merges the byte tokens of one piece, lowest rank first; leftmost first
 * among equal ranks, as the reference does. Writes the result into t->sym
 * and returns its length. Each round finds the best pair by a scan of the
 * live symbols; a piece longer than a few dozen bytes is rare. */
static size_t bpe(gpt_tokenizer *t, const unsigned char *piece, size_t n) {
    if (n > t->cap) {
        size_t cap = n * 2;
        int *s = realloc(t->sym, sizeof(int) * cap), *nx = s ? realloc(t->next, sizeof(int) * cap) : NULL;
        if (s) t->sym = s;
        if (nx) t->next = nx;
        int *pv = nx ? realloc(t->prev, sizeof(int) * cap) : NULL;
        if (pv) t->prev = pv;
        if (!s || !nx || !pv) return 0;
        t->cap = cap;
    }
    int *sym = t->sym, *next = t->next;
    for (size_t i = 0; i < n; i++) sym[i] = t->byte_token[piece[i]], next[i] = (int)i + 1;
    next[n - 1] = -1;
    if (n > 1 && n <= 64) {  // short: scan for the best pair each round
        for (;;) {
            int best = -1, best_rank = INT_MAX, merged = -1;
            for (int i = 0; next[i] >= 0; i = next[i]) {
                const pair_entry *p = find_pair(t, sym[i], sym[next[i]]);
                if (p && p->rank < best_rank) best = i, best_rank = p->rank, merged = p->merged;
            }
            if (best < 0) break;
            sym[best] = merged;
            next[best] = next[next[best]];
        }
    } else if (n > 64) {
        /* Long: a min-heap of candidate pairs (rank, left position), checked
         * lazily against the live list when popped. O(n log n). */
        int *prev = t->prev;
        for (size_t i = 0; i < n; i++) prev[i] = (int)i - 1;
        typedef struct { int rank, pos, left, right; } cand;
        size_t heap_cap = n * 2 + 16, heap_n = 0;
        cand *heap = malloc(sizeof(cand) * heap_cap);
        if (!heap) return 0;
#define HEAP_LESS(a, b) ((a).rank < (b).rank || ((a).rank == (b).rank && (a).pos < (b).pos))
#define HEAP_PUSH(c_)                                                                  \
        do {                                                                           \
            if (heap_n == heap_cap) {                                                  \
                cand *h2 = realloc(heap, sizeof(cand) * (heap_cap *= 2));              \
                if (!h2) { free(heap); return 0; }                                     \
                heap = h2;                                                             \
            }                                                                          \
            size_t k = heap_n++;                                                       \
            heap[k] = (c_);                                                            \
            while (k && HEAP_LESS(heap[k], heap[(k - 1) / 2])) {                       \
                cand tmp = heap[k]; heap[k] = heap[(k - 1) / 2]; heap[(k - 1) / 2] = tmp; \
                k = (k - 1) / 2;                                                       \
            }                                                                          \
        } while (0)
        for (int i = 0; next[i] >= 0; i = next[i]) {
            const pair_entry *p = find_pair(t, sym[i], sym[next[i]]);
            if (p) HEAP_PUSH(((cand){p->rank, i, sym[i], sym[next[i]]}));
        }
        while (heap_n) {
            cand c = heap[0];
            heap[0] = heap[--heap_n];
            for (size_t k = 0;;) {  // sift down
                size_t l = 2 * k + 1, r = l + 1, m = k;
                if (l < heap_n && HEAP_LESS(heap[l], heap[m])) m = l;
                if (r < heap_n && HEAP_LESS(heap[r], heap[m])) m = r;
                if (m == k) break;
                cand tmp = heap[k]; heap[k] = heap[m]; heap[m] = tmp;
                k = m;
            }
            int i = c.pos, j = next[i];
            /* Stale: the left symbol was merged away or changed, or its right neighbour did. */
            if (sym[i] != c.left || j < 0 || sym[j] != c.right || sym[i] < 0) continue;
            const pair_entry *p = find_pair(t, sym[i], sym[j]);
            sym[i] = p->merged;
            sym[j] = -1;
            next[i] = next[j];
            if (next[j] >= 0) prev[next[j]] = i;
            if (prev[i] >= 0) {
                const pair_entry *q = find_pair(t, sym[prev[i]], sym[i]);
                if (q) HEAP_PUSH(((cand){q->rank, prev[i], sym[prev[i]], sym[i]}));
            }
            if (next[i] >= 0) {
                const pair_entry *q = find_pair(t, sym[i], sym[next[i]]);
                if (q) HEAP_PUSH(((cand){q->rank, i, sym[i], sym[next[i]]}));
            }
        }
#undef HEAP_PUSH
#undef HEAP_LESS
        free(heap);
    }
    size_t count = 0;
    for (int i = 0; i >= 0; i = next[i]) sym[count++] = sym[i];
    return count;
}

/* Appends the ids of one piece, through the cache. */
static int encode_piece(gpt_tokenizer *t, const unsigned char *piece, size_t n, id_list *out) {
    uint64_t h = hash_bytes(piece, n);
    size_t mask = CACHE_SLOTS - 1, i = h & mask;
    for (; t->cache[i].n_ids; i = (i + 1) & mask) {
        if (t->cache[i].hash == h && t->cache[i].text_len == n &&
            !memcmp(t->cache_text + t->cache[i].text_off, piece, n))
            return push_ids(out, t->cache_ids + t->cache[i].ids_off, t->cache[i].n_ids);
    }
    size_t count = bpe(t, piece, n);
    if (count == 0) return -1;
    if (push_ids(out, t->sym, count) != 0) return -1;
    /* Remember it, unless the piece is long (rarely repeated) or the cache is
     * full, in which case start the cache over. */
    if (n > 256) return 0;
    if (t->cache_used >= CACHE_SLOTS / 2 || t->cache_ids_len + count > CACHE_POOL_IDS ||
        t->cache_text_len + n > UINT32_MAX / 2) {
        memset(t->cache, 0, sizeof(*t->cache) * CACHE_SLOTS);
        t->cache_used = t->cache_text_len = t->cache_ids_len = 0;
        for (i = h & mask; t->cache[i].n_ids; i = (i + 1) & mask) {}
    }
    if (t->cache_text_len + n > t->cache_text_cap) {
        size_t cap = t->cache_text_cap ? t->cache_text_cap * 2 : 1 << 20;
        while (cap < t->cache_text_len + n) cap *= 2;
        char *p = realloc(t->cache_text, cap);
        if (!p) return 0;  // no cache entry; the ids are already out
        t->cache_text = p;
        t->cache_text_cap = cap;
    }
    memcpy(t->cache_text + t->cache_text_len, piece, n);
    memcpy(t->cache_ids + t->cache_ids_len, t->sym, sizeof(int) * count);
    t->cache[i].hash = h;
    t->cache[i].text_off = (uint32_t)t->cache_text_len;
    t->cache[i].text_len = (uint32_t)n;
    t->cache[i].ids_off = (uint32_t)t->cache_ids_len;
    t->cache[i].n_ids = (uint32_t)count;
    t->cache_text_len += n;
    t->cache_ids_len += count;
    t->cache_used++;
    return 0;
}

/* ---- the pre-tokenizer ------------------------------------------------------ */

enum { CLS_LETTER, CLS_NUMBER, CLS_SPACE, CLS_OTHER, CLS_INVALID };

static int is_white_space(int cp) {  // the Unicode White_Space property
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000;
}

static int classify(int cp) {
    if (is_white_space(cp)) return CLS_SPACE;
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
    *len = decode_utf8(s, n, &cp);
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

/* Length of the pre-token piece that starts at s, following the GPT-2
 * pattern's alternatives in order. */
static size_t next_piece(const unsigned char *s, size_t n) {
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

static int encode_text(gpt_tokenizer *t, const unsigned char *s, size_t n, id_list *out) {
    for (size_t i = 0; i < n;) {
        size_t len = next_piece(s + i, n - i);
        if (encode_piece(t, s + i, len, out) != 0) return -1;
        i += len;
    }
    return 0;
}

gpt_status gpt_tokenizer_encode(gpt_tokenizer *t, const char *text, size_t len, int parse_special, int **ids,
                                size_t *n_ids, char *err, size_t err_len) {
    init_ascii_class();
    id_list out = {0};
    const unsigned char *s = (const unsigned char *)text;
    const size_t special_len = strlen(SPECIAL_TEXT);
    int failed = 0;
    size_t start = 0;
    if (parse_special && t->eot >= 0) {
        for (size_t i = 0; i + special_len <= len && !failed;) {
            const char *hit = memmem(text + i, len - i, SPECIAL_TEXT, special_len);
            if (!hit) break;
            size_t at = (size_t)(hit - text);
            failed = encode_text(t, s + start, at - start, &out) != 0 || push_ids(&out, &t->eot, 1) != 0;
            start = i = at + special_len;
        }
    }
    if (!failed) failed = encode_text(t, s + start, len - start, &out) != 0;
    if (failed) {
        free(out.ids);
        return gpt_fail(err, err_len, GPT_ERR_OOM, "tokenizer: out of memory");
    }
    if (!out.ids) out.ids = malloc(sizeof(int));  // an empty text still gets a buffer to free
    *ids = out.ids;
    *n_ids = out.n;
    return out.ids ? GPT_OK : gpt_fail(err, err_len, GPT_ERR_OOM, "tokenizer: out of memory");
}
