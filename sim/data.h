/*
 * data: the simulator's records and their deterministic generation.
 *
 * Contract: sim_store_init generates every collection from the options
 * (same seed and sizes, same records, byte for byte) and sim_store_free
 * releases all of it. Each record keeps its parsed cJSON object (for
 * condition evaluation, ordering and field selection) and its serialized
 * JSON (so plain listings are a memcpy); whoever changes `obj` calls
 * sim_record_sync. Rows of a collection are kept in ascending id order and
 * only ever appended with higher ids, so lookups are binary searches.
 *
 * Locking: the store's rwlock guards every collection. Readers (listings,
 * item reads) hold it shared; mutations, churn and the settling of pending
 * script/command rows hold it exclusive. The functions here do not lock:
 * callers do.
 *
 * Shapes follow automate-api.md: nested Client {Id, Name} and Location
 * {Id, Name}, unquoted ISO dates without a zone, Id as a number. In the
 * apicredentials dialect computers also carry the brief's flat names
 * (ComputerID, Name, ClientID, LocationID, OS, LastContact, DiskFreePercent)
 * and alerts and locations a flat ClientID, with the same values.
 * Client ids run 1..10 then 100, 101, ... (gaps as on real servers) so both
 * "Client.Id = 5" and "ClientID = 100" select something.
 */
#ifndef SIM_DATA_H
#define SIM_DATA_H

#include <pthread.h>
#include <stddef.h>

#include "cwa_cond.h"
#include "opts.h"

struct cJSON;

typedef struct sim_record {
    long id;
    long parent;      /* owning computer of history/command rows, else 0 */
    long long due_ms; /* monotonic time a pending row settles; 0 = settled */
    struct cJSON *obj;
    char *json;
    size_t len;
} sim_record;

typedef enum sim_kind {
    SIM_COMPUTERS,
    SIM_CLIENTS,
    SIM_LOCATIONS,
    SIM_CONTACTS,
    SIM_ALERTS,
    SIM_SCRIPTS,
    SIM_MONITORS,
    SIM_GROUPS,
    SIM_TICKETS,
    SIM_PUBLIC_KINDS, /* the collections routed as /{name} */
    SIM_HISTORY = SIM_PUBLIC_KINDS,
    SIM_COMMANDS,
    SIM_SOFTWARE, /* generated per computer on demand; only the template is kept */
    SIM_KINDS
} sim_kind;

typedef struct sim_coll {
    const char *name;     /* lowercase route segment */
    const char *id_field; /* "Id", "AlertId", ... */
    sim_record **rows;
    size_t n, cap;
    long next_id;
    unsigned long version; /* bumped by append and removal; whoever changes a
                            * record's obj bumps it too */
    struct cJSON *templ; /* a record of the collection's shape (field checks) */
} sim_coll;

typedef struct sim_store {
    pthread_rwlock_t lock;
    cwa_dialect dialect;
    unsigned long long seed;
    sim_coll c[SIM_KINDS];
    unsigned long churn_round;
    int computers_listed;
} sim_store;

int sim_store_init(sim_store *s, const sim_opts *o);
void sim_store_free(sim_store *s);

/* The public collection routed as name (any casing), or -1. */
int sim_kind_of(const char *name);

/* Takes obj (also on failure) and serializes it; NULL when memory ran out. */
sim_record *sim_record_new(long id, struct cJSON *obj);
/* Re-serializes after obj changed; -1 when memory ran out (old JSON kept). */
int sim_record_sync(sim_record *r);
void sim_record_free(sim_record *r);

sim_record *sim_coll_find(const sim_coll *c, long id);
/* Appends r (its id must be above every other); -1 when memory ran out. */
int sim_coll_append(sim_coll *c, sim_record *r);
/* Removes and frees the row; 0 if it existed, -1 if not. */
int sim_coll_remove(sim_coll *c, long id);

/* --churn: removes n pseudo-random computers and appends n new ones. */
int sim_store_churn(sim_store *s, long n);

/* The installed software of one computer, generated from its id: an array
 * of *n fresh records the caller frees with sim_records_free. */
int sim_data_software(const sim_store *s, const sim_record *computer, sim_record ***out,
                      size_t *n);
void sim_records_free(sim_record **rows, size_t n);

#endif
