/* chat_template.c — what apply_chat_template reads besides the template
 * language: the template of a model directory (chat_template.jinja, or
 * tokenizer_config.json's chat_template), its special-token strings, and the
 * render context built from a conversation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "internal.h"

/* A whole file, NUL-terminated; NULL with *missing set when it does not exist. */
static char *read_whole(const char *path, size_t *len, int *missing) {
    *missing = 0;
    FILE *f = fopen(path, "rb");
    if (!f) { *missing = 1; return NULL; }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 65536 + 1;
            char *p = realloc(buf, cap);
            if (!p) { free(buf); fclose(f); return NULL; }
            buf = p;
        }
        size_t got = fread(buf + n, 1, 65536, f);
        n += got;
        if (got < 65536) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); return NULL; }
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

static gpt_status read_config(const char *model_dir, cJSON **config, char *path, size_t path_len, char *err, size_t err_len) {
    *config = NULL;
    snprintf(path, path_len, "%s/tokenizer_config.json", model_dir);
    int missing;
    size_t n;
    char *text = read_whole(path, &n, &missing);
    if (!text) {
        if (missing) return GPT_OK;
        return gpt_fail(err, err_len, GPT_ERR_IO, "%s: cannot read", path);
    }
    *config = gpt_json_parse(text, n, 1);
    free(text);
    if (!*config) return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: not valid JSON", path);
    if (!cJSON_IsObject(*config)) {
        cJSON_Delete(*config);
        *config = NULL;
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: not a JSON object", path);
    }
    return GPT_OK;
}

gpt_status gpt_chat_template_read(const char *model_dir, char **source, size_t *len, char *err, size_t err_len) {
    if (!model_dir || !source) return gpt_fail(err, err_len, GPT_ERR_ARG, "gpt_chat_template_read: NULL argument");
    *source = NULL;
    if (len) *len = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/chat_template.jinja", model_dir);
    int missing;
    size_t n;
    char *text = read_whole(path, &n, &missing);
    if (text) {
        *source = text;
        if (len) *len = n;
        return GPT_OK;
    }
    if (!missing) return gpt_fail(err, err_len, GPT_ERR_IO, "%s: cannot read", path);
    cJSON *config;
    gpt_status st = read_config(model_dir, &config, path, sizeof path, err, err_len);
    if (st != GPT_OK) return st;
    const cJSON *tpl = config ? cJSON_GetObjectItemCaseSensitive(config, "chat_template") : NULL;
    const char *found = NULL;
    if (cJSON_IsString(tpl)) {
        found = tpl->valuestring;
    } else if (cJSON_IsArray(tpl)) {
        char names[256] = "";
        const cJSON *item;
        cJSON_ArrayForEach(item, tpl) {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
            const cJSON *body = cJSON_GetObjectItemCaseSensitive(item, "template");
            if (!cJSON_IsString(name) || !cJSON_IsString(body)) {
                cJSON_Delete(config);
                return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: chat_template: a list item is not {\"name\": string, \"template\": string}", path);
            }
            if (strcmp(name->valuestring, "default") == 0) found = body->valuestring;
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", name->valuestring);
        }
        if (!found) {
            gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: chat_template has no template named \"default\" (it has: %s); give one with --chat-template FILE",
                     path, names[0] ? names : "none");
            cJSON_Delete(config);
            return GPT_ERR_FORMAT;
        }
    } else if (tpl && !cJSON_IsNull(tpl)) {
        cJSON_Delete(config);
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: chat_template is neither a string nor a list of {name, template}", path);
    }
    if (!found) {
        cJSON_Delete(config);
        return gpt_fail(err, err_len, GPT_ERR_FORMAT,
                        "%s: the model has no chat template (no chat_template.jinja, no chat_template in tokenizer_config.json); "
                        "give one with --chat-template FILE", model_dir);
    }
    n = strlen(found);
    *source = malloc(n + 1);
    if (!*source) {
        cJSON_Delete(config);
        return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    }
    memcpy(*source, found, n + 1);
    if (len) *len = n;
    cJSON_Delete(config);
    return GPT_OK;
}

