//! What every instrument and logger of one SDK checks and counts, handed to them by the SDK
//! so that they never hold the SDK itself: whether it was shut down, whether the bindings
//! raise on bad input (OTELRS_STRICT), and how many measurements they refused.

use super::barrier;
use super::error::{Error, ErrorKind, Result};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The shutdown flag and the refused-measurement count of one SDK.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    shut_down: AtomicBool,
    strict: bool,
    /// Measurements the bindings dropped for a bad value or attribute (not OTELRS_STRICT).
    refused: AtomicU64,
}

impl Lifecycle {
    /// An open lifecycle; `strict` as OTELRS_STRICT says.
    pub(crate) fn new(strict: bool) -> Self {
        Lifecycle {
            shut_down: AtomicBool::new(false),
            strict,
            refused: AtomicU64::new(0),
        }
    }

    /// Whether the SDK was shut down.
    #[inline]
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Relaxed)
    }

    /// A [`ErrorKind::Shutdown`] error once the SDK was shut down.
    pub(crate) fn check_open(&self) -> Result<()> {
        if self.is_shut_down() {
            Err(Error::shutdown())
        } else {
            Ok(())
        }
    }

    /// Whether recording errors raise in the bindings (OTELRS_STRICT).
    pub(crate) fn strict(&self) -> bool {
        self.strict
    }

    /// Counts a measurement a binding dropped for a bad value or attribute.
    #[cold]
    pub(crate) fn count_refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// The measurements refused so far.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The answer of a recording call that has written its measurement: refused if the SDK
    /// was shut down meanwhile, since the last collection may have missed it (or not: a
    /// refused measurement may still be exported, an accepted one always is). See
    /// [`barrier`].
    #[inline]
    pub(crate) fn confirm_recorded(&self) -> Result<()> {
        barrier::light();
        if self.is_shut_down() {
            Err(shut_down_meanwhile())
        } else {
            Ok(())
        }
    }

    /// Marks the SDK shut down, a [`ErrorKind::Shutdown`] error if it already was. When this
    /// returns, every measurement written before a recording thread saw the flag is visible
    /// to the last collection, and every later one is refused ([`Self::confirm_recorded`]).
    pub(crate) fn shut_down(&self) -> Result<()> {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Err(Error::new(
                ErrorKind::Shutdown,
                "the SDK was already shut down",
            ));
        }
        barrier::heavy();
        Ok(())
    }
}

/// The error of a measurement written while the SDK shut down (out of the recording path).
#[cold]
#[inline(never)]
fn shut_down_meanwhile() -> Error {
    Error::new(
        ErrorKind::Shutdown,
        "the SDK was shut down before this was recorded, or meanwhile: it may not be exported",
    )
}
