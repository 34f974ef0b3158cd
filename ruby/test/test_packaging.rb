# frozen_string_literal: true

require_relative "test_helper"

# The gem as users get it: `make gem` builds it with its own copy of libotelrs, which it
# loads when OTELRS_LIB is not set.
class TestPackaging < Minitest::Test
  include OtelrsTest

  ROOT = File.expand_path("../..", __dir__)

  def test_the_gem_installs_and_loads_its_own_libotelrs
    gem = Dir[File.join(ROOT, "build/gems/otelrs-*.gem")].max
    refute_nil gem, "no gem in build/gems: run make gem"
    Dir.mktmpdir do |dir|
      # ffi comes from the system's gems (Debian's ruby-ffi): the install may not fetch it.
      _, err, status = Open3.capture3("gem", "install", "--local", "--no-document", "--ignore-dependencies",
                                      "--install-dir", dir, gem)
      assert status.success?, err
      environ = env.merge("GEM_HOME" => dir, "GEM_PATH" => [dir, *Gem.path].join(":"), "OTEL_METRICS_EXPORTER" => "memory",
                          "OTEL_LOGS_EXPORTER" => "none")
      environ.delete("OTELRS_LIB") # the gem must find its own copy
      out, err, status = Open3.capture3(environ, RbConfig.ruby, "-e", <<~RUBY, unsetenv_others: true)
        require "otelrs"
        Otelrs.meter("m").counter("c").add(2)
        puts Otelrs::Native.ffi_libraries.map(&:name).join(",")
        puts Otelrs.collect_json
      RUBY
      assert status.success?, err
      lib, json = out.lines
      assert lib.start_with?(dir), lib
      assert_includes lib, "otelrs/vendor/libotelrs.so"
      assert_includes json, '"asDouble":2.0'
    end
  end
end
