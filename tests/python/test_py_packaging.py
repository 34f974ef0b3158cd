"""The Python package as users get it: one abi3 wheel for CPython 3.9 and later with its type
stubs, and `pip install ./python` from source into a fresh virtual environment."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import venv
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[2]


def crate_version() -> str:
    match = re.search(r'^version = "(.+)"', (ROOT / "Cargo.toml").read_text(), re.M)
    assert match
    return match.group(1)


def test_the_wheel_is_abi3_from_cpython_3_9_and_carries_the_stubs() -> None:
    (wheel,) = (ROOT / "build" / "wheels").glob("otelrs-*.whl")
    assert re.fullmatch(rf"otelrs-{re.escape(crate_version())}-cp39-abi3-manylinux_\d+_\d+_x86_64\.whl", wheel.name)
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in ("__init__.py", "_otelrs.abi3.so", "_otelrs.pyi", "py.typed", "_logging.py", "_timing.py"):
        assert f"otelrs/{f}" in names
    # The extension without debug information (with it, the wheel is over 12 MB).
    assert wheel.stat().st_size < 6 * 2**20, wheel.stat().st_size
    # Its description is the project's README: the whole API and every setting.
    metadata = zipfile.ZipFile(wheel).read(f"otelrs-{crate_version()}.dist-info/METADATA").decode()
    assert "\n## Python\n" in metadata and "\n## Settings\n" in metadata and "`OTEL_LOG_LEVEL`" in metadata


def test_pip_install_from_source_into_a_fresh_virtualenv(tmp_path: pathlib.Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    build = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(ROOT / "python")],
        capture_output=True, text=True, timeout=1200,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_"))}
    environ.update(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none")
    r = subprocess.run(
        [str(python), "-c", "import otelrs, json; otelrs.get_meter('m').create_counter('c').add(2); "
         "print(otelrs.__version__, otelrs.__file__); print(otelrs.collect_json())"],
        capture_output=True, text=True, env=environ, cwd=tmp_path, timeout=60,
    )
    assert r.returncode == 0, r.stderr
    version, path = r.stdout.splitlines()[0].split()
    assert version == crate_version() and path.startswith(str(env_dir))
    assert '"asDouble":2.0' in r.stdout.replace(" ", "")
    assert sys.version_info >= (3, 9)


def test_the_readme_python_quick_start_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Python")
    code = readme[readme.index("```python\n", start) + 10: readme.index("```\n", readme.index("```python\n", start))]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_"))}
    environ.update(OTEL_METRICS_EXPORTER="console", OTEL_LOGS_EXPORTER="console")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environ, timeout=60)
    assert r.returncode == 0, r.stderr
    assert '{paid=true, region="eu"} 1' in r.stdout and '{region="eu"} 1' in r.stdout
    assert "[shop] order placed {order.id=42}" in r.stdout
    assert '{q="a"} 3' in r.stdout
