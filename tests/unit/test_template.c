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

int main(void) {
    check_golden_chat("chatml", 17, 0);
    check_golden_chat("chatml-strict", 17, 2);
    check_golden_chat("llama3", 17, 0);
    check_golden_chat("qwen3", 17, 0);
    check_jinja_cases();
    return check_done("test_template");
}
