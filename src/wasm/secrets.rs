//! Secret envelopes (feature `secrets`): `encryptSecret`, `decryptSecret`,
//! and `Bucket.fromSealed`, which opens the envelope inside wasm.

use super::convert::{input, invalid, StorageInput};
use super::signing::Bucket;
use crate::secrets::envelope::{decrypt_secret as decrypt, encrypt_secret as encrypt};
use crate::sigv4::Credentials;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use zeroize::Zeroize;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface SecretInput { keyMaterial: string; context: string; plaintext?: string; envelope?: string; }
"#;

#[derive(Deserialize, Zeroize)]
#[zeroize(drop)]
#[serde(rename_all = "camelCase")]
struct SecretInput {
    key_material: String,
    context: String,
    #[serde(default)]
    plaintext: Option<String>,
    #[serde(default)]
    envelope: Option<String>,
}

/// Seals a secret: AES-256-GCM under an HKDF key, bound to `context`.
#[wasm_bindgen(js_name = encryptSecret)]
pub fn encrypt_secret_js(
    #[wasm_bindgen(unchecked_param_type = "SecretInput")] req: JsValue,
) -> Result<String, JsValue> {
    let req: SecretInput = input(req, "encryptSecret")?;
    let plaintext = req
        .plaintext
        .as_deref()
        .ok_or_else(|| invalid("encryptSecret needs plaintext"))?;
    Ok(encrypt(
        req.key_material.as_bytes(),
        &req.context,
        plaintext,
    )?)
}

/// Opens an envelope made by `encryptSecret` with the same key material and context.
#[wasm_bindgen(js_name = decryptSecret)]
pub fn decrypt_secret_js(
    #[wasm_bindgen(unchecked_param_type = "SecretInput")] req: JsValue,
) -> Result<js_sys::JsString, JsValue> {
    let req: SecretInput = input(req, "decryptSecret")?;
    let envelope = req
        .envelope
        .as_deref()
        .ok_or_else(|| invalid("decryptSecret needs an envelope"))?;
    let secret = decrypt(req.key_material.as_bytes(), &req.context, envelope)?;
    // Straight into a JS string: no second Rust copy left behind unwiped.
    Ok(js_sys::JsString::from(secret.expose()))
}

#[wasm_bindgen]
impl Bucket {
    /// A `Bucket` whose secret is opened here from its sealed envelope
    /// (`decryptSecret`'s inputs): the plain secret never becomes a JS
    /// string, and lives only inside this object until `free()`.
    #[wasm_bindgen(js_name = fromSealed)]
    pub fn from_sealed(
        #[wasm_bindgen(unchecked_param_type = "Storage")] storage: JsValue,
        access_key_id: String,
        envelope: &str,
        key_material: String,
        context: &str,
        session_token: Option<String>,
    ) -> Result<Bucket, JsValue> {
        let mut key_material = key_material;
        let opened = decrypt(key_material.as_bytes(), context, envelope);
        key_material.zeroize();
        let secret = opened?;
        let endpoint = input::<StorageInput>(storage, "storage")?.resolve()?;
        Bucket::with(
            endpoint,
            Credentials::new(access_key_id, secret.expose(), session_token),
        )
    }
}
