#include "cwa_rate.h"
#include "unit.h"

#include <math.h>

UNIT_TEST(rate_60_per_minute_burst_then_one_per_second)
{
    cwa_rate r;
    double t = 1000.0;
    cwa_rate_init(&r, 60, 60, t);
    for (int k = 0; k < 60; k++)
        CHECK(cwa_rate_take(&r, t) == 0.0);
    double w = cwa_rate_take(&r, t);
    CHECK(fabs(w - 1.0) < 1e-9);
    CHECK(cwa_rate_take(&r, t + 0.5) > 0.49);
    for (int k = 1; k <= 100; k++) {
        t += 1.0;
        CHECK(cwa_rate_take(&r, t) == 0.0);
        CHECK(cwa_rate_take(&r, t) > 0.0);
    }
}

UNIT_TEST(rate_default_burst_is_one_minute)
{
    cwa_rate r;
    cwa_rate_init(&r, 30, 0, 0);
    CHECK(r.burst == 30 && r.tokens == 30);
    cwa_rate_init(&r, 0.5, -1, 0);
    CHECK(r.burst == 1.0);
    CHECK(cwa_rate_take(&r, 0) == 0.0);
    CHECK(fabs(cwa_rate_take(&r, 0) - 120.0) < 1e-6);
}

UNIT_TEST(rate_600_per_minute_150_requests_never_wait)
{
    cwa_rate r;
    double t = 5.0;
    cwa_rate_init(&r, 600, 600, t);
    for (int k = 0; k < 150; k++) {
        CHECK(cwa_rate_take(&r, t) == 0.0);
        t += 0.01;
    }
}

UNIT_TEST(rate_sustained_rate_matches_limit)
{
    /* Small burst, 600/min: sleeping what take() says gives 10 per second. */
    cwa_rate r;
    double t = 0.0;
    int done = 0;
    cwa_rate_init(&r, 600, 1, t);
    while (done < 1000) {
        double w = cwa_rate_take(&r, t);
        if (w == 0.0)
            done++;
        else
            t += w;
    }
    CHECK(t > 99.8 && t < 100.1);
}

UNIT_TEST(rate_wait_always_positive_when_denied)
{
    cwa_rate r;
    cwa_rate_init(&r, 600, 1, 0);
    CHECK(cwa_rate_take(&r, 0) == 0.0);
    double t = 0;
    for (int k = 0; k < 1000; k++) {
        double w = cwa_rate_take(&r, t);
        CHECK(w >= 0.0);
        if (w > 0.0)
            t += w / 3;
    }
    CHECK(cwa_rate_peek(&r, t) >= 0.0);
}

UNIT_TEST(rate_peek_does_not_take)
{
    cwa_rate r;
    cwa_rate_init(&r, 60, 2, 0);
    CHECK(cwa_rate_peek(&r, 0) == 0.0);
    CHECK(cwa_rate_peek(&r, 0) == 0.0);
    CHECK(cwa_rate_take(&r, 0) == 0.0);
    CHECK(cwa_rate_take(&r, 0) == 0.0);
    CHECK(cwa_rate_peek(&r, 0) > 0.0);
}

UNIT_TEST(rate_clock_backwards_gives_nothing)
{
    cwa_rate r;
    cwa_rate_init(&r, 60, 1, 100);
    CHECK(cwa_rate_take(&r, 100) == 0.0);
    CHECK(cwa_rate_take(&r, 50) > 0.0);
    CHECK(cwa_rate_take(&r, 100.5) > 0.0);
    CHECK(cwa_rate_take(&r, 101) == 0.0);
}

UNIT_TEST(rate_pause)
{
    cwa_rate r;
    cwa_rate_init(&r, 60, 60, 0);
    cwa_rate_pause_until(&r, 10);
    CHECK(fabs(cwa_rate_take(&r, 0) - 10.0) < 1e-9);
    CHECK(fabs(cwa_rate_take(&r, 9.5) - 0.5) < 1e-9);
    cwa_rate_pause_until(&r, 5); /* earlier: ignored */
    CHECK(cwa_rate_take(&r, 9.5) > 0.4);
    cwa_rate_pause_until(&r, 12);
    CHECK(cwa_rate_take(&r, 10.5) > 1.4);
    CHECK(cwa_rate_take(&r, 12) == 0.0);
    CHECK(r.tokens >= 58.9); /* the bucket refilled meanwhile */
}

