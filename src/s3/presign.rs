//! Presigned URLs: GET, PUT, HEAD and DELETE with query-string authentication.

use super::endpoint::{wire_query, ResolvedEndpoint};
use super::request::{validate_headers, validate_method, validate_signable_key};
use crate::error::{invalid, ErrorCode, Result};
use crate::sigv4::sign::{sign_cached, SigningParams};
use crate::sigv4::{
    Credentials, SignableBody, SignableRequest, SignatureLocation, SigningKeyCache, SigningOutput,
    SigningSettings,
};
use crate::time::Timestamp;

/// The longest lifetime SigV4 allows for a presigned URL: seven days.
pub const MAX_EXPIRES_IN: u64 = 604_800;

/// Response headers S3 overrides on a presigned GET.
#[derive(Debug, Clone, Default)]
pub struct ResponseOverrides {
    /// `response-content-disposition`, e.g. from [`super::content_disposition`].
    pub content_disposition: Option<String>,
    /// `response-content-type`.
    pub content_type: Option<String>,
    /// `response-cache-control`.
    pub cache_control: Option<String>,
}

/// What to presign.
#[derive(Debug, Clone)]
pub struct PresignRequest<'a> {
    /// `GET`, `PUT`, `HEAD` or `DELETE`.
    pub method: &'a str,
    /// Object key.
    pub key: &'a str,
    /// Lifetime in seconds, 1..=604800. Out of range is an error, never clamped.
    pub expires_in: u64,
    /// Operation query parameters (e.g. `versionId`), decoded, in URL order.
    pub query: &'a [(String, String)],
    /// Headers the client must send with the URL; they are signed.
    pub headers: &'a [(String, String)],
    /// Response overrides, appended after `query`.
    pub overrides: ResponseOverrides,
}

/// A presigned URL and what must accompany it.
#[derive(Debug, Clone)]
pub struct PresignedUrl {
    /// HTTP method.
    pub method: String,
    /// The URL, with the signature as its last parameter.
    pub url: String,
    /// Headers the client must send unchanged.
    pub headers: Vec<(String, String)>,
    /// When the URL stops working.
    pub expires_at: Timestamp,
    /// The signing details.
    pub signing: SigningOutput,
}

/// Checks an expiry the way S3 will, so a bad one fails here and not in a user's browser.
pub fn validate_expires(expires_in: u64) -> Result<()> {
    if (1..=MAX_EXPIRES_IN).contains(&expires_in) {
        Ok(())
    } else {
        Err(invalid(
            ErrorCode::InvalidExpires,
            format!("expiry {expires_in} s is outside 1..={MAX_EXPIRES_IN} s (7 days)"),
        ))
    }
}

/// Checksums are computed from the body at send time; presigning one pins a
/// value (or a promise of a trailer) the uploader cannot keep, and S3 then
/// refuses every upload.
fn is_checksum_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("x-amz-checksum-")
        || lower == "x-amz-sdk-checksum-algorithm"
        || lower == "x-amz-trailer"
}

/// Parameters the signer owns, or that cannot be presigned.
fn is_forbidden_query_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    is_checksum_name(&lower)
        || matches!(
            lower.as_str(),
            "x-amz-algorithm"
                | "x-amz-credential"
                | "x-amz-date"
                | "x-amz-expires"
                | "x-amz-signedheaders"
                | "x-amz-signature"
                | "x-amz-security-token"
        )
}

/// Presigns a URL.
pub fn presign_url(
    endpoint: &ResolvedEndpoint,
    credentials: &Credentials,
    time: Timestamp,
    req: &PresignRequest<'_>,
    cache: &mut SigningKeyCache,
) -> Result<PresignedUrl> {
    validate_method(req.method, &["GET", "PUT", "HEAD", "DELETE"])?;
    validate_signable_key(req.key)?;
    validate_expires(req.expires_in)?;
    validate_headers(req.headers)?;
    if let Some((name, _)) = req.headers.iter().find(|(n, _)| is_checksum_name(n)) {
        return Err(invalid(
            ErrorCode::InvalidHeader,
            format!("'{name}' cannot be part of a presigned URL: the uploader computes checksums"),
        ));
    }
    let mut query: Vec<(String, String)> = req.query.to_vec();
    let overrides = [
        (
            "response-content-disposition",
            &req.overrides.content_disposition,
        ),
        ("response-content-type", &req.overrides.content_type),
        ("response-cache-control", &req.overrides.cache_control),
    ];
    for (name, value) in overrides {
        if let Some(v) = value {
            query.push((name.to_owned(), v.clone()));
        }
    }
    for (name, value) in &query {
        if is_forbidden_query_name(name) {
            return Err(invalid(
                ErrorCode::InvalidArgument,
                format!("'{name}' cannot be part of a presigned URL"),
            ));
        }
        if value.contains(['\r', '\n']) {
            return Err(invalid(
                ErrorCode::InvalidArgument,
                format!("'{name}' contains a line break"),
            ));
        }
    }
    let expires_at = time.plus(req.expires_in as i64)?;
    let path = endpoint.path(Some(req.key));
    let wire = wire_query(&query);
    let mut signed_headers = Vec::with_capacity(req.headers.len() + 1);
    signed_headers.push(("host".to_owned(), endpoint.host.clone()));
    signed_headers.extend(req.headers.iter().cloned());
    let signable = SignableRequest {
        method: req.method,
        path: &path,
        query: &wire,
        headers: &signed_headers,
        body: SignableBody::UnsignedPayload,
    };
    let params = SigningParams {
        credentials,
        region: &endpoint.region,
        service: "s3",
        time,
        settings: SigningSettings::s3(SignatureLocation::QueryParams)
            .with_expires_in(req.expires_in),
    };
    let signing = sign_cached(&signable, &params, cache)?;
    query.extend(signing.query_params.iter().cloned());
    Ok(PresignedUrl {
        method: req.method.to_owned(),
        url: format!("{}{}?{}", endpoint.origin(), path, wire_query(&query)),
        headers: req.headers.to_vec(),
        expires_at,
        signing,
    })
}
