/*
 * libFuzzer target: the condition language (src/cwa_cond.h).
 *
 * The input is condition text, parsed in each dialect. Beyond "no crash, no
 * leak, no UB" it checks the contract: a failed parse names a syntax fault
 * (or memory) with a NUL-terminated message; evaluation on a fixed record is
 * 1, 0 or -1 with a non-syntax kind; cwa_cond_format behaves like snprintf;
 * the canonical text parses again in the same dialect, is a fixed point and
 * evaluates the same way. Any broken rule aborts, which libFuzzer reports.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwa_cond.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every kind of value the evaluator distinguishes: strings, numbers, dates,
 * booleans, nulls, nested objects, arrays of scalars and of objects. */
static const char RECORD[] =
    "{\"Id\": 42, \"ComputerName\": \"WEB-DC01\", \"Status\": \"Online\","
    " \"Client\": {\"Id\": 100, \"Name\": \"Acme Corp\"},"
    " \"Location\": {\"Id\": 7, \"Name\": \"HQ\", \"Site\": null},"
    " \"TotalMemory\": 16384, \"FreeMemory\": 2048.5, \"IsMaster\": true,"
    " \"IsVirtual\": false, \"RemoteAgentLastContact\": \"2024-02-14T10:30:00\","
    " \"InstallDate\": \"2023-01-05\", \"SerialNumber\": \"12345\", \"Comment\": null,"
    " \"Empty\": \"\", \"Quote\": \"O'Brien \\\"Bob\\\"\", \"Path\": \"100%_done\\\\x\","
    " \"Unicode\": \"caf\\u00e9\", \"OpenPortsTCP\": [80, 443, 3389],"
    " \"UserAccounts\": [\"bob\", \"Alice\"], \"Tags\": [],"
    " \"LoggedInUsers\": [{\"LoggedInUserName\": \"ann\"}, {\"LoggedInUserName\": null}]}";

#define REQUIRE(c)                                                                                      \
    do {                                                                                                \
        if (!(c)) {                                                                                     \
            fprintf(stderr, "fuzz_cond: broken rule at line %d: %s\n", __LINE__, #c);                   \
            abort();                                                                                    \
        }                                                                                               \
    } while (0)

static void count_field(const char *field, void *ud)
{
    REQUIRE(field != NULL && field[0] != '\0');
    ++*(size_t *)ud;
}

static int message_ok(const cwa_cond_error *e)
{
    return memchr(e->message, '\0', sizeof e->message) != NULL;
}

/* The canonical text of c in a fresh allocation, checked against snprintf
 * behaviour with a full, a short and a one-byte buffer. */
static char *canonical(const cwa_cond *c)
{
    size_t need = cwa_cond_format(c, NULL, 0);
    REQUIRE(need > 0 && need < ((size_t)1 << 28));
    char *out = malloc(need + 1);
    if (!out)
        return NULL;
    REQUIRE(cwa_cond_format(c, out, need + 1) == need);
    REQUIRE(strlen(out) == need);
    char small[8];
    memset(small, 'x', sizeof small);
    REQUIRE(cwa_cond_format(c, small, sizeof small) == need);
    REQUIRE(strlen(small) == (need < sizeof small ? need : sizeof small - 1));
    REQUIRE(strncmp(small, out, strlen(small)) == 0);
    char one = 'x';
    REQUIRE(cwa_cond_format(c, &one, 1) == need && one == '\0');
    return out;
}

static void one_dialect(const char *text, size_t len, cwa_dialect d, const cJSON *rec)
{
    cwa_cond_error err;
    memset(&err, 0x55, sizeof err);
    cwa_cond *c = cwa_cond_parse(text, len, d, &err);
    if (!c) {
        REQUIRE(err.kind == CWA_COND_ERR_SYNTAX || err.kind == CWA_COND_ERR_NOMEM);
        REQUIRE(message_ok(&err) && err.message[0] != '\0');
        REQUIRE(err.column >= 0 && (size_t)err.column <= len + 1);
        return;
    }
    size_t fields = 0;
    cwa_cond_each_field(c, count_field, &fields);
    REQUIRE(fields > 0);

    cwa_cond_error e1;
    memset(&e1, 0, sizeof e1);
    int r1 = cwa_cond_eval(c, rec, &e1);
    REQUIRE(r1 == 0 || r1 == 1 || r1 == -1);
    if (r1 == -1) {
        REQUIRE(e1.kind == CWA_COND_ERR_UNKNOWN_FIELD || e1.kind == CWA_COND_ERR_TYPE ||
                e1.kind == CWA_COND_ERR_SERVER);
        REQUIRE(message_ok(&e1));
    }

    char *a = canonical(c);
    if (a) {
        cwa_cond_error e2;
        memset(&e2, 0, sizeof e2);
        cwa_cond *c2 = cwa_cond_parse(a, strlen(a), d, &e2);
        if (!c2) {
            REQUIRE(e2.kind == CWA_COND_ERR_NOMEM);
        } else {
            char *b = canonical(c2);
            if (b) {
                if (strcmp(a, b) != 0)
                    fprintf(stderr, "fuzz_cond: not a fixed point:\n  %s\n  %s\n", a, b);
                REQUIRE(strcmp(a, b) == 0);
                free(b);
            }
            cwa_cond_error e3;
            memset(&e3, 0, sizeof e3);
            int r2 = cwa_cond_eval(c2, rec, &e3);
            REQUIRE(r2 == r1);
            REQUIRE(r1 != -1 || e3.kind == e1.kind);
            cwa_cond_free(c2);
        }
        free(a);
    }
    cwa_cond_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cJSON *rec;
    if (!rec) {
        /* parsed once: the record is read-only for the evaluator */
        rec = cJSON_Parse(RECORD);
        REQUIRE(rec != NULL);
    }
    /* an exact-length copy, so reading past `size` is an ASan finding */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    one_dialect(text, size, CWA_DIALECT_ANY, rec);
    one_dialect(text, size, CWA_DIALECT_APITOKEN, rec);
    one_dialect(text, size, CWA_DIALECT_APICREDENTIALS, rec);
    free(text);
    return 0;
}
