/* tokenizer_internal.h — the tokenizer's parts, shared by the files of src/text/.
 *
 * A tokenizer runs HuggingFace's pipeline, one stage per file:
 *
 *   text ─ added tokens (tokenizer.c) ─┬─ normalizer (normalize.c)
 *                                      ├─ pre-tokenizer (pretokenize.c, regex.c)
 *                                      └─ model: BPE (bpe.c)
 *        ─ post-processor: the template's BOS/EOS (tokenizer.c)
 *   ids ─ decoder chain, precomputed per token (decode.c)
 *
 * tokenizer_json.c reads tokenizer.json, tokenizer_config.json and
 * generation_config.json into these structures; tokenizer.c also reads
 * GPT-2's vocab.json + merges.txt.
 */
#ifndef GPT_TOKENIZER_INTERNAL_H
#define GPT_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define TK_MAX_FILE_BYTES (64u << 20)

/* ---- UTF-8 ------------------------------------------------------------- */

/* Decodes one valid UTF-8 code point at s (n bytes left); returns its length,
 * or 0 when the bytes there are not valid UTF-8. */
int tk_utf8_decode(const unsigned char *s, size_t n, int *cp);
int tk_utf8_encode(char *out, int cp);   // 1..4 bytes
int tk_is_white_space(int cp);           // the Unicode White_Space property (Rust's char::is_whitespace)

/* A growable byte string. */
typedef struct {
    char *s;
    size_t n, cap;
} tk_buf;
int tk_buf_put(tk_buf *b, const void *p, size_t n);  // 0, or -1 when out of memory

/* ---- regex (regex.c): Oniguruma's semantics through PCRE2 -------------- */

typedef struct tk_regex tk_regex;
/* Compiles an Oniguruma pattern (as HF's tokenizers reads it). On failure
 * returns NULL with a one-line reason in why. */
tk_regex *tk_regex_compile(const char *pattern, size_t len, char *why, size_t why_len);
/* The next match at or after byte `from` in valid UTF-8 s[0..n): 1 with
 * [*start, *end), 0 for none, -1 on a matcher error (resource limits). */
int tk_regex_search(tk_regex *re, const char *s, size_t n, size_t from, size_t *start, size_t *end);
void tk_regex_free(tk_regex *re);
/* All matches in turn, as Oniguruma's find_iter gives them. */
typedef struct {
    size_t pos, last_end;
    int had_match;
} tk_regex_iter;
int tk_regex_next(tk_regex *re, const char *s, size_t n, tk_regex_iter *it, size_t *start, size_t *end);

/* ---- normalizers (normalize.c) ---------------------------------------- */

typedef enum { NORM_NFC, NORM_NFKC, NORM_NFD, NORM_NFKD, NORM_LOWERCASE, NORM_STRIP, NORM_PREPEND, NORM_REPLACE } tk_norm_kind;

typedef struct {
    tk_norm_kind kind;
    int strip_left, strip_right;   // Strip
    char *content;                 // Prepend's text, Replace's replacement
    size_t content_len;
    char *literal;                 // Replace with a String pattern
    size_t literal_len;
    tk_regex *re;                  // Replace with a Regex pattern
} tk_normalizer;

/* Runs the normalizers in order over in[0..n) (valid UTF-8) into out (reset
 * first). Returns 0, or -1 when out of memory or a matcher fails. */
int tk_normalize(const tk_normalizer *steps, int n_steps, const char *in, size_t n, tk_buf *out);

/* ---- pre-tokenizers (pretokenize.c) ------------------------------------ */

typedef enum { PRE_BYTELEVEL, PRE_SPLIT, PRE_DIGITS, PRE_METASPACE, PRE_PUNCTUATION, PRE_WHITESPACE,
               PRE_WHITESPACE_SPLIT } tk_pre_kind;
typedef enum { SPLIT_REMOVED, SPLIT_ISOLATED, SPLIT_MERGED_WITH_PREVIOUS, SPLIT_MERGED_WITH_NEXT,
               SPLIT_CONTIGUOUS } tk_split_behavior;
typedef enum { PREPEND_ALWAYS, PREPEND_FIRST, PREPEND_NEVER } tk_prepend_scheme;

typedef struct {
    tk_pre_kind kind;
    tk_split_behavior behavior;    // Split, Punctuation
    int invert;                    // Split
    tk_regex *re;                  // Split with a Regex pattern; Whitespace's \w+|[^\w\s]+
    char *literal;                 // Split with a String pattern
    size_t literal_len;
    int individual_digits;         // Digits
    int add_prefix_space, use_regex;  // ByteLevel
    char replacement[8];           // Metaspace: the replacement character, UTF-8
    int replacement_len;
    tk_prepend_scheme prepend_scheme;
    int split;                     // Metaspace
    int hub_digits;                // Split on TK_HUB_PATTERN_1/3, Isolated: by tk_hub_next_piece (1 or 3), else 0
} tk_pretokenizer;

