/* test_sampler.c — the sampler on small logit vectors with known answers. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "gpt.h"

static gpt_sampler *make(float temperature, int top_k, float top_p, uint64_t seed, int V) {
    gpt_sampler_params p = {.temperature = temperature, .top_k = top_k, .top_p = top_p, .seed = seed};
    gpt_sampler *s = NULL;
    char err[256];
    gpt_status st = gpt_sampler_new(&s, &p, V, err, sizeof err);
    CHECK(st == GPT_OK, "sampler_new: %s", err);
    return s;
}

int main(void) {
    char err[256];
    int id;
    const float logits[4] = {1.0f, 3.0f, 3.0f, -2.0f};

    /* Greedy: the highest logit, the lower id on a tie. */
    gpt_sampler *s = make(0, 0, 1, 1, 4);
    CHECK(gpt_sampler_sample(s, logits, &id, err, sizeof err) == GPT_OK && id == 1, "greedy picked %d, want 1", id);
    gpt_sampler_free(s);

    /* Probabilities 0.1 0.2 0.3 0.4: frequencies over many draws. */
    const float probs[4] = {logf(1), logf(2), logf(3), logf(4)};
    s = make(1, 0, 1, 42, 4);
    int counts[4] = {0};
    const int N = 40000;
    for (int i = 0; i < N; i++) {
        gpt_sampler_sample(s, probs, &id, err, sizeof err);
        counts[id]++;
    }
    for (int k = 0; k < 4; k++)
        CHECK_NEAR(counts[k] / (double)N, (k + 1) / 10.0, 0.01, "frequency of id");
    gpt_sampler_free(s);

    /* top-k 2 keeps ids 3 and 2 only: 4/7 and 3/7. */
    s = make(1, 2, 1, 7, 4);
    memset(counts, 0, sizeof counts);
    for (int i = 0; i < N; i++) {
        gpt_sampler_sample(s, probs, &id, err, sizeof err);
        counts[id]++;
    }
    CHECK(counts[0] == 0 && counts[1] == 0, "top-k 2 sampled ids 0/1: %d %d times", counts[0], counts[1]);
    CHECK_NEAR(counts[3] / (double)N, 4.0 / 7, 0.01, "top-k 2 frequency of id 3");
    gpt_sampler_free(s);

    /* top-p 0.65: 0.4 + 0.3 reaches it, so ids 3 and 2 only. */
    s = make(1, 0, 0.65f, 9, 4);
    memset(counts, 0, sizeof counts);
    for (int i = 0; i < N; i++) {
        gpt_sampler_sample(s, probs, &id, err, sizeof err);
        counts[id]++;
    }
    CHECK(counts[0] == 0 && counts[1] == 0, "top-p 0.65 sampled ids 0/1: %d %d times", counts[0], counts[1]);
    CHECK_NEAR(counts[2] / (double)N, 3.0 / 7, 0.01, "top-p frequency of id 2");
    gpt_sampler_free(s);

    /* A low temperature sharpens towards the argmax. */
    s = make(0.05f, 0, 1, 3, 4);
    memset(counts, 0, sizeof counts);
    for (int i = 0; i < 1000; i++) {
        gpt_sampler_sample(s, probs, &id, err, sizeof err);
        counts[id]++;
    }
    CHECK(counts[3] > 990, "temperature 0.05 picked id 3 only %d of 1000 times", counts[3]);
    gpt_sampler_free(s);

    /* Same seed, same draws; another seed, other draws. */
    int a[64], b[64], c[64];
    gpt_sampler *s1 = make(1, 0, 1, 123, 4), *s2 = make(1, 0, 1, 123, 4), *s3 = make(1, 0, 1, 124, 4);
    for (int i = 0; i < 64; i++) {
        gpt_sampler_sample(s1, probs, &a[i], err, sizeof err);
        gpt_sampler_sample(s2, probs, &b[i], err, sizeof err);
        gpt_sampler_sample(s3, probs, &c[i], err, sizeof err);
    }
    CHECK(memcmp(a, b, sizeof a) == 0, "seed 123 gave two different sequences");
    CHECK(memcmp(a, c, sizeof a) != 0, "seeds 123 and 124 gave the same 64 draws");
    gpt_sampler_free(s1);
    gpt_sampler_free(s2);
    gpt_sampler_free(s3);

    /* NaN and all -inf are errors, never a token. */
    s = make(1, 0, 1, 1, 4);
    float bad[4] = {0, NAN, 1, 2};
    CHECK(gpt_sampler_sample(s, bad, &id, err, sizeof err) == GPT_ERR_NUMERIC, "NaN logits were sampled");
    float none[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    CHECK(gpt_sampler_sample(s, none, &id, err, sizeof err) == GPT_ERR_NUMERIC, "all -inf logits were sampled");
    gpt_sampler_free(s);
    gpt_sampler_free(NULL);

    /* Bad parameters are refused. */
    gpt_sampler_params p = {.temperature = -1, .top_p = 1};
    CHECK(gpt_sampler_new(&s, &p, 4, err, sizeof err) == GPT_ERR_ARG, "negative temperature accepted");
    p = (gpt_sampler_params){.temperature = 1, .top_p = 0};
    CHECK(gpt_sampler_new(&s, &p, 4, err, sizeof err) == GPT_ERR_ARG, "top-p 0 accepted");
    p = (gpt_sampler_params){.temperature = 1, .top_p = 1.5f};
    CHECK(gpt_sampler_new(&s, &p, 4, err, sizeof err) == GPT_ERR_ARG, "top-p 1.5 accepted");
    return check_done("test_sampler");
}
