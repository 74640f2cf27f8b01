//! One error type for the whole core, with codes that stay stable across
//! releases so JavaScript and PHP callers can branch on them.

use std::fmt;

/// Stable, machine-readable error codes. `as_str()` is what JS sees as `err.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A required argument is missing or malformed.
    InvalidArgument,
    /// A bucket name breaks S3's naming rules.
    InvalidBucket,
    /// An object key is empty, too long or holds control characters.
    InvalidKey,
    /// Presign expiry outside 1..=604800 seconds.
    InvalidExpires,
    /// An endpoint URL or provider setting that cannot be used.
    InvalidEndpoint,
    /// A region name that is not a plausible region.
    InvalidRegion,
    /// A timestamp that is not `YYYY-MM-DDTHH:MM:SSZ` or out of range.
    InvalidTimestamp,
    /// A key template that cannot be rendered.
    InvalidTemplate,
    /// A header name or value that cannot be sent.
    InvalidHeader,
    /// A secret envelope that was tampered with, is foreign, or uses the wrong key.
    DecryptFailed,
    /// A secret envelope whose version this build does not know.
    UnsupportedEnvelope,
    /// Encryption could not get randomness or failed internally.
    EncryptFailed,
    /// An S3 error body that is not parseable XML.
    InvalidXml,
}

impl ErrorCode {
    /// The stable string form, e.g. `"INVALID_BUCKET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::InvalidBucket => "INVALID_BUCKET",
            ErrorCode::InvalidKey => "INVALID_KEY",
            ErrorCode::InvalidExpires => "INVALID_EXPIRES",
            ErrorCode::InvalidEndpoint => "INVALID_ENDPOINT",
            ErrorCode::InvalidRegion => "INVALID_REGION",
            ErrorCode::InvalidTimestamp => "INVALID_TIMESTAMP",
            ErrorCode::InvalidTemplate => "INVALID_TEMPLATE",
            ErrorCode::InvalidHeader => "INVALID_HEADER",
            ErrorCode::DecryptFailed => "DECRYPT_FAILED",
            ErrorCode::UnsupportedEnvelope => "UNSUPPORTED_ENVELOPE",
            ErrorCode::EncryptFailed => "ENCRYPT_FAILED",
            ErrorCode::InvalidXml => "INVALID_XML",
        }
    }
}

/// An error from the core: a stable code plus a message written for humans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: String,
}

impl Error {
    /// Builds an error from a code and a human-readable message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn invalid(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::new(code, message)
}
