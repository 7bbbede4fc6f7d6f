/* tokenizer_json.c — reads HuggingFace's tokenizer.json, following the file
 * (not a list of known models): its model (BPE), normalizer, pre-tokenizer,
 * post-processor, decoder and added tokens; then tokenizer_config.json and
 * generation_config.json. A component or option that is not implemented is
 * refused by name, never approximated. Every error is one line naming the
 * file and the field.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ctype.h>

#include <cJSON.h>

#include "tokenizer_internal.h"

typedef struct {
    const char *file;
    char *err;
    size_t err_len;
} ctx;

#define FAIL(c, status, ...) gpt_fail((c)->err, (c)->err_len, (status), __VA_ARGS__)
#define BAD(c, ...) FAIL(c, GPT_ERR_FORMAT, __VA_ARGS__)

static const cJSON *field(const cJSON *o, const char *name) { return cJSON_GetObjectItemCaseSensitive(o, name); }

static int is_null(const cJSON *j) { return !j || cJSON_IsNull(j); }

/* A boolean field: absent or null gives def; anything else but a bool is an error. */
static gpt_status get_bool(ctx *c, const cJSON *o, const char *name, int def, int *out, const char *where) {
    const cJSON *j = field(o, name);
    if (is_null(j)) { *out = def; return GPT_OK; }
    if (!cJSON_IsBool(j)) return BAD(c, "%s: %s.%s is not true or false", c->file, where, name);
    *out = cJSON_IsTrue(j);
    return GPT_OK;
}

static gpt_status get_string(ctx *c, const cJSON *o, const char *name, const char **out, const char *where) {
    const cJSON *j = field(o, name);
    if (!cJSON_IsString(j)) return BAD(c, "%s: %s.%s is missing or not a string", c->file, where, name);
    *out = j->valuestring;
    return GPT_OK;
}

static gpt_status get_int(ctx *c, const cJSON *o, const char *name, int lo, int hi, int *out, const char *where) {
    const cJSON *j = field(o, name);
    if (!cJSON_IsNumber(j) || j->valuedouble != floor(j->valuedouble) || j->valuedouble < lo || j->valuedouble > hi)
        return BAD(c, "%s: %s.%s is missing or not an integer in %d..%d", c->file, where, name, lo, hi);
    *out = (int)j->valuedouble;
    return GPT_OK;
}

