use super::*;

const NOW: i64 = 1_764_583_200; // 2025-12-01T10:00:00Z
const DATE: &str = "Mon, 01 Dec 2025 10:00:00 GMT";

fn ok(region: Option<&str>) -> Option<Step> {
    Some(Step {
        ok: true,
        status: Some(200),
        bucket_region: region.map(str::to_owned),
        date: Some(DATE.into()),
        body_matches: Some(true),
        ..Step::default()
    })
}

fn err(status: u16, s3: &str, advice: &str) -> Option<Step> {
    Some(Step {
        ok: false,
        status: Some(status),
        date: Some(DATE.into()),
        error: Some(ProbeError {
            code: "S3_ERROR".into(),
            message: s3.into(),
            advice_id: Some(advice.into()),
            cause: Some(format!("cause of {s3}")),
            fix: Some(format!("fix of {s3}")),
            s3_code: Some(s3.into()),
            http_status: Some(status),
            ..ProbeError::default()
        }),
        ..Step::default()
    })
}

fn all_green() -> Observations {
    Observations {
        provider: "amazon_s3".into(),
        region: "us-east-1".into(),
        now: NOW,
        location: ok(Some("us-east-1")),
        head: ok(Some("us-east-1")),
        put: ok(None),
        get: ok(None),
        delete: ok(None),
        ..Observations::default()
    }
}

fn statuses(d: &Diagnosis) -> Vec<(&'static str, Status)> {
    d.rows.iter().map(|r| (r.id, r.status)).collect()
}

fn get<'a>(d: &'a Diagnosis, id: &str) -> &'a Row {
    d.rows.iter().find(|r| r.id == id).unwrap()
}

#[test]
fn all_green_is_seven_passing_rows() {
    let d = diagnose(&all_green());
    assert!(d.ok);
    use Status::Pass;
    assert_eq!(
        statuses(&d),
        vec![
            ("credentials", Pass),
            ("bucket", Pass),
            ("region", Pass),
            ("write", Pass),
            ("read", Pass),
            ("delete", Pass),
            ("clock", Pass)
        ]
    );
    assert_eq!(get(&d, "clock").data["offsetSeconds"], 0);
    assert!(d.offer.is_none());
}

#[test]
fn wrong_secret_fails_credentials_with_the_errors_own_fix() {
    let mut o = all_green();
    o.location = err(403, "SignatureDoesNotMatch", "signature-mismatch");
    o.head = Some(Step {
        ok: false,
        status: Some(403),
        ..Step::default()
    });
    o.put = None;
    o.get = None;
    o.delete = None;
    let d = diagnose(&o);
    assert!(!d.ok);
    let c = get(&d, "credentials");
    assert_eq!(c.status, Status::Fail);
    assert_eq!(c.advice_id.as_deref(), Some("signature-mismatch"));
    assert_eq!(c.fix.as_deref(), Some("fix of SignatureDoesNotMatch"));
    assert_eq!(c.s3_code.as_deref(), Some("SignatureDoesNotMatch"));
    for id in ["bucket", "region", "write", "read", "delete"] {
        assert_eq!(get(&d, id).status, Status::Skip, "{id}");
    }
}

#[test]
fn missing_bucket_passes_credentials_and_fails_the_bucket() {
    let mut o = all_green();
    o.location = err(404, "NoSuchBucket", "no-such-bucket");
    o.head = Some(Step {
        ok: false,
        status: Some(404),
        ..Step::default()
    });
    o.put = err(404, "NoSuchBucket", "no-such-bucket");
    o.get = None;
    o.delete = None;
    let d = diagnose(&o);
    assert_eq!(get(&d, "credentials").status, Status::Pass);
    let b = get(&d, "bucket");
    assert_eq!(b.status, Status::Fail);
    assert_eq!(b.advice_id.as_deref(), Some("no-such-bucket"));
    assert_eq!(get(&d, "write").status, Status::Skip);
}

