/* cli_request.c — one --batch input line into a request's fields, and the
 * backslash escapes that plain lines and flags (--stop, --separator) use. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_json.h"
#include "cli_messages.h"
#include "cli_request.h"

size_t cli_unescape(char *s) {
    char *out = s;
    const char *in = s;
    while (*in) {
        if (*in != '\\' || !in[1]) {
            *out++ = *in++;
            continue;
        }
        switch (in[1]) {
        case 'n': *out++ = '\n'; break;
        case 't': *out++ = '\t'; break;
        case 'r': *out++ = '\r'; break;
        case '0': *out++ = '\0'; break;
        case '\\': *out++ = '\\'; break;
        default: *out++ = in[0]; *out++ = in[1]; break;
        }
        in += 2;
    }
    size_t n = (size_t)(out - s);
    *out = '\0';
    return n;
}

void cli_request_init(cli_request *req, const cli_request_defaults *def, long index) {
    memset(req, 0, sizeof *req);
    req->max_tokens = def->max_tokens;
    req->temperature = def->temperature;
    req->top_p = def->top_p;
    req->top_k = def->top_k;
    req->seed = def->seed + (unsigned long long)index;
    req->logprobs = def->logprobs;
    req->truncate = def->truncate;
    req->ignore_eos = def->ignore_eos;
    req->echo = def->echo;
    req->n = def->n > 0 ? def->n : 1;
    req->top_logprobs = def->top_logprobs;
    req->min_p = def->min_p;
    req->repetition_penalty = def->repetition_penalty;
    req->presence_penalty = def->presence_penalty;
    req->frequency_penalty = def->frequency_penalty;
    req->penalty_last_n = def->penalty_last_n;
    req->bias_ids = def->bias_ids;
    req->bias_values = def->bias_values;
    req->n_bias = def->n_bias;
    req->n_stops = def->n_stops < CLI_MAX_STOPS ? def->n_stops : CLI_MAX_STOPS;
    for (int i = 0; i < req->n_stops; i++) req->stops[i] = def->stops[i];
}

void cli_request_free(cli_request *req) {
    if (!req) return;
    free(req->prompt);
    cJSON_Delete(req->id);
    cJSON_Delete(req->messages);
    cJSON_Delete(req->template_vars);
    for (int i = 0; i < CLI_MAX_STOPS; i++) free(req->stop_store[i]);
    free(req->bias_store);
    memset(req, 0, sizeof *req);
}

/* Keeps a copy of the stop string s as the request's next stop. */
static int add_stop(cli_request *req, const char *s) {
    if (!*s) return 1;  // an empty stop string would stop before the first token
    char *copy = strdup(s);
    if (!copy) return -1;
    req->stop_store[req->n_stops] = copy;
    req->stops[req->n_stops] = copy;
    req->n_stops++;
    return 0;
}

/* "stop": a string, an array of strings, or null (no stops at all). */
static int parse_stops(cli_request *req, const cJSON *f, char *msg, size_t msg_len) {
    for (int i = 0; i < CLI_MAX_STOPS; i++) {  // a repeated "stop" replaces the one before
        free(req->stop_store[i]);
        req->stop_store[i] = NULL;
    }
    req->n_stops = 0;
    if (cJSON_IsString(f)) {
        int rc = add_stop(req, f->valuestring);
        if (rc == 0) return 0;
        if (rc > 0) { snprintf(msg, msg_len, "\"stop\" strings must not be empty"); return -1; }
    } else if (cJSON_IsArray(f)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, f) {
            if (!cJSON_IsString(e) || req->n_stops >= CLI_MAX_STOPS) {
                snprintf(msg, msg_len, "\"stop\" must be a string or an array of at most %d strings",
                         CLI_MAX_STOPS);
                return -1;
            }
            int rc = add_stop(req, e->valuestring);
            if (rc > 0) { snprintf(msg, msg_len, "\"stop\" strings must not be empty"); return -1; }
            if (rc != 0) break;
        }
        if (!e) return 0;
    } else if (cJSON_IsNull(f)) {
        return 0;
    } else {
        snprintf(msg, msg_len, "\"stop\" must be a string or an array of strings");
        return -1;
    }
    snprintf(msg, msg_len, "out of memory");
    return -1;
}

/* "messages" (a conversation, rendered by the chat template later) and
 * "template_vars" (more variables for the template). */
static int parse_conversation_field(cli_request *req, const cJSON *f, char *msg, size_t msg_len) {
    cJSON **slot = !strcmp(f->string, "messages") ? &req->messages : &req->template_vars;
    if (slot == &req->messages ? cli_messages_check(f, msg, msg_len) != 0
                               : cli_template_vars_check(f, "\"template_vars\"", msg, msg_len) != 0)
        return -1;
    cJSON_Delete(*slot);  // a repeated key: the last one wins
    if (!(*slot = cJSON_Duplicate(f, 1))) {
        snprintf(msg, msg_len, "out of memory");
        return -1;
    }
    return 0;
}

