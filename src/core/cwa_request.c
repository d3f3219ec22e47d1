/* The request lifecycle: a request is made (cwa_req_new, cwa_req_query),
 * queued (submit, enqueue, requeue, resubmit), completed (finish: onto the
 * done list or to its owner), orphaned or freed. Only this file links and
 * unlinks the client's pending and done lists, so their invariants live in
 * one place; what an attempt's answer means is cwa_attempt.c's, when an
 * attempt starts is cwa_loop.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwa_internal.h"
#include "cwa_str.h"
#include "cwa_time.h"

cwa_req *cwa__req_alloc(cwa_client *c, cwa_method method, req_kind kind)
{
    cwa_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->client = c;
    r->id = ++c->next_id;
    r->method = method;
    r->kind = kind;
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
        cwa_url_append_api_path(&r->url, path, pathlen) != 0) {
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

int cwa_req_query(cwa_req *r, const char *key, const char *value, size_t vlen, cwa_error *err)
{
    if (cwa_url_has_query_key(r->url.data, key)) {
        char msg[256];
        cwa_url_dup_key(key, msg, sizeof msg);
        cwa_error_set(err, CWA_E_INVALID_ARGUMENT, "%s", msg);
        return -1;
    }
    if (cwa_url_append_query(&r->url, !r->has_query, key, value, vlen) != 0) {
        cwa_error_set(err, CWA_E_NOMEM, "out of memory");
        return -1;
    }
    r->has_query = 1;
    return 0;
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

/* A call's time runs from its submission; a page fetched again after its
 * body failed to decode starts anew, as it may have waited in the window
 * for as long as the caller took over the pages before it. */
static void start_clock(cwa_client *c, cwa_req *r)
{
    r->submitted = cwa_time_mono();
    r->deadline = c->cfg.deadline > 0 ? r->submitted + c->cfg.deadline : 0;
}

void cwa_req_submit(cwa_req *r)
{
    if (r->state != REQ_NEW)
        return;
    cwa_error_clear(&r->err);
    cwa__enqueue(r->client, r);
    start_clock(r->client, r);
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
    cwa_wipe(r->body, r->bodylen); /* login bodies hold the password */
    free(r->body);
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

void cwa__finish(cwa_client *c, cwa_req *r)
{
    cwa__transfer_release(c, r);
    unlink_pending(c, r);
    r->state = REQ_DONE;
    if (r->err.code != CWA_OK && !r->err.method[0]) {
        snprintf(r->err.method, sizeof r->err.method, "%s", cwa__method_name(r->method));
        snprintf(r->err.url, sizeof r->err.url, "%s", r->url.data ? r->url.data : "");
    }
    /* the last look before the caller's: a page's URL carries the server's
     * ids, and any message may quote what it said */
    if (r->err.code != CWA_OK)
        cwa__scrub_error(c, &r->err);
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

void cwa__resubmit(cwa_client *c, cwa_req *r, double not_before)
{
    cwa_error_clear(&r->err);
    memset(&r->page, 0, sizeof r->page);
    cwa__enqueue(c, r);
    r->not_before = not_before;
    start_clock(c, r);
}
