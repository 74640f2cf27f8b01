//! When to retry a failed backup: bounded exponential backoff with jitter.
//!
//! The jitter is an input (0..1, from the caller's random source) because
//! the core has no randomness of its own to spend on it and because a
//! delay computed from inputs alone can be tested exactly.
//!
//! `delay = min(cap, base · 2^attempt) · (0.8 + 0.4 · jitter)`, rounded,
//! at least 1 s: the policy the backup queue has always used (±20 % around
//! the capped exponential; base 15 s, cap 1 h unless the site sets
//! WPS3_RETRY_BASE / WPS3_RETRY_CAP).

use crate::error::{Error, ErrorCode, Result};
use serde::Deserialize;

/// Default first step (seconds).
pub const DEFAULT_BASE_SECONDS: f64 = 15.0;
/// Default ceiling of the exponential part (seconds).
pub const DEFAULT_CAP_SECONDS: f64 = 3600.0;
/// The longest wait a storage server's `Retry-After` can impose; beyond it a
/// misbehaving proxy would park the queue for good.
pub const MAX_RETRY_AFTER_SECONDS: f64 = 86_400.0;
/// Upper bound on any delay (the queue clamps to the same 30 days).
pub const MAX_DELAY_SECONDS: f64 = 30.0 * 86_400.0;

pub use crate::error::Retry;

/// Input of `retry-delay`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryDelayInput {
    /// The failure's retry decision.
    pub retry: Retry,
    /// Failed attempts so far (the first failure is 1).
    pub attempt: f64,
    /// The server's `Retry-After`, when it sent one.
    #[serde(default)]
    pub retry_after_seconds: Option<f64>,
    /// Caller-supplied randomness in 0..=1.
    pub jitter: f64,
    /// Override of [`DEFAULT_BASE_SECONDS`] (WPS3_RETRY_BASE).
    #[serde(default)]
    pub base_seconds: Option<f64>,
    /// Override of [`DEFAULT_CAP_SECONDS`] (WPS3_RETRY_CAP).
    #[serde(default)]
    pub cap_seconds: Option<f64>,
}

fn bad(message: String) -> Error {
    Error::new(ErrorCode::InvalidArgument, message)
}

fn finite_non_negative(value: f64, name: &str) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(bad(format!(
            "{name} must be a finite number ≥ 0, got {value}"
        )))
    }
}

/// Seconds to wait before the next attempt, or `None` when the failure is
/// permanent. Errors only for a malformed call (jitter outside 0..1, a
/// negative or fractional attempt, non-finite numbers).
pub fn retry_delay(input: &RetryDelayInput) -> Result<Option<u64>> {
    let attempt = finite_non_negative(input.attempt, "attempt")?;
    if attempt.fract() != 0.0 {
        return Err(bad(format!(
            "attempt must be a whole number, got {attempt}"
        )));
    }
    let jitter = finite_non_negative(input.jitter, "jitter")?;
    if jitter > 1.0 {
        return Err(bad(format!("jitter must be within 0..1, got {jitter}")));
    }
    let base = finite_non_negative(
        input.base_seconds.unwrap_or(DEFAULT_BASE_SECONDS),
        "baseSeconds",
    )?;
    let cap = finite_non_negative(
        input.cap_seconds.unwrap_or(DEFAULT_CAP_SECONDS),
        "capSeconds",
    )?;
    let retry_after = input
        .retry_after_seconds
        .map(|s| finite_non_negative(s, "retryAfterSeconds"))
        .transpose()?;

    let step = match input.retry {
        Retry::Never => return Ok(None),
        // 2^attempt overflows to infinity long before f64 misbehaves; min() caps it.
        Retry::BackOff => (base * 2f64.powf(attempt.min(1024.0))).min(cap),
        // The sidecar has already adopted the server's clock, so the next
        // attempt should succeed: no growth with the attempt count.
        Retry::AfterClockFix => base.min(cap),
    };
    let jittered = step * (0.8 + 0.4 * jitter);
    let honoured = retry_after.map_or(jittered, |r| jittered.max(r.min(MAX_RETRY_AFTER_SECONDS)));
    let seconds = honoured.round().clamp(1.0, MAX_DELAY_SECONDS);
    Ok(Some(seconds as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delay(retry: Retry, attempt: u32, jitter: f64, retry_after: Option<f64>) -> Option<u64> {
        retry_delay(&RetryDelayInput {
            retry,
            attempt: attempt.into(),
            retry_after_seconds: retry_after,
            jitter,
            base_seconds: None,
            cap_seconds: None,
        })
        .unwrap()
    }

    #[test]
    fn backoff_is_the_queues_capped_exponential() {
        // (attempt, jitter, expected): min(3600, 15·2^a)·(0.8 + 0.4·j), rounded.
        let cases = [
            (1, 0.0, 24),
            (1, 0.5, 30),
            (1, 1.0, 36),
            (2, 0.5, 60),
            (5, 0.25, 432),
            (8, 0.5, 3600),
            (12, 0.0, 2880),
            (12, 1.0, 4320),
            (0, 0.5, 15),
            (4000, 0.5, 3600),
        ];
        for (attempt, jitter, want) in cases {
            assert_eq!(
                delay(Retry::BackOff, attempt, jitter, None),
                Some(want),
                "attempt {attempt} jitter {jitter}"
            );
        }
    }

    #[test]
    fn never_and_clock_fix() {
        assert_eq!(delay(Retry::Never, 1, 0.5, Some(10.0)), None);
        // Prompt, and no growth with the attempt count.
        assert_eq!(delay(Retry::AfterClockFix, 1, 0.5, None), Some(15));
        assert_eq!(delay(Retry::AfterClockFix, 9, 0.5, None), Some(15));
    }

    #[test]
    fn retry_after_is_a_floor_with_a_bound() {
        assert_eq!(delay(Retry::BackOff, 1, 0.5, Some(120.0)), Some(120));
        assert_eq!(delay(Retry::BackOff, 1, 0.5, Some(5.0)), Some(30));
        assert_eq!(delay(Retry::BackOff, 1, 0.5, Some(1e12)), Some(86_400));
    }

    #[test]
    fn site_overrides_and_the_one_second_floor() {
        let mut input = RetryDelayInput {
            retry: Retry::BackOff,
            attempt: 1.0,
            retry_after_seconds: None,
            jitter: 0.0,
            base_seconds: Some(0.25),
            cap_seconds: Some(10.0),
        };
        assert_eq!(retry_delay(&input).unwrap(), Some(1));
        input.attempt = 10.0;
        assert_eq!(retry_delay(&input).unwrap(), Some(8));
    }

    #[test]
    fn malformed_calls_are_errors() {
        for (attempt, jitter) in [
            (-1.0, 0.5),
            (1.5, 0.5),
            (1.0, 1.5),
            (1.0, -0.1),
            (f64::NAN, 0.5),
            (1.0, f64::INFINITY),
        ] {
            let input = RetryDelayInput {
                retry: Retry::BackOff,
                attempt,
                retry_after_seconds: None,
                jitter,
                base_seconds: None,
                cap_seconds: None,
            };
            assert_eq!(
                retry_delay(&input).unwrap_err().code(),
                ErrorCode::InvalidArgument,
                "{attempt} {jitter}"
            );
        }
    }
}
