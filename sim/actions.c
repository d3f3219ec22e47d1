#include "actions.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cwa_buf.h"
#include "util.h"

static void now_iso(const sim_opts *o, char out[20])
{
    sim_iso(time(NULL) + o->tz_offset, out);
}

static int set_str(cJSON *o, const char *k, const char *v)
{
    cJSON *s = cJSON_CreateString(v);
    if (!s)
        return -1;
    if (cJSON_GetObjectItemCaseSensitive(o, k))
        return cJSON_ReplaceItemInObjectCaseSensitive(o, k, s) ? 0 : -1;
    return cJSON_AddItemToObject(o, k, s) ? 0 : -1;
}

/* "fail" as a word, in any casing. */
static int has_fail_word(const char *s)
{
    for (const char *p = s; (p = sim_stristr(p, "fail")) != NULL; p += 4) {
        int before = p == s || !isalnum((unsigned char)p[-1]);
        if (before)
            return 1;
    }
    return 0;
}

static void settle_history(sim_record *r)
{
    cJSON *params = cJSON_GetObjectItemCaseSensitive(r->obj, "Parameters");
    cJSON *name = cJSON_GetObjectItemCaseSensitive(r->obj, "ScriptName");
    int failed = cJSON_IsString(params) && sim_stristr(params->valuestring, "fail");
    char msg[400];
    snprintf(msg, sizeof msg, "Script '%s' %s.%s%s", cJSON_IsString(name) ? name->valuestring : "",
             failed ? "failed: a step returned an error" : "completed successfully",
             cJSON_IsString(params) && params->valuestring[0] ? " Parameters: " : "",
             cJSON_IsString(params) ? params->valuestring : "");
    if (set_str(r->obj, "Status", "Completed") == 0 &&
        set_str(r->obj, "State", failed ? "Failure" : "Success") == 0 &&
        set_str(r->obj, "DiagnosticMessage", msg) == 0 && sim_record_sync(r) == 0)
        r->due_ms = 0;
}

static void settle_command(sim_record *r)
{
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(r->obj, "Parameters");
    const cJSON *first = cJSON_IsArray(params) ? cJSON_GetArrayItem(params, 0) : NULL;
    const char *text = cJSON_IsString(first) ? first->valuestring : "";
    const char *cmd = strstr(text, "!!!");
    cmd = cmd ? cmd + 3 : text;
    while (*cmd == ' ')
        cmd++;
    int failed = has_fail_word(text);
    cwa_buf out = {0};
    const char *echo = sim_stristr(cmd, "echo ");
    int rc;
    if (failed)
        rc = cwa_buf_printf(&out, "'%s' failed with exit code 1", cmd);
    else if (echo)
        rc = cwa_buf_printf(&out, "%s\r\n", echo + 5);
    else
        rc = cwa_buf_printf(&out, "Executed: %s\r\nExit code: 0\r\n", cmd);
    if (rc == 0 && set_str(r->obj, "Status", failed ? "Failed" : "Success") == 0 &&
        set_str(r->obj, "Output", out.data) == 0 && sim_record_sync(r) == 0)
        r->due_ms = 0;
    cwa_buf_free(&out);
}

/* The status of a command on its way: each name holds for a third of
 * --script-ms. Real servers show names beyond any fixed list ("Sent"). */
static const char *command_phase(const sim_opts *o, const sim_record *r, long long now)
{
    long long left = r->due_ms - now;
    if (left * 3 > 2LL * o->script_ms)
        return "Pending";
    return left * 3 > o->script_ms ? "Sent" : "Executing";
}

static void advance_command(const sim_opts *o, sim_coll *c, sim_record *r, long long now)
{
    const char *phase = command_phase(o, r, now);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(r->obj, "Status");
    if (cJSON_IsString(st) && strcmp(st->valuestring, phase) == 0)
        return;
    if (set_str(r->obj, "Status", phase) == 0 && sim_record_sync(r) == 0)
        c->version++;
}

