/*
 * auth: users, logins, refreshes and bearer tokens of both dialects.
 *
 * Contract (thread-safe; one mutex over the token table):
 *  apitoken: POST /apitoken {UserName, Password, TwoFactorPasscode} (keys in
 *    any casing) answers a TokenResult {AccessToken, TokenType, ExpirationDate
 *    (UTC wall time, no zone), AbsoluteExpirationDate, UserId (string),
 *    InternalUserName, IsTwoFactorRequired, IsInternalTwoFactorRequired,
 *    SSOAccessToken}. A 2FA user without a passcode gets 200 with
 *    IsTwoFactorRequired=true and AccessToken null. POST /apitoken/refresh
 *    takes the current access token as a JSON string literal and answers a
 *    new TokenResult. The session ends at AbsoluteExpirationDate,
 *    --token-absolute after login (default 24 h): no access token outlives
 *    it and a refresh past it is 401. Dates are written in --tz local time.
 *    POST /apitoken/Disable {SecurityToken} (any casing; bearer and ClientId
 *    needed like any data call) revokes that token at once: 204, also for a
 *    token that is unknown or already gone (a logout is idempotent); a body
 *    without SecurityToken is 400.
 *  apicredentials: POST /APICredentials {Username, Password, TwoFactorCode}
 *    answers {AccessToken, TokenType, ExpiresIn, RefreshToken, UserID (int),
 *    Username}; a 2FA user without a code gets 401 TwoFactorRequired.
 *    POST /APICredentials/Refresh {RefreshToken} rotates both tokens; refresh
 *    tokens live 24 h (or twice the access lifetime if that is longer).
 *  Wrong credentials or passcode: 401. A 2FA user accepts its fixed code
 *  and, with --totp-secret, the RFC 6238 code (SHA-1, 30 s, 6 digits) of the
 *  current, previous or next step. Old access tokens stay valid until they
 *  expire. Tokens are random (libcrypto RAND_bytes) and never logged.
 *  Stats: every call to the login route counts in `logins`; 400/401 answers
 *  also in `login_failures`; 2FA prompts in `two_factor_challenges`.
 */
#ifndef SIM_AUTH_H
#define SIM_AUTH_H

#include <pthread.h>
#include <stddef.h>

#include "opts.h"
#include "resp.h"
#include "stats.h"

typedef struct sim_token {
    char access[72];
    char refresh[72];
    size_t user;
    long long expires_ms;  /* wall clock */
    long long refresh_ms;  /* wall clock; refresh token lifetime */
    long long absolute_ms; /* wall clock */
} sim_token;

typedef struct sim_auth {
    pthread_mutex_t mu;
    const sim_opts *opts;
    sim_token *t;
    size_t n, cap;
} sim_auth;

int sim_auth_init(sim_auth *a, const sim_opts *o);
void sim_auth_free(sim_auth *a);
void sim_auth_login(sim_auth *a, sim_stats *st, const char *body, size_t len, sim_resp *out);
void sim_auth_refresh(sim_auth *a, sim_stats *st, const char *body, size_t len, sim_resp *out);
void sim_auth_disable(sim_auth *a, sim_stats *st, const char *body, size_t len, sim_resp *out);
/* 1 when the Authorization header value carries a live bearer token. */
int sim_auth_check(sim_auth *a, const char *authorization);

/* RFC 6238 code of a base32 secret at unix time t; -1 on a bad secret. */
long sim_totp(const char *base32, long long t);

#endif
