//! Test Connection's verdicts: what the sidecar saw, turned into one
//! checklist row per check, each failure with an advice id, cause and fix.
//!
//! The sidecar only moves bytes (GetBucketLocation, HeadBucket, a probe
//! put/get/delete under the prefix, CORS preflights); the browser adds a
//! real cross-origin upload and download. Every decision — what counts as
//! "credentials accepted", when a region differs, how far a clock may be
//! off — is made here, so PHP and JavaScript only display rows.
//!
//! Advice texts are the core's catalog (`crate::error::advice`); the tests
//! are in `diagnosis/tests.rs`.

use crate::error::advice::AdviceId;
use crate::error::{invalid, ErrorCode, Result};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// A clock this far off storage's gets a warning (presigned links drift).
pub const CLOCK_WARN_SECONDS: i64 = 5 * 60;
/// Past this, SigV4 requests are refused (AWS allows 15 minutes).
pub const CLOCK_FAIL_SECONDS: i64 = 15 * 60;

/// An error as the sidecar forwards it (the error model of docs/CONTRACTS.md); only what verdicts read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProbeError {
    /// `S3_ERROR`, `NETWORK_ERROR`, …
    pub code: String,
    /// Human message.
    pub message: String,
    /// Stable advice id from the core's error model.
    pub advice_id: Option<String>,
    /// The core's cause text.
    pub cause: Option<String>,
    /// The core's fix text.
    pub fix: Option<String>,
    /// S3's own code (`SignatureDoesNotMatch`, …).
    pub s3_code: Option<String>,
    /// HTTP status storage answered.
    pub http_status: Option<u16>,
    /// The bucket's region when storage named it.
    pub bucket_region: Option<String>,
    /// Storage's clock (unix seconds) when the error carried one.
    pub server_time: Option<i64>,
}

/// What one request saw.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Step {
    /// 2xx (and for reads, the body arrived).
    pub ok: bool,
    /// HTTP status (0 or absent: no answer).
    pub status: Option<u16>,
    /// The error when not ok.
    pub error: Option<ProbeError>,
    /// `x-amz-bucket-region`, or GetBucketLocation's answer.
    pub bucket_region: Option<String>,
    /// The response's `Date` header.
    pub date: Option<String>,
    /// For reads: whether the body equals what was written.
    pub body_matches: Option<bool>,
}

/// One CORS preflight the sidecar sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PreflightOutcome {
    /// `Access-Control-Request-Method` that was asked.
    pub method: String,
    /// HTTP status.
    pub status: Option<u16>,
    /// `Access-Control-Allow-Origin`.
    pub allow_origin: Option<String>,
    /// `Access-Control-Allow-Methods`.
    pub allow_methods: Option<String>,
    /// A transport failure.
    pub error: Option<ProbeError>,
}

/// The browser's cross-origin probe.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrowserOutcome {
    /// The PUT with the presigned URL.
    pub put: Step,
    /// The GET with the presigned URL.
    pub get: Step,
}

/// Everything Test Connection observed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Observations {
    /// Provider id of the form.
    pub provider: String,
    /// Region of the form (as validated).
    pub region: String,
    /// This server's own clock, unix seconds (not corrected toward storage).
    pub now: i64,
    /// Whether direct browser uploads are enabled in the form.
    pub direct_uploads: bool,
    /// This site's origin (for the CORS rows).
    pub origin: Option<String>,
    /// GetBucketLocation.
    pub location: Option<Step>,
    /// HeadBucket.
    pub head: Option<Step>,
    /// Probe PutObject.
    pub put: Option<Step>,
    /// Probe GetObject.
    pub get: Option<Step>,
    /// Probe DeleteObject.
    pub delete: Option<Step>,
    /// CORS preflights from the server.
    pub preflights: Vec<PreflightOutcome>,
    /// The browser probe, once the page ran it.
    pub browser: Option<BrowserOutcome>,
}

/// A row's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check passed.
    Pass,
    /// It passed with a warning.
    Warn,
    /// It failed.
    Fail,
    /// Not run (an earlier check failed, or it does not apply).
    Skip,
    /// To be run by the browser.
    Pending,
}