static char *dup_bytes(const char *s, size_t n) {
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* {"String": "..."} or {"Regex": "..."}. */
static gpt_status get_pattern(ctx *c, const cJSON *o, char **literal, size_t *literal_len, tk_regex **re,
                              int regex_allowed, const char *where) {
    const cJSON *p = field(o, "pattern");
    const cJSON *s = field(p, "String"), *r = field(p, "Regex");
    if (cJSON_IsString(s)) {
        *literal_len = strlen(s->valuestring);
        if (!(*literal = dup_bytes(s->valuestring, *literal_len))) return FAIL(c, GPT_ERR_OOM, "out of memory");
        return GPT_OK;
    }
    if (cJSON_IsString(r)) {
        if (!regex_allowed)
            return FAIL(c, GPT_ERR_UNSUPPORTED, "%s: %s.pattern: a Regex pattern is not supported here", c->file, where);
        char why[200];
        if (!(*re = tk_regex_compile(r->valuestring, strlen(r->valuestring), why, sizeof why)))
            return BAD(c, "%s: %s.pattern.Regex: %s", c->file, where, why);
        return GPT_OK;
    }
    return BAD(c, "%s: %s.pattern is neither {\"String\": ...} nor {\"Regex\": ...}", c->file, where);
}

static const char *type_of(const cJSON *o) {
    const cJSON *t = field(o, "type");
    return cJSON_IsString(t) ? t->valuestring : NULL;
}

/* ---- normalizer ------------------------------------------------------------ */

static gpt_status add_normalizer(ctx *c, gpt_tokenizer *t, const cJSON *o, int depth) {
    const char *type = type_of(o);
    if (!cJSON_IsObject(o) || !type) return BAD(c, "%s: normalizer has no \"type\"", c->file);
    if (depth > 16) return BAD(c, "%s: normalizer Sequences nest too deep", c->file);
    if (!strcmp(type, "Sequence")) {
        const cJSON *list = field(o, "normalizers"), *e;
        if (!cJSON_IsArray(list)) return BAD(c, "%s: normalizer.normalizers is not a list", c->file);
        cJSON_ArrayForEach(e, list) {
            gpt_status st = add_normalizer(c, t, e, depth + 1);
            if (st != GPT_OK) return st;
        }
        return GPT_OK;
    }
    tk_normalizer *grown = realloc(t->norm, sizeof(tk_normalizer) * (size_t)(t->n_norm + 1));
    if (!grown) return FAIL(c, GPT_ERR_OOM, "out of memory");
    t->norm = grown;
    tk_normalizer *n = &t->norm[t->n_norm++];
    memset(n, 0, sizeof *n);
    if (!strcmp(type, "NFC")) n->kind = NORM_NFC;
    else if (!strcmp(type, "NFD")) n->kind = NORM_NFD;
    else if (!strcmp(type, "NFKC")) n->kind = NORM_NFKC;
    else if (!strcmp(type, "NFKD")) n->kind = NORM_NFKD;
    else if (!strcmp(type, "Lowercase")) n->kind = NORM_LOWERCASE;
    else if (!strcmp(type, "Strip")) {
        n->kind = NORM_STRIP;
        gpt_status st = get_bool(c, o, "strip_left", 1, &n->strip_left, "normalizer Strip");
        if (st == GPT_OK) st = get_bool(c, o, "strip_right", 1, &n->strip_right, "normalizer Strip");
        return st;
    } else if (!strcmp(type, "Prepend") || !strcmp(type, "Replace")) {
        int prepend = !strcmp(type, "Prepend");
        n->kind = prepend ? NORM_PREPEND : NORM_REPLACE;
        const char *content = NULL;
        gpt_status st = get_string(c, o, prepend ? "prepend" : "content", &content, prepend ? "normalizer Prepend" : "normalizer Replace");
        if (st != GPT_OK) return st;
        n->content_len = strlen(content);
        if (!(n->content = dup_bytes(content, n->content_len))) return FAIL(c, GPT_ERR_OOM, "out of memory");
        if (!prepend) return get_pattern(c, o, &n->literal, &n->literal_len, &n->re, 1, "normalizer Replace");
    } else {
        t->n_norm--;
        return FAIL(c, GPT_ERR_UNSUPPORTED, "%s: normalizer type \"%.40s\" is not supported", c->file, type);
    }
    return GPT_OK;
}

/* ---- pre-tokenizer ------------------------------------------------------------ */

static gpt_status get_behavior(ctx *c, const cJSON *o, tk_split_behavior def, tk_split_behavior *out, const char *where) {
    const cJSON *b = field(o, "behavior");
    if (is_null(b)) { *out = def; return GPT_OK; }
    static const char *names[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"};
    for (int i = 0; i < 5 && cJSON_IsString(b); i++)
        if (!strcmp(b->valuestring, names[i])) { *out = (tk_split_behavior)i; return GPT_OK; }
    return BAD(c, "%s: %s.behavior is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous",
               c->file, where);
}

static gpt_status get_replacement(ctx *c, const cJSON *o, char *out, int *out_len, const char *where) {
    const char *r = NULL;
    gpt_status st = get_string(c, o, "replacement", &r, where);
    if (st != GPT_OK) return st;
    int cp, len = tk_utf8_decode((const unsigned char *)r, strlen(r), &cp);
    if (len == 0 || r[len] != '\0') return BAD(c, "%s: %s.replacement is not one character", c->file, where);
    memcpy(out, r, (size_t)len);
    *out_len = len;
    return GPT_OK;
}

/* prepend_scheme, or the older add_prefix_space. */
static gpt_status get_prepend_scheme(ctx *c, const cJSON *o, tk_prepend_scheme *out, const char *where) {
    const cJSON *s = field(o, "prepend_scheme");
    if (is_null(s)) {
        int add;
        gpt_status st = get_bool(c, o, "add_prefix_space", 1, &add, where);
        *out = add ? PREPEND_ALWAYS : PREPEND_NEVER;
        return st;
    }
    if (cJSON_IsString(s) && !strcmp(s->valuestring, "always")) *out = PREPEND_ALWAYS;
    else if (cJSON_IsString(s) && !strcmp(s->valuestring, "first")) *out = PREPEND_FIRST;
    else if (cJSON_IsString(s) && !strcmp(s->valuestring, "never")) *out = PREPEND_NEVER;
    else return BAD(c, "%s: %s.prepend_scheme is not always, first or never", c->file, where);
    return GPT_OK;
}

static gpt_status add_pretokenizer(ctx *c, gpt_tokenizer *t, const cJSON *o, int depth) {
    const char *type = type_of(o);
    if (!cJSON_IsObject(o) || !type) return BAD(c, "%s: pre_tokenizer has no \"type\"", c->file);
    if (depth > 16) return BAD(c, "%s: pre_tokenizer Sequences nest too deep", c->file);
    if (!strcmp(type, "Sequence")) {
        const cJSON *list = field(o, "pretokenizers"), *e;
        if (!cJSON_IsArray(list)) return BAD(c, "%s: pre_tokenizer.pretokenizers is not a list", c->file);
        cJSON_ArrayForEach(e, list) {
            gpt_status st = add_pretokenizer(c, t, e, depth + 1);
            if (st != GPT_OK) return st;
        }
        return GPT_OK;
    }
    if (t->byte_level)
        return FAIL(c, GPT_ERR_UNSUPPORTED, "%s: pre_tokenizer %s after ByteLevel is not supported", c->file, type);
    tk_pretokenizer *grown = realloc(t->pre, sizeof(tk_pretokenizer) * (size_t)(t->n_pre + 1));
    if (!grown) return FAIL(c, GPT_ERR_OOM, "out of memory");
    t->pre = grown;
    tk_pretokenizer *p = &t->pre[t->n_pre++];
    memset(p, 0, sizeof *p);
    gpt_status st = GPT_OK;
    if (!strcmp(type, "ByteLevel")) {
        p->kind = PRE_BYTELEVEL;
        t->byte_level = 1;
        st = get_bool(c, o, "add_prefix_space", 1, &p->add_prefix_space, "pre_tokenizer ByteLevel");
        if (st == GPT_OK) st = get_bool(c, o, "use_regex", 1, &p->use_regex, "pre_tokenizer ByteLevel");
    } else if (!strcmp(type, "Split")) {
        p->kind = PRE_SPLIT;
        st = get_pattern(c, o, &p->literal, &p->literal_len, &p->re, 1, "pre_tokenizer Split");
        if (st == GPT_OK) st = get_behavior(c, o, SPLIT_ISOLATED, &p->behavior, "pre_tokenizer Split");
        if (st == GPT_OK) st = get_bool(c, o, "invert", 0, &p->invert, "pre_tokenizer Split");
        if (st == GPT_OK && is_null(field(o, "behavior")))
            st = BAD(c, "%s: pre_tokenizer Split has no behavior", c->file);
        /* The hub's most common pattern has a scanner of its own (the regex stays compiled, for the tests). */
        const cJSON *r = field(field(o, "pattern"), "Regex");
        if (st == GPT_OK && p->behavior == SPLIT_ISOLATED && !p->invert && cJSON_IsString(r))
            p->hub_digits = !strcmp(r->valuestring, TK_HUB_PATTERN_3) ? 3 : !strcmp(r->valuestring, TK_HUB_PATTERN_1) ? 1 : 0;
    } else if (!strcmp(type, "Digits")) {
        p->kind = PRE_DIGITS;
        st = get_bool(c, o, "individual_digits", 0, &p->individual_digits, "pre_tokenizer Digits");
    } else if (!strcmp(type, "Metaspace")) {
        p->kind = PRE_METASPACE;
        st = get_replacement(c, o, p->replacement, &p->replacement_len, "pre_tokenizer Metaspace");
        if (st == GPT_OK) st = get_prepend_scheme(c, o, &p->prepend_scheme, "pre_tokenizer Metaspace");
        if (st == GPT_OK) st = get_bool(c, o, "split", 1, &p->split, "pre_tokenizer Metaspace");
    } else if (!strcmp(type, "Punctuation")) {
        p->kind = PRE_PUNCTUATION;
        st = get_behavior(c, o, SPLIT_ISOLATED, &p->behavior, "pre_tokenizer Punctuation");
    } else if (!strcmp(type, "Whitespace")) {
        p->kind = PRE_WHITESPACE;
        p->invert = 1;  // HF: the matches of \w+|[^\w\s]+ are the pieces, the rest is dropped
        char why[200];
        if (!(p->re = tk_regex_compile("\\w+|[^\\w\\s]+", strlen("\\w+|[^\\w\\s]+"), why, sizeof why))) st = FAIL(c, GPT_ERR_OOM, "%s", why);
    } else if (!strcmp(type, "WhitespaceSplit")) {
        p->kind = PRE_WHITESPACE_SPLIT;
    } else {
        t->n_pre--;
        st = FAIL(c, GPT_ERR_UNSUPPORTED, "%s: pre_tokenizer type \"%.40s\" is not supported", c->file, type);
    }
    return st;
}

/* ---- decoder --------------------------------------------------------------------- */

static gpt_status add_decoder(ctx *c, gpt_tokenizer *t, const cJSON *o, int depth) {
    const char *type = type_of(o);
    if (!cJSON_IsObject(o) || !type) return BAD(c, "%s: decoder has no \"type\"", c->file);
    if (depth > 16) return BAD(c, "%s: decoder Sequences nest too deep", c->file);
    if (!strcmp(type, "Sequence")) {
        const cJSON *list = field(o, "decoders"), *e;
        if (!cJSON_IsArray(list)) return BAD(c, "%s: decoder.decoders is not a list", c->file);
        cJSON_ArrayForEach(e, list) {
            gpt_status st = add_decoder(c, t, e, depth + 1);
            if (st != GPT_OK) return st;
        }
        return GPT_OK;
    }
    tk_decoder *grown = realloc(t->dec, sizeof(tk_decoder) * (size_t)(t->n_dec + 1));
    if (!grown) return FAIL(c, GPT_ERR_OOM, "out of memory");
    t->dec = grown;
    tk_decoder *d = &t->dec[t->n_dec++];
    memset(d, 0, sizeof *d);
    gpt_status st = GPT_OK;
    if (!strcmp(type, "ByteLevel")) d->kind = DEC_BYTELEVEL;
    else if (!strcmp(type, "ByteFallback")) d->kind = DEC_BYTEFALLBACK;
    else if (!strcmp(type, "Fuse")) d->kind = DEC_FUSE;
    else if (!strcmp(type, "Replace")) {
        d->kind = DEC_REPLACE;
        tk_regex *re = NULL;
        const char *content = NULL;
        st = get_pattern(c, o, &d->pattern, &d->pattern_len, &re, 0, "decoder Replace");
        if (st == GPT_OK) st = get_string(c, o, "content", &content, "decoder Replace");
        if (st == GPT_OK) {
            d->content_len = strlen(content);
            if (!(d->content = dup_bytes(content, d->content_len))) st = FAIL(c, GPT_ERR_OOM, "out of memory");
        }
    } else if (!strcmp(type, "Strip")) {
        d->kind = DEC_STRIP;
        const char *content = NULL;
        st = get_string(c, o, "content", &content, "decoder Strip");
        if (st == GPT_OK) st = get_int(c, o, "start", 0, 1 << 20, &d->start, "decoder Strip");
        if (st == GPT_OK) st = get_int(c, o, "stop", 0, 1 << 20, &d->stop, "decoder Strip");
        if (st == GPT_OK) {
            int cp, len = tk_utf8_decode((const unsigned char *)content, strlen(content), &cp);
            if (len == 0 || content[len] != '\0') st = BAD(c, "%s: decoder Strip.content is not one character", c->file);
            else if (!(d->content = dup_bytes(content, (size_t)len))) st = FAIL(c, GPT_ERR_OOM, "out of memory");
            d->content_len = (size_t)len;
        }
    } else if (!strcmp(type, "Metaspace")) {
        d->kind = DEC_METASPACE;
        tk_prepend_scheme scheme = PREPEND_ALWAYS;
        st = get_replacement(c, o, d->replacement, &d->replacement_len, "decoder Metaspace");
        if (st == GPT_OK) st = get_prepend_scheme(c, o, &scheme, "decoder Metaspace");
        d->prepend = scheme != PREPEND_NEVER;
    } else {
        t->n_dec--;
        st = FAIL(c, GPT_ERR_UNSUPPORTED, "%s: decoder type \"%.40s\" is not supported", c->file, type);
    }
    return st;
}

/* ---- post-processor --------------------------------------------------------------- */

static gpt_status append_ids(ctx *c, int **list, int *n, const int *ids, int count) {
    int *p = realloc(*list, sizeof(int) * (size_t)(*n + count + 1));
    if (!p) return FAIL(c, GPT_ERR_OOM, "out of memory");
    if (count) memcpy(p + *n, ids, sizeof(int) * (size_t)count);
    *list = p;
    *n += count;
    return GPT_OK;
}

static gpt_status add_post_processor(ctx *c, gpt_tokenizer *t, const cJSON *o, int depth) {
    const char *type = type_of(o);
    if (!cJSON_IsObject(o) || !type) return BAD(c, "%s: post_processor has no \"type\"", c->file);
    if (depth > 16) return BAD(c, "%s: post_processor Sequences nest too deep", c->file);
    if (!strcmp(type, "Sequence")) {
        const cJSON *list = field(o, "processors"), *e;
        if (!cJSON_IsArray(list)) return BAD(c, "%s: post_processor.processors is not a list", c->file);
        cJSON_ArrayForEach(e, list) {
            gpt_status st = add_post_processor(c, t, e, depth + 1);
            if (st != GPT_OK) return st;
        }
        return GPT_OK;
    }
    if (!strcmp(type, "ByteLevel")) return GPT_OK;  // it only moves offsets
    if (strcmp(type, "TemplateProcessing"))
        return FAIL(c, GPT_ERR_UNSUPPORTED, "%s: post_processor type \"%.40s\" is not supported", c->file, type);
    const cJSON *single = field(o, "single"), *specials = field(o, "special_tokens"), *item;
    if (!cJSON_IsArray(single)) return BAD(c, "%s: post_processor TemplateProcessing.single is not a list", c->file);
    /* Each processor wraps what the ones before it produced. */
    int *prefix = NULL, n_prefix = 0, *suffix = NULL, n_suffix = 0, seen_a = 0;
    gpt_status st = GPT_OK;
    cJSON_ArrayForEach(item, single) {
        const cJSON *seq = field(item, "Sequence"), *sp = field(item, "SpecialToken");
        if (cJSON_IsObject(seq)) {
            const cJSON *id = field(seq, "id");
            if (!cJSON_IsString(id) || strcmp(id->valuestring, "A") || seen_a) {
                st = BAD(c, "%s: post_processor TemplateProcessing.single must hold the sequence A once", c->file);
                break;
            }
            seen_a = 1;
            continue;
        }
        const cJSON *name = field(sp, "id");
        const cJSON *entry = cJSON_IsString(name) ? field(specials, name->valuestring) : NULL;
        const cJSON *ids = field(entry, "ids"), *e;
        if (!cJSON_IsArray(ids)) {
            st = BAD(c, "%s: post_processor TemplateProcessing: special token \"%.40s\" has no ids in special_tokens",
                     c->file, cJSON_IsString(name) ? name->valuestring : "?");
            break;
        }
        cJSON_ArrayForEach(e, ids) {
            if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble >= t->n_vocab ||
                e->valuedouble != floor(e->valuedouble)) {
                st = BAD(c, "%s: post_processor TemplateProcessing: special token \"%.40s\" has an id outside 0..%d",
                         c->file, name->valuestring, t->n_vocab - 1);
                break;
            }
            int id = (int)e->valuedouble;
            if (!t->spelling[id]) {  // a hole: encode would give an id that nothing decodes
                st = BAD(c, "%s: post_processor TemplateProcessing: special token \"%.40s\" has id %d, which is no token",
                         c->file, name->valuestring, id);
                break;
            }
            st = seen_a ? append_ids(c, &suffix, &n_suffix, &id, 1) : append_ids(c, &prefix, &n_prefix, &id, 1);
            if (st != GPT_OK) break;
        }
        if (st != GPT_OK) break;
    }
    if (st == GPT_OK && !seen_a) st = BAD(c, "%s: post_processor TemplateProcessing.single has no sequence A", c->file);
    if (st == GPT_OK) st = append_ids(c, &prefix, &n_prefix, t->prefix, t->n_prefix);
    if (st == GPT_OK) st = append_ids(c, &t->suffix, &t->n_suffix, suffix, n_suffix);
    if (st == GPT_OK) {
        free(t->prefix);
        t->prefix = prefix;
        t->n_prefix = n_prefix;
        prefix = NULL;
    }
    free(prefix);
    free(suffix);
    return st;
}

/* ---- model.vocab and model.merges without a cJSON tree --------------------
 * They are nearly all of the file (Qwen: 150k entries and 150k merges), and
 * a tree of a million small cJSON nodes was half of the load time. So the
 * two values are found and read here, straight from the text, and blanked
 * ({} and []) before cJSON parses the rest. Anything unexpected (another
 * shape, a malformed value) leaves the text as it is, for cJSON and the
 * checks below to judge. */

typedef struct {
    const char *p, *end;
} scan;

static void skip_ws(scan *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static int hex4(const char *p, unsigned *v) {
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        *v = *v << 4 | (unsigned)d;
    }
    return 0;
}

/* A JSON string at s->p, unescaped into out (reset first, NUL-terminated).
 * 0, or -1 when it is not a well-formed string. */
static int scan_string(scan *s, tk_buf *out) {
    out->n = 0;
    if (s->p >= s->end || *s->p != '"') return -1;
    s->p++;
    for (;;) {
        const char *q = s->p;
        while (q < s->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20) q++;
        if (tk_buf_put(out, s->p, (size_t)(q - s->p))) return -1;
        s->p = q;
        if (q >= s->end || (unsigned char)*q < 0x20) return -1;
        if (*q == '"') {
            s->p++;
            return tk_buf_put(out, "", 1) ? -1 : (out->n--, 0);
        }
        if (s->end - q < 2) return -1;
        char e = q[1], c;
        s->p = q + 2;
        switch (e) {
        case '"': c = '"'; break;
        case '\\': c = '\\'; break;
        case '/': c = '/'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u': {
            unsigned v, lo;
            if (s->end - s->p < 4 || hex4(s->p, &v)) return -1;
            s->p += 4;
            if (v >= 0xD800 && v <= 0xDBFF) {  // a surrogate pair
                if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' || hex4(s->p + 2, &lo) || lo < 0xDC00 ||
                    lo > 0xDFFF)
                    return -1;
                s->p += 6;
                v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
            } else if (v >= 0xDC00 && v <= 0xDFFF) {
                return -1;
            }
            char enc[4];
            if (tk_buf_put(out, enc, (size_t)tk_utf8_encode(enc, (int)v))) return -1;
            continue;
        }
        default: return -1;
        }
        if (tk_buf_put(out, &c, 1)) return -1;
    }
}

