/*
 * opts: the command line of cwa-sim.
 *
 * Contract: sim_opts_parse fills a sim_opts from argv (defaults first), and
 * returns 0 to run, 1 when --help was printed (exit 0), -1 on a usage error
 * (message already written to stderr, exit 2). The users list and path
 * strings it allocates are released by sim_opts_free. Nothing here touches
 * the network or the data.
 */
#ifndef SIM_OPTS_H
#define SIM_OPTS_H

#include <stdio.h>

#include "cwa_cond.h"

typedef enum sim_totals {
    SIM_TOTALS_DEFAULT = 0,
    SIM_TOTALS_NONE,
    SIM_TOTALS_HEADERS,
    SIM_TOTALS_BODY
} sim_totals;

typedef struct sim_user {
    char *name;
    char *password;
    char *code; /* fixed 2FA code; NULL for users without 2FA */
} sim_user;

typedef struct sim_opts {
    int port;
    cwa_dialect dialect;
    sim_totals totals; /* never DEFAULT after parsing */
    unsigned long long seed;
    long computers, clients, locations, alerts, scripts, contacts, monitors, groups, tickets;
    long token_ttl;      /* seconds */
    long token_absolute; /* seconds from login to AbsoluteExpirationDate */
    sim_user *users;
    size_t nusers;
    char *totp_secret; /* base32, optional */
    long script_ms;
    long churn;
    long rate_limit;   /* requests per minute, 0 = off */
    long limit_silent; /* the same bucket, answered without X-RateLimit-* headers */
    long burst;
    long max_concurrent;
    long latency_ms;
    double fail_rate, drop_rate, malformed_rate, html_rate, stall_rate;
    long stall_ms;
    int fault_logins;
    int tls;
    char *cert_file, *key_file;
    int verbose;
    int string_ids; /* Id of Computers, Clients, ... serialised as a JSON string */
    long tz_offset; /* seconds east of UTC of the clock-derived dates */
} sim_opts;

int sim_opts_parse(sim_opts *o, int argc, char **argv);
void sim_opts_usage(FILE *f);
void sim_opts_free(sim_opts *o);

#endif
