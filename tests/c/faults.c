/* otelrs under conditions a host process may meet; settings come from the environment.
 *
 *   faults logs N      logs N records of about 200 bytes, flushes (5 s), prints the flush
 *                      status, "stats kept=K dropped=D" and the health report
 *   faults pace R S    logs R records a second (attribute i = 0, 1, ...) for S seconds, then
 *                      shuts down (30 s) and prints "stats kept=K dropped=D"
 *   faults soak R A S  logs R records and adds A to a counter a second for S seconds, timing
 *                      every call; shuts down (120 s) and prints "kept K dropped D max_log_us
 *                      L max_add_us M rss_max_kb X", then the health report
 *   faults park N      logs N records, flushes, prints "parked" and waits to be killed
 *   faults idle        logs 10 records, flushes, then sleeps 1 s; prints "idle_cpu_ms X": the
 *                      CPU time the whole process used while it slept
 *   faults until_error logs batches of 100 records and flushes after each until a flush
 *                      fails (at most 10 000 batches); prints the batches and the status,
 *                      then logs one record and prints the next flush's status
 *   faults loggers N   makes N loggers of distinct names, logs one record with each and frees
 *                      it; prints the resident memory (kB) after N/10 and after N, then
 *                      "emitted E kept K"
 *   faults race        4 threads add 1 to a counter (by array, and bound) as fast as they can
 *                      while the main thread shuts down after 200 ms; prints "ok N", the
 *                      adds that returned OTELRS_OK (all of which must be exported)
 *   faults forks N     4 threads record and log without pause while the main thread forks N
 *                      times; each child records, logs, collects, flushes and shuts down
 *                      (statuses checked) and exits; prints "forks N ok K", K children that
 *                      exited 0
 *   faults flushes N MS [PAUSE]
 *                      adds 1 to a counter and flushes with a timeout of MS, N times;
 *                      prints each flush's status, waits PAUSE seconds, then shuts down
 *                      (MS) and prints that
 *   faults diag        with a diagnostics handler set before the SDK is made (it prints
 *                      "diag LEVEL THREAD: MESSAGE", THREAD "main" or "other"), logs a record
 *                      that is not valid UTF-8 and a good one, shuts down (5 s) and prints
 *                      "shutdown STATUS" and "refused R kept K" */
#include "check.h"
#include <pthread.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static otelrs_sdk *sdk;
static otelrs_logger *logger;

static void log_some(long n) {
    char body[200];
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    for (long i = 0; i < n; i++) {
        otelrs_attribute attrs[] = {OTELRS_INT("i", i)};
        MUST(otelrs_log(logger, OTELRS_SEVERITY_INFO, body, attrs, 1));
    }
}

static otelrs_counter_u64 *race_counter;
static otelrs_bound_counter_u64 *race_bound;

static void *race_worker(void *arg) {
    long id = (long)arg;
    char who[16];
    snprintf(who, sizeof who, "t%ld", id);
    otelrs_attribute mine[] = {OTELRS_STR("thread", who)};
    unsigned long long ok = 0;
    for (;;) {
        otelrs_status s = id % 2 ? otelrs_counter_u64_add(race_counter, 1, mine, 1)
                                 : otelrs_bound_counter_u64_add(race_bound, 1);
        if (s != OTELRS_OK) break;
        ok++;
    }
    return (void *)(uintptr_t)ok;
}

static volatile int forking_done;

static void *load_worker(void *arg) {
    (void)arg;
    otelrs_attribute mine[] = {OTELRS_STR("load", "yes")};
    while (!forking_done) {
        (void)otelrs_counter_u64_add(race_counter, 1, mine, 1);
        (void)otelrs_bound_counter_u64_add(race_bound, 1);
        (void)otelrs_log(logger, OTELRS_SEVERITY_INFO, "under load", mine, 1);
    }
    return NULL;
}

static int child_work(void) {
    otelrs_attribute child[] = {OTELRS_STR("who", "child")};
    if (otelrs_counter_u64_add(race_counter, 1, child, 1) != OTELRS_OK) return 10;
    if (otelrs_log(logger, OTELRS_SEVERITY_INFO, "child", child, 1) != OTELRS_OK) return 11;
    char *json = NULL;
    if (otelrs_sdk_collect_json(sdk, &json) != OTELRS_OK) return 12;
    int has = strstr(json, "\"child\"") != NULL;
    otelrs_string_free(json);
    if (!has) return 13;
    if (otelrs_sdk_force_flush(sdk, 2000) != OTELRS_OK) return 14;
    if (otelrs_sdk_shutdown(sdk, 2000) != OTELRS_OK) return 15;
    return 0;
}

