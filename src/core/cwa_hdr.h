/*
 * cwa_hdr: reads the response headers the client cares about, one raw line at
 * a time, exactly as libcurl's CURLOPT_HEADERFUNCTION delivers them.
 *
 * Contract: robust on any bytes (a fuzz target): never reads outside
 * line[0..len), never writes outside the struct, never allocates, keeps no
 * global state. Unknown, malformed or oversized lines are ignored.
 *
 * cwa_headers_init: every number -1, every flag 0, strings empty.
 *
 * cwa_headers_line:
 *   - trailing CR/LF bytes are stripped (a missing CR is fine); an empty line
 *     ends the header block and sets `complete` (a reply cut inside its
 *     headers never gets one); obsolete folded continuation lines (starting
 *     with a space or tab) are ignored;
 *   - a status line "HTTP/<version> <3 digits>[ <reason>]" starts a new
 *     response (after a redirect, a 100-continue or a proxy CONNECT) and so
 *     resets the struct before recording the code; a malformed status line
 *     still resets and leaves status_line_code -1;
 *   - otherwise "name: value": the name is case-insensitive and must be
 *     non-empty with no spaces or control bytes; the value is trimmed of
 *     spaces and tabs. A repeated header: the last one wins.
 * Recognised headers:
 *   Retry-After           retry_after / has_retry_after (cwa_retry_after_parse,
 *                         so an HTTP date becomes seconds from now_epoch)
 *   X-RateLimit-Limit     ratelimit_limit     (also RateLimit-Limit)
 *   X-RateLimit-Remaining ratelimit_remaining (also RateLimit-Remaining)
 *   X-RateLimit-Reset     ratelimit_reset, seconds from now; a value above 1e9
 *                         is an epoch and becomes seconds from now_epoch,
 *                         clamped at 0 (also RateLimit-Reset)
 *   X-Total-Count, X-Total-Pages, X-Page, X-Page-Size
 *                         total_count, total_pages, page, page_size
 *   Content-Length        content_length
 *   Date                  date / has_date (cwa_time_parse_http)
 *   Content-Type          content_type, truncated to 63 bytes
 *   Location              location / has_location, truncated to 511 bytes
 *                         (location_truncated set: do not follow it then)
 * Integers must be plain decimal digits (no sign, no spaces inside) that fit
 * in a long, else the field stays -1 (or keeps an earlier valid value when
 * the header repeats: an invalid value does not erase). ratelimit_reset also
 * accepts a decimal fraction. String values containing control bytes
 * (other than tab) are ignored.
 */
#ifndef CWA_HDR_H
#define CWA_HDR_H

#include <stddef.h>

/* Bytes of response headers an attempt takes at most, every block (1xx,
 * proxy CONNECT) counted: real answers carry a few KiB. */
enum { CWA_HEADERS_MAX = 256 * 1024 };

typedef struct cwa_headers {
    long status_line_code;
    int complete; /* the empty line that ends the block arrived */
    double retry_after;
    int has_retry_after;
    long ratelimit_limit;
    long ratelimit_remaining;
    double ratelimit_reset;
    long total_count;
    long total_pages;
    long page;
    long page_size;
    double date;
    int has_date;
    char content_type[64];
    char location[512];
    int has_location;
    int location_truncated;
    long content_length;
} cwa_headers;

void cwa_headers_init(cwa_headers *h);
void cwa_headers_line(cwa_headers *h, const char *line, size_t len, double now_epoch);

#endif
