/* make-random-model.c — writes a checkpoint with random weights in the
 * HuggingFace layout (config.json + model.safetensors), for benchmarks and
 * loader tests: GPT-2-shaped by default, or Llama/Qwen2/Qwen3-shaped with
 * --arch.
 * The tokenizer files are not written: copy vocab.json and merges.txt
 * beside a GPT-2 one; feed the others token ids (gpt generate --ids).
 *
 *   make-random-model DIR [--layers 12] [--embd 768] [--heads 12] [--ctx 1024]
 *                         [--vocab 50257] [--dtype F32|F16|BF16] [--seed 1]
 *                         [--round F16|BF16] [--prefix] [--untied]
 *                         [--arch gpt2|llama|qwen2|qwen3] [--kv-heads N] [--inner N]
 *                         [--head-dim N] [--rope-llama3]
 *                         [--preset smollm2-135m|qwen2.5-0.5b|qwen3-0.6b|llama3.2-1b|tinyllama-1.1b]
 *
 * --preset gives the real shapes (the dtype is still --dtype):
 *   smollm2-135m: llama, 30 layers, hidden 576, 9 heads, 3 kv heads,
 *                 intermediate 1536, vocab 49152, 8192 positions, tied;
 *   qwen2.5-0.5b: qwen2, 24 layers, hidden 896, 14 heads, 2 kv heads,
 *                 intermediate 4864, vocab 151936, q/k/v biases, tied;
 *   qwen3-0.6b:   qwen3, 28 layers, hidden 1024, 16 heads of 128 (head_dim
 *                 is not hidden / heads), 8 kv heads, q/k norms,
 *                 intermediate 3072, vocab 151936, 40960 positions, tied;
 *   llama3.2-1b:  llama, 16 layers, hidden 2048, 32 heads, 8 kv heads,
 *                 intermediate 8192, vocab 128256, 131072 positions, rope
 *                 theta 500000 with llama3 scaling (factor 32), tied;
 *   tinyllama-1.1b: llama, 22 layers, hidden 2048, 32 heads, 4 kv heads,
 *                 intermediate 5632, vocab 32000, 2048 positions, untied.
 *
 * Weights are N(0, 0.02) (layer norms N(1, 0.02)), from a fixed generator,
 * so the same arguments give the same bytes. --round F16 (or BF16) with
 * F32 stores each value rounded to that type: the F32 file then holds
 * exactly the weights of the 16-bit file made with the same seed. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char name[96];
    int ndim;
    long shape[2];
    int kind;  // 0: N(0, .02) weight, 1: N(1, .02) layer-norm gain, 2: N(0, .02) bias
} tensor;

static uint64_t rng = 88172645463325252ULL;
static double uniform(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return ((rng >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static float normal(void) { return (float)(sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform())); }

static uint16_t to_half(float f) {  // round to nearest even; no subnormal outputs needed at 0.02 scale
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int exp = (int)((x >> 23) & 0xFF) - 127 + 15;
    uint32_t mant = x & 0x7FFFFF;
    if (exp <= 0) return (uint16_t)sign;  // tiny: flush to zero
    if (exp >= 31) return (uint16_t)(sign | 0x7C00);
    uint32_t h = sign | (uint32_t)(exp << 10) | (mant >> 13);
    uint32_t rest = mant & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
    return (uint16_t)h;
}

static float from_half(uint16_t h) {  // normal numbers and zero: all to_half makes
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    uint32_t x = exp == 0 ? sign : exp == 31 ? sign | 0x7F800000 : sign | ((exp - 15 + 127) << 23) | (mant << 13);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

static float from_bf16(uint16_t h) {
    uint32_t x = (uint32_t)h << 16;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

static uint16_t to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    x += 0x7FFF + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

int main(int argc, char **argv) {
    /* DIR comes first; a first argument that looks like a flag (--help) is
     * not taken for a directory to write a model into. */
    if (argc < 2 || argv[1][0] == '-') {
        int help = argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
        fprintf(help ? stdout : stderr,
                "usage: %s DIR [--layers N] [--embd N] [--heads N] [--ctx N] [--vocab N] "
                "[--dtype F32|F16|BF16] [--round F16|BF16] [--seed N] [--prefix] [--untied] "
                "[--arch gpt2|llama|qwen2|qwen3] [--kv-heads N] [--inner N] [--head-dim N] [--rope-llama3]\n"
                "    [--preset smollm2-135m|qwen2.5-0.5b|qwen3-0.6b|llama3.2-1b|tinyllama-1.1b]\n",
                argv[0]);
        return help ? 0 : 2;
    }
    const char *dir = argv[1], *dtype = "F32", *round_to = NULL, *arch = "gpt2";
    long L = 12, C = 768, H = 12, P = 1024, V = 50257, seed = 1, KV = 0, I = 0, HD = 0;
    int prefix = 0, untied = 0, rope_llama3 = 0;
    for (int i = 2; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--preset")) {
            const char *pr = argv[++i];
            if (!strcmp(pr, "smollm2-135m")) arch = "llama", L = 30, C = 576, H = 9, KV = 3, I = 1536, V = 49152, P = 8192;
            else if (!strcmp(pr, "qwen2.5-0.5b"))
                arch = "qwen2", L = 24, C = 896, H = 14, KV = 2, I = 4864, V = 151936, P = 32768;
            else if (!strcmp(pr, "qwen3-0.6b"))
                arch = "qwen3", L = 28, C = 1024, H = 16, KV = 8, HD = 128, I = 3072, V = 151936, P = 40960;
            else if (!strcmp(pr, "llama3.2-1b"))
                arch = "llama", L = 16, C = 2048, H = 32, KV = 8, I = 8192, V = 128256, P = 131072, rope_llama3 = 1;
            else if (!strcmp(pr, "tinyllama-1.1b"))
                arch = "llama", L = 22, C = 2048, H = 32, KV = 4, I = 5632, V = 32000, P = 2048, untied = 1;
            else { fprintf(stderr, "unknown preset %s\n", pr); return 2; }
        } else if (!strcmp(argv[i], "--prefix")) prefix = 1;
        else if (i + 1 < argc && !strcmp(argv[i], "--arch")) arch = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--kv-heads")) KV = atol(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--inner")) I = atol(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--head-dim")) HD = atol(argv[++i]);
        else if (!strcmp(argv[i], "--rope-llama3")) rope_llama3 = 1;
        else if (!strcmp(argv[i], "--untied")) untied = 1;
        else if (i + 1 < argc && !strcmp(argv[i], "--layers")) L = atol(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--embd")) C = atol(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--heads")) H = atol(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--ctx")) P = atol(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--vocab")) V = atol(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--seed")) seed = atol(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--dtype")) dtype = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--round")) round_to = argv[++i];
        else { fprintf(stderr, "unknown argument %s\n", argv[i]); return 2; }
    }
    int esize = !strcmp(dtype, "F32") ? 4 : (!strcmp(dtype, "F16") || !strcmp(dtype, "BF16")) ? 2 : 0;
    const int gpt2 = !strcmp(arch, "gpt2"), qwen2 = !strcmp(arch, "qwen2"), qwen3 = !strcmp(arch, "qwen3");
    if (!KV) KV = H;
    if (!I) I = 4 * C;
    if (!HD && H > 0) HD = C / H;
    if (!esize || L < 1 || C < 1 || H < 1 || (gpt2 && C % H) || HD < 1 || P < 1 || V < 1 || KV < 1 || H % KV ||
        I < 1 || (!gpt2 && !qwen2 && !qwen3 && strcmp(arch, "llama")) || (gpt2 && (HD != C / H || rope_llama3))) {
        fprintf(stderr, "bad shape, arch or dtype\n");
        return 2;
    }
    rng ^= (uint64_t)seed * 0x9E3779B97F4A7C15ULL;
    mkdir(dir, 0755);

    /* The tensor list, in the order HF writes it. */
    int n = 0, cap = 4 + 18 * (int)L + 3;
    tensor *t = calloc(cap, sizeof *t);
    const char *pre = prefix ? "transformer." : "";
