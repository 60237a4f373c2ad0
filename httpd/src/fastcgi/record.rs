//! FastCGI 1.0 records: the 8-byte header, reading one record with its padding, and
//! writing records. Every length on the wire is at most 16 bits (content) or 8 bits
//! (padding), so one record never needs more than 64 KiB + 255 bytes; nothing here indexes
//! out of bounds or trusts a length it has not checked.

use std::io;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The only protocol version.
pub const VERSION: u8 = 1;
/// Header length.
pub const HEADER_LEN: usize = 8;
/// Longest content of one record.
pub const MAX_CONTENT: usize = u16::MAX as usize;

/// Record types (FastCGI 1.0, section 8).
pub mod kind {
    /// Starts a request (role and flags).
    pub const BEGIN_REQUEST: u8 = 1;
    /// The web server gives up on a request.
    pub const ABORT_REQUEST: u8 = 2;
    /// Ends a request (application and protocol status).
    pub const END_REQUEST: u8 = 3;
    /// Name-value pairs (the CGI environment); an empty record ends the stream.
    pub const PARAMS: u8 = 4;
    /// Request body.
    pub const STDIN: u8 = 5;
    /// The response.
    pub const STDOUT: u8 = 6;
    /// Text for the web server's log.
    pub const STDERR: u8 = 7;
    /// Filter data.
    pub const DATA: u8 = 8;
    /// Management: which limits the application has.
    pub const GET_VALUES: u8 = 9;
    /// Management: the answer to `GET_VALUES`.
    pub const GET_VALUES_RESULT: u8 = 10;
    /// Management: "I do not know that record type".
    pub const UNKNOWN_TYPE: u8 = 11;
}

/// Roles in `BEGIN_REQUEST`.
pub mod role {
    /// Answers requests.
    pub const RESPONDER: u16 = 1;
    /// Decides whether a request may proceed.
    pub const AUTHORIZER: u16 = 2;
    /// Filters a file.
    pub const FILTER: u16 = 3;
}

/// `BEGIN_REQUEST` flag: keep the connection open after the request.
pub const KEEP_CONN: u8 = 1;

/// `END_REQUEST` protocol status.
pub mod status {
    /// Normal end.
    pub const REQUEST_COMPLETE: u8 = 0;
    /// A second request arrived on a connection that runs one at a time.
    pub const CANT_MPX_CONN: u8 = 1;
    /// The role is not one this application plays.
    pub const UNKNOWN_ROLE: u8 = 3;
}

/// Why a byte stream is not FastCGI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// The version byte is not 1.
    Version(u8),
    /// A `BEGIN_REQUEST` body shorter than 8 bytes.
    ShortBeginRequest,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Version(v) => write!(f, "FastCGI version {v} (only 1 exists)"),
            Self::ShortBeginRequest => f.write_str("BEGIN_REQUEST body shorter than 8 bytes"),
        }
    }
}

/// A record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Record type ([`kind`]).
    pub kind: u8,
    /// Request id; 0 for management records.
    pub request_id: u16,
    /// Content length.
    pub content_len: u16,
    /// Padding after the content.
    pub padding_len: u8,
}

impl Header {
    /// Parses the 8 header bytes.
    pub fn parse(b: [u8; HEADER_LEN]) -> Result<Self, Malformed> {
        if b[0] != VERSION {
            return Err(Malformed::Version(b[0]));
        }
        Ok(Self {
            kind: b[1],
            request_id: u16::from_be_bytes([b[2], b[3]]),
            content_len: u16::from_be_bytes([b[4], b[5]]),
            padding_len: b[6],
        })
    }
}

/// One record, padding dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Record type ([`kind`]).
    pub kind: u8,
    /// Request id.
    pub request_id: u16,
    /// Content (at most [`MAX_CONTENT`] bytes).
    pub content: Vec<u8>,
}

/// What reading a record gave.
#[derive(Debug)]
pub enum Read {
    /// A record.
    Record(Record),
    /// The peer closed the connection between records.
    Closed,
    /// Not FastCGI: close the connection.
    Malformed(Malformed),
}

/// Reads one record. An I/O error (including a connection closed inside a record) is
/// returned as such.
pub async fn read<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<Read> {
    let mut head = [0u8; HEADER_LEN];
    let first = r.read(&mut head).await?;
    if first == 0 {
        return Ok(Read::Closed);
    }
    r.read_exact(&mut head[first..]).await?;
    let h = match Header::parse(head) {
        Ok(h) => h,
        Err(m) => return Ok(Read::Malformed(m)),
    };
    let mut content = vec![0u8; usize::from(h.content_len)];
    r.read_exact(&mut content).await?;
    let mut padding = [0u8; 255];
    r.read_exact(&mut padding[..usize::from(h.padding_len)]).await?;
    Ok(Read::Record(Record { kind: h.kind, request_id: h.request_id, content }))
}

