//! Envoy's gRPC `ext_authz` front (`[grpc] listen`): `envoy.service.auth.v3.Authorization/Check`
//! over HTTP/2 cleartext (prior knowledge), with the same decision as `/auth/envoy/…`
//! ([`check`]).
//!
//! Written here rather than taken from a gRPC framework: one unary method, a handful of
//! protobuf fields ([`message`] over the small reader and writer in [`wire`]), and hyper's
//! HTTP/2 server already in the tree. A request body is one gRPC message (flag byte 0,
//! four-byte big-endian length, at most [`MAX_MESSAGE`] bytes) read within
//! [`REQUEST_TIMEOUT`]; the answer is `content-type: application/grpc`, one message and the
//! `grpc-status`/`grpc-message` trailers. Another method is UNIMPLEMENTED (12), a body that
//! is not one well-formed message INVALID_ARGUMENT (3), a longer one RESOURCE_EXHAUSTED (8),
//! a compressed one UNIMPLEMENTED. At most `[server] max_connections` connections at once,
//! [`MAX_STREAMS`] concurrent checks on each.

pub mod check;
pub mod message;
pub mod wire;

use crate::app::App;
use crate::listener::Peer;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Frame};
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use message::{CheckRequest, code};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// The one method served.
pub const CHECK: &str = "/envoy.service.auth.v3.Authorization/Check";
/// The largest `CheckRequest` read (Envoy's own request header limit is 60 KiB).
pub const MAX_MESSAGE: usize = 256 * 1024;
/// How long a request's message may take to arrive.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Concurrent streams per connection.
pub const MAX_STREAMS: u32 = 128;

pub use crate::listener::Listener;

/// Accepts connections until the task is dropped (see [`crate::listener::serve`]).
pub async fn serve(app: Arc<App>, listener: Listener) {
    crate::listener::serve(app, listener, "grpc", connection).await;
}

/// Serves one HTTP/2 connection.
pub async fn connection<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(app: Arc<App>, s: S, peer: Peer) {
    let service = hyper::service::service_fn(move |req| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(call(&app, req, peer).await) }
    });
    let served = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .max_concurrent_streams(MAX_STREAMS)
        .max_header_list_size(64 * 1024)
        .serve_connection(TokioIo::new(s), service)
        .await;
    if let Err(e) = served {
        tracing::debug!("grpc connection closed: {e}");
    }
}

/// Answers one request.
pub async fn call<B>(app: &Arc<App>, req: Request<B>, peer: Peer) -> Response<Reply>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if req.uri().path() != CHECK {
        return Reply::status(code::UNIMPLEMENTED, "unknown method");
    }
    let grpc = req.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"));
    if !grpc {
        return Reply::status(code::INVALID_ARGUMENT, "content-type is not application/grpc");
    }
    let body = Limited::new(req.into_body(), MAX_MESSAGE + 5);
    let bytes = match tokio::time::timeout(REQUEST_TIMEOUT, body.collect()).await {
        Err(_) => return Reply::status(code::INVALID_ARGUMENT, "the request did not arrive in time"),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return Reply::status(code::RESOURCE_EXHAUSTED, "request too large");
        }
        Ok(Err(_)) => return Reply::status(code::INVALID_ARGUMENT, "the request was cut short"),
        Ok(Ok(c)) => c.to_bytes(),
    };
    let request = match unframe(&bytes) {
        Ok(m) => CheckRequest::decode(m).map_err(|e| (code::INVALID_ARGUMENT, e.0)),
        Err(e) => Err(e),
    };
    match request {
        Ok(r) => Reply::message(check::check_request(app, &r, peer).await.encode()),
        Err((status, why)) => {
            tracing::warn!("grpc: refused a malformed Check: {why}");
            Reply::status(status, why)
        }
    }
}

/// The one message of a unary request body.
pub fn unframe(body: &[u8]) -> Result<&[u8], (u32, &'static str)> {
    let Some((head, rest)) = body.split_first_chunk::<5>() else {
        return Err((code::INVALID_ARGUMENT, "no gRPC message"));
    };
    if head[0] != 0 {
        return Err((code::UNIMPLEMENTED, "compressed messages are not supported"));
    }
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_MESSAGE {
        return Err((code::RESOURCE_EXHAUSTED, "request too large"));
    }
    if rest.len() != len {
        return Err((code::INVALID_ARGUMENT, "the body is not one gRPC message"));
    }
    Ok(rest)
}

/// A gRPC response body: at most one message, then the trailers.
#[derive(Debug)]
pub struct Reply {
    data: Option<Bytes>,
    trailers: Option<HeaderMap>,
}

impl Reply {
    fn response(data: Option<Bytes>, status: u32, message: &str) -> Response<Self> {
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", HeaderValue::from(status));
        if let Some(v) = Some(message).filter(|m| !m.is_empty()).and_then(|m| HeaderValue::from_str(m).ok()) {
            trailers.insert("grpc-message", v);
        }
        let mut r = Response::new(Self { data, trailers: Some(trailers) });
        r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        r
    }

    /// A failed call: no message, `grpc-status` and `grpc-message` (plain ASCII, nothing
    /// to percent-encode).
    pub fn status(status: u32, message: &str) -> Response<Self> {
        Self::response(None, status, message)
    }

    /// A successful call carrying one message.
    pub fn message(msg: Vec<u8>) -> Response<Self> {
        let mut framed = Vec::with_capacity(msg.len() + 5);
        framed.push(0);
        framed.extend_from_slice(&u32::try_from(msg.len()).unwrap_or(u32::MAX).to_be_bytes());
        framed.extend_from_slice(&msg);
        Self::response(Some(Bytes::from(framed)), code::OK, "")
    }

    /// The trailers still to send (for tests).
    pub fn trailers(&self) -> Option<&HeaderMap> {
        self.trailers.as_ref()
    }

    /// The message still to send, framed (for tests).
    pub fn data(&self) -> Option<&Bytes> {
        self.data.as_ref()
    }
}

impl Body for Reply {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(d) = this.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(d))));
        }
        Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && self.trailers.is_none()
    }
}

#[cfg(test)]
mod tests;
