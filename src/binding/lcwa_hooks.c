/* The core's hooks, run in the Lua thread of the current call: bodies are
 * decoded once, by lua-cjson, into the client's table of values, and what a
 * list page looks like is reported as plain facts (what they mean is the
 * core's business: cwa_page.h); log lines and 2FA codes come from the
 * user's functions. The core calls these between transfers, never inside
 * libcurl, and nothing here raises: Lua errors are caught and turned into a
 * failure the core understands. Between calls lc->L is NULL and the hooks
 * do nothing. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lcwa.h"

/* Pushes uservalue slot `slot` of the client being served. */
static void push_uv(lcwa_client *lc, int slot)
{
    lua_getiuservalue(lc->L, lc->client_index, slot);
}

/* JSON is recognised by its first character, whatever the Content-Type
 * says. Quotes of the body go through the core, which hides the secrets a
 * server may echo. */
static int json_start(const lcwa_client *lc, const char *body, size_t len, char *msg, size_t msgcap)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    char ex[160];
    if (i < len && strchr("[{\"-0123456789tfn", body[i]))
        return 0;
    cwa_client_excerpt(lc->client, body + i, len - i, 120, ex, sizeof ex);
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

/* Debian's lua-cjson decodes every number as a float: ids would print as
 * "42.0". Whole numbers that a float holds exactly become integers. */
static void integral_numbers(lua_State *L, int t, int depth)
{
    if (depth > 200 || !lua_checkstack(L, 3))
        return;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        int type = lua_type(L, -1);
        lua_Integer i;
        if (type == LUA_TNUMBER && !lua_isinteger(L, -1)) {
            if (lcwa_whole(L, -1, &i)) {
                lua_pushvalue(L, -2);
                lua_pushinteger(L, i);
                lua_rawset(L, t);
            }
        } else if (type == LUA_TTABLE) {
            integral_numbers(L, lua_gettop(L), depth + 1);
        }
        lua_pop(L, 1);
    }
}

/* The kind of the value at idx. lua-cjson gives an array the keys 1..n
 * and an object string keys only, so a table with a length is an array. */
static cwa_json_kind kind_of(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx))
        return CWA_JSON_NONE;
    if (lua_rawlen(L, idx) > 0)
        return CWA_JSON_ARRAY;
    lua_pushnil(L);
    if (!lua_next(L, idx))
        return CWA_JSON_EMPTY;
    lua_pop(L, 2);
    return CWA_JSON_OBJECT;
}

static int is_list(cwa_json_kind k)
{
    return k == CWA_JSON_ARRAY || k == CWA_JSON_EMPTY;
}

/* Reports the id field of the record at the top of the stack, the list's
 * index-th element, as text: the core compares and quotes it. */
static void note_id(lua_State *L, long index, const char *id_field, cwa_page_info *info)
{
    get_field_ci(L, lua_gettop(L), id_field);
    char num[CWA_ID_TEXT_CAP];
    const char *text = num;
    size_t len = 0;
    cwa_id_kind kind = CWA_ID_NUMBER;
    int n = -1;
    if (lua_isinteger(L, -1))
        n = snprintf(num, sizeof num, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, -1));
    else if (lua_type(L, -1) == LUA_TNUMBER)
        n = snprintf(num, sizeof num, "%.17g", (double)lua_tonumber(L, -1));
    else if (lua_type(L, -1) == LUA_TSTRING) {
        kind = CWA_ID_STRING;
        text = lua_tolstring(L, -1, &len);
    } else
        kind = CWA_ID_NONE;
    if (n >= 0)
        len = (size_t)n; /* cut when it does not fit: the core then keeps none of it */
    cwa_page_note_id(info, index, kind, text, len);
    lua_pop(L, 1);
}

/* Reports what the decoded body at the top of the stack looks like; when
 * it is an object whose ResultSet is a list, that list replaces it (the
 * records are kept, not their envelope). */
static void page_facts(lua_State *L, const char *id_field, cwa_page_info *info)
{
    int v = lua_gettop(L);
    memset(info, 0, sizeof *info);
    info->body = kind_of(L, v);
    cwa_json_kind list = info->body;
    if (info->body == CWA_JSON_OBJECT) {
        get_field_ci(L, v, "TotalRecordCount");
        if (lua_type(L, -1) == LUA_TNUMBER) {
            info->has_total = 1;
            info->total = (double)lua_tonumber(L, -1);
        }
        lua_pop(L, 1);
        get_field_ci(L, v, "ResultSet");
        info->result_set = list = kind_of(L, -1);
        if (is_list(list))
            lua_replace(L, v);
        else
            lua_pop(L, 1);
    }
    if (!is_list(list))
        return;
    lua_Integer n = (lua_Integer)lua_rawlen(L, v);
    info->count = (long)n;
    info->all_containers = 1;
    for (lua_Integer i = 1; i <= n && info->all_containers; i++) {
        info->all_containers = lua_rawgeti(L, v, i) == LUA_TTABLE;
        if (info->all_containers)
            note_id(L, (long)i, id_field, info);
        lua_pop(L, 1);
    }
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
    if (!L) {
        snprintf(msg, msgcap, "no Lua call is running to decode the body");
        return -1;
    }
    if (json_start(lc, body, len, msg, msgcap) != 0)
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
        cwa_client_excerpt(lc->client, body, len, 120, ex, sizeof ex);
        snprintf(msg, msgcap, "malformed JSON (%s) in a %zu-byte body: %s",
                 lua_isstring(L, -1) ? lua_tostring(L, -1) : "?", len, ex);
        lua_settop(L, top);
        return -1;
    }
    lua_Integer whole;
    if (lua_istable(L, -1)) {
        integral_numbers(L, lua_gettop(L), 0);
    } else if (!lua_isinteger(L, -1) && lcwa_whole(L, -1, &whole)) {
        lua_pop(L, 1);
        lua_pushinteger(L, whole);
    }
    if (id_field)
        page_facts(L, id_field, info);
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
        return; /* unreached: decoded requests are freed inside a call
                 * (lcwa_release and client_close make one) */
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
    if (!L) {
        snprintf(msg, msgcap, ": no Lua call is running to ask the two_factor function");
        return -1;
    }
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
    return lcwa_check_interrupt(ud);
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
