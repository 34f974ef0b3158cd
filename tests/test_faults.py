"""otelrs as a guest in a host process under faults: sizes at their maximum, rotation with a
huge file count, an idle log thread with a schedule delay of 0, a full disk. Each checks what a
user would: the flush succeeds, the health report is right, nothing spins, no line is broken."""

from __future__ import annotations

import http.server
import json
import os
import random
import re
import subprocess
import threading
import time

import pytest
from conftest import clean_env, free_port, run


def log_env(path, **more: str) -> dict[str, str]:
    return clean_env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="file",
                     OTELRS_EXPORTER_FILE_LOGS_PATH=str(path), **more)


def records_in(path) -> int:
    total = 0
    for line in path.read_text().splitlines():
        for rl in json.loads(line)["resourceLogs"]:
            for sl in rl["scopeLogs"]:
                total += len(sl["logRecords"])
    return total


def test_the_largest_queue_and_batch_work_and_health_says_so(c_program, tmp_path):
    path = tmp_path / "logs.jsonl"
    env = log_env(path, OTEL_BLRP_MAX_QUEUE_SIZE="1048576", OTEL_BLRP_MAX_EXPORT_BATCH_SIZE="65536")
    r = run(c_program("faults"), "logs", "100000", env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "flush OTELRS_OK"
    assert lines[1] == "stats kept=100000 dropped=0"
    health = json.loads(lines[2])
    assert health["status"] == "ok", health
    assert sum(records_in(f) for f in tmp_path.glob("logs.jsonl*")) == 100000  # rotated at 10 MiB


def test_sizes_beyond_their_maximum_are_refused_at_init(c_program, tmp_path):
    for key, value, why in [("OTEL_BLRP_MAX_QUEUE_SIZE", "1000000000", "at most 1048576"),
                            ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "1000000000", "at most 65536"),
                            ("OTELRS_EXPORTER_FILE_LOGS_MAX_FILES", "99999999999", "at most 1000"),
                            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/dev/zero", "not a regular file")]:
        r = run(c_program("faults"), "logs", "1", env=log_env(tmp_path / "x.jsonl", **{key: value}))
        assert r.returncode == 2, (key, r.stdout, r.stderr)
        assert key in r.stderr and why in r.stderr, r.stderr


def test_rotation_with_the_most_files_is_quick_and_keeps_every_record(c_program, tmp_path):
    path = tmp_path / "logs.jsonl"
    env = log_env(path, OTELRS_EXPORTER_FILE_LOGS_MAX_BYTES="3000", OTELRS_EXPORTER_FILE_LOGS_MAX_FILES="1000",
                  OTEL_BLRP_MAX_EXPORT_BATCH_SIZE="10")
    r = run(c_program("faults"), "logs", "300", env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "flush OTELRS_OK"
    assert json.loads(r.stdout.splitlines()[2])["status"] == "ok"
    files = sorted(tmp_path.glob("logs.jsonl*"))
    assert 25 <= len(files) <= 1001
    assert sum(records_in(f) for f in files) == 300


def test_an_idle_log_thread_does_not_spin_with_a_schedule_delay_of_zero(c_program, tmp_path):
    r = run(c_program("faults"), "idle", env=log_env(tmp_path / "logs.jsonl", OTEL_BLRP_SCHEDULE_DELAY="0"))
    assert r.returncode == 0, r.stderr
    idle_cpu = float(r.stdout.split()[-1])
    # A thread that spins burns about 1000 ms of CPU in that second; a waiting one about 0.
    assert idle_cpu < 300, r.stdout
    assert records_in(tmp_path / "logs.jsonl") == 10


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs (the tests run as root, as tests/run-all.sh does)."""
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_leaves_no_broken_line(c_program, small_disk):
    path = small_disk / "logs.jsonl"
    r = run(c_program("faults"), "until_error", env=log_env(path), timeout=120)
    assert r.returncode == 0, r.stderr
    first, second = r.stdout.splitlines()
    assert first.endswith("status OTELRS_ERR_EXPORT"), r.stdout
    assert "No space left on device" in r.stderr
    assert second == "after OTELRS_OK", r.stdout
    text = path.read_text()
    assert text.endswith("\n")
    for line in text.splitlines():
        json.loads(line)  # every line whole: the failed export's part was cut away


class SlowReceiver:
    """An OTLP/HTTP receiver that counts requests and answers each after `delay` seconds
    (never, if None)."""

    def __init__(self, delay: float | None):
        self.requests = 0
        self.done = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests += 1
                if delay is None:
                    receiver.done.wait(30)
                    return
                time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.done.set()
        self.server.shutdown()
        self.server.server_close()


def otlp_http_env(url: str, **more: str) -> dict[str, str]:
    return clean_env(OTEL_METRICS_EXPORTER="otlp", OTEL_LOGS_EXPORTER="none", OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
                     OTEL_EXPORTER_OTLP_ENDPOINT=url, **more)


def test_each_request_waits_at_most_the_otlp_timeout_and_is_retried(c_program):
    receiver = SlowReceiver(delay=None)  # accepts, never answers
    try:
        env = otlp_http_env(receiver.url, OTEL_EXPORTER_OTLP_TIMEOUT="300", OTEL_METRIC_EXPORT_TIMEOUT="10000")
        r = run(c_program("faults"), "flushes", "1", "10000", env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        # Four attempts of 300 ms each (one and three retries) within the export timeout;
        # before, the one request waited the whole export timeout, and the flush timed out.
        assert r.stdout.splitlines()[0] == "flush OTELRS_ERR_EXPORT", r.stdout
        assert receiver.requests >= 4, receiver.requests
    finally:
        receiver.close()


def test_flushes_that_timed_out_leave_no_exports_behind(c_program):
    receiver = SlowReceiver(delay=1.5)
    try:
        # 20 flushes time out while the first export waits for its answer; the program then
        # lives on for 5 s before it shuts down.
        r = run(c_program("faults"), "flushes", "20", "50", "5", env=otlp_http_env(receiver.url), timeout=60)
        assert r.returncode == 0, r.stderr
        statuses = r.stdout.splitlines()
        assert statuses.count("flush OTELRS_ERR_TIMEOUT") == 20, r.stdout
        # The first flush's export, and the shutdown's: not one export per flush that timed
        # out (those went out back to back, one every 1.5 s here, all the while).
        assert receiver.requests <= 3, receiver.requests
    finally:
        receiver.close()


def test_loggers_of_ever_new_names_keep_only_those_in_use(c_program, tmp_path):
    # Before, each logger name kept about 480 bytes for the life of the process.
    env = clean_env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="discard")
    r = run(c_program("faults"), "loggers", "500000", env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    tenth, everything, counts = r.stdout.splitlines()
    grown = int(everything.split()[1]) - int(tenth.split()[1])
    assert grown < 8192, f"resident memory grew by {grown} kB over 450,000 loggers"
    assert counts == "emitted 500000 kept 500000"  # the freed loggers' counts stay in the totals


@pytest.mark.parametrize("round_", range(3))
def test_what_recording_accepted_at_shutdown_is_exported(c_program, tmp_path, round_):
    # Before, 0 to 3 adds racing with the shutdown returned OTELRS_OK and were never exported.
    # Now every accepted add is exported; an add refused as it raced (one per thread at most)
    # may be exported too.
    path = tmp_path / "metrics.jsonl"
    env = clean_env(OTEL_METRICS_EXPORTER="file", OTELRS_EXPORTER_FILE_METRICS_PATH=str(path),
                    OTEL_LOGS_EXPORTER="none")
    r = run(c_program("faults"), "race", env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    accepted = int(r.stdout.split()[1])
    last = json.loads(path.read_text().splitlines()[-1])
    exported = sum(int(p["asInt"])
                   for rm in last["resourceMetrics"] for sm in rm["scopeMetrics"] for m in sm["metrics"]
                   if m["name"] == "faults.race" for p in m["sum"]["dataPoints"])
    assert accepted <= exported <= accepted + 4


def sanitized(name: str) -> str:
    """tests/c/NAME.c built with AddressSanitizer and UndefinedBehaviorSanitizer."""
    from conftest import BUILD, ROOT, prefix

    BUILD.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix() / "lib" / "pkgconfig"))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "otelrs"], env=env, check=True, capture_output=True,
                           text=True).stdout.split()
    out = BUILD / f"{name}_sanitized"
    subprocess.run(["cc", "-std=c99", "-D_DEFAULT_SOURCE", "-g", "-O1", "-Wall", "-Wextra", "-Werror",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer",
                    str(ROOT / "tests" / "c" / f"{name}.c"), *flags, "-lm", "-lpthread", "-o", str(out)], check=True)
    return str(out)


@pytest.mark.parametrize("program", ["test_errors", "record_all", "logs all", "threads", "views", "cardinality 10000",
                                     "exemplars", "stress_create create 2000", "faults race", "faults diag"])
def test_the_c_test_programs_under_sanitizers(program):
    # AddressSanitizer and UndefinedBehaviorSanitizer through each program: the C side of every
    # call, and each memory access libotelrs makes through the intercepted libc functions.
    # Not fork.c: GCC's AddressSanitizer does not hold its allocator's lock across fork(), so
    # a child forked while another thread allocates can wait on that lock for ever (seen).
    name, *args = program.split()
    env = clean_env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="discard",
                    ASAN_OPTIONS="detect_leaks=0:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1")
    r = run(sanitized(name), *args, env=env, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    assert "ERROR: AddressSanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr[-4000:]
    if name == "test_errors":
        assert r.stdout.strip().endswith(" 0 failed"), r.stdout[-2000:]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_c_api_calls_under_sanitizers(seed):
    program = sanitized("fuzz")
    env = clean_env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="discard",
                    ASAN_OPTIONS="detect_leaks=0:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1")
    r = run(program, str(seed), "20000", env=env, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr[-4000:]
    assert "ERROR: AddressSanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr[-4000:]
    statuses = [int(n) for n in r.stdout.split("statuses ")[1].split(" no_message")[0].split()]
    assert sum(statuses) > 20000 and statuses[0] > 0  # calls were made and some succeeded
    assert r.stdout.strip().endswith("no_message 0")


def documented_keys() -> list[str]:
    from conftest import ROOT

    return re.findall(r"^\| `((?:OTEL|OTELRS)_[A-Z0-9_]+)` \|", (ROOT / "README.md").read_text(), re.M)


GARBAGE = ["", " ", "-1", "0", "1e999", "999999999999999999999999", "\t", "nan", "true,false", "a=b=c",
           "%", "%zz", "http://[::1", "::::", "/dev/zero", "/", "x" * 5000, "caf\u00e9", "none,otlp",
           "instrument_name=*,name=x", "always_on,always_off", "grpc;", "1/0"]


def test_garbage_settings_are_refused_with_their_key_or_taken(c_program, tmp_path):
    # Every documented key with values of every kind but the right one: init works or
    # refuses with the key named, and nothing crashes.
    keys = documented_keys()
    assert len(keys) >= 60
    rng = random.Random(7)
    for _ in range(300):
        key, value = rng.choice(keys), rng.choice(GARBAGE)
        env = clean_env(**{"OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none", key: value})
        if key in ("OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER") and "otlp" in value:
            continue  # would try to reach a Collector
        r = run(c_program("faults"), "logs", "1", env=env, timeout=60)
        assert r.returncode in (0, 2), (key, value, r.returncode, r.stderr[-2000:])
        if r.returncode == 2:
            assert key in r.stderr or "OTELRS_ERR_CONFIG" in r.stderr, (key, value, r.stderr[-2000:])


def test_fork_under_load(c_program, tmp_path):
    # 4 threads record and log without pause while the process forks 40 times; each child
    # must record, collect, flush and shut down, and the parent go on.
    env = clean_env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="file",
                    OTELRS_EXPORTER_FILE_LOGS_PATH=str(tmp_path / "logs.jsonl"))
    r = run(c_program("faults"), "forks", "40", env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "forks 40 ok 40", r.stdout + r.stderr


class FlakyReceiver:
    """An OTLP/HTTP JSON receiver that throttles: the first request gets `status` with a
    Retry-After of `retry_after` (made by `retry_after(seconds)`), and so does every request
    before that time has passed; then 200. Counts the log records it accepted."""

    def __init__(self, status: int, retry_after, seconds: float = 1.2):
        self.accepted = 0
        self.refused = 0
        self.not_before = 0.0
        self.user_agents: set[str] = set()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.user_agents.add(self.headers.get("User-Agent", ""))
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                now = time.time()
                if receiver.refused == 0 or now < receiver.not_before:
                    if receiver.refused == 0:
                        receiver.not_before = now + seconds
                    receiver.refused += 1
                    self.send_response(status)
                    self.send_header("Retry-After", retry_after(receiver.not_before))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                receiver.accepted += sum(len(sl.get("logRecords", [])) for rl in body.get("resourceLogs", [])
                                         for sl in rl.get("scopeLogs", []))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def in_seconds(at: float) -> str:
    return str(max(1, round(at - time.time() + 0.49)))


def as_http_date(at: float) -> str:
    from email.utils import formatdate

    return formatdate(at + 1, usegmt=True)  # whole seconds: rounded up


@pytest.mark.parametrize("status,retry_after", [(503, in_seconds), (429, as_http_date)])
def test_throttling_is_waited_out_and_every_record_arrives(c_program, status, retry_after):
    # Retried at the backoff alone (0.1, 0.2, 0.4 s) the three retries come before the
    # 1.2 s the receiver asks for, and the records are lost: Retry-After must be followed.
    receiver = FlakyReceiver(status, retry_after)
    try:
        env = clean_env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="otlp", OTEL_EXPORTER_OTLP_PROTOCOL="http/json",
                        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url, OTEL_BLRP_MAX_QUEUE_SIZE="2000")
        r = run(c_program("faults"), "logs", "1000", env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0] == "flush OTELRS_OK" and lines[1] == "stats kept=1000 dropped=0", r.stdout + r.stderr
        (exporter,) = json.loads(lines[2])["exporters"]
        assert exporter["retries"] >= 1 and exporter["exported"] == 1000 and exporter["failed"] == 0, exporter
        assert receiver.refused >= 1 and receiver.accepted == 1000
        # The User-Agent the OTLP specification asks for, naming the program's language.
        assert receiver.user_agents == {"OTel-OTLP-Exporter-C/0.1.0 (otelrs)"}, receiver.user_agents
    finally:
        receiver.close()


def test_otelrs_messages_reach_the_programs_handler_on_another_thread_at_otel_log_level(c_program):
    env = clean_env(OTEL_METRICS_EXPORTER="otlp", OTEL_LOGS_EXPORTER="otlp", OTEL_EXPORTER_OTLP_PROTOCOL="http/json",
                    OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9", OTEL_MISSPELT_KEY="1")
    r = run(c_program("faults"), "diag", env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[-2:] == ["shutdown OTELRS_ERR_EXPORT", "refused 1 kept 1"], r.stdout
    assert "log OTELRS_ERR_INVALID_UTF8" in lines
    diag = [line for line in lines if line.startswith("diag ")]
    # Warnings (level 2), each on otelrs's diagnostics thread: the unknown key, and the log
    # and metric exporters failing (once each).
    assert all(line.startswith("diag 2 other: ") for line in diag), diag
    assert any("OTEL_MISSPELT_KEY is not a setting otelrs knows" in line for line in diag), diag
    assert sum("Connection refused" in line for line in diag) == 2, diag
    assert "otelrs:" not in r.stderr, r.stderr
    # OTEL_LOG_LEVEL=error: no warnings reach the handler.
    r = run(c_program("faults"), "diag", env=dict(env, OTEL_LOG_LEVEL="error"), timeout=60)
    assert r.returncode == 0 and not [line for line in r.stdout.splitlines() if line.startswith("diag ")], r.stdout


def test_an_unknown_setting_in_the_environment_is_named_once(c_program):
    env = clean_env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none",
                    OTEL_EXPORTER_OTLP_ENDPIONT="http://collector:4318", OTELRS_NO_SUCH_THING="1",
                    OTEL_TRACES_SAMPLER="always_on", OTEL_PYTHON_LOG_CORRELATION="true")
    r = run(c_program("faults"), "logs", "0", env=env)
    assert r.returncode == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if "is not a setting otelrs knows" in line]
    assert sorted(warnings) == [
        "otelrs: OTELRS_NO_SUCH_THING is not a setting otelrs knows and is ignored",
        "otelrs: OTEL_EXPORTER_OTLP_ENDPIONT is not a setting otelrs knows and is ignored "
        "(did you mean OTEL_EXPORTER_OTLP_ENDPOINT?)",
    ]

