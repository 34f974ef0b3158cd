/* Logs from C. Settings come from the environment (the tests choose the exporters).
 *   logs all    every severity, attribute types, event name and timestamp, trace context
 *               (current, explicit, cleared, restored), then flush and shutdown
 *   logs flood  1000 records under the rules the environment sets; prints the counts
 *   logs errors bad input: each gets its status and message; prints "N passed, M failed" */
#include "check.h"
#include <stdint.h>
#include <unistd.h>

static const char *TRACEPARENT_A = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
static const char *TRACEPARENT_B = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";

static int all(otelrs_sdk *sdk, otelrs_logger *log) {
    char body[32];
    for (unsigned sev = 1; sev <= 24; sev++) {
        snprintf(body, sizeof body, "severity %u", sev);
        MUST(otelrs_log(log, sev, body, NULL, 0));
    }
    MUST(otelrs_log(log, OTELRS_SEVERITY_UNSPECIFIED, "no severity", NULL, 0));
    const char *strs[] = {"x", "y"};
    const bool bools[] = {true, false};
    const int64_t ints[] = {1, -2, 3};
    const double dbls[] = {0.5, 1.5};
    otelrs_attribute attrs[] = {
        OTELRS_STR("str", "text"),         OTELRS_BOOL("bool", true),
        OTELRS_INT("int", -42),            OTELRS_DOUBLE("double", 2.5),
        OTELRS_STR_ARRAY("strs", strs, 2), OTELRS_BOOL_ARRAY("bools", bools, 2),
        OTELRS_INT_ARRAY("ints", ints, 3), OTELRS_DOUBLE_ARRAY("doubles", dbls, 2),
    };
    MUST(otelrs_log(log, OTELRS_SEVERITY_INFO, "attribute types", attrs, 8));
    /* The same attributes packed (type byte, key and NUL, value; arrays: 8-byte length, items). */
    static const unsigned char packed[] =
        "\0str\0text\0" "\1bool\0\1" "\2int\0\xd6\xff\xff\xff\xff\xff\xff\xff"
        "\3double\0\0\0\0\0\0\0\x04\x40"
        "\4strs\0\2\0\0\0\0\0\0\0x\0y\0" "\5bools\0\2\0\0\0\0\0\0\0\1\0"
        "\6ints\0\3\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\xfe\xff\xff\xff\xff\xff\xff\xff\3\0\0\0\0\0\0\0"
        "\7doubles\0\2\0\0\0\0\0\0\0\0\0\0\0\0\0\xe0\x3f\0\0\0\0\0\0\xf8\x3f";
    MUST(otelrs_log_packed(log, OTELRS_SEVERITY_INFO, "packed attribute types", packed, sizeof packed - 1, NULL));

    otelrs_log_record event = {OTELRS_SEVERITY_WARN, "an event", NULL, 0, "order.refused",
                               1700000000123456789ULL, NULL};
    MUST(otelrs_log_emit(log, &event));

    otelrs_trace_context a, b, saved;
    MUST(otelrs_trace_context_parse(TRACEPARENT_A, &a));
    MUST(otelrs_trace_context_parse(TRACEPARENT_B, &b));
    MUST(otelrs_trace_context_set_current(&a, &saved));
    MUST(otelrs_log(log, OTELRS_SEVERITY_INFO, "in trace a", NULL, 0));
    otelrs_log_record explicit_b = {OTELRS_SEVERITY_INFO, "explicit trace b", NULL, 0, NULL, 0, &b};
    MUST(otelrs_log_emit(log, &explicit_b));
    MUST(otelrs_log_packed(log, OTELRS_SEVERITY_INFO, "packed in trace a", NULL, 0, NULL));
    MUST(otelrs_log_packed(log, OTELRS_SEVERITY_INFO, "packed explicit trace b", NULL, 0, &b));
    otelrs_trace_context inner_saved;
    MUST(otelrs_trace_context_set_current(NULL, &inner_saved));
    MUST(otelrs_log(log, OTELRS_SEVERITY_INFO, "cleared", NULL, 0));
    MUST(otelrs_trace_context_set_current(&inner_saved, NULL));
    MUST(otelrs_log(log, OTELRS_SEVERITY_INFO, "restored a", NULL, 0));
    MUST(otelrs_trace_context_set_current(&saved, NULL));
    MUST(otelrs_log(log, OTELRS_SEVERITY_INFO, "after the scope", NULL, 0));

    otelrs_status flushed = otelrs_sdk_force_flush(sdk, 10000);
    printf("flush %s\n", otelrs_status_name(flushed));
    return flushed == OTELRS_OK ? 0 : 1;
}

