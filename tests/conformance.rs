//! Data-driven conformance: every case of every format in `CONFORMANCE_DIR`
//! (default `../shared/conformance`). Adding cases in the same formats needs no
//! code change. A case that cannot be parsed is a failure, never a skip.
//! Over 400 lines: one reader and checker per conformance format, kept in one file so every
//! format is read by the same rules.

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use wps3::s3::content_disposition::Disposition;
use wps3::s3::endpoint::{AddressingStyle, Provider, ResolvedEndpoint, StorageConfig};
use wps3::s3::post_policy::{presign_post, sign_policy, PostPolicyRequest};
use wps3::s3::presign::{
    presign_simple, presign_url, PresignRequest, ResponseOverrides, SimplePresign,
};
use wps3::s3::presign_page::{presign_page, PageLink, PageOptions};
use wps3::s3::request::{sign_request, validate_key_for, PayloadHash, S3Request};
use wps3::sigv4::encoding::hex;
use wps3::sigv4::sign::{sign, SigningParams};
use wps3::sigv4::signing_key::derive_signing_key_chain;
use wps3::sigv4::{
    Credentials, DayKey, PayloadChecksumKind, SessionTokenMode, SignableBody, SignableRequest,
    SignatureLocation, SigningKeyCache, SigningSettings, UriPathNormalizationMode,
};

/// Presign vectors also run through `presign_simple` (the fast path).
static FAST_PATH_CASES: AtomicUsize = AtomicUsize::new(0);
/// ... and through `presign_page`, as one link of a page.
static PAGE_CASES: AtomicUsize = AtomicUsize::new(0);
use wps3::time::Timestamp;

type CaseResult = Result<(), String>;
type CaseRunner = fn(&Value) -> CaseResult;

struct Tally {
    format: String,
    passed: usize,
    failures: Vec<(String, String)>,
}

fn main() {
    let dir = std::env::var("CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    println!("conformance data: {}", dir.display());
    let mut tallies = Vec::new();

    let aws = dir.join("aws-signing-test-suite/v4");
    match case_dirs(&aws, "context.json") {
        Some(cases) => {
            let mut t = tally("aws-signing-test-suite");
            for case in cases {
                for mode in [SignatureLocation::Headers, SignatureLocation::QueryParams] {
                    let id = format!("{} ({mode:?})", case.file_name().unwrap().to_string_lossy());
                    record(&mut t, id, aws_suite_case(&case, mode));
                }
            }
            tallies.push(t);
        }
        None => println!("skip aws-signing-test-suite: {} not found", aws.display()),
    }

    let boto = dir.join("botocore-aws4-testsuite");
    match req_files(&boto) {
        Some(cases) => {
            let mut t = tally("botocore-aws4-testsuite");
            for req in cases {
                let id = req
                    .strip_prefix(&boto)
                    .unwrap_or(&req)
                    .display()
                    .to_string();
                record(&mut t, id, botocore_case(&req));
            }
            tallies.push(t);
        }
        None => println!("skip botocore-aws4-testsuite: {} not found", boto.display()),
    }

    let runners: [(&str, CaseRunner); 6] = [
        ("s3-presign-get.jsonl", presign_case),
        ("s3-presign-put.jsonl", presign_case),
        ("s3-sign-headers.jsonl", header_case),
        ("s3-presign-post.jsonl", post_case),
        ("signing-key.jsonl", signing_key_case),
        ("sigv4-s3-vs-generic.jsonl", s3_vs_generic_case),
    ];
    for (file, run) in runners {
        let path = dir.join("generated").join(file);
        let Ok(text) = fs::read_to_string(&path) else {
            println!("skip {file}: {} not found", path.display());
            continue;
        };
        let mut t = tally(file);
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            match serde_json::from_str::<Value>(line) {
                Ok(case) => {
                    let id = case["id"]
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or(format!("line {}", n + 1));
                    record(&mut t, id, run(&case));
                }
                Err(e) => record(
                    &mut t,
                    format!("line {}", n + 1),
                    Err(format!("unparseable JSON: {e}")),
                ),
            }
        }
        tallies.push(t);
    }

    let (mut passed, mut failed) = (0, 0);
    for t in &tallies {
        println!(
            "{:<28} {:>4} passed, {:>3} failed",
            t.format,
            t.passed,
            t.failures.len()
        );
        for (id, why) in &t.failures {
            println!("    FAIL {id}: {why}");
        }
        passed += t.passed;
        failed += t.failures.len();
    }
    if tallies.is_empty() {
        println!("no conformance data found in {}", dir.display());
        std::process::exit(1);
    }
    println!(
        "fast path (presign_simple): {} presign vectors byte-equal to presign_url",
        FAST_PATH_CASES.load(Ordering::Relaxed)
    );
    println!(
        "page (presign_page): {} presign vectors byte-equal to presign_url",
        PAGE_CASES.load(Ordering::Relaxed)
    );
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

fn tally(format: &str) -> Tally {
    Tally {
        format: format.to_owned(),
        passed: 0,
        failures: Vec::new(),
    }
}

fn record(t: &mut Tally, id: String, r: CaseResult) {
    match r {
        Ok(()) => t.passed += 1,
        Err(why) => t.failures.push((id, why)),
    }
}

fn case_dirs(root: &Path, marker: &str) -> Option<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = fs::read_dir(root)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join(marker).is_file())
        .collect();
    out.sort();
    Some(out)
}

