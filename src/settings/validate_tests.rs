//! Table-driven checks of `validate_settings`: each case is form input as
//! JSON and the `(field, adviceId)` pairs it must produce, in order.

use super::*;
use serde_json::{json, Value};

fn run(input: Value) -> SettingsReport {
    let input: SettingsInput = serde_json::from_value(input).unwrap();
    validate_settings(&input)
}

fn problems(report: &SettingsReport) -> Vec<(&str, &str)> {
    report
        .errors
        .iter()
        .map(|e| (e.field, e.advice_id))
        .collect()
}

const R2_ACCOUNT: &str = "96c87d1d64a7288921d6eace0eccf744";

#[test]
fn field_errors_table() {
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        (
            json!({"provider": "amazon_s3", "region": "eu-west-1", "bucket": "good-bucket"}),
            vec![],
        ),
        (
            json!({"provider": "dropbox", "bucket": "good-bucket"}),
            vec![("provider", "provider-unknown")],
        ),
        (
            json!({"bucket": "good-bucket"}),
            vec![("provider", "provider-unknown")],
        ),
        (
            json!({"provider": "amazon_s3", "region": "eu west 1", "bucket": "good-bucket"}),
            vec![("region", "region-invalid")],
        ),
        (
            json!({"provider": "amazon_s3", "region": "eu-west-9", "bucket": "good-bucket"}),
            vec![("region", "region-unknown")],
        ),
        (
            json!({"provider": "amazon_s3", "region": "cn-north-1", "bucket": "good-bucket"}),
            vec![],
        ),
        (
            json!({"provider": "wasabi", "region": "af-south-1", "bucket": "good-bucket"}),
            vec![("region", "region-unknown")],
        ),
        (
            json!({"provider": "wasabi", "region": "us-central-1", "bucket": "good-bucket"}),
            vec![],
        ),
        (
            json!({"provider": "cloudflare_r2", "region": "eu-west-1", "accountId": R2_ACCOUNT, "bucket": "good-bucket"}),
            vec![("region", "region-unknown")],
        ),
        (
            json!({"provider": "cloudflare_r2", "bucket": "good-bucket"}),
            vec![("accountId", "account-id-required")],
        ),
        (
            json!({"provider": "cloudflare_r2", "accountId": "xyz", "bucket": "good-bucket"}),
            vec![("accountId", "account-id-invalid")],
        ),
        (
            json!({"provider": "custom", "bucket": "good-bucket"}),
            vec![("endpoint", "endpoint-required")],
        ),
        (
            json!({"provider": "custom", "endpoint": "ftp://x", "bucket": "good-bucket"}),
            vec![("endpoint", "endpoint-invalid")],
        ),
        (
            json!({"provider": "custom", "endpoint": "http://127.0.0.1:9000", "region": "garage", "bucket": "good-bucket", "allowPrivateEndpoints": true}),
            vec![],
        ),
        (
            json!({"provider": "custom", "endpoint": "http://127.0.0.1:9000", "bucket": "good-bucket"}),
            vec![("endpoint", "endpoint-refused")],
        ),
        (
            json!({"provider": "custom", "endpoint": "http://0x7f.1:9000", "bucket": "good-bucket"}),
            vec![("endpoint", "endpoint-refused")],
        ),
        (
            json!({"provider": "amazon_s3", "endpoint": "http://169.254.169.254", "bucket": "good-bucket", "allowPrivateEndpoints": true}),
            vec![("endpoint", "endpoint-refused")],
        ),
        (
            json!({"provider": "custom", "endpoint": "http://127.0.0.1:9000", "bucket": "good-bucket", "addressingStyle": "virtual", "allowPrivateEndpoints": true}),
            vec![("addressingStyle", "addressing-style-needs-path")],
        ),
        (
            json!({"provider": "amazon_s3", "bucket": "good-bucket", "addressingStyle": "sideways"}),
            vec![("addressingStyle", "addressing-style-invalid")],
        ),
        (
            json!({"provider": "amazon_s3", "bucket": "Bad_Bucket"}),
            vec![("bucket", "bucket-name-invalid")],
        ),
        (
            json!({"provider": "amazon_s3"}),
            vec![("bucket", "bucket-name-invalid")],
        ),
        (
            json!({"provider": "amazon_s3", "bucket": "good-bucket", "keyTemplate": "{titel}.pdf"}),
            vec![("keyTemplate", "key-template-invalid")],
        ),
        (
            json!({"provider": "amazon_s3", "bucket": "good-bucket", "keyTemplate": "./"}),
            vec![("keyTemplate", "key-template-invalid")],
        ),
        (
            json!({"provider": "amazon_s3", "bucket": "good-bucket", "keyTemplate": format!("{}{{document_id}}", "x".repeat(1100))}),
            vec![("keyTemplate", "key-template-too-long")],
        ),
        (
            json!({"provider": "amazon_s3", "bucket": "good-bucket", "pathPrefix": "p".repeat(600)}),
            vec![("pathPrefix", "path-prefix-too-long")],
        ),
        (
            json!({"provider": "amazon_s3", "bucket": "good-bucket", "pathPrefix": "p".repeat(500), "keyTemplate": format!("{{path_prefix}}{}{{document_id}}", "x".repeat(600))}),
            vec![("pathPrefix", "path-prefix-too-long")],
        ),
        (
            json!({"provider": "amazon_s3", "bucket": "good-bucket", "accessKeyId": "AKID/x"}),
            vec![("accessKeyId", "access-key-id-invalid")],
        ),
        (
            json!({"provider": "amazon_s3", "bucket": "good-bucket", "secretAccessKey": "has space"}),
            vec![("secretAccessKey", "secret-access-key-invalid")],
        ),
        (
            json!({"provider": "custom", "region": "EU WEST", "bucket": "ab", "addressingStyle": "x"}),
            vec![
                ("endpoint", "endpoint-required"),
                ("region", "region-invalid"),
                ("bucket", "bucket-name-invalid"),
                ("addressingStyle", "addressing-style-invalid"),
            ],
        ),
    ];
    for (input, want) in cases {
        let report = run(input.clone());
        assert_eq!(problems(&report), want, "{input}");
        assert_eq!(report.valid, want.is_empty(), "{input}");
        assert_eq!(
            report.endpoint.is_some(),
            want.iter().all(|(f, _)| [
                "pathPrefix",
                "keyTemplate",
                "accessKeyId",
                "secretAccessKey"
            ]
            .contains(f)),
            "{input}"
        );
        for e in &report.errors {
            assert!(
                super::super::advice::settings_advice(e.advice_id).is_some(),
                "{}",
                e.advice_id
            );
            assert!(e.message.len() > 10, "{}", e.message);
            assert!(
                e.code.starts_with("INVALID_") || e.code == "EndpointRefused",
                "{}",
                e.code
            );
        }
    }
}

