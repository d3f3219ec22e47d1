/* The core's hooks, run in the Lua thread of the current call: bodies are
 * decoded once, by lua-cjson, into the client's table of values; log lines
 * and 2FA codes come from the user's functions. The core calls these between
 * transfers, never inside libcurl, and nothing here raises: Lua errors are
 * caught and turned into a failure the core understands. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lcwa.h"

/* Pushes uservalue slot `slot` of the client being served. */
static void push_uv(lcwa_client *lc, int slot)
{
    lua_getiuservalue(lc->L, lc->client_index, slot);
}

static void excerpt(const char *body, size_t len, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; i < len && j + 4 < cap && j < 120; i++) {
        unsigned char ch = (unsigned char)body[i];
        if (ch == '\n' || ch == '\r' || ch == '\t')
            ch = ' ';
        if (j > 0 && ch == ' ' && out[j - 1] == ' ')
            continue;
        out[j++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    if (len > j)
        out[j++] = '.', out[j++] = '.', out[j++] = '.';
    out[j] = '\0';
}

/* JSON is recognised by its first character, whatever the Content-Type says. */
static int json_start(const char *body, size_t len, char *msg, size_t msgcap)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    char ex[160];
    if (i < len && strchr("[{\"-0123456789tfn", body[i]))
        return 0;
    excerpt(body + i, len - i, ex, sizeof ex);
    snprintf(msg, msgcap, "expected JSON, got %s: %s",
             i < len && body[i] == '<' ? "an HTML page" : "text", ex);
    return -1;
}

/* Finds key in the record at the top of the stack, any case; pushes it. */
static void get_field_ci(lua_State *L, int rec, const char *key)
{
    lua_getfield(L, rec, key);
    if (!lua_isnil(L, -1))
        return;
    lua_pop(L, 1);
    lua_pushnil(L);
    while (lua_next(L, rec)) {
        if (lua_type(L, -2) == LUA_TSTRING && strcasecmp(lua_tostring(L, -2), key) == 0) {
            lua_remove(L, -2);
            return;
        }
        lua_pop(L, 1);
    }
    lua_pushnil(L);
}

static void last_id(lua_State *L, int list, lua_Integer n, const char *id_field, cwa_page_info *info)
{
    info->last_id[0] = '\0';
    if (n <= 0 || lua_rawgeti(L, list, n) != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    get_field_ci(L, lua_gettop(L), id_field);
    if (lua_isinteger(L, -1)) {
        snprintf(info->last_id, sizeof info->last_id, "%lld", (long long)lua_tointeger(L, -1));
    } else if (lua_type(L, -1) == LUA_TNUMBER) {
        snprintf(info->last_id, sizeof info->last_id, "%.17g", lua_tonumber(L, -1));
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        /* an id that is text goes in quotes, in the quote it does not contain */
        const char *s = lua_tostring(L, -1);
        char q = strchr(s, '\'') ? '"' : '\'';
        if (!strchr(s, q) && strlen(s) + 3 <= sizeof info->last_id)
            snprintf(info->last_id, sizeof info->last_id, "%c%s%c", q, s, q);
    }
    lua_pop(L, 2);
}

/* Debian's lua-cjson decodes every number as a float: ids would print as
 * "42.0". Whole numbers that a float holds exactly become integers. */
static void integral_numbers(lua_State *L, int t, int depth)
{
    if (depth > 200 || !lua_checkstack(L, 3))
        return;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        int type = lua_type(L, -1);
        if (type == LUA_TNUMBER && !lua_isinteger(L, -1)) {
            lua_Number x = lua_tonumber(L, -1);
            if (x == (lua_Number)(lua_Integer)x && x > -9007199254740992.0 && x < 9007199254740992.0) {
                lua_pushvalue(L, -2);
                lua_pushinteger(L, (lua_Integer)x);
                lua_rawset(L, t);
            }
        } else if (type == LUA_TTABLE) {
            integral_numbers(L, lua_gettop(L), depth + 1);
        }
        lua_pop(L, 1);
    }
}

/* A list page is a JSON array, or {ResultSet, TotalRecordCount}. Leaves the
 * records array on the stack in place of the decoded value. */
/* A table is a list of records when it has only the keys 1..n and each
 * value is an object (an empty table counts as an empty list). */
static int is_record_list(lua_State *L, int t, lua_Integer n)
{
    if (n == 0) {
        lua_pushnil(L);
        if (lua_next(L, t)) {
            lua_pop(L, 2);
            return 0;
        }
        return 1;
    }
    for (lua_Integer i = 1; i <= n; i++) {
        int type = lua_rawgeti(L, t, i);
        lua_pop(L, 1);
        if (type != LUA_TTABLE)
            return 0;
    }
    return 1;
}

static void page_shape(lua_State *L, const char *id_field, cwa_page_info *info)
{
    int v = lua_gettop(L);
    info->count = -1;
    info->total = -1;
    if (!lua_istable(L, v))
        return;
    lua_Integer n = (lua_Integer)lua_rawlen(L, v);
    if (n == 0) {
        get_field_ci(L, v, "ResultSet");
        if (lua_istable(L, -1)) {
            get_field_ci(L, v, "TotalRecordCount");
            if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 0)
                info->total = (long)lua_tointeger(L, -1);
            lua_pop(L, 1);
            lua_replace(L, v);
            n = (lua_Integer)lua_rawlen(L, v);
        } else {
            lua_pop(L, 1);
        }
    }
    if (!is_record_list(L, v, n))
        return; /* an object, or a list of something else: not records */
    info->count = (long)n;
    last_id(L, v, n, id_field, info);
}

