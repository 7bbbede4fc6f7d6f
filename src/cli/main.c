/* main.c — the gpt command: global flags, then one subcommand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cblas.h>

#include "cli.h"
#include "cli_chat.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand subcommands[] = {
    {"generate", cli_generate, "generate text from a prompt (or a batch of prompts)"},
    {"chat", cli_chat, "talk with an instruct model at the terminal (or through a pipe)"},
    {"template", cli_template, "print a conversation as the model's chat template renders it"},
    {"tokenize", cli_tokenize, "print the token ids of stdin"},
    {"detokenize", cli_detokenize, "turn token ids on stdin back into text"},
    {"logits", cli_logits, "print each position's top logits as JSON lines"},
    {"perplexity", cli_perplexity, "score a text file: mean NLL and perplexity"},
    {"info", cli_info_cmd, "describe a model: config, parameters, memory"},
    {"bench", cli_bench, "measure prompt and generation speed"},
};
#define N_SUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

static const char *USAGE = "gpt [-q|-v] SUBCOMMAND [OPTIONS]   (gpt --help for more)";

static void print_help(void) {
    cli_printf("usage: gpt [-q|-v] SUBCOMMAND [OPTIONS]\n\n"
           "Run decoder checkpoints (GPT-2, Llama, Mistral, Qwen2, Qwen3; HuggingFace layout:\n"
           "config.json, model.safetensors, tokenizer.json or vocab.json + merges.txt) on the\n"
           "CPU: generate, chat, score and tokenize text.\n\nsubcommands:\n");
    for (size_t i = 0; i < N_SUBCOMMANDS; i++) cli_printf("  %-11s %s\n", subcommands[i].name, subcommands[i].summary);
    cli_printf("  %-11s %s\n", "help", "help SUBCOMMAND: that subcommand's options");
    cli_printf("\nglobal options:\n"
           "  -q, --quiet    no progress or timing lines on stderr\n"
           "  -v, --verbose  load timings, threads, BLAS and kernels chosen, the KV cache made\n"
           "  -h, --help     this help\n"
           "      --version  version, BLAS library and core, CPU SIMD level, compiler, build\n"
           "\nmodel options (every subcommand that loads a model):\n"
           "      --quant q8  quantize the weights to 8 bits at load (a quarter of F32's bytes)\n"
           "      --check     refuse weights that hold NaN or Inf (reads every weight at load)\n"
           "      --mmap      map the weight files instead of reading them into memory: shared\n"
           "                  between processes and paged in on use, but decoding runs slower\n"
           "      --cache-type f32|f16  the KV cache's element type (default f32): f16 holds\n"
           "                  and reads half the bytes, each key and value rounded to a half\n"
           "                  as it is cached (llama.cpp's default)\n"
           "\nenvironment:\n"
           "  GPT_MODEL      model directory used when -m is not given (default: the bundled\n"
           "                 gpt2-books-30m)\n"
           "  GPT_THREADS    thread count used when -t is not given (default: all cores)\n"
           "  Flags win over the environment.\n"
           "\nexit status:\n"
           "  0  success\n"
           "  1  runtime, file or model error\n"
           "  2  usage error\n"
           "  3  some batch requests failed (gpt generate --batch); the others succeeded\n"
           "\nexamples:\n"
           "  echo \"Once upon a time\" | gpt generate -n 50\n"
           "  gpt generate --batch < prompts.txt > completions.jsonl\n"
           "  gpt perplexity -f book.txt\n");
}

static void print_version(void) {
    cli_printf("gpt %s\n", GPT_VERSION);
    cli_printf("blas: %s\n", gpt_blas_info());
    cli_printf("cpu: %s (kernels: %s)\n", gpt_cpu_features(), gpt_kernels());
#if defined(__GNUC__) && !defined(__clang__)
    cli_printf("compiler: gcc %s\n", __VERSION__);
#elif defined(__VERSION__)
    cli_printf("compiler: %s\n", __VERSION__);
#endif
    /* The build flags that change what runs: optimization, OpenMP, sanitizers. */
    cli_printf("build:");
#ifdef __OPTIMIZE__
    cli_printf(" optimized");
#else
    cli_printf(" unoptimized");
#endif
#ifdef _OPENMP
    cli_printf(", OpenMP %d", _OPENMP);
#endif
#ifdef __SANITIZE_ADDRESS__
    cli_printf(", AddressSanitizer");
