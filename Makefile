# Build and install libotelrs (shared and static), its header and otelrs.pc.
#
#   make                      build the release library
#   make install PREFIX=/usr/local
#   make demo                 build, install into build/prefix, run examples-c/counter_histogram
#   make wheel                the Python package's abi3 wheel, into build/wheels
#   make gem                  the Ruby gem for this machine with its own libotelrs.so, into build/gems
#   make dist                 for x86_64 and aarch64 Linux, glibc 2.17+ and musl: the library
#                             archives, abi3 wheels and platform gems, the sdist and the source
#                             gem, into build/dist (DIST_TARGETS=x86_64-linux-gnu,... for some)
#   make dist-check           checks them (symbol versions, sizes, tags, the C examples natively,
#                             with musl and under qemu-aarch64, a fresh venv, the platform gem)
#   make test                 everything the tests need, then every test (tests/run-all.sh)
#   make soak                 a 90 s run through a 60 s Collector outage (tests/soak.py)

PREFIX ?= /usr/local
CARGO ?= cargo
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR := $(word 1,$(subst ., ,$(VERSION)))
MINOR := $(word 2,$(subst ., ,$(VERSION)))
SOVERSION := $(if $(filter 0,$(MAJOR)),0.$(MINOR),$(MAJOR))
LIBDIR := $(PREFIX)/lib
DEMO_PREFIX := $(CURDIR)/build/prefix

PYTHON ?= python3
STRIP ?= strip

.PHONY: all build install uninstall demo wheel gem dist dist-check test soak clean

all: build

build:
	$(CARGO) build --release -p otelrs-ffi

install: build
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 $(TARGET_DIR)/release/libotelrs.so $(DESTDIR)$(LIBDIR)/libotelrs.so.$(VERSION)
	ln -sf libotelrs.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libotelrs.so.$(SOVERSION)
	ln -sf libotelrs.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libotelrs.so
	install -m 644 $(TARGET_DIR)/release/libotelrs.a $(DESTDIR)$(LIBDIR)/libotelrs.a
	# Installed without debug information, as distributions ship libraries (the build keeps it).
	$(STRIP) --strip-debug $(DESTDIR)$(LIBDIR)/libotelrs.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libotelrs.a
	install -m 644 include/otelrs.h $(DESTDIR)$(PREFIX)/include/otelrs.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' otelrs.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/otelrs.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libotelrs.so* $(DESTDIR)$(LIBDIR)/libotelrs.a \
	      $(DESTDIR)$(PREFIX)/include/otelrs.h $(DESTDIR)$(LIBDIR)/pkgconfig/otelrs.pc

demo:
	$(MAKE) install PREFIX=$(DEMO_PREFIX)
	PKG_CONFIG_PATH=$(DEMO_PREFIX)/lib/pkgconfig $(MAKE) -C examples-c run-demo

wheel:
	$(PYTHON) -m pip install -q --disable-pip-version-check 'maturin>=1.9,<2'
	rm -f build/wheels/otelrs-*.whl
	cd python && $(PYTHON) -m maturin build --release --quiet -o ../build/wheels

DIST_TARGETS ?= x86_64-linux-gnu,aarch64-linux-gnu,x86_64-linux-musl,aarch64-linux-musl

dist:
	$(PYTHON) packaging/dist.py --targets $(DIST_TARGETS)

dist-check:
	$(PYTHON) packaging/dist.py --check --targets $(DIST_TARGETS)

# The gem is built from a copy of ruby/ with the project's README, LICENSE, Cargo.toml (its
# version) and its own libotelrs, for this machine's platform.
gem: build
	rm -rf build/gem-src && install -d build/gem-src build/gems
	cp -r ruby/lib ruby/otelrs.gemspec README.md LICENSE Cargo.toml build/gem-src/
	install -d build/gem-src/lib/otelrs/vendor
	install -m 755 $(TARGET_DIR)/release/libotelrs.so build/gem-src/lib/otelrs/vendor/libotelrs.so
	strip --strip-debug build/gem-src/lib/otelrs/vendor/libotelrs.so
	rm -f build/gems/otelrs-*.gem
	cd build/gem-src && OTELRS_GEM_PLATFORM=$$(ruby -e 'print Gem::Platform.local') \
	    gem build --quiet otelrs.gemspec -o ../gems/otelrs-$(VERSION)-$$(ruby -e 'print Gem::Platform.local').gem

test:
	tests/run-all.sh

soak:
	$(MAKE) install PREFIX=$(DEMO_PREFIX)
	$(PYTHON) tests/soak.py

clean:
	$(CARGO) clean
	rm -rf build
	$(MAKE) -C examples-c clean
