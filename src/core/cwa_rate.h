/*
 * cwa_rate: the client-side rate limiter, a token bucket that also follows
 * the server's feedback. One per client, shared by every request it makes
 * (logins included). Not locked: the owner serialises calls. Times are the
 * caller's clock in seconds (use cwa_time_mono), so tests can pass a fake
 * one. No global state, no allocation.
 *
 * cwa_rate_init: per_minute <= 0 (or NaN, or above 1e12) disables the bucket
 * (takes always succeed, observe() does not tighten it); burst <= 0 means
 * one minute's worth (per_minute), and a burst below 1 is raised to 1 so
 * that a request can ever pass. The bucket starts full. The configured rate and burst are
 * remembered as ceilings: nothing the server says loosens beyond them.
 *
 * cwa_rate_take: when not paused and a whole token is there, takes it and
 * returns 0; otherwise takes nothing and returns the seconds until one will
 * be there or the pause ends, whichever is later (always > 0). Call it again
 * after sleeping that long. A clock that goes backwards adds no tokens.
 * cwa_rate_peek: the same answer without taking.
 *
 * cwa_rate_pause_until: stops every take until `until` (a 429 pauses the whole
 * client); keeps the later of the existing and the new pause. Pauses hold even
 * when the bucket is disabled: they are the server's order, not our policy.
 *
 * The server's own count. Remaining describes the server's bucket at the
 * moment it counted that request, while other attempts may still be on
 * their way. The limiter keeps `server`, an estimate of the server's tokens
 * that counts every answered attempt but none in flight: the lowest
 * Remaining seen, brought forward at the current rate (never above the most
 * the server has shown it holds, highest Remaining + 1). Attempts in flight
 * are subtracted when a take is judged, so one that the server had already
 * counted is counted twice only until its answer arrives, and an answer that
 * arrives out of order costs nothing once the others are in. An attempt
 * that ends without a Remaining (a network error, a cancelled transfer, a
 * proxy's page) is taken as counted.
 * cwa_rate_sent: an attempt was started (after a successful take).
 * cwa_rate_settled: that attempt ended; `observed` says whether its answer
 * fed a Remaining to cwa_rate_observe.
 *
 * cwa_rate_observe feeds X-RateLimit-Limit / -Remaining / -Reset (-1 or a
 * negative value for an absent header, reset in seconds from now):
 *   - remaining >= 0: server = min(server, remaining), as above;
 *   - remaining == 0 and reset > 0, with the bucket enabled: pause until
 *     now + reset, or for one token's time at the configured rate if that
 *     is shorter (servers disagree on what Reset counts down to);
 *   - limit >= 1: burst = min(configured burst, limit), since the server will
 *     not take more than that in one window;
 *   - limit >= 1 and reset > 0: the window is estimated as the longest reset
 *     seen so far (a reset counts down inside its window, so the first answer
 *     of a window shows nearly all of it; capped at one hour) and the rate
 *     becomes min(configured rate, limit / window). The estimate can only be
 *     too short, so the rate errs toward the server's true one from above and
 *     the per-answer remaining/pause rules catch the difference.
 * limit == 0 is treated as absent (remaining 0 with a reset already pauses);
 * a reset that is not in (0, 1e9) is treated as absent.
 * When the bucket is disabled nothing is followed: no pacing means none
 * (a 429's Retry-After still pauses, through cwa_rate_pause_until).
 *
 * cwa_rate_cap_pauses: a Reset longer than `seconds` (the client's
 * max_wait) counts as that long, for the pause and the window estimate
 * alike, so no figure of the server's holds requests longer (0: a Reset
 * orders nothing); negative or NaN: no cap (the default).
 */
#ifndef CWA_RATE_H
#define CWA_RATE_H

/* seconds of accepted answers a throttle measures the rate over */
#define CWA_RATE_SLOTS 5

typedef struct cwa_rate {
    double rate_per_sec;
    double burst;
    double tokens;
    double last;
    double paused_until;
    int enabled;
    double conf_rate; /* the configured ceilings */
    double conf_burst;
    double window;     /* longest X-RateLimit-Reset seen, 0 when none */
    int follow_server; /* the configured rate is only a default */
    double server;     /* the server's tokens, answered attempts counted; < 0 unknown */
    double server_at;  /* when `server` was last brought forward */
    double server_cap; /* highest Remaining seen + 1 */
    int outstanding;   /* attempts sent and not settled */
    double max_pause;  /* longest Reset observe() takes; < 0: none */
    /* the rate learned from throttling (cwa_rate.c says the rule) */
    int learned;                /* a learned rate is in force */
    double ceiling;             /* rate it may grow back to; 0: none */
    double ceiling_burst;       /* burst to restore when it gets there */
    double cut_at;              /* when the last cut was made */
    double cut_rate;            /* the rate that cut set */
    double grown_at;            /* start of the current success window */
    double acc[CWA_RATE_SLOTS]; /* accepted answers per second, a ring */
    long acc_sec;               /* the second acc's newest slot counts */
    double acc_since;           /* the ring counts nothing before this */
    double throttle_at;         /* the last throttle of either kind; < 0: none */
    int run;                    /* accepted answers since it */
} cwa_rate;

void cwa_rate_init(cwa_rate *r, double per_minute, double burst, double now);
double cwa_rate_take(cwa_rate *r, double now);
/* Whole and partial tokens available now: the bucket's, or the server's
 * estimate less the attempts in flight when that is lower (0 while paused;
 * a large number when the bucket is disabled). Takes nothing. */
double cwa_rate_spare(cwa_rate *r, double now);
double cwa_rate_peek(cwa_rate *r, double now);
void cwa_rate_pause_until(cwa_rate *r, double until);
void cwa_rate_observe(cwa_rate *r, long limit, long remaining, double reset_seconds, double now);
void cwa_rate_sent(cwa_rate *r);
void cwa_rate_settled(cwa_rate *r, int observed, double now);
/* With on != 0 the configured rate is a default, not a ceiling: a server
 * that states its limit (X-RateLimit-Limit, requests a minute as the
 * brief documents it) is followed both ways, also up, and its Remaining
 * may fill the bucket beyond the default burst. */
void cwa_rate_follow_server(cwa_rate *r, int on);
void cwa_rate_cap_pauses(cwa_rate *r, double seconds);
/* What a throttling answer says, for cwa_rate_answer. */
enum {
    CWA_RATE_THROTTLE = 1, /* a 429: always cuts */
    CWA_RATE_MAYBE = 2     /* a 503 with Retry-After: cuts only among throttles */
};
/* An answer, for the learned rate: throttled (one of the above, 0 for
 * none) may cut it, accepted (2xx) counts toward the measured rate and
 * the success windows that grow it back. Neither: nothing. */
void cwa_rate_answer(cwa_rate *r, int throttled, int accepted, double now);

#endif
