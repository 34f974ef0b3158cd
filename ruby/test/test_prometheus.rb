# frozen_string_literal: true

require_relative "test_helper"
require "socket"

# The Prometheus pull endpoint from Ruby: configured with keywords, scraped over HTTP.
class TestPrometheus < Minitest::Test
  include OtelrsTest

  def test_a_scrape_shows_what_ruby_recorded
    port = free_port
    out = ok(<<~RUBY)
      require "net/http"
      Otelrs.configure(metrics_exporter: "prometheus", exporter_prometheus_port: #{port}, service_name: "rb-prom")
      meter = Otelrs.meter("shop", version: "3.0")
      meter.counter("shop.orders", description: "Orders", value_type: Integer).add(4, region: :eu)
      meter.gauge("queue.depth", unit: "{item}", description: "Depth").set(7, queue: "a")
      text = Net::HTTP.get(URI("http://127.0.0.1:#{port}/metrics"))
      puts text.lines.grep(/^(shop_orders_total|queue_depth|target_info)/)
    RUBY
    lines = out.lines.map(&:chomp)
    assert_includes lines, 'queue_depth{queue="a",otel_scope_name="shop",otel_scope_version="3.0"} 7.0'
    assert_includes lines, 'shop_orders_total{region="eu",otel_scope_name="shop",otel_scope_version="3.0"} 4'
    assert(lines.any? { |l| l.start_with?("target_info{") && l.include?('service_name="rb-prom"') && l.include?('telemetry_sdk_language="ruby"') })
  end

  def test_a_port_in_use_is_a_config_error
    taken = TCPServer.new("127.0.0.1", 0)
    port = taken.addr[1]
    out = ok(<<~RUBY)
      begin
        Otelrs.configure(metrics_exporter: "prometheus", exporter_prometheus_host: "127.0.0.1", exporter_prometheus_port: #{port})
        Otelrs.meter("x")
      rescue Otelrs::ConfigError => e
        puts e.message
      end
    RUBY
    assert_includes out, "OTEL_EXPORTER_PROMETHEUS_HOST/PORT 127.0.0.1:#{port}: cannot listen there"
  ensure
    taken&.close
  end
end
