#include "unit.h"

#include <stdlib.h>

enum { MAX_TESTS = 1024 };

static struct {
    const char *name;
    unit_fn fn;
} tests[MAX_TESTS];
static int ntests;
static int current_failed;

void unit_register(const char *name, unit_fn fn)
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "too many unit tests\n");
        exit(2);
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

void unit_fail(const char *file, int line, const char *what)
{
    printf("#   %s:%d: %s\n", file, line, what);
    current_failed = 1;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int run = 0, failed = 0;
    for (int i = 0; i < ntests; i++) {
        if (filter && !strstr(tests[i].name, filter))
            continue;
        current_failed = 0;
        tests[i].fn();
        run++;
        printf("%s %d - %s\n", current_failed ? "not ok" : "ok", run, tests[i].name);
        failed += current_failed;
    }
    printf("1..%d\n", run);
    return failed ? 1 : 0;
}
