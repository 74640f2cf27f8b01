//! HeadBucket: whether the bucket exists and may be used, and its region
//! (`x-amz-bucket-region`, sent even with 301 and 403).

use super::{ActionRequest, Body, Response};
use crate::error::Result;
use crate::s3::error_xml::S3Error;
use serde::{Deserialize, Serialize};

/// Arguments (none).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadBucket {}

impl HeadBucket {
    /// `HEAD /` of the bucket.
    pub fn request(&self) -> Result<ActionRequest> {
        Ok(ActionRequest {
            method: "HEAD",
            key: None,
            query: vec![],
            headers: vec![],
            body: Body::Empty,
        })
    }

    /// `{ bucketRegion }`. A bodiless 404 here means the bucket, so it is
    /// `NoSuchBucket`, not the generic `NotFound`.
    pub fn parse(resp: &Response<'_>) -> std::result::Result<HeadBucketOutput, S3Error> {
        if let Err(mut err) = super::check(resp) {
            if err.code == "NotFound" {
                err.code = "NoSuchBucket".into();
            }
            return Err(err);
        }
        Ok(HeadBucketOutput {
            bucket_region: resp.header("x-amz-bucket-region").map(str::to_owned),
        })
    }
}

/// Result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeadBucketOutput {
    /// Where the bucket lives, when the service says.
    pub bucket_region: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::error::AdviceId;
    use crate::s3::error_advice::advise;

    #[test]
    fn aws_example() {
        // API reference, HeadBucket: 200 with x-amz-bucket-region.
        let headers = h(&[
            (
                "x-amz-id-2",
                "JuKZqmXuiwFeDQxhD7M8KtsKobSzWA1QEjLbTMTagkKdBX2z7Il/jGhDeJ3j6s80",
            ),
            ("x-amz-request-id", "32FE2CEB32F5EE25"),
            ("x-amz-bucket-region", "us-west-2"),
            ("x-amz-access-point-alias", "false"),
            ("Date", "Fri, 10 2012 21:34:56 GMT"),
            ("Server", "AmazonS3"),
        ]);
        let out = HeadBucket::parse(&resp(200, &headers, "")).unwrap();
        assert_eq!(out.bucket_region.as_deref(), Some("us-west-2"));

        let missing = HeadBucket::parse(&resp(404, &[], "")).unwrap_err();
        assert_eq!(missing.code, "NoSuchBucket");
        assert_eq!(advise(&missing, None).id, AdviceId::NoSuchBucket);
        // Signed for the wrong region: 301 (or 400) with the bucket's region.
        let moved = h(&[("x-amz-bucket-region", "eu-west-1")]);
        let err = HeadBucket::parse(&resp(301, &moved, "")).unwrap_err();
        let a = advise(&err, None);
        assert_eq!(a.id, AdviceId::WrongRegion);
        assert!(a.fix.contains("'eu-west-1'"));
        let req = HeadBucket {}.request().unwrap();
        assert_eq!(
            sign(&req, None).unwrap().url,
            "https://examplebucket.s3.amazonaws.com/"
        );
    }
}
