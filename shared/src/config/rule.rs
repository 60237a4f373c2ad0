//! `[[rule]]` blocks: access rules for `/auth`.

use serde::Deserialize;

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Allow without credentials.
    Bypass,
    /// Require a valid identity (and one of `groups`, if given).
    Authenticated,
    /// Refuse (403).
    Deny,
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
    /// Any-of group requirement for `authenticated`.
    #[serde(default)]
    pub groups: Vec<String>,
}
