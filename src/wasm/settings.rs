//! Bindings for the settings form: `validateSettings` and `settingsSchema`
//! (every build: the admin page and the sidecar both use them) and
//! `retryDelay` and `checkAddress` (the sidecar only).

use super::convert::{input, output};
#[cfg(feature = "node")]
use crate::settings::retry::{retry_delay, RetryDelayInput};
use crate::settings::schema::settings_schema;
use crate::settings::validate::{validate_settings, SettingsInput};
#[cfg(feature = "node")]
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface SettingsInput { provider?: string; region?: string; endpoint?: string; accountId?: string; bucket?: string; pathPrefix?: string | null; keyTemplate?: string; addressingStyle?: string; accessKeyId?: string; secretAccessKey?: string; }
export interface SettingsFieldError { field: string; code: string; adviceId: string; message: string; }
export interface SettingsReport { valid: boolean; settings: { provider: string; region: string; endpoint: string; accountId: string; bucket: string; pathPrefix: string; keyTemplate: string; addressingStyle: string; accessKeyId: string }; endpoint: ResolvedEndpoint | null; errors: SettingsFieldError[]; }
export interface SettingsSchema { providers: { id: string; label: string; defaultRegion: string; regions: { id: string; label: string; optIn: boolean }[]; needsEndpoint: boolean; needsAccountId: boolean; uploadShape: 'post' | 'put' }[]; defaults: { pathPrefix: string; keyTemplate: string; addressingStyle: string }; }
export interface CheckAddressInput { host: string; address: string; allowPrivateEndpoints?: boolean; }
export interface RetryDelayInput { retry: 'never' | 'backoff' | 'after-clock-fix'; attempt: number; retryAfterSeconds?: number | null; jitter: number; baseSeconds?: number; capSeconds?: number; }
"#;

/// Checks the settings form; bad values are reported per field, never thrown.
/// Throws `INVALID_ARGUMENT` only for a call that is not an object of strings.
#[wasm_bindgen(js_name = validateSettings, unchecked_return_type = "SettingsReport")]
pub fn validate_settings_js(
    #[wasm_bindgen(unchecked_param_type = "SettingsInput")] settings: JsValue,
) -> Result<JsValue, JsValue> {
    let settings: SettingsInput = input(settings, "validateSettings")?;
    output(&validate_settings(&settings))
}

/// Providers, regions and defaults for the settings form.
#[wasm_bindgen(js_name = settingsSchema, unchecked_return_type = "SettingsSchema")]
pub fn settings_schema_js() -> Result<JsValue, JsValue> {
    output(&settings_schema())
}

#[cfg(feature = "node")]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DelayOut {
    delay_seconds: Option<u64>,
}

#[cfg(feature = "node")]
/// Seconds before the next attempt of a failed job (`null` for `never`).
#[wasm_bindgen(js_name = retryDelay, unchecked_return_type = "{ delaySeconds: number | null }")]
pub fn retry_delay_js(
    #[wasm_bindgen(unchecked_param_type = "RetryDelayInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: RetryDelayInput = input(req, "retryDelay")?;
    output(&DelayOut {
        delay_seconds: retry_delay(&req)?,
    })
}

#[cfg(feature = "node")]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckAddressInput {
    host: String,
    address: String,
    #[serde(default)]
    allow_private_endpoints: bool,
}

#[cfg(feature = "node")]
/// The sidecar's connect-time SSRF check: whether `host` may be reached at
/// `address`, one of the addresses it resolved to. Returns `true`, or throws
/// `EndpointRefused` (adviceId `endpoint-refused`).
#[wasm_bindgen(js_name = checkAddress)]
pub fn check_address_js(
    #[wasm_bindgen(unchecked_param_type = "CheckAddressInput")] req: JsValue,
) -> Result<bool, JsValue> {
    let req: CheckAddressInput = input(req, "checkAddress")?;
    crate::net::check_address(&req.host, &req.address, req.allow_private_endpoints)?;
    Ok(true)
}
