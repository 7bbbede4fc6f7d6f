/* cli_generate.c — `gpt generate`: one prompt streamed to stdout, or with
 * --batch one request per input line, decoded side by side, one output
 * line per input line in input order. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "cli.h"
#include "cli_chat.h"
#include "cli_json.h"
#include "cli_lines.h"
#include "cli_messages.h"
#include "cli_request.h"
#include "cli_sampling.h"

static const char USAGE[] =
    "gpt generate [-m MODEL] [-p PROMPT | -f FILE] [-n N] [--temperature T] [--top-k K] [--top-p P]\n"
    "             [--seed S] [--stop STR]... [--echo] [--special] [--truncate] [--ignore-eos]\n"
    "             [--format text|jsonl] [--logprobs] [--batch [--parallel N] [--shard K/N] [--separator STR]]\n"
    "             [--messages FILE] [--chat-template FILE] [--template-var NAME=JSON]...\n"
    "             [--min-p P] [--repetition-penalty R] [--presence-penalty P] [--frequency-penalty F]\n"
    "             [--penalty-last-n N] [--logit-bias ID=B]... [--ban ID]... [-N K] [--top-logprobs K]\n"
    "             [--ids] [--ctx N] [-t THREADS] [PROMPT]";

static const char HELP[] =
    "Generate text from a prompt: tokens stream to stdout as they are made.\n"
    "\n"
    "options:\n"
    "  -m, --model DIR      model directory (default: $GPT_MODEL, else the bundled model)\n"
    "  -p, --prompt TEXT    the prompt (default: the argument, else all of stdin)\n"
    "  -f, --file FILE      read the prompt from FILE\n"
    "  -n, --max-tokens N   most tokens to generate (default 128; -1: until end of text\n"
    "                       or the context is full)\n"
    "      --temperature T  sampling temperature, 0 for greedy (default: generation_config.json's,\n"
    "                       else 0.8)\n"
    "      --top-k K        sample from the K likeliest tokens, 0 for all (default: generation_config's,\n"
    "                       else 40)\n"
    "      --top-p P        sample from the smallest set with probability >= P (default:\n"
    "                       generation_config's, else 0.95)\n"
    "      --seed S         random seed, 0..2^53-1; same seed, same output (default 0); 'random' or a\n"
    "                       negative S draws one from the system, reported as \"seed\" in\n"
    "                       jsonl and under -v\n"
    CLI_HELP_PENALTIES
    "  -N, --n K            K samples of the prompt (seeds S..S+K-1), sharing one prompt read;\n"
    "                       jsonl records with \"sample\": j (default 1)\n"
    "      --top-logprobs K with jsonl: \"top_logprobs\", the K likeliest tokens at each\n"
    "                       generated token as [id, logprob], most likely first\n"
    "      --stop STR       stop when STR appears (not printed); repeatable; \\n \\t \\\\ escapes\n"
    "      --echo           print the prompt before the completion (jsonl: a \"prompt\" field); with jsonl and\n"
    "                       --logprobs, \"prompt_logprobs\": each prompt token's log-probability\n"
    "                       after the first (-n 0: score the prompt, generate nothing)\n"
    "      --special        parse <|endoftext|> in the prompt as the special token\n"
    "      --truncate       cut a prompt too long for the context from the left\n"
    "      --ignore-eos     keep going past the end-of-text token\n"
    "      --format F       text or jsonl (json is accepted too; default text; jsonl with --batch)\n"
    "      --logprobs       with jsonl: \"logprobs\", each token's natural-log probability\n"
    "                       under the model (before temperature, top-k and top-p)\n"
    "      --batch          one request per line of stdin (or -f FILE): plain text (\\n and \\\\\n"
    "                       escapes) or a JSON object {\"prompt\",\"id\",\"max_tokens\",\"temperature\",\n"
    "                       \"top_k\",\"top_p\",\"seed\",\"stop\",\"logprobs\",\"truncate\",\"ignore_eos\",\n"
    "                       \"echo\",\"n\",\"min_p\",\"repetition_penalty\",\"presence_penalty\",\n"
    "                       \"frequency_penalty\",\"penalty_last_n\",\"logit_bias\",\"top_logprobs\"},\n"
    "                       or \"messages\" (and \"template_vars\") in place of \"prompt\";\n"
    "                       request i defaults to seed S+i\n"
    "      --parallel N     requests decoded together with --batch (default 8, at most 64)\n"
    "      --shard K/N      take only requests whose index is K modulo N\n"
    "      --separator STR  what follows each completion with --batch --format text\n"
    "                       (default \\0, a NUL byte: read with xargs -0 or read -d '')\n"
    "      --messages FILE  a conversation, JSON [{\"role\",\"content\"}, ...] or {\"messages\": [...]}\n"
    "                       (- for stdin), rendered by the model's chat template; the reply\n"
    "                       ends at the template's end-of-turn token or an eos id\n"
    "      --chat-template FILE  a Jinja chat template instead of the model's\n"
    "      --template-var NAME=JSON  one more template variable (repeatable)\n"
    "      --ids            the prompt (and each --batch prompt) is token ids separated by\n"
    "                       whitespace or commas; the completion is printed as ids (one\n"
    "                       line, space-separated; \"tokens\" in jsonl). No tokenizer needed\n"
    "      --ctx N          positions of context to allocate per sequence (default: the\n"
    "                       model's context, at most 4096)\n"
    "  -t, --threads N      threads (default: $GPT_THREADS, else all cores)\n"
    "  -h, --help           this help\n"
    "\n"
    "A PROMPT argument is the prompt, as -p gives it (put -- before one that starts\n"
    "with -); -p and a PROMPT argument together are refused. Options and the argument\n"
    "may come in any order; a value may follow = (--seed=7) or its letter (-n5).\n"
    "An empty prompt starts from <|endoftext|>. Exit status: 0 success, 1 runtime or model\n"
    "error, 2 usage error, 3 some batch requests failed.\n"
    "\n"
    "examples:\n"
    "  echo \"Once upon a time\" | gpt generate -n 50\n"
    "  gpt generate \"Once upon a time\" -n 50 --seed=7\n"
    "  gpt generate -p \"The king said\" --temperature 0 --stop \".\"\n"
    "  printf 'Hello\\n{\"prompt\":\"Hi\",\"max_tokens\":5}\\n' | gpt generate --batch\n";

#define MAX_PARALLEL 64  /* decode steps stay within ops' fixed-order kernels */

