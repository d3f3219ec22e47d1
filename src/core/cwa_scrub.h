/*
 * cwa_scrub: the one scrubber of the core. A server or proxy may echo what
 * it received (headers, body) and libcurl quotes the proxy URL in its error
 * text, so every text that comes from outside passes through here before it
 * reaches an error, a detail or a log line: each occurrence of a secret of
 * the client becomes ***.
 *
 * A cwa_secrets holds the client's own copies, one slot each: the password,
 * the access token and the one before it (calls still in flight carry the
 * old token after a refresh), the refresh token, the 2FA code of the
 * running login, the TOTP secret, and the proxy's user, password and their
 * Basic credentials. Zero-initialised it is empty; cwa_secrets_clear wipes
 * and frees every copy.
 *
 * cwa_secrets_set copies len bytes of text into slot (NULL or len 0 empties
 * it). Setting CWA_SECRET_TOKEN to a new value moves the old one to
 * CWA_SECRET_OLD_TOKEN. The TOTP secret is kept without the spaces and '-'
 * its groups may have, and matched in any case (base32). Returns 0, or -1
 * when memory runs out (the slot is empty then: the caller must not go on
 * as if the secret were protected). cwa_secrets_set_proxy fills the proxy
 * slots from a proxy URL's user info ([scheme://]user[:password]@host...,
 * percent-decoded); a URL without user info empties them.
 *
 * A secret is found as sent (raw) and as a server would write it back:
 * JSON-escaped (\" \\ \/ \n \u00XX...), URL-encoded (%XX in any case, '+' for
 * a space) and as HTML entities (&amp; &quot; &#39; &#x27;...), each form
 * throughout one occurrence. Overlapping, repeated and nested occurrences
 * (one secret a prefix of another) become one ***. Secrets shorter than
 * CWA_SCRUB_MIN bytes are not looked for: they would match innocent letters
 * everywhere, and so every replacement is shorter than what it replaces.
 *
 * cwa_scrub_span: the length of the run of secrets that starts at t (n
 * bytes), 0 when none starts there.
 *
 * cwa_scrub: scrubs the NUL-terminated text in place and returns its new
 * length. s may be NULL (nothing to scrub).
 *
 * cwa_scrub_cut does the same for a text that was cut to fit a buffer: a
 * secret whose start (CWA_SCRUB_MIN bytes or more) ends the text becomes
 * *** too. Only for cut texts: an innocent ending could look like the start
 * of a secret.
 *
 * cwa_scrub_excerpt writes the start of a body (len bytes, no NUL needed)
 * on one line into out (cap > 4), with each secret as ***: leading
 * whitespace dropped, runs of whitespace and control characters as one
 * space, other bytes outside printable ASCII as '?', at most max characters
 * followed by "..." when the body goes on. Secrets are found in the raw
 * bytes, so one cut by the end of the excerpt or holding bytes the excerpt
 * rewrites never shows. out is always NUL-terminated; s may be NULL.
 */
#ifndef CWA_SCRUB_H
#define CWA_SCRUB_H

#include <stddef.h>

enum { CWA_SCRUB_MIN = 3 };

typedef enum cwa_secret_slot {
    CWA_SECRET_PASSWORD = 0,
    CWA_SECRET_TOKEN,
    CWA_SECRET_OLD_TOKEN,
    CWA_SECRET_REFRESH,
    CWA_SECRET_CODE,
    CWA_SECRET_TOTP,
    CWA_SECRET_PROXY_USER,
    CWA_SECRET_PROXY_PASSWORD,
    CWA_SECRET_PROXY_BASIC,
    CWA_SECRET_SLOTS
} cwa_secret_slot;

typedef struct cwa_secrets {
    char *text[CWA_SECRET_SLOTS];
    size_t len[CWA_SECRET_SLOTS];
    unsigned char first[32]; /* bit set: bytes an occurrence can start with */
} cwa_secrets;

int cwa_secrets_set(cwa_secrets *s, cwa_secret_slot slot, const char *text, size_t len);
int cwa_secrets_set_proxy(cwa_secrets *s, const char *url);
void cwa_secrets_clear(cwa_secrets *s);

size_t cwa_scrub_span(const cwa_secrets *s, const char *t, size_t n);
size_t cwa_scrub(const cwa_secrets *s, char *text);
size_t cwa_scrub_cut(const cwa_secrets *s, char *text);
void cwa_scrub_excerpt(const cwa_secrets *s, const char *body, size_t len, size_t max, char *out,
                       size_t cap);

#endif
