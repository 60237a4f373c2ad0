//! Request and response bodies: what every route answers with, and how the portal's forms
//! are read (the only route that reads a body).

use bytes::Bytes;
use http_body_util::Full;

/// The response body type.
pub type Body = Full<Bytes>;

/// A request body the portal's forms can be read from. Only the portal reads bodies; every
/// other route ignores them.
pub trait FormBody: Send + 'static {
    /// The whole body if it is at most `limit` bytes; `None` when longer or unreadable.
    fn read_limited(self, limit: usize) -> impl std::future::Future<Output = Option<Bytes>> + Send;
}

impl FormBody for () {
    async fn read_limited(self, _limit: usize) -> Option<Bytes> {
        Some(Bytes::new())
    }
}

impl FormBody for hyper::body::Incoming {
    async fn read_limited(self, limit: usize) -> Option<Bytes> {
        use http_body_util::BodyExt;
        http_body_util::Limited::new(self, limit).collect().await.ok().map(|c| c.to_bytes())
    }
}

impl FormBody for Full<Bytes> {
    async fn read_limited(self, limit: usize) -> Option<Bytes> {
        use http_body_util::BodyExt;
        http_body_util::Limited::new(self, limit).collect().await.ok().map(|c| c.to_bytes())
    }
}

impl FormBody for String {
    async fn read_limited(self, limit: usize) -> Option<Bytes> {
        (self.len() <= limit).then(|| Bytes::from(self))
    }
}
