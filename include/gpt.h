/* gpt.h — the one public header of libgpt: tokenizers (GPT-2's files and
 * HF tokenizer.json), a chat-template (Jinja) interpreter, a model loader
 * (GPT-2, Llama, Mistral, Qwen2, Qwen3), one forward pass with a KV cache,
 * a sampler and a generation loop.
 *
 * Contracts that hold everywhere:
 * - The library never prints and never exits. A fallible call returns a
 *   gpt_status and, when it is not GPT_OK, writes one line into the caller's
 *   error buffer (err, err_len) naming the file and the field at fault.
 *   err may be NULL.
 * - Types are opaque; constructors and destructors come in pairs, and every
 *   *_free accepts NULL.
 */
#ifndef GPT_H
#define GPT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define GPT_VERSION "0.1.0"

typedef enum {
    GPT_OK = 0,
    GPT_ERR_IO,           /* a file could not be opened, read or mapped */
    GPT_ERR_FORMAT,       /* a file is malformed or does not fit the config */
    GPT_ERR_UNSUPPORTED,  /* a well-formed setting this code does not implement */
    GPT_ERR_OOM,          /* an allocation failed or a size overflowed */
    GPT_ERR_ARG,          /* a caller passed an invalid argument */
    GPT_ERR_CONTEXT_FULL, /* a sequence outgrew the context length */
    GPT_ERR_NUMERIC,      /* NaN or Inf where a finite number is needed */
    GPT_ERR_CANCELLED     /* the caller cancelled the work (gpt_generate_io.cancel) */
} gpt_status;

/* A short constant name for a status ("ok", "io error", ...). */
const char *gpt_status_string(gpt_status status);

/* ------------------------------------------------------------------ */
/* Tokenizer: GPT-2's vocab.json + merges.txt, or a HuggingFace         */
/* tokenizer.json (BPE: byte-level, or SentencePiece-style with byte    */
/* fallback), exactly as HF's tokenizers library encodes and decodes.   */
/* ------------------------------------------------------------------ */
typedef struct gpt_tokenizer gpt_tokenizer;

/* Loads vocab.json + merges.txt from model_dir, or tokenizer.json when
 * those two are absent, with tokenizer_config.json (bos/eos tokens) and
 * generation_config.json (eos_token_id) when present. Reads no weights. A
 * component tokenizer.json names that is not implemented is refused by
 * name (GPT_ERR_UNSUPPORTED), never approximated. */
gpt_status gpt_tokenizer_load(gpt_tokenizer **out, const char *model_dir,
                              char *err, size_t err_len);
void gpt_tokenizer_free(gpt_tokenizer *tok);

/* Ids run 0..vocab_size-1: the model's vocabulary and the added tokens. */
int gpt_tokenizer_vocab_size(const gpt_tokenizer *tok);
/* The id of <|endoftext|>, or -1 when the vocabulary has none. */
int gpt_tokenizer_eot_id(const gpt_tokenizer *tok);
/* What it is, e.g. "byte-level BPE (tokenizer.json)". */
const char *gpt_tokenizer_kind(const gpt_tokenizer *tok);
/* tokenizer_config.json's bos_token, or -1. */
int gpt_tokenizer_bos_id(const gpt_tokenizer *tok);
/* The end-of-text id: generation_config.json's (first) eos_token_id, else
 * tokenizer_config.json's eos_token, else <|endoftext|>; -1 when none. */
int gpt_tokenizer_eos_id(const gpt_tokenizer *tok);
/* Whether id ends generation (any of generation_config.json's list). */
int gpt_tokenizer_is_eos(const gpt_tokenizer *tok, int id);
/* generation_config.json's eos_token_id list (*ids valid while tok lives);
 * 0 when it gives none. */
