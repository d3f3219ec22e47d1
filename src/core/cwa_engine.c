/* The request engine: client lifecycle, the queue of pending requests, the
 * scheduling loop (token, rate limit, concurrency cap, retry times) and what
 * happens when an attempt ends (decode, retry, replay after 401, fail). */
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cwa_internal.h"
#include "cwa_time.h"
#include "cwa_totp.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void init_curl(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void cwa_config_defaults(cwa_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->auth = CWA_AUTH_AUTO;
    cfg->retries = 5;
    cfg->rate_limit = 60;
    cfg->concurrency = 10;
    cfg->timeout = 60;
    cfg->connect_timeout = 10;
    cfg->verify_tls = 1;
    cfg->backoff_base = 0.5;
    cfg->backoff_cap = 30;
    cfg->max_wait = 120;
}

void cwa__log(cwa_client *c, cwa_log_level level, const char *fmt, ...)
{
    if (!c->cfg.hooks.log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->cfg.hooks.log(c->cfg.hooks.ud, level, line);
}

static char *dup_opt(const char *s, int *failed)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *failed = 1;
    return d;
}

static void wipe_free(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = '\0';
        free(s);
    }
}

static int check_config(const cwa_config *cfg, cwa_error *err)
{
#define BAD(...) (cwa_error_set(err, CWA_E_INVALID_ARGUMENT, __VA_ARGS__), -1)
    if (!cfg->username || !cfg->username[0])
        return BAD("username: required");
    if (!cfg->password)
        return BAD("password: required");
    if (cfg->retries < 0 || cfg->retries > 100)
        return BAD("retries: must be between 0 and 100");
    if (cfg->concurrency < 1 || cfg->concurrency > 64)
        return BAD("concurrency: must be between 1 and 64");
    if (!(cfg->timeout > 0) || cfg->timeout > 86400)
        return BAD("timeout: must be a positive number of seconds");
    if (!(cfg->connect_timeout > 0) || cfg->connect_timeout > 86400)
        return BAD("connect_timeout: must be a positive number of seconds");
    if (cfg->rate_limit < 0 || isnan(cfg->rate_limit) || isinf(cfg->rate_limit))
        return BAD("rate_limit: must be a positive number of requests a minute, or false");
    if (!(cfg->backoff_base > 0) || !(cfg->backoff_cap >= cfg->backoff_base))
        return BAD("backoff: base must be positive and not above the cap");
    if (!(cfg->max_wait >= 0))
        return BAD("max_wait: must not be negative");
    if (cfg->auth != CWA_AUTH_AUTO && cfg->auth != CWA_AUTH_APITOKEN &&
        cfg->auth != CWA_AUTH_APICREDENTIALS)
        return BAD("auth: must be \"auto\", \"apitoken\" or \"apicredentials\"");
    if (cfg->two_factor_code) {
        const char *p = cfg->two_factor_code;
        size_t n = 0;
        for (; *p; p++)
            if (*p != ' ')
                n++;
        if (n == 0 || n > 16)
            return BAD("two_factor: a code has 1 to 16 characters");
    }
    if (cfg->proxy) {
        /* the value itself is never repeated: it may hold a password */
        size_t n = strlen(cfg->proxy);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)cfg->proxy[i] < 0x20 || cfg->proxy[i] == 0x7f)
                return BAD(
                    "proxy: a URL without control characters, like http://proxy.example.com:3128");
        if (n > 2048)
            return BAD("proxy: longer than 2048 characters");
    }
    return 0;
#undef BAD
}

