//! Native (release) comparison: our core against the `aws-sigv4` crate, on the fixed workload of
//! bench/lib/workload.mjs. bench/run passes the workload and our wasm core's expected signatures as
//! JSON on stdin; every signer is checked against them before it is timed. Prints one JSON object.
//!
//!   cargo run --release --manifest-path bench/rust/Cargo.toml -- [--time-ms N] [--rounds N] < expected.json

use std::hint::black_box;
use std::io::Read;
use std::time::{Duration, Instant, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    sign as aws_sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::{json, Value};
use wps3::s3::endpoint::{AddressingStyle, Provider, ResolvedEndpoint, StorageConfig};
use wps3::s3::post_policy::{presign_post, PostPolicyRequest};
use wps3::s3::presign::{presign_simple, presign_url, PresignRequest, ResponseOverrides, SimplePresign};
use wps3::s3::request::{sign_request, PayloadHash, S3Request};
use wps3::sigv4::{Credentials, DayKey, SigningKeyCache};
use wps3::time::Timestamp;

type Candidate<'a> = (&'static str, &'static str, Box<dyn FnMut() -> String + 'a>);

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("workload field {k} missing")).to_owned()
}

fn sig_of_auth(auth: &str) -> String {
    auth.rsplit("Signature=").next().unwrap_or("").to_owned()
}

