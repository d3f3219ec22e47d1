/* The waits of the engine against a server that never answers: a
 * loopback socket that listens and never accepts (the kernel completes the
 * connection, the request is sent, nothing comes back). */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cwa.h"
#include "cwa_time.h"
#include "unit.h"

typedef struct stalled {
    int fd;
    char url[64];
} stalled;

static int stalled_open(stalled *s)
{
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->fd, 16) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", ntohs(a.sin_port));
    return 0;
}

static cwa_client *stalled_client(const stalled *s)
{
    cwa_config cfg;
    cwa_config_defaults(&cfg);
    cfg.server = s->url;
    cfg.allow_http = 1;
    cfg.username = "u";
    cfg.password = "p";
    cfg.client_id = "test";
    cwa_error err = {0};
    cwa_client *c = cwa_client_new(&cfg, &err);
    cwa_error_clear(&err);
    return c;
}

typedef struct interrupter {
    cwa_client *c;
    double at; /* monotonic time of the interrupt */
} interrupter;

static void *interrupt_later(void *ud)
{
    interrupter *it = ud;
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
    it->at = cwa_time_mono();
    cwa_client_interrupt(it->c);
    return NULL;
}

UNIT_TEST(poll_interrupt_from_another_thread_ends_a_blocking_login)
{
    stalled s;
    CHECK(stalled_open(&s) == 0);
    cwa_client *c = stalled_client(&s);
    CHECK(c != NULL);
    if (!c)
        return;
    interrupter it = {c, 0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, interrupt_later, &it) == 0);
    const char *token = NULL;
    double expires = 0;
    cwa_error err = {0};
    int rc = cwa_client_token(c, &token, &expires, &err);
    double back = cwa_time_mono();
    pthread_join(t, NULL);
    CHECK(rc == -1);
    CHECK(err.code == CWA_E_CANCELLED);
    CHECK(strstr(err.message, "interrupted") != NULL);
    /* the eventfd wakes the wait at once, not at the end of its slice */
    CHECK(it.at > 0 && back - it.at < 0.09);
    printf("# interrupt to return: %.1f ms\n", (back - it.at) * 1000);
    cwa_error_clear(&err);
    cwa_client_free(c);
    close(s.fd);
}

UNIT_TEST(poll_interrupt_before_a_run_cancels_that_run_only)
{
    stalled s;
    CHECK(stalled_open(&s) == 0);
    cwa_client *c = stalled_client(&s);
    CHECK(c != NULL);
    if (!c)
        return;
    cwa_error err = {0};
    cwa_req *r = cwa_req_new(c, CWA_GET, "/Computers", 10, NULL, 0, &err);
    CHECK(r != NULL);
    cwa_req_submit(r);
    cwa_client_interrupt(c);
    CHECK(cwa_client_timeout(c) == 0); /* the interrupt is work due now */
    CHECK(cwa_client_run(c, r, -1, &err) == -1);
    CHECK(err.code == CWA_E_CANCELLED);
    cwa_error_clear(&err);
    /* the flag was spent: the next run waits (here: its 0.3 s) */
    double t0 = cwa_time_mono();
    CHECK(cwa_client_run(c, r, 0.3, &err) == 0);
    CHECK(cwa_time_mono() - t0 >= 0.25);
    cwa_req_free(r);
    cwa_client_free(c);
    close(s.fd);
}

UNIT_TEST(poll_step_never_blocks_and_the_fd_is_pollable)
{
    stalled s;
    CHECK(stalled_open(&s) == 0);
    cwa_client *c = stalled_client(&s);
    CHECK(c != NULL);
    if (!c)
        return;
    cwa_error err = {0};
    int fd = cwa_client_pollfd(c, &err);
    CHECK(fd >= 0);
    CHECK(cwa_client_timeout(c) < 0); /* nothing to do, no timer */
    cwa_req *r = cwa_req_new(c, CWA_GET, "/Computers", 10, NULL, 0, &err);
    CHECK(r != NULL);
    cwa_req_submit(r);
    CHECK(cwa_client_timeout(c) == 0); /* submitted, not yet started */
    double t0 = cwa_time_mono();
    for (int i = 0; i < 200; i++)
        CHECK(cwa_client_step(c, &err) == 0);
    CHECK(cwa_time_mono() - t0 < 0.5);
    /* the login is in flight: libcurl's timeouts keep a timer running */
    double t = cwa_client_timeout(c);
    CHECK(t > 0 && t <= 60);
    /* an interrupt makes the descriptor readable */
    struct pollfd p = {fd, POLLIN, 0};
    CHECK(poll(&p, 1, 0) == 0);
    cwa_client_interrupt(c);
    CHECK(poll(&p, 1, 0) == 1);
    CHECK(cwa_client_step(c, &err) == -1);
    CHECK(err.code == CWA_E_CANCELLED);
    CHECK(poll(&p, 1, 0) == 0); /* the wake-up was read */
    cwa_error_clear(&err);
    cwa_req_free(r);
    cwa_client_free(c);
    close(s.fd);
}

UNIT_TEST(poll_threadsafe_matches_libcurl)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    (void)v;
#if defined(CURL_VERSION_THREADSAFE)
    CHECK(cwa_curl_threadsafe() == ((v->features & CURL_VERSION_THREADSAFE) != 0));
#else
    CHECK(cwa_curl_threadsafe() == 0);
#endif
}
