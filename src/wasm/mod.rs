//! wasm-bindgen bindings: plain JS objects in and out, camelCase names, and
//! `Error`s that carry a stable `code`. The shapes are documented in
//! `docs/CONTRACTS.md`; the TypeScript declarations below mirror them.
//!
//! Which build holds what (features in Cargo.toml, builds in tools/build-wasm.sh):
//! * no gate — in every build, the admin page's pkg/web included: settings
//!   (validateSettings, settingsSchema), keys, endpoints, content
//!   disposition, validateBucket/Key, and the page helpers in `page.rs`
//!   (IAM policy, CORS rules, URL-shape preview).
//! * `#[cfg(feature = "node")]` — the sidecar only (pkg/node): presigned URLs
//!   and POST forms (a browser never holds the secret; the page previews URL
//!   shapes with `urlShape`), header signing, `Bucket`, payload hashing,
//!   transfers, Test Connection verdicts, retry delays. pkg/web must stay
//!   ≤ 100 KB gzipped (tools/build-wasm.sh fails above it): gate new
//!   bindings with `node` unless the admin page calls them.
//! * `#[cfg(feature = "xml")]` — needs quick-xml (S3 errors and actions).
//! * `#[cfg(feature = "secrets")]` — secret envelopes (AES-GCM, HKDF).
//! * `conformance.rs` — test-only bindings, pkg/node-test.
//!
//! tests/wasm-bundles.test.mjs checks what each bundle exports.

use crate::error::{Error, ErrorCode};
use crate::keys::template::{render_key as render, sanitize_title as sanitize, KeyInput};
use crate::s3::content_disposition::{content_disposition as disposition, Disposition};
use crate::s3::endpoint::{AddressingStyle, Provider, ResolvedEndpoint, StorageConfig};
#[cfg(feature = "node")]
use crate::s3::post_policy::{presign_post, PostPolicyRequest};
#[cfg(feature = "node")]
use crate::s3::presign::{presign_url, PresignRequest, ResponseOverrides};
#[cfg(feature = "node")]
use crate::s3::request::{sign_request, PayloadHash, S3Request};
use crate::s3::validate;
#[cfg(feature = "secrets")]
use crate::secrets::envelope::{decrypt_secret as decrypt, encrypt_secret as encrypt};
#[cfg(feature = "node")]
use crate::sigv4::encoding::hex;
#[cfg(feature = "node")]
use crate::sigv4::Credentials;
use crate::sigv4::SigningKeyCache;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
#[cfg(feature = "node")]
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

mod page;
#[cfg(feature = "node")]
use zeroize::Zeroize;

#[cfg(feature = "conformance")]
mod conformance;
mod errors;
#[cfg(feature = "xml")]
mod s3;
mod settings;
// Server-side upload signing and verification: the browser gets presigned
// URLs from the server, so pkg/web leaves these out.
#[cfg(feature = "node")]
mod transfers;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export type Pairs = [string, string][];
export type Now = number | string;
export interface Storage {
  provider: 'amazon_s3' | 'wasabi' | 'cloudflare_r2' | 'custom';
  region?: string; bucket: string; endpoint?: string; accountId?: string;
  addressingStyle?: 'auto' | 'virtual' | 'path';
  allowPrivateEndpoints?: boolean;
}
export interface CredentialsInput { accessKeyId: string; secretAccessKey: string; sessionToken?: string | null; }
export interface ResolvedEndpoint { scheme: 'http' | 'https'; host: string; addressingStyle: 'virtual' | 'path'; region: string; bucketUrl: string; }
export interface SignRequestInput { storage: Storage; credentials: CredentialsInput; now: Now; method: string; key?: string | null; query?: Pairs; headers?: Pairs; payloadHash: string; }
export interface SignedRequest { method: string; url: string; headers: Pairs; }
export interface PresignUrlInput { storage: Storage; credentials: CredentialsInput; now: Now; method: 'GET' | 'PUT' | 'HEAD' | 'DELETE'; key: string; expiresIn: number; query?: Pairs; headers?: Pairs; responseContentDisposition?: string; responseContentType?: string; responseCacheControl?: string; }
export interface PresignedUrl { method: string; url: string; headers: Pairs; expiresAt: string; }
export interface PresignPostInput { storage: Storage; credentials: CredentialsInput; now: Now; key: string; expiresIn: number; fields?: Pairs; conditions?: unknown[]; }
export interface PresignedPost { url: string; fields: Pairs; policy: string; expiration: string; }
export interface RenderKeyInput { template?: string; pathPrefix?: string; title: string; documentId: string | number; now: Now; user?: string; }
export interface SecretInput { keyMaterial: string; context: string; plaintext?: string; envelope?: string; }
export interface RawSignOutput { canonicalRequest: string; stringToSign: string; signature: string; authorization: string | null; headers: Pairs; queryParams: Pairs; }
"#;

