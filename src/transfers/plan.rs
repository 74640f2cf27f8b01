//! An upload request checked against the site's rules, and the signed
//! request the browser sends for it. (Over 400 lines because of its tests:
//! each signed shape is checked against its policy or signed headers.)
//!
//! Bad user input is not an `Err`: it comes back as [`Rejection`]s naming the
//! field, so the REST layer can answer 400/413/415 with words. `Err` is kept
//! for calls the bridge itself got wrong (bad storage, bad credentials).

use super::shape::{
    upload_shape, PartPlan, UploadShape, DEFAULT_MULTIPART_THRESHOLD, MAX_OBJECT_SIZE,
    MAX_SINGLE_UPLOAD,
};
use super::upload_key::{safe_name, upload_key};
use crate::error::{invalid, ErrorCode, Result};
use crate::s3::content_disposition::{content_disposition, Disposition};
use crate::s3::endpoint::{Provider, ResolvedEndpoint};
use crate::s3::post_policy::{presign_post, PostPolicyRequest, PresignedPost};
use crate::s3::presign::{presign_url, PresignRequest, PresignedUrl, ResponseOverrides};
use crate::sigv4::{Credentials, SigningKeyCache};
use crate::time::Timestamp;
use serde_json::{json, Value};

/// How long a browser has to start an upload unless the caller says otherwise.
pub const DEFAULT_UPLOAD_EXPIRES: u64 = 20 * 60;
/// Longest file name accepted (bytes of UTF-8); the name is stored and shown.
pub const MAX_FILENAME_BYTES: usize = 255;

/// What a user asked to upload, plus the site's limits (already filtered by WordPress).
#[derive(Debug, Clone)]
pub struct UploadRequest<'a> {
    /// The uploader (WordPress user id).
    pub user_id: u64,
    /// 16 lower-case hex digits from the caller's CSPRNG.
    pub random: &'a str,
    /// The file's name as the browser gave it.
    pub filename: &'a str,
    /// The declared MIME type.
    pub content_type: &'a str,
    /// The declared size in bytes.
    pub size: u64,
    /// The largest size accepted.
    pub max_size: u64,
    /// MIME types accepted (`type/subtype`, any case).
    pub allowed_types: &'a [String],
    /// Files larger than this go multipart.
    pub multipart_threshold: Option<u64>,
    /// Use a presigned PUT even where POST policies work.
    pub force_put: bool,
}

/// One reason an upload request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The request field at fault: `filename`, `mime_type` or `file_size`.
    pub field: &'static str,
    /// Stable reason: `missing`, `too-long`, `not-allowed`, `empty`, `too-large`, `invalid`.
    pub reason: &'static str,
    /// English explanation for the user.
    pub message: String,
}

/// The checked request, ready to be signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedUpload {
    /// Object key under the user's prefix.
    pub key: String,
    /// The name part of the key.
    pub safe_name: String,
    /// The MIME type, lower-cased.
    pub content_type: String,
    /// Declared size.
    pub size: u64,
    /// Size cap the storage will enforce (POST) or the exact size (PUT).
    pub max_size: u64,
    /// `None` for a single request; the part layout for multipart.
    pub multipart: Option<PartPlan>,
    /// The single-request shape (also what R2 needs; parts are always PUTs).
    pub shape: UploadShape,
}

