/* test_generate.c — the generation loop's sampling controls on the bundled
 * model, through the library alone: n samples equal the separate requests
 * with seeds seed + j bit for bit (tokens, log-probabilities, top
 * log-probabilities, prompt log-probabilities), and once the first token is
 * out no decode step allocates (alloc_count.h), the OpenMP runtime
 * included. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gpt.h"

#include "alloc_count.h"

enum { MAX_NEW = 24, TOP = 5, SAMPLES = 3, MAX_PROMPT = 64 };

/* One finished sample, copied into fixed storage (no allocation in on_done). */
typedef struct {
    int done, n_tokens, sample;
    int tokens[MAX_NEW];
    float logprobs[MAX_NEW];
    int top_ids[MAX_NEW * TOP];
    float top_lps[MAX_NEW * TOP];
    float prompt_lps[MAX_PROMPT];
    unsigned long long seed;
    gpt_status status;
} outcome;

typedef struct {
    gpt_request req;
    int handed;             // requests handed out so far (one per run)
    outcome out[SAMPLES];
    int n_done, want_done;
    long allocs_in_steps;   // allocations counted between the first text and the last on_done
    long gomp_allocs_in_steps;  // of them, libgomp's (counted apart)
} run;

static int next(void *user, gpt_request *req) {
    run *r = user;
    if (r->handed) return 0;
    r->handed = 1;
    *req = r->req;
    return 1;
}

static int on_text(void *user, const gpt_request *req, const char *bytes, size_t len) {
    (void)user, (void)req, (void)bytes, (void)len;
    counting_allocs = 1;  // from the first bytes on: decode steps only
    return 0;
}

static int on_done(void *user, const gpt_request *req, const gpt_result *res) {
    (void)req;
    run *r = user;
    outcome *o = &r->out[res->sample < SAMPLES ? res->sample : 0];
    o->done = 1;
    o->status = res->status;
    o->sample = res->sample;
    o->seed = res->seed;
    o->n_tokens = res->n_tokens < MAX_NEW ? res->n_tokens : MAX_NEW;
    memcpy(o->tokens, res->tokens, sizeof(int) * o->n_tokens);
    if (res->logprobs) memcpy(o->logprobs, res->logprobs, sizeof(float) * o->n_tokens);
    if (res->top_ids) {
        memcpy(o->top_ids, res->top_ids, sizeof(int) * o->n_tokens * TOP);
        memcpy(o->top_lps, res->top_logprobs, sizeof(float) * o->n_tokens * TOP);
    }
    if (res->prompt_logprobs)
        memcpy(o->prompt_lps, res->prompt_logprobs, sizeof(float) * (res->prompt_tokens - 1));
    if (++r->n_done == r->want_done) {
        counting_allocs = 0;
        r->allocs_in_steps = n_allocs;
        r->gomp_allocs_in_steps = n_gomp_allocs;
    }
    return 0;
}

static void generate(gpt_context *ctx, const gpt_tokenizer *tok, run *r) {
    char err[256];
    n_allocs = 0;
    n_gomp_allocs = 0;
    gpt_generate_io io = {.next = next, .on_text = on_text, .on_done = on_done, .user = r};
    gpt_status st = gpt_generate(ctx, tok, &io, err, sizeof err);
    counting_allocs = 0;
    CHECK(st == GPT_OK, "gpt_generate: %s", err);
}

