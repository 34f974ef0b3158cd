/* The error model, from C: every bad input gets a clear status and message, and the process
 * and the data already recorded survive. Run as is and under valgrind. */
#include "check.h"
#include <math.h>

static otelrs_sdk *sdk;
static otelrs_meter *meter;

static otelrs_sdk *new_sdk(const char *exporters) {
    otelrs_config *cfg;
    MUST(otelrs_config_new(&cfg));
    MUST(otelrs_config_set(cfg, "OTEL_METRICS_EXPORTER", exporters));
    MUST(otelrs_config_set(cfg, "OTEL_SERVICE_NAME", "errors"));
    otelrs_sdk *s;
    MUST(otelrs_sdk_new(cfg, &s));
    otelrs_config_free(cfg);
    return s;
}

static void noop_callback(otelrs_observer *o, void *user_data) {
    (void)o;
    (void)user_data;
}

static void test_config(void) {
    otelrs_config *cfg;
    EXPECT_STATUS(OTELRS_ERR_NULL, "out-pointer", otelrs_config_new(NULL));
    MUST(otelrs_config_new(&cfg));
    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_config is NULL", otelrs_config_set(NULL, "OTEL_SERVICE_NAME", "x"));
    EXPECT_STATUS(OTELRS_ERR_NULL, "key is NULL", otelrs_config_set(cfg, NULL, "x"));
    EXPECT_STATUS(OTELRS_ERR_NULL, "value is NULL", otelrs_config_set(cfg, "OTEL_SERVICE_NAME", NULL));
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "OTEL_METRICS_EXPORTR", otelrs_config_set(cfg, "OTEL_METRICS_EXPORTR", "otlp"));
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "\"soon\" for OTEL_METRIC_EXPORT_INTERVAL",
                  otelrs_config_set(cfg, "OTEL_METRIC_EXPORT_INTERVAL", "soon"));
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "zipkin", otelrs_config_set(cfg, "OTEL_METRICS_EXPORTER", "otlp,zipkin"));
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "OTEL_EXPORTER_OTLP_PROTOCOL",
                  otelrs_config_set(cfg, "OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"));
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
                  otelrs_config_set(cfg, "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "sometimes"));
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "value is not valid UTF-8",
                  otelrs_config_set(cfg, "OTEL_SERVICE_NAME", "bad\xff"));
    EXPECT_STATUS(OTELRS_ERR_NULL, "out-pointer", otelrs_sdk_new(cfg, NULL));
    /* Sizes are checked against a sane maximum before anything is allocated or walked. */
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "OTEL_BLRP_MAX_QUEUE_SIZE",
                  otelrs_config_set(cfg, "OTEL_BLRP_MAX_QUEUE_SIZE", "1000000000"));
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "at most 65536",
                  otelrs_config_set(cfg, "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "1000000000"));
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "at most 1000",
                  otelrs_config_set(cfg, "OTELRS_EXPORTER_FILE_LOGS_MAX_FILES", "18446744073709551615"));
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "not a regular file",
                  otelrs_config_set(cfg, "OTEL_EXPORTER_OTLP_CERTIFICATE", "/dev/zero"));
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "not a regular file",
                  otelrs_config_set(cfg, "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", "/tmp"));
    EXPECT_OK(otelrs_config_set(cfg, "OTEL_BLRP_MAX_QUEUE_SIZE", "1048576"));

    /* A bad value in the environment is refused by otelrs_sdk_new, naming key and value. */
    setenv("OTEL_METRIC_EXPORT_TIMEOUT", "-5", 1);
    otelrs_sdk *s = NULL;
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "\"-5\" for OTEL_METRIC_EXPORT_TIMEOUT (from the environment)",
                  otelrs_sdk_new(cfg, &s));
    EXPECT(s == NULL, "out-pointer written on failure");
    /* A value that is not UTF-8 is an error naming the key, not a setting ignored. */
    setenv("OTEL_SERVICE_NAME", "caf\xe9", 1);
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "OTEL_SERVICE_NAME (from the environment): it is not valid UTF-8",
                  otelrs_sdk_new(cfg, &s));
    unsetenv("OTEL_SERVICE_NAME");
    /* Header values never reach a message: they may hold credentials. */
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "the value of \"authorization\": bad percent escape",
                  otelrs_config_set(cfg, "OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer s3cr3t%zz"));
    EXPECT(strstr(otelrs_last_error(), "s3cr3t") == NULL, "the token is in \"%s\"", otelrs_last_error());
    /* ... unless code overrides it. */
    MUST(otelrs_config_set(cfg, "OTEL_METRIC_EXPORT_TIMEOUT", "1000"));
    MUST(otelrs_config_set(cfg, "OTEL_METRICS_EXPORTER", "none"));
    EXPECT_OK(otelrs_sdk_new(cfg, &s));
    unsetenv("OTEL_METRIC_EXPORT_TIMEOUT");
    EXPECT_OK(otelrs_sdk_shutdown(s, 1000));
    otelrs_sdk_free(s);
    otelrs_config_free(cfg);

    /* Keyword names, key-value pairs and views by pairs, as the language bindings give them. */
    MUST(otelrs_config_new(&cfg));
    EXPECT_OK(otelrs_config_set_named(cfg, "service_name", "named"));
    EXPECT_OK(otelrs_config_set_named(cfg, "OTEL_METRICS_EXPORTER", "memory"));
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "e.g. service_name", otelrs_config_set_named(cfg, "servce_name", "x"));
    EXPECT_OK(otelrs_config_add_pair(cfg, "resource_attributes", "team", "a,b=c%"));
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "takes no key=value pairs", otelrs_config_add_pair(cfg, "service_name", "k", "v"));
    const char *keys[] = {"instrument_name", "boundaries", "boundaries"};
    const char *values[] = {"pairs.h", "1", "2.5"};
    EXPECT_OK(otelrs_config_add_view_pairs(cfg, keys, values, 3));
    const char *bad_values[] = {"pairs.h", "2", "1"};
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "boundaries must increase", otelrs_config_add_view_pairs(cfg, keys, bad_values, 3));
    EXPECT_STATUS(OTELRS_ERR_NULL, "keys", otelrs_config_add_view_pairs(cfg, NULL, values, 3));
    MUST(otelrs_sdk_new(cfg, &s));
    otelrs_config_free(cfg);
    otelrs_meter *m;
    MUST(otelrs_meter_new(s, "pairs", NULL, &m));
    otelrs_histogram_f64 *h;
    MUST(otelrs_histogram_f64_new(m, "pairs.h", NULL, NULL, NULL, 0, &h));
    EXPECT_OK(otelrs_histogram_f64_record(h, 2.0, NULL, 0));
    char *json;
    MUST(otelrs_sdk_collect_json(s, &json));
    EXPECT(strstr(json, "\"stringValue\":\"named\"") && strstr(json, "\"stringValue\":\"a,b=c%\"") &&
               strstr(json, "\"explicitBounds\":[1.0,2.5]"),
           "service name, pair and view boundaries expected in %s", json);
    otelrs_string_free(json);
    otelrs_histogram_f64_free(h);
    otelrs_meter_free(m);
    EXPECT_OK(otelrs_sdk_shutdown(s, 1000));
    otelrs_sdk_free(s);
    EXPECT(otelrs_unit_per_second("ms") == 1e3 && otelrs_unit_per_second("us") == 1e6 &&
               otelrs_unit_per_second("min") == 1.0 / 60 && otelrs_unit_per_second("s") == 1.0 && otelrs_unit_per_second("By") == 1.0 &&
               otelrs_unit_per_second(NULL) == 1.0,
           "units per second");
}

