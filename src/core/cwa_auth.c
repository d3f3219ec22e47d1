/* Authentication: logins in both dialects (apitoken and the brief's
 * APICredentials), the 2FA exchange, expiry, refresh before expiry and the
 * new login after a refresh fails or a token is rejected. What only a login
 * decides stays here (reading the token, 2FA, the dialect fallback on
 * 404/405, the hints of a refused login); an attempt that failed at the
 * transport or HTTP level is retried or failed by the engine's own path
 * (cwa__attempt_failed), as a data call is. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwa_internal.h"
#include "cwa_str.h"
#include "cwa_time.h"
#include "cwa_totp.h"

enum {
    LOGINS_PER_ROUND = 4,  /* first try, dialect fallback, 2FA, one replay */
    TOKENS_WASTED_MAX = 2, /* one may be bad luck (a long pause), two in a row are not */
    FALLBACK_LIFETIME = 55 * 60,
    DEFAULT_LIFETIME = 3600, /* current servers' token lifetime */
    MAX_PLAUSIBLE_LIFETIME = 24 * 3600,
    TOKEN_MAX = 64 * 1024 /* real tokens take a few KiB; IIS refuses 16 KiB headers */
};

void cwa__auth_free(cwa_client *c)
{
    if (c->auth_req) {
        cwa_req *r = c->auth_req;
        c->auth_req = NULL;
        cwa_req_free(r);
    }
    cwa_str_wipe_free(&c->token);
    cwa_str_wipe_free(&c->refresh_token);
}

void cwa__auth_reset_failure(cwa_client *c)
{
    c->auth_failed = 0;
    c->logins_this_round = 0;
    c->tokens_wasted = 0;
    cwa_error_clear(&c->auth_err);
}

void cwa__auth_abandon(cwa_client *c)
{
    cwa_req *r = c->auth_req;
    if (!r || r->kind != KIND_LOGIN || r->state != REQ_QUEUED)
        return;
    c->auth_req = NULL;
    cwa_req_free(r);
    c->logins_this_round = 0;
}

static void auth_fail(cwa_client *c, cwa_req *r, cwa_code code, const char *fmt, const char *detail)
{
    cwa_error_clear(&c->auth_err);
    c->auth_err.code = code;
    c->auth_err.status = r ? r->status : 0;
    c->auth_err.attempts = r ? r->attempts : 0;
    snprintf(c->auth_err.method, sizeof c->auth_err.method, "POST");
    if (r && r->url.data)
        snprintf(c->auth_err.url, sizeof c->auth_err.url, "%s", r->url.data);
    snprintf(c->auth_err.message, sizeof c->auth_err.message, fmt, detail ? detail : "");
    cwa__scrub_error(c, &c->auth_err);
    c->auth_failed = 1;
    cwa__log(c, CWA_LOG_INFO, "%s", c->auth_err.message);
}

static cwa_auth_mode login_dialect(const cwa_client *c)
{
    return c->dialect == CWA_AUTH_APICREDENTIALS ? CWA_AUTH_APICREDENTIALS : CWA_AUTH_APITOKEN;
}

/* The token ends with its session (AbsoluteExpirationDate): a refresh
 * would bring no more time (servers refuse it past that end), only a new
 * login does. */
static int last_of_session(const cwa_client *c)
{
    return c->token_absolute > 0 && c->token_expires >= c->token_absolute - 1;
}

/* A code from the fixed value or the TOTP secret: what can be sent with the
 * first login without asking anybody. */
static int ready_code(cwa_client *c, char *out, size_t cap)
{
    if (c->two_factor_code) {
        size_t j = 0;
        for (const char *p = c->two_factor_code; *p && j + 1 < cap; p++)
            if (*p != ' ')
                out[j++] = *p;
        out[j] = '\0';
        return 1;
    }
    if (c->totp_keylen)
        return cwa_totp_code(c->totp_key, c->totp_keylen, cwa_time_now(), 30, 6, out, cap) == 0;
    return 0;
}

