/* cli_json.c — cJSON helpers: UTF-8-safe strings, strict integers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_json.h"

/* Length of the valid UTF-8 character at s (n bytes left), or 0. */
static size_t utf8_char_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000;
    else return 0;
    if (len > n) return 0;
    unsigned cp = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

void cli_json_add_text(cJSON *obj, const char *key, const char *bytes, size_t len) {
    char *clean = malloc(len * 3 + 1);  // each bad byte becomes 3 bytes
    if (!clean) {
        cJSON_AddNullToObject(obj, key);
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_char_len((const unsigned char *)bytes + i, len - i);
        if (n == 0 || bytes[i] == '\0') {  // a NUL would end the C string cJSON takes
            memcpy(clean + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
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
