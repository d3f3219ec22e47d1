/*
 * libFuzzer target: whole answers (status line, headers, body) through the
 * core's response path, without a network.
 *
 * Input: one selector byte (what the request was: a data GET, a POST, a
 * list page with an id field, a login in each dialect, a token refresh),
 * then the answer as a server sends it, split at the first "\r\n\r\n" into
 * the header block and the body; without one the whole answer is a header
 * block cut short.
 *
 * Per input a fresh client (http://127.0.0.1:1, allow_http, credentials, a
 * fixed 2FA code, a token already held) so that a finding replays from its
 * input alone. The request is queued and marked in flight the way
 * cwa__transfer_start leaves it, then every header line goes through
 * cwa_headers_line and the body into r->resp under the same caps as the
 * libcurl callbacks (on_header, on_body in cwa_transfer.c), and the status
 * is what libcurl takes from the status line.
 *
 * Judging: cwa__attempt_complete reads the status from the easy handle
 * (curl_easy_getinfo), which only a real transfer fills, so it is not
 * called. Logins and refreshes go through cwa__auth_complete as they would
 * from it; a data call takes the steps of cwa__attempt_complete and
 * data_complete (static there) in their order with the core's own
 * functions: the cut-headers rule, the rate limiter's observe/answer/pause,
 * cwa__decode with a cJSON decoder (the Lua binding's stand-in), the page
 * rules (cwa_page_read), the 401 rule (cwa__auth_rejected) and
 * cwa__attempt_failed (the server's error body, redirects, retries).
 *
 * Rules: every error text is NUL-terminated and holds none of the secrets
 * (password, 2FA code, token), whatever the answer quotes; a page's
 * numbers keep their ranges. Retries and new logins stay queued and are
 * freed with the client. Any broken rule aborts.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwa_internal.h"
#include "cwa_page.h"
#include "cwa_str.h"
#include "cwa_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                                                      \
    do {                                                                                                \
        if (!(c)) {                                                                                     \
            fprintf(stderr, "fuzz_response: broken rule at line %d: %s\n", __LINE__, #c);               \
            abort();                                                                                    \
        }                                                                                               \
    } while (0)

static const char PASSWORD[] = "Pw-s3cret-hunter2";
static const char CODE[] = "246810";
static const char TOKEN[] = "tok-SECRET-0123456789abcdef";
static const char ID_FIELD[] = "ComputerID";

enum { MAX_BODY = 2048 };

static cwa_json_kind kind_of(const cJSON *v)
{
    if (cJSON_IsArray(v))
        return cJSON_GetArraySize(v) ? CWA_JSON_ARRAY : CWA_JSON_EMPTY;
    if (cJSON_IsObject(v))
        return v->child ? CWA_JSON_OBJECT : CWA_JSON_EMPTY;
    return CWA_JSON_NONE;
}

static void note_id(cwa_page_info *info, long index, const cJSON *rec, const char *id_field)
{
    const cJSON *id = cJSON_IsObject(rec) ? cwa_json_get(rec, id_field) : NULL;
    char text[64];
    if (cJSON_IsNumber(id)) {
        int n = snprintf(text, sizeof text, "%.14g", id->valuedouble);
        cwa_page_note_id(info, index, CWA_ID_NUMBER, text, (size_t)n);
    } else if (cJSON_IsString(id)) {
        cwa_page_note_id(info, index, CWA_ID_STRING, id->valuestring, strlen(id->valuestring));
    } else {
        cwa_page_note_id(info, index, CWA_ID_NONE, NULL, 0);
    }
}

/* What the Lua binding's decoder reports, from cJSON: the facts of
 * cwa_page_info, the value dropped at once (nothing reads it here). */
static int decode(void *ud, cwa_req *req, const char *body, size_t len, const char *id_field,
                  cwa_page_info *info, char *msg, size_t msgcap)
{
    const cwa_client *c = ud;
    (void)req;
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root) {
        char excerpt[200];
        cwa_client_excerpt(c, body, len, 80, excerpt, sizeof excerpt);
        snprintf(msg, msgcap, "not JSON: %s", excerpt);
        return -1;
    }
    if (id_field) {
        memset(info, 0, sizeof *info);
        info->body = kind_of(root);
        const cJSON *list = NULL;
        if (cJSON_IsObject(root)) {
            const cJSON *rs = cwa_json_get(root, "ResultSet");
            info->result_set = kind_of(rs);
            if (cJSON_IsArray(rs) || (cJSON_IsObject(rs) && !rs->child))
                list = rs;
            const cJSON *total = cwa_json_get(root, "TotalRecordCount");
            if (cJSON_IsNumber(total)) {
                info->has_total = 1;
                info->total = total->valuedouble;
            }
        } else if (cJSON_IsArray(root)) {
            list = root;
        }
        if (list) {
            long i = 0;
            info->all_containers = 1;
            for (const cJSON *e = list->child; e; e = e->next) {
                if (!cJSON_IsObject(e) && !cJSON_IsArray(e))
                    info->all_containers = 0;
                note_id(info, ++i, e, id_field);
            }
            info->count = i;
        }
    }
    cJSON_Delete(root);
    return 0;
}

