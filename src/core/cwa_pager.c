/* The pager: lists a collection page by page, keeping pages in flight ahead
 * of the consumer and handing them out in server order.
 *
 * Offset mode. The first page goes alone: a short first page (most filtered
 * listings) costs one request. When the total is known (X-Total-Count,
 * X-Total-Pages or TotalRecordCount) every remaining page is issued, up to
 * `concurrency` in the window. When it is not (current servers send a bare
 * array), a full first page opens the whole window: long listings run at
 * full width from the second round on, and at most `concurrency - 1`
 * requests go past the end (each answers an empty page; the specs and
 * benchmarks measure it). A short page ends the listing; pages issued
 * beyond it and not yet sent are dropped, those in flight finish unseen.
 *
 * Keyset mode (consistent = true): `<id> > last` with `orderBy <id> asc`,
 * one page at a time (each page depends on the last id of the one before),
 * the next page issued as soon as the previous one arrived. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwa_internal.h"
#include "cwa_page.h"
#include "cwa_str.h"
#include "cwa_time.h"

enum { MAX_WINDOW = 64 };

struct cwa_pager {
    cwa_client *c;
    char *path;
    cwa_pager_opts o;
    char *id_field;
    char *condition;
    char **keys, **values;
    size_t n;

    cwa_req *win[MAX_WINDOW]; /* issued, not yet handed out, in page order */
    long win_page[MAX_WINDOW];
    int count;

    long next_issue; /* offset mode: next page number to request */
    long end_page;   /* no page after this one can hold records */
    long total;      /* records, -1 unknown */
    int end_known;   /* the server said how many pages there are */
    int target;      /* window size wanted while the end is unknown */
    long yielded;    /* records handed out */
    long fetched;    /* page requests issued */
    long take;       /* records of the last page to hand out */
    int done;
    char last_id[CWA_PAGE_LITERAL_CAP]; /* keyset mode */
    int keyset_started;
};

void cwa_pager_free(cwa_pager *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->count; i++)
        cwa_req_free(p->win[i]);
    for (size_t i = 0; i < p->n; i++) {
        free(p->keys[i]);
        free(p->values[i]);
    }
    free(p->keys);
    free(p->values);
    free(p->path);
    free(p->id_field);
    free(p->condition);
    free(p);
}

cwa_pager *cwa_pager_new(cwa_client *c, const char *path, const cwa_pager_opts *opts,
                         const char *const *keys, const char *const *values, size_t n, cwa_error *err)
{
    char msg[256];
    int page_size = opts->page_size ? opts->page_size : c->cfg.page_size;
    if (page_size < 1 || page_size > 1000) {
        cwa_error_set(err, CWA_E_INVALID_ARGUMENT, "page_size: must be between 1 and 1000");
        return NULL;
    }
    if (opts->start_page < 1) {
        cwa_error_set(err, CWA_E_INVALID_ARGUMENT, "start_page: must be 1 or more");
        return NULL;
    }
    if (opts->consistent && (!opts->id_field || !opts->id_field[0])) {
        cwa_error_set(err, CWA_E_INVALID_ARGUMENT, "consistent: needs the collection's id field");
        return NULL;
    }
    if (cwa_url_check_path(path, strlen(path), msg, sizeof msg) != 0) {
        cwa_error_set(err, CWA_E_INVALID_ARGUMENT, "%s", msg);
        return NULL;
    }
    cwa_pager *p = calloc(1, sizeof *p);
    if (!p) {
        cwa_error_set(err, CWA_E_NOMEM, "out of memory");
        return NULL;
    }
    int failed = 0;
    p->c = c;
    p->o = *opts;
    p->o.page_size = page_size;
    p->path = cwa_str_dup(path, &failed);
    p->id_field = cwa_str_dup(opts->id_field, &failed);
    p->condition = opts->condition && opts->condition[0] ? cwa_str_dup(opts->condition, &failed) : NULL;
    p->o.id_field = p->o.condition = NULL;
    p->keys = n ? calloc(n, sizeof *p->keys) : NULL;
    p->values = n ? calloc(n, sizeof *p->values) : NULL;
    if (n && (!p->keys || !p->values))
        failed = 1;
    for (size_t i = 0; i < n && !failed; i++) {
        p->keys[i] = cwa_str_dup(keys[i], &failed);
        p->values[i] = cwa_str_dup(values[i], &failed);
        p->n = i + 1;
    }
    if (failed) {
        cwa_pager_free(p);
        cwa_error_set(err, CWA_E_NOMEM, "out of memory");
        return NULL;
    }
    p->next_issue = opts->start_page;
    p->end_page = LONG_MAX;
    if (opts->limit >= 0) {
        long pages = (opts->limit + page_size - 1) / page_size;
        p->end_page = opts->start_page + pages - 1;
        if (opts->limit == 0)
            p->done = 1;
    }
    p->total = -1;
    p->target = 1;
    return p;
}

long cwa_pager_total(const cwa_pager *p)
{
    return p->total;
}
long cwa_pager_pages_fetched(const cwa_pager *p)
{
    return p->fetched;
}
long cwa_pager_take(const cwa_pager *p)
{
    return p->take;
}

