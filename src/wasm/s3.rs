//! Bindings for S3 answers and actions: `parseS3Error`, `s3Request`,
//! `s3Response`, `payloadSigning`. Built only with the `xml` feature.

use super::{input, output, NowInput};
use crate::s3::error_advice::explain;
use crate::s3::error_xml::{parse_s3_error, S3Error};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface ParseS3ErrorInput { status: number; body?: string; headers?: Pairs; now?: Now; }
export type S3ErrorInfo = ErrorModel & { bodyParsed: boolean };
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
        .map_err(|e| super::js_error("INTERNAL", &e.to_string()))?;
    out["bodyParsed"] = body_parsed.into();
    output(&out)
}