int gpt_tokenizer_eos_ids(const gpt_tokenizer *tok, const int **ids);
/* tokenizer_config.json's model_max_length, 0 when absent. */
long long gpt_tokenizer_model_max_length(const gpt_tokenizer *tok);
/* The id whose spelling is token ("<|eot_id|>", "<s>"), or -1. */
int gpt_tokenizer_token_id(const gpt_tokenizer *tok, const char *token);
/* Whether id is a special added token. */
int gpt_tokenizer_is_special(const gpt_tokenizer *tok, int id);
/* 1 when decode(encode(s)) == s for every byte string s (byte-level BPE
 * with no normalizer and nothing dropped or added: GPT-2, Llama 3);
 * 0 when the tokenizer normalizes (Qwen's NFC) or adds text (Llama 2's ▁). */
int gpt_tokenizer_round_trips(const gpt_tokenizer *tok);

enum {
    GPT_ENCODE_SPECIAL = 1,     /* special-token text becomes its token (HF's default) */
    GPT_ENCODE_ADD_SPECIAL = 2  /* apply the post-processor: the BOS/EOS HF's add_special_tokens adds */
};

/* Encodes len bytes of text, as HF's encode(text, add_special_tokens=
 * flags & GPT_ENCODE_ADD_SPECIAL) with special tokens parsed when flags &
 * GPT_ENCODE_SPECIAL, else kept as plain text (split_special_tokens);
 * non-special added tokens always match. Bytes that are not UTF-8 are
 * encoded one by one (their byte token, <0xNN>, or unk). On success *ids is
 * a malloc'd array of *n_ids ids that the caller frees. Not thread-safe:
 * the tokenizer keeps a cache of encoded pieces and scratch buffers. */
gpt_status gpt_tokenizer_encode_ex(gpt_tokenizer *tok, const char *text, size_t len,
                                   int flags, int **ids, size_t *n_ids,
                                   char *err, size_t err_len);
/* gpt_tokenizer_encode_ex with flags GPT_ENCODE_SPECIAL or 0. */
gpt_status gpt_tokenizer_encode(gpt_tokenizer *tok, const char *text, size_t len,
                                int parse_special, int **ids, size_t *n_ids,
                                char *err, size_t err_len);

/* Decodes ids through the tokenizer's decoder chain, as HF's
 * decode(ids, skip_special_tokens=False), into a malloc'd NUL-terminated
 * *text of *len bytes. Bytes are exact: byte tokens that are not UTF-8 on
 * their own are written as they are (HF would write U+FFFD). */
gpt_status gpt_tokenizer_decode(const gpt_tokenizer *tok, const int *ids, size_t n,
                                char **text, size_t *len, char *err, size_t err_len);

/* Streaming decode: the bytes of each id in turn, whose concatenation is
 * gpt_tokenizer_decode of all of them (the first token is decoded as a
 * text's first: Llama 2 drops its leading space there). */
typedef struct {
    long n_tokens;
    int strip_left;
} gpt_detokenizer;
void gpt_detokenizer_init(gpt_detokenizer *d);
/* The bytes of id (not NUL-terminated, *len set, valid while tok lives);
 * NULL with *len 0 for an id out of range. */
const char *gpt_detokenizer_next(const gpt_tokenizer *tok, gpt_detokenizer *d, int id, size_t *len);

/* The bytes of one token as decoded after another token (a continuation:
 * what generation appends to its prompt), not NUL-terminated, *len set,
 * valid while tok lives; NULL when id is out of range. For GPT-2, the
 * token's raw bytes. */
const char *gpt_tokenizer_token_bytes(const gpt_tokenizer *tok, int id, size_t *len);

/* The length in bytes of the longest decoded token: no text of n tokens is
 * longer than n times this. */
int gpt_tokenizer_max_token_bytes(const gpt_tokenizer *tok);

/* The token's spelling in the vocabulary file (byte-level unicode for
 * GPT-2/Llama 3, "▁Hello" for Llama 2), NUL-terminated; NULL when id is
 * out of range. */
const char *gpt_tokenizer_token_string(const gpt_tokenizer *tok, int id);

/* ------------------------------------------------------------------ */
/* Model: a decoder checkpoint in the HuggingFace layout: GPT-2, Llama,  */
/* Mistral, Qwen2, Qwen3.                                               */
/* ------------------------------------------------------------------ */
typedef enum {
    GPT_DTYPE_F32 = 0,
    GPT_DTYPE_F16,
    GPT_DTYPE_BF16,
    GPT_DTYPE_Q8      /* blocks of 32 int8 with one float scale, made at load */
} gpt_dtype;

