/* cwa.Client: options in, blocking requests, token, close. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lcwa.h"

typedef enum { T_STRING, T_NUMBER, T_INTEGER, T_BOOLEAN, T_CODE, T_RATE, T_FUNCTION } opt_type;

static const struct option {
    const char *name;
    opt_type type;
} options[] = {
    {"server", T_STRING},   {"username", T_STRING},        {"password", T_STRING},
    {"two_factor", T_CODE}, {"totp_secret", T_STRING},     {"client_id", T_STRING},
    {"auth", T_STRING},     {"page_size", T_INTEGER},      {"retries", T_INTEGER},
    {"rate_limit", T_RATE}, {"burst", T_NUMBER},           {"concurrency", T_INTEGER},
    {"timeout", T_NUMBER},  {"connect_timeout", T_NUMBER}, {"verify_tls", T_BOOLEAN},
    {"ca_file", T_STRING},  {"proxy", T_STRING},           {"log", T_FUNCTION},
    {"debug", T_BOOLEAN},   {"allow_http", T_BOOLEAN},     {"token_cache", T_STRING},
    {"max_wait", T_NUMBER}, {"backoff_base", T_NUMBER},    {"backoff_cap", T_NUMBER},
    {"deadline", T_RATE},   {"max_body", T_INTEGER},
};

static const char *const type_words[] = {
    [T_STRING] = "a string",
    [T_NUMBER] = "a finite number",
    [T_INTEGER] = "an integer",
    [T_BOOLEAN] = "a boolean",
    [T_CODE] = "a string or a function",
    [T_RATE] = "a finite number or false",
    [T_FUNCTION] = "a function",
};

static int type_ok(lua_State *L, int idx, opt_type t)
{
    switch (t) {
    case T_STRING: return lua_type(L, idx) == LUA_TSTRING;
    case T_NUMBER: return lua_type(L, idx) == LUA_TNUMBER && isfinite(lua_tonumber(L, idx));
    case T_INTEGER:
        return lua_isinteger(L, idx) ||
               (lua_type(L, idx) == LUA_TNUMBER && lua_tonumber(L, idx) == floor(lua_tonumber(L, idx)) &&
                fabs(lua_tonumber(L, idx)) < 1e9);
    case T_BOOLEAN: return lua_isboolean(L, idx);
    case T_CODE: return lua_type(L, idx) == LUA_TSTRING || lua_isfunction(L, idx);
    case T_RATE:
        return (lua_type(L, idx) == LUA_TNUMBER && isfinite(lua_tonumber(L, idx))) ||
               (lua_isboolean(L, idx) && !lua_toboolean(L, idx));
    case T_FUNCTION: return lua_isfunction(L, idx);
    }
    return 0;
}

/* Raises InvalidArgument for unknown names, wrong types and strings with
 * NUL bytes, before anything is sent. */
static void check_options(lua_State *L, int idx)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT,
                            "cwa.new: option names are strings (got a %s key)", luaL_typename(L, -2));
        const char *name = lua_tostring(L, -2);
        const struct option *o = NULL;
        for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
            if (strcmp(options[i].name, name) == 0)
                o = &options[i];
        if (!o) {
            lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "cwa.new: unknown option '%s'", name);
            return;
        }
        if (!type_ok(L, -1, o->type)) {
            /* the value is shown only where a number was expected: a
             * password or a code given as a number is a secret all the same */
            int numeric = o->type == T_NUMBER || o->type == T_INTEGER || o->type == T_RATE;
            int number = numeric && lua_type(L, -1) == LUA_TNUMBER;
            /* a whole number too large for the C field is an integer all the same */
            int large = number && o->type == T_INTEGER && isfinite(lua_tonumber(L, -1)) &&
                        lua_tonumber(L, -1) == floor(lua_tonumber(L, -1));
            lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "cwa.new: option '%s': expected %s, got %s", name,
                            large ? "an integer of at most 9 digits" : type_words[o->type],
                            number ? luaL_tolstring(L, -1, NULL) : luaL_typename(L, -1));
        }
        if (lua_type(L, -1) == LUA_TSTRING) {
            size_t n;
            const char *s = lua_tolstring(L, -1, &n);
            if (strlen(s) != n)
                lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "cwa.new: option '%s': contains a NUL byte",
                                name);
        }
        lua_pop(L, 1);
    }
}