#define ADD(kind_, nd, s0, s1, ...)                                       \
    do {                                                                  \
        snprintf(t[n].name, sizeof t[n].name, __VA_ARGS__);               \
        t[n].ndim = nd, t[n].shape[0] = s0, t[n].shape[1] = s1, t[n].kind = kind_; \
        n++;                                                              \
    } while (0)
    if (!gpt2) {  // Llama / Qwen2 / Qwen3: nn.Linear [out, in], RMSNorm gains, rotary (no position table)
        ADD(0, 2, V, C, "model.embed_tokens.weight");
        for (long l = 0; l < L; l++) {
            ADD(1, 1, C, 0, "model.layers.%ld.input_layernorm.weight", l);
            ADD(0, 2, H * HD, C, "model.layers.%ld.self_attn.q_proj.weight", l);
            ADD(0, 2, KV * HD, C, "model.layers.%ld.self_attn.k_proj.weight", l);
            ADD(0, 2, KV * HD, C, "model.layers.%ld.self_attn.v_proj.weight", l);
            if (qwen2) {
                ADD(2, 1, H * HD, 0, "model.layers.%ld.self_attn.q_proj.bias", l);
                ADD(2, 1, KV * HD, 0, "model.layers.%ld.self_attn.k_proj.bias", l);
                ADD(2, 1, KV * HD, 0, "model.layers.%ld.self_attn.v_proj.bias", l);
            }
            if (qwen3) {  // per-head RMSNorm gains on q and k
                ADD(1, 1, HD, 0, "model.layers.%ld.self_attn.q_norm.weight", l);
                ADD(1, 1, HD, 0, "model.layers.%ld.self_attn.k_norm.weight", l);
            }
            ADD(0, 2, C, H * HD, "model.layers.%ld.self_attn.o_proj.weight", l);
            ADD(1, 1, C, 0, "model.layers.%ld.post_attention_layernorm.weight", l);
            ADD(0, 2, I, C, "model.layers.%ld.mlp.gate_proj.weight", l);
            ADD(0, 2, I, C, "model.layers.%ld.mlp.up_proj.weight", l);
            ADD(0, 2, C, I, "model.layers.%ld.mlp.down_proj.weight", l);
        }
        ADD(1, 1, C, 0, "model.norm.weight");
        if (untied) ADD(0, 2, V, C, "lm_head.weight");
        goto write;
    }
    ADD(0, 2, V, C, "%swte.weight", pre);
    ADD(0, 2, P, C, "%swpe.weight", pre);
    for (long l = 0; l < L; l++) {
        ADD(1, 1, C, 0, "%sh.%ld.ln_1.weight", pre, l);
        ADD(2, 1, C, 0, "%sh.%ld.ln_1.bias", pre, l);
        ADD(0, 2, C, 3 * C, "%sh.%ld.attn.c_attn.weight", pre, l);
        ADD(2, 1, 3 * C, 0, "%sh.%ld.attn.c_attn.bias", pre, l);
        ADD(0, 2, C, C, "%sh.%ld.attn.c_proj.weight", pre, l);
        ADD(2, 1, C, 0, "%sh.%ld.attn.c_proj.bias", pre, l);
        ADD(1, 1, C, 0, "%sh.%ld.ln_2.weight", pre, l);
        ADD(2, 1, C, 0, "%sh.%ld.ln_2.bias", pre, l);
        ADD(0, 2, C, 4 * C, "%sh.%ld.mlp.c_fc.weight", pre, l);
        ADD(2, 1, 4 * C, 0, "%sh.%ld.mlp.c_fc.bias", pre, l);
        ADD(0, 2, 4 * C, C, "%sh.%ld.mlp.c_proj.weight", pre, l);
        ADD(2, 1, C, 0, "%sh.%ld.mlp.c_proj.bias", pre, l);
    }
    ADD(1, 1, C, 0, "%sln_f.weight", pre);
    ADD(2, 1, C, 0, "%sln_f.bias", pre);
    if (untied) ADD(0, 2, V, C, "lm_head.weight");

