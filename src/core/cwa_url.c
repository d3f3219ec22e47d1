#include "cwa_url.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char hexdigits[] = "0123456789ABCDEF";

static int is_alpha(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_unreserved(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int hexval(unsigned char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The byte a valid %XX at s[i] stands for, or -1. */
static int escape_at(const char *s, size_t len, size_t i)
{
    if (len - i < 3 || s[i] != '%')
        return -1;
    int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
    if (hi < 0 || lo < 0)
        return -1;
    return hi * 16 + lo;
}

static void put_raw(cwa_buf *b, char c)
{
    b->data[b->len++] = c;
}

static void put_escaped(cwa_buf *b, unsigned char c)
{
    put_raw(b, '%');
    put_raw(b, hexdigits[c >> 4]);
    put_raw(b, hexdigits[c & 15]);
}

/* Room for every byte escaped, so the writes after it cannot fail. */
static int reserve_escaped(cwa_buf *b, size_t len, size_t extra)
{
    if (len > (SIZE_MAX - extra) / 3)
        return -1;
    return cwa_buf_reserve(b, len * 3 + extra);
}

static void encode_into(cwa_buf *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c))
            put_raw(b, (char)c);
        else
            put_escaped(b, c);
    }
    b->data[b->len] = '\0';
}

int cwa_url_encode(cwa_buf *out, const char *s, size_t len)
{
    if (!out || (!s && len))
        return -1;
    if (reserve_escaped(out, len, 0) != 0)
        return -1;
    encode_into(out, s, len);
    return 0;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int ieq_prefix(const char *s, size_t n, const char *lit)
{
    size_t k = 0;
    for (; lit[k]; k++) {
        if (k >= n)
            return 0;
        char c = s[k];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[k])
            return 0;
    }
    return 1;
}

static int check_dns_name(const char *h, size_t n)
{
    if (n == 0 || n > 254 || (n == 254 && h[253] != '.'))
        return -1;
    if (h[n - 1] == '.')
        n--; /* one trailing dot: an absolute name */
    size_t label = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)h[k];
        if (c == '.') {
            if (label == 0)
                return -1;
            label = 0;
        } else if (is_alpha(c) || is_digit(c) || c == '-' || c == '_') {
            if (++label > 63)
                return -1;
        } else {
            return -1;
        }
    }
    return label == 0 ? -1 : 0;
}

static int all_digits_and_dots(const char *h, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (!is_digit((unsigned char)h[k]) && h[k] != '.')
            return 0;
    }
    return 1;
}

