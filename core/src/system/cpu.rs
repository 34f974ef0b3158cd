//! Utilization from cumulative CPU times: the change of each time since the previous
//! collection, divided by the elapsed time and the number of CPUs, so that it lies in 0..1.

use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// Collections closer together than this (two readers collecting at once) repeat the
/// previous utilization instead of dividing by a tiny interval.
const MIN_INTERVAL: Duration = Duration::from_millis(100);

struct Sample<const N: usize> {
    at: Instant,
    times: [f64; N],
    utilization: [f64; N],
}

/// The utilization of `N` cumulative CPU times (seconds), one per mode.
pub(crate) struct Utilization<const N: usize> {
    last: Mutex<Sample<N>>,
}

impl<const N: usize> Utilization<N> {
    /// Starts from `times` read now.
    pub(crate) fn new(times: [f64; N]) -> Self {
        Utilization {
            last: Mutex::new(Sample {
                at: Instant::now(),
                times,
                utilization: [0.0; N],
            }),
        }
    }

    /// The utilization of each time since the previous call, over `cpus` CPUs.
    pub(crate) fn update(&self, times: [f64; N], cpus: f64) -> [f64; N] {
        let mut last = self.last.lock();
        let elapsed = last.at.elapsed();
        if elapsed < MIN_INTERVAL {
            return last.utilization;
        }
        let span = elapsed.as_secs_f64() * cpus.max(1.0);
        let utilization =
            std::array::from_fn(|i| ((times[i] - last.times[i]).max(0.0) / span).clamp(0.0, 1.0));
        *last = Sample {
            at: Instant::now(),
            times,
            utilization,
        };
        utilization
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utilization_is_time_used_over_time_available() {
        let u = Utilization::new([0.0, 10.0]);
        std::thread::sleep(Duration::from_millis(200));
        let elapsed = 0.2;
        // One of two CPUs busy the whole time in the first mode.
        let got = u.update([elapsed, 10.0], 2.0);
        assert!((0.4..=0.5).contains(&got[0]), "{got:?}");
        assert_eq!(got[1], 0.0);
        // Right after: the same figures again.
        assert_eq!(u.update([100.0, 100.0], 2.0), got);
    }
}
