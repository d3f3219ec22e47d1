/*
 * Private to the core: the layout of clients and requests, shared by the
 * engine (cwa_client.c, cwa_request.c, cwa_attempt.c, cwa_loop.c,
 * cwa_transfer.c), authentication (cwa_auth.c, cwa_token_cache.c) and the
 * pager (cwa_pager.c). Nothing outside src/core includes this.
 */
#ifndef CWA_INTERNAL_H
#define CWA_INTERNAL_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "cwa.h"
#include "cwa_buf.h"
#include "cwa_hdr.h"
#include "cwa_rate.h"
#include "cwa_retry.h"
#include "cwa_scrub.h"
#include "cwa_url.h"

typedef enum req_state {
    REQ_NEW = 0,
    REQ_QUEUED, /* waiting for a token, a rate slot or its retry time */
    REQ_FLIGHT, /* an HTTP attempt is running */
    REQ_DONE
} req_state;

typedef enum req_kind { KIND_DATA = 0, KIND_LOGIN, KIND_REFRESH } req_kind;

struct cwa_req {
    cwa_client *client;
    unsigned long id;
    cwa_method method;
    req_kind kind;
    cwa_buf url;
    int has_query;
    char *body;
    size_t bodylen;
    const char *id_field; /* set for list pages: decode fills page */
    int lazy;             /* the owner decodes the body when it wants it */
    int orphan;           /* nobody wants the answer: freed when it arrives */
    int decoded;

    req_state state;
    double not_before; /* monotonic time of the next attempt */
    int attempts;
    int replayed;       /* the one replay after a 401 was used */
    unsigned token_gen; /* token generation the attempt carried */
    double started;     /* monotonic start of the attempt */
    int rate_observed;  /* the attempt's answer fed X-RateLimit-Remaining */
    double queued_at;   /* monotonic time it was (re)queued */
    double waited;      /* seconds it waited before the attempt */
    double submitted;   /* monotonic time the call was submitted */
    double deadline;    /* monotonic end of its time (cfg.deadline); 0: none */

    CURL *easy;
    struct curl_slist *headers;
    char curl_msg[CURL_ERROR_SIZE];
    cwa_buf resp;
    cwa_headers hdr;
    size_t header_bytes; /* of this attempt, every header block counted */
    /* the attempt was cut off for an answer past max_body or past
     * CWA_HEADERS_MAX: a hostile or broken server, never retried */
    enum { TOO_LARGE_NO = 0, TOO_LARGE_BODY, TOO_LARGE_HEADERS } too_large;
    long status;
    int has_body;
    cwa_page_info page;
    cwa_error err;

    void (*on_done)(cwa_req *r, void *ctx);
    void *on_done_ctx;

    cwa_req *prev, *next;           /* client's pending list */
    cwa_req *done_prev, *done_next; /* client's completed list */
    int in_done_list;
};

struct cwa_client {
    cwa_config cfg; /* strings below are the client's own copies */
    char *username, *password, *two_factor_code, *client_id, *ca_file, *token_cache, *proxy;
    /* what cwa_scrub hides in every text from the server or libcurl: kept
     * up to date by whatever changes a token or sends a 2FA code */
    cwa_secrets secrets;
    unsigned char totp_key[128];
    size_t totp_keylen;
    cwa_server server;

    CURLM *multi;
    CURL *pool[32];
    int npool;

    /* what the engine waits on (cwa_poll.c): libcurl's sockets and the
     * wake-up eventfd in one epoll set, libcurl's timer as a monotonic time */
    int epfd, evfd;
    double curl_due;        /* < 0: libcurl set no timer */
    double wake_at;         /* when the last schedule said a queued call may start; 0: none */
    double sched_at;        /* monotonic time of the last schedule */
    atomic_int interrupted; /* cwa_client_interrupt was called */
    pid_t pid;              /* the process that made the client */

