//! `system.filesystem.*`: the space of each mounted filesystem (from /proc/mounts with procfs,
//! and statvfs), by state, with the semantic conventions' attributes.

use super::{observe, share, signed, Registrar, Source};
use crate::base::error::Result;
use crate::metrics::{InstrumentKind as K, Number, NumberKind as N};
use opentelemetry::KeyValue;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Filesystem types that hold no storage of their own.
const PSEUDO_FILESYSTEMS: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "fusectl",
    "hugetlbfs",
    "mqueue",
    "nsfs",
    "proc",
    "pstore",
    "rpc_pipefs",
    "securityfs",
    "sysfs",
    "tracefs",
];

/// One mounted filesystem's space in bytes.
pub(super) struct Filesystem {
    attrs: [KeyValue; 4],
    pub(super) used: u64,
    free: u64,
    reserved: u64,
}

impl Filesystem {
    pub(super) fn limit(&self) -> u64 {
        self.used + self.free + self.reserved
    }
}

/// The space of the filesystem mounted at `path`: used, free for users, and reserved.
fn space(path: &str) -> Option<(u64, u64, u64)> {
    let c_path = std::ffi::CString::new(path).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a valid C string and `st` points to writable memory of the
    // statvfs structure, which the call fills when it returns 0.
    if unsafe { libc::statvfs(c_path.as_ptr(), st.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `st`.
    let st = unsafe { st.assume_init() };
    // The field types are narrower than u64 on some 32-bit targets.
    #[allow(clippy::unnecessary_cast)]
    let (unit, blocks, bfree, bavail) = (
        st.f_frsize as u64,
        st.f_blocks as u64,
        st.f_bfree as u64,
        st.f_bavail as u64,
    );
    if blocks == 0 {
        return None;
    }
    Some((
        blocks.saturating_sub(bfree) * unit,
        bavail * unit,
        bfree.saturating_sub(bavail) * unit,
    ))
}

pub(super) fn filesystems(source: &Source) -> Vec<Filesystem> {
    let mut seen = BTreeSet::new();
    let mounts = source
        .read("/proc/mounts", procfs::mounts())
        .unwrap_or_default();
    mounts
        .into_iter()
        .filter(|m| !PSEUDO_FILESYSTEMS.contains(&m.fs_vfstype.as_str()))
        .filter(|m| seen.insert(m.fs_file.clone()))
        .filter_map(|m| {
            let (used, free, reserved) = space(&m.fs_file)?;
            let mode = if m.fs_mntops.contains_key("ro") {
                "ro"
            } else {
                "rw"
            };
            Some(Filesystem {
                attrs: [
                    KeyValue::new("system.device", m.fs_spec),
                    KeyValue::new("system.filesystem.mode", mode),
                    KeyValue::new("system.filesystem.mountpoint", m.fs_file),
                    KeyValue::new("system.filesystem.type", m.fs_vfstype),
                ],
                used,
                free,
                reserved,
            })
        })
        .collect()
}

/// Registers the filesystem metrics.
pub(crate) fn register(r: &mut Registrar<'_>) -> Result<()> {
    let source = Arc::new(Source::default());
    let read = move || filesystems(&source);
    let (usage, util) = (read.clone(), read.clone());
    let by_state = |fs: &Filesystem| {
        [
            ("used", fs.used),
            ("free", fs.free),
            ("reserved", fs.reserved),
        ]
        .map(|(state, v)| {
            let mut attrs = fs.attrs.to_vec();
            attrs.push(KeyValue::new("system.filesystem.state", state));
            (v, attrs)
        })
    };
    r.add(
        K::ObservableUpDownCounter,
        N::I64,
        "system.filesystem.usage",
        "By",
        "Space of each mounted filesystem by state (used, free, reserved for root)",
        move |o| {
            for fs in usage() {
                for (v, attrs) in by_state(&fs) {
                    observe(o, signed(v), &attrs);
                }
            }
        },
    )?;
    r.add(
        K::ObservableGauge,
        N::F64,
        "system.filesystem.utilization",
        "1",
        "Share of each mounted filesystem's space by state, from 0 to 1",
        move |o| {
            for fs in util() {
                for (v, attrs) in by_state(&fs) {
                    observe(o, Number::F64(share(v, fs.limit())), &attrs);
                }
            }
        },
    )?;
    r.add(
        K::ObservableUpDownCounter,
        N::I64,
        "system.filesystem.limit",
        "By",
        "Total space of each mounted filesystem",
        move |o| {
            for fs in read() {
                observe(o, signed(fs.limit()), &fs.attrs);
            }
        },
    )
}
