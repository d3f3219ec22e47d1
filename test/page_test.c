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
    f->last.kind = kind;
    f->last.len = strlen(text);
    snprintf(f->last.text, sizeof f->last.text, "%s", text);
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
    f.last.len = sizeof f.last.text; /* the decoder saw more than it could keep */
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

static cwa_id id_of(cwa_id_kind kind, const char *text)
{
    cwa_id id = {.kind = kind, .len = strlen(text)};
    snprintf(id.text, sizeof id.text, "%s", text);
    return id;
}

static int cmp(cwa_id_kind ka, const char *a, cwa_id_kind kb, const char *b)
{
    cwa_id x = id_of(ka, a), y = id_of(kb, b);
    return cwa_page_id_cmp(&x, &y);
}

UNIT_TEST(page_id_cmp_numbers)
{
    CHECK(cmp(CWA_ID_NUMBER, "9", CWA_ID_NUMBER, "10") == -1);
    CHECK(cmp(CWA_ID_NUMBER, "10", CWA_ID_NUMBER, "9") == 1);
    CHECK(cmp(CWA_ID_NUMBER, "42", CWA_ID_NUMBER, "42") == 0);
    CHECK(cmp(CWA_ID_NUMBER, "-5", CWA_ID_NUMBER, "3") == -1);
    CHECK(cmp(CWA_ID_NUMBER, "-5", CWA_ID_NUMBER, "-30") == 1);
    CHECK(cmp(CWA_ID_NUMBER, "-0", CWA_ID_NUMBER, "0") == 0);
    CHECK(cmp(CWA_ID_NUMBER, "1.5", CWA_ID_NUMBER, "1.25") == 1);
    CHECK(cmp(CWA_ID_NUMBER, "1.50", CWA_ID_NUMBER, "1.5") == 0);
    CHECK(cmp(CWA_ID_NUMBER, "0.5", CWA_ID_NUMBER, "1") == -1);
    CHECK(cmp(CWA_ID_NUMBER, "2", CWA_ID_NUMBER, "1.999") == 1);
    CHECK(cmp(CWA_ID_NUMBER, "-1.5", CWA_ID_NUMBER, "-1.25") == -1);
    /* past what a double or a long holds */
    CHECK(cmp(CWA_ID_NUMBER, "99999999999999999999", CWA_ID_NUMBER, "100000000000000000000") == -1);
    /* decimal strings are numbers: "10" after "9", and after the number 9 */
    CHECK(cmp(CWA_ID_STRING, "10", CWA_ID_STRING, "9") == 1);
    CHECK(cmp(CWA_ID_STRING, "007", CWA_ID_NUMBER, "7") == 0);
    CHECK(cmp(CWA_ID_NUMBER, "8", CWA_ID_STRING, "10") == -1);
}

UNIT_TEST(page_id_cmp_text_and_unknown)
{
    /* text is found equal, never ordered: the server's collation orders it */
    CHECK(cmp(CWA_ID_STRING, "c-001", CWA_ID_STRING, "c-001") == 0);
    CHECK(cmp(CWA_ID_STRING, "c-001", CWA_ID_STRING, "c-002") == CWA_PAGE_UNORDERED);
    CHECK(cmp(CWA_ID_STRING, "B", CWA_ID_STRING, "a") == CWA_PAGE_UNORDERED);
    CHECK(cmp(CWA_ID_STRING, "abc", CWA_ID_NUMBER, "5") == CWA_PAGE_UNORDERED);
    /* a number in a form that is not a plain decimal: equal to itself only */
    CHECK(cmp(CWA_ID_NUMBER, "1e+20", CWA_ID_NUMBER, "1e+20") == 0);
    CHECK(cmp(CWA_ID_NUMBER, "1e+20", CWA_ID_NUMBER, "5") == CWA_PAGE_UNORDERED);
    /* absent, or too long to keep */
    CHECK(cmp(CWA_ID_NONE, "", CWA_ID_NONE, "") == CWA_PAGE_UNORDERED);
    cwa_id a = id_of(CWA_ID_NUMBER, "5"), b = a;
    b.len = sizeof b.text;
    CHECK(cwa_page_id_cmp(&a, &b) == CWA_PAGE_UNORDERED);
    CHECK(!cwa_page_id_known(&b));
    CHECK(!cwa_page_id_same(&b, &b));
    CHECK(cwa_page_id_same(&a, &a));
    /* the same text of another kind is another id */
    cwa_id s = id_of(CWA_ID_STRING, "1e+20"), n = id_of(CWA_ID_NUMBER, "1e+20");
    CHECK(!cwa_page_id_same(&s, &n));
}

