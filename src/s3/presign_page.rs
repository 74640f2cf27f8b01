//! A page of links: many keys presigned with one key pair, one day's
//! signing key and one set of response overrides, each link's
//! `Content-Disposition` built here from its file name.
//!
//! A page of 100 download links is the product's common presign. Signing it
//! as 100 separate calls pays the per-call checks, argument conversion and
//! (through the sidecar) 100 op envelopes for what is one decision; here the
//! page-wide inputs are checked once, and only what differs per link (key,
//! file name) is handled per link. Every URL is byte for byte the one
//! [`presign_url`](super::presign::presign_url) gives for the same request
//! (tests below and tests/conformance.rs).

use super::content_disposition::{content_disposition, Disposition};
use super::endpoint::ResolvedEndpoint;
use super::presign::{presign_simple, validate_expires, SimplePresign};
use super::request::{validate_key_for, validate_method};
use crate::error::{invalid, ErrorCode, Result};
use crate::sigv4::{Credentials, DayKey};
use crate::time::Timestamp;

/// The most links one page may hold (the sidecar's batch bound).
pub const MAX_PAGE_LINKS: usize = 1000;

/// What every link of a page shares.
#[derive(Debug, Clone, Copy)]
pub struct PageOptions<'a> {
    /// `GET`, `PUT`, `HEAD` or `DELETE`.
    pub method: &'a str,
    /// Lifetime in seconds, 1..=604800.
    pub expires_in: u64,
    /// `attachment` or `inline`, for links that give a file name.
    pub disposition: Disposition,
    /// `response-content-type` of every link.
    pub content_type: Option<&'a str>,
    /// `response-cache-control` of every link.
    pub cache_control: Option<&'a str>,
}

/// One link of a page.
#[derive(Debug, Clone, Copy)]
pub struct PageLink<'a> {
    /// Object key.
    pub key: &'a str,
    /// The name the browser saves the file under: the link's
    /// `response-content-disposition` is [`content_disposition`] of it.
    pub filename: Option<&'a str>,
    /// A ready `response-content-disposition` value, for a link without a
    /// file name (giving both is an error).
    pub content_disposition: Option<&'a str>,
}

/// A signed page.
#[derive(Debug)]
pub struct SignedPage {
    /// One URL or error per link, in order: a bad key fails its own link only.
    pub urls: Vec<Result<String>>,
    /// When every URL of the page stops working.
    pub expires_at: Timestamp,
}

/// Presigns every link of a page at `time`. Fails as a whole only for what
/// the whole page shares (method, expiry, overrides, key pair, too many
/// links); a link's own problem (its key, its disposition) is its own entry
/// in [`SignedPage::urls`].
pub fn presign_page(
    endpoint: &ResolvedEndpoint,
    credentials: &Credentials,
    time: Timestamp,
    options: &PageOptions<'_>,
    links: &[PageLink<'_>],
    day: &mut DayKey,
) -> Result<SignedPage> {
    if links.len() > MAX_PAGE_LINKS {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            format!(
                "a page holds at most {MAX_PAGE_LINKS} links, not {}",
                links.len()
            ),
        ));
    }
    validate_method(options.method, &["GET", "PUT", "HEAD", "DELETE"])?;
    validate_expires(options.expires_in)?;
    for (name, value) in [
        ("response-content-type", options.content_type),
        ("response-cache-control", options.cache_control),
    ] {
        if value.is_some_and(|v| v.contains(['\r', '\n'])) {
            return Err(invalid(
                ErrorCode::InvalidArgument,
                format!("'{name}' contains a line break"),
            ));
        }
    }
    credentials.validate()?;
    let expires_at = time.plus(options.expires_in as i64)?;
    let urls = links
        .iter()
        .map(|link| sign_link(endpoint, credentials, time, options, link, day))
        .collect();
    Ok(SignedPage { urls, expires_at })
}