const char *gpt_dtype_name(gpt_dtype dtype); /* "F32", "F16", "BF16", "Q8" */

/* The families one forward pass runs; they differ only in the switches of
 * gpt_config below. */
typedef enum {
    GPT_ARCH_GPT2 = 0,
    GPT_ARCH_LLAMA,
    GPT_ARCH_MISTRAL,
    GPT_ARCH_QWEN2,
    GPT_ARCH_QWEN3
} gpt_arch;

const char *gpt_arch_name(gpt_arch arch); /* "gpt2", "llama", "mistral", "qwen2", "qwen3" */

typedef enum {
    GPT_ROPE_NONE = 0,       /* learned position table (GPT-2) */
    GPT_ROPE_DEFAULT,        /* rotary, theta^(-2i/d) */
    GPT_ROPE_LINEAR,         /* rotary, frequencies / rope_factor */
    GPT_ROPE_LLAMA3          /* rotary, Llama 3.1's three frequency bands */
} gpt_rope;

#define GPT_MAX_EOS 16

typedef struct {
    gpt_arch arch;
    int n_layer;
    int n_head;              /* query heads */
    int n_kv_head;           /* key/value heads (grouped-query: divides n_head) */
    int head_dim;            /* HD; n_head * HD need not be n_embd (Qwen3) */
    int n_embd;              /* C */
    int n_inner;             /* MLP width; 4*C when config.json says null */
    int n_positions;         /* the model's context length */
    int vocab_size;          /* V */
    float layer_norm_epsilon; /* the norm's epsilon (LayerNorm or RMSNorm) */
    int rms_norm;            /* 1: RMSNorm (weight only); 0: LayerNorm with bias */
    int gelu_exact;          /* GELU MLP: 1 erf ("gelu"); 0 tanh form ("gelu_new") */
    int gated_silu;          /* 1: MLP is down(silu(gate(x)) * up(x)); 0: GELU */
    gpt_rope rope;           /* GPT_ROPE_NONE: learned positions */
    double rope_theta;
    double rope_factor;      /* linear and llama3 */
    double rope_low_freq_factor, rope_high_freq_factor; /* llama3 */
    int rope_original_ctx;   /* llama3: original_max_position_embeddings */
    int qkv_bias;            /* q, k and v projections carry biases */
    int o_bias;              /* the attention output projection carries a bias */
    int mlp_bias;            /* the MLP's projections carry biases (GPT-2: always) */
    int qk_norm;             /* RMSNorm over each head of q and k before the rotation */
    int sliding_window;      /* 0: none; else position i sees j with i-W < j <= i ... */
    int window_first_layer;  /* ... in layers window_first_layer..n_layer-1 */
    int tied;                /* the head is the token embedding */
    int bos_token_id;        /* -1 when absent */
    int eos_token_id;        /* the first end-of-text id, -1 when absent */
    int n_eos;               /* every end-of-text id (config.json's, then generation_config.json's) */
    int eos_ids[GPT_MAX_EOS];
} gpt_config;

typedef struct {
    int quantize_q8;         /* quantize the matrices to Q8 at load */
    int check_finite;        /* refuse weights holding NaN or Inf (reads every weight) */
    int map_files;           /* map the safetensors files instead of reading them into
                                memory: shared with other processes and paged in on first
                                use, but on 4 KB pages, where decoding runs slower */
} gpt_load_options;

typedef struct gpt_model gpt_model;

/* Loads config.json and model.safetensors (or a sharded index) from dir.
 * Matrices stay in their stored dtype: read into anonymous memory on 2 MB
 * pages (transparent huge pages, where the system gives them), or mapped
 * from the files with map_files. opts may be NULL. */
gpt_status gpt_model_load(gpt_model **out, const char *dir, const gpt_load_options *opts,
                          char *err, size_t err_len);
void gpt_model_free(gpt_model *model);

