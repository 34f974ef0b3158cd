# frozen_string_literal: true

module Otelrs
  # A scrape's answer: send `body` with the headers content-type: `content_type` and, when it
  # is not nil, content-encoding: `content_encoding`.
  Exposition = Struct.new(:body, :content_type, :content_encoding)

  # Prometheus metrics from the app's own Rack server, answered as otelrs's Prometheus
  # endpoint answers (every worker's metrics merged in puma's cluster mode). As middleware it
  # answers GET and HEAD at `path` and passes every other request on; as an app (no app
  # given) it answers every request:
  #
  #   use Otelrs::RackExporter                       # /metrics
  #   use Otelrs::RackExporter, path: "/internal/metrics"
  #   map("/metrics") { run Otelrs::RackExporter.new }
  #
  # Needs `prometheus` in OTEL_METRICS_EXPORTER (OTELRS_PROMETHEUS_LISTEN=false: no port of
  # otelrs's own). With `compression: false` the body is never gzip-compressed. A scrape
  # that fails is answered 503 with the reason, said once through otelrs's diagnostics.
  class RackExporter
    # Raises ConfigError at once when otelrs is configured without the Prometheus exporter.
    def initialize(app = nil, path: "/metrics", compression: true)
      Otelrs.check_prometheus_exposition
      @app = app
      @path = path
      @compression = compression
      @reported = {}
      @lock = Mutex.new
    end

    # The Rack interface.
    def call(env)
      return @app.call(env) if @app && env["PATH_INFO"] != @path

      method = env["REQUEST_METHOD"]
      unless %w[GET HEAD].include?(method)
        return [405, { "allow" => "GET, HEAD", "content-type" => "text/plain" }, ["GET or HEAD\n"]]
      end

      status, headers, body = answer(env)
      [status, headers.merge("content-length" => body.bytesize.to_s), method == "HEAD" ? [] : [body]]
    end

    private

    def answer(env)
      encoding = @compression ? env["HTTP_ACCEPT_ENCODING"] : nil
      e = Otelrs.prometheus_exposition(accept: env["HTTP_ACCEPT"], accept_encoding: encoding)
      headers = { "content-type" => e.content_type, "vary" => "Accept, Accept-Encoding" }
      headers["content-encoding"] = e.content_encoding if e.content_encoding
      [200, headers, e.body]
    rescue Otelrs::Error => e
      first = @lock.synchronize { @reported[e.message] ? false : (@reported[e.message] = true) }
      Otelrs.diagnose(DIAG_ERROR, "the Prometheus exposition failed: #{e.message}") if first
      [503, { "content-type" => "text/plain; charset=utf-8" }, "#{e.message}\n"]
    end
  end
end