static const char *opt_string(lua_State *L, int idx, const char *name)
{
    lua_getfield(L, idx, name);
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lua_pop(L, 1); /* the string stays alive: the options table holds it */
    return s;
}

static int opt_number(lua_State *L, int idx, const char *name, double *out)
{
    lua_getfield(L, idx, name);
    int present = lua_type(L, -1) == LUA_TNUMBER;
    if (present)
        *out = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return present;
}

static int opt_bool(lua_State *L, int idx, const char *name, int dflt)
{
    lua_getfield(L, idx, name);
    int v = lua_isnil(L, -1) ? dflt : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

lcwa_client *lcwa_check_client(lua_State *L, int idx)
{
    lcwa_client *lc = luaL_checkudata(L, idx, LCWA_CLIENT);
    if (!lc->client)
        lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "the client is closed");
    return lc;
}

void lcwa_check_idle(lua_State *L, const lcwa_client *lc)
{
    if (lc->in_call)
        lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT,
                        "the client is busy: it cannot be used from its own log or two_factor function");
}

/* Forgets the error a hook kept for the call (see lcwa_abort_with). */
static void drop_pending(lcwa_client *lc, lua_State *L, int client_idx)
{
    lc->aborted = 0;
    lua_getiuservalue(L, client_idx, UV_OPTIONS);
    lua_pushnil(L);
    lua_setfield(L, -2, "pending_error");
    lua_pop(L, 1);
}

void lcwa_enter(lcwa_client *lc, lua_State *L, int idx)
{
    lcwa_check_idle(L, lc);
    idx = lua_absindex(L, idx);
    /* an error a callback raised in a call that succeeded all the same
     * belongs to that call: it must not end this one at once */
    if (lc->aborted)
        drop_pending(lc, L, idx);
    lc->L = L;
    lc->client_index = idx;
    lc->in_call = 1;
}

static void close_now(lcwa_client *lc, lua_State *L, int idx);

void lcwa_leave(lcwa_client *lc)
{
    lc->in_call = 0;
    /* what the collector let go of during the call is freed now, while
     * the hooks can still reach this thread */
    while (lc->deferred) {
        lcwa_deferred *d = lc->deferred;
        lc->deferred = d->next;
        if (d->pager)
            cwa_pager_free(d->pager);
        if (d->req)
            cwa_req_free(d->req);
        free(d);
    }
    if (lc->closing) { /* a callback of the call closed the client */
        lc->closing = 0;
        close_now(lc, lc->L, lc->client_index);
    }
    lc->L = NULL; /* the thread may end before the next call */
}

void lcwa_release(lcwa_client *lc, lua_State *L, int client_idx, cwa_pager *p, cwa_req *r)
{
    if (!lc->client)
        return; /* the client freed everything it had */
    /* its address may come back for a new request: forget the old object */
    lua_getiuservalue(L, client_idx, UV_REQUESTS);
    lua_pushnil(L);
    lua_rawsetp(L, -2, p ? (void *)p : (void *)r);
    lua_pop(L, 1);
    if (lc->in_call) {
        lcwa_deferred *d = malloc(sizeof *d);
        if (d) {
            d->pager = p;
            d->req = r;
            d->next = lc->deferred;
            lc->deferred = d;
        }
        return; /* without memory it stays with the client until close */
    }
    lcwa_enter(lc, L, client_idx);
    if (p)
        cwa_pager_free(p);
    if (r)
        cwa_req_free(r);
    lcwa_leave(lc);
}

