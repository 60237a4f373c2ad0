//! The accounts service: the write recipes over a [`UserStore`], in one place.
//!
//! The admin CLI, the local socket's password change, `wicketd --demo` and the tests all
//! create users, set passwords and issue tokens. Each recipe — validate the input, hash the
//! password with the configured [`PasswordPolicy`] (argon2id plus the Digest HA1 values for
//! the configured realm), then store it in one transaction — lives here, so no caller
//! hand-assembles a [`PasswordRecord`](crate::store::PasswordRecord) or forgets a check.
//!
//! Proving the old password before a change is *not* done here: that is a verification, and
//! goes through [`crate::verify::Authenticator::verify`] so it meets the throttle like any
//! other guess. [`Accounts::set_password`] is the write that follows the proof.
//!
//! Every new password (a new user's, `set_password`'s) meets the [`PasswordRules`] first —
//! length, not the user's name, not a common password — so the CLI, PAM `chauthtok` and the
//! portal refuse the same passwords with the same message ([`Error::WeakPassword`]). Imports
//! of existing hashes do not pass here.

use crate::config::{DigestAlgorithm, UsersConfig};
use crate::duration::sanitize;
use crate::error::{Error, Result};
use crate::names::validate_name;
use crate::password::policy::PasswordPolicy;
use crate::password::strength::PasswordRules;
use crate::secret::Secret;
use crate::store::{AccountState, Group, NewUser, TokenInfo, User, UserChanges, UserStore};
use crate::token;

mod invite;
pub use invite::{INVITE_TOKEN_LEN, Invitation, invite_hash, new_invite_token};

/// Lowest uid/gid an administrator may give by hand; below it the ids belong to the system.
pub const MIN_MANUAL_ID: u32 = 1000;

/// Writes to one store connection, with the password policy and the `[users]` defaults.
#[derive(Debug)]
pub struct Accounts<'a> {
    store: &'a mut dyn UserStore,
    policy: &'a PasswordPolicy,
    defaults: &'a UsersConfig,
}

/// Whether a user can answer Digest in the configured realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestReadiness {
    /// The configuration offers no Digest.
    NotOffered,
    /// The user has no password at all.
    NoPassword,
    /// HA1 values exist for these of the configured algorithms (all of them when `missing`
    /// is empty).
    Ready {
        /// The configured realm.
        realm: String,
        /// Algorithms with a stored HA1.
        have: Vec<DigestAlgorithm>,
        /// Configured algorithms without one.
        missing: Vec<DigestAlgorithm>,
    },
}

impl<'a> Accounts<'a> {
    /// The service over `store`.
    pub fn new(store: &'a mut dyn UserStore, policy: &'a PasswordPolicy, defaults: &'a UsersConfig) -> Self {
        Self { store, policy, defaults }
    }

    /// The store, for reads.
    pub fn store(&self) -> &dyn UserStore {
        &*self.store
    }

    /// Everything that can be checked about a new user before asking for its password:
    /// name, ids, text fields, and that the name is free.
    pub fn check_new_user(&self, new: &NewUser) -> Result<()> {
        validate_new_user(new)?;
        if self.store.user_exists(&new.name)? {
            return Err(Error::UserExists(new.name.clone()));
        }
        Ok(())
    }

    /// Validates, checks the password against the rules, hashes it (when one is given) and
    /// stores a new user.
    pub fn add_user(&mut self, new: &NewUser, password: Option<&Secret>, now: i64) -> Result<User> {
        validate_new_user(new)?;
        if let Some(pw) = password {
            self.rules().check(&new.name, pw)?;
        }
        let record = password.map(|pw| self.policy.record(&new.name, pw)).transpose()?;
        self.store.add_user(new, self.defaults, record.as_ref(), now)
    }

    /// Fails with "no such user" unless `name` exists (checked before prompting for a password).
    pub fn require_user(&self, name: &str) -> Result<()> {
        if self.store.user_exists(name)? { Ok(()) } else { Err(Error::NoSuchUser(sanitize(name))) }
    }

    /// The rules every new password meets.
    pub fn rules(&self) -> &PasswordRules {
        self.policy.rules()
    }

    /// Hashes and stores a new password (with its Digest values for the configured realm).
    /// Refuses an unknown user and a password that breaks the rules (empty, too short, the
    /// name, common). With `[tokens] revoke_on_password_change`, the user's tokens are
    /// revoked in the same transaction.
    pub fn set_password(&mut self, name: &str, password: &Secret, now: i64) -> Result<()> {
        self.change_password(name, password, now).map(|_| ())
    }

