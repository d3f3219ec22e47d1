/*
 * tls: the certificate and key for --tls.
 *
 * Contract: sim_tls_generate makes a P-256 key and a self-signed X.509
 * certificate (CN=127.0.0.1, subjectAltName IP:127.0.0.1 and DNS:localhost,
 * CA:TRUE so it can serve as its own trust anchor, valid from an hour ago
 * for 30 days), returns both as PEM strings and writes the certificate to a
 * new temporary file (path in cert_path) that sim_tls_free removes.
 * sim_tls_load reads given PEM files instead (nothing is removed then).
 * Both return 0, or -1 with a message on stderr.
 */
#ifndef SIM_TLS_H
#define SIM_TLS_H

typedef struct sim_tls {
    char *cert_pem;
    char *key_pem;
    char cert_path[256];
    int temp_file; /* cert_path is ours to remove */
} sim_tls;

int sim_tls_generate(sim_tls *t);
int sim_tls_load(sim_tls *t, const char *cert_file, const char *key_file);
void sim_tls_free(sim_tls *t);

#endif
