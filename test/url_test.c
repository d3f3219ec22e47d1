#include "cwa_url.h"
#include "unit.h"

#include <stdlib.h>

/* CHECK_STR copies into a 512-byte message, which -Werror's truncation
 * analysis rejects for the 512-byte fields; compare them by hand. */
#define CHECK_EQ(got, want) CHECK(strcmp((got), (want)) == 0)

static int server(const char *s, int allow_http, cwa_server *out, char *err)
{
    return cwa_url_parse_server(s, allow_http, out, err, 256);
}

static int path_ok(const char *p)
{
    char err[128];
    return cwa_url_check_path(p, strlen(p), err, sizeof err) == 0;
}

static char *appended(const char *base, const char *path)
{
    cwa_buf b = {0};
    if (cwa_buf_puts(&b, base) != 0 || cwa_url_append_path(&b, path, strlen(path)) != 0) {
        cwa_buf_free(&b);
        return NULL;
    }
    return cwa_buf_steal(&b, NULL);
}

UNIT_TEST(url_encode_unreserved_kept)
{
    cwa_buf b = {0};
    const char *all = "AZaz09-._~";
    CHECK(cwa_url_encode(&b, all, strlen(all)) == 0);
    CHECK_STR(b.data, "AZaz09-._~");
    cwa_buf_free(&b);
}

UNIT_TEST(url_encode_everything_else)
{
    cwa_buf b = {0};
    const char *s = "a b+c&d=e/f?g#h%i'j\"k";
    CHECK(cwa_url_encode(&b, s, strlen(s)) == 0);
    CHECK_STR(b.data, "a%20b%2Bc%26d%3De%2Ff%3Fg%23h%25i%27j%22k");
    cwa_buf_reset(&b);
    CHECK(cwa_url_encode(&b, "\xc3\xa9\xff\x01", 4) == 0);
    CHECK_STR(b.data, "%C3%A9%FF%01");
    cwa_buf_reset(&b);
    CHECK(cwa_url_encode(&b, "a\0b", 3) == 0);
    CHECK_STR(b.data, "a%00b");
    cwa_buf_reset(&b);
    CHECK(cwa_url_encode(&b, "", 0) == 0);
    CHECK(cwa_url_encode(&b, NULL, 0) == 0);
    CHECK(cwa_url_encode(&b, NULL, 3) == -1);
    CHECK(b.len == 0);
    cwa_buf_free(&b);
}

UNIT_TEST(url_encode_appends_and_handles_big_input)
{
    cwa_buf b = {0};
    CHECK(cwa_buf_puts(&b, "x=") == 0);
    size_t n = 100000;
    char *big = malloc(n);
    CHECK(big != NULL);
    if (!big)
        return;
    memset(big, ' ', n);
    CHECK(cwa_url_encode(&b, big, n) == 0);
    CHECK(b.len == 2 + 3 * n);
    CHECK(strncmp(b.data, "x=%20%20", 8) == 0);
    free(big);
    /* A length no buffer can hold fails without touching the buffer. */
    size_t before = b.len;
    CHECK(cwa_url_encode(&b, "a", (size_t)-1 / 2) == -1);
    CHECK(b.len == before);
    cwa_buf_free(&b);
}

UNIT_TEST(url_server_bare_host)
{
    cwa_server s;
    char err[256];
    CHECK(server("automate.example.com", 0, &s, err) == 0);
    CHECK_STR(s.scheme, "https");
    CHECK_EQ(s.host, "automate.example.com");
    CHECK(s.port == 443 && !s.is_loopback);
    CHECK_EQ(s.base, "https://automate.example.com/cwa/api/v1");
    CHECK(server("Automate.EXAMPLE.com", 0, &s, err) == 0);
    CHECK_EQ(s.host, "automate.example.com");
    CHECK(server("automate", 0, &s, err) == 0);
    CHECK_EQ(s.base, "https://automate/cwa/api/v1");
}