    /// [`Accounts::set_password`], returning how many tokens it revoked.
    pub fn change_password(&mut self, name: &str, password: &Secret, now: i64) -> Result<u64> {
        self.require_user(name)?;
        self.rules().check(name, password)?;
        let record = self.policy.record(name, password)?;
        if self.policy.revokes_tokens() {
            self.store.set_password_revoking_tokens(name, &record, now)
        } else {
            self.store.set_password(name, &record, now).map(|()| 0)
        }
    }

    /// Validates and applies changes to a user (`wicket user mod`); at least one is needed.
    pub fn update_user(&mut self, name: &str, changes: &UserChanges, now: i64) -> Result<User> {
        validate_changes(changes)?;
        self.store.update_user(name, changes, now)
    }

    /// Renames a user: `new` must be a valid, unused name. Ids, memberships and tokens stay;
    /// sessions end; Digest values go (they are bound to the name) until the password is
    /// set again or used once with Basic.
    pub fn rename_user(&mut self, old: &str, new: &str, now: i64) -> Result<()> {
        validate_name(new)?;
        if old == new {
            return Err(Error::Invalid(format!("`{}` already has that name", sanitize(old))));
        }
        self.store.rename_user(old, new, now)
    }

    /// Revokes every token of a user; how many were still unrevoked.
    pub fn revoke_user_tokens(&mut self, name: &str, now: i64) -> Result<u64> {
        self.store.revoke_user_tokens(name, now)
    }

    /// Deletes a user with its tokens and memberships.
    pub fn delete_user(&mut self, name: &str) -> Result<()> {
        self.store.delete_user(name)
    }

    /// Sets active, locked or disabled.
    pub fn set_state(&mut self, name: &str, state: AccountState, now: i64) -> Result<()> {
        self.store.set_state(name, state, now)
    }

    /// Sets or clears the expiry.
    pub fn set_expiry(&mut self, name: &str, expires_at: Option<i64>, now: i64) -> Result<()> {
        self.store.set_expiry(name, expires_at, now)
    }

    /// Whether `user` can use Digest in the configured realm.
    pub fn digest_readiness(&self, user: &User) -> Result<DigestReadiness> {
        digest_readiness(&*self.store, self.policy, user)
    }

    /// Creates a group with a fixed (validated) or allocated gid.
    pub fn add_group(&mut self, name: &str, gid: Option<u32>, now: i64) -> Result<Group> {
        validate_name(name)?;
        validate_id("gid", gid)?;
        self.store.add_group(name, gid, self.defaults, now)
    }

    /// Deletes a group (members stay).
    pub fn delete_group(&mut self, name: &str) -> Result<()> {
        self.store.delete_group(name)
    }

    /// Adds a member; false if it already was one.
    pub fn add_member(&mut self, user: &str, group: &str) -> Result<bool> {
        self.store.add_member(user, group)
    }

    /// Removes a member; false if it was not one.
    pub fn remove_member(&mut self, user: &str, group: &str) -> Result<bool> {
        self.store.remove_member(user, group)
    }

    /// Issues a token: validates its name and scopes, stores its hash, and returns the token
    /// itself — the only time it exists outside the caller's hands.
    pub fn create_token(
        &mut self,
        owner: &str,
        name: &str,
        scopes: &[String],
        expires_at: Option<i64>,
        now: i64,
    ) -> Result<(Secret, TokenInfo)> {
        validate_token_name(name)?;
        for s in scopes {
            validate_scope(s)?;
        }
        let secret = token::generate();
        let info = self.store.add_token(owner, name, &token::hash(secret.expose()), scopes, expires_at, now)?;
        Ok((secret, info))
    }

    /// Revokes a token.
    pub fn revoke_token(&mut self, owner: &str, name: &str, now: i64) -> Result<()> {
        self.store.revoke_token(owner, name, now)
    }
}

/// Whether `user` can use Digest in the policy's realm (a read: no [`Accounts`] needed).
pub fn digest_readiness(store: &dyn UserStore, policy: &PasswordPolicy, user: &User) -> Result<DigestReadiness> {
    let wanted = policy.digest_algorithms();
    if wanted.is_empty() {
        return Ok(DigestReadiness::NotOffered);
    }
    if user.password_hash.is_none() {
        return Ok(DigestReadiness::NoPassword);
    }
    let have = store.ha1_algorithms(&user.name, policy.realm(), wanted)?;
    let missing = wanted.iter().copied().filter(|a| !have.contains(a)).collect();
    Ok(DigestReadiness::Ready { realm: policy.realm().to_string(), have, missing })
}

/// Name, fixed ids and text fields of a new user.
pub fn validate_new_user(new: &NewUser) -> Result<()> {
    validate_name(&new.name)?;
    validate_id("uid", new.uid)?;
    validate_id("gid", new.gid)?;
    validate_text_fields(new)
}

