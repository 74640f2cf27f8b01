//! The signing key of one day, ready to sign: a signer that keeps one key
//! pair (the sidecar's cached `Bucket`) derives `kSigning` once a day and
//! keeps the HMAC state with the key block already absorbed, so each
//! signature costs the string to sign and nothing more.
//!
//! Unlike [`super::SigningKeyCache`] (shared by callers with any key pair,
//! so looked up by a salted digest of the secret on every call), a
//! `DayKey` belongs to one key pair and is looked up by scope alone.
//!
//! A page of links is signed at one second: the string to sign's first
//! lines (algorithm, time, scope) are the same for every link, so the state
//! after them is kept too ([`DayKey::mac_after_scope`]), one SHA-256 block
//! fewer per signature.

use super::signing_key::derive_signing_key;
use super::ALGORITHM;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;

/// A prepared HMAC-SHA256 under a day's `kSigning`.
pub type PreparedMac = Hmac<Sha256>;

/// The last scope signed for and its prepared HMAC state. The state is key
/// material: the hash cores inside it are zeroized when it is dropped
/// (sha2's `zeroize` feature), and `Debug` shows only the scope.
#[derive(Default)]
pub struct DayKey {
    slot: Option<Slot>,
}

struct Slot {
    date: String,
    region: String,
    service: String,
    mac: PreparedMac,
    /// `mac` with the string to sign's lines before the hash fed in, for
    /// the `X-Amz-Date` they carry.
    after_scope: Option<(String, PreparedMac)>,
}

impl DayKey {
    /// An empty key; the first signature derives it.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the prepared HMAC for `date` (`YYYYMMDD`), region and
    /// service, deriving it when the scope changed since the last call.
    pub fn mac(&mut self, secret: &str, date: &str, region: &str, service: &str) -> PreparedMac {
        match &self.slot {
            Some(s) if s.date == date && s.region == region && s.service == service => {
                s.mac.clone()
            }
            _ => {
                let key = derive_signing_key(secret, date, region, service);
                // HMAC takes a key of any length: this cannot fail.
                let mac =
                    PreparedMac::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
                self.slot = Some(Slot {
                    date: date.to_owned(),
                    region: region.to_owned(),
                    service: service.to_owned(),
                    mac: mac.clone(),
                    after_scope: None,
                });
                mac
            }
        }
    }

    /// [`DayKey::mac`] for the scope of `amz_date` (`YYYYMMDDTHHMMSSZ`), with
    /// the string to sign up to its last line already fed in:
    /// `AWS4-HMAC-SHA256\n<amz_date>\n<date>/<region>/<service>/aws4_request\n`.
    /// The caller feeds the canonical request's hex hash and finalizes.
    pub fn mac_after_scope(
        &mut self,
        secret: &str,
        amz_date: &str,
        region: &str,
        service: &str,
    ) -> PreparedMac {
        let date = amz_date.get(..8).unwrap_or(amz_date);
        let base = self.mac(secret, date, region, service);
        let Some(slot) = self.slot.as_mut() else {
            return base;
        };
        if let Some((at, mac)) = &slot.after_scope {
            if at == amz_date {
                return mac.clone();
            }
        }
        let mut mac = base;
        for part in [
            ALGORITHM,
            "\n",
            amz_date,
            "\n",
            date,
            "/",
            region,
            "/",
            service,
            "/aws4_request\n",
        ] {
            mac.update(part.as_bytes());
        }
        slot.after_scope = Some((amz_date.to_owned(), mac.clone()));
        mac
    }

    /// Whether a key is held (for tests).
    pub fn is_derived(&self) -> bool {
        self.slot.is_some()
    }
}

impl fmt::Debug for DayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.slot {
            Some(s) => write!(
                f,
                "DayKey({}/{}/{}, ** redacted **)",
                s.date, s.region, s.service
            ),
            None => f.write_str("DayKey(empty)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::encoding::hex;

    fn sign(mac: PreparedMac, data: &str) -> String {
        let mut mac = mac;
        mac.update(data.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    #[test]
    fn signs_like_the_derived_key_and_follows_the_scope() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let mut day = DayKey::new();
        assert!(!day.is_derived());
        for (date, region) in [
            ("20120215", "us-east-1"),
            ("20120215", "us-east-1"),
            ("20120216", "us-east-1"),
            ("20120216", "eu-west-1"),
        ] {
            let want = derive_signing_key(secret, date, region, "s3").sign("payload");
            assert_eq!(sign(day.mac(secret, date, region, "s3"), "payload"), want);
        }
        // After the scope: the same signature as the whole string to sign,
        // whichever second, day or region came before.
        for (amz_date, region) in [
            ("20120216T000000Z", "eu-west-1"),
            ("20120216T000000Z", "eu-west-1"),
            ("20120216T000001Z", "eu-west-1"),
            ("20120217T000001Z", "eu-west-1"),
            ("20120217T000001Z", "us-east-1"),
        ] {
            let date = &amz_date[..8];
            let hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
            let whole =
                format!("AWS4-HMAC-SHA256\n{amz_date}\n{date}/{region}/s3/aws4_request\n{hash}");
            let want = derive_signing_key(secret, date, region, "s3").sign(&whole);
            assert_eq!(
                sign(day.mac_after_scope(secret, amz_date, region, "s3"), hash),
                want
            );
        }
        let shown = format!("{day:?}");
        assert!(shown.contains("20120217/us-east-1/s3") && !shown.contains(secret));
    }
}
