/* bpe.c — the model: a vocabulary, its merges, and byte-pair encoding of
 * one pre-token, exactly as HF's tokenizers (and GPT-2's encoder.py) do:
 * the lowest-ranked adjacent pair is merged first, leftmost among equals.
 *
 * Two alphabets:
 * - byte-level (a ByteLevel pre-tokenizer): the vocabulary's strings spell
 *   bytes in GPT-2's printable map; a pre-token starts as its raw bytes.
 * - otherwise (SentencePiece-style): a pre-token starts as its characters;
 *   a character with no token becomes its UTF-8 bytes as <0xNN> tokens
 *   (byte_fallback), else unk_token (consecutive ones fused with fuse_unk).
 * A cache maps pre-tokens seen before straight to their ids.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

#define TK_CACHE_SLOTS (1u << 17)       // piece cache: open addressing, cleared when half full
#define TK_CACHE_POOL_IDS (1u << 20)    // ids the cache may hold before it is cleared

uint64_t tk_hash_bytes(const void *p, size_t n) {  // FNV-1a, then a mix
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

int tk_ids_push(tk_ids *l, const int *ids, size_t n) {
    if (n == 0) return 0;  // ids may be NULL then (an empty template)
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

/* The code point GPT-2 uses to spell byte b: printable Latin-1 bytes stand
 * for themselves, the rest are moved to U+0100 and up, in byte order. */
void tk_byte_to_unicode(int table[256]) {
    int n = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        table[b] = printable ? b : 256 + n++;
    }
}

int tk_unicode_to_byte(int cp) {
    static int unicode_to_byte[324];  // GPT-2's map runs to U+0143
    static int ready;
    if (!ready) {
        int table[256];
        tk_byte_to_unicode(table);
        for (int c = 0; c < 324; c++) unicode_to_byte[c] = -1;
        for (int b = 0; b < 256; b++) unicode_to_byte[table[b]] = b;
        ready = 1;
    }
    return cp >= 0 && cp < 324 ? unicode_to_byte[cp] : -1;
}

/* ---- the string pool ----------------------------------------------------- */

struct tk_block {
    tk_block *next;
    char data[];
};

char *tk_pool_copy(tk_pool *p, const char *s, size_t n) {
    if (!p->head || p->used + n + 1 > p->size) {
        size_t size = n + 1 > (1u << 20) ? n + 1 : (1u << 20);
        tk_block *b = malloc(sizeof(tk_block) + size);
        if (!b) return NULL;
        b->next = p->head;
        p->head = b;
        p->used = 0;
        p->size = size;
    }
    char *out = p->head->data + p->used;
    if (n) memcpy(out, s, n);
    out[n] = '\0';
    p->used += n + 1;
    return out;
}

void tk_pool_free(tk_pool *p) {
    for (tk_block *b = p->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    p->head = NULL;
}

/* ---- the vocabulary ---------------------------------------------------- */

gpt_status tk_vocab_init(gpt_tokenizer *t, int n_vocab, char *err, size_t err_len) {
    t->n_vocab = n_vocab;
    t->spelling = calloc((size_t)n_vocab, sizeof(char *));
    t->model_text = calloc((size_t)n_vocab, sizeof(char *));
    t->model_len = calloc((size_t)n_vocab, sizeof(int));
    t->spell_len = calloc((size_t)n_vocab, sizeof(int));
    for (t->spell_slots = 1; t->spell_slots < (size_t)n_vocab + (size_t)n_vocab / 3 + 2; t->spell_slots *= 2) {}  // <= 3/4 full
    t->text_slots = t->spell_slots;
    t->by_spelling = malloc(sizeof(tk_slot) * t->spell_slots);
    t->by_text = malloc(sizeof(tk_slot) * t->text_slots);
    if (!t->spelling || !t->model_text || !t->model_len || !t->spell_len || !t->by_spelling || !t->by_text)
        return gpt_fail(err, err_len, GPT_ERR_OOM, "tokenizer: out of memory");
    memset(t->by_spelling, 0xFF, sizeof(tk_slot) * t->spell_slots);
    memset(t->by_text, 0xFF, sizeof(tk_slot) * t->text_slots);
    for (int i = 0; i < n_vocab; i++) t->model_len[i] = -1;  // not a model token (an added one, or a hole)
    for (int b = 0; b < 256; b++) t->byte_token[b] = -1;
    return GPT_OK;
}

/* The slot of string s in a table over strs/lens: its id's, or the empty one to fill. */
static tk_slot *slot_of(tk_slot *table, size_t slots, char *const *strs, const int *lens, const char *s, size_t n) {
    /* The tag: 16 bits of hash and the length (capped), so that a probe
     * touches the string only when both agree. */
    uint64_t h = tk_hash_bytes(s, n);
    uint32_t tag = (uint32_t)(h >> 48) << 16 | (uint32_t)(n < 0xFFFF ? n : 0xFFFF);
    size_t mask = slots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        tk_slot *e = &table[i];
        if (e->id < 0) {
            e->tag = tag;  // ready for an insert; harmless when only looking
            return e;
        }
        if (e->tag == tag && (n < 0xFFFF || (size_t)lens[e->id] == n) && !memcmp(strs[e->id], s, n)) return e;
    }
}

