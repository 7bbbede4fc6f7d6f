/* cli_common.c — helpers every subcommand uses. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int cli_quiet = 0;
int cli_verbose = 0;
gpt_load_options cli_load_options;
gpt_dtype cli_cache_dtype = GPT_DTYPE_F32;
const char *cli_cache_type(void) { return cli_cache_dtype == GPT_DTYPE_F16 ? "f16" : "f32"; }

gpt_status cli_context_new(gpt_context **ctx, const gpt_model *model, int n_ctx, int n_seq, int max_rows, char *err,
                           size_t err_len) {
    const gpt_context_params params = {n_ctx, n_seq, max_rows, cli_cache_dtype};
    gpt_status st = gpt_context_new_ex(ctx, model, &params, err, err_len);
    if (st == GPT_OK && cli_verbose) {
        const int positions = gpt_context_n_ctx(*ctx), seqs = gpt_context_n_seq(*ctx);
        cli_info("KV cache: %.1f MB (%d sequence%s x %d positions, %s)",
                 (double)gpt_kv_cache_bytes_as(model, positions, cli_cache_dtype) * seqs / 1e6, seqs,
                 seqs == 1 ? "" : "s", positions, gpt_dtype_name(cli_cache_dtype));
    }
    return st;
}

#ifndef GPT_DATADIR
#define GPT_DATADIR "/usr/local/share/gpt"
#endif
#define BUNDLED_MODEL "gpt2-books-30m"

/* One "gpt: ..." line on stderr. */
static void say(const char *fmt, va_list ap) {
    fputs("gpt: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
}

void cli_info(const char *fmt, ...) {
    if (cli_quiet) return;
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
}

int cli_usage_fail(const cli_command *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'gpt%s%s --help'.\n", *cmd->name ? " " : "", cmd->name);
    return EXIT_USAGE;
}

/* The short options of a table, for getopt: ':' first (we say what went
 * wrong ourselves), '+' for options_first, then each row whose val is a
 * letter, with ':' when it takes a value. */
static void short_options(const cli_command *cmd, char *out, size_t cap) {
    size_t n = 0;
    if (cmd->options_first) out[n++] = '+';
    out[n++] = ':';
    for (const struct option *r = cmd->rows; r->name && n + 3 < cap; r++) {
        if (r->val >= 0x80 || !((r->val >= 'a' && r->val <= 'z') || (r->val >= 'A' && r->val <= 'Z'))) continue;
        out[n++] = (char)r->val;
        if (r->has_arg == required_argument) out[n++] = ':';
    }
    out[n] = '\0';
}

/* What went wrong with the option getopt just refused (c is '?' or ':'),
 * said in one line. argv[optind - 1] is the word at fault when it is a
 * long option; a short one is named by its letter (optopt), as it may sit
 * inside a bundle such as -qz. */
static int bad_option(const cli_command *cmd, int c, char **argv, cli_parse *p) {
    const char *word = argv[optind - 1];
    const int is_long = word[0] == '-' && word[1] == '-';
    const int len = (int)strcspn(word, "=");
    p->status = EXIT_USAGE;
    if (c == ':') {
        if (is_long) cli_usage_fail(cmd, "option %.*s needs a value", len, word);
        else cli_usage_fail(cmd, "option -%c needs a value", optopt);
        return CLI_OPT_STOP;
    }
    if (is_long && optopt == 0) {  // unknown, or the prefix of several names
        char names[256] = "";
        int matches = 0;
        for (const struct option *r = cmd->rows; r->name; r++)
            if (len > 2 && !strncmp(r->name, word + 2, (size_t)len - 2)) {
                size_t used = strlen(names);
                snprintf(names + used, sizeof names - used, "%s--%s", matches++ ? ", " : "", r->name);
            }
        if (matches > 1) cli_usage_fail(cmd, "option '%.*s' is ambiguous: %s", len, word, names);
        else cli_usage_fail(cmd, "unknown option '%.*s'", len, word);
        return CLI_OPT_STOP;
    }
    if (is_long && word[len] == '=') {  // --flag=value for a flag that takes none
        for (const struct option *r = cmd->rows; r->name; r++)
            if (r->val == optopt && r->has_arg == no_argument) {
                cli_usage_fail(cmd, "option --%s takes no value", r->name);
                return CLI_OPT_STOP;
            }
    }
    cli_usage_fail(cmd, "unknown option '-%c'", optopt);
    return CLI_OPT_STOP;
}

int cli_next_option(const cli_command *cmd, int argc, char **argv, cli_parse *p) {
    char shorts[128];
    short_options(cmd, shorts, sizeof shorts);
    if (!p->started) {
        p->started = 1;
        optind = 0;  // glibc: start over (main parsed its own flags first)
    }
    opterr = 0;
    for (;;) {
        optopt = 0;
        int c = getopt_long(argc, argv, shorts, cmd->rows, NULL);
        long v;
        switch (c) {
        case -1:
            p->args = argv + optind;
            p->n_args = argc - optind;
            return -1;
        case '?':
        case ':':
            return bad_option(cmd, c, argv, p);
        case 'h':
            if (!cmd->help) return c;  // the caller prints its own
            cli_printf("usage: %s\n\n%s", cmd->usage, cmd->help);
            p->status = EXIT_OK;
            return CLI_OPT_STOP;
        case 'm':
            p->model_dir = optarg;  // '' means not given, as an unset $VAR would
            break;
        case 't':
            if (cli_parse_int(optarg, 1, 1024, &v)) {
                p->status = cli_usage_fail(cmd, "-t wants an integer in 1..1024, not '%s'", optarg);
                return CLI_OPT_STOP;
            }
            p->threads = v;
            break;
        case CLI_OPT_QUANT:
            if (strcmp(optarg, "q8") && strcmp(optarg, "none")) {
                p->status = cli_usage_fail(cmd, "--quant wants q8 or none, not '%s'", optarg);
                return CLI_OPT_STOP;
            }
            cli_load_options.quantize_q8 = !strcmp(optarg, "q8");
            break;
        case CLI_OPT_CHECK:
            cli_load_options.check_finite = 1;
            break;
        case CLI_OPT_MMAP:
            cli_load_options.map_files = 1;
            break;
        case CLI_OPT_CACHE_TYPE:
            if (strcmp(optarg, "f32") && strcmp(optarg, "f16")) {
                p->status = cli_usage_fail(cmd, "--cache-type wants f32 or f16, not '%s'", optarg);
                return CLI_OPT_STOP;
            }
            cli_cache_dtype = strcmp(optarg, "f16") ? GPT_DTYPE_F32 : GPT_DTYPE_F16;
            break;
        default:
            return c;
        }
    }
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where cli_model_dir's answer came from, and (for the default) every
 * place it looked, for cli_open's message when the directory is not there. */
static const char *model_origin = "";
static char model_searched[4 * (PATH_MAX + 64)];

static void searched(const char *path) {
    size_t used = strlen(model_searched);
    snprintf(model_searched + used, sizeof model_searched - used, "%s%s", used ? ", " : "", path);
}

const char *cli_model_dir(const char *flag_value) {
    static char found[PATH_MAX + 64];
    model_searched[0] = '\0';
    if (flag_value && *flag_value) {
        model_origin = "-m";
        return flag_value;
    }
    const char *env = getenv("GPT_MODEL");
    if (env && *env) {
        model_origin = "$GPT_MODEL";
        return env;
    }
    model_origin = "";  // the default: the bundled model, looked for in turn

    /* Next to the executable (a build tree), or in its ../share/gpt (an install). */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(found, sizeof found, "%s/models/%s", exe, BUNDLED_MODEL);
            if (is_dir(found)) return found;
            searched(found);
            snprintf(found, sizeof found, "%s/../share/gpt/models/%s", exe, BUNDLED_MODEL);
            if (is_dir(found)) return found;
            searched(found);
        }
    }
    snprintf(found, sizeof found, "%s/models/%s", GPT_DATADIR, BUNDLED_MODEL);
    if (is_dir(found)) return found;
    searched(found);
    snprintf(found, sizeof found, "models/%s", BUNDLED_MODEL);
    if (!is_dir(found)) searched(found);
    return found;
}

