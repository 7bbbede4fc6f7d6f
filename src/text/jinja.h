/* jinja.h — the chat-template interpreter's shared structures (not public).
 *
 * A template is lexed into tokens, parsed once into a tree (jinja_parse.c) and
 * rendered any number of times (jinja_eval.c). Everything a parse or a render
 * makes lives in one arena, freed at once; errors jump back to the entry
 * point (setjmp/longjmp), so no code path has to unwind by hand and nothing
 * leaks. */
#ifndef GPT_JINJA_H
#define GPT_JINJA_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "gpt.h"

/* ---------------- failure and arena ---------------- */
typedef struct {
    jmp_buf jmp;
    gpt_status status;
    int is_raise;      /* the message is raise_exception's, verbatim */
    char msg[512];
} jfail;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
_Noreturn void jfail_raise(jfail *f, gpt_status status, const char *fmt, ...);

typedef struct jblock jblock;
typedef struct {
    jblock *head;
    size_t total;      /* bytes of all blocks */
    size_t limit;      /* 0: none */
    jfail *fail;
} jarena;

void *ja_alloc(jarena *a, size_t n);            /* 16-aligned, never NULL (jumps) */
void *ja_grow(jarena *a, void *p, size_t old_n, size_t new_n);
char *ja_strdup(jarena *a, const char *p, size_t n); /* NUL-terminated copy */
void ja_free(jarena *a);

/* ---------------- values ---------------- */
typedef struct { const char *p; size_t n; } jstr;

typedef enum {
    JV_UNDEF = 0, JV_NONE, JV_BOOL, JV_INT, JV_FLOAT, JV_STR, JV_LIST, JV_DICT,
    JV_NS, JV_MACRO, JV_FUNC, JV_BOUND, JV_LOOP
} jtype;

typedef struct jlist jlist;
typedef struct jdict jdict;
typedef struct jbound jbound;
typedef struct jloop jloop;
typedef struct jstmt jstmt;

typedef struct {
    uint8_t type;
    uint8_t markup;           /* JV_STR from |e or |safe: escaping it again changes nothing */
    union {
        int b;
        int64_t i;
        double f;
        jstr s;               /* JV_STR; JV_UNDEF: s.p is the message an access gives, or NULL */
        jlist *l;
        jdict *d;             /* JV_DICT and JV_NS (a namespace: the one mutable value) */
        struct jmacro *macro;
        int fn;               /* JV_FUNC: a global function */
        jbound *bound;
        jloop *loop;
    } u;
} jvalue;

/* tuple: prints (a, b); gen: a Jinja2 generator (select, map, items...):
 * always true, no len(), not subscriptable */
struct jlist { size_t n, cap; jvalue *v; int tuple; int gen; };
struct jdict { size_t n, cap; jvalue *k, *v; };
struct jbound { jvalue self; int method; };
struct jloop { int64_t index0, length; const jlist *items; };
struct jmacro { const jstmt *def; void *frame; };

/* ---------------- syntax tree ---------------- */
typedef enum {
    JE_CONST, JE_NAME, JE_ATTR, JE_ITEM, JE_SLICE, JE_CALL, JE_FILTER, JE_TEST,
    JE_NEG, JE_POS, JE_NOT, JE_AND, JE_OR, JE_BIN, JE_CMP, JE_COND, JE_LIST, JE_TUPLE, JE_DICT
} jexpr_kind;

typedef enum {
    JOP_ADD, JOP_SUB, JOP_MUL, JOP_DIV, JOP_FLOORDIV, JOP_MOD, JOP_POW, JOP_CONCAT,
    JOP_EQ, JOP_NE, JOP_LT, JOP_LE, JOP_GT, JOP_GE, JOP_IN, JOP_NOTIN
} jop;

typedef struct jexpr jexpr;
struct jexpr {
    uint8_t kind;
    uint8_t op;          /* jop; JE_TEST: 1 when negated */
    int line, col;
    int id;              /* JE_NAME: symbol; JE_FILTER/JE_TEST: filter/test id */
    jvalue cval;         /* JE_CONST */
    jstr name;           /* JE_ATTR: attribute; JE_FILTER/JE_TEST: its name */
    jexpr *a, *b, *c;    /* operands; JE_SLICE: a[b:c:args[0]] */
    jexpr **args;        /* positional arguments, list items, dict keys, JE_CMP operands */
    int nargs;
    uint8_t *ops;        /* JE_CMP: nargs operators after a */
    jstr *kwnames;       /* keyword arguments */
    jexpr **kwargs;      /* their values; JE_DICT: the values */
    int nkw;
    int depth;           /* nesting depth of this subtree */
};

typedef enum {
    JS_TEXT, JS_OUTPUT, JS_IF, JS_FOR, JS_SET, JS_SET_ATTR, JS_SET_BLOCK, JS_MACRO,
    JS_BREAK, JS_CONTINUE
} jstmt_kind;

struct jstmt {
    uint8_t kind;
    int line;
    jstr text;           /* JS_TEXT; JS_SET_ATTR: the attribute; JS_MACRO: the name */
    jexpr *e;            /* output, if condition, for iterable, set value, set-block filter */
    jexpr *cond;         /* for ... if cond */
    jstmt **body, **alt; /* then/else; loop body/else; macro body */
    int nbody, nalt;
    int *targets;        /* symbols assigned: for/set targets, macro parameters */
    int ntargets;
    int unpack;          /* the target was written as a tuple (a, b) */
    int sym;             /* JS_MACRO: the symbol of its name */
    jexpr **defaults;    /* JS_MACRO: a default per parameter or NULL */
};

struct gpt_template {
    jarena arena;
    jstmt **body;
    int nbody;
    jstr *syms;          /* symbol id -> name */
    int nsym;
    int loop_sym;        /* the symbol of 'loop', or -1 */
};

/* Parses source into tpl (its arena set up by the caller). */
void jinja_parse(struct gpt_template *tpl, const char *src, size_t len, jfail *fail);
int jinja_symbol(struct gpt_template *tpl, const char *p, size_t n);

/* Filters and tests, resolved at parse time by name; -1 when unknown. */
int jinja_filter_id(const char *p, size_t n);
int jinja_test_id(const char *p, size_t n);

/* UTF-8 helpers */
int jinja_utf8_valid(const char *p, size_t n, size_t *bad_at);

#define JINJA_MAX_EXPR_DEPTH 100   /* nesting of an expression or of blocks */

#endif
