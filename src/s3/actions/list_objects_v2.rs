//! ListObjectsV2: one page of a bucket listing. Keys come URL-encoded
//! (`listing.rs`).

use super::listing::{listing_request, KeyText};
use super::{document, number, unquote_etag, ActionRequest, Response};
use crate::error::Result;
use crate::s3::error_xml::S3Error;
use serde::{Deserialize, Serialize};

/// Arguments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListObjectsV2 {
    /// Only keys starting with this.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Group keys up to this into `commonPrefixes`, e.g. `/`.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// `nextContinuationToken` of the previous page.
    #[serde(default)]
    pub continuation_token: Option<String>,
    /// Only keys after this one.
    #[serde(default)]
    pub start_after: Option<String>,
    /// 1..=1000 keys per page (S3's default 1000).
    #[serde(default)]
    pub max_keys: Option<u32>,
}

impl ListObjectsV2 {
    /// `GET /?list-type=2&…`.
    pub fn request(&self) -> Result<ActionRequest> {
        listing_request(
            ("list-type", "2"),
            &[
                ("prefix", &self.prefix),
                ("delimiter", &self.delimiter),
                ("continuation-token", &self.continuation_token),
                ("start-after", &self.start_after),
            ],
            self.max_keys.map(|n| ("max-keys", "maxKeys", n)),
        )
    }

    /// One page.
    pub fn parse(resp: &Response<'_>) -> std::result::Result<ListObjectsV2Output, S3Error> {
        let doc = document(resp, "ListBucketResult")?;
        let keys = KeyText::of(&doc);
        let text = |el, name| keys.get(el, name);
        let contents = doc
            .all("Contents")
            .map(|c| ListedObject {
                key: text(c, "Key").unwrap_or_default(),
                last_modified: c.text_of("LastModified").map(str::to_owned),
                etag: c.text_of("ETag").map(unquote_etag),
                size: number(c, "Size"),
                storage_class: c.text_of("StorageClass").map(str::to_owned),
            })
            .collect();
        Ok(ListObjectsV2Output {
            name: doc.text_of("Name").map(str::to_owned),
            prefix: text(&doc, "Prefix").filter(|p| !p.is_empty()),
            key_count: number(&doc, "KeyCount"),
            max_keys: number(&doc, "MaxKeys"),
            is_truncated: doc.text_of("IsTruncated") == Some("true"),
            next_continuation_token: doc.text_of("NextContinuationToken").map(str::to_owned),
            contents,
            common_prefixes: doc
                .all("CommonPrefixes")
                .filter_map(|p| text(p, "Prefix"))
                .collect(),
        })
    }
}

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedObject {
    /// Key.
    pub key: String,
    /// ISO 8601, as S3 sends it.
    pub last_modified: Option<String>,
    /// Unquoted ETag.
    pub etag: Option<String>,
    /// Bytes.
    pub size: Option<u64>,
    /// `STANDARD`, …
    pub storage_class: Option<String>,
}

/// Result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListObjectsV2Output {
    /// Bucket.
    pub name: Option<String>,
    /// The prefix listed, if any.
    pub prefix: Option<String>,
    /// Keys on this page.
    pub key_count: Option<u64>,
    /// Page size asked for.
    pub max_keys: Option<u64>,
    /// More pages follow.
    pub is_truncated: bool,
    /// Pass as `continuationToken` for the next page.
    pub next_continuation_token: Option<String>,
    /// The objects.
    pub contents: Vec<ListedObject>,
    /// Grouped prefixes (with a delimiter).
    pub common_prefixes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn aws_example() {
        // API reference, ListObjectsV2 "Example 1: Listing keys".
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Name>bucket</Name>
    <Prefix/>
    <KeyCount>205</KeyCount>
    <MaxKeys>1000</MaxKeys>
    <IsTruncated>false</IsTruncated>
    <Contents>
        <Key>my-image.jpg</Key>
        <LastModified>2009-10-12T17:50:30.000Z</LastModified>
        <ETag>"fba9dede5f27731c9771645a39863328"</ETag>
        <Size>434234</Size>
        <StorageClass>STANDARD</StorageClass>
    </Contents>
</ListBucketResult>"#;
        let out = ListObjectsV2::parse(&resp(200, &[], body)).unwrap();
        assert_eq!(out.name.as_deref(), Some("bucket"));
        assert_eq!(out.prefix, None);
        assert_eq!(out.key_count, Some(205));
        assert!(!out.is_truncated);
        assert_eq!(out.contents.len(), 1);
        let o = &out.contents[0];
        assert_eq!(o.key, "my-image.jpg");
        assert_eq!(o.etag.as_deref(), Some("fba9dede5f27731c9771645a39863328"));
        assert_eq!(o.size, Some(434_234));
        assert_eq!(o.last_modified.as_deref(), Some("2009-10-12T17:50:30.000Z"));
    }

    #[test]
    fn aws_example_continuation_and_url_encoding() {
        // "Example 2: Listing keys using the max-keys, prefix, and start-after
        // parameters" / continuation, with encoding-type=url as we request it.
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix>photos%2F</Prefix>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <KeyCount>2</KeyCount>
  <MaxKeys>2</MaxKeys>
  <EncodingType>url</EncodingType>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>photos/happy%20face.jpg</Key><Size>1</Size></Contents>
  <Contents><Key>photos/tab%09name+%2B1</Key><Size>2</Size></Contents>
  <CommonPrefixes><Prefix>photos/2006%2F</Prefix></CommonPrefixes>
</ListBucketResult>"#;
        let out = ListObjectsV2::parse(&resp(200, &[], body)).unwrap();
        assert!(out.is_truncated);
        assert_eq!(
            out.next_continuation_token.as_deref(),
            Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        );
        assert_eq!(out.prefix.as_deref(), Some("photos/"));
        assert_eq!(out.contents[0].key, "photos/happy face.jpg");
        assert_eq!(out.contents[1].key, "photos/tab\tname +1");
        assert_eq!(out.common_prefixes, vec!["photos/2006/".to_string()]);
    }

    #[test]
    fn request_shape() {
        let req = ListObjectsV2 {
            prefix: Some("E".into()),
            start_after: Some("ExampleGuide.pdf".into()),
            max_keys: Some(3),
            ..ListObjectsV2::default()
        }
        .request()
        .unwrap();
        assert_eq!(
            sign(&req, None).unwrap().url,
            "https://examplebucket.s3.amazonaws.com/?list-type=2&prefix=E&start-after=ExampleGuide.pdf&max-keys=3&encoding-type=url"
        );
        assert!(ListObjectsV2 {
            max_keys: Some(0),
            ..ListObjectsV2::default()
        }
        .request()
        .is_err());
    }
}
