"""What a C user installs: the versioned shared library, the static library, the header
(usable from C++ too) and otelrs.pc."""

from __future__ import annotations

import os
import re
import subprocess

from conftest import ROOT, clean_env, prefix


def pkg_config(*args: str) -> list[str]:
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix() / "lib" / "pkgconfig"))
    return subprocess.run(["pkg-config", *args, "otelrs"], env=env, check=True, capture_output=True,
                          text=True).stdout.split()


def test_shared_library_has_a_versioned_soname_and_only_prefixed_symbols():
    lib = prefix() / "lib"
    dynamic = subprocess.run(["readelf", "-d", str(lib / "libotelrs.so")], check=True, capture_output=True,
                             text=True).stdout
    soname = re.search(r"Library soname: \[(.+?)\]", dynamic).group(1)
    assert soname == "libotelrs.so.0.1"
    assert (lib / soname).resolve() == (lib / "libotelrs.so").resolve()
    symbols = subprocess.run(["nm", "-D", "--defined-only", str(lib / "libotelrs.so")], check=True,
                             capture_output=True, text=True).stdout.split("\n")
    names = [line.split()[-1] for line in symbols if line.strip()]
    assert "otelrs_counter_u64_add" in names
    assert [n for n in names if not n.startswith("otelrs_")] == []


def test_pkg_config_describes_the_install():
    assert pkg_config("--modversion") == ["0.1.0"]
    assert f"-I{prefix() / 'include'}" in pkg_config("--cflags")
    assert "-lotelrs" in pkg_config("--libs")


def test_header_compiles_as_cpp(tmp_path):
    source = tmp_path / "use.cpp"
    source.write_text(
        '#include <otelrs.h>\n'
        'int main() {\n'
        '    otelrs_sdk *sdk = nullptr;\n'
        '    otelrs_attribute a{};\n'
        '    a.key = "k"; a.type = OTELRS_TYPE_INT; a.value.integer = 1;\n'
        '    (void)a;\n'
        '    return otelrs_sdk_new(nullptr, &sdk) == OTELRS_OK ? 0 : 1;\n'
        '}\n'
    )
    subprocess.run(["c++", "-std=c++11", "-Wall", "-Wextra", "-Werror", str(source), *pkg_config("--cflags", "--libs"),
                    "-o", str(tmp_path / "use")], check=True)
    r = subprocess.run([str(tmp_path / "use")], env=clean_env(OTEL_METRICS_EXPORTER="none"))
    assert r.returncode == 0


def test_static_library_links_a_working_program(tmp_path):
    exe = tmp_path / "static_example"
    libs = [f for f in pkg_config("--static", "--libs") if f != "-lotelrs"]
    subprocess.run(["cc", "-std=c99", "-D_DEFAULT_SOURCE", str(ROOT / "examples-c" / "settings_from_code.c"),
                    *pkg_config("--cflags"), str(prefix() / "lib" / "libotelrs.a"), *libs, "-o", str(exe)],
                   check=True)
    dynamic = subprocess.run(["readelf", "-d", str(exe)], check=True, capture_output=True, text=True).stdout
    assert "libotelrs" not in dynamic
    r = subprocess.run([str(exe)], env=clean_env(), capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "checkout.active_sessions" in r.stdout


def test_the_readme_quick_start_compiles_and_runs(tmp_path):
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## C quick start")
    code = readme[readme.index("```c\n", start) + 5: readme.index("```\n", readme.index("```c\n", start))]
    source = tmp_path / "quick_start.c"
    source.write_text(code)
    subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", str(source), *pkg_config("--cflags", "--libs"),
                    "-o", str(tmp_path / "quick_start")], check=True)
    r = subprocess.run([str(tmp_path / "quick_start")], env=clean_env(OTEL_METRICS_EXPORTER="console",
                                                                     OTEL_LOGS_EXPORTER="none"),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert '{paid=true, region="eu"} 2' in r.stdout


def test_git_holds_no_build_artefact():
    # Compiled examples committed with another machine's RUNPATH made `make demo` run them,
    # and fail, on a fresh clone.
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout.split(b"\0")
    built = []
    for name in filter(None, files):
        path = ROOT / name.decode()
        if path.suffix in (".so", ".a", ".o", ".whl", ".gem") or (path.is_file() and path.read_bytes()[:4] == b"\x7fELF"):
            built.append(name.decode())
    assert built == []


def test_the_demo_builds_the_examples_from_source_and_runs_them(tmp_path):
    env = dict(clean_env(), PKG_CONFIG_PATH=str(prefix() / "lib" / "pkgconfig"))
    r = subprocess.run(["make", "-s", "-C", str(ROOT / "examples-c"), "run-demo", f"OUT={tmp_path}"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    for example in ("server_loop", "counter_histogram", "observable_gauge", "settings_from_code", "http_server"):
        assert (tmp_path / example).exists()
    assert "checkout.active_sessions" in r.stdout and "service.name=demo" in r.stdout.replace('"', "")
    # The HTTP server served its client's 6 requests: 5 under a route, 1 without.
    served = [line for line in r.stdout.splitlines() if "http.request.method=" in line and "count=" in line]
    assert sum(int(line.split("count=")[1].split()[0]) for line in served) == 6, r.stdout
    assert any('http.route="/users/{id}"' in line and "count=3" in line for line in served), r.stdout


def test_the_installed_library_has_no_debug_information():
    lib = prefix() / "lib"
    for name in ("libotelrs.so", "libotelrs.a"):
        sections = subprocess.run(["readelf", "-S", "-W", str(lib / name)], check=True, capture_output=True,
                                  text=True).stdout
        assert ".debug_info" not in sections, name
    # Stripped it is a few megabytes (with debug information over 50).
    assert (lib / "libotelrs.so").resolve().stat().st_size < 16 * 2**20


def test_an_ignored_status_of_a_creating_function_is_a_warning(tmp_path):
    source = tmp_path / "ignored.c"
    source.write_text(
        "#include <otelrs.h>\n"
        "void record(otelrs_sdk *sdk, otelrs_counter_u64 *c) {\n"
        "    otelrs_counter_u64_add(c, 1, NULL, 0);   /* recording: may be ignored */\n"
        "    otelrs_sdk_shutdown(sdk, 1000);          /* shutting down: may not */\n"
        "}\n"
    )
    r = subprocess.run(["cc", "-std=c99", "-c", "-Wall", "-Werror", str(source), *pkg_config("--cflags"),
                        "-o", str(tmp_path / "ignored.o")], capture_output=True, text=True)
    assert r.returncode != 0
    assert "otelrs_sdk_shutdown" in r.stderr and "warn_unused_result" in r.stderr, r.stderr
    assert "otelrs_counter_u64_add" not in r.stderr
