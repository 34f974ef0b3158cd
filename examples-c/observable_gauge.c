/* An observable gauge: otelrs calls back at each collection for the current values.
 *
 *   cc observable_gauge.c $(pkg-config --cflags --libs otelrs) -o observable_gauge
 *   OTEL_METRICS_EXPORTER=console OTEL_METRIC_EXPORT_INTERVAL=500 ./observable_gauge
 */
#include <otelrs.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CHECK(call)                                                              \
    do {                                                                         \
        otelrs_status s_ = (call);                                               \
        if (s_ != OTELRS_OK) {                                                   \
            fprintf(stderr, "%s failed: %s\n", #call, otelrs_last_error());      \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

struct queues {
    atomic_long depth[2];
};

/* Runs on an otelrs thread: report one observation per queue. */
static void observe_depth(otelrs_observer *observer, void *user_data) {
    struct queues *q = user_data;
    static const char *names[] = {"orders", "emails"};
    for (int i = 0; i < 2; i++) {
        otelrs_attribute attrs[] = {OTELRS_STR("queue", names[i])};
        if (otelrs_observer_observe_i64(observer, atomic_load(&q->depth[i]), attrs, 1) != OTELRS_OK) {
            fprintf(stderr, "observe failed: %s\n", otelrs_last_error());
        }
    }
}

int main(void) {
    otelrs_sdk *sdk;
    CHECK(otelrs_sdk_new(NULL, &sdk));
    otelrs_meter *meter;
    CHECK(otelrs_meter_new(sdk, "worker", NULL, &meter));

    struct queues q = {{7, 0}};
    otelrs_observable *gauge;
    CHECK(otelrs_observable_gauge_i64_new(meter, "queue.depth", "{item}", "Items waiting",
                                          observe_depth, &q, &gauge));
    for (int tick = 0; tick < 3; tick++) {
        atomic_fetch_add(&q.depth[1], 5);
        usleep(200 * 1000);
    }
    CHECK(otelrs_sdk_shutdown(sdk, 5000));
    otelrs_observable_free(gauge); /* after this returns, the callback never runs again */
    otelrs_meter_free(meter);
    otelrs_sdk_free(sdk);
    return 0;
}
