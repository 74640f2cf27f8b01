//! Payload hashing (feature `node`): `sha256Hex` and the streaming
//! `PayloadHasher` for files too large to hold.

use super::convert::{bytes_arg, invalid};
use crate::sigv4::encoding::hex;
use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;

/// Hex SHA-256 of a byte array (a payload hash).
#[wasm_bindgen(js_name = sha256Hex)]
pub fn sha256_hex(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
) -> Result<String, JsValue> {
    let mut hasher = Sha256::new();
    feed(&mut hasher, &bytes_arg(&bytes, "bytes")?);
    Ok(hex(&hasher.finalize()))
}

/// Copies through a small window, so hashing a 512 MiB part does not grow
/// wasm memory (which never shrinks) by 512 MiB.
fn feed(hasher: &mut Sha256, bytes: &js_sys::Uint8Array) {
    const WINDOW: u32 = 64 * 1024;
    let mut window = vec![0u8; WINDOW as usize];
    let len = bytes.length();
    let mut at = 0;
    while at < len {
        let end = len.min(at + WINDOW);
        let chunk = &mut window[..(end - at) as usize];
        bytes.subarray(at, end).copy_to(chunk);
        hasher.update(&*chunk);
        at = end;
    }
}

/// Streaming SHA-256 for payload hashes of files too large to hold.
#[wasm_bindgen]
pub struct PayloadHasher {
    inner: Option<Sha256>,
}

#[wasm_bindgen]
impl PayloadHasher {
    /// A fresh hasher.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> PayloadHasher {
        PayloadHasher {
            inner: Some(Sha256::new()),
        }
    }

    /// Feeds bytes.
    pub fn update(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    ) -> Result<(), JsValue> {
        let bytes = bytes_arg(&bytes, "bytes")?;
        match self.inner.as_mut() {
            Some(h) => {
                feed(h, &bytes);
                Ok(())
            }
            None => Err(invalid("hasher already finished")),
        }
    }

    /// Returns the hex digest; the hasher cannot be used afterwards.
    pub fn finish(&mut self) -> Result<String, JsValue> {
        match self.inner.take() {
            Some(h) => Ok(hex(&h.finalize())),
            None => Err(invalid("hasher already finished")),
        }
    }
}
