//! The Digest hash algorithms: one type, the config's [`DigestAlgorithm`], from the config
//! file through the store to the wire. The `-sess` variants are not supported.

pub use crate::config::DigestAlgorithm as Algorithm;

impl Algorithm {
    /// Parses an `algorithm` token (case-insensitive). `None` for anything unsupported,
    /// including `MD5-sess`, `SHA-256-sess` and `SHA-512-256`.
    pub fn from_token(token: &str) -> Option<Self> {
        if token.eq_ignore_ascii_case("MD5") {
            Some(Self::Md5)
        } else if token.eq_ignore_ascii_case("SHA-256") {
            Some(Self::Sha256)
        } else {
            None
        }
    }

    /// Length of this algorithm's digests in lowercase hex (32 for MD5, 64 for SHA-256).
    pub fn hex_len(self) -> usize {
        match self {
            Self::Md5 => 32,
            Self::Sha256 => 64,
        }
    }
}
