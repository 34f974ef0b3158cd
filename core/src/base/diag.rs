//! otelrs's own messages (an exporter that fails, a setting it does not know, a callback that
//! panicked): one path for all of them, filtered by OTEL_LOG_LEVEL. They go to stderr, or to a
//! handler a binding installs (Python's `otelrs` logger, Ruby's `warn` or logger, a C
//! function). A handler is called on a thread of its own, never on the thread that reports:
//! that thread may hold a lock of the pipeline, and a handler may wait for the GIL or the GVL,
//! which a thread waiting for that lock may hold. Nothing is lost: a message the handler
//! cannot take in time (queue full, shutdown, a handler thread that cannot start) goes to
//! stderr.

use crate::base::fork::ForkCell;
use crate::base::sync::{Condvar, ForkMutex};
use std::collections::VecDeque;
use std::fmt::Display;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How serious a message is; OTEL_LOG_LEVEL keeps those at or above a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    /// Something failed: data is lost or a part of otelrs does not work.
    Error = 1,
    /// Something is wrong but otelrs goes on (an exporter failing, a setting ignored).
    Warn = 2,
    /// What otelrs did, worth knowing.
    Info = 3,
    /// Details for finding a problem.
    Debug = 4,
}

impl Level {
    /// The level of a number (1 error, 2 warn, 3 info, 4 debug), as the C API numbers them.
    pub fn from_number(n: u32) -> Option<Level> {
        [Level::Error, Level::Warn, Level::Info, Level::Debug]
            .into_iter()
            .find(|l| *l as u32 == n)
    }