int lcwa_client_new(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    check_options(L, 1);

    cwa_config cfg;
    cwa_config_defaults(&cfg);
    cfg.server = opt_string(L, 1, "server");
    cfg.username = opt_string(L, 1, "username");
    cfg.password = opt_string(L, 1, "password");
    cfg.two_factor_code = opt_string(L, 1, "two_factor");
    cfg.totp_secret = opt_string(L, 1, "totp_secret");
    cfg.client_id = opt_string(L, 1, "client_id");
    cfg.ca_file = opt_string(L, 1, "ca_file");
    cfg.proxy = opt_string(L, 1, "proxy");
    cfg.token_cache = opt_string(L, 1, "token_cache");
    const char *auth = opt_string(L, 1, "auth");
    if (auth) {
        if (strcmp(auth, "auto") == 0)
            cfg.auth = CWA_AUTH_AUTO;
        else if (strcmp(auth, "apitoken") == 0)
            cfg.auth = CWA_AUTH_APITOKEN;
        else if (strcmp(auth, "apicredentials") == 0)
            cfg.auth = CWA_AUTH_APICREDENTIALS;
        else
            lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT,
                            "cwa.new: option 'auth': must be \"auto\", \"apitoken\" or "
                            "\"apicredentials\" (got \"%.40s\")",
                            auth);
    }
    double d;
    if (opt_number(L, 1, "page_size", &d))
        cfg.page_size = (int)d;
    if (opt_number(L, 1, "retries", &d))
        cfg.retries = (int)d;
    if (opt_number(L, 1, "concurrency", &d))
        cfg.concurrency = (int)d;
    lua_getfield(L, 1, "rate_limit");
    cfg.rate_limit_default = lua_isnil(L, -1) || (lua_isboolean(L, -1) && lua_toboolean(L, -1));
    lua_pop(L, 1);
    if (opt_number(L, 1, "rate_limit", &d)) {
        if (d <= 0)
            lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT,
                            "cwa.new: option 'rate_limit': must be positive, or false for none (got %g)",
                            d);
        cfg.rate_limit = d;
    } else if (!opt_bool(L, 1, "rate_limit", 1)) {
        cfg.rate_limit = 0;
    }
    opt_number(L, 1, "burst", &cfg.burst);
    opt_number(L, 1, "timeout", &cfg.timeout);
    opt_number(L, 1, "connect_timeout", &cfg.connect_timeout);
    opt_number(L, 1, "max_wait", &cfg.max_wait);
    if (opt_number(L, 1, "max_body", &d)) {
        /* 0 the core refuses, naming it; below, size_t cannot say what it was */
        if (d < 0)
            lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT,
                            "cwa.new: option 'max_body': must be a positive number of bytes (got %g)",
                            d);
        cfg.max_body = d >= (double)SIZE_MAX ? SIZE_MAX : (size_t)d;
    }
    /* seconds a call may take in all; false: no limit (0 would read as a
     * limit of nothing, so it is refused) */
    if (opt_number(L, 1, "deadline", &d)) {
        if (d <= 0)
            lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT,
                            "cwa.new: option 'deadline': must be a positive number of seconds, or "
                            "false for none (got %g)",
                            d);
        cfg.deadline = d;
    } else if (!opt_bool(L, 1, "deadline", 1)) {
        cfg.deadline = 0;
    }
    opt_number(L, 1, "backoff_base", &cfg.backoff_base);
    opt_number(L, 1, "backoff_cap", &cfg.backoff_cap);
    cfg.verify_tls = opt_bool(L, 1, "verify_tls", 1);
    cfg.allow_http = opt_bool(L, 1, "allow_http", 0);

    lcwa_client *lc = lua_newuserdatauv(L, sizeof *lc, UV_COUNT);
    memset(lc, 0, sizeof *lc);
    luaL_setmetatable(L, LCWA_CLIENT);
    int ud = lua_gettop(L);

    lua_createtable(L, 0, 2); /* UV_OPTIONS */
    lua_getfield(L, 1, "log");
    lua_setfield(L, -2, "log");
    lua_getfield(L, 1, "two_factor");
    int two_factor_fn = lua_isfunction(L, -1);
    lua_setfield(L, -2, "two_factor");
    lua_setiuservalue(L, ud, UV_OPTIONS);
    lua_newtable(L); /* UV_VALUES */
    lua_setiuservalue(L, ud, UV_VALUES);
    lua_newtable(L); /* UV_REQUESTS: weak values */
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setiuservalue(L, ud, UV_REQUESTS);

    lc->debug = opt_bool(L, 1, "debug", 0);
    if (two_factor_fn)
        cfg.two_factor_code = NULL;
    lcwa_install_hooks(lc, &cfg, two_factor_fn);

    cwa_error err = {0};
    lcwa_enter(lc, L, ud);
    lc->client = cwa_client_new(&cfg, &err);
    lcwa_leave(lc);
    if (!lc->client) {
        char named[sizeof err.message]; /* the core names the option; the caller called cwa.new */
        if (err.code == CWA_E_INVALID_ARGUMENT &&
            snprintf(named, sizeof named, "cwa.new: %s", err.message) > 0)
            memcpy(err.message, named, sizeof named);
        lcwa_push_failure(L, lc, ud, &err);
        cwa_error_clear(&err);
        return lua_error(L);
    }
    return 1;
}

