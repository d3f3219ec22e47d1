#include "auth.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util.h"

#define DAY_MS (86400LL * 1000)

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sim_auth_init(sim_auth *a, const sim_opts *o)
{
    memset(a, 0, sizeof *a);
    a->opts = o;
    return pthread_mutex_init(&a->mu, NULL) == 0 ? 0 : -1;
}

void sim_auth_free(sim_auth *a)
{
    if (a->t)
        OPENSSL_cleanse(a->t, a->cap * sizeof *a->t);
    free(a->t);
    pthread_mutex_destroy(&a->mu);
}

static int random_token(char *out, size_t cap, const char *prefix)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[48];
    size_t plen = strlen(prefix);
    if (RAND_bytes(raw, sizeof raw) != 1 || cap < plen + sizeof raw + 1)
        return -1;
    memcpy(out, prefix, plen);
    for (size_t i = 0; i < sizeof raw; i++)
        out[plen + i] = alphabet[raw[i] & 63];
    out[plen + sizeof raw] = '\0';
    return 0;
}

static int base32_value(char c)
{
    c = (char)toupper((unsigned char)c);
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

long sim_totp(const char *base32, long long t)
{
    unsigned char key[128];
    size_t klen = 0;
    unsigned bits = 0, acc = 0;
    for (const char *p = base32; *p; p++) {
        if (*p == '=' || *p == ' ' || *p == '-')
            continue;
        int v = base32_value(*p);
        if (v < 0)
            return -1;
        acc = (acc << 5) | (unsigned)v;
        bits += 5;
        if (bits >= 8) {
            if (klen == sizeof key)
                return -1;
            key[klen++] = (unsigned char)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    if (klen == 0)
        return -1;
    unsigned long long step = (unsigned long long)(t / 30);
    unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned maclen = 0;
    for (int i = 7; i >= 0; i--, step >>= 8)
        msg[i] = (unsigned char)(step & 255);
    if (!HMAC(EVP_sha1(), key, (int)klen, msg, sizeof msg, mac, &maclen) || maclen < 20)
        return -1;
    unsigned off = mac[maclen - 1] & 15;
    unsigned long code = ((unsigned long)(mac[off] & 0x7f) << 24) | ((unsigned long)mac[off + 1] << 16) |
                         ((unsigned long)mac[off + 2] << 8) | mac[off + 3];
    OPENSSL_cleanse(key, sizeof key);
    return (long)(code % 1000000);
}

static int code_ok(const sim_auth *a, const sim_user *u, const char *code)
{
    if (u->code && strcmp(u->code, code) == 0)
        return 1;
    if (!a->opts->totp_secret)
        return 0;
    long given;
    if (strlen(code) != 6 || sim_parse_long(code, &given) != 0)
        return 0;
    long long now = wall_ms() / 1000;
    for (int d = -1; d <= 1; d++)
        if (sim_totp(a->opts->totp_secret, now + d * 30) == given)
            return 1;
    return 0;
}

/* Drops tokens nobody can use any more; called with the mutex held. */
static void prune(sim_auth *a, long long now)
{
    size_t w = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->t[i].expires_ms > now || a->t[i].refresh_ms > now)
            a->t[w++] = a->t[i];
    a->n = w;
}

/* Issues a token for user; absolute_ms 0 starts a new session. */
static int issue(sim_auth *a, size_t user, long long absolute_ms, sim_token *out)
{
    long long now = wall_ms();
    long long ttl = (long long)a->opts->token_ttl * 1000;
    sim_token t;
    memset(&t, 0, sizeof t);
    if (random_token(t.access, sizeof t.access, "eyJ") != 0 ||
        random_token(t.refresh, sizeof t.refresh, "rt_") != 0)
        return -1;
    t.user = user;
    t.absolute_ms = absolute_ms ? absolute_ms : now + (long long)a->opts->token_absolute * 1000;
    t.expires_ms = now + ttl < t.absolute_ms ? now + ttl : t.absolute_ms;
    t.refresh_ms = now + (2 * ttl > DAY_MS ? 2 * ttl : DAY_MS);
    pthread_mutex_lock(&a->mu);
    prune(a, now);
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        sim_token *v = realloc(a->t, cap * sizeof *v);
        if (!v) {
            pthread_mutex_unlock(&a->mu);
            return -1;
        }
        a->t = v;
        a->cap = cap;
    }
    a->t[a->n++] = t;
    pthread_mutex_unlock(&a->mu);
    *out = t;
    return 0;
}

static void iso_ms(const sim_opts *o, long long ms, char out[20])
{
    sim_iso((time_t)(ms / 1000 + o->tz_offset), out);
}

static void token_answer(const sim_auth *a, const sim_token *t, sim_resp *out)
{
    const sim_user *u = &a->opts->users[t->user];
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    if (a->opts->dialect == CWA_DIALECT_APICREDENTIALS) {
        ok = ok && cJSON_AddStringToObject(o, "AccessToken", t->access) &&
             cJSON_AddStringToObject(o, "TokenType", "Bearer") &&
             cJSON_AddNumberToObject(o, "ExpiresIn", (double)a->opts->token_ttl) &&
             cJSON_AddStringToObject(o, "RefreshToken", t->refresh) &&
             cJSON_AddNumberToObject(o, "UserID", (double)(t->user + 1)) &&
             cJSON_AddStringToObject(o, "Username", u->name);
    } else {
        char exp[20], absd[20], uid[24];
        iso_ms(a->opts, t->expires_ms, exp);
        iso_ms(a->opts, t->absolute_ms, absd);
        snprintf(uid, sizeof uid, "%zu", t->user + 1);
        ok = ok && cJSON_AddStringToObject(o, "AccessToken", t->access) &&
             cJSON_AddStringToObject(o, "TokenType", "Bearer") &&
             cJSON_AddStringToObject(o, "ExpirationDate", exp) &&
             cJSON_AddStringToObject(o, "AbsoluteExpirationDate", absd) &&
             cJSON_AddStringToObject(o, "UserId", uid) &&
             cJSON_AddStringToObject(o, "InternalUserName", u->name) &&
             cJSON_AddFalseToObject(o, "IsTwoFactorRequired") &&
             cJSON_AddFalseToObject(o, "IsInternalTwoFactorRequired") &&
             cJSON_AddNullToObject(o, "SSOAccessToken");
    }
    if (!ok) {
        cJSON_Delete(o);
        sim_error(out, a->opts->dialect, 500, "ServerError", "out of memory", NULL, NULL);
        return;
    }
    sim_resp_take(out, 200, o);
}

static void two_factor_prompt(const sim_auth *a, size_t user, sim_resp *out)
{
    cJSON *o = cJSON_CreateObject();
    char uid[24];
    snprintf(uid, sizeof uid, "%zu", user + 1);
    if (!o || !cJSON_AddNullToObject(o, "AccessToken") || !cJSON_AddNullToObject(o, "TokenType") ||
        !cJSON_AddNullToObject(o, "ExpirationDate") ||
        !cJSON_AddNullToObject(o, "AbsoluteExpirationDate") ||
        !cJSON_AddStringToObject(o, "UserId", uid) ||
        !cJSON_AddStringToObject(o, "InternalUserName", a->opts->users[user].name) ||
        !cJSON_AddTrueToObject(o, "IsTwoFactorRequired") ||
        !cJSON_AddFalseToObject(o, "IsInternalTwoFactorRequired") ||
        !cJSON_AddNullToObject(o, "SSOAccessToken")) {
        cJSON_Delete(o);
        sim_error(out, a->opts->dialect, 500, "ServerError", "out of memory", NULL, NULL);
        return;
    }
    sim_resp_take(out, 200, o);
}

static const char *string_field(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, name); /* any casing */
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void sim_auth_login(sim_auth *a, sim_stats *st, const char *body, size_t len, sim_resp *out)
{
    cwa_dialect d = a->opts->dialect;
    int apitoken = d != CWA_DIALECT_APICREDENTIALS;
    sim_stats_count(st, SIM_STAT_LOGIN);
    cJSON *o = cJSON_ParseWithLength(body ? body : "", len);
    const char *name = o ? string_field(o, "Username") : NULL;
    const char *pass = o ? string_field(o, "Password") : NULL;
    const char *code = o ? string_field(o, apitoken ? "TwoFactorPasscode" : "TwoFactorCode") : NULL;
    if (!cJSON_IsObject(o) || !name || !pass) {
        sim_stats_count(st, SIM_STAT_LOGIN_FAILURE);
        sim_error_invalid(out, d, o ? "Username" : "credentials", NULL,
                          o ? "Username and Password are required." : "The body is not a JSON object.");
        cJSON_Delete(o);
        return;
    }
    size_t user = a->opts->nusers;
    for (size_t i = 0; i < a->opts->nusers; i++)
        if (sim_strieq(a->opts->users[i].name, name) && strcmp(a->opts->users[i].password, pass) == 0)
            user = i;
    if (user == a->opts->nusers) {
        sim_stats_count(st, SIM_STAT_LOGIN_FAILURE);
        sim_error(out, d, 401, "Unauthorized", "Invalid username or password.", NULL, NULL);
        cJSON_Delete(o);
        return;
    }
    const sim_user *u = &a->opts->users[user];
    int needs_code = u->code != NULL;
    if (needs_code && (!code || !*code)) {
        sim_stats_count(st, SIM_STAT_TWO_FACTOR);
        if (apitoken)
            two_factor_prompt(a, user, out);
        else
            sim_error(out, d, 401, "TwoFactorRequired",
                      "Two-factor authentication is required: send TwoFactorCode.", NULL, NULL);
        cJSON_Delete(o);
        return;
    }
    if (needs_code) {
        char trimmed[32];
        size_t n = 0;
        for (const char *p = code; *p && n + 1 < sizeof trimmed; p++)
            if (*p != ' ')
                trimmed[n++] = *p;
        trimmed[n] = '\0';
        if (!code_ok(a, u, trimmed)) {
            sim_stats_count(st, SIM_STAT_LOGIN_FAILURE);
            sim_error(out, d, 401, apitoken ? "Unauthorized" : "InvalidTwoFactorCode",
                      "The two-factor passcode is not valid.", NULL, NULL);
            cJSON_Delete(o);
            return;
        }
    }
    cJSON_Delete(o);
    sim_token t;
    if (issue(a, user, 0, &t) != 0) {
        sim_error(out, d, 500, "ServerError", "could not issue a token", NULL, NULL);
        return;
    }
    token_answer(a, &t, out);
    OPENSSL_cleanse(&t, sizeof t);
}

void sim_auth_refresh(sim_auth *a, sim_stats *st, const char *body, size_t len, sim_resp *out)
{
    cwa_dialect d = a->opts->dialect;
    int apitoken = d != CWA_DIALECT_APICREDENTIALS;
    sim_stats_count(st, SIM_STAT_REFRESH);
    cJSON *o = cJSON_ParseWithLength(body ? body : "", len);
    const char *given = NULL;
    if (apitoken && cJSON_IsString(o))
        given = o->valuestring;
    else if (!apitoken && cJSON_IsObject(o))
        given = string_field(o, "RefreshToken");
    if (!given) {
        sim_error_invalid(out, d, apitoken ? "tokentext" : "RefreshToken", NULL,
                          apitoken ? "The body must be the access token as a JSON string."
                                   : "RefreshToken is required.");
        cJSON_Delete(o);
        return;
    }
    long long now = wall_ms();
    size_t user = 0;
    long long absolute = 0;
    int found = 0;
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < a->n && !found; i++) {
        sim_token *t = &a->t[i];
        if (apitoken && strcmp(t->access, given) == 0 && t->expires_ms > now) {
            found = 1;
        } else if (!apitoken && t->refresh[0] && strcmp(t->refresh, given) == 0 && t->refresh_ms > now) {
            found = 1;
            t->refresh[0] = '\0'; /* rotated: each refresh token works once */
            t->refresh_ms = 0;
        }
        if (found) {
            user = t->user;
            absolute = apitoken ? t->absolute_ms : 0;
        }
    }
    pthread_mutex_unlock(&a->mu);
    cJSON_Delete(o);
    if (!found || (absolute && absolute <= now)) {
        sim_error(out, d, 401, "Unauthorized", "The token is expired or not valid.", NULL, NULL);
        return;
    }
    sim_token t;
    if (issue(a, user, absolute, &t) != 0) {
        sim_error(out, d, 500, "ServerError", "could not issue a token", NULL, NULL);
        return;
    }
    token_answer(a, &t, out);
    OPENSSL_cleanse(&t, sizeof t);
}

