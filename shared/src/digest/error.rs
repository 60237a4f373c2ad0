//! [`DigestError`]: why a Digest `Authorization` header or a Digest setup was refused.

use std::fmt;

/// Why Digest credentials could not be parsed, or why a Digest verifier could not be built.
///
/// Every message is static text naming at most a parameter: nothing the client sent is ever
/// echoed, so the `Display` output is safe for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigestError {
    /// The header value is longer than [`MAX_CREDENTIALS_LEN`](super::MAX_CREDENTIALS_LEN).
    TooLong,
    /// More auth-params than any honest client sends.
    TooManyParameters,
    /// The `Authorization` value does not use the `Digest` scheme.
    NotDigest,
    /// The auth-param list is malformed; the text says where in the grammar.
    Syntax(&'static str),
    /// A quoted-string has no closing quote.
    UnterminatedQuote,
    /// A control character (including CR, LF, NUL and, inside values, HTAB).
    ControlCharacter,
    /// A parameter appears twice (names compare case-insensitively).
    Duplicate(&'static str),
    /// A required parameter is absent.
    Missing(&'static str),
    /// A parameter's value is not allowed (wrong length, not hex, empty, bad encoding…).
    BadValue(&'static str),
    /// A parameter's value is not UTF-8.
    NotUtf8(&'static str),
    /// Both `username` and `username*` were sent.
    UsernameConflict,
    /// An `algorithm` other than `MD5` or `SHA-256` (the `-sess` variants included).
    UnsupportedAlgorithm,
    /// A `qop` other than `auth`.
    UnsupportedQop,
    /// The operating system's random generator failed while creating a nonce key.
    Random,
    /// The verifier settings are unusable; the text names the setting.
    Config(&'static str),
}

impl fmt::Display for DigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong => f.write_str("digest credentials are too long"),
            Self::TooManyParameters => f.write_str("too many digest parameters"),
            Self::NotDigest => f.write_str("not a Digest authorization"),
            Self::Syntax(what) => write!(f, "malformed digest credentials: {what}"),
            Self::UnterminatedQuote => f.write_str("unterminated quoted string"),
            Self::ControlCharacter => f.write_str("control character in digest credentials"),
            Self::Duplicate(name) => write!(f, "duplicate digest parameter `{name}`"),
            Self::Missing(name) => write!(f, "missing digest parameter `{name}`"),
            Self::BadValue(name) => write!(f, "invalid value for digest parameter `{name}`"),
            Self::NotUtf8(name) => write!(f, "digest parameter `{name}` is not UTF-8"),
            Self::UsernameConflict => f.write_str("both `username` and `username*` were sent"),
            Self::UnsupportedAlgorithm => f.write_str("unsupported digest algorithm"),
            Self::UnsupportedQop => f.write_str("unsupported qop (only `auth` is supported)"),
            Self::Random => f.write_str("the system random generator failed"),
            Self::Config(what) => write!(f, "invalid digest settings: {what}"),
        }
    }
}

impl std::error::Error for DigestError {}