UNIT_TEST(rate_pause_and_empty_bucket_take_the_later)
{
    cwa_rate r;
    cwa_rate_init(&r, 6, 1, 0); /* one token per 10 s */
    CHECK(cwa_rate_take(&r, 0) == 0.0);
    cwa_rate_pause_until(&r, 3);
    CHECK(fabs(cwa_rate_take(&r, 0) - 10.0) < 1e-9);
    cwa_rate_pause_until(&r, 20);
    CHECK(fabs(cwa_rate_take(&r, 0) - 20.0) < 1e-9);
}

UNIT_TEST(rate_disabled)
{
    cwa_rate r;
    cwa_rate_init(&r, 0, 0, 0);
    CHECK(!r.enabled);
    for (int k = 0; k < 100000; k++)
        CHECK(cwa_rate_take(&r, 0) == 0.0);
    cwa_rate_observe(&r, 10, 3, 30, 0);
    CHECK(cwa_rate_take(&r, 0) == 0.0);
    cwa_rate_init(&r, -5, 10, 0);
    CHECK(!r.enabled && cwa_rate_take(&r, 1) == 0.0);
    cwa_rate_init(&r, NAN, 10, 0);
    CHECK(!r.enabled && cwa_rate_take(&r, 1) == 0.0);
    cwa_rate_init(&r, INFINITY, 0, 0);
    CHECK(!r.enabled && cwa_rate_take(&r, 1) == 0.0);
}

/* A 429's pause is the server's order; Remaining 0 is only its count,
 * and with no pacing asked for it paces nothing. */
UNIT_TEST(rate_disabled_honours_pauses_not_remaining)
{
    cwa_rate r;
    cwa_rate_init(&r, 0, 0, 0);
    cwa_rate_pause_until(&r, 4);
    CHECK(fabs(cwa_rate_take(&r, 1) - 3.0) < 1e-9);
    cwa_rate_observe(&r, 60, 0, 86400, 10);
    CHECK(cwa_rate_take(&r, 10) == 0.0);
    CHECK(r.paused_until == 4.0);
}

UNIT_TEST(rate_remaining_pause_capped)
{
    cwa_rate r;
    /* 1 a minute: one token's time is 60 s, the cap 5 s wins */
    cwa_rate_init(&r, 1, 10, 0);
    cwa_rate_cap_pauses(&r, 5);
    cwa_rate_observe(&r, -1, 0, 86400, 100);
    CHECK(fabs(r.paused_until - 105.0) < 1e-9);
    /* a cap of 0 orders no pause at all */
    cwa_rate_init(&r, 1, 10, 0);
    cwa_rate_cap_pauses(&r, 0);
    cwa_rate_observe(&r, -1, 0, 86400, 100);
    CHECK(r.paused_until <= 100.0);
    /* no cap (negative, NaN): one token's time */
    cwa_rate_init(&r, 1, 10, 0);
    cwa_rate_cap_pauses(&r, NAN);
    cwa_rate_observe(&r, -1, 0, 86400, 100);
    CHECK(fabs(r.paused_until - 160.0) < 1e-9);
    /* the window a Reset suggests is capped too: 60 in 10 s, not in an hour */
    cwa_rate_init(&r, 600, 600, 0);
    cwa_rate_cap_pauses(&r, 10);
    cwa_rate_observe(&r, 60, 59, 86400, 0);
    CHECK(fabs(r.rate_per_sec - 6.0) < 1e-9);
    cwa_rate_init(&r, 600, 600, 0);
    cwa_rate_observe(&r, 60, 59, 86400, 0);
    CHECK(fabs(r.rate_per_sec - 60.0 / 3600.0) < 1e-9);
}

/* A take the caller turns into an attempt. */
static int send_one(cwa_rate *r, double now)
{
    if (cwa_rate_take(r, now) != 0.0)
        return 0;
    cwa_rate_sent(r);
    return 1;
}

