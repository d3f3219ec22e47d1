/* Unit tests of the condition language (src/cwa_cond.h). */
#include "cwa_cond.h"
#include "unit.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char *const COMPUTER =
    "{\"Id\": 42, \"ComputerName\": \"WEB-DC01\", \"Status\": \"Online\","
    " \"Client\": {\"Id\": 100, \"Name\": \"Acme Corp\"},"
    " \"Location\": {\"Id\": 7, \"Name\": \"HQ\", \"Site\": null},"
    " \"Type\": \"Server\", \"OperatingSystemName\": \"Microsoft Windows Server 2019\","
    " \"TotalMemory\": 16384, \"FreeMemory\": 2048.5, \"IsMaster\": true, \"IsVirtual\": false,"
    " \"RemoteAgentLastContact\": \"2024-02-14T10:30:00\","
    " \"InstallDate\": \"2023-01-05\", \"Stamp\": \"2024-02-14T10:30:00.1234567\","
    " \"SerialNumber\": \"12345\", \"Comment\": null, \"Empty\": \"\","
    " \"Quote\": \"O'Brien \\\"Bob\\\"\", \"Path\": \"100%_done\\\\x\","
    " \"Unicode\": \"caf\u00e9 na\u00efve\","
    " \"OpenPortsTCP\": [80, 443, 3389], \"UserAccounts\": [\"bob\", \"Alice\"],"
    " \"Tags\": []}";

typedef struct outcome {
    int rc; /* eval result, or -2 when the parse failed */
    cwa_cond_error err;
} outcome;

static outcome run_d(const char *cond, const char *json, cwa_dialect d)
{
    outcome o;
    memset(&o, 0, sizeof o);
    cwa_cond *c = cwa_cond_parse(cond, strlen(cond), d, &o.err);
    if (!c) {
        o.rc = -2;
        return o;
    }
    cJSON *rec = cJSON_Parse(json);
    if (!rec) {
        o.rc = -3;
        cwa_cond_free(c);
        return o;
    }
    o.rc = cwa_cond_eval(c, rec, &o.err);
    cJSON_Delete(rec);
    cwa_cond_free(c);
    return o;
}

static int ev_d(const char *cond, cwa_dialect d)
{
    return run_d(cond, COMPUTER, d).rc;
}
static int ev(const char *cond)
{
    return ev_d(cond, CWA_DIALECT_ANY);
}

static cwa_cond_error perr_d(const char *cond, size_t len, cwa_dialect d)
{
    cwa_cond_error e;
    memset(&e, 0x55, sizeof e);
    cwa_cond *c = cwa_cond_parse(cond, len, d, &e);
    if (c) {
        cwa_cond_free(c);
        e.kind = CWA_COND_OK;
        strcpy(e.message, "(parsed)");
    }
    return e;
}

static cwa_cond_error perr(const char *cond)
{
    return perr_d(cond, strlen(cond), CWA_DIALECT_ANY);
}

static int parses_d(const char *cond, cwa_dialect d)
{
    return perr_d(cond, strlen(cond), d).kind == CWA_COND_OK;
}

/* Canonical text of cond (ANY dialect) in a caller buffer; "(error: msg)" on
 * a parse failure so CHECK_STR shows why. */
static const char *fmt(const char *cond, char *buf, size_t cap)
{
    cwa_cond_error e;
    cwa_cond *c = cwa_cond_parse(cond, strlen(cond), CWA_DIALECT_ANY, &e);
    if (!c) {
        snprintf(buf, cap, "(error: %s)", e.message);
        return buf;
    }
    cwa_cond_format(c, buf, cap);
    cwa_cond_free(c);
    return buf;
}

/* format(parse(x)) is a fixed point and means the same on the fixture. */
static int round_trips(const char *cond)
{
    char a[1024], b[1024];
    fmt(cond, a, sizeof a);
    fmt(a, b, sizeof b);
    if (strcmp(a, b) != 0 || strncmp(a, "(error", 6) == 0)
        return 0;
    return ev(cond) == ev(a);
}

#define CHECK_ERR(text, msg)                                                                            \
    do {                                                                                                \
        cwa_cond_error e_ = perr(text);                                                                 \
        CHECK(e_.kind == CWA_COND_ERR_SYNTAX);                                                          \
        CHECK_STR(e_.message, msg);                                                                     \
    } while (0)

#define CHECK_ERR_PREFIX(text, prefix)                                                                  \
    do {                                                                                                \
        cwa_cond_error e_ = perr(text);                                                                 \
        CHECK(e_.kind == CWA_COND_ERR_SYNTAX);                                                          \
        if (strncmp(e_.message, prefix, strlen(prefix)) != 0)                                           \
            CHECK_STR(e_.message, prefix);                                                              \
    } while (0)

/* ------------------------------------------------------------ operators */

UNIT_TEST(cond_eq_string_case_insensitive)
{
    CHECK(ev("Status = 'Online'") == 1);
    CHECK(ev("Status = 'online'") == 1);
    CHECK(ev("Status = 'ONLINE'") == 1);
    CHECK(ev("Status = 'Offline'") == 0);
    CHECK(ev("Status eq 'online'") == 1);
    CHECK(ev("Status EQ \"Online\"") == 1);
}

UNIT_TEST(cond_ne_both_spellings)
{
    CHECK(ev("Status != 'Offline'") == 1);
    CHECK(ev("Status <> 'Offline'") == 1);
    CHECK(ev("Status != 'online'") == 0);
    CHECK(ev("Status <> 'ONLINE'") == 0);
}

UNIT_TEST(cond_numeric_ordering)
{
    CHECK(ev("Id > 41") == 1);
    CHECK(ev("Id > 42") == 0);
    CHECK(ev("Id >= 42") == 1);
    CHECK(ev("Id < 43") == 1);
    CHECK(ev("Id <= 42") == 1);
    CHECK(ev("Id <= 41") == 0);
    CHECK(ev("Id = 42.0") == 1);
    CHECK(ev("FreeMemory > 2048.4") == 1);
    CHECK(ev("FreeMemory < 2048.6") == 1);
    CHECK(ev("Id > -1") == 1);
    CHECK(ev("Id>-100.5") == 1);
}

UNIT_TEST(cond_numeric_compares_numerically_not_textually)
{
    CHECK(ev("Id > 5") == 1); /* "42" < "5" as text */
    CHECK(ev("Id < 100") == 1);
    CHECK(ev("TotalMemory > 9999") == 1);
}

UNIT_TEST(cond_numeric_string_field_vs_number)
{
    CHECK(ev("SerialNumber = 12345") == 1);
    CHECK(ev("SerialNumber > 9999") == 1); /* numerically, not "12345" < "9999" */
    CHECK(ev("SerialNumber < 200000") == 1);
    CHECK(ev("ComputerName = 5") == 0); /* not numeric: compared as text */
}

UNIT_TEST(cond_quoted_number_vs_number_field)
{
    CHECK(ev("Id = '42'") == 1);
    CHECK(ev("Id > '5'") == 1);
    outcome o = run_d("Id = 'abc'", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1);
    CHECK(o.err.kind == CWA_COND_ERR_TYPE);
}

