//! Bindings that sign with the secret (feature `node`, the sidecar only: a
//! browser never holds it): `signRequest`, `presignUrl`, `presignPost`,
//! `objectUrl`, and `Bucket`, which keeps one bucket and key pair inside wasm
//! (the sidecar's signer cache holds them, see php-bridge/sidecar/signers.mjs),
//! with `signerKey` naming one.
//!
//! Writes (`PUT`, `POST`, every upload form) get the strict check for keys we
//! create ([`validate_key_for`]) here, on every path (`Bucket`'s fast one
//! too), so no caller chooses which ops get it; the signers underneath accept
//! any key S3 can hold, as the SDKs do.

use super::convert::{
    expires, input, output, sign_stateless, string_arg, CredentialsInput, NowInput, Signs,
    StorageInput, KEYS,
};
use crate::s3::endpoint::ResolvedEndpoint;
use crate::s3::post_policy::{presign_post, PostPolicyRequest};
use crate::s3::presign::{
    presign_simple, presign_url, PresignRequest, ResponseOverrides, SimplePresign,
};
use crate::s3::request::{sign_request, validate_key_for, PayloadHash, S3Request};
use crate::s3::validate::validate_key;
use crate::sigv4::encoding::hex;
use crate::sigv4::{Credentials, DayKey, SigningKeyCache};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface SignRequestInput { storage: Storage; credentials: CredentialsInput; now: Now; method: string; key?: string | null; query?: Pairs; headers?: Pairs; payloadHash: string; }
export interface SignedRequest { method: string; url: string; headers: Pairs; }
export interface PresignUrlInput { storage: Storage; credentials: CredentialsInput; now: Now; method: 'GET' | 'PUT' | 'HEAD' | 'DELETE'; key: string; expiresIn: number; query?: Pairs; headers?: Pairs; responseContentDisposition?: string; responseContentType?: string; responseCacheControl?: string; }
export interface PresignedUrl { method: string; url: string; headers: Pairs; expiresAt: string; }
export interface PresignPostInput { storage: Storage; credentials: CredentialsInput; now: Now; key: string; expiresIn: number; fields?: Pairs; conditions?: unknown[]; }
export interface PresignedPost { url: string; fields: Pairs; policy: string; expiration: string; }
"#;

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

#[derive(Serialize)]
struct SignedOut {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
}

/// Signs an S3 request with the `Authorization` header.
#[wasm_bindgen(js_name = signRequest, unchecked_return_type = "SignedRequest")]
pub fn sign_request_js(
    #[wasm_bindgen(unchecked_param_type = "SignRequestInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    sign_stateless::<SignFields>(req, "signRequest")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PresignedOut {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    expires_at: String,
}

/// Presigns a GET, PUT, HEAD or DELETE URL.
#[wasm_bindgen(js_name = presignUrl, unchecked_return_type = "PresignedUrl")]
pub fn presign_url_js(
    #[wasm_bindgen(unchecked_param_type = "PresignUrlInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    sign_stateless::<PresignFields>(req, "presignUrl")
}

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
    /// Conformance builds only (pkg/node-test): skip the strict check for
    /// writes, so the SDK cases with keys this product never creates still
    /// run; production builds ignore the field.
    #[cfg_attr(feature = "conformance", serde(default))]
    #[cfg_attr(not(feature = "conformance"), serde(skip))]
    any_key: bool,
}

#[derive(Serialize)]
struct PostOut {
    url: String,
    fields: Vec<(String, String)>,
    policy: String,
    expiration: String,
}

/// Builds and signs a browser upload form (presigned POST).
#[wasm_bindgen(js_name = presignPost, unchecked_return_type = "PresignedPost")]
pub fn presign_post_js(
    #[wasm_bindgen(unchecked_param_type = "PresignPostInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: PostInput = input(req, "presignPost")?;
    if !req.any_key {
        // A form always creates its object.
        validate_key(&req.key)?;
    }
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
    /// Conformance builds only (pkg/node-test): skip the strict check for
    /// writes, so the SDK cases with keys this product never creates still
    /// run; production builds ignore the field.
    #[cfg_attr(feature = "conformance", serde(default))]
    #[cfg_attr(not(feature = "conformance"), serde(skip))]
    any_key: bool,
}

impl Signs for PresignFields {
    fn sign(
        &self,
        endpoint: &ResolvedEndpoint,
        credentials: &Credentials,
        keys: &mut SigningKeyCache,
    ) -> Result<JsValue, JsValue> {
        if !self.any_key {
            validate_key_for(&self.method, &self.key)?;
        }
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
    /// Conformance builds only (pkg/node-test): skip the strict check for
    /// writes, so the SDK cases with keys this product never creates still
    /// run; production builds ignore the field.
    #[cfg_attr(feature = "conformance", serde(default))]
    #[cfg_attr(not(feature = "conformance"), serde(skip))]
    any_key: bool,
}

impl Signs for SignFields {
    fn sign(
        &self,
        endpoint: &ResolvedEndpoint,
        credentials: &Credentials,
        keys: &mut SigningKeyCache,
    ) -> Result<JsValue, JsValue> {
        if let Some(key) = self.key.as_deref().filter(|_| !self.any_key) {
            validate_key_for(&self.method, key)?;
        }
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

/// One bucket and one key pair, validated once and kept inside wasm with
/// their own signing keys: the shape to use when signing many requests.
/// Parsing the storage settings and credentials on every call costs more than
/// the signature itself. Call `free()` when done; the secret is zeroized then.
#[wasm_bindgen]
pub struct Bucket {
    endpoint: ResolvedEndpoint,
    credentials: Credentials,
    keys: SigningKeyCache,
    /// The day's key for the fast presign path.
    day: DayKey,
}

impl fmt::Debug for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bucket")
            .field("host", &self.endpoint.host)
            .field("credentials", &self.credentials)
            .field("day", &self.day)
            .finish()
    }
}

impl Bucket {
    /// Checks the key pair and holds both.
    pub(super) fn with(
        endpoint: ResolvedEndpoint,
        credentials: Credentials,
    ) -> Result<Bucket, JsValue> {
        credentials.validate()?;
        Ok(Bucket {
            endpoint,
            credentials,
            keys: SigningKeyCache::new(),
            day: DayKey::new(),
        })
    }