/* One line when dir is not a directory: where its name came from, or for
 * the default every place searched. Returns 0 when it is one. */
static int check_model_dir(const char *dir) {
    if (is_dir(dir)) return 0;
    if (!*model_origin) {
        cli_error("no model found: looked for the bundled %s in %s (give -m DIR or set GPT_MODEL)", BUNDLED_MODEL,
                  model_searched);
        return -1;
    }
    struct stat st;
    if (stat(dir, &st) == 0) cli_error("model directory %s (from %s) is not a directory", dir, model_origin);
    else if (errno == ENOENT) cli_error("model directory %s (from %s) does not exist", dir, model_origin);
    else cli_error("model directory %s (from %s): %s", dir, model_origin, strerror(errno));
    return -1;
}

static int read_all(FILE *f, char **buf, size_t *len) {
    size_t cap = 1 << 16, used = 0;
    char *data = malloc(cap);
    if (!data) return -1;
    for (;;) {
        if (cap - used < 1 << 15) {
            if (cap > SIZE_MAX / 2) { free(data); errno = ENOMEM; return -1; }
            char *bigger = realloc(data, cap * 2);
            if (!bigger) { free(data); errno = ENOMEM; return -1; }
            data = bigger;
            cap *= 2;
        }
        size_t got = fread(data + used, 1, cap - used - 1, f);
        used += got;
        if (got == 0) {
            if (ferror(f)) { free(data); return -1; }
            break;
        }
    }
    data[used] = '\0';
    *buf = data;
    *len = used;
    return 0;
}