void sim_settle(sim_store *s, const sim_opts *o)
{
    long long now = sim_now_ms();
    sim_coll *h = &s->c[SIM_HISTORY], *c = &s->c[SIM_COMMANDS];
    for (size_t i = 0; i < h->n; i++)
        if (h->rows[i]->due_ms && h->rows[i]->due_ms <= now) {
            settle_history(h->rows[i]);
            h->version++;
        }
    for (size_t i = 0; i < c->n; i++) {
        sim_record *r = c->rows[i];
        if (!r->due_ms)
            continue;
        if (r->due_ms <= now) {
            settle_command(r);
            c->version++;
        } else {
            advance_command(o, c, r, now);
        }
    }
}

static void oom(const sim_opts *o, sim_resp *out)
{
    sim_error(out, o->dialect, 500, "ServerError", "out of memory", NULL, NULL);
}

/* Adds a Running history row; NULL when memory ran out. */
static sim_record *start_script(sim_store *s, const sim_opts *o, long computer, const sim_record *script,
                                const char *params)
{
    sim_coll *h = &s->c[SIM_HISTORY];
    char when[20];
    now_iso(o, when);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(script->obj, "Name");
    cJSON *row = cJSON_CreateObject();
    long id = h->next_id;
    if (!row || !cJSON_AddNumberToObject(row, "Id", (double)id) ||
        !cJSON_AddNumberToObject(row, "ComputerId", (double)computer) ||
        !cJSON_AddNumberToObject(row, "ScriptId", (double)script->id) ||
        !cJSON_AddStringToObject(row, "ScriptName", cJSON_IsString(name) ? name->valuestring : "") ||
        !cJSON_AddStringToObject(row, "Status", "Running") ||
        !cJSON_AddStringToObject(row, "State", "Information") ||
        !cJSON_AddStringToObject(row, "HistoryDate", when) ||
        !cJSON_AddStringToObject(row, "DiagnosticMessage", "Script started.") ||
        !cJSON_AddStringToObject(row, "User", "api") ||
        !cJSON_AddStringToObject(row, "Parameters", params)) {
        cJSON_Delete(row);
        return NULL;
    }
    sim_record *r = sim_record_new(id, row);
    if (!r || sim_coll_append(h, r) != 0) {
        sim_record_free(r);
        return NULL;
    }
    r->parent = computer;
    r->due_ms = sim_now_ms() + o->script_ms;
    return r;
}

static long number_of(const cJSON *v)
{
    long n;
    if (cJSON_IsNumber(v))
        return (long)v->valuedouble;
    if (cJSON_IsString(v) && sim_parse_long(v->valuestring, &n) == 0)
        return n;
    return -1;
}

typedef struct launch_result {
    int status, reason;
    const char *message;
} launch_result;

/* Launched, refused because offline, refused because unknown. */
static const launch_result launch_results[] = {
    {0, 0, "Script scheduled."},
    {1, 1, "Computer is offline."},
    {1, 2, "No computer with this id."},
};