UNIT_TEST(cond_string_ordering_case_insensitive)
{
    CHECK(ev("ComputerName > 'web-da'") == 1);
    CHECK(ev("ComputerName < 'WEB-DD'") == 1);
    CHECK(ev("ComputerName >= 'web-dc01'") == 1);
    CHECK(ev("ComputerName <= 'web-dc01'") == 1);
    CHECK(ev("ComputerName > 'web-dc01'") == 0);
    CHECK(ev("Status > 'a'") == 1);
    CHECK(ev("Status < 'Z'") == 1);
}

UNIT_TEST(cond_booleans)
{
    CHECK(ev("IsMaster = true") == 1);
    CHECK(ev("IsMaster = True") == 1);
    CHECK(ev("IsMaster = TRUE") == 1);
    CHECK(ev("IsMaster = false") == 0);
    CHECK(ev("IsVirtual = False") == 1);
    CHECK(ev("IsVirtual != true") == 1);
    CHECK(ev("IsMaster = 'true'") == 1);
    outcome o = run_d("IsMaster = 'yes'", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_TYPE);
}

UNIT_TEST(cond_null)
{
    CHECK(ev("Comment = null") == 1);
    CHECK(ev("Comment = NULL") == 1);
    CHECK(ev("Comment != null") == 0);
    CHECK(ev("Status = null") == 0);
    CHECK(ev("Status != null") == 1);
    CHECK(ev("Client = null") == 0);
    /* a null field is simply not equal to, nor ordered against, a value */
    CHECK(ev("Comment = 'x'") == 0);
    CHECK(ev("Comment != 'x'") == 1);
    CHECK(ev("Comment > 3") == 0);
    CHECK(ev("Comment like '%'") == 0);
    CHECK(ev("Comment contains 'x'") == 0);
    CHECK(ev("Comment in ('a', null)") == 1);
}

UNIT_TEST(cond_null_parent_makes_null_child)
{
    CHECK(ev("Location.Site.Name = null") == 1);
    CHECK(ev("Location.Site.Name = 'x'") == 0);
}

UNIT_TEST(cond_contains_string)
{
    CHECK(ev("ComputerName contains 'DC'") == 1);
    CHECK(ev("ComputerName contains 'dc0'") == 1);
    CHECK(ev("ComputerName contains 'web-dc01'") == 1);
    CHECK(ev("ComputerName contains 'xyz'") == 0);
    CHECK(ev("ComputerName contains ''") == 1);
    CHECK(ev("OperatingSystemName CONTAINS 'server'") == 1);
    CHECK(ev("ComputerName contains 'web-dc012'") == 0);
    CHECK(ev("ComputerName not contains 'DC'") == 0);
    CHECK(ev("ComputerName NOT CONTAINS 'mac'") == 1);
}

UNIT_TEST(cond_contains_array_membership)
{
    CHECK(ev("OpenPortsTCP contains 3389") == 1);
    CHECK(ev("OpenPortsTCP contains 22") == 0);
    CHECK(ev("OpenPortsTCP contains '443'") == 1);
    CHECK(ev("OpenPortsTCP not contains 22") == 1);
    CHECK(ev("UserAccounts Contains 'BOB'") == 1);
    CHECK(ev("UserAccounts contains 'bo'") == 0); /* membership, not substring */
    CHECK(ev("Tags contains 'x'") == 0);
    CHECK(ev("Tags not contains 'x'") == 1);
}

UNIT_TEST(cond_contains_type_errors)
{
    outcome o = run_d("Client contains 'x'", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_TYPE);
    o = run_d("Id contains 4", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_TYPE);
}

UNIT_TEST(cond_like_wildcards)
{
    CHECK(ev("ComputerName like 'WEB%'") == 1);
    CHECK(ev("ComputerName like 'web%'") == 1);
    CHECK(ev("ComputerName like '%dc%'") == 1);
    CHECK(ev("ComputerName like '%01'") == 1);
    CHECK(ev("ComputerName like '%02'") == 0);
    CHECK(ev("ComputerName like 'WEB-DC0_'") == 1);
    CHECK(ev("ComputerName like 'WEB-DC_'") == 0);
    CHECK(ev("ComputerName like '___-____'") == 1);
    CHECK(ev("ComputerName like 'web-dc01'") == 1);
    CHECK(ev("ComputerName like 'web'") == 0);
    CHECK(ev("ComputerName like '%'") == 1);
    CHECK(ev("ComputerName like '%%%'") == 1);
    CHECK(ev("Empty like '%'") == 1);
    CHECK(ev("Empty like '_'") == 0);
    CHECK(ev("ComputerName like 'W%D%1'") == 1);
    CHECK(ev("ComputerName like 'W%D%2'") == 0);
    CHECK(ev("OperatingSystemName not like '%Mac%'") == 1);
    CHECK(ev("OperatingSystemName NOT LIKE '%windows%'") == 0);
}

UNIT_TEST(cond_like_escapes_and_unicode)
{
    /* Path is 100%_done\x */
    CHECK(ev("Path like '100\\%\\_done%'") == 1);
    CHECK(ev("Path like '100\\%\\_done\\\\x'") == 1);
    CHECK(ev("Path like '100\\_%'") == 0);
    CHECK(ev("ComputerName like 'WEB\\%'") == 0);
    /* _ is one character, also when it is several bytes */
    CHECK(ev("Unicode like 'caf_ na_ve'") == 1);
    CHECK(ev("Unicode like 'caf__na_ve'") == 1);
    CHECK(ev("Unicode like 'caf___na_ve'") == 0);
    CHECK(ev("Unicode like 'caf_'") == 0);
    CHECK(ev("Unicode like '%\xc3\xa9%'") == 1);
}

UNIT_TEST(cond_like_on_numbers_uses_their_text)
{
    CHECK(ev("Id like '4%'") == 1);
    CHECK(ev("Id like '_2'") == 1);
    CHECK(ev("Id like '5%'") == 0);
}

UNIT_TEST(cond_like_is_not_exponential)
{
    /* a classic backtracking killer: %a%a%a...%b over aaaa...a */
    size_t n = 20000;
    char *json = malloc(n + 32), *cond = malloc(n + 64);
    CHECK(json && cond);
    if (!json || !cond) {
        free(json);
        free(cond);
        return;
    }
    strcpy(json, "{\"S\": \"");
    memset(json + 7, 'a', n);
    strcpy(json + 7 + n, "\"}");
    strcpy(cond, "S like '");
    size_t o = strlen(cond);
    for (int i = 0; i < 30; i++)
        cond[o++] = '%', cond[o++] = 'a';
    strcpy(cond + o, "%b'");
    CHECK(run_d(cond, json, CWA_DIALECT_ANY).rc == 0);
    cond[o + 1] = 'a';
    CHECK(run_d(cond, json, CWA_DIALECT_ANY).rc == 1);
    free(json);
    free(cond);
}

UNIT_TEST(cond_in_lists)
{
    CHECK(ev("Id in (1, 42, 3)") == 1);
    CHECK(ev("Id in (1,2,3)") == 0);
    CHECK(ev("Id IN (42)") == 1);
    CHECK(ev("Status in ('New','ONLINE')") == 1);
    CHECK(ev("Status in (\"Offline\")") == 0);
    CHECK(ev("Status not in ('Offline', 'Unknown')") == 1);
    CHECK(ev("Id not in (42)") == 0);
    CHECK(ev("Client.Id in (5, 100)") == 1);
}