cwa_client *cwa_client_new(const cwa_config *cfg, cwa_error *err)
{
    cwa_error_clear(err);
    if (!cfg->server || !cfg->server[0]) {
        cwa_error_set(err, CWA_E_INVALID_ARGUMENT, "server: required");
        return NULL;
    }
    cwa_server server;
    char msg[256];
    if (cwa_url_parse_server(cfg->server, cfg->allow_http, &server, msg, sizeof msg) != 0) {
        cwa_error_set(err, CWA_E_INVALID_ARGUMENT, "%s", msg);
        return NULL;
    }
    if (check_config(cfg, err) != 0)
        return NULL;

    unsigned char key[128];
    size_t keylen = 0;
    if (cfg->totp_secret &&
        (cwa_base32_decode(cfg->totp_secret, strlen(cfg->totp_secret), key, sizeof key, &keylen) != 0 ||
         keylen == 0)) {
        cwa_error_set(err, CWA_E_INVALID_ARGUMENT, "totp_secret: not a base32 secret");
        return NULL;
    }

    pthread_once(&curl_once, init_curl);
    if (curl_init_result != CURLE_OK) {
        cwa_error_set(err, CWA_E_NETWORK, "libcurl could not be initialised");
        return NULL;
    }

    cwa_client *c = calloc(1, sizeof *c);
    if (!c) {
        cwa_error_set(err, CWA_E_NOMEM, "out of memory");
        return NULL;
    }
    int failed = 0;
    c->cfg = *cfg;
    c->server = server;
    c->username = dup_opt(cfg->username, &failed);
    c->password = dup_opt(cfg->password, &failed);
    c->two_factor_code = dup_opt(cfg->two_factor_code, &failed);
    c->client_id = dup_opt(cfg->client_id, &failed);
    c->ca_file = dup_opt(cfg->ca_file, &failed);
    c->token_cache = dup_opt(cfg->token_cache, &failed);
    c->proxy = dup_opt(cfg->proxy, &failed);
    /* the caller's strings may go away: only our copies are used */
    c->cfg.server = c->cfg.username = c->cfg.password = NULL;
    c->cfg.two_factor_code = c->cfg.client_id = c->cfg.ca_file = NULL;
    c->cfg.totp_secret = c->cfg.token_cache = c->cfg.proxy = NULL;
    memcpy(c->totp_key, key, keylen);
    c->totp_keylen = keylen;
    memset(key, 0, sizeof key);
    c->dialect = cfg->auth;
    c->multi = curl_multi_init();
    if (failed || !c->multi) {
        cwa_client_free(c);
        cwa_error_set(err, CWA_E_NOMEM, "out of memory");
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)cfg->concurrency + 1);
    c->conc_limit = cfg->concurrency;
    double burst = cfg->burst > 0 ? cfg->burst : cfg->rate_limit;
    cwa_rate_init(&c->rate, cfg->rate_limit, burst, cwa_time_mono());
    cwa_rate_follow_server(&c->rate, cfg->rate_limit_default);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->rng = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)c;
    if (!cfg->verify_tls)
        cwa__log(c, CWA_LOG_WARN,
                 "TLS certificate verification is off (verify_tls = false): "
                 "anyone on the path can read the credentials");
    if (cwa__token_cache_load(c, err) != 0) {
        cwa_client_free(c);
        return NULL;
    }
    return c;
}

void cwa_client_free(cwa_client *c)
{
    if (!c)
        return;
    while (c->pending_head)
        cwa_req_free(c->pending_head);
    while (c->done_head)
        cwa_req_free(c->done_head);
    cwa__auth_free(c);
    for (int i = 0; i < c->npool; i++)
        curl_easy_cleanup(c->pool[i]);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    free(c->username);
    wipe_free(c->password);
    wipe_free(c->proxy);
    wipe_free(c->two_factor_code);
    free(c->client_id);
    free(c->ca_file);
    free(c->token_cache);
    memset(c->totp_key, 0, sizeof c->totp_key);
    cwa_error_clear(&c->auth_err);
    free(c);
}

/* ---- requests ---------------------------------------------------------- */

cwa_req *cwa__req_alloc(cwa_client *c, cwa_method method, req_kind kind)
{
    cwa_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->client = c;
    r->id = ++c->next_id;
    r->method = method;
    r->kind = kind;
    r->page.count = -1;
    r->page.total = -1;
    return r;
}

