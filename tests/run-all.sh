#!/usr/bin/env bash
# Installs what the tests need, builds everything, starts the services the tests use (the
# OpenTelemetry Collector built from tests/collector, a Prometheus server, VictoriaLogs built
# from its Go module, which takes Loki pushes and Elasticsearch bulk requests, OpenSearch from
# its Maven Central artifacts, and ClickHouse's HTTP interface over chDB), and runs
# every test: Rust unit and boundary tests, the C programs (also under valgrind), the
# end-to-end tests, and the Python and Ruby packages' tests.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# The portable builds made and checked here (make dist builds all four targets).
DIST_TARGETS=${DIST_TARGETS:-x86_64-linux-gnu,aarch64-linux-gnu,x86_64-linux-musl}

step() { printf '\n== %s\n' "$*"; }

step "system packages"
need=()
command -v valgrind >/dev/null || need+=(valgrind)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v cc >/dev/null || need+=(gcc)
command -v openssl >/dev/null || need+=(openssl)
# Ruby with the ffi and minitest gems, from Debian, for the Ruby gem's tests.
ruby -e 'require "ffi"; require "minitest"' 2>/dev/null || need+=(ruby ruby-ffi ruby-minitest)
# Prometheus (server and promtool), from Debian, for the pull endpoint's tests.
{ command -v prometheus && command -v promtool; } >/dev/null || need+=(prometheus)
# puma, rack and WEBrick, from Debian, for the pre-fork server and Rack middleware tests of the gem.
{ command -v puma && ruby -e 'require "rack"'; } >/dev/null 2>&1 || need+=(puma ruby-rack)
ruby -e 'require "webrick"' >/dev/null 2>&1 || need+=(ruby-webrick)
# For the portable builds' checks: an aarch64 C compiler with Debian's aarch64 glibc, qemu to run
# its programs, musl-gcc, unzip (to look into wheels).
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v musl-gcc >/dev/null || need+=(musl-tools)
command -v unzip >/dev/null || need+=(unzip)
if ((${#need[@]})); then
    if [ "$(id -u)" != 0 ]; then
        echo "missing: ${need[*]} (install them, or run as root)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# qemu-user 8 or later (bookworm's 7.2 aborts the forked child of a threaded program when it
# starts a thread, which every pre-fork test does): from the release's backports when older.
qemu_major=$(qemu-aarch64 --version 2>/dev/null | sed -n 's/.*version \([0-9]*\).*/\1/p' || true)
if [ "${qemu_major:-0}" -lt 8 ]; then
    [ "$(id -u)" = 0 ] || { echo "missing: qemu-user 8 or later (install it, or run as root)" >&2; exit 1; }
    backports="$(. /etc/os-release && echo "$VERSION_CODENAME")-backports"
    echo "deb http://deb.debian.org/debian $backports main" > /etc/apt/sources.list.d/otelrs-backports.list
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t "$backports" qemu-user
fi
# The aarch64 musl checks run under qemu with Debian's musl for arm64 (unpacked, not installed).
if [[ $DIST_TARGETS == *aarch64-linux-musl* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
    apt-get update -qq
fi
python3 -m pip install -q --disable-pip-version-check -r tests/requirements.txt

step "Rust: format, lints, unit and boundary tests"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
# The benchmark's direct-SDK program on its own (features are not unified with otelrs's here).
cargo check -q -p otelrs-bench-sdk-direct

step "install libotelrs into build/prefix"
make install PREFIX="$ROOT/build/prefix"
export OTELRS_PREFIX="$ROOT/build/prefix"
PKG_CONFIG_PATH="$OTELRS_PREFIX/lib/pkgconfig" make -C examples-c all

step "the Python package: wheel, install, stubs, types, lints"
make wheel PYTHON=python3
python3 -m pip install -q --disable-pip-version-check --force-reinstall --no-deps build/wheels/otelrs-*.whl
python3 -m mypy.stubtest otelrs._otelrs
python3 -m mypy --strict python/otelrs tests/python examples/python
(cd python && python3 -m ruff check otelrs)

step "the Ruby gem (with its own copy of libotelrs), warning-free under ruby -w"
make gem
warnings=$(env -i PATH="$PATH" HOME="$HOME" OTELRS_LIB="$OTELRS_PREFIX/lib/libotelrs.so" \
    OTEL_METRICS_EXPORTER=memory OTEL_LOGS_EXPORTER=console ruby -w -Iruby/lib -e 'require "otelrs"; m = Otelrs.meter("w"); m.counter("c").add(1, k: "v")
        m.histogram("h").time { nil }; m.observable_gauge("g") { |o| o.observe(1) }
        Otelrs::Logger.new("w").info("x", k: 1); Otelrs.collect_json; Otelrs.shutdown' 2>&1 >/dev/null)
if [ -n "$warnings" ]; then
    echo "ruby -w: $warnings" >&2
    exit 1
fi

step "the OpenTelemetry Collector (tests/collector)"
collector_bin="$ROOT/build/otelcol-test"
export OTELRS_TEST_COLLECTOR_BIN="$collector_bin"
(cd tests/collector && go build -o "$collector_bin" .)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export OTELRS_TEST_GRPC_PORT=$(free_port) OTELRS_TEST_HTTP_PORT=$(free_port)
export OTELRS_TEST_GRPC_TLS_PORT=$(free_port) OTELRS_TEST_HTTP_TLS_PORT=$(free_port)
# A test CA and a certificate for localhost, for the Collector's TLS receiver.
export OTELRS_TEST_TLS_DIR="$ROOT/build/tls"
mkdir -p "$OTELRS_TEST_TLS_DIR"
(
    cd "$OTELRS_TEST_TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=otelrs test CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
        -extfile server.ext 2>/dev/null
    # A client certificate of the same CA, for the mTLS tests.
    openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=otelrs test client" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' > client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 \
        -extfile client.ext 2>/dev/null
)
mkdir -p build/collector
export OTELRS_TEST_COLLECTOR_OUT="$ROOT/build/collector/received.jsonl"
rm -f "$OTELRS_TEST_COLLECTOR_OUT"
"$collector_bin" --config tests/collector/config.yaml > build/collector/collector.log 2>&1 &
collector_pid=$!
services=($collector_pid)
trap 'kill "${services[@]}" 2>/dev/null || true; wait "${services[@]}" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    if python3 -c "import socket,sys; sys.exit(any(socket.socket().connect_ex(('127.0.0.1', p)) for p in ($OTELRS_TEST_HTTP_PORT, $OTELRS_TEST_GRPC_PORT, $OTELRS_TEST_GRPC_TLS_PORT, $OTELRS_TEST_HTTP_TLS_PORT)))"; then
        break
    fi
    kill -0 $collector_pid 2>/dev/null || { cat build/collector/collector.log; exit 1; }
    sleep 0.1
done
echo "Collector listening: gRPC $OTELRS_TEST_GRPC_PORT, HTTP $OTELRS_TEST_HTTP_PORT, gRPC+TLS $OTELRS_TEST_GRPC_TLS_PORT, HTTP+TLS $OTELRS_TEST_HTTP_TLS_PORT"

# Waits until `url` answers, for up to `seconds` (60 by default); shows `log` and fails when
# the service started last has stopped or never answers.
wait_for_url() {
    local url=$1 log=$2 seconds=${3:-60}
    local deadline=$((SECONDS + seconds))
    while [ $SECONDS -lt $deadline ]; do
        python3 -c "import urllib.request; urllib.request.urlopen('$url', timeout=1)" 2>/dev/null && return 0
        kill -0 "${services[-1]}" 2>/dev/null || { cat "$log"; exit 1; }
        sleep 0.1
    done
    echo "no answer from $url" >&2
    cat "$log"
    exit 1
}

step "Prometheus, scraping every second the port the pull endpoint tests serve on"
prometheus_port=$(free_port)
export OTELRS_TEST_PROMETHEUS_TARGET_PORT=$(free_port)
export OTELRS_TEST_PROMETHEUS_URL="http://127.0.0.1:$prometheus_port"
rm -rf build/prometheus && mkdir -p build/prometheus
cat > build/prometheus/prometheus.yml <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: otelrs
    static_configs:
      - targets: ["localhost:$OTELRS_TEST_PROMETHEUS_TARGET_PORT"]
YAML
prometheus --config.file=build/prometheus/prometheus.yml --storage.tsdb.path=build/prometheus/data \
    --web.listen-address="127.0.0.1:$prometheus_port" > build/prometheus/prometheus.log 2>&1 &
services+=($!)
wait_for_url "$OTELRS_TEST_PROMETHEUS_URL/-/ready" build/prometheus/prometheus.log
echo "Prometheus at $OTELRS_TEST_PROMETHEUS_URL, scraping localhost:$OTELRS_TEST_PROMETHEUS_TARGET_PORT"

step "VictoriaLogs (takes Loki pushes and Elasticsearch bulk requests), from its Go module"
export OTELRS_TEST_VICTORIALOGS_BIN="$ROOT/build/victoria-logs"
GOBIN="$ROOT/build" go install "github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@$(cat tests/victorialogs.version)"
victorialogs_port=$(free_port)
export OTELRS_TEST_VICTORIALOGS_URL="http://127.0.0.1:$victorialogs_port"
rm -rf build/victorialogs && mkdir -p build/victorialogs
"$OTELRS_TEST_VICTORIALOGS_BIN" -storageDataPath=build/victorialogs/data -httpListenAddr="127.0.0.1:$victorialogs_port" -retentionPeriod=100y \
    > build/victorialogs/victorialogs.log 2>&1 &
services+=($!)
wait_for_url "$OTELRS_TEST_VICTORIALOGS_URL/health" build/victorialogs/victorialogs.log
echo "VictoriaLogs at $OTELRS_TEST_VICTORIALOGS_URL"

step "ClickHouse's HTTP interface over chDB (ClickHouse's engine from the chdb-core package)"
clickhouse_port=$(free_port)
export OTELRS_TEST_CLICKHOUSE_URL="http://127.0.0.1:$clickhouse_port"
rm -rf build/clickhouse && mkdir -p build/clickhouse
python3 tests/clickhouse/server.py --port "$clickhouse_port" --path build/clickhouse/data \
    > build/clickhouse/clickhouse.log 2>&1 &
services+=($!)
wait_for_url "$OTELRS_TEST_CLICKHOUSE_URL/ping" build/clickhouse/clickhouse.log
echo "ClickHouse at $OTELRS_TEST_CLICKHOUSE_URL"

step "OpenSearch 2.19, assembled from its Maven Central artifacts (tests/opensearch)"
export OTELRS_TEST_OPENSEARCH_PORT=$(free_port) OTELRS_TEST_OPENSEARCH_TRANSPORT_PORT=$(free_port)
export OTELRS_TEST_OPENSEARCH_URL="http://127.0.0.1:$OTELRS_TEST_OPENSEARCH_PORT"
mkdir -p build/opensearch
tests/opensearch/start.sh build/opensearch/home > build/opensearch/opensearch.log 2>&1 &
services+=($!)
# (Its first start here downloads its jars from Maven Central.)
wait_for_url "$OTELRS_TEST_OPENSEARCH_URL/_cluster/health?wait_for_status=yellow" build/opensearch/opensearch.log 300
echo "OpenSearch at $OTELRS_TEST_OPENSEARCH_URL"

step "C programs and end-to-end tests (pytest)"
python3 -m pytest tests -p no:cacheprovider -q

step "Ruby gem tests (minitest)"
OTELRS_LIB="$OTELRS_PREFIX/lib/libotelrs.so" ruby -Iruby/test \
    -e 'Dir["ruby/test/test_*.rb"].sort.each { |f| require File.expand_path(f) }'

step "the portable artefacts for $DIST_TARGETS, the sdist and the source gem (make dist, make dist-check)"
make dist PYTHON=python3 DIST_TARGETS="$DIST_TARGETS"
make dist-check PYTHON=python3 DIST_TARGETS="$DIST_TARGETS"

step "the C tests on aarch64: cross-built against the aarch64 archive, run under qemu-aarch64, exporting to the services here"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
rm -rf build/aarch64 && mkdir -p build/aarch64
tar -xzf "build/dist/otelrs-$version-aarch64-linux-gnu.tar.gz" -C build/aarch64
# Every end-to-end test of the C programs but those under valgrind and the sanitizers, which
# run native programs only (they ran above), and the install's checks (test_packaging.py).
OTELRS_TEST_TARGET=aarch64-linux-gnu OTELRS_PREFIX="$ROOT/build/aarch64/otelrs-$version-aarch64-linux-gnu" \
    python3 -m pytest tests -p no:cacheprovider -q --ignore=tests/python --ignore=tests/test_packaging.py \
    -k "not valgrind and not sanitizers"

step "the Ruby source gem: gem install builds libotelrs with cargo, then the gem's tests against it"
source_gem="build/dist/otelrs-$version.gem"
gem_home="$ROOT/build/source-gem"
rm -rf "$gem_home"
# Without cargo, the install fails saying what is missing.
if out=$(env -i PATH=/usr/bin:/bin HOME="$HOME" gem install --local --no-document --ignore-dependencies \
        --install-dir "$gem_home" "$source_gem" 2>&1); then
    echo "the source gem installed without cargo" >&2
    exit 1
fi
grep -q "builds libotelrs with Rust's cargo" <<<"$out" || { echo "$out" >&2; exit 1; }
rm -rf "$gem_home"
gem install --local --no-document --ignore-dependencies --install-dir "$gem_home" "$source_gem"
gem_lib="$gem_home/gems/otelrs-$version/lib"
loaded=$(env -u OTELRS_LIB ruby -I "$gem_lib" -e 'require "otelrs"; puts Otelrs::Native.ffi_libraries.map(&:name)')
[ "$loaded" = "$gem_lib/otelrs/vendor/libotelrs.so" ] || { echo "the source gem loaded $loaded" >&2; exit 1; }
env -u OTELRS_LIB OTELRS_TEST_RUBY_LIB="$gem_lib" ruby -Iruby/test \
    -e 'Dir["ruby/test/test_*.rb"].sort.each { |f| require File.expand_path(f) }'
