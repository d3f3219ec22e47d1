#include "cwa_totp.h"

#include <limits.h>
#include <math.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

static int b32_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

int cwa_base32_decode(const char *in, size_t len, unsigned char *out, size_t cap, size_t *outlen)
{
    uint32_t acc = 0;
    int bits = 0, padding = 0;
    size_t n = 0, symbols = 0;
    if (!in && len)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '-')
            continue;
        if (c == '=') {
            padding = 1;
            continue;
        }
        int v = b32_value(c);
        if (v < 0 || padding)
            return -1;
        symbols++;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (n >= cap || !out)
                return -1;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    size_t tail = symbols % 8;
    if (tail == 1 || tail == 3 || tail == 6)
        return -1;
    if (outlen)
        *outlen = n;
    return 0;
}

int cwa_hotp_code(const unsigned char *key, size_t keylen, uint64_t counter, int digits, char *out,
                  size_t outcap)
{
    static const uint32_t pow10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
    unsigned char msg[8], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!key || keylen == 0 || keylen > INT_MAX || digits < 6 || digits > 8 || !out ||
        outcap < (size_t)digits + 1)
        return -1;
    for (int k = 7; k >= 0; k--) {
        msg[k] = (unsigned char)(counter & 0xff);
        counter >>= 8;
    }
    if (!HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof msg, md, &mdlen) || mdlen < 20) {
        OPENSSL_cleanse(md, sizeof md);
        return -1;
    }
    unsigned off = md[mdlen - 1] & 0x0f;
    uint32_t bin = ((uint32_t)(md[off] & 0x7f) << 24) | ((uint32_t)md[off + 1] << 16) |
                   ((uint32_t)md[off + 2] << 8) | (uint32_t)md[off + 3];
    uint32_t code = bin % pow10[digits];
    for (int k = digits - 1; k >= 0; k--) {
        out[k] = (char)('0' + code % 10);
        code /= 10;
    }
    out[digits] = '\0';
    OPENSSL_cleanse(md, sizeof md);
    OPENSSL_cleanse(&bin, sizeof bin);
    return 0;
}

int cwa_totp_code(const unsigned char *key, size_t keylen, double unix_time, int step_seconds,
                  int digits, char *out, size_t outcap)
{
    if (step_seconds < 1 || !(unix_time >= 0.0) || !isfinite(unix_time))
        return -1;
    double counter = floor(unix_time / step_seconds);
    if (counter >= 18446744073709551616.0)
        return -1;
    return cwa_hotp_code(key, keylen, (uint64_t)counter, digits, out, outcap);
}