cwa_req *cwa_req_new(cwa_client *c, cwa_method method, const char *path, size_t pathlen,
                     const char *body, size_t bodylen, cwa_error *err)
{
    char msg[256];
    if (cwa_url_check_path(path, pathlen, msg, sizeof msg) != 0) {
        cwa_error_set(err, CWA_E_INVALID_ARGUMENT, "%s", msg);
        return NULL;
    }
    cwa_req *r = cwa__req_alloc(c, method, KIND_DATA);
    if (!r || cwa_buf_puts(&r->url, c->server.base) != 0 ||
        cwa_url_append_path(&r->url, path, pathlen) != 0) {
        cwa_req_free(r);
        cwa_error_set(err, CWA_E_NOMEM, "out of memory");
        return NULL;
    }
    if (body) {
        r->body = malloc(bodylen + 1);
        if (!r->body) {
            cwa_req_free(r);
            cwa_error_set(err, CWA_E_NOMEM, "out of memory");
            return NULL;
        }
        memcpy(r->body, body, bodylen);
        r->body[bodylen] = '\0';
        r->bodylen = bodylen;
    }
    return r;
}

int cwa_req_query(cwa_req *r, const char *key, const char *value, size_t vlen)
{
    int rc = cwa_url_append_query(&r->url, !r->has_query, key, value, vlen);
    if (rc == 0)
        r->has_query = 1;
    return rc;
}

static void unlink_pending(cwa_client *c, cwa_req *r)
{
    if (r->state != REQ_QUEUED && r->state != REQ_FLIGHT)
        return;
    if (r->prev)
        r->prev->next = r->next;
    else
        c->pending_head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        c->pending_tail = r->prev;
    r->prev = r->next = NULL;
    c->npending--;
}

static void unlink_done(cwa_client *c, cwa_req *r)
{
    if (!r->in_done_list)
        return;
    if (r->done_prev)
        r->done_prev->done_next = r->done_next;
    else
        c->done_head = r->done_next;
    if (r->done_next)
        r->done_next->done_prev = r->done_prev;
    else
        c->done_tail = r->done_prev;
    r->done_prev = r->done_next = NULL;
    r->in_done_list = 0;
}

void cwa__enqueue(cwa_client *c, cwa_req *r)
{
    r->state = REQ_QUEUED;
    r->queued_at = cwa_time_mono();
    r->prev = c->pending_tail;
    r->next = NULL;
    if (c->pending_tail)
        c->pending_tail->next = r;
    else
        c->pending_head = r;
    c->pending_tail = r;
    c->npending++;
}

void cwa__requeue(cwa_client *c, cwa_req *r, double not_before)
{
    cwa__transfer_release(c, r);
    r->state = REQ_QUEUED;
    r->not_before = not_before;
    r->queued_at = cwa_time_mono();
}

void cwa_req_submit(cwa_req *r)
{
    if (r->state != REQ_NEW)
        return;
    cwa_error_clear(&r->err);
    cwa__enqueue(r->client, r);
}

void cwa_req_free(cwa_req *r)
{
    if (!r)
        return;
    cwa_client *c = r->client;
    cwa__transfer_release(c, r);
    unlink_pending(c, r);
    unlink_done(c, r);
    if (c->auth_req == r)
        c->auth_req = NULL;
    if (r->has_body && c->cfg.hooks.discard)
        c->cfg.hooks.discard(c->cfg.hooks.ud, r);
    cwa_buf_free(&r->url);
    cwa_buf_free(&r->resp);
    if (r->body) {
        memset(r->body, 0, r->bodylen); /* login bodies hold the password */
        free(r->body);
    }
    cwa_error_clear(&r->err);
    free(r);
}

unsigned long cwa_req_id(const cwa_req *r)
{
    return r->id;
}
int cwa_req_done(const cwa_req *r)
{
    return r->state == REQ_DONE;
}
long cwa_req_status(const cwa_req *r)
{
    return r->status;
}
int cwa_req_has_body(const cwa_req *r)
{
    return r->has_body;
}
const cwa_error *cwa_req_error(const cwa_req *r)
{
    return &r->err;
}
int cwa_client_pending(const cwa_client *c)
{
    return c->npending;
}

