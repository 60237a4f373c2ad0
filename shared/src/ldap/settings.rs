//! `[[backend]] kind = "ldap"` turned into what the backend runs on: the bind mode, the
//! service account with its password read from disk, bases, filters and the TLS setup.
//! Everything that can be wrong with the config is found here, at construction, not at the
//! first login.

use super::dn;
use super::escape::expand;
use crate::config::{LdapAttributes, LdapConfig};
use crate::error::{Error, Result};
use crate::secret::Secret;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How a user's password is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BindMode {
    /// Bind as `template` with `{user}` replaced by the DN-escaped name.
    Direct {
        /// The `user_dn` template.
        template: String,
    },
    /// Search `user_base` with `user_filter` (service account or anonymous), then bind as
    /// the one entry found.
    Search,
}

/// Where a user's groups come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GroupSource {
    /// The `memberOf` attribute of the user entry.
    MemberOf,
    /// A search under `base` with `filter` (`{dn}`, `{user}`).
    Search {
        /// `group_base`.
        base: String,
        /// `group_filter`.
        filter: String,
    },
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Server URLs in failover order.
    pub urls: Vec<String>,
    /// Upgrade `ldap://` connections with StartTLS.
    pub starttls: bool,
    /// TLS client config, present when any URL is `ldaps://` or `starttls` is on.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Direct or search-then-bind.
    pub mode: BindMode,
    /// Service account DN and password; `None` = anonymous lookups.
    pub service: Option<(String, Secret)>,
    /// Where users are searched (`base`, else the parent of the `user_dn` template).
    pub user_base: Option<String>,
    /// `user_filter`.
    pub user_filter: String,
    /// Where a user's groups come from.
    pub groups: GroupSource,
    /// `group_base`: where NSS group lookups search (without it: the naming context that
    /// holds the user base).
    pub group_base: Option<String>,
    /// Connect and per-operation timeout.
    pub timeout: Duration,
    /// Lookup cache TTL.
    pub cache_ttl: Duration,
    /// Attribute names.
    pub attrs: LdapAttributes,
}

impl Settings {
    /// Resolves `cfg`, reading `bind_password_file` and `ca_file`.
    pub fn from_config(cfg: &LdapConfig) -> Result<Self> {
        let urls = cfg.server_urls();
        if urls.is_empty() {
            return Err(invalid("set `url` or `urls`"));
        }
        let mut any_tls = cfg.starttls;
        for u in &urls {
            let lower = u.to_ascii_lowercase();
            let rest = if let Some(r) = lower.strip_prefix("ldaps://") {
                any_tls = true;
                r
            } else if let Some(r) = lower.strip_prefix("ldap://") {
                r
            } else {
                return Err(invalid(&format!("`{u}` is not an ldap:// or ldaps:// URL")));
            };
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
            if host.is_empty() || authority.contains('@') {
                return Err(invalid(&format!("`{u}` must name a host (ldap://host[:port])")));
            }
        }
        if cfg.starttls && urls.iter().any(|u| u.to_ascii_lowercase().starts_with("ldaps://")) {
            return Err(invalid("starttls = true needs ldap:// URLs"));
        }
        let tls = if any_tls {
            Some(crate::tls::client_config(cfg.ca_file.as_deref(), "ldap backend", "ca_file")?)
        } else {
            None
        };

        let mode = match &cfg.user_dn {
            Some(t) if t.contains("{user}") => BindMode::Direct { template: t.clone() },
            Some(_) => return Err(invalid("user_dn must contain {user}")),
            None if cfg.base.is_some() => BindMode::Search,
            None => return Err(invalid("set user_dn (direct bind) or base (search-then-bind)")),
        };
        if !cfg.user_filter.contains("{user}") {
            return Err(invalid("user_filter must contain {user}"));
        }
        check_filter("user_filter", &expand(&cfg.user_filter, &[("user", "x")]))?;
        check_filter("group_filter", &expand(&cfg.group_filter, &[("user", "x"), ("dn", "uid=x,dc=x")]))?;

        let service = match (&cfg.bind_dn, &cfg.bind_password, &cfg.bind_password_file) {
            (None, None, None) => None,
            (Some(dn), Some(pw), None) => Some((dn.clone(), pw.clone())),
            (Some(dn), None, Some(path)) => Some((dn.clone(), read_password_file(path)?)),
            (Some(_), Some(_), Some(_)) => return Err(invalid("set bind_password or bind_password_file, not both")),
            (Some(_), None, None) => return Err(invalid("bind_dn needs bind_password or bind_password_file")),
            (None, _, _) => return Err(invalid("a bind password needs bind_dn")),
        };
        if let Some((dn, pw)) = &service {
            // An empty password would make the service bind an unauthenticated one.
            if dn.is_empty() || pw.is_empty() {
                return Err(invalid("bind_dn and its password must not be empty"));
            }
        }
        if cfg.timeout.is_zero() {
            return Err(invalid("timeout must be > 0"));
        }
        let user_base = match (&cfg.base, &mode) {
            (Some(b), _) => Some(b.clone()),
            (None, BindMode::Direct { template }) => dn::parent(template).map(str::to_string),
            (None, BindMode::Search) => None,
        };
        let groups = match &cfg.group_base {
            Some(base) => GroupSource::Search { base: base.clone(), filter: cfg.group_filter.clone() },
            None => GroupSource::MemberOf,
        };
        Ok(Self {
            urls,
            starttls: cfg.starttls,
            tls,
            mode,
            service,
            user_base,
            user_filter: cfg.user_filter.clone(),
            groups,
            group_base: cfg.group_base.clone(),
            timeout: cfg.timeout,
            cache_ttl: cfg.cache_ttl,
            attrs: cfg.attributes.clone(),
        })
    }
}

