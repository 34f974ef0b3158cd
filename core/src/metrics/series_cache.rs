//! A per-instrument map from an exact byte encoding of an attribute list (chosen by the
//! binding: C encodes its `otelrs_attribute` array) to an instrument bound to those
//! attributes. A series recorded before is then found without converting, validating,
//! sorting or allocating anything: one hash of the bytes, one comparison, one bound update.
//!
//! An entry holds only what recording through it needs (the SDK's bound instrument, and the
//! exemplar key once an exemplar was kept), not the attributes: the SDK holds those for the
//! series, and a forked child starts with an empty cache.

use super::instrument::BoundInst;
use foldhash::fast::RandomState;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::OnceLock;

/// How many series one instrument caches; recordings of further series take the converting
/// path, which is correct, only slower.
pub const SERIES_CACHE_LIMIT: usize = 2000;

/// Whether a cache that missed takes another series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Room {
    Some,
    Full,
}

/// A series the cache records to.
pub(crate) struct CachedSeries {
    /// The SDK instrument bound to the series' attributes.
    pub(crate) inst: BoundInst,
    /// The series' exemplar key, made from its attributes when an exemplar is first offered.
    pub(crate) exemplar_key: OnceLock<Box<[u8]>>,
}

pub(crate) struct SeriesCache {
    map: RwLock<HashMap<Box<[u8]>, CachedSeries, RandomState>>,
}

impl SeriesCache {
    pub(crate) fn new() -> Self {
        SeriesCache {
            map: RwLock::new(HashMap::with_hasher(RandomState::default())),
        }
    }

    /// Runs `f` on the series cached for `encoded`; when there is none, whether another
    /// series may be cached.
    #[inline]
    pub(crate) fn with<R>(
        &self,
        encoded: &[u8],
        f: impl FnOnce(&CachedSeries) -> R,
    ) -> Result<R, Room> {
        let map = self.map.read();
        match map.get(encoded) {
            Some(bound) => Ok(f(bound)),
            None if map.len() < SERIES_CACHE_LIMIT => Err(Room::Some),
            None => Err(Room::Full),
        }
    }

    /// Caches the series `encoded`, recorded through `inst` (a concurrent insert of the same
    /// series wins; both record to the same SDK series anyway).
    pub(crate) fn insert(&self, encoded: &[u8], inst: BoundInst) {
        let mut map = self.map.write();
        if map.len() < SERIES_CACHE_LIMIT {
            map.entry(encoded.into()).or_insert(CachedSeries {
                inst,
                exemplar_key: OnceLock::new(),
            });
        }
    }
}
