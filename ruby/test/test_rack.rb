# frozen_string_literal: true

require_relative "test_helper"
require "net/http"
require "socket"

# Otelrs::Rack::Middleware under real servers (puma, single and cluster mode with preload;
# WEBrick), driven with real HTTP requests: the conventions' series with exact counts (read
# from the app's own /metrics, every puma worker merged), the active count back to zero, an
# exception's class as the error type, the access log and the app's records carrying the
# request's traceparent.
class TestRack < Minitest::Test
  include OtelrsTest

  APPS = File.expand_path("apps", __dir__)
  TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
  TRACEPARENT = "00-#{TRACE_ID}-00f067aa0ba902b7-01".freeze

  def start(server)
    @port = free_port
    @logs = File.join(Dir.tmpdir, "otelrs-rack-#{Process.pid}-#{@port}.jsonl")
    @out = File.join(Dir.tmpdir, "otelrs-rack-#{Process.pid}-#{@port}.log")
    settings = env(OTEL_METRICS_EXPORTER: "prometheus", OTELRS_PROMETHEUS_LISTEN: "false",
                   OTEL_EXPORTER_PROMETHEUS_PORT: free_port, OTEL_LOGS_EXPORTER: "file",
                   OTELRS_EXPORTER_FILE_LOGS_PATH: @logs, OTEL_SERVICE_NAME: "rack-#{rand(1 << 32)}",
                   RUBYOPT: "-I#{LIB}")
    args = case server
           when :puma then ["puma", "-b", "tcp://127.0.0.1:#{@port}", "measured.ru"]
           when :puma_cluster then ["puma", "-w", "2", "--preload", "-b", "tcp://127.0.0.1:#{@port}", "measured.ru"]
           when :webrick
             ["ruby", "-e", <<~RUBY]
               require "rack"; require "webrick"
               app, = Rack::Builder.parse_file("measured.ru")
               Rack::Handler::WEBrick.run(app, Host: "127.0.0.1", Port: #{@port}, AccessLog: [],
                                          Logger: WEBrick::Log.new($stderr, WEBrick::BasicLog::WARN))
             RUBY
           end
    @server = Process.spawn(settings, *args, chdir: APPS, unsetenv_others: true, %i[out err] => @out)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 30
    until request(Net::HTTP::Get, "/nowhere")
      raise "the server did not start:\n#{File.read(@out)}" if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

      sleep 0.1
    end
  end

  def teardown
    return unless @server

    Process.kill("TERM", @server)
    Process.wait(@server)
    [@out, @logs].each { |f| File.delete(f) if File.exist?(f) }
  end

  def request(kind, path, headers = {})
    req = kind.new(path, headers)
    req.set_form_data({}) if req.request_body_permitted?
    Net::HTTP.start("127.0.0.1", @port) { |http| http.request(req) }
  rescue SystemCallError, IOError
    nil
  end

  # The requests of every test (the one that checked the server was up is a 404 too).
  def drive
    3.times { |i| assert_equal "200", request(Net::HTTP::Get, "/users/#{i}").code }
    assert_equal "201", request(Net::HTTP::Post, "/users/1", "traceparent" => TRACEPARENT).code
    assert_equal "201", request(Net::HTTP::Post, "/users/2").code
    assert_equal "500", request(Net::HTTP::Get, "/boom").code
    assert_equal "404", request(Net::HTTP::Get, "/nowhere").code
  end

  # The value of each series of `metric` in one scrape of /metrics, by its labels (without the
  # scope's).
  def series(metric)
    text = request(Net::HTTP::Get, "/metrics").body
    text.lines.grep(/^#{metric}\{/).to_h do |line|
      labels = line[/\{(.*)\}/, 1].scan(/(\w+)="([^"]*)"/).reject { |k, _| k.start_with?("otel_scope") }.sort
      [labels.map { |k, v| "#{k}=#{v}" }.join(","), Float(line.split.last)]
    end
  end

  def check_metrics
    counts = series("http_server_request_duration_seconds_count")
    common = "network_protocol_version=1.1,url_scheme=http"
    assert_equal({
                   "http_request_method=GET,http_response_status_code=200,http_route=/users/:id,#{common}" => 3.0,
                   "http_request_method=POST,http_response_status_code=201,http_route=/users/:id,#{common}" => 2.0,
                   "error_type=RuntimeError,http_request_method=GET,http_response_status_code=500,#{common}" => 1.0,
                   "http_request_method=GET,http_response_status_code=404,#{common}" => 2.0
                 }, counts)
    assert_equal [0.0], series("http_server_active_requests").values.uniq
    buckets = series("http_server_request_duration_seconds_bucket").keys.map { |k| k[/le=([^,]+)/, 1] }.uniq
    assert_equal %w[0.005 0.01 0.025 0.05 0.075 0.1 0.25 0.5 0.75 1.0 2.5 5.0 7.5 10.0 +Inf].sort, buckets.sort
  end

  def check_logs
    Process.kill("TERM", @server) # shut down: every record written
    Process.wait(@server)
    @server = nil
    records = log_records(@logs).map { |scope, r| [scope, body(r), r] }
    access = records.select { |scope, _, _| scope == "otelrs.rack" }
    assert_equal 8, access.size, records.map { |_, b, _| b }.inspect
    traced = access.find { |_, b, _| b == "POST /users/1 201" }[2]
    assert_equal TRACE_ID, traced["traceId"]
    assert_equal({ "http.request.method" => "POST", "url.path" => "/users/1", "http.response.status_code" => 201,
                   "http.route" => "/users/:id" }, attributes(traced["attributes"]))
    app = records.select { |scope, _, _| scope == "app" }.to_h { |_, b, r| [b, r["traceId"]] }
    assert_equal TRACE_ID, app.fetch("user 1")
  ensure
    [@out, @logs].each { |f| File.delete(f) if f && File.exist?(f) }
  end

  def test_puma
    start(:puma)
    drive
    check_metrics
    check_logs
  end

  def test_puma_cluster_mode_merges_every_worker
    start(:puma_cluster)
    drive
    check_metrics
  end

  def test_webrick
    start(:webrick)
    drive
    check_metrics
    check_logs
  end
end
