/*
 * mutate: POST, PUT, PATCH and DELETE on Clients, Locations and Tickets
 * (and, through the v2 routes, PUT and DELETE on Contacts and Scripts).
 *
 * Contract: the caller holds the store's lock exclusively. Bodies are JSON;
 * member names match existing fields in any casing.
 *  POST /{coll}: creates a record from the body's object (the id field, if
 *    sent, is ignored; ids are handed out above every existing one); answers
 *    the record, 200 in apitoken (as the spec declares), 201 in
 *    apicredentials. Name (Clients, Locations, Scripts), FirstName (Contacts)
 *    or Subject (Tickets) required.
 *  PUT /{coll}/{id}: overwrites the members the body names, answers 200.
 *  PATCH /{coll}/{id}: a JSON Patch array of {op, path, value} (any casing;
 *    op add, replace or remove; path "/Member[/Nested]"); the id cannot be
 *    changed; answers 200 with the record.
 *  DELETE /{coll}/{id}: 204.
 * Unknown ids 404; bodies of the wrong shape 400 (validation shape).
 */
#ifndef SIM_MUTATE_H
#define SIM_MUTATE_H

#include <stddef.h>

#include "data.h"
#include "resp.h"

int sim_mutable(sim_kind k);
void sim_create(sim_store *s, sim_kind k, const char *body, size_t len, sim_resp *out);
void sim_update(sim_store *s, sim_kind k, long id, int patch, const char *body, size_t len,
                sim_resp *out);
void sim_delete(sim_store *s, sim_kind k, long id, sim_resp *out);

#endif
