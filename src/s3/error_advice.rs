//! S3 error responses turned into the product's one error model: an advice
//! id with a cause and a fix an admin can act on, and one retry decision.
//!
//! The texts are written for a WordPress admin, not for a developer. Where
//! the answer names the bucket, the region or the request id, the cause and
//! fix say so; otherwise they are the catalog's ([`AdviceId`]).

use super::error_xml::S3Error;
use crate::error::{AdviceId, Problem, Retry};
use crate::time::Timestamp;

/// What went wrong and what the admin should do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    /// The stable id PHP translates.
    pub id: AdviceId,
    /// Plain-language cause.
    pub cause: String,
    /// The change that makes the error go away.
    pub fix: String,
    /// Whether and how retrying may help.
    pub retry: Retry,
}

impl Advice {
    /// The catalog's texts for `id`.
    fn of(id: AdviceId, retry: Retry) -> Self {
        Advice::new(id, retry, id.cause(), id.fix())
    }

    fn new(id: AdviceId, retry: Retry, cause: impl Into<String>, fix: impl Into<String>) -> Self {
        Advice {
            id,
            cause: cause.into(),
            fix: fix.into(),
            retry,
        }
    }
}

/// A server clock further than this from ours on a 403 means the 403 is
/// probably the skew (AWS allows 15 min; some S3-compatibles are stricter,
/// and some send a plain AccessDenied for it).
const SKEW_SUSPECT_SECONDS: i64 = 5 * 60;

/// The full error object for an S3 answer: `code` is `S3_ERROR`, `s3Code`
/// the storage service's code. `now` is the caller's clock: it measures the
/// skew and resolves a `Retry-After` date.
pub fn explain(err: &S3Error, now: Option<Timestamp>) -> Problem {
    let advice = advise(err, now);
    let message = if err.message.is_empty() {
        format!("storage answered HTTP {} ({})", err.http_status, err.code)
    } else {
        err.message.clone()
    };
    let mut p = Problem::new("S3_ERROR", message, advice.retry, advice.id);
    p.cause = advice.cause;
    p.fix = advice.fix;
    p.s3_code = Some(err.code.clone());
    p.http_status = Some(err.http_status);
    p.request_id = err.request_id.clone();
    p.region = err.region.clone();
    p.bucket_region = err.bucket_region.clone();
    p.endpoint = err.endpoint.clone();
    p.server_time = err.server_time.map(Timestamp::unix);
    p.clock_skew_seconds = now.and_then(|n| err.clock_skew_seconds(n));
    p.retry_after_seconds = err.retry_after_seconds(now);
    p
}

