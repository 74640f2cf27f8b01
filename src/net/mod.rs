//! Which network addresses storage may live at: the SSRF guard.
//!
//! An admin types the endpoint, and the sidecar, not WordPress, opens the
//! connection, so WordPress's own outbound checks never see it. Without a
//! rule here, Test Connection would answer "refused", "timeout" or an HTTP
//! status for any host and port the web server can reach: a port scanner
//! for the internal network and a reader for cloud metadata services.
//!
//! * Link-local and cloud metadata addresses are refused always.
//! * Loopback, private and other non-public ranges are refused unless the
//!   storage object says `allowPrivateEndpoints` (a site running MinIO or
//!   Garage next to WordPress; the tests and the demo).
//! * IPv4 is read the way browsers and Node's URL parser read it (WHATWG):
//!   `2130706433`, `0x7f000001`, `0177.0.0.1` and `127.1` are all 127.0.0.1,
//!   and IPv6 forms that embed an IPv4 address are judged by that address.
//!
//! The same rule runs twice: on the endpoint URL (validate-settings and every
//! request the core builds) and, in the sidecar, on each address a host name
//! resolves to when the connection opens (`checkAddress`), so a name that
//! resolves to a private address, or changes its answer (DNS rebinding), is
//! refused too.

// pkg/web leaves the verdict to the server (its 100 KiB budget has no room
// for it): there check_host and parse_ipv4_host are no-ops, and the form is
// refused when saved.
#![cfg_attr(not(feature = "node"), allow(dead_code))]

use crate::error::{Error, ErrorCode, Result};

// Hand-written parsers instead of std::net's: the admin page's wasm build
// carries this module, and std's IPv6 parser and formatter cost it 4 KB
// gzipped of a budget with 2.5 KB left.

/// An IP address: IPv4 as a number, IPv6 as its eight 16-bit groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ip {
    /// IPv4, e.g. `0x7f000001` for 127.0.0.1.
    V4(u32),
    /// IPv6 groups, most significant first.
    V6([u16; 8]),
}

/// What kind of network an address belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Reachable on the internet: always allowed.
    Public,
    /// Loopback, private, shared, multicast or reserved: allowed only when
    /// the site allows private endpoints.
    Private,
    /// Link-local or a cloud metadata service: never allowed.
    LinkLocal,
}

/// The class of an IP address.
pub fn classify(ip: Ip) -> AddressClass {
    match ip {
        Ip::V4(v4) => classify_v4(v4),
        Ip::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: u32) -> AddressClass {
    match ip.to_be_bytes() {
        // 169.254/16 holds AWS, Azure, GCP and Oracle metadata; Alibaba's sits in 100.64/10.
        [169, 254, ..] | [100, 100, 100, 200] => AddressClass::LinkLocal,
        [0 | 10 | 127, ..] | [192, 168, ..] | [192, 0, 0, _] | [198, 18 | 19, ..] => {
            AddressClass::Private
        }
        [100, b, ..] if (64..128).contains(&b) => AddressClass::Private,
        [172, b, ..] if (16..32).contains(&b) => AddressClass::Private,
        // Multicast, reserved and broadcast: nothing storage should sit on.
        [a, ..] if a >= 224 => AddressClass::Private,
        _ => AddressClass::Public,
    }
}

/// The IPv4 address an IPv6 address carries and is routed to: mapped
/// (`::ffff:a.b.c.d`), compatible (`::a.b.c.d`), SIIT, NAT64 (`64:ff9b::/96`,
/// `64:ff9b:1::/48`) and 6to4 (`2002::/16`).
fn embedded_v4(s: [u16; 8]) -> Option<u32> {
    let low = |hi: u16, lo: u16| Some((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0, 0, 0, 0, 0, 0 | 0xffff, a, b] => low(a, b),
        [0, 0, 0, 0, 0xffff, 0, a, b] => low(a, b),
        [0x64, 0xff9b, 0, 0, 0, 0, a, b] => low(a, b),
        [0x64, 0xff9b, 1, ..] => low(s[6], s[7]),
        [0x2002, a, b, ..] => low(a, b),
        _ => None,
    }
}

fn classify_v6(s: [u16; 8]) -> AddressClass {
    if let Some(v4) = embedded_v4(s) {
        return classify_v4(v4);
    }
    if s[0] & 0xffc0 == 0xfe80 || (s[0] == 0xfd00 && s[1] == 0x0ec2) {
        AddressClass::LinkLocal
    } else if s[0] & 0xfe00 == 0xfc00 // unique local fc00::/7
        || s[0] & 0xffc0 == 0xfec0 // old site-local
        || s[0] & 0xff00 == 0xff00 // multicast
        || (s[0] == 0x100 && s[1..4] == [0, 0, 0])
    // discard prefix
    {
        AddressClass::Private
    } else {
        AddressClass::Public
    }
}

/// `text` as a number in `radix` (up to 16); `None` for an empty text or
/// a digit outside the radix. Too large saturates.
fn digits(text: &str, radix: u64) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0u64, |n, b| {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => 99,
        } as u64;
        (d < radix).then(|| n.saturating_mul(radix).saturating_add(d))
    })
}

