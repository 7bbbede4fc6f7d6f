/* test_cli_json.c — the CLI's UTF-8 rules for output: one U+FFFD per maximal
 * subpart of ill-formed UTF-8 in JSON strings (Unicode 15, section 3.9,
 * "U+FFFD Substitution of Maximal Subparts", which the WHATWG decoder
 * follows), and the cut-character tail that text output holds back. The CLI
 * sources are not in libgpt.a, so the one file under test is compiled in. */
#include <string.h>

#include "check.h"
#include "cli_json.c"

/* The "s" string cli_json_add_text makes of len bytes, with each U+FFFD as '?'. */
static void cleaned(const char *bytes, size_t len, char *out, size_t cap) {
    cJSON *obj = cJSON_CreateObject();
    cli_json_add_text(obj, "s", bytes, len);
    const char *s = cJSON_GetObjectItem(obj, "s")->valuestring;
    size_t o = 0;
    for (size_t i = 0; s[i] && o + 1 < cap;) {
        if (!strncmp(s + i, "\xEF\xBF\xBD", 3)) out[o++] = '?', i += 3;  // strncmp: stops at the NUL
        else out[o++] = s[i++];
    }
    out[o] = '\0';
    cJSON_Delete(obj);
}

static void check_clean(const char *bytes, size_t len, const char *want, const char *what) {
    char got[256];
    cleaned(bytes, len, got, sizeof got);
    CHECK(!strcmp(got, want), "%s: got \"%s\", want \"%s\" (? = U+FFFD)", what, got, want);
}

int main(void) {
    /* Unicode's own example (Table 3-8): 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64
     * is a, FFFD, FFFD, FFFD, b, FFFD, c, FFFD, FFFD, d. */
    check_clean("a\xF1\x80\x80\xE1\x80\xC2" "b\x80" "c\x80\xBF" "d", 13, "a???b?c??d", "Table 3-8");
    check_clean("est,\xE2\x80", 6, "est,?", "a 3-byte character cut after 2 bytes: one U+FFFD");
    check_clean("\xF0\x9F\x98", 3, "?", "a 4-byte character cut after 3 bytes: one U+FFFD");
    check_clean("\xC0\xAF", 2, "??", "overlong C0 AF: two");
    check_clean("\xE0\x80\xAF", 3, "???", "overlong E0 80 AF: three (80 is not in A0..BF)");
    check_clean("\xED\xA0\x80", 3, "???", "a surrogate ED A0 80: three");
    check_clean("\xF4\x90\x80\x80", 4, "????", "past U+10FFFF: four");
    check_clean("\xF5\x80", 2, "??", "F5 starts nothing");
    check_clean("\xE2\x82\xAC \xF0\x9F\x98\x80", 8, "\xE2\x82\xAC \xF0\x9F\x98\x80", "well-formed text is kept");
    check_clean("a\0b", 3, "a?b", "a NUL");

    /* The tail a text stream holds back: a lead byte and too few continuations. */
    struct { const char *s; size_t len, want; } tails[] = {
        {"est,\xE2\x80", 6, 2}, {"est,\xE2", 5, 1}, {"\xF0\x9F\x98", 3, 3}, {"\xF0\x9F", 2, 2},
        {"est,\xE2\x80\x9D", 7, 0}, {"abc", 3, 0}, {"", 0, 0}, {"a\x80", 2, 0},   // whole, ASCII, empty, a stray byte
        {"\xC0", 1, 0}, {"\xE0\x80", 2, 0}, {"\xED\xA0", 2, 0},                 // never a character: not held
        {"\xF0\x9F\x98\x80\xE2", 5, 1},
    };
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        size_t got = cli_utf8_cut_tail(tails[i].s, tails[i].len);
        CHECK(got == tails[i].want, "cut tail of case %zu (%zu bytes): got %zu, want %zu", i, tails[i].len, got,
              tails[i].want);
    }
    return check_done("test_cli_json");
}