UNIT_TEST(cond_startswith_endswith)
{
    CHECK(ev("ComputerName startswith 'web'") == 1);
    CHECK(ev("ComputerName STARTSWITH 'DC'") == 0);
    CHECK(ev("ComputerName endswith 'c01'") == 1);
    CHECK(ev("ComputerName EndsWith 'web'") == 0);
    CHECK(ev("ComputerName startswith 'WEB-DC01-LONGER'") == 0);
    CHECK(ev("ComputerName endswith ''") == 1);
    CHECK(ev("ComputerName startswith '%'") == 0); /* no wildcards here */
    CHECK(ev_d("ComputerName startswith 'web'", CWA_DIALECT_APICREDENTIALS) == 1);
}

UNIT_TEST(cond_dotted_fields_and_case_insensitive_names)
{
    CHECK(ev("Client.Id = 100") == 1);
    CHECK(ev("client.id = 100") == 1);
    CHECK(ev("CLIENT.NAME like 'acme%'") == 1);
    CHECK(ev("Location.Name = 'hq'") == 1);
    CHECK(ev("computername = 'web-dc01'") == 1);
}

UNIT_TEST(cond_unknown_field)
{
    outcome o = run_d("LastContact < 2024-01-01", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1);
    CHECK(o.err.kind == CWA_COND_ERR_UNKNOWN_FIELD);
    CHECK_STR(o.err.message, "Invalid field 'LastContact'");
    CHECK(o.err.column == 1);
    o = run_d("Id = 1 or Client.Bogus = 2", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_UNKNOWN_FIELD);
    CHECK_STR(o.err.message, "Invalid field 'Client.Bogus'");
    CHECK(o.err.column == 11);
    /* walking through a non-object */
    o = run_d("Status.Id = 1", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_UNKNOWN_FIELD);
}

UNIT_TEST(cond_unknown_field_reported_even_when_short_circuit_possible)
{
    outcome o = run_d("Id = 0 and Nope = 1", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_UNKNOWN_FIELD);
    o = run_d("Id = 42 or Nope = 1", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_UNKNOWN_FIELD);
}

UNIT_TEST(cond_type_mismatch)
{
    outcome o = run_d("Client > 3", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1);
    CHECK(o.err.kind == CWA_COND_ERR_TYPE);
    CHECK(o.err.column == 1);
    CHECK(strstr(o.err.message, "Client") != NULL);
    CHECK(strstr(o.err.message, "object") != NULL);
    o = run_d("OpenPortsTCP = 80", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_TYPE);
    o = run_d("ComputerName > 2024-01-01", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_TYPE);
    o = run_d("Id = 2024-01-01", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_TYPE);
    o = run_d("Client like 'x'", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_TYPE);
}

/* --------------------------------------------------------------- dates */

UNIT_TEST(cond_unquoted_dates)
{
    CHECK(ev("RemoteAgentLastContact > 2024-02-14") == 1);
    CHECK(ev("RemoteAgentLastContact < 2024-02-15") == 1);
    CHECK(ev("RemoteAgentLastContact >= 2024-02-14T10:30:00") == 1);
    CHECK(ev("RemoteAgentLastContact <= 2024-02-14T10:30:00") == 1);
    CHECK(ev("RemoteAgentLastContact = 2024-02-14T10:30:00.000") == 1);
    CHECK(ev("RemoteAgentLastContact > 2024-02-14T10:30:00.001") == 0);
    CHECK(ev("RemoteAgentLastContact < 2019-12-18T00:50:19") == 0);
    CHECK(ev("InstallDate = 2023-01-05T00:00:00") == 1);
    CHECK(ev("InstallDate = 2023-01-05") == 1);
    CHECK(ev("Stamp > 2024-02-14T10:30:00.1234") == 1);
    CHECK(ev("Stamp = 2024-02-14T10:30:00.1234567") == 1);
    CHECK(ev("RemoteAgentLastContact>=2024-02-14") == 1);
}

UNIT_TEST(cond_quoted_dates_by_dialect)
{
    CHECK(ev_d("RemoteAgentLastContact >= '2024-02-14'", CWA_DIALECT_APICREDENTIALS) == 1);
    CHECK(ev_d("RemoteAgentLastContact < '2024-02-14'", CWA_DIALECT_APICREDENTIALS) == 0);
    CHECK(ev_d("RemoteAgentLastContact = '2024-02-14T10:30:00'", CWA_DIALECT_ANY) == 1);
    CHECK(ev_d("InstallDate = \"2023-01-05\"", CWA_DIALECT_ANY) == 1);
    const char *ops[] = {"=", "!=", "<", ">", "<=", ">="};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        char c[80];
        snprintf(c, sizeof c, "RemoteAgentLastContact %s '2024-02-14'", ops[i]);
        outcome o = run_d(c, COMPUTER, CWA_DIALECT_APITOKEN);
        CHECK(o.rc == -1);
        CHECK(o.err.kind == CWA_COND_ERR_SERVER);
    }
    /* any quoted string, and in-lists too */
    outcome o = run_d("RemoteAgentLastContact = 'yesterday'", COMPUTER, CWA_DIALECT_APITOKEN);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_SERVER);
    o = run_d("InstallDate in ('2023-01-05')", COMPUTER, CWA_DIALECT_APITOKEN);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_SERVER);
    /* unquoted dates and like are fine on real servers */
    CHECK(ev_d("RemoteAgentLastContact >= 2024-02-14", CWA_DIALECT_APITOKEN) == 1);
    CHECK(ev_d("RemoteAgentLastContact like '2024-02%'", CWA_DIALECT_APITOKEN) == 1);
    /* quoted strings against non-date fields are fine */
    CHECK(ev_d("Status = 'Online'", CWA_DIALECT_APITOKEN) == 1);
}

UNIT_TEST(cond_invalid_dates)
{
    CHECK_ERR_PREFIX("D > 2024-13-01", "column 5: invalid date '2024-13-01'");
    CHECK_ERR_PREFIX("D > 2024-02-30x", "column 5: invalid date");
    CHECK_ERR_PREFIX("D > 2024-02-14T25:00:00", "column 5: invalid date");
    CHECK_ERR_PREFIX("D > 2024-02-14T10:00", "column 5: invalid date");
    CHECK_ERR_PREFIX("D > 2024-02-14T10:00:00.", "column 5: invalid date");
    CHECK(parses_d("D > 2024-02-14T10:00:00Z", CWA_DIALECT_ANY));
}

/* ---------------------------------------------------------- precedence */

UNIT_TEST(cond_and_binds_tighter_than_or)
{
    char b[256];
    CHECK_STR(fmt("a = 1 or b = 2 and c = 3", b, sizeof b), "a = 1 or b = 2 and c = 3");
    CHECK_STR(fmt("(a = 1 or b = 2) and c = 3", b, sizeof b), "(a = 1 or b = 2) and c = 3");
    /* Id = 42 is true: true or (x and false) = true */
    CHECK(ev("Id = 42 or Id = 1 and Id = 2") == 1);
    /* (true or false) and false = false */
    CHECK(ev("(Id = 42 or Id = 1) and Id = 2") == 0);
    CHECK(ev("Id = 1 and Id = 2 or Id = 42") == 1);
    CHECK(ev("Id = 1 and (Id = 2 or Id = 42)") == 0);
}

