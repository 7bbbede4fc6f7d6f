/* test_golden.c — the forward pass against the float64 PyTorch reference
 * (tests/golden/MODEL/reference.json): every position's top-10 ids in order
 * (two ids whose reference logits are a near-tie may swap) and their logits, logsumexp, the full last-position logits, and greedy
 * decoding through the KV cache for the steps whose margin is not a tie. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "check.h"
#include "gpt.h"
#include "ops.h"  // OPS_SMALL_ROWS: past it, a block of rows takes the BLAS path

#define TOL 1e-3
/* Two reference logits closer than this are a near-tie: float32 code may
 * rank them either way (the fixtures' README sets the same margin for the
 * greedy steps that must be reproduced exactly). */
#define NEAR_TIE 1e-4

static int *json_ints(const cJSON *arr, int *n) {
    *n = cJSON_GetArraySize(arr);
    int *out = malloc(sizeof(int) * (*n > 0 ? *n : 1));
    for (int i = 0; i < *n; i++) out[i] = cJSON_GetArrayItem(arr, i)->valueint;
    return out;
}

/* Every position's logits of tokens (n), read as one batch from position
 * 0 of sequence 0, into logits (n, V). Returns gpt_forward's status. */
static gpt_status forward_all(gpt_context *ctx, const int *tokens, int n, float *logits, char *err, size_t err_len) {
    int *pos = malloc(sizeof(int) * n), *seq = calloc(n, sizeof(int));  // (n)
    unsigned char *want = malloc(n);                                    // (n)
    for (int i = 0; i < n; i++) pos[i] = i, want[i] = 1;
    gpt_batch b = {.n = n, .tokens = tokens, .pos = pos, .seq = seq, .want_logits = want};
    gpt_status st = gpt_forward(ctx, &b, logits, err, err_len);
    free(pos);
    free(seq);
    free(want);
    return st;
}

/* Greedy continuation collected through gpt_generate. */
typedef struct {
    const int *prompt;
    int n_prompt, max_new, given;
    int got[256];
    int n_got;
} greedy_state;

static int greedy_next(void *user, gpt_request *req) {
    greedy_state *g = user;
    if (g->given) return 0;
    g->given = 1;
    memset(req, 0, sizeof *req);
    req->prompt = g->prompt;
    req->n_prompt = g->n_prompt;
    req->max_new_tokens = g->max_new;
    req->sampling.temperature = 0;
    req->sampling.top_p = 1;
    req->ignore_eos = 1;  // the reference continues past end-of-text
    return 1;
}

static int greedy_done(void *user, const gpt_request *req, const gpt_result *res) {
    (void)req;
    greedy_state *g = user;
    g->n_got = res->n_tokens < 256 ? res->n_tokens : 256;
    memcpy(g->got, res->tokens, sizeof(int) * g->n_got);
    return 0;
}

/* model_dir holds the checkpoint; dir the reference and its logits files.
 * with_tokenizer: load the tokenizer too (the Llama-shaped fixtures have
 * none: gpt_generate runs on ids alone).
 * Returns how many blocks of more than OPS_SMALL_ROWS rows were checked. */