    /* authentication */
    cwa_auth_mode dialect; /* resolved dialect; AUTO until known */
    char *token;
    char *refresh_token;
    double token_expires; /* wall clock */
    double refresh_at;    /* wall clock */
    /* AbsoluteExpirationDate (wall clock; 0: none): no refresh reaches past it */
    double token_absolute;
    int session_ended;    /* the running login follows the session's absolute end */
    int fixed_code_stale; /* the fixed 2FA code was refused after that end */
    unsigned token_gen;
    cwa_req *auth_req;
    int auth_sent_code; /* the running login carries a 2FA code */
    int auth_failed;    /* auth_err must reach the waiting calls */
    cwa_error auth_err;
    int logins_this_round; /* logins since the last success or failure */
    int token_used;        /* a call carried the current token, or cwa_client_token gave it */
    /* seconds the token's use outlasted the rate limit's next request slot
     * as it arrived; below 0 the limit outran it (0 for a cached one) */
    double token_slack;
    int tokens_wasted;   /* tokens in a row the rate limit outran, unused (cwa__outrun_streak) */
    double pause_logged; /* monotonic end of the last rate-limit wait logged */
    int tls_warned;

    cwa_rate rate;
    int in_flight;
    double conc_limit; /* adaptive cap <= cfg.concurrency (AIMD on 429) */
    uint64_t rng;

    cwa_req *pending_head, *pending_tail;
    cwa_req *done_head, *done_tail;
    int npending;
    unsigned long next_id;
    unsigned long owned_done; /* completions handed to an owner (a pager) */
};

