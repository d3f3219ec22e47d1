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
 * cwa_rate_observe feeds X-RateLimit-Limit / -Remaining / -Reset (-1 or a
 * negative value for an absent header, reset in seconds from now):
 *   - remaining >= 0 and below our tokens: tokens = remaining;
 *   - remaining == 0 and reset > 0: pause until now + reset, or, when the
 *     bucket is enabled, for one token's time at the configured rate if that
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
 * When the bucket is disabled only the pause rule applies.
 */
#ifndef CWA_RATE_H
#define CWA_RATE_H

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
} cwa_rate;

void cwa_rate_init(cwa_rate *r, double per_minute, double burst, double now);
double cwa_rate_take(cwa_rate *r, double now);
/* Whole and partial tokens in the bucket now (0 while paused; a large
 * number when the bucket is disabled). Takes nothing. */
double cwa_rate_spare(cwa_rate *r, double now);
double cwa_rate_peek(cwa_rate *r, double now);
void cwa_rate_pause_until(cwa_rate *r, double until);
void cwa_rate_observe(cwa_rate *r, long limit, long remaining, double reset_seconds, double now);
/* With on != 0 the configured rate is a default, not a ceiling: a server
 * that states its limit (X-RateLimit-Limit, requests a minute as the
 * brief documents it) is followed both ways, also up. */
void cwa_rate_follow_server(cwa_rate *r, int on);

#endif
