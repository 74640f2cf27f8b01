//! Where a bucket lives: provider, region, host and addressing style.
//! (Over 400 lines because of its tests: the code ends near line 335.)
//!
//! Each provider has exactly one rule for building its host, and one place
//! decides between virtual-hosted (`bucket.host/key`) and path-style
//! (`host/bucket/key`) addressing. The checks of the single fields (region,
//! account id, endpoint URL and host) are in `checks.rs`; `validate-settings`
//! uses them too.

mod checks;

use checks::is_ip_or_localhost;
pub(crate) use checks::{
    check_addressing_style, check_endpoint_host, parse_endpoint_url, validate_r2_account,
    validate_region,
};

use super::validate::{bucket_needs_path_style, validate_bucket};
use crate::error::{invalid, ErrorCode, Result};
use crate::sigv4::encoding::{encode_path, encode_query_component};

/// A storage provider the integration knows how to reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Amazon S3, any standard region (and China / GovCloud partitions).
    AmazonS3,
    /// Wasabi: `s3.<region>.wasabisys.com`.
    Wasabi,
    /// Cloudflare R2: `<account>.r2.cloudflarestorage.com`, region `auto`.
    CloudflareR2,
    /// Any S3-compatible endpoint given as a URL (MinIO, Garage, a local server…).
    Custom,
}

impl Provider {
    /// Parses the settings value (`amazon_s3`, `wasabi`, `cloudflare_r2`, `custom`).
    pub fn parse(id: &str) -> Result<Self> {
        match id {
            "amazon_s3" | "aws" | "s3" => Ok(Provider::AmazonS3),
            "wasabi" => Ok(Provider::Wasabi),
            "cloudflare_r2" | "r2" => Ok(Provider::CloudflareR2),
            "custom" => Ok(Provider::Custom),
            other => Err(invalid(
                ErrorCode::InvalidEndpoint,
                format!(
                    "unknown provider '{other}': use amazon_s3, wasabi, cloudflare_r2 or custom"
                ),
            )),
        }
    }

    /// The settings value.
    pub fn id(self) -> &'static str {
        match self {
            Provider::AmazonS3 => "amazon_s3",
            Provider::Wasabi => "wasabi",
            Provider::CloudflareR2 => "cloudflare_r2",
            Provider::Custom => "custom",
        }
    }
}

/// How the bucket appears in the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressingStyle {
    /// Virtual-hosted unless the bucket name has a dot (TLS wildcard certificates
    /// do not cover `a.b.s3.amazonaws.com`) or the provider is `custom`.
    Auto,
    /// `https://bucket.host/key`.
    Virtual,
    /// `https://host/bucket/key`.
    Path,
}

impl AddressingStyle {
    /// Parses `auto`, `virtual` or `path` (empty means `auto`).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "" | "auto" => Ok(AddressingStyle::Auto),
            "virtual" => Ok(AddressingStyle::Virtual),
            "path" => Ok(AddressingStyle::Path),
            other => Err(invalid(
                ErrorCode::InvalidEndpoint,
                format!("unknown addressing style '{other}': use auto, virtual or path"),
            )),
        }
    }
}

/// The storage settings an admin enters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageConfig {
    /// Which provider.
    pub provider: Provider,
    /// Signing region (`auto` for R2; filled in when empty).
    pub region: String,
    /// Bucket name.
    pub bucket: String,
    /// Endpoint URL: required for `custom`, an override for the others.
    pub endpoint: Option<String>,
    /// Cloudflare account id (R2 only).
    pub account_id: Option<String>,
    /// Virtual-hosted or path-style.
    pub addressing_style: AddressingStyle,
    /// Whether a loopback or private endpoint is acceptable (the site's
    /// `WPS3_ALLOW_PRIVATE_ENDPOINTS`); link-local and metadata addresses
    /// are refused regardless. See [`crate::net`].
    pub allow_private_endpoints: bool,
}

/// http or https.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain http: only sensible for a local server; payloads are then hashed.
    Http,
    /// https.
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A validated endpoint, ready to build URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedEndpoint {
    /// http or https.
    pub scheme: Scheme,
    /// The `Host` header value (with a non-default port).
    pub host: String,
    /// Virtual or Path (never Auto).
    pub addressing_style: AddressingStyle,
    /// Signing region.
    pub region: String,
    /// Bucket name.
    pub bucket: String,
}

