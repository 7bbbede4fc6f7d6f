/* cli_chat.c — `gpt chat`: a conversation with an instruct model. A prompt
 * on stderr, replies streamed to stdout; through a pipe, each input line is
 * one user turn and each reply is followed by --separator.
 *
 * The conversation's KV cache is kept between turns. Each turn renders the
 * whole conversation with the chat template and tokenizes it; the longest
 * common prefix of those ids and the ids already in the cache (the last
 * prompt and the reply's tokens) is not read again (gpt_request.n_cached):
 * only the rest is, normally the end of the last reply and the new turn.
 * Where the template rewrites history (Qwen3 drops old <think> blocks) or the
 * reply's text tokenizes differently from the tokens generated, reading
 * starts where they part. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_chat.h"
#include "cli_messages.h"
#include "cli_request.h"
#include "cli_sampling.h"

static const char USAGE[] =
    "gpt chat [-m MODEL] [--system TEXT] [--messages FILE] [-n N] [--temperature T] [--top-k K]\n"
    "         [--top-p P] [--seed S] [--min-p P] [--repetition-penalty R] [--presence-penalty P]\n"
    "         [--frequency-penalty F] [--penalty-last-n N] [--logit-bias ID=B]... [--ban ID]...\n"
    "         [--ctx N] [--separator STR] [--chat-template FILE] [--template-var NAME=JSON]... [-t THREADS]";

static const char HELP[] =
    "Talk with an instruct model: type a message, the reply streams to stdout. The\n"
    "conversation's cache is kept, so each turn reads only its own new tokens.\n"
    "\n"
    "options:\n"
    "  -m, --model DIR      model directory (default: $GPT_MODEL, else the bundled model)\n"
    "      --system TEXT    a system message to start the conversation with\n"
    "      --messages FILE  start from this conversation (JSON, as /save writes it)\n"
    "  -n, --max-tokens N   most tokens per reply (default -1: until the end of the turn\n"
    "                       or the context is full)\n"
    "      --temperature T  sampling temperature, 0 for greedy (default: generation_config.json's,\n"
    "                       else 0.8)\n"
    "      --top-k K        (default: generation_config.json's, else 40)\n"
    "      --top-p P        (default: generation_config.json's, else 0.95)\n"
    "      --seed S         reply i is drawn with seed S+i (default 0); 'random' or a negative\n"
    "                       S draws S from the system (said under -v)\n"
    CLI_HELP_PENALTIES
    "      --ctx N          context length in tokens (default: the model's, at most 4096)\n"
    "      --separator STR  written after each reply (default \\n; \\n \\t \\0 \\\\ escapes)\n"
    "      --chat-template FILE  a Jinja chat template instead of the model's\n"
    "      --template-var NAME=JSON  one more template variable (repeatable)\n"
    "  -t, --threads N      threads (default: $GPT_THREADS, else all cores)\n"
    "  -h, --help           this help\n"
    "\n"
    "In the conversation:\n"
    "  /reset               start over (keeps the --system message)\n"
    "  /system TEXT         set the system message (empty TEXT: none)\n"
    "  /save FILE           write the conversation as JSON (--messages reads it back)\n"
    "  /exit                end (so does Ctrl-D); Ctrl-C stops a reply, not the program\n"
    "  //TEXT               send /TEXT as a message\n"
    "When stdin is not a terminal, each line is one message (commands work too) and\n"
    "nothing is prompted. -v reports each turn's tokens: read, taken from the cache.\n"
    "\n"
    "examples:\n"
    "  gpt chat -m Qwen2.5-0.5B-Instruct --system \"Answer in one sentence.\"\n"
    "  printf 'Hi\\nWhat is 2+2?\\n' | gpt chat -m SmolLM2-360M-Instruct --temperature 0\n";

static char default_separator[] = "\n";

static volatile sig_atomic_t interrupted = 0;
static volatile int cancel_reply = 0;
static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
    cancel_reply = 1;
}

typedef struct {
    long max_tokens;
    cli_sampling sampling;  // --temperature ... --ban, with generation_config.json's defaults
    long n_ctx;
    const char *system, *messages_file, *chat_template_file;
    cJSON *template_vars;
    char *separator;
    size_t separator_len;
} options;

/* One turn in flight, and what the cache holds. */
typedef struct {
    const options *opt;
    gpt_tokenizer *tok;
    cli_chat_template chat;
    int end_ids[CLI_MAX_END_IDS];
    int n_end_ids;
    int n_ctx;
    cJSON *messages;        // the conversation
    int *cache;             // (n_cache) ids in sequence 0's cache, positions 0..n_cache-1
    size_t n_cache, cap_cache;
    long turns;             // replies so far (reply i draws with seed + i)
    /* the turn in flight */
    gpt_request req;
    int handed;
    char *reply;            // (reply_len) the bytes streamed so far
    size_t reply_len, cap_reply;
    int got_result;
    gpt_finish finish;
    gpt_status status;
    int *gen;               // (n_gen) the reply's ids
    int n_gen;
    char error[256];        // the failed reply's message ("interrupted")
    int out_closed;
} chat_state;