/// A media type `type/subtype` of token characters, lower-cased; `None` if malformed.
fn media_type(value: &str) -> Option<String> {
    let value = value.trim().to_ascii_lowercase();
    let (t, s) = value.split_once('/')?;
    let token = |x: &str| {
        !x.is_empty()
            && x.len() <= 127
            && x.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    (token(t) && token(s)).then_some(value)
}

/// Checks a request against the limits and builds its key.
pub fn check_upload(
    provider: Provider,
    req: &UploadRequest<'_>,
) -> Result<std::result::Result<CheckedUpload, Vec<Rejection>>> {
    if req.max_size == 0 || req.max_size > MAX_OBJECT_SIZE {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            format!("maxSize must be 1 byte to 5 TiB, not {}", req.max_size),
        ));
    }
    let mut errors = Vec::new();
    let mut reject = |field, reason, message: String| {
        errors.push(Rejection {
            field,
            reason,
            message,
        })
    };
    let filename = req.filename.trim();
    if filename.is_empty() {
        reject("filename", "missing", "The file has no name.".into());
    } else if filename.len() > MAX_FILENAME_BYTES {
        reject(
            "filename",
            "too-long",
            format!("The file name is longer than {MAX_FILENAME_BYTES} bytes; rename the file."),
        );
    } else if filename.chars().any(char::is_control) {
        reject(
            "filename",
            "invalid",
            "The file name contains control characters.".into(),
        );
    }
    let allowed: Vec<String> = req
        .allowed_types
        .iter()
        .filter_map(|t| media_type(t))
        .collect();
    let content_type = media_type(req.content_type);
    match &content_type {
        None => reject(
            "mime_type",
            "invalid",
            format!(
                "'{}' is not a MIME type such as application/pdf.",
                req.content_type.escape_debug()
            ),
        ),
        Some(t) if !allowed.contains(t) => reject(
            "mime_type",
            "not-allowed",
            format!(
                "Files of type {t} are not accepted here. Accepted: {}.",
                if allowed.is_empty() {
                    "none".to_owned()
                } else {
                    allowed.join(", ")
                }
            ),
        ),
        Some(_) => {}
    }
    if req.size == 0 {
        reject("file_size", "empty", "The file is empty.".into());
    } else if req.size > req.max_size {
        reject(
            "file_size",
            "too-large",
            format!(
                "The file is {} bytes; the limit is {} bytes ({}).",
                req.size,
                req.max_size,
                human_size(req.max_size)
            ),
        );
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let key = upload_key(req.user_id, req.random, filename)?;
    let threshold = req
        .multipart_threshold
        .unwrap_or(DEFAULT_MULTIPART_THRESHOLD)
        .clamp(1, MAX_SINGLE_UPLOAD);
    let multipart = if req.size > threshold {
        Some(PartPlan::new(req.size, None)?)
    } else {
        None
    };
    Ok(Ok(CheckedUpload {
        key,
        safe_name: safe_name(filename),
        content_type: content_type.unwrap_or_default(),
        size: req.size,
        max_size: req.max_size,
        multipart,
        shape: upload_shape(provider, req.force_put),
    }))
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// What the browser sends for a single-request upload.
#[derive(Debug, Clone)]
pub enum SignedUpload {
    /// A form POST: fields in order, the file last.
    Post(Box<PresignedPost>),
    /// A PUT of the file as the body, with the given headers.
    Put(Box<PresignedUrl>),
}

/// Signs the single-request upload of a checked request.
///
/// POST: the policy pins the exact key and Content-Type and bounds the size
/// to 1..=max_size. PUT: Content-Type and Content-Length are signed, so the
/// storage refuses any other type or size.
pub fn sign_upload(
    endpoint: &ResolvedEndpoint,
    credentials: &Credentials,
    now: Timestamp,
    upload: &CheckedUpload,
    expires_in: u64,
    cache: &mut SigningKeyCache,
) -> Result<SignedUpload> {
    if upload.size > MAX_SINGLE_UPLOAD {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            "a single upload request holds at most 5 GiB; use multipart",
        ));
    }
    match upload.shape {
        UploadShape::Post => {
            let fields = vec![("Content-Type".to_owned(), upload.content_type.clone())];
            let conditions: Vec<Value> = vec![
                json!({ "Content-Type": upload.content_type }),
                json!(["content-length-range", 1, upload.max_size]),
            ];
            let post = PostPolicyRequest {
                key: &upload.key,
                expires_in,
                fields: &fields,
                conditions: &conditions,
            };
            presign_post(endpoint, credentials, now, &post, cache)
                .map(|p| SignedUpload::Post(Box::new(p)))
        }
        UploadShape::Put => {
            let headers = vec![
                ("Content-Type".to_owned(), upload.content_type.clone()),
                ("Content-Length".to_owned(), upload.size.to_string()),
            ];
            let req = PresignRequest {
                method: "PUT",
                key: &upload.key,
                expires_in,
                query: &[],
                headers: &headers,
                overrides: ResponseOverrides::default(),
            };
            presign_url(endpoint, credentials, now, &req, cache)
                .map(|p| SignedUpload::Put(Box::new(p)))
        }
    }
}