const gpt_config *gpt_model_config(const gpt_model *model);
gpt_dtype gpt_model_dtype(const gpt_model *model);       /* the matrices' dtype in memory */
gpt_dtype gpt_model_file_dtype(const gpt_model *model);  /* as stored on disk */
size_t gpt_model_n_params(const gpt_model *model);
size_t gpt_model_file_bytes(const gpt_model *model);     /* safetensors files on disk */
size_t gpt_model_weight_bytes(const gpt_model *model);   /* weights as held in memory */
/* Tensors of the checkpoint that the model, as config.json describes it,
 * does not read: the layers past num_hidden_layers, biases a switch leaves
 * off. They load as HF loads them, unread; a caller should warn, as HF does.
 * Buffers HF skips too (GPT-2's attn.bias and attn.masked_bias, Llama's
 * rotary_emb.inv_freq) are not counted. first, when not NULL, receives the
 * first one's name (NULL when there is none). */
int gpt_model_unused_tensors(const gpt_model *model, const char **first);
/* Bytes of the KV cache of one sequence of n_ctx positions (float keys and
 * values of the kv heads only, every layer); _as: of cache_dtype elements
 * (GPT_DTYPE_F32 or GPT_DTYPE_F16). */
size_t gpt_kv_cache_bytes(const gpt_model *model, int n_ctx);
size_t gpt_kv_cache_bytes_as(const gpt_model *model, int n_ctx, gpt_dtype cache_dtype);

/* ------------------------------------------------------------------ */
/* Context: KV caches for n_seq sequences and the scratch of a forward. */
/* ------------------------------------------------------------------ */
typedef struct gpt_context gpt_context;

/* The context a gpt_context allocates when not told: the model's, capped
 * here (Llama 3.2 declares 131,072 positions: gigabytes of cache). */
#define GPT_DEFAULT_CTX 4096

/* n_ctx: positions per sequence (at most n_positions, which a larger value
 * is cut to; 0 means n_positions capped at GPT_DEFAULT_CTX).
 * n_seq: sequences decoded side by side, each with its own cache.
 * max_rows: most rows one gpt_forward call may take (0 means 512). */
gpt_status gpt_context_new(gpt_context **out, const gpt_model *model, int n_ctx, int n_seq,
                           int max_rows, char *err, size_t err_len);
/* gpt_context_new with the cache's element type: GPT_DTYPE_F32 (what
 * gpt_context_new makes), or GPT_DTYPE_F16, half the memory and half the
 * bytes a step reads: each key and value is rounded to the nearest half
 * as it enters the cache (llama.cpp's default), so logits move from the
 * float cache's by about that rounding. Any other type is
 * GPT_ERR_UNSUPPORTED. */
typedef struct {
    int n_ctx;
    int n_seq;
    int max_rows;
    gpt_dtype cache_dtype;
} gpt_context_params;
gpt_status gpt_context_new_ex(gpt_context **out, const gpt_model *model, const gpt_context_params *params,
                              char *err, size_t err_len);
void gpt_context_free(gpt_context *ctx);
int gpt_context_n_ctx(const gpt_context *ctx);
int gpt_context_max_rows(const gpt_context *ctx);
int gpt_context_n_seq(const gpt_context *ctx);
const gpt_model *gpt_context_model(const gpt_context *ctx);
size_t gpt_context_bytes(const gpt_context *ctx);  /* KV cache + scratch */

/* Number of threads for the library's kernels and for BLAS (<= 0: all cores). */
void gpt_set_threads(int n_threads);
int gpt_get_threads(void);

/* One step of work: n rows, each a token at a position in a sequence.
 * Rows of one sequence must come in increasing position order, and a row at
 * position p needs that sequence's positions 0..p-1 already in its cache
 * (from earlier calls or earlier rows of this call). */
typedef struct {
    int n;                    /* rows, at most the context's max_rows */
    const int *tokens;        /* (n) token ids */
    const int *pos;           /* (n) position of each row in its sequence */
    const int *seq;           /* (n) sequence slot of each row, 0..n_seq-1 */
    const unsigned char *want_logits; /* (n) nonzero: this row's logits are wanted;
                                         NULL: only the last row's */
} gpt_batch;

