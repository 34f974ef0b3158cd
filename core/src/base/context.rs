//! Trace context: what a log record is correlated with. Parsed from a W3C `traceparent`
//! (what a server receives in an HTTP header), kept per thread as the current context, or
//! passed explicitly.

use crate::base::error::{Error, Result};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A span's identity: trace id, span id and trace flags (bit 0: sampled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TraceContext {
    /// The 16-byte trace id; never all zero in a valid context.
    pub trace_id: [u8; 16],
    /// The 8-byte span id; never all zero in a valid context.
    pub span_id: [u8; 8],
    /// The trace flags.
    pub flags: u8,
}

fn hex_bytes<const N: usize>(s: &str, what: &str) -> Result<[u8; N]> {
    let mut out = [0u8; N];
    if s.len() != 2 * N
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(Error::invalid(format!(
            "invalid traceparent: the {what} must be {} lower-case hex digits, got {s:?}",
            2 * N
        )));
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16)
            .map_err(|_| Error::invalid(format!("invalid traceparent: bad hex in the {what}")))?;
    }
    Ok(out)
}

impl TraceContext {
    /// Parses a W3C traceparent, `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`. Later
    /// versions are read as the spec says (the first four fields; more may follow `-`).
    pub fn from_traceparent(header: &str) -> Result<Self> {
        let header = header.trim();
        let parts: Vec<&str> = header.split('-').collect();
        if parts.len() < 4 {
            return Err(Error::invalid(format!(
                "invalid traceparent {header:?}: expected version-traceid-spanid-flags"
            )));
        }
        let version = hex_bytes::<1>(parts[0], "version")?[0];
        if version == 0xff || (version == 0 && (parts.len() != 4 || header.len() != 55)) {
            return Err(Error::invalid(format!(
                "invalid traceparent {header:?}: bad version or length"
            )));
        }
        let ctx = TraceContext {
            trace_id: hex_bytes(parts[1], "trace id")?,
            span_id: hex_bytes(parts[2], "span id")?,
            flags: hex_bytes::<1>(parts[3], "flags")?[0],
        };
        if ctx.trace_id == [0; 16] || ctx.span_id == [0; 8] {
            return Err(Error::invalid(format!(
                "invalid traceparent {header:?}: an all-zero trace id or span id is not a trace"
            )));
        }
        Ok(ctx)
    }

    /// Whether the sampled flag is set.
    pub fn is_sampled(&self) -> bool {
        self.flags & 1 == 1
    }

    /// Whether this is a real context (ids not all zero).
    pub fn is_valid(&self) -> bool {
        self.trace_id != [0; 16] && self.span_id != [0; 8]
    }
}

thread_local! {
    static CURRENT: Cell<Option<TraceContext>> = const { Cell::new(None) };
    /// Whether CURRENT is sampled: one byte for the checks on every measurement.
    static SAMPLED: Cell<bool> = const { Cell::new(false) };
}

/// The calling thread's current trace context.
pub fn current() -> Option<TraceContext> {
    CURRENT.with(Cell::get)
}

/// Makes `ctx` the calling thread's current context (`None` clears it) and returns the one it
/// replaces, to be restored when the scope ends.
pub fn set_current(ctx: Option<TraceContext>) -> Option<TraceContext> {
    let sampled = ctx.is_some_and(|c| c.is_sampled());
    if SAMPLED.with(|s| s.replace(sampled)) != sampled {
        if sampled {
            SAMPLED_THREADS.fetch_add(1, Ordering::Relaxed);
        } else {
            SAMPLED_THREADS.fetch_sub(1, Ordering::Relaxed);
        }
    }
    CURRENT.with(|c| c.replace(ctx))
}

/// Threads whose current context is sampled (a thread that ends inside one stays counted,
/// which only costs the per-thread check below).
static SAMPLED_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Whether some thread's current trace context is sampled: one global, read before the
/// thread's own storage (which a shared library reaches through a call).
#[inline]
pub fn any_thread_sampled() -> bool {
    SAMPLED_THREADS.load(Ordering::Relaxed) != 0
}

/// Whether the calling thread's current trace context is sampled.
#[inline]
pub fn current_is_sampled() -> bool {
    any_thread_sampled() && SAMPLED.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_traceparents() {
        let ctx = TraceContext::from_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .unwrap();
        assert_eq!(ctx.trace_id[0], 0x4b);
        assert_eq!(ctx.span_id[7], 0xb7);
        assert!(ctx.is_sampled());
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert!(TraceContext::from_traceparent(bad).is_err(), "{bad}");
        }
        assert!(TraceContext::from_traceparent(
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-future"
        )
        .is_ok());
    }

    #[test]
    fn current_context_is_per_thread_and_restorable() {
        let a = TraceContext {
            trace_id: [1; 16],
            span_id: [2; 8],
            flags: 1,
        };
        assert_eq!(set_current(Some(a)), None);
        assert_eq!(current(), Some(a));
        std::thread::spawn(|| assert_eq!(current(), None))
            .join()
            .unwrap();
        assert_eq!(set_current(None), Some(a));
        assert_eq!(current(), None);
    }
}
