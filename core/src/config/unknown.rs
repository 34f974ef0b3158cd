//! `OTEL_*` / `OTELRS_*` keys of the environment that otelrs does not know: named once, with
//! the known key nearest to each.

use super::*;

/// Environment keys of the OpenTelemetry family that belong to other signals, languages or
/// components (traces, propagators, instrumentations): not otelrs's, and not a typo.
pub(crate) const OTHERS_KEYS: &[&str] = &[
    "OTEL_TRACES_",
    "OTEL_EXPORTER_OTLP_TRACES_",
    "OTEL_BSP_",
    "OTEL_SPAN_",
    "OTEL_LINK_",
    "OTEL_EVENT_",
    "OTEL_PROPAGATORS",
    "OTEL_PYTHON_",
    "OTEL_RUBY_",
    "OTEL_NODE_",
    "OTEL_JAVA",
    "OTEL_DOTNET_",
    "OTEL_GO_",
    "OTEL_PHP_",
    "OTEL_SEMCONV_",
    "OTEL_INSTRUMENTATION_",
    "OTEL_EXPORTER_ZIPKIN_",
    "OTEL_EXPORTER_JAEGER_",
    "OTEL_EXPERIMENTAL_",
    "OTEL_ENTITIES",
    // The Ruby gem's path to libotelrs.
    "OTELRS_LIB",
];

/// Says once per process which `OTEL_*` / `OTELRS_*` keys of `keys` otelrs does
/// not know (a typo such as `OTEL_EXPORTER_OTLP_ENDPIONT` must be seen), with the known key
/// nearest to each.
pub(crate) fn warn_of_unknown_keys(keys: impl Iterator<Item = String>) {
    static WARNED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    for key in keys {
        let ours = key.starts_with("OTELRS_") || key.starts_with("OTEL_");
        if !ours || find(&key).is_some() || OTHERS_KEYS.iter().any(|p| key.starts_with(p)) {
            continue;
        }
        let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
        if warned.contains(&key) {
            continue;
        }
        warned.push(key.clone());
        crate::base::diag::warn(unknown_key_warning(&key));
    }
}

/// The warning for an unknown key, naming the nearest known one when it looks like a typo.
pub(crate) fn unknown_key_warning(key: &str) -> String {
    let nearest = SETTINGS
        .iter()
        .map(|s| (edit_distance(key, s.key), s.key))
        .min()
        .filter(|(d, _)| *d <= 3);
    match nearest {
        Some((_, known)) => {
            format!("{key} is not a setting otelrs knows and is ignored (did you mean {known}?)")
        }
        None => format!("{key} is not a setting otelrs knows and is ignored"),
    }
}

/// The Levenshtein distance of two keys.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}
