#include "selcache.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

int sim_selcache_init(sim_selcache *c)
{
    memset(c, 0, sizeof *c);
    return pthread_mutex_init(&c->mu, NULL) == 0 ? 0 : -1;
}

static void drop(sim_selection *e)
{
    free(e->key);
    free(e->rows);
    memset(e, 0, sizeof *e);
}

void sim_selcache_free(sim_selcache *c)
{
    for (int i = 0; i < SIM_SELCACHE_SIZE; i++)
        drop(&c->e[i]);
    pthread_mutex_destroy(&c->mu);
}

int sim_selcache_get(sim_selcache *c, const char *key, unsigned long version, size_t first, size_t max,
                     sim_record **out, size_t *count, size_t *total)
{
    int hit = 0;
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < SIM_SELCACHE_SIZE && !hit; i++) {
        sim_selection *e = &c->e[i];
        if (!e->key || e->version != version || strcmp(e->key, key) != 0)
            continue;
        size_t n = first < e->n ? e->n - first : 0;
        if (n > max)
            n = max;
        if (n)
            memcpy(out, e->rows + first, n * sizeof *out);
        *count = n;
        *total = e->n;
        hit = 1;
    }
    pthread_mutex_unlock(&c->mu);
    return hit;
}

void sim_selcache_put(sim_selcache *c, const char *key, unsigned long version, sim_record **rows,
                      size_t n)
{
    char *k = sim_strdup(key);
    if (!k) {
        free(rows);
        return;
    }
    pthread_mutex_lock(&c->mu);
    sim_selection *e = &c->e[c->next];
    c->next = (c->next + 1) % SIM_SELCACHE_SIZE;
    drop(e);
    e->key = k;
    e->version = version;
    e->rows = rows;
    e->n = n;
    pthread_mutex_unlock(&c->mu);
}
