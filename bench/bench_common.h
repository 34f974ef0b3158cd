/* What the C benchmarks share: failing loudly on a status, a monotonic clock in ns, and the
 * comparison that sorts the rounds for their median. */
#ifndef OTELRS_BENCH_COMMON_H
#define OTELRS_BENCH_COMMON_H

#define _POSIX_C_SOURCE 199309L
#include <otelrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 7

#define MUST(call)                                                               \
    do {                                                                         \
        if ((call) != OTELRS_OK) {                                               \
            fprintf(stderr, "%s: %s\n", #call, otelrs_last_error());             \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

/* An SDK from the settings given as key, value, ..., NULL (over the environment). */
__attribute__((unused)) static otelrs_sdk *sdk_with(const char *const *settings) {
    otelrs_config *cfg;
    MUST(otelrs_config_new(&cfg));
    for (; settings[0]; settings += 2) MUST(otelrs_config_set(cfg, settings[0], settings[1]));
    otelrs_sdk *sdk;
    MUST(otelrs_sdk_new(cfg, &sdk));
    otelrs_config_free(cfg);
    return sdk;
}

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif
