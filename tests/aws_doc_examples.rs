//! The worked examples of the Amazon S3 API reference, pinned through the
//! product's own entry points (provider `amazon_s3`, region `us-east-1`), so
//! the endpoint rules are exercised along with the signer.

use wps3::s3::endpoint::{AddressingStyle, Provider, ResolvedEndpoint, StorageConfig};
use wps3::s3::post_policy::sign_policy;
use wps3::s3::presign::{presign_url, PresignRequest, ResponseOverrides};
use wps3::s3::request::{sign_request, PayloadHash, S3Request};
use wps3::sigv4::{Credentials, SigningKeyCache};
use wps3::time::Timestamp;

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn examplebucket() -> ResolvedEndpoint {
    StorageConfig {
        provider: Provider::AmazonS3,
        region: "us-east-1".into(),
        bucket: "examplebucket".into(),
        endpoint: None,
        account_id: None,
        addressing_style: AddressingStyle::Auto,
        allow_private_endpoints: false,
    }
    .resolve()
    .unwrap()
}

fn at(t: &str) -> Timestamp {
    Timestamp::parse_iso8601(t).unwrap()
}

fn header_signature(
    method: &str,
    key: Option<&str>,
    query: &[(String, String)],
    headers: &[(String, String)],
    hash: &str,
) -> String {
    let creds = Credentials::new(ACCESS_KEY, SECRET, None);
    let req = S3Request {
        method,
        key,
        query,
        headers,
        payload_hash: PayloadHash::parse(hash).unwrap(),
    };
    sign_request(
        &examplebucket(),
        &creds,
        at("2013-05-24T00:00:00Z"),
        &req,
        &mut SigningKeyCache::new(),
    )
    .unwrap()
    .signing
    .signature
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn presigned_get_example() {
    let creds = Credentials::new(ACCESS_KEY, SECRET, None);
    let req = PresignRequest {
        method: "GET",
        key: "test.txt",
        expires_in: 86_400,
        query: &[],
        headers: &[],
        overrides: ResponseOverrides::default(),
    };
    let url = presign_url(
        &examplebucket(),
        &creds,
        at("2013-05-24T00:00:00Z"),
        &req,
        &mut SigningKeyCache::new(),
    )
    .unwrap();
    assert!(url
        .url
        .starts_with("https://examplebucket.s3.amazonaws.com/test.txt?"));
    assert_eq!(
        url.signing.signature,
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
}

#[test]
fn get_object_with_range_example() {
    let sig = header_signature(
        "GET",
        Some("test.txt"),
        &[],
        &pairs(&[("Range", "bytes=0-9")]),
        EMPTY_SHA256,
    );
    assert_eq!(
        sig,
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    );
}

#[test]
fn put_object_example() {
    let sig = header_signature(
        "PUT",
        Some("test$file.text"),
        &[],
        &pairs(&[
            ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ]),
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
    );
    assert_eq!(
        sig,
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
    );
}

#[test]
fn get_bucket_lifecycle_example() {
    let sig = header_signature("GET", None, &pairs(&[("lifecycle", "")]), &[], EMPTY_SHA256);
    assert_eq!(
        sig,
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
    );
}

#[test]
fn list_objects_example() {
    let sig = header_signature(
        "GET",
        None,
        &pairs(&[("max-keys", "2"), ("prefix", "J")]),
        &[],
        EMPTY_SHA256,
    );
    assert_eq!(
        sig,
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
    );
}

/// "Example: Browser-Based Upload using HTTP POST (Using AWS Signature Version 4)".
/// The document's policy is hand-written with CRLF line ends; its published
/// base64 form is the string to sign.
#[test]
fn browser_post_example() {
    use base64::Engine;
    let policy = [
        "{ \"expiration\": \"2015-12-30T12:00:00.000Z\",",
        "  \"conditions\": [",
        "    {\"bucket\": \"sigv4examplebucket\"},",
        "    [\"starts-with\", \"$key\", \"user/user1/\"],",
        "    {\"acl\": \"public-read\"},",
        "    {\"success_action_redirect\": \"http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html\"},",
        "    [\"starts-with\", \"$Content-Type\", \"image/\"],",
        "    {\"x-amz-meta-uuid\": \"14365123651274\"},",
        "    {\"x-amz-server-side-encryption\": \"AES256\"},",
        "    [\"starts-with\", \"$x-amz-meta-tag\", \"\"],",
        "",
        "    {\"x-amz-credential\": \"AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request\"},",
        "    {\"x-amz-algorithm\": \"AWS4-HMAC-SHA256\"},",
        "    {\"x-amz-date\": \"20151229T000000Z\" }",
        "  ]",
        "}",
    ]
    .join("\r\n");
    let b64 = base64::engine::general_purpose::STANDARD.encode(policy);
    assert!(b64.starts_with("eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0K"));
    assert!(b64.ends_with("MjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"));
    let sig = sign_policy(&b64, SECRET, at("2015-12-29T00:00:00Z"), "us-east-1");
    assert_eq!(
        sig,
        "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
    );
}
