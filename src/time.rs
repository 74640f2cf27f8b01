//! Calendar arithmetic for signing times, with no clock reads.
//!
//! The caller always supplies the time. We only convert between unix seconds
//! and the three text forms SigV4 and S3 use.

use crate::error::{invalid, ErrorCode, Result};

/// Seconds since the unix epoch, UTC. Always supplied by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(i64);

/// Year 1970..=9999 keeps every formatted field at a fixed width.
const MAX_SECONDS: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z

impl Timestamp {
    /// Wraps unix seconds; rejects times outside 1970..=9999.
    pub fn from_unix(seconds: i64) -> Result<Self> {
        if !(0..=MAX_SECONDS).contains(&seconds) {
            return Err(invalid(
                ErrorCode::InvalidTimestamp,
                format!("time {seconds} is outside 1970-01-01..9999-12-31"),
            ));
        }
        Ok(Timestamp(seconds))
    }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ`; also accepts the compact `YYYYMMDDTHHMMSSZ`
    /// and fractional seconds (`new Date().toISOString()`), which are dropped.
    pub fn parse_iso8601(text: &str) -> Result<Self> {
        if let Some(whole) = strip_fraction(text) {
            return Timestamp::parse_iso8601(&whole).map_err(|_| {
                invalid(
                    ErrorCode::InvalidTimestamp,
                    format!("'{text}' is not a UTC time like 2024-01-31T12:00:00Z"),
                )
            });
        }
        let bad = || {
            invalid(
                ErrorCode::InvalidTimestamp,
                format!("'{text}' is not a UTC time like 2024-01-31T12:00:00Z"),
            )
        };
        let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
        let shape_ok = match text.len() {
            20 => {
                let b = text.as_bytes();
                b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':'
            }
            16 => text.as_bytes()[8] == b'T',
            _ => false,
        };
        if !shape_ok || !text.ends_with('Z') || digits.len() != 14 {
            return Err(bad());
        }
        let n = |r: std::ops::Range<usize>| digits[r].parse::<i64>().map_err(|_| bad());
        let (y, mo, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
        let (h, mi, s) = (n(8..10)?, n(10..12)?, n(12..14)?);
        if !(1..=12).contains(&mo)
            || d < 1
            || d > days_in_month(y, mo)
            || h > 23
            || mi > 59
            || s > 59
        {
            return Err(bad());
        }
        Timestamp::from_unix(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
    }

    /// Parses an HTTP `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`).
    pub fn parse_http_date(text: &str) -> Result<Self> {
        let bad = || {
            invalid(
                ErrorCode::InvalidTimestamp,
                format!("'{text}' is not an HTTP date"),
            )
        };
        let parts: Vec<&str> = text.split_whitespace().collect();
        if parts.len() != 6 || parts[5] != "GMT" {
            return Err(bad());
        }
        // Unsigned parses refuse signs; the year bound keeps the arithmetic small.
        let number = |p: &str| -> Result<i64> {
            if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            p.parse::<i64>().map_err(|_| bad())
        };
        let d = number(parts[1])?;
        let months = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let mo = months.iter().position(|m| *m == parts[2]).ok_or_else(bad)? as i64 + 1;
        let y = number(parts[3])?;
        if !(1970..=9999).contains(&y) {
            return Err(bad());
        }
        let hms: Vec<i64> = parts[4].split(':').map(number).collect::<Result<_>>()?;
        if hms.len() != 3
            || d < 1
            || d > days_in_month(y, mo)
            || hms[0] > 23
            || hms[1] > 59
            || hms[2] > 60
        {
            return Err(bad());
        }
        Timestamp::from_unix(
            days_from_civil(y, mo, d) * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2],
        )
    }

    /// Unix seconds.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// This time plus `seconds`.
    pub fn plus(self, seconds: i64) -> Result<Self> {
        Timestamp::from_unix(self.0.saturating_add(seconds))
    }

    /// `(year, month, day, hour, minute, second)` in UTC.
    pub fn civil(self) -> (i64, i64, i64, i64, i64, i64) {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
    }

    /// `YYYYMMDDTHHMMSSZ`, the `X-Amz-Date` form.
    pub fn amz_date(self) -> String {
        let (y, mo, d, h, mi, s) = self.civil();
        format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
    }

    /// `YYYYMMDD`, the credential-scope date.
    pub fn date_stamp(self) -> String {
        let (y, mo, d, ..) = self.civil();
        format!("{y:04}{mo:02}{d:02}")
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn iso8601(self) -> String {
        let (y, mo, d, h, mi, s) = self.civil();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }

    /// `YYYY-MM-DD`.
    pub fn ymd(self) -> String {
        let (y, mo, d, ..) = self.civil();
        format!("{y:04}-{mo:02}-{d:02}")
    }
}

/// `2024-01-31T12:00:00.123Z` → `2024-01-31T12:00:00Z`; `None` when there is no fraction.
fn strip_fraction(text: &str) -> Option<String> {
    let (whole, rest) = text.split_at_checked(19)?;
    let fraction = rest.strip_prefix('.')?.strip_suffix('Z')?;
    if fraction.is_empty() || fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{whole}Z"))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic
// Gregorian calendar, no tables, no loops.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_dates() {
        let t = Timestamp::parse_iso8601("2013-05-24T00:00:00Z").unwrap();
        assert_eq!(t.unix(), 1_369_353_600);
        assert_eq!(t.amz_date(), "20130524T000000Z");
        let leap = Timestamp::parse_iso8601("2024-02-29T23:59:59Z").unwrap();
        assert_eq!(leap.plus(1).unwrap().iso8601(), "2024-03-01T00:00:00Z");
        assert_eq!(Timestamp::parse_iso8601("20240229T235959Z").unwrap(), leap);
    }

    #[test]
    fn rejects_impossible_dates() {
        for bad in [
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01 00:00:00",
            "",
            "2024-01-01T24:00:00Z",
        ] {
            assert!(Timestamp::parse_iso8601(bad).is_err(), "{bad}");
        }
        assert!(Timestamp::from_unix(-1).is_err());
    }

    #[test]
    fn parses_http_dates() {
        let t = Timestamp::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(t.iso8601(), "1994-11-06T08:49:37Z");
        assert!(Timestamp::parse_http_date("yesterday").is_err());
        for hostile in [
            "Sun, 06 Nov 9223372036854775807 08:49:37 GMT",
            "Fri, 02 Jan 2026 -99:-59:-59 GMT",
            "Fri, 02 Jan 1969 00:00:00 GMT",
            "Fri, 02 Jan +2026 00:00:00 GMT",
        ] {
            assert!(Timestamp::parse_http_date(hostile).is_err(), "{hostile}");
        }
    }

    #[test]
    fn accepts_javascript_iso_strings() {
        let t = Timestamp::parse_iso8601("2026-01-02T03:04:05.678Z").unwrap();
        assert_eq!(t.iso8601(), "2026-01-02T03:04:05Z");
        assert!(Timestamp::parse_iso8601("2026-01-02T03:04:05.Z").is_err());
        assert!(Timestamp::parse_iso8601("2026-01-02T03:04:05.1234567890Z").is_err());
    }
}
