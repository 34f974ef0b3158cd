//! A mutex and a condition variable for otelrs's threads that are safe across fork().
//!
//! parking_lot parks a waiting thread in one process-wide table of queues. A thread parked
//! there when the process forks stays in the child's table, although the thread does not
//! exist in the child (and glibc hands its stack to the child's next thread): a thread of the
//! child that then parks in the same queue follows a pointer into that memory, and crashes or
//! hangs. That is what a forked child of a process with an on-disk queue met about one time
//! in ten (its sender thread waits most of the time). This Condvar waits on std's, whose state
//! is a word inside the object, and it works with the parking_lot mutexes otelrs locks (a
//! parking_lot mutex parks only when contended, for a short critical section).
//!
//! The locks the fork handlers hold across fork() are contended by design: a thread that
//! wants one meanwhile parks. Releasing a parking_lot mutex in the child then hands it to
//! that parked thread, which the child does not have, and the child's next lock waits
//! forever (a pre-fork worker hung so when the parent's endpoint thread registered a
//! connection while the parent forked). Those locks are [`ForkMutex`]es: their whole state is
//! a futex word inside them, which the child releases by writing it.

use parking_lot::MutexGuard;
use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::PoisonError;
use std::time::{Duration, Instant};

/// Unlocked, locked, locked with threads (maybe) waiting.
const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;

/// A mutex whose state is one futex word inside it, so that fork() leaves no queue of
/// waiters behind (see the module's notes); with parking_lot's method names.
pub(crate) struct ForkMutex<T> {
    state: AtomicU32,
    data: UnsafeCell<T>,
}

// SAFETY: the data is reached only through a guard, which exists only while the lock is held
// (or through `data_ptr`, whose callers hold the lock), as for any mutex.
unsafe impl<T: Send> Send for ForkMutex<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for ForkMutex<T> {}

impl<T> ForkMutex<T> {
    pub(crate) const fn new(value: T) -> Self {
        ForkMutex {
            state: AtomicU32::new(UNLOCKED),
            data: UnsafeCell::new(value),
        }
    }

    /// Locks, waiting as long as it takes.
    pub(crate) fn lock(&self) -> ForkMutexGuard<'_, T> {
        self.raw_lock();
        ForkMutexGuard { mutex: self }
    }

    fn raw_lock(&self) {
        if self
            .state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
    }

    #[cold]
    fn lock_contended(&self) {
        for _ in 0..100 {
            if self.state.load(Ordering::Relaxed) == UNLOCKED
                && self
                    .state
                    .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
            std::hint::spin_loop();
        }
        while self.state.swap(CONTENDED, Ordering::Acquire) != UNLOCKED {
            futex(
                &self.state,
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                CONTENDED,
            );
        }
    }

    /// Releases the lock held by a guard that was forgotten.
    ///
    /// # Safety
    /// The lock is held, and its guard was forgotten; in a forked child, by the thread that
    /// forked (the child's only thread then).
    pub(crate) unsafe fn force_unlock(&self) {
        if self.state.swap(UNLOCKED, Ordering::Release) == CONTENDED {
            futex(&self.state, libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG, 1);
        }
    }

    /// The data, for a caller that holds the lock through a forgotten guard.
    pub(crate) fn data_ptr(&self) -> *mut T {
        self.data.get()
    }
}

/// FUTEX_WAIT (while the word is `value`) or FUTEX_WAKE (`value` waiters) on `word`.
fn futex(word: &AtomicU32, op: i32, value: u32) {
    // SAFETY: the address is a live, aligned u32 for the duration of the call; no timeout.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            op,
            value,
            std::ptr::null::<libc::timespec>(),
        );
    }
}

/// The lock of a [`ForkMutex`], released when dropped.
pub(crate) struct ForkMutexGuard<'a, T> {
    mutex: &'a ForkMutex<T>,
}

impl<T> Deref for ForkMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T> DerefMut for ForkMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock, and is borrowed mutably.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T> Drop for ForkMutexGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the guard holds the lock.
        unsafe { self.mutex.force_unlock() }
    }
}

/// A guard whose lock a [`Condvar`] releases while it waits.
pub(crate) trait Relock {
    /// Runs `f` with the lock released, and locks it again.
    fn unlocked<R>(&mut self, f: impl FnOnce() -> R) -> R;
}

impl<T> Relock for MutexGuard<'_, T> {
    fn unlocked<R>(&mut self, f: impl FnOnce() -> R) -> R {
        MutexGuard::unlocked(self, f)
    }
}

impl<T> Relock for ForkMutexGuard<'_, T> {
    fn unlocked<R>(&mut self, f: impl FnOnce() -> R) -> R {
        // SAFETY: the guard holds the lock; it holds it again when this returns.
        unsafe { self.mutex.force_unlock() };
        let out = f();
        self.mutex.raw_lock();
        out
    }
}