/* Runs the forward pass over the batch and writes the logits of the wanted
 * rows, in row order, into logits (n_wanted, V). */
gpt_status gpt_forward(gpt_context *ctx, const gpt_batch *batch, float *logits,
                       char *err, size_t err_len);

/* Copies the cache of sequence src's positions 0..n_pos-1 into sequence
 * dst (its later positions are untouched), byte for byte: dst then
 * continues exactly as src would. gpt_generate uses it to read a prompt
 * once for n samples. */
gpt_status gpt_context_copy_seq(gpt_context *ctx, int dst, int src, int n_pos,
                                char *err, size_t err_len);

/* ------------------------------------------------------------------ */
/* Sampler: knows nothing of models.                                    */
/* ------------------------------------------------------------------ */
/* One sampling step, in this order (the order of llama.cpp's sampler
 * chain for the adjustments, of HF's warpers for the filters):
 *   1. logit_bias: bias[id] is added to the raw logit; -INFINITY bans id.
 *   2. repetition_penalty R (HF RepetitionPenaltyLogitsProcessor): every
 *      distinct id in the window, once: a logit > 0 is divided by R, one
 *      <= 0 multiplied by R.
 *   3. presence/frequency penalties (OpenAI): for every id generated in
 *      the window, logit -= count * frequency + (count > 0) * presence.
 *   4. temperature 0: the argmax of the adjusted logits (lowest id on ties).
 *      Otherwise softmax(adjusted / temperature), then top-k, top-p, and
 *      min-p (keep p >= min_p * p_max), then one draw.
 * The window is the last penalty_last_n tokens of the sequence, prompt and
 * generated together (0: all of them): the repetition penalty counts the
 * prompt tokens in it, the presence and frequency penalties only the
 * generated ones (as OpenAI's count "the text so far" of the completion).
 * The zero value of every new field is "off". */
typedef struct {
    float temperature;   /* 0: greedy (argmax, lowest id on ties) */
    int top_k;           /* 0: off */
    float top_p;         /* 1: off; in (0, 1] */
    uint64_t seed;
    float min_p;              /* 0: off; in [0, 1] */
    float repetition_penalty; /* 0 or 1: off; else > 0 */
    float presence_penalty;   /* 0: off; finite, either sign */
    float frequency_penalty;  /* 0: off; finite, either sign */
    int penalty_last_n;       /* the window in tokens; 0: the whole sequence */
    const int *bias_ids;      /* (n_bias) ids, borrowed during gpt_sampler_new only */
    const float *bias_values; /* (n_bias) added to those ids' logits; -INFINITY bans */
    int n_bias;
} gpt_sampler_params;

typedef struct gpt_sampler gpt_sampler;

/* Allocates everything the sampler will ever need (scratch, penalty counts,
 * the window's ring): gpt_sampler_sample and gpt_sampler_accept never
 * allocate. */
gpt_status gpt_sampler_new(gpt_sampler **out, const gpt_sampler_params *params, int vocab_size,
                           char *err, size_t err_len);
void gpt_sampler_free(gpt_sampler *s);
/* Adds one token to the history the penalties look at: generated = 0 for a
 * prompt token, 1 for a sampled one. Ids outside the vocabulary are ignored.
 * gpt_generate calls it for every prompt token and every generated one. */
void gpt_sampler_accept(gpt_sampler *s, int id, int generated);
/* Picks one id from logits (vocab_size). GPT_ERR_NUMERIC when the logits
 * hold NaN (or are all -Inf after bias and penalties). */
gpt_status gpt_sampler_sample(gpt_sampler *s, const float *logits, int *id,
                              char *err, size_t err_len);

/* ------------------------------------------------------------------ */
/* Generation: many requests decoded side by side (continuous batching). */
/* ------------------------------------------------------------------ */
typedef enum {
    GPT_FINISH_EOS = 0,   /* the model produced its end-of-text token */
    GPT_FINISH_STOP,      /* a stop string appeared (it is cut from the text) */
    GPT_FINISH_LENGTH,    /* max_new_tokens were generated */
    GPT_FINISH_CONTEXT,   /* the sequence filled the context */
    GPT_FINISH_ERROR      /* the request failed; see gpt_result.error */
} gpt_finish;

