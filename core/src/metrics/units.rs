//! Units of time as UCUM spells them (an instrument's unit is ASCII, so microseconds are
//! `us`): what `Histogram.time` in the bindings scales a duration by.

/// How many of `unit` make one second, for a unit of time (`d`, `h`, `min`, `s`, `ms`, `us`,
/// `ns`); 1 for any other unit, whose durations are then recorded in seconds.
pub fn per_second(unit: &str) -> f64 {
    match unit {
        "d" => 1.0 / 86_400.0,
        "h" => 1.0 / 3_600.0,
        "min" => 1.0 / 60.0,
        "ms" => 1e3,
        "us" => 1e6,
        "ns" => 1e9,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_time_unit_scales_a_second() {
        assert_eq!(per_second("ms"), 1e3);
        assert_eq!(per_second("us"), 1e6);
        assert_eq!(per_second("h"), 1.0 / 3_600.0);
        assert_eq!(per_second("min"), 1.0 / 60.0);
        assert_eq!(per_second("s"), 1.0);
        assert_eq!(per_second("By"), 1.0);
    }
}
