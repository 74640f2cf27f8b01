//! `validate-settings`: every rule the settings form is held to, checked
//! field by field so the admin sees all problems at once, each with the
//! field it belongs to and a stable advice id.
//!
//! The rules themselves live where the signer needs them (bucket names in
//! `s3::validate`, hosts and regions in `s3::endpoint`, prefixes and
//! templates in `keys::template`, key ids in `sigv4::credentials`); this
//! module only applies them to form input, adds the provider region tables,
//! and fills defaults. Bad input is a report, never an `Err`.

use super::regions::{self, AWS_OTHER_PARTITIONS};
use super::schema::{default_region, DEFAULT_ADDRESSING_STYLE};
use crate::error::{Error, ErrorCode};
use crate::keys::template::{
    sanitize_path_prefix, KeyInput, KeyTemplate, DEFAULT_PATH_PREFIX, DEFAULT_TEMPLATE,
};
use crate::s3::endpoint::{
    check_addressing_style, check_endpoint_host, parse_endpoint_url, validate_r2_account,
    validate_region, AddressingStyle, EndpointView, Provider, StorageConfig,
};
use crate::s3::validate::validate_bucket;
use crate::sigv4::credentials::validate_access_key_id;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// Longest path prefix, in bytes: beyond this the 1024-byte key limit leaves
/// titles too little room to stay readable.
pub const MAX_PATH_PREFIX_BYTES: usize = 512;
/// Longest secret access key accepted (AWS's are 40 characters).
pub const MAX_SECRET_BYTES: usize = 256;

/// The form as submitted. Every field is optional: a missing one is checked
/// like an empty one. The secret is only checked, never echoed; it is wiped
/// on drop and the type has no `Debug`.
#[derive(Default, Deserialize, Zeroize)]
#[zeroize(drop)]
#[serde(rename_all = "camelCase")]
pub struct SettingsInput {
    /// `amazon_s3`, `wasabi`, `cloudflare_r2` or `custom`.
    pub provider: Option<String>,
    /// Signing region; empty means the provider's default.
    pub region: Option<String>,
    /// Endpoint URL (required for custom, an override otherwise).
    pub endpoint: Option<String>,
    /// Cloudflare account id.
    pub account_id: Option<String>,
    /// Bucket name.
    pub bucket: Option<String>,
    /// Folder for backup keys; `None` means the default, `""` means none.
    pub path_prefix: Option<String>,
    /// Backup key template; empty means the default.
    pub key_template: Option<String>,
    /// `auto`, `virtual` or `path`; empty means `auto`.
    pub addressing_style: Option<String>,
    /// Access key id; empty is allowed (not entered yet).
    pub access_key_id: Option<String>,
    /// Secret access key, checked for shape when given.
    pub secret_access_key: Option<String>,
    /// Whether a loopback or private endpoint is acceptable (set by the
    /// host from its configuration, never by the form); see [`crate::net`].
    #[zeroize(skip)]
    // pkg/web has no SSRF verdict (src/net), so it need not read the flag.
    #[cfg_attr(not(feature = "node"), serde(skip))]
    pub allow_private_endpoints: Option<bool>,
}

/// The settings after normalisation, defaults filled in. Empty strings mean "none".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NormalizedSettings {
    /// Canonical provider id (aliases such as `r2` resolved), or the input when unknown.
    pub provider: String,
    /// Lower-cased region, or the provider's default.
    pub region: String,
    /// Trimmed endpoint without a trailing `/`.
    pub endpoint: String,
    /// Lower-cased account id.
    pub account_id: String,
    /// Trimmed bucket.
    pub bucket: String,
    /// Sanitized prefix: empty or ending in exactly one `/`.
    pub path_prefix: String,
    /// The template, or the default.
    pub key_template: String,
    /// `auto`, `virtual` or `path` when valid, else the input.
    pub addressing_style: String,
    /// Trimmed access key id.
    pub access_key_id: String,
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    /// The input field, camelCase (`bucket`, `accountId`, …).
    pub field: &'static str,
    /// The core's error code, e.g. `INVALID_BUCKET`.
    pub code: &'static str,
    /// Stable kebab-case id; see [`crate::error::AdviceId`].
    pub advice_id: &'static str,
    /// English text naming the rule that failed.
    pub message: String,
}

/// The answer of `validate-settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsReport {
    /// No errors.
    pub valid: bool,
    /// Normalised settings (also when invalid, so the form can show them).
    pub settings: NormalizedSettings,
    /// Where the bucket lives, when provider, region, endpoint and bucket are usable.
    pub endpoint: Option<EndpointView>,
    /// Every problem found, in form order.
    pub errors: Vec<FieldError>,
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().map(str::trim).unwrap_or("")
}

