//! Percent-encoding as SigV4 defines it: RFC 3986 unreserved characters stay,
//! every other byte of the UTF-8 form becomes `%XX` with upper-case hex.

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Appends `input` encoded. Runs of bytes that stay are copied as one slice
/// (the hot path of presigning: keys are mostly unreserved characters).
fn encode_into(out: &mut String, input: &[u8], keep_slash: bool) {
    let mut run = 0;
    for (i, &b) in input.iter().enumerate() {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            continue;
        }
        push_ascii(out, &input[run..i]);
        out.push('%');
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 0xf) as usize] as char);
        run = i + 1;
    }
    push_ascii(out, &input[run..]);
}

/// Appends bytes known to be ASCII (unreserved characters and `/`).
fn push_ascii(out: &mut String, bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        out.push_str(text);
    }
}

/// Appends an encoded path (`/` stays) to `out`.
pub(crate) fn push_path(out: &mut String, input: &str) {
    encode_into(out, input.as_bytes(), true);
}

/// Appends an encoded query name or value (`/` escaped) to `out`.
pub(crate) fn push_query(out: &mut String, input: &str) {
    encode_into(out, input.as_bytes(), false);
}

/// Appends the lower-case hex of `bytes` to `out`.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(LOWER[(b >> 4) as usize] as char);
        out.push(LOWER[(b & 0xf) as usize] as char);
    }
}

/// Encodes an object key or path: `/` stays, everything else but unreserved is escaped.
pub fn encode_path(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 8);
    encode_into(&mut out, input.as_bytes(), true);
    out
}

/// Encodes a query-string name or value: `/` is escaped too, space is `%20`.
pub fn encode_query_component(input: &str) -> String {
    encode_query_bytes(input.as_bytes())
}

pub(crate) fn encode_query_bytes(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len() + 8);
    encode_into(&mut out, input, false);
    out
}

/// Decodes `%XX` escapes; malformed escapes are kept literally, and `+` stays `+`
/// (SigV4 never treats `+` as a space).
pub fn percent_decode(input: &str) -> Vec<u8> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hi = (bytes[i + 1] as char).to_digit(16);
            let lo = (bytes[i + 2] as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Lower-case hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(&mut s, bytes);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_s3_docs() {
        assert_eq!(
            encode_path("a b/+%*!'()é~"),
            "a%20b/%2B%25%2A%21%27%28%29%C3%A9~"
        );
        assert_eq!(encode_query_component("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn decodes_and_tolerates_bad_escapes() {
        assert_eq!(percent_decode("%E1%88%B4+%2"), "ሴ+%2".as_bytes());
        assert_eq!(percent_decode("%zz%41"), b"%zzA");
    }
}