const char *gpt_finish_name(gpt_finish finish); /* "eos", "stop", "length", "context", "error" */

typedef struct {
    const int *prompt;        /* (n_prompt) ids, at least one; borrowed until on_done */
    int n_prompt;
    int max_new_tokens;       /* < 0: until end of text or the context is full */
    gpt_sampler_params sampling;
    const char *const *stop;  /* (n_stop) stop strings, borrowed until on_done */
    int n_stop;
    const int *end_ids;       /* (n_end_ids) more ids that end the completion as the end-of-text
                                 token does (a chat template's end of turn), borrowed until on_done */
    int n_end_ids;
    int n_cached;             /* 0..n_prompt-1: the first n_cached prompt tokens are already in
                                 the cache of the request's sequence, left there by an earlier
                                 request, and are not read again (a chat keeps its conversation's
                                 cache). Only with a context of one sequence (n_seq 1), whose
                                 cache the caller knows; not with prompt_logprobs. */
    int ignore_eos;           /* nonzero: the end-of-text token does not stop */
    int logprobs;             /* nonzero: report each generated token's log-probability */
    void *user;               /* the caller's own, passed back untouched */
    int n_samples;            /* 0 or 1: one completion; K > 1: K completions of the one
                                 prompt (see below), at most the context's n_seq */
    int top_logprobs;         /* 0..GPT_MAX_TOP_LOGPROBS (and <= the vocabulary): report, per
                                 generated token, that many likeliest ids and their
                                 log-probabilities under the raw logits */
    int prompt_logprobs;      /* nonzero: report the log-probability of every prompt token
                                 after the first (one prompt pass; with max_new_tokens 0
                                 the request scores its prompt and generates nothing) */
} gpt_request;

#define GPT_MAX_TOP_LOGPROBS 100

/* n samples. A request with n_samples K > 1 takes K sequence slots at once
 * (it waits until K are free): slot 0 reads the prompt, its cache is copied
 * to the others (gpt_context_copy_seq), and sample j then draws with its
 * own sampler seeded sampling.seed + j. Each sample finishes as its own
 * gpt_result (gpt_result.sample = j; on_done is called K times with the
 * same request, in any order), and sample j equals, bit for bit, the one
 * completion of the same request with n_samples 1 and seed + j. */

typedef struct {
    const int *tokens;        /* (n_tokens) generated ids (not the end-of-text token) */
    int n_tokens;
    const float *logprobs;    /* (n_tokens) with gpt_request.logprobs: the natural log of each
                                 token's probability under the model (softmax of the raw
                                 logits, before temperature, top-k and top-p); else NULL */
    const char *text;         /* (text_len) the completion's bytes, any stop string cut */
    size_t text_len;
    int prompt_tokens;
    int sample;               /* 0..n_samples-1: which of the request's samples this is */
    uint64_t seed;            /* the seed this sample drew with: sampling.seed + sample */
    int n_top;                /* gpt_request.top_logprobs (0 when none were asked) */
    const int *top_ids;       /* (n_tokens, n_top) the likeliest ids at each generated
                                 token, most likely first (lower id on ties); else NULL */
    const float *top_logprobs;/* (n_tokens, n_top) their log-probabilities, as logprobs */
    const float *prompt_logprobs; /* (prompt_tokens - 1) with gpt_request.prompt_logprobs:
                                 log-probability of prompt token i+1 given tokens 0..i,
                                 under the raw logits; else NULL */
    gpt_finish finish;
    gpt_status status;        /* GPT_OK unless finish is GPT_FINISH_ERROR */
    const char *error;        /* the message when status is not GPT_OK */
} gpt_result;

/* io->next's answer when no request is ready yet (a producer has not
 * written one): generation goes on with the requests in flight and asks
 * again after the next step. Give it only while a request handed out has
 * not finished; with none in flight, next should wait for one. */
#define GPT_NEXT_LATER 2

