#include "cwa_totp.h"
#include "unit.h"

#include <math.h>

static const unsigned char rfc_key[] = "12345678901234567890";

static int b32(const char *s, unsigned char *out, size_t cap, size_t *n)
{
    return cwa_base32_decode(s, strlen(s), out, cap, n);
}

UNIT_TEST(totp_base32_rfc4648_vectors)
{
    static const struct {
        const char *enc, *dec;
    } v[] = {{"", ""},
             {"MY======", "f"},
             {"MZXQ====", "fo"},
             {"MZXW6===", "foo"},
             {"MZXW6YQ=", "foob"},
             {"MZXW6YTB", "fooba"},
             {"MZXW6YTBOI======", "foobar"}};
    for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
        unsigned char out[16];
        size_t n = 99;
        CHECK(b32(v[k].enc, out, sizeof out, &n) == 0);
        CHECK(n == strlen(v[k].dec));
        CHECK(memcmp(out, v[k].dec, n) == 0);
    }
}

UNIT_TEST(totp_base32_lenient_forms)
{
    unsigned char out[32];
    size_t n = 0;
    /* "12345678901234567890" in base32, lower case, grouped, unpadded. */
    CHECK(b32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", out, sizeof out, &n) == 0);
    CHECK(n == 20 && memcmp(out, rfc_key, 20) == 0);
    CHECK(b32("GEZD-GNBV-GY3T-QOJQ-GEZD-GNBV-GY3T-QOJQ", out, sizeof out, &n) == 0);
    CHECK(n == 20 && memcmp(out, rfc_key, 20) == 0);
    CHECK(b32("MZXW6", out, sizeof out, &n) == 0 && n == 3);
    CHECK(b32("MZXW6===  ", out, sizeof out, &n) == 0 && n == 3);
    CHECK(b32("   ", out, sizeof out, &n) == 0 && n == 0);
}

UNIT_TEST(totp_base32_rejects)
{
    unsigned char out[32];
    size_t n = 77;
    const char *bad[] = {"MZXW1", "MZXW8", "MZXW0",  "MZ_XW", "MZ.XW",           "MZ=XW",
                         "M=",    "MZX",   "MZXW6Y", "A",     "MZXW6YT\xc3\xa9", "MZ\tXW"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        CHECK(b32(bad[k], out, sizeof out, &n) == -1);
    CHECK(n == 77);
    CHECK(cwa_base32_decode("MZ\0XW6", 6, out, sizeof out, &n) == -1);
    CHECK(cwa_base32_decode(NULL, 3, out, sizeof out, &n) == -1);
    CHECK(cwa_base32_decode(NULL, 0, out, sizeof out, &n) == 0 && n == 0);
}

UNIT_TEST(totp_base32_capacity)
{
    unsigned char out[5];
    size_t n = 0;
    CHECK(b32("MZXW6YTB", out, 5, &n) == 0 && n == 5);
    CHECK(b32("MZXW6YTB", out, 4, &n) == -1);
    CHECK(b32("MZXW6YTBOI", out, 5, &n) == -1);
    CHECK(b32("MZXW6YTB", NULL, 0, &n) == -1);
    CHECK(b32("", NULL, 0, &n) == 0 && n == 0);
    /* A long secret into a big enough buffer. */
    char in[1601];
    for (int k = 0; k < 1600; k++)
        in[k] = "ABCDEFGH"[k % 8];
    in[1600] = '\0';
    unsigned char big[1000];
    CHECK(b32(in, big, sizeof big, &n) == 0 && n == 1000);
    CHECK(b32(in, big, 999, &n) == -1);
}

UNIT_TEST(totp_rfc6238_sha1_vectors)
{
    static const struct {
        double t;
        const char *code;
    } v[] = {{59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
             {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000.0, "65353130"}};
    for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
        char out[9];
        CHECK(cwa_totp_code(rfc_key, 20, v[k].t, 30, 8, out, sizeof out) == 0);
        CHECK_STR(out, v[k].code);
    }
}

UNIT_TEST(totp_rfc4226_hotp_vectors)
{
    static const char *codes[10] = {"755224", "287082", "359152", "969429", "338314",
                                    "254676", "287922", "162583", "399871", "520489"};
    for (uint64_t c = 0; c < 10; c++) {
        char out[7];
        CHECK(cwa_hotp_code(rfc_key, 20, c, 6, out, sizeof out) == 0);
        CHECK_STR(out, codes[c]);
        /* The same through TOTP: time c*30 (+ anything below a step). */
        CHECK(cwa_totp_code(rfc_key, 20, (double)c * 30 + 29.9, 30, 6, out, sizeof out) == 0);
        CHECK_STR(out, codes[c]);
    }
}

UNIT_TEST(totp_from_base32_secret)
{
    unsigned char key[64];
    size_t n = 0;
    char out[7];
    CHECK(b32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", key, sizeof key, &n) == 0);
    CHECK(cwa_totp_code(key, n, 59, 30, 6, out, sizeof out) == 0);
    CHECK_STR(out, "287082");
    char seven[8];
    CHECK(cwa_totp_code(key, n, 59, 30, 7, seven, sizeof seven) == 0);
    CHECK_STR(seven, "4287082");
}

UNIT_TEST(totp_rejects_bad_arguments)
{
    char out[16] = "untouched";
    CHECK(cwa_totp_code(rfc_key, 20, 59, 30, 5, out, sizeof out) == -1);
    CHECK(cwa_totp_code(rfc_key, 20, 59, 30, 9, out, sizeof out) == -1);
    CHECK(cwa_totp_code(rfc_key, 20, 59, 0, 6, out, sizeof out) == -1);
    CHECK(cwa_totp_code(rfc_key, 20, 59, -30, 6, out, sizeof out) == -1);
    CHECK(cwa_totp_code(rfc_key, 20, -1, 30, 6, out, sizeof out) == -1);
    CHECK(cwa_totp_code(rfc_key, 20, NAN, 30, 6, out, sizeof out) == -1);
    CHECK(cwa_totp_code(rfc_key, 20, 1e300, 30, 6, out, sizeof out) == -1);
    CHECK(cwa_totp_code(rfc_key, 0, 59, 30, 6, out, sizeof out) == -1);
    CHECK(cwa_totp_code(NULL, 20, 59, 30, 6, out, sizeof out) == -1);
    CHECK(cwa_totp_code(rfc_key, 20, 59, 30, 6, out, 6) == -1);
    CHECK(cwa_totp_code(rfc_key, 20, 59, 30, 6, NULL, 7) == -1);
    CHECK_STR(out, "untouched");
    CHECK(cwa_totp_code(rfc_key, 20, 59, 30, 6, out, 7) == 0);
    CHECK(strlen(out) == 6);
}

UNIT_TEST(totp_step_boundaries)
{
    char a[9], b[9], c[9];
    CHECK(cwa_totp_code(rfc_key, 20, 1111111110.0, 30, 8, a, sizeof a) == 0);
    CHECK(cwa_totp_code(rfc_key, 20, 1111111139.999, 30, 8, b, sizeof b) == 0);
    CHECK(cwa_totp_code(rfc_key, 20, 1111111140.0, 30, 8, c, sizeof c) == 0);
    CHECK(strcmp(a, b) == 0);
    CHECK(strcmp(b, c) != 0);
    CHECK_STR(a, "14050471");
    /* A 60-second step counts in minutes. */
    CHECK(cwa_totp_code(rfc_key, 20, 119, 60, 6, a, sizeof a) == 0);
    CHECK_STR(a, "287082");
}
