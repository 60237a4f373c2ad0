//! [`Directory`] over LDAP: passwd and group entries through the service connection, cached.
//!
//! - Users are searched under the user base (`base`, or the parent of the `user_dn`
//!   template) with `user_filter`; the entry must carry the name exactly as asked (NSS names
//!   are case-sensitive even where LDAP matching is not) and both uidNumber and gidNumber,
//!   else it is "not found". By uid, `user_filter` with `{user}` = `*` is combined with
//!   `(uidNumber=N)`, and the first entry the server returns wins.
//! - Groups are entries of class posixGroup, groupOfNames or groupOfUniqueNames with a
//!   gidNumber, under `group_base` or, without it (groups from `memberOf`), under the naming
//!   context that holds the user base (read once from the root DSE; the user base itself if
//!   the server does not say). Members are `memberUid` values and
//!   the user names of `member`/`uniqueMember` DNs (the first RDN when its type is the
//!   name attribute, else read from the member's entry).
//! - A user's groups come from `memberOf` (each group entry read) or the `group_filter`
//!   search, keeping only groups with a gidNumber.
//!
//! An unset attribute (`homeDirectory`, `loginShell`, `cn`) gives an empty field. A search
//! base the connection may not see (`noSuchObject`, e.g. anonymous lookups on a directory
//! that hides itself from anonymous clients) finds nothing; it is not an outage.

use super::cache::TtlCache;
use super::conn::{Conn, Failure, RC_NO_SUCH_OBJECT};
use super::entry::Entry;
use super::escape::{escape_filter_value, expand};
use super::settings::GroupSource;
use super::verify::acceptable_name;
use super::{LdapBackend, dn};
use crate::directory::{Directory, Lookup, PosixGroup, PosixUser, Unavailable};
use ldap3::Scope;
use std::hash::Hash;

/// Key of a cached user lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum UserKey {
    /// By name.
    Name(String),
    /// By uid.
    Uid(u32),
}

/// Key of a cached group lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum GroupKey {
    /// By name.
    Name(String),
    /// By gid.
    Gid(u32),
}

/// Entries a lookup by name may match before the exact-name check.
const NAME_MATCH_LIMIT: i32 = 16;
/// `memberOf` values, and member DNs needing their own read, followed per lookup.
const MAX_FOLLOWED_DNS: usize = 256;
/// What makes an entry a group.
const GROUP_CLASSES: &str = "(|(objectClass=posixGroup)(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))";
/// Member attributes read from group entries.
const MEMBER_DN_ATTRS: [&str; 2] = ["member", "uniqueMember"];
const MEMBER_UID_ATTR: &str = "memberUid";

fn unavailable(f: &Failure) -> Unavailable {
    Unavailable(f.reason())
}

/// A subtree search where a base that does not exist (or is hidden) finds nothing.
fn search_under(c: &mut Conn, base: &str, filter: &str, attrs: &[&str], limit: i32) -> Result<Vec<Entry>, Failure> {
    match c.search(base, Scope::Subtree, filter, attrs, limit) {
        Err(Failure::Code { rc: RC_NO_SUCH_OBJECT, .. }) => Ok(Vec::new()),
        other => other,
    }
}

/// True when `dn` is `suffix` or lies below it (ASCII case and spaces after commas ignored).
fn dn_within(dn: &str, suffix: &str) -> bool {
    let norm = |s: &str| s.split(',').map(|p| p.trim().to_ascii_lowercase()).collect::<Vec<_>>();
    let (dn, suffix) = (norm(dn), norm(suffix));
    !suffix.is_empty() && dn.len() >= suffix.len() && dn[dn.len() - suffix.len()..] == suffix[..]
}

