//! Fuzzes key-template rendering: whatever the template, prefix, title, id
//! and user, a rendered key must be a safe S3 key.
//!
//! Input layout: up to five fields separated by the byte 0xFF (which never
//! occurs in UTF-8, so the fields themselves keep every other byte):
//! template, path prefix, title, document id, user, site. A field starting with
//! 0xFE is treated as absent (`None`), to reach the defaults too.

use wps3::keys::template::{render_key, sanitize_title, KeyInput};
use wps3::s3::validate::validate_key;
use wps3::time::Timestamp;

fn field(parts: &[&[u8]], i: usize) -> Option<String> {
    let raw = parts.get(i).copied().unwrap_or_default();
    if raw.first() == Some(&0xFE) {
        return None;
    }
    Some(String::from_utf8_lossy(raw).into_owned())
}

/// Panics when an invariant breaks; any input is allowed.
pub fn check(data: &[u8]) {
    let parts: Vec<&[u8]> = data.split(|b| *b == 0xFF).collect();
    let template = field(&parts, 0);
    let prefix = field(&parts, 1);
    let title = field(&parts, 2).unwrap_or_default();
    let document_id = field(&parts, 3).unwrap_or_default();
    let user = field(&parts, 4);
    let site = field(&parts, 5);
    let now = Timestamp::from_unix(1_706_700_000).expect("fixed time is valid");

    let once = sanitize_title(&title);
    assert_eq!(sanitize_title(&once), once);

    let input = KeyInput {
        template: template.as_deref(),
        path_prefix: prefix.as_deref(),
        title: &title,
        document_id: &document_id,
        now,
        user: user.as_deref(),
        site: site.as_deref(),
    };
    if let Ok(key) = render_key(&input) {
        assert!(validate_key(&key).is_ok(), "{key:?}");
        assert!(!key.starts_with('/') && !key.contains("//") && !key.contains('\\'));
        assert!(!key.chars().any(char::is_control), "{key:?}");
        assert!(key.split('/').all(|s| s != "." && s != ".."), "{key:?}");
    }
}
