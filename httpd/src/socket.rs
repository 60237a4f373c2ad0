//! The local socket for the PAM and NSS modules (protocol: `wicket_core::proto`).
//!
//! The caller is identified by `SO_PEERCRED`: root may verify anyone and change anyone's
//! password; any other uid may verify or change only *its own* password (as `unix_chkpwd`
//! allows) and read passwd/group entries. Lookups go to the chain's directories, never to
//! NSS, so wicketd never asks itself through its own NSS module. A right password of an
//! account with a second factor answers `code_required` and a ticket for `verify_code`
//! ([`second_factor`]).

mod second_factor;

use crate::app::{App, Runtime};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use wicket_core::auth::Rejection;
use wicket_core::directory::{Directory, Unavailable};
use wicket_core::proto::{Op, PROTOCOL_VERSION, PosixGroup, PosixUser, Request, Response, encode, frame_len};
use wicket_core::secret::Secret;
use wicket_core::verify::{AccountCheck, Context, Credential, Decision, Outcome};

/// How long a client gets to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Binds the socket: removes a stale one, refuses to steal a live one, mode 0666 (the
/// peer's uid decides what it may ask).
pub fn bind(path: &Path) -> anyhow::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        if !dir.exists() {
            std::fs::create_dir_all(dir)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            anyhow::bail!("{} is in use by another wicketd", path.display());
        }
        std::fs::remove_file(path)?;
    }
    let l = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))?;
    Ok(l)
}

/// Accepts connections until the task is dropped.
pub async fn serve(app: Arc<App>, listener: UnixListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let app = app.clone();
                tokio::spawn(async move { connection(app, stream).await });
            }
            Err(e) => {
                tracing::warn!("socket accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn connection(app: Arc<App>, mut stream: UnixStream) {
    let Ok(cred) = stream.peer_cred() else { return };
    let uid = cred.uid();
    let response = match tokio::time::timeout(READ_TIMEOUT, read_request(&mut stream)).await {
        Ok(Ok(req)) if req.version == PROTOCOL_VERSION => dispatch(&app, uid, req.op).await,
        Ok(Ok(req)) => Response::BadRequest { reason: format!("protocol version {} not supported", req.version) },
        Ok(Err(why)) => Response::BadRequest { reason: why },
        Err(_) => return,
    };
    if let Ok(mut frame) = encode(&response) {
        let _ = stream.write_all(&frame).await;
        zeroize::Zeroize::zeroize(&mut frame);
    }
}

async fn read_request(stream: &mut UnixStream) -> Result<Request, String> {
    let mut prefix = [0u8; 4];
    stream.read_exact(&mut prefix).await.map_err(|e| e.to_string())?;
    let n = frame_len(prefix)?;
    let mut body = vec![0u8; n];
    stream.read_exact(&mut body).await.map_err(|e| e.to_string())?;
    let parsed = serde_json::from_slice(&body).map_err(|e| format!("malformed request: {e}"));
    zeroize::Zeroize::zeroize(&mut body);
    parsed
}

fn audit(uid: u32, user: &str, service: &str, op: &str, outcome: &str, backend: &str) {
    tracing::info!(
        target: "wicket::audit",
        front = "pam",
        peer_uid = uid,
        user = %user.escape_debug(),
        service = %service.escape_debug(),
        op,
        outcome,
        backend,
        "auth"
    );
}

/// First directory that knows the answer; unavailable only if nobody answered.
async fn lookup<T: Send + 'static>(
    rt: &Arc<Runtime>,
    f: impl Fn(&dyn Directory) -> Result<Option<T>, Unavailable> + Send + 'static,
) -> Result<Option<T>, String> {
    let dirs = rt.auth.chain().directories.clone();
    let joined = tokio::task::spawn_blocking(move || {
        let mut down = None;
        for d in &dirs {
            match f(d.as_ref()) {
                Ok(Some(v)) => return Ok(Some(v)),
                Ok(None) => {}
                Err(Unavailable(why)) => {
                    down.get_or_insert(why);
                }
            }
        }
        match down {
            Some(why) => Err(why),
            None => Ok(None),
        }
    })
    .await;
    joined.unwrap_or_else(|_| Err("lookup task failed".into()))
}

