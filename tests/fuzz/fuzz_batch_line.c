/* fuzz_batch_line.c — one `gpt generate --batch` input line
 * (cli_request_parse): JSON requests and plain lines with escapes.
 *
 * Checks: no crash, leak or undefined behaviour; a failure says why; a
 * parsed request has a NUL-terminated prompt of prompt_len bytes or a checked
 * conversation ("messages", with "template_vars" only beside it), at most
 * CLI_MAX_STOPS stop strings, settings (sampling, penalties, n, logit
 * bias, top_logprobs) in the ranges the CLI accepts, and
 * a plain line without backslashes is its own prompt. */
#include <math.h>

#include "fuzz.h"

#include "cli_messages.h"
#include "cli_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const default_stops[] = {"\n\n", "THE END"};
    const cli_request_defaults def = {.max_tokens = 128, .temperature = 0.8, .top_p = 0.95, .top_k = 40,
                                      .seed = 7, .stops = default_stops, .n_stops = 2};
    const char *line = (const char *)data;
    cli_request req;
    char msg[600] = "";
    if (cli_request_parse(line, size, 3, &def, &req, msg, sizeof msg) != 0) {
        FUZZ_CHECK(msg[0] != '\0');
        cli_request_free(&req);
        return 0;
    }
    /* A prompt, or a checked conversation ("messages", "template_vars" only beside it). */
    FUZZ_CHECK((req.prompt != NULL) != (req.messages != NULL));
    FUZZ_CHECK(!req.prompt || req.prompt[req.prompt_len] == '\0');
    FUZZ_CHECK(!req.messages || cli_messages_check(req.messages, msg, sizeof msg) == 0);
    FUZZ_CHECK(!req.template_vars || (req.messages && cli_template_vars_check(req.template_vars, "vars", msg, sizeof msg) == 0));
    FUZZ_CHECK(req.n_stops >= 0 && req.n_stops <= CLI_MAX_STOPS);
    for (int i = 0; i < req.n_stops; i++) FUZZ_CHECK(req.stops[i] != NULL);
    FUZZ_CHECK(req.max_tokens >= -1 && req.max_tokens <= 1000000000);
    FUZZ_CHECK(req.temperature >= 0 && req.temperature <= 1e30);
    FUZZ_CHECK(req.top_p > 0 && req.top_p <= 1);
    FUZZ_CHECK(req.top_k >= 0);
    FUZZ_CHECK(req.n >= 1 && req.n <= CLI_MAX_SAMPLES);
    FUZZ_CHECK(req.top_logprobs >= 0 && req.top_logprobs <= CLI_MAX_TOP_LOGPROBS);
    FUZZ_CHECK(req.min_p >= 0 && req.min_p <= 1);
    FUZZ_CHECK(req.repetition_penalty > 0 || req.repetition_penalty == def.repetition_penalty);
    FUZZ_CHECK(isfinite(req.presence_penalty) && isfinite(req.frequency_penalty));
    FUZZ_CHECK(req.penalty_last_n >= 0);
    FUZZ_CHECK(req.n_bias >= 0 && (req.n_bias == 0 || (req.bias_ids && req.bias_values)));
    for (int i = 0; i < req.n_bias; i++) FUZZ_CHECK(req.bias_ids[i] >= 0 && isfinite(req.bias_values[i]));
    size_t lead = 0;  // a line is JSON when its first byte past blanks is '{'
    while (lead < size && (line[lead] == ' ' || line[lead] == '\t' || line[lead] == '\r')) lead++;
    if (lead == size || line[lead] != '{') {
        FUZZ_CHECK(req.prompt_len <= size);
        FUZZ_CHECK(req.seed == def.seed + 3 && req.n_stops == def.n_stops && req.id == NULL);
        if (!memchr(line, '\\', size)) FUZZ_CHECK(req.prompt_len == size && !memcmp(req.prompt, line, size));
    }
    cli_request_free(&req);
    return 0;
}