/// Presigns the PUT of one part of a multipart upload, with its exact
/// Content-Length signed so no part can exceed the declared file.
#[allow(clippy::too_many_arguments)]
pub fn sign_part(
    endpoint: &ResolvedEndpoint,
    credentials: &Credentials,
    now: Timestamp,
    key: &str,
    upload_id: &str,
    size: u64,
    part_number: u64,
    expires_in: u64,
    cache: &mut SigningKeyCache,
) -> Result<PresignedUrl> {
    if upload_id.is_empty() || upload_id.len() > 1024 || upload_id.chars().any(char::is_control) {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            "uploadId must be the id CreateMultipartUpload returned",
        ));
    }
    let plan = PartPlan::new(size, None)?;
    let length = plan.part_length(size, part_number)?;
    let query = vec![
        ("partNumber".to_owned(), part_number.to_string()),
        ("uploadId".to_owned(), upload_id.to_owned()),
    ];
    let headers = vec![("Content-Length".to_owned(), length.to_string())];
    let req = PresignRequest {
        method: "PUT",
        key,
        expires_in,
        query: &query,
        headers: &headers,
        overrides: ResponseOverrides::default(),
    };
    presign_url(endpoint, credentials, now, &req, cache)
}

/// Presigns a download that saves under `filename` (ASCII fallback plus
/// `filename*=UTF-8''…`).
pub fn sign_download(
    endpoint: &ResolvedEndpoint,
    credentials: &Credentials,
    now: Timestamp,
    key: &str,
    filename: &str,
    expires_in: u64,
    cache: &mut SigningKeyCache,
) -> Result<PresignedUrl> {
    let req = PresignRequest {
        method: "GET",
        key,
        expires_in,
        query: &[],
        headers: &[],
        overrides: ResponseOverrides {
            content_disposition: Some(content_disposition(filename, Disposition::Attachment)),
            ..ResponseOverrides::default()
        },
    };
    presign_url(endpoint, credentials, now, &req, cache)
}

