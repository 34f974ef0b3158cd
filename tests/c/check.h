/* A tiny assertion kit for the C tests: each EXPECT counts a pass or a failure, and
 * SUMMARY prints "N passed, M failed" and gives the exit code. */
#ifndef OTELRS_TEST_CHECK_H
#define OTELRS_TEST_CHECK_H
#include <otelrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed __attribute__((unused)), failed __attribute__((unused));

#define EXPECT(cond, ...)                                                        \
    do {                                                                         \
        if (cond) {                                                              \
            passed++;                                                            \
        } else {                                                                 \
            failed++;                                                            \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
        }                                                                        \
    } while (0)

/* The call returns `status` and the thread's last error mentions `fragment`. */
#define EXPECT_STATUS(status, fragment, call)                                    \
    do {                                                                         \
        otelrs_status got_ = (call);                                             \
        EXPECT(got_ == (status) && (got_ == OTELRS_OK ||                         \
                                    strstr(otelrs_last_error(), (fragment))),    \
               "%s gave %s, last error \"%s\"; expected %s mentioning \"%s\"",   \
               #call, otelrs_status_name(got_), otelrs_last_error(),             \
               otelrs_status_name(status), (fragment));                          \
    } while (0)

#define EXPECT_OK(call) EXPECT_STATUS(OTELRS_OK, "", call)

/* A call that must succeed for the test to go on. */
#define MUST(call)                                                               \
    do {                                                                         \
        otelrs_status s_ = (call);                                               \
        if (s_ != OTELRS_OK) {                                                   \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, \
                    otelrs_last_error());                                        \
            exit(2);                                                             \
        }                                                                        \
    } while (0)

/* Prints otelrs_sdk_collect_json on one line of standard output. */
static void __attribute__((unused)) print_collected(otelrs_sdk *sdk) {
    char *json;
    MUST(otelrs_sdk_collect_json(sdk, &json));
    printf("%s\n", json);
    fflush(stdout);
    otelrs_string_free(json);
}

/* The resident memory of this process, in kB (-1 if /proc cannot say). */
static long __attribute__((unused)) rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

#define SUMMARY()                                                                \
    (printf("%d passed, %d failed\n", passed, failed), failed == 0 ? 0 : 1)

#endif
