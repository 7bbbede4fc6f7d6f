/* generate.c — the generation loop: requests flow into sequence slots, each
 * step feeds every active slot's rows through one forward pass (prompt
 * chunks and single decode tokens side by side), samples the slots whose
 * logits came out, and streams the finished bytes of each completion.
 *
 * A request's output depends only on itself: its rows attend only to its own
 * cache, its sampler has its own seed, and the kernels compute each row the
 * same way whatever rows stand beside it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ops.h"

const char *gpt_finish_name(gpt_finish finish) {
    switch (finish) {
    case GPT_FINISH_EOS: return "eos";
    case GPT_FINISH_STOP: return "stop";
    case GPT_FINISH_LENGTH: return "length";
    case GPT_FINISH_CONTEXT: return "context";
    case GPT_FINISH_ERROR: return "error";
    }
    return "?";
}

typedef struct {
    int active;
    gpt_request req;
    gpt_sampler *sampler;
    int n_fed;          // prompt and generated tokens already in the cache
    int pending;        // the sampled token to feed next (decode phase), or -1
    int *tokens;        // (cap_tokens) generated ids
    float *logprobs;    // (cap_logprobs) their log-probabilities
    size_t cap_logprobs;
    size_t n_tokens, cap_tokens;
    char *text;         // (cap_text) completion bytes
    size_t text_len, cap_text, emitted;
    int logits_row;     // row of this step's logits to sample from, or -1
    int sample;         // which of the request's samples (0..n_samples-1)
    int waiting_for;    // a later sample: the slot reading its prompt, until the cache copy; else -1
    int *top_ids;       // (cap_top) per generated token, req.top_logprobs ids
    float *top_lps;     // (cap_top_lps) their log-probabilities
    size_t cap_top, cap_top_lps;
    float *prompt_lps;  // (cap_prompt_lps) log-probabilities of prompt tokens 1..n_prompt-1
    size_t cap_prompt_lps;
    char error[256];
} slot;

/* Length of an incomplete UTF-8 sequence at the end of s (0 when the end
 * is a whole character or invalid bytes that will never complete). */
static size_t incomplete_utf8_tail(const char *s, size_t len) {
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        unsigned char c = (unsigned char)s[len - back];
        if ((c & 0xC0) == 0x80) continue;  // continuation: look further back
        size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        return need > back ? back : 0;
    }
    return 0;
}

/* The longest suffix of text that is a proper prefix of a stop string. */
static size_t stop_prefix_tail(const slot *s) {
    size_t hold = 0;
    for (int i = 0; i < s->req.n_stop; i++) {
        const char *stop = s->req.stop[i];
        size_t n = strlen(stop);
        for (size_t k = n ? n - 1 : 0; k > hold; k--)
            if (k <= s->text_len && memcmp(s->text + s->text_len - k, stop, k) == 0) {
                hold = k;
                break;
            }
    }
    return hold;
}

static int grow(void **buf, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    void *p = realloc(*buf, n * elem);
    if (!p) return -1;
    *buf = p;
    *cap = n;
    return 0;
}

static int emit(const gpt_generate_io *io, slot *s, size_t upto) {
    if (upto <= s->emitted) return 0;
    int rc = io->on_text ? io->on_text(io->user, &s->req, s->text + s->emitted, upto - s->emitted) : 0;
    s->emitted = upto;
    return rc;
}

static int finish(const gpt_generate_io *io, slot *s, gpt_finish why, gpt_status status) {
    int rc = status == GPT_OK ? emit(io, s, s->text_len) : 0;
    const int ok = status == GPT_OK;
    gpt_result res = {
        .tokens = s->tokens, .n_tokens = (int)s->n_tokens,
        .logprobs = s->req.logprobs ? s->logprobs : NULL, .text = s->text ? s->text : "", .text_len = s->text_len,
        .prompt_tokens = s->req.n_prompt, .sample = s->sample, .seed = s->req.sampling.seed + (uint64_t)s->sample,
        .n_top = ok ? s->req.top_logprobs : 0, .top_ids = ok && s->req.top_logprobs ? s->top_ids : NULL,
        .top_logprobs = ok && s->req.top_logprobs ? s->top_lps : NULL,
        .prompt_logprobs = ok && s->req.prompt_logprobs ? s->prompt_lps : NULL,
        .finish = why, .status = status, .error = ok ? NULL : s->error,
    };
    int rc2 = io->on_done(io->user, &s->req, &res);
    gpt_sampler_free(s->sampler);
    s->sampler = NULL;
    s->active = 0;
    s->waiting_for = -1;
    return rc || rc2;
}

