/* Error values: code names, statuses to codes, and reading the error bodies
 * that Automate servers and the proxies in front of them send. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwa_internal.h"
#include "cwa_str.h"

static const char *const code_names[] = {
    [CWA_OK] = "OK",
    [CWA_E_UNAUTHORIZED] = "Unauthorized",
    [CWA_E_TWO_FACTOR_REQUIRED] = "TwoFactorRequired",
    [CWA_E_FORBIDDEN] = "Forbidden",
    [CWA_E_NOT_FOUND] = "NotFound",
    [CWA_E_BAD_REQUEST] = "BadRequest",
    [CWA_E_RATE_LIMITED] = "RateLimited",
    [CWA_E_SERVER_ERROR] = "ServerError",
    [CWA_E_NETWORK] = "Network",
    [CWA_E_TIMEOUT] = "Timeout",
    [CWA_E_TLS] = "TLS",
    [CWA_E_INVALID_ARGUMENT] = "InvalidArgument",
    [CWA_E_INVALID_RESPONSE] = "InvalidResponse",
    [CWA_E_CANCELLED] = "Cancelled",
    [CWA_E_NOMEM] = "OutOfMemory",
};

const char *cwa_code_name(cwa_code code)
{
    if ((size_t)code < sizeof code_names / sizeof code_names[0] && code_names[code])
        return code_names[code];
    return "Unknown";
}

void cwa_error_clear(cwa_error *e)
{
    free(e->details);
    memset(e, 0, sizeof *e);
}

void cwa_error_set(cwa_error *e, cwa_code code, const char *fmt, ...)
{
    va_list ap;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

void cwa_error_move(cwa_error *dst, cwa_error *src)
{
    if (dst == src)
        return;
    free(dst->details);
    *dst = *src;
    src->details = NULL;
    cwa_error_clear(src);
}

cwa_code cwa__code_for_status(long status)
{
    switch (status) {
    case 400:
    case 405:
    case 409:
    case 413:
    case 414:
    case 415:
    case 422: return CWA_E_BAD_REQUEST;
    case 401: return CWA_E_UNAUTHORIZED;
    case 403: return CWA_E_FORBIDDEN;
    case 404:
    case 410: return CWA_E_NOT_FOUND;
    case 408: return CWA_E_TIMEOUT;
    case 429: return CWA_E_RATE_LIMITED;
    default:
        if (status >= 500)
            return CWA_E_SERVER_ERROR;
        if (status >= 300 && status < 400)
            return CWA_E_INVALID_RESPONSE;
        return CWA_E_BAD_REQUEST;
    }
}

static void keep_details(cwa_error *e, const cJSON *v)
{
    if (!v || cJSON_IsNull(v))
        return;
    char *text = cJSON_PrintUnformatted(v);
    if (text) {
        free(e->details);
        e->details = text;
    }
}

static int looks_html(const char *body, size_t len)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    return i < len && body[i] == '<';
}

void cwa__scrub_error(const cwa_client *c, cwa_error *e)
{
    cwa_scrub(&c->secrets, e->message);
    cwa_scrub(&c->secrets, e->url);
    if (e->details)
        cwa_scrub(&c->secrets, e->details);
}

void cwa_client_excerpt(const cwa_client *c, const char *body, size_t len, size_t max, char *out,
                        size_t cap)
{
    cwa_scrub_excerpt(c ? &c->secrets : NULL, body, len, max, out, cap);
}

/* Scrubs a string of the parsed body in place (root is ours to change), so
 * that a secret near the end of a long message is gone before the message
 * is cut to fit e. */
static const char *scrubbed(const cwa_client *c, const char *s)
{
    if (s)
        cwa_scrub(&c->secrets, (char *)s);
    return s;
}

/* Adds one of the server's texts to out (cap bytes): "key: text", or the
 * text alone without a key; "; " between texts. */
static void add_detail(const cwa_client *c, char *out, size_t cap, const char *key, const char *text)
{
    size_t n = strlen(out);
    if (!text || !text[0] || n + 1 >= cap)
        return;
    int keyed = key && key[0];
    snprintf(out + n, cap - n, "%s%s%s%s", n ? "; " : "", keyed ? scrubbed(c, key) : "",
             keyed ? ": " : "", scrubbed(c, text));
}

