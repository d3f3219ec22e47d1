#include "cwa_str.h"
#include "unit.h"

#include <stdlib.h>

UNIT_TEST(str_dup_copies_and_keeps_null)
{
    int failed = 0;
    char *d = cwa_str_dup("abc", &failed);
    CHECK_STR(d, "abc");
    CHECK(cwa_str_dup(NULL, &failed) == NULL);
    CHECK(failed == 0);
    free(d);
    d = cwa_str_dup("x", NULL); /* failed may be NULL */
    CHECK_STR(d, "x");
    free(d);
}

UNIT_TEST(str_wipe_free_clears_pointer)
{
    char *s = cwa_str_dup("secret", NULL);
    CHECK(s != NULL);
    if (!s)
        return;
    cwa_str_wipe_free(&s);
    CHECK(s == NULL);
    cwa_str_wipe_free(&s); /* NULL is fine */
    char buf[4] = "abc";
    cwa_wipe(buf, sizeof buf);
    CHECK(buf[0] == 0 && buf[1] == 0 && buf[2] == 0);
    cwa_wipe(NULL, 3);
}

UNIT_TEST(str_json_lookup_any_case)
{
    cJSON *root = cJSON_Parse("{\"Message\":\"m\",\"empty\":\"\",\"n\":1,\"err\":{\"CODE\":\"c\"}}");
    CHECK(root != NULL);
    CHECK_STR(cwa_json_string(root, "message"), "m");
    CHECK(cwa_json_string(root, "empty") == NULL);
    CHECK(cwa_json_string(root, "n") == NULL);
    CHECK(cwa_json_get(root, "N") != NULL);
    CHECK_STR(cwa_json_string(cwa_json_get(root, "Err"), "code"), "c");
    CHECK(cwa_json_get(cwa_json_get(root, "n"), "x") == NULL); /* not an object */
    CHECK(cwa_json_get(NULL, "x") == NULL);
    cJSON_Delete(root);
}
