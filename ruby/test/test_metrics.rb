# frozen_string_literal: true

require_relative "test_helper"

# Every instrument kind from Ruby, attribute types, binding, timing and observable blocks,
# read back through the memory exporter as the OTLP JSON otelrs exports.
class TestMetrics < Minitest::Test
  include OtelrsTest

  MEMORY = { OTEL_METRICS_EXPORTER: "memory", OTEL_LOGS_EXPORTER: "none" }.freeze

  def collect(code)
    out = ok("meter = Otelrs.meter(\"rb.test\", version: \"1.2\")\n#{code}\nputs Otelrs.collect_json", env(**MEMORY))
    metrics(JSON.parse(out.lines.last))
  end

  def test_histogram_summaries_give_quantiles_within_their_bound
    settings = env(OTEL_METRICS_EXPORTER: "memory", OTEL_LOGS_EXPORTER: "none",
                   OTELRS_METRICS_VIEWS: "instrument_name=rpc.exp,aggregation=base2_exponential_bucket_histogram")
    out = ok(<<~RUBY, settings)
      meter = Otelrs.meter("rpc")
      explicit = meter.histogram("rpc.size", unit: "By", boundaries: [10, 100, 1000])
      exponential = meter.histogram("rpc.exp", unit: "s")
      values = (0...1000).map { |i| 0.001 * (1.01**i) }
      values.each { |v| exponential.record(v, method: "get") }
      [5, 50, 60, 70, 500, 5000].each { |v| explicit.record(v) }
      puts JSON.generate(Otelrs.histogram_summary("rpc.exp", { method: "get" }, quantiles: [0.5, 0.99]))
      puts JSON.generate(Otelrs.histogram_summary("rpc.size", quantiles: [0.5]))
      puts JSON.generate([values.sort[499], values.sort[989]])
      begin
        Otelrs.histogram_summary("rpc.exp", { method: "put" })
      rescue Otelrs::InvalidArgumentError => e
        puts e.message
      end
    RUBY
    exp, explicit, exact, missing = out.lines
    exp = JSON.parse(exp)
    p50, p99 = JSON.parse(exact)
    bound = exp["relative_error"]
    assert_operator bound, :<, 0.05 # 1000 values over four decades in 160 buckets: scale 3
    assert_equal 1000, exp["count"]
    assert_operator (exp["quantiles"]["0.5"] - p50).abs / p50, :<=, bound
    assert_operator (exp["quantiles"]["0.99"] - p99).abs / p99, :<=, bound
    # Rank 3 of 6, the second of the 3 in (10, 100]: 10 + 90 * 2/3.
    assert_equal({ "count" => 6, "sum" => 5685.0, "min" => 5.0, "max" => 5000.0, "quantiles" => { "0.5" => 70.0 },
                   "relative_error" => nil }, JSON.parse(explicit))
    assert_includes missing, "no series of histogram rpc.exp has the attributes {method=put}"
  end

  def test_every_synchronous_instrument_with_every_attribute_type
    got = collect(<<~RUBY)
      attrs = { s: "x", sym: :y, b: true, f: false, i: -3, d: 1.5, ss: %w[a b], is: [1, 2], ds: [0.5, 2.0], bs: [true, false] }
      c = meter.counter("rb.counter", unit: "{item}", description: "items")
      c.add(2, attrs)
      c.add(3.5, **attrs)
      c.add(1)
      c.add(1, "region" => "eu")
      u = meter.up_down_counter("rb.updown")
      u.add(5, q: "a")
      u.add(-7, q: "a")
      h = meter.histogram("rb.histogram", unit: "ms", boundaries: [1, 10])
      [0.5, 5, 50].each { |v| h.record(v, route: "/x") }
      g = meter.gauge("rb.gauge")
      g.set(3, cpu: 0)
      g.set(4.25, cpu: 0)
    RUBY
    counter = got.fetch("rb.counter")
    assert_equal ["{item}", "items", true], [counter["unit"], counter["description"], counter.dig("sum", "isMonotonic")]
    full = { "s" => "x", "sym" => "y", "b" => true, "f" => false, "i" => -3, "d" => 1.5, "ss" => %w[a b],
             "is" => [1, 2], "ds" => [0.5, 2.0], "bs" => [true, false] }
    by = points(counter)
    assert_equal 5.5, number(by.fetch(full))
    assert_equal 1.0, number(by.fetch({}))
    assert_equal 1.0, number(by.fetch({ "region" => "eu" }))
    assert_equal(-2.0, number(points(got.fetch("rb.updown")).fetch({ "q" => "a" })))
    hist = points(got.fetch("rb.histogram")).fetch({ "route" => "/x" })
    assert_equal [1.0, 10.0], hist["explicitBounds"]
    assert_equal [1, 1, 1], hist["bucketCounts"].map { |c| Integer(c) }
    assert_equal 55.5, hist["sum"]
    assert_equal 4.25, number(points(got.fetch("rb.gauge")).fetch({ "cpu" => 0 }))
  end

  def test_each_attribute_set_reaches_its_own_series_however_it_is_passed
    got = collect(<<~RUBY)
      c = meter.counter("rb.sets", value_type: Integer)
      h = { k: "a" }
      c.add(1, h)
      h[:k] = "b"                     # the same Hash, changed
      c.add(1, h)
      s = +"x"
      c.add(1, k: s)
      s << "y"                        # the same String, changed
      c.add(1, k: s)
      c.add(1, "k" => "a")            # a String key is the same attribute
      c.add(1, k: :a)                 # and a Symbol value the same string
      c.add(1, k: 1)
      c.add(1, k: 1.0)
      c.add(1, k: "a", n: 1)
      c.add(1, n: 1, k: "a")          # key order does not matter
      # More distinct sets than an instrument keeps bound: all of them are counted, and so
      # are the sets it bound first.
      2500.times { |i| c.add(2, id: i) }
      2500.times { |i| c.add(3, id: i) }
    RUBY
    by = points(got.fetch("rb.sets")).transform_values { |p| Integer(p["asInt"]) }
    assert_equal 3, by.fetch({ "k" => "a" })
    assert_equal 1, by.fetch({ "k" => "b" })
    assert_equal 1, by.fetch({ "k" => "x" })
    assert_equal 1, by.fetch({ "k" => "xy" })
    assert_equal 1, by.fetch({ "k" => 1 })
    assert_equal 1, by.fetch({ "k" => 1.0 })
    assert_equal 2, by.fetch({ "k" => "a", "n" => 1 })
    ids = by.select { |attrs, _| attrs.key?("id") }
    # The SDK's own cardinality limit (2000 series) folds the rest into the overflow series.
    overflow = by.fetch({ "otel.metric.overflow" => true }, 0)
    assert_equal 2500 * 5, ids.values.sum + overflow
    assert_equal [5], ids.values.uniq
  end

  def test_attribute_sets_with_one_hash_code_stay_apart
    # Every Hash with one #hash: the instrument's cache must still tell the sets apart (an
    # Integer and a Float value too), recording the others through the packed call.
    got = collect(<<~RUBY)
      class Hash
        def hash = 42
      end
      c = meter.counter("rb.collide", value_type: Integer)
      c.add(1, k: "a")
      c.add(2, k: "b")
      c.add(4, k: "a")
      c.add(8, k: 1)
      c.add(16, k: 1.0)
      c.add(32, k: %w[x y])
      c.add(64, k: %w[x y])
    RUBY
    by = points(got.fetch("rb.collide")).transform_values { |p| Integer(p["asInt"]) }
    assert_equal({ { "k" => "a" } => 5, { "k" => "b" } => 2, { "k" => 1 } => 8, { "k" => 1.0 } => 16,
                   { "k" => %w[x y] } => 96 }, by)
  end

  def test_integer_instruments_bound_instruments_and_time
    got = collect(<<~RUBY)
      c = meter.counter("rb.int", value_type: Integer)
      c.add(7)
      eu = c.bind(region: "eu")
      10.times { eu.add(1) }
      c.add(5, region: "eu")
      meter.histogram("rb.bound.hist").bind(k: 1).record(2.5)
      meter.up_down_counter("rb.bound.ud", value_type: Integer).bind.add(-2)
      meter.gauge("rb.bound.gauge").bind(g: true).set(9)
      s = meter.histogram("rb.time.s", unit: "s")
      ms = meter.histogram("rb.time.ms", unit: "ms")
      raise "value" unless s.time(block: "a") { sleep 0.05; 42 } == 42
      begin
        ms.time(block: "raises") { sleep 0.02; raise "boom" }
      rescue RuntimeError
      end
      meter.histogram("rb.time.us", unit: "us", value_type: Integer).time { sleep 0.01 }
    RUBY
    assert_equal "7", points(got.fetch("rb.int")).fetch({})["asInt"]
    assert_equal "15", points(got.fetch("rb.int")).fetch({ "region" => "eu" })["asInt"]
    assert_equal 2.5, points(got.fetch("rb.bound.hist")).fetch({ "k" => 1 })["sum"]
    assert_equal "-2", points(got.fetch("rb.bound.ud")).fetch({})["asInt"]
    assert_equal 9.0, number(points(got.fetch("rb.bound.gauge")).fetch({ "g" => true }))
    block = points(got.fetch("rb.time.s")).fetch({ "block" => "a" })
    assert_equal 1, Integer(block["count"])
    assert_operator block["sum"], :>=, 0.05
    raised = points(got.fetch("rb.time.ms")).fetch({ "block" => "raises" })
    assert_equal 1, Integer(raised["count"])
    assert_operator raised["sum"], :>=, 20
    assert_operator Integer(points(got.fetch("rb.time.us")).fetch({})["sum"]), :>=, 10_000
  end

  def test_observable_instruments_with_blocks
    got = collect(<<~RUBY)
      total = 0
      meter.observable_gauge("rb.queue.depth") { |obs| obs.observe(3, q: "a"); obs.observe(5, q: "b") }
      meter.observable_counter("rb.bytes", unit: "By") { |obs| total += 100; obs.observe(total) }
      meter.observable_up_down_counter("rb.conns", value_type: Integer) { |obs| obs.observe(-1, x: 1) }
      meter.observable_gauge("rb.broken") { |_| raise "no data" }
      Otelrs.collect_json
    RUBY
    assert_equal({ "a" => 3.0, "b" => 5.0 }, points(got.fetch("rb.queue.depth")).to_h { |k, p| [k["q"], number(p)] })
    assert_equal 200.0, number(points(got.fetch("rb.bytes")).fetch({}))
    assert_equal "-1", points(got.fetch("rb.conns")).fetch({ "x" => 1 })["asInt"]
  end

  def test_views_as_hashes_and_strings
    out = ok(<<~RUBY, env(**MEMORY))
      Otelrs.configure(views: [
        { instrument_name: "rb.latency", boundaries: [0.01, 0.1], record_min_max: false, attribute_keys: ["route"] },
        { instrument_name: "rb.orders", name: "orders", description: "a, b | c" },
        "meter_name=rb.noisy,aggregation=drop",
        { instrument_type: "histogram", unit: "ms", aggregation: "base2_exponential_bucket_histogram", max_scale: 3 },
        { instrument_name: "rb.users", aggregation_cardinality_limit: 2 },
      ])
      meter = Otelrs.meter("rb.test")
      meter.histogram("rb.latency", unit: "s").record(0.02, route: "/a", user: 7)
      meter.histogram("rb.db", unit: "ms").record(12)
      users = meter.counter("rb.users", value_type: Integer)
      5.times { |i| users.add(1, user: i) }
      meter.counter("rb.orders").add(2)
      Otelrs.meter("rb.noisy").counter("rb.noisy.events").add(1)
      puts Otelrs.collect_json
      begin
        Otelrs.shutdown
        Otelrs.configure(views: [{ instrument_name: "h", boundaries: [2, 1] }])
      rescue Otelrs::ConfigError => e
        puts e.message
      end
    RUBY
    *json, error = out.lines
    got = metrics(JSON.parse(json.last))
    point = points(got.fetch("rb.latency")).fetch({ "route" => "/a" })
    assert_equal [0.01, 0.1], point["explicitBounds"]
    assert_nil point["min"]
    assert_equal "a, b | c", got.fetch("orders")["description"]
    refute got.key?("rb.orders")
    refute got.key?("rb.noisy.events")
    db = got.fetch("rb.db").fetch("exponentialHistogram").fetch("dataPoints").first
    assert_operator db.fetch("scale", 0), :<=, 3
    users = points(got.fetch("rb.users"))
    assert_equal 3, users.size # two attribute sets and the overflow series
    assert_equal 5, users.values.sum { |p| Integer(p["asInt"]) }
    assert users.key?({ "otel.metric.overflow" => true })
    assert_includes error, "boundaries must increase: 1 comes after 2"
  end

  def test_measurements_in_a_sampled_trace_become_exemplars
    got = collect(<<~RUBY)
      c = meter.counter("rb.traced", value_type: Integer)
      c.add(1, k: "outside")
      Otelrs.with_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") { c.add(5, k: "inside") }
    RUBY
    by = points(got.fetch("rb.traced"))
    assert_empty by.fetch({ "k" => "outside" })["exemplars"]
    (exemplar,) = by.fetch({ "k" => "inside" })["exemplars"]
    assert_equal ["5", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"],
                 [exemplar["asInt"], exemplar["traceId"].downcase, exemplar["spanId"].downcase]
  end

  def test_a_failing_block_is_reported_and_the_others_still_report
    out, err, status = run_ruby(<<~RUBY, env(**MEMORY))
      meter = Otelrs.meter("m")
      meter.observable_gauge("rb.broken") { |_| raise "no data" }
      meter.observable_gauge("rb.working") { |obs| obs.observe(2) }
      puts Otelrs.collect_json
    RUBY
    assert status.success?, err
    assert_includes err, 'otelrs: the block of observable instrument "rb.broken" failed: RuntimeError: no data'
    assert_equal 2.0, number(points(metrics(JSON.parse(out)).fetch("rb.working")).fetch({}))
  end
end
