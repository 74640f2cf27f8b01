//! Object keys for signed-document backups, rendered from an admin template.
//! (Over 400 lines because of its tests: the code ends near line 410.)
//!
//! The default template gives keys like
//! `wpsigner/Service-Agreement_2024-01-31_42.pdf` (on a multisite network
//! `…_2024-01-31_3-42.pdf`, site 3). Admins may change it, e.g.
//! to `{path_prefix}{year}/{month}/{sanitized_title}_{document_id}.pdf`.
//!
//! Every input here (titles, user names, the prefix, the template itself) is
//! typed by someone, so the rendered key is normalised before it is returned:
//! no leading `/`, no empty, `.` or `..` segments (S3 would store them
//! literally, but many S3 consoles, sync tools and file systems would not),
//! no control characters, no backslashes, and at most 1024 bytes, shortening
//! the title first because it is the one part nobody relies on verbatim.

use crate::error::{invalid, ErrorCode, Result};
use crate::s3::validate::{validate_key, MAX_KEY_BYTES};
use crate::time::Timestamp;

/// Used when no template is configured.
pub const DEFAULT_TEMPLATE: &str = "{path_prefix}{sanitized_title}_{date}_{document_id}.pdf";
/// Used when no template is configured on a multisite network (the caller
/// passes a [`KeyInput::site`]): sites of one network may share a bucket and
/// prefix and their document ids overlap, so every key carries its site.
pub const DEFAULT_MULTISITE_TEMPLATE: &str =
    "{path_prefix}{sanitized_title}_{date}_{site}-{document_id}.pdf";
/// Used when no path prefix is configured. An empty prefix means "none".
pub const DEFAULT_PATH_PREFIX: &str = "wpsigner/";
/// Longest [`sanitize_title`] result, in characters.
pub const MAX_TITLE_CHARS: usize = 100;
/// What an empty or all-symbol title becomes.
const TITLE_FALLBACK: &str = "document";
/// What `{site}` becomes without a site id: a single site is site 1.
const SITE_FALLBACK: &str = "1";
/// Longest `{site}` (a WordPress blog id), in characters.
const MAX_SITE_CHARS: usize = 20;
/// Longest sanitised `{user}`, in characters.
const MAX_USER_CHARS: usize = 64;
/// What `{user}` becomes when there is no (usable) user, e.g. in WP-Cron.
const USER_FALLBACK: &str = "anonymous";
/// Document ids are never truncated (two ids must not collide), so the
/// limit is a hard error rather than a cut.
const MAX_DOCUMENT_ID_CHARS: usize = 64;

/// Everything one key is rendered from.
#[derive(Debug, Clone, Copy)]
pub struct KeyInput<'a> {
    /// The template; `None` means [`DEFAULT_TEMPLATE`].
    pub template: Option<&'a str>,
    /// Folder the keys go in; `None` means [`DEFAULT_PATH_PREFIX`], `Some("")` means none.
    pub path_prefix: Option<&'a str>,
    /// Document title; goes through [`sanitize_title`].
    pub title: &'a str,
    /// Document id, usually digits. Only ASCII letters, digits, `-` and `_` are kept.
    pub document_id: &'a str,
    /// Time for `{date}`, `{year}`, `{month}`, `{day}` (UTC).
    pub now: Timestamp,
    /// User name for `{user}`; sanitised like a title.
    pub user: Option<&'a str>,
    /// The site (WordPress blog id) on a multisite network, for `{site}`;
    /// `None` on a single site. Given, it also picks
    /// [`DEFAULT_MULTISITE_TEMPLATE`] when there is no template. ASCII letters
    /// and digits only.
    pub site: Option<&'a str>,
}

/// The placeholders a template may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    PathPrefix,
    SanitizedTitle,
    Date,
    Year,
    Month,
    Day,
    DocumentId,
    User,
    Site,
}