static int window_limit(const cwa_pager *p)
{
    int w = p->o.window > 0 ? p->o.window : p->c->cfg.concurrency;
    return w > MAX_WINDOW ? MAX_WINDOW : w;
}

/* Lets go of the pages issued after page `last`: those not yet sent are
 * dropped, those in flight finish unseen (the engine frees them), so the
 * server is never sent more than the concurrency cap at once because a
 * listing ended. Only closing the pager (a `break`) cuts transfers off. */
static void drop_after(cwa_pager *p, long last)
{
    int keep = 0;
    for (int i = 0; i < p->count; i++) {
        if (p->win_page[i] > last)
            cwa__orphan(p->win[i]);
        else {
            p->win[keep] = p->win[i];
            p->win_page[keep] = p->win_page[i];
            keep++;
        }
    }
    p->count = keep;
}

static void page_done(cwa_req *r, void *ctx);

static int add_query(cwa_req *r, const char *key, const char *value)
{
    return cwa_req_query(r, key, value, strlen(value));
}

static int issue(cwa_pager *p, long page, const char *condition, const char *order_by)
{
    cwa_error err = {0};
    cwa_req *r = cwa_req_new(p->c, CWA_GET, p->path, strlen(p->path), NULL, 0, &err);
    if (!r)
        return -1;
    char num[32];
    int failed = 0;
    for (size_t i = 0; i < p->n && !failed; i++)
        failed = add_query(r, p->keys[i], p->values[i]) != 0;
    snprintf(num, sizeof num, "%ld", page);
    failed = failed || add_query(r, "page", num) != 0;
    snprintf(num, sizeof num, "%d", p->o.page_size);
    failed = failed || add_query(r, "pageSize", num) != 0;
    if (condition)
        failed = failed || add_query(r, "condition", condition) != 0;
    if (order_by)
        failed = failed || add_query(r, "orderBy", order_by) != 0;
    if (failed) {
        cwa_req_free(r);
        return -1;
    }
    r->id_field = p->id_field;
    /* decoded when the loop reaches it: pages waiting in the window stay
     * compact bytes, not Lua tables the collector has to walk */
    r->lazy = 1;
    r->on_done = page_done;
    r->on_done_ctx = p;
    p->win[p->count] = r;
    p->win_page[p->count] = page;
    p->count++;
    p->fetched++;
    cwa_req_submit(r);
    return 0;
}

static int issue_keyset(cwa_pager *p)
{
    cwa_buf cond = {0}, order = {0};
    int rc = 0;
    if (p->keyset_started) {
        if (p->condition)
            rc |= cwa_buf_printf(&cond, "(%s) and %s > %s", p->condition, p->id_field, p->last_id);
        else
            rc |= cwa_buf_printf(&cond, "%s > %s", p->id_field, p->last_id);
    } else if (p->condition) {
        rc |= cwa_buf_puts(&cond, p->condition);
    }
    rc |= cwa_buf_printf(&order, "%s asc", p->id_field);
    p->keyset_started = 1;
    if (rc == 0)
        rc = issue(p, 1, cond.len ? cond.data : NULL, order.data);
    cwa_buf_free(&cond);
    cwa_buf_free(&order);
    return rc;
}

static int fill(cwa_pager *p)
{
    if (p->done || p->o.consistent)
        return 0;
    int limit = window_limit(p);
    int want = p->end_known ? limit : (p->target < limit ? p->target : limit);
    while (p->count < want && p->next_issue <= p->end_page) {
        if (issue(p, p->next_issue, p->condition, NULL) != 0)
            return -1;
        p->next_issue++;
    }
    return 0;
}

/* `page` is the page whose answer told the total: it stays in the window
 * whatever the total says (its callback is running). body_total: the
 * total its decoded body gave, -1 when none (or not decoded yet). */
static void learn_total(cwa_pager *p, const cwa_req *r, long page, long body_total)
{
    long total = body_total >= 0 ? body_total : r->hdr.total_count;
    long last;
    if (total >= 0) {
        p->total = total;
        last = (total + p->o.page_size - 1) / p->o.page_size;
    } else if (r->hdr.total_pages >= 0 && (r->hdr.page_size < 0 || r->hdr.page_size == p->o.page_size)) {
        last = r->hdr.total_pages;
    } else {
        return;
    }
    p->end_known = 1;
    if (last < page)
        last = page;
    if (last < p->end_page) {
        p->end_page = last;
        drop_after(p, last);
    }
}

static void page_done(cwa_req *r, void *ctx)
{
    cwa_pager *p = ctx;
    if (p->o.consistent)
        return;
    long page = 0;
    for (int i = 0; i < p->count; i++)
        if (p->win[i] == r)
            page = p->win_page[i];
    if (r->err.code != CWA_OK) {
        /* the loop raises when it reaches this page: nothing after it is needed */
        if (page < p->end_page) {
            p->end_page = page;
            drop_after(p, page);
        }
        return;
    }
    /* headers may tell the total now; the records are counted when the
     * page is decoded, in its turn */
    if (!p->end_known)
        learn_total(p, r, page, -1);
    fill(p);
}

