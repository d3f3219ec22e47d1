/*
 * cwa_totp: two-factor codes computed from a base32 secret (RFC 6238 TOTP
 * over RFC 4226 HOTP, HMAC-SHA1 from OpenSSL libcrypto).
 *
 * Contract: no global state, reentrant, no allocation; secrets handled here
 * are wiped from the stack (OPENSSL_cleanse) before returning. The caller
 * owns the key and wipes it when done.
 *
 * cwa_base32_decode: RFC 4648 alphabet A-Z 2-7, case-insensitive; spaces and
 * '-' anywhere are ignored (secrets are shown in groups); '=' is accepted only
 * as trailing padding. -1 on any other byte (NUL included), on '=' followed by
 * data, on a length no encoder produces (1, 3 or 6 symbols past a multiple of
 * 8), and when the result does not fit in cap. Leftover bits of the last
 * symbol are dropped, as RFC 4648 decoders do. *outlen is set on success (0
 * for an input of only spaces); out may be NULL when cap is 0. On -1 the
 * first cap bytes of out may hold partial output.
 *
 * cwa_hotp_code: RFC 4226 for a counter. cwa_totp_code: RFC 6238 with
 * counter floor(unix_time / step_seconds). Both write `digits` (6..8) decimal
 * characters, zero-padded, NUL-terminated (outcap >= digits + 1) and return 0;
 * -1 for an empty key or one longer than INT_MAX, digits out of range, a step
 * below 1, a negative or non-finite time, a too small out, or an HMAC failure.
 */
#ifndef CWA_TOTP_H
#define CWA_TOTP_H

#include <stddef.h>
#include <stdint.h>

int cwa_base32_decode(const char *in, size_t len, unsigned char *out, size_t cap, size_t *outlen);
int cwa_hotp_code(const unsigned char *key, size_t keylen, uint64_t counter, int digits, char *out,
                  size_t outcap);
int cwa_totp_code(const unsigned char *key, size_t keylen, double unix_time, int step_seconds,
                  int digits, char *out, size_t outcap);

#endif