/* A piece of text: bytes [off, off+len) of the piece arena. at_start: the
 * piece begins at offset 0 of the original text (Metaspace's "first"). */
typedef struct {
    size_t off, len;
    int at_start;
} tk_piece;

typedef struct {
    tk_piece *p;
    size_t n, cap;
} tk_pieces;
int tk_pieces_push(tk_pieces *l, size_t off, size_t len, int at_start);

/* Splits every piece of *io by each pre-tokenizer in turn; new text (a
 * prepended space or replacement) is appended to arena. Returns 0 or -1. */
int tk_pretokenize(const tk_pretokenizer *steps, int n_steps, tk_buf *arena, tk_pieces *io, tk_pieces *scratch);

/* GPT-2's pattern as a hand-written scanner (exact and fast): the length of
 * the piece that starts at s (n > 0 bytes left, any bytes). */
size_t tk_gpt2_next_piece(const unsigned char *s, size_t n);
/* The Llama 3 (max_digits 3) and Qwen2 (1) pattern as a scanner: the length
 * of the piece that starts at s (n > 0 bytes of valid UTF-8). */
size_t tk_hub_next_piece(const unsigned char *s, size_t n, int max_digits);
extern const char *const TK_HUB_PATTERN_1, *const TK_HUB_PATTERN_3;

/* ---- decoders (decode.c) ---------------------------------------------- */

typedef enum { DEC_BYTELEVEL, DEC_REPLACE, DEC_BYTEFALLBACK, DEC_FUSE, DEC_STRIP, DEC_METASPACE } tk_dec_kind;
typedef struct {
    tk_dec_kind kind;
    char *pattern, *content;       // Replace (a String pattern); Strip's content
    size_t pattern_len, content_len;
    int start, stop;               // Strip
    char replacement[8];           // Metaspace
    int replacement_len;
    int prepend;                   // Metaspace: prepend_scheme is not "never"
} tk_decoder;

/* Strings that live as long as the tokenizer, carved from big blocks (one
 * malloc per megabyte, not per token: loading 150k tokens stays fast). */
typedef struct tk_block tk_block;
typedef struct {
    tk_block *head;
    size_t used, size;
} tk_pool;
char *tk_pool_copy(tk_pool *p, const char *s, size_t n);  // NUL-terminated copy, or NULL
void tk_pool_free(tk_pool *p);

/* ---- the tokenizer ----------------------------------------------------- */

typedef struct {
    uint64_t key;   // (left << 32) | right, +1 so that 0 means empty
    int rank;
    int merged;     // the id of left+right
} tk_pair;

/* A hash table slot: the id (-1 empty) and its hash's high bits, which
 * settle most probes without touching the string. */
typedef struct {
    uint32_t tag;
    int id;
} tk_slot;

typedef struct {
    char *content;
    size_t len;
    int id;
    int special, lstrip, rstrip, single_word, normalized;
} tk_added;

struct gpt_tokenizer {
    const char *kind;           // "byte-level BPE (tokenizer.json)", ...
    int n_vocab;                // ids 0..n_vocab-1: the model's vocabulary and the added tokens
    int n_model;                // entries in model.vocab
    tk_pool pool;               // every string below
    char **spelling;            // (n_vocab) each token's string as the file spells it; NULL: a hole
    int *spell_len;             // (n_vocab)
    char **model_text;          // (n_vocab) the BPE alphabet: raw bytes (byte-level) or the spelling; model ids only
    int *model_len;             // (n_vocab)
    tk_slot *by_text;           // (text_slots) model ids hashed by model_text
    size_t text_slots;
    tk_slot *by_spelling;       // (spell_slots) every id hashed by spelling (added tokens included)
    size_t spell_slots;
    tk_pair *pairs;             // (pair_slots) merges
    size_t pair_slots;

    /* The model. */
    int byte_level;             // a ByteLevel pre-tokenizer: BPE over raw bytes
    int byte_token[256];        // byte-level: the id of each byte; byte_fallback: <0xNN>; else -1
    int byte_fallback, ignore_merges, fuse_unk;
    int unk;                    // unk_token's id, or -1

