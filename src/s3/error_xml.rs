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
//! [`super::error_advice`] turns the result into the product's error model.
//! The status-to-code table for bodiless answers is [`super::status`]'s, the
//! only one in the product.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::Reader;

use crate::error::{invalid, ErrorCode, Result};
pub use crate::s3::status::code_for_status;
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
    /// The raw `Retry-After` header (seconds or an HTTP date).
    pub retry_after: Option<String>,
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

    /// `Retry-After` in seconds: a number as given, or an HTTP date measured
    /// from `now` (`None` without `now`, or for a date in the past).
    pub fn retry_after_seconds(&self, now: Option<Timestamp>) -> Option<u64> {
        let raw = self.retry_after.as_deref()?.trim();
        if let Ok(seconds) = raw.parse::<u64>() {
            return Some(seconds);
        }
        let at = Timestamp::parse_http_date(raw).ok()?;
        u64::try_from(at.unix() - now?.unix()).ok()
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
        if let Some(after) = get("retry-after") {
            self.retry_after = Some(bounded(after));
        }
        if self.server_time.is_none() {
            self.server_time = get("date").and_then(|d| Timestamp::parse_http_date(d).ok());
        }
    }
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

#[cfg(test)]
mod tests;
