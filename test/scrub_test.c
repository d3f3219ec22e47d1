#include "cwa_scrub.h"
#include "unit.h"

#include <string.h>

/* text scrubbed with s, in a buffer of its own */
static const char *scrubbed(const cwa_secrets *s, const char *text)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    cwa_scrub(s, buf);
    return buf;
}

static void set(cwa_secrets *s, cwa_secret_slot slot, const char *text)
{
    CHECK(cwa_secrets_set(s, slot, text, text ? strlen(text) : 0) == 0);
}

UNIT_TEST(scrub_replaces_each_occurrence_and_keeps_the_rest)
{
    cwa_secrets s = {0};
    set(&s, CWA_SECRET_TOKEN, "tok-123");
    set(&s, CWA_SECRET_PASSWORD, "hunter2");
    CHECK_STR(scrubbed(&s, "Authorization: Bearer tok-123 | body: {\"Password\":\"hunter2\"}"),
              "Authorization: Bearer *** | body: {\"Password\":\"***\"}");
    CHECK_STR(scrubbed(&s, "tok-123tok-123 x tok-123"), "****** x ***");
    CHECK_STR(scrubbed(&s, "tok-12 hunter"), "tok-12 hunter"); /* parts are not the secret */
    CHECK_STR(scrubbed(&s, ""), "");
    CHECK_STR(scrubbed(NULL, "tok-123"), "tok-123");
    char text[] = "a tok-123 b";
    CHECK(cwa_scrub(&s, text) == strlen("a *** b"));
    cwa_secrets_clear(&s);
    CHECK_STR(scrubbed(&s, "tok-123 hunter2"), "tok-123 hunter2");
}

UNIT_TEST(scrub_overlapping_and_prefix_secrets_become_one_mark)
{
    cwa_secrets s = {0};
    set(&s, CWA_SECRET_PASSWORD, "abcd");
    set(&s, CWA_SECRET_REFRESH, "cdef");
    /* neither half of the overlap shows */
    CHECK_STR(scrubbed(&s, "xabcdefy"), "x***y");
    CHECK_STR(scrubbed(&s, "abcdabcd"), "******");
    set(&s, CWA_SECRET_TOKEN, "secret");
    set(&s, CWA_SECRET_OLD_TOKEN, "secret-long");
    CHECK_STR(scrubbed(&s, "[secret-long] [secret] [secret-lon]"), "[***] [***] [***-lon]");
    /* a secret inside another ends the run where the longer one ends */
    set(&s, CWA_SECRET_CODE, "ret-l");
    CHECK_STR(scrubbed(&s, "secret-longer"), "***er");
    cwa_secrets_clear(&s);
}

UNIT_TEST(scrub_short_secrets_are_not_looked_for)
{
    cwa_secrets s = {0};
    set(&s, CWA_SECRET_PASSWORD, "ab");
    CHECK_STR(scrubbed(&s, "a tab"), "a tab");
    set(&s, CWA_SECRET_PASSWORD, "abc");
    CHECK_STR(scrubbed(&s, "a tabc"), "a t***");
    cwa_secrets_clear(&s);
}

