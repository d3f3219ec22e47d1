#include "cwa_time.h"

#include <math.h>
#include <time.h>

double cwa_time_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return (double)time(NULL);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double cwa_time_mono(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Eras of 400 years repeat the Gregorian calendar exactly, so the day count
 * is era * 146097 plus the position inside the era; shifting the year to
 * start in March puts the leap day at the end, where it needs no branch. */
long long cwa_days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long mp = (m + 9) % 12;
    long long doy = (153 * mp + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cwa_civil_from_days(long long days, long long *y, int *m, int *d)
{
    days += 719468;
    long long era = (days >= 0 ? days : days - 146096) / 146097;
    long long doe = days - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (mm <= 2);
    *m = mm;
    *d = dd;
}

static int is_leap(long long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(long long y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly n digits at s[*i]; -1 when they are not all there. */
static int digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    if (len - *i < (size_t)n)
        return -1;
    for (int k = 0; k < n; k++) {
        char c = s[*i + (size_t)k];
        if (!is_digit(c))
            return -1;
        v = v * 10 + (c - '0');
    }
    *i += (size_t)n;
    *out = v;
    return 0;
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return -1;
    (*i)++;
    return 0;
}

static int check_fields(long long y, int mo, int d, int h, int mi, int sec)
{
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    if (h > 23 || mi > 59 || sec > 60)
        return -1;
    return 0;
}

/* A leap second (":60") is read as the last second of the minute: Automate
 * never sends one, and rolling into the next minute would change the date. */
static double to_epoch(long long y, int mo, int d, int h, int mi, int sec)
{
    if (sec == 60)
        sec = 59;
    return (double)cwa_days_from_civil(y, mo, d) * 86400.0 + h * 3600.0 + mi * 60.0 + sec;
}

int cwa_time_parse_iso(const char *s, size_t len, double *epoch, int *has_zone)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0, zone = 0;
    double frac = 0.0, offset = 0.0;
    if (!s)
        return -1;
    if (digits(s, len, &i, 4, &y) || expect(s, len, &i, '-') || digits(s, len, &i, 2, &mo) ||
        expect(s, len, &i, '-') || digits(s, len, &i, 2, &d))
        return -1;
    if (i < len) {
        char t = s[i];
        if (t != 'T' && t != 't' && t != ' ')
            return -1;
        i++;
        if (digits(s, len, &i, 2, &h) || expect(s, len, &i, ':') || digits(s, len, &i, 2, &mi))
            return -1;
        if (i < len && s[i] == ':') {
            i++;
            if (digits(s, len, &i, 2, &sec))
                return -1;
            if (i < len && (s[i] == '.' || s[i] == ',')) {
                double scale = 0.1;
                size_t start = ++i;
                while (i < len && is_digit(s[i])) {
                    /* Digits past the double's precision still have to be
                     * digits, but no longer change the value. */
                    if (i - start < 15) {
                        frac += (s[i] - '0') * scale;
                        scale /= 10.0;
                    }
                    i++;
                }
                if (i == start)
                    return -1;
            }
        }
        if (i < len) {
            char z = s[i];
            if (z == 'Z' || z == 'z') {
                i++;
                zone = 1;
            } else if (z == '+' || z == '-') {
                int oh, om = 0;
                i++;
                if (digits(s, len, &i, 2, &oh))
                    return -1;
                if (i < len && s[i] == ':') {
                    i++;
                    if (digits(s, len, &i, 2, &om))
                        return -1;
                } else if (i < len && digits(s, len, &i, 2, &om)) {
                    return -1;
                }
                if (oh > 23 || om > 59)
                    return -1;
                offset = (oh * 3600.0 + om * 60.0) * (z == '-' ? -1.0 : 1.0);
                zone = 1;
            } else {
                return -1;
            }
        }
        if (i != len)
            return -1;
    }
    if (check_fields(y, mo, d, h, mi, sec))
        return -1;
    if (epoch)
        *epoch = to_epoch(y, mo, d, h, mi, sec) + frac - offset;
    if (has_zone)
        *has_zone = zone;
    return 0;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive match of a word at s[*i]; the word must end there (no
 * letter follows), so "Sun" does not match the start of "Sunday". */
static int word(const char *s, size_t len, size_t *i, const char *w)
{
    size_t n = 0;
    while (w[n]) {
        if (*i + n >= len || lower(s[*i + n]) != w[n])
            return -1;
        n++;
    }
    if (*i + n < len && lower(s[*i + n]) >= 'a' && lower(s[*i + n]) <= 'z')
        return -1;
    *i += n;
    return 0;
}

static const char *const wdays_short[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const wdays_long[7] = {"monday", "tuesday",  "wednesday", "thursday",
                                          "friday", "saturday", "sunday"};
static const char *const months[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};

/* 1 for a short day name, 2 for a long one, -1 for neither. */
static int weekday(const char *s, size_t len, size_t *i)
{
    for (int k = 0; k < 7; k++) {
        if (word(s, len, i, wdays_short[k]) == 0)
            return 1;
        if (word(s, len, i, wdays_long[k]) == 0)
            return 2;
    }
    return -1;
}

static int month(const char *s, size_t len, size_t *i, int *mo)
{
    for (int k = 0; k < 12; k++) {
        if (word(s, len, i, months[k]) == 0) {
            *mo = k + 1;
            return 0;
        }
    }
    return -1;
}

static int spaces(const char *s, size_t len, size_t *i)
{
    size_t start = *i;
    while (*i < len && s[*i] == ' ')
        (*i)++;
    return *i > start ? 0 : -1;
}

/* One or two digits (asctime pads the day with a space, not a zero). */
static int day_digits(const char *s, size_t len, size_t *i, int *d)
{
    if (digits(s, len, i, 2, d) == 0)
        return 0;
    return digits(s, len, i, 1, d);
}

static int hms(const char *s, size_t len, size_t *i, int *h, int *mi, int *sec)
{
    if (digits(s, len, i, 2, h) || expect(s, len, i, ':') || digits(s, len, i, 2, mi) ||
        expect(s, len, i, ':') || digits(s, len, i, 2, sec))
        return -1;
    return 0;
}

static int gmt(const char *s, size_t len, size_t *i)
{
    if (word(s, len, i, "gmt") == 0 || word(s, len, i, "utc") == 0 || word(s, len, i, "z") == 0)
        return 0;
    return -1;
}

int cwa_time_parse_http(const char *s, size_t len, double *epoch)
{
    size_t i = 0;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, kind;
    if (!s)
        return -1;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    while (len > i && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    kind = weekday(s, len, &i);
    if (kind < 0)
        return -1;
    if (i < len && s[i] == ',') {
        i++;
        if (spaces(s, len, &i) || day_digits(s, len, &i, &d))
            return -1;
        if (i < len && s[i] == '-') {
            /* RFC 850: 06-Nov-94 (a four-digit year is tolerated). */
            i++;
            if (month(s, len, &i, &mo) || expect(s, len, &i, '-'))
                return -1;
            if (digits(s, len, &i, 4, &y) != 0) {
                if (digits(s, len, &i, 2, &y))
                    return -1;
                y += y < 70 ? 2000 : 1900;
            }
        } else {
            if (spaces(s, len, &i) || month(s, len, &i, &mo) || spaces(s, len, &i) ||
                digits(s, len, &i, 4, &y))
                return -1;
        }
        if (spaces(s, len, &i) || hms(s, len, &i, &h, &mi, &sec) || spaces(s, len, &i) ||
            gmt(s, len, &i))
            return -1;
    } else {
        /* asctime: Sun Nov  6 08:49:37 1994 */
        if (kind != 1 || spaces(s, len, &i) || month(s, len, &i, &mo) || spaces(s, len, &i) ||
            day_digits(s, len, &i, &d) || spaces(s, len, &i) || hms(s, len, &i, &h, &mi, &sec) ||
            spaces(s, len, &i) || digits(s, len, &i, 4, &y))
            return -1;
    }
    if (i != len || check_fields(y, mo, d, h, mi, sec))
        return -1;
    if (epoch)
        *epoch = to_epoch(y, mo, d, h, mi, sec);
    return 0;
}

void cwa_time_format_iso(double epoch, char out[20])
{
    static const double lo = -62167219200.0; /* 0000-01-01T00:00:00Z */
    static const double hi = 253402300799.0; /* 9999-12-31T23:59:59Z */
    long long y;
    int mo, d;
    if (epoch != epoch)
        epoch = 0.0;
    if (epoch < lo)
        epoch = lo;
    if (epoch > hi)
        epoch = hi;
    long long secs = (long long)floor(epoch);
    long long days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    long long rem = secs - days * 86400;
    cwa_civil_from_days(days, &y, &mo, &d);
    int h = (int)(rem / 3600), mi = (int)(rem / 60 % 60), sec = (int)(rem % 60);
    /* Hand-formatted: snprintf's truncation warnings cannot see the ranges. */
    char *p = out;
    int yy = (int)y;
    *p++ = (char)('0' + yy / 1000);
    *p++ = (char)('0' + yy / 100 % 10);
    *p++ = (char)('0' + yy / 10 % 10);
    *p++ = (char)('0' + yy % 10);
    *p++ = '-';
    *p++ = (char)('0' + mo / 10);
    *p++ = (char)('0' + mo % 10);
    *p++ = '-';
    *p++ = (char)('0' + d / 10);
    *p++ = (char)('0' + d % 10);
    *p++ = 'T';
    *p++ = (char)('0' + h / 10);
    *p++ = (char)('0' + h % 10);
    *p++ = ':';
    *p++ = (char)('0' + mi / 10);
    *p++ = (char)('0' + mi % 10);
    *p++ = ':';
    *p++ = (char)('0' + sec / 10);
    *p++ = (char)('0' + sec % 10);
    *p = '\0';
}
