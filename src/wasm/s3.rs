//! Bindings for S3 answers and actions: `parseS3Error`, `s3Request`,
//! `s3Response`, `payloadSigning`. Built only with the `xml` feature.

use super::convert::{input, js_error, output, sign_stateless, NowInput, Signs, StorageInput};
use super::signing::Bucket;
use crate::s3::actions::dispatch::{parse_response, Action};
use crate::s3::actions::{body_needs_hash, sign_action, Response};
use crate::s3::endpoint::ResolvedEndpoint;
use crate::s3::error_advice::explain;
use crate::s3::error_xml::{parse_s3_error, S3Error};
use crate::sigv4::{Credentials, SigningKeyCache};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface ParseS3ErrorInput { status: number; body?: string; headers?: Pairs; now?: Now; }
export type S3ErrorInfo = ErrorModel & { bodyParsed: boolean };
export type S3Action = 'put_object' | 'create_multipart_upload' | 'upload_part' | 'complete_multipart_upload' | 'abort_multipart_upload' | 'head_object' | 'get_object' | 'delete_object' | 'list_objects_v2' | 'list_parts' | 'head_bucket' | 'get_bucket_location';
export interface S3RequestInput { storage: Storage; credentials: CredentialsInput; now: Now; action: S3Action; args?: Record<string, unknown>; }
export interface S3ActionFields { now: Now; action: S3Action; args?: Record<string, unknown>; }
export interface S3SignedAction { method: string; url: string; headers: Pairs; body?: string; }
export interface S3ResponseInput { action: S3Action; status: number; headers?: Pairs; body?: string; now?: Now; }
export type S3Outcome = { ok: true; result: any } | { ok: false; error: ErrorModel };
"#;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorInput {
    status: u16,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    now: Option<NowInput>,
}

/// Turns an S3 error response into the error model. A body that is not S3
/// XML (a proxy's HTML page, an empty HEAD response) still gives an answer
/// derived from the status, with `bodyParsed: false`.
#[wasm_bindgen(js_name = parseS3Error, unchecked_return_type = "S3ErrorInfo")]
pub fn parse_s3_error_js(
    #[wasm_bindgen(unchecked_param_type = "ParseS3ErrorInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: ErrorInput = input(req, "parseS3Error")?;
    let now = req.now.as_ref().map(NowInput::timestamp).transpose()?;
    let body = req.body.as_deref().unwrap_or("");
    let (err, body_parsed): (S3Error, bool) = match parse_s3_error(req.status, body, &req.headers) {
        Ok(e) => (e, !body.trim().is_empty()),
        Err(_) => (S3Error::from_status(req.status, &req.headers), false),
    };
    let mut out = serde_json::to_value(explain(&err, now))
        .map_err(|e| js_error("INTERNAL", &e.to_string()))?;
    out["bodyParsed"] = body_parsed.into();
    output(&out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionFields {
    now: NowInput,
    action: String,
    #[serde(default)]
    args: serde_json::Value,
}

#[derive(Serialize)]
struct SignedActionOut {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
}

impl Signs for ActionFields {
    fn sign(
        &self,
        endpoint: &ResolvedEndpoint,
        credentials: &Credentials,
        keys: &mut SigningKeyCache,
    ) -> Result<JsValue, JsValue> {
        let action = Action::from_json(&self.action, self.args.clone())?;
        let prepared = sign_action(
            endpoint,
            credentials,
            self.now.timestamp()?,
            &action.request()?,
            keys,
        )?;
        output(&SignedActionOut {
            method: prepared.method,
            url: prepared.url,
            headers: prepared.headers,
            body: prepared.body,
        })
    }
}

/// Builds and signs one S3 action's request (`docs/CONTRACTS.md`, S3 actions).
#[wasm_bindgen(js_name = s3Request, unchecked_return_type = "S3SignedAction")]
pub fn s3_request(
    #[wasm_bindgen(unchecked_param_type = "S3RequestInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    sign_stateless::<ActionFields>(req, "s3Request")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseInput {
    action: String,
    status: u16,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    now: Option<NowInput>,
}

/// Reads an S3 answer to an action: `{ ok: true, result }`, or
/// `{ ok: false, error }` with the error model. Throws only for a malformed
/// call (an unknown action, say).
#[wasm_bindgen(js_name = s3Response, unchecked_return_type = "S3Outcome")]
pub fn s3_response(
    #[wasm_bindgen(unchecked_param_type = "S3ResponseInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: ResponseInput = input(req, "s3Response")?;
    let now = req.now.as_ref().map(NowInput::timestamp).transpose()?;
    let resp = Response {
        status: req.status,
        headers: &req.headers,
        body: req.body.as_deref().unwrap_or(""),
    };
    let out = match parse_response(&req.action, &resp)? {
        Ok(result) => serde_json::json!({ "ok": true, "result": result }),
        Err(err) => serde_json::json!({ "ok": false, "error": explain(&err, now) }),
    };
    output(&out)
}

/// `"sha256"` when a body the caller streams must be signed by its SHA-256
/// (plain http), `"unsigned"` when `UNSIGNED-PAYLOAD` is allowed (https).
#[wasm_bindgen(js_name = payloadSigning, unchecked_return_type = "'sha256' | 'unsigned'")]
pub fn payload_signing(
    #[wasm_bindgen(unchecked_param_type = "Storage")] storage: JsValue,
) -> Result<String, JsValue> {
    let endpoint = input::<StorageInput>(storage, "storage")?.resolve()?;
    Ok(if body_needs_hash(&endpoint) {
        "sha256"
    } else {
        "unsigned"
    }
    .to_owned())
}

#[wasm_bindgen]
impl Bucket {
    /// `s3Request` without `storage` and `credentials`.
    #[wasm_bindgen(js_name = s3Request, unchecked_return_type = "S3SignedAction")]
    pub fn s3_request(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "S3ActionFields")] req: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.sign::<ActionFields>(req, "s3Request")
    }
}