static void fail_page(cwa_pager *p, long page, const cwa_req *r, cwa_error *err)
{
    cwa_error_clear(err);
    err->code = r->err.code;
    err->status = r->err.status;
    err->attempts = r->err.attempts;
    memcpy(err->method, r->err.method, sizeof err->method);
    memcpy(err->url, r->err.url, sizeof err->url);
    snprintf(err->message, sizeof err->message, "page %ld of %.100s failed: %.600s", page, p->path,
             r->err.message);
    err->details = r->err.details ? strdup(r->err.details) : NULL;
}

/* Issues what the window allows: the next keyset page, or offset pages. */
static int issue_ahead(cwa_pager *p, cwa_error *err)
{
    if ((p->o.consistent && !p->done && p->count == 0 && issue_keyset(p) != 0) || fill(p) != 0) {
        cwa_error_set(err, CWA_E_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

int cwa_pager_ready(cwa_pager *p, cwa_error *err)
{
    if (issue_ahead(p, err) != 0)
        return -1;
    return p->count == 0 || p->win[0]->state == REQ_DONE;
}

int cwa_pager_next(cwa_pager *p, cwa_req **out, cwa_error *err)
{
    *out = NULL;
    p->take = 0;
    if (issue_ahead(p, err) != 0)
        return -1;
    if (p->count == 0) {
        p->done = 1;
        return 0;
    }
    cwa_req *r = p->win[0];
    long page = p->win_page[0];
    for (;;) {
        if (cwa_client_run(p->c, r, -1, err) < 0)
            return -1;
        char msg[512] = "";
        if (r->err.code != CWA_OK || cwa__decode(p->c, r, msg, sizeof msg) == 0)
            break;
        /* a body that does not decode (truncated, an HTML page) is fetched
         * again, as the engine does for the calls it decodes itself */
        if (r->attempts > p->c->cfg.retries) {
            cwa_error_set(&r->err, CWA_E_INVALID_RESPONSE, "HTTP %ld: %s (gave up after %d attempts)",
                          r->status, msg, r->attempts);
            snprintf(r->err.method, sizeof r->err.method, "GET");
            snprintf(r->err.url, sizeof r->err.url, "%s", r->url.data);
            r->err.status = r->status;
            r->err.attempts = r->attempts;
            break;
        }
        double delay = cwa__backoff(p->c, r);
        cwa__log(p->c, CWA_LOG_INFO, "page %ld of %s: %s, fetching it again in %.2fs", page, p->path,
                 msg, delay);
        cwa__resubmit(p->c, r, cwa_time_mono() + delay);
    }
    memmove(p->win, p->win + 1, (size_t)(p->count - 1) * sizeof p->win[0]);
    memmove(p->win_page, p->win_page + 1, (size_t)(p->count - 1) * sizeof p->win_page[0]);
    p->count--;

    if (r->err.code != CWA_OK) {
        fail_page(p, page, r, err);
        cwa_req_free(r);
        p->done = 1;
        drop_after(p, 0);
        return -1;
    }
    cwa_page got;
    cwa_page_read(r->has_body ? &r->page : NULL, &got);
    if (!p->end_known)
        learn_total(p, r, page, got.total); /* TotalRecordCount in the body */
    long count = got.count;
    if (count == p->o.page_size && !p->end_known)
        p->target = window_limit(p); /* a full page: a long listing, open the window */
    if (count < 0) {
        cwa_error_clear(err);
        cwa_error_set(err, CWA_E_INVALID_RESPONSE, "page %ld of %s: expected a list of records", page,
                      p->path);
        snprintf(err->method, sizeof err->method, "GET");
        snprintf(err->url, sizeof err->url, "%s", r->url.data);
        err->status = r->status;
        err->attempts = r->attempts;
        cwa_req_free(r);
        p->done = 1;
        drop_after(p, 0);
        return -1;
    }
    long take = count;
    if (p->o.limit >= 0 && p->yielded + take > p->o.limit)
        take = p->o.limit - p->yielded;
    p->yielded += take;
    p->take = take;
    if (count < p->o.page_size || (p->o.limit >= 0 && p->yielded >= p->o.limit) ||
        (!p->o.consistent && page >= p->end_page)) {
        p->done = 1;
        drop_after(p, 0);
    } else if (p->o.consistent) {
        if (!got.last_id[0]) {
            cwa_error_clear(err);
            cwa_error_set(err, CWA_E_INVALID_RESPONSE,
                          "consistent paging: the last record of %s has no %s usable in a condition "
                          "(a number, or text without both kinds of quote)",
                          p->path, p->id_field);
            cwa_req_free(r);
            p->done = 1;
            return -1;
        }
        memcpy(p->last_id, got.last_id, sizeof p->last_id);
        if (issue_keyset(p) != 0) {
            cwa_req_free(r);
            cwa_error_set(err, CWA_E_NOMEM, "out of memory");
            return -1;
        }
    } else {
        fill(p);
    }
    *out = r;
    return 1;
}
