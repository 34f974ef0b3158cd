# frozen_string_literal: true

require_relative "test_helper"
require "socket"

# OTELRS_SYSTEM_METRICS from Ruby: configure(system_metrics: [...]) gives the process metrics
# and the Ruby runtime's (garbage collections, threads); Otelrs.health goes failing while the
# Collector is stopped and ok again once it is back.
class TestSystem < Minitest::Test
  include OtelrsTest

  def collected(code, **settings)
    out = ok("#{code}\nputs Otelrs.collect_json", env(OTEL_METRICS_EXPORTER: "memory", OTEL_LOGS_EXPORTER: "none",
                                                      **settings))
    @printed = out.lines[0...-1]
    metrics(JSON.parse(out.lines.last))
  end

  def test_runtime_metrics_count_collections_and_threads
    got = collected(<<~RUBY)
      Otelrs.configure(system_metrics: %w[runtime process])
      before = GC.stat(:major_gc_count)
      2.times { GC.start(full_mark: true) }
      queue = Queue.new
      3.times { Thread.new { queue.pop } }
      sleep 0.1
      Otelrs.collect_json # the first collection starts the ffi gem's callback thread
      puts Thread.list.count(&:alive?)
    RUBY
    gc = got.fetch("otelrs.runtime.ruby.gc.collections")
    assert_equal "{collection}", gc["unit"]
    assert_equal true, gc.dig("sum", "isMonotonic")
    assert_equal [{ "ruby.gc.type" => "major" }, { "ruby.gc.type" => "minor" }], points(gc).keys.sort_by(&:to_s)
    assert_operator number(points(gc)[{ "ruby.gc.type" => "major" }]), :>=, 2
    threads = got.fetch("otelrs.runtime.ruby.threads")
    alive = Integer(@printed.last)
    assert_operator alive, :>=, 4 # the main thread, three waiting (and the ffi gem's callback thread)
    assert_equal alive, number(points(threads)[{}])
    cpu = got.fetch("process.cpu.time")
    assert_equal [{ "cpu.mode" => "system" }, { "cpu.mode" => "user" }], points(cpu).keys.sort_by(&:to_s)
    assert_operator number(points(got.fetch("process.thread.count"))[{}]), :>=, 4
  end

  def test_the_environment_alone_turns_them_on_and_a_bad_group_is_a_config_error
    got = collected("Otelrs.meter('app')", OTELRS_SYSTEM_METRICS: "runtime")
    assert got.key?("otelrs.runtime.ruby.threads")
    refute got.key?("process.cpu.time")
    refute collected("Otelrs.configure").key?("otelrs.runtime.ruby.threads")
    out = ok(<<~RUBY)
      begin
        Otelrs.configure(system_metrics: "host,gpu")
      rescue Otelrs::ConfigError => e
        puts e.message
      end
    RUBY
    assert_includes out, 'invalid value "host,gpu" for OTELRS_SYSTEM_METRICS: unknown group "gpu"'
  end

  def free_port
    s = TCPServer.new("127.0.0.1", 0)
    s.addr[1]
  ensure
    s&.close
  end

  # A Collector of this test's own (the binary tests/run-all.sh built) that it can stop and
  # start again.
  class Collector
    attr_reader :grpc

    def initialize(dir, ports)
      bin = ENV.fetch("OTELRS_TEST_COLLECTOR_BIN") { raise "the Collector binary is unknown: use tests/run-all.sh" }
      @cmd = [bin, "--config", File.expand_path("../../tests/collector/config.yaml", __dir__)]
      @env = { "OTELRS_TEST_GRPC_PORT" => ports[0], "OTELRS_TEST_HTTP_PORT" => ports[1],
               "OTELRS_TEST_GRPC_TLS_PORT" => ports[2], "OTELRS_TEST_HTTP_TLS_PORT" => ports[3],
               "OTELRS_TEST_COLLECTOR_OUT" => File.join(dir, "received.jsonl") }.transform_values(&:to_s)
      @port = ports[0]
      @log = File.join(dir, "collector.log")
      @grpc = "http://127.0.0.1:#{@port}"
    end

    def start
      @pid = Process.spawn(@env, *@cmd, out: @log, err: @log)
      200.times do
        return if (TCPSocket.new("127.0.0.1", @port).close || true)
      rescue SystemCallError
        sleep 0.1
      end
      raise "the Collector did not listen: #{File.read(@log)}"
    end

    def stop
      return unless @pid

      Process.kill("TERM", @pid)
      Process.wait(@pid)
      @pid = nil
    end
  end

  HEALTH_LOOP = <<~RUBY
    Otelrs.configure(system_metrics: "sdk")
    ticks = Otelrs.meter("health").counter("health.ticks", value_type: Integer)
    log = Otelrs::Logger.new("health")
    done = Thread.new { $stdin.read }
    while done.alive?
      ticks.add(1)
      log.info("tick")
      puts JSON.generate(Otelrs.health)
      $stdout.flush
      sleep 0.25
    end
    Otelrs.shutdown(timeout: 2)
    puts JSON.generate(Otelrs.health)
  RUBY

  def wait_for_report(lines, timeout: 30)
    deadline = Time.now + timeout
    last = nil
    while Time.now < deadline
      line = lines.gets
      flunk "the program ended; the last report: #{last}" unless line
      last = JSON.parse(line)
      return last if yield(last)
    end
    flunk "no such report within #{timeout} s; the last: #{last}"
  end

  def test_health_fails_while_the_collector_is_down_and_recovers
    Dir.mktmpdir do |dir|
      collector = Collector.new(dir, Array.new(4) { free_port })
      collector.start
      settings = env(OTEL_SERVICE_NAME: "ruby-health", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
                     OTEL_EXPORTER_OTLP_ENDPOINT: collector.grpc, OTEL_METRIC_EXPORT_INTERVAL: "200",
                     OTEL_BLRP_SCHEDULE_DELAY: "200", OTEL_EXPORTER_OTLP_TIMEOUT: "1000")
      Open3.popen3(settings, RbConfig.ruby, "-I", LIB, "-rotelrs", "-e", HEALTH_LOOP,
                   unsetenv_others: true) do |stdin, stdout, _stderr, wait|
        first = wait_for_report(stdout) do |r|
          r["status"] == "ok" && r["exporters"].size == 2 && r["exporters"].all? { |e| e["exports"].positive? }
        end
        assert_equal %w[logs metrics], first["exporters"].map { |e| e["signal"] }.sort
        collector.stop
        failing = wait_for_report(stdout) { |r| r["status"] == "failing" }
        assert(failing["reasons"].any? { |why| why.include?("exports failed") }, failing)
        worst = failing["exporters"].select { |e| e["status"] == "failing" }
        refute_empty worst
        worst.each { |e| assert_operator e["consecutive_failures"], :>=, 3 }
        collector.start
        healed = wait_for_report(stdout) { |r| r["status"] == "ok" }
        healed["exporters"].each { |e| assert_operator e["last_success_unix_nano"], :>, e["last_error_unix_nano"] }
        stdin.close
        assert wait.value.success?
      end
    ensure
      collector&.stop
    end
  end
end