static int grow_bytes(char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 256;
    while (n < need) n *= 2;
    char *p = realloc(*buf, n);
    if (!p) return -1;
    *buf = p;
    *cap = n;
    return 0;
}

static int chat_next(void *user, gpt_request *req) {
    chat_state *cs = user;
    if (cs->handed) return 0;
    cs->handed = 1;
    *req = cs->req;
    return 1;
}

static int chat_text(void *user, const gpt_request *req, const char *bytes, size_t len) {
    (void)req;
    chat_state *cs = user;
    if (grow_bytes(&cs->reply, &cs->cap_reply, cs->reply_len + len + 1) == 0) {
        memcpy(cs->reply + cs->reply_len, bytes, len);
        cs->reply_len += len;
        cs->reply[cs->reply_len] = '\0';
    }
    if (!cs->out_closed && (cli_write(bytes, len) != 0 || cli_flush() != 0)) cs->out_closed = 1;
    return cs->out_closed;
}

static int chat_done(void *user, const gpt_request *req, const gpt_result *res) {
    (void)req;
    chat_state *cs = user;
    cs->got_result = 1;
    cs->finish = res->finish;
    cs->status = res->status;
    snprintf(cs->error, sizeof cs->error, "%s", res->error ? res->error : "");
    free(cs->gen);
    cs->gen = malloc(sizeof(int) * (size_t)(res->n_tokens + 1));
    cs->n_gen = cs->gen ? res->n_tokens : 0;
    if (cs->gen && res->n_tokens) memcpy(cs->gen, res->tokens, sizeof(int) * (size_t)res->n_tokens);
    if (res->status == GPT_OK) {  // the whole reply (what was held back for a stop string is cut)
        cs->reply_len = 0;
        if (grow_bytes(&cs->reply, &cs->cap_reply, res->text_len + 1) == 0) {
            memcpy(cs->reply, res->text, res->text_len);
            cs->reply_len = res->text_len;
            cs->reply[cs->reply_len] = '\0';
        }
    }
    return 0;
}

/* Keeps ids (n) as what the cache holds. */
static int set_cache(chat_state *cs, const int *ids, size_t n, const int *more, size_t n_more) {
    size_t need = n + n_more;
    if (need > cs->cap_cache) {
        int *p = realloc(cs->cache, sizeof(int) * need);
        if (!p) {
            cs->n_cache = 0;
            return -1;
        }
        cs->cache = p;
        cs->cap_cache = need;
    }
    if (n && ids != cs->cache) memmove(cs->cache, ids, sizeof(int) * n);
    if (n_more) memcpy(cs->cache + n, more, sizeof(int) * n_more);
    cs->n_cache = need;
    return 0;
}

static void add_message(cJSON *messages, const char *role, const char *content, size_t len) {
    cJSON *m = cJSON_CreateObject();
    if (!m) return;
    cJSON_AddStringToObject(m, "role", role);
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, content, len);
        copy[len] = '\0';
    }
    cJSON_AddStringToObject(m, "content", copy ? copy : "");
    free(copy);
    cJSON_AddItemToArray(messages, m);
}

