"""The on-disk queue (OTELRS_EXPORTER_OTLP_QUEUE_DIR) against a real Collector that goes down
and comes back: an outage longer than the in-memory queue loses nothing, a process killed
mid-outage leaves its queue to the next one, and the queue keeps to its cap."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from conftest import Collector, clean_env, run
from otlp import attributes, log_records, resource_logs, resource_metrics


def queue_env(collector, tmp_path, service: str, **more: str) -> dict[str, str]:
    settings = dict(OTEL_SERVICE_NAME=service, OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="otlp",
                    OTEL_EXPORTER_OTLP_PROTOCOL="grpc", OTEL_EXPORTER_OTLP_ENDPOINT=collector.grpc,
                    OTELRS_EXPORTER_OTLP_QUEUE_DIR=str(tmp_path / "queue"), OTEL_BLRP_SCHEDULE_DELAY="100",
                    OTEL_EXPORTER_OTLP_TIMEOUT="2000")
    return clean_env(**{**settings, **more})


def delivered(collector, service: str) -> list[int]:
    """The attribute i of every record of `service` the Collector wrote."""
    return [int(attributes(r["attributes"])["i"]) for _, r in log_records(resource_logs(collector.requests(), service))]


def wait_delivered(collector, service: str, n: int, timeout: float = 60) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        got = delivered(collector, service)
        if len(set(got)) >= n or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def queue_bytes(tmp_path) -> int:
    return sum(f.stat().st_size for f in (tmp_path / "queue").rglob("*.seg"))


def test_an_outage_longer_than_the_memory_queue_loses_nothing(c_program, own_collector, tmp_path, service_name):
    # 20,000 records a second for 6 s, the Collector down from 1 s to 4 s: 60,000 records
    # arrive while it is down, thirty times what the in-memory queue holds.
    env = queue_env(own_collector, tmp_path, service_name)
    proc = subprocess.Popen([str(c_program("faults")), "pace", "20000", "6"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    own_collector.stop()
    time.sleep(3)
    assert queue_bytes(tmp_path) > 0, "the records of the outage wait on disk"
    own_collector.start()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "stats kept=120000 dropped=0" in out, out + err
    got = wait_delivered(own_collector, service_name, 120_000)
    assert set(got) == set(range(120_000)), f"{120_000 - len(set(got))} records lost"
    assert not any((tmp_path / "queue" / "logs").iterdir()), "everything sent: the directory is gone"


def test_a_process_killed_mid_outage_is_delivered_by_the_next(c_program, own_collector, tmp_path, service_name):
    own_collector.stop()
    # An in-memory queue that takes the 5,000 records at once: all of them reach the disk.
    env = queue_env(own_collector, tmp_path, service_name, OTEL_BLRP_MAX_QUEUE_SIZE="10000")
    proc = subprocess.Popen([str(c_program("faults")), "park", "5000"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "flush OTELRS_OK\n"
    assert proc.stdout.readline() == "parked\n"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert queue_bytes(tmp_path) > 0
    own_collector.start()
    # The next process (which logs nothing itself) sends what the killed one left.
    r = run(c_program("faults"), "logs", "0", env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    got = wait_delivered(own_collector, service_name, 5000)
    assert sorted(set(got)) == list(range(5000)), r.stderr
    assert not any((tmp_path / "queue" / "logs").iterdir())


def test_the_queue_keeps_to_its_cap_and_counts_what_it_deletes(c_program, own_collector, tmp_path, service_name):
    own_collector.stop()
    env = queue_env(own_collector, tmp_path, service_name, OTELRS_EXPORTER_OTLP_QUEUE_MAX_BYTES="1048576",
                    OTEL_BLRP_MAX_QUEUE_SIZE="100000")
    proc = subprocess.Popen([str(c_program("faults")), "pace", "20000", "2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, queue_bytes(tmp_path))
        time.sleep(0.05)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert 0 < peak <= 1048576, peak
    kept, dropped = (int(f.split("=")[1]) for f in out.split("stats ")[1].split())
    assert kept == 40000 and dropped > 0
    own_collector.start()
    r = run(c_program("faults"), "logs", "0", env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    got = wait_delivered(own_collector, service_name, kept - dropped)
    # What was not deleted arrives, the newest records (the oldest went first).
    assert len(set(got)) == kept - dropped
    assert max(got) == kept - 1


def test_a_forked_child_with_an_on_disk_queue_neither_crashes_nor_hangs(c_program, collector, tmp_path, service_name):
    # The queue's sender thread waits most of the time; while it waited in parking_lot's
    # process-wide table, a forked child crashed (SIGSEGV) or hung about one time in three.
    for i in range(12):
        env = queue_env(collector, tmp_path / str(i), service_name, OTEL_METRICS_EXPORTER="otlp")
        r = run(c_program("fork"), env=env, timeout=60)
        assert r.returncode == 0 and "child-exit 0" in r.stdout, f"run {i}: {r.stdout}{r.stderr}"


def test_forked_processes_each_queue_in_a_directory_of_their_own(c_program, collector, tmp_path, service_name):
    env = queue_env(collector, tmp_path, service_name, OTEL_METRICS_EXPORTER="otlp")
    r = run(c_program("fork"), env=env, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    child_pid, parent_pid = int(lines["child"].split()[0]), int(lines["parent"].split()[0])
    collector.wait_for_logs(service_name, 3)
    logs: dict[int, list] = {}
    for rl in resource_logs(collector.requests(), service_name):
        pid = attributes(rl["resource"]["attributes"])["process.pid"]
        logs.setdefault(pid, []).extend(r["body"]["stringValue"] for _, r in log_records([rl]))
    assert sorted(logs[child_pid]) == ["child"]
    assert sorted(logs[parent_pid]) == ["parent after fork", "parent before fork"]
    def pids() -> set:
        return {attributes(rm["resource"]["attributes"])["process.pid"]
                for rm in resource_metrics(collector.requests(), service_name)}

    # Each process's metrics arrive through its own queue, the two in either order.
    assert Collector._wait(pids, lambda found: found == {child_pid, parent_pid}, 30) == {child_pid, parent_pid}
    for signal_dir in (tmp_path / "queue").iterdir():
        assert not any(signal_dir.iterdir()), f"{signal_dir}: everything sent, nothing left"