/// Median ops/s over `rounds` interleaved rounds (the order rotates each round).
fn measure(cands: &mut [Candidate<'_>], time: Duration, rounds: usize) -> Vec<Vec<f64>> {
    for c in cands.iter_mut() {
        for _ in 0..200 {
            black_box((c.2)());
        }
    }
    let mut rates = vec![Vec::new(); cands.len()];
    for r in 0..rounds {
        for j in 0..cands.len() {
            let i = (j + r) % cands.len();
            let (mut n, mut batch) = (0u64, 16u64);
            let t0 = Instant::now();
            while t0.elapsed() < time {
                for _ in 0..batch {
                    black_box((cands[i].2)());
                }
                n += batch;
                if t0.elapsed() < time / 10 {
                    batch *= 2;
                }
            }
            rates[i].push(n as f64 / t0.elapsed().as_secs_f64());
        }
    }
    rates
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, def: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(def)
    };
    let time = Duration::from_millis(flag("--time-ms", 300));
    let rounds = flag("--rounds", 5) as usize;
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).expect("stdin");
    let expected: Value = serde_json::from_str(&input).expect("expected JSON on stdin");
    let w = &expected["workload"];

    let (ak, sk) = (
        s(&w["credentials"], "accessKeyId"),
        s(&w["credentials"], "secretAccessKey"),
    );
    let (region, bucket, key, host, path) = (
        s(w, "region"),
        s(w, "bucket"),
        s(w, "key"),
        s(w, "host"),
        s(w, "path"),
    );
    let now = w["nowSeconds"].as_i64().expect("nowSeconds");
    let cd = s(w, "contentDisposition");
    let (put_ct, payload) = (s(w, "putContentType"), s(w, "payloadSha256"));
    let post_ct = s(w, "postContentType");
    let get_expires = w["getExpires"].as_u64().unwrap();
    let post_expires = w["postExpires"].as_u64().unwrap();
    let (post_min, post_max) = (w["postMin"].as_u64().unwrap(), w["postMax"].as_u64().unwrap());

    // ---- ours
    let ts = Timestamp::from_unix(now).expect("time");
    let creds = Credentials::new(ak.clone(), sk.clone(), None);
    let config = StorageConfig {
        provider: Provider::AmazonS3,
        region: region.clone(),
        bucket: bucket.clone(),
        endpoint: None,
        account_id: None,
        addressing_style: AddressingStyle::Auto,
        allow_private_endpoints: false,
    };
    let endpoint: ResolvedEndpoint = config.resolve().expect("endpoint");
    let get_req = PresignRequest {
        method: "GET",
        key: &key,
        expires_in: get_expires,
        query: &[],
        headers: &[],
        overrides: ResponseOverrides {
            content_disposition: Some(cd.clone()),
            ..Default::default()
        },
    };
    let put_headers = vec![("Content-Type".to_owned(), put_ct.clone())];
    let put_req = || S3Request {
        method: "PUT",
        key: Some(&key),
        query: &[],
        headers: &put_headers,
        payload_hash: PayloadHash::Sha256(payload.clone()),
    };
    let post_fields = vec![("Content-Type".to_owned(), post_ct.clone())];
    let post_conditions = vec![
        json!(["eq", "$Content-Type", post_ct]),
        json!(["content-length-range", post_min, post_max]),
    ];
    let post_req = PostPolicyRequest {
        key: &key,
        expires_in: post_expires,
        fields: &post_fields,
        conditions: &post_conditions,
    };

    // ---- aws-sigv4
    let identity: Identity = AwsCredentials::new(&ak, &sk, None, None, "bench").into();
    let st = UNIX_EPOCH + Duration::from_secs(now as u64);
    let s3_settings = |location: SignatureLocation| {
        let mut set = SigningSettings::default();
        set.percent_encoding_mode = PercentEncodingMode::Single;
        set.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        set.signature_location = location;
        set
    };
    let rcd = {
        // The query value as the URL carries it (RFC 3986 unreserved kept, everything else %XX).
        let mut out = String::new();
        for b in cd.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    let get_url = format!("https://{host}{path}?response-content-disposition={rcd}");
    let put_url = format!("https://{host}{path}");
    let mut presign_settings = s3_settings(SignatureLocation::QueryParams);
    presign_settings.expires_in = Some(Duration::from_secs(get_expires));
    let mut put_settings = s3_settings(SignatureLocation::Headers);
    put_settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let presign_params: aws_sigv4::http_request::SigningParams<'_> = v4::SigningParams::builder()
        .identity(&identity)
        .region(&region)
        .name("s3")
        .time(st)
        .settings(presign_settings)
        .build()
        .expect("params")
        .into();
    let put_params: aws_sigv4::http_request::SigningParams<'_> = v4::SigningParams::builder()
        .identity(&identity)
        .region(&region)
        .name("s3")
        .time(st)
        .settings(put_settings)
        .build()
        .expect("params")
        .into();
    let policy_b64 = s(&expected["C"], "policy");

    let simple = SimplePresign {
        method: "GET",
        key: &key,
        expires_in: get_expires,
        content_disposition: Some(&cd),
        content_type: None,
        cache_control: None,
    };
    let mut day = DayKey::new();
    let mut cache_a = SigningKeyCache::new();
    let mut cache_b = SigningKeyCache::new();
    let mut cache_c = SigningKeyCache::new();
    let mut ops: Vec<(&str, String, Vec<Candidate<'_>>)> = vec![
        (
            "A",
            s(&expected["A"], "signature"),
            vec![
                (
                    "ours (native, reused key cache)",
                    "ours",
                    Box::new(|| {
                        let u = presign_url(&endpoint, &creds, ts, &get_req, &mut cache_a)
                            .expect("presign");
                        u.url.rsplit("X-Amz-Signature=").next().unwrap().to_owned()
                    }),
                ),
                (
                    // The sidecar's cached signer's path: one buffer, the day's prepared HMAC.
                    "ours (native, presign_simple + DayKey)",
                    "ours",
                    Box::new(|| {
                        let u = presign_simple(&endpoint, &creds, ts, &simple, &mut day)
                            .expect("presign_simple");
                        u.url.rsplit("X-Amz-Signature=").next().unwrap().to_owned()
                    }),
                ),
                (
                    "ours (native, settings resolved + key derived per call)",
                    "ours",
                    Box::new(|| {
                        let ep = config.resolve().expect("endpoint");
                        let u = presign_url(&ep, &creds, ts, &get_req, &mut SigningKeyCache::new())
                            .expect("presign");
                        u.url.rsplit("X-Amz-Signature=").next().unwrap().to_owned()
                    }),
                ),
                (
                    "aws-sigv4",
                    "theirs",
                    Box::new(|| {
                        let req = SignableRequest::new(
                            "GET",
                            get_url.as_str(),
                            std::iter::once(("host", host.as_str())),
                            SignableBody::UnsignedPayload,
                        )
                        .expect("signable");
                        let (_instr, sig) = aws_sign(req, &presign_params).expect("sign").into_parts();
                        sig
                    }),
                ),
            ],
        ),
        (
            "B",
            sig_of_auth(&s(&expected["B"], "authorization")),
            vec![
                (
                    "ours (native, reused key cache)",
                    "ours",
                    Box::new(|| {
                        let r = sign_request(&endpoint, &creds, ts, &put_req(), &mut cache_b)
                            .expect("sign");
                        r.signing.signature.clone()
                    }),
                ),
                (
                    "aws-sigv4",
                    "theirs",
                    Box::new(|| {
                        let headers = [("host", host.as_str()), ("content-type", put_ct.as_str())];
                        let req = SignableRequest::new(
                            "PUT",
                            put_url.as_str(),
                            headers.into_iter(),
                            SignableBody::Precomputed(payload.clone()),
                        )
                        .expect("signable");
                        let (_instr, sig) = aws_sign(req, &put_params).expect("sign").into_parts();
                        sig
                    }),
                ),
            ],
        ),
        (
            "C",
            s(&expected["C"], "signature"),
            vec![
                (
                    "ours (native, reused key cache)",
                    "ours",
                    Box::new(|| {
                        let p = presign_post(&endpoint, &creds, ts, &post_req, &mut cache_c)
                            .expect("post");
                        p.signature
                    }),
                ),
                (
                    // aws-sigv4 has no POST policy builder: its key derivation and HMAC over the
                    // same policy document (base64) ours wrote. Less work than ours, which also
                    // validates and writes the policy.
                    "aws-sigv4 (signing key + signature of the same policy)",
                    "theirs",
                    Box::new(|| {
                        let k = v4::generate_signing_key(&sk, st, &region, "s3");
                        v4::calculate_signature(k, policy_b64.as_bytes())
                    }),
                ),
            ],
        ),
    ];

    let mut checks = Vec::new();
    let mut records = Vec::new();
    let mut bad = 0;
    for (op, want, cands) in ops.iter_mut() {
        for c in cands.iter_mut() {
            let got = (c.2)();
            let agree = &got == want;
            if !agree {
                bad += 1;
            }
            checks.push(json!({"operation": op, "system": c.0, "agree": agree,
                "detail": if agree { Value::Null } else { json!(format!("signature {got} != ours {want}")) }}));
        }
    }
    if bad == 0 {
        for (op, _want, cands) in ops.iter_mut() {
            let rates = measure(cands, time, rounds);
            for (c, r) in cands.iter().zip(rates.iter()) {
                let m = median(r);
                records.push(json!({"suite": "rust", "system": c.0, "side": c.1, "operation": op,
                    "opsPerSec": m, "opsPerSecRounds": r, "p50Us": 1e6 / m,
                    "version": if c.1 == "ours" { "wps3 (repository crate, release, native)".to_owned() }
                               else { "aws-sigv4 1.6.4 (release, native)".to_owned() },
                    "peakRssMiB": peak_rss_mib(), "rssNote": "one process for every Rust signer"}));
            }
        }
    }
    println!(
        "{}",
        json!({"suite": "rust", "checks": checks, "records": records, "disagreements": bad})
    );
    if bad > 0 {
        std::process::exit(1);
    }
}
