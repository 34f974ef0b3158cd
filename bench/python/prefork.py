#!/usr/bin/env python3
"""Pre-fork scrape benchmark: one Prometheus scrape of N worker processes, each with the same
2,000 counter series, through otelrs (the hub merging its workers over its Unix socket) and
through prometheus_client's multiprocess mode (one mmap file per worker pid, merged at scrape
time), also with 1,000 files of workers gone (its known worst case). Prints a Markdown section
for bench/RESULTS.md (bench/run.py includes it); run alone with

    python3 bench/python/prefork.py

(OTELRS_BENCH_WORKERS=4,16 and OTELRS_BENCH_DEAD=10 make a quicker run.) Each case forks its
workers from a parent that set the library up (as gunicorn --preload does), times SCRAPES
scrapes from the parent's side, first of idle workers, then each after every worker recorded all
its series again, and reports the median wall time and the CPU time all processes spent per
scrape (from /proc).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

SERIES = 2000
WORKERS = tuple(int(n) for n in os.environ.get("OTELRS_BENCH_WORKERS", "4,16,64").split(","))
DEAD = int(os.environ.get("OTELRS_BENCH_DEAD", "1000"))
SCRAPES = 7


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


COMMON = """
import os, signal, statistics, sys, time, urllib.request
TICKS = os.sysconf("SC_CLK_TCK")