void cwa__orphan(cwa_req *r)
{
    if (r->state != REQ_FLIGHT || r->kind != KIND_DATA) {
        cwa_req_free(r);
        return;
    }
    r->orphan = 1;
    r->on_done = NULL;
    r->on_done_ctx = NULL;
    r->id_field = NULL; /* the owner's string, gone with the owner */
}

/* Completes r: off the pending list, onto the done list (or to its owner). */
void cwa__finish(cwa_client *c, cwa_req *r)
{
    cwa__transfer_release(c, r);
    unlink_pending(c, r);
    r->state = REQ_DONE;
    if (r->err.code != CWA_OK && !r->err.method[0]) {
        snprintf(r->err.method, sizeof r->err.method, "%s", cwa__method_name(r->method));
        snprintf(r->err.url, sizeof r->err.url, "%s", r->url.data ? r->url.data : "");
    }
    r->err.attempts = r->attempts;
    if (r->err.code != CWA_OK && r->err.status == 0)
        r->err.status = r->status;
    if (r->kind != KIND_DATA)
        return; /* auth requests belong to the auth module */
    if (r->on_done) {
        c->owned_done++;
        r->on_done(r, r->on_done_ctx);
        return;
    }
    r->done_prev = c->done_tail;
    r->done_next = NULL;
    if (c->done_tail)
        c->done_tail->done_next = r;
    else
        c->done_head = r;
    c->done_tail = r;
    r->in_done_list = 1;
}

cwa_req *cwa_client_next_done(cwa_client *c)
{
    cwa_req *r = c->done_head;
    if (r)
        unlink_done(c, r);
    return r;
}

/* ---- attempts ----------------------------------------------------------- */

static int idempotent(cwa_method m)
{
    return m == CWA_GET || m == CWA_PUT || m == CWA_DELETE;
}

static void fail(cwa_client *c, cwa_req *r, cwa_code code)
{
    r->err.code = code;
    cwa__finish(c, r);
}

/* Schedules the next attempt of r, or fails it when the budget is spent. */
static void retry_or_fail(cwa_client *c, cwa_req *r, cwa_retry_action action, cwa_code code)
{
    double now = cwa_time_mono();
    if (action == CWA_RETRY_NO || r->attempts > c->cfg.retries) {
        if (action != CWA_RETRY_NO && r->attempts > 1) {
            size_t n = strlen(r->err.message);
            snprintf(r->err.message + n, sizeof r->err.message - n, " (gave up after %d attempts)",
                     r->attempts);
        }
        fail(c, r, code);
        return;
    }
    double delay;
    if (action == CWA_RETRY_AFTER) {
        delay = r->hdr.retry_after;
        if (delay > c->cfg.max_wait)
            delay = c->cfg.max_wait;
    } else {
        delay = cwa__backoff(c, r);
    }
    cwa__log(c, CWA_LOG_INFO, "%s %s: %s, retrying in %.2fs (attempt %d of %d)",
             cwa__method_name(r->method), r->url.data + strlen(c->server.base), r->err.message, delay,
             r->attempts + 1, c->cfg.retries + 1);
    cwa__requeue(c, r, now + delay);
}

static int body_is_empty(const cwa_buf *b)
{
    for (size_t i = 0; i < b->len; i++)
        if (b->data[i] != ' ' && b->data[i] != '\n' && b->data[i] != '\r' && b->data[i] != '\t')
            return 0;
    return 1;
}

int cwa__decode(cwa_client *c, cwa_req *r, char *msg, size_t cap)
{
    const cwa_hooks *h = &c->cfg.hooks;
    if (r->decoded || r->status == 204 || body_is_empty(&r->resp) || !h->decode)
        return 0;
    if (h->decode(h->ud, r, r->resp.data, r->resp.len, r->id_field, &r->page, msg, cap) != 0)
        return -1;
    r->decoded = 1;
    r->has_body = 1;
    cwa_buf_free(&r->resp); /* the decoder holds the value now */
    return 0;
}

