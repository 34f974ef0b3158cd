/* A flood of distinct attribute values on one counter: `cardinality N` adds 1 for each of N
 * distinct user ids (by array), printing the resident memory (kB) after N/10 and after N,
 * then what otelrs_sdk_collect_json reports. `cardinality N histogram` records 1.5 on a
 * histogram instead (with exemplars on, each series has a reservoir per bucket). */
#include "check.h"

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) return 2;
    int histogram = argc == 3 && strcmp(argv[2], "histogram") == 0;
    long n = atol(argv[1]);
    otelrs_sdk *sdk;
    MUST(otelrs_sdk_new(NULL, &sdk));
    otelrs_meter *m;
    MUST(otelrs_meter_new(sdk, "flood", NULL, &m));
    otelrs_counter_u64 *c;
    MUST(otelrs_counter_u64_new(m, "flood.requests", "", "", &c));
    otelrs_histogram_f64 *h;
    MUST(otelrs_histogram_f64_new(m, "flood.latency", "s", "", NULL, 0, &h));
    char id[32];
    for (long i = 0; i < n; i++) {
        snprintf(id, sizeof id, "user-%ld", i);
        otelrs_attribute attrs[] = {OTELRS_STR("user.id", id), OTELRS_STR("region", "eu")};
        if (histogram)
            MUST(otelrs_histogram_f64_record(h, 1.5, attrs, 2));
        else
            MUST(otelrs_counter_u64_add(c, 1, attrs, 2));
        if (i + 1 == n / 10) printf("rss_tenth %ld\n", rss_kb());
    }
    printf("rss_all %ld\n", rss_kb());
    print_collected(sdk);
    MUST(otelrs_sdk_shutdown(sdk, 5000));
    return 0;
}