/* NULL for each pointer argument of the instrument functions, for one kind of each shape. */
static void test_nulls(void) {
    otelrs_counter_u64 *c = NULL;
    otelrs_histogram_f64 *h = NULL;
    otelrs_attributes *set = NULL;
    otelrs_bound_counter_u64 *b = NULL;
    otelrs_observable *obs = NULL;
    char *json = NULL;

    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_sdk is NULL", otelrs_sdk_force_flush(NULL, 10));
    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_sdk is NULL", otelrs_sdk_shutdown(NULL, 10));
    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_sdk is NULL", otelrs_sdk_collect_json(NULL, &json));
    EXPECT_STATUS(OTELRS_ERR_NULL, "out-pointer", otelrs_sdk_collect_json(sdk, NULL));
    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_sdk is NULL", otelrs_sdk_health_json(NULL, &json));
    EXPECT_STATUS(OTELRS_ERR_NULL, "out-pointer", otelrs_sdk_health_json(sdk, NULL));
    EXPECT(otelrs_sdk_system_metrics(NULL) == 0, "groups of a NULL SDK");
    otelrs_meter *m = NULL;
    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_sdk is NULL", otelrs_meter_new(NULL, "s", NULL, &m));
    EXPECT_STATUS(OTELRS_ERR_NULL, "scope is NULL", otelrs_meter_new(sdk, NULL, NULL, &m));
    EXPECT_STATUS(OTELRS_ERR_NULL, "out-pointer", otelrs_meter_new(sdk, "s", NULL, NULL));
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "non-empty scope name", otelrs_meter_new(sdk, "", NULL, &m));

    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_meter is NULL", otelrs_counter_u64_new(NULL, "c", NULL, NULL, &c));
    EXPECT_STATUS(OTELRS_ERR_NULL, "name is NULL", otelrs_counter_u64_new(meter, NULL, NULL, NULL, &c));
    EXPECT_STATUS(OTELRS_ERR_NULL, "out-pointer", otelrs_counter_u64_new(meter, "c", NULL, NULL, NULL));
    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_meter is NULL",
                  otelrs_histogram_f64_new(NULL, "h", NULL, NULL, NULL, 0, &h));
    EXPECT_STATUS(OTELRS_ERR_NULL, "out-pointer", otelrs_histogram_f64_new(meter, "h", NULL, NULL, NULL, 0, NULL));
    EXPECT(c == NULL && h == NULL, "out-pointers written on failure");

    MUST(otelrs_counter_u64_new(meter, "nulls.counter", NULL, NULL, &c));
    otelrs_attribute ok[] = {OTELRS_STR("k", "v")};
    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_counter_u64 is NULL", otelrs_counter_u64_add(NULL, 1, ok, 1));
    EXPECT_STATUS(OTELRS_ERR_NULL, "attrs is NULL", otelrs_counter_u64_add(c, 1, NULL, 2));
    EXPECT_OK(otelrs_counter_u64_add(c, 1, NULL, 0));
    otelrs_attribute null_key[] = {OTELRS_STR(NULL, "v")};
    EXPECT_STATUS(OTELRS_ERR_NULL, "attribute 0: the key is NULL", otelrs_counter_u64_add(c, 1, null_key, 1));
    otelrs_attribute null_value[] = {OTELRS_STR("k", "v"), OTELRS_STR("k2", NULL)};
    EXPECT_STATUS(OTELRS_ERR_NULL, "attribute 1: the string value is NULL", otelrs_counter_u64_add(c, 1, null_value, 2));
    otelrs_attribute null_array[] = {OTELRS_INT_ARRAY("k", NULL, 3)};
    EXPECT_STATUS(OTELRS_ERR_NULL, "the array items is NULL", otelrs_counter_u64_add(c, 1, null_array, 1));
    const char *strings[] = {"a", NULL};
    otelrs_attribute null_in_array[] = {OTELRS_STR_ARRAY("k", strings, 2)};
    EXPECT_STATUS(OTELRS_ERR_NULL, "string 1 of the array", otelrs_counter_u64_add(c, 1, null_in_array, 1));

    EXPECT_STATUS(OTELRS_ERR_NULL, "out-pointer", otelrs_attributes_new(ok, 1, NULL));
    EXPECT_STATUS(OTELRS_ERR_NULL, "attrs is NULL", otelrs_attributes_new(NULL, 1, &set));
    MUST(otelrs_attributes_new(ok, 1, &set));
    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_attributes is NULL", otelrs_counter_u64_add_set(c, 1, NULL));
    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_counter_u64 is NULL", otelrs_counter_u64_add_set(NULL, 1, set));
    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_attributes is NULL", otelrs_counter_u64_bind(c, NULL, &b));
    EXPECT_STATUS(OTELRS_ERR_NULL, "out-pointer", otelrs_counter_u64_bind(c, set, NULL));
    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_bound_counter_u64 is NULL", otelrs_bound_counter_u64_add(NULL, 1));

    EXPECT_STATUS(OTELRS_ERR_NULL, "callback is NULL",
                  otelrs_observable_gauge_f64_new(meter, "g", NULL, NULL, NULL, NULL, &obs));
    EXPECT_STATUS(OTELRS_ERR_NULL, "out-pointer",
                  otelrs_observable_gauge_f64_new(meter, "g", NULL, NULL, noop_callback, NULL, NULL));
    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_observer is NULL", otelrs_observer_observe_f64(NULL, 1.0, NULL, 0));

    otelrs_attributes_free(set);
    otelrs_counter_u64_free(c);
}

