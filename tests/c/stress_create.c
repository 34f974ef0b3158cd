/* Creating instruments while otelrs's threads collect, which must never deadlock.
 *
 *   stress_create create N   creates N counters and N / 10 observable gauges (recording on
 *                            each) while the metrics thread collects as often as it is told
 *                            to (the test sets OTEL_METRIC_EXPORT_INTERVAL=1 and otelrs's own
 *                            metrics, whose callbacks read otelrs's state); prints "created N".
 *   stress_create callback   an observable gauge whose callback tries what a callback may not
 *                            do (create an instrument, collect, flush, shut down): each call
 *                            must return OTELRS_ERR_IN_CALLBACK, and the SDK must go on
 *                            collecting afterwards. */
#include "check.h"

static otelrs_sdk *sdk;
static otelrs_meter *meter;

static void observe_one(otelrs_observer *o, void *user_data) {
    (void)user_data;
    (void)otelrs_observer_observe_i64(o, 1, NULL, 0);
}

static int create(long n) {
    for (long i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "stress.counter.%ld", i);
        otelrs_counter_u64 *c;
        MUST(otelrs_counter_u64_new(meter, name, NULL, NULL, &c));
        MUST(otelrs_counter_u64_add(c, 1, NULL, 0));
        otelrs_counter_u64_free(c);
        if (i % 10 == 0) {
            snprintf(name, sizeof name, "stress.gauge.%ld", i);
            otelrs_observable *g;
            MUST(otelrs_observable_gauge_i64_new(meter, name, NULL, NULL, observe_one, NULL, &g));
            otelrs_observable_free(g);
        }
    }
    printf("created %ld\n", n);
    return 0;
}

/* What the callback saw, checked on the main thread. */
static otelrs_status in_callback[4];
static char messages[4][512];
static int calls;

static void misbehave(otelrs_observer *o, void *user_data) {
    (void)user_data;
    calls++;
    otelrs_counter_u64 *c = NULL;
    char *json = NULL;
    in_callback[0] = otelrs_counter_u64_new(meter, "stress.inside", NULL, NULL, &c);
    snprintf(messages[0], sizeof messages[0], "%s", otelrs_last_error());
    in_callback[1] = otelrs_sdk_collect_json(sdk, &json);
    snprintf(messages[1], sizeof messages[1], "%s", otelrs_last_error());
    in_callback[2] = otelrs_sdk_force_flush(sdk, 100);
    snprintf(messages[2], sizeof messages[2], "%s", otelrs_last_error());
    in_callback[3] = otelrs_sdk_shutdown(sdk, 100);
    snprintf(messages[3], sizeof messages[3], "%s", otelrs_last_error());
    otelrs_counter_u64_free(c);
    otelrs_string_free(json);
    (void)otelrs_observer_observe_i64(o, 7, NULL, 0);
}

static int callback(void) {
    otelrs_observable *g;
    MUST(otelrs_observable_gauge_i64_new(meter, "stress.misbehaving", NULL, NULL, misbehave, NULL, &g));
    char *json;
    MUST(otelrs_sdk_collect_json(sdk, &json));
    EXPECT(strstr(json, "stress.misbehaving") != NULL, "the gauge's own observation is exported: %s", json);
    otelrs_string_free(json);
    EXPECT(calls == 1, "the callback ran once, not %d times", calls);
    for (int i = 0; i < 4; i++) {
        EXPECT(in_callback[i] == OTELRS_ERR_IN_CALLBACK, "call %d in the callback gave %s", i,
               otelrs_status_name(in_callback[i]));
        EXPECT(strstr(messages[i], "inside an observable instrument's callback") != NULL,
               "call %d: message \"%s\"", i, messages[i]);
    }
    /* The SDK is not shut down and goes on: a second collection runs the callback again. */
    MUST(otelrs_sdk_collect_json(sdk, &json));
    otelrs_string_free(json);
    EXPECT(calls == 2, "the callback ran again: %d", calls);
    otelrs_observable_free(g);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: stress_create create N | callback\n");
        return 2;
    }
    MUST(otelrs_sdk_new(NULL, &sdk));
    MUST(otelrs_meter_new(sdk, "stress", NULL, &meter));
    if (strcmp(argv[1], "create") == 0) {
        create(argc > 2 ? atol(argv[2]) : 20000);
    } else {
        callback();
    }
    EXPECT_OK(otelrs_sdk_shutdown(sdk, 5000));
    otelrs_meter_free(meter);
    otelrs_sdk_free(sdk);
    return SUMMARY();
}
