//! What an SDK does across fork() (see [`crate::base::fork`]): before it, it takes its
//! registries' locks; in the parent it releases them; in the child, while it has a single
//! thread, it builds new pipelines and points every logger and instrument at them.

use super::{health, SdkShared};
use crate::base::diag;
use crate::base::fork::{self, AcrossFork};
use crate::base::sigpipe::SigpipeBlocked;
use crate::config::resource;
use crate::logs::LogPipeline;
use crate::metrics::pipeline::{Origin, Pipeline};
use std::sync::Arc;

/// Adds `shared` to what the fork handlers cover.
pub(super) fn track(shared: &Arc<SdkShared>) {
    let weak: std::sync::Weak<SdkShared> = Arc::downgrade(shared);
    fork::track(weak);
}

impl AcrossFork for SdkShared {
    fn lock_for_fork(&self) {
        self.metrics.lock_for_fork();
        self.logs.lock_for_fork();
        self.watch.lock_for_fork();
    }

    fn unlock_in_parent(&self) {
        self.watch.unlock_in_parent();
        self.logs.unlock_pipeline_after_fork();
        self.logs.unlock_state_after_fork();
        self.metrics.unlock_after_fork();
    }

    unsafe fn rebuild_in_child(&self) {
        // The parent's queue and the records in it stay behind: the child starts empty.
        self.logs.unlock_pipeline_after_fork();
        let rebuilt = !(self.settings.disabled || self.life.is_shut_down());
        if rebuilt {
            // SAFETY: as this function's contract, which `rebuild` shares.
            unsafe { self.rebuild() };
        }
        self.logs.unlock_state_after_fork();
        self.metrics.unlock_after_fork();
        if rebuilt {
            self.metrics.start_in_child();
        }
        self.watch.restart_in_child(rebuilt);
    }
}

impl SdkShared {
    /// New pipelines for a forked child.
    ///
    /// # Safety
    /// Only in a forked child while it has a single thread, with the registries locked by
    /// `lock_for_fork`.
    unsafe fn rebuild(&self) {
        let _sigpipe = SigpipeBlocked::new();
        let resource = resource::build(&self.settings);
        match LogPipeline::start(&self.settings.logs, &resource) {
            // SAFETY: single-threaded child, the registry locked; no reference from its
            // `pipeline()` is alive here.
            Ok(logs) => unsafe { self.logs.restart_in_child(logs) },
            Err(e) => diag::error(format_args!(
                "cannot rebuild the log pipeline after fork: {e}"
            )),
        }
        match Pipeline::build(
            &self.settings,
            resource,
            &self.exemplars,
            Origin::ForkedChild,
        ) {
            Ok(pipeline) => {
                health::time_exports(&self.settings, &pipeline, self.logs());
                // SAFETY: single-threaded child, the registry locked.
                unsafe { self.metrics.rebuild_in_child(pipeline) };
            }
            Err(e) => diag::error(format_args!(
                "cannot rebuild the metrics pipeline after fork: {e}"
            )),
        }
    }
}