static void test_utf8_and_names(void) {
    otelrs_counter_u64 *c = NULL;
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "name is not valid UTF-8",
                  otelrs_counter_u64_new(meter, "bad\xc3\x28", NULL, NULL, &c));
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "unit is not valid UTF-8",
                  otelrs_counter_u64_new(meter, "c", "\xff", NULL, &c));
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "description is not valid UTF-8",
                  otelrs_counter_u64_new(meter, "c", NULL, "\xfe", &c));
    otelrs_meter *m = NULL;
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "scope is not valid UTF-8", otelrs_meter_new(sdk, "\x80", NULL, &m));

    const char *invalid[] = {"", "1abc", "_x", "a b", "caf\xc3\xa9", "a+b", NULL};
    for (int i = 0; invalid[i]; i++) {
        EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "invalid instrument name",
                      otelrs_counter_u64_new(meter, invalid[i], NULL, NULL, &c));
    }
    char long_name[257];
    memset(long_name, 'x', 256);
    long_name[256] = 0;
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "invalid instrument name",
                  otelrs_counter_u64_new(meter, long_name, NULL, NULL, &c));
    long_name[255] = 0;
    EXPECT_OK(otelrs_counter_u64_new(meter, long_name, NULL, NULL, &c));
    otelrs_counter_u64_free(c);
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "at most 63 ASCII characters",
                  otelrs_counter_u64_new(meter, "c.unit", "\xc2\xb5s", NULL, &c));

    MUST(otelrs_counter_u64_new(meter, "utf8.counter", NULL, NULL, &c));
    otelrs_attribute bad_key[] = {OTELRS_STR("ok", "v"), OTELRS_STR("k\xff", "v")};
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "attribute 1: the key is not valid UTF-8",
                  otelrs_counter_u64_add(c, 1, bad_key, 2));
    otelrs_attribute bad_value[] = {OTELRS_STR("k", "\xc0\xaf")};
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "attribute 0: the string value is not valid UTF-8",
                  otelrs_counter_u64_add(c, 1, bad_value, 1));
    const char *strings[] = {"fine", "\xe2\x82"};
    otelrs_attribute bad_array[] = {OTELRS_STR_ARRAY("k", strings, 2)};
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "string 1 of the array", otelrs_counter_u64_add(c, 1, bad_array, 1));
    otelrs_attribute empty_key[] = {OTELRS_STR("", "v")};
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "empty key", otelrs_counter_u64_add(c, 1, empty_key, 1));
    otelrs_attribute bad_type = {"k", 99, {.integer = 1}};
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "attribute 0: unknown type 99", otelrs_counter_u64_add(c, 1, &bad_type, 1));
    otelrs_attributes *set = NULL;
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "not valid UTF-8", otelrs_attributes_new(bad_value, 1, &set));
    EXPECT(set == NULL, "set written on failure");
    otelrs_counter_u64_free(c);
}