/* The normalizer of log softmax over a row: log p(id) = logit - maxv - log_sum,
 * the sum taken in double in index order. */
typedef struct {
    float maxv;
    double log_sum;
} log_norm;

static log_norm row_norm(const float *logits, int V) {
    float maxv = logits[0];
    for (int i = 1; i < V; i++) maxv = logits[i] > maxv ? logits[i] : maxv;
    double sum = 0;
    for (int i = 0; i < V; i++) sum += exp((double)logits[i] - maxv);
    return (log_norm){maxv, log(sum)};
}

static float log_prob(const float *logits, log_norm n, int id) {
    return (float)((double)logits[id] - n.maxv - n.log_sum);
}

/* The k highest logits' ids into ids (k), highest first, the lower id first
 * on ties: insertion into a short sorted list (k is small), no allocation. */
static void top_ids_of(int *ids, int k, const float *logits, int V) {
    int have = 0;
    for (int v = 0; v < V; v++) {
        if (have == k && !(logits[v] > logits[ids[k - 1]])) continue;
        int i = have < k ? have++ : k - 1;
        while (i > 0 && logits[v] > logits[ids[i - 1]]) {
            ids[i] = ids[i - 1];
            i--;
        }
        ids[i] = v;
    }
}

/* Takes a freshly sampled token (and its log-probability); returns nonzero
 * if the caller must stop. */
static int accept_token(const gpt_generate_io *io, const gpt_tokenizer *tok, const gpt_config *cfg, int n_ctx,
                        slot *s, int id, const float *row) {
    const int V = cfg->vocab_size, K = s->req.top_logprobs;
    float logprob = 0;
    if (s->req.logprobs || K > 0) {
        log_norm norm = row_norm(row, V);
        logprob = log_prob(row, norm, id);
        if (K > 0 && (s->n_tokens + 1) * (size_t)K <= s->cap_top &&
            (s->n_tokens + 1) * (size_t)K <= s->cap_top_lps) {  // room made by start()
            int *ids = s->top_ids + s->n_tokens * (size_t)K;
            top_ids_of(ids, K, row, V);
            for (int k = 0; k < K; k++) s->top_lps[s->n_tokens * (size_t)K + k] = log_prob(row, norm, ids[k]);
        }
    }
    gpt_sampler_accept(s->sampler, id, 1);
    /* Any eos id of the config (config.json and generation_config.json's list,
     * e.g. Llama 3's <|eot_id|>), of the tokenizer (tokenizer_config.json's eos),
     * or of the request (a chat template's end of turn). */
    int is_eos = tok && gpt_tokenizer_is_eos(tok, id);
    for (int i = 0; i < cfg->n_eos; i++) is_eos |= id == cfg->eos_ids[i];
    for (int i = 0; i < s->req.n_end_ids; i++) is_eos |= id == s->req.end_ids[i];
    if (is_eos && !s->req.ignore_eos) return finish(io, s, GPT_FINISH_EOS, GPT_OK);

    size_t len = 0;
    const char *bytes = tok ? gpt_tokenizer_token_bytes(tok, id, &len) : NULL;
    if (!bytes) len = 0;  // an id past the tokenizer's vocabulary decodes to nothing
    if (grow((void **)&s->tokens, &s->cap_tokens, s->n_tokens + 1, sizeof(int)) ||
        grow((void **)&s->logprobs, &s->cap_logprobs, s->n_tokens + 1, sizeof(float)) ||
        grow((void **)&s->text, &s->cap_text, s->text_len + len + 1, 1)) {
        snprintf(s->error, sizeof s->error, "out of memory");
        return finish(io, s, GPT_FINISH_ERROR, GPT_ERR_OOM);
    }
    s->logprobs[s->n_tokens] = logprob;
    s->tokens[s->n_tokens++] = id;
    size_t old_len = s->text_len;
    if (len) memcpy(s->text + s->text_len, bytes, len);
    s->text_len += len;
    s->text[s->text_len] = '\0';

    /* A stop string can only end inside the new bytes. */
    size_t first = SIZE_MAX;
    for (int i = 0; i < s->req.n_stop; i++) {
        size_t n = strlen(s->req.stop[i]);
        if (n == 0) continue;
        size_t from = old_len + 1 > n ? old_len + 1 - n : 0;
        const char *hit = memmem(s->text + from, s->text_len - from, s->req.stop[i], n);
        if (hit && (size_t)(hit - s->text) < first) first = (size_t)(hit - s->text);
    }
    if (first != SIZE_MAX) {
        s->text_len = first;
        s->text[first] = '\0';
        return finish(io, s, GPT_FINISH_STOP, GPT_OK);
    }
    if (s->req.max_new_tokens >= 0 && s->n_tokens >= (size_t)s->req.max_new_tokens)
        return finish(io, s, GPT_FINISH_LENGTH, GPT_OK);
    if (s->n_fed >= n_ctx) return finish(io, s, GPT_FINISH_CONTEXT, GPT_OK);

    size_t hold = stop_prefix_tail(s);
    size_t utf8 = incomplete_utf8_tail(s->text, s->text_len);
    if (utf8 > hold) hold = utf8;
    s->pending = id;
    return emit(io, s, s->text_len - hold);
}

