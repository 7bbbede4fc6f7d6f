/* cli.h — what the subcommands (src/cli_*.c) share: exit codes, model
 * lookup, diagnostics, reading input. The CLI owns all printing. */
#ifndef GPT_CLI_H
#define GPT_CLI_H

#include <signal.h>
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
/* Model options every loading subcommand takes (--quant q8, --check), set
 * by cli_next_option when the subcommand's table has CLI_ROWS_WEIGHTS. */
extern gpt_load_options cli_load_options;
/* --cache-type f32|f16: the KV cache's element type (default F32), and
 * its name as the flag takes it. */
extern gpt_dtype cli_cache_dtype;
const char *cli_cache_type(void);
/* gpt_context_new with --cache-type's element type. */
gpt_status cli_context_new(gpt_context **ctx, const gpt_model *model, int n_ctx, int n_seq, int max_rows, char *err,
                           size_t err_len);

/* ---- options: getopt_long (glibc) with shared rows ------------------
 * Each subcommand describes itself in a cli_command: its name, usage and
 * help text, and one `struct option` table. Rows whose val is a letter
 * also give the short option (-m for {"model", ..., 'm'}); long-only
 * options take values from CLI_OPT_OWN up. The rows several subcommands
 * share are the CLI_ROW* macros below: cli_next_option handles them
 * itself (-m, -t, --quant, --check, -h) and returns every other option,
 * one at a time, to the subcommand's switch. To add a flag: one row in
 * the table, one case in the switch (and its line in --help, the man page
 * and the completion script).
 *
 *   static const struct option rows[] = {CLI_ROW_MODEL, CLI_ROW_HELP,
 *       {"special", no_argument, NULL, OPT_SPECIAL}, CLI_ROW_END};
 *   static const cli_command cmd = {"tokenize", USAGE, HELP, rows, 0};
 *   cli_parse p = {0};
 *   for (int c; (c = cli_next_option(&cmd, argc, argv, &p)) != -1;)
 *       switch (c) {
 *       case CLI_OPT_STOP: return p.status;   // --help, or a usage error already said
 *       case OPT_SPECIAL: special = 1; break;
 *       }
 *
 * Options and arguments may come in any order (glibc's permutation);
 * `--` ends the options; `--opt=value`, `-n3` and unambiguous prefixes of
 * long names work. A usage error is one line, then "Try 'gpt NAME --help'.". */
#include <getopt.h>

enum {
    CLI_OPT_STOP = -2,      /* cli_next_option: stop now, exit with p->status */
    CLI_OPT_QUANT = 0x100,  /* shared long-only options */
    CLI_OPT_CHECK,
    CLI_OPT_MMAP,
    CLI_OPT_CACHE_TYPE,
    CLI_OPT_OWN = 0x200     /* a subcommand's own long-only options count from here */
};
#define CLI_ROW_MODEL {"model", required_argument, NULL, 'm'}
#define CLI_ROW_THREADS {"threads", required_argument, NULL, 't'}
#define CLI_ROWS_WEIGHTS {"quant", required_argument, NULL, CLI_OPT_QUANT}, {"check", no_argument, NULL, CLI_OPT_CHECK}, \
                         {"mmap", no_argument, NULL, CLI_OPT_MMAP}, {"cache-type", required_argument, NULL, CLI_OPT_CACHE_TYPE}
#define CLI_ROW_HELP {"help", no_argument, NULL, 'h'}
#define CLI_ROW_END {NULL, 0, NULL, 0}

typedef struct {
    const char *name;               /* "generate"; "" for gpt itself */
    const char *usage, *help;       /* -h prints "usage: USAGE\n\nHELP"; NULL help: -h is returned */
    const struct option *rows;      /* ends with CLI_ROW_END */
    int options_first;              /* stop at the first argument (gpt's global flags) */
} cli_command;

typedef struct {
    /* filled by cli_next_option */
    const char *model_dir;  /* -m DIR, else NULL */
    long threads;           /* -t N, else 0 */
    int status;             /* with CLI_OPT_STOP: EXIT_OK after --help, else EXIT_USAGE */
    char **args;            /* after -1: the arguments that are not options */
    int n_args;
    int started;
} cli_parse;

/* The next option of argv (argv[0] is the subcommand's name): its val,
 * with its value in optarg; -1 when none is left (p->args, p->n_args then
 * hold the other arguments); or CLI_OPT_STOP with p->status set. */
int cli_next_option(const cli_command *cmd, int argc, char **argv, cli_parse *p);

/* A usage error: "gpt: MESSAGE" and "Try 'gpt NAME --help'." on stderr;
 * returns EXIT_USAGE. */
int cli_usage_fail(const cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One diagnostic line on stderr, prefixed "gpt: ". */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress/timing line on stderr unless quiet. */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The model directory: the -m value if given, else $GPT_MODEL, else the
 * bundled model (found next to the executable, in the source tree, or
 * under the install prefix). Never NULL. It remembers where the name came
 * from, so cli_open can say "model directory X (from -m) does not exist",
 * or for the default, every place it looked. */
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

/* Standard output, every write checked: each returns 0, or -1 once any
 * write to stdout has failed (a closed pipe, a full disk); then the rest
 * is skipped and cli_finish reports it. Use these, never printf. */
int cli_write(const void *bytes, size_t len);
int cli_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_flush(void);
int cli_output_failed(void);

/* A signal gpt generate caught (SIGINT, SIGTERM), to die by once the
 * finished results are out; 0 if none. */
extern volatile sig_atomic_t cli_signal;

/* The end of every command (main calls it with the subcommand's status):
 * flushes and closes stdout; then dies by cli_signal if one was caught;
 * dies by SIGPIPE (quietly, whatever its disposition) if the reader closed
 * the pipe; says "gpt: write error: REASON" and returns EXIT_RUNTIME if a
 * write failed; else returns rc. */
int cli_finish(int rc);

/* Loads the tokenizer (when tok is not NULL: --ids needs none) and (when
 * model is not NULL) the model from dir, printing one diagnostic on
 * failure. Returns EXIT_OK or EXIT_RUNTIME. */
int cli_open(const char *dir, const gpt_load_options *opts, gpt_tokenizer **tok, gpt_model **model);

/* Parses token ids separated by whitespace or commas, each in 0..V-1, into
 * a malloc'd array (text is modified). Returns 0, or -1 with msg set
 * ("WHERE: 'x' is not a token id in 0..V-1"). */
int cli_parse_ids(char *text, int V, int **ids, size_t *n, const char *where, char *msg, size_t msg_len);

/* The context to allocate: --ctx when given (0: not given), else the
 * model's capped at GPT_DEFAULT_CTX; -1 after a diagnostic when --ctx
 * exceeds the model's context. */
int cli_context_length(const gpt_model *model, long flag_value);
/* The --ctx row: subcommands put {"ctx", required_argument, NULL, OPT_CTX}
 * in their tables and parse the value with cli_parse_int(v, 1, 1 << 24). */

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
