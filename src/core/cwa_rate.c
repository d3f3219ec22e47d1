/*
 * The rate limiter's policy. Three modes, by the rate_limit option:
 *   - unset (the default): no client-side cap at first. A server that states
 *     its limit (X-RateLimit-*) is followed; a server that throttles teaches
 *     a rate, below.
 *   - N: a fixed ceiling of N a minute; a stated lower limit and a learned
 *     rate still slow it, nothing raises it past N.
 *   - false: no pacing at all (a 429's Retry-After still pauses: the
 *     server's order, not our policy).
 *
 * The learned rate, additive increase and multiplicative decrease (TCP's
 * AIMD, the AWS SDKs' "adaptive" retry mode):
 *   - a throttle is a 429 that carries no X-RateLimit-Remaining (a stated
 *     count is followed as such); a 503 with Retry-After (and no Remaining)
 *     is one only within MAYBE_WINDOW seconds of another throttle of either
 *     kind with fewer than MAYBE_RUN successes between: a lone 503 among
 *     successes is a fault, a proxy shedding a flood answers many together.
 *   - the measured rate is the accepted (2xx) answers the ring holds (the
 *     last CWA_RATE_SLOTS seconds) divided by the time it covers: since the
 *     client was made, or since the first cut, when that is shorter (at
 *     least a second).
 *   - the first cut sets half of the lower of the current rate and the
 *     measured one. It also empties the ring: the server has spent its
 *     burst, so what it accepts from then on is its real limit.
 *   - a later cut sets that measured rate, kept between half and 0.7 (the
 *     AWS SDKs' beta) of the current rate: a first cut made from the burst
 *     comes down to the server's limit in a few cuts, and a probe just past
 *     the limit costs 0.7 of the rate, not half of it.
 *   - never below 30 a minute (unless the ceiling is lower). Throttles
 *     within a second of a cut answer requests sent before it and cut
 *     nothing more.
 *   - every success window (a second or more with accepted answers and no
 *     throttle) adds a twentieth of the rate the last cut set, so the rate
 *     regains the cut in about 20 s and probes beyond it as slowly;
 *   - never above the ceiling: a fixed rate_limit, or a limit the server
 *     states; reaching it ends the learned rate (the ceiling's burst comes
 *     back). With no ceiling the learned rate grows without end.
 *   - the bucket holds a second's worth of the learned rate (at least one).
 */
#include "cwa_rate.h"

#include <math.h>

/* Refills that land a hair below a whole token because of rounding (0.1 per
 * tick at 600/min) must still count as a token. */
#define TOKEN_EPS 1e-9
/* A wait reported as 0 would make callers spin. */
#define MIN_WAIT 1e-6
#define MAX_WINDOW 3600.0

void cwa_rate_init(cwa_rate *r, double per_minute, double burst, double now)
{
    r->enabled = per_minute > 0.0 && per_minute <= 1e12;
    if (!r->enabled)
        per_minute = 0.0;
    if (!(burst > 0.0))
        burst = per_minute;
    if (burst < 1.0)
        burst = 1.0;
    r->rate_per_sec = per_minute / 60.0;
    r->burst = burst;
    r->tokens = burst;
    r->last = now;
    r->paused_until = 0.0;
    r->conf_rate = r->rate_per_sec;
    r->conf_burst = burst;
    r->window = 0.0;
    r->follow_server = 0;
    r->server = -1.0;
    r->server_at = now;
    r->server_cap = 0.0;
    r->outstanding = 0;
    r->max_pause = -1.0;
    r->learned = 0;
    r->ceiling = r->ceiling_burst = 0.0;
    r->cut_at = r->cut_rate = 0.0;
    r->grown_at = now;
    for (int k = 0; k < CWA_RATE_SLOTS; k++)
        r->acc[k] = 0.0;
    r->acc_sec = (long)floor(now);
    r->acc_since = now;
    r->throttle_at = -1.0;
    r->run = 0;
}

void cwa_rate_cap_pauses(cwa_rate *r, double seconds)
{
    r->max_pause = seconds >= 0.0 ? seconds : -1.0;
}

void cwa_rate_follow_server(cwa_rate *r, int on)
{
    r->follow_server = on;
}

/* A level that grows at `rate` a second since *at, up to cap. */
static void grow(double *level, double *at, double cap, double rate, double now)
{
    if (!(now > *at))
        return;
    *level += (now - *at) * rate;
    if (*level > cap)
        *level = cap;
    *at = now;
}

static void refill(cwa_rate *r, double now)
{
    grow(&r->tokens, &r->last, r->burst, r->rate_per_sec, now);
}

/* Brings the server estimate forward to now at the current rate. */
static void server_refill(cwa_rate *r, double now)
{
    if (r->server >= 0.0)
        grow(&r->server, &r->server_at, r->server_cap, r->rate_per_sec, now);
}

/* Tokens a take may use now: the bucket's, or fewer when the server's
 * estimate less the attempts in flight says so. */
