/* Handles shared by threads: 4 threads record on the same counter (by array, with a set,
 * bound), the same histogram and the same logger at once. Prints the collected metrics
 * (memory exporter) and the log stats; the test checks that every measurement counted once. */
#include "check.h"
#include <pthread.h>

#define THREADS 4
#define OPS 50000

static otelrs_counter_u64 *counter;
static otelrs_histogram_f64 *histogram;
static otelrs_logger *logger;
static otelrs_attributes *set;
static otelrs_bound_counter_u64 *bound;

static void *work(void *arg) {
    long id = (long)arg;
    char who[16];
    snprintf(who, sizeof who, "t%ld", id);
    otelrs_attribute mine[] = {OTELRS_STR("thread", who)};
    for (int i = 0; i < OPS; i++) {
        MUST(otelrs_counter_u64_add(counter, 1, mine, 1));
        MUST(otelrs_counter_u64_add_set(counter, 2, set));
        MUST(otelrs_bound_counter_u64_add(bound, 3));
        MUST(otelrs_histogram_f64_record(histogram, 0.5, mine, 1));
        if (i % 100 == 0) MUST(otelrs_log(logger, OTELRS_SEVERITY_INFO, "tick", mine, 1));
    }
    return NULL;
}

int main(void) {
    otelrs_sdk *sdk;
    otelrs_meter *meter;
    MUST(otelrs_sdk_new(NULL, &sdk));
    MUST(otelrs_meter_new(sdk, "threads", NULL, &meter));
    MUST(otelrs_logger_new(sdk, "threads", NULL, &logger));
    MUST(otelrs_counter_u64_new(meter, "threads.counter", NULL, NULL, &counter));
    MUST(otelrs_histogram_f64_new(meter, "threads.histogram", NULL, NULL, NULL, 0, &histogram));
    otelrs_attribute shared[] = {OTELRS_STR("thread", "shared")};
    MUST(otelrs_attributes_new(shared, 1, &set));
    MUST(otelrs_counter_u64_bind(counter, set, &bound));

    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, work, (void *)i);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);

    char *json;
    MUST(otelrs_sdk_collect_json(sdk, &json));
    printf("%s\n", json);
    otelrs_string_free(json);
    MUST(otelrs_sdk_force_flush(sdk, 10000));
    otelrs_log_stats s;
    MUST(otelrs_sdk_log_stats(sdk, &s));
    printf("emitted %llu kept %llu dropped %llu\n", (unsigned long long)s.emitted, (unsigned long long)s.kept,
           (unsigned long long)s.dropped);
    MUST(otelrs_sdk_shutdown(sdk, 10000));
    otelrs_bound_counter_u64_free(bound);
    otelrs_attributes_free(set);
    otelrs_counter_u64_free(counter);
    otelrs_histogram_f64_free(histogram);
    otelrs_logger_free(logger);
    otelrs_meter_free(meter);
    otelrs_sdk_free(sdk);
    return 0;
}