struct Report {
    errors: Vec<FieldError>,
}

impl Report {
    fn add(&mut self, field: &'static str, advice_id: &'static str, err: Error) {
        self.errors.push(FieldError {
            field,
            code: err.code().as_str(),
            advice_id,
            message: err.message().to_owned(),
        });
    }

    fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }
}

/// Checks and normalises the settings form. Never fails: problems are in
/// [`SettingsReport::errors`].
pub fn validate_settings(input: &SettingsInput) -> SettingsReport {
    let mut report = Report { errors: Vec::new() };

    let provider_text = text(&input.provider);
    let provider = match Provider::parse(provider_text) {
        Ok(p) => Some(p),
        Err(e) => {
            report.add("provider", "provider-unknown", e);
            None
        }
    };

    let allow_private = input.allow_private_endpoints == Some(true);
    let endpoint = text(&input.endpoint);
    let endpoint = endpoint.strip_suffix('/').unwrap_or(endpoint).to_owned();
    let base_host = if endpoint.is_empty() {
        if provider == Some(Provider::Custom) {
            report.add(
                "endpoint",
                "endpoint-required",
                Error::new(
                    ErrorCode::InvalidEndpoint,
                    "a custom provider needs an endpoint URL, e.g. https://s3.example.com",
                ),
            );
        }
        None
    } else {
        match parse_endpoint_url(&endpoint) {
            Ok((_, host)) => match check_endpoint_host(&host, allow_private) {
                Ok(()) => Some(host),
                Err(e) => {
                    report.add("endpoint", "endpoint-refused", e);
                    None
                }
            },
            Err(e) => {
                report.add("endpoint", "endpoint-invalid", e);
                None
            }
        }
    };

    let region_text = text(&input.region).to_ascii_lowercase();
    let region = match (provider, region_text.is_empty()) {
        (Some(p), true) => default_region(p).to_owned(),
        _ => region_text,
    };
    if let Some(p) = provider {
        check_region(&mut report, p, &region, !endpoint.is_empty());
    }

    let account_id = text(&input.account_id).to_ascii_lowercase();
    if provider == Some(Provider::CloudflareR2) {
        if account_id.is_empty() && endpoint.is_empty() {
            report.add(
                "accountId",
                "account-id-required",
                Error::new(
                    ErrorCode::InvalidEndpoint,
                    "Cloudflare R2 needs the account id (R2 → Overview → Account ID)",
                ),
            );
        } else if !account_id.is_empty() {
            if let Err(e) = validate_r2_account(&account_id) {
                report.add("accountId", "account-id-invalid", e);
            }
        }
    }

    let bucket = text(&input.bucket).to_owned();
    if let Err(e) = validate_bucket(&bucket) {
        report.add("bucket", "bucket-name-invalid", e);
    }

    let style_text = text(&input.addressing_style);
    let style = match AddressingStyle::parse(style_text) {
        Ok(s) => {
            if let Some(host) = &base_host {
                if let Err(e) = check_addressing_style(s, host) {
                    report.add("addressingStyle", "addressing-style-needs-path", e);
                }
            }
            Some(s)
        }
        Err(e) => {
            report.add("addressingStyle", "addressing-style-invalid", e);
            None
        }
    };
    let addressing_style = match style {
        Some(AddressingStyle::Auto) => DEFAULT_ADDRESSING_STYLE.to_owned(),
        Some(AddressingStyle::Virtual) => "virtual".to_owned(),
        Some(AddressingStyle::Path) => "path".to_owned(),
        None => style_text.to_owned(),
    };

    let path_prefix =
        sanitize_path_prefix(input.path_prefix.as_deref().unwrap_or(DEFAULT_PATH_PREFIX));
    if path_prefix.len() > MAX_PATH_PREFIX_BYTES {
        report.add(
            "pathPrefix",
            "path-prefix-too-long",
            Error::new(
                ErrorCode::InvalidTemplate,
                format!(
                    "the path prefix is {} bytes; at most {MAX_PATH_PREFIX_BYTES} are allowed",
                    path_prefix.len()
                ),
            ),
        );
    }

    let key_template = match text(&input.key_template) {
        "" => DEFAULT_TEMPLATE.to_owned(),
        t => t.to_owned(),
    };
    check_template(&mut report, &key_template, &path_prefix);

    let access_key_id = text(&input.access_key_id).to_owned();
    if !access_key_id.is_empty() {
        if let Err(e) = validate_access_key_id(&access_key_id) {
            report.add("accessKeyId", "access-key-id-invalid", e);
        }
    }
    if let Some(secret) = input.secret_access_key.as_deref().filter(|s| !s.is_empty()) {
        if secret.len() > MAX_SECRET_BYTES || !secret.bytes().all(|b| b.is_ascii_graphic()) {
            report.add(
                "secretAccessKey",
                "secret-access-key-invalid",
                Error::new(
                    ErrorCode::InvalidArgument,
                    format!(
                        "the secret access key may hold only visible ASCII characters \
                         (no spaces), at most {MAX_SECRET_BYTES}"
                    ),
                ),
            );
        }
    }

    let storage_ok = ![
        "provider",
        "region",
        "endpoint",
        "accountId",
        "bucket",
        "addressingStyle",
    ]
    .iter()
    .any(|f| report.has(f));
    let resolved = match (provider, style) {
        (Some(provider), Some(addressing_style)) if storage_ok => {
            let config = StorageConfig {
                provider,
                region: region.clone(),
                bucket: bucket.clone(),
                endpoint: Some(endpoint.clone()).filter(|e| !e.is_empty()),
                account_id: Some(account_id.clone()).filter(|a| !a.is_empty()),
                addressing_style,
                allow_private_endpoints: allow_private,
            };
            match config.resolve() {
                Ok(e) => Some(e.view()),
                Err(e) => {
                    // Every rule resolve() applies was checked above; should a new
                    // one be added there, its failure still lands on a field.
                    let (field, advice) = match e.code() {
                        ErrorCode::InvalidBucket => ("bucket", "bucket-name-invalid"),
                        ErrorCode::InvalidRegion => ("region", "region-invalid"),
                        ErrorCode::EndpointRefused => ("endpoint", "endpoint-refused"),
                        _ => ("endpoint", "endpoint-invalid"),
                    };
                    report.add(field, advice, e);
                    None
                }
            }
        }
        _ => None,
    };

    let settings = NormalizedSettings {
        provider: provider.map_or_else(|| provider_text.to_owned(), |p| p.id().to_owned()),
        region,
        endpoint,
        account_id,
        bucket,
        path_prefix,
        key_template,
        addressing_style,
        access_key_id,
    };
    SettingsReport {
        valid: report.errors.is_empty(),
        settings,
        endpoint: resolved,
        errors: report.errors,
    }
}