static double available(cwa_rate *r, double now)
{
    refill(r, now);
    double t = r->tokens;
    if (r->server >= 0.0) {
        server_refill(r, now);
        double s = r->server - r->outstanding;
        if (s < t)
            t = s;
    }
    return t;
}

static double wait_for(cwa_rate *r, double now)
{
    double wait = 0.0;
    if (now < r->paused_until)
        wait = r->paused_until - now;
    if (r->enabled) {
        double t = available(r, now);
        if (t < 1.0 - TOKEN_EPS) {
            /* an answer in flight may settle it sooner: the caller's loop
             * runs again on every network event */
            double need = (1.0 - t) / r->rate_per_sec;
            if (need > wait)
                wait = need;
        }
    }
    if (wait > 0.0 && wait < MIN_WAIT)
        wait = MIN_WAIT;
    return wait;
}

double cwa_rate_peek(cwa_rate *r, double now)
{
    return wait_for(r, now);
}

double cwa_rate_spare(cwa_rate *r, double now)
{
    if (now < r->paused_until)
        return 0.0;
    if (!r->enabled)
        return 1e9;
    double t = available(r, now);
    return t > 0.0 ? t : 0.0;
}

double cwa_rate_take(cwa_rate *r, double now)
{
    double wait = wait_for(r, now);
    if (wait > 0.0)
        return wait;
    if (r->enabled) {
        r->tokens -= 1.0;
        if (r->tokens < 0.0)
            r->tokens = 0.0;
    }
    return 0.0;
}

void cwa_rate_pause_until(cwa_rate *r, double until)
{
    if (until > r->paused_until)
        r->paused_until = until;
}

static void observe_remaining(cwa_rate *r, long remaining, double now)
{
    if (remaining < 0 || remaining > 1000000000L)
        return;
    double rem = (double)remaining;
    if (rem + 1.0 > r->server_cap)
        r->server_cap = rem + 1.0;
    server_refill(r, now);
    if (r->server < 0.0 || rem < r->server) {
        r->server = rem;
        r->server_at = now;
    }
}

/* A rate (and burst) the server states: the learned rate stays below it. */
static void set_stated(cwa_rate *r, double rate, double burst)
{
    if (!r->learned) {
        r->rate_per_sec = rate;
        r->burst = burst;
        return;
    }
    r->ceiling = rate;
    r->ceiling_burst = burst;
    if (r->rate_per_sec > rate)
        r->rate_per_sec = rate;
    if (r->burst > burst)
        r->burst = burst;
}

void cwa_rate_observe(cwa_rate *r, long limit, long remaining, double reset_seconds, double now)
{
    /* a Reset past the cap counts as the cap, for the pause and the
     * window estimate alike: the server's figure cannot hold us longer */
    if (r->max_pause >= 0.0 && reset_seconds > r->max_pause)
        reset_seconds = r->max_pause;
    int has_reset = reset_seconds > 0.0 && reset_seconds < 1e9;
    if (remaining == 0 && has_reset && r->enabled) {
        /* Servers differ on what Reset counts down to (the next token, the
         * end of a fixed window, a full bucket). With our own bucket pacing
         * the requests, waiting for one token's time is enough: a window
         * server then answers one 429 whose Retry-After pauses us. */
        double wait = reset_seconds;
        if (r->conf_rate > 0 && 1.0 / r->conf_rate < wait)
            wait = 1.0 / r->conf_rate;
        cwa_rate_pause_until(r, now + wait);
    }
    if (r->follow_server && limit >= 1 && limit <= 1000000000L) {
        /* the server's stated limit replaces the default assumption */
        refill(r, now);
        r->enabled = 1;
        r->conf_rate = (double)limit / 60.0;
        r->conf_burst = (double)limit;
        set_stated(r, r->conf_rate, r->conf_burst);
        if (r->tokens > r->burst)
            r->tokens = r->burst;
        /* the server's count replaces our default's: a bucket that started
         * at the default burst must not hold back what the server allows
         * (the estimate above still subtracts the attempts in flight) */
        if (remaining >= 0 && (double)remaining > r->tokens)
            r->tokens = (double)remaining < r->burst ? (double)remaining : r->burst;
        observe_remaining(r, remaining, now);
        return;
    }
    if (!r->enabled)
        return;
    refill(r, now);
    if (limit >= 1) {
        double lim = (double)limit;
        double burst = lim < r->conf_burst ? lim : r->conf_burst;
        double rate = r->learned ? r->ceiling : r->rate_per_sec;
        if (has_reset) {
            double w = reset_seconds < MAX_WINDOW ? reset_seconds : MAX_WINDOW;
            if (w > r->window)
                r->window = w;
            double server_rate = lim / r->window;
            rate = server_rate < r->conf_rate ? server_rate : r->conf_rate;
        }
        set_stated(r, rate, burst);
        if (r->tokens > r->burst)
            r->tokens = r->burst;
    }
    observe_remaining(r, remaining, now);
}

void cwa_rate_sent(cwa_rate *r)
{
    r->outstanding++;
}