static void test_values(void) {
    otelrs_counter_f64 *cf;
    otelrs_histogram_f64 *hf;
    otelrs_gauge_f64 *gf;
    otelrs_up_down_counter_f64 *uf;
    MUST(otelrs_counter_f64_new(meter, "values.counter", NULL, NULL, &cf));
    MUST(otelrs_histogram_f64_new(meter, "values.histogram", NULL, NULL, NULL, 0, &hf));
    MUST(otelrs_gauge_f64_new(meter, "values.gauge", NULL, NULL, &gf));
    MUST(otelrs_up_down_counter_f64_new(meter, "values.updown", NULL, NULL, &uf));

    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "a counter takes no negative value, got -1",
                  otelrs_counter_f64_add(cf, -1.0, NULL, 0));
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "a histogram takes no negative value",
                  otelrs_histogram_f64_record(hf, -0.5, NULL, 0));
    double bad[] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++) {
        EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "is not a finite number", otelrs_histogram_f64_record(hf, bad[i], NULL, 0));
        EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "is not a finite number", otelrs_counter_f64_add(cf, bad[i], NULL, 0));
        EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "is not a finite number", otelrs_gauge_f64_record(gf, bad[i], NULL, 0));
        EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "is not a finite number", otelrs_up_down_counter_f64_add(uf, bad[i], NULL, 0));
    }
    EXPECT_OK(otelrs_up_down_counter_f64_add(uf, -2.5, NULL, 0));
    EXPECT_OK(otelrs_gauge_f64_record(gf, -40.0, NULL, 0));

    otelrs_histogram_u64 *hu = NULL;
    const double unsorted[] = {1, 5, 2};
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "strictly increasing",
                  otelrs_histogram_u64_new(meter, "values.h2", NULL, NULL, unsorted, 3, &hu));
    const double with_nan[] = {1, NAN};
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "strictly increasing",
                  otelrs_histogram_u64_new(meter, "values.h3", NULL, NULL, with_nan, 2, &hu));
    EXPECT(hu == NULL, "histogram written on failure");

    /* A histogram handle passed where a counter is expected. */
    EXPECT_STATUS(OTELRS_ERR_WRONG_HANDLE, "not an otelrs_counter_f64",
                  otelrs_counter_f64_add((otelrs_counter_f64 *)hf, 1.0, NULL, 0));
    EXPECT_STATUS(OTELRS_ERR_WRONG_HANDLE, "not an otelrs_sdk",
                  otelrs_sdk_force_flush((otelrs_sdk *)meter, 10));
    otelrs_observable *obs;
    MUST(otelrs_observable_counter_u64_new(meter, "values.observable", NULL, NULL, noop_callback, NULL, &obs));
    otelrs_counter_u64 *c = NULL;
    EXPECT_STATUS(OTELRS_ERR_WRONG_HANDLE, "not an otelrs_meter",
                  otelrs_counter_u64_new((otelrs_meter *)obs, "x", NULL, NULL, &c));

    otelrs_observable_free(obs);
    otelrs_counter_f64_free(cf);
    otelrs_histogram_f64_free(hf);
    otelrs_gauge_f64_free(gf);
    otelrs_up_down_counter_f64_free(uf);
}