int cwa_url_parse_server(const char *server, int allow_http, cwa_server *out, char *err, size_t errlen)
{
    int https = 1, port = 0, loopback = 0;
    if (!out)
        return fail(err, errlen, "server: no output");
    memset(out, 0, sizeof *out);
    if (!server || !server[0])
        return fail(err, errlen, "server: empty");
    size_t len = strlen(server);
    if (len > 1024)
        return fail(err, errlen, "server: too long");
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)server[k];
        if (c <= 0x20 || c == 0x7f)
            return fail(err, errlen, "server: must not contain spaces or control characters");
    }
    if (strchr(server, '?') || strchr(server, '#'))
        return fail(err, errlen, "server: must not contain a query or fragment");
    if (strchr(server, '@'))
        return fail(err, errlen,
                    "server: credentials in the URL are not allowed (use username and password)");

    const char *p = server, *end = server + len;
    const char *sep = strstr(server, "://");
    if (sep) {
        size_t sl = (size_t)(sep - server);
        if (sl == 5 && ieq_prefix(server, sl, "https"))
            https = 1;
        else if (sl == 4 && ieq_prefix(server, sl, "http"))
            https = 0;
        else
            return fail(err, errlen, "server: unsupported scheme '%.*s' (use https:// or http://)",
                        sl > 16 ? 16 : (int)sl, server);
        p = sep + 3;
    } else {
        /* "ftp:x" or "mailto:x": a scheme without "//" is not a host:port. */
        const char *colon = strchr(server, ':');
        if (colon && colon[1] && !is_digit((unsigned char)colon[1]) && server[0] != '[')
            return fail(err, errlen, "server: unsupported scheme or bad port in '%.64s'", server);
    }

    const char *slash = memchr(p, '/', (size_t)(end - p));
    const char *auth_end = slash ? slash : end;
    if (slash) {
        size_t pl = (size_t)(end - slash);
        if (!((pl == 1) || (pl == 11 && ieq_prefix(slash, pl, "/cwa/api/v1")) ||
              (pl == 12 && ieq_prefix(slash, pl, "/cwa/api/v1/"))))
            return fail(err, errlen,
                        "server: unexpected path '%.64s' (give the host, optionally with /cwa/api/v1)",
                        slash);
    }

    const char *host = p, *host_end, *port_s = NULL;
    int ipv6 = 0;
    if (p < auth_end && *p == '[') {
        const char *close = memchr(p, ']', (size_t)(auth_end - p));
        if (!close)
            return fail(err, errlen, "server: unterminated IPv6 address");
        host = p + 1;
        host_end = close;
        ipv6 = 1;
        if (close + 1 < auth_end) {
            if (close[1] != ':')
                return fail(err, errlen, "server: unexpected text after the IPv6 address");
            port_s = close + 2;
        }
    } else {
        const char *colon = memchr(p, ':', (size_t)(auth_end - p));
        host_end = colon ? colon : auth_end;
        if (colon)
            port_s = colon + 1;
    }
    size_t hl = (size_t)(host_end - host);
    if (hl == 0)
        return fail(err, errlen, "server: no host");
    if (hl >= sizeof out->host)
        return fail(err, errlen, "server: host name too long");

    if (port_s) {
        size_t n = (size_t)(auth_end - port_s);
        if (n == 0 || n > 5)
            return fail(err, errlen, "server: bad port");
        for (size_t k = 0; k < n; k++) {
            if (!is_digit((unsigned char)port_s[k]))
                return fail(err, errlen, "server: bad port");
            port = port * 10 + (port_s[k] - '0');
        }
        if (port < 1 || port > 65535)
            return fail(err, errlen, "server: port must be between 1 and 65535");
    }

    char hbuf[256];
    for (size_t k = 0; k < hl; k++) {
        char c = host[k];
        hbuf[k] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    hbuf[hl] = '\0';

    if (ipv6) {
        unsigned char a[16];
        static const unsigned char lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (hl > 45 || inet_pton(AF_INET6, hbuf, a) != 1)
            return fail(err, errlen, "server: invalid IPv6 address");
        loopback = memcmp(a, lo6, 16) == 0 || (memcmp(a, mapped, 12) == 0 && a[12] == 127);
    } else if (all_digits_and_dots(hbuf, hl)) {
        unsigned char a[4];
        /* Refuses "127.1" and friends, which resolvers would still read as
         * addresses: no spelling of an address escapes the loopback test. */
        if (inet_pton(AF_INET, hbuf, a) != 1)
            return fail(err, errlen, "server: invalid IPv4 address '%.64s'", hbuf);
        loopback = a[0] == 127;
    } else {
        if (check_dns_name(hbuf, hl) != 0)
            return fail(err, errlen, "server: invalid host name '%.64s'", hbuf);
        loopback = strcmp(hbuf, "localhost") == 0 || strcmp(hbuf, "localhost.") == 0;
    }

    if (!https && !loopback && !allow_http)
        return fail(err, errlen,
                    "server: plain http is only allowed to loopback addresses (set allow_http = true)");

    int def = https ? 443 : 80;
    if (!port)
        port = def;
    memcpy(out->scheme, https ? "https" : "http", https ? 6 : 5);
    memcpy(out->host, hbuf, hl + 1);
    out->port = port;
    out->is_loopback = loopback;
    char portbuf[8] = "";
    if (port != def)
        snprintf(portbuf, sizeof portbuf, ":%d", port);
    snprintf(out->base, sizeof out->base, "%s://%s%s%s%s/cwa/api/v1", out->scheme, ipv6 ? "[" : "",
             out->host, ipv6 ? "]" : "", portbuf);
    return 0;
}

int cwa_url_check_path(const char *path, size_t len, char *err, size_t errlen)
{
    if (!path || len == 0)
        return fail(err, errlen, "path: empty");
    if (len > 2048)
        return fail(err, errlen, "path: longer than 2048 bytes");
    unsigned char first = (unsigned char)path[0];
    if (first != '/' && !is_alpha(first))
        return fail(err, errlen, "path: must start with '/' or a letter");
    size_t seg_start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || path[i] == '/') {
            /* The segment, with %2e read as '.', must not be "." or "..". */
            size_t dots = 0, other = 0;
            for (size_t k = seg_start; k < i; k++) {
                if (path[k] == '.') {
                    dots++;
                } else if (escape_at(path, i, k) == '.') {
                    dots++;
                    k += 2;
                } else {
                    other++;
                }
            }
            if (!other && (dots == 1 || dots == 2))
                return fail(err, errlen, "path: '.' and '..' segments are not allowed");
            if (i < len && i + 1 < len && path[i + 1] == '/')
                return fail(err, errlen, "path: empty segment ('//') not allowed");
            seg_start = i + 1;
            continue;
        }
        unsigned char c = (unsigned char)path[i];
        if (c < 0x20 || c == 0x7f)
            return fail(err, errlen, "path: control characters are not allowed");
        if (c == '?' || c == '#')
            return fail(err, errlen,
                        "path: must not contain '?' or '#' (pass query parameters separately)");
        if (c == '\\')
            return fail(err, errlen, "path: backslashes are not allowed");
        int e = escape_at(path, len, i);
        if (e == '/' || e == '\\')
            return fail(err, errlen, "path: encoded separators (%%2F, %%5C) are not allowed");
        if (e >= 0 && (e < 0x20 || e == 0x7f))
            return fail(err, errlen, "path: encoded control characters are not allowed");
    }
    return 0;
}

