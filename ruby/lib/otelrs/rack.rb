# frozen_string_literal: true

module Otelrs
  module Rack
    # Measures every request of a Rack app as the HTTP semantic conventions say, with the
    # series opentelemetry-python's instrumentation and otelrs's C API make:
    # `http.server.request.duration` (seconds, until the body is closed) with
    # `http.request.method`, `http.route` (when the framework names it: Sinatra,
    # Rails, or `env["otelrs.route"]` set by the app), `http.response.status_code`,
    # `url.scheme`, `network.protocol.version` and `error.type` (a 5xx status, or the class of
    # an exception the app raised); and `http.server.active_requests`.
    #
    #   use Otelrs::Rack::Middleware
    #   use Otelrs::Rack::Middleware, access_log: true   # one log record per request
    #
    # The request's `traceparent` header is the trace context while the app runs, so what it
    # logs through otelrs carries it. A request is never failed by otelrs: a measurement that
    # cannot be made is said once through otelrs's diagnostics.
    class Middleware
      # `meter`: the meter of the instruments (Otelrs.meter("otelrs.rack") by default);
      # `access_log`: true (a logger of the scope "otelrs.rack") or an Otelrs::Logger, for one
      # INFO record per request.
      def initialize(app, meter: nil, access_log: false)
        @app = app
        meter ||= Otelrs.meter("otelrs.rack", version: Otelrs::VERSION)
        out = FFI::MemoryPointer.new(:pointer)
        Otelrs.check(Native.otelrs_http_server_new(meter.native_handle, out))
        @server = FFI::AutoPointer.new(out.read_pointer, Native.method(:otelrs_http_server_free))
        @access_log = access_log == true ? Otelrs::Logger.new("otelrs.rack", version: Otelrs::VERSION) : access_log
        @reported = false
      end

      # The Rack interface.
      def call(env)
        request = start(env)
        status, headers, body = in_trace(env["HTTP_TRACEPARENT"]) { @app.call(env) }
      rescue Exception => e # rubocop:disable Lint/RescueException -- measured, then raised again
        finish(request, env, 500, e.class.name)
        raise
      else
        [status, headers, BodyProxy.new(body) { finish(request, env, status.to_i, nil) }]
      end

      private

      def start(env)
        out = FFI::MemoryPointer.new(:pointer)
        status = Native.otelrs_http_server_request_start(@server, env["REQUEST_METHOD"].to_s,
                                                         env["rack.url_scheme"] || "http", out)
        return out.read_pointer if status.zero?

        report("a request was not measured: #{Native.otelrs_last_error}")
        nil
      end

      def finish(request, env, status, error_type)
        return unless request

        route = Middleware.route(env)
        ok = Native.otelrs_http_server_request_end(request, status, route, env["SERVER_PROTOCOL"], error_type)
        report("a request was not measured: #{Native.otelrs_last_error}") unless ok.zero?
        access(env, status, route) if @access_log
      end

      def access(env, status, route)
        attributes = { "http.request.method": env["REQUEST_METHOD"], "url.path": env["PATH_INFO"],
                       "http.response.status_code": status }
        attributes[:"http.route"] = route if route
        in_trace(env["HTTP_TRACEPARENT"]) do
          @access_log.info("#{env['REQUEST_METHOD']} #{env['PATH_INFO']} #{status}", **attributes)
        end
      end

      def in_trace(traceparent, &block)
        return yield if traceparent.nil? || traceparent.empty?

        begin
          Otelrs.with_traceparent(traceparent, &block)
        rescue Otelrs::Error => e
          # A bad header is the client's: the request runs untraced, said once.
          report("a request's traceparent was left out: #{e.message}")
          yield
        end
      end

      def report(message)
        return if @reported

        @reported = true
        Otelrs.diagnose(DIAG_WARN, "#{message} (reported once)")
      end

      # The route template the framework matched, if it says: `env["otelrs.route"]`, Sinatra's
      # `sinatra.route` ("GET /users/:id"), Rails's `action_dispatch.route_uri_pattern`.
      def self.route(env)
        route = env["otelrs.route"] || env["sinatra.route"]&.split(" ", 2)&.last ||
                env["action_dispatch.route_uri_pattern"]&.delete_suffix("(.:format)")
        route&.to_s
      end
    end

    # A response body that calls a block once when the server closes it.
    class BodyProxy
      def initialize(body, &block)
        @body = body
        @block = block
        @closed = false
      end

      def each(&block)
        @body.each(&block)
      end

      def close
        return if @closed

        @closed = true
        begin
          @body.close if @body.respond_to?(:close)
        ensure
          @block.call
        end
      end

      def closed?
        @closed
      end

      def respond_to_missing?(name, include_private = false)
        name != :to_ary && @body.respond_to?(name, include_private)
      end

      def method_missing(name, *args, &block)
        return super if name == :to_ary

        @body.__send__(name, *args, &block)
      end
    end
  end
end
