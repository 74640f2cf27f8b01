//! Header-signed S3 requests (the ones the sidecar sends itself).

use super::endpoint::{wire_query, ResolvedEndpoint};
use crate::error::{invalid, ErrorCode, Result};
use crate::sigv4::sign::{sign_cached, SigningParams};
use crate::sigv4::{
    Credentials, SignableBody, SignableRequest, SignatureLocation, SigningKeyCache, SigningOutput,
    SigningSettings, STREAMING_UNSIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD,
};
use crate::time::Timestamp;

/// The payload hash of a header-signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadHash {
    /// A hex SHA-256 of the body (plain-http endpoints, small bodies).
    Sha256(String),
    /// `UNSIGNED-PAYLOAD` (https: TLS already protects the body).
    Unsigned,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    StreamingUnsignedTrailer,
}

impl PayloadHash {
    /// Parses a hex SHA-256 (either case) or one of the unsigned markers.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            UNSIGNED_PAYLOAD => Ok(PayloadHash::Unsigned),
            STREAMING_UNSIGNED_PAYLOAD_TRAILER => Ok(PayloadHash::StreamingUnsignedTrailer),
            h if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(PayloadHash::Sha256(h.to_ascii_lowercase()))
            }
            other => Err(invalid(
                ErrorCode::InvalidArgument,
                format!("payload hash '{other}' is neither 64 hex digits nor UNSIGNED-PAYLOAD"),
            )),
        }
    }

    fn body(&self) -> SignableBody<'_> {
        match self {
            PayloadHash::Sha256(h) => SignableBody::Precomputed(h),
            PayloadHash::Unsigned => SignableBody::UnsignedPayload,
            PayloadHash::StreamingUnsignedTrailer => SignableBody::StreamingUnsignedPayloadTrailer,
        }
    }
}

/// An S3 operation to sign with the `Authorization` header.
#[derive(Debug, Clone)]
pub struct S3Request<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Object key, or `None` for bucket-level operations.
    pub key: Option<&'a str>,
    /// Query parameters, decoded, in URL order.
    pub query: &'a [(String, String)],
    /// Extra headers to send and sign (Content-Type, Range, x-amz-meta-*, …).
    pub headers: &'a [(String, String)],
    /// How the body is accounted for.
    pub payload_hash: PayloadHash,
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// HTTP method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Every header to send: `Host`, the given ones, then the signer's.
    pub headers: Vec<(String, String)>,
    /// The signing details (canonical request, string to sign, signature).
    pub signing: SigningOutput,
}

/// Headers the signer owns; a caller that passes one would produce a request
/// whose signature covers a value other than the one sent.
const SIGNER_OWNED: &[&str] = &[
    "host",
    "authorization",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
];

/// Checks header names and values a caller wants signed.
///
/// Values must be visible ASCII, space or tab: HTTP clients send other
/// characters as Latin-1 or refuse them, so a signature over their UTF-8 bytes
/// could never match. Encode metadata such as titles before passing it
/// (percent-encoding or RFC 2047). A name may appear once: clients merge
/// repeats into one `a, b` line, which no longer matches the signed `a,b`.
pub fn validate_headers(headers: &[(String, String)]) -> Result<()> {
    let mut seen: Vec<String> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if seen.contains(&lower) {
            return Err(invalid(
                ErrorCode::InvalidHeader,
                format!("header '{name}' is given twice; join the values into one header"),
            ));
        }
        seen.push(lower);
        let token_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !token_ok {
            return Err(invalid(
                ErrorCode::InvalidHeader,
                format!("'{name}' is not a valid header name"),
            ));
        }
        if SIGNER_OWNED.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(invalid(
                ErrorCode::InvalidHeader,
                format!("'{name}' is set by the signer and cannot be given"),
            ));
        }
        if !value
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        {
            return Err(invalid(
                ErrorCode::InvalidHeader,
                format!(
                    "the value of '{name}' holds a character other than visible ASCII, space or tab; \
                     percent-encode it first"
                ),
            ));
        }
    }
    Ok(())
}

/// The key check used when signing: S3's own limits (1..=1024 UTF-8 bytes),
/// plus no NUL, CR or LF, which S3's XML listings cannot return.
///
/// Signing must work for every key S3 can hold (an object someone else wrote
/// with a tab in its name still has to be downloadable), so this is looser
/// than [`super::validate::validate_key`], which governs the keys we create.
pub fn validate_signable_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 1024 {
        return Err(invalid(
            ErrorCode::InvalidKey,
            format!(
                "an object key is 1 to 1024 UTF-8 bytes; this one is {}",
                key.len()
            ),
        ));
    }
    if key.contains(['\0', '\r', '\n']) {
        return Err(invalid(
            ErrorCode::InvalidKey,
            "an object key cannot contain NUL, CR or LF",
        ));
    }
    Ok(())
}

/// The product's key check for a request with this method, applied by the
/// signing bindings (the signers above stay SDK-compatible for any key): a
/// write (`PUT`, `POST`: PutObject, UploadPart, CreateMultipartUpload,
/// CompleteMultipartUpload, a browser's upload) creates the key, so it gets
/// the strict rules of [`super::validate::validate_key`]; reads and deletes
/// get [`validate_signable_key`], so objects others wrote stay reachable.
pub fn validate_key_for(method: &str, key: &str) -> Result<()> {
    if matches!(method, "PUT" | "POST") {
        super::validate::validate_key(key)
    } else {
        validate_signable_key(key)
    }
}

pub(crate) fn validate_method(method: &str, allowed: &[&str]) -> Result<()> {
    if allowed.contains(&method) {
        Ok(())
    } else {
        Err(invalid(
            ErrorCode::InvalidArgument,
            format!("method '{method}' is not one of {}", allowed.join(", ")),
        ))
    }
}

/// Signs an S3 request with the `Authorization` header.
pub fn sign_request(
    endpoint: &ResolvedEndpoint,
    credentials: &Credentials,
    time: Timestamp,
    req: &S3Request<'_>,
    cache: &mut SigningKeyCache,
) -> Result<SignedRequest> {
    validate_method(req.method, &["GET", "PUT", "POST", "HEAD", "DELETE"])?;
    if let Some(key) = req.key {
        validate_signable_key(key)?;
    }
    validate_headers(req.headers)?;
    let path = endpoint.path(req.key);
    let query = wire_query(req.query);
    let mut headers = Vec::with_capacity(req.headers.len() + 5);
    headers.push(("Host".to_owned(), endpoint.host.clone()));
    headers.extend(req.headers.iter().cloned());
    let signable = SignableRequest {
        method: req.method,
        path: &path,
        query: &query,
        headers: &headers,
        body: req.payload_hash.body(),
    };
    let params = SigningParams {
        credentials,
        region: &endpoint.region,
        service: "s3",
        time,
        settings: SigningSettings::s3(SignatureLocation::Headers),
    };
    let signing = sign_cached(&signable, &params, cache)?;
    headers.extend(signing.headers.iter().cloned());
    Ok(SignedRequest {
        method: req.method.to_owned(),
        url: format!(
            "{}{}{}{}",
            endpoint.origin(),
            path,
            if query.is_empty() { "" } else { "?" },
            query
        ),
        headers,
        signing,
    })
}
