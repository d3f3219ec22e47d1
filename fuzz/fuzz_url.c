/*
 * libFuzzer target: URL building (src/cwa_url.h), the one place where caller
 * text becomes part of a request URL.
 *
 * The first byte is a flag byte (bit 0: allow_http, bit 1: the base ends in
 * '/', bit 2: first query parameter); the rest is used as a server string,
 * as a path and as a query key/value pair (split at the first NUL byte).
 * Beyond memory safety it checks what the header promises for security:
 * an accepted server has a sane scheme, host, port and base and parses again
 * to the same result; plain http without allow_http is loopback only; a path
 * that passes the check appends to exactly one '/' and yields no '?', '#',
 * control byte, backslash, encoded separator or dot segment after one round
 * of percent-decoding (what a server does); a refused append leaves the
 * buffer as it was; query parts decode back to the input bytes. Any broken
 * rule aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwa_buf.h"
#include "cwa_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                                                      \
    do {                                                                                                \
        if (!(c)) {                                                                                     \
            fprintf(stderr, "fuzz_url: broken rule at line %d: %s\n", __LINE__, #c);                    \
            abort();                                                                                    \
        }                                                                                               \
    } while (0)

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* Decodes s[0..n) encoded by cwa_url_encode (only unreserved bytes and
 * upper-case %XX allowed) into out; returns the decoded length. */
static size_t decode_strict(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            REQUIRE(i + 2 < n);
            int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
            REQUIRE(hi >= 0 && lo >= 0);
            REQUIRE(!(s[i + 1] >= 'a' && s[i + 1] <= 'f') && !(s[i + 2] >= 'a' && s[i + 2] <= 'f'));
            /* an unreserved byte must never be escaped */
            REQUIRE(!unreserved((unsigned char)(hi * 16 + lo)));
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            REQUIRE(unreserved(c));
            out[o++] = (char)c;
        }
    }
    return o;
}

static void check_server(const char *s, int allow_http)
{
    cwa_server srv;
    char err[64];
    memset(err, 'x', sizeof err);
    if (cwa_url_parse_server(s, allow_http, &srv, err, sizeof err) != 0) {
        REQUIRE(memchr(err, '\0', sizeof err) != NULL);
        REQUIRE(strncmp(err, "server", 6) == 0);
        return;
    }
    int https = strcmp(srv.scheme, "https") == 0;
    REQUIRE(https || strcmp(srv.scheme, "http") == 0);
    REQUIRE(https || allow_http || srv.is_loopback);
    REQUIRE(srv.port >= 1 && srv.port <= 65535);
    REQUIRE(memchr(srv.host, '\0', sizeof srv.host) && srv.host[0] != '\0');
    REQUIRE(memchr(srv.base, '\0', sizeof srv.base));
    for (const char *p = srv.host; *p; p++) {
        unsigned char c = (unsigned char)*p;
        REQUIRE(!(c >= 'A' && c <= 'Z'));
        REQUIRE(c > 0x20 && c < 0x7f && !strchr("@/?#\\[] %", c));
    }
    size_t sl = strlen(srv.scheme);
    REQUIRE(strncmp(srv.base, srv.scheme, sl) == 0 && strncmp(srv.base + sl, "://", 3) == 0);
    size_t bl = strlen(srv.base);
    REQUIRE(bl >= 11 && strcmp(srv.base + bl - 11, "/cwa/api/v1") == 0);
    /* the base is itself an accepted server string naming the same place */
    cwa_server again;
    REQUIRE(cwa_url_parse_server(srv.base, allow_http, &again, NULL, 0) == 0);
    REQUIRE(strcmp(again.scheme, srv.scheme) == 0 && strcmp(again.host, srv.host) == 0);
    REQUIRE(again.port == srv.port && again.is_loopback == srv.is_loopback);
    REQUIRE(strcmp(again.base, srv.base) == 0);
}

/* What a server sees in one path segment after decoding it once. */
static void check_segment(const char *seg, size_t n)
{
    char *dec = malloc(n ? n : 1);
    if (!dec)
        return;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (seg[i] == '%') {
            REQUIRE(i + 2 < n);
            int hi = hexval((unsigned char)seg[i + 1]), lo = hexval((unsigned char)seg[i + 2]);
            REQUIRE(hi >= 0 && lo >= 0);
            dec[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            dec[o++] = seg[i];
        }
    }
    REQUIRE(!(o == 1 && dec[0] == '.') && !(o == 2 && dec[0] == '.' && dec[1] == '.'));
    REQUIRE(o > 0);
    for (size_t i = 0; i < o; i++) {
        unsigned char c = (unsigned char)dec[i];
        REQUIRE(c >= 0x20 && c != 0x7f && c != '/' && c != '\\');
    }
    free(dec);
}