int tk_find_spelling(const gpt_tokenizer *t, const char *s, size_t n) {
    return slot_of(t->by_spelling, t->spell_slots, t->spelling, t->spell_len, s, n)->id;
}

int tk_find_text(const gpt_tokenizer *t, const char *s, size_t n) {
    return slot_of(t->by_text, t->text_slots, t->model_text, t->model_len, s, n)->id;
}

gpt_status tk_vocab_set(gpt_tokenizer *t, int id, const char *spelling, size_t n, int model_token, const char *file,
                        char *err, size_t err_len) {
    if (id < 0 || id >= t->n_vocab)
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: token \"%.40s\" has id %d outside 0..%d", file, spelling, id,
                        t->n_vocab - 1);
    if (t->spelling[id])
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: id %d is given to two tokens (\"%.40s\" and \"%.40s\")",
                        file, id, t->spelling[id], spelling);
    if (memchr(spelling, '\0', n))
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: token %d contains a NUL character", file, id);
    if (n > INT_MAX / 2) return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: token %d is too long", file, id);
    if (!(t->spelling[id] = tk_pool_copy(&t->pool, spelling, n)))
        return gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory", file);
    t->spell_len[id] = (int)n;
    tk_slot *slot = slot_of(t->by_spelling, t->spell_slots, t->spelling, t->spell_len, spelling, n);
    if (slot->id >= 0)
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: token \"%.40s\" is given two ids (%d and %d)", file,
                        spelling, slot->id, id);
    slot->id = id;
    if (!model_token) return GPT_OK;

    /* The model's alphabet: byte-level spellings stand for raw bytes; one
     * with a character outside GPT-2's map can never be produced by BPE
     * over bytes, so it gets no model text. */
    char *text = tk_pool_copy(&t->pool, spelling, n);  // the raw bytes are never longer
    if (!text) return gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory", file);
    size_t len = 0;
    if (t->byte_level) {
        for (size_t k = 0; k < n;) {
            int cp, step = tk_utf8_decode((const unsigned char *)spelling + k, n - k, &cp);
            int byte = step ? tk_unicode_to_byte(cp) : -1;
            if (byte < 0) {
                t->model_len[id] = 0;  // a model token BPE over bytes never reaches
                return GPT_OK;
            }
            text[len++] = (char)byte;
            k += (size_t)step;
        }
    } else {
        len = n;
    }
    t->model_text[id] = text;
    t->model_len[id] = (int)len;
    slot = slot_of(t->by_text, t->text_slots, t->model_text, t->model_len, text, len);
    if (slot->id < 0) slot->id = id;  // (always: spellings are unique and GPT-2's map is one-to-one)
    return GPT_OK;
}

/* ---- merges ------------------------------------------------------------ */

static const tk_pair *find_pair(const gpt_tokenizer *t, int left, int right) {
    uint64_t key = ((uint64_t)(uint32_t)left << 32 | (uint32_t)right) + 1;
    size_t mask = t->pair_slots - 1;
    for (size_t i = hash_u64(key) & mask;; i = (i + 1) & mask) {
        if (t->pairs[i].key == key) return &t->pairs[i];
        if (t->pairs[i].key == 0) return NULL;
    }
}

