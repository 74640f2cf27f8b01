//! One error model for the whole product.
//!
//! * [`Error`] / [`ErrorCode`]: what a core function returns when its input is
//!   unusable; codes stay stable across releases so JavaScript and PHP can
//!   branch on them.
//! * [`Problem`]: the wire shape every failure reaches PHP in (core errors,
//!   S3 answers, and the sidecar's own failures, which [`local`] classifies),
//!   with one retry decision ([`Retry`]) and one advice id ([`AdviceId`]).

use serde::ser::{Serialize, SerializeMap, Serializer};
use std::fmt;

pub mod advice;
pub mod local;

pub use advice::AdviceId;

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
    /// An endpoint at a link-local, metadata, loopback or private address
    /// the site does not allow (see [`crate::net`]).
    EndpointRefused,
    /// A file to upload that resolves outside every allowed root ([`crate::files`]).
    FileOutsideAllowedRoots,
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
            // Named as docs/CONTRACTS.md fixes it for the SSRF contract.
            ErrorCode::EndpointRefused => "EndpointRefused",
            // Named as docs/CONTRACTS.md fixes it for the file-roots contract.
            ErrorCode::FileOutsideAllowedRoots => "FileOutsideAllowedRoots",
        }
    }

    /// Every code.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidArgument,
        ErrorCode::InvalidBucket,
        ErrorCode::InvalidKey,
        ErrorCode::InvalidExpires,
        ErrorCode::InvalidEndpoint,
        ErrorCode::InvalidRegion,
        ErrorCode::InvalidTimestamp,
        ErrorCode::InvalidTemplate,
        ErrorCode::InvalidHeader,
        ErrorCode::DecryptFailed,
        ErrorCode::UnsupportedEnvelope,
        ErrorCode::EncryptFailed,
        ErrorCode::InvalidXml,
        ErrorCode::EndpointRefused,
        ErrorCode::FileOutsideAllowedRoots,
    ];

    /// Parses [`ErrorCode::as_str`]'s output.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// The advice an admin gets for this code.
    pub fn advice_id(self) -> AdviceId {
        match self {
            ErrorCode::InvalidArgument => AdviceId::InvalidArgument,
            ErrorCode::InvalidBucket => AdviceId::BucketNameInvalid,
            ErrorCode::InvalidKey => AdviceId::KeyInvalid,
            ErrorCode::InvalidExpires => AdviceId::ExpiresInvalid,
            ErrorCode::InvalidEndpoint => AdviceId::EndpointInvalid,
            ErrorCode::InvalidRegion => AdviceId::RegionInvalid,
            ErrorCode::InvalidTimestamp => AdviceId::TimestampInvalid,
            ErrorCode::InvalidTemplate => AdviceId::KeyTemplateInvalid,
            ErrorCode::InvalidHeader => AdviceId::HeaderInvalid,
            ErrorCode::DecryptFailed => AdviceId::SecretUndecryptable,
            ErrorCode::UnsupportedEnvelope => AdviceId::SecretEnvelopeUnsupported,
            ErrorCode::EncryptFailed => AdviceId::SecretEncryptFailed,
            ErrorCode::InvalidXml => AdviceId::ResponseNotS3,
            ErrorCode::EndpointRefused => AdviceId::EndpointRefused,
            ErrorCode::FileOutsideAllowedRoots => AdviceId::FileOutsideAllowedRoots,
        }
    }

    /// Whether the same call may succeed later. Only a failure to get
    /// randomness can pass by itself; every other code is about the input.
    pub fn retry(self) -> Retry {
        match self {
            ErrorCode::EncryptFailed => Retry::BackOff,
            _ => Retry::Never,
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

impl From<&Error> for Problem {
    fn from(e: &Error) -> Problem {
        let id = e.code.advice_id();
        Problem::new(e.code.as_str(), e.message.clone(), e.code.retry(), id)
    }
}

/// The one retry decision, made by the core only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Retry {
    /// Sending the same request again cannot succeed until a setting, a
    /// permission or the input changes.
    Never,
    /// It may succeed later: retry with back-off (honouring
    /// [`Problem::retry_after_seconds`] when given).
    BackOff,
    /// It will succeed once the signing clock is corrected (to
    /// [`Problem::server_time`] when given); retry after that.
    AfterClockFix,
}

impl Retry {
    /// `"never"`, `"backoff"` or `"after-clock-fix"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Retry::Never => "never",
            Retry::BackOff => "backoff",
            Retry::AfterClockFix => "after-clock-fix",
        }
    }

    /// Parses [`Retry::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Retry> {
        [Retry::Never, Retry::BackOff, Retry::AfterClockFix]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    /// `retry != never`: the derived convenience flag older callers read.
    pub fn is_retryable(self) -> bool {
        self != Retry::Never
    }
}

