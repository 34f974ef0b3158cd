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

  def test_the_apps_own_rack_server_answers_as_the_endpoint_does
    port = free_port
    out = ok(<<~RUBY)
      require "zlib"
      require "stringio"
      require "socket"
      Otelrs.configure(metrics_exporter: "prometheus", exporter_prometheus_port: #{port}, prometheus_listen: false)
      Otelrs.meter("shop").counter("shop.orders", value_type: Integer).add(3, region: "eu")
      TCPServer.new("127.0.0.1", #{port}).close
      puts "no port taken"
      app = Otelrs::RackExporter.new(->(_env) { [200, {}, ["the app"]] })
      orders = ->(text) { text.lines.grep(/^shop_orders_total/).map(&:chomp) }
      status, headers, body = app.call("REQUEST_METHOD" => "GET", "PATH_INFO" => "/metrics")
      p [status, headers["content-type"], headers["content-length"] == body.join.bytesize.to_s, orders.(body.join)]
      status, headers, body = app.call("REQUEST_METHOD" => "GET", "PATH_INFO" => "/metrics",
                                       "HTTP_ACCEPT" => "application/openmetrics-text;version=1.0.0",
                                       "HTTP_ACCEPT_ENCODING" => "gzip")
      text = Zlib::GzipReader.new(StringIO.new(body.join)).read
      p [headers["content-type"], headers["content-encoding"], text.end_with?("# EOF\n"), orders.(text)]
      p app.call("REQUEST_METHOD" => "GET", "PATH_INFO" => "/other")
      p app.call("REQUEST_METHOD" => "HEAD", "PATH_INFO" => "/metrics")[2]
      p app.call("REQUEST_METHOD" => "POST", "PATH_INFO" => "/metrics")[0]
      whole = Otelrs::RackExporter.new(compression: false)
      p whole.call("REQUEST_METHOD" => "GET", "PATH_INFO" => "", "HTTP_ACCEPT_ENCODING" => "gzip")[1]["content-encoding"]
      e = Otelrs.prometheus_exposition
      p [e.class, e.content_encoding, orders.(e.body)]
    RUBY
    assert_equal [
      "no port taken",
      '[200, "text/plain; version=0.0.4; charset=utf-8", true, ["shop_orders_total{region=\\"eu\\",otel_scope_name=\\"shop\\"} 3"]]',
      '["application/openmetrics-text; version=1.0.0; charset=utf-8", "gzip", true, ["shop_orders_total{region=\\"eu\\",otel_scope_name=\\"shop\\"} 3"]]',
      '[200, {}, ["the app"]]',
      "[]",
      "405",
      "nil",
      '[Otelrs::Exposition, nil, ["shop_orders_total{region=\\"eu\\",otel_scope_name=\\"shop\\"} 3"]]'
    ], out.lines.map(&:chomp)
  end

  def test_the_apps_own_rack_server_without_the_prometheus_exporter
    out, err, status = run_ruby(<<~RUBY, env)
      Otelrs.configure(metrics_exporter: "none")
      begin
        Otelrs::RackExporter.new
      rescue Otelrs::ConfigError => e
        puts "ConfigError: \#{e.message}"
      end
    RUBY
    assert status.success?, err
    assert_equal "ConfigError: otelrs_sdk_check_prometheus_exposition: the Prometheus exposition needs the Prometheus " \
                 "exporter: add prometheus to OTEL_METRICS_EXPORTER (with OTELRS_PROMETHEUS_LISTEN=false when the " \
                 "app's own server is to serve it alone)\n", out
  end
end
