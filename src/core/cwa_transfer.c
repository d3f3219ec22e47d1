/* One HTTP attempt of a request on a pooled libcurl easy handle. The multi
 * handle keeps the connection cache, so every easy handle reuses the open
 * connections (keep-alive) whichever request it carries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cwa_internal.h"
#include "cwa_time.h"

static const char *const method_names[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

/* Returning a short count from either callback makes libcurl fail the
 * transfer with CURLE_WRITE_ERROR: r->too_large says when it was a cap,
 * else memory ran out. */
static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    cwa_req *r = ud;
    size_t len = size * n;
    /* libcurl hands over decoded bytes: a small gzip answer cannot grow
     * past the cap */
    if (len > r->client->cfg.max_body - r->resp.len) {
        r->too_large = TOO_LARGE_BODY;
        return 0;
    }
    return cwa_buf_append(&r->resp, data, len) == 0 ? len : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    cwa_req *r = ud;
    size_t len = size * n;
    if (len > CWA_HEADERS_MAX - r->header_bytes) {
        r->too_large = TOO_LARGE_HEADERS;
        return 0;
    }
    r->header_bytes += len;
    cwa_headers_line(&r->hdr, data, len, cwa_time_now());
    return len;
}

/* Pages arrive while the caller decodes or consumes earlier ones, and no
 * thread reads the socket meanwhile: a large receive buffer lets the kernel
 * take whole pages in the background instead of stalling the server. The
 * kernel caps the value at net.core.rmem_max. */
static int on_socket(void *ud, curl_socket_t fd, curlsocktype purpose)
{
    (void)ud;
    if (purpose == CURLSOCKTYPE_IPCXN) {
        int size = 4 * 1024 * 1024;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    return CURL_SOCKOPT_OK;
}

static CURL *take_easy(cwa_client *c)
{
    if (c->npool > 0) {
        CURL *e = c->pool[--c->npool];
        curl_easy_reset(e);
        return e;
    }
    return curl_easy_init();
}

static void give_easy(cwa_client *c, CURL *e)
{
    if ((size_t)c->npool < sizeof c->pool / sizeof c->pool[0])
        c->pool[c->npool++] = e;
    else
        curl_easy_cleanup(e);
}

static struct curl_slist *add_header(struct curl_slist *list, const char *line, int *failed)
{
    struct curl_slist *l = curl_slist_append(list, line);
    if (!l)
        *failed = 1;
    return l ? l : list;
}

static struct curl_slist *build_headers(cwa_client *c, cwa_req *r, const char *bearer, int *failed)
{
    struct curl_slist *h = NULL;
    cwa_buf line = {0};
    h = add_header(h, "Accept: application/json", failed);
    if (r->body)
        h = add_header(h, "Content-Type: application/json", failed);
    /* libcurl adds "Expect: 100-continue" to larger bodies: one more round trip for nothing. */
    h = add_header(h, "Expect:", failed);
    if (c->client_id && cwa_buf_printf(&line, "ClientId: %s", c->client_id) == 0)
        h = add_header(h, line.data, failed);
    cwa_buf_reset(&line);
    if (bearer && cwa_buf_printf(&line, "Authorization: Bearer %s", bearer) == 0)
        h = add_header(h, line.data, failed);
    if (line.data)
        memset(line.data, 0, line.cap); /* the token leaves no copy behind */
    cwa_buf_free(&line);
    return h;
}

int cwa__transfer_start(cwa_client *c, cwa_req *r, const char *bearer, cwa_error *err)
{
    int failed = 0;
    CURL *e = take_easy(c);
    if (!e) {
        cwa_error_set(err, CWA_E_NOMEM, "out of memory starting a request");
        return -1;
    }
    cwa_buf_reset(&r->resp);
    cwa_headers_init(&r->hdr);
    r->header_bytes = 0;
    r->too_large = TOO_LARGE_NO;
    r->status = 0;
    r->curl_msg[0] = '\0';
    r->headers = build_headers(c, r, bearer, &failed);
    if (failed) {
        curl_slist_free_all(r->headers);
        r->headers = NULL;
        give_easy(c, e);
        cwa_error_set(err, CWA_E_NOMEM, "out of memory building headers");
        return -1;
    }

    curl_easy_setopt(e, CURLOPT_URL, r->url.data);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_msg);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "cwa/" CWA_VERSION);
    /* Redirects are not followed: a redirect carrying our Authorization and
     * ClientId headers elsewhere is exactly what must not happen. */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(c->cfg.timeout * 1000));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->cfg.connect_timeout * 1000));
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->cfg.verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->cfg.verify_tls ? 2L : 0L);
    if (c->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
    /* A proxy from the environment would see the password and the token of
     * a plain http:// server in the clear: only an explicit one is used. */
    if (c->proxy)
        curl_easy_setopt(e, CURLOPT_PROXY, c->proxy);
    else if (strcmp(c->server.scheme, "http") == 0)
        curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_socket);

    switch (r->method) {
    case CWA_GET: curl_easy_setopt(e, CURLOPT_HTTPGET, 1L); break;
    case CWA_POST: curl_easy_setopt(e, CURLOPT_POST, 1L); break;
    default: curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method_names[r->method]); break;
    }
    /* libcurl silently sends a request again when a reused connection turns
     * out dead; for a POST or PATCH the server may already have acted on
     * the first copy, so those go on a fresh connection. */
    if (r->kind == KIND_DATA && (r->method == CWA_POST || r->method == CWA_PATCH))
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    if (r->body || r->method == CWA_POST || r->method == CWA_PUT || r->method == CWA_PATCH) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(r->body ? r->bodylen : 0));
    }

    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        curl_slist_free_all(r->headers);
        r->headers = NULL;
        give_easy(c, e);
        cwa_error_set(err, CWA_E_NOMEM, "libcurl refused a transfer");
        return -1;
    }
    r->easy = e;
    r->state = REQ_FLIGHT;
    r->attempts++;
    r->started = cwa_time_mono();
    r->waited = r->queued_at > 0 ? r->started - r->queued_at : 0;
    r->rate_observed = 0;
    c->in_flight++;
    cwa_rate_sent(&c->rate);
    return 0;
}

void cwa__transfer_release(cwa_client *c, cwa_req *r)
{
    if (!r->easy)
        return;
    if (cwa__forked(c)) {
        /* in a child the transfer runs on the parent's connection: removing
         * it would close that (a TLS close_notify on the parent's socket),
         * so the handle is left to the process's end */
    } else {
        curl_multi_remove_handle(c->multi, r->easy);
        /* The handle still points at our header list; reset before pooling. */
        curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, NULL);
        give_easy(c, r->easy);
    }
    r->easy = NULL;
    curl_slist_free_all(r->headers);
    r->headers = NULL;
    c->in_flight--;
    cwa_rate_settled(&c->rate, r->rate_observed, cwa_time_mono());
}

cwa_net_error cwa__net_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK: return CWA_NET_NONE;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return CWA_NET_RESOLVE;
    case CURLE_COULDNT_CONNECT: return CWA_NET_CONNECT;
    case CURLE_OPERATION_TIMEDOUT: return CWA_NET_TIMEOUT;
    case CURLE_SEND_ERROR: return CWA_NET_SEND;
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return CWA_NET_RECV;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: return CWA_NET_TLS;
    default: return CWA_NET_OTHER;
    }
}

const char *cwa__method_name(cwa_method m)
{
    return method_names[m];
}