typedef struct {
    const char *model_dir;
    const char *prompt;
    const char *prompt_file;
    long max_tokens;
    cli_sampling sampling;  // --temperature ... --ban, with generation_config.json's defaults
    char *stops[CLI_MAX_STOPS];
    int n_stops;
    int echo, special, truncate, ignore_eos, batch, jsonl, logprobs;
    int ids;                // --ids: token ids in and out, no tokenizer
    long ctx;               // --ctx: positions per sequence (0: the default)
    long n_samples, top_logprobs;
    long parallel, shard_k, shard_n, threads;
    char *separator;
    size_t separator_len;
    int separator_owned;
    /* conversations */
    const char *messages_file, *chat_template_file;
    cJSON *template_vars;       // --template-var NAME=JSON..., or NULL
} options;

/* SIGINT and SIGTERM stop generation after the current step (the library
 * polls cli_signal); the finished results are written, the requests in
 * flight marked "interrupted", and then cli_finish dies by the signal. */
static void on_signal(int sig) { cli_signal = sig; }

/* ---- one request's life ------------------------------------------- */

typedef struct {
    long index;
    cli_request req;        // the request's settings, stop strings and "id"
    int *ids;               // (n_ids) the prompt's tokens
    size_t n_ids;
    char *output;           // the finished output record, waiting for its turn
    size_t output_len;
    int failed;
    int n_samples;          // results the job waits for (the request's "n")
    int n_done;
    char **sample_out;      // (n_samples) each sample's record, joined in order when all are done
    size_t *sample_len;     // (n_samples)
} job;

static void job_free(job *j) {
    if (!j) return;
    cli_request_free(&j->req);
    free(j->ids);
    free(j->output);
    if (j->sample_out)
        for (int i = 0; i < j->n_samples; i++) free(j->sample_out[i]);
    free(j->sample_out);
    free(j->sample_len);
    free(j);
}

typedef struct {
    const options *opt;
    gpt_tokenizer *tok;
    const gpt_config *cfg;
    int n_ctx;
    int eot;
    int max_token_bytes;    // the longest token's bytes
    /* batch input */
    cli_lines in;
    long next_index;        // index of the next input line
    long in_flight;         // requests handed to gpt_generate and not yet done
    /* in-order output */
    job **waiting;          // (cap) finished jobs by index - first_unprinted
    long first_unprinted;
    long cap;
    int any_failed;
    int out_closed;         // a write to stdout failed: stop (cli_finish says why)
    int out_of_memory;      // a finished result could not be kept: stop, exit 1
    /* single mode */
    job *single;
    char held[3];           // (n_held) a character cut short at the end of the text so far
    size_t n_held;
    int context_full;
    /* conversations */
    cli_chat_template chat;      // the model's template (chat.tpl NULL when it has none)
    int end_ids[CLI_MAX_END_IDS]; // (n_end_ids) ids that end a reply besides the eos ids
    int n_end_ids;
    /* -v's summary */
    long stat_prompt, stat_generated;
    double t_first;         // when the first completion bytes (or token) came; 0: not yet
} run_state;

/* Tokenizes a prompt into j->ids: <|endoftext|> for an empty prompt, cut
 * from the left with --truncate. Returns 0, or -1 with msg set. */
static int prepare_prompt(run_state *rs, job *j, const char *text, size_t len, long max_new, char *msg,
                          size_t msg_len) {
    char err[512];
    int *ids = NULL;
    size_t n = 0;
    if (rs->opt->ids) {  // token ids, not text
        char *copy = malloc(len + 1);
        if (!copy) { snprintf(msg, msg_len, "out of memory"); return -1; }
        memcpy(copy, text, len);
        copy[len] = '\0';
        int bad = cli_parse_ids(copy, rs->cfg->vocab_size, &ids, &n, "prompt", msg, msg_len);
        free(copy);
        if (bad) return -1;
        if (n == 0) {
            free(ids);
            snprintf(msg, msg_len, "prompt: no token ids (--ids)");
            return -1;
        }
        goto have_ids;
    }
    /* No token is longer than max_token_bytes, so a text longer than the
     * context times that cannot fit: say so (or keep only its tail) before
     * spending time and memory tokenizing it all. */
    size_t most = (size_t)rs->n_ctx * (size_t)rs->max_token_bytes;
    if (len > most) {
        if (!j->req.truncate) {
            snprintf(msg, msg_len, "prompt of %zu bytes is longer than the context of %d tokens can hold "
                     "(use --truncate to cut it)", len, rs->n_ctx);
            return -1;
        }
        text += len - most;
        len = most;
    }
    /* What HF's tokenizer(prompt) adds, too: the post-processor's BOS (Llama 2's <s>). */
    const int flags = (rs->opt->special ? GPT_ENCODE_SPECIAL : 0) | GPT_ENCODE_ADD_SPECIAL;
    if (gpt_tokenizer_encode_ex(rs->tok, text, len, flags, &ids, &n, err, sizeof err) != GPT_OK) {
        snprintf(msg, msg_len, "%s", err);
        return -1;
    }
    if (n == 0) {  // nothing to condition on: start from end-of-text, as GPT-2 does
        free(ids);
        ids = malloc(sizeof(int));
        if (!ids) { snprintf(msg, msg_len, "out of memory"); return -1; }
        ids[0] = rs->eot >= 0 ? rs->eot : 0;
        n = 1;
    }
have_ids:
    if ((long)n > rs->n_ctx || (j->req.truncate && max_new > 0 && (long)n + max_new > rs->n_ctx)) {
        if (!j->req.truncate) {
            snprintf(msg, msg_len, "prompt has %zu tokens, the context holds %d (use --truncate to cut it)", n,
                     rs->n_ctx);
            free(ids);
            return -1;
        }
        long room = max_new < 0 ? rs->n_ctx / 2 : max_new;  // leave room for the completion
        if (room > rs->n_ctx - 1) room = rs->n_ctx - 1;
        size_t keep = (size_t)(rs->n_ctx - room);
        if (keep < n) {
            memmove(ids, ids + (n - keep), keep * sizeof(int));
            n = keep;
        }
    }
    j->ids = ids;
    j->n_ids = n;
    return 0;
}

