/* cli_template.c — the model's chat template: found, rendered with the
 * variables transformers passes, its end-of-turn token; the sampling
 * defaults of generation_config.json; `gpt template`. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_chat.h"
#include "cli_messages.h"

/* ---- finding the template ------------------------------------------- */

/* dir/name as a JSON object, or NULL when the file is absent (*failed set
 * after a diagnostic when it is there but unreadable or not an object). */
static cJSON *read_json_object(const char *dir, const char *name, int *failed) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    *failed = 0;
    if (access(path, F_OK) != 0) return NULL;
    char *text;
    size_t len;
    if (cli_read_input(path, &text, &len) != EXIT_OK) {
        *failed = 1;
        return NULL;
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        cli_error("%s: not a JSON object", path);
        cJSON_Delete(root);
        *failed = 1;
        return NULL;
    }
    return root;
}

int cli_messages_read(const char *path, cJSON **root, const cJSON **messages) {
    char *text, msg[600];
    size_t len;
    *root = NULL;
    *messages = NULL;
    if (cli_read_input(path, &text, &len) != EXIT_OK) return EXIT_RUNTIME;
    *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!*root) snprintf(msg, sizeof msg, "not JSON");
    if (!*root || !(*messages = cli_messages_of(*root, msg, sizeof msg))) {
        cli_error("%s: %s", strcmp(path, "-") ? path : "stdin", msg);
        cJSON_Delete(*root);
        *root = NULL;
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

int cli_chat_template_load(cli_chat_template *ct, const char *dir, const char *file) {
    memset(ct, 0, sizeof *ct);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cli_error("%s: %s", dir, stat(dir, &st) != 0 ? strerror(errno) : "not a directory");
        return EXIT_RUNTIME;
    }
    /* The library reads the model's files: the special tokens transformers
     * passes, and the template (chat_template.jinja, else tokenizer_config.json). */
    char err[1024];
    if (gpt_chat_special_tokens(dir, &ct->tokens_json, err, sizeof err) != GPT_OK) {
        cli_error("%s", err);
        return EXIT_RUNTIME;
    }
    ct->tokens = cJSON_Parse(ct->tokens_json);
    char *text = NULL;
    size_t len = 0;
    int rc = EXIT_OK;
    if (file) {
        snprintf(ct->origin, sizeof ct->origin, "%s", file);
        rc = cli_read_input(file, &text, &len);
    } else if (gpt_chat_template_read(dir, &text, &len, err, sizeof err) == GPT_OK) {
        snprintf(ct->origin, sizeof ct->origin, "%s/chat_template.jinja", dir);
        if (access(ct->origin, F_OK) != 0) snprintf(ct->origin, sizeof ct->origin, "%s/tokenizer_config.json", dir);
    } else {  // none (or a malformed one): said when a conversation needs it
        snprintf(ct->missing, sizeof ct->missing, "%s", err);
        return EXIT_OK;
    }
    if (rc == EXIT_OK && gpt_template_new(&ct->tpl, text, len, err, sizeof err) != GPT_OK) {
        cli_error("%s: %s", ct->origin, err);
        rc = EXIT_RUNTIME;
    }
    free(text);
    return rc;
}

void cli_chat_template_free(cli_chat_template *ct) {
    if (!ct) return;
    gpt_template_free(ct->tpl);
    cJSON_Delete(ct->tokens);
    free(ct->tokens_json);
    ct->tpl = NULL;
    ct->tokens = NULL;
    ct->tokens_json = NULL;
}

/* ---- rendering ------------------------------------------------------- */

int cli_chat_render(const cli_chat_template *ct, const cJSON *messages, int add_generation_prompt,
                    const cJSON *vars, const cJSON *more_vars, char **out, size_t *len, char *msg, size_t msg_len) {
    *out = NULL;
    *len = 0;
    if (!ct->tpl) {
        snprintf(msg, msg_len, "%s", ct->missing);
        return -1;
    }
    /* As transformers calls it: render(messages=..., tools=None,
     * documents=None, add_generation_prompt=..., **special_tokens, **kwargs);
     * gpt_chat_context builds that object. more_vars win over vars. */
    cJSON *merged = vars || more_vars ? cJSON_CreateObject() : NULL;
    const cJSON *sets[2] = {vars, more_vars}, *v;
    for (int s = 0; s < 2 && merged; s++) {
        if (!sets[s]) continue;
        cJSON_ArrayForEach(v, sets[s]) {
            cJSON_DeleteItemFromObjectCaseSensitive(merged, v->string);
            cJSON_AddItemToObject(merged, v->string, cJSON_Duplicate(v, 1));
        }
    }
    char *messages_json = cJSON_PrintUnformatted(messages);
    char *vars_json = merged ? cJSON_PrintUnformatted(merged) : NULL;
    cJSON_Delete(merged);
    char *context = NULL, err[1024];
    gpt_status st = GPT_ERR_OOM;
    snprintf(err, sizeof err, "out of memory");
    if (messages_json && (vars_json || !(vars || more_vars)))
        st = gpt_chat_context(ct->tokens_json, messages_json, add_generation_prompt, vars_json, &context, err,
                              sizeof err);
    if (st == GPT_OK) st = gpt_template_render(ct->tpl, context, NULL, out, len, err, sizeof err);
    free(messages_json);
    free(vars_json);
    free(context);
    if (st != GPT_OK) {
        snprintf(msg, msg_len, "chat template: %s", err);
        return -1;
    }
    return 0;
}

