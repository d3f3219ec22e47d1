/*
 * data_fields: the generator's primitives (data_gen.h): the pseudo-random
 * stream every drawn value comes from, and the setters that add one field
 * to a row and record a failure in the row's ok flag.
 */
#include <cjson/cJSON.h>
#include <time.h>

#include "data_gen.h"
#include "util.h"

uint64_t sim_rnd(const sim_store *s, int kind, long id, int k)
{
    return sim_mix64(s->seed * 0x9e3779b97f4a7c15ULL ^
                     sim_mix64(((uint64_t)kind << 56) ^ ((uint64_t)id << 8) ^ (uint64_t)k));
}

void sim_set_item(cJSON *o, const char *k, cJSON *item, int *ok)
{
    if (!item || !cJSON_AddItemToObjectCS(o, k, item)) {
        cJSON_Delete(item);
        *ok = 0;
    }
}
void sim_push_item(cJSON *arr, cJSON *item, int *ok)
{
    if (!item || !cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        *ok = 0;
    }
}
void sim_set_str(cJSON *o, const char *k, const char *v, int *ok)
{
    sim_set_item(o, k, cJSON_CreateString(v), ok);
}
void sim_set_cstr(cJSON *o, const char *k, const char *v, int *ok)
{
    sim_set_item(o, k, cJSON_CreateStringReference(v), ok);
}
void sim_set_num(cJSON *o, const char *k, double v, int *ok)
{
    sim_set_item(o, k, cJSON_CreateNumber(v), ok);
}
void sim_set_bool(cJSON *o, const char *k, int v, int *ok)
{
    sim_set_item(o, k, cJSON_CreateBool(v), ok);
}
void sim_set_date(cJSON *o, const char *k, long t, int *ok)
{
    char buf[20];
    sim_iso((time_t)t, buf);
    sim_set_str(o, k, buf, ok);
}
void sim_set_ref(cJSON *o, const char *k, long id, const char *name, int *ok)
{
    cJSON *r = cJSON_CreateObject();
    if (r) {
        sim_set_num(r, "Id", (double)id, ok);
        if (name)
            sim_set_str(r, "Name", name, ok);
    }
    sim_set_item(o, k, r, ok);
}

cJSON *sim_row_done(cJSON *o, int ok)
{
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