/* Skips any JSON value; 0, or -1 when malformed. */
static int skip_value(scan *s, int depth) {
    skip_ws(s);
    if (s->p >= s->end || depth > 64) return -1;
    char c = *s->p;
    if (c == '"') {  // to the next quote that no backslash escapes (memchr: these are megabytes)
        for (const char *q = s->p + 1;;) {
            const char *quote = memchr(q, '"', (size_t)(s->end - q));
            if (!quote) return -1;
            size_t backslashes = 0;
            while (quote - backslashes > s->p + 1 && quote[-1 - (long)backslashes] == '\\') backslashes++;
            q = quote + 1;
            if (backslashes % 2 == 0) {
                s->p = q;
                return 0;
            }
        }
    }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        s->p++;
        skip_ws(s);
        if (s->p < s->end && *s->p == close) { s->p++; return 0; }
        for (;;) {
            if (c == '{') {
                if (skip_value(s, depth + 1)) return -1;  // the key
                skip_ws(s);
                if (s->p >= s->end || *s->p++ != ':') return -1;
            }
            if (skip_value(s, depth + 1)) return -1;
            skip_ws(s);
            if (s->p >= s->end) return -1;
            if (*s->p == ',') { s->p++; continue; }
            if (*s->p++ == close) return 0;
            return -1;
        }
    }
    const char *q = s->p;  // a number, true, false, null
    while (s->p < s->end && (isalnum((unsigned char)*s->p) || *s->p == '-' || *s->p == '+' || *s->p == '.')) s->p++;
    return s->p > q ? 0 : -1;
}

