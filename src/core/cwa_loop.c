/* The engine loop: which queued attempts may start now (a usable token,
 * a rate slot, the concurrency cap, their retry times), how long to wait,
 * and handing every finished transfer to cwa_attempt.c. Separate because it
 * is the only code that drives libcurl's multi handle and sleeps; nothing
 * here decides what an answer means. */
#include <curl/curl.h>
#include <math.h>
#include <time.h>

#include "cwa_internal.h"
#include "cwa_str.h"
#include "cwa_time.h"

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
            /* out of memory: the call still fails, without the details */
            q->err.details = cwa_str_dup(c->auth_err.details, NULL);
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
            cwa__attempt_complete(c, r, rc);
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
