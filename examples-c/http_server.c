/* A minimal HTTP/1.1 server measured as the semantic conventions say: every request's
 * duration in http.server.request.duration (method, route template, status, protocol) and
 * the requests under way in http.server.active_requests, through otelrs_http_server_*.
 *
 *   cc -D_DEFAULT_SOURCE http_server.c $(pkg-config --cflags --libs otelrs) -o http_server
 *   OTEL_METRICS_EXPORTER=console ./http_server            # serves its own client's 6 requests
 *   OTEL_METRICS_EXPORTER=console ./http_server 8080 100   # serves 100 requests on port 8080
 */
#include <otelrs.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(call)                                                              \
    do {                                                                         \
        otelrs_status s_ = (call);                                               \
        if (s_ != OTELRS_OK) {                                                   \
            fprintf(stderr, "%s failed: %s\n", #call, otelrs_last_error());      \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

/* The route template of a path: "/users/42" is "/users/{id}" (a metric attribute takes the
 * template, never the path, so that the series stay few). */
static const char *route_of(const char *path, int *status) {
    if (strncmp(path, "/users/", 7) == 0 && path[7] != '\0') {
        *status = 200;
        return "/users/{id}";
    }
    if (strcmp(path, "/") == 0) {
        *status = 200;
        return "/";
    }
    *status = 404;
    return NULL; /* no route matched */
}

static void serve(otelrs_http_server *http, int client) {
    char buf[4096];
    ssize_t n = read(client, buf, sizeof buf - 1);
    if (n <= 0) {
        close(client);
        return;
    }
    buf[n] = '\0';
    char method[16] = "", path[1024] = "", version[16] = "";
    if (sscanf(buf, "%15s %1023s HTTP/%15s", method, path, version) != 3) {
        close(client);
        return;
    }
    otelrs_http_request *req;
    CHECK(otelrs_http_server_request_start(http, method, "http", &req));
    int status;
    const char *route = route_of(path, &status);
    char body[64];
    int len = snprintf(body, sizeof body, "%s\n", status == 200 ? "hello" : "not found");
    char head[256];
    int head_len = snprintf(head, sizeof head,
                            "HTTP/1.1 %d %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", status,
                            status == 200 ? "OK" : "Not Found", len);
    if (write(client, head, (size_t)head_len) < 0 || write(client, body, (size_t)len) < 0) {
        perror("write");
    }
    close(client);
    CHECK(otelrs_http_server_request_end(req, (uint16_t)status, route, version, NULL));
}

/* The client of the self-contained run: a few requests, one connection each. */
static void client(int port, int requests) {
    const char *paths[] = {"/users/1", "/users/2", "/", "/missing"};
    for (int i = 0; i < requests; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
            perror("connect");
            exit(1);
        }
        char req[256];
        int len = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: localhost\r\n\r\n", i % 3 ? "GET" : "POST",
                           paths[i % 4]);
        if (write(s, req, (size_t)len) < 0) {
            perror("write");
        }
        char buf[512];
        while (read(s, buf, sizeof buf) > 0) {
        }
        close(s);
    }
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    int requests = argc > 2 ? atoi(argv[2]) : 6;

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t addr_len = sizeof addr;
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 16) != 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &addr_len) != 0) {
        perror("listen");
        return 1;
    }
    port = ntohs(addr.sin_port);
    pid_t child = -1;
    if (argc <= 1) {
        child = fork(); /* before otelrs starts: the client is a plain process */
        if (child == 0) {
            client(port, requests);
            _exit(0);
        }
    } else {
        printf("listening on 127.0.0.1:%d\n", port);
        fflush(stdout);
    }

    otelrs_sdk *sdk;
    otelrs_meter *meter;
    otelrs_http_server *http;
    CHECK(otelrs_sdk_new(NULL, &sdk));
    CHECK(otelrs_meter_new(sdk, "http_server", "1.0", &meter));
    CHECK(otelrs_http_server_new(meter, &http));

    for (int i = 0; i < requests; i++) {
        int c = accept(listener, NULL, NULL);
        if (c >= 0) {
            serve(http, c);
        }
    }
    if (child > 0) {
        waitpid(child, NULL, 0);
    }
    close(listener);
    otelrs_http_server_free(http);
    otelrs_meter_free(meter);
    CHECK(otelrs_sdk_shutdown(sdk, 5000));
    otelrs_sdk_free(sdk);
    return 0;
}