/// One checklist row.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// Stable id: `credentials`, `bucket`, `region`, `write`, `read`, `delete`, `clock`,
    /// `cors-preflight`, `browser-upload`, `browser-download`.
    pub id: &'static str,
    /// Verdict.
    pub status: Status,
    /// Advice id of a failure or warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice_id: Option<String>,
    /// Cause (English).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Fix (English).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// S3's code, when storage gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_code: Option<String>,
    /// Facts the page words itself: `bucketRegion`, `offsetSeconds`, `httpStatus`, …
    pub data: Map<String, Value>,
}

/// A one-click correction the page may offer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Offer {
    /// The form field.
    pub field: &'static str,
    /// Its corrected value.
    pub value: String,
}

/// The checklist.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    /// No row failed (warnings allowed; pending rows are the browser's).
    pub ok: bool,
    /// One row per check, in display order.
    pub rows: Vec<Row>,
    /// A correction to offer (the bucket's real region).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<Offer>,
}

fn row(id: &'static str, status: Status) -> Row {
    Row {
        id,
        status,
        advice_id: None,
        cause: None,
        fix: None,
        s3_code: None,
        data: Map::new(),
    }
}

fn own_advice(mut r: Row, id: AdviceId) -> Row {
    r.advice_id = Some(id.as_str().to_owned());
    r.cause = Some(id.cause().to_owned());
    r.fix = Some(id.fix().to_owned());
    r
}

/// A failed row carrying an error's own advice (or ours for a bare transport failure).
fn failed(id: &'static str, err: &ProbeError) -> Row {
    let mut r = row(id, Status::Fail);
    if err.advice_id.is_none() && err.cause.is_none() {
        // A transport failure the sidecar could not classify: say what happened.
        r = own_advice(r, AdviceId::NetworkFailed);
        r.cause = Some(format!("{} ({})", r.cause.unwrap_or_default(), err.message));
    } else {
        r.advice_id = err.advice_id.clone();
        r.cause = err.cause.clone().or_else(|| Some(err.message.clone()));
        r.fix = err.fix.clone();
    }
    r.s3_code = err.s3_code.clone();
    if let Some(s) = err.http_status {
        r.data.insert("httpStatus".into(), json!(s));
    }
    r
}

fn is(err: &ProbeError, advice: &[&str], s3: &[&str]) -> bool {
    err.advice_id
        .as_deref()
        .is_some_and(|a| advice.contains(&a))
        || err.s3_code.as_deref().is_some_and(|c| s3.contains(&c))
}

/// The key was refused as a key (not merely not allowed to do something).
fn auth_failure(err: &ProbeError) -> bool {
    is(
        err,
        &["signature-mismatch", "invalid-access-key"],
        &["SignatureDoesNotMatch", "InvalidAccessKeyId"],
    )
}

fn no_bucket(err: &ProbeError) -> bool {
    is(err, &["no-such-bucket"], &["NoSuchBucket"])
}

/// No HTTP answer at all (refused, DNS, TLS, timeout).
fn unreachable(step: &Step) -> bool {
    !step.ok && step.status.unwrap_or(0) == 0
}

/// Bucket-level steps first, then the probe: the order requests were made.
fn steps(o: &Observations) -> impl Iterator<Item = &Step> {
    [&o.location, &o.head, &o.put, &o.get, &o.delete]
        .into_iter()
        .flatten()
}