/// Explains an [`S3Error`]. `now` is the caller's clock, used to measure the
/// skew for `RequestTimeTooSkewed`; without it the skew is measured against
/// the request time S3 echoes back.
pub fn advise(err: &S3Error, now: Option<Timestamp>) -> Advice {
    use AdviceId as A;
    use Retry::{BackOff, Never};
    let bucket = err
        .bucket
        .as_deref()
        .map(|b| format!("bucket '{b}'"))
        .unwrap_or_else(|| "bucket".to_string());
    let request_id = err
        .request_id
        .as_deref()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default();
    let wrong_region = |region: &str| {
        Advice::new(
            A::WrongRegion,
            Never,
            format!("The {bucket} is in region '{region}', not the configured one."),
            format!("Set the region to '{region}' in the storage settings."),
        )
    };

    // A 403 from a server whose clock is far from ours is the skew, whatever
    // code it chose (Garage says AccessDenied for every auth failure).
    if err.http_status == 403 && err.code != "RequestTimeTooSkewed" {
        if let Some(skew) = now.and_then(|n| err.clock_skew_seconds(n)) {
            if skew.abs() > SKEW_SUSPECT_SECONDS {
                return skew_advice(err, now);
            }
        }
    }

    match err.code.as_str() {
        // S3 uses AccessDenied for two things that are not permissions at all.
        "AccessDenied" if err.message.contains("Request has expired") => {
            Advice::of(A::PresignExpired, BackOff)
        }
        "AccessDenied" if err.message.contains("Invalid according to Policy") => Advice::new(
            A::PostPolicyViolated,
            Never,
            format!("The upload broke the rules of its upload form: {}", err.message),
            A::PostPolicyViolated.fix(),
        ),
        // A HEAD in the wrong region has no body: only the status and this header say so.
        "BadRequest" | "NotFound" | "PermanentRedirect" if err.bucket_region.is_some() => {
            wrong_region(err.bucket_region.as_deref().unwrap_or_default())
        }
        "AccessDenied" => Advice::new(
            A::AccessDenied,
            Never,
            format!("The storage service refused access to the {bucket}: the keys are valid but not allowed to do this."),
            A::AccessDenied.fix(),
        ),
        "AllAccessDisabled" => Advice::new(
            A::AllAccessDisabled,
            Never,
            format!("All access to the {bucket} has been disabled by the storage provider."),
            format!("Contact the storage provider's support{request_id}, or use another bucket."),
        ),
        "NoSuchBucket" => Advice::new(
            A::NoSuchBucket,
            Never,
            format!("The {bucket} does not exist at this endpoint."),
            A::NoSuchBucket.fix(),
        ),
        "NoSuchKey" => Advice::of(A::NoSuchKey, Never),
        "NotFound" => Advice::of(A::NotFound, Never),
        "NoSuchUpload" => Advice::of(A::NoSuchUpload, Never),
        "InvalidPart" | "InvalidPartOrder" | "EntityTooSmall" => Advice::new(
            A::MultipartInvalid,
            Never,
            format!("{} ({}: {})", A::MultipartInvalid.cause(), err.code, err.message),
            A::MultipartInvalid.fix(),
        ),
        "InvalidAccessKeyId" => Advice::of(A::InvalidAccessKey, Never),
        "SignatureDoesNotMatch" => Advice::of(A::SignatureMismatch, Never),
        "RequestTimeTooSkewed" => skew_advice(err, now),
        "AuthorizationHeaderMalformed" => match expected_region(err) {
            Some(region) => Advice::new(
                A::WrongRegion,
                Never,
                format!("The bucket is in region '{region}', but requests were signed for another region."),
                format!("Set the region to '{region}' in the storage settings."),
            ),
            None => Advice::new(
                A::AuthorizationMalformed,
                Never,
                format!("The request was signed incorrectly: {}", err.message),
                A::AuthorizationMalformed.fix(),
            ),
        },
        "PermanentRedirect" | "IllegalLocationConstraintException" => {
            match bucket_home_region(err) {
                Some(region) => wrong_region(&region),
                None => Advice::new(
                    A::WrongRegion,
                    Never,
                    format!("The {bucket} is in a different region than configured."),
                    match &err.endpoint {
                        Some(ep) => format!(
                            "Use the bucket's own region (S3 pointed to {ep}); the S3 console shows it."
                        ),
                        None => A::WrongRegion.fix().into(),
                    },
                ),
            }
        }
        "TemporaryRedirect" => Advice::new(
            A::BucketDnsPending,
            BackOff,
            format!("The {bucket} is new and its DNS name is still spreading."),
            match bucket_home_region(err) {
                Some(region) => format!("Set the region to '{region}', or wait a few minutes and retry."),
                None => A::BucketDnsPending.fix().into(),
            },
        ),
        "InvalidBucketName" => Advice::new(
            A::BucketNameInvalid,
            Never,
            format!("The name of the {bucket} is not valid for this service."),
            A::BucketNameInvalid.fix(),
        ),
        "InvalidRequest" => Advice::new(
            A::RequestRejected,
            Never,
            format!("The storage service rejected the request: {}", err.message),
            A::RequestRejected.fix(),
        ),
        "ExpiredToken" | "TokenRefreshRequired" => Advice::of(A::SessionTokenExpired, Never),
        "InvalidToken" => Advice::of(A::SessionTokenInvalid, Never),
        "AccountProblem" => Advice::new(
            A::AccountProblem,
            Never,
            A::AccountProblem.cause(),
            format!("Sign in to the provider's console or contact its support{request_id}."),
        ),
        "EntityTooLarge" => Advice::of(A::EntityTooLarge, Never),
        "InvalidDigest" | "BadDigest" | "XAmzContentSHA256Mismatch" => {
            Advice::of(A::ChecksumMismatch, BackOff)
        }
        "PreconditionFailed" | "NotModified" => Advice::of(A::PreconditionFailed, Never),
        "SlowDown" | "TooManyRequests" => Advice::new(
            A::Throttled,
            BackOff,
            format!("The storage service asks for fewer requests ({}).", err.code),
            A::Throttled.fix(),
        ),
        "ServiceUnavailable" | "InternalError" | "BadGateway" | "GatewayTimeout" => Advice::new(
            A::ServiceUnavailable,
            BackOff,
            format!("The storage service is busy or had an internal error ({}).", err.code),
            format!("Retry with back-off; no settings need to change. If it persists, contact the provider{request_id}."),
        ),
        "RequestTimeout" => Advice::of(A::UploadTooSlow, BackOff),
        "NotImplemented" => Advice::new(
            A::NotImplemented,
            Never,
            format!("The storage service does not support a feature this request used: {}", err.message),
            A::NotImplemented.fix(),
        ),
        "InvalidArgument" => {
            let argument = err
                .detail("ArgumentName")
                .map(|n| format!(" (argument {n})"))
                .unwrap_or_default();
            Advice::new(
                A::ArgumentRejected,
                Never,
                format!("The storage service rejected an argument{argument}: {}", err.message),
                A::ArgumentRejected.fix(),
            )
        }
        "MissingContentLength" => Advice::of(A::ContentLengthMissing, Never),
        // Set by the actions for a 2xx answer that is not what S3 sends.
        "InvalidResponse" => Advice::new(
            A::ResponseNotS3,
            Never,
            format!("{} ({})", A::ResponseNotS3.cause(), err.message),
            A::ResponseNotS3.fix(),
        ),
        _ => generic_advice(err),
    }
}