static cwa_req *new_auth_req(cwa_client *c, req_kind kind, const char *path, char *body)
{
    cwa_req *r = cwa__req_alloc(c, CWA_POST, kind);
    if (!r || cwa_buf_puts(&r->url, c->server.base) != 0 || cwa_buf_puts(&r->url, path) != 0) {
        cwa_req_free(r);
        return NULL;
    }
    r->body = body;
    r->bodylen = strlen(body);
    return r;
}

/* The text of a request body: a JSON string or an object of strings. cJSON
 * copies strings, so its copies of the password, the code or the token are
 * wiped before they are freed. */
static char *print_and_wipe(cJSON *v)
{
    char *text = v ? cJSON_PrintUnformatted(v) : NULL;
    if (cJSON_IsString(v))
        cwa_wipe(v->valuestring, strlen(v->valuestring));
    for (const cJSON *m = v ? v->child : NULL; m; m = m->next)
        if (cJSON_IsString(m))
            cwa_wipe(m->valuestring, strlen(m->valuestring));
    cJSON_Delete(v);
    return text;
}

static int start_login(cwa_client *c, const char *code)
{
    if (++c->logins_this_round > LOGINS_PER_ROUND) {
        auth_fail(c, NULL, CWA_E_UNAUTHORIZED, "too many login attempts in a row%s", NULL);
        return -1;
    }
    int apitoken = login_dialect(c) == CWA_AUTH_APITOKEN;
    cJSON *obj = cJSON_CreateObject();
    if (obj) {
        cJSON_AddStringToObject(obj, apitoken ? "UserName" : "Username", c->username);
        cJSON_AddStringToObject(obj, "Password", c->password);
        if (code && code[0])
            cJSON_AddStringToObject(obj, apitoken ? "TwoFactorPasscode" : "TwoFactorCode", code);
    }
    char *body = print_and_wipe(obj);
    cwa_req *r =
        body ? new_auth_req(c, KIND_LOGIN, apitoken ? "/apitoken" : "/APICredentials", body) : NULL;
    /* the code is a secret until this login brings a token (a 403 may echo it) */
    if (r && cwa_secrets_set(&c->secrets, CWA_SECRET_CODE, code, code ? strlen(code) : 0) != 0) {
        cwa_req_free(r);
        r = NULL;
        body = NULL; /* freed with r */
    }
    if (!r) {
        cwa_str_wipe_free(&body);
        auth_fail(c, NULL, CWA_E_NOMEM, "out of memory%s", NULL);
        return -1;
    }
    c->auth_sent_code = code && code[0];
    c->auth_req = r;
    cwa__enqueue(c, r);
    cwa__log(c, CWA_LOG_DEBUG, "logging in as %s (%s%s)", c->username,
             apitoken ? "apitoken" : "APICredentials", c->auth_sent_code ? ", with a 2FA code" : "");
    return 0;
}

static int start_refresh(cwa_client *c)
{
    char *body = NULL;
    const char *path;
    if (login_dialect(c) == CWA_AUTH_APITOKEN) {
        /* the body is the access token itself, as a JSON string */
        body = print_and_wipe(cJSON_CreateString(c->token));
        path = "/apitoken/refresh";
    } else {
        if (!c->refresh_token)
            return start_login(c, NULL);
        cJSON *obj = cJSON_CreateObject();
        if (obj)
            cJSON_AddStringToObject(obj, "RefreshToken", c->refresh_token);
        body = print_and_wipe(obj);
        path = "/APICredentials/Refresh";
    }
    cwa_req *r = body ? new_auth_req(c, KIND_REFRESH, path, body) : NULL;
    if (!r) {
        cwa_str_wipe_free(&body);
        return start_login(c, NULL);
    }
    c->auth_req = r;
    cwa__enqueue(c, r);
    cwa__log(c, CWA_LOG_DEBUG, "refreshing the token before it expires");
    return 0;
}

static const char stale_code_text[] =
    "the session's absolute expiry (AbsoluteExpirationDate) passed and the server asks for a "
    "two-factor code again: the fixed two_factor code served that session; give a new code, a "
    "function or totp_secret%s";