UNIT_TEST(cond_not_binds_tightest)
{
    char b[256];
    CHECK_STR(fmt("not a = 1 and b = 2", b, sizeof b), "not a = 1 and b = 2");
    CHECK_STR(fmt("not (a = 1 and b = 2)", b, sizeof b), "not (a = 1 and b = 2)");
    /* not false and false = false ; not (false and false) = true */
    CHECK(ev("not Id = 1 and Id = 2") == 0);
    CHECK(ev("not (Id = 1 and Id = 2)") == 1);
    CHECK(ev("not Id = 42 or Id = 42") == 1);
    CHECK(ev("not not Id = 42") == 1);
    CHECK(ev("NOT (Status = 'Offline')") == 1);
}

UNIT_TEST(cond_flattening_and_parens)
{
    char b[256];
    CHECK_STR(fmt("(a = 1 or b = 2) or c = 3", b, sizeof b), "a = 1 or b = 2 or c = 3");
    CHECK_STR(fmt("a = 1 and (b = 2 and c = 3)", b, sizeof b), "a = 1 and b = 2 and c = 3");
    CHECK_STR(fmt("((((a = 1))))", b, sizeof b), "a = 1");
    CHECK_STR(fmt("not (not (a = 1 or b = 2))", b, sizeof b), "not not (a = 1 or b = 2)");
    CHECK_STR(fmt("a=1 and (b=2 or (c=3 and d=4))", b, sizeof b),
              "a = 1 and (b = 2 or c = 3 and d = 4)");
}

UNIT_TEST(cond_keywords_case_insensitive)
{
    CHECK(ev("Id = 42 AND Status = 'online'") == 1);
    CHECK(ev("Id = 1 Or Status = 'online'") == 1);
    CHECK(ev("Id In (42)") == 1);
    CHECK(ev("ComputerName LiKe 'web%'") == 1);
    CHECK(ev("ComputerName NoT lIkE 'web%'") == 0);
    CHECK(ev("Not Id = 1") == 1);
    CHECK(ev("IsMaster = tRUE") == 1);
    CHECK(ev("Comment = Null") == 1);
}

/* ------------------------------------------------------------- lexing */

UNIT_TEST(cond_spaces_optional)
{
    CHECK(ev("Id>0") == 1);
    CHECK(ev("Id>=42and Id<=42") == 0 || 1); /* see below: 42and is not a number */
    CHECK(perr("Id>=42and Id<=42").kind == CWA_COND_ERR_SYNTAX);
    CHECK(ev("Status='Online'and Id=42") == 1);
    CHECK(ev("Id in(1,42)") == 1);
    CHECK(ev("(Id=42)or(Id=1)") == 1);
    CHECK(ev("Client.Id=100") == 1);
    CHECK(ev("\t Id \r\n = \n 42 ") == 1);
    CHECK(parses_d("DeploymentLoginId=5", CWA_DIALECT_APITOKEN));
}

UNIT_TEST(cond_string_quoting)
{
    CHECK(ev("Quote = 'O''Brien \"Bob\"'") == 1);
    CHECK(ev("Quote = \"O'Brien \"\"Bob\"\"\"") == 1);
    CHECK(ev("Quote like '%''%'") == 1);
    CHECK(ev("Quote contains '\"'") == 1);
    CHECK(ev("Empty = ''") == 1);
    CHECK(ev("Empty = \"\"") == 1);
    CHECK(ev("Status = ''''") == 0);
}

UNIT_TEST(cond_numbers_and_decimals)
{
    CHECK(parses_d("a = 0", CWA_DIALECT_ANY));
    CHECK(parses_d("a = -0.5", CWA_DIALECT_ANY));
    CHECK(parses_d("a = 123456789012345678901234567890", CWA_DIALECT_ANY));
    CHECK_ERR("a = 1.", "column 5: invalid number");
    CHECK_ERR("a = 1.2.3", "column 5: invalid number");
    CHECK_ERR("a = 12abc", "column 5: invalid number");
    CHECK_ERR_PREFIX("a = .5", "column 5: unexpected character '.'");
    CHECK_ERR_PREFIX("a = -", "column 5: unexpected character '-'");
}

UNIT_TEST(cond_field_names)
{
    CHECK(parses_d("_x = 1", CWA_DIALECT_ANY));
    CHECK(parses_d("a1.b_2.c3 = 1", CWA_DIALECT_ANY));
    CHECK_ERR("Client. = 1", "column 8: expected a field name after '.'");
    CHECK_ERR("Client..Id = 1", "column 8: expected a field name after '.'");
    CHECK_ERR("Client.1 = 1", "column 8: expected a field name after '.'");
    CHECK_ERR("1abc = 1", "column 1: invalid number");
    CHECK_ERR("'Name' = 1", "column 1: expected a field name");
    CHECK_ERR("and = 1", "column 1: expected a field name");
}

/* ------------------------------------------------------- error messages */

UNIT_TEST(cond_error_double_equals)
{
    CHECK_ERR("Status == 'x'", "column 8: '==' is not an operator; use '='");
    cwa_cond_error e = perr("Status == 'x'");
    CHECK(e.column == 8);
}

UNIT_TEST(cond_error_foreign_operators)
{
    CHECK_ERR("Id gt 5", "column 4: 'gt' is not an operator; use '>'");
    CHECK_ERR("Id NE 5", "column 4: 'ne' is not an operator; use '!='");
    CHECK_ERR("a = 1 && b = 2", "column 7: '&&' is not an operator; use 'and'");
    CHECK_ERR("a = 1 || b = 2", "column 7: '||' is not an operator; use 'or'");
    CHECK_ERR("a ! 1", "column 3: '!' is not an operator; use '!=' or 'not'");
}

UNIT_TEST(cond_error_unterminated_string)
{
    CHECK_ERR("Status = 'Online", "column 10: unterminated string");
    CHECK_ERR("Name = 'a' and X = \"b", "column 20: unterminated string");
    CHECK_ERR("Name = 'it''", "column 8: unterminated string");
}

UNIT_TEST(cond_error_expected_field)
{
    CHECK_ERR("= 5", "column 1: expected a field name");
    CHECK_ERR("Id = 1 and", "column 11: expected a field name");
    CHECK_ERR("Id = 1 or or", "column 11: expected a field name");
    CHECK_ERR("()", "column 2: expected a field name before ')'");
    CHECK_ERR("5 = Id", "column 1: expected a field name");
}

UNIT_TEST(cond_error_expected_paren)
{
    CHECK_ERR("(Id = 1 or Id = 2", "column 18: expected ')'");
    CHECK_ERR("(Id = 1 Id = 2)", "column 9: expected ')'");
    CHECK_ERR("Id = 1)", "column 7: unmatched ')'");
}

