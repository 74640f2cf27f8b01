//! S3 error responses, parsed and turned into advice an admin can act on.
//!
//! S3 reports failures as a small XML document:
//!
//! ```xml
//! <?xml version="1.0" encoding="UTF-8"?>
//! <Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>
//!   <BucketName>backups</BucketName><RequestId>4442587FB7D0A2F9</RequestId></Error>
//! ```
//!
//! but `HEAD` responses carry no body at all, so the code is then derived from
//! the HTTP status, and the `x-amz-bucket-region` header fills in the region.
//! The parser is quick-xml, so entities, CDATA, namespaces and XML
//! declarations are handled as XML, not as text patterns.
//!
//! [`advise`] maps the code to a cause, a fix, and whether retrying can help.
//! The texts are written for a WordPress admin, not for a developer.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::Reader;

use crate::error::{invalid, ErrorCode, Result};
use crate::time::Timestamp;

/// Longest value kept from any one element, so a hostile or broken body
/// cannot fill logs and admin notices.
const MAX_VALUE_CHARS: usize = 4096;
/// Most unrecognised elements kept in [`S3Error::details`].
const MAX_DETAILS: usize = 32;

/// One S3 error response, from its body when it has one, else from its status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct S3Error {
    /// HTTP status of the response.
    pub http_status: u16,
    /// S3 error code, e.g. `NoSuchBucket`; derived from the status when the body is empty.
    pub code: String,
    /// S3's message, or a note that the response had no body.
    pub message: String,
    /// `<RequestId>` or the `x-amz-request-id` header; quote it to support.
    pub request_id: Option<String>,
    /// `<HostId>` or the `x-amz-id-2` header.
    pub host_id: Option<String>,
    /// `<Region>`: for `AuthorizationHeaderMalformed`, the region S3 expected.
    pub region: Option<String>,
    /// `<Endpoint>`: for redirects, the host to use instead.
    pub endpoint: Option<String>,
    /// `<BucketName>` or `<Bucket>`.
    pub bucket: Option<String>,
    /// `<Key>`, for object-level errors.
    pub key: Option<String>,
    /// The `x-amz-bucket-region` header: where the bucket really lives.
    pub bucket_region: Option<String>,
    /// `<ServerTime>` (sent with `RequestTimeTooSkewed`), else the `Date` header.
    pub server_time: Option<Timestamp>,
    /// `<RequestTime>`: the signing time S3 saw (sent with `RequestTimeTooSkewed`).
    pub request_time: Option<Timestamp>,
    /// Every other child of `<Error>` in document order, e.g.
    /// `MaxAllowedSkewMilliseconds`, `ArgumentName`, `StringToSign`.
    pub details: Vec<(String, String)>,
}

impl S3Error {
    /// An error for a response without a body (e.g. `HEAD`), from its status
    /// and headers alone. Also the fallback when a body is not S3's (an HTML
    /// page from a proxy, say) and [`parse_s3_error`] fails.
    pub fn from_status(status: u16, headers: &[(String, String)]) -> Self {
        let mut err = S3Error {
            http_status: status,
            code: code_for_status(status),
            message: format!("HTTP {status} with no error document (HEAD responses have no body)"),
            ..S3Error::default()
        };
        err.apply_headers(headers);
        err
    }

    /// Seconds the server's clock is ahead of `now` (negative: behind).
    ///
    /// `None` when the response carried no server time.
    pub fn clock_skew_seconds(&self, now: Timestamp) -> Option<i64> {
        self.server_time.map(|server| server.unix() - now.unix())
    }

    /// The value of a detail element such as `MaxAllowedSkewMilliseconds`.
    pub fn detail(&self, name: &str) -> Option<&str> {
        self.details
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Fills what the body did not say from the headers every S3 response has.
    fn apply_headers(&mut self, headers: &[(String, String)]) {
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
        };
        if let Some(region) = get("x-amz-bucket-region") {
            self.bucket_region = Some(bounded(region));
        }
        if self.request_id.is_none() {
            self.request_id = get("x-amz-request-id").map(bounded);
        }
        if self.host_id.is_none() {
            self.host_id = get("x-amz-id-2").map(bounded);
        }
        if self.server_time.is_none() {
            self.server_time = get("date").and_then(|d| Timestamp::parse_http_date(d).ok());
        }
    }
}

