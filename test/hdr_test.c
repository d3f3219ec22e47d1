#include "cwa_hdr.h"
#include "unit.h"

#include <math.h>
#include <stdlib.h>

static void feed(cwa_headers *h, const char *s)
{
    cwa_headers_line(h, s, strlen(s), 1000000000.0);
}

UNIT_TEST(hdr_init_all_absent)
{
    cwa_headers h;
    memset(&h, 0x5a, sizeof h);
    cwa_headers_init(&h);
    CHECK(h.status_line_code == -1 && h.ratelimit_limit == -1 && h.ratelimit_remaining == -1);
    CHECK(h.ratelimit_reset == -1 && h.total_count == -1 && h.total_pages == -1);
    CHECK(h.page == -1 && h.page_size == -1 && h.content_length == -1);
    CHECK(!h.has_retry_after && !h.has_date && !h.has_location && !h.location_truncated);
    CHECK_STR(h.content_type, "");
    CHECK(h.location[0] == '\0');
}

UNIT_TEST(hdr_status_lines)
{
    cwa_headers h;
    cwa_headers_init(&h);
    feed(&h, "HTTP/1.1 200 OK\r\n");
    CHECK(h.status_line_code == 200);
    feed(&h, "HTTP/2 429\r\n");
    CHECK(h.status_line_code == 429);
    feed(&h, "HTTP/2 204 \r\n");
    CHECK(h.status_line_code == 204);
    feed(&h, "HTTP/1.0 503 Service Unavailable\n");
    CHECK(h.status_line_code == 503);
    feed(&h, "HTTP/1.1 404");
    CHECK(h.status_line_code == 404);
}

UNIT_TEST(hdr_bad_status_lines_reset_and_stay_absent)
{
    const char *bad[] = {"HTTP/1.1 20 OK\r\n", "HTTP/1.1 2000 OK\r\n", "HTTP/ 200 OK\r\n",
                         "HTTP/1.1200 OK\r\n", "HTTP/1.1 abc\r\n",     "HTTP/1.1\r\n",
                         "HTTP/\r\n",          "HTTP/1.1 -20 x\r\n"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        cwa_headers h;
        cwa_headers_init(&h);
        feed(&h, "HTTP/1.1 200 OK\r\n");
        feed(&h, "X-Page: 3\r\n");
        feed(&h, bad[k]);
        CHECK(h.status_line_code == -1);
        CHECK(h.page == -1);
    }
}

UNIT_TEST(hdr_new_status_line_resets_previous_response)
{
    cwa_headers h;
    cwa_headers_init(&h);
    feed(&h, "HTTP/1.1 302 Found\r\n");
    feed(&h, "Location: https://other.example/x\r\n");
    feed(&h, "Retry-After: 5\r\n");
    feed(&h, "X-Total-Count: 10\r\n");
    feed(&h, "\r\n");
    CHECK(h.has_location && h.has_retry_after && h.total_count == 10);
    feed(&h, "HTTP/1.1 200 OK\r\n");
    CHECK(h.status_line_code == 200);
    CHECK(!h.has_location && !h.has_retry_after && h.total_count == -1);
    CHECK(h.location[0] == '\0');
}

UNIT_TEST(hdr_pagination_headers)
{
    cwa_headers h;
    cwa_headers_init(&h);
    feed(&h, "HTTP/1.1 200 OK\r\n");
    feed(&h, "X-Total-Count: 1234\r\n");
    feed(&h, "x-total-pages:   5\r\n");
    feed(&h, "X-PAGE: 2 \t\r\n");
    feed(&h, "X-Page-Size:\t250\n");
    feed(&h, "Content-Length: 99\r\n");
    CHECK(h.total_count == 1234 && h.total_pages == 5 && h.page == 2 && h.page_size == 250);
    CHECK(h.content_length == 99);
}

UNIT_TEST(hdr_numbers_must_fully_parse)
{
    const char *bad[] = {"X-Page: \r\n",
                         "X-Page: -1\r\n",
                         "X-Page: +1\r\n",
                         "X-Page: 1 2\r\n",
                         "X-Page: 1.5\r\n",
                         "X-Page: 0x10\r\n",
                         "X-Page: 12abc\r\n",
                         "X-Page: 99999999999999999999999999\r\n",
                         "X-Page: 9223372036854775808\r\n",
                         "X-Page: 1\r2\r\n"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        cwa_headers h;
        cwa_headers_init(&h);
        feed(&h, bad[k]);
        CHECK(h.page == -1);
    }
    cwa_headers h;
    cwa_headers_init(&h);
    feed(&h, "X-Page: 9223372036854775807\r\n");
    CHECK(h.page == 9223372036854775807L || sizeof(long) < 8);
    feed(&h, "X-Page: 0\r\n");
    CHECK(h.page == 0);
    feed(&h, "X-Page: 000007\r\n");
    CHECK(h.page == 7);
    /* An invalid repeat keeps the earlier valid value. */
    feed(&h, "X-Page: nope\r\n");
    CHECK(h.page == 7);
}

