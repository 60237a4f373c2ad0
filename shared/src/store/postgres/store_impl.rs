//! [`UserStore`] for [`PgStore`]: each method forwards to the inherent one of the same
//! name (the SQL lives in the files named for each area).

use super::PgStore;
use crate::config::{DigestAlgorithm, UsersConfig};
use crate::error::Result;
use crate::store::{
    AccountState, Group, Ha1Entry, NewUser, PasswordRecord, SessionRecord, TokenInfo, TokenOwner, User, UserChanges,
    UserStore,
};
use crate::store::{EventQuery, EventRecord, ExternalIdentity, InviteInfo, TotpRecord};

impl UserStore for PgStore {
    fn generation(&self) -> Result<i64> {
        PgStore::generation(self)
    }
    fn integrity_check(&self) -> Result<String> {
        PgStore::integrity_check(self)
    }
    fn add_user(
        &mut self,
        new: &NewUser,
        defaults: &UsersConfig,
        password: Option<&PasswordRecord>,
        now: i64,
    ) -> Result<User> {
        PgStore::add_user(self, new, defaults, password, now)
    }
    fn add_users(
        &mut self,
        users: &[(NewUser, Option<PasswordRecord>)],
        defaults: &UsersConfig,
        now: i64,
    ) -> Result<()> {
        PgStore::add_users(self, users, defaults, now)
    }
    fn user_exists(&self, name: &str) -> Result<bool> {
        PgStore::user_exists(self, name)
    }
    fn set_password(&mut self, name: &str, record: &PasswordRecord, now: i64) -> Result<()> {
        PgStore::write_password(self, name, record, now, false).map(|_| ())
    }
    fn upgrade_password(&mut self, name: &str, old_hash: &str, record: &PasswordRecord) -> Result<bool> {
        PgStore::upgrade_password(self, name, old_hash, record)
    }
    fn delete_user(&mut self, name: &str) -> Result<()> {
        PgStore::delete_user(self, name)
    }
    fn set_state(&mut self, name: &str, state: AccountState, now: i64) -> Result<()> {
        PgStore::set_state(self, name, state, now)
    }
    fn set_expiry(&mut self, name: &str, expires_at: Option<i64>, now: i64) -> Result<()> {
        PgStore::set_expiry(self, name, expires_at, now)
    }
    fn update_user(&mut self, name: &str, changes: &UserChanges, now: i64) -> Result<User> {
        PgStore::update_user(self, name, changes, now)
    }
    fn rename_user(&mut self, old: &str, new: &str, now: i64) -> Result<()> {
        PgStore::rename_user(self, old, new, now)
    }
    fn set_password_revoking_tokens(&mut self, name: &str, record: &PasswordRecord, now: i64) -> Result<u64> {
        PgStore::write_password(self, name, record, now, true)
    }
    fn revoke_user_tokens(&mut self, name: &str, now: i64) -> Result<u64> {
        PgStore::revoke_user_tokens(self, name, now)
    }
    fn get_user(&self, name: &str) -> Result<Option<User>> {
        PgStore::get_user(self, name)
    }
    fn get_user_by_uid(&self, uid: u32) -> Result<Option<User>> {
        PgStore::get_user_by_uid(self, uid)
    }
    fn list_users(&self) -> Result<Vec<User>> {
        PgStore::list_users(self)
    }
    fn get_ha1(&self, name: &str, realm: &str, algorithm: DigestAlgorithm) -> Result<Option<String>> {
        PgStore::get_ha1(self, name, realm, algorithm)
    }
    fn user_by_userhash(&self, userhash: &str, realm: &str, algorithm: DigestAlgorithm) -> Result<Option<String>> {
        PgStore::user_by_userhash(self, userhash, realm, algorithm)
    }
    fn refresh_ha1(&mut self, name: &str, current_hash: &str, entries: &[Ha1Entry]) -> Result<bool> {
        PgStore::refresh_ha1(self, name, current_hash, entries)
    }
    fn ha1_algorithms(&self, name: &str, realm: &str, among: &[DigestAlgorithm]) -> Result<Vec<DigestAlgorithm>> {
        PgStore::ha1_algorithms(self, name, realm, among)
    }
    fn users_without_ha1(&self, realm: &str, algorithms: &[DigestAlgorithm]) -> Result<u64> {
        PgStore::users_without_ha1(self, realm, algorithms)
    }
    fn add_group(&mut self, name: &str, gid: Option<u32>, defaults: &UsersConfig, now: i64) -> Result<Group> {
        PgStore::add_group(self, name, gid, defaults, now)
    }
    fn delete_group(&mut self, name: &str) -> Result<()> {
        PgStore::delete_group(self, name)
    }
    fn get_group(&self, name: &str) -> Result<Option<Group>> {
        PgStore::get_group(self, name)
    }
    fn get_group_by_gid(&self, gid: u32) -> Result<Option<Group>> {
        PgStore::get_group_by_gid(self, gid)
    }
    fn list_groups(&self) -> Result<Vec<Group>> {
        PgStore::list_groups(self)
    }
    fn add_member(&mut self, user: &str, group: &str) -> Result<bool> {
        PgStore::add_member(self, user, group)
    }
    fn remove_member(&mut self, user: &str, group: &str) -> Result<bool> {
        PgStore::remove_member(self, user, group)
    }
    fn external_groups(&self, backend: &str, name: &str) -> Result<Vec<String>> {
        PgStore::external_groups(self, backend, name)
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
        PgStore::add_token(self, owner, name, hash, scopes, expires_at, now)
    }
    fn list_tokens(&self, owner: Option<&str>) -> Result<Vec<TokenInfo>> {
        PgStore::list_tokens(self, owner)
    }
    fn revoke_token(&mut self, owner: &str, name: &str, now: i64) -> Result<()> {
        PgStore::revoke_token(self, owner, name, now)
    }
    fn find_token(&self, hash: &str) -> Result<Option<(TokenInfo, TokenOwner)>> {
        PgStore::find_token(self, hash)
    }
    fn touch_tokens(&mut self, uses: &[(i64, i64)]) -> Result<()> {
        PgStore::touch_tokens(self, uses)
    }
    fn add_session(&mut self, session: &SessionRecord, end_others: bool) -> Result<()> {
        PgStore::add_session(self, session, end_others)
    }
    fn find_session(&self, id_hash: &str) -> Result<Option<SessionRecord>> {
        PgStore::find_session(self, id_hash)
    }
    fn list_sessions(&self, user: Option<&str>) -> Result<Vec<SessionRecord>> {
        PgStore::list_sessions(self, user)
    }
    fn touch_sessions(&mut self, seen: &[(String, i64)]) -> Result<()> {
        PgStore::touch_sessions(self, seen)
    }
    fn delete_session(&mut self, id_hash: &str) -> Result<bool> {
        PgStore::delete_session(self, id_hash)
    }
    fn delete_user_sessions(&mut self, user: &str) -> Result<u64> {
        PgStore::delete_user_sessions(self, user)
    }
    fn delete_expired_sessions(&mut self, now: i64) -> Result<u64> {
        PgStore::delete_expired_sessions(self, now)
    }
    fn add_events(&mut self, events: &[EventRecord]) -> Result<()> {
        PgStore::add_events(self, events)
    }
    fn list_events(&self, query: &EventQuery) -> Result<Vec<EventRecord>> {
        PgStore::list_events(self, query)
    }
    fn delete_events_before(&mut self, at: i64) -> Result<u64> {
        PgStore::delete_events_before(self, at)
    }
    fn put_totp(&mut self, record: &TotpRecord) -> Result<()> {
        PgStore::put_totp(self, record)
    }
    fn get_totp(&self, backend: &str, user: &str) -> Result<Option<TotpRecord>> {
        PgStore::get_totp(self, backend, user)
    }
    fn confirm_totp(&mut self, backend: &str, user: &str) -> Result<bool> {
        PgStore::confirm_totp(self, backend, user)
    }
    fn delete_totp(&mut self, backend: &str, user: &str) -> Result<bool> {
        PgStore::delete_totp(self, backend, user)
    }
    fn advance_totp_step(&mut self, backend: &str, user: &str, step: i64) -> Result<bool> {
        PgStore::advance_totp_step(self, backend, user, step)
    }
    fn replace_recovery_codes(&mut self, backend: &str, user: &str, hashes: &[String]) -> Result<()> {
        PgStore::replace_recovery_codes(self, backend, user, hashes)
    }
    fn consume_recovery_code(&mut self, backend: &str, user: &str, hash: &str, now: i64) -> Result<bool> {
        PgStore::consume_recovery_code(self, backend, user, hash, now)
    }
    fn unused_recovery_codes(&self, backend: &str, user: &str) -> Result<u64> {
        PgStore::unused_recovery_codes(self, backend, user)
    }
    fn find_identity(&self, provider: &str, subject: &str) -> Result<Option<ExternalIdentity>> {
        PgStore::find_identity(self, provider, subject)
    }
    fn add_identity(&mut self, identity: &ExternalIdentity) -> Result<()> {
        PgStore::add_identity(self, identity)
    }
    fn touch_identity(&mut self, provider: &str, subject: &str, now: i64) -> Result<()> {
        PgStore::touch_identity(self, provider, subject, now)
    }
    fn list_identities(&self) -> Result<Vec<ExternalIdentity>> {
        PgStore::list_identities(self)
    }
    fn add_invite(&mut self, user: &str, hash: &str, reset: bool, now: i64, expires_at: i64) -> Result<InviteInfo> {
        PgStore::add_invite(self, user, hash, reset, now, expires_at)
    }
    fn find_invite(&self, hash: &str, now: i64) -> Result<Option<InviteInfo>> {
        PgStore::find_invite(self, hash, now)
    }
    fn list_invites(&self, now: i64) -> Result<Vec<InviteInfo>> {
        PgStore::list_invites(self, now)
    }
    fn redeem_invite(
        &mut self,
        hash: &str,
        user: &str,
        record: &PasswordRecord,
        revoke_tokens: bool,
        now: i64,
    ) -> Result<bool> {
        PgStore::redeem_invite(self, hash, user, record, revoke_tokens, now)
    }

