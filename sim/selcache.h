/*
 * selcache: recently computed selections (filtered and ordered rows) of
 * whole collections, so paging through a filtered listing evaluates the
 * condition once instead of once per page.
 *
 * Contract: thread-safe (own mutex). An entry is keyed by the caller's text
 * (collection, condition, orderBy, ids) and the collection's version, which
 * changes with every insert, removal or record change; a version mismatch is
 * a miss, so cached pointers are only read while the rows they point to are
 * unchanged, and callers hold the store's lock while using what get copied
 * out. Eight entries, replaced round-robin. sim_selcache_put takes `rows`.
 */
#ifndef SIM_SELCACHE_H
#define SIM_SELCACHE_H

#include <pthread.h>
#include <stddef.h>

#include "data.h"

#define SIM_SELCACHE_SIZE 8

typedef struct sim_selection {
    char *key;
    unsigned long version;
    sim_record **rows;
    size_t n;
} sim_selection;

typedef struct sim_selcache {
    pthread_mutex_t mu;
    sim_selection e[SIM_SELCACHE_SIZE];
    unsigned next;
} sim_selcache;

int sim_selcache_init(sim_selcache *c);
void sim_selcache_free(sim_selcache *c);
/* On a hit copies rows [first, first + max) into out (*count of them), sets
 * *total and returns 1; 0 on a miss. */
int sim_selcache_get(sim_selcache *c, const char *key, unsigned long version, size_t first, size_t max,
                     sim_record **out, size_t *count, size_t *total);
void sim_selcache_put(sim_selcache *c, const char *key, unsigned long version, sim_record **rows,
                      size_t n);

#endif
