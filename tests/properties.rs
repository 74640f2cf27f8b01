//! Property tests: invariants that must hold for *any* input, not just the
//! examples in the unit tests. Case counts are kept moderate so the whole file
//! runs in seconds; raise `PROPTEST_CASES` locally for a deeper search.

use proptest::prelude::*;
use proptest::sample::Index;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use wps3::error::{AdviceId, Retry};
use wps3::keys::template::{render_key, sanitize_path_prefix, sanitize_title, KeyInput};
use wps3::s3::content_disposition::{content_disposition, Disposition};
use wps3::s3::error_advice::advise;
use wps3::s3::error_xml::parse_s3_error;
use wps3::s3::validate::{validate_bucket, validate_key};
use wps3::secrets::envelope::{decrypt_secret, encrypt_secret, CURRENT_PREFIX};
use wps3::time::Timestamp;
use wps3::ErrorCode;

/// 256 cases per property unless `PROPTEST_CASES` asks for more.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig::with_cases(cases)
}

/// Any time the core accepts: 1970-01-01 .. 9999-12-31.
fn timestamp() -> impl Strategy<Value = Timestamp> {
    (0i64..=253_402_300_799).prop_map(|s| Timestamp::from_unix(s).expect("in range"))
}

// ---------------------------------------------------------------------------
// Secret envelopes
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn envelope_round_trips(
        key in prop::collection::vec(any::<u8>(), 1..80),
        context in any::<String>(),
        plaintext in any::<String>(),
    ) {
        let envelope = encrypt_secret(&key, &context, &plaintext).unwrap();
        prop_assert!(envelope.starts_with(CURRENT_PREFIX));
        let opened = decrypt_secret(&key, &context, &envelope).unwrap();
        prop_assert_eq!(opened.expose(), plaintext.as_str());
    }

    #[test]
    fn flipping_any_bit_fails(
        key in prop::collection::vec(any::<u8>(), 1..40),
        context in ".{0,40}",
        plaintext in ".{0,60}",
        at in any::<Index>(),
        bit in 0u8..8,
    ) {
        let envelope = encrypt_secret(&key, &context, &plaintext).unwrap();
        let mut raw = URL_SAFE_NO_PAD.decode(&envelope[CURRENT_PREFIX.len()..]).unwrap();
        let i = at.index(raw.len());
        raw[i] ^= 1 << bit;
        let tampered = format!("{CURRENT_PREFIX}{}", URL_SAFE_NO_PAD.encode(&raw));
        let err = decrypt_secret(&key, &context, &tampered).unwrap_err();
        prop_assert_eq!(err.code(), ErrorCode::DecryptFailed);
    }

    #[test]
    fn other_contexts_and_keys_fail(
        key in prop::collection::vec(any::<u8>(), 1..40),
        other_key in prop::collection::vec(any::<u8>(), 1..40),
        context in ".{0,40}",
        other_context in ".{0,40}",
        plaintext in ".{0,60}",
    ) {
        let envelope = encrypt_secret(&key, &context, &plaintext).unwrap();
        if other_context != context {
            prop_assert!(decrypt_secret(&key, &other_context, &envelope).is_err());
        }
        if other_key != key {
            prop_assert!(decrypt_secret(&other_key, &context, &envelope).is_err());
        }
    }

    #[test]
    fn decrypt_never_panics(key in prop::collection::vec(any::<u8>(), 0..40), envelope in any::<String>()) {
        let _ = decrypt_secret(&key, "ctx", &envelope);
        let _ = decrypt_secret(&key, "ctx", &format!("{CURRENT_PREFIX}{envelope}"));
    }
}

// ---------------------------------------------------------------------------
// Key templates
// ---------------------------------------------------------------------------

