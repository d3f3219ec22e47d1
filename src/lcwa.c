/* luaopen_cwa_core: the module table of `cwa.core`. */
#include <string.h>
#include <time.h>

#include "cwa_cond.h"
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
    if (s > 0) {
        struct timespec ts;
        ts.tv_sec = (time_t)s;
        ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
    return 0;
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

LCWA_EXPORT int luaopen_cwa_core(lua_State *L);

LCWA_EXPORT int luaopen_cwa_core(lua_State *L)
{
    keep_decoder(L);
    lcwa_client_open(L);
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
    lua_pushliteral(L, CWA_VERSION);
    lua_setfield(L, -2, "_VERSION");
    return 1;
}
