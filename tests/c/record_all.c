/* Records every instrument kind with known values, in two phases separated by a flush, and
 * shuts down. Settings come from the environment, so one program feeds the memory, file and
 * OTLP (gRPC, HTTP) checks in tests/test_c_programs.py and tests/test_collector.py.
 * With "memory" among the exporters it prints collect_json of each phase on stdout. */
#include "check.h"
#include <unistd.h>

static otelrs_sdk *sdk;


static void observe_u64(otelrs_observer *o, void *ud) {
    (void)ud;
    otelrs_attribute cpu0[] = {OTELRS_INT("cpu", 0)}, cpu1[] = {OTELRS_INT("cpu", 1)};
    MUST(otelrs_observer_observe_u64(o, 100, cpu0, 1));
    MUST(otelrs_observer_observe_u64(o, 200, cpu1, 1));
}

static void observe_i64(otelrs_observer *o, void *ud) {
    MUST(otelrs_observer_observe_i64(o, *(const int64_t *)ud, NULL, 0));
}

static void observe_f64(otelrs_observer *o, void *ud) {
    otelrs_attribute room[] = {OTELRS_STR("room", "a")};
    MUST(otelrs_observer_observe_f64(o, *(const double *)ud, room, 1));
}

static void print_collection(const char *phase) {
    const char *exporters = getenv("OTEL_METRICS_EXPORTER");
    if (!exporters || !strstr(exporters, "memory")) return;
    char *json;
    MUST(otelrs_sdk_collect_json(sdk, &json));
    printf("%s %s\n", phase, json);
    fflush(stdout);
    otelrs_string_free(json);
}