fn sign_link(
    endpoint: &ResolvedEndpoint,
    credentials: &Credentials,
    time: Timestamp,
    options: &PageOptions<'_>,
    link: &PageLink<'_>,
    day: &mut DayKey,
) -> Result<String> {
    validate_key_for(options.method, link.key)?;
    let named;
    let disposition = match (link.filename, link.content_disposition) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                ErrorCode::InvalidArgument,
                "a link gives a file name or a content disposition, not both",
            ))
        }
        (Some(filename), None) => {
            named = content_disposition(filename, options.disposition);
            Some(named.as_str())
        }
        (None, given) => given,
    };
    let req = SimplePresign {
        method: options.method,
        key: link.key,
        expires_in: options.expires_in,
        content_disposition: disposition,
        content_type: options.content_type,
        cache_control: options.cache_control,
    };
    Ok(presign_simple(endpoint, credentials, time, &req, day)?.url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::endpoint::{AddressingStyle, Provider, StorageConfig};
    use crate::s3::presign::{presign_url, PresignRequest, ResponseOverrides};
    use crate::sigv4::SigningKeyCache;

    fn endpoint(provider: Provider, url: Option<&str>, style: AddressingStyle) -> ResolvedEndpoint {
        StorageConfig {
            provider,
            region: "eu-west-1".into(),
            bucket: "my-bucket".into(),
            endpoint: url.map(str::to_owned),
            account_id: None,
            addressing_style: style,
            allow_private_endpoints: true,
        }
        .resolve()
        .unwrap()
    }

    /// The single presign of one link, through the general path.
    fn single(
        e: &ResolvedEndpoint,
        c: &Credentials,
        t: Timestamp,
        o: &PageOptions<'_>,
        link: &PageLink<'_>,
    ) -> Result<String> {
        let cd = match link.filename {
            Some(f) => Some(content_disposition(f, o.disposition)),
            None => link.content_disposition.map(str::to_owned),
        };
        let req = PresignRequest {
            method: o.method,
            key: link.key,
            expires_in: o.expires_in,
            query: &[],
            headers: &[],
            overrides: ResponseOverrides {
                content_disposition: cd,
                content_type: o.content_type.map(str::to_owned),
                cache_control: o.cache_control.map(str::to_owned),
            },
        };
        Ok(presign_url(e, c, t, &req, &mut SigningKeyCache::new())?.url)
    }

    fn options(method: &str) -> PageOptions<'_> {
        PageOptions {
            method,
            expires_in: 900,
            disposition: Disposition::Attachment,
            content_type: None,
            cache_control: None,
        }
    }

    fn link(key: &str) -> PageLink<'_> {
        PageLink {
            key,
            filename: None,
            content_disposition: None,
        }
    }

    #[test]
    fn every_url_is_the_single_presign_of_its_link() {
        let endpoints = [
            endpoint(Provider::AmazonS3, None, AddressingStyle::Virtual),
            endpoint(
                Provider::Custom,
                Some("http://127.0.0.1:9000"),
                AddressingStyle::Path,
            ),
        ];
        let creds = [
            Credentials::new("AKIAIOSFODNN7EXAMPLE", "secret/+=", None),
            Credentials::new("AKIA+X=", "s", Some("tok/en+==".into())),
        ];
        let links = [
            link("a.txt"),
            PageLink {
                filename: Some("Vertrag Müller (v2).pdf"),
                ..link("uploads/42/a1b2 report (v2).pdf")
            },
            PageLink {
                content_disposition: Some("inline"),
                ..link("ü/日本/+%?#&=..")
            },
            PageLink {
                filename: Some(""),
                ..link("x/y.pdf")
            },
        ];
        let mut n = 0;
        for e in &endpoints {
            for c in &creds {
                for method in ["GET", "HEAD"] {
                    for (ct, cc, kind) in [
                        (None, None, Disposition::Attachment),
                        (
                            Some("application/pdf"),
                            Some("no-cache"),
                            Disposition::Inline,
                        ),
                    ] {
                        // Across a day boundary: the page's day key follows the time.
                        for t in [1_700_000_000, 1_700_090_000] {
                            let t = Timestamp::from_unix(t).unwrap();
                            let o = PageOptions {
                                content_type: ct,
                                cache_control: cc,
                                disposition: kind,
                                ..options(method)
                            };
                            let mut day = DayKey::new();
                            let page = presign_page(e, c, t, &o, &links, &mut day).unwrap();
                            assert_eq!(page.expires_at, t.plus(900).unwrap());
                            assert_eq!(page.urls.len(), links.len());
                            for (got, l) in page.urls.iter().zip(&links) {
                                assert_eq!(got.as_ref().unwrap(), &single(e, c, t, &o, l).unwrap());
                                n += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(n, 2 * 2 * 2 * 2 * 2 * links.len());
    }

    #[test]
    fn a_bad_link_fails_alone() {
        let e = endpoint(Provider::AmazonS3, None, AddressingStyle::Virtual);
        let c = Credentials::new("AKIAIOSFODNN7EXAMPLE", "secret", None);
        let t = Timestamp::from_unix(1_700_000_000).unwrap();
        let links = [
            link("ok.pdf"),
            link(""),
            link("line\nbreak"),
            PageLink {
                filename: Some("a.pdf"),
                content_disposition: Some("inline"),
                ..link("both.pdf")
            },
            PageLink {
                content_disposition: Some("a\r\nSet-Cookie: x"),
                ..link("header.pdf")
            },
            link("ok2.pdf"),
        ];
        let page = presign_page(&e, &c, t, &options("GET"), &links, &mut DayKey::new()).unwrap();
        let codes: Vec<Option<ErrorCode>> = page
            .urls
            .iter()
            .map(|r| r.as_ref().err().map(|e| e.code()))
            .collect();
        assert_eq!(
            codes,
            [
                None,
                Some(ErrorCode::InvalidKey),
                Some(ErrorCode::InvalidKey),
                Some(ErrorCode::InvalidArgument),
                Some(ErrorCode::InvalidArgument),
                None
            ]
        );
        // The strict check for keys we create applies to writes only.
        let dots = [link("a/../b.pdf")];
        let get = presign_page(&e, &c, t, &options("GET"), &dots, &mut DayKey::new()).unwrap();
        assert!(get.urls[0].is_ok());
        let put = presign_page(&e, &c, t, &options("PUT"), &dots, &mut DayKey::new()).unwrap();
        assert_eq!(
            put.urls[0].as_ref().unwrap_err().code(),
            ErrorCode::InvalidKey
        );
    }

    #[test]
    fn what_the_page_shares_fails_the_page() {
        let e = endpoint(Provider::AmazonS3, None, AddressingStyle::Virtual);
        let c = Credentials::new("AKIAIOSFODNN7EXAMPLE", "secret", None);
        let t = Timestamp::from_unix(1_700_000_000).unwrap();
        let one = [link("a.pdf")];
        let code = |o: PageOptions<'_>, c: &Credentials, links: &[PageLink<'_>]| {
            presign_page(&e, c, t, &o, links, &mut DayKey::new())
                .unwrap_err()
                .code()
        };
        assert_eq!(code(options("POST"), &c, &one), ErrorCode::InvalidArgument);
        for expires_in in [0, 604_801] {
            let o = PageOptions {
                expires_in,
                ..options("GET")
            };
            assert_eq!(code(o, &c, &one), ErrorCode::InvalidExpires);
        }
        let o = PageOptions {
            content_type: Some("text/plain\r\nX: y"),
            ..options("GET")
        };
        assert_eq!(code(o, &c, &one), ErrorCode::InvalidArgument);
        let o = PageOptions {
            cache_control: Some("a\nb"),
            ..options("GET")
        };
        assert_eq!(code(o, &c, &one), ErrorCode::InvalidArgument);
        let bad_id = Credentials::new("AKIA EXAMPLE", "secret", None);
        assert_eq!(
            code(options("GET"), &bad_id, &one),
            ErrorCode::InvalidArgument
        );
        let many = vec![link("a.pdf"); MAX_PAGE_LINKS + 1];
        assert_eq!(code(options("GET"), &c, &many), ErrorCode::InvalidArgument);
        let full = vec![link("a.pdf"); MAX_PAGE_LINKS];
        let page = presign_page(&e, &c, t, &options("GET"), &full, &mut DayKey::new()).unwrap();
        assert!(page.urls.iter().all(|u| u.is_ok()));
        let empty = presign_page(&e, &c, t, &options("GET"), &[], &mut DayKey::new()).unwrap();
        assert!(empty.urls.is_empty());
    }
}