def cpu(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / TICKS

DONE_R, DONE_W = os.pipe()

def fork_workers(n, work):
    # SIGUSR1 makes a worker record its series again (every series changes), then say so.
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            def again(*_):
                work()
                os.write(DONE_W, b".")
            signal.signal(signal.SIGUSR1, again)
            work()
            while True:
                signal.pause()
        pids.append(pid)
    return pids

def measure(scrape, pids):
    # Scrapes of idle workers, then scrapes each after every worker recorded all its series
    # again (not timed): wall time and CPU time of all processes per scrape, for each.
    procs = [os.getpid(), *pids]
    results = []
    for changed in (False, True):
        walls, spent = [], 0.0
        for _ in range(SCRAPES):
            if changed:
                for pid in pids:
                    os.kill(pid, signal.SIGUSR1)
                waiting = len(pids)
                while waiting:
                    waiting -= len(os.read(DONE_R, waiting))
            before = cpu(procs[::-1])
            start = time.perf_counter()
            scrape()
            walls.append(time.perf_counter() - start)
            spent += cpu(procs) - before
        results += [statistics.median(walls) * 1000, spent / SCRAPES * 1000]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    for pid in pids:
        os.waitpid(pid, 0)
    print(" ".join(f"{r:.1f}" for r in results))
"""

OTELRS = COMMON + """
import otelrs
otelrs.init(metrics_exporter="prometheus", exporter_prometheus_host="127.0.0.1",
            exporter_prometheus_port=PORT, logs_exporter="none", service_name="prefork-bench")
counter = otelrs.get_meter("bench").create_counter("bench.requests")
def work():
    for i in range(SERIES):
        counter.add(1, {"series": str(i)})
pids = fork_workers(WORKERS, work)
url = f"http://127.0.0.1:{PORT}/metrics"
def scrape():
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read().decode()
deadline = time.monotonic() + 60
while scrape().count("otelrs_prometheus_worker_up{") < WORKERS + 1:
    assert time.monotonic() < deadline, "workers did not join"
    time.sleep(0.05)
total = sum(float(l.split()[-1]) for l in scrape().splitlines() if l.startswith("bench_requests_total{"))
assert total == WORKERS * SERIES, total
measure(scrape, pids)
total = sum(float(l.split()[-1]) for l in scrape().splitlines() if l.startswith("bench_requests_total{"))
assert total == WORKERS * SERIES * (SCRAPES + 1), total
"""

PROMETHEUS_CLIENT = COMMON + """
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
counter = Counter("bench_requests", "Requests", ["series"])
def work():
    for i in range(SERIES):
        counter.labels(str(i)).inc()
for _ in range(DEAD):  # workers gone: their files stay
    pid = os.fork()
    if pid == 0:
        work()
        os._exit(0)
    os.waitpid(pid, 0)
pids = fork_workers(WORKERS, work)
time.sleep(1)
def scrape():
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return generate_latest(registry).decode()
total = sum(float(l.split()[-1]) for l in scrape().splitlines() if l.startswith("bench_requests_total{"))
assert total == (WORKERS + DEAD) * SERIES, total
measure(scrape, pids)
total = sum(float(l.split()[-1]) for l in scrape().splitlines() if l.startswith("bench_requests_total{"))
assert total == (WORKERS * (SCRAPES + 1) + DEAD) * SERIES, total
"""


def run(code: str, env: dict[str, str], **values: int) -> list[float]:
    """Wall and CPU ms per scrape of idle workers, then of workers whose series all changed."""
    prelude = "".join(f"{k} = {v}\n" for k, v in values.items())
    done = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        sys.exit(f"a benchmark case failed ({values}):\n{done.stderr}")
    return [float(v) for v in done.stdout.split()]


def main() -> int:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_", "PROMETHEUS_"))}
    rows = []
    for n in WORKERS:
        ours = run(OTELRS, base, PORT=free_port(), WORKERS=n, SERIES=SERIES, SCRAPES=SCRAPES)
        peers = []
        for dead in (0, DEAD):
            directory = tempfile.mkdtemp(prefix="otelrs-bench-multiproc-")
            try:
                env = dict(base, PROMETHEUS_MULTIPROC_DIR=directory)
                # Scrapes of the many files take seconds each: fewer of them.
                scrapes = SCRAPES if dead == 0 else 3
                peers.append(run(PROMETHEUS_CLIENT, env, WORKERS=n, SERIES=SERIES, SCRAPES=scrapes, DEAD=dead))
            finally:
                shutil.rmtree(directory, ignore_errors=True)
        rows.append((n, ours, peers[0], peers[1]))
    print("## Pre-fork servers: one scrape of every worker")
    print()
    print(f"`python3 bench/python/prefork.py`: each worker has the same {SERIES:,} counter series; the")
    print("parent set the library up and forked the workers (as gunicorn --preload does). Median wall")
    print(f"time of {SCRAPES} scrapes (3 with the files of workers gone) and the CPU time all processes")
    print("spent per scrape, first of idle workers, then of workers that each recorded all their")
    print("series again before each scrape (every series changed, as under steady traffic).")
    print()
    print("| workers | otelrs, idle (ms, CPU ms) | otelrs, every series changed | "
          "prometheus_client multiprocess, idle | every series changed | "
          f"idle, with {DEAD:,} files of workers gone | speed-up: idle, changed, files gone |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, ours, peer, dead in rows:
        print(f"| {n} | {ours[0]:.1f} ({ours[1]:.0f}) | {ours[2]:.1f} ({ours[3]:.0f}) | "
              f"{peer[0]:.1f} ({peer[1]:.0f}) | {peer[2]:.1f} ({peer[3]:.0f}) | {dead[0]:.1f} ({dead[1]:.0f}) | "
              f"{peer[0] / ours[0]:.1f}x, {peer[2] / ours[2]:.1f}x, {dead[0] / ours[0]:.1f}x |")
    print()
    last = rows[-1]
    print(f"Targets: a {last[0]}-worker scrape under 100 ms: **{last[1][0]:.1f} ms** idle, "
          f"**{last[1][2]:.1f} ms** with every series changed "
          f"({'met' if max(last[1][0], last[1][2]) < 100 else 'missed'}); at least 10x faster than "
          f"prometheus_client multiprocess mode: **{last[2][0] / last[1][0]:.1f}x** idle, "
          f"**{last[2][2] / last[1][2]:.1f}x** changed "
          f"({'met' if min(last[2][0] / last[1][0], last[2][2] / last[1][2]) >= 10 else 'missed'}).")
    print()
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(main())