static double cpu_ms(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

static pthread_t main_thread;
static pthread_mutex_t diag_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_diagnostic(uint32_t level, const char *message, void *user_data) {
    pthread_mutex_lock(&diag_lock);
    printf("diag %u %s: %s\n", level, pthread_equal(pthread_self(), main_thread) ? "main" : "other", message);
    fflush(stdout);
    pthread_mutex_unlock(&diag_lock);
    (void)user_data;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: faults logs N | idle | until_error\n");
        return 2;
    }
    main_thread = pthread_self();
    if (strcmp(argv[1], "diag") == 0) otelrs_set_diagnostics_handler(on_diagnostic, NULL);
    MUST(otelrs_sdk_new(NULL, &sdk));
    MUST(otelrs_logger_new(sdk, "faults", NULL, &logger));
    if (strcmp(argv[1], "logs") == 0) {
        log_some(argc > 2 ? atol(argv[2]) : 1000);
        otelrs_status s = otelrs_sdk_force_flush(sdk, 5000);
        printf("flush %s\n", otelrs_status_name(s));
        otelrs_log_stats st;
        MUST(otelrs_sdk_log_stats(sdk, &st));
        printf("stats kept=%llu dropped=%llu\n", (unsigned long long)st.kept, (unsigned long long)st.dropped);
        char *health;
        MUST(otelrs_sdk_health_json(sdk, &health));
        printf("%s\n", health);
        otelrs_string_free(health);
    } else if (strcmp(argv[1], "pace") == 0 && argc == 4) {
        long rate = atol(argv[2]), seconds = atol(argv[3]), i = 0;
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (long ms = 0; ms < seconds * 1000; ms++) {
            for (long target = rate * (ms + 1) / 1000; i < target; i++) {
                otelrs_attribute attrs[] = {OTELRS_INT("i", i)};
                MUST(otelrs_log(logger, OTELRS_SEVERITY_INFO, "paced", attrs, 1));
            }
            clock_gettime(CLOCK_MONOTONIC, &now);
            long elapsed_us = (now.tv_sec - start.tv_sec) * 1000000L + (now.tv_nsec - start.tv_nsec) / 1000;
            long wait_us = (ms + 1) * 1000L - elapsed_us;
            if (wait_us > 0) {
                struct timespec w = {0, wait_us * 1000L};
                nanosleep(&w, NULL);
            }
        }
        printf("shutdown %s\n", otelrs_status_name(otelrs_sdk_shutdown(sdk, 30000)));
        otelrs_log_stats st;
        MUST(otelrs_sdk_log_stats(sdk, &st));
        printf("stats kept=%llu dropped=%llu\n", (unsigned long long)st.kept, (unsigned long long)st.dropped);
        fflush(stdout);
    } else if (strcmp(argv[1], "soak") == 0 && argc == 5) {
        long rate = atol(argv[2]), adds = atol(argv[3]), seconds = atol(argv[4]), logged = 0, added = 0;
        otelrs_meter *meter;
        MUST(otelrs_meter_new(sdk, "soak", NULL, &meter));
        MUST(otelrs_counter_u64_new(meter, "soak.adds", NULL, NULL, &race_counter));
        double max_log = 0, max_add = 0;
        long rss_max = 0;
        struct timespec start, a, b;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (long ms = 0; ms < seconds * 1000; ms++) {
            for (long target = rate * (ms + 1) / 1000; logged < target; logged++) {
                otelrs_attribute attrs[] = {OTELRS_INT("i", logged), OTELRS_STR("route", "/checkout")};
                clock_gettime(CLOCK_MONOTONIC, &a);
                MUST(otelrs_log(logger, OTELRS_SEVERITY_INFO, "soak record", attrs, 2));
                clock_gettime(CLOCK_MONOTONIC, &b);
                double us = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
                if (us > max_log) max_log = us;
            }
            for (long target = adds * (ms + 1) / 1000; added < target; added++) {
                otelrs_attribute attrs[] = {OTELRS_STR("route", added % 2 ? "/a" : "/b")};
                clock_gettime(CLOCK_MONOTONIC, &a);
                MUST(otelrs_counter_u64_add(race_counter, 1, attrs, 1));
                clock_gettime(CLOCK_MONOTONIC, &b);
                double us = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
                if (us > max_add) max_add = us;
            }
            if (ms % 1000 == 0) {
                long rss = rss_kb();
                if (rss > rss_max) rss_max = rss;
            }
            clock_gettime(CLOCK_MONOTONIC, &b);
            long wait_us = (ms + 1) * 1000L - ((b.tv_sec - start.tv_sec) * 1000000L + (b.tv_nsec - start.tv_nsec) / 1000);
            if (wait_us > 0) {
                struct timespec w = {0, wait_us * 1000L};
                nanosleep(&w, NULL);
            }
        }
        otelrs_status down = otelrs_sdk_shutdown(sdk, 120000);
        if (down != OTELRS_OK) fprintf(stderr, "shutdown: %s\n", otelrs_last_error());
        otelrs_log_stats st;
        MUST(otelrs_sdk_log_stats(sdk, &st));
        printf("kept %llu dropped %llu max_log_us %.1f max_add_us %.1f rss_max_kb %ld\n",
               (unsigned long long)st.kept, (unsigned long long)st.dropped, max_log, max_add, rss_max);
        char *health;
        MUST(otelrs_sdk_health_json(sdk, &health));
        printf("%s\n", health);
        otelrs_string_free(health);
        otelrs_counter_u64_free(race_counter);
        otelrs_meter_free(meter);
    } else if (strcmp(argv[1], "diag") == 0) {
        otelrs_status bad = otelrs_log(logger, OTELRS_SEVERITY_INFO, "not UTF-8 \xff", NULL, 0);
        pthread_mutex_lock(&diag_lock);
        printf("log %s\n", otelrs_status_name(bad));
        pthread_mutex_unlock(&diag_lock);
        MUST(otelrs_log(logger, OTELRS_SEVERITY_INFO, "fine", NULL, 0));
        otelrs_status down = otelrs_sdk_shutdown(sdk, 5000);
        otelrs_log_stats st;
        MUST(otelrs_sdk_log_stats(sdk, &st));
        pthread_mutex_lock(&diag_lock);
        printf("shutdown %s\nrefused %llu kept %llu\n", otelrs_status_name(down), (unsigned long long)st.refused,
               (unsigned long long)st.kept);
        pthread_mutex_unlock(&diag_lock);
    } else if (strcmp(argv[1], "park") == 0 && argc == 3) {
        log_some(atol(argv[2]));
        printf("flush %s\nparked\n", otelrs_status_name(otelrs_sdk_force_flush(sdk, 5000)));
        fflush(stdout);
        for (;;) pause();
    } else if (strcmp(argv[1], "idle") == 0) {
        log_some(10);
        MUST(otelrs_sdk_force_flush(sdk, 5000));
        double before = cpu_ms();
        struct timespec second = {1, 0};
        nanosleep(&second, NULL);
        printf("idle_cpu_ms %.1f\n", cpu_ms() - before);
    } else if (strcmp(argv[1], "loggers") == 0 && argc == 3) {
        long n = atol(argv[2]);
        for (long i = 0; i < n; i++) {
            char name[64];
            snprintf(name, sizeof name, "request.%ld", i);
            otelrs_logger *l;
            MUST(otelrs_logger_new(sdk, name, NULL, &l));
            MUST(otelrs_log(l, OTELRS_SEVERITY_INFO, "hello", NULL, 0));
            otelrs_logger_free(l);
            if (i + 1 == n / 10) printf("rss_tenth %ld\n", rss_kb());
        }
        printf("rss_all %ld\n", rss_kb());
        otelrs_log_stats st;
        MUST(otelrs_sdk_log_stats(sdk, &st));
        printf("emitted %llu kept %llu\n", (unsigned long long)st.emitted, (unsigned long long)st.kept);
    } else if (strcmp(argv[1], "race") == 0) {
        otelrs_meter *meter;
        otelrs_attributes *set;
        otelrs_attribute bound_attrs[] = {OTELRS_STR("thread", "bound")};
        MUST(otelrs_meter_new(sdk, "faults", NULL, &meter));
        MUST(otelrs_counter_u64_new(meter, "faults.race", NULL, NULL, &race_counter));
        MUST(otelrs_attributes_new(bound_attrs, 1, &set));
        MUST(otelrs_counter_u64_bind(race_counter, set, &race_bound));
        pthread_t t[4];
        for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, race_worker, (void *)i);
        struct timespec wait = {0, 200 * 1000 * 1000};
        nanosleep(&wait, NULL);
        MUST(otelrs_sdk_shutdown(sdk, 10000));
        unsigned long long ok = 0;
        for (int i = 0; i < 4; i++) {
            void *n;
            pthread_join(t[i], &n);
            ok += (uintptr_t)n;
        }
        printf("ok %llu\n", ok);
        otelrs_bound_counter_u64_free(race_bound);
        otelrs_attributes_free(set);
        otelrs_counter_u64_free(race_counter);
        otelrs_meter_free(meter);
        otelrs_logger_free(logger);
        otelrs_sdk_free(sdk);
        return 0;
    } else if (strcmp(argv[1], "forks") == 0 && argc == 3) {
        otelrs_meter *meter;
        otelrs_attributes *set;
        otelrs_attribute bound_attrs[] = {OTELRS_STR("load", "bound")};
        MUST(otelrs_meter_new(sdk, "faults", NULL, &meter));
        MUST(otelrs_counter_u64_new(meter, "faults.load", NULL, NULL, &race_counter));
        MUST(otelrs_attributes_new(bound_attrs, 1, &set));
        MUST(otelrs_counter_u64_bind(race_counter, set, &race_bound));
        pthread_t t[4];
        for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, load_worker, NULL);
        long n = atol(argv[2]), ok = 0;
        for (long i = 0; i < n; i++) {
            pid_t pid = fork();
            if (pid == 0) _exit(child_work());
            int status = 0;
            if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0) ok++;
            else fprintf(stderr, "child %ld: status %d\n", i, status);
        }
        forking_done = 1;
        for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
        printf("forks %ld ok %ld\n", n, ok);
        otelrs_bound_counter_u64_free(race_bound);
        otelrs_attributes_free(set);
        otelrs_counter_u64_free(race_counter);
        otelrs_meter_free(meter);
    } else if (strcmp(argv[1], "flushes") == 0 && argc >= 4) {
        otelrs_meter *meter;
        otelrs_counter_u64 *c;
        MUST(otelrs_meter_new(sdk, "faults", NULL, &meter));
        MUST(otelrs_counter_u64_new(meter, "faults.flushes", NULL, NULL, &c));
        long n = atol(argv[2]);
        uint32_t ms = (uint32_t)atol(argv[3]);
        for (long i = 0; i < n; i++) {
            MUST(otelrs_counter_u64_add(c, 1, NULL, 0));
            printf("flush %s\n", otelrs_status_name(otelrs_sdk_force_flush(sdk, ms)));
        }
        fflush(stdout);
        if (argc > 4) sleep((unsigned)atoi(argv[4]));
        printf("shutdown %s\n", otelrs_status_name(otelrs_sdk_shutdown(sdk, ms)));
        fflush(stdout);
        otelrs_counter_u64_free(c);
        otelrs_meter_free(meter);
    } else {
        long batches = 0;
        otelrs_status s = OTELRS_OK;
        while (s == OTELRS_OK && batches < 10000) {
            log_some(100);
            s = otelrs_sdk_force_flush(sdk, 5000);
            batches++;
        }
        printf("batches %ld status %s\n", batches, otelrs_status_name(s));
        /* One small record more: it fits where the failed batch's partial line was cut. */
        log_some(1);
        printf("after %s\n", otelrs_status_name(otelrs_sdk_force_flush(sdk, 5000)));
    }
    /* Some modes shut down already, or export to an endpoint that is down on purpose: they
     * check what matters to them; this last shutdown's status is not. */
    otelrs_status last = otelrs_sdk_shutdown(sdk, 5000);
    (void)last;
    otelrs_logger_free(logger);
    otelrs_sdk_free(sdk);
    return 0;
}