/// Strict dotted-decimal IPv4 (`a.b.c.d`, no leading zeros), as resolvers
/// print it and as IPv6 embeds it.
fn parse_dotted(text: &str) -> Option<u32> {
    let mut value = 0u32;
    let mut parts = 0;
    for part in text.split('.') {
        let n = digits(part, 10)
            .filter(|n| *n <= 255 && (part.len() == 1 || !part.starts_with('0')))?;
        value = (value << 8) | n as u32;
        parts += 1;
    }
    (parts == 4).then_some(value)
}

/// Appends the groups of one side of `::` to `out[*n..]`.
fn v6_groups(part: &str, v4_last: bool, out: &mut [u16; 8], n: &mut usize) -> Option<()> {
    if part.is_empty() {
        return Some(());
    }
    let mut pieces = part.split(':').peekable();
    while let Some(p) = pieces.next() {
        let (hi, lo) = if v4_last && pieces.peek().is_none() && p.contains('.') {
            let v4 = parse_dotted(p)?;
            (Some((v4 >> 16) as u16), v4 as u16)
        } else if p.len() <= 4 {
            (None, digits(p, 16)? as u16)
        } else {
            return None;
        };
        for g in hi.into_iter().chain([lo]) {
            *out.get_mut(*n)? = g;
            *n += 1;
        }
    }
    Some(())
}

