//! Classifies the sidecar's own failures (network errnos, TLS verification,
//! timeouts, file errors, its protocol codes) into the same [`Problem`]
//! model as S3 answers, so the sidecar carries no retry rules of its own.

use super::{AdviceId, ErrorCode, Problem, Retry};

/// A failure that happened in the sidecar, not at storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalFailure<'a> {
    /// A request to storage ended without an answer. `errno` is Node's
    /// error code (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, `HPE_INVALID_CONSTANT`,
    /// …); `built` is false when Node could not even construct the request.
    Network {
        /// Node's `err.code`.
        errno: &'a str,
        /// Whether the request was constructed at all.
        built: bool,
    },
    /// Opening or reading the file to upload failed; `errno` is `None` when
    /// the path is not a regular file.
    File {
        /// Node's `err.code`.
        errno: Option<&'a str>,
    },
    /// One of the sidecar protocol's own codes (`SHUTTING_DOWN`,
    /// `BAD_REQUEST`, `FILE_CHANGED`, …) or a core code.
    Sidecar {
        /// The code.
        code: &'a str,
    },
}

/// The problem for a local failure; `message` says what happened.
pub fn classify(failure: LocalFailure<'_>, message: &str) -> Problem {
    let (code, retry, advice) = match failure {
        LocalFailure::Network { errno, built } => {
            let (retry, advice) = network(errno, built);
            ("NETWORK_ERROR", retry, advice)
        }
        LocalFailure::File { errno } => file(errno),
        LocalFailure::Sidecar { code } => return sidecar(code, message),
    };
    let mut p = Problem::new(code, message, retry, advice);
    p.errno = match failure {
        LocalFailure::Network { errno, .. } => Some(errno.to_owned()),
        LocalFailure::File { errno } => errno.map(str::to_owned),
        LocalFailure::Sidecar { .. } => None,
    };
    p
}

/// A certificate or TLS verification failure (OpenSSL's verification codes,
/// Node's `ERR_TLS_*`/`ERR_SSL_*`); a handshake that timed out is a slow
/// network instead.
fn is_tls_failure(errno: &str) -> bool {
    const MARKS: &[&str] = &[
        "CERT",
        "SSL",
        "TLS",
        "SELF_SIGNED",
        "INVALID_CA",
        "CRL",
        "PATH_LENGTH",
        "INVALID_PURPOSE",
        "HOSTNAME_MISMATCH",
    ];
    (errno.starts_with("UNABLE_TO_") || MARKS.iter().any(|m| errno.contains(m)))
        && !errno.contains("TIMEOUT")
}

/// The verdict and advice for a request that ended without an answer;
/// `errno` may be empty when the caller (a browser) cannot know it.
pub(crate) fn network(errno: &str, built: bool) -> (Retry, AdviceId) {
    const UNSENDABLE: &[&str] = &[
        "ERR_INVALID_URL",
        "ERR_INVALID_CHAR",
        "ERR_INVALID_HTTP_TOKEN",
        "ERR_INVALID_ARG",
        "ERR_UNESCAPED_CHARACTERS",
    ];
    if !built || UNSENDABLE.iter().any(|p| errno.starts_with(p)) {
        return (Retry::Never, AdviceId::RequestUnsendable);
    }
    if is_tls_failure(errno) {
        return (Retry::Never, AdviceId::TlsVerify);
    }
    // Everything else on the wire may pass by itself.
    let advice = match errno {
        "ECONNREFUSED" => AdviceId::NetworkRefused,
        "ENOTFOUND" | "EAI_AGAIN" | "EAI_FAIL" | "EAI_NONAME" | "EAI_NODATA" => AdviceId::DnsFailed,
        e if e.contains("TIMEDOUT") || e.contains("TIMEOUT") => AdviceId::NetworkTimeout,
        e if e.starts_with("HPE_") => AdviceId::ResponseGarbled,
        _ => AdviceId::NetworkFailed,
    };
    (Retry::BackOff, advice)
}

fn file(errno: Option<&str>) -> (&'static str, Retry, AdviceId) {
    match errno {
        // Whether a missing file is worth another try later (a host that
        // fires its hook before the PDF is written) is the queue's business:
        // this request cannot succeed as sent.
        Some("ENOENT" | "ENOTDIR") => ("FILE_NOT_FOUND", Retry::Never, AdviceId::FileMissing),
        Some("EMFILE" | "ENFILE" | "EIO" | "EAGAIN" | "EBUSY") => {
            ("FILE_UNREADABLE", Retry::BackOff, AdviceId::FileBusy)
        }
        _ => ("FILE_UNREADABLE", Retry::Never, AdviceId::FileUnreadable),
    }
}

