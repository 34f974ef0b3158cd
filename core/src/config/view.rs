//! Views as settings: which instruments (a selector) get which stream (name, description,
//! aggregation, attribute keys, cardinality limit). One text form serves every language and the
//! environment: `key=value` pairs separated by commas, list items separated by `|`, values
//! percent-decoded (`%2C` for a comma); OTELRS_METRICS_VIEWS holds views separated by `;`.
//!
//! ```text
//! instrument_name=http.server.*,attribute_keys=http.route|http.request.method
//! instrument_name=rpc.duration,aggregation=base2_exponential_bucket_histogram,max_scale=10
//! meter_name=noisy.lib,aggregation=drop
//! ```
//!
//! Every view that selects an instrument gives it a stream, as the spec says; an instrument no
//! view selects gets its default stream. Every stream without a limit of its own has the
//! SDK-wide cardinality limit (OTELRS_METRICS_CARDINALITY_LIMIT).

use crate::base::error::{Error, Result};
use opentelemetry::{InstrumentationScope, Key};
use opentelemetry_sdk::metrics::{Aggregation, Instrument, InstrumentKind, Stream};

/// The keys that select instruments.
pub(crate) const SELECTORS: &[&str] = &[
    "instrument_name",
    "instrument_type",
    "unit",
    "meter_name",
    "meter_version",
    "meter_schema_url",
];

/// The keys that shape the stream.
const STREAM_KEYS: &[&str] = &[
    "name",
    "description",
    "aggregation",
    "boundaries",
    "record_min_max",
    "max_size",
    "max_scale",
    "attribute_keys",
    "aggregation_cardinality_limit",
];

const AGGREGATIONS: &str =
    "default, drop, sum, last_value, explicit_bucket_histogram, base2_exponential_bucket_histogram";

/// What a view makes of the instruments it selects.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AggregationSpec {
    Drop,
    Sum,
    LastValue,
    Explicit {
        boundaries: Option<Vec<f64>>,
        record_min_max: bool,
    },
    Exponential {
        max_size: u32,
        max_scale: i8,
        record_min_max: bool,
    },
}

impl AggregationSpec {
    /// The SDK aggregation.
    pub(crate) fn aggregation(&self) -> Aggregation {
        match self {
            AggregationSpec::Drop => Aggregation::Drop,
            AggregationSpec::Sum => Aggregation::Sum,
            AggregationSpec::LastValue => Aggregation::LastValue,
            AggregationSpec::Explicit {
                boundaries,
                record_min_max,
            } => Aggregation::ExplicitBucketHistogram {
                boundaries: boundaries
                    .clone()
                    .unwrap_or_else(|| DEFAULT_BOUNDARIES.to_vec()),
                record_min_max: *record_min_max,
            },
            AggregationSpec::Exponential {
                max_size,
                max_scale,
                record_min_max,
            } => Aggregation::Base2ExponentialHistogram {
                max_size: *max_size,
                max_scale: *max_scale,
                record_min_max: *record_min_max,
            },
        }
    }
}

/// One view, checked when it is made.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub(crate) instrument_name: Option<String>,
    pub(crate) instrument_type: Option<InstrumentKind>,
    pub(crate) unit: Option<String>,
    pub(crate) meter_name: Option<String>,
    pub(crate) meter_version: Option<String>,
    pub(crate) meter_schema_url: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) aggregation: Option<AggregationSpec>,
    pub(crate) attribute_keys: Option<Vec<String>>,
    pub(crate) cardinality_limit: Option<usize>,
}

fn invalid(view: &str, why: impl std::fmt::Display) -> Error {
    Error::config(format!("invalid view {view:?}: {why}"))
}

fn decode(v: &str) -> std::result::Result<String, String> {
    crate::base::text::percent_decode(v.trim())
}

/// The instrument types of the view text form (`instrument_type=`).
const TYPES: [(&str, InstrumentKind); 7] = [
    ("counter", InstrumentKind::Counter),
    ("up_down_counter", InstrumentKind::UpDownCounter),
    ("histogram", InstrumentKind::Histogram),
    ("gauge", InstrumentKind::Gauge),
    ("observable_counter", InstrumentKind::ObservableCounter),
    (
        "observable_up_down_counter",
        InstrumentKind::ObservableUpDownCounter,
    ),
    ("observable_gauge", InstrumentKind::ObservableGauge),
];

