//! AES-256-GCM envelopes for secrets stored in the WordPress database.
//!
//! The S3 secret access key must survive in `wp_options`, where backups, SQL
//! dumps and other plugins can read it. We store it sealed instead:
//!
//! ```text
//! wps3:v1:<base64url, no padding, of nonce(12) || ciphertext || tag(16)>
//! ```
//!
//! * **Key.** HKDF-SHA256 over the site's key material (for example the
//!   `AUTH_KEY`/`SECURE_AUTH_SALT` constants from `wp-config.php`), with a fixed
//!   salt naming this scheme, so the same material used elsewhere never yields
//!   the same AES key.
//! * **Nonce.** 96 random bits per message from the OS (`getrandom`). Secrets
//!   are re-sealed only when an admin saves settings, far below the ~2³²
//!   messages where random GCM nonces start to risk collisions.
//! * **Associated data.** The version tag plus the caller's `context`
//!   (e.g. `site:1|field:secret_access_key`). It is authenticated, not stored,
//!   so an envelope copied to another site or field fails to open.
//!
//! **Rotation.** The version tag names the whole scheme (KDF, salt, cipher,
//! AAD layout). A new scheme gets a new tag (`wps3:v2:`); [`decrypt_secret`]
//! dispatches on the tag, so old envelopes keep opening while
//! [`encrypt_secret`] writes only the newest. Callers can re-seal on read when
//! an envelope does not start with [`CURRENT_PREFIX`]. Changing the key
//! *material* needs no new version: decrypt with the old material, encrypt
//! with the new.
//!
//! **Failures are deliberately vague.** A wrong key, a wrong context and a
//! tampered envelope all fail the GCM tag check, and GCM cannot tell them
//! apart. We do not add a key-check value to do so, since it would only be a
//! guess and would hand an attacker a cheap oracle for the key material. All
//! three give [`ErrorCode::DecryptFailed`].

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Nonce, Payload};
use aes_gcm::Aes256Gcm;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{invalid, ErrorCode, Result};

/// Every envelope starts with this, whatever its version.
const SCHEME: &str = "wps3:";
/// The version [`encrypt_secret`] writes.
const V1: &str = "v1";
/// The full prefix of envelopes written by this build: `wps3:v1:`.
pub const CURRENT_PREFIX: &str = "wps3:v1:";

/// HKDF salt: names the scheme so derived keys are unique to it.
const V1_SALT: &[u8] = b"wps3/secret-envelope/v1";
/// HKDF info: names what the derived bytes are used for.
const V1_INFO: &[u8] = b"aes-256-gcm key";

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// A decrypted secret: the `String` is wiped from memory when dropped, and
/// `Debug` never prints it, so it cannot leak through `{:?}` in a log line.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret so it is zeroized on drop.
    pub fn new(secret: String) -> Self {
        SecretString(secret)
    }

    /// The secret itself. Keep the borrow short; copies are not zeroized.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

/// Seals `plaintext` into a `wps3:v1:…` envelope bound to `context`.
///
/// `key_material` must not be empty; use at least 32 random bytes (the
/// `wp-config.php` salts are fine). The same `context` must be given to
/// [`decrypt_secret`]. Errors: [`ErrorCode::InvalidArgument`] for empty key
/// material, [`ErrorCode::EncryptFailed`] when the OS has no randomness.
pub fn encrypt_secret(key_material: &[u8], context: &str, plaintext: &str) -> Result<String> {
    let cipher = v1_cipher(key_material)?;
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| {
        invalid(
            ErrorCode::EncryptFailed,
            format!("no randomness available for the nonce: {e}"),
        )
    })?;
    let aad = v1_aad(context);
    let sealed = cipher
        .encrypt(
            &Nonce::<Aes256Gcm>::from(nonce),
            Payload {
                msg: plaintext.as_bytes(),
                aad: &aad,
            },
        )
        // Only reachable for plaintexts over 64 GiB.
        .map_err(|_| invalid(ErrorCode::EncryptFailed, "AES-GCM refused the plaintext"))?;

    let mut raw = Vec::with_capacity(NONCE_LEN + sealed.len());
    raw.extend_from_slice(&nonce);
    raw.extend_from_slice(&sealed);
    Ok(format!("{CURRENT_PREFIX}{}", URL_SAFE_NO_PAD.encode(raw)))
}