    /// The level's name, lower case.
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// OTEL_LOG_LEVEL's value: the most detailed level shown (`none`: nothing).
pub(crate) fn parse_level(v: &str) -> std::result::Result<u8, String> {
    match v.to_ascii_lowercase().as_str() {
        "none" | "off" => Ok(0),
        "error" => Ok(Level::Error as u8),
        "warn" | "warning" => Ok(Level::Warn as u8),
        "info" => Ok(Level::Info as u8),
        "debug" | "verbose" | "all" => Ok(Level::Debug as u8),
        _ => Err("expected none, error, warn, info or debug".to_owned()),
    }
}

/// Not read yet: the environment decides on first use.
const UNSET: u8 = u8::MAX;
static THRESHOLD: AtomicU8 = AtomicU8::new(UNSET);

/// Sets the most detailed level shown (what an SDK's OTEL_LOG_LEVEL says).
pub(crate) fn set_threshold(threshold: u8) {
    THRESHOLD.store(threshold, Ordering::Relaxed);
}

fn threshold() -> u8 {
    match THRESHOLD.load(Ordering::Relaxed) {
        UNSET => {
            let from_env = std::env::var("OTEL_LOG_LEVEL")
                .ok()
                .and_then(|v| parse_level(&v).ok())
                .unwrap_or(Level::Info as u8);
            let _ =
                THRESHOLD.compare_exchange(UNSET, from_env, Ordering::Relaxed, Ordering::Relaxed);
            THRESHOLD.load(Ordering::Relaxed)
        }
        t => t,
    }
}

/// Whether a message of `level` is shown: a binding checks it before reporting on its own.
pub fn enabled(level: Level) -> bool {
    level as u8 <= threshold()
}

/// A handler of otelrs's messages, called on otelrs's diagnostics thread.
pub type Handler = Box<dyn Fn(Level, &str) + Send + Sync>;

static HANDLER: ForkMutex<Option<Arc<Handler>>> = ForkMutex::new(None);

/// Messages waiting for the handler's thread, which takes them in order.
struct Queue {
    items: VecDeque<(Level, String)>,
    /// The thread exists (in this process).
    running: bool,
    /// The thread is handing a message to the handler.
    busy: bool,
}

static QUEUE: ForkMutex<Queue> = ForkMutex::new(Queue {
    items: VecDeque::new(),
    running: false,
    busy: false,
});
/// Signalled when a message arrives and when the queue is emptied; a forked child gets a new
/// one (its state may be held by a thread that the child does not have).
static CHANGED: ForkCell<Condvar> = ForkCell::new(Condvar::new());

/// Messages held at most while the handler is slow; beyond, they go to stderr.
const QUEUE_LIMIT: usize = 1024;

/// Sends otelrs's messages to `handler` (`None`: back to stderr).
pub fn set_handler(handler: Option<Handler>) {
    *HANDLER.lock() = handler.map(Arc::new);
}

/// Reports `message` at `level`, if OTEL_LOG_LEVEL shows it.
pub fn report(level: Level, message: impl Display) {
    if !enabled(level) {
        return;
    }
    if HANDLER.lock().is_none() {
        to_stderr(level, &message.to_string());
        return;
    }
    let message = message.to_string();
    let mut queue = QUEUE.lock();
    if queue.items.len() >= QUEUE_LIMIT || !(queue.running || start(&mut queue)) {
        drop(queue);
        to_stderr(level, &message);
        return;
    }
    queue.items.push_back((level, message));
    CHANGED.get().notify_all();
}

/// An error.
pub(crate) fn error(message: impl Display) {
    report(Level::Error, message);
}

/// A warning.
pub(crate) fn warn(message: impl Display) {
    report(Level::Warn, message);
}

fn to_stderr(level: Level, message: &str) {
    match level {
        Level::Error | Level::Warn => eprintln!("otelrs: {message}"),
        Level::Info | Level::Debug => eprintln!("otelrs: {}: {message}", level.name()),
    }
}

/// Starts the handler's thread; false if it cannot be.
fn start(queue: &mut Queue) -> bool {
    let _sigpipe = crate::base::sigpipe::SigpipeBlocked::new();
    let started = std::thread::Builder::new()
        .name("otelrs-diag".to_owned())
        .spawn(deliver)
        .is_ok();
    queue.running = started;
    started
}

/// The handler's thread: hands every message over, in order, for the life of the process.
fn deliver() {
    let mut queue = QUEUE.lock();
    loop {
        let Some((level, message)) = queue.items.pop_front() else {
            CHANGED.get().notify_all();
            CHANGED.get().wait(&mut queue);
            continue;
        };
        queue.busy = true;
        drop(queue);
        let handler = HANDLER.lock().clone();
        match handler {
            Some(handler) => handler(level, &message),
            None => to_stderr(level, &message),
        }
        queue = QUEUE.lock();
        queue.busy = false;
    }
}

/// Waits up to `timeout` for the handler to take every message reported so far (at
/// shutdown, before the process may end); what it has not taken by then goes to stderr.
pub fn flush(timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let mut queue = QUEUE.lock();
    while (!queue.items.is_empty() || queue.busy) && queue.running {
        if CHANGED.get().wait_until(&mut queue, deadline).timed_out() {
            break;
        }
    }
    let left: Vec<_> = queue.items.drain(..).collect();
    drop(queue);
    for (level, message) in left {
        to_stderr(level, &message);
    }
}

/// Before fork: the queue's lock is taken so that no thread holds it across the fork.
pub(crate) fn lock_for_fork() {
    std::mem::forget(HANDLER.lock());
    std::mem::forget(QUEUE.lock());
}

/// In the parent after fork.
pub(crate) fn unlock_in_parent() {
    // SAFETY: `lock_for_fork` locked both in this thread and forgot the guards.
    unsafe {
        QUEUE.force_unlock();
        HANDLER.force_unlock();
    }
}

/// In the child after fork: the handler's thread is the parent's (it delivers the messages
/// queued so far); the child starts one of its own when it has something to say.
pub(crate) fn unlock_in_child() {
    // SAFETY: `lock_for_fork` locked it in the thread that forked, the child's only thread.
    let queue = unsafe { &mut *QUEUE.data_ptr() };
    // SAFETY: the child has a single thread, and no reference from `CHANGED.get()` is alive
    // (this thread is in the fork handler, not in this module's functions).
    let _parents = unsafe { CHANGED.replace_in_child(Condvar::new()) };
    queue.items.clear();
    queue.running = false;
    queue.busy = false;
    // SAFETY: as above, for both locks.
    unsafe {
        QUEUE.force_unlock();
        HANDLER.force_unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn levels_read_as_otel_log_level_names_them() {
        assert_eq!(parse_level("WARN"), Ok(2));
        assert_eq!(parse_level("warning"), Ok(2));
        assert_eq!(parse_level("none"), Ok(0));
        assert_eq!(parse_level("debug"), Ok(4));
        assert!(parse_level("loud")
            .unwrap_err()
            .contains("none, error, warn"));
    }

    #[test]
    fn a_handler_gets_the_messages_the_level_shows_on_its_own_thread() {
        static SEEN: Mutex<Vec<(Level, String, String)>> = Mutex::new(Vec::new());
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        set_threshold(Level::Warn as u8);
        set_handler(Some(Box::new(|level, message| {
            CALLS.fetch_add(1, Ordering::Relaxed);
            let thread = std::thread::current().name().unwrap_or("").to_owned();
            SEEN.lock().push((level, message.to_owned(), thread));
        })));
        warn("one");
        report(Level::Info, "hidden");
        error("two");
        flush(Duration::from_secs(5));
        set_handler(None);
        set_threshold(Level::Info as u8);
        let seen = SEEN.lock().clone();
        assert_eq!(CALLS.load(Ordering::Relaxed), 2);
        assert_eq!(seen[0].0, Level::Warn);
        assert_eq!(seen[0].1, "one");
        assert_eq!(seen[1].1, "two");
        assert!(seen.iter().all(|s| s.2 == "otelrs-diag"), "{seen:?}");
    }
}
