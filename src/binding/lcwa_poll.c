/* The client as an event-loop object (the cqueues protocol: pollfd,
 * events, timeout, step) and the point where a blocking call lets a Lua
 * interrupt in. Separate from lcwa_client.c, which makes and closes
 * clients: this file only drives one that exists. */
#include "lcwa.h"

/* Called between the slices of a blocking wait: a call hook that lua.c's
 * SIGINT handler set (or any debug hook) runs here, and its error ends the
 * running call as if a callback had raised it. */
int lcwa_interrupt_point(lua_State *L)
{
    (void)L;
    return 0;
}

int lcwa_check_interrupt(lcwa_client *lc)
{
    lua_State *L = lc->L;
    if (L && !lc->aborted && lua_gethook(L)) {
        lua_pushcfunction(L, lcwa_interrupt_point);
        if (lua_pcall(L, 0, 0, 0) != LUA_OK)
            lcwa_abort_with(lc, L);
    }
    return lc->aborted;
}

/* client:pollfd() -> integer */
static int client_pollfd(lua_State *L)
{
    lcwa_client *lc = lcwa_check_client(L, 1);
    cwa_error err = {0};
    int fd = cwa_client_pollfd(lc->client, &err);
    if (fd < 0)
        return lcwa_raise(L, &err);
    lua_pushinteger(L, fd);
    return 1;
}

/* client:events() -> "r" */
static int client_events(lua_State *L)
{
    lcwa_check_client(L, 1);
    lua_pushliteral(L, "r");
    return 1;
}

/* client:timeout() -> seconds, or nil */
static int client_timeout(lua_State *L)
{
    lcwa_client *lc = lcwa_check_client(L, 1);
    double t = cwa_client_timeout(lc->client);
    if (t < 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, t);
    return 1;
}

/* client:step() -> boolean */
static int client_step(lua_State *L)
{
    lcwa_client *lc = lcwa_check_client(L, 1);
    cwa_error err = {0};
    lcwa_enter(lc, L, 1);
    int rc = cwa_client_step(lc->client, &err);
    if (rc < 0) {
        lcwa_push_failure(L, lc, 1, &err);
        lcwa_leave(lc);
        cwa_error_clear(&err);
        return lua_error(L);
    }
    lcwa_leave(lc);
    lua_pushboolean(L, rc);
    return 1;
}

/* client:interrupt() */
static int client_interrupt(lua_State *L)
{
    lcwa_client *lc = lcwa_check_client(L, 1);
    cwa_client_interrupt(lc->client);
    return 0;
}

static const luaL_Reg poll_methods[] = {
    /***
     * A descriptor that becomes readable when the client has network work
     * to do (an epoll set: wait for it with cqueues, luv, select...). Wait
     * for it and for `Client:timeout`, then call `Client:step`.
     * @function Client:pollfd
     * @treturn integer the descriptor (the client owns it: do not close it)
     * @raise cwa.Error InvalidArgument in a process other than the one that
     *   made the client (after fork)
     * @usage local fd = client:pollfd()
     */
    {"pollfd", client_pollfd},
    /***
     * The events to wait for on `Client:pollfd`.
     * @function Client:events
     * @treturn string "r"
     */
    {"events", client_events},
    /***
     * Seconds until the client must be stepped even when its descriptor
     * stays quiet: libcurl's timer, a retry time, a rate-limit slot, a
     * deadline. 0 when work is due now.
     * @function Client:timeout
     * @treturn ?number seconds, or nil when only the descriptor matters
     */
    {"timeout", client_timeout},
    /***
     * Does all the work that is ready and never blocks: starts what may
     * start, reads what arrived, runs due timers. Every call moves the
     * transfers on. Completed submits are then `Request:done()`, pages
     * `Pager:ready()`.
     * @function Client:step
     * @treturn boolean true when a request completed (one that `Client:wait`
     *   would return) or a pager's page arrived
     * @raise cwa.Error Cancelled after `cwa_client_interrupt`; the error a
     *   callback raised; InvalidArgument after fork
     * @usage while not req:done() do poll(client); client:step() end
     */
    {"step", client_step},
    /***
     * Makes the call running on the client, or else the next one, end with
     * `Cancelled` ("interrupted"), and makes `Client:pollfd` readable at
     * once, so that a host's loop waiting on it wakes. The requests stay
     * queued. (C: `cwa_client_interrupt`, which a signal handler or another
     * thread may call.)
     * @function Client:interrupt
     * @usage client:interrupt()
     */
    {"interrupt", client_interrupt},
    {NULL, NULL},
};

void lcwa_poll_open(lua_State *L)
{
    luaL_getmetatable(L, LCWA_CLIENT);
    lua_getfield(L, -1, "__index");
    luaL_setfuncs(L, poll_methods, 0);
    lua_pop(L, 2);
}