/// `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

thread_local! {
    static KEYS: RefCell<SigningKeyCache> = RefCell::new(SigningKeyCache::new());
}

/// A thrown error carrying the error model (docs/CONTRACTS.md).
fn js_error(code: &str, message: &str) -> JsValue {
    #[cfg(feature = "node")]
    {
        use crate::error::local::{classify, LocalFailure};
        errors::thrown(&classify(LocalFailure::Sidecar { code }, message))
    }
    #[cfg(not(feature = "node"))]
    {
        let known = ErrorCode::parse(code);
        light_error(
            code,
            message,
            known.map_or(crate::error::Retry::Never, ErrorCode::retry),
            known.map_or(
                crate::error::AdviceId::SidecarInternal,
                ErrorCode::advice_id,
            ),
        )
    }
}

impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        #[cfg(feature = "node")]
        return errors::thrown(&(&e).into());
        #[cfg(not(feature = "node"))]
        return light_error(
            e.code().as_str(),
            e.message(),
            e.code().retry(),
            e.code().advice_id(),
        );
    }
}

/// pkg/web throws the error model without the catalog's English cause and
/// fix: the admin page never shows them (its advice comes from
/// validateSettings' adviceIds and from the server's REST answers, translated
/// in PHP), and the catalog's texts would take most of the 100 KiB budget.
#[cfg(not(feature = "node"))]
fn light_error(
    code: &str,
    message: &str,
    retry: crate::error::Retry,
    advice: crate::error::AdviceId,
) -> JsValue {
    let err = js_sys::Error::new(message);
    let retryable = retry != crate::error::Retry::Never;
    // Setting a property on a fresh Error object cannot fail.
    for (name, value) in [
        ("code", JsValue::from(code)),
        ("retry", retry.as_str().into()),
        ("retryable", retryable.into()),
        ("adviceId", advice.as_str().into()),
    ] {
        let _ = js_sys::Reflect::set(&err, &name.into(), &value);
    }
    err.into()
}

fn input<T: for<'de> Deserialize<'de>>(value: JsValue, what: &str) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value).map_err(|e| {
        js_error(
            ErrorCode::InvalidArgument.as_str(),
            &format!("{what}: {}", redact_serde_message(&e.to_string())),
        )
    })
}

/// serde quotes the offending value ("invalid type: string \"wJalr…\", expected …"),
/// and that value may be a secret on its way to a log. Keep only what was expected.
fn redact_serde_message(message: &str) -> String {
    let message = message.strip_prefix("Error: ").unwrap_or(message);
    for kind in ["invalid type", "invalid value", "invalid length"] {
        if let Some(rest) = message.strip_prefix(kind) {
            return match rest.rfind(", expected ") {
                Some(i) => format!("{kind}, expected {}", &rest[i + ", expected ".len()..]),
                None => kind.to_owned(),
            };
        }
    }
    // "missing field `x`", "unknown variant …" and the like name fields, not values.
    message.to_owned()
}

fn string_arg(value: &JsValue, name: &str) -> Result<String, JsValue> {
    value.as_string().ok_or_else(|| {
        js_error(
            ErrorCode::InvalidArgument.as_str(),
            &format!("{name} must be a string"),
        )
    })
}

