/* test_sampler.c — the sampler on small logit vectors with known answers;
 * the penalties, logit bias and min-p against a few-line reference written
 * here from their definitions (HF, OpenAI); and a count of allocations that
 * shows no sampling step allocates. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_count.h"
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

/* ---- the reference -----------------------------------------------------
 * Written from the definitions, over the token history as a list (not
 * the sampler's running counts): bias; HF repetition penalty over each
 * distinct id of the window once; OpenAI presence/frequency over the
 * window's generated tokens. */
typedef struct {
    int id, generated;
} hist_tok;

static void reference_adjust(float *out, const float *logits, int V, const float *bias, float R, float presence,
                             float frequency, int last_n, const hist_tok *hist, int n_hist) {
    int from = last_n > 0 && n_hist > last_n ? n_hist - last_n : 0;
    for (int v = 0; v < V; v++) {
        float x = logits[v] + (bias ? bias[v] : 0.0f);
        int in_window = 0, generated = 0;
        for (int t = from; t < n_hist; t++)
            if (hist[t].id == v) in_window = 1, generated += hist[t].generated;
        if (in_window && R != 1) x = x < 0 ? x * R : x / R;
        if (generated > 0) x = x - ((float)generated * frequency + presence);
        out[v] = x;
    }
}

static int argmax(const float *x, int V) {
    int best = 0;
    for (int v = 1; v < V; v++)
        if (x[v] > x[best]) best = v;
    return best;
}

/* A small deterministic generator for the random cases. */
static unsigned long long lcg_state = 12345;
static double lcg_uniform(void) {
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg_state >> 11) / 9007199254740992.0;
}

