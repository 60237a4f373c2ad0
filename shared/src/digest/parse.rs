//! A byte-level parser for Digest credentials (RFC 7616 §3.4, RFC 7235 §2.1 auth-params).
//!
//! The input is untrusted and the parser is fuzzed: it is total (never panics, never indexes
//! out of bounds), bounded ([`MAX_CREDENTIALS_LEN`] bytes, [`MAX_PARAMETERS`] params) and
//! strict about what it accepts:
//!
//! - `name=token` or `name="quoted-string"` (with `\` escapes), comma-separated, optional
//!   whitespace around `=` and `,`, empty list elements tolerated (RFC 7230 §7);
//! - names case-insensitive; every known parameter at most once; unknown ones ignored;
//! - no control characters anywhere (SP and HTAB only as whitespace between items);
//! - all text UTF-8; `username*` is an RFC 8187 ext-value in UTF-8 and is decoded;
//! - `algorithm` is `MD5` (the default) or `SHA-256`; `qop` is exactly `auth`; `nc` is
//!   exactly 8 hex digits; `response` (and a `userhash=true` username) is hex of the
//!   algorithm's length, folded to lowercase.
//!
//! Whether the values are *right* (realm, nonce, uri, response) is the verifier's job.

use std::fmt;

use super::algorithm::Algorithm;
use super::error::DigestError;

/// The longest credentials accepted, in bytes.
pub const MAX_CREDENTIALS_LEN: usize = 4096;

/// The most auth-params accepted in one header (known and unknown together).
pub const MAX_PARAMETERS: usize = 32;

/// Parsed Digest credentials: what the client claims, not yet verified.
///
/// `Debug` hides `response`: with the nonces it allows an offline guess of the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DigestResponse {
    /// The user name (decoded from `username*` if that form was used). When [`userhash`] is
    /// true this is H(user ":" realm) in lowercase hex, not a name.
    ///
    /// [`userhash`]: DigestResponse::userhash
    pub username: String,
    /// `userhash=true`: `username` is a hash the server must map back to a user.
    pub userhash: bool,
    /// The realm the client answered for.
    pub realm: String,
    /// The server nonce the client answered.
    pub nonce: String,
    /// The request target the client signed.
    pub uri: String,
    /// The client's response, lowercase hex of [`Algorithm::hex_len`] digits.
    pub response: String,
    /// The hash algorithm (`MD5` when the parameter was absent, as RFC 7616 §3.4 says).
    pub algorithm: Algorithm,
    /// The `opaque` value echoed back, if any.
    pub opaque: Option<String>,
    /// `qop=auth` with its client nonce and nonce count; `None` for an RFC 2069 style response
    /// (which the verifier refuses).
    pub qop: Option<QopAuth>,
}

impl fmt::Debug for DigestResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestResponse")
            .field("username", &self.username)
            .field("userhash", &self.userhash)
            .field("realm", &self.realm)
            .field("nonce", &self.nonce)
            .field("uri", &self.uri)
            .field("response", &"***")
            .field("algorithm", &self.algorithm)
            .field("opaque", &self.opaque)
            .field("qop", &self.qop)
            .finish()
    }
}

/// The parameters that come with `qop=auth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QopAuth {
    /// The client nonce (non-empty).
    pub cnonce: String,
    /// The nonce count.
    pub nc: NonceCount,
}

/// A nonce count: exactly 8 hex digits, kept as sent (the spelling enters the hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonceCount {
    value: u32,
    text: String,
}

impl NonceCount {
    /// Parses exactly 8 hex digits (either case). `None` otherwise.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let value = u32::from_str_radix(text, 16).ok()?;
        Some(Self { value, text: text.to_owned() })
    }
    /// The count as a number.
    pub fn value(&self) -> u32 {
        self.value
    }
    /// The count as sent.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Parses a whole `Authorization` header value: the `Digest` scheme (case-insensitive), at
/// least one space, then the credentials as in [`parse_digest`].
pub fn parse_authorization(value: &[u8]) -> Result<DigestResponse, DigestError> {
    if value.len() > MAX_CREDENTIALS_LEN {
        return Err(DigestError::TooLong);
    }
    let value = trim_leading_ows(value);
    let scheme_len = value.iter().take_while(|&&b| is_tchar(b)).count();
    let (scheme, rest) = value.split_at(scheme_len);
    if !scheme.eq_ignore_ascii_case(b"Digest") {
        return Err(DigestError::NotDigest);
    }
    match rest.first() {
        Some(b' ') => parse_digest(rest),
        None => Err(DigestError::Missing("username")),
        Some(_) => Err(DigestError::NotDigest),
    }
}