/* What ModelState ({field: [texts]} or {field: text}) and errors[]
 * ([{message}] or [text]) say was wrong, where Message often says only that
 * something was ("The request is invalid."); an errors[] text that repeats
 * msg is left out. */
static void details_text(const cwa_client *c, const cJSON *root, const char *msg, char *out, size_t cap)
{
    const cJSON *item;
    out[0] = '\0';
    const cJSON *ms = cwa_json_get(root, "ModelState");
    if (cJSON_IsObject(ms)) {
        cJSON_ArrayForEach(item, ms)
        {
            if (cJSON_IsString(item))
                add_detail(c, out, cap, item->string, item->valuestring);
            else if (cJSON_IsArray(item)) {
                const cJSON *text;
                cJSON_ArrayForEach(text, item)
                {
                    if (cJSON_IsString(text))
                        add_detail(c, out, cap, item->string, text->valuestring);
                }
            }
        }
    }
    const cJSON *errs = cwa_json_get(root, "errors");
    if (cJSON_IsArray(errs)) {
        cJSON_ArrayForEach(item, errs)
        {
            const char *t = cJSON_IsString(item) ? item->valuestring : cwa_json_string(item, "message");
            if (t && !(msg && strcmp(scrubbed(c, t), msg) == 0))
                add_detail(c, out, cap, NULL, t);
        }
    }
}

/* Between the server's message and its details: "The request is invalid.
 * orderBy: ...", "Bad request: ...". */
static const char *detail_sep(const char *msg)
{
    size_t n = strlen(msg);
    return n && strchr(".:;!?", msg[n - 1]) ? " " : ": ";
}

/* Reads {"error":{code,message,details}}, {code,message,errors[]},
 * {Message, ModelState}, a JSON string, text or HTML into e, with the
 * client's secrets as ***. */
void cwa__error_from_body(cwa_error *e, const cwa_req *r)
{
    const char *body = r->resp.data ? r->resp.data : "";
    size_t len = r->resp.len;
    const char *what = cwa_code_name(e->code);
    char excerpt[200];

    cJSON *root = len ? cJSON_ParseWithLength(body, len) : NULL;
    const char *msg = NULL, *code = NULL;
    char details[sizeof e->message] = "";
    if (root) {
        const cJSON *inner = cwa_json_get(root, "error");
        if (cJSON_IsObject(inner)) {
            msg = cwa_json_string(inner, "message");
            code = cwa_json_string(inner, "code");
            keep_details(e, cwa_json_get(inner, "details"));
        } else if (cJSON_IsString(inner)) {
            msg = inner->valuestring;
            keep_details(e, cwa_json_get(root, "error_description"));
        } else if (cJSON_IsString(root)) {
            msg = root->valuestring;
        } else {
            msg = cwa_json_string(root, "message");
            code = cwa_json_string(root, "code");
            if (cwa_json_get(root, "errors"))
                keep_details(e, cwa_json_get(root, "errors"));
            else if (cwa_json_get(root, "ModelState"))
                keep_details(e, cwa_json_get(root, "ModelState"));
        }
        msg = scrubbed(r->client, msg);
        if (cJSON_IsObject(root) && !inner)
            details_text(r->client, root, msg, details, sizeof details);
    }
    code = scrubbed(r->client, code);
    if (msg || details[0]) {
        const char *sep = msg && details[0] ? detail_sep(msg) : "";
        int coded = code && strcmp(code, what) != 0;
        int n = snprintf(e->message, sizeof e->message, "%s%s%s%s%s%s", msg ? msg : "", sep, details,
                         coded ? " (" : "", coded ? code : "", coded ? ")" : "");
        /* a server's words past the message's room are cut, and the cut shows */
        if (n >= (int)sizeof e->message)
            memcpy(e->message + sizeof e->message - 4, "...", 4);
    } else if (len == 0)
        snprintf(e->message, sizeof e->message, "HTTP %ld with an empty body", r->status);
    else {
        cwa_scrub_excerpt(&r->client->secrets, body, len, 160, excerpt, sizeof excerpt);
        snprintf(e->message, sizeof e->message, "HTTP %ld with a %s body: %s", r->status,
                 looks_html(body, len) ? "HTML" : "non-JSON", excerpt);
    }
    cJSON_Delete(root);
    cwa__scrub_error(r->client, e);
}