UNIT_TEST(url_server_host_port_and_schemes)
{
    cwa_server s;
    char err[256];
    CHECK(server("automate.example.com:8443", 0, &s, err) == 0);
    CHECK(s.port == 8443);
    CHECK_EQ(s.base, "https://automate.example.com:8443/cwa/api/v1");
    CHECK(server("https://automate.example.com:443/", 0, &s, err) == 0);
    CHECK_EQ(s.base, "https://automate.example.com/cwa/api/v1");
    CHECK(server("HTTPS://a.example.com/cwa/api/v1", 0, &s, err) == 0);
    CHECK_EQ(s.base, "https://a.example.com/cwa/api/v1");
    CHECK(server("https://a.example.com/cwa/api/v1/", 0, &s, err) == 0);
    CHECK(server("https://a.example.com/CWA/API/V1", 0, &s, err) == 0);
    CHECK(server("http://127.0.0.1:8080", 0, &s, err) == 0);
    CHECK_STR(s.scheme, "http");
    CHECK(s.port == 8080 && s.is_loopback);
    CHECK_EQ(s.base, "http://127.0.0.1:8080/cwa/api/v1");
    CHECK(server("http://localhost/", 0, &s, err) == 0);
    CHECK(s.port == 80 && s.is_loopback);
    CHECK_EQ(s.base, "http://localhost/cwa/api/v1");
    CHECK(server("http://127.255.3.4:80", 0, &s, err) == 0);
    CHECK_EQ(s.base, "http://127.255.3.4/cwa/api/v1");
    CHECK(server("https://host.example:65535", 0, &s, err) == 0 && s.port == 65535);
    CHECK(server("https://host.example:1", 0, &s, err) == 0 && s.port == 1);
    CHECK(server("host_with_underscore.local", 0, &s, err) == 0);
    CHECK(server("fqdn.example.com.", 0, &s, err) == 0);
}

UNIT_TEST(url_server_ipv6)
{
    cwa_server s;
    char err[256];
    CHECK(server("http://[::1]:8080", 0, &s, err) == 0);
    CHECK(s.is_loopback && s.port == 8080);
    CHECK_EQ(s.host, "::1");
    CHECK_EQ(s.base, "http://[::1]:8080/cwa/api/v1");
    CHECK(server("[2001:DB8::1]", 0, &s, err) == 0);
    CHECK(!s.is_loopback);
    CHECK_EQ(s.base, "https://[2001:db8::1]/cwa/api/v1");
    CHECK(server("http://[0:0:0:0:0:0:0:1]/", 0, &s, err) == 0 && s.is_loopback);
    CHECK(server("http://[::ffff:127.0.0.1]", 0, &s, err) == 0 && s.is_loopback);
    CHECK(server("http://[2001:db8::1]", 0, &s, err) == -1);
    CHECK(server("[::1", 0, &s, err) == -1);
    CHECK(server("[::1]x", 0, &s, err) == -1);
    CHECK(server("[::1]:", 0, &s, err) == -1);
    CHECK(server("[]", 0, &s, err) == -1);
    CHECK(server("[fe80::1%25eth0]", 0, &s, err) == -1);
    CHECK(server("[not:an:address]", 0, &s, err) == -1);
}

UNIT_TEST(url_server_plain_http_needs_loopback)
{
    cwa_server s;
    char err[256] = "";
    CHECK(server("http://automate.example.com", 0, &s, err) == -1);
    CHECK_STR(err, "server: plain http is only allowed to loopback addresses (set allow_http = true)");
    CHECK(server("http://automate.example.com", 1, &s, err) == 0);
    CHECK_EQ(s.base, "http://automate.example.com/cwa/api/v1");
    CHECK(server("http://128.0.0.1", 0, &s, err) == -1);
    CHECK(server("http://10.0.0.1", 0, &s, err) == -1);
    CHECK(server("http://localhost.evil.com", 0, &s, err) == -1);
    CHECK(server("http://127.0.0.1.evil.com", 0, &s, err) == -1);
    /* Short spellings a resolver would read as an address are refused. */
    CHECK(server("http://127.1", 0, &s, err) == -1);
    CHECK(server("http://2130706433", 0, &s, err) == -1);
    CHECK(server("http://0x7f.0.0.1", 0, &s, err) == -1);
}

