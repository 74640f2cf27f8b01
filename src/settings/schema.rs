//! What the settings form offers: providers, their regions and defaults.
//! The admin page builds its fields from this, and `validate-settings`
//! applies the same tables, so the two cannot drift apart.

use super::regions::{Region, AWS_REGIONS, R2_REGIONS, WASABI_REGIONS};
use crate::keys::template::{DEFAULT_PATH_PREFIX, DEFAULT_TEMPLATE};
use crate::s3::endpoint::Provider;
use crate::transfers::shape::upload_shape;
use serde::Serialize;

/// One provider as the form shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSchema {
    /// Settings value, e.g. `amazon_s3`.
    pub id: &'static str,
    /// English label.
    pub label: &'static str,
    /// Region used when the admin leaves the field empty.
    pub default_region: &'static str,
    /// The regions to offer; empty means "any well-formed region" (custom endpoints).
    pub regions: Vec<RegionSchema>,
    /// Whether an endpoint URL is required.
    pub needs_endpoint: bool,
    /// Whether the Cloudflare account id is required.
    pub needs_account_id: bool,
    /// How browsers upload directly: `post`, or `put` (see [`upload_shape`]).
    pub upload_shape: &'static str,
}

/// One region entry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionSchema {
    /// Signing region.
    pub id: &'static str,
    /// English label.
    pub label: &'static str,
    /// Needs enabling in the AWS account first.
    pub opt_in: bool,
}

/// Values used for fields left empty.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Defaults {
    /// Folder prefix for backup keys.
    pub path_prefix: &'static str,
    /// Backup key template.
    pub key_template: &'static str,
    /// `auto`, `virtual` or `path`.
    pub addressing_style: &'static str,
}

/// The whole form description (`settingsSchema` / `settings-schema`).
#[derive(Debug, Clone, Serialize)]
pub struct SettingsSchema {
    /// Providers in the order the select lists them.
    pub providers: Vec<ProviderSchema>,
    /// Defaults for the provider-independent fields.
    pub defaults: Defaults,
}

/// Every provider, in the order the form lists them.
pub const PROVIDERS: [Provider; 4] = [
    Provider::AmazonS3,
    Provider::Wasabi,
    Provider::CloudflareR2,
    Provider::Custom,
];

/// The addressing style used when none is chosen.
pub const DEFAULT_ADDRESSING_STYLE: &str = "auto";

/// English label of a provider.
pub fn label(provider: Provider) -> &'static str {
    match provider {
        Provider::AmazonS3 => "Amazon S3",
        Provider::Wasabi => "Wasabi",
        Provider::CloudflareR2 => "Cloudflare R2",
        Provider::Custom => "S3-compatible (custom endpoint)",
    }
}

/// The region an empty region field stands for.
pub fn default_region(provider: Provider) -> &'static str {
    match provider {
        Provider::CloudflareR2 => "auto",
        _ => "us-east-1",
    }
}

/// The regions offered for a provider; empty for custom endpoints.
pub fn regions(provider: Provider) -> &'static [Region] {
    match provider {
        Provider::AmazonS3 => AWS_REGIONS,
        Provider::Wasabi => WASABI_REGIONS,
        Provider::CloudflareR2 => R2_REGIONS,
        Provider::Custom => &[],
    }
}

/// The form description.
pub fn settings_schema() -> SettingsSchema {
    SettingsSchema {
        providers: PROVIDERS
            .iter()
            .map(|&p| ProviderSchema {
                id: p.id(),
                label: label(p),
                default_region: default_region(p),
                regions: regions(p)
                    .iter()
                    .map(|r| RegionSchema {
                        id: r.id,
                        label: r.label,
                        opt_in: r.opt_in,
                    })
                    .collect(),
                needs_endpoint: p == Provider::Custom,
                needs_account_id: p == Provider::CloudflareR2,
                upload_shape: upload_shape(p, false).as_str(),
            })
            .collect(),
        defaults: Defaults {
            path_prefix: DEFAULT_PATH_PREFIX,
            key_template: DEFAULT_TEMPLATE,
            addressing_style: DEFAULT_ADDRESSING_STYLE,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_serializes_as_the_contract_says() {
        let json = serde_json::to_value(settings_schema()).unwrap();
        let providers = json["providers"].as_array().unwrap();
        let ids: Vec<&str> = providers
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["amazon_s3", "wasabi", "cloudflare_r2", "custom"]);
        let r2 = &providers[2];
        assert_eq!(r2["uploadShape"], "put");
        assert_eq!(r2["needsAccountId"], true);
        assert_eq!(r2["defaultRegion"], "auto");
        assert_eq!(r2["regions"][0]["id"], "auto");
        assert_eq!(providers[0]["uploadShape"], "post");
        assert_eq!(providers[3]["needsEndpoint"], true);
        assert_eq!(providers[3]["regions"].as_array().unwrap().len(), 0);
        let zurich = providers[0]["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "eu-central-2")
            .unwrap();
        assert_eq!(zurich["optIn"], true);
        assert_eq!(json["defaults"]["pathPrefix"], "wpsigner/");
        assert_eq!(
            json["defaults"]["keyTemplate"],
            "{path_prefix}{sanitized_title}_{date}_{document_id}.pdf"
        );
        assert_eq!(json["defaults"]["addressingStyle"], "auto");
    }

    #[test]
    fn every_default_region_is_offered() {
        for p in PROVIDERS {
            let offered = regions(p);
            assert!(
                offered.is_empty() || offered.iter().any(|r| r.id == default_region(p)),
                "{}",
                p.id()
            );
        }
    }
}
