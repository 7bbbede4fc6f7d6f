/* cli_model.c — subcommands that score text rather than generate it:
 * `gpt logits`, `gpt perplexity`, and `gpt info`, which describes a model. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "cli.h"
#include "cli_chat.h"

/* Rows per forward call when every row's logits are wanted: the logits
 * buffer is this many rows of the vocabulary. */
#define SCORE_ROWS 128

/* log(sum(exp(logits))) in double, from the largest logit. */
static double logsumexp(const float *logits, int n) {
    float maxv = -FLT_MAX;
    for (int i = 0; i < n; i++)
        if (logits[i] > maxv) maxv = logits[i];
    double sum = 0;
    for (int i = 0; i < n; i++) sum += exp((double)logits[i] - maxv);
    return maxv + log(sum);
}

/* Runs ids (n) through a fresh sequence and calls score for every row's
 * logits. Returns EXIT_OK or EXIT_RUNTIME (with a diagnostic). */
typedef int (*score_fn)(void *user, int pos, const float *logits);
static int score_rows(gpt_context *ctx, const int *ids, int n, float *logits, int V, score_fn score, void *user) {
    int pos[SCORE_ROWS], seq[SCORE_ROWS];
    unsigned char want[SCORE_ROWS];
    char err[512];
    for (int start = 0; start < n; start += SCORE_ROWS) {
        int R = n - start < SCORE_ROWS ? n - start : SCORE_ROWS;
        for (int r = 0; r < R; r++) pos[r] = start + r, seq[r] = 0, want[r] = 1;
        gpt_batch b = {.n = R, .tokens = ids + start, .pos = pos, .seq = seq, .want_logits = want};
        if (gpt_forward(ctx, &b, logits, err, sizeof err) != GPT_OK) {
            cli_error("%s", err);
            return EXIT_RUNTIME;
        }
        for (int r = 0; r < R; r++)
            if (score(user, start + r, logits + (size_t)r * V)) return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

/* Opens the model and a one-sequence context for scoring. */
/* tok NULL: no tokenizer (ids in). ctx_flag: --ctx, 0 when not given. */
static int open_for_scoring(const char *model_flag, gpt_tokenizer **tok, gpt_model **model, gpt_context **ctx,
                            float **logits, long ctx_flag) {
    const char *dir = cli_model_dir(model_flag);
    *ctx = NULL;
    *logits = NULL;
    if (cli_open(dir, NULL, tok, model) != EXIT_OK) return EXIT_RUNTIME;
    char err[512];
    int n_ctx = cli_context_length(*model, ctx_flag);
    if (n_ctx < 0) return EXIT_RUNTIME;
    if (cli_context_new(ctx, *model, n_ctx, 1, SCORE_ROWS, err, sizeof err) != GPT_OK) {
        cli_error("%s", err);
        return EXIT_RUNTIME;
    }
    *logits = malloc(sizeof(float) * (size_t)SCORE_ROWS * gpt_model_config(*model)->vocab_size);
    if (!*logits) {
        cli_error("out of memory for the logits");
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

static void close_scoring(gpt_tokenizer *tok, gpt_model *model, gpt_context *ctx, float *logits) {
    free(logits);
    gpt_context_free(ctx);
    gpt_model_free(model);
    gpt_tokenizer_free(tok);
}

/* ---- gpt logits ------------------------------------------------------ */

static const char *LOGITS_USAGE =
    "gpt logits [-m MODEL] [--ids] [--special] [--top K] [--full] [--ctx N] [-t THREADS]";
static const char *LOGITS_HELP =
    "Print, for every position of the prompt on stdin, one JSON line:\n"
    "  {\"pos\":i,\"id\":token,\"logsumexp\":x,\"top\":[[id,logit],...]}\n"
    "\n"
    "options:\n"
    "  -m, --model DIR   model directory (default: $GPT_MODEL, else the bundled model)\n"
    "      --ids         stdin holds token ids (separated by whitespace or commas), not\n"
    "                    text; the model directory then needs no tokenizer files\n"
    "      --special     parse <|endoftext|> in the text as the special token\n"
    "                    (text gets what the tokenizer's post-processor adds, Llama 2's\n"
    "                    <s>, as generate's prompt does; --ids are taken as given)\n"
    "      --top K       logits listed per position, highest first (default 10)\n"
    "      --full        add \"logits\":[...] (every logit) to the last line\n"
    "      --ctx N       positions to allocate (default: the model's context, at most 4096)\n"
    "  -t, --threads N   threads (default: $GPT_THREADS, else all cores)\n"
    "  -h, --help        this help\n"
    "\n"
    "example:\n"
    "  echo -n \"Hello, my name is\" | gpt logits --top 3\n";

typedef struct {
    const int *ids;
    int n, V, top, full;
    int *order;  // (V) scratch for the top-K selection
} logits_state;

static int print_position(void *user, int pos, const float *logits) {
    logits_state *s = user;
    /* Top K by insertion into a short sorted list: K is small. */
    int k = 0;
    for (int v = 0; v < s->V && s->top > 0; v++) {
        if (k == s->top && !(logits[v] > logits[s->order[k - 1]])) continue;
        int i = k < s->top ? k++ : k - 1;
        while (i > 0 && logits[v] > logits[s->order[i - 1]]) {
            s->order[i] = s->order[i - 1];
            i--;
        }
        s->order[i] = v;
    }
    cli_printf("{\"pos\":%d,\"id\":%d,\"logsumexp\":%.9g,\"top\":[", pos, s->ids[pos], logsumexp(logits, s->V));
    for (int i = 0; i < k; i++) cli_printf("%s[%d,%.9g]", i ? "," : "", s->order[i], logits[s->order[i]]);
    cli_printf("]");
    if (s->full && pos == s->n - 1) {
        cli_printf(",\"logits\":[");
        for (int v = 0; v < s->V; v++) cli_printf("%s%.9g", v ? "," : "", logits[v]);
        cli_printf("]");
    }
    cli_printf("}\n");
    return cli_output_failed() ? -1 : 0;  // stop scoring: cli_finish says why
}

int cli_logits(int argc, char **argv) {
    enum { OPT_IDS = CLI_OPT_OWN, OPT_SPECIAL, OPT_TOP, OPT_FULL, OPT_CTX };
    static const struct option rows[] = {
        CLI_ROW_MODEL, CLI_ROW_THREADS, CLI_ROWS_WEIGHTS, CLI_ROW_HELP,
        {"ids", no_argument, NULL, OPT_IDS},
        {"ctx", required_argument, NULL, OPT_CTX},
        {"special", no_argument, NULL, OPT_SPECIAL},
        {"top", required_argument, NULL, OPT_TOP},
        {"full", no_argument, NULL, OPT_FULL},
        CLI_ROW_END,
    };
    const cli_command cmd = {"logits", LOGITS_USAGE, LOGITS_HELP, rows, 0};
    int ids_in = 0, special = 0, full = 0;
    long top = 10, ctx_flag = 0;
    cli_parse p = {0};
    for (int c; (c = cli_next_option(&cmd, argc, argv, &p)) != -1;) {
        switch (c) {
        case CLI_OPT_STOP: return p.status;
        case OPT_IDS: ids_in = 1; break;
        case OPT_SPECIAL: special = 1; break;
        case OPT_FULL: full = 1; break;
        case OPT_CTX:
            if (cli_parse_int(optarg, 1, 1 << 24, &ctx_flag))
                return cli_usage_fail(&cmd, "--ctx wants an integer in 1..%d, not '%s'", 1 << 24, optarg);
            break;
        case OPT_TOP:
            if (cli_parse_int(optarg, 0, 1000000, &top))
                return cli_usage_fail(&cmd, "--top wants an integer >= 0, not '%s'", optarg);
            break;
        }
    }
    if (p.n_args) return cli_usage_fail(&cmd, "unexpected argument '%s' (the prompt comes on stdin)", p.args[0]);
    const char *model_flag = p.model_dir;
    const long threads = p.threads;
    gpt_set_threads(cli_threads(threads));
    char *text;
    size_t len;
    if (cli_read_input(NULL, &text, &len) != EXIT_OK) return EXIT_RUNTIME;
    gpt_tokenizer *tok;
    gpt_model *model;
    gpt_context *ctx;
    float *logits;
    tok = NULL;
    int rc = open_for_scoring(model_flag, ids_in ? NULL : &tok, &model, &ctx, &logits, ctx_flag);
    int *ids = NULL;
    size_t n = 0;
    if (rc == EXIT_OK) {
        const gpt_config *cfg = gpt_model_config(model);
        char err[512];
        if (ids_in) {
            if (cli_parse_ids(text, cfg->vocab_size, &ids, &n, "stdin", err, sizeof err)) {
                cli_error("%s", err);
                rc = EXIT_RUNTIME;
            }
        } else if (gpt_tokenizer_encode_ex(tok, text, len, (special ? GPT_ENCODE_SPECIAL : 0) | GPT_ENCODE_ADD_SPECIAL, &ids,
                                           &n, err, sizeof err) != GPT_OK) {  // with the BOS, as generate's prompt
            cli_error("%s", err);
            rc = EXIT_RUNTIME;
        }
        if (rc == EXIT_OK && n == 0) {
            cli_error("stdin: no tokens to score");
            rc = EXIT_RUNTIME;
        } else if (rc == EXIT_OK && (long)n > gpt_context_n_ctx(ctx)) {
            cli_error("stdin: %zu tokens, the context holds %d", n, gpt_context_n_ctx(ctx));
            rc = EXIT_RUNTIME;
        }
        if (rc == EXIT_OK) {
            if (top > cfg->vocab_size) top = cfg->vocab_size;
            logits_state s = {.ids = ids, .n = (int)n, .V = cfg->vocab_size, .top = (int)top, .full = full};
            s.order = malloc(sizeof(int) * (size_t)(top + 1));
            rc = s.order ? score_rows(ctx, ids, (int)n, logits, cfg->vocab_size, print_position, &s)
                         : EXIT_RUNTIME;
            free(s.order);
        }
    }
    free(ids);
    free(text);
    close_scoring(tok, model, ctx, logits);
    return rc;
}

/* ---- gpt perplexity --------------------------------------------------- */

static const char *PPL_USAGE = "gpt perplexity [-m MODEL] -f FILE [--window W] [--special] [-t THREADS]";
static const char *PPL_HELP =
    "Score a text file: tokenize it into t[0..N-1], feed non-overlapping windows of W\n"
    "tokens with a fresh cache each, and score every prediction of t[1..N-1]. Prints\n"
    "  {\"tokens\":N-1,\"mean_nll\":x,\"perplexity\":y}\n"
    "The file is one text: what the post-processor adds (Llama 2's <s>) comes once,\n"
    "at its start, as HF's tokenizer(text) gives it; a BOS is never scored.\n"
    "\n"
    "options:\n"
    "  -m, --model DIR   model directory (default: $GPT_MODEL, else the bundled model)\n"
    "  -f, --file FILE   the text to score (- for stdin)\n"
    "      --window W    tokens per window (default: the context length)\n"
    "      --special     parse <|endoftext|> in the text as the special token\n"
    "  -t, --threads N   threads (default: $GPT_THREADS, else all cores)\n"
    "  -h, --help        this help\n"
    "\n"
    "example:\n"
    "  gpt perplexity -f book.txt --window 512\n";

typedef struct {
    const int *ids;      // the whole file's tokens
    int start;           // the window's first token
    int V;
    double nll;          // summed over every scored token so far
} ppl_state;

static int add_nll(void *user, int pos, const float *logits) {
    ppl_state *s = user;
    int target = s->ids[s->start + pos + 1];
    double lp = logits[target] - logsumexp(logits, s->V);
    if (!isfinite(lp)) {
        cli_error("perplexity: non-finite log-probability at token %d", s->start + pos + 1);
        return -1;
    }
    s->nll -= lp;
    return 0;
}

int cli_perplexity(int argc, char **argv) {
    enum { OPT_WINDOW = CLI_OPT_OWN, OPT_SPECIAL };
    static const struct option rows[] = {
        CLI_ROW_MODEL, CLI_ROW_THREADS, CLI_ROWS_WEIGHTS, CLI_ROW_HELP,
        {"file", required_argument, NULL, 'f'},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"special", no_argument, NULL, OPT_SPECIAL},
        CLI_ROW_END,
    };
    const cli_command cmd = {"perplexity", PPL_USAGE, PPL_HELP, rows, 0};
    const char *file = NULL;
    long window = 0;
    int special = 0;
    cli_parse p = {0};
    for (int c; (c = cli_next_option(&cmd, argc, argv, &p)) != -1;) {
        switch (c) {
        case CLI_OPT_STOP: return p.status;
        case 'f': file = optarg; break;
        case OPT_SPECIAL: special = 1; break;
        case OPT_WINDOW:
            if (cli_parse_int(optarg, 1, 1 << 30, &window))
                return cli_usage_fail(&cmd, "--window wants an integer in 1..%d, not '%s'", 1 << 30, optarg);
            break;
        }
    }
    if (p.n_args) return cli_usage_fail(&cmd, "unexpected argument '%s' (the file comes with -f)", p.args[0]);
    const char *model_flag = p.model_dir;
    const long threads = p.threads;
    if (!file) return cli_usage_fail(&cmd, "-f FILE is required");
    gpt_set_threads(cli_threads(threads));
    char *text;
    size_t len;
    if (cli_read_input(file, &text, &len) != EXIT_OK) return EXIT_RUNTIME;
    gpt_tokenizer *tok;
    gpt_model *model;
    gpt_context *ctx;
    float *logits;
    int rc = open_for_scoring(model_flag, &tok, &model, &ctx, &logits, 0);
    int *ids = NULL;
    size_t n = 0;
    char err[512];
    /* The whole file is one text: the post-processor's BOS once at its start (HF's perplexity
     * recipe, tokenizer(text) with add_special_tokens), never a target. */
    if (rc == EXIT_OK && gpt_tokenizer_encode_ex(tok, text, len, (special ? GPT_ENCODE_SPECIAL : 0) | GPT_ENCODE_ADD_SPECIAL,
                                                 &ids, &n, err, sizeof err) != GPT_OK) {
        cli_error("%s", err);
        rc = EXIT_RUNTIME;
    }
    if (rc == EXIT_OK && n < 2) {
        cli_error("%s: %zu tokens; at least 2 are needed to score one", file, n);
        rc = EXIT_RUNTIME;
    }
    if (rc == EXIT_OK) {
        int n_ctx = gpt_context_n_ctx(ctx);
        if (window == 0) window = n_ctx;
        if (window > n_ctx) {
            cli_error("--window %ld is longer than the context of %d", window, n_ctx);
            rc = EXIT_RUNTIME;
        }
    }
    if (rc == EXIT_OK) {
        const int V = gpt_model_config(model)->vocab_size;
        const long scored = (long)n - 1;
        const long n_windows = (scored + window - 1) / window;
        const int progress = !cli_quiet && isatty(STDERR_FILENO) && n_windows > 1;
        ppl_state s = {.ids = ids, .V = V};
        for (long w = 0; w < n_windows && rc == EXIT_OK; w++) {
            s.start = (int)(w * window);
            int count = (int)(scored - s.start < window ? scored - s.start : window);
            rc = score_rows(ctx, ids + s.start, count, logits, V, add_nll, &s);
            if (progress) fprintf(stderr, "\rgpt: perplexity: window %ld of %ld", w + 1, n_windows);
        }
        if (progress) fputc('\n', stderr);
        if (rc == EXIT_OK) {
            double mean = s.nll / (double)scored;
            cli_printf("{\"tokens\":%ld,\"mean_nll\":%.9g,\"perplexity\":%.9g}\n", scored, mean, exp(mean));
        }
    }
    free(ids);
    free(text);
    close_scoring(tok, model, ctx, logits);
    return rc;
}

/* ---- gpt info --------------------------------------------------------- */

static const char *INFO_USAGE = "gpt info [-m MODEL] [--ctx N] [--format text|json]";
static const char *INFO_HELP =
    "Describe a model: its family and the switches that set its math, its config,\n"
    "parameter count, dtype, bytes on disk, and the memory its weights and the KV\n"
    "cache of one sequence need.\n"
    "\n"
    "options:\n"
    "  -m, --model DIR   model directory (default: $GPT_MODEL, else the bundled model)\n"
    "      --ctx N       the context the KV cache is sized for (default: the model's\n"
    "                    context, at most 4096), as generate, logits and bench allocate it\n"
    "      --format F    text or json (jsonl is accepted too; default text)\n"
    "  -h, --help        this help\n"
    "\n"
    "The model directory needs no tokenizer files.\n"
    "\n"
    "example:\n"
    "  gpt info -m models/gpt2-books-30m\n";

/* The rotary settings in words: "theta 500000, llama3 scaling (factor 8,
 * low 1, high 4, original 64)". */
static void rope_words(const gpt_config *c, char *out, size_t len) {
    int n = snprintf(out, len, "theta %.10g", c->rope_theta);
    if (n < 0 || (size_t)n >= len) return;
    if (c->rope == GPT_ROPE_LINEAR) snprintf(out + n, len - n, ", linear scaling (factor %g)", c->rope_factor);
    else if (c->rope == GPT_ROPE_LLAMA3)
        snprintf(out + n, len - n, ", llama3 scaling (factor %g, low %g, high %g, original %d)", c->rope_factor,
                 c->rope_low_freq_factor, c->rope_high_freq_factor, c->rope_original_ctx);
}

int cli_info_cmd(int argc, char **argv) {
    enum { OPT_FORMAT = CLI_OPT_OWN, OPT_CTX };
    static const struct option rows[] = {
        CLI_ROW_MODEL, CLI_ROWS_WEIGHTS, CLI_ROW_HELP,
        {"format", required_argument, NULL, OPT_FORMAT},
        {"ctx", required_argument, NULL, OPT_CTX},
        CLI_ROW_END,
    };
    const cli_command cmd = {"info", INFO_USAGE, INFO_HELP, rows, 0};
    int json = 0;
    long ctx_flag = 0;
    cli_parse p = {0};
    for (int c; (c = cli_next_option(&cmd, argc, argv, &p)) != -1;) {
        switch (c) {
        case CLI_OPT_STOP: return p.status;
        case OPT_FORMAT:
            if (!strcmp(optarg, "json") || !strcmp(optarg, "jsonl")) json = 1;  // jsonl: generate's spelling
            else if (!strcmp(optarg, "text")) json = 0;
            else return cli_usage_fail(&cmd, "--format wants text or json, not '%s'", optarg);
            break;
        case OPT_CTX:
            if (cli_parse_int(optarg, 1, 1 << 24, &ctx_flag))
                return cli_usage_fail(&cmd, "--ctx wants an integer in 1..%d, not '%s'", 1 << 24, optarg);
            break;
        }
    }
    if (p.n_args) return cli_usage_fail(&cmd, "unexpected argument '%s' (the model comes with -m)", p.args[0]);
    const char *model_flag = p.model_dir;
    const char *dir = cli_model_dir(model_flag);
    gpt_model *model;
    gpt_load_options mapped = cli_load_options;
    mapped.map_files = 1;  // info reads no weight it does not check: a copy of them all would be waste
    if (cli_open(dir, &mapped, NULL, &model) != EXIT_OK) return EXIT_RUNTIME;
    /* The tokenizer is described when there is one; a directory of weights
     * alone (run with --ids) has none, and info says why. */
    gpt_tokenizer *tok = NULL;
    char tok_err[512];
    if (gpt_tokenizer_load(&tok, dir, tok_err, sizeof tok_err) != GPT_OK) tok = NULL;
    const gpt_config *c = gpt_model_config(model);
    int n_ctx = cli_context_length(model, ctx_flag);
    if (n_ctx < 0) {
        gpt_tokenizer_free(tok);
        gpt_model_free(model);
        return EXIT_RUNTIME;
    }
    /* Keys and values of one sequence: 2 x layers x positions x kv heads x head_dim elements. */
    double kv_bytes = (double)gpt_kv_cache_bytes_as(model, n_ctx, cli_cache_dtype);
    const double MB = 1024.0 * 1024.0;
    const char *act = c->gated_silu ? "silu (gated)" : c->gelu_exact ? "gelu" : "gelu_new";
    char rope[160] = "";
    if (c->rope != GPT_ROPE_NONE) rope_words(c, rope, sizeof rope);
    char eos[GPT_MAX_EOS * 12 + 8] = "";
    for (int i = 0, n = 0; i < c->n_eos && n >= 0 && (size_t)n < sizeof eos; i++)
        n += snprintf(eos + n, sizeof eos - n, "%s%d", i ? (json ? "," : " ") : "", c->eos_ids[i]);
    if (json) {
        cJSON *name = cJSON_CreateString(dir);
        char *quoted = name ? cJSON_PrintUnformatted(name) : NULL;  // JSON-escaped
        cJSON_Delete(name);
        cli_printf("{\"model\":%s,\"family\":\"%s\",\"n_layer\":%d,\"n_head\":%d,\"n_embd\":%d,\"n_kv_head\":%d,"
               "\"head_dim\":%d,\"n_inner\":%d,\"n_positions\":%d,\"vocab_size\":%d,\"norm\":\"%s\","
               "\"layer_norm_epsilon\":%g,\"activation\":\"%s\",\"positions\":\"%s\",\"rope_theta\":%.10g,"
               "\"rope_scaling\":\"%s\",\"qkv_bias\":%s,\"qk_norm\":%s,\"sliding_window\":%d,\"tied\":%s,"
               "\"eos\":[%s],\"params\":%zu,\"dtype\":\"%s\",\"file_bytes\":%zu,\"weight_bytes\":%zu,"
               "\"ctx\":%d,\"kv_cache_bytes\":%.0f,\"cache_type\":\"%s\",\"unused_tensors\":%d",
               quoted ? quoted : "null", gpt_arch_name(c->arch), c->n_layer, c->n_head, c->n_embd, c->n_kv_head,
               c->head_dim, c->n_inner, c->n_positions, c->vocab_size, c->rms_norm ? "rmsnorm" : "layernorm",
               c->layer_norm_epsilon, act, c->rope == GPT_ROPE_NONE ? "learned" : "rotary",
               c->rope == GPT_ROPE_NONE ? 0.0 : c->rope_theta,
               c->rope == GPT_ROPE_LINEAR ? "linear" : c->rope == GPT_ROPE_LLAMA3 ? "llama3" : "none",
               c->qkv_bias ? "true" : "false", c->qk_norm ? "true" : "false", c->sliding_window,
               c->tied ? "true" : "false", eos, gpt_model_n_params(model),
               gpt_dtype_name(gpt_model_file_dtype(model)), gpt_model_file_bytes(model),
               gpt_model_weight_bytes(model), n_ctx, kv_bytes, cli_cache_type(),
               gpt_model_unused_tensors(model, NULL));
        if (tok)
            cli_printf(",\"tokenizer\":\"%s\",\"tokenizer_vocab_size\":%d,\"bos_token_id\":%d,\"eos_token_id\":%d",
                   gpt_tokenizer_kind(tok), gpt_tokenizer_vocab_size(tok), gpt_tokenizer_bos_id(tok),
                   gpt_tokenizer_eos_id(tok));
        free(quoted);
        cli_info_chat(dir, tok, 1);  // sampling defaults, chat template
        cli_printf("}\n");
    } else {
        cli_printf("model:        %s\n", dir);
        cli_printf("family:       %s (%s, %s positions, %s MLP%s%s)\n", gpt_arch_name(c->arch),
               c->rms_norm ? "RMSNorm" : "LayerNorm", c->rope == GPT_ROPE_NONE ? "learned" : "rotary",
               c->gated_silu ? "gated SiLU" : "GELU", c->qkv_bias && c->arch != GPT_ARCH_GPT2 ? ", q/k/v biases" : "",
               c->qk_norm ? ", q/k norms" : "");
        cli_printf("layers:       %d\n", c->n_layer);
        if (c->n_kv_head == c->n_head)
            cli_printf("heads:        %d (head size %d)\n", c->n_head, c->head_dim);
        else
            cli_printf("heads:        %d query, %d kv (groups of %d; head size %d)\n", c->n_head, c->n_kv_head,
                   c->n_head / c->n_kv_head, c->head_dim);
        cli_printf("n_embd:       %d\n", c->n_embd);
        cli_printf("n_inner:      %d\n", c->n_inner);
        cli_printf("context:      %d tokens\n", c->n_positions);
        if (c->rope != GPT_ROPE_NONE) cli_printf("rope:         %s\n", rope);
        if (c->sliding_window)
            cli_printf("window:       %d positions (layers %d..%d)\n", c->sliding_window, c->window_first_layer,
                   c->n_layer - 1);
        cli_printf("vocabulary:   %d tokens\n", c->vocab_size);
        cli_printf("activation:   %s\n", c->gated_silu ? "silu (gated)" : c->gelu_exact ? "gelu (erf)" : "gelu_new (tanh)");
        cli_printf("head:         %s\n", c->tied ? "tied to the embeddings" : "untied (lm_head.weight)");
        if (c->n_eos) cli_printf("eos:          %s\n", eos);
        cli_printf("parameters:   %zu (%.1fM)\n", gpt_model_n_params(model), gpt_model_n_params(model) / 1e6);
        if (gpt_model_dtype(model) != gpt_model_file_dtype(model))
            cli_printf("dtype:        %s (%s in memory)\n", gpt_dtype_name(gpt_model_file_dtype(model)),
                   gpt_dtype_name(gpt_model_dtype(model)));
        else
            cli_printf("dtype:        %s\n", gpt_dtype_name(gpt_model_file_dtype(model)));
        cli_printf("on disk:      %.1f MB\n", gpt_model_file_bytes(model) / MB);
        cli_printf("weights:      %.1f MB in memory\n", gpt_model_weight_bytes(model) / MB);
        const char *first_unused;
        const int unused = gpt_model_unused_tensors(model, &first_unused);
        if (unused) cli_printf("unused:       %d tensors of the files (the first: %s)\n", unused, first_unused);
        cli_printf("KV cache:     %.1f MB per sequence for a context of %d tokens (--ctx), %s%s\n", kv_bytes / MB,
                   n_ctx, gpt_dtype_name(cli_cache_dtype), cli_cache_dtype == GPT_DTYPE_F32 ? "" : " (--cache-type)");
        if (!tok) cli_printf("tokenizer:    none (%s)\n", tok_err);
        if (tok) {
            cli_printf("tokenizer:    %s, %d tokens\n", gpt_tokenizer_kind(tok), gpt_tokenizer_vocab_size(tok));
            const int ends[2] = {gpt_tokenizer_bos_id(tok), gpt_tokenizer_eos_id(tok)};
            for (int k = 0; k < 2; k++) {
                if (ends[k] < 0) cli_printf("%s          none\n", k ? "EOS:" : "BOS:");
                else cli_printf("%s          %s (%d)\n", k ? "EOS:" : "BOS:", gpt_tokenizer_token_string(tok, ends[k]), ends[k]);
            }
        }
        cli_info_chat(dir, tok, 0);  // sampling defaults, chat template
    }
    gpt_model_free(model);
    gpt_tokenizer_free(tok);
    return EXIT_OK;
}
