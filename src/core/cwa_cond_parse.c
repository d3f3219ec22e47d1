/*
 * cwa_cond_parse: the recursive-descent parser of the Automate condition
 * language, text to tree (cwa_cond_parse, cwa_cond_free; contract in
 * cwa_cond.h, tree layout in cwa_cond_internal.h).
 *
 * Linked into the Lua module with cwa_cond_lex.c alone: nothing here may
 * call into the evaluator or the formatter.
 *
 * Design notes (why, not what):
 * - `and`/`or` nodes are n-ary and flattened here (add_kid), so a condition
 *   of a million terms is a wide tree, not a deep one; only parentheses and
 *   a general `not` add depth, and they are bounded by MAX_DEPTH.
 * - Literals are decoded once here (number value, normalised date), so
 *   evaluation never allocates.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwa_cond_internal.h"

/* Operator spellings of other query languages, answered with a hint. */
static const struct {
    const char *word;
    const char *use;
} foreign_ops[] = {
    {"ne", "!="},  {"neq", "!="}, {"gt", ">"},   {"lt", "<"}, {"ge", ">="},
    {"gte", ">="}, {"le", "<="},  {"lte", "<="}, {"is", "="}, {"has", "contains"},
};

static void nomem(parser *p)
{
    if (p->failed)
        return;
    p->failed = 1;
    cond_set_err(p->err, CWA_COND_ERR_NOMEM, 0, "out of memory");
}

static void tok_text(const parser *p, const token *t, char *out, size_t cap)
{
    cond_snip(p->s + t->start, t->end - t->start, out, cap);
}

static void free_value(cond_value *v)
{
    free(v->text);
}

void cwa_cond_free(cwa_cond *cond)
{
    if (!cond)
        return;
    for (size_t i = 0; i < cond->nkids; i++)
        cwa_cond_free(cond->kids[i]);
    free(cond->kids);
    for (size_t i = 0; i < cond->nvals; i++)
        free_value(&cond->vals[i]);
    free(cond->vals);
    free(cond->field);
    free(cond);
}

static cwa_cond *new_node(parser *p, node_kind kind)
{
    cwa_cond *n = calloc(1, sizeof *n);
    if (!n) {
        nomem(p);
        return NULL;
    }
    n->kind = kind;
    n->dialect = p->dialect;
    return n;
}

/* Returns arr with room for need elements (doubling, so appends stay
 * linear), or NULL with arr untouched when memory ran out. */
static void *grow(void *arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return arr;
    size_t nc = *cap ? *cap * 2 : 4;
    while (nc < need)
        nc *= 2;
    if (nc > SIZE_MAX / elem)
        return NULL;
    void *na = realloc(arr, nc * elem);
    if (na)
        *cap = nc;
    return na;
}

/* Adds kid to an and/or node, splicing in kid's operands when it is the same
 * kind (from parentheses) so the tree stays flat. Takes kid in all cases. */
static int add_kid(parser *p, cwa_cond *n, cwa_cond *kid)
{
    size_t add = kid->kind == n->kind ? kid->nkids : 1;
    cwa_cond **kids = grow(n->kids, &n->capkids, n->nkids + add, sizeof *n->kids);
    if (!kids) {
        cwa_cond_free(kid);
        nomem(p);
        return -1;
    }
    n->kids = kids;
    if (kid->kind == n->kind) {
        memcpy(n->kids + n->nkids, kid->kids, add * sizeof *n->kids);
        n->nkids += add;
        kid->nkids = 0;
        cwa_cond_free(kid);
    } else
        n->kids[n->nkids++] = kid;
    return 0;
}

static int is_kw(const parser *p, keyword kw)
{
    return p->tok.kind == TK_IDENT && p->tok.kw == kw;
}

static char *copy_text(parser *p, const char *s, size_t n)
{
    char *t = malloc(n + 1);
    if (!t) {
        nomem(p);
        return NULL;
    }
    memcpy(t, s, n);
    t[n] = '\0';
    return t;
}

static void describe_found(const parser *p, char *out, size_t cap)
{
    if (p->tok.kind == TK_EOF) {
        snprintf(out, cap, "the end of the condition");
        return;
    }
    char t[40];
    tok_text(p, &p->tok, t, sizeof t);
    snprintf(out, cap, "'%s'", t);
}