/// The code SDKs report for a bodiless response with this status.
fn code_for_status(status: u16) -> String {
    let code = match status {
        301 => "PermanentRedirect",
        304 => "NotModified",
        307 => "TemporaryRedirect",
        400 => "BadRequest",
        403 => "AccessDenied",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        411 => "MissingContentLength",
        412 => "PreconditionFailed",
        416 => "InvalidRange",
        429 => "TooManyRequests",
        500 => "InternalError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        other => return format!("Http{other}"),
    };
    code.to_string()
}

/// Parses an S3 error response.
///
/// An empty (or all-whitespace) body gives [`S3Error::from_status`]. A body
/// that is not XML, or XML without an `<Error>` element, is an
/// [`ErrorCode::InvalidXml`] error; callers can then fall back to
/// [`S3Error::from_status`]. Header names are matched case-insensitively.
pub fn parse_s3_error(status: u16, body: &str, headers: &[(String, String)]) -> Result<S3Error> {
    if body.trim().is_empty() {
        return Ok(S3Error::from_status(status, headers));
    }
    let mut err = parse_error_element(body)?;
    err.http_status = status;
    if err.code.is_empty() {
        err.code = code_for_status(status);
    }
    err.apply_headers(headers);
    Ok(err)
}

fn xml_error(problem: impl std::fmt::Display) -> crate::Error {
    invalid(
        ErrorCode::InvalidXml,
        format!("the storage service's error response is not an S3 error document: {problem}"),
    )
}

/// Reads the first `<Error>` element (at any depth, with or without a
/// namespace prefix) and its direct children.
fn parse_error_element(body: &str) -> Result<S3Error> {
    let mut reader = Reader::from_str(body);
    let mut depth = 0usize;
    // Depth of the `<Error>` element once found.
    let mut error_depth: Option<usize> = None;
    // The direct child of `<Error>` being read, and its text so far.
    let mut field: Option<(String, String)> = None;
    let mut err = S3Error::default();

    loop {
        let event = reader.read_event().map_err(xml_error)?;
        let in_field = field.is_some() && error_depth.is_some_and(|d| depth == d + 1);
        match event {
            Event::Start(e) => {
                depth += 1;
                let name = e.local_name().into_inner().to_string();
                match error_depth {
                    None if name == "Error" => error_depth = Some(depth),
                    Some(d) if depth == d + 1 => field = Some((name, String::new())),
                    _ => {}
                }
            }
            Event::Empty(e) => {
                let name = e.local_name().into_inner().to_string();
                match error_depth {
                    None if name == "Error" => return Ok(err),
                    Some(d) if depth == d => store(&mut err, name, String::new()),
                    _ => {}
                }
            }
            Event::Text(t) if in_field => push_bounded(&mut field, &t.xml10_content()),
            Event::CData(t) if in_field => push_bounded(&mut field, &t.xml10_content()),
            Event::GeneralRef(r) => {
                // Resolve even outside fields, so a bad reference is always an error.
                let text = match r.resolve_char_ref().map_err(xml_error)? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.xml10_content();
                        match resolve_predefined_entity(&name) {
                            Some(s) => s.to_string(),
                            // S3 never declares entities; keep an unknown one visible.
                            None => format!("&{name};"),
                        }
                    }
                };
                if in_field {
                    push_bounded(&mut field, &text);
                }
            }
            Event::End(_) => {
                if let (Some(d), true) = (error_depth, depth > 0) {
                    if depth == d + 1 {
                        if let Some((name, value)) = field.take() {
                            store(&mut err, name, value);
                        }
                    } else if depth == d {
                        return Ok(err);
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => {
                return Err(xml_error(if error_depth.is_some() {
                    "it ends inside <Error> (truncated?)"
                } else {
                    "it has no <Error> element"
                }));
            }
            _ => {}
        }
    }
}

fn push_bounded(field: &mut Option<(String, String)>, text: &str) {
    if let Some((_, value)) = field {
        let room = MAX_VALUE_CHARS.saturating_sub(value.chars().count());
        value.extend(text.chars().take(room));
    }
}

fn bounded(text: &str) -> String {
    text.chars().take(MAX_VALUE_CHARS).collect()
}

/// Files one child of `<Error>` under its field.
fn store(err: &mut S3Error, name: String, value: String) {
    let value = value.trim().to_string();
    let some = |v: &str| (!v.is_empty()).then(|| v.to_string());
    match name.as_str() {
        "Code" => err.code = value,
        "Message" => err.message = value,
        "RequestId" => err.request_id = some(&value),
        "HostId" => err.host_id = some(&value),
        "Region" => err.region = some(&value),
        "Endpoint" => err.endpoint = some(&value),
        "BucketName" | "Bucket" => err.bucket = some(&value),
        "Key" => err.key = some(&value),
        "ServerTime" => err.server_time = parse_aws_time(&value),
        "RequestTime" => err.request_time = parse_aws_time(&value),
        _ if err.details.len() < MAX_DETAILS => err.details.push((name, value)),
        _ => {}
    }
}

/// `2024-01-31T12:00:00Z`, `2024-01-31T12:00:00.123Z` or `20240131T120000Z`.
fn parse_aws_time(text: &str) -> Option<Timestamp> {
    if let Ok(t) = Timestamp::parse_iso8601(text) {
        return Some(t);
    }
    // Drop fractional seconds: `…:00.123Z` → `…:00Z`.
    let (whole, frac) = text.split_once('.')?;
    let digits = frac.strip_suffix('Z')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Timestamp::parse_iso8601(&format!("{whole}Z")).ok()
}

/// What went wrong and what the admin should do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    /// Plain-language cause.
    pub cause: String,
    /// The change that makes the error go away.
    pub fix: String,
    /// Retrying without changing a setting cannot succeed.
    pub permanent: bool,
    /// Retrying (with back-off, or after the clock is corrected) may succeed.
    pub retryable: bool,
}

