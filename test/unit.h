/*
 * A minimal unit-test harness for the C core (pure functions only).
 *
 *   UNIT_TEST(cond_parses_equality) { CHECK(x == 1); CHECK_STR(a, "b"); }
 *
 * Tests register themselves at load time; build/cwa-unit runs them all (or
 * those whose name contains argv[1]) and prints one TAP line per test, then
 * exits non-zero when any check failed.
 */
#ifndef CWA_UNIT_H
#define CWA_UNIT_H

#include <stdio.h>
#include <string.h>

typedef void (*unit_fn)(void);
void unit_register(const char *name, unit_fn fn);
void unit_fail(const char *file, int line, const char *what);

#define UNIT_TEST(name)                                                                                 \
    static void unit_##name(void);                                                                      \
    __attribute__((constructor)) static void unit_reg_##name(void)                                      \
    {                                                                                                   \
        unit_register(#name, unit_##name);                                                              \
    }                                                                                                   \
    static void unit_##name(void)

#define CHECK(cond)                                                                                     \
    do {                                                                                                \
        if (!(cond))                                                                                    \
            unit_fail(__FILE__, __LINE__, #cond);                                                       \
    } while (0)

#define CHECK_STR(got, want)                                                                            \
    do {                                                                                                \
        const char *g_ = (got), *w_ = (want);                                                           \
        if (!g_ || strcmp(g_, w_) != 0) {                                                               \
            char m_[2048];                                                                              \
            snprintf(m_, sizeof m_, "%s: got \"%s\", want \"%s\"", #got, g_ ? g_ : "(null)", w_);       \
            unit_fail(__FILE__, __LINE__, m_);                                                          \
        }                                                                                               \
    } while (0)

#endif
