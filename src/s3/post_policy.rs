//! Presigned POST: a signed policy a browser submits with a form upload.
//!
//! The policy is JSON, base64-encoded, and the base64 text itself is the
//! string to sign. Any layout of the JSON is valid as long as the signature is
//! over the exact bytes sent; we write botocore's layout so our forms are
//! byte-identical to the AWS SDK for Python's.

use super::endpoint::ResolvedEndpoint;
use super::presign::validate_expires;
use super::request::validate_signable_key;
use crate::error::{invalid, ErrorCode, Result};
use crate::sigv4::string_to_sign::credential_scope;
use crate::sigv4::{derive_signing_key, Credentials, SigningKeyCache, ALGORITHM};
use crate::time::Timestamp;
use base64::Engine;
use serde_json::Value;

/// The form to build.
#[derive(Debug, Clone)]
pub struct PostPolicyRequest<'a> {
    /// Object key; a trailing `${filename}` lets the browser supply the name.
    pub key: &'a str,
    /// Lifetime in seconds, 1..=604800.
    pub expires_in: u64,
    /// Extra form fields, sent first and in order (not turned into conditions).
    pub fields: &'a [(String, String)],
    /// Extra policy conditions, in botocore's JSON shapes.
    pub conditions: &'a [Value],
}

/// A ready-to-submit form.
#[derive(Debug, Clone)]
pub struct PresignedPost {
    /// The form action URL.
    pub url: String,
    /// Every form field, in the order a browser must send them; the file goes last.
    pub fields: Vec<(String, String)>,
    /// The exact policy text that was signed.
    pub policy_json: String,
    /// Base64 of `policy_json`: the string to sign.
    pub policy_base64: String,
    /// When the policy expires.
    pub expiration: Timestamp,
    /// Lower-case hex signature.
    pub signature: String,
}

/// Signs a presigned-POST policy.
pub fn presign_post(
    endpoint: &ResolvedEndpoint,
    credentials: &Credentials,
    time: Timestamp,
    req: &PostPolicyRequest<'_>,
    cache: &mut SigningKeyCache,
) -> Result<PresignedPost> {
    credentials.validate()?;
    let literal_key = key_prefix(req.key)?;
    validate_expires(req.expires_in)?;
    for c in req.conditions {
        validate_condition(c)?;
    }
    validate_fields(req.fields, req.conditions)?;
    let expiration = time.plus(req.expires_in as i64)?;
    let amz_date = time.amz_date();
    let scope = credential_scope(&time.date_stamp(), &endpoint.region, "s3");
    let credential = format!("{}/{scope}", credentials.access_key_id());

    let mut conditions: Vec<Value> = req.conditions.to_vec();
    conditions.push(one("bucket", &endpoint.bucket));
    conditions.push(match literal_key {
        Some(prefix) => Value::Array(vec!["starts-with".into(), "$key".into(), prefix.into()]),
        None => one("key", req.key),
    });
    conditions.push(one("x-amz-algorithm", ALGORITHM));
    conditions.push(one("x-amz-credential", &credential));
    conditions.push(one("x-amz-date", &amz_date));
    if let Some(token) = credentials.session_token() {
        conditions.push(one("x-amz-security-token", token));
    }
    let policy_json = format!(
        "{{\"expiration\": {}, \"conditions\": {}}}",
        python_json(&Value::String(expiration.iso8601())),
        python_json(&Value::Array(conditions))
    );
    let policy_base64 = base64::engine::general_purpose::STANDARD.encode(policy_json.as_bytes());
    let key = cache.get(
        credentials.secret_access_key(),
        &time.date_stamp(),
        &endpoint.region,
        "s3",
    );
    let signature = key.sign(&policy_base64);

    let mut fields: Vec<(String, String)> = req.fields.to_vec();
    fields.push(("key".into(), req.key.into()));
    fields.push(("x-amz-algorithm".into(), ALGORITHM.into()));
    fields.push(("x-amz-credential".into(), credential));
    fields.push(("x-amz-date".into(), amz_date));
    if let Some(token) = credentials.session_token() {
        fields.push(("x-amz-security-token".into(), token.into()));
    }
    fields.push(("policy".into(), policy_base64.clone()));
    fields.push(("x-amz-signature".into(), signature.clone()));
    Ok(PresignedPost {
        url: endpoint.bucket_url(),
        fields,
        policy_json,
        policy_base64,
        expiration,
        signature,
    })
}

/// Signs an already written base64 policy (for policies laid out elsewhere).
pub fn sign_policy(
    policy_base64: &str,
    secret_access_key: &str,
    time: Timestamp,
    region: &str,
) -> String {
    derive_signing_key(secret_access_key, &time.date_stamp(), region, "s3").sign(policy_base64)
}

/// For a key ending in `${filename}`, the literal prefix the policy pins with
/// `starts-with`; `None` for an exact key.
fn key_prefix(key: &str) -> Result<Option<&str>> {
    const FILENAME: &str = "${filename}";
    match key.strip_suffix(FILENAME) {
        Some(prefix) if prefix.contains(FILENAME) => Err(invalid(
            ErrorCode::InvalidKey,
            "${filename} may appear only once, at the end of the key",
        )),
        // An empty prefix would let the browser overwrite any object in the bucket.
        Some("") => Err(invalid(
            ErrorCode::InvalidKey,
            "a key of only ${filename} would allow uploads to any key; give a prefix such as uploads/",
        )),
        Some(prefix) => validate_signable_key(prefix).map(|()| Some(prefix)),
        None if key.contains(FILENAME) => Err(invalid(
            ErrorCode::InvalidKey,
            "${filename} is only substituted at the end of the key",
        )),
        None => validate_signable_key(key).map(|()| None),
    }
}

