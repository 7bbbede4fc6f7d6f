/* cli_messages.h — conversations as JSON, checked before any template sees
 * them: no tokenizer, no model, no I/O (the --batch parser uses it, and is
 * fuzzed with it).
 *
 * A conversation is a list of messages [{"role": "user", "content": "Hi"},
 * ...]: each an object with a string "role" and a string "content"; other
 * keys ("name", "tool_calls", ...) pass to the template untouched. A
 * --messages file holds the list itself or {"messages": [...]}; `/save` in
 * `gpt chat` writes the list. */
#ifndef GPT_CLI_MESSAGES_H
#define GPT_CLI_MESSAGES_H

#include <stddef.h>

#include <cJSON.h>

/* 0 when messages is a conversation as above; else -1 with one line in msg
 * naming the first fault ("messages[2]: \"content\" must be a string"). */
int cli_messages_check(const cJSON *messages, char *msg, size_t msg_len);

/* The conversation of a --messages document (a list, or an object whose
 * only key is "messages"), checked; NULL with msg set when it is neither. */
const cJSON *cli_messages_of(const cJSON *root, char *msg, size_t msg_len);

/* 0 when vars is a JSON object of template variables that gpt does not set
 * itself ("messages", "add_generation_prompt"); else -1 with msg, which
 * starts with what (the name of the field or flag). */
int cli_template_vars_check(const cJSON *vars, const char *what, char *msg, size_t msg_len);

/* Adds one --template-var NAME=JSON to *vars (created on first use); a name
 * given twice takes the last value. Returns 0, or -1 with msg. */
int cli_template_var_add(cJSON **vars, const char *arg, char *msg, size_t msg_len);

#endif