/* 1000 records: severities cycling TRACE, DEBUG, INFO, WARN, ERROR; half of them in a
 * sampled trace, a quarter in an unsampled one, a quarter without. */
static int flood(otelrs_logger *log, otelrs_sdk *sdk) {
    static const unsigned sev[] = {1, 5, 9, 13, 17};
    otelrs_trace_context sampled, unsampled;
    MUST(otelrs_trace_context_parse(TRACEPARENT_A, &sampled));
    MUST(otelrs_trace_context_parse(TRACEPARENT_B, &unsampled));
    for (int i = 0; i < 1000; i++) {
        otelrs_log_record r = {sev[i % 5], "flood", NULL, 0, NULL, 0, NULL};
        if (i % 2 == 0) r.trace_context = &sampled;
        else if (i % 4 == 1) r.trace_context = &unsampled;
        MUST(otelrs_log_emit(log, &r));
    }
    otelrs_log_stats s;
    MUST(otelrs_sdk_log_stats(sdk, &s));
    printf("emitted %llu filtered %llu sampled_out %llu suppressed %llu kept %llu dropped %llu\n",
           (unsigned long long)s.emitted, (unsigned long long)s.filtered, (unsigned long long)s.sampled_out,
           (unsigned long long)s.suppressed, (unsigned long long)s.kept, (unsigned long long)s.dropped);
    return 0;
}