int main(void) {
    install_alloc_counter();
    char err[256];
    gpt_tokenizer *tok = NULL;
    gpt_model *model = NULL;
    gpt_context *ctx = NULL;
    const char *dir = "models/gpt2-books-30m";
    CHECK(gpt_tokenizer_load(&tok, dir, err, sizeof err) == GPT_OK, "tokenizer: %s", err);
    CHECK(gpt_model_load(&model, dir, NULL, err, sizeof err) == GPT_OK, "model: %s", err);
    if (!tok || !model) return check_done("test_generate");
    CHECK(gpt_context_new(&ctx, model, 256, 4, 0, err, sizeof err) == GPT_OK, "context: %s", err);
    int *prompt = NULL;
    size_t n_prompt = 0;
    const char *text = "The king said to the king and the queen";
    CHECK(gpt_tokenizer_encode(tok, text, strlen(text), 0, &prompt, &n_prompt, err, sizeof err) == GPT_OK,
          "encode: %s", err);

    /* Every control at once: sampling with top-k off (the selection path),
     * top-p, min-p, the three penalties over a window, a ban. */
    int ban_id = 11;
    float ban = -INFINITY;
    gpt_request base = {
        .prompt = prompt, .n_prompt = (int)n_prompt, .max_new_tokens = MAX_NEW, .ignore_eos = 1, .logprobs = 1,
        .top_logprobs = TOP, .prompt_logprobs = 1,
        .sampling = {.temperature = 0.9f, .top_k = 0, .top_p = 0.9f, .min_p = 0.02f, .seed = 9,
                     .repetition_penalty = 1.3f, .presence_penalty = 0.4f, .frequency_penalty = 0.3f,
                     .penalty_last_n = 16, .bias_ids = &ban_id, .bias_values = &ban, .n_bias = 1},
    };

    static run together, alone[SAMPLES];
    together.req = base;
    together.req.n_samples = SAMPLES;
    together.want_done = SAMPLES;
    generate(ctx, tok, &together);
    CHECK(together.allocs_in_steps == 0, "%ld allocations in the decode steps of 3 samples, want 0",
          together.allocs_in_steps);
    /* libgomp allocates a team for a parallel region whose `if` clause is
     * false, so the kernels branch around their regions instead: the
     * runtime's allocations count too. */
    CHECK(together.gomp_allocs_in_steps == 0,
          "libgomp made %ld allocations in the decode steps of 3 samples, want 0 (a one-thread parallel region?)",
          together.gomp_allocs_in_steps);

    for (int j = 0; j < SAMPLES; j++) {
        alone[j].req = base;
        alone[j].req.sampling.seed = base.sampling.seed + (uint64_t)j;
        alone[j].want_done = 1;
        generate(ctx, tok, &alone[j]);
        const outcome *a = &alone[j].out[0], *b = &together.out[j];
        CHECK(a->done && b->done && a->status == GPT_OK && b->status == GPT_OK, "sample %d did not finish", j);
        CHECK(b->sample == j && b->seed == 9 + (unsigned long long)j, "sample %d reports sample %d seed %llu", j,
              b->sample, b->seed);
        CHECK(a->n_tokens == MAX_NEW && b->n_tokens == MAX_NEW, "sample %d: %d and %d tokens, want %d", j,
              a->n_tokens, b->n_tokens, MAX_NEW);
        CHECK(memcmp(a->tokens, b->tokens, sizeof a->tokens) == 0, "sample %d's tokens differ from seed %d alone", j,
              9 + j);
        CHECK(memcmp(a->logprobs, b->logprobs, sizeof a->logprobs) == 0, "sample %d's logprobs differ", j);
        CHECK(memcmp(a->top_ids, b->top_ids, sizeof a->top_ids) == 0 &&
                  memcmp(a->top_lps, b->top_lps, sizeof a->top_lps) == 0,
              "sample %d's top_logprobs differ", j);
        CHECK(memcmp(a->prompt_lps, b->prompt_lps, sizeof(float) * (n_prompt - 1)) == 0,
              "sample %d's prompt_logprobs differ", j);
        int banned = 0;
        for (int t = 0; t < b->n_tokens; t++) banned += b->tokens[t] == ban_id;
        CHECK(banned == 0, "sample %d drew the banned id %d %d times", j, ban_id, banned);
        /* The top list: most likely first, and the chosen token's log-prob
         * is at most the first. */
        for (int t = 0; t < b->n_tokens; t++) {
            const float *lp = b->top_lps + t * TOP;
            int sorted = 1;
            for (int k = 1; k < TOP; k++) sorted &= lp[k] <= lp[k - 1];
            CHECK(sorted && b->logprobs[t] <= lp[0], "sample %d token %d: top list out of order", j, t);
        }
    }
    CHECK(memcmp(together.out[0].tokens, together.out[1].tokens, sizeof together.out[0].tokens) != 0,
          "samples 0 and 1 are the same: the seeds did not differ");

    free(prompt);
    gpt_context_free(ctx);
    gpt_model_free(model);
    gpt_tokenizer_free(tok);
    return check_done("test_generate");
}
