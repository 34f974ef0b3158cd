"""The long fault run behind `make soak` (not part of `make test`): 50,000 log records and
10,000 counter adds a second for 90 s while the Collector is down from 10 s to 70 s, once
with the on-disk queue and once without. Prints, for each: the slowest log call and add,
the largest resident memory, what was kept, delivered, dropped (the queue was full) and
failed (exports that failed for good), the queue's largest size on disk, and the loss no count
explains (kept - delivered - dropped - failed), which must be 0.

    make soak        (after `make install PREFIX=build/prefix`, which `make test` does)
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "soak"
RATE, ADDS, SECONDS, DOWN, UP = 50_000, 10_000, 90, 10, 70


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def delivered(log: pathlib.Path) -> int:
    total = 0
    for line in log.read_text().splitlines():
        try:
            total += json.loads(line).get("log records", 0)
        except json.JSONDecodeError:
            pass
    return total


class Collector:
    def __init__(self, binary: pathlib.Path, log: pathlib.Path):
        self.binary, self.log, self.port, self.proc = binary, log, free_port(), None

    def start(self) -> None:
        out = open(self.log, "a")
        self.proc = subprocess.Popen([str(self.binary), "--config", str(ROOT / "bench" / "collector.yaml")],
                                     stdout=out, stderr=out, env=dict(os.environ, OTELRS_BENCH_GRPC_PORT=str(self.port)))
        for _ in range(200):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("the Collector did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None


def dir_bytes(path: pathlib.Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def soak(program: pathlib.Path, collector_bin: pathlib.Path, queue: bool) -> dict:
    name = "queue" if queue else "memory"
    log = BUILD / f"collector-{name}.log"
    log.unlink(missing_ok=True)
    queue_dir = BUILD / f"queue-{name}"
    shutil.rmtree(queue_dir, ignore_errors=True)
    collector = Collector(collector_bin, log)
    collector.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_"))}
    env.update(OTEL_LOGS_EXPORTER="otlp", OTEL_METRICS_EXPORTER="none", OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
               OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{collector.port}")
    if queue:
        env["OTELRS_EXPORTER_OTLP_QUEUE_DIR"] = str(queue_dir)
    peak = [0]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], dir_bytes(queue_dir))
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True).start()
    proc = subprocess.Popen([str(program), "soak", str(RATE), str(ADDS), str(SECONDS)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(DOWN)
    collector.stop()
    time.sleep(UP - DOWN)
    collector.start()
    out, err = proc.communicate(timeout=SECONDS + 300)
    done.set()
    counts, health = out.splitlines()[:2]
    fields = counts.split()
    result = {fields[i]: float(fields[i + 1]) for i in range(0, len(fields) - 1, 2)}
    # Records in exports that failed for good (after their retries), by the exporter's count.
    result["failed"] = sum(e["failed"] for e in json.loads(health)["exporters"] if e["signal"] == "logs")
    last, deadline = -1, time.monotonic() + 120
    while time.monotonic() < deadline:
        got = delivered(log)
        if got == last:
            break
        last = got
        time.sleep(2)
    collector.stop()
    result.update(delivered=delivered(log), queue_peak_bytes=peak[0], returncode=proc.returncode,
                  stderr_lines=len(err.splitlines()))
    result["uncounted"] = result["kept"] - result["delivered"] - result["dropped"] - result["failed"]
    return result


def main() -> int:
    BUILD.mkdir(parents=True, exist_ok=True)
    collector_bin = ROOT / "build" / "otelcol-test"
    if not collector_bin.exists():
        subprocess.run(["go", "build", "-o", str(collector_bin), "."], check=True, cwd=ROOT / "tests" / "collector")
    pc = dict(os.environ, PKG_CONFIG_PATH=str(ROOT / "build" / "prefix" / "lib" / "pkgconfig"))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "otelrs"], env=pc, check=True, capture_output=True,
                           text=True).stdout.split()
    program = BUILD / "faults"
    subprocess.run(["cc", "-std=c99", "-D_DEFAULT_SOURCE", "-O2", str(ROOT / "tests" / "c" / "faults.c"), *flags,
                    "-lm", "-lpthread", "-o", str(program)], check=True)
    print(f"{RATE:,} logs/s + {ADDS:,} adds/s for {SECONDS} s, the Collector down from {DOWN} s to {UP} s")
    print("| run | max log call (us) | max add (us) | max RSS (kB) | kept | delivered | dropped | failed "
          "| queue peak (MB) | uncounted |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    failed = False
    for queue in (True, False):
        r = soak(program, collector_bin, queue)
        print(f"| {'on-disk queue' if queue else 'memory queue only'} | {r['max_log_us']:.0f} | {r['max_add_us']:.0f} "
              f"| {r['rss_max_kb']:.0f} | {r['kept']:,.0f} | {r['delivered']:,} | {r['dropped']:,.0f} "
              f"| {r['failed']:,} | {r['queue_peak_bytes'] / 1e6:.1f} | {r['uncounted']:,.0f} |", flush=True)
        failed |= r["uncounted"] != 0 or r["returncode"] != 0 or (queue and r["dropped"] + r["failed"] != 0)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
