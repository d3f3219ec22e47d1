/* cwa.Error objects: plain tables with the metatable "cwa.Error", built from
 * a core cwa_error or by the Lua layer (core.error_new). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lcwa.h"

static void set_string(lua_State *L, const char *key, const char *value)
{
    if (value && value[0]) {
        lua_pushstring(L, value);
        lua_setfield(L, -2, key);
    }
}

/* details arrive as JSON text; hand Lua a table when cjson can read it */
static void set_details(lua_State *L, const char *json)
{
    if (!json)
        return;
    lua_getfield(L, LUA_REGISTRYINDEX, LCWA_DECODE);
    lua_pushstring(L, json);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        lua_pop(L, 1);
        lua_pushstring(L, json);
    }
    lua_setfield(L, -2, "details");
}

void lcwa_push_error(lua_State *L, const cwa_error *e)
{
    lua_createtable(L, 0, 8);
    lua_pushstring(L, cwa_code_name(e->code));
    lua_setfield(L, -2, "code");
    if (e->status > 0) {
        lua_pushinteger(L, e->status);
        lua_setfield(L, -2, "status");
    }
    set_string(L, "message", e->message[0] ? e->message : cwa_code_name(e->code));
    set_string(L, "method", e->method);
    set_string(L, "url", e->url);
    if (e->attempts > 0) {
        lua_pushinteger(L, e->attempts);
        lua_setfield(L, -2, "attempts");
    }
    set_details(L, e->details);
    luaL_setmetatable(L, LCWA_ERROR);
}

int lcwa_raise(lua_State *L, const cwa_error *e)
{
    lcwa_push_error(L, e);
    return lua_error(L);
}

int lcwa_raise_code(lua_State *L, cwa_code code, const char *fmt, ...)
{
    cwa_error e;
    memset(&e, 0, sizeof e);
    e.code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.message, sizeof e.message, fmt, ap);
    va_end(ap);
    return lcwa_raise(L, &e);
}

int lcwa_is_error(lua_State *L, int idx)
{
    if (!lua_istable(L, idx) || !lua_getmetatable(L, idx))
        return 0;
    luaL_getmetatable(L, LCWA_ERROR);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same;
}

/* "cwa.Error Unauthorized (HTTP 401): message [POST https://host/cwa/api/v1/apitoken, 2 attempts]".
 * The fields are read first: popping them while a luaL_Buffer is open
 * would free the buffer under it. */
static int error_tostring(lua_State *L)
{
    lua_settop(L, 1);
    lua_getfield(L, 1, "code");     /* 2 */
    lua_getfield(L, 1, "status");   /* 3 */
    lua_getfield(L, 1, "message");  /* 4 */
    lua_getfield(L, 1, "method");   /* 5 */
    lua_getfield(L, 1, "url");      /* 6 */
    lua_getfield(L, 1, "attempts"); /* 7 */
    const char *code = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "Unknown";
    const char *message = lua_type(L, 4) == LUA_TSTRING ? lua_tostring(L, 4) : NULL;
    const char *method = lua_type(L, 5) == LUA_TSTRING ? lua_tostring(L, 5) : NULL;
    const char *url = lua_type(L, 6) == LUA_TSTRING ? lua_tostring(L, 6) : NULL;
    char status[32] = "", attempts[32] = "";
    if (lua_isinteger(L, 3))
        snprintf(status, sizeof status, " (HTTP %lld)", (long long)lua_tointeger(L, 3));
    if (lua_isinteger(L, 7) && lua_tointeger(L, 7) > 1)
        snprintf(attempts, sizeof attempts, ", %lld attempts", (long long)lua_tointeger(L, 7));

    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "cwa.Error ");
    luaL_addstring(&b, code);
    luaL_addstring(&b, status);
    if (message) {
        luaL_addstring(&b, ": ");
        luaL_addstring(&b, message);
    }
    if (method && url) {
        luaL_addstring(&b, " [");
        luaL_addstring(&b, method);
        luaL_addchar(&b, ' ');
        luaL_addstring(&b, url);
        luaL_addstring(&b, attempts);
        luaL_addchar(&b, ']');
    }
    luaL_pushresult(&b);
    return 1;
}

static int error_new(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "code");
    if (!lua_isstring(L, -1))
        return luaL_argerror(L, 1, "an error needs a code");
    lua_pop(L, 1);
    lua_settop(L, 1);
    luaL_setmetatable(L, LCWA_ERROR);
    return 1;
}

static int error_is(lua_State *L)
{
    lua_pushboolean(L, lcwa_is_error(L, 1));
    return 1;
}

void lcwa_error_open(lua_State *L)
{
    static const lcwa_class cls = {LCWA_ERROR, NULL, NULL, NULL, error_tostring};
    lcwa_class_open(L, &cls);
    lua_setfield(L, -2, "Error");
    lua_pushcfunction(L, error_new);
    lua_setfield(L, -2, "error_new");
    lua_pushcfunction(L, error_is);
    lua_setfield(L, -2, "is_error");
}