UNIT_TEST(scrub_finds_escaped_and_encoded_forms)
{
    cwa_secrets s = {0};
    set(&s, CWA_SECRET_PASSWORD, "p\"a\\s/s w&<d");
    /* JSON, as cJSON and other encoders print it */
    CHECK_STR(scrubbed(&s, "{\"m\":\"p\\\"a\\\\s/s w&<d\"}"), "{\"m\":\"***\"}");
    CHECK_STR(scrubbed(&s, "{\"m\":\"p\\u0022a\\u005cs\\/s w\\u0026\\u003Cd\"}"), "{\"m\":\"***\"}");
    /* URL-encoded, upper or lower case hex, '+' for the space */
    CHECK_STR(scrubbed(&s, "?x=p%22a%5Cs%2Fs+w%26%3cd&y=1"), "?x=***&y=1");
    CHECK_STR(scrubbed(&s, "?x=p%22a%5cs/s%20w%26%3Cd"), "?x=***");
    /* HTML entities */
    CHECK_STR(scrubbed(&s, "<b>p&quot;a\\s/s w&amp;&lt;d</b>"), "<b>***</b>");
    CHECK_STR(scrubbed(&s, "<b>p&#34;a\\s/s w&#x26;&#60;d</b>"), "<b>***</b>");
    /* raw */
    CHECK_STR(scrubbed(&s, "[p\"a\\s/s w&<d]"), "[***]");
    /* one form throughout: a text that mixes them is not the secret */
    CHECK_STR(scrubbed(&s, "p\\\"a%5Cs/s w&<d"), "p\\\"a%5Cs/s w&<d");
    cwa_secrets_clear(&s);

    /* characters past ASCII: escaped as code points (System.Text.Json,
     * HTML), percent-encoded as UTF-8 bytes */
    set(&s, CWA_SECRET_PASSWORD, "p\xc3\xa4ss\xf0\x9f\x94\x91");
    CHECK_STR(scrubbed(&s, "{\"m\":\"p\\u00E4ss\\ud83d\\udd11\"}"), "{\"m\":\"***\"}");
    CHECK_STR(scrubbed(&s, "<i>p&#228;ss&#x1F511;</i>"), "<i>***</i>");
    CHECK_STR(scrubbed(&s, "?pw=p%C3%A4ss%F0%9F%94%91"), "?pw=***");
    CHECK_STR(scrubbed(&s, "p\xc3\xa4ss\xf0\x9f\x94\x91!"), "***!");
    /* not the same character */
    CHECK_STR(scrubbed(&s, "p\\u00E5ss\\ud83d\\udd11"), "p\\u00E5ss\\ud83d\\udd11");
    cwa_secrets_clear(&s);

    set(&s, CWA_SECRET_PASSWORD, "50%off");
    CHECK_STR(scrubbed(&s, "a=50%25off b=50%off"), "a=*** b=***");
    cwa_secrets_clear(&s);
}

UNIT_TEST(scrub_totp_secret_in_any_case_without_groups)
{
    cwa_secrets s = {0};
    set(&s, CWA_SECRET_TOTP, "jbsw y3dp-ehpk");
    CHECK_STR(scrubbed(&s, "known: JBSWY3DPEHPK."), "known: ***.");
    CHECK_STR(scrubbed(&s, "known: jbswy3dpehpk"), "known: ***");
    /* only the TOTP secret ignores case */
    set(&s, CWA_SECRET_PASSWORD, "Hunter2");
    CHECK_STR(scrubbed(&s, "hunter2 Hunter2"), "hunter2 ***");
    cwa_secrets_clear(&s);
}

UNIT_TEST(scrub_token_remembers_the_one_before)
{
    cwa_secrets s = {0};
    set(&s, CWA_SECRET_TOKEN, "tok-A");
    set(&s, CWA_SECRET_TOKEN, "tok-A"); /* the same token again: nothing moves */
    set(&s, CWA_SECRET_TOKEN, "tok-B");
    CHECK_STR(scrubbed(&s, "tok-A tok-B"), "*** ***");
    set(&s, CWA_SECRET_TOKEN, "tok-C");
    CHECK_STR(scrubbed(&s, "tok-A tok-B tok-C"), "tok-A *** ***");
    set(&s, CWA_SECRET_CODE, "918273");
    CHECK_STR(scrubbed(&s, "code 918273"), "code ***");
    set(&s, CWA_SECRET_CODE, NULL);
    CHECK_STR(scrubbed(&s, "code 918273"), "code 918273");
    cwa_secrets_clear(&s);
}

UNIT_TEST(scrub_proxy_user_info)
{
    cwa_secrets s = {0};
    CHECK(cwa_secrets_set_proxy(&s, "http://px%40user:pw%3Asecret@proxy.example:3128") == 0);
    CHECK_STR(
        scrubbed(&s, "Unsupported proxy syntax in 'http://px%40user:pw%3Asecret@proxy.example:3128'"),
        "Unsupported proxy syntax in 'http://***:***@proxy.example:3128'");
    CHECK_STR(scrubbed(&s, "user px@user password pw:secret"), "user *** password ***");
    /* the Basic credentials libcurl sends the proxy: base64("px@user:pw:secret") */
    CHECK_STR(scrubbed(&s, "Proxy-Authorization: Basic cHhAdXNlcjpwdzpzZWNyZXQ="),
              "Proxy-Authorization: Basic ***");
    /* no scheme; the last '@' ends the user info */
    CHECK(cwa_secrets_set_proxy(&s, "bob:p@ss/word@[::1") == 0);
    CHECK_STR(scrubbed(&s, "'bob:p@ss/word@[::1'"), "'***:***@[::1'");
    /* no user info: the proxy slots are empty */
    CHECK(cwa_secrets_set_proxy(&s, "http://proxy.example:3128") == 0);
    CHECK_STR(scrubbed(&s, "bob p@ss/word"), "bob p@ss/word");
    CHECK(cwa_secrets_set_proxy(&s, NULL) == 0);
    cwa_secrets_clear(&s);
}

