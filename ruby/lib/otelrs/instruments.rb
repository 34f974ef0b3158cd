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
  #
  # Each kind and number type has its own subclass, whose recording method is written out
  # for it (see KINDS below): the instrument binds itself to each attribute Hash it sees (up to
  # SET_CACHE_LIMIT of them), found again by the Hash's `#hash` and then compared with the
  # Hash it was bound for (`equal?`, else `eql?`: an Integer and a Float are different values),
  # so a later call costs one hash, one comparison and one bound call, and two attribute sets
  # are never one series. A set not cached (the cache is full, or another set has its `#hash`)
  # is recorded through libotelrs's packed call, whose bytes identify the series exactly.
  class Instrument
    # Attribute sets bound per instrument (as many as the SDK's default cardinality limit).
    SET_CACHE_LIMIT = 2000

    attr_reader :name, :unit

    def initialize(kind, number, handle, name, unit)
      @kind = :"#{kind}_#{number}"
      @number = number
      @name = name
      @unit = unit
      @ptr = handle
      @handle = FFI::AutoPointer.new(handle, Native.method(:"otelrs_#{@kind}_free"))
      # Hash#hash of an attribute Hash => [that Hash (or a frozen copy), a plain Pointer to the
      # bound instrument for it]. Replaced, never changed, so that recording reads it without
      # the lock; @handles keeps the bound instruments alive.
      @bound = {}.freeze
      @handles = []
      # Deeply frozen attribute Hashes (constants) => the Pointer of their series, by identity:
      # one cheap lookup, no comparison. Replaced like @bound.
      @frozen = {}.compare_by_identity.freeze
      @lock = Mutex.new
      @refused_reported = false
    end

    # This instrument bound to the attributes: recording through it takes only the value.
    def bind(attributes = nil, **kw)
      BOUND.fetch(@kind).new(self, bound_handle(attributes || kw))
    end

    def inspect
      "#<#{self.class.superclass.name} #{@name.inspect}>"
    end

    # The value as the instrument's number type, or TypeError / RangeError naming it.
    def number(value)
      Otelrs.number(value, @number, @name)
    end

    # @api private: says once, with `warn`, that a measurement was dropped for `error`.
    def report_refused(error)
      return if @refused_reported

      @refused_reported = true
      Otelrs.diagnose(Otelrs::DIAG_WARN, "a measurement of instrument #{@name.inspect} was dropped: #{error.class}: " \
                                         "#{error.message} (reported once per instrument; OTELRS_STRICT=true raises " \
                                         "instead)")
    end

    # @api private: the error a recording call of `value` met (`error`), or, when the value
    # itself is what is wrong, the error that names the instrument and the value.
    def recording_error(value, error)
      number(value)
      error
    rescue TypeError, RangeError => e
      e
    end

    private

    # A new bound instrument (handle) for the attribute Hash.
    def bound_handle(attributes)
      set = Attributes.prepared(attributes)
      out = FFI::MemoryPointer.new(:pointer)
      Otelrs.check(Native.send(:"otelrs_#{@kind}_bind", @ptr, set, out))
      FFI::AutoPointer.new(out.read_pointer, Native.method(:"otelrs_bound_#{@kind}_free"))
    end

    # Finds a deeply frozen attribute Hash by its identity from now on.
    def remember_frozen(attributes, pointer)
      return unless Attributes.deep_frozen?(attributes)

      @lock.synchronize do
        @frozen = @frozen.merge(attributes => pointer).freeze if @frozen.size < SET_CACHE_LIMIT
      end
    end

    # Records `value` for `attributes` that the cache did not answer: binds and caches them
    # when there is room and their `#hash` is free, otherwise records them packed.
    def record_uncached(value, attributes)
      code = attributes.hash
      handle = @lock.synchronize do
        if !@bound.key?(code) && @bound.size < SET_CACHE_LIMIT
          auto = bound_handle(attributes)
          @handles << auto
          pointer = FFI::Pointer.new(auto.address)
          @bound = @bound.merge(code => [Attributes.frozen_copy(attributes), pointer].freeze).freeze
          pointer
        end
      end
      return c_record_bound(handle, value) if handle

      packed = Attributes.packed(attributes, strict: true)
      c_record_packed(@ptr, value, packed, packed.bytesize)
    end
  end

  # A monotonic sum: #add(value, attributes = nil, **attributes) adds a non-negative value.
  class Counter < Instrument; end

  # A sum that goes up and down: #add(value, attributes = nil, **attributes), any sign.
  class UpDownCounter < Instrument; end

  # A distribution of values in buckets: #record(value, attributes = nil, **attributes).
  class Histogram < Instrument
    # Runs the block and records how long it took, in the histogram's unit (a unit of time
    # such as s, ms or us; seconds for any other unit); returns the block's value.
    def time(attributes = nil, **kw)
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      yield
    ensure
      @per_second ||= Native.otelrs_unit_per_second(unit.to_s)
      elapsed = (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started) * @per_second
      record(@number == :f64 ? elapsed : elapsed.round, attributes || kw)
    end
  end

  # The last value set per series: #set(value, attributes = nil, **attributes).
  class Gauge < Instrument; end

  # An instrument bound to one attribute set: `add`, `record` or `set` takes only the value.
  class BoundInstrument
    def initialize(parent, handle)
      @parent = parent
      @handle = handle # frees the bound instrument when garbage collected
      @ptr = FFI::Pointer.new(handle.address) # a plain Pointer: the cheapest argument for ffi
    end

    def inspect
      "#<Otelrs::BoundInstrument #{@parent.name.inspect}>"
    end
  end

  # The recording methods of each kind of instrument and of its bound form, written out once
  # per kind: a direct call is much cheaper than a Method object's #call or a branch per call.
  #
  # Float instruments hand the value to the ffi gem, which converts any real number to a
  # double itself; what it refuses goes through Instrument#number for an error that names the
  # instrument. Integer instruments check the value first: the ffi gem would truncate a Float
  # and wrap a negative number into an unsigned one.
  KINDS = {}
  BOUND = {}
  { counter: Counter, up_down_counter: UpDownCounter, histogram: Histogram, gauge: Gauge }.each do |kind, base|
    Native::SYNC.each_key.select { |k| k.to_s.start_with?("#{kind}_") }.each do |name|
      c_method = Native::SYNC.fetch(name).first
      call = "#{name}_#{c_method}"
      ruby_method = kind == :gauge ? "set" : c_method
      check = if name.end_with?("f64")
                ""
              else
                range = name.end_with?("u64") ? "value >= 0 && value <= 0xFFFF_FFFF_FFFF_FFFF" : "value.bit_length < 64"
                "value = number(value) unless Integer === value && #{range}"
              end
      instrument = Class.new(base)
      instrument.class_eval <<~RUBY, __FILE__, __LINE__ + 1
        def #{ruby_method}(value, attributes = nil, **kw)
          #{check}
          attributes ||= kw
          status = if attributes.empty?
                     raise Attributes.not_a_hash(attributes) unless Hash === attributes

                     Native.otelrs_#{call}(@ptr, value, nil, 0)
                   elsif attributes.frozen? && (pointer = @frozen[attributes])
                     Native.otelrs_bound_#{call}(pointer, value)
                   elsif (entry = @bound[attributes.hash]) && (entry[0].equal?(attributes) || entry[0].eql?(attributes))
                     remember_frozen(attributes, entry[1]) if attributes.frozen?
                     Native.otelrs_bound_#{call}(entry[1], value)
                   else
                     record_uncached(value, attributes)
                   end
          Otelrs.refused(self, Otelrs.error(status)) unless status.zero?
          nil
        rescue TypeError, RangeError, ArgumentError => e
          Otelrs.refused(self, recording_error(value, e))
        end

        private

        def c_record_bound(ptr, value) = Native.otelrs_bound_#{call}(ptr, value)
        def c_record_packed(ptr, value, bytes, len) = Native.otelrs_#{call}_packed(ptr, value, bytes, len)
      RUBY
      KINDS[name] = instrument

      bound = Class.new(BoundInstrument)
      bound.class_eval <<~RUBY, __FILE__, __LINE__ + 1
        def #{ruby_method}(value)
          #{check.sub('number(', '@parent.number(')}
          status = Native.otelrs_bound_#{call}(@ptr, value)
          Otelrs.refused(@parent, Otelrs.error(status)) unless status.zero?
          nil
        rescue TypeError, RangeError, ArgumentError => e
          Otelrs.refused(@parent, @parent.recording_error(value, e))
        end
      RUBY
      BOUND[name] = bound
    end
  end
  KINDS.freeze
  BOUND.freeze
  private_constant :KINDS, :BOUND
end
