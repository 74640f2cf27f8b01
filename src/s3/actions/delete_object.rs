//! DeleteObject: removes an object. S3 answers 204 whether or not it existed.

use super::{ActionRequest, Response};
use crate::error::Result;
use crate::s3::error_xml::S3Error;
use serde::{Deserialize, Serialize};

/// Arguments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteObject {
    /// Object key.
    pub key: String,
}

impl DeleteObject {
    /// `DELETE /key`.
    pub fn request(&self) -> Result<ActionRequest> {
        Ok(ActionRequest::on_key("DELETE", &self.key))
    }

    /// `{ deleted: true }`.
    pub fn parse(resp: &Response<'_>) -> std::result::Result<DeleteOutput, S3Error> {
        super::check(resp)?;
        Ok(DeleteOutput { deleted: true })
    }
}

/// Result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeleteOutput {
    /// Always true on success.
    pub deleted: bool,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn aws_example() {
        // API reference, DeleteObject "Sample Response": 204 No Content.
        let headers = h(&[
            (
                "x-amz-id-2",
                "LriYPLdmOdAiIfgSm/F1YsViT1LW94/xUQxMsF7xiEb1a0wiIOIxl+zbwZ163pt7",
            ),
            ("x-amz-request-id", "0A49CE4060975EAC"),
            ("Date", "Wed, 12 Oct 2009 17:50:00 GMT"),
            ("Content-Length", "0"),
            ("Connection", "close"),
            ("Server", "AmazonS3"),
        ]);
        assert!(
            DeleteObject::parse(&resp(204, &headers, ""))
                .unwrap()
                .deleted
        );
        let denied = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
        let err = DeleteObject::parse(&resp(403, &[], denied)).unwrap_err();
        assert_eq!((err.code.as_str(), err.http_status), ("AccessDenied", 403));
        let req = DeleteObject {
            key: "my-second-image.jpg".into(),
        }
        .request()
        .unwrap();
        assert_eq!(
            sign(&req, None).unwrap().url,
            "https://examplebucket.s3.amazonaws.com/my-second-image.jpg"
        );
    }
}
