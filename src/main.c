/* main.c — the gpt command: global flags, then one subcommand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cblas.h>

#include "cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand subcommands[] = {
    {"generate", cli_generate, "generate text from a prompt (or a batch of prompts)"},
    {"tokenize", cli_tokenize, "print the token ids of stdin"},
    {"detokenize", cli_detokenize, "turn token ids on stdin back into text"},
    {"logits", cli_logits, "print each position's top logits as JSON lines"},
    {"perplexity", cli_perplexity, "score a text file: mean NLL and perplexity"},
    {"info", cli_info_cmd, "describe a model: config, parameters, memory"},
    {"bench", cli_bench, "measure prompt and generation speed"},
};
#define N_SUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

static void print_usage(FILE *f) {
    fprintf(f, "usage: gpt [-q|-v] SUBCOMMAND [OPTIONS]\n\nsubcommands:\n");
    for (size_t i = 0; i < N_SUBCOMMANDS; i++)
        fprintf(f, "  %-11s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(f, "\nRun 'gpt SUBCOMMAND --help' for a subcommand's options.\n");
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

int main(int argc, char **argv) {
    maybe_reexec_for_blas(argv);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) cli_quiet = 1;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) cli_verbose = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { print_usage(stdout); return EXIT_OK; }
        else if (!strcmp(a, "--version")) { printf("gpt %s\n", GPT_VERSION); return EXIT_OK; }
        else {
            cli_error("unknown option '%s'", a);
            print_usage(stderr);
            return EXIT_USAGE;
        }
    }
#ifdef OPENBLAS_VERSION
    if (cli_verbose) {
        const char *was = getenv("GPT_BLAS_REEXEC");
        fprintf(stderr, "gpt: OpenBLAS core %s%s%s%s\n", openblas_get_corename(), was ? " (chose " : "",
                was ? was : "", was ? "; OPENBLAS_CORETYPE set by gpt)" : "");
    }
#endif
    if (i >= argc) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    for (size_t s = 0; s < N_SUBCOMMANDS; s++) {
        if (strcmp(argv[i], subcommands[s].name)) continue;
        int sub_argc = argc - i;
        if (cli_take_model_options(&sub_argc, argv + i) != EXIT_OK) return EXIT_USAGE;
        return subcommands[s].run(sub_argc, argv + i);
    }
    cli_error("unknown subcommand '%s'", argv[i]);
    print_usage(stderr);
    return EXIT_USAGE;
}