int cli_chat_encode(gpt_tokenizer *tok, const char *text, size_t len, int **ids, size_t *n_ids, char *msg,
                    size_t msg_len) {
    char err[512];
    if (gpt_tokenizer_encode_ex(tok, text, len, GPT_ENCODE_SPECIAL, ids, n_ids, err, sizeof err) != GPT_OK) {
        snprintf(msg, msg_len, "%s", err);
        return -1;
    }
    return 0;
}

/* ---- end of turn ------------------------------------------------------ */

static int add_id(int *ids, int n, int cap, int id) {
    if (id < 0 || n >= cap) return n;
    for (int i = 0; i < n; i++)
        if (ids[i] == id) return n;
    ids[n] = id;
    return n + 1;
}

int cli_end_of_turn_ids(const cli_chat_template *ct, gpt_tokenizer *tok, int *ids, int cap) {
    int n = 0;
    /* The token the template writes right after an assistant's words. */
    static const char ANSWER[] = "gpt-end-of-turn-probe";
    cJSON *probe = cJSON_Parse("[{\"role\":\"user\",\"content\":\"Hello\"},"
                               "{\"role\":\"assistant\",\"content\":\"gpt-end-of-turn-probe\"}]");
    char *text = NULL, msg[600];
    size_t len = 0;
    if (probe && ct->tpl && cli_chat_render(ct, probe, 0, NULL, NULL, &text, &len, msg, sizeof msg) == 0) {
        const char *at = NULL;
        for (const char *p = text; (p = strstr(p, ANSWER)) != NULL; p++) at = p;  // the last one
        int *tail = NULL;
        size_t n_tail = 0;
        if (at) {
            at += sizeof ANSWER - 1;
            if (cli_chat_encode(tok, at, len - (size_t)(at - text), &tail, &n_tail, msg, sizeof msg) == 0 &&
                n_tail > 0 && gpt_tokenizer_is_special(tok, tail[0]))
                n = add_id(ids, n, cap, tail[0]);
            free(tail);
        }
    }
    free(text);
    cJSON_Delete(probe);
    /* The tokenizer's eos_token and generation_config.json's list. */
    const cJSON *eos = ct->tokens ? cJSON_GetObjectItemCaseSensitive(ct->tokens, "eos_token") : NULL;
    if (cJSON_IsString(eos)) n = add_id(ids, n, cap, gpt_tokenizer_token_id(tok, eos->valuestring));
    const int *list;
    int n_list = gpt_tokenizer_eos_ids(tok, &list);
    for (int i = 0; i < n_list; i++) n = add_id(ids, n, cap, list[i]);
    return n;
}

/* ---- generation_config.json ------------------------------------------ */

