//! What happens across fork(). The Rust SDK does nothing about it: its threads, and ours, do
//! not exist in the child. otelrs registers one set of `pthread_atfork` handlers: before the
//! fork they take every SDK's locks, then the diagnostics queue's (a leaf: nothing waits for
//! another lock while holding it), so that no lock is held by a thread the child lacks; after
//! it the parent releases them, and the child, while it still has a single thread, rebuilds
//! every live SDK's pipelines (see [`AcrossFork`]).

use crate::base::sync::ForkMutex;
use parking_lot::Mutex;
use std::any::Any;
use std::cell::UnsafeCell;
use std::os::fd::RawFd;
use std::sync::{Once, Weak};

/// What an SDK does across fork().
pub(crate) trait AcrossFork: Send + Sync {
    /// Before fork(), in the thread that forks: takes every lock the SDK's threads and its
    /// recording paths may hold, forgetting the guards.
    fn lock_for_fork(&self);
    /// After fork(), in the parent: releases them.
    fn unlock_in_parent(&self);
    /// After fork(), in the child: rebuilds what the child needs to go on, and releases the
    /// locks.
    ///
    /// # Safety
    /// Only in the child right after fork(), while the calling thread is its only thread and
    /// `lock_for_fork` holds the locks.
    unsafe fn rebuild_in_child(&self);
}

/// Every SDK alive in this process.
static LIVE: ForkMutex<Vec<Weak<dyn AcrossFork>>> = ForkMutex::new(Vec::new());

/// What a forked child cannot safely drop (it may hold locks or threads of the parent's
/// pipeline): kept here, reachable, for the life of the process.
static GRAVEYARD: Mutex<Vec<Box<dyn Any + Send>>> = Mutex::new(Vec::new());

/// Descriptors that a forked child must close: locks held for this process alone (an
/// on-disk queue's directory lock), which the child's copy would otherwise keep held after
/// the parent exits.
static CLOSE_IN_CHILD: ForkMutex<Vec<RawFd>> = ForkMutex::new(Vec::new());

static REGISTER: Once = Once::new();

/// Adds `fd` to the descriptors a forked child closes.
pub(crate) fn close_in_child(fd: RawFd) {
    CLOSE_IN_CHILD.lock().push(fd);
}

/// Takes `fd` off that list (it is about to be closed in this process).
pub(crate) fn forget_fd(fd: RawFd) {
    CLOSE_IN_CHILD.lock().retain(|f| *f != fd);
}

/// Adds `sdk` to the SDKs that fork handling covers, installing the handlers once.
pub(crate) fn track(sdk: Weak<dyn AcrossFork>) {
    REGISTER.call_once(|| {
        // SAFETY: the three handlers are `extern "C" fn()` with no arguments that live for
        // the whole program, as pthread_atfork requires.
        let rc = unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
        if rc != 0 {
            crate::base::diag::warn(format_args!(
                "pthread_atfork failed ({rc}); a forked child will not export"
            ));
        }
    });
    let mut live = LIVE.lock();
    live.retain(|w| w.strong_count() > 0);
    live.push(sdk);
}

/// Keeps `value` alive for the rest of the process without running its destructor.
pub(crate) fn bury(value: impl Any + Send) {
    GRAVEYARD.lock().push(Box::new(value));
}

extern "C" fn prepare() {
    // The guards are forgotten: the locks stay held through fork() and are released by
    // `parent` or `child` below.
    std::mem::forget(LIVE.lock());
    std::mem::forget(CLOSE_IN_CHILD.lock());
    for sdk in live_sdks() {
        sdk.lock_for_fork();
    }
    crate::base::diag::lock_for_fork();
}

extern "C" fn parent() {
    // SAFETY: `prepare` locked it in this thread and forgot the guard.
    unsafe { CLOSE_IN_CHILD.force_unlock() };
    crate::base::diag::unlock_in_parent();
    for sdk in live_sdks() {
        sdk.unlock_in_parent();
    }
    // SAFETY: `prepare` locked LIVE in this thread and forgot the guard.
    unsafe { LIVE.force_unlock() };
}

extern "C" fn child() {
    {
        // SAFETY: `prepare` locked it in the thread that forked, which is this one, the
        // only thread of the child.
        let fds = unsafe { &mut *CLOSE_IN_CHILD.data_ptr() };
        for fd in fds.drain(..) {
            // SAFETY: a descriptor the parent registered and the child inherited; nothing in
            // the child uses it (the thread that did is the parent's).
            unsafe { libc::close(fd) };
        }
        // SAFETY: as above.
        unsafe { CLOSE_IN_CHILD.force_unlock() };
    }
    crate::base::diag::unlock_in_child();
    for sdk in live_sdks() {
        // SAFETY: this runs in the child right after fork(), where the calling thread is the
        // only thread, and `prepare` holds this SDK's locks.
        unsafe { sdk.rebuild_in_child() };
    }
    // SAFETY: `prepare` locked LIVE in the thread that forked, which is this one.
    unsafe { LIVE.force_unlock() };
}

fn live_sdks() -> Vec<std::sync::Arc<dyn AcrossFork>> {
    // SAFETY: called only from the fork handlers, while `prepare` holds LIVE's lock in this
    // thread; reading through the pointer is what the guard would have allowed.
    let live = unsafe { &*LIVE.data_ptr() };
    live.iter().filter_map(Weak::upgrade).collect()
}

/// A value read without synchronisation on the hot path and replaced only in a forked child
/// while that child has a single thread.
pub(crate) struct ForkCell<T>(UnsafeCell<T>);

// SAFETY: shared access only reads (`get`); the one writer, `replace_in_child`, runs when no
// other thread exists, so no read can overlap it.
unsafe impl<T: Send + Sync> Sync for ForkCell<T> {}

impl<T> ForkCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        ForkCell(UnsafeCell::new(value))
    }

    pub(crate) fn get(&self) -> &T {
        // SAFETY: see the Sync impl: writes happen only while no other thread exists, and
        // never while the calling thread holds a reference from `get`.
        unsafe { &*self.0.get() }
    }

    /// Replaces the value and returns the old one.
    ///
    /// # Safety
    /// Only in a forked child while it has a single thread, and with no reference returned by
    /// `get` alive.
    pub(crate) unsafe fn replace_in_child(&self, value: T) -> T {
        // SAFETY: the caller guarantees exclusive access.
        unsafe { std::mem::replace(&mut *self.0.get(), value) }
    }
}
