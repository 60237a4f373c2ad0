//! The user store: users, Digest HA1 values, groups, memberships and tokens, behind the
//! [`UserStore`] trait. [`SqliteStore`] (the embedded default, in [`sqlite`]) is its first
//! implementation; `postgres::PgStore` (with the `postgres` feature), for several instances
//! on one database, the second. [`open_store`] opens the one `[store]` names.
//!
//! # What an implementation must guarantee
//!
//! - **One transaction per command.** Every mutating method commits whole or changes
//!   nothing: a refused `add_user` (name or id taken), a batch import with one bad row, a
//!   `set_password` for an unknown user leave the store exactly as it was. Concurrent
//!   writers from other processes (the CLI while wicketd runs) are serialised; a writer that
//!   cannot get its turn within the configured time answers [`Error::Busy`](crate::Error::Busy), never a
//!   half-applied change.
//! - **The generation counter moves on every change that can turn an accepted credential
//!   into a refused one** — state, expiry, password hash, name or ids of a user, deletion of
//!   a user or group, a membership (local or external) added or removed, a token revoked, expired or deleted —
//!   whichever process made it. wicketd's credential cache is keyed on it and reads it on
//!   every request, so [`UserStore::generation`] must be cheap. Recording token uses
//!   ([`UserStore::touch_tokens`]), nonce counts and adding Digest values do not move it.
//! - **Sessions end with their account**: locking, disabling, renaming or deleting a local
//!   user, or setting its password, deletes that user's sessions (a rehash at login does
//!   not); ending a session moves the generation counter; touching one does not. Sessions
//!   are stored only by the SHA-256 of their cookie.
//! - **Names are exact**: the store compares names byte for byte; canonicalisation is the
//!   caller's ([`crate::verify`]). Unknown names are `Ok(None)` or the matching `NoSuch*`
//!   error, never a storage error.
//! - **Secrets stay hashed**: password hashes and HA1 values are stored as given and never
//!   appear in an error; tokens are stored only by their SHA-256.
//! - **A code counts once**: [`UserStore::advance_totp_step`] and
//!   [`UserStore::consume_recovery_code`] are atomic compare-and-set operations; of any
//!   number of concurrent calls with the same step or code, at most one answers true. TOTP
//!   secrets are stored only sealed, recovery codes only hashed. A local user's second
//!   factor goes when the user is deleted or renamed.
//! - **An invitation is used once**: [`UserStore::redeem_invite`] marks the link used and
//!   sets the password in one transaction, only while the link is unused and unexpired; of
//!   concurrent calls with the same link at most one succeeds. Links are stored only hashed.
//! - **Errors are the core's**: no type of the storage library leaks out; storage failures
//!   are [`Error::Store`](crate::Error::Store) (naming the store, not the data) or [`Error::Busy`](crate::Error::Busy).
//!
//! Validation (names, ids, token names, scopes) and hashing live one level up, in
//! [`crate::accounts::Accounts`]: a store stores what it is given.

#[doc(hidden)]
pub mod conformance;
pub mod dump;
mod events;
mod identity_record;
mod invite_record;
mod open;
mod passkey_record;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sqlite;
mod totp_record;
mod types;

pub use events::{EventKind, EventQuery, EventRecord, NEUTRAL_OUTCOMES, OK_OUTCOMES, OutcomeFilter};
pub use identity_record::ExternalIdentity;
pub use invite_record::InviteInfo;
pub use open::{GenerationWatch, StoreLocation, open_store, watch_generation};
pub use passkey_record::PasskeyRecord;
pub use sqlite::{SCHEMA_VERSION, SqliteStore};
pub use totp_record::TotpRecord;
pub use types::{
    AccountState, Group, Ha1Entry, NewUser, PasswordRecord, SessionRecord, TokenInfo, TokenOwner, User, UserChanges,
    split_external,
};

/// The embedded store under its old name, for code that opens a file by path.
pub type Store = SqliteStore;

use crate::config::{DigestAlgorithm, UsersConfig};
use crate::error::Result;

/// The operations the core, the daemon and the CLI need from a store. One value is one
/// connection (or session): not shared between threads at once; [`crate::local::LocalBackend`]
/// keeps a pool of them.
pub trait UserStore: Send + std::fmt::Debug {
    /// The change counter (see the module docs). Called per request: keep it cheap.
    fn generation(&self) -> Result<i64>;
    /// A health check: `"ok"` when the store is consistent, else what is wrong.
    fn integrity_check(&self) -> Result<String>;

