#include "faults.h"

#include <math.h>
#include <string.h>

#include "util.h"

int sim_limits_init(sim_limits *l, const sim_opts *o)
{
    memset(l, 0, sizeof *l);
    if (pthread_mutex_init(&l->mu, NULL) != 0)
        return -1;
    l->limit = o->rate_limit > 0 ? o->rate_limit : o->limit_silent;
    l->silent = o->rate_limit <= 0 && o->limit_silent > 0;
    l->burst = (double)o->burst;
    l->tokens = l->burst;
    l->last_ms = sim_now_ms();
    l->seed = o->seed;
    l->rates[SIM_FAULT_DROP] = o->drop_rate;
    l->rates[SIM_FAULT_FAIL] = o->fail_rate;
    l->rates[SIM_FAULT_HTML] = o->html_rate;
    l->rates[SIM_FAULT_MALFORMED] = o->malformed_rate;
    l->rates[SIM_FAULT_STALL] = o->stall_rate;
    return 0;
}

void sim_limits_free(sim_limits *l)
{
    pthread_mutex_destroy(&l->mu);
}

void sim_limits_reset(sim_limits *l)
{
    pthread_mutex_lock(&l->mu);
    l->tokens = l->burst;
    l->last_ms = sim_now_ms();
    l->seq = 0;
    pthread_mutex_unlock(&l->mu);
}

int sim_rate_take(sim_limits *l, sim_rate_info *info)
{
    memset(info, 0, sizeof *info);
    if (l->limit <= 0)
        return 1;
    double per_ms = (double)l->limit / 60000.0;
    pthread_mutex_lock(&l->mu);
    long long now = sim_now_ms();
    l->tokens += (double)(now - l->last_ms) * per_ms;
    if (l->tokens > l->burst)
        l->tokens = l->burst;
    l->last_ms = now;
    int ok = l->tokens >= 1.0;
    if (ok)
        l->tokens -= 1.0;
    info->limit = l->limit;
    info->remaining = (long)floor(l->tokens);
    info->reset_s = (long)ceil((l->burst - l->tokens) / per_ms / 1000.0);
    info->retry_after_s = ok ? 0 : (long)ceil((1.0 - l->tokens) / per_ms / 1000.0);
    if (!ok && info->retry_after_s < 1)
        info->retry_after_s = 1;
    if (l->silent)
        info->limit = info->remaining = info->reset_s = 0;
    pthread_mutex_unlock(&l->mu);
    return ok;
}

sim_fault sim_fault_draw(sim_limits *l, uint64_t *bits)
{
    double sum = 0;
    for (int k = 1; k < SIM_FAULT_KINDS; k++)
        sum += l->rates[k];
    if (sum <= 0) {
        *bits = 0;
        return SIM_FAULT_NONE;
    }
    pthread_mutex_lock(&l->mu);
    unsigned long long seq = ++l->seq;
    pthread_mutex_unlock(&l->mu);
    uint64_t x = sim_mix64(l->seed ^ 0x5bd1e995ULL ^ sim_mix64(seq));
    *bits = sim_mix64(x);
    double u = sim_unit(x), acc = 0;
    for (int k = 1; k < SIM_FAULT_KINDS; k++) {
        acc += l->rates[k];
        if (l->rates[k] > 0 && u < acc)
            return (sim_fault)k;
    }
    return SIM_FAULT_NONE;
}

const char *sim_fault_name(sim_fault f)
{
    static const char *const names[SIM_FAULT_KINDS] = {"none", "drop",      "fail",
                                                       "html", "malformed", "stall"};
    return (unsigned)f < SIM_FAULT_KINDS ? names[f] : "none";
}