void cwa__resubmit(cwa_client *c, cwa_req *r, double not_before)
{
    cwa_error_clear(&r->err);
    r->page.count = r->page.total = -1;
    r->page.last_id[0] = '\0';
    cwa__enqueue(c, r);
    r->not_before = not_before;
}

double cwa__backoff(cwa_client *c, const cwa_req *r)
{
    return cwa_backoff_delay(r->attempts - 1, c->cfg.backoff_base, c->cfg.backoff_cap, &c->rng);
}

static void data_complete(cwa_client *c, cwa_req *r, CURLcode rc)
{
    cwa_error_clear(&r->err);
    if (rc != CURLE_OK) {
        cwa_net_error net = cwa__net_error(rc);
        cwa_code code = net == CWA_NET_TIMEOUT    ? CWA_E_TIMEOUT
                        : net == CWA_NET_TLS      ? CWA_E_TLS
                        : rc == CURLE_WRITE_ERROR ? CWA_E_NOMEM
                                                  : CWA_E_NETWORK;
        cwa_error_set(&r->err, code, "%s", r->curl_msg[0] ? r->curl_msg : curl_easy_strerror(rc));
        if (code == CWA_E_TLS && !c->ca_file)
            cwa_error_set(&r->err, code, "%s (a self-signed server needs ca_file)",
                          r->curl_msg[0] ? r->curl_msg : curl_easy_strerror(rc));
        retry_or_fail(c, r,
                      code == CWA_E_NOMEM ? CWA_RETRY_NO
                                          : cwa_retry_classify(idempotent(r->method), 0, net, 0),
                      code);
        return;
    }
    long status = r->status;
    if (status >= 200 && status < 300) {
        if (status == 204 || body_is_empty(&r->resp)) {
            cwa__finish(c, r);
            return;
        }
        char msg[512] = "";
        if (r->lazy || cwa__decode(c, r, msg, sizeof msg) == 0) {
            cwa__finish(c, r);
            return;
        }
        cwa_error_set(&r->err, CWA_E_INVALID_RESPONSE, "HTTP %ld: %s", status, msg);
        retry_or_fail(c, r, idempotent(r->method) ? CWA_RETRY_BACKOFF : CWA_RETRY_NO,
                      CWA_E_INVALID_RESPONSE);
        return;
    }
    if (status == 401 && r->token_gen != 0) {
        cwa__auth_rejected(c, r->token_gen);
        if (!r->replayed) {
            r->replayed = 1;
            cwa__log(c, CWA_LOG_INFO, "%s %s: 401 with a token, logging in again and replaying",
                     cwa__method_name(r->method), r->url.data + strlen(c->server.base));
            cwa__requeue(c, r, 0);
            return;
        }
    }
    cwa_code code = cwa__code_for_status(status);
    r->err.code = code;
    r->err.status = status;
    if (status >= 300 && status < 400)
        cwa_error_set(&r->err, code,
                      "the server redirected (HTTP %ld) to %s; not following a "
                      "redirect with credentials: check the server address",
                      status, r->hdr.has_location ? r->hdr.location : "another address");
    else
        cwa__error_from_body(&r->err, r);
    if (status == 401 && c->dialect != CWA_AUTH_APICREDENTIALS && !c->client_id) {
        size_t n = strlen(r->err.message);
        snprintf(r->err.message + n, sizeof r->err.message - n,
                 "; the server probably needs a ClientId (set client_id)");
    }
    retry_or_fail(
        c, r, cwa_retry_classify(idempotent(r->method), status, CWA_NET_NONE, r->hdr.has_retry_after),
        code);
}

