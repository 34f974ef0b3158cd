# frozen_string_literal: true

# Built by `make gem` (this machine's platform) and `make dist` (every platform, and the source
# gem), each from a directory holding this file, lib/, and the workspace's Cargo.toml, whose
# version is the gem's. OTELRS_GEM_PLATFORM names the platform; `ruby` (the default) is the
# source gem, which carries the Rust sources and builds libotelrs with cargo when installed.
manifest = File.join(__dir__, "Cargo.toml")
unless File.exist?(manifest)
  raise "otelrs.gemspec: no Cargo.toml beside it: build the gems with `make gem` or `make dist`"
end
version = File.read(manifest)[/^version = "(.+)"/, 1]
platform = ENV.fetch("OTELRS_GEM_PLATFORM", "ruby")

Gem::Specification.new do |spec|
  spec.name = "otelrs"
  spec.version = version
  spec.platform = platform
  spec.summary = "OpenTelemetry metrics and logs for Ruby through libotelrs (a Rust core on the OpenTelemetry Rust SDK)"
  spec.description = "Counters, up-down counters, histograms, gauges, observable instruments and a ::Logger-compatible " \
                     "logger, exported over OTLP (gRPC or HTTP), to the console or to JSON-lines files, recorded " \
                     "in-process by libotelrs without the program waiting on I/O."
  spec.authors = ["otelrs"]
  spec.license = "Apache-2.0"
  spec.required_ruby_version = ">= 3.1"
  spec.files = Dir["lib/**/*.rb"] + %w[README.md LICENSE]
  if platform == "ruby"
    spec.extensions = ["ext/otelrs/extconf.rb"]
    spec.files += %w[ext/otelrs/extconf.rb Cargo.toml Cargo.lock] + Dir["{core,ffi}/**/*"].select { |f| File.file?(f) }
  else
    spec.files += ["lib/otelrs/vendor/libotelrs.so"]
  end
  spec.require_paths = ["lib"]
  spec.add_dependency "ffi", ">= 1.15"
end
