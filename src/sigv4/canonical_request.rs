//! Step 1: the canonical request.
//!
//! ```text
//! METHOD \n CANONICAL_URI \n CANONICAL_QUERY \n CANONICAL_HEADERS \n SIGNED_HEADERS \n PAYLOAD_HASH
//! ```

use super::encoding::{encode_path, encode_query_bytes, hex, percent_decode};
use super::settings::{PercentEncodingMode, SigningSettings, UriPathNormalizationMode};
use super::{STREAMING_UNSIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD};
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// The body as the signer sees it.
#[derive(Debug, Clone, Copy)]
pub enum SignableBody<'a> {
    /// The whole body; the signer hashes it.
    Bytes(&'a [u8]),
    /// A hex SHA-256 computed elsewhere (e.g. while streaming a file).
    Precomputed(&'a str),
    /// `UNSIGNED-PAYLOAD`.
    UnsignedPayload,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (aws-chunked with a trailing checksum).
    StreamingUnsignedPayloadTrailer,
}

impl SignableBody<'_> {
    /// The payload hash that goes into the canonical request.
    pub fn payload_hash(&self) -> Cow<'_, str> {
        match self {
            SignableBody::Bytes(b) => Cow::Owned(hex(&Sha256::digest(b))),
            SignableBody::Precomputed(h) => Cow::Borrowed(h),
            SignableBody::UnsignedPayload => Cow::Borrowed(UNSIGNED_PAYLOAD),
            SignableBody::StreamingUnsignedPayloadTrailer => {
                Cow::Borrowed(STREAMING_UNSIGNED_PAYLOAD_TRAILER)
            }
        }
    }
}

/// A request as it will go on the wire, before signing.
#[derive(Debug, Clone)]
pub struct SignableRequest<'a> {
    /// HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// The path as sent, without the query (`/bucket/a%20b.txt`).
    pub path: &'a str,
    /// The query string as sent, without `?` (may be empty).
    pub query: &'a str,
    /// Headers as sent, in order; `host` must be among them.
    pub headers: &'a [(String, String)],
    /// The body or its hash.
    pub body: SignableBody<'a>,
}

/// Headers that proxies and clients rewrite, so signing them breaks requests.
const NEVER_SIGNED: &[&str] = &[
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "expect",
    "transfer-encoding",
];

/// The canonical request, kept in parts so each one can be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    /// Upper-case method.
    pub method: String,
    /// Canonical URI.
    pub uri: String,
    /// Canonical query string.
    pub query: String,
    /// Canonical headers, each line ending in `\n`.
    pub headers: String,
    /// `;`-joined lower-case names of the signed headers.
    pub signed_headers: String,
    /// Hex SHA-256 of the body, or one of the unsigned markers.
    pub payload_hash: String,
}

impl CanonicalRequest {
    /// Builds the canonical form of a request plus the extra query parameters
    /// and headers the signer adds (`X-Amz-Date`, …).
    pub fn new(
        req: &SignableRequest<'_>,
        extra_query: &[(&str, &str)],
        extra_headers: &[(&str, &str)],
        settings: &SigningSettings,
    ) -> Self {
        let headers = canonical_headers(req.headers, extra_headers);
        let mut lines = String::new();
        let mut names = Vec::with_capacity(headers.len());
        for (name, value) in &headers {
            lines.push_str(name);
            lines.push(':');
            lines.push_str(value);
            lines.push('\n');
            names.push(name.as_str());
        }
        CanonicalRequest {
            method: req.method.to_ascii_uppercase(),
            uri: canonical_uri(req.path, settings),
            query: canonical_query(req.query, extra_query),
            headers: lines,
            signed_headers: names.join(";"),
            payload_hash: req.body.payload_hash().into_owned(),
        }
    }

    /// The names of the headers that will be signed, for `X-Amz-SignedHeaders`
    /// (computed before the query part, which contains it).
    pub fn signed_header_names(headers: &[(String, String)], extra: &[(&str, &str)]) -> String {
        canonical_headers(headers, extra)
            .into_iter()
            .map(|(n, _)| n)
            .collect::<Vec<_>>()
            .join(";")
    }
}

impl std::fmt::Display for CanonicalRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.method, self.uri, self.query, self.headers, self.signed_headers, self.payload_hash
        )
    }
}

/// Applies the path settings: optional dot-segment removal, optional second encoding.
pub fn canonical_uri(path: &str, settings: &SigningSettings) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let normalized = match settings.uri_path_normalization_mode {
        UriPathNormalizationMode::Enabled => Cow::Owned(normalize_path(path)),
        UriPathNormalizationMode::Disabled => Cow::Borrowed(path),
    };
    match settings.percent_encoding_mode {
        PercentEncodingMode::Double => encode_path(&normalized),
        PercentEncodingMode::Single => normalized.into_owned(),
    }
}

/// Removes `.` and `..` segments and collapses repeated `/`, keeping a trailing `/`.
pub fn normalize_path(path: &str) -> String {
    let mut stack: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                stack.pop();
            }
            s => stack.push(s),
        }
    }
    let mut out = String::with_capacity(path.len());
    out.push('/');
    out.push_str(&stack.join("/"));
    // Like botocore's normpath: only an explicit trailing slash survives.
    if path.ends_with('/') && !stack.is_empty() {
        out.push('/');
    }
    out
}

/// Decodes the wire query, adds the signer's parameters, re-encodes and sorts.
pub fn canonical_query(query: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                encode_query_bytes(&percent_decode(name)),
                encode_query_bytes(&percent_decode(value)),
            )
        })
        .chain(extra.iter().map(|(n, v)| {
            (
                encode_query_bytes(n.as_bytes()),
                encode_query_bytes(v.as_bytes()),
            )
        }))
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Lower-cased, sorted, trimmed, whitespace-collapsed; repeated names joined by `,`.
fn canonical_headers(
    headers: &[(String, String)],
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .chain(extra.iter().copied())
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), collapse_whitespace(v)))
        .filter(|(n, _)| !NEVER_SIGNED.contains(&n.as_str()))
        .collect();
    // A stable sort keeps repeated headers in the order they were sent.
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let mut merged: Vec<(String, String)> = Vec::with_capacity(all.len());
    for (name, value) in all {
        match merged.last_mut() {
            Some((last, joined)) if *last == name => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => merged.push((name, value)),
        }
    }
    merged
}

/// Trims and collapses ASCII whitespace only: AWS servers leave a no-break
/// space (U+00A0) and other Unicode spaces untouched.
fn collapse_whitespace(value: &str) -> String {
    value.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_the_aws_suite() {
        assert_eq!(normalize_path("/example/.."), "/");
        assert_eq!(normalize_path("/example1/example2/../.."), "/");
        assert_eq!(normalize_path("//example//"), "/example/");
        assert_eq!(normalize_path("/./example/./"), "/example/");
        assert_eq!(normalize_path("/"), "/");
        assert_eq!(normalize_path("/a/b/.."), "/a");
    }

    #[test]
    fn query_is_decoded_reencoded_and_sorted() {
        assert_eq!(
            canonical_query("Param-3=Value3&Param=Value2&%E1%80%80=Value1", &[]),
            "%E1%80%80=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(canonical_query("Param1", &[]), "Param1=");
        assert_eq!(
            canonical_query("", &[("X-Amz-Credential", "a/b")]),
            "X-Amz-Credential=a%2Fb"
        );
    }
}
