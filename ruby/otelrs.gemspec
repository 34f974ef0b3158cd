# frozen_string_literal: true

require_relative "lib/otelrs/version"

Gem::Specification.new do |spec|
  spec.name = "otelrs"
  spec.version = Otelrs::VERSION
  spec.summary = "OpenTelemetry metrics and logs for Ruby through libotelrs (a Rust core on the OpenTelemetry Rust SDK)"
  spec.description = "Counters, up-down counters, histograms, gauges, observable instruments and a ::Logger-compatible " \
                     "logger, exported over OTLP (gRPC or HTTP), to the console or to JSON-lines files, recorded " \
                     "in-process by libotelrs without the program waiting on I/O."
  spec.authors = ["otelrs"]
  spec.license = "Apache-2.0"
  spec.required_ruby_version = ">= 3.1"
  spec.files = Dir["lib/**/*.rb"] + Dir["lib/otelrs/vendor/libotelrs.so"] + ["README.md"]
  spec.require_paths = ["lib"]
  spec.add_dependency "ffi", ">= 1.15"
end
