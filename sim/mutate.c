#include "mutate.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

int sim_mutable(sim_kind k)
{
    return k == SIM_CLIENTS || k == SIM_LOCATIONS || k == SIM_TICKETS;
}

static void not_found(sim_store *s, sim_kind k, long id, sim_resp *out)
{
    char msg[96], idt[24];
    snprintf(msg, sizeof msg, "No %s with id %ld.", s->c[k].name, id);
    snprintf(idt, sizeof idt, "%ld", id);
    sim_error(out, s->dialect, 404, "NotFound", msg, "id", idt);
}

static int answer(sim_store *s, const sim_record *r, int status, sim_resp *out)
{
    cwa_buf_reset(&out->body);
    if (cwa_buf_append(&out->body, r->json, r->len) != 0)
        return sim_error(out, s->dialect, 500, "ServerError", "out of memory", NULL, NULL);
    out->status = status;
    out->ctype = NULL;
    return 0;
}

/* Sets obj[name] = value (consumed), reusing the existing member's spelling. */
static int set_member(cJSON *obj, const char *name, cJSON *value)
{
    cJSON *have = cJSON_GetObjectItem(obj, name);
    if (have)
        return cJSON_ReplaceItemInObjectCaseSensitive(obj, have->string, value) ? 0 : -1;
    return cJSON_AddItemToObject(obj, name, value) ? 0 : -1;
}

void sim_create(sim_store *s, sim_kind k, const char *body, size_t len, sim_resp *out)
{
    sim_coll *c = &s->c[k];
    cJSON *in = cJSON_ParseWithLength(body ? body : "", len);
    const char *need = k == SIM_TICKETS ? "Subject" : k == SIM_CONTACTS ? "FirstName" : "Name";
    if (!cJSON_IsObject(in) || !cJSON_IsString(cJSON_GetObjectItem(in, need))) {
        char msg[80];
        snprintf(msg, sizeof msg, "The %s field is required.", need);
        sim_error_invalid(out, s->dialect, need, NULL, msg);
        cJSON_Delete(in);
        return;
    }
    cJSON_DeleteItemFromObject(in, c->id_field);
    long id = c->next_id;
    cJSON *idv = cJSON_CreateNumber((double)id);
    if (!idv || !cJSON_AddItemToObject(in, c->id_field, idv)) {
        cJSON_Delete(idv);
        cJSON_Delete(in);
        sim_error(out, s->dialect, 500, "ServerError", "out of memory", NULL, NULL);
        return;
    }
    sim_record *r = sim_record_new(id, in);
    if (!r || sim_coll_append(c, r) != 0) {
        sim_record_free(r);
        sim_error(out, s->dialect, 500, "ServerError", "out of memory", NULL, NULL);
        return;
    }
    answer(s, r, s->dialect == CWA_DIALECT_APICREDENTIALS ? 201 : 200, out);
}

/* Applies one JSON Patch operation; NULL on success, else the fault. */
static const char *apply_op(cJSON *obj, const char *id_field, const cJSON *op)
{
    const cJSON *opv = cJSON_GetObjectItem(op, "op");
    const cJSON *pathv = cJSON_GetObjectItem(op, "path");
    const cJSON *value = cJSON_GetObjectItem(op, "value");
    if (!cJSON_IsString(opv) || !cJSON_IsString(pathv) || pathv->valuestring[0] != '/')
        return "each operation needs op and a path starting with '/'";
    int remove = sim_strieq(opv->valuestring, "remove");
    if (!remove && !sim_strieq(opv->valuestring, "replace") && !sim_strieq(opv->valuestring, "add"))
        return "op must be add, replace or remove";
    if (!remove && !value)
        return "add and replace need a value";
    char path[256];
    snprintf(path, sizeof path, "%s", pathv->valuestring + 1);
    char *seg = path, *slash;
    cJSON *parent = obj;
    while ((slash = strchr(seg, '/')) != NULL) {
        *slash = '\0';
        parent = cJSON_GetObjectItem(parent, seg);
        if (!cJSON_IsObject(parent))
            return "the path names no member";
        seg = slash + 1;
    }
    if (!*seg)
        return "the path names no member";
    if (parent == obj && sim_strieq(seg, id_field))
        return "the id cannot be changed";
    if (remove) {
        if (!cJSON_GetObjectItem(parent, seg))
            return "the path names no member";
        cJSON_DeleteItemFromObject(parent, seg);
        return NULL;
    }
    cJSON *copy = cJSON_Duplicate(value, 1);
    if (!copy || set_member(parent, seg, copy) != 0) {
        cJSON_Delete(copy);
        return "out of memory";
    }
    return NULL;
}

void sim_update(sim_store *s, sim_kind k, long id, int patch, const char *body, size_t len,
                sim_resp *out)
{
    sim_coll *c = &s->c[k];
    sim_record *r = sim_coll_find(c, id);
    if (!r) {
        not_found(s, k, id, out);
        return;
    }
    cJSON *in = cJSON_ParseWithLength(body ? body : "", len);
    if (patch ? !cJSON_IsArray(in) : !cJSON_IsObject(in)) {
        sim_error_invalid(out, s->dialect, "body", NULL,
                          patch ? "The body must be a JSON Patch array."
                                : "The body must be a JSON object.");
        cJSON_Delete(in);
        return;
    }
    /* work on a copy so a failing operation leaves the record unchanged */
    cJSON *next = cJSON_Duplicate(r->obj, 1);
    const char *fault = next ? NULL : "out of memory";
    const cJSON *item;
    cJSON_ArrayForEach(item, in)
    {
        if (fault)
            break;
        if (patch) {
            fault = cJSON_IsObject(item) ? apply_op(next, c->id_field, item)
                                         : "each operation must be an object";
        } else if (!sim_strieq(item->string, c->id_field)) {
            cJSON *copy = cJSON_Duplicate(item, 1);
            if (!copy || set_member(next, item->string, copy) != 0) {
                cJSON_Delete(copy);
                fault = "out of memory";
            }
        }
    }
    cJSON_Delete(in);
    if (fault) {
        cJSON_Delete(next);
        sim_error_invalid(out, s->dialect, "body", NULL, fault);
        return;
    }
    cJSON *old = r->obj;
    r->obj = next;
    if (sim_record_sync(r) != 0) {
        r->obj = old;
        cJSON_Delete(next);
        sim_error(out, s->dialect, 500, "ServerError", "out of memory", NULL, NULL);
        return;
    }
    cJSON_Delete(old);
    c->version++;
    answer(s, r, 200, out);
}

void sim_delete(sim_store *s, sim_kind k, long id, sim_resp *out)
{
    if (sim_coll_remove(&s->c[k], id) != 0) {
        not_found(s, k, id, out);
        return;
    }
    sim_resp_empty(out, 204);
}