static int start_first_login(cwa_client *c)
{
    c->session_ended =
        c->token_absolute > 0 && (last_of_session(c) || cwa_time_now() >= c->token_absolute);
    if (c->fixed_code_stale) {
        /* a fixed code is single-use in spirit: refused once, it stays refused */
        auth_fail(c, NULL, CWA_E_TWO_FACTOR_REQUIRED, stale_code_text, NULL);
        return -1;
    }
    char code[16] = "";
    int have = ready_code(c, code, sizeof code);
    int rc = start_login(c, have ? code : NULL);
    cwa_wipe(code, sizeof code);
    return rc;
}

double cwa__token_use_end(double expires, double refresh_at)
{
    /* a token this close to its end could expire on the way; the margin
     * is kept small so that 2-second tokens stay usable */
    double margin = (expires - refresh_at) / 5;
    return expires - (margin > 2 ? 2 : margin);
}

/* Only a token the rate limit outran proves anything: one that ran out
 * unused with a request slot in its time (its caller paused, no call was
 * waiting, the consumer was busy, a later 429 held the calls) says nothing
 * about the next one. */
int cwa__outrun_streak(int streak, double slack, int used)
{
    return slack < 0 && !used ? streak + 1 : 0;
}

/* The tokens ran out while the calls waited for a request slot: a token
 * shorter than the rate limit's pace (2 s tokens at one request every
 * 3 s) or than the server's pauses can never carry a call. */
static void expire_faster_than_calls(cwa_client *c)
{
    char why[160];
    if (c->rate.enabled && c->rate.rate_per_sec > 0)
        snprintf(why, sizeof why, "the rate limit allows one request every %.1f s, burst %g",
                 1 / c->rate.rate_per_sec, c->rate.burst);
    else
        snprintf(why, sizeof why, "the server's pauses outlast a token");
    char text[400];
    snprintf(text, sizeof text,
             "tokens expire faster than the rate limit allows a call: %d logins in a row got a token "
             "that ran out before a call could use it (%s); raise rate_limit or burst, or have the "
             "server issue longer-lived tokens",
             c->tokens_wasted, why);
    auth_fail(c, NULL, CWA_E_UNAUTHORIZED, "%s", text);
}

int cwa__auth_ready(cwa_client *c)
{
    if (c->auth_failed)
        return -1;
    double now = cwa_time_now();
    if (c->token && now < c->refresh_at)
        return 1;
    if (c->token && now < cwa__token_use_end(c->token_expires, c->refresh_at)) {
        /* Still valid: refresh in the background and keep working. Under a
         * rate limit a refresh takes a slot from the calls, so it goes only
         * when a slot is spare; if none is before the token runs out, the
         * next call logs in first (one slot either way, and the calls never
         * starve behind refreshes of short-lived tokens). */
        if (!c->auth_req && !last_of_session(c) && cwa_rate_spare(&c->rate, cwa_time_mono()) >= 2 &&
            start_refresh(c) != 0)
            return -1;
        return 1;
    }
    if (c->token) {
        c->tokens_wasted = cwa__outrun_streak(c->tokens_wasted, c->token_slack, c->token_used);
        if (c->tokens_wasted >= TOKENS_WASTED_MAX) {
            /* Logging in again would only repeat it: a livelock, not a wait */
            cwa_str_wipe_free(&c->token);
            expire_faster_than_calls(c);
            return -1;
        }
    }
    cwa_str_wipe_free(&c->token);
    if (c->auth_req && c->auth_req->kind == KIND_REFRESH && c->auth_req->state == REQ_QUEUED) {
        /* the token ran out before its refresh could go: the refresh would
         * only be refused, log in instead */
        cwa_req_free(c->auth_req);
        c->auth_req = NULL;
    }
    if (!c->auth_req && start_first_login(c) != 0)
        return -1;
    return 0;
}

void cwa__auth_rejected(cwa_client *c, unsigned gen)
{
    if (c->token && gen == c->token_gen) {
        cwa__log(c, CWA_LOG_INFO, "the server rejected the token; logging in again");
        cwa_str_wipe_free(&c->token);
    }
}

