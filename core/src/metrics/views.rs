//! What the views (see [`crate::config::view`]) make of instruments: the SDK's view
//! functions, and for one instrument the views that select it, which give its streams, its
//! exemplar reservoirs and its cardinality limit.

use crate::base::error::{Error, Result};
use crate::config::view::{AggregationSpec, View, DEFAULT_BOUNDARIES, SDK_CARDINALITY_LIMIT};
use crate::metrics::exemplars::{ReservoirKind, StreamShape};
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::metrics::{Instrument, InstrumentKind, Stream};
use std::sync::Arc;

/// What the views and the SDK-wide settings make of instruments, as the SDK's view
/// functions: one per view, and one for the instruments no view selects.
pub(crate) struct Views {
    views: Arc<Vec<View>>,
    cardinality_limit: usize,
    exponential_histograms: bool,
}

/// A view function of the SDK.
pub(crate) type ViewFn = Box<dyn Fn(&Instrument) -> Option<Stream> + Send + Sync>;

impl Views {
    /// `views` over every instrument; `cardinality_limit` for streams that set none;
    /// `exponential_histograms` for histograms no view gives an aggregation.
    pub(crate) fn new(
        views: Vec<View>,
        cardinality_limit: usize,
        exponential_histograms: bool,
    ) -> Views {
        Views {
            views: Arc::new(views),
            cardinality_limit,
            exponential_histograms,
        }
    }

    /// The SDK view functions, in order.
    pub(crate) fn functions(&self) -> Vec<ViewFn> {
        let mut out: Vec<ViewFn> = Vec::new();
        for index in 0..self.views.len() {
            let views = self.views.clone();
            let (limit, expo) = (self.cardinality_limit, self.exponential_histograms);
            out.push(Box::new(move |i: &Instrument| {
                let v = &views[index];
                if !v.selects_instrument(i) {
                    return None;
                }
                let mut v = v.clone();
                if v.aggregation.is_none() && expo && is_histogram(i) {
                    v.aggregation = Some(default_exponential());
                }
                v.stream(limit).ok()
            }));
        }
        if self.cardinality_limit == SDK_CARDINALITY_LIMIT && !self.exponential_histograms {
            // The SDK's own default stream is what the catch-all would give.
            return out;
        }
        let views = self.views.clone();
        let (limit, expo) = (self.cardinality_limit, self.exponential_histograms);
        out.push(Box::new(move |i: &Instrument| {
            if views.iter().any(|v| v.selects_instrument(i)) {
                return None;
            }
            let mut b = Stream::builder().with_cardinality_limit(limit);
            if expo && is_histogram(i) {
                b = b.with_aggregation(default_exponential().aggregation());
            }
            b.build().ok()
        }));
        out
    }
}

/// The views that select one instrument, found once when it is made.
pub(crate) struct Selection<'a> {
    views: Vec<&'a View>,
    name: &'a str,
    kind: crate::metrics::InstrumentKind,
}

/// The views of `views` that select the instrument `name` (of `kind` and `unit`, in `scope`).
pub(crate) fn selection<'a>(
    views: &'a [View],
    name: &'a str,
    kind: crate::metrics::InstrumentKind,
    unit: &str,
    scope: &InstrumentationScope,
) -> Selection<'a> {
    let sdk = sdk_kind(kind);
    Selection {
        views: views
            .iter()
            .filter(|v| v.selects(name, sdk, unit, scope))
            .collect(),
        name,
        kind,
    }
}