#[cfg(feature = "node")]
fn bytes_arg(value: &JsValue, name: &str) -> Result<js_sys::Uint8Array, JsValue> {
    value
        .dyn_ref::<js_sys::Uint8Array>()
        .cloned()
        .ok_or_else(|| {
            js_error(
                ErrorCode::InvalidArgument.as_str(),
                &format!("{name} must be a Uint8Array (e.g. a Buffer)"),
            )
        })
}

/// Writes a plain JS object. The browser build serializes to JSON text and
/// lets `JSON.parse` build the object: serde_json's writer is in the module
/// anyway, and it is smaller than serde-wasm-bindgen's serializer code. (For
/// input the trade goes the other way: serde_json's per-type readers came
/// out 13 KB gzipped larger, so `input` uses serde-wasm-bindgen everywhere.)
fn output<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    #[cfg(feature = "node")]
    let out = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| e.to_string());
    #[cfg(not(feature = "node"))]
    let out = serde_json::to_string(value)
        .map_err(|e| e.to_string())
        .and_then(|text| js_sys::JSON::parse(&text).map_err(|_| "JSON.parse failed".to_owned()));
    out.map_err(|e| js_error("INTERNAL", &e))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NowInput {
    Seconds(f64),
    Text(String),
}

impl NowInput {
    fn timestamp(&self) -> Result<Timestamp, Error> {
        match self {
            NowInput::Seconds(s) if s.is_finite() && s.fract() == 0.0 => {
                Timestamp::from_unix(*s as i64)
            }
            NowInput::Seconds(s) => Err(Error::new(
                ErrorCode::InvalidTimestamp,
                format!("now must be whole unix seconds, got {s}"),
            )),
            NowInput::Text(t) => Timestamp::parse_iso8601(t),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StorageInput {
    provider: String,
    #[serde(default)]
    region: Option<String>,
    bucket: String,
    #[serde(default)]
    endpoint: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    addressing_style: Option<String>,
    /// The site's `WPS3_ALLOW_PRIVATE_ENDPOINTS` (see `crate::net`).
    #[serde(default)]
    allow_private_endpoints: bool,
}

impl StorageInput {
    fn resolve(&self) -> Result<ResolvedEndpoint, Error> {
        StorageConfig {
            provider: Provider::parse(&self.provider)?,
            region: self.region.clone().unwrap_or_default(),
            bucket: self.bucket.clone(),
            endpoint: self.endpoint.clone(),
            account_id: self.account_id.clone(),
            addressing_style: AddressingStyle::parse(
                self.addressing_style.as_deref().unwrap_or(""),
            )?,
            allow_private_endpoints: self.allow_private_endpoints,
        }
        .resolve()
    }
}

#[cfg(feature = "node")]
#[derive(Deserialize, Zeroize)]
#[zeroize(drop)]
#[serde(rename_all = "camelCase")]
struct CredentialsInput {
    access_key_id: String,
    secret_access_key: String,
    #[serde(default)]
    session_token: Option<String>,
}

#[cfg(feature = "node")]
impl CredentialsInput {
    fn credentials(&self) -> Credentials {
        Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.clone(),
            self.session_token.clone(),
        )
    }
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Validates storage settings and returns host, addressing style and region.
#[wasm_bindgen(js_name = resolveEndpoint, unchecked_return_type = "ResolvedEndpoint")]
pub fn resolve_endpoint(
    #[wasm_bindgen(unchecked_param_type = "Storage")] storage: JsValue,
) -> Result<JsValue, JsValue> {
    output(&input::<StorageInput>(storage, "storage")?.resolve()?.view())
}

#[cfg(feature = "node")]
/// The unsigned URL of an object.
#[wasm_bindgen(js_name = objectUrl)]
pub fn object_url(
    #[wasm_bindgen(unchecked_param_type = "Storage")] storage: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
) -> Result<String, JsValue> {
    let e = input::<StorageInput>(storage, "storage")?.resolve()?;
    let key = string_arg(&key, "key")?;
    crate::s3::request::validate_signable_key(&key)?;
    Ok(e.url(Some(&key), &[]))
}

#[cfg(feature = "node")]
#[derive(Serialize)]
struct SignedOut {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
}

#[cfg(feature = "node")]
/// Signs an S3 request with the `Authorization` header.
#[wasm_bindgen(js_name = signRequest, unchecked_return_type = "SignedRequest")]
pub fn sign_request_js(
    #[wasm_bindgen(unchecked_param_type = "SignRequestInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: WithStorage<SignFields> = input(req, "signRequest")?;
    let (endpoint, credentials) = req.resolve()?;
    KEYS.with(|k| {
        req.request
            .sign(&endpoint, &credentials, &mut k.borrow_mut())
    })
}

fn expires(seconds: f64) -> Result<u64, Error> {
    if seconds.is_finite() && seconds.fract() == 0.0 && seconds >= 0.0 && seconds <= u32::MAX as f64
    {
        Ok(seconds as u64)
    } else {
        Err(Error::new(
            ErrorCode::InvalidExpires,
            format!("expiresIn must be whole seconds, got {seconds}"),
        ))
    }
}

#[cfg(feature = "node")]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PresignedOut {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    expires_at: String,
}

#[cfg(feature = "node")]
/// Presigns a GET, PUT, HEAD or DELETE URL.
#[wasm_bindgen(js_name = presignUrl, unchecked_return_type = "PresignedUrl")]
pub fn presign_url_js(
    #[wasm_bindgen(unchecked_param_type = "PresignUrlInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: WithStorage<PresignFields> = input(req, "presignUrl")?;
    let (endpoint, credentials) = req.resolve()?;
    KEYS.with(|k| {
        req.request
            .presign(&endpoint, &credentials, &mut k.borrow_mut())
    })
}

#[cfg(feature = "node")]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostInput {
    storage: StorageInput,
    credentials: CredentialsInput,
    now: NowInput,
    key: String,
    expires_in: f64,
    #[serde(default)]
    fields: Vec<(String, String)>,
    #[serde(default)]
    conditions: Vec<serde_json::Value>,
}

#[cfg(feature = "node")]
#[derive(Serialize)]
struct PostOut {
    url: String,
    fields: Vec<(String, String)>,
    policy: String,
    expiration: String,
}

#[cfg(feature = "node")]
/// Builds and signs a browser upload form (presigned POST).
#[wasm_bindgen(js_name = presignPost, unchecked_return_type = "PresignedPost")]
pub fn presign_post_js(
    #[wasm_bindgen(unchecked_param_type = "PresignPostInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: PostInput = input(req, "presignPost")?;
    let endpoint = req.storage.resolve()?;
    let credentials = req.credentials.credentials();
    let post = PostPolicyRequest {
        key: &req.key,
        expires_in: expires(req.expires_in)?,
        fields: &req.fields,
        conditions: &req.conditions,
    };
    let time = req.now.timestamp()?;
    let out =
        KEYS.with(|k| presign_post(&endpoint, &credentials, time, &post, &mut k.borrow_mut()))?;
    output(&PostOut {
        url: out.url,
        fields: out.fields,
        policy: out.policy_json,
        expiration: out.expiration.iso8601(),
    })
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
            return Err(js_error(
                ErrorCode::InvalidArgument.as_str(),
                &format!(
                    "documentId {n} is not a whole number up to 2^53 - 1; pass it as a string"
                ),
            ))
        }
        IdInput::Text(t) => t.clone(),
    };
    Ok(render(&KeyInput {
        template: req.template.as_deref(),
        path_prefix: req.path_prefix.as_deref(),
        title: &req.title,
        document_id: &id,
        now: req.now.timestamp()?,
        user: req.user.as_deref(),
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

#[cfg(feature = "secrets")]
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

#[cfg(feature = "secrets")]
/// Seals a secret: AES-256-GCM under an HKDF key, bound to `context`.
#[wasm_bindgen(js_name = encryptSecret)]
pub fn encrypt_secret_js(
    #[wasm_bindgen(unchecked_param_type = "SecretInput")] req: JsValue,
) -> Result<String, JsValue> {
    let req: SecretInput = input(req, "encryptSecret")?;
    let plaintext = req.plaintext.as_deref().ok_or_else(|| {
        js_error(
            ErrorCode::InvalidArgument.as_str(),
            "encryptSecret needs plaintext",
        )
    })?;
    Ok(encrypt(
        req.key_material.as_bytes(),
        &req.context,
        plaintext,
    )?)
}

#[cfg(feature = "secrets")]
/// Opens an envelope made by `encryptSecret` with the same key material and context.
#[wasm_bindgen(js_name = decryptSecret)]
pub fn decrypt_secret_js(
    #[wasm_bindgen(unchecked_param_type = "SecretInput")] req: JsValue,
) -> Result<js_sys::JsString, JsValue> {
    let req: SecretInput = input(req, "decryptSecret")?;
    let envelope = req.envelope.as_deref().ok_or_else(|| {
        js_error(
            ErrorCode::InvalidArgument.as_str(),
            "decryptSecret needs an envelope",
        )
    })?;
    let secret = decrypt(req.key_material.as_bytes(), &req.context, envelope)?;
    // Straight into a JS string: no second Rust copy left behind unwiped.
    Ok(js_sys::JsString::from(secret.expose()))
}

#[cfg(feature = "node")]
/// Hex SHA-256 of a byte array (a payload hash).
#[wasm_bindgen(js_name = sha256Hex)]
pub fn sha256_hex(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
) -> Result<String, JsValue> {
    let mut hasher = Sha256::new();
    feed(&mut hasher, &bytes_arg(&bytes, "bytes")?);
    Ok(hex(&hasher.finalize()))
}

#[cfg(feature = "node")]
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

#[cfg(feature = "node")]
/// Streaming SHA-256 for payload hashes of files too large to hold.
#[wasm_bindgen]
pub struct PayloadHasher {
    inner: Option<Sha256>,
}

#[cfg(feature = "node")]
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
            None => Err(js_error(
                ErrorCode::InvalidArgument.as_str(),
                "hasher already finished",
            )),
        }
    }

    /// Returns the hex digest; the hasher cannot be used afterwards.
    pub fn finish(&mut self) -> Result<String, JsValue> {
        match self.inner.take() {
            Some(h) => Ok(hex(&h.finalize())),
            None => Err(js_error(
                ErrorCode::InvalidArgument.as_str(),
                "hasher already finished",
            )),
        }
    }
}