static int check_model(const char *model_dir, const char *dir, int with_tokenizer) {
    int blas_blocks = 0;
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/reference.json", dir);
    char *json = check_read_file(path, NULL);
    CHECK(json != NULL, "cannot read %s", path);
    if (!json) return 0;
    cJSON *ref = cJSON_Parse(json);
    free(json);
    /* A reference that checks nothing must fail, not pass with zero prompts. */
    const cJSON *prompts = cJSON_GetObjectItem(ref, "prompts");
    CHECK(ref != NULL, "%s: not valid JSON", path);
    CHECK(!ref || (cJSON_IsArray(prompts) && cJSON_GetArraySize(prompts) > 0), "%s: no \"prompts\" to check", path);
    if (!cJSON_IsArray(prompts) || cJSON_GetArraySize(prompts) == 0) {
        cJSON_Delete(ref);
        return 0;
    }

    gpt_model *model = NULL;
    gpt_tokenizer *tok = NULL;
    gpt_context *ctx = NULL;
    gpt_status st = gpt_model_load(&model, model_dir, NULL, err, sizeof err);
    CHECK(st == GPT_OK, "load %s: %s", dir, err);
    if (with_tokenizer) {
        st = gpt_tokenizer_load(&tok, model_dir, err, sizeof err);
        CHECK(st == GPT_OK, "tokenizer %s: %s", dir, err);
    }
    if (!model || (with_tokenizer && !tok)) goto out;
    const int V = gpt_model_config(model)->vocab_size;
    st = gpt_context_new(&ctx, model, 0, 1, 0, err, sizeof err);
    CHECK(st == GPT_OK, "context: %s", err);
    if (!ctx) goto out;

    double model_worst[3] = {0, 0, 0};  // top-10 logits, logsumexp, last logits: printed at the end
    for (int p = 0; p < cJSON_GetArraySize(prompts); p++) {
        const cJSON *pr = cJSON_GetArrayItem(prompts, p);
        int n;
        int *ids = json_ints(cJSON_GetObjectItem(pr, "input_ids"), &n);
        float *logits = malloc(sizeof(float) * (size_t)V * n);  // (n, V)
        st = forward_all(ctx, ids, n, logits, err, sizeof err);
        CHECK(st == GPT_OK, "%s prompt %d forward: %s", dir, p, err);

        /* Per position: top-10 ids in order, their logits, logsumexp. */
        const cJSON *top_ids = cJSON_GetObjectItem(pr, "top10_ids");
        const cJSON *top_logits = cJSON_GetObjectItem(pr, "top10_logits");
        const cJSON *lse = cJSON_GetObjectItem(pr, "logsumexp");
        double worst_logit = 0, worst_lse = 0;
        int order_mismatches = 0;
        for (int t = 0; t < n && st == GPT_OK; t++) {
            const float *row = logits + (size_t)t * V;
            int order[10];
            for (int k = 0; k < 10; k++) {  // our top 10, highest first, lower id on ties
                int best = -1;
                for (int v = 0; v < V; v++) {
                    int taken = 0;
                    for (int j = 0; j < k; j++) taken |= order[j] == v;
                    if (!taken && (best < 0 || row[v] > row[best])) best = v;
                }
                order[k] = best;
            }
            for (int k = 0; k < 10; k++) {
                int want_id = cJSON_GetArrayItem(cJSON_GetArrayItem(top_ids, t), k)->valueint;
                double want_logit = cJSON_GetArrayItem(cJSON_GetArrayItem(top_logits, t), k)->valuedouble;
                if (order[k] != want_id) {
                    /* our id at this rank: a near-tie if the reference ranks it too, within NEAR_TIE */
                    int tie = 0;
                    for (int j = 0; j < 10; j++) {
                        const cJSON *ref_j = cJSON_GetArrayItem(top_logits, t);
                        if (cJSON_GetArrayItem(cJSON_GetArrayItem(top_ids, t), j)->valueint == order[k])
                            tie = fabs(cJSON_GetArrayItem(ref_j, j)->valuedouble - want_logit) < NEAR_TIE;
                    }
                    order_mismatches += !tie;
                    fprintf(stderr, "%s prompt %d pos %d rank %d: id %d, reference %d%s\n", dir, p, t, k, order[k],
                            want_id, tie ? " (a near-tie in the reference)" : "");
                }
                double d = fabs(row[want_id] - want_logit);
                if (d > worst_logit) worst_logit = d;
            }
            double m = -DBL_MAX, s = 0;
            for (int v = 0; v < V; v++) m = row[v] > m ? row[v] : m;
            for (int v = 0; v < V; v++) s += exp(row[v] - m);
            double d = fabs(m + log(s) - cJSON_GetArrayItem(lse, t)->valuedouble);
            if (d > worst_lse) worst_lse = d;
        }
        CHECK(order_mismatches == 0, "%s prompt %d: %d top-10 ranks differ", dir, p, order_mismatches);
        CHECK(worst_logit <= TOL, "%s prompt %d: top-10 logit error %.3g", dir, p, worst_logit);
        CHECK(worst_lse <= TOL, "%s prompt %d: logsumexp error %.3g", dir, p, worst_lse);
        if (worst_logit > model_worst[0]) model_worst[0] = worst_logit;
        if (worst_lse > model_worst[1]) model_worst[1] = worst_lse;

        /* The full last row against the float32 file. */
        snprintf(path, sizeof path, "%s/%s", dir, cJSON_GetObjectItem(pr, "last_logits_file")->valuestring);
        size_t bytes = 0;
        float *want_last = (float *)check_read_file(path, &bytes);
        CHECK(want_last && bytes == sizeof(float) * (size_t)V, "%s: %zu bytes, want %zu", path, bytes,
              sizeof(float) * (size_t)V);
        if (want_last && bytes == sizeof(float) * (size_t)V) {
            double worst = 0;
            int at = 0;
            for (int v = 0; v < V; v++) {
                double d = fabs(logits[(size_t)(n - 1) * V + v] - want_last[v]);
                if (d > worst) worst = d, at = v;
            }
            CHECK(worst <= TOL, "%s prompt %d: last logits max error %.3g at id %d", dir, p, worst, at);
            if (worst > model_worst[2]) model_worst[2] = worst;
        }
        free(want_last);

        /* Greedy through the KV cache, as far as the reference has no near-tie. */
        int n_greedy, exact = cJSON_GetObjectItem(pr, "greedy_exact_steps")->valueint;
        int *greedy = json_ints(cJSON_GetObjectItem(pr, "greedy_ids"), &n_greedy);
        greedy_state g = {.prompt = ids, .n_prompt = n, .max_new = exact};
        gpt_generate_io io = {.next = greedy_next, .on_done = greedy_done, .user = &g};
        st = gpt_generate(ctx, tok, &io, err, sizeof err);
        CHECK(st == GPT_OK, "%s prompt %d generate: %s", dir, p, err);
        CHECK(g.n_got == exact, "%s prompt %d: %d greedy tokens, want %d", dir, p, g.n_got, exact);
        for (int i = 0; i < exact && i < g.n_got; i++)
            if (g.got[i] != greedy[i]) {
                CHECK(0, "%s prompt %d: greedy step %d gave %d, reference %d", dir, p, i, g.got[i], greedy[i]);
                break;
            }

        /* The prompt and its greedy continuation fed as one block: when it
         * has more than OPS_SMALL_ROWS rows the forward pass takes the BLAS
         * prompt-chunk path, and every position from the prompt's last on
         * must predict the reference's next greedy id (as far as
         * greedy_exact_steps, where the float64 reference has no near-tie).
         * The reference holds ids, not logits, past the prompt: this checks
         * each position's argmax, not its values. */
        int rows = n + exact - 1;
        int *block = malloc(sizeof(int) * (size_t)rows), *bpos = malloc(sizeof(int) * (size_t)rows);
        int *bseq = calloc((size_t)rows, sizeof(int));
        unsigned char *bwant = malloc((size_t)rows);
        float *blogits = malloc(sizeof(float) * (size_t)V * (size_t)rows);
        if (exact > 0 && block && bpos && bseq && bwant && blogits) {
            for (int i = 0; i < rows; i++)
                block[i] = i < n ? ids[i] : greedy[i - n], bpos[i] = i, bwant[i] = 1;
            gpt_batch bb = {.n = rows, .tokens = block, .pos = bpos, .seq = bseq, .want_logits = bwant};
            st = gpt_forward(ctx, &bb, blogits, err, sizeof err);
            CHECK(st == GPT_OK, "%s prompt %d: forward of %d rows: %s", dir, p, rows, err);
            for (int t = n - 1; t < rows && st == GPT_OK; t++) {
                const float *row = blogits + (size_t)t * V;
                int best = 0;
                for (int v = 1; v < V; v++) best = row[v] > row[best] ? v : best;
                if (best != greedy[t - n + 1]) {
                    CHECK(0, "%s prompt %d: in a block of %d rows, position %d predicts %d, reference %d", dir, p,
                          rows, t, best, greedy[t - n + 1]);
                    break;
                }
            }
            blas_blocks += rows > OPS_SMALL_ROWS;
        }
        free(block);
        free(bpos);
        free(bseq);
        free(bwant);
        free(blogits);
        free(greedy);
        free(ids);
        free(logits);
    }
    printf("%s: max error top-10 logits %.2g, logsumexp %.2g, last logits %.2g\n", dir, model_worst[0],
           model_worst[1], model_worst[2]);
out:
    gpt_context_free(ctx);
    gpt_tokenizer_free(tok);
    gpt_model_free(model);
    cJSON_Delete(ref);
    return blas_blocks;
}

