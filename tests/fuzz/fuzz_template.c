/* fuzz_template.c — the chat-template interpreter: gpt_template_new on the
 * input, then gpt_template_render with a fixed conversation, under small
 * bounds. An input with a NUL byte is a template, NUL, then the context
 * JSON (so the context reader is fuzzed too).
 *
 * Checks: no crash, leak, hang or undefined behaviour; a parse error names
 * "line L:C"; a render fails with a message or gives NUL-terminated text
 * within the output bound; rendering twice gives the same bytes. */
#include "fuzz.h"

static const char fixed_context[] =
    "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi \\u00e9 {{ x }}\"},"
    " {\"role\": \"assistant\", \"content\": \"<think>\\nhm\\n</think>\\n\\nHello!\", \"tool_calls\": [{\"function\": "
    "{\"name\": \"f\", \"arguments\": {\"a\": 1, \"b\": [1.5, null, true]}}}]}, {\"role\": \"tool\", \"content\": \"42\"},"
    " {\"role\": \"user\", \"content\": \"  Bye\\n\"}], \"add_generation_prompt\": true, \"bos_token\": \"<s>\","
    " \"eos_token\": \"</s>\", \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {}}}],"
    " \"documents\": null, \"enable_thinking\": false}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *src = (const char *)data;
    size_t src_len = size;
    char *context = NULL;
    const uint8_t *nul = memchr(data, 0, size);
    if (nul) {
        src_len = (size_t)(nul - data);
        size_t n = size - src_len - 1;
        context = malloc(n + 1);
        FUZZ_CHECK(context != NULL);
        memcpy(context, nul + 1, n);
        context[n] = '\0';
    }
    gpt_template *tpl = NULL;
    char err[600] = "";
    if (gpt_template_new(&tpl, src, src_len, err, sizeof err) != GPT_OK) {
        FUZZ_CHECK(tpl == NULL && strncmp(err, "line ", 5) == 0);
        free(context);
        return 0;
    }
    const gpt_template_limits limits = {.max_steps = 20000, .max_output = 1 << 16, .max_memory = 16 << 20, .max_depth = 8,
                                        .has_time = 1, .time = 1721952000};
    char *out[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    gpt_status st[2];
    for (int k = 0; k < 2; k++) {
        err[0] = '\0';
        st[k] = gpt_template_render(tpl, context ? context : fixed_context, &limits, &out[k], &len[k], err, sizeof err);
        if (st[k] != GPT_OK) {
            FUZZ_CHECK(out[k] == NULL && err[0] != '\0');
        } else {
            FUZZ_CHECK(out[k] != NULL && out[k][len[k]] == '\0' && len[k] <= limits.max_output);
        }
    }
    FUZZ_CHECK(st[0] == st[1]);
    FUZZ_CHECK(len[0] == len[1] && (st[0] != GPT_OK || memcmp(out[0], out[1], len[0]) == 0));
    free(out[0]);
    free(out[1]);
    gpt_template_free(tpl);
    free(context);
    return 0;
}
