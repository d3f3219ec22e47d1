/*
 * cwa_cond_eval: evaluation of a parsed condition against cJSON records
 * (cwa_cond_eval, cwa_cond_each_field; contract in cwa_cond.h, tree layout
 * in cwa_cond_internal.h). Serves the simulator, the fuzzer and the unit
 * tests; the Lua module does not link it (Makefile COND_EXTRA).
 *
 * Design notes (why, not what):
 * - Evaluation never allocates: literals were decoded at parse time, and
 *   field text is converted in stack buffers.
 * - Evaluation does not short-circuit: an unknown field or a type error is
 *   reported whatever the other operands say, like a server that compiles
 *   the whole condition before running it.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cwa_cond_internal.h"

/* ASCII case-insensitive order of a[0..an) and b[0..bn): -1, 0 or 1. */
static int ci_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        int x = cond_lower((unsigned char)a[i]), y = cond_lower((unsigned char)b[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return an == bn ? 0 : (an < bn ? -1 : 1);
}

/* One character of possibly invalid text: invalid bytes count alone. */
static size_t u8_step(const char *s, size_t n)
{
    size_t l = cond_u8_valid((const unsigned char *)s, n);
    return l ? l : 1;
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
    cond_snip(n->field, strlen(n->field), field, sizeof field);
    if (v)
        cond_snip(v->text, v->len, val, sizeof val);
    cond_set_err(err, CWA_COND_ERR_TYPE, n->column, "Cannot compare field '%s' (%s) with %s%s%s", field,
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
    if (cond_ci_eq(s, n, "true", 4))
        return *truth = 1, 1;
    if (cond_ci_eq(s, n, "false", 5))
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
    int is_date = sn >= 10 && sn <= 40 && cond_parse_date(s, sn, fd);
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
        if (sn < NUM_BUF && cond_to_double(s, sn, 0, &d))
            return num_ord(d, v->num);
        return sign(ci_cmp(s, sn, v->text, v->len));
    case VAL_BOOL:
        if (!bool_text(s, sn, &t))
            goto type;
        return num_ord(t, v->truth);
    case VAL_STRING:
        if (is_date) {
            if (strict && n->dialect == CWA_DIALECT_APITOKEN) {
                cond_set_err(err, CWA_COND_ERR_SERVER, n->column, "An error has occurred.");
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
            if (cond_lower(pc) == cond_lower((unsigned char)t[ti])) {
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
        if (cond_lower((unsigned char)h[i]) == cond_lower((unsigned char)nd[0]) &&
            ci_cmp(h + i, nn, nd, nn) == 0)
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
    cond_snip(n->field, strlen(n->field), field, sizeof field);
    cond_set_err(err, CWA_COND_ERR_UNKNOWN_FIELD, n->column, "Invalid field '%s'", field);
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
            if (c->string && cond_ci_eq(c->string, strlen(c->string), seg, len))
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
        cond_set_err(err, CWA_COND_ERR_TYPE, 0, "no condition or no record");
        return -1;
    }
    return eval_node(cond, record, err);
}

/* ----------------------------------------------------------------- walk */

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
