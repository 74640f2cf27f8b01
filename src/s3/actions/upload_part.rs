//! UploadPart: one part of a multipart upload (the sidecar streams the bytes).

use super::{etag_header, part_number, upload_id, ActionRequest, Body, Response};
use crate::error::Result;
use crate::s3::error_xml::S3Error;
use serde::{Deserialize, Serialize};

/// Arguments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadPart {
    /// Object key.
    pub key: String,
    /// From CreateMultipartUpload.
    pub upload_id: String,
    /// 1..=10000.
    pub part_number: u32,
    /// SHA-256 of the part, or `UNSIGNED-PAYLOAD` (https only); omitted = unsigned.
    #[serde(default)]
    pub payload_hash: Option<String>,
}

impl UploadPart {
    /// `PUT /key?partNumber=N&uploadId=…`.
    pub fn request(&self) -> Result<ActionRequest> {
        Ok(ActionRequest::on_key("PUT", &self.key)
            .with_query(vec![
                ("partNumber".into(), part_number(self.part_number)?),
                ("uploadId".into(), upload_id(&self.upload_id)?),
            ])
            .with_body(Body::caller(self.payload_hash.as_deref())?))
    }

    /// `{ etag }` (unquoted; CompleteMultipartUpload quotes it again).
    pub fn parse(resp: &Response<'_>) -> std::result::Result<UploadPartOutput, S3Error> {
        super::check(resp)?;
        Ok(UploadPartOutput {
            etag: etag_header(resp, "part")?,
        })
    }
}

/// Result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadPartOutput {
    /// Unquoted ETag of the part.
    pub etag: String,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn aws_example() {
        // API reference, UploadPart "Sample Response".
        let headers = h(&[
            (
                "x-amz-id-2",
                "Vvag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==",
            ),
            ("x-amz-request-id", "656c76696e6727732072657175657374"),
            ("Date", "Mon, 1 Nov 2010 20:34:56 GMT"),
            ("ETag", "\"b54357faf0632cce46e942fa68356b38\""),
            ("Content-Length", "0"),
            ("Server", "AmazonS3"),
        ]);
        let out = UploadPart::parse(&resp(200, &headers, "")).unwrap();
        assert_eq!(out.etag, "b54357faf0632cce46e942fa68356b38");
    }

    #[test]
    fn request_shape() {
        let part = UploadPart {
            key: "my-movie.m2ts".into(),
            upload_id: "VCVsb2FkIElEIGZvciBlbZZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZR".into(),
            part_number: 1,
            payload_hash: None,
        };
        let signed = sign(&part.request().unwrap(), None).unwrap();
        assert_eq!(
            signed.url,
            "https://examplebucket.s3.amazonaws.com/my-movie.m2ts?partNumber=1&uploadId=VCVsb2FkIElEIGZvciBlbZZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZR"
        );
        assert!(UploadPart {
            part_number: 0,
            ..part.clone()
        }
        .request()
        .is_err());
        assert!(UploadPart {
            part_number: 10_001,
            ..part
        }
        .request()
        .is_err());
    }
}
