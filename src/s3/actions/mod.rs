//! Every S3 action the product uses, sans-IO, one file each (as rusty-s3
//! does): the action's arguments build an [`ActionRequest`], the core signs
//! it ([`sign_action`]), the caller moves the bytes, and the action's
//! `parse` reads the [`Response`] into a result or an [`S3Error`].
//!
//! The JSON face (`s3Request` / `s3Response` in wasm, the sidecar's `s3` op)
//! is [`dispatch`]: `{ action: "put_object", args: {…} }`.

// Parsers return the S3 error by value: it is the rare path, read once.
#![allow(clippy::result_large_err)]

use super::endpoint::{ResolvedEndpoint, Scheme};
use super::error_xml::{parse_s3_error, S3Error};
use super::request::{sign_request, PayloadHash, S3Request};
use crate::error::{invalid, ErrorCode, Result};
use crate::sigv4::{Credentials, SigningKeyCache};
use crate::time::Timestamp;
use sha2::{Digest, Sha256};

pub mod abort_multipart_upload;
pub mod complete_multipart_upload;
pub mod create_multipart_upload;
pub mod delete_object;
pub mod dispatch;
pub mod get_bucket_location;
pub mod get_object;
pub mod head_bucket;
pub mod head_object;
pub mod list_multipart_uploads;
pub mod list_objects_v2;
pub mod list_parts;
mod listing;
pub mod put_object;
pub mod upload_part;
pub mod xml;

/// What an action sends, before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    /// HTTP method.
    pub method: &'static str,
    /// Object key, or `None` for bucket-level actions.
    pub key: Option<String>,
    /// Query parameters, decoded.
    pub query: Vec<(String, String)>,
    /// Headers to send and sign.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

impl ActionRequest {
    /// A request on the object `key` with no query, no headers and no body;
    /// the `with_*` methods add them.
    pub(crate) fn on_key(method: &'static str, key: &str) -> Self {
        ActionRequest {
            method,
            key: Some(key.to_owned()),
            query: vec![],
            headers: vec![],
            body: Body::Empty,
        }
    }

    /// The same request with these query parameters.
    pub(crate) fn with_query(self, query: Vec<(String, String)>) -> Self {
        ActionRequest { query, ..self }
    }

    /// The same request with these headers.
    pub(crate) fn with_headers(self, headers: Vec<(String, String)>) -> Self {
        ActionRequest { headers, ..self }
    }

    /// The same request with this body.
    pub(crate) fn with_body(self, body: Body) -> Self {
        ActionRequest { body, ..self }
    }
}

/// Where an action's body comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// None: the empty payload's hash is signed.
    Empty,
    /// A body the core built (CompleteMultipartUpload's XML), signed by its SHA-256.
    Core(String),
    /// Bytes the caller streams: their hash when given, else
    /// `UNSIGNED-PAYLOAD`, which only https allows (TLS protects the body).
    Caller(Option<PayloadHash>),
}

impl Body {
    /// Bytes the caller streams, signed by `payload_hash` (hex SHA-256 or
    /// `UNSIGNED-PAYLOAD`) when given: PutObject's and UploadPart's body.
    pub(crate) fn caller(payload_hash: Option<&str>) -> Result<Body> {
        Ok(Body::Caller(
            payload_hash.map(PayloadHash::parse).transpose()?,
        ))
    }
}

/// An answer as the caller received it. `body` is the text of the body
/// (actions whose body is the object, GetObject, need only the headers).
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    /// HTTP status.
    pub status: u16,
    /// Response headers, in any case.
    pub headers: &'a [(String, String)],
    /// Response body text.
    pub body: &'a str,
}

impl Response<'_> {
    /// The first header called `name` (case-insensitive), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    fn success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A signed request, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// HTTP method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Every header to send.
    pub headers: Vec<(String, String)>,
    /// The body to send when the core built it.
    pub body: Option<String>,
}

/// `sha256("")`, the payload hash of a request without a body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// How a caller-streamed body must be accounted for at this endpoint:
/// `UNSIGNED-PAYLOAD` over https, its SHA-256 over plain http (where the
/// signature is all that protects it).
pub fn body_needs_hash(endpoint: &ResolvedEndpoint) -> bool {
    endpoint.scheme != Scheme::Https
}