/* Q8 weights: each weight is off by up to half a step of its block's
 * scale (max|w|/127, about 1% of a typical weight), and the inputs of every
 * product are quantized the same way. These models are 64 wide: a dot of
 * 64 terms averages little of that away, and logits reach 15, so logits
 * move by tenths (measured 0.22-0.37), not 1e-3. Held to: the full last
 * logits within Q8_TOL (3% of the logit range), and the reference's top-1
 * at every position where its margin over the runner-up exceeds
 * 2 * Q8_TOL (no error within the bound can reorder those). A wrong
 * layout or scale moves logits by whole units. */
#define Q8_TOL 0.5
/* An F16 cache: each cached key and value is rounded to a half (a
 * relative 2^-11 at most), and logits moved by at most 0.008 at these
 * models (measured over the four prompts of each). Held to F16_TOL, four
 * times that; a wrong conversion moves them by whole units. */
#define F16_TOL 0.03

/* The full last logits within tol of the reference, and its top-1 wherever
 * its margin exceeds 2 * tol, for weights quantized to Q8 (q8) or a
 * cache of cache_dtype elements. */
static void check_approx(const char *dir, const char *what, int q8, gpt_dtype cache_dtype, double tol) {
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/reference.json", dir);
    char *json = check_read_file(path, NULL);
    CHECK(json != NULL, "cannot read %s", path);
    if (!json) return;
    cJSON *ref = cJSON_Parse(json);
    free(json);
    gpt_model *model = NULL;
    gpt_context *ctx = NULL;
    gpt_load_options opts = {.quantize_q8 = q8};
    gpt_status st = gpt_model_load(&model, dir, &opts, err, sizeof err);
    CHECK(st == GPT_OK, "load %s (%s): %s", dir, what, err);
    const gpt_context_params params = {0, 1, 0, cache_dtype};
    if (st == GPT_OK) st = gpt_context_new_ex(&ctx, model, &params, err, sizeof err);
    CHECK(st == GPT_OK, "context: %s", err);
    double worst = 0;
    int top1_checked = 0, top1_wrong = 0;
    const cJSON *prompts = cJSON_GetObjectItem(ref, "prompts");
    for (int p = 0; ctx && p < cJSON_GetArraySize(prompts); p++) {
        const cJSON *pr = cJSON_GetArrayItem(prompts, p);
        const int V = gpt_model_config(model)->vocab_size;
        int n;
        int *ids = json_ints(cJSON_GetObjectItem(pr, "input_ids"), &n);
        float *logits = malloc(sizeof(float) * (size_t)V * n);  // (n, V)
        st = forward_all(ctx, ids, n, logits, err, sizeof err);
        CHECK(st == GPT_OK, "%s %s prompt %d forward: %s", dir, what, p, err);
        const cJSON *top_ids = cJSON_GetObjectItem(pr, "top10_ids");
        const cJSON *top_logits = cJSON_GetObjectItem(pr, "top10_logits");
        for (int t = 0; t < n && st == GPT_OK; t++) {
            const float *row = logits + (size_t)t * V;
            double margin = cJSON_GetArrayItem(cJSON_GetArrayItem(top_logits, t), 0)->valuedouble -
                            cJSON_GetArrayItem(cJSON_GetArrayItem(top_logits, t), 1)->valuedouble;
            if (margin <= 2 * tol) continue;
            int best = 0;
            for (int v = 1; v < V; v++) best = row[v] > row[best] ? v : best;
            int want_id = cJSON_GetArrayItem(cJSON_GetArrayItem(top_ids, t), 0)->valueint;
            top1_checked++;
            if (best != want_id) {
                top1_wrong++;
                fprintf(stderr, "%s %s prompt %d pos %d: top-1 %d, reference %d (margin %.3g)\n", dir, what, p, t,
                        best, want_id, margin);
            }
        }
        snprintf(path, sizeof path, "%s/%s", dir, cJSON_GetObjectItem(pr, "last_logits_file")->valuestring);
        size_t bytes = 0;
        float *want_last = (float *)check_read_file(path, &bytes);
        CHECK(want_last && bytes == sizeof(float) * (size_t)V, "%s: %zu bytes", path, bytes);
        for (int v = 0; want_last && v < V && bytes == sizeof(float) * (size_t)V; v++) {
            double d = fabs(logits[(size_t)(n - 1) * V + v] - want_last[v]);
            if (d > worst) worst = d;
        }
        free(want_last);
        free(ids);
        free(logits);
    }
    CHECK(worst <= tol, "%s %s: last logits max error %.3g, want <= %g", dir, what, worst, tol);
    CHECK(top1_checked > 0 && top1_wrong == 0, "%s %s: top-1 differs at %d of %d positions with margin > %g", dir,
          what, top1_wrong, top1_checked, 2 * tol);
    printf("%s %s: last logits max error %.3g; top-1 equal at %d positions with margin > %g\n", dir, what, worst,
           top1_checked, 2 * tol);
    gpt_context_free(ctx);
    gpt_model_free(model);
    cJSON_Delete(ref);
}

