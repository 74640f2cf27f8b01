//! Bindings for browser transfers and object references (`src/transfers/`).
//! Shapes are in `docs/CONTRACTS.md` §1 (transfers); user mistakes come back
//! as `{ ok: false, errors }`, never as a throw.

use super::convert::{expires, input, output, CredentialsInput, NowInput, StorageInput, KEYS};
use super::signing::Bucket;
use crate::error::{Error, ErrorCode};
use crate::s3::content_disposition::{content_disposition, Disposition};
use crate::s3::endpoint::{AddressingStyle, Provider, StorageConfig};
use crate::s3::presign::SimplePresign;
use crate::transfers::object_ref::{parse_object_ref, RefContext};
use crate::transfers::plan::{
    browser_headers, check_upload, sign_download, sign_part, sign_upload, SignedUpload,
    UploadRequest, DEFAULT_UPLOAD_EXPIRES,
};
use crate::transfers::shape::PartPlan;
use crate::transfers::upload_key::key_belongs_to;
use crate::transfers::verify::{check_stored, completion_parts, ListedPart, Stored, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface TransferUploadInput { storage: Storage; credentials: CredentialsInput; now: Now; userId: number; random: string; filename: string; contentType: string; size: number; maxSize: number; allowedTypes: string[]; multipartThreshold?: number; forcePut?: boolean; expiresIn?: number; }
export interface TransferRejection { field: 'filename' | 'mime_type' | 'file_size'; reason: string; message: string; }
export type TransferUpload = { ok: false; errors: TransferRejection[] } | { ok: true; key: string; safeName: string; contentType: string; size: number; maxSize: number; shape: 'post' | 'put' | 'multipart'; expiresAt: string; upload: { method: 'POST'; url: string; fields: Pairs } | { method: 'PUT'; url: string; headers: Pairs } | null; partSize: number | null; partCount: number | null; };
export interface TransferSignPartsInput { storage: Storage; credentials: CredentialsInput; now: Now; key: string; uploadId: string; size: number; partNumbers: number[]; expiresIn: number; }
export interface TransferDownloadInput { storage: Storage; credentials: CredentialsInput; now: Now; key: string; filename: string; expiresIn: number; }
export interface TransferCheckInput { size: number; contentType: string; head: { exists: boolean; size?: number | null; contentType?: string | null }; }
export interface ObjectRefInput { ref: string; storage: Storage; }
"#;

/// Whole, non-negative and exactly representable: sizes and ids from JS.
fn whole(n: f64, name: &str) -> Result<u64, Error> {
    if n.is_finite() && n.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&n) {
        Ok(n as u64)
    } else {
        Err(Error::new(
            ErrorCode::InvalidArgument,
            format!("{name} must be a whole number of at most 2^53 - 1, got {n}"),
        ))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadInput {
    storage: StorageInput,
    credentials: CredentialsInput,
    now: NowInput,
    user_id: f64,
    random: String,
    filename: String,
    content_type: String,
    size: f64,
    max_size: f64,
    allowed_types: Vec<String>,
    #[serde(default)]
    multipart_threshold: Option<f64>,
    #[serde(default)]
    force_put: bool,
    #[serde(default)]
    expires_in: Option<f64>,
}

/// Checks an upload request and signs its single-request upload (POST policy
/// or presigned PUT); a multipart upload gets its part layout instead.
#[wasm_bindgen(js_name = transferUpload, unchecked_return_type = "TransferUpload")]
pub fn transfer_upload(
    #[wasm_bindgen(unchecked_param_type = "TransferUploadInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: UploadInput = input(req, "transferUpload")?;
    let provider = Provider::parse(&req.storage.provider)?;
    let threshold = req
        .multipart_threshold
        .map(|t| whole(t, "multipartThreshold"))
        .transpose()?;
    let upload = UploadRequest {
        user_id: whole(req.user_id, "userId")?,
        random: &req.random,
        filename: &req.filename,
        content_type: &req.content_type,
        size: whole(req.size, "size")?,
        max_size: whole(req.max_size, "maxSize")?,
        allowed_types: &req.allowed_types,
        multipart_threshold: threshold,
        force_put: req.force_put,
    };
    let checked = match check_upload(provider, &upload)? {
        Ok(c) => c,
        Err(errors) => {
            let errors: Vec<Value> = errors
                .iter()
                .map(|e| json!({ "field": e.field, "reason": e.reason, "message": e.message }))
                .collect();
            return output(&json!({ "ok": false, "errors": errors }));
        }
    };
    let now = req.now.timestamp()?;
    let expires_in = req
        .expires_in
        .map(expires)
        .transpose()?
        .unwrap_or(DEFAULT_UPLOAD_EXPIRES);
    let expires_at = now.plus(expires_in as i64)?.iso8601();
    let mut out = json!({
        "ok": true,
        "key": checked.key,
        "safeName": checked.safe_name,
        "contentType": checked.content_type,
        "size": checked.size,
        "maxSize": checked.max_size,
        "expiresAt": expires_at,
        "upload": null,
        "partSize": null,
        "partCount": null,
    });
    if let Some(plan) = checked.multipart {
        out["shape"] = json!("multipart");
        out["partSize"] = json!(plan.part_size);
        out["partCount"] = json!(plan.part_count);
        return output(&out);
    }
    let endpoint = req.storage.resolve()?;
    let credentials = req.credentials.credentials();
    let signed = KEYS.with(|k| {
        sign_upload(
            &endpoint,
            &credentials,
            now,
            &checked,
            expires_in,
            &mut k.borrow_mut(),
        )
    })?;
    out["shape"] = json!(checked.shape.as_str());
    out["upload"] = match signed {
        SignedUpload::Post(post) => {
            json!({ "method": "POST", "url": post.url, "fields": post.fields })
        }
        SignedUpload::Put(put) => {
            json!({ "method": "PUT", "url": put.url, "headers": browser_headers(&put.headers) })
        }
    };
    output(&out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignPartsInput {
    storage: StorageInput,
    credentials: CredentialsInput,
    now: NowInput,
    key: String,
    upload_id: String,
    size: f64,
    part_numbers: Vec<f64>,
    expires_in: f64,
}

/// Most parts signed in one call: enough for minutes of parallel upload,
/// few enough that a leaked answer exposes little.
const MAX_PARTS_PER_CALL: usize = 100;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignedPart {
    part_number: u64,
    url: String,
    headers: Vec<(String, String)>,
    size: String,
}

/// Presigns UploadPart URLs of one multipart upload, each with its part's
/// exact Content-Length signed.
#[wasm_bindgen(js_name = transferSignParts)]
pub fn transfer_sign_parts(
    #[wasm_bindgen(unchecked_param_type = "TransferSignPartsInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: SignPartsInput = input(req, "transferSignParts")?;
    if req.part_numbers.is_empty() || req.part_numbers.len() > MAX_PARTS_PER_CALL {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            format!("partNumbers must list 1 to {MAX_PARTS_PER_CALL} parts"),
        )
        .into());
    }
    let endpoint = req.storage.resolve()?;
    let credentials = req.credentials.credentials();
    let now = req.now.timestamp()?;
    let size = whole(req.size, "size")?;
    let expires_in = expires(req.expires_in)?;
    let mut parts = Vec::with_capacity(req.part_numbers.len());
    for n in &req.part_numbers {
        let number = whole(*n, "partNumbers[]")?;
        let url = KEYS.with(|k| {
            sign_part(
                &endpoint,
                &credentials,
                now,
                &req.key,
                &req.upload_id,
                size,
                number,
                expires_in,
                &mut k.borrow_mut(),
            )
        })?;
        let length = url
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        parts.push(SignedPart {
            part_number: number,
            url: url.url,
            headers: browser_headers(&url.headers),
            size: length,
        });
    }
    output(&json!({ "parts": parts, "expiresAt": now.plus(expires_in as i64)?.iso8601() }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DownloadInput {
    storage: StorageInput,
    credentials: CredentialsInput,
    now: NowInput,
    key: String,
    filename: String,
    expires_in: f64,
}

/// A presigned GET that saves under the original file name.
#[wasm_bindgen(js_name = transferDownload)]
pub fn transfer_download(
    #[wasm_bindgen(unchecked_param_type = "TransferDownloadInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: DownloadInput = input(req, "transferDownload")?;
    let endpoint = req.storage.resolve()?;
    let credentials = req.credentials.credentials();
    let now = req.now.timestamp()?;
    let url = KEYS.with(|k| {
        sign_download(
            &endpoint,
            &credentials,
            now,
            &req.key,
            &req.filename,
            expires(req.expires_in)?,
            &mut k.borrow_mut(),
        )
    })?;
    output(&json!({ "url": url.url, "expiresAt": url.expires_at.iso8601() }))
}

#[wasm_bindgen]
impl Bucket {
    /// `transferDownload` on this bucket's signer, on the fast presign path:
    /// the same URL (`expiresAt(now, expiresIn)` is its expiry).
    #[wasm_bindgen(js_name = transferDownload)]
    pub fn transfer_download(
        &mut self,
        key: &str,
        filename: &str,
        expires_in: f64,
        now: f64,
    ) -> Result<String, JsValue> {
        let disposition = content_disposition(filename, Disposition::Attachment);
        let req = SimplePresign {
            method: "GET",
            key,
            expires_in: expires(expires_in)?,
            content_disposition: Some(&disposition),
            content_type: None,
            cache_control: None,
        };
        Ok(self.simple(&req, now)?.url)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HeadInput {
    exists: bool,
    #[serde(default)]
    size: Option<f64>,
    #[serde(default)]
    content_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckInput {
    size: f64,
    content_type: String,
    head: HeadInput,
}

/// Whether a HEAD answer matches an upload intent: `matches`, `missing`, or
/// `mismatch` (the object must then be deleted) with `reason` and `message`.
#[wasm_bindgen(js_name = transferCheckStored)]
pub fn transfer_check_stored(
    #[wasm_bindgen(unchecked_param_type = "TransferCheckInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: CheckInput = input(req, "transferCheckStored")?;
    let size = req.head.size.map(|s| whole(s, "head.size")).transpose()?;
    let stored = Stored {
        size,
        content_type: req.head.content_type.as_deref(),
    };
    let verdict = check_stored(
        whole(req.size, "size")?,
        &req.content_type,
        req.head.exists.then_some(&stored),
    );
    output(&match verdict {
        Verdict::Matches => json!({ "verdict": "matches" }),
        Verdict::Missing => json!({ "verdict": "missing" }),
        Verdict::Mismatch { reason, message } => {
            json!({ "verdict": "mismatch", "reason": reason, "message": message })
        }
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartIn {
    part_number: f64,
    size: f64,
    etag: String,
}

#[derive(Deserialize)]
struct CompletionInput {
    size: f64,
    parts: Vec<PartIn>,
}

/// The ordered `{ partNumber, etag }` list to complete an upload with, or an
/// `INVALID_ARGUMENT` naming the missing or wrong-sized parts.
#[wasm_bindgen(js_name = transferCompletionParts)]
pub fn transfer_completion_parts(req: JsValue) -> Result<JsValue, JsValue> {
    let req: CompletionInput = input(req, "transferCompletionParts")?;
    let listed = req
        .parts
        .iter()
        .map(|p| {
            Ok(ListedPart {
                number: whole(p.part_number, "parts[].partNumber")?,
                size: whole(p.size, "parts[].size")?,
                etag: p.etag.clone(),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let parts: Vec<Value> = completion_parts(whole(req.size, "size")?, &listed)?
        .into_iter()
        .map(|(n, etag)| json!({ "partNumber": n, "etag": etag }))
        .collect();
    output(&json!({ "parts": parts }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LayoutInput {
    size: f64,
    #[serde(default)]
    part_size: Option<f64>,
}

/// The part layout of a multipart upload of `size` bytes: `{ partSize, partCount }`,
/// with parts of `partSize` (default 16 MiB) raised when 10,000 would not hold the file.
#[wasm_bindgen(js_name = transferPartLayout)]
pub fn transfer_part_layout(req: JsValue) -> Result<JsValue, JsValue> {
    let req: LayoutInput = input(req, "transferPartLayout")?;
    let preferred = req.part_size.map(|p| whole(p, "partSize")).transpose()?;
    let plan = PartPlan::new(whole(req.size, "size")?, preferred)?;
    output(&json!({ "partSize": plan.part_size, "partCount": plan.part_count }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OwnsInput {
    user_id: f64,
    key: String,
}

/// Whether a key lies in the user's own upload folder.
#[wasm_bindgen(js_name = transferOwnsKey)]
pub fn transfer_owns_key(req: JsValue) -> Result<bool, JsValue> {
    let req: OwnsInput = input(req, "transferOwnsKey")?;
    Ok(key_belongs_to(whole(req.user_id, "userId")?, &req.key))
}

#[derive(Deserialize)]
struct RefInput {
    #[serde(rename = "ref")]
    reference: String,
    storage: StorageInput,
}

/// Parses `s3://bucket/key`, `bucket/key`, an endpoint URL or
/// `[wps3_object …]`: `{ found: false }` for text that is not a reference
/// (the host handles it), `{ found: true, bucket, key }`, or a throw for a
/// broken reference.
#[wasm_bindgen(js_name = parseObjectRef)]
pub fn parse_object_ref_js(
    #[wasm_bindgen(unchecked_param_type = "ObjectRefInput")] req: JsValue,
) -> Result<JsValue, JsValue> {
    let req: RefInput = input(req, "parseObjectRef")?;
    let s = &req.storage;
    // The bare endpoint host: path-style resolution never prefixes the bucket.
    let base = StorageConfig {
        provider: Provider::parse(&s.provider)?,
        region: s.region.clone().unwrap_or_default(),
        bucket: s.bucket.clone(),
        endpoint: s.endpoint.clone(),
        account_id: s.account_id.clone(),
        addressing_style: AddressingStyle::Path,
        allow_private_endpoints: s.allow_private_endpoints,
    }
    .resolve()?;
    let ctx = RefContext {
        bucket: &s.bucket,
        base_host: &base.host,
    };
    output(&match parse_object_ref(&req.reference, &ctx)? {
        Some(r) => json!({ "found": true, "bucket": r.bucket, "key": r.key }),
        None => json!({ "found": false }),
    })
}