UNIT_TEST(url_server_rejects_bad_input)
{
    cwa_server s;
    char err[256];
    const char *bad[] = {"",
                         "automate example.com",
                         " automate.example.com",
                         "automate.example.com\n",
                         "a\tb",
                         "user:pass@automate.example.com",
                         "https://user@automate.example.com",
                         "ftp://automate.example.com",
                         "file:///etc/passwd",
                         "javascript:alert(1)",
                         "https//automate.example.com",
                         "automate.example.com:0",
                         "automate.example.com:65536",
                         "automate.example.com:99999999",
                         "automate.example.com:-1",
                         "automate.example.com:80a",
                         "automate.example.com:",
                         "https://automate.example.com?x=1",
                         "https://automate.example.com/#frag",
                         "https://automate.example.com/other",
                         "https://automate.example.com/cwa/api/v2",
                         "https://automate.example.com//",
                         "https://",
                         "https:///cwa/api/v1",
                         ":443",
                         "auto!mate.example.com",
                         "auto%2emate.example.com",
                         "a..b",
                         ".a.b",
                         "a.b..",
                         "999.1.1.1",
                         "1.2.3.4.5",
                         "h\x7fst",
                         "h\xc3\xa9st.example"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        err[0] = '\0';
        int rc = server(bad[k], 1, &s, err);
        CHECK(rc == -1);
        CHECK(strncmp(err, "server: ", 8) == 0);
        if (rc != -1)
            printf("# accepted: %s\n", bad[k]);
    }
    CHECK(cwa_url_parse_server(NULL, 0, &s, err, sizeof err) == -1);
    CHECK(cwa_url_parse_server("", 0, &s, NULL, 0) == -1);
    CHECK(cwa_url_parse_server("x", 0, NULL, NULL, 0) == -1);
}

UNIT_TEST(url_server_specific_messages)
{
    cwa_server s;
    char err[256];
    CHECK(server("bob:secret@host", 0, &s, err) == -1);
    CHECK(strstr(err, "credentials") != NULL);
    CHECK(strstr(err, "secret") == NULL); /* the password is never echoed */
    CHECK(server("ftp://host", 0, &s, err) == -1);
    CHECK(strstr(err, "scheme") != NULL);
    CHECK(server("host:70000", 0, &s, err) == -1);
    CHECK(strstr(err, "port") != NULL);
    CHECK(server("", 0, &s, err) == -1);
    CHECK_STR(err, "server: empty");
    char tiny[8];
    CHECK(cwa_url_parse_server("", 0, &s, tiny, sizeof tiny) == -1);
    CHECK_STR(tiny, "server:");
}

UNIT_TEST(url_server_long_inputs)
{
    cwa_server s;
    char err[256];
    char host[400];
    /* 63-byte labels are fine, 64 are not; 253 bytes in all at most. */
    memset(host, 'a', 63);
    host[63] = '\0';
    CHECK(server(host, 0, &s, err) == 0);
    memset(host, 'a', 64);
    host[64] = '\0';
    CHECK(server(host, 0, &s, err) == -1);
    size_t n = 0;
    while (n + 11 <= 253) {
        memset(host + n, 'b', 10);
        host[n + 10] = '.';
        n += 11;
    }
    host[n - 1] = '\0';
    CHECK(server(host, 0, &s, err) == 0);
    CHECK(strlen(s.base) < sizeof s.base);
    memset(host, 'c', 399);
    host[399] = '\0';
    CHECK(server(host, 0, &s, err) == -1);
    size_t big = 100000;
    char *huge = malloc(big + 1);
    CHECK(huge != NULL);
    if (!huge)
        return;
    memset(huge, 'd', big);
    huge[big] = '\0';
    CHECK(server(huge, 0, &s, err) == -1);
    free(huge);
}

UNIT_TEST(url_check_path_accepts)
{
    CHECK(path_ok("/Computers"));
    CHECK(path_ok("Computers"));
    CHECK(path_ok("/Computers/42/ScriptHistory"));
    CHECK(path_ok("/Computers/"));
    CHECK(path_ok("/"));
    CHECK(path_ok("/Clients/a b"));
    CHECK(path_ok("/x/.../y"));
    CHECK(path_ok("/x/.hidden"));
    CHECK(path_ok("/x/a..b"));
    CHECK(path_ok("/x/%41bc"));
    CHECK(path_ok("/x/100%"));
    CHECK(path_ok("/x/%2e%2e%2e"));
    CHECK(path_ok("/\xc3\xa9t\xc3\xa9"));
}

