# frozen_string_literal: true

require_relative "test_helper"
require "net/http"
require "socket"

# A Rack app (test/apps/config.ru) under puma's cluster mode, with and without preload_app:
# one scrape of the Prometheus port counts every request of every worker, exactly, and a
# worker killed with SIGKILL and replaced does not make the counter go back. Without a port of
# otelrs's own, /metrics of the app's port (Otelrs::RackExporter) shows the same, whichever
# worker answers.
class TestPrefork < Minitest::Test
  include OtelrsTest

  APPS = File.expand_path("apps", __dir__)

  def start(preload, listen: true)
    @app_port = free_port
    @metrics_port = free_port
    @listen = listen
    @service = "puma-#{rand(1 << 32)}"
    settings = env(OTEL_METRICS_EXPORTER: "prometheus", OTEL_LOGS_EXPORTER: "none",
                   OTEL_EXPORTER_PROMETHEUS_PORT: @metrics_port, OTEL_SERVICE_NAME: @service,
                   OTELRS_PROMETHEUS_LISTEN: listen, RUBYOPT: "-I#{LIB}")
    args = ["puma", "-w", "4", *(preload ? ["--preload"] : []), "-b", "tcp://127.0.0.1:#{@app_port}", "config.ru"]
    @log = File.join(Dir.tmpdir, "otelrs-puma-#{Process.pid}-#{@app_port}.log")
    @puma = Process.spawn(settings, *args, chdir: APPS, unsetenv_others: true, %i[out err] => @log)
    until_true("puma started") { get("/pid") }
  end

  def teardown
    return unless @puma

    Process.kill("TERM", @puma)
    Process.wait(@puma)
    File.delete(@log) if File.exist?(@log)
  end

  def get(path, port = @app_port)
    Net::HTTP.get(URI("http://127.0.0.1:#{port}#{path}"))
  rescue SystemCallError, IOError
    nil
  end

  def until_true(what, timeout: 30)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
    loop do
      return if yield

      raise "#{what}:\n#{File.read(@log)}" if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

      sleep 0.1
    end
  end

  # Sample lines of one scrape, checked by promtool.
  def scrape
    text = get("/metrics", @listen ? @metrics_port : @app_port) or return []
    out, status = Open3.capture2e("promtool", "check", "metrics", stdin_data: text)
    assert status.success?, out + text
    text.lines
  end

  def requests
    line = scrape.find { |l| l.start_with?("app_requests_total{") }
    line && Float(line.split.last)
  end

  def answering
    scrape.grep(/^otelrs_prometheus_worker_up\{/).select { |l| l.split.last == "1" }
          .map { |l| Integer(l[/process_pid="(\d+)"/, 1]) }
  end

  def workers
    File.read("/proc/#{@puma}/task/#{@puma}/children").split.map { |p| Integer(p) }
  end

  def hit(n)
    Array.new(8) { |t| Thread.new { (t...n).step(8).each { get("/hit") or raise "request failed" } } }.each(&:join)
  end

  # The process that merges the workers: the one listening on the Prometheus port, or without
  # it the one holding the workers' abstract Unix socket (listening: flag __SO_ACCEPTCON).
  def holder
    listening = if @listen
                  File.readlines("/proc/net/tcp").drop(1).map(&:split)
                      .select { |f| f[3] == "0A" && Integer(f[1].split(":")[1], 16) == @metrics_port }
                      .map { |f| f[9] }
                else
                  name = "@otelrs-prometheus/#{Process.uid}/#{@metrics_port}/#{@service}"
                  File.readlines("/proc/net/unix").drop(1).map(&:split)
                      .select { |f| f.size == 8 && f[7] == name && f[3] == "00010000" }.map { |f| f[6] }
                end
    Dir["/proc/[0-9]*/fd/*"].each do |fd|
      return Integer(fd.split("/")[2]) if listening.include?(File.readlink(fd)[/socket:\[(\d+)\]/, 1])
    rescue SystemCallError
      next
    end
    nil
  end

  def run_server(preload, listen: true)
    start(preload, listen: listen)
    until_true("4 workers") { workers.size == 4 }
    hit(2000)
    until_true("2000 requests counted") { requests == 2000 }
    until_true("every worker in the scrape") { (workers - answering).empty? }
    victim = (workers - [holder]).first
    Process.kill("KILL", victim)
    until_true("the worker replaced") { workers.size == 4 && !workers.include?(victim) && !answering.include?(victim) }
    assert_equal [2000.0], Array.new(8) { requests }.uniq # whichever worker answers, without the port
    hit(100)
    until_true("100 more counted") { requests == 2100 }
  end

  def test_puma_cluster_with_preload_app
    run_server(true)
  end

  def test_puma_cluster_without_preload
    run_server(false)
  end

  def test_puma_cluster_serves_metrics_from_the_apps_own_port
    run_server(false, listen: false)
    TCPServer.new("127.0.0.1", @metrics_port).close # otelrs took no port
  end

  # puma shows only where a worker's error was raised: otelrs says why on stderr as well.
  def test_a_port_taken_by_another_program_is_said_where_puma_shows_it
    taken = TCPServer.new("127.0.0.1", 0)
    port = taken.addr[1]
    settings = env(OTEL_METRICS_EXPORTER: "prometheus", OTEL_LOGS_EXPORTER: "none",
                   OTEL_EXPORTER_PROMETHEUS_HOST: "127.0.0.1", OTEL_EXPORTER_PROMETHEUS_PORT: port,
                   RUBYOPT: "-I#{LIB}")
    @log = File.join(Dir.tmpdir, "otelrs-puma-#{Process.pid}-taken.log")
    @puma = Process.spawn(settings, "puma", "-w", "2", "-b", "tcp://127.0.0.1:#{free_port}", "config.ru",
                          chdir: APPS, unsetenv_others: true, %i[out err] => @log)
    until_true("the reason shown") { File.read(@log).include?("Unable to start worker") }
    assert_includes File.read(@log),
                    "otelrs: cannot start: otelrs_sdk_new: OTEL_EXPORTER_PROMETHEUS_HOST/PORT 127.0.0.1:#{port}: " \
                    "cannot listen there: Address already in use"
  ensure
    taken&.close
  end
end