fn kind_of(name: &str) -> Option<InstrumentKind> {
    TYPES.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
}

/// The view text name of an instrument type, for messages.
fn type_name(kind: InstrumentKind) -> &'static str {
    TYPES
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or("instrument", |(n, _)| n)
}

/// Whether `name` matches `pattern`, where `*` stands for any characters and `?` for one,
/// ignoring case (instrument names are case-insensitive).
pub(crate) fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let n: Vec<char> = name.to_lowercase().chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

impl View {
    /// Parses one view in the text form (see the module documentation).
    pub fn parse(text: &str) -> Result<View> {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (k, v) = item
                .split_once('=')
                .ok_or_else(|| invalid(text, format!("{item:?} is not key=value")))?;
            let k = k.trim();
            if !SELECTORS.contains(&k) && !STREAM_KEYS.contains(&k) {
                return Err(invalid(
                    text,
                    format!(
                        "unknown key {k:?} (selectors: {}; stream: {})",
                        SELECTORS.join(", "),
                        STREAM_KEYS.join(", ")
                    ),
                ));
            }
            if pairs.iter().any(|(seen, _)| *seen == k) {
                return Err(invalid(text, format!("{k:?} is given twice")));
            }
            pairs.push((k, v));
        }
        let get = |key: &str| -> Result<Option<String>> {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| decode(v).map_err(|e| invalid(text, format!("{key}: {e}"))))
                .transpose()
        };
        let list = |key: &str| -> Result<Option<Vec<String>>> {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| {
                    v.split('|')
                        .map(decode)
                        .filter(|item| !matches!(item, Ok(s) if s.is_empty()))
                        .collect::<std::result::Result<Vec<String>, String>>()
                        .map_err(|e| invalid(text, format!("{key}: {e}")))
                })
                .transpose()
        };
        let number = |key: &str| -> Result<Option<i64>> {
            get(key)?
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| invalid(text, format!("{key}: {v:?} is not a whole number")))
                })
                .transpose()
        };
        let flag = |key: &str| -> Result<Option<bool>> {
            get(key)?
                .map(|v| match v.to_ascii_lowercase().as_str() {
                    "true" => Ok(true),
                    "false" => Ok(false),
                    _ => Err(invalid(text, format!("{key}: {v:?} is not true or false"))),
                })
                .transpose()
        };

        if !pairs.iter().any(|(k, _)| SELECTORS.contains(k)) {
            return Err(invalid(
                text,
                format!("it selects nothing: give one of {}", SELECTORS.join(", ")),
            ));
        }
        let instrument_type = get("instrument_type")?
            .map(|t| {
                kind_of(&t).ok_or_else(|| {
                    invalid(
                        text,
                        format!(
                            "instrument_type {t:?} is none of counter, up_down_counter, histogram, gauge, \
                             observable_counter, observable_up_down_counter, observable_gauge"
                        ),
                    )
                })
            })
            .transpose()?;
        let instrument_name = get("instrument_name")?;
        let name = get("name")?;
        if let Some(n) = &name {
            super::instrument::check_name(n).map_err(|e| invalid(text, e.message()))?;
        }
        if name.is_some()
            && instrument_name
                .as_deref()
                .map_or(true, |n| n.contains(['*', '?']))
        {
            return Err(invalid(
                text,
                "a view that renames must select one instrument by its exact instrument_name \
                 (otherwise every instrument it selects would get the same name)",
            ));
        }

        let boundaries = list("boundaries")?
            .map(|items| {
                if items.len() > super::instrument::MAX_BOUNDARIES {
                    return Err(invalid(
                        text,
                        format!(
                            "{} boundaries: at most {}",
                            items.len(),
                            super::instrument::MAX_BOUNDARIES
                        ),
                    ));
                }
                let mut out = Vec::with_capacity(items.len());
                for item in &items {
                    let b: f64 = item.parse().map_err(|_| {
                        invalid(text, format!("boundaries: {item:?} is not a number"))
                    })?;
                    if !b.is_finite() || b < 0.0 {
                        return Err(invalid(
                            text,
                            format!("boundaries: {item} is not a finite number of 0 or more"),
                        ));
                    }
                    if out.last().is_some_and(|last| b <= *last) {
                        return Err(invalid(
                            text,
                            format!(
                                "boundaries must increase: {item} comes after {}",
                                out[out.len() - 1]
                            ),
                        ));
                    }
                    out.push(b);
                }
                Ok(out)
            })
            .transpose()?;
        let record_min_max = flag("record_min_max")?;
        let max_size = number("max_size")?;
        let max_scale = number("max_scale")?;
        let aggregation_name = get("aggregation")?.map(|a| a.to_ascii_lowercase());
        let aggregation_name = match (aggregation_name.as_deref(), &boundaries) {
            (None, Some(_)) => Some("explicit_bucket_histogram"),
            (a, _) => a,
        };
        let only_for = |key: &str, present: bool, agg: &str| -> Result<()> {
            if present && aggregation_name != Some(agg) {
                Err(invalid(
                    text,
                    format!("{key} applies to aggregation={agg} only"),
                ))
            } else {
                Ok(())
            }
        };
        only_for(
            "boundaries",
            boundaries.is_some(),
            "explicit_bucket_histogram",
        )?;
        only_for(
            "max_size",
            max_size.is_some(),
            "base2_exponential_bucket_histogram",
        )?;
        only_for(
            "max_scale",
            max_scale.is_some(),
            "base2_exponential_bucket_histogram",
        )?;
        if record_min_max.is_some()
            && !matches!(
                aggregation_name,
                Some("explicit_bucket_histogram" | "base2_exponential_bucket_histogram")
            )
        {
            return Err(invalid(
                text,
                "record_min_max applies to the histogram aggregations only",
            ));
        }
        let aggregation = match aggregation_name {
            None | Some("default") => None,
            Some("drop") => Some(AggregationSpec::Drop),
            Some("sum") => Some(AggregationSpec::Sum),
            Some("last_value") => Some(AggregationSpec::LastValue),
            Some("explicit_bucket_histogram") => Some(AggregationSpec::Explicit {
                boundaries,
                record_min_max: record_min_max.unwrap_or(true),
            }),
            Some("base2_exponential_bucket_histogram") => Some(AggregationSpec::Exponential {
                max_size: match max_size {
                    None => 160,
                    Some(n) if (2..=16_384).contains(&n) => n as u32,
                    Some(n) => {
                        return Err(invalid(
                            text,
                            format!("max_size {n} is not from 2 to 16384"),
                        ))
                    }
                },
                max_scale: match max_scale {
                    None => 20,
                    Some(n) if (-10..=20).contains(&n) => n as i8,
                    Some(n) => {
                        return Err(invalid(
                            text,
                            format!("max_scale {n} is not from -10 to 20"),
                        ))
                    }
                },
                record_min_max: record_min_max.unwrap_or(true),
            }),
            Some(other) => {
                return Err(invalid(
                    text,
                    format!("aggregation {other:?} is none of {AGGREGATIONS}"),
                ))
            }
        };
        let cardinality_limit = match number("aggregation_cardinality_limit")? {
            None => None,
            Some(n) if n >= 1 => Some(n as usize),
            Some(n) => {
                return Err(invalid(
                    text,
                    format!("aggregation_cardinality_limit {n} is not 1 or more"),
                ))
            }
        };
        let view = View {
            instrument_name,
            instrument_type,
            unit: get("unit")?,
            meter_name: get("meter_name")?,
            meter_version: get("meter_version")?,
            meter_schema_url: get("meter_schema_url")?,
            name,
            description: get("description")?,
            aggregation,
            attribute_keys: list("attribute_keys")?,
            cardinality_limit,
        };
        view.stream(SDK_CARDINALITY_LIMIT)
            .map_err(|e| invalid(text, e))?;
        if let Some(kind) = view.instrument_type {
            view.check_aggregation_for(kind)
                .map_err(|why| invalid(text, format!("instrument_type selects {why}")))?;
        }
        Ok(view)
    }

    /// Whether the view's aggregation suits an instrument of `kind` (as the SDK's
    /// compatibility rules say: it would ignore the view otherwise); `Err` says why not.
    pub(crate) fn check_aggregation_for(
        &self,
        kind: InstrumentKind,
    ) -> std::result::Result<(), String> {
        use InstrumentKind as K;
        let (fits, name, for_whom) = match self.aggregation {
            Some(AggregationSpec::Sum) => (
                !matches!(kind, K::Gauge | K::ObservableGauge),
                "sum",
                "counters, up-down counters and histograms",
            ),
            Some(AggregationSpec::LastValue) => (
                matches!(kind, K::Gauge | K::ObservableGauge),
                "last_value",
                "gauges",
            ),
            _ => (true, "", ""),
        };
        if fits {
            Ok(())
        } else {
            Err(format!(
                "type {}, which cannot have the aggregation {name} (only {for_whom} can)",
                type_name(kind)
            ))
        }
    }

    /// Whether the view selects the instrument `name` of `kind` and `unit` in `scope`.
    pub(crate) fn selects(
        &self,
        name: &str,
        kind: InstrumentKind,
        unit: &str,
        scope: &InstrumentationScope,
    ) -> bool {
        self.instrument_name
            .as_deref()
            .map_or(true, |p| wildcard_match(p, name))
            && self.instrument_type.map_or(true, |k| k == kind)
            && self.unit.as_deref().map_or(true, |u| u == unit)
            && self
                .meter_name
                .as_deref()
                .map_or(true, |m| m == scope.name())
            && self
                .meter_version
                .as_deref()
                .map_or(true, |v| Some(v) == scope.version())
            && self
                .meter_schema_url
                .as_deref()
                .map_or(true, |s| Some(s) == scope.schema_url())
    }

    /// The stream the view gives, with `default_limit` when it sets no limit of its own.
    pub(crate) fn stream(&self, default_limit: usize) -> std::result::Result<Stream, String> {
        let mut b = Stream::builder()
            .with_cardinality_limit(self.cardinality_limit.unwrap_or(default_limit));
        if let Some(n) = &self.name {
            b = b.with_name(n.clone());
        }
        if let Some(d) = &self.description {
            b = b.with_description(d.clone());
        }
        if let Some(keys) = &self.attribute_keys {
            b = b.with_allowed_attribute_keys(keys.iter().map(|k| Key::new(k.clone())));
        }
        if let Some(a) = &self.aggregation {
            b = b.with_aggregation(a.aggregation());
        }
        b.build().map_err(|e| e.to_string())
    }

    pub(crate) fn selects_instrument(&self, i: &Instrument) -> bool {
        self.selects(i.name(), i.kind(), i.unit(), i.scope())
    }
}

