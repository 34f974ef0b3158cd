# frozen_string_literal: true

# An exporter of one's own: each batch of log records, as OTLP JSON, appended as a line to a
# file (a block can as well post it, queue it, or hand it to a library of yours). otelrs calls
# it on its own thread, never the program's.
#
#   ruby -Iruby/lib examples/ruby/file_exporter.rb /tmp/otelrs-batches.jsonl
require "otelrs"

path = ARGV.fetch(0, "otelrs-batches.jsonl")
File.open(path, "a") do |file|
  to_file = Otelrs::Exporter.new("jsonl", format: :json) do |batch|
    file.write(batch, "\n")
    file.flush
    true # :retry asks otelrs to try the batch again later; false or :failure loses it
  end
  Otelrs.configure(service_name: "checkout", logs_exporter: "none", metrics_exporter: "none",
                   log_exporters: [to_file])
  logger = Otelrs::Logger.new("shop")
  logger.info("order placed", order_id: "A-17")
  logger.warn("payment slow", ms: 950)
  Otelrs.flush
  puts Otelrs.health["exporters"].first.slice("exporter", "status", "exported")
  Otelrs.shutdown
end
