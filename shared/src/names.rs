//! POSIX-portable user and group names: `[a-z_][a-z0-9_-]*`, at most 32 characters — what
//! Debian's `adduser` accepts by default, so every Wicket user can become a Linux account.

use crate::duration::sanitize;
use crate::error::{Error, Result};

/// Longest accepted name (glibc's `LOGIN_NAME_MAX` minus room; `useradd` allows 32).
pub const MAX_NAME_LEN: usize = 32;

/// Checks a user or group name.
pub fn validate_name(name: &str) -> Result<()> {
    let refuse = |why| Err(Error::InvalidName { name: sanitize(name), why });
    let bytes = name.as_bytes();
    let Some(&first) = bytes.first() else { return refuse("empty") };
    if bytes.len() > MAX_NAME_LEN {
        return refuse("longer than 32 characters");
    }
    if !(first.is_ascii_lowercase() || first == b'_') {
        return refuse("must start with a lowercase letter or underscore");
    }
    if !bytes.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
        return refuse("only a-z, 0-9, '_' and '-' are allowed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_portable_names() {
        for ok in ["alice", "_svc", "a", "bob-2", "x_y-z9", &"a".repeat(32)] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for bad in
            ["", "Alice", "1abc", "-x", "a b", "a.b", "a@b", "é", "a\0", "a\n", "*", "alice)(uid=*", &"a".repeat(33)]
        {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }
}
