//! AWS Signature Version 4, one file per step of the algorithm:
//!
//! 1. [`canonical_request`] — method, URI, query, headers, payload hash;
//! 2. [`string_to_sign`] — algorithm, time, scope, hash of step 1;
//! 3. [`signing_key`] — the HMAC chain over date, region and service;
//! 4. [`sign`] — the signature, placed in headers or in the query string.
//!
//! What differs between S3 and every other AWS service is not scattered
//! through those steps as `if`s: it is named once, in [`settings`].

pub mod canonical_request;
pub mod credentials;
pub mod day_key;
pub mod encoding;
pub mod settings;
pub mod sign;
pub mod signing_key;
pub mod string_to_sign;

pub use canonical_request::{CanonicalRequest, SignableBody, SignableRequest};
pub use credentials::Credentials;
pub use day_key::DayKey;
pub use settings::{
    PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
pub use sign::{sign, SigningOutput, SigningParams};
pub use signing_key::{derive_signing_key, SigningKey, SigningKeyCache};

/// The only algorithm this crate implements.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Payload hash S3 accepts when the body is not hashed (presigned URLs, https uploads).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Payload hash for aws-chunked bodies with a trailing checksum.
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
