/* luaopen_cwa_core: the module table of `cwa.core`. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "cwa_cond.h"
#include "cwa_time.h"
#include "lcwa.h"

#if defined(__GNUC__)
#define LCWA_EXPORT __attribute__((visibility("default")))
#else
#define LCWA_EXPORT
#endif

/* check_condition(text [, dialect]) -> true | nil, message, column */
static int check_condition(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    static const char *const dialects[] = {"any", "apitoken", "apicredentials", NULL};
    int dialect = luaL_checkoption(L, 2, "any", dialects);
    cwa_cond_error err;
    memset(&err, 0, sizeof err);
    cwa_cond *cond = cwa_cond_parse(text, len, (cwa_dialect)dialect, &err);
    if (cond) {
        cwa_cond_free(cond);
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushnil(L);
    lua_pushstring(L, err.message);
    lua_pushinteger(L, err.column);
    return 3;
}

/* sleep(seconds): for polling loops (script and command results). */
static int sleep_seconds(lua_State *L)
{
    double s = luaL_checknumber(L, 1);
    /* checked as a double before the cast to time_t; NaN fails it too */
    if (!(s <= 1e9))
        return lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "sleep: seconds must be a number up to 1e9");
    if (s > 0) {
        struct timespec ts;
        ts.tv_sec = (time_t)s;
        ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
        if (ts.tv_nsec > 999999999L)
            ts.tv_nsec = 999999999L;
        /* a signal ends the sleep early: lua.c's SIGINT hook gets its
         * turn (it raises), then the rest is slept; any other failure
         * would fail again, so it ends the call */
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            lua_pushcfunction(L, lcwa_interrupt_point);
            lua_call(L, 0, 0);
        }
    }
    return 0;
}

/* defaults() -> the core's default settings, by core.new's option names */
static int defaults(lua_State *L)
{
    cwa_config cfg;
    cwa_config_defaults(&cfg);
    lcwa_push_settings(L, &cfg);
    return 1;
}

/* monotime(): the clock the scheduler of cwa.map times its sleepers by. */
static int monotime(lua_State *L)
{
    lua_pushnumber(L, cwa_time_mono());
    return 1;
}

/* The module decodes with its own lua-cjson instance, so settings a script
 * makes on the shared `cjson` module do not change what cwa returns. */
static void keep_decoder(lua_State *L)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "cjson");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "new");
    if (lua_isfunction(L, -1)) {
        lua_call(L, 0, 1);
        lua_remove(L, -2);
    } else {
        lua_pop(L, 1);
    }
    lua_getfield(L, -1, "decode");
    lua_setfield(L, LUA_REGISTRYINDEX, LCWA_DECODE);
    lua_pop(L, 1);
}

void lcwa_class_open(lua_State *L, const lcwa_class *cls)
{
    luaL_newmetatable(L, cls->name); /* sets __name */
    if (cls->methods) {
        lua_newtable(L);
        luaL_setfuncs(L, cls->methods, 0);
        lua_setfield(L, -2, "__index");
    }
    const struct {
        const char *field;
        lua_CFunction fn;
    } meta[] = {
        {"__gc", cls->gc},
        {"__close", cls->close},
        {"close", cls->close},
        {"__tostring", cls->tostring},
    };
    for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++) {
        if (meta[i].fn) {
            lua_pushcfunction(L, meta[i].fn);
            lua_setfield(L, -2, meta[i].field);
        }
    }
}

LCWA_EXPORT int luaopen_cwa_core(lua_State *L);

/***
 * The C binding: clients, pagers and requests over the C core. Scripts use
 * the `cwa` module, which wraps this one; `cwa.core` is for code that needs
 * the raw objects (submitting many requests, driving a pager by hand).
 * Errors are raised as `cwa.Error` tables; arguments are checked before any
 * request is sent (code `InvalidArgument`).
 * @module cwa.core
 */

