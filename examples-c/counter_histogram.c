/* A counter and a histogram with attributes, shown on the console.
 *
 *   cc counter_histogram.c $(pkg-config --cflags --libs otelrs) -o counter_histogram
 *   OTEL_METRICS_EXPORTER=console ./counter_histogram
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
    otelrs_sdk *sdk;
    CHECK(otelrs_sdk_new(NULL, &sdk)); /* settings from OTEL_* environment variables */

    otelrs_meter *meter;
    CHECK(otelrs_meter_new(sdk, "shop", "1.0", &meter));

    otelrs_counter_u64 *orders;
    CHECK(otelrs_counter_u64_new(meter, "shop.orders", "{order}", "Orders placed", &orders));
    otelrs_histogram_f64 *latency;
    const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};
    CHECK(otelrs_histogram_f64_new(meter, "http.server.request.duration", "s",
                                   "Duration of HTTP requests", buckets, 8, &latency));

    /* Attributes by array: converted on each call. */
    otelrs_attribute eu[] = {OTELRS_STR("region", "eu"), OTELRS_BOOL("paid", true)};
    CHECK(otelrs_counter_u64_add(orders, 2, eu, 2));
    otelrs_attribute us[] = {OTELRS_STR("region", "us"), OTELRS_BOOL("paid", false)};
    CHECK(otelrs_counter_u64_add(orders, 1, us, 2));

    /* The hot path: an attribute set prepared once, bound once, then lookup-free. */
    otelrs_attribute route[] = {OTELRS_STR("http.route", "/users"), OTELRS_INT("http.response.status_code", 200)};
    otelrs_attributes *users;
    CHECK(otelrs_attributes_new(route, 2, &users));
    otelrs_bound_histogram_f64 *users_latency;
    CHECK(otelrs_histogram_f64_bind(latency, users, &users_latency));
    for (int i = 1; i <= 5; i++) {
        CHECK(otelrs_bound_histogram_f64_record(users_latency, 0.004 * i * i));
    }

    /* Shutdown exports what was recorded. */
    CHECK(otelrs_sdk_shutdown(sdk, 5000));

    otelrs_bound_histogram_f64_free(users_latency);
    otelrs_attributes_free(users);
    otelrs_histogram_f64_free(latency);
    otelrs_counter_u64_free(orders);
    otelrs_meter_free(meter);
    otelrs_sdk_free(sdk);
    return 0;
}