impl Serialize for Retry {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Retry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Retry, D::Error> {
        let s = String::deserialize(d)?;
        Retry::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "retry '{s}' is not never, backoff or after-clock-fix"
            ))
        })
    }
}

/// One failure as every caller sees it (`docs/CONTRACTS.md`, "Error model").
///
/// Serialises to camelCase JSON with absent fields left out, plus the derived
/// `retryable` (= `retry != "never"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Stable code: `S3_ERROR`, `NETWORK_ERROR`, `FILE_NOT_FOUND`, a core code, …
    pub code: String,
    /// What happened, for logs and humans.
    pub message: String,
    /// The retry decision.
    pub retry: Retry,
    /// The advice to show.
    pub advice_id: AdviceId,
    /// Specific English cause (may name the bucket or region); the catalog's by default.
    pub cause: String,
    /// Specific English fix; the catalog's by default.
    pub fix: String,
    /// The storage service's code, e.g. `NoSuchBucket`.
    pub s3_code: Option<String>,
    /// HTTP status of the storage answer.
    pub http_status: Option<u16>,
    /// `x-amz-request-id` / `<RequestId>`: quote it to support.
    pub request_id: Option<String>,
    /// `<Region>`: the region S3 expected (`AuthorizationHeaderMalformed`).
    pub region: Option<String>,
    /// `x-amz-bucket-region`: where the bucket lives.
    pub bucket_region: Option<String>,
    /// `<Endpoint>`: the host a redirect points to.
    pub endpoint: Option<String>,
    /// The server's clock (unix seconds), from `<ServerTime>` or `Date`.
    pub server_time: Option<i64>,
    /// Server clock minus ours, in seconds, when the caller gave `now`.
    pub clock_skew_seconds: Option<i64>,
    /// From `Retry-After`: wait at least this long before retrying.
    pub retry_after_seconds: Option<u64>,
    /// The local error number behind a sidecar failure (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, …).
    pub errno: Option<String>,
}

impl Problem {
    /// A problem with the catalog's cause and fix for `advice_id`.
    pub fn new(
        code: impl Into<String>,
        message: impl Into<String>,
        retry: Retry,
        advice_id: AdviceId,
    ) -> Problem {
        Problem {
            code: code.into(),
            message: message.into(),
            retry,
            advice_id,
            cause: advice_id.cause().to_owned(),
            fix: advice_id.fix().to_owned(),
            s3_code: None,
            http_status: None,
            request_id: None,
            region: None,
            bucket_region: None,
            endpoint: None,
            server_time: None,
            clock_skew_seconds: None,
            retry_after_seconds: None,
            errno: None,
        }
    }

    /// `retry != never`.
    pub fn retryable(&self) -> bool {
        self.retry.is_retryable()
    }
}

impl Serialize for Problem {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("code", &self.code)?;
        m.serialize_entry("message", &self.message)?;
        m.serialize_entry("retry", &self.retry)?;
        m.serialize_entry("retryable", &self.retryable())?;
        m.serialize_entry("adviceId", &self.advice_id)?;
        m.serialize_entry("cause", &self.cause)?;
        m.serialize_entry("fix", &self.fix)?;
        macro_rules! optional {
            ($($name:literal => $field:ident),*) => {$(
                if let Some(v) = &self.$field {
                    m.serialize_entry($name, v)?;
                }
            )*};
        }
        optional!(
            "s3Code" => s3_code,
            "httpStatus" => http_status,
            "requestId" => request_id,
            "region" => region,
            "bucketRegion" => bucket_region,
            "endpoint" => endpoint,
            "serverTime" => server_time,
            "clockSkewSeconds" => clock_skew_seconds,
            "retryAfterSeconds" => retry_after_seconds,
            "errno" => errno
        );
        m.end()
    }
}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn invalid(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::new(code, message)
}
