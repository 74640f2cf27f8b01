//! CreateMultipartUpload: starts an upload in parts and returns its id.

use super::put_object::new_object;
use super::{document, not_s3, ActionRequest, Response};
use crate::error::Result;
use crate::s3::error_xml::S3Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Arguments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateMultipartUpload {
    /// Object key (checked with the strict rules for keys we create).
    pub key: String,
    /// `Content-Type` of the final object.
    #[serde(default)]
    pub content_type: Option<String>,
    /// `Content-Disposition` of the final object.
    #[serde(default)]
    pub content_disposition: Option<String>,
    /// User metadata of the final object.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

impl CreateMultipartUpload {
    /// `POST /key?uploads`.
    pub fn request(&self) -> Result<ActionRequest> {
        Ok(new_object(
            "POST",
            &self.key,
            self.content_type.as_deref(),
            self.content_disposition.as_deref(),
            &self.metadata,
        )?
        .with_query(vec![("uploads".into(), String::new())]))
    }

    /// `{ bucket, key, uploadId }` from `InitiateMultipartUploadResult`.
    pub fn parse(resp: &Response<'_>) -> std::result::Result<CreateMultipartUploadOutput, S3Error> {
        let doc = document(resp, "InitiateMultipartUploadResult")?;
        let upload_id = doc
            .text_of("UploadId")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| not_s3(resp, "CreateMultipartUpload answered without an UploadId"))?;
        Ok(CreateMultipartUploadOutput {
            bucket: doc.text_of("Bucket").map(str::to_owned),
            key: doc.text_of("Key").map(str::to_owned),
            upload_id: upload_id.to_owned(),
        })
    }
}

/// Result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMultipartUploadOutput {
    /// The bucket, as S3 echoes it.
    pub bucket: Option<String>,
    /// The key, as S3 echoes it.
    pub key: Option<String>,
    /// The id every later part, complete and abort names.
    pub upload_id: String,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn aws_example() {
        // API reference, CreateMultipartUpload "Sample Response".
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
</InitiateMultipartUploadResult>"#;
        let out = CreateMultipartUpload::parse(&resp(200, &[], body)).unwrap();
        assert_eq!(out.bucket.as_deref(), Some("example-bucket"));
        assert_eq!(out.key.as_deref(), Some("example-object"));
        assert_eq!(
            out.upload_id,
            "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"
        );
        let no_id =
            "<InitiateMultipartUploadResult><Bucket>b</Bucket></InitiateMultipartUploadResult>";
        assert_eq!(
            CreateMultipartUpload::parse(&resp(200, &[], no_id))
                .unwrap_err()
                .code,
            "InvalidResponse"
        );
    }

    #[test]
    fn request_shape() {
        let req = CreateMultipartUpload {
            key: "example-object".into(),
            ..CreateMultipartUpload::default()
        }
        .request()
        .unwrap();
        let signed = sign(&req, None).unwrap();
        assert_eq!(
            signed.url,
            "https://examplebucket.s3.amazonaws.com/example-object?uploads"
        );
        assert_eq!(req.method, "POST");
    }
}
