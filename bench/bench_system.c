/* What OTELRS_SYSTEM_METRICS costs.
 *
 *   bench_system collect GROUPS   CPU time of one collection (otelrs_sdk_collect_json of the
 *                                 memory exporter, JSON encoding included) with the groups
 *                                 on: "collect_cpu_ms X" and "points N".
 *   bench_system record GROUPS    the recording hot path while a file exporter (to
 *                                 /dev/null) collects every 100 ms with the groups on:
 *                                 "counter_add_bound X" and "counter_add_3_attrs_by_array X"
 *                                 in ns/op, medians of 7 rounds. */
#include "bench_common.h"

#define COLLECTIONS 100
#define OPS 2000000

static double cpu_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int collect(const char *groups) {
    otelrs_sdk *sdk = sdk_with((const char *const[]){"OTEL_METRICS_EXPORTER", "memory", "OTEL_LOGS_EXPORTER",
                                                      "none", "OTELRS_SYSTEM_METRICS", groups, NULL});
    char *json;
    MUST(otelrs_sdk_collect_json(sdk, &json)); /* the first one builds the streams */
    otelrs_string_free(json);
    double start = cpu_ms();
    for (int i = 0; i < COLLECTIONS; i++) {
        MUST(otelrs_sdk_collect_json(sdk, &json));
        if (i < COLLECTIONS - 1) otelrs_string_free(json);
    }
    double per = (cpu_ms() - start) / COLLECTIONS;
    size_t points = 0;
    for (const char *p = json; (p = strstr(p, "\"timeUnixNano\"")); p++) points++;
    otelrs_string_free(json);
    printf("collect_cpu_ms %.3f\npoints %zu\n", per, points);
    MUST(otelrs_sdk_shutdown(sdk, 5000));
    otelrs_sdk_free(sdk);
    return 0;
}

static int record(const char *groups) {
    otelrs_sdk *sdk = sdk_with((const char *const[]){
        "OTEL_METRICS_EXPORTER", "file", "OTELRS_EXPORTER_FILE_METRICS_PATH", "/dev/null",
        "OTEL_METRIC_EXPORT_INTERVAL", "100", "OTEL_LOGS_EXPORTER", "none", "OTELRS_SYSTEM_METRICS", groups, NULL});
    otelrs_meter *meter;
    MUST(otelrs_meter_new(sdk, "bench", NULL, &meter));
    otelrs_counter_u64 *c;
    MUST(otelrs_counter_u64_new(meter, "bench.count", "", "", &c));
    otelrs_attribute attrs[] = {OTELRS_STR("http.route", "/api/orders"), OTELRS_STR("http.method", "GET"),
                                OTELRS_STR("region", "eu-west-1")};
    otelrs_attributes *set;
    MUST(otelrs_attributes_new(attrs, 3, &set));
    otelrs_bound_counter_u64 *bound;
    MUST(otelrs_counter_u64_bind(c, set, &bound));
    double bound_ns[ROUNDS], array_ns[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double t = now_ns();
        for (int i = 0; i < OPS; i++) MUST(otelrs_bound_counter_u64_add(bound, 1));
        bound_ns[r] = (now_ns() - t) / OPS;
        t = now_ns();
        for (int i = 0; i < OPS; i++) MUST(otelrs_counter_u64_add(c, 1, attrs, 3));
        array_ns[r] = (now_ns() - t) / OPS;
    }
    qsort(bound_ns, ROUNDS, sizeof(double), cmp);
    qsort(array_ns, ROUNDS, sizeof(double), cmp);
    printf("counter_add_bound %.2f\ncounter_add_3_attrs_by_array %.2f\n", bound_ns[ROUNDS / 2],
           array_ns[ROUNDS / 2]);
    otelrs_bound_counter_u64_free(bound);
    otelrs_attributes_free(set);
    otelrs_counter_u64_free(c);
    otelrs_meter_free(meter);
    MUST(otelrs_sdk_shutdown(sdk, 5000));
    otelrs_sdk_free(sdk);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "collect")) return collect(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "record")) return record(argv[2]);
    fprintf(stderr, "usage: bench_system collect|record GROUPS\n");
    return 2;
}
