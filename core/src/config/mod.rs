//! The one settings vocabulary: the OpenTelemetry environment variables with their spec
//! defaults, plus `OTELRS_*` names where the spec has none. Values set from code (C's
//! `otelrs_config_set`, Python's and Ruby's keyword arguments) override the environment,
//! key by key; a signal-specific key (`..._METRICS_ENDPOINT`) beats its generic form.
//!
//! `table.rs` lists the keys, `parse.rs` reads values, `settings.rs` resolves them into the
//! typed settings the SDK is built from, `unknown.rs` names keys otelrs does not know.

pub mod choices;
mod custom;
mod file;
pub(crate) mod health;
pub mod instrument;
mod parse;
pub(crate) mod resource;
mod settings;
mod table;
mod unknown;
pub(crate) mod view;

pub(crate) use choices::ExemplarFilter;
pub use choices::Groups;
pub use custom::{CustomExporter, ExportFn, ExportFormat, ExportResult};
pub use health::HealthFn;
pub(crate) use parse::*;
pub(crate) use settings::*;
pub(crate) use table::find;
pub use table::{setting_key, SettingDoc, ValueKind, SETTINGS};
pub(crate) use unknown::*;

use crate::base::error::{Error, Result};
use crate::base::text::percent_encode;
use std::collections::BTreeMap;
use view::View;

/// Settings set from code, checked as they are set. Keys are the names in [`SETTINGS`].
#[derive(Debug, Clone, Default)]
pub struct Config {
    values: BTreeMap<&'static str, String>,
    views: Vec<View>,
    pub(crate) log_exporters: Vec<CustomExporter>,
    pub(crate) metric_exporters: Vec<CustomExporter>,
    pub(crate) health_callback: Option<health::HealthCallback>,
    /// The values come from a configuration file: the environment is not read.
    from_file: bool,
}

impl Config {
    /// Settings with nothing set from code: the environment and the defaults decide.
    pub fn new() -> Self {
        Config::default()
    }

