/* cli_messages.c — conversations and template variables as JSON, checked. */
#include <stdio.h>
#include <string.h>

#include "cli_messages.h"

int cli_messages_check(const cJSON *messages, char *msg, size_t msg_len) {
    if (!cJSON_IsArray(messages)) {
        snprintf(msg, msg_len, "\"messages\" must be a list of {\"role\", \"content\"} objects");
        return -1;
    }
    int i = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, messages) {
        if (!cJSON_IsObject(m)) {
            snprintf(msg, msg_len, "messages[%d] must be an object {\"role\", \"content\"}", i);
            return -1;
        }
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        if (!cJSON_IsString(role)) {
            snprintf(msg, msg_len, "messages[%d]: \"role\" must be a string", i);
            return -1;
        }
        if (!cJSON_IsString(content)) {
            snprintf(msg, msg_len, "messages[%d]: \"content\" must be a string", i);
            return -1;
        }
        i++;
    }
    return 0;
}

const cJSON *cli_messages_of(const cJSON *root, char *msg, size_t msg_len) {
    const cJSON *messages = root;
    if (cJSON_IsObject(root)) {
        messages = cJSON_GetObjectItemCaseSensitive(root, "messages");
        if (!messages || cJSON_GetArraySize(root) != 1) {
            snprintf(msg, msg_len, "not a conversation: a list of messages, or {\"messages\": [...]}");
            return NULL;
        }
    } else if (!cJSON_IsArray(root)) {
        snprintf(msg, msg_len, "not a conversation: a list of messages, or {\"messages\": [...]}");
        return NULL;
    }
    return cli_messages_check(messages, msg, msg_len) == 0 ? messages : NULL;
}

/* Names the template's caller sets, as transformers' apply_chat_template
 * does: a variable of the same name would be a second value for them. */
static const char *reserved(const char *name) {
    if (!strcmp(name, "messages")) return "the conversation";
    if (!strcmp(name, "add_generation_prompt")) return "--no-generation-prompt";
    return NULL;
}

int cli_template_vars_check(const cJSON *vars, const char *what, char *msg, size_t msg_len) {
    if (!cJSON_IsObject(vars)) {
        snprintf(msg, msg_len, "%s must be a JSON object of template variables", what);
        return -1;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, vars) {
        const char *by = reserved(v->string);
        if (by) {
            snprintf(msg, msg_len, "%s: \"%s\" is set by gpt (%s), not a template variable", what, v->string, by);
            return -1;
        }
    }
    return 0;
}

int cli_template_var_add(cJSON **vars, const char *arg, char *msg, size_t msg_len) {
    const char *eq = strchr(arg, '=');
    size_t name_len = eq ? (size_t)(eq - arg) : 0;
    int ok_name = name_len > 0 && !(arg[0] >= '0' && arg[0] <= '9');
    for (size_t i = 0; i < name_len && ok_name; i++)
        ok_name = arg[i] == '_' || (arg[i] >= 'a' && arg[i] <= 'z') || (arg[i] >= 'A' && arg[i] <= 'Z') ||
                  (arg[i] >= '0' && arg[i] <= '9');
    if (!ok_name) {
        snprintf(msg, msg_len, "--template-var wants NAME=JSON (NAME a Jinja identifier), not '%s'", arg);
        return -1;
    }
    char name[256];
    if (name_len >= sizeof name) {
        snprintf(msg, msg_len, "--template-var: the name '%.40s...' is too long", arg);
        return -1;
    }
    memcpy(name, arg, name_len);
    name[name_len] = '\0';
    if (reserved(name)) {
        snprintf(msg, msg_len, "--template-var: \"%s\" is set by gpt (%s), not a template variable", name,
                 reserved(name));
        return -1;
    }
    cJSON *value = cJSON_Parse(eq + 1);
    if (!value) {
        snprintf(msg, msg_len, "--template-var %s: '%s' is not JSON (a string needs its quotes: %s='\"text\"')",
                 name, eq + 1, name);
        return -1;
    }
    if (!*vars && !(*vars = cJSON_CreateObject())) {
        cJSON_Delete(value);
        snprintf(msg, msg_len, "out of memory");
        return -1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(*vars, name);
    cJSON_AddItemToObject(*vars, name, value);
    return 0;
}
