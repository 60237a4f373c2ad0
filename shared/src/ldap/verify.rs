//! `Backend::verify_password` for LDAP: direct bind or search-then-bind, then the identity.

use super::conn::{Conn, Failure, RC_INVALID_CREDENTIALS, RC_NO_SUCH_OBJECT};
use super::entry::Entry;
use super::escape::{escape_dn_value, escape_filter_value, expand};
use super::settings::{BindMode, GroupSource};
use super::{LdapBackend, dn};
use crate::auth::{Backend, BackendAnswer, Identity, Rejection};
use crate::secret::Secret;
use ldap3::Scope;

/// Longest user name sent to the directory, in bytes.
pub(crate) const MAX_NAME_LEN: usize = 256;

/// Password sent to [`DUMMY_RDN`] for unknown users: never the user's own.
const DUMMY_PASSWORD: &str = "wicket-timing-equaliser";
/// RDN (under the user base) that the timing bind for unknown users goes to.
const DUMMY_RDN: &str = "cn=wicket-no-such-user";

/// True for a name that may be sent to the directory at all.
pub(crate) fn acceptable_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME_LEN && !name.chars().any(char::is_control)
}

/// Why a login stopped short of an identity.
enum Stop {
    /// No such user.
    Unknown,
    /// Wrong password (or ambiguous user).
    Rejected,
    /// The directory could not answer.
    Unavailable(String),
}

impl From<Stop> for BackendAnswer {
    fn from(s: Stop) -> Self {
        match s {
            Stop::Unknown => Self::Unknown,
            Stop::Rejected => Self::Rejected(Rejection::BadCredentials),
            Stop::Unavailable(why) => Self::Unavailable(why),
        }
    }
}

/// What a successful login found.
struct Found {
    entry: Entry,
    name: String,
    groups: Vec<String>,
}

impl Backend for LdapBackend {
    fn name(&self) -> &str {
        "ldap"
    }

    fn verify_password(&self, user: &str, password: &Secret) -> BackendAnswer {
        if !acceptable_name(user) {
            return BackendAnswer::Unknown;
        }
        // Never bind with an empty password: servers take DN + empty password as an
        // unauthenticated bind and answer success.
        let Some(pw) = password.expose_str().filter(|p| !p.is_empty()) else {
            return BackendAnswer::Rejected(Rejection::BadCredentials);
        };
        let found = match &self.settings.mode {
            BindMode::Direct { template } => self.verify_direct(template, user, pw),
            BindMode::Search => self.verify_search(user, pw),
        };
        match found {
            Ok(f) => BackendAnswer::Accepted(self.identity(&f)),
            Err(stop) => stop.into(),
        }
    }
}

impl LdapBackend {
    /// The attributes read from a user entry.
    pub(crate) fn user_attrs(&self) -> Vec<&str> {
        let a = &self.settings.attrs;
        let mut v = vec![&*a.name, &*a.display_name, &*a.email, &*a.uid_number, &*a.gid_number, &*a.home, &*a.shell];
        if self.settings.groups == GroupSource::MemberOf {
            v.push(&a.member_of);
        }
        v.retain(|s| !s.is_empty());
        v.dedup();
        v
    }

    fn verify_direct(&self, template: &str, user: &str, pw: &str) -> Result<Found, Stop> {
        let bind_dn = expand(template, &[("user", &escape_dn_value(user))]);
        let attrs = self.user_attrs();
        let out = self.binder.run(
            || self.open_binder(),
            |c| {
                c.bind(&bind_dn, pw)?;
                // Read the entry as the user. A directory whose ACLs hide it still proved the
                // password: the identity is then the name as typed, without attributes.
                let entry = match c.search(&bind_dn, Scope::Base, "(objectClass=*)", &attrs, 1) {
                    Ok(mut v) if !v.is_empty() => v.swap_remove(0),
                    Ok(_) | Err(Failure::Code { .. }) => Entry::bare(&bind_dn),
                    Err(e) => return Err(e),
                };
                let name = entry.canonical(&self.settings.attrs.name, user).unwrap_or(user).to_string();
                let groups = self.group_names(c, &entry, &name)?;
                Ok(Found { entry, name, groups })
            },
        );
        match out {
            Ok(found) => Ok(found),
            Err(Failure::Code { rc: RC_INVALID_CREDENTIALS, op: "bind" }) => Err(self.direct_bind_refused(&bind_dn)),
            Err(f) => Err(bind_failure(&f)),
        }
    }

