#!/usr/bin/env python3
"""Builds the portable artefacts into build/dist, and checks them (`--check`).

Targets built so far: x86_64 Linux with glibc 2.17 or later (manylinux2014), cross-linked by
zig (`cargo zigbuild`, `maturin --zig`) so that the library asks for no glibc symbol newer than
2.17 whatever the build machine has:

- `otelrs-<version>-x86_64-linux-gnu.tar.gz`: lib/libotelrs.so.<version> (stripped; the
  soname's links beside it), lib/libotelrs.a, include/otelrs.h, a relocatable
  lib/pkgconfig/otelrs.pc (its prefix is found from the .pc's own place), LICENSE;
- `otelrs-<version>-x86_64-linux-gnu-debug.tar.gz`: the library's debug information, which
  gdb finds when it is put beside the library (the stripped library names it);
- the Python abi3 wheel for manylinux2014 x86_64.

`--check` then proves them: no symbol version newer than GLIBC_2.17; the library and the
wheel each under 10 MB;
`auditwheel show` reports the tag the wheel's name carries; the wheel installed into a fresh
venv records and collects; a C example built against the unpacked tarball with pkg-config runs.

    python3 packaging/dist.py [--check]        (make dist, make dist-check)
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
DIST = ROOT / "build" / "dist"
TARGET_DIR = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
VERSION = re.search(r'^version = "(.+)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)
MAJOR, MINOR = VERSION.split(".")[:2]
SOVERSION = f"0.{MINOR}" if MAJOR == "0" else MAJOR
GLIBC = "2.17"
TRIPLE = "x86_64-unknown-linux-gnu"
NAME = f"otelrs-{VERSION}-x86_64-linux-gnu"
MAX_BYTES = 10 << 20
TOOLS = ["ziglang>=0.13,<0.18", "cargo-zigbuild>=0.19,<0.25", "maturin>=1.9,<2", "auditwheel>=6,<7"]


def sh(*cmd: str | pathlib.Path, **kw) -> str:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], check=True, text=True, capture_output=kw.pop("quiet", False),
                          **kw).stdout or ""


def bin_dir() -> pathlib.Path:
    """Where pip put the tools' commands (cargo-zigbuild, python-zig)."""
    return pathlib.Path(sys.executable).parent