/// Opens an envelope made by [`encrypt_secret`] with the same key material
/// and context.
///
/// Errors: [`ErrorCode::UnsupportedEnvelope`] for a `wps3:` envelope of a
/// version this build does not know; [`ErrorCode::DecryptFailed`] for
/// anything else that does not open (wrong key, wrong context, tampering,
/// truncation, not an envelope at all); [`ErrorCode::InvalidArgument`] for
/// empty key material.
pub fn decrypt_secret(key_material: &[u8], context: &str, envelope: &str) -> Result<SecretString> {
    let envelope = envelope.trim();
    let Some(rest) = envelope.strip_prefix(SCHEME) else {
        return Err(invalid(
            ErrorCode::DecryptFailed,
            format!("not a secret envelope: it should start with '{CURRENT_PREFIX}'"),
        ));
    };
    let Some((version, body)) = rest.split_once(':') else {
        return Err(invalid(
            ErrorCode::DecryptFailed,
            "malformed secret envelope: no version tag after 'wps3:'",
        ));
    };
    match version {
        V1 => open_v1(key_material, context, body),
        other => Err(invalid(
            ErrorCode::UnsupportedEnvelope,
            format!(
                "secret envelope version '{}' is not supported by this build (it knows '{V1}'); \
                 update the plugin or re-enter the secret",
                other.escape_debug()
            ),
        )),
    }
}

fn open_v1(key_material: &[u8], context: &str, body: &str) -> Result<SecretString> {
    let cipher = v1_cipher(key_material)?;
    let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| {
        invalid(
            ErrorCode::DecryptFailed,
            "malformed secret envelope: the body is not base64url",
        )
    })?;
    if raw.len() < NONCE_LEN + TAG_LEN {
        return Err(invalid(
            ErrorCode::DecryptFailed,
            "malformed secret envelope: too short to hold a nonce and a tag",
        ));
    }
    let (nonce, sealed) = raw.split_at(NONCE_LEN);
    let nonce = Nonce::<Aes256Gcm>::try_from(nonce).map_err(|_| {
        invalid(
            ErrorCode::DecryptFailed,
            "malformed secret envelope: bad nonce",
        )
    })?;
    let aad = v1_aad(context);
    let plain = cipher
        .decrypt(
            &nonce,
            Payload {
                msg: sealed,
                aad: &aad,
            },
        )
        .map_err(|_| {
            invalid(
                ErrorCode::DecryptFailed,
                "the secret could not be decrypted: the site key changed, the envelope \
                 belongs to another site or field, or it was altered; re-enter the secret",
            )
        })?;
    String::from_utf8(plain).map(SecretString).map_err(|e| {
        // Authentic but not UTF-8: not something encrypt_secret writes. Wipe it anyway.
        e.into_bytes().zeroize();
        invalid(
            ErrorCode::DecryptFailed,
            "decrypted secret is not UTF-8 text",
        )
    })
}

/// AES-256-GCM keyed by HKDF-SHA256(salt = [`V1_SALT`], ikm = key material, info = [`V1_INFO`]).
fn v1_cipher(key_material: &[u8]) -> Result<Aes256Gcm> {
    if key_material.is_empty() {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            "key material for secret envelopes must not be empty",
        ));
    }
    let mut key = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(V1_SALT), key_material)
        .expand(V1_INFO, key.as_mut())
        .map_err(|_| invalid(ErrorCode::EncryptFailed, "HKDF could not derive the key"))?;
    Aes256Gcm::new_from_slice(key.as_ref())
        .map_err(|_| invalid(ErrorCode::EncryptFailed, "derived key has the wrong length"))
}

