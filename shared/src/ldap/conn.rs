//! Connections: opening one (URL failover, `ldaps://` or StartTLS, connect timeout), running
//! one operation with the operation timeout, and a small pool that drops a connection after
//! any transport error.
//!
//! ldap3's synchronous `LdapConn` owns a current-thread tokio runtime: it must be used from a
//! blocking thread, and it must not be *dropped* on an async worker (tokio panics when a
//! runtime is dropped there). [`Pool`]'s `Drop` hands its connections to a plain thread.

use super::entry::Entry;
use super::settings::Settings;
use ldap3::{LdapConn, LdapConnSettings, LdapError, Scope, SearchEntry, SearchOptions, StdStream};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Why an operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The server answered with a non-success result code; the connection is still usable.
    Code {
        /// The LDAP result code (49 = invalidCredentials).
        rc: u32,
        /// Which operation.
        op: &'static str,
    },
    /// The connection failed (refused, TLS, timeout, closed, malformed answer): drop it.
    Broken(String),
}

/// invalidCredentials.
pub(crate) const RC_INVALID_CREDENTIALS: u32 = 49;
/// sizeLimitExceeded: the entries returned so far are valid.
const RC_SIZE_LIMIT: u32 = 4;
/// noSuchObject.
pub(crate) const RC_NO_SUCH_OBJECT: u32 = 32;

impl Failure {
    /// A one-line reason for `Unavailable`. Never contains a password: it is built from the
    /// result code, the operation name and ldap3's transport error text only.
    pub fn reason(&self) -> String {
        match self {
            Self::Code { rc, op } => format!("{op}: server answered {} ({rc})", rc_name(*rc)),
            Self::Broken(why) => why.clone(),
        }
    }
}

/// The name of an LDAP result code (RFC 4511 appendix A).
fn rc_name(rc: u32) -> &'static str {
    match rc {
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        4 => "sizeLimitExceeded",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        10 => "referral",
        11 => "adminLimitExceeded",
        13 => "confidentialityRequired",
        32 => "noSuchObject",
        34 => "invalidDNSyntax",
        48 => "inappropriateAuthentication",
        49 => "invalidCredentials",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        80 => "other",
        _ => "an error",
    }
}

/// Describes a transport-level error without ever echoing request data.
fn describe(url: &str, e: &LdapError) -> String {
    let what = match e {
        LdapError::Io { source } => match source.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
            Some(tls) => format!("TLS error: {tls}"),
            None => format!("I/O error: {source}"),
        },
        LdapError::Timeout { .. } => "timed out".to_string(),
        LdapError::Rustls { source } => format!("TLS error: {source}"),
        LdapError::DNSName { .. } => "TLS error: the host is not a valid server name".to_string(),
        LdapError::LdapResult { result } => {
            // Only StartTLS reaches here during connect: the extended operation was refused.
            format!("StartTLS refused: {} ({})", rc_name(result.rc), result.rc)
        }
        LdapError::EndOfStream | LdapError::ResultRecv { .. } | LdapError::OpSend { .. } => {
            "connection closed".to_string()
        }
        LdapError::UrlParsing { .. } | LdapError::UnknownScheme(_) => "invalid URL".to_string(),
        other => other.to_string(),
    };
    format!("{url}: {what}")
}

