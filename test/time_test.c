#include "cwa_time.h"
#include "unit.h"

#include <math.h>

static int iso(const char *s, double *e, int *z)
{
    return cwa_time_parse_iso(s, strlen(s), e, z);
}

static int http(const char *s, double *e)
{
    return cwa_time_parse_http(s, strlen(s), e);
}

UNIT_TEST(time_clocks_advance)
{
    double n = cwa_time_now(), m1 = cwa_time_mono(), m2 = cwa_time_mono();
    CHECK(n > 1.6e9);
    CHECK(m2 >= m1);
    CHECK(m1 > 0);
}

UNIT_TEST(time_days_from_civil_round_trip)
{
    CHECK(cwa_days_from_civil(1970, 1, 1) == 0);
    CHECK(cwa_days_from_civil(2000, 3, 1) == 11017);
    CHECK(cwa_days_from_civil(1969, 12, 31) == -1);
    for (long long days = -800000; days < 3000000; days += 997) {
        long long y;
        int m, d;
        cwa_civil_from_days(days, &y, &m, &d);
        CHECK(cwa_days_from_civil(y, m, d) == days);
    }
}

UNIT_TEST(time_iso_date_only)
{
    double e = -1;
    int z = 7;
    CHECK(iso("2024-02-14", &e, &z) == 0);
    CHECK(e == 1707868800.0);
    CHECK(z == 0);
    CHECK(iso("1970-01-01", &e, &z) == 0 && e == 0.0);
}

UNIT_TEST(time_iso_datetime_forms)
{
    double e;
    int z;
    CHECK(iso("2024-02-14T10:20:30", &e, &z) == 0 && e == 1707906030.0 && z == 0);
    CHECK(iso("2024-02-14 10:20:30", &e, &z) == 0 && e == 1707906030.0);
    CHECK(iso("2024-02-14t10:20:30", &e, &z) == 0 && e == 1707906030.0);
    CHECK(iso("2024-02-14T10:20", &e, &z) == 0 && e == 1707906000.0);
    CHECK(iso("2024-02-14T10:20:30Z", &e, &z) == 0 && e == 1707906030.0 && z == 1);
}

UNIT_TEST(time_iso_fraction)
{
    double e;
    int z;
    CHECK(iso("2024-02-14T10:20:30.5", &e, &z) == 0 && fabs(e - 1707906030.5) < 1e-6);
    CHECK(iso("2024-02-14T10:20:30.1234567", &e, &z) == 0);
    CHECK(fabs(e - 1707906030.1234567) < 1e-5);
    CHECK(iso("2024-02-14T10:20:30.1234567Z", &e, &z) == 0 && z == 1);
    /* Very long fractions still parse (only precision is lost). */
    CHECK(iso("2024-02-14T10:20:30.99999999999999999999999999999", &e, &z) == 0);
    CHECK(e < 1707906031.0 + 1e-6);
    CHECK(iso("2024-02-14T10:20:30.", &e, &z) == -1);
    CHECK(iso("2024-02-14T10:20:30.12a", &e, &z) == -1);
}

UNIT_TEST(time_iso_offsets)
{
    double e;
    int z;
    CHECK(iso("2024-02-14T10:20:30+02:00", &e, &z) == 0 && e == 1707906030.0 - 7200 && z == 1);
    CHECK(iso("2024-02-14T10:20:30-05:30", &e, &z) == 0 && e == 1707906030.0 + 5.5 * 3600);
    CHECK(iso("2024-02-14T10:20:30+0200", &e, &z) == 0 && e == 1707906030.0 - 7200);
    CHECK(iso("2024-02-14T10:20:30+02", &e, &z) == 0 && e == 1707906030.0 - 7200);
    CHECK(iso("2024-02-14T10:20:30.25-00:00", &e, &z) == 0 && e == 1707906030.25);
    CHECK(iso("2024-02-14T10:20:30+24:00", &e, &z) == -1);
    CHECK(iso("2024-02-14T10:20:30+02:60", &e, &z) == -1);
    CHECK(iso("2024-02-14T10:20:30+2", &e, &z) == -1);
    CHECK(iso("2024-02-14T10:20:30+02:0", &e, &z) == -1);
    CHECK(iso("2024-02-14T10:20:30+020", &e, &z) == -1);
    CHECK(iso("2024-02-14T10:20:30ZZ", &e, &z) == -1);
    CHECK(iso("2024-02-14T10:20:30 Z", &e, &z) == -1);
}

