/*
 * Private to the condition language: the layout its files share.
 *
 *   cwa_cond_lex.c     the lexer and the text helpers below (characters,
 *                      UTF-8, numbers, dates, error messages)
 *   cwa_cond_parse.c   cwa_cond_parse, cwa_cond_free: text to tree
 *   cwa_cond_eval.c    cwa_cond_eval, cwa_cond_each_field: tree against records
 *   cwa_cond_format.c  cwa_cond_format: tree to canonical text
 *
 * Contract: lex + parse stand alone (the Lua module links only them, see the
 * Makefile's COND_EXTRA), so they never call into eval or format; eval and
 * format read the tree and use the helpers of cwa_cond_lex.c, never the
 * parser. The tree is what cwa_cond_parse builds and nothing else: literals
 * are decoded once at parse time (number value, normalised date) so that
 * evaluation never allocates; `and`/`or` nodes are n-ary and flattened, so
 * only parentheses and a general `not` add depth, bounded by MAX_DEPTH, and
 * every recursive walk is bounded. Nothing outside src/core/cwa_cond_*.c
 * includes this header; the public contract is cwa_cond.h. The functions
 * declared here keep no state and are reentrant, like those of cwa_cond.h.
 */
#ifndef CWA_COND_INTERNAL_H
#define CWA_COND_INTERNAL_H

#include <stddef.h>

#include "cwa_cond.h"

#if defined(__GNUC__)
#define COND_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define COND_PRINTF(fmt, args)
#endif

enum {
    MAX_DEPTH = 64,
    DATE_LEN = 27, /* YYYY-MM-DDTHH:MM:SS.fffffff */
    NUM_BUF = 64   /* longest numeric text converted without allocating */
};

/* ------------------------------------------------------------------ tree */

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
    cond_value *vals; /* comparison: one literal, or the list of `in` */
    size_t nvals, capvals;
};

/* ------------------------------------------------- tokens and the parser */

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

typedef struct token {
    tok_kind kind;
    keyword kw; /* TK_IDENT: the keyword it spells (undotted), else KW_NONE */
    cond_op op; /* TK_OP */
    size_t start, end;
} token;

/* The state of one cwa_cond_parse: the lexer reads s[pos..len) into tok. */
typedef struct parser {
    const char *s;
    size_t len, pos;
    token tok;
    cwa_dialect dialect;
    cwa_cond_error *err;
    int depth;
    int failed;          /* an error is recorded; later ones are dropped */
    size_t col_off, col; /* memo: column col is at byte col_off */
} parser;

/* ---------------------------------------- helpers (cwa_cond_lex.c) */

static inline int cond_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* ASCII case-insensitive equality of a[0..an) and b[0..bn). */
int cond_ci_eq(const char *a, size_t an, const char *b, size_t bn);

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
size_t cond_u8_valid(const unsigned char *s, size_t n);

/* Recognises YYYY-MM-DD[(T| )HH:MM:SS[.f+]][Z] spanning exactly n bytes and
 * writes the fixed-width form into out, so dates compare with memcmp. */
int cond_parse_date(const char *s, size_t n, char out[DATE_LEN + 1]);

/* -?digits[.digits] spanning exactly n bytes, converted whatever the locale.
 * Returns 0 when the text is not such a number or (with may_alloc 0) too long
 * to convert without allocating (NUM_BUF bytes or more). */
int cond_to_double(const char *s, size_t n, int may_alloc, double *out);

/* Fills err (when not NULL) with kind, column and the formatted message. */
void cond_set_err(cwa_cond_error *err, cwa_cond_error_kind kind, int column, const char *fmt, ...)
    COND_PRINTF(4, 5);

/* Printable excerpt of s[0..n) for messages, as long as cap allows: control
 * bytes and bytes that are not valid UTF-8 become '?', cut text ends in "...". */
void cond_snip(const char *s, size_t n, char *out, size_t cap);

/* ------------------------------------------------ lexer (cwa_cond_lex.c) */

/* Reads the next token into p->tok; -1 (error recorded) on bad text. */
int cond_lex(parser *p);

/* The 1-based character column of byte off of the text. */
int cond_column_of(parser *p, size_t off);

/* Records a syntax error at byte off ("column N: ..."), unless one is
 * recorded already, and marks the parse failed. */
void cond_fail(parser *p, size_t off, const char *fmt, ...) COND_PRINTF(3, 4);

#endif