UNIT_TEST(url_check_path_rejects)
{
    const char *bad[] = {"",         "1abc",         ".",           "..",     "./x",      "/../etc",
                         "/a/..",    "/a/./b",       "/a/%2e%2E/b", "/a/%2e", "/a/.%2e",  "/a/%2E./b",
                         "/a?b=1",   "/a#frag",      "/a\\b",       "\\a",    "//host/x", "/a//b",
                         "/a/b//",   "/a%2fb",       "/a%2F..",     "/a%5cb", "/a%00b",   "/a%0d%0aX: y",
                         "/a\rb",    "/a\nb",        "/a\tb",       "/a\x7f", "?x",       "#x",
                         "%2e%2e/x", "http://evil/x"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        CHECK(!path_ok(bad[k]));
        if (path_ok(bad[k]))
            printf("# accepted: %s\n", bad[k]);
    }
    char err[128];
    CHECK(cwa_url_check_path("/a\0b", 4, err, sizeof err) == -1);
    CHECK(strncmp(err, "path: ", 6) == 0);
    CHECK(cwa_url_check_path(NULL, 0, err, sizeof err) == -1);
    CHECK(cwa_url_check_path("/a?", 2, err, sizeof err) == 0); /* len bounds it */
}

UNIT_TEST(url_check_path_length_limit)
{
    char p[2100];
    p[0] = '/';
    memset(p + 1, 'a', sizeof p - 1);
    CHECK(cwa_url_check_path(p, 2048, NULL, 0) == 0);
    CHECK(cwa_url_check_path(p, 2049, NULL, 0) == -1);
    char err[64];
    CHECK(cwa_url_check_path(p, 2049, err, sizeof err) == -1);
    CHECK(strstr(err, "2048") != NULL);
}

UNIT_TEST(url_check_path_messages)
{
    char err[160];
    CHECK(cwa_url_check_path("/a?b", 4, err, sizeof err) == -1);
    CHECK(strstr(err, "query") != NULL);
    CHECK(cwa_url_check_path("/a/../b", 7, err, sizeof err) == -1);
    CHECK(strstr(err, "..") != NULL);
}

UNIT_TEST(url_append_path_slashes)
{
    char *u;
    u = appended("https://h/cwa/api/v1", "/Computers");
    CHECK_STR(u, "https://h/cwa/api/v1/Computers");
    free(u);
    u = appended("https://h/cwa/api/v1", "Computers");
    CHECK_STR(u, "https://h/cwa/api/v1/Computers");
    free(u);
    u = appended("https://h/cwa/api/v1/", "/Computers");
    CHECK_STR(u, "https://h/cwa/api/v1/Computers");
    free(u);
    u = appended("https://h/cwa/api/v1/", "Computers/5/");
    CHECK_STR(u, "https://h/cwa/api/v1/Computers/5/");
    free(u);
    u = appended("", "Computers");
    CHECK_STR(u, "/Computers");
    free(u);
}

UNIT_TEST(url_append_path_encoding)
{
    char *u;
    u = appended("b", "/Clients/a b/\xc3\xa9");
    CHECK_STR(u, "b/Clients/a%20b/%C3%A9");
    free(u);
    u = appended("b", "/x/%41bc/100%/%zz");
    CHECK_STR(u, "b/x/%41bc/100%25/%25zz");
    free(u);
    u = appended("b", "/x/!$&'()*+,;=:@-._~");
    CHECK_STR(u, "b/x/!$&'()*+,;=:@-._~");
    free(u);
    u = appended("b", "/x/\"<>[]{}|^`");
    CHECK_STR(u, "b/x/%22%3C%3E%5B%5D%7B%7D%7C%5E%60");
    free(u);
}

UNIT_TEST(url_append_path_refuses_unchecked)
{
    cwa_buf b = {0};
    CHECK(cwa_buf_puts(&b, "base") == 0);
    CHECK(cwa_url_append_path(&b, "/a/../b", 7) == -1);
    CHECK(cwa_url_append_path(&b, "/a?x=1", 6) == -1);
    CHECK(cwa_url_append_path(&b, "/a\0b", 4) == -1);
    CHECK(cwa_url_append_path(&b, NULL, 0) == -1);
    CHECK(b.len == 4);
    CHECK_STR(b.data, "base");
    CHECK(cwa_url_append_path(NULL, "/a", 2) == -1);
    cwa_buf_free(&b);
}

