#include "cwa_hdr.h"

#include "cwa_retry.h"
#include "cwa_time.h"

#include <limits.h>
#include <string.h>

void cwa_headers_init(cwa_headers *h)
{
    memset(h, 0, sizeof *h);
    h->status_line_code = -1;
    h->retry_after = -1;
    h->ratelimit_limit = -1;
    h->ratelimit_remaining = -1;
    h->ratelimit_reset = -1;
    h->total_count = -1;
    h->total_pages = -1;
    h->page = -1;
    h->page_size = -1;
    h->date = -1;
    h->content_length = -1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int name_is(const char *name, size_t n, const char *want)
{
    size_t k = 0;
    for (; k < n; k++) {
        if (!want[k] || lower(name[k]) != want[k])
            return 0;
    }
    return want[k] == '\0';
}

static int parse_long(const char *v, size_t n, long *out)
{
    long x = 0;
    if (n == 0)
        return -1;
    for (size_t k = 0; k < n; k++) {
        if (!is_digit(v[k]))
            return -1;
        int d = v[k] - '0';
        if (x > (LONG_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *out = x;
    return 0;
}

/* Digits with an optional fraction; bounded so no value reaches infinity. */
static int parse_decimal(const char *v, size_t n, double *out)
{
    double x = 0.0, scale = 0.1;
    size_t k = 0;
    if (n == 0 || !is_digit(v[0]))
        return -1;
    while (k < n && is_digit(v[k])) {
        x = x * 10.0 + (v[k] - '0');
        if (x > 1e15)
            return -1;
        k++;
    }
    if (k < n && v[k] == '.') {
        size_t start = ++k;
        while (k < n && is_digit(v[k])) {
            x += (v[k] - '0') * scale;
            scale /= 10.0;
            k++;
        }
        if (k == start)
            return -1;
    }
    if (k != n)
        return -1;
    *out = x;
    return 0;
}

static int has_control(const char *v, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)v[k];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 1;
    }
    return 0;
}

/* Copies at most cap-1 bytes; returns 1 when the value did not fit. */
static int copy_str(char *dst, size_t cap, const char *v, size_t n)
{
    int cut = n > cap - 1;
    if (cut)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
    return cut;
}

static void status_line(cwa_headers *h, const char *s, size_t n)
{
    size_t i = 5; /* past "HTTP/" */
    long code = 0;
    cwa_headers_init(h);
    while (i < n && (is_digit(s[i]) || s[i] == '.'))
        i++;
    if (i == 5 || i >= n || s[i] != ' ')
        return;
    while (i < n && s[i] == ' ')
        i++;
    if (i + 3 > n)
        return;
    for (int k = 0; k < 3; k++) {
        if (!is_digit(s[i]))
            return;
        code = code * 10 + (s[i] - '0');
        i++;
    }
    if (i < n && s[i] != ' ')
        return;
    h->status_line_code = code;
}

static void set_long(long *field, const char *v, size_t n)
{
    long x;
    if (parse_long(v, n, &x) == 0)
        *field = x;
}

void cwa_headers_line(cwa_headers *h, const char *line, size_t len, double now_epoch)
{
    if (!h || !line || len == 0)
        return;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len == 0) {
        h->complete = 1;
        return;
    }
    if (line[0] == ' ' || line[0] == '\t')
        return;
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        status_line(h, line, len);
        return;
    }
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return;
    size_t nlen = (size_t)(colon - line);
    for (size_t k = 0; k < nlen; k++) {
        unsigned char c = (unsigned char)line[k];
        if (c <= 0x20 || c == 0x7f)
            return;
    }
    const char *v = colon + 1;
    size_t vlen = len - nlen - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;

    if (name_is(line, nlen, "retry-after")) {
        double s;
        if (cwa_retry_after_parse(v, vlen, now_epoch, &s) == 0) {
            h->retry_after = s;
            h->has_retry_after = 1;
        }
    } else if (name_is(line, nlen, "x-ratelimit-limit") || name_is(line, nlen, "ratelimit-limit")) {
        set_long(&h->ratelimit_limit, v, vlen);
    } else if (name_is(line, nlen, "x-ratelimit-remaining") ||
               name_is(line, nlen, "ratelimit-remaining")) {
        set_long(&h->ratelimit_remaining, v, vlen);
    } else if (name_is(line, nlen, "x-ratelimit-reset") || name_is(line, nlen, "ratelimit-reset")) {
        double s;
        if (parse_decimal(v, vlen, &s) == 0) {
            if (s > 1e9) {
                s -= now_epoch;
                if (!(s > 0.0))
                    s = 0.0;
            }
            h->ratelimit_reset = s;
        }
    } else if (name_is(line, nlen, "x-total-count")) {
        set_long(&h->total_count, v, vlen);
    } else if (name_is(line, nlen, "x-total-pages")) {
        set_long(&h->total_pages, v, vlen);
    } else if (name_is(line, nlen, "x-page")) {
        set_long(&h->page, v, vlen);
    } else if (name_is(line, nlen, "x-page-size")) {
        set_long(&h->page_size, v, vlen);
    } else if (name_is(line, nlen, "content-length")) {
        set_long(&h->content_length, v, vlen);
    } else if (name_is(line, nlen, "date")) {
        double d;
        if (cwa_time_parse_http(v, vlen, &d) == 0) {
            h->date = d;
            h->has_date = 1;
        }
    } else if (name_is(line, nlen, "content-type")) {
        if (!has_control(v, vlen))
            copy_str(h->content_type, sizeof h->content_type, v, vlen);
    } else if (name_is(line, nlen, "location")) {
        if (!has_control(v, vlen) && vlen > 0) {
            h->location_truncated = copy_str(h->location, sizeof h->location, v, vlen);
            h->has_location = 1;
        }
    }
}
