# frozen_string_literal: true

# Builds libotelrs from the gem's Rust sources with cargo when the source gem (platform `ruby`)
# is installed, and writes the Makefile that RubyGems then runs to put the library into the
# gem's lib/otelrs/vendor, where Otelrs::Native loads it from. CARGO names cargo if it is not
# on PATH; CARGO_TARGET_DIR, when set, is used (and its earlier builds reused).
require "rbconfig"

cargo = ENV.fetch("CARGO", "cargo")
unless system(cargo, "--version", out: File::NULL, err: File::NULL)
  abort <<~MESSAGE
    otelrs: installing the otelrs source gem builds libotelrs with Rust's cargo (Rust 1.80 or
    later), and `#{cargo}` is not on PATH. Install Rust (https://rustup.rs), or set CARGO to
    cargo's path, and install the gem again. On x86_64 and aarch64 Linux, with glibc 2.17+ or
    musl, the platform gems carry a built libotelrs and need no Rust.
  MESSAGE
end

root = File.expand_path("../..", __dir__)
target_dir = ENV.fetch("CARGO_TARGET_DIR", File.join(Dir.pwd, "target"))
built = File.join(target_dir, "release", "libotelrs.so")
command = [cargo, "build", "--release", "-p", "otelrs-ffi", "--manifest-path", File.join(root, "Cargo.toml"),
           "--target-dir", target_dir]
puts command.join(" ")
system(*command) || abort("otelrs: `#{command.join(' ')}` failed (its output is above)")

# RubyGems gives the directory to install into as RbConfig's sitearchdir (set for this run).
File.write("Makefile", <<~MAKEFILE)
  sitearchdir = #{RbConfig::CONFIG.fetch("sitearchdir")}
  all:
  clean:
  install:
  \tmkdir -p $(sitearchdir)/otelrs/vendor
  \tcp #{built} $(sitearchdir)/otelrs/vendor/libotelrs.so
  \tif command -v strip >/dev/null; then strip --strip-debug --strip-unneeded $(sitearchdir)/otelrs/vendor/libotelrs.so; fi
MAKEFILE