#[test]
fn defaults_and_normalisation() {
    let report = run(
        json!({"provider": "r2", "accountId": " 96C87D1D64A7288921D6EACE0ECCF744 ", "bucket": " good-bucket "}),
    );
    assert!(report.valid, "{:?}", report.errors);
    let s = &report.settings;
    assert_eq!(s.provider, "cloudflare_r2");
    assert_eq!(s.region, "auto");
    assert_eq!(s.account_id, R2_ACCOUNT);
    assert_eq!(s.bucket, "good-bucket");
    assert_eq!(s.path_prefix, "wpsigner/");
    assert_eq!(s.key_template, DEFAULT_TEMPLATE);
    assert_eq!(s.addressing_style, "auto");
    let e = report.endpoint.as_ref().unwrap();
    assert_eq!(
        e.host,
        format!("good-bucket.{R2_ACCOUNT}.r2.cloudflarestorage.com")
    );

    let report = run(
        json!({"provider": "amazon_s3", "region": "EU-West-1", "bucket": "b.example.com", "pathPrefix": "/a\\b//../c"}),
    );
    assert!(report.valid);
    assert_eq!(report.settings.region, "eu-west-1");
    assert_eq!(report.settings.path_prefix, "a/b/c/");
    assert_eq!(report.endpoint.unwrap().addressing_style, "path");

    let report = run(json!({"provider": "amazon_s3", "bucket": "good-bucket", "pathPrefix": ""}));
    assert_eq!(report.settings.region, "us-east-1");
    assert_eq!(report.settings.path_prefix, "");

    let report = run(
        json!({"provider": "custom", "endpoint": " http://127.0.0.1:9000/ ", "bucket": "good-bucket", "allowPrivateEndpoints": true}),
    );
    assert_eq!(report.settings.endpoint, "http://127.0.0.1:9000");
    assert_eq!(
        report.endpoint.unwrap().bucket_url,
        "http://127.0.0.1:9000/good-bucket"
    );

    // An override endpoint makes the region table moot (a test server, a VPC endpoint).
    let report = run(
        json!({"provider": "amazon_s3", "region": "xx-test-1", "endpoint": "https://s3.internal.example", "bucket": "good-bucket"}),
    );
    assert!(report.valid, "{:?}", report.errors);
}

#[test]
fn the_secret_never_appears_in_the_report() {
    let secret = "wJalrXUtnFEMI K7MDENG";
    let report =
        run(json!({"provider": "amazon_s3", "bucket": "good-bucket", "secretAccessKey": secret}));
    let text = serde_json::to_string(&report).unwrap();
    assert!(!text.contains("wJalr"), "{text}");
    assert!(text.contains("secret-access-key-invalid"));
    let fine = run(
        json!({"provider": "amazon_s3", "bucket": "good-bucket", "secretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}),
    );
    assert!(fine.valid);
    assert!(!serde_json::to_string(&fine).unwrap().contains("wJalr"));
}

#[test]
fn every_schema_region_validates() {
    for provider in super::super::schema::PROVIDERS {
        for region in super::super::schema::regions(provider) {
            let report = run(
                json!({"provider": provider.id(), "region": region.id, "accountId": R2_ACCOUNT, "bucket": "good-bucket"}),
            );
            assert!(
                report.valid,
                "{} {}: {:?}",
                provider.id(),
                region.id,
                report.errors
            );
        }
    }
}
