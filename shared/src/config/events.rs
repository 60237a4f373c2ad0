//! `[events]`: the event trail kept in the store (sign-in decisions and administrative
//! changes; see [`crate::store::EventRecord`]).

use super::de_duration;
use serde::Deserialize;
use std::time::Duration;

/// `[events]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    /// How long an event is kept; wicketd deletes older ones about once an hour.
    #[serde(deserialize_with = "de_duration")]
    pub retention: Duration,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self { retention: Duration::from_secs(90 * 86_400) }
    }
}

impl EventsConfig {
    /// The retention in whole seconds (saturating).
    pub fn retention_secs(&self) -> i64 {
        i64::try_from(self.retention.as_secs()).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::time::Duration;

    #[test]
    fn retention_defaults_to_90_days_and_parses() {
        let d = Config::parse("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.events.retention, Duration::from_secs(90 * 86_400));
        let c = Config::parse("[events]\nretention = \"7d\"\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.events.retention_secs(), 7 * 86_400);
    }

    #[test]
    fn bad_retention_is_refused_with_its_key() {
        let e = Config::parse("[events]\nretention = \"soon\"\n").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("retention"), "{e}");
        let e = Config::parse("[events]\nretention = \"0s\"\n").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("events.retention"), "{e}");
        let e = Config::parse("[events]\nkeep = \"1d\"\n").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("keep"), "{e}");
    }
}