impl StorageConfig {
    /// Validates the settings and decides host and addressing style.
    pub fn resolve(&self) -> Result<ResolvedEndpoint> {
        validate_bucket(&self.bucket)?;
        let region = match (self.provider, self.region.trim()) {
            (Provider::CloudflareR2, "") => "auto".to_owned(),
            (Provider::Custom, "") => "us-east-1".to_owned(),
            (_, "") => {
                return Err(invalid(
                    ErrorCode::InvalidRegion,
                    "a region is required, e.g. eu-west-1",
                ))
            }
            (_, r) => r.to_owned(),
        };
        validate_region(self.provider, &region)?;
        let endpoint = self
            .endpoint
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty());
        let (scheme, base_host) = match (self.provider, endpoint) {
            (_, Some(url)) => parse_endpoint_url(url)?,
            (Provider::Custom, None) => {
                return Err(invalid(
                    ErrorCode::InvalidEndpoint,
                    "a custom provider needs an endpoint URL, e.g. https://s3.example.com",
                ))
            }
            (Provider::AmazonS3, None) => (Scheme::Https, amazon_host(&region)),
            (Provider::Wasabi, None) => (Scheme::Https, format!("s3.{region}.wasabisys.com")),
            (Provider::CloudflareR2, None) => {
                let account = self.account_id.as_deref().unwrap_or("").trim();
                validate_r2_account(account)?;
                // Hosts are case-insensitive, but the signed Host header is not:
                // clients lower-case it before sending.
                let account = account.to_ascii_lowercase();
                (Scheme::Https, format!("{account}.r2.cloudflarestorage.com"))
            }
        };
        check_endpoint_host(&base_host, self.allow_private_endpoints)?;
        let ip_host = is_ip_or_localhost(&base_host);
        check_addressing_style(self.addressing_style, &base_host)?;
        let addressing_style = match self.addressing_style {
            AddressingStyle::Auto if self.provider == Provider::Custom || ip_host => {
                AddressingStyle::Path
            }
            AddressingStyle::Auto if bucket_needs_path_style(&self.bucket) => AddressingStyle::Path,
            AddressingStyle::Auto => AddressingStyle::Virtual,
            explicit => explicit,
        };
        let host = match addressing_style {
            AddressingStyle::Virtual => format!("{}.{base_host}", self.bucket),
            _ => base_host,
        };
        Ok(ResolvedEndpoint {
            scheme,
            host,
            addressing_style,
            region,
            bucket: self.bucket.clone(),
        })
    }
}

/// What callers are told about a resolved endpoint (`resolveEndpoint`'s
/// result, also part of `validate-settings`' answer).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointView {
    /// `http` or `https`.
    pub scheme: &'static str,
    /// The `Host` header value.
    pub host: String,
    /// `virtual` or `path`.
    pub addressing_style: &'static str,
    /// Signing region.
    pub region: String,
    /// Where a browser POSTs a form upload.
    pub bucket_url: String,
}

impl ResolvedEndpoint {
    /// The serializable summary.
    pub fn view(&self) -> EndpointView {
        EndpointView {
            scheme: self.scheme.as_str(),
            host: self.host.clone(),
            addressing_style: if self.addressing_style == AddressingStyle::Path {
                "path"
            } else {
                "virtual"
            },
            region: self.region.clone(),
            bucket_url: self.bucket_url(),
        }
    }

    /// The wire path: `/key` (virtual) or `/bucket/key` (path); bucket-level
    /// requests get `/` (virtual) or `/bucket` with no trailing slash (path).
    pub fn path(&self, key: Option<&str>) -> String {
        let encoded_key = key.map(encode_path);
        match (self.addressing_style, encoded_key) {
            (AddressingStyle::Path, Some(k)) => format!("/{}/{k}", self.bucket),
            (AddressingStyle::Path, None) => format!("/{}", self.bucket),
            (_, Some(k)) => format!("/{k}"),
            (_, None) => "/".to_owned(),
        }
    }

