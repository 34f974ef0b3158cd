//! HTTP server metrics from C: the semantic conventions' `http.server.request.duration` and
//! `http.server.active_requests`, recorded by core as for every language.

use crate::boundary::{self, ffi_status, ffi_void, opaque};
use crate::sdk::otelrs_meter;
use crate::status::otelrs_status;
use otelrs_core::metrics::{HttpServerMetrics, HttpServerRequest, HttpServerResponse};
use std::ffi::c_char;

/// The metrics of an HTTP server, in one meter. Thread-safe; it may be freed while requests
/// started from it are under way.
pub struct otelrs_http_server {
    _private: [u8; 0],
}
opaque!(otelrs_http_server => HttpServerMetrics, 0x0A77_0007);

/// One request under way, from `otelrs_http_server_request_start`; ended (and freed) by
/// `otelrs_http_server_request_end`. One thread at a time.
pub struct otelrs_http_request {
    _private: [u8; 0],
}
opaque!(otelrs_http_request => HttpServerRequest, 0x0A77_0008);

/// Creates (or finds) the HTTP server instruments in `meter`: `http.server.request.duration`
/// (seconds, the conventions' buckets) and `http.server.active_requests`. On success `*out`
/// owns them until `otelrs_http_server_free`.
///
/// # Safety
/// `meter` is a live meter; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_http_server_new(
    meter: *const otelrs_meter,
    out: *mut *mut otelrs_http_server,
) -> otelrs_status {
    ffi_status!("otelrs_http_server_new", {
        boundary::check_out(out)?;
        // SAFETY: the caller's contract.
        let meter = unsafe { boundary::borrow(meter)? };
        let server = HttpServerMetrics::new(meter)?;
        // SAFETY: checked above.
        unsafe { boundary::give(out, server) }
    })
}

/// Frees the server's handle; NULL is a no-op.
///
/// # Safety
/// `server` is NULL or a live handle no other thread uses during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_http_server_free(server: *mut otelrs_http_server) {
    ffi_void!("otelrs_http_server_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(server) }
    })
}

/// A request begins: `method` as received (a method the conventions do not know is recorded
/// as `_OTHER`), `scheme` "http" or "https". It counts as active until
/// `otelrs_http_server_request_end`. On success `*out` is the request.
///
/// # Safety
/// `server` is live; `method` and `scheme` are NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_http_server_request_start(
    server: *const otelrs_http_server,
    method: *const c_char,
    scheme: *const c_char,
    out: *mut *mut otelrs_http_request,
) -> otelrs_status {
    ffi_status!("otelrs_http_server_request_start", {
        boundary::check_out(out)?;
        // SAFETY: the caller's contract.
        let (server, method, scheme) = unsafe {
            (
                boundary::borrow(server)?,
                boundary::text(method, "method")?,
                boundary::text(scheme, "scheme")?,
            )
        };
        let request = server.start(method, scheme)?;
        // SAFETY: checked above.
        unsafe { boundary::give(out, request) }
    })
}

/// The request ended: its duration is recorded with `status_code` (0: none was sent), `route`
/// (the route template that matched, e.g. "/users/{id}"), `protocol_version` ("1.1", or
/// "HTTP/1.1" as servers give it) and `error_type` (why it failed, e.g. an exception's type;
/// without one a 5xx status is the error type); NULL or "" for any of them is none. `request`
/// is freed, whatever the status.
///
/// # Safety
/// `request` is a live request no other thread uses during or after the call; the strings are
/// NULL or NUL-terminated.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_http_server_request_end(
    request: *mut otelrs_http_request,
    status_code: u16,
    route: *const c_char,
    protocol_version: *const c_char,
    error_type: *const c_char,
) -> otelrs_status {
    ffi_status!("otelrs_http_server_request_end", {
        // SAFETY: the caller's contract; the request is taken first, so it is freed whatever
        // the strings hold.
        let request = unsafe { boundary::take(request)? };
        // SAFETY: the caller's contract.
        let (route, protocol_version, error_type) = unsafe {
            (
                boundary::text_or_empty(route, "route")?,
                boundary::text_or_empty(protocol_version, "protocol_version")?,
                boundary::text_or_empty(error_type, "error_type")?,
            )
        };
        // Core leaves out what is empty.
        request.end(&HttpServerResponse {
            status_code,
            route: Some(route),
            protocol_version: Some(protocol_version),
            error_type: Some(error_type),
        })?;
        Ok(())
    })
}