static void check_path(const char *p, size_t n, int base_slash)
{
    static const char BASE[] = "https://automate.example.com/cwa/api/v1";
    char err[80];
    memset(err, 'x', sizeof err);
    int ok = cwa_url_check_path(p, n, err, sizeof err) == 0;
    if (!ok)
        REQUIRE(memchr(err, '\0', sizeof err) && strncmp(err, "path: ", 6) == 0);

    cwa_buf b = {0};
    if (cwa_buf_puts(&b, BASE) != 0 || (base_slash && cwa_buf_putc(&b, '/') != 0)) {
        cwa_buf_free(&b);
        return;
    }
    size_t before = b.len;
    char *copy = malloc(before + 1);
    if (!copy) {
        cwa_buf_free(&b);
        return;
    }
    memcpy(copy, b.data, before + 1);
    int rc = cwa_url_append_path(&b, p, n);
    if (!ok) {
        REQUIRE(rc == -1);
    }
    if (rc != 0) {
        /* all-or-nothing */
        REQUIRE(b.len == before && memcmp(b.data, copy, before + 1) == 0);
    } else {
        REQUIRE(b.len > sizeof BASE - 1 && b.data[b.len] == '\0');
        REQUIRE(memcmp(b.data, BASE, sizeof BASE - 1) == 0);
        const char *rest = b.data + sizeof BASE - 1;
        size_t rn = b.len - (sizeof BASE - 1);
        REQUIRE(rest[0] == '/' && rn >= 1);
        for (size_t i = 0; i < rn; i++) {
            unsigned char c = (unsigned char)rest[i];
            REQUIRE(c > 0x20 && c < 0x7f && c != '?' && c != '#' && c != '\\');
            REQUIRE(!(c == '/' && i + 1 < rn && rest[i + 1] == '/'));
        }
        /* segment by segment, as the server splits before decoding */
        size_t start = 1;
        for (size_t i = 1; i <= rn; i++) {
            if (i == rn || rest[i] == '/') {
                if (i == rn && i == start)
                    break; /* a trailing '/' */
                check_segment(rest + start, i - start);
                start = i + 1;
            }
        }
    }
    free(copy);
    cwa_buf_free(&b);
}

static void check_query(const char *key, const char *value, size_t vlen, int first)
{
    cwa_buf b = {0};
    if (cwa_buf_puts(&b, "https://h/cwa/api/v1/Computers") != 0)
        return;
    size_t before = b.len;
    if (cwa_url_append_query(&b, first, key, value, vlen) != 0) {
        REQUIRE(b.len == before);
        cwa_buf_free(&b);
        return;
    }
    const char *q = b.data + before;
    size_t qn = b.len - before;
    REQUIRE(b.data[b.len] == '\0' && qn >= 2);
    REQUIRE(q[0] == (first ? '?' : '&'));
    const char *eq = memchr(q + 1, '=', qn - 1);
    REQUIRE(eq != NULL);
    size_t klen = strlen(key);
    char *dec = malloc(qn);
    if (dec) {
        size_t dk = decode_strict(q + 1, (size_t)(eq - q - 1), dec);
        REQUIRE(dk == klen && memcmp(dec, key, klen) == 0);
        size_t dv = decode_strict(eq + 1, qn - (size_t)(eq - q) - 1, dec);
        REQUIRE(dv == vlen && (vlen == 0 || memcmp(dec, value, vlen) == 0));
        free(dec);
    }
    cwa_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int flags = data[0];
    size_t n = size - 1;
    /* exact-size copy for the length-taking functions, NUL-ended copy for
     * the C-string ones */
    char *raw = malloc(n ? n : 1);
    char *str = malloc(n + 1);
    if (!raw || !str) {
        free(raw);
        free(str);
        return 0;
    }
    if (n)
        memcpy(raw, data + 1, n);
    memcpy(str, data + 1, n);
    str[n] = '\0';

    check_server(str, flags & 1);
    check_path(raw, n, (flags >> 1) & 1);

    size_t klen = strlen(str);
    const char *value = klen < n ? raw + klen + 1 : NULL;
    size_t vlen = klen < n ? n - klen - 1 : 0;
    check_query(str, value, vlen, (flags >> 2) & 1);

    cwa_buf e = {0};
    if (cwa_url_encode(&e, raw, n) == 0 && n) {
        char *dec = malloc(e.len + 1);
        if (dec) {
            REQUIRE(decode_strict(e.data, e.len, dec) == n && memcmp(dec, raw, n) == 0);
            free(dec);
        }
    }
    cwa_buf_free(&e);
    free(raw);
    free(str);
    return 0;
}
