# frozen_string_literal: true

module Otelrs
  # The Ruby runtime's metrics when OTELRS_SYSTEM_METRICS has `runtime` (read at collection,
  # nothing runs on the recording path): garbage collections by type, and the threads alive.
  module RuntimeMetrics
    # OTELRS_SYSTEM_METRICS_RUNTIME of otelrs.h.
    RUNTIME = 4

    # Registers the metrics on the meter `otelrs` when the SDK `handle` asks for them.
    def self.register(handle)
      return if (Native.otelrs_sdk_system_metrics(handle) & RUNTIME).zero?

      meter = Otelrs.meter("otelrs", version: VERSION)
      meter.observable_counter("otelrs.runtime.ruby.gc.collections", unit: "{collection}",
                                                                      description: "Garbage collections, minor and major",
                                                                      value_type: Integer) do |o|
        o.observe(GC.stat(:minor_gc_count), "ruby.gc.type" => "minor")
        o.observe(GC.stat(:major_gc_count), "ruby.gc.type" => "major")
      end
      meter.observable_up_down_counter("otelrs.runtime.ruby.threads", unit: "{thread}",
                                                                      description: "Ruby threads alive",
                                                                      value_type: Integer) do |o|
        o.observe(Thread.list.count(&:alive?))
      end
    end
  end
end