    /// Creates a user (and its Digest values); ids not given are allocated from
    /// `defaults.uid_min..=uid_max`, unused by any user or group.
    fn add_user(
        &mut self,
        new: &NewUser,
        defaults: &UsersConfig,
        password: Option<&PasswordRecord>,
        now: i64,
    ) -> Result<User>;
    /// Creates many users at once: all or nothing.
    fn add_users(
        &mut self,
        users: &[(NewUser, Option<PasswordRecord>)],
        defaults: &UsersConfig,
        now: i64,
    ) -> Result<()>;
    /// True when a user by that name exists.
    fn user_exists(&self, name: &str) -> Result<bool>;
    /// Replaces a user's password hash and all its Digest values.
    fn set_password(&mut self, name: &str, record: &PasswordRecord, now: i64) -> Result<()>;
    /// Replaces the hash (and Digest values) only while it is still `old_hash`; returns
    /// whether it did (a login's rehash must not undo a change made meanwhile).
    fn upgrade_password(&mut self, name: &str, old_hash: &str, record: &PasswordRecord) -> Result<bool>;
    /// Deletes a user with its memberships, tokens and Digest values.
    fn delete_user(&mut self, name: &str) -> Result<()>;
    /// Sets active, locked or disabled.
    fn set_state(&mut self, name: &str, state: AccountState, now: i64) -> Result<()>;
    /// Sets or clears the account's expiry.
    fn set_expiry(&mut self, name: &str, expires_at: Option<i64>, now: i64) -> Result<()>;
    /// Applies `changes` to a user in one transaction and returns it as stored. A uid taken
    /// by another user or a group, or a gid that is another user's uid, is refused
    /// ([`Error::Invalid`](crate::Error::Invalid), naming the holder). Moves the generation
    /// counter for any change (names and e-mail are in cached identities); a new uid or gid
    /// also ends the user's sessions.
    fn update_user(&mut self, name: &str, changes: &UserChanges, now: i64) -> Result<User>;
    /// Renames a user, keeping its ids, memberships and tokens (they hang on the row id).
    /// Refuses an existing `new` name; ends the user's sessions and drops its Digest values
    /// (HA1 is bound to the name).
    fn rename_user(&mut self, old: &str, new: &str, now: i64) -> Result<()>;
    /// Like `set_password`, and revokes every unrevoked token of the user in the same
    /// transaction; how many it revoked.
    fn set_password_revoking_tokens(&mut self, name: &str, record: &PasswordRecord, now: i64) -> Result<u64>;
    /// Revokes every unrevoked token of the user in one transaction; how many.
    fn revoke_user_tokens(&mut self, name: &str, now: i64) -> Result<u64>;
    /// A user by name, with its groups.
    fn get_user(&self, name: &str) -> Result<Option<User>>;
    /// A user by uid, with its groups.
    fn get_user_by_uid(&self, uid: u32) -> Result<Option<User>>;
    /// Every user, sorted by name, with groups.
    fn list_users(&self) -> Result<Vec<User>>;

    /// The HA1 (hex) for a user, realm and algorithm.
    fn get_ha1(&self, name: &str, realm: &str, algorithm: DigestAlgorithm) -> Result<Option<String>>;
    /// The user whose `H(user:realm)` is `userhash`.
    fn user_by_userhash(&self, userhash: &str, realm: &str, algorithm: DigestAlgorithm) -> Result<Option<String>>;
    /// Adds Digest values while the stored hash is still `current_hash`; returns whether it wrote.
    fn refresh_ha1(&mut self, name: &str, current_hash: &str, entries: &[Ha1Entry]) -> Result<bool>;
    /// Which of `among` the user has an HA1 for in `realm`.
    fn ha1_algorithms(&self, name: &str, realm: &str, among: &[DigestAlgorithm]) -> Result<Vec<DigestAlgorithm>>;
    /// How many users with a password lack an HA1 in `realm` for one of `algorithms`.
    fn users_without_ha1(&self, realm: &str, algorithms: &[DigestAlgorithm]) -> Result<u64>;
    /// The Digest nonce key every instance on this store signs with: `fresh` is stored if
    /// there is none yet (once, whichever instance comes first), and the stored key returned.
    /// `None` when the store is not shared (SQLite): each process then keeps its own key and
    /// replay record in memory — a stored key with a record in memory would let a restart
    /// accept old counts again.
    fn shared_nonce_key(&mut self, fresh: &[u8; 32]) -> Result<Option<[u8; 32]>>;
    /// Records that a verified Digest response used count `nc` on the nonce whose SHA-256 is
    /// `nonce_hash` (usable until `expires_at`): `Some(true)` the first time only, atomically
    /// across instances; `Some(false)` for a replay; `None` when the store is not shared.
    fn record_nonce_use(&mut self, nonce_hash: &[u8; 32], nc: u32, expires_at: i64) -> Result<Option<bool>>;
    /// Forgets the counts of nonces that expired before `before`; how many.
    fn purge_nonce_uses(&mut self, before: i64) -> Result<u64>;

