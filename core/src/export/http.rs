//! What every exporter that sends over HTTP shares: one POST with its failure classified, and
//! the retries around it, as the OTLP specification says (which otelrs follows for every
//! backend: the transient failures are retried with exponential backoff and jitter, or after
//! the server's Retry-After, within the export timeout).

use crate::base::error::Error;
use bytes::Bytes;
use std::io::Write as _;
use std::time::{Duration, Instant};

/// How an attempt failed: for good, or in a way worth retrying (with the server's delay).
pub(crate) enum Failure {
    Final(Error),
    Retryable(Error, Option<Duration>),
}

/// The retry policy the OpenTelemetry SDKs recommend.
const RETRY_MAX: u32 = 3;
const RETRY_INITIAL_DELAY: Duration = Duration::from_millis(100);
const RETRY_MAX_DELAY: Duration = Duration::from_millis(1600);
/// The longest a server's Retry-After is followed.
const RETRY_MAX_THROTTLE: Duration = Duration::from_secs(30);

/// Up to 100 ms, so that many processes do not retry in step.
fn jitter() -> Duration {
    Duration::from_millis(crate::base::random::below(101))
}

/// Runs `attempt` until it succeeds, fails for good, or the retries or `timeout` run out;
/// each attempt is given the time it may take (at most `request_timeout`). Adds the attempts
/// repeated to `retries`.
pub(crate) fn with_retries<T>(
    timeout: Duration,
    request_timeout: Duration,
    retries: &mut u64,
    mut attempt: impl FnMut(Duration) -> std::result::Result<T, Failure>,
) -> std::result::Result<T, Error> {
    let deadline = Instant::now() + timeout;
    let mut backoff = RETRY_INITIAL_DELAY;
    let mut repeated = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match attempt(left.min(request_timeout)) {
            Ok(answer) => return Ok(answer),
            Err(Failure::Final(e)) => return Err(e),
            Err(Failure::Retryable(e, hint)) => {
                let wait = hint
                    .unwrap_or_else(|| backoff + jitter())
                    .min(RETRY_MAX_THROTTLE);
                if repeated == RETRY_MAX || Instant::now() + wait >= deadline {
                    return Err(e);
                }
                std::thread::sleep(wait);
                repeated += 1;
                *retries += 1;
                backoff = (backoff * 2).min(RETRY_MAX_DELAY);
            }
        }
    }
}

/// One request's body and how it is sent.
pub(crate) struct Post<'a> {
    pub url: &'a str,
    pub headers: &'a http::HeaderMap,
    pub content_type: &'static str,
    /// `Some("gzip")` compresses the body with gzip; `Some(other)` says the body is encoded
    /// so already (e.g. `snappy`) and only sends the header.
    pub content_encoding: Option<&'static str>,
    /// Cheap to clone: a request sent again shares the bytes.
    pub body: Bytes,
}

/// Sends `post` and reads the answer, waiting at most `timeout`. A 2xx answer's body is
/// returned; no answer (a refused or broken connection, a timeout), 429, 502, 503 and 504 are
/// worth another try (429 and 503 after the server's Retry-After), any other status is final.
pub(crate) fn post(
    client: &reqwest::blocking::Client,
    post: Post<'_>,
    timeout: Duration,
) -> std::result::Result<Bytes, Failure> {
    let Post {
        url,
        headers,
        content_type,
        content_encoding,
        mut body,
    } = post;
    let fail = |e: String| Failure::Final(Error::internal(e));
    let mut req = client
        .post(url)
        .timeout(timeout)
        .headers(headers.clone())
        .header(http::header::CONTENT_TYPE, content_type);
    if let Some(encoding) = content_encoding {
        if encoding == "gzip" {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder
                .write_all(&body)
                .map_err(|e| fail(format!("gzip: {e}")))?;
            body = Bytes::from(encoder.finish().map_err(|e| fail(format!("gzip: {e}")))?);
        }
        req = req.header(http::header::CONTENT_ENCODING, encoding);
    }
    let response = req.body(body).send().map_err(|e| {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
        Failure::Retryable(Error::internal(text), None)
    })?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(retry_after);
    let bytes = response.bytes().map_err(|e| {
        Failure::Retryable(
            Error::internal(format!("POST {url}: reading the answer: {e}")),
            None,
        )
    })?;
    if !status.is_success() {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
        let e = Error::internal(format!("POST {url}: HTTP {status}: {}", text.trim()));
        return Err(match status.as_u16() {
            429 | 503 => Failure::Retryable(e, retry_after),
            502 | 504 => Failure::Retryable(e, None),
            _ => Failure::Final(e),
        });
    }
    Ok(bytes)
}

/// The delay a Retry-After header asks for: seconds, or an HTTP date (RFC 9110) from which
/// the time left is taken.
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        assert_eq!(retry_after(" 7 "), Some(Duration::from_secs(7)));
        let in_a_minute = std::time::SystemTime::now() + Duration::from_secs(60);
        let wait = retry_after(&httpdate::fmt_http_date(in_a_minute)).unwrap();
        assert!(wait > Duration::from_secs(55) && wait <= Duration::from_secs(60));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon"), None);
    }

    #[test]
    fn transient_failures_are_retried_within_the_timeout() {
        let mut retries = 0;
        let mut calls = 0;
        let answer = with_retries(
            Duration::from_secs(5),
            Duration::from_secs(1),
            &mut retries,
            |_| {
                calls += 1;
                if calls < 3 {
                    Err(Failure::Retryable(
                        Error::internal("down"),
                        Some(Duration::ZERO),
                    ))
                } else {
                    Ok(calls)
                }
            },
        );
        assert_eq!((answer.unwrap(), retries), (3, 2));
        let e = with_retries(
            Duration::from_secs(5),
            Duration::from_secs(1),
            &mut retries,
            |_| Err::<(), _>(Failure::Final(Error::internal("bad request"))),
        );
        assert!(e.unwrap_err().message().contains("bad request"));
        assert_eq!(retries, 2);
    }
}
