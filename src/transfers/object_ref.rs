//! References to stored objects, as an admin pastes them into a shop's
//! "downloadable file" field.
//!
//! Accepted forms:
//! * `s3://bucket/key`
//! * `bucket/key`
//! * an http(s) URL on the configured endpoint, virtual-hosted
//!   (`https://bucket.host/key`) or path-style (`https://host/bucket/key`)
//! * `[wps3_object bucket="…" key="…"]` (`bucket` defaults to the configured one)
//!
//! Keys are kept byte for byte: `+` is a plus, never a space (the popular
//! WooCommerce and EDD S3 add-ons form-decode keys and break such objects),
//! spaces and non-ASCII stay. Only URLs are percent-decoded, because a URL
//! path is percent-encoded by definition.

use crate::error::{invalid, ErrorCode, Result};
use crate::s3::request::validate_signable_key;
use crate::s3::validate::validate_bucket;
use crate::sigv4::encoding::percent_decode;

/// A parsed reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    /// Bucket name.
    pub bucket: String,
    /// Object key, exactly.
    pub key: String,
}

/// What the configured storage looks like, for URLs and the shortcode default.
#[derive(Debug, Clone, Copy)]
pub struct RefContext<'a> {
    /// The configured bucket.
    pub bucket: &'a str,
    /// The endpoint host without any bucket label (`s3.eu-west-1.amazonaws.com`,
    /// `127.0.0.1:9000`), lower-case, with a non-default port.
    pub base_host: &'a str,
}

fn bad(message: impl Into<String>) -> crate::error::Error {
    invalid(ErrorCode::InvalidArgument, message)
}

/// Parses one reference. `None` for text that is not a reference at all
/// (a plain local path or a foreign URL the host should handle itself);
/// `Err` for text that claims to be one of ours but is broken.
pub fn parse_object_ref(text: &str, ctx: &RefContext<'_>) -> Result<Option<ObjectRef>> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("[wps3_object") {
        return shortcode(rest, ctx).map(Some);
    }
    if let Some(rest) = text.strip_prefix("s3://") {
        return split_bucket_key(rest).map(Some);
    }
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return endpoint_url(text, ctx);
    }
    // `bucket/key`: anything else with a slash whose first segment is not a
    // valid bucket name is not ours (e.g. `/var/www/file.zip`, `C:\x`).
    match text.split_once('/') {
        Some((bucket, key)) if validate_bucket(bucket).is_ok() && !key.is_empty() => {
            checked(bucket, key).map(Some)
        }
        _ => Ok(None),
    }
}

fn checked(bucket: &str, key: &str) -> Result<ObjectRef> {
    validate_bucket(bucket)?;
    validate_signable_key(key)?;
    Ok(ObjectRef {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
    })
}

fn split_bucket_key(rest: &str) -> Result<ObjectRef> {
    match rest.split_once('/') {
        Some((bucket, key)) if !key.is_empty() => checked(bucket, key),
        _ => Err(bad(
            "an s3:// reference needs a bucket and a key: s3://bucket/path/to/file",
        )),
    }
}

fn endpoint_url(url: &str, ctx: &RefContext<'_>) -> Result<Option<ObjectRef>> {
    let after_scheme = &url[url.find("://").map_or(0, |i| i + 3)..];
    // The query (a pasted presigned URL's signature) and fragment are not part of the key.
    let end = after_scheme.find(['?', '#']).unwrap_or(after_scheme.len());
    let without_query = &after_scheme[..end];
    let (authority, path) = match without_query.find('/') {
        Some(i) => (&without_query[..i], &without_query[i + 1..]),
        None => (without_query, ""),
    };
    let host = normalize_host(authority, url.to_ascii_lowercase().starts_with("https://"));
    let base = ctx.base_host.to_ascii_lowercase();
    let decoded = |p: &str| -> Result<String> {
        String::from_utf8(percent_decode(p))
            .map_err(|_| bad("the URL's path is not UTF-8 after percent-decoding"))
    };
    if host == base {
        let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
        if key.is_empty() {
            return Err(bad(
                "the URL names no object: expected https://host/bucket/key",
            ));
        }
        return checked(&decoded(bucket)?, &decoded(key)?).map(Some);
    }
    if let Some(bucket) = host.strip_suffix(&base).and_then(|h| h.strip_suffix('.')) {
        if path.is_empty() {
            return Err(bad(
                "the URL names no object: expected https://bucket.host/key",
            ));
        }
        return checked(bucket, &decoded(path)?).map(Some);
    }
    Ok(None)
}

/// Lower-cases the host and drops the scheme's default port and any user info.
fn normalize_host(authority: &str, https: bool) -> String {
    let host = authority
        .rsplit('@')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let default = if https { ":443" } else { ":80" };
    host.strip_suffix(default)
        .map(str::to_owned)
        .unwrap_or(host)
}

