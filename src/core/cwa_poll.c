/* What the engine waits on: one epoll set per client holding libcurl's
 * sockets (CURLMOPT_SOCKETFUNCTION) and an eventfd that
 * cwa_client_interrupt writes, with libcurl's timer (CURLMOPT_TIMERFUNCTION)
 * kept as a monotonic time. A blocking run waits in epoll_wait on that set;
 * an event-loop host polls the same fd (cwa_client_pollfd) and steps the
 * client. Separate from cwa_loop.c, which decides what starts: this file
 * only knows descriptors. Linux only (epoll, eventfd); kqueue is not done. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cwa_internal.h"
#include "cwa_time.h"

#if defined(CURL_VERSION_THREADSAFE)
#define THREADSAFE_BIT CURL_VERSION_THREADSAFE
#else
#define THREADSAFE_BIT 0 /* libcurl before 7.84 cannot say: assume not */
#endif

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *ud, void *socketp)
{
    (void)easy;
    (void)socketp;
    cwa_client *c = ud;
    if (what == CURL_POLL_REMOVE) {
        /* the socket may be closed already, and then it has left the set */
        epoll_ctl(c->epfd, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    struct epoll_event ev = {0};
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    ev.data.fd = s;
    if (epoll_ctl(c->epfd, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT)
        epoll_ctl(c->epfd, EPOLL_CTL_ADD, s, &ev);
    return 0;
}

static int on_curl_timer(CURLM *multi, long ms, void *ud)
{
    (void)multi;
    cwa_client *c = ud;
    c->curl_due = ms < 0 ? -1 : cwa_time_mono() + (double)ms / 1000;
    return 0;
}

int cwa__poll_open(cwa_client *c)
{
    c->curl_due = -1;
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    c->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->epfd < 0 || c->evfd < 0)
        return -1;
    struct epoll_event ev = {0};
    ev.events = EPOLLIN;
    ev.data.fd = c->evfd;
    if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->evfd, &ev) != 0)
        return -1;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    return 0;
}

void cwa__poll_close(cwa_client *c)
{
    /* after fork both are shared with the parent: closing our copy of the
     * descriptor leaves the parent's set as it is */
    if (c->epfd >= 0)
        close(c->epfd);
    if (c->evfd >= 0)
        close(c->evfd);
    c->epfd = c->evfd = -1;
}

/* libcurl's timer: run it when due, then read the next one from libcurl
 * itself, since a timer run early changes nothing and libcurl would not
 * call on_curl_timer again for it. */
static void run_timer(cwa_client *c)
{
    if (c->curl_due < 0 || cwa_time_mono() < c->curl_due)
        return;
    int running = 0;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    long ms = -1;
    curl_multi_timeout(c->multi, &ms);
    c->curl_due = ms < 0 ? -1 : cwa_time_mono() + (double)ms / 1000;
}

void cwa__poll_drain(cwa_client *c)
{
    uint64_t v;
    while (read(c->evfd, &v, sizeof v) == (ssize_t)sizeof v)
        ;
}

void cwa__poll_wait(cwa_client *c, long ms)
{
    struct epoll_event ev[16];
    if (ms > INT32_MAX)
        ms = INT32_MAX;
    /* a signal (EINTR) ends the wait early: the caller's loop looks at the
     * hooks at once, which is what a Lua interrupt needs */
    int n = epoll_wait(c->epfd, ev, (int)(sizeof ev / sizeof ev[0]), (int)ms);
    for (int i = 0; i < n; i++) {
        if (ev[i].data.fd == c->evfd) {
            cwa__poll_drain(c);
            continue;
        }
        int mask = ((ev[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                   ((ev[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                   ((ev[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
        int running = 0;
        curl_multi_socket_action(c->multi, ev[i].data.fd, mask, &running);
    }
    run_timer(c);
}

int cwa__forked(const cwa_client *c)
{
    return getpid() != c->pid;
}

int cwa__check_process(const cwa_client *c, cwa_error *err)
{
    if (!cwa__forked(c))
        return 0;
    cwa_error_set(err, CWA_E_INVALID_ARGUMENT,
                  "this client was made in process %ld: its connections are that process's; make a "
                  "new client after fork()",
                  (long)c->pid);
    return -1;
}

int cwa_client_pollfd(const cwa_client *c, cwa_error *err)
{
    return cwa__check_process(c, err) != 0 ? -1 : c->epfd;
}

double cwa_client_timeout(const cwa_client *c)
{
    if (atomic_load(&c->interrupted) || c->done_head)
        return 0;
    double now = cwa_time_mono();
    double due = -1;
    for (const cwa_req *r = c->pending_head; r; r = r->next) {
        /* queued since the last schedule: nobody has looked at it yet */
        if (r->state == REQ_QUEUED && r->queued_at >= c->sched_at)
            return 0;
    }
    if (c->wake_at > 0)
        due = c->wake_at;
    if (c->curl_due >= 0 && (due < 0 || c->curl_due < due))
        due = c->curl_due;
    if (due < 0)
        return -1;
    return due > now ? due - now : 0;
}

void cwa_client_interrupt(cwa_client *c)
{
    /* a lock-free store and write(2): both safe in a signal handler */
    atomic_store(&c->interrupted, 1);
    uint64_t one = 1;
    ssize_t w = write(c->evfd, &one, sizeof one);
    (void)w; /* a full counter (EAGAIN) wakes the set just as well */
}

int cwa_curl_threadsafe(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    return v && (v->features & THREADSAFE_BIT) != 0;
}
