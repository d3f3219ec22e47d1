/* The pager: lists a collection page by page, keeping pages in flight ahead
 * of the consumer and handing them out in server order.
 *
 * Offset mode. The first page goes alone: a short first page (most filtered
 * listings) costs one request. When the total is known (X-Total-Count,
 * X-Total-Pages or TotalRecordCount) the pages up to the end it gives are
 * issued, up to `concurrency` in the window. When it is not (current
 * servers send a bare array), a full first page opens the whole window:
 * long listings run at full width from the second round on, and at most
 * `concurrency - 1` requests go past the end (each answers an empty page;
 * the specs and benchmarks measure it). A short page ends the listing;
 * pages issued beyond it and not yet sent are dropped, those in flight
 * finish unseen.
 *
 * Totals are hints, never the end. A listing ends at a short or empty page
 * only, so a total smaller than the data cannot cut it: the pages a total
 * asks for run to the first page it says is short (for a count that is a
 * multiple of the page size, the empty page after the last full one: one
 * request that proves the count). Each page is checked against the total:
 * one that holds more or fewer records than the total leaves for it, or a
 * full page where the total says the listing is over, contradicts it.
 * A contradicted total is no longer trusted, for the rest of the listing:
 * cwa_pager_total says -1 (unknown), and the pager goes on as for a bare
 * array, one page at a time until a full page opens the window again. So
 * a total that lies costs requests, never records, and no total (even
 * 2^63 - 1) overflows: page numbers are counted by division.
 *
 * A server that ignores `page` answers every page with the same records.
 * A full page is compared with the full page before it: by the ids of
 * their first and last records when each page's ids are known and differ
 * (records shifted by churn between two pages have other ends), else by
 * length and hash of the raw bytes. The same ids twice is an
 * InvalidResponse, raised before the repeat is handed out. The same bytes
 * twice need a proof, since records without ids can be alike on a sound
 * server (`fields = {"Status"}`): one request for a page far past any
 * listing, which such a server answers empty and one that ignores `page`
 * answers with the same bytes again (then the InvalidResponse); once a
 * probe has answered empty, the server is taken to honour `page`.
 *
 * Keyset mode (consistent = true): `<id> > last` with `orderBy <id> asc`,
 * one page at a time (each page depends on the last id of the one before),
 * the next page issued as soon as the previous one arrived. The ids must
 * increase strictly over the whole listing, by the order of cwa_page.h
 * (numbers and decimal strings as numbers; text, whose order is the
 * server's collation, only found equal): ids that fall inside a page mean
 * the server ignored the order, a page whose ids are not above the last
 * id sent means it ignored the condition. Either is an InvalidResponse
 * before the page is handed out: never a repeated or skipped record, never
 * a loop. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwa_internal.h"
#include "cwa_page.h"
#include "cwa_str.h"
#include "cwa_time.h"

enum { MAX_WINDOW = 64 };

/* what the pager makes of the server's total */
enum { TOTAL_UNSEEN = 0, TOTAL_TRUSTED, TOTAL_DROPPED };

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
    long end_page;   /* no page after this one is wanted (limit, a failed page) */
    long hint_end;   /* the total's last page to ask for; LONG_MAX: none */
    long total;      /* records, -1 unknown or contradicted */
    int total_state;
    int target;     /* window size wanted while no total is trusted */
    long yielded;   /* records handed out */
    long pages_out; /* pages handed out */
    long fetched;   /* page requests issued */
    long take;      /* records of the last page to hand out */
    int done;
    struct {       /* offset mode: the page handed out last */
        long page; /* -1: none */
        long count;
        cwa_id first, last;
        uint64_t hash;
        size_t len;
    } prev;
    int honours_page;                   /* a probe showed that byte-identical pages are the data's */
    char last_id[CWA_PAGE_LITERAL_CAP]; /* keyset mode: the literal sent */
    cwa_id bound;                       /* and the id it writes; kind NONE before page 2 */
    int keyset_started;
    struct {           /* the page next in order, moved on by cwa_pager_ready */
        int settled;   /* answered and decoded, or failed for good */
        uint64_t hash; /* offset mode: its raw body, for repeats */
        size_t len;
        cwa_req *probe; /* the probe its bytes call for, on its way */
        uint64_t probe_hash;
        size_t probe_len;
        int verdict; /* -1: no probe ran; else whether the server ignored `page` */
    } head;
};

void cwa_pager_free(cwa_pager *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->count; i++)
        cwa_req_free(p->win[i]);
    cwa_req_free(p->head.probe);
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

