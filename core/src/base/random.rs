//! A per-thread xorshift generator: cheap randomness for sampling decisions, retry jitter and
//! exemplar reservoirs (nothing here needs to be unpredictable).

use std::cell::Cell;

thread_local! {
    static STATE: Cell<u64> = Cell::new({
        // Seeded per thread from the clock and the thread's stack address.
        let here = &0u8 as *const u8 as u64;
        (crate::base::clock::now_unix_nanos() ^ here.rotate_left(32)) | 1
    });
}

/// The next 64 random bits of this thread's generator.
pub(crate) fn next_u64() -> u64 {
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x
    })
}

/// A number in `0..n` (`n` > 0).
pub(crate) fn below(n: u64) -> u64 {
    next_u64() % n
}

/// A uniform number in [0, 1).
pub(crate) fn unit() -> f64 {
    (next_u64() >> 11) as f64 / (1u64 << 53) as f64
}