static void note(cwa_page_info *f, long i, cwa_id_kind kind, const char *text)
{
    cwa_page_note_id(f, i, kind, text, strlen(text));
}

UNIT_TEST(page_note_id_first_last_break)
{
    cwa_page p;
    cwa_page_info f = list_of(CWA_JSON_ARRAY, 4);
    note(&f, 1, CWA_ID_NUMBER, "3");
    note(&f, 2, CWA_ID_NUMBER, "7");
    note(&f, 3, CWA_ID_NONE, ""); /* no id: compares with nothing */
    note(&f, 4, CWA_ID_STRING, "12");
    cwa_page_read(&f, &p);
    CHECK(p.id_break == 0);
    CHECK_STR(p.first.text, "3");
    CHECK(p.last.kind == CWA_ID_STRING);
    CHECK_STR(p.last_id, "'12'");
    CHECK(p.no_literal == NULL);

    f = list_of(CWA_JSON_ARRAY, 4);
    note(&f, 1, CWA_ID_NUMBER, "23");
    note(&f, 2, CWA_ID_NUMBER, "22"); /* the first break is kept */
    note(&f, 3, CWA_ID_NUMBER, "24");
    note(&f, 4, CWA_ID_NUMBER, "24");
    cwa_page_read(&f, &p);
    CHECK(p.id_break == 2);

    f = list_of(CWA_JSON_ARRAY, 2);
    note(&f, 1, CWA_ID_STRING, "x");
    note(&f, 2, CWA_ID_STRING, "x"); /* a repeated text id */
    cwa_page_read(&f, &p);
    CHECK(p.id_break == 2);

    /* an id longer than the text kept: known by its length only */
    char big[CWA_ID_TEXT_CAP + 10];
    memset(big, '7', sizeof big);
    f = list_of(CWA_JSON_ARRAY, 1);
    cwa_page_note_id(&f, 1, CWA_ID_STRING, big, sizeof big);
    cwa_page_read(&f, &p);
    CHECK(p.last.len == sizeof big);
    CHECK_STR(p.last_id, "");
    CHECK(p.no_literal && strstr(p.no_literal, "too long"));
}

UNIT_TEST(page_no_literal_says_why)
{
    static const struct {
        cwa_id_kind kind;
        const char *text;
        const char *why;
    } cases[] = {
        {CWA_ID_NONE, "", "missing"},
        {CWA_ID_STRING, "it's \"x\"", "both kinds of quote"},
        {CWA_ID_NUMBER, "1e+20", "plain decimal"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cwa_page p;
        cwa_page_info f = list_of(CWA_JSON_ARRAY, 1);
        note(&f, 1, cases[i].kind, cases[i].text);
        cwa_page_read(&f, &p);
        CHECK_STR(p.last_id, "");
        CHECK(p.no_literal && strstr(p.no_literal, cases[i].why));
    }
    cwa_page p;
    cwa_page_info f = list_of(CWA_JSON_ARRAY, 1);
    cwa_page_note_id(&f, 1, CWA_ID_STRING, "a\0b", 3);
    cwa_page_read(&f, &p);
    CHECK(p.no_literal && strstr(p.no_literal, "NUL"));
    /* an empty page needs no literal */
    f = list_of(CWA_JSON_EMPTY, 0);
    cwa_page_read(&f, &p);
    CHECK(p.no_literal == NULL);
}

UNIT_TEST(page_hash_tells_bodies_apart)
{
    const char *a = "[{\"Status\":\"Online\"},{\"Status\":\"Online\"}]";
    char b[64];
    snprintf(b, sizeof b, "%s", a);
    CHECK(cwa_page_hash(a, strlen(a)) == cwa_page_hash(b, strlen(b)));
    b[12] = 'f'; /* one byte inside the first word */
    CHECK(cwa_page_hash(a, strlen(a)) != cwa_page_hash(b, strlen(b)));
    snprintf(b, sizeof b, "%s", a);
    b[strlen(b) - 2] = ' '; /* one byte in the tail past the last whole word */
    CHECK(cwa_page_hash(a, strlen(a)) != cwa_page_hash(b, strlen(b)));
    /* the length counts: a prefix, or trailing zero bytes, is another body */
    CHECK(cwa_page_hash(a, 8) != cwa_page_hash(a, 9));
    char z[16] = {0};
    CHECK(cwa_page_hash(z, 3) != cwa_page_hash(z, 4));
    CHECK(cwa_page_hash(z, 8) != cwa_page_hash(z, 16));
    CHECK(cwa_page_hash(NULL, 0) == cwa_page_hash(z, 0));
}
