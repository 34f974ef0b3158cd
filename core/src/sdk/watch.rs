//! The health watch: while there are health rules (OTELRS_HEALTH_RULES) or a health callback,
//! the `otelrs-health` thread reads every OTELRS_HEALTH_INTERVAL what the rules read, keeps
//! what each rule found for the health report, and tells the callback when the status of the
//! whole report changes. Counts "per minute" are over the last minute of readings (since the
//! start while there is less).

use super::{health, SdkShared};
use crate::base::diag;
use crate::base::sync::ForkMutex;
use crate::config::health::{HealthCallback, HealthRule, Reading};
use crate::config::Settings;
use crate::export::health::{RuleFindings, Status};
use crate::logs::stats::range_of;
use crate::system::probes::Probes;
use serde_json::json;
use std::collections::VecDeque;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{OnceLock, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The first and last severity numbers `error_logs_per_minute` counts (ERROR to FATAL4).
const ERROR: u8 = 17;
const FATAL4: u8 = 24;

/// The span of the per-minute counts.
const MINUTE: Duration = Duration::from_secs(60);

/// What a rule found at the last reading.
#[derive(Debug, Clone)]
struct Found {
    rule: String,
    value: Option<f64>,
    status: Status,
}

#[derive(Default)]
struct State {
    probes: Option<Probes>,
    /// (when, error records, dropped records) so far, over the last minute and one before.
    counts: VecDeque<(Instant, u64, u64)>,
    found: Vec<Found>,
    /// The status the callback was last told of.
    told: Option<Status>,
}

/// The rules, the callback, and the thread evaluating them.
pub(crate) struct Watch {
    rules: Vec<HealthRule>,
    callback: Option<HealthCallback>,
    interval: Duration,
    state: ForkMutex<State>,
    thread: ForkMutex<Option<(Sender<()>, JoinHandle<()>)>>,
    /// The SDK watched, once started (a forked child starts again from it).
    shared: OnceLock<Weak<SdkShared>>,
}

impl Watch {
    pub(crate) fn new(settings: &Settings) -> Self {
        Watch {
            rules: settings.health_rules.clone(),
            callback: settings.health_callback.clone(),
            interval: settings.health_interval,
            state: ForkMutex::new(State::default()),
            thread: ForkMutex::new(None),
            shared: OnceLock::new(),
        }
    }

    /// Starts the thread, if there is anything to watch; readings start from now.
    pub(crate) fn start(&self, shared: Weak<SdkShared>) {
        if self.rules.is_empty() && self.callback.is_none() {
            return;
        }
        let _ = self.shared.set(shared.clone());
        // The counts start at 0 with the SDK (and again in a forked child).
        *self.state.lock() = State {
            probes: Some(Probes::new()),
            counts: VecDeque::from([(Instant::now(), 0, 0)]),
            ..State::default()
        };
        let (stop, stopped) = mpsc::channel::<()>();
        let interval = self.interval;
        let spawned = std::thread::Builder::new()
            .name("otelrs-health".to_owned())
            .spawn(move || loop {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                shared.watch.evaluate(&shared);
                drop(shared);
                match stopped.recv_timeout(interval) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
            });
        match spawned {
            Ok(handle) => *self.thread.lock() = Some((stop, handle)),
            Err(e) => diag::error(format_args!(
                "cannot start the otelrs-health thread: the health rules are not evaluated: {e}"
            )),
        }
    }

    /// Stops the thread and waits for it (at shutdown).
    pub(crate) fn stop(&self) {
        let running = self.thread.lock().take();
        if let Some((stop, handle)) = running {
            drop(stop);
            if handle.thread().id() != std::thread::current().id() {
                let _ = handle.join();
            }
        }
    }

    /// Before fork: holds the locks, so that the child finds them in a known state.
    pub(crate) fn lock_for_fork(&self) {
        std::mem::forget(self.thread.lock());
        std::mem::forget(self.state.lock());
    }

    /// After fork, in the parent.
    pub(crate) fn unlock_in_parent(&self) {
        // SAFETY: held by `lock_for_fork` on this thread.
        unsafe {
            self.state.force_unlock();
            self.thread.force_unlock();
        }
    }

    /// After fork, in the child (one thread): the parent's thread is not there; a new one
    /// starts when `run`, with readings of the child from now.
    pub(crate) fn restart_in_child(&self, run: bool) {
        // SAFETY: held by `lock_for_fork`, whose thread is this one in the child.
        unsafe {
            self.state.force_unlock();
            self.thread.force_unlock();
        }
        if let Some((stop, handle)) = self.thread.lock().take() {
            // The thread does not exist in the child: its handle is left alone.
            std::mem::forget(handle);
            drop(stop);
        }
        if let (true, Some(shared)) = (run, self.shared.get()) {
            self.start(shared.clone());
        }
    }

    /// Reads, evaluates the rules, and tells the callback of a change of status.
    fn evaluate(&self, shared: &SdkShared) {
        let errors: u64 = shared
            .logger_cores()
            .iter()
            .map(|c| {
                c.by_range()[range_of(ERROR)..=range_of(FATAL4)]
                    .iter()
                    .sum::<u64>()
            })
            .sum();
        let drops = shared.log_stats().dropped;
        {
            let mut state = self.state.lock();
            let now = Instant::now();
            state.counts.push_back((now, errors, drops));
            // Keep the newest reading at least a minute old, as the base of the counts.
            while state
                .counts
                .get(1)
                .is_some_and(|(at, _, _)| now.duration_since(*at) >= MINUTE)
            {
                state.counts.pop_front();
            }
            let (_, errors_then, drops_then) = state.counts[0];
            let probes = state.probes.get_or_insert_with(Probes::new);
            let found = self
                .rules
                .iter()
                .map(|rule| {
                    let value = match rule.reading {
                        Reading::ErrorLogsPerMinute => {
                            Some(errors.saturating_sub(errors_then) as f64)
                        }
                        Reading::LogDropsPerMinute => Some(drops.saturating_sub(drops_then) as f64),
                        Reading::HostCpuUtilization => probes.host_cpu_utilization(),
                        Reading::HostMemoryUtilization => probes.host_memory_utilization(),
                        Reading::FilesystemUtilization => probes.filesystem_utilization(),
                        Reading::ProcessCpuUtilization => probes.process_cpu_utilization(),
                        Reading::ProcessMemoryUsage => probes.process_memory_usage(),
                    };
                    let broken = value.is_some_and(|v| v > rule.threshold);
                    Found {
                        rule: rule.text.clone(),
                        value,
                        status: match (broken, rule.failing) {
                            (false, _) => Status::Ok,
                            (true, false) => Status::Degraded,
                            (true, true) => Status::Failing,
                        },
                    }
                })
                .collect();
            state.found = found;
        }
        let Some(callback) = &self.callback else {
            return;
        };
        let (status, report) = health::report(shared);
        let changed = {
            let mut state = self.state.lock();
            let before = state.told.replace(status).unwrap_or(Status::Ok);
            before != status
        };
        if changed {
            let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                (callback.0)(status.name(), &report)
            }));
            if called.is_err() {
                diag::error(format_args!("the health callback panicked"));
            }
        }
    }

    /// The rules as last evaluated, for the report.
    pub(crate) fn findings(&self) -> RuleFindings {
        let state = self.state.lock();
        let mut findings = RuleFindings::default();
        for f in &state.found {
            findings.worst = findings.worst.max(f.status);
            if f.status != Status::Ok {
                findings.reasons.push(format!(
                    "rule {}: the reading is {}",
                    f.rule,
                    f.value
                        .map_or_else(|| "unknown".to_owned(), |v| format!("{v}"))
                ));
            }
            findings
                .entries
                .push(json!({"rule": f.rule, "value": f.value, "status": f.status.name()}));
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use crate::logs::stats::RANGES;

    #[test]
    fn the_error_count_adds_up_the_error_and_fatal_ranges() {
        assert_eq!((RANGES[4], RANGES[5]), ("ERROR", "FATAL"));
    }
}
