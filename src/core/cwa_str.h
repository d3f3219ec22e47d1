/*
 * cwa_str: the small string helpers every part of the core needs, in one
 * copy: copying optional strings, wiping secrets, and finding a field of a
 * server's JSON answer (the start of a body in a message is cwa_scrub's).
 *
 * cwa_str_dup copies s with malloc; NULL gives NULL. When memory runs out
 * it returns NULL and sets *failed to 1 (never back to 0), so a caller
 * copying several strings checks once at the end; failed may be NULL when
 * a missing copy is acceptable.
 *
 * cwa_wipe overwrites n bytes with zeros through a volatile pointer, so the
 * compiler cannot drop the stores as dead before a free. NULL is fine.
 * cwa_str_wipe_free wipes a NUL-terminated string, frees it and sets *s to
 * NULL; *s NULL is fine. Used for passwords, 2FA codes, tokens and every
 * text that held one (request bodies, cJSON's copies, the token cache).
 *
 * cwa_json_get finds the member name of obj in any case (servers and
 * proxies differ: "Message", "message"); NULL when obj is not an object or
 * has no such member. cwa_json_string is the same for a string member that
 * is not empty; NULL otherwise.
 */
#ifndef CWA_STR_H
#define CWA_STR_H

#include <cjson/cJSON.h>
#include <stddef.h>

char *cwa_str_dup(const char *s, int *failed);
void cwa_wipe(void *p, size_t n);
void cwa_str_wipe_free(char **s);

const cJSON *cwa_json_get(const cJSON *obj, const char *name);
const char *cwa_json_string(const cJSON *obj, const char *name);

#endif
