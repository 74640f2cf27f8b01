//! The least-privilege IAM policy for the integration.
//!
//! Backups need Put/Get/Delete/AbortMultipartUpload on `prefix*`, and the
//! bucket's open-upload listing to clean up after an interrupted attempt.
//! Test Connection also reads the bucket's region and existence (HeadBucket
//! is authorised by `s3:ListBucket`). Direct browser uploads add the multipart actions on the
//! uploads prefix. Each statement is there for a named operation, so an admin
//! can see why an action is asked for.

use crate::error::{invalid, ErrorCode, Result};
use crate::s3::endpoint::Provider;
use crate::s3::validate::validate_bucket;
use serde::Serialize;
use serde_json::{json, Value};

/// What the policy is for.
#[derive(Debug, Clone)]
pub struct PolicyRequest<'a> {
    /// Storage provider (R2 has no IAM JSON; the policy then comes with a note).
    pub provider: Provider,
    /// Region, used only to pick the ARN partition (`aws-cn`, `aws-us-gov`).
    pub region: &'a str,
    /// Bucket name (validated).
    pub bucket: &'a str,
    /// The backups' path prefix, already normalised (`wpsigner/`, or empty for the whole bucket).
    pub path_prefix: &'a str,
    /// Whether backups are written (the plugin's main feature).
    pub backups: bool,
    /// Whether browsers upload and download directly (issue 8).
    pub direct_uploads: bool,
    /// Prefix of direct uploads, relative to the bucket root.
    pub uploads_prefix: &'a str,
}

/// The policy and what an admin should know about it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// The IAM policy document.
    pub policy: Value,
    /// The same, pretty-printed, ready to paste.
    pub json: String,
    /// Stable note ids the page explains (e.g. `r2-api-token`, `lifecycle-abort-multipart`).
    pub notes: Vec<&'static str>,
    /// A lifecycle rule that cleans abandoned multipart uploads (direct uploads only).
    pub lifecycle: Option<Value>,
}

/// `arn:aws`, `arn:aws-cn` or `arn:aws-us-gov`, by region.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// IAM treats `*`, `?` and `$` in a resource as wildcards or variables; a
/// prefix containing them must match literally, which IAM spells `${*}` etc.
fn literal(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for c in part.chars() {
        match c {
            '*' | '?' | '$' => {
                out.push_str("${");
                out.push(c);
                out.push('}');
            }
            _ => out.push(c),
        }
    }
    out
}

fn check_prefix(name: &str, prefix: &str) -> Result<()> {
    if prefix.starts_with('/') || prefix.chars().any(char::is_control) {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            format!("{name} must be a relative prefix without control characters"),
        ));
    }
    Ok(())
}

