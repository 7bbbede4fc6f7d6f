/* fuzz_config.c — config.json parsing (config_load) on arbitrary bytes.
 *
 * Checks: no crash, leak or undefined behaviour; a failure says why; a
 * config that loads holds only sizes the rest of the code can trust
 * (the ranges config.c promises, n_kv_head dividing n_head, an even head
 * size, n_head dividing n_embd for GPT-2, token ids below vocab_size, a
 * positive rope theta and factors with low < high for llama3, a window
 * only with its first layer in range). */
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
    FUZZ_CHECK(cfg.n_embd >= 1 && cfg.n_embd <= 65536);
    FUZZ_CHECK(cfg.n_kv_head >= 1 && cfg.n_head % cfg.n_kv_head == 0);
    FUZZ_CHECK(cfg.head_dim >= 1 && (long)cfg.n_head * cfg.head_dim <= 1 << 20);
    FUZZ_CHECK(cfg.n_inner >= 1 && cfg.n_inner <= 1 << 20);
    FUZZ_CHECK(cfg.n_positions >= 1 && cfg.n_positions <= 1 << 24);
    if (cfg.arch == GPT_ARCH_GPT2) {
        FUZZ_CHECK(cfg.n_embd % cfg.n_head == 0 && cfg.head_dim * cfg.n_head == cfg.n_embd);
        FUZZ_CHECK(cfg.n_kv_head == cfg.n_head && cfg.rope == GPT_ROPE_NONE && !cfg.rms_norm && !cfg.gated_silu);
        FUZZ_CHECK(cfg.n_positions <= 1 << 20);
    } else {
        FUZZ_CHECK(cfg.arch >= GPT_ARCH_LLAMA && cfg.arch <= GPT_ARCH_QWEN3);
        FUZZ_CHECK(cfg.head_dim % 2 == 0 && cfg.rms_norm && cfg.gated_silu && cfg.rope != GPT_ROPE_NONE);
        FUZZ_CHECK(isfinite(cfg.rope_theta) && cfg.rope_theta > 0);
        FUZZ_CHECK(isfinite(cfg.rope_factor) && cfg.rope_factor > 0);
        if (cfg.rope == GPT_ROPE_LLAMA3)
            FUZZ_CHECK(cfg.rope_low_freq_factor > 0 && cfg.rope_high_freq_factor > cfg.rope_low_freq_factor &&
                       cfg.rope_original_ctx >= 1);
        FUZZ_CHECK(cfg.sliding_window >= 0);
        FUZZ_CHECK(cfg.window_first_layer >= 0);
        FUZZ_CHECK(cfg.sliding_window > 0 || cfg.window_first_layer == cfg.n_layer);
    }
    FUZZ_CHECK(cfg.n_eos >= 0 && cfg.n_eos <= GPT_MAX_EOS);
    for (int i = 0; i < cfg.n_eos; i++) FUZZ_CHECK(cfg.eos_ids[i] >= 0 && cfg.eos_ids[i] < cfg.vocab_size);
    FUZZ_CHECK(cfg.eos_token_id == (cfg.n_eos ? cfg.eos_ids[0] : -1));
    FUZZ_CHECK(cfg.vocab_size >= 1 && cfg.vocab_size <= 10000000);
    FUZZ_CHECK(isfinite(cfg.layer_norm_epsilon) && cfg.layer_norm_epsilon >= FLT_MIN && cfg.layer_norm_epsilon < 1);
    FUZZ_CHECK(cfg.gelu_exact == 0 || cfg.gelu_exact == 1);
    FUZZ_CHECK(cfg.bos_token_id >= -1 && cfg.bos_token_id < cfg.vocab_size);
    FUZZ_CHECK(cfg.eos_token_id >= -1 && cfg.eos_token_id < cfg.vocab_size);
    return 0;
}
