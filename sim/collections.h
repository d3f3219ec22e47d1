/*
 * collections: listing and reading records with Automate's query options.
 *
 * Contract: the caller holds the store's lock (shared is enough) for the
 * whole call; nothing here keeps a pointer afterwards.
 *
 * sim_list answers a listing of rows (ascending id) with:
 *  page (1-based, default 1), pageSize (1..1000; default 250 in apitoken,
 *  50 in apicredentials; larger is a 400), condition (cwa_cond with the
 *  dialect; syntax, unknown-field and type errors 400 with the parser's
 *  "column N: ..." message, server-kind errors 500), orderBy ("Field
 *  [asc|desc]", dotted fields, several separated by commas; ties broken by
 *  ascending id so paging is stable), includeFields / excludeFields (comma
 *  lists, dotted paths keep or drop nested members, unknown names ignored),
 *  ids (comma list of ids), expand (accepted; "tickets" on computers adds a
 *  Tickets array). Parameter names are case-insensitive. Totals follow
 *  --totals: none = a bare array; headers = X-Total-Count, X-Page,
 *  X-Page-Size, X-Total-Pages; body = {"ResultSet":[...],"TotalRecordCount"}.
 *
 * Filtered or ordered selections of whole collections are kept in the
 * source's cache (when set) and reused for the next pages.
 *
 * sim_item answers one record (404 in the dialect's error shape when r is
 * NULL), honouring includeFields/excludeFields/expand.
 */
#ifndef SIM_COLLECTIONS_H
#define SIM_COLLECTIONS_H

#include <stddef.h>

#include "data.h"
#include "opts.h"
#include "query.h"
#include "resp.h"
#include "selcache.h"

typedef struct sim_source {
    sim_record *const *rows;
    size_t n;
    const struct cJSON *templ;
    const char *id_field;
    const char *what; /* "Computer", for messages */
    int computers;    /* expand=tickets applies */
    int kind;
    unsigned long version; /* of the collection, for the cache */
    sim_selcache *cache;   /* NULL: do not cache (sub-collections) */
} sim_source;

void sim_list(const sim_store *s, const sim_opts *o, const sim_query *q, const sim_source *src,
              sim_resp *out);
void sim_item(const sim_store *s, const sim_opts *o, const sim_query *q, const sim_source *src,
              const sim_record *r, const char *id_text, sim_resp *out);

/* The source describing a whole collection. */
sim_source sim_source_of(const sim_store *s, sim_kind k);

#endif
