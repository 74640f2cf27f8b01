//! `Content-Disposition` values for downloads (RFC 6266 with RFC 5987 encoding).
//! (Over 400 lines because of its tests: the code ends near line 260.)
//!
//! A presigned GET can carry `response-content-disposition`, so the browser
//! saves a signed PDF under a readable name instead of the object key. Names
//! come from document titles, which are often not ASCII, so we send both forms:
//!
//! * `filename="…"`: an ASCII fallback for old clients, which treat the
//!   quoted string as Latin-1 at best;
//! * `filename*=UTF-8''…`: the real name, percent-encoded. Every current browser
//!   prefers it when present.

use crate::error::{invalid, ErrorCode, Result};

/// Whether the browser should save the file or show it in the tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Disposition {
    /// Save to disk (`attachment`).
    #[default]
    Attachment,
    /// Display in the browser when it can (`inline`).
    Inline,
}

impl Disposition {
    /// The header token: `"attachment"` or `"inline"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Attachment => "attachment",
            Disposition::Inline => "inline",
        }
    }

    /// Parses `"attachment"` or `"inline"` (any case), as JS callers send it.
    pub fn from_name(name: &str) -> Result<Self> {
        if name.eq_ignore_ascii_case("attachment") {
            Ok(Disposition::Attachment)
        } else if name.eq_ignore_ascii_case("inline") {
            Ok(Disposition::Inline)
        } else {
            Err(invalid(
                ErrorCode::InvalidArgument,
                format!(
                    "disposition must be 'attachment' or 'inline', not '{}'",
                    crate::s3::validate::shown(name)
                ),
            ))
        }
    }
}

/// Used when nothing printable is left of the given name.
const FALLBACK_NAME: &str = "download";

/// Builds a `Content-Disposition` value such as
/// `attachment; filename="Vertrag.pdf"; filename*=UTF-8''Vertr%C3%A4g.pdf`.
///
/// Control characters and path separators are removed first (a name must never
/// smuggle in a directory or a header break). `filename*` is left out when the
/// name is plain ASCII that survives the quoted form unchanged. Never fails:
/// an empty name becomes `download`.
pub fn content_disposition(filename: &str, disposition: Disposition) -> String {
    // A page of download links builds one value per link: names that
    // cleaning and the ASCII fallback would leave as they are skip both.
    if is_clean_ascii(filename) {
        return assemble(filename, filename, disposition);
    }
    general(filename, disposition)
}

/// The full path: clean, fall back to ASCII, assemble.
fn general(filename: &str, disposition: Disposition) -> String {
    let cleaned = clean(filename);
    let name = if cleaned.is_empty() {
        FALLBACK_NAME
    } else {
        cleaned.as_str()
    };
    assemble(name, &ascii_fallback(name), disposition)
}

/// Whether `clean` and `ascii_fallback` both return `filename` unchanged:
/// printable ASCII without path separators, no leading dot or space, no
/// trailing space, short enough, and a stem with a letter or digit.
fn is_clean_ascii(filename: &str) -> bool {
    let b = filename.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    let stem = match filename.rfind('.') {
        Some(dot) if dot > 0 => &b[..dot],
        _ => b,
    };
    b.len() <= MAX_NAME_CHARS
        && first != b'.'
        && first != b' '
        && last != b' '
        && b.iter()
            .all(|&c| (0x20..0x7f).contains(&c) && c != b'/' && c != b'\\')
        && stem.iter().any(u8::is_ascii_alphanumeric)
}

/// `<disposition>; filename="<fallback>"`, and `filename*` unless the name is
/// plain ASCII that survives the quoted form unchanged.
fn assemble(name: &str, fallback: &str, disposition: Disposition) -> String {
    let mut value = String::with_capacity(24 + fallback.len() + 3 * name.len());
    value.push_str(disposition.as_str());
    value.push_str("; filename=\"");
    push_quote_escaped(&mut value, fallback);
    value.push('"');
    let plain = name == fallback && name.bytes().all(|b| is_attr_char(b) || b == b' ');
    if !plain {
        value.push_str("; filename*=UTF-8''");
        push_percent_encoded(&mut value, name);
    }
    value
}

/// Longest name kept, in characters: file systems stop at 255 bytes, and a
/// header several kilobytes long gets the whole response rejected by proxies.
const MAX_NAME_CHARS: usize = 150;
/// An extension longer than this is treated as part of the name when shortening.
const MAX_EXTENSION_CHARS: usize = 10;

