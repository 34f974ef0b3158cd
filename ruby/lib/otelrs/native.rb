# frozen_string_literal: true

require "ffi"
require "rbconfig"

module Otelrs
  # The C functions of libotelrs, attached in this one place. Found through OTELRS_LIB, then
  # the gem's own copy (lib/otelrs/vendor), then the system's library path.
  module Native
    extend FFI::Library

    VENDORED = File.expand_path("vendor/libotelrs.so", __dir__)

    # The installed library of the gem's version (its soname: libotelrs.so.0.<minor> before
    # 1.0, libotelrs.so.<major> after), when the gem is installed; any libotelrs.so otherwise.
    def self.candidates
      version = Gem.loaded_specs["otelrs"]&.version&.segments
      soname = version && "libotelrs.so.#{version[0].zero? ? "0.#{version[1]}" : version[0]}"
      [ENV["OTELRS_LIB"], (VENDORED if File.exist?(VENDORED)), soname, "otelrs"].compact.reject(&:empty?)
    end

    # When the installed platform gem is for the other libc (RubyGems before 3.3.22 installs a
    # `-linux-musl` gem on glibc, as it matches either), what to install instead.
    def self.platform_hint
      platform = Gem.loaded_specs["otelrs"]&.platform
      return "" unless platform.is_a?(Gem::Platform) && platform.os == "linux"

      musl = RbConfig::CONFIG["host_os"].include?("musl")
      return "" if (platform.version == "musl") == musl

      local = "#{platform.cpu}-linux#{"-musl" if musl}"
      " (the installed gem is for #{platform}, this Ruby for #{local}: `gem install otelrs --platform " \
        "#{local}`, or RubyGems 3.3.22 or later, which chooses it)"
    end

    begin
      ffi_lib candidates
      # A library of the other libc can "load" as another (FFI follows the linker script that
      # glibc's libc.so is, when a musl library asks for libc.so): it must be libotelrs.
      unless ffi_libraries.any? { |lib| lib.find_function("otelrs_version") }
        raise LoadError, "#{ffi_libraries.map(&:name).join(', ')} is not libotelrs"
      end
    rescue LoadError => e
      raise LoadError, "otelrs: cannot load libotelrs (tried #{candidates.join(', ')})#{platform_hint}: set " \
                       "OTELRS_LIB to the library's path, or install it (make install): #{e.message}"
    end

    # An attribute value (otelrs_value).
    class Array < FFI::Struct
      layout :items, :pointer, :len, :size_t
    end

    # The union of attribute values.
    class Value < FFI::Union
      layout :string, :pointer, :boolean, :bool, :integer, :int64, :dbl, :double, :array, Array
    end

    # One attribute (otelrs_attribute).
    class Attribute < FFI::Struct
      layout :key, :pointer, :type, :uint32, :value, Value
    end

    # otelrs_trace_context.
    class TraceContext < FFI::Struct
      layout :trace_id, [:uint8, 16], :span_id, [:uint8, 8], :flags, :uint8
    end

    # otelrs_exposition.
    # otelrs_histogram_summary.
    class HistogramSummary < FFI::Struct
      layout :count, :uint64, :sum, :double, :min, :double, :max, :double, :relative_error, :double
    end

    class Exposition < FFI::Struct
      layout :body, :pointer, :body_len, :size_t, :content_type, :pointer, :content_encoding, :pointer
    end

    # otelrs_log_stats.
    class LogStats < FFI::Struct
      layout :emitted, :uint64, :filtered, :uint64, :sampled_out, :uint64, :suppressed, :uint64,
             :kept, :uint64, :dropped, :uint64, :attributes_dropped, :uint64, :refused, :uint64
    end

    callback :observe_fn, %i[pointer pointer], :void
    callback :diag_fn, %i[uint32 string pointer], :void
    callback :export_fn, %i[pointer size_t pointer], :int

    attach_function :otelrs_version, [], :string
    attach_function :otelrs_last_error, [], :string
    attach_function :otelrs_status_name, [:uint32], :string
    attach_function :otelrs_string_free, [:pointer], :void
    attach_function :otelrs_set_diagnostics_handler, %i[diag_fn pointer], :void
    attach_function :otelrs_diagnostics_enabled, [:uint32], :bool

    attach_function :otelrs_config_new, [:pointer], :uint32
    attach_function :otelrs_config_set, %i[pointer string string], :uint32
    attach_function :otelrs_config_add_view, %i[pointer string], :uint32
    attach_function :otelrs_config_add_log_exporter, %i[pointer string int export_fn pointer], :uint32
    attach_function :otelrs_config_set_health_callback, %i[pointer pointer pointer], :uint32
    attach_function :otelrs_config_add_metric_exporter, %i[pointer string int export_fn pointer], :uint32
    attach_function :otelrs_config_set_named, %i[pointer string string], :uint32
    attach_function :otelrs_config_add_pair, %i[pointer string string string], :uint32
    attach_function :otelrs_config_add_view_pairs, %i[pointer pointer pointer size_t], :uint32
    attach_function :otelrs_unit_per_second, [:string], :double
    attach_function :otelrs_config_free, [:pointer], :void
    attach_function :otelrs_sdk_new, %i[pointer pointer], :uint32, blocking: true
    attach_function :otelrs_sdk_force_flush, %i[pointer uint32], :uint32, blocking: true
    attach_function :otelrs_sdk_shutdown, %i[pointer uint32], :uint32, blocking: true
    attach_function :otelrs_sdk_collect_json, %i[pointer pointer], :uint32, blocking: true
    attach_function :otelrs_sdk_health_json, %i[pointer pointer], :uint32
    # Blocking: the collection may run observable blocks, on otelrs's threads.
    attach_function :otelrs_sdk_histogram_summary, %i[pointer string pointer size_t pointer pointer size_t pointer],
                    :uint32, blocking: true
    # Blocking: the collection may run observable blocks, on otelrs's threads.
    attach_function :otelrs_sdk_prometheus_exposition, %i[pointer string string pointer], :uint32, blocking: true
    attach_function :otelrs_sdk_check_prometheus_exposition, %i[pointer], :uint32
    attach_function :otelrs_exposition_free, %i[pointer], :void
    attach_function :otelrs_sdk_system_metrics, %i[pointer], :uint32
    attach_function :otelrs_sdk_strict, %i[pointer], :bool
    attach_function :otelrs_sdk_count_refused, %i[pointer], :void
    attach_function :otelrs_sdk_log_stats, %i[pointer pointer], :uint32
    attach_function :otelrs_sdk_free, [:pointer], :void, blocking: true
    attach_function :otelrs_meter_new, %i[pointer string string pointer], :uint32
    attach_function :otelrs_meter_free, [:pointer], :void
    attach_function :otelrs_http_server_new, %i[pointer pointer], :uint32, blocking: true
    attach_function :otelrs_http_server_free, [:pointer], :void
    attach_function :otelrs_http_server_request_start, %i[pointer string string pointer], :uint32
    attach_function :otelrs_http_server_request_end, %i[pointer uint16 string string string], :uint32
    attach_function :otelrs_attributes_new, %i[pointer size_t pointer], :uint32
    attach_function :otelrs_attributes_free, [:pointer], :void

    # The synchronous instruments, by kind and number type: [C name, method, value type].
    SYNC = {
      counter_u64: %w[add uint64], counter_f64: %w[add double],
      up_down_counter_i64: %w[add int64], up_down_counter_f64: %w[add double],
      histogram_u64: %w[record uint64], histogram_f64: %w[record double],
      gauge_u64: %w[record uint64], gauge_i64: %w[record int64], gauge_f64: %w[record double]
    }.freeze

    # Creating an instrument is blocking (it releases the GVL): it waits for a collection in
    # progress, which may be waiting for the GVL to run an observable instrument's block.
    SYNC.each do |kind, (method, type)|
      type = type.to_sym
      if kind.to_s.start_with?("histogram")
        attach_function :"otelrs_#{kind}_new", %i[pointer string string string pointer size_t pointer], :uint32,
                        blocking: true
      else
        attach_function :"otelrs_#{kind}_new", %i[pointer string string string pointer], :uint32, blocking: true
      end
      attach_function :"otelrs_#{kind}_#{method}", [:pointer, type, :pointer, :size_t], :uint32
      attach_function :"otelrs_#{kind}_#{method}_packed", [:pointer, type, :buffer_in, :size_t], :uint32
      attach_function :"otelrs_#{kind}_#{method}_set", [:pointer, type, :pointer], :uint32
      attach_function :"otelrs_#{kind}_bind", %i[pointer pointer pointer], :uint32
      attach_function :"otelrs_bound_#{kind}_#{method}", [:pointer, type], :uint32
      attach_function :"otelrs_#{kind}_free", [:pointer], :void
      attach_function :"otelrs_bound_#{kind}_free", [:pointer], :void
    end

    OBSERVABLE = %i[counter_u64 counter_f64 up_down_counter_i64 up_down_counter_f64 gauge_u64 gauge_i64
                    gauge_f64].freeze
    OBSERVABLE.each do |kind|
      attach_function :"otelrs_observable_#{kind}_new", %i[pointer string string string observe_fn pointer pointer],
                      :uint32, blocking: true
    end
    attach_function :otelrs_observer_observe_u64, %i[pointer uint64 pointer size_t], :uint32
    attach_function :otelrs_observer_observe_i64, %i[pointer int64 pointer size_t], :uint32
    attach_function :otelrs_observer_observe_f64, %i[pointer double pointer size_t], :uint32
    # Blocking: freeing waits for a running callback, which needs the GVL to finish.
    attach_function :otelrs_observable_free, [:pointer], :void, blocking: true

    attach_function :otelrs_logger_new, %i[pointer string string pointer], :uint32
    attach_function :otelrs_logger_enabled, %i[pointer uint32], :bool
    attach_function :otelrs_log_packed, %i[pointer uint32 string buffer_in size_t pointer], :uint32
    attach_function :otelrs_log_exception_packed,
                    %i[pointer uint32 string buffer_in size_t pointer string string string], :uint32
    attach_function :otelrs_logger_stats, %i[pointer pointer], :uint32
    attach_function :otelrs_logger_count_refused, [:pointer], :void
    attach_function :otelrs_logger_free, [:pointer], :void
    attach_function :otelrs_trace_context_parse, %i[string pointer], :uint32
    attach_function :otelrs_trace_context_set_current, %i[pointer pointer], :uint32
  end
end