/* Keeps the error at the top of L (popped) as the one the running call
 * raises, unless one is kept already, and makes that call end. */
static void keep_error(lcwa_client *lc, lua_State *L, int client_idx)
{
    lua_getiuservalue(L, client_idx, UV_OPTIONS);
    if (!lc->aborted) { /* the first error is the one to raise */
        lua_pushvalue(L, -2);
        lua_setfield(L, -2, "pending_error");
    }
    lua_pop(L, 2);
    lc->aborted = 1;
}

/* Closes the pagers and requests still open, then the client at idx of L. */
static void close_now(lcwa_client *lc, lua_State *L, int idx)
{
    if (lua_getiuservalue(L, idx, UV_REQUESTS) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            if (luaL_getmetafield(L, -1, "close") != LUA_TNIL) {
                lua_pushvalue(L, -2);
                lua_pcall(L, 1, 0, 0) == LUA_OK ? (void)0 : lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    lcwa_enter(lc, L, idx);
    lcwa_leave(lc); /* frees what was deferred while the client still exists */
    lc->L = L;
    cwa_client_free(lc->client);
    lc->client = NULL;
    lc->L = NULL;
}

static int client_close(lua_State *L)
{
    lcwa_client *lc = luaL_checkudata(L, 1, LCWA_CLIENT);
    if (!lc->client || lc->closing)
        return 0;
    if (lc->in_call) {
        /* from a callback of the client's own call (its log or two_factor
         * function, a finalizer): the core is still using the client and
         * what it drives, so the call is stopped with this error and the
         * client closed when the call returns (lcwa_leave) */
        cwa_error e = {0};
        cwa_error_set(&e, CWA_E_INVALID_ARGUMENT, "the client was closed during the call");
        lcwa_push_error(L, &e);
        cwa_error_clear(&e);
        keep_error(lc, L, 1);
        lc->closing = 1;
        return 0;
    }
    close_now(lc, L, 1);
    return 0;
}

static int client_gc(lua_State *L)
{
    lcwa_client *lc = luaL_checkudata(L, 1, LCWA_CLIENT);
    /* a collected client is never mid-call (only an error that escaped
     * between lcwa_enter and lcwa_leave leaves these set) */
    lc->in_call = 0;
    lc->closing = 0;
    return client_close(L);
}

void lcwa_abort_with(lcwa_client *lc, lua_State *L)
{
    keep_error(lc, L, lc->client_index);
}

void lcwa_push_failure(lua_State *L, lcwa_client *lc, int client_idx, const cwa_error *e)
{
    if (!lc->aborted) {
        lcwa_push_error(L, e);
        return;
    }
    lua_getiuservalue(L, client_idx, UV_OPTIONS);
    lua_getfield(L, -1, "pending_error");
    lua_remove(L, -2);
    drop_pending(lc, L, client_idx);
}

void lcwa_take_value(lua_State *L, int client_idx, const cwa_req *r)
{
    if (!cwa_req_has_body(r)) {
        lua_pushnil(L);
        return;
    }
    lua_getiuservalue(L, client_idx, UV_VALUES);
    lua_rawgeti(L, -1, (lua_Integer)cwa_req_id(r));
    lua_pushnil(L);
    lua_rawseti(L, -3, (lua_Integer)cwa_req_id(r));
    lua_remove(L, -2);
}

static const char *const method_names[] = {"GET", "POST", "PUT", "PATCH", "DELETE", NULL};

/* client:request(method, path [, query [, body]]) -> decoded body or nil */
cwa_req *lcwa_request_args(lua_State *L, lcwa_client *lc)
{
    int method = luaL_checkoption(L, 2, NULL, method_names);
    if (lua_type(L, 3) != LUA_TSTRING)
        lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "path: expected a string, got %s",
                        luaL_typename(L, 3));
    if (!lua_isnoneornil(L, 5) && lua_type(L, 5) != LUA_TSTRING)
        lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "body: expected JSON text");
    /* before the request exists: a bad value raises with nothing to free */
    size_t npairs = lcwa_query_pairs(L, 4);
    int pairs = lua_gettop(L);
    size_t plen, blen = 0;
    const char *path = lua_tolstring(L, 3, &plen);
    const char *body = lua_isnoneornil(L, 5) ? NULL : lua_tolstring(L, 5, &blen);
    cwa_error err = {0};
    cwa_req *r = cwa_req_new(lc->client, (cwa_method)method, path, plen, body, blen, &err);
    if (!r) {
        lcwa_push_error(L, &err);
        cwa_error_clear(&err);
        lua_error(L);
    }
    for (size_t i = 0; i < npairs; i++) {
        size_t n;
        lua_rawgeti(L, pairs, (lua_Integer)(2 * i + 1));
        lua_rawgeti(L, pairs, (lua_Integer)(2 * i + 2));
        const char *v = lua_tolstring(L, -1, &n);
        int rc = cwa_req_query(r, lua_tostring(L, -2), v, n, &err);
        lua_pop(L, 2);
        if (rc != 0) {
            cwa_req_free(r);
            lcwa_push_error(L, &err);
            cwa_error_clear(&err);
            lua_error(L);
        }
    }
    lua_pop(L, 1);
    return r;
}

