# frozen_string_literal: true

module Otelrs
  # The gem's version: the version of the libotelrs it was made with.
  VERSION = "0.1.0"
end