fn invalid(what: &str) -> Error {
    Error::Invalid(format!("ldap backend: {what}"))
}

fn check_filter(key: &str, filter: &str) -> Result<()> {
    match ldap3::parse_filter(filter) {
        Ok(_) => Ok(()),
        Err(()) => Err(invalid(&format!("{key} is not a valid LDAP filter (RFC 4515), e.g. `(uid={{user}})`"))),
    }
}

/// The first line of the file (without its line ending). The error names the file and never
/// shows its content.
fn read_password_file(path: &Path) -> Result<Secret> {
    let bytes =
        zeroize::Zeroizing::new(std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?);
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    if std::str::from_utf8(first).is_err() {
        return Err(invalid(&format!("bind_password_file {}: the password is not UTF-8", path.display())));
    }
    if first.is_empty() {
        return Err(invalid(&format!("bind_password_file {}: the first line is empty", path.display())));
    }
    Ok(Secret::new(first.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BackendConfig, Config};

    fn ldap(extra: &str) -> LdapConfig {
        let text = format!("[[backend]]\nkind = \"ldap\"\n{extra}");
        let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        match cfg.backend.into_iter().next() {
            Some(BackendConfig::Ldap(l)) => *l,
            _ => panic!("not ldap"),
        }
    }

    fn settings(extra: &str) -> Result<Settings> {
        Settings::from_config(&ldap(extra))
    }

    #[test]
    fn direct_bind_derives_the_lookup_base() {
        let s = settings("url = \"ldap://127.0.0.1:389\"\nuser_dn = \"uid={user},ou=people,dc=example,dc=org\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.mode, BindMode::Direct { template: "uid={user},ou=people,dc=example,dc=org".into() });
        assert_eq!(s.user_base.as_deref(), Some("ou=people,dc=example,dc=org"));
        assert_eq!(s.group_base, None);
        assert_eq!(s.groups, GroupSource::MemberOf);
        assert!(s.service.is_none());
        assert!(s.tls.is_none());
        assert_eq!(s.timeout, Duration::from_secs(5));
        assert_eq!(s.cache_ttl, Duration::from_secs(60));
    }

    #[test]
    fn search_mode_reads_the_password_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let secret = dir.path().join("ldap.secret");
        std::fs::write(&secret, "s3cret\r\nignored second line\n").unwrap_or_else(|e| panic!("{e}"));
        let s = settings(&format!(
            "urls = [\"ldap://a:389\", \"ldap://b\"]\nbind_dn = \"cn=reader,dc=x\"\nbind_password_file = \"{}\"\n\
             base = \"ou=people,dc=x\"\ngroup_base = \"ou=groups,dc=x\"\ntimeout = \"2s\"\ncache_ttl = \"30s\"\n",
            secret.display()
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.mode, BindMode::Search);
        assert_eq!(s.urls, ["ldap://a:389", "ldap://b"]);
        let (dn, pw) = s.service.clone().unwrap_or_default();
        assert_eq!(dn, "cn=reader,dc=x");
        assert_eq!(pw.expose(), b"s3cret");
        assert_eq!(s.user_base.as_deref(), Some("ou=people,dc=x"));
        assert_eq!(
            s.groups,
            GroupSource::Search {
                base: "ou=groups,dc=x".into(),
                filter: "(&(objectClass=groupOfNames)(member={dn}))".into()
            }
        );
        assert_eq!(s.group_base.as_deref(), Some("ou=groups,dc=x"));
        assert_eq!(s.timeout, Duration::from_secs(2));
        assert_eq!(s.cache_ttl, Duration::from_secs(30));
        assert!(!format!("{s:?}").contains("s3cret"), "the password must not show in Debug");
    }

    #[test]
    fn inline_password_and_attributes() {
        let s = settings(
            "url = \"ldap://h\"\nbind_dn = \"cn=r\"\nbind_password = \"pw\"\nbase = \"dc=x\"\n\
             [backend.attributes]\nname = \"sAMAccountName\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.service.map(|(_, p)| p.expose().to_vec()), Some(b"pw".to_vec()));
        assert_eq!(s.attrs.name, "sAMAccountName");
        assert_eq!(s.attrs.member_of, "memberOf");
    }

    #[test]
    fn missing_password_file_is_named() {
        let e = settings(
            "url = \"ldap://h\"\nbind_dn = \"cn=r\"\nbind_password_file = \"/nonexistent/ldap.secret\"\nbase = \"dc=x\"\n",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.contains("/nonexistent/ldap.secret"), "{e}");
    }

    #[test]
    fn empty_password_file_is_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let secret = dir.path().join("empty.secret");
        std::fs::write(&secret, "\nsecond\n").unwrap_or_else(|e| panic!("{e}"));
        let e = settings(&format!(
            "url = \"ldap://h\"\nbind_dn = \"cn=r\"\nbind_password_file = \"{}\"\nbase = \"dc=x\"\n",
            secret.display()
        ))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.contains("empty.secret") && e.contains("empty"), "{e}");
    }

    #[test]
    fn bad_filters_and_urls_are_refused() {
        for extra in [
            "url = \"ldap://h\"\nbase = \"dc=x\"\nuser_filter = \"(uid={user}\"\n",
            "url = \"ldap://h\"\nbase = \"dc=x\"\ngroup_filter = \"member={dn})\"\n",
            "url = \"ldap:///\"\nbase = \"dc=x\"\n",
            "url = \"ldap://:389\"\nbase = \"dc=x\"\n",
            "url = \"ldap://u@h\"\nbase = \"dc=x\"\n",
        ] {
            let l = ldap("url = \"ldap://h\"\nbase = \"dc=x\"\n");
            let l = LdapConfig {
                url: extra.lines().find_map(|x| x.strip_prefix("url = ")).map(|u| u.trim_matches('"').to_string()),
                user_filter: extra
                    .lines()
                    .find_map(|x| x.strip_prefix("user_filter = "))
                    .map_or(l.user_filter.clone(), |f| f.trim_matches('"').to_string()),
                group_filter: extra
                    .lines()
                    .find_map(|x| x.strip_prefix("group_filter = "))
                    .map_or(l.group_filter.clone(), |f| f.trim_matches('"').to_string()),
                ..l
            };
            assert!(Settings::from_config(&l).is_err(), "{extra}");
        }
    }

    #[test]
    fn tls_needs_a_readable_ca_file() {
        let e = settings("url = \"ldaps://h\"\nbase = \"dc=x\"\nca_file = \"/nonexistent/ca.pem\"\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
        let e = settings("url = \"ldap://h\"\nstarttls = true\nbase = \"dc=x\"\nca_file = \"/nonexistent/ca.pem\"\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
        // Plain ldap:// never reads it.
        assert!(settings("url = \"ldap://h\"\nbase = \"dc=x\"\nca_file = \"/nonexistent/ca.pem\"\n").is_ok());
    }
}
