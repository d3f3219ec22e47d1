/* Client setup: the documented defaults, the checks of a configuration,
 * and a client's birth and death (its copies of the caller's strings, the
 * multi handle, the rate limiter, the cached token). Separate from the
 * request lifecycle and the loop because nothing here runs per request:
 * it is the one place that knows every field of the configuration. */
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cwa_internal.h"
#include "cwa_str.h"
#include "cwa_time.h"
#include "cwa_totp.h"

/* libcurl's global init is not thread-safe and must run once per process,
 * whichever Lua state creates the first client. */
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
    cfg->page_size = 1000;
    cfg->retries = 5;
    cfg->rate_limit = 0; /* no cap until the server states or teaches one */
    cfg->rate_limit_default = 1;
    cfg->concurrency = 10;
    cfg->timeout = 60;
    cfg->connect_timeout = 10;
    cfg->verify_tls = 1;
    cfg->backoff_base = 0.5;
    cfg->backoff_cap = 30;
    cfg->max_wait = 120;
    cfg->deadline = 300;
    cfg->max_body = 64u << 20;
}

void cwa__log(cwa_client *c, cwa_log_level level, const char *fmt, ...)
{
    if (!c->cfg.hooks.log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* lines quote the server's words and libcurl's, and a long one is cut */
    if (n >= (int)sizeof line)
        cwa_scrub_cut(&c->secrets, line);
    else
        cwa_scrub(&c->secrets, line);
    c->cfg.hooks.log(c->cfg.hooks.ud, level, line);
}

/* CR and LF in a header value start a header of their own on the server;
 * the other C0 bytes and DEL have no business in one either. */
static int has_control(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static int check_config(const cwa_config *cfg, cwa_error *err)
{
/* One form for every option: "option 'name': what is wrong (got value)". */
#define BAD(...) (cwa_error_set(err, CWA_E_INVALID_ARGUMENT, __VA_ARGS__), -1)
    if (!cfg->username || !cfg->username[0])
        return BAD("option 'username': required");
    if (has_control(cfg->username))
        return BAD("option 'username': must not hold control characters (CR, LF, tab...)");
    if (has_control(cfg->client_id))
        return BAD("option 'client_id': must not hold control characters (CR, LF, tab...): it is "
                   "sent as a header");
    if (!cfg->password)
        return BAD("option 'password': required");
    if (cfg->page_size < 1 || cfg->page_size > 1000)
        return BAD("option 'page_size': must be between 1 and 1000 (got %d)", cfg->page_size);
    if (cfg->retries < 0 || cfg->retries > 100)
        return BAD("option 'retries': must be between 0 and 100 (got %d)", cfg->retries);
    if (cfg->concurrency < 1 || cfg->concurrency > 64)
        return BAD("option 'concurrency': must be between 1 and 64 (got %d)", cfg->concurrency);
    if (!(cfg->timeout > 0) || cfg->timeout > 86400)
        return BAD("option 'timeout': must be a positive number of seconds up to 86400 (got %g)",
                   cfg->timeout);
    if (!(cfg->connect_timeout > 0) || cfg->connect_timeout > 86400)
        return BAD("option 'connect_timeout': must be a positive number of seconds up to 86400 (got %g)",
                   cfg->connect_timeout);
    if (cfg->rate_limit < 0 || isnan(cfg->rate_limit) || isinf(cfg->rate_limit))
        return BAD("option 'rate_limit': must be a positive number of requests a minute, or false "
                   "(got %g)",
                   cfg->rate_limit);
    if (!(cfg->backoff_base > 0))
        return BAD("option 'backoff_base': must be a positive number of seconds (got %g)",
                   cfg->backoff_base);
    if (!(cfg->backoff_cap >= cfg->backoff_base))
        return BAD("option 'backoff_cap': must not be below backoff_base, %g (got %g)",
                   cfg->backoff_base, cfg->backoff_cap);
    if (!(cfg->max_wait >= 0))
        return BAD("option 'max_wait': must not be negative (got %g)", cfg->max_wait);
    if (!(cfg->deadline >= 0) || cfg->deadline > 1e9)
        return BAD("option 'deadline': must be a positive number of seconds up to 1e9, or none (got %g)",
                   cfg->deadline);
    if (cfg->max_body < 1)
        return BAD("option 'max_body': must be a positive number of bytes (got %zu)", cfg->max_body);
    if (cfg->auth != CWA_AUTH_AUTO && cfg->auth != CWA_AUTH_APITOKEN &&
        cfg->auth != CWA_AUTH_APICREDENTIALS)
        return BAD("option 'auth': must be \"auto\", \"apitoken\" or \"apicredentials\"");
    if (cfg->two_factor_code) {
        const char *p = cfg->two_factor_code;
        size_t n = 0;
        for (; *p; p++)
            if (*p != ' ')
                n++;
        if (n == 0 || n > 16)
            return BAD("option 'two_factor': a code has 1 to 16 characters (got %zu characters)", n);
    }
    if (cfg->proxy) {
        /* the value itself is never repeated: it may hold a password */
        if (has_control(cfg->proxy))
            return BAD("option 'proxy': a URL without control characters, like "
                       "http://proxy.example.com:3128");
        if (strlen(cfg->proxy) > 2048)
            return BAD("option 'proxy': longer than 2048 characters (got %zu)", strlen(cfg->proxy));
    }
    return 0;
#undef BAD
}

/* The proxy libcurl takes from the environment when none is set, in its
 * order: its user info must be hidden as well as that of `proxy`. */
static const char *env_proxy(const cwa_server *server)
{
    static const char *const https_names[] = {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                                              NULL};
    /* libcurl ignores HTTP_PROXY: CGI programs get it from a request header */
    static const char *const http_names[] = {"http_proxy", "all_proxy", "ALL_PROXY", NULL};
    const char *const *names = strcmp(server->scheme, "https") == 0 ? https_names : http_names;
    for (; *names; names++) {
        const char *v = getenv(*names);
        if (v && v[0])
            return v;
    }
    return NULL;
}

/* The secrets every text is scrubbed of from the start; the tokens and the
 * 2FA code join them when a login brings or sends them. */
static int keep_secrets(cwa_client *c, const cwa_config *cfg)
{
    cwa_secrets *s = &c->secrets;
    if (cwa_secrets_set(s, CWA_SECRET_PASSWORD, c->password, strlen(c->password)) != 0)
        return -1;
    if (cfg->totp_secret &&
        cwa_secrets_set(s, CWA_SECRET_TOTP, cfg->totp_secret, strlen(cfg->totp_secret)) != 0)
        return -1;
    return cwa_secrets_set_proxy(s, c->proxy ? c->proxy : env_proxy(&c->server));
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
        cwa_error_set(err, CWA_E_INVALID_ARGUMENT, "option 'totp_secret': not a base32 secret");
        return NULL;
    }

    pthread_once(&curl_once, init_curl);
    cwa_client *c = NULL;
    if (curl_init_result != CURLE_OK)
        cwa_error_set(err, CWA_E_NETWORK, "libcurl could not be initialised");
    else if (!(c = calloc(1, sizeof *c)))
        cwa_error_set(err, CWA_E_NOMEM, "out of memory");
    if (!c) {
        cwa_wipe(key, sizeof key); /* the TOTP key */
        return NULL;
    }
    int failed = 0;
    c->cfg = *cfg;
    c->server = server;
    c->username = cwa_str_dup(cfg->username, &failed);
    c->password = cwa_str_dup(cfg->password, &failed);
    c->two_factor_code = cwa_str_dup(cfg->two_factor_code, &failed);
    c->client_id = cwa_str_dup(cfg->client_id, &failed);
    c->ca_file = cwa_str_dup(cfg->ca_file, &failed);
    c->token_cache = cwa_str_dup(cfg->token_cache, &failed);
    c->proxy = cwa_str_dup(cfg->proxy, &failed);
    /* the caller's strings may go away: only our copies are used */
    c->cfg.server = c->cfg.username = c->cfg.password = NULL;
    c->cfg.two_factor_code = c->cfg.client_id = c->cfg.ca_file = NULL;
    c->cfg.totp_secret = c->cfg.token_cache = c->cfg.proxy = NULL;
    memcpy(c->totp_key, key, keylen);
    c->totp_keylen = keylen;
    cwa_wipe(key, sizeof key);
    c->dialect = cfg->auth;
    c->pid = getpid();
    c->epfd = c->evfd = -1;
    c->multi = curl_multi_init();
    if (failed || !c->multi || cwa__poll_open(c) != 0 || keep_secrets(c, cfg) != 0) {
        cwa_client_free(c);
        cwa_error_set(err, CWA_E_NOMEM, "out of memory");
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)cfg->concurrency + 1);
    c->conc_limit = cfg->concurrency;
    double burst = cfg->burst > 0 ? cfg->burst : cfg->rate_limit;
    cwa_rate_init(&c->rate, cfg->rate_limit, burst, cwa_time_mono());
    cwa_rate_follow_server(&c->rate, cfg->rate_limit_default);
    cwa_rate_cap_pauses(&c->rate, cfg->max_wait);
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

void cwa_client_settings(const cwa_client *c, cwa_config *out)
{
    *out = c->cfg; /* its strings were cleared when the client copied them */
    memset(&out->hooks, 0, sizeof out->hooks);
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
    /* A child's multi handle holds the parent's connections: cleaning it up
     * would end them (TLS close_notify). It is left to the process's end. */
    if (c->multi && !cwa__forked(c))
        curl_multi_cleanup(c->multi);
    cwa__poll_close(c);
    free(c->username);
    cwa_str_wipe_free(&c->password);
    cwa_str_wipe_free(&c->proxy);
    cwa_str_wipe_free(&c->two_factor_code);
    free(c->client_id);
    free(c->ca_file);
    free(c->token_cache);
    cwa_wipe(c->totp_key, sizeof c->totp_key);
    cwa_error_clear(&c->auth_err);
    cwa_secrets_clear(&c->secrets);
    free(c);
}