/* Finds the value of key in the object at s->p: [*start, *end). 0 or -1. */
static int find_key(scan s, const char *key, const char **start, const char **end, tk_buf *tmp) {
    skip_ws(&s);
    if (s.p >= s.end || *s.p++ != '{') return -1;
    skip_ws(&s);
    if (s.p < s.end && *s.p == '}') return -1;
    for (;;) {
        skip_ws(&s);
        if (scan_string(&s, tmp)) return -1;
        int hit = !strcmp(tmp->s, key) && strlen(key) == tmp->n;
        skip_ws(&s);
        if (s.p >= s.end || *s.p++ != ':') return -1;
        skip_ws(&s);
        const char *v = s.p;
        if (skip_value(&s, 1)) return -1;
        if (hit) {  // the first, as cJSON_GetObjectItem takes
            *start = v;
            *end = s.p;
            return 0;
        }
        skip_ws(&s);
        if (s.p >= s.end || *s.p++ != ',') return -1;
    }
}

/* An entry of model.vocab: from cJSON, or scanned from the text. */
typedef struct {
    const cJSON *node;
    scan s;
    int fast, started;
} vocab_iter;

/* The next "token": id pair (the key in key, NUL-terminated). 1, 0 at the
 * end, -1 malformed (only the scanned text can be). */
