//! The `PARAMS` stream: FastCGI name-value pairs (section 3.4), each length in 1 byte
//! (0–127) or 4 bytes (high bit set, 31 bits of length). A pair may span records, so the
//! stream is collected first — up to [`MAX_PARAMS_LEN`] bytes — and decoded once it ends.

use std::collections::HashMap;
use zeroize::Zeroize;

/// Most bytes of `PARAMS` one request may send. Apache sends the CGI environment: its own
/// variables plus one per request header, and caps request headers at 100 × 8 KiB; 256 KiB
/// is room for any real request and a small, fixed cost per connection.
pub const MAX_PARAMS_LEN: usize = 256 * 1024;

/// Why a `PARAMS` stream is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// More than [`MAX_PARAMS_LEN`] bytes.
    TooLong,
    /// A length runs past the end of the stream.
    Truncated,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLong => write!(f, "PARAMS longer than {MAX_PARAMS_LEN} bytes"),
            Self::Truncated => f.write_str("PARAMS end inside a name-value pair"),
        }
    }
}

/// The stream as it arrives.
#[derive(Debug, Default)]
pub struct Stream {
    buf: Vec<u8>,
}

impl Stream {
    /// Adds one record's content; refuses to grow past [`MAX_PARAMS_LEN`].
    pub fn push(&mut self, content: &[u8]) -> Result<(), Malformed> {
        if self.buf.len().saturating_add(content.len()) > MAX_PARAMS_LEN {
            return Err(Malformed::TooLong);
        }
        self.buf.extend_from_slice(content);
        Ok(())
    }

    /// Decodes the whole stream.
    pub fn finish(&self) -> Result<Params, Malformed> {
        decode(&self.buf)
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

/// Decoded parameters. Names are case-sensitive (CGI); a repeated name keeps its last value.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params {
    map: HashMap<Vec<u8>, Vec<u8>>,
}

impl Params {
    /// The raw value of `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.map.get(name.as_bytes()).map(Vec::as_slice)
    }

    /// The value of `name` as text (invalid UTF-8 becomes U+FFFD), trimmed; `None` when
    /// absent or empty.
    pub fn text(&self, name: &str) -> Option<String> {
        let v = String::from_utf8_lossy(self.get(name)?);
        let v = v.trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    /// How many pairs.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The values may hold `REMOTE_PASSWD` or `HTTP_AUTHORIZATION`: wiped when dropped.
impl Drop for Params {
    fn drop(&mut self) {
        for v in self.map.values_mut() {
            v.zeroize();
        }
    }
}

/// Decodes name-value pairs.
pub fn decode(mut b: &[u8]) -> Result<Params, Malformed> {
    if b.len() > MAX_PARAMS_LEN {
        return Err(Malformed::TooLong);
    }
    let mut map = HashMap::new();
    while !b.is_empty() {
        let (name_len, rest) = length(b)?;
        let (value_len, rest) = length(rest)?;
        if rest.len() < name_len || rest.len() - name_len < value_len {
            return Err(Malformed::Truncated);
        }
        let (name, rest) = rest.split_at(name_len);
        let (value, rest) = rest.split_at(value_len);
        map.insert(name.to_vec(), value.to_vec());
        b = rest;
    }
    Ok(Params { map })
}

fn length(b: &[u8]) -> Result<(usize, &[u8]), Malformed> {
    match b {
        [l, rest @ ..] if l & 0x80 == 0 => Ok((usize::from(*l), rest)),
        [l0, l1, l2, l3, rest @ ..] => {
            let n = u32::from_be_bytes([l0 & 0x7f, *l1, *l2, *l3]);
            Ok((usize::try_from(n).map_err(|_| Malformed::TooLong)?, rest))
        }
        _ => Err(Malformed::Truncated),
    }
}

/// Appends one pair (for `GET_VALUES_RESULT`, and for tests building streams).
pub fn encode(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    for len in [name.len(), value.len()] {
        match u8::try_from(len) {
            Ok(n) if n < 0x80 => out.push(n),
            _ => {
                let n = u32::try_from(len).unwrap_or(u32::MAX >> 1) & (u32::MAX >> 1);
                out.extend_from_slice(&(n | 0x8000_0000).to_be_bytes());
            }
        }
    }
    out.extend_from_slice(name);
    out.extend_from_slice(value);
}

/// The names asked for in a `GET_VALUES` record (their values are empty).
pub fn names(content: &[u8]) -> Vec<Vec<u8>> {
    decode(content).map(|mut p| std::mem::take(&mut p.map).into_keys().collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_and_four_byte_lengths() {
        let long = "x".repeat(300);
        let mut b = Vec::new();
        encode(&mut b, b"REQUEST_METHOD", b"GET");
        encode(&mut b, b"HTTP_COOKIE", long.as_bytes());
        encode(&mut b, b"EMPTY", b"");
        // 4-byte lengths are legal for short values too.
        b.extend_from_slice(&[0x80, 0, 0, 4, 0x80, 0, 0, 1]);
        b.extend_from_slice(b"NAMEv");
        let p = decode(&b).unwrap_or_default();
        assert_eq!(p.text("REQUEST_METHOD").as_deref(), Some("GET"));
        assert_eq!(p.get("HTTP_COOKIE").map(<[u8]>::len), Some(300));
        assert_eq!((p.get("EMPTY"), p.text("EMPTY")), (Some(&b""[..]), None));
        assert_eq!(p.text("NAME").as_deref(), Some("v"));
        assert_eq!(p.len(), 4);
        // The 300-byte value's length took four bytes: 0x80 0x00 0x01 0x2c.
        assert!(b.windows(4).any(|w| w == [0x80, 0, 1, 0x2c]));
    }

    #[test]
    fn truncated_pairs_are_refused() {
        for bad in [&[5u8][..], &[1, 1, b'a'], &[0x80, 0, 0], &[1, 0x80, 0, 0, 9, b'a'], &[0xff, 0xff, 0xff, 0xff, 0]] {
            assert_eq!(decode(bad), Err(Malformed::Truncated), "{bad:?}");
        }
    }

    #[test]
    fn the_stream_is_bounded() {
        let mut s = Stream::default();
        let chunk = vec![0u8; 65_535];
        for _ in 0..4 {
            assert_eq!(s.push(&chunk), Ok(()));
        }
        assert_eq!(s.push(&chunk), Err(Malformed::TooLong));
        assert!(s.buf.len() <= MAX_PARAMS_LEN);
    }

    #[test]
    fn a_pair_may_span_records() {
        let mut b = Vec::new();
        encode(&mut b, b"REQUEST_URI", b"/admin/x?y=1");
        let mut s = Stream::default();
        let (a, c) = b.split_at(5);
        assert_eq!((s.push(a), s.push(c)), (Ok(()), Ok(())));
        assert_eq!(s.finish().ok().and_then(|p| p.text("REQUEST_URI")).as_deref(), Some("/admin/x?y=1"));
    }

    #[test]
    fn random_bytes_never_panic_and_stay_small() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..5000 {
            let len = (next() % 200) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if let Ok(p) = decode(&bytes) {
                // Decoded pairs hold no more than the input did.
                let held: usize = p.map.iter().map(|(k, v)| k.len() + v.len()).sum();
                assert!(held <= bytes.len());
            }
        }
    }
}
