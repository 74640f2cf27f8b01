//! Whether what reached the bucket is what the intent allowed.

use super::shape::PartPlan;
use crate::error::{invalid, ErrorCode, Result};

/// What a HEAD of the uploaded object said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored<'a> {
    /// Content-Length.
    pub size: Option<u64>,
    /// Content-Type.
    pub content_type: Option<&'a str>,
}

/// The verdict on a confirmed upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The object is what was announced.
    Matches,
    /// No object under the key (not uploaded yet, or already cleaned up).
    Missing,
    /// Present but different: it must be deleted. `reason` is `size` or `type`.
    Mismatch {
        /// `size` or `type`.
        reason: &'static str,
        /// English explanation.
        message: String,
    },
}

fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Compares a HEAD answer (`None`: 404) with the intent's size and type.
/// Types compare by their `type/subtype` essence, case-insensitively.
pub fn check_stored(
    expected_size: u64,
    expected_type: &str,
    stored: Option<&Stored<'_>>,
) -> Verdict {
    let Some(stored) = stored else {
        return Verdict::Missing;
    };
    if stored.size != Some(expected_size) {
        return Verdict::Mismatch {
            reason: "size",
            message: format!(
                "The stored file has {} bytes, but {expected_size} were announced.",
                stored
                    .size
                    .map_or("an unknown number of".to_owned(), |s| s.to_string())
            ),
        };
    }
    let got = stored.content_type.map(essence).unwrap_or_default();
    if got != essence(expected_type) {
        return Verdict::Mismatch {
            reason: "type",
            message: format!(
                "The stored file is of type '{got}', but '{}' was announced.",
                essence(expected_type)
            ),
        };
    }
    Verdict::Matches
}

/// One part as ListParts reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPart {
    /// 1-based part number.
    pub number: u64,
    /// Bytes stored.
    pub size: u64,
    /// ETag, as S3 returned it.
    pub etag: String,
}

/// The `(number, etag)` list to complete a `size`-byte upload with, checked
/// against the layout: every part present, each of its exact length, none
/// beyond the last. The server completes from ListParts, so the browser
/// never needs to read ETags (no CORS `ExposeHeaders` needed) and cannot
/// pass someone else's.
pub fn completion_parts(size: u64, listed: &[ListedPart]) -> Result<Vec<(u64, String)>> {
    let plan = PartPlan::new(size, None)?;
    let mut out = Vec::with_capacity(plan.part_count as usize);
    let mut missing = Vec::new();
    for number in 1..=plan.part_count {
        let want = plan.part_length(size, number)?;
        match listed.iter().find(|p| p.number == number) {
            Some(p) if p.size == want => out.push((number, p.etag.clone())),
            Some(p) => {
                return Err(invalid(
                    ErrorCode::InvalidArgument,
                    format!("part {number} holds {} bytes, expected {want}", p.size),
                ))
            }
            None => missing.push(number),
        }
    }
    if let Some(extra) = listed.iter().find(|p| p.number > plan.part_count) {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            format!(
                "part {} is beyond the last part ({})",
                extra.number, plan.part_count
            ),
        ));
    }
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(10).map(u64::to_string).collect();
        return Err(invalid(
            ErrorCode::InvalidArgument,
            format!(
                "{} of {} parts are not uploaded yet (e.g. {})",
                missing.len(),
                plan.part_count,
                shown.join(", ")
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn verdicts() {
        let ok = Stored {
            size: Some(10),
            content_type: Some("application/pdf"),
        };
        assert_eq!(
            check_stored(10, "application/pdf", Some(&ok)),
            Verdict::Matches
        );
        assert_eq!(
            check_stored(
                10,
                "Application/PDF",
                Some(&Stored {
                    content_type: Some("application/pdf; charset=binary"),
                    ..ok.clone()
                })
            ),
            Verdict::Matches
        );
        assert_eq!(check_stored(10, "x/y", None), Verdict::Missing);
        assert!(matches!(
            check_stored(11, "application/pdf", Some(&ok)),
            Verdict::Mismatch { reason: "size", .. }
        ));
        assert!(matches!(
            check_stored(10, "image/png", Some(&ok)),
            Verdict::Mismatch { reason: "type", .. }
        ));
        let none = Stored {
            size: None,
            content_type: None,
        };
        assert!(matches!(
            check_stored(10, "image/png", Some(&none)),
            Verdict::Mismatch { reason: "size", .. }
        ));
    }

    #[test]
    fn completion_needs_every_part_at_its_length() {
        let size = 40 * MIB;
        let part = |number, size| ListedPart {
            number,
            size,
            etag: format!("\"e{number}\""),
        };
        let full = [part(3, 8 * MIB), part(1, 16 * MIB), part(2, 16 * MIB)];
        assert_eq!(
            completion_parts(size, &full).unwrap(),
            vec![
                (1, "\"e1\"".to_owned()),
                (2, "\"e2\"".to_owned()),
                (3, "\"e3\"".to_owned())
            ]
        );
        assert!(completion_parts(size, &full[..2])
            .unwrap_err()
            .message()
            .contains("1 of 3"));
        assert!(completion_parts(
            size,
            &[part(1, 16 * MIB), part(2, 16 * MIB), part(3, 9 * MIB)]
        )
        .is_err());
        assert!(completion_parts(
            size,
            &[
                full[0].clone(),
                full[1].clone(),
                full[2].clone(),
                part(4, 1)
            ]
        )
        .is_err());
    }
}