lcwa_client *lcwa_owner(lua_State *L, int idx)
{
    lua_getiuservalue(L, idx, 1);
    lcwa_client *lc = luaL_testudata(L, -1, LCWA_CLIENT);
    return lc && lc->client ? lc : NULL;
}

static int client_request(lua_State *L)
{
    lcwa_client *lc = lcwa_check_client(L, 1);
    lcwa_check_idle(L, lc); /* before the request exists: nothing to free */
    cwa_req *r = lcwa_request_args(L, lc);
    cwa_error err = {0};
    lcwa_enter(lc, L, 1);
    int rc = cwa_client_run(lc->client, r, -1, &err);
    if (rc < 0 || cwa_req_error(r)->code != CWA_OK) {
        lcwa_push_failure(L, lc, 1, rc < 0 ? &err : cwa_req_error(r));
        cwa_req_free(r);
        lcwa_leave(lc);
        cwa_error_clear(&err);
        return lua_error(L);
    }
    lcwa_take_value(L, 1, r);
    lua_pushinteger(L, cwa_req_status(r));
    cwa_req_free(r);
    lcwa_leave(lc);
    return 2;
}

/* client:token([started]) -> token, expires (epoch seconds); with
 * started (a monotime): token, expires or false, without waiting */
static int client_token(lua_State *L)
{
    lcwa_client *lc = lcwa_check_client(L, 1);
    int waits = lua_isnoneornil(L, 2);
    double started = waits ? 0 : luaL_checknumber(L, 2);
    const char *token = NULL;
    double expires = 0;
    cwa_error err = {0};
    lcwa_enter(lc, L, 1);
    int rc = waits ? cwa_client_token(lc->client, &token, &expires, &err)
                   : cwa_client_token_try(lc->client, started, &token, &expires, &err);
    int results = 2;
    /* before lcwa_leave: the token lives in the client, which a callback
     * may have closed (lcwa_leave then frees it) */
    if (rc >= 0 && token) {
        lua_pushstring(L, token);
        lua_pushnumber(L, expires);
    } else if (rc >= 0) {
        lua_pushboolean(L, 0);
        results = 1;
    } else {
        lcwa_push_failure(L, lc, 1, &err);
    }
    lcwa_leave(lc);
    cwa_error_clear(&err);
    return rc >= 0 ? results : lua_error(L);
}

/* client:logout(): revokes the token on the server and forgets it */
static int client_logout(lua_State *L)
{
    lcwa_client *lc = lcwa_check_client(L, 1);
    cwa_error err = {0};
    lcwa_enter(lc, L, 1);
    int rc = cwa_client_logout(lc->client, &err);
    if (rc != 0)
        lcwa_push_failure(L, lc, 1, &err);
    lcwa_leave(lc);
    cwa_error_clear(&err);
    return rc == 0 ? 0 : lua_error(L);
}

/* client:dialect() -> "apitoken" | "apicredentials" | nil (not logged in yet) */
static int client_dialect(lua_State *L)
{
    lcwa_client *lc = lcwa_check_client(L, 1);
    const char *d = cwa_client_dialect(lc->client);
    if (d)
        lua_pushstring(L, d);
    else
        lua_pushnil(L);
    return 1;
}

static const char *const auth_names[] = {
    [CWA_AUTH_AUTO] = "auto",
    [CWA_AUTH_APITOKEN] = "apitoken",
    [CWA_AUTH_APICREDENTIALS] = "apicredentials",
};

/* 60, not 60.0, for a whole number of seconds */
static void push_number(lua_State *L, double x)
{
    lua_Integer i;
    lua_pushnumber(L, x);
    if (lcwa_whole(L, -1, &i)) {
        lua_pop(L, 1);
        lua_pushinteger(L, i);
    }
}

