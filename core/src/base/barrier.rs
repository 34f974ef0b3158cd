//! An asymmetric memory barrier, for the one moment recording and shutdown meet. Recording
//! (every add and record) must not pay for a full fence; shutdown, which happens once, makes
//! every thread of the process pass one instead (Linux `membarrier`), so that a measurement
//! whose thread then sees the SDK still open is visible to the last collection, and one that
//! sees it shut down is refused. Recording needs only a compiler fence between its write and
//! its check of the flag.

use std::sync::atomic::{compiler_fence, Ordering};

/// `membarrier` commands (linux/membarrier.h).
#[cfg(target_os = "linux")]
const MEMBARRIER_CMD_GLOBAL: libc::c_long = 1;
#[cfg(target_os = "linux")]
const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 8;
#[cfg(target_os = "linux")]
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 16;

/// What a recording thread puts between its write and its check of the shutdown flag.
#[inline(always)]
pub(crate) fn light() {
    compiler_fence(Ordering::SeqCst);
}

/// Makes every thread of the process pass a full memory barrier before this returns. Where
/// the kernel cannot (no membarrier), waits 20 ms: a recording call takes well under a
/// microsecond, so this is what is left of the race then.
pub(crate) fn heavy() {
    std::sync::atomic::fence(Ordering::SeqCst);
    #[cfg(target_os = "linux")]
    {
        let membarrier = |cmd: libc::c_long| {
            // SAFETY: the membarrier system call with a command and flags 0 reads and writes
            // no memory of the caller's.
            unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0, 0) == 0 }
        };
        if membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)
            && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
        {
            return;
        }
        if membarrier(MEMBARRIER_CMD_GLOBAL) {
            return;
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(20));
}
