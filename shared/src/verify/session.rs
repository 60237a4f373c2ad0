//! Browser sessions through the pipeline: the portal opens one after a password sign-in
//! ([`Authenticator::open_session`]), the browser presents its cookie on every request
//! ([`Credential::Session`](super::Credential::Session)), sign-out closes it
//! ([`Authenticator::close_session`]).
//!
//! The cookie holds 256 random bits (base64url, 43 characters); the store keeps only their
//! SHA-256 ([`session_hash`]), so a copy of the database opens no session. Every sign-in
//! makes a fresh id: a cookie presented before sign-in is never adopted.
//!
//! The hot path reads memory: a checked session is cached under its hash together with the
//! store's generation counter, and used from memory while the counter has not moved. Any
//! change that can end a session moves it — a lock, password change, deletion (whose
//! triggers also delete the user's sessions), a session ended by any process — so the next
//! check reads the row again, and for a local user the account, at once. "Last seen" is
//! kept in memory and written in batches with the token uses.
//!
//! Limits, from `[session]`, against the injected clock: the absolute end (`expiry`, or
//! `remember_me` for a remembered session) and, for a session that is not remembered,
//! `inactivity`. Sessions need the local store (that is where they live); without one, a
//! cookie is unknown and no session can be opened.

use super::{Authenticator, Context, Decision, Outcome};
use crate::auth::{Identity, Rejection};
use crate::error::{Error, Result};
use crate::local::account_refusal;
use crate::secret::Secret;
use crate::store::SessionRecord;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use std::collections::HashMap;
use std::sync::Mutex;

/// Random bytes in a session cookie.
const COOKIE_BYTES: usize = 32;
/// Characters of a session cookie value.
pub const COOKIE_LEN: usize = 43;
/// Sessions kept in memory; past it the cache starts over (each is re-read once).
const MAX_CACHED: usize = 100_000;

/// A session just opened: what the front puts in `Set-Cookie`.
#[derive(Debug)]
pub struct NewSession {
    /// The cookie value (never stored, never logged).
    pub cookie: Secret,
    /// Its absolute end (Unix time).
    pub expires_at: i64,
    /// Remembered: the cookie should outlive the browser (`Max-Age`).
    pub persistent: bool,
}

/// The SHA-256 of a cookie value, lowercase hex: the session's id in the store, and what
/// the portal binds its CSRF tokens to.
pub fn session_hash(cookie: &Secret) -> String {
    crate::token::hash(cookie.expose())
}

/// True when `cookie` has the shape this module writes (no store work for anything else).
fn is_well_formed(cookie: &[u8]) -> bool {
    cookie.len() == COOKIE_LEN && cookie.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// One session in memory.
#[derive(Debug, Clone)]
struct Cached {
    record: SessionRecord,
    /// The generation the record was read (or written) under.
    generation: i64,
}

/// The sessions in memory and the "last seen" times not yet written. Lives in
/// [`super::Shared`], so it outlives a reload.
#[derive(Debug, Default)]
pub(super) struct SessionCache {
    entries: Mutex<HashMap<String, Cached>>,
    touched: Mutex<HashMap<String, i64>>,
}

impl SessionCache {
    fn get(&self, hash: &str) -> Option<Cached> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).get(hash).cloned()
    }

    fn put(&self, record: SessionRecord, generation: i64) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_CACHED {
            map.clear();
        }
        map.insert(record.id_hash.clone(), Cached { record, generation });
    }

    fn remove(&self, hash: &str) -> bool {
        self.touched.lock().unwrap_or_else(|e| e.into_inner()).remove(hash);
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(hash).is_some()
    }

    fn touch(&self, hash: &str, now: i64) {
        if let Some(c) = self.entries.lock().unwrap_or_else(|e| e.into_inner()).get_mut(hash) {
            c.record.last_seen = c.record.last_seen.max(now);
        }
        self.touched.lock().unwrap_or_else(|e| e.into_inner()).insert(hash.to_string(), now);
    }
}

impl Authenticator {
    /// Opens a session for `id`, who just signed in with a password. A fresh id every time
    /// (the caller never passes one in); with `single_session`, the user's other sessions
    /// end. Blocking (one write).
    pub fn open_session(&self, id: &Identity, remember_me: bool) -> Result<NewSession> {
        self.open_session_with(id, remember_me, 1)
    }

