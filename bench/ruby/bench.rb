# frozen_string_literal: true

# Ruby benchmark: otelrs's hot paths next to the floor of a trivial ffi call, in one run.
# Prints a Markdown section for bench/RESULTS.md (bench/run.py includes it). Run alone with
#
#   OTELRS_LIB=build/prefix/lib/libotelrs.so ruby -Iruby/lib bench/ruby/bench.rb

ENV["OTEL_METRICS_EXPORTER"] = "memory"
ENV["OTEL_LOGS_EXPORTER"] = "discard"
require "otelrs"

# The floor: a trivial C function through the same ffi gem.
module Floor
  extend FFI::Library
  ffi_lib FFI::Library::LIBC
  attach_function :abs, [:int], :int
end

N = 500_000
ROUNDS = 7

def measure(n = N)
  runs = Array.new(ROUNDS) do
    GC.start
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
    i = 0
    while i < n
      yield
      i += 1
    end
    (Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond) - started).to_f / n
  end
  runs.sort[ROUNDS / 2]
end

meter = Otelrs.meter("bench")
counter = meter.counter("bench.counter")
bound = counter.bind(http_method: "GET", http_route: "/users", region: "eu")
logger = Otelrs::Logger.new("bench")

floor = measure { Floor.abs(-1) }
add = measure { counter.add(1, http_method: "GET", http_route: "/users", region: "eu") }
ATTRS = { http_method: "GET", http_route: "/users", region: "eu" }.freeze
add_frozen = measure { counter.add(1, ATTRS) }
bound_add = measure { bound.add(1) }
info = measure { logger.info("order placed") }
info_attrs = measure { logger.info("order placed", order_id: 42) }
info_attrs3 = measure { logger.info("order placed", http_method: "GET", http_route: "/users", region: "eu") }

# A Rack request called directly (no server): the app bare, and behind Otelrs::Rack::Middleware
# (the body closed, as a server closes it).
RACK_APP = ->(_env) { [200, { "content-type" => "text/plain" }, ["hello"]] }
RACK_ENV = { "REQUEST_METHOD" => "GET", "PATH_INFO" => "/users/1", "rack.url_scheme" => "http",
             "SERVER_PROTOCOL" => "HTTP/1.1", "otelrs.route" => "/users/:id" }.freeze
measured = Otelrs::Rack::Middleware.new(RACK_APP)
rack_bare = measure(50_000) { RACK_APP.call(RACK_ENV.dup)[2].each { |_| nil } }
rack_measured = measure(50_000) do
  body = measured.call(RACK_ENV.dup)[2]
  body.each { |_| nil }
  body.close
end

puts <<~MD
  ## Ruby

  ns per call, median of #{ROUNDS} rounds x #{N.to_s.reverse.scan(/\d{1,3}/).join(',').reverse} calls, one thread
  (#{RUBY_DESCRIPTION.split(' [').first}, ffi #{FFI::VERSION}). otelrs: memory metrics reader, `discard` log exporter.
  Command: `OTELRS_LIB=build/prefix/lib/libotelrs.so ruby -Iruby/lib bench/ruby/bench.rb` (also run by bench/run.py).

  | Operation | ns/call |
  |---|---:|
  | Floor: a trivial C call through the ffi gem (`abs(-1)` from libc) | #{format('%.0f', floor)} |
  | Counter add, 3 attributes as keywords | #{format('%.0f', add)} |
  | Counter add, 3 attributes as a frozen Hash (a constant) | #{format('%.0f', add_frozen)} |
  | Bound counter add | #{format('%.0f', bound_add)} |
  | `Otelrs::Logger#info`, no attributes | #{format('%.0f', info)} |
  | `Otelrs::Logger#info`, one attribute | #{format('%.0f', info_attrs)} |
  | `Otelrs::Logger#info`, 3 attributes | #{format('%.0f', info_attrs3)} |
  | A Rack request called directly: the app bare / behind `Otelrs::Rack::Middleware` (50,000 calls a round) | #{format('%.0f', rack_bare)} / #{format('%.0f', rack_measured)} |

  The middleware's cost per request: #{format('%.0f', rack_measured - rack_bare)} ns (the official Ruby
  instrumentation cannot be installed here to compare).

  The official Ruby SDK (opentelemetry-metrics-sdk) cannot be installed here (no access to
  rubygems.org), so it is compared with its published figure of 4-5 us per counter call.

  Targets:
  - bound add within 2x of the ffi floor: **#{format('%.2f', bound_add / floor)}x** (#{bound_add <= 2 * floor ? 'met' : 'missed'}).
  - counter add with attributes at least 10x faster than 4-5 us (400-500 ns): with keywords
    **#{format('%.1f', 4000 / add)}x** faster than 4 us and **#{format('%.1f', 5000 / add)}x** than 5 us; with a frozen Hash
    **#{format('%.1f', 4000 / add_frozen)}x** and **#{format('%.1f', 5000 / add_frozen)}x**.
MD
