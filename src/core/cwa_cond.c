/*
 * cwa_cond: lexer, recursive-descent parser, evaluator and formatter of the
 * Automate condition language (contract in cwa_cond.h).
 *
 * Kept in one translation unit on purpose: the simulator links exactly
 * build/obj/cwa_cond.o (Makefile SIM_SHARED), so splitting this file would
 * need a Makefile change.
 *
 * Design notes (why, not what):
 * - `and`/`or` nodes are n-ary and flattened at parse time, so a condition of
 *   a million terms is a wide tree, not a deep one; only parentheses and a
 *   general `not` add depth, and they are bounded by MAX_DEPTH. Every
 *   recursive walk (free, eval, format, each_field) is therefore bounded.
 * - Literals are decoded once at parse time (number value, normalised date),
 *   so evaluation never allocates.
 * - Evaluation does not short-circuit: an unknown field or a type error is
 *   reported whatever the other operands say, like a server that compiles
 *   the whole condition before running it.
 */
#include "cwa_cond.h"

#include <cjson/cJSON.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_DEPTH = 64,
    DATE_LEN = 27, /* YYYY-MM-DDTHH:MM:SS.fffffff */
    NUM_BUF = 64   /* longest numeric text converted without allocating */
};

typedef enum val_kind { VAL_STRING, VAL_NUMBER, VAL_DATE, VAL_BOOL, VAL_NULL } val_kind;

typedef enum node_kind { NODE_AND, NODE_OR, NODE_NOT, NODE_CMP } node_kind;

typedef enum cond_op {
    OP_EQ,
    OP_NE,
    OP_GT,
    OP_LT,
    OP_GE,
    OP_LE,
    OP_CONTAINS,
    OP_LIKE,
    OP_IN,
    OP_STARTSWITH,
    OP_ENDSWITH
} cond_op;

typedef struct cond_value {
    val_kind kind;
    char *text; /* string content (unquoted) or the literal as written */
    size_t len;
    double num;   /* valid when has_num */
    int has_num;  /* the text is a plain decimal number */
    int has_date; /* the text is an ISO date; date holds it normalised */
    int truth;
    char date[DATE_LEN + 1];
} cond_value;

struct cwa_cond {
    node_kind kind;
    cwa_dialect dialect;
    cwa_cond **kids; /* and/or: operands; not: kids[0] */
    size_t nkids, capkids;
    char *field; /* comparison: dotted path as written */
    int column;  /* comparison: column of the field */
    cond_op op;
    int negated;
    cond_value *vals;
    size_t nvals, capvals;
};

/* ---------------------------------------------------------------- utils */

static int lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident_char(unsigned char c)
{
    return is_ident_start(c) || is_digit(c);
}

static int ci_eq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

