//! The advice catalog: every stable advice id with its generic English cause
//! and fix.
//!
//! An error names one id (`adviceId` on the wire). PHP translates by id and
//! falls back to the error's own `cause`/`fix`, which may be more specific
//! (they name the bucket or the region). Ids are kebab-case and never change
//! meaning; add a variant here, and to [`AdviceId::ALL`], for a new one.
//! Over 400 lines because it is one table: every text an admin reads, in one place.

use serde::{Serialize, Serializer};

macro_rules! catalog {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal { cause: $cause:expr, fix: $fix:expr $(,)? } )*) => {
        /// A stable advice id; see the module documentation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum AdviceId {
            $( $(#[$doc])* $variant, )*
        }

        impl AdviceId {
            /// Every id, in catalog order.
            pub const ALL: &'static [AdviceId] = &[ $( AdviceId::$variant, )* ];

            /// The kebab-case id, e.g. `"signature-mismatch"`.
            pub fn as_str(self) -> &'static str {
                match self { $( AdviceId::$variant => $id, )* }
            }

            /// The id for its kebab-case form.
            pub fn parse(id: &str) -> Option<AdviceId> {
                match id { $( $id => Some(AdviceId::$variant), )* _ => None }
            }

            /// The generic English cause.
            pub fn cause(self) -> &'static str {
                match self { $( AdviceId::$variant => $cause, )* }
            }

            /// The generic English fix.
            pub fn fix(self) -> &'static str {
                match self { $( AdviceId::$variant => $fix, )* }
            }
        }
    };
}