typedef struct {
    /* Fills *req with the next request: returns 1, 0 when there are no
     * more, or GPT_NEXT_LATER. Called whenever a sequence slot is free. */
    int (*next)(void *user, gpt_request *req);
    /* Bytes of a request's completion, as soon as they are final: whole
     * UTF-8 characters, never part of a stop string. May be NULL.
     * Returns nonzero to stop all generation. */
    int (*on_text)(void *user, const gpt_request *req, const char *bytes, size_t len);
    /* A request finished; res is valid during the call only. Requests
     * finish in any order. Returns nonzero to stop all generation. */
    int (*on_done)(void *user, const gpt_request *req, const gpt_result *res);
    void *user;
    /* When set and *cancel becomes nonzero (a signal handler may set it),
     * generation stops after the current step: requests in flight finish
     * with GPT_FINISH_ERROR, status GPT_ERR_CANCELLED, error "interrupted". */
    const volatile sig_atomic_t *cancel;
} gpt_generate_io;

/* Runs requests until io->next has no more, up to the context's n_seq at a
 * time. The result of a request depends only on the model, the request and
 * its seed, never on the requests beside it. Returns GPT_OK unless the
 * whole run failed (a request's own failure is reported in its result). */
/* tok may be NULL: the completions then have no text (ids only), and end
 * of text is the config's eos ids alone. */
gpt_status gpt_generate(gpt_context *ctx, const gpt_tokenizer *tok, const gpt_generate_io *io,
                        char *err, size_t err_len);

/* ------------------------------------------------------------------ */
/* Chat templates: the Jinja subset HF chat templates use.              */
/* ------------------------------------------------------------------ */
/* Renders as transformers' apply_chat_template does: Jinja2 with
 * trim_blocks and lstrip_blocks, loop controls, raise_exception(msg),
 * strftime_now(fmt), and tojson as json.dumps (non-ASCII kept). A template
 * is parsed once and may be rendered any number of times, from any number
 * of threads at once. */
typedef struct gpt_template gpt_template;

/* Bounds on one render; a zero field takes the default beside it. */
#define GPT_TEMPLATE_MAX_STEPS  10000000L         /* statements + expressions evaluated */
#define GPT_TEMPLATE_MAX_OUTPUT ((size_t)64 << 20) /* bytes of text, and of any one string */
#define GPT_TEMPLATE_MAX_MEMORY ((size_t)256 << 20) /* bytes a render may allocate */
#define GPT_TEMPLATE_MAX_DEPTH  32                 /* macro calls nested */
typedef struct {
    long max_steps;
    size_t max_output;
    size_t max_memory;
    int max_depth;
    int has_time;      /* nonzero: strftime_now() formats `time`; else the clock's time (UTC) */
    int64_t time;      /* seconds since the epoch, formatted as UTC: for the local wall time
                          (transformers' datetime.now()), pass now + the zone's offset,
                          e.g. t + localtime_r(&t, &tm)->tm_gmtoff */
} gpt_template_limits;

/* Parses len bytes of template source (UTF-8). A syntax error is
 * GPT_ERR_FORMAT with "line L:C: what" in err. */
gpt_status gpt_template_new(gpt_template **out, const char *source, size_t len, char *err, size_t err_len);
void gpt_template_free(gpt_template *tpl);

/* Renders tpl with the variables of context_json, a NUL-terminated JSON
 * object ({"messages": [...], "add_generation_prompt": true, "bos_token": ...};
 * NULL: none). limits may be NULL. On success *out is a malloc'd,
 * NUL-terminated string of *out_len bytes that the caller frees.
 * Errors: GPT_ERR_ARG for a context that is not a JSON object; GPT_ERR_FORMAT
 * for a template that fails: "line N: what" ("line 3: 'x' is undefined",
 * "line 1: rendering exceeds 10000000 steps (...)"), or exactly the message
 * of the template's raise_exception(msg), nothing added. */
gpt_status gpt_template_render(const gpt_template *tpl, const char *context_json, const gpt_template_limits *limits,
                               char **out, size_t *out_len, char *err, size_t err_len);