/* One user turn: render, read what the cache lacks, stream the reply.
 * Returns 0 to go on, -1 to end (stdout closed or a failed run). */
static int user_turn(chat_state *cs, gpt_context *ctx, const char *text, size_t len) {
    const options *o = cs->opt;
    char msg[1200];
    add_message(cs->messages, "user", text, len);
    int n_before = cJSON_GetArraySize(cs->messages) - 1;
    char *rendered = NULL;
    size_t rendered_len = 0;
    int *ids = NULL;
    size_t n_ids = 0;
    if (cli_chat_render(&cs->chat, cs->messages, 1, o->template_vars, NULL, &rendered, &rendered_len, msg,
                        sizeof msg) != 0 ||
        cli_chat_encode(cs->tok, rendered, rendered_len, &ids, &n_ids, msg, sizeof msg) != 0) {
        cli_error("%s", msg);
        cJSON_DeleteItemFromArray(cs->messages, n_before);  // the turn is not taken
        free(rendered);
        return 0;
    }
    free(rendered);
    if ((long)n_ids + 1 > cs->n_ctx || n_ids == 0) {
        if (n_ids == 0) cli_error("the chat template rendered the conversation as nothing");
        else cli_error("the conversation would have %zu tokens, and the context holds %d: /reset starts over "
                       "(or give a larger --ctx)", n_ids, cs->n_ctx);
        cJSON_DeleteItemFromArray(cs->messages, n_before);
        free(ids);
        return 0;
    }
    size_t keep = 0;  // the longest common prefix of the cache and the new ids
    while (keep < cs->n_cache && keep < n_ids && cs->cache[keep] == ids[keep]) keep++;
    if (keep >= n_ids) keep = n_ids - 1;  // at least one token is read: its logits start the reply

    gpt_request *req = &cs->req;
    memset(req, 0, sizeof *req);
    req->prompt = ids;
    req->n_prompt = (int)n_ids;
    req->n_cached = (int)keep;
    req->max_new_tokens = (int)o->max_tokens;
    const cli_sampling *s = &o->sampling;
    req->sampling.temperature = (float)s->temperature;
    req->sampling.top_k = (int)s->top_k;
    req->sampling.top_p = (float)s->top_p;
    req->sampling.seed = s->seed + (unsigned long long)cs->turns;
    req->sampling.min_p = (float)s->min_p;
    req->sampling.repetition_penalty = (float)s->repetition_penalty;
    req->sampling.presence_penalty = (float)s->presence_penalty;
    req->sampling.frequency_penalty = (float)s->frequency_penalty;
    req->sampling.penalty_last_n = (int)s->penalty_last_n;
    req->sampling.bias_ids = s->bias_ids;
    req->sampling.bias_values = s->bias_values;
    req->sampling.n_bias = s->n_bias;
    req->end_ids = cs->end_ids;
    req->n_end_ids = cs->n_end_ids;
    cs->handed = 0;
    cs->got_result = 0;
    cs->reply_len = 0;
    cs->n_gen = 0;

    double t0 = cli_now();
    cancel_reply = 0;
    gpt_generate_io io = {.next = chat_next, .on_text = chat_text, .on_done = chat_done, .user = cs,
                          .cancel = &cancel_reply};
    char err[1024];
    gpt_status st = gpt_generate(ctx, cs->tok, &io, err, sizeof err);
    if (st != GPT_OK) {
        cli_error("%s", err);
        free(ids);
        return -1;
    }
    int ok = cs->got_result && cs->status == GPT_OK;
    /* What the cache holds now: the prompt, and every reply token but the
     * last (sampled, never read), or all of them when the last one sampled
     * was an end of turn. After an interruption only the part that was
     * there before is sure. */
    if (ok) {
        size_t fed = cs->finish == GPT_FINISH_EOS ? (size_t)cs->n_gen : (size_t)(cs->n_gen > 0 ? cs->n_gen - 1 : 0);
        set_cache(cs, ids, n_ids, cs->gen, fed);
    } else {
        set_cache(cs, ids, keep, NULL, 0);
    }
    free(ids);
    if (cs->reply_len > 0 || ok)  // the reply, or what was written of it before Ctrl-C
        add_message(cs->messages, "assistant", cs->reply ? cs->reply : "", cs->reply_len);
    else  // no reply at all: the turn is not taken (two user turns in a row would follow)
        cJSON_DeleteItemFromArray(cs->messages, n_before);
    cs->turns++;
    if (!cs->out_closed && (cli_write(o->separator, o->separator_len) != 0 || cli_flush() != 0))
        cs->out_closed = 1;
    if (cli_verbose)
        cli_info("turn %ld: prompt %zu tokens, %zu from the cache, %zu read; reply %d tokens (%s) in %.2f s",
                 cs->turns, n_ids, keep, n_ids - keep, cs->n_gen,
                 cs->got_result ? gpt_finish_name(cs->finish) : "interrupted", cli_now() - t0);
    if (!ok && !cs->out_closed)  // a failed write is said once, by cli_finish
        cli_error("%s", cs->got_result && *cs->error ? cs->error : "interrupted");
    if (ok && cs->finish == GPT_FINISH_CONTEXT)
        cli_error("the context of %d tokens is full: the reply was cut; /reset starts over", cs->n_ctx);
    return cs->out_closed ? -1 : 0;
}

