/*
 * cwa_cond: the Automate `condition` language, shared by the client (to check
 * conditions before sending them) and by cwa-sim (to filter records).
 *
 * The public contract of src/core/cwa_cond_*.c: the lexer (cwa_cond_lex.c)
 * and the parser (cwa_cond_parse.c: cwa_cond_parse, cwa_cond_free) are all
 * the client links; the evaluator (cwa_cond_eval.c: cwa_cond_eval,
 * cwa_cond_each_field) and the formatter (cwa_cond_format.c:
 * cwa_cond_format) serve the simulator, the fuzzer and the unit tests.
 * Their shared layout is private (cwa_cond_internal.h).
 *
 * Grammar (the union of both dialects; keywords case-insensitive):
 *   expr    := or
 *   or      := and { "or" and }
 *   and     := unary { "and" unary }
 *   unary   := "not" unary            (general not: apicredentials/union only)
 *            | "(" expr ")" | compare
 *   compare := field op value
 *            | field ["not"] ("in" "(" value {"," value} ")" | "like" value | "contains" value)
 *            | field ("startswith" | "endswith") value   (apicredentials/union only)
 *   op      := "=" | "eq" | "!=" | "<>" | ">" | "<" | ">=" | "<="
 *   value   := 'string' | "string" (a doubled quote is a literal quote)
 *            | integer | decimal | true | false | null
 *            | unquoted date 2024-02-14 or 2024-02-14T00:00:00[.fff]
 *   field   := identifier { "." identifier }
 * Precedence: not > and > or.
 *
 * Dialects: CWA_DIALECT_ANY accepts everything above (the client's check);
 * CWA_DIALECT_APITOKEN rejects startswith/endswith and a general `not`, and
 * makes a quoted string compared with a date field an evaluation error of
 * kind CWA_COND_ERR_SERVER (real servers answer 500);
 * CWA_DIALECT_APICREDENTIALS accepts all, compares quoted dates as dates.
 *
 * Memory: cwa_cond_parse returns a tree owned by the caller (cwa_cond_free);
 * NULL with err filled on a syntax error or when memory ran out. Nothing here
 * keeps global state; every function is reentrant.
 */
#ifndef CWA_COND_H
#define CWA_COND_H

#include <stddef.h>

struct cJSON;

typedef enum cwa_dialect {
    CWA_DIALECT_ANY = 0,
    CWA_DIALECT_APITOKEN,
    CWA_DIALECT_APICREDENTIALS
} cwa_dialect;

typedef enum cwa_cond_error_kind {
    CWA_COND_OK = 0,
    CWA_COND_ERR_SYNTAX,        /* bad text: 400 */
    CWA_COND_ERR_UNKNOWN_FIELD, /* field not in the record: 400 "Invalid field" */
    CWA_COND_ERR_TYPE,          /* value cannot be compared with the field: 400 */
    CWA_COND_ERR_SERVER,        /* what real servers answer with 500 */
    CWA_COND_ERR_NOMEM
} cwa_cond_error_kind;

typedef struct cwa_cond_error {
    cwa_cond_error_kind kind;
    int column;        /* 1-based column of the fault in the text, 0 if none */
    char message[256]; /* e.g. "column 8: '==' is not an operator; use '='" */
} cwa_cond_error;

typedef struct cwa_cond cwa_cond;

cwa_cond *cwa_cond_parse(const char *text, size_t len, cwa_dialect dialect, cwa_cond_error *err);
void cwa_cond_free(cwa_cond *cond);

/* Evaluates against one record (a cJSON object; dotted fields walk nested
 * objects). Returns 1 when the record matches, 0 when not, -1 on an error
 * (err filled: unknown field, type mismatch, server-style failure).
 * Strings compare case-insensitively; numbers numerically; values that look
 * like ISO dates compare as dates; `contains` tests substrings of strings and
 * membership in arrays; `like` uses % and _ wildcards.
 *
 * Details the simulator relies on: field names match case-insensitively;
 * a path through an array of objects (LoggedInUsers.LoggedInUserName)
 * matches when any element does; a null on the path makes the field null.
 * A null field equals only `null`, is `!=` every other value and is never
 * ordered, like or contained. A numeric string field compares numerically
 * with a number. An unknown field is CWA_COND_ERR_UNKNOWN_FIELD with the
 * message "Invalid field 'X'" (no column prefix; err->column is set), and is
 * reported even when other operands already decide the result. In the
 * apitoken dialect a quoted literal in = != < > <= >= or `in` against a date
 * string field is CWA_COND_ERR_SERVER ("An error has occurred."). `like`
 * takes `\` as its escape (`\%`, `\_`). Evaluation never allocates. */
int cwa_cond_eval(const cwa_cond *cond, const struct cJSON *record, cwa_cond_error *err);

/* Calls fn for each field path the condition names, in text order. */
void cwa_cond_each_field(const cwa_cond *cond, void (*fn)(const char *field, void *ud), void *ud);

/* Writes the canonical text of the tree (lower-case keywords, `=`/`!=` for
 * eq/<>, one space around operators, parentheses only where precedence needs
 * them) into out; returns the length it needed (like snprintf). Strings are
 * single-quoted, or double-quoted when they contain a single quote and no
 * double quote; a quote is doubled only when the string has both. Numbers
 * and dates keep their text. Parsing the output gives an equal tree. */
size_t cwa_cond_format(const cwa_cond *cond, char *out, size_t cap);

#endif