static double lifetime_from(cwa_client *c, const cJSON *root, const cwa_headers *h)
{
    double now = cwa_time_now();
    const cJSON *in = cwa_json_get(root, "ExpiresIn");
    if (cJSON_IsNumber(in) && in->valuedouble > 0)
        return in->valuedouble;
    const cJSON *exp = cwa_json_get(root, "ExpirationDate");
    double at;
    int has_zone = 0;
    if (cJSON_IsString(exp) &&
        cwa_time_parse_iso(exp->valuestring, strlen(exp->valuestring), &at, &has_zone) == 0) {
        /* Without a zone the date is in the server's local time, any zone
         * from UTC-12 to UTC+14, measured here against the server's UTC
         * Date header: a zone east of UTC would stretch it by hours. So it
         * never means more than the default lifetime from when the server
         * answered (Date, truncated to the second, is never later). */
        double base = has_zone ? now : (h->has_date ? h->date : now);
        double life = at - base;
        if (!has_zone && life > DEFAULT_LIFETIME - (now - base))
            life = DEFAULT_LIFETIME - (now - base);
        if (life > 0 && life <= MAX_PLAUSIBLE_LIFETIME)
            return life;
        cwa__log(c, CWA_LOG_INFO, "token expiry %s is implausible here; assuming 55 minutes",
                 exp->valuestring);
    }
    return FALLBACK_LIFETIME;
}

/* The session's end (wall clock) from AbsoluteExpirationDate, 0 when not
 * told. Its distance from ExpirationDate is the same in any zone, so an
 * offset-less pair needs no guess of the server's zone; it is counted from
 * `expires`, which is never later than the server's expiry. */
static double absolute_from(const cJSON *root, double expires)
{
    const cJSON *abs = cwa_json_get(root, "AbsoluteExpirationDate");
    const cJSON *exp = cwa_json_get(root, "ExpirationDate");
    double abs_at, exp_at;
    int abs_zone = 0, exp_zone = 0;
    if (!cJSON_IsString(abs) ||
        cwa_time_parse_iso(abs->valuestring, strlen(abs->valuestring), &abs_at, &abs_zone) != 0)
        return 0;
    if (cJSON_IsString(exp) &&
        cwa_time_parse_iso(exp->valuestring, strlen(exp->valuestring), &exp_at, &exp_zone) == 0 &&
        exp_zone == abs_zone)
        return abs_at >= exp_at ? expires + (abs_at - exp_at) : expires;
    return abs_zone ? abs_at : 0;
}

/* Why a token from the server cannot go into an Authorization header, or
 * NULL: a CR or LF in it would add header lines of the server's choosing. */
static const char *token_fault(const char *token)
{
    size_t n = 0;
    for (; token[n]; n++)
        if ((unsigned char)token[n] < 0x20 || token[n] == 0x7f)
            return "holds control characters";
    return n > TOKEN_MAX ? "is too large (more than 64 KiB)" : NULL;
}