/* The chat template of a model directory: chat_template.jinja when it
 * exists, else tokenizer_config.json's "chat_template", a string or a list
 * of {"name", "template"} of which the one named "default" is used. On
 * success *source is malloc'd and NUL-terminated (*len bytes; len may be
 * NULL). A directory without one is GPT_ERR_FORMAT with a message that
 * suggests --chat-template. */
gpt_status gpt_chat_template_read(const char *model_dir, char **source, size_t *len, char *err, size_t err_len);

/* The special tokens of model_dir/tokenizer_config.json as the JSON object
 * text transformers passes to the template: bos_token, eos_token, unk_token,
 * sep_token, pad_token, cls_token, mask_token, each a string (an AddedToken
 * {"content": ...} gives its content; null ones are left out). "{}" when the
 * directory has no tokenizer_config.json. *json is malloc'd. */
gpt_status gpt_chat_special_tokens(const char *model_dir, char **json, char *err, size_t err_len);

/* The render context apply_chat_template builds, as JSON text for
 * gpt_template_render: the special tokens (may be NULL), "tools" and
 * "documents" as null, the template variables of vars_json (may be NULL; a
 * JSON object whose keys win over the ones before, e.g. {"enable_thinking":
 * false} or {"tools": [...]}), then "messages" and "add_generation_prompt".
 * messages_json must be a JSON list of objects with a string "role" and a
 * string "content" (null or absent only beside "tool_calls"); anything else
 * is GPT_ERR_ARG naming the message: "messages[2]: \"content\" is not a
 * string". *context_json is malloc'd. */
gpt_status gpt_chat_context(const char *special_tokens_json, const char *messages_json, int add_generation_prompt,
                            const char *vars_json, char **context_json, char *err, size_t err_len);

/* ------------------------------------------------------------------ */
/* What this build runs on (for --version and -v): constant strings.    */
/* ------------------------------------------------------------------ */
/* The BLAS library's build configuration and the core it chose at run
 * time, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell
 * MAX_THREADS=64 (core Haswell)". */
const char *gpt_blas_info(void);
/* The CPU's SIMD level as detected at run time: "AVX-512", "AVX2+FMA+F16C"
 * or "none". */
const char *gpt_cpu_features(void);
/* The widest of the library's own kernels chosen for this CPU:
 * "avx512-vnni" (AVX-512 F/BW/VL with VNNI), "avx512" (without VNNI),
 * "avx2" (AVX2+FMA+F16C) or "portable". All give the same bits. */
const char *gpt_kernels(void);

/* ------------------------------------------------------------------ */
/* The machine's limits (for `gpt bench`'s rooflines).                  */
/* ------------------------------------------------------------------ */
/* Memory read bandwidth in GB/s (1e9 bytes a second) into *gbs, measured
 * as STREAM does: a buffer of `bytes` (0: gpt_bandwidth_default_bytes()),
 * one contiguous part per thread (the threads set by gpt_set_threads),
 * first written by the thread that reads it, each part read with eight
 * independent accumulators; the best of `passes` passes. Allocates and
 * frees the buffer. */
gpt_status gpt_memory_bandwidth(double *gbs, size_t bytes, int passes, char *err, size_t err_len);
/* The default buffer: 1 GiB, or 8 times the L3 cache where that is larger. */
size_t gpt_bandwidth_default_bytes(void);

/* The same measurement with the buffer kept between reads: allocating and
 * first touching 1 GiB took about 0.8 s on each read (the kernel clears
 * every huge page), against under 0.1 s for three passes, and a benchmark
 * reads before every repeat. _new allocates `bytes` (0: the
 * default) and has each thread (as gpt_set_threads sets them) write its
 * part; _read runs `passes` passes, which should have the same threads;
 * _free frees it (NULL is fine). */
typedef struct gpt_bandwidth_probe gpt_bandwidth_probe;
gpt_status gpt_bandwidth_probe_new(gpt_bandwidth_probe **out, size_t bytes, char *err, size_t err_len);
gpt_status gpt_bandwidth_probe_read(gpt_bandwidth_probe *probe, int passes, double *gbs, char *err, size_t err_len);
void gpt_bandwidth_probe_free(gpt_bandwidth_probe *probe);

#endif /* GPT_H */