static void log_attempt(cwa_client *c, cwa_req *r, CURLcode rc)
{
    if (!c->cfg.hooks.log)
        return;
    double ms = (cwa_time_mono() - r->started) * 1000;
    const char *path = r->url.data + strlen(c->server.base);
    if (rc != CURLE_OK)
        cwa__log(c, CWA_LOG_DEBUG, "%s %s -> %s attempt %d wait %.0fms %.0fms",
                 cwa__method_name(r->method), path, curl_easy_strerror(rc), r->attempts,
                 r->waited * 1000, ms);
    else
        cwa__log(c, CWA_LOG_DEBUG, "%s %s -> %ld attempt %d wait %.0fms %zu bytes %.0fms",
                 cwa__method_name(r->method), path, r->status, r->attempts, r->waited * 1000,
                 r->resp.len, ms);
}

/* A server that answers 429 with requests in flight may be limiting
 * concurrency: halve the cap, then win it back one request per round of
 * successes (additive increase, multiplicative decrease). */
static void adapt_concurrency(cwa_client *c, long status)
{
    if (status == 429) {
        double half = c->in_flight / 2;
        c->conc_limit = half < 1 ? 1 : (half < c->conc_limit ? half : c->conc_limit);
    } else if (status >= 200 && status < 300 && c->conc_limit < c->cfg.concurrency) {
        c->conc_limit += 1.0 / c->conc_limit;
        if (c->conc_limit > c->cfg.concurrency)
            c->conc_limit = c->cfg.concurrency;
    }
}

static void attempt_complete(cwa_client *c, cwa_req *r, CURLcode rc)
{
    long status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    r->status = rc == CURLE_OK ? status : 0;
    log_attempt(c, r, rc);
    if (rc == CURLE_OK && r->hdr.ratelimit_remaining >= 0) {
        cwa_rate_observe(&c->rate, r->hdr.ratelimit_limit, r->hdr.ratelimit_remaining,
                         r->hdr.ratelimit_reset, cwa_time_mono());
        r->rate_observed = 1;
    }
    adapt_concurrency(c, r->status);
    if (r->status == 429 && r->hdr.has_retry_after) {
        /* A 429 speaks for the whole client, not this one request (nor only
         * for those that will be retried). */
        double delay = r->hdr.retry_after < c->cfg.max_wait ? r->hdr.retry_after : c->cfg.max_wait;
        cwa_rate_pause_until(&c->rate, cwa_time_mono() + delay);
    }
    if (r->orphan) {
        /* nobody reads the answer, but a rejected token concerns everyone */
        if (r->status == 401 && r->token_gen != 0)
            cwa__auth_rejected(c, r->token_gen);
        cwa_req_free(r);
        return;
    }
    if (r->kind == KIND_DATA)
        data_complete(c, r, rc);
    else
        cwa__auth_complete(c, r, rc);
}

/* Every call waiting for a login that failed gets its failure. */
static void fail_waiting_calls(cwa_client *c)
{
    /* A finished page calls its pager back, which may free the requests
     * after it: the walk starts over after each one (finished requests have
     * left the list). */
    cwa_req *q = c->pending_head;
    while (q) {
        if (q->kind == KIND_DATA && q->state == REQ_QUEUED) {
            cwa_error_clear(&q->err);
            q->err = c->auth_err;
            q->err.details = c->auth_err.details ? strdup(c->auth_err.details) : NULL;
            cwa__finish(c, q);
            q = c->pending_head;
        } else {
            q = q->next;
        }
    }
    cwa__auth_reset_failure(c);
}

static void earliest(double *wake, double w)
{
    if (*wake == 0 || w < *wake)
        *wake = w;
}

/* Starts what may start now; returns the seconds until something queued
 * may start (0 when nothing is waiting on time), -1 on a failure (err). */