/// Drops control characters (C0, DEL, C1) and path separators, trims the
/// whitespace and leading dots that would make a hidden or odd-looking file,
/// and shortens long names while keeping their extension.
fn clean(filename: &str) -> String {
    let kept: String = filename
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .collect();
    let name = kept.trim().trim_start_matches('.').trim_start();
    if name.chars().count() <= MAX_NAME_CHARS {
        return name.to_string();
    }
    let ext = match name.rfind('.') {
        Some(dot) if name[dot..].chars().count() <= MAX_EXTENSION_CHARS => &name[dot..],
        _ => "",
    };
    let stem: String = name
        .chars()
        .take(MAX_NAME_CHARS - ext.chars().count())
        .collect();
    format!("{}{ext}", stem.trim_end())
}

/// ASCII-only version of an already cleaned name. Common accented Latin
/// letters lose their accent (`é` → `e`); anything else becomes `_`, with runs
/// collapsed so a CJK title does not turn into a row of underscores.
fn ascii_fallback(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii() {
            out.push(c);
        } else if let Some(t) = transliterate(c) {
            out.push_str(t);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    // `_.pdf` says nothing; `download.pdf` at least says what to expect.
    let (stem, ext) = match out.rfind('.') {
        Some(dot) if dot > 0 => out.split_at(dot),
        _ => (out.as_str(), ""),
    };
    if !stem.bytes().any(|b| b.is_ascii_alphanumeric()) {
        let ext_ok = ext.len() > 1 && ext[1..].bytes().all(|b| b.is_ascii_alphanumeric());
        return format!("{FALLBACK_NAME}{}", if ext_ok { ext } else { "" });
    }
    out
}

/// ASCII stand-ins for the non-ASCII characters titles most often contain.
fn transliterate(c: char) -> Option<&'static str> {
    let lower = c.to_lowercase().next().unwrap_or(c);
    let t = match lower {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' => "i",
        'ł' | 'ľ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ť' | 'ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'þ' => "th",
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '«' | '»' => "'",
        '\u{2010}'..='\u{2015}' => "-",
        '\u{2026}' => "...",
        '\u{00A0}' | '\u{2002}'..='\u{200A}' => " ",
        _ => return None,
    };
    // Upper-case input gets an upper-case stand-in (`É` → `E`, `Æ` → `AE`).
    if c != lower {
        return Some(match t {
            "a" => "A",
            "c" => "C",
            "d" => "D",
            "e" => "E",
            "g" => "G",
            "i" => "I",
            "l" => "L",
            "n" => "N",
            "o" => "O",
            "r" => "R",
            "s" => "S",
            "t" => "T",
            "u" => "U",
            "y" => "Y",
            "z" => "Z",
            "ae" => "AE",
            "oe" => "OE",
            "th" => "TH",
            other => other,
        });
    }
    Some(t)
}

/// Backslash-escapes `"` and `\` for an RFC 7230 quoted-string.
fn push_quote_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
}

/// RFC 5987 `attr-char`: the bytes that may appear unencoded in `filename*`.
fn is_attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
        )
}

