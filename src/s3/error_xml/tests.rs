//! Parser and advice tests over recorded S3 error documents.

use super::*;
use crate::error::{AdviceId, Retry};
use crate::s3::error_advice::{advise, explain, generic_advice, Advice};

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn parse(status: u16, body: &str) -> S3Error {
    parse_s3_error(status, body, &[]).unwrap()
}

fn advice(status: u16, body: &str) -> Advice {
    advise(&parse(status, body), None)
}

fn error_doc(code: &str, message: &str, extra: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
         <Message>{message}</Message>{extra}<RequestId>4442587FB7D0A2F9</RequestId>\
         <HostId>hzd8E9Pp1nQpA2bY7d0G=</HostId></Error>"
    )
}

#[test]
fn parses_a_full_error_document() {
    let body = error_doc(
        "NoSuchBucket",
        "The specified bucket does not exist",
        "<BucketName>wp-backups</BucketName>",
    );
    let err = parse_s3_error(
        404,
        &body,
        &h(&[
            ("Date", "Wed, 31 Jan 2024 12:00:00 GMT"),
            ("X-Amz-Request-Id", "ignored"),
        ]),
    )
    .unwrap();
    assert_eq!(err.http_status, 404);
    assert_eq!(err.code, "NoSuchBucket");
    assert_eq!(err.message, "The specified bucket does not exist");
    assert_eq!(err.bucket.as_deref(), Some("wp-backups"));
    assert_eq!(err.request_id.as_deref(), Some("4442587FB7D0A2F9"));
    assert_eq!(err.host_id.as_deref(), Some("hzd8E9Pp1nQpA2bY7d0G="));
    assert_eq!(err.server_time.unwrap().iso8601(), "2024-01-31T12:00:00Z");
    let a = advise(&err, None);
    assert!(a.cause.contains("'wp-backups'") && a.retry == Retry::Never);
    assert_eq!(a.id, AdviceId::NoSuchBucket);
}

#[test]
fn handles_entities_cdata_namespaces_and_whitespace() {
    let body = "<?xml version=\"1.0\"?>\n<!-- proxy -->\n\
        <s3:Error xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n  \
        <s3:Code>\n    InvalidArgument\n  </s3:Code>\n  \
        <s3:Message>a &lt;b&gt; &amp; &#x4E2D;&#25991; <![CDATA[<raw> & ]]>end</s3:Message>\n  \
        <ArgumentName>x-amz-acl</ArgumentName><Empty/>\n</s3:Error>";
    let err = parse(400, body);
    assert_eq!(err.code, "InvalidArgument");
    assert_eq!(err.message, "a <b> & 中文 <raw> & end");
    assert_eq!(err.detail("ArgumentName"), Some("x-amz-acl"));
    assert_eq!(err.detail("Empty"), Some(""));
    assert!(advise(&err, None).cause.contains("(argument x-amz-acl)"));
}

#[test]
fn rejects_what_is_not_an_error_document() {
    for body in [
        "<html><body>502 Bad Gateway</body></html>",
        "Service Unavailable",
        "<Error><Code>AccessDenied</Code>",
        "<Error><Code>X</Message></Error>",
        "<Error>&#xFFFFFFFF;</Error>",
        "<ListBucketResult></ListBucketResult>",
    ] {
        let err = parse_s3_error(502, body, &[]).expect_err(body);
        assert_eq!(err.code(), ErrorCode::InvalidXml, "{body}");
    }
    assert_eq!(parse(400, "<Error/>").code, "BadRequest");
}

