/* config.c — config.json into gpt_config, with every setting that would
 * change the math and is not implemented refused by name. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "config.h"

#define MAX_CONFIG_BYTES (16 << 20)

static char *read_text(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && n <= MAX_CONFIG_BYTES && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
            if (fread(buf, 1, (size_t)n, f) == (size_t)n) {
                buf[n] = '\0';
                *len = (size_t)n;
            } else {
                free(buf);
                buf = NULL;
            }
        }
    }
    fclose(f);
    return buf;
}

/* An integer field in [lo, hi]: 1 found, 0 absent or null, -1 malformed. */
static int int_field(const cJSON *root, const char *key, long lo, long hi, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
        return -1;
    *out = (int)v->valuedouble;
    return 1;
}

static int bool_field(const cJSON *root, const char *key, int fallback) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

const char *gpt_arch_name(gpt_arch arch) {
    switch (arch) {
    case GPT_ARCH_GPT2: return "gpt2";
    case GPT_ARCH_LLAMA: return "llama";
    case GPT_ARCH_MISTRAL: return "mistral";
    case GPT_ARCH_QWEN2: return "qwen2";
    case GPT_ARCH_QWEN3: return "qwen3";
    }
    return "?";
}

/* model_type, or the first of architectures when model_type is absent;
 * a config with neither is GPT-2's (older GPT-2 configs name no type). */
static int arch_of(const cJSON *root, const char *path, gpt_arch *arch, char *err, size_t err_len) {
    static const struct { const char *type, *class_name; gpt_arch arch; } known[] = {
        {"gpt2", "GPT2LMHeadModel", GPT_ARCH_GPT2},       {"llama", "LlamaForCausalLM", GPT_ARCH_LLAMA},
        {"mistral", "MistralForCausalLM", GPT_ARCH_MISTRAL}, {"qwen2", "Qwen2ForCausalLM", GPT_ARCH_QWEN2},
        {"qwen3", "Qwen3ForCausalLM", GPT_ARCH_QWEN3},
    };
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    const cJSON *archs = cJSON_GetObjectItemCaseSensitive(root, "architectures");
    const cJSON *first = cJSON_IsArray(archs) ? cJSON_GetArrayItem(archs, 0) : NULL;
    const char *field = "model_type", *name = NULL;
    if (type && !cJSON_IsNull(type)) name = cJSON_IsString(type) ? type->valuestring : "?";
    else if (first) field = "architectures", name = cJSON_IsString(first) ? first->valuestring : "?";
    if (!name) {
        *arch = GPT_ARCH_GPT2;
        return 0;
    }
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(name, field[0] == 'm' ? known[i].type : known[i].class_name)) {
            *arch = known[i].arch;
            return 0;
        }
    gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED,
             "%s: %s \"%s\" is not supported (gpt2, llama, mistral, qwen2 and qwen3 are)", path, field, name);
    return -1;
}

/* An id or a list of ids (eos_token_id) appended to ids[*n], without
 * repeats: 0 ok or absent, -1 malformed. */
static int id_list_field(const cJSON *root, const char *key, int vocab, int *ids, int *n, int max) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v || cJSON_IsNull(v)) return 0;
    int count = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 1;
    for (int i = 0; i < count; i++) {
        const cJSON *e = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, i) : v;
        if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < 0 ||
            e->valuedouble >= vocab)
            return -1;
        int id = (int)e->valuedouble, seen = 0;
        for (int k = 0; k < *n; k++) seen |= ids[k] == id;
        if (seen) continue;
        if (*n >= max) return -1;
        ids[(*n)++] = id;
    }
    return 0;
}

/* A number field: 1 found, 0 absent or null, -1 not a finite number. */
static int num_field(const cJSON *root, const char *key, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return -1;
    *out = v->valuedouble;
    return 1;
}

/* rope_theta and rope_scaling (transformers 4), or rope_parameters
 * (transformers 5: the same keys in one object). */
