//! `system.*`: the host's CPU, memory, paging, load and disks (and, through `filesystems`
//! and `network`, the rest), read from /proc with procfs, named as the semantic conventions
//! name them.

use super::cpu::Utilization;
use super::{observe, share, signed, Registrar, Source};
use crate::base::error::Result;
use crate::metrics::{InstrumentKind as K, Number, NumberKind as N};
use opentelemetry::KeyValue;
use procfs::{Current, CurrentSI, KernelStats, LoadAverage, Meminfo};
use std::sync::Arc;

/// The `cpu.mode` values of `system.cpu.time`, in the order [`cpu_times`] gives them.
const CPU_MODES: [&str; 7] = [
    "user",
    "system",
    "nice",
    "idle",
    "iowait",
    "interrupt",
    "steal",
];

/// Bytes in one sector of /proc/diskstats, whatever the device's own sector size.
const SECTOR: u64 = 512;

/// Seconds each mode took on all CPUs together, and the number of CPUs.
pub(super) fn cpu_times(stats: &KernelStats) -> ([f64; 7], usize) {
    let tps = procfs::ticks_per_second() as f64;
    let t = &stats.total;
    let ticks = [
        t.user,
        t.system,
        t.nice,
        t.idle,
        t.iowait.unwrap_or(0),
        t.irq.unwrap_or(0) + t.softirq.unwrap_or(0),
        t.steal.unwrap_or(0),
    ];
    (ticks.map(|v| v as f64 / tps), stats.cpu_time.len())
}

fn register_cpu(r: &mut Registrar<'_>) -> Result<()> {
    let source = Arc::new(Source::default());
    let read = {
        let source = Arc::clone(&source);
        move || {
            source
                .read("/proc/stat", KernelStats::current())
                .map(|s| cpu_times(&s))
        }
    };
    let start = read().map_or([0.0; 7], |(t, _)| t);
    let utilization = Utilization::new(start);
    let times = read.clone();
    r.add(
        K::ObservableCounter,
        N::F64,
        "system.cpu.time",
        "s",
        "Seconds the CPUs spent in each mode, all logical CPUs together",
        move |o| {
            if let Some((t, _)) = times() {
                for (mode, v) in CPU_MODES.iter().zip(t) {
                    observe(o, Number::F64(v), &[KeyValue::new("cpu.mode", *mode)]);
                }
            }
        },
    )?;
    let now = read.clone();
    r.add(
        K::ObservableGauge,
        N::F64,
        "system.cpu.utilization",
        "1",
        "Share of the CPUs' time spent in each mode since the previous collection, from 0 to 1",
        move |o| {
            if let Some((t, cpus)) = now() {
                let u = utilization.update(t, cpus as f64);
                for (mode, v) in CPU_MODES.iter().zip(u) {
                    observe(o, Number::F64(v), &[KeyValue::new("cpu.mode", *mode)]);
                }
            }
        },
    )?;
    r.add(
        K::ObservableUpDownCounter,
        N::I64,
        "system.cpu.logical.count",
        "{cpu}",
        "Logical CPUs of the host",
        move |o| {
            if let Some((_, cpus)) = read() {
                observe(o, signed(cpus as u64), &[]);
            }
        },
    )?;
    let uptime = Source::default();
    r.add(
        K::ObservableGauge,
        N::F64,
        "system.uptime",
        "s",
        "Seconds since the system booted",
        move |o| {
            if let Some(u) = uptime.read("/proc/uptime", procfs::Uptime::current()) {
                observe(o, Number::F64(u.uptime), &[]);
            }
        },
    )?;
    let source = Arc::new(Source::default());
    for (name, minutes) in [
        ("system.cpu.load_average.1m", 1),
        ("system.cpu.load_average.5m", 5),
        ("system.cpu.load_average.15m", 15),
    ] {
        let source = Arc::clone(&source);
        r.add(
            K::ObservableGauge,
            N::F64,
            name,
            "{thread}",
            &format!("Load average over {minutes} minute(s), as the Collector's hostmetrics receiver names it"),
            move |o| {
                if let Some(l) = source.read("/proc/loadavg", LoadAverage::current()) {
                    let v = match minutes {
                        1 => l.one,
                        5 => l.five,
                        _ => l.fifteen,
                    };
                    observe(o, Number::F64(f64::from(v)), &[]);
                }
            },
        )?;
    }
    Ok(())
}

