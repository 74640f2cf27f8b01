//! HeadObject: whether an object exists, and its size, ETag and type.
//! A 404 is an answer (`exists: false`), not an error.

use super::{http_date_iso, metadata_of, unquote_etag, ActionRequest, Response};
use crate::error::Result;
use crate::s3::error_xml::S3Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Arguments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeadObject {
    /// Object key.
    pub key: String,
}

impl HeadObject {
    /// `HEAD /key`.
    pub fn request(&self) -> Result<ActionRequest> {
        Ok(ActionRequest::on_key("HEAD", &self.key))
    }

    /// The object's headers, or `{ exists: false }` for 404.
    pub fn parse(resp: &Response<'_>) -> std::result::Result<ObjectInfo, S3Error> {
        if resp.status == 404 {
            return Ok(ObjectInfo::default());
        }
        super::check(resp)?;
        Ok(ObjectInfo::from_headers(resp))
    }
}

/// What HeadObject and GetObject report about an object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectInfo {
    /// False only for HeadObject's 404.
    pub exists: bool,
    /// `Content-Length`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Unquoted ETag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Content-Type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `Last-Modified`, ISO 8601.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// `x-amz-version-id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `Content-Range` of a ranged GetObject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_range: Option<String>,
    /// User metadata (`x-amz-meta-*`, names lower-case).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

impl ObjectInfo {
    pub(crate) fn from_headers(resp: &Response<'_>) -> ObjectInfo {
        ObjectInfo {
            exists: true,
            size: resp.header("content-length").and_then(|v| v.parse().ok()),
            etag: resp.header("etag").map(unquote_etag),
            content_type: resp.header("content-type").map(str::to_owned),
            last_modified: http_date_iso(resp.header("last-modified")),
            version_id: resp.header("x-amz-version-id").map(str::to_owned),
            content_range: resp.header("content-range").map(str::to_owned),
            metadata: metadata_of(resp),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn aws_example() {
        // API reference, HeadObject "Sample Response".
        let headers = h(&[
            ("x-amz-id-2", "ef8yU9AS1ed4OpIszj7UDNEHGran"),
            ("x-amz-request-id", "318BC8BC143432E5"),
            ("x-amz-version-id", "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd"),
            ("Date", "Wed, 28 Oct 2009 22:32:00 GMT"),
            ("Last-Modified", "Sun, 1 Jan 2006 12:00:00 GMT"),
            ("ETag", "\"fba9dede5f27731c9771645a39863328\""),
            ("Content-Length", "434234"),
            ("Content-Type", "text/plain"),
            ("x-amz-meta-doc", "42"),
            ("Connection", "close"),
            ("Server", "AmazonS3"),
        ]);
        let info = HeadObject::parse(&resp(200, &headers, "")).unwrap();
        assert!(info.exists);
        assert_eq!(info.size, Some(434_234));
        assert_eq!(
            info.etag.as_deref(),
            Some("fba9dede5f27731c9771645a39863328")
        );
        assert_eq!(info.content_type.as_deref(), Some("text/plain"));
        assert_eq!(info.last_modified.as_deref(), Some("2006-01-01T12:00:00Z"));
        assert_eq!(
            info.version_id.as_deref(),
            Some("3HL4kqtJlcpXroDTDmjVBH40Nrjfkd")
        );
        assert_eq!(info.metadata.get("doc").map(String::as_str), Some("42"));
        assert!(!HeadObject::parse(&resp(404, &[], "")).unwrap().exists);
        assert_eq!(
            HeadObject::parse(&resp(403, &[], "")).unwrap_err().code,
            "AccessDenied"
        );
        let json = serde_json::to_value(HeadObject::parse(&resp(404, &[], "")).unwrap()).unwrap();
        assert_eq!(json, serde_json::json!({ "exists": false }));
    }
}
