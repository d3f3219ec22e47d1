/* The login livelock rule (issue 14, class 6): a token counts against the
 * logins only when the rate limit's next request slot lay past its use as
 * it arrived and no call carried it. The waits come from the limiter
 * itself, drained the way a login drains it. */
#include "cwa_internal.h"
#include "cwa_rate.h"
#include "unit.h"

#include <math.h>

/* The slack of a `life`-second token arriving at `now` on a fresh bucket
 * of per_minute and burst that the login emptied (as take_token sees it). */
static double slack_after_login(double per_minute, double burst, double life)
{
    cwa_rate r;
    double now = 100;
    cwa_rate_init(&r, per_minute, burst, now);
    while (cwa_rate_take(&r, now) == 0.0)
        ;
    double expires = now + life;
    double refresh_at = expires - (life / 2 < 300 ? life / 2 : 300);
    return cwa__token_use_end(expires, refresh_at) - now - cwa_rate_peek(&r, now);
}

UNIT_TEST(auth_token_use_end)
{
    /* 2 s tokens refresh at 1 s: sent until 0.2 s before the end */
    CHECK(fabs(cwa__token_use_end(2, 1) - 1.8) < 1e-9);
    /* an hour's token refreshes 300 s early: the margin stops at 2 s */
    CHECK(fabs(cwa__token_use_end(3600, 3300) - 3598) < 1e-9);
}

UNIT_TEST(auth_usable_short_tokens_are_no_livelock)
{
    /* 60 a minute after the burst: the next slot is 1 s away, the token
     * is used until 1.8 s; left unused (a paused caller, a busy consumer)
     * it proves nothing, however many in a row */
    double slack = slack_after_login(60, 10, 2);
    CHECK(slack > 0.7 && slack < 0.9);
    int streak = 0;
    for (int i = 0; i < 5; i++)
        streak = cwa__outrun_streak(streak, slack, 0);
    CHECK(streak == 0);
    /* a cached token has no measured slack: 0 is no proof either */
    CHECK(cwa__outrun_streak(1, 0, 0) == 0);
}

UNIT_TEST(auth_outrun_tokens_end_the_logins)
{
    /* 20 a minute, burst 1: the next slot is 3 s away, past a 2 s token */
    double slack = slack_after_login(20, 1, 2);
    CHECK(slack < -1.1 && slack > -1.3);
    int streak = cwa__outrun_streak(0, slack, 0);
    CHECK(streak == 1);
    streak = cwa__outrun_streak(streak, slack, 0);
    CHECK(streak == 2);
    /* one a call (or client:token()'s caller) carried ends the streak */
    CHECK(cwa__outrun_streak(streak, slack, 1) == 0);
    /* a usable one between two outrun ones: they are not in a row */
    streak = cwa__outrun_streak(0, slack, 0);
    streak = cwa__outrun_streak(streak, 0.5, 0);
    CHECK(cwa__outrun_streak(streak, slack, 0) == 1);
}