    /// Sets `key` to `value`, overriding the environment. An unknown key, or a value that does
    /// not parse for its key, is a [`crate::ErrorKind::Config`] error naming both.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let doc = find(key).ok_or_else(|| {
            Error::config(format!(
                "unknown setting {key:?} (the settings table in the README lists every key)"
            ))
        })?;
        check_value(doc, value, "")?;
        self.values.insert(doc.key, value.to_owned());
        Ok(())
    }

    /// Sets the setting `name` names: an exact key, or the keyword form the bindings take
    /// (see [`setting_key`]). An unknown name is a [`crate::ErrorKind::Config`] error that
    /// says how keywords are formed. Gives the key it set.
    pub fn set_named(&mut self, name: &str, value: &str) -> Result<&'static str> {
        let key = setting_key(name).ok_or_else(|| {
            Error::config(format!(
                "unknown setting {name:?} (names are the OTEL_* / OTELRS_* keys, or those keys in \
                 lower case without the prefix, e.g. service_name)"
            ))
        })?;
        self.set(key, value)?;
        Ok(key)
    }

    /// Adds the pair `key=value` to the key-value setting `name` (OTEL_RESOURCE_ATTRIBUTES,
    /// an `..._HEADERS` key), both percent-encoded, after the pairs added before: what a
    /// binding makes of a dict or Hash. A setting of another kind is a
    /// [`crate::ErrorKind::Config`] error.
    pub fn add_pair(&mut self, name: &str, key: &str, value: &str) -> Result<&'static str> {
        let doc = setting_key(name)
            .and_then(find)
            .ok_or_else(|| Error::config(format!("unknown setting {name:?}")))?;
        if doc.kind != ValueKind::KeyValues {
            return Err(Error::config(format!(
                "{} takes no key=value pairs (only the settings of key=value lists do)",
                doc.key
            )));
        }
        let encode = |s: &str| percent_encode(s, &[',', '=']);
        let pair = format!("{}={}", encode(key), encode(value));
        let text = match self.values.get(doc.key) {
            Some(before) if !before.is_empty() => format!("{before},{pair}"),
            _ => pair,
        };
        self.set(doc.key, &text)?;
        Ok(doc.key)
    }

    /// Adds a view in its text form (see OTELRS_METRICS_VIEWS), after those of
    /// OTELRS_METRICS_VIEWS; an invalid view is a [`crate::ErrorKind::Config`] error saying why.
    pub fn add_view(&mut self, view: &str) -> Result<()> {
        self.views.push(View::parse(view)?);
        Ok(())
    }

    /// Adds a view given as keys and values, as a dict or Hash gives it: a key that comes
    /// again adds an item to its list (`boundaries`, `attribute_keys`). Values are taken as
    /// they are (no separator in them is read as one).
    pub fn add_view_pairs<'a>(
        &mut self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<()> {
        let mut grouped: Vec<(&str, Vec<String>)> = Vec::new();
        for (key, value) in pairs {
            match grouped.iter_mut().find(|(k, _)| *k == key) {
                Some((_, items)) => items.push(value.to_owned()),
                None => grouped.push((key, vec![value.to_owned()])),
            }
        }
        self.add_view(&crate::config::view::view_text(grouped))
    }

    /// Adds an exporter of log records written by the user, beside those of
    /// Reads the configuration file at `path` (OTEL_CONFIG_FILE), checking it now: the SDK
    /// then takes its settings from it instead of the environment, with those set from code
    /// over them. A file that cannot be read or mapped is a [`crate::ErrorKind::Config`] error
    /// naming the path in the file.
    pub fn set_file(&mut self, path: &str) -> Result<()> {
        let mut probe = Config::new();
        probe.set("OTEL_CONFIG_FILE", path)?;
        probe.with_file()?;
        self.values.insert("OTEL_CONFIG_FILE", path.to_owned());
        Ok(())
    }

    /// The configuration the file OTEL_CONFIG_FILE names (set from code or, failing that, in
    /// the environment) gives, with what was set from code over it, and the settings set in
    /// the environment that it leaves unread (the file refers to none of them); `None`
    /// without a file.
    pub(crate) fn with_file(&self) -> Result<Option<(Config, Vec<String>)>> {
        if self.from_file {
            return Ok(None);
        }
        let Some((path, _)) = self.lookup("OTEL_CONFIG_FILE")? else {
            return Ok(None);
        };
        let mut merged = Config {
            from_file: true,
            ..Config::default()
        };
        let (settings, referred) = file::read(&path)?;
        for (key, value, at) in settings {
            let doc = find(key).ok_or_else(|| {
                Error::internal(format!("the configuration file gave {key}, not a setting"))
            })?;
            check_value(doc, &value, "").map_err(|e| {
                Error::config(format!("configuration file {path}: {at}: {}", e.message()))
            })?;
            merged.values.insert(doc.key, value);
        }
        for (key, value) in &self.values {
            if *key != "OTEL_CONFIG_FILE" {
                merged.values.insert(key, value.clone());
            }
        }
        merged.views.extend(self.views.iter().cloned());
        merged.log_exporters = self.log_exporters.clone();
        merged.metric_exporters = self.metric_exporters.clone();
        merged.health_callback = self.health_callback.clone();
        let unread = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
            .filter(|(k, v)| {
                k != "OTEL_CONFIG_FILE"
                    && !v.is_empty()
                    && find(k).is_some()
                    && !referred.contains(k)
                    && !self.values.contains_key(k.as_str())
            })
            .map(|(k, _)| k)
            .collect();
        Ok(Some((merged, unread)))
    }

    /// Sets the function told of each change of the health status (`ok`, `degraded`,
    /// `failing`; the SDK starts `ok`), with the health report as JSON. It is called on
    /// otelrs's `otelrs-health` thread, which evaluates the rules of OTELRS_HEALTH_RULES and
    /// the exporters' health every OTELRS_HEALTH_INTERVAL; a later call replaces it.
    pub fn set_health_callback(&mut self, callback: HealthFn) {
        self.health_callback = Some(health::HealthCallback(std::sync::Arc::new(callback)));
    }

    /// OTEL_LOGS_EXPORTER: `export` is called on otelrs's log export thread with each batch as
    /// a `format`-encoded OTLP `ExportLogsServiceRequest`. An invalid or taken `name` is a
    /// [`crate::ErrorKind::Config`] error.
    pub fn add_log_exporter(
        &mut self,
        name: &str,
        format: ExportFormat,
        export: ExportFn,
    ) -> Result<()> {
        let e = CustomExporter::new(name, format, export, &self.log_exporters)?;
        self.log_exporters.push(e);
        Ok(())
    }

    /// Adds an exporter of metrics written by the user, beside those of
    /// OTEL_METRICS_EXPORTER: `export` is called on otelrs's collection thread with each
    /// collection (every OTEL_METRIC_EXPORT_INTERVAL, and at a flush) as a `format`-encoded
    /// OTLP `ExportMetricsServiceRequest`, cumulative. An invalid or taken `name` is a
    /// [`crate::ErrorKind::Config`] error.
    pub fn add_metric_exporter(
        &mut self,
        name: &str,
        format: ExportFormat,
        export: ExportFn,
    ) -> Result<()> {
        let e = CustomExporter::new(name, format, export, &self.metric_exporters)?;
        self.metric_exporters.push(e);
        Ok(())
    }

    /// The value in force for `key`: from code, else from the environment (an empty
    /// environment value counts as unset, as the spec says), else `None`.
    fn lookup(&self, key: &str) -> Result<Option<(String, &'static str)>> {
        if let Some(v) = self.values.get(key) {
            return Ok(Some((v.clone(), "")));
        }
        if self.from_file {
            return Ok(None);
        }
        match std::env::var(key) {
            Ok(v) if !v.trim().is_empty() => Ok(Some((v, " (from the environment)"))),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::config(format!(
                "invalid value for {key} (from the environment): it is not valid UTF-8"
            ))),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    #[test]
    fn keyword_names_map_to_their_keys() {
        assert_eq!(setting_key("service_name"), Some("OTEL_SERVICE_NAME"));
        assert_eq!(
            setting_key("logs_rate_limit"),
            Some("OTELRS_LOGS_RATE_LIMIT")
        );
        assert_eq!(
            setting_key("OTEL_BLRP_MAX_QUEUE_SIZE"),
            Some("OTEL_BLRP_MAX_QUEUE_SIZE")
        );
        assert_eq!(setting_key("no_such_setting"), None);
    }

    #[test]
    fn unknown_key_and_bad_values_name_key_and_value() {
        let mut c = Config::new();
        let e = c.set("OTEL_METRICS_EXPORTR", "otlp").unwrap_err();
        assert!(e.message().contains("OTEL_METRICS_EXPORTR"), "{e}");
        let e = c.set("OTEL_METRIC_EXPORT_INTERVAL", "soon").unwrap_err();
        assert!(
            e.message().contains("OTEL_METRIC_EXPORT_INTERVAL") && e.message().contains("soon")
        );
        let e = c.set("OTEL_METRICS_EXPORTER", "otlp,zipkin").unwrap_err();
        assert!(e.message().contains("zipkin"), "{e}");
        assert!(c.set("OTEL_METRICS_EXPORTER", "none,otlp").is_err());
        assert!(c
            .set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://h:99999")
            .is_err());
        assert!(c
            .set("OTEL_EXPORTER_OTLP_CERTIFICATE", "/no/such/file.pem")
            .is_err());
        assert!(c.set("OTEL_SDK_DISABLED", "yes").is_err());
        let e = c.set("OTEL_EXPORTER_PROMETHEUS_PORT", "70000").unwrap_err();
        assert!(
            e.message().contains("70000") && e.message().contains("0 to 65535"),
            "{e}"
        );
        c.set("OTEL_LOGS_EXPORTER", "prometheus").unwrap();
        let e = Settings::resolve(&c).unwrap_err();
        assert!(
            e.message()
                .contains("\"prometheus\" for OTEL_LOGS_EXPORTER"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_key_is_named_with_the_nearest_known_one() {
        assert_eq!(
            unknown_key_warning("OTEL_EXPORTER_OTLP_ENDPIONT"),
            "OTEL_EXPORTER_OTLP_ENDPIONT is not a setting otelrs knows and is ignored \
             (did you mean OTEL_EXPORTER_OTLP_ENDPOINT?)"
        );
        assert!(unknown_key_warning("OTELRS_WHATEVER_ELSE").ends_with("is ignored"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn header_values_never_appear_in_messages() {
        let mut c = Config::new();
        for (key, value) in [
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "authorization=Bearer s3cr3t%zz",
            ),
            ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "Bearer s3cr3t"),
            ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "=s3cr3t"),
        ] {
            let e = c.set(key, value).unwrap_err();
            assert!(!e.message().contains("s3cr3t"), "{e}");
            assert!(e.message().contains(key), "{e}");
        }
        let e = c
            .set(
                "OTEL_EXPORTER_OTLP_HEADERS",
                "authorization=Bearer s3cr3t%zz",
            )
            .unwrap_err();
        assert!(e.message().contains("\"authorization\""), "{e}");
        // A header the HTTP rules refuse: named with its setting, the value not shown.
        c.set("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "x-token=s3cr3t%0A")
            .unwrap();
        let s = Settings::resolve(&c).unwrap();
        let e = crate::export::connection::header_map(&s.logs.otlp.conn).unwrap_err();
        assert!(
            e.message().contains("OTEL_EXPORTER_OTLP_LOGS_HEADERS")
                && e.message().contains("x-token")
                && !e.message().contains("s3cr3t"),
            "{e}"
        );
    }

    #[test]
    fn endpoints_that_cannot_work_are_refused_and_a_query_stays_last() {
        let mut c = Config::new();
        c.set("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            .unwrap();
        c.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://[::1").unwrap();
        let e = Settings::resolve(&c).unwrap_err();
        assert!(e.message().contains("not a URL with a host"), "{e}");
        c.set(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "https://gw.example/otlp?tenant=a",
        )
        .unwrap();
        let s = Settings::resolve(&c).unwrap();
        assert_eq!(
            s.otlp.conn.endpoint,
            "https://gw.example/otlp/v1/metrics?tenant=a"
        );
        assert_eq!(
            s.logs.otlp.conn.endpoint,
            "https://gw.example/otlp/v1/logs?tenant=a"
        );
    }

    /// A directory of this test's own, and a file in it that is not a PEM certificate.
    fn not_a_certificate(test: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("otelrs-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("not.pem");
        std::fs::write(&file, "not a certificate").unwrap();
        (dir, file)
    }

    #[test]
    fn a_client_certificate_needs_its_key_and_tls() {
        let (dir, file) = not_a_certificate("client");
        let mut c = Config::new();
        c.set(
            "OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE",
            file.to_str().unwrap(),
        )
        .unwrap();
        let s = Settings::resolve(&c).unwrap();
        let e = crate::export::connection::http_client(&s.logs.otlp.conn).unwrap_err();
        assert!(
            e.message().contains(
                "OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY go together"
            ),
            "{e}"
        );
        c.set("OTEL_EXPORTER_OTLP_CLIENT_KEY", file.to_str().unwrap())
            .unwrap();
        c.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
            .unwrap();
        let s = Settings::resolve(&c).unwrap();
        let e = crate::export::connection::http_client(&s.logs.otlp.conn).unwrap_err();
        assert!(e.message().contains("is not https://"), "{e}");
        c.set("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318")
            .unwrap();
        let s = Settings::resolve(&c).unwrap();
        let e = crate::export::connection::http_client(&s.logs.otlp.conn).unwrap_err();
        assert!(
            e.message()
                .contains("OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE")
                && e.message().contains("no PEM certificate"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_signal_specific_certificate_is_named_in_its_errors() {
        let (dir, not_pem) = not_a_certificate("cert");
        let mut c = Config::new();
        c.set("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            .unwrap();
        c.set(
            "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE",
            not_pem.to_str().unwrap(),
        )
        .unwrap();
        let s = Settings::resolve(&c).unwrap();
        let e = crate::export::connection::http_client(&s.logs.otlp.conn).unwrap_err();
        assert!(
            e.message().contains("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn code_overrides_and_signal_specific_keys_win() {
        let mut c = Config::new();
        c.set("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            .unwrap();
        c.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")
            .unwrap();
        c.set("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=x%20y").unwrap();
        c.set("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "250").unwrap();
        c.set("OTEL_EXPORTER_OTLP_TIMEOUT", "999").unwrap();
        c.set("OTEL_METRICS_EXPORTER", " console , OTLP,console")
            .unwrap();
        let s = Settings::resolve(&c).unwrap();
        assert_eq!(s.otlp.conn.endpoint, "http://collector:4318/v1/metrics");
        assert_eq!(s.otlp.conn.headers[1], ("b".to_owned(), "x y".to_owned()));
        assert_eq!(s.otlp.conn.timeout, Duration::from_millis(250));
        assert_eq!(s.metrics_exporters, vec![Exporter::Console, Exporter::Otlp]);
        c.set("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc").unwrap();
        c.set("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317")
            .unwrap();
        c.set("OTEL_EXPORTER_OTLP_INSECURE", "TRUE").unwrap();
        assert_eq!(
            Settings::resolve(&c).unwrap().otlp.conn.endpoint,
            "http://collector:4317"
        );
        c.set("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "https://m:4317")
            .unwrap();
        assert_eq!(
            Settings::resolve(&c).unwrap().otlp.conn.endpoint,
            "https://m:4317"
        );
    }

    #[test]
    fn keyword_names_and_pairs_are_read_as_the_bindings_give_them() {
        let mut c = Config::new();
        assert_eq!(
            c.set_named("service_name", "a").unwrap(),
            "OTEL_SERVICE_NAME"
        );
        assert_eq!(
            c.set_named("logs_rate_limit", "5").unwrap(),
            "OTELRS_LOGS_RATE_LIMIT"
        );
        let err = c.set_named("no_such", "1").unwrap_err().to_string();
        assert!(
            err.contains("\"no_such\"") && err.contains("service_name"),
            "{err}"
        );
        c.add_pair("resource_attributes", "team", "a,b=c%").unwrap();
        c.add_pair("OTEL_RESOURCE_ATTRIBUTES", "zone", "eu")
            .unwrap();
        assert_eq!(
            Settings::resolve(&c).unwrap().resource_attributes,
            vec![
                ("team".to_owned(), "a,b=c%".to_owned()),
                ("zone".to_owned(), "eu".to_owned())
            ]
        );
        let err = c
            .add_pair("service_name", "k", "v")
            .unwrap_err()
            .to_string();
        assert!(err.contains("takes no key=value pairs"), "{err}");
        c.add_view_pairs([
            ("instrument_name", "http.*"),
            ("boundaries", "1"),
            ("boundaries", "2.5"),
            ("description", "a, b | c; d"),
        ])
        .unwrap();
        assert!(c
            .add_view_pairs([
                ("instrument_name", "x"),
                ("boundaries", "2"),
                ("boundaries", "1")
            ])
            .unwrap_err()
            .to_string()
            .contains("increase"));
    }

    #[test]
    fn every_setting_is_documented_in_the_readme() {
        let readme = include_str!("../../../README.md");
        for s in SETTINGS {
            assert!(readme.contains(s.key), "README lacks {}", s.key);
        }
    }
}