/// pkg/web: only the characters of an IPv6 literal are checked (budget).
#[cfg(not(feature = "node"))]
pub fn parse_ipv6(text: &str) -> Option<[u16; 8]> {
    (!text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.'))
    .then_some([0; 8])
}

/// An IPv6 literal without brackets or zone (`::1`, `fd00:ec2::254`,
/// `::ffff:127.0.0.1`).
#[cfg(feature = "node")]
pub fn parse_ipv6(text: &str) -> Option<[u16; 8]> {
    let mut head = [0u16; 8];
    let mut tail = [0u16; 8];
    let (mut h, mut t) = (0, 0);
    match text.split_once("::") {
        None => {
            v6_groups(text, true, &mut head, &mut h)?;
            (h == 8).then_some(head)
        }
        Some((left, right)) => {
            v6_groups(left, false, &mut head, &mut h)?;
            v6_groups(right, true, &mut tail, &mut t)?;
            if h + t > 7 || right.contains("::") {
                return None;
            }
            head[8 - t..].copy_from_slice(&tail[..t]);
            Some(head)
        }
    }
}

/// An address as a resolver prints it: dotted IPv4 or IPv6.
pub fn parse_ip(text: &str) -> Option<Ip> {
    parse_dotted(text)
        .map(Ip::V4)
        .or_else(|| parse_ipv6(text).map(Ip::V6))
}

/// Dotted-decimal text of an IPv4 number.
pub fn dotted(ip: u32) -> String {
    let [a, b, c, d] = ip.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

/// One WHATWG IPv4 part: decimal, `0x` hex or leading-zero octal. `None`
/// when it is not a number; too large saturates (and fails the range check).
fn ipv4_number(part: &str) -> Option<u64> {
    match part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
        Some("") => Some(0),
        Some(hex) => digits(hex, 16),
        None if part.len() > 1 && part.starts_with('0') => digits(&part[1..], 8),
        None => digits(part, 10),
    }
}

/// Reads a URL host the way the WHATWG URL parser does: `Ok(None)` for a
/// domain name, `Ok(Some(ip))` for anything that is an IPv4 address in some
/// spelling, and `Err` for a host that must be an IPv4 address (its last
/// label is a number) but is not a valid one, such as `256.1.1.1` or `09`.
#[cfg(feature = "node")]
#[allow(clippy::result_unit_err)]
pub fn parse_ipv4_host(host: &str) -> std::result::Result<Option<u32>, ()> {
    let host = host
        .strip_suffix('.')
        .filter(|h| !h.is_empty())
        .unwrap_or(host);
    let last = host.rsplit('.').next().unwrap_or("");
    let ends_in_number = digits(last, 10).is_some() || ipv4_number(last).is_some();
    if !ends_in_number {
        return Ok(None);
    }
    let mut numbers = [0u64; 4];
    let mut n = 0;
    for part in host.split('.') {
        *numbers.get_mut(n).ok_or(())? = ipv4_number(part).ok_or(())?;
        n += 1;
    }
    let (last, init) = (numbers[n - 1], &numbers[..n - 1]);
    if init.iter().any(|x| *x > 255) || last >> (8 * (5 - n)) != 0 {
        return Err(());
    }
    let value = init
        .iter()
        .enumerate()
        .fold(last, |v, (i, x)| v + (x << (8 * (3 - i))));
    Ok(Some(value as u32))
}

/// Why a host or address is refused, as the error message says it.
fn refused(what: &str, class: AddressClass) -> Error {
    let why = match class {
        AddressClass::LinkLocal => "a link-local/metadata address, which is never allowed",
        _ => "a private or loopback address, and this site does not allow private endpoints",
    };
    Error::new(
        ErrorCode::EndpointRefused,
        format!("the storage endpoint is refused: {what} {why}"),
    )
}

fn judge(class: AddressClass, allow_private: bool, what: &str) -> Result<()> {
    match class {
        AddressClass::Public => Ok(()),
        AddressClass::Private if allow_private => Ok(()),
        _ => Err(refused(what, class)),
    }
}

/// Checks a normalised URL host (`name`, `a.b.c.d` or `[v6]`, no port), as
/// `parse_endpoint_url` leaves it. Names other than `localhost` pass here:
/// the sidecar checks what they resolve to.
#[cfg(feature = "node")]
pub fn check_host(host: &str, allow_private: bool) -> Result<()> {
    let class = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        match parse_ipv6(v6) {
            Some(ip) => classify_v6(ip),
            None => return Ok(()), // the URL parser refuses it with a better message
        }
    } else if let Some(ip) = parse_dotted(host) {
        classify_v4(ip)
    } else if host == "localhost" || host.ends_with(".localhost") {
        // Browsers and many resolvers answer *.localhost with loopback themselves.
        AddressClass::Private
    } else {
        AddressClass::Public
    };
    judge(class, allow_private, &format!("{host} is"))
}

/// pkg/web: no verdict (see the module header).
#[cfg(not(feature = "node"))]
pub fn check_host(_host: &str, _allow_private: bool) -> Result<()> {
    Ok(())
}

/// pkg/web: hosts are kept as typed (see the module header).
#[cfg(not(feature = "node"))]
#[allow(clippy::result_unit_err)]
pub fn parse_ipv4_host(_host: &str) -> std::result::Result<Option<u32>, ()> {
    Ok(None)
}

/// Checks an address a host name resolved to (the sidecar's connect-time
/// check). `address` is a plain IPv4 or IPv6 literal as the resolver gives
/// it; anything else is a malformed call. The message names the host, not
/// the address it resolved to.
pub fn check_address(host: &str, address: &str, allow_private: bool) -> Result<()> {
    let ip = parse_ip(address.trim_start_matches('[').trim_end_matches(']')).ok_or_else(|| {
        Error::new(
            ErrorCode::InvalidArgument,
            "address must be an IPv4 or IPv6 literal",
        )
    })?;
    let what = if host.is_empty() || host == address {
        "the address is".to_owned()
    } else {
        format!("{host} resolves to")
    };
    judge(classify(ip), allow_private, &what)
}

#[cfg(test)]
mod tests;
