/*
 * router: maps an API call under /cwa/api/v1/ or /cwa/api/v2/ to its
 * handler.
 *
 * Contract: `rel` is the lowercased path after "/cwa/api/vN/" without a
 * trailing slash (paths are case-insensitive, as on real servers). The
 * dialect decides which routes exist: /apitoken[/refresh], /apitoken/Disable,
 * /Batch/ScriptExecute, POST /Computers/{id}/CommandExecute and every v2
 * route (v2.h) in apitoken; /APICredentials[/Refresh] and POST
 * /Computers/{id}/Scripts/{sid}/Execute in apicredentials; the other's
 * routes are 404 (so a client can detect the dialect). Everything but login
 * and refresh needs a live bearer token (401 otherwise). Unknown collections
 * 404, known routes with another method 405. sim_route takes the store's
 * lock as each handler needs it.
 */
#ifndef SIM_ROUTER_H
#define SIM_ROUTER_H

#include <stddef.h>

#include "query.h"
#include "resp.h"
#include "sim.h"

#define SIM_MAX_SEGS 8

/* A path split at its slashes. */
typedef struct sim_segs {
    char buf[512];
    char *s[SIM_MAX_SEGS];
    int n;
} sim_segs;

typedef enum sim_call_kind {
    SIM_CALL_DATA,
    SIM_CALL_LOGIN,
    SIM_CALL_REFRESH,
    SIM_CALL_OTHER
} sim_call_kind;

/* What a call is, for the fault injector: DATA = GET or POST on anything but
 * login and refresh; OTHER = PUT, PATCH, DELETE, .... */
sim_call_kind sim_classify(const sim_opts *o, const char *method, const char *rel);

void sim_route(sim_server *s, int version, const char *method, const char *rel, const sim_query *q,
               const char *body, size_t len, const char *authorization, sim_resp *out);

/* The answers of paths and methods that do not exist, for the v2 routes too. */
void sim_not_found_route(const sim_opts *o, int version, const char *rel, sim_resp *out);
void sim_not_allowed(const sim_opts *o, const char *method, sim_resp *out);
/* Parses an id segment; -1 with a 400 answered when it is not one. */
int sim_parse_id(const sim_opts *o, const char *text, long *id, sim_resp *out);

#endif
