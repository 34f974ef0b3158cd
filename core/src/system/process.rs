//! `process.*` of the process otelrs runs in, read from /proc/self (with procfs), named as
//! the semantic conventions name them.

use super::cpu::Utilization;
use super::{observe, signed, Registrar, Source};
use crate::base::error::Result;
use crate::metrics::{InstrumentKind as K, Number, NumberKind as N};
use opentelemetry::KeyValue;
use procfs::process::{Process, Stat};
use procfs::Current;
use std::sync::Arc;

const CPU_MODES: [&str; 2] = ["user", "system"];

/// /proc/self/stat, or `None` after saying (once per source) that it cannot be read.
pub(super) fn stat(source: &Source) -> Option<Stat> {
    source.read("/proc/self/stat", Process::myself().and_then(|p| p.stat()))
}

/// This process's user and system CPU seconds.
pub(super) fn cpu_times(source: &Source) -> Option<[f64; 2]> {
    let stat = stat(source)?;
    let tps = procfs::ticks_per_second() as f64;
    Some([stat.utime as f64 / tps, stat.stime as f64 / tps])
}

/// The resource use of the whole process (every thread, and those that ended).
fn rusage() -> Option<libc::rusage> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage writes a whole rusage to the pointer it is given when it returns 0.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    // SAFETY: written by the call above, which succeeded.
    (rc == 0).then(|| unsafe { usage.assume_init() })
}

/// The CPUs this process may run on.
pub(super) fn cpus() -> f64 {
    std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64)
}

/// Registers every process metric.
pub(crate) fn register(r: &mut Registrar<'_>) -> Result<()> {
    let source = Arc::new(Source::default());
    let utilization = Utilization::new(cpu_times(&source).unwrap_or([0.0; 2]));
    let times = Arc::clone(&source);
    r.add(
        K::ObservableCounter,
        N::F64,
        "process.cpu.time",
        "s",
        "CPU seconds this process used, by mode",
        move |o| {
            for (mode, v) in CPU_MODES
                .iter()
                .zip(cpu_times(&times).into_iter().flatten())
            {
                observe(o, Number::F64(v), &[KeyValue::new("cpu.mode", *mode)]);
            }
        },
    )?;
    let now = Arc::clone(&source);
    r.add(
        K::ObservableGauge,
        N::F64,
        "process.cpu.utilization",
        "1",
        "Share of the CPUs available to this process that it used since the previous collection, by mode, from 0 to 1",
        move |o| {
            if let Some(t) = cpu_times(&now) {
                for (mode, v) in CPU_MODES.iter().zip(utilization.update(t, cpus())) {
                    observe(o, Number::F64(v), &[KeyValue::new("cpu.mode", *mode)]);
                }
            }
        },
    )?;
    type FromStat = fn(&Stat) -> u64;
    let from_stat: [(&str, &str, &str, FromStat); 3] = [
        (
            "process.memory.usage",
            "By",
            "Physical memory this process uses (resident set)",
            |s| s.rss * procfs::page_size(),
        ),
        (
            "process.memory.virtual",
            "By",
            "Virtual memory this process has committed",
            |s| s.vsize,
        ),
        (
            "process.thread.count",
            "{thread}",
            "Threads of this process",
            |s| u64::try_from(s.num_threads).unwrap_or(0),
        ),
    ];
    for (name, unit, description, pick) in from_stat {
        let source = Arc::clone(&source);
        r.add(
            K::ObservableUpDownCounter,
            N::I64,
            name,
            unit,
            description,
            move |o| {
                if let Some(s) = stat(&source) {
                    observe(o, signed(pick(&s)), &[]);
                }
            },
        )?;
    }
    let faults = Arc::clone(&source);
    r.add(
        K::ObservableCounter,
        N::U64,
        "process.paging.faults",
        "{fault}",
        "Page faults of this process, by type",
        move |o| {
            if let Some(s) = stat(&faults) {
                for (kind, v) in [("major", s.majflt), ("minor", s.minflt)] {
                    observe(
                        o,
                        Number::U64(v),
                        &[KeyValue::new("system.paging.fault.type", kind)],
                    );
                }
            }
        },
    )?;
    let fds = Source::default();
    r.add(
        K::ObservableUpDownCounter,
        N::I64,
        "process.unix.file_descriptor.count",
        "{file_descriptor}",
        "File descriptors this process has open",
        move |o| {
            let n = Process::myself().and_then(|p| p.fd_count());
            if let Some(n) = fds.read("/proc/self/fd", n) {
                observe(o, signed(n as u64), &[]);
            }
        },
    )?;
    r.add(
        K::ObservableCounter,
        N::U64,
        "process.context_switches",
        "{context_switch}",
        "Times this process's threads (all of them, ended ones included) were switched out, by type",
        move |o| {
            if let Some(u) = rusage() {
                let kinds = [("voluntary", u.ru_nvcsw), ("involuntary", u.ru_nivcsw)];
                for (kind, v) in kinds {
                    observe(
                        o,
                        Number::U64(u64::try_from(v).unwrap_or(0)),
                        &[KeyValue::new("process.context_switch.type", kind)],
                    );
                }
            }
        },
    )?;
    let started = Arc::clone(&source);
    r.add(
        K::ObservableGauge,
        N::F64,
        "process.uptime",
        "s",
        "Seconds since this process started",
        move |o| {
            let boot = procfs::Uptime::current().map(|u| u.uptime);
            if let (Some(s), Ok(up)) = (stat(&started), boot) {
                let since_boot = s.starttime as f64 / procfs::ticks_per_second() as f64;
                observe(o, Number::F64((up - since_boot).max(0.0)), &[]);
            }
        },
    )?;
    let io = Source::default();
    r.add(
        K::ObservableCounter,
        N::U64,
        "process.disk.io",
        "By",
        "Bytes this process read from and wrote to storage",
        move |o| {
            let s = Process::myself().and_then(|p| p.io());
            if let Some(s) = io.read("/proc/self/io", s) {
                for (dir, v) in [("read", s.read_bytes), ("write", s.write_bytes)] {
                    observe(
                        o,
                        Number::U64(v),
                        &[KeyValue::new("disk.io.direction", dir)],
                    );
                }
            }
        },
    )
}
