# frozen_string_literal: true

# A Rack app as a user writes it: otelrs set up as the app loads (settings from the
# environment), a counter of the requests it served, and the metrics at /metrics of its own
# port.
require "otelrs"

Otelrs.configure
REQUESTS = Otelrs.meter("app").counter("app.requests", unit: "{request}")

use Otelrs::RackExporter

run lambda { |env|
  REQUESTS.add(1, route: "/hit") if env["PATH_INFO"] == "/hit"
  [200, { "content-type" => "text/plain" }, [Process.pid.to_s]]
}