static void take_token(cwa_client *c, cwa_req *r, const cJSON *root, const char *token)
{
    const char *fault = token_fault(token);
    if (fault) {
        auth_fail(c, r, CWA_E_INVALID_RESPONSE, "the server's AccessToken %s", fault);
        return;
    }
    int failed = 0;
    char *copy = cwa_str_dup(token, &failed);
    const char *rt = cwa_json_string(root, "RefreshToken");
    /* a token that could not be hidden in texts is not used */
    if (failed || cwa_secrets_set(&c->secrets, CWA_SECRET_TOKEN, token, strlen(token)) != 0 ||
        (rt && cwa_secrets_set(&c->secrets, CWA_SECRET_REFRESH, rt, strlen(rt)) != 0)) {
        cwa_str_wipe_free(&copy);
        auth_fail(c, r, CWA_E_NOMEM, "out of memory%s", NULL);
        return;
    }
    /* only the login exchange carries the code: 6 digits are no longer
     * hidden in every text once it is over */
    cwa_secrets_set(&c->secrets, CWA_SECRET_CODE, NULL, 0);
    cwa_str_wipe_free(&c->token);
    c->token = copy;
    c->token_gen++;
    c->token_used = 0;
    if (rt) {
        /* without memory for it, the next refresh is a login */
        cwa_str_wipe_free(&c->refresh_token);
        c->refresh_token = cwa_str_dup(rt, NULL);
    }
    double life = lifetime_from(c, root, &r->hdr);
    double now = cwa_time_now();
    /* The lifetime runs from when the server answered, some time after the
     * request went out: counted from then, a loaded client (the answer
     * read late) or a slow network never takes the token for longer-lived
     * than it is, and never sends it past its end. */
    double sent = now - (cwa_time_mono() - r->started);
    c->token_expires = sent + life;
    c->token_absolute = absolute_from(root, c->token_expires);
    c->session_ended = 0;
    c->refresh_at = c->token_expires - (life / 2 < 300 ? life / 2 : 300);
    /* the limiter has counted this answer: its wait now is the first call's */
    c->token_slack = cwa__token_use_end(c->token_expires, c->refresh_at) - now -
                     cwa_rate_peek(&c->rate, cwa_time_mono());
    c->logins_this_round = 0;
    if (c->dialect == CWA_AUTH_AUTO)
        c->dialect = CWA_AUTH_APITOKEN;
    cwa__log(c, CWA_LOG_DEBUG, "token valid for %.0fs", life);
    cwa__token_cache_store(c);
}

static int asks_two_factor(const cJSON *root)
{
    if (cJSON_IsTrue(cwa_json_get(root, "IsTwoFactorRequired")))
        return 1;
    const cJSON *err = cwa_json_get(root, "error");
    const char *code = cwa_json_string(cJSON_IsObject(err) ? err : root, "code");
    return code && strcasecmp(code, "TwoFactorRequired") == 0;
}

/* 1 when the login just refused carried the fixed code after the
 * session's absolute end: the code is then held stale. */
static int stale_fixed_code(cwa_client *c)
{
    if (!c->session_ended || !c->two_factor_code || !c->auth_sent_code)
        return 0;
    c->fixed_code_stale = 1;
    return 1;
}

static void two_factor_needed(cwa_client *c, cwa_req *r)
{
    if (c->auth_sent_code && stale_fixed_code(c)) {
        auth_fail(c, r, CWA_E_TWO_FACTOR_REQUIRED, stale_code_text, NULL);
        return;
    }
    if (c->auth_sent_code) {
        auth_fail(c, r, CWA_E_UNAUTHORIZED, "the two-factor code was not accepted%s", NULL);
        return;
    }
    char code[32] = "";
    char msg[256] = "";
    int have = ready_code(c, code, sizeof code);
    if (!have && c->cfg.two_factor_hook && c->cfg.hooks.two_factor)
        have =
            c->cfg.hooks.two_factor(c->cfg.hooks.ud, code, sizeof code, msg, sizeof msg) == 0 && code[0];
    if (!have) {
        auth_fail(c, r, CWA_E_TWO_FACTOR_REQUIRED,
                  "the server asks for a two-factor code: set two_factor (a code or a function) "
                  "or totp_secret%s",
                  msg[0] ? msg : NULL);
        return;
    }
    start_login(c, code);
    cwa_wipe(code, sizeof code);
}

/* The engine's retries are spent or do not apply: r->err says why. */
static void login_failed(cwa_client *c, cwa_req *r, CURLcode rc)
{
    long status = r->status;
    if (rc != CURLE_OK) {
        auth_fail(c, r, r->err.code, "%s", r->err.message);
        return;
    }
    int credentials = status == 400 || status == 401 || status == 403;
    if (credentials && stale_fixed_code(c)) {
        auth_fail(c, r, CWA_E_TWO_FACTOR_REQUIRED, stale_code_text, NULL);
        return;
    }
    char text[900];
    snprintf(text, sizeof text, "%s%s%s", r->err.message,
             credentials ? " (check the username and password)" : "",
             credentials && login_dialect(c) == CWA_AUTH_APITOKEN && !c->client_id
                 ? "; the server probably needs a ClientId (set client_id)"
                 : "");
    auth_fail(c, r, credentials ? CWA_E_UNAUTHORIZED : r->err.code, "login failed: %s", text);
    free(c->auth_err.details);
    c->auth_err.details = r->err.details;
    r->err.details = NULL;
}

