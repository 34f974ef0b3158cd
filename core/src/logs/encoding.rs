//! A log record's body and attributes packed into one byte buffer by the emitting thread (one
//! allocation, however many attributes), and unpacked by the export thread. Emitting then
//! costs a copy of the caller's bytes; the export thread builds the OTLP record.
//!
//! Layout: the body, then per attribute its key and a tagged value. A string is a
//! little-endian u32 length and its UTF-8 bytes; a tag is one byte (0 string, 1 bool, 2 i64,
//! 3 f64, 4 to 7 arrays of those, as a u32 count then the items).

use crate::base::error::{Error, Result};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue};
use parking_lot::Mutex;
use std::cell::RefCell;

/// Packed buffers go back and forth between the emitting threads and the export thread
/// instead of being freed by the thread that did not allocate them (costly with glibc's
/// per-thread arenas). Every access uses `try_lock`, so a lock held by a thread that a fork
/// left behind only means fresh allocations in the child.
static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// Buffers kept in the pool at most, and the largest one kept.
const POOL_LIMIT: usize = 8192;
const POOL_BUFFER_LIMIT: usize = 4096;
/// Buffers a thread takes from the pool at once.
const SPARE_REFILL: usize = 64;

thread_local! {
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer with room for `capacity` bytes, reused when one is at hand.
fn buffer(capacity: usize) -> Vec<u8> {
    let reused = SPARE
        .try_with(|spare| {
            let mut spare = spare.try_borrow_mut().ok()?;
            if spare.is_empty() {
                let mut pool = POOL.try_lock()?;
                let at = pool.len().saturating_sub(SPARE_REFILL);
                spare.extend(pool.drain(at..));
            }
            spare.pop()
        })
        .ok()
        .flatten();
    match reused {
        Some(mut b) => {
            b.reserve(capacity);
            b
        }
        None => Vec::with_capacity(capacity),
    }
}

/// Returns packed buffers to the pool (the export thread calls this after each batch).
pub(crate) fn recycle(buffers: impl Iterator<Item = Vec<u8>>) {
    let Some(mut pool) = POOL.try_lock() else {
        return;
    };
    for mut b in buffers {
        if pool.len() >= POOL_LIMIT {
            break;
        }
        if b.capacity() <= POOL_BUFFER_LIMIT {
            b.clear();
            pool.push(b);
        }
    }
}

const STRING: u8 = 0;
const BOOL: u8 = 1;
const I64: u8 = 2;
const F64: u8 = 3;
const ARRAY: u8 = 4;

/// Builds the packed body and attributes of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBuilder {
    buf: Vec<u8>,
    attributes: usize,
}

impl RecordBuilder {
    /// A record with `body`; `capacity` is a guess of the bytes its attributes take.
    pub fn new(body: &str, capacity: usize) -> Self {
        let mut b = RecordBuilder {
            buf: buffer(4 + body.len() + capacity),
            attributes: 0,
        };
        b.string(body);
        b
    }

    fn string(&mut self, s: &str) {
        self.buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn key(&mut self, key: &str, tag: u8) -> Result<()> {
        if key.is_empty() {
            return Err(Error::invalid(format!(
                "attribute {} has an empty key",
                self.attributes
            )));
        }
        self.attributes += 1;
        self.string(key);
        self.buf.push(tag);
        Ok(())
    }

    /// Adds an exception's attributes as the semantic conventions name them:
    /// `exception.type`, `exception.message` and `exception.stacktrace`.
    pub fn exception(&mut self, type_name: &str, message: &str, stacktrace: &str) -> Result<()> {
        self.string_attribute("exception.type", type_name)?;
        self.string_attribute("exception.message", message)?;
        self.string_attribute("exception.stacktrace", stacktrace)
    }

    /// Adds where the record was made, as the semantic conventions name it:
    /// `code.file.path`, `code.function.name`, `code.line.number`.
    pub fn code(&mut self, file_path: &str, function: &str, line: i64) -> Result<()> {
        self.string_attribute("code.file.path", file_path)?;
        self.string_attribute("code.function.name", function)?;
        self.i64_attribute("code.line.number", line)
    }

    /// Adds the stack where the logging call was made (`code.stacktrace`).
    pub fn stacktrace(&mut self, stack: &str) -> Result<()> {
        self.string_attribute("code.stacktrace", stack)
    }

    /// Adds a string attribute.
    pub fn string_attribute(&mut self, key: &str, value: &str) -> Result<()> {
        self.key(key, STRING)?;
        self.string(value);
        Ok(())
    }

    /// Adds a bool attribute.
    pub fn bool_attribute(&mut self, key: &str, value: bool) -> Result<()> {
        self.key(key, BOOL)?;
        self.buf.push(u8::from(value));
        Ok(())
    }

    /// Adds an integer attribute.
    pub fn i64_attribute(&mut self, key: &str, value: i64) -> Result<()> {
        self.key(key, I64)?;
        self.buf.extend_from_slice(&value.to_le_bytes());
        Ok(())
    }

    /// Adds a float attribute.
    pub fn f64_attribute(&mut self, key: &str, value: f64) -> Result<()> {
        self.key(key, F64)?;
        self.buf.extend_from_slice(&value.to_le_bytes());
        Ok(())
    }

    fn array(&mut self, key: &str, tag: u8, len: usize) -> Result<()> {
        self.key(key, ARRAY + tag)?;
        self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        Ok(())
    }

    /// Adds an array of strings.
    pub fn strings_attribute<'a>(
        &mut self,
        key: &str,
        items: impl ExactSizeIterator<Item = &'a str>,
    ) -> Result<()> {
        self.array(key, STRING, items.len())?;
        items.for_each(|s| self.string(s));
        Ok(())
    }

