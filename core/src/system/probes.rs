//! Readings of the host and the process taken on demand, for the health rules: the same
//! sources and definitions as the `host` and `process` metrics.

use super::cpu::Utilization;
use super::{filesystems, host, process, share, Source};
use procfs::{Current, CurrentSI, KernelStats, Meminfo};

/// What the health rules read; CPU utilization is over the time since the previous reading.
pub(crate) struct Probes {
    source: Source,
    host_cpu: Utilization<1>,
    process_cpu: Utilization<1>,
}

impl Probes {
    /// Starts the CPU readings from now.
    pub(crate) fn new() -> Self {
        let source = Source::default();
        let host_cpu = Utilization::new([host_busy(&source).map_or(0.0, |(busy, _)| busy)]);
        let process_cpu = Utilization::new([process_busy(&source).unwrap_or(0.0)]);
        Probes {
            source,
            host_cpu,
            process_cpu,
        }
    }

    /// The share of all CPUs' time spent busy (not idle or waiting for I/O), 0 to 1.
    pub(crate) fn host_cpu_utilization(&self) -> Option<f64> {
        let (busy, cpus) = host_busy(&self.source)?;
        let [u] = self.host_cpu.update([busy], cpus as f64);
        Some(u)
    }

    /// The share of memory used (MemTotal - MemAvailable), 0 to 1.
    pub(crate) fn host_memory_utilization(&self) -> Option<f64> {
        let m = self.source.read("/proc/meminfo", Meminfo::current())?;
        let (states, total, _) = host::memory(&m);
        Some(share(states[0].1, total))
    }

    /// The used share of the fullest mounted filesystem, 0 to 1.
    pub(crate) fn filesystem_utilization(&self) -> Option<f64> {
        filesystems::filesystems(&self.source)
            .iter()
            .map(|fs| share(fs.used, fs.limit()))
            .reduce(f64::max)
    }

    /// The share of the CPUs this process may run on that it used, 0 to 1.
    pub(crate) fn process_cpu_utilization(&self) -> Option<f64> {
        let [u] = self
            .process_cpu
            .update([process_busy(&self.source)?], process::cpus());
        Some(u)
    }

    /// This process's resident memory, in bytes.
    pub(crate) fn process_memory_usage(&self) -> Option<f64> {
        process::stat(&self.source).map(|s| (s.rss * procfs::page_size()) as f64)
    }
}

/// Seconds of all modes but idle (3) and iowait (4), in `host::cpu_times`'s order.
fn busy(times: &[f64; 7]) -> f64 {
    times
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, t)| t)
        .sum()
}

/// The host's busy CPU seconds, and its number of CPUs.
fn host_busy(source: &Source) -> Option<(f64, usize)> {
    let stats = source.read("/proc/stat", KernelStats::current())?;
    let (times, cpus) = host::cpu_times(&stats);
    Some((busy(&times), cpus))
}

fn process_busy(source: &Source) -> Option<f64> {
    process::cpu_times(source).map(|[user, system]| user + system)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_are_within_their_ranges() {
        let p = Probes::new();
        // Some CPU time for the process to have used.
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(200) {
            std::hint::black_box(0u64);
        }
        for share in [
            p.host_cpu_utilization(),
            p.host_memory_utilization(),
            p.filesystem_utilization(),
            p.process_cpu_utilization(),
        ] {
            let share = share.unwrap();
            assert!((0.0..=1.0).contains(&share), "{share}");
        }
        assert!(p.process_cpu_utilization().is_some());
        assert!(p.process_memory_usage().unwrap() > 1e6);
    }
}
