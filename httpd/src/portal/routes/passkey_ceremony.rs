//! What every passkey ceremony needs: single-use challenges bound to the browser, the
//! relying party from the config, and the store off the reactor.

use super::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use wicket_core::config::RelyingPartyConfig;
use wicket_core::store::PasskeyRecord;

/// What a locked-out passkey attempt is told (answered 429), like a code or a password.
pub(super) const THROTTLED: &str = "Too many attempts. Please wait a moment and try again.";

/// How long a challenge stays good (seconds).
pub(super) const CHALLENGE_TTL: i64 = 300;

/// Most challenges open at once; beyond it (after dropping expired ones) none is issued.
const MAX_OPEN: usize = 10_000;

struct Issued {
    ceremony: &'static str,
    binding: String,
    expires: i64,
}

static CHALLENGES: LazyLock<Mutex<HashMap<String, Issued>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// A fresh challenge (base64url) for `ceremony`, bound to `binding`.
pub(super) fn issue_challenge(ceremony: &'static str, binding: &str, now: i64) -> Option<String> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.try_fill_bytes(&mut bytes).ok()?;
    let challenge = URL_SAFE_NO_PAD.encode(bytes);
    let mut open = CHALLENGES.lock().unwrap_or_else(|e| e.into_inner());
    if open.len() >= MAX_OPEN / 2 {
        open.retain(|_, i| i.expires > now);
    }
    if open.len() >= MAX_OPEN {
        tracing::warn!("portal: too many passkey challenges open; refusing more");
        return None;
    }
    open.insert(challenge.clone(), Issued { ceremony, binding: binding.to_string(), expires: now + CHALLENGE_TTL });
    Some(challenge)
}

/// Takes (removes) a challenge; its bytes when it was issued for this ceremony and
/// binding and has not expired.
pub(super) fn take_challenge(challenge: &str, ceremony: &str, binding: &str, now: i64) -> Option<Vec<u8>> {
    let issued = CHALLENGES.lock().unwrap_or_else(|e| e.into_inner()).remove(challenge)?;
    let ok = issued.ceremony == ceremony && issued.binding == binding && issued.expires > now;
    ok.then(|| URL_SAFE_NO_PAD.decode(challenge).ok()).flatten()
}

/// The relying party, when passkeys are on (`[webauthn]` and a `portal_url`).
pub(super) fn relying_party(portal: &Portal<'_>) -> Option<RelyingPartyConfig> {
    portal.rt.cfg.webauthn.relying_party(portal.cfg.portal_url.as_deref())
}

/// Runs `f` on the local store off the reactor.
pub(super) async fn with_store<T: Send + 'static>(
    portal: &Portal<'_>,
    f: impl FnOnce(&mut dyn wicket_core::store::UserStore) -> wicket_core::error::Result<T> + Send + 'static,
) -> wicket_core::error::Result<T> {
    let rt = portal.rt.clone();
    tokio::task::spawn_blocking(move || {
        let local = rt
            .auth
            .chain()
            .local
            .clone()
            .ok_or_else(|| wicket_core::error::Error::Invalid("passkeys need the local store".into()))?;
        local.with_store(f)
    })
    .await
    .unwrap_or_else(|_| Err(wicket_core::error::Error::Invalid("task failed".into())))
}

/// The account's passkeys.
pub(super) async fn passkeys_of(portal: &Portal<'_>, id: &Identity) -> wicket_core::error::Result<Vec<PasskeyRecord>> {
    let (name, backend) = (id.name.clone(), id.backend.clone());
    with_store(portal, move |s| s.list_passkeys(&backend, &name)).await
}