/* "logit_bias": {"ID": bias, ...} as OpenAI's, ids as decimal strings;
 * it replaces the command line's --logit-bias and --ban. */
static int parse_bias(cli_request *req, const cJSON *f, char *msg, size_t msg_len) {
    if (!cJSON_IsObject(f)) {
        snprintf(msg, msg_len, "\"logit_bias\" must be an object of \"token id\": bias");
        return -1;
    }
    int n = cJSON_GetArraySize(f);
    free(req->bias_store);
    req->bias_store = malloc((sizeof(int) + sizeof(float)) * (size_t)(n > 0 ? n : 1));
    if (!req->bias_store) { snprintf(msg, msg_len, "out of memory"); return -1; }
    int *ids = req->bias_store;
    float *values = (float *)(ids + n);
    int k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, f) {
        char *end;
        long id = strtol(e->string, &end, 10);
        if (!e->string[0] || *end || id < 0 || id > 100000000) {
            snprintf(msg, msg_len, "\"logit_bias\" key \"%.40s\" is not a token id", e->string);
            return -1;
        }
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble) || fabs(e->valuedouble) > 1e30) {
            snprintf(msg, msg_len, "\"logit_bias\" value for %ld must be a number", id);
            return -1;
        }
        ids[k] = (int)id;
        values[k++] = (float)e->valuedouble;
    }
    req->bias_ids = ids;
    req->bias_values = values;
    req->n_bias = k;
    return 0;
}

/* A finite number field in [min, max]. */
static int number_field(const cJSON *f, double min, double max, double *out) {
    if (!cJSON_IsNumber(f) || !(f->valuedouble >= min && f->valuedouble <= max)) return 0;
    *out = f->valuedouble;
    return 1;
}

static int bool_field(const cJSON *f, int *out) {
    if (!cJSON_IsBool(f)) return 0;
    *out = cJSON_IsTrue(f);
    return 1;
}

/* One field of a JSON request. Returns 0, or -1 with msg set. */
static int parse_field(cli_request *req, const cJSON *f, const cJSON **prompt, char *msg, size_t msg_len) {
    const char *k = f->string;
    if (!strcmp(k, "prompt")) {
        if (!cJSON_IsString(f)) { snprintf(msg, msg_len, "\"prompt\" must be a string"); return -1; }
        *prompt = f;
    } else if (!strcmp(k, "id")) {
        cJSON_Delete(req->id);  // a repeated key: the last one wins, as for every field
        req->id = cJSON_Duplicate(f, 1);
    } else if (!strcmp(k, "max_tokens")) {
        if (!cli_json_int(f, -1, CLI_MAX_TOKENS, &req->max_tokens)) {
            snprintf(msg, msg_len, "\"max_tokens\" must be an integer in -1..%d (-1: no limit)", CLI_MAX_TOKENS);
            return -1;
        }
    } else if (!strcmp(k, "temperature")) {
        if (!cJSON_IsNumber(f) || !(f->valuedouble >= 0) || f->valuedouble > 1e30) {
            snprintf(msg, msg_len, "\"temperature\" must be a number in 0..1e30"); return -1;
        }
        req->temperature = f->valuedouble;
    } else if (!strcmp(k, "top_k")) {
        if (!cli_json_int(f, 0, CLI_MAX_TOP_K, &req->top_k)) {
            snprintf(msg, msg_len, "\"top_k\" must be an integer in 0..%d (0: all)", CLI_MAX_TOP_K); return -1;
        }
    } else if (!strcmp(k, "top_p")) {
        if (!cJSON_IsNumber(f) || !(f->valuedouble > 0 && f->valuedouble <= 1)) {
            snprintf(msg, msg_len, "\"top_p\" must be a number in (0, 1]"); return -1;
        }
        req->top_p = f->valuedouble;
    } else if (!strcmp(k, "seed")) {
        long s;
        if (!cli_json_int(f, 0, CLI_MAX_SEED, &s)) {
            snprintf(msg, msg_len, "\"seed\" must be an integer in 0..%ld (2^53-1)", CLI_MAX_SEED); return -1;
        }
        req->seed = (unsigned long long)s;
    } else if (!strcmp(k, "stop")) {
        return parse_stops(req, f, msg, msg_len);
    } else if (!strcmp(k, "logprobs")) {
        if (!cJSON_IsBool(f)) { snprintf(msg, msg_len, "\"logprobs\" must be true or false"); return -1; }
        req->logprobs = cJSON_IsTrue(f);
    } else if (!strcmp(k, "messages") || !strcmp(k, "template_vars")) {
        return parse_conversation_field(req, f, msg, msg_len);
    } else if (!strcmp(k, "truncate") || !strcmp(k, "ignore_eos") || !strcmp(k, "echo")) {
        int *to = !strcmp(k, "truncate") ? &req->truncate : !strcmp(k, "echo") ? &req->echo : &req->ignore_eos;
        if (!bool_field(f, to)) { snprintf(msg, msg_len, "\"%s\" must be true or false", k); return -1; }
    } else if (!strcmp(k, "n")) {
        if (!cli_json_int(f, 1, CLI_MAX_SAMPLES, &req->n)) {
            snprintf(msg, msg_len, "\"n\" must be an integer in 1..%d", CLI_MAX_SAMPLES); return -1;
        }
    } else if (!strcmp(k, "top_logprobs")) {
        if (!cli_json_int(f, 0, CLI_MAX_TOP_LOGPROBS, &req->top_logprobs)) {
            snprintf(msg, msg_len, "\"top_logprobs\" must be an integer in 0..%d", CLI_MAX_TOP_LOGPROBS);
            return -1;
        }
    } else if (!strcmp(k, "penalty_last_n")) {
        if (!cli_json_int(f, 0, 1000000000, &req->penalty_last_n)) {
            snprintf(msg, msg_len, "\"penalty_last_n\" must be an integer >= 0 (0: all tokens)"); return -1;
        }
    } else if (!strcmp(k, "min_p")) {
        if (!number_field(f, 0, 1, &req->min_p)) { snprintf(msg, msg_len, "\"min_p\" must be a number in [0, 1]"); return -1; }
    } else if (!strcmp(k, "repetition_penalty")) {
        if (!number_field(f, 1e-30, 1e30, &req->repetition_penalty)) {
            snprintf(msg, msg_len, "\"repetition_penalty\" must be a number > 0 (1: off)"); return -1;
        }
    } else if (!strcmp(k, "presence_penalty") || !strcmp(k, "frequency_penalty")) {
        double *to = k[0] == 'p' ? &req->presence_penalty : &req->frequency_penalty;
        if (!number_field(f, -1e30, 1e30, to)) { snprintf(msg, msg_len, "\"%s\" must be a number", k); return -1; }
    } else if (!strcmp(k, "logit_bias")) {
        return parse_bias(req, f, msg, msg_len);
    } else {
        snprintf(msg, msg_len, "unknown field \"%s\"", k);
        return -1;
    }
    return 0;
}

