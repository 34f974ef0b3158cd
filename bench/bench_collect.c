/* The collection side of the benchmark, as bench/sdk-direct's `collect` and `overflow`.
 *   bench_collect collect SERIES ENCODING   SERIES series of one counter (three string
 *       attributes, one distinct per series), recorded once each; prints the resident memory
 *       they added (series_rss_bytes), the median time of a collection with its encoding
 *       (collect_ms), and the resident memory added once collections ran (after_rss_bytes).
 *       ENCODING: json (otelrs_sdk_collect_json of the memory exporter), protobuf (a flush
 *       through a metric exporter written in C that takes OTLP protobuf: collection, encoding
 *       and the hand-over to the collection thread), or prometheus (the text format from
 *       otelrs_sdk_prometheus_exposition, no port).
 *   bench_collect overflow   ns per counter add by array for 100 000 rotating attribute sets,
 *       98 % of them past the cardinality limit of 2 000. */
#include "bench_common.h"

/* The process's resident anonymous memory (heap and mappings of no file): the code pages a
 * path faults in the first time it runs are not memory the series take. */
static long rss(void) {
    long kb = 0;
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "RssAnon: %ld kB", &kb) == 1) break;
        fclose(f);
    }
    return kb * 1024;
}

static size_t exported;

static int take(const uint8_t *batch, size_t len, void *user_data) {
    (void)batch;
    (void)user_data;
    exported = len;
    return 0;
}

enum encoding { JSON, PROTOBUF, PROMETHEUS };

static double collect_once(otelrs_sdk *sdk, enum encoding encoding) {
    double t0 = now_ns();
    if (encoding == PROTOBUF) {
        exported = 0;
        MUST(otelrs_sdk_force_flush(sdk, 60000));
        if (exported == 0) {
            fprintf(stderr, "nothing exported\n");
            exit(1);
        }
    } else if (encoding == PROMETHEUS) {
        otelrs_exposition e;
        MUST(otelrs_sdk_prometheus_exposition(sdk, NULL, NULL, &e));
        otelrs_exposition_free(&e);
    } else {
        char *json;
        MUST(otelrs_sdk_collect_json(sdk, &json));
        otelrs_string_free(json);
    }
    return (now_ns() - t0) / 1e6;
}

static int collect(long series, const char *name) {
    enum encoding encoding = strcmp(name, "prometheus") == 0 ? PROMETHEUS
                             : strcmp(name, "protobuf") == 0 ? PROTOBUF
                                                             : JSON;
    char limit[32];
    snprintf(limit, sizeof limit, "%ld", series + 10);
    const char *exporter = encoding == PROMETHEUS ? "prometheus" : encoding == PROTOBUF ? "none" : "memory";
    const char *settings[] = {"OTEL_METRICS_EXPORTER", exporter, "OTELRS_PROMETHEUS_LISTEN", "false",
                              "OTELRS_METRICS_CARDINALITY_LIMIT", limit, "OTELRS_SYSTEM_METRICS", "none",
                              "OTEL_METRIC_EXPORT_INTERVAL", "3600000", NULL};
    otelrs_config *cfg;
    MUST(otelrs_config_new(&cfg));
    for (const char *const *s = settings; s[0]; s += 2) MUST(otelrs_config_set(cfg, s[0], s[1]));
    if (encoding == PROTOBUF) MUST(otelrs_config_add_metric_exporter(cfg, "bench", OTELRS_EXPORT_PROTOBUF, take, NULL));
    otelrs_sdk *sdk;
    MUST(otelrs_sdk_new(cfg, &sdk));
    otelrs_config_free(cfg);
    otelrs_meter *m;
    MUST(otelrs_meter_new(sdk, "bench", NULL, &m));
    otelrs_counter_u64 *c;
    MUST(otelrs_counter_u64_new(m, "bench.requests", NULL, NULL, &c));
    MUST(otelrs_counter_u64_add(c, 0, NULL, 0));
    long before = rss();
    char route[32];
    for (long i = 0; i < series; i++) {
        snprintf(route, sizeof route, "/route/%ld", i);
        otelrs_attribute attrs[] = {OTELRS_STR("http.route", route), OTELRS_STR("http.request.method", "GET"),
                                    OTELRS_STR("http.response.status_code", "200")};
        MUST(otelrs_counter_u64_add(c, (uint64_t)i + 1, attrs, 3));
    }
    long with_series = rss();
    int rounds = series >= 100000 ? 7 : 21;
    double t[21];
    for (int k = 0; k < rounds; k++) t[k] = collect_once(sdk, encoding);
    qsort(t, rounds, sizeof(double), cmp);
    printf("series_rss_bytes %ld\ncollect_ms %.3f\nafter_rss_bytes %ld\n", with_series - before,
           t[rounds / 2], rss() - before);
    MUST(otelrs_sdk_shutdown(sdk, 1000));
    return 0;
}

static int overflow(void) {
    otelrs_sdk *sdk = sdk_with((const char *const[]){"OTEL_METRICS_EXPORTER", "memory", NULL});
    otelrs_meter *m;
    MUST(otelrs_meter_new(sdk, "bench", NULL, &m));
    otelrs_counter_u64 *c;
    MUST(otelrs_counter_u64_new(m, "bench.flooded", NULL, NULL, &c));
    enum { OPS = 1000000 };
    char id[32];
    double r[ROUNDS];
    for (int k = 0; k < ROUNDS; k++) {
        double t0 = now_ns();
        for (long i = 0; i < OPS; i++) {
            snprintf(id, sizeof id, "user-%ld", i % 100000);
            otelrs_attribute attrs[] = {OTELRS_STR("user.id", id), OTELRS_STR("region", "eu")};
            (void)otelrs_counter_u64_add(c, 1, attrs, 2);
        }
        r[k] = (now_ns() - t0) / OPS;
    }
    qsort(r, ROUNDS, sizeof(double), cmp);
    printf("add_overflow %.1f\n", r[ROUNDS / 2]);
    MUST(otelrs_sdk_shutdown(sdk, 1000));
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "collect") == 0) return collect(atol(argv[2]), argv[3]);
    if (argc == 2 && strcmp(argv[1], "overflow") == 0) return overflow();
    return 2;
}