#[test]
fn empty_bodies_use_status_and_headers() {
    let headers = h(&[
        ("x-amz-bucket-region", "eu-central-1"),
        ("x-amz-request-id", "TX123"),
        ("date", "Wed, 31 Jan 2024 12:00:00 GMT"),
    ]);
    let err = parse_s3_error(301, "", &headers).unwrap();
    assert_eq!(err.code, "PermanentRedirect");
    assert_eq!(err.bucket_region.as_deref(), Some("eu-central-1"));
    assert_eq!(err.request_id.as_deref(), Some("TX123"));
    let a = advise(&err, None);
    assert!(a.fix.contains("'eu-central-1'") && a.retry == Retry::Never);
    assert_eq!(a.id, AdviceId::WrongRegion);

    assert_eq!(
        parse_s3_error(403, " \n", &[]).unwrap().code,
        "AccessDenied"
    );
    assert_eq!(parse_s3_error(404, "", &[]).unwrap().code, "NotFound");
    assert_eq!(parse_s3_error(400, "", &[]).unwrap().code, "BadRequest");
    assert_eq!(parse_s3_error(418, "", &[]).unwrap().code, "Http418");
    let busy = parse_s3_error(503, "", &[]).unwrap();
    assert_eq!(advise(&busy, None).retry, Retry::BackOff);
    assert_eq!(
        parse_s3_error(429, "", &[]).unwrap().code,
        "TooManyRequests"
    );
}

#[test]
fn clock_skew_from_server_time() {
    let body = error_doc(
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
        "<RequestTime>20240131T113000Z</RequestTime><ServerTime>2024-01-31T12:00:00Z</ServerTime>\
         <MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>",
    );
    let err = parse_s3_error(403, &body, &h(&[("Date", "Wed, 31 Jan 2024 12:00:05 GMT")])).unwrap();
    assert_eq!(err.server_time.unwrap().iso8601(), "2024-01-31T12:00:00Z");
    let now = Timestamp::parse_iso8601("2024-01-31T11:30:00Z").unwrap();
    assert_eq!(err.clock_skew_seconds(now), Some(1800));
    let a = advise(&err, Some(now));
    assert!(a.cause.contains("1800 seconds behind"), "{}", a.cause);
    assert_eq!((a.retry, a.id), (Retry::AfterClockFix, AdviceId::ClockSkew));
    // Without `now`, the echoed RequestTime is used.
    assert!(advise(&err, None).cause.contains("1800 seconds behind"));
    let ahead = Timestamp::parse_iso8601("2024-01-31T12:20:00Z").unwrap();
    assert!(advise(&err, Some(ahead))
        .cause
        .contains("1200 seconds ahead"));
    assert_eq!(
        parse_aws_time("2024-01-31T12:00:00.123Z")
            .unwrap()
            .iso8601(),
        "2024-01-31T12:00:00Z"
    );
}

#[test]
fn wrong_region_names_the_right_one() {
    let body = error_doc(
        "AuthorizationHeaderMalformed",
        "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'",
        "<Region>eu-west-1</Region>",
    );
    let a = advice(400, &body);
    assert!(
        a.fix.contains("'eu-west-1'") && a.retry == Retry::Never,
        "{a:?}"
    );
    assert_eq!(a.id, AdviceId::WrongRegion);
    let no_region_element = error_doc(
        "AuthorizationHeaderMalformed",
        "the region 'us-east-1' is wrong; expecting 'ap-southeast-2'",
        "",
    );
    assert!(advice(400, &no_region_element)
        .fix
        .contains("'ap-southeast-2'"));

    let redirect = error_doc(
        "PermanentRedirect",
        "The bucket you are attempting to access must be addressed using the specified endpoint.",
        "<Endpoint>wp-backups.s3.eu-west-2.amazonaws.com</Endpoint><Bucket>wp-backups</Bucket>",
    );
    let a = advice(301, &redirect);
    assert!(
        a.fix.contains("'eu-west-2'") && a.cause.contains("'wp-backups'"),
        "{a:?}"
    );
    let legacy = error_doc(
        "PermanentRedirect",
        "m",
        "<Endpoint>b.s3-us-west-2.amazonaws.com</Endpoint>",
    );
    assert!(advice(301, &legacy).fix.contains("'us-west-2'"));

    let illegal = error_doc(
        "IllegalLocationConstraintException",
        "The eu-south-1 location constraint is incompatible for the region specific endpoint this request was sent to.",
        "",
    );
    assert!(advice(400, &illegal).fix.contains("'eu-south-1'"));

    let temp = error_doc(
        "TemporaryRedirect",
        "Please re-send this request to the specified temporary endpoint.",
        "<Endpoint>new-bucket.s3-ca-central-1.amazonaws.com</Endpoint>",
    );
    let a = advice(307, &temp);
    assert!(
        a.retry == Retry::BackOff && a.fix.contains("'ca-central-1'"),
        "{a:?}"
    );
}

