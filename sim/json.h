/*
 * json: a fast writer for cJSON trees.
 *
 * Contract: sim_json_write appends the compact JSON text of item to b and
 * returns 0, or -1 when memory ran out. Output equals cJSON_PrintUnformatted
 * except that integral numbers are written without the printf/sscanf round
 * trip cJSON 1.7.15 does for every number (that round trip dominated data
 * generation), and other numbers with "%.17g" trimmed like cJSON's.
 * sim_json_print returns a malloc'd NUL-terminated string (free()).
 * The _record variants write a record: with string_id set, its top-level
 * numeric "Id" goes out as a JSON string ("42"), as --string-ids asks.
 */
#ifndef SIM_JSON_H
#define SIM_JSON_H

#include <stddef.h>

#include "cwa_buf.h"

struct cJSON;

int sim_json_write(cwa_buf *b, const struct cJSON *item);
char *sim_json_print(const struct cJSON *item, size_t *len);
int sim_json_write_record(cwa_buf *b, const struct cJSON *obj, int string_id);
char *sim_json_print_record(const struct cJSON *obj, int string_id, size_t *len);

#endif
