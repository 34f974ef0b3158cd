//! What an instrument is, before any exists: its kind, the type of its numbers, its
//! description (name, unit, advice) and the rules they follow. Views and settings name these;
//! the metrics layer builds instruments from them.

use crate::base::error::{Error, Result};

/// The instrument kinds of the OpenTelemetry metrics API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstrumentKind {
    /// Monotonic sum, recorded synchronously.
    Counter,
    /// Non-monotonic sum, recorded synchronously.
    UpDownCounter,
    /// Distribution into explicit buckets.
    Histogram,
    /// Last value, recorded synchronously.
    Gauge,
    /// Monotonic sum reported by a callback at collection.
    ObservableCounter,
    /// Non-monotonic sum reported by a callback at collection.
    ObservableUpDownCounter,
    /// Last value reported by a callback at collection.
    ObservableGauge,
}

impl InstrumentKind {
    /// A lower-case name for messages.
    pub fn name(self) -> &'static str {
        match self {
            InstrumentKind::Counter => "counter",
            InstrumentKind::UpDownCounter => "up-down counter",
            InstrumentKind::Histogram => "histogram",
            InstrumentKind::Gauge => "gauge",
            InstrumentKind::ObservableCounter => "observable counter",
            InstrumentKind::ObservableUpDownCounter => "observable up-down counter",
            InstrumentKind::ObservableGauge => "observable gauge",
        }
    }

    /// Whether values come from a callback at collection.
    pub fn is_observable(self) -> bool {
        matches!(
            self,
            InstrumentKind::ObservableCounter
                | InstrumentKind::ObservableUpDownCounter
                | InstrumentKind::ObservableGauge
        )
    }
}

/// The number type an instrument records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberKind {
    /// Unsigned 64-bit integers.
    U64,
    /// Signed 64-bit integers.
    I64,
    /// 64-bit floating point.
    F64,
}

impl NumberKind {
    /// `u64`, `i64` or `f64`.
    pub fn name(self) -> &'static str {
        match self {
            NumberKind::U64 => "u64",
            NumberKind::I64 => "i64",
            NumberKind::F64 => "f64",
        }
    }
}

/// One measured value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An unsigned integer.
    U64(u64),
    /// A signed integer.
    I64(i64),
    /// A float.
    F64(f64),
}

impl Number {
    pub(crate) fn kind(self) -> NumberKind {
        match self {
            Number::U64(_) => NumberKind::U64,
            Number::I64(_) => NumberKind::I64,
            Number::F64(_) => NumberKind::F64,
        }
    }
}

/// Everything that defines an instrument, as given when it was created.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentDesc {
    /// The kind.
    pub kind: InstrumentKind,
    /// The number type.
    pub number: NumberKind,
    /// The name, as given.
    pub name: String,
    /// The unit (UCUM), possibly empty.
    pub unit: String,
    /// The description, possibly empty.
    pub description: String,
    /// Explicit bucket boundaries advised for a histogram.
    pub boundaries: Option<Vec<f64>>,
}

impl InstrumentDesc {
    /// A definition with no unit, description or boundaries.
    pub fn new(kind: InstrumentKind, number: NumberKind, name: &str) -> Self {
        InstrumentDesc {
            kind,
            number,
            name: name.to_owned(),
            unit: String::new(),
            description: String::new(),
            boundaries: None,
        }
    }

    /// A definition with `unit` and `description` (either may be empty) and no boundaries.
    pub fn described(
        kind: InstrumentKind,
        number: NumberKind,
        name: &str,
        unit: &str,
        description: &str,
    ) -> Self {
        InstrumentDesc {
            unit: unit.to_owned(),
            description: description.to_owned(),
            ..InstrumentDesc::new(kind, number, name)
        }
    }

    /// Checks the definition against the specification's rules.
    pub fn validate(&self) -> Result<()> {
        check_name(&self.name)?;
        if self.unit.len() > 63 || !self.unit.is_ascii() {
            return Err(Error::invalid(format!(
                "invalid unit {:?} for instrument {:?}: at most 63 ASCII characters",
                self.unit, self.name
            )));
        }
        let allowed = match self.kind {
            InstrumentKind::Counter
            | InstrumentKind::Histogram
            | InstrumentKind::ObservableCounter => &[NumberKind::U64, NumberKind::F64][..],
            InstrumentKind::UpDownCounter | InstrumentKind::ObservableUpDownCounter => {
                &[NumberKind::I64, NumberKind::F64][..]
            }
            InstrumentKind::Gauge | InstrumentKind::ObservableGauge => {
                &[NumberKind::U64, NumberKind::I64, NumberKind::F64][..]
            }
        };
        if !allowed.contains(&self.number) {
            return Err(Error::invalid(format!(
                "a {} cannot record {} values",
                self.kind.name(),
                self.number.name()
            )));
        }
        if let Some(b) = &self.boundaries {
            if self.kind != InstrumentKind::Histogram {
                return Err(Error::invalid("bucket boundaries apply to histograms only"));
            }
            if b.len() > MAX_BOUNDARIES {
                return Err(Error::invalid(format!(
                    "{} bucket boundaries for {:?}: at most {MAX_BOUNDARIES} (every series keeps a \
                     count per bucket)",
                    b.len(),
                    self.name
                )));
            }
            if b.iter().any(|x| !x.is_finite()) || b.windows(2).any(|w| w[0] >= w[1]) {
                return Err(Error::invalid(format!(
                    "bucket boundaries of {:?} must be finite and strictly increasing, got {b:?}",
                    self.name
                )));
            }
        }
        Ok(())
    }

    /// Whether `other` may share this instrument's stream: same kind, number type, unit and
    /// description (boundaries are advice and may differ).
    pub(crate) fn same_identity(&self, other: &InstrumentDesc) -> bool {
        self.kind == other.kind
            && self.number == other.number
            && self.unit == other.unit
            && self.description == other.description
    }
}

/// The most explicit bucket boundaries a histogram may have (advice or view).
pub(crate) const MAX_BOUNDARIES: usize = 1000;

/// Checks an instrument name against the specification's syntax:
/// a letter, then up to 254 letters, digits, `_`, `.`, `-` or `/`.
pub fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'));
    if first_ok && rest_ok && name.len() <= 255 {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "invalid instrument name {name:?}: it must start with a letter and hold at most 255 \
             letters, digits, '_', '.', '-' or '/'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_spec() {
        for ok in ["a", "http.server.duration", "A_b-c/d.e", &"x".repeat(255)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1abc", "_a", "a b", "é", "a+b", &"x".repeat(256)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn boundaries_must_increase() {
        let mut d = InstrumentDesc::new(InstrumentKind::Histogram, NumberKind::F64, "h");
        d.boundaries = Some(vec![1.0, 1.0]);
        assert!(d.validate().is_err());
        d.boundaries = Some(vec![0.0, f64::NAN]);
        assert!(d.validate().is_err());
        d.boundaries = Some(vec![-1.0, 0.0, 5.0]);
        assert!(d.validate().is_ok());
        let u = InstrumentDesc::new(InstrumentKind::UpDownCounter, NumberKind::U64, "u");
        assert!(u.validate().is_err());
        d.boundaries = Some((0..=MAX_BOUNDARIES).map(|i| i as f64).collect());
        let e = d.validate().unwrap_err();
        assert!(e.message().contains("at most 1000"), "{e}");
    }
}
