#include "collections.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cwa_cond.h"
#include "json.h"
#include "util.h"

#define MAX_ORDER 4
#define MAX_FIELDS 64

static const char *const what_names[SIM_KINDS] = {
    "Computer", "Client", "Location", "Contact",       "Alert",          "Script",
    "Monitor",  "Group",  "Ticket",   "ScriptHistory", "CommandExecute", "Software"};

sim_source sim_source_of(const sim_store *s, sim_kind k)
{
    sim_source src;
    src.rows = s->c[k].rows;
    src.n = s->c[k].n;
    src.templ = s->c[k].templ;
    src.id_field = s->c[k].id_field;
    src.what = what_names[k];
    src.computers = k == SIM_COMPUTERS;
    src.kind = (int)k;
    src.version = s->c[k].version;
    src.cache = NULL;
    return src;
}

/* A comma list split in place into trimmed, non-empty items. */
typedef struct fieldlist {
    char *buf;
    char *item[MAX_FIELDS];
    int n;
} fieldlist;

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int split(fieldlist *fl, const char *text)
{
    memset(fl, 0, sizeof *fl);
    if (!text)
        return 0;
    if (!(fl->buf = sim_strdup(text)))
        return -1;
    char *save = NULL;
    for (char *t = strtok_r(fl->buf, ",", &save); t && fl->n < MAX_FIELDS;
         t = strtok_r(NULL, ",", &save)) {
        t = trim(t);
        if (*t)
            fl->item[fl->n++] = t;
    }
    return 0;
}

typedef struct order {
    char field[MAX_ORDER][128];
    int desc[MAX_ORDER];
    int n;
} order;

typedef struct sortrow {
    sim_record *r;
    const cJSON *key[MAX_ORDER];
    const order *ord;
} sortrow;

static int type_rank(const cJSON *v)
{
    if (!v || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsBool(v))
        return 1;
    if (cJSON_IsNumber(v))
        return 2;
    if (cJSON_IsString(v))
        return 3;
    return 4;
}

static int cmp_value(const cJSON *a, const cJSON *b)
{
    int ra = type_rank(a), rb = type_rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 1)
        return cJSON_IsTrue(a) - cJSON_IsTrue(b);
    if (ra == 2)
        return a->valuedouble < b->valuedouble ? -1 : a->valuedouble > b->valuedouble;
    if (ra == 3)
        return strcasecmp(a->valuestring, b->valuestring);
    return 0;
}

static int cmp_rows(const void *pa, const void *pb)
{
    const sortrow *a = pa, *b = pb;
    for (int k = 0; k < a->ord->n; k++) {
        int c = cmp_value(a->key[k], b->key[k]);
        if (c)
            return a->ord->desc[k] ? -c : c;
    }
    return (a->r->id > b->r->id) - (a->r->id < b->r->id);
}

/* "Field [asc|desc][, ...]"; -1 with *bad naming the fault. */
static int parse_order(const char *text, const cJSON *templ, order *ord, const char **bad)
{
    fieldlist fl;
    memset(ord, 0, sizeof *ord);
    if (split(&fl, text) != 0)
        return -2;
    int rc = 0;
    for (int i = 0; i < fl.n && rc == 0; i++) {
        if (ord->n == MAX_ORDER) {
            *bad = "too many orderBy fields";
            rc = -1;
            break;
        }
        char *dir = fl.item[i];
        char *name = dir;
        while (*dir && !isspace((unsigned char)*dir))
            dir++;
        if (*dir)
            *dir++ = '\0';
        dir = trim(dir);
        if (strlen(name) >= sizeof ord->field[0] || !sim_json_path(templ, name)) {
            *bad = "orderBy names an unknown field";
            rc = -1;
        } else if (*dir && strcasecmp(dir, "asc") != 0 && strcasecmp(dir, "desc") != 0 &&
                   strcasecmp(dir, "ascending") != 0 && strcasecmp(dir, "descending") != 0) {
            *bad = "orderBy direction must be asc or desc";
            rc = -1;
        } else {
            strcpy(ord->field[ord->n], name);
            ord->desc[ord->n] = *dir && tolower((unsigned char)*dir) == 'd';
            ord->n++;
        }
    }
    free(fl.buf);
    return rc;
}

