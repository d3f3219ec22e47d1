/* Lua values to the text and numbers the core takes: whole numbers, and
 * the query tables of client:request, client:submit and client:pages (one
 * marshaller, so a parameter means the same wherever it is given). */
#include <stdlib.h>
#include <string.h>

#include "lcwa.h"

int lcwa_whole(lua_State *L, int idx, lua_Integer *out)
{
    if (lua_isinteger(L, idx)) {
        *out = lua_tointeger(L, idx);
        return 1;
    }
    if (lua_type(L, idx) != LUA_TNUMBER)
        return 0;
    lua_Number x = lua_tonumber(L, idx);
    /* false for NaN; inside the bounds the cast is defined */
    if (!(x > -9007199254740992.0 && x < 9007199254740992.0))
        return 0;
    lua_Integer i = (lua_Integer)x;
    if ((lua_Number)i != x)
        return 0;
    *out = i;
    return 1;
}

static int bad_value(lua_State *L, const char *key)
{
    const char *got = lua_type(L, -1) == LUA_TNUMBER   ? luaL_tolstring(L, -1, NULL)
                      : lua_type(L, -1) == LUA_TSTRING ? "a string with a NUL byte"
                                                       : luaL_typename(L, -1);
    return lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT,
                           "query: parameter '%s' must be a string, an integer, a boolean or a list "
                           "of those (got %s)",
                           key, got);
}

/* Replaces the scalar at the top with its text; raises for anything else. */
static void to_text(lua_State *L, const char *key)
{
    lua_Integer i;
    switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        if (memchr(s, '\0', n))
            bad_value(L, key);
        return;
    }
    case LUA_TNUMBER:
        if (!lcwa_whole(L, -1, &i))
            bad_value(L, key);
        lua_pushfstring(L, "%I", (LUAI_UACINT)i);
        break;
    case LUA_TBOOLEAN: lua_pushstring(L, lua_toboolean(L, -1) ? "true" : "false"); break;
    default: bad_value(L, key);
    }
    lua_replace(L, -2);
}

/* Pushes the text of the value at idx (a scalar, or a list of them). */
static void push_value(lua_State *L, const char *key, int idx)
{
    if (!lua_istable(L, idx)) {
        lua_pushvalue(L, idx);
        to_text(L, key);
        return;
    }
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx), members = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        members++;
    }
    if (members != n)
        lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT,
                        "query: parameter '%s' must be a list, not a table with named fields", key);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (lua_Integer j = 1; j <= n; j++) {
        if (j > 1)
            luaL_addchar(&b, ',');
        /* one value above the buffer, as luaL_addvalue wants it */
        lua_rawgeti(L, idx, j);
        to_text(L, key);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
}

static int by_bytes(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t lcwa_query_pairs(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (!lua_isnoneornil(L, idx) && !lua_istable(L, idx))
        lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "query: expected a table, got %s",
                        luaL_typename(L, idx));
    lua_newtable(L);
    int out = lua_gettop(L);
    if (lua_isnoneornil(L, idx))
        return 0;
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        size_t len;
        if (lua_type(L, -1) != LUA_TSTRING)
            lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "query: parameter names must be strings");
        const char *k = lua_tolstring(L, -1, &len);
        if (memchr(k, '\0', len))
            lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "query: a parameter name holds a NUL byte");
        n++;
    }
    /* the names, sorted in a userdata the stack keeps; the strings stay
     * alive as keys of the query table */
    const char **keys = lua_newuserdatauv(L, (n ? n : 1) * sizeof *keys, 0);
    size_t i = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        keys[i++] = lua_tostring(L, -1);
    }
    qsort(keys, n, sizeof *keys, by_bytes);
    for (i = 0; i < n; i++) {
        lua_pushstring(L, keys[i]);
        lua_rawseti(L, out, (lua_Integer)(2 * i + 1));
        lua_pushstring(L, keys[i]);
        lua_rawget(L, idx);
        push_value(L, keys[i], lua_gettop(L));
        lua_rawseti(L, out, (lua_Integer)(2 * i + 2));
        lua_pop(L, 1);
    }
    lua_pop(L, 1); /* the names */
    return n;
}