static cwa_client *new_client(cwa_auth_mode dialect)
{
    cwa_config cfg;
    cwa_config_defaults(&cfg);
    cfg.server = "http://127.0.0.1:1";
    cfg.allow_http = 1;
    cfg.username = "fuzzer";
    cfg.password = PASSWORD;
    cfg.two_factor_code = CODE;
    cfg.client_id = "00000000-fuzz";
    cfg.auth = dialect;
    cfg.max_body = MAX_BODY;
    cfg.max_wait = 30;
    cfg.hooks.decode = decode;
    cwa_error err = {0};
    cwa_client *c = cwa_client_new(&cfg, &err);
    REQUIRE(c != NULL);
    c->cfg.hooks.ud = c;
    /* a token already held, so the scrubber knows one and a 401 replays */
    c->token = cwa_str_dup(TOKEN, NULL);
    REQUIRE(c->token != NULL);
    REQUIRE(cwa_secrets_set(&c->secrets, CWA_SECRET_TOKEN, TOKEN, strlen(TOKEN)) == 0);
    REQUIRE(cwa_secrets_set(&c->secrets, CWA_SECRET_CODE, CODE, strlen(CODE)) == 0);
    c->token_gen = 1;
    c->token_expires = cwa_time_now() + 3600;
    c->refresh_at = c->token_expires - 300;
    return c;
}

/* Queued and in flight, as cwa__transfer_start leaves a request (without
 * the easy handle, so cwa__transfer_release has nothing to give back). */
static void in_flight(cwa_client *c, cwa_req *r)
{
    cwa__enqueue(c, r);
    r->state = REQ_FLIGHT;
    r->attempts = 1;
    r->started = cwa_time_mono();
    r->token_gen = r->kind == KIND_DATA ? c->token_gen : 0;
    cwa_headers_init(&r->hdr);
}

static cwa_req *new_request(cwa_client *c, unsigned sel)
{
    cwa_error err = {0};
    cwa_req *r = NULL;
    switch (sel) {
    case 0: r = cwa_req_new(c, CWA_GET, "/Computers/42", 13, NULL, 0, &err); break;
    case 1: r = cwa_req_new(c, CWA_POST, "/Scripts/7/Run", 14, "{\"a\":1}", 7, &err); break;
    case 2:
        r = cwa_req_new(c, CWA_GET, "/Computers", 10, NULL, 0, &err);
        if (r)
            r->id_field = ID_FIELD;
        break;
    default: {
        r = cwa__req_alloc(c, CWA_POST, sel == 5 ? KIND_REFRESH : KIND_LOGIN);
        const char *path = c->dialect == CWA_AUTH_APICREDENTIALS ? "/cwa/api/v1/APICredentials"
                                                                 : "/cwa/api/v1/apitoken";
        if (r && (cwa_buf_puts(&r->url, c->server.base) != 0 || cwa_buf_puts(&r->url, path) != 0)) {
            cwa_req_free(r);
            r = NULL;
        }
        if (r)
            c->auth_req = r;
        break;
    }
    }
    cwa_error_clear(&err);
    return r;
}

/* The header block as libcurl hands it to on_header: one line at a time,
 * each in an exact-size allocation so ASan sees an overread. 0, or -1 when
 * on_header would have refused a line (the headers cap). */
static int feed_headers(cwa_req *r, const char *buf, size_t len)
{
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(buf + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - buf) + 1 : len;
        size_t n = end - start;
        if (n > CWA_HEADERS_MAX - r->header_bytes) {
            r->too_large = TOO_LARGE_HEADERS;
            return -1;
        }
        r->header_bytes += n;
        char *line = malloc(n);
        REQUIRE(line != NULL);
        memcpy(line, buf + start, n);
        cwa_headers_line(&r->hdr, line, n, cwa_time_now());
        free(line);
        start = end;
    }
    return 0;
}

static void no_secret(const char *text, size_t cap)
{
    REQUIRE(memchr(text, '\0', cap) != NULL);
    REQUIRE(!strstr(text, PASSWORD));
    REQUIRE(!strstr(text, CODE));
    REQUIRE(!strstr(text, TOKEN));
}

static void check_error(const cwa_error *e)
{
    no_secret(e->message, sizeof e->message);
    no_secret(e->url, sizeof e->url);
    no_secret(e->method, sizeof e->method);
    if (e->details)
        no_secret(e->details, strlen(e->details) + 1);
}

