/* test_chat_generate.c — the two request fields a chat needs from the
 * generation loop, on the bundled GPT-2 model:
 * - end_ids: a reply ends at any of them as at end of text, the id left out,
 *   finish "eos";
 * - n_cached: a request that continues a sequence whose cache already holds
 *   its first n_cached prompt tokens gives exactly (bit for bit, every
 *   log-probability) what the same prompt gives read from scratch, and
 *   reads only the rest (a wrong cache shows: a prefix the cache does not
 *   hold changes the answer). */
#include <string.h>

#include "check.h"
#include "gpt.h"

#define MAX_OUT 64

typedef struct {
    gpt_request req;
    int handed;
    int tokens[MAX_OUT];
    float logprobs[MAX_OUT];
    int n_tokens;
    gpt_finish finish;
    gpt_status status;
} one_run;

static int next_one(void *user, gpt_request *req) {
    one_run *r = user;
    if (r->handed) return 0;
    r->handed = 1;
    *req = r->req;
    return 1;
}

static int done_one(void *user, const gpt_request *req, const gpt_result *res) {
    (void)req;
    one_run *r = user;
    r->n_tokens = res->n_tokens < MAX_OUT ? res->n_tokens : MAX_OUT;
    if (r->n_tokens > 0) memcpy(r->tokens, res->tokens, sizeof(int) * (size_t)r->n_tokens);
    if (res->logprobs && r->n_tokens > 0) memcpy(r->logprobs, res->logprobs, sizeof(float) * (size_t)r->n_tokens);
    r->finish = res->finish;
    r->status = res->status;
    return 0;
}

static void run(gpt_context *ctx, const gpt_tokenizer *tok, one_run *r) {
    r->handed = 0;
    r->n_tokens = -1;
    gpt_generate_io io = {.next = next_one, .on_done = done_one, .user = r};
    char err[256];
    gpt_status st = gpt_generate(ctx, tok, &io, err, sizeof err);
    CHECK(st == GPT_OK, "gpt_generate: %s", err);
}

static gpt_request greedy(const int *prompt, int n_prompt, int max_new) {
    gpt_request req = {.prompt = prompt, .n_prompt = n_prompt, .max_new_tokens = max_new, .logprobs = 1};
    req.sampling.top_p = 1;
    return req;
}

