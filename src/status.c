/* status.c — status names, the error-message helper every module uses, and
 * the reader of every JSON file (gpt_json_parse). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "internal.h"

const char *gpt_status_string(gpt_status status) {
    switch (status) {
    case GPT_OK: return "ok";
    case GPT_ERR_IO: return "i/o error";
    case GPT_ERR_FORMAT: return "malformed input";
    case GPT_ERR_UNSUPPORTED: return "unsupported";
    case GPT_ERR_OOM: return "out of memory";
    case GPT_ERR_ARG: return "invalid argument";
    case GPT_ERR_CONTEXT_FULL: return "context full";
    case GPT_ERR_NUMERIC: return "non-finite number";
    case GPT_ERR_CANCELLED: return "cancelled";
    }
    return "unknown status";
}

const char *gpt_dtype_name(gpt_dtype dtype) {
    switch (dtype) {
    case GPT_DTYPE_F32: return "F32";
    case GPT_DTYPE_F16: return "F16";
    case GPT_DTYPE_BF16: return "BF16";
    case GPT_DTYPE_Q8: return "Q8";
    }
    return "?";
}

gpt_status gpt_fail(char *err, size_t err_len, gpt_status status, const char *fmt, ...) {
    if (err && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return status;
}

/* FNV-1a of a key. */
static uint64_t key_hash(const char *key) {
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) h = (h ^ *p) * 1099511628211ULL;
    return h;
}

/* Python's json and serde_json's maps keep the last value of a key that
 * appears twice in an object, where cJSON's lookups find the first: each
 * object here keeps only the last (a config.json with two "rope_theta"
 * means what HF reads), through a hash set of the keys from the back.
 * 0: out of memory. */
static int keep_last_keys(cJSON *item) {
    for (cJSON *c = item->child; c; c = c->next)
        if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && !keep_last_keys(c)) return 0;
    size_t n = 0;
    for (cJSON *c = item->child; c; c = c->next) n++;
    if (!cJSON_IsObject(item) || n < 2) return 1;
    size_t slots = 4;
    while (slots < 2 * n) slots *= 2;
    cJSON **set = calloc(slots, sizeof *set);  // (slots) the keys seen, open addressing
    if (!set) return 0;
    for (cJSON *c = item->child->prev, *prev; c; c = prev) {  // child->prev: the last child
        prev = c == item->child ? NULL : c->prev;
        if (!c->string) continue;
        size_t at = (size_t)key_hash(c->string) & (slots - 1);
        while (set[at] && strcmp(set[at]->string, c->string)) at = (at + 1) & (slots - 1);
        if (set[at]) cJSON_Delete(cJSON_DetachItemViaPointer(item, c));  // a later one was kept
        else set[at] = c;
    }
    free(set);
    return 1;
}

/* cJSON stops at the end of the first value and ignores what follows, and
 * takes every control character for whitespace, so a file of a JSON object
 * and then anything (a second object), or with a NUL between its members,
 * would load; HF's readers (serde_json, Python's json) refuse both, and so
 * does this: only whitespace may follow the value, and no control
 * character but tab, newline and carriage return may stand anywhere (JSON
 * strings escape them). */
struct cJSON *gpt_json_parse(const char *text, size_t len, int last_key_wins) {
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 && text[i] != '\t' && text[i] != '\n' && text[i] != '\r') return NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) return NULL;
    for (const char *p = end; p && p < text + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete(root);
            return NULL;
        }
    if (last_key_wins && !keep_last_keys(root)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
