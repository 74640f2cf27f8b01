//! CompleteMultipartUpload: assembles the uploaded parts into the object.
//! The request body is XML written with quick-xml; the answer may be an
//! error document inside a 200, which is that error.

use super::{document, part_number, unquote_etag, upload_id, ActionRequest, Body, Response};
use crate::error::{invalid, ErrorCode, Result};
use crate::s3::error_xml::S3Error;
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use serde::{Deserialize, Serialize};

/// One uploaded part.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompletedPart {
    /// 1..=10000.
    pub part_number: u32,
    /// The part's ETag, quoted or not.
    pub etag: String,
}

/// Arguments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompleteMultipartUpload {
    /// Object key.
    pub key: String,
    /// From CreateMultipartUpload.
    pub upload_id: String,
    /// Every part, in ascending part-number order.
    pub parts: Vec<CompletedPart>,
}

impl CompleteMultipartUpload {
    /// `POST /key?uploadId=…` with the part list.
    pub fn request(&self) -> Result<ActionRequest> {
        crate::s3::validate::validate_key(&self.key)?;
        if self.parts.is_empty() {
            return Err(invalid(
                ErrorCode::InvalidArgument,
                "parts must list at least one part",
            ));
        }
        if self
            .parts
            .windows(2)
            .any(|w| w[0].part_number >= w[1].part_number)
        {
            return Err(invalid(
                ErrorCode::InvalidArgument,
                "parts must be in ascending partNumber order, each once",
            ));
        }
        Ok(ActionRequest::on_key("POST", &self.key)
            .with_query(vec![("uploadId".into(), upload_id(&self.upload_id)?)])
            .with_headers(vec![("Content-Type".into(), "application/xml".into())])
            .with_body(Body::Core(self.body()?)))
    }

    /// The `<CompleteMultipartUpload>` document.
    fn body(&self) -> Result<String> {
        let mut w = Writer::new(Vec::new());
        let written = (|| -> std::io::Result<()> {
            w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
            w.create_element("CompleteMultipartUpload")
                .with_attribute(("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/"))
                .write_inner_content(|w| {
                    for part in &self.parts {
                        let number = part_number(part.part_number)
                            .map_err(|e| std::io::Error::other(e.message().to_owned()))?;
                        let etag = format!("\"{}\"", unquote_etag(&part.etag));
                        w.create_element("Part").write_inner_content(|w| {
                            w.create_element("PartNumber")
                                .write_text_content(BytesText::new(&number))?;
                            w.create_element("ETag")
                                .write_text_content(BytesText::new(&etag))?;
                            Ok(())
                        })?;
                    }
                    Ok(())
                })?;
            Ok(())
        })();
        written.map_err(|e| invalid(ErrorCode::InvalidArgument, e.to_string()))?;
        String::from_utf8(w.into_inner())
            .map_err(|_| invalid(ErrorCode::InvalidArgument, "an ETag is not UTF-8"))
    }

    /// `{ location, bucket, key, etag }`.
    pub fn parse(
        resp: &Response<'_>,
    ) -> std::result::Result<CompleteMultipartUploadOutput, S3Error> {
        let doc = document(resp, "CompleteMultipartUploadResult")?;
        Ok(CompleteMultipartUploadOutput {
            location: doc.text_of("Location").map(str::to_owned),
            bucket: doc.text_of("Bucket").map(str::to_owned),
            key: doc.text_of("Key").map(str::to_owned),
            etag: doc
                .text_of("ETag")
                .filter(|e| !e.is_empty())
                .or(resp.header("etag"))
                .map(unquote_etag),
            version_id: resp.header("x-amz-version-id").map(str::to_owned),
        })
    }
}

/// Result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteMultipartUploadOutput {
    /// The object's URL.
    pub location: Option<String>,
    /// The bucket.
    pub bucket: Option<String>,
    /// The key.
    pub key: Option<String>,
    /// Unquoted ETag of the whole object (`…-N` for N parts).
    pub etag: Option<String>,
    /// `x-amz-version-id` on versioned buckets.
    pub version_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn complete() -> CompleteMultipartUpload {
        CompleteMultipartUpload {
            key: "example-object".into(),
            upload_id: "AAAsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA".into(),
            parts: vec![
                CompletedPart {
                    part_number: 1,
                    etag: "\"a54357aff0632cce46d942af68356b38\"".into(),
                },
                CompletedPart {
                    part_number: 2,
                    etag: "0c78aef83f66abc1fa1e8477f296d394".into(),
                },
            ],
        }
    }

    #[test]
    fn aws_example_request_body() {
        // API reference, CompleteMultipartUpload "Sample Request" part list.
        let req = complete().request().unwrap();
        let Body::Core(body) = &req.body else {
            panic!("the core builds the body")
        };
        assert_eq!(
            body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Part><PartNumber>1</PartNumber><ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag></Part>\
             <Part><PartNumber>2</PartNumber><ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag></Part>\
             </CompleteMultipartUpload>"
        );
        let signed = sign(&req, None).unwrap();
        assert_eq!(signed.body.as_deref(), Some(body.as_str()));
        assert!(signed.url.ends_with(
            "/example-object?uploadId=AAAsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"
        ));
    }

    #[test]
    fn escapes_what_it_writes() {
        let mut c = complete();
        c.parts.truncate(1);
        c.parts[0].etag = "a<b>&c".into();
        let Body::Core(body) = c.request().unwrap().body else {
            panic!()
        };
        assert!(
            body.contains("<ETag>&quot;a&lt;b&gt;&amp;c&quot;</ETag>"),
            "{body}"
        );
        let doc = super::super::xml::parse(&body).unwrap();
        assert_eq!(
            doc.child("Part").unwrap().text_of("ETag"),
            Some("\"a<b>&c\"")
        );
    }

    #[test]
    fn refuses_bad_part_lists() {
        let mut c = complete();
        c.parts.swap(0, 1);
        assert!(c.request().is_err());
        c.parts.clear();
        assert!(c.request().is_err());
        let mut c = complete();
        c.parts[1].part_number = 1;
        assert!(c.request().is_err());
    }

    #[test]
    fn aws_example_responses() {
        // API reference, CompleteMultipartUpload "Sample Response".
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Location>http://Example-Bucket.s3.Region.amazonaws.com/Example-Object</Location>
  <Bucket>Example-Bucket</Bucket>
  <Key>Example-Object</Key>
  <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
</CompleteMultipartUploadResult>"#;
        let out = CompleteMultipartUpload::parse(&resp(200, &[], body)).unwrap();
        assert_eq!(
            out.etag.as_deref(),
            Some("3858f62230ac3c915f300c664312c11f-9")
        );
        assert_eq!(out.bucket.as_deref(), Some("Example-Bucket"));
        assert_eq!(out.key.as_deref(), Some("Example-Object"));
        // "Sample Response with Error Specified in Header": a 200 carrying an error.
        let error = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>InternalError</Code>
  <Message>We encountered an internal error. Please try again.</Message>
  <RequestId>656c76696e6727732072657175657374</RequestId>
  <HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>
</Error>"#;
        let err = CompleteMultipartUpload::parse(&resp(200, &[], error)).unwrap_err();
        assert_eq!(err.code, "InternalError");
        assert_eq!(
            err.request_id.as_deref(),
            Some("656c76696e6727732072657175657374")
        );
        let advice = crate::s3::error_advice::advise(&err, None);
        assert_eq!(advice.retry, crate::error::Retry::BackOff);
    }
}
