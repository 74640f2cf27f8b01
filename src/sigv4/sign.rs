//! Step 4: the signature, and where it goes.

use super::canonical_request::{CanonicalRequest, SignableRequest};
use super::credentials::Credentials;
use super::settings::{PayloadChecksumKind, SessionTokenMode, SignatureLocation, SigningSettings};
use super::signing_key::{derive_signing_key, SigningKey, SigningKeyCache};
use super::string_to_sign::{credential_scope, string_to_sign};
use super::ALGORITHM;
use crate::error::{invalid, ErrorCode, Result};
use crate::time::Timestamp;

/// Who signs, for which region and service, at what time, and how.
#[derive(Debug, Clone)]
pub struct SigningParams<'a> {
    /// The key pair (and token) to sign with.
    pub credentials: &'a Credentials,
    /// Scope region, e.g. `eu-west-1`, or `auto` for R2.
    pub region: &'a str,
    /// Scope service, `s3` for every storage request.
    pub service: &'a str,
    /// Signing time, supplied by the caller.
    pub time: Timestamp,
    /// S3-versus-generic settings and the signature location.
    pub settings: SigningSettings,
}

/// Everything signing produced, including the intermediate strings for checks.
#[derive(Debug, Clone)]
pub struct SigningOutput {
    /// The canonical request that was signed.
    pub canonical_request: CanonicalRequest,
    /// The string that was signed.
    pub string_to_sign: String,
    /// Lower-case hex signature.
    pub signature: String,
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: String,
    /// `DATE/REGION/SERVICE/aws4_request`.
    pub credential_scope: String,
    /// Header auth: headers to add, in send order (`Authorization` last).
    pub headers: Vec<(String, String)>,
    /// Query auth: parameters to append after the request's own, signature last.
    pub query_params: Vec<(String, String)>,
}

impl SigningOutput {
    /// The `Authorization` header value, for header auth.
    pub fn authorization(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == "Authorization")
            .map(|(_, v)| v.as_str())
    }
}

/// Signs a request, deriving the signing key.
pub fn sign(req: &SignableRequest<'_>, params: &SigningParams<'_>) -> Result<SigningOutput> {
    let key = derive_signing_key(
        params.credentials.secret_access_key(),
        &params.time.date_stamp(),
        params.region,
        params.service,
    );
    sign_with_key(req, params, &key)
}

/// Signs a request, taking the signing key from (and adding it to) a cache.
pub fn sign_cached(
    req: &SignableRequest<'_>,
    params: &SigningParams<'_>,
    cache: &mut SigningKeyCache,
) -> Result<SigningOutput> {
    let key = cache.get(
        params.credentials.secret_access_key(),
        &params.time.date_stamp(),
        params.region,
        params.service,
    );
    sign_with_key(req, params, &key)
}

/// Signs a request with an already derived key.
pub fn sign_with_key(
    req: &SignableRequest<'_>,
    params: &SigningParams<'_>,
    key: &SigningKey,
) -> Result<SigningOutput> {
    if params.region.is_empty() || params.service.is_empty() {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            "region and service must not be empty",
        ));
    }
    params.credentials.validate()?;
    let amz_date = params.time.amz_date();
    let scope = credential_scope(&params.time.date_stamp(), params.region, params.service);
    let settings = &params.settings;
    let signed_token = match settings.session_token_mode {
        SessionTokenMode::Include => params.credentials.session_token(),
        SessionTokenMode::Exclude => None,
    };
    let unsigned_token = match settings.session_token_mode {
        SessionTokenMode::Include => None,
        SessionTokenMode::Exclude => params.credentials.session_token(),
    };

    match settings.signature_location {
        SignatureLocation::Headers => {
            let payload_hash = req.body.payload_hash();
            // botocore's order, so a captured request matches header for header.
            let mut extra: Vec<(&str, &str)> = vec![("X-Amz-Date", &amz_date)];
            if let Some(token) = signed_token {
                extra.push(("X-Amz-Security-Token", token));
            }
            if settings.payload_checksum_kind == PayloadChecksumKind::XAmzSha256 {
                extra.push(("X-Amz-Content-SHA256", &payload_hash));
            }
            let canonical = CanonicalRequest::new(req, &[], &extra, settings);
            let sts = string_to_sign(&amz_date, &scope, &canonical.to_string());
            let signature = key.sign(&sts);
            let authorization = format!(
                "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
                params.credentials.access_key_id(),
                canonical.signed_headers
            );
            let mut headers: Vec<(String, String)> = extra
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            if let Some(token) = unsigned_token {
                headers.push(("X-Amz-Security-Token".into(), token.into()));
            }
            headers.push(("Authorization".into(), authorization));
            Ok(SigningOutput {
                canonical_request: canonical,
                string_to_sign: sts,
                signature,
                amz_date,
                credential_scope: scope,
                headers,
                query_params: Vec::new(),
            })
        }
        SignatureLocation::QueryParams => {
            let expires = settings.expires_in.ok_or_else(|| {
                invalid(ErrorCode::InvalidExpires, "query signing needs an expiry")
            })?;
            let credential = format!("{}/{scope}", params.credentials.access_key_id());
            let expires = expires.to_string();
            let signed_headers = CanonicalRequest::signed_header_names(req.headers, &[]);
            let mut extra: Vec<(&str, &str)> = vec![
                ("X-Amz-Algorithm", ALGORITHM),
                ("X-Amz-Credential", &credential),
                ("X-Amz-Date", &amz_date),
                ("X-Amz-Expires", &expires),
                ("X-Amz-SignedHeaders", &signed_headers),
            ];
            if let Some(token) = signed_token {
                extra.push(("X-Amz-Security-Token", token));
            }
            let canonical = CanonicalRequest::new(req, &extra, &[], settings);
            let sts = string_to_sign(&amz_date, &scope, &canonical.to_string());
            let signature = key.sign(&sts);
            let mut query_params: Vec<(String, String)> = extra
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            if let Some(token) = unsigned_token {
                query_params.push(("X-Amz-Security-Token".into(), token.into()));
            }
            query_params.push(("X-Amz-Signature".into(), signature.clone()));
            Ok(SigningOutput {
                canonical_request: canonical,
                string_to_sign: sts,
                signature,
                amz_date,
                credential_scope: scope,
                headers: Vec::new(),
                query_params,
            })
        }
    }
}
