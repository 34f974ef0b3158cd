# frozen_string_literal: true

require "otelrs/version"
require "otelrs/native"
require "otelrs/errors"
require "otelrs/attributes"
require "otelrs/instruments"
require "otelrs/observable"
require "otelrs/meter"
require "otelrs/logger"
require "otelrs/exporter"
require "otelrs/runtime_metrics"
require "otelrs/rack_exporter"
require "otelrs/rack"
require "json"

# OpenTelemetry metrics and logs for Ruby, recorded in-process by libotelrs (a Rust core on
# the OpenTelemetry Rust SDK) and exported without the program waiting on I/O.
#
#   Otelrs.configure(service_name: "shop")          # or everything from the OTEL_* environment
#   orders = Otelrs.meter("shop").counter("shop.orders", unit: "{order}")
#   orders.add(1, region: "eu", paid: true)
module Otelrs
  # How long shutting down at exit may take, in seconds, whatever the endpoint does.
  EXIT_TIMEOUT = 5

  # The levels of otelrs's own messages (OTELRS_DIAG_* of libotelrs).
  DIAG_ERROR = 1
  DIAG_WARN = 2
  DIAG_INFO = 3
  DIAG_DEBUG = 4
  DIAG_LOGGER_LEVELS = { DIAG_ERROR => ::Logger::ERROR, DIAG_WARN => ::Logger::WARN, DIAG_INFO => ::Logger::INFO,
                         DIAG_DEBUG => ::Logger::DEBUG }.freeze

  # libotelrs's messages come here, from its diagnostics thread (kept in a constant: the
  # function must outlive every call).
  DIAG_HANDLER = FFI::Function.new(:void, %i[uint32 string pointer]) do |level, message, _user|
    Otelrs.diagnose(level, message)
  rescue StandardError => e
    warn "otelrs: #{message} (the diagnostics logger raised #{e.class}: #{e.message})"
  end
  Native.otelrs_set_diagnostics_handler(DIAG_HANDLER, nil)

  @lock = Monitor.new
  @sdk = nil
  @observables = []
  @exporters = []

  class << self
    # Builds the SDK: the OTEL_* environment first, then the settings given, key by key.
    # Keywords are the keys in lower case without the OTEL_ / OTELRS_ prefix
    # (service_name:, exporter_otlp_endpoint:, metrics_exporter: "otlp,console"); a Hash of the
    # exact keys works too. ConfigError names an unknown key or a bad value.
    #
    # `views:` is a list of views, each a Hash of the view keys (Arrays for boundaries: and
    # attribute_keys:) or a String in the text form of OTELRS_METRICS_VIEWS:
    #   Otelrs.configure(views: [{ instrument_name: "http.*", attribute_keys: ["http.route"] },
    #                            "meter_name=noisy,aggregation=drop"])
    #
    # `log_exporters:` and `metric_exporters:` add exporters of one's own (see Otelrs::Exporter):
    # an Array of Otelrs::Exporter, or a Hash of names to callables given OTLP JSON.
    #
    # `on_health_change:` is called (status, report) on an otelrs thread at each change of the
    # health status ("ok", "degraded", "failing"; the report as Otelrs.health gives it), from the
    # exporters and the rules of OTELRS_HEALTH_RULES (health_rules:).
    def configure(settings = nil, **kw)
      @lock.synchronize do
        raise ConfigError, "otelrs is already configured (configure was called, or a meter or logger was taken " \
                           "before it): call configure first, or Otelrs.shutdown before configuring again" if @sdk && !@shut_down

        @sdk = build((settings || {}).merge(kw))
        @shut_down = false
        @observables = []
        RuntimeMetrics.register(@sdk)
      end
      nil
    end

    # A meter for the instrumentation scope `name`.
    def meter(name, version: nil)
      out = FFI::MemoryPointer.new(:pointer)
      check(Native.otelrs_meter_new(sdk, name, version, out))
      Meter.new(out.read_pointer)
    end

    # Collects and exports metrics and queued log records now, within `timeout` seconds.
    def flush(timeout: 30)
      return nil unless @sdk

      check(Native.otelrs_sdk_force_flush(@sdk, (timeout * 1000).to_i))
      nil
    end

    # Exports what was recorded and stops, within `timeout` seconds even when the endpoint
    # does not answer. Instruments and loggers raise ShutdownError afterwards.
    def shutdown(timeout: 30)
      sdk = @lock.synchronize { @sdk }
      return nil unless sdk

      status = Native.otelrs_sdk_shutdown(sdk, (timeout * 1000).to_i)
      @lock.synchronize do
        @shut_down = true
        @observables = []
      end
      check(status)
      nil
    end

    # The metrics of the `memory` exporter now, as OTLP JSON.
    def collect_json
      returned_string { |out| Native.otelrs_sdk_collect_json(sdk, out) }
    end

    # The series of histogram `name` with exactly `attributes`, collected now (from the memory
    # exporter's reader, else the Prometheus endpoint's): a Hash with :count, :sum, :min and
    # :max (nil when not kept), :quantiles ({q => estimate}) and :relative_error (the bound of
    # exponential buckets' estimates; nil for explicit buckets, interpolated within a bucket).
    # No such series, or a quantile out of 0..1: Otelrs::InvalidArgumentError, saying which.
    def histogram_summary(name, attributes = {}, quantiles: [0.5, 0.9, 0.99])
      # _keep holds the memory the attributes point to until the method returns.
      ptr, count, _keep = Attributes.build(attributes)
      qs = FFI::MemoryPointer.new(:double, [quantiles.size, 1].max).write_array_of_double(quantiles.map(&:to_f))
      values = FFI::MemoryPointer.new(:double, [quantiles.size, 1].max)
      out = Native::HistogramSummary.new
      check(Native.otelrs_sdk_histogram_summary(sdk, name.to_s, ptr, count, qs, values, quantiles.size, out))
      nan_nil = ->(v) { v.nan? ? nil : v }
      { count: out[:count], sum: out[:sum], min: nan_nil.call(out[:min]), max: nan_nil.call(out[:max]),
        quantiles: quantiles.zip(values.read_array_of_double(quantiles.size)).to_h,
        relative_error: nan_nil.call(out[:relative_error]) }
    end

    # The answer to a Prometheus scrape whose Accept and Accept-Encoding headers were `accept`
    # and `accept_encoding` (nil when absent), for the app's own HTTP server to send (see
    # Otelrs::RackExporter): the text format 0.0.4, or OpenMetrics when `accept` asks for it,
    # gzip-compressed when `accept_encoding` accepts it; in a pre-fork server (puma cluster
    # mode) every worker's metrics merged. Needs `prometheus` in OTEL_METRICS_EXPORTER
    # (OTELRS_PROMETHEUS_LISTEN=false: no port of otelrs's own). Releases the GVL while it
    # collects. ConfigError without the Prometheus exporter; ExportError when the process
    # merging the workers cannot be asked (in time).
    def prometheus_exposition(accept: nil, accept_encoding: nil)
      e = Native::Exposition.new
      check(Native.otelrs_sdk_prometheus_exposition(sdk, accept, accept_encoding, e))
      begin
        encoding = e[:content_encoding].null? ? nil : e[:content_encoding].read_string
        Exposition.new(e[:body].read_bytes(e[:body_len]), e[:content_type].read_string, encoding)
      ensure
        Native.otelrs_exposition_free(e)
      end
    end

    # @api private: raises what prometheus_exposition would for want of the Prometheus
    # exporter, when otelrs is configured.
    def check_prometheus_exposition
      @sdk && check(Native.otelrs_sdk_check_prometheus_exposition(@sdk))
      nil
    end

    # The health of the pipeline, a Hash: "status" ("ok", "degraded" or "failing"),
    # "reasons" (why, one sentence each), "time", "shut_down", "exporters" (for each push
    # exporter: "signal", "exporter", "status", "exports", "failed_exports",
    # "consecutive_failures", "exported", "failed", "retries", "last_success_time",
    # "last_error_time", "last_error"; log exporters also "queue_size", "queue_capacity",
    # "queue_fill" and "dropped") and "logs" (the counts of log_stats). An exporter is
    # "failing" after 3 failed exports in a row, "degraded" after 1 or 2, or while the log
    # queue is at least 80 % full or dropped records in the last 60 s; the overall status is
    # the worst of the exporters' ("ok" without exporters). A Prometheus scrape counts as an
    # export.
    def health
      JSON.parse(returned_string { |out| Native.otelrs_sdk_health_json(sdk, out) })
    end

    # What the loggers emitted and what became of it.
    def log_stats
      stats = Native::LogStats.new
      check(Native.otelrs_sdk_log_stats(sdk, stats))
      stats.members.to_h { |m| [m, stats[m]] }
    end

    # Runs the block with the trace context of a W3C `traceparent` as the thread's current
    # one: the records logged inside carry its trace and span ids.
    def with_traceparent(traceparent)
      ctx = trace_context(traceparent)
      saved = Native::TraceContext.new
      check(Native.otelrs_trace_context_set_current(ctx, saved))
      begin
        yield
      ensure
        Native.otelrs_trace_context_set_current(saved, nil)
      end
    end

    # @api private: keeps an observable instrument alive as long as the SDK.
    def keep(instrument)
      @lock.synchronize { @observables << instrument }
    end

    # @api private: a libotelrs logger for the scope `name`.
    def native_logger(name, version)
      out = FFI::MemoryPointer.new(:pointer)
      check(Native.otelrs_logger_new(sdk, name.to_s, version, out))
      FFI::AutoPointer.new(out.read_pointer, Native.method(:otelrs_logger_free))
    end

    # @api private: emits one record; `message` is what was logged (an Exception adds
    # exception.* attributes).
    def emit_log(logger, severity, body, message, attributes, traceparent)
      begin
        packed = attributes.empty? ? nil : Attributes.packed(attributes)
        ctx = traceparent.nil? ? nil : trace_context(traceparent)
        status = if message.is_a?(Exception)
                   Native.otelrs_log_exception_packed(logger, severity, body, packed, packed ? packed.bytesize : 0, ctx,
                                                      message.class.name, message.message,
                                                      (message.backtrace || []).join("\n"))
                 else
                   Native.otelrs_log_packed(logger, severity, body, packed, packed ? packed.bytesize : 0, ctx)
                 end
      rescue Error, ArgumentError, TypeError, RangeError => e
        # Refused before libotelrs saw it (a traceparent that does not parse, a NUL byte, an
        # Integer beyond 64 bits): counted here.
        Native.otelrs_logger_count_refused(logger)
        return refused_log(logger, e)
      end
      refused_log(logger, error(status)) unless status.zero?
    end

    # @api private: a log call of the libotelrs logger `logger` was refused for `error`.
    # With OTELRS_STRICT it is raised; otherwise the record is dropped (counted as `refused`
    # in log_stats) and the error reported once per logger, as for a measurement.
    def refused_log(logger, error)
      raise error if Native.otelrs_sdk_strict(sdk)
      return nil if logger.instance_variable_get(:@otelrs_reported)

      logger.instance_variable_set(:@otelrs_reported, true)
      diagnose(DIAG_WARN, "a log record was dropped: #{error.class}: #{error.message} (reported once per logger; " \
                          "OTELRS_STRICT=true raises instead)")
      nil
    end

    # Where otelrs's own messages go (those OTEL_LOG_LEVEL shows): a ::Logger, or nil (the
    # default) for `warn`.
    attr_accessor :diagnostics_logger

    # @api private: reports otelrs's own `message` at `level` (DIAG_*), if OTEL_LOG_LEVEL
    # shows it, on diagnostics_logger or with `warn`.
    def diagnose(level, message)
      return unless Native.otelrs_diagnostics_enabled(level)

      text = "otelrs: #{message}"
      if @diagnostics_logger
        @diagnostics_logger.add(DIAG_LOGGER_LEVELS.fetch(level, ::Logger::WARN), text)
      else
        warn text
      end
      nil
    end

    # @api private: a recording call of `instrument` failed with `error`. With OTELRS_STRICT
    # it is raised; otherwise the measurement is dropped, counted (`refused_measurements` in
    # Otelrs.health) and reported once per instrument with `warn`, as the OpenTelemetry
    # error-handling principle asks.
    def refused(instrument, error)
      raise error if Native.otelrs_sdk_strict(sdk)

      Native.otelrs_sdk_count_refused(sdk)
      instrument.report_refused(error)
      nil
    end

    # @api private: the SDK, built from the environment if configure was not called.
    def sdk
      @sdk || @lock.synchronize do
        next @sdk if @sdk

        @sdk = build({})
        RuntimeMetrics.register(@sdk)
        @sdk
      end
    end

    private

    # The string libotelrs writes through the out-pointer the block passes on.
    def returned_string
      out = FFI::MemoryPointer.new(:pointer)
      check(yield(out))
      ptr = out.read_pointer
      text = ptr.read_string.force_encoding(Encoding::UTF_8)
      Native.otelrs_string_free(ptr)
      text
    end

    def trace_context(traceparent)
      ctx = Native::TraceContext.new
      check(Native.otelrs_trace_context_parse(traceparent.to_s, ctx))
      ctx
    end

    def build(settings)
      cfg_out = FFI::MemoryPointer.new(:pointer)
      check(Native.otelrs_config_new(cfg_out))
      cfg = FFI::AutoPointer.new(cfg_out.read_pointer, Native.method(:otelrs_config_free))
      check(Native.otelrs_config_set(cfg, "OTELRS_TELEMETRY_SDK_LANGUAGE", "ruby"))
      views = settings.delete(:views) || settings.delete("views")
      exporters = { otelrs_config_add_log_exporter: settings.delete(:log_exporters) || settings.delete("log_exporters"),
                    otelrs_config_add_metric_exporter: settings.delete(:metric_exporters) ||
                                                       settings.delete("metric_exporters") }
      told = settings.delete(:on_health_change) || settings.delete("on_health_change")
      settings.each { |key, value| set(cfg, key, value) unless value.nil? }
      add_views(cfg, views) if views
      # Kept as long as the SDK may call them (until the next configure).
      @exporters = exporters.flat_map { |add, given| add_exporters(cfg, add, given) }
      @exporters << health_callback(cfg, told) if told
      out = FFI::MemoryPointer.new(:pointer)
      status = Native.otelrs_sdk_new(cfg, out)
      unless status.zero?
        error = error(status)
        # Said as well as raised: a server may show only where a worker's error was raised
        # (puma's "Unable to start worker").
        diagnose(DIAG_ERROR, "cannot start: #{error.message}")
        raise error
      end
      FFI::AutoPointer.new(out.read_pointer, Native.method(:otelrs_sdk_free))
    end

    # Sets the setting `key` names (an exact key, or its keyword form such as service_name):
    # a Hash as key-value pairs, anything else as its text; libotelrs reads the name and
    # encodes the pairs.
    def set(cfg, key, value)
      name = key.to_s
      if value.is_a?(Hash)
        # The Hash replaces what was set before (an earlier argument naming the same key).
        check(Native.otelrs_config_set_named(cfg, name, ""))
        value.each { |k, v| check(Native.otelrs_config_add_pair(cfg, name, k.to_s, v.to_s)) }
      else
        check(Native.otelrs_config_set_named(cfg, name, setting_text(value)))
      end
    end

    # `told.call(status, report)` at each change of the health status (on otelrs's thread,
    # the report a Hash); what it raises is reported. Returns the C function to keep.
    def health_callback(cfg, told)
      raise ArgumentError, "on_health_change: give a callable (status, report)" unless told.respond_to?(:call)

      function = FFI::Function.new(:void, %i[string string pointer]) do |status, report, _|
        told.call(status, JSON.parse(report))
      rescue StandardError => e
        diagnose(DIAG_ERROR, "the health callback raised #{e.class}: #{e.message}")
      end
      check(Native.otelrs_config_set_health_callback(cfg, function, nil))
      function
    end

    def add_exporters(cfg, add, given)
      return [] if given.nil?

      exporters = case given
                  when Hash then given.map { |name, callable| Exporter.new(name, callable: callable) }
                  when Array then given
                  else raise TypeError, "exporters: an Array of Otelrs::Exporter or a Hash of names to callables, "                                         "got #{given.class}"
                  end
      exporters.map do |exporter|
        raise TypeError, "an exporter in an Array is an Otelrs::Exporter, got #{exporter.class}"           unless exporter.is_a?(Exporter)

        exporter.register(cfg, add)
      end
    end

    def add_views(cfg, views)
      raise TypeError, "views: must be an Array of views (Hashes or Strings), got #{views.class}" unless views.is_a?(Array)

      views.each do |view|
        case view
        when String then check(Native.otelrs_config_add_view(cfg, view))
        when Hash then add_view_pairs(cfg, view.flat_map { |k, v| Array(v).map { |item| [k.to_s, item.to_s] } })
        else raise TypeError, "a view is a Hash or a String, got #{view.class} (#{view.inspect})"
        end
      end
    end

    # Adds a view given as [key, value] pairs (a list as one pair per item).
    def add_view_pairs(cfg, pairs)
      keep = pairs.flatten.map { |s| FFI::MemoryPointer.from_string(s) }
      keys = FFI::MemoryPointer.new(:pointer, pairs.size)
      values = FFI::MemoryPointer.new(:pointer, pairs.size)
      keys.write_array_of_pointer(keep.each_slice(2).map(&:first))
      values.write_array_of_pointer(keep.each_slice(2).map(&:last))
      check(Native.otelrs_config_add_view_pairs(cfg, keys, values, pairs.size))
    end

    def setting_text(value)
      case value
      when true, false then value.to_s
      when Array then value.join(",")
      else value.to_s
      end
    end
  end

  at_exit do
    sdk = @sdk
    if sdk && !@shut_down
      status = Native.otelrs_sdk_shutdown(sdk, EXIT_TIMEOUT * 1000)
      diagnose(DIAG_ERROR, "at exit: #{Native.otelrs_last_error}") unless status.zero?
      @shut_down = true
    end
  end
end