void sim_batch_script(sim_store *s, const sim_opts *o, const char *body, size_t len, sim_resp *out)
{
    cJSON *in = cJSON_ParseWithLength(body ? body : "", len);
    const cJSON *type = cJSON_GetObjectItem(in, "EntityType");
    const cJSON *ids = cJSON_GetObjectItem(in, "EntityIds");
    const cJSON *params = cJSON_GetObjectItem(in, "Parameters");
    long script_id = number_of(cJSON_GetObjectItem(in, "ScriptId"));
    const char *fault = NULL, *field = NULL;
    if (!cJSON_IsObject(in))
        fault = "The body must be a JSON object.", field = "request";
    else if (!(cJSON_IsNumber(type) && type->valuedouble == 1) &&
             !(cJSON_IsString(type) && sim_strieq(type->valuestring, "Computer")))
        fault = "EntityType must be Computer (1).", field = "EntityType";
    else if (!cJSON_IsArray(ids) || cJSON_GetArraySize(ids) == 0)
        fault = "EntityIds must be a non-empty array.", field = "EntityIds";
    else if (script_id < 0 || !sim_coll_find(&s->c[SIM_SCRIPTS], script_id))
        fault = "ScriptId names no script.", field = "ScriptId";
    else if (params && !cJSON_IsArray(params) && !cJSON_IsNull(params))
        fault = "Parameters must be an array of {Key, Value}.", field = "Parameters";
    if (fault) {
        sim_error_invalid(out, o->dialect, field, NULL, fault);
        cJSON_Delete(in);
        return;
    }
    cwa_buf pb = {0};
    const cJSON *p;
    int rc = cwa_buf_puts(&pb, "");
    cJSON_ArrayForEach(p, params)
    {
        const cJSON *k = cJSON_GetObjectItem(p, "Key"), *v = cJSON_GetObjectItem(p, "Value");
        if (!cJSON_IsString(k))
            continue;
        rc |= cwa_buf_printf(&pb, "%s%s=%s", pb.len ? "|" : "", k->valuestring,
                             cJSON_IsString(v) ? v->valuestring : "");
    }
    const sim_record *script = sim_coll_find(&s->c[SIM_SCRIPTS], script_id);
    cJSON *res = cJSON_CreateObject(), *arr = res ? cJSON_AddArrayToObject(res, "ScriptResults") : NULL;
    int unsuccessful = 0;
    const cJSON *idv;
    if (rc || !arr)
        goto fail;
    cJSON_ArrayForEach(idv, ids)
    {
        long cid = number_of(idv);
        const sim_record *pc = cid >= 0 ? sim_coll_find(&s->c[SIM_COMPUTERS], cid) : NULL;
        const cJSON *state = pc ? cJSON_GetObjectItemCaseSensitive(pc->obj, "Status") : NULL;
        int offline = cJSON_IsString(state) && sim_strieq(state->valuestring, "Offline");
        int which = !pc ? 2 : offline ? 1 : 0;
        const launch_result *lr = &launch_results[which];
        if (which == 0 && !start_script(s, o, cid, script, pb.data))
            goto fail;
        unsuccessful |= which != 0;
        cJSON *row = cJSON_CreateObject(), *det;
        if (!row || !cJSON_AddItemToArray(arr, row)) {
            cJSON_Delete(row);
            goto fail;
        }
        if (!cJSON_AddNumberToObject(row, "EntityId", (double)cid) ||
            !(det = cJSON_AddObjectToObject(row, "ResultDetails")) ||
            !cJSON_AddNumberToObject(det, "ResultStatus", lr->status) ||
            !cJSON_AddNumberToObject(det, "ReasonCode", lr->reason) ||
            !cJSON_AddStringToObject(det, "Message", lr->message))
            goto fail;
    }
    if (!cJSON_AddBoolToObject(res, "ContainsUnsuccessfulResults", unsuccessful))
        goto fail;
    sim_resp_take(out, 200, res);
    cwa_buf_free(&pb);
    cJSON_Delete(in);
    return;
fail:
    cJSON_Delete(res);
    cwa_buf_free(&pb);
    cJSON_Delete(in);
    oom(o, out);
}