/// The cardinality limit the SDK applies to a stream that sets none.
pub(crate) const SDK_CARDINALITY_LIMIT: usize = 2000;

/// The spec's default explicit bucket boundaries.
pub(crate) const DEFAULT_BOUNDARIES: [f64; 15] = [
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0,
    10000.0,
];

/// The text form of a view given as keys and values (a list value as its items), with every
/// value percent-encoded: what the Python and Ruby bindings build from a dict or Hash.
pub(crate) fn view_text<'a>(pairs: impl IntoIterator<Item = (&'a str, Vec<String>)>) -> String {
    let encode = |s: &str| crate::base::text::percent_encode(s, &[',', '|', ';']);
    pairs
        .into_iter()
        .map(|(k, items)| {
            let items: Vec<String> = items.iter().map(|i| encode(i)).collect();
            format!("{k}={}", items.join("|"))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses OTELRS_METRICS_VIEWS: views separated by `;`.
pub(crate) fn parse_list(text: &str) -> Result<Vec<View>> {
    text.split(';')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(View::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_any_characters_ignoring_case() {
        assert!(wildcard_match(
            "http.server.*",
            "http.server.request.duration"
        ));
        assert!(wildcard_match("*", "anything"));
        assert!(wildcard_match("HTTP.?erver.*", "http.server.x"));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(!wildcard_match("a*b*c", "aXXbYY"));
        assert!(!wildcard_match("http.server", "http.server.x"));
        assert!(wildcard_match("exact", "EXACT"));
    }

    #[test]
    fn the_text_of_keys_and_values_parses_back() {
        let text = view_text([
            ("instrument_name", vec!["a,b|c;d%".to_owned()]),
            ("attribute_keys", vec!["k|1".to_owned(), "k,2".to_owned()]),
        ]);
        let v = View::parse(&text).unwrap();
        assert_eq!(v.instrument_name.as_deref(), Some("a,b|c;d%"));
        assert_eq!(
            v.attribute_keys,
            Some(vec!["k|1".to_owned(), "k,2".to_owned()])
        );
    }

    #[test]
    fn views_parse_and_bad_ones_say_why() {
        let v = View::parse(
            "instrument_name=latency,name=latency.ms,boundaries=1|5|10,record_min_max=false,description=a%2Cb",
        )
        .unwrap();
        assert_eq!(v.name.as_deref(), Some("latency.ms"));
        assert_eq!(v.description.as_deref(), Some("a,b"));
        assert_eq!(
            v.aggregation,
            Some(AggregationSpec::Explicit {
                boundaries: Some(vec![1.0, 5.0, 10.0]),
                record_min_max: false
            })
        );
        let keys = View::parse("meter_name=m,attribute_keys=").unwrap();
        assert_eq!(keys.attribute_keys, Some(vec![]));
        assert_eq!(
            parse_list("meter_name=a;; instrument_type=gauge ;")
                .unwrap()
                .len(),
            2
        );
        for (text, why) in [
            ("name=x", "it selects nothing"),
            ("", "it selects nothing"),
            (
                "instrument_name=http.*,name=x",
                "must select one instrument by its exact instrument_name",
            ),
            (
                "instrument_name=h,boundaries=5|1",
                "boundaries must increase: 1 comes after 5",
            ),
            (
                "instrument_name=h,boundaries=-1|1",
                "-1 is not a finite number of 0 or more",
            ),
            ("instrument_name=h,boundaries=1|x", "\"x\" is not a number"),
            (
                "instrument_name=h,aggregation=median",
                "aggregation \"median\" is none of",
            ),
            (
                "instrument_name=h,aggregation=sum,boundaries=1",
                "boundaries applies to aggregation=explicit_bucket_histogram only",
            ),
            (
                "instrument_name=h,aggregation=base2_exponential_bucket_histogram,max_scale=21",
                "max_scale 21 is not from -10 to 20",
            ),
            (
                "instrument_name=h,aggregation_cardinality_limit=0",
                "aggregation_cardinality_limit 0 is not 1 or more",
            ),
            (
                "instrument_type=timer",
                "instrument_type \"timer\" is none of",
            ),
            ("instrument_name=h,name=", "invalid instrument name \"\""),
            (
                "instrument_type=counter,aggregation=last_value",
                "instrument_type selects type counter, which cannot have the aggregation last_value",
            ),
            (
                "instrument_type=gauge,aggregation=sum",
                "type gauge, which cannot have the aggregation sum",
            ),
            (
                "instrument_name=h,name=1x",
                "invalid instrument name \"1x\"",
            ),
            ("instrument_name=h,colour=red", "unknown key \"colour\""),
            (
                "instrument_name=h,instrument_name=g",
                "\"instrument_name\" is given twice",
            ),
            ("instrument_name=h,nothing", "\"nothing\" is not key=value"),
            (
                "instrument_name=h,record_min_max=yes",
                "record_min_max: \"yes\" is not true or false",
            ),
        ] {
            let e = View::parse(text).unwrap_err();
            assert!(e.message().contains(why), "{text:?}: {e}");
            assert_eq!(e.kind(), crate::ErrorKind::Config);
        }
    }
}
