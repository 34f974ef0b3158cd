//! The one error type of otelrs: a kind every binding maps to its own form (a C status, a
//! Python exception, a Ruby exception class) and a message that says what and where.

use std::fmt;

/// What went wrong, in the terms a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A required pointer or handle was missing.
    Null,
    /// A string was not valid UTF-8.
    InvalidUtf8,
    /// An argument was out of its domain: an invalid name, a negative counter increment, NaN.
    InvalidArgument,
    /// A setting had an unknown key or a value that does not parse.
    Config,
    /// The SDK was already shut down.
    Shutdown,
    /// An operation did not finish within its timeout.
    Timeout,
    /// An instrument with the same name but another definition already exists.
    Conflict,
    /// A handle of another kind was passed (a histogram where a counter was expected).
    WrongHandle,
    /// An exporter failed to deliver.
    Export,
    /// A panic was caught at the boundary.
    Panic,
    /// Anything else: a thread that could not start, a lock poisoned by a panic.
    Internal,
    /// A call that an observable instrument's callback may not make (creating an
    /// instrument, flushing, collecting, shutting down): the collection running the
    /// callback would wait for itself.
    InCallback,
}

/// An error with its kind and a message for humans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    /// For an export a backend took in part: how many of its items it rejected (0: the
    /// whole export failed).
    rejected: u32,
    message: String,
}

/// The result type of otelrs-core.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            rejected: 0,
            message: message.into(),
        }
    }

    /// An export the backend took except `rejected` of its items, which it refused for good.
    pub(crate) fn rejected(rejected: u32, message: impl Into<String>) -> Self {
        Error {
            rejected,
            ..Error::new(ErrorKind::Export, message)
        }
    }

    /// How many items of an export the backend rejected when it took the others (0 when the
    /// whole export failed).
    pub(crate) fn rejected_items(&self) -> u32 {
        self.rejected
    }

    /// Its kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Its message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context: ` in front of its message.
    pub fn context(mut self, context: &str) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    #[cold]
    pub(crate) fn shutdown() -> Self {
        Error::new(ErrorKind::Shutdown, "the SDK has been shut down")
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
