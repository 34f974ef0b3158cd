//! Attributes as the SDK wants them: keys sorted and unique, so that every recording of a
//! series finds it on the first lookup, and prepared sets that are built once and reused.

use crate::base::error::{Error, Result};
pub use opentelemetry::{Array, KeyValue, StringValue, Value};
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Strings a thread made lately, shared by every series that has them.
type Recent = std::collections::HashSet<Arc<str>, foldhash::fast::RandomState>;

/// How many keys, and how many short values, a thread keeps sharing.
const KEPT: usize = 512;

/// Values up to this long are shared (longer ones are seldom repeated).
const SHARED_VALUE_LEN: usize = 64;

/// The values a thread shares, and whether it does now (see [`sharing_values`]).
struct Values {
    share: Cell<bool>,
    recent: RefCell<Recent>,
}

thread_local! {
    static KEYS: RefCell<Recent> = RefCell::new(Recent::default());
    static VALUES: Values = Values {
        share: Cell::new(false),
        recent: RefCell::new(Recent::default()),
    };
}

/// `text` from `recent` when it is there; otherwise made, and kept there.
fn shared(recent: &RefCell<Recent>, text: &str) -> Arc<str> {
    let Ok(mut recent) = recent.try_borrow_mut() else {
        return Arc::from(text);
    };
    if let Some(kept) = recent.get(text) {
        return Arc::clone(kept);
    }
    if recent.len() >= KEPT {
        recent.clear();
    }
    let made: Arc<str> = Arc::from(text);
    recent.insert(Arc::clone(&made));
    made
}

/// `text` as an attribute string value the SDK clones by reference count (it clones the
/// attributes of every series at every collection, and an owned string would be copied each
/// time). Within [`sharing_values`], a short value is one string for every series made on
/// this thread with it lately (a method or status code is then not one string per series).
pub fn attribute_text(text: &str) -> Arc<str> {
    if text.len() > SHARED_VALUE_LEN {
        return Arc::from(text);
    }
    VALUES
        .try_with(|v| {
            if v.share.get() {
                shared(&v.recent, text)
            } else {
                Arc::from(text)
            }
        })
        .unwrap_or_else(|_| Arc::from(text))
}

/// Runs `make`, whose values [`attribute_text`] makes, sharing short values: for the
/// attributes of a series that keeps them. Elsewhere (a measurement past the series cache,
/// whose attributes live for one call) a value is not looked up, which costs more than it
/// saves when values are seldom repeated.
pub(crate) fn sharing_values<R>(make: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = VALUES.try_with(|v| v.share.set(self.0));
        }
    }
    let _restore = Restore(VALUES.try_with(|v| v.share.replace(true)).unwrap_or(false));
    make()
}

/// `key` as an attribute key: as [`attribute_text`], and one string for every series made
/// on this thread with the same key (a collection then reads one string, not one per series).
pub fn attribute_key(key: &str) -> Arc<str> {
    KEYS.try_with(|recent| shared(recent, key))
        .unwrap_or_else(|_| Arc::from(key))
}

/// One attribute's value as [`hash_attributes`] reads it.
#[derive(Debug, Clone, Copy)]
pub enum HashedValue<'a> {
    /// A string.
    Str(&'a str),
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    I64(i64),
    /// A double.
    F64(f64),
}

/// The hash of one attribute, for [`hash_attributes`]; None for a value it does not take (a
/// float zero or NaN, whose equality and hash the SDK does not agree on).
fn attribute_hash(key: &str, value: HashedValue<'_>) -> Option<u64> {
    use std::hash::{BuildHasher, Hash, Hasher};
    static SEED: std::sync::OnceLock<foldhash::fast::RandomState> = std::sync::OnceLock::new();
    let mut h = SEED.get_or_init(Default::default).build_hasher();
    key.hash(&mut h);
    match value {
        HashedValue::Str(s) => (0u8, s).hash(&mut h),
        HashedValue::Bool(b) => (1u8, b).hash(&mut h),
        HashedValue::I64(i) => (2u8, i).hash(&mut h),
        HashedValue::F64(f) if f == 0.0 || f.is_nan() => return None,
        HashedValue::F64(f) => (3u8, f.to_bits()).hash(&mut h),
    }
    Some(h.finish())
}

/// The most attributes [`hash_attributes`] takes (it compares every key with those before it).
const MAX_HASHED: usize = 16;

/// The hash of an attribute set given as its attributes (None for one a binding cannot read
/// without converting it), the same for them in any order (a wrapping sum of one hash per
/// attribute): two sets the SDK keeps as one series have the same hash. None when an item is
/// None, a key is empty or repeated, a value is a float zero or NaN, or there are more than
/// 16 attributes.
pub fn hash_attributes<'a>(
    attrs: impl IntoIterator<Item = Option<(&'a str, HashedValue<'a>)>>,
) -> Option<u64> {
    let mut keys: [&str; MAX_HASHED] = [""; MAX_HASHED];
    let mut sum = 0u64;
    for (i, item) in attrs.into_iter().enumerate() {
        let (key, value) = item?;
        if i == MAX_HASHED || key.is_empty() || keys[..i].contains(&key) {
            return None;
        }
        keys[i] = key;
        sum = sum.wrapping_add(attribute_hash(key, value)?);
    }
    Some(sum)
}

