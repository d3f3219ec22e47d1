#include "cwa_scrub.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "cwa_str.h"

/* The ways a server writes a secret back; one occurrence uses one of them. */
enum form { FORM_RAW, FORM_JSON, FORM_URL, FORM_HTML, FORMS };

static int folds(cwa_secret_slot slot)
{
    return slot == CWA_SECRET_TOTP;
}

static int same(unsigned char a, unsigned char b, int fold)
{
    return a == b || (fold && tolower(a) == tolower(b));
}

static int hex(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (unsigned char)tolower(ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* The byte two hex digits at t spell, or -1. */
static int hex2(const unsigned char *t)
{
    int hi = hex(t[0]), lo = hi < 0 ? -1 : hex(t[1]);
    return lo < 0 ? -1 : hi * 16 + lo;
}

/* A JSON \uXXXX escape at t (a surrogate pair as one): its length, 0 when
 * there is none; *v the code point. */
static size_t json_u(const unsigned char *t, size_t n, unsigned long *v)
{
    if (n < 6 || t[0] != '\\' || t[1] != 'u')
        return 0;
    int hi = hex2(t + 2), lo = hi < 0 ? -1 : hex2(t + 4);
    if (lo < 0)
        return 0;
    *v = (unsigned long)(hi * 256 + lo);
    unsigned long low;
    if (*v >= 0xD800 && *v < 0xDC00 && json_u(t + 6, n - 6, &low) == 6 && low >= 0xDC00 &&
        low < 0xE000) {
        *v = 0x10000 + ((*v - 0xD800) << 10) + (low - 0xDC00);
        return 12;
    }
    return 6;
}

/* An HTML numeric entity (&#NN; or &#xHH;) at t: its length, 0 when there
 * is none; *v the code point. */
static size_t html_number(const unsigned char *t, size_t n, unsigned long *v)
{
    if (n < 4 || t[0] != '&' || t[1] != '#')
        return 0;
    int is_hex = t[2] == 'x' || t[2] == 'X';
    size_t i = is_hex ? 3 : 2, digits = 0;
    *v = 0;
    for (; i < n && digits < 7; i++, digits++) {
        int d = is_hex ? hex(t[i]) : (isdigit(t[i]) ? t[i] - '0' : -1);
        if (d < 0)
            break;
        *v = *v * (is_hex ? 16 : 10) + (unsigned long)d;
    }
    return digits > 0 && i < n && t[i] == ';' ? i + 1 : 0;
}

/* One character of a secret: its code point and its bytes as sent. */
typedef struct chr {
    unsigned long cp;
    const unsigned char *u;
    size_t ulen;
} chr;

/* 1 when the raw text at t is the character as sent. */
static int raw_is(const unsigned char *t, size_t n, const chr *c, int fold)
{
    if (c->ulen == 1)
        return same(t[0], (unsigned char)c->cp, fold);
    return n >= c->ulen && memcmp(t, c->u, c->ulen) == 0;
}

static size_t spell_json(const unsigned char *t, size_t n, const chr *c, int fold)
{
    static const char esc_from[] = "\"\\/\b\f\n\r\t", esc_to[] = "\"\\/bfnrt";
    unsigned long v;
    if (t[0] != '\\')
        return (c->ulen > 1 || (c->cp != '"' && c->cp != '\\' && c->cp >= 0x20)) && raw_is(t, n, c, fold)
                   ? c->ulen
                   : 0;
    size_t w = json_u(t, n, &v);
    if (w)
        return v == c->cp ? w : 0;
    const char *e = c->cp && c->cp < 0x80 ? strchr(esc_from, (int)c->cp) : NULL;
    return e && n >= 2 && t[1] == esc_to[e - esc_from] ? 2 : 0;
}

static size_t spell_url(const unsigned char *t, size_t n, const chr *c, int fold)
{
    if (t[0] == '%')
        return n >= 3 && hex2(t + 1) == (int)c->cp ? 3 : 0;
    return raw_is(t, n, c, fold) || (c->cp == ' ' && t[0] == '+') ? 1 : 0;
}

static size_t spell_html(const unsigned char *t, size_t n, const chr *c, int fold)
{
    static const struct {
        const char *name;
        unsigned char b;
    } named[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    if (t[0] != '&')
        return raw_is(t, n, c, fold) ? c->ulen : 0;
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
        size_t len = strlen(named[k].name);
        if (named[k].b == c->cp && n >= len && memcmp(t, named[k].name, len) == 0)
            return len;
    }
    unsigned long v;
    size_t w = html_number(t, n, &v);
    return w && v == c->cp ? w : 0;
}

/* Bytes of t (n available) that spell the character in form f; 0 when
 * they do not. */
static size_t spell(enum form f, const unsigned char *t, size_t n, const chr *c, int fold)
{
    if (n == 0)
        return 0;
    switch (f) {
    case FORM_RAW: return raw_is(t, n, c, fold) ? 1 : 0;
    case FORM_JSON: return spell_json(t, n, c, fold);
    case FORM_URL: return spell_url(t, n, c, fold);
    default: return spell_html(t, n, c, fold);
    }
}

/* The UTF-8 sequence at s (n bytes): its length, 0 when it is not one
 * (over-long forms and surrogates included); *cp its code point. */
static size_t utf8_char(const unsigned char *s, size_t n, unsigned long *cp)
{
    size_t len = s[0] >= 0xF0 && s[0] < 0xF5   ? 4
                 : s[0] >= 0xE0                ? 3
                 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2
                                               : 0;
    if (len == 0 || len > n)
        return 0;
    *cp = s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    static const unsigned long least[] = {0, 0, 0x80, 0x800, 0x10000};
    return *cp >= least[len] && *cp <= 0x10FFFF && !(*cp >= 0xD800 && *cp < 0xE000) ? len : 0;
}

/* Bytes of t that spell the whole secret in form f; 0 when they do not.
 * JSON and HTML escape characters, the others bytes. partial: the text
 * may end inside the secret (all of t is then used). */
static size_t match(enum form f, const unsigned char *t, size_t n, const char *secret, size_t slen,
                    int fold, int partial)
{
    const unsigned char *sec = (const unsigned char *)secret;
    size_t used = 0;
    for (size_t k = 0; k < slen;) {
        if (partial && used == n)
            return used;
        chr c = {sec[k], sec + k, 1};
        if ((f == FORM_JSON || f == FORM_HTML) && sec[k] >= 0x80) {
            unsigned long cp;
            size_t len = utf8_char(sec + k, slen - k, &cp);
            if (len) {
                c.cp = cp;
                c.ulen = len;
            }
        }
        size_t w = spell(f, t + used, n - used, &c, fold);
        if (w == 0)
            return 0;
        used += w;
        k += c.ulen;
    }
    return used;
}

static int may_start(const cwa_secrets *s, unsigned char ch)
{
    return (s->first[ch >> 3] >> (ch & 7)) & 1;
}

/* The longest occurrence of any secret at t. */
static size_t longest_at(const cwa_secrets *s, const unsigned char *t, size_t n)
{
    size_t best = 0;
    if (!may_start(s, t[0]))
        return 0;
    for (int slot = 0; slot < CWA_SECRET_SLOTS; slot++) {
        if (s->len[slot] < CWA_SCRUB_MIN)
            continue;
        for (int f = 0; f < FORMS; f++) {
            size_t m = match((enum form)f, t, n, s->text[slot], s->len[slot], folds(slot), 0);
            if (m > best)
                best = m;
        }
    }
    return best;
}

size_t cwa_scrub_span(const cwa_secrets *s, const char *t, size_t n)
{
    if (!s || n == 0)
        return 0;
    const unsigned char *u = (const unsigned char *)t;
    size_t end = longest_at(s, u, n);
    /* an occurrence that starts inside this one and ends after it extends the run */
    for (size_t j = 1; j < end; j++) {
        size_t m = longest_at(s, u + j, n - j);
        if (m && j + m > end)
            end = j + m;
    }
    return end;
}

size_t cwa_scrub(const cwa_secrets *s, char *text)
{
    size_t n = strlen(text), o = 0;
    for (size_t i = 0; i < n;) {
        size_t run = cwa_scrub_span(s, text + i, n - i);
        if (run) {
            /* run >= CWA_SCRUB_MIN: the text never grows past i */
            memcpy(text + o, "***", 3);
            o += 3;
            i += run;
        } else {
            text[o++] = text[i++];
        }
    }
    text[o] = '\0';
    return o;
}

/* 1 when all of t (n bytes) is the start of a secret. */
static int starts_secret(const cwa_secrets *s, const unsigned char *t, size_t n)
{
    for (int slot = 0; slot < CWA_SECRET_SLOTS; slot++) {
        if (s->len[slot] < CWA_SCRUB_MIN)
            continue;
        for (int f = 0; f < FORMS; f++)
            if (match((enum form)f, t, n, s->text[slot], s->len[slot], folds(slot), 1) == n)
                return 1;
    }
    return 0;
}

size_t cwa_scrub_cut(const cwa_secrets *s, char *text)
{
    size_t n = cwa_scrub(s, text);
    if (!s)
        return n;
    const unsigned char *u = (const unsigned char *)text;
    for (size_t i = 0; i + CWA_SCRUB_MIN <= n; i++) {
        if (may_start(s, u[i]) && starts_secret(s, u + i, n - i)) {
            memcpy(text + i, "***", 4);
            return i + 3;
        }
    }
    return n;
}

void cwa_scrub_excerpt(const cwa_secrets *s, const char *body, size_t len, size_t max, char *out,
                       size_t cap)
{
    if (cap < 5) {
        if (cap)
            out[0] = '\0';
        return;
    }
    size_t i = 0, j = 0;
    int space = 0;
    while (i < len) {
        unsigned char ch = (unsigned char)body[i];
        size_t run = cwa_scrub_span(s, body + i, len - i);
        if (!run && ch <= 0x20) {
            space = j > 0;
            i++;
            continue;
        }
        size_t w = run ? 3 : 1;
        /* room for the separator, this text, "..." and the NUL */
        if (j + (size_t)space + w > max || j + (size_t)space + w + 4 > cap)
            break;
        if (space)
            out[j++] = ' ';
        space = 0;
        if (run) {
            memcpy(out + j, "***", 3);
            j += 3;
            i += run;
        } else {
            out[j++] = ch < 0x7f ? (char)ch : '?';
            i++;
        }
    }
    if (i < len) {
        memcpy(out + j, "...", 3);
        j += 3;
    }
    out[j] = '\0';
}

static void mark(cwa_secrets *s, unsigned char ch)
{
    s->first[ch >> 3] |= (unsigned char)(1u << (ch & 7));
}

/* The bytes an occurrence of any secret can start with, in any form. */
static void index_first(cwa_secrets *s)
{
    memset(s->first, 0, sizeof s->first);
    for (int slot = 0; slot < CWA_SECRET_SLOTS; slot++) {
        if (s->len[slot] < CWA_SCRUB_MIN)
            continue;
        unsigned char b = (unsigned char)s->text[slot][0];
        mark(s, b);
        if (folds((cwa_secret_slot)slot)) {
            mark(s, (unsigned char)tolower(b));
            mark(s, (unsigned char)toupper(b));
        }
        if (b == ' ')
            mark(s, '+');
        mark(s, '\\');
        mark(s, '%');
        mark(s, '&');
    }
}

static void empty(cwa_secrets *s, cwa_secret_slot slot)
{
    cwa_wipe(s->text[slot], s->len[slot]);
    free(s->text[slot]);
    s->text[slot] = NULL;
    s->len[slot] = 0;
}

/* Moves into slot a text it now owns (NULL: empties the slot). */
static void put(cwa_secrets *s, cwa_secret_slot slot, char *text, size_t len)
{
    empty(s, slot);
    s->text[slot] = text;
    s->len[slot] = text ? len : 0;
    index_first(s);
}

int cwa_secrets_set(cwa_secrets *s, cwa_secret_slot slot, const char *text, size_t len)
{
    if (slot == CWA_SECRET_TOKEN && s->text[slot] &&
        !(text && len == s->len[slot] && memcmp(text, s->text[slot], len) == 0)) {
        put(s, CWA_SECRET_OLD_TOKEN, s->text[slot], s->len[slot]);
        s->text[slot] = NULL;
        s->len[slot] = 0;
    }
    if (!text || len == 0) {
        put(s, slot, NULL, 0);
        return 0;
    }
    char *copy = malloc(len + 1);
    size_t n = 0;
    if (copy) {
        for (size_t i = 0; i < len; i++)
            if (slot != CWA_SECRET_TOTP || (text[i] != ' ' && text[i] != '-'))
                copy[n++] = text[i];
        copy[n] = '\0';
    }
    put(s, slot, copy, n);
    return copy ? 0 : -1;
}

/* Percent-decodes len bytes of t into a new string; NULL when out of memory. */
static char *url_decode(const char *t, size_t len, size_t *outlen)
{
    char *d = malloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; d && i < len; i++) {
        int v = t[i] == '%' && i + 2 < len ? hex2((const unsigned char *)t + i + 1) : -1;
        if (v >= 0) {
            d[n++] = (char)v;
            i += 2;
        } else {
            d[n++] = t[i];
        }
    }
    if (d)
        d[n] = '\0';
    *outlen = n;
    return d;
}

int cwa_secrets_set_proxy(cwa_secrets *s, const char *url)
{
    put(s, CWA_SECRET_PROXY_USER, NULL, 0);
    put(s, CWA_SECRET_PROXY_PASSWORD, NULL, 0);
    put(s, CWA_SECRET_PROXY_BASIC, NULL, 0);
    if (!url)
        return 0;
    const char *start = strstr(url, "://");
    start = start ? start + 3 : url;
    /* the last '@': a password may hold an unencoded '@' or '/' */
    const char *at = strrchr(start, '@');
    if (!at)
        return 0;
    const char *colon = memchr(start, ':', (size_t)(at - start));
    const char *user_end = colon ? colon : at;
    size_t ulen = 0, plen = 0;
    char *user = url_decode(start, (size_t)(user_end - start), &ulen);
    char *pass = colon ? url_decode(colon + 1, (size_t)(at - colon - 1), &plen) : NULL;
    /* what libcurl sends the proxy: Basic base64(user:password) */
    size_t raw_len = ulen + 1 + plen;
    char *raw = user && (pass || !colon) ? malloc(raw_len + 1) : NULL;
    unsigned char *basic = raw ? malloc(4 * ((raw_len + 2) / 3) + 1) : NULL;
    int rc = -1;
    if (basic) {
        memcpy(raw, user, ulen);
        raw[ulen] = ':';
        if (plen)
            memcpy(raw + ulen + 1, pass, plen);
        int blen = EVP_EncodeBlock(basic, (const unsigned char *)raw, (int)raw_len);
        put(s, CWA_SECRET_PROXY_USER, user, ulen);
        put(s, CWA_SECRET_PROXY_PASSWORD, pass, plen);
        put(s, CWA_SECRET_PROXY_BASIC, (char *)basic, blen > 0 ? (size_t)blen : 0);
        user = pass = NULL;
        basic = NULL;
        rc = 0;
    }
    if (raw)
        cwa_wipe(raw, raw_len);
    free(raw);
    free(basic);
    if (user)
        cwa_wipe(user, ulen);
    if (pass)
        cwa_wipe(pass, plen);
    free(user);
    free(pass);
    return rc;
}

void cwa_secrets_clear(cwa_secrets *s)
{
    for (int slot = 0; slot < CWA_SECRET_SLOTS; slot++)
        empty(s, (cwa_secret_slot)slot);
    memset(s->first, 0, sizeof s->first);
}
