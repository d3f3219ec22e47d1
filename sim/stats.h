/*
 * stats: the counters /__stats reports and /__reset zeroes.
 *
 * Contract: every function is thread-safe (one mutex). Requests to /__stats
 * and /__reset themselves are never counted. JSON shape of sim_stats_json:
 *   {"requests":N, "by_status":{"200":N,...}, "logins":N, "login_failures":N,
 *    "refreshes":N, "two_factor_challenges":N, "logouts":N (calls to
 *    /apitoken/Disable), "rate_limited":N (every 429),
 *    "concurrency_limited":N (the 429s of --max-concurrent),
 *    "proxied":N (requests in a proxy's absolute form, http://host:port/path),
 *    "faults":{"drop":N,"fail":N,"html":N,"malformed":N,"stall":N},
 *    "max_concurrency":N, "in_flight":N,
 *    "pages":{"/cwa/api/v1/computers?page=1&pagesize=100":N,...},
 *    "requests_by_path":{"POST /cwa/api/v1/apitoken":N,...}}
 * `pages` counts listings answered 200, keyed by sim_query_key (path
 * lowercased, query keys lowercased and sorted); `requests_by_path` counts
 * every other answered API call by method and lowercased path.
 * Reset keeps in_flight (it is a state, not a counter) and restarts
 * max_concurrency from it.
 */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <pthread.h>
#include <stddef.h>

#include "faults.h"

struct cJSON;

typedef enum sim_stat {
    SIM_STAT_LOGIN,
    SIM_STAT_LOGIN_FAILURE,
    SIM_STAT_REFRESH,
    SIM_STAT_TWO_FACTOR,
    SIM_STAT_RATE_LIMITED,
    SIM_STAT_CONCURRENCY_LIMITED,
    SIM_STAT_PROXIED,
    SIM_STAT_LOGOUT,
    SIM_STAT_KINDS
} sim_stat;

typedef struct sim_count {
    char *key;
    unsigned long n;
} sim_count;

typedef struct sim_countmap {
    sim_count *v;
    size_t n, cap;
} sim_countmap;

typedef struct sim_stats {
    pthread_mutex_t mu;
    unsigned long requests;
    unsigned long by_status[600];
    unsigned long counts[SIM_STAT_KINDS];
    unsigned long faults[SIM_FAULT_KINDS];
    long in_flight, max_concurrency;
    sim_countmap pages, paths;
} sim_stats;

int sim_stats_init(sim_stats *s);
void sim_stats_free(sim_stats *s);
void sim_stats_reset(sim_stats *s);
/* A request arrived: counts it and returns the number now in flight. */
long sim_stats_enter(sim_stats *s);
void sim_stats_leave(sim_stats *s);
void sim_stats_count(sim_stats *s, sim_stat which);
void sim_stats_fault(sim_stats *s, sim_fault f);
/* An answer went out; page_key for listings, else method+path in `path`. */
void sim_stats_answer(sim_stats *s, int status, const char *page_key, const char *path);
/* NULL when memory ran out. */
struct cJSON *sim_stats_json(sim_stats *s);

#endif