fn req_files(root: &Path) -> Option<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "req") {
                out.push(p);
            }
        }
    }
    if !root.is_dir() {
        return None;
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out.sort();
    Some(out)
}

fn eq(what: &str, got: &str, want: &str) -> CaseResult {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what} differs\n      got:  {got:?}\n      want: {want:?}"
        ))
    }
}

fn s<'a>(v: &'a Value, field: &str) -> Result<&'a str, String> {
    v[field]
        .as_str()
        .ok_or_else(|| format!("missing string field '{field}'"))
}

fn pairs(v: &Value) -> Result<Vec<(String, String)>, String> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|p| match p.as_array().map(Vec::as_slice) {
                Some([Value::String(a), Value::String(b)]) => Ok((a.clone(), b.clone())),
                _ => Err(format!("expected [name, value], got {p}")),
            })
            .collect(),
        other => Err(format!("expected a list of pairs, got {other}")),
    }
}

fn ts(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse_iso8601(text).map_err(|e| e.to_string())
}

/// An HTTP/1.1 request as the AWS suite writes it: raw path, folded headers, body.
struct RawRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_http(text: &str) -> Result<RawRequest, String> {
    let (head, body) = match text.find("\n\n") {
        Some(i) => (&text[..i], &text[i + 2..]),
        None => (text.trim_end_matches('\n'), ""),
    };
    let mut lines = head.split('\n').map(|l| l.trim_end_matches('\r'));
    let first = lines.next().ok_or("empty request")?;
    let (method, rest) = first.split_once(' ').ok_or("no request line")?;
    let target = rest
        .strip_suffix(" HTTP/1.1")
        .ok_or("request line lacks HTTP/1.1")?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().ok_or("continuation before any header")?;
            last.1.push('\n');
            last.1.push_str(line);
        } else {
            let (n, v) = line
                .split_once(':')
                .ok_or_else(|| format!("bad header line {line:?}"))?;
            headers.push((n.to_owned(), v.to_owned()));
        }
    }
    Ok(RawRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: body.as_bytes().to_vec(),
    })
}

fn read(p: &Path) -> Result<String, String> {
    fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
}

