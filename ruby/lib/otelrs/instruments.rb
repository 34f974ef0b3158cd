# frozen_string_literal: true

module Otelrs
  # `value` as the number type `number` (:f64, :u64 or :i64) of the instrument `name`: any
  # real Integer or Float for :f64, an Integer in range otherwise; TypeError / RangeError
  # naming the instrument.
  def self.number(value, number, name)
    case number
    when :f64
      return value.to_f if value.is_a?(Integer) || value.is_a?(Float)
    when :u64, :i64
      if value.is_a?(Integer)
        range = number == :u64 ? (0..(2**64) - 1) : Attributes::INT64
        return value if range.cover?(value)

        raise RangeError, "instrument #{name.inspect}: #{value} is out of the range of " \
                          "#{number == :u64 ? 'a non-negative' : 'a'} 64-bit integer"
      end
      if value.is_a?(Float)
        raise TypeError, "instrument #{name.inspect} records Integers (value_type: Integer), got the Float #{value}"
      end
    end
    raise TypeError, "instrument #{name.inspect} records numbers, got #{value.class} (#{value.inspect})"
  end

  # A synchronous instrument: Counter (#add), UpDownCounter (#add), Histogram (#record,
  # #time), Gauge (#set). Attributes come as keyword arguments or a Hash. Thread-safe.
  class Instrument
    # Attribute sets kept per instrument (as many as the SDK's default cardinality limit).
    SET_CACHE_LIMIT = 2000

    attr_reader :name, :unit

    def initialize(kind, number, handle, name, unit)
      @kind = :"#{kind}_#{number}"
      @number = number
      @name = name
      @unit = unit
      @ptr = handle
      @handle = FFI::AutoPointer.new(handle, Native.method(:"otelrs_#{@kind}_free"))
      extend CALLS.fetch(@kind)
      @sets = {}
      # Frozen attribute hashes (constants) are found by identity first: no hashing at all.
      @frozen_sets = {}.compare_by_identity
      @lock = Mutex.new
    end

    # This instrument bound to the attributes: recording through it takes only the value.
    def bind(attributes = nil, **kw)
      set = prepared(attributes || kw)
      out = FFI::MemoryPointer.new(:pointer)
      Otelrs.check(Native.send(:"otelrs_#{@kind}_bind", @ptr, set, out))
      BOUND.fetch(@kind).new(self, out.read_pointer, Native.method(:"otelrs_bound_#{@kind}_free"))
    end

    def inspect
      "#<#{self.class.name} #{@name.inspect}>"
    end

    # The value as the instrument's number type, or TypeError / RangeError naming it.
    def number(value)
      Otelrs.number(value, @number, @name)
    end

    private

    def record(value, attributes)
      value = number(value) unless Float === value && @number == :f64
      if attributes.nil? || attributes.empty?
        Otelrs.check(c_record(@ptr, value, nil, 0))
        return nil
      end
      set = @frozen_sets[attributes] || lookup(attributes)
      status = if set
                 c_record_set(@ptr, value, set)
               else
                 ptr, count, keep = Attributes.build(attributes)
                 s = c_record(@ptr, value, ptr, count)
                 keep.clear
                 s
               end
      Otelrs.check(status)
      nil
    end

    def lookup(attributes)
      set = @sets[attributes] || cache(attributes)
      if set && attributes.frozen? && @frozen_sets.size < SET_CACHE_LIMIT
        @lock.synchronize { @frozen_sets = @frozen_sets.merge(attributes => set) }
      end
      set
    end

    # The prepared set of `attributes`, cached; nil once the cache is full.
    def cache(attributes)
      @lock.synchronize do
        return @sets[attributes] if @sets.key?(attributes)
        return nil if @sets.size >= SET_CACHE_LIMIT

        set = Attributes.prepared(attributes)
        @sets = @sets.merge(attributes.dup.freeze => set)
        set
      end
    end

    def prepared(attributes)
      @sets[attributes] || cache(attributes) || Attributes.prepared(attributes)
    end
  end

  # A monotonic sum.
  class Counter < Instrument
    # Adds a non-negative `value` for the attributes (keywords or a Hash).
    def add(value, attributes = nil, **kw)
      record(value, attributes || kw)
    end
  end

  # A sum that goes up and down.
  class UpDownCounter < Instrument
    # Adds `value` (any sign) for the attributes.
    def add(value, attributes = nil, **kw)
      record(value, attributes || kw)
    end
  end

  # A distribution of values in buckets.
  class Histogram < Instrument
    PER_SECOND = { "ms" => 1e3, "us" => 1e6, "μs" => 1e6, "ns" => 1e9, "min" => 1.0 / 60 }.freeze

    # Records `value` for the attributes.
    def record(value, attributes = nil, **kw)
      super(value, attributes || kw)
    end

    # Runs the block and records how long it took, in the histogram's unit (s, ms, us, ns;
    # seconds for any other unit); returns the block's value.
    def time(attributes = nil, **kw)
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      yield
    ensure
      elapsed = (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started) * PER_SECOND.fetch(unit, 1.0)
      record(@number == :f64 ? elapsed : elapsed.round, attributes || kw)
    end
  end

  # The last value set per series.
  class Gauge < Instrument
    # Sets `value` for the attributes.
    def set(value, attributes = nil, **kw)
      record(value, attributes || kw)
    end
  end

  # An instrument bound to one attribute set: `add`, `record` or `set` takes only the value.
  class BoundInstrument
    def initialize(parent, handle, free)
      @parent = parent
      @ptr = handle
      @handle = FFI::AutoPointer.new(handle, free)
    end

    def inspect
      "#<Otelrs::BoundInstrument #{@parent.name.inspect}>"
    end
  end

  # The C calls of each kind of instrument, written out once per kind (a direct call is
  # much cheaper than a Method object's #call), and the bound classes.
  CALLS = {}
  BOUND = {}
  Native::SYNC.each do |kind, (method, _)|
    calls = Module.new
    calls.module_eval <<~RUBY, __FILE__, __LINE__ + 1
      def c_record(ptr, value, attrs, count) = Native.otelrs_#{kind}_#{method}(ptr, value, attrs, count)
      def c_record_set(ptr, value, set) = Native.otelrs_#{kind}_#{method}_set(ptr, value, set)
    RUBY
    CALLS[kind] = calls

    ruby_method = kind.to_s.start_with?("gauge") ? "set" : method
    bound = Class.new(BoundInstrument)
    if kind.to_s.end_with?("f64")
      # The ffi gem converts any real number to a double itself; what it refuses is sent
      # through Instrument#number for an error that names the instrument.
      bound.class_eval <<~RUBY, __FILE__, __LINE__ + 1
        def #{ruby_method}(value)
          status = Native.otelrs_bound_#{kind}_#{method}(@ptr, value)
          Otelrs.check(status) unless status.zero?
          nil
        rescue TypeError, RangeError
          @parent.number(value)
          raise
        end
      RUBY
    else
      # Integers are checked here: the ffi gem would truncate a Float, and wrap a negative
      # number into an unsigned one.
      range = kind.to_s.end_with?("u64") ? "value >= 0 && value <= 0xFFFF_FFFF_FFFF_FFFF" : "value.bit_length < 64"
      bound.class_eval <<~RUBY, __FILE__, __LINE__ + 1
        def #{ruby_method}(value)
          value = @parent.number(value) unless Integer === value && #{range}
          status = Native.otelrs_bound_#{kind}_#{method}(@ptr, value)
          Otelrs.check(status) unless status.zero?
          nil
        end
      RUBY
    end
    BOUND[kind] = bound
  end
  CALLS.freeze
  BOUND.freeze
  private_constant :CALLS, :BOUND
end
