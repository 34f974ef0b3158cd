"""Pre-fork servers behind one Prometheus port (tests/c/prefork.c): the process holding the
port merges every worker's metrics into one scrape; workers that exit or are killed keep their
counts in the totals; a stuck worker does not hold the scrape; separate processes of one
service share the port and take it over when its holder exits; another service is refused
with a clear message; without a port of otelrs's own, each worker's app server serves the
merged view. Every scrape passes `promtool check metrics`."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
import uuid

from conftest import clean_env, free_port
from prometheus_client.parser import text_string_to_metric_families


@contextlib.contextmanager
def server(c_program, port: int, workers: int, add: int, service: str, **settings: str):
    """tests/c/prefork.c with `workers` workers until the block ends; yields the process and
    the pids of its workers (a list that `fork` appends to)."""
    env = clean_env(OTEL_METRICS_EXPORTER="prometheus", OTEL_LOGS_EXPORTER="none",
                    OTEL_EXPORTER_PROMETHEUS_PORT=str(port), OTEL_SERVICE_NAME=service, **settings)
    proc = subprocess.Popen([str(c_program("prefork")), str(workers), str(add)], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line == "ready\n", line + proc.stderr.read()
        pids = [int(proc.stdout.readline().split()[1]) for _ in range(workers)]
        yield proc, pids
    finally:
        if proc.poll() is None:
            out, err = proc.communicate("quit\n", timeout=30)
            assert proc.returncode == 0, out + err


def fork_worker(proc, pids: list[int]) -> int:
    proc.stdin.write("fork\n")
    proc.stdin.flush()
    pid = int(proc.stdout.readline().split()[1])
    pids.append(pid)
    return pid


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=20) as r:
        text = r.read().decode()
    check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr + text
    return text


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    out = {}
    for f in text_string_to_metric_families(text):
        for s in f.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(got: dict, name: str, **labels: str) -> float | None:
    for (n, ls), v in got.items():
        if n == name and all((k, v2) in ls for k, v2 in labels.items()):
            return v
    return None


def up(got: dict) -> dict[int, float]:
    return {int(dict(ls)["process_pid"]): v for (n, ls), v in got.items() if n == "otelrs_prometheus_worker_up"}


def until(port: int, done, what: str, timeout: float = 20) -> dict:
    """Scrapes until `done(samples)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        got = samples(scrape(port))
        if done(got):
            return got
        assert time.monotonic() < deadline, f"{what}: {got}"
        time.sleep(0.1)


def requests(got: dict) -> float | None:
    return value(got, "prefork_requests_total", route="/r", otel_scope_name="prefork")


def test_one_scrape_shows_every_worker_merged(c_program):
    port = free_port()
    with server(c_program, port, 4, 100, f"prefork-{uuid.uuid4().hex[:8]}") as (proc, pids):
        got = until(port, lambda g: len(up(g)) == 5 and requests(g) == 400, "4 workers and the hub")
        assert up(got) == {proc.pid: 1, **{p: 1 for p in pids}}
        assert value(got, "prefork_latency_seconds_count") == 40
        assert value(got, "prefork_latency_seconds_bucket", le="+Inf") == 40
        assert abs(value(got, "prefork_latency_seconds_sum") - 4 * 0.55) < 1e-9
        assert value(got, "prefork_active") == 4  # an up-down counter is summed
        # A gauge is kept per worker, labelled with its pid.
        gauges = {int(dict(ls)["process_pid"]): v for (n, ls), v in got.items() if n == "prefork_worker_pid"}
        assert gauges == {p: p for p in [proc.pid, *pids]}  # the parent observes too
        info = [dict(ls) for (n, ls), _ in got.items() if n == "target_info"]
        assert len(info) == 1 and "process_pid" not in info[0], info


def test_a_gauge_rule_chosen_per_instrument(c_program):
    port = free_port()
    rules = "prefork.worker.pid=max,prefork.active=pid"
    with server(c_program, port, 3, 100, f"prefork-{uuid.uuid4().hex[:8]}",
                OTELRS_PROMETHEUS_GAUGE_MERGE=rules) as (proc, pids):
        got = until(port, lambda g: len(up(g)) == 4 and requests(g) == 300, "3 workers")
        assert value(got, "prefork_worker_pid") == max([proc.pid, *pids])
        assert len([n for (n, _) in got if n == "prefork_worker_pid"]) == 1
        active = {int(dict(ls)["process_pid"]): v for (n, ls), v in got.items() if n == "prefork_active"}
        assert active == {p: 1 for p in pids}  # the parent never added to it: no series


def test_workers_that_exit_or_are_killed_keep_their_counts(c_program):
    port = free_port()
    with server(c_program, port, 3, 100, f"prefork-{uuid.uuid4().hex[:8]}") as (proc, pids):
        until(port, lambda g: len(up(g)) == 4 and requests(g) == 300, "3 workers")
        os.kill(pids[0], signal.SIGKILL)
        got = until(port, lambda g: len(up(g)) == 3, "the killed worker gone")
        assert requests(got) == 300  # what it counted stays
        assert value(got, "prefork_latency_seconds_count") == 30
        assert value(got, "prefork_active") == 2  # its gauge-like values go with it
        # A worker that exits normally sends what it counted last (50 more) as it shuts down.
        os.kill(pids[1], signal.SIGTERM)
        got = until(port, lambda g: len(up(g)) == 2, "the stopped worker gone")
        assert requests(got) == 350
        pid = fork_worker(proc, pids)
        got = until(port, lambda g: pid in up(g) and requests(g) == 450, "the new worker")
        assert value(got, "prefork_latency_seconds_count") == 40


def test_totals_hold_at_every_scrape_while_killed_workers_go(c_program):
    # A worker that goes while a scrape runs is counted once: from what it answers or last
    # sent, or from the totals of the workers gone, never both and never neither.
    port = free_port()
    with server(c_program, port, 8, 100, f"prefork-{uuid.uuid4().hex[:8]}") as (proc, pids):
        until(port, lambda g: len(up(g)) == 9 and requests(g) == 800, "8 workers")
        seen = []
        for round_ in range(3):
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 20
            while True:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=20) as r:
                    got = samples(r.read().decode())
                seen.append(requests(got))
                if len(up(got)) == 1:
                    break
                assert time.monotonic() < deadline, got
            assert set(seen) == {800.0 * (round_ + 1)}, seen
            seen.clear()
            pids[:] = []
            for _ in range(8):
                fork_worker(proc, pids)
            until(port, lambda g: len(up(g)) == 9 and requests(g) == 800 * (round_ + 2), "8 new workers")
        scrape(port)  # promtool too


def test_a_stuck_worker_does_not_hold_the_scrape(c_program):
    port = free_port()
    service = f"prefork-{uuid.uuid4().hex[:8]}"
    with server(c_program, port, 2, 100, service, OTELRS_PROMETHEUS_WORKER_TIMEOUT="300") as (proc, pids):
        until(port, lambda g: len(up(g)) == 3 and requests(g) == 200, "2 workers")
        os.kill(pids[0], signal.SIGSTOP)
        try:
            got = samples(scrape(port))  # answers, within the worker timeout
            assert up(got)[pids[0]] == 0 and up(got)[pids[1]] == 1
            assert requests(got) == 200  # the straggler's counters as it last sent them
        finally:
            os.kill(pids[0], signal.SIGCONT)
        until(port, lambda g: up(g).get(pids[0]) == 1, "the worker answering again")


def test_processes_of_one_service_share_the_port_and_take_it_over(c_program):
    port = free_port()
    service = f"prefork-{uuid.uuid4().hex[:8]}"
    with server(c_program, port, 1, 100, service) as (first, first_workers):
        with server(c_program, port, 1, 10, service) as (second, second_workers):
            got = until(port, lambda g: len(up(g)) == 4 and requests(g) == 110, "both processes' workers")
            assert set(up(got)) == {first.pid, second.pid, *first_workers, *second_workers}
            # The process holding the port exits: its worker's last counts (150) are handed to
            # the other process, which takes the port.
            out, err = first.communicate("quit\n", timeout=30)
            assert first.returncode == 0, out + err
            got = until(port, lambda g: first.pid not in up(g) and len(up(g)) == 2 and requests(g) == 160,
                        "the port taken over")
            assert value(got, "prefork_latency_seconds_count") == 20


def test_another_service_or_program_on_the_port_is_a_clear_error(c_program):
    port = free_port()
    with server(c_program, port, 0, 1, "prefork-owner"):
        env = clean_env(OTEL_METRICS_EXPORTER="prometheus", OTEL_LOGS_EXPORTER="none",
                        OTEL_EXPORTER_PROMETHEUS_PORT=str(port), OTEL_SERVICE_NAME="prefork-other")
        r = subprocess.run([str(c_program("prefork")), "0", "1"], env=env, input="quit\n",
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2
        assert "cannot join the otelrs endpoint there" in r.stderr, r.stderr
        assert 'service "prefork-owner", not "prefork-other"' in r.stderr, r.stderr


def exposed(pid: int, directory) -> str:
    """What worker `pid`'s own server answers a scrape with (tests/c/prefork.c on SIGUSR1)."""
    path = directory / f"{pid}.txt"
    path.unlink(missing_ok=True)
    deadline = time.monotonic() + 20
    while not path.exists():
        assert time.monotonic() < deadline, f"worker {pid} wrote no exposition"
        os.kill(pid, signal.SIGUSR1)  # again now and then: one may come just before pause()
        for _ in range(20):
            if path.exists():
                break
            time.sleep(0.05)
    content_type, _, text = path.read_text().partition("\n")
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr + text
    return text


def test_each_worker_serves_every_worker_merged_from_its_own_server(c_program, tmp_path):
    # No port of otelrs's own: the port only names the group; any worker's exposition (what
    # its app's server would answer /metrics with) is the merged view.
    port = free_port()
    with server(c_program, port, 3, 100, f"prefork-{uuid.uuid4().hex[:8]}",
                OTELRS_PROMETHEUS_LISTEN="false", PREFORK_EXPOSE_DIR=str(tmp_path)) as (proc, pids):
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # nothing listens there
        deadline = time.monotonic() + 20
        while True:
            got = samples(exposed(pids[0], tmp_path))
            if len(up(got)) == 4 and requests(got) == 300:
                break
            assert time.monotonic() < deadline, got
            time.sleep(0.1)
        assert up(got) == {proc.pid: 1, **{p: 1 for p in pids}}
        for pid in pids[1:]:
            assert requests(samples(exposed(pid, tmp_path))) == 300
        os.kill(pids[1], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while pids[1] in up(got := samples(exposed(pids[2], tmp_path))):
            assert time.monotonic() < deadline, got
            time.sleep(0.1)
        assert requests(got) == 300  # what the killed worker counted stays