UNIT_TEST(rate_observe_remaining_tightens)
{
    cwa_rate r;
    cwa_rate_init(&r, 600, 600, 0);
    cwa_rate_observe(&r, -1, 3, -1, 0);
    CHECK(fabs(cwa_rate_spare(&r, 0) - 3.0) < 1e-9);
    CHECK(send_one(&r, 0));
    CHECK(send_one(&r, 0));
    CHECK(send_one(&r, 0));
    CHECK(!send_one(&r, 0));
    /* A higher remaining never adds tokens. */
    cwa_rate_observe(&r, -1, 500, -1, 0);
    CHECK(cwa_rate_spare(&r, 0) < 1.0);
}

/* Ten attempts go out together against a server holding 20; their answers
 * come back in the opposite order of the server's count. Once all are in,
 * the 10 left are usable: nothing is lost to the order. */
UNIT_TEST(rate_answers_out_of_order_lose_nothing)
{
    cwa_rate r;
    cwa_rate_init(&r, 6000, 6000, 0);
    for (int i = 0; i < 10; i++)
        CHECK(send_one(&r, 0));
    /* the first answer processed was the last the server counted */
    for (int i = 0; i < 10; i++) {
        cwa_rate_observe(&r, -1, 10 + i, -1, 0);
        cwa_rate_settled(&r, 1, 0);
        CHECK(cwa_rate_spare(&r, 0) <= 10.0 + 1e-9); /* never more than the server has */
    }
    CHECK(fabs(cwa_rate_spare(&r, 0) - 10.0) < 1e-9);
    int sent = 0;
    while (send_one(&r, 0))
        sent++;
    CHECK(sent == 10);
}

/* While attempts are in flight they count against the server's estimate;
 * one that ends without a Remaining is taken as counted. */
UNIT_TEST(rate_in_flight_and_unobserved_attempts_count)
{
    cwa_rate r;
    cwa_rate_init(&r, 6000, 6000, 0);
    cwa_rate_observe(&r, -1, 4, -1, 0);
    CHECK(send_one(&r, 0) && send_one(&r, 0));
    CHECK(fabs(cwa_rate_spare(&r, 0) - 2.0) < 1e-9);
    cwa_rate_settled(&r, 0, 0); /* a dropped connection */
    CHECK(fabs(cwa_rate_spare(&r, 0) - 2.0) < 1e-9);
    cwa_rate_observe(&r, -1, 2, -1, 0);
    cwa_rate_settled(&r, 1, 0);
    CHECK(fabs(cwa_rate_spare(&r, 0) - 2.0) < 1e-9);
    /* the estimate refills at the rate, up to the most the server showed */
    cwa_rate_init(&r, 60, 60, 0);
    cwa_rate_observe(&r, -1, 5, -1, 0);
    cwa_rate_observe(&r, -1, 0, -1, 0);
    CHECK(cwa_rate_spare(&r, 0) < 1e-9);
    CHECK(fabs(cwa_rate_spare(&r, 3) - 3.0) < 1e-9);
    CHECK(fabs(cwa_rate_spare(&r, 100) - 6.0) < 1e-9);
}

UNIT_TEST(rate_observe_exhausted_pauses)
{
    cwa_rate r;
    cwa_rate_init(&r, 600, 600, 0);
    cwa_rate_observe(&r, -1, 0, 7.5, 100);
    /* enabled: one token's time at 600/min, not the whole reset */
    CHECK(fabs(cwa_rate_take(&r, 100) - 0.1) < 1e-9);
    CHECK(cwa_rate_take(&r, 100.1) == 0.0);
    /* disabled: no pacing, not even the server's reset */
    cwa_rate_init(&r, 0, 0, 0);
    cwa_rate_observe(&r, -1, 0, 7.5, 100);
    CHECK(cwa_rate_take(&r, 100) == 0.0);
    /* remaining 0 without a reset: no pause, just no tokens. */
    cwa_rate_init(&r, 600, 600, 0);
    cwa_rate_observe(&r, -1, 0, -1, 0);
    double w = cwa_rate_take(&r, 0);
    CHECK(w > 0.0 && w < 0.2);
}

