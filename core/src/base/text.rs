//! Percent-encoding: how the text forms of settings (`key=value` pairs, views) carry the
//! characters that separate their items.

/// `s` with `%` and each of `separators` written as `%XX`, which [`percent_decode`] reads back:
/// how the bindings' key-value pairs and view values reach the text forms.
pub(crate) fn percent_encode(s: &str, separators: &[char]) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '%' || separators.contains(&c) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Decodes `%XX` escapes, as W3C baggage (the format of OTEL_RESOURCE_ATTRIBUTES) encodes values.
pub(crate) fn percent_decode(s: &str) -> std::result::Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape at byte {i}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent escapes do not decode to UTF-8".to_owned())
}