/// `wps3:v1:` followed by the context. The fixed-length prefix keeps the
/// encoding unambiguous and ties the ciphertext to its version.
fn v1_aad(context: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(CURRENT_PREFIX.len() + context.len());
    aad.extend_from_slice(CURRENT_PREFIX.as_bytes());
    aad.extend_from_slice(context.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"put your unique phrase here, 64 bytes of wp-config salt material";
    const CTX: &str = "site:1|field:secret_access_key";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn code(r: Result<SecretString>) -> ErrorCode {
        r.expect_err("should not open").code()
    }

    #[test]
    fn round_trips() {
        let env = encrypt_secret(KEY, CTX, SECRET).unwrap();
        assert!(env.starts_with("wps3:v1:"));
        // 12 nonce + 40 plaintext + 16 tag = 68 bytes -> 91 base64 chars.
        assert_eq!(env.len(), CURRENT_PREFIX.len() + 91);
        assert_eq!(decrypt_secret(KEY, CTX, &env).unwrap().expose(), SECRET);
        let empty = encrypt_secret(KEY, "", "").unwrap();
        assert_eq!(decrypt_secret(KEY, "", &empty).unwrap().expose(), "");
        let unicode = encrypt_secret(b"k", "ctx", "pässwörd 🔑").unwrap();
        assert_eq!(
            decrypt_secret(b"k", "ctx", &unicode).unwrap().expose(),
            "pässwörd 🔑"
        );
    }

    #[test]
    fn nonces_are_fresh() {
        assert_ne!(
            encrypt_secret(KEY, CTX, SECRET).unwrap(),
            encrypt_secret(KEY, CTX, SECRET).unwrap()
        );
    }

    #[test]
    fn every_tampered_byte_fails() {
        let env = encrypt_secret(KEY, CTX, SECRET).unwrap();
        let raw = URL_SAFE_NO_PAD
            .decode(&env[CURRENT_PREFIX.len()..])
            .unwrap();
        for i in 0..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= 0x01;
            let bad = format!("{CURRENT_PREFIX}{}", URL_SAFE_NO_PAD.encode(&bad));
            assert_eq!(
                code(decrypt_secret(KEY, CTX, &bad)),
                ErrorCode::DecryptFailed,
                "byte {i}"
            );
        }
        let truncated = &env[..env.len() - 2];
        assert_eq!(
            code(decrypt_secret(KEY, CTX, truncated)),
            ErrorCode::DecryptFailed
        );
    }

    #[test]
    fn wrong_context_or_key_fails() {
        let env = encrypt_secret(KEY, CTX, SECRET).unwrap();
        let other_site = "site:2|field:secret_access_key";
        assert_eq!(
            code(decrypt_secret(KEY, other_site, &env)),
            ErrorCode::DecryptFailed
        );
        assert_eq!(
            code(decrypt_secret(b"another key", CTX, &env)),
            ErrorCode::DecryptFailed
        );
        let msg = decrypt_secret(b"another key", CTX, &env)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("re-enter the secret"), "{msg}");
    }

    #[test]
    fn versions_and_malformed_envelopes() {
        let env = encrypt_secret(KEY, CTX, SECRET).unwrap();
        let v2 = env.replacen("wps3:v1:", "wps3:v2:", 1);
        assert_eq!(
            code(decrypt_secret(KEY, CTX, &v2)),
            ErrorCode::UnsupportedEnvelope
        );
        for bad in [
            "",
            SECRET,
            "wps3:",
            "wps3:v1",
            "wps3:v1:",
            "wps3:v1:!!!!",
            "wps3:v1:AAAA",
        ] {
            assert_eq!(
                code(decrypt_secret(KEY, CTX, bad)),
                ErrorCode::DecryptFailed,
                "{bad}"
            );
        }
    }

    #[test]
    fn empty_key_material_is_rejected() {
        assert_eq!(
            encrypt_secret(b"", CTX, SECRET).unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
        let env = encrypt_secret(KEY, CTX, SECRET).unwrap();
        assert_eq!(
            code(decrypt_secret(b"", CTX, &env)),
            ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn debug_is_redacted() {
        let s = SecretString::new(SECRET.to_string());
        assert_eq!(format!("{s:?}"), "SecretString(<redacted>)");
        assert_eq!(s.expose(), SECRET);
    }
}
