/* cli_sampling.h — the sampling flags `gpt generate` and `gpt chat` share:
 * their rows, their parsing, and generation_config.json's defaults for
 * what the command line left unset. */
#ifndef GPT_CLI_SAMPLING_H
#define GPT_CLI_SAMPLING_H

#include "cli.h"
#include "cli_chat.h"

#define CLI_MAX_BIAS 1024 /* --logit-bias and --ban entries */

typedef struct {
    double temperature, top_p;
    long top_k;
    unsigned long long seed;
    int seed_random;        // the seed was drawn from the system: report it
    double min_p, repetition_penalty, presence_penalty, frequency_penalty;
    long penalty_last_n;
    int bias_ids[CLI_MAX_BIAS];     // (n_bias) --logit-bias and --ban, in order
    float bias_values[CLI_MAX_BIAS];
    int n_bias;
    int set_temperature, set_top_k, set_top_p, set_repetition_penalty;  // given on the command line:
                                                                         // generation_config.json does not apply
} cli_sampling;

/* The sampling options' vals: between the shared ones and CLI_OPT_OWN. */
enum {
    CLI_OPT_TEMPERATURE = 0x180, CLI_OPT_TOP_K, CLI_OPT_TOP_P, CLI_OPT_SEED, CLI_OPT_MIN_P,
    CLI_OPT_REPETITION_PENALTY, CLI_OPT_PRESENCE_PENALTY, CLI_OPT_FREQUENCY_PENALTY, CLI_OPT_PENALTY_LAST_N,
    CLI_OPT_LOGIT_BIAS, CLI_OPT_BAN
};
#define CLI_ROWS_SAMPLING                                                                                  \
    {"temperature", required_argument, NULL, CLI_OPT_TEMPERATURE},                                         \
    {"temp", required_argument, NULL, CLI_OPT_TEMPERATURE}, /* llama.cpp's name; exact beside --template-var */ \
    {"top-k", required_argument, NULL, CLI_OPT_TOP_K}, {"top-p", required_argument, NULL, CLI_OPT_TOP_P},    \
    {"seed", required_argument, NULL, CLI_OPT_SEED}, {"min-p", required_argument, NULL, CLI_OPT_MIN_P},     \
    {"repetition-penalty", required_argument, NULL, CLI_OPT_REPETITION_PENALTY},                           \
    {"presence-penalty", required_argument, NULL, CLI_OPT_PRESENCE_PENALTY},                               \
    {"frequency-penalty", required_argument, NULL, CLI_OPT_FREQUENCY_PENALTY},                             \
    {"penalty-last-n", required_argument, NULL, CLI_OPT_PENALTY_LAST_N},                                   \
    {"logit-bias", required_argument, NULL, CLI_OPT_LOGIT_BIAS}, {"ban", required_argument, NULL, CLI_OPT_BAN}

/* The --help lines of --min-p ... --ban ("completion": the reply, in chat). */
#define CLI_HELP_PENALTIES \
    "      --min-p P        keep tokens whose probability is >= P times the top one's (0: off)\n" \
    "      --repetition-penalty R  divide the positive logits (multiply the negative ones)\n" \
    "                       of tokens already in the prompt or completion by R (HF; 1: off)\n" \
    "      --presence-penalty P    subtract P from the logit of every token generated\n" \
    "                       so far (OpenAI; 0: off)\n" \
    "      --frequency-penalty F   subtract F times the count of each token generated\n" \
    "                       so far (OpenAI; 0: off)\n" \
    "      --penalty-last-n N      the penalties look at the last N tokens, prompt\n" \
    "                       included (default 0: all)\n" \
    "      --logit-bias ID=B add B to token ID's logit; repeatable\n" \
    "      --ban ID         never generate token ID; repeatable\n"

/* The defaults before generation_config.json: temperature 0.8, top-k 40,
 * top-p 0.95, seed 0, every penalty and bias off. */
void cli_sampling_init(cli_sampling *s);

/* Takes option c (from a table with CLI_ROWS_SAMPLING) with its value v.
 * Returns -1 when c is not a sampling option, 0 when taken, or the exit
 * status after one diagnostic (EXIT_USAGE; EXIT_RUNTIME when --seed random
 * cannot draw). */
int cli_sampling_option(const cli_command *cmd, int c, const char *v, cli_sampling *s);

/* generation_config.json's settings, for what the command line left unset. */
void cli_sampling_apply_defaults(cli_sampling *s, const cli_gen_defaults *gd);

#endif