/// Parses Digest credentials: the part of the `Authorization` value after the `Digest`
/// scheme token. Total on any byte input (this is the fuzzing entry point).
pub fn parse_digest(input: &[u8]) -> Result<DigestResponse, DigestError> {
    if input.len() > MAX_CREDENTIALS_LEN {
        return Err(DigestError::TooLong);
    }
    let mut cur = Cursor { s: input, i: 0 };
    let mut fields = Fields::default();
    let mut count = 0usize;
    loop {
        cur.skip_ows();
        match cur.peek() {
            None => break,
            Some(b',') => {
                cur.bump();
                continue;
            }
            Some(_) => {}
        }
        let name = cur.token().ok_or_else(|| cur.syntax_error("expected a parameter name"))?;
        cur.skip_ows();
        if cur.peek() != Some(b'=') {
            return Err(cur.syntax_error("expected `=` after a parameter name"));
        }
        cur.bump();
        cur.skip_ows();
        let value = if cur.peek() == Some(b'"') {
            cur.quoted_string()?
        } else {
            cur.token().ok_or_else(|| cur.syntax_error("expected a token or quoted-string value"))?.to_vec()
        };
        count += 1;
        if count > MAX_PARAMETERS {
            return Err(DigestError::TooManyParameters);
        }
        fields.set(name, value)?;
        cur.skip_ows();
        match cur.peek() {
            None => break,
            Some(b',') => cur.bump(),
            Some(_) => return Err(cur.syntax_error("expected `,` between parameters")),
        }
    }
    fields.finish()
}

fn trim_leading_ows(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    s.get(n..).unwrap_or_default()
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A control character in the bytes of a header: C0 (HTAB included) and DEL.
fn is_ctl(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn bump(&mut self) {
        self.i = self.i.saturating_add(1);
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.bump();
        }
    }

    /// A control character where a delimiter was expected is reported as such.
    fn syntax_error(&self, what: &'static str) -> DigestError {
        match self.peek() {
            Some(b) if is_ctl(b) => DigestError::ControlCharacter,
            _ => DigestError::Syntax(what),
        }
    }

    /// One or more tchars; `None` if there is none here.
    fn token(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.bump();
        }
        let tok = self.s.get(start..self.i)?;
        (!tok.is_empty()).then_some(tok)
    }

    /// A quoted-string starting at the opening quote; returns the unescaped content.
    fn quoted_string(&mut self) -> Result<Vec<u8>, DigestError> {
        self.bump(); // the opening quote
        let mut out = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(DigestError::UnterminatedQuote);
            };
            self.bump();
            match b {
                b'"' => return Ok(out),
                b'\\' => {
                    let Some(escaped) = self.peek() else {
                        return Err(DigestError::UnterminatedQuote);
                    };
                    if is_ctl(escaped) {
                        return Err(DigestError::ControlCharacter);
                    }
                    self.bump();
                    out.push(escaped);
                }
                b if is_ctl(b) => return Err(DigestError::ControlCharacter),
                b => out.push(b),
            }
        }
    }
}

/// The parameters this server understands, in one fixed order.
const NAMES: [&str; 12] = [
    "username",
    "username*",
    "realm",
    "nonce",
    "uri",
    "response",
    "algorithm",
    "cnonce",
    "opaque",
    "qop",
    "nc",
    "userhash",
];
const USERNAME: usize = 0;
const USERNAME_EXT: usize = 1;
const REALM: usize = 2;
const NONCE: usize = 3;
const URI: usize = 4;
const RESPONSE: usize = 5;
const ALGORITHM: usize = 6;
const CNONCE: usize = 7;
const OPAQUE: usize = 8;
const QOP: usize = 9;
const NC: usize = 10;
const USERHASH: usize = 11;

#[derive(Default)]
struct Fields {
    values: [Option<Vec<u8>>; NAMES.len()],
}

impl Fields {
    fn set(&mut self, name: &[u8], value: Vec<u8>) -> Result<(), DigestError> {
        let Some(idx) = NAMES.iter().position(|n| n.as_bytes().eq_ignore_ascii_case(name)) else {
            return Ok(()); // unknown parameters are ignored (RFC 7616 §3.4)
        };
        let slot = self.values.get_mut(idx).ok_or(DigestError::Syntax("internal"))?;
        if slot.is_some() {
            return Err(DigestError::Duplicate(NAMES.get(idx).copied().unwrap_or("?")));
        }
        *slot = Some(value);
        Ok(())
    }

    fn take(&mut self, idx: usize) -> Option<Vec<u8>> {
        self.values.get_mut(idx).and_then(Option::take)
    }