/***
 * Makes a client; nothing is sent until the first request. Takes the options
 * of `cwa.new`; unset ones take the core's defaults (`defaults`).
 * @function new
 * @tparam table opts `server`, `username`, `password`, `two_factor`,
 *   `totp_secret`, `client_id`, `auth`, `page_size` (of listings that do not
 *   say), `retries`, `rate_limit`, `burst`,
 *   `concurrency`, `timeout`, `connect_timeout`, `verify_tls`, `ca_file`,
 *   `log`, `debug`, `allow_http`, `token_cache`, `max_wait`, `backoff_base`,
 *   `backoff_cap`, `max_body` (bytes of an answer, decoded), `proxy` (a URL;
 *   unset: the https_proxy / no_proxy environment, never for an http://
 *   server; "": none)
 * @treturn Client
 * @raise cwa.Error InvalidArgument for an unknown option, a value of the
 *   wrong type or out of range, or a server that is not allowed
 * @usage local core = require "cwa.core"
 * local client <close> = core.new{server = "http://127.0.0.1:8080", allow_http = true,
 *   username = "u", password = "p"}
 */

/***
 * The core's defaults of the options of `new` that are numbers, switches or
 * the auth mode, which the Lua layer validates against instead of retyping.
 * @function defaults
 * @treturn table `page_size`, `retries`, `rate_limit` (false when off, absent
 *   by default: no cap until the server states or teaches one),
 *   `burst` (0: a minute's worth), `concurrency`, `timeout`,
 *   `connect_timeout`, `backoff_base`, `backoff_cap`, `max_wait`,
 *   `max_body`, `verify_tls`, `auth`
 * @usage print(core.defaults().page_size) --> 1000
 */

/***
 * Checks the syntax of a condition with the C parser.
 * @function check_condition
 * @string text the condition
 * @string[opt="any"] dialect "any", "apitoken" or "apicredentials" (the
 *   operators `startswith`, `endswith` and a general `not` exist only in the
 *   latter)
 * @treturn[1] boolean true
 * @treturn[2] nil
 * @treturn[2] string the message
 * @treturn[2] integer the column of the fault (1-based)
 * @usage print(core.check_condition("Status = 'Online' and"))
 */

/***
 * Sleeps, without a busy loop; for polling loops.
 * @function sleep
 * @number seconds (fractions allowed; 0 or less returns at once)
 * @raise cwa.Error InvalidArgument for NaN or more than 1e9 seconds
 * @usage core.sleep(0.5)
 */

/***
 * Seconds on a monotonic clock (from an arbitrary origin): for deadlines
 * and intervals, which the wall clock would break when it jumps.
 * @function monotime
 * @treturn number
 * @usage local t0 = core.monotime(); ...; print(core.monotime() - t0)
 */

/***
 * Makes a `cwa.Error` from a table of fields (the table itself gets the
 * metatable).
 * @function error_new
 * @tparam table fields code (required), message, status, details, method, url, attempts
 * @treturn table the error
 * @raise a Lua error when there is no `code`
 * @usage error(core.error_new{code = "InvalidArgument", message = "bad id"}, 0)
 */

/***
 * True when v is a `cwa.Error`.
 * @function is_error
 * @param v any value
 * @treturn boolean
 * @usage if core.is_error(e) then print(e.code) end
 */

/***
 * Module fields.
 * @field _VERSION the version, e.g. "0.1.0" (the rockspec's, given to the
 *   compiler as CWA_VERSION)
 * @field Error the metatable of every `cwa.Error` (its `__tostring` gives
 *   one line without secrets)
 * @field threadsafe true when the libcurl in use says its API is
 *   thread-safe (CURL_VERSION_THREADSAFE, libcurl 7.84 or later): then
 *   threads with a `lua_State` and clients of their own each may run at once
 * @table cwa.core
 */

LCWA_EXPORT int luaopen_cwa_core(lua_State *L)
{
    keep_decoder(L);
    lcwa_client_open(L);
    lcwa_poll_open(L);
    lcwa_pager_open(L);
    lcwa_request_open(L);
    lua_newtable(L);
    lcwa_error_open(L);
    lua_pushcfunction(L, lcwa_client_new);
    lua_setfield(L, -2, "new");
    lua_pushcfunction(L, check_condition);
    lua_setfield(L, -2, "check_condition");
    lua_pushcfunction(L, sleep_seconds);
    lua_setfield(L, -2, "sleep");
    lua_pushcfunction(L, defaults);
    lua_setfield(L, -2, "defaults");
    lua_pushcfunction(L, monotime);
    lua_setfield(L, -2, "monotime");
    lcwa_tty_open(L);
    lua_pushboolean(L, cwa_curl_threadsafe());
    lua_setfield(L, -2, "threadsafe");
    lua_pushliteral(L, CWA_VERSION);
    lua_setfield(L, -2, "_VERSION");
    return 1;
}
