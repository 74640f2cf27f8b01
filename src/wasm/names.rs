//! Bindings for names, in every build (the admin page previews them too):
//! `resolveEndpoint`, `renderKey`, `sanitizeTitle`, `contentDisposition`,
//! `validateBucket`, `validateKey`.

use super::convert::{
    input, invalid, output, string_arg, NowInput, StorageInput, MAX_SAFE_INTEGER,
};
use crate::keys::template::{render_key as render, sanitize_title as sanitize, KeyInput};
use crate::s3::content_disposition::{content_disposition as disposition, Disposition};
use crate::s3::validate;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface RenderKeyInput { template?: string; pathPrefix?: string; title: string; documentId: string | number; now: Now; user?: string; site?: string | number; }
"#;

/// Validates storage settings and returns host, addressing style and region.
#[wasm_bindgen(js_name = resolveEndpoint, unchecked_return_type = "ResolvedEndpoint")]
pub fn resolve_endpoint(
    #[wasm_bindgen(unchecked_param_type = "Storage")] storage: JsValue,
) -> Result<JsValue, JsValue> {
    output(&input::<StorageInput>(storage, "storage")?.resolve()?.view())
}

/// `attachment; filename="…"; filename*=UTF-8''…` for any Unicode filename.
#[wasm_bindgen(js_name = contentDisposition)]
pub fn content_disposition_js(
    #[wasm_bindgen(unchecked_param_type = "string")] filename: JsValue,
    #[wasm_bindgen(unchecked_param_type = "'attachment' | 'inline' | undefined")] kind: JsValue,
) -> Result<String, JsValue> {
    let filename = string_arg(&filename, "filename")?;
    let kind = if kind.is_undefined() || kind.is_null() {
        Disposition::Attachment
    } else {
        Disposition::from_name(&string_arg(&kind, "disposition")?)?
    };
    Ok(disposition(&filename, kind))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IdInput {
    Number(f64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RenderInput {
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    path_prefix: Option<String>,
    title: String,
    document_id: IdInput,
    now: NowInput,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    site: Option<IdInput>,
}

/// Renders a backup object key from a template.
#[wasm_bindgen(js_name = renderKey)]
pub fn render_key_js(
    #[wasm_bindgen(unchecked_param_type = "RenderKeyInput")] req: JsValue,
) -> Result<String, JsValue> {
    let req: RenderInput = input(req, "renderKey")?;
    let id = match &req.document_id {
        // Beyond 2^53 a JS number no longer names one document: two ids
        // could render the same key and overwrite each other's backups.
        IdInput::Number(n) if n.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(n) => {
            format!("{}", *n as u64)
        }
        IdInput::Number(n) => {
            return Err(invalid(&format!(
                "documentId {n} is not a whole number up to 2^53 - 1; pass it as a string"
            )))
        }
        IdInput::Text(t) => t.clone(),
    };
    let site = match &req.site {
        Some(IdInput::Number(n)) if n.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(n) => {
            Some(format!("{}", *n as u64))
        }
        Some(IdInput::Number(n)) => {
            return Err(invalid(&format!("site {n} is not a whole number")))
        }
        Some(IdInput::Text(t)) => Some(t.clone()),
        None => None,
    };
    Ok(render(&KeyInput {
        template: req.template.as_deref(),
        path_prefix: req.path_prefix.as_deref(),
        title: &req.title,
        document_id: &id,
        now: req.now.timestamp()?,
        user: req.user.as_deref(),
        site: site.as_deref(),
    })?)
}

/// "Service Agreement" → "Service-Agreement"; safe for any input.
#[wasm_bindgen(js_name = sanitizeTitle)]
pub fn sanitize_title_js(
    #[wasm_bindgen(unchecked_param_type = "string")] title: JsValue,
) -> Result<String, JsValue> {
    Ok(sanitize(&string_arg(&title, "title")?))
}

/// Throws `INVALID_BUCKET` with the rule that was broken.
#[wasm_bindgen(js_name = validateBucket)]
pub fn validate_bucket_js(
    #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
) -> Result<(), JsValue> {
    Ok(validate::validate_bucket(&string_arg(&name, "bucket")?)?)
}

/// Throws `INVALID_KEY` for keys this integration will not create.
#[wasm_bindgen(js_name = validateKey)]
pub fn validate_key_js(
    #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
) -> Result<(), JsValue> {
    Ok(validate::validate_key(&string_arg(&key, "key")?)?)
}