/// A condition variable used with a `parking_lot::Mutex`, with parking_lot's method names.
/// Notifications are counted, so none is lost between a waiter's check and its wait.
pub(crate) struct Condvar {
    generation: std::sync::Mutex<u64>,
    cv: std::sync::Condvar,
}

/// Whether a timed wait ended by its timeout.
pub(crate) struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// True when the deadline passed without a notification.
    pub(crate) fn timed_out(&self) -> bool {
        self.0
    }
}

impl Condvar {
    pub(crate) const fn new() -> Self {
        Condvar {
            generation: std::sync::Mutex::new(0),
            cv: std::sync::Condvar::new(),
        }
    }

    /// Wakes every waiter (a waiter checks its condition again, as after any wake-up).
    pub(crate) fn notify_all(&self) {
        *self
            .generation
            .lock()
            .unwrap_or_else(PoisonError::into_inner) += 1;
        self.cv.notify_all();
    }

    /// Wakes the waiters; the same as [`Self::notify_all`].
    pub(crate) fn notify_one(&self) {
        self.notify_all();
    }

    /// Releases `guard`'s mutex, waits for a notification, and locks it again.
    pub(crate) fn wait(&self, guard: &mut impl Relock) {
        self.wait_inner(guard, None);
    }

    /// As [`Self::wait`], until `deadline` at the latest.
    pub(crate) fn wait_until(
        &self,
        guard: &mut impl Relock,
        deadline: Instant,
    ) -> WaitTimeoutResult {
        WaitTimeoutResult(self.wait_inner(guard, Some(deadline)))
    }

    /// As [`Self::wait`], for `timeout` at the most.
    pub(crate) fn wait_for(&self, guard: &mut impl Relock, timeout: Duration) -> WaitTimeoutResult {
        self.wait_until(guard, Instant::now() + timeout)
    }

    /// Waits; true when `deadline` passed first. The generation lock is taken before the
    /// caller's mutex is released (a notifier, which holds that mutex or takes it first, cannot
    /// slip in between) and let go before the caller's mutex is locked again.
    fn wait_inner(&self, guard: &mut impl Relock, deadline: Option<Instant>) -> bool {
        let generation = self
            .generation
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let seen = *generation;
        guard.unlocked(move || {
            let mut generation = generation;
            while *generation == seen {
                match deadline {
                    None => {
                        generation = self
                            .cv
                            .wait(generation)
                            .unwrap_or_else(PoisonError::into_inner);
                    }
                    Some(deadline) => {
                        let now = Instant::now();
                        if now >= deadline {
                            return true;
                        }
                        generation = self
                            .cv
                            .wait_timeout(generation, deadline - now)
                            .unwrap_or_else(PoisonError::into_inner)
                            .0;
                    }
                }
            }
            false
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;
    use std::sync::Arc;

    #[test]
    fn the_fork_mutex_excludes() {
        let counter = Arc::new(ForkMutex::new(0u64));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || {
                    for _ in 0..20_000 {
                        *counter.lock() += 1;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*counter.lock(), 80_000);
    }

    #[test]
    fn a_forked_child_locks_what_a_thread_of_the_parent_waited_for() {
        static HELD: ForkMutex<u32> = ForkMutex::new(0);
        let guard = HELD.lock();
        let waiter = std::thread::spawn(|| *HELD.lock() += 1);
        // The waiter finds the lock held and sleeps on it, as a thread of a process that
        // forks does while the fork handlers hold the lock.
        while HELD.state.load(Ordering::Relaxed) != CONTENDED {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::mem::forget(guard);
        // SAFETY: the child only releases and takes the lock (no allocation, no other lock)
        // and leaves with _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: held through the forgotten guard by this thread, the child's only one.
            unsafe { HELD.force_unlock() };
            *HELD.lock() += 1;
            // SAFETY: ends the child without running the parent's destructors.
            unsafe { libc::_exit(0) };
        }
        // SAFETY: held through the forgotten guard by this thread.
        unsafe { HELD.force_unlock() };
        waiter.join().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut status = 0;
        // SAFETY: waits for the child just forked.
        while unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == 0 {
            if Instant::now() > deadline {
                // SAFETY: the child just forked, hung.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                panic!("the child hung on the lock");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        assert_eq!(*HELD.lock(), 1);
    }

    #[test]
    fn a_notification_wakes_a_waiter_and_a_deadline_ends_a_wait() {
        let shared = Arc::new((Mutex::new(false), Condvar::new()));
        let other = Arc::clone(&shared);
        let waiter = std::thread::spawn(move || {
            let (ready, cv) = &*other;
            let mut ready = ready.lock();
            while !*ready {
                cv.wait(&mut ready);
            }
        });
        std::thread::sleep(Duration::from_millis(20));
        *shared.0.lock() = true;
        shared.1.notify_one();
        waiter.join().unwrap();
        let mut guard = shared.0.lock();
        let started = Instant::now();
        assert!(shared
            .1
            .wait_for(&mut guard, Duration::from_millis(30))
            .timed_out());
        assert!(started.elapsed() >= Duration::from_millis(30));
    }
}