/* Copies the member at a dotted path of src into dst, creating parents. */
static int include_path(cJSON *dst, const cJSON *src, const char *path)
{
    char seg[128];
    while (*path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n == 0 || n >= sizeof seg)
            return 0;
        memcpy(seg, path, n);
        seg[n] = '\0';
        const cJSON *child = cJSON_IsObject(src) ? cJSON_GetObjectItem(src, seg) : NULL;
        if (!child)
            return 0; /* unknown names are ignored, as servers do */
        cJSON *have = cJSON_GetObjectItemCaseSensitive(dst, child->string);
        if (!dot) {
            if (have)
                cJSON_DeleteItemFromObjectCaseSensitive(dst, child->string);
            cJSON *copy = cJSON_Duplicate(child, 1);
            if (!copy || !cJSON_AddItemToObject(dst, child->string, copy)) {
                cJSON_Delete(copy);
                return -1;
            }
            return 0;
        }
        if (!have || !cJSON_IsObject(have)) {
            if (have)
                cJSON_DeleteItemFromObjectCaseSensitive(dst, child->string);
            if (!(have = cJSON_AddObjectToObject(dst, child->string)))
                return -1;
        }
        dst = have;
        src = child;
        path = dot + 1;
    }
    return 0;
}

static void exclude_path(cJSON *obj, const char *path)
{
    char seg[128];
    for (;;) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n == 0 || n >= sizeof seg || !cJSON_IsObject(obj))
            return;
        memcpy(seg, path, n);
        seg[n] = '\0';
        if (!dot) {
            cJSON_DeleteItemFromObject(obj, seg);
            return;
        }
        obj = cJSON_GetObjectItem(obj, seg);
        path = dot + 1;
    }
}

typedef struct shaping {
    fieldlist inc, exc;
    int tickets;
} shaping;

static int shaping_init(shaping *sh, const sim_query *q, const sim_source *src)
{
    memset(sh, 0, sizeof *sh);
    const char *expand = sim_query_get(q, "expand");
    sh->tickets = src->computers && expand && sim_stristr(expand, "tickets") != NULL;
    if (split(&sh->inc, sim_query_get(q, "includeFields")) != 0 ||
        split(&sh->exc, sim_query_get(q, "excludeFields")) != 0)
        return -1;
    return 0;
}

static void shaping_free(shaping *sh)
{
    free(sh->inc.buf);
    free(sh->exc.buf);
}

static int shaping_active(const shaping *sh)
{
    return sh->inc.n || sh->exc.n || sh->tickets;
}

/* Appends one record to b, reshaped when asked to. */
static int emit(cwa_buf *b, const sim_store *s, const sim_record *r, const shaping *sh)
{
    if (!shaping_active(sh))
        return cwa_buf_append(b, r->json, r->len);
    cJSON *o;
    if (sh->inc.n) {
        if (!(o = cJSON_CreateObject()))
            return -1;
        for (int i = 0; i < sh->inc.n; i++)
            if (include_path(o, r->obj, sh->inc.item[i]) != 0) {
                cJSON_Delete(o);
                return -1;
            }
    } else if (!(o = cJSON_Duplicate(r->obj, 1))) {
        return -1;
    }
    for (int i = 0; i < sh->exc.n; i++)
        exclude_path(o, sh->exc.item[i]);
    if (sh->tickets) {
        cJSON *arr = cJSON_AddArrayToObject(o, "Tickets");
        const sim_coll *t = &s->c[SIM_TICKETS];
        for (size_t i = 0; arr && i < t->n; i++) {
            const cJSON *cid = cJSON_GetObjectItemCaseSensitive(t->rows[i]->obj, "ComputerId");
            if (cJSON_IsNumber(cid) && (long)cid->valuedouble == r->id) {
                cJSON *copy = cJSON_Duplicate(t->rows[i]->obj, 1);
                if (!copy || !cJSON_AddItemToArray(arr, copy)) {
                    cJSON_Delete(copy);
                    arr = NULL;
                }
            }
        }
        if (!arr) {
            cJSON_Delete(o);
            return -1;
        }
    }
    int rc = sim_json_write_record(b, o, r->string_id);
    cJSON_Delete(o);
    return rc;
}

static void oom(sim_resp *out, cwa_dialect d)
{
    sim_error(out, d, 500, "ServerError", "out of memory", NULL, NULL);
}

typedef struct field_check {
    const cJSON *templ;
    const char *text;
    char bad[128];
} field_check;

static void check_field(const char *field, void *ud)
{
    field_check *fc = ud;
    if (!fc->bad[0] && !sim_json_path(fc->templ, field))
        snprintf(fc->bad, sizeof fc->bad, "%s", field);
}

