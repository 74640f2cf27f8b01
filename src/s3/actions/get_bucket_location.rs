//! GetBucketLocation: the bucket's region. A GET, so a bad key comes back
//! with S3's error code (HeadBucket's answers have no body).

use super::{document, ActionRequest, Body, Response};
use crate::error::Result;
use crate::s3::error_xml::S3Error;
use serde::{Deserialize, Serialize};

/// Arguments (none).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetBucketLocation {}

impl GetBucketLocation {
    /// `GET /?location`.
    pub fn request(&self) -> Result<ActionRequest> {
        Ok(ActionRequest {
            method: "GET",
            key: None,
            query: vec![("location".into(), String::new())],
            headers: vec![],
            body: Body::Empty,
        })
    }

    /// `{ region, locationConstraint }`: an empty constraint is us-east-1,
    /// and the legacy `EU` is eu-west-1.
    pub fn parse(resp: &Response<'_>) -> std::result::Result<LocationOutput, S3Error> {
        let doc = document(resp, "LocationConstraint")?;
        let constraint = doc.text.trim().to_owned();
        let region = match constraint.as_str() {
            "" => "us-east-1".to_owned(),
            "EU" => "eu-west-1".to_owned(),
            other => other.to_owned(),
        };
        Ok(LocationOutput {
            region,
            location_constraint: constraint,
        })
    }
}

/// Result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationOutput {
    /// The region to configure.
    pub region: String,
    /// What S3 answered, verbatim (may be empty).
    pub location_constraint: String,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn aws_example() {
        // API reference, GetBucketLocation "Sample Response".
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
            <LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">eu-west-2</LocationConstraint>";
        let out = GetBucketLocation::parse(&resp(200, &[], body)).unwrap();
        assert_eq!(out.region, "eu-west-2");
        let us_east = "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>";
        assert_eq!(
            GetBucketLocation::parse(&resp(200, &[], us_east))
                .unwrap()
                .region,
            "us-east-1"
        );
        let eu = "<LocationConstraint>EU</LocationConstraint>";
        assert_eq!(
            GetBucketLocation::parse(&resp(200, &[], eu))
                .unwrap()
                .region,
            "eu-west-1"
        );
        let bad_key = "<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>";
        assert_eq!(
            GetBucketLocation::parse(&resp(403, &[], bad_key))
                .unwrap_err()
                .code,
            "InvalidAccessKeyId"
        );
        let req = GetBucketLocation {}.request().unwrap();
        assert_eq!(
            sign(&req, None).unwrap().url,
            "https://examplebucket.s3.amazonaws.com/?location"
        );
    }
}
