# frozen_string_literal: true

require_relative "test_helper"
require "fileutils"

# Bad input from Ruby: C statuses become Otelrs::Error subclasses with libotelrs's message;
# wrong Ruby types raise TypeError / ArgumentError naming the value; what was recorded stays.
class TestErrors < Minitest::Test
  include OtelrsTest

  # With OTELRS_STRICT, as in tests: recording calls raise too.
  def test_statuses_and_wrong_types_name_what_was_wrong
    out = ok(<<~RUBY, env(OTEL_METRICS_EXPORTER: "memory", OTEL_LOGS_EXPORTER: "none", OTELRS_STRICT: "true"))
      meter = Otelrs.meter("rb.errors")
      c = meter.counter("rb.c")
      c.add(1, k: "v")
      ints = meter.counter("rb.ints", value_type: Integer)
      [
        -> { c.add("1") },
        -> { c.add(-1) },
        -> { c.add(1, k: Object.new) },
        -> { c.add(1, 3 => "v") },
        -> { c.add(1, k: [1, "mixed"]) },
        -> { c.add(1, "k") },
        -> { c.add(1, []) },
        -> { c.add(1, k: 2**70) },
        -> { c.add(1, k: "a\\0b") },
        -> { c.add(1, k: "\\xff".b) },
        -> { c.add(Float::NAN) },
        -> { ints.add(1.5) },
        -> { ints.add(-1) },
        -> { ints.bind.add(2**64) },
        -> { meter.counter("9bad") },
        -> { meter.counter("rb.c", value_type: String) },
        -> { meter.up_down_counter("rb.c") },
        -> { meter.observable_gauge("rb.g") },
        -> { Otelrs.meter("") },
      ].each do |f|
        f.call
        puts "no error"
      rescue StandardError => e
        puts "\#{e.class}: \#{e.message}"
      end
      puts Otelrs.collect_json
    RUBY
    *messages, collected = out.lines.map(&:chomp)
    expected = [
      'TypeError: instrument "rb.c" records numbers, got String ("1")',
      'Otelrs::InvalidArgumentError: otelrs_counter_f64_add: instrument "rb.c": a counter takes no negative value, got -1',
      "TypeError: attribute k: values must be String, Symbol, Integer, Float, true, false or an Array of one of them, got Object",
      "TypeError: attribute keys must be Symbols or Strings, got Integer (3)",
      "TypeError: attribute k: the items of an Array must all have one type",
      'TypeError: attributes must be a Hash, got String ("k")',
      "TypeError: attributes must be a Hash, got Array ([])",
      "RangeError: attribute k: 1180591620717411303424 does not fit in 64 bits",
      'ArgumentError: attribute k contains a NUL byte: "a\\u0000b"',
      "Otelrs::InvalidArgumentError: otelrs_attributes_new: attribute 0: the string value is not valid UTF-8",
      'Otelrs::InvalidArgumentError: otelrs_counter_f64_add: instrument "rb.c": NaN is not a finite number',
      'TypeError: instrument "rb.ints" records Integers (value_type: Integer), got the Float 1.5',
      'RangeError: instrument "rb.ints": -1 is out of the range of a non-negative 64-bit integer',
      'RangeError: instrument "rb.ints": 18446744073709551616 is out of the range of a non-negative 64-bit integer',
      "Otelrs::InvalidArgumentError: otelrs_counter_f64_new: invalid instrument name",
      "ArgumentError: value_type must be Integer or Float, got String",
      "Otelrs::ConflictError: otelrs_up_down_counter_f64_new:",
      'ArgumentError: observable instrument "rb.g" needs a block',
      "Otelrs::InvalidArgumentError: otelrs_meter_new: a meter or logger needs a non-empty scope name",
    ]
    assert_equal expected.size, messages.size, messages.join("\n")
    expected.zip(messages).each { |e, m| assert m.start_with?(e), "#{m.inspect} does not start with #{e.inspect}" }
    assert_equal 1.0, number(points(metrics(JSON.parse(collected)).fetch("rb.c")).fetch({ "k" => "v" }))
  end

  def test_recording_errors_are_dropped_counted_and_reported_once_by_default
    out, err, status = run_ruby(<<~RUBY, env(OTEL_METRICS_EXPORTER: "memory", OTEL_LOGS_EXPORTER: "none"))
      c = Otelrs.meter("m").counter("rb.c")
      c.add(-1)
      c.add("x")
      c.add(1, k: 2**70)
      c.bind(k: "v").add(-2)
      c.add(2, k: "v")
      Otelrs.meter("m").histogram("rb.h").record(Float::NAN)
      puts Otelrs.health["refused_measurements"]
      puts Otelrs.collect_json
    RUBY
    assert status.success?, err
    refused, collected = out.lines
    assert_equal 5, refused.to_i
    warnings = err.lines.grep(/was dropped/)
    # Once per instrument, naming it and the first error.
    assert_equal 2, warnings.size, err
    assert_includes warnings[0], 'instrument "rb.c" was dropped: Otelrs::InvalidArgumentError'
    assert_includes warnings[1], 'instrument "rb.h"'
    assert_equal({ { "k" => "v" } => 2.0 },
                 points(metrics(JSON.parse(collected)).fetch("rb.c")).transform_values { |p| number(p) })
  end

  BAD_LOG_CALLS = <<~RUBY
    logger.info("bad traceparent", traceparent: "nonsense")
    logger.info("invalid UTF-8 \\xff".b)
    logger.info("a NUL \\0 in the body")
    logger.info("too big", k: 2**64)
  RUBY

  def test_a_bad_log_call_is_dropped_counted_and_reported_once_by_default
    Dir.mktmpdir do |dir|
      path = File.join(dir, "logs.jsonl")
      environ = env(OTEL_METRICS_EXPORTER: "none", OTEL_LOGS_EXPORTER: "file", OTELRS_EXPORTER_FILE_LOGS_PATH: path)
      out, err, status = run_ruby(<<~RUBY, environ)
        logger = Otelrs::Logger.new("rb.bad")
        logger.info("first")
        #{BAD_LOG_CALLS}
        logger.info("last")
        Otelrs.flush
        s = Otelrs.log_stats
        puts [s[:refused], s[:emitted], s[:kept], Otelrs.health["logs"]["refused"]].join(" ")
      RUBY
      assert status.success?, err
      # Refused calls are neither emitted nor kept: kept == exported.
      assert_equal "4 2 2 4", out.strip
      assert_equal %w[first last], log_records(path).map { |_, r| body(r) }
      warnings = err.lines.grep(/was dropped/)
      assert_equal 1, warnings.size, err
      assert_includes warnings[0], "otelrs: a log record was dropped: Otelrs::InvalidArgumentError"
    end
  end

  def test_a_bad_log_call_raises_with_strict
    out = ok(<<~RUBY, env(OTEL_METRICS_EXPORTER: "none", OTEL_LOGS_EXPORTER: "console", OTELRS_STRICT: "true"))
      logger = Otelrs::Logger.new("rb.bad")
      #{BAD_LOG_CALLS.lines.map { |l| "begin; #{l.strip}; puts 'no error'; rescue => e; puts e.class; end\n" }.join}
      puts Otelrs.log_stats[:refused]
    RUBY
    assert_equal %w[Otelrs::InvalidArgumentError Otelrs::InvalidArgumentError ArgumentError RangeError 4], out.split
  end

  def test_otelrs_messages_go_to_warn_or_the_diagnostics_logger_at_otel_log_level
    code = <<~RUBY
      require "logger"
      require "stringio"
      io = StringIO.new
      Otelrs.diagnostics_logger = Logger.new(io, formatter: ->(sev, _, _, msg) { "\#{sev}|\#{msg}\n" })
      Otelrs.configure(metrics_exporter: "otlp", logs_exporter: "none", exporter_otlp_endpoint: "http://127.0.0.1:9")
      Otelrs.meter("m").counter("c").add(-1)
      begin
        Otelrs.shutdown(timeout: 5)
      rescue Otelrs::ExportError
        nil
      end
      print io.string
    RUBY
    # (The test's own OTELRS_TEST_* variables are named too.) The core's messages come from
    # its diagnostics thread, the binding's own at once: the order is not fixed.
    lines = ok(code, env(OTEL_MISSPELT_KEY: "1")).lines.map(&:chomp).grep_v(/OTELRS_TEST_/)
    assert_equal %w[WARN WARN WARN], lines.map { |l| l.split("|").first }, lines.join("\n")
    texts = lines.map { |l| l.split("|", 2).last }
    assert texts.any? { |t| t.start_with?("otelrs: OTEL_MISSPELT_KEY is not a setting otelrs knows") }, texts
    assert texts.any? { |t| t.start_with?('otelrs: a measurement of instrument "c" was dropped') }, texts
    assert texts.any? { |t| t.start_with?("otelrs: otlp exporter: ") && t.include?("Connection refused") }, texts
    # OTEL_LOG_LEVEL=error keeps only errors: none of these.
    assert_equal "", ok(code, env(OTEL_MISSPELT_KEY: "1", OTEL_LOG_LEVEL: "error"))
    # Without a logger: `warn`.
    _, err, = run_ruby("Otelrs.configure(metrics_exporter: 'none', logs_exporter: 'none')", env(OTEL_MISSPELT_KEY: "1"))
    assert_includes err, "otelrs: OTEL_MISSPELT_KEY is not a setting otelrs knows"
    _, err, status = run_ruby("Otelrs.configure(log_level: 'loud')", env)
    refute status.success?
    assert_includes err, "expected none, error, warn, info or debug"
  end

  def test_settings_errors_raise_config_error_naming_the_key
    out = ok(<<~RUBY, env)
      [{ no_such_setting: 1 }, { metric_export_interval: "soon" }, { "OTEL_NOPE" => "1" }].each do |settings|
        Otelrs.configure(settings)
      rescue Otelrs::ConfigError => e
        puts "ConfigError: \#{e.message}"
      end
      Otelrs.configure(service_name: "a", metrics_exporter: "memory", logs_exporter: "none")
      begin
        Otelrs.configure(service_name: "again")
      rescue Otelrs::ConfigError => e
        puts "ConfigError: \#{e.message}"
      end
    RUBY
    lines = out.lines
    assert_includes lines[0], "no_such_setting"
    assert_includes lines[1], "OTEL_METRIC_EXPORT_INTERVAL"
    assert_includes lines[1], "soon"
    assert_includes lines[2], '"OTEL_NOPE"'
    assert_includes lines[3], "already configured"
    assert_equal 4, lines.size
  end

  def test_settings_from_code_override_the_environment
    out = ok(<<~RUBY, env(OTEL_SERVICE_NAME: "from-env", OTEL_METRICS_EXPORTER: "console"))
      Otelrs.configure(service_name: "from-code", metrics_exporter: "memory", logs_exporter: "none",
                       resource_attributes: { "deployment.environment.name" => "a,b=c" })
      require "json"
      Otelrs.meter("m").counter("x").add(1)
      attrs = JSON.parse(Otelrs.collect_json)["resourceMetrics"][0]["resource"]["attributes"]
      attrs.each { |kv| puts "\#{kv["key"]}=\#{kv["value"]["stringValue"]}" }
    RUBY
    assert_includes out, "service.name=from-code\n"
    assert_includes out, "telemetry.sdk.language=ruby\n"
    assert_includes out, "deployment.environment.name=a,b=c\n"
  end

  def test_after_shutdown_calls_raise_shutdown_error
    out = ok(<<~RUBY, env(OTEL_METRICS_EXPORTER: "memory", OTEL_LOGS_EXPORTER: "console", OTELRS_STRICT: "true"))
      c = Otelrs.meter("m").counter("x")
      logger = Otelrs::Logger.new("l")
      Otelrs.shutdown
      [-> { c.add(1) }, -> { logger.info("late") }, -> { Otelrs.shutdown }].each do |f|
        f.call
      rescue Otelrs::ShutdownError => e
        puts "ShutdownError: \#{e.message}"
      end
    RUBY
    assert_equal 3, out.lines.count { |l| l.start_with?("ShutdownError:") }
  end

  def test_a_missing_library_is_a_clear_load_error
    Dir.mktmpdir do |dir|
      # The gem's files without a vendored copy of the library.
      FileUtils.cp_r(File.join(LIB, "."), dir)
      FileUtils.rm_rf(File.join(dir, "otelrs", "vendor"))
      environ = env.merge("OTELRS_LIB" => "/nonexistent/libotelrs.so")
      _, err, status = Open3.capture3(environ, RbConfig.ruby, "-I", dir, "-e", 'require "otelrs"',
                                      unsetenv_others: true)
      refute status.success?
      assert_includes err, "otelrs: cannot load libotelrs (tried /nonexistent/libotelrs.so, otelrs)"
      assert_includes err, "set OTELRS_LIB"
    end
  end
end
