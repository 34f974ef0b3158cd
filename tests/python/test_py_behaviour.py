"""Threads, the GIL, fork (os.fork, multiprocessing, a pre-fork server), and exit: what a
Python service does to a telemetry library."""

from __future__ import annotations

import json
import socket

from helpers import CollectorLike, env, metrics, number, ok, points, run_py

MEMORY = env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none")


def test_threads_record_concurrently_without_losing_a_count() -> None:
    out = ok(
        """
        import otelrs, threading
        meter = otelrs.get_meter("threads")
        c = meter.create_counter("py.threads", value_type=int)
        bound = c.bind({"via": "bound"})
        def work(n):
            for i in range(20000):
                c.add(1, {"via": "dict", "mod": i % 4})
                bound.add(1)
        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        print(otelrs.collect_json())
        """,
        MEMORY,
    )
    got = points(metrics(json.loads(out))["py.threads"])
    assert number(got[frozenset({("via", "bound")})]) == 160000
    assert sum(number(p) for k, p in got.items() if ("via", "dict") in k) == 160000


def test_flush_releases_the_gil_so_callbacks_run() -> None:
    # The collection runs the callback on otelrs's thread, which needs the GIL the flushing
    # thread would otherwise hold: a deadlock if flush kept it.
    out = ok(
        """
        import otelrs, threading
        otelrs.init(metrics_exporter="console", logs_exporter="none")
        seen = []
        def callback(options):
            seen.append(threading.current_thread().name)
            return [otelrs.Observation(1)]
        otelrs.get_meter("gil").create_observable_gauge("py.gil", callbacks=[callback])
        otelrs.force_flush(timeout=10)
        otelrs.shutdown(timeout=10)
        print("callbacks ran:", len(seen) >= 1)
        """,
        env(),
        timeout=30,
    )
    assert "callbacks ran: True" in out


def fork_code(how: str) -> str:
    return (
        """
        import json, os, sys, otelrs
        otelrs.init(metrics_exporter="memory", logs_exporter="none")
        c = otelrs.get_meter("fork").create_counter("py.fork", value_type=int)
        c.add(5, {"who": "parent"})

        def child_work():
            c.add(1, {"who": "child"})
            c.add(1, {"who": "parent"})
            return otelrs.collect_json()
        """
        + how
        + """
        c.add(1, {"who": "parent"})
        print("PARENT", otelrs.collect_json())
        """
    )


def fork_results(out: str) -> dict[str, dict[frozenset[tuple[str, object]], int]]:
    results = {}
    for line in out.splitlines():
        who, _, payload = line.partition(" ")
        if who in ("PARENT", "CHILD"):
            results[who] = {k: number(p) for k, p in points(metrics(json.loads(payload))["py.fork"]).items()}
    return results


PARENT_AFTER = {frozenset({("who", "parent")}): 6}
CHILD = {frozenset({("who", "parent")}): 1, frozenset({("who", "child")}): 1}


def test_os_fork_child_records_its_own_counts_and_the_parent_goes_on() -> None:
    out = ok(
        fork_code(
            """
        pid = os.fork()
        if pid == 0:
            print("CHILD", child_work(), flush=True)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert status == 0
        """
        ),
        env(),
        timeout=60,
    )
    got = fork_results(out)
    assert got["CHILD"] == CHILD
    assert got["PARENT"] == PARENT_AFTER


def test_multiprocessing_with_the_fork_start_method() -> None:
    out = ok(
        fork_code(
            """
        import multiprocessing
        def target(q):
            q.put(child_work())
        ctx = multiprocessing.get_context("fork")
        q = ctx.Queue()
        p = ctx.Process(target=target, args=(q,))
        p.start()
        print("CHILD", q.get(timeout=30))
        p.join(30)
        assert p.exitcode == 0
        """
        ),
        env(),
        timeout=60,
    )
    got = fork_results(out)
    assert got["CHILD"] == CHILD
    assert got["PARENT"] == PARENT_AFTER