static int vocab_next(vocab_iter *it, tk_buf *key, double *id) {
    if (!it->fast) {
        if (!it->node) return 0;
        key->n = 0;
        if (tk_buf_put(key, it->node->string, strlen(it->node->string) + 1)) return -1;
        key->n--;
        *id = cJSON_IsNumber(it->node) ? it->node->valuedouble : -1;
        it->node = it->node->next;
        return 1;
    }
    skip_ws(&it->s);
    if (!it->started) {
        it->started = 1;
        if (it->s.p >= it->s.end || *it->s.p++ != '{') return -1;
        skip_ws(&it->s);
        if (it->s.p < it->s.end && *it->s.p == '}') return 0;
    } else {
        if (it->s.p < it->s.end && *it->s.p == '}') return 0;
        if (it->s.p >= it->s.end || *it->s.p++ != ',') return -1;
        skip_ws(&it->s);
    }
    if (scan_string(&it->s, key)) return -1;
    skip_ws(&it->s);
    if (it->s.p >= it->s.end || *it->s.p++ != ':') return -1;
    skip_ws(&it->s);
    const char *q = it->s.p;
    while (it->s.p < it->s.end && (isdigit((unsigned char)*it->s.p) || strchr("-+.eE", *it->s.p))) it->s.p++;
    char num[32];
    size_t n = (size_t)(it->s.p - q);
    if (n == 0 || n >= sizeof num) {
        *id = -1;  // not a number: reported as a bad id
        if (skip_value(&it->s, 1)) return -1;
        return 1;
    }
    memcpy(num, q, n);
    num[n] = '\0';
    char *endp;
    *id = strtod(num, &endp);
    if (*endp) *id = -1;
    return 1;
}

/* A merge: "a b" (shape 1) or ["a", "b"] (shape 2) into a and b; shape 0: neither. */
typedef struct {
    const cJSON *node;
    scan s;
    int fast, started;
} merge_iter;

static int merge_next(merge_iter *it, tk_buf *a, tk_buf *b, int *shape) {
    *shape = 0;
    a->n = b->n = 0;
    if (!it->fast) {
        const cJSON *e = it->node;
        if (!e) return 0;
        it->node = e->next;
        if (cJSON_IsString(e)) {
            *shape = 1;
            return tk_buf_put(a, e->valuestring, strlen(e->valuestring) + 1) ? -1 : (a->n--, 1);
        }
        if (cJSON_IsArray(e) && cJSON_GetArraySize(e) == 2 && cJSON_IsString(e->child) && cJSON_IsString(e->child->next)) {
            *shape = 2;
            if (tk_buf_put(a, e->child->valuestring, strlen(e->child->valuestring) + 1) ||
                tk_buf_put(b, e->child->next->valuestring, strlen(e->child->next->valuestring) + 1))
                return -1;
            a->n--, b->n--;
        }
        return 1;
    }
    skip_ws(&it->s);
    if (!it->started) {
        it->started = 1;
        if (it->s.p >= it->s.end || *it->s.p++ != '[') return -1;
        skip_ws(&it->s);
        if (it->s.p < it->s.end && *it->s.p == ']') return 0;
    } else {
        if (it->s.p < it->s.end && *it->s.p == ']') return 0;
        if (it->s.p >= it->s.end || *it->s.p++ != ',') return -1;
        skip_ws(&it->s);
    }
    if (it->s.p < it->s.end && *it->s.p == '"') {
        *shape = 1;
        return scan_string(&it->s, a) ? -1 : 1;
    }
    scan save = it->s;
    if (it->s.p < it->s.end && *it->s.p == '[') {
        it->s.p++;
        skip_ws(&it->s);
        if (it->s.p < it->s.end && *it->s.p == '"' && !scan_string(&it->s, a)) {
            skip_ws(&it->s);
            if (it->s.p < it->s.end && *it->s.p == ',') {
                it->s.p++;
                skip_ws(&it->s);
                if (it->s.p < it->s.end && *it->s.p == '"' && !scan_string(&it->s, b)) {
                    skip_ws(&it->s);
                    if (it->s.p < it->s.end && *it->s.p == ']') {
                        it->s.p++;
                        *shape = 2;
                        return 1;
                    }
                }
            }
        }
    }
    it->s = save;  // some other value: skip it, and say so
    return skip_value(&it->s, 1) ? -1 : 1;
}

/* ---- the model and added tokens ---------------------------------------------------- */

