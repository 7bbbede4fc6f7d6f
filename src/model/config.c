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

gpt_status config_load(gpt_config *cfg, const char *dir, char *err, size_t err_len) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/config.json", dir);
    size_t len = 0;
    char *text = read_text(path, &len);
    if (!text) return gpt_fail(err, err_len, GPT_ERR_IO, "%s: cannot read (is %s a model directory?)", path, dir);
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: not a JSON object", path);
    }
    gpt_status st = GPT_OK;
    memset(cfg, 0, sizeof *cfg);
    cfg->bos_token_id = cfg->eos_token_id = -1;

    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    if (type && (!cJSON_IsString(type) || strcmp(type->valuestring, "gpt2"))) {
        st = gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "%s: model_type \"%s\" is not gpt2", path,
                      cJSON_IsString(type) ? type->valuestring : "?");
        goto out;
    }
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
        if (found != 1) {
            st = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %s %s (want an integer in %ld..%ld)", path,
                          sizes[i].key, found == 0 ? "is missing" : "is malformed", sizes[i].lo, sizes[i].hi);
            goto out;
        }
    }
    if (cfg->n_embd % cfg->n_head) {
        st = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: n_head %d does not divide n_embd %d", path, cfg->n_head,
                      cfg->n_embd);
        goto out;
    }
    int found = int_field(root, "n_inner", 1, CONFIG_MAX_N_INNER, &cfg->n_inner);
    if (found < 0) {
        st = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: n_inner is malformed (want an integer in 1..%d)", path,
                      CONFIG_MAX_N_INNER);
        goto out;
    }
    if (found == 0) cfg->n_inner = 4 * cfg->n_embd;

    cfg->layer_norm_epsilon = 1e-5f;
    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(root, "layer_norm_epsilon");
    if (eps && !cJSON_IsNull(eps)) {
        /* Checked as the float layernorm uses: a tiny double such as 1e-85
         * rounds to 0, and a zero epsilon divides a constant row by 0. */
        float e = cJSON_IsNumber(eps) && eps->valuedouble > 0 && eps->valuedouble < 1 ? (float)eps->valuedouble : 0;
        if (!(e >= FLT_MIN && e < 1)) {
            st = gpt_fail(err, err_len, GPT_ERR_FORMAT,
                          "%s: layer_norm_epsilon must be a number in (0, 1), at least %g as a float", path,
                          (double)FLT_MIN);
            goto out;
        }
        cfg->layer_norm_epsilon = e;
    }

    const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "activation_function");
    const char *a = cJSON_IsString(act) ? act->valuestring : "gelu_new";
    if (!strcmp(a, "gelu_new") || !strcmp(a, "gelu_pytorch_tanh")) cfg->gelu_exact = 0;
    else if (!strcmp(a, "gelu")) cfg->gelu_exact = 1;
    else {
        st = gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "%s: activation_function \"%s\" is not supported", path, a);
        goto out;
    }

    /* Settings that change the math and are not implemented. */
    if (bool_field(root, "scale_attn_by_inverse_layer_idx", 0)) {
        st = gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "%s: scale_attn_by_inverse_layer_idx true is not supported",
                      path);
        goto out;
    }
    if (!bool_field(root, "scale_attn_weights", 1)) {
        st = gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "%s: scale_attn_weights false is not supported", path);
        goto out;
    }
    if (bool_field(root, "add_cross_attention", 0)) {
        st = gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED, "%s: add_cross_attention true is not supported", path);
        goto out;
    }
    /* reorder_and_upcast_attn only changes the precision of HF's fp16
     * attention; our attention is float32 throughout, so it is accepted. */

    if (int_field(root, "bos_token_id", 0, cfg->vocab_size - 1, &cfg->bos_token_id) < 0 ||
        int_field(root, "eos_token_id", 0, cfg->vocab_size - 1, &cfg->eos_token_id) < 0) {
        st = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: bos_token_id/eos_token_id must be ids below vocab_size %d",
                      path, cfg->vocab_size);
        goto out;
    }
out:
    cJSON_Delete(root);
    return st;
}