int main(void) {
    const char *dir = "models/gpt2-books-30m";
    char err[512];
    gpt_tokenizer *tok = NULL;
    gpt_model *model = NULL;
    gpt_context *ctx = NULL;
    if (gpt_tokenizer_load(&tok, dir, err, sizeof err) != GPT_OK || gpt_model_load(&model, dir, NULL, err, sizeof err) != GPT_OK ||
        gpt_context_new(&ctx, model, 0, 1, 0, err, sizeof err) != GPT_OK) {
        fprintf(stderr, "cannot load %s: %s\n", dir, err);
        return 1;
    }
    gpt_set_threads(1);
    /* A conversation-shaped prompt: turn one, then turn one + its reply + turn two. */
    const char *first = "The king said to the queen, \"Where is the little prince?\"";
    int *p1 = NULL, *p2 = NULL;
    size_t n1 = 0, n2 = 0;
    CHECK(gpt_tokenizer_encode(tok, first, strlen(first), 0, &p1, &n1, err, sizeof err) == GPT_OK, "%s", err);

    /* Turn one from scratch: 12 greedy tokens. */
    one_run a = {.req = greedy(p1, (int)n1, 12)};
    run(ctx, tok, &a);
    CHECK(a.status == GPT_OK && a.n_tokens == 12 && a.finish == GPT_FINISH_LENGTH, "turn one: %d tokens, finish %s",
          a.n_tokens, gpt_finish_name(a.finish));

    /* end_ids: ending at the 5th token's id gives the 4 before it, "eos". */
    int end = a.tokens[4];
    int first_at = 0;
    while (a.tokens[first_at] != end) first_at++;  // the id may come earlier
    one_run e = {.req = greedy(p1, (int)n1, 12)};
    e.req.end_ids = &end;
    e.req.n_end_ids = 1;
    run(ctx, tok, &e);
    CHECK(e.finish == GPT_FINISH_EOS, "end_ids: finish %s, want eos", gpt_finish_name(e.finish));
    CHECK(e.n_tokens == first_at, "end_ids: %d tokens, want %d (the end id left out)", e.n_tokens, first_at);
    for (int i = 0; i < e.n_tokens && i < first_at; i++)
        CHECK(e.tokens[i] == a.tokens[i], "end_ids: token %d is %d, want %d", i, e.tokens[i], a.tokens[i]);

    /* The cache now holds p1 and the reply's first 11 tokens (the 12th was
     * sampled, never read). Turn two: all of that, then more text. */
    const char *more = " And the queen answered softly.";
    int *p_more = NULL;
    size_t n_more = 0;
    CHECK(gpt_tokenizer_encode(tok, more, strlen(more), 0, &p_more, &n_more, err, sizeof err) == GPT_OK, "%s", err);
    n2 = n1 + 12 + n_more;
    p2 = malloc(sizeof(int) * n2);
    memcpy(p2, p1, sizeof(int) * n1);
    memcpy(p2 + n1, a.tokens, sizeof(int) * 12);
    memcpy(p2 + n1 + 12, p_more, sizeof(int) * n_more);

    one_run kept = {.req = greedy(p2, (int)n2, 10)};
    run(ctx, tok, &a);  // refill the cache with turn one exactly as before
    kept.req.n_cached = (int)n1 + 11;
    run(ctx, tok, &kept);

    gpt_context *fresh_ctx = NULL;
    CHECK(gpt_context_new(&fresh_ctx, model, 0, 1, 0, err, sizeof err) == GPT_OK, "%s", err);
    one_run fresh = {.req = greedy(p2, (int)n2, 10)};
    run(fresh_ctx, tok, &fresh);
    CHECK(kept.status == GPT_OK && fresh.status == GPT_OK && kept.n_tokens == 10 && fresh.n_tokens == 10,
          "turn two: kept %d tokens, fresh %d", kept.n_tokens, fresh.n_tokens);
    for (int i = 0; i < 10; i++) {
        CHECK(kept.tokens[i] == fresh.tokens[i], "n_cached: token %d is %d, read from scratch %d", i, kept.tokens[i],
              fresh.tokens[i]);
        CHECK(memcmp(&kept.logprobs[i], &fresh.logprobs[i], sizeof(float)) == 0,
              "n_cached: logprob %d is %.9g, read from scratch %.9g", i, kept.logprobs[i], fresh.logprobs[i]);
    }

    /* A cache that does not hold the prefix shows: the other context holds
     * p2 and its reply; claiming p1's tokens are there, where p2's 10-token
     * reply sits at those positions, must change the answer. */
    int *p3 = malloc(sizeof(int) * (n1 + 30));
    for (size_t i = 0; i < n1 + 30; i++) p3[i] = i < n2 ? p2[n2 - 1 - i] : p2[i % n2];  // other tokens
    one_run wrong = {.req = greedy(p3, (int)(n1 + 30), 10)};
    wrong.req.n_cached = (int)n1 + 20;
    run(fresh_ctx, tok, &wrong);
    one_run right = {.req = greedy(p3, (int)(n1 + 30), 10)};
    run(fresh_ctx, tok, &right);
    int differ = 0;
    for (int i = 0; i < 10; i++) differ |= memcmp(&wrong.logprobs[i], &right.logprobs[i], sizeof(float)) != 0;
    CHECK(differ, "a cache holding other tokens gave the same answer: n_cached is not taken");

    /* n_cached outside 0..n_prompt-1 is the request's error. */
    one_run bad = {.req = greedy(p1, (int)n1, 4)};
    bad.req.n_cached = (int)n1;
    run(ctx, tok, &bad);
    CHECK(bad.status == GPT_ERR_ARG && bad.finish == GPT_FINISH_ERROR, "n_cached = n_prompt: status %d, finish %s",
          bad.status, gpt_finish_name(bad.finish));

    /* With more than one sequence, whose cache would it be? Refused. */
    gpt_context *two = NULL;
    CHECK(gpt_context_new(&two, model, 0, 2, 0, err, sizeof err) == GPT_OK, "%s", err);
    one_run multi = {.req = greedy(p2, (int)n2, 4)};
    multi.req.n_cached = 3;
    run(two, tok, &multi);
    CHECK(multi.status == GPT_ERR_ARG, "n_cached with 2 sequences: status %d, want GPT_ERR_ARG", multi.status);

    gpt_context_free(two);
    free(p3);
    free(p2);
    free(p_more);
    free(p1);
    gpt_context_free(fresh_ctx);
    gpt_context_free(ctx);
    gpt_model_free(model);
    gpt_tokenizer_free(tok);
    return check_done("test_chat_generate");
}