fn aws_suite_case(dir: &Path, mode: SignatureLocation) -> CaseResult {
    let ctx: Value =
        serde_json::from_str(&read(&dir.join("context.json"))?).map_err(|e| e.to_string())?;
    let req = parse_http(&read(&dir.join("request.txt"))?)?;
    let creds = &ctx["credentials"];
    let credentials = Credentials::new(
        s(creds, "access_key_id")?,
        s(creds, "secret_access_key")?,
        creds["token"].as_str().map(str::to_owned),
    );
    let mut settings = SigningSettings::generic(mode);
    if ctx["normalize"] == Value::Bool(false) {
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    if ctx["sign_body"] == Value::Bool(true) && mode == SignatureLocation::Headers {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    if ctx["omit_session_token"] == Value::Bool(true) {
        settings.session_token_mode = SessionTokenMode::Exclude;
    }
    settings.expires_in = ctx["expiration_in_seconds"].as_u64();
    let params = SigningParams {
        credentials: &credentials,
        region: s(&ctx, "region")?,
        service: s(&ctx, "service")?,
        time: ts(s(&ctx, "timestamp")?)?,
        settings,
    };
    let signable = SignableRequest {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
        body: SignableBody::Bytes(&req.body),
    };
    let out = sign(&signable, &params).map_err(|e| e.to_string())?;
    let prefix = if mode == SignatureLocation::Headers {
        "header"
    } else {
        "query"
    };
    eq(
        "canonical request",
        &out.canonical_request.to_string(),
        &read(&dir.join(format!("{prefix}-canonical-request.txt")))?,
    )?;
    eq(
        "string to sign",
        &out.string_to_sign,
        &read(&dir.join(format!("{prefix}-string-to-sign.txt")))?,
    )?;
    eq(
        "signature",
        &out.signature,
        read(&dir.join(format!("{prefix}-signature.txt")))?.trim(),
    )?;
    let signed = read(&dir.join(format!("{prefix}-signed-request.txt")))?;
    if mode == SignatureLocation::Headers {
        let want = signed
            .lines()
            .find_map(|l| l.strip_prefix("Authorization:"))
            .ok_or("signed request has no Authorization")?;
        eq(
            "authorization",
            out.authorization().unwrap_or(""),
            want.trim(),
        )?;
    } else if !signed.contains(&format!("X-Amz-Signature={}", out.signature)) {
        return Err("signed request carries another X-Amz-Signature".into());
    }
    Ok(())
}

fn botocore_case(req_path: &Path) -> CaseResult {
    let stem = req_path.with_extension("");
    let sibling = |ext: &str| read(&stem.with_extension(ext));
    let mut req = parse_http(&sibling("req")?)?;
    // The .req files already carry X-Amz-Date; the signer adds its own from the time below.
    req.headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("x-amz-date"));
    let name = stem.file_name().unwrap().to_string_lossy().to_string();
    let token = match name.as_str() {
        "get-vanilla-with-session-token" => {
            Some("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267".to_owned())
        }
        n if n.starts_with("post-sts-header") => {
            let readme = read(
                &req_path
                    .parent()
                    .unwrap()
                    .parent()
                    .unwrap()
                    .join("readme.txt"),
            )?;
            Some(
                readme
                    .split_whitespace()
                    .last()
                    .ok_or("no token in readme")?
                    .to_owned(),
            )
        }
        _ => None,
    };
    let has_token_header = req
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("x-amz-security-token"));
    let credentials = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        if has_token_header { None } else { token },
    );
    let mut settings = SigningSettings::generic(SignatureLocation::Headers);
    if name == "post-sts-header-after" {
        settings.session_token_mode = SessionTokenMode::Exclude;
    }
    let params = SigningParams {
        credentials: &credentials,
        region: "us-east-1",
        service: "service",
        time: ts("2015-08-30T12:36:00Z")?,
        settings,
    };
    let signable = SignableRequest {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
        body: SignableBody::Bytes(&req.body),
    };
    let out = sign(&signable, &params).map_err(|e| e.to_string())?;
    eq(
        "canonical request",
        &out.canonical_request.to_string(),
        &sibling("creq")?,
    )?;
    eq("string to sign", &out.string_to_sign, &sibling("sts")?)?;
    eq(
        "authorization",
        out.authorization().unwrap_or(""),
        sibling("authz")?.trim(),
    )
}

