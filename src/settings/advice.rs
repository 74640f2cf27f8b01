//! Advice for settings errors. The ids, with the English cause and fix an
//! admin reads, live in the core's one catalog ([`crate::error::AdviceId`]);
//! PHP maps each id to a translated string (WPS3\Errors::advice) and falls
//! back to these texts.

use crate::error::AdviceId;

/// The cause and fix for an advice id.
pub fn settings_advice(id: &str) -> Option<(&'static str, &'static str)> {
    AdviceId::parse(id).map(|a| (a.cause(), a.fix()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_ids_are_in_the_catalog() {
        assert!(settings_advice("bucket-name-invalid").is_some());
        assert!(settings_advice("addressing-style-needs-path").is_some());
        assert!(settings_advice("nope").is_none());
    }
}