    /// After a direct bind answered invalidCredentials: `Unknown` when the directory shows
    /// that no entry has that DN, so that a later backend is asked; otherwise `Rejected`.
    ///
    /// The DN is read with scope base over the service connection (the service account, or
    /// anonymous without `bind_dn`). noSuchObject alone proves nothing: a directory that hides
    /// entries from this reader (slapd without `disclose` access) answers it for existing
    /// entries too. So the parent of the DN is read as well, and only "user DN: noSuchObject,
    /// parent: visible" means unknown. Anything else — the reads forbidden, the parent
    /// hidden, the directory gone — keeps the answer `Rejected` (fail closed).
    ///
    /// Timing: both reads always run, whatever the first answers, so a wrong password and an
    /// unknown name cost the same bind and two base reads; only the server's own time to find
    /// or miss an entry differs.
    fn direct_bind_refused(&self, bind_dn: &str) -> Stop {
        let parent = dn::parent(bind_dn);
        let probe = self.service.run(
            || self.open_service(),
            |c| {
                let entry = c.search(bind_dn, Scope::Base, "(objectClass=*)", &["1.1"], 1);
                let parent = match parent {
                    Some(p) => c.search(p, Scope::Base, "(objectClass=*)", &["1.1"], 1),
                    None => Ok(Vec::new()),
                };
                // A broken connection is handed to the pool, which retries once.
                for read in [&entry, &parent] {
                    if let Err(Failure::Broken(why)) = read {
                        return Err(Failure::Broken(why.clone()));
                    }
                }
                Ok((entry, parent))
            },
        );
        match probe {
            Ok((Err(Failure::Code { rc: RC_NO_SUCH_OBJECT, .. }), Ok(parent))) if !parent.is_empty() => Stop::Unknown,
            _ => Stop::Rejected,
        }
    }

    fn verify_search(&self, user: &str, pw: &str) -> Result<Found, Stop> {
        let Some(base) = self.settings.user_base.as_deref() else {
            return Err(Stop::Unavailable("no search base configured".into()));
        };
        let filter = expand(&self.settings.user_filter, &[("user", &escape_filter_value(user))]);
        let attrs = self.user_attrs();
        let searched = self.service.run(|| self.open_service(), |c| c.search(base, Scope::Subtree, &filter, &attrs, 2));
        let mut entries = searched.map_err(|f| Stop::Unavailable(format!("user search: {}", f.reason())))?;
        let entry = match entries.len() {
            0 => {
                self.dummy_bind(base);
                return Err(Stop::Unknown);
            }
            1 => entries.swap_remove(0),
            _ => {
                ldap3::log::warn!(
                    "ldap: user_filter matched more than one entry for `{user}` under {base}: refusing the login (exactly one must match)"
                );
                return Err(Stop::Rejected);
            }
        };
        if entry.dn.is_empty() {
            // Binding with an empty DN would be an anonymous bind.
            return Err(Stop::Rejected);
        }
        self.binder.run(|| self.open_binder(), |c| c.bind(&entry.dn, pw)).map_err(|f| bind_failure(&f))?;
        let name = entry.canonical(&self.settings.attrs.name, user).unwrap_or(user).to_string();
        let groups = match &self.settings.groups {
            GroupSource::MemberOf => self.member_of_names(&entry),
            GroupSource::Search { .. } => self
                .service
                .run(|| self.open_service(), |c| self.group_names(c, &entry, &name))
                .map_err(|f| Stop::Unavailable(format!("group search: {}", f.reason())))?,
        };
        Ok(Found { entry, name, groups })
    }

