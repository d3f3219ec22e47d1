/* cwa.core.Request: a request submitted without waiting, for callers that keep
 * many in flight (client:map). client:wait() drives the client until some
 * complete and returns them; req:result() gives the body or raises. */
#include <string.h>

#include "lcwa.h"

typedef struct lcwa_request {
    cwa_req *req;
} lcwa_request;

static lcwa_request *check_request(lua_State *L)
{
    return luaL_checkudata(L, 1, LCWA_REQUEST);
}

static int request_close(lua_State *L)
{
    lcwa_request *lr = check_request(L);
    if (!lr->req)
        return 0;
    cwa_req *r = lr->req;
    lr->req = NULL;
    lcwa_client *lc = lcwa_owner(L, 1);
    if (lc)
        lcwa_release(lc, L, lua_gettop(L), NULL, r);
    lua_pop(L, 1);
    return 0;
}

/* client:submit(method, path [, query [, body]]) -> cwa.core.Request */
int lcwa_client_submit(lua_State *L)
{
    lcwa_client *lc = lcwa_check_client(L, 1);
    /* a callback of the running call would add to the transfers it drives */
    lcwa_check_idle(L, lc);
    cwa_req *r = lcwa_request_args(L, lc);
    lcwa_request *lr = lua_newuserdatauv(L, sizeof *lr, 1);
    lr->req = r;
    luaL_setmetatable(L, LCWA_REQUEST);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lua_getiuservalue(L, 1, UV_REQUESTS);
    lua_pushvalue(L, -2);
    lua_rawsetp(L, -2, r);
    lua_pop(L, 1);
    cwa_req_submit(r);
    return 1;
}

/* client:wait([timeout]) -> array of the cwa.core.Request objects that completed
 * (empty on timeout). Requests nobody holds any more are dropped. */
int lcwa_client_wait(lua_State *L)
{
    lcwa_client *lc = lcwa_check_client(L, 1);
    double timeout = luaL_optnumber(L, 2, -1);
    cwa_error err = {0};
    lcwa_enter(lc, L, 1);
    int rc = cwa_client_pending(lc->client) > 0 || timeout >= 0
                 ? cwa_client_run(lc->client, NULL, timeout, &err)
                 : 0;
    if (rc < 0) {
        lcwa_push_failure(L, lc, 1, &err);
        lcwa_leave(lc);
        cwa_error_clear(&err);
        return lua_error(L);
    }
    lua_newtable(L);
    lua_getiuservalue(L, 1, UV_REQUESTS);
    lua_Integer n = 0;
    cwa_req *r;
    while ((r = cwa_client_next_done(lc->client))) {
        if (lua_rawgetp(L, -1, r) == LUA_TUSERDATA)
            lua_rawseti(L, -3, ++n);
        else {
            lua_pop(L, 1);
            cwa_req_free(r);
        }
    }
    lua_pop(L, 1);
    lcwa_leave(lc);
    return 1;
}

static int request_done(lua_State *L)
{
    lcwa_request *lr = check_request(L);
    lua_pushboolean(L, lr->req && cwa_req_done(lr->req));
    return 1;
}

static int request_id(lua_State *L)
{
    lcwa_request *lr = check_request(L);
    if (!lr->req)
        return 0;
    lua_pushinteger(L, (lua_Integer)cwa_req_id(lr->req));
    return 1;
}

/* req:result() -> body, status; raises the cwa.Error of a failed request */
static int request_result(lua_State *L)
{
    lcwa_request *lr = check_request(L);
    if (!lr->req || !cwa_req_done(lr->req))
        return lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "the request is %s",
                               lr->req ? "not done" : "closed");
    lcwa_client *lc = lcwa_owner(L, 1);
    if (!lc)
        return lcwa_raise_code(L, CWA_E_INVALID_ARGUMENT, "the client of this request is closed");
    int client_idx = lua_gettop(L);
    if (cwa_req_error(lr->req)->code != CWA_OK) {
        lcwa_push_error(L, cwa_req_error(lr->req));
        return lua_error(L);
    }
    lcwa_take_value(L, client_idx, lr->req);
    lua_pushinteger(L, cwa_req_status(lr->req));
    /* the value was handed out: the request has nothing more to give */
    cwa_req *r = lr->req;
    lr->req = NULL;
    lcwa_release(lc, L, client_idx, NULL, r);
    return 2;
}

/***
 * A request submitted without waiting (`cwa.core.Client:submit`), for callers
 * that keep many in flight; `cwa.core.Client:wait` drives the transfers
 * (metatable name "cwa.core.Request").
 * @classmod cwa.core.Request
 */

static const luaL_Reg request_methods[] = {
    /***
     * Whether the request has finished (with an answer or an error).
     * @function Request:done
     * @treturn boolean false for a closed request
     * @usage if req:done() then print(req:result()) end
     */
    {"done", request_done},
    /***
     * A number that identifies the request within its client.
     * @function Request:id
     * @treturn ?integer nil for a closed request
     * @usage local by_id = {}; by_id[req:id()] = "computer 42"
     */
    {"id", request_id},
    /***
     * The answer of a finished request. The value is handed out once: the
     * request is closed afterwards.
     * @function Request:result
     * @treturn any the decoded JSON body (nil for an empty answer)
     * @treturn integer the HTTP status
     * @raise cwa.Error the error of the request; InvalidArgument when it is
     *   not done, closed, or its client is closed
     * @usage for _, req in ipairs(client:wait(5)) do print(req:id(), req:result()) end
     */
    {"result", request_result},
    /***
     * Cancels the request if it is still running and frees it. Idempotent;
     * also `__close` and `__gc`.
     * @function Request:close
     * @usage local req <close> = client:submit("GET", "/Computers/42")
     */
    {"close", request_close},
    {NULL, NULL},
};

void lcwa_request_open(lua_State *L)
{
    static const lcwa_class cls = {LCWA_REQUEST, request_methods, request_close, request_close, NULL};
    lcwa_class_open(L, &cls);
    lua_pop(L, 1);
}
