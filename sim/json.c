#include "json.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_string(cwa_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s)
        s = "";
    if (cwa_buf_reserve(b, strlen(s) + 2) != 0 || cwa_buf_putc(b, '"') != 0)
        return -1;
    const char *run = s;
    for (const unsigned char *p = (const unsigned char *)s;; p++) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (cwa_buf_append(b, run, (size_t)((const char *)p - run)) != 0)
            return -1;
        if (!c)
            break;
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (cwa_buf_append(b, esc, n) != 0)
            return -1;
        run = (const char *)p + 1;
    }
    return cwa_buf_putc(b, '"');
}

static int write_number(cwa_buf *b, double d)
{
    char buf[32];
    if (isnan(d) || isinf(d))
        return cwa_buf_puts(b, "null");
    if (d == floor(d) && fabs(d) < 9007199254740992.0) {
        long long v = (long long)d;
        char *p = buf + sizeof buf;
        unsigned long long u = v < 0 ? (unsigned long long)(-v) : (unsigned long long)v;
        *--p = '\0';
        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0)
            *--p = '-';
        return cwa_buf_puts(b, p);
    }
    snprintf(buf, sizeof buf, "%1.15g", d);
    double back;
    if (sscanf(buf, "%lg", &back) != 1 || back != d)
        snprintf(buf, sizeof buf, "%1.17g", d);
    return cwa_buf_puts(b, buf);
}

static int write_item(cwa_buf *b, const cJSON *item, int string_id);

int sim_json_write(cwa_buf *b, const cJSON *item)
{
    return write_item(b, item, 0);
}

int sim_json_write_record(cwa_buf *b, const cJSON *obj, int string_id)
{
    return write_item(b, obj, string_id);
}

/* string_id: the object's own numeric "Id" is written quoted (nested
 * objects are written as they are). */
static int write_item(cwa_buf *b, const cJSON *item, int string_id)
{
    const cJSON *c;
    int rc = 0;
    switch (item->type & 0xff) {
    case cJSON_NULL: return cwa_buf_puts(b, "null");
    case cJSON_False: return cwa_buf_puts(b, "false");
    case cJSON_True: return cwa_buf_puts(b, "true");
    case cJSON_Number: return write_number(b, item->valuedouble);
    case cJSON_String: return write_string(b, item->valuestring);
    case cJSON_Raw: return cwa_buf_puts(b, item->valuestring ? item->valuestring : "");
    case cJSON_Array:
        rc = cwa_buf_putc(b, '[');
        for (c = item->child; c && rc == 0; c = c->next) {
            if (c != item->child)
                rc = cwa_buf_putc(b, ',');
            rc |= sim_json_write(b, c);
        }
        return rc | cwa_buf_putc(b, ']');
    case cJSON_Object:
        rc = cwa_buf_putc(b, '{');
        for (c = item->child; c && rc == 0; c = c->next) {
            if (c != item->child)
                rc = cwa_buf_putc(b, ',');
            rc |= write_string(b, c->string);
            rc |= cwa_buf_putc(b, ':');
            if (string_id && cJSON_IsNumber(c) && strcmp(c->string, "Id") == 0)
                rc |= cwa_buf_putc(b, '"') | write_number(b, c->valuedouble) | cwa_buf_putc(b, '"');
            else
                rc |= sim_json_write(b, c);
        }
        return rc | cwa_buf_putc(b, '}');
    default: return cwa_buf_puts(b, "null");
    }
}

char *sim_json_print(const cJSON *item, size_t *len)
{
    return sim_json_print_record(item, 0, len);
}

char *sim_json_print_record(const cJSON *obj, int string_id, size_t *len)
{
    /* one generous allocation, trimmed afterwards, instead of a chain of
     * doublings per record */
    cwa_buf b = {0};
    if (cwa_buf_reserve(&b, 2048) != 0 || write_item(&b, obj, string_id) != 0) {
        cwa_buf_free(&b);
        return NULL;
    }
    size_t n = b.len;
    char *s = cwa_buf_steal(&b, NULL);
    char *trimmed = s ? realloc(s, n + 1) : NULL;
    if (len)
        *len = n;
    return trimmed ? trimmed : s;
}
