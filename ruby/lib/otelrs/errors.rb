# frozen_string_literal: true

module Otelrs
  # The base of otelrs's errors: a C status of libotelrs and the message
  # otelrs_last_error gave for it.
  class Error < StandardError
    # The status name, e.g. "OTELRS_ERR_CONFIG".
    attr_reader :status

    def initialize(message = nil, status = nil)
      super(message)
      @status = status
    end
  end

  # A setting is unknown or its value is invalid; the message names the key and the value.
  class ConfigError < Error; end
  # An argument was invalid: a bad name, a negative counter increment, NaN, invalid UTF-8.
  class InvalidArgumentError < Error; end
  # An instrument of this name exists with another kind, unit or description.
  class ConflictError < Error; end
  # otelrs was shut down: nothing more is recorded.
  class ShutdownError < Error; end
  # An exporter could not deliver, or did not finish in time.
  class ExportError < Error; end
  # Anything else (a caught panic, an internal failure).
  class InternalError < Error; end
  # A call an observable instrument's block may not make: creating an instrument, flushing,
  # collecting or shutting down (the collection running the block would wait for itself).
  class CallbackError < Error; end

  ERRORS = {
    1 => InvalidArgumentError, 2 => InvalidArgumentError, 3 => InvalidArgumentError, 4 => ConfigError,
    5 => ShutdownError, 6 => ExportError, 7 => ConflictError, 8 => InvalidArgumentError, 9 => ExportError,
    12 => CallbackError
  }.freeze
  private_constant :ERRORS

  # Raises the error of a non-zero C status.
  def self.check(status)
    return if status.zero?

    raise error(status)
  end

  # The error of a non-zero C status, with the thread's last message.
  def self.error(status)
    ERRORS.fetch(status, InternalError).new(Native.otelrs_last_error, Native.otelrs_status_name(status))
  end
end