/* The page number of record `records` (1-based) at size records a page,
 * offset by start: never overflows, LONG_MAX when past it. */
static long page_of_record(long start, long records, long size)
{
    long pages = records / size + (records % size != 0);
    return pages > LONG_MAX - start + 1 ? LONG_MAX : start + pages - 1;
}

/* Every page would carry a key twice: the server would answer 400. */
static int check_keys(const char *const *keys, size_t n, int consistent, char *msg, size_t cap)
{
    static const char *const own[] = {"page", "pageSize", "condition"};
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof own / sizeof own[0]; k++) {
            if (cwa_url_key_eq(keys[i], own[k])) {
                snprintf(msg, cap,
                         "query: parameter '%.64s' is the pager's own (use the options start_page, "
                         "page_size and condition)",
                         keys[i]);
                return -1;
            }
        }
        if (consistent && cwa_url_key_eq(keys[i], "orderBy")) {
            snprintf(msg, cap,
                     "query: parameter '%.64s' cannot be given with consistent (the pager "
                     "orders by the id)",
                     keys[i]);
            return -1;
        }
        for (size_t k = 0; k < i; k++) {
            if (cwa_url_key_eq(keys[i], keys[k]))
                return cwa_url_dup_key(keys[i], msg, cap);
        }
    }
    return 0;
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
    if (cwa_url_check_path(path, strlen(path), msg, sizeof msg) != 0 ||
        check_keys(keys, n, opts->consistent, msg, sizeof msg) != 0) {
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
    p->hint_end = LONG_MAX;
    if (opts->limit >= 0) {
        p->end_page = page_of_record(opts->start_page, opts->limit, page_size);
        if (opts->limit == 0)
            p->done = 1;
    }
    p->total = -1;
    p->target = 1;
    p->prev.page = -1;
    p->head.verdict = -1;
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

/* cwa_pager_new refused the keys that could clash: only memory fails here. */
static int add_query(cwa_req *r, const char *key, const char *value)
{
    cwa_error err = {0};
    return cwa_req_query(r, key, value, strlen(value), &err);
}

/* A page request, not yet submitted: NULL when memory runs out. */
static cwa_req *page_req(cwa_pager *p, long page, const char *condition, const char *order_by)
{
    cwa_error err = {0};
    cwa_req *r = cwa_req_new(p->c, CWA_GET, p->path, strlen(p->path), NULL, 0, &err);
    if (!r)
        return NULL;
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
        return NULL;
    }
    r->id_field = p->id_field;
    /* decoded when the loop reaches it: pages waiting in the window stay
     * compact bytes, not Lua tables the collector has to walk */
    r->lazy = 1;
    return r;
}

static int issue(cwa_pager *p, long page, const char *condition, const char *order_by)
{
    cwa_req *r = page_req(p, page, condition, order_by);
    if (!r)
        return -1;
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
    int want = p->total_state == TOTAL_TRUSTED ? limit : (p->target < limit ? p->target : limit);
    long last = p->end_page < p->hint_end ? p->end_page : p->hint_end;
    while (p->count < want && p->next_issue <= last) {
        if (issue(p, p->next_issue, p->condition, NULL) != 0)
            return -1;
        p->next_issue++;
    }
    return 0;
}

/* `page` is the page whose answer told the total: it stays in the window
 * whatever the total says (its callback may be running). body_total: the
 * total its decoded body gave, -1 when none (or not decoded yet). */
static void learn_total(cwa_pager *p, const cwa_req *r, long page, long body_total)
{
    if (p->total_state != TOTAL_UNSEEN)
        return;
    long size = p->o.page_size;
    long total = body_total >= 0 ? body_total : r->hdr.total_count;
    long end;
    if (total >= 0) {
        /* the first page it says is short: the last, or the empty one after
         * a last page that is full */
        p->total = total;
        end = total / size == LONG_MAX ? LONG_MAX : total / size + 1;
    } else if (r->hdr.total_pages >= 0 && (r->hdr.page_size < 0 || r->hdr.page_size == size)) {
        end = r->hdr.total_pages > 0 ? r->hdr.total_pages : 1;
    } else {
        return;
    }
    p->total_state = TOTAL_TRUSTED;
    if (end < page)
        end = page;
    p->hint_end = end;
    if (p->next_issue - 1 > end) {
        drop_after(p, end);
        p->next_issue = end + 1;
    }
}

/* Checks the trusted total against the page that is the `ordinal`-th of
 * the listing's pages (the pages before it all full) and holds count
 * records; drops the total when they disagree, or when the total's pages
 * are used up while the records go on. */
