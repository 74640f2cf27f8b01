//! The bucket CORS rule browser uploads and downloads need, for one origin.
//!
//! Never `*`: a wildcard origin would let any site drive uploads with URLs
//! our server presigned for someone else's page. The headers listed are the
//! ones our browser module sends (Content-Type on a presigned PUT; a POST
//! form's own headers are CORS-safelisted), and ETag is exposed because
//! completing a multipart upload needs each part's ETag.

use crate::error::{invalid, ErrorCode, Result};
use serde::Serialize;
use serde_json::{json, Value};

/// Methods the browser uses: GET (download), PUT (presigned PUT, parts), POST (form upload), HEAD.
pub const ALLOWED_METHODS: [&str; 4] = ["GET", "PUT", "POST", "HEAD"];
/// Request headers the browser sends that are not CORS-safelisted.
pub const ALLOWED_HEADERS: [&str; 1] = ["content-type"];
/// Response headers script must read.
pub const EXPOSE_HEADERS: [&str; 1] = ["ETag"];
/// How long a browser may cache the preflight answer.
pub const MAX_AGE_SECONDS: u32 = 3000;

/// A CORS configuration ready to paste, and the preflights that check it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CorsRules {
    /// The origin, normalised (`https://example.com`, `http://127.0.0.1:8080`).
    pub origin: String,
    /// The rule list as the S3 console's CORS editor takes it.
    pub rules: Value,
    /// `rules` pretty-printed.
    pub json: String,
    /// The same wrapped as `{"CORSRules": …}` for `aws s3api put-bucket-cors`.
    pub cli_json: String,
    /// Preflight requests that prove the rule is in place: `{method, headers}`.
    pub preflights: Vec<Preflight>,
}

/// One preflight a browser would send.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preflight {
    /// `Access-Control-Request-Method`.
    pub method: &'static str,
    /// `Access-Control-Request-Headers` (comma-separated, lowercase).
    pub request_headers: String,
}

/// Normalises a site origin: `scheme://host[:port]`, lowercase, no path.
/// A trailing `/` is accepted (`home_url('/')`); anything else after the
/// authority, a wildcard or user info is refused.
pub fn normalize_origin(origin: &str) -> Result<String> {
    let bad = |why: &str| {
        invalid(
            ErrorCode::InvalidArgument,
            format!("origin '{origin}' {why}; expected e.g. https://example.com"),
        )
    };
    let trimmed = origin.trim();
    let (scheme, rest) = trimmed
        .split_once("://")
        .ok_or_else(|| bad("has no scheme"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(bad("is not http or https"));
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() {
        return Err(bad("has no host"));
    }
    if authority.contains(['/', '?', '#', '@', '*', ' ', '\\']) || authority.contains("..") {
        return Err(bad("must be only scheme, host and port"));
    }
    if authority.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(bad("must be ASCII (use the punycode host)"));
    }
    let (host, port) = if let Some(end) = authority.strip_prefix('[').and_then(|a| a.find(']')) {
        // [v6]:port
        let (h, rest) = authority.split_at(end + 2);
        if !rest.is_empty() && !rest.starts_with(':') {
            return Err(bad("must be only scheme, host and port"));
        }
        (h, rest.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    let port = match port {
        Some(p) => {
            let n: u16 = p.parse().map_err(|_| bad("has an invalid port"))?;
            let default = if scheme == "https" { 443 } else { 80 };
            // Browsers omit a default port in the Origin header.
            (n != default).then(|| format!(":{n}"))
        }
        None => None,
    };
    Ok(format!(
        "{scheme}://{}{}",
        host.to_ascii_lowercase(),
        port.unwrap_or_default()
    ))
}

/// The CORS rule for one origin.
pub fn cors_rules(origin: &str) -> Result<CorsRules> {
    let origin = normalize_origin(origin)?;
    let rule = json!({
        "AllowedHeaders": ALLOWED_HEADERS,
        "AllowedMethods": ALLOWED_METHODS,
        "AllowedOrigins": [origin],
        "ExposeHeaders": EXPOSE_HEADERS,
        "MaxAgeSeconds": MAX_AGE_SECONDS,
    });
    let rules = json!([rule]);
    let pretty = |v: &Value| {
        serde_json::to_string_pretty(v)
            .map_err(|e| invalid(ErrorCode::InvalidArgument, e.to_string()))
    };
    let cli_json = pretty(&json!({ "CORSRules": rules }))?;
    Ok(CorsRules {
        json: pretty(&rules)?,
        cli_json,
        rules,
        preflights: ["PUT", "POST"]
            .into_iter()
            .map(|method| Preflight {
                method,
                request_headers: ALLOWED_HEADERS.join(","),
            })
            .collect(),
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_the_origin_methods_headers_and_etag() {
        let c = cors_rules("https://Example.com/").unwrap();
        assert_eq!(c.origin, "https://example.com");
        let r = &c.rules[0];
        assert_eq!(r["AllowedOrigins"], json!(["https://example.com"]));
        assert_eq!(r["AllowedMethods"], json!(["GET", "PUT", "POST", "HEAD"]));
        assert_eq!(r["ExposeHeaders"], json!(["ETag"]));
        assert_eq!(r["AllowedHeaders"], json!(["content-type"]));
        assert!(c.cli_json.starts_with("{\n  \"CORSRules\""));
        assert!(!c.json.contains('*'));
        assert_eq!(c.preflights.len(), 2);
    }

    #[test]
    fn ports_are_kept_unless_default() {
        assert_eq!(
            normalize_origin("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            normalize_origin("https://a.test:443").unwrap(),
            "https://a.test"
        );
        assert_eq!(
            normalize_origin("http://[::1]:81").unwrap(),
            "http://[::1]:81"
        );
    }

    #[test]
    fn wildcards_paths_and_junk_are_refused() {
        for bad in [
            "*",
            "https://*",
            "https://*.example.com",
            "example.com",
            "ftp://example.com",
            "https://example.com/wp",
            "https://user@example.com",
            "https://example.com:99999",
            "https://",
            "https://exa mple.com",
        ] {
            assert!(cors_rules(bad).is_err(), "{bad}");
        }
    }
}