fn storage_from(input: &Value) -> Result<ResolvedEndpoint, String> {
    let style = match s(input, "addressing_style")? {
        "virtual" => AddressingStyle::Virtual,
        "path" => AddressingStyle::Path,
        other => return Err(format!("unknown addressing_style {other}")),
    };
    StorageConfig {
        provider: Provider::Custom,
        region: s(input, "region")?.to_owned(),
        bucket: s(input, "bucket")?.to_owned(),
        endpoint: Some(s(input, "endpoint")?.to_owned()),
        account_id: None,
        addressing_style: style,
        // The vectors' servers are local ones.
        allow_private_endpoints: true,
    }
    .resolve()
    .map_err(|e| e.to_string())
}

fn credentials_from(input: &Value) -> Result<Credentials, String> {
    Ok(Credentials::new(
        s(input, "access_key_id")?,
        s(input, "secret_access_key")?,
        input["session_token"].as_str().map(str::to_owned),
    ))
}

fn check_signing(out: &wps3::sigv4::SigningOutput, e: &Value) -> CaseResult {
    eq(
        "canonical uri",
        &out.canonical_request.uri,
        s(e, "canonical_uri")?,
    )?;
    eq(
        "canonical query",
        &out.canonical_request.query,
        s(e, "canonical_query_string")?,
    )?;
    eq(
        "canonical headers",
        &out.canonical_request.headers,
        s(e, "canonical_headers")?,
    )?;
    eq(
        "signed headers",
        &out.canonical_request.signed_headers,
        s(e, "signed_headers")?,
    )?;
    eq(
        "canonical request",
        &out.canonical_request.to_string(),
        s(e, "canonical_request")?,
    )?;
    eq(
        "string to sign",
        &out.string_to_sign,
        s(e, "string_to_sign")?,
    )?;
    eq(
        "credential scope",
        &out.credential_scope,
        s(e, "credential_scope")?,
    )?;
    eq("signature", &out.signature, s(e, "signature")?)
}

fn presign_case(case: &Value) -> CaseResult {
    let (input, e) = (&case["input"], &case["expected"]);
    if s(input, "payload_hash")? != "UNSIGNED-PAYLOAD" {
        return Err("presigned URLs are always UNSIGNED-PAYLOAD".into());
    }
    let endpoint = storage_from(input)?;
    let credentials = credentials_from(input)?;
    let query = pairs(&input["query_params"])?;
    let headers = pairs(&input["headers"])?;
    let req = PresignRequest {
        method: s(input, "method")?,
        key: s(input, "key")?,
        expires_in: input["expires_in"].as_u64().ok_or("missing expires_in")?,
        query: &query,
        headers: &headers,
        overrides: ResponseOverrides::default(),
    };
    let out = presign_url(
        &endpoint,
        &credentials,
        ts(s(input, "timestamp")?)?,
        &req,
        &mut SigningKeyCache::new(),
    )
    .map_err(|e| e.to_string())?;
    check_signing(&out.signing, e)?;
    eq("host", &endpoint.host, s(e, "host")?)?;
    eq("url", &out.url, s(e, "url")?)?;
    if let Some(simple) = simple_shape(&req) {
        let fast = presign_simple(
            &endpoint,
            &credentials,
            ts(s(input, "timestamp")?)?,
            &simple,
            &mut DayKey::new(),
        )
        .map_err(|e| e.to_string())?;
        eq("fast path url", &fast.url, &out.url)?;
        FAST_PATH_CASES.fetch_add(1, Ordering::Relaxed);
        // The same link on a page, between two others on the same day key.
        let page = PageOptions {
            method: simple.method,
            expires_in: simple.expires_in,
            disposition: Disposition::Attachment,
            content_type: simple.content_type,
            cache_control: simple.cache_control,
        };
        let link = PageLink {
            key: simple.key,
            filename: None,
            content_disposition: simple.content_disposition,
        };
        let other = PageLink {
            key: "other/key.pdf",
            ..link
        };
        let signed = presign_page(
            &endpoint,
            &credentials,
            ts(s(input, "timestamp")?)?,
            &page,
            &[other, link, other],
            &mut DayKey::new(),
        )
        .map_err(|e| e.to_string())?;
        // A page applies the strict check for keys we create to writes, as every sidecar path does.
        match (&signed.urls[1], validate_key_for(simple.method, simple.key)) {
            (Ok(url), Ok(())) => {
                eq("page url", url, &out.url)?;
                PAGE_CASES.fetch_add(1, Ordering::Relaxed);
            }
            (Err(_), Err(_)) => {}
            (got, _) => return Err(format!("page link: {got:?}, the write check disagrees")),
        }
    }
    Ok(())
}

