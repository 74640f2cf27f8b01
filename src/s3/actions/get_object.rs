//! GetObject: downloads an object (the sidecar moves the body; the core
//! reads the headers), optionally a byte range.

use super::head_object::ObjectInfo;
use super::{ActionRequest, Response};
use crate::error::{invalid, ErrorCode, Result};
use crate::s3::error_xml::S3Error;
use serde::Deserialize;

/// Arguments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetObject {
    /// Object key.
    pub key: String,
    /// `Range`, e.g. `bytes=0-9`.
    #[serde(default)]
    pub range: Option<String>,
}

impl GetObject {
    /// `GET /key`.
    pub fn request(&self) -> Result<ActionRequest> {
        let mut headers = vec![];
        if let Some(range) = &self.range {
            let ok = range.strip_prefix("bytes=").is_some_and(|r| {
                !r.is_empty()
                    && r.bytes()
                        .all(|b| b.is_ascii_digit() || b == b'-' || b == b',')
            });
            if !ok {
                return Err(invalid(
                    ErrorCode::InvalidArgument,
                    format!("range '{range}' is not 'bytes=first-last'"),
                ));
            }
            headers.push(("Range".to_owned(), range.clone()));
        }
        Ok(ActionRequest::on_key("GET", &self.key).with_headers(headers))
    }

    /// The object's headers (200, or 206 for a range).
    pub fn parse(resp: &Response<'_>) -> std::result::Result<ObjectInfo, S3Error> {
        super::check(resp)?;
        Ok(ObjectInfo::from_headers(resp))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn aws_example() {
        // API reference, GetObject "Sample Response: with a Range header".
        let headers = h(&[
            (
                "x-amz-id-2",
                "MzRISOwyjmnupCzjI1WC06l5TTAzm7/JypPGXLh0OVFGcJaaO3KW/hRAqKOpIEEp",
            ),
            ("x-amz-request-id", "47622117804B3E11"),
            ("Date", "Fri, 28 Jan 2011 21:32:09 GMT"),
            ("x-amz-meta-title", "the title"),
            ("Last-Modified", "Fri, 28 Jan 2011 20:10:32 GMT"),
            ("ETag", "\"b2419b1e3fd45d596ee22bdf62aaaa2f\""),
            ("Accept-Ranges", "bytes"),
            ("Content-Range", "bytes 0-9/443"),
            ("Content-Type", "text/plain"),
            ("Content-Length", "10"),
            ("Server", "AmazonS3"),
        ]);
        let info = GetObject::parse(&resp(206, &headers, "")).unwrap();
        assert_eq!(info.size, Some(10));
        assert_eq!(info.content_range.as_deref(), Some("bytes 0-9/443"));
        assert_eq!(
            info.etag.as_deref(),
            Some("b2419b1e3fd45d596ee22bdf62aaaa2f")
        );
        assert_eq!(info.last_modified.as_deref(), Some("2011-01-28T20:10:32Z"));
        assert_eq!(
            info.metadata.get("title").map(String::as_str),
            Some("the title")
        );
        let missing = "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>";
        assert_eq!(
            GetObject::parse(&resp(404, &[], missing)).unwrap_err().code,
            "NoSuchKey"
        );
    }

    #[test]
    fn ranges_are_checked() {
        let get = |range: &str| {
            GetObject {
                key: "k".into(),
                range: Some(range.into()),
            }
            .request()
        };
        assert_eq!(
            get("bytes=0-9").unwrap().headers,
            h(&[("Range", "bytes=0-9")])
        );
        for bad in ["0-9", "bytes=", "bytes=a-b", "bytes=0-9\r\nX: y"] {
            assert!(get(bad).is_err(), "{bad}");
        }
    }
}