impl Advice {
    fn permanent(cause: impl Into<String>, fix: impl Into<String>) -> Self {
        Advice {
            cause: cause.into(),
            fix: fix.into(),
            permanent: true,
            retryable: false,
        }
    }

    fn retryable(cause: impl Into<String>, fix: impl Into<String>) -> Self {
        Advice {
            cause: cause.into(),
            fix: fix.into(),
            permanent: false,
            retryable: true,
        }
    }
}

/// Explains an [`S3Error`]. `now` is the caller's clock, used to measure the
/// skew for `RequestTimeTooSkewed`; without it the skew is measured against
/// the request time S3 echoes back.
pub fn advise(err: &S3Error, now: Option<Timestamp>) -> Advice {
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

    match err.code.as_str() {
        // S3 uses AccessDenied for two things that are not permissions at all.
        "AccessDenied" if err.message.contains("Request has expired") => Advice::retryable(
            "The presigned link has expired.",
            "Request a new link; links are valid only for the minutes they were made for. \
             If new links expire at once, this server's clock is wrong.",
        ),
        "AccessDenied" if err.message.contains("Invalid according to Policy") => Advice::permanent(
            format!("The upload broke the rules of its upload form: {}", err.message),
            "The file is larger or of another type than the form allows, or the form expired; \
             check the file and start the upload again.",
        ),
        // A HEAD in the wrong region has no body: only the status and this header say so.
        "BadRequest" | "NotFound" | "PermanentRedirect" if err.bucket_region.is_some() => {
            let region = err.bucket_region.as_deref().unwrap_or_default();
            Advice::permanent(
                format!("The {bucket} is in region '{region}', not the configured one."),
                format!("Set the region to '{region}' in the storage settings."),
            )
        }
        "AccessDenied" => Advice::permanent(
            format!("The storage service refused access to the {bucket}: the keys are valid but not allowed to do this."),
            "Give the access key's user or policy s3:PutObject, s3:GetObject, s3:DeleteObject and \
             s3:ListBucket on the bucket and on its objects (bucket/*). Also check the bucket \
             policy, any KMS key policy, and that the bucket belongs to this account.",
        ),
        "AllAccessDisabled" => Advice::permanent(
            format!("All access to the {bucket} has been disabled by the storage provider."),
            format!("Contact the storage provider's support{request_id}, or use another bucket."),
        ),
        "NoSuchBucket" => Advice::permanent(
            format!("The {bucket} does not exist at this endpoint."),
            "Check the bucket name for typos, create the bucket, or make sure the provider, \
             region and endpoint settings point where the bucket was created.",
        ),
        "NoSuchKey" => Advice::permanent(
            "The file is not in the bucket: it was deleted, moved, or never uploaded.",
            "Upload the document again; if keys changed, check the path prefix and key template.",
        ),
        "NotFound" => Advice::permanent(
            "The file (or the bucket itself) was not found.",
            "Check the bucket name and region, then upload the document again if it is missing.",
        ),
        "InvalidAccessKeyId" => Advice::permanent(
            "The access key ID is not known to this storage service.",
            "Copy the access key ID again (no spaces), make sure the key is active, and that the \
             provider matches where the key was created (an AWS key does not work on Wasabi or R2).",
        ),
        "SignatureDoesNotMatch" => Advice::permanent(
            "The signature did not match: the secret access key is wrong for this access key ID.",
            "Paste the secret access key again, with no leading or trailing spaces. If it is \
             correct, a proxy or CDN between WordPress and the storage service may be rewriting \
             requests.",
        ),
        "RequestTimeTooSkewed" => skew_advice(err, now),
        "AuthorizationHeaderMalformed" => match expected_region(err) {
            Some(region) => Advice::permanent(
                format!("The bucket is in region '{region}', but requests were signed for another region."),
                format!("Set the region to '{region}' in the storage settings."),
            ),
            None => Advice::permanent(
                format!("The request was signed incorrectly: {}", err.message),
                "Check the region in the storage settings; it must be the bucket's region.",
            ),
        },
        "PermanentRedirect" | "IllegalLocationConstraintException" => {
            match bucket_home_region(err) {
                Some(region) => Advice::permanent(
                    format!("The {bucket} is in region '{region}', not the configured one."),
                    format!("Set the region to '{region}' in the storage settings."),
                ),
                None => Advice::permanent(
                    format!("The {bucket} is in a different region than configured."),
                    match &err.endpoint {
                        Some(ep) => format!(
                            "Use the bucket's own region (S3 pointed to {ep}); the S3 console shows it."
                        ),
                        None => "Set the region to the bucket's region; the S3 console shows it.".into(),
                    },
                ),
            }
        }
        "TemporaryRedirect" => Advice::retryable(
            format!("The {bucket} is new and its DNS name is still spreading."),
            match bucket_home_region(err) {
                Some(region) => format!("Set the region to '{region}', or wait a few minutes and retry."),
                None => "Wait a few minutes and retry; setting the bucket's exact region avoids this.".into(),
            },
        ),
        "InvalidBucketName" => Advice::permanent(
            format!("The name of the {bucket} is not valid for this service."),
            "Use 3–63 lower-case letters, digits, dots or hyphens, starting and ending with a \
             letter or digit.",
        ),
        "InvalidRequest" => Advice::permanent(
            format!("The storage service rejected the request: {}", err.message),
            "Check that the provider and endpoint settings match the service in use; some \
             S3-compatible services do not support every S3 feature.",
        ),
        "ExpiredToken" | "TokenRefreshRequired" => Advice::permanent(
            "The temporary session token has expired.",
            "Enter fresh temporary credentials, or use a long-lived access key without a session token.",
        ),
        "InvalidToken" => Advice::permanent(
            "The session token is malformed or does not belong to this access key.",
            "Clear the session token field unless the keys are temporary; otherwise paste all \
             three values from the same credentials.",
        ),
        "AccountProblem" => Advice::permanent(
            "The storage account has a problem (often billing or a suspended account).",
            format!("Sign in to the provider's console or contact its support{request_id}."),
        ),
        "EntityTooLarge" => Advice::permanent(
            "The file is larger than the service accepts for this upload.",
            "Upload large files in parts (multipart), or raise the size limit for browser uploads.",
        ),
        "InvalidDigest" | "BadDigest" | "XAmzContentSHA256Mismatch" => Advice::retryable(
            "The uploaded data did not match its checksum: it changed in transit or while it was being read.",
            "Retry the upload. If it keeps failing, a proxy may be altering uploads, or the file \
             is being modified during the backup.",
        ),
        "SlowDown" | "TooManyRequests" | "ServiceUnavailable" | "InternalError" | "BadGateway"
        | "GatewayTimeout" => Advice::retryable(
            format!("The storage service is busy or had an internal error ({}).", err.code),
            format!("Retry with back-off; no settings need to change. If it persists, contact the provider{request_id}."),
        ),
        "RequestTimeout" => Advice::retryable(
            "The upload was too slow: the connection sat idle and the service closed it.",
            "Retry. If it repeats, lower the upload concurrency or part size, or check the server's network.",
        ),
        "NotImplemented" => Advice::permanent(
            format!("The storage service does not support a feature this request used: {}", err.message),
            "Check that the provider setting matches the service; for S3-compatible services choose 'custom'.",
        ),
        "InvalidArgument" => {
            let argument = err
                .detail("ArgumentName")
                .map(|n| format!(" (argument {n})"))
                .unwrap_or_default();
            Advice::permanent(
                format!("The storage service rejected an argument{argument}: {}", err.message),
                "Check the storage settings (provider, region, endpoint); some options are not \
                 supported by every S3-compatible service.",
            )
        }
        "MissingContentLength" => Advice::permanent(
            "The upload was sent without a Content-Length header.",
            "A proxy between WordPress and the storage service is probably removing it; \
             bypass the proxy for the storage endpoint.",
        ),
        _ => generic_advice(err),
    }
}