    /// [`open_session`](Self::open_session) for `factors` proven: 2 after a password and a
    /// second-factor code ([`Authenticator::verify_code`]), which `two_factor` rules need.
    pub fn open_session_with(&self, id: &Identity, remember_me: bool, factors: u8) -> Result<NewSession> {
        let cfg = self.cfg.session.as_ref().ok_or_else(|| Error::Invalid("no [session] configured".into()))?;
        let local = self.chain.local.as_ref().ok_or_else(|| Error::Invalid("sessions need the local store".into()))?;
        let remember_me = remember_me && cfg.remember_me_enabled();
        let lifetime = if remember_me { cfg.remember_me } else { cfg.expiry };
        let now = self.clock.now();
        let mut raw = zeroize::Zeroizing::new([0u8; COOKIE_BYTES]);
        rand::rngs::OsRng.try_fill_bytes(raw.as_mut()).map_err(|e| Error::Invalid(format!("random: {e}")))?;
        let cookie = Secret::from_string(URL_SAFE_NO_PAD.encode(raw.as_ref()));
        let mut identity = id.clone();
        identity.scopes = None;
        // Another backend's user: the row keeps the directory's groups; Wicket's are added
        // again, as they are then, whenever the row is read.
        identity.groups = super::members::directory_groups(local, id)?;
        let record = SessionRecord {
            id_hash: session_hash(&cookie),
            identity,
            created_at: now,
            last_seen: now,
            expires_at: now.saturating_add(i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX)),
            remember_me,
            factors: factors.clamp(1, 2),
        };
        local.with_store(|s| {
            // Old rows are refused by time anyway; forgetting them keeps the table small.
            s.delete_expired_sessions(now)?;
            s.add_session(&record, cfg.single_session)
        })?;
        if let Ok(g) = local.generation() {
            let mut cached = record.clone();
            cached.identity.groups.clone_from(&id.groups);
            self.shared.sessions.put(cached, g);
        }
        Ok(NewSession { cookie, expires_at: record.expires_at, persistent: remember_me })
    }

    /// Step-up: the live session of `cookie`, after its user gave a right second-factor
    /// code, becomes a two-factor session under a fresh id (a privilege change gets a new id,
    /// so an id seen before the step-up is worth no more than it was). Everything else is
    /// kept: sign-in time, absolute end, "remember me". The old id ends. `None` when the
    /// cookie holds no session. Blocking (two writes).
    pub fn step_up_session(&self, cookie: &Secret) -> Result<Option<NewSession>> {
        if !is_well_formed(cookie.expose()) {
            return Ok(None);
        }
        let Some(local) = self.chain.local.as_ref() else { return Ok(None) };
        let old_hash = session_hash(cookie);
        let Some(old) = local.with_store(|s| s.find_session(&old_hash))? else { return Ok(None) };
        let mut raw = zeroize::Zeroizing::new([0u8; COOKIE_BYTES]);
        rand::rngs::OsRng.try_fill_bytes(raw.as_mut()).map_err(|e| Error::Invalid(format!("random: {e}")))?;
        let fresh = Secret::from_string(URL_SAFE_NO_PAD.encode(raw.as_ref()));
        let record = SessionRecord {
            id_hash: session_hash(&fresh),
            last_seen: self.clock.now().max(old.last_seen),
            factors: 2,
            ..old
        };
        local.with_store(|s| {
            s.add_session(&record, false)?;
            s.delete_session(&old_hash).map(|_| ())
        })?;
        self.shared.sessions.remove(&old_hash);
        Ok(Some(NewSession { cookie: fresh, expires_at: record.expires_at, persistent: record.remember_me }))
    }

    /// Ends the session of `cookie` (sign-out). Returns the identity it belonged to, if it
    /// existed. Blocking (one write).
    pub fn close_session(&self, cookie: &Secret) -> Result<Option<Identity>> {
        if !is_well_formed(cookie.expose()) {
            return Ok(None);
        }
        let hash = session_hash(cookie);
        let cached = self.shared.sessions.get(&hash).map(|c| c.record.identity);
        self.shared.sessions.remove(&hash);
        let Some(local) = self.chain.local.as_ref() else { return Ok(None) };
        let stored = local.with_store(|s| {
            let found = s.find_session(&hash)?;
            s.delete_session(&hash)?;
            Ok(found)
        })?;
        Ok(stored.map(|r| r.identity).or(cached))
    }

    /// A session cookie: from memory while the generation stands, else from the store; then
    /// the absolute end and inactivity against the clock.
    pub(super) fn session(&self, cookie: &Secret, ctx: &Context) -> Outcome {
        let unknown = || self.answer(Decision::Unknown, ctx, "session", "-", "-");
        let (Some(cfg), Some(_)) = (self.cfg.session.as_ref(), self.chain.local.as_ref()) else {
            return unknown();
        };
        if !is_well_formed(cookie.expose()) {
            return unknown();
        }
        let hash = session_hash(cookie);
        let Some(generation) = self.generation() else {
            return self.answer(Decision::Unavailable("store unreadable".into()), ctx, "session", "-", "local");
        };
        let cached = self.shared.sessions.get(&hash);
        let was_cached = cached.is_some();
        let record = match cached {
            Some(c) if c.generation == generation => c.record,
            _ => match self.reload_session(&hash, generation) {
                Reloaded::Found(r) => r,
                Reloaded::Missing if was_cached => {
                    self.shared.sessions.remove(&hash);
                    return self.session_ended(ctx, None, Rejection::SessionExpired);
                }
                Reloaded::Missing => return unknown(),
                Reloaded::Ended(r, id) => {
                    self.end(&hash);
                    return self.session_ended(ctx, Some(&id), r);
                }
                Reloaded::Unavailable => {
                    return self.answer(Decision::Unavailable("store unreadable".into()), ctx, "session", "-", "local");
                }
            },
        };
        let now = self.clock.now();
        let inactivity = i64::try_from(cfg.inactivity.as_secs()).unwrap_or(i64::MAX);
        let idle = !record.remember_me && inactivity > 0 && now.saturating_sub(record.last_seen) > inactivity;
        if now >= record.expires_at || idle {
            self.end(&hash);
            return self.session_ended(ctx, Some(&record.identity), Rejection::SessionExpired);
        }
        self.shared.sessions.touch(&hash, now);
        let signed_in = record.created_at;
        let two_factor = record.factors >= 2;
        Outcome { auth_time: Some(signed_in), two_factor, ..self.accepted(record.identity, ctx, "session", true) }
    }

    /// The row again (after the generation moved, or on a first sight), with a local
    /// user's account re-read: state, expiry, current groups; another backend's user gets
    /// their current Wicket groups.
    fn reload_session(&self, hash: &str, generation: i64) -> Reloaded {
        let Some(local) = self.chain.local.as_ref() else { return Reloaded::Missing };
        let read = local.with_store(|s| {
            let Some(mut record) = s.find_session(hash)? else { return Ok(None) };
            let user = if record.identity.backend == "local" { Some(s.get_user(&record.identity.name)?) } else { None };
            if user.is_none() {
                let name = crate::throttle::canonical_name(&record.identity.name);
                let wicket = s.external_groups(&record.identity.backend, &name)?;
                super::members::merge(&mut record.identity.groups, wicket);
            }
            Ok(Some((record, user)))
        });
        let (mut record, user) = match read {
            Ok(Some(found)) => found,
            Ok(None) => return Reloaded::Missing,
            Err(e) => {
                tracing::warn!("session store unreadable: {e}");
                return Reloaded::Unavailable;
            }
        };
        // A use not written yet is newer than the row.
        if let Some(at) = self.shared.sessions.touched.lock().unwrap_or_else(|e| e.into_inner()).get(hash).copied() {
            record.last_seen = record.last_seen.max(at);
        }
        match user {
            None => {}
            Some(None) => return Reloaded::Ended(Rejection::SessionExpired, record.identity),
            Some(Some(user)) => {
                if let Some(r) = account_refusal(&user, self.clock.now()) {
                    return Reloaded::Ended(r, record.identity);
                }
                let fresh = crate::local::identity(&user);
                record.identity.groups = fresh.groups;
                record.identity.display_name = fresh.display_name;
                record.identity.email = fresh.email;
            }
        }
        self.shared.sessions.put(record.clone(), generation);
        Reloaded::Found(record)
    }

    /// Forgets a session in memory and in the store (best effort: it is refused either way).
    fn end(&self, hash: &str) {
        self.shared.sessions.remove(hash);
        if let Some(local) = self.chain.local.as_ref() {
            if let Err(e) = local.with_store(|s| s.delete_session(hash)) {
                tracing::warn!("could not end a session: {e}");
            }
        }
    }

    fn session_ended(&self, ctx: &Context, id: Option<&Identity>, why: Rejection) -> Outcome {
        let (user, backend) = id.map_or(("-", "-"), |i| (i.name.as_str(), i.backend.as_str()));
        self.answer(Decision::Rejected(why), ctx, "session", user, backend)
    }

    /// Writes the "last seen" times gathered since the last call. Blocking.
    pub(super) fn flush_session_touches(&self) {
        let pending: Vec<(String, i64)> = {
            let mut map = self.shared.sessions.touched.lock().unwrap_or_else(|e| e.into_inner());
            map.drain().collect()
        };
        if pending.is_empty() {
            return;
        }
        if let Some(local) = self.chain.local.as_ref() {
            if let Err(e) = local.with_store(|s| s.touch_sessions(&pending)) {
                tracing::warn!("could not record session use: {e}");
            }
        }
    }
}

/// What reading a session from the store found.
enum Reloaded {
    /// A usable row (limits still to check).
    Found(SessionRecord),
    /// No such session.
    Missing,
    /// It ended with its account (locked, disabled, expired, deleted): why, and whose.
    Ended(Rejection, Identity),
    /// The store cannot be read.
    Unavailable,
}

#[cfg(test)]
mod tests;