/// Shape first (the signer's rule), then the provider's table unless an
/// endpoint override points somewhere the table does not describe.
fn check_region(report: &mut Report, provider: Provider, region: &str, endpoint_override: bool) {
    if let Err(e) = validate_region(provider, region) {
        report.add("region", "region-invalid", e);
        return;
    }
    let table = super::schema::regions(provider);
    if table.is_empty() || endpoint_override {
        return;
    }
    let known = regions::contains(table, region)
        || (provider == Provider::AmazonS3 && regions::contains(AWS_OTHER_PARTITIONS, region));
    if !known {
        report.add(
            "region",
            "region-unknown",
            Error::new(
                ErrorCode::InvalidRegion,
                format!(
                    "{} has no region '{}'; pick one from the list",
                    super::schema::label(provider),
                    crate::s3::validate::shown(region)
                ),
            ),
        );
    }
}

/// The page's sample document, with the longest id (20 digits, a 64-bit
/// post id), user name (64 characters) and site id (20 digits) a key can
/// hold: those are never shortened, only the title is.
const SAMPLE_ID: &str = "12345678901234567890";

fn check_template(report: &mut Report, template: &str, prefix: &str) {
    let parsed = match KeyTemplate::parse(template) {
        Ok(t) => t,
        Err(e) => {
            report.add("keyTemplate", "key-template-invalid", e);
            return;
        }
    };
    let render = |path_prefix: &str| {
        let user = "u".repeat(64);
        parsed.render(&KeyInput {
            template: None,
            path_prefix: Some(path_prefix),
            title: "Service Agreement",
            document_id: SAMPLE_ID,
            // Any instant: dates render at a fixed width.
            now: Timestamp::from_unix(0)?,
            user: Some(&user),
            site: Some(SAMPLE_ID),
        })
    };
    if let Err(e) = render(prefix) {
        if report.has("pathPrefix") {
            return;
        }
        let blame_prefix = !prefix.is_empty() && render("").is_ok();
        let advice = match e.code() {
            _ if blame_prefix => "path-prefix-too-long",
            ErrorCode::InvalidTemplate if e.message().contains("longer than") => {
                "key-template-too-long"
            }
            _ => "key-template-invalid",
        };
        report.add(
            if blame_prefix {
                "pathPrefix"
            } else {
                "keyTemplate"
            },
            advice,
            e,
        );
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
