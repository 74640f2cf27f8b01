//! Which files an upload may read: the containment rule for allowed roots.
//!
//! The caller resolves both sides first (symlinks followed, `.`/`..` gone:
//! PHP's `realpath()` for the path it passes, the sidecar's view of the file
//! it actually opened), because only the file system knows where a link
//! leads. What stays here is the comparison, which is easy to get subtly
//! wrong as string prefixes: `/srv/uploads-old/x` is not inside
//! `/srv/uploads`, a root may carry a trailing slash, and a path that still
//! holds `..` proves nothing and is refused.

use crate::error::{invalid, ErrorCode, Result};

/// The segments of an absolute, resolved path; `None` when it is relative,
/// holds a NUL, or still has `.`/`..` segments.
fn segments(path: &str) -> Option<Vec<&str>> {
    if !path.starts_with('/') || path.contains('\0') {
        return None;
    }
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if parts.iter().any(|s| *s == "." || *s == "..") {
        return None;
    }
    Some(parts)
}

/// Whether `path` lies strictly inside one of `roots`, comparing whole path
/// segments. Roots that are not absolute resolved paths are ignored (they
/// allow nothing); the root `/` allows every file.
pub fn is_within_roots<S: AsRef<str>>(path: &str, roots: &[S]) -> bool {
    let Some(file) = segments(path) else {
        return false;
    };
    roots
        .iter()
        .filter_map(|r| segments(r.as_ref()))
        .any(|root| file.len() > root.len() && file[..root.len()] == root[..])
}

/// [`is_within_roots`], or the error an upload of `path` fails with
/// ([`ErrorCode::FileOutsideAllowedRoots`], never retried).
pub fn check_within_roots<S: AsRef<str>>(path: &str, roots: &[S]) -> Result<()> {
    if is_within_roots(path, roots) {
        return Ok(());
    }
    let shown: String = path.chars().filter(|c| !c.is_control()).take(512).collect();
    Err(invalid(
        ErrorCode::FileOutsideAllowedRoots,
        format!("{shown} is outside the folders uploads may be read from; it was not uploaded"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{AdviceId, Problem, Retry};

    const ROOTS: &[&str] = &["/srv/wp/wp-content/uploads", "/data/contracts/"];

    #[test]
    fn inside_a_root() {
        for p in [
            "/srv/wp/wp-content/uploads/2026/12/a.pdf",
            "/srv/wp/wp-content/uploads/a.pdf",
            "/data/contracts/x/y/z.pdf",
            "/data//contracts/a.pdf",
        ] {
            assert!(is_within_roots(p, ROOTS), "{p}");
        }
    }

    #[test]
    fn outside_every_root() {
        for p in [
            "/srv/wp/wp-config.php",
            "/srv/wp/wp-content/uploads-old/a.pdf",
            "/srv/wp/wp-content/uploadsa.pdf",
            "/srv/wp/wp-content/uploads",
            "/srv/wp/wp-content/uploads/",
            "/data/contracts",
            "/etc/passwd",
            "/",
            "",
            "relative/uploads/a.pdf",
            "/srv/wp/wp-content/uploads/../../wp-config.php",
            "/srv/wp/wp-content/uploads/./a.pdf",
            "/srv/wp/wp-content/uploads/a.pdf\0",
        ] {
            assert!(!is_within_roots(p, ROOTS), "{p:?}");
        }
    }

    #[test]
    fn unusable_roots_allow_nothing() {
        let file = "/srv/wp/wp-content/uploads/a.pdf";
        assert!(!is_within_roots::<&str>(file, &[]));
        for root in ["", "uploads", "./srv", "/srv/wp/../wp", "/srv/\0"] {
            assert!(!is_within_roots(file, &[root]), "{root:?}");
        }
        assert!(
            is_within_roots(file, &["/"]),
            "the root / allows every file"
        );
    }

    #[test]
    fn refusal_is_permanent_with_its_advice() {
        let e = check_within_roots("/srv/wp/wp-config.php", ROOTS).unwrap_err();
        assert_eq!(e.code(), ErrorCode::FileOutsideAllowedRoots);
        let p = Problem::from(&e);
        assert_eq!(p.code, "FileOutsideAllowedRoots");
        assert_eq!(p.retry, Retry::Never);
        assert_eq!(p.advice_id, AdviceId::FileOutsideAllowedRoots);
        assert_eq!(p.advice_id.as_str(), "file-outside-allowed-roots");
        assert!(p.message.starts_with("/srv/wp/wp-config.php is outside"));
        assert!(check_within_roots("/data/contracts/a.pdf", ROOTS).is_ok());
        let noisy = check_within_roots("/etc/\u{1b}[2Jx", ROOTS).unwrap_err();
        assert!(!noisy.message().contains('\u{1b}'));
    }
}
