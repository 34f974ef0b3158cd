# frozen_string_literal: true

module Otelrs
  # Observable blocks are called from libotelrs's own thread, which the ffi gem hands to its
  # callback dispatcher thread. A forked child does not have that thread; the ffi gem starts a
  # new one when an FFI::Function is made, so one is made in the child right after the fork.
  module RestartCallbacksAfterFork
    def _fork
      pid = super
      FFI::Function.new(:void, []) {} if pid.zero?
      pid
    end
  end
  Process.singleton_class.prepend(RestartCallbacksAfterFork)

  # What an observable instrument's block reports through: `obs.observe(value, **attributes)`.
  class Observer
    def initialize(pointer, instrument)
      @pointer = pointer
      @instrument = instrument
    end

    # Reports `value` for the attributes (keywords or a Hash); any number per collection.
    def observe(value, attributes = nil, **kw)
      value = @instrument.number(value)
      ptr, count, keep = Attributes.build(attributes || kw)
      status = Native.send(@instrument.observe_function, @pointer, value, ptr, count)
      keep&.clear
      Otelrs.check(status)
      nil
    end
  end

  # An observable counter, up-down counter or gauge: its block runs at each collection, on an
  # otelrs thread. An exception in the block is reported (Otelrs.diagnose); the others still report.
  class ObservableInstrument
    attr_reader :name, :unit, :observe_function

    def initialize(meter, kind, number, name, unit, description, block)
      @name = name
      @unit = unit
      @number = number
      @observe_function = :"otelrs_observer_observe_#{number}"
      @block = block
      # Kept referenced as long as the instrument: libotelrs calls it.
      @callback = FFI::Function.new(:void, %i[pointer pointer]) { |observer, _| run(observer) }
      out = FFI::MemoryPointer.new(:pointer)
      Otelrs.check(Native.send(:"otelrs_observable_#{kind}_#{number}_new", meter, name, unit, description,
                               @callback, nil, out))
      @handle = FFI::AutoPointer.new(out.read_pointer, Native.method(:otelrs_observable_free))
    end

    # The value as this instrument's number type (see Otelrs.number).
    def number(value)
      Otelrs.number(value, @number, @name)
    end

    def inspect
      "#<#{self.class.name} #{@name.inspect}>"
    end

    private

    def run(observer)
      @block.call(Observer.new(observer, self))
    rescue StandardError => e
      Otelrs.diagnose(Otelrs::DIAG_WARN, "the block of observable instrument #{@name.inspect} failed: " \
                                         "#{e.class}: #{e.message}")
    end
  end
end