/// May `uid` act for `user`? Root may; others only for the account with their own uid.
async fn may_act_for(rt: &Arc<Runtime>, uid: u32, user: &str) -> Result<bool, String> {
    if uid == 0 {
        return Ok(true);
    }
    let name = user.to_string();
    let found: Option<PosixUser> = lookup(rt, move |d| d.user_by_name(&name)).await?;
    Ok(found.is_some_and(|u| u.uid == uid))
}

fn valid_name(user: &str) -> bool {
    !user.is_empty() && user.len() <= 256 && !user.chars().any(char::is_control)
}

async fn dispatch(app: &Arc<App>, uid: u32, op: Op) -> Response {
    let rt = app.runtime();
    match op {
        Op::Authenticate { user, password, service, rhost } => {
            authenticate(app, &rt, uid, user, password, service, rhost).await
        }
        Op::VerifyCode { user, ticket, code, service, rhost } => {
            second_factor::verify_code(app, &rt, uid, (user, ticket, code, service, rhost)).await
        }
        Op::Account { user, service } => account(&rt, uid, &user, &service).await,
        Op::ChangePassword { user, old_password, new_password, service, check_only } => {
            change_password(app, &rt, uid, &user, old_password, new_password, &service, check_only).await
        }
        Op::GetPwNam { name } => entry(lookup(&rt, move |d| d.user_by_name(&name)).await, Response::Passwd),
        Op::GetPwUid { uid: q } => entry(lookup(&rt, move |d| d.user_by_uid(q)).await, Response::Passwd),
        Op::GetGrNam { name } => entry(lookup(&rt, move |d| d.group_by_name(&name)).await, Response::Group),
        Op::GetGrGid { gid } => entry(lookup(&rt, move |d| d.group_by_gid(gid)).await, Response::Group),
        Op::InitGroups { user } => {
            let found = lookup(&rt, move |d| d.groups_of(&user).map(|g| (!g.is_empty()).then_some(g))).await;
            match found {
                Ok(groups) => {
                    Response::Groups { gids: groups.unwrap_or_default().iter().map(|g: &PosixGroup| g.gid).collect() }
                }
                Err(reason) => Response::Unavailable { reason },
            }
        }
    }
}

fn entry<T>(r: Result<Option<T>, String>, wrap: impl Fn(T) -> Response) -> Response {
    match r {
        Ok(Some(v)) => wrap(v),
        Ok(None) => Response::NotFound,
        Err(reason) => Response::Unavailable { reason },
    }
}

async fn authenticate(
    app: &App,
    rt: &Arc<Runtime>,
    uid: u32,
    user: String,
    password: Secret,
    service: String,
    rhost: Option<String>,
) -> Response {
    if !valid_name(&user) {
        return Response::UnknownUser;
    }
    match may_act_for(rt, uid, &user).await {
        Ok(true) => {}
        Ok(false) => {
            audit(uid, &user, &service, "authenticate", "not_allowed", "-");
            return Response::NotAllowed;
        }
        Err(reason) => return Response::Unavailable { reason },
    }
    // Throttle per account and per origin: see `Context::socket` for whose rhost counts.
    let ctx = Context::socket(uid, &service, rhost.as_deref());
    let outcome = verify(app, &rt.auth, Credential::Password { user, secret: password }, &ctx).await;
    match outcome.decision {
        Decision::Accepted(id) => second_factor::after_password(app, rt, uid, &id.name, &id.backend).await,
        Decision::Rejected(reason) => rejection(reason),
        Decision::Unknown => Response::UnknownUser,
        Decision::Throttled(d) => Response::Throttled { retry_after_secs: d.as_secs() },
        Decision::Unavailable(reason) => Response::Unavailable { reason },
        Decision::Stale => Response::AuthError,
    }
}

/// Asks the core, writes the audit line and waits the throttle's delay.
async fn verify(
    app: &App,
    auth: &wicket_core::verify::Authenticator,
    credential: Credential,
    ctx: &Context,
) -> Outcome {
    let outcome = auth.verify(credential, ctx).await;
    app.audit(&outcome.event);
    if !outcome.delay.is_zero() {
        tokio::time::sleep(outcome.delay).await;
    }
    outcome
}

