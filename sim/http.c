#include "http.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cwa_buf.h"
#include "query.h"
#include "resp.h"
#include "router.h"
#include "util.h"

#define API_ROOT "/cwa/api/v"
#define MAX_BODY (4u << 20)

/* One request: allocated when its URI arrives, freed when it completes. */
typedef struct sim_req {
    char *uri;
    cwa_buf body;
    int seen;
    int too_big;
} sim_req;

/* A body that stops half way (--stall-rate). */
typedef struct stall_body {
    char *data;
    size_t cut;
    long stall_ms;
    sim_server *srv;
} stall_body;

static const char html_page[] =
    "<!DOCTYPE html>\n<html><head><title>Request Rejected</title></head>\n"
    "<body><h1>The requested URL was rejected.</h1>\n"
    "<p>Please consult with your administrator. Your support ID is: 14851285103718429101</p>\n"
    "</body></html>\n";

static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *con)
{
    (void)cls;
    (void)con;
    sim_req *r = calloc(1, sizeof *r);
    if (r && !(r->uri = sim_strdup(uri))) {
        free(r);
        r = NULL;
    }
    return r;
}

static void completed_cb(void *cls, struct MHD_Connection *con, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)con;
    (void)toe;
    sim_req *r = *con_cls;
    if (r) {
        free(r->uri);
        cwa_buf_free(&r->body);
        free(r);
        *con_cls = NULL;
    }
}

static ssize_t stall_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stall_body *sb = cls;
    if (pos < sb->cut) {
        size_t n = sb->cut - (size_t)pos;
        if (n > max)
            n = max;
        memcpy(buf, sb->data + pos, n);
        return (ssize_t)n;
    }
    long long until = sim_now_ms() + sb->stall_ms;
    while (!atomic_load(&sb->srv->stopping) && sim_now_ms() < until)
        sim_sleep_ms(50);
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stall_free(void *cls)
{
    stall_body *sb = cls;
    free(sb->data);
    free(sb);
}

static void add_headers(struct MHD_Response *mr, const sim_resp *r, const sim_rate_info *ri)
{
    if (!r->no_body)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->ctype ? r->ctype : "application/json; charset=utf-8");
    for (int i = 0; i < r->nhdr; i++)
        MHD_add_response_header(mr, r->hdr[i][0], r->hdr[i][1]);
    if (ri && ri->limit > 0) {
        char v[32];
        snprintf(v, sizeof v, "%ld", ri->limit);
        MHD_add_response_header(mr, "X-RateLimit-Limit", v);
        snprintf(v, sizeof v, "%ld", ri->remaining);
        MHD_add_response_header(mr, "X-RateLimit-Remaining", v);
        snprintf(v, sizeof v, "%ld", ri->reset_s);
        MHD_add_response_header(mr, "X-RateLimit-Reset", v);
    }
}

