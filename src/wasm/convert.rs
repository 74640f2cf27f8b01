//! The conversion glue every binding file shares: JS values in (serde-wasm-
//! bindgen, with secrets redacted from its messages), JS values out, thrown
//! errors carrying the error model, and the common inputs (`now`, storage,
//! credentials, expiry). Bindings live in the files beside this one.

use crate::error::{Error, ErrorCode};
use crate::s3::endpoint::{AddressingStyle, Provider, ResolvedEndpoint, StorageConfig};
#[cfg(feature = "node")]
use crate::sigv4::Credentials;
#[cfg(feature = "node")]
use crate::sigv4::SigningKeyCache;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
#[cfg(feature = "node")]
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
#[cfg(feature = "node")]
use zeroize::Zeroize;

/// `Number.MAX_SAFE_INTEGER`.
pub(super) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

#[cfg(feature = "node")]
thread_local! {
    /// The stateless calls' signing keys (one per day, region and key id).
    pub(super) static KEYS: RefCell<SigningKeyCache> = RefCell::new(SigningKeyCache::new());
}

/// A thrown error carrying the error model (docs/CONTRACTS.md).
pub(super) fn js_error(code: &str, message: &str) -> JsValue {
    #[cfg(feature = "node")]
    {
        use crate::error::local::{classify, LocalFailure};
        super::errors::thrown(&classify(LocalFailure::Sidecar { code }, message))
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

/// `INVALID_ARGUMENT` with `message`: a malformed call.
pub(super) fn invalid(message: &str) -> JsValue {
    js_error(ErrorCode::InvalidArgument.as_str(), message)
}

impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        #[cfg(feature = "node")]
        return super::errors::thrown(&(&e).into());
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

/// Reads a plain JS object into `T`; `what` names the call in the error.
pub(super) fn input<T: for<'de> Deserialize<'de>>(
    value: JsValue,
    what: &str,
) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| invalid(&format!("{what}: {}", redact_serde_message(&e.to_string()))))
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

/// A JS string argument, or `INVALID_ARGUMENT` naming it.
pub(super) fn string_arg(value: &JsValue, name: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| invalid(&format!("{name} must be a string")))
}

#[cfg(feature = "node")]
/// A `Uint8Array` argument (a Buffer is one), or `INVALID_ARGUMENT` naming it.
pub(super) fn bytes_arg(value: &JsValue, name: &str) -> Result<js_sys::Uint8Array, JsValue> {
    value
        .dyn_ref::<js_sys::Uint8Array>()
        .cloned()
        .ok_or_else(|| invalid(&format!("{name} must be a Uint8Array (e.g. a Buffer)")))
}

/// Writes a plain JS object. The browser build serializes to JSON text and
/// lets `JSON.parse` build the object: serde_json's writer is in the module
/// anyway, and it is smaller than serde-wasm-bindgen's serializer code. (For
/// input the trade goes the other way: serde_json's per-type readers came
/// out 13 KB gzipped larger, so `input` uses serde-wasm-bindgen everywhere.)
pub(super) fn output<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
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

/// `now` from JS: whole unix seconds or an ISO 8601 text.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum NowInput {
    Seconds(f64),
    Text(String),
}

impl NowInput {
    /// The timestamp, or `INVALID_TIMESTAMP`.
    pub(super) fn timestamp(&self) -> Result<Timestamp, Error> {
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

/// The `Storage` object of docs/CONTRACTS.md.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StorageInput {
    pub(super) provider: String,
    #[serde(default)]
    pub(super) region: Option<String>,
    pub(super) bucket: String,
    #[serde(default)]
    pub(super) endpoint: Option<String>,
    #[serde(default)]
    pub(super) account_id: Option<String>,
    #[serde(default)]
    addressing_style: Option<String>,
    /// The site's `WPS3_ALLOW_PRIVATE_ENDPOINTS` (see `crate::net`).
    #[cfg_attr(feature = "node", serde(default))]
    #[cfg_attr(not(feature = "node"), serde(skip))]
    pub(super) allow_private_endpoints: bool,
}

impl StorageInput {
    /// Validates the settings and resolves the endpoint.
    pub(super) fn resolve(&self) -> Result<ResolvedEndpoint, Error> {
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
/// The `CredentialsInput` object; wiped when dropped.
#[derive(Deserialize, Zeroize)]
#[zeroize(drop)]
#[serde(rename_all = "camelCase")]
pub(super) struct CredentialsInput {
    access_key_id: String,
    secret_access_key: String,
    #[serde(default)]
    session_token: Option<String>,
}

#[cfg(feature = "node")]
impl CredentialsInput {
    /// A copy as the signer's credentials.
    pub(super) fn credentials(&self) -> Credentials {
        Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.clone(),
            self.session_token.clone(),
        )
    }
}

/// `expiresIn` from JS: whole seconds within u32, or `INVALID_EXPIRES`.
pub(super) fn expires(seconds: f64) -> Result<u64, Error> {
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
/// A request that signs against one endpoint and key pair: the part a
/// stateless call shares with the `Bucket` method of the same name.
pub(super) trait Signs {
    /// Signs and writes the JS answer.
    fn sign(
        &self,
        endpoint: &ResolvedEndpoint,
        credentials: &Credentials,
        keys: &mut SigningKeyCache,
    ) -> Result<JsValue, JsValue>;
}

#[cfg(feature = "node")]
/// A request plus the storage and credentials to run it against (the
/// stateless calls); `Bucket` methods take the request part alone.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WithStorage<T> {
    storage: StorageInput,
    credentials: CredentialsInput,
    #[serde(flatten)]
    request: T,
}

#[cfg(feature = "node")]
/// A stateless call: reads `{ storage, credentials, ...request }`, resolves
/// both, and signs with the shared signing-key cache.
pub(super) fn sign_stateless<T: Signs + for<'de> Deserialize<'de>>(
    req: JsValue,
    what: &str,
) -> Result<JsValue, JsValue> {
    let req: WithStorage<T> = input(req, what)?;
    let endpoint = req.storage.resolve()?;
    let credentials = req.credentials.credentials();
    KEYS.with(|k| {
        req.request
            .sign(&endpoint, &credentials, &mut k.borrow_mut())
    })
}