/// Templates mixing every token with hostile literal text.
fn template() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{path_prefix}".to_string()),
        Just("{sanitized_title}".to_string()),
        Just("{date}".to_string()),
        Just("{year}".to_string()),
        Just("{month}".to_string()),
        Just("{day}".to_string()),
        Just("{document_id}".to_string()),
        Just("{user}".to_string()),
        Just("{site}".to_string()),
        Just("/".to_string()),
        Just("..".to_string()),
        Just(".".to_string()),
        Just("\\".to_string()),
        Just("_".to_string()),
        Just(".pdf".to_string()),
        "[^{}]{0,8}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|parts| parts.concat())
}

/// Strings that are mostly path syntax, spaces and control characters.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[./\\\\ \\x00-\\x1f\\x7fa-zé]{0,30}",
        Just("../".repeat(300)),
        Just("é".repeat(700)),
    ]
}

fn assert_safe_key(key: &str) -> Result<(), TestCaseError> {
    prop_assert!(validate_key(key).is_ok(), "validate_key rejected {:?}", key);
    assert_safe_path(key)
}

/// Everything but the length limit, which a prefix alone need not meet.
fn assert_safe_path(key: &str) -> Result<(), TestCaseError> {
    prop_assert!(!key.starts_with('/'), "{:?}", key);
    prop_assert!(!key.contains("//"), "{:?}", key);
    prop_assert!(!key.contains('\\'), "{:?}", key);
    prop_assert!(!key.chars().any(char::is_control), "{:?}", key);
    prop_assert!(
        key.split('/')
            .all(|s| s != "." && s != ".." && !s.is_empty()),
        "{:?}",
        key
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn templates_never_render_unsafe_keys(
        template in prop::option::of(template()),
        prefix in prop::option::of(hostile()),
        title in hostile(),
        document_id in prop_oneof![any::<String>(), "[0-9]{1,12}"],
        user in prop::option::of(hostile()),
        site in prop::option::of(prop_oneof![hostile(), "[0-9]{1,20}"]),
        now in timestamp(),
    ) {
        let input = KeyInput {
            template: template.as_deref(),
            path_prefix: prefix.as_deref(),
            title: &title,
            document_id: &document_id,
            now,
            user: user.as_deref(),
            site: site.as_deref(),
        };
        if let Ok(key) = render_key(&input) {
            assert_safe_key(&key)?;
        }
    }

    #[test]
    fn default_template_always_renders(
        // Prefixes that still fit once sanitised (a 1000-byte prefix cannot).
        prefix in prop::option::of(prop_oneof![
            any::<String>(),
            "[./\\\\ \\x00-\\x1f\\x7fa-zé]{0,30}",
            Just("../".repeat(300)),
        ]),
        title in hostile(),
        document_id in "[0-9]{1,20}",
        now in timestamp(),
    ) {
        let input = KeyInput {
            template: None,
            path_prefix: prefix.as_deref(),
            title: &title,
            document_id: &document_id,
            now,
            user: None,
            site: None,
        };
        let key = render_key(&input).unwrap();
        assert_safe_key(&key)?;
        let ends = format!("_{}_{}.pdf", now.ymd(), document_id);
        prop_assert!(key.ends_with(&ends));
    }

    #[test]
    fn sanitize_title_is_idempotent_and_clean(title in any::<String>()) {
        let once = sanitize_title(&title);
        prop_assert_eq!(sanitize_title(&once), once.clone());
        prop_assert!(!once.is_empty());
        prop_assert!(once.chars().count() <= 100);
        prop_assert!(!once.starts_with('-') && !once.ends_with('-'));
        prop_assert!(!once.contains("--"));
        prop_assert!(once.chars().all(|c| !c.is_control() && c != '/' && c != '.' && c != '\\'));
    }

    #[test]
    fn sanitized_prefixes_are_clean(prefix in hostile()) {
        let p = sanitize_path_prefix(&prefix);
        if !p.is_empty() {
            prop_assert!(p.ends_with('/') && !p.ends_with("//"));
            assert_safe_path(p.trim_end_matches('/'))?;
        }
    }
}

// ---------------------------------------------------------------------------
// S3 error bodies, Content-Disposition, validation
// ---------------------------------------------------------------------------

/// Bodies that look like S3 error XML, with random content in the fields.
fn error_body() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        Just("Code"),
        Just("Message"),
        Just("Region"),
        Just("Endpoint"),
        Just("ServerTime"),
        Just("RequestTime"),
        Just("BucketName"),
        Just("Other"),
    ];
    let value = prop_oneof![
        any::<String>(),
        "[ -~]{0,20}",
        Just("&amp;&#x41;<![CDATA[x]]>".to_string())
    ];
    prop::collection::vec((field, value), 0..6).prop_map(|fields| {
        let inner: String = fields
            .iter()
            .map(|(name, value)| format!("<{name}>{value}</{name}>"))
            .collect();
        format!("<?xml version=\"1.0\"?><Error>{inner}</Error>")
    })
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        Just("Date".to_string()),
        Just("x-amz-bucket-region".to_string()),
        Just("x-amz-request-id".to_string()),
        any::<String>(),
    ];
    prop::collection::vec((name, any::<String>()), 0..4)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn error_parser_never_panics(
        status in any::<u16>(),
        body in prop_oneof![any::<String>(), error_body()],
        headers in headers(),
        now in prop::option::of(timestamp()),
    ) {
        match parse_s3_error(status, &body, &headers) {
            Ok(err) => {
                prop_assert_eq!(err.http_status, status);
                prop_assert!(!err.code.is_empty());
                let advice = advise(&err, now);
                prop_assert!(!advice.cause.is_empty() && !advice.fix.is_empty());
                // Only clock skew is fixed by correcting the clock.
                prop_assert_eq!(advice.retry == Retry::AfterClockFix, advice.id == AdviceId::ClockSkew);
                if let Some(now) = now {
                    let _ = err.clock_skew_seconds(now);
                }
            }
            Err(e) => prop_assert_eq!(e.code(), ErrorCode::InvalidXml),
        }
    }

    #[test]
    fn content_disposition_is_always_a_safe_header(
        filename in any::<String>(),
        inline in any::<bool>(),
    ) {
        let disposition = if inline { Disposition::Inline } else { Disposition::Attachment };
        let value = content_disposition(&filename, disposition);
        prop_assert!(value.starts_with(disposition.as_str()));
        prop_assert!(value.contains("; filename=\""));
        prop_assert!(value.is_ascii(), "{:?}", value);
        prop_assert!(!value.chars().any(|c| c.is_ascii_control()), "{:?}", value);
    }

    #[test]
    fn validation_never_panics(name in any::<String>()) {
        let _ = validate_bucket(&name);
        let _ = validate_key(&name);
    }

    #[test]
    fn valid_bucket_names_pass(name in "[a-z0-9][a-z0-9-]{1,61}[a-z0-9]") {
        prop_assume!(!name.starts_with("xn--") && !name.starts_with("sthree-"));
        prop_assume!(!name.ends_with("-s3alias") && !name.ends_with("--ol-s3") && !name.ends_with("--x-s3"));
        prop_assume!(!name.starts_with("amzn-s3-demo-") && !name.ends_with("--table-s3"));
        prop_assert!(validate_bucket(&name).is_ok(), "{}", name);
    }
}