int cli_read_input(const char *path, char **buf, size_t *len) {
    int from_stdin = !path || !strcmp(path, "-");
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    int rc = f ? read_all(f, buf, len) : -1;
    if (rc != 0) cli_error("%s: %s", from_stdin ? "stdin" : path, strerror(errno));
    if (f && !from_stdin) fclose(f);
    return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
}

int cli_parse_int(const char *s, long min, long max, long *out) {
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int cli_parse_float(const char *s, double *out) {
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || v != v) return -1;
    *out = v;
    return 0;
}

int cli_threads(long flag_value) {
    if (flag_value > 0) return (int)flag_value;
    const char *env = getenv("GPT_THREADS");
    long v;
    static int warned = 0;
    if (env && *env) {
        if (cli_parse_int(env, 1, 1024, &v) == 0) return (int)v;
        if (!warned++) cli_error("GPT_THREADS='%s' is not a thread count in 1..1024; using all cores", env);
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (int)cores : 1;
}

/* ---- stdout: every write checked ------------------------------------ */

static int out_errno;  // the first failed write's errno; 0 while stdout is fine

static int out_failed(void) {
    if (!out_errno) out_errno = errno ? errno : EIO;
    return -1;
}

int cli_write(const void *bytes, size_t len) {
    if (out_errno) return -1;
    errno = 0;
    if (len && fwrite(bytes, 1, len, stdout) != len) return out_failed();
    return 0;
}

int cli_printf(const char *fmt, ...) {
    if (out_errno) return -1;
    va_list ap;
    va_start(ap, fmt);
    errno = 0;
    int n = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return n < 0 ? out_failed() : 0;
}

int cli_flush(void) {
    if (out_errno) return -1;
    errno = 0;
    return fflush(stdout) != 0 ? out_failed() : 0;
}

int cli_output_failed(void) { return out_errno != 0; }

volatile sig_atomic_t cli_signal = 0;

int cli_finish(int rc) {
    errno = 0;
    if (!out_errno && (fflush(stdout) != 0 || ferror(stdout))) out_failed();
    errno = 0;
    if (fclose(stdout) != 0 && !out_errno) out_failed();  // a file system may report the error only here
    /* A signal that stopped us (gpt generate caught it to flush what was
     * finished): now die by it, so the calling shell or loop stops too. */
    if (cli_signal) {
        signal(cli_signal, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, cli_signal);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(cli_signal);
        return 128 + cli_signal;  // if it could not be raised: what a shell shows for it
    }
    if (out_errno == EPIPE) {
        /* The reader went away (| head). Quietly, and the same under either
         * SIGPIPE disposition: ended by SIGPIPE, as if it had not been
         * ignored (a shell shows 141, and pipefail sees it). */
        signal(SIGPIPE, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(SIGPIPE);
        return 128 + SIGPIPE;
    }
    if (out_errno) {
        cli_error("write error: %s", strerror(out_errno));
        return EXIT_RUNTIME;
    }
    return rc;
}

int cli_open(const char *dir, const gpt_load_options *opts, gpt_tokenizer **tok, gpt_model **model) {
    char err[1024];
    double t0 = cli_now();
    if (tok) *tok = NULL;
    if (model) *model = NULL;
    if (check_model_dir(dir) != 0) return EXIT_RUNTIME;
    if (tok && gpt_tokenizer_load(tok, dir, err, sizeof err) != GPT_OK) {
        cli_error("%s", err);
        return EXIT_RUNTIME;
    }
    if (!opts) opts = &cli_load_options;
    if (model && gpt_model_load(model, dir, opts, err, sizeof err) != GPT_OK) {
        cli_error("%s", err);
        if (tok) {
            gpt_tokenizer_free(*tok);
            *tok = NULL;
        }
        return EXIT_RUNTIME;
    }
    const char *first_unused;
    const int unused = model ? gpt_model_unused_tensors(*model, &first_unused) : 0;
    if (unused)  // HF loads such a checkpoint with a warning too; gpt -q silences it
        cli_info("warning: %s: config.json leaves %d of the checkpoint's tensors unused (the first: %s)", dir, unused,
                 first_unused);
    if (cli_verbose) {
        cli_info("loaded %s in %.3f s", dir, cli_now() - t0);
        cli_info("threads: %d; kernels: %s; cpu: %s; blas: %s", gpt_get_threads(), gpt_kernels(), gpt_cpu_features(),
                 gpt_blas_info());
    }
    return EXIT_OK;
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cli_parse_ids(char *text, int V, int **ids, size_t *n, const char *where, char *msg, size_t msg_len) {
    size_t cap = 64, count = 0;
    int *out = malloc(sizeof(int) * cap);
    if (!out) {
        snprintf(msg, msg_len, "out of memory");
        return -1;
    }
    char *save = NULL;
    for (char *p = strtok_r(text, " \t\r\n,", &save); p; p = strtok_r(NULL, " \t\r\n,", &save)) {
        long v;
        if (cli_parse_int(p, 0, V - 1, &v)) {
            snprintf(msg, msg_len, "%s: '%.40s' is not a token id in 0..%d", where, p, V - 1);
            free(out);
            return -1;
        }
        if (count == cap) {
            int *bigger = realloc(out, sizeof(int) * (cap *= 2));
            if (!bigger) {
                free(out);
                snprintf(msg, msg_len, "out of memory");
                return -1;
            }
            out = bigger;
        }
        out[count++] = (int)v;
    }
    *ids = out;
    *n = count;
    return 0;
}

int cli_context_length(const gpt_model *model, long flag_value) {
    const gpt_config *c = gpt_model_config(model);
    if (flag_value > c->n_positions) {
        cli_error("--ctx %ld exceeds the model's context of %d positions", flag_value, c->n_positions);
        return -1;
    }
    if (flag_value > 0) return (int)flag_value;
    return c->n_positions < GPT_DEFAULT_CTX ? c->n_positions : GPT_DEFAULT_CTX;
}
