//! The TCP fallback's mutual proof of the sidecar token (issue 10, hole 6).
//!
//! Over 127.0.0.1 another local user could hold the sidecar's port, so the
//! token itself never crosses the wire. On each connection PHP sends a fresh
//! nonce; the sidecar answers its own nonce and [`hello_proof`], which binds
//! both nonces to the two ends of that connection as the sidecar sees them
//! (a listener that relays a real sidecar's answer gets a proof naming the
//! relay's connection, not PHP's). Only then does PHP send a request, each
//! carrying the proof [`request_message`] keyed by the token, which the
//! sidecar checks with [`verify_proof`]. docs/CONTRACTS.md ("TCP fallback")
//! has the wire format; PHP builds the same messages with `hash_hmac`.

use crate::error::{Error, ErrorCode, Result};
use crate::sigv4::encoding::hex;
use crate::sigv4::signing_key::hmac_sha256;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Length of a nonce, a body hash and a proof: 32 bytes as lower-case hex.
const HEX_LEN: usize = 64;

/// Longest connection end (`127.0.0.1:65535` is 15) or request path accepted.
const MAX_FIELD: usize = 2048;

fn is_hex64(s: &str) -> bool {
    s.len() == HEX_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn hex64(what: &str, value: &str) -> Result<()> {
    if is_hex64(value) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidArgument,
            format!("{what} must be 64 lower-case hex characters"),
        ))
    }
}

/// A message field must not be able to shift the fields after it.
fn field(what: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.len() > MAX_FIELD || value.bytes().any(|b| b.is_ascii_control()) {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            format!("{what} must be 1 to {MAX_FIELD} characters without control characters"),
        ));
    }
    Ok(())
}

/// The message the sidecar's hello proof covers:
/// `wps3-tcp-hello-v1\n<clientNonce>\n<serverNonce>\n<client end>\n<server end>`,
/// each end as `address:port` (`127.0.0.1:54321`).
pub fn hello_message(
    client_nonce: &str,
    server_nonce: &str,
    client: &str,
    server: &str,
) -> Result<String> {
    hex64("clientNonce", client_nonce)?;
    hex64("serverNonce", server_nonce)?;
    field("client", client)?;
    field("server", server)?;
    Ok(format!(
        "wps3-tcp-hello-v1\n{client_nonce}\n{server_nonce}\n{client}\n{server}"
    ))
}

/// What PHP's proof of one request covers.
pub struct Request<'a> {
    /// PHP's nonce of the connection's hello.
    pub client_nonce: &'a str,
    /// The sidecar's nonce of that hello.
    pub server_nonce: &'a str,
    /// 1 for the first request after the hello, then 2, 3, …
    pub seq: u64,
    /// `GET`, `POST`.
    pub method: &'a str,
    /// The request target, e.g. `/v1/op/render-key`.
    pub path: &'a str,
    /// Lower-case hex SHA-256 of the body (of nothing for a GET).
    pub body_sha256: &'a str,
}

/// The message PHP's proof of a request covers:
/// `wps3-tcp-request-v1\n<clientNonce>\n<serverNonce>\n<seq>\n<METHOD>\n<path>\n<body sha256>`.
pub fn request_message(r: &Request<'_>) -> Result<String> {
    hex64("clientNonce", r.client_nonce)?;
    hex64("serverNonce", r.server_nonce)?;
    hex64("bodySha256", r.body_sha256)?;
    field("method", r.method)?;
    field("path", r.path)?;
    if r.seq == 0 {
        return Err(Error::new(ErrorCode::InvalidArgument, "seq starts at 1"));
    }
    Ok(format!(
        "wps3-tcp-request-v1\n{}\n{}\n{}\n{}\n{}\n{}",
        r.client_nonce, r.server_nonce, r.seq, r.method, r.path, r.body_sha256
    ))
}

/// Whether `proof` is PHP's proof of `request`: false for any malformed
/// field the peer sent (proof, body hash, method, path), never an error.
pub fn request_proof_valid(token: &str, request: &Request<'_>, proof: &str) -> bool {
    request_message(request).is_ok_and(|m| verify_proof(token, &m, proof))
}

/// Lower-case hex HMAC-SHA256 of `message` keyed by the token's bytes.
pub fn prove(token: &str, message: &str) -> String {
    hex(&hmac_sha256(token.as_bytes(), message.as_bytes()))
}

/// The sidecar's answer to a hello: [`prove`] over [`hello_message`].
pub fn hello_proof(
    token: &str,
    client_nonce: &str,
    server_nonce: &str,
    client: &str,
    server: &str,
) -> Result<String> {
    Ok(prove(
        token,
        &hello_message(client_nonce, server_nonce, client, server)?,
    ))
}

