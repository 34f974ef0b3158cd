/* Random calls of the C API, as a careless program would make them: random names, units,
 * values (NaN, infinities, negatives), attribute arrays of random types (unknown type numbers,
 * NULL keys and strings, invalid UTF-8, arrays with NULL items), handles of the wrong kind,
 * random packed log buffers and traceparents, random settings for a second SDK, and frees in
 * any order. Only what the header allows is done (no freed or made-up pointers): every call
 * must return a known status, and nothing may crash, hang or corrupt memory. The tests build
 * it with AddressSanitizer and UndefinedBehaviorSanitizer.
 *
 *   fuzz SEED CALLS   prints "calls N statuses ..." (the count of each status) */
#include "check.h"
#include <math.h>
#include <stdint.h>

static uint64_t rng;

static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t below(uint64_t n) { return n ? next() % n : 0; }

static const char *TEXTS[] = {
    "ok.name", "shop.orders", "", "1starts.with.digit", "has space", "x", "bad\xff" "utf8", "\xc0",
    "a/b-c_d.e", "very.long.name.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "{unit}", "ms", "é", "%zz", "a=b,c=d", "region", "true", "-1", "1e309",
};
#define N_TEXTS (sizeof TEXTS / sizeof TEXTS[0])

static const char *text(void) { return below(10) == 0 ? NULL : TEXTS[below(N_TEXTS)]; }

static double number(void) {
    switch (below(8)) {
    case 0: return NAN;
    case 1: return INFINITY;
    case 2: return -INFINITY;
    case 3: return -1.5;
    case 4: return 0.0;
    default: return (double)below(1000) / 7.0;
    }
}

/* Random attributes in `buf` (room for 8): returns how many. Arrays point at static data. */
static const char *STRINGS[] = {"a", NULL, "b\xff", "c"};
static const bool BOOLS[] = {true, false};
static const int64_t INTS[] = {1, -2, INT64_MAX};
static const double DOUBLES[] = {1.5, NAN, -0.0};

static size_t attributes(otelrs_attribute *buf) {
    size_t n = below(9);
    for (size_t i = 0; i < n; i++) {
        otelrs_attribute a;
        a.key = text();
        a.type = (uint32_t)below(10); /* 8 and 9 are no type */
        switch (a.type) {
        case 0: a.value.string = text(); break;
        case 1: a.value.boolean = below(2); break;
        case 2: a.value.integer = (int64_t)next(); break;
        case 3: a.value.dbl = number(); break;
        case 4: a.value.array.items = below(4) ? (const void *)STRINGS : NULL; a.value.array.len = below(5); break;
        case 5: a.value.array.items = BOOLS; a.value.array.len = below(3); break;
        case 6: a.value.array.items = INTS; a.value.array.len = below(4); break;
        case 7: a.value.array.items = DOUBLES; a.value.array.len = below(4); break;
        default: a.value.integer = 0; break;
        }
        buf[i] = a;
    }
    return n;
}

#define POOL 16
static otelrs_sdk *sdk;
static otelrs_meter *meter;
static otelrs_counter_u64 *counters[POOL];
static otelrs_histogram_f64 *histograms[POOL];
static otelrs_gauge_i64 *gauges[POOL];
static otelrs_attributes *sets[POOL];
static otelrs_bound_counter_u64 *bounds[POOL];
static otelrs_logger *loggers[POOL];
static otelrs_observable *observables[POOL];
static long counts[16];

static void seen(otelrs_status s) {
    if ((unsigned)s > 12) {
        fprintf(stderr, "unknown status %u\n", (unsigned)s);
        exit(3);
    }
    counts[s]++;
    /* The thread's message is always a string. */
    if (s != OTELRS_OK && otelrs_last_error()[0] == '\0') counts[13]++;
}

static void observe(otelrs_observer *o, void *ud) {
    (void)ud;
    otelrs_attribute attrs[8];
    size_t n = attributes(attrs);
    (void)otelrs_observer_observe_i64(o, (int64_t)below(100), attrs, n);
    (void)otelrs_observer_observe_u64(o, 1, NULL, 0); /* the wrong type for an i64 gauge */
}

