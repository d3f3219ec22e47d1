/* The engine loop: which queued attempts may start now (a usable token,
 * a rate slot, the concurrency cap, their retry times), how long to wait,
 * and handing every finished transfer to cwa_attempt.c. Separate because it
 * is the only code that drives libcurl's multi handle (through the waits
 * of cwa_poll.c); nothing here decides what an answer means. */
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>

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

/* Waits longer than this are logged as a warning. */
#define LONG_WAIT 5.0

/* What the last attempt of a got: its status, Retry-After and the words
 * of its error (the server's, already in a->err), or libcurl's. */
static void last_answer(const cwa_req *a, char *out, size_t cap)
{
    if (!a || a->attempts == 0) {
        snprintf(out, cap, "none yet");
        return;
    }
    char after[48] = "";
    if (a->status && a->hdr.has_retry_after)
        snprintf(after, sizeof after, " (Retry-After %.0f s)", a->hdr.retry_after);
    const char *words = a->err.code != CWA_OK ? a->err.message : "";
    if (a->status)
        snprintf(out, cap, "HTTP %ld%s%s%.400s", a->status, after, words[0] ? ": " : "", words);
    else
        snprintf(out, cap, "%.400s", words[0] ? words : "none yet");
}

void cwa__deadline_error(cwa_client *c, cwa_error *e, int attempts, double elapsed, double wait,
                         const char *what, const cwa_req *answered)
{
    char last[512];
    last_answer(answered, last, sizeof last);
    char waiting[200];
    if (wait > 0)
        snprintf(waiting, sizeof waiting, "waiting %.0f s more for %s would pass the deadline of %g s",
                 wait, what, c->cfg.deadline);
    else
        snprintf(waiting, sizeof waiting, "the deadline of %g s passed waiting for %s", c->cfg.deadline,
                 what);
    char msg[sizeof e->message];
    snprintf(msg, sizeof msg, "gave up after %d attempt%s in %.0f s: %s; last answer: %s", attempts,
             attempts == 1 ? "" : "s", elapsed, waiting, last);
    cwa_error_set(e, CWA_E_TIMEOUT, "%s", msg);
}

int cwa__past_deadline(cwa_client *c, cwa_req *r, double start, const char *what,
                       const cwa_req *answered)
{
    double now = cwa_time_mono();
    if (r->kind != KIND_DATA || r->deadline <= 0 || (start < r->deadline && now < r->deadline))
        return 0;
    cwa__deadline_error(c, &r->err, r->attempts, now - r->submitted, start - now, what, answered);
    r->err.status = r->status;
    return 1;
}

/* Ends the calls that their deadline stops: those the wait ahead of them
 * (their retry time, the login they need, the rate limit) would take past
 * it, and attempts still running at it. */
static void expire(cwa_client *c, double now)
{
    double rate_wait = cwa_rate_peek(&c->rate, now);
    const cwa_req *login =
        !c->token && c->auth_req && c->auth_req->kind == KIND_LOGIN && c->auth_req->state == REQ_QUEUED
            ? c->auth_req
            : NULL;
    int ended = 0, waiting = 0;
    /* a finished page calls its pager back, which may free the pages after
     * it: the walk starts over after each one */
    for (cwa_req *r = c->pending_head, *next; r; r = next) {
        next = r->next;
        if (r->kind != KIND_DATA || r->deadline <= 0 || r->orphan)
            continue;
        int out;
        if (r->state == REQ_FLIGHT) {
            out = cwa__past_deadline(c, r, now, "the answer to the attempt in flight", r);
        } else {
            double start = r->not_before > now ? r->not_before : now;
            const char *what = "its next attempt";
            const cwa_req *answered = r;
            if (login && login->not_before > start) {
                start = login->not_before;
                what = "the login's next attempt";
                answered = login;
            } else if (!c->token && c->auth_req) {
                what = "the login";
                answered = c->auth_req;
            }
            if (now + rate_wait > start) {
                start = now + rate_wait;
                what = "the rate limit";
            }
            out = cwa__past_deadline(c, r, start, what, answered);
            waiting += !out;
        }
        if (out) {
            cwa__finish(c, r);
            ended = 1;
            waiting = 0;
            next = c->pending_head;
        }
    }
    if (ended && !waiting)
        cwa__auth_abandon(c);
}

/* Logs a wait for the rate limit (a server's Reset or Retry-After) that
 * holds the queued calls for long, once per wait. */
static void log_long_pause(cwa_client *c, double now, double wait)
{
    if (wait <= LONG_WAIT || now + wait <= c->pause_logged + 1)
        return;
    c->pause_logged = now + wait;
    cwa__log(c, CWA_LOG_WARN,
             "waiting %.0f s for the rate limit (the server's Retry-After or X-RateLimit-Reset, "
             "at most max_wait)",
             wait);
}

/* Starts what may start now; returns the seconds until something queued
 * may start (0 when nothing is waiting on time), -1 on a failure (err). */
/* Whether queued request r may start now: 1 (a rate slot is taken for it),
 * 0 when its own retry time is still ahead, -1 when the rate limit says wait
 * (then no later request may start either). Both waits move *wake. */
