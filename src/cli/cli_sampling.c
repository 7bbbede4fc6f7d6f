/* cli_sampling.c — the sampling flags gpt generate and gpt chat share. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "cli_request.h"
#include "cli_sampling.h"

void cli_sampling_init(cli_sampling *s) {
    *s = (cli_sampling){.temperature = 0.8, .top_k = 40, .top_p = 0.95, .repetition_penalty = 1};
}

int cli_sampling_option(const cli_command *cmd, int c, const char *v, cli_sampling *s) {
    switch (c) {
    case CLI_OPT_TEMPERATURE:
        if (cli_parse_float(v, &s->temperature) || s->temperature < 0 || s->temperature > 1e30)
            return cli_usage_fail(cmd, "--temperature wants a number in 0..1e30, not '%s'", v);
        s->set_temperature = 1;
        return 0;
    case CLI_OPT_TOP_K:
        if (cli_parse_int(v, 0, CLI_MAX_TOP_K, &s->top_k))
            return cli_usage_fail(cmd, "--top-k wants an integer in 0..%d (0: all), not '%s'", CLI_MAX_TOP_K, v);
        s->set_top_k = 1;
        return 0;
    case CLI_OPT_TOP_P:
        if (cli_parse_float(v, &s->top_p) || !(s->top_p > 0 && s->top_p <= 1))
            return cli_usage_fail(cmd, "--top-p wants a number in (0, 1], not '%s'", v);
        s->set_top_p = 1;
        return 0;
    case CLI_OPT_SEED: {
        long seed;
        if (!strcmp(v, "random")) seed = -1;
        else if (cli_parse_int(v, -CLI_MAX_SEED, CLI_MAX_SEED, &seed))
            return cli_usage_fail(cmd, "--seed wants an integer in 0..%ld (2^53-1), or 'random', not '%s'",
                                  CLI_MAX_SEED, v);
        if (seed < 0) {  // from the system, 53 bits so JSON numbers hold it exactly
            uint64_t r;
            if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) {
                cli_error("--seed random: getrandom: %s", strerror(errno));
                return EXIT_RUNTIME;
            }
            seed = (long)(r >> 11);
            s->seed_random = 1;
        } else {
            s->seed_random = 0;
        }
        s->seed = (unsigned long long)seed;
        return 0;
    }
    case CLI_OPT_MIN_P:
        if (cli_parse_float(v, &s->min_p) || !(s->min_p >= 0 && s->min_p <= 1))
            return cli_usage_fail(cmd, "--min-p wants a number in [0, 1], not '%s'", v);
        return 0;
    case CLI_OPT_REPETITION_PENALTY:
        if (cli_parse_float(v, &s->repetition_penalty) || !(s->repetition_penalty > 0) ||
            s->repetition_penalty > 1e30)
            return cli_usage_fail(cmd, "--repetition-penalty wants a number > 0 (1: off), not '%s'", v);
        s->set_repetition_penalty = 1;
        return 0;
    case CLI_OPT_PRESENCE_PENALTY:
    case CLI_OPT_FREQUENCY_PENALTY: {
        double *to = c == CLI_OPT_PRESENCE_PENALTY ? &s->presence_penalty : &s->frequency_penalty;
        if (cli_parse_float(v, to) || !isfinite(*to) || fabs(*to) > 1e30)
            return cli_usage_fail(cmd, "--%s-penalty wants a number, not '%s'",
                                  c == CLI_OPT_PRESENCE_PENALTY ? "presence" : "frequency", v);
        return 0;
    }
    case CLI_OPT_PENALTY_LAST_N:
        if (cli_parse_int(v, 0, 1000000000, &s->penalty_last_n))
            return cli_usage_fail(cmd, "--penalty-last-n wants an integer >= 0 (0: all), not '%s'", v);
        return 0;
    case CLI_OPT_LOGIT_BIAS:
    case CLI_OPT_BAN: {
        long id;
        double bias = -INFINITY;
        char buf[64];
        const char *eq = c == CLI_OPT_LOGIT_BIAS ? strchr(v, '=') : NULL;
        snprintf(buf, sizeof buf, "%.*s", eq ? (int)(eq - v) : (int)strlen(v), v);
        if (cli_parse_int(buf, 0, 100000000, &id) || (c == CLI_OPT_LOGIT_BIAS && !eq) ||
            (eq && (cli_parse_float(eq + 1, &bias) || !isfinite(bias) || fabs(bias) > 1e30)))
            return c == CLI_OPT_BAN ? cli_usage_fail(cmd, "--ban wants a token id, not '%s'", v)
                                    : cli_usage_fail(cmd, "--logit-bias wants ID=BIAS, not '%s'", v);
        if (s->n_bias >= CLI_MAX_BIAS)
            return cli_usage_fail(cmd, "at most %d --logit-bias and --ban entries", CLI_MAX_BIAS);
        s->bias_ids[s->n_bias] = (int)id;
        s->bias_values[s->n_bias++] = (float)bias;
        return 0;
    }
    }
    return -1;
}

void cli_sampling_apply_defaults(cli_sampling *s, const cli_gen_defaults *gd) {
    if (gd->has_do_sample && !gd->do_sample && !s->set_temperature) s->temperature = 0;  // the model asks for greedy
    else if (gd->has_temperature && !s->set_temperature) s->temperature = gd->temperature;
    if (gd->has_top_k && !s->set_top_k) s->top_k = gd->top_k;
    if (gd->has_top_p && !s->set_top_p) s->top_p = gd->top_p;
    if (gd->has_repetition_penalty && !s->set_repetition_penalty) s->repetition_penalty = gd->repetition_penalty;
}