catalog! {
    // ---- storage answers (S3 error codes) ----
    /// `SignatureDoesNotMatch`.
    SignatureMismatch = "signature-mismatch" {
        cause: "The signature did not match: the secret access key is wrong for this access key ID.",
        fix: "Paste the secret access key again, with no leading or trailing spaces. If it is correct, a proxy or CDN between WordPress and the storage service may be rewriting requests.",
    }
    /// `InvalidAccessKeyId`.
    InvalidAccessKey = "invalid-access-key" {
        cause: "The access key ID is not known to this storage service.",
        fix: "Copy the access key ID again (no spaces), make sure the key is active, and that the provider matches where the key was created (an AWS key does not work on Wasabi or R2).",
    }
    /// `AccessDenied` about permissions.
    AccessDenied = "access-denied" {
        cause: "The storage service refused access: the keys are valid but not allowed to do this.",
        fix: "Give the access key's user or policy s3:PutObject, s3:GetObject, s3:DeleteObject and s3:ListBucket on the bucket and on its objects (bucket/*). Also check the bucket policy, any KMS key policy, and that the bucket belongs to this account.",
    }
    /// `AllAccessDisabled`.
    AllAccessDisabled = "all-access-disabled" {
        cause: "All access to the bucket has been disabled by the storage provider.",
        fix: "Contact the storage provider's support, or use another bucket.",
    }
    /// `AccountProblem`.
    AccountProblem = "account-problem" {
        cause: "The storage account has a problem (often billing or a suspended account).",
        fix: "Sign in to the provider's console or contact its support.",
    }
    /// `NoSuchBucket`, or a bodiless 404 from HeadBucket.
    NoSuchBucket = "no-such-bucket" {
        cause: "The bucket does not exist at this endpoint.",
        fix: "Check the bucket name for typos, create the bucket, or make sure the provider, region and endpoint settings point where the bucket was created.",
    }
    /// `NoSuchKey`.
    NoSuchKey = "no-such-key" {
        cause: "The file is not in the bucket: it was deleted, moved, or never uploaded.",
        fix: "Upload the document again; if keys changed, check the path prefix and key template.",
    }
    /// A bodiless 404.
    NotFound = "not-found" {
        cause: "The file (or the bucket itself) was not found.",
        fix: "Check the bucket name and region, then upload the document again if it is missing.",
    }
    /// `NoSuchUpload`: the multipart upload was aborted or expired.
    NoSuchUpload = "no-such-upload" {
        cause: "The multipart upload no longer exists: it was aborted, completed, or removed by a lifecycle rule.",
        fix: "Start the upload again; a lifecycle rule that aborts incomplete uploads must allow more time than an upload takes.",
    }
    /// `InvalidPart`, `InvalidPartOrder`, `EntityTooSmall`.
    MultipartInvalid = "multipart-invalid" {
        cause: "The storage service rejected the list of parts that completes a multipart upload.",
        fix: "Start the upload again. If it repeats, the service may need a larger part size.",
    }
    /// `RequestTimeTooSkewed`, or a 403 whose server time is far from ours.
    ClockSkew = "clock-skew" {
        cause: "This server's clock differs too much from the storage service's; S3 accepts at most 15 minutes.",
        fix: "Enable time synchronisation (NTP, e.g. systemd-timesyncd or chrony) on the web server, then retry.",
    }
    /// `AuthorizationHeaderMalformed` naming a region, `PermanentRedirect`,
    /// `IllegalLocationConstraintException`, or a response with
    /// `x-amz-bucket-region` that differs from the configured region.
    WrongRegion = "wrong-region" {
        cause: "The bucket is in a different region than the one configured.",
        fix: "Set the region to the bucket's region in the storage settings; the provider's console shows it.",
    }
    /// `AuthorizationHeaderMalformed` without a region.
    AuthorizationMalformed = "authorization-malformed" {
        cause: "The storage service could not read the request's signature.",
        fix: "Check the region in the storage settings; it must be the bucket's region.",
    }
    /// `TemporaryRedirect`.
    BucketDnsPending = "bucket-dns-pending" {
        cause: "The bucket is new and its DNS name is still spreading.",
        fix: "Wait a few minutes and retry; setting the bucket's exact region avoids this.",
    }
    /// `AccessDenied` "Request has expired".
    PresignExpired = "presign-expired" {
        cause: "The presigned link has expired.",
        fix: "Request a new link; links are valid only for the minutes they were made for. If new links expire at once, this server's clock is wrong.",
    }
    /// `AccessDenied` "Invalid according to Policy".
    PostPolicyViolated = "post-policy-violated" {
        cause: "The upload broke the rules of its upload form.",
        fix: "The file is larger or of another type than the form allows, or the form expired; check the file and start the upload again.",
    }
    /// `ExpiredToken`, `TokenRefreshRequired`.
    SessionTokenExpired = "session-token-expired" {
        cause: "The temporary session token has expired.",
        fix: "Enter fresh temporary credentials, or use a long-lived access key without a session token.",
    }
    /// `InvalidToken`.
    SessionTokenInvalid = "session-token-invalid" {
        cause: "The session token is malformed or does not belong to this access key.",
        fix: "Clear the session token field unless the keys are temporary; otherwise paste all three values from the same credentials.",
    }
    /// `InvalidBucketName` from storage, or `INVALID_BUCKET` from the core.
    BucketNameInvalid = "bucket-name-invalid" {
        cause: "The bucket name breaks S3's naming rules.",
        fix: "Use 3–63 lower-case letters, digits, dots and hyphens, beginning and ending with a letter or digit.",
    }
    /// `InvalidRequest`.
    RequestRejected = "request-rejected" {
        cause: "The storage service rejected the request.",
        fix: "Check that the provider and endpoint settings match the service in use; some S3-compatible services do not support every S3 feature.",
    }
    /// `InvalidArgument` from storage.
    ArgumentRejected = "argument-rejected" {
        cause: "The storage service rejected an argument of the request.",
        fix: "Check the storage settings (provider, region, endpoint); some options are not supported by every S3-compatible service.",
    }
    /// `NotImplemented`.
    NotImplemented = "not-implemented" {
        cause: "The storage service does not support a feature this request used.",
        fix: "Check that the provider setting matches the service; for S3-compatible services choose 'custom'.",
    }
    /// `EntityTooLarge`.
    EntityTooLarge = "entity-too-large" {
        cause: "The file is larger than the service accepts for this upload.",
        fix: "Upload large files in parts (multipart), or raise the size limit for browser uploads.",
    }
    /// `MissingContentLength`.
    ContentLengthMissing = "content-length-missing" {
        cause: "The upload was sent without a Content-Length header.",
        fix: "A proxy between WordPress and the storage service is probably removing it; bypass the proxy for the storage endpoint.",
    }
    /// `InvalidDigest`, `BadDigest`, `XAmzContentSHA256Mismatch`.
    ChecksumMismatch = "checksum-mismatch" {
        cause: "The uploaded data did not match its checksum: it changed in transit or while it was being read.",
        fix: "Retry the upload. If it keeps failing, a proxy may be altering uploads, or the file is being modified during the backup.",
    }
    /// `PreconditionFailed`, `NotModified`.
    PreconditionFailed = "precondition-failed" {
        cause: "A condition of the request (If-Match, If-None-Match) did not hold.",
        fix: "The object changed meanwhile; read it again before repeating the request.",
    }
    /// `SlowDown`, `TooManyRequests`.
    Throttled = "throttled" {
        cause: "The storage service asks for fewer requests (throttling).",
        fix: "Retry with back-off; no settings need to change. Lower the upload concurrency if it persists.",
    }
    /// 5xx: `InternalError`, `ServiceUnavailable`, gateways.
    ServiceUnavailable = "service-unavailable" {
        cause: "The storage service is busy or had an internal error.",
        fix: "Retry with back-off; no settings need to change. If it persists, contact the provider.",
    }
    /// `RequestTimeout` from storage.
    UploadTooSlow = "upload-too-slow" {
        cause: "The upload was too slow: the connection sat idle and the service closed it.",
        fix: "Retry. If it repeats, lower the upload concurrency or part size, or check the server's network.",
    }
    /// An answer that is not the S3 document the request expects.
    ResponseNotS3 = "response-not-s3" {
        cause: "The storage endpoint answered with something that is not an S3 response (a proxy or web page, or a stripped header).",
        fix: "Check that the endpoint URL points at an S3-compatible API, not a website or a proxy.",
    }
    /// Any other S3 error code.
    UnknownS3Error = "unknown-s3-error" {
        cause: "The storage service returned an error this plugin has no specific advice for.",
        fix: "Look up the error code in the storage provider's documentation and check the storage settings.",
    }

    // ---- failures on the way to storage (classified for the sidecar) ----
    /// `ECONNREFUSED`.
    NetworkRefused = "network-refused" {
        cause: "Nothing accepted the connection at the storage endpoint.",
        fix: "Check the endpoint URL and port, and that the storage service is running and reachable from the web server (firewall).",
    }
    /// DNS failures.
    DnsFailed = "dns-failed" {
        cause: "The storage endpoint's host name could not be resolved.",
        fix: "Check the endpoint (or the bucket name, for virtual-hosted addressing) for typos, and the web server's DNS.",
    }
    /// Connect or idle timeouts.
    NetworkTimeout = "network-timeout" {
        cause: "The storage endpoint did not answer in time.",
        fix: "It is retried automatically; check the network path (firewall, proxy) to the endpoint if it persists.",
    }
    /// Resets, broken pipes, unreachable networks.
    NetworkFailed = "network-failed" {
        cause: "The connection to the storage endpoint failed.",
        fix: "It is retried automatically; check the endpoint and the web server's network if it persists.",
    }
    /// An answer Node's HTTP parser rejects.
    ResponseGarbled = "response-garbled" {
        cause: "The storage endpoint answered with something that is not HTTP.",
        fix: "Check the endpoint's scheme and port (http vs https, the API port rather than another service).",
    }
    /// Certificate or TLS verification failure.
    TlsVerify = "tls-verify" {
        cause: "The storage endpoint presented a certificate that is not trusted (expired, self-signed, or for another host name).",
        fix: "Check the endpoint URL; the endpoint needs a certificate from a trusted authority for its host name (or install the CA on the web server).",
    }
    /// A URL or header Node cannot send.
    RequestUnsendable = "request-unsendable" {
        cause: "The request to storage could not be built (an unusable URL or header).",
        fix: "Check the endpoint URL in the storage settings.",
    }

    // ---- the file being uploaded ----
    /// `ENOENT`, `ENOTDIR`.
    FileMissing = "file-missing" {
        cause: "There is no file at the recorded path.",
        fix: "Restore the file (or complete the document again), then retry.",
    }
    /// Out of descriptors, busy or failing disk.
    FileBusy = "file-busy" {
        cause: "The file could not be read just now (too many open files, or a busy disk).",
        fix: "It is retried automatically; check the server's disk and open-file limits if it persists.",
    }
    /// Permissions, a directory, not a regular file.
    FileUnreadable = "file-unreadable" {
        cause: "The file cannot be read (a directory, not a regular file, or no permission).",
        fix: "Fix the file's permissions so the web server's user can read it.",
    }
    /// The file shrank during the upload.
    FileChanged = "file-changed" {
        cause: "The file changed while it was being uploaded.",
        fix: "Upload it again once nothing is writing to it.",
    }
    /// The file's real path (symlinks resolved) is outside every allowed root.
    FileOutsideAllowedRoots = "file-outside-allowed-roots" {
        cause: "The file is outside the folders the plugin may upload from (the uploads folder, plus the folders the site adds), or a symbolic link points out of them; it was not uploaded.",
        fix: "Have the document saved under the uploads folder, or add its folder with the wps3_allowed_roots filter, then complete the document again.",
    }

    // ---- the sidecar itself ----
    /// `SHUTTING_DOWN`.
    SidecarRestarting = "sidecar-restarting" {
        cause: "The sidecar is shutting down (a restart or an update).",
        fix: "It is retried automatically once the sidecar is back.",
    }
    /// `REQUEST_TIMEOUT`.
    SidecarRequestTimeout = "sidecar-request-timeout" {
        cause: "The sidecar did not receive the whole request in time.",
        fix: "It is retried automatically; a very slow or overloaded web server causes this.",
    }
    /// `UNAUTHORIZED`.
    SidecarUnauthorized = "sidecar-unauthorized" {
        cause: "The sidecar refused the request: its access token did not match.",
        fix: "Restart the sidecar so the plugin and the sidecar share a fresh token.",
    }
    /// `CANCELLED`.
    Cancelled = "cancelled" {
        cause: "The request was cancelled: the caller disconnected or the sidecar is exiting.",
        fix: "Nothing to fix; the work was stopped on purpose.",
    }
    /// `INTERNAL`.
    SidecarInternal = "sidecar-internal" {
        cause: "The sidecar hit an internal error.",
        fix: "Details are in the sidecar's log; report them if it repeats.",
    }
    /// `BAD_REQUEST`, `UNKNOWN_OP`, `NOT_FOUND`, `METHOD_NOT_ALLOWED`,
    /// `PAYLOAD_TOO_LARGE`: the caller's mistake.
    BadRequest = "bad-request" {
        cause: "The plugin sent the sidecar a request it cannot carry out.",
        fix: "Make sure the plugin and its sidecar come from the same version; restart the sidecar after an update.",
    }

    // ---- the core's own checks ----
    /// `INVALID_ARGUMENT`.
    InvalidArgument = "invalid-argument" {
        cause: "A value passed to the storage core is missing or malformed.",
        fix: "Check the value named in the message.",
    }
    /// `INVALID_KEY`.
    KeyInvalid = "key-invalid" {
        cause: "The object key is not usable (empty, over 1024 bytes, control characters, or '.'/'..' segments).",
        fix: "Check the path prefix and key template in the storage settings.",
    }
    /// `INVALID_EXPIRES`.
    ExpiresInvalid = "expires-invalid" {
        cause: "A link lifetime outside 1 second to 7 days was requested.",
        fix: "Choose a link lifetime between 1 second and 7 days.",
    }
    /// `INVALID_ENDPOINT`.
    EndpointInvalid = "endpoint-invalid" {
        cause: "The endpoint is not a plain http(s) URL of a host and optional port.",
        fix: "Enter only scheme, host and port, e.g. https://s3.example.com, without a path or query.",
    }
    /// The endpoint is, or resolves to, an address storage may not be reached at.
    EndpointRefused = "endpoint-refused" {
        cause: "The storage endpoint is refused: it is, or resolves to, a link-local/cloud metadata address, or a private or loopback address this site does not allow.",
        fix: "Use the storage service's public endpoint. If it really runs on this server or network, the site owner can allow private endpoints with define( 'WPS3_ALLOW_PRIVATE_ENDPOINTS', true ) in wp-config.php; link-local and metadata addresses are never allowed.",
    }
    /// An endpoint is required for this provider but none was given.
    EndpointRequired = "endpoint-required" {
        cause: "An S3-compatible provider needs the address of its S3 API.",
        fix: "Enter the endpoint URL, e.g. https://s3.example.com or http://127.0.0.1:9000.",
    }
    /// `INVALID_REGION`.
    RegionInvalid = "region-invalid" {
        cause: "The region is not a region name.",
        fix: "Enter the bucket's region as shown by the provider, e.g. eu-west-1.",
    }
    /// `INVALID_TIMESTAMP`.
    TimestampInvalid = "timestamp-invalid" {
        cause: "A time value is malformed or out of range.",
        fix: "Check the web server's clock and the value named in the message.",
    }
    /// `INVALID_TEMPLATE`.
    KeyTemplateInvalid = "key-template-invalid" {
        cause: "The key template has an unknown token or an unmatched brace.",
        fix: "Use only the listed tokens, such as {path_prefix}, {sanitized_title}, {date} and {document_id}.",
    }
    /// `INVALID_HEADER`.
    HeaderInvalid = "header-invalid" {
        cause: "A header or metadata value cannot be sent to storage.",
        fix: "Use visible ASCII in metadata names and values (percent-encode others).",
    }
    /// `DECRYPT_FAILED`.
    SecretUndecryptable = "secret-undecryptable" {
        cause: "The stored secret access key cannot be decrypted (the site's salts changed, or it was copied from another site).",
        fix: "Enter the secret access key again in the storage settings.",
    }
    /// `UNSUPPORTED_ENVELOPE`.
    SecretEnvelopeUnsupported = "secret-envelope-unsupported" {
        cause: "The stored secret was sealed by a newer version of the plugin.",
        fix: "Update the plugin, or enter the secret access key again.",
    }
    /// `ENCRYPT_FAILED`.
    SecretEncryptFailed = "secret-encrypt-failed" {
        cause: "The secret could not be sealed (no randomness available).",
        fix: "Retry; if it repeats, report the sidecar's log.",
    }

    // ---- storage settings (validate-settings) ----
    /// The provider is not one of the known ones.
    ProviderUnknown = "provider-unknown" {
        cause: "The storage provider is not one this plugin knows.",
        fix: "Choose Amazon S3, Wasabi, Cloudflare R2 or an S3-compatible custom endpoint.",
    }
    /// A region the provider does not have.
    RegionUnknown = "region-unknown" {
        cause: "The provider has no region of that name.",
        fix: "Pick the bucket's region from the list.",
    }
    /// Cloudflare R2 without an account id.
    AccountIdRequired = "account-id-required" {
        cause: "Cloudflare R2 addresses buckets through the account id.",
        fix: "Copy the Account ID from the Cloudflare dashboard (R2 → Overview).",
    }
    /// A malformed Cloudflare account id.
    AccountIdInvalid = "account-id-invalid" {
        cause: "A Cloudflare account id is 32 hexadecimal characters.",
        fix: "Copy the Account ID again from the Cloudflare dashboard (R2 → Overview).",
    }
    /// Not auto, virtual or path.
    AddressingStyleInvalid = "addressing-style-invalid" {
        cause: "The addressing style is not auto, virtual or path.",
        fix: "Choose auto unless the provider says otherwise.",
    }
    /// Virtual-hosted addressing on an IP address or localhost.
    AddressingStyleNeedsPath = "addressing-style-needs-path" {
        cause: "An IP address or localhost cannot carry the bucket name as a subdomain.",
        fix: "Choose path-style (or auto) addressing for this endpoint.",
    }
    /// The prefix leaves no room for keys.
    PathPrefixTooLong = "path-prefix-too-long" {
        cause: "The path prefix leaves too little room in S3's 1024-byte key limit.",
        fix: "Use a shorter path prefix.",
    }
    /// Rendered keys would exceed 1024 bytes.
    KeyTemplateTooLong = "key-template-too-long" {
        cause: "Keys rendered from this template would not fit S3's 1024-byte limit.",
        fix: "Shorten the key template's literal text.",
    }
    /// A malformed access key id.
    AccessKeyIdInvalid = "access-key-id-invalid" {
        cause: "The access key id has spaces, '/' or non-ASCII characters, or is too long.",
        fix: "Paste the access key id again without surrounding whitespace.",
    }
    /// A malformed secret access key.
    SecretAccessKeyInvalid = "secret-access-key-invalid" {
        cause: "The secret access key has spaces or non-ASCII characters, or is too long.",
        fix: "Paste the secret access key again without surrounding whitespace.",
    }

    // ---- Test Connection's own verdicts (crate::page::diagnosis) ----
    /// This server's clock is 5 to 15 minutes off storage's.
    ClockDrift = "clock-drift" {
        cause: "This server's clock is more than 5 minutes off the storage service's. Requests still work, but presigned links expire early or late, and past 15 minutes every request is refused.",
        fix: "Enable time synchronisation (NTP, e.g. systemd-timesyncd or chrony) on the web server.",
    }
    /// A CORS preflight from the site's origin was refused.
    CorsMissing = "cors-missing" {
        cause: "The bucket's CORS rules do not let this site's pages upload or download: a preflight from this site's origin was refused.",
        fix: "Add the CORS rule shown on the settings page to the bucket's CORS configuration, then test again.",
    }
    /// The probe object read back differs from what was written.
    ProbeMismatch = "probe-mismatch" {
        cause: "The test object read back differs from what was written.",
        fix: "Something between WordPress and the storage service altered the object; make sure the endpoint is the storage service itself, not a proxy or CDN.",
    }
    /// The browser's cross-origin request got no answer it may read.
    BrowserBlocked = "browser-blocked" {
        cause: "This browser could not reach the storage service from the page: the request was blocked (CORS, mixed content or the network).",
        fix: "Add the CORS rule shown on the settings page to the bucket; when the site uses https, the endpoint must too.",
    }
    /// Storage refused the browser's presigned request.
    BrowserRefused = "browser-refused" {
        cause: "The storage service refused the browser's request made with a URL this server presigned.",
        fix: "If the server checks pass, check the bucket policy and CORS rule for browser access.",
    }
}

impl Serialize for AdviceId {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for AdviceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The catalog as `{ adviceId: { cause, fix } }`, in catalog order.
pub fn catalog_json() -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for id in AdviceId::ALL {
        map.insert(
            id.as_str().to_owned(),
            serde_json::json!({ "cause": id.cause(), "fix": id.fix() }),
        );
    }
    serde_json::Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_with_texts() {
        let mut seen = std::collections::HashSet::new();
        for id in AdviceId::ALL {
            let s = id.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.split('-').all(|w| !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                "{s} is not kebab-case"
            );
            assert!(id.cause().ends_with('.') && id.fix().ends_with('.'), "{s}");
        }
        let json = catalog_json();
        assert_eq!(json.as_object().unwrap().len(), AdviceId::ALL.len());
        assert_eq!(
            json["clock-skew"]["fix"],
            AdviceId::ClockSkew.fix(),
            "catalog serialises the same texts"
        );
    }
}
