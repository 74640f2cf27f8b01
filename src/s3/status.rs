//! What an HTTP status alone says about a failed storage answer: the code
//! SDKs report for it and the retry verdict.
//!
//! S3 error documents ([`super::error_xml`]) refine both; this is the
//! verdict for answers without one (`HEAD`, a proxy's HTML page, and the
//! browser's uploads, which cannot always read the body of a cross-origin
//! answer). It needs no XML parser, so the browser build (pkg/web) carries it
//! too: the one status table and the one status retry rule of the product.

use crate::error::local::network;
use crate::error::Retry;
use serde::Serialize;

/// The code SDKs report for a bodiless response with this status.
pub fn code_for_status(status: u16) -> String {
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
        413 => "EntityTooLarge",
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

/// The retry verdict of a status whose code has no rule of its own: server
/// errors (5xx) and throttling (429) may pass by themselves; anything else
/// fails again as sent.
pub fn retry_for_status(status: u16) -> Retry {
    if status >= 500 || status == 429 {
        Retry::BackOff
    } else {
        Retry::Never
    }
}

/// The retry verdict of a bodiless answer: that of its [`code_for_status`]
/// code, whose rules (`error_advice`) are followed for the two statuses
/// whose code decides otherwise than [`retry_for_status`]. A test keeps the
/// two in step.
fn retry_for_bodiless(status: u16) -> Retry {
    match status {
        // TemporaryRedirect: a new bucket's DNS name is still spreading.
        307 => Retry::BackOff,
        // NotImplemented: the server lacks a feature; asking again cannot help.
        501 => Retry::Never,
        other => retry_for_status(other),
    }
}

/// A failed answer judged by its status alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusVerdict {
    /// [`code_for_status`]; `NETWORK_ERROR` for status 0 (no answer at all).
    pub code: String,
    /// The one retry decision.
    #[serde(serialize_with = "retry_str")]
    pub retry: Retry,
    /// `retry != never`, the derived convenience flag.
    pub retryable: bool,
}

fn retry_str<S: serde::Serializer>(retry: &Retry, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(retry.as_str())
}

/// The verdict for an answer with this HTTP status and no readable error
/// document. Status 0 is a request that got no answer (a browser's network
/// or CORS failure): the verdict of a network failure without an errno.
pub fn status_verdict(status: u16) -> StatusVerdict {
    let (code, retry) = if status == 0 {
        ("NETWORK_ERROR".to_owned(), network("", true).0)
    } else {
        (code_for_status(status), retry_for_bodiless(status))
    };
    StatusVerdict {
        code,
        retryable: retry.is_retryable(),
        retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_and_throttling_back_off() {
        for status in [429, 500, 502, 503, 504, 599] {
            assert_eq!(status_verdict(status).retry, Retry::BackOff, "{status}");
            assert!(status_verdict(status).retryable);
        }
        for status in [400, 401, 403, 404, 412, 413, 418, 499, 501] {
            assert_eq!(status_verdict(status).retry, Retry::Never, "{status}");
        }
        assert_eq!(status_verdict(501).code, "NotImplemented");
        assert_eq!(status_verdict(413).code, "EntityTooLarge");
        assert_eq!(status_verdict(418).code, "Http418");
    }

    #[test]
    fn no_answer_is_a_network_failure() {
        let v = status_verdict(0);
        assert_eq!(v.code, "NETWORK_ERROR");
        assert_eq!(v.retry, Retry::BackOff);
        assert_eq!(
            serde_json::to_value(&v).unwrap(),
            serde_json::json!({ "code": "NETWORK_ERROR", "retry": "backoff", "retryable": true })
        );
    }

    /// The S3 path (an answer without a body: [`S3Error::from_status`] then
    /// `advise`) and this verdict never disagree, so the browser and the
    /// sidecar retry the same answers.
    #[cfg(feature = "xml")]
    #[test]
    fn agrees_with_the_advice_for_bodiless_answers() {
        use crate::s3::error_advice::advise;
        use crate::s3::error_xml::S3Error;
        for status in 100..=599 {
            let advice = advise(&S3Error::from_status(status, &[]), None);
            assert_eq!(status_verdict(status).retry, advice.retry, "HTTP {status}");
        }
    }
}
