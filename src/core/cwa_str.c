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
