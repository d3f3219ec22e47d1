/* What the answer to one attempt means, for every kind of request: the
 * answer is observed first (the server's rate limit, the adaptive
 * concurrency cap, the pause a 429 asks of the whole client), then a data
 * call is decoded, replayed after a 401, retried or failed here, and a login
 * or refresh goes to cwa_auth.c. A failure at the transport or HTTP level
 * takes the same path for both (cwa__attempt_failed): one retry policy, one
 * backoff, one budget. Separate from the request lifecycle (cwa_request.c),
 * which only moves requests between lists, and from the loop, which only
 * decides when attempts start. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "cwa_internal.h"
#include "cwa_time.h"

static int idempotent(cwa_method m)
{
    return m == CWA_GET || m == CWA_PUT || m == CWA_DELETE;
}

static double retry_after(const cwa_client *c, const cwa_req *r)
{
    return r->hdr.retry_after < c->cfg.max_wait ? r->hdr.retry_after : c->cfg.max_wait;
}

double cwa__backoff(cwa_client *c, const cwa_req *r)
{
    double d = cwa_backoff_delay(r->attempts - 1, c->cfg.backoff_base, c->cfg.backoff_cap, &c->rng);
    return d < c->cfg.max_wait ? d : c->cfg.max_wait;
}

/* Queues r for its next attempt when action and the budget allow (1); else
 * 0, with r->err saying that retries ran out when they did. */
static int retry(cwa_client *c, cwa_req *r, cwa_retry_action action)
{
    if (action == CWA_RETRY_NO)
        return 0;
    if (r->attempts > c->cfg.retries) {
        if (r->attempts > 1) {
            size_t n = strlen(r->err.message);
            snprintf(r->err.message + n, sizeof r->err.message - n, " (gave up after %d attempts)",
                     r->attempts);
        }
        return 0;
    }
    double delay = action == CWA_RETRY_AFTER ? retry_after(c, r) : cwa__backoff(c, r);
    double at = cwa_time_mono() + delay;
    if (cwa__past_deadline(c, r, at, "the next attempt", r))
        return 0;
    /* a long wait is worth a warning: an unattended run is not silent */
    cwa__log(c, delay > 5 ? CWA_LOG_WARN : CWA_LOG_INFO,
             "%s %s: %s, retrying in %.2fs (attempt %d of %d)", cwa__method_name(r->method),
             cwa_url_api_rel(r->url.data, strlen(c->server.base)), r->err.message, delay,
             r->attempts + 1, c->cfg.retries + 1);
    cwa__requeue(c, r, at);
    return 1;
}

/* 1 when r's attempt was cut off because the answer passed a cap, r->err
 * then saying which: the same answer would come back, so it is not retried. */
static int too_large(const cwa_client *c, cwa_req *r, CURLcode rc)
{
    if (r->too_large == TOO_LARGE_BODY)
        cwa_error_set(&r->err, CWA_E_INVALID_RESPONSE,
                      "the answer is larger than max_body (%zu bytes, counted decoded): a broken "
                      "server, or raise max_body",
                      c->cfg.max_body);
    else if (r->too_large == TOO_LARGE_HEADERS)
        cwa_error_set(&r->err, CWA_E_INVALID_RESPONSE,
                      "the response headers are too large (more than %d bytes)", CWA_HEADERS_MAX);
    else if (rc == CURLE_OUT_OF_MEMORY && r->header_bytes > 0 && !r->hdr.complete)
        /* how libcurl refuses one header line longer than 100 KiB */
        cwa_error_set(&r->err, CWA_E_INVALID_RESPONSE,
                      "a response header is too large (a line of more than 100 KiB)");
    else
        return 0;
    return 1;
}

