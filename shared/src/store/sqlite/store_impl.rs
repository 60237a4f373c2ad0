//! [`UserStore`] for [`SqliteStore`]: each method forwards to the inherent one of the same
//! name (the SQL lives in `users.rs`, `digest.rs`, `groups.rs`, `tokens.rs`).

use super::SqliteStore;
use crate::config::{DigestAlgorithm, UsersConfig};
use crate::error::Result;
use crate::store::InviteInfo;
use crate::store::{
    AccountState, Group, Ha1Entry, NewUser, PasswordRecord, SessionRecord, TokenInfo, TokenOwner, User, UserChanges,
    UserStore,
};
use crate::store::{EventQuery, EventRecord, TotpRecord};

impl UserStore for SqliteStore {
    fn generation(&self) -> Result<i64> {
        SqliteStore::generation(self)
    }
    fn integrity_check(&self) -> Result<String> {
        SqliteStore::integrity_check(self)
    }
    fn add_user(
        &mut self,
        new: &NewUser,
        defaults: &UsersConfig,
        password: Option<&PasswordRecord>,
        now: i64,
    ) -> Result<User> {
        SqliteStore::add_user(self, new, defaults, password, now)
    }
    fn add_users(
        &mut self,
        users: &[(NewUser, Option<PasswordRecord>)],
        defaults: &UsersConfig,
        now: i64,
    ) -> Result<()> {
        SqliteStore::add_users(self, users, defaults, now)
    }
    fn user_exists(&self, name: &str) -> Result<bool> {
        SqliteStore::user_exists(self, name)
    }
    fn set_password(&mut self, name: &str, record: &PasswordRecord, now: i64) -> Result<()> {
        SqliteStore::set_password(self, name, record, now)
    }
    fn upgrade_password(&mut self, name: &str, old_hash: &str, record: &PasswordRecord) -> Result<bool> {
        SqliteStore::upgrade_password(self, name, old_hash, record)
    }
    fn delete_user(&mut self, name: &str) -> Result<()> {
        SqliteStore::delete_user(self, name)
    }
    fn set_state(&mut self, name: &str, state: AccountState, now: i64) -> Result<()> {
        SqliteStore::set_state(self, name, state, now)
    }
    fn set_expiry(&mut self, name: &str, expires_at: Option<i64>, now: i64) -> Result<()> {
        SqliteStore::set_expiry(self, name, expires_at, now)
    }
    fn update_user(&mut self, name: &str, changes: &UserChanges, now: i64) -> Result<User> {
        SqliteStore::update_user(self, name, changes, now)
    }
    fn rename_user(&mut self, old: &str, new: &str, now: i64) -> Result<()> {
        SqliteStore::rename_user(self, old, new, now)
    }
    fn set_password_revoking_tokens(&mut self, name: &str, record: &PasswordRecord, now: i64) -> Result<u64> {
        SqliteStore::set_password_revoking_tokens(self, name, record, now)
    }
    fn revoke_user_tokens(&mut self, name: &str, now: i64) -> Result<u64> {
        SqliteStore::revoke_user_tokens(self, name, now)
    }
    fn get_user(&self, name: &str) -> Result<Option<User>> {
        SqliteStore::get_user(self, name)
    }
    fn get_user_by_uid(&self, uid: u32) -> Result<Option<User>> {
        SqliteStore::get_user_by_uid(self, uid)
    }
    fn list_users(&self) -> Result<Vec<User>> {
        SqliteStore::list_users(self)
    }
    fn get_ha1(&self, name: &str, realm: &str, algorithm: DigestAlgorithm) -> Result<Option<String>> {
        SqliteStore::get_ha1(self, name, realm, algorithm)
    }
    fn user_by_userhash(&self, userhash: &str, realm: &str, algorithm: DigestAlgorithm) -> Result<Option<String>> {
        SqliteStore::user_by_userhash(self, userhash, realm, algorithm)
    }
    fn refresh_ha1(&mut self, name: &str, current_hash: &str, entries: &[Ha1Entry]) -> Result<bool> {
        SqliteStore::refresh_ha1(self, name, current_hash, entries)
    }
    fn ha1_algorithms(&self, name: &str, realm: &str, among: &[DigestAlgorithm]) -> Result<Vec<DigestAlgorithm>> {
        SqliteStore::ha1_algorithms(self, name, realm, among)
    }
    fn users_without_ha1(&self, realm: &str, algorithms: &[DigestAlgorithm]) -> Result<u64> {
        SqliteStore::users_without_ha1(self, realm, algorithms)
    }
    fn add_group(&mut self, name: &str, gid: Option<u32>, defaults: &UsersConfig, now: i64) -> Result<Group> {
        SqliteStore::add_group(self, name, gid, defaults, now)
    }
    fn delete_group(&mut self, name: &str) -> Result<()> {
        SqliteStore::delete_group(self, name)
    }
    fn get_group(&self, name: &str) -> Result<Option<Group>> {
        SqliteStore::get_group(self, name)
    }
    fn get_group_by_gid(&self, gid: u32) -> Result<Option<Group>> {
        SqliteStore::get_group_by_gid(self, gid)
    }
    fn list_groups(&self) -> Result<Vec<Group>> {
        SqliteStore::list_groups(self)
    }
    fn add_member(&mut self, user: &str, group: &str) -> Result<bool> {
        SqliteStore::add_member(self, user, group)
    }
    fn remove_member(&mut self, user: &str, group: &str) -> Result<bool> {
        SqliteStore::remove_member(self, user, group)
    }
    fn external_groups(&self, backend: &str, name: &str) -> Result<Vec<String>> {
        SqliteStore::external_groups(self, backend, name)
    }
    fn add_token(
        &mut self,
        owner: &str,
        name: &str,
        hash: &str,
        scopes: &[String],
        expires_at: Option<i64>,
        now: i64,
    ) -> Result<TokenInfo> {
        SqliteStore::add_token(self, owner, name, hash, scopes, expires_at, now)
    }
    fn list_tokens(&self, owner: Option<&str>) -> Result<Vec<TokenInfo>> {
        SqliteStore::list_tokens(self, owner)
    }
    fn revoke_token(&mut self, owner: &str, name: &str, now: i64) -> Result<()> {
        SqliteStore::revoke_token(self, owner, name, now)
    }
    fn find_token(&self, hash: &str) -> Result<Option<(TokenInfo, TokenOwner)>> {
        SqliteStore::find_token(self, hash)
    }
    fn touch_tokens(&mut self, uses: &[(i64, i64)]) -> Result<()> {
        SqliteStore::touch_tokens(self, uses)
    }
    fn add_session(&mut self, session: &SessionRecord, end_others: bool) -> Result<()> {
        SqliteStore::add_session(self, session, end_others)
    }
    fn find_session(&self, id_hash: &str) -> Result<Option<SessionRecord>> {
        SqliteStore::find_session(self, id_hash)
    }
    fn list_sessions(&self, user: Option<&str>) -> Result<Vec<SessionRecord>> {
        SqliteStore::list_sessions(self, user)
    }
    fn touch_sessions(&mut self, seen: &[(String, i64)]) -> Result<()> {
        SqliteStore::touch_sessions(self, seen)
    }
    fn delete_session(&mut self, id_hash: &str) -> Result<bool> {
        SqliteStore::delete_session(self, id_hash)
    }
    fn delete_user_sessions(&mut self, user: &str) -> Result<u64> {
        SqliteStore::delete_user_sessions(self, user)
    }
    fn delete_expired_sessions(&mut self, now: i64) -> Result<u64> {
        SqliteStore::delete_expired_sessions(self, now)
    }
    fn add_events(&mut self, events: &[EventRecord]) -> Result<()> {
        SqliteStore::add_events(self, events)
    }
    fn list_events(&self, query: &EventQuery) -> Result<Vec<EventRecord>> {
        SqliteStore::list_events(self, query)
    }
    fn delete_events_before(&mut self, at: i64) -> Result<u64> {
        SqliteStore::delete_events_before(self, at)
    }
    fn put_totp(&mut self, record: &TotpRecord) -> Result<()> {
        SqliteStore::put_totp(self, record)
    }
    fn get_totp(&self, backend: &str, user: &str) -> Result<Option<TotpRecord>> {
        SqliteStore::get_totp(self, backend, user)
    }
    fn confirm_totp(&mut self, backend: &str, user: &str) -> Result<bool> {
        SqliteStore::confirm_totp(self, backend, user)
    }
    fn delete_totp(&mut self, backend: &str, user: &str) -> Result<bool> {
        SqliteStore::delete_totp(self, backend, user)
    }
    fn advance_totp_step(&mut self, backend: &str, user: &str, step: i64) -> Result<bool> {
        SqliteStore::advance_totp_step(self, backend, user, step)
    }
    fn replace_recovery_codes(&mut self, backend: &str, user: &str, hashes: &[String]) -> Result<()> {
        SqliteStore::replace_recovery_codes(self, backend, user, hashes)
    }
    fn consume_recovery_code(&mut self, backend: &str, user: &str, hash: &str, now: i64) -> Result<bool> {
        SqliteStore::consume_recovery_code(self, backend, user, hash, now)
    }
    fn unused_recovery_codes(&self, backend: &str, user: &str) -> Result<u64> {
        SqliteStore::unused_recovery_codes(self, backend, user)
    }
    fn find_identity(&self, provider: &str, subject: &str) -> Result<Option<crate::store::ExternalIdentity>> {
        SqliteStore::find_identity(self, provider, subject)
    }
    fn add_identity(&mut self, identity: &crate::store::ExternalIdentity) -> Result<()> {
        SqliteStore::add_identity(self, identity)
    }
    fn touch_identity(&mut self, provider: &str, subject: &str, now: i64) -> Result<()> {
        SqliteStore::touch_identity(self, provider, subject, now)
    }
    fn list_identities(&self) -> Result<Vec<crate::store::ExternalIdentity>> {
        SqliteStore::list_identities(self)
    }
    fn add_invite(&mut self, user: &str, hash: &str, reset: bool, now: i64, expires_at: i64) -> Result<InviteInfo> {
        SqliteStore::add_invite(self, user, hash, reset, now, expires_at)
    }
    fn find_invite(&self, hash: &str, now: i64) -> Result<Option<InviteInfo>> {
        SqliteStore::find_invite(self, hash, now)
    }
    fn list_invites(&self, now: i64) -> Result<Vec<InviteInfo>> {
        SqliteStore::list_invites(self, now)
    }
    fn redeem_invite(
        &mut self,
        hash: &str,
        user: &str,
        record: &PasswordRecord,
        revoke_tokens: bool,
        now: i64,
    ) -> Result<bool> {
        SqliteStore::redeem_invite(self, hash, user, record, revoke_tokens, now)
    }

