//! PutObject: one request uploads a whole object (the sidecar streams the body).

use super::{etag_header, metadata_headers, ActionRequest, Body, Response};
use crate::error::Result;
use crate::s3::error_xml::S3Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Arguments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutObject {
    /// Object key (checked with the strict rules for keys we create).
    pub key: String,
    /// `Content-Type`; `application/octet-stream` when absent.
    #[serde(default)]
    pub content_type: Option<String>,
    /// `Content-Disposition`, e.g. from `contentDisposition()`.
    #[serde(default)]
    pub content_disposition: Option<String>,
    /// User metadata (`x-amz-meta-<name>`).
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// SHA-256 of the body, or `UNSIGNED-PAYLOAD` (https only); omitted = unsigned.
    #[serde(default)]
    pub payload_hash: Option<String>,
}

/// The request that creates an object at `key` (PutObject's `PUT`,
/// CreateMultipartUpload's `POST`): the strict key check for keys we create,
/// and the new object's type, disposition and metadata as headers.
pub(crate) fn new_object(
    method: &'static str,
    key: &str,
    content_type: Option<&str>,
    content_disposition: Option<&str>,
    metadata: &BTreeMap<String, String>,
) -> Result<ActionRequest> {
    crate::s3::validate::validate_key(key)?;
    Ok(
        ActionRequest::on_key(method, key).with_headers(object_headers(
            content_type,
            content_disposition,
            metadata,
        )),
    )
}

fn object_headers(
    content_type: Option<&str>,
    content_disposition: Option<&str>,
    metadata: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut headers = vec![(
        "Content-Type".to_owned(),
        content_type
            .filter(|t| !t.is_empty())
            .unwrap_or("application/octet-stream")
            .to_owned(),
    )];
    if let Some(d) = content_disposition {
        headers.push(("Content-Disposition".to_owned(), d.to_owned()));
    }
    headers.extend(metadata_headers(metadata));
    headers
}

impl PutObject {
    /// `PUT /key`.
    pub fn request(&self) -> Result<ActionRequest> {
        Ok(new_object(
            "PUT",
            &self.key,
            self.content_type.as_deref(),
            self.content_disposition.as_deref(),
            &self.metadata,
        )?
        .with_body(Body::caller(self.payload_hash.as_deref())?))
    }

    /// `{ etag, versionId }`.
    pub fn parse(resp: &Response<'_>) -> std::result::Result<PutObjectOutput, S3Error> {
        super::check(resp)?;
        Ok(PutObjectOutput {
            etag: etag_header(resp, "upload")?,
            version_id: resp.header("x-amz-version-id").map(str::to_owned),
        })
    }
}

/// Result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutObjectOutput {
    /// Unquoted ETag.
    pub etag: String,
    /// `x-amz-version-id` on versioned buckets.
    pub version_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn aws_example() {
        // API reference, PutObject "Sample Response": the ETag and version id headers.
        let headers = h(&[
            (
                "x-amz-id-2",
                "LriYPLdmOdAiIfgSm/F1YsViT1LW94/xUQxMsF7xiEb1a0wiIOIxl+zbwZ163pt7",
            ),
            ("x-amz-request-id", "0A49CE4060975EAC"),
            ("Date", "Wed, 12 Oct 2009 17:50:00 GMT"),
            ("ETag", "\"1b2cf535f27731c974343645a3985328\""),
            (
                "x-amz-version-id",
                "43jfkodU8493jnFJD9fjj3HHNVfdsQUIFDNsidf038jfdsjGFDSIRp",
            ),
            ("Content-Length", "0"),
        ]);
        let out = PutObject::parse(&resp(200, &headers, "")).unwrap();
        assert_eq!(out.etag, "1b2cf535f27731c974343645a3985328");
        assert_eq!(
            out.version_id.as_deref(),
            Some("43jfkodU8493jnFJD9fjj3HHNVfdsQUIFDNsidf038jfdsjGFDSIRp")
        );
        assert_eq!(
            PutObject::parse(&resp(200, &[], "")).unwrap_err().code,
            "InvalidResponse"
        );
    }

    #[test]
    fn request_shape() {
        let put = PutObject {
            key: "wpsigner/a b.pdf".into(),
            content_type: Some("application/pdf".into()),
            metadata: [("Doc".to_string(), "42".to_string())].into(),
            ..PutObject::default()
        };
        let req = put.request().unwrap();
        assert_eq!(req.method, "PUT");
        assert_eq!(
            req.headers,
            h(&[
                ("Content-Type", "application/pdf"),
                ("x-amz-meta-doc", "42")
            ])
        );
        let signed = sign(&req, None).unwrap();
        assert_eq!(
            signed.url,
            "https://examplebucket.s3.amazonaws.com/wpsigner/a%20b.pdf"
        );
        assert!(PutObject {
            key: "../x".into(),
            ..PutObject::default()
        }
        .request()
        .is_err());
    }
}
