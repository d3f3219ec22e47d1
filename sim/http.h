/*
 * http: the libmicrohttpd daemon and everything between the socket and the
 * router: limits, latency, ClientId, faults, stats, logging.
 *
 * Contract: sim_http_start binds 127.0.0.1:opts.port (0 = any free port,
 * the chosen one lands in s->port), serves https when s->tls has a
 * certificate, and runs one thread per connection (keep-alive, so slow
 * answers and stalled bodies never hold up other connections).
 * sim_http_stop sets s->stopping, then stops the daemon and waits for its
 * threads. Order of checks on an API request: --max-concurrent (429),
 * --latency-ms, --rate-limit (429), ClientId in apitoken (401), repeated
 * query keys (400), faults on data calls, then the router. Every API
 * response carries X-RateLimit-* headers when rate limiting is on.
 * A request is "in flight" (stats, --max-concurrent) from the moment its
 * body has arrived until its answer is queued, so a client that waits for
 * each answer before reusing its connection never trips the limit by a race
 * with the server's bookkeeping. --verbose logs method, path with the raw
 * query, status and time per request (never headers or bodies, so never a
 * token or password).
 * /__stats (GET) and /__reset (POST) bypass all of it.
 */
#ifndef SIM_HTTP_H
#define SIM_HTTP_H

#include "sim.h"

int sim_http_start(sim_server *s);
void sim_http_stop(sim_server *s);

#endif
