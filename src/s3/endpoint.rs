//! Where a bucket lives: provider, region, host and addressing style.
//! (Over 400 lines because of its tests: the code ends near line 490.)
//!
//! Each provider has exactly one rule for building its host, and one place
//! decides between virtual-hosted (`bucket.host/key`) and path-style
//! (`host/bucket/key`) addressing.

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

/// Refuses virtual-hosted addressing on a host that cannot carry the bucket
/// as a subdomain (an IP literal or localhost).
pub(crate) fn check_addressing_style(style: AddressingStyle, base_host: &str) -> Result<()> {
    if style == AddressingStyle::Virtual && is_ip_or_localhost(base_host) {
        return Err(invalid(
            ErrorCode::InvalidEndpoint,
            format!("{base_host} is an IP address or localhost, which cannot take the bucket as a subdomain; use path-style addressing"),
        ));
    }
    Ok(())
}

/// The shape rules every region must pass for `provider` (the provider's
/// region tables are applied on top of these by `validate-settings`).
pub(crate) fn validate_region(provider: Provider, region: &str) -> Result<()> {
    let charset_ok = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if !charset_ok {
        return Err(invalid(
            ErrorCode::InvalidRegion,
            format!("region '{region}' may only hold lower-case letters, digits and inner hyphens"),
        ));
    }
    let aws_shaped = {
        // e.g. us-east-1, ap-southeast-2, us-gov-west-1, eu-central-2, il-central-1
        let parts: Vec<&str> = region.split('-').collect();
        parts.len() >= 3
            && parts[0].len() == 2
            && parts[0].bytes().all(|b| b.is_ascii_lowercase())
            && parts[1..parts.len() - 1]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
            && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
    };
    match provider {
        Provider::AmazonS3 | Provider::Wasabi if !aws_shaped => Err(invalid(
            ErrorCode::InvalidRegion,
            format!("'{region}' is not a region name like eu-west-1"),
        )),
        Provider::CloudflareR2 if region != "auto" && !aws_shaped => Err(invalid(
            ErrorCode::InvalidRegion,
            "Cloudflare R2 signs with region 'auto'",
        )),
        _ => Ok(()),
    }
}

/// A Cloudflare account id: 32 hex digits.
pub(crate) fn validate_r2_account(account: &str) -> Result<()> {
    if account.len() == 32 && account.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(invalid(
            ErrorCode::InvalidEndpoint,
            "the Cloudflare account id is 32 hexadecimal characters (R2 → Overview → Account ID)",
        ))
    }
}

/// Refuses a `host[:port]` whose host is a link-local/metadata address, or
/// a private one unless `allow_private` (see [`crate::net`]).
pub(crate) fn check_endpoint_host(host_with_port: &str, allow_private: bool) -> Result<()> {
    let host = match host_with_port.strip_prefix('[') {
        Some(v6) => &host_with_port[..v6.find(']').map_or(host_with_port.len(), |i| i + 2)],
        None => host_with_port.split(':').next().unwrap_or_default(),
    };
    crate::net::check_host(host, allow_private)
}

/// Parses `scheme://host[:port][/]`; anything else (a path, credentials, a query) is refused.
/// IP addresses come back in their one canonical spelling, read as WHATWG URL
/// parsing reads them (`http://2130706433` is `http://127.0.0.1`), so the
/// address checks and the signed Host header see what a browser or Node would.
pub(crate) fn parse_endpoint_url(url: &str) -> Result<(Scheme, String)> {
    let bad = |why: &str| {
        invalid(
            ErrorCode::InvalidEndpoint,
            format!("endpoint '{url}' {why}; expected e.g. https://s3.example.com or http://127.0.0.1:9000"),
        )
    };
    let (scheme, rest) = if let Some(r) = url.strip_prefix("https://") {
        (Scheme::Https, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (Scheme::Http, r)
    } else {
        return Err(bad("must start with http:// or https://"));
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() {
        return Err(bad("has no host"));
    }
    if authority.contains(['/', '?', '#', '@', ' ', '\\']) {
        return Err(bad("must be only a scheme, host and optional port"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("has an unclosed IPv6 bracket"))?;
        if crate::net::parse_ipv6(addr).is_none() {
            return Err(bad("has an invalid IPv6 address"));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| bad("has text after the IPv6 address"))?,
            ),
        };
        (format!("[{}]", addr.to_ascii_lowercase()), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let labels_ok = host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
        if host.is_empty() || host.len() > 253 || !labels_ok {
            return Err(bad("has an invalid host name"));
        }
        let host = host.to_ascii_lowercase();
        match crate::net::parse_ipv4_host(&host) {
            Ok(Some(ip)) => (crate::net::dotted(ip), port),
            Ok(None) => (host, port),
            Err(_) => return Err(bad("has a host that is not a valid IPv4 address")),
        }
    };
    match port {
        None => Ok((scheme, host)),
        Some(p) => {
            let n: u16 = p
                .parse()
                .ok()
                .filter(|n| *n > 0 && p.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| bad("has an invalid port"))?;
            let default = matches!((scheme, n), (Scheme::Https, 443) | (Scheme::Http, 80));
            Ok((scheme, if default { host } else { format!("{host}:{n}") }))
        }
    }
}

/// `localhost`, IPv4 and IPv6 literals cannot carry a bucket as a subdomain.
fn is_ip_or_localhost(host_with_port: &str) -> bool {
    if host_with_port.starts_with('[') {
        return true;
    }
    let host = host_with_port.split(':').next().unwrap_or_default();
    host == "localhost"
        || (host.split('.').count() == 4
            && host
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())))
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
