//! A condition variable for otelrs's threads that is safe across fork().
//!
//! parking_lot parks a waiting thread in one process-wide table of queues. A thread parked
//! there when the process forks stays in the child's table, although the thread does not
//! exist in the child (and glibc hands its stack to the child's next thread): a thread of the
//! child that then parks in the same queue follows a pointer into that memory, and crashes or
//! hangs. That is what a forked child of a process with an on-disk queue met about one time
//! in ten (its sender thread waits most of the time). This Condvar waits on std's, whose state
//! is a word inside the object, and it works with the parking_lot mutexes otelrs locks (a
//! parking_lot mutex parks only when contended, for a short critical section).

use parking_lot::MutexGuard;
use std::sync::PoisonError;
use std::time::{Duration, Instant};

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
    pub(crate) fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
        self.wait_inner(guard, None);
    }

    /// As [`Self::wait`], until `deadline` at the latest.
    pub(crate) fn wait_until<T>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        deadline: Instant,
    ) -> WaitTimeoutResult {
        WaitTimeoutResult(self.wait_inner(guard, Some(deadline)))
    }

    /// As [`Self::wait`], for `timeout` at the most.
    pub(crate) fn wait_for<T>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        self.wait_until(guard, Instant::now() + timeout)
    }

    /// Waits; true when `deadline` passed first. The generation lock is taken before the
    /// caller's mutex is released (a notifier, which holds that mutex or takes it first, cannot
    /// slip in between) and let go before the caller's mutex is locked again.
    fn wait_inner<T>(&self, guard: &mut MutexGuard<'_, T>, deadline: Option<Instant>) -> bool {
        let generation = self
            .generation
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let seen = *generation;
        MutexGuard::unlocked(guard, move || {
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
