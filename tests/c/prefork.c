/* A pre-fork server in miniature. The process sets otelrs up (Prometheus exporter, settings
 * from the environment), then forks WORKERS (argv[1]) workers. Each worker counts ADD
 * (argv[2]) requests into prefork.requests{route="/r"}, records ten latencies, sets the
 * up-down counter prefork.active to 1, and reports its pid as the gauge prefork.worker.pid;
 * then it waits. On SIGTERM a worker counts ADD/2 more and shuts otelrs down, which sends
 * its last counts to the process holding the port. The process itself counts nothing.
 *
 * On SIGUSR1 a worker writes what its app's own server would answer a scrape with
 * (otelrs_sdk_prometheus_exposition) to $PREFORK_EXPOSE_DIR/PID.txt: the Content-Type on the
 * first line, then the body.
 *
 * Standard input: "fork" starts one more worker, "quit" sends SIGTERM to every worker, waits
 * for them and shuts down. Prints "ready", then "worker PID" for each worker started. */
#include "check.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t terminated, expose_asked;

static void on_term(int sig) {
    (void)sig;
    terminated = 1;
}

static void on_usr1(int sig) {
    (void)sig;
    expose_asked = 1;
}

static void observe_pid(otelrs_observer *o, void *ud) {
    (void)ud;
    MUST(otelrs_observer_observe_i64(o, (int64_t)getpid(), NULL, 0));
}

static otelrs_sdk *sdk;
static otelrs_counter_u64 *requests;
static otelrs_histogram_f64 *latency;
static otelrs_up_down_counter_i64 *active;
static uint64_t add;

static void expose(void) {
    const char *dir = getenv("PREFORK_EXPOSE_DIR");
    char path[512], tmp[520];
    snprintf(path, sizeof path, "%s/%d.txt", dir ? dir : ".", (int)getpid());
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    otelrs_exposition e;
    MUST(otelrs_sdk_prometheus_exposition(sdk, NULL, NULL, &e));
    if (e.content_encoding != NULL) {
        fprintf(stderr, "compressed without Accept-Encoding\n");
        exit(1);
    }
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s\n", e.content_type) < 0 || fwrite(e.body, 1, e.body_len, f) != e.body_len ||
        fclose(f) != 0 || rename(tmp, path) != 0) {
        perror(path);
        exit(1);
    }
    otelrs_exposition_free(&e);
    otelrs_exposition_free(&e); /* cleared: a second free is a no-op */
}

static void count(uint64_t n) {
    otelrs_attribute route[] = {OTELRS_STR("route", "/r")};
    MUST(otelrs_counter_u64_add(requests, n, route, 1));
}

static pid_t start_worker(void) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid > 0) {
        printf("worker %d\n", (int)pid);
        fflush(stdout);
        return pid;
    }
    alarm(120); /* a hang becomes a failure, not a stuck test */
    count(add);
    for (int i = 0; i < 10; i++) {
        MUST(otelrs_histogram_f64_record(latency, 0.01 * (i + 1), NULL, 0));
    }
    MUST(otelrs_up_down_counter_i64_add(active, 1, NULL, 0));
    while (!terminated) {
        pause();
        if (expose_asked) {
            expose_asked = 0;
            expose();
        }
    }
    count(add / 2);
    MUST(otelrs_sdk_shutdown(sdk, 5000));
    _exit(0);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: prefork WORKERS ADD\n");
        return 2;
    }
    int workers = atoi(argv[1]);
    add = strtoull(argv[2], NULL, 10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);

    otelrs_meter *m;
    otelrs_observable *pid_gauge;
    MUST(otelrs_sdk_new(NULL, &sdk));
    MUST(otelrs_meter_new(sdk, "prefork", NULL, &m));
    MUST(otelrs_counter_u64_new(m, "prefork.requests", "{request}", NULL, &requests));
    MUST(otelrs_histogram_f64_new(m, "prefork.latency", "s", NULL, NULL, 0, &latency));
    MUST(otelrs_up_down_counter_i64_new(m, "prefork.active", "{request}", NULL, &active));
    MUST(otelrs_observable_gauge_i64_new(m, "prefork.worker.pid", NULL, NULL, observe_pid, NULL,
                                         &pid_gauge));

    pid_t pids[256];
    int started = 0;
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < workers && started < 256; i++) {
        pids[started++] = start_worker();
    }
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "fork", 4) == 0 && started < 256) {
            pids[started++] = start_worker();
        } else if (strncmp(line, "quit", 4) == 0) {
            break;
        }
    }
    for (int i = 0; i < started; i++) {
        kill(pids[i], SIGTERM);
    }
    for (int i = 0; i < started; i++) {
        waitpid(pids[i], NULL, 0);
    }
    otelrs_observable_free(pid_gauge);
    MUST(otelrs_sdk_shutdown(sdk, 5000));
    otelrs_up_down_counter_i64_free(active);
    otelrs_histogram_f64_free(latency);
    otelrs_counter_u64_free(requests);
    otelrs_meter_free(m);
    otelrs_sdk_free(sdk);
    return 0;
}
