//! A per-instrument map from an exact byte encoding of an attribute list (chosen by the
//! binding: C encodes its `otelrs_attribute` array) to an instrument bound to those
//! attributes. A series recorded before is then found without converting, validating,
//! sorting or allocating anything: one hash of the bytes, one comparison, one bound update.
//!
//! An entry holds only what recording through it needs, the SDK's bound instrument, not the
//! attributes: the SDK holds those for the series, and a forked child starts with an empty
//! cache. Entries are stored densely (the encodings one after the other, the bound
//! instruments in one vector, an index of 4-byte positions), so an entry makes no allocation
//! of its own. The vectors take room for [`FIRST`] series, then at once for all the cache
//! may take (pages the process touches only as series arrive): growing by doubling would
//! leave blocks behind that cost as much again as the entries. The exemplar key of a series, made the first
//! time it keeps an exemplar, is kept beside the entries, for the few series that have one.

use super::instrument::BoundInst;
use foldhash::fast::RandomState;
use hashbrown::HashTable;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

/// How many series one instrument caches; recordings of further series take the converting
/// path, which is correct, only slower.
pub const SERIES_CACHE_LIMIT: usize = 2000;

/// Whether a cache that missed takes another series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Room {
    Some,
    Full,
}

/// Series cached before the cache takes room for all it may cache.
const FIRST: usize = 16;

/// The encoding bytes room is taken for per series (a guess: a list of three short string
/// attributes takes about 80; longer ones make the encodings grow as a vector does).
const BYTES_PER_SERIES: usize = 96;

/// The cached series and their encodings.
#[derive(Default)]
struct Entries {
    /// Positions in `series`, by the hash of their encodings.
    index: HashTable<u32>,
    /// The SDK instruments bound to the series' attributes.
    series: Vec<BoundInst>,
    /// Where each series' encoding ends in `encodings` (it starts where the one before ends).
    ends: Vec<u32>,
    /// Every cached encoding, one after the other.
    encodings: Vec<u8>,
}

/// The encoding of series `i`.
fn encoding_at<'a>(ends: &[u32], encodings: &'a [u8], i: u32) -> &'a [u8] {
    let i = i as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &encodings[start..ends[i] as usize]
}

impl Entries {
    /// The position of the series `encoded`, whose hash is `hash`.
    #[inline]
    fn find(&self, hash: u64, encoded: &[u8]) -> Option<usize> {
        self.index
            .find(hash, |&i| {
                encoding_at(&self.ends, &self.encodings, i) == encoded
            })
            .map(|&i| i as usize)
    }
}

pub(crate) struct SeriesCache {
    hasher: RandomState,
    entries: RwLock<Entries>,
    /// The exemplar keys of the series that kept an exemplar, by position.
    exemplar_keys: Mutex<HashMap<u32, Arc<[u8]>, RandomState>>,
}

impl SeriesCache {
    pub(crate) fn new() -> Self {
        SeriesCache {
            hasher: RandomState::default(),
            entries: RwLock::new(Entries::default()),
            exemplar_keys: Mutex::new(HashMap::default()),
        }
    }

    /// Runs `f` on the bound instrument cached for `encoded` and gives its position; when
    /// there is none, whether another series may be cached.
    #[inline]
    pub(crate) fn with<R>(
        &self,
        encoded: &[u8],
        f: impl FnOnce(&BoundInst) -> R,
    ) -> Result<(u32, R), Room> {
        let hash = self.hasher.hash_one(encoded);
        let entries = self.entries.read();
        match entries.find(hash, encoded) {
            Some(i) => Ok((i as u32, f(&entries.series[i]))),
            None if entries.series.len() < SERIES_CACHE_LIMIT => Err(Room::Some),
            None => Err(Room::Full),
        }
    }

    /// Caches the series `encoded`, recorded through `inst` (a concurrent insert of the same
    /// series wins; both record to the same SDK series anyway).
    pub(crate) fn insert(&self, encoded: &[u8], inst: BoundInst) {
        let hash = self.hasher.hash_one(encoded);
        let mut entries = self.entries.write();
        if entries.series.len() >= SERIES_CACHE_LIMIT || entries.find(hash, encoded).is_some() {
            return;
        }
        // Positions and ends fit 4 bytes: at most SERIES_CACHE_LIMIT series, and a list whose
        // encodings would pass 4 GiB is not cached.
        let Ok(end) = u32::try_from(entries.encodings.len() + encoded.len()) else {
            return;
        };
        let Entries {
            index,
            series,
            ends,
            encodings,
        } = &mut *entries;
        let position = series.len() as u32;
        if series.len() == series.capacity() {
            let more = if series.is_empty() {
                FIRST
            } else {
                SERIES_CACHE_LIMIT - series.len()
            };
            series.reserve_exact(more);
            ends.reserve_exact(more);
            encodings.reserve_exact(more * BYTES_PER_SERIES);
        }
        encodings.extend_from_slice(encoded);
        ends.push(end);
        series.push(inst);
        index.insert_unique(hash, position, |&i| {
            self.hasher.hash_one(encoding_at(ends, encodings, i))
        });
    }
}

impl SeriesCache {
    /// The exemplar key of the series at `position`; made by `make` the first time (outside
    /// any lock: it may convert attributes in the binding's language).
    pub(crate) fn exemplar_key(
        &self,
        position: u32,
        make: impl FnOnce() -> Option<Vec<u8>>,
    ) -> Option<Arc<[u8]>> {
        if let Some(key) = self.exemplar_keys.lock().get(&position) {
            return Some(Arc::clone(key));
        }
        let made: Arc<[u8]> = make()?.into();
        let mut keys = self.exemplar_keys.lock();
        Some(Arc::clone(keys.entry(position).or_insert(made)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_cached_encoding_and_only_it_up_to_the_limit() {
        let cache = SeriesCache::new();
        let encoding = |i: usize| format!("series-{i}").repeat(i % 3 + 1).into_bytes();
        for i in 0..SERIES_CACHE_LIMIT {
            assert_eq!(cache.with(&encoding(i), |_| ()), Err(Room::Some));
            cache.insert(&encoding(i), BoundInst::Disabled);
            // Again: the first insert wins.
            cache.insert(&encoding(i), BoundInst::Disabled);
        }
        for i in 0..SERIES_CACHE_LIMIT {
            assert_eq!(cache.with(&encoding(i), |_| i), Ok((i as u32, i)));
        }
        assert_eq!(cache.entries.read().series.len(), SERIES_CACHE_LIMIT);
        // A prefix of a cached encoding, one longer, and a new one: not cached, and full.
        for other in [&b"series-1"[..5], b"series-1series-1x", b"other"] {
            assert_eq!(cache.with(other, |_| ()), Err(Room::Full));
        }
        cache.insert(b"other", BoundInst::Disabled);
        assert_eq!(cache.with(b"other", |_| ()), Err(Room::Full));
        assert_eq!(cache.with(b"", |_| ()), Err(Room::Full));
    }
}
