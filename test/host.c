/* A host program that embeds Lua the ways issue 17 names, for the specs:
 *
 *   cwa-host threads N SCRIPT ARG   N threads, each with its own lua_State,
 *                                   call SCRIPT's work(ARG) at once
 *   cwa-host fork SCRIPT ARG        one lua_State calls before(ARG), then
 *                                   fork(): parent and child both call
 *                                   after(role) at the same time
 *
 * SCRIPT is a Lua file returning a table of those functions; each returns
 * a string, printed as "<who>: <string>" (or "<who>: lua error: ..."). The
 * exit status is 0 when every function returned, 1 otherwise. Modules are
 * found under lua/ and BUILD/ (the CWA_BUILD environment variable). */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_THREADS = 16, OUT_CAP = 512 };

static lua_State *new_state(void)
{
    lua_State *L = luaL_newstate();
    if (!L)
        return NULL;
    luaL_openlibs(L);
    const char *build = getenv("CWA_BUILD");
    char paths[1024];
    snprintf(paths, sizeof paths,
             "package.path = 'lua/?.lua;lua/?/init.lua;' .. package.path\n"
             "package.cpath = './%s/?.so;' .. package.cpath",
             build && build[0] ? build : "build");
    if (luaL_dostring(L, paths) != LUA_OK) {
        lua_close(L);
        return NULL;
    }
    return L;
}

/* Calls fn(arg) of the table SCRIPT returns (run once per state: its
 * functions share their upvalues from before to after); its string (or
 * the error) in out. 0 when it returned, -1 on a Lua error. */
static int call(lua_State *L, const char *script, const char *fn, const char *arg, char *out)
{
    int rc = -1;
    if (lua_getfield(L, LUA_REGISTRYINDEX, "cwa-host") != LUA_TTABLE) {
        lua_pop(L, 1);
        if (luaL_dofile(L, script) != LUA_OK) {
            snprintf(out, OUT_CAP, "lua error: %s", lua_tostring(L, -1));
            lua_settop(L, 0);
            return -1;
        }
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "cwa-host");
    }
    if (lua_getfield(L, -1, fn) != LUA_TFUNCTION) {
        snprintf(out, OUT_CAP, "lua error: the script has no function %s", fn);
    } else {
        lua_pushstring(L, arg);
        if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
            snprintf(out, OUT_CAP, "lua error: %s", luaL_tolstring(L, -1, NULL));
        } else {
            snprintf(out, OUT_CAP, "%s", luaL_tolstring(L, -1, NULL));
            rc = 0;
        }
    }
    lua_settop(L, 0);
    return rc;
}

typedef struct job {
    pthread_t thread;
    const char *script, *arg;
    int rc;
    char out[OUT_CAP];
} job;

static void *run_job(void *ud)
{
    job *j = ud;
    lua_State *L = new_state();
    j->rc = -1;
    if (!L) {
        snprintf(j->out, sizeof j->out, "no lua_State");
        return NULL;
    }
    j->rc = call(L, j->script, "work", j->arg, j->out);
    lua_close(L);
    return NULL;
}

static int threads(int n, const char *script, const char *arg)
{
    job jobs[MAX_THREADS];
    memset(jobs, 0, sizeof jobs);
    int started = 0;
    for (; started < n; started++) {
        jobs[started].script = script;
        jobs[started].arg = arg;
        if (pthread_create(&jobs[started].thread, NULL, run_job, &jobs[started]) != 0)
            break;
    }
    int failed = started < n;
    for (int i = 0; i < started; i++) {
        pthread_join(jobs[i].thread, NULL);
        printf("thread %d: %s\n", i + 1, jobs[i].out);
        failed |= jobs[i].rc != 0;
    }
    return failed;
}

static int forked(const char *script, const char *arg)
{
    lua_State *L = new_state();
    char out[OUT_CAP];
    if (!L || call(L, script, "before", arg, out) != 0) {
        printf("before: %s\n", L ? out : "no lua_State");
        return 1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        int rc = call(L, script, "after", "child", out);
        printf("child: %s\n", out);
        fflush(stdout);
        /* no lua_close and no atexit handlers: the child's end is the
         * process's, as a host that forks workers would do */
        _exit(rc == 0 ? 0 : 1);
    }
    int rc = call(L, script, "after", "parent", out);
    printf("parent: %s\n", out);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child exit: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    lua_close(L);
    return rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "threads") == 0) {
        int n = atoi(argv[2]);
        if (n < 1 || n > MAX_THREADS)
            return 2;
        return threads(n, argv[3], argv[4]);
    }
    if (argc == 4 && strcmp(argv[1], "fork") == 0)
        return forked(argv[2], argv[3]);
    fprintf(stderr, "usage: cwa-host threads N SCRIPT ARG | cwa-host fork SCRIPT ARG\n");
    return 2;
}
