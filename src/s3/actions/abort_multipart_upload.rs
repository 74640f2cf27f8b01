//! AbortMultipartUpload: drops an unfinished upload and its parts.

use super::{upload_id, ActionRequest, Response};
use crate::error::Result;
use crate::s3::error_xml::S3Error;
use serde::{Deserialize, Serialize};

/// Arguments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AbortMultipartUpload {
    /// Object key.
    pub key: String,
    /// From CreateMultipartUpload.
    pub upload_id: String,
}

impl AbortMultipartUpload {
    /// `DELETE /key?uploadId=…`.
    pub fn request(&self) -> Result<ActionRequest> {
        Ok(ActionRequest::on_key("DELETE", &self.key)
            .with_query(vec![("uploadId".into(), upload_id(&self.upload_id)?)]))
    }

    /// `{ aborted: true }` for 204 (and any 2xx).
    pub fn parse(resp: &Response<'_>) -> std::result::Result<AbortOutput, S3Error> {
        super::check(resp)?;
        Ok(AbortOutput { aborted: true })
    }
}

/// Result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbortOutput {
    /// Always true on success.
    pub aborted: bool,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn aws_example() {
        // API reference, AbortMultipartUpload "Sample Response": 204 No Content.
        let headers = h(&[
            (
                "x-amz-id-2",
                "Weag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==",
            ),
            ("x-amz-request-id", "996c76696e6727732072657175657374"),
            ("Date", "Mon, 1 Nov 2010 20:34:56 GMT"),
            ("Content-Length", "0"),
            ("Server", "AmazonS3"),
        ]);
        assert!(
            AbortMultipartUpload::parse(&resp(204, &headers, ""))
                .unwrap()
                .aborted
        );
        let gone = "<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>";
        assert_eq!(
            AbortMultipartUpload::parse(&resp(404, &[], gone))
                .unwrap_err()
                .code,
            "NoSuchUpload"
        );
        let req = AbortMultipartUpload {
            key: "example-object".into(),
            upload_id: "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZ".into(),
        }
        .request()
        .unwrap();
        assert_eq!(req.method, "DELETE");
        assert!(sign(&req, None)
            .unwrap()
            .url
            .ends_with("?uploadId=VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZ"));
    }
}
