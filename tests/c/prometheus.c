/* Serves metrics to Prometheus. Settings come from the environment (the tests set
 * OTEL_METRICS_EXPORTER=prometheus and the port).
 *   prometheus RUN   records a known set of every kind, labelled run=RUN, prints "ready",
 *                    then serves until its standard input closes; with "otlp" or "file"
 *                    among the exporters too, it records a second time after a flush when it
 *                    reads a line, prints "again", and goes on serving. A line "files"
 *                    opens 100 files at once instead and prints "files N", N of them opened. */
#include "check.h"
#include <unistd.h>

static void observe(otelrs_observer *o, void *ud) {
    otelrs_attribute attrs[] = {OTELRS_STR("run", (const char *)ud), OTELRS_STR("pool", "main")};
    MUST(otelrs_observer_observe_f64(o, 0.25, attrs, 2));
}

static otelrs_counter_u64 *orders;
static otelrs_histogram_f64 *latency;

static void record(const char *run) {
    otelrs_attribute eu[] = {OTELRS_STR("run", run), OTELRS_STR("region", "eu"), OTELRS_BOOL("paid", true)};
    MUST(otelrs_counter_u64_add(orders, 3, eu, 3));
    otelrs_attribute route[] = {OTELRS_STR("run", run), OTELRS_STR("http.route", "/users")};
    MUST(otelrs_histogram_f64_record(latency, 0.004, route, 2));
    MUST(otelrs_histogram_f64_record(latency, 0.04, route, 2));
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    const char *run = argv[1];
    otelrs_sdk *sdk;
    MUST(otelrs_sdk_new(NULL, &sdk));
    otelrs_meter *m;
    MUST(otelrs_meter_new(sdk, "shop", "1.0", &m));

    MUST(otelrs_counter_u64_new(m, "shop.orders", "{order}", "Orders placed", &orders));
    const double bounds[] = {0.005, 0.01, 0.05};
    MUST(otelrs_histogram_f64_new(m, "http.server.request.duration", "s", "Request \"latency\"\nper route",
                                  bounds, 3, &latency));
    record(run);

    otelrs_counter_f64 *io;
    MUST(otelrs_counter_f64_new(m, "disk.io", "By", "Bytes written", &io));
    otelrs_attribute dots[] = {OTELRS_STR("run", run), OTELRS_STR("a.b", "dot"), OTELRS_STR("a_b", "underscore"),
                               OTELRS_STR("quote", "say \"hi\"\\ok\nnext")};
    MUST(otelrs_counter_f64_add(io, 1.5, dots, 4));

    otelrs_up_down_counter_i64 *conns;
    MUST(otelrs_up_down_counter_i64_new(m, "http.connections", "{connection}", "Open connections", &conns));
    otelrs_attribute r[] = {OTELRS_STR("run", run)};
    MUST(otelrs_up_down_counter_i64_add(conns, -2, r, 1));

    otelrs_gauge_i64 *temp;
    MUST(otelrs_gauge_i64_new(m, "room.temperature", "Cel", "Temperature", &temp));
    MUST(otelrs_gauge_i64_record(temp, 21, r, 1));

    otelrs_gauge_i64 *depth; /* no description: its help text is its name */
    MUST(otelrs_gauge_i64_new(m, "queue.depth", NULL, NULL, &depth));
    MUST(otelrs_gauge_i64_record(depth, 3, r, 1));

    otelrs_observable *util;
    MUST(otelrs_observable_gauge_f64_new(m, "pool.utilization", "1", "Pool use", observe, (void *)run, &util));

    otelrs_meter *other;
    MUST(otelrs_meter_new(sdk, "other.lib", NULL, &other));
    otelrs_counter_u64 *orders2;
    MUST(otelrs_counter_u64_new(other, "shop.orders", "{order}", "Orders placed", &orders2));
    MUST(otelrs_counter_u64_add(orders2, 7, r, 1));

    printf("ready\n");
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "files", 5) == 0) {
            /* The application's own files: open 100 at once, as a busy server might. */
            FILE *files[100];
            int opened = 0;
            for (int i = 0; i < 100; i++)
                if ((files[opened] = fopen("/dev/null", "r")) != NULL) opened++;
            for (int i = 0; i < opened; i++) fclose(files[i]);
            printf("files %d\n", opened);
            fflush(stdout);
            continue;
        }
        MUST(otelrs_sdk_force_flush(sdk, 10000));
        record(run);
        MUST(otelrs_sdk_force_flush(sdk, 10000));
        printf("again\n");
        fflush(stdout);
    }
    otelrs_observable_free(util);
    MUST(otelrs_sdk_shutdown(sdk, 5000));
    printf("stopped\n");
    return 0;
}