static gpt_status rope_of(const cJSON *root, const char *path, gpt_config *cfg, char *err, size_t err_len) {
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "rope_parameters");
    const cJSON *scaling = cJSON_GetObjectItemCaseSensitive(root, "rope_scaling");
    const char *theta_field = "rope_theta";
    const cJSON *theta_in = root;
    if (cJSON_IsObject(params)) {
        if (num_field(params, "rope_theta", &cfg->rope_theta) != 0) theta_in = params, theta_field = "rope_parameters.rope_theta";
        if (!scaling || cJSON_IsNull(scaling)) scaling = params;
    } else if (params && !cJSON_IsNull(params)) {
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: rope_parameters must be an object or null", path);
    }
    cfg->rope = GPT_ROPE_DEFAULT;
    cfg->rope_theta = 10000.0;
    cfg->rope_factor = 1.0;
    int found = num_field(theta_in, "rope_theta", &cfg->rope_theta);
    if (found < 0 || (found && !(cfg->rope_theta > 0)))
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %s must be a number > 0", path, theta_field);
    if (!scaling || cJSON_IsNull(scaling)) return GPT_OK;
    if (!cJSON_IsObject(scaling))
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: rope_scaling must be an object or null", path);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(scaling, "rope_type");
    if (!type) type = cJSON_GetObjectItemCaseSensitive(scaling, "type");
    const char *t = cJSON_IsString(type) ? type->valuestring : type ? "?" : "default";
    if (!strcmp(t, "default")) return GPT_OK;
    if (strcmp(t, "linear") && strcmp(t, "llama3"))
        return gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED,
                        "%s: rope_scaling type \"%s\" is not supported (default, linear and llama3 are)", path, t);
    if (num_field(scaling, "factor", &cfg->rope_factor) != 1 || !(cfg->rope_factor > 0))
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: rope_scaling.factor must be a number > 0", path);
    if (!strcmp(t, "linear")) {
        cfg->rope = GPT_ROPE_LINEAR;
        return GPT_OK;
    }
    cfg->rope = GPT_ROPE_LLAMA3;
    double lo = 0, hi = 0, orig = 0;
    if (num_field(scaling, "low_freq_factor", &lo) != 1 || num_field(scaling, "high_freq_factor", &hi) != 1 ||
        !(lo > 0) || !(hi > lo))
        return gpt_fail(err, err_len, GPT_ERR_FORMAT,
                        "%s: rope_scaling low_freq_factor and high_freq_factor must be numbers with 0 < low < high",
                        path);
    if (num_field(scaling, "original_max_position_embeddings", &orig) != 1 || orig != floor(orig) || orig < 1 ||
        orig > 1 << 24)
        return gpt_fail(err, err_len, GPT_ERR_FORMAT,
                        "%s: rope_scaling.original_max_position_embeddings must be an integer in 1..%d", path, 1 << 24);
    cfg->rope_low_freq_factor = lo;
    cfg->rope_high_freq_factor = hi;
    cfg->rope_original_ctx = (int)orig;
    return GPT_OK;
}

/* The epsilon as the float the norm adds: a tiny double such as 1e-85
 * rounds to 0, and a zero epsilon divides a constant row by 0. */
static gpt_status eps_of(const cJSON *root, const char *path, const char *key, float fallback, float *out,
                         char *err, size_t err_len) {
    *out = fallback;
    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!eps || cJSON_IsNull(eps)) return GPT_OK;
    float e = cJSON_IsNumber(eps) && eps->valuedouble > 0 && eps->valuedouble < 1 ? (float)eps->valuedouble : 0;
    if (!(e >= FLT_MIN && e < 1))
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %s must be a number in (0, 1), at least %g as a float",
                        path, key, (double)FLT_MIN);
    *out = e;
    return GPT_OK;
}

/* GPT-2's config.json (n_layer, n_embd, ...): a learned position table,
 * LayerNorm, a fused Conv1D qkv with biases, a GELU MLP. */
