/* cli_request.h — one `gpt generate --batch` input line into a request's
 * fields: no tokenizer, no model, no I/O, so it can be tested and fuzzed
 * on its own. */
#ifndef GPT_CLI_REQUEST_H
#define GPT_CLI_REQUEST_H

#include <stddef.h>

#include <cJSON.h>

#define CLI_MAX_STOPS 16
#define CLI_MAX_SAMPLES 64      /* "n" and -N: at most --parallel's ceiling */
#define CLI_MAX_TOP_LOGPROBS 100
/* The ranges of -n/"max_tokens", --top-k/"top_k" and --seed/"seed": a seed
 * up to 2^53-1, so a JSON number (a double) holds every one exactly. */
#define CLI_MAX_TOKENS 1000000000
#define CLI_MAX_TOP_K 1000000000
#define CLI_MAX_SEED 9007199254740991L

/* The settings a line starts from (the command line's), and what a line
 * may change. */
typedef struct {
    long max_tokens;
    double temperature, top_p;
    long top_k;
    unsigned long long seed;
    const char *const *stops;  /* (n_stops) borrowed */
    int n_stops;
    int logprobs;               /* report each token's log-probability */
    int truncate, ignore_eos, echo;
    long n;                     /* samples per prompt */
    long top_logprobs;
    double min_p, repetition_penalty, presence_penalty, frequency_penalty;
    long penalty_last_n;
    const int *bias_ids;        /* (n_bias) borrowed: --logit-bias and --ban */
    const float *bias_values;   /* (n_bias) */
    int n_bias;
} cli_request_defaults;

typedef struct {
    char *prompt;               /* owned, NUL-terminated; may hold NULs from a \0 escape */
    size_t prompt_len;
    cJSON *id;                  /* the JSON line's "id", owned; NULL when absent */
    long max_tokens;
    double temperature, top_p;
    long top_k;
    unsigned long long seed;
    const char *stops[CLI_MAX_STOPS];   /* (n_stops) borrowed defaults or stop_store */
    int n_stops;
    char *stop_store[CLI_MAX_STOPS];    /* owned: the line's own stop strings */
    int logprobs;
    /* A conversation instead of a prompt (prompt is then NULL): */
    cJSON *messages;            /* "messages": [{"role", "content"}, ...], owned, checked; else NULL */
    cJSON *template_vars;       /* "template_vars": {...}, owned; else NULL */
    int truncate, ignore_eos, echo;
    long n;
    long top_logprobs;
    double min_p, repetition_penalty, presence_penalty, frequency_penalty;
    long penalty_last_n;
    const int *bias_ids;        /* (n_bias) the defaults', or bias_store */
    const float *bias_values;
    int n_bias;
    int *bias_store;            /* owned: the line's own "logit_bias" ids, then values */
} cli_request;

/* Sets *req to the defaults, request number index taking seed + index. */
void cli_request_init(cli_request *req, const cli_request_defaults *def, long index);

/* Parses line (len bytes, its newline already removed), request number
 * index (0-based, seed default + index), into *req: a line whose first
 * byte other than space, tab or CR is '{' is a JSON object of {"prompt", "id",
 * "max_tokens", "temperature", "top_k", "top_p", "seed", "stop", "logprobs",
 * "truncate", "ignore_eos", "echo", "n", "min_p", "repetition_penalty",
 * "presence_penalty", "frequency_penalty", "penalty_last_n", "logit_bias",
 * "top_logprobs"}, or "messages" (a checked conversation, see cli_messages.h)
 * and "template_vars" (an object) in place of "prompt"; any other line is the
 * prompt itself with \n \t \r \0 \\ escapes. Returns 0, or -1 with a one-line message in
 * msg. Either way *req holds only what cli_request_free releases. */
int cli_request_parse(const char *line, size_t len, long index, const cli_request_defaults *def,
                      cli_request *req, char *msg, size_t msg_len);
void cli_request_free(cli_request *req);

/* Replaces backslash escapes (\n \t \r \0 \\) in place; returns the new length. */
size_t cli_unescape(char *s);

#endif
