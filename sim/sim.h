/*
 * sim: the state of one simulator process, owned by main and handed to
 * every request handler (no global state anywhere in cwa-sim).
 *
 * Contract: built by main before the HTTP daemon starts and torn down after
 * it stopped; opts is read-only while serving; each member guards itself
 * (store: rwlock, also over v2; auth, stats, limits, cache: mutexes); `stopping` tells stalled
 * bodies and sleeps to give up.
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdatomic.h>

#include "auth.h"
#include "data.h"
#include "faults.h"
#include "opts.h"
#include "selcache.h"
#include "stats.h"
#include "tls.h"
#include "v2.h"

struct MHD_Daemon;

typedef struct sim_server {
    sim_opts opts;
    sim_store store;
    sim_auth auth;
    sim_stats stats;
    sim_limits limits;
    sim_selcache cache;
    sim_v2 v2; /* guarded by the store's lock */
    sim_tls tls;
    atomic_int stopping;
    struct MHD_Daemon *daemon;
    int port;
} sim_server;

#endif
