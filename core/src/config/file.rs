//! Declarative configuration: a YAML file of the OpenTelemetry configuration schema
//! (opentelemetry-configuration, file formats 0.3 to 1.0), mapped onto otelrs's settings.
//! `${VAR}`, `${env:VAR}` and `${VAR:-default}` in scalar values are replaced by the
//! environment (`$$` is a `$`); otherwise the environment is not read. Each part otelrs has is
//! mapped, otelrs's own settings go under the key `otelrs` (by their keyword names), the parts
//! for traces and propagation are left to a tracing SDK (said once), and anything else
//! (unknown keys, wrong types, options otelrs does not have) is an error naming its path in
//! the file.

use crate::base::error::{Error, Result};
use crate::base::text::percent_encode;
use std::collections::{BTreeMap, BTreeSet};
use yaml_rust2::{Yaml, YamlLoader};

/// The settings a file gives, in the order found: key, value, and the path in the file of
/// the value (or of the last part of it) that gave it.
pub(crate) type FileSettings = Vec<(&'static str, String, String)>;

/// Reads the file at `path` (see the module documentation); gives its settings and the
/// names of the environment variables it refers to.
pub(crate) fn read(path: &str) -> Result<(FileSettings, BTreeSet<String>)> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::config(format!(
            "invalid value {path:?} for OTEL_CONFIG_FILE: cannot read it: {e}"
        ))
    })?;
    let referred = std::cell::RefCell::new(BTreeSet::new());
    let settings = parse(&text, &|name| {
        referred.borrow_mut().insert(name.to_owned());
        std::env::var(name).ok()
    })
    .map_err(|e| Error::config(format!("configuration file {path}: {}", e.message())))?;
    Ok((settings, referred.into_inner()))
}

/// Maps the YAML `text`, with `env` for substitution.
pub(crate) fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<FileSettings> {
    let docs =
        YamlLoader::load_from_str(text).map_err(|e| Error::config(format!("not YAML: {e}")))?;
    let root = match docs.as_slice() {
        [doc] => doc,
        [] => return Err(Error::config("empty: file_format is required")),
        _ => return Err(Error::config("more than one YAML document")),
    };
    let mut m = Mapper {
        env,
        at: std::cell::RefCell::new(String::new()),
        out: Vec::new(),
        metrics_exporters: Vec::new(),
        logs_exporters: Vec::new(),
    };
    m.root(root)?;
    let metrics = if m.metrics_exporters.is_empty() {
        "none".to_owned()
    } else {
        m.metrics_exporters.join(",")
    };
    let logs = if m.logs_exporters.is_empty() {
        "none".to_owned()
    } else {
        m.logs_exporters.join(",")
    };
    m.out.push((
        "OTEL_METRICS_EXPORTER",
        metrics,
        "meter_provider.readers".to_owned(),
    ));
    m.out.push((
        "OTEL_LOGS_EXPORTER",
        logs,
        "logger_provider.processors".to_owned(),
    ));
    Ok(m.out)
}

/// What separates the parts of a list of `key=value` pairs.
const PAIRS: &[char] = &[',', '='];
/// What separates the parts of OTELRS_METRICS_VIEWS.
const VIEWS: &[char] = &[',', '=', ';', '|'];

/// The parts of the schema that configure traces and propagation, which otelrs does not
/// record: left to a tracing SDK reading the same file.
const FOR_TRACING: &[&str] = &["tracer_provider", "propagator", "sampler"];

struct Mapper<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    /// The path of the value read last.
    at: std::cell::RefCell<String>,
    out: FileSettings,
    metrics_exporters: Vec<&'static str>,
    logs_exporters: Vec<&'static str>,
}

/// "a string", "an integer".
fn article(kind: &str) -> String {
    let an = kind.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {kind}", if an { "an" } else { "a" })
}

fn err(path: &str, what: impl std::fmt::Display) -> Error {
    Error::config(format!("{path}: {what}"))
}

/// A mapping's entries by key; an error for a key that is not a string.
fn entries<'y>(v: &'y Yaml, path: &str) -> Result<Vec<(&'y str, &'y Yaml)>> {
    match v {
        Yaml::Hash(h) => h
            .iter()
            .map(|(k, v)| match k {
                Yaml::String(k) => Ok((k.as_str(), v)),
                other => Err(err(path, format!("a key is not a string: {other:?}"))),
            })
            .collect(),
        // `exporter: {console: }` and `- tracecontext:` leave a null for an empty mapping.
        Yaml::Null => Ok(Vec::new()),
        _ => Err(err(path, "expected a mapping")),
    }
}

fn list<'y>(v: &'y Yaml, path: &str) -> Result<&'y [Yaml]> {
    match v {
        Yaml::Array(a) => Ok(a),
        Yaml::Null => Ok(&[]),
        _ => Err(err(path, "expected a list")),
    }
}

