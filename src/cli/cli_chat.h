/* cli_chat.h — conversations in the CLI: the model's chat template (or
 * --chat-template FILE) rendered as transformers' apply_chat_template
 * renders it, the end-of-turn ids that end a reply, generation_config.json's
 * sampling defaults, and the `template` and `chat` subcommands. */
#ifndef GPT_CLI_CHAT_H
#define GPT_CLI_CHAT_H

#include <limits.h>
#include <stddef.h>

#include <cJSON.h>

#include "gpt.h"

#define CLI_MAX_END_IDS 8

typedef struct {
    gpt_template *tpl;         /* NULL when the model has none and no file was given */
    char origin[PATH_MAX + 64]; /* where the template came from, for messages */
    char *tokens_json;         /* {"bos_token": "<s>", ...}: tokenizer_config.json's special tokens */
    cJSON *tokens;             /* the same, parsed */
    char missing[PATH_MAX + 160]; /* with tpl NULL: the one line that says so */
} cli_chat_template;

/* The template of model directory dir: file when not NULL (--chat-template),
 * else gpt_chat_template_read's (dir/chat_template.jinja, else
 * tokenizer_config.json's "chat_template": a string, or a list of {"name",
 * "template"} of which "default" is used), with gpt_chat_special_tokens.
 * A model with none (or a malformed one) is not a failure here: ct->tpl
 * stays NULL and ct->missing says why (and suggests --chat-template), for
 * when a conversation needs it. Returns EXIT_OK, or EXIT_RUNTIME after one
 * diagnostic (no such directory, unreadable file, template syntax error). */
int cli_chat_template_load(cli_chat_template *ct, const char *dir, const char *file);

/* Reads and checks a --messages file (- for stdin): *root is the whole
 * document (the caller cJSON_Deletes it), *messages the conversation in it.
 * Returns EXIT_OK, or EXIT_RUNTIME after one diagnostic naming the file
 * ("stdin" for -) and the fault; then *root is NULL. */
int cli_messages_read(const char *path, cJSON **root, const cJSON **messages);
void cli_chat_template_free(cli_chat_template *ct);

/* Renders messages (checked) with the variables transformers passes:
 * messages, tools and documents (null), add_generation_prompt, the special
 * tokens, then vars and more_vars (either may be NULL) over them. *out is
 * malloc'd, NUL-terminated, *len bytes. Returns 0, or -1 with one line in
 * msg (the template's raise_exception message as it is). */
int cli_chat_render(const cli_chat_template *ct, const cJSON *messages, int add_generation_prompt,
                    const cJSON *vars, const cJSON *more_vars, char **out, size_t *len, char *msg, size_t msg_len);

/* The ids that end an assistant's reply, besides the model's eos ids: the
 * special token the template writes right after an assistant message's
 * content (found by rendering a probe conversation: <|im_end|>,
 * <|eot_id|>, <end_of_turn>), tokenizer_config.json's eos_token and
 * generation_config.json's eos_token_id list. Returns how many (<= cap). */
int cli_end_of_turn_ids(const cli_chat_template *ct, gpt_tokenizer *tok, int *ids, int cap);

/* The conversation's ids as transformers' apply_chat_template(tokenize=True)
 * gives them: the rendered text encoded with special tokens parsed and
 * without the tokenizer's own BOS/EOS (add_special_tokens=False), so a BOS
 * the template wrote is the only one. Returns 0 or -1 with msg. */
int cli_chat_encode(gpt_tokenizer *tok, const char *text, size_t len, int **ids, size_t *n_ids, char *msg,
                    size_t msg_len);

/* generation_config.json's sampling settings: each has_* says it was there. */
typedef struct {
    int has_temperature, has_top_k, has_top_p, has_repetition_penalty, has_do_sample;
    double temperature, top_p, repetition_penalty;
    long top_k;
    int do_sample;
} cli_gen_defaults;

/* Reads dir/generation_config.json (absent: nothing set). Returns EXIT_OK,
 * or EXIT_RUNTIME after one diagnostic naming the file and the field. */
int cli_gen_defaults_load(cli_gen_defaults *g, const char *dir);
/* "temperature 0.6, top_p 0.9" (what was set), or "" */
void cli_gen_defaults_describe(const cli_gen_defaults *g, char *out, size_t cap);

/* The end of `gpt info`: sampling defaults and chat template (text lines,
 * or ,"key":value pairs to close a JSON object with when json). */
void cli_info_chat(const char *dir, gpt_tokenizer *tok, int json);

int cli_template(int argc, char **argv);
int cli_chat(int argc, char **argv);

#endif
