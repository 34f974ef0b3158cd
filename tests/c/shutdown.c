/* Shutdown and free against an endpoint that never answers. Argument "shutdown": record, call
 * otelrs_sdk_shutdown(sdk, 1000) and print its status. Argument "free": record and free the
 * SDK without shutting it down. Either way the program must end promptly. */
#include "check.h"

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    otelrs_sdk *sdk;
    otelrs_meter *m;
    otelrs_counter_u64 *c;
    MUST(otelrs_sdk_new(NULL, &sdk));
    MUST(otelrs_meter_new(sdk, "stuck", NULL, &m));
    MUST(otelrs_counter_u64_new(m, "stuck.counter", NULL, NULL, &c));
    MUST(otelrs_counter_u64_add(c, 1, NULL, 0));
    if (strcmp(argv[1], "shutdown") == 0) {
        otelrs_status s = otelrs_sdk_shutdown(sdk, 1000);
        printf("%s %s\n", otelrs_status_name(s), otelrs_last_error());
    }
    otelrs_counter_u64_free(c);
    otelrs_meter_free(m);
    otelrs_sdk_free(sdk);
    printf("done\n");
    return 0;
}