def build() -> None:
    sh(sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", *TOOLS)
    env = dict(os.environ, PATH=f"{bin_dir()}{os.pathsep}{os.environ['PATH']}")
    shutil.rmtree(DIST, ignore_errors=True)
    DIST.mkdir(parents=True)

    sh("cargo", "zigbuild", "--release", "-p", "otelrs-ffi", "--target", f"{TRIPLE}.{GLIBC}", env=env, cwd=ROOT)
    built = TARGET_DIR / TRIPLE / "release"
    stage = DIST / NAME
    lib = stage / "lib"
    (lib / "pkgconfig").mkdir(parents=True)
    (stage / "include").mkdir()
    so = lib / f"libotelrs.so.{VERSION}"
    shutil.copy(built / "libotelrs.so", so)
    debug = DIST / f"libotelrs.so.{VERSION}.debug"
    sh("objcopy", "--only-keep-debug", so, debug)
    sh("strip", "--strip-debug", "--strip-unneeded", so)
    sh("objcopy", f"--add-gnu-debuglink={debug}", so)
    (lib / f"libotelrs.so.{SOVERSION}").symlink_to(so.name)
    (lib / "libotelrs.so").symlink_to(f"libotelrs.so.{SOVERSION}")
    shutil.copy(built / "libotelrs.a", lib / "libotelrs.a")
    sh("strip", "--strip-debug", lib / "libotelrs.a")
    shutil.copy(ROOT / "include" / "otelrs.h", stage / "include" / "otelrs.h")
    shutil.copy(ROOT / "LICENSE", stage / "LICENSE")
    pc = (ROOT / "otelrs.pc.in").read_text().replace("@VERSION@", VERSION)
    # Relocatable: the prefix is two levels above the .pc file, wherever it is unpacked.
    pc = pc.replace("prefix=@PREFIX@", "prefix=${pcfiledir}/../..")
    (lib / "pkgconfig" / "otelrs.pc").write_text(pc)
    with tarfile.open(DIST / f"{NAME}.tar.gz", "w:gz") as tar:
        tar.add(stage, arcname=NAME)
    with tarfile.open(DIST / f"{NAME}-debug.tar.gz", "w:gz") as tar:
        tar.add(debug, arcname=f"{NAME}/lib/{debug.name}")
    shutil.rmtree(stage)
    debug.unlink()

    sh(sys.executable, "-m", "maturin", "build", "--release", "--strip", "--zig", "--target", TRIPLE,
       "--compatibility", "manylinux2014", "-o", DIST, env=env, cwd=ROOT / "python")


def check() -> None:
    problems = []
    tarball = DIST / f"{NAME}.tar.gz"
    [wheel] = DIST.glob("otelrs-*manylinux*.whl")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="tar")
        prefix = tmp / NAME
        so = prefix / "lib" / f"libotelrs.so.{VERSION}"
        sh("unzip", "-q", "-o", wheel, "-d", tmp / "wheel")
        [ext] = (tmp / "wheel" / "otelrs").glob("_otelrs*.so")
        for binary in (so, ext):
            versions = set(re.findall(r"GLIBC_([0-9.]+)", sh("objdump", "-T", binary, quiet=True)))
            newest = max(versions, key=lambda v: tuple(map(int, v.split("."))))
            print(f"{binary.name}: newest glibc symbol version {newest}")
            if tuple(map(int, newest.split("."))) > tuple(map(int, GLIBC.split("."))):
                problems.append(f"{binary.name} needs GLIBC_{newest}")
        soname = re.search(r"SONAME.*\[(.+)\]", sh("readelf", "-d", so, quiet=True)).group(1)
        if soname != f"libotelrs.so.{SOVERSION}":
            problems.append(f"soname {soname}")
        for path in (so, wheel, tarball, prefix / "lib" / "libotelrs.a"):
            size = path.stat().st_size
            print(f"{path.name}: {size / (1 << 20):.1f} MB")
            # The library and the wheel are what a program loads and pip fetches; the
            # archive's size is the static library's (every dependency's code, for the linker).
            if path in (so, wheel) and size > MAX_BYTES:
                problems.append(f"{path.name} is {size} bytes")

        shown = sh(sys.executable, "-m", "auditwheel", "show", wheel, quiet=True)
        tag = re.search(r'is consistent with the following platform tag:\s*"([^"]+)"', shown)
        print(f"auditwheel: {tag.group(1) if tag else shown}")
        if not tag or tag.group(1) not in wheel.name:
            problems.append(f"auditwheel reports {tag.group(1) if tag else '?'} for {wheel.name}")

        venv = tmp / "venv"
        sh(sys.executable, "-m", "venv", venv)
        sh(venv / "bin" / "pip", "install", "-q", "--disable-pip-version-check", wheel)
        smoke = ("import json, otelrs\n"
                 "otelrs.init(metrics_exporter='memory', logs_exporter='none')\n"
                 "otelrs.get_meter('dist').create_counter('dist.checks', value_type=int).add(2, {'k': 'v'})\n"
                 "data = json.loads(otelrs.collect_json())\n"
                 "points = [p for rm in data['resourceMetrics'] for sm in rm['scopeMetrics'] for m in sm['metrics']\n"
                 "          if m['name'] == 'dist.checks' for p in m['sum']['dataPoints']]\n"
                 "assert points[0]['asInt'] == '2', points\n"
                 "print('wheel smoke test: ok')\n")
        print(sh(venv / "bin" / "python", "-c", smoke, cwd=tmp, quiet=True).strip())

        env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
        flags = sh("pkg-config", "--cflags", "--libs", "otelrs", env=env, quiet=True).split()
        example = tmp / "counter_histogram"
        sh("cc", "-std=c99", "-O2", ROOT / "examples-c" / "counter_histogram.c", *flags, "-o", example)
        out = sh(example, env={"PATH": os.environ["PATH"], "OTEL_METRICS_EXPORTER": "console",
                               "OTEL_LOGS_EXPORTER": "none"}, quiet=True)
        if "orders" not in out:
            problems.append("the C example built against the tarball printed no metrics")
        else:
            print("C example against the tarball: ok")
    if problems:
        raise SystemExit("dist check failed: " + "; ".join(problems))
    print("dist check: ok")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check what build/dist holds instead of building")
    args = parser.parse_args()
    check() if args.check else build()


if __name__ == "__main__":
    main()
