//! What a presigned GET of a backup will look like, with nothing secret in it.
//!
//! The preview runs the real presigner (so the shape cannot drift from what
//! the server hands out) with a placeholder secret, then masks the access key
//! id and the signature: the page shows where things go, never a usable URL.
//! The placeholders are left unencoded (`<signature>`, `AKIA****`) because
//! a person reads them; the URL is for display only.

use crate::error::Result;
use crate::s3::endpoint::ResolvedEndpoint;
use crate::s3::presign::{presign_url, PresignRequest, ResponseOverrides};
use crate::sigv4::{Credentials, SigningKeyCache};
use crate::time::Timestamp;

/// Stands in for the signature in the preview.
pub const MASKED_SIGNATURE: &str = "<signature>";
/// Stands in for an access key id that was not typed yet.
pub const MASKED_KEY_ID: &str = "<access-key-id>";
/// Never used for a real request: the signature it yields is masked.
const PLACEHOLDER_SECRET: &str = "wps3-url-shape-preview-placeholder";

/// The masked form of an access key id: its first four characters (`AKIA`
/// says which kind of key it is, not which key), then bullets.
pub fn mask_key_id(access_key_id: &str) -> String {
    let id = access_key_id.trim();
    if id.is_empty() {
        return MASKED_KEY_ID.to_owned();
    }
    let head: String = id
        .chars()
        .take(4)
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("{head}****")
}

/// The URL a presigned GET for `key` would have, masked.
pub fn url_shape(
    endpoint: &ResolvedEndpoint,
    access_key_id: &str,
    key: &str,
    expires_in: u64,
    now: Timestamp,
    content_disposition: Option<String>,
) -> Result<String> {
    let credentials = Credentials::new("AKIAWPS3PREVIEW00000", PLACEHOLDER_SECRET, None);
    let req = PresignRequest {
        method: "GET",
        key,
        expires_in,
        query: &[],
        headers: &[],
        overrides: ResponseOverrides {
            content_disposition,
            ..ResponseOverrides::default()
        },
    };
    let signed = presign_url(
        endpoint,
        &credentials,
        now,
        &req,
        &mut SigningKeyCache::new(),
    )?;
    let (base, query) = signed.url.split_once('?').unwrap_or((&signed.url, ""));
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some(("X-Amz-Signature", _)) => format!("X-Amz-Signature={MASKED_SIGNATURE}"),
            Some(("X-Amz-Credential", scope)) => {
                // scope = <key id>%2F<date>%2F<region>%2Fs3%2Faws4_request
                let rest = scope.split_once("%2F").map(|(_, r)| r).unwrap_or("");
                format!("X-Amz-Credential={}%2F{rest}", mask_key_id(access_key_id))
            }
            _ => pair.to_owned(),
        })
        .collect();
    Ok(format!("{base}?{}", masked.join("&")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::endpoint::{AddressingStyle, Provider, StorageConfig};

    fn endpoint() -> ResolvedEndpoint {
        StorageConfig {
            provider: Provider::AmazonS3,
            region: "eu-west-1".into(),
            bucket: "my-bucket".into(),
            endpoint: None,
            account_id: None,
            addressing_style: AddressingStyle::Auto,
            allow_private_endpoints: false,
        }
        .resolve()
        .unwrap()
    }

    #[test]
    fn shape_has_every_part_but_no_key_id_or_signature() {
        let now = Timestamp::parse_iso8601("2026-12-01T10:00:00Z").unwrap();
        let url = url_shape(
            &endpoint(),
            "AKIAIOSFODNN7EXAMPLE",
            "wpsigner/Service-Agreement_2026-12-01_142.pdf",
            900,
            now,
            None,
        )
        .unwrap();
        assert!(url.starts_with(
            "https://my-bucket.s3.eu-west-1.amazonaws.com/wpsigner/Service-Agreement_2026-12-01_142.pdf?"
        ));
        assert!(url.contains("X-Amz-Algorithm=AWS4-HMAC-SHA256"));
        assert!(
            url.contains("X-Amz-Credential=AKIA****%2F20261201%2Feu-west-1%2Fs3%2Faws4_request")
        );
        assert!(url.contains("X-Amz-Date=20261201T100000Z"));
        assert!(url.contains("X-Amz-Expires=900"));
        assert!(url.ends_with("X-Amz-Signature=<signature>"));
        assert!(!url.contains("IOSFODNN7EXAMPLE"));
        assert!(!url.contains("PREVIEW"));
    }

    #[test]
    fn no_key_id_yet_shows_a_placeholder() {
        let now = Timestamp::from_unix(0).unwrap();
        let url = url_shape(&endpoint(), "", "a.pdf", 60, now, None).unwrap();
        assert!(url.contains("X-Amz-Credential=<access-key-id>%2F19700101"));
    }
}
