#include "cwa_page.h"
#include "unit.h"

#include <math.h>

static cwa_page_info list_of(cwa_json_kind body, long count)
{
    cwa_page_info f;
    memset(&f, 0, sizeof f);
    f.body = body;
    f.count = count;
    f.all_containers = 1;
    return f;
}

static void set_id(cwa_page_info *f, cwa_id_kind kind, const char *text)
{
    f->id_kind = kind;
    f->id_len = strlen(text);
    snprintf(f->id_text, sizeof f->id_text, "%s", text);
}

UNIT_TEST(page_no_body_is_empty)
{
    cwa_page p;
    cwa_page_read(NULL, &p);
    CHECK(p.count == 0);
    CHECK(p.total == -1);
    CHECK_STR(p.last_id, "");
}

UNIT_TEST(page_array_and_empty)
{
    cwa_page p;
    cwa_page_info f = list_of(CWA_JSON_ARRAY, 3);
    set_id(&f, CWA_ID_NUMBER, "42");
    cwa_page_read(&f, &p);
    CHECK(p.count == 3);
    CHECK(p.total == -1);
    CHECK_STR(p.last_id, "42");
    f = list_of(CWA_JSON_EMPTY, 0);
    cwa_page_read(&f, &p);
    CHECK(p.count == 0);
    CHECK_STR(p.last_id, "");
}

UNIT_TEST(page_not_a_list)
{
    cwa_page p;
    static const cwa_json_kind bodies[] = {CWA_JSON_NONE, CWA_JSON_OBJECT};
    for (size_t i = 0; i < 2; i++) {
        cwa_page_info f = list_of(bodies[i], 0);
        cwa_page_read(&f, &p);
        CHECK(p.count == -1);
    }
    /* an object whose ResultSet is itself an object, or a scalar */
    cwa_page_info f = list_of(CWA_JSON_OBJECT, 0);
    f.result_set = CWA_JSON_OBJECT;
    cwa_page_read(&f, &p);
    CHECK(p.count == -1);
    f.result_set = CWA_JSON_NONE;
    f.has_total = 1;
    f.total = 5;
    cwa_page_read(&f, &p);
    CHECK(p.count == -1);
    CHECK(p.total == -1);
    /* an array of numbers, not records */
    f = list_of(CWA_JSON_ARRAY, 2);
    f.all_containers = 0;
    cwa_page_read(&f, &p);
    CHECK(p.count == -1);
}

UNIT_TEST(page_result_set_total)
{
    cwa_page p;
    cwa_page_info f = list_of(CWA_JSON_OBJECT, 2);
    f.result_set = CWA_JSON_ARRAY;
    f.has_total = 1;
    f.total = 777;
    cwa_page_read(&f, &p);
    CHECK(p.count == 2);
    CHECK(p.total == 777);
    f.result_set = CWA_JSON_EMPTY;
    f.count = 0;
    f.total = 0;
    cwa_page_read(&f, &p);
    CHECK(p.count == 0);
    CHECK(p.total == 0);
    /* no total given */
    f.has_total = 0;
    cwa_page_read(&f, &p);
    CHECK(p.total == -1);
}

UNIT_TEST(page_total_validated)
{
    static const double bad[] = {-1, 2.5, 1e300, -1e300, 9007199254740994.0};
    cwa_page p;
    cwa_page_info f = list_of(CWA_JSON_OBJECT, 1);
    f.result_set = CWA_JSON_ARRAY;
    f.has_total = 1;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f.total = bad[i];
        cwa_page_read(&f, &p);
        CHECK(p.count == 1);
        CHECK(p.total == -1);
    }
    f.total = NAN;
    cwa_page_read(&f, &p);
    CHECK(p.total == -1);
    f.total = INFINITY;
    cwa_page_read(&f, &p);
    CHECK(p.total == -1);
    f.total = 9007199254740992.0;
    cwa_page_read(&f, &p);
    CHECK(p.total == 9007199254740992L);
    /* a bare array has no total, whatever else was seen */
    f.body = CWA_JSON_ARRAY;
    f.result_set = CWA_JSON_NONE;
    f.total = 10;
    cwa_page_read(&f, &p);
    CHECK(p.total == -1);
}

UNIT_TEST(page_id_too_long_or_absent)
{
    cwa_page p;
    cwa_page_info f = list_of(CWA_JSON_ARRAY, 1);
    cwa_page_read(&f, &p);
    CHECK_STR(p.last_id, "");
    set_id(&f, CWA_ID_STRING, "abc");
    f.id_len = sizeof f.id_text; /* the decoder saw more than it could keep */
    cwa_page_read(&f, &p);
    CHECK_STR(p.last_id, "");
    CHECK(p.count == 1);
}

static const char *lit(cwa_id_kind kind, const char *text, size_t len)
{
    static char out[CWA_PAGE_LITERAL_CAP];
    int rc = cwa_page_literal(kind, text, len, out, sizeof out);
    CHECK(rc == (out[0] ? 0 : -1));
    return out;
}

UNIT_TEST(page_literal_numbers)
{
    CHECK_STR(lit(CWA_ID_NUMBER, "42", 2), "42");
    CHECK_STR(lit(CWA_ID_NUMBER, "-7", 2), "-7");
    CHECK_STR(lit(CWA_ID_NUMBER, "1.5", 3), "1.5");
    static const char *const bad[] = {"", "1e+20", "inf", "nan", "-", "1.", ".5", "4 2", "0x10", "+1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_STR(lit(CWA_ID_NUMBER, bad[i], strlen(bad[i])), "");
}

UNIT_TEST(page_literal_strings)
{
    CHECK_STR(lit(CWA_ID_STRING, "abc", 3), "'abc'");
    CHECK_STR(lit(CWA_ID_STRING, "O'Brien", 7), "\"O'Brien\"");
    CHECK_STR(lit(CWA_ID_STRING, "say \"hi\"", 8), "'say \"hi\"'");
    CHECK_STR(lit(CWA_ID_STRING, "", 0), "''");
    CHECK_STR(lit(CWA_ID_STRING, "it's \"x\"", 8), "");
    CHECK_STR(lit(CWA_ID_STRING, "a\0b", 3), "");
    CHECK_STR(lit(CWA_ID_NONE, "42", 2), "");
    /* the quotes must fit */
    char big[CWA_PAGE_LITERAL_CAP];
    memset(big, 'x', sizeof big);
    CHECK_STR(lit(CWA_ID_STRING, big, CWA_PAGE_LITERAL_CAP - 2), "");
    CHECK(strlen(lit(CWA_ID_STRING, big, CWA_PAGE_LITERAL_CAP - 3)) == CWA_PAGE_LITERAL_CAP - 1);
    CHECK_STR(lit(CWA_ID_NUMBER, big, CWA_PAGE_LITERAL_CAP), "");
}