int cli_gen_defaults_load(cli_gen_defaults *g, const char *dir) {
    memset(g, 0, sizeof *g);
    int failed;
    cJSON *root = read_json_object(dir, "generation_config.json", &failed);
    if (!root) return failed ? EXIT_RUNTIME : EXIT_OK;
    const char *bad = NULL;
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "temperature")) && !cJSON_IsNull(v)) {
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1e30)) bad = "temperature must be a number >= 0";
        g->has_temperature = 1, g->temperature = v->valuedouble;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "top_p")) && !cJSON_IsNull(v)) {
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= 1)) bad = "top_p must be a number in (0, 1]";
        g->has_top_p = 1, g->top_p = v->valuedouble;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "top_k")) && !cJSON_IsNull(v)) {
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9 || v->valuedouble != floor(v->valuedouble))
            bad = "top_k must be an integer >= 0";
        g->has_top_k = 1, g->top_k = (long)(cJSON_IsNumber(v) ? v->valuedouble : 0);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "repetition_penalty")) && !cJSON_IsNull(v)) {
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= 1e30)) bad = "repetition_penalty must be a number > 0";
        g->has_repetition_penalty = 1, g->repetition_penalty = v->valuedouble;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "do_sample")) && !cJSON_IsNull(v)) {
        if (!cJSON_IsBool(v)) bad = "do_sample must be true or false";
        g->has_do_sample = 1, g->do_sample = cJSON_IsTrue(v);
    }
    cJSON_Delete(root);
    if (bad) {
        cli_error("%s/generation_config.json: %s", dir, bad);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

void cli_gen_defaults_describe(const cli_gen_defaults *g, char *out, size_t cap) {
    size_t n = 0;
    out[0] = '\0';
#define ADD(...) (n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, __VA_ARGS__), n = n < cap ? n : cap - 1)
    if (g->has_do_sample && !g->do_sample) ADD("%sgreedy (do_sample false)", n ? ", " : "");
    if (g->has_temperature) ADD("%stemperature %g", n ? ", " : "", g->temperature);
    if (g->has_top_k) ADD("%stop_k %ld", n ? ", " : "", g->top_k);
    if (g->has_top_p) ADD("%stop_p %g", n ? ", " : "", g->top_p);
    if (g->has_repetition_penalty) ADD("%srepetition_penalty %g", n ? ", " : "", g->repetition_penalty);
#undef ADD
}

void cli_info_chat(const char *dir, gpt_tokenizer *tok, int json) {
    cli_gen_defaults g;
    cli_chat_template ct;
    int have_g = cli_gen_defaults_load(&g, dir) == EXIT_OK;
    int have_t = cli_chat_template_load(&ct, dir, NULL) == EXIT_OK;
    int ends[CLI_MAX_END_IDS], n_ends = have_t && ct.tpl && tok ? cli_end_of_turn_ids(&ct, tok, ends, CLI_MAX_END_IDS) : 0;
    if (json) {
        cli_printf(",\"generation_defaults\":{");
        if (have_g) {
            const char *sep = "";
            if (g.has_do_sample) cli_printf("%s\"do_sample\":%s", sep, g.do_sample ? "true" : "false"), sep = ",";
            if (g.has_temperature) cli_printf("%s\"temperature\":%.17g", sep, g.temperature), sep = ",";
            if (g.has_top_k) cli_printf("%s\"top_k\":%ld", sep, g.top_k), sep = ",";
            if (g.has_top_p) cli_printf("%s\"top_p\":%.17g", sep, g.top_p), sep = ",";
            if (g.has_repetition_penalty) cli_printf("%s\"repetition_penalty\":%.17g", sep, g.repetition_penalty);
        }
        cJSON *origin = have_t && ct.tpl ? cJSON_CreateString(ct.origin) : cJSON_CreateNull();
        char *quoted = origin ? cJSON_PrintUnformatted(origin) : NULL;
        cli_printf("},\"chat_template\":%s,\"end_of_turn_ids\":[", quoted ? quoted : "null");
        for (int i = 0; i < n_ends; i++) cli_printf("%s%d", i ? "," : "", ends[i]);
        cli_printf("]");
        free(quoted);
        cJSON_Delete(origin);
    } else {
        char desc[256] = "";
        if (have_g) cli_gen_defaults_describe(&g, desc, sizeof desc);
        cli_printf("sampling:     %s\n", *desc ? desc : "gpt's defaults (no generation_config.json settings)");
        cli_printf("chat template: %s\n", have_t && ct.tpl ? ct.origin : "none");
        if (n_ends) {
            cli_printf("end of turn:  ");
            for (int i = 0; i < n_ends; i++) {
                const char *s = gpt_tokenizer_token_string(tok, ends[i]);
                cli_printf("%s%s (%d)", i ? ", " : "", s ? s : "?", ends[i]);
            }
            cli_printf("\n");
        }
    }
    if (have_t) cli_chat_template_free(&ct);
}

/* ---- gpt template ------------------------------------------------------ */

static const char USAGE[] =
    "gpt template [-m MODEL] --messages FILE [--no-generation-prompt] [--ids]\n"
    "             [--chat-template FILE] [--template-var NAME=JSON]...";

static const char HELP[] =
    "Print a conversation as the model will read it: rendered by its chat template\n"
    "exactly (no newline added), or as token ids with --ids. Reads only the tokenizer\n"
    "files (tokenizer_config.json, chat_template.jinja, tokenizer.json), so a directory\n"
    "without weights will do.\n"
    "\n"
    "options:\n"
    "  -m, --model DIR          model directory (default: $GPT_MODEL, else the bundled model)\n"
    "      --messages FILE      the conversation, JSON: [{\"role\":\"user\",\"content\":\"Hi\"}, ...]\n"
    "                           or {\"messages\": [...]}; - for stdin\n"
    "      --no-generation-prompt  add_generation_prompt false: no assistant header at the end\n"
    "      --ids                the token ids (specials parsed, no BOS added beyond the template's)\n"
    "      --chat-template FILE a Jinja template instead of the model's\n"
    "      --template-var NAME=JSON  one more template variable (repeatable), e.g.\n"
    "                           --template-var enable_thinking=false\n"
    "  -h, --help               this help\n"
    "\n"
    "examples:\n"
    "  echo '[{\"role\":\"user\",\"content\":\"Hi\"}]' | gpt template -m Qwen3-0.6B --messages -\n"
    "  gpt template -m Llama-3.2-1B-Instruct --messages chat.json --ids\n";

enum { OPT_MESSAGES = CLI_OPT_OWN, OPT_NO_GEN, OPT_IDS, OPT_CHAT_TEMPLATE, OPT_TEMPLATE_VAR };

int cli_template(int argc, char **argv) {
    static const struct option rows[] = {
        CLI_ROW_MODEL, CLI_ROW_HELP,
        {"messages", required_argument, NULL, OPT_MESSAGES},
        {"no-generation-prompt", no_argument, NULL, OPT_NO_GEN},
        {"ids", no_argument, NULL, OPT_IDS},
        {"chat-template", required_argument, NULL, OPT_CHAT_TEMPLATE},
        {"template-var", required_argument, NULL, OPT_TEMPLATE_VAR},
        CLI_ROW_END,
    };
    static const cli_command cmd = {"template", USAGE, HELP, rows, 0};
    const char *messages_file = NULL, *template_file = NULL;
    int gen_prompt = 1, want_ids = 0;
    cJSON *vars = NULL;
    char msg[1200];
    cli_parse p = {0};
    for (int c; (c = cli_next_option(&cmd, argc, argv, &p)) != -1;) {
        switch (c) {
        case CLI_OPT_STOP: cJSON_Delete(vars); return p.status;
        case OPT_MESSAGES: messages_file = optarg; break;
        case OPT_NO_GEN: gen_prompt = 0; break;
        case OPT_IDS: want_ids = 1; break;
        case OPT_CHAT_TEMPLATE: template_file = optarg; break;
        case OPT_TEMPLATE_VAR:
            if (cli_template_var_add(&vars, optarg, msg, sizeof msg) != 0) {
                cJSON_Delete(vars);
                return cli_usage_fail(&cmd, "%s", msg);
            }
            break;
        }
    }
    if (p.n_args > 0) {
        cJSON_Delete(vars);
        return cli_usage_fail(&cmd, "no arguments, only options ('%s'?)", p.args[0]);
    }
    if (!messages_file) {
        cJSON_Delete(vars);
        return cli_usage_fail(&cmd, "--messages FILE is needed (- for stdin)");
    }
    int rc = EXIT_RUNTIME;
    char *rendered = NULL;
    size_t rendered_len = 0;
    cJSON *root = NULL;
    cli_chat_template ct = {0};
    gpt_tokenizer *tok = NULL;
    int *ids = NULL;
    size_t n_ids = 0;
    const char *name = strcmp(messages_file, "-") ? messages_file : "stdin";
    const cJSON *messages;
    if (cli_messages_read(messages_file, &root, &messages) != EXIT_OK) goto out;
    const char *dir = cli_model_dir(p.model_dir);
    if (cli_chat_template_load(&ct, dir, template_file) != EXIT_OK) goto out;
    if (cli_chat_render(&ct, messages, gen_prompt, vars, NULL, &rendered, &rendered_len, msg, sizeof msg) != 0) {
        if (ct.tpl) cli_error("%s: %s", name, msg);
        else cli_error("%s", ct.missing);
        goto out;
    }
    if (cli_verbose) cli_info("template: %s", ct.origin);
    if (!want_ids) {
        rc = cli_write(rendered, rendered_len) == 0 && cli_flush() == 0 ? EXIT_OK : EXIT_RUNTIME;
        goto out;
    }
    char err[1024];
    if (gpt_tokenizer_load(&tok, dir, err, sizeof err) != GPT_OK) {
        cli_error("%s", err);
        goto out;
    }
    if (cli_verbose) {
        int ends[CLI_MAX_END_IDS], n_ends = cli_end_of_turn_ids(&ct, tok, ends, CLI_MAX_END_IDS);
        char list[256] = "";
        for (int i = 0, n = 0; i < n_ends && n < 200; i++) n += snprintf(list + n, sizeof list - (size_t)n, " %d", ends[i]);
        cli_info("end of turn:%s", n_ends ? list : " (none: the reply ends at an eos id)");
    }
    if (cli_chat_encode(tok, rendered, rendered_len, &ids, &n_ids, msg, sizeof msg) != 0) {
        cli_error("%s", msg);
        goto out;
    }
    for (size_t i = 0; i < n_ids; i++) cli_printf("%s%d", i ? " " : "", ids[i]);
    cli_printf("\n");
    rc = cli_flush() == 0 ? EXIT_OK : EXIT_RUNTIME;
out:
    free(ids);
    gpt_tokenizer_free(tok);
    cli_chat_template_free(&ct);
    free(rendered);
    cJSON_Delete(root);
    cJSON_Delete(vars);
    return rc;
}