/* client:session() -> {expires =, absolute =, dialect =} | nil: the token
 * the client holds (from its token_cache or a login), never the token */
static int client_session(lua_State *L)
{
    lcwa_client *lc = lcwa_check_client(L, 1);
    cwa_session_info info;
    if (!cwa_client_session(lc->client, &info)) {
        lua_pushnil(L);
        return 1;
    }
    lua_createtable(L, 0, 3);
    push_number(L, info.expires);
    lua_setfield(L, -2, "expires");
    if (info.absolute > 0) {
        push_number(L, info.absolute);
        lua_setfield(L, -2, "absolute");
    }
    lua_pushstring(L, info.dialect);
    lua_setfield(L, -2, "dialect");
    return 1;
}

void lcwa_push_settings(lua_State *L, const cwa_config *cfg)
{
    lua_createtable(L, 0, 12);
    const struct {
        const char *name;
        lua_Integer value;
    } ints[] = {
        {"page_size", cfg->page_size},
        {"retries", cfg->retries},
        {"concurrency", cfg->concurrency},
        {"max_body",
         cfg->max_body > (size_t)LUA_MAXINTEGER ? LUA_MAXINTEGER : (lua_Integer)cfg->max_body},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        lua_pushinteger(L, ints[i].value);
        lua_setfield(L, -2, ints[i].name);
    }
    const struct {
        const char *name;
        double value;
    } nums[] = {
        {"burst", cfg->burst},
        {"timeout", cfg->timeout},
        {"connect_timeout", cfg->connect_timeout},
        {"backoff_base", cfg->backoff_base},
        {"backoff_cap", cfg->backoff_cap},
        {"max_wait", cfg->max_wait},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        push_number(L, nums[i].value);
        lua_setfield(L, -2, nums[i].name);
    }
    /* off is false and the default (no cap until the server states or
     * teaches one) is absent, as core.new takes them: the table can be
     * passed back */
    if (cfg->rate_limit > 0)
        push_number(L, cfg->rate_limit);
    else if (cfg->rate_limit_default)
        lua_pushnil(L);
    else
        lua_pushboolean(L, 0);
    lua_setfield(L, -2, "rate_limit");
    if (cfg->deadline > 0)
        push_number(L, cfg->deadline);
    else
        lua_pushboolean(L, 0);
    lua_setfield(L, -2, "deadline");
    lua_pushboolean(L, cfg->verify_tls);
    lua_setfield(L, -2, "verify_tls");
    lua_pushstring(L, cfg->auth >= CWA_AUTH_AUTO && cfg->auth <= CWA_AUTH_APICREDENTIALS
                          ? auth_names[cfg->auth]
                          : "auto");
    lua_setfield(L, -2, "auth");
}

/* client:settings() -> the effective settings, by core.new's option names */
static int client_settings(lua_State *L)
{
    lcwa_client *lc = lcwa_check_client(L, 1);
    cwa_config cfg;
    cwa_client_settings(lc->client, &cfg);
    lcwa_push_settings(L, &cfg);
    return 1;
}

static int client_tostring(lua_State *L)
{
    lcwa_client *lc = luaL_checkudata(L, 1, LCWA_CLIENT);
    lua_pushfstring(L, "%s (%s)", LCWA_CLIENT, lc->client ? "open" : "closed");
    return 1;
}

/***
 * The client object of `cwa.core`: the userdata `cwa.core.new` returns
 * (metatable name "cwa.core.Client"; the Lua layer's `cwa.Client` wraps it).
 * @classmod cwa.core.Client
 */

