/*
 * query: the query string of a request.
 *
 * Contract: sim_query_parse splits a raw query string (after '?') into
 * decoded key/value pairs (%XX and '+' decoded), keeping their order.
 * Lookups are case-insensitive, as Automate's binder is; `duplicate` is set
 * when a key appears twice in any casing (real servers answer 400 "An item
 * with the same key has already been added."). sim_query_key builds the
 * normalized form /__stats uses: lowercased path, '?', pairs sorted by
 * lowercased key, joined with '&' (values decoded, as sent). Everything the
 * query owns goes with sim_query_free.
 */
#ifndef SIM_QUERY_H
#define SIM_QUERY_H

#include <stddef.h>

typedef struct sim_param {
    char *key;
    char *value;
} sim_param;

typedef struct sim_query {
    sim_param *p;
    size_t n;
    int duplicate;
} sim_query;

/* 0 on success, -1 when memory ran out. */
int sim_query_parse(sim_query *q, const char *qs);
const char *sim_query_get(const sim_query *q, const char *key);
/* Malloc'd normalized key, NULL when memory ran out. */
char *sim_query_key(const char *path, const sim_query *q);
void sim_query_free(sim_query *q);

#endif
