#include "query.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cwa_buf.h"
#include "util.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char *decode(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

int sim_query_parse(sim_query *q, const char *qs)
{
    memset(q, 0, sizeof *q);
    if (!qs)
        return 0;
    while (*qs) {
        const char *amp = strchr(qs, '&');
        size_t n = amp ? (size_t)(amp - qs) : strlen(qs);
        if (n > 0) {
            const char *eq = memchr(qs, '=', n);
            size_t kn = eq ? (size_t)(eq - qs) : n;
            sim_param *p = realloc(q->p, (q->n + 1) * sizeof *p);
            if (!p)
                return -1;
            q->p = p;
            p = &q->p[q->n];
            p->key = decode(qs, kn);
            p->value = eq ? decode(eq + 1, n - kn - 1) : sim_strdup("");
            q->n++;
            if (!p->key || !p->value)
                return -1;
            for (size_t i = 0; i + 1 < q->n; i++)
                if (sim_strieq(q->p[i].key, p->key))
                    q->duplicate = 1;
        }
        qs += n + (amp ? 1 : 0);
    }
    return 0;
}

const char *sim_query_get(const sim_query *q, const char *key)
{
    for (size_t i = 0; i < q->n; i++)
        if (sim_strieq(q->p[i].key, key))
            return q->p[i].value;
    return NULL;
}

static int cmp_param(const void *a, const void *b)
{
    const sim_param *x = *(const sim_param *const *)a, *y = *(const sim_param *const *)b;
    int c = strcasecmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

char *sim_query_key(const char *path, const sim_query *q)
{
    cwa_buf b = {0};
    const sim_param **order = malloc((q->n ? q->n : 1) * sizeof *order);
    if (!order)
        return NULL;
    for (size_t i = 0; i < q->n; i++)
        order[i] = &q->p[i];
    qsort(order, q->n, sizeof *order, cmp_param);
    int rc = cwa_buf_puts(&b, path);
    if (rc == 0)
        sim_lower(b.data);
    for (size_t i = 0; i < q->n && rc == 0; i++) {
        size_t at = b.len;
        rc = cwa_buf_putc(&b, i ? '&' : '?');
        rc |= cwa_buf_puts(&b, order[i]->key);
        if (rc == 0)
            sim_lower(b.data + at);
        rc |= cwa_buf_putc(&b, '=');
        rc |= cwa_buf_puts(&b, order[i]->value);
    }
    free(order);
    if (rc != 0) {
        cwa_buf_free(&b);
        return NULL;
    }
    return cwa_buf_steal(&b, NULL);
}

void sim_query_free(sim_query *q)
{
    for (size_t i = 0; i < q->n; i++) {
        free(q->p[i].key);
        free(q->p[i].value);
    }
    free(q->p);
    memset(q, 0, sizeof *q);
}
