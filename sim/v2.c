#include "v2.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collections.h"
#include "json.h"
#include "mutate.h"
#include "router.h"
#include "sim.h"
#include "util.h"

static int is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

/* A copy of obj with its "Id" named id_name and, one level down, each
 * object's "Id" named after the object (Client.Id -> Client.ClientId); with
 * back set, the reverse (what a v2 body means in v1 names). NULL when memory
 * ran out. */
static cJSON *rekey(const cJSON *obj, const char *id_name, int nested, int back)
{
    cJSON *o = cJSON_CreateObject();
    const cJSON *m;
    cJSON_ArrayForEach(m, obj)
    {
        if (!o)
            break;
        const char *key = m->string;
        if (back ? sim_strieq(key, id_name) : sim_strieq(key, "Id"))
            key = back ? "Id" : id_name;
        cJSON *v;
        if (nested && cJSON_IsObject(m)) {
            char inner[128];
            snprintf(inner, sizeof inner, "%sId", m->string);
            v = rekey(m, inner, 0, back);
        } else {
            v = cJSON_Duplicate(m, 1);
        }
        if (!v || !cJSON_AddItemToObject(o, key, v)) {
            cJSON_Delete(v);
            cJSON_Delete(o);
            o = NULL;
        }
    }
    return o;
}

typedef struct v2kind {
    sim_kind kind;
    const char *id_field;
    const char *what;
} v2kind;

static const v2kind contacts = {SIM_CONTACTS, "ContactId", "Contact"};
static const v2kind scripts = {SIM_SCRIPTS, "ScriptId", "Script"};

static void view_clear(sim_v2view *v)
{
    for (size_t i = 0; i < v->coll.n; i++)
        sim_record_free(v->coll.rows[i]);
    free(v->coll.rows);
    cJSON_Delete(v->coll.templ);
    memset(v, 0, sizeof *v);
}

void sim_v2_free(sim_v2 *v)
{
    view_clear(&v->contacts);
    view_clear(&v->scripts);
}

/* Brings the view up to date with the v1 collection; -1 when memory ran
 * out (the view is then empty and rebuilt on the next call). */
static int view_sync(sim_v2view *v, const sim_coll *src, const v2kind *k)
{
    if (v->built && v->src_version == src->version)
        return 0;
    view_clear(v);
    v->coll.name = src->name;
    v->coll.id_field = k->id_field;
    if (!(v->coll.templ = rekey(src->templ, k->id_field, 1, 0)))
        return -1;
    for (size_t i = 0; i < src->n; i++) {
        cJSON *obj = rekey(src->rows[i]->obj, k->id_field, 1, 0);
        sim_record *r = obj ? sim_record_new(src->rows[i]->id, obj) : NULL;
        if (!r || sim_coll_append(&v->coll, r) != 0) {
            sim_record_free(r);
            view_clear(v);
            return -1;
        }
    }
    v->built = 1;
    v->src_version = src->version;
    return 0;
}

static sim_source view_source(const sim_v2view *v, const v2kind *k)
{
    sim_source src;
    memset(&src, 0, sizeof src);
    src.rows = v->coll.rows;
    src.n = v->coll.n;
    src.templ = v->coll.templ;
    src.id_field = k->id_field;
    src.what = k->what;
    src.kind = (int)k->kind;
    src.version = v->coll.version;
    return src;
}

static void oom(const sim_opts *o, sim_resp *out)
{
    sim_error(out, o->dialect, 500, "ServerError", "out of memory", NULL, NULL);
}

/* The v1 JSON text of a v2 body; NULL when it is not a JSON object (the
 * v1 handler then answers the 400) or memory ran out (*nomem set). */
static char *body_to_v1(const char *body, size_t len, const v2kind *k, size_t *out_len, int *nomem)
{
    cJSON *in = cJSON_ParseWithLength(body ? body : "", len);
    *nomem = 0;
    if (!cJSON_IsObject(in)) {
        cJSON_Delete(in);
        return NULL;
    }
    cJSON *v1 = rekey(in, k->id_field, 1, 1);
    cJSON_Delete(in);
    char *text = v1 ? sim_json_print(v1, out_len) : NULL;
    cJSON_Delete(v1);
    *nomem = !text;
    return text;
}

