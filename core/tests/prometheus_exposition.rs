//! The Prometheus exposition for the app's own HTTP server: what the endpoint answers, with
//! or without the endpoint's port, merged across the processes of a group.

// A test may stop at the first thing that is not as expected.
#![allow(clippy::unwrap_used)]

use otelrs_core::metrics::{InstrumentDesc, InstrumentKind, NumberKind};
use otelrs_core::{Config, ErrorKind, KeyValue, Sdk};
use std::io::Read;
use std::net::TcpListener;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn sdk(service: &str, port: u16, listen: bool) -> Sdk {
    let mut c = Config::new();
    c.set("OTEL_METRICS_EXPORTER", "prometheus").unwrap();
    c.set("OTEL_LOGS_EXPORTER", "none").unwrap();
    c.set("OTEL_SERVICE_NAME", service).unwrap();
    c.set("OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1").unwrap();
    c.set("OTEL_EXPORTER_PROMETHEUS_PORT", &port.to_string())
        .unwrap();
    c.set(
        "OTELRS_PROMETHEUS_LISTEN",
        if listen { "true" } else { "false" },
    )
    .unwrap();
    Sdk::new(&c).unwrap()
}

fn count(sdk: &Sdk, n: u64) {
    let meter = sdk.meter("app", None).unwrap();
    let counter = meter
        .instrument(InstrumentDesc::new(
            InstrumentKind::Counter,
            NumberKind::U64,
            "app.requests",
        ))
        .unwrap();
    counter
        .record(
            otelrs_core::metrics::Number::U64(n),
            &[KeyValue::new("route", "/hit")],
        )
        .unwrap();
}

fn text(sdk: &Sdk) -> String {
    let e = sdk.prometheus_exposition("", "").unwrap();
    assert_eq!(e.content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert_eq!(e.content_encoding, None);
    String::from_utf8(e.body).unwrap()
}

fn requests(exposition: &str) -> Option<f64> {
    exposition
        .lines()
        .find(|l| l.starts_with("app_requests_total{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
}

fn service(name: &str) -> String {
    format!("{name}-{}-{}", std::process::id(), free_port())
}

#[test]
fn the_same_answer_as_the_endpoint_by_accept_headers() {
    let port = free_port();
    let sdk = sdk(&service("exposition"), port, true);
    count(&sdk, 3);
    let mine = text(&sdk);
    assert_eq!(requests(&mine), Some(3.0), "{mine}");
    assert!(mine.contains("# TYPE app_requests_total counter"), "{mine}");
    assert!(mine.contains("target_info{"), "{mine}");

    let om = sdk
        .prometheus_exposition(
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
            "",
        )
        .unwrap();
    assert_eq!(
        om.content_type,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let om = String::from_utf8(om.body).unwrap();
    assert!(om.ends_with("# EOF\n"), "{om}");

    let zipped = sdk.prometheus_exposition("", "deflate, gzip").unwrap();
    assert_eq!(zipped.content_encoding, Some("gzip"));
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(zipped.body.as_slice())
        .read_to_string(&mut unzipped)
        .unwrap();
    assert_eq!(requests(&unzipped), Some(3.0));
    // The endpoint itself is still there.
    assert!(TcpListener::bind(("127.0.0.1", port)).is_err());
}

#[test]
fn without_a_port_of_its_own() {
    let port = free_port();
    let sdk = sdk(&service("no-port"), port, false);
    sdk.check_prometheus_exposition().unwrap();
    count(&sdk, 5);
    assert_eq!(requests(&text(&sdk)), Some(5.0));
    // Nothing listens on the port that names the group.
    drop(TcpListener::bind(("127.0.0.1", port)).unwrap());
}

#[test]
fn every_process_of_the_group_answers_with_the_merged_counts() {
    // Two SDKs of one service stand for two worker processes: the first merges, the second
    // joins it and asks it for what a scrape shows.
    for listen in [false, true] {
        let port = free_port();
        let name = service("group");
        let first = sdk(&name, port, listen);
        let second = sdk(&name, port, listen);
        count(&first, 3);
        count(&second, 4);
        let from_second = text(&second);
        assert_eq!(requests(&from_second), Some(7.0), "{from_second}");
        assert_eq!(requests(&text(&first)), Some(7.0));
        assert!(from_second.contains("otelrs_prometheus_worker_up{"));
        // Another service with the same port is another group (without the port), or is
        // refused (with it: the port is the other service's).
        if !listen {
            let other = sdk(&service("other"), port, listen);
            count(&other, 1);
            assert_eq!(requests(&text(&other)), Some(1.0));
        }
        // The second, gone, leaves its counts to the first.
        drop(second);
        assert_eq!(requests(&text(&first)), Some(7.0));
    }
}

#[test]
fn a_clear_error_without_the_prometheus_exporter() {
    let mut c = Config::new();
    c.set("OTEL_METRICS_EXPORTER", "none").unwrap();
    c.set("OTEL_LOGS_EXPORTER", "none").unwrap();
    let sdk = Sdk::new(&c).unwrap();
    let e = sdk.prometheus_exposition("", "").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e
        .message()
        .contains("add prometheus to OTEL_METRICS_EXPORTER"));
    sdk.shutdown(std::time::Duration::from_secs(1)).unwrap();
    let e = sdk.prometheus_exposition("", "").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Shutdown);
}