/* Reads one literal into v; after names the text it follows, for messages. */
static int parse_value(parser *p, cond_value *v, const char *after)
{
    const token *t = &p->tok;
    const char *src = p->s + t->start;
    size_t n = t->end - t->start;
    memset(v, 0, sizeof *v);
    switch (t->kind) {
    case TK_STRING: {
        char q = src[0];
        char *out = malloc(n);
        if (!out) {
            nomem(p);
            return -1;
        }
        size_t o = 0;
        for (size_t i = 1; i + 1 < n; i++) {
            out[o++] = src[i];
            if (src[i] == q)
                i++;
        }
        out[o] = '\0';
        v->kind = VAL_STRING;
        v->text = out;
        v->len = o;
        v->has_num = cond_to_double(out, o, 1, &v->num);
        v->has_date = cond_parse_date(out, o, v->date);
        break;
    }
    case TK_NUMBER:
    case TK_DATE:
        if (!(v->text = copy_text(p, src, n)))
            return -1;
        v->len = n;
        if (t->kind == TK_NUMBER) {
            v->kind = VAL_NUMBER;
            v->has_num = cond_to_double(src, n, 1, &v->num);
            if (!v->has_num) {
                nomem(p);
                return -1;
            }
        } else {
            v->kind = VAL_DATE;
            v->has_date = cond_parse_date(src, n, v->date);
        }
        break;
    case TK_IDENT:
        if (t->kw == KW_TRUE || t->kw == KW_FALSE || t->kw == KW_NULL) {
            if (!(v->text = copy_text(p, src, n)))
                return -1;
            v->len = n;
            v->kind = t->kw == KW_NULL ? VAL_NULL : VAL_BOOL;
            v->truth = t->kw == KW_TRUE;
            break;
        }
        /* fall through */
    default: {
        char found[64];
        describe_found(p, found, sizeof found);
        cond_fail(p, t->start, "expected a value after '%s', found %s", after, found);
        return -1;
    }
    }
    return cond_lex(p);
}

static int push_value(parser *p, cwa_cond *n, const char *after)
{
    cond_value *vals = grow(n->vals, &n->capvals, n->nvals + 1, sizeof *n->vals);
    if (!vals) {
        nomem(p);
        return -1;
    }
    n->vals = vals;
    cond_value *v = &n->vals[n->nvals];
    if (parse_value(p, v, after)) {
        if (!p->failed)
            nomem(p);
        free_value(v);
        return -1;
    }
    n->nvals++;
    return 0;
}

static int parse_in_list(parser *p, cwa_cond *n)
{
    if (p->tok.kind != TK_LPAREN) {
        cond_fail(p, p->tok.start, "expected '(' after 'in'");
        return -1;
    }
    if (cond_lex(p))
        return -1;
    if (p->tok.kind == TK_RPAREN) {
        cond_fail(p, p->tok.start, "empty list after 'in'; give at least one value");
        return -1;
    }
    const char *after = "(";
    for (;;) {
        if (push_value(p, n, after))
            return -1;
        if (p->tok.kind == TK_RPAREN)
            return cond_lex(p);
        if (p->tok.kind != TK_COMMA) {
            char found[64];
            describe_found(p, found, sizeof found);
            cond_fail(p, p->tok.start, "expected ',' or ')' in the list after 'in', found %s", found);
            return -1;
        }
        if (cond_lex(p))
            return -1;
        after = ",";
    }
}

/* Reads the operator after a field into n; returns -1 on error. */
static int parse_operator(parser *p, cwa_cond *n, const char *field)
{
    token t = p->tok;
    if (t.kind == TK_IDENT && t.kw == KW_NOT) {
        if (cond_lex(p))
            return -1;
        if (!is_kw(p, KW_IN) && !is_kw(p, KW_LIKE) && !is_kw(p, KW_CONTAINS)) {
            cond_fail(p, p->tok.start, "expected 'in', 'like' or 'contains' after 'not'");
            return -1;
        }
        n->negated = 1;
        t = p->tok;
    }
    if (t.kind == TK_OP) {
        n->op = t.op;
        return 0;
    }
    if (t.kind == TK_IDENT) {
        switch (t.kw) {
        case KW_EQ: n->op = OP_EQ; return 0;
        case KW_IN: n->op = OP_IN; return 0;
        case KW_LIKE: n->op = OP_LIKE; return 0;
        case KW_CONTAINS: n->op = OP_CONTAINS; return 0;
        case KW_STARTSWITH:
        case KW_ENDSWITH:
            if (p->dialect == CWA_DIALECT_APITOKEN) {
                cond_fail(p, t.start, "'%s' is not supported by this server; use like '%s'",
                          t.kw == KW_STARTSWITH ? "startswith" : "endswith",
                          t.kw == KW_STARTSWITH ? "x%" : "%x");
                return -1;
            }
            n->op = t.kw == KW_STARTSWITH ? OP_STARTSWITH : OP_ENDSWITH;
            return 0;
        case KW_NONE:
            for (size_t i = 0; i < sizeof foreign_ops / sizeof foreign_ops[0]; i++)
                if (cond_ci_eq(p->s + t.start, t.end - t.start, foreign_ops[i].word,
                               strlen(foreign_ops[i].word))) {
                    cond_fail(p, t.start, "'%s' is not an operator; use '%s'", foreign_ops[i].word,
                              foreign_ops[i].use);
                    return -1;
                }
            break;
        default: break;
        }
    }
    char found[64];
    describe_found(p, found, sizeof found);
    cond_fail(p, t.start, "expected an operator after '%s', found %s", field, found);
    return -1;
}

