//! Bindings for the error model: thrown errors carry it, `classifyFailure`
//! gives the sidecar's own failures the core's verdict, and `adviceCatalog`
//! lists every advice id. All three are the sidecar's (feature `node`);
//! pkg/web throws a lighter model, see `light_error` in convert.rs. Both
//! builds have `statusVerdict`: the browser's transfers judge a failed answer
//! with it.

use super::convert::output;
#[cfg(feature = "node")]
use super::convert::{input, invalid};
#[cfg(feature = "node")]
use crate::error::advice::catalog_json;
#[cfg(feature = "node")]
use crate::error::local::{classify, LocalFailure};
#[cfg(feature = "node")]
use crate::error::Problem;
#[cfg(feature = "node")]
use serde::Deserialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export type Retry = 'never' | 'backoff' | 'after-clock-fix';
export interface ErrorModel { code: string; message: string; retry: Retry; retryable: boolean; adviceId: string; cause: string; fix: string; s3Code?: string; httpStatus?: number; requestId?: string; region?: string; bucketRegion?: string; endpoint?: string; serverTime?: number; clockSkewSeconds?: number; retryAfterSeconds?: number; errno?: string; }
export interface StatusVerdict { code: string; retry: Retry; retryable: boolean; }
export interface LocalFailureInput { kind: 'network' | 'file' | 'sidecar'; message: string; errno?: string | null; code?: string; built?: boolean; }
"#;

#[cfg(feature = "node")]
/// A JS `Error` whose own properties are the error model (`code`, `retry`,
/// `adviceId`, `cause`, `fix`, …), so a caller can forward it unchanged.
pub(crate) fn thrown(problem: &Problem) -> JsValue {
    let err = js_sys::Error::new(&problem.message);
    if let Ok(fields) = problem.serialize(&serde_wasm_bindgen::Serializer::json_compatible()) {
        if let Some(fields) = fields.dyn_ref::<js_sys::Object>() {
            js_sys::Object::assign(&err, fields);
        }
    }
    err.into()
}

#[cfg(feature = "node")]
use serde::Serialize as _;

#[cfg(feature = "node")]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LocalInput {
    kind: String,
    message: String,
    #[serde(default)]
    errno: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    built: Option<bool>,
}

#[cfg(feature = "node")]
/// The error model for a failure in the sidecar itself: a network errno,
/// a TLS verification failure, a file error, or one of its protocol codes.
#[wasm_bindgen(js_name = classifyFailure, unchecked_return_type = "ErrorModel")]
pub fn classify_failure(
    #[wasm_bindgen(unchecked_param_type = "LocalFailureInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: LocalInput = input(req, "classifyFailure")?;
    let failure = match req.kind.as_str() {
        "network" => LocalFailure::Network {
            errno: req.errno.as_deref().unwrap_or("ECONNRESET"),
            built: req.built.unwrap_or(true),
        },
        "file" => LocalFailure::File {
            errno: req.errno.as_deref(),
        },
        "sidecar" => LocalFailure::Sidecar {
            code: req.code.as_deref().unwrap_or("INTERNAL"),
        },
        other => {
            return Err(invalid(&format!(
                "classifyFailure: kind '{other}' is not network, file or sidecar"
            )))
        }
    };
    output(&classify(failure, &req.message))
}

#[cfg(feature = "node")]
/// Every advice id with its English cause and fix: `{ id: { cause, fix } }`.
#[wasm_bindgen(js_name = adviceCatalog, unchecked_return_type = "Record<string, { cause: string; fix: string }>")]
pub fn advice_catalog() -> Result<JsValue, JsValue> {
    output(&catalog_json())
}

/// The core's verdict on a failed HTTP answer judged by its status alone
/// (`0`: no answer at all): `{ code, retry, retryable }`. The browser's
/// transfers ask it, so no status rule lives in JavaScript.
#[wasm_bindgen(js_name = statusVerdict, unchecked_return_type = "StatusVerdict")]
pub fn status_verdict(status: u16) -> Result<JsValue, JsValue> {
    output(&crate::s3::status::status_verdict(status))
}