/// `BEGIN_REQUEST`'s body: the role and whether to keep the connection.
pub fn begin_request(content: &[u8]) -> Result<(u16, bool), Malformed> {
    match content {
        [r0, r1, flags, ..] if content.len() >= 8 => Ok((u16::from_be_bytes([*r0, *r1]), flags & KEEP_CONN != 0)),
        _ => Err(Malformed::ShortBeginRequest),
    }
}

/// Appends records of `kind` carrying `content` to `out`, split at [`MAX_CONTENT`] and
/// padded to a multiple of 8 bytes. Empty content writes one empty record (the end of a
/// stream).
pub fn write(out: &mut Vec<u8>, kind: u8, request_id: u16, content: &[u8]) {
    let mut chunks = content.chunks(MAX_CONTENT).peekable();
    if chunks.peek().is_none() {
        write_one(out, kind, request_id, &[]);
    }
    for chunk in chunks {
        write_one(out, kind, request_id, chunk);
    }
}

fn write_one(out: &mut Vec<u8>, kind: u8, request_id: u16, chunk: &[u8]) {
    // chunks() of MAX_CONTENT: the length fits in 16 bits.
    let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
    let padding = (8 - chunk.len() % 8) % 8;
    let [i0, i1] = request_id.to_be_bytes();
    let [l0, l1] = len.to_be_bytes();
    out.extend_from_slice(&[VERSION, kind, i0, i1, l0, l1, padding as u8, 0]);
    out.extend_from_slice(&chunk[..usize::from(len)]);
    out.extend(std::iter::repeat_n(0u8, padding));
}

/// Appends an `END_REQUEST` record.
pub fn end_request(out: &mut Vec<u8>, request_id: u16, app_status: u32, protocol_status: u8) {
    let [a0, a1, a2, a3] = app_status.to_be_bytes();
    write_one(out, kind::END_REQUEST, request_id, &[a0, a1, a2, a3, protocol_status, 0, 0, 0]);
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(mut bytes: &[u8]) -> Vec<Read> {
        let mut out = Vec::new();
        loop {
            match read(&mut bytes).await {
                Ok(Read::Closed) | Err(_) => return out,
                Ok(r @ Read::Malformed(_)) => {
                    out.push(r);
                    return out;
                }
                Ok(r) => out.push(r),
            }
        }
    }

    #[tokio::test]
    async fn a_hand_built_record_reads_back() {
        // version 1, PARAMS, id 0x0102, 3 bytes, 5 padding
        let bytes = [1, 4, 1, 2, 0, 3, 5, 0, b'a', b'b', b'c', 0, 0, 0, 0, 0];
        let got = read_all(&bytes).await;
        assert!(
            matches!(&got[..], [Read::Record(Record { kind: 4, request_id: 0x0102, content })] if content == b"abc"),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn written_records_are_padded_split_and_read_back() {
        let mut out = Vec::new();
        let big = vec![7u8; MAX_CONTENT + 10];
        write(&mut out, kind::STDOUT, 1, &big);
        write(&mut out, kind::STDOUT, 1, b"");
        end_request(&mut out, 1, 0, status::REQUEST_COMPLETE);
        assert_eq!(out.len() % 8, 0);
        let got = read_all(&out).await;
        let sizes: Vec<(u8, usize)> = got
            .iter()
            .filter_map(|r| match r {
                Read::Record(r) => Some((r.kind, r.content.len())),
                _ => None,
            })
            .collect();
        assert_eq!(sizes, [(6, MAX_CONTENT), (6, 10), (6, 0), (3, 8)]);
    }

    #[tokio::test]
    async fn a_wrong_version_or_a_cut_record_is_not_a_record() {
        assert!(matches!(&read_all(&[2, 1, 0, 1, 0, 0, 0, 0]).await[..], [Read::Malformed(Malformed::Version(2))]));
        // Header promises 10 bytes, 3 arrive: an error, not a short record.
        let mut cut: &[u8] = &[1, 4, 0, 1, 0, 10, 0, 0, 1, 2, 3];
        assert!(read(&mut cut).await.is_err());
        // A header cut short.
        let mut cut: &[u8] = &[1, 4, 0];
        assert!(read(&mut cut).await.is_err());
    }

    #[test]
    fn begin_request_bodies() {
        assert_eq!(begin_request(&[0, 2, 1, 0, 0, 0, 0, 0]), Ok((role::AUTHORIZER, true)));
        assert_eq!(begin_request(&[0, 1, 0, 0, 0, 0, 0, 0]), Ok((role::RESPONDER, false)));
        assert_eq!(begin_request(&[0, 2, 1]), Err(Malformed::ShortBeginRequest));
    }

    #[tokio::test]
    async fn random_bytes_never_panic() {
        // A small xorshift: deterministic, no dependency.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..2000 {
            let len = (next() % 300) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if len > 0 && next() % 2 == 0 {
                bytes[0] = VERSION;
            }
            for r in read_all(&bytes).await {
                if let Read::Record(r) = r {
                    assert!(r.content.len() <= MAX_CONTENT);
                }
            }
        }
    }
}
