#include "router.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "collections.h"
#include "mutate.h"
#include "util.h"
#include "v2.h"

static int split_path(sim_segs *sg, const char *rel)
{
    sg->n = 0;
    if (strlen(rel) >= sizeof sg->buf)
        return -1;
    strcpy(sg->buf, rel);
    char *save = NULL;
    for (char *t = strtok_r(sg->buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (sg->n == SIM_MAX_SEGS)
            return -1;
        sg->s[sg->n++] = t;
    }
    return 0;
}

static int is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static const char *login_route(const sim_opts *o)
{
    return o->dialect == CWA_DIALECT_APICREDENTIALS ? "apicredentials" : "apitoken";
}

sim_call_kind sim_classify(const sim_opts *o, const char *method, const char *rel)
{
    const char *login = login_route(o);
    size_t n = strlen(login);
    if (strncmp(rel, login, n) == 0 && (rel[n] == '\0' || is(rel + n, "/refresh")))
        return rel[n] ? SIM_CALL_REFRESH : SIM_CALL_LOGIN;
    return is(method, "GET") || is(method, "POST") ? SIM_CALL_DATA : SIM_CALL_OTHER;
}

void sim_not_found_route(const sim_opts *o, int version, const char *rel, sim_resp *out)
{
    char msg[600];
    snprintf(msg, sizeof msg,
             "No HTTP resource was found that matches the request URI '/cwa/api/v%d/%s'.", version, rel);
    sim_error(out, o->dialect, 404, "NotFound", msg, NULL, NULL);
}

void sim_not_allowed(const sim_opts *o, const char *method, sim_resp *out)
{
    char msg[128];
    snprintf(msg, sizeof msg, "The requested resource does not support http method '%s'.", method);
    sim_error(out, o->dialect, 405, "MethodNotAllowed", msg, NULL, NULL);
}

int sim_parse_id(const sim_opts *o, const char *text, long *id, sim_resp *out)
{
    if (sim_parse_long(text, id) == 0 && *id >= 0)
        return 0;
    char msg[160];
    snprintf(msg, sizeof msg, "The value '%.60s' is not valid.", text);
    sim_error_invalid(out, o->dialect, "id", text, msg);
    return -1;
}

/* Rows of one computer in a collection that refers to computers. */
static sim_record **rows_of(const sim_coll *c, long computer, int by_parent, size_t *n)
{
    sim_record **v = malloc((c->n ? c->n : 1) * sizeof *v);
    *n = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < c->n; i++) {
        long owner = c->rows[i]->parent;
        if (!by_parent) {
            const cJSON *cid = cJSON_GetObjectItemCaseSensitive(c->rows[i]->obj, "ComputerId");
            owner = cJSON_IsNumber(cid) ? (long)cid->valuedouble : -1;
        }
        if (owner == computer)
            v[(*n)++] = c->rows[i];
    }
    return v;
}

static void oom(const sim_opts *o, sim_resp *out)
{
    sim_error(out, o->dialect, 500, "ServerError", "out of memory", NULL, NULL);
}

