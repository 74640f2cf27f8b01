//! ListMultipartUploads: the unfinished multipart uploads of a bucket, to
//! abort the ones an interrupted backup left behind (their parts are stored,
//! and billed, until they are completed or aborted). Keys are requested
//! URL-encoded (`listing.rs`).

use super::listing::{listing_request, KeyText};
use super::{document, number, ActionRequest, Response};
use crate::error::Result;
use crate::s3::error_xml::S3Error;
use serde::{Deserialize, Serialize};

/// Arguments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListMultipartUploads {
    /// Only uploads of keys starting with this.
    #[serde(default)]
    pub prefix: Option<String>,
    /// `nextKeyMarker` of the previous page.
    #[serde(default)]
    pub key_marker: Option<String>,
    /// `nextUploadIdMarker` of the previous page (with `keyMarker`).
    #[serde(default)]
    pub upload_id_marker: Option<String>,
    /// 1..=1000 uploads per page (S3's default 1000).
    #[serde(default)]
    pub max_uploads: Option<u32>,
}

impl ListMultipartUploads {
    /// `GET /?uploads&…`.
    pub fn request(&self) -> Result<ActionRequest> {
        listing_request(
            ("uploads", ""),
            &[
                ("prefix", &self.prefix),
                ("key-marker", &self.key_marker),
                ("upload-id-marker", &self.upload_id_marker),
            ],
            self.max_uploads.map(|n| ("max-uploads", "maxUploads", n)),
        )
    }

    /// One page of uploads.
    pub fn parse(resp: &Response<'_>) -> std::result::Result<ListMultipartUploadsOutput, S3Error> {
        let doc = document(resp, "ListMultipartUploadsResult")?;
        let keys = KeyText::of(&doc);
        let text = |el, name| keys.get(el, name);
        Ok(ListMultipartUploadsOutput {
            bucket: doc.text_of("Bucket").map(str::to_owned),
            is_truncated: doc.text_of("IsTruncated") == Some("true"),
            next_key_marker: text(&doc, "NextKeyMarker").filter(|m| !m.is_empty()),
            next_upload_id_marker: doc
                .text_of("NextUploadIdMarker")
                .filter(|m| !m.is_empty())
                .map(str::to_owned),
            max_uploads: number(&doc, "MaxUploads"),
            uploads: doc
                .all("Upload")
                .map(|u| OpenUpload {
                    key: text(u, "Key").unwrap_or_default(),
                    upload_id: u.text_of("UploadId").unwrap_or_default().to_owned(),
                    initiated: u.text_of("Initiated").map(str::to_owned),
                })
                .collect(),
        })
    }
}

/// One unfinished multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenUpload {
    /// Object key.
    pub key: String,
    /// Pass to AbortMultipartUpload or ListParts.
    pub upload_id: String,
    /// ISO 8601, as S3 sends it.
    pub initiated: Option<String>,
}

/// Result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMultipartUploadsOutput {
    /// Bucket.
    pub bucket: Option<String>,
    /// More pages follow.
    pub is_truncated: bool,
    /// Pass as `keyMarker` for the next page.
    pub next_key_marker: Option<String>,
    /// Pass as `uploadIdMarker` for the next page.
    pub next_upload_id_marker: Option<String>,
    /// Page size.
    pub max_uploads: Option<u32>,
    /// The uploads, by key then by initiation time.
    pub uploads: Vec<OpenUpload>,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn aws_example() {
        // API reference, ListMultipartUploads "Sample Response" (owners and
        // initiators shortened; they are not read).
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>bucket</Bucket>
  <KeyMarker></KeyMarker>
  <UploadIdMarker></UploadIdMarker>
  <NextKeyMarker>my-movie.m2ts</NextKeyMarker>
  <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>
  <MaxUploads>3</MaxUploads>
  <IsTruncated>true</IsTruncated>
  <Upload>
    <Key>my-divisor</Key>
    <UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>
    <Initiator><ID>arn:aws:iam::111122223333:user/user1</ID><DisplayName>user1</DisplayName></Initiator>
    <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>OwnerDisplayName</DisplayName></Owner>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
  <Upload>
    <Key>my-movie.m2ts</Key>
    <UploadId>VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
  <Upload>
    <Key>my-movie.m2ts</Key>
    <UploadId>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</UploadId>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2008-11-10T20:48:33.000Z</Initiated>
  </Upload>
</ListMultipartUploadsResult>"#;
        let out = ListMultipartUploads::parse(&resp(200, &[], body)).unwrap();
        assert_eq!(out.bucket.as_deref(), Some("bucket"));
        assert!(out.is_truncated);
        assert_eq!(out.next_key_marker.as_deref(), Some("my-movie.m2ts"));
        assert_eq!(
            out.next_upload_id_marker.as_deref(),
            Some("YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ")
        );
        assert_eq!(out.max_uploads, Some(3));
        let keys: Vec<&str> = out.uploads.iter().map(|u| u.key.as_str()).collect();
        assert_eq!(keys, ["my-divisor", "my-movie.m2ts", "my-movie.m2ts"]);
        assert_eq!(
            out.uploads[0].upload_id,
            "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw"
        );
        assert_eq!(
            out.uploads[2].initiated.as_deref(),
            Some("2008-11-10T20:48:33.000Z")
        );
    }

    #[test]
    fn url_encoded_keys_and_empty_page() {
        let body = r#"<ListMultipartUploadsResult><Bucket>b</Bucket><EncodingType>url</EncodingType>
<IsTruncated>false</IsTruncated><NextKeyMarker></NextKeyMarker>
<Upload><Key>wpsigner/Vertrag%20%C3%BC+%2B1.pdf</Key><UploadId>u1</UploadId></Upload>
</ListMultipartUploadsResult>"#;
        let out = ListMultipartUploads::parse(&resp(200, &[], body)).unwrap();
        assert!(!out.is_truncated);
        assert_eq!(out.next_key_marker, None);
        assert_eq!(out.uploads[0].key, "wpsigner/Vertrag ü +1.pdf");
        let none = ListMultipartUploads::parse(&resp(
            200,
            &[],
            "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>",
        ))
        .unwrap();
        assert!(none.uploads.is_empty());
        assert!(ListMultipartUploads::parse(&resp(200, &[], "<ListBucketResult/>")).is_err());
    }

    #[test]
    fn request_shape() {
        let req = ListMultipartUploads {
            prefix: Some("wpsigner/a b.pdf".into()),
            max_uploads: Some(3),
            ..ListMultipartUploads::default()
        }
        .request()
        .unwrap();
        assert_eq!(
            sign(&req, None).unwrap().url,
            "https://examplebucket.s3.amazonaws.com/?uploads&prefix=wpsigner%2Fa%20b.pdf&max-uploads=3&encoding-type=url"
        );
        assert!(ListMultipartUploads {
            max_uploads: Some(1001),
            ..ListMultipartUploads::default()
        }
        .request()
        .is_err());
    }
}