    /// A bind to a DN that does not exist, so an unknown user costs about as much as a wrong
    /// password. The result does not matter.
    fn dummy_bind(&self, base: &str) {
        let dn = format!("{DUMMY_RDN},{base}");
        let _ = self.binder.run(|| self.open_binder(), |c| c.bind(&dn, DUMMY_PASSWORD));
    }

    /// The user's group names: from `memberOf`, or a group search over `c`.
    fn group_names(&self, c: &mut Conn, entry: &Entry, name: &str) -> Result<Vec<String>, Failure> {
        let GroupSource::Search { base, filter } = &self.settings.groups else {
            return Ok(self.member_of_names(entry));
        };
        let filter = expand(filter, &[("dn", &escape_filter_value(&entry.dn)), ("user", &escape_filter_value(name))]);
        let attr = self.settings.attrs.group_name.as_str();
        let found = c.search(base, Scope::Subtree, &filter, &[attr], 0)?;
        let mut names: Vec<String> = found
            .iter()
            .filter_map(|g| g.first(attr).map(str::to_string).or_else(|| dn::first_rdn_value(&g.dn, attr)))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Group names from the first RDN of each `memberOf` DN.
    fn member_of_names(&self, entry: &Entry) -> Vec<String> {
        let a = &self.settings.attrs;
        let mut names: Vec<String> =
            entry.values(&a.member_of).iter().filter_map(|g| dn::first_rdn_value(g, &a.group_name)).collect();
        names.sort();
        names.dedup();
        names
    }

    fn identity(&self, f: &Found) -> Identity {
        let a = &self.settings.attrs;
        Identity {
            name: f.name.clone(),
            uid: f.entry.id(&a.uid_number),
            gid: f.entry.id(&a.gid_number),
            display_name: f.entry.first(&a.display_name).map(str::to_string),
            email: f.entry.first(&a.email).map(str::to_string),
            groups: f.groups.clone(),
            backend: "ldap".into(),
            scopes: None,
        }
    }
}

/// A failed user bind: `invalidCredentials` is a wrong password (in direct-bind mode, see
/// `direct_bind_refused` for unknown users); anything else means the directory could not
/// answer.
fn bind_failure(f: &Failure) -> Stop {
    match f {
        Failure::Code { rc: RC_INVALID_CREDENTIALS, op: "bind" } => Stop::Rejected,
        other => Stop::Unavailable(other.reason()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_any_io() {
        assert!(acceptable_name("alice"));
        assert!(acceptable_name("Lučić"));
        assert!(acceptable_name("alice)(uid=*"), "escaping, not refusal, handles filter syntax");
        assert!(!acceptable_name(""));
        assert!(!acceptable_name("alice\0"));
        assert!(!acceptable_name("a\nb"));
        assert!(!acceptable_name("a\u{7f}"));
        assert!(!acceptable_name(&"a".repeat(MAX_NAME_LEN + 1)));
        assert!(acceptable_name(&"a".repeat(MAX_NAME_LEN)));
    }

    #[test]
    fn only_invalid_credentials_on_a_user_bind_is_a_wrong_password() {
        let answer = |f: Failure| BackendAnswer::from(bind_failure(&f));
        assert_eq!(answer(Failure::Code { rc: 49, op: "bind" }), BackendAnswer::Rejected(Rejection::BadCredentials));
        assert!(matches!(answer(Failure::Code { rc: 49, op: "service account bind" }), BackendAnswer::Unavailable(_)));
        assert!(matches!(answer(Failure::Code { rc: 53, op: "bind" }), BackendAnswer::Unavailable(_)));
        assert!(matches!(answer(Failure::Broken("x".into())), BackendAnswer::Unavailable(_)));
        let BackendAnswer::Unavailable(r) = answer(Failure::Code { rc: 51, op: "search" }) else { panic!() };
        assert_eq!(r, "search: server answered busy (51)");
    }
}