/* The conversation a reset returns to: the system message, if any. */
static cJSON *fresh_conversation(const options *o) {
    cJSON *m = cJSON_CreateArray();
    if (m && o->system) add_message(m, "system", o->system, strlen(o->system));
    return m;
}

static void set_system(chat_state *cs, const char *text) {
    cJSON *first = cJSON_GetArrayItem(cs->messages, 0);
    const cJSON *role = first ? cJSON_GetObjectItemCaseSensitive(first, "role") : NULL;
    int has = cJSON_IsString(role) && !strcmp(role->valuestring, "system");
    if (has) cJSON_DeleteItemFromArray(cs->messages, 0);
    if (!*text) return;
    cJSON *m = cJSON_CreateObject();
    if (!m) return;
    cJSON_AddStringToObject(m, "role", "system");
    cJSON_AddStringToObject(m, "content", text);
    cJSON_InsertItemInArray(cs->messages, 0, m);
}

static void save(const chat_state *cs, const char *path) {
    char *json = cJSON_Print(cs->messages);
    FILE *f = json ? fopen(path, "w") : NULL;
    int ok = f && fputs(json, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0) ok = 0;
    if (ok) cli_info("saved %d messages to %s", cJSON_GetArraySize(cs->messages), path);
    else cli_error("%s: %s", path, json ? strerror(errno) : "out of memory");
    free(json);
}

/* A line that starts with '/': returns 1 to end the chat, 0 to go on. */
static int command(chat_state *cs, const char *line) {
    const char *arg = strchr(line, ' ');
    size_t name_len = arg ? (size_t)(arg - line) : strlen(line);
    while (arg && *arg == ' ') arg++;
    if (!arg) arg = "";
#define IS(name) (name_len == strlen(name) && !strncmp(line, name, name_len))
    if (IS("/exit") || IS("/quit")) return 1;
    if (IS("/reset")) {
        cJSON_Delete(cs->messages);
        cs->messages = fresh_conversation(cs->opt);
        cli_info("a new conversation");
    } else if (IS("/system")) {
        set_system(cs, arg);
        cli_info(*arg ? "system message set" : "no system message");
    } else if (IS("/save")) {
        if (!*arg) cli_error("/save needs a file name");
        else save(cs, arg);
    } else if (IS("/help")) {
        fprintf(stderr, "/reset  /system TEXT  /save FILE  /exit (or Ctrl-D); //TEXT sends /TEXT\n");
    } else {
        cli_error("unknown command '%.*s' (/help lists them; //TEXT sends /TEXT)", (int)name_len, line);
    }
#undef IS
    return 0;
}

