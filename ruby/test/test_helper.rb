# frozen_string_literal: true

require "minitest/autorun"
require "json"
require "open3"
require "rbconfig"
require "socket"
require "tmpdir"

# Runs Ruby snippets in fresh interpreters (otelrs has one SDK per process) against the
# libotelrs of OTELRS_LIB (tests/run-all.sh points it at build/prefix), and reads back what
# otelrs exported. OTELRS_TEST_RUBY_LIB names the gem's lib directory to test, ruby/lib by
# default (tests/run-all.sh runs the tests again against an installed source gem).
module OtelrsTest
  LIB = ENV.fetch("OTELRS_TEST_RUBY_LIB", File.expand_path("../lib", __dir__))

  # The whole environment of a run: the caller's without its OTEL_/OTELRS_ settings (but
  # with OTELRS_LIB), plus `settings`. Runs get only this (unsetenv_others).
  def env(**settings)
    base = ENV.to_h.reject { |k, _| k.start_with?("OTEL_", "OTELRS_") && !k.start_with?("OTELRS_LIB", "OTELRS_TEST_") }
    base.merge(settings.transform_keys(&:to_s).transform_values(&:to_s))
  end

  # A TCP port free now on 127.0.0.1.
  def free_port
    server = TCPServer.new("127.0.0.1", 0)
    server.addr[1]
  ensure
    server&.close
  end

  # Runs `code` with otelrs required; returns [stdout, stderr, status].
  def run_ruby(code, environ = env, timeout: 60)
    Open3.capture3(environ, "timeout", timeout.to_s, RbConfig.ruby, "-I", LIB, "-rotelrs", "-e", code,
                   unsetenv_others: true)
  end

  # Runs `code` and returns its stdout; fails the test if it fails.
  def ok(code, environ = env, timeout: 60)
    out, err, status = run_ruby(code, environ, timeout: timeout)
    assert status.success?, "exit #{status.exitstatus}\nstdout:\n#{out}\nstderr:\n#{err}"
    out
  end

  def value(v)
    return v["stringValue"] if v.key?("stringValue")
    return v["boolValue"] if v.key?("boolValue")
    return Integer(v["intValue"]) if v.key?("intValue")
    return Float(v["doubleValue"]) if v.key?("doubleValue")
    return (v.dig("arrayValue", "values") || []).map { |x| value(x) } if v.key?("arrayValue")

    nil
  end

  def attributes(kvs)
    (kvs || []).to_h { |kv| [kv["key"], value(kv["value"] || {})] }
  end

  # Every metric of an ExportMetricsServiceRequest, by name.
  def metrics(request)
    request.fetch("resourceMetrics", []).flat_map { |rm| rm.fetch("scopeMetrics", []) }
           .flat_map { |sm| sm.fetch("metrics", []) }.to_h { |m| [m["name"], m] }
  end

  # The data points of a metric, by their attributes.
  def points(metric)
    kind = %w[sum gauge histogram].find { |k| metric.key?(k) }
    metric[kind].fetch("dataPoints", []).to_h { |p| [attributes(p["attributes"]), p] }
  end

  def number(point)
    return Integer(point["asInt"]) if point.key?("asInt")

    Float(point["asDouble"]) if point.key?("asDouble")
  end

  # (scope name, record) of every record in a file of the file log exporter.
  def log_records(path)
    File.readlines(path).flat_map do |line|
      JSON.parse(line).fetch("resourceLogs", []).flat_map do |rl|
        rl.fetch("scopeLogs", []).flat_map do |sl|
          sl.fetch("logRecords", []).map { |r| [sl.dig("scope", "name"), r] }
        end
      end
    end
  end

  def body(record)
    value(record["body"] || {})
  end
end
