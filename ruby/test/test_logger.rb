# frozen_string_literal: true

require_relative "test_helper"

# Otelrs::Logger as a ::Logger, attributes, exceptions, trace context, and wrapping an
# existing ::Logger; read back from the JSON-lines file exporter.
class TestLogger < Minitest::Test
  include OtelrsTest

  def logged(code, **settings)
    logged_and_printed(code, **settings).first
  end

  # The records `code` logged, and what it printed.
  def logged_and_printed(code, **settings)
    Dir.mktmpdir do |dir|
      path = File.join(dir, "logs.jsonl")
      out = ok("#{code}\nOtelrs.shutdown", env(OTEL_METRICS_EXPORTER: "none", OTEL_LOGS_EXPORTER: "file",
                                                OTELRS_EXPORTER_FILE_LOGS_PATH: path, **settings))
      [File.exist?(path) ? log_records(path) : [], out]
    end
  end

  def by_body(records)
    records.to_h { |_, r| [body(r), r] }
  end

  def test_levels_progname_blocks_attributes_and_exceptions
    records = logged(<<~RUBY)
      logger = Otelrs::Logger.new("shop", version: "2.0", progname: "checkout")
      logger.debug("d")
      logger.info("i", order_id: 42, paid: true, tags: %w[a b])
      logger.warn { "lazy w" }
      logger.error("e")
      logger.fatal("f")
      logger.unknown("u")
      logger.add(Logger::INFO, "via add")
      logger.info("prog") { "block wins" }
      logger.level = Logger::WARN
      logger.info("below the level")
      begin
        raise KeyError, "missing"
      rescue KeyError => e
        logger.error(e)
      end
    RUBY
    assert_equal ["shop"], records.map(&:first).uniq
    got = by_body(records)
    assert_equal({ "d" => 5, "i" => 9, "lazy w" => 13, "e" => 17, "f" => 21, "u" => 21, "via add" => 9 },
                 got.slice("d", "i", "lazy w", "e", "f", "u", "via add").transform_values { |r| r["severityNumber"] })
    assert_equal({ "order_id" => 42, "paid" => true, "tags" => %w[a b] }, attributes(got["i"]["attributes"]))
    assert got.key?("block wins")
    refute got.key?("below the level")
    failed = attributes(got.fetch("missing (KeyError)")["attributes"])
    assert_equal ["KeyError", "missing"], [failed["exception.type"], failed["exception.message"]]
    assert_includes failed["exception.stacktrace"], "-e:"
  end

  def test_every_attribute_type_and_bad_attributes
    records, out = logged_and_printed(<<~'RUBY', OTELRS_STRICT: "true")
      logger = Otelrs::Logger.new("types")
      logger.info("all", s: "välue", sym: :y, "str key" => 1, b: false, i: -2**63, d: -0.5, ss: ["a", :b, ""],
                         bs: [true, false], is: [1, 2**63 - 1], ds: [1.5], empty: [])
      logger.info("converted", obj: Object.new, h: { a: 1 }, gone: nil, mixed: [1, "mixed"], n: 1)
      logger << "GET /health 200\n"
      [
        -> { logger.info("x", k: 2**63) },
        -> { logger.info("x", k: "a\0b") },
        -> { logger.info("x", "a\0" => 1) },
        -> { logger.info("x", k: "\xff".b) },
        -> { logger.info("x", "" => 1) },
      ].each do |f|
        f.call
        puts "no error"
      rescue StandardError => e
        puts "#{e.class}: #{e.message}"
      end
      puts Otelrs.log_stats[:refused]
    RUBY
    assert_equal ["all", "converted", "GET /health 200"], records.map { |_, r| body(r) }
    assert_equal({ "s" => "välue", "sym" => "y", "str key" => 1, "b" => false, "i" => -2**63, "d" => -0.5,
                   "ss" => ["a", "b", ""], "bs" => [true, false], "is" => [1, 2**63 - 1], "ds" => [1.5], "empty" => [] },
                 attributes(records.first.last["attributes"]))
    # Values of other types are logged as their to_s, nil is left out: a log call does not
    # raise because of them.
    converted = attributes(records[1].last["attributes"])
    assert_match(/\A#<Object:0x\h+>\z/, converted.delete("obj"))
    assert_equal({ "h" => { a: 1 }.to_s, "mixed" => '[1, "mixed"]', "n" => 1 }, converted)
    # `<<` logs the line as it is, at the UNKNOWN level, as ::Logger does.
    assert_equal 21, records[2].last["severityNumber"]
    assert_equal [
      "RangeError: attribute k: 9223372036854775808 does not fit in 64 bits",
      'ArgumentError: attribute k contains a NUL byte: "a\u0000b"',
      'ArgumentError: attribute key contains a NUL byte: "a\u0000"',
      "Otelrs::InvalidArgumentError: otelrs_log_packed: attribute 0: the string value is not valid UTF-8",
      "Otelrs::InvalidArgumentError: otelrs_log_packed: attribute 0 has an empty key",
      "5",
    ], out.lines.map { |l| l.chomp.sub(/ \(#<Object:.*/, "").sub(/ \(bad byte.*/, "") }
  end

  def test_json_lines_on_standard_output_for_container_platforms
    settings = env(OTEL_SERVICE_NAME: "web", OTEL_METRICS_EXPORTER: "none", OTEL_LOGS_EXPORTER: "console",
                   OTELRS_EXPORTER_CONSOLE_LOGS_FORMAT: "json")
    out = ok(<<~RUBY, settings)
      logger = Otelrs::Logger.new("app.http")
      logger.warn("slow request", "http.route": "/users", duration: 1.5)
      begin
        raise ArgumentError, "bad id"
      rescue ArgumentError => e
        logger.error(e)
      end
      Otelrs.shutdown
    RUBY
    records = out.lines.map { |line| JSON.parse(line) } # every line is one record's object
    assert_equal [["slow request", 13, "WARN"], ["bad id (ArgumentError)", 17, "ERROR"]],
                 records.map { |r| [r["body"], r["severityNumber"], r["severityText"]] }
    slow, failed = records
    assert_equal({ "http.route" => "/users", "duration" => 1.5 }, slow["attributes"])
    assert_equal "app.http", slow.dig("scope", "name")
    assert_equal "web", slow.dig("resource", "service.name")
    assert_equal "ArgumentError", failed.dig("attributes", "exception.type")
  end

  def test_health_rules_and_the_health_callback
    out = ok(<<~RUBY, env(OTEL_METRICS_EXPORTER: "none", OTEL_LOGS_EXPORTER: "discard"))
      told = Queue.new
      Otelrs.configure(health_rules: "error_logs_per_minute>1", health_interval: 50,
                       on_health_change: ->(status, report) { told << [status, report["rules"][0]] })
      logger = Otelrs::Logger.new("app")
      logger.error("a")
      logger.fatal("b")
      puts JSON.generate([told.pop, Otelrs.health["status"]])
      Otelrs.shutdown
      begin
        Otelrs.configure(on_health_change: 3)
      rescue ArgumentError => e
        puts e.message
      end
    RUBY
    first, bad = out.lines
    assert_equal [["degraded", { "rule" => "error_logs_per_minute>1", "value" => 2.0, "status" => "degraded" }], "degraded"],
                 JSON.parse(first)
    assert_equal "on_health_change: give a callable (status, report)", bad.strip
  end

  def test_a_configuration_file_from_configure
    Dir.mktmpdir do |dir|
      path = File.join(dir, "otel.yaml")
      File.write(path, <<~YAML)
        file_format: "1.0"
        resource:
          attributes:
            - name: service.name
              value: ${SERVICE}
        logger_provider:
          processors:
            - batch:
                exporter:
                  console:
        otelrs:
          exporter_console_logs_format: json
      YAML
      bad = File.join(dir, "bad.yaml")
      File.write(bad, "file_format: \"1.0\"\nmeter_provider:\n  views: {}\n")
      out = ok(<<~RUBY, env(SERVICE: "rb-shop", OTEL_LOGS_EXPORTER: "otlp"))
        Otelrs.configure(config_file: #{path.inspect})
        Otelrs::Logger.new("app").warn("kept")
        Otelrs.shutdown
        begin
          Otelrs.configure(config_file: #{bad.inspect})
        rescue Otelrs::ConfigError => e
          puts e.message
        end
      RUBY
      record, error = out.lines
      record = JSON.parse(record)
      assert_equal %w[kept rb-shop], [record["body"], record.dig("resource", "service.name")]
      assert error.strip.end_with?("bad.yaml: meter_provider.views: expected a list"), error
    end
  end

  def test_the_formatter_is_honoured
    records = logged(<<~RUBY)
      logger = Otelrs::Logger.new("fmt", progname: "app")
      logger.formatter = proc { |severity, _time, progname, msg| "[\#{severity}] \#{progname}: \#{msg}" }
      logger.warn("kept")
    RUBY
    assert_equal ["[WARN] app: kept"], records.map { |_, r| body(r) }
  end

  def test_trace_context_from_a_traceparent
    records = logged(<<~RUBY)
      logger = Otelrs::Logger.new("svc")
      tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
      logger.info("explicit", traceparent: tp)
      Otelrs.with_traceparent(tp) { logger.info("scoped") }
      logger.info("after")
      begin
        logger.info("never", traceparent: "00-xyz")
      rescue Otelrs::InvalidArgumentError => e
        puts e.message
      end
    RUBY
    got = by_body(records)
    %w[explicit scoped].each do |b|
      assert_equal %w[4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7], [got[b]["traceId"], got[b]["spanId"]]
    end
    assert_equal "", got["after"]["traceId"].to_s
    refute got.key?("never")
  end

  def test_wrapping_an_existing_logger_sends_its_records_to_otelrs
    records = logged(<<~RUBY)
      require "stringio"
      io = StringIO.new
      app = Logger.new(io, progname: "legacy")
      app.level = Logger::INFO
      Otelrs::Logger.wrap(app, "legacy-app")
      app.debug("below the level")
      app.info("hello from the app")
      app.warn { "lazy" }
      raise "the app's own output changed" unless io.string.include?("hello from the app") && io.string.include?("lazy")
    RUBY
    assert_equal [["legacy-app", "hello from the app", 9], ["legacy-app", "lazy", 13]],
                 records.map { |scope, r| [scope, body(r), r["severityNumber"]] }
  end
end
