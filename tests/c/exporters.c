/* Exporters written in C (otelrs_config_add_log_exporter / _add_metric_exporter):
 *   exporters PATH   logs 3 records and records a counter; a JSON log exporter appends each
 *                    batch as a line to PATH, a protobuf metric exporter appends "metrics N"
 *                    (the batch's size), a flaky one asks for a retry once, a broken one fails;
 *                    prints the flush status and the health report
 *   exporters errors bad registrations get a status and a message */
#include "check.h"
#include <stdint.h>

static FILE *out;

static int to_file(const uint8_t *batch, size_t len, void *user_data) {
    (void)user_data;
    fwrite(batch, 1, len, out);
    fputc('\n', out);
    fflush(out);
    return OTELRS_EXPORT_SUCCESS;
}

static int sizes(const uint8_t *batch, size_t len, void *user_data) {
    (void)batch;
    (void)user_data;
    fprintf(out, "metrics %zu\n", len);
    fflush(out);
    return OTELRS_EXPORT_SUCCESS;
}

static int flaky(const uint8_t *batch, size_t len, void *user_data) {
    (void)batch;
    (void)len;
    int *calls = user_data;
    return (*calls)++ == 0 ? OTELRS_EXPORT_RETRY : OTELRS_EXPORT_SUCCESS;
}

static int broken(const uint8_t *batch, size_t len, void *user_data) {
    (void)batch;
    (void)len;
    (void)user_data;
    return 42;
}

static int errors(void) {
    otelrs_config *cfg;
    MUST(otelrs_config_new(&cfg));
    EXPECT_STATUS(OTELRS_ERR_NULL, "export_fn is NULL",
                  otelrs_config_add_log_exporter(cfg, "x", OTELRS_EXPORT_JSON, NULL, NULL));
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "format 7",
                  otelrs_config_add_log_exporter(cfg, "x", 7, to_file, NULL));
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "invalid custom exporter name",
                  otelrs_config_add_metric_exporter(cfg, "no spaces", OTELRS_EXPORT_JSON, to_file, NULL));
    EXPECT_STATUS(OTELRS_ERR_NULL, "name is NULL",
                  otelrs_config_add_metric_exporter(cfg, NULL, OTELRS_EXPORT_JSON, to_file, NULL));
    EXPECT_OK(otelrs_config_add_log_exporter(cfg, "x", OTELRS_EXPORT_JSON, to_file, NULL));
    EXPECT_STATUS(OTELRS_ERR_CONFIG, "registered already",
                  otelrs_config_add_log_exporter(cfg, "x", OTELRS_EXPORT_PROTOBUF, to_file, NULL));
    /* The same name for the other signal is another exporter. */
    EXPECT_OK(otelrs_config_add_metric_exporter(cfg, "x", OTELRS_EXPORT_JSON, to_file, NULL));
    otelrs_config_free(cfg);
    return SUMMARY();
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "errors") == 0) {
        return errors();
    }
    if (argc != 2) {
        fprintf(stderr, "usage: exporters PATH | errors\n");
        return 2;
    }
    out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 2;
    }
    int flaky_calls = 0;
    otelrs_config *cfg;
    MUST(otelrs_config_new(&cfg));
    MUST(otelrs_config_add_log_exporter(cfg, "jsonl", OTELRS_EXPORT_JSON, to_file, NULL));
    MUST(otelrs_config_add_log_exporter(cfg, "flaky", OTELRS_EXPORT_PROTOBUF, flaky, &flaky_calls));
    MUST(otelrs_config_add_log_exporter(cfg, "broken", OTELRS_EXPORT_JSON, broken, NULL));
    MUST(otelrs_config_add_metric_exporter(cfg, "sizes", OTELRS_EXPORT_PROTOBUF, sizes, NULL));
    otelrs_sdk *sdk;
    MUST(otelrs_sdk_new(cfg, &sdk));
    otelrs_config_free(cfg);

    otelrs_logger *log;
    MUST(otelrs_logger_new(sdk, "shop", NULL, &log));
    otelrs_attribute attrs[] = {OTELRS_STR("order.id", "A-17"), OTELRS_INT("items", 3)};
    for (int i = 0; i < 3; i++) {
        MUST(otelrs_log(log, OTELRS_SEVERITY_INFO, "order placed", attrs, 2));
    }
    otelrs_meter *meter;
    MUST(otelrs_meter_new(sdk, "shop", NULL, &meter));
    otelrs_counter_u64 *orders;
    MUST(otelrs_counter_u64_new(meter, "shop.orders", "{order}", NULL, &orders));
    MUST(otelrs_counter_u64_add(orders, 3, NULL, 0));

    printf("flush %s\n", otelrs_status_name(otelrs_sdk_force_flush(sdk, 10000)));
    char *health;
    MUST(otelrs_sdk_health_json(sdk, &health));
    printf("%s\n", health);
    otelrs_string_free(health);
    printf("flaky calls %d\n", flaky_calls);

    otelrs_counter_u64_free(orders);
    otelrs_meter_free(meter);
    otelrs_logger_free(log);
    MUST(otelrs_sdk_shutdown(sdk, 5000));
    otelrs_sdk_free(sdk);
    fclose(out);
    return 0;
}