/// Form fields the signer writes itself; a caller's copy would duplicate them
/// or, for `file`, end the form before the signature (S3 ignores what follows it).
const RESERVED_FIELDS: &[&str] = &[
    "key",
    "policy",
    "file",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-signature",
];

/// S3 refuses a form whose fields are not all covered by a policy condition
/// ("Invalid according to Policy: Extra input fields"), so say so before a
/// browser finds out.
fn validate_fields(fields: &[(String, String)], conditions: &[Value]) -> Result<()> {
    for (name, _) in fields {
        let lower = name.to_ascii_lowercase();
        if RESERVED_FIELDS.contains(&lower.as_str()) {
            return Err(invalid(
                ErrorCode::InvalidArgument,
                format!("form field '{name}' is written by the signer and cannot be given"),
            ));
        }
        if lower.starts_with("x-ignore-") {
            continue;
        }
        let covered = conditions.iter().any(|c| match c {
            Value::Object(m) => m.keys().any(|k| k.eq_ignore_ascii_case(name)),
            Value::Array(a) => a
                .get(1)
                .and_then(Value::as_str)
                .and_then(|f| f.strip_prefix('$'))
                .is_some_and(|f| f.eq_ignore_ascii_case(name)),
            _ => false,
        });
        if !covered {
            return Err(invalid(
                ErrorCode::InvalidArgument,
                format!("form field '{name}' needs a policy condition, or S3 rejects the upload"),
            ));
        }
    }
    Ok(())
}

fn one(name: &str, value: &str) -> Value {
    let mut m = serde_json::Map::new();
    m.insert(name.to_owned(), Value::String(value.to_owned()));
    Value::Object(m)
}

/// Accepts the condition shapes S3 documents; anything else would only fail at upload time.
fn validate_condition(c: &Value) -> Result<()> {
    let bad = |why: &str| {
        invalid(
            ErrorCode::InvalidArgument,
            format!("policy condition {c}: {why}"),
        )
    };
    match c {
        Value::Object(m) if m.len() == 1 && m.values().all(Value::is_string) => Ok(()),
        Value::Object(_) => Err(bad("an exact-match condition is one field with a string value")),
        Value::Array(a) => match a.as_slice() {
            [Value::String(op), Value::Number(min), Value::Number(max)] if op == "content-length-range" => {
                match (min.as_u64(), max.as_u64()) {
                    (Some(lo), Some(hi)) if lo <= hi => Ok(()),
                    _ => Err(bad("content-length-range needs 0 <= min <= max")),
                }
            }
            [Value::String(op), Value::String(field), Value::String(_)]
                if (op == "eq" || op == "starts-with") && field.starts_with('$') =>
            {
                Ok(())
            }
            _ => Err(bad("expected [\"eq\"|\"starts-with\", \"$field\", value] or [\"content-length-range\", min, max]")),
        },
        _ => Err(bad("expected an object or an array")),
    }
}

/// Serializes like Python's `json.dumps` defaults: `", "` and `": "` separators,
/// non-ASCII as lower-case `\uXXXX` (surrogate pairs above the BMP).
pub fn python_json(value: &Value) -> String {
    let mut out = String::new();
    write_python_json(&mut out, value);
    out
}

fn write_python_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_python_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_string(out, k);
                out.push_str(": ");
                write_python_json(out, v);
            }
            out.push('}');
        }
    }
}

fn write_python_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_layout() {
        let v: Value = serde_json::from_str(r#"{"a": ["é", 1, "😀\n\"x\""]}"#).unwrap();
        assert_eq!(
            python_json(&v),
            r#"{"a": ["\u00e9", 1, "\ud83d\ude00\n\"x\""]}"#
        );
    }

    #[test]
    fn filename_placeholder_rules() {
        assert_eq!(key_prefix("uploads/${filename}").unwrap(), Some("uploads/"));
        assert_eq!(key_prefix("a.pdf").unwrap(), None);
        for bad in [
            "${filename}",
            "a/${filename}.pdf",
            "${filename}/${filename}",
        ] {
            assert_eq!(
                key_prefix(bad).unwrap_err().code(),
                ErrorCode::InvalidKey,
                "{bad}"
            );
        }
    }

    #[test]
    fn fields_need_conditions_and_cannot_shadow_the_signer() {
        let conditions: Vec<Value> = vec![
            serde_json::json!({"acl": "private"}),
            serde_json::json!(["starts-with", "$Content-Type", "image/"]),
        ];
        let f = |n: &str| vec![(n.to_owned(), "v".to_owned())];
        assert!(validate_fields(&f("acl"), &conditions).is_ok());
        assert!(validate_fields(&f("content-type"), &conditions).is_ok());
        assert!(validate_fields(&f("x-ignore-me"), &conditions).is_ok());
        assert!(validate_fields(&f("x-amz-meta-a"), &conditions).is_err());
        for reserved in ["key", "Policy", "file", "X-Amz-Signature"] {
            assert!(
                validate_fields(&f(reserved), &conditions).is_err(),
                "{reserved}"
            );
        }
    }

    #[test]
    fn rejects_malformed_conditions() {
        for bad in [
            r#"["content-length-range", 10, 1]"#,
            r#"["eq", "key", "x"]"#,
            r#"{"a": 1}"#,
            "3",
        ] {
            assert!(
                validate_condition(&serde_json::from_str(bad).unwrap()).is_err(),
                "{bad}"
            );
        }
        assert!(validate_condition(
            &serde_json::from_str(r#"["starts-with", "$key", "u/"]"#).unwrap()
        )
        .is_ok());
    }
}