static gpt_status load_model(ctx *c, gpt_tokenizer *t, const cJSON *model, const cJSON *added, const scan *fast_vocab,
                             const scan *fast_merges) {
    const char *type = type_of(model);
    if (!cJSON_IsObject(model)) return BAD(c, "%s: model is missing or not an object", c->file);
    if (type && strcmp(type, "BPE"))
        return FAIL(c, GPT_ERR_UNSUPPORTED, "%s: model type \"%.40s\" is not supported", c->file, type);
    const cJSON *vocab = field(model, "vocab"), *merges = field(model, "merges"), *e;
    if (!cJSON_IsObject(vocab)) return BAD(c, "%s: model.vocab is missing or not an object", c->file);
    if (!cJSON_IsArray(merges)) return BAD(c, "%s: model.merges is missing or not a list", c->file);
    vocab_iter vi0 = {.node = vocab->child, .fast = fast_vocab != NULL};
    merge_iter mi = {.node = merges->child, .fast = fast_merges != NULL};
    if (fast_vocab) vi0.s = *fast_vocab;
    if (fast_merges) mi.s = *fast_merges;
    tk_buf key = {0}, right = {0};
    if (!is_null(field(model, "dropout")))
        return FAIL(c, GPT_ERR_UNSUPPORTED, "%s: model.dropout is not supported (it must be null)", c->file);
    static const char *no_affix[] = {"continuing_subword_prefix", "end_of_word_suffix"};
    for (int i = 0; i < 2; i++) {
        const cJSON *a = field(model, no_affix[i]);
        if (!is_null(a) && !(cJSON_IsString(a) && !a->valuestring[0]))
            return FAIL(c, GPT_ERR_UNSUPPORTED, "%s: model.%s is not supported", c->file, no_affix[i]);
    }
    gpt_status st = get_bool(c, model, "byte_fallback", 0, &t->byte_fallback, "model");
    if (st == GPT_OK) st = get_bool(c, model, "fuse_unk", 0, &t->fuse_unk, "model");
    if (st == GPT_OK) st = get_bool(c, model, "ignore_merges", 0, &t->ignore_merges, "model");
    if (st != GPT_OK) return st;

    /* Ids: the vocabulary's and the added tokens', holes allowed. */
    int n_model = 0, max_id = -1, rc;
    double vid;
    vocab_iter vi = vi0;
    while ((rc = vocab_next(&vi, &key, &vid)) == 1) {
        if (!(vid >= 0 && vid < 10000000 && vid == floor(vid))) {
            st = BAD(c, "%s: model.vocab: token \"%.40s\" has no id in 0..9999999", c->file, key.s);
            goto out;
        }
        if (vid > max_id) max_id = (int)vid;
        if (++n_model > 10000000) break;
    }
    if (rc < 0) { st = BAD(c, "%s: model.vocab is not a well-formed JSON object", c->file); goto out; }
    if (n_model < 1 || n_model > 10000000) {
        st = BAD(c, "%s: model.vocab has %d tokens (want 1 to 10M)", c->file, n_model);
        goto out;
    }
    if (!is_null(added) && !cJSON_IsArray(added)) { st = BAD(c, "%s: added_tokens is not a list", c->file); goto out; }
    int index = 0;
    cJSON_ArrayForEach(e, added) {
        const cJSON *id = field(e, "id"), *content = field(e, "content");
        if (!cJSON_IsNumber(id) || id->valuedouble < 0 || id->valuedouble >= 10000000 ||
            id->valuedouble != floor(id->valuedouble) || !cJSON_IsString(content)) {
            st = BAD(c, "%s: added_tokens[%d] needs an id in 0..9999999 and a content string", c->file, index);
            goto out;
        }
        if (id->valuedouble > max_id) max_id = (int)id->valuedouble;
        index++;
    }
    if ((st = tk_vocab_init(t, max_id + 1, c->err, c->err_len)) != GPT_OK) goto out;
    t->n_model = n_model;
    vi = vi0;
    while (vocab_next(&vi, &key, &vid) == 1)
        if ((st = tk_vocab_set(t, (int)vid, key.s, key.n, 1, c->file, c->err, c->err_len)) != GPT_OK) goto out;
    /* Added tokens: the same id and text as in the vocabulary, or new ids. */
    if (!(t->added = calloc((size_t)index + 1, sizeof(tk_added)))) { st = FAIL(c, GPT_ERR_OOM, "out of memory"); goto out; }
    index = 0;
    cJSON_ArrayForEach(e, added) {
        tk_added *a = &t->added[t->n_added];
        const char *content = field(e, "content")->valuestring;
        a->id = (int)field(e, "id")->valuedouble;
        a->len = strlen(content);
        char where[40];
        snprintf(where, sizeof where, "added_tokens[%d]", index++);
        if ((st = get_bool(c, e, "special", 0, &a->special, where)) != GPT_OK ||
            (st = get_bool(c, e, "lstrip", 0, &a->lstrip, where)) != GPT_OK ||
            (st = get_bool(c, e, "rstrip", 0, &a->rstrip, where)) != GPT_OK ||
            (st = get_bool(c, e, "single_word", 0, &a->single_word, where)) != GPT_OK ||
            (st = get_bool(c, e, "normalized", !a->special, &a->normalized, where)) != GPT_OK)
            goto out;
        if (t->spelling[a->id]) {
            if (strcmp(t->spelling[a->id], content)) {
                st = BAD(c, "%s: %s: id %d is \"%.40s\" in model.vocab but \"%.40s\" here", c->file, where, a->id,
                         t->spelling[a->id], content);
                goto out;
            }
        } else {
            int other = tk_find_spelling(t, content, a->len);
            if (other >= 0) {
                st = BAD(c, "%s: %s: \"%.40s\" is given two ids (%d and %d)", c->file, where, content, other, a->id);
                goto out;
            }
            if ((st = tk_vocab_set(t, a->id, content, a->len, 0, c->file, c->err, c->err_len)) != GPT_OK) goto out;
        }
        if (!(a->content = dup_bytes(content, a->len))) { st = FAIL(c, GPT_ERR_OOM, "out of memory"); goto out; }
        t->n_added++;
    }

    /* Merges, "a b" or ["a", "b"]: counted first, for the table's size. */
    int n_merges = 0, shape;
    merge_iter m0 = mi;
    while ((rc = merge_next(&mi, &key, &right, &shape)) == 1) n_merges++;
    if (rc < 0) { st = BAD(c, "%s: model.merges is not a well-formed JSON list", c->file); goto out; }
    mi = m0;
    if (tk_alloc_pairs(t, (size_t)n_merges) != GPT_OK) { st = FAIL(c, GPT_ERR_OOM, "out of memory"); goto out; }
    for (int rank = 0; merge_next(&mi, &key, &right, &shape) == 1; rank++) {
        if (shape == 1) {
            const char *sp = key.s ? memchr(key.s, ' ', key.n) : NULL;
            if (!sp || memchr(sp + 1, ' ', key.n - (size_t)(sp + 1 - key.s))) {
                st = BAD(c, "%s: model.merges[%d]: expected two tokens separated by one space", c->file, rank);
                goto out;
            }
            st = tk_add_merge(t, key.s, (size_t)(sp - key.s), sp + 1, key.n - (size_t)(sp + 1 - key.s), rank, c->file,
                              "model.merges[%d]", rank, c->err, c->err_len);
        } else if (shape == 2) {
            st = tk_add_merge(t, key.s ? key.s : "", key.n, right.s ? right.s : "", right.n, rank, c->file,
                              "model.merges[%d]", rank, c->err, c->err_len);
        } else {
            st = BAD(c, "%s: model.merges[%d] is neither \"a b\" nor [\"a\", \"b\"]", c->file, rank);
        }
        if (st != GPT_OK) goto out;
    }

    /* unk, and the byte tokens each alphabet needs. */
    const cJSON *unk = field(model, "unk_token");
    if (!is_null(unk)) {
        if (!cJSON_IsString(unk) || (t->unk = tk_find_spelling(t, unk->valuestring, strlen(unk->valuestring))) < 0 ||
            t->model_len[t->unk] < 0)
        { st = BAD(c, "%s: model.unk_token is not a token of model.vocab", c->file); goto out; }
    }
    for (int b = 0; b < 256; b++) {
        if (t->byte_level) {
            char ch = (char)b;
            if ((t->byte_token[b] = tk_find_text(t, &ch, 1)) < 0)
            { st = BAD(c, "%s: model.vocab has no token for byte 0x%02X (ByteLevel needs all 256)", c->file, b); goto out; }
        } else if (t->byte_fallback) {
            char name[8];
            snprintf(name, sizeof name, "<0x%02X>", b);
            if ((t->byte_token[b] = tk_find_text(t, name, strlen(name))) < 0)
            { st = BAD(c, "%s: model.byte_fallback: model.vocab has no token %s (byte fallback needs all 256)", c->file, name); goto out; }
        }
    }
out:
    free(key.s);
    free(right.s);
    return st;
}