UNIT_TEST(cond_error_expected_value)
{
    CHECK_ERR_PREFIX("Status = ", "column 10: expected a value after '='");
    CHECK_ERR("Status = and", "column 10: expected a value after '=', found 'and'");
    CHECK_ERR_PREFIX("Id >= )", "column 7: expected a value after '>='");
    CHECK_ERR_PREFIX("Id in (1,)", "column 10: expected a value after ','");
    CHECK_ERR_PREFIX("Id in (,1)", "column 8: expected a value after '('");
    CHECK_ERR_PREFIX("Id = Status", "column 6: expected a value after '='");
}

UNIT_TEST(cond_error_expected_operator)
{
    CHECK_ERR("Status", "column 7: expected an operator after 'Status', found the end of the condition");
    CHECK_ERR("Status 'x'", "column 8: expected an operator after 'Status', found ''x''");
    CHECK_ERR("Status not = 'x'", "column 12: expected 'in', 'like' or 'contains' after 'not'");
    CHECK_ERR_PREFIX("Client.Name Name = 1", "column 13: expected an operator after 'Client.Name'");
}

UNIT_TEST(cond_error_in_lists)
{
    CHECK_ERR("Id in ()", "column 8: empty list after 'in'; give at least one value");
    CHECK_ERR("Id in 1", "column 7: expected '(' after 'in'");
    CHECK_ERR("Id in (1 2)", "column 10: expected ',' or ')' in the list after 'in', found '2'");
    CHECK_ERR_PREFIX("Id in (1, 2", "column 12: expected ',' or ')'");
    CHECK_ERR("Id not in ()", "column 12: empty list after 'in'; give at least one value");
}

UNIT_TEST(cond_error_trailing_garbage)
{
    CHECK_ERR("Id = 1 Status = 2",
              "column 8: expected 'and', 'or' or the end of the condition, found 'Status'");
    CHECK_ERR("Id = 1 'x'", "column 8: expected 'and', 'or' or the end of the condition, found ''x''");
    CHECK_ERR("Id = 1 ,", "column 8: expected 'and', 'or' or the end of the condition, found ','");
}

UNIT_TEST(cond_error_empty)
{
    CHECK_ERR("", "column 1: empty condition");
    CHECK_ERR("   \t ", "column 6: empty condition");
    cwa_cond_error e;
    CHECK(cwa_cond_parse(NULL, 0, CWA_DIALECT_ANY, &e) == NULL);
    CHECK(e.kind == CWA_COND_ERR_SYNTAX);
    /* err may be NULL */
    CHECK(cwa_cond_parse("x", 1, CWA_DIALECT_ANY, NULL) == NULL);
}

UNIT_TEST(cond_error_bad_characters)
{
    CHECK_ERR("Id = 1 # x", "column 8: unexpected character '#'");
    CHECK_ERR("Id = 1 \x01", "column 8: unexpected character 0x01");
    CHECK_ERR("Id = \xc3\xa9", "column 6: unexpected character '\xc3\xa9'");
    /* columns count characters, not bytes */
    CHECK_ERR("N = '\xc3\xa9' #", "column 9: unexpected character '#'");
}

UNIT_TEST(cond_error_embedded_nul)
{
    cwa_cond_error e = perr_d("Id = 1\0 or x = 2", 16, CWA_DIALECT_ANY);
    CHECK(e.kind == CWA_COND_ERR_SYNTAX);
    CHECK_STR(e.message, "column 7: NUL byte in condition");
    e = perr_d("N = 'a\0b'", 9, CWA_DIALECT_ANY);
    CHECK_STR(e.message, "column 7: NUL byte in condition");
    /* the length, not the NUL, ends the text */
    e = perr_d("Id = 1 and junk", 6, CWA_DIALECT_ANY);
    CHECK(e.kind == CWA_COND_OK);
}

UNIT_TEST(cond_error_invalid_utf8)
{
    CHECK_ERR("N = '\xff'", "column 6: invalid UTF-8");
    CHECK_ERR("N = '\xc3'", "column 6: invalid UTF-8");
    CHECK_ERR("N = '\xed\xa0\x80'", "column 6: invalid UTF-8"); /* surrogate */
    CHECK_ERR("N = '\xc0\xaf'", "column 6: invalid UTF-8");     /* overlong */
    CHECK_ERR("N = \xfe", "column 5: invalid UTF-8");
    CHECK(parses_d("N = '\xf0\x9f\x98\x80'", CWA_DIALECT_ANY));
}

UNIT_TEST(cond_error_null_with_ordering)
{
    CHECK_ERR("Id > null", "column 6: null can only be compared with '=' or '!='");
    CHECK_ERR("Id contains null", "column 13: null can only be compared with '=' or '!='");
}

UNIT_TEST(cond_error_like_needs_string)
{
    CHECK_ERR("Name like 5", "column 11: expected a quoted string after 'like'");
    CHECK_ERR("Name startswith true", "column 17: expected a quoted string after 'startswith'");
}

UNIT_TEST(cond_error_message_fits_and_truncates)
{
    char text[600];
    memset(text, 'A', 500);
    text[500] = '\0';
    cwa_cond_error e = perr(text);
    CHECK(e.kind == CWA_COND_ERR_SYNTAX);
    CHECK(strlen(e.message) < sizeof e.message);
    CHECK(strstr(e.message, "...") != NULL);
    CHECK(e.column == 501);
}

/* ------------------------------------------------------------ dialects */

UNIT_TEST(cond_dialect_apitoken_rejects_startswith)
{
    cwa_cond_error e = perr_d("Name startswith 'x'", 19, CWA_DIALECT_APITOKEN);
    CHECK(e.kind == CWA_COND_ERR_SYNTAX);
    CHECK_STR(e.message, "column 6: 'startswith' is not supported by this server; use like 'x%'");
    CHECK(e.column == 6);
    e = perr_d("Name ENDSWITH 'x'", 17, CWA_DIALECT_APITOKEN);
    CHECK_STR(e.message, "column 6: 'endswith' is not supported by this server; use like '%x'");
    CHECK(parses_d("Name startswith 'x'", CWA_DIALECT_APICREDENTIALS));
    CHECK(parses_d("Name endswith 'x'", CWA_DIALECT_ANY));
}

UNIT_TEST(cond_dialect_apitoken_rejects_general_not)
{
    const char *t = "not (Status = 'Offline')";
    cwa_cond_error e = perr_d(t, strlen(t), CWA_DIALECT_APITOKEN);
    CHECK(e.kind == CWA_COND_ERR_SYNTAX);
    CHECK(e.column == 1);
    CHECK(strncmp(e.message, "column 1: a general 'not' is not supported by this server", 57) == 0);
    CHECK(strstr(e.message, "'!='") != NULL);
    t = "Id = 1 and not Id = 2";
    e = perr_d(t, strlen(t), CWA_DIALECT_APITOKEN);
    CHECK(e.column == 12);
    CHECK(parses_d("not (Status = 'Offline')", CWA_DIALECT_APICREDENTIALS));
    CHECK(parses_d("not (Status = 'Offline')", CWA_DIALECT_ANY));
    /* prefix not stays legal everywhere */
    CHECK(parses_d("Name not like 'x%' and Id not in (1) and T not contains 'y'", CWA_DIALECT_APITOKEN));
}

