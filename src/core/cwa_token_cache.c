/* token_cache: keeps the access token in a file of the user's (mode 0600)
 * so that short scripts run one after another log in once an hour, not once
 * a run. A file that others can read is refused, never silently used.
 *
 * The file holds {"sessions": [entry, ...]}, one entry per server, user and
 * ClientId, so that one file serves every account (the `cwa` command's
 * sessions); each entry is {server, username, client_id?, dialect, token,
 * expires, refresh_at, absolute}. A file of one bare entry (the form of
 * earlier versions) is read as that entry and replaced on the next store. */
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

static void wipe_token(cJSON *entry)
{
    const cJSON *token = cJSON_GetObjectItem(entry, "token");
    if (cJSON_IsString(token))
        cwa_wipe(token->valuestring, strlen(token->valuestring));
}

static void wipe_all(cJSON *root)
{
    const cJSON *list = cJSON_GetObjectItem(root, "sessions");
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        wipe_token((cJSON *)e);
    }
    wipe_token(root);
}

static void delete_root(cJSON *root)
{
    if (!root)
        return;
    wipe_all(root);
    cJSON_Delete(root);
}

/* A token goes into a header: one with a control character (CR, LF...) is
 * not a token the server gave, and is never sent. */
static int token_ok(const char *t)
{
    if (!t[0])
        return 0;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

static int same_string(const cJSON *item, const char *want)
{
    if (!want || !want[0])
        return item == NULL || (cJSON_IsString(item) && item->valuestring[0] == '\0');
    return cJSON_IsString(item) && strcmp(item->valuestring, want) == 0;
}

/* Whether entry belongs to this client's server, user and ClientId (an
 * entry of the one-entry form names no ClientId: server and user decide). */
static int entry_matches(const cwa_client *c, const cJSON *entry, int legacy)
{
    return same_string(cJSON_GetObjectItem(entry, "server"), c->server.base) &&
           same_string(cJSON_GetObjectItem(entry, "username"), c->username) &&
           (legacy || same_string(cJSON_GetObjectItem(entry, "client_id"), c->client_id));
}

static int entry_is_ours(const cwa_client *c, const cJSON *entry)
{
    return entry_matches(c, entry, 0);
}

/* The entries of a file read by cache_read: the "sessions" array, or the
 * root itself in the one-entry form (then *legacy is set). */
static const cJSON *entries_of(const cJSON *root, int *legacy)
{
    *legacy = 0;
    const cJSON *list = cJSON_GetObjectItem(root, "sessions");
    if (cJSON_IsArray(list))
        return list;
    if (cJSON_IsObject(root) && cJSON_GetObjectItem(root, "token"))
        *legacy = 1;
    return NULL;
}

static const cJSON *find_entry(const cwa_client *c, const cJSON *root)
{
    int legacy;
    const cJSON *list = entries_of(root, &legacy);
    if (legacy)
        return entry_matches(c, root, 1) ? root : NULL;
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        if (entry_is_ours(c, e))
            return e;
    }
    return NULL;
}

int cwa__token_cache_load(cwa_client *c, cwa_error *err)
{
    if (!c->token_cache)
        return 0;
    cJSON *root;
    if (cache_read(c, &root, err) != 0)
        return -1;
    const cJSON *entry = find_entry(c, root);
    const cJSON *token = cJSON_GetObjectItem(entry, "token");
    const cJSON *expires = cJSON_GetObjectItem(entry, "expires");
    const cJSON *refresh_at = cJSON_GetObjectItem(entry, "refresh_at");
    const cJSON *dialect = cJSON_GetObjectItem(entry, "dialect");
    double now = cwa_time_now();
    int dialect_ok =
        cJSON_IsString(dialect) &&
        (c->dialect == CWA_AUTH_AUTO || strcmp(dialect->valuestring, dialect_name(c->dialect)) == 0);
    if (entry && cJSON_IsString(token) && token_ok(token->valuestring) && cJSON_IsNumber(expires) &&
        expires->valuedouble > now + 60 && cJSON_IsNumber(refresh_at) && dialect_ok) {
        c->token = cwa_str_dup(token->valuestring, NULL); /* no memory: no cached token */
        if (c->token && cwa_secrets_set(&c->secrets, CWA_SECRET_TOKEN, c->token, strlen(c->token)) != 0)
            cwa_str_wipe_free(&c->token);
        if (c->token) {
            c->token_gen++;
            c->token_expires = expires->valuedouble;
            c->refresh_at = refresh_at->valuedouble;
            const cJSON *absolute = cJSON_GetObjectItem(entry, "absolute");
            c->token_absolute = cJSON_IsNumber(absolute) ? absolute->valuedouble : 0;
            if (c->dialect == CWA_AUTH_AUTO)
                c->dialect = strcmp(dialect->valuestring, "apicredentials") == 0
                                 ? CWA_AUTH_APICREDENTIALS
                                 : CWA_AUTH_APITOKEN;
            cwa__log(c, CWA_LOG_DEBUG, "using the cached token (valid %.0fs more)",
                     c->token_expires - now);
        }
    }
    delete_root(root);
    return 0;
}

