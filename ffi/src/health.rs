//! The health callback from C: a function plus `void *user_data`, told on an otelrs thread of
//! each change of the health status.

use crate::boundary::{self, ffi_status};
use crate::config::otelrs_config;
use crate::status::otelrs_status;
use otelrs_core::{Error, ErrorKind};
use std::ffi::{c_char, c_void, CString};

/// Told of a change of the health status: `status` is "ok", "degraded" or "failing", `report`
/// the health report as JSON (both NUL-terminated, valid during the call only), with the
/// `user_data` given when it was set. Called on otelrs's `otelrs-health` thread; it may log,
/// record and read the health report through otelrs, but not flush or shut it down.
pub type otelrs_health_fn = Option<
    unsafe extern "C" fn(status: *const c_char, report: *const c_char, user_data: *mut c_void),
>;

/// Sets the function told of each change of the health status (the SDK starts "ok"): the
/// status of the whole health report, from its exporters and the rules of
/// OTELRS_HEALTH_RULES, evaluated every OTELRS_HEALTH_INTERVAL on otelrs's `otelrs-health`
/// thread. A later call replaces it. `user_data` must stay valid, and usable from that
/// thread, until the SDK is shut down.
///
/// # Safety
/// `cfg` is a live configuration; `health_fn` is a function of that signature.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_config_set_health_callback(
    cfg: *mut otelrs_config,
    health_fn: otelrs_health_fn,
    user_data: *mut c_void,
) -> otelrs_status {
    ffi_status!("otelrs_config_set_health_callback", {
        let told = health_fn.ok_or_else(|| Error::new(ErrorKind::Null, "health_fn is NULL"))?;
        let user_data = boundary::UserData(user_data);
        // SAFETY: the caller's contract; a configuration is used by one thread at a time.
        let cfg = unsafe { boundary::borrow_mut(cfg)? };
        cfg.set_health_callback(Box::new(move |status: &str, report: &str| {
            let (Ok(status), Ok(report)) = (CString::new(status), CString::new(report)) else {
                return;
            };
            // SAFETY: a C function pointer given for this purpose, with its user data; the
            // strings live until it returns.
            unsafe { told(status.as_ptr(), report.as_ptr(), user_data.get()) };
        }));
        Ok(())
    })
}
