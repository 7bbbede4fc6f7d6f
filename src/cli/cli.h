/* cli.h — what the subcommands (src/cli_*.c) share: exit codes, model
 * lookup, diagnostics, reading input. The CLI owns all printing. */
#ifndef GPT_CLI_H
#define GPT_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "gpt.h"

/* Exit statuses, the same for every subcommand. */
enum {
    EXIT_OK = 0,       /* success */
    EXIT_RUNTIME = 1,  /* runtime, file or model error */
    EXIT_USAGE = 2,    /* bad command line */
    EXIT_PARTIAL = 3   /* some batch requests failed; the rest succeeded */
};

/* Global flags, set by main before a subcommand runs. */
extern int cli_quiet;    /* -q: no progress or timing lines */
extern int cli_verbose;  /* -v: load timings, kernels chosen */
/* Model options every loading subcommand takes (--quant q8, --check),
 * taken out of argv by cli_take_model_options before the subcommand's own
 * parser runs. */
extern gpt_load_options cli_load_options;
/* Removes --quant Q and --check from argv (updating *argc); returns
 * EXIT_OK or EXIT_USAGE with a diagnostic. */
int cli_take_model_options(int *argc, char **argv);

/* One diagnostic line on stderr, prefixed "gpt: ". */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress/timing line on stderr unless quiet. */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: the message and the subcommand's usage line on stderr;
 * returns EXIT_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The model directory: the -m value if given, else $GPT_MODEL, else the
 * bundled model (found next to the executable, in the source tree, or
 * under the install prefix). Never NULL. */
const char *cli_model_dir(const char *flag_value);

/* Reads a whole file, or all of stdin when path is NULL or "-", into a
 * malloc'd buffer (NUL-terminated; *len excludes the NUL). Returns EXIT_OK,
 * or EXIT_RUNTIME after one diagnostic naming the file. */
int cli_read_input(const char *path, char **buf, size_t *len);

/* Parses an integer / float flag value; returns 0 on success. */
int cli_parse_int(const char *s, long min, long max, long *out);
int cli_parse_float(const char *s, double *out);

/* The thread count: -t value if > 0, else $GPT_THREADS, else all cores. */
int cli_threads(long flag_value);

/* Writes bytes to stdout; returns -1 when stdout is closed (EPIPE). */
int cli_write(const void *bytes, size_t len);

/* Loads the tokenizer and (when model is not NULL) the model from dir,
 * printing one diagnostic on failure. Returns EXIT_OK or EXIT_RUNTIME. */
int cli_open(const char *dir, const gpt_load_options *opts, gpt_tokenizer **tok, gpt_model **model);

/* Seconds on a monotonic clock. */
double cli_now(void);

/* Subcommands: each takes argc/argv starting at the subcommand name. */
int cli_tokenize(int argc, char **argv);
int cli_detokenize(int argc, char **argv);
int cli_generate(int argc, char **argv);
int cli_logits(int argc, char **argv);
int cli_perplexity(int argc, char **argv);
int cli_info_cmd(int argc, char **argv);
int cli_bench(int argc, char **argv);

#endif