/// The request as `presign_simple` takes it, when it has that shape: no
/// signed headers, and a query of response overrides only, in the order
/// `presign_url` writes them.
fn simple_shape<'a>(req: &PresignRequest<'a>) -> Option<SimplePresign<'a>> {
    const ORDER: [&str; 3] = [
        "response-content-disposition",
        "response-content-type",
        "response-cache-control",
    ];
    if !req.headers.is_empty() {
        return None;
    }
    let mut values: [Option<&'a str>; 3] = [None; 3];
    let mut last = None;
    for (name, value) in req.query {
        let at = ORDER.iter().position(|n| n == name)?;
        if last.is_some_and(|l| l >= at) {
            return None;
        }
        last = Some(at);
        values[at] = Some(value.as_str());
    }
    Some(SimplePresign {
        method: req.method,
        key: req.key,
        expires_in: req.expires_in,
        content_disposition: values[0],
        content_type: values[1],
        cache_control: values[2],
    })
}

fn header_case(case: &Value) -> CaseResult {
    let (input, e) = (&case["input"], &case["expected"]);
    let endpoint = storage_from(input)?;
    let credentials = credentials_from(input)?;
    let query = pairs(&input["query_params"])?;
    let headers = pairs(&input["headers"])?;
    let payload_hash = match s(input, "payload_hash_mode")? {
        "sha256" => PayloadHash::parse(s(input, "body_sha256")?),
        "unsigned" => PayloadHash::parse("UNSIGNED-PAYLOAD"),
        "streaming-unsigned-payload-trailer" => {
            PayloadHash::parse("STREAMING-UNSIGNED-PAYLOAD-TRAILER")
        }
        other => return Err(format!("unknown payload_hash_mode {other}")),
    }
    .map_err(|e| e.to_string())?;
    let req = S3Request {
        method: s(input, "method")?,
        key: input["key"].as_str(),
        query: &query,
        headers: &headers,
        payload_hash,
    };
    let out = sign_request(
        &endpoint,
        &credentials,
        ts(s(input, "timestamp")?)?,
        &req,
        &mut SigningKeyCache::new(),
    )
    .map_err(|e| e.to_string())?;
    check_signing(&out.signing, e)?;
    eq("url", &out.url, s(e, "url")?)?;
    eq(
        "authorization",
        out.signing.authorization().unwrap_or(""),
        s(e, "authorization")?,
    )?;
    let sent: Vec<(String, String)> = out
        .headers
        .iter()
        .filter(|(n, _)| n != "Authorization")
        .cloned()
        .collect();
    let want = pairs(&e["signed_request_headers"])?;
    if sent != want {
        return Err(format!(
            "headers sent differ\n      got:  {sent:?}\n      want: {want:?}"
        ));
    }
    Ok(())
}