/// [`hash_attributes`] of `attrs` (None for an array value).
pub(crate) fn set_hash(attrs: &[KeyValue]) -> Option<u64> {
    hash_attributes(attrs.iter().map(|kv| {
        let value = match &kv.value {
            Value::String(s) => HashedValue::Str(s.as_str()),
            Value::Bool(b) => HashedValue::Bool(*b),
            Value::I64(v) => HashedValue::I64(*v),
            Value::F64(v) => HashedValue::F64(*v),
            _ => return None,
        };
        Some((kv.key.as_str(), value))
    }))
}

/// Sorts `attrs` by key and keeps the last value of a repeated key. An empty key is an error.
pub fn normalize(attrs: &mut Vec<KeyValue>) -> Result<()> {
    if let Some(i) = attrs.iter().position(|kv| kv.key.as_str().is_empty()) {
        return Err(Error::invalid(format!("attribute {i} has an empty key")));
    }
    if attrs.windows(2).all(|w| w[0].key < w[1].key) {
        return Ok(());
    }
    // Stable, so that among equal keys the last one given stays last; then keep it.
    attrs.sort_by(|a, b| a.key.cmp(&b.key));
    let mut i = attrs.len();
    while i > 1 {
        i -= 1;
        if attrs[i - 1].key == attrs[i].key {
            attrs.remove(i - 1);
        }
    }
    Ok(())
}

/// An attribute set prepared once (sorted, deduplicated) and shared by any number of
/// recordings and bindings. Cloning is a reference-count increment.
#[derive(Debug, Clone)]
pub struct AttributeSet {
    attrs: Arc<[KeyValue]>,
    id: u64,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl AttributeSet {
    /// Prepares `attrs`; see [`normalize`].
    pub fn new(mut attrs: Vec<KeyValue>) -> Result<Self> {
        normalize(&mut attrs)?;
        Ok(Self::from_normalized(attrs))
    }

    /// The set of `attrs`, which [`normalize`] has prepared.
    pub(crate) fn from_normalized(attrs: Vec<KeyValue>) -> Self {
        AttributeSet {
            attrs: attrs.into(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The attributes, sorted by key.
    pub fn as_slice(&self) -> &[KeyValue] {
        &self.attrs
    }

    /// A number no other set of this process has (clones share it).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_made_on_one_thread_share_their_keys_and_short_values_when_kept() {
        let (a, b) = (attribute_key("http.route"), attribute_key("http.route"));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*attribute_key("other"), "other");
        let (c, d) = sharing_values(|| (attribute_text("GET"), attribute_text("GET")));
        assert!(Arc::ptr_eq(&c, &d));
        let long = "x".repeat(SHARED_VALUE_LEN + 1);
        let (e, f) = sharing_values(|| (attribute_text(&long), attribute_text(&long)));
        assert!(!Arc::ptr_eq(&e, &f), "long values are not kept");
        assert_eq!(*e, *long);
        // Made on another thread: a string of its own.
        let g = std::thread::spawn(|| sharing_values(|| attribute_text("GET")))
            .join()
            .unwrap();
        assert!(!Arc::ptr_eq(&c, &g));
        assert_eq!(*g, *"GET");
        // Outside sharing_values: made, not looked up.
        let h = attribute_text("GET");
        assert!(!Arc::ptr_eq(&c, &h));
    }

    #[test]
    fn a_set_hash_is_the_same_in_any_order_and_refuses_what_the_sdk_may_merge() {
        let a = [
            KeyValue::new("a", "x"),
            KeyValue::new("b", 2),
            KeyValue::new("c", true),
            KeyValue::new("d", 1.5),
        ];
        let mut b = a.to_vec();
        b.reverse();
        assert_eq!(set_hash(&a), set_hash(&b));
        assert!(set_hash(&a).is_some());
        // Each attribute counts: another value, type or key is another hash.
        for other in [
            KeyValue::new("a", "y"),
            KeyValue::new("a", 1),
            KeyValue::new("e", "x"),
        ] {
            let mut c = a.to_vec();
            c[0] = other;
            assert_ne!(set_hash(&a), set_hash(&c));
        }
        assert_ne!(set_hash(&a), set_hash(&a[..3]));
        for refused in [
            vec![KeyValue::new("a", 1), KeyValue::new("a", 2)],
            vec![KeyValue::new("", 1)],
            vec![KeyValue::new("z", 0.0)],
            vec![KeyValue::new("z", f64::NAN)],
            vec![KeyValue::new("z", Value::Array(vec![1i64].into()))],
        ] {
            assert_eq!(set_hash(&refused), None, "{refused:?}");
        }
        let many: Vec<KeyValue> = (0..=MAX_HASHED as i64)
            .map(|i| KeyValue::new(format!("k{i}"), i))
            .collect();
        assert_eq!(set_hash(&many), None);
        assert!(set_hash(&many[..MAX_HASHED]).is_some());
    }

    #[test]
    fn sorts_and_keeps_last_duplicate() {
        let set = AttributeSet::new(vec![
            KeyValue::new("b", 1),
            KeyValue::new("a", "x"),
            KeyValue::new("b", 2),
        ])
        .unwrap();
        assert_eq!(
            set.as_slice(),
            &[KeyValue::new("a", "x"), KeyValue::new("b", 2)]
        );
        assert!(AttributeSet::new(vec![KeyValue::new("", 1)]).is_err());
    }
}
