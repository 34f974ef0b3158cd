# frozen_string_literal: true

module Otelrs
  # An exporter of one's own, for Otelrs.configure(log_exporters: [...], metric_exporters: [...]):
  # the block is called on an otelrs thread with each batch as a String of bytes, an OTLP
  # ExportLogsServiceRequest or ExportMetricsServiceRequest (cumulative) in `format` (:json or
  # :protobuf), and answers nil, true or :success; :retry (called again with the batch, with
  # backoff, within the export timeout); false or :failure. An exception fails the batch and is
  # reported. Its outcome counts in Otelrs.health under `name` as an OTLP exporter's does.
  #   Otelrs::Exporter.new("webhook") { |batch| Net::HTTP.post(uri, batch).is_a?(Net::HTTPSuccess) }
  # (A Hash of names to callables is the short form, in JSON.)
  class Exporter
    FORMATS = { protobuf: 0, json: 1 }.freeze
    ANSWERS = { nil => 0, true => 0, success: 0, retry: 1, false => 2, failure: 2 }.freeze

    attr_reader :name, :format

    def initialize(name, format: :json, callable: nil, &block)
      @name = name.to_s
      @format = format
      @function = callable || block
      raise ArgumentError, "exporter #{@name.inspect}: give a block or a callable" unless @function.respond_to?(:call)
      raise ArgumentError, "exporter #{@name.inspect}: format is :json or :protobuf, not #{format.inspect}" \
        unless FORMATS.key?(format)
    end

    # Registers it on `cfg` with libotelrs's `add` function; returns the C function, which
    # must live as long as the SDK.
    def register(cfg, add)
      function = FFI::Function.new(:int, %i[pointer size_t pointer]) { |batch, len, _| call(batch.read_bytes(len)) }
      Otelrs.check(Native.send(add, cfg, @name, FORMATS.fetch(@format), function, nil))
      function
    end

    private

    def call(batch)
      answer = @function.call(batch)
      ANSWERS.fetch(answer) do
        Otelrs.diagnose(DIAG_WARN, "custom exporter #{@name.inspect} answered #{answer.inspect} " \
                                   "(not nil, true, false, :success, :retry or :failure): the batch counts as failed")
        2
      end
    rescue StandardError => e
      Otelrs.diagnose(DIAG_WARN, "custom exporter #{@name.inspect} raised #{e.class}: #{e.message}")
      2
    end
  end
end
