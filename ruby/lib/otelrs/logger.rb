# frozen_string_literal: true

require "logger"

module Otelrs
  # A ::Logger whose records go to otelrs: levels, progname, block messages and a `formatter`
  # (when set, its output is the record's body) as with ::Logger; attributes as keyword
  # arguments (`logger.info("order placed", order_id: 42)`: a nil value is left out, a value of
  # another type is logged as its `to_s`, so a log call never raises because of an
  # attribute); an Exception message becomes
  # exception.type / .message / .stacktrace; `traceparent:` correlates the record with a
  # trace (otherwise the one set by Otelrs.with_traceparent is used).
  class Logger < ::Logger
    SEVERITY = { DEBUG => 5, INFO => 9, WARN => 13, ERROR => 17, FATAL => 21, UNKNOWN => 21 }.freeze

    # `name` is the instrumentation scope (e.g. the component's name).
    def initialize(name, version: nil, level: DEBUG, progname: nil, formatter: nil)
      super(nil, level: level, progname: progname, formatter: formatter)
      @otel = Otelrs.native_logger(name, version)
    end

    # As ::Logger#add, with attributes as keywords.
    def add(severity, message = nil, progname = nil, traceparent: nil, **attributes, &block)
      write(severity || UNKNOWN, message, progname, traceparent, attributes, block)
    end

    alias log add

    # As ::Logger#<<: writes `message` as it is, at the UNKNOWN level (Rack::CommonLogger and
    # WEBrick write their access logs this way).
    def <<(message)
      write(UNKNOWN, message.to_s.chomp, nil, nil, {}, nil)
      self
    end

    # debug, info, warn, error, fatal and unknown, as with ::Logger, with attributes as
    # keywords; written out for each level (a block or a re-splat of the keywords would cost
    # more than the rest of the call).
    %i[debug info warn error fatal unknown].each do |name|
      class_eval <<~RUBY, __FILE__, __LINE__ + 1
        def #{name}(progname = nil, **attributes, &block)
          write(#{const_get(name.upcase)}, nil, progname, attributes.delete(:traceparent), attributes, block)
        end
      RUBY
    end

    # What ::Logger#add logs when it is given `message` and `progname`: the message, or the
    # block's value, or else the progname (then the progname is the logger's own); with the
    # progname that goes with it.
    def self.message(message, progname, own_progname, block)
      return [message, progname] unless message.nil?
      return [block.call, progname] if block

      [progname, own_progname]
    end

    # The readable text of a logged object: a String as it is, an Exception as "message
    # (Class)", anything else inspected.
    def self.text(message)
      case message
      when String then message
      when Exception then "#{message.message} (#{message.class})"
      else message.inspect
      end
    end

    # Sends the records of an existing ::Logger to otelrs too (under the scope `name`),
    # without changing the code that logs through it.
    def self.wrap(logger, name = logger.progname || "ruby")
      otel = Otelrs.native_logger(name, nil)
      logger.singleton_class.prepend(Mirror)
      logger.instance_variable_set(:@otelrs_logger, otel)
      logger
    end

    # Prepended to a wrapped ::Logger: each record it accepts also goes to otelrs.
    module Mirror
      def add(severity, message = nil, progname = nil, &block)
        severity ||= ::Logger::UNKNOWN
        return super if severity < level

        message, progname = Otelrs::Logger.message(message, progname, @progname, block)
        Otelrs.emit_log(@otelrs_logger, SEVERITY.fetch(severity, 21), Otelrs::Logger.text(message), message, {}, nil)
        super(severity, message, progname)
      end
    end

    private

    def write(severity, message, progname, traceparent, attributes, block)
      return true if severity < level

      message, progname = Logger.message(message, progname || @progname, @progname, block)
      Otelrs.emit_log(@otel, SEVERITY.fetch(severity, 21), body(severity, progname, message), message,
                      attributes, traceparent)
      true
    end

    def body(severity, progname, message)
      return @formatter.call(format_severity(severity), Time.now, progname, message).to_s if @formatter

      Logger.text(message)
    end
  end
end
