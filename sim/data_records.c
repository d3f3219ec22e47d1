/*
 * data_records: records (a cJSON object and its serialized JSON) and the
 * collections that hold them in ascending id order: creation, re-sync,
 * lookup by id (binary search), append and removal (data.h).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "json.h"

sim_record *sim_record_new(long id, cJSON *obj)
{
    return sim_record_make(id, obj, 0);
}

sim_record *sim_record_make(long id, cJSON *obj, int string_id)
{
    sim_record *r = obj ? calloc(1, sizeof *r) : NULL;
    if (!r) {
        cJSON_Delete(obj);
        return NULL;
    }
    r->id = id;
    r->obj = obj;
    r->string_id = string_id;
    if (sim_record_sync(r) != 0) {
        sim_record_free(r);
        return NULL;
    }
    return r;
}

int sim_record_sync(sim_record *r)
{
    size_t len;
    char *j = sim_json_print_record(r->obj, r->string_id, &len);
    if (!j)
        return -1;
    free(r->json);
    r->json = j;
    r->len = len;
    return 0;
}

void sim_record_free(sim_record *r)
{
    if (!r)
        return;
    cJSON_Delete(r->obj);
    free(r->json);
    free(r);
}

void sim_records_free(sim_record **rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        sim_record_free(rows[i]);
    free(rows);
}

static long find_index(const sim_coll *c, long id)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->rows[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n && c->rows[lo]->id == id ? (long)lo : -1;
}

sim_record *sim_coll_find(const sim_coll *c, long id)
{
    long i = find_index(c, id);
    return i < 0 ? NULL : c->rows[i];
}

int sim_coll_append(sim_coll *c, sim_record *r)
{
    if (c->string_ids && !r->string_id) {
        r->string_id = 1;
        if (sim_record_sync(r) != 0) {
            r->string_id = 0;
            return -1;
        }
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        sim_record **rows = realloc(c->rows, cap * sizeof *rows);
        if (!rows)
            return -1;
        c->rows = rows;
        c->cap = cap;
    }
    c->rows[c->n++] = r;
    c->version++;
    if (r->id >= c->next_id)
        c->next_id = r->id + 1;
    return 0;
}

int sim_coll_remove(sim_coll *c, long id)
{
    long i = find_index(c, id);
    if (i < 0)
        return -1;
    sim_record_free(c->rows[i]);
    memmove(&c->rows[i], &c->rows[i + 1], (c->n - (size_t)i - 1) * sizeof *c->rows);
    c->n--;
    c->version++;
    return 0;
}
