#include "cwa_retry.h"

#include "cwa_time.h"

cwa_retry_action cwa_retry_classify(int idempotent, int status, cwa_net_error net, int has_retry_after)
{
    switch (net) {
    case CWA_NET_NONE: break;
    case CWA_NET_CONNECT: return CWA_RETRY_BACKOFF;
    /* a name that does not resolve now will not in the next second either:
     * a typo in the server, said at once */
    case CWA_NET_RESOLVE: return CWA_RETRY_NO;
    case CWA_NET_TLS: return CWA_RETRY_NO;
    case CWA_NET_SEND:
    case CWA_NET_RECV:
    case CWA_NET_TIMEOUT:
    case CWA_NET_OTHER:
    default: return idempotent ? CWA_RETRY_BACKOFF : CWA_RETRY_NO;
    }
    switch (status) {
    case 429: return has_retry_after ? CWA_RETRY_AFTER : CWA_RETRY_BACKOFF;
    case 503:
        if (!idempotent)
            return CWA_RETRY_NO;
        return has_retry_after ? CWA_RETRY_AFTER : CWA_RETRY_BACKOFF;
    case 500:
    case 502:
    case 504: return idempotent ? CWA_RETRY_BACKOFF : CWA_RETRY_NO;
    default: return CWA_RETRY_NO;
    }
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

int cwa_retry_after_parse(const char *value, size_t len, double now_epoch, double *seconds)
{
    size_t i = 0;
    if (!value)
        return -1;
    while (i < len && is_space(value[i]))
        i++;
    while (len > i && is_space(value[len - 1]))
        len--;
    if (i == len)
        return -1;
    if (value[i] >= '0' && value[i] <= '9') {
        double v = 0.0, scale = 0.1;
        while (i < len && value[i] >= '0' && value[i] <= '9') {
            v = v * 10.0 + (value[i] - '0');
            if (v > 1e9)
                return -1;
            i++;
        }
        if (i < len && value[i] == '.') {
            size_t start = ++i;
            while (i < len && value[i] >= '0' && value[i] <= '9') {
                v += (value[i] - '0') * scale;
                scale /= 10.0;
                i++;
            }
            if (i == start)
                return -1;
        }
        if (i != len || v > 1e9)
            return -1;
        *seconds = v;
        return 0;
    }
    double when;
    if (cwa_time_parse_http(value + i, len - i, &when) != 0)
        return -1;
    double d = when - now_epoch;
    if (!(d > 0.0))
        d = 0.0;
    *seconds = d;
    return 0;
}

uint64_t cwa_rng_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

double cwa_rng_unit(uint64_t *state)
{
    return (double)(cwa_rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

double cwa_backoff_delay(int attempt, double base, double cap, uint64_t *rng)
{
    if (!(base > 0.0) || !(cap > 0.0))
        return 0.0;
    if (attempt < 0)
        attempt = 0;
    if (cap > 1e9)
        cap = 1e9;
    double limit = base;
    /* Doubling stops as soon as the cap is reached, so no attempt count can
     * overflow to infinity. */
    for (int k = 0; k < attempt && limit < cap; k++)
        limit *= 2.0;
    if (limit > cap)
        limit = cap;
    /* Inclusive upper end would need 2^53+1 buckets; [0, limit) is the same
     * distribution for any purpose a delay has. */
    return cwa_rng_unit(rng) * limit;
}
