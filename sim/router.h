/*
 * router: maps an API call under /cwa/api/v1/ to its handler.
 *
 * Contract: `rel` is the lowercased path after "/cwa/api/v1/" without a
 * trailing slash (paths are case-insensitive, as on real servers). The
 * dialect decides which routes exist: /apitoken[/refresh], /Batch/
 * ScriptExecute and POST /Computers/{id}/CommandExecute in apitoken;
 * /APICredentials[/Refresh] and POST /Computers/{id}/Scripts/{sid}/Execute
 * in apicredentials; the other's routes are 404 (so a client can detect
 * the dialect). Everything but login and refresh needs a live bearer token
 * (401 otherwise). Unknown collections 404, known routes with another method
 * 405. sim_route takes the store's lock as each handler needs it.
 */
#ifndef SIM_ROUTER_H
#define SIM_ROUTER_H

#include <stddef.h>

#include "query.h"
#include "resp.h"
#include "sim.h"

typedef enum sim_call_kind {
    SIM_CALL_DATA,
    SIM_CALL_LOGIN,
    SIM_CALL_REFRESH,
    SIM_CALL_OTHER
} sim_call_kind;

/* What a call is, for the fault injector: DATA = GET or POST on anything but
 * login and refresh; OTHER = PUT, PATCH, DELETE, .... */
sim_call_kind sim_classify(const sim_opts *o, const char *method, const char *rel);

void sim_route(sim_server *s, const char *method, const char *rel, const sim_query *q, const char *body,
               size_t len, const char *authorization, sim_resp *out);

#endif
