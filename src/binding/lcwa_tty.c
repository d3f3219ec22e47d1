/* The terminal helpers of `cwa shell`: waiting for input in a way a signal
 * ends, and putting back the SIGINT handler lua.c installs (it resets
 * itself to SIG_DFL after one Ctrl-C, so a second one would kill the shell).
 * The handler is kept in a userdata the caller holds: no global state. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>

#include "lcwa.h"

#define LCWA_SIGACTION "cwa.sigaction"

/***
 * Waits until file descriptor fd has input (or was hung up), for at most
 * `seconds`. A signal ends the wait early, so a lua.c-style interrupt (a
 * debug hook set by the SIGINT handler) takes effect at once.
 * @function wait_input
 * @int fd the descriptor (0: standard input)
 * @number[opt] seconds nil or negative: no limit
 * @treturn boolean true when fd is readable; false on a timeout or a signal
 * @usage if core.wait_input(0, 0.5) then line = io.read("L") end
 */
static int wait_input(lua_State *L)
{
    lua_Integer fd = luaL_checkinteger(L, 1);
    double s = luaL_optnumber(L, 2, -1);
    if (fd < 0 || fd > 1 << 20)
        return lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "wait_input: bad file descriptor");
    int ms = -1;
    if (s >= 0)
        ms = s > 86400 ? 86400000 : (int)(s * 1000);
    struct pollfd p;
    memset(&p, 0, sizeof p);
    p.fd = (int)fd;
    p.events = POLLIN;
    int n = poll(&p, 1, ms);
    lua_pushboolean(L, n > 0);
    return 1;
}

/***
 * The current SIGINT disposition, to give back to `set_sigint_handler`
 * later.
 * @function sigint_handler
 * @treturn userdata the handler
 * @usage local h = core.sigint_handler()
 */
static int sigint_handler(lua_State *L)
{
    struct sigaction *sa = lua_newuserdatauv(L, sizeof *sa, 0);
    memset(sa, 0, sizeof *sa);
    if (sigaction(SIGINT, NULL, sa) != 0)
        return lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "sigint_handler: %s", strerror(errno));
    luaL_setmetatable(L, LCWA_SIGACTION);
    return 1;
}

/***
 * Installs a SIGINT disposition taken by `sigint_handler`.
 * @function set_sigint_handler
 * @tparam userdata h the handler
 * @usage core.set_sigint_handler(h)
 */
static int set_sigint_handler(lua_State *L)
{
    const struct sigaction *sa = luaL_checkudata(L, 1, LCWA_SIGACTION);
    if (sigaction(SIGINT, sa, NULL) != 0)
        return lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "set_sigint_handler: %s", strerror(errno));
    return 0;
}

void lcwa_tty_open(lua_State *L)
{
    luaL_newmetatable(L, LCWA_SIGACTION);
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {
        {"wait_input", wait_input},
        {"sigint_handler", sigint_handler},
        {"set_sigint_handler", set_sigint_handler},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
}
