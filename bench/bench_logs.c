/* The logs side of the benchmark, through libotelrs.so as a C program calls it.
 *   bench_logs emit          ns per record emitted with 3 attributes (exporter: discard)
 *   bench_logs emit_env      the same with the exporters of the environment
 *   bench_logs filtered      ns per record below OTELRS_LOGS_MIN_SEVERITY, and per
 *                            otelrs_logger_enabled call for that severity
 *   bench_logs paced R S     emit R records/s (in chunks of 64, sleeping until each is due)
 *                            for S seconds with the exporters of the environment, then flush;
 *                            prints "emitted N dropped D"                                     */
#include "bench_common.h"

#define OPS 200000

/* Keys and values in the program's own buffers, as a request handler would have them. */
static char k1[] = "http.route", v1[] = "/users/{id}", k2[] = "http.request.method", v2[] = "GET",
            k3[] = "http.response.status_code", v3[] = "200";

static double median_ns(otelrs_logger *log, unsigned severity) {
    otelrs_attribute attrs[] = {OTELRS_STR(k1, v1), OTELRS_STR(k2, v2), OTELRS_STR(k3, v3)};
    double rounds[ROUNDS];
    for (int k = 0; k < ROUNDS; k++) {
        double t0 = now_ns();
        for (long i = 0; i < OPS; i++) {
            (void)otelrs_log(log, severity, "request served", attrs, 3);
        }
        rounds[k] = (now_ns() - t0) / OPS;
    }
    qsort(rounds, ROUNDS, sizeof(double), cmp);
    return rounds[ROUNDS / 2];
}

/* ns per `otelrs_logger_enabled` call for a severity below the minimum. */
static double enabled_ns(otelrs_logger *log, unsigned severity) {
    double rounds[ROUNDS];
    long enabled = 0;
    for (int k = 0; k < ROUNDS; k++) {
        double t0 = now_ns();
        for (long i = 0; i < OPS * 10; i++) enabled += otelrs_logger_enabled(log, severity);
        rounds[k] = (now_ns() - t0) / (OPS * 10);
    }
    if (enabled != 0) {
        fprintf(stderr, "a record below the minimum severity was enabled\n");
        exit(1);
    }
    qsort(rounds, ROUNDS, sizeof(double), cmp);
    return rounds[ROUNDS / 2];
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    otelrs_config *cfg;
    MUST(otelrs_config_new(&cfg));
    MUST(otelrs_config_set(cfg, "OTEL_METRICS_EXPORTER", "none"));
    if (strcmp(argv[1], "emit") == 0 || strcmp(argv[1], "filtered") == 0) {
        MUST(otelrs_config_set(cfg, "OTEL_LOGS_EXPORTER", "discard"));
    }
    if (strcmp(argv[1], "filtered") == 0) {
        MUST(otelrs_config_set(cfg, "OTELRS_LOGS_MIN_SEVERITY", "warn"));
    }
    otelrs_sdk *sdk;
    MUST(otelrs_sdk_new(cfg, &sdk));
    otelrs_config_free(cfg);
    otelrs_logger *log;
    MUST(otelrs_logger_new(sdk, "bench", NULL, &log));

    if (strcmp(argv[1], "emit") == 0) {
        printf("log_emit_3_attrs %.1f\n", median_ns(log, OTELRS_SEVERITY_INFO));
    } else if (strcmp(argv[1], "emit_env") == 0) {
        printf("log_emit_3_attrs_env %.1f\n", median_ns(log, OTELRS_SEVERITY_INFO));
    } else if (strcmp(argv[1], "filtered") == 0) {
        printf("log_filtered %.1f\n", median_ns(log, OTELRS_SEVERITY_DEBUG));
        printf("logger_enabled %.1f\n", enabled_ns(log, OTELRS_SEVERITY_DEBUG));
    } else if (argc == 4) {
        double rate = atof(argv[2]), seconds = atof(argv[3]);
        long total = (long)(rate * seconds);
        otelrs_attribute attrs[] = {OTELRS_STR(k1, v1), OTELRS_STR(k2, v2), OTELRS_STR(k3, v3)};
        double t0 = now_ns(), interval = 1e9 / rate;
        for (long i = 0; i < total; i++) {
            if ((i & 63) == 0) {
                /* Sleep until this chunk is due, as a program with other work would. */
                double wait = t0 + i * interval - now_ns();
                if (wait > 0) {
                    struct timespec ts = {(time_t)(wait / 1e9), (long)((long long)wait % 1000000000LL)};
                    nanosleep(&ts, NULL);
                }
            }
            (void)otelrs_log(log, OTELRS_SEVERITY_INFO, "request served", attrs, 3);
        }
        double elapsed = (now_ns() - t0) / 1e9;
        MUST(otelrs_sdk_force_flush(sdk, 30000));
        otelrs_log_stats s;
        MUST(otelrs_sdk_log_stats(sdk, &s));
        printf("emitted %llu dropped %llu seconds %.3f\n", (unsigned long long)s.emitted,
               (unsigned long long)s.dropped, elapsed);
    }
    MUST(otelrs_sdk_shutdown(sdk, 30000));
    otelrs_logger_free(log);
    otelrs_sdk_free(sdk);
    return 0;
}