UNIT_TEST(scrub_cut_text_loses_the_start_of_a_secret)
{
    cwa_secrets s = {0};
    set(&s, CWA_SECRET_PROXY_PASSWORD, "proxy-SECRET-pw");
    char text[] = "Unsupported proxy syntax in 'http://u:proxy-SEC";
    cwa_scrub_cut(&s, text);
    CHECK_STR(text, "Unsupported proxy syntax in 'http://u:***");
    char whole[] = "in 'http://u:proxy-SECRET-pw@h' and pro";
    cwa_scrub_cut(&s, whole);
    CHECK_STR(whole, "in 'http://u:***@h' and ***");
    /* fewer than CWA_SCRUB_MIN bytes of a secret stay: they would match
     * innocent endings */
    char two[] = "ends with pr";
    cwa_scrub_cut(&s, two);
    CHECK_STR(two, "ends with pr");
    /* a URL-encoded start counts too */
    set(&s, CWA_SECRET_PASSWORD, "p@ss-word");
    char enc[] = "http://u:p%40ss-w";
    cwa_scrub_cut(&s, enc);
    CHECK_STR(enc, "http://u:***");
    cwa_secrets_clear(&s);
}

UNIT_TEST(scrub_excerpt_one_line)
{
    char out[64];
    const char *body = "  <html>\r\n\t<body>  x\x01y\xc3\xa9 </body>  \n";
    cwa_scrub_excerpt(NULL, body, strlen(body), 160, out, sizeof out);
    CHECK_STR(out, "<html> <body> x y?? </body>");
    cwa_scrub_excerpt(NULL, "abcdefgh", 8, 5, out, sizeof out);
    CHECK_STR(out, "abcde...");
    cwa_scrub_excerpt(NULL, "abcde", 5, 5, out, sizeof out);
    CHECK_STR(out, "abcde");
    cwa_scrub_excerpt(NULL, "", 0, 5, out, sizeof out);
    CHECK_STR(out, "");
    /* the capacity wins over max, "..." and the NUL always fit */
    char small[8];
    cwa_scrub_excerpt(NULL, "abcdefghij", 10, 160, small, sizeof small);
    CHECK_STR(small, "abcd..."); /* 7 characters and the NUL */
    cwa_scrub_excerpt(NULL, "abc", 3, 160, small, 3);
    CHECK_STR(small, "");
}

UNIT_TEST(scrub_excerpt_never_shows_part_of_a_secret)
{
    cwa_secrets s = {0};
    set(&s, CWA_SECRET_TOKEN, "tok-SECRET-1234");
    set(&s, CWA_SECRET_PASSWORD, "p\xc3\xa4ss w\xc3\xb6rd");
    char out[64];
    const char *body = "hello tok-SECRET-1234 more";
    cwa_scrub_excerpt(&s, body, strlen(body), 10, out, sizeof out);
    CHECK_STR(out, "hello ***...");
    /* the secret starts where the excerpt ends: it is cut before it */
    cwa_scrub_excerpt(&s, body, strlen(body), 7, out, sizeof out);
    CHECK_STR(out, "hello...");
    /* bytes the excerpt would rewrite (non-ASCII, runs of spaces) are
     * matched as they came */
    body = "pw: p\xc3\xa4ss w\xc3\xb6rd\n\n end";
    cwa_scrub_excerpt(&s, body, strlen(body), 160, out, sizeof out);
    CHECK_STR(out, "pw: *** end");
    /* the capacity: *** fits with "..." or not at all */
    char small[9];
    cwa_scrub_excerpt(&s, "ab tok-SECRET-1234", 18, 160, small, sizeof small);
    CHECK_STR(small, "ab...");
    cwa_secrets_clear(&s);
}
