#include "cwa_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cwa_buf_reserve(cwa_buf *b, size_t extra)
{
    if (extra > (size_t)-1 - b->len - 1)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int cwa_buf_append(cwa_buf *b, const void *data, size_t len)
{
    if (cwa_buf_reserve(b, len) != 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int cwa_buf_puts(cwa_buf *b, const char *s)
{
    return cwa_buf_append(b, s, strlen(s));
}

int cwa_buf_putc(cwa_buf *b, char c)
{
    return cwa_buf_append(b, &c, 1);
}

int cwa_buf_printf(cwa_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || cwa_buf_reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void cwa_buf_reset(cwa_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void cwa_buf_free(cwa_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *cwa_buf_steal(cwa_buf *b, size_t *len)
{
    if (cwa_buf_reserve(b, 0) != 0)
        return NULL;
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