    /* Added tokens, longest-match trie over their bytes. */
    tk_added *added;
    int n_added;
    int n_normalized_added;     // those matched after the normalizer
    int (*trie)[257];           // (trie_nodes, 257): child per byte, [256] = the added token index ending here, or -1
    int trie_nodes, trie_cap;
    unsigned char first_byte[256];  // 1 where some added token starts with that byte
    int only_first_byte;        // the one byte every added token starts with, or -1

    tk_normalizer *norm;
    int n_norm;
    tk_pretokenizer *pre;
    int n_pre;
    int gpt2_scanner;           // the GPT-2 path: pieces by tk_gpt2_next_piece, no pipeline
    int hub_scanner;            // the Llama 3/Qwen2 path: only that Split (+ ByteLevel): its digits, else 0
    tk_decoder *dec;
    int n_dec;
    int decoder_joins_with_space;  // no decoder: HF joins tokens with " "

    /* Post-processor: ids before and after the text with add_special. */
    int *prefix, n_prefix, *suffix, n_suffix;

    /* Decoded bytes of each id: as the first token of a text, and after
     * another token; and the left Strip the chain does once, at the start. */
    char **head, **tail;        // (n_vocab)
    int *head_len, *tail_len;   // (n_vocab)
    int max_bytes;
    char *strip_start;          // a post-Fuse Strip's content, or NULL
    size_t strip_start_len;
    int strip_start_count;
    int lossless;               // decode(encode(s)) == s for every s

    int eot;                    // <|endoftext|> (the GPT-2 API), or -1
    int bos, eos;               // tokenizer_config's bos/eos tokens, or -1
    int *eos_ids, n_eos;        // the ids that end generation
    long long model_max_length; // 0 when not given

    /* Piece cache: piece bytes → ids. */
    struct { uint64_t hash; uint32_t text_off, text_len, ids_off, n_ids; } *cache;  // (TK_CACHE_SLOTS)
    size_t cache_used;
    char *cache_text;           // piece bytes, appended
    size_t cache_text_len, cache_text_cap;
    int *cache_ids;             // ids, appended
    size_t cache_ids_len;

    /* Scratch, grown as needed. */
    int *sym, *next, *prev;     // (cap) BPE symbols and their linked list
    size_t cap;
    tk_buf norm_buf, arena;
    tk_pieces pieces, pieces2;
};

typedef struct {
    int *ids;
    size_t n, cap;
} tk_ids;
int tk_ids_push(tk_ids *l, const int *ids, size_t n);

uint64_t tk_hash_bytes(const void *p, size_t n);

/* bpe.c */
gpt_status tk_vocab_init(gpt_tokenizer *t, int n_vocab, char *err, size_t err_len);
/* Sets id's spelling; byte_level spellings map to raw bytes by GPT-2's table. */
gpt_status tk_vocab_set(gpt_tokenizer *t, int id, const char *spelling, size_t len, int model_token, const char *file,
                        char *err, size_t err_len);
int tk_find_spelling(const gpt_tokenizer *t, const char *s, size_t n);
int tk_find_text(const gpt_tokenizer *t, const char *s, size_t n);
gpt_status tk_alloc_pairs(gpt_tokenizer *t, size_t n_merges);
gpt_status tk_add_merge(gpt_tokenizer *t, const char *left, size_t nl, const char *right, size_t nr, int rank,
                        const char *file, const char *where_fmt, int where_n, char *err, size_t err_len);
/* The byte → code point table of GPT-2's byte-level alphabet. */
void tk_byte_to_unicode(int table[256]);
/* Its inverse: the byte code point cp spells, or -1 for one outside the alphabet. */
int tk_unicode_to_byte(int cp);
/* Appends the ids of one pre-token; 0, -1 out of memory, -2 a character with
 * no token and no unk (HF's UnkTokenMissing). */
int tk_bpe_piece(gpt_tokenizer *t, const unsigned char *piece, size_t n, tk_ids *out);
gpt_status tk_cache_init(gpt_tokenizer *t, char *err, size_t err_len);

/* decode.c: fills head/tail for every id; refuses chains it cannot stream exactly. */
gpt_status tk_decoders_prepare(gpt_tokenizer *t, const char *file, char *err, size_t err_len);

/* tokenizer_json.c */
gpt_status tk_load_tokenizer_json(gpt_tokenizer *t, const char *path, char *err, size_t err_len);
gpt_status tk_load_configs(gpt_tokenizer *t, const char *dir, char *err, size_t err_len);
char *tk_read_file(const char *path, size_t *len, gpt_status *st, char *err, size_t err_len);
gpt_status tk_added_build(gpt_tokenizer *t, char *err, size_t err_len);

#endif