    /// Adds an array of bools.
    pub fn bools_attribute(&mut self, key: &str, items: &[bool]) -> Result<()> {
        self.array(key, BOOL, items.len())?;
        self.buf.extend(items.iter().map(|b| u8::from(*b)));
        Ok(())
    }

    /// Adds an array of integers.
    pub fn i64s_attribute(&mut self, key: &str, items: &[i64]) -> Result<()> {
        self.array(key, I64, items.len())?;
        items
            .iter()
            .for_each(|v| self.buf.extend_from_slice(&v.to_le_bytes()));
        Ok(())
    }

    /// Adds an array of floats.
    pub fn f64s_attribute(&mut self, key: &str, items: &[f64]) -> Result<()> {
        self.array(key, F64, items.len())?;
        items
            .iter()
            .for_each(|v| self.buf.extend_from_slice(&v.to_le_bytes()));
        Ok(())
    }

    pub(crate) fn into_packed(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads a packed record back. The bytes were written by [`RecordBuilder`] from `&str`s, so
/// every string is valid UTF-8.
#[derive(Clone)]
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.bytes.split_at(n.min(self.bytes.len()));
        self.bytes = tail;
        head
    }
    fn u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }
    fn u32(&mut self) -> usize {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4));
        u32::from_le_bytes(b) as usize
    }
    fn u64(&mut self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8));
        b
    }
    fn str(&mut self) -> &'a str {
        let n = self.u32();
        let bytes = self.take(n);
        // SAFETY: packed buffers are written only by RecordBuilder, whose strings all come from
        // `&str`, and `take` cuts at the lengths it wrote: these bytes are one whole `&str`.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }
    fn scalar(&mut self, tag: u8) -> Scalar<'a> {
        match tag {
            STRING => Scalar::Str(self.str()),
            BOOL => Scalar::Bool(self.u8() != 0),
            I64 => Scalar::I64(i64::from_le_bytes(self.u64())),
            _ => Scalar::F64(f64::from_le_bytes(self.u64())),
        }
    }
}

/// A scalar value of a packed record, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar<'a> {
    Str(&'a str),
    Bool(bool),
    I64(i64),
    F64(f64),
}

impl Scalar<'_> {
    /// As an OTLP value, with a string cut to `max_chars` characters.
    fn any_value(self, max_chars: Option<usize>) -> AnyValue {
        let value = match self {
            Scalar::Str(s) => Value::StringValue(cut(s, max_chars).to_owned()),
            Scalar::Bool(b) => Value::BoolValue(b),
            Scalar::I64(i) => Value::IntValue(i),
            Scalar::F64(f) => Value::DoubleValue(f),
        };
        AnyValue { value: Some(value) }
    }
}