/// Full name, e-mail, home and shell end up in `/etc/passwd`-shaped answers: no `:` and no
/// control characters.
fn validate_text_fields(new: &NewUser) -> Result<()> {
    for (what, v) in
        [("full name", &new.display_name), ("email", &new.email), ("home", &new.home), ("shell", &new.shell)]
    {
        if v.as_deref().is_some_and(|s| s.chars().any(|c| c.is_control() || c == ':')) {
            return Err(Error::Invalid(format!("{what} must not contain ':' or control characters")));
        }
    }
    Ok(())
}

/// The changes of `wicket user mod`: at least one, ids in range, text fields like a new
/// user's, home and shell not empty.
pub fn validate_changes(c: &UserChanges) -> Result<()> {
    if c.is_empty() {
        return Err(Error::Invalid("nothing to change: give at least one option".into()));
    }
    validate_id("uid", c.uid)?;
    validate_id("gid", c.gid)?;
    for (what, v) in [("home", &c.home), ("shell", &c.shell)] {
        if v.as_deref().is_some_and(str::is_empty) {
            return Err(Error::Invalid(format!("{what} must not be empty")));
        }
    }
    let fields = NewUser {
        display_name: c.display_name.clone().flatten(),
        email: c.email.clone().flatten(),
        home: c.home.clone(),
        shell: c.shell.clone(),
        ..NewUser::default()
    };
    validate_text_fields(&fields)
}

/// A uid or gid given by hand: outside the system's range and within `i32`.
pub fn validate_id(what: &str, id: Option<u32>) -> Result<()> {
    if id.is_some_and(|n| !(MIN_MANUAL_ID..=i32::MAX as u32).contains(&n)) {
        return Err(Error::Invalid(format!(
            "{what} must be between {MIN_MANUAL_ID} and {} (ids below {MIN_MANUAL_ID} belong to the system)",
            i32::MAX
        )));
    }
    Ok(())
}

/// A token name: 1–64 characters, no whitespace or control characters.
pub fn validate_token_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::Invalid("token name must be 1-64 characters without spaces or control characters".into()));
    }
    Ok(())
}