/* Renders a conversation (a --messages file or a line's "messages") with
 * the chat template and tokenizes it as apply_chat_template does: specials
 * parsed, no BOS beyond the template's. Returns 0, or -1 with msg set. */
static int prepare_conversation(run_state *rs, job *j, char *msg, size_t msg_len) {
    char *text;
    size_t len;
    if (!rs->tok) {
        snprintf(msg, msg_len, "\"messages\" need the tokenizer: not with --ids");
        return -1;
    }
    if (cli_chat_render(&rs->chat, j->req.messages, 1, rs->opt->template_vars, j->req.template_vars, &text, &len,
                        msg, msg_len) != 0)
        return -1;
    int rc = cli_chat_encode(rs->tok, text, len, &j->ids, &j->n_ids, msg, msg_len);
    free(text);
    if (rc == 0 && (long)j->n_ids >= rs->n_ctx) {  // cutting a conversation would break its template
        snprintf(msg, msg_len, "the conversation has %zu tokens, the context holds %d", j->n_ids, rs->n_ctx);
        rc = -1;
    }
    if (rc == 0 && j->n_ids == 0) {
        snprintf(msg, msg_len, "the chat template rendered the conversation as nothing");
        rc = -1;
    }
    return rc;
}

static void fill_request(const options *o, job *j, gpt_request *req) {
    const cli_request *r = &j->req;
    memset(req, 0, sizeof *req);
    req->prompt = j->ids;
    req->n_prompt = (int)j->n_ids;
    req->max_new_tokens = (int)r->max_tokens;
    req->sampling.temperature = (float)r->temperature;
    req->sampling.top_k = (int)r->top_k;
    req->sampling.top_p = (float)r->top_p;
    req->sampling.seed = r->seed;
    req->stop = r->stops;
    req->n_stop = r->n_stops;
    req->ignore_eos = r->ignore_eos;
    req->logprobs = r->logprobs && o->jsonl;  // text output has no place for them
    req->user = j;
    req->sampling.min_p = (float)r->min_p;
    req->sampling.repetition_penalty = (float)r->repetition_penalty;
    req->sampling.presence_penalty = (float)r->presence_penalty;
    req->sampling.frequency_penalty = (float)r->frequency_penalty;
    req->sampling.penalty_last_n = (int)r->penalty_last_n;
    req->sampling.bias_ids = r->bias_ids;
    req->sampling.bias_values = r->bias_values;
    req->sampling.n_bias = r->n_bias;
    req->n_samples = (int)r->n;
    req->top_logprobs = o->jsonl ? (int)r->top_logprobs : 0;
    req->prompt_logprobs = o->jsonl && r->echo && r->logprobs;
}

/* A conversation's reply also ends at the template's end of turn. */
static void fill_chat_request(run_state *rs, job *j, gpt_request *req) {
    fill_request(rs->opt, j, req);
    if (j->req.messages) {
        req->end_ids = rs->end_ids;
        req->n_end_ids = rs->n_end_ids;
    }
}

/* Makes room for a job's n sample records. Returns 0, or -1. */
static int job_samples(job *j) {
    j->n_samples = j->req.n > 1 ? (int)j->req.n : 1;
    j->sample_out = calloc((size_t)j->n_samples, sizeof *j->sample_out);
    j->sample_len = calloc((size_t)j->n_samples, sizeof *j->sample_len);
    return j->sample_out && j->sample_len ? 0 : -1;
}

/* The command line's settings, which every request starts from. */
static cli_request_defaults defaults_of(const options *o) {
    const cli_sampling *s = &o->sampling;
    return (cli_request_defaults){.max_tokens = o->max_tokens, .temperature = s->temperature, .top_p = s->top_p,
                                  .top_k = s->top_k, .seed = s->seed, .stops = (const char *const *)o->stops,
                                  .n_stops = o->n_stops, .logprobs = o->logprobs, .truncate = o->truncate,
                                  .ignore_eos = o->ignore_eos, .echo = o->echo, .n = o->n_samples,
                                  .top_logprobs = o->top_logprobs, .min_p = s->min_p,
                                  .repetition_penalty = s->repetition_penalty,
                                  .presence_penalty = s->presence_penalty,
                                  .frequency_penalty = s->frequency_penalty, .penalty_last_n = s->penalty_last_n,
                                  .bias_ids = s->bias_ids, .bias_values = s->bias_values, .n_bias = s->n_bias};
}

/* ---- output in input order ------------------------------------------ */

static void write_ready(run_state *rs) {
    while (rs->cap > 0 && rs->waiting[0]) {
        job *j = rs->waiting[0];
        if (!j->output) rs->out_of_memory = 1;  // its record could not be made: never skip one silently
        if (!rs->out_closed && !rs->out_of_memory) {
            if (cli_write(j->output, j->output_len) != 0 || cli_flush() != 0) rs->out_closed = 1;
        }
        job_free(j);
        memmove(rs->waiting, rs->waiting + 1, sizeof(job *) * (size_t)(rs->cap - 1));
        rs->waiting[rs->cap - 1] = NULL;
        rs->first_unprinted++;
        /* skip indices that belong to other shards */
        while (rs->opt->shard_n > 1 && rs->first_unprinted % rs->opt->shard_n != rs->opt->shard_k)
            rs->first_unprinted++;
    }
}

static int hand_in(run_state *rs, job *j) {
    long slot = j->index - rs->first_unprinted;
    if (rs->opt->shard_n > 1) slot /= rs->opt->shard_n;
    if (slot >= rs->cap) {
        long cap = rs->cap ? rs->cap : 64;
        while (cap <= slot) cap *= 2;
        job **w = realloc(rs->waiting, sizeof(job *) * (size_t)cap);
        if (!w) {
            rs->out_of_memory = 1;  // the records after this one would wait for it forever
            return -1;
        }
        memset(w + rs->cap, 0, sizeof(job *) * (size_t)(cap - rs->cap));
        rs->waiting = w;
        rs->cap = cap;
    }
    rs->waiting[slot] = j;
    write_ready(rs);
    return 0;
}

/* The output record of a finished (or failed) request, or of one of its
 * samples, into *out (malloc'd, *out_len bytes; NULL when out of memory). */