const TOKENS: [(&str, Token); 9] = [
    ("path_prefix", Token::PathPrefix),
    ("sanitized_title", Token::SanitizedTitle),
    ("date", Token::Date),
    ("year", Token::Year),
    ("month", Token::Month),
    ("day", Token::Day),
    ("document_id", Token::DocumentId),
    ("user", Token::User),
    ("site", Token::Site),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Token(Token),
}

/// A parsed key template: literal text and `{token}` placeholders.
///
/// Parse once with [`KeyTemplate::parse`] to validate an admin's input at save
/// time; [`render_key`] parses on every call, which is cheap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTemplate {
    parts: Vec<Part>,
}

impl KeyTemplate {
    /// Parses a template. Unknown tokens, `{` without `}` and stray `}` are
    /// [`ErrorCode::InvalidTemplate`] errors; there is no escape for literal braces.
    pub fn parse(template: &str) -> Result<Self> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err(template_error(template, "has a '}' without a matching '{'"));
            }
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let after = &rest[open + 1..];
            let close = match after.find(['{', '}']) {
                Some(i) if after[i..].starts_with('}') => i,
                _ => return Err(template_error(template, "has a '{' without a matching '}'")),
            };
            let name = &after[..close];
            let token = TOKENS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| *t)
                .ok_or_else(|| {
                    let known: Vec<String> =
                        TOKENS.iter().map(|(n, _)| format!("{{{n}}}")).collect();
                    template_error(
                        template,
                        &format!(
                            "uses the unknown token '{{{}}}'; known tokens are {}",
                            crate::s3::validate::shown(name),
                            known.join(" ")
                        ),
                    )
                })?;
            parts.push(Part::Token(token));
            rest = &after[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(KeyTemplate { parts })
    }

    /// Renders a key, normalised and checked with
    /// [`validate_key`](crate::s3::validate::validate_key). `input.template` is
    /// ignored here (this template is used).
    pub fn render(&self, input: &KeyInput<'_>) -> Result<String> {
        let uses = |t: Token| self.parts.contains(&Part::Token(t));
        let document_id = if uses(Token::DocumentId) {
            sanitize_document_id(input.document_id)?
        } else {
            String::new()
        };
        let site = match input.site {
            Some(site) if uses(Token::Site) => sanitize_site(site)?,
            _ => SITE_FALLBACK.to_string(),
        };
        let values = Values {
            prefix: sanitize_path_prefix(input.path_prefix.unwrap_or(DEFAULT_PATH_PREFIX)),
            title: sanitize_title(input.title),
            document_id,
            user: slug(input.user.unwrap_or(""), MAX_USER_CHARS)
                .unwrap_or_else(|| USER_FALLBACK.to_string()),
            site,
            now: input.now,
        };
        let key = normalize_key(&self.fill(&values, &values.title));
        if key.len() <= MAX_KEY_BYTES {
            return finish(key);
        }

        // Too long: cut the title by the overflow, shared among its uses.
        let title_uses = self
            .parts
            .iter()
            .filter(|p| **p == Part::Token(Token::SanitizedTitle))
            .count();
        let over = key.len() - MAX_KEY_BYTES;
        let cut = over.div_ceil(title_uses.max(1));
        let budget = values.title.len().saturating_sub(cut);
        let short = truncate_bytes(&values.title, budget).trim_end_matches('-');
        let key = normalize_key(&self.fill(&values, short));
        if title_uses == 0 || short.is_empty() || key.len() > MAX_KEY_BYTES {
            return Err(invalid(
                ErrorCode::InvalidTemplate,
                format!(
                    "the key would be longer than {MAX_KEY_BYTES} bytes even with a shortened \
                     title; use a shorter path prefix or template"
                ),
            ));
        }
        finish(key)
    }

    fn fill(&self, v: &Values, title: &str) -> String {
        let (year, month, day, ..) = v.now.civil();
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Token(Token::PathPrefix) => out.push_str(&v.prefix),
                Part::Token(Token::SanitizedTitle) => out.push_str(title),
                Part::Token(Token::Date) => out.push_str(&v.now.ymd()),
                Part::Token(Token::Year) => out.push_str(&format!("{year:04}")),
                Part::Token(Token::Month) => out.push_str(&format!("{month:02}")),
                Part::Token(Token::Day) => out.push_str(&format!("{day:02}")),
                Part::Token(Token::DocumentId) => out.push_str(&v.document_id),
                Part::Token(Token::User) => out.push_str(&v.user),
                Part::Token(Token::Site) => out.push_str(&v.site),
            }
        }
        out
    }
}

