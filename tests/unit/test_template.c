/* test_template.c — the chat-template interpreter.
 *
 * 1. tests/golden/chat/: four real templates (Llama 3, Qwen3, ChatML, a
 *    strict ChatML that raises) x 17 conversations, rendered by HF's Jinja
 *    implementations; every case renders to exactly its `rendered` or fails
 *    with exactly its `error`.
 * 2. tests/golden/template/cases.json: small templates, one construct or one
 *    error each, with the output Python's Jinja2 3.1.6 gave when set up as
 *    transformers sets it up (made by tests/golden/template/make-cases.py).
 * 3. Bounds (steps, output, memory, depth), parse errors with line:column,
 *    reuse of one parsed template, and a render of a typical conversation.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "check.h"
#include "gpt.h"

/* On a mismatch: the first differing byte and the text around it. */
static void show_diff(const char *what, const char *got, size_t got_len, const char *want, size_t want_len) {
    size_t i = 0;
    while (i < got_len && i < want_len && got[i] == want[i]) i++;
    size_t from = i > 40 ? i - 40 : 0;
    fprintf(stderr, "  %s: first difference at byte %zu (got %zu bytes, want %zu)\n", what, i, got_len, want_len);
    fprintf(stderr, "  got:  ...");
    for (size_t k = from; k < got_len && k < i + 40; k++) fputc(got[k] == '\n' ? '|' : got[k], stderr);
    fprintf(stderr, "...\n  want: ...");
    for (size_t k = from; k < want_len && k < i + 40; k++) fputc(want[k] == '\n' ? '|' : want[k], stderr);
    fprintf(stderr, "...   ('|' is a newline)\n");
}

/* Renders source with context; checks the output or the error message:
 * exactly want_err, or with line_prefix "line N: " followed by want_err. */
static void expect_err(const char *name, const char *source, const char *context, const char *want_out, const char *want_err,
                       int line_prefix, const gpt_template_limits *limits) {
    gpt_template *tpl = NULL;
    char err[600] = "";
    gpt_status st = gpt_template_new(&tpl, source, strlen(source), err, sizeof err);
    char *out = NULL;
    size_t len = 0;
    if (st == GPT_OK) st = gpt_template_render(tpl, context, limits, &out, &len, err, sizeof err);
    if (want_err) {
        const char *msg = err;
        if (line_prefix && strncmp(msg, "line ", 5) == 0 && strstr(msg, ": ")) msg = strstr(msg, ": ") + 2;
        else if (line_prefix) msg = "(no \"line N: \" prefix)";
        CHECK(st != GPT_OK && strcmp(msg, want_err) == 0, "%s: want error \"%s%s\", got %s \"%s\"", name,
              line_prefix ? "line N: " : "", want_err, st == GPT_OK ? "output" : "error", st == GPT_OK ? out : err);
    } else {
        int same = st == GPT_OK && len == strlen(want_out) && memcmp(out, want_out, len) == 0;
        CHECK(same, "%s: %s", name, st == GPT_OK ? "output differs" : err);
        if (!same && st == GPT_OK) show_diff(name, out, len, want_out, strlen(want_out));
    }
    free(out);
    gpt_template_free(tpl);
}

static void expect(const char *name, const char *source, const char *context, const char *want_out, const char *want_err) {
    expect_err(name, source, context, want_out, want_err, 0, NULL);
}

/* The render context transformers builds: messages, add_generation_prompt,
 * tools and documents (null), the special tokens, then the extra kwargs. */
static char *golden_context(const cJSON *fixture, const cJSON *c) {
    cJSON *ctx = cJSON_CreateObject();
    cJSON_AddItemToObject(ctx, "messages", cJSON_Duplicate(cJSON_GetObjectItem(c, "messages"), 1));
    cJSON_AddItemToObject(ctx, "add_generation_prompt", cJSON_Duplicate(cJSON_GetObjectItem(c, "add_generation_prompt"), 1));
    cJSON_AddNullToObject(ctx, "tools");
    cJSON_AddNullToObject(ctx, "documents");
    const cJSON *kv;
    cJSON_ArrayForEach(kv, cJSON_GetObjectItem(fixture, "context"))
        cJSON_AddItemToObject(ctx, kv->string, cJSON_Duplicate(kv, 1));
    cJSON_ArrayForEach(kv, cJSON_GetObjectItem(c, "kwargs"))
        cJSON_AddItemToObject(ctx, kv->string, cJSON_Duplicate(kv, 1));
    char *text = cJSON_PrintUnformatted(ctx);
    cJSON_Delete(ctx);
    return text;
}

