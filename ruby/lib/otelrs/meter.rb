# frozen_string_literal: true

module Otelrs
  # Creates instruments in one instrumentation scope. Values are Floats unless
  # `value_type: Integer` is given (then exported as integers).
  class Meter
    def initialize(handle)
      @ptr = handle
      @handle = FFI::AutoPointer.new(handle, Native.method(:otelrs_meter_free))
    end

    # @api private: the libotelrs meter.
    def native_handle
      @ptr
    end

    # A monotonic sum.
    def counter(name, unit: "", description: "", value_type: Float)
      sync(:counter, number(value_type, :u64), name, unit, description)
    end

    # A sum that goes up and down.
    def up_down_counter(name, unit: "", description: "", value_type: Float)
      sync(:up_down_counter, number(value_type, :i64), name, unit, description)
    end

    # A histogram; `boundaries:` sets its explicit buckets.
    def histogram(name, unit: "", description: "", boundaries: nil, value_type: Float)
      sync(:histogram, number(value_type, :u64), name, unit, description, boundaries)
    end

    # A gauge: the last value set per series.
    def gauge(name, unit: "", description: "", value_type: Float)
      sync(:gauge, number(value_type, :i64), name, unit, description)
    end

    # An observable counter whose block reports through an Otelrs::Observer.
    def observable_counter(name, unit: "", description: "", value_type: Float, &block)
      observable(:counter, number(value_type, :u64), name, unit, description, block)
    end

    # An observable up-down counter.
    def observable_up_down_counter(name, unit: "", description: "", value_type: Float, &block)
      observable(:up_down_counter, number(value_type, :i64), name, unit, description, block)
    end

    # An observable gauge.
    def observable_gauge(name, unit: "", description: "", value_type: Float, &block)
      observable(:gauge, number(value_type, :i64), name, unit, description, block)
    end

    private

    def number(value_type, integer)
      return :f64 if value_type == Float
      return integer if value_type == Integer

      raise ArgumentError, "value_type must be Integer or Float, got #{value_type.inspect}"
    end

    def sync(kind, number, name, unit, description, boundaries = nil)
      out = FFI::MemoryPointer.new(:pointer)
      c_name = :"otelrs_#{kind}_#{number}_new"
      status = if kind == :histogram
                 bounds = boundaries && FFI::MemoryPointer.new(:double, boundaries.size).tap do |m|
                   m.write_array_of_double(boundaries.map { |b| Float(b) })
                 end
                 Native.send(c_name, @ptr, name, unit, description, bounds, boundaries&.size || 0, out)
               else
                 Native.send(c_name, @ptr, name, unit, description, out)
               end
      Otelrs.check(status)
      KINDS.fetch(:"#{kind}_#{number}").new(kind, number, out.read_pointer, name, unit)
    end

    def observable(kind, number, name, unit, description, block)
      raise ArgumentError, "observable instrument #{name.inspect} needs a block" unless block

      instrument = ObservableInstrument.new(@ptr, kind, number, name, unit, description, block)
      Otelrs.keep(instrument)
      instrument
    end
  end
end