static gpt_status gpt2_config(const cJSON *root, const char *path, gpt_config *cfg, char *err, size_t err_len) {
    struct { const char *key; const char *alt; long lo, hi; int *dst; } sizes[] = {
        {"n_layer", NULL, 1, 1000, &cfg->n_layer},
        {"n_head", NULL, 1, 4096, &cfg->n_head},
        {"n_embd", NULL, 1, 65536, &cfg->n_embd},
        {"n_positions", "n_ctx", 1, 1 << 20, &cfg->n_positions},
        {"vocab_size", NULL, 1, 10000000, &cfg->vocab_size},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int found = int_field(root, sizes[i].key, sizes[i].lo, sizes[i].hi, sizes[i].dst);
        if (found == 0 && sizes[i].alt) found = int_field(root, sizes[i].alt, sizes[i].lo, sizes[i].hi, sizes[i].dst);
        if (found != 1)
            return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %s %s (want an integer in %ld..%ld)", path,
                            sizes[i].key, found == 0 ? "is missing" : "is malformed", sizes[i].lo, sizes[i].hi);
    }
    if (cfg->n_embd % cfg->n_head)
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: n_head %d does not divide n_embd %d", path, cfg->n_head,
                        cfg->n_embd);
    cfg->n_kv_head = cfg->n_head;
    cfg->head_dim = cfg->n_embd / cfg->n_head;
    int found = int_field(root, "n_inner", 1, CONFIG_MAX_N_INNER, &cfg->n_inner);
    if (found < 0)
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: n_inner is malformed (want an integer in 1..%d)", path,
                        CONFIG_MAX_N_INNER);
    if (found == 0) cfg->n_inner = 4 * cfg->n_embd;
    gpt_status st = eps_of(root, path, "layer_norm_epsilon", 1e-5f, &cfg->layer_norm_epsilon, err, err_len);
    if (st != GPT_OK) return st;

    const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "activation_function");
    const char *a = cJSON_IsString(act) ? act->valuestring : "gelu_new";
    if (!strcmp(a, "gelu_new") || !strcmp(a, "gelu_pytorch_tanh")) cfg->gelu_exact = 0;
    else if (!strcmp(a, "gelu")) cfg->gelu_exact = 1;
    else return gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "%s: activation_function \"%s\" is not supported", path, a);

    /* Settings that change the math and are not implemented. */
    if (bool_field(root, "scale_attn_by_inverse_layer_idx", 0))
        return gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "%s: scale_attn_by_inverse_layer_idx true is not supported",
                        path);
    if (!bool_field(root, "scale_attn_weights", 1))
        return gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "%s: scale_attn_weights false is not supported", path);
    if (bool_field(root, "add_cross_attention", 0))
        return gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "%s: add_cross_attention true is not supported", path);
    /* reorder_and_upcast_attn only changes the precision of HF's fp16
     * attention; our attention is float32 throughout, so it is accepted. */
    cfg->rope = GPT_ROPE_NONE;
    cfg->qkv_bias = cfg->o_bias = cfg->mlp_bias = 1;
    /* GPT-2's head: lm_head.weight when the file has it, else wte (model.c). */
    cfg->tied = bool_field(root, "tie_word_embeddings", 1);
    return GPT_OK;
}

/* Llama, Mistral, Qwen2 and Qwen3: RMSNorm, rotary positions, a gated SiLU
 * MLP, grouped-query attention, nn.Linear weights. */