#[test]
fn wrong_region_is_found_and_offered_as_a_fix() {
    let mut o = all_green();
    o.location = ok(Some("eu-west-1"));
    o.head = ok(Some("eu-west-1"));
    let d = diagnose(&o);
    assert!(!d.ok);
    let r = get(&d, "region");
    assert_eq!(r.status, Status::Fail);
    assert_eq!(r.advice_id.as_deref(), Some("wrong-region"));
    assert_eq!(r.data["bucketRegion"], "eu-west-1");
    assert_eq!(r.data["formRegion"], "us-east-1");
    assert_eq!(
        d.offer,
        Some(Offer {
            field: "region",
            value: "eu-west-1".into()
        })
    );
    // The region named only by an error (a HEAD redirect) counts too.
    let mut o = all_green();
    o.location = None;
    o.head = Some(Step {
        ok: false,
        status: Some(301),
        error: Some(ProbeError {
            bucket_region: Some("ap-south-1".into()),
            ..ProbeError::default()
        }),
        ..Step::default()
    });
    assert_eq!(diagnose(&o).offer.unwrap().value, "ap-south-1");
}

#[test]
fn a_key_that_cannot_delete_fails_exactly_the_delete_row() {
    let mut o = all_green();
    o.delete = err(403, "AccessDenied", "access-denied");
    let d = diagnose(&o);
    assert!(!d.ok);
    let failing: Vec<&str> = d
        .rows
        .iter()
        .filter(|r| r.status != Status::Pass)
        .map(|r| r.id)
        .collect();
    assert_eq!(failing, vec!["delete"]);
    assert_eq!(
        get(&d, "delete").advice_id.as_deref(),
        Some("access-denied")
    );
}

#[test]
fn bucket_listing_denied_but_writes_work_is_not_a_bucket_failure() {
    let mut o = all_green();
    o.location = err(403, "AccessDenied", "access-denied");
    o.head = Some(Step {
        ok: false,
        status: Some(403),
        ..Step::default()
    });
    let d = diagnose(&o);
    assert_eq!(get(&d, "bucket").status, Status::Pass);
    assert_eq!(get(&d, "region").status, Status::Pass);
    assert_eq!(get(&d, "region").data["verifiedBy"], "write");
}

#[test]
fn clock_warns_past_five_minutes_and_fails_past_fifteen() {
    for (offset, want) in [
        (0, Status::Pass),
        (300, Status::Pass),
        (301, Status::Warn),
        (-600, Status::Warn),
        (900, Status::Warn),
        (901, Status::Fail),
        (-3600, Status::Fail),
    ] {
        let mut o = all_green();
        o.now = NOW + offset;
        let d = diagnose(&o);
        let c = get(&d, "clock");
        assert_eq!(c.status, want, "offset {offset}");
        assert_eq!(c.data["offsetSeconds"], offset);
        match want {
            Status::Warn => assert_eq!(c.advice_id.as_deref(), Some("clock-drift")),
            Status::Fail => assert_eq!(c.advice_id.as_deref(), Some("clock-skew")),
            _ => assert!(c.advice_id.is_none()),
        }
        assert_eq!(d.ok, want != Status::Fail);
    }
}

#[test]
fn unreachable_storage_fails_credentials_with_connection_advice() {
    let o = Observations {
        provider: "custom".into(),
        region: "us-east-1".into(),
        now: NOW,
        location: Some(Step {
            ok: false,
            error: Some(ProbeError {
                code: "NETWORK_ERROR".into(),
                message: "ECONNREFUSED".into(),
                ..ProbeError::default()
            }),
            ..Step::default()
        }),
        ..Observations::default()
    };
    let d = diagnose(&o);
    let c = get(&d, "credentials");
    assert_eq!(c.status, Status::Fail);
    assert_eq!(c.advice_id.as_deref(), Some("network-failed"));
    assert!(c.cause.as_deref().unwrap().contains("ECONNREFUSED"));
    assert_eq!(get(&d, "clock").status, Status::Skip);
}

