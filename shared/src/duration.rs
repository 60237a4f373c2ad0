//! Human durations as written in the config and on the command line: `300s`, `5m`, `1h`,
//! `30d`, `2w`, `250ms`, or a bare number of seconds.

use crate::error::{Error, Result};
use std::time::Duration;

/// Parses `"300s"`, `"5m"`, `"30d"`… into a [`Duration`].
pub fn parse_duration(text: &str) -> Result<Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let bad = || Error::Invalid(format!("invalid duration `{}` (use e.g. 300s, 5m, 1h, 30d)", sanitize(text)));
    if digits.is_empty() {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let secs_per = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1,
        "ms" => return Ok(Duration::from_millis(n)),
        "m" | "min" | "mins" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    n.checked_mul(secs_per).map(Duration::from_secs).ok_or_else(bad)
}

/// Formats a duration the way [`parse_duration`] reads it.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    if d.subsec_millis() != 0 || s == 0 {
        return format!("{}ms", d.as_millis());
    }
    for (unit, per) in [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60)] {
        if s % per == 0 {
            return format!("{}{unit}", s / per);
        }
    }
    format!("{s}s")
}

/// Escapes control characters and caps the length, for echoing user input in an error.
pub fn sanitize(s: &str) -> String {
    let mut out: String = s.chars().take(64).flat_map(char::escape_debug).collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("300s").ok(), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("5m").ok(), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("30d").ok(), Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_duration("42").ok(), Some(Duration::from_secs(42)));
        assert_eq!(parse_duration("250ms").ok(), Some(Duration::from_millis(250)));
    }

    #[test]
    fn refuses_garbage() {
        for bad in ["", "s", "5x", "-5s", "5.5s", "99999999999999999999s", "1 fortnight"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("18446744073709551615w").is_err());
    }

    #[test]
    fn formats_round_trip() {
        for t in ["5m", "30d", "300ms", "7s", "2w", "1h"] {
            let d = parse_duration(t).unwrap_or_default();
            assert_eq!(format_duration(d), t);
        }
    }
}

/// Formats Unix time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_unix(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// Parses `YYYY-MM-DD` (UTC midnight) to Unix time.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1970..=9999).contains(&y) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    // Refuse 2023-02-31 and the like by round-tripping.
    (civil_from_days(days) == (y, m, d)).then_some(days * 86_400)
}

// Howard Hinnant's civil calendar algorithms.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(parse_date("2023-11-14"), Some(1_699_920_000));
        assert_eq!(parse_date("2024-02-29").map(format_unix).as_deref(), Some("2024-02-29T00:00:00Z"));
        for bad in ["2023-02-31", "2023-13-01", "x", "2023-1", "1969-12-31", "2023-01-01-01"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
