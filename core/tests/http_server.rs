//! HTTP server metrics as the semantic conventions name them: the duration histogram with the
//! advised buckets and every attribute, the active count back to zero, an error type for 5xx
//! and failures, and a request dropped without its end.

// A test may stop at the first thing that is not as expected.
#![allow(clippy::unwrap_used)]

use otelrs_core::metrics::http_server::DURATION_BUCKETS;
use otelrs_core::metrics::{HttpServerMetrics, HttpServerResponse};
use otelrs_core::{Config, Sdk};
use serde_json::Value;

fn sdk() -> Sdk {
    let mut c = Config::new();
    c.set("OTEL_METRICS_EXPORTER", "memory").unwrap();
    c.set("OTEL_LOGS_EXPORTER", "none").unwrap();
    Sdk::new(&c).unwrap()
}

/// The data points of `name`, each as (its attributes as "key=value" sorted, the point).
fn points(json: &Value, name: &str) -> Vec<(Vec<String>, Value)> {
    let mut out = Vec::new();
    for rm in json["resourceMetrics"].as_array().unwrap() {
        for sm in rm["scopeMetrics"].as_array().unwrap() {
            for m in sm["metrics"].as_array().unwrap() {
                if m["name"] != name {
                    continue;
                }
                let data = ["histogram", "sum"].iter().find_map(|k| m.get(*k)).unwrap();
                for p in data["dataPoints"].as_array().unwrap() {
                    let mut attrs: Vec<String> = p["attributes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|kv| {
                            let v = &kv["value"];
                            let v = v.get("stringValue").or_else(|| v.get("intValue")).unwrap();
                            format!("{}={}", kv["key"].as_str().unwrap(), v.as_str().unwrap())
                        })
                        .collect();
                    attrs.sort();
                    out.push((attrs, p.clone()));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn requests_make_the_conventions_series() {
    let sdk = sdk();
    let meter = sdk.meter("server", None).unwrap();
    let http = HttpServerMetrics::new(&meter).unwrap();
    let ok = HttpServerResponse {
        status_code: 200,
        route: Some("/users/{id}"),
        protocol_version: Some("1.1"),
        error_type: None,
    };
    for _ in 0..3 {
        http.start("get", "http").unwrap().end(&ok).unwrap();
    }
    let failed = HttpServerResponse {
        status_code: 503,
        route: Some("/users/{id}"),
        ..HttpServerResponse::default()
    };
    http.start("POST", "https").unwrap().end(&failed).unwrap();
    let raised = HttpServerResponse {
        error_type: Some("Timeout"),
        ..HttpServerResponse::default()
    };
    let seconds = http.start("BREW", "http").unwrap().end(&raised).unwrap();
    assert!(seconds >= 0.0);
    // One under way, and one dropped without its end (it stops counting as active).
    let _open = http.start("GET", "http").unwrap();
    drop(http.start("GET", "http").unwrap());

    let json: Value = serde_json::from_str(&sdk.collect_json().unwrap()).unwrap();
    let durations = points(&json, "http.server.request.duration");
    let keys: Vec<&Vec<String>> = durations.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            &vec![
                "error.type=503".to_owned(),
                "http.request.method=POST".to_owned(),
                "http.response.status_code=503".to_owned(),
                "http.route=/users/{id}".to_owned(),
                "url.scheme=https".to_owned(),
            ],
            &vec![
                "error.type=Timeout".to_owned(),
                "http.request.method=_OTHER".to_owned(),
                "url.scheme=http".to_owned(),
            ],
            &vec![
                "http.request.method=GET".to_owned(),
                "http.response.status_code=200".to_owned(),
                "http.route=/users/{id}".to_owned(),
                "network.protocol.version=1.1".to_owned(),
                "url.scheme=http".to_owned(),
            ],
        ]
    );
    let counts: Vec<&str> = durations
        .iter()
        .map(|(_, p)| p["count"].as_str().unwrap())
        .collect();
    assert_eq!(counts, ["1", "1", "3"]);
    let bounds: Vec<f64> = durations[2].1["explicitBounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_f64().unwrap())
        .collect();
    assert_eq!(bounds, DURATION_BUCKETS);

    let active = points(&json, "http.server.active_requests");
    let active: Vec<(Vec<String>, &str)> = active
        .iter()
        .map(|(k, p)| (k.clone(), p["asInt"].as_str().unwrap()))
        .collect();
    assert_eq!(
        active,
        [
            (
                vec![
                    "http.request.method=GET".to_owned(),
                    "url.scheme=http".to_owned()
                ],
                "1" // the one under way
            ),
            (
                vec![
                    "http.request.method=POST".to_owned(),
                    "url.scheme=https".to_owned()
                ],
                "0"
            ),
            (
                vec![
                    "http.request.method=_OTHER".to_owned(),
                    "url.scheme=http".to_owned()
                ],
                "0"
            ),
        ]
    );
}

#[test]
fn a_request_needs_its_scheme() {
    let sdk = sdk();
    let http = HttpServerMetrics::new(&sdk.meter("server", None).unwrap()).unwrap();
    let e = http.start("GET", "").err().unwrap();
    assert!(e.to_string().contains("URL scheme"), "{e}");
}
