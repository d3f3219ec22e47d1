/*
 * cwa_time: clocks and the date formats the Automate API speaks.
 *
 * Contract: every function is pure and reentrant (no global state, no
 * allocation, no dependence on the TZ environment or the C locale). Epochs
 * are seconds since 1970-01-01T00:00:00Z as doubles (fractions kept).
 *
 * cwa_time_now: wall clock (CLOCK_REALTIME). cwa_time_mono: monotonic seconds
 * from an arbitrary origin; use it for every wait and deadline, since the wall
 * clock can jump.
 *
 * cwa_time_parse_iso reads exactly `len` bytes (no NUL needed; a NUL inside
 * makes it invalid):
 *   YYYY-MM-DD
 *   YYYY-MM-DD(T|t| )hh:mm[:ss][.f+][Z|z|+hh:mm|-hh:mm|+hhmm|-hhmm|+hh|-hh]
 * Without a zone the time is taken as UTC and *has_zone is 0 (the caller
 * decides what a zoneless server time means). Fields are range-checked
 * (month 1-12, the day against the month including leap years, hour < 24,
 * minute < 60, second <= 60, zone offset < 24h). A leap second ":60" is
 * accepted and read as :59. Up to 15 fraction digits count; more must still
 * be digits. Returns 0, or -1 and leaves the outputs untouched.
 *
 * cwa_time_parse_http reads the three date forms of RFC 7231 7.1.1.1
 * (IMF-fixdate, obsolete RFC 850, asctime). A two-digit RFC 850 year means
 * 2000-2069 for 00-69 and 1970-1999 for 70-99 (no clock is consulted, so the
 * result is deterministic). Surrounding spaces are allowed; names are
 * case-insensitive; the weekday name must be a real one but is not checked
 * against the date; "GMT" (or "UTC"/"Z") is required for the first two forms.
 * Returns 0 or -1.
 *
 * cwa_time_format_iso writes "YYYY-MM-DDThh:mm:ss" (UTC, NUL-terminated,
 * fraction truncated toward the past) for years 0000-9999; epochs outside
 * that range are clamped to its ends.
 *
 * cwa_days_from_civil / cwa_civil_from_days convert between proleptic
 * Gregorian dates and days since 1970-01-01 (valid for any int year).
 */
#ifndef CWA_TIME_H
#define CWA_TIME_H

#include <stddef.h>

double cwa_time_now(void);
double cwa_time_mono(void);

int cwa_time_parse_iso(const char *s, size_t len, double *epoch, int *has_zone);
int cwa_time_parse_http(const char *s, size_t len, double *epoch);
void cwa_time_format_iso(double epoch, char out[20]);

long long cwa_days_from_civil(long long y, int m, int d);
void cwa_civil_from_days(long long days, long long *y, int *m, int *d);

#endif