impl Selection<'_> {
    /// Refuses a view whose aggregation the instrument cannot have, which the SDK would
    /// ignore without a word.
    pub(crate) fn check_aggregations(&self) -> Result<()> {
        for view in &self.views {
            view.check_aggregation_for(sdk_kind(self.kind))
                .map_err(|why| {
                    Error::config(format!("a view selects instrument {:?}, {why}", self.name))
                })?;
        }
        Ok(())
    }

    /// A warning when two of the views give the instrument streams of one name (the spec's
    /// duplicate stream conflict; both streams are still exported), naming its meter.
    pub(crate) fn conflict(&self, meter: &str) -> Option<String> {
        let names: Vec<&str> = self
            .views
            .iter()
            .map(|v| v.name.as_deref().unwrap_or(self.name))
            .collect();
        for (n, a) in names.iter().enumerate() {
            if names[n + 1..].iter().any(|b| a.eq_ignore_ascii_case(b)) {
                return Some(format!(
                    "two views give instrument {:?} of meter {meter:?} a stream named {a:?}: both are \
                     exported, and a backend may take them for one",
                    self.name
                ));
            }
        }
        None
    }

    /// The reservoir the spec gives the instrument's series: for a histogram, aligned with
    /// the explicit buckets of the first view that selects it, else of its advice (`advice`),
    /// else the default ones, or simple with up to 20 slots when it is exponential (by a view,
    /// or by `exponential_by_default` when no view gives an aggregation); one slot otherwise.
    pub(crate) fn reservoir(
        &self,
        advice: Option<&[f64]>,
        exponential_by_default: bool,
    ) -> ReservoirKind {
        if self.kind != crate::metrics::InstrumentKind::Histogram {
            return ReservoirKind::Simple(1);
        }
        let aggregation = self
            .views
            .iter()
            .find(|v| v.aggregation != Some(AggregationSpec::Drop))
            .and_then(|v| v.aggregation.clone());
        match aggregation {
            Some(AggregationSpec::Exponential { max_size, .. }) => {
                ReservoirKind::Simple((max_size as usize).min(20))
            }
            None if exponential_by_default => ReservoirKind::Simple(20),
            Some(AggregationSpec::Explicit {
                boundaries: Some(b),
                ..
            }) => ReservoirKind::Aligned(b),
            _ => ReservoirKind::Aligned(
                advice.map_or_else(|| DEFAULT_BOUNDARIES.to_vec(), <[f64]>::to_vec),
            ),
        }
    }

    /// Whether no view selects the instrument (it has its own stream, with every attribute
    /// and the default cardinality limit).
    pub(crate) fn selects_none(&self) -> bool {
        self.views.is_empty()
    }

    /// The most series any of its streams keeps (`default` for a stream that sets no
    /// cardinality limit): what bounds the instrument's exemplar reservoirs.
    pub(crate) fn cardinality_limit(&self, default: usize) -> usize {
        self.views
            .iter()
            .filter(|v| v.aggregation != Some(AggregationSpec::Drop))
            .map(|v| v.cardinality_limit.unwrap_or(default))
            .max()
            .unwrap_or(default)
    }

    /// The streams the views give the instrument: one per view that does not drop it, or its
    /// own when none selects it.
    pub(crate) fn streams(&self) -> Vec<StreamShape> {
        if self.views.is_empty() {
            return vec![StreamShape {
                name: self.name.to_owned(),
                keys: None,
            }];
        }
        self.views
            .iter()
            .filter(|v| v.aggregation != Some(AggregationSpec::Drop))
            .map(|v| StreamShape {
                name: v.name.clone().unwrap_or_else(|| self.name.to_owned()),
                keys: v.attribute_keys.clone(),
            })
            .collect()
    }
}

/// The SDK's kind of an instrument of `kind`.
pub(crate) fn sdk_kind(kind: crate::metrics::InstrumentKind) -> InstrumentKind {
    use crate::metrics::InstrumentKind as K;
    match kind {
        K::Counter => InstrumentKind::Counter,
        K::UpDownCounter => InstrumentKind::UpDownCounter,
        K::Histogram => InstrumentKind::Histogram,
        K::Gauge => InstrumentKind::Gauge,
        K::ObservableCounter => InstrumentKind::ObservableCounter,
        K::ObservableUpDownCounter => InstrumentKind::ObservableUpDownCounter,
        K::ObservableGauge => InstrumentKind::ObservableGauge,
    }
}

fn is_histogram(i: &Instrument) -> bool {
    i.kind() == InstrumentKind::Histogram
}

fn default_exponential() -> AggregationSpec {
    AggregationSpec::Exponential {
        max_size: 160,
        max_scale: 20,
        record_min_max: true,
    }
}