void sim_auth_disable(sim_auth *a, sim_stats *st, const char *body, size_t len, sim_resp *out)
{
    sim_stats_count(st, SIM_STAT_LOGOUT);
    cJSON *o = cJSON_ParseWithLength(body ? body : "", len);
    const char *given = cJSON_IsObject(o) ? string_field(o, "SecurityToken") : NULL;
    if (!given) {
        sim_error_invalid(out, a->opts->dialect, "SecurityToken", NULL, "SecurityToken is required.");
        cJSON_Delete(o);
        return;
    }
    pthread_mutex_lock(&a->mu);
    size_t w = 0;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->t[i].access, given) != 0)
            a->t[w++] = a->t[i];
        else
            OPENSSL_cleanse(&a->t[i], sizeof a->t[i]);
    a->n = w;
    pthread_mutex_unlock(&a->mu);
    cJSON_Delete(o);
    sim_resp_empty(out, 204);
}

int sim_auth_check(sim_auth *a, const char *authorization)
{
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return 0;
    const char *tok = authorization + 7;
    while (*tok == ' ')
        tok++;
    long long now = wall_ms();
    int ok = 0;
    pthread_mutex_lock(&a->mu);
    for (size_t i = a->n; i-- > 0 && !ok;)
        if (strcmp(a->t[i].access, tok) == 0)
            ok = a->t[i].expires_ms > now;
    pthread_mutex_unlock(&a->mu);
    return ok;
}
