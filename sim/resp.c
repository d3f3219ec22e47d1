#include "resp.h"

#include "json.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sim_resp_header(sim_resp *r, const char *name, const char *fmt, ...)
{
    int i;
    for (i = 0; i < r->nhdr; i++)
        if (strcmp(r->hdr[i][0], name) == 0)
            break;
    if (i == SIM_MAX_HEADERS)
        return;
    snprintf(r->hdr[i][0], sizeof r->hdr[i][0], "%s", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->hdr[i][1], sizeof r->hdr[i][1], fmt, ap);
    va_end(ap);
    if (i == r->nhdr)
        r->nhdr++;
}

static void bare_500(sim_resp *r)
{
    cwa_buf_reset(&r->body);
    r->status = 500;
    r->ctype = "text/plain";
    cwa_buf_puts(&r->body, "out of memory");
}

int sim_resp_json(sim_resp *r, int status, const cJSON *obj)
{
    cwa_buf_reset(&r->body);
    if (!obj || sim_json_write(&r->body, obj) != 0) {
        bare_500(r);
        return -1;
    }
    r->status = status;
    r->ctype = NULL;
    return 0;
}

int sim_resp_take(sim_resp *r, int status, cJSON *obj)
{
    int rc = sim_resp_json(r, status, obj);
    cJSON_Delete(obj);
    return rc;
}

void sim_resp_empty(sim_resp *r, int status)
{
    cwa_buf_reset(&r->body);
    r->status = status;
    r->no_body = 1;
}

void sim_resp_free(sim_resp *r)
{
    cwa_buf_free(&r->body);
}

int sim_error(sim_resp *r, cwa_dialect d, int status, const char *code, const char *message,
              const char *field, const char *value)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) {
        bare_500(r);
        return -1;
    }
    int ok = 1;
    if (d == CWA_DIALECT_APICREDENTIALS) {
        cJSON *e = cJSON_AddObjectToObject(root, "error");
        ok = e && cJSON_AddStringToObject(e, "code", code) &&
             cJSON_AddStringToObject(e, "message", message);
        if (ok && field) {
            cJSON *det = cJSON_AddObjectToObject(e, "details");
            ok = det && cJSON_AddStringToObject(det, "field", field) &&
                 cJSON_AddStringToObject(det, "value", value ? value : "");
        }
    } else {
        cJSON *errs, *one = cJSON_CreateObject();
        ok = one && cJSON_AddStringToObject(one, "message", message) &&
             (!field || cJSON_AddStringToObject(one, "field", field));
        if (ok &&
            !(ok = cJSON_AddStringToObject(root, "code", code) &&
                   cJSON_AddStringToObject(root, "message", message) &&
                   (errs = cJSON_AddArrayToObject(root, "errors")) && cJSON_AddItemToArray(errs, one)))
            cJSON_Delete(one);
        else if (!ok)
            cJSON_Delete(one);
    }
    if (!ok) {
        cJSON_Delete(root);
        bare_500(r);
        return -1;
    }
    return sim_resp_take(r, status, root);
}

int sim_error_message(sim_resp *r, cwa_dialect d, int status, const char *code, const char *message)
{
    if (d == CWA_DIALECT_APICREDENTIALS)
        return sim_error(r, d, status, code, message, NULL, NULL);
    cJSON *root = cJSON_CreateObject();
    if (!root || !cJSON_AddStringToObject(root, "Message", message)) {
        cJSON_Delete(root);
        bare_500(r);
        return -1;
    }
    return sim_resp_take(r, status, root);
}

int sim_error_invalid(sim_resp *r, cwa_dialect d, const char *field, const char *value,
                      const char *message)
{
    if (d == CWA_DIALECT_APICREDENTIALS)
        return sim_error(r, d, 400, "BadRequest", message, field, value);
    cJSON *root = cJSON_CreateObject(), *ms, *arr;
    if (!root || !cJSON_AddStringToObject(root, "Message", "The request is invalid.") ||
        !(ms = cJSON_AddObjectToObject(root, "ModelState")) ||
        !(arr = cJSON_AddArrayToObject(ms, field)) ||
        !cJSON_AddItemToArray(arr, cJSON_CreateString(message))) {
        cJSON_Delete(root);
        bare_500(r);
        return -1;
    }
    return sim_resp_take(r, 400, root);
}