int main(int argc, char **argv) {
    gpt_set_threads(2);
    if (argc == 3) {  // test_golden MODEL_DIR REFERENCE_DIR: that pair alone (tests/cli/test_harness.sh)
        check_model(argv[1], argv[2], 1);
        return check_done("test_golden");
    }
    check_model("tests/golden/dev-tiny", "tests/golden/dev-tiny", 1);
    int blas_blocks = check_model("models/gpt2-books-30m", "tests/golden/gpt2-books-30m", 1);
    /* Four of its prompts with their 64 greedy ids make 66 to 71 rows. */
    CHECK(blas_blocks >= 4, "gpt2-books-30m: %d blocks past %d rows checked, want 4", blas_blocks, OPS_SMALL_ROWS);
    /* Llama (GQA, llama3 rope scaling, untied), Qwen2 (q/k/v biases, tied,
     * BF16), Qwen3 (q/k norms, head_dim 32 != 64/4, F16), Mistral (a window
     * of 16 crossed by the 40- and 100-token prompts, two shards). */
    const char *modern[] = {"dev-llama", "dev-qwen2", "dev-qwen3", "dev-mistral"};
    for (int i = 0; i < 4; i++) {
        char dir[128];
        snprintf(dir, sizeof dir, "tests/golden/%s", modern[i]);
        check_model(dir, dir, 0);
        check_approx(dir, "q8", 1, GPT_DTYPE_F32, Q8_TOL);
        check_approx(dir, "f16 cache", 0, GPT_DTYPE_F16, F16_TOL);
    }
    return check_done("test_golden");
}