UNIT_TEST(url_append_query)
{
    cwa_buf b = {0};
    CHECK(cwa_buf_puts(&b, "https://h/cwa/api/v1/Computers") == 0);
    const char *cond = "Status = 'Online' and Client.Id in (1,2)";
    CHECK(cwa_url_append_query(&b, 1, "condition", cond, strlen(cond)) == 0);
    CHECK(cwa_url_append_query(&b, 0, "pageSize", "250", 3) == 0);
    CHECK(cwa_url_append_query(&b, 0, "order by", "a&b=c+d", 7) == 0);
    CHECK(cwa_url_append_query(&b, 0, "empty", NULL, 0) == 0);
    CHECK_STR(b.data, "https://h/cwa/api/v1/Computers"
                      "?condition=Status%20%3D%20%27Online%27%20and%20Client.Id%20in%20%281%2C2%29"
                      "&pageSize=250&order%20by=a%26b%3Dc%2Bd&empty=");
    size_t before = b.len;
    CHECK(cwa_url_append_query(&b, 0, NULL, "x", 1) == -1);
    CHECK(cwa_url_append_query(&b, 0, "k", NULL, 1) == -1);
    CHECK(cwa_url_append_query(&b, 0, "k", "x", (size_t)-1 / 2) == -1);
    CHECK(b.len == before);
    cwa_buf_reset(&b);
    CHECK(cwa_url_append_query(&b, 1, "ids", "1\0002", 3) == 0);
    CHECK_STR(b.data, "?ids=1%002");
    cwa_buf_free(&b);
}

UNIT_TEST(url_full_request_url)
{
    cwa_server s;
    char err[256];
    cwa_buf b = {0};
    CHECK(cwa_url_parse_server("http://127.0.0.1:9000/cwa/api/v1/", 0, &s, err, sizeof err) == 0);
    CHECK(cwa_buf_puts(&b, s.base) == 0);
    CHECK(cwa_url_append_path(&b, "Computers/7", 11) == 0);
    CHECK(cwa_url_append_query(&b, 1, "page", "2", 1) == 0);
    CHECK_STR(b.data, "http://127.0.0.1:9000/cwa/api/v1/Computers/7?page=2");
    cwa_buf_free(&b);
}

static char *api_url(const char *base, const char *path)
{
    cwa_buf b = {0};
    if (cwa_buf_puts(&b, base) != 0 || cwa_url_append_api_path(&b, path, strlen(path)) != 0) {
        cwa_buf_free(&b);
        return NULL;
    }
    return cwa_buf_steal(&b, NULL);
}