def test_a_pre_fork_server_exports_from_every_worker(collector: CollectorLike, service_name: str) -> None:
    # As gunicorn does: the master imports the app (and otelrs) and forks workers, which
    # serve and exit; each worker's data reaches the Collector with its own process.pid.
    out = ok(
        """
        import logging, os, otelrs
        otelrs.init(service_name=%r, exporter_otlp_endpoint=%r, exporter_otlp_protocol="grpc")
        requests = otelrs.get_meter("server").create_counter("py.requests", value_type=int)
        log = otelrs.get_logger("server")
        workers = []
        for n in range(3):
            pid = os.fork()
            if pid == 0:
                for _ in range(10 + n):
                    requests.add(1, {"worker": n})
                log.info("worker %%d served" %% n)
                otelrs.shutdown(timeout=10)
                os._exit(0)
            workers.append(pid)
        for pid in workers:
            assert os.waitpid(pid, 0)[1] == 0
        print(" ".join(map(str, workers)))
        otelrs.shutdown(timeout=10)
        """
        % (service_name, collector.grpc),
        env(),
        timeout=90,
    )
    pids = {int(p) for p in out.split()}
    received = collector.wait_for(service_name, 4)
    by_pid: dict[int, int] = {}
    for rm in received:
        attrs = {kv["key"]: kv["value"] for kv in rm["resource"]["attributes"]}
        pid = int(attrs["process.pid"]["intValue"])
        for sm in rm.get("scopeMetrics", []):
            for m in sm["metrics"]:
                if m["name"] == "py.requests":
                    by_pid[pid] = sum(number(p) for p in points(m).values())
    assert sorted(by_pid.get(pid, 0) for pid in pids) == [10, 11, 12]
    bodies = sorted(r["body"]["stringValue"] for _, r in collector.wait_for_logs(service_name, 3))
    assert bodies == ["worker 0 served", "worker 1 served", "worker 2 served"]


def test_exit_does_not_hang_when_the_endpoint_does_not_answer() -> None:
    # A listening socket that is never accepted from: the connection opens and the request
    # waits for an answer that never comes (OTEL_EXPORTER_OTLP_TIMEOUT is a minute), as with a
    # stuck Collector. The interpreter must still exit, within the run's timeout below.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        for protocol in ("http/protobuf", "grpc"):
            r = run_py(
                """
                import otelrs
                otelrs.get_meter("exit").create_counter("py.exit").add(1)
                otelrs.get_logger("exit").info("bye")
                print("done")
                """,
                env(OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}", OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
                    OTEL_EXPORTER_OTLP_TIMEOUT="60000"),
                timeout=30,
            )
            assert r.returncode == 0 and r.stdout == "done\n", r.stderr


def test_fork_while_a_callback_runs_leaves_the_child_able_to_shut_down() -> None:
    # The otelrs thread is inside the callback (which sleeps, without the GIL) when the main
    # thread forks: the child must not inherit the callback as still running.
    out = ok(
        """
        import os, threading, time, otelrs
        otelrs.init(metrics_exporter="memory", logs_exporter="none")
        started = threading.Event()
        def slow(options):
            started.set()
            time.sleep(1)
            return [otelrs.Observation(1)]
        otelrs.get_meter("fork").create_observable_gauge("py.slow", callbacks=[slow])
        collecting = threading.Thread(target=otelrs.collect_json)
        collecting.start()
        started.wait(10)
        pid = os.fork()
        if pid == 0:
            otelrs.shutdown(timeout=5)
            print("child shut down", flush=True)
            os._exit(0)
        assert os.waitpid(pid, 0)[1] == 0
        collecting.join()
        otelrs.shutdown(timeout=5)
        print("parent shut down")
        """,
        env(),
        timeout=60,
    )
    assert "child shut down" in out and "parent shut down" in out
