//! Users of other backends as the administrator names them: `ldap:carol`, `pam:dave` —
//! the backend's kind as configured in `[[backend]]`, a colon, the user's name. A plain
//! name (or `local:name`) is a local user. The store keeps `backend:canonical-name`
//! ([`canonical_name`]: NFKC, trimmed, lowercased — how [`crate::verify`] looks them up).

use crate::config::{BackendConfig, Config};
use crate::error::{Error, Result};
use crate::throttle::canonical_name;

/// The backends of `cfg`'s chain, by the name identities carry (`local`, `ldap`, `pam`).
pub fn backend_names(cfg: &Config) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = cfg
        .backend
        .iter()
        .map(|b| match b {
            BackendConfig::Local(_) => "local",
            BackendConfig::Ldap(_) => "ldap",
            BackendConfig::Pam(_) => "pam",
        })
        .collect();
    names.dedup();
    // Users created by an `[[oidc]]` provider's sign-in (`provision = "create"`).
    if !cfg.oidc.is_empty() && !names.contains(&"oidc") {
        names.push("oidc");
    }
    names
}

/// A member or token owner as the store takes it: a local name unchanged, another
/// backend's user as `backend:canonical-name`. Refuses a backend `backends` lacks, an
/// empty name, and names with control characters or a colon.
pub fn parse(who: &str, backends: &[&str]) -> Result<String> {
    let Some((backend, name)) = who.split_once(':') else { return Ok(who.to_string()) };
    if !backends.contains(&backend) {
        let shown: String = backend.chars().filter(|c| !c.is_control()).take(40).collect();
        return Err(Error::Invalid(format!(
            "unknown backend `{shown}` in `{shown}:…`: the configured backends are {}",
            backends.join(", ")
        )));
    }
    let canonical = canonical_name(name);
    if canonical.is_empty() || canonical.contains(':') || canonical.chars().any(char::is_control) {
        return Err(Error::Invalid(format!("`{backend}:` needs a user name without control characters or `:`")));
    }
    Ok(if backend == "local" { name.to_string() } else { format!("{backend}:{canonical}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_external_users_canonically_and_refuses_unknown_backends() {
        let chain = ["local", "ldap"];
        assert_eq!(parse("alice", &chain).ok().as_deref(), Some("alice"));
        assert_eq!(parse("local:alice", &chain).ok().as_deref(), Some("alice"));
        assert_eq!(parse("ldap: Carol ", &chain).ok().as_deref(), Some("ldap:carol"));
        assert_eq!(parse("ldap:ＣＡＲＯＬ", &chain).ok().as_deref(), Some("ldap:carol"));
        let e = parse("pam:carol", &chain).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("unknown backend `pam`") && e.contains("local, ldap"), "{e}");
        for bad in ["ldap:", "ldap:  ", "ldap:a:b", "ldap:a\u{7}"] {
            assert!(parse(bad, &chain).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn backend_names_follow_the_chain() {
        let cfg = Config::parse("[[backend]]\nkind = \"local\"\n[[backend]]\nkind = \"pam\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(backend_names(&cfg), vec!["local", "pam"]);
    }
}