/// Host and port of an `ldap://` or `ldaps://` URL (default ports 389 and 636).
fn host_port(url: &str) -> Option<(String, u16)> {
    let lower = url.to_ascii_lowercase();
    let (rest, default_port) = match lower.strip_prefix("ldaps://") {
        Some(r) => (r, 636),
        None => (lower.strip_prefix("ldap://")?, 389),
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (h, after) = v6.split_once(']')?;
            (h, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(p) if !p.is_empty() => p.parse().ok()?,
        _ => default_port,
    };
    (!host.is_empty()).then(|| (host.to_string(), port))
}

/// Connects TCP within `timeout` (name resolution included) with `TCP_NODELAY` set. Without
/// it, the first request after a TLS 1.3 handshake waits for a delayed ACK (~40 ms).
fn connect_tcp(host: &str, port: u16, timeout: Duration) -> Result<std::net::TcpStream, LdapError> {
    use ldap3::tokio;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let connected =
        rt.block_on(async { tokio::time::timeout(timeout, tokio::net::TcpStream::connect((host, port))).await });
    let stream = connected.map_err(|elapsed| LdapError::Timeout { elapsed })??;
    stream.set_nodelay(true)?;
    Ok(stream.into_std()?)
}

/// One open connection and the timeout its operations use.
#[derive(Debug)]
pub(crate) struct Conn {
    inner: LdapConn,
    url: String,
    timeout: Duration,
}

impl Conn {
    /// Connects to the first URL that answers, in order. StartTLS or `ldaps://` failures are
    /// errors: there is no fallback to plaintext.
    pub fn open(s: &Settings) -> Result<Self, Failure> {
        let mut last = Failure::Broken("no LDAP server configured".into());
        for url in &s.urls {
            match Self::open_one(s, url) {
                Ok(inner) => return Ok(Self { inner, url: url.clone(), timeout: s.timeout }),
                Err(e) => last = Failure::Broken(describe(url, &e)),
            }
        }
        Err(last)
    }

    fn open_one(s: &Settings, url: &str) -> Result<LdapConn, LdapError> {
        let started = Instant::now();
        let Some((host, port)) = host_port(url) else {
            return Err(LdapError::UnknownScheme(String::new()));
        };
        let tcp = connect_tcp(&host, port, s.timeout)?;
        // What is left of the timeout bounds the TLS handshake or StartTLS.
        let left = s.timeout.saturating_sub(started.elapsed()).max(Duration::from_millis(1));
        let mut cs = LdapConnSettings::new().set_conn_timeout(left).set_std_stream(StdStream::Tcp(tcp));
        if let Some(tls) = &s.tls {
            cs = cs.set_config(tls.clone());
        }
        let is_ldap = url.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("ldap://"));
        cs = cs.set_starttls(s.starttls && is_ldap);
        LdapConn::with_settings(cs, url)
    }

    /// A simple bind. `Ok` only for result code 0.
    pub fn bind(&mut self, dn: &str, password: &str) -> Result<(), Failure> {
        let res = self.inner.with_timeout(self.timeout).simple_bind(dn, password);
        match res {
            Ok(r) if r.rc == 0 => Ok(()),
            Ok(r) => Err(Failure::Code { rc: r.rc, op: "bind" }),
            Err(e) => Err(Failure::Broken(describe(&self.url, &e))),
        }
    }

    /// A search returning at most `limit` entries (0 = the server's limit). Referrals are
    /// ignored. A size-limit answer returns the entries received.
    pub fn search(
        &mut self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: &[&str],
        limit: i32,
    ) -> Result<Vec<Entry>, Failure> {
        let secs = i32::try_from(self.timeout.as_secs().max(1)).unwrap_or(i32::MAX);
        let opts = SearchOptions::new().sizelimit(limit).timelimit(secs);
        let res = self.inner.with_search_options(opts).with_timeout(self.timeout).search(base, scope, filter, attrs);
        let res = match res {
            Ok(r) => r,
            Err(e) => return Err(Failure::Broken(describe(&self.url, &e))),
        };
        if res.1.rc != 0 && res.1.rc != RC_SIZE_LIMIT {
            return Err(Failure::Code { rc: res.1.rc, op: "search" });
        }
        let mut out = Vec::with_capacity(res.0.len());
        for raw in res.0 {
            if raw.is_ref() || raw.is_intermediate() {
                continue;
            }
            // ldap3 panics on a malformed entry; a broken server must not take us down.
            let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| SearchEntry::construct(raw)));
            match parsed {
                Ok(e) => out.push(Entry::from(e)),
                Err(_) => return Err(Failure::Broken(format!("{}: malformed search entry", self.url))),
            }
        }
        Ok(out)
    }
}

/// Idle connections kept for reuse.
#[derive(Debug)]
pub(crate) struct Pool {
    idle: Mutex<Vec<Conn>>,
    max: usize,
}

impl Pool {
    /// An empty pool keeping at most `max` idle connections.
    pub fn new(max: usize) -> Self {
        Self { idle: Mutex::new(Vec::new()), max }
    }

    /// An idle connection, if any.
    pub fn take(&self) -> Option<Conn> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop()
    }

    /// Returns a healthy connection.
    pub fn give(&self, c: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.max {
            idle.push(c);
        }
    }

    /// Drops every idle connection (after one turned out dead, the others likely are too).
    pub fn clear(&self) {
        let old = std::mem::take(&mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner));
        drop_off_reactor(old);
    }

    /// Runs `op` on a pooled connection, or on a new one made by `open`. A connection that
    /// fails at the transport level is dropped with the whole pool; when it came from the
    /// pool (perhaps stale after a server restart) the operation is retried once on a new
    /// connection.
    pub fn run<T>(
        &self,
        mut open: impl FnMut() -> Result<Conn, Failure>,
        mut op: impl FnMut(&mut Conn) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let (mut conn, pooled) = match self.take() {
            Some(c) => (c, true),
            None => (open()?, false),
        };
        match op(&mut conn) {
            Err(Failure::Broken(why)) => {
                drop(conn);
                self.clear();
                if !pooled {
                    return Err(Failure::Broken(why));
                }
                let mut conn = open()?;
                let out = op(&mut conn);
                if !matches!(out, Err(Failure::Broken(_))) {
                    self.give(conn);
                }
                out
            }
            other => {
                self.give(conn);
                other
            }
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(PoisonError::into_inner));
        drop_off_reactor(idle);
    }
}