fn rejection(r: Rejection) -> Response {
    match r {
        Rejection::Locked | Rejection::Disabled => Response::PermissionDenied,
        Rejection::Expired => Response::Expired,
        _ => Response::AuthError,
    }
}

async fn account(rt: &Arc<Runtime>, uid: u32, user: &str, service: &str) -> Response {
    if !valid_name(user) {
        return Response::UnknownUser;
    }
    match may_act_for(rt, uid, user).await {
        Ok(true) => {}
        Ok(false) => {
            audit(uid, user, service, "account", "not_allowed", "-");
            return Response::NotAllowed;
        }
        Err(reason) => return Response::Unavailable { reason },
    }
    let (r, name) = (rt.clone(), user.to_string());
    match tokio::task::spawn_blocking(move || r.auth.account(&name)).await {
        Ok(AccountCheck::Usable) => {
            audit(uid, user, service, "account", "ok", "local");
            return Response::Ok;
        }
        Ok(AccountCheck::Refused(reason)) => {
            audit(uid, user, service, "account", "refused", "local");
            return rejection(reason);
        }
        Ok(AccountCheck::NotLocal) => {}
        Ok(AccountCheck::Unavailable(reason)) => return Response::Unavailable { reason },
        Err(_) => return Response::Unavailable { reason: "lookup task failed".into() },
    }
    let name = user.to_string();
    match lookup(rt, move |d| d.user_by_name(&name)).await {
        Ok(Some(_)) => Response::Ok,
        Ok(None) => Response::UnknownUser,
        Err(reason) => Response::Unavailable { reason },
    }
}

