/* cli_json.c — cJSON helpers: UTF-8-safe strings, strict integers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_json.h"

/* At s (n > 0 bytes left): the length of the well-formed UTF-8 character
 * there (*ok = 1), or else of the maximal subpart of an ill-formed sequence
 * (*ok = 0): the longest prefix of some well-formed sequence, at least one
 * byte. The second byte's range depends on the first (Unicode Table 3-7:
 * E0 A0..BF, ED 80..9F, F0 90..BF, F4 80..8F), which excludes overlong
 * forms, surrogates and code points past U+10FFFF. */
static size_t utf8_scan(const unsigned char *s, size_t n, int *ok) {
    const unsigned c = s[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    *ok = 0;
    if (c < 0x80) need = 1;
    else if (c >= 0xC2 && c <= 0xDF) need = 2;
    else if (c >= 0xE0 && c <= 0xEF) need = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) need = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else return 1;  // a byte that starts nothing: its own subpart
    size_t i = 1;
    for (; i < need && i < n && s[i] >= lo && s[i] <= hi; i++) lo = 0x80, hi = 0xBF;
    *ok = i == need;
    return i;
}

size_t cli_utf8_cut_tail(const char *bytes, size_t len) {
    const unsigned char *s = (const unsigned char *)bytes;
    /* The last byte that is not a continuation byte decides (a character is
     * at most 4 bytes, so look back 3). */
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        const size_t p = len - back;
        if ((s[p] & 0xC0) == 0x80) continue;
        int ok;
        size_t n = utf8_scan(s + p, back, &ok);
        return !ok && s[p] >= 0xC2 && n == back ? back : 0;
    }
    return 0;
}

void cli_json_add_text(cJSON *obj, const char *key, const char *bytes, size_t len) {
    char *clean = malloc(len * 3 + 1);  // at worst each byte becomes U+FFFD's 3 bytes
    if (!clean) {
        cJSON_AddNullToObject(obj, key);
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        int ok;
        size_t n = utf8_scan((const unsigned char *)bytes + i, len - i, &ok);
        if (!ok || bytes[i] == '\0') {  // one U+FFFD per maximal subpart; a NUL would end cJSON's C string
            memcpy(clean + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += n;
            continue;
        }
        memcpy(clean + o, bytes + i, n);
        o += n;
        i += n;
    }
    clean[o] = '\0';
    cJSON_AddStringToObject(obj, key, clean);
    free(clean);
}

int cli_json_int(const cJSON *item, long min, long max, long *out) {
    if (!cJSON_IsNumber(item)) return 0;
    double v = item->valuedouble;
    if (!(v >= (double)min && v <= (double)max) || floor(v) != v) return 0;
    *out = (long)v;
    return 1;
}