static int ci_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        int x = lower((unsigned char)a[i]), y = lower((unsigned char)b[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return an == bn ? 0 : (an < bn ? -1 : 1);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t u8_valid(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/* One character of possibly invalid text: invalid bytes count alone. */
static size_t u8_step(const char *s, size_t n)
{
    size_t l = u8_valid((const unsigned char *)s, n);
    return l ? l : 1;
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int two(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Recognises YYYY-MM-DD[(T| )HH:MM:SS[.f+]][Z] spanning exactly n bytes and
 * writes the fixed-width form, so dates compare with memcmp. */
static int parse_date(const char *s, size_t n, char out[DATE_LEN + 1])
{
    if (n < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
        return 0;
    int mon = two(s + 5), day = two(s + 8);
    if (mon < 1 || mon > 12 || day < 1 || day > 31)
        return 0;
    memcpy(out, s, 10);
    memcpy(out + 10, "T00:00:00.0000000", 17);
    out[DATE_LEN] = '\0';
    size_t i = 10;
    if (i < n && (s[i] == 'T' || s[i] == ' ')) {
        if (n < i + 9 || !digits(s + i + 1, 2) || s[i + 3] != ':' || !digits(s + i + 4, 2) ||
            s[i + 6] != ':' || !digits(s + i + 7, 2))
            return 0;
        if (two(s + i + 1) > 23 || two(s + i + 4) > 59 || two(s + i + 7) > 59)
            return 0;
        memcpy(out + 11, s + i + 1, 8);
        i += 9;
        if (i < n && s[i] == '.') {
            size_t f = 0;
            i++;
            if (i >= n || !is_digit((unsigned char)s[i]))
                return 0;
            for (; i < n && is_digit((unsigned char)s[i]); i++, f++)
                if (f < 7)
                    out[20 + f] = s[i];
        }
    }
    if (i < n && s[i] == 'Z')
        i++;
    return i == n;
}

/* -?digits[.digits] spanning exactly n bytes. */
static int is_plain_number(const char *s, size_t n)
{
    size_t i = 0, d = 0;
    if (i < n && s[i] == '-')
        i++;
    for (; i < n && is_digit((unsigned char)s[i]); i++)
        d++;
    if (!d)
        return 0;
    if (i < n && s[i] == '.') {
        i++;
        d = 0;
        for (; i < n && is_digit((unsigned char)s[i]); i++)
            d++;
        if (!d)
            return 0;
    }
    return i == n;
}

/* strtod honours the locale's decimal point (a Lua host may have called
 * os.setlocale), so the '.' is swapped for it in a copy. Returns 0 when the
 * text is not a plain number or (with may_alloc 0) too long to copy. */
static int to_double(const char *s, size_t n, int may_alloc, double *out)
{
    char small[NUM_BUF], *buf = small;
    if (!is_plain_number(s, n))
        return 0;
    if (n >= sizeof small) {
        if (!may_alloc || !(buf = malloc(n + 1)))
            return 0;
    }
    const struct lconv *lc = localeconv();
    char point = (lc && lc->decimal_point && lc->decimal_point[0]) ? lc->decimal_point[0] : '.';
    for (size_t i = 0; i < n; i++)
        buf[i] = s[i] == '.' ? point : s[i];
    buf[n] = '\0';
    *out = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    return 1;
}

static void set_err(cwa_cond_error *err, cwa_cond_error_kind kind, int column, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void set_err(cwa_cond_error *err, cwa_cond_error_kind kind, int column, const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return;
    err->kind = kind;
    err->column = column;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

/* Printable excerpt of s[0..n) for messages, as long as cap allows: control
 * bytes and bytes that are not valid UTF-8 become '?', cut text ends in "...". */
static void snip(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    while (i < n && o + 5 < cap) {
        unsigned char c = (unsigned char)s[i];
        size_t l = u8_valid((const unsigned char *)s + i, n - i);
        if (c >= 0x80 && l > 1 && o + l + 4 < cap) {
            memcpy(out + o, s + i, l);
            o += l;
            i += l;
            continue;
        }
        out[o++] = (c < 0x20 || c >= 0x7F) ? '?' : (char)c;
        i++;
    }
    if (i < n)
        memcpy(out + o, "...", 3), o += 3;
    out[o] = '\0';
}

/* ---------------------------------------------------------------- lexer */

typedef enum tok_kind {
    TK_EOF,
    TK_IDENT,
    TK_STRING,
    TK_NUMBER,
    TK_DATE,
    TK_LPAREN,
    TK_RPAREN,
    TK_COMMA,
    TK_OP
} tok_kind;

typedef enum keyword {
    KW_NONE,
    KW_AND,
    KW_OR,
    KW_NOT,
    KW_IN,
    KW_LIKE,
    KW_CONTAINS,
    KW_STARTSWITH,
    KW_ENDSWITH,
    KW_EQ,
    KW_TRUE,
    KW_FALSE,
    KW_NULL
} keyword;

static const struct {
    const char *word;
    keyword kw;
} keywords[] = {
    {"and", KW_AND},
    {"or", KW_OR},
    {"not", KW_NOT},
    {"in", KW_IN},
    {"like", KW_LIKE},
    {"contains", KW_CONTAINS},
    {"startswith", KW_STARTSWITH},
    {"endswith", KW_ENDSWITH},
    {"eq", KW_EQ},
    {"true", KW_TRUE},
    {"false", KW_FALSE},
    {"null", KW_NULL},
};

/* Operator spellings of other query languages, answered with a hint. */
static const struct {
    const char *word;
    const char *use;
} foreign_ops[] = {
    {"ne", "!="},  {"neq", "!="}, {"gt", ">"},   {"lt", "<"}, {"ge", ">="},
    {"gte", ">="}, {"le", "<="},  {"lte", "<="}, {"is", "="}, {"has", "contains"},
};

typedef struct token {
    tok_kind kind;
    keyword kw;
    cond_op op;
    size_t start, end;
} token;

typedef struct parser {
    const char *s;
    size_t len, pos;
    token tok;
    cwa_dialect dialect;
    cwa_cond_error *err;
    int depth;
    int failed;
    size_t col_off, col; /* memo: column col is at byte col_off */
} parser;

/* Columns count characters; the memo keeps a condition of a million fields
 * linear, as offsets only grow while parsing. */
static int column_of(parser *p, size_t off)
{
    if (off < p->col_off || p->col == 0)
        p->col_off = 0, p->col = 1;
    for (size_t i = p->col_off; i < off && i < p->len; i++)
        if (((unsigned char)p->s[i] & 0xC0) != 0x80)
            p->col++;
    p->col_off = off;
    return p->col > INT32_MAX ? INT32_MAX : (int)p->col;
}

static void fail(parser *p, size_t off, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void fail(parser *p, size_t off, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    if (p->failed)
        return;
    p->failed = 1;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int col = column_of(p, off);
    set_err(p->err, CWA_COND_ERR_SYNTAX, col, "column %d: %s", col, what);
}

static void nomem(parser *p)
{
    if (p->failed)
        return;
    p->failed = 1;
    set_err(p->err, CWA_COND_ERR_NOMEM, 0, "out of memory");
}

static void tok_text(const parser *p, const token *t, char *out, size_t cap)
{
    snip(p->s + t->start, t->end - t->start, out, cap);
}

static int lex_string(parser *p, size_t start)
{
    char q = p->s[start];
    size_t i = start + 1;
    while (i < p->len) {
        unsigned char c = (unsigned char)p->s[i];
        if (c == (unsigned char)q) {
            if (i + 1 < p->len && p->s[i + 1] == q) {
                i += 2;
                continue;
            }
            p->tok.kind = TK_STRING;
            p->tok.end = i + 1;
            p->pos = i + 1;
            return 0;
        }
        if (c == '\0') {
            fail(p, i, "NUL byte in condition");
            return -1;
        }
        if (c >= 0x80) {
            size_t l = u8_valid((const unsigned char *)p->s + i, p->len - i);
            if (!l) {
                fail(p, i, "invalid UTF-8");
                return -1;
            }
            i += l;
            continue;
        }
        i++;
    }
    fail(p, start, "unterminated string");
    return -1;
}

static int lex_number(parser *p, size_t start)
{
    const char *s = p->s;
    size_t i = start;
    if (p->len - start >= 5 && digits(s + start, 4) && s[start + 4] == '-') {
        char d[DATE_LEN + 1];
        while (i < p->len &&
               (is_ident_char((unsigned char)s[i]) || s[i] == '-' || s[i] == ':' || s[i] == '.'))
            i++;
        if (!parse_date(s + start, i - start, d)) {
            char t[40];
            snip(s + start, i - start, t, sizeof t);
            fail(p, start, "invalid date '%s'; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS", t);
            return -1;
        }
        p->tok.kind = TK_DATE;
    } else {
        if (s[i] == '-')
            i++;
        while (i < p->len && is_digit((unsigned char)s[i]))
            i++;
        if (i < p->len && s[i] == '.') {
            i++;
            if (i >= p->len || !is_digit((unsigned char)s[i])) {
                fail(p, start, "invalid number");
                return -1;
            }
            while (i < p->len && is_digit((unsigned char)s[i]))
                i++;
        }
        if (i < p->len && (is_ident_char((unsigned char)s[i]) || s[i] == '.')) {
            fail(p, start, "invalid number");
            return -1;
        }
        p->tok.kind = TK_NUMBER;
    }
    p->tok.end = i;
    p->pos = i;
    return 0;
}

static int lex_ident(parser *p, size_t start)
{
    const char *s = p->s;
    size_t i = start;
    int dotted = 0;
    for (;;) {
        while (i < p->len && is_ident_char((unsigned char)s[i]))
            i++;
        if (i < p->len && s[i] == '.') {
            if (i + 1 < p->len && is_ident_start((unsigned char)s[i + 1])) {
                dotted = 1;
                i++;
                continue;
            }
            fail(p, i + 1, "expected a field name after '.'");
            return -1;
        }
        break;
    }
    p->tok.kind = TK_IDENT;
    p->tok.end = i;
    p->pos = i;
    if (!dotted)
        for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
            if (ci_eq(s + start, i - start, keywords[k].word, strlen(keywords[k].word)))
                p->tok.kw = keywords[k].kw;
    return 0;
}

static int lex_op(parser *p, size_t start)
{
    const char *s = p->s;
    char c = s[start], n = start + 1 < p->len ? s[start + 1] : '\0';
    size_t l = 1;
    p->tok.kind = TK_OP;
    switch (c) {
    case '=':
        if (n == '=') {
            fail(p, start, "'==' is not an operator; use '='");
            return -1;
        }
        p->tok.op = OP_EQ;
        break;
    case '!':
        if (n != '=') {
            fail(p, start, "'!' is not an operator; use '!=' or 'not'");
            return -1;
        }
        p->tok.op = OP_NE, l = 2;
        break;
    case '<':
        if (n == '>')
            p->tok.op = OP_NE, l = 2;
        else if (n == '=')
            p->tok.op = OP_LE, l = 2;
        else
            p->tok.op = OP_LT;
        break;
    case '>':
        if (n == '=')
            p->tok.op = OP_GE, l = 2;
        else
            p->tok.op = OP_GT;
        break;
    case '&': fail(p, start, "'%s' is not an operator; use 'and'", n == '&' ? "&&" : "&"); return -1;
    case '|': fail(p, start, "'%s' is not an operator; use 'or'", n == '|' ? "||" : "|"); return -1;
    default: return 1;
    }
    p->tok.end = start + l;
    p->pos = start + l;
    return 0;
}

/* Reads the next token into p->tok; -1 (error recorded) on bad text. */
static int lex(parser *p)
{
    const char *s = p->s;
    while (p->pos < p->len &&
           (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\r' || s[p->pos] == '\n'))
        p->pos++;
    size_t start = p->pos;
    memset(&p->tok, 0, sizeof p->tok);
    p->tok.start = p->tok.end = start;
    if (start >= p->len) {
        p->tok.kind = TK_EOF;
        return 0;
    }
    unsigned char c = (unsigned char)s[start];
    if (is_ident_start(c))
        return lex_ident(p, start);
    if (is_digit(c) || (c == '-' && start + 1 < p->len && is_digit((unsigned char)s[start + 1])))
        return lex_number(p, start);
    if (c == '\'' || c == '"')
        return lex_string(p, start);
    if (c == '(' || c == ')' || c == ',') {
        p->tok.kind = c == '(' ? TK_LPAREN : c == ')' ? TK_RPAREN : TK_COMMA;
        p->tok.end = p->pos = start + 1;
        return 0;
    }
    int r = lex_op(p, start);
    if (r <= 0)
        return r;
    if (c == '\0')
        fail(p, start, "NUL byte in condition");
    else if (c >= 0x80) {
        size_t l = u8_valid((const unsigned char *)s + start, p->len - start);
        if (!l)
            fail(p, start, "invalid UTF-8");
        else
            fail(p, start, "unexpected character '%.*s'", (int)l, s + start);
    } else if (c < 0x20 || c == 0x7F)
        fail(p, start, "unexpected character 0x%02X", c);
    else
        fail(p, start, "unexpected character '%c'", c);
    return -1;
}

/* --------------------------------------------------------------- parser */

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
        v->has_num = to_double(out, o, 1, &v->num);
        v->has_date = parse_date(out, o, v->date);
        break;
    }
    case TK_NUMBER:
    case TK_DATE:
        if (!(v->text = copy_text(p, src, n)))
            return -1;
        v->len = n;
        if (t->kind == TK_NUMBER) {
            v->kind = VAL_NUMBER;
            v->has_num = to_double(src, n, 1, &v->num);
            if (!v->has_num) {
                nomem(p);
                return -1;
            }
        } else {
            v->kind = VAL_DATE;
            v->has_date = parse_date(src, n, v->date);
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
        fail(p, t->start, "expected a value after '%s', found %s", after, found);
        return -1;
    }
    }
    return lex(p);
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
        fail(p, p->tok.start, "expected '(' after 'in'");
        return -1;
    }
    if (lex(p))
        return -1;
    if (p->tok.kind == TK_RPAREN) {
        fail(p, p->tok.start, "empty list after 'in'; give at least one value");
        return -1;
    }
    const char *after = "(";
    for (;;) {
        if (push_value(p, n, after))
            return -1;
        if (p->tok.kind == TK_RPAREN)
            return lex(p);
        if (p->tok.kind != TK_COMMA) {
            char found[64];
            describe_found(p, found, sizeof found);
            fail(p, p->tok.start, "expected ',' or ')' in the list after 'in', found %s", found);
            return -1;
        }
        if (lex(p))
            return -1;
        after = ",";
    }
}

/* Reads the operator after a field into n; returns -1 on error. */
static int parse_operator(parser *p, cwa_cond *n, const char *field)
{
    token t = p->tok;
    if (t.kind == TK_IDENT && t.kw == KW_NOT) {
        if (lex(p))
            return -1;
        if (!is_kw(p, KW_IN) && !is_kw(p, KW_LIKE) && !is_kw(p, KW_CONTAINS)) {
            fail(p, p->tok.start, "expected 'in', 'like' or 'contains' after 'not'");
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
                fail(p, t.start, "'%s' is not supported by this server; use like '%s'",
                     t.kw == KW_STARTSWITH ? "startswith" : "endswith",
                     t.kw == KW_STARTSWITH ? "x%" : "%x");
                return -1;
            }
            n->op = t.kw == KW_STARTSWITH ? OP_STARTSWITH : OP_ENDSWITH;
            return 0;
        case KW_NONE:
            for (size_t i = 0; i < sizeof foreign_ops / sizeof foreign_ops[0]; i++)
                if (ci_eq(p->s + t.start, t.end - t.start, foreign_ops[i].word,
                          strlen(foreign_ops[i].word))) {
                    fail(p, t.start, "'%s' is not an operator; use '%s'", foreign_ops[i].word,
                         foreign_ops[i].use);
                    return -1;
                }
            break;
        default: break;
        }
    }
    char found[64];
    describe_found(p, found, sizeof found);
    fail(p, t.start, "expected an operator after '%s', found %s", field, found);
    return -1;
}

static cwa_cond *parse_compare(parser *p)
{
    if (p->tok.kind != TK_IDENT || p->tok.kw != KW_NONE) {
        if (p->tok.kind == TK_RPAREN)
            fail(p, p->tok.start, "expected a field name before ')'");
        else
            fail(p, p->tok.start, "expected a field name");
        return NULL;
    }
    cwa_cond *n = new_node(p, NODE_CMP);
    if (!n)
        return NULL;
    n->column = column_of(p, p->tok.start);
    n->field = copy_text(p, p->s + p->tok.start, p->tok.end - p->tok.start);
    if (!n->field || lex(p))
        goto bad;
    char field[40];
    snip(n->field, strlen(n->field), field, sizeof field);
    if (parse_operator(p, n, field))
        goto bad;
    char optext[40];
    tok_text(p, &p->tok, optext, sizeof optext);
    if (lex(p))
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
        fail(p, vstart, "expected a quoted string after '%s'", optext);
        goto bad;
    }
    if (vk == VAL_NULL && n->op != OP_EQ && n->op != OP_NE) {
        fail(p, vstart, "null can only be compared with '=' or '!='");
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
        fail(p, p->tok.start, "nesting deeper than %d levels", MAX_DEPTH);
        return -1;
    }
    return 0;
}

static cwa_cond *parse_unary(parser *p)
{
    if (is_kw(p, KW_NOT)) {
        if (p->dialect == CWA_DIALECT_APITOKEN) {
            fail(p, p->tok.start,
                 "a general 'not' is not supported by this server; use '!=' or put "
                 "'not' before in, like or contains");
            return NULL;
        }
        if (enter(p) || lex(p))
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
        if (enter(p) || lex(p))
            return NULL;
        cwa_cond *e = parse_or(p);
        p->depth--;
        if (!e)
            return NULL;
        if (p->tok.kind != TK_RPAREN) {
            fail(p, p->tok.start, "expected ')'");
            cwa_cond_free(e);
            return NULL;
        }
        if (lex(p)) {
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
        if (lex(p))
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
    if (lex(&p))
        return NULL;
    if (p.tok.kind == TK_EOF) {
        fail(&p, p.tok.start, "empty condition");
        return NULL;
    }
    cwa_cond *c = parse_or(&p);
    if (!c)
        return NULL;
    if (p.tok.kind != TK_EOF) {
        if (p.tok.kind == TK_RPAREN)
            fail(&p, p.tok.start, "unmatched ')'");
        else {
            char found[64];
            describe_found(&p, found, sizeof found);
            fail(&p, p.tok.start, "expected 'and', 'or' or the end of the condition, found %s", found);
        }
        cwa_cond_free(c);
        return NULL;
    }
    return c;
}

/* ------------------------------------------------------------ evaluator */

/* Results of comparing a field with a literal. NULLDIFF: one side is null
 * and the other is not (equal: false, different: true, ordered: false). */
enum { ORD_LT = -1, ORD_EQ = 0, ORD_GT = 1, ORD_NULLDIFF = 2, ORD_ERR = 3 };

static const char *json_kind(const cJSON *f)
{
    if (cJSON_IsObject(f))
        return "an object";
    if (cJSON_IsArray(f))
        return "an array";
    if (cJSON_IsString(f))
        return "a string";
    if (cJSON_IsNumber(f))
        return "a number";
    if (cJSON_IsBool(f))
        return "a boolean";
    return "null";
}

static void type_error(const cwa_cond *n, const cJSON *f, const cond_value *v, cwa_cond_error *err)
{
    char field[100], val[40];
    snip(n->field, strlen(n->field), field, sizeof field);
    if (v)
        snip(v->text, v->len, val, sizeof val);
    set_err(err, CWA_COND_ERR_TYPE, n->column, "Cannot compare field '%s' (%s) with %s%s%s", field,
            json_kind(f), v && v->kind == VAL_STRING ? "'" : "", v ? val : "that",
            v && v->kind == VAL_STRING ? "'" : "");
}

static int num_ord(double a, double b)
{
    return a < b ? ORD_LT : a > b ? ORD_GT : ORD_EQ;
}

static int sign(int c)
{
    return c < 0 ? ORD_LT : c > 0 ? ORD_GT : ORD_EQ;
}

static int bool_text(const char *s, size_t n, int *truth)
{
    if (ci_eq(s, n, "true", 4))
        return *truth = 1, 1;
    if (ci_eq(s, n, "false", 5))
        return *truth = 0, 1;
    return 0;
}

/* Orders field value f against literal v. strict: report the server-style
 * failures (a quoted string against a date in the apitoken dialect); off for
 * array membership, where a mismatch simply is no match. */
static int compare(const cwa_cond *n, const cJSON *f, const cond_value *v, int strict,
                   cwa_cond_error *err)
{
    if (v->kind == VAL_NULL)
        return cJSON_IsNull(f) ? ORD_EQ : ORD_NULLDIFF;
    if (cJSON_IsNull(f))
        return ORD_NULLDIFF;
    if (cJSON_IsObject(f) || cJSON_IsArray(f))
        goto type;
    if (cJSON_IsBool(f)) {
        int b = cJSON_IsTrue(f), t;
        if (v->kind == VAL_BOOL)
            return num_ord(b, v->truth);
        if (v->kind == VAL_STRING && bool_text(v->text, v->len, &t))
            return num_ord(b, t);
        if (v->kind == VAL_NUMBER)
            return num_ord(b, v->num); /* booleans are 0/1 in the database */
        goto type;
    }
    if (cJSON_IsNumber(f)) {
        if (v->kind == VAL_NUMBER || (v->kind == VAL_STRING && v->has_num))
            return num_ord(f->valuedouble, v->num);
        if (v->kind == VAL_BOOL)
            return num_ord(f->valuedouble != 0, v->truth);
        goto type;
    }
    if (!cJSON_IsString(f) || !f->valuestring)
        goto type;
    const char *s = f->valuestring;
    size_t sn = strlen(s);
    char fd[DATE_LEN + 1];
    int is_date = sn >= 10 && sn <= 40 && parse_date(s, sn, fd);
    double d;
    int t;
    switch (v->kind) {
    case VAL_DATE:
        if (!is_date)
            goto type;
        return sign(memcmp(fd, v->date, DATE_LEN));
    case VAL_NUMBER:
        if (is_date)
            goto type;
        if (sn < NUM_BUF && to_double(s, sn, 0, &d))
            return num_ord(d, v->num);
        return sign(ci_cmp(s, sn, v->text, v->len));
    case VAL_BOOL:
        if (!bool_text(s, sn, &t))
            goto type;
        return num_ord(t, v->truth);
    case VAL_STRING:
        if (is_date) {
            if (strict && n->dialect == CWA_DIALECT_APITOKEN) {
                set_err(err, CWA_COND_ERR_SERVER, n->column, "An error has occurred.");
                return ORD_ERR;
            }
            if (v->has_date)
                return sign(memcmp(fd, v->date, DATE_LEN));
        }
        return sign(ci_cmp(s, sn, v->text, v->len));
    case VAL_NULL: break;
    }
type:
    if (strict)
        type_error(n, f, v, err);
    return ORD_ERR;
}

static int ord_matches(cond_op op, int ord)
{
    if (ord == ORD_NULLDIFF)
        return op == OP_NE;
    switch (op) {
    case OP_EQ: return ord == ORD_EQ;
    case OP_NE: return ord != ORD_EQ;
    case OP_GT: return ord == ORD_GT;
    case OP_LT: return ord == ORD_LT;
    case OP_GE: return ord != ORD_LT;
    case OP_LE: return ord != ORD_GT;
    default: return 0;
    }
}

/* SQL LIKE, case-insensitive: % any run, _ one character, backslash makes
 * the next pattern character literal. Greedy with a single backtrack point
 * (the last %), so it is O(len(text) * len(pattern)), never exponential. */
static int like_match(const char *t, size_t tn, const char *p, size_t pn)
{
    size_t ti = 0, pi = 0, star_p = SIZE_MAX, star_t = 0;
    while (ti < tn) {
        if (pi < pn && p[pi] == '%') {
            star_p = ++pi;
            star_t = ti;
            continue;
        }
        if (pi < pn) {
            if (p[pi] == '_') {
                ti += u8_step(t + ti, tn - ti);
                pi++;
                continue;
            }
            size_t pl = 1;
            unsigned char pc = (unsigned char)p[pi];
            if (pc == '\\' && pi + 1 < pn)
                pc = (unsigned char)p[pi + 1], pl = 2;
            if (lower(pc) == lower((unsigned char)t[ti])) {
                ti++;
                pi += pl;
                continue;
            }
        }
        if (star_p == SIZE_MAX)
            return 0;
        star_t += u8_step(t + star_t, tn - star_t);
        ti = star_t;
        pi = star_p;
    }
    while (pi < pn && p[pi] == '%')
        pi++;
    return pi == pn;
}

static int ci_find(const char *h, size_t hn, const char *nd, size_t nn)
{
    if (nn == 0)
        return 1;
    for (size_t i = 0; i + nn <= hn; i++)
        if (lower((unsigned char)h[i]) == lower((unsigned char)nd[0]) && ci_cmp(h + i, nn, nd, nn) == 0)
            return 1;
    return 0;
}

/* The text a string-matching operator sees for f: strings as they are,
 * numbers and booleans as written in JSON. 0 when f has no text form. */
static int text_of(const cJSON *f, char *buf, size_t cap, const char **s, size_t *n)
{
    if (cJSON_IsString(f) && f->valuestring) {
        *s = f->valuestring;
        *n = strlen(*s);
        return 1;
    }
    if (cJSON_IsBool(f)) {
        *s = cJSON_IsTrue(f) ? "true" : "false";
        *n = strlen(*s);
        return 1;
    }
    if (cJSON_IsNumber(f)) {
        double d = f->valuedouble;
        int w;
        if (d >= -1e15 && d <= 1e15 && (double)(long long)d == d)
            w = snprintf(buf, cap, "%lld", (long long)d);
        else
            w = snprintf(buf, cap, "%.15g", d);
        if (w < 0 || (size_t)w >= cap)
            return 0;
        *s = buf;
        *n = (size_t)w;
        return 1;
    }
    return 0;
}

static int eval_contains(const cwa_cond *n, const cJSON *f, cwa_cond_error *err)
{
    const cond_value *v = &n->vals[0];
    if (cJSON_IsArray(f)) {
        for (const cJSON *e = f->child; e; e = e->next)
            if (compare(n, e, v, 0, NULL) == ORD_EQ)
                return 1;
        return 0;
    }
    char buf[64];
    const char *s;
    size_t sn;
    if (!cJSON_IsString(f) || !text_of(f, buf, sizeof buf, &s, &sn)) {
        type_error(n, f, v, err);
        return -1;
    }
    if (v->kind == VAL_BOOL)
        return ci_find(s, sn, v->truth ? "true" : "false", v->truth ? 4 : 5);
    return ci_find(s, sn, v->text, v->len);
}

static int eval_text_op(const cwa_cond *n, const cJSON *f, cwa_cond_error *err)
{
    const cond_value *v = &n->vals[0];
    char buf[64];
    const char *s;
    size_t sn;
    if (!text_of(f, buf, sizeof buf, &s, &sn)) {
        type_error(n, f, v, err);
        return -1;
    }
    if (n->op == OP_LIKE)
        return like_match(s, sn, v->text, v->len);
    if (sn < v->len)
        return 0;
    return ci_cmp(n->op == OP_STARTSWITH ? s : s + sn - v->len, v->len, v->text, v->len) == 0;
}

static int eval_value(const cwa_cond *n, const cJSON *f, cwa_cond_error *err)
{
    int r = 0;
    switch (n->op) {
    case OP_IN:
        for (size_t i = 0; i < n->nvals; i++) {
            int o = compare(n, f, &n->vals[i], 1, err);
            if (o == ORD_ERR)
                return -1;
            if (o == ORD_EQ)
                r = 1;
        }
        break;
    case OP_CONTAINS:
        if (cJSON_IsNull(f))
            break;
        if ((r = eval_contains(n, f, err)) < 0)
            return -1;
        break;
    case OP_LIKE:
    case OP_STARTSWITH:
    case OP_ENDSWITH:
        if (cJSON_IsNull(f))
            break;
        if ((r = eval_text_op(n, f, err)) < 0)
            return -1;
        break;
    default: {
        int o = compare(n, f, &n->vals[0], 1, err);
        if (o == ORD_ERR)
            return -1;
        r = ord_matches(n->op, o);
    }
    }
    return n->negated ? !r : r;
}

static int unknown_field(const cwa_cond *n, cwa_cond_error *err)
{
    char field[200];
    snip(n->field, strlen(n->field), field, sizeof field);
    set_err(err, CWA_COND_ERR_UNKNOWN_FIELD, n->column, "Invalid field '%s'", field);
    return -1;
}

/* Walks the rest of the dotted path (seg) from cur, matching names
 * case-insensitively. A path that goes through an array of objects
 * (LoggedInUsers.LoggedInUserName) matches when any element matches, as the
 * server's join does; a null on the way makes the field null. */
static int eval_path(const cwa_cond *n, const cJSON *cur, const char *seg, cwa_cond_error *err)
{
    for (;;) {
        if (cJSON_IsArray(cur) && seg != n->field) {
            int any = 0;
            for (const cJSON *e = cur->child; e; e = e->next) {
                int r = eval_path(n, e, seg, err);
                if (r < 0)
                    return -1;
                any = any || r;
            }
            return any;
        }
        if (!cJSON_IsObject(cur))
            return unknown_field(n, err);
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        const cJSON *c;
        for (c = cur->child; c; c = c->next)
            if (c->string && ci_eq(c->string, strlen(c->string), seg, len))
                break;
        if (!c)
            return unknown_field(n, err);
        if (!dot || cJSON_IsNull(c))
            return eval_value(n, c, err);
        cur = c;
        seg = dot + 1;
    }
}

static int eval_cmp(const cwa_cond *n, const cJSON *rec, cwa_cond_error *err)
{
    return eval_path(n, rec, n->field, err);
}

static int eval_node(const cwa_cond *n, const cJSON *rec, cwa_cond_error *err)
{
    int r;
    switch (n->kind) {
    case NODE_CMP: return eval_cmp(n, rec, err);
    case NODE_NOT: r = eval_node(n->kids[0], rec, err); return r < 0 ? -1 : !r;
    case NODE_AND:
    case NODE_OR: {
        int acc = n->kind == NODE_AND;
        for (size_t i = 0; i < n->nkids; i++) {
            if ((r = eval_node(n->kids[i], rec, err)) < 0)
                return -1;
            if (n->kind == NODE_AND)
                acc = acc && r;
            else
                acc = acc || r;
        }
        return acc;
    }
    }
    return -1;
}

int cwa_cond_eval(const cwa_cond *cond, const struct cJSON *record, cwa_cond_error *err)
{
    if (err) {
        err->kind = CWA_COND_OK;
        err->column = 0;
        err->message[0] = '\0';
    }
    if (!cond || !record) {
        set_err(err, CWA_COND_ERR_TYPE, 0, "no condition or no record");
        return -1;
    }
    return eval_node(cond, record, err);
}

/* ------------------------------------------------------ walk and format */

void cwa_cond_each_field(const cwa_cond *cond, void (*fn)(const char *field, void *ud), void *ud)
{
    if (!cond || !fn)
        return;
    if (cond->kind == NODE_CMP) {
        fn(cond->field, ud);
        return;
    }
    for (size_t i = 0; i < cond->nkids; i++)
        cwa_cond_each_field(cond->kids[i], fn, ud);
}

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