/// Signs an action's request.
pub fn sign_action(
    endpoint: &ResolvedEndpoint,
    credentials: &Credentials,
    time: Timestamp,
    req: &ActionRequest,
    cache: &mut SigningKeyCache,
) -> Result<Prepared> {
    let payload_hash = match &req.body {
        Body::Empty => PayloadHash::Sha256(EMPTY_SHA256.to_owned()),
        Body::Core(body) => PayloadHash::Sha256(crate::sigv4::encoding::hex(&Sha256::digest(
            body.as_bytes(),
        ))),
        Body::Caller(Some(hash)) => hash.clone(),
        Body::Caller(None) if body_needs_hash(endpoint) => {
            return Err(invalid(
                ErrorCode::InvalidArgument,
                "this endpoint is plain http: pass payloadHash, the SHA-256 of the body",
            ))
        }
        Body::Caller(None) => PayloadHash::Unsigned,
    };
    let signed = sign_request(
        endpoint,
        credentials,
        time,
        &S3Request {
            method: req.method,
            key: req.key.as_deref(),
            query: &req.query,
            headers: &req.headers,
            payload_hash,
        },
        cache,
    )?;
    Ok(Prepared {
        method: signed.method,
        url: signed.url,
        headers: signed.headers,
        body: match &req.body {
            Body::Core(body) => Some(body.clone()),
            _ => None,
        },
    })
}

/// The S3 error an unsuccessful answer carries: from its body when that is
/// an S3 error document, else from its status and headers.
pub fn error_of(resp: &Response<'_>) -> S3Error {
    parse_s3_error(resp.status, resp.body, resp.headers)
        .unwrap_or_else(|_| S3Error::from_status(resp.status, resp.headers))
}

/// `Ok` for a 2xx answer, else its S3 error.
pub(crate) fn check(resp: &Response<'_>) -> std::result::Result<(), S3Error> {
    if resp.success() {
        Ok(())
    } else {
        Err(error_of(resp))
    }
}

/// A 2xx answer that is not what the action expects (a proxy's page, a
/// stripped header): `InvalidResponse`, never retried.
pub(crate) fn not_s3(resp: &Response<'_>, what: impl Into<String>) -> S3Error {
    let mut err = S3Error::from_status(resp.status, resp.headers);
    err.code = "InvalidResponse".into();
    err.message = what.into();
    err
}

/// The root element of a 2xx XML answer, checked to be `root`. An
/// `<Error>` document inside a 200 (CompleteMultipartUpload does this) is
/// that error.
pub(crate) fn document(
    resp: &Response<'_>,
    root: &str,
) -> std::result::Result<xml::Element, S3Error> {
    check(resp)?;
    let doc = xml::parse(resp.body).map_err(|why| {
        not_s3(
            resp,
            format!("the answer is not an S3 {root} document: {why}"),
        )
    })?;
    if doc.name == "Error" {
        return Err(parse_s3_error(resp.status, resp.body, resp.headers)
            .unwrap_or_else(|_| not_s3(resp, "an unreadable <Error> inside a success answer")));
    }
    if doc.name != root {
        return Err(not_s3(
            resp,
            format!("expected an S3 {root} document, got <{}>", doc.name),
        ));
    }
    Ok(doc)
}

/// `"abc"` → `abc`, `W/"abc"` → `abc`.
pub fn unquote_etag(etag: &str) -> String {
    let e = etag.trim();
    let e = e.strip_prefix("W/").unwrap_or(e);
    e.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(e)
        .to_owned()
}

/// The unquoted `ETag` header; its absence means the endpoint is not S3.
pub(crate) fn etag_header(resp: &Response<'_>, what: &str) -> std::result::Result<String, S3Error> {
    resp.header("etag")
        .filter(|e| !e.is_empty())
        .map(unquote_etag)
        .ok_or_else(|| {
            not_s3(
                resp,
                format!("storage accepted the {what} but sent no ETag header"),
            )
        })
}

/// An HTTP date header as ISO 8601, when it is one.
pub(crate) fn http_date_iso(value: Option<&str>) -> Option<String> {
    Timestamp::parse_http_date(value?).ok().map(|t| t.iso8601())
}