static void check_golden_chat(const char *dir, int want_cases, int want_errors) {
    char path[256];
    snprintf(path, sizeof path, "tests/golden/chat/%s/chat_template.jinja", dir);
    size_t src_len = 0;
    char *src = check_read_file(path, &src_len);
    snprintf(path, sizeof path, "tests/golden/chat/%s/cases.json", dir);
    char *json = check_read_file(path, NULL);
    CHECK(src && json, "cannot read tests/golden/chat/%s", dir);
    if (!src || !json) { free(src); free(json); return; }
    cJSON *fixture = cJSON_Parse(json);
    gpt_template *tpl = NULL;
    char err[600];
    gpt_status st = gpt_template_new(&tpl, src, src_len, err, sizeof err);
    CHECK(st == GPT_OK, "%s: parse: %s", dir, err);
    int index = 0, passed = 0, errors = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(fixture, "cases")) {
        if (!tpl) break;
        char *ctx = golden_context(fixture, c);
        char *out = NULL;
        size_t len = 0;
        st = gpt_template_render(tpl, ctx, NULL, &out, &len, err, sizeof err);
        const cJSON *want = cJSON_GetObjectItem(c, "rendered"), *want_err = cJSON_GetObjectItem(c, "error");
        char name[64];
        snprintf(name, sizeof name, "%s case %d", dir, index);
        if (want_err) {
            errors++;
            int ok = st != GPT_OK && strcmp(err, want_err->valuestring) == 0;
            CHECK(ok, "%s: want error \"%s\", got %s \"%s\"", name, want_err->valuestring, st == GPT_OK ? "output" : "error",
                  st == GPT_OK ? out : err);
            passed += ok;
        } else {
            int ok = st == GPT_OK && len == strlen(want->valuestring) && memcmp(out, want->valuestring, len) == 0;
            CHECK(ok, "%s: %s", name, st == GPT_OK ? "output differs" : err);
            if (!ok && st == GPT_OK) show_diff(name, out, len, want->valuestring, strlen(want->valuestring));
            passed += ok;
        }
        free(out);
        free(ctx);
        index++;
    }
    CHECK(index == want_cases && errors == want_errors, "%s: %d cases (%d errors), want %d (%d)", dir, index, errors,
          want_cases, want_errors);
    printf("golden %s: %d of %d cases pass (%d of them expected errors)\n", dir, passed, index, errors);
    gpt_template_free(tpl);
    cJSON_Delete(fixture);
    free(src);
    free(json);
}

/* Jinja2's own answers for small templates, one construct or error each. */
static void check_jinja_cases(void) {
    char *json = check_read_file("tests/golden/template/cases.json", NULL);
    CHECK(json != NULL, "cannot read tests/golden/template/cases.json");
    if (!json) return;
    cJSON *root = cJSON_Parse(json);
    const cJSON *c;
    int n = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
        const cJSON *name = cJSON_GetObjectItem(c, "name"), *src = cJSON_GetObjectItem(c, "template");
        const cJSON *ctx = cJSON_GetObjectItem(c, "context"), *want = cJSON_GetObjectItem(c, "rendered");
        const cJSON *want_err = cJSON_GetObjectItem(c, "error"), *type = cJSON_GetObjectItem(c, "error_type");
        const char *ctx_text = ctx ? ctx->valuestring : NULL;
        /* raise_exception's message comes back as it is; other errors after "line N: " */
        int raised = type && strcmp(type->valuestring, "TemplateError") == 0;
        /* strftime_now's clock fixed at the generator's: 2024-07-26 00:00 UTC */
        gpt_template_limits fixed_clock = {.has_time = 1, .time = 1721952000};
        expect_err(name->valuestring, src->valuestring, ctx_text, want ? want->valuestring : NULL,
                   want_err ? want_err->valuestring : NULL, want_err && !raised, &fixed_clock);
        n++;
    }
    printf("jinja2 cases: %d\n", n);
    cJSON_Delete(root);
    free(json);
}