static const luaL_Reg client_methods[] = {
    /***
     * Sends one request and waits for the answer, logging in first when
     * needed, with the client's retry policy and rate limit.
     * @function Client:request
     * @string method "GET", "POST", "PUT", "PATCH" or "DELETE"
     * @string path relative to /cwa/api/v1, e.g. "/Computers/42"
     * @tparam[opt] table query parameter name to a string, integer, boolean or
     *   list of those (joined with commas)
     * @string[opt] body JSON text
     * @treturn any the decoded JSON body (nil for an empty answer)
     * @treturn integer the HTTP status
     * @raise cwa.Error Unauthorized, TwoFactorRequired, Forbidden, NotFound,
     *   BadRequest, RateLimited, ServerError, Network, Timeout, TLS,
     *   InvalidResponse; InvalidArgument before sending
     * @usage local computer, status = client:request("GET", "/Computers/42")
     */
    {"request", client_request},
    /***
     * Starts a listing: pages are fetched ahead, `concurrency` at a time.
     * @function Client:pages
     * @string path e.g. "/Computers"
     * @tparam table opts `page_size` (1-1000; unset: the client's), `start_page` (1), `limit`,
     *   `consistent` (page by id instead of page number), `id_field` ("Id"),
     *   condition, query (more parameters, as `Client:request` takes them)
     * @treturn Pager
     * @raise cwa.Error InvalidArgument for bad options
     * @usage local pager <close> = client:pages("/Computers", {condition = "Status = 'Online'"})
     */
    {"pages", lcwa_client_pages},
    /***
     * Submits a request without waiting for it.
     * @function Client:submit
     * @string method
     * @string path
     * @tparam[opt] table query
     * @string[opt] body JSON text
     * @treturn Request
     * @raise cwa.Error InvalidArgument before sending
     * @usage local req = client:submit("GET", "/Computers/42")
     */
    {"submit", lcwa_client_submit},
    /***
     * Drives the submitted requests (and the pages of open pagers) until
     * some complete or the time is up. Requests nobody holds any more are
     * dropped.
     * @function Client:wait
     * @number[opt] timeout seconds (default: until one completes)
     * @treturn table an array of the `Request` objects that completed (empty
     *   on timeout, or when only a pager's page arrived: see `Pager:ready`)
     * @usage for _, req in ipairs(client:wait(1)) do print(req:id(), req:result()) end
     */
    {"wait", lcwa_client_wait},
    /***
     * The current access token, logging in or refreshing it when needed.
     * Given `started`, it never waits: false while the login is on its way
     * (step the client, then ask again); the deadline counts from `started`.
     * @function Client:token
     * @number[opt] started `cwa.core.monotime()` when the caller began to wait
     * @treturn string|false the token (a secret), false while a login runs
     * @treturn number its expiry, in seconds since the epoch
     * @raise cwa.Error Unauthorized, TwoFactorRequired, Network, Timeout, TLS,
     *   InvalidResponse
     * @usage local _, expires = client:token()
     */
    {"token", client_token},
    /***
     * Ends the session: revokes the token on the server (apitoken dialect:
     * POST /apitoken/Disable; the brief's APICredentials has no such route),
     * then forgets it and its token_cache entry. Without a token it sends
     * nothing; the next call logs in again.
     * @function Client:logout
     * @raise cwa.Error when the server did not revoke the token (the token is
     *   forgotten all the same)
     * @usage client:logout()
     */
    {"logout", client_logout},
    /***
     * The dialect the server speaks, once logged in.
     * @function Client:dialect
     * @treturn ?string "apitoken", "apicredentials", or nil before the first login
     * @usage client:token(); print(client:dialect())
     */
    {"dialect", client_dialect},
    /***
     * The session the client holds, without a request: from its
     * `token_cache` entry or the last login. Never the token.
     * @function Client:session
     * @treturn ?table `expires` (epoch seconds), `absolute` (the server's
     *   AbsoluteExpirationDate, when it gave one) and `dialect`; nil without a token
     * @usage local s = client:session(); if s then print(os.date("!%c", s.expires)) end
     */
    {"session", client_session},
    /***
     * The settings the client runs with: `page_size`, `retries`,
     * `rate_limit` (false when off), `burst` (0: a minute's worth),
     * `concurrency`, `timeout`, `connect_timeout`, `backoff_base`,
     * `backoff_cap`, `max_wait`, `deadline` (false when none), `max_body`, `verify_tls` and `auth`,
     * with the core's defaults where no option was given (see `cwa.core.defaults`).
     * @function Client:settings
     * @treturn table option name to value
     * @usage print(client:settings().page_size)
     */
    {"settings", client_settings},
    /***
     * Closes the pagers and requests still open, then the client. Idempotent;
     * also `__close` and `__gc`.
     * @function Client:close
     * @usage client:close()
     */
    {"close", client_close},
    {NULL, NULL},
};

void lcwa_client_open(lua_State *L)
{
    static const lcwa_class cls = {LCWA_CLIENT, client_methods, client_gc, client_close,
                                   client_tostring};
    lcwa_class_open(L, &cls);
    lua_pop(L, 1);
}