static gpt_status llama_config(const cJSON *root, const char *path, gpt_config *cfg, char *err, size_t err_len) {
    struct { const char *key; long lo, hi; int *dst; } sizes[] = {
        {"num_hidden_layers", 1, 1000, &cfg->n_layer},
        {"num_attention_heads", 1, 4096, &cfg->n_head},
        {"hidden_size", 1, 65536, &cfg->n_embd},
        {"intermediate_size", 1, CONFIG_MAX_N_INNER, &cfg->n_inner},
        {"max_position_embeddings", 1, 1 << 24, &cfg->n_positions},
        {"vocab_size", 1, 10000000, &cfg->vocab_size},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int found = int_field(root, sizes[i].key, sizes[i].lo, sizes[i].hi, sizes[i].dst);
        if (found != 1)
            return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %s %s (want an integer in %ld..%ld)", path,
                            sizes[i].key, found == 0 ? "is missing" : "is malformed", sizes[i].lo, sizes[i].hi);
    }
    cfg->n_kv_head = cfg->n_head;
    if (int_field(root, "num_key_value_heads", 1, 4096, &cfg->n_kv_head) < 0)
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: num_key_value_heads is malformed (want an integer in 1..4096)",
                        path);
    if (cfg->n_head % cfg->n_kv_head)
        return gpt_fail(err, err_len, GPT_ERR_FORMAT,
                        "%s: num_key_value_heads %d does not divide num_attention_heads %d", path, cfg->n_kv_head,
                        cfg->n_head);
    int found = int_field(root, "head_dim", 1, 4096, &cfg->head_dim);
    if (found < 0) return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: head_dim is malformed (want an integer in 1..4096)", path);
    if (found == 0) {  // transformers derives it
        if (cfg->n_embd % cfg->n_head)
            return gpt_fail(err, err_len, GPT_ERR_FORMAT,
                            "%s: no head_dim, and num_attention_heads %d does not divide hidden_size %d", path,
                            cfg->n_head, cfg->n_embd);
        cfg->head_dim = cfg->n_embd / cfg->n_head;
    }
    if (cfg->head_dim % 2)
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: head_dim %d is odd (rotary pairs need it even)", path,
                        cfg->head_dim);
    if ((long)cfg->n_head * cfg->head_dim > 1 << 20)
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: num_attention_heads x head_dim is too large", path);
    gpt_status st = eps_of(root, path, "rms_norm_eps", 1e-6f, &cfg->layer_norm_epsilon, err, err_len);
    if (st != GPT_OK) return st;
    cfg->rms_norm = 1;
    cfg->gated_silu = 1;

    const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "hidden_act");
    if (act && !cJSON_IsNull(act) && !(cJSON_IsString(act) && !strcmp(act->valuestring, "silu")))
        return gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "%s: hidden_act \"%s\" is not supported (silu is)", path,
                        cJSON_IsString(act) ? act->valuestring : "?");
    st = rope_of(root, path, cfg, err, err_len);
    if (st != GPT_OK) return st;

    /* Biases: Qwen2's q/k/v always; attention_bias (q, k, v and o) for
     * Llama and Qwen3; mlp_bias for Llama. Transformers reads neither
     * field for the others, so neither does this. */
    int attention_bias = bool_field(root, "attention_bias", 0);
    if (cfg->arch == GPT_ARCH_QWEN2) cfg->qkv_bias = 1;
    if (cfg->arch == GPT_ARCH_LLAMA || cfg->arch == GPT_ARCH_QWEN3) cfg->qkv_bias = cfg->o_bias = attention_bias;
    if (cfg->arch == GPT_ARCH_LLAMA) cfg->mlp_bias = bool_field(root, "mlp_bias", 0);
    cfg->qk_norm = cfg->arch == GPT_ARCH_QWEN3;
    cfg->tied = bool_field(root, "tie_word_embeddings", 0);

    /* The window: Mistral's in every layer; Qwen's only with
     * use_sliding_window, from layer max_window_layers on. */
    int window = 0;
    found = int_field(root, "sliding_window", 0, INT_MAX, &window);  // 0, like null: no window
    if (found < 0) return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: sliding_window must be an integer >= 0 or null", path);
    if (window == 0) found = 0;
    if (cfg->arch == GPT_ARCH_MISTRAL) {
        cfg->sliding_window = found ? window : 0;
    } else if (cfg->arch == GPT_ARCH_QWEN2 || cfg->arch == GPT_ARCH_QWEN3) {
        if (bool_field(root, "use_sliding_window", 0) && found) {
            cfg->sliding_window = window;
            if (int_field(root, "max_window_layers", 0, 1000, &cfg->window_first_layer) < 0)
                return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: max_window_layers is malformed", path);
        }
    } else if (found) {
        return gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "%s: sliding_window %d is not supported for model_type %s",
                        path, window, gpt_arch_name(cfg->arch));
    }
    if (!cfg->sliding_window) cfg->window_first_layer = cfg->n_layer;
    /* transformers 4.53+ writes the same choice per layer: it must agree. */
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(root, "layer_types");
    if (types && !cJSON_IsNull(types)) {
        if (!cJSON_IsArray(types) || cJSON_GetArraySize(types) != cfg->n_layer)
            return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: layer_types must list %d layers", path, cfg->n_layer);
        for (int l = 0; l < cfg->n_layer; l++) {
            const cJSON *t = cJSON_GetArrayItem(types, l);
            const char *want = l >= cfg->window_first_layer ? "sliding_attention" : "full_attention";
            if (!cJSON_IsString(t) || strcmp(t->valuestring, want))
                return gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED,
                                "%s: layer_types[%d] \"%s\" is not supported (the other fields give \"%s\")", path, l,
                                cJSON_IsString(t) ? t->valuestring : "?", want);
        }
    }

    /* Settings of neighbouring families that change the math. */
    static const char *refused[] = {"quantization_config", "partial_rotary_factor", "attn_logit_softcapping",
                                    "final_logit_softcapping", "num_experts"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, refused[i]);
        if (!v || cJSON_IsNull(v)) continue;
        if (cJSON_IsNumber(v) && v->valuedouble == 1 && !strcmp(refused[i], "partial_rotary_factor"))
            continue;  // 1 is the plain computation
        if (cJSON_IsNumber(v) && v->valuedouble == 0 && !strcmp(refused[i], "num_experts")) continue;
        return gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "%s: %s is not supported", path, refused[i]);
    }
    return GPT_OK;
}

