//! The protobuf wire format as prost writes it, for the encoders that write OTLP requests
//! straight from otelrs's data (metrics from the SDK's collections, log records from their
//! packed buffers) instead of building the generated messages first. Fields are written in
//! the order of their numbers and nested lengths in their shortest form, as prost does, so
//! the bytes are the very ones prost writes for the same message.

use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};

pub(crate) const VARINT: WireType = WireType::Varint;
pub(crate) const FIXED32: WireType = WireType::ThirtyTwoBit;
pub(crate) const FIXED64: WireType = WireType::SixtyFourBit;
pub(crate) const LEN: WireType = WireType::LengthDelimited;

pub(crate) fn tag(b: &mut Vec<u8>, field: u32, wire: WireType) {
    encode_key(field, wire, b);
}

pub(crate) fn varint(b: &mut Vec<u8>, v: u64) {
    encode_varint(v, b);
}

/// A message field: the tag, then the body `f` writes, behind its length.
pub(crate) fn nested(b: &mut Vec<u8>, field: u32, f: impl FnOnce(&mut Vec<u8>)) {
    tag(b, field, LEN);
    // One byte is kept for the length: enough for a point, an attribute or a value (most
    // nested messages); a longer body is moved up once to make room for its length.
    let at = b.len();
    b.push(0);
    f(b);
    let end = b.len();
    let len = (end - at - 1) as u64;
    let head = encoded_len_varint(len);
    if head > 1 {
        b.resize(end + head - 1, 0);
        b.copy_within(at + 1..end, at + head);
    }
    let mut slot = &mut b[at..at + head];
    encode_varint(len, &mut slot);
}

/// A string field, left out when empty (proto3).
pub(crate) fn string(b: &mut Vec<u8>, field: u32, s: &str) {
    if !s.is_empty() {
        string_always(b, field, s);
    }
}

/// A string field in a oneof: written even when empty.
pub(crate) fn string_always(b: &mut Vec<u8>, field: u32, s: &str) {
    bytes_always(b, field, s.as_bytes());
}

pub(crate) fn bytes(b: &mut Vec<u8>, field: u32, v: &[u8]) {
    if !v.is_empty() {
        bytes_always(b, field, v);
    }
}

pub(crate) fn bytes_always(b: &mut Vec<u8>, field: u32, v: &[u8]) {
    tag(b, field, LEN);
    varint(b, v.len() as u64);
    b.extend_from_slice(v);
}

pub(crate) fn uint(b: &mut Vec<u8>, field: u32, v: u64) {
    if v != 0 {
        tag(b, field, VARINT);
        varint(b, v);
    }
}

pub(crate) fn sint(b: &mut Vec<u8>, field: u32, v: i32) {
    if v != 0 {
        tag(b, field, VARINT);
        varint(b, u64::from(((v << 1) ^ (v >> 31)) as u32));
    }
}

pub(crate) fn fixed(b: &mut Vec<u8>, field: u32, v: u64) {
    if v != 0 {
        tag(b, field, FIXED64);
        b.extend_from_slice(&v.to_le_bytes());
    }
}

pub(crate) fn double_always(b: &mut Vec<u8>, field: u32, v: f64) {
    tag(b, field, FIXED64);
    b.extend_from_slice(&v.to_bits().to_le_bytes());
}

/// A packed repeated fixed64 (or double, as bits) field, left out when empty.
pub(crate) fn packed_fixed(b: &mut Vec<u8>, field: u32, values: impl Iterator<Item = u64>) {
    let mut values = values.peekable();
    if values.peek().is_some() {
        nested(b, field, |b| {
            values.for_each(|v| b.extend_from_slice(&v.to_le_bytes()))
        });
    }
}

/// A fixed32 field, left out when 0.
pub(crate) fn fixed32(b: &mut Vec<u8>, field: u32, v: u32) {
    if v != 0 {
        tag(b, field, FIXED32);
        b.extend_from_slice(&v.to_le_bytes());
    }
}
