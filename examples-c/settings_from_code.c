/* Settings from code: the same keys as the environment variables, which they override.
 *
 *   cc settings_from_code.c $(pkg-config --cflags --libs otelrs) -o settings_from_code
 *   ./settings_from_code
 */
#include <otelrs.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call)                                                              \
    do {                                                                         \
        otelrs_status s_ = (call);                                               \
        if (s_ != OTELRS_OK) {                                                   \
            fprintf(stderr, "%s failed: %s\n", #call, otelrs_last_error());      \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

int main(void) {
    otelrs_config *cfg;
    CHECK(otelrs_config_new(&cfg));
    CHECK(otelrs_config_set(cfg, "OTEL_SERVICE_NAME", "checkout"));
    CHECK(otelrs_config_set(cfg, "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging"));
    CHECK(otelrs_config_set(cfg, "OTEL_METRICS_EXPORTER", "console"));
    CHECK(otelrs_config_set(cfg, "OTELRS_EXPORTER_CONSOLE_METRICS_TEMPORALITY_PREFERENCE", "delta"));

    /* A bad value is refused at once, with a message naming key and value. */
    if (otelrs_config_set(cfg, "OTEL_METRIC_EXPORT_INTERVAL", "soon") == OTELRS_ERR_CONFIG) {
        printf("refused as expected: %s\n", otelrs_last_error());
        fflush(stdout);
    }

    otelrs_sdk *sdk;
    CHECK(otelrs_sdk_new(cfg, &sdk));
    otelrs_config_free(cfg);

    otelrs_meter *meter;
    CHECK(otelrs_meter_new(sdk, "checkout", "2.3.1", &meter));
    otelrs_up_down_counter_i64 *active;
    CHECK(otelrs_up_down_counter_i64_new(meter, "checkout.active_sessions", "{session}", NULL, &active));
    CHECK(otelrs_up_down_counter_i64_add(active, 3, NULL, 0));
    CHECK(otelrs_up_down_counter_i64_add(active, -1, NULL, 0));

    CHECK(otelrs_sdk_shutdown(sdk, 5000));
    otelrs_up_down_counter_i64_free(active);
    otelrs_meter_free(meter);
    otelrs_sdk_free(sdk);
    return 0;
}