static void format_record(run_state *rs, job *j, const gpt_result *res, const char *error, char **out,
                          size_t *out_len) {
    const options *o = rs->opt;
    *out = NULL;
    *out_len = 0;
    if (error && !o->jsonl && !rs->out_closed)  // (after a failed write, only that is said)
        cli_error("request %ld: %s", j->index, error);  // text records cannot carry it
    if (error) res = NULL;  // a failed request's record is its error alone
    if (!o->jsonl && o->ids) {  // the ids, space-separated, then (--batch) the separator
        size_t n_tokens = res ? (size_t)res->n_tokens : 0, len = 0;
        char *buf = malloc(n_tokens * 12 + o->separator_len + 1);
        if (!buf) return;
        for (size_t i = 0; i < n_tokens; i++) len += (size_t)sprintf(buf + len, i ? " %d" : "%d", res->tokens[i]);
        if (o->batch) memcpy(buf + len, o->separator, o->separator_len);
        *out = buf;
        *out_len = len + (o->batch ? o->separator_len : 0);
        return;
    }
    if (!o->jsonl) {
        const char *text = res ? res->text : "";
        size_t len = res ? res->text_len : 0;
        len -= cli_utf8_cut_tail(text, len);  // whole characters only, as when streaming
        size_t echo = res && j->req.echo && o->batch ? j->req.prompt_len : 0;  // single mode echoes up front
        char *buf = malloc(echo + len + o->separator_len + 1);
        if (!buf) return;
        if (echo) memcpy(buf, j->req.prompt, echo);
        memcpy(buf + echo, text, len);
        memcpy(buf + echo + len, o->separator, o->separator_len);
        *out = buf;
        *out_len = echo + len + o->separator_len;
        return;
    }
    cJSON *obj = cJSON_CreateObject();
    if (o->batch) cJSON_AddNumberToObject(obj, "index", (double)j->index);
    if (j->req.id) cJSON_AddItemToObject(obj, "id", cJSON_Duplicate(j->req.id, 1));
    else if (o->batch) cJSON_AddNullToObject(obj, "id");
    if (res && j->n_samples > 1) cJSON_AddNumberToObject(obj, "sample", res->sample);
    if (res && o->sampling.seed_random) {  // as an integer: cJSON would write 16 digits as 5.99e+15
        char seed[32];
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)res->seed);
        cJSON_AddRawToObject(obj, "seed", seed);
    }
    if (res && j->req.echo && j->req.prompt) cli_json_add_text(obj, "prompt", j->req.prompt, j->req.prompt_len);
    if (res) {
        cli_json_add_text(obj, "completion", res->text, res->text_len);
        cJSON *toks = cJSON_AddArrayToObject(obj, "tokens");
        for (int i = 0; i < res->n_tokens; i++) cJSON_AddItemToArray(toks, cJSON_CreateNumber(res->tokens[i]));
        if (res->logprobs) {
            cJSON *lps = cJSON_AddArrayToObject(obj, "logprobs");
            for (int i = 0; i < res->n_tokens; i++) cJSON_AddItemToArray(lps, cJSON_CreateNumber(res->logprobs[i]));
        }
        if (res->top_ids) {
            cJSON *tops = cJSON_AddArrayToObject(obj, "top_logprobs");
            for (int i = 0; i < res->n_tokens; i++) {
                cJSON *at = cJSON_CreateArray();
                for (int k = 0; k < res->n_top; k++) {
                    cJSON *pair = cJSON_CreateArray();
                    cJSON_AddItemToArray(pair, cJSON_CreateNumber(res->top_ids[(size_t)i * res->n_top + k]));
                    cJSON_AddItemToArray(pair, cJSON_CreateNumber(res->top_logprobs[(size_t)i * res->n_top + k]));
                    cJSON_AddItemToArray(at, pair);
                }
                cJSON_AddItemToArray(tops, at);
            }
        }
        if (res->prompt_logprobs) {
            cJSON *plps = cJSON_AddArrayToObject(obj, "prompt_logprobs");
            for (int i = 0; i + 1 < res->prompt_tokens; i++)
                cJSON_AddItemToArray(plps, cJSON_CreateNumber(res->prompt_logprobs[i]));
        }
        cJSON_AddStringToObject(obj, "finish_reason", gpt_finish_name(res->finish));
    }
    if (error) cJSON_AddStringToObject(obj, "error", error);
    if (res) {
        cJSON *usage = cJSON_AddObjectToObject(obj, "usage");
        cJSON_AddNumberToObject(usage, "prompt_tokens", res->prompt_tokens);
        cJSON_AddNumberToObject(usage, "completion_tokens", res->n_tokens);
    }
    char *text = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    if (!text) return;
    size_t n = strlen(text);
    *out = malloc(n + 2);
    if (*out) {
        memcpy(*out, text, n);
        (*out)[n] = '\n';
        *out_len = n + 1;
    }
    free(text);
}

/* The record of a request that failed before it ran. */
static void format_output(run_state *rs, job *j, const gpt_result *res, const char *error) {
    format_record(rs, j, res, error, &j->output, &j->output_len);
}

/* One sample of a job finished: keeps its record; returns 1 when it was the
 * last, with j->output then holding every sample's record in sample order. */
static int sample_done(run_state *rs, job *j, const gpt_result *res, const char *error) {
    int k = res->sample >= 0 && res->sample < j->n_samples ? res->sample : 0;
    format_record(rs, j, res, error, &j->sample_out[k], &j->sample_len[k]);
    if (++j->n_done < j->n_samples) return 0;
    size_t total = 0;
    for (int i = 0; i < j->n_samples; i++) total += j->sample_len[i];
    free(j->output);
    j->output = malloc(total + 1);
    j->output_len = 0;
    for (int i = 0; j->output && i < j->n_samples; i++) {
        if (j->sample_out[i]) memcpy(j->output + j->output_len, j->sample_out[i], j->sample_len[i]);
        j->output_len += j->sample_len[i];
    }
    if (!j->output) j->output_len = 0;
    return 1;
}

static void fail_job(run_state *rs, job *j, const char *error) {
    j->failed = 1;
    rs->any_failed = 1;
    format_output(rs, j, NULL, error);
    if (hand_in(rs, j) != 0) job_free(j);
}

/* ---- batch input ------------------------------------------------------ */

/* gpt_generate_io.next for --batch: the next good request of this shard;
 * bad lines get their error record on the way. */