void cwa_rate_settled(cwa_rate *r, int observed, double now)
{
    if (r->outstanding > 0)
        r->outstanding--;
    if (!observed && r->server >= 0.0) {
        /* it may have been counted: assume it was */
        server_refill(r, now);
        r->server = r->server >= 1.0 ? r->server - 1.0 : 0.0;
    }
}

/* Moves the ring of accepted answers forward to now's second. */
static void advance(cwa_rate *r, double now)
{
    long sec = (long)floor(now);
    if (sec <= r->acc_sec)
        return;
    long gap = sec - r->acc_sec;
    for (long k = 1; k <= gap && k <= CWA_RATE_SLOTS; k++)
        r->acc[(r->acc_sec + k) % CWA_RATE_SLOTS] = 0.0;
    r->acc_sec = sec;
}

static double learned_burst(const cwa_rate *r)
{
    double b = r->rate_per_sec > 1.0 ? r->rate_per_sec : 1.0;
    if (r->ceiling > 0.0 && b > r->ceiling_burst)
        b = r->ceiling_burst;
    return b;
}

#define MIN_LEARNED (30.0 / 60.0)
#define GROW_SHARE (1.0 / 20.0)
#define FIRST_CUT 0.5
#define LATER_CUT 0.7
/* a 503 with Retry-After counts as a throttle only this close to another
 * throttle, with fewer successes than this between them */
#define MAYBE_WINDOW 2.0
#define MAYBE_RUN 3

/* Accepted answers a second, over the part of the ring's seconds since
 * acc_since (at least a second, so that a young ring does not guess). */
static double measured_rate(cwa_rate *r, double now)
{
    advance(r, now);
    double n = 0.0;
    for (int k = 0; k < CWA_RATE_SLOTS; k++)
        n += r->acc[k];
    double start = (double)(r->acc_sec - (CWA_RATE_SLOTS - 1));
    if (r->acc_since > start)
        start = r->acc_since;
    double span = now - start;
    return n / (span > 1.0 ? span : 1.0);
}

static void cut(cwa_rate *r, double now)
{
    if (r->learned && now - r->cut_at < 1.0)
        return;
    double measured = measured_rate(r, now);
    double floor_rate = MIN_LEARNED;
    double rate;
    if (r->learned) {
        /* the ring has counted only since the first cut, when the server
         * had spent its burst: what it took since is near its real limit,
         * and a first cut that was too high comes down to it at once */
        refill(r, now);
        rate = r->rate_per_sec * LATER_CUT;
        if (measured < rate)
            rate = measured;
        if (rate < r->rate_per_sec * FIRST_CUT)
            rate = r->rate_per_sec * FIRST_CUT;
    } else {
        rate = measured;
        if (r->enabled) {
            refill(r, now);
            if (r->rate_per_sec < rate)
                rate = r->rate_per_sec;
        }
        rate *= FIRST_CUT;
    }
    if (r->enabled && r->rate_per_sec < floor_rate)
        floor_rate = r->rate_per_sec;
    if (rate < floor_rate)
        rate = floor_rate;
    if (!r->learned) {
        r->ceiling = r->enabled ? r->rate_per_sec : 0.0;
        r->ceiling_burst = r->enabled ? r->burst : 0.0;
        r->learned = 1;
        for (int k = 0; k < CWA_RATE_SLOTS; k++)
            r->acc[k] = 0.0;
        r->acc_since = now;
    }
    r->enabled = 1;
    r->rate_per_sec = r->cut_rate = rate;
    r->burst = learned_burst(r);
    r->tokens = 0.0;
    r->last = now;
    r->cut_at = r->grown_at = now;
}

static void grow_back(cwa_rate *r, double now)
{
    if (!r->learned || now - r->grown_at < 1.0)
        return;
    refill(r, now);
    r->rate_per_sec += r->cut_rate * GROW_SHARE;
    if (r->ceiling > 0.0 && r->rate_per_sec >= r->ceiling) {
        r->rate_per_sec = r->ceiling;
        r->burst = r->ceiling_burst;
        r->learned = 0;
    } else {
        r->burst = learned_burst(r);
    }
    r->grown_at = now;
}

void cwa_rate_answer(cwa_rate *r, int throttled, int accepted, double now)
{
    if (!r->follow_server && !(r->conf_rate > 0.0))
        return; /* rate_limit = false: no pacing, learned or not */
    if (throttled) {
        /* a lone 503 among successes is a fault, not a throttle; a proxy
         * shedding a flood answers many of them together */
        int counts =
            throttled != CWA_RATE_MAYBE ||
            (r->throttle_at >= 0.0 && now - r->throttle_at <= MAYBE_WINDOW && r->run < MAYBE_RUN);
        r->throttle_at = now;
        r->run = 0;
        if (counts)
            cut(r, now);
    } else if (accepted) {
        advance(r, now);
        r->acc[r->acc_sec % CWA_RATE_SLOTS] += 1.0;
        r->run++;
        grow_back(r, now);
    }
}