#[test]
fn every_documented_code_has_specific_advice() {
    use AdviceId as A;
    use Retry::{AfterClockFix, BackOff, Never};
    // (code, status, retry, advice): the seed's troubleshooting table and more.
    let rows = [
        ("AccessDenied", 403, Never, A::AccessDenied),
        ("AllAccessDisabled", 403, Never, A::AllAccessDisabled),
        ("NoSuchBucket", 404, Never, A::NoSuchBucket),
        ("NoSuchKey", 404, Never, A::NoSuchKey),
        ("NoSuchUpload", 404, Never, A::NoSuchUpload),
        ("InvalidPart", 400, Never, A::MultipartInvalid),
        ("InvalidAccessKeyId", 403, Never, A::InvalidAccessKey),
        ("SignatureDoesNotMatch", 403, Never, A::SignatureMismatch),
        ("RequestTimeTooSkewed", 403, AfterClockFix, A::ClockSkew),
        (
            "AuthorizationHeaderMalformed",
            400,
            Never,
            A::AuthorizationMalformed,
        ),
        ("PermanentRedirect", 301, Never, A::WrongRegion),
        ("TemporaryRedirect", 307, BackOff, A::BucketDnsPending),
        ("InvalidBucketName", 400, Never, A::BucketNameInvalid),
        ("InvalidRequest", 400, Never, A::RequestRejected),
        ("ExpiredToken", 400, Never, A::SessionTokenExpired),
        ("InvalidToken", 400, Never, A::SessionTokenInvalid),
        ("AccountProblem", 403, Never, A::AccountProblem),
        ("EntityTooLarge", 400, Never, A::EntityTooLarge),
        ("InvalidDigest", 400, BackOff, A::ChecksumMismatch),
        ("BadDigest", 400, BackOff, A::ChecksumMismatch),
        (
            "XAmzContentSHA256Mismatch",
            400,
            BackOff,
            A::ChecksumMismatch,
        ),
        ("PreconditionFailed", 412, Never, A::PreconditionFailed),
        ("SlowDown", 503, BackOff, A::Throttled),
        ("TooManyRequests", 429, BackOff, A::Throttled),
        ("ServiceUnavailable", 503, BackOff, A::ServiceUnavailable),
        ("InternalError", 500, BackOff, A::ServiceUnavailable),
        ("RequestTimeout", 400, BackOff, A::UploadTooSlow),
        ("NotImplemented", 501, Never, A::NotImplemented),
        ("InvalidArgument", 400, Never, A::ArgumentRejected),
        ("MissingContentLength", 411, Never, A::ContentLengthMissing),
    ];
    for (code, status, retry, id) in rows {
        let body = error_doc(
            code,
            "Some message from S3.",
            "<BucketName>wp-backups</BucketName>",
        );
        let err = parse(status, &body);
        let a = advise(&err, None);
        assert_eq!((a.retry, a.id), (retry, id), "{code}");
        assert!(!a.cause.is_empty() && !a.fix.is_empty(), "{code}");
        assert_ne!(
            a,
            generic_advice(&err),
            "{code} fell through to generic advice"
        );
    }
    let a = advice(
        400,
        &error_doc(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            "",
        ),
    );
    assert!(a.fix.contains("access key ID"));
    let a = advice(
        403,
        &error_doc(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
            "",
        ),
    );
    assert!(a.fix.contains("secret access key"));
}

