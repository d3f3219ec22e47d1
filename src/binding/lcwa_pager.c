/* cwa.core.Pager: the C pager as a Lua object whose next() returns the records
 * of the next page, in server order, decoded; nil when the listing is over.
 * close/__close/__gc cancel the pages still in flight. */
#include <string.h>

#include "lcwa.h"

typedef struct lcwa_pager {
    cwa_pager *pager;
} lcwa_pager;

static lcwa_pager *check_pager(lua_State *L)
{
    return luaL_checkudata(L, 1, LCWA_PAGER);
}

static int pager_close(lua_State *L)
{
    lcwa_pager *lp = check_pager(L);
    if (!lp->pager)
        return 0;
    lcwa_client *lc = lcwa_owner(L, 1);
    cwa_pager *p = lp->pager;
    lp->pager = NULL;
    if (lc)
        lcwa_release(lc, L, lua_gettop(L), p, NULL);
    lua_pop(L, 1);
    return 0;
}

static int pager_next(lua_State *L)
{
    lcwa_pager *lp = check_pager(L);
    cwa_pager *p = lp->pager;
    if (!p)
        return 0;
    lcwa_client *lc = lcwa_owner(L, 1);
    if (!lc) {
        lp->pager = NULL; /* freed with its client */
        return lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "the client of this listing is closed");
    }
    int client_idx = lua_gettop(L);
    cwa_req *r = NULL;
    cwa_error err = {0};
    lcwa_enter(lc, L, client_idx);
    int rc = cwa_pager_next(p, &r, &err);
    /* A callback of the call (log, two_factor, a finalizer run while a
     * page was decoded) may have closed this pager, or its client: either
     * stays alive until lcwa_leave. A closed pager ends the listing, with
     * the page that arrived meanwhile dropped; a closed client is an error
     * (the core's call was stopped with it). */
    int open = lp->pager == p;
    long take = rc > 0 ? cwa_pager_take(p) : 0;
    if (rc > 0 && open)
        lcwa_take_value(L, client_idx, r);
    cwa_req_free(r);
    if (rc <= 0 && open) {
        lp->pager = NULL;
        lcwa_release(lc, L, client_idx, p, NULL); /* freed by lcwa_leave */
    }
    if (rc < 0)
        lcwa_push_failure(L, lc, client_idx, &err);
    lcwa_leave(lc);
    cwa_error_clear(&err);
    if (rc < 0)
        return lua_error(L);
    if (rc == 0 || !open)
        return 0;
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
    }
    /* `limit` ended inside this page: hand out only what belongs */
    for (lua_Integer i = (lua_Integer)lua_rawlen(L, -1); i > take; i--) {
        lua_pushnil(L);
        lua_rawseti(L, -2, i);
    }
    return 1;
}

static int pager_ready(lua_State *L)
{
    lcwa_pager *lp = check_pager(L);
    cwa_pager *p = lp->pager;
    lcwa_client *lc = p ? lcwa_owner(L, 1) : NULL;
    if (!lc) {
        lua_pushboolean(L, 1); /* next() answers at once: nil, or the error */
        return 1;
    }
    int client_idx = lua_gettop(L);
    cwa_error err = {0};
    /* the page's decode and the log of a retry run the client's hooks; one
     * that closes this pager leaves it alive until lcwa_leave, and the next
     * call finds it closed */
    lcwa_enter(lc, L, client_idx);
    int rc = cwa_pager_ready(p, &err);
    if (rc < 0)
        lcwa_push_failure(L, lc, client_idx, &err);
    lcwa_leave(lc);
    cwa_error_clear(&err);
    if (rc < 0)
        return lua_error(L);
    lua_pushboolean(L, rc);
    return 1;
}

static int pager_total(lua_State *L)
{
    lcwa_pager *lp = check_pager(L);
    long total = lp->pager ? cwa_pager_total(lp->pager) : -1;
    if (total < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, total);
    return 1;
}

static int pager_fetched(lua_State *L)
{
    lcwa_pager *lp = check_pager(L);
    lua_pushinteger(L, lp->pager ? cwa_pager_pages_fetched(lp->pager) : 0);
    return 1;
}

/* lo..hi lie within int, so the result is one */
static int opt_int(lua_State *L, int t, const char *key, int dflt, int lo, int hi)
{
    lua_getfield(L, t, key);
    lua_Integer v = dflt;
    if (!lua_isnil(L, -1)) {
        if (!lcwa_whole(L, -1, &v))
            lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "%s: expected an integer, got %s", key,
                            lua_type(L, -1) == LUA_TNUMBER ? luaL_tolstring(L, -1, NULL)
                                                           : luaL_typename(L, -1));
        if (v < lo || v > hi)
            lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT,
                            "%s: must be between %d and %d (got " LUA_INTEGER_FMT ")", key, lo, hi,
                            (LUAI_UACINT)v);
    }
    lua_pop(L, 1);
    return (int)v;
}

/* The string at idx, refused when it holds a NUL: the core takes C
 * strings, and a condition cut at a NUL selects more records. */
static const char *whole_str(lua_State *L, int idx, const char *key)
{
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    if (s && strlen(s) != n)
        lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "%s: holds a NUL byte", key);
    return s;
}

static const char *opt_str(lua_State *L, int t, const char *key)
{
    lua_getfield(L, t, key);
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
        lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "%s: expected a string, got %s", key,
                        luaL_typename(L, -1));
    const char *s = whole_str(L, -1, key);
    lua_pop(L, 1); /* kept alive by the options table */
    return s;
}

