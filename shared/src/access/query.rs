//! A proxy front's own requirements, from the query of the URL the proxy calls:
//! `/auth?users=alice,bob&group=staff&all_groups=vpn,2fa&scope=read`.
//!
//! | key | meaning |
//! |---|---|
//! | `users` (or `user`) | the user is one of these (names compared canonicalised) |
//! | `group` (or `groups`) | the user is in at least one of these |
//! | `all_groups` | the user is in every one of these |
//! | `scope` | a bearer token carries this scope (repeat for several; all are needed) |
//!
//! Lists are comma-separated and a key may repeat (its lists add up). Values are not
//! percent-decoded. A requirement misspelt must not silently protect nothing: an unknown key
//! or an empty value (`group=`, `users=a,,b`) is a [`QueryError`], which the front answers
//! as a misconfiguration (HTTP 500, so the proxy serves nothing). Authelia's `rd` and
//! `authelia_url` (its redirect parameters, which Wicket's aliases ignore) are let through.

use crate::throttle::canonical_name;
use std::fmt;

/// What the query asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    /// Any-of users, canonical names.
    pub users: Vec<String>,
    /// Any-of groups.
    pub groups: Vec<String>,
    /// Every-one-of groups.
    pub all_groups: Vec<String>,
    /// Scopes a bearer token must all carry.
    pub scopes: Vec<String>,
}

/// A requirement the front cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// A key that names no requirement (shown cleaned and cut short).
    UnknownKey(String),
    /// A known key with an empty value or an empty list element.
    EmptyValue(&'static str),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownKey(k) => write!(
                f,
                "unknown requirement `{k}` in the access check's query (known: users, group, all_groups, scope)"
            ),
            Self::EmptyValue(k) => write!(f, "empty value for `{k}` in the access check's query"),
        }
    }
}

impl std::error::Error for QueryError {}

/// Reads the query (without the `?`).
pub fn parse(query: Option<&str>) -> Result<Asked, QueryError> {
    let mut asked = Asked::default();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, into): (&'static str, &mut Vec<String>) = match k {
            "users" | "user" => ("users", &mut asked.users),
            "group" | "groups" => ("group", &mut asked.groups),
            "all_groups" => ("all_groups", &mut asked.all_groups),
            "scope" => ("scope", &mut asked.scopes),
            "rd" | "authelia_url" => continue,
            other => return Err(QueryError::UnknownKey(shown(other))),
        };
        let parts: Vec<&str> = if key == "scope" { vec![v.trim()] } else { v.split(',').map(str::trim).collect() };
        if parts.iter().any(|p| p.is_empty()) {
            return Err(QueryError::EmptyValue(key));
        }
        into.extend(parts.into_iter().map(|p| if key == "users" { canonical_name(p) } else { p.to_string() }));
    }
    Ok(asked)
}

/// A key as it may be logged: printable ASCII only, at most 40 characters.
fn shown(key: &str) -> String {
    key.chars().take(40).map(|c| if c.is_ascii_graphic() { c } else { '?' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_requirement() {
        let a = parse(Some("users=Alice,bob&group=a&groups=b&all_groups=x,y&all_groups=z&scope=read&scope=write"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.users, vec!["alice", "bob"]);
        assert_eq!(a.groups, vec!["a", "b"]);
        assert_eq!(a.all_groups, vec!["x", "y", "z"]);
        assert_eq!(a.scopes, vec!["read", "write"]);
        assert_eq!(parse(None), Ok(Asked::default()));
        assert_eq!(parse(Some("&rd=https://x/&")), Ok(Asked::default()), "Authelia's redirect is let through");
    }

    #[test]
    fn a_misspelt_or_empty_requirement_is_refused_by_name() {
        assert_eq!(parse(Some("group=a&grups=b")), Err(QueryError::UnknownKey("grups".into())));
        assert_eq!(parse(Some("all_group=a")), Err(QueryError::UnknownKey("all_group".into())));
        assert_eq!(parse(Some("group")), Err(QueryError::EmptyValue("group")));
        assert_eq!(parse(Some("users=a,,b")), Err(QueryError::EmptyValue("users")));
        assert_eq!(parse(Some("scope=")), Err(QueryError::EmptyValue("scope")));
        let e = parse(Some("x\u{1b}[31m=1")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("`x?[31m`"), "control characters never reach a log: {e}");
    }
}
