/* cli_json.h — small cJSON helpers the subcommands share. */
#ifndef GPT_CLI_JSON_H
#define GPT_CLI_JSON_H

#include <stddef.h>

#include <cJSON.h>

/* Adds bytes as a JSON string: ill-formed UTF-8 becomes U+FFFD, one for
 * each maximal subpart (the Unicode and WHATWG rule: "\xE2\x82" at the end
 * is one U+FFFD, "\xC0\xAF" two), and so does a NUL; the output stays
 * valid JSON (the exact bytes are in the token ids). */
void cli_json_add_text(cJSON *obj, const char *key, const char *bytes, size_t len);

/* How many bytes at the end of bytes (len) are a UTF-8 character cut short
 * (a lead byte and fewer continuation bytes than it needs): 0 to 3. Text
 * output holds them back, so it ends with whole characters only. */
size_t cli_utf8_cut_tail(const char *bytes, size_t len);

/* 1 when item is an integral number in [min, max] (stored in *out). */
int cli_json_int(const cJSON *item, long min, long max, long *out);

#endif