#[cfg(feature = "node")]
/// A request plus the storage and credentials to run it against (the
/// stateless calls); `Bucket` methods take the request part alone.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WithStorage<T> {
    storage: StorageInput,
    credentials: CredentialsInput,
    #[serde(flatten)]
    request: T,
}

#[cfg(feature = "node")]
impl<T> WithStorage<T> {
    fn resolve(&self) -> Result<(ResolvedEndpoint, Credentials), Error> {
        Ok((self.storage.resolve()?, self.credentials.credentials()))
    }
}

#[cfg(feature = "node")]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PresignFields {
    now: NowInput,
    method: String,
    key: String,
    expires_in: f64,
    #[serde(default)]
    query: Vec<(String, String)>,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    response_content_disposition: Option<String>,
    #[serde(default)]
    response_content_type: Option<String>,
    #[serde(default)]
    response_cache_control: Option<String>,
}

#[cfg(feature = "node")]
impl PresignFields {
    fn presign(
        &self,
        endpoint: &ResolvedEndpoint,
        credentials: &Credentials,
        keys: &mut SigningKeyCache,
    ) -> Result<JsValue, JsValue> {
        let presign = PresignRequest {
            method: &self.method,
            key: &self.key,
            expires_in: expires(self.expires_in)?,
            query: &self.query,
            headers: &self.headers,
            overrides: ResponseOverrides {
                content_disposition: self.response_content_disposition.clone(),
                content_type: self.response_content_type.clone(),
                cache_control: self.response_cache_control.clone(),
            },
        };
        let out = presign_url(endpoint, credentials, self.now.timestamp()?, &presign, keys)?;
        output(&PresignedOut {
            method: out.method,
            url: out.url,
            headers: out.headers,
            expires_at: out.expires_at.iso8601(),
        })
    }
}

