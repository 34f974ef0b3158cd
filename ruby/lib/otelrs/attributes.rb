# frozen_string_literal: true

module Otelrs
  # Attribute hashes (Symbol or String keys; String, Symbol, Integer, Float, true/false values,
  # or Arrays of one of them) as the C attribute arrays of libotelrs.
  module Attributes
    INT64 = (-2**63..(2**63) - 1).freeze
    SCALAR_TYPES = { String => 0, Symbol => 0, TrueClass => 1, FalseClass => 1, Integer => 2, Float => 3 }.freeze

    module_function

    # The error for attributes given as something else than a Hash.
    def not_a_hash(value)
      TypeError.new("attributes must be a Hash, got #{value.class} (#{value.inspect})")
    end

    # The text of a key (`key` nil) or of a string value of the attribute `key`: a String
    # without NUL bytes.
    def text(value, key = nil)
      s = value.is_a?(Symbol) ? value.name : value
      if s.include?("\0")
        raise ArgumentError, "#{key.nil? ? 'attribute key' : "attribute #{key}"} contains a NUL byte: #{s.inspect}"
      end

      s
    end

    def key_text(key)
      unless key.is_a?(Symbol) || key.is_a?(String)
        raise TypeError, "attribute keys must be Symbols or Strings, got #{key.class} (#{key.inspect})"
      end

      text(key)
    end

    def value_type(key, value)
      SCALAR_TYPES.fetch(value.class) do
        raise TypeError, "attribute #{key}: values must be String, Symbol, Integer, Float, true, false or an " \
                         "Array of one of them, got #{value.class} (#{value.inspect})"
      end
    end

    # A pointer to `count` C attributes for `hash`, and the Ruby objects that keep the memory
    # they point to alive (hold them until the C call returns).
    def build(hash)
      return [nil, 0, nil] if hash.nil?
      raise not_a_hash(hash) unless hash.is_a?(Hash)
      return [nil, 0, nil] if hash.empty?

      mem = FFI::MemoryPointer.new(Native::Attribute, hash.size)
      keep = [mem]
      hash.each_with_index do |(k, v), i|
        key = key_text(k)
        a = Native::Attribute.new(mem + (i * Native::Attribute.size))
        a[:key] = keep_string(keep, key)
        if v.is_a?(::Array)
          set_array(a, key, v, keep)
        else
          set_scalar(a, key, v, keep)
        end
      end
      [mem, hash.size, keep]
    end

    def keep_string(keep, str)
      ptr = FFI::MemoryPointer.from_string(str)
      keep << ptr
      ptr
    end

    def set_scalar(attr, key, value, keep)
      type = value_type(key, value)
      attr[:type] = type
      case type
      when 0 then attr[:value][:string] = keep_string(keep, text(value, key))
      when 1 then attr[:value][:boolean] = value
      when 2 then attr[:value][:integer] = int64(key, value)
      else attr[:value][:dbl] = value
      end
    end

    def int64(key, value)
      raise RangeError, "attribute #{key}: #{value} does not fit in 64 bits" unless INT64.cover?(value)

      value
    end

    def set_array(attr, key, items, keep)
      types = items.map { |v| value_type(key, v) }.uniq
      raise TypeError, "attribute #{key}: the items of an Array must all have one type" if types.size > 1

      type = types.first || 0
      attr[:type] = 4 + type
      buf = case type
            when 0 then string_array(key, items, keep)
            when 1 then FFI::MemoryPointer.new(:bool, items.size).tap { |m| m.write_array_of_int8(items.map { |b| b ? 1 : 0 }) }
            when 2 then FFI::MemoryPointer.new(:int64, items.size).tap { |m| m.write_array_of_int64(items.map { |i| int64(key, i) }) }
            else FFI::MemoryPointer.new(:double, items.size).tap { |m| m.write_array_of_double(items) }
            end
      keep << buf
      attr[:value][:array][:items] = buf
      attr[:value][:array][:len] = items.size
    end

    def string_array(key, items, keep)
      ptrs = items.map { |s| keep_string(keep, text(s, key)) }
      FFI::MemoryPointer.new(:pointer, items.size).tap { |m| m.write_array_of_pointer(ptrs) }
    end

    # Array#pack formats of the packed form's values, by value type (see otelrs_log_packed in
    # otelrs.h: type byte, key and NUL, value).
    PACKED_VALUE = { 0 => "Z*", 1 => "C", 2 => "q<", 3 => "E" }.freeze

    # `hash` in libotelrs's packed form (otelrs_log_packed): one String written by one
    # Array#pack, with no native memory to allocate. Scalars are handled inline (this runs for
    # every log record with attributes); Arrays go through the methods above. For a log record
    # nothing raises: a nil value is left out, any other value (a Hash, an object, an Array of
    # mixed types) is written as its `to_s`. With `strict` (a measurement) such a value raises
    # TypeError, as in a C attribute array.
    def packed(hash, strict: false)
      raise not_a_hash(hash) unless hash.is_a?(Hash)
      return strict_packed(hash) if strict

      format = +""
      values = []
      hash.each_pair do |k, v|
        key = Symbol === k ? k.name : k
        key = key_text(k) unless String === key && !key.include?("\0")
        case v
        when String
          format << "CZ*Z*"
          values.push(0, key, v.include?("\0") ? text(v, key) : v)
        when Symbol
          format << "CZ*Z*"
          values.push(0, key, text(v, key))
        when Integer
          format << "CZ*q<"
          values.push(2, key, v.bit_length < 64 ? v : int64(key, v))
        when Float
          format << "CZ*E"
          values.push(3, key, v)
        when true, false
          format << "CZ*C"
          values.push(1, key, v ? 1 : 0)
        when nil
          next
        when ::Array
          types = v.map { |item| SCALAR_TYPES[item.class] }.uniq
          if types.size > 1 || types.include?(nil)
            format << "CZ*Z*"
            values.push(0, key, text(v.to_s, key))
          else
            packed_array(format, values, key, v, types.first || 0)
          end
        else
          format << "CZ*Z*"
          values.push(0, key, text(v.to_s, key))
        end
      end
      values.pack(format)
    end

    # `hash` in the packed form, refusing what a C attribute array cannot hold.
    def strict_packed(hash)
      format = +""
      values = []
      hash.each_pair do |k, v|
        key = key_text(k)
        if v.is_a?(::Array)
          types = v.map { |item| value_type(key, item) }.uniq
          raise TypeError, "attribute #{key}: the items of an Array must all have one type" if types.size > 1

          packed_array(format, values, key, v, types.first || 0)
        else
          type = value_type(key, v)
          format << "CZ*" << PACKED_VALUE.fetch(type)
          values.push(type, key, packed_value(key, v, type))
        end
      end
      values.pack(format)
    end

    # A frozen copy of an attribute Hash (the Hash itself when it and its values are frozen
    # already): a cache key that later changes to the caller's strings cannot alter.
    def frozen_copy(hash)
      return hash if deep_frozen?(hash)

      hash.to_h { |k, v| [k, deep_frozen?(v) ? v : deep_frozen_copy(v)] }.freeze
    end

    # Whether `value` (an attribute value or a Hash of them) can no longer change.
    def deep_frozen?(value)
      return false unless value.frozen?
      return value.all? { |item| deep_frozen?(item) } if value.is_a?(::Array)
      return value.each_value.all? { |item| deep_frozen?(item) } if value.is_a?(Hash)

      true
    end

    def deep_frozen_copy(value)
      value.is_a?(::Array) ? value.map { |item| deep_frozen_copy(item) }.freeze : value.dup.freeze
    end

    # An Array of items of one scalar `type` (see SCALAR_TYPES), in the packed form.
    def packed_array(format, values, key, items, type)
      format << "CZ*Q<" << (PACKED_VALUE.fetch(type) * items.size)
      values.push(4 + type, key, items.size)
      items.each { |item| values << packed_value(key, item, type) }
    end

    # A scalar of `type` (see SCALAR_TYPES) as Array#pack takes it for PACKED_VALUE.
    def packed_value(key, value, type)
      case type
      when 0 then text(value, key)
      when 1 then value ? 1 : 0
      when 2 then int64(key, value)
      else value
      end
    end

    # A prepared set (otelrs_attributes) for `hash`, freed when garbage collected.
    def prepared(hash)
      ptr, count, keep = build(hash)
      out = FFI::MemoryPointer.new(:pointer)
      Otelrs.check(Native.otelrs_attributes_new(ptr, count, out))
      keep&.clear
      FFI::AutoPointer.new(out.read_pointer, Native.method(:otelrs_attributes_free))
    end
  end
end