static cwa_cond *parse_compare(parser *p)
{
    if (p->tok.kind != TK_IDENT || p->tok.kw != KW_NONE) {
        if (p->tok.kind == TK_RPAREN)
            cond_fail(p, p->tok.start, "expected a field name before ')'");
        else
            cond_fail(p, p->tok.start, "expected a field name");
        return NULL;
    }
    cwa_cond *n = new_node(p, NODE_CMP);
    if (!n)
        return NULL;
    n->column = cond_column_of(p, p->tok.start);
    n->field = copy_text(p, p->s + p->tok.start, p->tok.end - p->tok.start);
    if (!n->field || cond_lex(p))
        goto bad;
    char field[40];
    cond_snip(n->field, strlen(n->field), field, sizeof field);
    if (parse_operator(p, n, field))
        goto bad;
    char optext[40];
    tok_text(p, &p->tok, optext, sizeof optext);
    if (cond_lex(p))
        goto bad;
    if (n->op == OP_IN) {
        if (parse_in_list(p, n))
            goto bad;
        return n;
    }
    size_t vstart = p->tok.start;
    if (push_value(p, n, optext))
        goto bad;
    val_kind vk = n->vals[0].kind;
    if ((n->op == OP_LIKE || n->op == OP_STARTSWITH || n->op == OP_ENDSWITH) && vk != VAL_STRING) {
        cond_fail(p, vstart, "expected a quoted string after '%s'", optext);
        goto bad;
    }
    if (vk == VAL_NULL && n->op != OP_EQ && n->op != OP_NE) {
        cond_fail(p, vstart, "null can only be compared with '=' or '!='");
        goto bad;
    }
    return n;
bad:
    cwa_cond_free(n);
    return NULL;
}

static cwa_cond *parse_or(parser *p);

static int enter(parser *p)
{
    if (++p->depth > MAX_DEPTH) {
        cond_fail(p, p->tok.start, "nesting deeper than %d levels", MAX_DEPTH);
        return -1;
    }
    return 0;
}

static cwa_cond *parse_unary(parser *p)
{
    if (is_kw(p, KW_NOT)) {
        if (p->dialect == CWA_DIALECT_APITOKEN) {
            cond_fail(p, p->tok.start,
                      "a general 'not' is not supported by this server; use '!=' or put "
                      "'not' before in, like or contains");
            return NULL;
        }
        if (enter(p) || cond_lex(p))
            return NULL;
        cwa_cond *kid = parse_unary(p);
        p->depth--;
        if (!kid)
            return NULL;
        cwa_cond *n = new_node(p, NODE_NOT);
        if (!n || !(n->kids = malloc(sizeof *n->kids))) {
            if (n)
                nomem(p);
            cwa_cond_free(n);
            cwa_cond_free(kid);
            return NULL;
        }
        n->kids[0] = kid;
        n->nkids = n->capkids = 1;
        return n;
    }
    if (p->tok.kind == TK_LPAREN) {
        if (enter(p) || cond_lex(p))
            return NULL;
        cwa_cond *e = parse_or(p);
        p->depth--;
        if (!e)
            return NULL;
        if (p->tok.kind != TK_RPAREN) {
            cond_fail(p, p->tok.start, "expected ')'");
            cwa_cond_free(e);
            return NULL;
        }
        if (cond_lex(p)) {
            cwa_cond_free(e);
            return NULL;
        }
        return e;
    }
    return parse_compare(p);
}

static cwa_cond *parse_chain(parser *p, node_kind kind)
{
    keyword kw = kind == NODE_OR ? KW_OR : KW_AND;
    cwa_cond *first = kind == NODE_OR ? parse_chain(p, NODE_AND) : parse_unary(p);
    if (!first || !is_kw(p, kw))
        return first;
    cwa_cond *n = new_node(p, kind);
    if (!n) {
        cwa_cond_free(first);
        return NULL;
    }
    if (add_kid(p, n, first))
        goto bad;
    while (is_kw(p, kw)) {
        if (cond_lex(p))
            goto bad;
        cwa_cond *k = kind == NODE_OR ? parse_chain(p, NODE_AND) : parse_unary(p);
        if (!k || add_kid(p, n, k))
            goto bad;
    }
    return n;
bad:
    cwa_cond_free(n);
    return NULL;
}

static cwa_cond *parse_or(parser *p)
{
    return parse_chain(p, NODE_OR);
}

cwa_cond *cwa_cond_parse(const char *text, size_t len, cwa_dialect dialect, cwa_cond_error *err)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.s = text ? text : "";
    p.len = text ? len : 0;
    p.dialect = dialect;
    p.err = err;
    if (err) {
        err->kind = CWA_COND_OK;
        err->column = 0;
        err->message[0] = '\0';
    }
    if (cond_lex(&p))
        return NULL;
    if (p.tok.kind == TK_EOF) {
        cond_fail(&p, p.tok.start, "empty condition");
        return NULL;
    }
    cwa_cond *c = parse_or(&p);
    if (!c)
        return NULL;
    if (p.tok.kind != TK_EOF) {
        if (p.tok.kind == TK_RPAREN)
            cond_fail(&p, p.tok.start, "unmatched ')'");
        else {
            char found[64];
            describe_found(&p, found, sizeof found);
            cond_fail(&p, p.tok.start, "expected 'and', 'or' or the end of the condition, found %s",
                      found);
        }
        cwa_cond_free(c);
        return NULL;
    }
    return c;
}