/// `bucket="…" key="…"]`, with straight or typographic quotes (WordPress's
/// texturize may have curled them in post content).
fn shortcode(rest: &str, ctx: &RefContext<'_>) -> Result<ObjectRef> {
    let body = rest
        .trim_end()
        .strip_suffix(']')
        .ok_or_else(|| bad("the [wps3_object] shortcode is not closed with ]"))?;
    if !body.is_empty() && !body.starts_with(char::is_whitespace) {
        return Err(bad("expected [wps3_object bucket=\"…\" key=\"…\"]"));
    }
    let (mut bucket, mut key) = (None, None);
    let mut s = body.trim_start();
    while !s.is_empty() {
        let (name, value, rest) = attribute(s)?;
        match name.as_str() {
            "bucket" => bucket = Some(value),
            "key" => key = Some(value),
            other => {
                return Err(bad(format!(
                    "unknown [wps3_object] attribute '{other}': use bucket and key"
                )))
            }
        }
        s = rest.trim_start();
    }
    let key = key.ok_or_else(|| bad("[wps3_object] needs key=\"…\""))?;
    let bucket = bucket.unwrap_or_else(|| ctx.bucket.to_owned());
    checked(&bucket, &key)
}

/// Splits `name="value" rest…` into its parts.
fn attribute(s: &str) -> Result<(String, String, &str)> {
    let eq = s
        .find('=')
        .ok_or_else(|| bad("each shortcode attribute needs a value: name=\"value\""))?;
    let name = s[..eq].trim().to_ascii_lowercase();
    let after = s[eq + 1..].trim_start();
    let open = after
        .chars()
        .next()
        .ok_or_else(|| bad(format!("the value of '{name}' is missing")))?;
    let typographic = |c: char| matches!(c, '\u{201c}' | '\u{201d}' | '\u{2033}');
    let inner = &after[open.len_utf8()..];
    let stop = match open {
        '"' | '\'' => inner.find(open),
        c if typographic(c) => inner.find(typographic),
        _ => {
            return Err(bad(
                "quote shortcode attribute values: key=\"path/to/file\"",
            ))
        }
    }
    .ok_or_else(|| bad(format!("the value of '{name}' is not closed")))?;
    let closing = inner[stop..].chars().next().map_or(1, char::len_utf8);
    Ok((name, inner[..stop].to_owned(), &inner[stop + closing..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: RefContext<'static> = RefContext {
        bucket: "shop-files",
        base_host: "s3.eu-west-1.amazonaws.com",
    };

    fn parse(text: &str) -> Option<(String, String)> {
        parse_object_ref(text, &CTX)
            .unwrap()
            .map(|r| (r.bucket, r.key))
    }

    fn pair(b: &str, k: &str) -> Option<(String, String)> {
        Some((b.to_owned(), k.to_owned()))
    }

    #[test]
    fn every_form_keeps_the_key_exactly() {
        let key = "ebooks/C++ Primer + Übungen.pdf";
        assert_eq!(
            parse(&format!("s3://shop-files/{key}")),
            pair("shop-files", key)
        );
        assert_eq!(parse(&format!("shop-files/{key}")), pair("shop-files", key));
        assert_eq!(
            parse("https://shop-files.s3.eu-west-1.amazonaws.com/ebooks/C%2B%2B%20Primer%20+%20%C3%9Cbungen.pdf?X-Amz-Signature=abc"),
            pair("shop-files", key)
        );
        assert_eq!(
            parse("https://S3.EU-WEST-1.amazonaws.com:443/other-bucket/ebooks/C++%20Primer%20+%20%C3%9Cbungen.pdf"),
            pair("other-bucket", key)
        );
        assert_eq!(
            parse(&format!("[wps3_object bucket=\"b-1\" key=\"{key}\"]")),
            pair("b-1", key)
        );
        assert_eq!(
            parse(&format!("[wps3_object key='{key}']")),
            pair("shop-files", key)
        );
        assert_eq!(
            parse(&format!("[wps3_object key=\u{201d}{key}\u{2033}]")),
            pair("shop-files", key)
        );
    }

    #[test]
    fn foreign_text_is_not_ours() {
        for text in [
            "/var/www/html/wp-content/uploads/file.zip",
            "https://example.com/file.zip",
            "http://s3.us-east-1.amazonaws.com/b/k",
            "file.zip",
            "C:\\files\\a.zip",
            "",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn broken_references_say_why() {
        for text in [
            "s3://bucket-only",
            "s3://Bad_Bucket/key",
            "s3://bucket/",
            "https://s3.eu-west-1.amazonaws.com/bucket",
            "https://b.s3.eu-west-1.amazonaws.com/",
            "[wps3_object bucket=\"b\"]",
            "[wps3_object key=\"a\" extra=\"x\"]",
            "[wps3_object key=\"a\"",
            "[wps3_object key=a]",
            "[wps3_object key=\"a]",
            "[wps3_objectkey=\"a\"]",
            "s3://bucket/a\nb",
        ] {
            assert!(parse_object_ref(text, &CTX).is_err(), "{text:?}");
        }
    }
}
