//! Invitations: `wicket user invite` and `--reset`, and the portal's use of the link.
//!
//! A link carries a token of 256 random bits (base64url, 43 characters); the store keeps
//! only its SHA-256. An invited account is a local user with **no password** and an open
//! invitation: it exists for NSS (its uid and home are fixed from the start) but nothing
//! can sign in as it until the person chooses a password through the link. No new account
//! state: `users` is unchanged, and a pending account is simply one without a password.

use super::{Accounts, validate_new_user};
use crate::duration::sanitize;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::store::{InviteInfo, NewUser, User};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// Random bytes in a link's token.
const INVITE_BYTES: usize = 32;
/// Characters in a link's token.
pub const INVITE_TOKEN_LEN: usize = 43;

/// A fresh link's token: shown once, to the administrator, then only its hash exists.
pub fn new_invite_token() -> Secret {
    let mut bytes = zeroize::Zeroizing::new([0u8; INVITE_BYTES]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    Secret::from_string(URL_SAFE_NO_PAD.encode(bytes.as_ref()))
}

/// The stored hash of a link's token, or `None` when it cannot be one of ours (length,
/// alphabet): refused without a lookup.
pub fn invite_hash(token: &[u8]) -> Option<String> {
    let ok =
        token.len() == INVITE_TOKEN_LEN && token.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    ok.then(|| crate::token::hash(token))
}

/// What [`Accounts::invite_user`] made.
#[derive(Debug)]
pub struct Invitation {
    /// The account, as stored (no password).
    pub user: User,
    /// Whether the account was made now (false: a pending account got a new link).
    pub created: bool,
    /// The link's token: print it once.
    pub token: Secret,
    /// The stored invitation.
    pub info: InviteInfo,
}

impl Accounts<'_> {
    /// `wicket user invite`: a new local user without a password, in `groups`, with a link
    /// that lives until `expires_at`. Inviting an existing account that has no password yet
    /// (with nothing else to change) replaces its link; any other existing user is refused —
    /// a reset link is [`Accounts::reset_link`]. Every group must exist; they are checked
    /// before anything is written. The user, its memberships and the link are separate
    /// writes: if a later one fails, the new user is deleted again.
    pub fn invite_user(&mut self, new: &NewUser, groups: &[String], expires_at: i64, now: i64) -> Result<Invitation> {
        validate_new_user(new)?;
        check_expiry(expires_at, now)?;
        for g in groups {
            if self.store.get_group(g)?.is_none() {
                return Err(Error::NoSuchGroup(sanitize(g)));
            }
        }
        if let Some(existing) = self.store.get_user(&new.name)? {
            let name_only = new.uid.is_none()
                && new.gid.is_none()
                && new.display_name.is_none()
                && new.email.is_none()
                && new.home.is_none()
                && new.shell.is_none()
                && new.expires_at.is_none()
                && groups.is_empty();
            if existing.password_hash.is_some() || !name_only {
                let name = sanitize(&new.name);
                return Err(Error::Invalid(format!(
                    "user `{name}` already exists; `wicket user invite --reset {name}` makes a link to set a new password"
                )));
            }
            let (token, info) = self.store_link(&existing.name, false, expires_at, now)?;
            return Ok(Invitation { user: existing, created: false, token, info });
        }
        let user = self.store.add_user(new, self.defaults, None, now)?;
        let mut rest = || -> Result<(Secret, InviteInfo)> {
            for g in groups {
                self.store.add_member(&user.name, g)?;
            }
            self.store_link(&user.name, false, expires_at, now)
        };
        match rest() {
            Ok((token, info)) => {
                let user = self.store.get_user(&user.name)?.unwrap_or(user);
                Ok(Invitation { user, created: true, token, info })
            }
            Err(e) => {
                if let Err(undo) = self.store.delete_user(&user.name) {
                    tracing::warn!("invite: could not remove the half-made user {}: {undo}", user.name);
                }
                Err(e)
            }
        }
    }

    /// `wicket user invite --reset`: a link for an existing local user to choose a new
    /// password (the gate's "forgot password", handed over by an administrator). Replaces
    /// the user's earlier link. The current password keeps working until the link is used.
    pub fn reset_link(&mut self, name: &str, expires_at: i64, now: i64) -> Result<(Secret, InviteInfo)> {
        check_expiry(expires_at, now)?;
        self.require_user(name)?;
        self.store_link(name, true, expires_at, now)
    }

    fn store_link(&mut self, name: &str, reset: bool, expires_at: i64, now: i64) -> Result<(Secret, InviteInfo)> {
        let token = new_invite_token();
        let info = self.store.add_invite(name, &crate::token::hash(token.expose()), reset, now, expires_at)?;
        Ok((token, info))
    }

    /// The open invitation a link's token stands for at `now` (`None`: unknown, used,
    /// expired, or not a token at all — one answer for all).
    pub fn open_invite(&self, token: &Secret, now: i64) -> Result<Option<InviteInfo>> {
        match invite_hash(token.expose()) {
            Some(hash) => self.store.find_invite(&hash, now),
            None => Ok(None),
        }
    }

    /// Uses a link: the password meets the rules (else [`Error::WeakPassword`] and the link
    /// stays open), then the link is marked used and the password set in one transaction,
    /// ending the user's sessions. The user's name, or `None` when the link is not (or no
    /// longer) open — a concurrent use that won the race included.
    pub fn redeem_invite(&mut self, token: &Secret, password: &Secret, now: i64) -> Result<Option<String>> {
        let Some(hash) = invite_hash(token.expose()) else { return Ok(None) };
        let Some(info) = self.store.find_invite(&hash, now)? else { return Ok(None) };
        self.rules().check(&info.user, password)?;
        let record = self.policy.record(&info.user, password)?;
        let used = self.store.redeem_invite(&hash, &info.user, &record, self.policy.revokes_tokens(), now)?;
        Ok(used.then_some(info.user))
    }
}

fn check_expiry(expires_at: i64, now: i64) -> Result<()> {
    let max = i64::try_from(crate::config::MAX_INVITE_EXPIRY.as_secs()).unwrap_or(i64::MAX);
    if expires_at <= now || expires_at - now > max {
        return Err(Error::Invalid("an invitation must expire within 30 days from now".into()));
    }
    Ok(())
}
