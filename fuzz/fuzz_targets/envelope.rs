//! Fuzzes secret-envelope decoding (`wps3:v1:<base64url>`), and sealing any
//! text then opening it.
//!
//! Input layout: the whole input, decoded lossily, is both the envelope to
//! open and the plaintext to seal; its first byte also picks which byte of
//! the sealed envelope to tamper with.
//!
//! What must hold: opening arbitrary text gives a secret or a decrypt error
//! (`DECRYPT_FAILED`, `UNSUPPORTED_ENVELOPE`), never a panic; a sealed text
//! opens to itself, not under another context or key material, and not once
//! any one character of its body has changed.

use wps3::secrets::envelope::{decrypt_secret, encrypt_secret, CURRENT_PREFIX};
use wps3::ErrorCode;

const MATERIAL: &[u8] = b"fuzz: AUTH_KEY and SECURE_AUTH_SALT stand-in";
const CONTEXT: &str = "site:1|field:secret_access_key";

/// Panics when an invariant breaks; any input is allowed.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = decrypt_secret(MATERIAL, CONTEXT, &text) {
        assert!(
            matches!(
                e.code(),
                ErrorCode::DecryptFailed | ErrorCode::UnsupportedEnvelope
            ),
            "{:?}",
            e.code()
        );
    }

    let sealed = encrypt_secret(MATERIAL, CONTEXT, &text).expect("any text seals");
    assert!(sealed.starts_with(CURRENT_PREFIX));
    let opened = decrypt_secret(MATERIAL, CONTEXT, &sealed).expect("own envelope opens");
    assert_eq!(opened.expose(), text);
    assert!(decrypt_secret(MATERIAL, "site:2|field:secret_access_key", &sealed).is_err());
    assert!(decrypt_secret(b"other material", CONTEXT, &sealed).is_err());

    // Change one base64url character of the body to another.
    let body = &sealed[CURRENT_PREFIX.len()..];
    let at = usize::from(data.first().copied().unwrap_or(0)) % body.len();
    let old = body.as_bytes()[at];
    let new = if old == b'A' { b'B' } else { b'A' };
    let mut tampered = sealed.clone().into_bytes();
    tampered[CURRENT_PREFIX.len() + at] = new;
    let tampered = String::from_utf8(tampered).expect("ascii");
    // The last character may carry only padding bits that base64 ignores;
    // every other change must break the tag.
    if at + 1 < body.len() {
        assert!(
            decrypt_secret(MATERIAL, CONTEXT, &tampered).is_err(),
            "tampered envelope opened: {tampered}"
        );
    }
}
