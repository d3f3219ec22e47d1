/*
 * v2: the routes under /cwa/api/v2/ (apitoken dialect only).
 *
 * Contract (the caller checked the bearer token):
 *  /v2/Contacts and /v2/Scripts serve the same records as v1 in the v2
 *  contracts' shape: the record's Id is named ContactId or ScriptId (an
 *  integer, also with --string-ids) and a nested object's Id takes the
 *  object's name (Client.ClientId, Location.LocationId, Folder.FolderId).
 *  GET lists them with every v1 query option (conditions and orderBy name
 *  the v2 fields) and reads one by id; POST creates (FirstName, or Name for
 *  scripts, required), PUT /{id} overwrites the members sent, DELETE /{id}
 *  answers 204; other methods 405. Writes go to the v1 collection, so both
 *  versions always show the same data.
 *  GET /v2/Groups/{id}/Computers lists the group's computers (v1 shape;
 *  membership is a fixed pseudo-random quarter of the fleet per group, a
 *  function of seed, group and computer), 404 for an unknown group.
 *  Anything else under /v2/ is 404.
 *
 * The v2 records are a view rebuilt from the v1 collection whenever its
 * version changed; sim_v2_route holds the store's lock exclusively for the
 * whole call, so the view is only touched under it.
 */
#ifndef SIM_V2_H
#define SIM_V2_H

#include <stddef.h>

#include "data.h"

struct sim_server;
struct sim_segs;
struct sim_query;
struct sim_resp;

typedef struct sim_v2view {
    sim_coll coll;             /* v2-shaped copies of the v1 rows */
    unsigned long src_version; /* of the v1 collection when built */
    int built;
} sim_v2view;

typedef struct sim_v2 {
    sim_v2view contacts, scripts;
} sim_v2;

void sim_v2_free(sim_v2 *v);
void sim_v2_route(struct sim_server *s, const char *method, const char *rel, const struct sim_segs *sg,
                  const struct sim_query *q, const char *body, size_t len, struct sim_resp *out);

#endif