/// Percent-encodes every UTF-8 byte that is not an `attr-char`, upper-case hex.
fn push_percent_encoded(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if is_attr_char(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 0x0f) as usize] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut for clean ASCII names gives what the full path gives, on
    /// every name near its edges (and the full path still runs for the rest).
    #[test]
    fn clean_ascii_shortcut_equals_the_full_path() {
        let long = "a".repeat(MAX_NAME_CHARS);
        let longer = format!("{long}.pdf");
        let names = [
            "report.pdf",
            "a1b2c3d4_report final (v2).pdf",
            "x",
            "Q3 \"final\".pdf",
            "a\\b.pdf",
            "a/b.pdf",
            ".hidden",
            "..pdf",
            " lead.pdf",
            "trail.pdf ",
            "_.pdf",
            "(1).pdf",
            "___",
            "-.-",
            ".",
            "",
            "a.",
            "semi;colon=1.pdf",
            "tab\tname.pdf",
            "del\u{7f}.pdf",
            "ü.pdf",
            long.as_str(),
            longer.as_str(),
            "~!#$&+^`|.txt",
            "100%.pdf",
        ];
        for name in names {
            for d in [Disposition::Attachment, Disposition::Inline] {
                assert_eq!(content_disposition(name, d), general(name, d), "{name:?}");
            }
        }
        assert!(is_clean_ascii("a1b2c3d4_report final (v2).pdf"));
        for not_clean in [".hidden", " a", "a ", "_.pdf", "a/b", "ü", "", &longer] {
            assert!(!is_clean_ascii(not_clean), "{not_clean:?}");
        }
    }

    proptest::proptest! {
        /// The same, for arbitrary names made mostly of the bytes the
        /// shortcut looks at.
        #[test]
        fn shortcut_equals_full_path_for_any_name(name in "[ -~]{0,160}|[ ./\\\\_a(é\u{1}]{0,8}") {
            proptest::prop_assert_eq!(
                content_disposition(&name, Disposition::Attachment),
                general(&name, Disposition::Attachment)
            );
        }
    }

    fn attach(name: &str) -> String {
        content_disposition(name, Disposition::Attachment)
    }

    #[test]
    fn plain_ascii_needs_only_filename() {
        assert_eq!(attach("report.pdf"), "attachment; filename=\"report.pdf\"");
        assert_eq!(
            content_disposition("Service Agreement.pdf", Disposition::Inline),
            "inline; filename=\"Service Agreement.pdf\""
        );
    }

    #[test]
    fn accented_latin_is_transliterated() {
        assert_eq!(
            attach("Résumé Müller.pdf"),
            "attachment; filename=\"Resume Muller.pdf\"; \
             filename*=UTF-8''R%C3%A9sum%C3%A9%20M%C3%BCller.pdf"
        );
        assert_eq!(
            attach("ÉTÉ Straße.pdf"),
            "attachment; filename=\"ETE Strasse.pdf\"; \
             filename*=UTF-8''%C3%89T%C3%89%20Stra%C3%9Fe.pdf"
        );
    }

    #[test]
    fn cjk_and_emoji_fall_back_to_underscores_or_download() {
        assert_eq!(
            attach("契約書.pdf"),
            "attachment; filename=\"download.pdf\"; \
             filename*=UTF-8''%E5%A5%91%E7%B4%84%E6%9B%B8.pdf"
        );
        assert_eq!(
            attach("Contract 🎉 final.pdf"),
            "attachment; filename=\"Contract _ final.pdf\"; \
             filename*=UTF-8''Contract%20%F0%9F%8E%89%20final.pdf"
        );
        assert_eq!(
            attach("🎉"),
            "attachment; filename=\"download\"; filename*=UTF-8''%F0%9F%8E%89"
        );
    }

    #[test]
    fn quotes_are_escaped_and_encoded() {
        assert_eq!(
            attach("My \"best\" deal.pdf"),
            "attachment; filename=\"My \\\"best\\\" deal.pdf\"; \
             filename*=UTF-8''My%20%22best%22%20deal.pdf"
        );
        assert_eq!(
            attach("O\u{2019}Brien.pdf"),
            "attachment; filename=\"O'Brien.pdf\"; filename*=UTF-8''O%E2%80%99Brien.pdf"
        );
    }

    #[test]
    fn strips_controls_and_path_separators() {
        assert_eq!(
            attach("../../etc/passwd"),
            "attachment; filename=\"etcpasswd\""
        );
        assert_eq!(
            attach("a\r\nSet-Cookie: x.pdf"),
            "attachment; filename=\"aSet-Cookie: x.pdf\"; filename*=UTF-8''aSet-Cookie%3A%20x.pdf"
        );
        assert_eq!(
            attach("C:\\docs\\a.pdf"),
            "attachment; filename=\"C:docsa.pdf\"; filename*=UTF-8''C%3Adocsa.pdf"
        );
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.pdf", "a".repeat(500));
        let value = attach(&long);
        assert_eq!(
            value,
            format!("attachment; filename=\"{}.pdf\"", "a".repeat(146))
        );
        let no_ext = attach(&"é".repeat(500));
        assert!(no_ext.contains(&"e".repeat(150)) && !no_ext.contains(&"e".repeat(151)));
    }

    #[test]
    fn empty_becomes_download() {
        assert_eq!(attach(""), "attachment; filename=\"download\"");
        assert_eq!(attach(" \t/\\ "), "attachment; filename=\"download\"");
    }

    #[test]
    fn percent_sign_is_encoded() {
        assert_eq!(
            attach("100%.pdf"),
            "attachment; filename=\"100%.pdf\"; filename*=UTF-8''100%25.pdf"
        );
    }

    #[test]
    fn parses_disposition_names() {
        assert_eq!(Disposition::from_name("INLINE"), Ok(Disposition::Inline));
        assert_eq!(
            Disposition::from_name("attachment"),
            Ok(Disposition::Attachment)
        );
        assert_eq!(
            Disposition::from_name("form-data").unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
    }
}