/// Headers a browser may set itself: `Content-Length` is computed by the
/// browser from the body (and refused if set by script), but still signed.
pub fn browser_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(n, _)| {
            !n.eq_ignore_ascii_case("content-length") && !n.eq_ignore_ascii_case("host")
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::endpoint::{AddressingStyle, StorageConfig};

    const MIB: u64 = 1024 * 1024;

    fn types() -> Vec<String> {
        ["application/pdf", "image/png"].map(String::from).to_vec()
    }

    fn req<'a>(t: &'a [String], name: &'a str, ct: &'a str, size: u64) -> UploadRequest<'a> {
        UploadRequest {
            user_id: 3,
            random: "00112233445566ff",
            filename: name,
            content_type: ct,
            size,
            max_size: 20 * MIB,
            allowed_types: t,
            multipart_threshold: None,
            force_put: false,
        }
    }

    fn endpoint() -> ResolvedEndpoint {
        StorageConfig {
            provider: Provider::Custom,
            region: "us-east-1".into(),
            bucket: "bkt".into(),
            endpoint: Some("http://127.0.0.1:9000".into()),
            account_id: None,
            addressing_style: AddressingStyle::Auto,
            allow_private_endpoints: true,
        }
        .resolve()
        .unwrap()
    }

    fn creds() -> Credentials {
        Credentials::new("AKIDEXAMPLE", "secret", None::<String>)
    }

    #[test]
    fn rejections_name_the_field() {
        let t = types();
        let reasons = |r: UploadRequest<'_>| -> Vec<(&str, &str)> {
            check_upload(Provider::Custom, &r)
                .unwrap()
                .unwrap_err()
                .iter()
                .map(|e| (e.field, e.reason))
                .collect()
        };
        assert_eq!(
            reasons(req(&t, "a.exe", "application/x-msdownload", 10)),
            [("mime_type", "not-allowed")]
        );
        assert_eq!(
            reasons(req(&t, "a.pdf", "pdf", 10)),
            [("mime_type", "invalid")]
        );
        assert_eq!(
            reasons(req(&t, "a.pdf", "application/pdf", 0)),
            [("file_size", "empty")]
        );
        assert_eq!(
            reasons(req(&t, "a.pdf", "application/pdf", 20 * MIB + 1)),
            [("file_size", "too-large")]
        );
        assert_eq!(
            reasons(req(&t, " ", "application/pdf", 1)),
            [("filename", "missing")]
        );
        assert_eq!(
            reasons(req(&t, "a\u{7}.pdf", "application/pdf", 1)),
            [("filename", "invalid")]
        );
    }

    #[test]
    fn accepted_request_gets_key_and_shape() {
        let t = types();
        let ok = check_upload(
            Provider::Custom,
            &req(&t, "My CV.pdf", "Application/PDF", 100),
        )
        .unwrap()
        .unwrap();
        assert_eq!(ok.key, "uploads/3/00112233445566ff_My-CV.pdf");
        assert_eq!(ok.content_type, "application/pdf");
        assert_eq!(ok.shape, UploadShape::Post);
        assert!(ok.multipart.is_none());
        let r2 = check_upload(Provider::CloudflareR2, &req(&t, "a.png", "image/png", 1))
            .unwrap()
            .unwrap();
        assert_eq!(r2.shape, UploadShape::Put);
    }

    #[test]
    fn large_files_go_multipart() {
        let t = types();
        let mut r = req(&t, "big.pdf", "application/pdf", 300 * MIB);
        r.max_size = 1024 * MIB;
        let ok = check_upload(Provider::Custom, &r).unwrap().unwrap();
        assert_eq!(ok.multipart.unwrap().part_count, 19);
        r.multipart_threshold = Some(400 * MIB);
        assert!(check_upload(Provider::Custom, &r)
            .unwrap()
            .unwrap()
            .multipart
            .is_none());
    }

    #[test]
    fn post_policy_pins_key_type_and_range() {
        let t = types();
        let ok = check_upload(Provider::Custom, &req(&t, "a.pdf", "application/pdf", 10))
            .unwrap()
            .unwrap();
        let now = Timestamp::from_unix(1_700_000_000).unwrap();
        let SignedUpload::Post(post) = sign_upload(
            &endpoint(),
            &creds(),
            now,
            &ok,
            1200,
            &mut SigningKeyCache::new(),
        )
        .unwrap() else {
            panic!("expected a POST");
        };
        let policy: Value = serde_json::from_str(&post.policy_json).unwrap();
        let conditions = policy["conditions"].as_array().unwrap();
        assert!(conditions.contains(&json!({"Content-Type": "application/pdf"})));
        assert!(conditions.contains(&json!(["content-length-range", 1, 20 * MIB])));
        assert!(conditions.contains(&json!({"key": ok.key})));
        assert_eq!(
            post.fields[0],
            ("Content-Type".to_owned(), "application/pdf".to_owned())
        );
        assert_eq!(post.fields.last().unwrap().0, "x-amz-signature");
        assert_eq!(post.expiration.unix(), 1_700_000_000 + 1200);
    }

    #[test]
    fn put_signs_type_and_length() {
        let t = types();
        let mut r = req(&t, "a.png", "image/png", 1234);
        r.force_put = true;
        let ok = check_upload(Provider::Custom, &r).unwrap().unwrap();
        let now = Timestamp::from_unix(1_700_000_000).unwrap();
        let SignedUpload::Put(put) = sign_upload(
            &endpoint(),
            &creds(),
            now,
            &ok,
            600,
            &mut SigningKeyCache::new(),
        )
        .unwrap() else {
            panic!("expected a PUT");
        };
        assert!(
            put.url
                .contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"),
            "{}",
            put.url
        );
        assert_eq!(
            browser_headers(&put.headers),
            [("Content-Type".to_owned(), "image/png".to_owned())]
        );
    }

    #[test]
    fn parts_are_bound_to_upload_and_length() {
        let now = Timestamp::from_unix(1_700_000_000).unwrap();
        let size = 300 * MIB;
        let url = sign_part(
            &endpoint(),
            &creds(),
            now,
            "uploads/3/x_a.pdf",
            "up/1",
            size,
            19,
            60,
            &mut SigningKeyCache::new(),
        )
        .unwrap();
        assert!(
            url.url.contains("partNumber=19&uploadId=up%2F1&"),
            "{}",
            url.url
        );
        assert_eq!(
            url.headers,
            [(
                "Content-Length".to_owned(),
                (size - 18 * 16 * MIB).to_string()
            )]
        );
        assert!(sign_part(
            &endpoint(),
            &creds(),
            now,
            "k",
            "u",
            size,
            20,
            60,
            &mut SigningKeyCache::new()
        )
        .is_err());
        assert!(sign_part(
            &endpoint(),
            &creds(),
            now,
            "k",
            "",
            size,
            1,
            60,
            &mut SigningKeyCache::new()
        )
        .is_err());
    }

    #[test]
    fn downloads_carry_the_filename() {
        let now = Timestamp::from_unix(1_700_000_000).unwrap();
        let url = sign_download(
            &endpoint(),
            &creds(),
            now,
            "uploads/3/x_a.pdf",
            "Grüße \"x\".pdf",
            900,
            &mut SigningKeyCache::new(),
        )
        .unwrap();
        assert!(
            url.url
                .contains("response-content-disposition=attachment%3B%20filename%3D"),
            "{}",
            url.url
        );
        assert!(
            url.url
                .contains("filename%2A%3DUTF-8%27%27Gr%25C3%25BC%25C3%259Fe"),
            "{}",
            url.url
        );
        assert!(human_size(20 * MIB) == "20 MiB");
    }
}