#[test]
fn unknown_codes_get_generic_advice() {
    let body = error_doc(
        "OwnershipControlsNotFoundError",
        "The bucket ownership controls were not found",
        "",
    );
    let a = advice(404, &body);
    assert!(a.cause.contains("OwnershipControlsNotFoundError"));
    assert!(a.cause.contains("ownership controls were not found"));
    assert!(a.fix.contains("'OwnershipControlsNotFoundError'"));
    assert_eq!((a.retry, a.id), (Retry::Never, AdviceId::UnknownS3Error));
    let a = advice(502, &error_doc("WeirdGatewayThing", "x", ""));
    assert_eq!(
        (a.retry, a.id),
        (Retry::BackOff, AdviceId::ServiceUnavailable)
    );
}

#[test]
fn values_are_bounded() {
    let long = "x".repeat(10_000);
    let err = parse(400, &error_doc("InvalidRequest", &long, ""));
    assert_eq!(err.message.chars().count(), MAX_VALUE_CHARS);
    let many: String = (0..100).map(|i| format!("<D{i}>v</D{i}>")).collect();
    assert_eq!(
        parse(400, &error_doc("X", "m", &many)).details.len(),
        MAX_DETAILS
    );
}

#[test]
fn access_denied_that_is_not_about_permissions() {
    let body =
        |msg: &str| format!("<Error><Code>AccessDenied</Code><Message>{msg}</Message></Error>");
    let expired = parse_s3_error(403, &body("Request has expired"), &[]).unwrap();
    let a = advise(&expired, None);
    assert!(a.cause.contains("expired") && a.retry == Retry::BackOff);
    let policy = parse_s3_error(
        403,
        &body("Invalid according to Policy: Policy Condition failed"),
        &[],
    )
    .unwrap();
    assert!(advise(&policy, None).cause.contains("upload form"));
    let head = S3Error::from_status(
        400,
        &[("x-amz-bucket-region".into(), "eu-central-1".into())],
    );
    assert!(advise(&head, None).fix.contains("'eu-central-1'"));
}

#[test]
fn explain_builds_the_wire_error() {
    let body = error_doc(
        "SlowDown",
        "Please reduce your request rate.",
        "<BucketName>wp-backups</BucketName>",
    );
    let now = Timestamp::parse_iso8601("2024-01-31T12:00:00Z").unwrap();
    let err = parse_s3_error(
        503,
        &body,
        &h(&[
            ("Retry-After", "7"),
            ("Date", "Wed, 31 Jan 2024 12:00:10 GMT"),
        ]),
    )
    .unwrap();
    let p = explain(&err, Some(now));
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["code"], "S3_ERROR");
    assert_eq!(json["s3Code"], "SlowDown");
    assert_eq!(json["retry"], "backoff");
    assert_eq!(json["retryable"], true);
    assert_eq!(json["adviceId"], "throttled");
    assert_eq!(json["httpStatus"], 503);
    assert_eq!(json["retryAfterSeconds"], 7);
    assert_eq!(json["clockSkewSeconds"], 10);
    assert_eq!(json["requestId"], "4442587FB7D0A2F9");
    assert!(json.get("permanent").is_none());
    assert!(
        json.get("bucketRegion").is_none(),
        "absent fields are left out"
    );
    let dated = parse_s3_error(
        503,
        "",
        &h(&[("Retry-After", "Wed, 31 Jan 2024 12:01:00 GMT")]),
    )
    .unwrap();
    assert_eq!(dated.retry_after_seconds(Some(now)), Some(60));
    assert_eq!(dated.retry_after_seconds(None), None);
}

#[test]
fn a_403_from_a_far_off_clock_is_skew() {
    // Garage answers AccessDenied for every auth failure, skew included.
    let err = parse_s3_error(
        403,
        &error_doc("AccessDenied", "Forbidden", ""),
        &h(&[("Date", "Wed, 31 Jan 2024 12:00:00 GMT")]),
    )
    .unwrap();
    let hour_slow = Timestamp::parse_iso8601("2024-01-31T11:00:00Z").unwrap();
    let a = advise(&err, Some(hour_slow));
    assert_eq!((a.retry, a.id), (Retry::AfterClockFix, AdviceId::ClockSkew));
    let in_sync = Timestamp::parse_iso8601("2024-01-31T12:00:30Z").unwrap();
    assert_eq!(advise(&err, Some(in_sync)).id, AdviceId::AccessDenied);
}