#[test]
fn read_back_mismatch_fails_read() {
    let mut o = all_green();
    o.get.as_mut().unwrap().body_matches = Some(false);
    let d = diagnose(&o);
    assert_eq!(get(&d, "read").advice_id.as_deref(), Some("probe-mismatch"));
}

#[test]
fn cors_rows_only_with_direct_uploads() {
    let mut o = all_green();
    o.direct_uploads = true;
    o.origin = Some("http://127.0.0.1:8080".into());
    let pre = |m: &str, origin: Option<&str>| PreflightOutcome {
        method: m.into(),
        status: Some(200),
        allow_origin: origin.map(str::to_owned),
        allow_methods: Some("GET, PUT, POST, HEAD".into()),
        error: None,
    };
    o.preflights = vec![
        pre("PUT", Some("http://127.0.0.1:8080")),
        pre("POST", Some("http://127.0.0.1:8080")),
    ];
    let d = diagnose(&o);
    assert_eq!(get(&d, "cors-preflight").status, Status::Pass);
    assert_eq!(get(&d, "browser-upload").status, Status::Pending);
    o.preflights = vec![
        pre("PUT", None),
        PreflightOutcome {
            status: Some(403),
            ..pre("POST", None)
        },
    ];
    let d = diagnose(&o);
    let c = get(&d, "cors-preflight");
    assert_eq!(c.status, Status::Fail);
    assert_eq!(c.advice_id.as_deref(), Some("cors-missing"));
    assert_eq!(c.data["refusedMethods"], json!(["PUT", "POST"]));
    assert_eq!(get(&d, "browser-upload").status, Status::Skip);
    assert!(diagnose(&all_green())
        .rows
        .iter()
        .all(|r| !r.id.starts_with("cors") && !r.id.starts_with("browser")));
}

#[test]
fn browser_outcomes() {
    let mut o = all_green();
    o.direct_uploads = true;
    o.browser = Some(BrowserOutcome {
        put: ok(None).unwrap(),
        get: ok(None).unwrap(),
    });
    let d = diagnose(&o);
    assert_eq!(get(&d, "browser-upload").status, Status::Pass);
    assert_eq!(get(&d, "browser-download").status, Status::Pass);
    o.browser = Some(BrowserOutcome {
        put: Step::default(),
        get: Step::default(),
    });
    let d = diagnose(&o);
    assert_eq!(
        get(&d, "browser-upload").advice_id.as_deref(),
        Some("browser-blocked")
    );
    assert_eq!(get(&d, "browser-download").status, Status::Skip);
    o.browser = Some(BrowserOutcome {
        put: Step {
            status: Some(403),
            ..Step::default()
        },
        get: Step::default(),
    });
    let d = diagnose(&o);
    assert_eq!(
        get(&d, "browser-upload").advice_id.as_deref(),
        Some("browser-refused")
    );
    assert_eq!(get(&d, "browser-upload").data["httpStatus"], 403);
}

#[test]
fn probe_keys() {
    let p = probe_object("wpsigner/", "0123456789abcdef").unwrap();
    assert_eq!(p.key, "wpsigner/.wps3-probe-0123456789abcdef.txt");
    assert!(p.body.contains("0123456789abcdef"));
    assert!(is_probe_key("wpsigner/", &p.key));
    assert!(!is_probe_key("wpsigner/", "wpsigner/Service-Agreement.pdf"));
    assert!(!is_probe_key("other/", &p.key));
    assert!(!is_probe_key(
        "wpsigner/",
        "wpsigner/.wps3-probe-../../x.txt"
    ));
    assert!(probe_object("", "short").is_err());
    assert!(probe_object("", "0123456789ABCDEF").is_err());
    assert!(probe_object("", "0123456789abcdef").is_ok());
}
