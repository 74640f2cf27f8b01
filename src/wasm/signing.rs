//! Bindings that sign with the secret (feature `node`, the sidecar only: a
//! browser never holds it): `signRequest`, `presignUrl`, `presignPost`,
//! `objectUrl`, and `Bucket`, which keeps one bucket and key pair inside wasm.

use super::convert::{
    expires, input, output, sign_stateless, string_arg, CredentialsInput, NowInput, Signs,
    StorageInput, KEYS,
};
use crate::s3::endpoint::ResolvedEndpoint;
use crate::s3::post_policy::{presign_post, PostPolicyRequest};
use crate::s3::presign::{presign_url, PresignRequest, ResponseOverrides};
use crate::s3::request::{sign_request, PayloadHash, S3Request};
use crate::sigv4::{Credentials, SigningKeyCache};
use serde::{Deserialize, Serialize};
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
}

impl Signs for PresignFields {
    fn sign(
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

impl Signs for SignFields {
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

impl Bucket {
    /// A `Bucket` method: the stateless call's request part, signed with this
    /// bucket's endpoint, key pair and signing-key cache.
    pub(super) fn sign<T: Signs + for<'de> Deserialize<'de>>(
        &mut self,
        req: JsValue,
        what: &str,
    ) -> Result<JsValue, JsValue> {
        input::<T>(req, what)?.sign(&self.endpoint, &self.credentials, &mut self.keys)
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
        self.sign::<PresignFields>(req, "presignUrl")
    }

    /// `signRequest` without `storage` and `credentials`.
    #[wasm_bindgen(js_name = signRequest, unchecked_return_type = "SignedRequest")]
    pub fn sign_request(&mut self, req: JsValue) -> Result<JsValue, JsValue> {
        self.sign::<SignFields>(req, "signRequest")
    }
}