/* generation_config.json, when present: its eos ids join config.json's
 * (generation stops at any of them), and its bos fills a missing one. */
static gpt_status generation_config(const char *dir, gpt_config *cfg, char *err, size_t err_len) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/generation_config.json", dir);
    size_t len = 0;
    char *text = read_text(path, &len);
    if (!text) return GPT_OK;
    cJSON *root = gpt_json_parse(text, len, 1);
    free(text);
    gpt_status st = GPT_OK;
    if (!cJSON_IsObject(root)) st = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: not a JSON object", path);
    else if (id_list_field(root, "eos_token_id", cfg->vocab_size, cfg->eos_ids, &cfg->n_eos, GPT_MAX_EOS) < 0 ||
             (cfg->bos_token_id < 0 && int_field(root, "bos_token_id", 0, cfg->vocab_size - 1, &cfg->bos_token_id) < 0))
        st = gpt_fail(err, err_len, GPT_ERR_FORMAT,
                      "%s: bos_token_id/eos_token_id must be ids below vocab_size %d (at most %d eos ids)", path,
                      cfg->vocab_size, GPT_MAX_EOS);
    cJSON_Delete(root);
    return st;
}

gpt_status config_load(gpt_config *cfg, const char *dir, char *err, size_t err_len) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/config.json", dir);
    size_t len = 0;
    char *text = read_text(path, &len);
    if (!text) return gpt_fail(err, err_len, GPT_ERR_IO, "%s: cannot read (is %s a model directory?)", path, dir);
    cJSON *root = gpt_json_parse(text, len, 1);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: not a JSON object", path);
    }
    gpt_status st = GPT_OK;
    memset(cfg, 0, sizeof *cfg);
    cfg->bos_token_id = cfg->eos_token_id = -1;
    if (arch_of(root, path, &cfg->arch, err, err_len) != 0) {
        st = GPT_ERR_UNSUPPORTED;
        goto out;
    }
    st = cfg->arch == GPT_ARCH_GPT2 ? gpt2_config(root, path, cfg, err, err_len)
                                    : llama_config(root, path, cfg, err, err_len);
    if (st != GPT_OK) goto out;
    if (int_field(root, "bos_token_id", 0, cfg->vocab_size - 1, &cfg->bos_token_id) < 0 ||
        id_list_field(root, "eos_token_id", cfg->vocab_size, cfg->eos_ids, &cfg->n_eos, GPT_MAX_EOS) < 0) {
        st = gpt_fail(err, err_len, GPT_ERR_FORMAT,
                      "%s: bos_token_id/eos_token_id must be ids below vocab_size %d (at most %d eos ids)", path,
                      cfg->vocab_size, GPT_MAX_EOS);
        goto out;
    }
    st = generation_config(dir, cfg, err, err_len);
    if (st == GPT_OK && cfg->n_eos > 0) cfg->eos_token_id = cfg->eos_ids[0];
out:
    cJSON_Delete(root);
    return st;
}