/* 0 and *cond set (maybe NULL) when the condition is usable; else answered. */
static int prepare_condition(const sim_opts *o, const sim_query *q, const sim_source *src,
                             cwa_cond **cond, sim_resp *out)
{
    const char *text = sim_query_get(q, "condition");
    *cond = NULL;
    if (!text)
        return 0;
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    if (!*p)
        return 0;
    cwa_cond_error err;
    memset(&err, 0, sizeof err);
    cwa_cond *c = cwa_cond_parse(text, strlen(text), o->dialect, &err);
    if (!c) {
        if (err.kind == CWA_COND_ERR_NOMEM)
            oom(out, o->dialect);
        else
            sim_error(out, o->dialect, err.kind == CWA_COND_ERR_SERVER ? 500 : 400,
                      err.kind == CWA_COND_ERR_SERVER ? "ServerError" : "BadRequest",
                      err.message[0] ? err.message : "Invalid condition.", "condition", text);
        return -1;
    }
    field_check fc;
    memset(&fc, 0, sizeof fc);
    fc.templ = src->templ;
    fc.text = text;
    cwa_cond_each_field(c, check_field, &fc);
    if (fc.bad[0]) {
        char msg[320];
        const char *at = sim_stristr(text, fc.bad);
        snprintf(msg, sizeof msg, "column %d: Invalid field '%s'", at ? (int)(at - text) + 1 : 1,
                 fc.bad);
        sim_error(out, o->dialect, 400, "BadRequest", msg, "condition", text);
        cwa_cond_free(c);
        return -1;
    }
    /* the template has every field: type and server-kind errors show even
     * when no record would be compared */
    if (cwa_cond_eval(c, src->templ, &err) < 0) {
        int server = err.kind == CWA_COND_ERR_SERVER;
        if (err.kind == CWA_COND_ERR_NOMEM)
            oom(out, o->dialect);
        else
            sim_error(out, o->dialect, server ? 500 : 400, server ? "ServerError" : "BadRequest",
                      err.message[0] ? err.message : "Invalid condition.", "condition", text);
        cwa_cond_free(c);
        return -1;
    }
    *cond = c;
    return 0;
}

static int parse_ids(const char *text, long **ids, size_t *n)
{
    fieldlist fl;
    *ids = NULL;
    *n = 0;
    if (!text)
        return 0;
    if (split(&fl, text) != 0)
        return -2;
    long *v = malloc((size_t)(fl.n ? fl.n : 1) * sizeof *v);
    if (!v) {
        free(fl.buf);
        return -2;
    }
    for (int i = 0; i < fl.n; i++)
        if (sim_parse_long(fl.item[i], &v[i]) != 0) {
            free(v);
            free(fl.buf);
            return -1;
        }
    *ids = v;
    *n = (size_t)fl.n;
    free(fl.buf);
    return 0;
}

