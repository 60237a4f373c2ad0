//! The side listeners a proxy talks to besides wicketd's HTTP port — Apache's FastCGI
//! (`[fastcgi] listen`) and Envoy's gRPC (`[grpc] listen`): binding, who the peer is, and the
//! accept loop with the `[server] max_connections` cap. Each front brings only its
//! connection handler.

use crate::app::App;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Semaphore;
use wicket_core::access::net::{Cidr, any_contains};
use wicket_core::config::ListenAddr;

/// Who opened the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// A TCP peer; its description of the request is believed when its address is a
    /// trusted proxy.
    Tcp(IpAddr),
    /// A Unix socket peer: local, trusted like a proxy.
    Unix,
}

/// True when the peer's description of the request is believed: a trusted proxy's
/// address, or the Unix socket.
pub fn believed(peer: Peer, trusted: &[Cidr]) -> bool {
    match peer {
        Peer::Unix => true,
        Peer::Tcp(ip) => any_contains(trusted, &ip),
    }
}

/// A connection of either kind.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

/// A bound side listener.
#[derive(Debug)]
pub enum Listener {
    /// TCP.
    Tcp(TcpListener),
    /// A Unix socket.
    Unix(UnixListener),
}

impl Listener {
    /// Binds `listen`: a TCP address, or a Unix socket (a stale socket file is replaced, a
    /// live one refused; mode 0666 like the PAM socket — the directory decides who may
    /// reach it).
    pub async fn bind(listen: &ListenAddr) -> anyhow::Result<Self> {
        Ok(match listen {
            ListenAddr::Tcp(a) => Self::Tcp(TcpListener::bind(a).await?),
            ListenAddr::Unix(p) => Self::Unix(crate::socket::bind(p)?),
        })
    }

    /// Where it listens, for the log (`127.0.0.1:8090`, `unix:/run/wicket/fcgi.sock`).
    pub fn describe(&self, configured: &ListenAddr) -> String {
        match self {
            Self::Tcp(l) => l.local_addr().map_or_else(|_| configured.to_string(), |a| a.to_string()),
            Self::Unix(_) => configured.to_string(),
        }
    }
}

/// Accepts connections until the task is dropped, at most `[server] max_connections` at once
/// (further peers wait in the listen backlog), each served by `connection`. `what` names the
/// front in the log.
pub async fn serve<F, Fut>(app: Arc<App>, listener: Listener, what: &'static str, connection: F)
where
    F: Fn(Arc<App>, Box<dyn Stream>, Peer) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(app.runtime().cfg.server.max_connections.max(1)));
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else { return };
        let accepted = match &listener {
            Listener::Tcp(l) => l.accept().await.map(|(s, a)| {
                let _ = s.set_nodelay(true);
                (Box::new(s) as Box<dyn Stream>, Peer::Tcp(a.ip()))
            }),
            Listener::Unix(l) => l.accept().await.map(|(s, _)| (Box::new(s) as Box<dyn Stream>, Peer::Unix)),
        };
        match accepted {
            Ok((s, peer)) => {
                let served = connection(app.clone(), s, peer);
                tokio::spawn(async move {
                    served.await;
                    drop(permit);
                });
            }
            Err(e) => {
                tracing::warn!("{what} accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
