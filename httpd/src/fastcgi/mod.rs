//! The FastCGI AUTHORIZER front for Apache httpd's `mod_authnz_fcgi` (`[fastcgi] listen`),
//! in both of its uses: deciding the whole request ([`authorize`]: `AuthType wicket` with
//! `AuthnzFcgiCheckAuthnProvider`, every scheme) and checking one password as an
//! authentication provider ([`authenticate`]: `AuthBasicProvider wicket`). Which one is
//! asked is read from `FCGI_APACHE_ROLE` and whether a password was sent
//! ([`authenticate::role`]).
//!
//! Written here rather than taken from a crate: the protocol part Wicket needs is small (one
//! role, no multiplexing, no body), and the parser must be bounded and never panic under
//! Wicket's control — [`record`] reads one record of at most 64 KiB, [`params`] caps a
//! request's `PARAMS` at 256 KiB, and a connection runs one request at a time.
//!
//! A connection: `BEGIN_REQUEST` (role AUTHORIZER; another role is answered `UNKNOWN_ROLE`),
//! `PARAMS` until an empty record, then the answer as `STDOUT` and
//! `END_REQUEST`. With `FCGI_KEEP_CONN` the connection waits for the next request
//! (`mod_authnz_fcgi` does not set it and opens one connection per check). `STDIN` and
//! `DATA` are ignored; a second `BEGIN_REQUEST` during a request is refused with
//! `CANT_MPX_CONN`; `GET_VALUES` is answered. Anything that is not FastCGI, too long, or
//! too slow closes the connection, which Apache reports as a 500.

pub mod authenticate;
pub mod authorize;
pub mod params;
pub mod record;

use crate::app::App;
use crate::listener::Peer;
use record::{Read, kind, role, status};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

/// How long one request may take to arrive, from `BEGIN_REQUEST` to the end of `PARAMS`.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub use crate::listener::Listener;

/// Accepts connections until the task is dropped (see [`crate::listener::serve`]).
pub async fn serve(app: Arc<App>, listener: Listener) {
    crate::listener::serve(app, listener, "fastcgi", connection).await;
}

/// Serves one connection: requests one after another while the web server keeps it.
pub async fn connection<S: AsyncRead + AsyncWrite + Unpin>(app: Arc<App>, mut s: S, peer: Peer) {
    let (first, idle) = {
        let rt = app.runtime();
        (rt.cfg.server.first_byte_timeout, rt.cfg.server.keepalive_timeout)
    };
    let mut wait = first;
    loop {
        match request(&app, &mut s, peer, wait).await {
            Ok(true) => wait = idle,
            Ok(false) => return,
            Err(why) => {
                tracing::debug!("fastcgi connection closed: {why}");
                return;
            }
        }
    }
}

/// Reads and answers one request; `Ok(true)` when the connection is kept for another.
async fn request<S: AsyncRead + AsyncWrite + Unpin>(
    app: &Arc<App>,
    s: &mut S,
    peer: Peer,
    wait: Duration,
) -> Result<bool, String> {
    // Between requests: management records, or a BEGIN_REQUEST.
    let (id, keep) = loop {
        let rec = next(s, wait).await?.ok_or("closed")?;
        match rec.kind {
            kind::BEGIN_REQUEST => {
                let (r, keep) = record::begin_request(&rec.content).map_err(|m| m.to_string())?;
                if r == role::AUTHORIZER {
                    break (rec.request_id, keep);
                }
                let mut out = Vec::new();
                record::end_request(&mut out, rec.request_id, 0, status::UNKNOWN_ROLE);
                send(s, &out).await?;
                if !keep {
                    return Ok(false);
                }
            }
            _ if rec.request_id == 0 => management(s, rec).await?,
            // STDIN, DATA, ABORT of a request already answered: nothing to do.
            _ => {}
        }
    };
    let deadline = tokio::time::Instant::now() + REQUEST_TIMEOUT;
    let mut stream = params::Stream::default();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let rec = next(s, left).await?.ok_or("closed inside a request")?;
        match rec.kind {
            kind::PARAMS if rec.request_id == id && rec.content.is_empty() => break,
            kind::PARAMS if rec.request_id == id => stream.push(&rec.content).map_err(|m| m.to_string())?,
            kind::ABORT_REQUEST if rec.request_id == id => {
                let mut out = Vec::new();
                record::end_request(&mut out, id, 0, status::REQUEST_COMPLETE);
                send(s, &out).await?;
                return Ok(keep);
            }
            kind::BEGIN_REQUEST => {
                let mut out = Vec::new();
                record::end_request(&mut out, rec.request_id, 0, status::CANT_MPX_CONN);
                send(s, &out).await?;
            }
            _ if rec.request_id == 0 => management(s, rec).await?,
            _ => {}
        }
    }
    let params = stream.finish().map_err(|m| m.to_string())?;
    let answer = match authenticate::role(&params) {
        authenticate::Role::Password => authenticate::authenticate(app, &params, peer).await,
        authenticate::Role::Request => authorize::authorize(app, &params, peer).await,
    };
    let mut out = Vec::with_capacity(answer.len() + 48);
    record::write(&mut out, kind::STDOUT, id, &answer);
    record::write(&mut out, kind::STDOUT, id, &[]);
    record::end_request(&mut out, id, 0, status::REQUEST_COMPLETE);
    send(s, &out).await?;
    Ok(keep)
}

/// The next record within `limit`; `None` when the peer closed between records.
async fn next<S: AsyncRead + Unpin>(s: &mut S, limit: Duration) -> Result<Option<record::Record>, String> {
    match tokio::time::timeout(limit, record::read(s)).await {
        Err(_) => Err("timed out".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(Read::Closed)) => Ok(None),
        Ok(Ok(Read::Malformed(m))) => Err(m.to_string()),
        Ok(Ok(Read::Record(r))) => Ok(Some(r)),
    }
}

async fn send<S: AsyncWrite + Unpin>(s: &mut S, bytes: &[u8]) -> Result<(), String> {
    s.write_all(bytes).await.map_err(|e| e.to_string())?;
    s.flush().await.map_err(|e| e.to_string())
}

/// `GET_VALUES`: one request per connection at a time, no multiplexing. Any other
/// management record: `UNKNOWN_TYPE`.
async fn management<S: AsyncWrite + Unpin>(s: &mut S, rec: record::Record) -> Result<(), String> {
    let mut out = Vec::new();
    if rec.kind == kind::GET_VALUES {
        let mut body = Vec::new();
        for name in params::names(&rec.content) {
            let value: &[u8] = match name.as_slice() {
                b"FCGI_MAX_REQS" => b"1",
                b"FCGI_MPXS_CONNS" => b"0",
                _ => continue,
            };
            params::encode(&mut body, &name, value);
        }
        record::write(&mut out, kind::GET_VALUES_RESULT, 0, &body);
    } else {
        record::write(&mut out, kind::UNKNOWN_TYPE, 0, &[rec.kind, 0, 0, 0, 0, 0, 0, 0]);
    }
    send(s, &out).await
}

#[cfg(test)]
mod tests;
