/* sampler.c — turns logits into one token id: greedy, or temperature with
 * top-k and top-p, from a seeded generator. Knows nothing of models.
 *
 * Same seed, same logits, same choice on every machine: the random numbers
 * come from our own generator (splitmix64 seeding xoshiro256**), the
 * probabilities are summed in double in a fixed order, and ties in sorting
 * are broken by id.
 */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

typedef struct {
    float logit;
    int id;
} candidate;

struct gpt_sampler {
    gpt_sampler_params params;
    int vocab_size;
    uint64_t state[4];       // xoshiro256** state
    candidate *candidates;   // (vocab_size) scratch, reused every call
    double *probs;           // (vocab_size) scratch
};

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next_u64(gpt_sampler *s) {
    uint64_t *st = s->state;
    uint64_t result = rotl(st[1] * 5, 7) * 9, t = st[1] << 17;
    st[2] ^= st[0];
    st[3] ^= st[1];
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = rotl(st[3], 45);
    return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static double next_uniform(gpt_sampler *s) { return (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0); }

gpt_status gpt_sampler_new(gpt_sampler **out, const gpt_sampler_params *params, int vocab_size, char *err,
                           size_t err_len) {
    *out = NULL;
    if (vocab_size <= 0) return gpt_fail(err, err_len, GPT_ERR_ARG, "vocabulary size %d", vocab_size);
    if (!(params->temperature >= 0) || isinf(params->temperature))
        return gpt_fail(err, err_len, GPT_ERR_ARG, "temperature %g must be a finite number >= 0",
                        params->temperature);
    if (!(params->top_p > 0 && params->top_p <= 1))
        return gpt_fail(err, err_len, GPT_ERR_ARG, "top-p %g must be in (0, 1]", params->top_p);
    if (params->top_k < 0) return gpt_fail(err, err_len, GPT_ERR_ARG, "top-k %d must be >= 0", params->top_k);
    gpt_sampler *s = calloc(1, sizeof *s);
    if (!s) return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    s->candidates = malloc(sizeof(candidate) * (size_t)vocab_size);
    s->probs = malloc(sizeof(double) * (size_t)vocab_size);
    if (!s->candidates || !s->probs) {
        gpt_sampler_free(s);
        return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    }
    s->params = *params;
    s->vocab_size = vocab_size;
    uint64_t seed = params->seed;
    for (int i = 0; i < 4; i++) s->state[i] = splitmix64(&seed);
    *out = s;
    return GPT_OK;
}

void gpt_sampler_free(gpt_sampler *s) {
    if (!s) return;
    free(s->candidates);
    free(s->probs);
    free(s);
}

/* Highest logit first; equal logits by lower id, so the order is total. */
static int by_logit_desc(const void *pa, const void *pb) {
    const candidate *a = pa, *b = pb;
    if (a->logit > b->logit) return -1;
    if (a->logit < b->logit) return 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* Moves the k best candidates to the front (in no order): quickselect. */
static void select_top_k(candidate *c, int n, int k) {
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        candidate pivot = c[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (by_logit_desc(&c[i], &pivot) < 0) i++;
            while (by_logit_desc(&c[j], &pivot) > 0) j--;
            if (i <= j) {
                candidate t = c[i];
                c[i] = c[j];
                c[j] = t;
                i++;
                j--;
            }
        }
        if (k - 1 <= j) hi = j;
        else if (k - 1 >= i) lo = i;
        else break;
    }
}

gpt_status gpt_sampler_sample(gpt_sampler *s, const float *logits, int *id, char *err, size_t err_len) {
    const int V = s->vocab_size;
    int best = -1;
    for (int i = 0; i < V; i++) {
        if (isnan(logits[i])) return gpt_fail(err, err_len, GPT_ERR_NUMERIC, "logit %d is NaN", i);
        if (logits[i] == -INFINITY) continue;
        if (best < 0 || logits[i] > logits[best]) best = i;
    }
    if (best < 0) return gpt_fail(err, err_len, GPT_ERR_NUMERIC, "every logit is -inf");
    if (logits[best] == INFINITY)
        return gpt_fail(err, err_len, GPT_ERR_NUMERIC, "logit %d is +inf", best);
    if (s->params.temperature == 0) {
        *id = best;
        return GPT_OK;
    }

    int n = 0;
    for (int i = 0; i < V; i++)
        if (logits[i] != -INFINITY) s->candidates[n++] = (candidate){logits[i], i};
    if (s->params.top_k > 0 && s->params.top_k < n) {
        select_top_k(s->candidates, n, s->params.top_k);
        n = s->params.top_k;
    }
    int sorted = 0;
    if (s->params.top_p < 1) {
        qsort(s->candidates, n, sizeof(candidate), by_logit_desc);
        sorted = 1;
    }
    /* Softmax at the temperature, in double, from the largest logit. */
    const double inv_t = 1.0 / s->params.temperature;
    const double maxl = logits[best];
    double total = 0;
    for (int i = 0; i < n; i++) {
        s->probs[i] = exp(((double)s->candidates[i].logit - maxl) * inv_t);
        total += s->probs[i];
    }
    if (sorted) {  // keep the smallest prefix whose mass reaches top_p
        double kept = 0;
        int keep = 0;
        while (keep < n) {
            kept += s->probs[keep++];
            if (kept >= s->params.top_p * total) break;
        }
        n = keep;
        total = kept;
    }
    double u = next_uniform(s) * total, acc = 0;
    for (int i = 0; i < n; i++) {
        acc += s->probs[i];
        if (u < acc) {
            *id = s->candidates[i].id;
            return GPT_OK;
        }
    }
    *id = s->candidates[n - 1].id;  // u landed on the rounding of the last sum
    return GPT_OK;
}
