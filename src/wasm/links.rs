//! `Bucket.presignPage` (feature `node`, the sidecar only): a page of links
//! signed in one call across the wasm boundary, with the bucket's day key.
//! The rules are `crate::s3::presign_page`'s; this file only converts.

use super::convert::{expires, input, invalid, output, NowInput};
use super::signing::Bucket;
use crate::error::Problem;
use crate::s3::content_disposition::Disposition;
use crate::s3::endpoint::EndpointView;
use crate::s3::presign_page::{presign_page, PageLink, PageOptions};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface PresignPageInput { now: Now; method?: 'GET' | 'PUT' | 'HEAD' | 'DELETE'; expiresIn: number; keys: string[]; filenames?: (string | null)[]; contentDispositions?: (string | null)[]; disposition?: 'attachment' | 'inline'; responseContentType?: string; responseCacheControl?: string; }
export interface PresignedPage { urls: string; errors: { index: number; error: ErrorModel }[]; expiresAt: string; endpoint: ResolvedEndpoint; }
"#;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInput {
    now: NowInput,
    #[serde(default)]
    method: Option<String>,
    expires_in: f64,
    keys: Vec<String>,
    #[serde(default)]
    filenames: Option<Vec<Option<String>>>,
    #[serde(default)]
    content_dispositions: Option<Vec<Option<String>>>,
    #[serde(default)]
    disposition: Option<String>,
    #[serde(default)]
    response_content_type: Option<String>,
    #[serde(default)]
    response_cache_control: Option<String>,
}

#[derive(Serialize)]
struct LinkError {
    index: usize,
    error: Problem,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageOut {
    /// Every URL, one per line in key order: one string across the
    /// boundary instead of one per link (a URL never holds a line break;
    /// a failed link's line is empty).
    urls: String,
    errors: Vec<LinkError>,
    expires_at: String,
    /// What the URLs point at, so a caller can check them without asking
    /// `validate-settings` in a second round trip.
    endpoint: EndpointView,
}

/// `entries[i]` as a string, when the list and the entry are given.
fn entry(entries: &Option<Vec<Option<String>>>, i: usize) -> Option<&str> {
    entries.as_ref()?.get(i)?.as_deref()
}

#[wasm_bindgen]
impl Bucket {
    /// A page of presigned links in one call: `keys`, with `filenames` (the
    /// `Content-Disposition` is built from each) or `contentDispositions`
    /// beside them, and what every link shares. Each URL equals `presignUrl`'s
    /// for the same link; `urls` holds them one per line. A link's own error
    /// is in `errors` (its line is empty); what the page shares throws.
    #[wasm_bindgen(js_name = presignPage, unchecked_return_type = "PresignedPage")]
    pub fn presign_page(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PresignPageInput")] req: JsValue,
    ) -> Result<JsValue, JsValue> {
        let req: PageInput = input(req, "presignPage")?;
        for (name, list) in [
            ("filenames", &req.filenames),
            ("contentDispositions", &req.content_dispositions),
        ] {
            if list.as_ref().is_some_and(|l| l.len() != req.keys.len()) {
                return Err(invalid(&format!(
                    "presignPage: {name} must have one entry per key"
                )));
            }
        }
        let disposition = match &req.disposition {
            Some(name) => Disposition::from_name(name)?,
            None => Disposition::Attachment,
        };
        let options = PageOptions {
            method: req.method.as_deref().unwrap_or("GET"),
            expires_in: expires(req.expires_in)?,
            disposition,
            content_type: req.response_content_type.as_deref(),
            cache_control: req.response_cache_control.as_deref(),
        };
        let links: Vec<PageLink<'_>> = req
            .keys
            .iter()
            .enumerate()
            .map(|(i, key)| PageLink {
                key,
                filename: entry(&req.filenames, i),
                content_disposition: entry(&req.content_dispositions, i),
            })
            .collect();
        let time = req.now.timestamp()?;
        let (endpoint, credentials, day) = self.parts();
        let page = presign_page(endpoint, credentials, time, &options, &links, day)?;
        let mut urls = String::with_capacity(page.urls.len() * 600);
        let mut errors = Vec::new();
        for (index, url) in page.urls.into_iter().enumerate() {
            if index > 0 {
                urls.push('\n');
            }
            match url {
                Ok(url) => urls.push_str(&url),
                Err(e) => {
                    errors.push(LinkError {
                        index,
                        error: (&e).into(),
                    });
                }
            }
        }
        output(&PageOut {
            urls,
            errors,
            expires_at: page.expires_at.iso8601(),
            endpoint: endpoint.view(),
        })
    }
}
