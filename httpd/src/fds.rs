//! The descriptor budget: raise the soft `RLIMIT_NOFILE` to the hard limit at start, and
//! keep HTTP connections below it with room to spare for the local PAM/NSS socket, the
//! store, LDAP connections and the log.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors never handed to HTTP connections: half the limit, at most this many.
pub const RESERVED_MAX: u64 = 256;

/// Raises the soft descriptor limit to the hard one (systemd's `LimitNOFILE` sets both;
/// a shell's `ulimit -n` often only the soft one). Returns the soft limit in force
/// afterwards, `None` when unlimited.
pub fn raise_nofile_limit() -> Option<u64> {
    let now = getrlimit(Resource::Nofile);
    if now.current != now.maximum {
        let wanted = Rlimit { current: now.maximum, maximum: now.maximum };
        match setrlimit(Resource::Nofile, wanted) {
            Ok(()) => return now.maximum,
            // The unit's seccomp filter refuses setrlimit; its LimitNOFILE already applies.
            Err(e) => tracing::debug!("cannot raise the descriptor limit: {e}"),
        }
    }
    now.current
}

/// The soft descriptor limit in force, `None` when unlimited.
pub fn nofile_limit() -> Option<u64> {
    getrlimit(Resource::Nofile).current
}

/// How many HTTP connections `limit` descriptors allow, leaving the reserve free.
pub fn http_budget(limit: Option<u64>) -> usize {
    let Some(limit) = limit else { return usize::MAX };
    let reserve = (limit / 2).min(RESERVED_MAX);
    usize::try_from(limit - reserve).unwrap_or(usize::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_leaves_a_reserve() {
        assert_eq!(http_budget(Some(64)), 32);
        assert_eq!(http_budget(Some(1024)), 768);
        assert_eq!(http_budget(Some(65536)), 65536 - 256);
        assert_eq!(http_budget(Some(1)), 1);
        assert_eq!(http_budget(None), usize::MAX);
    }
}