#[allow(clippy::too_many_arguments)]
async fn change_password(
    app: &Arc<App>,
    rt: &Arc<Runtime>,
    uid: u32,
    user: &str,
    old: Option<Secret>,
    new: Option<Secret>,
    service: &str,
    check_only: bool,
) -> Response {
    if !valid_name(user) {
        return Response::UnknownUser;
    }
    match may_act_for(rt, uid, user).await {
        Ok(true) => {}
        Ok(false) => {
            audit(uid, user, service, "chauthtok", "not_allowed", "-");
            return Response::NotAllowed;
        }
        Err(reason) => return Response::Unavailable { reason },
    }
    let Some(local) = rt.auth.chain().local.clone() else {
        return Response::PasswordRefused { reason: "no local store: passwords are managed elsewhere".into() };
    };
    let (r, name) = (rt.clone(), user.to_string());
    match tokio::task::spawn_blocking(move || r.auth.account(&name)).await {
        Ok(AccountCheck::Usable | AccountCheck::Refused(_)) => {}
        Ok(AccountCheck::NotLocal) => return Response::UnknownUser,
        Ok(AccountCheck::Unavailable(reason)) => return Response::Unavailable { reason },
        Err(_) => return Response::Unavailable { reason: "lookup task failed".into() },
    }
    // Everyone but root proves the old password, through the same throttle.
    if uid != 0 || old.is_some() {
        let Some(old) = old else { return Response::AuthError };
        let ctx = Context::socket(uid, service, None);
        match verify(app, &rt.auth, Credential::Password { user: user.to_string(), secret: old }, &ctx).await.decision {
            Decision::Accepted(id) if id.backend == "local" => {}
            Decision::Accepted(_) => {
                return Response::PasswordRefused { reason: "this account's password is not managed by Wicket".into() };
            }
            Decision::Rejected(reason) => {
                audit(uid, user, service, "chauthtok", reason.as_str(), "local");
                return rejection(reason);
            }
            Decision::Unknown | Decision::Stale => return Response::UnknownUser,
            Decision::Throttled(d) => return Response::Throttled { retry_after_secs: d.as_secs() },
            Decision::Unavailable(reason) => return Response::Unavailable { reason },
        }
    }
    if check_only {
        return Response::Ok;
    }
    let Some(new) = new.filter(|n| !n.is_empty()) else {
        return Response::PasswordRefused { reason: "empty password".into() };
    };
    let name = user.to_string();
    let clock = app.clock.clone();
    let done =
        tokio::task::spawn_blocking(move || local.with_accounts(|a| a.set_password(&name, &new, clock.now()))).await;
    match done {
        Ok(Ok(())) => {
            audit(uid, user, service, "chauthtok", "changed", "local");
            Response::Ok
        }
        // The password rules' refusal names the rule (never the password): PAM_AUTHTOK_ERR.
        Ok(Err(e @ (wicket_core::Error::WeakPassword(_) | wicket_core::Error::EmptyPassword))) => {
            audit(uid, user, service, "chauthtok", "weak_password", "local");
            Response::PasswordRefused { reason: e.to_string() }
        }
        Ok(Err(e)) => Response::Unavailable { reason: e.to_string() },
        Err(_) => Response::Unavailable { reason: "password task failed".into() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wicket_core::clock::{ManualClock, SharedClock};
    use wicket_core::config::Config;
    use wicket_core::local::PasswordPolicy;
    use wicket_core::store::{NewUser, Store};

    fn app(dir: &Path) -> Arc<App> {
        let text = format!(
            "[store]\npath = \"{}\"\n[throttle]\ndelays = [\"0s\"]\nmax_failures = 3\n",
            dir.join("w.db").display()
        );
        let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        let mut store = Store::open(&cfg.store.path, cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
        let policy = PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"));
        let rec = policy.record("alice", &Secret::from("pw-alice")).unwrap_or_else(|e| panic!("{e}"));
        let new = NewUser { name: "alice".into(), uid: Some(250_000), ..NewUser::default() };
        store.add_user(&new, &cfg.users, Some(&rec), 0).unwrap_or_else(|e| panic!("{e}"));
        let clock: SharedClock = Arc::new(ManualClock::new(1_800_000_000));
        App::new(Runtime::build(cfg, clock.clone()).unwrap_or_else(|e| panic!("{e:#}")), clock)
    }

    fn auth(user: &str, pw: &str, rhost: Option<&str>) -> Op {
        Op::Authenticate {
            user: user.into(),
            password: Secret::from(pw),
            service: "su".into(),
            rhost: rhost.map(str::to_string),
        }
    }

    #[tokio::test]
    async fn root_callers_without_rhost_cannot_lock_everyone_out() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let app = app(dir.path());
        // su, sudo and login all run as root: guesses at other names must not lock alice out.
        for who in ["bob", "carol", "dave", "erin"] {
            assert_eq!(dispatch(&app, 0, auth(who, "guess", None)).await, Response::UnknownUser);
        }
        assert_eq!(dispatch(&app, 0, auth("alice", "pw-alice", None)).await, Response::Ok);
        // Per-user throttling still applies.
        for _ in 0..3 {
            assert_eq!(dispatch(&app, 0, auth("alice", "wrong", None)).await, Response::AuthError);
        }
        assert!(matches!(dispatch(&app, 0, auth("alice", "pw-alice", None)).await, Response::Throttled { .. }));
    }

    #[tokio::test]
    async fn non_root_callers_may_verify_only_themselves() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let app = app(dir.path());
        assert_eq!(dispatch(&app, 250_000, auth("alice", "pw-alice", None)).await, Response::Ok);
        assert_eq!(dispatch(&app, 1234, auth("alice", "pw-alice", None)).await, Response::NotAllowed);
        let lookup = dispatch(&app, 1234, Op::GetPwNam { name: "alice".into() }).await;
        assert!(matches!(lookup, Response::Passwd(ref u) if u.uid == 250_000 && u.name == "alice"), "{lookup:?}");
        assert_eq!(dispatch(&app, 1234, Op::GetPwNam { name: "nobody-here".into() }).await, Response::NotFound);
    }

    /// Issue 13: chauthtok meets the password rules and says which one failed.
    #[tokio::test]
    async fn chauthtok_refuses_a_weak_password_naming_the_rule() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let app = app(dir.path());
        let change = |new: &str| Op::ChangePassword {
            user: "alice".into(),
            old_password: Some(Secret::from("pw-alice")),
            new_password: Some(Secret::from(new)),
            service: "passwd".into(),
            check_only: false,
        };
        let refused = dispatch(&app, 250_000, change("Password1")).await;
        assert_eq!(
            refused,
            Response::PasswordRefused { reason: "password refused: it is one of the most common passwords".into() }
        );
        assert_eq!(dispatch(&app, 250_000, auth("alice", "pw-alice", None)).await, Response::Ok, "unchanged");
        assert_eq!(dispatch(&app, 250_000, change("pw-Alice-new")).await, Response::Ok);
    }
}