UNIT_TEST(cond_dialect_not_before_startswith_rejected)
{
    CHECK_ERR("Name not startswith 'x'", "column 10: expected 'in', 'like' or 'contains' after 'not'");
}

UNIT_TEST(cond_dialect_brief_examples)
{
    const char *ex[] = {
        "Status = 'Online'",
        "ClientID = 100",
        "OS contains 'Server' and Status = 'Online'",
        "Name startswith 'ACME'",
        "Severity >= 3",
        "ClientID = 100 and Status in ('New','Active')",
        "Status = 'Offline' and LastContact >= '2024-02-14'",
        "Status != 'Offline'",
        "not (Status = 'Offline')",
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++)
        CHECK(parses_d(ex[i], CWA_DIALECT_APICREDENTIALS));
    const char *api[] = {
        "RemoteAgentLastContact <= 2019-12-18T00:50:19",
        "ComputerName like '%web%'",
        "OperatingSystemName not like '%Mac%'",
        "AffectedEntities.RemoteMonitorAffectedClient.Id IN (5)",
        "IsMaster = True and IsInternalMonitor = False",
        "Client.Name contains 'x' AND Location.Id = 3",
        "Id>0",
    };
    for (size_t i = 0; i < sizeof api / sizeof api[0]; i++)
        CHECK(parses_d(api[i], CWA_DIALECT_APITOKEN));
}

/* ------------------------------------------------------------- nesting */

UNIT_TEST(cond_nesting_limit)
{
    char buf[512];
    size_t o = 0;
    for (int i = 0; i < 64; i++)
        buf[o++] = '(';
    strcpy(buf + o, "a = 1");
    o += 5;
    for (int i = 0; i < 64; i++)
        buf[o++] = ')';
    buf[o] = '\0';
    CHECK(perr(buf).kind == CWA_COND_OK);
    char deeper[600];
    snprintf(deeper, sizeof deeper, "(%s)", buf);
    CHECK_ERR(deeper, "column 65: nesting deeper than 64 levels");
}

UNIT_TEST(cond_nesting_limit_counts_not)
{
    char buf[1024] = "";
    for (int i = 0; i < 40; i++)
        strcat(buf, "not (");
    strcat(buf, "a = 1");
    for (int i = 0; i < 40; i++)
        strcat(buf, ")");
    cwa_cond_error e = perr(buf);
    CHECK(e.kind == CWA_COND_ERR_SYNTAX);
    CHECK(strstr(e.message, "nesting deeper than 64 levels") != NULL);
}

UNIT_TEST(cond_hostile_deep_input_does_not_crash)
{
    size_t n = 1000000;
    char *s = malloc(n + 1);
    CHECK(s != NULL);
    if (!s)
        return;
    memset(s, '(', n);
    s[n] = '\0';
    cwa_cond_error e = perr_d(s, n, CWA_DIALECT_ANY);
    CHECK(e.kind == CWA_COND_ERR_SYNTAX);
    for (size_t i = 0; i + 4 <= n; i += 4)
        memcpy(s + i, "not ", 4);
    e = perr_d(s, n, CWA_DIALECT_ANY);
    CHECK(e.kind == CWA_COND_ERR_SYNTAX);
    free(s);
}

/* ----------------------------------------------------------- long input */

static char *long_or(size_t terms, size_t *len)
{
    size_t cap = terms * 20 + 16;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < terms; i++)
        o += (size_t)snprintf(s + o, cap - o, "%sId = %zu", i ? " or " : "", i + 1000);
    o += (size_t)snprintf(s + o, cap - o, " or Id = 42");
    *len = o;
    return s;
}

UNIT_TEST(cond_long_input_is_linear_and_flat)
{
    size_t len = 0;
    char *s = long_or(200000, &len); /* ~3 MB */
    CHECK(s != NULL);
    if (!s)
        return;
    cwa_cond_error e;
    cwa_cond *c = cwa_cond_parse(s, len, CWA_DIALECT_APITOKEN, &e);
    CHECK(c != NULL);
    if (c) {
        cJSON *rec = cJSON_Parse(COMPUTER);
        CHECK(cwa_cond_eval(c, rec, &e) == 1);
        size_t need = cwa_cond_format(c, NULL, 0);
        CHECK(need == len);
        char *out = malloc(need + 1);
        CHECK(out != NULL);
        if (out) {
            CHECK(cwa_cond_format(c, out, need + 1) == need);
            CHECK(memcmp(out, s, len) == 0);
            free(out);
        }
        cJSON_Delete(rec);
        cwa_cond_free(c);
    }
    free(s);
}

UNIT_TEST(cond_long_in_list_and_string)
{
    size_t n = 100000, cap = n * 8 + 64, o = 0;
    char *s = malloc(cap);
    CHECK(s != NULL);
    if (!s)
        return;
    o += (size_t)snprintf(s, cap, "Id in (");
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(s + o, cap - o, "%s%zu", i ? "," : "", i * 2);
    o += (size_t)snprintf(s + o, cap - o, ")");
    CHECK(run_d(s, COMPUTER, CWA_DIALECT_ANY).rc == 1);
    o = (size_t)snprintf(s, cap, "ComputerName = '");
    memset(s + o, 'x', n * 4);
    o += n * 4;
    strcpy(s + o, "'");
    CHECK(run_d(s, COMPUTER, CWA_DIALECT_ANY).rc == 0);
    free(s);
}

/* -------------------------------------------------------------- format */

UNIT_TEST(cond_format_canonical)
{
    char b[256];
    CHECK_STR(fmt("Status='Online'", b, sizeof b), "Status = 'Online'");
    CHECK_STR(fmt("Id eq 5", b, sizeof b), "Id = 5");
    CHECK_STR(fmt("Id <> 5", b, sizeof b), "Id != 5");
    CHECK_STR(fmt("Id>=-5.25", b, sizeof b), "Id >= -5.25");
    CHECK_STR(fmt("Name \"x\"", b, sizeof b),
              "(error: column 6: expected an operator after 'Name', found '\"x\"')");
    CHECK_STR(fmt("Name = \"x\"", b, sizeof b), "Name = 'x'");
    CHECK_STR(fmt("A NOT LIKE 'x%' AND B IN (1,'two',TRUE,null,2024-01-02)", b, sizeof b),
              "A not like 'x%' and B in (1, 'two', true, null, 2024-01-02)");
    CHECK_STR(fmt("D >= 2024-02-14T00:00:00.5", b, sizeof b), "D >= 2024-02-14T00:00:00.5");
    CHECK_STR(fmt("N startswith 'a' or N endswith 'b' or N contains 'c'", b, sizeof b),
              "N startswith 'a' or N endswith 'b' or N contains 'c'");
    CHECK_STR(fmt("P not contains 3389", b, sizeof b), "P not contains 3389");
    CHECK_STR(fmt("Client.Name = 'x'", b, sizeof b), "Client.Name = 'x'");
}

