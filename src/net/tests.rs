use super::*;

fn v4(host: &str) -> Option<String> {
    parse_ipv4_host(host).unwrap().map(dotted)
}

#[test]
fn ipv4_spellings_follow_whatwg() {
    // Each line: a spelling and what browsers and Node's URL make of it.
    for (spelling, ip) in [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0177.0.0.01", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("2852039166", "169.254.169.254"),
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),
        ("10.0.0.1.", "10.0.0.1"),
        ("8.8.8.8", "8.8.8.8"),
    ] {
        assert_eq!(v4(spelling).as_deref(), Some(ip), "{spelling}");
    }
    for name in [
        "s3.example.com",
        "localhost",
        "a1",
        "0x7g",
        "s3.eu-west-1.amazonaws.com",
    ] {
        assert_eq!(v4(name), None, "{name}");
    }
    for broken in [
        "256.1.1.1",
        "1.2.3.4.5",
        "09",
        "4294967296",
        "1.2.65536",
        "foo.1",
        "0xffffffffffffffffffff",
        "1..2",
    ] {
        assert_eq!(parse_ipv4_host(broken), Err(()), "{broken}");
    }
}

#[test]
fn classes() {
    for (ip, class) in [
        ("169.254.169.254", AddressClass::LinkLocal),
        ("169.254.0.1", AddressClass::LinkLocal),
        ("100.100.100.200", AddressClass::LinkLocal),
        ("fe80::1", AddressClass::LinkLocal),
        ("febf::1", AddressClass::LinkLocal),
        ("fd00:ec2::254", AddressClass::LinkLocal),
        ("::ffff:169.254.169.254", AddressClass::LinkLocal),
        ("::ffff:a9fe:a9fe", AddressClass::LinkLocal),
        ("64:ff9b::a9fe:a9fe", AddressClass::LinkLocal),
        ("2002:a9fe:a9fe::1", AddressClass::LinkLocal),
        ("127.0.0.1", AddressClass::Private),
        ("127.255.255.254", AddressClass::Private),
        ("10.1.2.3", AddressClass::Private),
        ("172.16.0.1", AddressClass::Private),
        ("172.31.255.255", AddressClass::Private),
        ("192.168.1.1", AddressClass::Private),
        ("100.64.0.1", AddressClass::Private),
        ("0.0.0.0", AddressClass::Private),
        ("224.0.0.1", AddressClass::Private),
        ("255.255.255.255", AddressClass::Private),
        ("::1", AddressClass::Private),
        ("::", AddressClass::Private),
        ("::ffff:127.0.0.1", AddressClass::Private),
        ("::ffff:0:10.0.0.1", AddressClass::Private),
        ("::127.0.0.1", AddressClass::Private),
        ("fc00::1", AddressClass::Private),
        ("fd12:3456::1", AddressClass::Private),
        ("ff02::1", AddressClass::Private),
        ("8.8.8.8", AddressClass::Public),
        ("172.32.0.1", AddressClass::Public),
        ("172.15.255.255", AddressClass::Public),
        ("100.128.0.1", AddressClass::Public),
        ("169.253.1.1", AddressClass::Public),
        ("52.216.0.1", AddressClass::Public),
        ("2600:1f18::1", AddressClass::Public),
        ("::ffff:8.8.8.8", AddressClass::Public),
        ("fd01:ec2::1", AddressClass::Private),
    ] {
        assert_eq!(classify(parse_ip(ip).expect(ip)), class, "{ip}");
    }
}

#[test]
fn hosts_and_resolved_addresses() {
    for host in [
        "169.254.169.254",
        "[fe80::1]",
        "[fd00:ec2::254]",
        "[::ffff:169.254.169.254]",
    ] {
        for allow in [false, true] {
            let e = check_host(host, allow).unwrap_err();
            assert_eq!(e.code(), ErrorCode::EndpointRefused, "{host}");
            assert!(
                e.message().contains("link-local/metadata"),
                "{host}: {}",
                e.message()
            );
        }
    }
    for host in [
        "127.0.0.1",
        "[::1]",
        "10.0.0.1",
        "localhost",
        "minio.localhost",
        "[::ffff:127.0.0.1]",
    ] {
        let e = check_host(host, false).unwrap_err();
        assert_eq!(e.code(), ErrorCode::EndpointRefused, "{host}");
        assert!(e.message().contains("private or loopback"), "{host}");
        assert!(check_host(host, true).is_ok(), "{host}");
    }
    for host in ["s3.amazonaws.com", "8.8.8.8", "[2600:1f18::1]", "vm"] {
        assert!(check_host(host, false).is_ok(), "{host}");
    }
    let e = check_address("rebind.example", "127.0.0.1", false).unwrap_err();
    assert_eq!(e.code(), ErrorCode::EndpointRefused);
    // The message names the host, never where it resolved to.
    assert!(e.message().contains("rebind.example resolves to"));
    assert!(!e.message().contains("127.0.0.1"));
    assert!(check_address("rebind.example", "127.0.0.1", true).is_ok());
    assert!(check_address("x", "169.254.169.254", true).is_err());
    assert!(check_address("x", "::ffff:169.254.169.254", true).is_err());
    assert!(check_address("x", "52.216.0.1", false).is_ok());
    assert_eq!(
        check_address("x", "not-an-ip", false).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn ipv6_literals() {
    for (text, groups) in [
        ("::1", [0, 0, 0, 0, 0, 0, 0, 1]),
        ("::", [0; 8]),
        ("fd00:ec2::254", [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]),
        ("::ffff:127.0.0.1", [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]),
        ("1:2:3:4:5:6:7:8", [1, 2, 3, 4, 5, 6, 7, 8]),
        ("1::8", [1, 0, 0, 0, 0, 0, 0, 8]),
        ("1:2:3:4:5:6:1.2.3.4", [1, 2, 3, 4, 5, 6, 0x102, 0x304]),
        ("FE80::1", [0xfe80, 0, 0, 0, 0, 0, 0, 1]),
    ] {
        assert_eq!(parse_ipv6(text), Some(groups), "{text}");
    }
    for bad in [
        "",
        ":",
        ":::",
        "1::2::3",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7::8",
        "12345::",
        "g::1",
        "::1.2.3",
        "::1.2.3.256",
        "::01.2.3.4",
        "1.2.3.4::",
        "::ffff:1.2.3.4:1",
        "fe80::1%eth0",
    ] {
        assert_eq!(parse_ipv6(bad), None, "{bad}");
    }
}