fn post_case(case: &Value) -> CaseResult {
    let (input, e) = (&case["input"], &case["expected"]);
    let endpoint = storage_from(input)?;
    let credentials = credentials_from(input)?;
    let fields = pairs(&input["fields"])?;
    let conditions = input["conditions"].as_array().cloned().unwrap_or_default();
    let time = ts(s(input, "timestamp")?)?;
    let req = PostPolicyRequest {
        key: s(input, "key")?,
        expires_in: input["expires_in"].as_u64().ok_or("missing expires_in")?,
        fields: &fields,
        conditions: &conditions,
    };
    let out = presign_post(
        &endpoint,
        &credentials,
        time,
        &req,
        &mut SigningKeyCache::new(),
    )
    .map_err(|e| e.to_string())?;
    eq("url", &out.url, s(e, "url")?)?;
    eq("expiration", &out.expiration.iso8601(), s(e, "expiration")?)?;
    eq("policy json", &out.policy_json, s(e, "policy_json")?)?;
    eq("policy base64", &out.policy_base64, s(e, "policy_base64")?)?;
    eq("signature", &out.signature, s(e, "signature")?)?;
    let want = pairs(&e["fields"])?;
    if out.fields != want {
        return Err(format!(
            "fields differ\n      got:  {:?}\n      want: {want:?}",
            out.fields
        ));
    }
    let parsed: Value = serde_json::from_str(&out.policy_json).map_err(|e| e.to_string())?;
    if parsed != e["policy"] {
        return Err("policy value differs".into());
    }
    for variant in e["policy_signing"].as_array().into_iter().flatten() {
        let got = sign_policy(
            s(variant, "policy_base64")?,
            credentials.secret_access_key(),
            time,
            &endpoint.region,
        );
        eq(
            &format!("{} layout signature", s(variant, "layout")?),
            &got,
            s(variant, "expected_signature")?,
        )?;
    }
    Ok(())
}

fn signing_key_case(case: &Value) -> CaseResult {
    let (input, e) = (&case["input"], &case["expected"]);
    let chain = derive_signing_key_chain(
        s(input, "secret_access_key")?,
        s(input, "date")?,
        s(input, "region")?,
        s(input, "service")?,
    );
    eq("kDate", &hex(&chain.k_date), s(e, "k_date_hex")?)?;
    eq("kRegion", &hex(&chain.k_region), s(e, "k_region_hex")?)?;
    eq("kService", &hex(&chain.k_service), s(e, "k_service_hex")?)?;
    eq(
        "kSigning",
        &hex(chain.k_signing.as_bytes()),
        s(e, "signing_key_hex")?,
    )?;
    eq(
        "signature",
        &chain.k_signing.sign(s(input, "string_to_sign")?),
        s(e, "signature")?,
    )
}

fn s3_vs_generic_case(case: &Value) -> CaseResult {
    let (input, e) = (&case["input"], &case["expected"]);
    let location = match s(input, "auth")? {
        "header" => SignatureLocation::Headers,
        "query" => SignatureLocation::QueryParams,
        other => return Err(format!("unknown auth {other}")),
    };
    let mut settings = match s(input, "signer")? {
        "generic" => SigningSettings::generic(location),
        "s3" => SigningSettings::s3(location),
        other => return Err(format!("unknown signer {other}")),
    };
    settings.expires_in = input["expires_in"].as_u64();
    let url = s(input, "url")?;
    let after_scheme = url.split_once("://").ok_or("url without scheme")?.1;
    let path_and_query = after_scheme
        .find('/')
        .map(|i| &after_scheme[i..])
        .unwrap_or("/");
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let headers = pairs(&input["headers"])?;
    let body = input["body_utf8"].as_str().unwrap_or("").as_bytes();
    let signable = SignableRequest {
        method: s(input, "method")?,
        path,
        query,
        headers: &headers,
        body: match (s(input, "signer")?, location) {
            ("s3", SignatureLocation::QueryParams) => SignableBody::UnsignedPayload,
            _ => SignableBody::Bytes(body),
        },
    };
    let credentials = credentials_from(input)?;
    let params = SigningParams {
        credentials: &credentials,
        region: s(input, "region")?,
        service: s(input, "service")?,
        time: ts(s(input, "timestamp")?)?,
        settings,
    };
    let out = sign(&signable, &params).map_err(|e| e.to_string())?;
    check_signing(&out, e)?;
    match location {
        SignatureLocation::Headers => eq(
            "authorization",
            out.authorization().unwrap_or(""),
            s(e, "authorization")?,
        ),
        SignatureLocation::QueryParams => {
            let want = s(e, "url")?;
            if want.contains(&format!("X-Amz-Signature={}", out.signature)) {
                Ok(())
            } else {
                Err("expected url carries another signature".into())
            }
        }
    }
}