UNIT_TEST(rate_observe_limit_lowers_burst_and_rate)
{
    cwa_rate r;
    cwa_rate_init(&r, 600, 600, 0);
    cwa_rate_observe(&r, 60, 59, 60, 0);
    CHECK(r.burst == 60.0);
    CHECK(fabs(r.rate_per_sec - 1.0) < 1e-9);
    CHECK(fabs(cwa_rate_spare(&r, 0) - 59.0) < 1e-9);
    /* A later answer with a shorter reset keeps the longer window. */
    cwa_rate_observe(&r, 60, 58, 20, 1);
    CHECK(fabs(r.rate_per_sec - 1.0) < 1e-9);
    /* Without a reset only the burst follows the limit. */
    cwa_rate_init(&r, 600, 600, 0);
    cwa_rate_observe(&r, 100, -1, -1, 0);
    CHECK(r.burst == 100.0 && r.tokens == 100.0);
    CHECK(fabs(r.rate_per_sec - 10.0) < 1e-9);
}

UNIT_TEST(rate_observe_never_loosens)
{
    cwa_rate r;
    cwa_rate_init(&r, 60, 60, 0);
    cwa_rate_observe(&r, 1000, 999, 1, 0);
    CHECK(r.burst == 60.0);
    CHECK(fabs(r.rate_per_sec - 1.0) < 1e-9);
    CHECK(r.tokens <= 60.0);
    /* Tightened, then the server allows more again: back to the ceiling only. */
    cwa_rate_observe(&r, 30, -1, 60, 0);
    CHECK(r.burst == 30.0 && fabs(r.rate_per_sec - 0.5) < 1e-9);
    cwa_rate_observe(&r, 100000, -1, 60, 0);
    CHECK(r.burst == 60.0 && fabs(r.rate_per_sec - 1.0) < 1e-9);
}

UNIT_TEST(rate_observe_hostile_values)
{
    cwa_rate r;
    cwa_rate_init(&r, 60, 60, 0);
    cwa_rate_observe(&r, 0, -5, NAN, 0);
    CHECK(r.burst == 60.0 && r.tokens == 60.0 && r.paused_until == 0.0);
    cwa_rate_observe(&r, -1, 0, INFINITY, 0);
    CHECK(r.paused_until == 0.0 && cwa_rate_spare(&r, 0) == 0.0);
    cwa_rate_observe(&r, 2147483647L, 2147483647L, 1e12, 0);
    CHECK(r.burst == 60.0 && fabs(r.rate_per_sec - 1.0) < 1e-9);
    cwa_rate_observe(&r, 1, -1, 1e8, 0); /* window capped at an hour */
    CHECK(r.burst == 1.0 && fabs(r.rate_per_sec - 1.0 / 3600.0) < 1e-12);
    /* remaining 0 above emptied the bucket: one token takes the hour. */
    CHECK(fabs(cwa_rate_take(&r, 0) - 3600.0) < 1e-6);
    CHECK(cwa_rate_take(&r, 3600) == 0.0);
    CHECK(cwa_rate_take(&r, 3600) > 3599.0);
}

UNIT_TEST(rate_follows_a_stated_server_limit_both_ways)
{
    cwa_rate r;
    cwa_rate_init(&r, 60, 60, 0);
    cwa_rate_follow_server(&r, 1);
    /* the server says 120 a minute: twice our default */
    cwa_rate_observe(&r, 120, 100, 1, 0);
    CHECK(fabs(r.rate_per_sec - 2.0) < 1e-9);
    /* its Remaining (100) fills the bucket past our default burst of 60 */
    for (int i = 0; i < 100; i++)
        CHECK(send_one(&r, 0));
    CHECK(fabs(cwa_rate_take(&r, 0) - 0.5) < 1e-9);
    CHECK(cwa_rate_take(&r, 0.5) == 0.0);
    /* and 30 a minute: half of it */
    cwa_rate_observe(&r, 30, 0, -1, 10);
    CHECK(fabs(r.rate_per_sec - 0.5) < 1e-9);
    /* an explicit rate is a ceiling */
    cwa_rate_init(&r, 60, 60, 0);
    cwa_rate_observe(&r, 120, 100, 1, 0);
    CHECK(r.rate_per_sec <= 1.0 + 1e-9);
}

