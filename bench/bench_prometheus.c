/* The Prometheus and cardinality side of the benchmark.
 *   bench_prometheus serve PORT   10 000 series (five counters of 2 000 attribute sets each)
 *                                 on a Prometheus endpoint at PORT; prints "ready", serves
 *                                 until its standard input closes
 *   bench_prometheus overflow     ns per counter add by array, for attribute sets that have a
 *                                 series and for sets past the cardinality limit (overflow) */
#include "bench_common.h"

#define OPS 1000000

static double per_add(otelrs_counter_u64 *c, long distinct) {
    char id[32];
    double r[ROUNDS];
    for (int k = 0; k < ROUNDS; k++) {
        double t0 = now_ns();
        for (long i = 0; i < OPS; i++) {
            snprintf(id, sizeof id, "user-%ld", i % distinct);
            otelrs_attribute attrs[] = {OTELRS_STR("user.id", id), OTELRS_STR("region", "eu")};
            (void)otelrs_counter_u64_add(c, 1, attrs, 2);
        }
        r[k] = (now_ns() - t0) / OPS;
    }
    qsort(r, ROUNDS, sizeof(double), cmp);
    return r[ROUNDS / 2];
}

static int overflow(void) {
    otelrs_sdk *sdk = sdk_with((const char *const[]){"OTEL_METRICS_EXPORTER", "memory", NULL});
    otelrs_meter *m;
    MUST(otelrs_meter_new(sdk, "bench", NULL, &m));
    otelrs_counter_u64 *normal, *flooded;
    MUST(otelrs_counter_u64_new(m, "bench.normal", NULL, NULL, &normal));
    MUST(otelrs_counter_u64_new(m, "bench.flooded", NULL, NULL, &flooded));
    /* 1 000 sets, all within the limit of 2 000; then 100 000 sets, 98 % of them past it. */
    printf("add_series %.1f\n", per_add(normal, 1000));
    printf("add_overflow %.1f\n", per_add(flooded, 100000));
    MUST(otelrs_sdk_shutdown(sdk, 1000));
    return 0;
}

static int serve(const char *port) {
    otelrs_sdk *sdk = sdk_with((const char *const[]){"OTEL_METRICS_EXPORTER", "prometheus",
                                                     "OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1",
                                                     "OTEL_EXPORTER_PROMETHEUS_PORT", port,
                                                     "OTEL_SERVICE_NAME", "bench", NULL});
    otelrs_meter *m;
    MUST(otelrs_meter_new(sdk, "bench", NULL, &m));
    char name[32], id[32];
    for (int n = 0; n < 5; n++) {
        otelrs_counter_u64 *c;
        snprintf(name, sizeof name, "bench.requests.%d", n);
        MUST(otelrs_counter_u64_new(m, name, "", "Requests", &c));
        for (int i = 0; i < 2000; i++) {
            snprintf(id, sizeof id, "/route/%d", i);
            otelrs_attribute attrs[] = {OTELRS_STR("http.route", id), OTELRS_STR("http.request.method", "GET")};
            MUST(otelrs_counter_u64_add(c, (uint64_t)i + 1, attrs, 2));
        }
    }
    printf("ready\n");
    fflush(stdout);
    char line[16];
    while (fgets(line, sizeof line, stdin)) {
    }
    MUST(otelrs_sdk_shutdown(sdk, 1000));
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(argv[2]);
    if (argc == 2 && strcmp(argv[1], "overflow") == 0) return overflow();
    return 2;
}