static int batch_next(void *user, gpt_request *req) {
    run_state *rs = user;
    const options *o = rs->opt;
    while (!cli_signal && !rs->out_closed && !rs->out_of_memory) {
        /* With requests in flight, take only a line that is already there,
         * so a producer waiting for an answer gets it; else wait for one. */
        char *line;
        size_t n;
        int got = cli_lines_next(&rs->in, rs->in_flight == 0, &line, &n);
        if (got == CLI_LINE_LATER) return GPT_NEXT_LATER;
        if (got != CLI_LINE_OK) return 0;
        long index = rs->next_index++;
        if (o->shard_n > 1 && index % o->shard_n != o->shard_k) continue;
        if (n > 0 && line[n - 1] == '\r') line[--n] = '\0';
        job *j = calloc(1, sizeof *j);
        if (!j) return 0;
        j->index = index;
        char msg[600];
        const cli_request_defaults def = defaults_of(o);
        if (cli_request_parse(line, n, index, &def, &j->req, msg, sizeof msg) != 0 ||
            (j->req.messages ? prepare_conversation(rs, j, msg, sizeof msg)
                             : prepare_prompt(rs, j, j->req.prompt, j->req.prompt_len, j->req.max_tokens, msg,
                                              sizeof msg)) != 0) {
            fail_job(rs, j, msg);
            continue;
        }
        if (j->req.n > o->parallel) {
            snprintf(msg, sizeof msg, "\"n\": %ld samples need --parallel %ld or more (it is %ld)", j->req.n,
                     j->req.n, o->parallel);
            fail_job(rs, j, msg);
            continue;
        }
        if (job_samples(j) != 0) {
            fail_job(rs, j, "out of memory");
            continue;
        }
        fill_chat_request(rs, j, req);
        rs->in_flight++;
        return 1;
    }
    return 0;
}

/* For -v's summary: counts a finished sample, notes the first token's time. */
static void count_result(run_state *rs, const gpt_result *res) {
    if (res->status != GPT_OK) return;
    if (res->sample == 0) rs->stat_prompt += res->prompt_tokens;  // read once for all samples
    rs->stat_generated += res->n_tokens;
    if (res->n_tokens > 0 && rs->t_first == 0) rs->t_first = cli_now();
}

static int note_text(run_state *rs) {
    if (rs->t_first == 0) rs->t_first = cli_now();
    return rs->out_closed;
}

static int batch_text(void *user, const gpt_request *req, const char *bytes, size_t len) {
    (void)req, (void)bytes, (void)len;
    return note_text(user);
}

static int batch_done(void *user, const gpt_request *req, const gpt_result *res) {
    run_state *rs = user;
    job *j = req->user;
    count_result(rs, res);
    if (res->status != GPT_OK) {
        j->failed = 1;
        rs->any_failed = 1;
    }
    if (!sample_done(rs, j, res, res->status != GPT_OK ? res->error : NULL)) return rs->out_closed;
    rs->in_flight--;
    if (hand_in(rs, j) != 0) job_free(j);
    return rs->out_closed || rs->out_of_memory;
}

/* ---- single prompt ------------------------------------------------------ */

static int single_next(void *user, gpt_request *req) {
    run_state *rs = user;
    if (!rs->single) return 0;
    job *j = rs->single;
    rs->single = NULL;
    fill_chat_request(rs, j, req);
    return 1;
}

static int single_text(void *user, const gpt_request *req, const char *bytes, size_t len) {
    (void)req;
    run_state *rs = user;
    note_text(rs);
    if (rs->opt->jsonl || rs->out_closed) return rs->out_closed;
    /* Whole characters only: the library streams them so, but a completion
     * that ends inside a character ends with its first bytes. Hold a cut
     * tail back until the bytes after it come; at the end it is dropped. */
    char tail[6];  // (k) the last bytes of held + bytes
    size_t k = 0;
    for (size_t i = rs->n_held + len - (rs->n_held + len < 3 ? rs->n_held + len : 3); i < rs->n_held + len; i++)
        tail[k++] = i < rs->n_held ? rs->held[i] : bytes[i - rs->n_held];
    size_t cut = cli_utf8_cut_tail(tail, k);  // <= 3 bytes at the end of held + bytes
    size_t held_out = cut > len ? rs->n_held - (cut - len) : rs->n_held;  // held bytes that go out now
    if (cli_write(rs->held, held_out) != 0 || cli_write(bytes, cut > len ? 0 : len - cut) != 0 || cli_flush() != 0)
        rs->out_closed = 1;
    memcpy(rs->held, tail + k - cut, cut);
    rs->n_held = cut;
    return rs->out_closed;
}

static int single_done(void *user, const gpt_request *req, const gpt_result *res) {
    run_state *rs = user;
    job *j = req->user;
    count_result(rs, res);
    if (res->status != GPT_OK) {
        rs->any_failed = 1;
        /* said on stderr in either format (jsonl's record carries it too);
         * an interruption is said once, at the end */
        if (res->status != GPT_ERR_CANCELLED) cli_error("%s", res->error);
    }
    if (res->finish == GPT_FINISH_CONTEXT) rs->context_full = 1;
    if (rs->opt->jsonl) {
        if (!sample_done(rs, j, res, res->status != GPT_OK ? res->error : NULL)) return 0;
        if (!j->output) rs->out_of_memory = 1;
        else if (cli_write(j->output, j->output_len) != 0) rs->out_closed = 1;
    } else if (rs->opt->ids) {  // the ids on one line (the error, if any, was said above)
        if (!sample_done(rs, j, res, NULL)) return 0;
        if (!rs->out_closed && (!j->output || cli_write(j->output, j->output_len) != 0 || cli_write("\n", 1) != 0))
            rs->out_closed = 1;
    } else if (!rs->out_closed && res->status == GPT_OK && isatty(STDOUT_FILENO) && cli_write("\n", 1) != 0) {
        rs->out_closed = 1;  // a newline for the terminal's sake; pipes get the exact bytes
    }
    if (cli_flush() != 0) rs->out_closed = 1;
    job_free(j);
    return 0;
}

/* ---- flags ----------------------------------------------------------- */

enum {
    OPT_STOP = CLI_OPT_OWN, OPT_ECHO, OPT_SPECIAL, OPT_TRUNCATE,
    OPT_IGNORE_EOS, OPT_BATCH, OPT_LOGPROBS, OPT_FORMAT, OPT_PARALLEL, OPT_SHARD, OPT_SEPARATOR, OPT_TOP_LOGPROBS,
    OPT_MESSAGES, OPT_CHAT_TEMPLATE, OPT_TEMPLATE_VAR, OPT_IDS, OPT_CTX
};
static const struct option ROWS[] = {
    CLI_ROW_MODEL, CLI_ROW_THREADS, CLI_ROWS_WEIGHTS, CLI_ROW_HELP,
    {"prompt", required_argument, NULL, 'p'},
    {"file", required_argument, NULL, 'f'},
    {"max-tokens", required_argument, NULL, 'n'},
    CLI_ROWS_SAMPLING,
    {"stop", required_argument, NULL, OPT_STOP},
    {"echo", no_argument, NULL, OPT_ECHO},
    {"special", no_argument, NULL, OPT_SPECIAL},
    {"truncate", no_argument, NULL, OPT_TRUNCATE},
    {"ignore-eos", no_argument, NULL, OPT_IGNORE_EOS},
    {"batch", no_argument, NULL, OPT_BATCH},
    {"logprobs", no_argument, NULL, OPT_LOGPROBS},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"parallel", required_argument, NULL, OPT_PARALLEL},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"separator", required_argument, NULL, OPT_SEPARATOR},
    {"messages", required_argument, NULL, OPT_MESSAGES},
    {"chat-template", required_argument, NULL, OPT_CHAT_TEMPLATE},
    {"template-var", required_argument, NULL, OPT_TEMPLATE_VAR},
    {"n", required_argument, NULL, 'N'},
    {"top-logprobs", required_argument, NULL, OPT_TOP_LOGPROBS},
    {"ids", no_argument, NULL, OPT_IDS},
    {"ctx", required_argument, NULL, OPT_CTX},
    CLI_ROW_END,
};
static const cli_command CMD = {"generate", USAGE, HELP, ROWS, 0};

/* Returns 0 to go on, -1 after --help, or EXIT_USAGE after a diagnostic. */
static int parse_flags(int argc, char **argv, options *o) {
    *o = (options){.max_tokens = 128, .parallel = 8, .shard_n = 1, .separator_len = 1, .jsonl = -1, .n_samples = 1};
    cli_sampling_init(&o->sampling);
    static char nul_separator[1] = {0};
    o->separator = nul_separator;
    cli_parse p = {0};
    const char *batch_only = NULL;  // the last flag given that means something only with --batch
    for (int c; (c = cli_next_option(&CMD, argc, argv, &p)) != -1;) {
        const char *v = optarg;
        int taken = cli_sampling_option(&CMD, c, v, &o->sampling);
        if (taken >= 0) {
            if (taken != 0) return taken;
            continue;
        }
        switch (c) {
        case CLI_OPT_STOP: return p.status == EXIT_OK ? -1 : p.status;
        case 'p': o->prompt = v; break;
        case 'f': o->prompt_file = v; break;
        case 'n':
            if (cli_parse_int(v, -1, CLI_MAX_TOKENS, &o->max_tokens))
                return cli_usage_fail(&CMD, "-n wants an integer in -1..%d (-1: no limit), not '%s'", CLI_MAX_TOKENS, v);
            break;
        case 'N':
            if (cli_parse_int(v, 1, CLI_MAX_SAMPLES, &o->n_samples))
                return cli_usage_fail(&CMD, "-N wants an integer in 1..%d, not '%s'", CLI_MAX_SAMPLES, v);
            break;
        case OPT_TOP_LOGPROBS:
            if (cli_parse_int(v, 0, CLI_MAX_TOP_LOGPROBS, &o->top_logprobs))
                return cli_usage_fail(&CMD, "--top-logprobs wants an integer in 0..%d, not '%s'",
                                      CLI_MAX_TOP_LOGPROBS, v);
            break;
        case OPT_STOP:
            if (!*v) return cli_usage_fail(&CMD, "--stop wants a non-empty string (an empty one would stop at once)");
            if (o->n_stops >= CLI_MAX_STOPS) return cli_usage_fail(&CMD, "at most %d --stop strings", CLI_MAX_STOPS);
            o->stops[o->n_stops] = strdup(v);
            if (!o->stops[o->n_stops]) return cli_usage_fail(&CMD, "out of memory");
            cli_unescape(o->stops[o->n_stops++]);
            break;
        case OPT_ECHO: o->echo = 1; break;
        case OPT_SPECIAL: o->special = 1; break;
        case OPT_TRUNCATE: o->truncate = 1; break;
        case OPT_IGNORE_EOS: o->ignore_eos = 1; break;
        case OPT_BATCH: o->batch = 1; break;
        case OPT_LOGPROBS: o->logprobs = 1; break;
        case OPT_IDS: o->ids = 1; break;
        case OPT_CTX:
            if (cli_parse_int(v, 1, 1 << 24, &o->ctx))
                return cli_usage_fail(&CMD, "--ctx wants an integer in 1..%d, not '%s'", 1 << 24, v);
            break;
        case OPT_FORMAT:
            if (!strcmp(v, "text")) o->jsonl = 0;
            else if (!strcmp(v, "jsonl") || !strcmp(v, "json")) o->jsonl = 1;  // json: info's spelling
            else return cli_usage_fail(&CMD, "--format wants text or jsonl, not '%s'", v);
            break;
        case OPT_PARALLEL:
            batch_only = "--parallel";
            if (cli_parse_int(v, 1, MAX_PARALLEL, &o->parallel))
                return cli_usage_fail(&CMD, "--parallel wants an integer in 1..%d, not '%s'", MAX_PARALLEL, v);
            break;
        case OPT_SHARD: {
            batch_only = "--shard";
            const char *slash = strchr(v, '/');
            char buf[64];
            snprintf(buf, sizeof buf, "%.*s", slash ? (int)(slash - v) : 0, v);
            if (!slash || cli_parse_int(buf, 0, 1000000, &o->shard_k) ||
                cli_parse_int(slash + 1, 1, 1000000, &o->shard_n) || o->shard_k >= o->shard_n)
                return cli_usage_fail(&CMD, "--shard wants K/N with 0 <= K < N, not '%s'", v);
            break;
        }
        case OPT_SEPARATOR:
            batch_only = "--separator";
            if (o->separator_owned) free(o->separator);
            o->separator = strdup(v);
            if (!o->separator) return cli_usage_fail(&CMD, "out of memory");
            o->separator_len = cli_unescape(o->separator);
            o->separator_owned = 1;
            break;
        case OPT_MESSAGES: o->messages_file = v; break;
        case OPT_CHAT_TEMPLATE: o->chat_template_file = v; break;
        case OPT_TEMPLATE_VAR: {
            char msg[600];
            if (cli_template_var_add(&o->template_vars, v, msg, sizeof msg) != 0) return cli_usage_fail(&CMD, "%s", msg);
            break;
        }
        }
    }
    o->model_dir = p.model_dir;
    o->threads = p.threads;
    /* One argument that is not an option is the prompt, as -p gives it. */
    if (p.n_args >= 1 && o->prompt)
        return cli_usage_fail(&CMD, "give the prompt once: -p '%s' or the argument '%s', not both", o->prompt,
                              p.args[0]);
    if (p.n_args > 1)
        return cli_usage_fail(&CMD, "one prompt argument, not %d (quote the prompt: gpt generate \"%s %s ...\")",
                              p.n_args, p.args[0], p.args[1]);
    if (p.n_args == 1) {
        if (o->prompt_file) return cli_usage_fail(&CMD, "give -f or a prompt argument, not both");
        if (o->batch) return cli_usage_fail(&CMD, "--batch reads requests from stdin; a prompt argument does not apply");
        o->prompt = p.args[0];
    }
    if (o->prompt && o->prompt_file) return cli_usage_fail(&CMD, "give -p or -f, not both");
    if (o->messages_file && (o->prompt || o->prompt_file || o->batch))
        return cli_usage_fail(&CMD, "--messages is the whole input: not with -p, -f, a prompt argument or --batch");
    if (o->messages_file && o->echo)
        return cli_usage_fail(&CMD, "--echo does not apply to --messages ('gpt template' prints the prompt)");
    if ((o->chat_template_file || o->template_vars) && !o->messages_file && !o->batch)
        return cli_usage_fail(&CMD, "--chat-template and --template-var apply to --messages and --batch");
    if (o->batch && o->prompt)
        return cli_usage_fail(&CMD, "--batch reads requests from stdin or -f FILE; -p does not apply");
    if (!o->batch && batch_only)
        return cli_usage_fail(&CMD, "%s applies only to --batch (one prompt is one request)", batch_only);
    /* With --ids there is no tokenizer: no text to stop on, echo or parse. */
    if (o->ids && (o->n_stops || o->echo || o->special || o->messages_file))
        return cli_usage_fail(&CMD, "--ids has no text: --stop, --echo, --special and --messages do not apply");
    if (o->jsonl < 0) o->jsonl = o->batch;
    if (o->logprobs && !o->jsonl) return cli_usage_fail(&CMD, "--logprobs needs --format jsonl");
    if (o->top_logprobs && !o->jsonl) return cli_usage_fail(&CMD, "--top-logprobs needs --format jsonl");
    if (!o->batch && o->n_samples > 1 && !o->jsonl)
        return cli_usage_fail(&CMD, "-N %ld needs --format jsonl (or --batch): the samples are records",
                              o->n_samples);
    if (!o->batch) o->parallel = o->n_samples;
    return 0;
}