    /// A text parameter: UTF-8 without control characters (C1 included).
    fn text(&mut self, idx: usize) -> Result<Option<String>, DigestError> {
        let name = NAMES.get(idx).copied().unwrap_or("?");
        self.take(idx).map(|v| text(name, v)).transpose()
    }

    fn required(&mut self, idx: usize) -> Result<String, DigestError> {
        let name = NAMES.get(idx).copied().unwrap_or("?");
        self.text(idx)?.ok_or(DigestError::Missing(name))
    }

    fn finish(mut self) -> Result<DigestResponse, DigestError> {
        let username = self.text(USERNAME)?;
        let username_ext = self.take(USERNAME_EXT);
        let userhash = match self.text(USERHASH)? {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(_) => return Err(DigestError::BadValue("userhash")),
        };
        let username = match (username, username_ext) {
            (Some(_), Some(_)) => return Err(DigestError::UsernameConflict),
            (None, None) => return Err(DigestError::Missing("username")),
            (Some(name), None) => name,
            // A hash is plain hex: `username*` makes no sense with it.
            (None, Some(_)) if userhash => return Err(DigestError::BadValue("username*")),
            (None, Some(ext)) => decode_ext_value(&ext)?,
        };
        if username.is_empty() {
            return Err(DigestError::BadValue("username"));
        }
        let realm = self.required(REALM)?;
        let nonce = self.required(NONCE)?;
        let uri = self.required(URI)?;
        let response = self.required(RESPONSE)?;
        let algorithm = match self.text(ALGORITHM)? {
            None => Algorithm::Md5,
            Some(a) => Algorithm::from_token(&a).ok_or(DigestError::UnsupportedAlgorithm)?,
        };
        let response = lower_hex(response, algorithm.hex_len()).ok_or(DigestError::BadValue("response"))?;
        let username = if userhash {
            lower_hex(username, algorithm.hex_len()).ok_or(DigestError::BadValue("username"))?
        } else {
            username
        };
        let opaque = self.text(OPAQUE)?;
        let cnonce = self.text(CNONCE)?;
        let nc = self.text(NC)?;
        let qop = match self.text(QOP)? {
            Some(q) if q == "auth" => {
                let cnonce = cnonce.ok_or(DigestError::Missing("cnonce"))?;
                if cnonce.is_empty() {
                    return Err(DigestError::BadValue("cnonce"));
                }
                let nc = nc.ok_or(DigestError::Missing("nc"))?;
                let nc = NonceCount::parse(&nc).ok_or(DigestError::BadValue("nc"))?;
                Some(QopAuth { cnonce, nc })
            }
            Some(_) => return Err(DigestError::UnsupportedQop),
            // RFC 7616: cnonce and nc MUST NOT be sent without qop.
            None if cnonce.is_some() || nc.is_some() => return Err(DigestError::Missing("qop")),
            None => None,
        };
        Ok(DigestResponse { username, userhash, realm, nonce, uri, response, algorithm, opaque, qop })
    }
}

fn text(name: &'static str, bytes: Vec<u8>) -> Result<String, DigestError> {
    let s = String::from_utf8(bytes).map_err(|_| DigestError::NotUtf8(name))?;
    if s.chars().any(char::is_control) {
        return Err(DigestError::ControlCharacter);
    }
    Ok(s)
}

/// `Some(lowercased)` if `s` is exactly `len` hex digits.
fn lower_hex(mut s: String, len: usize) -> Option<String> {
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    s.make_ascii_lowercase();
    Some(s)
}

/// RFC 8187 `attr-char`.
fn is_attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes an RFC 8187 ext-value `charset "'" [ language ] "'" value-chars`; only the UTF-8
/// charset is accepted.
fn decode_ext_value(v: &[u8]) -> Result<String, DigestError> {
    const NAME: &str = "username*";
    let bad = DigestError::BadValue(NAME);
    let mut parts = v.splitn(3, |&b| b == b'\'');
    let (Some(charset), Some(language), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad);
    };
    if !charset.eq_ignore_ascii_case(b"UTF-8") {
        return Err(bad);
    }
    if !language.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(bad);
    }
    let mut out = Vec::with_capacity(value.len());
    let mut bytes = value.iter().copied();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next().and_then(hex_val).ok_or(bad)?;
            let lo = bytes.next().and_then(hex_val).ok_or(bad)?;
            out.push(hi << 4 | lo);
        } else if is_attr_char(b) {
            out.push(b);
        } else {
            return Err(bad);
        }
    }
    text(NAME, out)
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