/* The rows of a slot's next prompt chunk: the rest of its prompt, at most
 * max_rows, cut as when its request runs alone. */
static int next_chunk(const slot *s, int max_rows) {
    if (s->waiting_for >= 0) return 0;  // its prompt comes as a copy
    int rest = s->req.n_prompt - s->n_fed;
    return rest < max_rows ? rest : max_rows;
}

/* Puts a new request into a free slot; returns nonzero if the caller must stop. */
static int start(const gpt_generate_io *io, const gpt_config *cfg, int n_ctx, int max_token_bytes, slot *s,
                 const gpt_request *req, int sample, int waiting_for) {
    memset(s->error, 0, sizeof s->error);
    s->req = *req;
    s->sample = sample;
    s->waiting_for = waiting_for;
    s->active = 1;
    s->n_fed = 0;  // (n_cached is taken below, once the request is known to be sound)
    s->pending = -1;
    s->n_tokens = 0;
    s->text_len = 0;
    s->emitted = 0;
    if (s->text) s->text[0] = '\0';
    if (req->n_prompt <= 0 || !req->prompt) {
        snprintf(s->error, sizeof s->error, "empty prompt");
        return finish(io, s, GPT_FINISH_ERROR, GPT_ERR_ARG);
    }
    if (req->n_prompt > n_ctx) {
        snprintf(s->error, sizeof s->error, "prompt of %d tokens does not fit the context of %d", req->n_prompt,
                 n_ctx);
        return finish(io, s, GPT_FINISH_ERROR, GPT_ERR_CONTEXT_FULL);
    }
    for (int i = 0; i < req->n_prompt; i++)
        if (req->prompt[i] < 0 || req->prompt[i] >= cfg->vocab_size) {
            snprintf(s->error, sizeof s->error, "prompt token %d is outside the vocabulary", req->prompt[i]);
            return finish(io, s, GPT_FINISH_ERROR, GPT_ERR_ARG);
        }
    /* Room for the longest completion this request can have, made now so
     * the per-token loop does not allocate (grow() there is only a guard). */
    size_t most = (size_t)(n_ctx - req->n_prompt + 1);
    if (req->max_new_tokens >= 0 && (size_t)req->max_new_tokens < most) most = (size_t)req->max_new_tokens;
    if (req->top_logprobs < 0 || req->top_logprobs > GPT_MAX_TOP_LOGPROBS || req->top_logprobs > cfg->vocab_size) {
        snprintf(s->error, sizeof s->error, "top_logprobs %d is outside 0..%d", req->top_logprobs,
                 GPT_MAX_TOP_LOGPROBS < cfg->vocab_size ? GPT_MAX_TOP_LOGPROBS : cfg->vocab_size);
        return finish(io, s, GPT_FINISH_ERROR, GPT_ERR_ARG);
    }
    const size_t K = (size_t)req->top_logprobs;
    if (grow((void **)&s->tokens, &s->cap_tokens, most + 1, sizeof(int)) ||
        grow((void **)&s->logprobs, &s->cap_logprobs, most + 1, sizeof(float)) ||
        grow((void **)&s->text, &s->cap_text, most * (size_t)max_token_bytes + 1, 1) ||
        (K && grow((void **)&s->top_ids, &s->cap_top, (most + 1) * K, sizeof(int))) ||
        (K && grow((void **)&s->top_lps, &s->cap_top_lps, (most + 1) * K, sizeof(float))) ||
        (req->prompt_logprobs &&
         grow((void **)&s->prompt_lps, &s->cap_prompt_lps, (size_t)req->n_prompt, sizeof(float)))) {
        snprintf(s->error, sizeof s->error, "out of memory");
        return finish(io, s, GPT_FINISH_ERROR, GPT_ERR_OOM);
    }
    gpt_sampler_params sp = req->sampling;
    sp.seed += (uint64_t)sample;
    gpt_status st = gpt_sampler_new(&s->sampler, &sp, cfg->vocab_size, s->error, sizeof s->error);
    if (st != GPT_OK) return finish(io, s, GPT_FINISH_ERROR, st);
    for (int i = 0; i < req->n_prompt; i++) gpt_sampler_accept(s->sampler, req->prompt[i], 0);
    if (req->n_cached < 0 || req->n_cached >= req->n_prompt || (req->n_cached && req->prompt_logprobs)) {
        snprintf(s->error, sizeof s->error, "n_cached %d is outside 0..%d (or comes with prompt_logprobs)",
                 req->n_cached, req->n_prompt - 1);
        return finish(io, s, GPT_FINISH_ERROR, GPT_ERR_ARG);
    }
    s->n_fed = req->n_cached;  // the caller's cache holds these: read from there on
    if (req->max_new_tokens == 0 && !req->prompt_logprobs) return finish(io, s, GPT_FINISH_LENGTH, GPT_OK);
    return 0;
}