/// Drops connections where dropping their runtimes is allowed: here on a plain thread, or on
/// a new thread when called from inside a tokio runtime (a reloading daemon drops the old
/// backend on an async worker).
fn drop_off_reactor(conns: Vec<Conn>) {
    if conns.is_empty() {
        return;
    }
    if ldap3::tokio::runtime::Handle::try_current().is_err() {
        drop(conns);
        return;
    }
    let (tx, rx) = std::sync::mpsc::channel::<Vec<Conn>>();
    let spawned = std::thread::Builder::new().name("ldap-drop".into()).spawn(move || {
        let _ = rx.recv().map(drop);
    });
    match spawned {
        Ok(_) => {
            if let Err(std::sync::mpsc::SendError(conns)) = tx.send(conns) {
                // The thread is gone: leaking a few sockets beats a panic on the reactor.
                std::mem::forget(conns);
            }
        }
        // No thread: leaking a few sockets beats a panic on the reactor.
        Err(_) => std::mem::forget(conns),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BackendConfig, Config};

    #[test]
    fn host_and_port_from_urls() {
        let hp = |u: &str| host_port(u);
        assert_eq!(hp("ldap://h"), Some(("h".into(), 389)));
        assert_eq!(hp("LDAPS://Host.Example:1636/dc=x?uid"), Some(("host.example".into(), 1636)));
        assert_eq!(hp("ldaps://h/"), Some(("h".into(), 636)));
        assert_eq!(hp("ldap://[::1]:3389"), Some(("::1".into(), 3389)));
        assert_eq!(hp("ldap://[::1]"), Some(("::1".into(), 389)));
        assert_eq!(hp("ldap://h:"), Some(("h".into(), 389)));
        assert_eq!(hp("ldap://:389"), None);
        assert_eq!(hp("ldap://h:notaport"), None);
        assert_eq!(hp("http://h"), None);
    }

    fn settings(url: &str) -> Settings {
        let cfg = Config::parse(&format!(
            "[[backend]]\nkind = \"ldap\"\nurl = \"{url}\"\nbase = \"dc=x\"\ntimeout = \"2s\"\n"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let Some(BackendConfig::Ldap(l)) = cfg.backend.first() else { panic!("not ldap") };
        Settings::from_config(l).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_pool_can_be_dropped_on_an_async_worker() {
        // A plain ldap:// connection is only a TCP connect: a listener that never answers
        // is enough to fill a pool.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let s = settings(&format!("ldap://127.0.0.1:{port}"));
        let pool = Pool::new(2);
        for _ in 0..2 {
            pool.give(Conn::open(&s).unwrap_or_else(|e| panic!("{e:?}")));
        }
        let rt = ldap3::tokio::runtime::Builder::new_current_thread().build().unwrap_or_else(|e| panic!("{e}"));
        // Dropping a tokio runtime here would panic; the pool must hand its connections off.
        rt.block_on(async move { drop(pool) });
    }

    #[test]
    fn a_stale_pooled_connection_is_retried_once_on_a_new_one() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let s = settings(&format!("ldap://127.0.0.1:{port}"));
        let pool = Pool::new(2);
        pool.give(Conn::open(&s).unwrap_or_else(|e| panic!("{e:?}")));
        pool.give(Conn::open(&s).unwrap_or_else(|e| panic!("{e:?}")));
        let mut calls = 0;
        let mut opened = 0;
        let out = pool.run(
            || {
                opened += 1;
                Conn::open(&s)
            },
            |_| {
                calls += 1;
                if calls == 1 { Err(Failure::Broken("stale".into())) } else { Ok(calls) }
            },
        );
        assert_eq!(out, Ok(2));
        assert_eq!(opened, 1, "one new connection after the stale one");
        // The other idle connection was dropped with the stale one; the new one is kept.
        assert!(pool.take().is_some() && pool.take().is_none());
        // A fresh connection that fails is not retried.
        let out: Result<(), _> = pool.run(|| Conn::open(&s), |_| Err(Failure::Broken("down".into())));
        assert_eq!(out, Err(Failure::Broken("down".into())));
        // Result codes keep the connection.
        let out: Result<(), _> = pool.run(|| Conn::open(&s), |_| Err(Failure::Code { rc: 49, op: "bind" }));
        assert!(out.is_err() && pool.take().is_some());
    }
}