    fn add_passkey(&mut self, passkey: &crate::store::PasskeyRecord) -> Result<()> {
        PgStore::add_passkey(self, passkey)
    }
    fn list_passkeys(&self, backend: &str, user: &str) -> Result<Vec<crate::store::PasskeyRecord>> {
        PgStore::list_passkeys(self, backend, user)
    }
    fn find_passkey(&self, credential_id: &[u8]) -> Result<Option<crate::store::PasskeyRecord>> {
        PgStore::find_passkey(self, credential_id)
    }
    fn record_passkey_use(&mut self, credential_id: &[u8], old: u32, new: u32, now: i64) -> Result<bool> {
        PgStore::record_passkey_use(self, credential_id, old, new, now)
    }
    fn delete_passkey(&mut self, backend: &str, user: &str, name: &str) -> Result<bool> {
        PgStore::delete_passkey(self, backend, user, name)
    }

    fn shared_nonce_key(&mut self, fresh: &[u8; 32]) -> Result<Option<[u8; 32]>> {
        PgStore::shared_nonce_key(self, fresh).map(Some)
    }
    fn record_nonce_use(&mut self, nonce_hash: &[u8; 32], nc: u32, expires_at: i64) -> Result<Option<bool>> {
        PgStore::record_nonce_use(self, nonce_hash, nc, expires_at).map(Some)
    }
    fn purge_nonce_uses(&mut self, before: i64) -> Result<u64> {
        PgStore::purge_nonce_uses(self, before)
    }
}