    /// Creates a group with a fixed or allocated gid.
    fn add_group(&mut self, name: &str, gid: Option<u32>, defaults: &UsersConfig, now: i64) -> Result<Group>;
    /// Deletes a group (its memberships go with it).
    fn delete_group(&mut self, name: &str) -> Result<()>;
    /// A group by name, with members.
    fn get_group(&self, name: &str) -> Result<Option<Group>>;
    /// A group by gid, with members.
    fn get_group_by_gid(&self, gid: u32) -> Result<Option<Group>>;
    /// Every group, sorted by name, with members.
    fn list_groups(&self) -> Result<Vec<Group>>;
    /// Adds `user` to `group`; false if it already was a member. `backend:name` (see
    /// [`split_external`]) is a user of another backend, who needs no row of their own.
    fn add_member(&mut self, user: &str, group: &str) -> Result<bool>;
    /// Removes `user` (or `backend:name`) from `group`; false if it was not a member.
    fn remove_member(&mut self, user: &str, group: &str) -> Result<bool>;
    /// The Wicket groups a user of another backend is a member of, sorted (one indexed read).
    fn external_groups(&self, backend: &str, name: &str) -> Result<Vec<String>>;

    /// Records a token by its hash. The owner is a local user or `backend:name`.
    fn add_token(
        &mut self,
        owner: &str,
        name: &str,
        hash: &str,
        scopes: &[String],
        expires_at: Option<i64>,
        now: i64,
    ) -> Result<TokenInfo>;
    /// Tokens of one owner (a local name or `backend:name`) or of all, oldest first.
    fn list_tokens(&self, owner: Option<&str>) -> Result<Vec<TokenInfo>>;
    /// Revokes a token (an already revoked one stays revoked at its first time).
    fn revoke_token(&mut self, owner: &str, name: &str, now: i64) -> Result<()>;
    /// The token with this hash, and its owner.
    fn find_token(&self, hash: &str) -> Result<Option<(TokenInfo, TokenOwner)>>;
    /// Records last uses `(token id, unix time)` in one transaction.
    fn touch_tokens(&mut self, uses: &[(i64, i64)]) -> Result<()>;

    /// Stores a browser session; with `end_others`, the user's other sessions (same name
    /// and backend) end in the same transaction.
    fn add_session(&mut self, session: &SessionRecord, end_others: bool) -> Result<()>;
    /// The session with this cookie hash.
    fn find_session(&self, id_hash: &str) -> Result<Option<SessionRecord>>;
    /// Sessions of one user or of all, oldest first.
    fn list_sessions(&self, user: Option<&str>) -> Result<Vec<SessionRecord>>;
    /// Records last uses `(cookie hash, unix time)` in one transaction.
    fn touch_sessions(&mut self, seen: &[(String, i64)]) -> Result<()>;
    /// Ends one session; true if it existed.
    fn delete_session(&mut self, id_hash: &str) -> Result<bool>;
    /// Ends every session of a user; how many.
    fn delete_user_sessions(&mut self, user: &str) -> Result<u64>;
    /// Forgets sessions past their absolute end; how many.
    fn delete_expired_sessions(&mut self, now: i64) -> Result<u64>;

