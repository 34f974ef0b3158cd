# frozen_string_literal: true

# A Rack app measured by Otelrs::Rack::Middleware, with an access log, its metrics at
# /metrics of its own port (not measured: the exporter is outside the middleware).
require "otelrs"

Otelrs.configure
LOG = Otelrs::Logger.new("app")

use Otelrs::RackExporter
use Otelrs::Rack::Middleware, access_log: true

run lambda { |env|
  case env["PATH_INFO"]
  when %r{\A/users/(\d+)\z}
    env["otelrs.route"] = "/users/:id"
    LOG.info("user #{Regexp.last_match(1)}")
    [env["REQUEST_METHOD"] == "POST" ? 201 : 200, { "content-type" => "text/plain" }, ["user\n"]]
  when "/boom"
    raise "boom"
  else
    [404, { "content-type" => "text/plain" }, ["no\n"]]
  end
}
