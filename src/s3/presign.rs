//! Presigned URLs: GET, PUT, HEAD and DELETE with query-string authentication.
//! (Over 400 lines because of its tests: the code ends near line 370.)

use super::endpoint::{wire_query, AddressingStyle, ResolvedEndpoint};
use super::request::{validate_headers, validate_method, validate_signable_key};
use crate::error::{invalid, ErrorCode, Result};
use crate::sigv4::encoding::{push_hex, push_path, push_query};
use crate::sigv4::sign::{sign_cached, SigningParams};
use crate::sigv4::{
    Credentials, DayKey, SignableBody, SignableRequest, SignatureLocation, SigningKeyCache,
    SigningOutput, SigningSettings, UNSIGNED_PAYLOAD,
};
use crate::time::Timestamp;
use hmac::Mac;
use sha2::{Digest, Sha256};

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

/// What every presign checks first: method, key and expiry.
fn validate_target(method: &str, key: &str, expires_in: u64) -> Result<()> {
    validate_method(method, &["GET", "PUT", "HEAD", "DELETE"])?;
    validate_signable_key(key)?;
    validate_expires(expires_in)
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
    validate_target(req.method, req.key, req.expires_in)?;
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

/// The presign every download link is: no operation query and no signed
/// header but `host`, at most the three response overrides. See
/// [`presign_simple`].
#[derive(Debug, Clone, Copy)]
pub struct SimplePresign<'a> {
    /// `GET`, `PUT`, `HEAD` or `DELETE`.
    pub method: &'a str,
    /// Object key.
    pub key: &'a str,
    /// Lifetime in seconds, 1..=604800.
    pub expires_in: u64,
    /// `response-content-disposition`.
    pub content_disposition: Option<&'a str>,
    /// `response-content-type`.
    pub content_type: Option<&'a str>,
    /// `response-cache-control`.
    pub cache_control: Option<&'a str>,
}

/// What [`presign_simple`] returns.
#[derive(Debug, Clone)]
pub struct SimplePresigned {
    /// The URL, byte for byte what [`presign_url`] gives for the same request.
    pub url: String,
    /// When the URL stops working.
    pub expires_at: Timestamp,
}

