/* Exemplars from C: a counter, a bound counter and a histogram recorded in a sampled trace,
 * in an unsampled one and in none. The exporter and the filter come from the environment:
 * with "memory" it prints otelrs_sdk_collect_json, with "prometheus" it prints "ready" and
 * serves until its standard input closes, with "otlp" the shutdown exports. */
#include "check.h"

int main(void) {
    otelrs_sdk *sdk;
    MUST(otelrs_sdk_new(NULL, &sdk));
    otelrs_meter *m;
    MUST(otelrs_meter_new(sdk, "ex", "1.0", &m));
    otelrs_counter_u64 *c;
    MUST(otelrs_counter_u64_new(m, "ex.orders", "{order}", "", &c));
    otelrs_histogram_f64 *h;
    const double bounds[] = {1, 10};
    MUST(otelrs_histogram_f64_new(m, "ex.latency", "s", "", bounds, 2, &h));
    otelrs_attribute eu[] = {OTELRS_STR("region", "eu")};
    otelrs_attributes *set;
    MUST(otelrs_attributes_new(eu, 1, &set));
    otelrs_bound_counter_u64 *bound;
    MUST(otelrs_counter_u64_bind(c, set, &bound));

    otelrs_trace_context sampled, unsampled, saved;
    MUST(otelrs_trace_context_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &sampled));
    MUST(otelrs_trace_context_parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", &unsampled));

    MUST(otelrs_counter_u64_add(c, 1, NULL, 0)); /* no trace */
    MUST(otelrs_trace_context_set_current(&unsampled, &saved));
    MUST(otelrs_counter_u64_add(c, 2, eu, 1));
    MUST(otelrs_trace_context_set_current(&sampled, NULL));
    MUST(otelrs_bound_counter_u64_add(bound, 3));
    for (int i = 0; i < 3; i++) MUST(otelrs_histogram_f64_record(h, 0.5 + i * 6, eu, 1)); /* 0.5, 6.5, 12.5 */
    MUST(otelrs_trace_context_set_current(&saved, NULL));

    const char *exporter = getenv("OTEL_METRICS_EXPORTER");
    if (exporter && strcmp(exporter, "memory") == 0) {
        print_collected(sdk);
    } else if (exporter && strcmp(exporter, "prometheus") == 0) {
        printf("ready\n"); /* then serves until standard input closes */
        fflush(stdout);
        char line[16];
        while (fgets(line, sizeof line, stdin)) {
        }
    }
    otelrs_bound_counter_u64_free(bound);
    otelrs_attributes_free(set);
    MUST(otelrs_sdk_shutdown(sdk, 10000));
    return 0;
}