/// For codes we have no row for: say what S3 said, and guess from the status.
fn generic_advice(err: &S3Error) -> Advice {
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
    if err.http_status >= 500 || err.http_status == 429 {
        Advice::retryable(
            said,
            "Retry later; if it persists, contact the storage provider.",
        )
    } else {
        Advice::permanent(
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
        _ => "This server's clock differs too much from the storage service's; S3 accepts at most 15 minutes.".to_string(),
    };
    Advice::retryable(
        cause,
        "Enable time synchronisation (NTP, e.g. systemd-timesyncd or chrony) on the web server, then retry.",
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(a.cause.contains("'wp-backups'") && a.permanent && !a.retryable);
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
        assert!(a.fix.contains("'eu-central-1'") && a.permanent);

        assert_eq!(
            parse_s3_error(403, " \n", &[]).unwrap().code,
            "AccessDenied"
        );
        assert_eq!(parse_s3_error(404, "", &[]).unwrap().code, "NotFound");
        assert_eq!(parse_s3_error(400, "", &[]).unwrap().code, "BadRequest");
        assert_eq!(parse_s3_error(418, "", &[]).unwrap().code, "Http418");
        let busy = parse_s3_error(503, "", &[]).unwrap();
        assert!(advise(&busy, None).retryable);
    }

    #[test]
    fn clock_skew_from_server_time() {
        let body = error_doc(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            "<RequestTime>20240131T113000Z</RequestTime><ServerTime>2024-01-31T12:00:00Z</ServerTime>\
             <MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>",
        );
        let err =
            parse_s3_error(403, &body, &h(&[("Date", "Wed, 31 Jan 2024 12:00:05 GMT")])).unwrap();
        assert_eq!(err.server_time.unwrap().iso8601(), "2024-01-31T12:00:00Z");
        let now = Timestamp::parse_iso8601("2024-01-31T11:30:00Z").unwrap();
        assert_eq!(err.clock_skew_seconds(now), Some(1800));
        let a = advise(&err, Some(now));
        assert!(a.cause.contains("1800 seconds behind"), "{}", a.cause);
        assert!(a.retryable && !a.permanent);
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
        assert!(a.fix.contains("'eu-west-1'") && a.permanent, "{a:?}");
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
        assert!(a.retryable && a.fix.contains("'ca-central-1'"), "{a:?}");
    }

    #[test]
    fn every_documented_code_has_specific_advice() {
        // (code, status, permanent, retryable)
        let rows = [
            ("AccessDenied", 403, true, false),
            ("AllAccessDisabled", 403, true, false),
            ("NoSuchBucket", 404, true, false),
            ("NoSuchKey", 404, true, false),
            ("InvalidAccessKeyId", 403, true, false),
            ("SignatureDoesNotMatch", 403, true, false),
            ("RequestTimeTooSkewed", 403, false, true),
            ("InvalidBucketName", 400, true, false),
            ("InvalidRequest", 400, true, false),
            ("ExpiredToken", 400, true, false),
            ("InvalidToken", 400, true, false),
            ("AccountProblem", 403, true, false),
            ("EntityTooLarge", 400, true, false),
            ("InvalidDigest", 400, false, true),
            ("BadDigest", 400, false, true),
            ("XAmzContentSHA256Mismatch", 400, false, true),
            ("SlowDown", 503, false, true),
            ("ServiceUnavailable", 503, false, true),
            ("InternalError", 500, false, true),
            ("RequestTimeout", 400, false, true),
            ("NotImplemented", 501, true, false),
            ("InvalidArgument", 400, true, false),
            ("MissingContentLength", 411, true, false),
        ];
        for (code, status, permanent, retryable) in rows {
            let body = error_doc(
                code,
                "Some message from S3.",
                "<BucketName>wp-backups</BucketName>",
            );
            let err = parse(status, &body);
            let a = advise(&err, None);
            assert_eq!((a.permanent, a.retryable), (permanent, retryable), "{code}");
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
        assert!(a.permanent && !a.retryable);
        let a = advice(502, &error_doc("WeirdGatewayThing", "x", ""));
        assert!(a.retryable && !a.permanent);
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
        assert!(a.cause.contains("expired") && a.retryable && !a.permanent);
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
}