    /// Appends events to the trail in one transaction (their `id` is ignored).
    fn add_events(&mut self, events: &[EventRecord]) -> Result<()>;
    /// Events matching `query`, oldest first.
    fn list_events(&self, query: &EventQuery) -> Result<Vec<EventRecord>>;
    /// Deletes events older than `at` (retention); how many.
    fn delete_events_before(&mut self, at: i64) -> Result<u64>;
    /// Stores or replaces an account's TOTP enrolment; replacing drops its recovery codes.
    fn put_totp(&mut self, record: &TotpRecord) -> Result<()>;
    /// An account's TOTP enrolment.
    fn get_totp(&self, backend: &str, user: &str) -> Result<Option<TotpRecord>>;
    /// Marks the enrolment confirmed; false if there is none.
    fn confirm_totp(&mut self, backend: &str, user: &str) -> Result<bool>;
    /// Removes the enrolment and its recovery codes; false if there was none.
    fn delete_totp(&mut self, backend: &str, user: &str) -> Result<bool>;
    /// Records `step` as accepted if it is later than the last one; true only then, and
    /// atomically (see the module docs).
    fn advance_totp_step(&mut self, backend: &str, user: &str, step: i64) -> Result<bool>;
    /// Replaces all the account's recovery codes with these hashes.
    fn replace_recovery_codes(&mut self, backend: &str, user: &str, hashes: &[String]) -> Result<()>;
    /// Marks the unused recovery code with this hash used; true once per code, atomically.
    fn consume_recovery_code(&mut self, backend: &str, user: &str, hash: &str, now: i64) -> Result<bool>;
    /// How many of the account's recovery codes are unused.
    fn unused_recovery_codes(&self, backend: &str, user: &str) -> Result<u64>;

    /// The Wicket user a provider's subject signs in as (issue 16).
    fn find_identity(&self, provider: &str, subject: &str) -> Result<Option<ExternalIdentity>>;
    /// Records a provider's subject; a name already held is [`crate::Error::UserExists`].
    fn add_identity(&mut self, identity: &ExternalIdentity) -> Result<()>;
    /// Records a sign-in of a subject.
    fn touch_identity(&mut self, provider: &str, subject: &str, now: i64) -> Result<()>;
    /// Every recorded subject, by provider and name.
    fn list_identities(&self) -> Result<Vec<ExternalIdentity>>;
    /// Stores an invitation link (by its hash) for the local user `user`, replacing any
    /// earlier one of that user; [`Error::NoSuchUser`](crate::Error::NoSuchUser) for an unknown user.
    fn add_invite(&mut self, user: &str, hash: &str, reset: bool, now: i64, expires_at: i64) -> Result<InviteInfo>;
    /// The invitation with this hash while it is open (unused and not expired at `now`).
    fn find_invite(&self, hash: &str, now: i64) -> Result<Option<InviteInfo>>;
    /// Every invitation open at `now`, by user name.
    fn list_invites(&self, now: i64) -> Result<Vec<InviteInfo>>;
    /// Uses the open invitation with this hash, which must be `user`'s: marks it used and
    /// sets the password (ending the user's sessions; with `revoke_tokens`, revoking its
    /// tokens) in one transaction. False, changing nothing, when the link is unknown, used,
    /// expired or someone else's — atomically (see the module docs).
    fn redeem_invite(
        &mut self,
        hash: &str,
        user: &str,
        record: &PasswordRecord,
        revoke_tokens: bool,
        now: i64,
    ) -> Result<bool>;

    /// Registers a passkey (issue 14); a credential id already registered (to anyone) or a
    /// name the account already uses is [`Error::Invalid`](crate::Error::Invalid).
    fn add_passkey(&mut self, passkey: &PasskeyRecord) -> Result<()>;
    /// An account's passkeys, oldest first.
    fn list_passkeys(&self, backend: &str, user: &str) -> Result<Vec<PasskeyRecord>>;
    /// The passkey with this credential id.
    fn find_passkey(&self, credential_id: &[u8]) -> Result<Option<PasskeyRecord>>;
    /// Records an accepted use: the counter goes from `old` to `new` (and `last_used` to
    /// `now`) only while it is still `old`; true only then, atomically (of two concurrent
    /// uses with the same counter one wins).
    fn record_passkey_use(&mut self, credential_id: &[u8], old: u32, new: u32, now: i64) -> Result<bool>;
    /// Removes an account's passkey by name; false if there was none.
    fn delete_passkey(&mut self, backend: &str, user: &str, name: &str) -> Result<bool>;
}
