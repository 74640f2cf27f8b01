//! Advice ids for settings errors, with the English cause and fix an admin
//! reads. PHP maps each id to a translated string (WPS3\Errors::advice) and
//! falls back to these texts; the core's advice catalog includes this table.

/// `(adviceId, cause, fix)` for every error `validate-settings` reports.
pub const SETTINGS_ADVICE: &[(&str, &str, &str)] = &[
    (
        "provider-unknown",
        "The storage provider is not one this plugin knows.",
        "Choose Amazon S3, Wasabi, Cloudflare R2 or an S3-compatible custom endpoint.",
    ),
    (
        "region-invalid",
        "The region is not a region name.",
        "Enter the bucket's region as shown by the provider, e.g. eu-west-1.",
    ),
    (
        "region-unknown",
        "The provider has no region of that name.",
        "Pick the bucket's region from the list.",
    ),
    (
        "endpoint-required",
        "An S3-compatible provider needs the address of its S3 API.",
        "Enter the endpoint URL, e.g. https://s3.example.com or http://127.0.0.1:9000.",
    ),
    (
        "endpoint-invalid",
        "The endpoint is not a plain http(s) URL of a host and optional port.",
        "Enter only scheme, host and port, e.g. https://s3.example.com, without a path or query.",
    ),
    (
        "account-id-required",
        "Cloudflare R2 addresses buckets through the account id.",
        "Copy the Account ID from the Cloudflare dashboard (R2 → Overview).",
    ),
    (
        "account-id-invalid",
        "A Cloudflare account id is 32 hexadecimal characters.",
        "Copy the Account ID again from the Cloudflare dashboard (R2 → Overview).",
    ),
    (
        "bucket-name-invalid",
        "The bucket name breaks S3's naming rules.",
        "Use 3–63 lower-case letters, digits, dots and hyphens, beginning and ending with a letter or digit.",
    ),
    (
        "addressing-style-invalid",
        "The addressing style is not auto, virtual or path.",
        "Choose auto unless the provider says otherwise.",
    ),
    (
        "addressing-style-needs-path",
        "An IP address or localhost cannot carry the bucket name as a subdomain.",
        "Choose path-style (or auto) addressing for this endpoint.",
    ),
    (
        "path-prefix-too-long",
        "The path prefix leaves too little room in S3's 1024-byte key limit.",
        "Use a shorter path prefix.",
    ),
    (
        "key-template-invalid",
        "The key template has an unknown token or an unmatched brace.",
        "Use only the listed tokens, such as {path_prefix}, {sanitized_title}, {date} and {document_id}.",
    ),
    (
        "key-template-too-long",
        "Keys rendered from this template would not fit S3's 1024-byte limit.",
        "Shorten the key template's literal text.",
    ),
    (
        "access-key-id-invalid",
        "The access key id has spaces, '/' or non-ASCII characters, or is too long.",
        "Paste the access key id again without surrounding whitespace.",
    ),
    (
        "secret-access-key-invalid",
        "The secret access key has spaces or non-ASCII characters, or is too long.",
        "Paste the secret access key again without surrounding whitespace.",
    ),
];

/// The cause and fix for a settings advice id.
pub fn settings_advice(id: &str) -> Option<(&'static str, &'static str)> {
    SETTINGS_ADVICE
        .iter()
        .find(|(i, ..)| *i == id)
        .map(|(_, cause, fix)| (*cause, *fix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        for (i, (id, cause, fix)) in SETTINGS_ADVICE.iter().enumerate() {
            assert!(
                id.split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "{id}"
            );
            assert!(!SETTINGS_ADVICE[..i].iter().any(|(o, ..)| o == id), "{id}");
            assert!(cause.ends_with('.') && fix.ends_with('.'), "{id}");
        }
        assert!(settings_advice("bucket-name-invalid").is_some());
        assert!(settings_advice("nope").is_none());
    }
}
