//! Accepting connections: HTTP/1.1 under a connection cap with per-phase timeouts
//! ([`crate::conns`]), a 64 KiB request head limit, the `Host` rule for direct endpoints
//! ([`crate::host`]); graceful shutdown.

use crate::app::App;
use crate::conns::{Slot, Table, Timeouts, Watched};
use crate::fds;
use crate::router::handle;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// Largest request head accepted (hyper answers 431 beyond it). nginx accepts a request
/// line and each header line up to 8 KiB and a head up to 32 KiB by default
/// (`large_client_header_buffers 4 8k`), and adds its own headers (`X-Original-URI` can be
/// another 8 KiB) to the auth subrequest: twice its default total leaves room for both and
/// for sites that raised the setting. hyper's buffer grows to this only when a head needs it.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Time a client gets to finish a request head once it started sending it.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves until `shutdown` resolves, then lets open requests finish (up to 10 s).
pub async fn serve(app: Arc<App>, listener: TcpListener, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let flusher = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            loop {
                tick.tick().await;
                let a = app.clone();
                let _ = tokio::task::spawn_blocking(move || a.flush_token_uses()).await;
            }
        })
    };
    let budget = fds::http_budget(fds::nofile_limit());
    let configured = app.runtime().cfg.server.max_connections;
    if configured > budget {
        tracing::warn!(
            "server.max_connections = {configured} lowered to {budget}: the descriptor limit leaves no more \
             (raise LimitNOFILE)"
        );
    }
    let table = Table::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!("accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let server = &app.runtime().cfg.server;
                let cap = server.max_connections.min(budget);
                let timeouts = Timeouts {
                    first_byte: server.first_byte_timeout,
                    head: HEADER_READ_TIMEOUT,
                    idle: server.keepalive_timeout,
                };
                let Some(slot) = table.admit(cap, timeouts) else {
                    tracing::debug!("connection from {peer} refused: all {cap} connections are busy");
                    continue;
                };
                let conn = connection(app.clone(), stream, peer, slot, &graceful);
                tokio::spawn(conn);
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    flusher.abort();
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections did not finish within 10 s");
    }
    let a = app.clone();
    let _ = tokio::task::spawn_blocking(move || {
        a.flush_token_uses();
        a.events.flush();
    })
    .await;
}

/// One connection, until it ends, times out in a phase or is evicted from the table.
fn connection(
    app: Arc<App>,
    stream: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    graceful: &GracefulShutdown,
) -> impl Future<Output = ()> + Send + 'static {
    let _ = stream.set_nodelay(true);
    let state = slot.conn.clone();
    let service = service_fn(move |req| {
        let app = app.clone();
        let in_request = state.request();
        async move {
            let resp = match crate::host::check(&req) {
                Some(bad) => bad,
                None => handle(app, peer, req).await,
            };
            drop(in_request);
            Ok::<_, Infallible>(resp)
        }
    });
    let io = TokioIo::new(Watched::new(stream, slot.conn.clone()));
    let served = graceful.watch(
        http1::Builder::new()
            .timer(TokioTimer::new())
            // The connection table times every phase, idle ones included; hyper's own
            // header timer would also run between kept-alive requests.
            .header_read_timeout(None)
            // The buffer limit alone is checked only between reads (a head can overshoot it).
            .max_header_size(MAX_HEAD_BYTES)
            .max_buf_size(MAX_HEAD_BYTES)
            // Lines with a malformed header name are skipped, not answered with 400.
            .ignore_invalid_headers(true)
            .writev(false)
            .serve_connection(io, service),
    );
    async move {
        tokio::pin!(served);
        loop {
            let deadline = slot.conn.deadline();
            let timer = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                done = &mut served => {
                    if let Err(e) = done {
                        tracing::debug!("connection from {peer}: {e}");
                    }
                    return;
                }
                () = slot.conn.evicted() => {
                    tracing::debug!("connection from {peer} closed to make room");
                    return;
                }
                () = slot.conn.changed() => {}
                () = timer => {
                    tracing::debug!("connection from {peer} timed out ({:?})", slot.conn.phase());
                    return;
                }
            }
        }
    }
}