static int parse_json(const char *line, size_t len, long index, cli_request *req, char *msg, size_t msg_len) {
    cJSON *root = cJSON_ParseWithLength(line, len);
    if (!root || !cJSON_IsObject(root)) {
        snprintf(msg, msg_len, "line %ld: not a JSON object", index + 1);
        cJSON_Delete(root);
        return -1;
    }
    const cJSON *prompt = NULL, *f;
    int rc = 0;
    cJSON_ArrayForEach(f, root) {
        rc = parse_field(req, f, &prompt, msg, msg_len);
        if (rc != 0) break;
    }
    if (rc == 0 && prompt && req->messages) {
        snprintf(msg, msg_len, "give \"prompt\" or \"messages\", not both");
        rc = -1;
    } else if (rc == 0 && req->template_vars && !req->messages) {
        snprintf(msg, msg_len, "\"template_vars\" applies only with \"messages\"");
        rc = -1;
    } else if (rc == 0 && !prompt && !req->messages) {
        snprintf(msg, msg_len, "missing \"prompt\"");  // (or \"messages\")
        rc = -1;
    }
    if (rc == 0 && prompt) {
        req->prompt = strdup(prompt->valuestring);
        req->prompt_len = req->prompt ? strlen(req->prompt) : 0;
        if (!req->prompt) rc = -1, snprintf(msg, msg_len, "out of memory");
    }
    cJSON_Delete(root);
    return rc;
}

int cli_request_parse(const char *line, size_t len, long index, const cli_request_defaults *def,
                      cli_request *req, char *msg, size_t msg_len) {
    cli_request_init(req, def, index);
    if (memchr(line, '\0', len)) {
        snprintf(msg, msg_len, "line %ld holds a NUL byte", index + 1);
        return -1;
    }
    /* JSON allows whitespace before the object: look past it for the '{'. */
    size_t lead = 0;  // (not strspn: line need not end in a NUL)
    while (lead < len && (line[lead] == ' ' || line[lead] == '\t' || line[lead] == '\r')) lead++;
    if (lead < len && line[lead] == '{') return parse_json(line, len, index, req, msg, msg_len);
    req->prompt = malloc(len + 1);
    if (!req->prompt) {
        snprintf(msg, msg_len, "out of memory");
        return -1;
    }
    memcpy(req->prompt, line, len);
    req->prompt[len] = '\0';
    req->prompt_len = cli_unescape(req->prompt);
    return 0;
}
