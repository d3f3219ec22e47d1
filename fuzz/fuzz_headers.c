/*
 * libFuzzer target: response headers and the date and delay formats behind
 * them (src/cwa_hdr.h, src/cwa_retry.h, src/cwa_time.h).
 *
 * The first byte picks a header name that is put in front of the rest (so
 * the fuzzer spends its time on values: rate-limit numbers, Retry-After in
 * both forms, totals, dates); the rest is also fed as a block of raw lines
 * the way libcurl delivers them, and straight to cwa_retry_after_parse,
 * cwa_time_parse_iso and cwa_time_parse_http. After every line the struct
 * must keep its invariants (numbers -1 or non-negative, finite doubles,
 * NUL-terminated strings within their arrays); the parsers must leave their
 * outputs untouched on failure; an ISO time must survive a format/parse
 * round trip. Any broken rule aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwa_hdr.h"
#include "cwa_retry.h"
#include "cwa_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                                                      \
    do {                                                                                                \
        if (!(c)) {                                                                                     \
            fprintf(stderr, "fuzz_headers: broken rule at line %d: %s\n", __LINE__, #c);                \
            abort();                                                                                    \
        }                                                                                               \
    } while (0)

/* 2025-06-01T00:00:00Z: a fixed "now" keeps runs reproducible. */
static const double NOW = 1748736000.0;

static const char *const NAMES[] = {
    "Retry-After: ",
    "X-RateLimit-Limit: ",
    "X-RateLimit-Remaining: ",
    "X-RateLimit-Reset: ",
    "RateLimit-Limit: ",
    "RateLimit-Remaining: ",
    "RateLimit-Reset: ",
    "X-Total-Count: ",
    "X-Total-Pages: ",
    "X-Page: ",
    "X-Page-Size: ",
    "Content-Length: ",
    "Date: ",
    "Content-Type: ",
    "Location: ",
    "HTTP/1.1 ",
    "retry-after:",
    "x-ratelimit-reset:\t",
};

static void check_struct(const cwa_headers *h)
{
    REQUIRE(h->status_line_code == -1 || (h->status_line_code >= 0 && h->status_line_code <= 999));
    REQUIRE(h->ratelimit_limit >= -1 && h->ratelimit_remaining >= -1);
    REQUIRE(h->total_count >= -1 && h->total_pages >= -1);
    REQUIRE(h->page >= -1 && h->page_size >= -1 && h->content_length >= -1);
    REQUIRE(isfinite(h->ratelimit_reset) && (h->ratelimit_reset == -1 || h->ratelimit_reset >= 0));
    REQUIRE(h->has_retry_after == 0 || h->has_retry_after == 1);
    if (h->has_retry_after)
        REQUIRE(isfinite(h->retry_after) && h->retry_after >= 0);
    REQUIRE(h->has_date == 0 || h->has_date == 1);
    if (h->has_date)
        REQUIRE(isfinite(h->date));
    REQUIRE(memchr(h->content_type, '\0', sizeof h->content_type) != NULL);
    REQUIRE(memchr(h->location, '\0', sizeof h->location) != NULL);
    REQUIRE(h->has_location || h->location[0] == '\0');
    for (const char *p = h->content_type; *p; p++)
        REQUIRE((unsigned char)*p >= 0x20 || *p == '\t');
    for (const char *p = h->location; *p; p++)
        REQUIRE((unsigned char)*p >= 0x20 || *p == '\t');
}

/* Feeds buf[0..len) as the lines libcurl would hand over (each with its
 * line end), each line in an exact-size allocation so ASan sees overreads. */
static void feed_block(cwa_headers *h, const char *buf, size_t len)
{
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(buf + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - buf) + 1 : len;
        size_t n = end - start;
        char *line = malloc(n ? n : 1);
        if (!line)
            return;
        memcpy(line, buf + start, n);
        cwa_headers_line(h, line, n, NOW);
        free(line);
        check_struct(h);
        start = end;
    }
}

static void check_retry_after(const char *v, size_t n)
{
    double s = -12345.0;
    if (cwa_retry_after_parse(v, n, NOW, &s) == 0)
        REQUIRE(isfinite(s) && s >= 0);
    else
        REQUIRE(s == -12345.0);
}

static void check_iso(const char *v, size_t n)
{
    double e = -12345.0;
    int zone = 7;
    if (cwa_time_parse_iso(v, n, &e, &zone) != 0) {
        REQUIRE(e == -12345.0 && zone == 7);
        return;
    }
    REQUIRE(isfinite(e) && (zone == 0 || zone == 1));
    /* the formatter covers 0000-01-01 .. 9999-12-31; a zone can push a
     * parsed time just outside, where it clamps instead */
    double lo = (double)cwa_days_from_civil(0, 1, 1) * 86400.0;
    double hi = (double)cwa_days_from_civil(10000, 1, 1) * 86400.0;
    if (e < lo || e >= hi)
        return;
    char out[20];
    cwa_time_format_iso(e, out);
    REQUIRE(strlen(out) == 19);
    double back = -1;
    int z2 = 7;
    REQUIRE(cwa_time_parse_iso(out, 19, &back, &z2) == 0);
    REQUIRE(z2 == 0);
    REQUIRE(back == floor(e));
}

static void check_http(const char *v, size_t n)
{
    double e = -12345.0;
    if (cwa_time_parse_http(v, n, &e) == 0)
        REQUIRE(isfinite(e));
    else
        REQUIRE(e == -12345.0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *name = NAMES[data[0] % (sizeof NAMES / sizeof NAMES[0])];
    const char *rest = (const char *)data + 1;
    size_t n = size - 1;

    char *value = malloc(n ? n : 1);
    if (!value)
        return 0;
    if (n)
        memcpy(value, rest, n);

    /* one named header after a status line */
    size_t nl = strlen(name);
    char *line = malloc(nl + n ? nl + n : 1);
    if (line) {
        memcpy(line, name, nl);
        if (n)
            memcpy(line + nl, value, n);
        cwa_headers h;
        cwa_headers_init(&h);
        check_struct(&h);
        cwa_headers_line(&h, "HTTP/1.1 200 OK\r\n", 17, NOW);
        check_struct(&h);
        cwa_headers_line(&h, line, nl + n, NOW);
        check_struct(&h);
        free(line);
    }

    /* the raw bytes as a header block */
    cwa_headers h;
    cwa_headers_init(&h);
    feed_block(&h, value, n);

    check_retry_after(value, n);
    check_iso(value, n);
    check_http(value, n);
    free(value);
    return 0;
}
