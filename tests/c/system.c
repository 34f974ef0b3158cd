/* System metrics and health from C, settings from the environment.
 *
 *   system work FILE  prints otelrs_sdk_collect_json, burns one second of CPU, writes 4 MiB
 *                     to FILE and syncs it, lets a thread sleep 200 times, prints "rusage
 *                     USER SYS VCSW" (seconds and voluntary context switches, from
 *                     getrusage), "fds N groups G" (entries of /proc/self/fd, and
 *                     otelrs_sdk_system_metrics), then
 *                     otelrs_sdk_collect_json again: one JSON object per line.
 *   system health     until standard input closes, records a counter and emits a log record
 *                     every 50 ms and prints otelrs_sdk_health_json every 250 ms; then shuts
 *                     down and prints the health once more. */
#include "check.h"
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static otelrs_sdk *start(void) {
    otelrs_config *cfg;
    MUST(otelrs_config_new(&cfg));
    otelrs_sdk *sdk;
    otelrs_status s = otelrs_sdk_new(cfg, &sdk);
    otelrs_config_free(cfg);
    if (s != OTELRS_OK) {
        printf("sdk refused %s: %s\n", otelrs_status_name(s), otelrs_last_error());
        exit(0);
    }
    return sdk;
}

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *sleep_200_times(void *arg) {
    (void)arg;
    struct timespec ms = {0, 1000 * 1000};
    for (int i = 0; i < 200; i++) nanosleep(&ms, NULL);
    return NULL;
}

static int work(const char *path) {
    otelrs_sdk *sdk = start();
    print_collected(sdk);
    volatile double sink = 0;
    for (double until = cpu_seconds() + 1.0; cpu_seconds() < until;)
        for (int i = 0; i < 100000; i++) sink += i * 0.5;
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 2;
    for (int i = 0; i < 4; i++)
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block) return 2;
    fsync(fd);
    close(fd);
    /* A thread of the program's own sleeps 200 times: 200 voluntary context switches that
     * are not the main thread's. */
    pthread_t sleeper;
    pthread_create(&sleeper, NULL, sleep_200_times, NULL);
    pthread_join(sleeper, NULL);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("rusage %.6f %.6f %ld\n", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
           ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_nvcsw);
    int fds = 0;
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *e; d && (e = readdir(d));) fds += e->d_name[0] != '.';
    if (d) closedir(d);
    printf("fds %d groups %u\n", fds - 1, otelrs_sdk_system_metrics(sdk)); /* less opendir's own fd */
    print_collected(sdk);
    MUST(otelrs_sdk_shutdown(sdk, 5000));
    return 0;
}

static void print_health(otelrs_sdk *sdk) {
    char *json;
    MUST(otelrs_sdk_health_json(sdk, &json));
    printf("%s\n", json);
    fflush(stdout);
    otelrs_string_free(json);
}

static int health(void) {
    otelrs_sdk *sdk = start();
    otelrs_meter *meter;
    MUST(otelrs_meter_new(sdk, "health", NULL, &meter));
    otelrs_counter_u64 *ticks;
    MUST(otelrs_counter_u64_new(meter, "health.ticks", "{tick}", "", &ticks));
    otelrs_logger *logger;
    MUST(otelrs_logger_new(sdk, "health", NULL, &logger));
    struct pollfd in = {.fd = 0, .events = POLLIN};
    for (int n = 0;; n++) {
        MUST(otelrs_counter_u64_add(ticks, 1, NULL, 0));
        MUST(otelrs_log(logger, OTELRS_SEVERITY_INFO, "tick", NULL, 0));
        if (n % 5 == 0) print_health(sdk);
        char c;
        if (poll(&in, 1, 50) > 0 && read(0, &c, 1) <= 0) break;
    }
    otelrs_status down = otelrs_sdk_shutdown(sdk, 2000); /* the health report says how it went */
    (void)down;
    print_health(sdk);
    otelrs_logger_free(logger);
    otelrs_counter_u64_free(ticks);
    otelrs_meter_free(meter);
    otelrs_sdk_free(sdk);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "work")) return work(argv[2]);
    if (argc == 2 && !strcmp(argv[1], "health")) return health();
    fprintf(stderr, "usage: system work FILE | system health\n");
    return 2;
}
