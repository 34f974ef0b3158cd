/* Fork: the parent records, forks, and both go on recording. The child must neither hang nor
 * crash, must export its own measurements (with its own process.pid, without the parent's
 * pre-fork counts, nor a series at 0 for a bound instrument it never used), and the parent
 * must keep exporting. Settings come from the environment
 * (the test points OTLP at the Collector). Prints "parent PID" and "child PID". */
#include "check.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void observe_pid(otelrs_observer *o, void *ud) {
    (void)ud;
    MUST(otelrs_observer_observe_i64(o, (int64_t)getpid(), NULL, 0));
}

int main(void) {
    otelrs_sdk *sdk;
    otelrs_meter *m;
    otelrs_counter_u64 *c;
    otelrs_attributes *set;
    otelrs_bound_counter_u64 *bound;
    otelrs_histogram_f64 *latency;
    otelrs_bound_histogram_f64 *parent_latency; /* the child never records through it */
    otelrs_observable *pid_gauge;
    otelrs_logger *log;
    MUST(otelrs_sdk_new(NULL, &sdk));
    MUST(otelrs_logger_new(sdk, "fork", NULL, &log));
    MUST(otelrs_meter_new(sdk, "fork", NULL, &m));
    MUST(otelrs_counter_u64_new(m, "fork.events", NULL, NULL, &c));
    MUST(otelrs_observable_gauge_i64_new(m, "fork.pid", NULL, NULL, observe_pid, NULL, &pid_gauge));
    otelrs_attribute bound_attrs[] = {OTELRS_STR("who", "bound")};
    MUST(otelrs_attributes_new(bound_attrs, 1, &set));
    MUST(otelrs_counter_u64_bind(c, set, &bound));
    MUST(otelrs_histogram_f64_new(m, "fork.latency", "s", NULL, NULL, 0, &latency));
    MUST(otelrs_histogram_f64_bind(latency, set, &parent_latency));
    MUST(otelrs_bound_histogram_f64_record(parent_latency, 0.5));

    otelrs_attribute before[] = {OTELRS_STR("who", "parent-before-fork")};
    MUST(otelrs_counter_u64_add(c, 5, before, 1));
    MUST(otelrs_bound_counter_u64_add(bound, 1));
    /* Still queued at the fork: exported by the parent only. */
    MUST(otelrs_log(log, OTELRS_SEVERITY_INFO, "parent before fork", NULL, 0));

    fflush(stdout);
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 2;
    }
    if (child == 0) {
        alarm(30); /* a hang becomes a failure, not a stuck test */
        otelrs_attribute mine[] = {OTELRS_STR("who", "child")};
        MUST(otelrs_counter_u64_add(c, 7, mine, 1));
        /* The same attributes the parent used before the fork: the child counts only its own. */
        MUST(otelrs_counter_u64_add(c, 3, before, 1));
        MUST(otelrs_bound_counter_u64_add(bound, 2));
        MUST(otelrs_log(log, OTELRS_SEVERITY_WARN, "child", NULL, 0));
        otelrs_status flushed = otelrs_sdk_force_flush(sdk, 10000);
        otelrs_status down = otelrs_sdk_shutdown(sdk, 10000);
        printf("child %d flush %s shutdown %s\n", (int)getpid(), otelrs_status_name(flushed),
               otelrs_status_name(down));
        fflush(stdout);
        _exit(flushed == OTELRS_OK && down == OTELRS_OK ? 0 : 1);
    }

    otelrs_attribute after[] = {OTELRS_STR("who", "parent-after-fork")};
    MUST(otelrs_counter_u64_add(c, 11, after, 1));
    MUST(otelrs_bound_counter_u64_add(bound, 3));
    MUST(otelrs_bound_histogram_f64_record(parent_latency, 0.25));
    MUST(otelrs_log(log, OTELRS_SEVERITY_INFO, "parent after fork", NULL, 0));
    int status = 0;
    waitpid(child, &status, 0);
    MUST(otelrs_sdk_shutdown(sdk, 10000));
    printf("parent %d child-exit %d\n", (int)getpid(), WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));

    otelrs_logger_free(log);
    otelrs_observable_free(pid_gauge);
    otelrs_bound_counter_u64_free(bound);
    otelrs_bound_histogram_f64_free(parent_latency);
    otelrs_histogram_f64_free(latency);
    otelrs_attributes_free(set);
    otelrs_counter_u64_free(c);
    otelrs_meter_free(m);
    otelrs_sdk_free(sdk);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
