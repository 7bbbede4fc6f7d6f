/* sampler.c — turns logits into one token id: logit bias and penalties on
 * the raw logits, then greedy, or temperature with top-k, top-p and min-p,
 * from a seeded generator. Knows nothing of models (see gpt.h for the order
 * of the steps).
 *
 * Same seed, same logits, same choice on every machine: the random numbers
 * come from our own generator (splitmix64 seeding xoshiro256**), the
 * probabilities are summed in double in a fixed order, and ties in sorting
 * are broken by id.
 *
 * Nothing here allocates after gpt_sampler_new: the candidates are ordered
 * by our own selection and heap sort in the sampler's buffers (glibc's
 * qsort mallocs a buffer as large as its input on every call), and the
 * penalties' counts are kept up to date one token at a time.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct {
    float logit;
    int id;
} candidate;

/* Candidates ordered a chunk at a time for top-p (the first this long, each
 * next one twice the last): most steps need only the first chunk. */
#define SORT_CHUNK 256

struct gpt_sampler {
    gpt_sampler_params params;  // bias pointers cleared: the bias lives in bias[]
    int vocab_size;
    uint64_t state[4];       // xoshiro256** state
    candidate *candidates;   // (vocab_size) scratch, reused every call
    double *probs;           // (vocab_size) scratch
    float *adjusted;         // (vocab_size) logits after bias and penalties, or NULL when none apply
    float *bias;             // (vocab_size) logit bias, or NULL
    int *window_count;       // (vocab_size) occurrences of each id in the window, or NULL
    int *generated_count;    // (vocab_size) occurrences among the window's generated tokens, or NULL
    int *ring;               // (penalty_last_n) the window's ids, oldest at ring_head when full; or NULL
    unsigned char *ring_generated;  // (penalty_last_n) whether each was generated
    int ring_len, ring_head;
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

static int penalties_on(const gpt_sampler_params *p) {
    return (p->repetition_penalty != 0 && p->repetition_penalty != 1) || p->presence_penalty != 0 ||
           p->frequency_penalty != 0;
}

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
    if (!(params->min_p >= 0 && params->min_p <= 1))
        return gpt_fail(err, err_len, GPT_ERR_ARG, "min-p %g must be in [0, 1]", params->min_p);
    if (!(params->repetition_penalty >= 0) || isinf(params->repetition_penalty))
        return gpt_fail(err, err_len, GPT_ERR_ARG, "repetition penalty %g must be a finite number > 0",
                        params->repetition_penalty);
    if (!isfinite(params->presence_penalty) || !isfinite(params->frequency_penalty))
        return gpt_fail(err, err_len, GPT_ERR_ARG, "presence and frequency penalties must be finite");
    if (params->penalty_last_n < 0)
        return gpt_fail(err, err_len, GPT_ERR_ARG, "penalty window %d must be >= 0", params->penalty_last_n);
    if (params->n_bias < 0 || (params->n_bias > 0 && (!params->bias_ids || !params->bias_values)))
        return gpt_fail(err, err_len, GPT_ERR_ARG, "logit bias of %d entries without its arrays", params->n_bias);
    for (int i = 0; i < params->n_bias; i++) {
        if (params->bias_ids[i] < 0 || params->bias_ids[i] >= vocab_size)
            return gpt_fail(err, err_len, GPT_ERR_ARG, "logit bias for token %d, outside the vocabulary (0..%d)",
                            params->bias_ids[i], vocab_size - 1);
        if (isnan(params->bias_values[i]) || params->bias_values[i] == INFINITY)
            return gpt_fail(err, err_len, GPT_ERR_ARG, "logit bias %g for token %d must be a number or -inf",
                            params->bias_values[i], params->bias_ids[i]);
    }
    gpt_sampler *s = calloc(1, sizeof *s);
    if (!s) return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    const size_t V = (size_t)vocab_size;
    const int penalize = penalties_on(params);
    int failed = !(s->candidates = malloc(sizeof(candidate) * V)) || !(s->probs = malloc(sizeof(double) * V));
    if (!failed && (penalize || params->n_bias > 0)) failed = !(s->adjusted = malloc(sizeof(float) * V));
    if (!failed && params->n_bias > 0) failed = !(s->bias = calloc(V, sizeof(float)));
    if (!failed && penalize)
        failed = !(s->window_count = calloc(V, sizeof(int))) || !(s->generated_count = calloc(V, sizeof(int)));
    if (!failed && penalize && params->penalty_last_n > 0)
        failed = !(s->ring = malloc(sizeof(int) * (size_t)params->penalty_last_n)) ||
                 !(s->ring_generated = malloc((size_t)params->penalty_last_n));
    if (failed) {
        gpt_sampler_free(s);
        return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    }
    /* Biases for one id add up, as repeated entries of a map cannot occur. */
    for (int i = 0; i < params->n_bias; i++) s->bias[params->bias_ids[i]] += params->bias_values[i];
    s->params = *params;
    s->params.bias_ids = NULL;
    s->params.bias_values = NULL;
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
    free(s->adjusted);
    free(s->bias);
    free(s->window_count);
    free(s->generated_count);
    free(s->ring);
    free(s->ring_generated);
    free(s);
}