static void computer_sub(sim_server *s, const char *method, const char *rel, const sim_segs *sg,
                         const sim_query *q, const char *body, size_t len, sim_resp *out)
{
    const sim_opts *o = &s->opts;
    sim_store *st = &s->store;
    long id, sub_id;
    const char *sub = sg->s[2];
    int apitoken = o->dialect != CWA_DIALECT_APICREDENTIALS;
    if (sim_parse_id(o, sg->s[1], &id, out) != 0)
        return;
    int known = (sg->n == 3 && (is(sub, "alerts") || is(sub, "software") || is(sub, "scripthistory") ||
                                is(sub, "commandexecute"))) ||
                (sg->n == 4 && is(sub, "commandexecute")) ||
                (!apitoken && sg->n == 5 && is(sub, "scripts") && is(sg->s[4], "execute"));
    if (!known) {
        sim_not_found_route(o, 1, rel, out);
        return;
    }
    int post = is(method, "POST");
    if (sg->n == 5) {
        if (!post)
            sim_not_allowed(o, method, out);
        else if (sim_parse_id(o, sg->s[3], &sub_id, out) == 0) {
            pthread_rwlock_wrlock(&st->lock);
            sim_script_execute(st, o, id, sub_id, body, len, out);
            pthread_rwlock_unlock(&st->lock);
        }
        return;
    }
    if (post) {
        if (sg->n == 3 && is(sub, "commandexecute") && apitoken) {
            pthread_rwlock_wrlock(&st->lock);
            sim_command_execute(st, o, id, body, len, out);
            pthread_rwlock_unlock(&st->lock);
        } else {
            sim_not_allowed(o, method, out);
        }
        return;
    }
    if (!is(method, "GET")) {
        sim_not_allowed(o, method, out);
        return;
    }
    if (sg->n == 4 && sim_parse_id(o, sg->s[3], &sub_id, out) != 0)
        return;
    int pending = is(sub, "scripthistory") || is(sub, "commandexecute");
    /* rows that settle change: those reads take the lock exclusively */
    if (pending) {
        pthread_rwlock_wrlock(&st->lock);
        sim_settle(st, o);
    } else {
        pthread_rwlock_rdlock(&st->lock);
    }
    const sim_record *pc = sim_coll_find(&st->c[SIM_COMPUTERS], id);
    if (!pc) {
        sim_source src = sim_source_of(st, SIM_COMPUTERS);
        sim_item(st, o, q, &src, NULL, sg->s[1], out);
        pthread_rwlock_unlock(&st->lock);
        return;
    }
    sim_kind k = is(sub, "alerts")          ? SIM_ALERTS
                 : is(sub, "software")      ? SIM_SOFTWARE
                 : is(sub, "scripthistory") ? SIM_HISTORY
                                            : SIM_COMMANDS;
    sim_record **rows = NULL;
    size_t n = 0;
    int generated = k == SIM_SOFTWARE;
    int rc = generated ? sim_data_software(st, pc, &rows, &n)
                       : ((rows = rows_of(&st->c[k], id, pending, &n)) ? 0 : -1);
    if (rc != 0) {
        pthread_rwlock_unlock(&st->lock);
        oom(o, out);
        return;
    }
    sim_source src = sim_source_of(st, k);
    src.rows = rows;
    src.n = n;
    if (sg->n == 4) {
        const sim_record *row = NULL;
        for (size_t i = 0; i < n && !row; i++)
            if (rows[i]->id == sub_id)
                row = rows[i];
        sim_item(st, o, q, &src, row, sg->s[3], out);
    } else {
        sim_list(st, o, q, &src, out);
    }
    pthread_rwlock_unlock(&st->lock);
    if (generated)
        sim_records_free(rows, n);
    else
        free(rows);
}

static void collection(sim_server *s, sim_kind k, const char *method, const sim_segs *sg,
                       const sim_query *q, const char *body, size_t len, sim_resp *out)
{
    const sim_opts *o = &s->opts;
    sim_store *st = &s->store;
    int get = is(method, "GET");
    if (sg->n == 1) {
        if (get) {
            if (k == SIM_COMPUTERS && o->churn > 0) {
                pthread_rwlock_wrlock(&st->lock);
                if (st->computers_listed++ > 0 && sim_store_churn(st, o->churn) != 0) {
                    pthread_rwlock_unlock(&st->lock);
                    oom(o, out);
                    return;
                }
                pthread_rwlock_unlock(&st->lock);
            }
            pthread_rwlock_rdlock(&st->lock);
            sim_source src = sim_source_of(st, k);
            src.cache = &s->cache;
            sim_list(st, o, q, &src, out);
            pthread_rwlock_unlock(&st->lock);
        } else if (is(method, "POST") && sim_mutable(k)) {
            pthread_rwlock_wrlock(&st->lock);
            sim_create(st, k, body, len, out);
            pthread_rwlock_unlock(&st->lock);
        } else {
            sim_not_allowed(o, method, out);
        }
        return;
    }
    long id;
    if (sim_parse_id(o, sg->s[1], &id, out) != 0)
        return;
    if (get) {
        pthread_rwlock_rdlock(&st->lock);
        sim_source src = sim_source_of(st, k);
        sim_item(st, o, q, &src, sim_coll_find(&st->c[k], id), sg->s[1], out);
        pthread_rwlock_unlock(&st->lock);
        return;
    }
    int put = is(method, "PUT"), patch = is(method, "PATCH"), del = is(method, "DELETE");
    if (!sim_mutable(k) || !(put || patch || del)) {
        sim_not_allowed(o, method, out);
        return;
    }
    pthread_rwlock_wrlock(&st->lock);
    if (del)
        sim_delete(st, k, id, out);
    else
        sim_update(st, k, id, patch, body, len, out);
    pthread_rwlock_unlock(&st->lock);
}