/// `s` cut to its first `max_chars` characters (the attribute value length limit).
pub(crate) fn cut(s: &str, max_chars: Option<usize>) -> &str {
    match max_chars.and_then(|m| s.char_indices().nth(m)) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

/// An attribute value of a packed record, borrowed from it: a scalar, or a list of them.
#[derive(Clone)]
pub(crate) enum Packed<'a> {
    One(Scalar<'a>),
    List(Scalars<'a>),
}

/// The items of a packed list, read as they are iterated (nothing is collected).
#[derive(Clone)]
pub(crate) struct Scalars<'a> {
    tag: u8,
    left: usize,
    r: Reader<'a>,
}

impl<'a> Iterator for Scalars<'a> {
    type Item = Scalar<'a>;

    fn next(&mut self) -> Option<Scalar<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        Some(self.r.scalar(self.tag))
    }
}

/// The attributes of a packed record, in order, borrowed from it.
#[derive(Clone)]
pub(crate) struct Attributes<'a>(Reader<'a>);

impl<'a> Iterator for Attributes<'a> {
    type Item = (&'a str, Packed<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let r = &mut self.0;
        if r.bytes.is_empty() {
            return None;
        }
        let key = r.str();
        let tag = r.u8();
        let value = if tag >= ARRAY {
            let n = r.u32();
            let items = Scalars {
                tag: tag - ARRAY,
                left: n,
                r: r.clone(),
            };
            // Past the list, without collecting it.
            for _ in 0..n {
                r.scalar(tag - ARRAY);
            }
            Packed::List(items)
        } else {
            Packed::One(r.scalar(tag))
        };
        Some((key, value))
    }
}

/// The body and the attributes of a packed record, borrowed from it.
pub(crate) fn read(packed: &[u8]) -> (&str, Attributes<'_>) {
    let mut r = Reader { bytes: packed };
    let body = r.str();
    (body, Attributes(r))
}

/// How many attributes a packed record has.
pub(crate) fn attribute_count(packed: &[u8]) -> usize {
    read(packed).1.count()
}

/// The body and attributes of a packed record, with at most `count_limit` attributes (the
/// first ones) and strings cut to `length_limit` characters; and how many attributes were
/// dropped.
pub(crate) fn unpack(
    packed: &[u8],
    count_limit: usize,
    length_limit: Option<usize>,
) -> (String, Vec<KeyValue>, u32) {
    let (body, attrs) = read(packed);
    let mut attributes = Vec::new();
    let mut dropped = 0;
    for (key, value) in attrs {
        if attributes.len() >= count_limit {
            dropped += 1;
            continue;
        }
        let value = match value {
            Packed::One(v) => v.any_value(length_limit),
            Packed::List(items) => AnyValue {
                value: Some(Value::ArrayValue(ArrayValue {
                    values: items
                        .into_iter()
                        .map(|v| v.any_value(length_limit))
                        .collect(),
                })),
            },
        };
        attributes.push(KeyValue {
            key: key.to_owned(),
            value: Some(value),
            ..Default::default()
        });
    }
    (body.to_owned(), attributes, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_unpacks_every_type_with_limits() {
        let mut b = RecordBuilder::new("héllo", 16);
        b.string_attribute("s", "abcdef").unwrap();
        b.bool_attribute("b", true).unwrap();
        b.i64_attribute("i", -7).unwrap();
        b.f64_attribute("f", 2.5).unwrap();
        b.strings_attribute("ss", ["xyz", "q"].into_iter()).unwrap();
        b.bools_attribute("bs", &[false, true]).unwrap();
        b.i64s_attribute("is", &[1, -2]).unwrap();
        b.f64s_attribute("fs", &[0.5]).unwrap();
        assert!(b.string_attribute("", "x").is_err());
        let packed = b.into_packed();
        let (body, attrs, dropped) = unpack(&packed, 100, None);
        assert_eq!(body, "héllo");
        assert_eq!(dropped, 0);
        assert_eq!(attrs.len(), 8);
        assert_eq!(attrs[2].key, "i");
        assert_eq!(attrs[2].value, Some(scalar(Value::IntValue(-7))));
        let strings = |items: &[&str]| {
            let values = items
                .iter()
                .map(|s| scalar(Value::StringValue((*s).to_owned())))
                .collect();
            Some(scalar(Value::ArrayValue(ArrayValue { values })))
        };
        assert_eq!(attrs[4].value, strings(&["xyz", "q"]));
        let (_, attrs, dropped) = unpack(&packed, 5, Some(2));
        assert_eq!(dropped, 3);
        assert_eq!(
            attrs[0].value,
            Some(scalar(Value::StringValue("ab".to_owned())))
        );
        assert_eq!(attrs[4].value, strings(&["xy", "q"]));
    }

    fn scalar(value: Value) -> AnyValue {
        AnyValue { value: Some(value) }
    }
}
