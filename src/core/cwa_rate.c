#include "cwa_rate.h"

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
        r->conf_rate = r->rate_per_sec = (double)limit / 60.0;
        r->conf_burst = r->burst = (double)limit;
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
        r->burst = lim < r->conf_burst ? lim : r->conf_burst;
        if (has_reset) {
            double w = reset_seconds < MAX_WINDOW ? reset_seconds : MAX_WINDOW;
            if (w > r->window)
                r->window = w;
            double server_rate = lim / r->window;
            r->rate_per_sec = server_rate < r->conf_rate ? server_rate : r->conf_rate;
        }
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
