/* status.c — status names and the error-message helper every module uses. */
#include <stdio.h>

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

/* cJSON stops at the end of the first value and ignores what follows, and
 * takes every control character for whitespace, so a file of a JSON object
 * and then anything (a second object), or with a NUL between its members,
 * would load; HF's readers (serde_json, Python's json) refuse both, and so
 * does this: only whitespace may follow the value, and no control
 * character but tab, newline and carriage return may stand anywhere (JSON
 * strings escape them). */
struct cJSON *gpt_json_parse(const char *text, size_t len) {
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
    return root;
}
