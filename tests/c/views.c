/* Views from C: each argument is added with otelrs_config_add_view (a refused one prints
 * "refused STATUS: message" and is left out), the memory exporter is set from code, the rest
 * comes from the environment. Records a fixed set of instruments and prints
 * otelrs_sdk_collect_json; "sdk refused STATUS: message" when otelrs_sdk_new fails. */
#include "check.h"

int main(int argc, char **argv) {
    otelrs_config *cfg;
    MUST(otelrs_config_new(&cfg));
    MUST(otelrs_config_set(cfg, "OTEL_METRICS_EXPORTER", "memory"));
    MUST(otelrs_config_set(cfg, "OTEL_LOGS_EXPORTER", "none"));
    for (int i = 1; i < argc; i++) {
        otelrs_status s = otelrs_config_add_view(cfg, argv[i]);
        if (s != OTELRS_OK) printf("refused %s: %s\n", otelrs_status_name(s), otelrs_last_error());
    }
    otelrs_sdk *sdk;
    otelrs_status s = otelrs_sdk_new(cfg, &sdk);
    otelrs_config_free(cfg);
    if (s != OTELRS_OK) {
        printf("sdk refused %s: %s\n", otelrs_status_name(s), otelrs_last_error());
        return 0;
    }
    otelrs_meter *shop, *noisy;
    MUST(otelrs_meter_new(sdk, "shop", "1.0", &shop));
    MUST(otelrs_meter_new(sdk, "noisy", NULL, &noisy));

    otelrs_counter_u64 *orders;
    MUST(otelrs_counter_u64_new(shop, "shop.orders", "{order}", "Orders", &orders));
    char region[16];
    for (int r = 0; r < 10; r++) {
        snprintf(region, sizeof region, "r%d", r);
        otelrs_attribute attrs[] = {OTELRS_STR("region", region), OTELRS_BOOL("paid", true)};
        MUST(otelrs_counter_u64_add(orders, (uint64_t)(r + 1), attrs, 2));
    }

    otelrs_histogram_f64 *latency;
    MUST(otelrs_histogram_f64_new(shop, "http.server.request.duration", "s", "Latency", NULL, 0, &latency));
    otelrs_attribute req[] = {OTELRS_STR("http.route", "/a"), OTELRS_STR("http.request.method", "GET"),
                              OTELRS_INT("user.id", 42)};
    const double values[] = {0.003, 0.02, 0.3};
    for (int i = 0; i < 3; i++) MUST(otelrs_histogram_f64_record(latency, values[i], req, 3));

    otelrs_histogram_u64 *db;
    MUST(otelrs_histogram_u64_new(shop, "db.duration", "ms", "", NULL, 0, &db));
    MUST(otelrs_histogram_u64_record(db, 12, NULL, 0));

    otelrs_gauge_f64 *depth;
    MUST(otelrs_gauge_f64_new(shop, "queue.depth", "{item}", "", &depth));
    MUST(otelrs_gauge_f64_record(depth, 5, NULL, 0));

    otelrs_counter_u64 *events;
    MUST(otelrs_counter_u64_new(noisy, "noisy.events", "", "", &events));
    MUST(otelrs_counter_u64_add(events, 7, NULL, 0));

    print_collected(sdk);
    MUST(otelrs_sdk_shutdown(sdk, 5000));
    return 0;
}