/* What parse_flags allocated. */
static void options_free(options *o) {
    for (int i = 0; i < o->n_stops; i++) free(o->stops[i]);
    if (o->separator_owned) free(o->separator);
    cJSON_Delete(o->template_vars);
}

int cli_generate(int argc, char **argv) {
    options o;
    int rc = parse_flags(argc, argv, &o);
    if (rc) {
        options_free(&o);
        return rc < 0 ? EXIT_OK : rc;
    }
    gpt_set_threads(cli_threads(o.threads));

    /* Read the prompt before loading, so a bad file fails fast. */
    char *text = NULL;
    size_t text_len = 0;
    cJSON *conversation = NULL;  // --messages: the whole document
    const cJSON *messages = NULL;
    if (o.messages_file) {
        if (cli_messages_read(o.messages_file, &conversation, &messages) != EXIT_OK) {
            options_free(&o);
            return EXIT_RUNTIME;
        }
    } else if (!o.batch) {
        if (o.prompt) {
            text = strdup(o.prompt);
            text_len = strlen(o.prompt);
        } else if (cli_read_input(o.prompt_file, &text, &text_len) != EXIT_OK) {
            options_free(&o);  // these early returns used to leak --stop and --separator
            return EXIT_RUNTIME;
        }
    }

    const char *dir = cli_model_dir(o.model_dir);
    gpt_tokenizer *tok = NULL;
    gpt_model *model;
    if (cli_open(dir, NULL, o.ids ? NULL : &tok, &model) != EXIT_OK) {
        free(text);
        cJSON_Delete(conversation);
        options_free(&o);
        return EXIT_RUNTIME;
    }
    const gpt_config *cfg = gpt_model_config(model);
    char err[1024];
    gpt_context *ctx = NULL;
    run_state rs = {.opt = &o, .tok = tok, .cfg = cfg, .first_unprinted = o.shard_n > 1 ? o.shard_k : 0};
    int in_fd = STDIN_FILENO;
    cli_lines_init(&rs.in, in_fd);
    /* generation_config.json's sampling settings, for what the command line left unset. */
    cli_gen_defaults gd;
    if (cli_gen_defaults_load(&gd, dir) != EXIT_OK) {
        rc = EXIT_RUNTIME;
        goto out;
    }
    cli_sampling_apply_defaults(&o.sampling, &gd);
    if (cli_verbose) {
        char desc[256];
        cli_gen_defaults_describe(&gd, desc, sizeof desc);
        if (*desc) cli_info("generation_config.json: %s", desc);
    }
    /* The chat template, for --messages and for "messages" in a batch. */
    if (o.messages_file || o.batch) {
        if (cli_chat_template_load(&rs.chat, dir, o.chat_template_file) != EXIT_OK) {
            rc = EXIT_RUNTIME;
            goto out;
        }
        if (o.messages_file && !rs.chat.tpl) {
            cli_error("%s", rs.chat.missing);
            rc = EXIT_RUNTIME;
            goto out;
        }
        if (rs.chat.tpl && tok) rs.n_end_ids = cli_end_of_turn_ids(&rs.chat, tok, rs.end_ids, CLI_MAX_END_IDS);
        if (cli_verbose && rs.chat.tpl) {
            char ends[256] = "";
            for (int i = 0, n = 0; i < rs.n_end_ids; i++)
                n += snprintf(ends + n, sizeof ends - (size_t)n, " %d", rs.end_ids[i]), n = n < 255 ? n : 255;
            cli_info("chat template: %s; end of turn:%s", rs.chat.origin, ends);
        }
    }
    int n_ctx = cli_context_length(model, o.ctx);
    if (n_ctx < 0) {
        rc = EXIT_RUNTIME;
        goto out;
    }
    if (cli_context_new(&ctx, model, n_ctx, (int)o.parallel, 0, err, sizeof err) != GPT_OK) {
        cli_error("%s", err);
        rc = EXIT_RUNTIME;
        goto out;
    }

    rs.n_ctx = gpt_context_n_ctx(ctx);
    rs.eot = cfg->bos_token_id >= 0 ? cfg->bos_token_id : tok ? gpt_tokenizer_eot_id(tok) : -1;
    /* --batch -f FILE reads the requests from FILE. */
    if (o.batch && o.prompt_file && strcmp(o.prompt_file, "-") != 0) {
        in_fd = open(o.prompt_file, O_RDONLY | O_CLOEXEC);
        if (in_fd < 0) {
            cli_error("%s: %s", o.prompt_file, strerror(errno));
            in_fd = STDIN_FILENO;
            rc = EXIT_RUNTIME;
            goto out;
        }
    }
    cli_lines_init(&rs.in, in_fd);
    rs.max_token_bytes = tok ? gpt_tokenizer_max_token_bytes(tok) : 0;
    struct sigaction sa = {.sa_handler = on_signal};  // no SA_RESTART: a blocked read returns
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    gpt_generate_io io = {.user = &rs, .cancel = &cli_signal};
    if (o.batch) {
        io.next = batch_next;
        io.on_text = batch_text;
        io.on_done = batch_done;
    } else {
        job *j = calloc(1, sizeof *j);
        char msg[600];
        const cli_request_defaults def = defaults_of(&o);
        if (j) cli_request_init(&j->req, &def, 0);
        if (j && job_samples(j) != 0) snprintf(msg, sizeof msg, "out of memory");
        if (j && messages && !(j->req.messages = cJSON_Duplicate(messages, 1))) snprintf(msg, sizeof msg, "out of memory");
        if (!j || !j->sample_out ||
            (messages ? !j->req.messages || prepare_conversation(&rs, j, msg, sizeof msg) != 0
                      : prepare_prompt(&rs, j, text, text_len, o.max_tokens, msg, sizeof msg) != 0)) {
            if (j && messages) cli_error("%s: %s", strcmp(o.messages_file, "-") ? o.messages_file : "stdin", msg);
            else cli_error("%s", j ? msg : "out of memory");
            job_free(j);
            rc = EXIT_RUNTIME;
            goto out;
        }
        if (o.echo && o.jsonl) {  // --echo in jsonl: the prompt as given, in a "prompt" field
            j->req.prompt = malloc(text_len + 1);
            if (!j->req.prompt) {
                cli_error("out of memory");
                job_free(j);
                rc = EXIT_RUNTIME;
                goto out;
            }
            memcpy(j->req.prompt, text, text_len + 1);
            j->req.prompt_len = text_len;
        }
        rs.single = j;
        io.next = single_next;
        io.on_text = single_text;
        io.on_done = single_done;
        if (o.echo && !o.jsonl && (cli_write(text, text_len) != 0 || cli_flush() != 0)) rs.out_closed = 1;
    }
    double t0 = cli_now();
    gpt_status st = gpt_generate(ctx, tok, &io, err, sizeof err);
    if (st != GPT_OK) {
        cli_error("%s", err);
        rc = EXIT_RUNTIME;
    } else if (rs.out_of_memory) {
        cli_error("out of memory for the finished results; stopped");
        rc = EXIT_RUNTIME;
    } else if (rs.out_closed) {
        rc = EXIT_RUNTIME;  // cli_finish says why (or ends quietly for a closed pipe)
    } else if (o.batch) {
        rc = rs.any_failed ? EXIT_PARTIAL : EXIT_OK;
    } else {
        rc = rs.any_failed ? EXIT_RUNTIME : EXIT_OK;
        if (rs.context_full) cli_info("stopped: the context of %d tokens is full", rs.n_ctx);
    }
    if (cli_signal) {
        cli_error("interrupted");  // once; cli_finish then dies by the signal
        rc = EXIT_RUNTIME;
    }
    if (cli_verbose) {
        /* Prompt speed: the prompt tokens read by the first token; decode
         * speed: the tokens after, over the rest of the time. */
        double t_end = cli_now(), ttft = rs.t_first > 0 ? rs.t_first - t0 : t_end - t0;
        double rest = t_end - t0 - ttft;
        long after_first = rs.stat_generated > 0 ? rs.stat_generated - 1 : 0;
        if (o.sampling.seed_random) cli_info("seed %llu (drawn at random)", o.sampling.seed);
        if (o.ids)  // no text streams out, so the first token's time is not seen: only the whole
            cli_info("prompt %ld tokens; generated %ld tokens; total %.3f s (with --ids the first token's "
                     "time is not seen)", rs.stat_prompt, rs.stat_generated, t_end - t0);
        else
            cli_info("prompt %ld tokens, %.1f t/s; generated %ld tokens, %.1f t/s; first token after %.3f s; "
                     "total %.3f s", rs.stat_prompt, ttft > 0 ? rs.stat_prompt / ttft : 0.0, rs.stat_generated,
                     rest > 0 ? after_first / rest : 0.0, ttft, t_end - t0);
    }
out:
    for (long i = 0; i < rs.cap; i++) job_free(rs.waiting[i]);
    free(rs.waiting);
    cli_lines_free(&rs.in);
    cli_chat_template_free(&rs.chat);
    cJSON_Delete(conversation);
    if (in_fd != STDIN_FILENO) close(in_fd);
    gpt_context_free(ctx);
    gpt_model_free(model);
    gpt_tokenizer_free(tok);
    free(text);
    options_free(&o);
    return rc;
}