static double schedule(cwa_client *c, cwa_error *err)
{
    double wake = 0;
    double now = cwa_time_mono();
    int cap = (int)c->conc_limit;
    int ready = 0;

    /* When a call is ready to go, authentication speaks first: it may queue
     * a login or a refresh, which then takes the next slot. */
    for (cwa_req *r = c->pending_head; r; r = r->next) {
        if (r->kind == KIND_DATA && r->state == REQ_QUEUED && r->not_before <= now) {
            ready = cwa__auth_ready(c);
            break;
        }
    }
    if (ready < 0) {
        fail_waiting_calls(c);
        return 0;
    }
    for (cwa_req *r = c->pending_head; r && c->in_flight < cap; r = r->next) {
        if (r->kind == KIND_DATA || r->state != REQ_QUEUED)
            continue;
        if (r->not_before > now) {
            earliest(&wake, r->not_before - now);
            continue;
        }
        double w = cwa_rate_take(&c->rate, now);
        if (w > 0)
            return w;
        if (cwa__transfer_start(c, r, NULL, err) != 0)
            return -1;
    }
    if (ready == 0) {
        /* no usable token: the calls wait for the login */
        for (cwa_req *r = c->pending_head; r; r = r->next)
            if (r->kind == KIND_DATA && r->state == REQ_QUEUED && r->not_before > now)
                earliest(&wake, r->not_before - now);
        return wake;
    }
    for (cwa_req *r = c->pending_head, *next; r && c->in_flight < cap; r = next) {
        next = r->next;
        if (r->kind != KIND_DATA || r->state != REQ_QUEUED)
            continue;
        if (r->not_before > now) {
            earliest(&wake, r->not_before - now);
            continue;
        }
        double w = cwa_rate_take(&c->rate, now);
        if (w > 0) {
            earliest(&wake, w);
            return wake;
        }
        r->token_gen = c->token_gen;
        if (cwa__transfer_start(c, r, c->token, err) != 0)
            return -1;
    }
    return wake;
}

/* One turn of the loop: start what may start, wait for network activity or
 * the next timed event (at most max_wait seconds), dispatch what ended.
 * 0, or -1 with err on an internal failure. */
int cwa__step(cwa_client *c, double max_wait, cwa_error *err)
{
    double wake = schedule(c, err);
    if (wake < 0)
        return -1;
    long ms = (long)ceil(max_wait * 1000);
    if (wake > 0 && wake < max_wait)
        ms = (long)ceil(wake * 1000);
    long curl_ms = -1;
    curl_multi_timeout(c->multi, &curl_ms);
    if (curl_ms >= 0 && curl_ms < ms)
        ms = curl_ms;
    if (c->in_flight == 0 && wake == 0)
        ms = 0;
    if (ms > 0 && c->in_flight > 0) {
        curl_multi_poll(c->multi, NULL, 0, (int)ms, NULL);
    } else if (ms > 0) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    int running = 0;
    curl_multi_perform(c->multi, &running);
    CURLMsg *m;
    int left = 0;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        cwa_req *r = NULL;
        CURLcode rc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r)
            attempt_complete(c, r, rc);
    }
    return 0;
}

int cwa_client_run(cwa_client *c, cwa_req *target, double timeout, cwa_error *err)
{
    double deadline = timeout >= 0 ? cwa_time_mono() + timeout : -1;
    unsigned long owned_before = c->owned_done;
    if (target && target->state == REQ_NEW)
        cwa_req_submit(target);
    for (;;) {
        if (c->cfg.hooks.aborted && c->cfg.hooks.aborted(c->cfg.hooks.ud)) {
            cwa_error_set(err, CWA_E_CANCELLED, "interrupted by an error in a callback");
            return -1;
        }
        if (target ? target->state == REQ_DONE : c->done_head != NULL || c->owned_done != owned_before)
            return 1;
        if (c->npending == 0) {
            if (target)
                cwa_error_set(err, CWA_E_INVALID_ARGUMENT, "the request was never submitted");
            return target ? -1 : 0;
        }
        double left = 1.0;
        if (deadline >= 0) {
            left = deadline - cwa_time_mono();
            if (left <= 0)
                return 0;
            if (left > 1.0)
                left = 1.0;
        }
        if (cwa__step(c, left, err) < 0)
            return -1;
    }
}
