/*
 * data_gen: private to sim/data*.c, the generator of records behind data.h.
 *
 *   data_fields.c  the pseudo-random stream and the JSON field setters
 *   data_fleet.c   clients, locations and computers, and the names (of
 *                  companies, places, people) the other rows share
 *   data_rows.c    every other row, derived from the index or from a
 *                  computer; the templates; a computer's software
 *
 * Contract: a generated row is a pure function of (seed, dialect, kind,
 * index) and of the collections generated before it (alerts, monitors and
 * tickets copy fields of some computer), so the store generates the
 * collections in a fixed order: clients, locations, computers, then the
 * rest. Every builder returns a fresh cJSON object owned by the caller, or
 * NULL when memory ran out (nothing leaks). Nothing here locks: builders
 * only read the store. Strings of the static tables go in as cJSON string
 * references: they are never copied per record, nor freed.
 */
#ifndef SIM_DATA_GEN_H
#define SIM_DATA_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"

struct cJSON;

/* Every generated date is relative to this fixed moment (2024-06-01T12:00:00Z)
 * so data is the same whenever it is generated. */
#define BASE_TIME 1717243200L
#define DAY 86400L

#define COUNT(a) (long)(sizeof(a) / sizeof(a)[0])

/* The sizes the rows refer to: how many clients and locations there are. */
typedef struct sim_shape {
    long nclients, nlocations;
} sim_shape;

/* ---- data_fields.c ---- */

/* One stream of pseudo-random numbers per (collection, record, draw). */
uint64_t sim_rnd(const sim_store *s, int kind, long id, int k);

/* Each setter adds field k to object o; when the value cannot be made or
 * added it is freed and *ok becomes 0, so a builder checks once, at the end
 * (sim_row_done). */
void sim_set_item(struct cJSON *o, const char *k, struct cJSON *item, int *ok);
void sim_push_item(struct cJSON *arr, struct cJSON *item, int *ok);
void sim_set_str(struct cJSON *o, const char *k, const char *v, int *ok);
/* For strings from the static tables: no copy per record (cJSON leaves
 * references alone when deleting, and duplicates copy them). */
void sim_set_cstr(struct cJSON *o, const char *k, const char *v, int *ok);
void sim_set_num(struct cJSON *o, const char *k, double v, int *ok);
void sim_set_bool(struct cJSON *o, const char *k, int v, int *ok);
/* An Automate date ("YYYY-MM-DDTHH:MM:SS", no zone) of the epoch second t. */
void sim_set_date(struct cJSON *o, const char *k, long t, int *ok);
/* A nested reference {Id, Name}; without Name when name is NULL. */
void sim_set_ref(struct cJSON *o, const char *k, long id, const char *name, int *ok);
/* o when every field went in, else NULL (o freed): the rows' last step. */
struct cJSON *sim_row_done(struct cJSON *o, int ok);

/* ---- data_fleet.c ---- */

/* The id of the i-th client: 1..10, then 100, 101, ... */
long sim_client_id(long i);
void sim_client_name(long i, char *out, size_t cap);
/* The DNS domain of the i-th client's company. */
const char *sim_client_domain(long i);
/* The name of location j ("Main Office", "Denver Branch", ...). */
void sim_location_name(long j, long nclients, char *out, size_t cap);
/* A first or last name drawn from r. */
const char *sim_first_name(uint64_t r);
const char *sim_last_name(uint64_t r);

struct cJSON *sim_gen_client(const sim_store *s, long i);
struct cJSON *sim_gen_location(const sim_store *s, long j, long nclients);
/* The computer with this id (ids start at 1). */
struct cJSON *sim_gen_computer(const sim_store *s, long id, const sim_shape *sh);

/* ---- data_rows.c ---- */

/* The id of the row at index i of public collection k. */
long sim_gen_id(sim_kind k, long i);
/* The row at index i of public collection k (NULL for other kinds). */
struct cJSON *sim_gen_row(const sim_store *s, sim_kind k, long i, const sim_shape *sh);
/* A record of collection k's shape for an empty collection: the row at
 * index 0 for the public kinds, a blank row for the others. */
struct cJSON *sim_gen_template(const sim_store *s, sim_kind k, const sim_shape *sh);

#endif