static int may_start(cwa_client *c, const cwa_req *r, double now, double *wake)
{
    if (r->not_before > now) {
        earliest(wake, r->not_before - now);
        return 0;
    }
    double w = cwa_rate_take(&c->rate, now);
    if (w > 0) {
        log_long_pause(c, now, w);
        earliest(wake, w);
        return -1;
    }
    return 1;
}

static double schedule(cwa_client *c, cwa_error *err)
{
    double wake = 0;
    double now = cwa_time_mono();
    int cap = (int)c->conc_limit;
    int ready = 0;

    expire(c, now);

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
    /* wake up for the deadline of every waiting call */
    for (cwa_req *r = c->pending_head; r; r = r->next)
        if (r->kind == KIND_DATA && r->deadline > 0 && !r->orphan)
            earliest(&wake, r->deadline > now ? r->deadline - now : 1e-3);
    for (cwa_req *r = c->pending_head; r && c->in_flight < cap; r = r->next) {
        if (r->kind == KIND_DATA || r->state != REQ_QUEUED)
            continue;
        int go = may_start(c, r, now, &wake);
        if (go == 0)
            continue;
        if (go < 0)
            return wake;
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
        int go = may_start(c, r, now, &wake);
        if (go == 0)
            continue;
        if (go < 0)
            return wake;
        r->token_gen = c->token_gen;
        c->token_used = 1;
        c->tokens_wasted = 0;
        if (cwa__transfer_start(c, r, c->token, err) != 0)
            return -1;
    }
    return wake;
}

/* schedule, with what an event-loop host needs to know about it kept:
 * when a queued call may start next (cwa_client_timeout). */
static double schedule_noted(cwa_client *c, cwa_error *err)
{
    double wake = schedule(c, err);
    c->sched_at = cwa_time_mono();
    c->wake_at = wake > 0 ? c->sched_at + wake : 0;
    return wake;
}

/* One turn of the loop: start what may start, wait for network activity or
 * the next timed event (at most max_wait seconds), dispatch what ended.
 * 0, or -1 with err on an internal failure. */
int cwa__step(cwa_client *c, double max_wait, cwa_error *err)
{
    /* before anything reaches libcurl: in a child its sockets are the parent's */
    if (cwa__check_process(c, err) != 0)
        return -1;
    if (atomic_exchange(&c->interrupted, 0)) {
        cwa__poll_drain(c);
        cwa_error_set(err, CWA_E_CANCELLED, "interrupted (cwa_client_interrupt)");
        return -1;
    }
    if (max_wait > CWA_SLICE)
        max_wait = CWA_SLICE;
    double wake = schedule_noted(c, err);
    if (wake < 0)
        return -1;
    long ms = (long)ceil(max_wait * 1000);
    if (wake > 0 && wake < max_wait)
        ms = (long)ceil(wake * 1000);
    if (c->curl_due >= 0) {
        double left = c->curl_due - cwa_time_mono();
        long curl_ms = left > 0 ? (long)ceil(left * 1000) : 0;
        if (curl_ms < ms)
            ms = curl_ms;
    }
    if (c->in_flight == 0 && wake == 0)
        ms = 0;
    /* with nothing in flight the set holds only the eventfd: the wait is a
     * sleep that cwa_client_interrupt cuts short */
    cwa__poll_wait(c, ms);
    CURLMsg *m;
    int left = 0, ended = 0;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        cwa_req *r = NULL;
        CURLcode rc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r)
            cwa__attempt_complete(c, r, rc);
        ended = 1;
    }
    /* What ended may let queued calls go (a login brought the token, a
     * slot came free): they start in this turn, not in the next, which a
     * host's loop gives only when the descriptor or the timeout says so. */
    if (ended && schedule_noted(c, err) < 0)
        return -1;
    return 0;
}

int cwa_client_step(cwa_client *c, cwa_error *err)
{
    unsigned long owned_before = c->owned_done;
    if (c->cfg.hooks.aborted && c->cfg.hooks.aborted(c->cfg.hooks.ud)) {
        cwa_error_set(err, CWA_E_CANCELLED, "interrupted by an error in a callback");
        return -1;
    }
    if (cwa__step(c, 0, err) < 0)
        return -1;
    return c->done_head != NULL || c->owned_done != owned_before;
}

int cwa_client_run(cwa_client *c, cwa_req *target, double timeout, cwa_error *err)
{
    double deadline = timeout >= 0 ? cwa_time_mono() + timeout : -1;
    unsigned long owned_before = c->owned_done;
    /* a run with no time left still takes one turn: wait(0) in a host's
     * loop must move the transfers on, not only look at them */
    int stepped = 0;
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
        double left = CWA_SLICE;
        if (deadline >= 0) {
            left = deadline - cwa_time_mono();
            if (left <= 0 && stepped)
                return 0;
            left = left < 0 ? 0 : left > CWA_SLICE ? CWA_SLICE : left;
        }
        if (cwa__step(c, left, err) < 0)
            return -1;
        stepped = 1;
    }
}