enum {
    OPT_CTX = CLI_OPT_OWN, OPT_SYSTEM, OPT_MESSAGES,
    OPT_CHAT_TEMPLATE, OPT_TEMPLATE_VAR, OPT_SEPARATOR
};

static const struct option ROWS[] = {
    CLI_ROW_MODEL, CLI_ROW_THREADS, CLI_ROWS_WEIGHTS, CLI_ROW_HELP,
    {"max-tokens", required_argument, NULL, 'n'},
    CLI_ROWS_SAMPLING,
    {"ctx", required_argument, NULL, OPT_CTX},
    {"system", required_argument, NULL, OPT_SYSTEM},
    {"messages", required_argument, NULL, OPT_MESSAGES},
    {"chat-template", required_argument, NULL, OPT_CHAT_TEMPLATE},
    {"template-var", required_argument, NULL, OPT_TEMPLATE_VAR},
    {"separator", required_argument, NULL, OPT_SEPARATOR},
    CLI_ROW_END,
};
static const cli_command CMD = {"chat", USAGE, HELP, ROWS, 0};

/* Returns 0 to go on, -1 after --help, or EXIT_USAGE after a diagnostic. */
static int parse_flags(int argc, char **argv, options *o, cli_parse *p) {
    *o = (options){.max_tokens = -1, .separator = default_separator, .separator_len = 1};
    cli_sampling_init(&o->sampling);
    char msg[600];
    for (int c; (c = cli_next_option(&CMD, argc, argv, p)) != -1;) {
        const char *v = optarg;
        int taken = cli_sampling_option(&CMD, c, v, &o->sampling);
        if (taken >= 0) {
            if (taken != 0) return taken;
            continue;
        }
        switch (c) {
        case CLI_OPT_STOP: return p->status == EXIT_OK ? -1 : p->status;
        case 'n':
            if (cli_parse_int(v, -1, 1000000000, &o->max_tokens) || o->max_tokens == 0)
                return cli_usage_fail(&CMD, "-n wants an integer >= 1, or -1, not '%s'", v);
            break;
        case OPT_CTX:
            if (cli_parse_int(v, 2, 1 << 24, &o->n_ctx))
                return cli_usage_fail(&CMD, "--ctx wants an integer >= 2, not '%s'", v);
            break;
        case OPT_SYSTEM: o->system = v; break;
        case OPT_MESSAGES: o->messages_file = v; break;
        case OPT_CHAT_TEMPLATE: o->chat_template_file = v; break;
        case OPT_TEMPLATE_VAR:
            if (cli_template_var_add(&o->template_vars, v, msg, sizeof msg) != 0) return cli_usage_fail(&CMD, "%s", msg);
            break;
        case OPT_SEPARATOR:
            if (o->separator != default_separator) free(o->separator);
            if (!(o->separator = strdup(v))) return cli_usage_fail(&CMD, "out of memory");
            o->separator_len = cli_unescape(o->separator);
            break;
        }
    }
    if (p->n_args > 0) return cli_usage_fail(&CMD, "no arguments: messages come from stdin ('%s'?)", p->args[0]);
    if (o->system && o->messages_file) return cli_usage_fail(&CMD, "give --system or --messages, not both");
    if (o->messages_file && !strcmp(o->messages_file, "-"))
        return cli_usage_fail(&CMD, "--messages - would read the chat's own input: give a file");
    return 0;
}