int main(void) {
    MUST(otelrs_sdk_new(NULL, &sdk));
    otelrs_meter *m;
    MUST(otelrs_meter_new(sdk, "e2e", "1.2.3", &m));

    otelrs_counter_u64 *cu;
    otelrs_counter_f64 *cf;
    otelrs_up_down_counter_i64 *ui;
    otelrs_up_down_counter_f64 *uf;
    otelrs_histogram_u64 *hu;
    otelrs_histogram_f64 *hf;
    otelrs_gauge_u64 *gu;
    otelrs_gauge_i64 *gi;
    otelrs_gauge_f64 *gf;
    otelrs_counter_u64 *types;
    MUST(otelrs_counter_u64_new(m, "e2e.counter_u64", "{request}", "Requests served", &cu));
    MUST(otelrs_counter_f64_new(m, "e2e.counter_f64", "s", "CPU seconds", &cf));
    MUST(otelrs_up_down_counter_i64_new(m, "e2e.updown_i64", "{connection}", "Open connections", &ui));
    MUST(otelrs_up_down_counter_f64_new(m, "e2e.updown_f64", "By", "Buffered bytes", &uf));
    const double bounds[] = {10, 100};
    MUST(otelrs_histogram_u64_new(m, "e2e.histogram_u64", "By", "Payload sizes", bounds, 2, &hu));
    MUST(otelrs_histogram_f64_new(m, "e2e.histogram_f64", "s", "Latencies", NULL, 0, &hf));
    MUST(otelrs_gauge_u64_new(m, "e2e.gauge_u64", "{thread}", "Threads", &gu));
    MUST(otelrs_gauge_i64_new(m, "e2e.gauge_i64", "Cel", "Outside temperature", &gi));
    MUST(otelrs_gauge_f64_new(m, "e2e.gauge_f64", "Cel", "Body temperature", &gf));
    MUST(otelrs_counter_u64_new(m, "e2e.attribute_types", NULL, NULL, &types));

    int64_t updown_value = -2, gauge_i64_value = -11;
    double counter_f64_value = 1.25, updown_f64_value = 0.5, gauge_f64_value = 2.5;
    otelrs_observable *obs[7];
    MUST(otelrs_observable_counter_u64_new(m, "e2e.observable_counter_u64", "{tick}", "Ticks", observe_u64, NULL, &obs[0]));
    MUST(otelrs_observable_counter_f64_new(m, "e2e.observable_counter_f64", "s", "Busy time", observe_f64, &counter_f64_value, &obs[1]));
    MUST(otelrs_observable_up_down_counter_i64_new(m, "e2e.observable_updown_i64", "{item}", "Backlog", observe_i64, &updown_value, &obs[2]));
    MUST(otelrs_observable_up_down_counter_f64_new(m, "e2e.observable_updown_f64", "By", "Cache", observe_f64, &updown_f64_value, &obs[3]));
    MUST(otelrs_observable_gauge_u64_new(m, "e2e.observable_gauge_u64", "{cpu}", "Cores busy", observe_u64, NULL, &obs[4]));
    MUST(otelrs_observable_gauge_i64_new(m, "e2e.observable_gauge_i64", "Cel", "Freezer", observe_i64, &gauge_i64_value, &obs[5]));
    MUST(otelrs_observable_gauge_f64_new(m, "e2e.observable_gauge_f64", "1", "Load", observe_f64, &gauge_f64_value, &obs[6]));

    /* Phase 1. */
    otelrs_attribute route_a[] = {OTELRS_STR("route", "/a"), OTELRS_BOOL("ok", true)};
    otelrs_attribute route_a_reordered[] = {OTELRS_BOOL("ok", true), OTELRS_STR("route", "/a")};
    otelrs_attribute route_b[] = {OTELRS_STR("route", "/b"), OTELRS_BOOL("ok", false)};
    otelrs_attributes *set_a;
    otelrs_bound_counter_u64 *bound_a;
    MUST(otelrs_attributes_new(route_a, 2, &set_a));
    MUST(otelrs_counter_u64_bind(cu, set_a, &bound_a));
    MUST(otelrs_counter_u64_add(cu, 3, route_a, 2));
    MUST(otelrs_counter_u64_add(cu, 4, route_a_reordered, 2));
    MUST(otelrs_counter_u64_add_set(cu, 5, set_a));
    MUST(otelrs_bound_counter_u64_add(bound_a, 6));
    MUST(otelrs_counter_u64_add(cu, 1, route_b, 2));

    otelrs_attribute kv[] = {OTELRS_STR("k", "v")};
    MUST(otelrs_counter_f64_add(cf, 1.5, kv, 1));
    MUST(otelrs_counter_f64_add(cf, 2.25, kv, 1));
    MUST(otelrs_up_down_counter_i64_add(ui, 10, NULL, 0));
    MUST(otelrs_up_down_counter_i64_add(ui, -3, NULL, 0));
    MUST(otelrs_up_down_counter_f64_add(uf, 2.5, NULL, 0));
    MUST(otelrs_up_down_counter_f64_add(uf, -1.0, NULL, 0));
    MUST(otelrs_histogram_u64_record(hu, 5, NULL, 0));
    MUST(otelrs_histogram_u64_record(hu, 50, NULL, 0));
    MUST(otelrs_histogram_u64_record(hu, 500, NULL, 0));
    otelrs_attributes *set_h;
    otelrs_bound_histogram_f64 *bound_h;
    otelrs_attribute method[] = {OTELRS_STR("method", "GET")};
    MUST(otelrs_attributes_new(method, 1, &set_h));
    MUST(otelrs_histogram_f64_bind(hf, set_h, &bound_h));
    MUST(otelrs_bound_histogram_f64_record(bound_h, 0.5));
    MUST(otelrs_histogram_f64_record_set(hf, 7.0, set_h));
    MUST(otelrs_gauge_u64_record(gu, 7, NULL, 0));
    MUST(otelrs_gauge_u64_record(gu, 9, NULL, 0));
    MUST(otelrs_gauge_i64_record(gi, -4, NULL, 0));
    MUST(otelrs_gauge_f64_record(gf, 36.6, NULL, 0));

    const char *strs[] = {"x", "y"};
    const bool bools[] = {true, false};
    const int64_t ints[] = {1, -2, 3};
    const double dbls[] = {0.5, 1.5};
    otelrs_attribute all[] = {
        OTELRS_STR("str", "text"),          OTELRS_BOOL("bool", true),
        OTELRS_INT("int", -42),             OTELRS_DOUBLE("double", 2.5),
        OTELRS_STR_ARRAY("strs", strs, 2),  OTELRS_BOOL_ARRAY("bools", bools, 2),
        OTELRS_INT_ARRAY("ints", ints, 3),  OTELRS_DOUBLE_ARRAY("doubles", dbls, 2),
    };
    MUST(otelrs_counter_u64_add(types, 1, all, 8));

    print_collection("phase1");
    otelrs_status flushed = otelrs_sdk_force_flush(sdk, 10000);
    if (flushed != OTELRS_OK) {
        fprintf(stderr, "flush: %s\n", otelrs_last_error());
        return 1;
    }

    /* Phase 2: a delta exporter sees only this. */
    MUST(otelrs_counter_u64_add(cu, 10, route_a, 2));
    MUST(otelrs_histogram_u64_record(hu, 1, NULL, 0));
    updown_value = -5;
    print_collection("phase2");

    otelrs_status down = otelrs_sdk_shutdown(sdk, 10000);
    if (down != OTELRS_OK) {
        fprintf(stderr, "shutdown: %s\n", otelrs_last_error());
        return 1;
    }
    for (int i = 0; i < 7; i++) otelrs_observable_free(obs[i]);
    otelrs_bound_counter_u64_free(bound_a);
    otelrs_bound_histogram_f64_free(bound_h);
    otelrs_attributes_free(set_a);
    otelrs_attributes_free(set_h);
    otelrs_counter_u64_free(cu);
    otelrs_counter_f64_free(cf);
    otelrs_up_down_counter_i64_free(ui);
    otelrs_up_down_counter_f64_free(uf);
    otelrs_histogram_u64_free(hu);
    otelrs_histogram_f64_free(hf);
    otelrs_gauge_u64_free(gu);
    otelrs_gauge_i64_free(gi);
    otelrs_gauge_f64_free(gf);
    otelrs_counter_u64_free(types);
    otelrs_meter_free(m);
    otelrs_sdk_free(sdk);
    printf("pid %d\n", (int)getpid());
    return 0;
}
