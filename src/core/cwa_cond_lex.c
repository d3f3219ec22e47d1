/*
 * cwa_cond_lex: the lexer of the Automate condition language and the text
 * helpers the other cwa_cond_*.c files share (characters, UTF-8, numbers,
 * dates, error messages). Layout and contract in cwa_cond_internal.h.
 *
 * Linked into the Lua module with cwa_cond_parse.c: nothing here may call
 * into the evaluator or the formatter.
 */
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwa_cond_internal.h"

/* ------------------------------------------------------------ helpers */

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

int cond_ci_eq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (cond_lower((unsigned char)a[i]) != cond_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

size_t cond_u8_valid(const unsigned char *s, size_t n)
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
int cond_parse_date(const char *s, size_t n, char out[DATE_LEN + 1])
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
int cond_to_double(const char *s, size_t n, int may_alloc, double *out)
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

void cond_set_err(cwa_cond_error *err, cwa_cond_error_kind kind, int column, const char *fmt, ...)
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
void cond_snip(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    while (i < n && o + 5 < cap) {
        unsigned char c = (unsigned char)s[i];
        size_t l = cond_u8_valid((const unsigned char *)s + i, n - i);
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

/* Columns count characters; the memo keeps a condition of a million fields
 * linear, as offsets only grow while parsing. */
int cond_column_of(parser *p, size_t off)
{
    if (off < p->col_off || p->col == 0)
        p->col_off = 0, p->col = 1;
    for (size_t i = p->col_off; i < off && i < p->len; i++)
        if (((unsigned char)p->s[i] & 0xC0) != 0x80)
            p->col++;
    p->col_off = off;
    return p->col > INT32_MAX ? INT32_MAX : (int)p->col;
}

void cond_fail(parser *p, size_t off, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    if (p->failed)
        return;
    p->failed = 1;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int col = cond_column_of(p, off);
    cond_set_err(p->err, CWA_COND_ERR_SYNTAX, col, "column %d: %s", col, what);
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
            cond_fail(p, i, "NUL byte in condition");
            return -1;
        }
        if (c >= 0x80) {
            size_t l = cond_u8_valid((const unsigned char *)p->s + i, p->len - i);
            if (!l) {
                cond_fail(p, i, "invalid UTF-8");
                return -1;
            }
            i += l;
            continue;
        }
        i++;
    }
    cond_fail(p, start, "unterminated string");
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
        if (!cond_parse_date(s + start, i - start, d)) {
            char t[40];
            cond_snip(s + start, i - start, t, sizeof t);
            cond_fail(p, start, "invalid date '%s'; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS", t);
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
                cond_fail(p, start, "invalid number");
                return -1;
            }
            while (i < p->len && is_digit((unsigned char)s[i]))
                i++;
        }
        if (i < p->len && (is_ident_char((unsigned char)s[i]) || s[i] == '.')) {
            cond_fail(p, start, "invalid number");
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
            cond_fail(p, i + 1, "expected a field name after '.'");
            return -1;
        }
        break;
    }
    p->tok.kind = TK_IDENT;
    p->tok.end = i;
    p->pos = i;
    if (!dotted)
        for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
            if (cond_ci_eq(s + start, i - start, keywords[k].word, strlen(keywords[k].word)))
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
            cond_fail(p, start, "'==' is not an operator; use '='");
            return -1;
        }
        p->tok.op = OP_EQ;
        break;
    case '!':
        if (n != '=') {
            cond_fail(p, start, "'!' is not an operator; use '!=' or 'not'");
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
    case '&':
        cond_fail(p, start, "'%s' is not an operator; use 'and'", n == '&' ? "&&" : "&");
        return -1;
    case '|': cond_fail(p, start, "'%s' is not an operator; use 'or'", n == '|' ? "||" : "|"); return -1;
    default: return 1;
    }
    p->tok.end = start + l;
    p->pos = start + l;
    return 0;
}

int cond_lex(parser *p)
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
        cond_fail(p, start, "NUL byte in condition");
    else if (c >= 0x80) {
        size_t l = cond_u8_valid((const unsigned char *)s + start, p->len - start);
        if (!l)
            cond_fail(p, start, "invalid UTF-8");
        else
            cond_fail(p, start, "unexpected character '%.*s'", (int)l, s + start);
    } else if (c < 0x20 || c == 0x7F)
        cond_fail(p, start, "unexpected character 0x%02X", c);
    else
        cond_fail(p, start, "unexpected character '%c'", c);
    return -1;
}