static void login_done(cwa_client *c, cwa_req *r, CURLcode rc)
{
    long status = r->status;
    cJSON *root = r->resp.len ? cJSON_ParseWithLength(r->resp.data, r->resp.len) : NULL;

    if (rc == CURLE_OK && status >= 200 && status < 300) {
        const char *tok = cwa_json_string(root, "AccessToken");
        if (tok)
            take_token(c, r, root, tok);
        else if (root && asks_two_factor(root))
            two_factor_needed(c, r);
        else if (root)
            auth_fail(c, r, CWA_E_INVALID_RESPONSE, "the login answer carries no AccessToken%s", NULL);
        else {
            cwa_error e = {0};
            e.code = CWA_E_INVALID_RESPONSE;
            cwa__error_from_body(&e, r); /* names an HTML page and shows its start */
            auth_fail(c, r, CWA_E_INVALID_RESPONSE, "the login answer is not JSON: %s", e.message);
            cwa_error_clear(&e);
        }
    } else if (rc == CURLE_OK && (status == 404 || status == 405) && c->dialect == CWA_AUTH_AUTO) {
        cwa__log(c, CWA_LOG_INFO, "no /apitoken here (HTTP %ld); trying /APICredentials", status);
        c->dialect = CWA_AUTH_APICREDENTIALS;
        start_first_login(c);
    } else if (rc == CURLE_OK && status == 401 && root && asks_two_factor(root)) {
        /* a server that asks for a code has this route: only a 404 or 405
         * says the dialect is the other one */
        two_factor_needed(c, r);
    } else if (!cwa__attempt_failed(c, r, rc, 1)) {
        /* (a login creates nothing on the server: always safe to repeat) */
        login_failed(c, r, rc);
    }
    cJSON_Delete(root);
}

static void refresh_done(cwa_client *c, cwa_req *r, CURLcode rc)
{
    cJSON *root = r->resp.len ? cJSON_ParseWithLength(r->resp.data, r->resp.len) : NULL;
    const char *tok = cwa_json_string(root, "AccessToken");
    if (rc == CURLE_OK && r->status >= 200 && r->status < 300 && tok) {
        take_token(c, r, root, tok);
    } else {
        cwa__log(c, CWA_LOG_INFO, "token refresh failed (HTTP %ld); logging in again", r->status);
        cwa_str_wipe_free(&c->token);
        start_first_login(c);
    }
    cJSON_Delete(root);
}

void cwa__auth_complete(cwa_client *c, cwa_req *r, CURLcode rc)
{
    cwa__transfer_release(c, r);
    if (c->auth_req == r)
        c->auth_req = NULL;
    if (r->kind == KIND_LOGIN)
        login_done(c, r, rc);
    else
        refresh_done(c, r, rc);
    if (r->state == REQ_QUEUED) {
        /* scheduled again (retry): it stays the auth request */
        c->auth_req = r;
        return;
    }
    cwa__finish(c, r);
    cwa_req_free(r);
}

/* 1 when the login cwa_client_token waits for cannot be had by `end`
 * (monotonic): err then says so. */
static int login_past(cwa_client *c, double started, double end, cwa_error *err)
{
    double now = cwa_time_mono();
    const cwa_req *a = c->auth_req;
    const char *what =
        a && a->state == REQ_FLIGHT ? "the answer to the login" : "the login's next attempt";
    double start = now;
    if (a && a->state == REQ_QUEUED) {
        if (a->not_before > now)
            start = a->not_before;
        double rate_wait = cwa_rate_peek(&c->rate, now);
        if (now + rate_wait > start) {
            start = now + rate_wait;
            what = "the rate limit";
        }
    }
    if (end <= 0 || (start < end && now < end))
        return 0;
    cwa__deadline_error(c, err, a ? a->attempts : 0, now - started, start - now, what, a);
    cwa__auth_abandon(c);
    return 1;
}

