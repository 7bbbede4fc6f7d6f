/* fuzz_config.c — config.json parsing (config_load) on arbitrary bytes.
 *
 * Checks: no crash, leak or undefined behaviour; a failure says why; a
 * config that loads holds only sizes the rest of the code can trust
 * (the ranges config.c promises, n_head dividing n_embd, token ids below
 * vocab_size). */
#include <float.h>
#include <math.h>

#include "fuzz.h"

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_write("config.json", data, size);
    gpt_config cfg;
    char err[512] = "";
    if (config_load(&cfg, fuzz_dir(), err, sizeof err) != GPT_OK) {
        FUZZ_CHECK(err[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(cfg.n_layer >= 1 && cfg.n_layer <= 1000);
    FUZZ_CHECK(cfg.n_head >= 1 && cfg.n_head <= 4096);
    FUZZ_CHECK(cfg.n_embd >= 1 && cfg.n_embd <= 65536 && cfg.n_embd % cfg.n_head == 0);
    FUZZ_CHECK(cfg.n_inner >= 1 && cfg.n_inner <= CONFIG_MAX_N_INNER);
    FUZZ_CHECK(cfg.n_positions >= 1 && cfg.n_positions <= 1 << 20);
    FUZZ_CHECK(cfg.vocab_size >= 1 && cfg.vocab_size <= 10000000);
    FUZZ_CHECK(isfinite(cfg.layer_norm_epsilon) && cfg.layer_norm_epsilon >= FLT_MIN && cfg.layer_norm_epsilon < 1);
    FUZZ_CHECK(cfg.gelu_exact == 0 || cfg.gelu_exact == 1);
    FUZZ_CHECK(cfg.bos_token_id >= -1 && cfg.bos_token_id < cfg.vocab_size);
    FUZZ_CHECK(cfg.eos_token_id >= -1 && cfg.eos_token_id < cfg.vocab_size);
    return 0;
}