#endif
#ifdef __FAST_MATH__
    cli_printf(", fast-math");
#endif
    cli_printf("\n");
}

/* Debian's OpenBLAS 0.3.21 picks its kernels when it loads, by CPU model,
 * and on CPUs newer than it knows (some AVX-512 Intel parts) it falls back
 * to an SSE-only core such as Prescott: several times slower prompts. The
 * choice cannot be changed once loaded, so when the CPU has AVX2 and FMA but
 * OpenBLAS chose an SSE-only core, run this program again with
 * OPENBLAS_CORETYPE set (SkylakeX with AVX-512, else Haswell). Never when
 * the user set OPENBLAS_CORETYPE; GPT_BLAS_REEXEC marks the second run so it
 * cannot loop; if exec fails we carry on with the core we have. */
static void maybe_reexec_for_blas(char **argv) {
#if defined(OPENBLAS_VERSION) && (defined(__x86_64__) || defined(__i386__))
    if (getenv("OPENBLAS_CORETYPE") || getenv("GPT_BLAS_REEXEC")) return;
    const char *core = openblas_get_corename();
    static const char *const sse_only[] = {"unknown", "katmai",  "coppermine", "northwood", "prescott",
                                           "banias",  "atom",    "core2",      "penryn",    "dunnington",
                                           "nehalem", "athlon",  "opteron",    "opteron_sse3",
                                           "barcelona", "nano",  "bobcat"};
    int weak = 0;
    for (size_t k = 0; core && k < sizeof sse_only / sizeof sse_only[0]; k++) weak |= !strcasecmp(core, sse_only[k]);
    if (!weak || !__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return;
    int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    setenv("OPENBLAS_CORETYPE", avx512 ? "SkylakeX" : "Haswell", 1);
    setenv("GPT_BLAS_REEXEC", core, 1);  // what OpenBLAS chose by itself, for -v
    execv("/proc/self/exe", argv);
    unsetenv("OPENBLAS_CORETYPE");  // exec failed: go on as we were
#else
    (void)argv;
#endif
}

enum { OPT_VERSION = CLI_OPT_OWN };
static const struct option ROWS[] = {
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"version", no_argument, NULL, OPT_VERSION},
    CLI_ROW_HELP,
    CLI_ROW_END,
};

static int run(int argc, char **argv) {
    /* gpt's own flags stop at the first argument, the subcommand: what
     * follows it is the subcommand's to parse. */
    const cli_command cmd = {"", USAGE, NULL, ROWS, 1};
    cli_parse p = {0};
    for (int c; (c = cli_next_option(&cmd, argc, argv, &p)) != -1;) {
        switch (c) {
        case CLI_OPT_STOP: return p.status;
        case 'h': print_help(); return EXIT_OK;
        case 'q': cli_quiet = 1; break;
        case 'v': cli_verbose = 1; break;
        case OPT_VERSION: print_version(); return EXIT_OK;
        }
    }
    if (p.n_args == 0) return cli_usage_fail(&cmd, "a subcommand is needed");
    char **sub = p.args;
    if (!strcmp(sub[0], "help")) {  // gpt help [SUBCOMMAND]: the same as SUBCOMMAND --help
        if (p.n_args == 1) { print_help(); return EXIT_OK; }
        if (p.n_args > 2) return cli_usage_fail(&cmd, "help takes one subcommand, not '%s'", sub[2]);
        for (size_t s = 0; s < N_SUBCOMMANDS; s++)
            if (!strcmp(sub[1], subcommands[s].name)) {
                char *help_argv[] = {sub[1], "--help", NULL};
                return subcommands[s].run(2, help_argv);
            }
        return cli_usage_fail(&cmd, "no subcommand '%s'", sub[1]);
    }
    gpt_set_threads(cli_threads(0));  // $GPT_THREADS or all cores; a subcommand's -t overrides
    for (size_t s = 0; s < N_SUBCOMMANDS; s++)
        if (!strcmp(sub[0], subcommands[s].name)) return subcommands[s].run(p.n_args, sub);
    return cli_usage_fail(&cmd, "unknown subcommand '%s'", sub[0]);
}

int main(int argc, char **argv) {
    maybe_reexec_for_blas(argv);
    return cli_finish(run(argc, argv));  // stdout flushed and checked, whatever ran
}
