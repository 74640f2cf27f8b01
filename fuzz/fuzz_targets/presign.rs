//! Fuzzes canonicalization and signing of arbitrary keys, query parameters
//! and headers: `presign_url` (query auth) and `sign_request` (header auth).
//!
//! Input layout: one flags byte (bit 0: path-style addressing; bits 1-2: the
//! method, GET/PUT/HEAD/DELETE for presign and GET/PUT/POST/DELETE for
//! signing), then fields separated by the byte 0xFF: key, header name,
//! header value, then query name/value pairs. Text is decoded lossily.
//!
//! What must hold: an answer or a coded error, never a panic; a URL that
//! comes back carries the key and every query pair unchanged once decoded,
//! and ends with a 64-hex signature; a warm signing-key cache signs exactly
//! as a cold one; the strict key check for writes implies the signing one.

use wps3::s3::endpoint::{AddressingStyle, ResolvedEndpoint, Scheme};
use wps3::s3::presign::{presign_url, PresignRequest, ResponseOverrides};
use wps3::s3::request::{
    sign_request, validate_key_for, validate_signable_key, PayloadHash, S3Request,
};
use wps3::sigv4::encoding::percent_decode;
use wps3::sigv4::{Credentials, SigningKeyCache};
use wps3::time::Timestamp;

/// AWS in eu-west-1, as `StorageConfig::resolve` gives it.
fn endpoint(path_style: bool) -> ResolvedEndpoint {
    let (host, addressing_style) = if path_style {
        ("s3.eu-west-1.amazonaws.com", AddressingStyle::Path)
    } else {
        (
            "example-bucket.s3.eu-west-1.amazonaws.com",
            AddressingStyle::Virtual,
        )
    };
    ResolvedEndpoint {
        scheme: Scheme::Https,
        host: host.to_owned(),
        addressing_style,
        region: "eu-west-1".into(),
        bucket: "example-bucket".into(),
    }
}

fn is_signature(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The key as the URL carries it, decoded.
fn key_of(url: &str, path_style: bool) -> Vec<u8> {
    let path = url
        .split_once(".amazonaws.com")
        .expect("S3 host")
        .1
        .split('?')
        .next()
        .unwrap_or_default();
    let path = if path_style {
        path.strip_prefix("/example-bucket/")
            .expect("bucket in path")
    } else {
        path.strip_prefix('/').expect("leading slash")
    };
    percent_decode(path)
}

/// The URL's query pairs, decoded (`name` alone reads as an empty value).
fn query_of(url: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .map(|pair| {
            let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(n), percent_decode(v))
        })
        .collect()
}

/// Panics when an invariant breaks; any input is allowed.
pub fn check(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let fields: Vec<String> = rest
        .split(|b| *b == 0xFF)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let field = |i: usize| fields.get(i).cloned().unwrap_or_default();
    let key = field(0);
    let headers = match (fields.get(1), fields.get(2)) {
        (Some(n), Some(v)) if !n.is_empty() => vec![(n.clone(), v.clone())],
        _ => Vec::new(),
    };
    let query: Vec<(String, String)> = fields
        .get(3..)
        .unwrap_or_default()
        .chunks(2)
        .map(|p| (p[0].clone(), p.get(1).cloned().unwrap_or_default()))
        .collect();
    let path_style = flags & 1 == 1;
    let pick = usize::from((flags >> 1) & 3);
    let ep = endpoint(path_style);
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
    );
    let now = Timestamp::from_unix(1_706_700_000).expect("fixed time is valid");

    // The strict rules for keys we create include the signing ones.
    for method in ["PUT", "POST"] {
        if validate_key_for(method, &key).is_ok() {
            assert!(validate_signable_key(&key).is_ok(), "{key:?}");
        }
    }

    let method = ["GET", "PUT", "HEAD", "DELETE"][pick];
    let req = PresignRequest {
        method,
        key: &key,
        expires_in: 900,
        query: &query,
        headers: &headers,
        overrides: ResponseOverrides::default(),
    };
    let mut warm = SigningKeyCache::new();
    let cold = presign_url(&ep, &creds, now, &req, &mut SigningKeyCache::new());
    let again = presign_url(&ep, &creds, now, &req, &mut warm);
    let again2 = presign_url(&ep, &creds, now, &req, &mut warm);
    match (&cold, &again, &again2) {
        (Ok(a), Ok(b), Ok(c)) => {
            assert_eq!(a.url, b.url);
            assert_eq!(b.url, c.url);
            assert_eq!(key_of(&a.url, path_style), key.as_bytes());
            let got = query_of(&a.url);
            for (n, v) in &query {
                assert!(
                    got.contains(&(n.as_bytes().to_vec(), v.as_bytes().to_vec())),
                    "query pair {n:?}={v:?} not in {}",
                    a.url
                );
            }
            let (_, signature) = a.url.rsplit_once("X-Amz-Signature=").expect("signed");
            assert!(is_signature(signature), "{}", a.url);
            assert_eq!(signature, a.signing.signature);
        }
        (Err(a), Err(b), Err(c)) => {
            assert_eq!(a.code(), b.code());
            assert_eq!(b.code(), c.code());
        }
        _ => panic!("a warm cache changed the outcome for {key:?}"),
    }
    if validate_signable_key(&key).is_err() {
        assert!(cold.is_err(), "presigned a key the signer refuses: {key:?}");
    }

    let method = ["GET", "PUT", "POST", "DELETE"][pick];
    let key_arg = if flags & 8 == 8 {
        None
    } else {
        Some(key.as_str())
    };
    let req = S3Request {
        method,
        key: key_arg,
        query: &query,
        headers: &headers,
        payload_hash: PayloadHash::Unsigned,
    };
    let cold = sign_request(&ep, &creds, now, &req, &mut SigningKeyCache::new());
    let again = sign_request(&ep, &creds, now, &req, &mut warm);
    match (&cold, &again) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.url, b.url);
            assert_eq!(a.headers, b.headers);
            if key_arg.is_some() {
                assert_eq!(key_of(&a.url, path_style), key.as_bytes());
            }
            let auth = a
                .headers
                .iter()
                .find(|(n, _)| n == "Authorization")
                .map(|(_, v)| v.as_str())
                .expect("Authorization header");
            let (_, signature) = auth.rsplit_once("Signature=").expect("signature");
            assert!(is_signature(signature), "{auth}");
        }
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code()),
        _ => panic!("a warm cache changed the outcome for {key:?}"),
    }
}
