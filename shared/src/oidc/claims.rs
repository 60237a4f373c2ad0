//! From the checked claims to a Wicket user: the name (from `username_claim`; an e-mail
//! only when `email_verified` is true; canonicalised like every name Wicket compares), the
//! groups (from `groups_claim`, a string or a list), and the refusals of `allowed_domains`
//! and `allowed_groups`.

use super::{OidcError, Result};
use crate::config::{OidcConfig, UsernameClaim};
use crate::throttle::canonical_name;
use serde_json::{Map, Value};

/// Longest user name taken from a claim.
pub const MAX_NAME_LEN: usize = 64;
/// Most groups taken from a claim; the rest are ignored.
pub const MAX_GROUPS: usize = 256;

/// Who the provider says the user is, in Wicket's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The canonical user name.
    pub name: String,
    /// The e-mail, when verified.
    pub email: Option<String>,
    /// The `name` claim.
    pub display_name: Option<String>,
    /// The provider's groups (kept as sent, minus unusable ones).
    pub groups: Vec<String>,
}

fn string<'a>(claims: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    claims.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// The verified e-mail, if any (`email_verified` must be the boolean `true`).
fn verified_email(claims: &Map<String, Value>) -> Option<&str> {
    let verified = claims.get("email_verified").and_then(Value::as_bool) == Some(true);
    string(claims, "email").filter(|_| verified)
}

/// Maps `claims` (the ID token's, with userinfo's merged in) under `cfg`.
pub fn map(cfg: &OidcConfig, claims: &Map<String, Value>) -> Result<Mapped> {
    let email = verified_email(claims);
    let raw = match cfg.username_claim {
        UsernameClaim::PreferredUsername => {
            string(claims, "preferred_username").ok_or(OidcError::NoUsername("no preferred_username claim"))?
        }
        UsernameClaim::Email => match (string(claims, "email"), email) {
            (None, _) => return Err(OidcError::NoUsername("no email claim")),
            (Some(_), None) => return Err(OidcError::NoUsername("the e-mail is not verified")),
            (Some(_), Some(e)) => e,
        },
        UsernameClaim::Sub => string(claims, "sub").ok_or(OidcError::NoUsername("no sub claim"))?,
    };
    let name = canonical_name(raw);
    let usable = !name.is_empty()
        && name.chars().count() <= MAX_NAME_LEN
        && !name.chars().any(|c| c.is_control() || c.is_whitespace() || matches!(c, ':' | ','));
    if !usable {
        return Err(OidcError::NoUsername("the name has characters Wicket cannot use"));
    }
    let domains = cfg.domains();
    if !domains.is_empty() {
        let domain = email.and_then(|e| e.rsplit_once('@')).map(|(_, d)| d.to_ascii_lowercase());
        if !domain.is_some_and(|d| domains.contains(&d)) {
            return Err(OidcError::DomainNotAllowed);
        }
    }
    let groups = cfg.groups_claim.as_deref().map(|c| groups(claims.get(c))).unwrap_or_default();
    if !cfg.allowed_groups.is_empty() && !groups.iter().any(|g| cfg.allowed_groups.contains(g)) {
        return Err(OidcError::GroupNotAllowed);
    }
    Ok(Mapped {
        name,
        email: email.map(str::to_string),
        display_name: string(claims, "name").filter(|n| !n.chars().any(char::is_control)).map(str::to_string),
        groups,
    })
}