UNIT_TEST(hdr_ratelimit_headers)
{
    cwa_headers h;
    cwa_headers_init(&h);
    feed(&h, "X-RateLimit-Limit: 60\r\n");
    feed(&h, "X-RateLimit-Remaining: 0\r\n");
    feed(&h, "X-RateLimit-Reset: 42\r\n");
    CHECK(h.ratelimit_limit == 60 && h.ratelimit_remaining == 0 && h.ratelimit_reset == 42.0);
    cwa_headers_init(&h);
    feed(&h, "RateLimit-Limit: 10\r\n");
    feed(&h, "ratelimit-remaining: 3\r\n");
    feed(&h, "RateLimit-Reset: 1.5\r\n");
    CHECK(h.ratelimit_limit == 10 && h.ratelimit_remaining == 3 && h.ratelimit_reset == 1.5);
}

UNIT_TEST(hdr_ratelimit_reset_epoch)
{
    cwa_headers h;
    cwa_headers_init(&h);
    /* now_epoch in feed() is 1e9. */
    feed(&h, "X-RateLimit-Reset: 1000000030\r\n");
    CHECK(h.ratelimit_reset == 30.0);
    feed(&h, "X-RateLimit-Reset: 1000000000.5\r\n");
    CHECK(fabs(h.ratelimit_reset - 0.5) < 1e-6);
    cwa_headers_line(&h, "X-RateLimit-Reset: 1500000000\r\n", 31, 1600000000.0);
    CHECK(h.ratelimit_reset == 0.0);
    cwa_headers_init(&h);
    feed(&h, "X-RateLimit-Reset: -5\r\n");
    feed(&h, "X-RateLimit-Reset: 5s\r\n");
    feed(&h, "X-RateLimit-Reset: 99999999999999999999999\r\n");
    feed(&h, "X-RateLimit-Reset: .5\r\n");
    CHECK(h.ratelimit_reset == -1);
}

UNIT_TEST(hdr_retry_after)
{
    cwa_headers h;
    cwa_headers_init(&h);
    feed(&h, "Retry-After: 120\r\n");
    CHECK(h.has_retry_after && h.retry_after == 120.0);
    cwa_headers_init(&h);
    /* 1000000010 == Sun, 09 Sep 2001 01:46:50 GMT */
    feed(&h, "retry-after: Sun, 09 Sep 2001 01:46:50 GMT\r\n");
    CHECK(h.has_retry_after && h.retry_after == 10.0);
    cwa_headers_init(&h);
    feed(&h, "Retry-After: soon\r\n");
    feed(&h, "Retry-After: -3\r\n");
    CHECK(!h.has_retry_after && h.retry_after == -1);
}

