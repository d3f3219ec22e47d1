#include "stats.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const stat_names[SIM_STAT_KINDS] = {
    "logins",       "login_failures",      "refreshes", "two_factor_challenges",
    "rate_limited", "concurrency_limited", "proxied",   "logouts"};

static void map_free(sim_countmap *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].key);
    free(m->v);
    memset(m, 0, sizeof *m);
}

/* Losing one count when memory runs out is preferable to failing the
 * request that is being counted. */
static void map_add(sim_countmap *m, const char *key)
{
    for (size_t i = m->n; i-- > 0;)
        if (strcmp(m->v[i].key, key) == 0) {
            m->v[i].n++;
            return;
        }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 32;
        sim_count *v = realloc(m->v, cap * sizeof *v);
        if (!v)
            return;
        m->v = v;
        m->cap = cap;
    }
    char *k = sim_strdup(key);
    if (!k)
        return;
    m->v[m->n].key = k;
    m->v[m->n].n = 1;
    m->n++;
}

int sim_stats_init(sim_stats *s)
{
    memset(s, 0, sizeof *s);
    return pthread_mutex_init(&s->mu, NULL) == 0 ? 0 : -1;
}

void sim_stats_free(sim_stats *s)
{
    map_free(&s->pages);
    map_free(&s->paths);
    pthread_mutex_destroy(&s->mu);
}

void sim_stats_reset(sim_stats *s)
{
    pthread_mutex_lock(&s->mu);
    s->requests = 0;
    memset(s->by_status, 0, sizeof s->by_status);
    memset(s->counts, 0, sizeof s->counts);
    memset(s->faults, 0, sizeof s->faults);
    s->max_concurrency = s->in_flight;
    map_free(&s->pages);
    map_free(&s->paths);
    pthread_mutex_unlock(&s->mu);
}

long sim_stats_enter(sim_stats *s)
{
    pthread_mutex_lock(&s->mu);
    s->requests++;
    long n = ++s->in_flight;
    if (n > s->max_concurrency)
        s->max_concurrency = n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void sim_stats_leave(sim_stats *s)
{
    pthread_mutex_lock(&s->mu);
    s->in_flight--;
    pthread_mutex_unlock(&s->mu);
}

void sim_stats_count(sim_stats *s, sim_stat which)
{
    pthread_mutex_lock(&s->mu);
    s->counts[which]++;
    pthread_mutex_unlock(&s->mu);
}

void sim_stats_fault(sim_stats *s, sim_fault f)
{
    pthread_mutex_lock(&s->mu);
    s->faults[f]++;
    pthread_mutex_unlock(&s->mu);
}

void sim_stats_answer(sim_stats *s, int status, const char *page_key, const char *path)
{
    pthread_mutex_lock(&s->mu);
    if (status >= 100 && status < 600)
        s->by_status[status]++;
    if (status == 429)
        s->counts[SIM_STAT_RATE_LIMITED]++;
    if (page_key)
        map_add(&s->pages, page_key);
    else if (path)
        map_add(&s->paths, path);
    pthread_mutex_unlock(&s->mu);
}

static int add_map(cJSON *root, const char *name, const sim_countmap *m)
{
    cJSON *o = cJSON_AddObjectToObject(root, name);
    if (!o)
        return -1;
    for (size_t i = 0; i < m->n; i++)
        if (!cJSON_AddNumberToObject(o, m->v[i].key, (double)m->v[i].n))
            return -1;
    return 0;
}

cJSON *sim_stats_json(sim_stats *s)
{
    cJSON *root = cJSON_CreateObject(), *o;
    int ok = root != NULL;
    pthread_mutex_lock(&s->mu);
    ok = ok && cJSON_AddNumberToObject(root, "requests", (double)s->requests);
    o = ok ? cJSON_AddObjectToObject(root, "by_status") : NULL;
    ok = o != NULL;
    if (ok) {
        char code[16];
        for (int i = 100; i < 600 && ok; i++)
            if (s->by_status[i]) {
                snprintf(code, sizeof code, "%d", i);
                ok = cJSON_AddNumberToObject(o, code, (double)s->by_status[i]) != NULL;
            }
    }
    for (int k = 0; k < SIM_STAT_KINDS && ok; k++)
        ok = cJSON_AddNumberToObject(root, stat_names[k], (double)s->counts[k]) != NULL;
    o = ok ? cJSON_AddObjectToObject(root, "faults") : NULL;
    ok = o != NULL;
    if (ok)
        for (int k = 1; k < SIM_FAULT_KINDS && ok; k++)
            ok = cJSON_AddNumberToObject(o, sim_fault_name((sim_fault)k), (double)s->faults[k]) != NULL;
    ok = ok && cJSON_AddNumberToObject(root, "max_concurrency", (double)s->max_concurrency) &&
         cJSON_AddNumberToObject(root, "in_flight", (double)s->in_flight) &&
         add_map(root, "pages", &s->pages) == 0 && add_map(root, "requests_by_path", &s->paths) == 0;
    pthread_mutex_unlock(&s->mu);
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
