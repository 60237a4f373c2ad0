//! `[[rule]]` blocks: access rules for `/auth`.

use super::parse_duration;
use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Allow without credentials.
    Bypass,
    /// Require a valid identity (and `users`, `groups`, `all_groups`, if given).
    Authenticated,
    /// Refuse (403).
    Deny,
    /// Like `authenticated`, and the identity must have proven a second factor: a portal
    /// session opened (or stepped up) with a password and a code. A one-factor session is
    /// sent to the portal for the code (step-up); Basic and Digest are refused (401 without
    /// a challenge: they cannot carry a code); Bearer tokens pass only with `bearer = true`.
    #[serde(rename = "two_factor")]
    TwoFactor,
}

/// One `[[rule]]` block for `/auth`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Exact host (case-insensitive, port ignored); absent = any.
    pub host: Option<String>,
    /// Regex on the path (without query); absent = any.
    pub path: Option<String>,
    /// Methods; absent or empty = any.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Client networks (CIDR); absent or empty = any.
    #[serde(default)]
    pub networks: Vec<String>,
    /// What to do.
    pub policy: Policy,
    /// For `authenticated`: the user must be one of these (names compared as the throttle
    /// spells them: NFKC, trimmed, lowercased; any backend); empty = anyone.
    #[serde(default)]
    pub users: Vec<String>,
    /// Any-of group requirement for `authenticated`.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Every-one-of group requirement for `authenticated`.
    #[serde(default)]
    pub all_groups: Vec<String>,
    /// For `authenticated`: a session signed in longer ago than this is sent back to the
    /// portal to enter the password again. Credentials sent with every request (Basic,
    /// Digest, Bearer) are not affected. Absent = any age the session itself allows.
    #[serde(default, deserialize_with = "de_max_age")]
    pub max_age: Option<Duration>,
    /// For `two_factor`: Bearer tokens are accepted too (a token is issued by an
    /// administrator, not typed; allow it only where machines need the resource). Default
    /// false. Meaningless (refused) on other policies.
    #[serde(default)]
    pub bearer: bool,
}

/// `max_age = "10m"`: a duration, not zero (a zero would refuse every session).
fn de_max_age<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Duration>, D::Error> {
    let s = String::deserialize(d)?;
    match parse_duration(&s) {
        Ok(age) if !age.is_zero() => Ok(Some(age)),
        _ => Err(serde::de::Error::custom("expected a duration longer than 0s such as 10m or 1h")),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::time::Duration;

    #[test]
    fn max_age_is_a_duration_longer_than_zero() {
        let rule = |extra: &str| Config::parse(&format!("[[rule]]\npolicy = \"authenticated\"\n{extra}"));
        let c = rule("max_age = \"10m\"\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.rule[0].max_age, Some(Duration::from_secs(600)));
        let c = rule("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.rule[0].max_age, None);
        for bad in ["\"0s\"", "\"soon\"", "600"] {
            let e = rule(&format!("max_age = {bad}\n")).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("max_age"), "{bad}: {e}");
        }
    }

    #[test]
    fn two_factor_policy_and_bearer_are_read() {
        let c = Config::parse("[[rule]]\npolicy = \"two_factor\"\nbearer = true\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((c.rule[0].policy, c.rule[0].bearer), (super::Policy::TwoFactor, true));
        let c = Config::parse("[[rule]]\npolicy = \"two_factor\"\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(!c.rule[0].bearer);
        assert!(Config::parse("[[rule]]\npolicy = \"twofactor\"\n").is_err());
    }

    #[test]
    fn users_and_all_groups_are_read_and_a_misspelt_key_is_named() {
        let rule = |extra: &str| Config::parse(&format!("[[rule]]\npolicy = \"authenticated\"\n{extra}"));
        let c = rule("users = [\"alice\"]\nall_groups = [\"a\", \"b\"]\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (c.rule[0].users.clone(), c.rule[0].all_groups.clone()),
            (vec!["alice".into()], vec!["a".into(), "b".into()])
        );
        for typo in ["user", "all_group", "grops"] {
            let e = rule(&format!("{typo} = [\"x\"]\n")).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(&format!("`{typo}`")), "{typo}: {e}");
        }
    }
}