UNIT_TEST(url_api_path_v2)
{
    static const char *const cases[][2] = {
        {"/v2/Contacts", "https://h/cwa/api/v2/Contacts"},
        {"v2/Contacts/7", "https://h/cwa/api/v2/Contacts/7"},
        {"/V2/Scripts", "https://h/cwa/api/v2/Scripts"},
        {"/v2/groups/3/computers", "https://h/cwa/api/v2/groups/3/computers"},
        /* only a first segment that is exactly v2 */
        {"/Computers/v2/x", "https://h/cwa/api/v1/Computers/v2/x"},
        {"/v2x/Contacts", "https://h/cwa/api/v1/v2x/Contacts"},
        {"/v2", "https://h/cwa/api/v1/v2"},
        {"/Computers", "https://h/cwa/api/v1/Computers"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *u = api_url("https://h/cwa/api/v1", cases[k][0]);
        CHECK_STR(u, cases[k][1]);
        free(u);
    }
    cwa_buf b = {0};
    /* refused paths and a base that is not a server's leave out unchanged */
    CHECK(cwa_buf_puts(&b, "https://h/cwa/api/v1") == 0);
    CHECK(cwa_url_append_api_path(&b, "/v2/../x", 8) == -1);
    CHECK(cwa_url_append_api_path(&b, "/v2/a?b", 7) == -1);
    CHECK_STR(b.data, "https://h/cwa/api/v1");
    cwa_buf_reset(&b);
    CHECK(cwa_buf_puts(&b, "https://h/other") == 0);
    CHECK(cwa_url_append_api_path(&b, "/v2/Contacts", 12) == -1);
    CHECK_STR(b.data, "https://h/other");
    cwa_buf_free(&b);
}

UNIT_TEST(url_api_rel)
{
    size_t n = strlen("https://h/cwa/api/v1");
    CHECK_STR(cwa_url_api_rel("https://h/cwa/api/v1/Computers/1?page=2", n), "/Computers/1?page=2");
    CHECK_STR(cwa_url_api_rel("https://h/cwa/api/v2/Contacts", n), "/v2/Contacts");
    CHECK_STR(cwa_url_api_rel("https://h/cwa/api/v1", n), "");
    CHECK_STR(cwa_url_api_rel("https://h", n), "");
    CHECK_STR(cwa_url_api_rel(NULL, n), "");
}

UNIT_TEST(url_query_keys_compare_case_insensitively)
{
    cwa_buf b = {0};
    CHECK(cwa_buf_puts(&b, "https://h/cwa/api/v1/Computers") == 0);
    CHECK(!cwa_url_has_query_key(b.data, "page"));
    CHECK(cwa_url_append_query(&b, 1, "pageSize", "5", 1) == 0);
    CHECK(cwa_url_append_query(&b, 0, "order by", "a", 1) == 0);
    CHECK(cwa_url_append_query(&b, 0, "empty", NULL, 0) == 0);
    CHECK(cwa_url_append_query(&b, 0, "\xc3\x84x", "1", 1) == 0);
    CHECK(cwa_url_has_query_key(b.data, "pageSize"));
    CHECK(cwa_url_has_query_key(b.data, "PAGESIZE"));
    CHECK(cwa_url_has_query_key(b.data, "Order By"));
    CHECK(cwa_url_has_query_key(b.data, "EMPTY"));
    CHECK(cwa_url_has_query_key(b.data, "\xc3\x84X"));
    /* prefixes, longer keys, values and escapes are not keys */
    CHECK(!cwa_url_has_query_key(b.data, "page"));
    CHECK(!cwa_url_has_query_key(b.data, "pageSizes"));
    CHECK(!cwa_url_has_query_key(b.data, "5"));
    CHECK(!cwa_url_has_query_key(b.data, "order%20by"));
    CHECK(!cwa_url_has_query_key(b.data, "order+by"));
    CHECK(!cwa_url_has_query_key(b.data, "\xc3\xa4x"));
    CHECK(!cwa_url_has_query_key(b.data, ""));
    CHECK(!cwa_url_has_query_key("https://h/x", "x"));
    CHECK(!cwa_url_has_query_key(NULL, "x"));
    CHECK(cwa_url_key_eq("orderBy", "ORDERBY"));
    CHECK(cwa_url_key_eq("", ""));
    CHECK(!cwa_url_key_eq("orderBy", "orderBy "));
    CHECK(!cwa_url_key_eq("page", "pageSize"));
    char err[200];
    CHECK(cwa_url_dup_key("PageSize", err, sizeof err) == -1);
    CHECK(strstr(err, "'PageSize' given twice") != NULL);
    cwa_buf_free(&b);
}

UNIT_TEST(url_survives_random_bytes)
{
    /* Mutated servers and paths: whatever is accepted must stay within the
     * promises (no userinfo, loopback-only http, no traversal). */
    static const char *servers[] = {"http://127.0.0.1:8080/cwa/api/v1", "https://[::1]:443/",
                                    "automate.example.com:8443"};
    static const char *paths[] = {"/Computers/42/Scripts", "Clients/%41/x"};
    unsigned long long s = 0x243f6a8885a308d3ULL;
    char buf[64];
    for (int it = 0; it < 30000; it++) {
        const char *seed = it & 1 ? servers[it % 3] : paths[it % 2];
        size_t n = strlen(seed);
        memcpy(buf, seed, n + 1);
        for (int m = 0; m < 1 + it % 3; m++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            buf[s % n] = it & 2 ? (char)((s >> 8) & 0xff) : "./:@%?#[]2e\\ aZ0"[(s >> 8) % 17];
        }
        if (it & 1) {
            cwa_server sv;
            char err[256];
            if (cwa_url_parse_server(buf, 0, &sv, err, sizeof err) == 0) {
                CHECK(!strchr(sv.base + 8, '@'));
                CHECK(strcmp(sv.scheme, "https") == 0 || sv.is_loopback);
                CHECK(strlen(sv.base) < sizeof sv.base);
            }
        } else {
            cwa_buf b = {0};
            if (cwa_url_check_path(buf, n, NULL, 0) == 0) {
                CHECK(cwa_url_append_path(&b, buf, n) == 0);
                CHECK(!strstr(b.data, "/../") && !strstr(b.data, "/./") && !strchr(b.data, '?'));
            } else {
                CHECK(cwa_url_append_path(&b, buf, n) == -1);
            }
            cwa_buf_free(&b);
        }
    }
}
