/* A small "server loop": each request arrives with a W3C traceparent header; the handler makes
 * it the thread's current trace context, so every record it logs carries the request's
 * trace_id and span_id, and records the request's duration in a histogram.
 *
 *   cc server_loop.c $(pkg-config --cflags --libs otelrs) -o server_loop
 *   OTEL_LOGS_EXPORTER=console OTEL_METRICS_EXPORTER=console OTELRS_LOGS_MIN_SEVERITY=info ./server_loop
 */
#include <otelrs.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call)                                                              \
    do {                                                                         \
        otelrs_status s_ = (call);                                               \
        if (s_ != OTELRS_OK) {                                                   \
            fprintf(stderr, "%s failed: %s\n", #call, otelrs_last_error());      \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

struct request {
    const char *traceparent; /* as received in the HTTP header */
    const char *route;
    int status;
    double seconds;
};

static void handle(otelrs_logger *log, otelrs_histogram_f64 *duration, const struct request *req) {
    otelrs_trace_context ctx, saved;
    if (otelrs_trace_context_parse(req->traceparent, &ctx) != OTELRS_OK) {
        /* A bad header is the client's problem: log it and serve the request untraced. */
        otelrs_attribute why[] = {OTELRS_STR("error", otelrs_last_error())};
        CHECK(otelrs_log(log, OTELRS_SEVERITY_WARN, "ignoring a bad traceparent header", why, 1));
        otelrs_trace_context_set_current(NULL, &saved);
    } else {
        CHECK(otelrs_trace_context_set_current(&ctx, &saved));
    }

    otelrs_attribute attrs[] = {OTELRS_STR("http.route", req->route),
                                OTELRS_INT("http.response.status_code", req->status)};
    /* A cheap check first: no work for a record nobody will see. */
    if (otelrs_logger_enabled(log, OTELRS_SEVERITY_DEBUG)) {
        CHECK(otelrs_log(log, OTELRS_SEVERITY_DEBUG, "request details", attrs, 2));
    }
    otelrs_severity sev = req->status >= 500 ? OTELRS_SEVERITY_ERROR : OTELRS_SEVERITY_INFO;
    CHECK(otelrs_log(log, sev, req->status >= 500 ? "request failed" : "request served", attrs, 2));
    CHECK(otelrs_histogram_f64_record(duration, req->seconds, attrs, 2));

    CHECK(otelrs_trace_context_set_current(&saved, NULL)); /* leave the request's scope */
}

int main(void) {
    otelrs_sdk *sdk;
    CHECK(otelrs_sdk_new(NULL, &sdk));
    otelrs_logger *log;
    CHECK(otelrs_logger_new(sdk, "server", "1.0", &log));
    otelrs_meter *meter;
    CHECK(otelrs_meter_new(sdk, "server", "1.0", &meter));
    otelrs_histogram_f64 *duration;
    CHECK(otelrs_histogram_f64_new(meter, "http.server.request.duration", "s", "Duration of HTTP requests",
                                   NULL, 0, &duration));

    const struct request requests[] = {
        {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "/users/{id}", 200, 0.012},
        {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "/orders", 503, 0.250},
        {"not-a-traceparent", "/health", 200, 0.001},
    };
    for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
        handle(log, duration, &requests[i]);
    }

    CHECK(otelrs_sdk_shutdown(sdk, 5000));
    otelrs_log_stats stats;
    CHECK(otelrs_logger_stats(log, &stats));
    printf("records emitted %llu, kept %llu, filtered %llu\n", (unsigned long long)stats.emitted,
           (unsigned long long)stats.kept, (unsigned long long)stats.filtered);
    otelrs_histogram_f64_free(duration);
    otelrs_meter_free(meter);
    otelrs_logger_free(log);
    otelrs_sdk_free(sdk);
    return 0;
}
