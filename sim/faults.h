/*
 * faults: the rate limiter and the fault injector.
 *
 * Contract: both are thread-safe (one mutex) and deterministic given the
 * order in which requests reach them. The rate limiter is a token bucket of
 * `--burst` tokens (default max(1, N/6), i.e. ten seconds' worth) refilled at
 * `--rate-limit` per minute; every API request, logins included, takes one.
 * X-RateLimit-Remaining is the whole tokens left, X-RateLimit-Reset the
 * seconds until the bucket is full again, Retry-After (on 429) the seconds
 * until one token is back (at least 1). `--limit-silent N` is the same bucket
 * at N a minute whose answers carry no X-RateLimit-* headers (info->limit
 * stays 0), only Retry-After on a 429.
 *
 * Faults: each data call draws one number from (seed, sequence number) and
 * falls into at most one fault, in the order drop, fail, html, malformed,
 * stall (rates add up, so `--fail-rate 1` fails every call). sim_limits_reset
 * (POST /__reset) refills the bucket and restarts the sequence.
 */
#ifndef SIM_FAULTS_H
#define SIM_FAULTS_H

#include <pthread.h>
#include <stdint.h>

#include "opts.h"

typedef enum sim_fault {
    SIM_FAULT_NONE = 0,
    SIM_FAULT_DROP,
    SIM_FAULT_FAIL,
    SIM_FAULT_HTML,
    SIM_FAULT_MALFORMED,
    SIM_FAULT_STALL,
    SIM_FAULT_KINDS
} sim_fault;

typedef struct sim_limits {
    pthread_mutex_t mu;
    long limit; /* per minute, 0 = off */
    int silent; /* --limit-silent: no X-RateLimit-* headers */
    double burst;
    double tokens;
    long long last_ms;
    unsigned long long seed;
    unsigned long long seq;
    double rates[SIM_FAULT_KINDS];
} sim_limits;

typedef struct sim_rate_info {
    long limit, remaining, reset_s, retry_after_s;
} sim_rate_info;

int sim_limits_init(sim_limits *l, const sim_opts *o);
void sim_limits_free(sim_limits *l);
void sim_limits_reset(sim_limits *l);

/* 1 when the request may go on, 0 when it must get a 429; info filled. */
int sim_rate_take(sim_limits *l, sim_rate_info *info);

/* The fault for the next data call; *bits gets more random bits for the
 * fault's details (500 or 503, where to cut a body). */
sim_fault sim_fault_draw(sim_limits *l, uint64_t *bits);

const char *sim_fault_name(sim_fault f);

#endif
