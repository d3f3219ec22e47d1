/*
 * cwa: the C core of the ConnectWise Automate client. No Lua here.
 *
 * A cwa_client owns one libcurl multi handle, a pool of easy handles, the
 * authentication state, the rate limiter and the retry policy. Work is a
 * cwa_req (one logical API call: it may take several HTTP attempts, a login
 * or a token refresh before it completes). Nothing blocks except
 * cwa_client_run, which drives every queued request until the one asked for
 * completes, its deadline passes, or (with target NULL) any completes.
 *
 * Threads: a client and its requests belong to one thread at a time; distinct
 * clients are independent. libcurl is initialised once per process
 * (pthread_once), so any number of Lua states may load the module;
 * cwa_curl_threadsafe says whether that libcurl is built thread-safe.
 * cwa_client_interrupt is the one call that any thread, or a signal
 * handler, may make on a client another thread is running.
 *
 * Fork: a client belongs to the process that made it. In any other
 * process every call that would use the network fails (InvalidArgument,
 * "make a new client after fork()") before libcurl is touched, and
 * cwa_client_free there leaves the inherited connections alone (their
 * libcurl handles are not freed: nothing is sent on the parent's sockets).
 *
 * Event loops: cwa_client_pollfd, cwa_client_timeout and cwa_client_step
 * let a host drive a client without blocking (the cqueues protocol).
 *
 * Callbacks (cwa_hooks) are called from cwa_client_run between transfers,
 * never from inside libcurl, so they may run Lua code (protected).
 *
 * Secrets: the password, 2FA codes and tokens never appear in cwa_error, log
 * lines or anything else this core produces as text.
 */
#ifndef CWA_H
#define CWA_H

#include <stddef.h>

#ifndef CWA_VERSION
#define CWA_VERSION "0.0.0"
#endif

typedef enum cwa_code {
    CWA_OK = 0,
    CWA_E_UNAUTHORIZED,
    CWA_E_TWO_FACTOR_REQUIRED,
    CWA_E_FORBIDDEN,
    CWA_E_NOT_FOUND,
    CWA_E_BAD_REQUEST,
    CWA_E_RATE_LIMITED,
    CWA_E_SERVER_ERROR,
    CWA_E_NETWORK,
    CWA_E_TIMEOUT,
    CWA_E_TLS,
    CWA_E_INVALID_ARGUMENT,
    CWA_E_INVALID_RESPONSE,
    CWA_E_CANCELLED,
    CWA_E_NOMEM
} cwa_code;

/* The code names of DESIGN.md ("Unauthorized", ...). */
const char *cwa_code_name(cwa_code code);

typedef struct cwa_error {
    cwa_code code;
    long status;  /* HTTP status, 0 when none */
    int attempts; /* HTTP attempts made for the call */
    char method[8];
    char url[1024]; /* the request URL; never carries a secret */
    char message[768];
    char *details; /* JSON text of the server's details, or NULL (malloc) */
} cwa_error;

