/* An exporter of one's own: every batch of log records, as OTLP JSON, written to syslog (and
 * to stdout, so that the demo shows it). Any function can take the batches: post them to a
 * webhook, write them to a pipe, hand them to a library of yours.
 *
 *   cc syslog_exporter.c $(pkg-config --cflags --libs otelrs) -o syslog_exporter
 *   ./syslog_exporter
 */
#include <otelrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#define CHECK(call)                                                              \
    do {                                                                         \
        otelrs_status s_ = (call);                                               \
        if (s_ != OTELRS_OK) {                                                   \
            fprintf(stderr, "%s failed: %s\n", #call, otelrs_last_error());      \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

/* Called on otelrs's log export thread with each batch (valid during the call only). */
static int to_syslog(const uint8_t *batch, size_t len, void *user_data) {
    int *batches = user_data;
    (*batches)++;
    syslog(LOG_INFO, "%.*s", (int)len, (const char *)batch);
    printf("batch %d, %zu bytes: %.*s\n", *batches, len, (int)(len > 120 ? 120 : len), (const char *)batch);
    fflush(stdout);
    return OTELRS_EXPORT_SUCCESS; /* OTELRS_EXPORT_RETRY: try again later; OTELRS_EXPORT_FAILURE: lost */
}

int main(void) {
    openlog("otelrs-example", LOG_PID, LOG_USER);
    int batches = 0;
    otelrs_config *cfg;
    CHECK(otelrs_config_new(&cfg));
    CHECK(otelrs_config_set(cfg, "OTEL_SERVICE_NAME", "checkout"));
    CHECK(otelrs_config_set(cfg, "OTEL_METRICS_EXPORTER", "none"));
    CHECK(otelrs_config_set(cfg, "OTEL_LOGS_EXPORTER", "none")); /* only ours */
    CHECK(otelrs_config_add_log_exporter(cfg, "syslog", OTELRS_EXPORT_JSON, to_syslog, &batches));
    otelrs_sdk *sdk;
    CHECK(otelrs_sdk_new(cfg, &sdk));
    otelrs_config_free(cfg);

    otelrs_logger *log;
    CHECK(otelrs_logger_new(sdk, "checkout", NULL, &log));
    otelrs_attribute attrs[] = {OTELRS_STR("order.id", "A-17")};
    CHECK(otelrs_log(log, OTELRS_SEVERITY_INFO, "order placed", attrs, 1));
    CHECK(otelrs_log(log, OTELRS_SEVERITY_WARN, "payment slow", NULL, 0));
    CHECK(otelrs_sdk_force_flush(sdk, 5000));
    printf("%d batch(es) exported\n", batches);

    otelrs_logger_free(log);
    CHECK(otelrs_sdk_shutdown(sdk, 5000));
    otelrs_sdk_free(sdk);
    closelog();
    return batches > 0 ? 0 : 1;
}