impl LdapBackend {
    /// Where group lookups search: `group_base`, else the naming context holding the user
    /// base (from the root DSE, remembered), else the user base.
    fn group_lookup_base(&self, c: &mut Conn) -> Result<Option<String>, Failure> {
        if let Some(b) = &self.settings.group_base {
            return Ok(Some(b.clone()));
        }
        let Some(user_base) = self.settings.user_base.as_deref() else { return Ok(None) };
        if let Some(b) = self.group_search_base.get() {
            return Ok(Some(b.clone()));
        }
        let contexts = match c.search("", Scope::Base, "(objectClass=*)", &["namingContexts"], 1) {
            Ok(v) => v.into_iter().next().map(|e| e.values("namingContexts").to_vec()).unwrap_or_default(),
            Err(Failure::Code { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        let best = contexts.into_iter().filter(|nc| dn_within(user_base, nc)).max_by_key(String::len);
        let base = best.unwrap_or_else(|| user_base.to_string());
        Ok(Some(self.group_search_base.get_or_init(|| base).clone()))
    }

    /// A cached answer, or `fetch` over a service connection, remembered (negative answers,
    /// as told by `is_negative`, for a shorter time).
    fn cached<K: Eq + Hash + Clone, V: Clone>(
        &self,
        cache: &TtlCache<K, V>,
        key: K,
        is_negative: impl Fn(&V) -> bool,
        mut fetch: impl FnMut(&mut Conn) -> Result<V, Failure>,
    ) -> Result<V, Unavailable> {
        if let Some(v) = cache.get(&key) {
            return Ok(v);
        }
        let v = self.service.run(|| self.open_service(), |c| fetch(c)).map_err(|f| unavailable(&f))?;
        cache.put(key, v.clone(), is_negative(&v));
        Ok(v)
    }

    fn posix_user_attrs(&self) -> Vec<&str> {
        let a = &self.settings.attrs;
        let mut v = vec![&*a.name, &*a.display_name, &*a.uid_number, &*a.gid_number, &*a.home, &*a.shell];
        v.retain(|s| !s.is_empty());
        v
    }

    fn group_attrs(&self) -> Vec<&str> {
        let a = &self.settings.attrs;
        let mut v = vec![&*a.group_name, &*a.gid_number, MEMBER_UID_ATTR];
        v.extend(MEMBER_DN_ATTRS);
        v
    }

    /// A passwd entry from an LDAP entry, named `name`.
    fn posix_user(&self, e: &Entry, name: &str) -> Option<PosixUser> {
        let a = &self.settings.attrs;
        Some(PosixUser {
            name: name.to_string(),
            uid: e.id(&a.uid_number)?,
            gid: e.id(&a.gid_number)?,
            gecos: e.first(&a.display_name).unwrap_or_default().to_string(),
            home: e.first(&a.home).unwrap_or_default().to_string(),
            shell: e.first(&a.shell).unwrap_or_default().to_string(),
        })
    }

    /// The one user entry named exactly `name` (any entry, POSIX or not).
    fn find_user(&self, c: &mut Conn, name: &str, attrs: &[&str]) -> Result<Option<Entry>, Failure> {
        let Some(base) = self.settings.user_base.as_deref() else { return Ok(None) };
        let filter = expand(&self.settings.user_filter, &[("user", &escape_filter_value(name))]);
        let found = search_under(c, base, &filter, attrs, NAME_MATCH_LIMIT)?;
        let mut exact: Vec<Entry> =
            found.into_iter().filter(|e| e.has_exact(&self.settings.attrs.name, name)).collect();
        if exact.len() > 1 {
            ldap3::log::warn!("ldap: more than one entry is named `{name}` under {base}: treating it as not found");
            return Ok(None);
        }
        Ok(exact.pop())
    }

    /// A group entry with its members resolved; `None` without a usable gidNumber.
    fn posix_group(&self, c: &mut Conn, e: &Entry) -> Result<Option<PosixGroup>, Failure> {
        let a = &self.settings.attrs;
        let Some(gid) = e.id(&a.gid_number) else { return Ok(None) };
        let Some(name) =
            e.first(&a.group_name).map(str::to_string).or_else(|| dn::first_rdn_value(&e.dn, &a.group_name))
        else {
            return Ok(None);
        };
        let mut members: Vec<String> = e.values(MEMBER_UID_ATTR).to_vec();
        let mut reads = 0;
        for attr in MEMBER_DN_ATTRS {
            for member in e.values(attr) {
                // uniqueMember may carry an `#'0101'B` suffix.
                let member_dn = match member.rfind("#'") {
                    Some(i) if member.ends_with("'B") => &member[..i],
                    _ => member.as_str(),
                };
                if let Some(n) = dn::rdn_value_of_type(member_dn, &a.name) {
                    members.push(n);
                } else if reads < MAX_FOLLOWED_DNS {
                    reads += 1;
                    if let Some(n) = self.read_name(c, member_dn)? {
                        members.push(n);
                    }
                }
            }
        }
        members.sort();
        members.dedup();
        Ok(Some(PosixGroup { name, gid, members }))
    }

    /// The name attribute of the entry at `dn`; `None` when it does not exist.
    fn read_name(&self, c: &mut Conn, dn: &str) -> Result<Option<String>, Failure> {
        let attr = self.settings.attrs.name.as_str();
        match c.search(dn, Scope::Base, "(objectClass=*)", &[attr], 1) {
            Ok(v) => Ok(v.first().and_then(|e| e.first(attr)).map(str::to_string)),
            Err(Failure::Code { rc: RC_NO_SUCH_OBJECT, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Groups matching `filter` under the group lookup base.
    fn search_groups(&self, c: &mut Conn, base: &str, filter: &str, limit: i32) -> Result<Vec<PosixGroup>, Failure> {
        let attrs = self.group_attrs();
        let found = search_under(c, base, filter, &attrs, limit)?;
        let mut out = Vec::new();
        for e in &found {
            if let Some(g) = self.posix_group(c, e)? {
                out.push(g);
            }
        }
        Ok(out)
    }

    fn group_lookup(&self, key: GroupKey) -> Lookup<PosixGroup> {
        let a = &self.settings.attrs;
        let filter = match &key {
            GroupKey::Name(n) => {
                format!("(&{GROUP_CLASSES}({}={})({}=*))", a.group_name, escape_filter_value(n), a.gid_number)
            }
            GroupKey::Gid(g) => format!("(&{GROUP_CLASSES}({}={g}))", a.gid_number),
        };
        let wanted = key.clone();
        self.cached(&self.groups, key, Option::is_none, |c| {
            let Some(base) = self.group_lookup_base(c)? else { return Ok(None) };
            let found = self.search_groups(c, &base, &filter, NAME_MATCH_LIMIT)?;
            let mut hits = found.into_iter().filter(|g| match &wanted {
                GroupKey::Name(n) => &g.name == n,
                GroupKey::Gid(gid) => g.gid == *gid,
            });
            Ok(hits.next())
        })
    }
}

impl Directory for LdapBackend {
    fn user_by_name(&self, name: &str) -> Lookup<PosixUser> {
        if !acceptable_name(name) {
            return Ok(None);
        }
        let attrs = self.posix_user_attrs();
        self.cached(&self.users, UserKey::Name(name.to_string()), Option::is_none, |c| {
            Ok(self.find_user(c, name, &attrs)?.and_then(|e| self.posix_user(&e, name)))
        })
    }

    fn user_by_uid(&self, uid: u32) -> Lookup<PosixUser> {
        let Some(base) = self.settings.user_base.clone() else { return Ok(None) };
        let a = &self.settings.attrs;
        let any_user = expand(&self.settings.user_filter, &[("user", "*")]);
        let filter = format!("(&{any_user}({}={uid}))", a.uid_number);
        let attrs = self.posix_user_attrs();
        self.cached(&self.users, UserKey::Uid(uid), Option::is_none, |c| {
            let found = search_under(c, &base, &filter, &attrs, NAME_MATCH_LIMIT)?;
            Ok(found.iter().find_map(|e| {
                let name = e.first(&a.name)?;
                self.posix_user(e, name).filter(|u| u.uid == uid)
            }))
        })
    }

    fn group_by_name(&self, name: &str) -> Lookup<PosixGroup> {
        if !acceptable_name(name) {
            return Ok(None);
        }
        self.group_lookup(GroupKey::Name(name.to_string()))
    }

    fn group_by_gid(&self, gid: u32) -> Lookup<PosixGroup> {
        self.group_lookup(GroupKey::Gid(gid))
    }

    fn groups_of(&self, user: &str) -> Result<Vec<PosixGroup>, Unavailable> {
        if !acceptable_name(user) {
            return Ok(Vec::new());
        }
        let a = &self.settings.attrs;
        let mut attrs = vec![a.name.as_str()];
        if self.settings.groups == GroupSource::MemberOf {
            attrs.push(&a.member_of);
        }
        self.cached(&self.memberships, user.to_string(), Vec::is_empty, |c| {
            let Some(entry) = self.find_user(c, user, &attrs)? else { return Ok(Vec::new()) };
            let mut groups = match &self.settings.groups {
                GroupSource::MemberOf => {
                    let group_attrs = self.group_attrs();
                    let mut out = Vec::new();
                    for group_dn in entry.values(&a.member_of).iter().take(MAX_FOLLOWED_DNS) {
                        let found = match c.search(group_dn, Scope::Base, "(objectClass=*)", &group_attrs, 1) {
                            Ok(v) => v,
                            Err(Failure::Code { rc: RC_NO_SUCH_OBJECT, .. }) => continue,
                            Err(e) => return Err(e),
                        };
                        for g in &found {
                            if let Some(g) = self.posix_group(c, g)? {
                                out.push(g);
                            }
                        }
                    }
                    out
                }
                GroupSource::Search { base, filter } => {
                    let filter = expand(
                        filter,
                        &[("dn", &escape_filter_value(&entry.dn)), ("user", &escape_filter_value(user))],
                    );
                    self.search_groups(c, base, &filter, 0)?
                }
            };
            groups.sort_by(|x, y| x.name.cmp(&y.name));
            groups.dedup_by(|x, y| x.gid == y.gid && x.name == y.name);
            Ok(groups)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naming_context_suffixes() {
        assert!(dn_within("ou=people,dc=example,dc=org", "dc=example,dc=org"));
        assert!(dn_within("ou=people, DC=Example, dc=org", "dc=example,dc=org"));
        assert!(dn_within("dc=example,dc=org", "dc=example,dc=org"));
        assert!(!dn_within("ou=people,dc=example,dc=org", "dc=other,dc=org"));
        assert!(!dn_within("ou=people,dc=myexample,dc=org", "dc=example,dc=org"));
        assert!(!dn_within("dc=org", "dc=example,dc=org"));
        assert!(!dn_within("dc=org", ""));
    }
}