gpt_status tk_load_tokenizer_json(gpt_tokenizer *t, const char *path, char *err, size_t err_len) {
    ctx c = {path, err, err_len};
    size_t len = 0;
    gpt_status st;
    char *text = tk_read_file(path, &len, &st, err, err_len);
    if (!text) return st;
    /* model.vocab and model.merges are read from the text; cJSON parses the rest. */
    tk_buf tmp = {0};
    const char *model_start, *model_end, *v0, *v1, *m0, *m1;
    scan whole = {text, text + len}, fast_vocab = {0}, fast_merges = {0};
    int fast = find_key(whole, "model", &model_start, &model_end, &tmp) == 0 &&
               find_key((scan){model_start, model_end}, "vocab", &v0, &v1, &tmp) == 0 && *v0 == '{' &&
               find_key((scan){model_start, model_end}, "merges", &m0, &m1, &tmp) == 0 && *m0 == '[';
    free(tmp.s);
    /* cJSON gets the rest: the text with those two values replaced by {} and []
     * (in file order), a small copy; the scans read the original text. */
    char *rest = NULL;
    size_t rest_len = 0;
    if (fast && (rest = malloc(len + 8))) {
        const char *first0 = v0 < m0 ? v0 : m0, *first1 = v0 < m0 ? v1 : m1;
        const char *second0 = v0 < m0 ? m0 : v0, *second1 = v0 < m0 ? m1 : v1;
        const char *first_blank = v0 < m0 ? "{}" : "[]", *second_blank = v0 < m0 ? "[]" : "{}";
        size_t a = (size_t)(first0 - text), b = (size_t)(second0 - first1), cend = (size_t)(text + len - second1);
        memcpy(rest, text, a);
        memcpy(rest + a, first_blank, 2);
        memcpy(rest + a + 2, first1, b);
        memcpy(rest + a + 2 + b, second_blank, 2);
        memcpy(rest + a + 4 + b, second1, cend);
        rest_len = a + 4 + b + cend;
        rest[rest_len] = '\0';
        fast_vocab = (scan){v0, v1};
        fast_merges = (scan){m0, m1};
    }
    cJSON *root = rest ? gpt_json_parse(rest, rest_len, 0) : gpt_json_parse(text, len, 0);
    free(rest);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        free(text);
        return BAD(&c, "%s: not a JSON object", path);
    }
    st = GPT_OK;
    static const char *unsupported[] = {"truncation", "padding"};
    for (int i = 0; i < 2 && st == GPT_OK; i++)
        if (!is_null(field(root, unsupported[i])))
            st = FAIL(&c, GPT_ERR_UNSUPPORTED, "%s: %s is not supported (it must be null)", path, unsupported[i]);
    /* The pre-tokenizer first: a ByteLevel one decides the model's alphabet. */
    if (st == GPT_OK && !is_null(field(root, "pre_tokenizer"))) st = add_pretokenizer(&c, t, field(root, "pre_tokenizer"), 0);
    if (st == GPT_OK && !is_null(field(root, "normalizer"))) st = add_normalizer(&c, t, field(root, "normalizer"), 0);
    if (st == GPT_OK)
        st = load_model(&c, t, field(root, "model"), field(root, "added_tokens"), fast_vocab.p ? &fast_vocab : NULL,
                        fast_merges.p ? &fast_merges : NULL);
    free(text);
    text = NULL;
    if (st == GPT_OK && !is_null(field(root, "post_processor")))
        st = add_post_processor(&c, t, field(root, "post_processor"), 0);
    if (st == GPT_OK) {
        if (is_null(field(root, "decoder"))) t->decoder_joins_with_space = 1;
        else st = add_decoder(&c, t, field(root, "decoder"), 0);
    }
    cJSON_Delete(root);
    if (st != GPT_OK) return st;

    t->kind = t->byte_level ? "byte-level BPE (tokenizer.json)"
              : t->byte_fallback ? "BPE with byte fallback (tokenizer.json)" : "BPE (tokenizer.json)";
    /* GPT-2's own pipeline (no normalizer, only ByteLevel with its regex) takes the fast scanner. */
    t->gpt2_scanner = t->n_norm == 0 && t->n_pre == 1 && t->pre[0].kind == PRE_BYTELEVEL && t->pre[0].use_regex &&
                      !t->pre[0].add_prefix_space;
    /* Llama 3 / Qwen2: the hub pattern's Split and a ByteLevel that only names the alphabet. */
    if (t->byte_level && t->n_pre == 2 && t->pre[0].kind == PRE_SPLIT && t->pre[0].hub_digits &&
        !t->pre[1].add_prefix_space && !t->pre[1].use_regex)
        t->hub_scanner = t->pre[0].hub_digits;
    /* decode(encode(s)) == s: bytes in, bytes out, nothing changed, added or dropped. */
    int keeps_text = t->byte_level && t->n_norm == 0;
    for (int i = 0; i < t->n_pre && keeps_text; i++) {
        const tk_pretokenizer *p = &t->pre[i];
        if ((p->kind == PRE_BYTELEVEL && p->add_prefix_space) || p->kind == PRE_METASPACE ||
            p->kind == PRE_WHITESPACE || p->kind == PRE_WHITESPACE_SPLIT ||
            ((p->kind == PRE_SPLIT || p->kind == PRE_PUNCTUATION) && p->behavior == SPLIT_REMOVED))
            keeps_text = 0;
    }
    t->lossless = keeps_text && t->n_dec == 1 && t->dec[0].kind == DEC_BYTELEVEL;
    return GPT_OK;
}

