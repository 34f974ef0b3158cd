//! Everything created for logs in one SDK: the log pipeline (queue and exporters) and one
//! core (counters, rate-limit bucket) per logger scope. The SDK hands it the pipeline and the
//! lifecycle it shares with the meters; loggers hold it, never the SDK.

use super::{LogPipeline, LogStats, Logger, LoggerCore};
use crate::base::error::Result;
use crate::base::fork::{self, ForkCell};
use crate::base::lifecycle::Lifecycle;
use crate::base::sync::ForkMutex;
use crate::config::Sampling;
use crate::export::health::ExporterHealth;
use opentelemetry::InstrumentationScope;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

#[derive(Default)]
struct State {
    /// One core per logger scope. A core that nothing else holds (no logger, no queued
    /// record) is let go when the map grows, its counts kept in `retired`: a program that
    /// makes loggers of ever new names keeps only those it uses.
    loggers: HashMap<(String, String), Arc<LoggerCore>>,
    /// The counts of the logger scopes let go.
    retired: LogStats,
}

/// The logs side of one SDK. Its `state` lock is a leaf, as the meters' registry's is: no
/// code holds it while it waits for anything else.
pub(crate) struct LoggerRegistry {
    life: Arc<Lifecycle>,
    sampling: Sampling,
    /// Read without a lock by every emit; replaced only in a forked child.
    pipeline: ForkCell<Option<Arc<LogPipeline>>>,
    state: ForkMutex<State>,
}

impl LoggerRegistry {
    /// The registry of an SDK whose records go through `pipeline` (None: disabled, or no log
    /// exporter), sampled by `sampling`.
    pub(crate) fn new(
        life: Arc<Lifecycle>,
        sampling: Sampling,
        pipeline: Option<Arc<LogPipeline>>,
    ) -> Self {
        LoggerRegistry {
            life,
            sampling,
            pipeline: ForkCell::new(pipeline),
            state: ForkMutex::new(State::default()),
        }
    }

    /// The log pipeline, if logs are exported.
    #[inline]
    pub(crate) fn pipeline(&self) -> Option<&Arc<LogPipeline>> {
        self.pipeline.get().as_ref()
    }

    /// A logger for `scope`, keyed by its name and version: loggers of one scope share their
    /// counters and rate limit.
    pub(crate) fn logger(self: &Arc<Self>, scope: InstrumentationScope) -> Logger {
        let key = (
            scope.name().to_owned(),
            scope.version().unwrap_or("").to_owned(),
        );
        let mut state = self.state.lock();
        let core = match state.loggers.get(&key) {
            Some(core) => Arc::clone(core),
            None => {
                let state = &mut *state;
                if state.loggers.len() >= 64 && state.loggers.len().is_power_of_two() {
                    // Under the lock, a core only the map holds cannot be taken again.
                    let retired = &mut state.retired;
                    state.loggers.retain(|_, core| {
                        let unused = Arc::strong_count(core) == 1;
                        if unused {
                            *retired += core.stats();
                        }
                        !unused
                    });
                }
                let core = Arc::new(LoggerCore::new(scope, &self.sampling));
                state.loggers.insert(key, Arc::clone(&core));
                core
            }
        };
        Logger {
            life: Arc::clone(&self.life),
            registry: Arc::clone(self),
            core,
        }
    }

    /// Every logger scope's core.
    pub(crate) fn cores(&self) -> Vec<Arc<LoggerCore>> {
        self.state.lock().loggers.values().cloned().collect()
    }

    /// What all loggers emitted so far and what became of it, with the records the queue
    /// dropped.
    pub(crate) fn stats(&self) -> LogStats {
        let mut total = {
            let state = self.state.lock();
            let mut total = state.retired;
            for core in state.loggers.values() {
                total += core.stats();
            }
            total
        };
        total.dropped = self.pipeline().map_or(0, |l| l.dropped());
        total
    }

    /// The health records of the pipeline's exporters.
    pub(crate) fn exporter_health(&self) -> Vec<Arc<ExporterHealth>> {
        self.pipeline()
            .map(|l| l.health().to_vec())
            .unwrap_or_default()
    }

    /// Exports the queued records now, waiting at most `timeout`.
    pub(crate) fn flush(&self, timeout: Duration) -> Result<()> {
        self.pipeline().map_or(Ok(()), |l| l.flush(timeout))
    }

    /// Exports what is queued and stops the pipeline.
    pub(crate) fn shutdown(&self, timeout: Duration) -> Result<()> {
        self.pipeline().map_or(Ok(()), |l| l.shutdown(timeout))
    }

    /// Takes the state's and the pipeline's locks before fork(), forgetting the guards.
    pub(crate) fn lock_for_fork(&self) {
        std::mem::forget(self.state.lock());
        if let Some(logs) = self.pipeline() {
            logs.lock_for_fork();
        }
    }

    /// Releases the pipeline's locks that [`Self::lock_for_fork`] took (in the parent, or
    /// first thing in the child, before [`Self::restart_in_child`] replaces the pipeline).
    pub(crate) fn unlock_pipeline_after_fork(&self) {
        if let Some(logs) = self.pipeline() {
            logs.unlock_after_fork();
        }
    }

    /// Releases the state's lock that [`Self::lock_for_fork`] took.
    pub(crate) fn unlock_state_after_fork(&self) {
        // SAFETY: `lock_for_fork` locked the state in this thread (the one that forked) and
        // forgot the guard.
        unsafe { self.state.force_unlock() }
    }

    /// Starts the child's counts from zero and sends its records through `pipeline` (the
    /// parent's queue and the records in it stay behind).
    ///
    /// # Safety
    /// Only in a forked child while it has a single thread, with the state's lock taken by
    /// [`Self::lock_for_fork`] held, and no reference returned by [`Self::pipeline`] alive.
    pub(crate) unsafe fn restart_in_child(&self, pipeline: Option<Arc<LogPipeline>>) {
        // SAFETY: the lock is held (taken before fork) and no other thread exists.
        let state = unsafe { &mut *self.state.data_ptr() };
        for core in state.loggers.values() {
            core.reset();
        }
        state.retired = LogStats::default();
        // SAFETY: single-threaded child; the caller holds no reference from `pipeline()`.
        fork::bury(unsafe { self.pipeline.replace_in_child(pipeline) });
    }
}