write:;
    /* Header: JSON padded with spaces to a multiple of 8, as HF does. */
    size_t hcap = (size_t)n * 200 + 64, hlen = 0, offset = 0;
    char *header = malloc(hcap);
    hlen += snprintf(header + hlen, hcap - hlen, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < n; i++) {
        size_t count = (size_t)t[i].shape[0] * (t[i].ndim == 2 ? (size_t)t[i].shape[1] : 1);
        size_t bytes = count * esize;
        if (t[i].ndim == 2)
            hlen += snprintf(header + hlen, hcap - hlen, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%ld,%ld],"
                             "\"data_offsets\":[%zu,%zu]}", t[i].name, dtype, t[i].shape[0], t[i].shape[1],
                             offset, offset + bytes);
        else
            hlen += snprintf(header + hlen, hcap - hlen, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%ld],"
                             "\"data_offsets\":[%zu,%zu]}", t[i].name, dtype, t[i].shape[0], offset,
                             offset + bytes);
        offset += bytes;
    }
    hlen += snprintf(header + hlen, hcap - hlen, "}");
    while (hlen % 8) header[hlen++] = ' ';

    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); return 1; }
    uint64_t hl = hlen;
    fwrite(&hl, 8, 1, f);  // little-endian on every machine this runs on
    fwrite(header, 1, hlen, f);
    for (int i = 0; i < n; i++) {
        size_t count = (size_t)t[i].shape[0] * (t[i].ndim == 2 ? (size_t)t[i].shape[1] : 1);
        for (size_t k = 0; k < count; k++) {
            float v = 0.02f * normal() + (t[i].kind == 1 ? 1.0f : 0.0f);
            /* --round: F32 values that are exactly the 16-bit ones */
            if (round_to && !strcmp(round_to, "F16")) v = from_half(to_half(v));
            else if (round_to && !strcmp(round_to, "BF16")) v = from_bf16(to_bf16(v));
            if (esize == 4) fwrite(&v, 4, 1, f);
            else {
                uint16_t h = !strcmp(dtype, "F16") ? to_half(v) : to_bf16(v);
                fwrite(&h, 2, 1, f);
            }
        }
    }
    if (fclose(f) != 0) { perror(path); return 1; }

    snprintf(path, sizeof path, "%s/config.json", dir);
    f = fopen(path, "w");
    if (!f) { perror(path); return 1; }
    if (!gpt2) {  // the fields transformers 4.51 writes that matter here
        char extra[256], special[32], scaling[256];
        if (qwen2) {  // Qwen2's configs name head_dim only where it is not hidden / heads (--head-dim)
            char head_dim[48] = "";
            if (HD != C / H) snprintf(head_dim, sizeof head_dim, "  \"head_dim\": %ld,\n", HD);
            snprintf(extra, sizeof extra, "  \"use_sliding_window\": false,\n  \"sliding_window\": 32768,\n"
                                          "  \"max_window_layers\": 21,\n%s", head_dim);
        }
        else if (qwen3)
            snprintf(extra, sizeof extra, "  \"attention_bias\": false,\n  \"head_dim\": %ld,\n"
                                          "  \"use_sliding_window\": false,\n  \"sliding_window\": null,\n"
                                          "  \"max_window_layers\": %ld,\n", HD, L);
        else
            snprintf(extra, sizeof extra, "  \"attention_bias\": false,\n  \"mlp_bias\": false,\n  \"head_dim\": %ld,\n", HD);
        if (rope_llama3)  // Llama-3.2's
            snprintf(scaling, sizeof scaling, "{\"rope_type\": \"llama3\", \"factor\": 32.0, \"low_freq_factor\": 1.0, "
                                              "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}");
        else snprintf(scaling, sizeof scaling, "null");
        snprintf(special, sizeof special, "%ld", qwen2 || qwen3 ? (V - 1 < 151643 ? V - 1 : 151643) : 0);
        fprintf(f, "{\n  \"architectures\": [\"%s\"],\n  \"model_type\": \"%s\",\n  \"hidden_act\": \"silu\",\n"
                   "  \"hidden_size\": %ld,\n  \"intermediate_size\": %ld,\n  \"num_hidden_layers\": %ld,\n"
                   "  \"num_attention_heads\": %ld,\n  \"num_key_value_heads\": %ld,\n"
                   "  \"max_position_embeddings\": %ld,\n  \"vocab_size\": %ld,\n  \"rms_norm_eps\": %s,\n"
                   "  \"rope_theta\": %s,\n  \"rope_scaling\": %s,\n  \"tie_word_embeddings\": %s,\n"
                   "%s  \"bos_token_id\": %s,\n  \"eos_token_id\": %s,\n  \"torch_dtype\": \"%s\"\n}\n",
                qwen2 ? "Qwen2ForCausalLM" : qwen3 ? "Qwen3ForCausalLM" : "LlamaForCausalLM", arch, C, I, L, H, KV, P, V,
                qwen2 || qwen3 ? "1e-06" : "1e-05",
                qwen2 || qwen3 ? "1000000.0" : rope_llama3 ? "500000.0" : "100000", scaling, untied ? "false" : "true",
                extra, special, special,
                !strcmp(dtype, "F32") ? "float32" : !strcmp(dtype, "F16") ? "float16" : "bfloat16");
        fclose(f);
        free(header);
        free(t);
        return 0;
    }
    fprintf(f, "{\n  \"model_type\": \"gpt2\",\n  \"activation_function\": \"gelu_new\",\n"
               "  \"n_layer\": %ld,\n  \"n_head\": %ld,\n  \"n_embd\": %ld,\n  \"n_positions\": %ld,\n"
               "  \"n_inner\": null,\n  \"vocab_size\": %ld,\n  \"layer_norm_epsilon\": 1e-05,\n"
               "  \"bos_token_id\": 50256,\n  \"eos_token_id\": 50256,\n  \"tie_word_embeddings\": %s\n}\n",
            L, H, C, P, V, untied ? "false" : "true");
    fclose(f);
    free(header);
    free(t);
    return 0;
}