/* client:pages(path, {page_size, start_page, limit, consistent, id_field,
 * condition, query = {...}}) -> cwa.core.Pager */
int lcwa_client_pages(lua_State *L)
{
    lcwa_client *lc = lcwa_check_client(L, 1);
    if (lua_type(L, 2) != LUA_TSTRING)
        return lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "path: expected a string, got %s",
                               luaL_typename(L, 2));
    const char *path = whole_str(L, 2, "path");
    luaL_checktype(L, 3, LUA_TTABLE);
    cwa_pager_opts o = {0};
    o.page_size = opt_int(L, 3, "page_size", 0, 1, 1000); /* 0: the client's */
    o.start_page = opt_int(L, 3, "start_page", 1, 1, 2147483647);
    o.limit = opt_int(L, 3, "limit", -1, 0, 2147483647);
    o.window = opt_int(L, 3, "window", 0, 0, 64);
    lua_getfield(L, 3, "consistent");
    o.consistent = lua_toboolean(L, -1);
    lua_pop(L, 1);
    o.id_field = opt_str(L, 3, "id_field");
    if (!o.id_field) /* the core reads no page without one */
        o.id_field = "Id";
    o.condition = opt_str(L, 3, "condition");

    /* extra query pairs, as client:request takes them */
    lua_getfield(L, 3, "query");
    size_t n = lcwa_query_pairs(L, -1);
    int pairs = lua_gettop(L);
    const char **keys = lua_newuserdatauv(L, (n ? n : 1) * 2 * sizeof *keys, 0);
    const char **values = keys + n;
    for (size_t i = 0; i < n; i++) {
        /* the strings stay alive in the table of pairs */
        lua_rawgeti(L, pairs, (lua_Integer)(2 * i + 1));
        keys[i] = lua_tostring(L, -1);
        lua_rawgeti(L, pairs, (lua_Integer)(2 * i + 2));
        values[i] = lua_tostring(L, -1);
        lua_pop(L, 2);
    }

    cwa_error err = {0};
    cwa_pager *p = cwa_pager_new(lc->client, path, &o, (const char *const *)keys,
                                 (const char *const *)values, n, &err);
    if (!p) {
        lcwa_push_error(L, &err);
        cwa_error_clear(&err);
        return lua_error(L);
    }
    lcwa_pager *lp = lua_newuserdatauv(L, sizeof *lp, 1);
    lp->pager = p;
    luaL_setmetatable(L, LCWA_PAGER);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    /* the client closes it first if the client is closed first */
    lua_getiuservalue(L, 1, UV_REQUESTS);
    lua_pushvalue(L, -2);
    lua_rawsetp(L, -2, p);
    lua_pop(L, 1);
    return 1;
}

/***
 * A listing in progress: the object `cwa.core.Client:pages` returns and
 * `cwa.Client:each` wraps (metatable name "cwa.core.Pager"). The pages after the
 * current one are fetched ahead, concurrently. Closing it (or leaving a `for`
 * loop that holds it as the closing value) cancels the pages in flight;
 * `__gc` does the same.
 * @classmod cwa.core.Pager
 */

static const luaL_Reg pager_methods[] = {
    /***
     * The records of the next page, in server order.
     * @function Pager:next
     * @treturn ?table an array of decoded records (may be empty), nil when
     *   the listing is over (the pager is then closed)
     * @raise cwa.Error the error of the page once the retry policy is spent;
     *   InvalidArgument when the client of this listing is closed
     * @usage local pager <close> = client:pages("/Computers", {page_size = 500})
     * for records in function() return pager:next() end do print(#records) end
     */
    {"next", pager_next},
    /***
     * Whether `next` would return without waiting for the network: the next
     * page in order has arrived and is decoded, or the listing is over (also
     * true for a closed pager). Never waits: issues the pages the window
     * allows and decodes the next page once it has arrived (one page at
     * most); a page that does not decode is queued again after a backoff,
     * and this says false until the new answer decodes. `cwa.map` and the
     * `wait` option use it to let other work run while a page is on its way.
     * @function Pager:ready
     * @treturn boolean
     * @raise cwa.Error NoMemory; an error the decode's callbacks raised
     * @usage while not pager:ready() do client:wait() end
     */
    {"ready", pager_ready},
    /***
     * Cancels the pages in flight and frees the pager. Idempotent; also
     * `__close` and `__gc`.
     * @function Pager:close
     * @usage pager:close()
     */
    {"close", pager_close},
    /***
     * The total number of records, when the server said (an `X-Total-Count`
     * header or a `TotalRecordCount` field).
     * @function Pager:total
     * @treturn ?integer the total, nil when unknown or when the pager is closed
     * @usage local records = pager:next(); print(pager:total() or #records)
     */
    {"total", pager_total},
    /***
     * How many pages have been received so far.
     * @function Pager:pages_fetched
     * @treturn integer 0 for a closed pager
     * @usage print(pager:pages_fetched())
     */
    {"pages_fetched", pager_fetched},
    {NULL, NULL},
};

void lcwa_pager_open(lua_State *L)
{
    static const lcwa_class cls = {LCWA_PAGER, pager_methods, pager_close, pager_close, NULL};
    lcwa_class_open(L, &cls);
    lua_pop(L, 1);
}
