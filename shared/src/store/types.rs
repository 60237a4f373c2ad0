//! The records a store keeps: users, groups, Digest values, tokens. Plain data, no storage.

use crate::auth::Identity;
use crate::config::DigestAlgorithm;
use serde::Serialize;

/// Whether an account may log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountState {
    /// May log in.
    Active,
    /// Temporarily refused (`wicket user lock`).
    Locked,
    /// Refused until an administrator re-enables it.
    Disabled,
}

impl AccountState {
    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Locked => "locked",
            Self::Disabled => "disabled",
        }
    }
    /// The state for a stored word; anything unexpected fails closed (disabled).
    pub fn from_db(s: &str) -> Self {
        match s {
            "active" => Self::Active,
            "locked" => Self::Locked,
            // Anything unexpected fails closed.
            _ => Self::Disabled,
        }
    }
}

/// A stored user. The password hash is never serialized.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// Row id.
    #[serde(skip)]
    pub id: i64,
    /// Login name.
    pub name: String,
    /// POSIX uid.
    pub uid: u32,
    /// POSIX primary gid.
    pub gid: u32,
    /// Full name (GECOS).
    pub display_name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
    /// Active, locked or disabled.
    pub state: AccountState,
    /// Unix time after which the account no longer verifies.
    pub expires_at: Option<i64>,
    /// PHC or legacy hash; `None` when no password is set.
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// When the password was last set.
    pub password_changed_at: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// Names of the groups the user belongs to (filled by `get_user`/`list_users`).
    pub groups: Vec<String>,
}

impl User {
    /// True when the account has an expiry in the past.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }
    /// The stored password hash's scheme, for display (`argon2id`, `bcrypt`, …).
    pub fn hash_scheme(&self) -> &'static str {
        match self.password_hash.as_deref() {
            None => "none",
            Some(h) if h.starts_with("$argon2id$") => "argon2id",
            Some(h) if h.starts_with("$argon2") => "argon2",
            Some(h) if h.starts_with("$2") => "bcrypt",
            Some(h) if h.starts_with("$apr1$") => "apr1",
            Some(h) if h.starts_with("$1$") => "md5-crypt",
            Some(h) if h.starts_with("$5$") => "sha256-crypt",
            Some(h) if h.starts_with("$6$") => "sha512-crypt",
            Some(h) if h.starts_with("{SSHA}") => "ssha",
            Some(h) if h.starts_with("{SHA}") => "sha1",
            Some(_) => "unknown",
        }
    }
}

/// Fields for a new user; `None` takes the configured default.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// Login name (validated by the caller with [`crate::names::validate_name`]).
    pub name: String,
    /// Fixed uid, or allocate from the range.
    pub uid: Option<u32>,
    /// Fixed primary gid, or the user's own (same number as the uid).
    pub gid: Option<u32>,
    /// Full name.
    pub display_name: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Home directory.
    pub home: Option<String>,
    /// Shell.
    pub shell: Option<String>,
    /// Expiry (Unix time).
    pub expires_at: Option<i64>,
}

/// Changes to an existing user (`wicket user mod`); `None` leaves a field as it is.
/// Validation is the caller's ([`crate::accounts::Accounts::update_user`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChanges {
    /// New uid (refused when another user or a group has it).
    pub uid: Option<u32>,
    /// New primary gid (refused when it is another user's uid, that is its private group).
    pub gid: Option<u32>,
    /// Full name; `Some(None)` clears it.
    pub display_name: Option<Option<String>>,
    /// E-mail; `Some(None)` clears it.
    pub email: Option<Option<String>>,
    /// Home directory (the directory itself is not moved).
    pub home: Option<String>,
    /// Login shell.
    pub shell: Option<String>,
    /// Expiry; `Some(None)` = never.
    pub expires_at: Option<Option<i64>>,
}

impl UserChanges {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One Digest HA1 value.
#[derive(Debug, Clone)]
pub struct Ha1Entry {
    /// Realm it is bound to.
    pub realm: String,
    /// Hash algorithm.
    pub algorithm: DigestAlgorithm,
    /// `H(user:realm:password)`, hex.
    pub ha1: String,
    /// `H(user:realm)`, hex, for `userhash=true`.
    pub userhash: String,
}

/// A password as stored: the hash plus the Digest values derived while the plaintext was known.
#[derive(Debug, Clone)]
pub struct PasswordRecord {
    /// PHC (or imported legacy) hash.
    pub hash: String,
    /// HA1 values; empty for imported hashes (Digest needs the plaintext once).
    pub ha1: Vec<Ha1Entry>,
}

/// A group with its members.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Row id.
    #[serde(skip)]
    pub id: i64,
    /// Group name.
    pub name: String,
    /// POSIX gid.
    pub gid: u32,
    /// Member user names, sorted.
    pub members: Vec<String>,
    /// Members from other backends, as `backend:name`, sorted. Not POSIX members: NSS
    /// lists only [`Group::members`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_members: Vec<String>,
}

/// A user of another backend, spelled `backend:name` where the store takes a member or a
/// token owner (`ldap:carol`). Local names cannot contain `:`, so a plain name is a local
/// user. Returns `(backend, name)`; the caller validates and canonicalises both
/// ([`crate::access::members::parse`]).
pub fn split_external(who: &str) -> Option<(&str, &str)> {
    who.split_once(':')
}

/// Who owns a token.
#[derive(Debug, Clone)]
pub enum TokenOwner {
    /// A user of the local store.
    Local(User),
    /// A user of another backend, with the Wicket groups they are a member of.
    External {
        /// The backend (`ldap`, `pam`).
        backend: String,
        /// The canonical name.
        name: String,
        /// Wicket groups, sorted.
        groups: Vec<String>,
    },
}

/// A token's metadata. The token itself is never stored; `hash` is its SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    /// Row id.
    pub id: i64,
    /// Owner's user name (`backend:name` for a user of another backend).
    pub owner: String,
    /// Name given at creation.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Creation time.
    pub created_at: i64,
    /// Expiry, if any.
    pub expires_at: Option<i64>,
    /// Last use (updated in batches by wicketd).
    pub last_used_at: Option<i64>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<i64>,
}

impl TokenInfo {
    /// True when the token may be used at `now`.
    pub fn is_usable(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| t > now)
    }
}

/// A browser session as stored: found by the SHA-256 of its cookie value (the value itself
/// is never stored), with a snapshot of the identity it was opened for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the cookie value, lowercase hex.
    pub id_hash: String,
    /// Who signed in (name, ids, groups and the backend that vouched, at sign-in).
    pub identity: Identity,
    /// When it was opened.
    pub created_at: i64,
    /// Last request seen with it (written in batches).
    pub last_seen: i64,
    /// Absolute end.
    pub expires_at: i64,
    /// Opened with "remember me" (a persistent cookie).
    pub remember_me: bool,
    /// Factors proven: 1 (password) or 2 (password and a second-factor code).
    pub factors: u8,
}
