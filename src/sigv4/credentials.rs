//! Credentials that wipe themselves and never print their secrets.

use crate::error::{invalid, ErrorCode, Result};
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// An access key pair, optionally with an STS session token.
///
/// The secret and the token are zeroized on drop and redacted in `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl Credentials {
    /// Builds credentials; an empty session token counts as none.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: session_token.filter(|t| !t.trim().is_empty()),
        }
    }

    /// Checks the access key id: see [`validate_access_key_id`].
    pub fn validate(&self) -> Result<()> {
        validate_access_key_id(&self.access_key_id)
    }

    /// The public half of the key pair.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret half. Only the signing-key derivation should read it.
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The STS session token, if any.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Checks an access key id: it becomes part of the credential scope, where
/// a `/`, a space or an empty id makes a malformed request S3 rejects with
/// a confusing error.
pub fn validate_access_key_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 128 {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            "the access key id is empty or longer than 128 characters",
        ));
    }
    if !id.bytes().all(|b| b.is_ascii_graphic() && b != b'/') {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            "the access key id may not contain spaces, '/' or non-ASCII characters; \
             paste it again without surrounding whitespace",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::new("AKID", "very-secret", Some("tok-secret".into()));
        let shown = format!("{c:?}");
        assert!(shown.contains("AKID"));
        assert!(!shown.contains("very-secret") && !shown.contains("tok-secret"));
    }
}