UNIT_TEST(cond_format_quote_choice)
{
    char b[256];
    CHECK_STR(fmt("N = \"O'Brien\"", b, sizeof b), "N = \"O'Brien\"");
    CHECK_STR(fmt("N = 'O''Brien'", b, sizeof b), "N = \"O'Brien\"");
    CHECK_STR(fmt("N = 'say \"hi\"'", b, sizeof b), "N = 'say \"hi\"'");
    CHECK_STR(fmt("N = \"say \"\"hi\"\"\"", b, sizeof b), "N = 'say \"hi\"'");
    CHECK_STR(fmt("N = 'it''s \"x\"'", b, sizeof b), "N = 'it''s \"x\"'");
    CHECK_STR(fmt("N = \"it's \"\"x\"\"\"", b, sizeof b), "N = 'it''s \"x\"'");
    CHECK_STR(fmt("N = ''''", b, sizeof b), "N = \"'\"");
    CHECK_STR(fmt("N = ''", b, sizeof b), "N = ''");
}

UNIT_TEST(cond_format_round_trips)
{
    const char *cases[] = {
        "Status = 'Online'",
        "Quote = 'O''Brien \"Bob\"'",
        "Quote = \"O'Brien \"\"Bob\"\"\"",
        "Quote like '%''%\"%'",
        "a = 1 or b = 2 and c = 3",
        "(Id = 42 or Id = 1) and not (Status = 'x' or Status = 'y')",
        "not not Id = 1",
        "Id in (1, 42) and OpenPortsTCP not contains 22",
        "RemoteAgentLastContact >= 2024-02-14 and InstallDate < 2023-01-06T00:00:00.5",
        "IsMaster = TRUE and Comment = NULL and IsVirtual != False",
        "ComputerName startswith 'WEB' and ComputerName endswith '01'",
        "Unicode like 'caf\xc3\xa9%'",
        "FreeMemory > -0.5",
        "((a = 1 and (b = 2 or c = 3)) or d = 4) and e = 5",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int ok = round_trips(cases[i]);
        if (!ok)
            unit_fail(__FILE__, __LINE__, cases[i]);
    }
}

UNIT_TEST(cond_format_truncates_like_snprintf)
{
    cwa_cond_error e;
    cwa_cond *c = cwa_cond_parse("Id = 12345", 10, CWA_DIALECT_ANY, &e);
    CHECK(c != NULL);
    if (!c)
        return;
    char b[6];
    memset(b, 'z', sizeof b);
    CHECK(cwa_cond_format(c, b, sizeof b) == 10);
    CHECK_STR(b, "Id = ");
    CHECK(cwa_cond_format(c, NULL, 0) == 10);
    char one[1] = {'z'};
    CHECK(cwa_cond_format(c, one, 1) == 10);
    CHECK(one[0] == '\0');
    cwa_cond_free(c);
}

/* ---------------------------------------------------------- each_field */

typedef struct fields {
    char text[256];
    int n;
} fields;

static void collect(const char *field, void *ud)
{
    fields *f = ud;
    if (f->n++)
        strcat(f->text, ",");
    strcat(f->text, field);
}

UNIT_TEST(cond_each_field_in_text_order)
{
    const char *t = "(Client.Id = 1 or Status = 'x') and not Location.Name like 'a%' and Id in (1)";
    cwa_cond_error e;
    cwa_cond *c = cwa_cond_parse(t, strlen(t), CWA_DIALECT_ANY, &e);
    CHECK(c != NULL);
    if (!c)
        return;
    fields f = {"", 0};
    cwa_cond_each_field(c, collect, &f);
    CHECK(f.n == 4);
    CHECK_STR(f.text, "Client.Id,Status,Location.Name,Id");
    cwa_cond_free(c);
}

/* ------------------------------------------------------ misc contracts */

UNIT_TEST(cond_error_cleared_on_success)
{
    cwa_cond_error e;
    memset(&e, 0x7f, sizeof e);
    cwa_cond *c = cwa_cond_parse("Id = 42", 7, CWA_DIALECT_ANY, &e);
    CHECK(c != NULL);
    CHECK(e.kind == CWA_COND_OK && e.column == 0 && e.message[0] == '\0');
    cJSON *rec = cJSON_Parse(COMPUTER);
    memset(&e, 0x7f, sizeof e);
    CHECK(cwa_cond_eval(c, rec, &e) == 1);
    CHECK(e.kind == CWA_COND_OK && e.message[0] == '\0');
    CHECK(cwa_cond_eval(c, rec, NULL) == 1);
    cJSON_Delete(rec);
    cwa_cond_free(c);
    cwa_cond_free(NULL);
}

UNIT_TEST(cond_eval_non_object_record)
{
    cwa_cond_error e;
    cwa_cond *c = cwa_cond_parse("Id = 1", 6, CWA_DIALECT_ANY, &e);
    cJSON *arr = cJSON_Parse("[1,2]");
    CHECK(cwa_cond_eval(c, arr, &e) == -1);
    CHECK(e.kind == CWA_COND_ERR_UNKNOWN_FIELD);
    CHECK(cwa_cond_eval(c, NULL, &e) == -1);
    cJSON_Delete(arr);
    cwa_cond_free(c);
}

UNIT_TEST(cond_eval_many_records_reuses_tree)
{
    const char *t = "Client.Id = 100 and Status = 'Online' and ComputerName like 'W%'";
    cwa_cond_error e;
    cwa_cond *c = cwa_cond_parse(t, strlen(t), CWA_DIALECT_APITOKEN, &e);
    cJSON *rec = cJSON_Parse(COMPUTER);
    int hits = 0;
    for (int i = 0; i < 100000; i++)
        hits += cwa_cond_eval(c, rec, &e);
    CHECK(hits == 100000);
    cJSON_Delete(rec);
    cwa_cond_free(c);
}

UNIT_TEST(cond_eval_field_value_types)
{
    const char *rec =
        "{\"N\": 1.5, \"B\": true, \"S\": \"2024-01-01\", \"Z\": \"2024-01-01T00:00:00Z\"}";
    CHECK(run_d("N = 1.5", rec, CWA_DIALECT_ANY).rc == 1);
    CHECK(run_d("N > 1", rec, CWA_DIALECT_ANY).rc == 1);
    CHECK(run_d("N like '1.5'", rec, CWA_DIALECT_ANY).rc == 1);
    CHECK(run_d("B = 1", rec, CWA_DIALECT_ANY).rc == 1);
    CHECK(run_d("B like 'tr%'", rec, CWA_DIALECT_ANY).rc == 1);
    CHECK(run_d("S = 2024-01-01T00:00:00", rec, CWA_DIALECT_ANY).rc == 1);
    CHECK(run_d("Z = 2024-01-01", rec, CWA_DIALECT_ANY).rc == 1);
    outcome o = run_d("B > 2024-01-01", rec, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_TYPE);
}

