#include "tls.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static char *bio_string(BIO *b)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    return n > 0 ? sim_strndup(data, (size_t)n) : NULL;
}

static int add_ext(X509 *cert, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

int sim_tls_generate(sim_tls *t)
{
    memset(t, 0, sizeof *t);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    int ok = key && cert && cb && kb && RAND_bytes(serial, sizeof serial) == 1;
    if (ok) {
        serial[0] &= 0x7f; /* a positive serial */
        ok = (bn = BN_bin2bn(serial, sizeof serial, NULL)) != NULL &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
    }
    X509_NAME *name = ok ? X509_get_subject_name(cert) : NULL;
    ok = ok && X509_set_version(cert, 2) && X509_gmtime_adj(X509_getm_notBefore(cert), -3600) &&
         X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 86400) && X509_set_pubkey(cert, key) &&
         X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"cwa-sim", -1, -1,
                                    0) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1,
                                    0) &&
         X509_set_issuer_name(cert, name) &&
         add_ext(cert, NID_basic_constraints, "critical,CA:TRUE") == 0 &&
         add_ext(cert, NID_key_usage, "critical,digitalSignature,keyCertSign") == 0 &&
         add_ext(cert, NID_ext_key_usage, "serverAuth") == 0 &&
         add_ext(cert, NID_subject_key_identifier, "hash") == 0 &&
         add_ext(cert, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") == 0 &&
         X509_sign(cert, key, EVP_sha256()) > 0 && PEM_write_bio_X509(cb, cert) &&
         PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL);
    if (ok) {
        t->cert_pem = bio_string(cb);
        t->key_pem = bio_string(kb);
        ok = t->cert_pem && t->key_pem;
    }
    BN_free(bn);
    BIO_free(cb);
    BIO_free(kb);
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!ok) {
        fprintf(stderr, "cwa-sim: could not generate a certificate\n");
        sim_tls_free(t);
        return -1;
    }
    const char *dir = getenv("TMPDIR");
    snprintf(t->cert_path, sizeof t->cert_path, "%s/cwa-sim-ca-XXXXXX.pem", dir && *dir ? dir : "/tmp");
    int fd = mkstemps(t->cert_path, 4);
    if (fd < 0) {
        fprintf(stderr, "cwa-sim: cannot create %s\n", t->cert_path);
        sim_tls_free(t);
        return -1;
    }
    t->temp_file = 1;
    size_t len = strlen(t->cert_pem);
    ssize_t w = write(fd, t->cert_pem, len);
    close(fd);
    if (w != (ssize_t)len) {
        fprintf(stderr, "cwa-sim: cannot write %s\n", t->cert_path);
        sim_tls_free(t);
        return -1;
    }
    return 0;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t n = fread(buf + len, 1, 4096, f);
        len += n;
        if (n < 4096)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

int sim_tls_load(sim_tls *t, const char *cert_file, const char *key_file)
{
    memset(t, 0, sizeof *t);
    t->cert_pem = read_all(cert_file);
    t->key_pem = read_all(key_file);
    if (!t->cert_pem || !t->key_pem) {
        fprintf(stderr, "cwa-sim: cannot read %s or %s\n", cert_file, key_file);
        sim_tls_free(t);
        return -1;
    }
    snprintf(t->cert_path, sizeof t->cert_path, "%s", cert_file);
    return 0;
}

void sim_tls_free(sim_tls *t)
{
    if (t->temp_file)
        unlink(t->cert_path);
    free(t->cert_pem);
    if (t->key_pem) {
        OPENSSL_cleanse(t->key_pem, strlen(t->key_pem));
        free(t->key_pem);
    }
    memset(t, 0, sizeof *t);
}
