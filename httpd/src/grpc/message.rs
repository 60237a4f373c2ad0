//! The parts of `envoy.service.auth.v3` that wicketd reads and writes, with the field
//! numbers of Envoy's `.proto` files (`external_auth.proto`, `attribute_context.proto`,
//! `config/core/v3/address.proto` and `base.proto`, `google/rpc/status.proto`). Every other
//! field is skipped.

use super::wire::{Malformed, Reader, Value, Writer, text};

/// What wicketd needs of a `CheckRequest`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckRequest {
    /// `attributes.source.address.socket_address.address`: the client Envoy saw.
    pub source: Option<String>,
    /// `attributes.request.http.method`.
    pub method: String,
    /// `attributes.request.http.path`: path and query as the client sent them.
    pub path: String,
    /// `attributes.request.http.host`: the `Host` or `:authority`.
    pub host: String,
    /// `attributes.request.http.scheme`.
    pub scheme: String,
    /// `attributes.request.http.headers` (keys lower case, repeated values joined by Envoy),
    /// then `header_map` when Envoy sends that instead (`encode_raw_headers`).
    pub headers: Vec<(String, Vec<u8>)>,
}

/// A field's sub-message, or an error if the field is not length-delimited.
fn nested(v: Value<'_>) -> Result<Reader<'_>, Malformed> {
    match v {
        Value::Bytes(b) => Ok(Reader::new(b)),
        _ => Err(Malformed("a message field has the wrong wire type")),
    }
}

fn string(v: Value<'_>) -> Result<String, Malformed> {
    match v {
        Value::Bytes(b) => text(b),
        _ => Err(Malformed("a string field has the wrong wire type")),
    }
}

fn bytes(v: Value<'_>) -> Result<&[u8], Malformed> {
    match v {
        Value::Bytes(b) => Ok(b),
        _ => Err(Malformed("a bytes field has the wrong wire type")),
    }
}

impl CheckRequest {
    /// Reads a serialized `CheckRequest`.
    pub fn decode(bytes: &[u8]) -> Result<Self, Malformed> {
        let mut req = Self::default();
        let mut r = Reader::new(bytes);
        while let Some((field, v)) = r.next()? {
            if field == 1 {
                req.attributes(nested(v)?)?;
            }
        }
        Ok(req)
    }

    /// `AttributeContext`: `source` = 1, `request` = 4.
    fn attributes(&mut self, mut r: Reader<'_>) -> Result<(), Malformed> {
        while let Some((field, v)) = r.next()? {
            match field {
                1 => self.source = peer_address(nested(v)?)?.or(self.source.take()),
                4 => {
                    // `Request`: `http` = 2.
                    let mut req = nested(v)?;
                    while let Some((field, v)) = req.next()? {
                        if field == 2 {
                            self.http(nested(v)?)?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// `HttpRequest`: method 2, headers 3, path 4, host 5, scheme 6, header_map 13.
    fn http(&mut self, mut r: Reader<'_>) -> Result<(), Malformed> {
        while let Some((field, v)) = r.next()? {
            match field {
                2 => self.method = string(v)?,
                3 => self.headers.push(map_entry(nested(v)?)?),
                4 => self.path = string(v)?,
                5 => self.host = string(v)?,
                6 => self.scheme = string(v)?,
                13 => {
                    // `HeaderMap`: repeated `HeaderValue` = 1.
                    let mut map = nested(v)?;
                    while let Some((field, v)) = map.next()? {
                        if field == 1 {
                            self.headers.push(header_value(nested(v)?)?);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// `Peer.address` (1) → `Address.socket_address` (1) → `SocketAddress.address` (2).
fn peer_address(mut peer: Reader<'_>) -> Result<Option<String>, Malformed> {
    let mut found = None;
    while let Some((field, v)) = peer.next()? {
        if field != 1 {
            continue;
        }
        let mut address = nested(v)?;
        while let Some((field, v)) = address.next()? {
            if field != 1 {
                continue;
            }
            let mut socket = nested(v)?;
            while let Some((field, v)) = socket.next()? {
                if field == 2 {
                    found = Some(string(v)?);
                }
            }
        }
    }
    Ok(found)
}

/// A `map<string, string>` entry: key 1, value 2.
fn map_entry(mut r: Reader<'_>) -> Result<(String, Vec<u8>), Malformed> {
    let (mut key, mut value) = (String::new(), Vec::new());
    while let Some((field, v)) = r.next()? {
        match field {
            1 => key = string(v)?,
            2 => value = string(v)?.into_bytes(),
            _ => {}
        }
    }
    Ok((key, value))
}

/// `HeaderValue`: key 1, value 2, raw_value 3 (which wins when present).
fn header_value(mut r: Reader<'_>) -> Result<(String, Vec<u8>), Malformed> {
    let (mut key, mut value, mut raw) = (String::new(), Vec::new(), None);
    while let Some((field, v)) = r.next()? {
        match field {
            1 => key = string(v)?,
            2 => value = string(v)?.into_bytes(),
            3 => raw = Some(bytes(v)?.to_vec()),
            _ => {}
        }
    }
    Ok((key, raw.unwrap_or(value)))
}

/// gRPC status codes wicketd sends (`google.rpc.Code`).
pub mod code {
    /// The check allowed the request.
    pub const OK: u32 = 0;
    /// The request could not be read.
    pub const INVALID_ARGUMENT: u32 = 3;
    /// Denied: the credentials do not allow it, or the caller is not trusted.
    pub const PERMISSION_DENIED: u32 = 7;
    /// The message is larger than wicketd reads.
    pub const RESOURCE_EXHAUSTED: u32 = 8;
    /// Not `Authorization/Check`.
    pub const UNIMPLEMENTED: u32 = 12;
    /// The user store cannot be read.
    pub const UNAVAILABLE: u32 = 14;
    /// Credentials missing or wrong.
    pub const UNAUTHENTICATED: u32 = 16;
}

/// A header to set: `HeaderValueOption` with `append_action`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Name, lower case.
    pub name: String,
    /// Value (UTF-8; wicketd's header values are).
    pub value: String,
    /// `HeaderAppendAction`: 0 adds another line, 2 replaces any existing value.
    pub append_action: u64,
}

/// `HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD`: one more header line.
pub const ADD: u64 = 0;
/// `HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD`: replaces what the client sent.
pub const OVERWRITE: u64 = 2;

/// The answer, one of the two `http_response` cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckResponse {
    /// `status.code = 0` and `ok_response`: headers for the upstream request, headers to
    /// remove from it.
    Ok { headers: Vec<Header>, remove: Vec<String> },
    /// `status.code = grpc` and `denied_response`: the HTTP status, headers and body Envoy
    /// answers the client with.
    Denied { grpc: u32, http: u16, headers: Vec<Header>, body: String },
}

fn header_option(w: &mut Writer, field: u32, h: &Header) {
    w.nested(field, |o| {
        o.nested(1, |hv| {
            hv.bytes(1, h.name.as_bytes());
            hv.bytes(2, h.value.as_bytes());
        });
        o.uint(3, h.append_action);
    });
}

impl CheckResponse {
    /// Serializes: `status` = 1 (`code` 1), `denied_response` = 2 (`status` 1 → `code` 1,
    /// `headers` 2, `body` 3), `ok_response` = 3 (`headers` 2, `headers_to_remove` 5).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            Self::Ok { headers, remove } => {
                w.nested(1, |s| s.uint(1, u64::from(code::OK)));
                w.nested(3, |ok| {
                    for h in headers {
                        header_option(ok, 2, h);
                    }
                    for name in remove {
                        ok.message(5, name.as_bytes());
                    }
                });
            }
            Self::Denied { grpc, http, headers, body } => {
                w.nested(1, |s| s.uint(1, u64::from(*grpc)));
                w.nested(2, |d| {
                    d.nested(1, |st| st.uint(1, u64::from(*http)));
                    for h in headers {
                        header_option(d, 2, h);
                    }
                    d.bytes(3, body.as_bytes());
                });
            }
        }
        w.buf
    }
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
