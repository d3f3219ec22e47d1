/*
 * util: small helpers shared by the simulator's modules.
 *
 * Contract: every function is reentrant and keeps no state. The random
 * helpers are pure functions of their input (splitmix64), so anything drawn
 * from (seed, sequence number) is reproducible across runs and threads.
 * Dates are written as Automate writes them: ISO 8601 local time without a
 * zone ("2024-02-14T08:30:00"); the simulator computes them in UTC.
 */
#ifndef SIM_UTIL_H
#define SIM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cJSON;

uint64_t sim_mix64(uint64_t x);
/* A double in [0, 1) drawn from x. */
double sim_unit(uint64_t x);
/* An integer in [0, n) drawn from x (n > 0). */
long sim_pick(uint64_t x, long n);

long long sim_now_ms(void); /* monotonic clock */
void sim_sleep_ms(long ms);
/* Writes "YYYY-MM-DDTHH:MM:SS" (UTC, no zone) into out[20]. */
void sim_iso(time_t t, char out[20]);

int sim_strieq(const char *a, const char *b);
/* Case-insensitive substring search; NULL when absent. */
const char *sim_stristr(const char *hay, const char *needle);
char *sim_strdup(const char *s);
char *sim_strndup(const char *s, size_t n);
void sim_lower(char *s);

/* Parses a whole decimal integer (optional sign); 0 on success. */
int sim_parse_long(const char *s, long *out);

/* Walks a dotted path through nested objects, keys case-insensitive. */
struct cJSON *sim_json_path(const struct cJSON *obj, const char *dotted);

#endif
