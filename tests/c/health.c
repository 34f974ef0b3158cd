/* The health rules and callback (OTELRS_HEALTH_RULES from the environment).
 *   health   sets a callback that prints "told STATUS REPORT" for each change of status, logs
 *            three error records, waits until told (at most 10 s), then prints
 *            "report REPORT" (otelrs_sdk_health_json) and shuts down. */
#include "check.h"
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int told;

static void on_change(const char *status, const char *report, void *user_data) {
    pthread_mutex_lock(&lock);
    printf("told %s %s %s\n", (const char *)user_data, status, report);
    fflush(stdout);
    told++;
    pthread_mutex_unlock(&lock);
}

int main(void) {
    otelrs_config *cfg;
    MUST(otelrs_config_new(&cfg));
    EXPECT_STATUS(OTELRS_ERR_NULL, "health_fn", otelrs_config_set_health_callback(cfg, NULL, NULL));
    MUST(otelrs_config_set_health_callback(cfg, on_change, (void *)"cb"));
    otelrs_sdk *sdk;
    MUST(otelrs_sdk_new(cfg, &sdk));
    otelrs_config_free(cfg);
    otelrs_logger *log;
    MUST(otelrs_logger_new(sdk, "health", NULL, &log));
    for (int i = 0; i < 3; i++) MUST(otelrs_log(log, OTELRS_SEVERITY_ERROR, "boom", NULL, 0));
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&lock);
        int n = told;
        pthread_mutex_unlock(&lock);
        if (n > 0) break;
        usleep(10000);
    }
    char *json;
    MUST(otelrs_sdk_health_json(sdk, &json));
    pthread_mutex_lock(&lock);
    printf("report %s\n", json);
    pthread_mutex_unlock(&lock);
    otelrs_string_free(json);
    MUST(otelrs_sdk_shutdown(sdk, 5000));
    otelrs_logger_free(log);
    otelrs_sdk_free(sdk);
    return SUMMARY();
}