/// Fails on the first key of `map` not in `known`.
fn only(map: &[(&str, &Yaml)], known: &[&str], path: &str) -> Result<()> {
    match map.iter().find(|(k, _)| !known.contains(k)) {
        Some((k, _)) => Err(err(
            &format!("{path}.{k}"),
            format!(
                "unknown or not supported by otelrs (known here: {})",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// The one key of a mapping that must have exactly one (`periodic`/`pull`, an exporter).
fn one<'y>(v: &'y Yaml, path: &str) -> Result<(&'y str, &'y Yaml)> {
    match entries(v, path)?.as_slice() {
        [one] => Ok(*one),
        [] => Err(err(path, "expected one entry")),
        more => Err(err(
            path,
            format!(
                "expected one entry, got {}",
                more.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

impl Mapper<'_> {
    /// A scalar as text after substitution; `None` for null or an empty substitution.
    fn scalar(&self, v: &Yaml, path: &str, expected: &str) -> Result<Option<String>> {
        path.clone_into(&mut self.at.borrow_mut());
        let text = match v {
            Yaml::Null => return Ok(None),
            Yaml::String(s) => self.substitute(s, path)?,
            Yaml::Integer(i) => i.to_string(),
            Yaml::Real(r) => r.clone(),
            Yaml::Boolean(b) => b.to_string(),
            _ => return Err(err(path, format!("expected {expected}"))),
        };
        Ok(Some(text).filter(|t| !t.is_empty()))
    }

    /// A scalar of a kind: `string`, `integer`, `number` or `boolean`.
    fn typed(&self, v: &Yaml, path: &str, kind: &str) -> Result<Option<String>> {
        let wrong = match (kind, v) {
            (_, Yaml::String(_) | Yaml::Null) => false,
            ("string", _) => !matches!(v, Yaml::Integer(_) | Yaml::Real(_) | Yaml::Boolean(_)),
            ("integer", _) => !matches!(v, Yaml::Integer(_)),
            ("number", _) => !matches!(v, Yaml::Integer(_) | Yaml::Real(_)),
            ("boolean", _) => !matches!(v, Yaml::Boolean(_)),
            _ => true,
        };
        if wrong {
            return Err(err(path, format!("expected {}", article(kind))));
        }
        let text = self.scalar(v, path, &article(kind))?;
        if let Some(t) = &text {
            let ok = match kind {
                "integer" => t.parse::<i64>().is_ok(),
                "number" => t.parse::<f64>().is_ok(),
                "boolean" => t == "true" || t == "false",
                _ => true,
            };
            if !ok {
                return Err(err(path, format!("expected {}, got {t:?}", article(kind))));
            }
        }
        Ok(text)
    }

    fn substitute(&self, s: &str, path: &str) -> Result<String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            if let Some(r) = after.strip_prefix('$') {
                out.push('$');
                rest = r;
            } else if let Some(r) = after.strip_prefix('{') {
                let end = r
                    .find('}')
                    .ok_or_else(|| err(path, format!("unclosed ${{ in {s:?}")))?;
                let reference = &r[..end];
                let (name, default) = match reference.split_once(":-") {
                    Some((n, d)) => (n, Some(d)),
                    None => (reference, None),
                };
                let name = name.strip_prefix("env:").unwrap_or(name);
                let valid = !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && !name.as_bytes()[0].is_ascii_digit();
                if !valid {
                    return Err(err(path, format!("invalid substitution ${{{reference}}}")));
                }
                let value = (self.env)(name).filter(|v| !v.is_empty());
                out.push_str(&value.or(default.map(str::to_owned)).unwrap_or_default());
                rest = &r[end + 1..];
            } else {
                out.push('$');
                rest = after;
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    fn set(&mut self, key: &'static str, value: Option<String>) {
        if let Some(v) = value {
            let at = self.at.borrow().clone();
            self.out.push((key, v, at));
        }
    }

    fn root(&mut self, root: &Yaml) -> Result<()> {
        let map = entries(root, "(the file)")?;
        let format = map
            .iter()
            .find(|(k, _)| *k == "file_format")
            .map(|(_, v)| self.typed(v, "file_format", "string"))
            .transpose()?
            .flatten()
            .ok_or_else(|| err("file_format", "required"))?;
        if !["0.3", "0.4", "1.0"].iter().any(|f| format.starts_with(f)) {
            return Err(err(
                "file_format",
                format!("{format:?}: otelrs reads file formats 0.3, 0.4 and 1.0"),
            ));
        }
        for (key, v) in map {
            match key {
                "file_format" => {}
                "disabled" => {
                    let v = self.typed(v, key, "boolean")?;
                    self.set("OTEL_SDK_DISABLED", v);
                }
                "log_level" => {
                    let level = self.typed(v, key, "string")?.map(|l| {
                        match l.as_str() {
                            "trace" => "debug".to_owned(),
                            "fatal" => "error".to_owned(),
                            _ => l,
                        }
                    });
                    self.set("OTEL_LOG_LEVEL", level);
                }
                "resource" => self.resource(v)?,
                "attribute_limits" => {
                    let m = entries(v, key)?;
                    only(&m, &["attribute_value_length_limit", "attribute_count_limit"], key)?;
                    for (k, v) in m {
                        let path = format!("{key}.{k}");
                        let value = self.typed(v, &path, "integer")?;
                        self.set(
                            if k == "attribute_count_limit" {
                                "OTEL_ATTRIBUTE_COUNT_LIMIT"
                            } else {
                                "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"
                            },
                            value,
                        );
                    }
                }
                "meter_provider" => self.meter_provider(v)?,
                "logger_provider" => self.logger_provider(v)?,
                "otelrs" => self.vendor(v)?,
                k if FOR_TRACING.contains(&k) || k.ends_with("/development") => {
                    crate::base::diag::report(
                        crate::base::diag::Level::Info,
                        format_args!("configuration file: {k} is not used by otelrs, which records metrics and logs"),
                    );
                }
                _ => {
                    return Err(err(
                        key,
                        "unknown or not supported by otelrs (known: file_format, disabled, log_level, resource, \
                         attribute_limits, meter_provider, logger_provider, otelrs; tracer_provider, propagator \
                         and sampler are left to a tracing SDK)",
                    ))
                }
            }
        }
        Ok(())
    }

    fn resource(&mut self, v: &Yaml) -> Result<()> {
        let m = entries(v, "resource")?;
        only(
            &m,
            &[
                "attributes",
                "attributes_list",
                "detection/development",
                "detectors",
            ],
            "resource",
        )?;
        // attributes_list first: `attributes` take precedence over it.
        let mut pairs: BTreeMap<String, String> = BTreeMap::new();
        if let Some((_, list_v)) = m.iter().find(|(k, _)| *k == "attributes_list") {
            if let Some(text) = self.typed(list_v, "resource.attributes_list", "string")? {
                for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
                    let (k, v) = pair.split_once('=').ok_or_else(|| {
                        err(
                            "resource.attributes_list",
                            format!("{pair:?} is not key=value"),
                        )
                    })?;
                    pairs.insert(k.trim().to_owned(), v.trim().to_owned());
                }
            }
        }
        for (k, v) in &m {
            match *k {
                "attributes" => {
                    for (i, a) in list(v, "resource.attributes")?.iter().enumerate() {
                        let path = format!("resource.attributes[{i}]");
                        let a = entries(a, &path)?;
                        only(&a, &["name", "value", "type"], &path)?;
                        let get = |key: &str| a.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
                        let name = get("name")
                            .map(|n| self.typed(n, &format!("{path}.name"), "string"))
                            .transpose()?
                            .flatten()
                            .ok_or_else(|| err(&format!("{path}.name"), "required"))?;
                        let kind = get("type")
                            .map(|t| self.typed(t, &format!("{path}.type"), "string"))
                            .transpose()?
                            .flatten()
                            .unwrap_or_else(|| "string".to_owned());
                        if !["string", "bool", "int", "double"].contains(&kind.as_str()) {
                            return Err(err(
                                &format!("{path}.type"),
                                format!("{kind:?}: otelrs's resource takes string, bool, int and double values"),
                            ));
                        }
                        let schema = match kind.as_str() {
                            "bool" => "boolean",
                            "int" => "integer",
                            "double" => "number",
                            _ => "string",
                        };
                        if let Some(value) = get("value")
                            .map(|v| self.typed(v, &format!("{path}.value"), schema))
                            .transpose()?
                            .flatten()
                        {
                            pairs.insert(name, value);
                        }
                    }
                }
                "detection/development" | "detectors" => crate::base::diag::report(
                    crate::base::diag::Level::Info,
                    format_args!(
                        "configuration file: resource.{k} is not used: otelrs's resource has \
                         service.name, process.pid and the telemetry.sdk attributes"
                    ),
                ),
                _ => {}
            }
        }
        if let Some(service) = pairs.remove("service.name") {
            self.set("OTEL_SERVICE_NAME", Some(service));
        }
        if !pairs.is_empty() {
            let text = pairs
                .iter()
                .map(|(k, v)| format!("{}={}", percent_encode(k, PAIRS), percent_encode(v, PAIRS)))
                .collect::<Vec<_>>()
                .join(",");
            self.set("OTEL_RESOURCE_ATTRIBUTES", Some(text));
        }
        Ok(())
    }

    /// An OTLP exporter's settings for `signal` (METRICS or LOGS).
    fn otlp(&mut self, kind: &str, v: &Yaml, path: &str, signal: &str) -> Result<()> {
        // Every OTLP property below has a per-signal key.
        let key = |name: &str| -> Result<&'static str> {
            let wanted = format!("OTEL_EXPORTER_OTLP_{signal}_{name}");
            crate::config::table::find(&wanted)
                .map(|doc| doc.key)
                .ok_or_else(|| Error::internal(format!("{wanted} is not a setting")))
        };
        let m = entries(v, path)?;
        let mut known = vec![
            "endpoint",
            "tls",
            "certificate",
            "client_key",
            "client_certificate",
            "compression",
            "timeout",
            "headers",
            "headers_list",
            "insecure",
        ];
        if signal == "METRICS" {
            known.extend(["temporality_preference", "default_histogram_aggregation"]);
        }
        if kind == "otlp_http" {
            known.push("encoding");
        }
        only(&m, &known, path)?;
        let mut protocol = if kind == "otlp_grpc" {
            "grpc"
        } else {
            "http/protobuf"
        };
        let mut headers: Vec<String> = Vec::new();
        for (k, v) in m {
            let at = format!("{path}.{k}");
            match k {
                "endpoint" => {
                    let v = self.typed(v, &at, "string")?;
                    self.set(key("ENDPOINT")?, v);
                }
                "compression"
                | "timeout"
                | "temporality_preference"
                | "default_histogram_aggregation" => {
                    let kind = if k == "timeout" { "integer" } else { "string" };
                    let v = self.typed(v, &at, kind)?;
                    self.set(key(&k.to_ascii_uppercase())?, v);
                }
                "certificate" | "client_key" | "client_certificate" => {
                    let v = self.typed(v, &at, "string")?;
                    self.set(key(&k.to_ascii_uppercase())?, v);
                }
                "tls" => {
                    let t = entries(v, &at)?;
                    only(
                        &t,
                        &[
                            "certificate_file",
                            "client_key_file",
                            "client_certificate_file",
                            "insecure",
                        ],
                        &at,
                    )?;
                    for (tk, tv) in t {
                        let tat = format!("{at}.{tk}");
                        let kind = if tk == "insecure" {
                            "boolean"
                        } else {
                            "string"
                        };
                        let v = self.typed(tv, &tat, kind)?;
                        let name = tk.trim_end_matches("_file").to_ascii_uppercase();
                        self.set(key(&name)?, v);
                    }
                }
                "insecure" => {
                    let v = self.typed(v, &at, "boolean")?;
                    self.set(key("INSECURE")?, v);
                }
                "encoding" => match self.typed(v, &at, "string")?.as_deref() {
                    Some("json") => protocol = "http/json",
                    Some("protobuf") | None => {}
                    Some(other) => {
                        return Err(err(&at, format!("{other:?}: expected protobuf or json")))
                    }
                },
                "headers" => {
                    for (i, h) in list(v, &at)?.iter().enumerate() {
                        let hat = format!("{at}[{i}]");
                        let h = entries(h, &hat)?;
                        only(&h, &["name", "value"], &hat)?;
                        let get = |n: &str| h.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
                        let name = get("name")
                            .map(|n| self.typed(n, &format!("{hat}.name"), "string"))
                            .transpose()?
                            .flatten()
                            .ok_or_else(|| err(&format!("{hat}.name"), "required"))?;
                        let value = get("value")
                            .map(|n| self.typed(n, &format!("{hat}.value"), "string"))
                            .transpose()?
                            .flatten()
                            .unwrap_or_default();
                        headers.push(format!(
                            "{}={}",
                            percent_encode(&name, PAIRS),
                            percent_encode(&value, PAIRS)
                        ));
                    }
                }
                "headers_list" => {
                    if let Some(text) = self.typed(v, &at, "string")? {
                        headers.extend(
                            text.split(',')
                                .filter(|h| !h.trim().is_empty())
                                .map(str::to_owned),
                        );
                    }
                }
                _ => {}
            }
        }
        self.set(key("PROTOCOL")?, Some(protocol.to_owned()));
        if !headers.is_empty() {
            self.set(key("HEADERS")?, Some(headers.join(",")));
        }
        Ok(())
    }

    /// An exporter of `signal` (METRICS or LOGS) at `path`.
    fn exporter(&mut self, v: &Yaml, path: &str, signal: &str) -> Result<()> {
        let (kind, body) = one(v, path)?;
        let at = format!("{path}.{kind}");
        let name: &'static str = match kind {
            "otlp_http" | "otlp_grpc" => {
                self.otlp(kind, body, &at, signal)?;
                "otlp"
            }
            "console" => {
                only(&entries(body, &at)?, &[], &at)?;
                "console"
            }
            "loki" | "elasticsearch" | "clickhouse" if signal == "LOGS" || kind == "clickhouse" => {
                self.backend(kind, body, &at)?;
                match kind {
                    "loki" => "loki",
                    "elasticsearch" => "elasticsearch",
                    _ => "clickhouse",
                }
            }
            _ => {
                return Err(err(
                    &at,
                    if signal == "LOGS" {
                        "unknown or not supported by otelrs (known: otlp_http, otlp_grpc, console, loki, elasticsearch, clickhouse)"
                    } else {
                        "unknown or not supported by otelrs (known: otlp_http, otlp_grpc, console, clickhouse)"
                    },
                ))
            }
        };
        let names = if signal == "LOGS" {
            &mut self.logs_exporters
        } else {
            &mut self.metrics_exporters
        };
        if names.contains(&name) {
            return Err(err(
                path,
                format!("a second {name} exporter: otelrs has one of each"),
            ));
        }
        names.push(name);
        Ok(())
    }

    /// A backend exporter's properties: each is the setting OTELRS_EXPORTER_<KIND>_<NAME>.
    fn backend(&mut self, kind: &str, v: &Yaml, path: &str) -> Result<()> {
        for (k, value) in entries(v, path)? {
            let at = format!("{path}.{k}");
            let wanted = format!(
                "OTELRS_EXPORTER_{}_{}",
                kind.to_ascii_uppercase(),
                k.to_ascii_uppercase()
            );
            let key = crate::config::table::find(&wanted)
                .map(|doc| doc.key)
                .ok_or_else(|| {
                    err(
                        &at,
                        format!(
                            "unknown (the {kind} settings are OTELRS_EXPORTER_{}_*)",
                            kind.to_ascii_uppercase()
                        ),
                    )
                })?;
            let text = self.scalar(value, &at, "a scalar")?;
            self.set(key, text);
        }
        Ok(())
    }

    fn meter_provider(&mut self, v: &Yaml) -> Result<()> {
        let m = entries(v, "meter_provider")?;
        only(
            &m,
            &["readers", "views", "exemplar_filter"],
            "meter_provider",
        )?;
        let mut views: Vec<String> = Vec::new();
        for (k, v) in m {
            let at = format!("meter_provider.{k}");
            match k {
                "exemplar_filter" => {
                    let v = self.typed(v, &at, "string")?;
                    self.set("OTEL_METRICS_EXEMPLAR_FILTER", v);
                }
                "readers" => {
                    for (i, r) in list(v, &at)?.iter().enumerate() {
                        self.reader(r, &format!("{at}[{i}]"))?;
                    }
                }
                _ => {
                    for (i, view) in list(v, &at)?.iter().enumerate() {
                        views.push(self.view(view, &format!("{at}[{i}]"))?);
                    }
                }
            }
        }
        if !views.is_empty() {
            self.set("OTELRS_METRICS_VIEWS", Some(views.join(";")));
        }
        Ok(())
    }

    fn reader(&mut self, v: &Yaml, path: &str) -> Result<()> {
        let (kind, body) = one(v, path)?;
        let at = format!("{path}.{kind}");
        let m = entries(body, &at)?;
        match kind {
            "periodic" => {
                only(
                    &m,
                    &["interval", "timeout", "exporter", "cardinality_limits"],
                    &at,
                )?;
                for (k, v) in m {
                    let kat = format!("{at}.{k}");
                    match k {
                        "interval" => {
                            let v = self.typed(v, &kat, "integer")?;
                            self.set("OTEL_METRIC_EXPORT_INTERVAL", v);
                        }
                        "timeout" => {
                            let v = self.typed(v, &kat, "integer")?;
                            self.set("OTEL_METRIC_EXPORT_TIMEOUT", v);
                        }
                        "cardinality_limits" => self.cardinality(v, &kat)?,
                        _ => self.exporter(v, &kat, "METRICS")?,
                    }
                }
            }
            "pull" => {
                only(&m, &["exporter", "cardinality_limits"], &at)?;
                for (k, v) in m {
                    let kat = format!("{at}.{k}");
                    if k == "cardinality_limits" {
                        self.cardinality(v, &kat)?;
                        continue;
                    }
                    let (exporter, body) = one(v, &kat)?;
                    let eat = format!("{kat}.{exporter}");
                    if exporter != "prometheus" && exporter != "prometheus/development" {
                        return Err(err(
                            &eat,
                            "unknown or not supported by otelrs (known: prometheus)",
                        ));
                    }
                    let p = entries(body, &eat)?;
                    only(&p, &["host", "port"], &eat)?;
                    for (pk, pv) in p {
                        let pat = format!("{eat}.{pk}");
                        if pk == "host" {
                            let v = self.typed(pv, &pat, "string")?;
                            self.set("OTEL_EXPORTER_PROMETHEUS_HOST", v);
                        } else {
                            let v = self.typed(pv, &pat, "integer")?;
                            self.set("OTEL_EXPORTER_PROMETHEUS_PORT", v);
                        }
                    }
                    if self.metrics_exporters.contains(&"prometheus") {
                        return Err(err(&kat, "a second prometheus exporter: otelrs has one"));
                    }
                    self.metrics_exporters.push("prometheus");
                }
            }
            _ => {
                return Err(err(
                    &at,
                    "unknown or not supported by otelrs (known: periodic, pull)",
                ));
            }
        }
        Ok(())
    }

    fn cardinality(&mut self, v: &Yaml, path: &str) -> Result<()> {
        let m = entries(v, path)?;
        only(&m, &["default"], path)?;
        for (_, v) in m {
            let v = self.typed(v, &format!("{path}.default"), "integer")?;
            self.set("OTELRS_METRICS_CARDINALITY_LIMIT", v);
        }
        Ok(())
    }

    /// A view in the text form of OTELRS_METRICS_VIEWS.
    fn view(&mut self, v: &Yaml, path: &str) -> Result<String> {
        let m = entries(v, path)?;
        only(&m, &["selector", "stream"], path)?;
        let mut pairs: Vec<String> = Vec::new();
        let pair = |k: &str, v: String| format!("{k}={}", percent_encode(&v, VIEWS));
        for (k, v) in m {
            let at = format!("{path}.{k}");
            let part = entries(v, &at)?;
            if k == "selector" {
                only(&part, crate::config::view::SELECTORS, &at)?;
                for (pk, pv) in part {
                    if let Some(t) = self.typed(pv, &format!("{at}.{pk}"), "string")? {
                        pairs.push(pair(pk, t));
                    }
                }
                continue;
            }
            only(
                &part,
                &[
                    "name",
                    "description",
                    "aggregation",
                    "attribute_keys",
                    "aggregation_cardinality_limit",
                ],
                &at,
            )?;
            for (pk, pv) in part {
                let pat = format!("{at}.{pk}");
                match pk {
                    "name" | "description" => {
                        if let Some(t) = self.typed(pv, &pat, "string")? {
                            pairs.push(pair(pk, t));
                        }
                    }
                    "aggregation_cardinality_limit" => {
                        if let Some(t) = self.typed(pv, &pat, "integer")? {
                            pairs.push(pair(pk, t));
                        }
                    }
                    "attribute_keys" => {
                        // 0.x: a list; 1.0: {included: [...]}.
                        let keys = match pv {
                            Yaml::Array(_) => list(pv, &pat)?,
                            _ => {
                                let a = entries(pv, &pat)?;
                                only(&a, &["included"], &pat)?;
                                match a.first() {
                                    Some((_, inc)) => list(inc, &format!("{pat}.included"))?,
                                    None => &[],
                                }
                            }
                        };
                        let mut names = Vec::new();
                        for (i, key) in keys.iter().enumerate() {
                            if let Some(t) = self.typed(key, &format!("{pat}[{i}]"), "string")? {
                                names.push(percent_encode(&t, VIEWS));
                            }
                        }
                        pairs.push(format!("attribute_keys={}", names.join("|")));
                    }
                    _ => {
                        let (aggregation, body) = one(pv, &pat)?;
                        let aat = format!("{pat}.{aggregation}");
                        let options: &[&str] = match aggregation {
                            "default" | "drop" | "sum" | "last_value" => &[],
                            "explicit_bucket_histogram" => &["boundaries", "record_min_max"],
                            "base2_exponential_bucket_histogram" => {
                                &["max_size", "max_scale", "record_min_max"]
                            }
                            _ => return Err(err(&aat, "unknown aggregation")),
                        };
                        let b = entries(body, &aat)?;
                        only(&b, options, &aat)?;
                        pairs.push(format!("aggregation={aggregation}"));
                        for (bk, bv) in b {
                            let bat = format!("{aat}.{bk}");
                            if bk == "boundaries" {
                                let mut bounds = Vec::new();
                                for (i, x) in list(bv, &bat)?.iter().enumerate() {
                                    if let Some(t) =
                                        self.typed(x, &format!("{bat}[{i}]"), "number")?
                                    {
                                        bounds.push(t);
                                    }
                                }
                                pairs.push(format!("boundaries={}", bounds.join("|")));
                            } else {
                                let kind = if bk == "record_min_max" {
                                    "boolean"
                                } else {
                                    "integer"
                                };
                                if let Some(t) = self.typed(bv, &bat, kind)? {
                                    pairs.push(format!("{bk}={t}"));
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(pairs.join(","))
    }

    fn logger_provider(&mut self, v: &Yaml) -> Result<()> {
        let m = entries(v, "logger_provider")?;
        only(&m, &["processors", "limits"], "logger_provider")?;
        let mut batch_seen = false;
        for (k, v) in m {
            let at = format!("logger_provider.{k}");
            if k == "limits" {
                let l = entries(v, &at)?;
                only(
                    &l,
                    &["attribute_value_length_limit", "attribute_count_limit"],
                    &at,
                )?;
                for (lk, lv) in l {
                    let value = self.typed(lv, &format!("{at}.{lk}"), "integer")?;
                    self.set(
                        if lk == "attribute_count_limit" {
                            "OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT"
                        } else {
                            "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT"
                        },
                        value,
                    );
                }
                continue;
            }
            for (i, p) in list(v, &at)?.iter().enumerate() {
                let pat = format!("{at}[{i}]");
                let (kind, body) = one(p, &pat)?;
                let kat = format!("{pat}.{kind}");
                if kind != "batch" {
                    return Err(err(
                        &kat,
                        "otelrs exports log records in batches only (known: batch)",
                    ));
                }
                let b = entries(body, &kat)?;
                only(
                    &b,
                    &[
                        "schedule_delay",
                        "export_timeout",
                        "max_queue_size",
                        "max_export_batch_size",
                        "exporter",
                    ],
                    &kat,
                )?;
                let has_settings = b.iter().any(|(k, _)| *k != "exporter");
                if has_settings && batch_seen {
                    return Err(err(
                        &kat,
                        "otelrs has one log queue: give the batch settings once",
                    ));
                }
                batch_seen |= has_settings;
                for (bk, bv) in b {
                    let bat = format!("{kat}.{bk}");
                    let key = match bk {
                        "schedule_delay" => "OTEL_BLRP_SCHEDULE_DELAY",
                        "export_timeout" => "OTEL_BLRP_EXPORT_TIMEOUT",
                        "max_queue_size" => "OTEL_BLRP_MAX_QUEUE_SIZE",
                        "max_export_batch_size" => "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE",
                        _ => {
                            self.exporter(bv, &bat, "LOGS")?;
                            continue;
                        }
                    };
                    let value = self.typed(bv, &bat, "integer")?;
                    self.set(key, value);
                }
            }
        }
        Ok(())
    }

    /// otelrs's own settings by their keyword names (`logs_sampling_ratio: 0.1`).
    fn vendor(&mut self, v: &Yaml) -> Result<()> {
        for (k, value) in entries(v, "otelrs")? {
            let at = format!("otelrs.{k}");
            let key = crate::config::table::setting_key(k)
                .filter(|key| key.starts_with("OTELRS_") && *key != "OTELRS_TELEMETRY_SDK_LANGUAGE")
                .ok_or_else(|| err(&at, "unknown: otelrs's own settings go here by their keyword names (the OTELRS_ keys without the prefix, in lower case)"))?;
            let text = match value {
                Yaml::Array(items) => {
                    let mut parts = Vec::new();
                    for (i, x) in items.iter().enumerate() {
                        if let Some(t) = self.scalar(x, &format!("{at}[{i}]"), "a scalar")? {
                            parts.push(t);
                        }
                    }
                    Some(parts.join(","))
                }
                _ => self.scalar(value, &at, "a scalar or a list")?,
            };
            self.set(key, text);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str, env: &[(&str, &str)]) -> BTreeMap<&'static str, String> {
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        parse(text, &|name| env.get(name).cloned())
            .unwrap()
            .into_iter()
            .map(|(k, v, _)| (k, v))
            .collect()
    }

    fn error(text: &str) -> String {
        parse(text, &|_| None).unwrap_err().message().to_owned()
    }

    /// examples/sdk-migration-config.yaml of open-telemetry/opentelemetry-configuration
    /// (file format 1.0-rc.2), transcribed without its comments.
    const SDK_MIGRATION_CONFIG: &str = r#"
file_format: "1.0-rc.2"
disabled: ${OTEL_SDK_DISABLED:-false}
log_level: ${OTEL_LOG_LEVEL:-info}
resource:
  attributes:
    - name: service.name
      value: ${OTEL_SERVICE_NAME:-unknown_service}
  attributes_list: ${OTEL_RESOURCE_ATTRIBUTES}
attribute_limits:
  attribute_value_length_limit: ${OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT}
  attribute_count_limit: ${OTEL_ATTRIBUTE_COUNT_LIMIT:-128}
propagator:
  composite: []
  composite_list: ${OTEL_PROPAGATORS:-tracecontext,baggage}
tracer_provider:
  processors:
    - batch:
        schedule_delay: ${OTEL_BSP_SCHEDULE_DELAY:-5000}
        export_timeout: ${OTEL_BSP_EXPORT_TIMEOUT:-30000}
        max_queue_size: ${OTEL_BSP_MAX_QUEUE_SIZE:-2048}
        max_export_batch_size: ${OTEL_BSP_MAX_EXPORT_BATCH_SIZE:-512}
        exporter:
          otlp_http:
            endpoint: ${OTEL_EXPORTER_OTLP_TRACES_ENDPOINT:-http://localhost:4318/v1/traces}
            tls:
              certificate_file: ${OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE}
              client_key_file: ${OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY}
              client_certificate_file: ${OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE}
            compression: ${OTEL_EXPORTER_OTLP_TRACES_COMPRESSION:-gzip}
            timeout: ${OTEL_EXPORTER_OTLP_TRACES_TIMEOUT:-10000}
            headers: []
            headers_list: ${OTEL_EXPORTER_OTLP_TRACES_HEADERS}
  limits:
    attribute_value_length_limit: ${OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT}
    attribute_count_limit: ${OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT:-128}
    event_count_limit: ${OTEL_SPAN_EVENT_COUNT_LIMIT:-128}
    link_count_limit: ${OTEL_SPAN_LINK_COUNT_LIMIT:-128}
    event_attribute_count_limit: ${OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT:-128}
    link_attribute_count_limit: ${OTEL_LINK_ATTRIBUTE_COUNT_LIMIT:-128}
  sampler:
    parent_based:
      root:
        always_on:
      remote_parent_sampled:
        always_on:
      remote_parent_not_sampled:
        always_off:
      local_parent_sampled:
        always_on:
      local_parent_not_sampled:
        always_off:
meter_provider:
  readers:
    - periodic:
        interval: ${OTEL_METRIC_EXPORT_INTERVAL:-60000}
        timeout: ${OTEL_METRIC_EXPORT_TIMEOUT:-30000}
        exporter:
          otlp_http:
            endpoint: ${OTEL_EXPORTER_OTLP_METRICS_ENDPOINT:-http://localhost:4318/v1/metrics}
            tls:
              certificate_file: ${OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE}
              client_key_file: ${OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY}
              client_certificate_file: ${OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE}
            compression: ${OTEL_EXPORTER_OTLP_METRICS_COMPRESSION:-gzip}
            timeout: ${OTEL_EXPORTER_OTLP_METRICS_TIMEOUT:-10000}
            headers: []
            headers_list: ${OTEL_EXPORTER_OTLP_METRICS_HEADERS}
            temporality_preference: ${OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE:-cumulative}
            default_histogram_aggregation: ${OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION:-explicit_bucket_histogram}
  exemplar_filter: ${OTEL_METRICS_EXEMPLAR_FILTER:-trace_based}
logger_provider:
  processors:
    - batch:
        schedule_delay: ${OTEL_BLRP_SCHEDULE_DELAY:-1000}
        export_timeout: ${OTEL_BLRP_EXPORT_TIMEOUT:-30000}
        max_queue_size: ${OTEL_BLRP_MAX_QUEUE_SIZE:-2048}
        max_export_batch_size: ${OTEL_BLRP_MAX_EXPORT_BATCH_SIZE:-512}
        exporter:
          otlp_http:
            endpoint: ${OTEL_EXPORTER_OTLP_LOGS_ENDPOINT:-http://localhost:4318/v1/logs}
            tls:
              certificate_file: ${OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE}
              client_key_file: ${OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY}
              client_certificate_file: ${OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE}
            compression: ${OTEL_EXPORTER_OTLP_LOGS_COMPRESSION:-gzip}
            timeout: ${OTEL_EXPORTER_OTLP_LOGS_TIMEOUT:-10000}
            headers: []
            headers_list: ${OTEL_EXPORTER_OTLP_LOGS_HEADERS}
  limits:
    attribute_value_length_limit: ${OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT}
    attribute_count_limit: ${OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT:-128}
"#;

    /// examples/getting-started.yaml of open-telemetry/opentelemetry-configuration (file
    /// format 1.0-rc.1), transcribed without its comments.
    const GETTING_STARTED: &str = r#"
file_format: '1.0-rc.1'
resource:
  attributes_list: ${OTEL_RESOURCE_ATTRIBUTES}
  detection/development:
    detectors:
      - service:
      - host:
      - process:
      - container:
propagator:
  composite:
    - tracecontext:
    - baggage:
sampler:
  parent_based:
    root:
      always_on:
tracer_provider:
  processors:
    - batch:
        exporter:
          otlp_http:
            endpoint: ${OTEL_EXPORTER_OTLP_ENDPOINT:-http://localhost:4318}/v1/traces
meter_provider:
  readers:
    - periodic:
        exporter:
          otlp_http:
            endpoint: ${OTEL_EXPORTER_OTLP_ENDPOINT:-http://localhost:4318}/v1/metrics
logger_provider:
  processors:
    - batch:
        exporter:
          otlp_http:
            endpoint: ${OTEL_EXPORTER_OTLP_ENDPOINT:-http://localhost:4318}/v1/logs
"#;

    #[test]
    fn the_published_migration_example_maps_onto_the_settings() {
        let s = settings(
            SDK_MIGRATION_CONFIG,
            &[
                ("OTEL_SERVICE_NAME", "shop"),
                (
                    "OTEL_RESOURCE_ATTRIBUTES",
                    "deployment.environment.name=prod",
                ),
                ("OTEL_BLRP_MAX_QUEUE_SIZE", "4096"),
                ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "api-key=secret"),
            ],
        );
        let expect = |k: &str, v: &str| assert_eq!(s.get(k).map(String::as_str), Some(v), "{k}");
        expect("OTEL_SDK_DISABLED", "false");
        expect("OTEL_LOG_LEVEL", "info");
        expect("OTEL_SERVICE_NAME", "shop");
        expect(
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment.name=prod",
        );
        expect("OTEL_ATTRIBUTE_COUNT_LIMIT", "128");
        expect("OTEL_METRICS_EXPORTER", "otlp");
        expect("OTEL_METRIC_EXPORT_INTERVAL", "60000");
        expect("OTEL_METRIC_EXPORT_TIMEOUT", "30000");
        expect(
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            "http://localhost:4318/v1/metrics",
        );
        expect("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf");
        expect("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "gzip");
        expect("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "10000");
        expect(
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            "cumulative",
        );
        expect(
            "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
            "explicit_bucket_histogram",
        );
        expect("OTEL_METRICS_EXEMPLAR_FILTER", "trace_based");
        expect("OTEL_LOGS_EXPORTER", "otlp");
        expect("OTEL_BLRP_MAX_QUEUE_SIZE", "4096");
        expect(
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
            "http://localhost:4318/v1/logs",
        );
        expect("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "api-key=secret");
        expect("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "128");
        // Unset references without a default leave their settings out.
        assert!(!s.contains_key("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"));
        assert!(!s.contains_key("OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE"));
        assert!(!s.contains_key("OTEL_EXPORTER_OTLP_METRICS_HEADERS"));
    }

    #[test]
    fn the_published_getting_started_example_maps_onto_the_settings() {
        let s = settings(
            GETTING_STARTED,
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")],
        );
        assert_eq!(
            s["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"],
            "http://collector:4318/v1/metrics"
        );
        assert_eq!(
            s["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"],
            "http://collector:4318/v1/logs"
        );
        assert_eq!(
            (
                s["OTEL_METRICS_EXPORTER"].as_str(),
                s["OTEL_LOGS_EXPORTER"].as_str()
            ),
            ("otlp", "otlp")
        );
        let s = settings(GETTING_STARTED, &[]);
        assert_eq!(
            s["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"],
            "http://localhost:4318/v1/logs"
        );
    }

    #[test]
    fn every_supported_key_maps_onto_its_setting() {
        let s = settings(
            r#"
file_format: "0.4"
disabled: false
log_level: trace
resource:
  attributes:
    - name: service.name
      value: shop
    - name: shard
      value: 3
      type: int
    - name: "a,b"
      value: "x=y"
attribute_limits:
  attribute_value_length_limit: 4096
  attribute_count_limit: 64
meter_provider:
  readers:
    - periodic:
        interval: 5000
        timeout: 3000
        cardinality_limits:
          default: 500
        exporter:
          otlp_grpc:
            endpoint: https://collector:4317
            insecure: false
            certificate: /etc/ca.pem
            tls:
              client_key_file: /etc/key.pem
              client_certificate_file: /etc/cert.pem
            headers:
              - name: api-key
                value: ${KEY}
            headers_list: tenant=a
            compression: none
            timeout: 2000
            temporality_preference: delta
            default_histogram_aggregation: base2_exponential_bucket_histogram
    - periodic:
        exporter:
          console:
    - pull:
        exporter:
          prometheus/development:
            host: 0.0.0.0
            port: 9464
  views:
    - selector:
        instrument_name: http.*
        instrument_type: histogram
        unit: s
        meter_name: shop
        meter_version: "1.0"
        meter_schema_url: https://opentelemetry.io/schemas/1.26.0
      stream:
        name: latency
        description: "Latency, s"
        aggregation:
          explicit_bucket_histogram:
            boundaries: [0.1, 1, 10]
            record_min_max: false
        attribute_keys:
          included: [http.route]
        aggregation_cardinality_limit: 100
    - selector:
        instrument_name: queue.*
      stream:
        aggregation:
          base2_exponential_bucket_histogram:
            max_size: 80
            max_scale: 10
    - selector:
        meter_name: noisy
      stream:
        aggregation:
          drop:
  exemplar_filter: always_on
logger_provider:
  processors:
    - batch:
        schedule_delay: 200
        export_timeout: 5000
        max_queue_size: 1000
        max_export_batch_size: 100
        exporter:
          otlp_http:
            endpoint: http://collector:4318/v1/logs
            encoding: json
    - batch:
        exporter:
          console: {}
    - batch:
        exporter:
          loki:
            endpoint: http://loki:3100/loki/api/v1/push
            labels: service.name,level
  limits:
    attribute_value_length_limit: 1000
    attribute_count_limit: 32
otelrs:
  logs_sampling_ratio: 0.25
  system_metrics: [host, process]
  health_rules: error_logs_per_minute>60
"#,
            &[("KEY", "k1")],
        );
        let expected = [
            ("OTEL_SDK_DISABLED", "false"),
            ("OTEL_LOG_LEVEL", "debug"),
            ("OTEL_SERVICE_NAME", "shop"),
            ("OTEL_RESOURCE_ATTRIBUTES", "a%2Cb=x%3Dy,shard=3"),
            ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "4096"),
            ("OTEL_ATTRIBUTE_COUNT_LIMIT", "64"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "5000"),
            ("OTEL_METRIC_EXPORT_TIMEOUT", "3000"),
            ("OTELRS_METRICS_CARDINALITY_LIMIT", "500"),
            (
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                "https://collector:4317",
            ),
            ("OTEL_EXPORTER_OTLP_METRICS_INSECURE", "false"),
            ("OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE", "/etc/ca.pem"),
            ("OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY", "/etc/key.pem"),
            (
                "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE",
                "/etc/cert.pem",
            ),
            ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "api-key=k1,tenant=a"),
            ("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "none"),
            ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "2000"),
            ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta"),
            (
                "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
                "base2_exponential_bucket_histogram",
            ),
            ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_PROMETHEUS_HOST", "0.0.0.0"),
            ("OTEL_EXPORTER_PROMETHEUS_PORT", "9464"),
            ("OTEL_METRICS_EXPORTER", "otlp,console,prometheus"),
            (
                "OTELRS_METRICS_VIEWS",
                "instrument_name=http.*,instrument_type=histogram,unit=s,meter_name=shop,\
                 meter_version=1.0,meter_schema_url=https://opentelemetry.io/schemas/1.26.0,\
                 name=latency,description=Latency%2C s,aggregation=explicit_bucket_histogram,\
                 boundaries=0.1|1|10,record_min_max=false,attribute_keys=http.route,\
                 aggregation_cardinality_limit=100;\
                 instrument_name=queue.*,aggregation=base2_exponential_bucket_histogram,\
                 max_size=80,max_scale=10;meter_name=noisy,aggregation=drop",
            ),
            ("OTEL_METRICS_EXEMPLAR_FILTER", "always_on"),
            ("OTEL_BLRP_SCHEDULE_DELAY", "200"),
            ("OTEL_BLRP_EXPORT_TIMEOUT", "5000"),
            ("OTEL_BLRP_MAX_QUEUE_SIZE", "1000"),
            ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "100"),
            (
                "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                "http://collector:4318/v1/logs",
            ),
            ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/json"),
            (
                "OTELRS_EXPORTER_LOKI_ENDPOINT",
                "http://loki:3100/loki/api/v1/push",
            ),
            ("OTELRS_EXPORTER_LOKI_LABELS", "service.name,level"),
            ("OTEL_LOGS_EXPORTER", "otlp,console,loki"),
            ("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "1000"),
            ("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "32"),
            ("OTELRS_LOGS_SAMPLING_RATIO", "0.25"),
            ("OTELRS_SYSTEM_METRICS", "host,process"),
            ("OTELRS_HEALTH_RULES", "error_logs_per_minute>60"),
        ];
        for (k, v) in expected {
            assert_eq!(s.get(k).map(String::as_str), Some(v), "{k}");
        }
        assert_eq!(s.len(), expected.len(), "{s:?}");
    }

    #[test]
    fn bad_files_are_refused_naming_the_path() {
        let head = "file_format: \"1.0\"\n";
        for (body, says) in [
            ("# without file_format\ndisabled: true", "file_format: required"),
            ("file_format: \"2.0\"", "file_format: \"2.0\": otelrs reads file formats 0.3, 0.4 and 1.0"),
            (
                "meter_provider:\n  readers:\n    - periodic:\n        exporter:\n          console:\n    - periodic:\n        exporter:\n          otlp_http:\n            endpoint: [1]",
                "meter_provider.readers[1].periodic.exporter.otlp_http.endpoint: expected a string",
            ),
            ("meter_provider:\n  readerz: []", "meter_provider.readerz: unknown or not supported by otelrs (known here: readers, views, exemplar_filter)"),
            ("meter_provider:\n  readers:\n    - periodic:\n        interval: soon", "meter_provider.readers[0].periodic.interval: expected an integer, got \"soon\""),
            ("meter_provider:\n  readers:\n    - periodic:\n        exporter:\n          zipkin: {}", "meter_provider.readers[0].periodic.exporter.zipkin: unknown or not supported by otelrs"),
            ("logger_provider:\n  processors:\n    - simple:\n        exporter:\n          console:", "logger_provider.processors[0].simple: otelrs exports log records in batches only"),
            ("logger_provider:\n  processors:\n    - batch:\n        exporter:\n          console:\n    - batch:\n        exporter:\n          console:", "logger_provider.processors[1].batch.exporter: a second console exporter"),
            ("resource:\n  attributes:\n    - name: x\n      value: ${BAD NAME}", "resource.attributes[0].value: invalid substitution ${BAD NAME}"),
            ("resource:\n  attributes:\n    - name: x\n      value: [1]\n      type: int_array", "resource.attributes[0].type: \"int_array\": otelrs's resource takes string, bool, int and double values"),
            ("otelrs:\n  sampling: 1", "otelrs.sampling: unknown"),
            ("colour: blue", "colour: unknown or not supported by otelrs"),
            ("logger_provider:\n  processors:\n    - batch:\n        exporter:\n          loki:\n            colour: red", "logger_provider.processors[0].batch.exporter.loki.colour: unknown (the loki settings are OTELRS_EXPORTER_LOKI_*)"),
        ] {
            let whole = body.starts_with("file_format") || body.starts_with('#');
            let text = if whole { body.to_owned() } else { format!("{head}{body}") };
            let e = error(&text);
            assert!(e.contains(says), "{body:?}: {e}");
        }
        assert!(error("a: [").starts_with("not YAML"));
    }

    #[test]
    fn substitution_follows_the_specification() {
        let m = Mapper {
            env: &|name| (name == "A").then(|| "1".to_owned()),
            at: std::cell::RefCell::new(String::new()),
            out: Vec::new(),
            metrics_exporters: Vec::new(),
            logs_exporters: Vec::new(),
        };
        let sub = |s: &str| m.substitute(s, "x").unwrap();
        assert_eq!(sub("${A}"), "1");
        assert_eq!(sub("${env:A}"), "1");
        assert_eq!(sub("${B:-two}"), "two");
        assert_eq!(sub("${B}"), "");
        assert_eq!(sub("$${A} costs $$5 ${A}"), "${A} costs $5 1");
        assert!(m.substitute("${A", "x").is_err());
    }

    #[test]
    fn the_readme_example_is_read_as_it_says() {
        let readme = include_str!("../../../README.md");
        let section = &readme[readme.find("## Configuration file").unwrap()..];
        let start = section.find("```yaml\n").unwrap() + 8;
        let example = &section[start..start + section[start..].find("```").unwrap()];
        let s = settings(example, &[("API_KEY", "k")]);
        assert_eq!(s["OTEL_SERVICE_NAME"], "shop");
        assert_eq!(s["OTEL_METRICS_EXPORTER"], "otlp,prometheus");
        assert_eq!(s["OTEL_LOGS_EXPORTER"], "otlp,loki");
        assert_eq!(s["OTEL_EXPORTER_OTLP_METRICS_HEADERS"], "api-key=k");
        assert_eq!(s["OTELRS_LOGS_SAMPLING_RATIO"], "0.1");
        assert_eq!(
            s["OTELRS_METRICS_VIEWS"],
            "instrument_name=http.server.request.duration,aggregation=explicit_bucket_histogram,\
             boundaries=0.005|0.01|0.05|0.1|0.5|1,attribute_keys=http.route|http.response.status_code"
        );
    }
}
