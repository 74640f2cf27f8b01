//! Step 2: the string to sign.
//!
//! ```text
//! AWS4-HMAC-SHA256 \n X_AMZ_DATE \n DATE/REGION/SERVICE/aws4_request \n hex(SHA256(canonical request))
//! ```

use super::encoding::hex;
use super::ALGORITHM;
use sha2::{Digest, Sha256};

/// `DATE/REGION/SERVICE/aws4_request`.
pub fn credential_scope(date_stamp: &str, region: &str, service: &str) -> String {
    format!("{date_stamp}/{region}/{service}/aws4_request")
}

/// The string to sign for a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let digest = hex(&Sha256::digest(canonical_request.as_bytes()));
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{digest}")
}
