#include "cwa_str.h"

#include <stdlib.h>
#include <string.h>

char *cwa_str_dup(const char *s, int *failed)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d && failed)
        *failed = 1;
    return d;
}

void cwa_wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (v && n--)
        *v++ = 0;
}

void cwa_str_wipe_free(char **s)
{
    if (*s) {
        cwa_wipe(*s, strlen(*s));
        free(*s);
        *s = NULL;
    }
}

void cwa_str_excerpt(const char *body, size_t len, size_t max, char *out, size_t cap)
{
    if (cap < 5) {
        if (cap)
            out[0] = '\0';
        return;
    }
    size_t i = 0, j = 0;
    int space = 0;
    for (; i < len; i++) {
        unsigned char ch = (unsigned char)body[i];
        if (ch <= 0x20) {
            space = j > 0;
            continue;
        }
        /* room for the separator, this character, "..." and the NUL */
        if (j + (size_t)space >= max || j + (size_t)space + 5 > cap)
            break;
        if (space)
            out[j++] = ' ';
        space = 0;
        out[j++] = ch < 0x7f ? (char)ch : '?';
    }
    if (i < len) {
        memcpy(out + j, "...", 3);
        j += 3;
    }
    out[j] = '\0';
}

const cJSON *cwa_json_get(const cJSON *obj, const char *name)
{
    /* cJSON_GetObjectItem compares names without regard to case */
    return cJSON_IsObject(obj) ? cJSON_GetObjectItem(obj, name) : NULL;
}

const char *cwa_json_string(const cJSON *obj, const char *name)
{
    const cJSON *v = cwa_json_get(obj, name);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}