/* A request that cannot start (its samples need more slots than there
 * are, or generation stopped first): each of its samples ends in error. */
static int refuse(const gpt_generate_io *io, const gpt_request *req, int n_samples, gpt_status status,
                  const char *message) {
    int rc = 0;
    for (int j = 0; j < n_samples; j++) {
        slot tmp = {.req = *req, .sample = j, .waiting_for = -1};
        snprintf(tmp.error, sizeof tmp.error, "%s", message);
        rc |= finish(io, &tmp, GPT_FINISH_ERROR, status);
    }
    return rc;
}

gpt_status gpt_generate(gpt_context *ctx, const gpt_tokenizer *tok, const gpt_generate_io *io, char *err,
                        size_t err_len) {
    const gpt_model *model = gpt_context_model(ctx);
    const gpt_config *cfg = &model->cfg;
    const int n_seq = gpt_context_n_seq(ctx), n_ctx = gpt_context_n_ctx(ctx), max_rows = gpt_context_max_rows(ctx);
    const int V = cfg->vocab_size;
    /* Rows of a step computed row by row (see gpt_forward). */
    const int small_rows = max_rows < OPS_SMALL_ROWS ? max_rows : OPS_SMALL_ROWS;
    const int max_token_bytes = tok ? gpt_tokenizer_max_token_bytes(tok) : 0;  // no tokenizer: no text
    gpt_status status = GPT_OK;

    slot *slots = calloc((size_t)n_seq, sizeof *slots);
    int *tokens = malloc(sizeof(int) * max_rows * 3);   // (3, max_rows): tokens, pos, seq
    unsigned char *want = malloc((size_t)max_rows);     // (max_rows)
    /* (logits_rows, V): a row per sequence, or per row of a step once a
     * request scores its prompt (every prompt row's logits wanted). */
    int logits_rows = n_seq < max_rows ? n_seq : max_rows;
    float *logits = malloc(sizeof(float) * (size_t)V * logits_rows);
    if (!slots || !tokens || !want || !logits) {
        status = gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
        goto done;
    }
    for (int i = 0; i < n_seq; i++) slots[i].waiting_for = -1;
    int *pos = tokens + max_rows, *seq = tokens + 2 * max_rows;

    gpt_request held;   // a request handed out by next, waiting for enough free slots
    int has_held = 0;
    int input_open = 1, stopping = 0;
    for (;;) {
        if (io->cancel && *io->cancel) stopping = 1;
        /* Fill free slots from the input, until it has none ready. A request
         * of K samples takes K slots at once, so it waits for them. */
        int later = 0;
        while ((input_open || has_held) && !stopping) {
            int n_free = 0;
            for (int i = 0; i < n_seq; i++) n_free += !slots[i].active;
            if (n_free == 0) break;
            if (!has_held) {
                int got = io->next(io->user, &held);
                if (got == GPT_NEXT_LATER) {
                    later = 1;
                    break;
                }
                if (got != 1) {
                    input_open = 0;
                    break;
                }
                has_held = 1;
            }
            const int K = held.n_samples > 1 ? held.n_samples : 1;
            if (K > n_seq) {
                char msg[160];
                snprintf(msg, sizeof msg, "%d samples need %d sequence slots; the context has %d", K, K, n_seq);
                has_held = 0;
                if (refuse(io, &held, K, GPT_ERR_ARG, msg)) stopping = 1;
                continue;
            }
            if (K > n_free) break;  // wait for requests in flight to finish
            if (held.n_cached && n_seq != 1) {  // which slot's cache would it be?
                has_held = 0;
                if (refuse(io, &held, K, GPT_ERR_ARG, "n_cached needs a context of one sequence")) stopping = 1;
                continue;
            }
            has_held = 0;
            if (held.prompt_logprobs && logits_rows < max_rows) {
                float *bigger = realloc(logits, sizeof(float) * (size_t)V * max_rows);
                if (!bigger) {
                    if (refuse(io, &held, K, GPT_ERR_OOM, "out of memory for the prompt's logits")) stopping = 1;
                    continue;
                }
                logits = bigger;
                logits_rows = max_rows;
            }
            int leader = -1;
            for (int i = 0, j = 0; i < n_seq && j < K && !stopping; i++) {
                if (slots[i].active) continue;
                if (start(io, cfg, n_ctx, max_token_bytes, &slots[i], &held, j, leader)) stopping = 1;
                if (j == 0) leader = slots[i].active ? i : -2;  // -2: sample 0 ended at once
                j++;
            }
            /* Sample 0 ended at once: the others normally end with it, for
             * the same reason; any left (sample 0 alone ran out of memory)
             * have no prompt to copy. */
            if (leader == -2)
                for (int i = 0; i < n_seq; i++)
                    if (slots[i].active && slots[i].waiting_for == -2) {
                        snprintf(slots[i].error, sizeof slots[i].error, "the request's first sample failed");
                        if (finish(io, &slots[i], GPT_FINISH_ERROR, GPT_ERR_OOM)) stopping = 1;
                    }
        }
        int any = 0;
        for (int i = 0; i < n_seq; i++) any |= slots[i].active;
        if (stopping) break;
        if (!any) {
            if (later || has_held) continue;  // (next broke its contract: nothing is in flight)
            break;
        }

        /* A step is either one slot's prompt chunk of more than
         * OPS_SMALL_ROWS rows, which runs alone (matrix products whose sums
         * depend on the chunk), or up to OPS_SMALL_ROWS rows computed row
         * by row: a decode row for every decoding slot, then prompt rows of
         * the slots still reading their prompts. A prompt is cut into
         * chunks of max_rows as when its request runs alone, and a row of
         * the row-by-row kind gives the same bits whatever rows stand
         * beside it, so batching cannot change a result. Later samples of
         * a request wait for the first one's prompt. */
        int R = 0, big = -1;
        for (int i = 0; i < n_seq && big < 0; i++)
            if (slots[i].active && slots[i].pending < 0 && next_chunk(&slots[i], max_rows) > small_rows) big = i;
        for (int i = 0; i < n_seq; i++) slots[i].logits_row = -1;
        if (big >= 0) {
            slot *s = &slots[big];
            int take = next_chunk(s, max_rows);
            for (; R < take; R++) {
                int p = s->n_fed + R;
                tokens[R] = s->req.prompt[p], pos[R] = p, seq[R] = big;
                want[R] = p == s->req.n_prompt - 1 || s->req.prompt_logprobs;
            }
        } else {
            for (int i = 0; i < n_seq && R < small_rows; i++) {
                slot *s = &slots[i];
                if (!s->active || s->pending < 0) continue;
                tokens[R] = s->pending, pos[R] = s->n_fed, seq[R] = i, want[R] = 1;
                R++;
            }
            for (int i = 0; i < n_seq && R < small_rows; i++) {
                slot *s = &slots[i];
                if (!s->active || s->pending >= 0 || s->waiting_for >= 0) continue;
                for (int p = s->n_fed; p < s->req.n_prompt && R < small_rows; p++, R++) {
                    tokens[R] = s->req.prompt[p], pos[R] = p, seq[R] = i;
                    want[R] = p == s->req.n_prompt - 1 || s->req.prompt_logprobs;
                }
            }
        }
        gpt_batch batch = {.n = R, .tokens = tokens, .pos = pos, .seq = seq, .want_logits = want};
        status = gpt_forward(ctx, &batch, logits, err, err_len);
        if (status != GPT_OK) goto done;

        /* Account the fed rows (scoring the prompt rows that predict a
         * prompt token), then hand the first sample's prompt to the others,
         * then sample where logits came out. */
        int out_row = 0;
        for (int r = 0; r < R; r++) {
            slot *s = &slots[seq[r]];
            s->n_fed++;
            if (want[r]) {
                const float *row = logits + (size_t)out_row * V;
                if (pos[r] < s->req.n_prompt - 1)
                    s->prompt_lps[pos[r]] = log_prob(row, row_norm(row, V), s->req.prompt[pos[r] + 1]);
                else
                    s->logits_row = out_row;
                out_row++;
            }
            if (s->pending >= 0) s->pending = -1;
        }
        for (int i = 0; i < n_seq; i++) {
            slot *s = &slots[i];
            if (!s->active || s->logits_row < 0 || s->n_tokens > 0) continue;
            for (int f = 0; f < n_seq; f++) {
                slot *t = &slots[f];
                if (!t->active || t->waiting_for != i) continue;
                status = gpt_context_copy_seq(ctx, f, i, s->n_fed, err, err_len);
                if (status != GPT_OK) goto done;
                t->n_fed = s->n_fed;
                t->logits_row = s->logits_row;
                t->waiting_for = -1;
                if (s->req.prompt_logprobs && s->req.n_prompt > 1)
                    memcpy(t->prompt_lps, s->prompt_lps, sizeof(float) * (size_t)(s->req.n_prompt - 1));
            }
        }
        for (int i = 0; i < n_seq && !stopping; i++) {
            slot *s = &slots[i];
            if (!s->active || s->logits_row < 0) continue;
            if (s->req.max_new_tokens == 0) {  // scored the prompt; nothing to generate
                if (finish(io, s, GPT_FINISH_LENGTH, GPT_OK)) stopping = 1;
                continue;
            }
            const float *row = logits + (size_t)s->logits_row * V;
            int id;
            gpt_status st = gpt_sampler_sample(s->sampler, row, &id, s->error, sizeof s->error);
            if (st != GPT_OK) {
                if (finish(io, s, GPT_FINISH_ERROR, st)) stopping = 1;
                continue;
            }
            if (accept_token(io, tok, cfg, n_ctx, s, id, row)) stopping = 1;
        }
    }
    /* Requests still in flight (or waiting for slots) when generation was
     * stopped. */
    for (int i = 0; i < n_seq; i++)
        if (slots[i].active) {
            snprintf(slots[i].error, sizeof slots[i].error, "interrupted");
            finish(io, &slots[i], GPT_FINISH_ERROR, GPT_ERR_CANCELLED);
        }
    if (has_held) refuse(io, &held, held.n_samples > 1 ? held.n_samples : 1, GPT_ERR_ARG, "interrupted");
done:
    if (slots)
        for (int i = 0; i < n_seq; i++) {
            gpt_sampler_free(slots[i].sampler);
            free(slots[i].tokens);
            free(slots[i].logprobs);
            free(slots[i].text);
            free(slots[i].top_ids);
            free(slots[i].top_lps);
            free(slots[i].prompt_lps);
        }
    free(slots);
    free(tokens);
    free(want);
    free(logits);
    return status;
}