int cli_chat(int argc, char **argv) {
    options o;
    cli_parse p = {0};
    int rc = parse_flags(argc, argv, &o, &p);
    if (rc) {
        cJSON_Delete(o.template_vars);
        if (o.separator != default_separator) free(o.separator);
        return rc < 0 ? EXIT_OK : rc;
    }
    gpt_set_threads(cli_threads(p.threads));
    rc = EXIT_RUNTIME;
    chat_state cs = {.opt = &o};
    gpt_model *model = NULL;
    gpt_context *ctx = NULL;
    char *line = NULL;
    size_t line_cap = 0;
    char err[1024];

    if (o.messages_file) {  // read before loading, so a bad file fails fast
        cJSON *root;
        const cJSON *m;
        if (cli_messages_read(o.messages_file, &root, &m) != EXIT_OK) goto out;
        cs.messages = cJSON_Duplicate(m, 1);
        cJSON_Delete(root);
    } else {
        cs.messages = fresh_conversation(&o);
    }
    const char *dir = cli_model_dir(p.model_dir);
    if (cli_chat_template_load(&cs.chat, dir, o.chat_template_file) != EXIT_OK) goto out;
    if (!cs.chat.tpl) {
        cli_error("%s", cs.chat.missing);
        goto out;
    }
    if (cli_open(dir, NULL, &cs.tok, &model) != EXIT_OK) goto out;
    cli_gen_defaults gd;
    if (cli_gen_defaults_load(&gd, dir) != EXIT_OK) goto out;
    cli_sampling_apply_defaults(&o.sampling, &gd);
    cs.n_end_ids = cli_end_of_turn_ids(&cs.chat, cs.tok, cs.end_ids, CLI_MAX_END_IDS);
    if (cli_context_new(&ctx, model, (int)o.n_ctx, 1, 0, err, sizeof err) != GPT_OK) {
        cli_error("%s", err);
        goto out;
    }
    cs.n_ctx = gpt_context_n_ctx(ctx);
    if (cli_verbose) {
        char desc[256];
        cli_gen_defaults_describe(&gd, desc, sizeof desc);
        cli_info("chat template: %s; %d end-of-turn ids; context %d tokens%s%s", cs.chat.origin, cs.n_end_ids,
                 cs.n_ctx, *desc ? "; generation_config.json: " : "", desc);
        if (o.sampling.seed_random) cli_info("seed %llu (drawn at random)", o.sampling.seed);
    }

    struct sigaction sa = {.sa_handler = on_sigint};  // no SA_RESTART: a blocked read returns
    sigaction(SIGINT, &sa, NULL);
    const int tty = isatty(STDIN_FILENO);
    if (tty) cli_info("chatting with %s: /help for commands, Ctrl-D to end", dir);
    rc = EXIT_OK;
    for (;;) {
        if (tty) {
            fputs("> ", stderr);
            fflush(stderr);
        }
        interrupted = 0;
        errno = 0;
        ssize_t n = getline(&line, &line_cap, stdin);
        if (n < 0) {
            if (errno == EINTR && interrupted) {  // Ctrl-C at the prompt: a fresh prompt
                clearerr(stdin);
                if (tty) fputc('\n', stderr);
                continue;
            }
            if (ferror(stdin)) {
                cli_error("stdin: %s", strerror(errno));
                rc = EXIT_RUNTIME;
            }
            if (tty) fputc('\n', stderr);
            break;
        }
        if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
        if (n > 0 && line[n - 1] == '\r') line[--n] = '\0';
        if (memchr(line, '\0', (size_t)n)) {
            cli_error("a line holds a NUL byte: not taken");
            continue;
        }
        if (line[0] == '/' && line[1] != '/') {
            if (command(&cs, line)) break;
            continue;
        }
        if (n == 0 && tty) continue;  // a person pressed Enter: nothing to send
        const char *text = line[0] == '/' ? line + 1 : line;  // "//x" sends "/x"
        if (user_turn(&cs, ctx, text, (size_t)n - (size_t)(text - line)) != 0) {
            rc = cs.out_closed ? EXIT_OK : EXIT_RUNTIME;
            break;
        }
    }
out:
    free(line);
    free(cs.cache);
    free(cs.reply);
    free(cs.gen);
    cJSON_Delete(cs.messages);
    cli_chat_template_free(&cs.chat);
    gpt_context_free(ctx);
    gpt_model_free(model);
    gpt_tokenizer_free(cs.tok);
    cJSON_Delete(o.template_vars);
    if (o.separator != default_separator) free(o.separator);
    return rc;
}
