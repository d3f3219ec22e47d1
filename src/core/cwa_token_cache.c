/* token_cache: keeps the access token in a file of the user's (mode 0600)
 * so that short scripts run one after another log in once an hour, not once
 * a run. A file that others can read is refused, never silently used. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cwa_internal.h"
#include "cwa_str.h"
#include "cwa_time.h"

enum { MAX_CACHE_BYTES = 64 * 1024 };

static const char *dialect_name(cwa_auth_mode d)
{
    return d == CWA_AUTH_APICREDENTIALS ? "apicredentials" : "apitoken";
}

/* The cache file's JSON in *root (NULL when there is no file or it is
 * empty); -1 (InvalidArgument) when the file is not one of the user's own. */
static int cache_read(const cwa_client *c, cJSON **root, cwa_error *err)
{
    *root = NULL;
    int fd = open(c->token_cache, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0; /* no cache yet */
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        cwa_error_set(err, CWA_E_INVALID_ARGUMENT, "token_cache: %s is not a regular file",
                      c->token_cache);
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        cwa_error_set(err, CWA_E_INVALID_ARGUMENT,
                      "token_cache: %s is readable or writable by others (mode %03o); "
                      "run chmod 600 on it",
                      c->token_cache, (unsigned)(st.st_mode & 0777));
        return -1;
    }
    char buf[MAX_CACHE_BYTES];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    *root = cJSON_ParseWithLength(buf, (size_t)n);
    cwa_wipe(buf, (size_t)n);
    return 0;
}

static void wipe_token(cJSON *root)
{
    const cJSON *token = cJSON_GetObjectItem(root, "token");
    if (cJSON_IsString(token))
        cwa_wipe(token->valuestring, strlen(token->valuestring));
}

int cwa__token_cache_load(cwa_client *c, cwa_error *err)
{
    if (!c->token_cache)
        return 0;
    cJSON *root;
    if (cache_read(c, &root, err) != 0)
        return -1;
    const cJSON *server = cJSON_GetObjectItem(root, "server");
    const cJSON *user = cJSON_GetObjectItem(root, "username");
    const cJSON *token = cJSON_GetObjectItem(root, "token");
    const cJSON *expires = cJSON_GetObjectItem(root, "expires");
    const cJSON *refresh_at = cJSON_GetObjectItem(root, "refresh_at");
    const cJSON *dialect = cJSON_GetObjectItem(root, "dialect");
    double now = cwa_time_now();
    if (cJSON_IsString(server) && strcmp(server->valuestring, c->server.base) == 0 &&
        cJSON_IsString(user) && strcmp(user->valuestring, c->username) == 0 && cJSON_IsString(token) &&
        token->valuestring[0] && cJSON_IsNumber(expires) && expires->valuedouble > now + 60 &&
        cJSON_IsNumber(refresh_at) && cJSON_IsString(dialect)) {
        c->token = cwa_str_dup(token->valuestring, NULL); /* no memory: no cached token */
        if (c->token && cwa_secrets_set(&c->secrets, CWA_SECRET_TOKEN, c->token, strlen(c->token)) != 0)
            cwa_str_wipe_free(&c->token);
        if (c->token) {
            c->token_gen++;
            c->token_expires = expires->valuedouble;
            c->refresh_at = refresh_at->valuedouble;
            const cJSON *absolute = cJSON_GetObjectItem(root, "absolute");
            c->token_absolute = cJSON_IsNumber(absolute) ? absolute->valuedouble : 0;
            if (c->dialect == CWA_AUTH_AUTO)
                c->dialect = strcmp(dialect->valuestring, "apicredentials") == 0
                                 ? CWA_AUTH_APICREDENTIALS
                                 : CWA_AUTH_APITOKEN;
            cwa__log(c, CWA_LOG_DEBUG, "using the cached token (valid %.0fs more)",
                     c->token_expires - now);
        }
    }
    wipe_token(root);
    cJSON_Delete(root);
    return 0;
}

void cwa__token_cache_forget(cwa_client *c, const char *token)
{
    cwa_error err = {0};
    cJSON *root = NULL;
    if (!c->token_cache || !token || cache_read(c, &root, &err) != 0) {
        cwa_error_clear(&err);
        return;
    }
    /* another run may have stored a token of its own since: that one stays */
    const cJSON *cached = cJSON_GetObjectItem(root, "token");
    if (cJSON_IsString(cached) && strcmp(cached->valuestring, token) == 0 && unlink(c->token_cache) != 0)
        cwa__log(c, CWA_LOG_WARN, "token_cache: could not remove %s: %s", c->token_cache,
                 strerror(errno));
    wipe_token(root);
    cJSON_Delete(root);
}

void cwa__token_cache_store(cwa_client *c)
{
    if (!c->token_cache || !c->token)
        return;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return;
    cJSON_AddStringToObject(root, "server", c->server.base);
    cJSON_AddStringToObject(root, "username", c->username);
    cJSON_AddStringToObject(root, "dialect", dialect_name(c->dialect));
    cJSON_AddStringToObject(root, "token", c->token);
    cJSON_AddNumberToObject(root, "expires", c->token_expires);
    cJSON_AddNumberToObject(root, "refresh_at", c->refresh_at);
    cJSON_AddNumberToObject(root, "absolute", c->token_absolute);
    char *text = cJSON_PrintUnformatted(root);
    const cJSON *token = cJSON_GetObjectItem(root, "token");
    if (cJSON_IsString(token)) /* absent when cJSON ran out of memory adding it */
        cwa_wipe(token->valuestring, strlen(token->valuestring));
    cJSON_Delete(root);
    if (!text)
        return;
    /* write a private temporary file, then rename: readers never see half */
    size_t plen = strlen(c->token_cache);
    char *tmp = malloc(plen + 8);
    int ok = 0;
    if (tmp) {
        memcpy(tmp, c->token_cache, plen);
        memcpy(tmp + plen, ".XXXXXX", 8);
        int fd = mkstemp(tmp);
        if (fd >= 0) {
            size_t len = strlen(text);
            ok = fchmod(fd, 0600) == 0 && write(fd, text, len) == (ssize_t)len;
            ok = close(fd) == 0 && ok;
            ok = ok && rename(tmp, c->token_cache) == 0;
            if (!ok)
                unlink(tmp);
        }
    }
    if (!ok)
        cwa__log(c, CWA_LOG_WARN, "token_cache: could not write %s: %s", c->token_cache,
                 strerror(errno));
    free(tmp);
    cwa_str_wipe_free(&text);
}
