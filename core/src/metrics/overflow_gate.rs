//! Knowing, without the SDK's lookup, that a measurement goes to the overflow series.
//!
//! Past its cardinality limit the SDK sends the measurements of every attribute set it has no
//! series of to the overflow series (`otel.metric.overflow=true`), after looking the set up up
//! to five times (SipHash, in the order given, sorted, again under its write lock). Where every
//! reader keeps every series (cumulative temporality, no view), the SDK's series never change
//! once it is full, so which sets overflow can be known: the gate keeps the hash
//! ([`set_hash`]) of every attribute set that reached the SDK until the sets it saw reach the
//! limit with no SDK call among them still running. From then on the SDK is full and its
//! series are among those sets; a set whose hash is not among them is certainly not a series,
//! and goes to the overflow series through a bound instrument. A set whose hash is among them
//! (a series, or a hash that only looks like one) takes the SDK's own path, as before. Sets it
//! cannot hash (arrays, repeated keys) are never decided here. An instrument also recorded
//! with attributes it is not told of (by [`crate::metrics::Instrument::record`], which the
//! HTTP server metrics use, and which should not pay for the counting) closes its gate while
//! the SDK is not full: it never decides.

use super::instrument::{BoundInst, SyncInst};
use crate::base::attributes::{set_hash, KeyValue};
use hashbrown::HashTable;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// Hashes counted before room is taken for all the limit allows (most instruments have few
/// series).
const FIRST: usize = 64;

/// The most hashes room is taken for at once (a higher limit grows the table as it fills).
const RESERVED_AT_MOST: usize = 1 << 16;

/// The attribute sets that reached the SDK, while it may still make series.
#[derive(Default)]
struct Open {
    hashes: HashTable<u64>,
    /// SDK calls with a set counted in, not returned yet.
    running: usize,
}

/// The gate of one instrument (see the module's notes).
pub(crate) struct OverflowGate {
    limit: usize,
    open: Mutex<Open>,
    /// The hashes of the sets that may be series, once the SDK is full.
    full: OnceLock<HashTable<u64>>,
    /// Sets reached the SDK uncounted before it was full: the gate never decides.
    closed: AtomicBool,
    /// The overflow series' attributes, and an instrument bound to it once needed.
    overflow_attrs: [KeyValue; 1],
    overflow: OnceLock<BoundInst>,
}

/// An SDK call with a set the gate counted in; dropped when it returned.
pub(crate) struct Running<'a>(&'a OverflowGate);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let gate = self.0;
        let mut open = gate.open.lock();
        open.running -= 1;
        if open.running == 0 && open.hashes.len() >= gate.limit {
            let _ = gate.full.set(std::mem::take(&mut open.hashes));
        }
    }
}

impl OverflowGate {
    /// The gate of an instrument whose streams keep at most `limit` series.
    pub(crate) fn new(limit: usize) -> Self {
        OverflowGate {
            limit,
            open: Mutex::new(Open::default()),
            full: OnceLock::new(),
            closed: AtomicBool::new(false),
            overflow_attrs: [KeyValue::new("otel.metric.overflow", true)],
            overflow: OnceLock::new(),
        }
    }

    /// The cardinality limit it was made for.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Counts in `attrs` before a call that may make an SDK series of them (a measurement or
    /// a binding); the call is running until the result is dropped. Nothing once the SDK is
    /// full.
    pub(crate) fn enter(&self, attrs: &[KeyValue]) -> Option<Running<'_>> {
        if self.full.get().is_some() || attrs.is_empty() || self.closed.load(Ordering::Relaxed) {
            return None;
        }
        let hash = set_hash(attrs);
        let mut open = self.open.lock();
        if self.full.get().is_some() {
            return None;
        }
        if let Some(h) = hash {
            if open.hashes.len() == FIRST {
                // Room for every set at once past the first few, rather than growing by
                // doubling (whose abandoned tables would cost as much again).
                let rest = self.limit.min(RESERVED_AT_MOST).saturating_sub(FIRST);
                open.hashes.reserve(rest, |&x| x);
            }
            if open.hashes.find(h, |&x| x == h).is_none() {
                open.hashes.insert_unique(h, h, |&x| x);
            }
        }
        open.running += 1;
        Some(Running(self))
    }

    /// Says that attributes reach the SDK uncounted: unless the SDK is full already, the
    /// gate closes.
    #[inline]
    pub(crate) fn pass_uncounted(&self) {
        if self.full.get().is_none() && !self.closed.load(Ordering::Relaxed) {
            self.close();
        }
    }

    #[cold]
    fn close(&self) {
        // Under the lock, so that no declaration of fullness is in progress meanwhile.
        let _open = self.open.lock();
        if self.full.get().is_none() {
            self.closed.store(true, Ordering::Relaxed);
        }
    }

    /// The instrument bound to the overflow series when the set of hash `hash` certainly has
    /// no series (the SDK is full and never saw it); None when the SDK must decide.
    #[inline]
    pub(crate) fn overflow_of(&self, inst: &SyncInst, hash: u64) -> Option<&BoundInst> {
        let full = self.full.get()?;
        if self.closed.load(Ordering::Relaxed) {
            return None;
        }
        if full.find(hash, |&x| x == hash).is_some() {
            return None;
        }
        Some(
            self.overflow
                .get_or_init(|| inst.bind(&self.overflow_attrs)),
        )
    }

    /// The overflow series' attributes (for its exemplars).
    pub(crate) fn overflow_attrs(&self) -> &[KeyValue] {
        &self.overflow_attrs
    }
}