/* ---- tokenizer_config.json, generation_config.json ----------------------------------- */

/* "<s>" or {"content": "<s>", ...} or null → its id (-1 for null). */
static gpt_status token_field(ctx *c, gpt_tokenizer *t, const cJSON *root, const char *name, int *id) {
    const cJSON *j = field(root, name);
    *id = -1;
    if (is_null(j)) return GPT_OK;
    if (cJSON_IsObject(j)) j = field(j, "content");
    if (!cJSON_IsString(j)) return BAD(c, "%s: %s is neither a string nor {\"content\": ...}", c->file, name);
    if ((*id = tk_find_spelling(t, j->valuestring, strlen(j->valuestring))) < 0)
        return BAD(c, "%s: %s \"%.40s\" is not a token of the tokenizer", c->file, name, j->valuestring);
    return GPT_OK;
}

static cJSON *read_json(ctx *c, const char *path, gpt_status *st) {
    size_t len;
    FILE *probe = fopen(path, "rb");
    *st = GPT_OK;
    if (!probe) return NULL;  // optional
    fclose(probe);
    char *text = tk_read_file(path, &len, st, c->err, c->err_len);
    if (!text) return NULL;
    cJSON *root = gpt_json_parse(text, len, 1);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        *st = BAD(c, "%s: not a JSON object", path);
        return NULL;
    }
    return root;
}

gpt_status tk_load_configs(gpt_tokenizer *t, const char *dir, char *err, size_t err_len) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    ctx c = {path, err, err_len};
    gpt_status st;
    cJSON *root = read_json(&c, path, &st);
    if (root) {
        st = token_field(&c, t, root, "bos_token", &t->bos);
        if (st == GPT_OK) st = token_field(&c, t, root, "eos_token", &t->eos);
        const cJSON *m = field(root, "model_max_length");
        if (cJSON_IsNumber(m) && m->valuedouble >= 1 && m->valuedouble < 1e18) t->model_max_length = (long long)m->valuedouble;
        /* Every id it declares must be the same token in the tokenizer. */
        const cJSON *decl = field(root, "added_tokens_decoder"), *e;
        if (!cJSON_IsObject(decl)) decl = NULL;
        cJSON_ArrayForEach(e, decl) {
            if (st != GPT_OK) break;
            char *end;
            long id = strtol(e->string, &end, 10);
            const cJSON *content = field(e, "content");
            if (*end || id < 0 || !cJSON_IsString(content))
                st = BAD(&c, "%s: added_tokens_decoder: \"%.20s\" is not an id with a content string", path, e->string);
            else if (id >= t->n_vocab || !t->spelling[id] || strcmp(t->spelling[id], content->valuestring))
                st = BAD(&c, "%s: added_tokens_decoder: id %ld \"%.40s\" is not that token in the tokenizer", path, id,
                         content->valuestring);
        }
        /* transformers' Llama and Gemma tokenizers rebuild the template from
         * add_bos_token (default true) and add_eos_token (default false). */
        const cJSON *cls = field(root, "tokenizer_class");
        static const char *rebuild[] = {"LlamaTokenizer", "LlamaTokenizerFast", "CodeLlamaTokenizer",
                                        "CodeLlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast"};
        int rebuilds = 0;
        for (int i = 0; i < 6 && cJSON_IsString(cls); i++) rebuilds |= !strcmp(cls->valuestring, rebuild[i]);
        if (st == GPT_OK && rebuilds) {
            int add_bos, add_eos;
            st = get_bool(&c, root, "add_bos_token", 1, &add_bos, "tokenizer_config");
            if (st == GPT_OK) st = get_bool(&c, root, "add_eos_token", 0, &add_eos, "tokenizer_config");
            if (st == GPT_OK && ((add_bos && t->bos < 0) || (add_eos && t->eos < 0)))
                st = BAD(&c, "%s: add_bos_token/add_eos_token without a bos_token/eos_token", path);
            if (st == GPT_OK) {
                t->n_prefix = t->n_suffix = 0;
                if (add_bos) st = append_ids(&c, &t->prefix, &t->n_prefix, &t->bos, 1);
                if (st == GPT_OK && add_eos) st = append_ids(&c, &t->suffix, &t->n_suffix, &t->eos, 1);
            }
        }
        cJSON_Delete(root);
    }
    if (st != GPT_OK) return st;

    snprintf(path, sizeof path, "%s/generation_config.json", dir);
    root = read_json(&c, path, &st);
    if (root) {
        const cJSON *e = field(root, "eos_token_id"), *x;
        int n = cJSON_IsArray(e) ? cJSON_GetArraySize(e) : cJSON_IsNumber(e) ? 1 : 0;
        if (!is_null(e) && n == 0 && !cJSON_IsArray(e))
            st = BAD(&c, "%s: eos_token_id is neither an id nor a list of ids", path);
        if (st == GPT_OK && n > 0 && !(t->eos_ids = malloc(sizeof(int) * (size_t)n))) st = FAIL(&c, GPT_ERR_OOM, "out of memory");
        if (cJSON_IsNumber(e)) {
            if (e->valuedouble < 0 || e->valuedouble >= t->n_vocab || e->valuedouble != floor(e->valuedouble))
                st = BAD(&c, "%s: eos_token_id %.0f is not a token id in 0..%d", path, e->valuedouble, t->n_vocab - 1);
            else t->eos_ids[t->n_eos++] = (int)e->valuedouble;
        } else if (st == GPT_OK) {
            const cJSON *list = cJSON_IsArray(e) ? e : NULL;
            cJSON_ArrayForEach(x, list) {
                if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble >= t->n_vocab ||
                    x->valuedouble != floor(x->valuedouble)) {
                    st = BAD(&c, "%s: eos_token_id[%d] is not a token id in 0..%d", path, t->n_eos, t->n_vocab - 1);
                    break;
                }
                t->eos_ids[t->n_eos++] = (int)x->valuedouble;
            }
        }
        cJSON_Delete(root);
    }
    return st;
}