static int path_keeps(unsigned char c)
{
    return is_unreserved(c) || strchr("!$&'()*+,;=:@/", c) != NULL;
}

int cwa_url_append_path(cwa_buf *out, const char *path, size_t len)
{
    if (!out || cwa_url_check_path(path, len, NULL, 0) != 0)
        return -1;
    if (reserve_escaped(out, len, 1) != 0)
        return -1;
    int base_slash = out->len > 0 && out->data[out->len - 1] == '/';
    size_t i = 0;
    if (path[0] == '/' && base_slash)
        i = 1;
    else if (path[0] != '/' && !base_slash)
        put_raw(out, '/');
    for (; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c == '%' && escape_at(path, len, i) >= 0) {
            put_raw(out, path[i]);
            put_raw(out, path[i + 1]);
            put_raw(out, path[i + 2]);
            i += 2;
        } else if (c != 0 && path_keeps(c)) {
            put_raw(out, (char)c);
        } else {
            put_escaped(out, c);
        }
    }
    out->data[out->len] = '\0';
    return 0;
}

int cwa_url_append_query(cwa_buf *out, int first, const char *key, const char *value, size_t vlen)
{
    if (!out || !key || (!value && vlen))
        return -1;
    size_t klen = strlen(key);
    if (klen > SIZE_MAX / 4 || vlen > SIZE_MAX / 4)
        return -1;
    if (reserve_escaped(out, klen + vlen, 2) != 0)
        return -1;
    put_raw(out, first ? '?' : '&');
    encode_into(out, key, klen);
    put_raw(out, '=');
    encode_into(out, value, vlen);
    return 0;
}

/* The base every server gets (cwa_url_parse_server), whose version segment
 * a v2 path replaces. */
static const char api_v1[] = "/cwa/api/v1";

static size_t v2_prefix(const char *path, size_t len)
{
    size_t skip = len > 0 && path[0] == '/';
    if (len - skip >= 3 && ieq_prefix(path + skip, 3, "v2/"))
        return skip + 2; /* keeps the '/' after "v2" */
    return 0;
}

int cwa_url_append_api_path(cwa_buf *out, const char *path, size_t len)
{
    if (!out || !path)
        return -1;
    size_t v2 = v2_prefix(path, len), n = sizeof api_v1 - 1;
    if (!v2)
        return cwa_url_append_path(out, path, len);
    if (out->len < n || memcmp(out->data + out->len - n, api_v1, n) != 0 ||
        cwa_url_check_path(path, len, NULL, 0) != 0)
        return -1;
    out->data[out->len - 1] = '2';
    if (cwa_url_append_path(out, path + v2, len - v2) != 0) {
        out->data[out->len - 1] = '1';
        return -1;
    }
    return 0;
}

const char *cwa_url_api_rel(const char *url, size_t base_len)
{
    if (!url || strlen(url) < base_len)
        return "";
    /* ".../cwa/api/v2/Contacts": the "/v2" is the caller's */
    if (base_len >= 3 && memcmp(url + base_len - 3, "/v2", 3) == 0)
        return url + base_len - 3;
    return url + base_len;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int cwa_url_key_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        if (lower(*a) != lower(*b))
            return 0;
    }
    return *a == *b;
}

/* 1 when the encoded key of n bytes at enc is key once encoded, letters
 * compared in any case (the escapes are upper-case hex on both sides). */
static int encoded_key_is(const char *enc, size_t n, const char *key)
{
    size_t i = 0;
    for (; *key; key++) {
        unsigned char c = (unsigned char)*key;
        if (is_unreserved(c)) {
            if (i >= n || lower(enc[i]) != lower((char)c))
                return 0;
            i++;
        } else {
            if (n - i < 3 || enc[i] != '%' || enc[i + 1] != hexdigits[c >> 4] ||
                enc[i + 2] != hexdigits[c & 15])
                return 0;
            i += 3;
        }
    }
    return i == n;
}

int cwa_url_has_query_key(const char *url, const char *key)
{
    const char *p = url && key ? strchr(url, '?') : NULL;
    while (p) {
        p++;
        size_t n = strcspn(p, "=&");
        if (encoded_key_is(p, n, key))
            return 1;
        p = strchr(p, '&');
    }
    return 0;
}

int cwa_url_dup_key(const char *key, char *err, size_t errlen)
{
    return fail(err, errlen,
                "query: parameter '%.64s' given twice (keys compare case-insensitively, and "
                "servers answer 400 to a repeated key)",
                key);
}
