//! Object keys of browser uploads.
//!
//! Every upload lands under its owner's prefix, `uploads/{user_id}/`, so
//! ownership can be checked from the key alone and an IAM or lifecycle rule
//! can name the folder. The random part makes keys unguessable and unique;
//! the safe name keeps them readable in a bucket listing.

use crate::error::{invalid, ErrorCode, Result};
use crate::s3::validate::validate_key;

/// The folder every browser upload goes to.
pub const UPLOADS_ROOT: &str = "uploads/";

/// Length of the random part, in hex digits (64 bits).
pub const RANDOM_HEX_LEN: usize = 16;

/// Longest safe name, in bytes; the original name is kept elsewhere.
pub const MAX_SAFE_NAME_BYTES: usize = 120;

/// Name used when nothing usable is left of the original.
const FALLBACK_NAME: &str = "file";

/// `uploads/{user_id}/`.
pub fn user_prefix(user_id: u64) -> Result<String> {
    if user_id == 0 {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            "user id must be a positive integer (uploads need a logged-in user)",
        ));
    }
    Ok(format!("{UPLOADS_ROOT}{user_id}/"))
}

/// Builds `uploads/{user_id}/{random}_{safe name}`.
///
/// `random` must be exactly 16 lower-case hex digits from a CSPRNG.
pub fn upload_key(user_id: u64, random: &str, filename: &str) -> Result<String> {
    let prefix = user_prefix(user_id)?;
    if random.len() != RANDOM_HEX_LEN
        || !random
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            format!("random must be {RANDOM_HEX_LEN} lower-case hex digits"),
        ));
    }
    let key = format!("{prefix}{random}_{}", safe_name(filename));
    validate_key(&key)?;
    Ok(key)
}

/// Whether `key` lies in the user's own upload folder (directly, no deeper).
pub fn key_belongs_to(user_id: u64, key: &str) -> bool {
    let Ok(prefix) = user_prefix(user_id) else {
        return false;
    };
    key.strip_prefix(&prefix)
        .is_some_and(|rest| !rest.is_empty() && !rest.contains('/') && validate_key(key).is_ok())
}

/// A file name that is safe as the last segment of a key and in a URL.
///
/// Keeps letters and digits of any script, `.`, `-` and `_`; everything else
/// (spaces, slashes, quotes, control and format characters such as the
/// right-to-left override) becomes `-`, runs of `-` collapse, and leading dots
/// go (no hidden files, no `..`). Long names are cut at a character boundary,
/// keeping the extension. Never empty.
pub fn safe_name(filename: &str) -> String {
    // Browsers send a bare name, but some (and scripts) send a path.
    let base = filename.rsplit(['/', '\\']).next().unwrap_or("");
    let mut out = String::with_capacity(base.len());
    for c in base.chars() {
        let keep = c.is_alphanumeric() || matches!(c, '.' | '-' | '_');
        let c = if keep { c } else { '-' };
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    let trimmed = out
        .trim_start_matches(['.', '-'])
        .trim_end_matches(['-', '.']);
    let name = if trimmed.is_empty() {
        FALLBACK_NAME.to_owned()
    } else {
        trimmed.to_owned()
    };
    shorten(&name)
}

fn shorten(name: &str) -> String {
    if name.len() <= MAX_SAFE_NAME_BYTES {
        return name.to_owned();
    }
    let ext = match name.rfind('.') {
        Some(i) if name.len() - i <= 16 && i > 0 => &name[i..],
        _ => "",
    };
    let mut stem_end = MAX_SAFE_NAME_BYTES - ext.len();
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    format!("{}{ext}", &name[..stem_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_rule() {
        assert_eq!(
            upload_key(7, "0123456789abcdef", "Report 2024.pdf").unwrap(),
            "uploads/7/0123456789abcdef_Report-2024.pdf"
        );
        for bad in ["0123456789ABCDEF", "0123", "0123456789abcdeg", ""] {
            assert!(upload_key(7, bad, "a.pdf").is_err(), "{bad}");
        }
        assert!(upload_key(0, "0123456789abcdef", "a.pdf").is_err());
    }

    #[test]
    fn safe_names() {
        let cases = [
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\me\\cv.pdf", "cv.pdf"),
            ("Vertrag für Müller.pdf", "Vertrag-für-Müller.pdf"),
            ("a\"b;c\r\nd.png", "a-b-c-d.png"),
            ("evil\u{202e}fdp.exe", "evil-fdp.exe"),
            ("...", "file"),
            ("", "file"),
            (".htaccess", "htaccess"),
            ("名前.jpg", "名前.jpg"),
            ("a  +  b.gif", "a-b.gif"),
        ];
        for (input, want) in cases {
            assert_eq!(safe_name(input), want, "{input:?}");
        }
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.pdf", "é".repeat(200));
        let s = safe_name(&long);
        assert!(s.len() <= MAX_SAFE_NAME_BYTES);
        assert!(s.ends_with(".pdf"));
    }

    #[test]
    fn ownership_from_the_key() {
        assert!(key_belongs_to(7, "uploads/7/0123456789abcdef_a.pdf"));
        for other in [
            "uploads/70/0123456789abcdef_a.pdf",
            "uploads/7/",
            "uploads/7/x/y.pdf",
            "uploads/7/../8/a.pdf",
            "Uploads/7/a.pdf",
            "wpsigner/a.pdf",
        ] {
            assert!(!key_belongs_to(7, other), "{other}");
        }
        assert!(!key_belongs_to(0, "uploads/0/a"));
    }
}