#[cfg(feature = "node")]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignFields {
    now: NowInput,
    method: String,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    query: Vec<(String, String)>,
    #[serde(default)]
    headers: Vec<(String, String)>,
    payload_hash: String,
}

#[cfg(feature = "node")]
impl SignFields {
    fn sign(
        &self,
        endpoint: &ResolvedEndpoint,
        credentials: &Credentials,
        keys: &mut SigningKeyCache,
    ) -> Result<JsValue, JsValue> {
        let s3 = S3Request {
            method: &self.method,
            key: self.key.as_deref(),
            query: &self.query,
            headers: &self.headers,
            payload_hash: PayloadHash::parse(&self.payload_hash)?,
        };
        let signed = sign_request(endpoint, credentials, self.now.timestamp()?, &s3, keys)?;
        output(&SignedOut {
            method: signed.method,
            url: signed.url,
            headers: signed.headers,
        })
    }
}

#[cfg(feature = "node")]
/// One bucket and one key pair, validated once and kept inside wasm with
/// their own signing-key cache: the shape to use when signing many requests.
/// Parsing the storage settings and credentials on every call costs more than
/// the signature itself. Call `free()` when done; the secret is zeroized then.
#[wasm_bindgen]
pub struct Bucket {
    endpoint: ResolvedEndpoint,
    credentials: Credentials,
    keys: SigningKeyCache,
}