gpt_status gpt_chat_special_tokens(const char *model_dir, char **json, char *err, size_t err_len) {
    if (!model_dir || !json) return gpt_fail(err, err_len, GPT_ERR_ARG, "gpt_chat_special_tokens: NULL argument");
    *json = NULL;
    char path[4096];
    cJSON *config;
    gpt_status st = read_config(model_dir, &config, path, sizeof path, err, err_len);
    if (st != GPT_OK) return st;
    /* transformers' special_tokens_map: these names, strings or AddedToken objects, null left out */
    static const char *const names[] = {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"};
    cJSON *out = cJSON_CreateObject();
    for (size_t k = 0; config && k < sizeof names / sizeof names[0]; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, names[k]);
        if (cJSON_IsObject(v)) v = cJSON_GetObjectItemCaseSensitive(v, "content");
        if (cJSON_IsString(v)) cJSON_AddStringToObject(out, names[k], v->valuestring);
        else if (v && !cJSON_IsNull(v)) {
            cJSON_Delete(out);
            cJSON_Delete(config);
            return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %s is neither a string nor {\"content\": string}", path, names[k]);
        }
    }
    *json = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    cJSON_Delete(config);
    if (!*json) return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    return GPT_OK;
}

/* The text between an object's outer braces, whitespace trimmed. */
static void object_body(const char *text, const char **body, size_t *n) {
    const char *a = strchr(text, '{') + 1, *b = strrchr(text, '}');
    while (a < b && (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r')) a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\n' || b[-1] == '\r')) b--;
    *body = a;
    *n = (size_t)(b - a);
}

gpt_status gpt_chat_context(const char *special_tokens_json, const char *messages_json, int add_generation_prompt,
                            const char *vars_json, char **context_json, char *err, size_t err_len) {
    if (!messages_json || !context_json) return gpt_fail(err, err_len, GPT_ERR_ARG, "gpt_chat_context: NULL argument");
    *context_json = NULL;
    const char *parts[2] = {special_tokens_json, vars_json};
    const char *what[2] = {"special tokens", "template variables"};
    for (int k = 0; k < 2; k++) {
        if (!parts[k]) continue;
        cJSON *v = cJSON_Parse(parts[k]);
        int ok = cJSON_IsObject(v);
        if (ok && k == 1) {
            static const char *const reserved[] = {"messages", "add_generation_prompt"};
            for (int r = 0; r < 2; r++)
                if (cJSON_GetObjectItemCaseSensitive(v, reserved[r])) {
                    cJSON_Delete(v);
                    return gpt_fail(err, err_len, GPT_ERR_ARG, "template variables: \"%s\" is set by the conversation, not a variable", reserved[r]);
                }
        }
        cJSON_Delete(v);
        if (!ok) return gpt_fail(err, err_len, GPT_ERR_ARG, "%s: not a JSON object", what[k]);
    }
    cJSON *msgs = cJSON_Parse(messages_json);
    if (!msgs) return gpt_fail(err, err_len, GPT_ERR_ARG, "messages: not valid JSON");
    if (!cJSON_IsArray(msgs)) {
        cJSON_Delete(msgs);
        return gpt_fail(err, err_len, GPT_ERR_ARG, "messages: not a list");
    }
    int index = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role"), *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        const char *bad = NULL;
        if (!cJSON_IsObject(m)) bad = "not an object";
        else if (!cJSON_IsString(role)) bad = role ? "\"role\" is not a string" : "no \"role\"";
        else if (!cJSON_IsString(content) &&
                 !((!content || cJSON_IsNull(content)) && cJSON_GetObjectItemCaseSensitive(m, "tool_calls")))
            bad = content ? "\"content\" is not a string" : "no \"content\"";
        if (bad) {
            cJSON_Delete(msgs);
            return gpt_fail(err, err_len, GPT_ERR_ARG, "messages[%d]: %s", index, bad);
        }
        index++;
    }
    cJSON_Delete(msgs);
    /* Spliced as text, not re-printed: the values reach the template as
     * written (1.0 stays a float). A repeated key: the last one wins. */
    const char *sb = "", *vb = "";
    size_t sn = 0, vn = 0;
    if (special_tokens_json) object_body(special_tokens_json, &sb, &sn);
    if (vars_json) object_body(vars_json, &vb, &vn);
    size_t total = sn + vn + strlen(messages_json) + 128;
    char *out = malloc(total);
    if (!out) return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    snprintf(out, total, "{%.*s%s\"tools\": null, \"documents\": null%s%.*s, \"messages\": %s, \"add_generation_prompt\": %s}", (int)sn,
             sb, sn ? ", " : "", vn ? ", " : "", (int)vn, vb, messages_json, add_generation_prompt ? "true" : "false");
    *context_json = out;
    return GPT_OK;
}
