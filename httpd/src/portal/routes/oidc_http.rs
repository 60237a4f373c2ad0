//! wicketd's HTTP client for OpenID Connect providers: one request per connection, HTTP/1.1
//! over TCP, TLS (rustls, the system's roots) for `https://`; plain HTTP only for loopback
//! URLs ([`wicket_core::oidc::url_allowed`], tests). Every call has a deadline
//! ([`DEADLINE`]) and reads at most [`MAX_BODY`] bytes; no redirect is followed. Errors say
//! what failed (connect, TLS, status), never a body, code or secret.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, USER_AGENT};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wicket_core::oidc::{OidcError, url_allowed};

/// The whole call: connect, TLS, request, response.
pub(super) const DEADLINE: Duration = Duration::from_secs(10);
/// Largest response body read.
pub(super) const MAX_BODY: usize = 512 * 1024;

/// A request to a provider.
pub(super) struct Call<'a> {
    pub method: Method,
    pub url: &'a str,
    /// `Authorization` value (Basic client auth, Bearer for userinfo); never logged.
    pub authorization: Option<String>,
    /// A form body (`application/x-www-form-urlencoded`).
    pub form: Option<String>,
}

fn unreachable(why: &str) -> OidcError {
    OidcError::Unreachable(why.to_string())
}

/// Sends `call`; the body of a 2xx answer.
pub(super) async fn send(call: Call<'_>) -> Result<Bytes, OidcError> {
    if !url_allowed(call.url) {
        return Err(OidcError::InsecureUrl);
    }
    match tokio::time::timeout(DEADLINE, send_inner(call)).await {
        Ok(r) => r,
        Err(_) => Err(unreachable("timed out")),
    }
}

async fn send_inner(call: Call<'_>) -> Result<Bytes, OidcError> {
    let uri: Uri = call.url.parse().map_err(|_| OidcError::Malformed("provider URL"))?;
    let host = uri.host().ok_or(OidcError::Malformed("provider URL without host"))?.to_string();
    let tls = uri.scheme_str() == Some("https");
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let bare = host.trim_start_matches('[').trim_end_matches(']').to_string();
    let tcp = TcpStream::connect((bare.as_str(), port)).await.map_err(|_| unreachable("cannot connect"))?;
    let authority = uri.authority().map(|a| a.as_str().to_string()).unwrap_or(host);
    let path = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    let mut req = Request::builder()
        .method(call.method)
        .uri(path)
        .header(HOST, authority)
        .header(ACCEPT, "application/json")
        .header(USER_AGENT, concat!("wicketd/", env!("CARGO_PKG_VERSION")));
    if let Some(a) = call.authorization {
        req = req.header(AUTHORIZATION, a);
    }
    let body = match call.form {
        Some(f) => {
            req = req.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
            Bytes::from(f)
        }
        None => Bytes::new(),
    };
    let req = req.body(Full::new(body)).map_err(|_| OidcError::Malformed("request"))?;
    if tls {
        let name = rustls::pki_types::ServerName::try_from(bare).map_err(|_| OidcError::Malformed("host name"))?;
        let stream = tokio_rustls::TlsConnector::from(tls_config()?)
            .connect(name, tcp)
            .await
            .map_err(|_| unreachable("TLS handshake failed"))?;
        exchange(stream, req).await
    } else {
        exchange(tcp, req).await
    }
}

async fn exchange<S>(stream: S, req: Request<Full<Bytes>>) -> Result<Bytes, OidcError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|_| unreachable("HTTP handshake"))?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let res = sender.send_request(req).await.map_err(|_| unreachable("no answer"));
    let res = match res {
        Ok(r) => r,
        Err(e) => {
            driver.abort();
            return Err(e);
        }
    };
    let status = res.status();
    let body = Limited::new(res.into_body(), MAX_BODY).collect().await.map(|b| b.to_bytes());
    driver.abort();
    let body = body.map_err(|_| unreachable("answer too large or cut short"))?;
    if !status.is_success() {
        return Err(OidcError::Unreachable(format!("answered {}", status.as_u16())));
    }
    Ok(body)
}

/// The TLS client config: the system's trust roots, made once.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, OidcError> {
    static CONFIG: OnceLock<Option<Arc<rustls::ClientConfig>>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let cfg = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .ok()?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Some(Arc::new(cfg))
        })
        .clone()
        .ok_or_else(|| unreachable("TLS setup"))
}