UNIT_TEST(time_iso_range_checks)
{
    double e;
    int z;
    CHECK(iso("2024-02-29", &e, &z) == 0);
    CHECK(iso("2023-02-29", &e, &z) == -1);
    CHECK(iso("2000-02-29", &e, &z) == 0);
    CHECK(iso("1900-02-29", &e, &z) == -1);
    CHECK(iso("2024-04-31", &e, &z) == -1);
    CHECK(iso("2024-12-31", &e, &z) == 0);
    CHECK(iso("2024-13-01", &e, &z) == -1);
    CHECK(iso("2024-00-10", &e, &z) == -1);
    CHECK(iso("2024-01-00", &e, &z) == -1);
    CHECK(iso("2024-01-32", &e, &z) == -1);
    CHECK(iso("2024-01-01T24:00:00", &e, &z) == -1);
    CHECK(iso("2024-01-01T23:60:00", &e, &z) == -1);
    CHECK(iso("2024-01-01T23:59:61", &e, &z) == -1);
    CHECK(iso("2016-12-31T23:59:60Z", &e, &z) == 0 && e == 1483228799.0);
}

UNIT_TEST(time_iso_rejects_garbage)
{
    double e = 42;
    int z = 42;
    const char *bad[] = {"",
                         "2024",
                         "2024-1-01",
                         "24-01-01",
                         "2024/01/01",
                         "2024-01-01T",
                         "2024-01-01T1:00",
                         "2024-01-01T10",
                         "2024-01-01T10:00:",
                         "2024-01-01X10:00",
                         " 2024-01-01",
                         "2024-01-01 ",
                         "2024-01-01T10:00:00 ",
                         "abcd-ef-gh",
                         "+2024-01-01",
                         "2024-01-01T10:00:00.5.5"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        CHECK(iso(bad[k], &e, &z) == -1);
    CHECK(e == 42 && z == 42);
    CHECK(cwa_time_parse_iso(NULL, 0, &e, &z) == -1);
}

UNIT_TEST(time_iso_respects_len_and_nul)
{
    double e;
    int z;
    /* len shorter than the string: only the prefix counts. */
    CHECK(cwa_time_parse_iso("2024-02-14T10:20:30Zjunk", 20, &e, &z) == 0 && z == 1);
    CHECK(cwa_time_parse_iso("2024-02-14T10:20:30", 10, &e, &z) == 0 && e == 1707868800.0);
    CHECK(cwa_time_parse_iso("2024-02-14\0T10:20", 16, &e, &z) == -1);
    CHECK(cwa_time_parse_iso("2024-02-1", 9, &e, &z) == -1);
    CHECK(cwa_time_parse_iso("2024-02-14", 0, &e, &z) == -1);
}

UNIT_TEST(time_http_imf_fixdate)
{
    double e = 0;
    CHECK(http("Sun, 06 Nov 1994 08:49:37 GMT", &e) == 0 && e == 784111777.0);
    CHECK(http("  sun, 06 nov 1994 08:49:37 gmt  ", &e) == 0 && e == 784111777.0);
    CHECK(http("Sun, 6 Nov 1994 08:49:37 GMT", &e) == 0 && e == 784111777.0);
    CHECK(http("Thu, 01 Jan 1970 00:00:00 GMT", &e) == 0 && e == 0.0);
    CHECK(http("Thu, 29 Feb 2024 12:00:00 UTC", &e) == 0);
}

UNIT_TEST(time_http_rfc850_and_asctime)
{
    double e = 0;
    CHECK(http("Sunday, 06-Nov-94 08:49:37 GMT", &e) == 0 && e == 784111777.0);
    CHECK(http("Wednesday, 14-Feb-24 00:00:00 GMT", &e) == 0 && e == 1707868800.0);
    CHECK(http("Sunday, 06-Nov-1994 08:49:37 GMT", &e) == 0 && e == 784111777.0);
    CHECK(http("Sun Nov  6 08:49:37 1994", &e) == 0 && e == 784111777.0);
    CHECK(http("Sun Nov 16 08:49:37 1994", &e) == 0 && e == 784111777.0 + 10 * 86400);
}

UNIT_TEST(time_http_rejects)
{
    double e = 5;
    const char *bad[] = {"",
                         "Sun, 06 Nov 1994 08:49:37",
                         "Sun, 06 Nov 1994 08:49:37 PST",
                         "Sun, 31 Feb 1994 08:49:37 GMT",
                         "Sun, 06 Nox 1994 08:49:37 GMT",
                         "Sunx, 06 Nov 1994 08:49:37 GMT",
                         "Sun 06 Nov 1994 08:49:37 GMT",
                         "Sun, 06 Nov 94 08:49:37 GMT",
                         "Sun, 06 Nov 1994 8:49:37 GMT",
                         "Sun, 06 Nov 1994 25:49:37 GMT",
                         "Sun, 06 Nov 1994 08:49:37 GMTx",
                         "Sun, 06 Nov 1994 08:49:37 GMT garbage",
                         "Sunday Nov  6 08:49:37 1994",
                         "Sun Nov  6 08:49:37 94",
                         "120",
                         "Sun, 006 Nov 1994 08:49:37 GMT"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        CHECK(http(bad[k], &e) == -1);
    CHECK(e == 5);
    CHECK(cwa_time_parse_http("Sun, 06 Nov 1994\0 08:49:37 GMT", 30, &e) == -1);
    CHECK(cwa_time_parse_http(NULL, 3, &e) == -1);
}

UNIT_TEST(time_format_iso)
{
    char out[20];
    cwa_time_format_iso(0, out);
    CHECK_STR(out, "1970-01-01T00:00:00");
    cwa_time_format_iso(1707906030.9, out);
    CHECK_STR(out, "2024-02-14T10:20:30");
    cwa_time_format_iso(-0.5, out);
    CHECK_STR(out, "1969-12-31T23:59:59");
    cwa_time_format_iso(951782400, out);
    CHECK_STR(out, "2000-02-29T00:00:00");
    cwa_time_format_iso(1e300, out);
    CHECK_STR(out, "9999-12-31T23:59:59");
    cwa_time_format_iso(-1e300, out);
    CHECK_STR(out, "0000-01-01T00:00:00");
    cwa_time_format_iso(NAN, out);
    CHECK_STR(out, "1970-01-01T00:00:00");
}

UNIT_TEST(time_format_parse_round_trip)
{
    char out[20];
    for (double t = -5e10; t < 2.5e11; t += 123456789.0) {
        double e;
        int z;
        double whole = floor(t);
        cwa_time_format_iso(whole, out);
        CHECK(cwa_time_parse_iso(out, 19, &e, &z) == 0);
        CHECK(e == whole);
    }
}

UNIT_TEST(time_parsers_survive_random_bytes)
{
    /* Mutations of valid dates plus raw noise, for ASan/UBSan to watch. */
    static const char *seeds[] = {"2024-02-14T10:20:30.1234567+02:00", "Sun, 06 Nov 1994 08:49:37 GMT",
                                  "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"};
    unsigned long long s = 0x9e3779b97f4a7c15ULL;
    char buf[64];
    for (int it = 0; it < 40000; it++) {
        const char *seed = seeds[it % 4];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        for (int m = 0; m < 1 + it % 3; m++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            buf[s % n] = it & 4 ? (char)((s >> 8) & 0xff) : "0123456789:-+TZ .,aGMT"[(s >> 8) % 22];
        }
        size_t len = n - (size_t)(s >> 20) % 3;
        double e = 0;
        int z = 0;
        if (cwa_time_parse_iso(buf, len, &e, &z) == 0)
            CHECK(isfinite(e) && (z == 0 || z == 1));
        if (cwa_time_parse_http(buf, len, &e) == 0)
            CHECK(isfinite(e));
    }
}