/// Bytes by state.
pub(super) type States<const N: usize> = [(&'static str, u64); N];

/// Memory by `system.memory.state` (used is MemTotal - MemAvailable, as the conventions
/// say), the total, and swap used and free.
pub(super) fn memory(m: &Meminfo) -> (States<4>, u64, States<2>) {
    let available = m.mem_available.unwrap_or(m.mem_free + m.buffers + m.cached);
    (
        [
            ("used", m.mem_total.saturating_sub(available)),
            ("free", m.mem_free),
            ("buffers", m.buffers),
            ("cached", m.cached),
        ],
        m.mem_total,
        [
            ("used", m.swap_total.saturating_sub(m.swap_free)),
            ("free", m.swap_free),
        ],
    )
}

fn register_memory(r: &mut Registrar<'_>) -> Result<()> {
    let source = Arc::new(Source::default());
    let read = move || {
        source
            .read("/proc/meminfo", Meminfo::current())
            .map(|m| memory(&m))
    };
    let (usage, util, limit, paging, paging_util) =
        (read.clone(), read.clone(), read.clone(), read.clone(), read);
    r.add(
        K::ObservableUpDownCounter,
        N::I64,
        "system.memory.usage",
        "By",
        "Memory in use by state",
        move |o| {
            for (state, v) in usage().map(|m| m.0).into_iter().flatten() {
                observe(o, signed(v), &[KeyValue::new("system.memory.state", state)]);
            }
        },
    )?;
    r.add(
        K::ObservableGauge,
        N::F64,
        "system.memory.utilization",
        "1",
        "Share of the memory in each state, from 0 to 1",
        move |o| {
            if let Some((states, total, _)) = util() {
                for (state, v) in states {
                    observe(
                        o,
                        Number::F64(share(v, total)),
                        &[KeyValue::new("system.memory.state", state)],
                    );
                }
            }
        },
    )?;
    r.add(
        K::ObservableUpDownCounter,
        N::I64,
        "system.memory.limit",
        "By",
        "Total memory of the host",
        move |o| {
            if let Some((_, total, _)) = limit() {
                observe(o, signed(total), &[]);
            }
        },
    )?;
    r.add(
        K::ObservableUpDownCounter,
        N::I64,
        "system.paging.usage",
        "By",
        "Swap space used and free",
        move |o| {
            for (state, v) in paging().map(|m| m.2).into_iter().flatten() {
                observe(o, signed(v), &[KeyValue::new("system.paging.state", state)]);
            }
        },
    )?;
    r.add(
        K::ObservableGauge,
        N::F64,
        "system.paging.utilization",
        "1",
        "Share of the swap space used and free, from 0 to 1 (no data point without swap)",
        move |o| {
            if let Some((_, _, swap)) = paging_util() {
                let total = swap[0].1 + swap[1].1;
                if total > 0 {
                    for (state, v) in swap {
                        observe(
                            o,
                            Number::F64(share(v, total)),
                            &[KeyValue::new("system.paging.state", state)],
                        );
                    }
                }
            }
        },
    )
}

fn register_disks(r: &mut Registrar<'_>) -> Result<()> {
    let source = Arc::new(Source::default());
    // Loop and RAM devices are left out: they carry no disk traffic of their own.
    let read = move || {
        source
            .read("/proc/diskstats", procfs::diskstats())
            .unwrap_or_default()
            .into_iter()
            .filter(|d| !d.name.starts_with("loop") && !d.name.starts_with("ram"))
            .collect::<Vec<_>>()
    };
    let io = read.clone();
    r.add(
        K::ObservableCounter,
        N::U64,
        "system.disk.io",
        "By",
        "Bytes read from and written to each disk",
        move |o| {
            for d in io() {
                for (dir, sectors) in [("read", d.sectors_read), ("write", d.sectors_written)] {
                    observe(
                        o,
                        Number::U64(sectors * SECTOR),
                        &[
                            KeyValue::new("system.device", d.name.clone()),
                            KeyValue::new("disk.io.direction", dir),
                        ],
                    );
                }
            }
        },
    )?;
    r.add(
        K::ObservableCounter,
        N::U64,
        "system.disk.operations",
        "{operation}",
        "Reads and writes completed by each disk",
        move |o| {
            for d in read() {
                for (dir, n) in [("read", d.reads), ("write", d.writes)] {
                    observe(
                        o,
                        Number::U64(n),
                        &[
                            KeyValue::new("system.device", d.name.clone()),
                            KeyValue::new("disk.io.direction", dir),
                        ],
                    );
                }
            }
        },
    )
}

/// Registers every host metric.
pub(crate) fn register(r: &mut Registrar<'_>) -> Result<()> {
    register_cpu(r)?;
    register_memory(r)?;
    register_disks(r)?;
    super::filesystems::register(r)?;
    super::network::register(r)
}
