/* The rules of cwa_page.h: what a listing's answer means. */
#include "cwa_page.h"

#include <limits.h>
#include <string.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* -?digits[.digits], spanning all n bytes. */
static int plain_decimal(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    size_t i = s[0] == '-' ? 1 : 0, start = i;
    while (i < n && is_digit(s[i]))
        i++;
    if (i == start)
        return 0;
    if (i < n && s[i] == '.') {
        size_t frac = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == frac)
            return 0;
    }
    return i == n;
}

/* Why an id has no literal, or NULL when out holds it. */
static const char *literal(cwa_id_kind kind, const char *text, size_t len, char *out, size_t cap)
{
    if (cap == 0)
        return "has no room for a literal";
    out[0] = '\0';
    if (kind == CWA_ID_NONE)
        return "is missing, or neither a number nor a string";
    if (kind == CWA_ID_NUMBER) {
        if (len >= cap)
            return "is too long to repeat in a condition";
        if (!plain_decimal(text, len))
            return "is a number in a form a condition cannot hold (not a plain decimal)";
        memcpy(out, text, len);
        out[len] = '\0';
        return NULL;
    }
    if (len + 3 > cap)
        return "is too long to repeat in a condition";
    if (memchr(text, '\0', len))
        return "holds a NUL byte, which a condition cannot hold";
    /* the condition language has no escape both dialects read the same way,
     * so the quote is the one the text lacks */
    char q = memchr(text, '\'', len) ? '"' : '\'';
    if (memchr(text, q, len))
        return "holds both kinds of quote (' and \"): a condition's string literal can hold only "
               "one of them";
    out[0] = q;
    memcpy(out + 1, text, len);
    out[len + 1] = q;
    out[len + 2] = '\0';
    return NULL;
}

int cwa_page_literal(cwa_id_kind kind, const char *text, size_t len, char *out, size_t cap)
{
    return literal(kind, text, len, out, cap) ? -1 : 0;
}

int cwa_page_id_known(const cwa_id *id)
{
    return id->kind != CWA_ID_NONE && id->len < sizeof id->text;
}

int cwa_page_id_same(const cwa_id *a, const cwa_id *b)
{
    return cwa_page_id_known(a) && cwa_page_id_known(b) && a->kind == b->kind && a->len == b->len &&
           memcmp(a->text, b->text, a->len) == 0;
}

/* A plain decimal split into sign and digits without the zeros that do not
 * count: leading ones of the whole part, trailing ones of the fraction. */
typedef struct decimal {
    int negative;
    const char *whole, *frac;
    size_t nwhole, nfrac;
} decimal;

static decimal split(const char *s, size_t n)
{
    decimal d = {0};
    size_t i = 0;
    if (s[0] == '-')
        i = 1;
    while (i < n && s[i] == '0')
        i++;
    d.whole = s + i;
    while (i < n && is_digit(s[i]))
        i++;
    d.nwhole = (size_t)(s + i - d.whole);
    if (i < n) { /* the '.' */
        d.frac = s + i + 1;
        d.nfrac = n - i - 1;
        while (d.nfrac > 0 && d.frac[d.nfrac - 1] == '0')
            d.nfrac--;
    }
    d.negative = s[0] == '-' && (d.nwhole > 0 || d.nfrac > 0); /* -0 is 0 */
    return d;
}

static int sign_of(int v)
{
    return (v > 0) - (v < 0);
}

/* Compares the magnitudes of two decimals. */
static int magnitude_cmp(const decimal *a, const decimal *b)
{
    if (a->nwhole != b->nwhole)
        return a->nwhole < b->nwhole ? -1 : 1;
    int c = memcmp(a->whole, b->whole, a->nwhole);
    if (c != 0)
        return sign_of(c);
    size_t n = a->nfrac < b->nfrac ? a->nfrac : b->nfrac;
    c = n ? memcmp(a->frac, b->frac, n) : 0;
    if (c != 0)
        return sign_of(c);
    return (a->nfrac > n) - (b->nfrac > n);
}

static int numeric(const cwa_id *id)
{
    return cwa_page_id_known(id) && plain_decimal(id->text, id->len);
}

int cwa_page_id_cmp(const cwa_id *a, const cwa_id *b)
{
    if (numeric(a) && numeric(b)) {
        decimal x = split(a->text, a->len), y = split(b->text, b->len);
        if (x.negative != y.negative)
            return x.negative ? -1 : 1;
        int c = magnitude_cmp(&x, &y);
        return x.negative ? -c : c;
    }
    return cwa_page_id_same(a, b) ? 0 : CWA_PAGE_UNORDERED;
}

void cwa_page_note_id(cwa_page_info *info, long index, cwa_id_kind kind, const char *text, size_t len)
{
    cwa_id id = {.kind = kind};
    if (kind != CWA_ID_NONE) {
        id.len = len;
        if (len < sizeof id.text) {
            memcpy(id.text, text, len);
            id.text[len] = '\0';
        }
    }
    if (index <= 1) {
        info->first = id;
    } else if (!info->id_break) {
        int c = cwa_page_id_cmp(&id, &info->last);
        if (c == 0 || c == -1)
            info->id_break = index;
    }
    info->last = id;
}

static int is_list(cwa_json_kind k)
{
    return k == CWA_JSON_ARRAY || k == CWA_JSON_EMPTY;
}

/* A whole number of records that a double holds exactly and a long can
 * take; compared as a double before any conversion. */
static long valid_total(double t)
{
    const double max = (double)LONG_MAX < 9007199254740992.0 ? (double)LONG_MAX : 9007199254740992.0;
    if (!(t >= 0 && t <= max) || t != (double)(long)t)
        return -1;
    return (long)t;
}

void cwa_page_read(const cwa_page_info *info, cwa_page *out)
{
    memset(out, 0, sizeof *out);
    out->count = -1;
    out->total = -1;
    if (!info) {
        out->count = 0;
        return;
    }
    int in_result_set = info->body == CWA_JSON_OBJECT && is_list(info->result_set);
    if (!in_result_set && !is_list(info->body))
        return;
    if (info->count < 0 || (info->count > 0 && !info->all_containers))
        return;
    out->count = info->count;
    if (in_result_set && info->has_total)
        out->total = valid_total(info->total);
    if (info->count == 0)
        return;
    out->first = info->first;
    out->last = info->last;
    out->id_break = info->id_break;
    if (info->last.len >= sizeof info->last.text)
        out->no_literal = "is too long to repeat in a condition";
    else
        out->no_literal =
            literal(info->last.kind, info->last.text, info->last.len, out->last_id, sizeof out->last_id);
}

/* Eight bytes at a time, each word mixed in by a multiply and a shift: a
 * hash for equality of bodies megabytes long, at memory speed. */
uint64_t cwa_page_hash(const char *data, size_t len)
{
    const uint64_t k = 0x9e3779b97f4a7c15u;
    uint64_t h = 0xcbf29ce484222325u ^ ((uint64_t)len * k);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, data + i, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, data + i, len - i);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    h ^= h >> 32;
    return h * k;
}