static void check_total(cwa_pager *p, long ordinal, long count)
{
    if (p->total_state != TOTAL_TRUSTED)
        return;
    long size = p->o.page_size, before = ordinal - 1;
    int agrees;
    if (p->total >= 0) {
        long left = before > p->total / size ? 0 : p->total - before * size;
        agrees = count == (left < size ? left : size);
    } else { /* pages only: every page full but the last */
        agrees = ordinal < p->hint_end ? count == size : ordinal == p->hint_end || count == 0;
    }
    if (agrees && !(ordinal >= p->hint_end && count == size))
        return;
    if (!agrees)
        cwa__log(p->c, CWA_LOG_INFO,
                 "%s: page %ld holds %ld records, which the server's total does not allow: the "
                 "total is no longer trusted",
                 p->path, ordinal, count);
    p->total_state = TOTAL_DROPPED;
    p->total = -1;
    p->hint_end = LONG_MAX;
    p->target = 1; /* the next full page opens the window again */
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

/* Ends the listing with the InvalidResponse already written in err's
 * message, about the page r answered (freed here). */
static int invalid_page(cwa_pager *p, cwa_req *r, cwa_error *err)
{
    err->code = CWA_E_INVALID_RESPONSE;
    snprintf(err->method, sizeof err->method, "GET");
    snprintf(err->url, sizeof err->url, "%s", r->url.data);
    err->status = r->status;
    err->attempts = r->attempts;
    cwa__scrub_error(p->c, err); /* the URL carries the keyset literal, the server's text */
    cwa_req_free(r);
    p->done = 1;
    drop_after(p, 0);
    return -1;
}

/* Writes an id for a message when it is a plain number (as a number or a
 * decimal string); other ids are not quoted, as text from the server
 * could carry control bytes or echo what it was sent. */
static int number_text(const cwa_id *id, char *out, size_t cap)
{
    return cwa_page_id_known(id) && cwa_page_literal(CWA_ID_NUMBER, id->text, id->len, out, cap) == 0;
}

static int below_or_equal(const cwa_id *a, const cwa_id *b)
{
    int c = cwa_page_id_cmp(a, b);
    return c == 0 || c == -1;
}

/* Keyset mode: the page's ids must increase, all above the last id sent. */
static int check_keyset(cwa_pager *p, cwa_req *r, const cwa_page *got, cwa_error *err)
{
    long ordinal = p->pages_out + 1;
    if (got->id_break) {
        cwa_error_clear(err);
        snprintf(err->message, sizeof err->message,
                 "consistent paging over %.200s: on page %ld, the %.60s of record %ld is not above "
                 "that of record %ld: the server ignored the order (orderBy=%.60s asc)",
                 p->path, ordinal, p->id_field, got->id_break, got->id_break - 1, p->id_field);
        return invalid_page(p, r, err);
    }
    if (p->bound.kind != CWA_ID_NONE && got->count > 0 &&
        (below_or_equal(&got->first, &p->bound) || below_or_equal(&got->last, &p->bound))) {
        const cwa_id *bad = below_or_equal(&got->first, &p->bound) ? &got->first : &got->last;
        char a[CWA_PAGE_LITERAL_CAP], b[CWA_PAGE_LITERAL_CAP];
        cwa_error_clear(err);
        if (number_text(bad, a, sizeof a) && number_text(&p->bound, b, sizeof b))
            snprintf(err->message, sizeof err->message,
                     "consistent paging over %.200s: page %ld holds %.60s %s, not above %s, the last of "
                     "page %ld: the server ignored the condition %.60s > %s",
                     p->path, ordinal, p->id_field, a, b, ordinal - 1, p->id_field, b);
        else
            snprintf(err->message, sizeof err->message,
                     "consistent paging over %.200s: page %ld holds a record whose %.60s is not above "
                     "the last of page %ld: the server ignored the condition %.60s > (that %.60s)",
                     p->path, ordinal, p->id_field, ordinal - 1, p->id_field, p->id_field);
        return invalid_page(p, r, err);
    }
    return 0;
}

/* Ids that tell a page's records apart: known, and not one id for all. */
static int telling_ids(const cwa_id *first, const cwa_id *last, long size)
{
    return cwa_page_id_known(first) && cwa_page_id_known(last) &&
           (size == 1 || !cwa_page_id_same(first, last));
}

static int repeated_page(cwa_pager *p, cwa_req *r, long page, const cwa_page *got, cwa_error *err)
{
    char a[CWA_PAGE_LITERAL_CAP], b[CWA_PAGE_LITERAL_CAP];
    cwa_error_clear(err);
    if (!telling_ids(&got->first, &got->last, p->o.page_size))
        snprintf(err->message, sizeof err->message,
                 "page %ld of %.200s repeats page %ld byte for byte, and so does a page far past the "
                 "end: the server ignored the page parameter",
                 page, p->path, page - 1);
    else if (number_text(&got->first, a, sizeof a) && number_text(&got->last, b, sizeof b))
        snprintf(err->message, sizeof err->message,
                 "page %ld of %.200s repeats page %ld (the same %ld records, %.60s %s to %s): the "
                 "server ignored the page parameter",
                 page, p->path, page - 1, got->count, p->id_field, a, b);
    else
        snprintf(err->message, sizeof err->message,
                 "page %ld of %.200s repeats page %ld (the same %ld records, with the same first and "
                 "last %.60s): the server ignored the page parameter",
                 page, p->path, page - 1, got->count, p->id_field);
    return invalid_page(p, r, err);
}

/* Decodes page request r, which has its answer. A body that does not
 * decode (truncated, an HTML page) is queued again after a backoff, as the
 * engine does for the calls it decodes itself, and 0 says so: nothing here
 * waits, the caller's loop (or the host's) drives the new attempt. 1 when
 * r is settled, r->err telling how the page ended. In offset mode *hash and
 * *len are those of the raw body (the decoder frees the bytes). */
static int settle(cwa_pager *p, cwa_req *r, long page, uint64_t *hash, size_t *len)
{
    char msg[512] = "";
    if (r->err.code == CWA_OK && !r->decoded && !p->o.consistent) {
        /* the decoder frees the bytes: a repeat is told by them first */
        *len = r->resp.len;
        *hash = cwa_page_hash(r->resp.data, r->resp.len);
    }
    if (r->err.code != CWA_OK || cwa__decode(p->c, r, msg, sizeof msg) == 0)
        return 1;
    if (r->attempts > p->c->cfg.retries) {
        cwa_error_set(&r->err, CWA_E_INVALID_RESPONSE, "HTTP %ld: %s (gave up after %d attempts)",
                      r->status, msg, r->attempts);
        snprintf(r->err.method, sizeof r->err.method, "GET");
        snprintf(r->err.url, sizeof r->err.url, "%s", r->url.data);
        r->err.status = r->status;
        r->err.attempts = r->attempts;
        return 1;
    }
    double delay = cwa__backoff(p->c, r);
    cwa__log(p->c, CWA_LOG_INFO, "page %ld of %s: %s, fetching it again in %.2fs", page, p->path, msg,
             delay);
    cwa__resubmit(p->c, r, cwa_time_mono() + delay);
    return 0;
}

/* Records without ids are told apart by their bytes only, and full pages
 * of records alike are byte-identical on a sound server too. The probe
 * asks for a page far past any listing ((page - 1) * pageSize still fits a
 * server's 32-bit int): a server that honours `page` answers it short or
 * empty, one that ignores it answers these bytes again. Offset mode, the
 * head settled and a full repeat of the page before it by its bytes:
 * submits the probe, then (in later calls) settles it and keeps its
 * verdict, 1 when the server ignored `page`, 0 when not (or the probe
 * failed: no proof). 1 when the verdict is in, 0 while the probe is on
 * its way, -1 out of memory (err). */
static int probe(cwa_pager *p, long page, cwa_error *err)
{
    if (!p->head.probe) {
        long far = INT_MAX / p->o.page_size;
        if (far <= page)
            far = page + 1;
        p->head.probe = page_req(p, far, p->condition, NULL);
        if (!p->head.probe) {
            cwa_error_set(err, CWA_E_NOMEM, "out of memory");
            return -1;
        }
        cwa_req_submit(p->head.probe);
        return 0;
    }
    cwa_req *r = p->head.probe;
    if (r->state != REQ_DONE || !settle(p, r, page, &p->head.probe_hash, &p->head.probe_len))
        return 0;
    cwa_page got;
    cwa_page_read(r->has_body ? &r->page : NULL, &got);
    p->head.verdict = r->err.code == CWA_OK && got.count == p->o.page_size &&
                      p->head.probe_len == p->head.len && p->head.probe_hash == p->head.hash;
    p->head.probe = NULL;
    cwa_req_free(r);
    return 1;
}

enum { REPEAT_IDS = 1, REPEAT_BYTES };

/* Offset mode: whether a full page is the full page before it again, told
 * by the ids (REPEAT_IDS) or by the bytes only (REPEAT_BYTES). */
static int repeats(const cwa_pager *p, long page, const cwa_page *got, uint64_t hash, size_t len)
{
    long size = p->o.page_size;
    if (p->prev.page != page - 1 || p->prev.count != size || got->count != size)
        return 0;
    if (telling_ids(&got->first, &got->last, size) && telling_ids(&p->prev.first, &p->prev.last, size))
        return cwa_page_id_same(&got->first, &p->prev.first) &&
                       cwa_page_id_same(&got->last, &p->prev.last)
                   ? REPEAT_IDS
                   : 0;
    return len == p->prev.len && hash == p->prev.hash ? REPEAT_BYTES : 0;
}

/* Moves the page next in order on as far as it goes without waiting:
 * decodes it once it has arrived (queueing it again when it does not
 * decode) and runs the probe its bytes may call for. 1 when
 * cwa_pager_next can hand it out (or end the listing) at once, 0 when it
 * waits for the network, -1 out of memory (err). */
static int advance(cwa_pager *p, cwa_error *err)
{
    if (p->count == 0)
        return 1;
    cwa_req *r = p->win[0];
    long page = p->win_page[0];
    if (!p->head.settled) {
        if (r->state != REQ_DONE || !settle(p, r, page, &p->head.hash, &p->head.len))
            return 0;
        p->head.settled = 1;
    }
    if (p->o.consistent || p->honours_page || p->head.verdict >= 0 || r->err.code != CWA_OK)
        return 1;
    cwa_page got;
    cwa_page_read(r->has_body ? &r->page : NULL, &got);
    if (got.count < 0 || repeats(p, page, &got, p->head.hash, p->head.len) != REPEAT_BYTES)
        return 1;
    return probe(p, page, err);
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
    return advance(p, err);
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
    for (;;) {
        int rc = advance(p, err);
        if (rc < 0)
            return -1;
        if (rc > 0)
            break;
        if (cwa_client_run(p->c, p->head.probe ? p->head.probe : p->win[0], -1, err) < 0)
            return -1;
    }
    cwa_req *r = p->win[0];
    long page = p->win_page[0];
    uint64_t hash = p->head.hash;
    size_t body_len = p->head.len;
    int verdict = p->head.verdict;
    memset(&p->head, 0, sizeof p->head);
    p->head.verdict = -1;
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
    long count = got.count;
    if (count < 0) {
        cwa_error_clear(err);
        snprintf(err->message, sizeof err->message, "page %ld of %.200s: expected a list of records",
                 page, p->path);
        return invalid_page(p, r, err);
    }
    if (p->o.consistent) {
        if (check_keyset(p, r, &got, err) != 0)
            return -1;
    } else {
        int rep = repeats(p, page, &got, hash, body_len);
        if (rep == REPEAT_BYTES && !p->honours_page) {
            rep = verdict > 0;
            p->honours_page = !rep;
        } else if (rep == REPEAT_BYTES) {
            rep = 0;
        }
        if (rep)
            return repeated_page(p, r, page, &got, err);
        p->prev.page = page;
        p->prev.count = count;
        p->prev.first = got.first;
        p->prev.last = got.last;
        p->prev.hash = hash;
        p->prev.len = body_len;
    }
    long ordinal = p->o.consistent ? p->pages_out + 1 : page;
    if (count == p->o.page_size && p->total_state != TOTAL_TRUSTED)
        p->target = window_limit(p);       /* a full page: a long listing, open the window */
    learn_total(p, r, ordinal, got.total); /* TotalRecordCount in the body */
    check_total(p, ordinal, count);
    long take = count;
    if (p->o.limit >= 0 && p->yielded + take > p->o.limit)
        take = p->o.limit - p->yielded;
    p->yielded += take;
    p->take = take;
    p->pages_out++;
    if (count < p->o.page_size || (p->o.limit >= 0 && p->yielded >= p->o.limit) ||
        (!p->o.consistent && page >= p->end_page)) {
        p->done = 1;
        drop_after(p, 0);
    } else if (p->o.consistent) {
        if (!got.last_id[0]) {
            cwa_error_clear(err);
            snprintf(err->message, sizeof err->message,
                     "consistent paging over %.200s: the %.60s of the last record of page %ld %s",
                     p->path, p->id_field, ordinal, got.no_literal ? got.no_literal : "has no literal");
            return invalid_page(p, r, err);
        }
        memcpy(p->last_id, got.last_id, sizeof p->last_id);
        p->bound = got.last;
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