/// For codes we have no row for: say what S3 said, and judge by the status.
pub(crate) fn generic_advice(err: &S3Error) -> Advice {
    let said = if err.message.is_empty() {
        format!(
            "The storage service returned {} (HTTP {}).",
            err.code, err.http_status
        )
    } else {
        format!(
            "The storage service returned {} (HTTP {}): {}",
            err.code, err.http_status, err.message
        )
    };
    if crate::s3::status::retry_for_status(err.http_status) == Retry::BackOff {
        Advice::new(
            AdviceId::ServiceUnavailable,
            Retry::BackOff,
            said,
            "Retry later; if it persists, contact the storage provider.",
        )
    } else {
        Advice::new(
            AdviceId::UnknownS3Error,
            Retry::Never,
            said,
            format!(
                "Look up '{}' in the storage provider's documentation and check the storage settings.",
                err.code
            ),
        )
    }
}

fn skew_advice(err: &S3Error, now: Option<Timestamp>) -> Advice {
    // Prefer our own clock; else the signing time S3 echoed, which is our clock too.
    let ours = now.or(err.request_time);
    let skew = ours.and_then(|t| err.clock_skew_seconds(t));
    let cause = match skew {
        Some(s) if s > 0 => format!(
            "This server's clock is {s} seconds behind the storage service's; S3 accepts at most 15 minutes."
        ),
        Some(s) if s < 0 => format!(
            "This server's clock is {} seconds ahead of the storage service's; S3 accepts at most 15 minutes.",
            -s
        ),
        _ => AdviceId::ClockSkew.cause().to_string(),
    };
    Advice::new(
        AdviceId::ClockSkew,
        Retry::AfterClockFix,
        cause,
        AdviceId::ClockSkew.fix(),
    )
}

/// The region S3 names in `AuthorizationHeaderMalformed`: the `<Region>`
/// element, else "expecting 'eu-west-1'" in the message, else the header.
fn expected_region(err: &S3Error) -> Option<String> {
    if let Some(r) = err.region.as_deref().filter(|r| looks_like_region(r)) {
        return Some(r.to_string());
    }
    if let Some((_, after)) = err.message.split_once("expecting '") {
        if let Some((region, _)) = after.split_once('\'') {
            if looks_like_region(region) {
                return Some(region.to_string());
            }
        }
    }
    err.bucket_region.clone()
}

/// Where a redirected bucket lives: the header, then `<Region>`, then the
/// `<Endpoint>` host (`bucket.s3.eu-west-1.amazonaws.com`), then the first
/// region-shaped word of the message.
fn bucket_home_region(err: &S3Error) -> Option<String> {
    err.bucket_region
        .clone()
        .or_else(|| err.region.clone().filter(|r| looks_like_region(r)))
        .or_else(|| err.endpoint.as_deref().and_then(region_from_endpoint))
        .or_else(|| {
            err.message
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .find(|w| looks_like_region(w))
                .map(str::to_string)
        })
}

fn region_from_endpoint(endpoint: &str) -> Option<String> {
    let labels: Vec<&str> = endpoint.split('.').collect();
    labels.iter().enumerate().find_map(|(i, label)| {
        // `s3.eu-west-1.amazonaws.com` or the legacy `s3-eu-west-1.amazonaws.com`.
        let candidate = match label.strip_prefix("s3-") {
            Some(rest) => rest,
            None if *label == "s3" => labels.get(i + 1)?,
            None => return None,
        };
        looks_like_region(candidate).then(|| candidate.to_string())
    })
}

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-2`: two letters, words, a number.
fn looks_like_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}