/* The default: no cap until a throttle, then half the measured rate. */
UNIT_TEST(rate_learns_from_a_throttle_and_grows_back)
{
    cwa_rate r;
    cwa_rate_init(&r, 0, 0, 100.0);
    cwa_rate_follow_server(&r, 1);
    for (int k = 0; k < 1000; k++)
        CHECK(cwa_rate_take(&r, 100.0) == 0.0);
    for (int k = 0; k < 20; k++)
        cwa_rate_answer(&r, 0, 1, 100.0 + k * 0.01);
    cwa_rate_answer(&r, CWA_RATE_THROTTLE, 0, 100.5);
    /* 20 accepted by a client half a second old: 20/s (a second at
     * least, not the 5 s it has not lived), halved */
    CHECK(r.learned && fabs(r.rate_per_sec - 10.0) < 1e-9);
    CHECK(cwa_rate_take(&r, 100.5) > 0.0);
    CHECK(cwa_rate_take(&r, 100.6) == 0.0);
    /* throttles answering requests sent before the cut cut nothing more */
    cwa_rate_answer(&r, CWA_RATE_THROTTLE, 0, 101.2);
    CHECK(fabs(r.rate_per_sec - 10.0) < 1e-9);
    /* a success window adds a twentieth of the cut rate */
    cwa_rate_answer(&r, 0, 1, 101.6);
    CHECK(fabs(r.rate_per_sec - 10.5) < 1e-9);
    cwa_rate_answer(&r, 0, 1, 102.0);
    CHECK(fabs(r.rate_per_sec - 10.5) < 1e-9);
    /* a later throttle: the server took 1 in the 4 s the ring covers, but
     * one cut takes at most half */
    cwa_rate_answer(&r, CWA_RATE_THROTTLE, 0, 106.0);
    CHECK(fabs(r.rate_per_sec - 5.25) < 1e-9);
    /* with no ceiling it grows on and on */
    for (int k = 1; k <= 400; k++)
        cwa_rate_answer(&r, 0, 1, 106.0 + k);
    CHECK(r.learned && r.rate_per_sec > 10.0);
}

/* Once learned, a throttle brings the rate to what the server took since
 * the first one, between 0.5 and 0.7 of the current rate. */
UNIT_TEST(rate_later_cuts_follow_what_the_server_took)
{
    cwa_rate r;
    cwa_rate_init(&r, 0, 0, 0.0);
    cwa_rate_follow_server(&r, 1);
    for (int k = 0; k < 20; k++)
        cwa_rate_answer(&r, 0, 1, k * 0.01);
    cwa_rate_answer(&r, CWA_RATE_THROTTLE, 0, 0.3); /* 20/s: 10/s */
    CHECK(fabs(r.rate_per_sec - 10.0) < 1e-9);
    /* the server takes 6 a second; the burst before the cut is not counted */
    for (int k = 0; k < 12; k++)
        cwa_rate_answer(&r, 0, 1, 0.3 + (k + 1) / 6.0);
    double before = r.rate_per_sec;
    cwa_rate_answer(&r, CWA_RATE_THROTTLE, 0, 2.3);
    CHECK(fabs(r.rate_per_sec - 6.0) < 1e-9 && 6.0 < 0.7 * before);
    /* probing past it: a throttle cuts to 0.7 of the current rate when the
     * server took more than that */
    for (int k = 0; k < 40; k++)
        cwa_rate_answer(&r, 0, 1, 2.4 + k * 0.1);
    before = r.rate_per_sec;
    cwa_rate_answer(&r, CWA_RATE_THROTTLE, 0, 6.5);
    CHECK(fabs(r.rate_per_sec - 0.7 * before) < 1e-9);
}

/* A 503 with Retry-After among successes is a fault; among throttles it is
 * one (a proxy shedding a flood); a 429 always is. */
