# frozen_string_literal: true

require_relative "test_helper"

# Exporters written in Ruby (Otelrs.configure(log_exporters:, metric_exporters:)): every batch
# handed to a block as OTLP JSON or protobuf on an otelrs thread, its answers counted in the
# health report, bad registrations refused.
class TestExporters < Minitest::Test
  include OtelrsTest

  def test_ruby_blocks_get_every_batch_and_their_answers_count
    out = ok(<<~RUBY, env(OTEL_METRICS_EXPORTER: "none", OTEL_LOGS_EXPORTER: "none"))
      logs = []
      sizes = []
      calls = 0
      Otelrs.configure(
        log_exporters: [Otelrs::Exporter.new("keep") { |b| logs << [Thread.current == Thread.main, JSON.parse(b)]; nil },
                        Otelrs::Exporter.new("flaky", format: :protobuf) { |_| (calls += 1) == 1 ? :retry : true },
                        Otelrs::Exporter.new("raises") { |_| raise "webhook down" }],
        metric_exporters: { "sizes" => ->(b) { sizes << b.bytesize; true } }
      )
      Otelrs.meter("shop").counter("shop.orders").add(3)
      Otelrs::Logger.new("shop").info("order placed", order_id: "A-17")
      begin
        Otelrs.flush
      rescue Otelrs::ExportError => e
        puts "flush: \#{e.message}"
      end
      puts JSON.generate(on_main: logs[0][0], batch: logs[0][1], sizes: sizes, calls: calls,
                         health: Otelrs.health["exporters"])
      Otelrs.shutdown
    RUBY
    flush, report = out.lines
    assert_includes flush, 'custom "raises" exporter: raises failed'
    report = JSON.parse(report)
    refute report["on_main"], "called on otelrs's thread"
    record = report.dig("batch", "resourceLogs", 0, "scopeLogs", 0, "logRecords", 0)
    assert_equal "order placed", body(record)
    assert report["sizes"].first.positive?
    by_name = report["health"].to_h { |e| [e["exporter"], e] }
    assert_equal %w[flaky keep raises sizes], by_name.keys.sort
    assert_equal [1, 1, 2], [by_name["flaky"]["retries"], by_name["flaky"]["exported"], report["calls"]]
    assert_equal 1, by_name["raises"]["failed"]
    assert_equal "custom_metric_exporter/0", by_name["sizes"]["component"]
  end

  def test_the_file_exporter_example_writes_every_record
    Dir.mktmpdir do |dir|
      path = File.join(dir, "batches.jsonl")
      example = File.expand_path("../../examples/ruby/file_exporter.rb", __dir__)
      out, err, status = Open3.capture3(env, RbConfig.ruby, "-I", LIB, example, path, unsetenv_others: true)
      assert status.success?, err
      assert_includes out.delete(" "), '"exporter"=>"jsonl","status"=>"ok","exported"=>2'
      records = File.readlines(path).flat_map do |line|
        JSON.parse(line)["resourceLogs"].flat_map { |rl| rl["scopeLogs"].flat_map { |sl| sl["logRecords"] } }
      end
      assert_equal ["order placed", "payment slow"], records.map { |r| body(r) }
    end
  end

  def test_an_exception_is_reported_and_bad_exporters_are_refused
    _, err, = run_ruby(<<~RUBY, env(OTEL_METRICS_EXPORTER: "none", OTEL_LOGS_EXPORTER: "none"))
      Otelrs.configure(log_exporters: { "raises" => ->(_) { raise ArgumentError, "webhook down" } })
      Otelrs::Logger.new("shop").info("x")
      Otelrs.shutdown
    RUBY
    assert_includes err, 'custom exporter "raises" raised ArgumentError: webhook down'
    [['log_exporters: { "bad name" => ->(_) {} }', "invalid custom exporter name"],
     ["log_exporters: [->(_) {}]", "an exporter in an Array is an Otelrs::Exporter"],
     ["metric_exporters: 3", "exporters: an Array of Otelrs::Exporter or a Hash"],
     ['metric_exporters: [Otelrs::Exporter.new("x", format: :xml) {}]', "format is :json or :protobuf"]].each do |given, message|
      _, err, status = run_ruby("Otelrs.configure(#{given})")
      refute status.success?, given
      assert_includes err, message, given
    end
  end
end