int cwa_client_token_try(cwa_client *c, double started, const char **token, double *expires,
                         cwa_error *err)
{
    *token = NULL;
    *expires = 0;
    int ready = cwa__auth_ready(c);
    if (ready < 0) {
        cwa_error_move(err, &c->auth_err);
        cwa__auth_reset_failure(c);
        return -1;
    }
    if (ready == 0) {
        double end = c->cfg.deadline > 0 ? started + c->cfg.deadline : 0;
        return login_past(c, started, end, err) ? -1 : 0;
    }
    /* the caller carries it: a token that then runs out was no livelock */
    c->token_used = 1;
    c->tokens_wasted = 0;
    *token = c->token;
    *expires = c->token_expires;
    return 1;
}

int cwa_client_token(cwa_client *c, const char **token, double *expires, cwa_error *err)
{
    double started = cwa_time_mono();
    for (;;) {
        int rc = cwa_client_token_try(c, started, token, expires, err);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
        if (cwa__step(c, 1.0, err) < 0)
            return -1;
        if (c->cfg.hooks.aborted && c->cfg.hooks.aborted(c->cfg.hooks.ud)) {
            cwa_error_set(err, CWA_E_CANCELLED, "interrupted by an error in a callback");
            return -1;
        }
    }
}

const char *cwa_client_dialect(const cwa_client *c)
{
    if (!c->token && c->dialect == CWA_AUTH_AUTO)
        return NULL;
    return login_dialect(c) == CWA_AUTH_APICREDENTIALS ? "apicredentials" : "apitoken";
}

/* POST /apitoken/Disable {SecurityToken}: 0 when the server revoked the
 * token or refuses it already (401), else -1 with err. */
static int revoke(cwa_client *c, cwa_error *err)
{
    cJSON *obj = cJSON_CreateObject();
    if (obj)
        cJSON_AddStringToObject(obj, "SecurityToken", c->token);
    char *body = print_and_wipe(obj);
    if (!body) {
        cwa_error_set(err, CWA_E_NOMEM, "out of memory");
        return -1;
    }
    static const char path[] = "/apitoken/Disable";
    cwa_req *r = cwa_req_new(c, CWA_POST, path, sizeof path - 1, body, strlen(body), err);
    cwa_str_wipe_free(&body);
    if (!r)
        return -1;
    /* a 401 says the token is gone already: logging in again only to
     * revoke the new token would be a wasted login */
    r->replayed = 1;
    /* a token about to be revoked is not worth refreshing meanwhile */
    c->refresh_at = c->token_expires;
    int rc = cwa_client_run(c, r, -1, err);
    if (rc == 1 && r->err.code != CWA_OK && r->status != 401) {
        cwa_error_move(err, &r->err);
        size_t n = strlen(err->message);
        snprintf(err->message + n, sizeof err->message - n,
                 " (logout: the token is forgotten here, but the server may accept it until it "
                 "expires)");
        rc = -1;
    }
    cwa_req_free(r);
    return rc < 0 ? -1 : 0;
}

int cwa_client_logout(cwa_client *c, cwa_error *err)
{
    /* a login or refresh under way would bring a token nobody revokes */
    while (c->auth_req && c->auth_req->state == REQ_FLIGHT)
        if (cwa__step(c, 1.0, err) < 0)
            return -1;
    if (c->auth_req) {
        cwa_req *q = c->auth_req;
        c->auth_req = NULL;
        cwa_req_free(q);
    }
    cwa__auth_reset_failure(c);
    if (!c->token)
        return 0;
    cwa__token_cache_forget(c, c->token);
    int rc = 0;
    /* the brief's APICredentials has no revocation; an expired token needs none */
    if (login_dialect(c) == CWA_AUTH_APITOKEN && cwa_time_now() < c->token_expires)
        rc = revoke(c, err);
    cwa_str_wipe_free(&c->token);
    cwa_str_wipe_free(&c->refresh_token);
    c->token_absolute = 0;
    cwa__log(c, CWA_LOG_INFO, "logged out%s", rc == 0 ? "" : " (the server did not revoke the token)");
    return rc;
}