/* Turns a v1 record answer into the v2 shape; errors pass through. */
static void answer_to_v2(const sim_opts *o, const v2kind *k, sim_resp *out)
{
    if (out->status != 200)
        return;
    cJSON *v1 = cJSON_ParseWithLength(out->body.data ? out->body.data : "", out->body.len);
    cJSON *v2 = v1 ? rekey(v1, k->id_field, 1, 0) : NULL;
    cJSON_Delete(v1);
    if (!v2)
        oom(o, out);
    else
        sim_resp_take(out, 200, v2);
}

/* POST and PUT: the v1 handlers on the v1 names of the body. */
static void write_v1(sim_store *st, const sim_opts *o, const v2kind *k, long id, const char *body,
                     size_t len, sim_resp *out)
{
    size_t n = 0;
    int nomem;
    char *text = body_to_v1(body, len, k, &n, &nomem);
    if (nomem) {
        oom(o, out);
        return;
    }
    const char *b = text ? text : "";
    if (id < 0)
        sim_create(st, k->kind, b, text ? n : 0, out);
    else
        sim_update(st, k->kind, id, 0, b, text ? n : 0, out);
    free(text);
    answer_to_v2(o, k, out);
}

static void records(sim_server *s, const v2kind *k, sim_v2view *v, const char *method,
                    const sim_segs *sg, const sim_query *q, const char *body, size_t len, sim_resp *out)
{
    const sim_opts *o = &s->opts;
    sim_store *st = &s->store;
    long id = -1;
    if (sg->n == 2 && sim_parse_id(o, sg->s[1], &id, out) != 0)
        return;
    int get = is(method, "GET");
    if (!(get || (sg->n == 1 && is(method, "POST")) ||
          (sg->n == 2 && (is(method, "PUT") || is(method, "DELETE"))))) {
        sim_not_allowed(o, method, out);
        return;
    }
    if (!get) {
        if (is(method, "DELETE"))
            sim_delete(st, k->kind, id, out);
        else
            write_v1(st, o, k, id, body, len, out);
        return;
    }
    if (view_sync(v, &st->c[k->kind], k) != 0) {
        oom(o, out);
        return;
    }
    sim_source src = view_source(v, k);
    if (sg->n == 1)
        sim_list(st, o, q, &src, out);
    else
        sim_item(st, o, q, &src, sim_coll_find(&v->coll, id), sg->s[1], out);
}

/* A fixed pseudo-random quarter of the fleet per group. */
static int in_group(unsigned long long seed, long group, long computer)
{
    return sim_pick(sim_mix64(seed ^ ((uint64_t)group << 32)) ^ (uint64_t)computer, 4) == 0;
}

static void group_computers(sim_server *s, const sim_segs *sg, const sim_query *q, sim_resp *out)
{
    const sim_opts *o = &s->opts;
    sim_store *st = &s->store;
    long gid;
    if (sim_parse_id(o, sg->s[1], &gid, out) != 0)
        return;
    if (!sim_coll_find(&st->c[SIM_GROUPS], gid)) {
        sim_source groups = sim_source_of(st, SIM_GROUPS);
        sim_item(st, o, q, &groups, NULL, sg->s[1], out);
        return;
    }
    const sim_coll *c = &st->c[SIM_COMPUTERS];
    sim_record **rows = malloc((c->n ? c->n : 1) * sizeof *rows);
    if (!rows) {
        oom(o, out);
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        if (in_group(st->seed, gid, c->rows[i]->id))
            rows[n++] = c->rows[i];
    sim_source src = sim_source_of(st, SIM_COMPUTERS);
    src.rows = rows;
    src.n = n;
    sim_list(st, o, q, &src, out);
    free(rows);
}

void sim_v2_route(sim_server *s, const char *method, const char *rel, const sim_segs *sg,
                  const sim_query *q, const char *body, size_t len, sim_resp *out)
{
    const sim_opts *o = &s->opts;
    const char *first = sg->s[0];
    int group_route = sg->n == 3 && is(first, "groups") && is(sg->s[2], "computers");
    const v2kind *k = is(first, "contacts") ? &contacts : is(first, "scripts") ? &scripts : NULL;
    if (!group_route && (!k || sg->n > 2)) {
        sim_not_found_route(o, 2, rel, out);
        return;
    }
    if (group_route && !is(method, "GET")) {
        sim_not_allowed(o, method, out);
        return;
    }
    pthread_rwlock_wrlock(&s->store.lock);
    if (group_route)
        group_computers(s, sg, q, out);
    else
        records(s, k, k == &contacts ? &s->v2.contacts : &s->v2.scripts, method, sg, q, body, len, out);
    pthread_rwlock_unlock(&s->store.lock);
}
