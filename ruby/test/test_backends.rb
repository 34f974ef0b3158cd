# frozen_string_literal: true

require_relative "test_helper"
require "net/http"
require "securerandom"
require "uri"

# Otelrs::Logger records sent to Loki's push API and Elasticsearch's bulk API, and logs and
# metrics inserted into ClickHouse, with the settings given in code; received by VictoriaLogs
# (which takes both pushes) and ClickHouse's HTTP interface over chDB (tests/run-all.sh starts
# them), and queried back.
class TestBackends < Minitest::Test
  include OtelrsTest

  def victorialogs
    ENV.fetch("OTELRS_TEST_VICTORIALOGS_URL") { flunk "VictoriaLogs is not running: run the tests with tests/run-all.sh" }
  end

  # The records LogsQL `logsql` finds, once there are `count` of them (or after 20 s).
  def wait_for(logsql, count)
    deadline = Time.now + 20
    loop do
      answer = Net::HTTP.post_form(URI("#{victorialogs}/select/logsql/query"), "query" => logsql)
      found = answer.body.lines.map { |line| JSON.parse(line) }
      return found if found.size >= count || Time.now > deadline

      sleep 0.1
    end
  end

  def test_records_reach_loki_with_the_settings_given_in_code
    %w[protobuf json].each do |protocol|
      service = "ruby-loki-#{protocol}-#{SecureRandom.hex(4)}"
      ok(<<~RUBY)
        Otelrs.configure(service_name: "#{service}", metrics_exporter: "none", logs_exporter: "loki",
                         exporter_loki_endpoint: "#{victorialogs}/insert/loki/api/v1/push",
                         exporter_loki_protocol: "#{protocol}")
        logger = Otelrs::Logger.new("shop", version: "2.0")
        logger.info("order placed", order_id: 42, paid: true,
                    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        logger.error("payment refused")
        Otelrs.shutdown
      RUBY
      records = wait_for(%(service_name:"#{service}"), 2).to_h { |r| [r["_msg"], r] }
      assert_equal ["order placed", "payment refused"], records.keys.sort
      placed = records["order placed"]
      assert_equal %({level="info",service_name="#{service}"}), placed["_stream"]
      assert_equal %w[42 true 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 shop ruby],
                   placed.values_at("order_id", "paid", "trace_id", "span_id", "scope_name", "telemetry_sdk_language")
      assert_equal "error", records["payment refused"]["level"]
    end
  end

  def test_records_reach_elasticsearch_with_the_settings_given_in_code
    service = "ruby-es-#{SecureRandom.hex(4)}"
    ok(<<~RUBY)
      Otelrs.configure(service_name: "#{service}", metrics_exporter: "none", logs_exporter: "elasticsearch",
                       exporter_elasticsearch_endpoint: "#{victorialogs}/insert/elasticsearch",
                       exporter_elasticsearch_namespace: "ruby",
                       exporter_elasticsearch_headers: "VL-Msg-Field=body.text,VL-Time-Field=@timestamp")
      Otelrs::Logger.new("shop").warn("stock low", sku: "A-1")
      Otelrs.shutdown
    RUBY
    doc = wait_for(%(resource.attributes.service.name:"#{service}"), 1).first
    assert_equal ["stock low", "WARN", "A-1", "logs", "generic.otel", "ruby", "shop"],
                 doc.values_at("_msg", "severity_text", "attributes.sku", "data_stream.type",
                               "data_stream.dataset", "data_stream.namespace", "scope.name")
  end

  def test_logs_and_metrics_reach_clickhouse_with_the_settings_given_in_code
    clickhouse = ENV.fetch("OTELRS_TEST_CLICKHOUSE_URL") { flunk "ClickHouse is not running: run the tests with tests/run-all.sh" }
    service = "ruby-ch-#{SecureRandom.hex(4)}"
    ok(<<~RUBY)
      Otelrs.configure(service_name: "#{service}", metrics_exporter: "clickhouse", logs_exporter: "clickhouse",
                       exporter_clickhouse_endpoint: "#{clickhouse}", exporter_clickhouse_compression: "gzip")
      Otelrs::Logger.new("shop").error("payment refused", order_id: 42)
      Otelrs.meter("shop").counter("shop.orders", value_type: Integer).add(3, region: "eu")
      Otelrs.shutdown
    RUBY
    sql = lambda do |query|
      Net::HTTP.post(URI(clickhouse), "#{query} FORMAT JSONEachRow", "Content-Type" => "text/plain").body.lines
               .map { |l| JSON.parse(l) }
    end
    log = sql.call("SELECT Body, SeverityText, LogAttributes, ScopeName FROM otel.otel_logs WHERE ServiceName = '#{service}'")
    assert_equal [{ "Body" => "payment refused", "SeverityText" => "ERROR", "LogAttributes" => { "order_id" => "42" },
                    "ScopeName" => "shop" }], log
    sums = sql.call("SELECT Value, Attributes FROM otel.otel_metrics_sum WHERE ServiceName = '#{service}' " \
                    "AND MetricName = 'shop.orders'")
    refute_empty sums
    assert(sums.all? { |row| row == { "Value" => 3, "Attributes" => { "region" => "eu" } } }, sums.inspect)
  end

  def test_a_bad_setting_is_an_error_naming_it
    _, err, status = run_ruby('Otelrs.configure(logs_exporter: "loki", exporter_loki_protocol: "grpc")')
    refute status.success?
    assert_includes err, "OTELRS_EXPORTER_LOKI_PROTOCOL"
  end
end