/// Already-sanitised token values.
struct Values {
    prefix: String,
    title: String,
    document_id: String,
    user: String,
    site: String,
    now: Timestamp,
}

fn template_error(template: &str, problem: &str) -> crate::Error {
    invalid(
        ErrorCode::InvalidTemplate,
        format!(
            "key template '{}' {problem}",
            crate::s3::validate::shown(template)
        ),
    )
}

fn finish(key: String) -> Result<String> {
    if key.is_empty() {
        return Err(invalid(
            ErrorCode::InvalidTemplate,
            "the key template renders an empty key",
        ));
    }
    validate_key(&key)?;
    Ok(key)
}

/// Renders the object key for one document. See [`KeyInput`] for defaults.
///
/// Errors: [`ErrorCode::InvalidTemplate`] for a bad template or a key that
/// cannot be made to fit in 1024 bytes; [`ErrorCode::InvalidArgument`] when
/// the template uses `{document_id}` and the id is unusable.
pub fn render_key(input: &KeyInput<'_>) -> Result<String> {
    let default = if input.site.is_some() {
        DEFAULT_MULTISITE_TEMPLATE
    } else {
        DEFAULT_TEMPLATE
    };
    KeyTemplate::parse(input.template.unwrap_or(default))?.render(input)
}

/// Turns a title into one safe key segment: `"Service Agreement"` →
/// `"Service-Agreement"`.
///
/// Letters and digits of any script are kept; every run of anything else
/// (spaces, punctuation, emoji, `/`, `.`) becomes one `-`, with none at either
/// end. At most [`MAX_TITLE_CHARS`] characters. A title with no letters or
/// digits becomes `"document"`. Applying it twice changes nothing.
pub fn sanitize_title(title: &str) -> String {
    slug(title, MAX_TITLE_CHARS).unwrap_or_else(|| TITLE_FALLBACK.to_string())
}

/// Letters/digits with `-` between runs; `None` when nothing is left.
fn slug(text: &str, max_chars: usize) -> Option<String> {
    let mut out = String::new();
    let mut count = 0;
    let mut gap = false;
    for c in text.chars() {
        let keep = if c.is_alphanumeric() {
            true
        } else {
            // Without NFC, `é` may arrive as `e` + U+0301; keep the mark on its letter.
            is_combining_mark(c) && !out.is_empty() && !gap
        };
        if !keep {
            gap = true;
            continue;
        }
        let need = if gap && !out.is_empty() { 2 } else { 1 };
        if count + need > max_chars {
            break;
        }
        if need == 2 {
            out.push('-');
        }
        out.push(c);
        count += need;
        gap = false;
    }
    (!out.is_empty()).then_some(out)
}

/// The main combining-diacritic blocks; a stand-in for Unicode category `Mn`.
fn is_combining_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// Makes a folder prefix out of admin input: `"/backups//./2024\\q1"` →
/// `"backups/2024/q1/"`.
///
/// Backslashes count as separators (Windows habits); control characters are
/// dropped; empty, `.` and `..` segments are removed, and each segment is
/// trimmed of surrounding whitespace. The result is empty or ends in exactly
/// one `/`, and never starts with one.
pub fn sanitize_path_prefix(prefix: &str) -> String {
    let cleaned: String = prefix
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    let mut out = String::new();
    for segment in cleaned.split('/').map(str::trim) {
        if !matches!(segment, "" | "." | "..") {
            out.push_str(segment);
            out.push('/');
        }
    }
    out
}