static void test_duplicates(void) {
    otelrs_counter_u64 *a, *b, *c = NULL;
    otelrs_histogram_u64 *h = NULL;
    MUST(otelrs_counter_u64_new(meter, "dup.counter", "By", "bytes sent", &a));
    EXPECT_OK(otelrs_counter_u64_new(meter, "DUP.counter", "By", "bytes sent", &b));
    EXPECT_STATUS(OTELRS_ERR_CONFLICT, "already exists in meter \"errors\" as a u64 counter",
                  otelrs_counter_u64_new(meter, "dup.counter", "KiBy", "bytes sent", &c));
    EXPECT_STATUS(OTELRS_ERR_CONFLICT, "cannot be created again as a u64 histogram",
                  otelrs_histogram_u64_new(meter, "dup.counter", "By", "bytes sent", NULL, 0, &h));
    EXPECT(c == NULL && h == NULL, "out-pointers written on conflict");
    EXPECT_OK(otelrs_counter_u64_add(a, 1, NULL, 0));
    EXPECT_OK(otelrs_counter_u64_add(b, 2, NULL, 0));
    char *json;
    MUST(otelrs_sdk_collect_json(sdk, &json));
    /* Both handles add to one stream: 1 + 2. */
    const char *p = strstr(json, "\"name\":\"dup.counter\"");
    EXPECT(p && strstr(p, "\"asInt\":\"3\"") && !strstr(json, "DUP.counter"),
           "one stream with 3 expected in %s", json);
    otelrs_string_free(json);
    otelrs_counter_u64_free(a);
    otelrs_counter_u64_free(b);
}

/* Packed attributes (the form of otelrs_log_packed): the same series as the array form, and
 * bytes that are not that form are refused naming the attribute. */