/* Syntax errors name line:column; the message says what was wanted. */
static void check_parse_errors(void) {
    static const struct { const char *src, *err; } cases[] = {
        {"{% for x in y %}", "line 1:4: this 'for' is never closed: expected {% endfor %} before the end of the template"},
        {"a\n  {{ x + }}", "line 2:10: expected an expression, got '}}'"},
        {"{% foo %}", "line 1:4: unknown tag 'foo'"},
        {"{{ x|nofilter }}", "line 1:6: no filter named 'nofilter'"},
        {"{{ x is nosuchtest }}", "line 1:9: no test named 'nosuchtest'"},
        {"{% endfor %}", "line 1:4: unexpected 'endfor': no block is open"},
        {"{% if x %}\n{% endfor %}", "line 2:4: unexpected 'endfor': the innermost open block needs 'endif'"},
        {"{% break %}", "line 1:4: 'break' outside a loop"},
        {"{% for x in y %}{% macro m() %}{% continue %}{% endmacro %}{% endfor %}", "line 1:35: 'continue' outside a loop"},
        {"{{ 'abc }}", "line 1:4: unterminated string"},
        {"{{ x y }}", "line 1:6: expected '}}', got 'y'"},
        {"{% set %}", "line 1:8: expected a variable name, got '%}'"},
        {"x\n{# abc", "line 2:1: unterminated comment"},
        {"{{ 1 }", "line 1:6: unexpected '}'"},
        {"{% raw %}abc", "line 1:1: missing {% endraw %} for this raw block"},
        {"{% macro m(a=1, b) %}{% endmacro %}", "line 1:17: a parameter without a default follows one with a default"},
        {"{{ '\\u12' }}", "line 1:9: truncated \\u escape in a string"},
        {"{{ 99999999999999999999 }}", "line 1:4: integer 99999999999999999999 does not fit in 64 bits"},
        {"{{ x }}\n\xff", "line 2: not valid UTF-8 (byte 8)"},
        {"{{ x ; }}", "line 1:6: unexpected character ';'"},
        {"{{ 012 }}", "line 1:5: expected '}}', got a number"},  /* Jinja2: no leading zeros */
        {"{% macro m(a,) %}{% endmacro %}", "line 1:14: expected a parameter name, got ')'"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        gpt_template *tpl = NULL;
        char err[600] = "";
        gpt_status st = gpt_template_new(&tpl, cases[k].src, strlen(cases[k].src), err, sizeof err);
        CHECK(st == GPT_ERR_FORMAT && tpl == NULL && strcmp(err, cases[k].err) == 0, "parse error %zu: want \"%s\", got status %d \"%s\"",
              k, cases[k].err, st, err);
        gpt_template_free(tpl);
    }
    /* nesting deep enough to overflow a naive recursive parser is refused, not crashed on */
    char deep[2000];
    int n = 0;
    n += sprintf(deep + n, "{{ ");
    for (int k = 0; k < 101; k++) deep[n++] = '(';
    deep[n++] = '1';
    for (int k = 0; k < 101; k++) deep[n++] = ')';
    strcpy(deep + n, " }}");
    expect("101 brackets", deep, NULL, NULL, "line 1:104: brackets nested too deeply");
    n = sprintf(deep, "{{ 1");
    for (int k = 0; k < 120; k++) n += sprintf(deep + n, "+1");
    strcpy(deep + n, " }}");
    expect("a chain of 120 additions", deep, NULL, NULL, "line 1:203: expression nested more than 100 deep");
    n = sprintf(deep, "{{ ");
    for (int k = 0; k < 400; k++) n += sprintf(deep + n, "not ");
    strcpy(deep + n, "1 }}");
    expect("400 nots", deep, NULL, NULL, "line 1:1200: expression nested more than 100 deep");
    n = 0;
    for (int k = 0; k < 101; k++) n += sprintf(deep + n, "{%% if 1 %%}");
    expect("101 nested ifs", deep, NULL, NULL, "line 1:994: blocks nested more than 100 deep");
}

/* Every bound is an error that names itself; none hangs. */
static void check_bounds(void) {
    gpt_template_limits steps = {.max_steps = 100000};
    expect_err("loop forever (steps)", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", NULL,
               NULL, "line 1: rendering exceeds 100000 steps (a loop that never ends?)", 0, &steps);
    expect_err("loop forever (default steps)", "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}",
               NULL, NULL, "line 1: rendering exceeds 10000000 steps (a loop that never ends?)", 0, NULL);
    gpt_template_limits output = {.max_output = 1000};
    expect_err("output bound", "{% for i in range(100000) %}xxxxxxxxxx{% endfor %}", NULL, NULL,
               "line 1: output exceeds 1000 bytes", 0, &output);
    expect_err("output bound counts strings too", "{{ 'ab' * 100000 }}", NULL, NULL, "line 1: a string exceeds 1000 bytes", 0, &output);
    expect_err("output bound: doubling a string", "{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
               NULL, NULL, "line 1: output exceeds 1000 bytes", 0, &output);
    gpt_template_limits memory = {.max_memory = 1 << 20};
    expect_err("memory bound", "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = ns.l + [i] %}{% endfor %}",
               NULL, NULL, "line 1: rendering exceeds 1048576 bytes of memory", 0, &memory);
    expect("macro recursion bound", "{% macro f() %}{{ f() }}{% endmacro %}\n{{ f() }}", NULL, NULL,
           "line 1: macro calls nested more than 32 deep");
    gpt_template_limits depth = {.max_depth = 3};
    expect_err("macro depth limit", "{% macro f(n) %}{{ n }}{{ f(n + 1) if n < 5 }}{% endmacro %}{{ f(0) }}", NULL, NULL,
               "line 1: macro calls nested more than 3 deep", 0, &depth);
    expect_err("macro depth within limit", "{% macro f(n) %}{{ n }}{{ f(n + 1) if n < 2 }}{% endmacro %}{{ f(0) }}", NULL, "012", NULL, 0,
               &depth);
    /* a value nested deeper than repr and tojson walk */
    expect("nested lists", "{% set ns = namespace(x=1) %}{% for i in range(600) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x|tojson }}",
           NULL, NULL, "line 1: a value nested more than 500 deep");
}

/* The context: a JSON object; anything else is GPT_ERR_ARG naming the fault. */
static void check_context(void) {
    static const struct { const char *ctx, *err; } cases[] = {
        {"[1]", "context: not a JSON object"},
        {"{\"x\": }", "context: unexpected character at byte 6"},
        {"{\"x\": \"\\ud800\"}", "context: a lone UTF-16 surrogate (\\u escape) in a string at byte 13"},
        {"{\"x\": 99999999999999999999}", "context: an integer that does not fit in 64 bits at byte 6"},
        {"{\"x\": 1} x", "context: trailing characters after the JSON value at byte 9"},
        {"{\"x\": \"\xc3\"}", "context: not valid UTF-8 at byte 7"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        gpt_template *tpl = NULL;
        char err[600] = "", *out = NULL;
        size_t len;
        gpt_template_new(&tpl, "{{ x }}", 7, err, sizeof err);
        gpt_status st = gpt_template_render(tpl, cases[k].ctx, NULL, &out, &len, err, sizeof err);
        CHECK(st == GPT_ERR_ARG && out == NULL && strcmp(err, cases[k].err) == 0, "context %zu: want \"%s\", got status %d \"%s\"", k,
              cases[k].err, st, err);
        free(out);
        gpt_template_free(tpl);
    }
    expect("no context", "[{{ x }}]", NULL, "[]", NULL);
    expect("empty context", "[{{ x }}]", "", "[]", NULL);
    expect("escapes and surrogate pairs", "{{ x }}|{{ x|tojson }}", "{\"x\": \"a\\u00e9\\ud83d\\ude00\\n\\/\"}",
           "a\xc3\xa9\xf0\x9f\x98\x80\n/|\"a\xc3\xa9\xf0\x9f\x98\x80\\n/\"", NULL);
    expect("a repeated key: the last wins", "{{ x }}", "{\"x\": 1, \"x\": 2}", "2", NULL);
    expect("context shadows a global function", "{{ range }}", "{\"range\": \"mine\"}", "mine", NULL);
    expect("content is data, not template", "{{ m }}", "{\"m\": \"{{ 1 + 1 }} {% if %}\"}", "{{ 1 + 1 }} {% if %}", NULL);
}

/* One parsed template, many renders, each from its own context. */
static void check_reuse(void) {
    gpt_template *tpl = NULL;
    char err[600];
    const char *src = "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{{ m }}{% endfor %}={{ ns.n }}";
    CHECK(gpt_template_new(&tpl, src, strlen(src), err, sizeof err) == GPT_OK, "%s", err);
    const char *ctx[] = {"{\"messages\": [\"a\", \"b\"]}", "{\"messages\": []}", "{\"messages\": [\"c\"]}"};
    const char *want[] = {"ab=2", "=0", "c=1"};
    for (int k = 0; k < 6; k++) {
        char *out = NULL;
        size_t len = 0;
        gpt_status st = gpt_template_render(tpl, ctx[k % 3], NULL, &out, &len, err, sizeof err);
        CHECK(st == GPT_OK && strcmp(out, want[k % 3]) == 0 && len == strlen(want[k % 3]), "render %d: got \"%s\", want \"%s\"", k,
              st == GPT_OK ? out : err, want[k % 3]);
        free(out);
    }
    /* a failed render leaves the template usable */
    char *out = NULL;
    size_t len;
    CHECK(gpt_template_render(tpl, "{\"messages\": 5}", NULL, &out, &len, err, sizeof err) == GPT_ERR_FORMAT && out == NULL &&
              strcmp(err, "line 1: 'int' object is not iterable") == 0, "got \"%s\"", err);
    CHECK(gpt_template_render(tpl, ctx[0], NULL, &out, &len, err, sizeof err) == GPT_OK && strcmp(out, "ab=2") == 0, "after an error: %s",
          out ? out : err);
    free(out);
    gpt_template_free(tpl);
    gpt_template_free(NULL);
    CHECK(gpt_template_new(NULL, "x", 1, err, sizeof err) == GPT_ERR_ARG, "NULL out accepted");
    expect("empty template", "", NULL, "", NULL);
    /* Jinja2 raises '' as it is; an error needs words (found by fuzz_template) */
    /* str.format fields: Python fails on both too (KeyError '5x', ValueError); found by fuzz_template */
    expect("format: digits then letters", "{{ '{5x}'.format(x=3) }}", NULL, NULL, "line 1: format: no argument named '5x'");
    expect("format: a huge index", "{{ '{5555555555555555555555}'.format(1) }}", NULL, NULL,
           "line 1: format: replacement index 5555555555555555555555 out of range");
    /* errors Python words differently (TypeError "test_mapping() takes 1 positional argument but 2 were given",
     * ValueError "Single '}' encountered in format string"); found by rendering the fuzz corpus in both */
    expect("test with an argument it does not take", "{{ {} is mapping 1 }}", NULL, NULL, "line 1: test 'mapping' takes no arguments");
    /* A keyword to a filter or method that takes none (Python: TypeError "... got an unexpected
     * keyword argument"); it read a null name list and crashed (found by fuzz_template) */
    expect("string filter with a keyword", "{{ 'x'|string(a=1) }}", NULL, NULL,
           "line 1: string got an unexpected keyword argument 'a'");
    expect("length filter with a keyword", "{{ 'x'|length(a=1) }}", NULL, NULL,
           "line 1: length got an unexpected keyword argument 'a'");
    expect("upper method with a keyword", "{{ 'x'.upper(a=1) }}", NULL, NULL,
           "line 1: upper got an unexpected keyword argument 'a'");
    expect("items method with a keyword", "{{ {}.items(a=1) }}", NULL, NULL,
           "line 1: items got an unexpected keyword argument 'a'");
    expect("reversed list has no length", "{{ [1, 2]|reverse|length }}", NULL, NULL, "line 1: object of type 'generator' has no len()");
    expect("format: a single }", "{{ '{}}'.format(1) }}", NULL, NULL, "line 1: format: single '}' encountered in format string");
    expect("raise_exception('')", "{{ raise_exception('') }}", NULL, NULL, "raise_exception() with an empty message");
    expect("generation block", "{% generation %}a{{ 1 }}{% endgeneration %}b", NULL, "a1b", NULL);
    /* strftime_now with the caller's clock (UTC) */
    gpt_template_limits clock = {.has_time = 1, .time = 0};
    expect_err("strftime_now", "{{ strftime_now('%d %b %Y %H:%M:%S') }}", NULL, "01 Jan 1970 00:00:00", NULL, 0, &clock);
}

static void write_text(const char *dir, const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void remove_text(const char *dir, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

/* Which template a model directory gives, its special tokens, and the
 * errors when there is none. */
static void check_model_dir(void) {
    char dir[] = "/tmp/gpt-test-template-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp failed");
    char *src = NULL, err[600] = "";
    size_t len = 0;
    gpt_status st = gpt_chat_template_read(dir, &src, &len, err, sizeof err);
    char want[700];
    snprintf(want, sizeof want, "%s: the model has no chat template (no chat_template.jinja, no chat_template in "
             "tokenizer_config.json); give one with --chat-template FILE", dir);
    CHECK(st == GPT_ERR_FORMAT && src == NULL && strcmp(err, want) == 0, "empty dir: got %d \"%s\"", st, err);

    write_text(dir, "tokenizer_config.json", "{\"bos_token\": \"<s>\", \"eos_token\": {\"content\": \"</s>\", \"lstrip\": false}, "
               "\"pad_token\": null, \"unk_token\": \"<unk>\", \"add_bos_token\": true, \"chat_template\": \"A{{ bos_token }}\"}");
    st = gpt_chat_template_read(dir, &src, &len, err, sizeof err);
    CHECK(st == GPT_OK && strcmp(src, "A{{ bos_token }}") == 0 && len == 16, "string chat_template: %s", st == GPT_OK ? src : err);
    free(src);
    char *special = NULL;
    st = gpt_chat_special_tokens(dir, &special, err, sizeof err);
    CHECK(st == GPT_OK && strcmp(special, "{\"bos_token\":\"<s>\",\"eos_token\":\"</s>\",\"unk_token\":\"<unk>\"}") == 0,
          "special tokens: %s", st == GPT_OK ? special : err);
    free(special);

    write_text(dir, "tokenizer_config.json", "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}, "
               "{\"name\": \"default\", \"template\": \"D\"}]}");
    st = gpt_chat_template_read(dir, &src, &len, err, sizeof err);
    CHECK(st == GPT_OK && strcmp(src, "D") == 0, "named templates: %s", st == GPT_OK ? src : err);
    free(src);
    write_text(dir, "tokenizer_config.json", "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}, "
               "{\"name\": \"rag\", \"template\": \"R\"}]}");
    st = gpt_chat_template_read(dir, &src, &len, err, sizeof err);
    snprintf(want, sizeof want, "%s/tokenizer_config.json: chat_template has no template named \"default\" (it has: tool_use, rag); "
             "give one with --chat-template FILE", dir);
    CHECK(st == GPT_ERR_FORMAT && strcmp(err, want) == 0, "no default: got \"%s\"", err);
    write_text(dir, "tokenizer_config.json", "{\"chat_template\": 5}");
    st = gpt_chat_template_read(dir, &src, &len, err, sizeof err);
    snprintf(want, sizeof want, "%s/tokenizer_config.json: chat_template is neither a string nor a list of {name, template}", dir);
    CHECK(st == GPT_ERR_FORMAT && strcmp(err, want) == 0, "bad type: got \"%s\"", err);
    write_text(dir, "tokenizer_config.json", "{\"chat_template\": ");
    st = gpt_chat_template_read(dir, &src, &len, err, sizeof err);
    snprintf(want, sizeof want, "%s/tokenizer_config.json: not valid JSON", dir);
    CHECK(st == GPT_ERR_FORMAT && strcmp(err, want) == 0, "bad JSON: got \"%s\"", err);
    /* chat_template.jinja beside it wins, byte for byte */
    write_text(dir, "chat_template.jinja", "J{{ x }}\n");
    st = gpt_chat_template_read(dir, &src, &len, err, sizeof err);
    CHECK(st == GPT_OK && strcmp(src, "J{{ x }}\n") == 0 && len == 9, "chat_template.jinja: %s", st == GPT_OK ? src : err);
    free(src);
    remove_text(dir, "chat_template.jinja");
    remove_text(dir, "tokenizer_config.json");
    st = gpt_chat_special_tokens(dir, &special, err, sizeof err);
    CHECK(st == GPT_OK && strcmp(special, "{}") == 0, "no config: %s", st == GPT_OK ? special : err);
    free(special);
    rmdir(dir);
}

/* gpt_chat_context: the conversation checked, the variables layered. */
static void check_chat_context(void) {
    static const struct { const char *msgs, *err; } bad[] = {
        {"{\"role\": \"user\"}", "messages: not a list"},
        {"[1]", "messages[0]: not an object"},
        {"[{\"role\": \"user\", \"content\": \"a\"}, {\"content\": \"b\"}]", "messages[1]: no \"role\""},
        {"[{\"role\": 5, \"content\": \"a\"}]", "messages[0]: \"role\" is not a string"},
        {"[{\"role\": \"user\", \"content\": [\"a\"]}]", "messages[0]: \"content\" is not a string"},
        {"[{\"role\": \"user\"}]", "messages[0]: no \"content\""},
        {"[{\"role\": \"user\", ", "messages: not valid JSON"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char *ctx = NULL, err[600] = "";
        gpt_status st = gpt_chat_context(NULL, bad[k].msgs, 1, NULL, &ctx, err, sizeof err);
        CHECK(st == GPT_ERR_ARG && ctx == NULL && strcmp(err, bad[k].err) == 0, "messages %zu: want \"%s\", got %d \"%s\"", k,
              bad[k].err, st, err);
        free(ctx);
    }
    char *ctx = NULL, err[600] = "";
    gpt_status st = gpt_chat_context("{\"bos_token\": \"<s>\"}", "[]", 0, "{\"messages\": 1}", &ctx, err, sizeof err);
    CHECK(st == GPT_ERR_ARG && strcmp(err, "template variables: \"messages\" is set by the conversation, not a variable") == 0,
          "got \"%s\"", err);
    st = gpt_chat_context("[]", "[]", 0, NULL, &ctx, err, sizeof err);
    CHECK(st == GPT_ERR_ARG && strcmp(err, "special tokens: not a JSON object") == 0, "got \"%s\"", err);

    st = gpt_chat_context("{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}",
                          "[{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"function\": {\"name\": \"f\"}}]}]", 1,
                          "{\"eos_token\": \"<E>\", \"x\": 1.0, \"tools\": [1]}", &ctx, err, sizeof err);
    CHECK(st == GPT_OK, "context: %s", err);
    if (st == GPT_OK)
        expect("layered context", "{{ bos_token }}{{ eos_token }}{{ x }}{{ tools }}{{ documents }}{{ add_generation_prompt }}"
               "{{ messages[0].tool_calls[0].function.name }}", ctx, "<s><E>1.0[1]NoneTruef", NULL);
    free(ctx);

    /* the fixtures again, through gpt_chat_context as the CLI will call it */
    char *src = check_read_file("tests/golden/chat/qwen3/chat_template.jinja", NULL);
    char *json = check_read_file("tests/golden/chat/qwen3/cases.json", NULL);
    cJSON *fixture = json ? cJSON_Parse(json) : NULL;
    const cJSON *c, *cases = cJSON_GetObjectItem(fixture, "cases");
    int n = 0;
    char *special = cJSON_PrintUnformatted(cJSON_GetObjectItem(fixture, "context"));
    cJSON_ArrayForEach(c, cases) {
        char *msgs = cJSON_PrintUnformatted(cJSON_GetObjectItem(c, "messages"));
        const cJSON *kw = cJSON_GetObjectItem(c, "kwargs");
        char *vars = kw ? cJSON_PrintUnformatted(kw) : NULL;
        st = gpt_chat_context(special, msgs, cJSON_IsTrue(cJSON_GetObjectItem(c, "add_generation_prompt")), vars, &ctx, err, sizeof err);
        CHECK(st == GPT_OK, "qwen3 case %d context: %s", n, err);
        char name[64];
        snprintf(name, sizeof name, "qwen3 case %d via gpt_chat_context", n);
        if (st == GPT_OK) expect(name, src, ctx, cJSON_GetObjectItem(c, "rendered")->valuestring, NULL);
        free(ctx);
        free(msgs);
        free(vars);
        n++;
    }
    CHECK(n == 17, "%d qwen3 cases", n);
    free(special);
    cJSON_Delete(fixture);
    free(json);
    free(src);
}

/* One template rendered from several threads at once: each render owns its state. */
static void check_threads(void) {
    char *src = check_read_file("tests/golden/chat/qwen3/chat_template.jinja", NULL);
    char *json = check_read_file("tests/golden/chat/qwen3/cases.json", NULL);
    cJSON *fixture = json ? cJSON_Parse(json) : NULL;
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(fixture, "cases"));
    if (!src || n < 1) { CHECK(0, "cannot read the qwen3 fixture"); return; }
    gpt_template *tpl = NULL;
    char err[600];
    CHECK(gpt_template_new(&tpl, src, strlen(src), err, sizeof err) == GPT_OK, "%s", err);
    char **ctx = calloc((size_t)n, sizeof(char *));
    for (int k = 0; k < n; k++) ctx[k] = golden_context(fixture, cJSON_GetArrayItem(cJSON_GetObjectItem(fixture, "cases"), k));
    int wrong = 0;
    const char *tojson_src = "{{ messages|tojson(sort_keys=true) }}";
    gpt_template *tpl2 = NULL;
    gpt_template_new(&tpl2, tojson_src, strlen(tojson_src), err, sizeof err);
    #pragma omp parallel for num_threads(4) reduction(+ : wrong)
    for (int r = 0; r < 400; r++) {
        int k = r % n;
        const cJSON *want = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(fixture, "cases"), k), "rendered");
        char *out = NULL, e[600];
        size_t len;
        if (gpt_template_render(tpl, ctx[k], NULL, &out, &len, e, sizeof e) != GPT_OK || strcmp(out, want->valuestring) != 0) wrong++;
        free(out);
        out = NULL;
        if (gpt_template_render(tpl2, ctx[k], NULL, &out, &len, e, sizeof e) != GPT_OK) wrong++;
        free(out);
    }
    CHECK(wrong == 0, "%d of 800 renders from 4 threads went wrong", wrong);
    for (int k = 0; k < n; k++) free(ctx[k]);
    free(ctx);
    gpt_template_free(tpl);
    gpt_template_free(tpl2);
    cJSON_Delete(fixture);
    free(json);
    free(src);
}

int main(void) {
    check_golden_chat("chatml", 17, 0);
    check_golden_chat("chatml-strict", 17, 2);
    check_golden_chat("llama3", 17, 0);
    check_golden_chat("qwen3", 17, 0);
    check_jinja_cases();
    check_parse_errors();
    check_bounds();
    check_context();
    check_reuse();
    check_model_dir();
    check_chat_context();
    check_threads();
    return check_done("test_template");
}