#[cfg(feature = "node")]
#[wasm_bindgen]
impl Bucket {
    /// Validates the settings and credentials once.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "Storage")] storage: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CredentialsInput")] credentials: JsValue,
    ) -> Result<Bucket, JsValue> {
        let endpoint = input::<StorageInput>(storage, "storage")?.resolve()?;
        let credentials = input::<CredentialsInput>(credentials, "credentials")?.credentials();
        credentials.validate()?;
        Ok(Bucket {
            endpoint,
            credentials,
            keys: SigningKeyCache::new(),
        })
    }

    /// A presigned GET URL, with arguments that cross the boundary cheaply.
    /// `now` is unix seconds; `contentDisposition` is optional.
    #[wasm_bindgen(js_name = presignGet)]
    pub fn presign_get(
        &mut self,
        key: &str,
        expires_in: f64,
        now: f64,
        content_disposition: Option<String>,
    ) -> Result<String, JsValue> {
        let presign = PresignRequest {
            method: "GET",
            key,
            expires_in: expires(expires_in)?,
            query: &[],
            headers: &[],
            overrides: ResponseOverrides {
                content_disposition,
                ..ResponseOverrides::default()
            },
        };
        let time = NowInput::Seconds(now).timestamp()?;
        Ok(presign_url(
            &self.endpoint,
            &self.credentials,
            time,
            &presign,
            &mut self.keys,
        )?
        .url)
    }

    /// `presignUrl` without `storage` and `credentials`.
    #[wasm_bindgen(js_name = presignUrl, unchecked_return_type = "PresignedUrl")]
    pub fn presign_url(&mut self, req: JsValue) -> Result<JsValue, JsValue> {
        input::<PresignFields>(req, "presignUrl")?.presign(
            &self.endpoint,
            &self.credentials,
            &mut self.keys,
        )
    }

    /// `signRequest` without `storage` and `credentials`.
    #[wasm_bindgen(js_name = signRequest, unchecked_return_type = "SignedRequest")]
    pub fn sign_request(&mut self, req: JsValue) -> Result<JsValue, JsValue> {
        input::<SignFields>(req, "signRequest")?.sign(
            &self.endpoint,
            &self.credentials,
            &mut self.keys,
        )
    }
}
