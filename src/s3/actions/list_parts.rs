//! ListParts: the parts of an unfinished multipart upload (to resume one).

use super::{
    document, number, page_size, part_number, unquote_etag, upload_id, ActionRequest, Response,
};
use crate::error::Result;
use crate::s3::error_xml::S3Error;
use serde::{Deserialize, Serialize};

/// Arguments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListParts {
    /// Object key.
    pub key: String,
    /// From CreateMultipartUpload.
    pub upload_id: String,
    /// 1..=1000 parts per page.
    #[serde(default)]
    pub max_parts: Option<u32>,
    /// `nextPartNumberMarker` of the previous page.
    #[serde(default)]
    pub part_number_marker: Option<u32>,
}

impl ListParts {
    /// `GET /key?uploadId=…`.
    pub fn request(&self) -> Result<ActionRequest> {
        let mut query = vec![("uploadId".to_owned(), upload_id(&self.upload_id)?)];
        if let Some(n) = self.max_parts {
            query.push(("max-parts".into(), page_size("maxParts", n)?));
        }
        if let Some(m) = self.part_number_marker {
            query.push(("part-number-marker".into(), part_number(m)?));
        }
        Ok(ActionRequest::on_key("GET", &self.key).with_query(query))
    }

    /// One page of parts.
    pub fn parse(resp: &Response<'_>) -> std::result::Result<ListPartsOutput, S3Error> {
        let doc = document(resp, "ListPartsResult")?;
        Ok(ListPartsOutput {
            bucket: doc.text_of("Bucket").map(str::to_owned),
            key: doc.text_of("Key").map(str::to_owned),
            upload_id: doc.text_of("UploadId").map(str::to_owned),
            part_number_marker: number(&doc, "PartNumberMarker"),
            next_part_number_marker: number(&doc, "NextPartNumberMarker"),
            max_parts: number(&doc, "MaxParts"),
            is_truncated: doc.text_of("IsTruncated") == Some("true"),
            parts: doc
                .all("Part")
                .map(|p| ListedPart {
                    part_number: number(p, "PartNumber").unwrap_or(0),
                    last_modified: p.text_of("LastModified").map(str::to_owned),
                    etag: p.text_of("ETag").map(unquote_etag),
                    size: number(p, "Size"),
                })
                .collect(),
        })
    }
}

/// One uploaded part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedPart {
    /// 1..=10000.
    pub part_number: u32,
    /// ISO 8601.
    pub last_modified: Option<String>,
    /// Unquoted ETag.
    pub etag: Option<String>,
    /// Bytes.
    pub size: Option<u64>,
}

/// Result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPartsOutput {
    /// Bucket.
    pub bucket: Option<String>,
    /// Key.
    pub key: Option<String>,
    /// Upload id.
    pub upload_id: Option<String>,
    /// Where this page started.
    pub part_number_marker: Option<u32>,
    /// Pass as `partNumberMarker` for the next page.
    pub next_part_number_marker: Option<u32>,
    /// Page size.
    pub max_parts: Option<u32>,
    /// More pages follow.
    pub is_truncated: bool,
    /// The parts.
    pub parts: Vec<ListedPart>,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn aws_example() {
        // API reference, ListParts "Sample Response".
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>
  <Initiator>
      <ID>arn:aws:iam::111122223333:user/some-user-11116a31-17b5-4fb7-9df5-b288870f11xx</ID>
      <DisplayName>umat-user-11116a31-17b5-4fb7-9df5-b288870f11xx</DisplayName>
  </Initiator>
  <Owner>
    <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
    <DisplayName>someName</DisplayName>
  </Owner>
  <StorageClass>STANDARD</StorageClass>
  <PartNumberMarker>1</PartNumberMarker>
  <NextPartNumberMarker>3</NextPartNumberMarker>
  <MaxParts>2</MaxParts>
  <IsTruncated>true</IsTruncated>
  <Part>
    <PartNumber>2</PartNumber>
    <LastModified>2010-11-10T20:48:34.000Z</LastModified>
    <ETag>"7778aef83f66abc1fa1e8477f296d394"</ETag>
    <Size>10485760</Size>
  </Part>
  <Part>
    <PartNumber>3</PartNumber>
    <LastModified>2010-11-10T20:48:33.000Z</LastModified>
    <ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag>
    <Size>10485760</Size>
  </Part>
</ListPartsResult>"#;
        let out = ListParts::parse(&resp(200, &[], body)).unwrap();
        assert_eq!(
            out.upload_id.as_deref(),
            Some("XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA")
        );
        assert_eq!(
            (
                out.part_number_marker,
                out.next_part_number_marker,
                out.max_parts
            ),
            (Some(1), Some(3), Some(2))
        );
        assert!(out.is_truncated);
        assert_eq!(out.parts.len(), 2, "Owner/Initiator are not parts");
        assert_eq!(out.parts[0].part_number, 2);
        assert_eq!(
            out.parts[0].etag.as_deref(),
            Some("7778aef83f66abc1fa1e8477f296d394")
        );
        assert_eq!(out.parts[1].size, Some(10_485_760));
        let req = ListParts {
            key: "example-object".into(),
            upload_id: "XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA".into(),
            max_parts: Some(2),
            part_number_marker: Some(1),
        }
        .request()
        .unwrap();
        assert!(sign(&req, None).unwrap().url.ends_with(
            "/example-object?uploadId=XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA&max-parts=2&part-number-marker=1"
        ));
    }
}