/// A number element of a listing.
pub(crate) fn number<T: std::str::FromStr>(el: &xml::Element, name: &str) -> Option<T> {
    el.text_of(name).and_then(|t| t.parse().ok())
}

/// `x-amz-meta-*` headers for user metadata; names are lower-cased.
pub(crate) fn metadata_headers(
    metadata: &std::collections::BTreeMap<String, String>,
) -> Vec<(String, String)> {
    metadata
        .iter()
        .map(|(k, v)| (format!("x-amz-meta-{}", k.to_ascii_lowercase()), v.clone()))
        .collect()
}

/// User metadata from `x-amz-meta-*` answer headers.
pub(crate) fn metadata_of(resp: &Response<'_>) -> std::collections::BTreeMap<String, String> {
    resp.headers
        .iter()
        .filter_map(|(n, v)| {
            let lower = n.trim().to_ascii_lowercase();
            lower
                .strip_prefix("x-amz-meta-")
                .map(|k| (k.to_owned(), v.trim().to_owned()))
        })
        .collect()
}

/// Checks a multipart part number (1..=10000).
pub(crate) fn part_number(n: u32) -> Result<String> {
    if (1..=10_000).contains(&n) {
        Ok(n.to_string())
    } else {
        Err(invalid(
            ErrorCode::InvalidArgument,
            format!("partNumber must be 1..10000, got {n}"),
        ))
    }
}

/// Checks a page size (1..=1000, S3's bound for every listing) and names
/// the argument in the error.
pub(crate) fn page_size(name: &str, n: u32) -> Result<String> {
    if (1..=1000).contains(&n) {
        Ok(n.to_string())
    } else {
        Err(invalid(
            ErrorCode::InvalidArgument,
            format!("{name} must be 1..1000, got {n}"),
        ))
    }
}

/// Checks an upload id is present.
pub(crate) fn upload_id(id: &str) -> Result<String> {
    if id.is_empty() {
        Err(invalid(
            ErrorCode::InvalidArgument,
            "uploadId must not be empty",
        ))
    } else {
        Ok(id.to_owned())
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Shared fixtures: the AWS documentation's example bucket.
    use super::*;
    use crate::s3::endpoint::{AddressingStyle, Provider, StorageConfig};

    pub fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    pub fn resp<'a>(status: u16, headers: &'a [(String, String)], body: &'a str) -> Response<'a> {
        Response {
            status,
            headers,
            body,
        }
    }

    pub fn endpoint(custom: Option<&str>) -> ResolvedEndpoint {
        StorageConfig {
            provider: if custom.is_some() {
                Provider::Custom
            } else {
                Provider::AmazonS3
            },
            region: "us-east-1".into(),
            bucket: "examplebucket".into(),
            endpoint: custom.map(str::to_owned),
            account_id: None,
            addressing_style: AddressingStyle::Auto,
            allow_private_endpoints: true,
        }
        .resolve()
        .unwrap()
    }

    pub fn sign(req: &ActionRequest, custom: Option<&str>) -> Result<Prepared> {
        sign_action(
            &endpoint(custom),
            &Credentials::new(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                None,
            ),
            Timestamp::parse_iso8601("2013-05-24T00:00:00Z").unwrap(),
            req,
            &mut SigningKeyCache::new(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn caller_bodies_need_a_hash_over_http_only() {
        let req = ActionRequest {
            method: "PUT",
            key: Some("k".into()),
            query: vec![],
            headers: vec![],
            body: Body::Caller(None),
        };
        let signed = sign(&req, None).unwrap();
        assert!(signed
            .headers
            .iter()
            .any(|(n, v)| n == "X-Amz-Content-SHA256" && v == "UNSIGNED-PAYLOAD"));
        let err = sign(&req, Some("http://127.0.0.1:9000")).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument);
    }

    #[test]
    fn error_inside_a_200_is_the_error() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>\
            <Message>We encountered an internal error. Please try again.</Message></Error>";
        let err = document(&resp(200, &[], body), "CompleteMultipartUploadResult").unwrap_err();
        assert_eq!(err.code, "InternalError");
        let err = document(&resp(200, &[], "<html>hi</html>"), "X").unwrap_err();
        assert_eq!(err.code, "InvalidResponse");
        assert_eq!(unquote_etag("W/\"abc\""), "abc");
    }
}