void cwa_error_clear(cwa_error *e);
/* Sets code and message (printf style); keeps other fields. */
void cwa_error_set(cwa_error *e, cwa_code code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void cwa_error_move(cwa_error *dst, cwa_error *src);

typedef enum cwa_auth_mode {
    CWA_AUTH_AUTO = 0,
    CWA_AUTH_APITOKEN,
    CWA_AUTH_APICREDENTIALS
} cwa_auth_mode;

typedef enum cwa_log_level { CWA_LOG_DEBUG = 0, CWA_LOG_INFO, CWA_LOG_WARN } cwa_log_level;

typedef struct cwa_req cwa_req;
typedef struct cwa_client cwa_client;

/* The kind of a JSON value as a decoder saw it. */
typedef enum cwa_json_kind {
    CWA_JSON_NONE = 0, /* absent, or a string, number, boolean or null */
    CWA_JSON_ARRAY,    /* an array with elements */
    CWA_JSON_OBJECT,   /* an object with members */
    CWA_JSON_EMPTY     /* [] or {}: decoders such as lua-cjson cannot tell them apart */
} cwa_json_kind;

typedef enum cwa_id_kind {
    CWA_ID_NONE = 0, /* absent, or neither a number nor a string */
    CWA_ID_NUMBER,
    CWA_ID_STRING
} cwa_id_kind;

enum { CWA_ID_TEXT_CAP = 64 };

/* The id field of one record, as a decoder saw it. */
typedef struct cwa_id {
    cwa_id_kind kind;
    size_t len;                 /* length of its text: a number as the decoder
                                 * prints it, a string's bytes (may hold a NUL) */
    char text[CWA_ID_TEXT_CAP]; /* the text when len < CWA_ID_TEXT_CAP */
} cwa_id;

/* What a decoder saw in the body of a list request: facts only. Whether
 * they make a page, its total and the keyset literal of its last id are
 * the core's rules (cwa_page.h); all zero means nothing was seen. Member
 * names (ResultSet, TotalRecordCount, the id field) match in any case. */
typedef struct cwa_page_info {
    cwa_json_kind body;
    cwa_json_kind result_set; /* the body's ResultSet member; NONE unless body is an object */
    /* "The list": the ResultSet when body is an object and result_set an
     * array or empty, else the body when it is an array or empty. The
     * decoder keeps the list, when there is one, as the request's value. */
    long count;         /* elements of the list; 0 when there is none */
    int all_containers; /* every element is an object or an array */
    int has_total;      /* the object body has a numeric TotalRecordCount */
    double total;       /* its value, as decoded */
    cwa_id first, last; /* the id fields of the list's first and last elements */
    long id_break;      /* 1-based position of the first element whose id is not
                         * above the one before it; 0: none seen */
} cwa_page_info;

/* For decoders: reports the id field of the list's element at position
 * index (1, 2, ... in order; kind NONE when it has none), filling first,
 * last and id_break by the core's rule for comparing ids (cwa_page.h). */
void cwa_page_note_id(cwa_page_info *info, long index, cwa_id_kind kind, const char *text, size_t len);

typedef struct cwa_hooks {
    void *ud;
    /* Fills out with a 2FA code when the server asks for one; 0 on success,
     * -1 when no code could be had (msg says why, without secrets). */
    int (*two_factor)(void *ud, char *out, size_t cap, char *msg, size_t msgcap);
    void (*log)(void *ud, cwa_log_level level, const char *line);
    /* Decodes a 2xx body (len > 0) and keeps the value for the caller, keyed
     * by cwa_req_id. 0 when the body is valid JSON; -1 with msg otherwise
     * (the core then treats it as InvalidResponse, retrying a GET). For a
     * list request (id_field != NULL) it fills every field of info. */
    int (*decode)(void *ud, cwa_req *req, const char *body, size_t len, const char *id_field,
                  cwa_page_info *info, char *msg, size_t msgcap);
    /* The core no longer needs the value decode kept for req (cancelled or
     * failed after decoding). */
    void (*discard)(void *ud, cwa_req *req);
    /* Nonzero when a hook hit an error that must end the current call (an
     * interrupt, no memory, an error in a user's callback): the running
     * cwa_client_run returns -1 with CWA_E_CANCELLED. */
    int (*aborted)(void *ud);
} cwa_hooks;

typedef struct cwa_config {
    const char *server;
    int allow_http;
    const char *username;
    const char *password;
    const char *two_factor_code; /* a fixed code, or NULL */
    int two_factor_hook;         /* ask hooks.two_factor when the server wants a code */
    const char *totp_secret;     /* base32, or NULL */
    const char *client_id;
    cwa_auth_mode auth;
    int page_size;          /* records a page a listing asks for, 1..1000 */
    int retries;            /* extra attempts after the first */
    double rate_limit;      /* requests a minute; <= 0: off */
    int rate_limit_default; /* rate_limit is an assumption: follow a
                             * server that states its own limit */
    double burst;           /* bucket size; <= 0: one minute's worth */
    int concurrency;        /* requests in flight at most */
    double timeout;         /* seconds for one HTTP attempt */
    double connect_timeout;
    int verify_tls;
    const char *ca_file;
    /* HTTP(S) proxy URL (may carry user:password@, kept like a password);
     * NULL: libcurl's https_proxy / no_proxy environment for an https://
     * server, none for http:// (a proxy would read the password in the
     * clear); "": no proxy, whatever the environment says */
    const char *proxy;
    double backoff_base; /* seconds */
    double backoff_cap;
    double max_wait; /* longest pause: Retry-After, X-RateLimit-Reset, backoff */
    /* seconds one call may take in all, its waits, retries and logins
     * included (a listing: each page); past it the call fails with
     * CWA_E_TIMEOUT. 0: no limit */
    double deadline;
    /* bytes of an answer's body at most, counted decoded (after gzip...);
     * past it the call fails with CWA_E_INVALID_RESPONSE */
    size_t max_body;
    const char *token_cache; /* file path, or NULL */
    cwa_hooks hooks;
} cwa_config;

/* Fills a config with the documented defaults (no server, no credentials). */
void cwa_config_defaults(cwa_config *cfg);

/* Validates the configuration and copies everything it needs. NULL with err
 * (InvalidArgument) on a bad value; no request is sent. */
cwa_client *cwa_client_new(const cwa_config *cfg, cwa_error *err);
void cwa_client_free(cwa_client *c);

/* The current token (NULL when none) and its expiry (epoch seconds); logs in
 * first when there is none. */
int cwa_client_token(cwa_client *c, const char **token, double *expires, cwa_error *err);
/* The same without waiting: 1 with *token and *expires when a token is
 * usable, 0 when a login is queued or on its way (step the client, then
 * call again), -1 with err when the login failed or would end past the
 * deadline counted from `started` (cwa_time_mono seconds, when the caller
 * began to wait for it). */
int cwa_client_token_try(cwa_client *c, double started, const char **token, double *expires,
                         cwa_error *err);

/* Ends the session: on the apitoken dialect revokes the token on the server
 * (POST /apitoken/Disable {SecurityToken}; the brief's APICredentials has
 * no such route), then forgets it, its refresh token and its token_cache
 * entry. Without a token it does nothing and sends nothing, so a second
 * call is free; the next call logs in again. A token the server already
 * refuses (401) counts as revoked. When the revocation fails otherwise
 * (the server's 500, the network) the token is forgotten all the same,
 * and -1 with err says that the server may still accept it until it
 * expires. A login or refresh in flight is waited for first, so the token
 * it brings is the one revoked. */
int cwa_client_logout(cwa_client *c, cwa_error *err);

/* "apitoken" or "apicredentials" once known (after the first login), else NULL. */
const char *cwa_client_dialect(const cwa_client *c);

/* The session the client holds, without a request: what a token_cache entry
 * (read by cwa_client_new) or the last login gave. Never the token. */
typedef struct cwa_session_info {
    double expires;      /* epoch seconds */
    double absolute;     /* AbsoluteExpirationDate, epoch seconds; 0: none */
    const char *dialect; /* "apitoken" or "apicredentials" */
} cwa_session_info;
/* 1 and *out filled when the client holds a token, else 0 (out zeroed). */
int cwa_client_session(const cwa_client *c, cwa_session_info *out);

/* The start of a server's body on one line, for a message, with the
 * client's secrets as *** (the rules of cwa_scrub_excerpt in cwa_scrub.h):
 * what a hook quotes of a body it could not decode. */
void cwa_client_excerpt(const cwa_client *c, const char *body, size_t len, size_t max, char *out,
                        size_t cap);

/* The numbers, switches and auth mode the client runs with (the defaults
 * filled in, as checked by cwa_client_new); strings and hooks are NULL, so
 * nothing secret is handed out. */
void cwa_client_settings(const cwa_client *c, cwa_config *out);

/* ---- requests ---------------------------------------------------------- */

typedef enum cwa_method { CWA_GET = 0, CWA_POST, CWA_PUT, CWA_PATCH, CWA_DELETE } cwa_method;

/* A request for path (relative to the API base, checked: InvalidArgument on
 * '..', '?', control characters; "/v2/..." goes to /cwa/api/v2/...). body
 * may be NULL. NULL with err. */
cwa_req *cwa_req_new(cwa_client *c, cwa_method method, const char *path, size_t pathlen,
                     const char *body, size_t bodylen, cwa_error *err);
/* Adds ?key=value (encoded). 0, or -1 with err: InvalidArgument naming the
 * key when the URL carries it already (in any case: servers answer a
 * repeated key with 400), OutOfMemory. */
int cwa_req_query(cwa_req *r, const char *key, const char *value, size_t vlen, cwa_error *err);
/* Queues the request. */
void cwa_req_submit(cwa_req *r);
/* Cancels (if in flight) and frees. */
void cwa_req_free(cwa_req *r);

unsigned long cwa_req_id(const cwa_req *r);
int cwa_req_done(const cwa_req *r);
/* After completion: status, whether decode kept a value (has_body), the
 * error (code CWA_OK on success). */
long cwa_req_status(const cwa_req *r);
int cwa_req_has_body(const cwa_req *r);
const cwa_error *cwa_req_error(const cwa_req *r);

/* Drives the client until target completes (target NULL: until any request
 * completes, a pager's pages included) or timeout seconds pass (< 0: no
 * limit). Returns 1 when target (or some request) completed, 0 on timeout,
 * -1 on an internal failure (err). Completed requests that no pager owns are
 * also collected for cwa_client_next_done. */
int cwa_client_run(cwa_client *c, cwa_req *target, double timeout, cwa_error *err);
/* ---- event loops, interrupts ------------------------------------------- */

/* A descriptor (an epoll set) that becomes readable when the client has
 * network work to do; the host waits for it and for cwa_client_timeout,
 * then calls cwa_client_step. The client owns it. -1 with err after fork. */
int cwa_client_pollfd(const cwa_client *c, cwa_error *err);
/* Seconds until the client must be stepped even when its descriptor stays
 * quiet (libcurl's timer, a retry time, a rate slot, a deadline; 0: now);
 * below 0: no timer, only the descriptor. */
double cwa_client_timeout(const cwa_client *c);
/* Does all the work that is ready (starts what may start, reads what
 * arrived, runs due timers, hands completions on) and never blocks; each
 * call moves the transfers on. 1 when a completed request waits for
 * cwa_client_next_done or a pager's page arrived, 0 when not, -1 with err
 * (an interrupt, an error a hook caught, use after fork). */
int cwa_client_step(cwa_client *c, cwa_error *err);
/* Makes the running (or else the next) cwa_client_run, cwa_client_step or
 * any call that waits end with CWA_E_CANCELLED ("interrupted"), waking a
 * blocking wait at once. Async-signal-safe and thread-safe (an atomic flag
 * and a write to an eventfd): the one call on c allowed from a signal
 * handler or from another thread than the one running c. The requests
 * stay queued; a later run goes on with them. */
void cwa_client_interrupt(cwa_client *c);
/* 1 when the libcurl in use says its API is thread-safe
 * (CURL_VERSION_THREADSAFE, libcurl 7.84 or later), else 0. */
int cwa_curl_threadsafe(void);

/* Pops one completed, not yet reported request, or NULL. */
cwa_req *cwa_client_next_done(cwa_client *c);
/* Requests queued or in flight. */
int cwa_client_pending(const cwa_client *c);

/* ---- pagination --------------------------------------------------------- */

typedef struct cwa_pager cwa_pager;

typedef struct cwa_pager_opts {
    int page_size;   /* 1..1000; 0: the client's page_size */
    long start_page; /* >= 1 */
    long limit;      /* records at most; < 0: all */
    int consistent;  /* keyset paging on id_field */
    const char *id_field;
    const char *condition; /* the user's condition text, or NULL */
    int window;            /* pages in flight at most; 0: the client's concurrency */
} cwa_pager_opts;

/* Takes ownership of nothing; copies path, options and the extra query
 * pairs (keys[i] = values[i], n pairs). page, pageSize, condition and, when
 * consistent, orderBy are the pager's own: given among the pairs, as a key
 * given twice (keys compare case-insensitively), they are InvalidArgument. */
cwa_pager *cwa_pager_new(cwa_client *c, const char *path, const cwa_pager_opts *opts,
                         const char *const *keys, const char *const *values, size_t n, cwa_error *err);
/* Blocks until the next page in order is complete. 1: *page is that page's
 * request (its decoded body is with the decoder, keyed by its id; free it
 * with cwa_req_free when done); 0: the listing is over; -1: err says which
 * page failed and why (after the retry policy was spent). */
int cwa_pager_next(cwa_pager *p, cwa_req **page, cwa_error *err);
/* Moves the listing on without waiting: issues the pages the window
 * allows and, once the next page in order has arrived, decodes it (one
 * page's decode at most; a body that does not decode is queued again after
 * a backoff) and submits the probe a repeat of bytes calls for. 1 when
 * cwa_pager_next would not wait (the next page is decoded and checked, or
 * the listing is over), 0 when it would, -1 when out of memory (err). A
 * caller that runs other work meanwhile (a scheduler of coroutines, an
 * event loop) steps the client and calls this until it says 1. Decoding
 * runs the client's decode hook. */
int cwa_pager_ready(cwa_pager *p, cwa_error *err);
/* The total number of records when the server told it, else -1. */
long cwa_pager_total(const cwa_pager *p);
/* How many records of the page cwa_pager_next returned belong to the
 * listing (fewer than the page holds when `limit` ends inside it). */
long cwa_pager_take(const cwa_pager *p);
long cwa_pager_pages_fetched(const cwa_pager *p);
/* Cancels pages in flight and frees. */
void cwa_pager_free(cwa_pager *p);

#endif
