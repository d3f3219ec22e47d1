/*
 * cwa_url: the only place URLs are built, so that nothing a caller passes can
 * smuggle a query, a traversal or credentials into a request.
 *
 * Contract: no global state, reentrant; only the cwa_buf functions allocate.
 * Every append is all-or-nothing: on -1 the buffer is exactly as before.
 * Error messages name the option ("server: ...", "path: ...") and are
 * truncated to errlen (err may be NULL).
 *
 * cwa_url_encode: percent-encodes (upper-case hex) every byte except the
 * RFC 3986 unreserved A-Z a-z 0-9 - . _ ~ ; for query keys and values and
 * for single path segments. 0, or -1 when memory ran out.
 *
 * cwa_url_parse_server accepts
 *   host | host:port | http(s)://host[:port] , each optionally followed by
 *   "/" or "/cwa/api/v1" or "/cwa/api/v1/"
 * where host is a DNS name (letters, digits, '-', '_', '.', no empty label,
 * one trailing dot tolerated, at most 253 bytes), a dotted-quad IPv4 address,
 * or an IPv6 address in brackets (no zone id). The scheme is https when not
 * given, and is case-insensitive. Rejected: NULL or empty, spaces and control
 * bytes, userinfo ("user:pass@"), schemes other than http/https, ports that
 * are empty, non-numeric, 0 or above 65535, a query or fragment, any other
 * path, malformed hosts. http:// is allowed only to loopback (localhost,
 * 127.0.0.0/8, ::1, ::ffff:127.x.x.x) unless allow_http.
 * The result: scheme "https"/"http"; host lower-cased, without brackets for
 * IPv6; port the explicit or default one (443/80); is_loopback; base =
 * "scheme://host[:port]/cwa/api/v1" (IPv6 in brackets, the port only when
 * not the default, no trailing slash). 0, or -1 (then *out may be partly
 * written and must not be used).
 *
 * cwa_url_check_path: a path for client:get and friends. Must be 1..2048
 * bytes, start with '/' or an ASCII letter; must not contain '?', '#', '\',
 * control bytes (NUL included), "//", a "." or ".." segment (also when
 * written with %2e), or the escapes %2f, %5c (encoded separators) and %00-%1f,
 * %7f (encoded control bytes). Other bytes (spaces, UTF-8...) are fine: the
 * append encodes them. 0, or -1 with a message.
 *
 * cwa_url_append_path: appends a path (which must pass cwa_url_check_path,
 * else -1) to a base already in `out`, with exactly one '/' between them;
 * keeps unreserved bytes, sub-delims !$&'()*+,;= and ':' '@' '/', and valid
 * %XX escapes; encodes everything else (a stray '%' becomes %25). -1 also
 * when memory ran out.
 *
 * cwa_url_append_query: appends "?key=value" (first != 0) or "&key=value",
 * both encoded with cwa_url_encode (a space is %20, never '+'). key is a
 * C string; value is vlen bytes (NULL allowed when vlen is 0). 0 or -1.
 *
 * cwa_url_append_api_path: cwa_url_append_path for a path of the API, to a
 * server's base (".../cwa/api/v1") in `out`: a path starting with "/v2/" or
 * "v2/" (any case, as servers read paths) goes under ".../cwa/api/v2"
 * instead, without its "v2" segment. 0, or -1 (out unchanged).
 *
 * cwa_url_api_rel: the path of url (built by cwa_url_append_api_path on a
 * base of base_len bytes) as the caller gave it: "/Computers/1",
 * "/v2/Contacts".
 *
 * cwa_url_has_query_key: 1 when the query of url (built with
 * cwa_url_append_query) already carries key, comparing keys as servers do,
 * ASCII case-insensitively; else 0.
 *
 * cwa_url_key_eq: the same comparison of two keys as given (not encoded).
 *
 * cwa_url_dup_key: writes the message for a key given twice; returns -1.
 */
#ifndef CWA_URL_H
#define CWA_URL_H

#include <stddef.h>

#include "cwa_buf.h"

typedef struct cwa_server {
    char scheme[8];
    char host[256];
    int port;
    int is_loopback;
    char base[512];
} cwa_server;

int cwa_url_encode(cwa_buf *out, const char *s, size_t len);
int cwa_url_parse_server(const char *server, int allow_http, cwa_server *out, char *err, size_t errlen);
int cwa_url_check_path(const char *path, size_t len, char *err, size_t errlen);
int cwa_url_append_path(cwa_buf *out, const char *path, size_t len);
int cwa_url_append_query(cwa_buf *out, int first, const char *key, const char *value, size_t vlen);
int cwa_url_append_api_path(cwa_buf *out, const char *path, size_t len);
const char *cwa_url_api_rel(const char *url, size_t base_len);
int cwa_url_has_query_key(const char *url, const char *key);
int cwa_url_key_eq(const char *a, const char *b);
int cwa_url_dup_key(const char *key, char *err, size_t errlen);

#endif