static int errors(otelrs_logger *log, otelrs_sdk *sdk) {
    otelrs_trace_context ctx;
    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_logger is NULL", otelrs_log(NULL, 9, "x", NULL, 0));
    EXPECT_STATUS(OTELRS_ERR_NULL, "body is NULL", otelrs_log(log, 9, NULL, NULL, 0));
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "body is not valid UTF-8", otelrs_log(log, 9, "bad\xff", NULL, 0));
    /* Sizes from outside are checked before anything is allocated. */
    EXPECT_STATUS(OTELRS_ERR_NULL, "attrs is NULL", otelrs_log(log, 9, "x", NULL, (size_t)1 << 40));
    EXPECT_STATUS(OTELRS_ERR_NULL, "attrs is NULL", otelrs_log(log, 9, "x", NULL, SIZE_MAX));
    otelrs_attribute one[] = {OTELRS_STR("k", "v")};
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "cannot be", otelrs_log(log, 9, "x", one, SIZE_MAX));
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "cannot be", otelrs_log(log, 9, "x", one, SIZE_MAX / 2));
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "cannot be",
                  otelrs_log_packed(log, 9, "x", (const unsigned char *)"", SIZE_MAX, NULL));
    otelrs_attribute bad_key[] = {OTELRS_STR("k\xff", "v")};
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "attribute 0: the key", otelrs_log(log, 9, "x", bad_key, 1));
    otelrs_attribute bad_value[] = {OTELRS_STR("k", "\xc0")};
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "attribute 0: the string value", otelrs_log(log, 9, "x", bad_value, 1));
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "severity 25 is out of range", otelrs_log(log, 25, "x", NULL, 0));
    EXPECT(!otelrs_logger_enabled(log, 25) && !otelrs_logger_enabled(NULL, 9), "enabled refuses bad input");
    EXPECT(otelrs_logger_enabled(log, OTELRS_SEVERITY_UNSPECIFIED), "enabled for a record without severity");
    EXPECT(otelrs_logger_enabled(log, 9), "enabled for INFO");
    EXPECT_STATUS(OTELRS_ERR_NULL, "record is NULL", otelrs_log_emit(log, NULL));
    otelrs_log_record bad_event = {9, "x", NULL, 0, "\xff", 0, NULL};
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "event_name is not valid UTF-8", otelrs_log_emit(log, &bad_event));
    otelrs_trace_context zero = {{0}, {0}, 0};
    otelrs_log_record zero_ctx = {9, "x", NULL, 0, NULL, 0, &zero};
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "all-zero", otelrs_log_emit(log, &zero_ctx));
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "invalid traceparent", otelrs_trace_context_parse("00-zz", &ctx));
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "all-zero trace id",
                  otelrs_trace_context_parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01", &ctx));
    EXPECT_STATUS(OTELRS_ERR_NULL, "traceparent is NULL", otelrs_trace_context_parse(NULL, &ctx));
    EXPECT_STATUS(OTELRS_ERR_NULL, "out-pointer", otelrs_trace_context_parse(TRACEPARENT_A, NULL));
    EXPECT_STATUS(OTELRS_ERR_NULL, "out-pointer", otelrs_sdk_log_stats(sdk, NULL));
    EXPECT_STATUS(OTELRS_ERR_NULL, "out-pointer", otelrs_logger_stats(log, NULL));
    EXPECT_STATUS(OTELRS_ERR_NULL, "otelrs_logger is NULL", otelrs_log_packed(NULL, 9, "x", NULL, 0, NULL));
    EXPECT_STATUS(OTELRS_ERR_NULL, "body is NULL", otelrs_log_packed(log, 9, NULL, NULL, 0, NULL));
    EXPECT_STATUS(OTELRS_ERR_NULL, "attrs is NULL", otelrs_log_packed(log, 9, "x", NULL, 3, NULL));
    const unsigned char cut[] = "\2k\0\1\0";
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "attribute 0: the packed attributes end in the middle of it",
                  otelrs_log_packed(log, 9, "x", cut, sizeof cut - 1, NULL));
    const unsigned char bad_utf8[] = "\0k\0\xc0\0";
    EXPECT_STATUS(OTELRS_ERR_INVALID_UTF8, "attribute 0: the string value is not valid UTF-8",
                  otelrs_log_packed(log, 9, "x", bad_utf8, sizeof bad_utf8 - 1, NULL));
    EXPECT_STATUS(OTELRS_ERR_INVALID_ARGUMENT, "all-zero", otelrs_log_packed(log, 9, "x", NULL, 0, &zero));
    otelrs_logger *l2 = NULL;
    EXPECT_STATUS(OTELRS_ERR_NULL, "scope is NULL", otelrs_logger_new(sdk, NULL, NULL, &l2));
    EXPECT_STATUS(OTELRS_ERR_WRONG_HANDLE, "not an otelrs_logger", otelrs_log((otelrs_logger *)sdk, 9, "x", NULL, 0));
    otelrs_logger_free(NULL);
    EXPECT_OK(otelrs_log(log, 9, "still works", NULL, 0));
    /* Only records that exist count: of all the calls above, the last one. */
    otelrs_log_stats st;
    MUST(otelrs_logger_stats(log, &st));
    EXPECT(st.emitted == 1 && st.kept == 1, "emitted %llu, kept %llu after refused calls and one good one",
           (unsigned long long)st.emitted, (unsigned long long)st.kept);
    EXPECT_OK(otelrs_sdk_shutdown(sdk, 5000));
    EXPECT_STATUS(OTELRS_ERR_SHUTDOWN, "shut down", otelrs_log(log, 9, "late", NULL, 0));
    EXPECT(!otelrs_logger_enabled(log, 9), "not enabled after shutdown");
    return SUMMARY();
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    otelrs_sdk *sdk;
    otelrs_logger *log;
    MUST(otelrs_sdk_new(NULL, &sdk));
    MUST(otelrs_logger_new(sdk, "shop.checkout", "2.0", &log));
    int rc;
    if (strcmp(argv[1], "all") == 0) {
        rc = all(sdk, log);
    } else if (strcmp(argv[1], "flood") == 0) {
        rc = flood(log, sdk);
    } else {
        rc = errors(log, sdk);
    }
    otelrs_status down = otelrs_sdk_shutdown(sdk, 10000);
    if (strcmp(argv[1], "errors") != 0 && down != OTELRS_OK) {
        fprintf(stderr, "shutdown: %s\n", otelrs_last_error());
        rc = 1;
    }
    otelrs_logger_free(log);
    otelrs_sdk_free(sdk);
    printf("pid %d\n", (int)getpid());
    return rc;
}