/// A group claim's names: a string or a list of strings; empty names, names with control
/// characters or commas (they would split in `Remote-Groups`) are dropped; each once.
fn groups(value: Option<&Value>) -> Vec<String> {
    let names: Vec<&str> = match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(v)) => v.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    for g in names.into_iter().map(str::trim) {
        let ok = !g.is_empty() && g.len() <= 256 && !g.chars().any(|c| c.is_control() || c == ',');
        if ok && !out.iter().any(|o| o == g) && out.len() < MAX_GROUPS {
            out.push(g.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{OidcConfig, Provision};
    use serde_json::json;

    fn cfg() -> OidcConfig {
        OidcConfig {
            name: "Example".into(),
            issuer: "https://idp.example.org".into(),
            client_id: "wicket".into(),
            client_secret: None,
            client_secret_file: None,
            scopes: vec!["openid".into()],
            username_claim: UsernameClaim::PreferredUsername,
            groups_claim: Some("groups".into()),
            allowed_domains: Vec::new(),
            allowed_groups: Vec::new(),
            provision: Provision::Create,
            userinfo: false,
        }
    }

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn preferred_username_is_canonicalised_and_groups_read() {
        let m = map(
            &cfg(),
            &claims(json!({"sub": "1", "preferred_username": " Carol ", "name": "Carol C",
                          "email": "carol@example.org", "email_verified": true,
                          "groups": ["staff", "admins", "staff", "", "a,b"]})),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.name, "carol");
        assert_eq!(m.email.as_deref(), Some("carol@example.org"));
        assert_eq!(m.display_name.as_deref(), Some("Carol C"));
        assert_eq!(m.groups, ["staff", "admins"]);
        let one = map(&cfg(), &claims(json!({"preferred_username": "c", "groups": "solo"})));
        assert_eq!(one.map(|m| m.groups), Ok(vec!["solo".to_string()]));
    }

    #[test]
    fn email_only_when_verified() {
        let c = OidcConfig { username_claim: UsernameClaim::Email, ..cfg() };
        let ok = map(&c, &claims(json!({"email": "Carol@Example.org", "email_verified": true})));
        assert_eq!(ok.map(|m| m.name), Ok("carol@example.org".to_string()));
        for unverified in [
            json!({"email": "carol@example.org"}),
            json!({"email": "carol@example.org", "email_verified": false}),
            json!({"email": "carol@example.org", "email_verified": "true"}),
        ] {
            assert_eq!(map(&c, &claims(unverified)).err(), Some(OidcError::NoUsername("the e-mail is not verified")));
        }
        // An unverified e-mail is not passed on either.
        let m = map(&cfg(), &claims(json!({"preferred_username": "c", "email": "c@x.org"})));
        assert_eq!(m.map(|m| m.email), Ok(None));
    }

    #[test]
    fn unusable_names_are_refused() {
        for bad in ["", "  ", "a:b", "a b", "a\u{7}", &"x".repeat(MAX_NAME_LEN + 1)] {
            assert!(map(&cfg(), &claims(json!({"preferred_username": bad}))).is_err(), "{bad:?}");
        }
        assert!(map(&cfg(), &claims(json!({"sub": "1"}))).is_err());
        let by_sub = OidcConfig { username_claim: UsernameClaim::Sub, ..cfg() };
        assert_eq!(map(&by_sub, &claims(json!({"sub": "U-42"}))).map(|m| m.name), Ok("u-42".into()));
    }

    #[test]
    fn allowed_domains_and_groups() {
        let c = OidcConfig { allowed_domains: vec!["@Example.org".into()], ..cfg() };
        let base = json!({"preferred_username": "c", "email": "c@example.org", "email_verified": true});
        assert!(map(&c, &claims(base.clone())).is_ok());
        let other = json!({"preferred_username": "c", "email": "c@evil.example", "email_verified": true});
        assert_eq!(map(&c, &claims(other)).err(), Some(OidcError::DomainNotAllowed));
        let unverified = json!({"preferred_username": "c", "email": "c@example.org"});
        assert_eq!(map(&c, &claims(unverified)).err(), Some(OidcError::DomainNotAllowed));

        let c = OidcConfig { allowed_groups: vec!["staff".into()], ..cfg() };
        assert!(map(&c, &claims(json!({"preferred_username": "c", "groups": ["x", "staff"]}))).is_ok());
        for groups in [json!(["x"]), json!([]), json!(null), json!(7)] {
            let v = json!({"preferred_username": "c", "groups": groups});
            assert_eq!(map(&c, &claims(v)).err(), Some(OidcError::GroupNotAllowed), "{groups}");
        }
    }
}
