/*
 * The binding `cwa.core`: Lua values in, core calls, Lua values out.
 * Private to src/binding/lcwa*.c. It holds no retry or auth policy (that is the
 * core's); it owns the userdata, their metatables, cwa.Error objects and the
 * hooks that let the core decode bodies with lua-cjson and call Lua
 * functions (log, two_factor) between transfers.
 */
#ifndef LCWA_H
#define LCWA_H

#include <lauxlib.h>
#include <lua.h>

#include "cwa.h"

/* The userdata's metatable names carry "core" so that a message never
 * confuses them with the Lua layer's classes ("cwa.Client expected, got
 * cwa.Client"). Errors are tables of the Lua API itself: "cwa.Error". */
#define LCWA_CLIENT "cwa.core.Client"
#define LCWA_PAGER "cwa.core.Pager"
#define LCWA_REQUEST "cwa.core.Request"
#define LCWA_ERROR "cwa.Error"
/* Registry key of the module's own lua-cjson decode function. */
#define LCWA_DECODE "cwa.decode"

/* Uservalue slots of a client userdata. */
enum {
    UV_OPTIONS = 1, /* table: log, two_factor functions; debug flag */
    UV_VALUES,      /* table: request id -> decoded body */
    UV_REQUESTS,    /* table: request id -> cwa.core.Request userdata (weak values) */
    UV_COUNT = UV_REQUESTS
};

typedef struct lcwa_deferred {
    cwa_pager *pager;
    cwa_req *req;
    struct lcwa_deferred *next;
} lcwa_deferred;

typedef struct lcwa_client {
    cwa_client *client;
    lua_State *L;     /* the thread running the current call; NULL between calls */
    int client_index; /* stack index of the client userdata in L */
    int debug;
    int in_call;             /* a blocking call is running: no reentry */
    lcwa_deferred *deferred; /* collected mid-call: freed when the call ends */
    int aborted;             /* a hook caught an error the call must raise */
    int closing;             /* closed mid-call: lcwa_leave closes it */
} lcwa_client;

/* classes (lcwa.c) */
typedef struct lcwa_class {
    const char *name;        /* the registry key and __name */
    const luaL_Reg *methods; /* the __index table; NULL: none */
    lua_CFunction gc;        /* each NULL when the class has none */
    lua_CFunction close;     /* __close, and the metafield `close` a client
                              * calls on what it owns when it closes */
    lua_CFunction tostring;
} lcwa_class;
/* Creates the metatable of cls and leaves it on the stack. */
void lcwa_class_open(lua_State *L, const lcwa_class *cls);

/* Lua values to core values (lcwa_value.c) */
/* 1 with *out when the value at idx is an integer, or a float with a whole
 * value a double holds exactly (|x| < 2^53); 0 otherwise (NaN included).
 * The range is checked on the double before any conversion. */
int lcwa_whole(lua_State *L, int idx, lua_Integer *out);
/* The one marshaller of query tables (client:request, submit, pages):
 * pushes {key1, value1, key2, value2, ...} with every value as text, keys
 * in byte order so the same call makes the same URL, and returns the number
 * of pairs. nil gives none. Values: strings; integers, and floats with a
 * whole value, as integers; booleans as true/false; lists of those joined
 * with commas. Raises InvalidArgument naming the key for anything else
 * (maps, nested lists, fractions, functions, NUL bytes). */
size_t lcwa_query_pairs(lua_State *L, int idx);

/* errors (lcwa_error.c) */
void lcwa_error_open(lua_State *L);
void lcwa_push_error(lua_State *L, const cwa_error *e);
int lcwa_raise(lua_State *L, const cwa_error *e);
int lcwa_raise_code(lua_State *L, cwa_code code, const char *fmt, ...);
int lcwa_is_error(lua_State *L, int idx);

/* client (lcwa_client.c) */
lcwa_client *lcwa_check_client(lua_State *L, int idx);
/* Raises InvalidArgument ("busy") while a call of lc is running: a
 * callback of that call (log, two_factor, a finalizer) cannot start another.
 * Entry points check it before they make anything they would have to free. */
void lcwa_check_idle(lua_State *L, const lcwa_client *lc);
/* Makes the core usable from L for one call: hooks see this thread until
 * lcwa_leave, after which they see none (lc->L is NULL between calls).
 * lcwa_leave frees what was released during the call and closes the client
 * when a callback closed it; the call's core objects must be gone by then. */
void lcwa_enter(lcwa_client *lc, lua_State *L, int idx);
void lcwa_leave(lcwa_client *lc);
/* Frees a pager or request of the client now, or when the running call
 * ends if the collector reached it mid-call. client_idx: the client on L. */
void lcwa_release(lcwa_client *lc, lua_State *L, int client_idx, cwa_pager *p, cwa_req *r);
void lcwa_client_open(lua_State *L);
int lcwa_client_new(lua_State *L);
/* Pushes the numeric and boolean settings of cfg, and auth, by the names
 * of core.new: what core.defaults() and client:settings() return. */
void lcwa_push_settings(lua_State *L, const cwa_config *cfg);
/* Pushes what a failed core call must raise: the Lua error a hook caught
 * (an interrupt, no memory, an error in the user's log function), else e. */
void lcwa_push_failure(lua_State *L, lcwa_client *lc, int client_idx, const cwa_error *e);
/* Keeps the error at the top of the stack (popped) for lcwa_push_failure
 * and makes the running call end. */
void lcwa_abort_with(lcwa_client *lc, lua_State *L);
/* Pushes the decoded body kept for r (or nil) and forgets it. */
void lcwa_take_value(lua_State *L, int client_idx, const cwa_req *r);
/* The request of the arguments (client, method, path [, query [, body]])
 * at 1..5; raises InvalidArgument on bad ones. */
cwa_req *lcwa_request_args(lua_State *L, lcwa_client *lc);
/* Pushes the client of the pager or request at idx (its uservalue 1);
 * returns it, or NULL when it is closed. */
lcwa_client *lcwa_owner(lua_State *L, int idx);

/* event loops and interrupts (lcwa_poll.c) */
/* Adds pollfd, events, timeout and step to the client's methods. */
void lcwa_poll_open(lua_State *L);
/* A C function that does nothing: calling it runs the call hook a signal
 * handler set (lua.c's SIGINT), which may raise. */
int lcwa_interrupt_point(lua_State *L);
/* Lets a debug hook (lua.c's SIGINT one) run between the slices of a
 * blocking call; its error becomes the call's (lcwa_abort_with). Returns
 * whether the call must end (lc->aborted). */
int lcwa_check_interrupt(lcwa_client *lc);

/* hooks (lcwa_hooks.c) */
void lcwa_install_hooks(lcwa_client *lc, cwa_config *cfg, int has_two_factor);

/* pager (lcwa_pager.c) */
void lcwa_pager_open(lua_State *L);
int lcwa_client_pages(lua_State *L);

/* requests for concurrent use (lcwa_request.c) */
void lcwa_request_open(lua_State *L);
int lcwa_client_submit(lua_State *L);
int lcwa_client_wait(lua_State *L);

/* lcwa_tty.c: adds the shell's terminal helpers to the module table on top. */
void lcwa_tty_open(lua_State *L);

#endif