void sim_script_execute(sim_store *s, const sim_opts *o, long computer, long script, const char *body,
                        size_t len, sim_resp *out)
{
    char idt[24];
    if (!sim_coll_find(&s->c[SIM_COMPUTERS], computer)) {
        snprintf(idt, sizeof idt, "%ld", computer);
        sim_error(out, o->dialect, 404, "NotFound", "No computer with this id.", "computerId", idt);
        return;
    }
    const sim_record *sc = sim_coll_find(&s->c[SIM_SCRIPTS], script);
    if (!sc) {
        snprintf(idt, sizeof idt, "%ld", script);
        sim_error(out, o->dialect, 404, "NotFound", "No script with this id.", "scriptId", idt);
        return;
    }
    cJSON *in = len ? cJSON_ParseWithLength(body, len) : cJSON_CreateObject();
    const cJSON *params = cJSON_GetObjectItem(in, "Parameters");
    if (!cJSON_IsObject(in) || (params && !cJSON_IsObject(params) && !cJSON_IsNull(params))) {
        sim_error_invalid(out, o->dialect, "Parameters", NULL,
                          "Parameters must be an object of name: value.");
        cJSON_Delete(in);
        return;
    }
    cwa_buf pb = {0};
    int rc = cwa_buf_puts(&pb, "");
    const cJSON *p;
    cJSON_ArrayForEach(p, params)
    {
        char *v = cJSON_IsString(p) ? NULL : cJSON_PrintUnformatted(p);
        rc |= cwa_buf_printf(&pb, "%s%s=%s", pb.len ? "|" : "", p->string,
                             cJSON_IsString(p) ? p->valuestring
                             : v               ? v
                                               : "");
        cJSON_free(v);
    }
    cJSON_Delete(in);
    sim_record *r = rc ? NULL : start_script(s, o, computer, sc, pb.data);
    cwa_buf_free(&pb);
    if (!r) {
        oom(o, out);
        return;
    }
    cwa_buf_reset(&out->body);
    if (cwa_buf_append(&out->body, r->json, r->len) != 0) {
        oom(o, out);
        return;
    }
    out->status = 200;
}

void sim_command_execute(sim_store *s, const sim_opts *o, long computer, const char *body, size_t len,
                         sim_resp *out)
{
    if (!sim_coll_find(&s->c[SIM_COMPUTERS], computer)) {
        char idt[24];
        snprintf(idt, sizeof idt, "%ld", computer);
        sim_error(out, o->dialect, 404, "NotFound", "No computer with this id.", "computerId", idt);
        return;
    }
    cJSON *in = cJSON_ParseWithLength(body ? body : "", len);
    const cJSON *cmd = cJSON_GetObjectItem(in, "Command");
    long cmd_id = number_of(cJSON_GetObjectItem(cmd, "Id"));
    const cJSON *params = cJSON_GetObjectItem(in, "Parameters");
    if (!cJSON_IsObject(in) || cmd_id < 0 || (params && !cJSON_IsArray(params))) {
        sim_error_invalid(out, o->dialect, "Command", NULL,
                          "The body needs Command {Id} and Parameters [\"...\"].");
        cJSON_Delete(in);
        return;
    }
    sim_coll *c = &s->c[SIM_COMMANDS];
    char when[20];
    now_iso(o, when);
    long id = c->next_id;
    cJSON *row = cJSON_CreateObject(), *cref;
    cJSON *pcopy = params ? cJSON_Duplicate(params, 1) : cJSON_CreateArray();
    int ok = row && pcopy && cJSON_AddNumberToObject(row, "Id", (double)id) &&
             cJSON_AddNumberToObject(row, "ComputerId", (double)computer) &&
             (cref = cJSON_AddObjectToObject(row, "Command")) &&
             cJSON_AddNumberToObject(cref, "Id", (double)cmd_id) &&
             cJSON_AddStringToObject(cref, "Name", cmd_id == 2 ? "Execute Command" : "Command") &&
             cJSON_AddStringToObject(row, "Status", "Pending") &&
             cJSON_AddItemToObject(row, "Parameters", pcopy);
    if (!ok)
        cJSON_Delete(pcopy);
    ok = ok && cJSON_AddStringToObject(row, "Output", "") && cJSON_AddFalseToObject(row, "Fastalk") &&
         cJSON_AddStringToObject(row, "DateLastInventoried", when) &&
         cJSON_AddStringToObject(row, "DateCreated", when);
    cJSON_Delete(in);
    if (!ok) {
        cJSON_Delete(row);
        oom(o, out);
        return;
    }
    sim_record *r = sim_record_new(id, row);
    if (!r || sim_coll_append(c, r) != 0) {
        sim_record_free(r);
        oom(o, out);
        return;
    }
    r->parent = computer;
    r->due_ms = sim_now_ms() + o->script_ms;
    cwa_buf_reset(&out->body);
    if (cwa_buf_append(&out->body, r->json, r->len) != 0) {
        oom(o, out);
        return;
    }
    out->status = 200;
}
