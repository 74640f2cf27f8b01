//! Step 3: the signing key, an HMAC chain over date, region and service.
//!
//! The key only changes once a day per region and service, so callers that sign
//! many requests keep a [`SigningKeyCache`].

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// A derived `kSigning` key. Zeroized on drop, redacted in `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct SigningKey([u8; 32]);

impl SigningKey {
    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Signs a string to sign, returning lower-case hex.
    pub fn sign(&self, string_to_sign: &str) -> String {
        super::encoding::hex(&hmac_sha256(&self.0, string_to_sign.as_bytes()))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(** redacted **)")
    }
}

/// The intermediate keys, for tests that check every link of the chain.
pub struct SigningKeyChain {
    /// `HMAC("AWS4" + secret, date)`
    pub k_date: [u8; 32],
    /// `HMAC(kDate, region)`
    pub k_region: [u8; 32],
    /// `HMAC(kRegion, service)`
    pub k_service: [u8; 32],
    /// `HMAC(kService, "aws4_request")`
    pub k_signing: SigningKey,
}

impl Drop for SigningKeyChain {
    fn drop(&mut self) {
        self.k_date.zeroize();
        self.k_region.zeroize();
        self.k_service.zeroize();
    }
}

/// Derives every key of the chain.
pub fn derive_signing_key_chain(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
) -> SigningKeyChain {
    let mut seed = Vec::with_capacity(4 + secret.len());
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret.as_bytes());
    let k_date = hmac_sha256(&seed, date.as_bytes());
    seed.zeroize();
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    let k_signing = SigningKey(hmac_sha256(&k_service, b"aws4_request"));
    SigningKeyChain {
        k_date,
        k_region,
        k_service,
        k_signing,
    }
}

/// Derives `kSigning` for a secret, a `YYYYMMDD` date, a region and a service.
pub fn derive_signing_key(secret: &str, date: &str, region: &str, service: &str) -> SigningKey {
    derive_signing_key_chain(secret, date, region, service)
        .k_signing
        .clone()
}

/// A small most-recently-used cache of signing keys.
///
/// Entries are looked up by a salted SHA-256 of the secret, never the secret
/// itself, so the cache holds no copy of any secret; the random per-cache salt
/// keeps a memory dump from confirming a guessed weak secret (`minioadmin`).
pub struct SigningKeyCache {
    salt: [u8; 16],
    entries: Vec<(CacheId, SigningKey)>,
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        let mut salt = [0u8; 16];
        // Without randomness the cache still works; it only loses the salt's benefit.
        let _ = getrandom::fill(&mut salt);
        SigningKeyCache {
            salt,
            entries: Vec::new(),
        }
    }
}

#[derive(PartialEq, Eq)]
struct CacheId {
    secret_digest: [u8; 32],
    date: String,
    region: String,
    service: String,
}

const CACHE_CAPACITY: usize = 16;

impl SigningKeyCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the cached key, deriving and caching it on a miss.
    pub fn get(&mut self, secret: &str, date: &str, region: &str, service: &str) -> SigningKey {
        let id = CacheId {
            secret_digest: Sha256::new()
                .chain_update(self.salt)
                .chain_update(secret.as_bytes())
                .finalize()
                .into(),
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
        };
        if let Some(pos) = self.entries.iter().position(|(k, _)| *k == id) {
            let entry = self.entries.remove(pos);
            let key = entry.1.clone();
            self.entries.push(entry);
            return key;
        }
        let key = derive_signing_key(secret, date, region, service);
        if self.entries.len() == CACHE_CAPACITY {
            self.entries.remove(0);
        }
        self.entries.push((id, key.clone()));
        key
    }

    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKeyCache({} keys)", self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_documentation_example() {
        let key = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            super::super::encoding::hex(key.as_bytes()),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn cache_returns_the_same_key_and_stays_bounded() {
        let mut cache = SigningKeyCache::new();
        let a = cache.get("s", "20240101", "us-east-1", "s3");
        assert_eq!(a, cache.get("s", "20240101", "us-east-1", "s3"));
        assert_ne!(a, cache.get("t", "20240101", "us-east-1", "s3"));
        for d in 0..40 {
            cache.get("s", &format!("202401{d:02}"), "r", "s3");
        }
        assert_eq!(cache.len(), CACHE_CAPACITY);
    }
}