/* Sends r; a stall cuts the body and stops. MHD_NO when it could not. */
static enum MHD_Result send_resp(sim_server *s, struct MHD_Connection *con, sim_resp *r,
                                 const sim_rate_info *ri, int stall)
{
    struct MHD_Response *mr;
    if (stall) {
        stall_body *sb = calloc(1, sizeof *sb);
        if (!sb)
            return MHD_NO;
        size_t len = r->body.len;
        sb->data = cwa_buf_steal(&r->body, NULL);
        sb->cut = len / 2;
        sb->stall_ms = s->opts.stall_ms;
        sb->srv = s;
        if (!sb->data) {
            free(sb);
            return MHD_NO;
        }
        mr = MHD_create_response_from_callback(len, 4096, stall_read, sb, stall_free);
        if (!mr) {
            stall_free(sb);
            return MHD_NO;
        }
    } else if (r->no_body || r->body.len == 0) {
        mr = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else {
        size_t len = r->body.len;
        char *data = cwa_buf_steal(&r->body, NULL);
        if (!data)
            return MHD_NO;
        mr = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (!mr)
            free(data);
    }
    if (!mr)
        return MHD_NO;
    add_headers(mr, r, ri);
    enum MHD_Result rc = MHD_queue_response(con, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    return rc;
}

static void internal_call(sim_server *s, const char *method, const char *path, sim_resp *out)
{
    if (strcmp(path, "/__stats") == 0 && strcmp(method, "GET") == 0) {
        cJSON *j = sim_stats_json(&s->stats);
        if (j)
            sim_resp_take(out, 200, j);
        else
            sim_error(out, s->opts.dialect, 500, "ServerError", "out of memory", NULL, NULL);
    } else if (strcmp(path, "/__reset") == 0 && strcmp(method, "POST") == 0) {
        sim_stats_reset(&s->stats);
        sim_limits_reset(&s->limits);
        sim_resp_empty(out, 204);
    } else {
        sim_error(out, s->opts.dialect, 405, "MethodNotAllowed", "Use GET /__stats or POST /__reset.",
                  NULL, NULL);
    }
}

static void fail_answer(sim_server *s, uint64_t bits, sim_resp *out)
{
    if (bits & 1) {
        sim_error(out, s->opts.dialect, 500, "ServerError", "An error has occurred.", NULL, NULL);
        return;
    }
    sim_error(out, s->opts.dialect, 503, "ServiceUnavailable", "The service is temporarily unavailable.",
              NULL, NULL);
    if (bits & 2)
        sim_resp_header(out, "Retry-After", "1");
}

/* 1 or 2 for a path under /cwa/api/v1/ or /cwa/api/v2/, else 0. */
static int api_version(const char *path)
{
    size_t n = sizeof API_ROOT - 1;
    if (strncmp(path, API_ROOT, n) != 0 || (path[n] != '1' && path[n] != '2') || path[n + 1] != '/')
        return 0;
    return path[n] - '0';
}

/* The whole API pipeline; returns -1 to drop the connection. */
static int api_call(sim_server *s, struct MHD_Connection *con, int version, const char *method,
                    const char *path, const char *qs, sim_req *req, sim_resp *out, sim_rate_info *ri,
                    int *stall, char **page_key)
{
    const sim_opts *o = &s->opts;
    long inflight = sim_stats_enter(&s->stats);
    int ret = 0;
    if (o->max_concurrent > 0 && inflight > o->max_concurrent) {
        sim_stats_count(&s->stats, SIM_STAT_CONCURRENCY_LIMITED);
        sim_error(out, o->dialect, 429, "TooManyRequests", "Too many concurrent requests.", NULL, NULL);
        sim_resp_header(out, "Retry-After", "1");
        goto leave;
    }
    sim_sleep_ms(o->latency_ms);
    if (!sim_rate_take(&s->limits, ri)) {
        sim_error(out, o->dialect, 429, "TooManyRequests", "Rate limit exceeded.", NULL, NULL);
        sim_resp_header(out, "Retry-After", "%ld", ri->retry_after_s);
        goto leave;
    }
    const char *rel = path + sizeof API_ROOT;
    while (*rel == '/')
        rel++;
    sim_call_kind kind = version == 1 ? sim_classify(o, method, rel) : SIM_CALL_DATA;
    /* real servers let the login through without a ClientId (clients such
     * as connectwise-rest send none there) and refuse every other call */
    if (o->dialect != CWA_DIALECT_APICREDENTIALS && kind != SIM_CALL_LOGIN) {
        const char *cid = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "ClientId");
        if (!cid || !*cid) {
            sim_error(out, o->dialect, 401, "Unauthorized", "A ClientId header is required.", NULL,
                      NULL);
            goto leave;
        }
    }
    if (req->too_big) {
        sim_error(out, o->dialect, 413, "RequestEntityTooLarge", "The body is too large.", NULL, NULL);
        goto leave;
    }
    sim_query q;
    if (sim_query_parse(&q, qs) != 0) {
        sim_query_free(&q);
        sim_error(out, o->dialect, 500, "ServerError", "out of memory", NULL, NULL);
        goto leave;
    }
    if (q.duplicate) {
        sim_query_free(&q);
        sim_error_message(out, o->dialect, 400, "BadRequest",
                          "An item with the same key has already been added.");
        goto leave;
    }
    int faultable = kind == SIM_CALL_DATA ||
                    (o->fault_logins && (kind == SIM_CALL_LOGIN || kind == SIM_CALL_REFRESH));
    sim_fault f = SIM_FAULT_NONE;
    uint64_t bits = 0;
    if (faultable)
        f = sim_fault_draw(&s->limits, &bits);
    if (f == SIM_FAULT_DROP) {
        sim_stats_fault(&s->stats, f);
        sim_query_free(&q);
        ret = -1;
        goto leave;
    }
    if (f == SIM_FAULT_FAIL || f == SIM_FAULT_HTML) {
        sim_stats_fault(&s->stats, f);
        if (f == SIM_FAULT_FAIL) {
            fail_answer(s, bits, out);
        } else {
            cwa_buf_reset(&out->body);
            cwa_buf_puts(&out->body, html_page);
            out->status = 200;
            out->ctype = "text/html; charset=utf-8";
        }
        sim_query_free(&q);
        goto leave;
    }
    sim_route(s, version, method, rel, &q, req->body.data, req->body.len,
              MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization"), out);
    if (out->list && out->status == 200)
        *page_key = sim_query_key(path, &q);
    sim_query_free(&q);
    if ((f == SIM_FAULT_MALFORMED || f == SIM_FAULT_STALL) && out->status == 200 && out->body.len > 0) {
        sim_stats_fault(&s->stats, f);
        if (f == SIM_FAULT_MALFORMED) {
            out->body.len /= 2;
            out->body.data[out->body.len] = '\0';
        } else {
            *stall = 1;
        }
    }
leave:
    sim_stats_leave(&s->stats);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *con, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)version;
    sim_server *s = cls;
    sim_req *req = *con_cls;
    if (!req)
        return MHD_NO;
    if (!req->seen) {
        req->seen = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        if (req->body.len + *upload_size > MAX_BODY)
            req->too_big = 1;
        else if (cwa_buf_append(&req->body, upload, *upload_size) != 0)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    long long started = sim_now_ms();
    /* The absolute form a client sends to an HTTP proxy: the simulator is
     * its own proxy, so clients' proxy settings can be tested on loopback. */
    const char *target = req->uri;
    if (strncasecmp(target, "http://", 7) == 0) {
        const char *slash = strchr(target + 7, '/');
        target = slash ? slash : "/";
        sim_stats_count(&s->stats, SIM_STAT_PROXIED);
    }
    const char *qmark = strchr(target, '?');
    size_t plen = qmark ? (size_t)(qmark - target) : strlen(target);
    char *path = sim_strndup(target, plen);
    if (!path)
        return MHD_NO;
    sim_lower(path);
    while (plen > 1 && path[plen - 1] == '/')
        path[--plen] = '\0';
    sim_resp out;
    memset(&out, 0, sizeof out);
    sim_rate_info ri;
    memset(&ri, 0, sizeof ri);
    int stall = 0, internal = 0, api;
    char *page_key = NULL;
    enum MHD_Result rc = MHD_YES;
    if (strcmp(path, "/__stats") == 0 || strcmp(path, "/__reset") == 0) {
        internal = 1;
        internal_call(s, method, path, &out);
    } else if (!(api = api_version(path))) {
        sim_error(&out, s->opts.dialect, 404, "NotFound",
                  "Not found: the API lives under /cwa/api/v1/ (and /cwa/api/v2/).", NULL, NULL);
    } else if (api_call(s, con, api, method, path, qmark ? qmark + 1 : NULL, req, &out, &ri, &stall,
                        &page_key) != 0) {
        rc = MHD_NO;
    }
    if (rc == MHD_YES) {
        if (!internal) {
            char key[600];
            snprintf(key, sizeof key, "%s %s", method, path);
            sim_stats_answer(&s->stats, out.status, page_key, page_key ? NULL : key);
        }
        int status = out.status;
        rc = send_resp(s, con, &out, &ri, stall);
        if (s->opts.verbose)
            fprintf(stderr, "%s %s%s%s %d %lldms%s\n", method, path, qmark ? "?" : "",
                    qmark ? qmark + 1 : "", status, sim_now_ms() - started, stall ? " (stalled)" : "");
    } else if (s->opts.verbose) {
        fprintf(stderr, "%s %s dropped\n", method, path);
    }
    free(page_key);
    free(path);
    sim_resp_free(&out);
    return rc;
}

int sim_http_start(sim_server *s)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)s->opts.port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    if (s->opts.verbose)
        flags |= MHD_USE_ERROR_LOG;
    if (s->tls.cert_pem) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            fprintf(stderr, "cwa-sim: this libmicrohttpd has no TLS support\n");
            return -1;
        }
        flags |= MHD_USE_TLS;
        s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR, &sa,
                                     MHD_OPTION_URI_LOG_CALLBACK, uri_cb, s, MHD_OPTION_NOTIFY_COMPLETED,
                                     completed_cb, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
                                     MHD_OPTION_HTTPS_MEM_KEY, s->tls.key_pem, MHD_OPTION_HTTPS_MEM_CERT,
                                     s->tls.cert_pem, MHD_OPTION_END);
    } else {
        s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR, &sa,
                                     MHD_OPTION_URI_LOG_CALLBACK, uri_cb, s, MHD_OPTION_NOTIFY_COMPLETED,
                                     completed_cb, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
                                     MHD_OPTION_END);
    }
    if (!s->daemon) {
        fprintf(stderr, "cwa-sim: cannot listen on 127.0.0.1:%d\n", s->opts.port);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : s->opts.port;
    return 0;
}

void sim_http_stop(sim_server *s)
{
    atomic_store(&s->stopping, 1);
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
}
