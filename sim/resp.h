/*
 * resp: a response being built, independent of libmicrohttpd, plus the error
 * bodies of each dialect.
 *
 * Contract: a zeroed sim_resp is valid; the handlers fill status, body,
 * content type and up to SIM_MAX_HEADERS extra headers; http.c turns it into
 * the wire response and sim_resp_free releases it. Helpers return 0, or -1
 * when memory ran out (the response is then a bare 500).
 *
 * Error shapes (chosen per kind of error, always the same for a kind):
 *  apitoken: {"code","message","errors":[{"message"}]} for everything except
 *            request validation (bad page/pageSize/orderBy value, body that is
 *            not JSON or misses a field), which is ASP.NET's
 *            {"Message":"The request is invalid.","ModelState":{field:[msg]}},
 *            and what the framework answers before any handler runs (a
 *            repeated query key), which is ASP.NET's bare {"Message"}.
 *  apicredentials: {"error":{"code","message","details":{"field","value"}}}
 *            for everything (details only when a field is known).
 */
#ifndef SIM_RESP_H
#define SIM_RESP_H

#include "cwa_buf.h"
#include "cwa_cond.h"

#define SIM_MAX_HEADERS 10

struct cJSON;

typedef struct sim_resp {
    int status;
    cwa_buf body;
    const char *ctype; /* static string; JSON when NULL */
    int nhdr;
    char hdr[SIM_MAX_HEADERS][2][64];
    int list;    /* a collection listing (counted in /__stats pages) */
    int no_body; /* 204 */
} sim_resp;

void sim_resp_header(sim_resp *r, const char *name, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Serializes obj (not consumed) as the body. */
int sim_resp_json(sim_resp *r, int status, const struct cJSON *obj);
/* Like sim_resp_json but consumes obj. */
int sim_resp_take(sim_resp *r, int status, struct cJSON *obj);
void sim_resp_empty(sim_resp *r, int status);
void sim_resp_free(sim_resp *r);

/* code: "BadRequest", "Unauthorized", "NotFound", ...; field/value optional. */
int sim_error(sim_resp *r, cwa_dialect d, int status, const char *code, const char *message,
              const char *field, const char *value);
/* A framework error: {"Message"} in apitoken, sim_error's shape otherwise. */
int sim_error_message(sim_resp *r, cwa_dialect d, int status, const char *code, const char *message);
/* A validation 400 (ModelState shape in apitoken). */
int sim_error_invalid(sim_resp *r, cwa_dialect d, const char *field, const char *value,
                      const char *message);

#endif
