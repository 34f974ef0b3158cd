/* A configuration file from code: config_file PATH [SERVICE] reads PATH with
 * otelrs_config_from_file (and sets OTEL_SERVICE_NAME to SERVICE from code, when given),
 * starts the SDK, logs one record and shuts down; prints the status of each step and, on an
 * error, otelrs_last_error(). */
#include "check.h"

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    otelrs_config *cfg;
    MUST(otelrs_config_new(&cfg));
    otelrs_status s = otelrs_config_from_file(cfg, argv[1]);
    printf("from_file %s %s\n", otelrs_status_name(s), s == OTELRS_OK ? "" : otelrs_last_error());
    if (s != OTELRS_OK) return 1;
    if (argc > 2) MUST(otelrs_config_set(cfg, "OTEL_SERVICE_NAME", argv[2]));
    otelrs_sdk *sdk;
    MUST(otelrs_sdk_new(cfg, &sdk));
    otelrs_config_free(cfg);
    otelrs_logger *log;
    MUST(otelrs_logger_new(sdk, "configured", NULL, &log));
    MUST(otelrs_log(log, OTELRS_SEVERITY_WARN, "from the file", NULL, 0));
    MUST(otelrs_sdk_shutdown(sdk, 5000));
    otelrs_logger_free(log);
    otelrs_sdk_free(sdk);
    return 0;
}