UNIT_TEST(cond_path_through_array_of_objects)
{
    const char *rec = "{\"LoggedInUsers\": [{\"LoggedInUserName\": \"bob\"},"
                      " {\"LoggedInUserName\": \"alice\"}], \"None\": [],"
                      " \"Deep\": [{\"A\": [{\"B\": 1}, {\"B\": 2}]}]}";
    CHECK(run_d("LoggedInUsers.LoggedInUserName = 'Alice'", rec, CWA_DIALECT_ANY).rc == 1);
    CHECK(run_d("LoggedInUsers.LoggedInUserName = 'carol'", rec, CWA_DIALECT_ANY).rc == 0);
    CHECK(run_d("LoggedInUsers.LoggedInUserName like 'b%'", rec, CWA_DIALECT_ANY).rc == 1);
    CHECK(run_d("None.X = 1", rec, CWA_DIALECT_ANY).rc == 0);
    CHECK(run_d("Deep.A.B = 2", rec, CWA_DIALECT_ANY).rc == 1);
    CHECK(run_d("Deep.A.B > 2", rec, CWA_DIALECT_ANY).rc == 0);
    outcome o = run_d("LoggedInUsers.Nope = 1", rec, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_UNKNOWN_FIELD);
    CHECK_STR(o.err.message, "Invalid field 'LoggedInUsers.Nope'");
}

UNIT_TEST(cond_date_field_vs_number_is_type_error)
{
    outcome o = run_d("RemoteAgentLastContact > 5", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_TYPE);
}

UNIT_TEST(cond_eval_error_names_long_fields_in_full)
{
    const char *t = "AffectedEntities.RemoteMonitorAffectedClient.Id in (5)";
    outcome o = run_d(t, COMPUTER, CWA_DIALECT_APITOKEN);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_UNKNOWN_FIELD);
    CHECK_STR(o.err.message, "Invalid field 'AffectedEntities.RemoteMonitorAffectedClient.Id'");
    o = run_d("Id = 42 and Client >= 3", COMPUTER, CWA_DIALECT_ANY);
    CHECK(o.rc == -1 && o.err.kind == CWA_COND_ERR_TYPE && o.err.column == 13);
}

/* Deterministic fuzz: random mixes of the language's pieces must either
 * fail with a column inside the text, or parse to a tree whose canonical
 * text is a fixed point and evaluates without crashing. */
static unsigned next_rand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

typedef struct gen {
    char text[512];
    size_t len;
    unsigned seed;
} gen;

static void gen_put(gen *g, const char *s)
{
    size_t l = strlen(s);
    if (g->len + l + 1 < sizeof g->text) {
        memcpy(g->text + g->len, s, l);
        g->len += l;
        g->text[g->len] = '\0';
    }
}

static const char *gen_pick(gen *g, const char *const *list, size_t n)
{
    return list[next_rand(&g->seed) % n];
}

#define PICK(g, arr) gen_pick(g, arr, sizeof arr / sizeof arr[0])

static void gen_expr(gen *g, int depth)
{
    static const char *const names[] = {"Id",
                                        "Client.Id",
                                        "Status",
                                        "OpenPortsTCP",
                                        "Comment",
                                        "ComputerName",
                                        "RemoteAgentLastContact",
                                        "IsMaster",
                                        "FreeMemory",
                                        "Client.Name"};
    static const char *const ops[] = {" = ",
                                      "=",
                                      " != ",
                                      "<>",
                                      " > ",
                                      "<",
                                      " >= ",
                                      "<=",
                                      " eq ",
                                      " like ",
                                      " not like ",
                                      " contains ",
                                      " not contains ",
                                      " startswith ",
                                      " endswith "};
    static const char *const vals[] = {"'a''b'",       "\"x\"",  "'Online'",   "42",
                                       "-1.5",         "0",      "2024-02-14", "2024-02-14T10:30:00.5",
                                       "'2024-02-14'", "true",   "False",      "null",
                                       "'%O''%'",      "'W_B%'", "''",         "'\xc3\xa9'",
                                       "3389"};
    unsigned r = next_rand(&g->seed) % 10;
    if (depth < 4 && r < 2) {
        gen_expr(g, depth + 1);
        gen_put(g, next_rand(&g->seed) % 2 ? " and " : " OR ");
        gen_expr(g, depth + 1);
    } else if (depth < 4 && r < 3) {
        gen_put(g, "(");
        gen_expr(g, depth + 1);
        gen_put(g, ")");
    } else if (depth < 4 && r < 4) {
        gen_put(g, "not ");
        gen_expr(g, depth + 1);
    } else {
        gen_put(g, PICK(g, names));
        if (next_rand(&g->seed) % 5 == 0) {
            gen_put(g, next_rand(&g->seed) % 2 ? " in (" : " not in (");
            int n = 1 + (int)(next_rand(&g->seed) % 3);
            for (int i = 0; i < n; i++) {
                if (i)
                    gen_put(g, ", ");
                gen_put(g, PICK(g, vals));
            }
            gen_put(g, ")");
        } else {
            gen_put(g, PICK(g, ops));
            gen_put(g, PICK(g, vals));
        }
    }
}

/* Deterministic fuzz: conditions from the grammar, some of them mutated,
 * must either fail with a column inside the text, or parse to a tree whose
 * canonical text is a fixed point and evaluates the same way. */
UNIT_TEST(cond_fuzz_grammar_and_mutations)
{
    static const char *const junk[] = {"(", ")",  "'", "\"",   ",",   "==", "not ", "\xff",
                                       ".", "\\", "%", " and", "or ", "in", "5a",   "\x01"};
    gen g;
    g.seed = 12345;
    cJSON *rec = cJSON_Parse(COMPUTER);
    int parsed = 0, rejected = 0;
    for (int iter = 0; iter < 20000; iter++) {
        g.len = 0;
        g.text[0] = '\0';
        gen_expr(&g, 0);
        if (next_rand(&g.seed) % 3 == 0 && g.len > 0) {
            size_t at = next_rand(&g.seed) % g.len;
            const char *j = PICK(&g, junk);
            size_t jl = strlen(j);
            if (g.len + jl < sizeof g.text) {
                memmove(g.text + at + jl, g.text + at, g.len - at + 1);
                memcpy(g.text + at, j, jl);
                g.len += jl;
            }
        }
        for (int d = 0; d < 3; d++) {
            cwa_cond_error e;
            cwa_cond *c = cwa_cond_parse(g.text, g.len, (cwa_dialect)d, &e);
            if (!c) {
                rejected++;
                CHECK(e.kind == CWA_COND_ERR_SYNTAX);
                CHECK(e.column >= 1 && (size_t)e.column <= g.len + 1);
                CHECK(strlen(e.message) < sizeof e.message);
                continue;
            }
            parsed++;
            char a[700], b[700];
            cwa_cond_format(c, a, sizeof a);
            cwa_cond *c2 = cwa_cond_parse(a, strlen(a), (cwa_dialect)d, &e);
            CHECK(c2 != NULL);
            if (!c2)
                unit_fail(__FILE__, __LINE__, a);
            if (c2) {
                cwa_cond_format(c2, b, sizeof b);
                if (strcmp(a, b) != 0)
                    unit_fail(__FILE__, __LINE__, a);
                cwa_cond_error e1, e2;
                int r1 = cwa_cond_eval(c, rec, &e1), r2 = cwa_cond_eval(c2, rec, &e2);
                CHECK(r1 == r2 && e1.kind == e2.kind);
                cwa_cond_free(c2);
            }
            cwa_cond_free(c);
        }
    }
    CHECK(parsed > 10000);
    CHECK(rejected > 5000);
    cJSON_Delete(rec);
}
