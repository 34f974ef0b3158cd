//! OpenTelemetry names and units as Prometheus names, as the OpenTelemetry "Prometheus and
//! OpenMetrics Compatibility" spec says: invalid characters become `_` (runs of `_` become
//! one), the unit is spelled out and appended unless the name already has it.

/// `name` with every character outside `[a-zA-Z0-9_:]` (`:` only when `colons`) replaced by
/// `_`, runs of `_` made one, and `prefix` in front of a leading digit.
fn sanitize(name: &str, colons: bool, prefix: &str) -> String {
    let mut out = String::with_capacity(name.len() + 1);
    for c in name.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '_' || (colons && c == ':') {
            c
        } else {
            '_'
        };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, prefix);
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// A metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub(crate) fn metric(name: &str) -> String {
    sanitize(name, true, "_")
}

/// A label name: `[a-zA-Z_][a-zA-Z0-9_]*` (a leading digit gets `key_` in front).
pub(crate) fn label(key: &str) -> String {
    sanitize(key, false, "key_")
}

/// A UCUM unit spelled as Prometheus does, or None for no unit.
fn unit_word(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tebibytes",
        "KBy" | "kBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "TBy" => "terabytes",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "%" => "percent",
        "1" => "ratio",
        _ => return None,
    })
}

/// A UCUM unit after "/" spelled as Prometheus does.
fn per_unit_word(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "s" => "second",
        "m" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        _ => return None,
    })
}

/// One side of a unit: its word, or its letters and digits for a unit Prometheus has no
/// word for, with the parts in braces (annotations such as `{request}`) left out.
fn unit_part(part: &str, word: fn(&str) -> Option<&'static str>) -> String {
    let mut plain = String::new();
    let mut depth = 0usize;
    for c in part.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            c if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let plain = plain.trim();
    match word(plain) {
        Some(w) => w.to_owned(),
        None => plain.chars().filter(char::is_ascii_alphanumeric).collect(),
    }
}

/// The Prometheus unit of an OpenTelemetry unit: "ms" → "milliseconds", "By/s" →
/// "bytes_per_second", "1" → "ratio", "{request}" → none.
pub(crate) fn unit(unit: &str) -> Option<String> {
    let (main, per) = match unit.split_once('/') {
        Some((main, per)) => (main, Some(per)),
        None => (unit, None),
    };
    let main = unit_part(main, unit_word);
    let per = per.map(|p| unit_part(p, per_unit_word)).unwrap_or_default();
    let out = match (main.is_empty(), per.is_empty()) {
        (_, true) => main,
        (true, false) => format!("per_{per}"),
        (false, false) => format!("{main}_per_{per}"),
    };
    (!out.is_empty()).then_some(out)
}

/// The family name of a metric: its name made valid, with the Prometheus unit appended
/// unless the name already has it (`_total` of a counter is added by the writer).
pub(crate) fn family(name: &str, unit: Option<&str>) -> String {
    let mut out = metric(name);
    if let Some(unit) = unit {
        let unit = metric(unit);
        let base = out.strip_suffix("_total").unwrap_or(&out);
        let has_unit = base == unit || base.ends_with(&format!("_{unit}"));
        if !has_unit {
            let total = out.len() != base.len();
            out.truncate(base.len());
            out.push('_');
            out.push_str(&unit);
            if total {
                out.push_str("_total");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_valid() {
        assert_eq!(
            metric("http.server.request.duration"),
            "http_server_request_duration"
        );
        assert_eq!(
            metric("(lambda).function..executions(#)"),
            "_lambda_function_executions_"
        );
        assert_eq!(metric("9lives"), "_9lives");
        assert_eq!(metric("a:b-c"), "a:b_c");
        assert_eq!(label("http.route"), "http_route");
        assert_eq!(label("a:b"), "a_b");
        assert_eq!(label("0x"), "key_0x");
        assert_eq!(label("ümlaut"), "_mlaut");
    }

    #[test]
    fn units_are_spelled_out() {
        assert_eq!(unit("ms").as_deref(), Some("milliseconds"));
        assert_eq!(unit("us").as_deref(), Some("microseconds"));
        assert_eq!(unit("By/s").as_deref(), Some("bytes_per_second"));
        assert_eq!(unit("{packet}/s").as_deref(), Some("per_second"));
        assert_eq!(unit("{request}"), None);
        assert_eq!(unit("1").as_deref(), Some("ratio"));
        assert_eq!(unit("").as_deref(), None);
        assert_eq!(unit("packets").as_deref(), Some("packets"));
        assert_eq!(unit("m/s").as_deref(), Some("meters_per_second"));
    }

    #[test]
    fn the_unit_is_appended_once() {
        assert_eq!(
            family("http.server.request.duration", Some("seconds")),
            "http_server_request_duration_seconds"
        );
        assert_eq!(
            family("request_duration_seconds", Some("seconds")),
            "request_duration_seconds"
        );
        assert_eq!(family("io_total", Some("bytes")), "io_bytes_total");
        assert_eq!(family("io_bytes_total", Some("bytes")), "io_bytes_total");
        assert_eq!(family("shop.orders", None), "shop_orders");
    }
}
