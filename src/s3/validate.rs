//! Bucket-name and object-key checks, done before signing.
//!
//! S3 would reject a bad name anyway, but only after a round trip and with a
//! terse `InvalidBucketName`. Checking here lets the admin page say which rule
//! was broken while the admin is still typing.
//!
//! The bucket rules are S3's for *general purpose* buckets:
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>.

use crate::error::{invalid, ErrorCode, Result};

/// S3 limits object keys to 1024 bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;

/// Prefixes S3 reserves for its own features (IDNA, S3 internals, AWS docs).
const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];

/// Suffixes S3 reserves for access-point aliases, Object Lambda, Multi-Region
/// Access Points, directory buckets and table buckets.
const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// Checks `name` against S3's general-purpose bucket naming rules.
///
/// The error message names the rule that failed, so it can be shown to an
/// admin as is. Error code: [`ErrorCode::InvalidBucket`].
pub fn validate_bucket(name: &str) -> Result<()> {
    let fail = |rule: String| Err(invalid(ErrorCode::InvalidBucket, rule));
    let len = name.chars().count();
    if !(3..=63).contains(&len) {
        return fail(format!(
            "bucket name must be 3 to 63 characters long, but '{}' has {len}",
            shown(name)
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        let hint = if bad.is_ascii_uppercase() {
            " (bucket names cannot contain upper-case letters)"
        } else {
            ""
        };
        return fail(format!(
            "bucket name '{}' contains '{}'; only lower-case letters, digits, dots and hyphens are allowed{hint}",
            shown(name),
            shown(&bad.to_string())
        ));
    }
    // Safe to index bytes from here on: the name is pure ASCII.
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = name.as_bytes();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return fail(format!(
            "bucket name '{name}' must begin and end with a letter or digit"
        ));
    }
    if name.contains("..") {
        return fail(format!(
            "bucket name '{name}' must not contain two adjacent dots"
        ));
    }
    if looks_like_ipv4(name) {
        return fail(format!(
            "bucket name '{name}' must not be formatted as an IP address"
        ));
    }
    if let Some(p) = RESERVED_PREFIXES.iter().find(|p| name.starts_with(**p)) {
        return fail(format!(
            "bucket name '{name}' must not start with the reserved prefix '{p}'"
        ));
    }
    if let Some(s) = RESERVED_SUFFIXES.iter().find(|s| name.ends_with(**s)) {
        return fail(format!(
            "bucket name '{name}' must not end with the reserved suffix '{s}'"
        ));
    }
    Ok(())
}

/// `text` with control characters shown as `\u{…}`, for error messages.
/// Lighter than `str::escape_debug`, whose Unicode tables would otherwise be
/// the only reason the browser build carries them.
pub(crate) fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// `192.168.5.4`-shaped: four dot-separated groups of 1–3 digits. S3 rejects
/// these whether or not each group is ≤ 255, so we do not range-check.
fn looks_like_ipv4(name: &str) -> bool {
    let groups: Vec<&str> = name.split('.').collect();
    groups.len() == 4
        && groups
            .iter()
            .all(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether a bucket must be addressed path-style (`host/bucket/key`).
///
/// A dotted name such as `backups.example.com` would become extra DNS labels
/// in a virtual-hosted name, which the `*.s3.amazonaws.com` wildcard
/// certificate does not cover, so TLS would fail.
pub fn bucket_needs_path_style(name: &str) -> bool {
    name.contains('.')
}

/// Checks a key this integration is about to create: non-empty, at most
/// 1024 UTF-8 bytes, free of control characters (U+0000–U+001F and U+007F),
/// without `.` or `..` path segments, and not starting with `/`.
///
/// S3 itself accepts most control characters, but they break XML listings,
/// logs and the PHP side. It accepts dot segments too, but browsers and curl
/// collapse them in URLs, so a download link to `a/../b` could never match
/// its signature; a leading `/` (an empty first segment) is collapsed the
/// same way by many HTTP stacks. Error code: [`ErrorCode::InvalidKey`].
pub fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(invalid(
            ErrorCode::InvalidKey,
            "object key must not be empty",
        ));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(invalid(
            ErrorCode::InvalidKey,
            format!(
                "object key is {} bytes of UTF-8; S3 allows at most {MAX_KEY_BYTES}",
                key.len()
            ),
        ));
    }
    if let Some((at, c)) = key.char_indices().find(|(_, c)| c.is_ascii_control()) {
        return Err(invalid(
            ErrorCode::InvalidKey,
            format!(
                "object key contains the control character U+{:04X} at byte {at}",
                c as u32
            ),
        ));
    }
    if key.starts_with('/') {
        return Err(invalid(
            ErrorCode::InvalidKey,
            "object key starts with '/', an empty first segment that URLs do not carry unchanged",
        ));
    }
    if key
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(invalid(
            ErrorCode::InvalidKey,
            "object key has a '.' or '..' segment, which URLs cannot carry unchanged",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket_err(name: &str) -> String {
        let err = validate_bucket(name).expect_err(name);
        assert_eq!(err.code(), ErrorCode::InvalidBucket);
        err.message().to_string()
    }

    #[test]
    fn accepts_good_bucket_names() {
        for ok in [
            "abc",
            "my-bucket",
            "backups.example.com",
            "a1b2c3",
            "123",
            "1.2.3",
            "1.2.3.4.5",
            "xn-almost",
            &"a".repeat(63),
        ] {
            assert_eq!(validate_bucket(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn names_the_rule_that_failed() {
        assert!(bucket_err("ab").contains("3 to 63"));
        assert!(bucket_err(&"a".repeat(64)).contains("3 to 63"));
        assert!(bucket_err("My-Bucket").contains("upper-case"));
        assert!(bucket_err("my_bucket").contains("'_'"));
        assert!(bucket_err("bücket").contains("only lower-case"));
        assert!(bucket_err("-bucket").contains("begin and end"));
        assert!(bucket_err("bucket.").contains("begin and end"));
        assert!(bucket_err("my..bucket").contains("adjacent dots"));
        assert!(bucket_err("192.168.5.4").contains("IP address"));
        assert!(bucket_err("xn--bucket").contains("'xn--'"));
        assert!(bucket_err("sthree-bucket").contains("'sthree-'"));
        assert!(bucket_err("amzn-s3-demo-bucket").contains("'amzn-s3-demo-'"));
        assert!(bucket_err("bucket-s3alias").contains("'-s3alias'"));
        assert!(bucket_err("bucket--ol-s3").contains("'--ol-s3'"));
        assert!(bucket_err("bucket.mrap").contains("'.mrap'"));
        assert!(bucket_err("bucket--x-s3").contains("'--x-s3'"));
        assert!(bucket_err("").contains("3 to 63"));
    }

    #[test]
    fn dotted_buckets_need_path_style() {
        assert!(bucket_needs_path_style("backups.example.com"));
        assert!(!bucket_needs_path_style("backups"));
    }

    #[test]
    fn checks_keys() {
        assert_eq!(validate_key("wpsigner/Contract_2024-01-31_42.pdf"), Ok(()));
        assert_eq!(validate_key("日本語/ファイル.pdf"), Ok(()));
        assert_eq!(validate_key(&"é".repeat(512)), Ok(())); // exactly 1024 bytes
        for bad in [
            "",
            "a\u{0}b",
            "tab\there",
            "new\nline",
            "del\u{7f}",
            &"é".repeat(513),
        ] {
            let err = validate_key(bad).expect_err(bad);
            assert_eq!(err.code(), ErrorCode::InvalidKey, "{bad:?}");
        }
        assert!(validate_key("a\nb")
            .unwrap_err()
            .message()
            .contains("U+000A at byte 1"));
    }

    #[test]
    fn keys_with_dot_segments_are_refused() {
        for bad in ["../x", "a/../b", "./a", "a/.", "a/.."] {
            assert_eq!(
                validate_key(bad).unwrap_err().code(),
                ErrorCode::InvalidKey,
                "{bad}"
            );
        }
        for good in ["a.b", "..a", "a../b", ".hidden/x", "a//b"] {
            assert!(validate_key(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn keys_with_a_leading_slash_are_refused() {
        for bad in ["/a/b.pdf", "/", "//a"] {
            assert_eq!(
                validate_key(bad).unwrap_err().code(),
                ErrorCode::InvalidKey,
                "{bad}"
            );
        }
    }
}
