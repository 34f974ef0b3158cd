/* Histogram summaries (otelrs_sdk_histogram_summary). Settings come from the environment.
 *   quantiles serve RUN  records 1000 values spread over three decades (the same into an
 *                        explicit histogram, job.latency, and into job.latency.exp, which the
 *                        tests make exponential with a view), labelled run=RUN; prints each
 *                        value ("value V"), then for each histogram its summary ("summary NAME
 *                        count sum min max relative_error") and quantiles ("q NAME Q ESTIMATE"),
 *                        then "ready", and serves until its standard input closes.
 *   quantiles errors     checks the errors (with the memory exporter) and prints the summary
 *                        of passes and failures. */
#include "check.h"
#include <math.h>
#include <unistd.h>

static const double QS[] = {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99};
#define NQ (sizeof QS / sizeof QS[0])

static void summarize(otelrs_sdk *sdk, const char *name, const otelrs_attribute *attrs, size_t n) {
    double values[NQ];
    otelrs_histogram_summary s;
    MUST(otelrs_sdk_histogram_summary(sdk, name, attrs, n, QS, values, NQ, &s));
    printf("summary %s %llu %.17g %.17g %.17g %.17g\n", name, (unsigned long long)s.count, s.sum, s.min, s.max,
           s.relative_error);
    for (size_t i = 0; i < NQ; i++) printf("q %s %.17g %.17g\n", name, QS[i], values[i]);
}

static int serve(const char *run) {
    otelrs_sdk *sdk;
    MUST(otelrs_sdk_new(NULL, &sdk));
    otelrs_meter *m;
    MUST(otelrs_meter_new(sdk, "jobs", NULL, &m));
    const double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    otelrs_histogram_f64 *explicit_h, *exponential_h;
    MUST(otelrs_histogram_f64_new(m, "job.latency", "s", "Job latency", bounds, 9, &explicit_h));
    MUST(otelrs_histogram_f64_new(m, "job.latency.exp", "s", "Job latency", NULL, 0, &exponential_h));
    otelrs_attribute attrs[] = {OTELRS_STR("run", run)};
    for (unsigned i = 0; i < 1000; i++) {
        double x = (double)((i * 7919u) % 1000u) / 1000.0;
        double v = 0.002 * pow(1000.0, x);
        printf("value %.17g\n", v);
        MUST(otelrs_histogram_f64_record(explicit_h, v, attrs, 1));
        MUST(otelrs_histogram_f64_record(exponential_h, v, attrs, 1));
    }
    summarize(sdk, "job.latency", attrs, 1);
    summarize(sdk, "job.latency.exp", attrs, 1);
    printf("ready\n");
    fflush(stdout);
    char buf[64];
    while (fgets(buf, sizeof buf, stdin)) {
    }
    MUST(otelrs_sdk_shutdown(sdk, 5000));
    otelrs_histogram_f64_free(explicit_h);
    otelrs_histogram_f64_free(exponential_h);
    otelrs_meter_free(m);
    otelrs_sdk_free(sdk);
    return 0;
}

static int errors(void) {
    otelrs_sdk *sdk;
    MUST(otelrs_sdk_new(NULL, &sdk));
    otelrs_meter *m;
    MUST(otelrs_meter_new(sdk, "jobs", NULL, &m));
    otelrs_histogram_f64 *h;
    MUST(otelrs_histogram_f64_new(m, "job.size", "By", NULL, NULL, 0, &h));
    otelrs_counter_u64 *c;
    MUST(otelrs_counter_u64_new(m, "job.count", NULL, NULL, &c));
    otelrs_attribute a[] = {OTELRS_STR("queue", "a")}, b[] = {OTELRS_STR("queue", "b")};
    MUST(otelrs_histogram_f64_record(h, 100, a, 1));
    MUST(otelrs_counter_u64_add(c, 1, NULL, 0));
    otelrs_histogram_summary s;
    double q[] = {0.5, 1.5}, v[2];
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "no series of histogram job.size has the attributes {queue=b}",
                  otelrs_sdk_histogram_summary(sdk, "job.size", b, 1, q, v, 1, &s));
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "job.count is a sum, not a histogram",
                  otelrs_sdk_histogram_summary(sdk, "job.count", NULL, 0, q, v, 1, &s));
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "quantile 1.5 is not between 0 and 1",
                  otelrs_sdk_histogram_summary(sdk, "job.size", a, 1, q, v, 2, &s));
    EXPECT_STATUS(OTELRS_ERR_NULL, "out", otelrs_sdk_histogram_summary(sdk, "job.size", a, 1, q, v, 1, NULL));
    EXPECT_STATUS(OTELRS_ERR_NULL, "quantiles", otelrs_sdk_histogram_summary(sdk, "job.size", a, 1, NULL, v, 1, &s));
    EXPECT_OK(otelrs_sdk_histogram_summary(sdk, "job.size", a, 1, q, v, 1, &s));
    EXPECT(s.count == 1 && s.sum == 100 && s.min == 100 && s.max == 100 && v[0] == 100 && isnan(s.relative_error),
           "count %llu sum %g min %g max %g p50 %g", (unsigned long long)s.count, s.sum, s.min, s.max, v[0]);
    EXPECT_OK(otelrs_sdk_histogram_summary(sdk, "job.size", a, 1, NULL, NULL, 0, &s));
    MUST(otelrs_sdk_shutdown(sdk, 5000));
    EXPECT_STATUS(OTELRS_ERR_SHUTDOWN, "", otelrs_sdk_histogram_summary(sdk, "job.size", a, 1, q, v, 1, &s));
    otelrs_histogram_f64_free(h);
    otelrs_counter_u64_free(c);
    otelrs_meter_free(m);
    otelrs_sdk_free(sdk);
    return SUMMARY();
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(argv[2]);
    if (argc == 2 && strcmp(argv[1], "errors") == 0) return errors();
    return 2;
}