/// Keeps ASCII letters, digits, `-` and `_`, so an id can never add a
/// separator or a dot segment.
fn sanitize_document_id(id: &str) -> Result<String> {
    let kept: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if kept.is_empty() {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            format!(
                "document id '{}' has no letters or digits",
                crate::s3::validate::shown(id)
            ),
        ));
    }
    if kept.len() > MAX_DOCUMENT_ID_CHARS {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            format!("document id is longer than {MAX_DOCUMENT_ID_CHARS} characters"),
        ));
    }
    Ok(kept)
}

/// A site id as `{site}` renders it: never empty, never a separator, so two
/// sites never share keys.
fn sanitize_site(site: &str) -> Result<String> {
    if site.is_empty()
        || site.len() > MAX_SITE_CHARS
        || !site.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            format!(
                "site '{}' is not a site id (ASCII letters and digits, at most {MAX_SITE_CHARS})",
                crate::s3::validate::shown(site)
            ),
        ));
    }
    Ok(site.to_string())
}

/// Final pass over the whole key, since template literals are admin text
/// too: drop control characters, turn `\` into `/`, and remove empty, `.`
/// and `..` segments (which also removes a leading and trailing `/`).
fn normalize_key(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    cleaned
        .split('/')
        .filter(|s| !matches!(*s, "" | "." | ".."))
        .collect::<Vec<_>>()
        .join("/")
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
fn truncate_bytes(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse_iso8601("2024-03-05T10:20:30Z").unwrap()
    }

    fn input<'a>(template: Option<&'a str>, title: &'a str) -> KeyInput<'a> {
        KeyInput {
            template,
            path_prefix: None,
            title,
            document_id: "42",
            now: now(),
            user: None,
            site: None,
        }
    }

    #[test]
    fn default_template() {
        assert_eq!(
            render_key(&input(None, "Service Agreement")).unwrap(),
            "wpsigner/Service-Agreement_2024-03-05_42.pdf"
        );
    }

    #[test]
    fn year_month_template() {
        let t = "{path_prefix}{year}/{month}/{sanitized_title}_{document_id}.pdf";
        assert_eq!(
            render_key(&input(Some(t), "Service Agreement")).unwrap(),
            "wpsigner/2024/03/Service-Agreement_42.pdf"
        );
        let t = "{day}-{date}/{user}/{sanitized_title}";
        let mut i = input(Some(t), "x");
        i.user = Some("Jane Doe <admin>");
        assert_eq!(render_key(&i).unwrap(), "05-2024-03-05/Jane-Doe-admin/x");
        i.user = None;
        assert_eq!(render_key(&i).unwrap(), "05-2024-03-05/anonymous/x");
    }

    #[test]
    fn prefixes() {
        let mut i = input(None, "T");
        i.path_prefix = Some("");
        assert_eq!(render_key(&i).unwrap(), "T_2024-03-05_42.pdf");
        i.path_prefix = Some("backups");
        assert_eq!(render_key(&i).unwrap(), "backups/T_2024-03-05_42.pdf");
        i.path_prefix = Some("/../a//./b\\..\\c\u{0}/ ");
        assert_eq!(render_key(&i).unwrap(), "a/b/c/T_2024-03-05_42.pdf");
        assert_eq!(
            sanitize_path_prefix("/backups//./2024\\q1"),
            "backups/2024/q1/"
        );
        assert_eq!(sanitize_path_prefix("../.."), "");
    }

    #[test]
    fn titles() {
        assert_eq!(sanitize_title("Service Agreement"), "Service-Agreement");
        assert_eq!(sanitize_title("  --Hello,   World!!  "), "Hello-World");
        assert_eq!(sanitize_title("Vertrag für Müller"), "Vertrag-für-Müller");
        assert_eq!(sanitize_title("契約書 2024"), "契約書-2024");
        assert_eq!(sanitize_title("e\u{301}te\u{301}"), "e\u{301}te\u{301}");
        assert_eq!(sanitize_title("../../etc/passwd"), "etc-passwd");
        assert_eq!(sanitize_title("🎉🎉"), "document");
        assert_eq!(sanitize_title(""), "document");
        let long = sanitize_title(&"ab ".repeat(200));
        assert!(long.chars().count() <= MAX_TITLE_CHARS);
        assert!(!long.ends_with('-'));
        for t in ["Service Agreement", "a-b", &"é ".repeat(99)] {
            let once = sanitize_title(t);
            assert_eq!(sanitize_title(&once), once);
        }
    }

    #[test]
    fn template_errors() {
        for bad in [
            "{nope}",
            "{date",
            "date}",
            "{{date}}",
            "{sanitized_title",
            "}{",
        ] {
            let err = render_key(&input(Some(bad), "x")).expect_err(bad);
            assert_eq!(err.code(), ErrorCode::InvalidTemplate, "{bad}");
        }
        let err = KeyTemplate::parse("{titel}").unwrap_err();
        assert!(err.message().contains("{titel}") && err.message().contains("{sanitized_title}"));
        for empty in ["", "/", "./..//", "\u{1}"] {
            let err = render_key(&input(Some(empty), "x")).expect_err(empty);
            assert_eq!(err.code(), ErrorCode::InvalidTemplate);
        }
    }

    #[test]
    fn literals_are_normalized() {
        let t = "/{path_prefix}/../{sanitized_title}//./{document_id}\t.pdf";
        assert_eq!(
            render_key(&input(Some(t), "A")).unwrap(),
            "wpsigner/A/42.pdf"
        );
    }

    #[test]
    fn document_ids() {
        let mut i = input(None, "T");
        i.document_id = "../12/34";
        assert_eq!(render_key(&i).unwrap(), "wpsigner/T_2024-03-05_1234.pdf");
        i.document_id = "../";
        assert_eq!(
            render_key(&i).unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
        // Unused, so an unusable id does not matter.
        i.template = Some("{sanitized_title}.pdf");
        assert_eq!(render_key(&i).unwrap(), "T.pdf");
    }

    #[test]
    fn sites() {
        let mut i = input(None, "Service Agreement");
        i.site = Some("7");
        assert_eq!(
            render_key(&i).unwrap(),
            "wpsigner/Service-Agreement_2024-03-05_7-42.pdf",
            "the multisite default carries the site"
        );
        let mut other = i;
        other.site = Some("74");
        other.document_id = "2";
        assert_ne!(render_key(&i).unwrap(), render_key(&other).unwrap());
        i.template = Some("{site}/{document_id}.pdf");
        assert_eq!(render_key(&i).unwrap(), "7/42.pdf");
        i.site = None;
        assert_eq!(
            render_key(&i).unwrap(),
            "1/42.pdf",
            "a single site is site 1"
        );
        i.template = None;
        assert_eq!(
            render_key(&i).unwrap(),
            "wpsigner/Service-Agreement_2024-03-05_42.pdf"
        );
        let long = "9".repeat(21);
        for bad in ["", "../2", "2/3", "a b", &long] {
            i.site = Some(bad);
            assert_eq!(
                render_key(&i).unwrap_err().code(),
                ErrorCode::InvalidArgument,
                "{bad:?}"
            );
        }
        // Unused, so an unusable site does not matter.
        i.template = Some("{document_id}.pdf");
        assert_eq!(render_key(&i).unwrap(), "42.pdf");
    }

    #[test]
    fn long_keys_shorten_the_title() {
        let prefix = "p".repeat(900);
        let mut i = input(None, "");
        i.path_prefix = Some(&prefix);
        let title = "ü".repeat(100);
        i.title = &title;
        let key = render_key(&i).unwrap();
        assert!(key.len() <= MAX_KEY_BYTES, "{}", key.len());
        assert!(key.ends_with("_2024-03-05_42.pdf"));
        let twice = "{path_prefix}{sanitized_title}/{sanitized_title}.pdf";
        i.template = Some(twice);
        assert!(render_key(&i).unwrap().len() <= MAX_KEY_BYTES);
        let huge = "p".repeat(1100);
        i.path_prefix = Some(&huge);
        assert_eq!(
            render_key(&i).unwrap_err().code(),
            ErrorCode::InvalidTemplate
        );
    }
}
