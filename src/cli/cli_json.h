/* cli_json.h — small cJSON helpers the subcommands share. */
#ifndef GPT_CLI_JSON_H
#define GPT_CLI_JSON_H

#include <stddef.h>

#include <cJSON.h>

/* Adds bytes as a JSON string: invalid UTF-8 becomes U+FFFD, so the output
 * stays valid JSON (the exact bytes are in the token ids). */
void cli_json_add_text(cJSON *obj, const char *key, const char *bytes, size_t len);

/* 1 when item is an integral number in [min, max] (stored in *out). */
int cli_json_int(const cJSON *item, long min, long max, long *out);

#endif