fn same_region(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

fn status_of(step: Option<&Step>) -> Option<bool> {
    step.map(|s| s.ok)
}

fn probe_row(id: &'static str, step: Option<&Step>, blocked: bool) -> Row {
    match step {
        _ if blocked => row(id, Status::Skip),
        None => row(id, Status::Skip),
        Some(s) if s.ok && s.body_matches == Some(false) => {
            own_advice(row(id, Status::Fail), AdviceId::ProbeMismatch)
        }
        Some(s) if s.ok => row(id, Status::Pass),
        Some(s) => failed(id, s.error.as_ref().unwrap_or(&ProbeError::default())),
    }
}

fn clock_row(o: &Observations) -> Row {
    let storage_time = steps(o).find_map(|s| {
        s.date
            .as_deref()
            .and_then(|d| Timestamp::parse_http_date(d).ok())
            .map(Timestamp::unix)
            .or_else(|| s.error.as_ref().and_then(|e| e.server_time))
    });
    let Some(t) = storage_time else {
        return row("clock", Status::Skip);
    };
    let offset = o.now - t;
    let mut r = match offset.abs() {
        d if d > CLOCK_FAIL_SECONDS => own_advice(row("clock", Status::Fail), AdviceId::ClockSkew),
        d if d > CLOCK_WARN_SECONDS => own_advice(row("clock", Status::Warn), AdviceId::ClockDrift),
        _ => row("clock", Status::Pass),
    };
    r.data.insert("offsetSeconds".into(), json!(offset));
    r
}

fn cors_row(o: &Observations) -> Row {
    if o.preflights.is_empty() {
        return row("cors-preflight", Status::Skip);
    }
    let origin = o.origin.as_deref().unwrap_or("");
    let refused: Vec<&str> = o
        .preflights
        .iter()
        .filter(|p| {
            let allowed_origin = p
                .allow_origin
                .as_deref()
                .is_some_and(|a| a.trim() == "*" || a.trim().eq_ignore_ascii_case(origin));
            let allowed_method = p.allow_methods.as_deref().is_some_and(|m| {
                m.split(',')
                    .any(|x| x.trim().eq_ignore_ascii_case(&p.method))
            });
            !(p.status.is_some_and(|s| (200..300).contains(&s)) && allowed_origin && allowed_method)
        })
        .map(|p| p.method.as_str())
        .collect();
    let mut r = if refused.is_empty() {
        row("cors-preflight", Status::Pass)
    } else {
        own_advice(row("cors-preflight", Status::Fail), AdviceId::CorsMissing)
    };
    r.data.insert("origin".into(), json!(origin));
    r.data.insert("refusedMethods".into(), json!(refused));
    r
}

fn browser_row(id: &'static str, step: &Step) -> Row {
    if step.ok && step.body_matches != Some(false) {
        return row(id, Status::Pass);
    }
    if step.ok {
        return own_advice(row(id, Status::Fail), AdviceId::ProbeMismatch);
    }
    let mut r = match step.status.unwrap_or(0) {
        0 => own_advice(row(id, Status::Fail), AdviceId::BrowserBlocked),
        s => {
            let mut r = own_advice(row(id, Status::Fail), AdviceId::BrowserRefused);
            r.data.insert("httpStatus".into(), json!(s));
            r
        }
    };
    if let Some(e) = &step.error {
        r.data.insert("message".into(), json!(e.message));
    }
    r
}

/// Turns observations into the checklist.
pub fn diagnose(o: &Observations) -> Diagnosis {
    let mut rows = Vec::with_capacity(10);
    let mut offer = None;
    let first = steps(o).next();
    let errors = || steps(o).filter_map(|s| s.error.as_ref());

    // Credentials: any HTTP answer that is not "this key is wrong" means storage accepted the key.
    let auth = errors().find(|e| auth_failure(e));
    let down = first.filter(|s| unreachable(s));
    let blocked = auth.is_some() || down.is_some() || first.is_none();
    rows.push(match (auth, down, first) {
        (Some(e), _, _) => failed("credentials", e),
        (None, Some(s), _) => failed(
            "credentials",
            s.error.as_ref().unwrap_or(&ProbeError::default()),
        ),
        (None, None, None) => row("credentials", Status::Skip),
        (None, None, Some(_)) => row("credentials", Status::Pass),
    });

    // Bucket: it answered, or a probe write landed in it.
    let bucket_ok = [&o.location, &o.head, &o.put]
        .into_iter()
        .flatten()
        .any(|s| s.ok);
    let missing = errors().find(|e| no_bucket(e));
    let bucket = match (blocked, bucket_ok, missing) {
        (true, _, _) => row("bucket", Status::Skip),
        (false, true, _) => row("bucket", Status::Pass),
        (false, false, Some(e)) => failed("bucket", e),
        (false, false, None) => match errors().next() {
            Some(e) => failed("bucket", e),
            None => row("bucket", Status::Skip),
        },
    };
    let bucket_failed = bucket.status == Status::Fail;
    rows.push(bucket);

    // Region: the bucket's own, from the header, GetBucketLocation or an error that names it.
    let real = steps(o)
        .find_map(|s| s.bucket_region.clone())
        .or_else(|| errors().find_map(|e| e.bucket_region.clone()))
        .filter(|r| !r.trim().is_empty());
    let mut region = match (&real, o.provider.as_str()) {
        _ if blocked => row("region", Status::Skip),
        // R2 signs every request for `auto`; its buckets have no region to compare.
        (_, "cloudflare_r2") => row("region", Status::Pass),
        (Some(r), _) if same_region(r, &o.region) => row("region", Status::Pass),
        (Some(r), _) => {
            offer = Some(Offer {
                field: "region",
                value: r.trim().to_owned(),
            });
            own_advice(row("region", Status::Fail), AdviceId::WrongRegion)
        }
        (None, _) if status_of(o.put.as_ref()) == Some(true) => row("region", Status::Pass),
        (None, _) => row("region", Status::Skip),
    };
    region.data.insert("formRegion".into(), json!(o.region));
    if let Some(r) = &real {
        region.data.insert("bucketRegion".into(), json!(r));
    } else if region.status == Status::Pass && o.provider != "cloudflare_r2" {
        // Not reported by storage; a write signed for the form's region was accepted.
        region.data.insert("verifiedBy".into(), json!("write"));
    }
    rows.push(region);

    let probe_blocked = blocked || bucket_failed;
    rows.push(probe_row("write", o.put.as_ref(), probe_blocked));
    rows.push(probe_row("read", o.get.as_ref(), probe_blocked));
    rows.push(probe_row("delete", o.delete.as_ref(), probe_blocked));
    rows.push(clock_row(o));

    if o.direct_uploads {
        rows.push(cors_row(o));
        let server_ok = rows.iter().all(|r| r.status != Status::Fail);
        match &o.browser {
            Some(b) => {
                rows.push(browser_row("browser-upload", &b.put));
                rows.push(if b.put.ok {
                    browser_row("browser-download", &b.get)
                } else {
                    row("browser-download", Status::Skip)
                });
            }
            None => {
                let s = if server_ok {
                    Status::Pending
                } else {
                    Status::Skip
                };
                rows.push(row("browser-upload", s));
                rows.push(row("browser-download", s));
            }
        }
    }
    Diagnosis {
        ok: rows.iter().all(|r| r.status != Status::Fail),
        rows,
        offer,
    }
}

/// The probe object Test Connection writes, reads and deletes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProbeObject {
    /// `{prefix}.wps3-probe-{token}.txt`.
    pub key: String,
    /// What is written (and must be read back).
    pub body: String,
    /// Its Content-Type.
    pub content_type: &'static str,
}

const PROBE_STEM: &str = ".wps3-probe-";

/// The probe under `prefix` for a random `token` (16..=64 lowercase hex, from the caller).
pub fn probe_object(prefix: &str, token: &str) -> Result<ProbeObject> {
    let hex = token.len() >= 16
        && token.len() <= 64
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            "probe token must be 16 to 64 lowercase hex characters",
        ));
    }
    let key = format!("{prefix}{PROBE_STEM}{token}.txt");
    crate::s3::validate::validate_key(&key)?;
    Ok(ProbeObject {
        body: format!("wps3 connection test {token}\n"),
        key,
        content_type: "text/plain",
    })
}

/// Whether `key` is a probe under `prefix` (the only keys Test Connection's cleanup may delete).
pub fn is_probe_key(prefix: &str, key: &str) -> bool {
    key.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix(PROBE_STEM))
        .and_then(|rest| rest.strip_suffix(".txt"))
        .is_some_and(|token| probe_object(prefix, token).is_ok_and(|p| p.key == key))
}

#[cfg(test)]
mod tests;