/* Writes root to the cache file: a private temporary file, then rename, so
 * that readers never see half; with no entries left the file is removed. */
static void cache_write(cwa_client *c, cJSON *root)
{
    if (cJSON_GetArraySize(cJSON_GetObjectItem(root, "sessions")) == 0) {
        if (unlink(c->token_cache) != 0 && errno != ENOENT)
            cwa__log(c, CWA_LOG_WARN, "token_cache: could not remove %s: %s", c->token_cache,
                     strerror(errno));
        return;
    }
    char *text = cJSON_PrintUnformatted(root);
    if (!text)
        return;
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

/* A new root holding the entries of old (may be NULL) that are not this
 * client's and have not expired; NULL when out of memory. */
static cJSON *others_of(const cwa_client *c, const cJSON *old)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(root, "sessions");
    if (!list) {
        cJSON_Delete(root);
        return NULL;
    }
    int legacy;
    const cJSON *e;
    double now = cwa_time_now();
    cJSON_ArrayForEach(e, entries_of(old, &legacy))
    {
        const cJSON *expires = cJSON_GetObjectItem(e, "expires");
        if (entry_is_ours(c, e) || !cJSON_IsNumber(expires) || expires->valuedouble <= now)
            continue;
        cJSON *copy = cJSON_Duplicate(e, 1);
        if (!copy || !cJSON_AddItemToArray(list, copy)) {
            if (copy) {
                wipe_token(copy);
                cJSON_Delete(copy);
            }
            delete_root(root);
            return NULL;
        }
    }
    return root;
}

void cwa__token_cache_forget(cwa_client *c, const char *token)
{
    cwa_error err = {0};
    cJSON *old = NULL;
    if (!c->token_cache || !token || cache_read(c, &old, &err) != 0) {
        cwa_error_clear(&err);
        return;
    }
    /* another run may have stored a token of its own since: that one stays */
    const cJSON *cached = cJSON_GetObjectItem(find_entry(c, old), "token");
    if (cJSON_IsString(cached) && strcmp(cached->valuestring, token) == 0) {
        cJSON *root = others_of(c, old);
        if (root)
            cache_write(c, root);
        else if (unlink(c->token_cache) != 0) /* no memory: the file goes, ours with it */
            cwa__log(c, CWA_LOG_WARN, "token_cache: could not remove %s: %s", c->token_cache,
                     strerror(errno));
        delete_root(root);
    }
    delete_root(old);
}

void cwa__token_cache_store(cwa_client *c)
{
    if (!c->token_cache || !c->token)
        return;
    cwa_error err = {0};
    cJSON *old = NULL;
    if (cache_read(c, &old, &err) != 0) { /* a file of others' is not replaced */
        cwa__log(c, CWA_LOG_WARN, "%s", err.message);
        cwa_error_clear(&err);
        return;
    }
    cJSON *root = others_of(c, old);
    delete_root(old);
    cJSON *entry = cJSON_CreateObject();
    if (!root || !entry || !cJSON_AddItemToArray(cJSON_GetObjectItem(root, "sessions"), entry)) {
        cJSON_Delete(entry);
        delete_root(root);
        return;
    }
    cJSON_AddStringToObject(entry, "server", c->server.base);
    cJSON_AddStringToObject(entry, "username", c->username);
    if (c->client_id && c->client_id[0])
        cJSON_AddStringToObject(entry, "client_id", c->client_id);
    cJSON_AddStringToObject(entry, "dialect", dialect_name(c->dialect));
    cJSON_AddStringToObject(entry, "token", c->token);
    cJSON_AddNumberToObject(entry, "expires", c->token_expires);
    cJSON_AddNumberToObject(entry, "refresh_at", c->refresh_at);
    cJSON_AddNumberToObject(entry, "absolute", c->token_absolute);
    /* an entry cJSON could not complete (no memory) is not written */
    if (cJSON_GetObjectItem(entry, "absolute"))
        cache_write(c, root);
    delete_root(root);
}

int cwa_client_session(const cwa_client *c, cwa_session_info *out)
{
    memset(out, 0, sizeof *out);
    if (!c->token)
        return 0;
    out->expires = c->token_expires;
    out->absolute = c->token_absolute;
    out->dialect = cwa_client_dialect(c);
    return 1;
}
