# frozen_string_literal: true

require "otelrs/native"

module Otelrs
  # The version of otelrs: that of the libotelrs loaded, which the gem is built with (both are
  # the crate's version).
  VERSION = Native.otelrs_version
end