UNIT_TEST(hdr_date)
{
    cwa_headers h;
    cwa_headers_init(&h);
    feed(&h, "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
    CHECK(h.has_date && h.date == 784111777.0);
    cwa_headers_init(&h);
    feed(&h, "Date: yesterday\r\n");
    CHECK(!h.has_date && h.date == -1);
}

UNIT_TEST(hdr_content_type_and_truncation)
{
    cwa_headers h;
    cwa_headers_init(&h);
    feed(&h, "Content-Type:   application/json; charset=utf-8  \r\n");
    CHECK_STR(h.content_type, "application/json; charset=utf-8");
    char line[300];
    memcpy(line, "Content-Type: ", 14);
    memset(line + 14, 'x', 200);
    memcpy(line + 214, "\r\n", 3);
    feed(&h, line);
    CHECK(strlen(h.content_type) == 63);
    feed(&h, "Content-Type: text/ht\x01ml\r\n");
    CHECK(strlen(h.content_type) == 63); /* control byte: ignored */
    feed(&h, "Content-Type: \r\n");
    CHECK_STR(h.content_type, "");
}

UNIT_TEST(hdr_location)
{
    cwa_headers h;
    cwa_headers_init(&h);
    feed(&h, "Location: /cwa/api/v1/Computers/5\r\n");
    CHECK(h.has_location && !h.location_truncated);
    CHECK(strcmp(h.location, "/cwa/api/v1/Computers/5") == 0);
    size_t n = 10 + 5000 + 2;
    char *big = malloc(n);
    CHECK(big != NULL);
    if (!big)
        return;
    memcpy(big, "Location: ", 10);
    memset(big + 10, 'a', 5000);
    memcpy(big + 5010, "\r\n", 2);
    cwa_headers_line(&h, big, n, 0);
    free(big);
    CHECK(h.has_location && h.location_truncated);
    CHECK(strlen(h.location) == 511);
    cwa_headers_init(&h);
    feed(&h, "Location: http://a/\x7f\r\n");
    CHECK(!h.has_location);
    feed(&h, "Location:   \r\n");
    CHECK(!h.has_location);
}

UNIT_TEST(hdr_ignores_malformed_lines)
{
    cwa_headers h, ref;
    cwa_headers_init(&h);
    cwa_headers_init(&ref);
    const char *junk[] = {"\r\n",
                          "\n",
                          "",
                          "no colon here\r\n",
                          ": 5\r\n",
                          "X-Page : 5\r\n",
                          " X-Page: 5\r\n",
                          "\tX-Page: 5\r\n",
                          "X Page: 5\r\n",
                          "X-Pages: 5\r\n",
                          "X-Pag: 5\r\n",
                          "X-Page-: 5\r\n",
                          "http/1.1 200 OK\r\n"};
    for (size_t k = 0; k < sizeof junk / sizeof *junk; k++)
        feed(&h, junk[k]);
    ref.complete = 1; /* the empty lines end a block and change nothing else */
    CHECK(memcmp(&h, &ref, sizeof h) == 0);
    cwa_headers_line(NULL, "X-Page: 1", 9, 0);
    cwa_headers_line(&h, NULL, 9, 0);
    CHECK(memcmp(&h, &ref, sizeof h) == 0);
}

UNIT_TEST(hdr_nul_bytes_and_missing_cr)
{
    cwa_headers h;
    cwa_headers_init(&h);
    cwa_headers_line(&h, "X-Page: 4\0005\r\n", 13, 0);
    CHECK(h.page == -1);
    cwa_headers_line(&h, "X-Pa\0ge: 4\r\n", 12, 0);
    CHECK(h.page == -1);
    cwa_headers_line(&h, "Location: /a\0/b\r\n", 17, 0);
    CHECK(!h.has_location);
    /* len excludes the newline, or there is no newline at all. */
    cwa_headers_line(&h, "X-Page: 4", 9, 0);
    CHECK(h.page == 4);
    cwa_headers_line(&h, "X-Page: 45678", 9, 0);
    CHECK(h.page == 4);
    cwa_headers_line(&h, "X-Page: 6\r\r\n\n", 13, 0);
    CHECK(h.page == 6);
}

UNIT_TEST(hdr_pseudo_random_bytes_do_not_crash)
{
    /* A cheap stand-in for the fuzzer: many random lines with header-ish
     * prefixes, checked by ASan/UBSan in the sanitize build. */
    static const char *prefixes[] = {"",           "HTTP/",         "HTTP/1.1 ",
                                     "X-Page:",    "Retry-After: ", "Date: ",
                                     "Location: ", "Content-Type:", "X-RateLimit-Reset:"};
    unsigned long long s = 88172645463325252ULL;
    char line[700];
    cwa_headers h;
    cwa_headers_init(&h);
    for (int it = 0; it < 20000; it++) {
        const char *p = prefixes[it % 9];
        size_t pl = strlen(p);
        memcpy(line, p, pl);
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        size_t n = pl + (size_t)(s % 600);
        for (size_t k = pl; k < n; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            line[k] = it & 1 ? (char)(s & 0xff) : "0123456789 :,-GMTSunNov\r\n\t."[s % 28];
        }
        cwa_headers_line(&h, line, n, 1e9);
        CHECK(strlen(h.location) < sizeof h.location);
        CHECK(strlen(h.content_type) < sizeof h.content_type);
        CHECK(h.status_line_code >= -1 && h.status_line_code <= 999);
    }
}

UNIT_TEST(hdr_complete_only_after_the_empty_line)
{
    cwa_headers h;
    cwa_headers_init(&h);
    CHECK(!h.complete);
    feed(&h, "HTTP/1.1 200 OK\r\n");
    feed(&h, "Content-Type: application/json\r\n");
    CHECK(!h.complete);
    /* a reply cut in the middle of a line: still not complete */
    feed(&h, "Content-Le");
    CHECK(!h.complete);
    feed(&h, "\r\n");
    CHECK(h.complete);
    /* a 100 Continue block ends, then the real answer starts over */
    cwa_headers_init(&h);
    feed(&h, "HTTP/1.1 100 Continue\r\n");
    feed(&h, "\n");
    CHECK(h.complete);
    feed(&h, "HTTP/1.1 200 OK\r\n");
    CHECK(!h.complete && h.status_line_code == 200);
    cwa_headers_line(&h, "", 0, 0); /* no line at all is not an empty line */
    CHECK(!h.complete);
    feed(&h, "\r\n");
    CHECK(h.complete);
}
