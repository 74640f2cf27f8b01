//! Fuzzes the S3 error-body parser and the advice built on it.
//!
//! Input layout: two bytes of HTTP status (big-endian), then the `Date`
//! header value up to the first NUL byte, then the body; text is decoded
//! lossily so every input exercises both parsers.

use wps3::error::{AdviceId, Retry};
use wps3::s3::error_advice::advise;
use wps3::s3::error_xml::{parse_s3_error, S3Error};
use wps3::time::Timestamp;
use wps3::ErrorCode;

/// Panics when an invariant breaks; any input is allowed.
pub fn check(data: &[u8]) {
    let Some((status, body)) = data.split_first_chunk::<2>() else {
        return;
    };
    let status = u16::from_be_bytes(*status);
    let (date, body) = match body.iter().position(|b| *b == 0) {
        Some(i) => (&body[..i], &body[i + 1..]),
        None => (&b"Wed, 31 Jan 2024 12:00:00 GMT"[..], body),
    };
    let body = String::from_utf8_lossy(body);
    let headers = vec![
        (
            "Date".to_string(),
            String::from_utf8_lossy(date).into_owned(),
        ),
        ("x-amz-bucket-region".to_string(), "eu-west-1".to_string()),
    ];
    let err = match parse_s3_error(status, &body, &headers) {
        Ok(err) => err,
        Err(e) => {
            assert_eq!(e.code(), ErrorCode::InvalidXml);
            S3Error::from_status(status, &headers)
        }
    };
    assert_eq!(err.http_status, status);
    assert!(!err.code.is_empty());
    let now = Timestamp::from_unix(1_706_700_000).ok();
    let advice = advise(&err, now);
    // Only clock skew is fixed by correcting the clock.
    assert_eq!(
        advice.retry == Retry::AfterClockFix,
        advice.id == AdviceId::ClockSkew
    );
    assert!(!advice.cause.is_empty() && !advice.fix.is_empty());
}