static void one_call(void) {
    otelrs_attribute attrs[8];
    size_t n;
    int slot = (int)below(POOL);
    switch (below(22)) {
    case 0: {
        otelrs_counter_u64 *c = NULL;
        otelrs_status s = otelrs_counter_u64_new(meter, text(), text(), text(), &c);
        seen(s);
        if (s == OTELRS_OK) { otelrs_counter_u64_free(counters[slot]); counters[slot] = c; }
        break;
    }
    case 1: {
        double bounds_[4] = {number(), number(), number(), number()};
        otelrs_histogram_f64 *h = NULL;
        otelrs_status s = otelrs_histogram_f64_new(meter, text(), text(), text(),
                                                   below(2) ? bounds_ : NULL, below(5), &h);
        seen(s);
        if (s == OTELRS_OK) { otelrs_histogram_f64_free(histograms[slot]); histograms[slot] = h; }
        break;
    }
    case 2: {
        otelrs_gauge_i64 *g = NULL;
        otelrs_status s = otelrs_gauge_i64_new(meter, text(), text(), text(), &g);
        seen(s);
        if (s == OTELRS_OK) { otelrs_gauge_i64_free(gauges[slot]); gauges[slot] = g; }
        break;
    }
    case 3:
        n = attributes(attrs);
        if (counters[slot]) seen(otelrs_counter_u64_add(counters[slot], next(), attrs, n));
        break;
    case 4:
        n = attributes(attrs);
        if (histograms[slot]) seen(otelrs_histogram_f64_record(histograms[slot], number(), attrs, n));
        break;
    case 5:
        n = attributes(attrs);
        if (gauges[slot]) seen(otelrs_gauge_i64_record(gauges[slot], (int64_t)next(), attrs, n));
        break;
    case 6: {
        n = attributes(attrs);
        otelrs_attributes *set = NULL;
        otelrs_status s = otelrs_attributes_new(attrs, n, &set);
        seen(s);
        if (s == OTELRS_OK) { otelrs_attributes_free(sets[slot]); sets[slot] = set; }
        break;
    }
    case 7:
        if (counters[slot] && sets[slot]) seen(otelrs_counter_u64_add_set(counters[slot], 1, sets[slot]));
        break;
    case 8:
        if (counters[slot] && sets[slot]) {
            otelrs_bound_counter_u64 *b = NULL;
            otelrs_status s = otelrs_counter_u64_bind(counters[slot], sets[slot], &b);
            seen(s);
            if (s == OTELRS_OK) { otelrs_bound_counter_u64_free(bounds[slot]); bounds[slot] = b; }
        }
        break;
    case 9:
        if (bounds[slot]) seen(otelrs_bound_counter_u64_add(bounds[slot], next()));
        break;
    case 10: /* handles of the wrong kind */
        if (histograms[slot]) seen(otelrs_counter_u64_add((otelrs_counter_u64 *)histograms[slot], 1, NULL, 0));
        if (counters[slot]) seen(otelrs_gauge_i64_record((otelrs_gauge_i64 *)counters[slot], 1, NULL, 0));
        if (sets[slot]) seen(otelrs_log((otelrs_logger *)sets[slot], 9, "x", NULL, 0));
        break;
    case 11: {
        otelrs_logger *l = NULL;
        otelrs_status s = otelrs_logger_new(sdk, text(), text(), &l);
        seen(s);
        if (s == OTELRS_OK) { otelrs_logger_free(loggers[slot]); loggers[slot] = l; }
        break;
    }
    case 12:
        n = attributes(attrs);
        if (loggers[slot]) seen(otelrs_log(loggers[slot], (uint32_t)below(27), text(), attrs, n));
        break;
    case 13: {
        unsigned char packed[64];
        for (size_t i = 0; i < sizeof packed; i++) packed[i] = (unsigned char)(below(4) ? below(12) : next());
        if (loggers[slot]) seen(otelrs_log_packed(loggers[slot], 9, text(), packed, below(sizeof packed + 1), NULL));
        break;
    }
    case 14: {
        char traceparent[64];
        const char *hex = "0123456789abcdefxz-";
        size_t len = below(60);
        for (size_t i = 0; i < len; i++) traceparent[i] = hex[below(19)];
        traceparent[len] = '\0';
        otelrs_trace_context ctx;
        seen(otelrs_trace_context_parse(below(4) ? traceparent : "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                        &ctx));
        break;
    }
    case 15: {
        otelrs_observable *o = NULL;
        otelrs_status s = otelrs_observable_gauge_i64_new(meter, text(), text(), text(), observe, NULL, &o);
        seen(s);
        if (s == OTELRS_OK) { otelrs_observable_free(observables[slot]); observables[slot] = o; }
        break;
    }
    case 16: {
        char *json = NULL;
        otelrs_status s = otelrs_sdk_collect_json(sdk, &json);
        seen(s);
        otelrs_string_free(json);
        s = otelrs_sdk_health_json(sdk, &json);
        seen(s);
        otelrs_string_free(json);
        break;
    }
    case 17: /* frees in any order */
        switch (below(7)) {
        case 0: otelrs_counter_u64_free(counters[slot]); counters[slot] = NULL; break;
        case 1: otelrs_histogram_f64_free(histograms[slot]); histograms[slot] = NULL; break;
        case 2: otelrs_attributes_free(sets[slot]); sets[slot] = NULL; break;
        case 3: otelrs_bound_counter_u64_free(bounds[slot]); bounds[slot] = NULL; break;
        case 4: otelrs_logger_free(loggers[slot]); loggers[slot] = NULL; break;
        case 5: otelrs_observable_free(observables[slot]); observables[slot] = NULL; break;
        default: otelrs_gauge_i64_free(gauges[slot]); gauges[slot] = NULL; break;
        }
        break;
    case 18: { /* a second SDK from random settings */
        static const char *KEYS[] = {"OTEL_SERVICE_NAME", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER",
                                     "OTEL_BLRP_MAX_QUEUE_SIZE", "OTEL_EXPORTER_OTLP_HEADERS",
                                     "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_METRIC_EXPORT_INTERVAL",
                                     "OTELRS_METRICS_VIEWS", "OTEL_RESOURCE_ATTRIBUTES", "NOT_A_KEY",
                                     "OTELRS_LOGS_SAMPLING_RATIO", "OTEL_EXPORTER_PROMETHEUS_PORT"};
        otelrs_config *cfg = NULL;
        seen(otelrs_config_new(&cfg));
        for (int i = 0; i < 4; i++) seen(otelrs_config_set(cfg, KEYS[below(12)], text()));
        seen(otelrs_config_add_view(cfg, text()));
        /* Nothing that listens or sends: a second SDK only parses and builds. */
        seen(otelrs_config_set(cfg, "OTEL_METRICS_EXPORTER", "memory"));
        seen(otelrs_config_set(cfg, "OTEL_LOGS_EXPORTER", "discard"));
        otelrs_sdk *other = NULL;
        otelrs_status s = otelrs_sdk_new(cfg, &other);
        seen(s);
        if (s == OTELRS_OK) {
            seen(otelrs_sdk_shutdown(other, 100));
            otelrs_sdk_free(other);
        }
        otelrs_config_free(cfg);
        break;
    }
    case 19:
        seen(otelrs_sdk_force_flush(sdk, (uint32_t)below(20)));
        break;
    case 20: {
        otelrs_log_stats st;
        seen(otelrs_sdk_log_stats(sdk, &st));
        if (loggers[slot]) seen(otelrs_logger_stats(loggers[slot], &st));
        (void)otelrs_logger_enabled(loggers[slot], (uint32_t)below(30));
        break;
    }
    default: {
        otelrs_meter *m = NULL;
        otelrs_status s = otelrs_meter_new(sdk, text(), text(), &m);
        seen(s);
        otelrs_meter_free(m);
        break;
    }
    }
}

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    rng = strtoull(argv[1], NULL, 10) * 2654435761u + 1;
    long calls = atol(argv[2]);
    MUST(otelrs_sdk_new(NULL, &sdk));
    MUST(otelrs_meter_new(sdk, "fuzz", NULL, &meter));
    for (long i = 0; i < calls; i++) one_call();
    seen(otelrs_sdk_shutdown(sdk, 5000));
    for (long i = 0; i < 2000; i++) one_call(); /* and everything again after shutdown */
    for (int i = 0; i < POOL; i++) {
        otelrs_bound_counter_u64_free(bounds[i]);
        otelrs_counter_u64_free(counters[i]);
        otelrs_histogram_f64_free(histograms[i]);
        otelrs_gauge_i64_free(gauges[i]);
        otelrs_attributes_free(sets[i]);
        otelrs_logger_free(loggers[i]);
        otelrs_observable_free(observables[i]);
    }
    otelrs_meter_free(meter);
    otelrs_sdk_free(sdk);
    printf("calls %ld statuses", calls);
    for (int i = 0; i <= 12; i++) printf(" %ld", counts[i]);
    printf(" no_message %ld\n", counts[13]);
    return counts[13] == 0 ? 0 : 1;
}