    /// `scheme://host`.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme.as_str(), self.host)
    }

    /// The URL a browser POSTs a form upload to.
    pub fn bucket_url(&self) -> String {
        format!("{}{}", self.origin(), self.path(None))
    }

    /// An unsigned URL for an object (or the bucket) with query parameters in the given order.
    pub fn url(&self, key: Option<&str>, query: &[(String, String)]) -> String {
        let mut url = self.origin();
        url.push_str(&self.path(key));
        let q = wire_query(query);
        if !q.is_empty() {
            url.push('?');
            url.push_str(&q);
        }
        url
    }
}

/// S3 sub-resources that botocore sends bare (`?acl`, not `?acl=`).
const BARE_SUBRESOURCES: &[&str] = &[
    "acl",
    "cors",
    "delete",
    "lifecycle",
    "location",
    "logging",
    "notification",
    "policy",
    "replication",
    "requestPayment",
    "restore",
    "tagging",
    "torrent",
    "uploads",
    "versioning",
    "versions",
    "website",
    "encryption",
    "accelerate",
    "analytics",
    "inventory",
    "metrics",
    "ownershipControls",
    "publicAccessBlock",
    "object-lock",
    "legal-hold",
    "retention",
    "attributes",
];

/// Encodes query pairs for the URL, in order.
pub fn wire_query(query: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in query.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode_query_component(name));
        if !(value.is_empty() && BARE_SUBRESOURCES.contains(&name.as_str())) {
            out.push('=');
            out.push_str(&encode_query_component(value));
        }
    }
    out
}