/// One `Allow` statement.
fn allow(sid: &str, actions: &[&str], resource: String) -> Value {
    json!({ "Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource })
}

/// Builds the policy. Fails only on an invalid bucket or prefix.
pub fn iam_policy(req: &PolicyRequest<'_>) -> Result<Policy> {
    validate_bucket(req.bucket)?;
    check_prefix("pathPrefix", req.path_prefix)?;
    check_prefix("uploadsPrefix", req.uploads_prefix)?;
    let arn = format!("arn:{}:s3:::{}", partition(req.region), req.bucket);
    let objects = |prefix: &str| format!("{arn}/{}*", literal(prefix));
    // Bucket level: HeadBucket (Test Connection) is authorised by s3:ListBucket, GetBucketLocation
    // reads the real region, and a backup retry lists the open uploads of its key to abort what an
    // interrupted attempt left.
    let mut bucket = vec!["s3:ListBucket", "s3:GetBucketLocation"];
    if req.backups {
        bucket.push("s3:ListBucketMultipartUploads");
    }
    let mut statements = vec![allow("WPS3Bucket", &bucket, arn.clone())];
    if req.backups {
        // PutObject covers multipart Create/UploadPart/Complete; a failed or interrupted
        // multipart backup is aborted, not left billed.
        statements.push(allow(
            "WPS3Backups",
            &[
                "s3:PutObject",
                "s3:GetObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
            ],
            objects(req.path_prefix),
        ));
    }
    let mut notes = Vec::new();
    let mut lifecycle = None;
    if req.direct_uploads {
        // PutObject covers POST policy and presigned PUT uploads and multipart
        // Create/UploadPart/Complete; GetObject covers GET and HEAD.
        statements.push(allow(
            "WPS3DirectUploads",
            &[
                "s3:PutObject",
                "s3:GetObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ],
            objects(req.uploads_prefix),
        ));
        notes.push("lifecycle-abort-multipart");
        lifecycle = Some(json!({
            "Rules": [{
                "ID": "wps3-abort-incomplete-uploads",
                "Status": "Enabled",
                "Filter": { "Prefix": req.uploads_prefix },
                "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 1 },
            }],
        }));
    }
    if !req.backups && !req.direct_uploads {
        notes.push("no-features");
    }
    match req.provider {
        Provider::CloudflareR2 => notes.push("r2-api-token"),
        Provider::Wasabi => notes.push("wasabi-policy"),
        Provider::Custom => notes.push("custom-policy-dialect"),
        Provider::AmazonS3 => {}
    }
    let policy = json!({ "Version": "2012-10-17", "Statement": statements });
    let json = serde_json::to_string_pretty(&policy)
        .map_err(|e| invalid(ErrorCode::InvalidArgument, e.to_string()))?;
    Ok(Policy {
        policy,
        json,
        notes,
        lifecycle,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(prefix: &'a str, direct: bool) -> PolicyRequest<'a> {
        PolicyRequest {
            provider: Provider::AmazonS3,
            region: "eu-west-1",
            bucket: "my-bucket",
            path_prefix: prefix,
            backups: true,
            direct_uploads: direct,
            uploads_prefix: "uploads/",
        }
    }

    fn statement<'a>(p: &'a Policy, sid: &str) -> Option<&'a Value> {
        p.policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
    }

    #[test]
    fn backups_get_put_get_delete_on_the_prefix_only() {
        let p = iam_policy(&req("wpsigner/", false)).unwrap();
        let s = statement(&p, "WPS3Backups").unwrap();
        assert_eq!(
            s["Action"],
            json!([
                "s3:PutObject",
                "s3:GetObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload"
            ])
        );
        assert_eq!(s["Resource"], "arn:aws:s3:::my-bucket/wpsigner/*");
        let r = statement(&p, "WPS3Bucket").unwrap();
        assert_eq!(
            (&r["Action"], &r["Resource"]),
            (
                &json!([
                    "s3:ListBucket",
                    "s3:GetBucketLocation",
                    "s3:ListBucketMultipartUploads"
                ]),
                &json!("arn:aws:s3:::my-bucket")
            )
        );
        assert!(statement(&p, "WPS3DirectUploads").is_none());
        assert!(p.lifecycle.is_none());
        let t = statement(&p, "WPS3Bucket").unwrap();
        assert_eq!(t["Resource"], "arn:aws:s3:::my-bucket");
        assert!(p.json.contains("\"Version\": \"2012-10-17\""));
    }

    #[test]
    fn direct_uploads_add_multipart_actions_on_uploads() {
        let p = iam_policy(&req("wpsigner/", true)).unwrap();
        let s = statement(&p, "WPS3DirectUploads").unwrap();
        let actions: Vec<&str> = s["Action"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        for a in [
            "s3:PutObject",
            "s3:GetObject",
            "s3:DeleteObject",
            "s3:AbortMultipartUpload",
            "s3:ListMultipartUploadParts",
        ] {
            assert!(actions.contains(&a), "{a}");
        }
        assert_eq!(s["Resource"], "arn:aws:s3:::my-bucket/uploads/*");
        let rule = &p.lifecycle.as_ref().unwrap()["Rules"][0];
        assert_eq!(rule["Filter"]["Prefix"], "uploads/");
        assert!(p.notes.contains(&"lifecycle-abort-multipart"));
    }

    #[test]
    fn empty_prefix_means_the_whole_bucket_and_wildcards_are_literal() {
        let p = iam_policy(&req("", false)).unwrap();
        assert_eq!(
            statement(&p, "WPS3Backups").unwrap()["Resource"],
            "arn:aws:s3:::my-bucket/*"
        );
        let p = iam_policy(&req("a*b?$/", false)).unwrap();
        assert_eq!(
            statement(&p, "WPS3Backups").unwrap()["Resource"],
            "arn:aws:s3:::my-bucket/a${*}b${?}${$}/*"
        );
    }

    #[test]
    fn partitions_and_provider_notes() {
        let mut r = req("x/", false);
        r.region = "cn-north-1";
        assert!(iam_policy(&r).unwrap().json.contains("arn:aws-cn:s3:::"));
        r.region = "us-gov-west-1";
        assert!(iam_policy(&r)
            .unwrap()
            .json
            .contains("arn:aws-us-gov:s3:::"));
        r.provider = Provider::CloudflareR2;
        assert!(iam_policy(&r).unwrap().notes.contains(&"r2-api-token"));
    }

    #[test]
    fn bad_bucket_or_prefix_is_an_error_not_a_policy() {
        let mut r = req("x/", false);
        r.bucket = "Bad_Bucket";
        assert_eq!(iam_policy(&r).unwrap_err().code(), ErrorCode::InvalidBucket);
        let r = req("/abs/", false);
        assert_eq!(
            iam_policy(&r).unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
    }
}