int main(void) {
    install_alloc_counter();
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

    /* ---- penalties by hand: V = 4, logits 2, 1, -1, 0.5 ---- */
    {
        const float L4[4] = {2.0f, 1.0f, -1.0f, 0.5f};
        /* repetition 2 with id 0 in the prompt: 2/2 = 1 ties id 1 (1), the
         * lower id wins: 0. With ids 0 and 1 seen: 1, 0.5, -1, 0.5: id 0. */
        p = (gpt_sampler_params){.temperature = 0, .top_p = 1, .repetition_penalty = 4};
        gpt_sampler_new(&s, &p, 4, err, sizeof err);
        gpt_sampler_accept(s, 0, 0);  // 2/4 = 0.5 < 1: id 1 wins
        CHECK(gpt_sampler_sample(s, L4, &id, err, sizeof err) == GPT_OK && id == 1,
              "repetition 4 over prompt id 0: got %d, want 1", id);
        gpt_sampler_accept(s, 1, 1);  // 1/4 = 0.25 < 0.5 (id 0, id 3): lowest id 0
        gpt_sampler_accept(s, 1, 1);  // a second 1 changes nothing: distinct ids, once
        CHECK(gpt_sampler_sample(s, L4, &id, err, sizeof err) == GPT_OK && id == 0,
              "repetition 4 over ids 0,1,1: got %d, want 0", id);
        gpt_sampler_free(s);

        /* frequency 0.6 after generating 0 twice: 2 - 1.2 = 0.8 < 1: id 1.
         * presence 0.6 alone: 2 - 0.6 = 1.4: still id 0. Prompt tokens do
         * not count for these two. */
        p = (gpt_sampler_params){.temperature = 0, .top_p = 1, .frequency_penalty = 0.6f};
        gpt_sampler_new(&s, &p, 4, err, sizeof err);
        gpt_sampler_accept(s, 0, 0);
        gpt_sampler_accept(s, 0, 0);
        gpt_sampler_accept(s, 0, 0);
        CHECK(gpt_sampler_sample(s, L4, &id, err, sizeof err) == GPT_OK && id == 0,
              "frequency penalty counted prompt tokens: got %d, want 0", id);
        gpt_sampler_accept(s, 0, 1);
        gpt_sampler_accept(s, 0, 1);
        CHECK(gpt_sampler_sample(s, L4, &id, err, sizeof err) == GPT_OK && id == 1,
              "frequency 0.6 x 2: got %d, want 1", id);
        gpt_sampler_free(s);
        p = (gpt_sampler_params){.temperature = 0, .top_p = 1, .presence_penalty = 0.6f};
        gpt_sampler_new(&s, &p, 4, err, sizeof err);
        gpt_sampler_accept(s, 0, 1);
        gpt_sampler_accept(s, 0, 1);
        CHECK(gpt_sampler_sample(s, L4, &id, err, sizeof err) == GPT_OK && id == 0,
              "presence 0.6: got %d, want 0", id);
        gpt_sampler_free(s);

        /* window of 2: after 0 (generated), 3, 3 the 0 has left the window. */
        p = (gpt_sampler_params){.temperature = 0, .top_p = 1, .frequency_penalty = 5, .penalty_last_n = 2};
        gpt_sampler_new(&s, &p, 4, err, sizeof err);
        gpt_sampler_accept(s, 0, 1);
        CHECK(gpt_sampler_sample(s, L4, &id, err, sizeof err) == GPT_OK && id == 1,
              "window 2 holding id 0: got %d, want 1", id);
        gpt_sampler_accept(s, 3, 1);
        gpt_sampler_accept(s, 3, 1);
        CHECK(gpt_sampler_sample(s, L4, &id, err, sizeof err) == GPT_OK && id == 0,
              "window 2 after 0,3,3: got %d, want 0 (id 0 left the window)", id);
        gpt_sampler_free(s);

        /* bias and ban: +1.5 on id 3 (0.5 -> 2.0 ties id 0: id 0); ban id 0. */
        int bias_ids[2] = {3, 0};
        float bias_values[2] = {1.6f, -INFINITY};
        p = (gpt_sampler_params){.temperature = 0, .top_p = 1, .bias_ids = bias_ids, .bias_values = bias_values,
                                 .n_bias = 1};
        gpt_sampler_new(&s, &p, 4, err, sizeof err);
        CHECK(gpt_sampler_sample(s, L4, &id, err, sizeof err) == GPT_OK && id == 3, "bias +1.6 on 3: got %d", id);
        gpt_sampler_free(s);
        p.n_bias = 2;
        bias_ids[0] = 1;
        bias_values[0] = 0;
        gpt_sampler_new(&s, &p, 4, err, sizeof err);
        CHECK(gpt_sampler_sample(s, L4, &id, err, sizeof err) == GPT_OK && id == 1, "ban id 0: got %d, want 1", id);
        gpt_sampler_free(s);
        /* Banning every id leaves nothing to sample. */
        int all_ids[4] = {0, 1, 2, 3};
        float all_ban[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
        p = (gpt_sampler_params){.temperature = 1, .top_p = 1, .bias_ids = all_ids, .bias_values = all_ban,
                                 .n_bias = 4};
        gpt_sampler_new(&s, &p, 4, err, sizeof err);
        CHECK(gpt_sampler_sample(s, L4, &id, err, sizeof err) == GPT_ERR_NUMERIC, "every id banned, sampled %d", id);
        gpt_sampler_free(s);
    }

    /* ---- penalties against the reference: 2000 random cases on V = 6 ---- */
    {
        enum { V6 = 6, MAXH = 12 };
        int mismatches = 0, first_bad = -1;
        for (int trial = 0; trial < 2000; trial++) {
            float L6[V6], bias[V6], want_logits[V6];
            for (int v = 0; v < V6; v++) L6[v] = (float)(lcg_uniform() * 8 - 4);
            int bias_ids[V6];
            float bias_values[V6];
            int n_bias = 0;
            memset(bias, 0, sizeof bias);
            for (int v = 0; v < V6; v++)
                if (lcg_uniform() < 0.3) {
                    bias_ids[n_bias] = v;
                    bias_values[n_bias] = (float)(lcg_uniform() * 4 - 2);
                    bias[v] = bias_values[n_bias++];
                }
            float R = lcg_uniform() < 0.7 ? (float)(0.5 + lcg_uniform() * 2) : 1.0f;
            float presence = lcg_uniform() < 0.5 ? (float)(lcg_uniform() * 4 - 2) : 0.0f;
            float frequency = lcg_uniform() < 0.5 ? (float)(lcg_uniform() * 4 - 2) : 0.0f;
            int last_n = lcg_uniform() < 0.5 ? 1 + (int)(lcg_uniform() * 6) : 0;
            hist_tok hist[MAXH];
            int n_hist = (int)(lcg_uniform() * MAXH), n_prompt = (int)(lcg_uniform() * (n_hist + 1));
            for (int t = 0; t < n_hist; t++) hist[t] = (hist_tok){(int)(lcg_uniform() * V6), t >= n_prompt};
            reference_adjust(want_logits, L6, V6, bias, R, presence, frequency, last_n, hist, n_hist);
            int want = argmax(want_logits, V6);
            gpt_sampler_params q = {.temperature = 0, .top_p = 1, .repetition_penalty = R,
                                    .presence_penalty = presence, .frequency_penalty = frequency,
                                    .penalty_last_n = last_n, .bias_ids = bias_ids, .bias_values = bias_values,
                                    .n_bias = n_bias};
            CHECK(gpt_sampler_new(&s, &q, V6, err, sizeof err) == GPT_OK, "sampler_new: %s", err);
            for (int t = 0; t < n_hist; t++) gpt_sampler_accept(s, hist[t].id, hist[t].generated);
            gpt_sampler_sample(s, L6, &id, err, sizeof err);
            if (id != want) {
                mismatches++;
                if (first_bad < 0) first_bad = trial;
            }
            gpt_sampler_free(s);
        }
        CHECK(mismatches == 0, "penalties: %d of 2000 greedy picks differ from the reference (first: case %d)",
              mismatches, first_bad);
    }

    /* ---- min-p: probabilities 0.1 0.2 0.3 0.4 ----
     * min_p 0.6 keeps p >= 0.24: ids 2 and 3, as 3/7 and 4/7. At
     * temperature 2 the weights are sqrt(1..4) and the floor 0.6*2 = 1.2:
     * ids 1, 2, 3 in proportion sqrt(2) : sqrt(3) : 2. */
    {
        s = NULL;
        p = (gpt_sampler_params){.temperature = 1, .top_p = 1, .min_p = 0.6f, .seed = 5};
        gpt_sampler_new(&s, &p, 4, err, sizeof err);
        memset(counts, 0, sizeof counts);
        for (int i = 0; i < N; i++) {
            gpt_sampler_sample(s, probs, &id, err, sizeof err);
            counts[id]++;
        }
        CHECK(counts[0] == 0 && counts[1] == 0, "min-p 0.6 sampled ids 0/1: %d %d times", counts[0], counts[1]);
        CHECK_NEAR(counts[3] / (double)N, 4.0 / 7, 0.01, "min-p 0.6 frequency of id 3");
        gpt_sampler_free(s);
        p = (gpt_sampler_params){.temperature = 2, .top_p = 1, .min_p = 0.6f, .seed = 6};
        gpt_sampler_new(&s, &p, 4, err, sizeof err);
        memset(counts, 0, sizeof counts);
        for (int i = 0; i < N; i++) {
            gpt_sampler_sample(s, probs, &id, err, sizeof err);
            counts[id]++;
        }
        double w1 = sqrt(2), w2 = sqrt(3), w3 = 2, wsum = w1 + w2 + w3;
        CHECK(counts[0] == 0, "min-p 0.6 at temperature 2 sampled id 0 %d times", counts[0]);
        CHECK_NEAR(counts[1] / (double)N, w1 / wsum, 0.01, "min-p at T=2 frequency of id 1");
        CHECK_NEAR(counts[2] / (double)N, w2 / wsum, 0.01, "min-p at T=2 frequency of id 2");
        gpt_sampler_free(s);
    }

    /* ---- top-p over many candidates (the chunked ordering) ----
     * V = 3000 distinct logits, top-k off: the kept prefix, computed here
     * by a full sort, runs past the first chunk; every draw falls in it,
     * and its last member is drawn. */
    {
        enum { VB = 3000 };
        static float big[VB];
        static int order[VB];
        for (int v = 0; v < VB; v++) big[v] = (float)(lcg_uniform() * 3), order[v] = v;
        for (int i = 1; i < VB; i++) {  // insertion sort by logit, descending
            int o = order[i], j = i;
            while (j > 0 && big[order[j - 1]] < big[o]) order[j] = order[j - 1], j--;
            order[j] = o;
        }
        double total = 0, kept = 0;
        for (int v = 0; v < VB; v++) total += exp((double)big[v] - big[order[0]]);
        int keep = 0;
        while (keep < VB) {
            kept += exp((double)big[order[keep++]] - big[order[0]]);
            if (kept >= 0.5 * total) break;
        }
        CHECK(keep > 256, "the test wants a prefix longer than one chunk, has %d", keep);
        static unsigned char in_prefix[VB];
        for (int i = 0; i < keep; i++) in_prefix[order[i]] = 1;
        p = (gpt_sampler_params){.temperature = 1, .top_p = 0.5f, .seed = 11};
        gpt_sampler_new(&s, &p, VB, err, sizeof err);
        int outside = 0, last_seen = 0;
        for (int i = 0; i < 20000; i++) {
            gpt_sampler_sample(s, big, &id, err, sizeof err);
            outside += !in_prefix[id];
            last_seen += id == order[keep - 1];
        }
        CHECK(outside == 0, "top-p 0.5 over 3000 ids drew %d times outside the prefix of %d", outside, keep);
        CHECK(last_seen > 0, "top-p 0.5 never drew the prefix's last id %d", order[keep - 1]);
        gpt_sampler_free(s);

        /* ---- no step allocates: every feature on, top-k off ---- */
        int ban = 7;
        float minus_inf = -INFINITY;
        p = (gpt_sampler_params){.temperature = 0.9f, .top_p = 0.9f, .min_p = 0.01f, .seed = 3,
                                 .repetition_penalty = 1.3f, .presence_penalty = 0.5f, .frequency_penalty = 0.2f,
                                 .penalty_last_n = 64, .bias_ids = &ban, .bias_values = &minus_inf, .n_bias = 1};
        gpt_sampler_new(&s, &p, VB, err, sizeof err);
        gpt_sampler_params g = {.temperature = 0, .top_p = 1, .repetition_penalty = 1.3f};
        gpt_sampler *greedy = NULL;
        gpt_sampler_new(&greedy, &g, VB, err, sizeof err);
        counting_allocs = 1;
        for (int i = 0; i < 200; i++) {
            gpt_sampler_accept(s, i % VB, i > 20);
            gpt_sampler_sample(s, big, &id, err, sizeof err);
            gpt_sampler_accept(s, id, 1);
            gpt_sampler_sample(greedy, big, &id, err, sizeof err);
            gpt_sampler_accept(greedy, id, 1);
        }
        counting_allocs = 0;
        CHECK(n_allocs == 0, "200 sampling steps made %ld allocations, want 0", n_allocs);
        /* The counter itself works: one malloc, counted. */
        n_allocs = 0;
        counting_allocs = 1;
        void *probe = malloc(16);
        counting_allocs = 0;
        CHECK(n_allocs == 1, "the allocation counter saw %ld of 1 malloc", n_allocs);
        free(probe);
        gpt_sampler_free(s);
        gpt_sampler_free(greedy);
    }

    /* Bad new parameters are refused. */
    p = (gpt_sampler_params){.temperature = 1, .top_p = 1, .min_p = 1.5f};
    CHECK(gpt_sampler_new(&s, &p, 4, err, sizeof err) == GPT_ERR_ARG, "min-p 1.5 accepted");
    p = (gpt_sampler_params){.temperature = 1, .top_p = 1, .repetition_penalty = -1};
    CHECK(gpt_sampler_new(&s, &p, 4, err, sizeof err) == GPT_ERR_ARG, "repetition penalty -1 accepted");
    p = (gpt_sampler_params){.temperature = 1, .top_p = 1, .penalty_last_n = -2};
    CHECK(gpt_sampler_new(&s, &p, 4, err, sizeof err) == GPT_ERR_ARG, "penalty window -2 accepted");
    int far_id = 4;
    float one = 1;
    p = (gpt_sampler_params){.temperature = 1, .top_p = 1, .bias_ids = &far_id, .bias_values = &one, .n_bias = 1};
    CHECK(gpt_sampler_new(&s, &p, 4, err, sizeof err) == GPT_ERR_ARG, "bias for id 4 of 4 accepted");
    return check_done("test_sampler");
}