gpt_status tk_alloc_pairs(gpt_tokenizer *t, size_t n_merges) {
    /* At most 3/4 full: Llama 3's 280k merges take 512k slots (8 MB), not 16 MB to zero. */
    for (t->pair_slots = 1; t->pair_slots < n_merges + n_merges / 3 + 2; t->pair_slots *= 2) {}
    t->pairs = calloc(t->pair_slots, sizeof(tk_pair));
    return t->pairs ? GPT_OK : GPT_ERR_OOM;
}

/* Adds merge `rank`: left right → their concatenation, all three model tokens. */
gpt_status tk_add_merge(gpt_tokenizer *t, const char *left, size_t nl, const char *right, size_t nr, int rank,
                        const char *file, const char *where_fmt, int where_n, char *err, size_t err_len) {
    char where[48];
    int a = tk_find_spelling(t, left, nl), b = tk_find_spelling(t, right, nr);
    if (a >= 0 && t->model_len[a] < 0) a = -1;  // merges join model tokens, not added-only ones
    if (b >= 0 && t->model_len[b] < 0) b = -1;
    char joined[1024];
    if (a < 0 || b < 0 || nl + nr >= sizeof joined) {
        snprintf(where, sizeof where, where_fmt, where_n);  // only on error: formatting 150k names costs 15 ms
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %s: \"%.*s %.*s\" names a token not in the vocabulary", file,
                        where, (int)(nl < 40 ? nl : 40), left, (int)(nr < 40 ? nr : 40), right);
    }
    memcpy(joined, left, nl);
    memcpy(joined + nl, right, nr);
    int merged = tk_find_spelling(t, joined, nl + nr);
    if (merged < 0 || t->model_len[merged] < 0) {
        snprintf(where, sizeof where, where_fmt, where_n);
        return gpt_fail(err, err_len, GPT_ERR_FORMAT,
                        "%s: %s: the merge of \"%.*s\" and \"%.*s\" is not in the vocabulary", file, where,
                        (int)(nl < 40 ? nl : 40), left, (int)(nr < 40 ? nr : 40), right);
    }
    uint64_t key = ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 1;
    size_t mask = t->pair_slots - 1, i = hash_u64(key) & mask;
    while (t->pairs[i].key && t->pairs[i].key != key) i = (i + 1) & mask;
    if (t->pairs[i].key) return GPT_OK;  // a repeated merge keeps its first (lowest) rank
    t->pairs[i] = (tk_pair){key, rank, merged};
    return GPT_OK;
}

/* ---- BPE --------------------------------------------------------------- */

static int reserve(gpt_tokenizer *t, size_t n) {
    if (n <= t->cap) return 0;
    size_t cap = n * 2;
    int *s = realloc(t->sym, sizeof(int) * cap);
    if (s) t->sym = s;
    int *nx = s ? realloc(t->next, sizeof(int) * cap) : NULL;
    if (nx) t->next = nx;
    int *pv = nx ? realloc(t->prev, sizeof(int) * cap) : NULL;
    if (pv) t->prev = pv;
    if (!s || !nx || !pv) return -1;
    t->cap = cap;
    return 0;
}

/* Merges the n symbols in t->sym, lowest rank first, leftmost first among
 * equal ranks. Compacts the result into t->sym and returns its length, or
 * 0 when out of memory. */