/// An RFC 6750 scope token: printable ASCII without quotes or backslashes (it is echoed
/// inside a quoted `WWW-Authenticate` parameter).
pub fn validate_scope(scope: &str) -> Result<()> {
    if scope.is_empty() || !scope.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\') {
        return Err(Error::Invalid(format!(
            "invalid scope `{}` (RFC 6750 scope tokens: printable ASCII, no quotes)",
            sanitize(scope)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::store::SqliteStore;

    fn setup(realm: &str) -> (tempfile::TempDir, SqliteStore, PasswordPolicy, Config) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let text = format!("[store]\npath = \"/nonexistent/unused.db\"\n[server]\nrealm = \"{realm}\"\n");
        let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        let store =
            SqliteStore::open(&dir.path().join("w.db"), cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
        let policy = PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"));
        (dir, store, policy, cfg)
    }

    #[test]
    fn adding_a_user_validates_then_hashes_with_the_realms_digest_values() {
        let (_d, mut store, policy, cfg) = setup("staff");
        let mut acc = Accounts::new(&mut store, &policy, &cfg.users);
        let bad = |n: NewUser| NewUser { name: "alice".into(), ..n };
        for new in [
            NewUser { name: "Bad Name".into(), ..NewUser::default() },
            bad(NewUser { uid: Some(10), ..NewUser::default() }),
            bad(NewUser { shell: Some("/bin/sh:x".into()), ..NewUser::default() }),
        ] {
            assert!(acc.add_user(&new, Some(&Secret::from("pw")), 1).is_err(), "{new:?}");
        }
        assert!(acc.store().list_users().unwrap_or_default().is_empty());
        let alice = NewUser { name: "alice".into(), ..NewUser::default() };
        let u = acc.add_user(&alice, Some(&Secret::from("pw-alice-1")), 1).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(acc.check_new_user(&alice), Err(Error::UserExists(_))));
        assert!(u.password_hash.as_deref().is_some_and(|h| h.starts_with("$argon2id$")));
        let ready = acc.digest_readiness(&u).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            ready,
            DigestReadiness::Ready { realm: "staff".into(), have: vec![DigestAlgorithm::Sha256], missing: vec![] }
        );
        assert!(matches!(acc.set_password("nobody", &Secret::from("x"), 2), Err(Error::NoSuchUser(_))));
        assert!(matches!(acc.set_password("alice", &Secret::from(""), 2), Err(Error::EmptyPassword)));
    }

    #[test]
    fn new_passwords_meet_the_rules_on_every_write_path() {
        let (_d, mut store, policy, cfg) = setup("wicket");
        let mut acc = Accounts::new(&mut store, &policy, &cfg.users);
        let bob = NewUser { name: "bob".into(), ..NewUser::default() };
        for pw in ["short", "Bob2024!", "password1"] {
            assert!(matches!(acc.add_user(&bob, Some(&Secret::from(pw)), 1), Err(Error::WeakPassword(_))), "{pw}");
        }
        assert!(!acc.store().user_exists("bob").unwrap_or(true), "a refused password adds no user");
        acc.add_user(&bob, Some(&Secret::from("pw-Bob-first")), 1).unwrap_or_else(|e| panic!("{e}"));
        let before = acc.store().get_user("bob").ok().flatten().and_then(|u| u.password_hash);
        let e = acc.set_password("bob", &Secret::from("qwerty123"), 2).err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("password refused: it is one of the most common passwords"));
        let after = acc.store().get_user("bob").ok().flatten().and_then(|u| u.password_hash);
        assert_eq!(before, after, "a refused change leaves the hash");
    }

    #[test]
    fn a_password_change_revokes_tokens_only_when_configured() {
        for (revoke, left) in [(false, true), (true, false)] {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let text = format!("[tokens]\nrevoke_on_password_change = {revoke}\n");
            let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
            let mut store =
                SqliteStore::open(&dir.path().join("w.db"), cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
            let policy = PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"));
            let mut acc = Accounts::new(&mut store, &policy, &cfg.users);
            acc.add_user(&NewUser { name: "bob".into(), ..NewUser::default() }, None, 1)
                .unwrap_or_else(|e| panic!("{e}"));
            acc.create_token("bob", "ci", &[], None, 1).unwrap_or_else(|e| panic!("{e}"));
            let n = acc.change_password("bob", &Secret::from("pw-Bob-second"), 2).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(n, u64::from(revoke));
            let tokens = acc.store().list_tokens(Some("bob")).unwrap_or_default();
            assert_eq!(tokens.iter().all(|t| t.is_usable(3)), left, "revoke_on_password_change = {revoke}");
        }
    }

    #[test]
    fn user_changes_are_validated_before_the_store_sees_them() {
        let (_d, mut store, policy, cfg) = setup("wicket");
        let mut acc = Accounts::new(&mut store, &policy, &cfg.users);
        acc.add_user(&NewUser { name: "bob".into(), ..NewUser::default() }, None, 1).unwrap_or_else(|e| panic!("{e}"));
        for bad in [
            UserChanges::default(),
            UserChanges { uid: Some(5), ..UserChanges::default() },
            UserChanges { shell: Some(String::new()), ..UserChanges::default() },
            UserChanges { display_name: Some(Some("a:b".into())), ..UserChanges::default() },
        ] {
            assert!(matches!(acc.update_user("bob", &bad, 2), Err(Error::Invalid(_))), "{bad:?}");
        }
        assert!(matches!(acc.rename_user("bob", "Bad Name", 2), Err(Error::InvalidName { .. })));
        assert!(matches!(acc.rename_user("bob", "bob", 2), Err(Error::Invalid(_))));
        let changes = UserChanges { shell: Some("/bin/zsh".into()), ..UserChanges::default() };
        assert_eq!(acc.update_user("bob", &changes, 2).map(|u| u.shell).ok().as_deref(), Some("/bin/zsh"));
    }

    #[test]
    fn tokens_are_validated_and_returned_once() {
        let (_d, mut store, policy, cfg) = setup("wicket");
        let mut acc = Accounts::new(&mut store, &policy, &cfg.users);
        acc.add_user(&NewUser { name: "bob".into(), ..NewUser::default() }, None, 1).unwrap_or_else(|e| panic!("{e}"));
        assert!(acc.create_token("bob", "has space", &[], None, 1).is_err());
        assert!(acc.create_token("bob", "ci", &["a\"b".into()], None, 1).is_err());
        let (secret, info) = acc.create_token("bob", "ci", &["read".into()], None, 1).unwrap_or_else(|e| panic!("{e}"));
        let found = acc.store().find_token(&token::hash(secret.expose())).ok().flatten();
        let owner = |o: crate::store::TokenOwner| match o {
            crate::store::TokenOwner::Local(u) => u.name,
            crate::store::TokenOwner::External { name, .. } => name,
        };
        assert_eq!(found.map(|(t, o)| (t.id, owner(o))), Some((info.id, "bob".to_string())));
        assert!(acc.add_group("staff", Some(999), 1).is_err());
        assert_eq!(acc.add_group("staff", Some(5000), 1).map(|g| g.gid).ok(), Some(5000));
    }
}