// ---------------------------------------------------------------------------
// Presigning (owned by the lead): "presign never panics" goes here.
// ---------------------------------------------------------------------------

mod presigning {
    use super::*;
    use wps3::s3::endpoint::{AddressingStyle, Provider, StorageConfig};
    use wps3::s3::post_policy::{presign_post, PostPolicyRequest};
    use wps3::s3::presign::{presign_url, PresignRequest, ResponseOverrides};
    use wps3::sigv4::encoding::percent_decode;
    use wps3::sigv4::{Credentials, SigningKeyCache};

    fn endpoint(path_style: bool) -> wps3::s3::endpoint::ResolvedEndpoint {
        StorageConfig {
            provider: Provider::AmazonS3,
            region: "eu-west-1".into(),
            bucket: "example-bucket".into(),
            endpoint: None,
            account_id: None,
            addressing_style: if path_style {
                AddressingStyle::Path
            } else {
                AddressingStyle::Virtual
            },
            allow_private_endpoints: false,
        }
        .resolve()
        .unwrap()
    }

    proptest! {
        #![proptest_config(config())]

        /// Any key, expiry, method, header or override: an answer or a coded
        /// error, never a panic. A URL that comes back decodes to the same key.
        #[test]
        fn presign_never_panics(
            key in any::<String>(),
            expires_in in prop_oneof![0u64..=700_000, any::<u64>()],
            method in prop_oneof![Just("GET".to_string()), Just("PUT".to_string()), Just("HEAD".to_string()), Just("DELETE".to_string()), any::<String>()],
            header in (any::<String>(), any::<String>()),
            disposition in proptest::option::of(any::<String>()),
            path_style in any::<bool>(),
            now in timestamp(),
        ) {
            let creds = Credentials::new("AKIDEXAMPLE", "secret", None);
            let headers = vec![header];
            let req = PresignRequest {
                method: &method,
                key: &key,
                expires_in,
                query: &[],
                headers: &headers,
                overrides: ResponseOverrides { content_disposition: disposition, ..Default::default() },
            };
            let ep = endpoint(path_style);
            if let Ok(url) = presign_url(&ep, &creds, now, &req, &mut SigningKeyCache::new()) {
                prop_assert!((1..=604_800).contains(&expires_in));
                let path = url.url.split_once(".amazonaws.com").unwrap().1.split('?').next().unwrap();
                let path = if path_style { path.strip_prefix("/example-bucket/").unwrap() } else { &path[1..] };
                prop_assert_eq!(percent_decode(path), key.as_bytes());
                prop_assert!(url.url.ends_with(&url.signing.signature));
            }
        }

        /// POST policies: arbitrary keys and condition values never panic.
        #[test]
        fn post_policy_never_panics(
            key in any::<String>(),
            expires_in in 0u64..=700_000,
            meta in any::<String>(),
            range in (any::<u32>(), any::<u32>()),
            now in timestamp(),
        ) {
            let creds = Credentials::new("AKIDEXAMPLE", "secret", Some("token".into()));
            let conditions = vec![
                serde_json::json!({ "x-amz-meta-note": meta }),
                serde_json::json!(["content-length-range", range.0, range.1]),
            ];
            let req = PostPolicyRequest { key: &key, expires_in, fields: &[], conditions: &conditions };
            if let Ok(post) = presign_post(&endpoint(false), &creds, now, &req, &mut SigningKeyCache::new()) {
                prop_assert!(range.0 <= range.1);
                prop_assert_eq!(post.fields.last().map(|f| f.0.as_str()), Some("x-amz-signature"));
                let policy: serde_json::Value = serde_json::from_str(&post.policy_json).unwrap();
                prop_assert!(policy["conditions"].as_array().unwrap().len() >= 7);
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any answer to any action is a result or an explained S3 error, never a panic.
    #[test]
    fn action_parsers_never_panic(
        action in prop::sample::select(wps3::s3::actions::dispatch::ACTIONS.to_vec()),
        status in prop_oneof![Just(200u16), Just(204u16), Just(206u16), Just(301u16), Just(403u16), Just(404u16), Just(503u16), any::<u16>()],
        body in prop_oneof![any::<String>(), error_body(), Just("<ListBucketResult><Contents><Key>%ZZ+</Key></Contents></ListBucketResult>".to_string())],
        headers in headers(),
    ) {
        let resp = wps3::s3::actions::Response { status, headers: &headers, body: &body };
        match wps3::s3::actions::dispatch::parse_response(action, &resp).unwrap() {
            Ok(result) => prop_assert!(result.is_object()),
            Err(err) => {
                let p = wps3::s3::error_advice::explain(&err, None);
                prop_assert_eq!(p.code.as_str(), "S3_ERROR");
                prop_assert!(!p.cause.is_empty() && !p.fix.is_empty());
            }
        }
    }
}
