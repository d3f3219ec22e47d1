#include "util.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

uint64_t sim_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

double sim_unit(uint64_t x)
{
    return (double)(sim_mix64(x) >> 11) / 9007199254740992.0;
}

long sim_pick(uint64_t x, long n)
{
    return (long)(sim_mix64(x) % (uint64_t)n);
}

long long sim_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sim_sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void sim_iso(time_t t, char out[20])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
}

int sim_strieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

const char *sim_stristr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return hay;
    return n ? NULL : hay;
}

char *sim_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *sim_strdup(const char *s)
{
    return sim_strndup(s, strlen(s));
}

void sim_lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

int sim_parse_long(const char *s, long *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || isspace((unsigned char)*s))
        return -1;
    *out = v;
    return 0;
}

cJSON *sim_json_path(const cJSON *obj, const char *dotted)
{
    char key[128];
    const cJSON *cur = obj;
    while (cur && *dotted) {
        const char *dot = strchr(dotted, '.');
        size_t n = dot ? (size_t)(dot - dotted) : strlen(dotted);
        if (n == 0 || n >= sizeof key || !cJSON_IsObject(cur))
            return NULL;
        memcpy(key, dotted, n);
        key[n] = '\0';
        cur = cJSON_GetObjectItem(cur, key); /* case-insensitive */
        dotted += n + (dot ? 1 : 0);
        if (dot && !*dotted)
            return NULL;
    }
    return (cJSON *)cur;
}