fn sidecar(code: &str, message: &str) -> Problem {
    let (retry, advice) = match code {
        "SHUTTING_DOWN" => (Retry::BackOff, AdviceId::SidecarRestarting),
        "REQUEST_TIMEOUT" => (Retry::BackOff, AdviceId::SidecarRequestTimeout),
        "UNAUTHORIZED" => (Retry::Never, AdviceId::SidecarUnauthorized),
        "CANCELLED" => (Retry::Never, AdviceId::Cancelled),
        "FILE_CHANGED" => (Retry::Never, AdviceId::FileChanged),
        "FILE_NOT_FOUND" => (Retry::Never, AdviceId::FileMissing),
        "FILE_UNREADABLE" => (Retry::Never, AdviceId::FileUnreadable),
        "BAD_REQUEST" | "UNKNOWN_OP" | "NOT_FOUND" | "METHOD_NOT_ALLOWED" | "PAYLOAD_TOO_LARGE" => {
            (Retry::Never, AdviceId::BadRequest)
        }
        other => match ErrorCode::parse(other) {
            Some(c) => (c.retry(), c.advice_id()),
            None => (Retry::Never, AdviceId::SidecarInternal),
        },
    };
    Problem::new(code, message, retry, advice)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(errno: &str) -> Problem {
        classify(LocalFailure::Network { errno, built: true }, "m")
    }

    #[test]
    fn network_failures_back_off_except_tls_and_unsendable() {
        for errno in [
            "ECONNRESET",
            "ECONNREFUSED",
            "EPROTO",
            "ENETDOWN",
            "HPE_INVALID_CONSTANT",
            "ERR_HTTP_INVALID_HEADER_VALUE",
            "ERR_STREAM_PREMATURE_CLOSE",
            "EAI_FAIL",
            "ERR_TLS_HANDSHAKE_TIMEOUT",
            "ETIMEDOUT",
        ] {
            let p = net(errno);
            assert_eq!(
                (p.code.as_str(), p.retry),
                ("NETWORK_ERROR", Retry::BackOff),
                "{errno}"
            );
            assert_eq!(p.errno.as_deref(), Some(errno));
        }
        for errno in [
            "CERT_HAS_EXPIRED",
            "DEPTH_ZERO_SELF_SIGNED_CERT",
            "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
            "ERR_TLS_CERT_ALTNAME_INVALID",
            "ERR_SSL_WRONG_VERSION_NUMBER",
            "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
            "CERT_UNTRUSTED",
        ] {
            assert_eq!(
                (net(errno).retry, net(errno).advice_id),
                (Retry::Never, AdviceId::TlsVerify),
                "{errno}"
            );
        }
        assert_eq!(
            net("ERR_INVALID_URL").advice_id,
            AdviceId::RequestUnsendable
        );
        let unbuilt = classify(
            LocalFailure::Network {
                errno: "ECONNRESET",
                built: false,
            },
            "m",
        );
        assert_eq!(unbuilt.retry, Retry::Never);
        assert_eq!(net("ECONNREFUSED").advice_id, AdviceId::NetworkRefused);
        assert_eq!(net("ENOTFOUND").advice_id, AdviceId::DnsFailed);
        assert_eq!(net("ETIMEDOUT").advice_id, AdviceId::NetworkTimeout);
        assert_eq!(
            net("HPE_INVALID_CONSTANT").advice_id,
            AdviceId::ResponseGarbled
        );
    }

    #[test]
    fn file_failures() {
        let f = |errno| classify(LocalFailure::File { errno }, "m");
        for errno in ["EMFILE", "ENFILE", "EIO", "EAGAIN", "EBUSY"] {
            let p = f(Some(errno));
            assert_eq!(
                (p.code.as_str(), p.retry),
                ("FILE_UNREADABLE", Retry::BackOff),
                "{errno}"
            );
        }
        for errno in ["EACCES", "EISDIR", "ELOOP"] {
            assert_eq!(f(Some(errno)).retry, Retry::Never, "{errno}");
        }
        assert_eq!(f(Some("ENOENT")).code, "FILE_NOT_FOUND");
        assert_eq!(f(Some("ENOENT")).retry, Retry::Never);
        assert_eq!(f(None).advice_id, AdviceId::FileUnreadable);
        assert_eq!(f(None).errno, None);
    }

    #[test]
    fn sidecar_codes() {
        let s = |code| classify(LocalFailure::Sidecar { code }, "m");
        assert_eq!(s("SHUTTING_DOWN").retry, Retry::BackOff);
        assert_eq!(s("REQUEST_TIMEOUT").retry, Retry::BackOff);
        for code in [
            "BAD_REQUEST",
            "UNKNOWN_OP",
            "CANCELLED",
            "INTERNAL",
            "FILE_CHANGED",
            "UNAUTHORIZED",
        ] {
            assert_eq!(s(code).retry, Retry::Never, "{code}");
            assert_eq!(s(code).code, code);
        }
        assert_eq!(s("INVALID_BUCKET").advice_id, AdviceId::BucketNameInvalid);
        assert_eq!(s("WHATEVER").advice_id, AdviceId::SidecarInternal);
    }
}
