//! Conformance-only bindings (feature `conformance`, built to pkg/node-test):
//! raw SigV4 over any request and the signing-key chain, so the AWS test
//! suites run against the wasm build too. Never in pkg/node or pkg/web:
//! `deriveSigningKey` hands out the derived keys themselves.

use super::convert::{expires, input, js_error, output, CredentialsInput, NowInput};
use crate::error::ErrorCode;
use crate::sigv4::encoding::hex;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use zeroize::Zeroize;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface RawSignOutput { canonicalRequest: string; stringToSign: string; signature: string; authorization: string | null; headers: Pairs; queryParams: Pairs; }
"#;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSignInput {
    /// `generic` or `s3`.
    signer: String,
    /// `header` or `query`.
    location: String,
    method: String,
    path: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    payload_hash: Option<String>,
    region: String,
    service: String,
    credentials: CredentialsInput,
    now: NowInput,
    #[serde(default)]
    expires_in: Option<f64>,
    #[serde(default)]
    normalize: Option<bool>,
    #[serde(default)]
    sign_body: Option<bool>,
    #[serde(default)]
    omit_session_token: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RawSignOut {
    canonical_request: String,
    string_to_sign: String,
    signature: String,
    authorization: Option<String>,
    headers: Vec<(String, String)>,
    query_params: Vec<(String, String)>,
}

/// Low-level SigV4 over a raw request (any service), with every setting
/// explicit. The S3 functions above are what the product uses; this one exists
/// so the AWS test suite can run against the wasm build too.
#[wasm_bindgen(js_name = sigv4Sign, unchecked_return_type = "RawSignOutput")]
pub fn sigv4_sign(req: JsValue) -> Result<JsValue, JsValue> {
    use crate::sigv4::sign::{sign, SigningParams};
    use crate::sigv4::{
        PayloadChecksumKind, SessionTokenMode, SignableBody, SignableRequest, SignatureLocation,
        SigningSettings, UriPathNormalizationMode,
    };
    let req: RawSignInput = input(req, "sigv4Sign")?;
    let location = match req.location.as_str() {
        "header" => SignatureLocation::Headers,
        "query" => SignatureLocation::QueryParams,
        other => {
            return Err(js_error(
                ErrorCode::InvalidArgument.as_str(),
                &format!("location '{other}'"),
            ))
        }
    };
    let mut settings = match req.signer.as_str() {
        "generic" => SigningSettings::generic(location),
        "s3" => SigningSettings::s3(location),
        other => {
            return Err(js_error(
                ErrorCode::InvalidArgument.as_str(),
                &format!("signer '{other}'"),
            ))
        }
    };
    if req.normalize == Some(false) {
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    if req.sign_body == Some(true) && location == SignatureLocation::Headers {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    if req.omit_session_token == Some(true) {
        settings.session_token_mode = SessionTokenMode::Exclude;
    }
    if let Some(e) = req.expires_in {
        settings.expires_in = Some(expires(e)?);
    }
    let body = match (&req.payload_hash, &req.body) {
        (Some(h), _) if h == crate::sigv4::UNSIGNED_PAYLOAD => SignableBody::UnsignedPayload,
        (Some(h), _) => SignableBody::Precomputed(h),
        (None, Some(b)) => SignableBody::Bytes(b.as_bytes()),
        (None, None) => SignableBody::Bytes(b""),
    };
    let credentials = req.credentials.credentials();
    let params = SigningParams {
        credentials: &credentials,
        region: &req.region,
        service: &req.service,
        time: req.now.timestamp()?,
        settings,
    };
    let signable = SignableRequest {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
        body,
    };
    let out = sign(&signable, &params)?;
    output(&RawSignOut {
        canonical_request: out.canonical_request.to_string(),
        string_to_sign: out.string_to_sign.clone(),
        signature: out.signature.clone(),
        authorization: out.authorization().map(str::to_owned),
        headers: out.headers.clone(),
        query_params: out.query_params.clone(),
    })
}

#[derive(Deserialize, Zeroize)]
#[zeroize(drop)]
#[serde(rename_all = "camelCase")]
struct KeyChainInput {
    secret_access_key: String,
    date: String,
    region: String,
    service: String,
    #[serde(default)]
    string_to_sign: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyChainOut {
    k_date: String,
    k_region: String,
    k_service: String,
    k_signing: String,
    signature: Option<String>,
}

/// The signing-key chain in hex, and optionally a signature of `stringToSign`.
/// For conformance checks and diagnostics; products never need the raw keys.
#[wasm_bindgen(js_name = deriveSigningKey)]
pub fn derive_signing_key_js(req: JsValue) -> Result<JsValue, JsValue> {
    let req: KeyChainInput = input(req, "deriveSigningKey")?;
    let chain = crate::sigv4::signing_key::derive_signing_key_chain(
        &req.secret_access_key,
        &req.date,
        &req.region,
        &req.service,
    );
    output(&KeyChainOut {
        k_date: hex(&chain.k_date),
        k_region: hex(&chain.k_region),
        k_service: hex(&chain.k_service),
        k_signing: hex(chain.k_signing.as_bytes()),
        signature: req
            .string_to_sign
            .as_deref()
            .map(|s| chain.k_signing.sign(s)),
    })
}