static size_t merge_symbols(gpt_tokenizer *t, size_t n) {
    int *sym = t->sym, *next = t->next;
    for (size_t i = 0; i < n; i++) next[i] = (int)i + 1;
    next[n - 1] = -1;
    if (n > 1 && n <= 64) {  // short: scan for the best pair each round
        for (;;) {
            int best = -1, best_rank = INT_MAX, merged = -1;
            for (int i = 0; next[i] >= 0; i = next[i]) {
                const tk_pair *p = find_pair(t, sym[i], sym[next[i]]);
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
            const tk_pair *p = find_pair(t, sym[i], sym[next[i]]);
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
            const tk_pair *p = find_pair(t, sym[i], sym[j]);
            sym[i] = p->merged;
            sym[j] = -1;
            next[i] = next[j];
            if (next[j] >= 0) prev[next[j]] = i;
            if (prev[i] >= 0) {
                const tk_pair *q = find_pair(t, sym[prev[i]], sym[i]);
                if (q) HEAP_PUSH(((cand){q->rank, prev[i], sym[prev[i]], sym[i]}));
            }
            if (next[i] >= 0) {
                const tk_pair *q = find_pair(t, sym[i], sym[next[i]]);
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

/* The starting symbols of a pre-token in t->sym; returns their count, 0
 * when out of memory, or (size_t)-1 when a character has no token at all. */
static size_t initial_symbols(gpt_tokenizer *t, const unsigned char *piece, size_t n) {
    if (reserve(t, n) != 0) return 0;
    int *sym = t->sym;
    if (t->byte_level) {
        for (size_t i = 0; i < n; i++) sym[i] = t->byte_token[piece[i]];
        return n;
    }
    size_t count = 0;
    int pending_unk = 0;  // fuse_unk: one unk for a run of unknown characters
    for (size_t i = 0; i < n;) {
        int cp, len = tk_utf8_decode(piece + i, n - i, &cp);
        if (len == 0) len = 1;  // a stray byte (the caller sends only valid UTF-8 here, but be safe)
        int id = tk_find_text(t, (const char *)piece + i, (size_t)len);
        if (id >= 0) {
            sym[count++] = id;
            pending_unk = 0;
        } else if (t->byte_fallback) {
            for (int k = 0; k < len; k++) sym[count++] = t->byte_token[piece[i + (size_t)k]];
            pending_unk = 0;
        } else if (t->unk >= 0) {
            if (!(pending_unk && t->fuse_unk)) sym[count++] = t->unk;
            pending_unk = 1;
        } else {
            return (size_t)-1;
        }
        i += (size_t)len;
    }
    return count;
}

gpt_status tk_cache_init(gpt_tokenizer *t, char *err, size_t err_len) {
    t->cache = calloc(TK_CACHE_SLOTS, sizeof *t->cache);
    t->cache_ids = malloc(sizeof(int) * TK_CACHE_POOL_IDS);
    if (!t->cache || !t->cache_ids) return gpt_fail(err, err_len, GPT_ERR_OOM, "tokenizer: out of memory");
    return GPT_OK;
}

int tk_bpe_piece(gpt_tokenizer *t, const unsigned char *piece, size_t n, tk_ids *out) {
    if (n == 0) return 0;
    uint64_t h = tk_hash_bytes(piece, n);
    size_t mask = TK_CACHE_SLOTS - 1, i = h & mask;
    for (; t->cache[i].n_ids; i = (i + 1) & mask) {
        if (t->cache[i].hash == h && t->cache[i].text_len == n &&
            !memcmp(t->cache_text + t->cache[i].text_off, piece, n))
            return tk_ids_push(out, t->cache_ids + t->cache[i].ids_off, t->cache[i].n_ids);
    }
    size_t count;
    int whole = t->ignore_merges ? tk_find_text(t, (const char *)piece, n) : -1;
    if (whole >= 0) {  // ignore_merges: a pre-token in the vocabulary is its token
        if (reserve(t, 1) != 0) return -1;
        t->sym[0] = whole;
        count = 1;
    } else {
        count = initial_symbols(t, piece, n);
        if (count == (size_t)-1) return -2;
        if (count == 0) return -1;
        count = merge_symbols(t, count);
        if (count == 0) return -1;
    }
    if (tk_ids_push(out, t->sym, count) != 0) return -1;
    /* Remember it, unless the piece is long (rarely repeated) or the cache is
     * full, in which case start the cache over. */
    if (n > 256) return 0;
    if (t->cache_used >= TK_CACHE_SLOTS / 2 || t->cache_ids_len + count > TK_CACHE_POOL_IDS ||
        t->cache_text_len + n > UINT32_MAX / 2) {
        memset(t->cache, 0, sizeof(*t->cache) * TK_CACHE_SLOTS);
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