int cwa__attempt_failed(cwa_client *c, cwa_req *r, CURLcode rc, int idempotent_req)
{
    cwa_error_clear(&r->err);
    if (rc != CURLE_OK && too_large(c, r, rc))
        return 0;
    if (rc != CURLE_OK) {
        cwa_net_error net = cwa__net_error(rc);
        cwa_code code = net == CWA_NET_TIMEOUT    ? CWA_E_TIMEOUT
                        : net == CWA_NET_TLS      ? CWA_E_TLS
                        : rc == CURLE_WRITE_ERROR ? CWA_E_NOMEM
                                                  : CWA_E_NETWORK;
        /* libcurl quotes the proxy URL, user info and all, and cuts its
         * text to fit CURL_ERROR_SIZE */
        if (strlen(r->curl_msg) + 1 >= sizeof r->curl_msg)
            cwa_scrub_cut(&c->secrets, r->curl_msg);
        const char *why = r->curl_msg[0] ? r->curl_msg : curl_easy_strerror(rc);
        if (code == CWA_E_TLS && !c->ca_file)
            cwa_error_set(&r->err, code, "%s (a self-signed server needs ca_file)", why);
        else
            cwa_error_set(&r->err, code, "%s", why);
        cwa__scrub_error(c, &r->err);
        return retry(c, r,
                     code == CWA_E_NOMEM ? CWA_RETRY_NO : cwa_retry_classify(idempotent_req, 0, net, 0));
    }
    long status = r->status;
    r->err.code = cwa__code_for_status(status);
    r->err.status = status;
    if (status >= 300 && status < 400) {
        /* a Location may repeat the request, token and all */
        if (r->hdr.location_truncated)
            cwa_scrub_cut(&c->secrets, r->hdr.location);
        cwa_error_set(&r->err, r->err.code,
                      "the server redirected (HTTP %ld) to %s; not following a "
                      "redirect with credentials: check the server address",
                      status, r->hdr.has_location ? r->hdr.location : "another address");
        cwa__scrub_error(c, &r->err);
    } else {
        cwa__error_from_body(&r->err, r);
    }
    return retry(c, r,
                 cwa_retry_classify(idempotent_req, (int)status, CWA_NET_NONE, r->hdr.has_retry_after));
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
    if (h->decode(h->ud, r, r->resp.data, r->resp.len, r->id_field, &r->page, msg, cap) != 0) {
        cwa_scrub(&c->secrets, msg); /* it may quote the body */
        return -1;
    }
    r->decoded = 1;
    r->has_body = 1;
    cwa_buf_free(&r->resp); /* the decoder holds the value now */
    return 0;
}

static void data_complete(cwa_client *c, cwa_req *r, CURLcode rc)
{
    cwa_error_clear(&r->err);
    long status = r->status;
    if (rc == CURLE_OK && status >= 200 && status < 300) {
        char msg[512] = "";
        int empty = status == 204 || body_is_empty(&r->resp);
        /* A GET answers a value, a list page at least []: nothing in a 200
         * is a reply a proxy or the server cut short (a 204 says so on
         * purpose). Writes may answer nothing. */
        if (empty && r->method == CWA_GET && status != 204)
            snprintf(msg, sizeof msg, "an empty body where a GET expects JSON");
        else if (empty || r->lazy || cwa__decode(c, r, msg, sizeof msg) == 0) {
            cwa__finish(c, r);
            return;
        }
        cwa_error_set(&r->err, CWA_E_INVALID_RESPONSE, "HTTP %ld: %s", status, msg);
        if (!retry(c, r, idempotent(r->method) ? CWA_RETRY_BACKOFF : CWA_RETRY_NO))
            cwa__finish(c, r);
        return;
    }
    if (rc == CURLE_OK && status == 401 && r->token_gen != 0) {
        cwa__auth_rejected(c, r->token_gen);
        if (!r->replayed) {
            r->replayed = 1;
            cwa__log(c, CWA_LOG_INFO, "%s %s: 401 with a token, logging in again and replaying",
                     cwa__method_name(r->method), cwa_url_api_rel(r->url.data, strlen(c->server.base)));
            cwa__requeue(c, r, 0);
            return;
        }
    }
    if (cwa__attempt_failed(c, r, rc, idempotent(r->method)))
        return;
    if (status == 401 && c->dialect != CWA_AUTH_APICREDENTIALS && !c->client_id) {
        size_t n = strlen(r->err.message);
        snprintf(r->err.message + n, sizeof r->err.message - n,
                 "; the server probably needs a ClientId (set client_id)");
    }
    cwa__finish(c, r);
}

static void log_attempt(cwa_client *c, cwa_req *r, CURLcode rc)
{
    if (!c->cfg.hooks.log)
        return;
    double ms = (cwa_time_mono() - r->started) * 1000;
    const char *path = cwa_url_api_rel(r->url.data, strlen(c->server.base));
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

void cwa__attempt_complete(cwa_client *c, cwa_req *r, CURLcode rc)
{
    if (rc == CURLE_OK && !r->hdr.complete) {
        /* libcurl takes a reply cut inside its headers for a whole answer
         * with no body: it is a broken connection */
        rc = CURLE_PARTIAL_FILE;
        snprintf(r->curl_msg, sizeof r->curl_msg, "the connection closed inside the response headers");
    }
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
    /* a throttle that states the server's count is followed by that count,
     * not by a rate guessed from it */
    int throttled = r->status == 429                             ? CWA_RATE_THROTTLE
                    : r->status == 503 && r->hdr.has_retry_after ? CWA_RATE_MAYBE
                                                                 : 0;
    cwa_rate_answer(&c->rate, r->rate_observed ? 0 : throttled, r->status >= 200 && r->status < 300,
                    cwa_time_mono());
    if (r->status == 429 && r->hdr.has_retry_after) {
        /* A 429 speaks for the whole client, not this one request (nor only
         * for those that will be retried), and for logins as for data. */
        cwa_rate_pause_until(&c->rate, cwa_time_mono() + retry_after(c, r));
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