fn amazon_host(region: &str) -> String {
    if region == "us-east-1" {
        // botocore's choice for us-east-1; it serves every bucket of the region.
        "s3.amazonaws.com".to_owned()
    } else if region.starts_with("cn-") {
        format!("s3.{region}.amazonaws.com.cn")
    } else {
        format!("s3.{region}.amazonaws.com")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(provider: Provider, region: &str, bucket: &str) -> StorageConfig {
        StorageConfig {
            provider,
            region: region.into(),
            bucket: bucket.into(),
            endpoint: None,
            account_id: None,
            addressing_style: AddressingStyle::Auto,
            allow_private_endpoints: false,
        }
    }

    #[test]
    fn amazon_hosts_follow_botocore() {
        let e = cfg(Provider::AmazonS3, "us-east-1", "examplebucket")
            .resolve()
            .unwrap();
        assert_eq!(e.host, "examplebucket.s3.amazonaws.com");
        let e = cfg(Provider::AmazonS3, "eu-west-1", "my.dotted.bucket")
            .resolve()
            .unwrap();
        assert_eq!(e.host, "s3.eu-west-1.amazonaws.com");
        assert_eq!(e.path(Some("a b.txt")), "/my.dotted.bucket/a%20b.txt");
        let e = cfg(Provider::AmazonS3, "cn-north-1", "b-1")
            .resolve()
            .unwrap();
        assert_eq!(e.host, "b-1.s3.cn-north-1.amazonaws.com.cn");
        assert!(cfg(Provider::AmazonS3, "Europe", "b-1").resolve().is_err());
        assert!(cfg(Provider::AmazonS3, "", "b-1").resolve().is_err());
    }

    #[test]
    fn wasabi_r2_and_custom() {
        let e = cfg(Provider::Wasabi, "us-east-2", "bkt").resolve().unwrap();
        assert_eq!(e.host, "bkt.s3.us-east-2.wasabisys.com");
        let mut r2 = cfg(Provider::CloudflareR2, "", "bkt");
        assert!(r2.resolve().is_err());
        r2.account_id = Some("96C87D1D64A7288921D6EACE0ECCF744".into());
        let e = r2.resolve().unwrap();
        assert_eq!(
            (e.host.as_str(), e.region.as_str()),
            (
                "bkt.96c87d1d64a7288921d6eace0eccf744.r2.cloudflarestorage.com",
                "auto"
            )
        );
        let mut c = cfg(Provider::Custom, "", "bkt");
        assert!(c.resolve().is_err());
        c.allow_private_endpoints = true;
        c.endpoint = Some("http://127.0.0.1:9000/".into());
        let e = c.resolve().unwrap();
        assert_eq!(e.bucket_url(), "http://127.0.0.1:9000/bkt");
        for bad in [
            "ftp://x",
            "http://",
            "http://a/b",
            "http://u@h",
            "http://h:99999",
            "https://h:0",
        ] {
            c.endpoint = Some(bad.into());
            assert_eq!(
                c.resolve().unwrap_err().code(),
                ErrorCode::InvalidEndpoint,
                "{bad}"
            );
        }
        for bad in [
            "http://[]",
            "http://a-",
            "http://a..b",
            "http://h:+9000",
            "http://[::1]x",
        ] {
            c.endpoint = Some(bad.into());
            assert_eq!(
                c.resolve().unwrap_err().code(),
                ErrorCode::InvalidEndpoint,
                "{bad}"
            );
        }
        c.endpoint = Some("http://[::1]:9000/".into());
        assert_eq!(c.resolve().unwrap().bucket_url(), "http://[::1]:9000/bkt");
        c.endpoint = Some("http://127.0.0.1:9000".into());
        c.addressing_style = AddressingStyle::Virtual;
        assert!(c.resolve().is_err());
        c.addressing_style = AddressingStyle::Auto;
        c.endpoint = Some("https://S3.Example.com:443".into());
        assert_eq!(c.resolve().unwrap().host, "s3.example.com");
    }

    #[test]
    fn private_and_metadata_endpoints() {
        let mut c = cfg(Provider::Custom, "", "bkt");
        let refused = |c: &StorageConfig, url: &str| {
            let mut c = c.clone();
            c.endpoint = Some(url.into());
            c.resolve().map(|e| e.host)
        };
        for url in [
            "http://127.0.0.1:9000",
            "http://2130706433:9000",
            "http://0x7f000001:9000",
            "http://0177.0.0.1:9000",
            "http://127.1:9000",
            "http://[::1]:9000",
            "http://[::ffff:127.0.0.1]:9000",
            "http://[::ffff:7f00:1]",
            "http://10.0.0.8",
            "http://172.20.0.1",
            "http://192.168.0.10",
            "http://0.0.0.0:9000",
            "http://localhost:9000",
            "https://minio.localhost",
        ] {
            assert_eq!(
                refused(&c, url).unwrap_err().code(),
                ErrorCode::EndpointRefused,
                "{url}"
            );
        }
        for url in [
            "http://169.254.169.254",
            "http://2852039166",
            "http://0xa9fea9fe",
            "http://169.254.169.254.",
            "http://[fd00:ec2::254]",
            "http://[fe80::1]:9000",
            "http://[::ffff:169.254.169.254]",
        ] {
            for allow in [false, true] {
                c.allow_private_endpoints = allow;
                let e = refused(&c, url).unwrap_err();
                // A trailing dot is not a host name this form takes at all.
                let want = if url.ends_with('.') {
                    ErrorCode::InvalidEndpoint
                } else {
                    ErrorCode::EndpointRefused
                };
                assert_eq!(e.code(), want, "{url}");
            }
        }
        c.allow_private_endpoints = true;
        assert_eq!(
            refused(&c, "http://2130706433:9000").unwrap(),
            "127.0.0.1:9000"
        );
        assert_eq!(refused(&c, "http://0177.0.0.1").unwrap(), "127.0.0.1");
        assert_eq!(
            refused(&c, "http://[::FFFF:127.0.0.1]").unwrap(),
            "[::ffff:127.0.0.1]"
        );
        assert_eq!(
            refused(&c, "http://256.0.0.1").unwrap_err().code(),
            ErrorCode::InvalidEndpoint
        );
        c.allow_private_endpoints = false;
        assert_eq!(
            refused(&c, "https://s3.example.com").unwrap(),
            "s3.example.com"
        );
        assert_eq!(refused(&c, "https://8.8.8.8").unwrap(), "8.8.8.8");
    }

    #[test]
    fn bare_subresources() {
        assert_eq!(wire_query(&[("acl".into(), "".into())]), "acl");
        assert_eq!(
            wire_query(&[("prefix".into(), "".into()), ("a b".into(), "c/d".into())]),
            "prefix=&a%20b=c%2Fd"
        );
    }
}