/// Whether `proof` (as sent: anything) is the HMAC of `message` under the
/// token. Constant-time in the proof's bytes once it is well-formed hex.
pub fn verify_proof(token: &str, message: &str, proof: &str) -> bool {
    if !is_hex64(proof) {
        return false;
    }
    let bytes: Vec<u8> = (0..HEX_LEN)
        .step_by(2)
        .map(|i| u8::from_str_radix(&proof[i..i + 2], 16).unwrap_or(0))
        .collect();
    let mut mac =
        Hmac::<Sha256>::new_from_slice(token.as_bytes()).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    mac.verify_slice(&bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        // Key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            prove("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    /// docs/CONTRACTS.md, "TCP fallback", test vector; PHP's side asserts the
    /// same values (tests/php-unit/Sidecar/TcpChannelTest.php).
    #[test]
    fn contract_test_vector() {
        let token = "wps3-test-vector-token";
        let client_nonce = "0123456789abcdef".repeat(4);
        let server_nonce = "fedcba9876543210".repeat(4);
        assert_eq!(
            hello_proof(
                token,
                &client_nonce,
                &server_nonce,
                "127.0.0.1:54321",
                "127.0.0.1:7781"
            )
            .unwrap(),
            "3177d14dc962c453ffa8928b2dec0c270321413a69f92801582df4664901e790"
        );
        let body_sha256 = hex(&<Sha256 as sha2::Digest>::digest(br#"{"title":"Safe"}"#));
        assert_eq!(
            body_sha256,
            "ca4989e169e8b8b35e714675cfc1bb98e268d74bac43dc6a64697f2b1c75fbb2"
        );
        let request = Request {
            client_nonce: &client_nonce,
            server_nonce: &server_nonce,
            seq: 1,
            method: "POST",
            path: "/v1/op/render-key",
            body_sha256: &body_sha256,
        };
        let proof = "afba61f40ae3dc9a9c9d20ab484cce36319983a1305c2b2d47f386766b1fe8f8";
        assert_eq!(prove(token, &request_message(&request).unwrap()), proof);
        assert!(request_proof_valid(token, &request, proof));
    }

    #[test]
    fn hello_proof_names_both_nonces_and_both_ends() {
        let p = hello_proof(TOKEN, A, B, "127.0.0.1:5000", "127.0.0.1:7781").unwrap();
        assert_eq!(
            p,
            prove(
                TOKEN,
                &format!("wps3-tcp-hello-v1\n{A}\n{B}\n127.0.0.1:5000\n127.0.0.1:7781")
            )
        );
        // A relay's connection, swapped nonces, another token: other proofs.
        for other in [
            hello_proof(TOKEN, A, B, "127.0.0.1:5001", "127.0.0.1:7781").unwrap(),
            hello_proof(TOKEN, A, B, "127.0.0.1:5000", "127.0.0.1:7782").unwrap(),
            hello_proof(TOKEN, B, A, "127.0.0.1:5000", "127.0.0.1:7781").unwrap(),
            hello_proof(
                &TOKEN.replace('0', "1"),
                A,
                B,
                "127.0.0.1:5000",
                "127.0.0.1:7781",
            )
            .unwrap(),
        ] {
            assert_ne!(p, other);
        }
    }

    #[test]
    fn request_proofs_verify_only_for_their_own_fields() {
        let base = Request {
            client_nonce: A,
            server_nonce: B,
            seq: 1,
            method: "POST",
            path: "/v1/op/render-key",
            body_sha256: EMPTY,
        };
        let msg = request_message(&base).unwrap();
        let proof = prove(TOKEN, &msg);
        assert!(verify_proof(TOKEN, &msg, &proof));
        assert!(!verify_proof(&TOKEN.replace('f', "e"), &msg, &proof));
        for other in [
            Request { seq: 2, ..base },
            Request {
                method: "GET",
                ..base
            },
            Request {
                path: "/v1/op/health",
                ..base
            },
            Request {
                server_nonce: A,
                ..base
            },
            Request {
                body_sha256: A,
                ..base
            },
        ] {
            assert!(!verify_proof(
                TOKEN,
                &request_message(&other).unwrap(),
                &proof
            ));
        }
        // A hello proof is never a request proof (the messages are prefixed apart).
        let hello = hello_proof(TOKEN, A, B, "127.0.0.1:5000", "127.0.0.1:7781").unwrap();
        assert!(!verify_proof(TOKEN, &msg, &hello));
    }

    #[test]
    fn malformed_proofs_and_fields_are_refused() {
        let msg = request_message(&Request {
            client_nonce: A,
            server_nonce: B,
            seq: 1,
            method: "GET",
            path: "/v1/health",
            body_sha256: EMPTY,
        })
        .unwrap();
        let proof = prove(TOKEN, &msg);
        for bad in [
            "",
            "x",
            &proof[..63],
            &proof.to_uppercase(),
            &format!("{proof}0"),
            &format!("{}g", &proof[..63]),
        ] {
            assert!(!verify_proof(TOKEN, &msg, bad), "{bad:?}");
        }
        let ok = Request {
            client_nonce: A,
            server_nonce: B,
            seq: 1,
            method: "GET",
            path: "/v1/health",
            body_sha256: EMPTY,
        };
        assert!(request_proof_valid(TOKEN, &ok, &proof));
        assert!(!request_proof_valid(
            TOKEN,
            &Request {
                body_sha256: "x",
                ..ok
            },
            &proof
        ));
        assert!(!request_proof_valid(
            TOKEN,
            &Request { path: "", ..ok },
            &proof
        ));
        assert!(hello_message("", B, "a", "b").is_err());
        assert!(hello_message(&A.to_uppercase(), B, "a", "b").is_err());
        assert!(hello_message(A, B, "a\nb", "b").is_err());
        assert!(request_message(&Request {
            client_nonce: A,
            server_nonce: B,
            seq: 0,
            method: "GET",
            path: "/",
            body_sha256: EMPTY
        })
        .is_err());
        assert!(request_message(&Request {
            client_nonce: A,
            server_nonce: B,
            seq: 1,
            method: "GET",
            path: "/\r\nX: y",
            body_sha256: EMPTY
        })
        .is_err());
        assert!(request_message(&Request {
            client_nonce: A,
            server_nonce: B,
            seq: 1,
            method: "",
            path: "/",
            body_sha256: EMPTY
        })
        .is_err());
        assert_eq!(
            hello_message(A, "b", "a", "b").unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
    }
}