static void test_packed(void) {
    otelrs_counter_u64 *c;
    MUST(otelrs_counter_u64_new(meter, "packed.counter", NULL, NULL, &c));
    static const uint8_t packed[] = {0, 'r', 'e', 'g', 'i', 'o', 'n', 0, 'e', 'u', 0, 1, 'p', 'a', 'i', 'd', 0, 1};
    otelrs_attribute same[] = {OTELRS_STR("region", "eu"), OTELRS_BOOL("paid", true)};
    otelrs_attribute reordered[] = {OTELRS_BOOL("paid", true), OTELRS_STR("region", "eu")};
    EXPECT_OK(otelrs_counter_u64_add_packed(c, 1, packed, sizeof packed));
    EXPECT_OK(otelrs_counter_u64_add_packed(c, 2, packed, sizeof packed));
    EXPECT_OK(otelrs_counter_u64_add(c, 4, same, 2));
    EXPECT_OK(otelrs_counter_u64_add(c, 8, reordered, 2));
    EXPECT_OK(otelrs_counter_u64_add_packed(c, 16, NULL, 0));
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "attribute 1: unknown type 9",
                  otelrs_counter_u64_add_packed(c, 1, (const uint8_t *)"\0a\0b\0\x09k\0", 9));
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "attribute 0: unknown type 255",
                  otelrs_counter_u64_add_packed(c, 1, (const uint8_t *)"\xff\0\0\0\0\0\0\0\0", 9));
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "end in the middle",
                  otelrs_counter_u64_add_packed(c, 1, (const uint8_t *)"\x02k\0\x01", 4));
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "not valid UTF-8",
                  otelrs_counter_u64_add_packed(c, 1, (const uint8_t *)"\0k\0\xff\0", 5));
    EXPECT_STATUS(OTELRS_ERR_NULL, "attrs", otelrs_counter_u64_add_packed(c, 1, NULL, 3));
    char *json;
    MUST(otelrs_sdk_collect_json(sdk, &json));
    const char *p = strstr(json, "\"name\":\"packed.counter\"");
    /* One series of 1 + 2 + 4 + 8 for the four calls with region=eu, paid=true; 16 without. */
    EXPECT(p && strstr(p, "\"asInt\":\"15\"") && strstr(p, "\"asInt\":\"16\""), "15 and 16 expected in %s", json);
    otelrs_string_free(json);
    otelrs_counter_u64_free(c);
}

static void test_frees(void) {
    otelrs_config_free(NULL);
    otelrs_sdk_free(NULL);
    otelrs_meter_free(NULL);
    otelrs_attributes_free(NULL);
    otelrs_observable_free(NULL);
    otelrs_string_free(NULL);
    otelrs_counter_u64_free(NULL);
    otelrs_counter_f64_free(NULL);
    otelrs_up_down_counter_i64_free(NULL);
    otelrs_up_down_counter_f64_free(NULL);
    otelrs_histogram_u64_free(NULL);
    otelrs_histogram_f64_free(NULL);
    otelrs_gauge_u64_free(NULL);
    otelrs_gauge_i64_free(NULL);
    otelrs_gauge_f64_free(NULL);
    otelrs_bound_counter_u64_free(NULL);
    otelrs_bound_counter_f64_free(NULL);
    otelrs_bound_up_down_counter_i64_free(NULL);
    otelrs_bound_up_down_counter_f64_free(NULL);
    otelrs_bound_histogram_u64_free(NULL);
    otelrs_bound_histogram_f64_free(NULL);
    otelrs_bound_gauge_u64_free(NULL);
    otelrs_bound_gauge_i64_free(NULL);
    otelrs_bound_gauge_f64_free(NULL);
    /* A wrong-kind handle given to a _free is left alone. */
    otelrs_counter_u64_free((otelrs_counter_u64 *)meter);
    EXPECT(1, "frees of NULL survived");
}