    /// A `Bucket` method: the stateless call's request part, signed with this
    /// bucket's endpoint, key pair and signing-key cache.
    pub(super) fn sign<T: Signs + for<'de> Deserialize<'de>>(
        &mut self,
        req: JsValue,
        what: &str,
    ) -> Result<JsValue, JsValue> {
        input::<T>(req, what)?.sign(&self.endpoint, &self.credentials, &mut self.keys)
    }

    /// This bucket's endpoint, key pair and day key, for the bindings in
    /// other files that sign with it (`presignPage`, links.rs).
    pub(super) fn parts(&mut self) -> (&ResolvedEndpoint, &Credentials, &mut DayKey) {
        (&self.endpoint, &self.credentials, &mut self.day)
    }

    /// The fast presign path with this bucket's key pair and day key.
    pub(super) fn simple(
        &mut self,
        req: &SimplePresign<'_>,
        now: f64,
    ) -> Result<crate::s3::presign::SimplePresigned, JsValue> {
        validate_key_for(req.method, req.key)?;
        let time = NowInput::Seconds(now).timestamp()?;
        Ok(presign_simple(
            &self.endpoint,
            &self.credentials,
            time,
            req,
            &mut self.day,
        )?)
    }
}

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
        Bucket::with(endpoint, credentials)
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
        let req = SimplePresign {
            method: "GET",
            key,
            expires_in: expires(expires_in)?,
            content_disposition: content_disposition.as_deref(),
            content_type: None,
            cache_control: None,
        };
        Ok(self.simple(&req, now)?.url)
    }

    /// The fast path of `presignUrl` for its common shape (no `query`, no
    /// `headers`): plain strings in, the URL out, byte for byte the one
    /// `presignUrl` gives (its `expiresAt` is `expiresAt(now, expiresIn)`).
    /// `now` is unix seconds.
    #[wasm_bindgen(js_name = presignSimple)]
    #[allow(clippy::too_many_arguments)]
    pub fn presign_simple(
        &mut self,
        method: &str,
        key: &str,
        expires_in: f64,
        now: f64,
        content_disposition: Option<String>,
        content_type: Option<String>,
        cache_control: Option<String>,
    ) -> Result<String, JsValue> {
        let req = SimplePresign {
            method,
            key,
            expires_in: expires(expires_in)?,
            content_disposition: content_disposition.as_deref(),
            content_type: content_type.as_deref(),
            cache_control: cache_control.as_deref(),
        };
        Ok(self.simple(&req, now)?.url)
    }

    /// `presignUrl` without `storage` and `credentials`.
    #[wasm_bindgen(js_name = presignUrl, unchecked_return_type = "PresignedUrl")]
    pub fn presign_url(&mut self, req: JsValue) -> Result<JsValue, JsValue> {
        self.sign::<PresignFields>(req, "presignUrl")
    }

    /// `signRequest` without `storage` and `credentials`.
    #[wasm_bindgen(js_name = signRequest, unchecked_return_type = "SignedRequest")]
    pub fn sign_request(&mut self, req: JsValue) -> Result<JsValue, JsValue> {
        self.sign::<SignFields>(req, "signRequest")
    }
}

thread_local! {
    /// Per instance, so a signer key names a key pair without being a
    /// plain hash of its secret anyone could test guesses against.
    static SIGNER_KEY_SALT: [u8; 16] = {
        let mut salt = [0u8; 16];
        // Without randomness the names still work; they only lose the salt.
        let _ = getrandom::fill(&mut salt);
        salt
    };
}

/// When a URL presigned at `now` (unix seconds) for `expiresIn` seconds
/// stops working, as `presignUrl`'s `expiresAt`.
#[wasm_bindgen(js_name = expiresAt)]
pub fn expires_at(now: f64, expires_in: f64) -> Result<String, JsValue> {
    let time = NowInput::Seconds(now).timestamp()?;
    Ok(time.plus(expires(expires_in)? as i64)?.iso8601())
}

/// A name for a secret (the sidecar's signer cache names a plain secret
/// by it): a salted SHA-256, so a cache can hold signers by it without
/// holding the secret. Equal only within one wasm instance.
#[wasm_bindgen(js_name = signerKey)]
pub fn signer_key(secret: String) -> String {
    let mut hash = Sha256::new();
    SIGNER_KEY_SALT.with(|salt| hash.update(salt));
    hash.update(secret.as_bytes());
    let mut secret = secret;
    zeroize::Zeroize::zeroize(&mut secret);
    hex(&hash.finalize())
}