static void check_page(const cwa_req *r)
{
    cwa_page pg;
    cwa_page_read(r->has_body ? &r->page : NULL, &pg);
    REQUIRE(pg.count >= -1 && pg.total >= -1);
    REQUIRE(memchr(pg.last_id, '\0', sizeof pg.last_id) != NULL);
    REQUIRE(pg.id_break >= 0 && pg.id_break <= (pg.count > 0 ? pg.count : 0));
    if (pg.count <= 0)
        REQUIRE(pg.last_id[0] == '\0');
}

/* cwa__attempt_complete and data_complete, step by step, from the point
 * where the status is known. */
static void judge_data(cwa_client *c, cwa_req *r, CURLcode rc)
{
    if (rc == CURLE_OK && r->hdr.ratelimit_remaining >= 0) {
        cwa_rate_observe(&c->rate, r->hdr.ratelimit_limit, r->hdr.ratelimit_remaining,
                         r->hdr.ratelimit_reset, cwa_time_mono());
        r->rate_observed = 1;
    }
    int throttled = r->status == 429                             ? CWA_RATE_THROTTLE
                    : r->status == 503 && r->hdr.has_retry_after ? CWA_RATE_MAYBE
                                                                 : 0;
    cwa_rate_answer(&c->rate, r->rate_observed ? 0 : throttled, r->status >= 200 && r->status < 300,
                    cwa_time_mono());
    if (r->status == 429 && r->hdr.has_retry_after)
        cwa_rate_pause_until(&c->rate,
                             cwa_time_mono() + (r->hdr.retry_after < c->cfg.max_wait ? r->hdr.retry_after
                                                                                     : c->cfg.max_wait));
    cwa_error_clear(&r->err);
    long status = r->status;
    int idem = r->method == CWA_GET;
    if (rc == CURLE_OK && status >= 200 && status < 300) {
        char msg[512] = "";
        if (cwa__decode(c, r, msg, sizeof msg) == 0) {
            if (r->id_field)
                check_page(r);
            cwa__finish(c, r);
            return;
        }
        no_secret(msg, sizeof msg);
        cwa_error_set(&r->err, CWA_E_INVALID_RESPONSE, "HTTP %ld: %s", status, msg);
        cwa__finish(c, r);
        return;
    }
    if (rc == CURLE_OK && status == 401 && r->token_gen != 0) {
        cwa__auth_rejected(c, r->token_gen);
        REQUIRE(c->token == NULL);
    }
    if (cwa__attempt_failed(c, r, rc, idem)) {
        REQUIRE(r->state == REQ_QUEUED);
        check_error(&r->err);
        return;
    }
    cwa__finish(c, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned sel = data[0] % 7;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    cwa_auth_mode dialect = sel == 4   ? CWA_AUTH_APICREDENTIALS
                            : sel == 6 ? CWA_AUTH_AUTO
                                       : CWA_AUTH_APITOKEN;
    if (sel == 6)
        sel = 3; /* a login of the first contact: a 404 switches dialects */
    cwa_client *c = new_client(dialect);
    cwa_req *r = new_request(c, sel);
    REQUIRE(r != NULL);
    in_flight(c, r);

    /* a 1xx block is followed by the answer's own, as libcurl delivers both */
    size_t body = 0;
    CURLcode rc = CURLE_OK;
    do {
        size_t next = n;
        for (size_t i = body; i + 4 <= n; i++)
            if (memcmp(in + i, "\r\n\r\n", 4) == 0) {
                next = i + 4;
                break;
            }
        if (feed_headers(r, in + body, next - body) != 0)
            rc = CURLE_WRITE_ERROR;
        body = next;
    } while (rc == CURLE_OK && body < n && r->hdr.status_line_code >= 100 &&
             r->hdr.status_line_code < 200);
    if (rc == CURLE_OK && n > body) {
        size_t blen = n - body;
        if (blen > c->cfg.max_body - r->resp.len) {
            r->too_large = TOO_LARGE_BODY;
            rc = CURLE_WRITE_ERROR;
        } else {
            REQUIRE(cwa_buf_append(&r->resp, in + body, blen) == 0);
        }
    }
    if (rc == CURLE_OK && !r->hdr.complete) {
        rc = CURLE_PARTIAL_FILE;
        snprintf(r->curl_msg, sizeof r->curl_msg, "the connection closed inside the response headers");
    } else if (rc == CURLE_OK && r->hdr.status_line_code < 0) {
        /* libcurl takes no answer without a status line it can read */
        rc = CURLE_WEIRD_SERVER_REPLY;
        snprintf(r->curl_msg, sizeof r->curl_msg, "Unsupported HTTP version in response");
    }
    r->status = rc == CURLE_OK ? r->hdr.status_line_code : 0;

    if (r->kind == KIND_DATA) {
        judge_data(c, r, rc);
        if (r->state == REQ_DONE)
            check_error(&r->err);
    } else {
        cwa__auth_complete(c, r, rc); /* frees r unless it was queued again */
        check_error(&c->auth_err);
        if (c->token)
            REQUIRE(c->token[0] != '\0');
    }
    cwa_client_free(c);
    return 0;
}
