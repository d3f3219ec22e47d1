#include "cwa_retry.h"
#include "unit.h"

#include <math.h>

static int ra(const char *s, double now, double *out)
{
    return cwa_retry_after_parse(s, strlen(s), now, out);
}

UNIT_TEST(retry_429_any_method)
{
    CHECK(cwa_retry_classify(1, 429, CWA_NET_NONE, 1) == CWA_RETRY_AFTER);
    CHECK(cwa_retry_classify(0, 429, CWA_NET_NONE, 1) == CWA_RETRY_AFTER);
    CHECK(cwa_retry_classify(1, 429, CWA_NET_NONE, 0) == CWA_RETRY_BACKOFF);
    CHECK(cwa_retry_classify(0, 429, CWA_NET_NONE, 0) == CWA_RETRY_BACKOFF);
}

UNIT_TEST(retry_5xx_rules)
{
    static const int codes[] = {500, 502, 504};
    for (size_t k = 0; k < 3; k++) {
        CHECK(cwa_retry_classify(1, codes[k], CWA_NET_NONE, 0) == CWA_RETRY_BACKOFF);
        CHECK(cwa_retry_classify(0, codes[k], CWA_NET_NONE, 0) == CWA_RETRY_NO);
        /* Retry-After on a 500 does not prove the server did not act. */
        CHECK(cwa_retry_classify(0, codes[k], CWA_NET_NONE, 1) == CWA_RETRY_NO);
    }
    CHECK(cwa_retry_classify(1, 503, CWA_NET_NONE, 1) == CWA_RETRY_AFTER);
    CHECK(cwa_retry_classify(0, 503, CWA_NET_NONE, 1) == CWA_RETRY_NO);
    CHECK(cwa_retry_classify(1, 503, CWA_NET_NONE, 0) == CWA_RETRY_BACKOFF);
    CHECK(cwa_retry_classify(0, 503, CWA_NET_NONE, 0) == CWA_RETRY_NO);
    CHECK(cwa_retry_classify(1, 501, CWA_NET_NONE, 0) == CWA_RETRY_NO);
    CHECK(cwa_retry_classify(1, 505, CWA_NET_NONE, 0) == CWA_RETRY_NO);
}

UNIT_TEST(retry_never_client_errors)
{
    static const int codes[] = {200, 204, 301, 400, 401, 403, 404, 405, 409, 413, 422, 0, -1, 99999};
    for (size_t k = 0; k < sizeof codes / sizeof *codes; k++) {
        CHECK(cwa_retry_classify(1, codes[k], CWA_NET_NONE, 1) == CWA_RETRY_NO);
        CHECK(cwa_retry_classify(0, codes[k], CWA_NET_NONE, 0) == CWA_RETRY_NO);
    }
}

UNIT_TEST(retry_network_errors)
{
    CHECK(cwa_retry_classify(0, 0, CWA_NET_CONNECT, 0) == CWA_RETRY_BACKOFF);
    CHECK(cwa_retry_classify(0, 0, CWA_NET_RESOLVE, 0) == CWA_RETRY_NO);
    CHECK(cwa_retry_classify(1, 0, CWA_NET_RESOLVE, 0) == CWA_RETRY_NO);
    CHECK(cwa_retry_classify(1, 0, CWA_NET_CONNECT, 0) == CWA_RETRY_BACKOFF);
    static const cwa_net_error maybe[] = {CWA_NET_SEND, CWA_NET_RECV, CWA_NET_TIMEOUT, CWA_NET_OTHER};
    for (size_t k = 0; k < 4; k++) {
        CHECK(cwa_retry_classify(1, 0, maybe[k], 0) == CWA_RETRY_BACKOFF);
        CHECK(cwa_retry_classify(0, 0, maybe[k], 0) == CWA_RETRY_NO);
    }
    CHECK(cwa_retry_classify(1, 0, CWA_NET_TLS, 0) == CWA_RETRY_NO);
    CHECK(cwa_retry_classify(0, 0, CWA_NET_TLS, 1) == CWA_RETRY_NO);
    /* A network error during a 200's body wins over the status. */
    CHECK(cwa_retry_classify(0, 200, CWA_NET_RECV, 0) == CWA_RETRY_NO);
    CHECK(cwa_retry_classify(1, 200, CWA_NET_RECV, 0) == CWA_RETRY_BACKOFF);
    CHECK(cwa_retry_classify(1, 0, (cwa_net_error)42, 0) == CWA_RETRY_BACKOFF);
}