/// [`presign_url`] for the common shape, built for a signer that signs many
/// URLs with one key pair: the URL is written once into one buffer, the
/// canonical request is hashed from slices of it (never built as a string),
/// the string to sign goes straight into the day's prepared HMAC
/// ([`DayKey`]), and the signature is appended in place. Same checks, same
/// errors and the same URL as [`presign_url`]; tests/conformance.rs and
/// tests/conformance.mjs compare the two over every conformance vector of
/// this shape.
pub fn presign_simple(
    endpoint: &ResolvedEndpoint,
    credentials: &Credentials,
    time: Timestamp,
    req: &SimplePresign<'_>,
    day: &mut DayKey,
) -> Result<SimplePresigned> {
    validate_target(req.method, req.key, req.expires_in)?;
    // presign_url's wire order: disposition, type, cache control.
    let overrides = [
        ("response-content-disposition", req.content_disposition),
        ("response-content-type", req.content_type),
        ("response-cache-control", req.cache_control),
    ];
    for (name, value) in overrides {
        if value.is_some_and(|v| v.contains(['\r', '\n'])) {
            return Err(invalid(
                ErrorCode::InvalidArgument,
                format!("'{name}' contains a line break"),
            ));
        }
    }
    let expires_at = time.plus(req.expires_in as i64)?;
    if endpoint.region.is_empty() {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            "region and service must not be empty",
        ));
    }
    credentials.validate()?;
    let amz_date = time.amz_date();
    let date = &amz_date[..8];
    let token = credentials.session_token();

    let variable = req.key.len()
        + overrides
            .iter()
            .map(|(_, v)| v.map_or(0, str::len))
            .sum::<usize>()
        + token.map_or(0, str::len)
        + credentials.access_key_id().len();
    let mut url =
        String::with_capacity(320 + endpoint.host.len() + endpoint.bucket.len() + 2 * variable);
    url.push_str(endpoint.scheme.as_str());
    url.push_str("://");
    url.push_str(&endpoint.host);
    let path_start = url.len();
    url.push('/');
    if endpoint.addressing_style == AddressingStyle::Path {
        url.push_str(&endpoint.bucket);
        url.push('/');
    }
    push_path(&mut url, req.key);
    let path_end = url.len();
    url.push('?');
    let mut spans: [Option<(usize, usize)>; 3] = [None; 3];
    for (span, (name, value)) in spans.iter_mut().zip(overrides) {
        if let Some(value) = value {
            let start = url.len();
            url.push_str(name);
            url.push('=');
            push_query(&mut url, value);
            *span = Some((start, url.len()));
            url.push('&');
        }
    }
    let auth_start = url.len();
    url.push_str("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=");
    push_query(&mut url, credentials.access_key_id());
    url.push_str("%2F");
    url.push_str(date);
    url.push_str("%2F");
    push_query(&mut url, &endpoint.region);
    url.push_str("%2Fs3%2Faws4_request&X-Amz-Date=");
    url.push_str(&amz_date);
    url.push_str("&X-Amz-Expires=");
    push_decimal(&mut url, req.expires_in);
    let signed_start = url.len();
    url.push_str("&X-Amz-SignedHeaders=host");
    let signed_end = url.len();
    let token_span = token.map(|t| {
        url.push_str("&X-Amz-Security-Token=");
        push_query(&mut url, t);
        (signed_end + 1, url.len())
    });

    // The canonical request, in canonical (sorted) query order.
    let mut hash = Sha256::new();
    hash.update(req.method.as_bytes());
    hash.update(b"\n");
    hash.update(&url.as_bytes()[path_start..path_end]);
    hash.update(b"\n");
    hash.update(&url.as_bytes()[auth_start..signed_start]);
    if let Some((a, b)) = token_span {
        hash.update(b"&");
        hash.update(&url.as_bytes()[a..b]);
    }
    hash.update(&url.as_bytes()[signed_start..signed_end]);
    // response-cache-control < response-content-disposition < response-content-type
    for (a, b) in [spans[2], spans[0], spans[1]].into_iter().flatten() {
        hash.update(b"&");
        hash.update(&url.as_bytes()[a..b]);
    }
    hash.update(b"\nhost:");
    hash.update(endpoint.host.as_bytes());
    hash.update(b"\n\nhost\n");
    hash.update(UNSIGNED_PAYLOAD.as_bytes());
    let mut digest = String::with_capacity(64);
    push_hex(&mut digest, &hash.finalize());

    let mut mac = day.mac_after_scope(
        credentials.secret_access_key(),
        &amz_date,
        &endpoint.region,
        "s3",
    );
    mac.update(digest.as_bytes());
    url.push_str("&X-Amz-Signature=");
    push_hex(&mut url, &mac.finalize().into_bytes());
    Ok(SimplePresigned { url, expires_at })
}

