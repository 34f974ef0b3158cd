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
      # It carries the project's README: the whole API and every setting.
      readme = File.read(Dir[File.join(dir, "gems/otelrs-*/README.md")].first)
      assert_includes readme, "\n## Ruby\n"
      assert_includes readme, "`OTEL_LOG_LEVEL`"
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

# The README's Ruby quick start runs as it is.
class TestReadme < Minitest::Test
  include OtelrsTest

  def test_the_readme_ruby_quick_start_runs
    readme = File.read(File.expand_path("../../README.md", __dir__))
    start = readme.index("## Ruby")
    code = readme[readme.index("```ruby\n", start) + 8...readme.index("```\n", readme.index("```ruby\n", start))]
    out = ok(code, env(OTEL_METRICS_EXPORTER: "console", OTEL_LOGS_EXPORTER: "console"))
    assert_includes out, '{paid=true, region="eu"} 1'
    assert_includes out, '{queue="a"} 3'
    assert_includes out, "[shop] order placed {order_id=42}"
    assert_includes out, "[shop] lazy message"
  end
end
