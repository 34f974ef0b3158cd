# frozen_string_literal: true

require_relative "test_helper"
require "socket"

# Threads, fork (fork { } and Process.fork), exit with an endpoint that does not answer,
# and end to end through the real Collector (started by tests/run-all.sh).
class TestBehaviour < Minitest::Test
  include OtelrsTest

  def test_threads_record_concurrently_without_losing_a_count
    out = ok(<<~RUBY, env(OTEL_METRICS_EXPORTER: "memory", OTEL_LOGS_EXPORTER: "none"))
      c = Otelrs.meter("threads").counter("rb.threads", value_type: Integer)
      bound = c.bind(via: "bound")
      8.times.map { Thread.new { 5000.times { |i| c.add(1, via: "hash", mod: i % 4); bound.add(1) } } }.each(&:join)
      puts Otelrs.collect_json
    RUBY
    got = points(metrics(JSON.parse(out)).fetch("rb.threads"))
    assert_equal 40_000, number(got.fetch({ "via" => "bound" }))
    assert_equal 40_000, got.select { |k, _| k["via"] == "hash" }.values.sum { |p| number(p) }
  end

  FORK = <<~RUBY
    require "json"
    Otelrs.configure(metrics_exporter: "memory", logs_exporter: "none")
    c = Otelrs.meter("fork").counter("rb.fork", value_type: Integer)
    c.add(5, who: "parent")
    reader, writer = IO.pipe
    pid = %s do
      reader.close
      c.add(1, who: "child")
      c.add(1, who: "parent")
      writer.puts Otelrs.collect_json
      writer.close
    end
    writer.close
    child = reader.read
    Process.wait(pid)
    raise "child failed" unless $?.success?
    c.add(1, who: "parent")
    puts "CHILD \#{child}"
    puts "PARENT \#{Otelrs.collect_json}"
  RUBY

  def fork_results(out)
    out.lines.to_h do |line|
      who, json = line.split(" ", 2)
      [who, points(metrics(JSON.parse(json)).fetch("rb.fork")).transform_values { |p| number(p) }]
    end
  end

  %w[fork Process.fork].each do |how|
    define_method(:"test_#{how.tr('.', '_').downcase}_child_records_its_own_counts_and_the_parent_goes_on") do
      got = fork_results(ok(format(FORK, how), env, timeout: 60))
      assert_equal({ { "who" => "parent" } => 1, { "who" => "child" } => 1 }, got["CHILD"])
      assert_equal({ { "who" => "parent" } => 6 }, got["PARENT"])
    end
  end

  def test_observable_blocks_run_in_a_forked_child_from_the_otelrs_thread
    # The periodic collection calls the block from libotelrs's own thread, through the ffi
    # gem's callback dispatcher, which a forked child has to start anew.
    out = ok(<<~RUBY, env(OTEL_LOGS_EXPORTER: "none"), timeout: 60)
      Otelrs.configure(metrics_exporter: "console", metric_export_interval: 100)
      Otelrs.meter("fork").observable_gauge("rb.pid") { |obs| obs.observe(Process.pid) }
      sleep 0.3
      pid = fork do
        sleep 0.5
        Otelrs.shutdown(timeout: 5)
        $stdout.puts "child \#{Process.pid} done"
      end
      Process.wait(pid)
      raise "child failed" unless $?.success?
      puts "parent \#{Process.pid} done"
    RUBY
    child = out[/child (\d+) done/, 1]
    refute_nil child, out
    assert_match(/\{\} #{child}(\.0)?$/, out)
    assert_includes out, "parent "
  end

  def test_exit_does_not_hang_when_the_endpoint_does_not_answer
    silent = TCPServer.new("127.0.0.1", 0) # listening, never accepting: requests get no answer
    port = silent.addr[1]
    %w[http/protobuf grpc].each do |protocol|
      environ = env(OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:#{port}", OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
                    OTEL_EXPORTER_OTLP_TIMEOUT: "60000")
      out = ok(<<~RUBY, environ, timeout: 30)
        Otelrs.meter("exit").counter("rb.exit").add(1)
        Otelrs::Logger.new("exit").info("bye")
        puts "done"
      RUBY
      assert_equal "done\n", out
    end
  ensure
    silent&.close
  end

  def collector_requests(path)
    File.exist?(path) ? File.readlines(path).filter_map { |l| JSON.parse(l) rescue nil } : []
  end

  def of_service(requests, key, service)
    requests.flat_map { |r| r.fetch(key, []) }.select do |rs|
      attributes(rs.dig("resource", "attributes"))["service.name"] == service
    end
  end

  def wait_for(timeout = 30)
    deadline = Time.now + timeout
    loop do
      found = yield
      return found if found || Time.now > deadline

      sleep 0.1
    end
  end

  %w[grpc http/protobuf].each do |protocol|
    define_method(:"test_metrics_and_logs_reach_the_collector_over_#{protocol.tr('/', '_')}") do
      out_path = ENV.fetch("OTELRS_TEST_COLLECTOR_OUT") { flunk "the Collector is not running: use tests/run-all.sh" }
      port = ENV.fetch(protocol == "grpc" ? "OTELRS_TEST_GRPC_PORT" : "OTELRS_TEST_HTTP_PORT")
      service = "rb-#{protocol.tr('/', '-')}-#{rand(1 << 32).to_s(16)}"
      pid = ok(<<~RUBY, env, timeout: 60).to_i
        Otelrs.configure(service_name: #{service.inspect}, exporter_otlp_endpoint: "http://127.0.0.1:#{port}",
                         exporter_otlp_protocol: #{protocol.inspect})
        meter = Otelrs.meter("shop", version: "1.0")
        orders = meter.counter("shop.orders", unit: "{order}", value_type: Integer)
        orders.add(1, region: "eu", paid: true)
        orders.bind(region: "eu").add(2)
        meter.histogram("http.server.request.duration", unit: "s").record(0.25, "http.route" => "/users")
        meter.observable_gauge("queue.depth") { |obs| obs.observe(3, q: "a") }
        Otelrs::Logger.new("shop").warn("low stock", sku: "A-1",
                                         traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        Otelrs.shutdown
        puts Process.pid
      RUBY
      rm = wait_for { of_service(collector_requests(out_path), "resourceMetrics", service).first }
      refute_nil rm, "no metrics of #{service} reached the Collector"
      resource = attributes(rm.dig("resource", "attributes"))
      assert_equal [service, "ruby", pid], resource.values_at("service.name", "telemetry.sdk.language", "process.pid")
      got = rm["scopeMetrics"].flat_map { |sm| sm["metrics"].map { |m| [m["name"], [sm["scope"], m]] } }.to_h
      scope, orders = got.fetch("shop.orders")
      assert_equal %w[shop 1.0], scope.values_at("name", "version")
      assert_equal({ { "region" => "eu", "paid" => true } => "1", { "region" => "eu" } => "2" },
                   points(orders).transform_values { |p| p["asInt"] })
      assert_equal 0.25, points(got.fetch("http.server.request.duration")[1]).fetch({ "http.route" => "/users" })["sum"]
      assert_equal 3.0, number(points(got.fetch("queue.depth")[1]).fetch({ "q" => "a" }))
      rl = wait_for { of_service(collector_requests(out_path), "resourceLogs", service).first }
      refute_nil rl, "no logs of #{service} reached the Collector"
      scope_logs = rl["scopeLogs"].first
      record = scope_logs["logRecords"].first
      assert_equal "shop", scope_logs.dig("scope", "name")
      assert_equal ["low stock", 13, "WARN"], [body(record), record["severityNumber"], record["severityText"]]
      assert_equal({ "sku" => "A-1" }, attributes(record["attributes"]))
      assert_equal %w[4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7], record.values_at("traceId", "spanId")
    end
  end
end
