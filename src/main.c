/* main.c — the gpt command: global flags, then one subcommand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv) {
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