/* What lua-cjson raises for bad JSON, as opposed to an interrupt (lua.c
 * raises "interrupted!" from a hook at the next instruction) or no memory:
 * those must end the call, not count as a bad body. */
static int is_plain_error(lua_State *L, int status)
{
    if (status != LUA_ERRRUN || lua_type(L, -1) != LUA_TSTRING)
        return 0;
    return strcmp(lua_tostring(L, -1), "interrupted!") != 0;
}

static int hook_decode(void *ud, cwa_req *req, const char *body, size_t len, const char *id_field,
                       cwa_page_info *info, char *msg, size_t msgcap)
{
    lcwa_client *lc = ud;
    lua_State *L = lc->L;
    if (json_start(body, len, msg, msgcap) != 0)
        return -1;
    if (!lua_checkstack(L, 8)) {
        snprintf(msg, msgcap, "out of Lua stack");
        return -1;
    }
    int top = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, LCWA_DECODE);
    lua_pushlstring(L, body, len);
    int status = lua_pcall(L, 1, 1, 0);
    if (status != LUA_OK && !is_plain_error(L, status)) {
        lcwa_abort_with(lc, L);
        snprintf(msg, msgcap, "interrupted");
        lua_settop(L, top);
        return -1;
    }
    if (status != LUA_OK) {
        char ex[160];
        excerpt(body, len, ex, sizeof ex);
        snprintf(msg, msgcap, "malformed JSON (%s) in a %zu-byte body: %s",
                 lua_isstring(L, -1) ? lua_tostring(L, -1) : "?", len, ex);
        lua_settop(L, top);
        return -1;
    }
    if (lua_istable(L, -1)) {
        integral_numbers(L, lua_gettop(L), 0);
    } else if (lua_type(L, -1) == LUA_TNUMBER && !lua_isinteger(L, -1)) {
        lua_Number x = lua_tonumber(L, -1);
        if (x == (lua_Number)(lua_Integer)x && x > -9007199254740992.0 && x < 9007199254740992.0) {
            lua_pop(L, 1);
            lua_pushinteger(L, (lua_Integer)x);
        }
    }
    if (id_field)
        page_shape(L, id_field, info);
    push_uv(lc, UV_VALUES);
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, (lua_Integer)cwa_req_id(req));
    lua_settop(L, top);
    return 0;
}

static void hook_discard(void *ud, cwa_req *req)
{
    lcwa_client *lc = ud;
    if (!lc->L)
        return; /* the client is being collected: its tables go with it */
    lua_State *L = lc->L;
    push_uv(lc, UV_VALUES);
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        lua_rawseti(L, -2, (lua_Integer)cwa_req_id(req));
    }
    lua_pop(L, 1);
}

static const char *const level_names[] = {"debug", "info", "warn"};

static void hook_log(void *ud, cwa_log_level level, const char *line)
{
    lcwa_client *lc = ud;
    lua_State *L = lc->L;
    if (!L)
        return;
    push_uv(lc, UV_OPTIONS);
    lua_getfield(L, -1, "log");
    if (lua_isfunction(L, -1)) {
        lua_pushstring(L, level_names[level]);
        lua_pushstring(L, line);
        /* an error in the user's log function is the call's error */
        if (lua_pcall(L, 2, 0, 0) != LUA_OK)
            lcwa_abort_with(lc, L);
    } else {
        lua_pop(L, 1);
        if (lc->debug || level == CWA_LOG_WARN)
            fprintf(stderr, "cwa %s: %s\n", level_names[level], line);
    }
    lua_pop(L, 1);
}

static int hook_two_factor(void *ud, char *out, size_t cap, char *msg, size_t msgcap)
{
    lcwa_client *lc = ud;
    lua_State *L = lc->L;
    int rc = -1;
    push_uv(lc, UV_OPTIONS);
    lua_getfield(L, -1, "two_factor");
    int status = lua_pcall(L, 0, 1, 0);
    if (status != LUA_OK && !is_plain_error(L, status)) {
        lcwa_abort_with(lc, L);
        lua_pushnil(L); /* keeps the stack shape of a call that returned */
        snprintf(msg, msgcap, ": interrupted");
    } else if (status != LUA_OK) {
        snprintf(msg, msgcap, ": the two_factor function failed: %s",
                 lua_isstring(L, -1) ? lua_tostring(L, -1) : "(error object)");
    } else if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
        size_t n;
        const char *code = lua_tolstring(L, -1, &n);
        if (n > 0 && n < cap) {
            memcpy(out, code, n + 1);
            rc = 0;
        } else {
            snprintf(msg, msgcap, ": the two_factor function returned no usable code");
        }
    } else {
        snprintf(msg, msgcap, ": the two_factor function returned %s, not a code", luaL_typename(L, -1));
    }
    lua_pop(L, 2);
    return rc;
}

static int hook_aborted(void *ud)
{
    return ((lcwa_client *)ud)->aborted;
}

void lcwa_install_hooks(lcwa_client *lc, cwa_config *cfg, int has_two_factor)
{
    cfg->hooks.aborted = hook_aborted;
    cfg->hooks.ud = lc;
    cfg->hooks.decode = hook_decode;
    cfg->hooks.discard = hook_discard;
    /* always: warnings reach stderr when there is no log function */
    cfg->hooks.log = hook_log;
    cfg->hooks.two_factor = has_two_factor ? hook_two_factor : NULL;
    cfg->two_factor_hook = has_two_factor;
}