UNIT_TEST(retry_after_seconds)
{
    double s = -1;
    CHECK(ra("120", 0, &s) == 0 && s == 120.0);
    CHECK(ra("0", 0, &s) == 0 && s == 0.0);
    CHECK(ra("  7 \t", 0, &s) == 0 && s == 7.0);
    CHECK(ra("1.5", 0, &s) == 0 && s == 1.5);
    CHECK(ra("000000000000000000000000000005", 0, &s) == 0 && s == 5.0);
    CHECK(ra("1000000000", 0, &s) == 0 && s == 1e9);
}

UNIT_TEST(retry_after_rejects)
{
    double s = 99;
    const char *bad[] = {"",
                         "   ",
                         "-1",
                         "+1",
                         "1e3",
                         "1.",
                         ".5",
                         "1 2",
                         "abc",
                         "12abc",
                         "0x10",
                         "1000000001",
                         "99999999999999999999999999999999999999",
                         "1,5",
                         "inf",
                         "nan",
                         "1000000000.5"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        CHECK(ra(bad[k], 1e9, &s) == -1);
    CHECK(s == 99);
    CHECK(cwa_retry_after_parse("12\0003", 4, 0, &s) == -1);
    CHECK(cwa_retry_after_parse(NULL, 0, 0, &s) == -1);
    CHECK(cwa_retry_after_parse("12", 1, 0, &s) == 0 && s == 1.0);
}

UNIT_TEST(retry_after_http_date)
{
    double s = -1;
    /* Sun, 06 Nov 1994 08:49:37 GMT == 784111777 */
    CHECK(ra("Sun, 06 Nov 1994 08:49:37 GMT", 784111777.0 - 30, &s) == 0 && s == 30.0);
    CHECK(ra("Sun, 06 Nov 1994 08:49:37 GMT", 784111777.0 + 30, &s) == 0 && s == 0.0);
    CHECK(ra(" Sunday, 06-Nov-94 08:49:37 GMT ", 784111777.0 - 2.5, &s) == 0 && s == 2.5);
    CHECK(ra("Sun, 06 Nov 1994 08:49:37", 0, &s) == -1);
}

UNIT_TEST(retry_rng_deterministic_and_uniform)
{
    uint64_t a = 1, b = 1, z = 0;
    CHECK(cwa_rng_next(&a) == cwa_rng_next(&b));
    CHECK(cwa_rng_next(&a) == cwa_rng_next(&b));
    CHECK(cwa_rng_next(&z) != 0 || cwa_rng_next(&z) != 0);
    uint64_t st = 12345;
    double sum = 0, lo = 1, hi = 0;
    for (int k = 0; k < 100000; k++) {
        double u = cwa_rng_unit(&st);
        CHECK(u >= 0.0 && u < 1.0);
        sum += u;
        if (u < lo)
            lo = u;
        if (u > hi)
            hi = u;
    }
    CHECK(fabs(sum / 100000 - 0.5) < 0.01);
    CHECK(lo < 0.001 && hi > 0.999);
}

UNIT_TEST(retry_backoff_bounds)
{
    uint64_t st = 7;
    for (int attempt = 0; attempt < 10; attempt++) {
        double bound = fmin(30.0, 0.5 * pow(2, attempt)), mx = 0;
        for (int k = 0; k < 2000; k++) {
            double d = cwa_backoff_delay(attempt, 0.5, 30.0, &st);
            CHECK(d >= 0.0 && d <= bound);
            if (d > mx)
                mx = d;
        }
        CHECK(mx > bound * 0.9);
    }
}

UNIT_TEST(retry_backoff_hostile_arguments)
{
    uint64_t st = 99;
    double d = cwa_backoff_delay(2147483647, 1.0, 10.0, &st);
    CHECK(d >= 0 && d <= 10.0 && !isnan(d));
    d = cwa_backoff_delay(-5, 1.0, 10.0, &st);
    CHECK(d >= 0 && d <= 1.0);
    d = cwa_backoff_delay(100000, 1.0, INFINITY, &st);
    CHECK(d >= 0 && d <= 1e9 && !isnan(d));
    CHECK(cwa_backoff_delay(3, 0.0, 10.0, &st) == 0.0);
    CHECK(cwa_backoff_delay(3, 1.0, -1.0, &st) == 0.0);
    CHECK(cwa_backoff_delay(3, NAN, 10.0, &st) == 0.0);
    CHECK(cwa_backoff_delay(3, 1.0, NAN, &st) == 0.0);
    /* base above cap: the cap wins from the first attempt. */
    CHECK(cwa_backoff_delay(0, 100.0, 2.0, &st) <= 2.0);
}