static int param_long(const sim_query *q, const char *name, long dflt, long *out)
{
    const char *v = sim_query_get(q, name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    return sim_parse_long(v, out);
}

void sim_list(const sim_store *s, const sim_opts *o, const sim_query *q, const sim_source *src,
              sim_resp *out)
{
    cwa_dialect d = o->dialect;
    long page, size;
    long dflt_size = d == CWA_DIALECT_APICREDENTIALS ? 50 : 250;
    char msg[160];
    if (param_long(q, "page", 1, &page) != 0 || page < 1) {
        sim_error_invalid(out, d, "page", sim_query_get(q, "page"),
                          "page must be a whole number of 1 or more.");
        return;
    }
    if (param_long(q, "pageSize", dflt_size, &size) != 0 || size < 1 || size > 1000) {
        snprintf(msg, sizeof msg, "pageSize must be a whole number from 1 to 1000.");
        sim_error_invalid(out, d, "pageSize", sim_query_get(q, "pageSize"), msg);
        return;
    }
    long *ids = NULL;
    size_t nids = 0;
    int rc = parse_ids(sim_query_get(q, "ids"), &ids, &nids);
    if (rc != 0) {
        if (rc == -2)
            oom(out, d);
        else
            sim_error_invalid(out, d, "ids", sim_query_get(q, "ids"),
                              "ids must be a comma list of numbers.");
        return;
    }
    order ord;
    const char *bad = NULL;
    const char *ob = sim_query_get(q, "orderBy");
    if (ob && (rc = parse_order(ob, src->templ, &ord, &bad)) != 0) {
        free(ids);
        if (rc == -2)
            oom(out, d);
        else
            sim_error_invalid(out, d, "orderBy", ob, bad);
        return;
    }
    if (!ob)
        ord.n = 0;
    cwa_cond *cond;
    if (prepare_condition(o, q, src, &cond, out) != 0) {
        free(ids);
        return;
    }
    shaping sh;
    size_t first = (size_t)(page - 1) * (size_t)size, total = 0, count = 0;
    /* a plain listing is a slice of the rows: no selection array needed */
    int direct = !cond && !nids && !ord.n;
    sortrow *sel = NULL;
    sim_record **pick = malloc((size_t)size * sizeof *pick);
    char *ckey = NULL;
    if (!pick || shaping_init(&sh, q, src) != 0) {
        free(pick);
        free(ids);
        cwa_cond_free(cond);
        if (pick)
            shaping_free(&sh);
        oom(out, d);
        return;
    }
    if (!direct && src->cache) {
        cwa_buf kb = {0};
        if (cwa_buf_printf(&kb, "%d\n%s\n%s\n%s", src->kind, cond ? sim_query_get(q, "condition") : "",
                           ob ? ob : "", nids ? sim_query_get(q, "ids") : "") == 0)
            ckey = cwa_buf_steal(&kb, NULL);
        cwa_buf_free(&kb);
    }
    if (direct) {
        total = src->n;
        for (size_t i = first; i < total && count < (size_t)size; i++)
            pick[count++] = src->rows[i];
    } else if (!ckey || !sim_selcache_get(src->cache, ckey, src->version, first, (size_t)size, pick,
                                          &count, &total)) {
        sel = malloc((src->n ? src->n : 1) * sizeof *sel);
        if (!sel) {
            oom(out, d);
            goto done;
        }
        for (size_t i = 0; i < src->n; i++) {
            sim_record *r = src->rows[i];
            if (nids) {
                size_t k = 0;
                while (k < nids && ids[k] != r->id)
                    k++;
                if (k == nids)
                    continue;
            }
            if (cond) {
                cwa_cond_error err;
                int m = cwa_cond_eval(cond, r->obj, &err);
                if (m < 0) {
                    int server = err.kind == CWA_COND_ERR_SERVER;
                    sim_error(out, d, server ? 500 : 400, server ? "ServerError" : "BadRequest",
                              err.message, "condition", sim_query_get(q, "condition"));
                    goto done;
                }
                if (!m)
                    continue;
            }
            sel[total].r = r;
            sel[total].ord = &ord;
            for (int k = 0; k < ord.n; k++)
                sel[total].key[k] = sim_json_path(r->obj, ord.field[k]);
            total++;
        }
        if (ord.n)
            qsort(sel, total, sizeof *sel, cmp_rows);
        for (size_t i = first; i < total && count < (size_t)size; i++)
            pick[count++] = sel[i].r;
        sim_record **keep = ckey ? malloc((total ? total : 1) * sizeof *keep) : NULL;
        if (keep) {
            for (size_t i = 0; i < total; i++)
                keep[i] = sel[i].r;
            sim_selcache_put(src->cache, ckey, src->version, keep, total);
        }
    }

    cwa_buf *b = &out->body;
    cwa_buf_reset(b);
    size_t est = 64;
    for (size_t i = 0; i < count; i++)
        est += pick[i]->len + 1;
    rc = cwa_buf_reserve(b, est);
    if (o->totals == SIM_TOTALS_BODY)
        rc |= cwa_buf_puts(b, "{\"ResultSet\":");
    rc |= cwa_buf_putc(b, '[');
    for (size_t i = 0; i < count && rc == 0; i++) {
        if (i > 0)
            rc |= cwa_buf_putc(b, ',');
        rc |= emit(b, s, pick[i], &sh);
    }
    rc |= cwa_buf_putc(b, ']');
    if (o->totals == SIM_TOTALS_BODY)
        rc |= cwa_buf_printf(b, ",\"TotalRecordCount\":%zu}", total);
    if (rc != 0) {
        oom(out, d);
        goto done;
    }
    out->status = 200;
    out->ctype = NULL;
    out->list = 1;
    if (o->totals == SIM_TOTALS_HEADERS) {
        sim_resp_header(out, "X-Total-Count", "%zu", total);
        sim_resp_header(out, "X-Page", "%ld", page);
        sim_resp_header(out, "X-Page-Size", "%ld", size);
        sim_resp_header(out, "X-Total-Pages", "%zu", (total + (size_t)size - 1) / (size_t)size);
    }
done:
    shaping_free(&sh);
    free(ckey);
    free(pick);
    free(sel);
    free(ids);
    cwa_cond_free(cond);
}

void sim_item(const sim_store *s, const sim_opts *o, const sim_query *q, const sim_source *src,
              const sim_record *r, const char *id_text, sim_resp *out)
{
    if (!r) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s %s was not found.", src->what, id_text);
        sim_error(out, o->dialect, 404, "NotFound", msg, "id", id_text);
        return;
    }
    shaping sh;
    if (shaping_init(&sh, q, src) != 0) {
        shaping_free(&sh);
        oom(out, o->dialect);
        return;
    }
    cwa_buf_reset(&out->body);
    if (emit(&out->body, s, r, &sh) != 0)
        oom(out, o->dialect);
    else
        out->status = 200;
    shaping_free(&sh);
}
