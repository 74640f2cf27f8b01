//! Bindings of the integration page's rules (`crate::page`): IAM policy,
//! CORS rule, presigned-URL shape, Test Connection verdicts and its probe.

use super::convert::{expires, input, output, string_arg, NowInput, StorageInput};
#[cfg(feature = "node")]
use crate::page::diagnosis::{diagnose, is_probe_key, probe_object, Observations};
use crate::page::iam::{iam_policy, PolicyRequest};
use crate::page::url_shape::url_shape;
use crate::page::{cors, DEFAULT_UPLOADS_PREFIX};
use crate::s3::content_disposition::{content_disposition, Disposition};
use crate::s3::endpoint::Provider;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_PAGE: &str = r#"
export interface IamPolicyInput { provider: string; region?: string; bucket: string; pathPrefix?: string; backups?: boolean; directUploads?: boolean; uploadsPrefix?: string; }
export interface IamPolicy { policy: object; json: string; notes: string[]; lifecycle: object | null; }
export interface CorsRulesOut { origin: string; rules: object[]; json: string; cliJson: string; preflights: { method: string; requestHeaders: string }[]; }
export interface UrlShapeInput { storage: Storage; accessKeyId?: string; key: string; expiresIn?: number; now: Now; filename?: string; }
export interface DiagnosisRow { id: string; status: 'pass' | 'warn' | 'fail' | 'skip' | 'pending'; adviceId?: string; cause?: string; fix?: string; s3Code?: string; data: Record<string, unknown>; }
export interface DiagnosisOut { ok: boolean; rows: DiagnosisRow[]; offer?: { field: string; value: string }; }
export interface ProbeObjectOut { key: string; body: string; contentType: string; }
"#;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IamInput {
    provider: String,
    #[serde(default)]
    region: String,
    bucket: String,
    #[serde(default)]
    path_prefix: String,
    #[serde(default = "yes")]
    backups: bool,
    #[serde(default)]
    direct_uploads: bool,
    #[serde(default)]
    uploads_prefix: Option<String>,
}

fn yes() -> bool {
    true
}

/// The least-privilege IAM policy for the bucket, prefix and enabled features.
#[wasm_bindgen(js_name = iamPolicy, unchecked_return_type = "IamPolicy")]
pub fn iam_policy_js(
    #[wasm_bindgen(unchecked_param_type = "IamPolicyInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: IamInput = input(req, "iamPolicy")?;
    let policy = iam_policy(&PolicyRequest {
        provider: Provider::parse(&req.provider)?,
        region: &req.region,
        bucket: &req.bucket,
        path_prefix: &req.path_prefix,
        backups: req.backups,
        direct_uploads: req.direct_uploads,
        uploads_prefix: req
            .uploads_prefix
            .as_deref()
            .unwrap_or(DEFAULT_UPLOADS_PREFIX),
    })?;
    output(&policy)
}

/// The bucket CORS rule for this site's origin (never `*`).
#[wasm_bindgen(js_name = corsRules, unchecked_return_type = "CorsRulesOut")]
pub fn cors_rules_js(
    #[wasm_bindgen(unchecked_param_type = "string")] origin: JsValue,
) -> Result<JsValue, JsValue> {
    output(&cors::cors_rules(&string_arg(&origin, "origin")?)?)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UrlShapeInput {
    storage: StorageInput,
    #[serde(default)]
    access_key_id: String,
    key: String,
    #[serde(default)]
    expires_in: Option<f64>,
    now: NowInput,
    #[serde(default)]
    filename: Option<String>,
}

/// What a presigned GET for `key` looks like, access key id and signature masked.
#[wasm_bindgen(js_name = urlShape)]
pub fn url_shape_js(
    #[wasm_bindgen(unchecked_param_type = "UrlShapeInput")] req: JsValue,
) -> Result<String, JsValue> {
    let req: UrlShapeInput = input(req, "urlShape")?;
    let endpoint = req.storage.resolve()?;
    let disposition = req
        .filename
        .as_deref()
        .map(|f| content_disposition(f, Disposition::Attachment));
    Ok(url_shape(
        &endpoint,
        &req.access_key_id,
        &req.key,
        expires(req.expires_in.unwrap_or(900.0))?,
        req.now.timestamp()?,
        disposition,
    )?)
}

#[cfg(feature = "node")]
/// Test Connection's checklist from what the sidecar (and the browser) observed.
#[wasm_bindgen(js_name = diagnoseConnection, unchecked_return_type = "DiagnosisOut")]
pub fn diagnose_js(observations: JsValue) -> Result<JsValue, JsValue> {
    let o: Observations = input(observations, "diagnoseConnection")?;
    output(&diagnose(&o))
}

#[cfg(feature = "node")]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProbeInput {
    #[serde(default)]
    path_prefix: String,
    token: String,
}

#[cfg(feature = "node")]
/// The probe object Test Connection writes under the prefix.
#[wasm_bindgen(js_name = probeObject, unchecked_return_type = "ProbeObjectOut")]
pub fn probe_object_js(
    #[wasm_bindgen(unchecked_param_type = "{ pathPrefix?: string; token: string }")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: ProbeInput = input(req, "probeObject")?;
    output(&probe_object(&req.path_prefix, &req.token)?)
}

#[cfg(feature = "node")]
/// Whether `key` is a Test Connection probe under `pathPrefix`.
#[wasm_bindgen(js_name = isProbeKey)]
pub fn is_probe_key_js(
    #[wasm_bindgen(unchecked_param_type = "string")] path_prefix: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
) -> Result<bool, JsValue> {
    Ok(is_probe_key(
        &string_arg(&path_prefix, "pathPrefix")?,
        &string_arg(&key, "key")?,
    ))
}