void gpt_sampler_accept(gpt_sampler *s, int id, int generated) {
    if (!s->window_count || id < 0 || id >= s->vocab_size) return;
    generated = generated != 0;
    if (s->ring) {
        const int N = s->params.penalty_last_n;
        int at;
        if (s->ring_len < N) {
            at = s->ring_len++;
        } else {  // the oldest token leaves the window
            at = s->ring_head;
            s->ring_head = (s->ring_head + 1) % N;
            s->window_count[s->ring[at]]--;
            s->generated_count[s->ring[at]] -= s->ring_generated[at];
        }
        s->ring[at] = id;
        s->ring_generated[at] = (unsigned char)generated;
    }
    s->window_count[id]++;
    s->generated_count[id] += generated;
}

/* Steps 1-3: adjusted = raw logits + bias, then the penalties. */
static const float *adjust(gpt_sampler *s, const float *logits) {
    if (!s->adjusted) return logits;
    const int V = s->vocab_size;
    const float R = s->params.repetition_penalty, presence = s->params.presence_penalty,
                frequency = s->params.frequency_penalty;
    float *a = s->adjusted;
    if (s->bias)
        for (int i = 0; i < V; i++) a[i] = logits[i] + s->bias[i];
    else
        memcpy(a, logits, sizeof(float) * (size_t)V);
    if (!s->window_count) return a;
    const int repeat = R != 0 && R != 1;
    for (int i = 0; i < V; i++) {
        if (!s->window_count[i]) continue;
        if (repeat) a[i] = a[i] > 0 ? a[i] / R : a[i] * R;
        int count = s->generated_count[i];
        if (count) a[i] -= (float)count * frequency + presence;
    }
    return a;
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

/* Sorts c (n) into by_logit_desc order with a heap sort: in place, no
 * allocation, O(n log n). */
static void sift_down(candidate *c, int root, int n) {
    for (;;) {
        int child = 2 * root + 1;
        if (child >= n) return;
        /* A min-heap under by_logit_desc (the worst on top), so that popping
         * to the end leaves the best first. */
        if (child + 1 < n && by_logit_desc(&c[child + 1], &c[child]) > 0) child++;
        if (by_logit_desc(&c[child], &c[root]) <= 0) return;
        candidate t = c[root];
        c[root] = c[child];
        c[child] = t;
        root = child;
    }
}

static void sort_desc(candidate *c, int n) {
    for (int i = n / 2 - 1; i >= 0; i--) sift_down(c, i, n);
    for (int end = n - 1; end > 0; end--) {
        candidate t = c[0];
        c[0] = c[end];
        c[end] = t;
        sift_down(c, 0, end);
    }
}

gpt_status gpt_sampler_sample(gpt_sampler *s, const float *logits, int *id, char *err, size_t err_len) {
    const int V = s->vocab_size;
    for (int i = 0; i < V; i++)
        if (isnan(logits[i])) return gpt_fail(err, err_len, GPT_ERR_NUMERIC, "logit %d is NaN", i);
    const float *L = adjust(s, logits);
    int best = -1;
    for (int i = 0; i < V; i++) {
        if (L[i] == -INFINITY) continue;
        if (best < 0 || L[i] > L[best]) best = i;
    }
    if (best < 0) return gpt_fail(err, err_len, GPT_ERR_NUMERIC, "every logit is -inf");
    if (L[best] == INFINITY) return gpt_fail(err, err_len, GPT_ERR_NUMERIC, "logit %d is +inf", best);
    if (s->params.temperature == 0) {
        *id = best;
        return GPT_OK;
    }

    int n = 0;
    for (int i = 0; i < V; i++)
        if (L[i] != -INFINITY) s->candidates[n++] = (candidate){L[i], i};
    if (s->params.top_k > 0 && s->params.top_k < n) {
        select_top_k(s->candidates, n, s->params.top_k);
        n = s->params.top_k;
    }
    /* Softmax at the temperature, in double, from the largest logit: the
     * top candidate's weight is exactly 1. */
    const double inv_t = 1.0 / s->params.temperature;
    const double maxl = L[best];
    candidate *c = s->candidates;
    double *probs = s->probs;
    double total = 0;
    int sorted = 0;
    if (s->params.top_p < 1) {
        /* Keep the smallest prefix, in descending order, whose mass
         * reaches top_p. Few candidates: sort them all, and sum in that
         * order. Many: sum them as they lie, then order a chunk at a time
         * until the prefix is found. */
        int ordered;
        if (n <= SORT_CHUNK) {
            sort_desc(c, n);
            ordered = n;
            for (int i = 0; i < n; i++) total += probs[i] = exp(((double)c[i].logit - maxl) * inv_t);
        } else {
            for (int i = 0; i < n; i++) total += exp(((double)c[i].logit - maxl) * inv_t);
            ordered = 0;
        }
        double kept = 0;
        int keep = 0, chunk = SORT_CHUNK;
        for (;;) {
            if (keep == ordered) {  // order the next chunk of the rest, each twice the last: O(n log n) at worst
                int take = n - ordered < chunk ? n - ordered : chunk;
                chunk *= 2;
                select_top_k(c + ordered, n - ordered, take);
                sort_desc(c + ordered, take);
                for (int i = ordered; i < ordered + take; i++) probs[i] = exp(((double)c[i].logit - maxl) * inv_t);
                ordered += take;
            }
            kept += probs[keep++];
            if (keep >= n || kept >= s->params.top_p * total) break;
        }
        n = keep;
        total = kept;
        sorted = 1;
    } else {
        for (int i = 0; i < n; i++) total += probs[i] = exp(((double)c[i].logit - maxl) * inv_t);
    }
    if (s->params.min_p > 0) {  // keep p >= min_p * p_max, where p_max's weight is 1
        const double floor_p = s->params.min_p;
        int keep = 0;
        total = 0;
        for (int i = 0; i < n; i++) {
            if (probs[i] < floor_p) {
                if (sorted) break;  // the rest are smaller still
                continue;
            }
            c[keep] = c[i];
            total += probs[keep++] = probs[i];
        }
        n = keep;
    }
    double u = next_uniform(s) * total, acc = 0;
    for (int i = 0; i < n; i++) {
        acc += probs[i];
        if (u < acc) {
            *id = c[i].id;
            return GPT_OK;
        }
    }
    *id = c[n - 1].id;  // u landed on the rounding of the last sum
    return GPT_OK;
}
