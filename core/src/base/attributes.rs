//! Attributes as the SDK wants them: keys sorted and unique, so that every recording of a
//! series finds it on the first lookup, and prepared sets that are built once and reused.

use crate::base::error::{Error, Result};
pub use opentelemetry::{Array, KeyValue, StringValue, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// `text` as an attribute string value the SDK clones by reference count: it clones the
/// attributes of every series at every collection, and an owned string would be copied each
/// time.
pub fn attribute_text(text: &str) -> Arc<str> {
    Arc::from(text)
}

/// The keys a thread has made lately, shared by every series that has them.
const KEYS_KEPT: usize = 512;

type Keys = std::collections::HashMap<Box<str>, Arc<str>, foldhash::fast::RandomState>;

thread_local! {
    static KEYS: std::cell::RefCell<Keys> = std::cell::RefCell::new(Keys::default());
}

/// `key` as an attribute key: as [`attribute_text`], and one string for every series made
/// on this thread with the same key (a collection then reads one string, not one per series).
pub fn attribute_key(key: &str) -> Arc<str> {
    KEYS.try_with(|keys| {
        let Ok(mut keys) = keys.try_borrow_mut() else {
            return Arc::from(key);
        };
        if let Some(shared) = keys.get(key) {
            return Arc::clone(shared);
        }
        if keys.len() >= KEYS_KEPT {
            keys.clear();
        }
        let shared: Arc<str> = Arc::from(key);
        keys.insert(key.into(), Arc::clone(&shared));
        shared
    })
    .unwrap_or_else(|_| Arc::from(key))
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
    fn series_made_on_one_thread_share_their_keys() {
        let (a, b) = (attribute_key("http.route"), attribute_key("http.route"));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*attribute_key("other"), "other");
        let (c, d) = (attribute_text("v"), attribute_text("v"));
        assert!(!Arc::ptr_eq(&c, &d), "values are not kept");
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