UNIT_TEST(rate_lone_503_is_not_a_throttle)
{
    cwa_rate r;
    cwa_rate_init(&r, 0, 0, 0.0);
    cwa_rate_follow_server(&r, 1);
    for (int k = 0; k < 20; k++)
        cwa_rate_answer(&r, 0, 1, k * 0.05);
    cwa_rate_answer(&r, CWA_RATE_MAYBE, 0, 1.0);
    CHECK(!r.learned && !r.enabled);
    /* successes between: the next one is alone too */
    for (int k = 0; k < 3; k++)
        cwa_rate_answer(&r, 0, 1, 1.1 + k * 0.1);
    cwa_rate_answer(&r, CWA_RATE_MAYBE, 0, 1.5);
    CHECK(!r.learned);
    /* long after the last throttle, with no success between: alone too */
    cwa_rate_answer(&r, CWA_RATE_MAYBE, 0, 4.0);
    CHECK(!r.learned);
    /* two close together with fewer successes between: a throttle */
    cwa_rate_answer(&r, 0, 1, 4.1);
    cwa_rate_answer(&r, CWA_RATE_MAYBE, 0, 4.2);
    CHECK(r.learned && r.enabled);
    /* a 429 alone cuts */
    cwa_rate_init(&r, 0, 0, 0.0);
    cwa_rate_follow_server(&r, 1);
    for (int k = 0; k < 20; k++)
        cwa_rate_answer(&r, 0, 1, k * 0.05);
    cwa_rate_answer(&r, CWA_RATE_THROTTLE, 0, 1.0);
    CHECK(r.learned && fabs(r.rate_per_sec - 10.0) < 1e-9);
}

UNIT_TEST(rate_false_learns_nothing)
{
    cwa_rate r;
    cwa_rate_init(&r, 0, 0, 0);
    for (int k = 0; k < 50; k++)
        cwa_rate_answer(&r, 0, 1, k * 0.01);
    cwa_rate_answer(&r, CWA_RATE_THROTTLE, 0, 1.0);
    CHECK(!r.learned && !r.enabled);
    CHECK(cwa_rate_take(&r, 1.0) == 0.0);
}

UNIT_TEST(rate_learned_never_passes_a_fixed_ceiling)
{
    cwa_rate r;
    cwa_rate_init(&r, 60, 10, 0);
    for (int k = 0; k < 10; k++)
        cwa_rate_answer(&r, 0, 1, k * 0.1);
    cwa_rate_answer(&r, CWA_RATE_THROTTLE, 0, 1.0); /* 10/s measured: half the 1/s ceiling */
    CHECK(fabs(r.rate_per_sec - 0.5) < 1e-9 && r.burst == 1.0);
    for (int k = 1; k <= 30; k++)
        cwa_rate_answer(&r, 0, 1, 1.0 + k);
    CHECK(!r.learned && fabs(r.rate_per_sec - 1.0) < 1e-9 && r.burst == 10.0);
    /* a ceiling below the floor is the floor */
    cwa_rate_init(&r, 6, 1, 0);
    cwa_rate_answer(&r, CWA_RATE_THROTTLE, 0, 1.0);
    CHECK(fabs(r.rate_per_sec - 0.1) < 1e-9);
}

UNIT_TEST(rate_stated_limit_caps_the_learned_rate)
{
    cwa_rate r;
    cwa_rate_init(&r, 0, 0, 0);
    cwa_rate_follow_server(&r, 1);
    for (int k = 0; k < 100; k++)
        cwa_rate_answer(&r, 0, 1, k * 0.01);
    cwa_rate_answer(&r, CWA_RATE_THROTTLE, 0, 1.0); /* 100/s measured: 50/s */
    CHECK(fabs(r.rate_per_sec - 50.0) < 1e-9);
    cwa_rate_observe(&r, 120, 5, 10, 1.5); /* the server says 2/s */
    CHECK(r.learned && fabs(r.rate_per_sec - 2.0) < 1e-9 && r.burst <= 120.0);
    for (int k = 1; k <= 200; k++)
        cwa_rate_answer(&r, 0, 1, 2.0 + k);
    CHECK(!r.learned && fabs(r.rate_per_sec - 2.0) < 1e-9);
}
