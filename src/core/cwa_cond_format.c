/*
 * cwa_cond_format: the canonical text of a parsed condition
 * (cwa_cond_format; contract in cwa_cond.h, tree layout in
 * cwa_cond_internal.h). Serves the fuzzer and the unit tests (parse, format,
 * parse again gives an equal tree); the Lua module does not link it
 * (Makefile COND_EXTRA).
 */
#include <string.h>

#include "cwa_cond_internal.h"

typedef struct writer {
    char *out;
    size_t cap, len;
} writer;

static void put(writer *w, const char *s, size_t n)
{
    if (w->cap && w->len < w->cap - 1) {
        size_t room = w->cap - 1 - w->len;
        memcpy(w->out + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

static void puts_w(writer *w, const char *s)
{
    put(w, s, strlen(s));
}

/* Picks the quote the text lacks; doubles the quote only when it has both. */
static void put_string(writer *w, const char *s, size_t n)
{
    int has_s = memchr(s, '\'', n) != NULL, has_d = memchr(s, '"', n) != NULL;
    char q = (has_s && !has_d) ? '"' : '\'';
    put(w, &q, 1);
    size_t from = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == q) {
            put(w, s + from, i + 1 - from);
            put(w, &q, 1);
            from = i + 1;
        }
    put(w, s + from, n - from);
    put(w, &q, 1);
}

static void put_value(writer *w, const cond_value *v)
{
    switch (v->kind) {
    case VAL_STRING: put_string(w, v->text, v->len); break;
    case VAL_NUMBER:
    case VAL_DATE: put(w, v->text, v->len); break;
    case VAL_BOOL: puts_w(w, v->truth ? "true" : "false"); break;
    case VAL_NULL: puts_w(w, "null"); break;
    }
}

static const char *const op_names[] = {
    [OP_EQ] = "=",
    [OP_NE] = "!=",
    [OP_GT] = ">",
    [OP_LT] = "<",
    [OP_GE] = ">=",
    [OP_LE] = "<=",
    [OP_CONTAINS] = "contains",
    [OP_LIKE] = "like",
    [OP_IN] = "in",
    [OP_STARTSWITH] = "startswith",
    [OP_ENDSWITH] = "endswith",
};

static void format_node(writer *w, const cwa_cond *n, int parens)
{
    if (parens)
        puts_w(w, "(");
    switch (n->kind) {
    case NODE_CMP:
        puts_w(w, n->field);
        puts_w(w, n->negated ? " not " : " ");
        puts_w(w, op_names[n->op]);
        puts_w(w, " ");
        if (n->op == OP_IN) {
            puts_w(w, "(");
            for (size_t i = 0; i < n->nvals; i++) {
                if (i)
                    puts_w(w, ", ");
                put_value(w, &n->vals[i]);
            }
            puts_w(w, ")");
        } else
            put_value(w, &n->vals[0]);
        break;
    case NODE_NOT:
        puts_w(w, "not ");
        format_node(w, n->kids[0], n->kids[0]->kind == NODE_AND || n->kids[0]->kind == NODE_OR);
        break;
    case NODE_AND:
    case NODE_OR:
        for (size_t i = 0; i < n->nkids; i++) {
            if (i)
                puts_w(w, n->kind == NODE_AND ? " and " : " or ");
            /* flattening leaves only `or` under `and` needing parentheses */
            format_node(w, n->kids[i], n->kind == NODE_AND && n->kids[i]->kind == NODE_OR);
        }
        break;
    }
    if (parens)
        puts_w(w, ")");
}

size_t cwa_cond_format(const cwa_cond *cond, char *out, size_t cap)
{
    writer w = {out, out ? cap : 0, 0};
    if (cond)
        format_node(&w, cond, 0);
    if (w.cap)
        w.out[w.len < w.cap ? w.len : w.cap - 1] = '\0';
    return w.len;
}
