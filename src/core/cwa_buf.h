/*
 * cwa_buf: a growable byte buffer.
 *
 * Contract: a zeroed cwa_buf is empty and valid. Appends keep the data
 * NUL-terminated (data[len] == '\0' once anything was appended) so it can be
 * used as a C string when the content has no NUL. Every function that
 * allocates returns 0 on success and -1 when memory ran out, leaving the
 * buffer as it was. cwa_buf_free releases the memory and zeroes the buffer.
 */
#ifndef CWA_BUF_H
#define CWA_BUF_H

#include <stddef.h>

typedef struct cwa_buf {
    char *data;
    size_t len;
    size_t cap;
} cwa_buf;

int cwa_buf_reserve(cwa_buf *b, size_t extra);
int cwa_buf_append(cwa_buf *b, const void *data, size_t len);
int cwa_buf_puts(cwa_buf *b, const char *s);
int cwa_buf_putc(cwa_buf *b, char c);
int cwa_buf_printf(cwa_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Keeps the allocation, forgets the content. */
void cwa_buf_reset(cwa_buf *b);
void cwa_buf_free(cwa_buf *b);
/* Hands the allocation to the caller (NUL-terminated, never NULL on success)
 * and leaves the buffer empty; NULL when memory ran out. */
char *cwa_buf_steal(cwa_buf *b, size_t *len);

#endif
