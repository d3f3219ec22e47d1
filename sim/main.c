/*
 * cwa-sim: a ConnectWise Automate REST API simulator for cwa's demo, tests
 * and benchmarks. `cwa-sim --help` lists every flag (text in opts.c; the
 * same list is in sim/README.md).
 *
 * Startup: parse options, generate the data, make or load the certificate,
 * start the daemon, print "URL http(s)://127.0.0.1:PORT" (and "CA FILE" with
 * TLS) on stdout and flush, then wait for SIGINT or SIGTERM and tear
 * everything down in reverse order. Signals are blocked in every thread and
 * taken with sigwait here, so no handler and no global flag are needed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "sim.h"

int main(int argc, char **argv)
{
    sim_server *s = calloc(1, sizeof *s);
    if (!s) {
        fprintf(stderr, "cwa-sim: out of memory\n");
        return 1;
    }
    int rc = sim_opts_parse(&s->opts, argc, argv);
    if (rc != 0) {
        sim_opts_free(&s->opts);
        free(s);
        return rc > 0 ? 0 : 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    int status = 1;
    int store = 0, auth = 0, stats = 0, limits = 0, cache = 0;
    store = 1; /* a failed init leaves a partial store that free releases */
    if (sim_store_init(&s->store, &s->opts) != 0) {
        fprintf(stderr, "cwa-sim: out of memory generating data\n");
        goto out;
    }
    auth = sim_auth_init(&s->auth, &s->opts) == 0;
    stats = auth && sim_stats_init(&s->stats) == 0;
    limits = stats && sim_limits_init(&s->limits, &s->opts) == 0;
    cache = limits && sim_selcache_init(&s->cache) == 0;
    if (!cache)
        goto out;
    if (s->opts.tls && (s->opts.cert_file ? sim_tls_load(&s->tls, s->opts.cert_file, s->opts.key_file)
                                          : sim_tls_generate(&s->tls)) != 0)
        goto out;
    if (sim_http_start(s) != 0)
        goto out;
    printf("URL %s://127.0.0.1:%d\n", s->opts.tls ? "https" : "http", s->port);
    if (s->opts.tls)
        printf("CA %s\n", s->tls.cert_path);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    sim_http_stop(s);
    status = 0;
out:
    sim_tls_free(&s->tls);
    sim_v2_free(&s->v2);
    if (cache)
        sim_selcache_free(&s->cache);
    if (limits)
        sim_limits_free(&s->limits);
    if (stats)
        sim_stats_free(&s->stats);
    if (auth)
        sim_auth_free(&s->auth);
    if (store)
        sim_store_free(&s->store);
    sim_opts_free(&s->opts);
    free(s);
    return status;
}
