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

int cwa_page_literal(cwa_id_kind kind, const char *text, size_t len, char *out, size_t cap)
{
    if (cap == 0)
        return -1;
    out[0] = '\0';
    if (kind == CWA_ID_NUMBER) {
        if (len == 0 || len >= cap || !plain_decimal(text, len))
            return -1;
        memcpy(out, text, len);
        out[len] = '\0';
        return 0;
    }
    if (kind != CWA_ID_STRING || len + 3 > cap || memchr(text, '\0', len))
        return -1;
    /* the condition language has no escape both dialects read the same way,
     * so the quote is the one the text lacks */
    char q = memchr(text, '\'', len) ? '"' : '\'';
    if (memchr(text, q, len))
        return -1;
    out[0] = q;
    memcpy(out + 1, text, len);
    out[len + 1] = q;
    out[len + 2] = '\0';
    return 0;
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
    out->count = -1;
    out->total = -1;
    out->last_id[0] = '\0';
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
    if (info->count > 0 && info->id_len < sizeof info->id_text)
        cwa_page_literal(info->id_kind, info->id_text, info->id_len, out->last_id, sizeof out->last_id);
}