static void test_after_shutdown(void) {
    otelrs_counter_u64 *c;
    otelrs_gauge_i64 *g;
    otelrs_attributes *set;
    otelrs_bound_counter_u64 *b;
    otelrs_attribute kv[] = {OTELRS_STR("k", "v")};
    MUST(otelrs_counter_u64_new(meter, "late.counter", NULL, NULL, &c));
    MUST(otelrs_gauge_i64_new(meter, "late.gauge", NULL, NULL, &g));
    MUST(otelrs_attributes_new(kv, 1, &set));
    MUST(otelrs_counter_u64_bind(c, set, &b));
    MUST(otelrs_counter_u64_add(c, 5, kv, 1));

    /* What was recorded before shutdown is exported by it. */
    EXPECT_OK(otelrs_sdk_shutdown(sdk, 5000));
    EXPECT_STATUS(OTELRS_ERR_SHUTDOWN, "already shut down", otelrs_sdk_shutdown(sdk, 5000));
    EXPECT_STATUS(OTELRS_ERR_SHUTDOWN, "shut down", otelrs_counter_u64_add(c, 1, kv, 1));
    EXPECT_STATUS(OTELRS_ERR_SHUTDOWN, "shut down", otelrs_counter_u64_add_set(c, 1, set));
    EXPECT_STATUS(OTELRS_ERR_SHUTDOWN, "shut down", otelrs_bound_counter_u64_add(b, 1));
    EXPECT_STATUS(OTELRS_ERR_SHUTDOWN, "shut down", otelrs_gauge_i64_record(g, -3, NULL, 0));
    EXPECT_STATUS(OTELRS_ERR_SHUTDOWN, "shut down", otelrs_sdk_force_flush(sdk, 100));
    char *json = NULL;
    EXPECT_STATUS(OTELRS_ERR_SHUTDOWN, "shut down", otelrs_sdk_collect_json(sdk, &json));
    /* The health report stays available after shutdown, and says so. */
    EXPECT_OK(otelrs_sdk_health_json(sdk, &json));
    EXPECT(json && strstr(json, "\"shut_down\":true"), "health after shutdown: %s", json ? json : "(null)");
    otelrs_string_free(json);
    otelrs_meter *m = NULL;
    EXPECT_STATUS(OTELRS_ERR_SHUTDOWN, "shut down", otelrs_meter_new(sdk, "late", NULL, &m));
    otelrs_counter_u64 *c2 = NULL;
    EXPECT_STATUS(OTELRS_ERR_SHUTDOWN, "shut down", otelrs_counter_u64_new(meter, "late.other", NULL, NULL, &c2));
    otelrs_bound_counter_u64 *b2 = NULL;
    EXPECT_STATUS(OTELRS_ERR_SHUTDOWN, "shut down", otelrs_counter_u64_bind(c, set, &b2));

    otelrs_bound_counter_u64_free(b);
    otelrs_attributes_free(set);
    otelrs_counter_u64_free(c);
    otelrs_gauge_i64_free(g);
}

int main(void) {
    test_config();
    sdk = new_sdk("memory");
    MUST(otelrs_meter_new(sdk, "errors", "1.0", &meter));

    otelrs_counter_u64 *survivor;
    otelrs_attribute kv[] = {OTELRS_STR("kept", "yes")};
    MUST(otelrs_counter_u64_new(meter, "survivor.counter", NULL, NULL, &survivor));
    MUST(otelrs_counter_u64_add(survivor, 41, kv, 1));

    test_nulls();
    test_utf8_and_names();
    test_values();
    test_duplicates();
    test_packed();
    test_frees();

    /* The data recorded before all of that survived it. */
    MUST(otelrs_counter_u64_add(survivor, 1, kv, 1));
    char *json;
    MUST(otelrs_sdk_collect_json(sdk, &json));
    const char *p = strstr(json, "\"name\":\"survivor.counter\"");
    EXPECT(p && strstr(p, "\"asInt\":\"42\""), "survivor.counter should be 42 in %s", json);
    otelrs_string_free(json);
    EXPECT(strlen(otelrs_status_name(OTELRS_ERR_CONFLICT)) > 0 &&
               strcmp(otelrs_status_name(12345), "OTELRS_UNKNOWN") == 0,
           "status names");
    EXPECT(strcmp(otelrs_version(), OTELRS_VERSION) == 0, "version %s", otelrs_version());

    test_after_shutdown();
    otelrs_counter_u64_free(survivor);
    otelrs_meter_free(meter);
    otelrs_sdk_free(sdk);
    return SUMMARY();
}