/* client (cwa_client.c) */
void cwa__log(cwa_client *c, cwa_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* request lifecycle (cwa_request.c) */
cwa_req *cwa__req_alloc(cwa_client *c, cwa_method method, req_kind kind);
/* Onto the end of the pending list, to be started when its turn comes. */
void cwa__enqueue(cwa_client *c, cwa_req *r);
/* Back to the queue for another attempt at not_before (monotonic). */
void cwa__requeue(cwa_client *c, cwa_req *r, double not_before);
/* Completes r: off the pending list, onto the done list or to its owner
 * (on_done); an auth request is left to the auth module. */
void cwa__finish(cwa_client *c, cwa_req *r);
/* Lets an attempt in flight finish instead of cutting it off: its answer is
 * dropped on arrival, and until then it holds its place under the
 * concurrency cap, so the server never sees more than `concurrency`
 * requests of this client at once. A request not in flight is freed. */
void cwa__orphan(cwa_req *r);
/* A completed request goes back to the queue for another attempt. */
void cwa__resubmit(cwa_client *c, cwa_req *r, double not_before);

/* outcome of an attempt (cwa_attempt.c) */
/* What the loop calls when an attempt of r ended with rc. */
void cwa__attempt_complete(cwa_client *c, cwa_req *r, CURLcode rc);
/* The one path of data calls and logins for an attempt that failed at the
 * transport or HTTP level: fills r->err (code, status, libcurl's words or
 * what the server's body says) and, when cwa_retry_classify (idempotent:
 * whether the server may see the request twice) and the retry budget allow
 * it, queues r for another attempt after the backoff or the server's
 * Retry-After and returns 1. Otherwise returns 0 with r->err the final
 * failure; the caller finishes r or turns the error into its own. */
int cwa__attempt_failed(cwa_client *c, cwa_req *r, CURLcode rc, int idempotent);
/* Decodes the body with the hook (once); 0, or -1 with msg. */
int cwa__decode(cwa_client *c, cwa_req *r, char *msg, size_t cap);
/* The delay before attempt `attempts + 1` by the backoff policy. */
double cwa__backoff(cwa_client *c, const cwa_req *r);

/* engine loop (cwa_loop.c) */
/* One turn of the loop, waiting at most max_wait seconds (never more than
 * CWA_SLICE): -1 with err on an internal failure, an interrupt or a client
 * used after fork(). */
int cwa__step(cwa_client *c, double max_wait, cwa_error *err);
/* Seconds a blocking wait lasts at most before it returns to its caller,
 * which checks the hooks (a Lua interrupt) in between. */
#define CWA_SLICE 0.1
/* Sets e to the Timeout of a call whose deadline the next wait would
 * pass: `attempts` made in `elapsed` seconds, `wait` seconds more for
 * `what`, and the last answer `answered` got (the call's own, or its
 * login's; NULL: none). e's message may be the last answer's own. */
void cwa__deadline_error(cwa_client *c, cwa_error *e, int attempts, double elapsed, double wait,
                         const char *what, const cwa_req *answered);
/* 1 when r, a data call, cannot go on at `start` (monotonic) within its
 * deadline, r->err then saying so (cwa__deadline_error); else 0. */
int cwa__past_deadline(cwa_client *c, cwa_req *r, double start, const char *what,
                       const cwa_req *answered);

/* waiting (cwa_poll.c) */
/* The epoll set, the eventfd and libcurl's callbacks; 0, or -1. */
int cwa__poll_open(cwa_client *c);
/* Closes the client's own descriptors; never touches libcurl's sockets. */
void cwa__poll_close(cwa_client *c);
/* Waits up to ms for a socket or a wake-up, then runs libcurl's actions on
 * what is ready and its timer when due. */
void cwa__poll_wait(cwa_client *c, long ms);
/* Reads the wake-ups written so far, so that the descriptor goes quiet. */
void cwa__poll_drain(cwa_client *c);
/* 1 when the calling process is not the one that made the client: its
 * sockets and epoll set are the parent's, and nothing may use them. */
int cwa__forked(const cwa_client *c);
/* -1 with err (InvalidArgument) in a forked child, else 0. */
int cwa__check_process(const cwa_client *c, cwa_error *err);

/* transfer: one HTTP attempt with libcurl */
int cwa__transfer_start(cwa_client *c, cwa_req *r, const char *bearer, cwa_error *err);
void cwa__transfer_release(cwa_client *c, cwa_req *r);
cwa_net_error cwa__net_error(CURLcode rc);
const char *cwa__method_name(cwa_method m);
cwa_code cwa__code_for_status(long status);
void cwa__error_from_body(cwa_error *e, const cwa_req *r);
/* Scrubs e's message, url and details of the client's secrets: for every
 * error whose text came from the server or libcurl. */
void cwa__scrub_error(const cwa_client *c, cwa_error *e);

/* auth */
/* 1 when data requests may start now (a usable token); 0 when they must
 * wait (an auth request was started or is running); -1 when authentication
 * failed (c->auth_err). Starting a login may call the two_factor hook. */
int cwa__auth_ready(cwa_client *c);
void cwa__auth_complete(cwa_client *c, cwa_req *r, CURLcode rc);
/* A data request came back 401 with token generation gen. */
void cwa__auth_rejected(cwa_client *c, unsigned gen);
void cwa__auth_reset_failure(cwa_client *c);
/* No call waits for the login any more: one waiting for its next attempt
 * is dropped (the pause a 429 set still holds for the next login). */
void cwa__auth_abandon(cwa_client *c);
void cwa__auth_free(cwa_client *c);
/* When a token stops being sent (wall clock): at its expiry less a margin
 * for the way to the server, a fifth of the time from its refresh to its
 * expiry (a tenth of a short token's life), at most 2 s. */
double cwa__token_use_end(double expires, double refresh_at);
/* The login livelock rule (issue 14, class 6), when a token ends: the
 * streak of tokens in a row that the rate limit outran (slack < 0, see
 * token_slack) and no call carried grows by one; any other token ends it. */
int cwa__outrun_streak(int streak, double slack, int used);

/* token cache */
/* Uses a cached token when the file holds a valid one for this server and
 * user; -1 (InvalidArgument) when the file is readable by others. */
int cwa__token_cache_load(cwa_client *c, cwa_error *err);
void cwa__token_cache_store(cwa_client *c);
/* Removes the cache file when it holds token (a logout's). */
void cwa__token_cache_forget(cwa_client *c, const char *token);

#endif