/// Appends the decimal form of `n`.
fn push_decimal(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if let Ok(text) = std::str::from_utf8(&digits[at..]) {
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::endpoint::{Provider, StorageConfig};

    fn endpoint(
        provider: Provider,
        endpoint: Option<&str>,
        style: AddressingStyle,
    ) -> ResolvedEndpoint {
        StorageConfig {
            provider,
            region: "eu-west-1".into(),
            bucket: "my-bucket".into(),
            endpoint: endpoint.map(str::to_owned),
            account_id: None,
            addressing_style: style,
            allow_private_endpoints: true,
        }
        .resolve()
        .unwrap()
    }

    fn normal(
        e: &ResolvedEndpoint,
        c: &Credentials,
        t: Timestamp,
        s: &SimplePresign<'_>,
    ) -> Result<PresignedUrl> {
        let req = PresignRequest {
            method: s.method,
            key: s.key,
            expires_in: s.expires_in,
            query: &[],
            headers: &[],
            overrides: ResponseOverrides {
                content_disposition: s.content_disposition.map(str::to_owned),
                content_type: s.content_type.map(str::to_owned),
                cache_control: s.cache_control.map(str::to_owned),
            },
        };
        presign_url(e, c, t, &req, &mut SigningKeyCache::new())
    }

    #[test]
    fn simple_path_gives_presign_urls_url_byte_for_byte() {
        let endpoints = [
            endpoint(Provider::AmazonS3, None, AddressingStyle::Virtual),
            endpoint(Provider::AmazonS3, None, AddressingStyle::Path),
            endpoint(
                Provider::Custom,
                Some("http://127.0.0.1:9000"),
                AddressingStyle::Path,
            ),
        ];
        let creds = [
            Credentials::new("AKIAIOSFODNN7EXAMPLE", "secret/+=", None),
            Credentials::new("AKIA+X=", "s", Some("tok/en+==".into())),
        ];
        let keys = [
            "a.txt",
            "uploads/42/a1b2 report (v2).pdf",
            "ü/日本/+%?#&=..",
        ];
        let overrides = [
            (None, None, None),
            (
                Some("attachment; filename=\"a b.pdf\"; filename*=UTF-8''a%20b.pdf"),
                Some("application/pdf"),
                None,
            ),
            (None, Some("text/plain"), Some("no-cache")),
            (Some(""), Some("x"), Some("max-age=60")),
        ];
        let mut day = DayKey::new();
        let mut n = 0;
        for e in &endpoints {
            for c in &creds {
                for key in keys {
                    for (cd, ct, cc) in overrides {
                        for method in ["GET", "PUT"] {
                            for t in [1_700_000_000, 1_700_090_000] {
                                let s = SimplePresign {
                                    method,
                                    key,
                                    expires_in: 900,
                                    content_disposition: cd,
                                    content_type: ct,
                                    cache_control: cc,
                                };
                                let t = Timestamp::from_unix(t).unwrap();
                                let want = normal(e, c, t, &s).unwrap();
                                let got = presign_simple(e, c, t, &s, &mut day).unwrap();
                                assert_eq!(got.url, want.url);
                                assert_eq!(got.expires_at, want.expires_at);
                                n += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(n, 3 * 2 * 3 * 4 * 2 * 2);
    }

    #[test]
    fn simple_path_refuses_what_presign_url_refuses() {
        let e = endpoint(Provider::AmazonS3, None, AddressingStyle::Virtual);
        let c = Credentials::new("AKIAIOSFODNN7EXAMPLE", "s", None);
        let t = Timestamp::from_unix(1_700_000_000).unwrap();
        let ok = SimplePresign {
            method: "GET",
            key: "k",
            expires_in: 60,
            content_disposition: None,
            content_type: None,
            cache_control: None,
        };
        let bad = [
            SimplePresign {
                method: "POST",
                ..ok
            },
            SimplePresign { key: "", ..ok },
            SimplePresign { key: "a\nb", ..ok },
            SimplePresign {
                expires_in: 0,
                ..ok
            },
            SimplePresign {
                expires_in: MAX_EXPIRES_IN + 1,
                ..ok
            },
            SimplePresign {
                content_type: Some("a\r\nb"),
                ..ok
            },
        ];
        for s in bad {
            let want = normal(&e, &c, t, &s).unwrap_err();
            let got = presign_simple(&e, &c, t, &s, &mut DayKey::new()).unwrap_err();
            assert_eq!((got.code(), got.message()), (want.code(), want.message()));
        }
        let bad_id = Credentials::new("AKIA EXAMPLE", "s", None);
        let want = normal(&e, &bad_id, t, &ok).unwrap_err();
        let got = presign_simple(&e, &bad_id, t, &ok, &mut DayKey::new()).unwrap_err();
        assert_eq!(got.code(), want.code());
    }
}