void sim_route(sim_server *s, int version, const char *method, const char *rel, const sim_query *q,
               const char *body, size_t len, const char *authorization, sim_resp *out)
{
    const sim_opts *o = &s->opts;
    int apitoken = o->dialect != CWA_DIALECT_APICREDENTIALS;
    sim_call_kind kind = version == 1 ? sim_classify(o, method, rel) : SIM_CALL_DATA;
    if (kind == SIM_CALL_LOGIN || kind == SIM_CALL_REFRESH) {
        if (!is(method, "POST"))
            sim_not_allowed(o, method, out);
        else if (kind == SIM_CALL_LOGIN)
            sim_auth_login(&s->auth, &s->stats, body, len, out);
        else
            sim_auth_refresh(&s->auth, &s->stats, body, len, out);
        return;
    }
    sim_segs sg;
    if (split_path(&sg, rel) != 0 || sg.n == 0 || (version == 2 && !apitoken)) {
        sim_not_found_route(o, version, rel, out);
        return;
    }
    /* the other dialect's login routes do not exist, even for anonymous
     * callers: a client probing for its dialect must see 404 */
    int disable =
        version == 1 && apitoken && sg.n == 2 && is(sg.s[0], "apitoken") && is(sg.s[1], "disable");
    if (!disable && (is(sg.s[0], "apitoken") || is(sg.s[0], "apicredentials"))) {
        sim_not_found_route(o, version, rel, out);
        return;
    }
    if (!sim_auth_check(&s->auth, authorization)) {
        sim_error(out, o->dialect, 401, "Unauthorized",
                  "Authorization has been denied for this request.", NULL, NULL);
        return;
    }
    if (disable) {
        if (!is(method, "POST"))
            sim_not_allowed(o, method, out);
        else
            sim_auth_disable(&s->auth, &s->stats, body, len, out);
        return;
    }
    if (version == 2) {
        sim_v2_route(s, method, rel, &sg, q, body, len, out);
        return;
    }
    if (is(sg.s[0], "batch")) {
        if (sg.n == 2 && is(sg.s[1], "scriptexecute") && apitoken) {
            if (!is(method, "POST")) {
                sim_not_allowed(o, method, out);
                return;
            }
            pthread_rwlock_wrlock(&s->store.lock);
            sim_batch_script(&s->store, o, body, len, out);
            pthread_rwlock_unlock(&s->store.lock);
        } else {
            sim_not_found_route(o, 1, rel, out);
        }
        return;
    }
    int k = sim_kind_of(sg.s[0]);
    if (k < 0 || sg.n > 5 || (sg.n > 2 && k != SIM_COMPUTERS)) {
        sim_not_found_route(o, 1, rel, out);
        return;
    }
    if (sg.n > 2)
        computer_sub(s, method, rel, &sg, q, body, len, out);
    else
        collection(s, (sim_kind)k, method, &sg, q, body, len, out);
}
