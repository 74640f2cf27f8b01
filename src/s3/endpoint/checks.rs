//! The checks of single storage fields, shared by endpoint resolution and
//! `validate-settings`: region shape, Cloudflare account id, endpoint URL
//! (with IP addresses in their canonical spelling) and endpoint host
//! (link-local and private addresses, see [`crate::net`]).

use super::{AddressingStyle, Provider, Scheme};
use crate::error::{invalid, ErrorCode, Result};

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
pub(super) fn is_ip_or_localhost(host_with_port: &str) -> bool {
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