    fn add_passkey(&mut self, passkey: &crate::store::PasskeyRecord) -> Result<()> {
        SqliteStore::add_passkey(self, passkey)
    }
    fn list_passkeys(&self, backend: &str, user: &str) -> Result<Vec<crate::store::PasskeyRecord>> {
        SqliteStore::list_passkeys(self, backend, user)
    }
    fn find_passkey(&self, credential_id: &[u8]) -> Result<Option<crate::store::PasskeyRecord>> {
        SqliteStore::find_passkey(self, credential_id)
    }
    fn record_passkey_use(&mut self, credential_id: &[u8], old: u32, new: u32, now: i64) -> Result<bool> {
        SqliteStore::record_passkey_use(self, credential_id, old, new, now)
    }
    fn delete_passkey(&mut self, backend: &str, user: &str, name: &str) -> Result<bool> {
        SqliteStore::delete_passkey(self, backend, user, name)
    }

    /// Not shared: one process decides, and keeps its nonce key and counts in memory.
    fn shared_nonce_key(&mut self, _fresh: &[u8; 32]) -> Result<Option<[u8; 32]>> {
        Ok(None)
    }
    fn record_nonce_use(&mut self, _nonce_hash: &[u8; 32], _nc: u32, _expires_at: i64) -> Result<Option<bool>> {
        Ok(None)
    }
    fn purge_nonce_uses(&mut self, _before: i64) -> Result<u64> {
        Ok(0)
    }
}
