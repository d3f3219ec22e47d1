/*
 * cwa_retry: which failures are retried, how long to wait, and the jitter
 * generator. Pure functions, no global state (the PRNG state is the
 * caller's), no allocation.
 *
 * cwa_retry_classify decides from one attempt's outcome (status 0 when there
 * was no HTTP answer, net CWA_NET_NONE when there was one):
 *   429                        AFTER when Retry-After was given, else BACKOFF,
 *                              for any method (the server did not act)
 *   503                        only when idempotent: AFTER with Retry-After,
 *                              else BACKOFF (a proxy may answer 503 after
 *                              the server acted on a POST)
 *   500, 502, 504              BACKOFF only when idempotent
 *   CONNECT                    BACKOFF for any method (nothing was sent)
 *   RESOLVE                    NO (a name that does not resolve is a wrong
 *                              server name far more often than a blip)
 *   SEND, RECV, TIMEOUT, OTHER BACKOFF only when idempotent (the request may
 *                              have been acted on)
 *   TLS                        NO (certificate problems do not heal)
 *   anything else              NO (400/401/403/404...; 401 is auth's job)
 * A network error wins over the status when both are given.
 *
 * cwa_retry_after_parse reads a Retry-After value of `len` bytes: delta
 * seconds (digits, optionally a decimal fraction, surrounding spaces and tabs
 * allowed) or an HTTP date (cwa_time_parse_http), turned into seconds from
 * now_epoch and clamped at 0. Negative numbers, signs, exponents, garbage,
 * embedded NULs and values above 1e9 seconds (overflow guard) give -1 and
 * leave *seconds untouched.
 *
 * cwa_backoff_delay is "full jitter": uniform in [0, min(cap, base * 2^attempt))
 * with attempt counted from 0; a negative attempt counts as 0; huge attempts
 * saturate at cap; cap is clamped to 1e9 seconds (so infinity is safe);
 * non-positive or NaN base/cap give 0.
 *
 * cwa_rng_next is splitmix64 (any seed, including 0, is fine);
 * cwa_rng_unit maps it to [0, 1) with 53 bits.
 */
#ifndef CWA_RETRY_H
#define CWA_RETRY_H

#include <stddef.h>
#include <stdint.h>

typedef enum { CWA_RETRY_NO = 0, CWA_RETRY_BACKOFF, CWA_RETRY_AFTER } cwa_retry_action;

/* CONNECT and RESOLVE mean the server certainly did not act. */
typedef enum {
    CWA_NET_NONE = 0,
    CWA_NET_CONNECT,
    CWA_NET_RESOLVE,
    CWA_NET_SEND,
    CWA_NET_RECV,
    CWA_NET_TIMEOUT,
    CWA_NET_TLS,
    CWA_NET_OTHER
} cwa_net_error;

cwa_retry_action cwa_retry_classify(int idempotent, int status, cwa_net_error net, int has_retry_after);
int cwa_retry_after_parse(const char *value, size_t len, double now_epoch, double *seconds);

double cwa_backoff_delay(int attempt, double base, double cap, uint64_t *rng);
uint64_t cwa_rng_next(uint64_t *state);
double cwa_rng_unit(uint64_t *state);

#endif
