/* The C side of the benchmark: each operation through libotelrs.so, as a C program calls it.
 * Prints "<operation> <ns/op>" lines: the median of several timed rounds. */
#include "bench_common.h"

#define OPS 2000000

#define BENCH(label, body)                                                       \
    do {                                                                         \
        double r_[ROUNDS];                                                       \
        for (int k_ = 0; k_ < ROUNDS; k_++) {                                    \
            double t0_ = now_ns();                                               \
            for (long i = 0; i < OPS; i++) {                                     \
                body;                                                            \
            }                                                                    \
            r_[k_] = (now_ns() - t0_) / OPS;                                     \
        }                                                                        \
        qsort(r_, ROUNDS, sizeof(double), cmp);                                  \
        printf("%s %.1f\n", label, r_[ROUNDS / 2]);                              \
    } while (0)

int main(void) {
    otelrs_sdk *sdk = sdk_with((const char *const[]){"OTEL_METRICS_EXPORTER", "memory", NULL});
    otelrs_meter *m;
    MUST(otelrs_meter_new(sdk, "bench", NULL, &m));
    otelrs_counter_u64 *c;
    otelrs_histogram_f64 *h;
    MUST(otelrs_counter_u64_new(m, "bench.counter", NULL, NULL, &c));
    MUST(otelrs_histogram_f64_new(m, "bench.histogram", "s", NULL, NULL, 0, &h));

    /* Keys and values in a C program's own buffers, as a request handler would have them. */
    char k1[] = "http.route", v1[] = "/users/{id}", k2[] = "http.request.method", v2[] = "GET",
         k3[] = "http.response.status_code", v3[] = "200";
    otelrs_attribute attrs[] = {OTELRS_STR(k1, v1), OTELRS_STR(k2, v2), OTELRS_STR(k3, v3)};
    otelrs_attributes *set;
    MUST(otelrs_attributes_new(attrs, 3, &set));
    otelrs_bound_counter_u64 *bc;
    otelrs_bound_histogram_f64 *bh;
    MUST(otelrs_counter_u64_bind(c, set, &bc));
    MUST(otelrs_histogram_f64_bind(h, set, &bh));

    BENCH("counter_add_3_attrs_by_array", (void)otelrs_counter_u64_add(c, 1, attrs, 3));
    BENCH("counter_add_3_attrs_set", (void)otelrs_counter_u64_add_set(c, 1, set));
    BENCH("counter_add_bound", (void)otelrs_bound_counter_u64_add(bc, 1));
    BENCH("histogram_record_set", (void)otelrs_histogram_f64_record_set(h, (double)(i & 1023) * 0.001, set));
    BENCH("histogram_record_bound", (void)otelrs_bound_histogram_f64_record(bh, (double)(i & 1023) * 0.001));
    BENCH("counter_add_0_attrs", (void)otelrs_counter_u64_add(c, 1, NULL, 0));

    char *json;
    MUST(otelrs_sdk_collect_json(sdk, &json));
    if (!strstr(json, "bench.counter")) return 1;
    otelrs_string_free(json);
    MUST(otelrs_sdk_shutdown(sdk, 1000));
    otelrs_bound_counter_u64_free(bc);
    otelrs_bound_histogram_f64_free(bh);
    otelrs_attributes_free(set);
    otelrs_counter_u64_free(c);
    otelrs_histogram_f64_free(h);
    otelrs_meter_free(m);
    otelrs_sdk_free(sdk);
    return 0;
}
