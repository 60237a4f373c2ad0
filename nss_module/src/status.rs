//! How a lookup ends, in glibc's terms: an `nss_status` and, unless it succeeded, an errno.
//!
//! | outcome                                          | status     | errno  |
//! |--------------------------------------------------|------------|--------|
//! | entry found and packed                           | `SUCCESS`  | —      |
//! | no such entry; a name that cannot exist; root    | `NOTFOUND` | ENOENT |
//! | caller's buffer too small (glibc retries larger) | `TRYAGAIN` | ERANGE |
//! | wicketd not running (connect fails)              | `UNAVAIL`  | ENOENT |
//! | running inside wicketd (recursion guard)         | `UNAVAIL`  | ENOENT |
//! | wicketd answered nonsense (protocol, bad entry)  | `UNAVAIL`  | ENOENT |
//! | wicketd's backends are down; no answer in time   | `TRYAGAIN` | EAGAIN |
//! | out of memory growing the initgroups array       | `TRYAGAIN` | ENOMEM |
//! | a panic in this module                           | `UNAVAIL`  | ENOENT |
//! | impossible arguments from the caller             | `UNAVAIL`  | EINVAL |
//!
//! Why `TRYAGAIN`/`EAGAIN` for "backend down" rather than `UNAVAIL`: the glibc manual
//! documents that pair as "a service is currently not available", and callers treat EAGAIN
//! as transient (nscd, for one, does not cache a negative answer given with EAGAIN), so an
//! LDAP outage does not turn into "no such user" cached for minutes. glibc does not retry
//! on its own: with the default action the next source is asked and the lookup returns.
//! `UNAVAIL`/`ENOENT` is the documented "the service cannot be used at all" answer and the
//! one other socket-based modules (sssd, nss-pam-ldapd) give when their daemon is not
//! running.

use std::ffi::c_int;

/// glibc's `enum nss_status` (`<nss.h>`), as returned by every entry point.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NssStatus {
    /// `NSS_STATUS_TRYAGAIN`: temporary failure, or (with ERANGE) a buffer too small.
    TryAgain = -2,
    /// `NSS_STATUS_UNAVAIL`: the service cannot answer.
    Unavail = -1,
    /// `NSS_STATUS_NOTFOUND`: no such entry.
    NotFound = 0,
    /// `NSS_STATUS_SUCCESS`.
    Success = 1,
}

/// Why a lookup produced no entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No such entry, a name that cannot exist, or an entry this module refuses (uid 0).
    NotFound,
    /// wicketd is not running: nothing accepts connections on the socket.
    DaemonDown,
    /// wicketd is up but cannot answer now: its backends are down, or it did not answer
    /// before the deadline.
    TryLater,
    /// wicketd answered something this module cannot use (another protocol version, an
    /// unexpected answer, an entry with a NUL byte).
    BadAnswer,
    /// This process is wicketd: it must never resolve names through its own module.
    Recursion,
    /// The caller's buffer cannot hold the entry; glibc retries with a larger one.
    BufferTooSmall,
    /// Growing the caller's gid array failed.
    NoMemory,
    /// The caller passed arguments no glibc would (NULL result, negative sizes).
    BadArguments,
    /// This module panicked (a bug); the panic was caught at the entry point.
    Panicked,
}

impl Failure {
    /// The `nss_status` and errno glibc gets for this failure (see the table above).
    pub fn status(self) -> (NssStatus, c_int) {
        match self {
            Self::NotFound => (NssStatus::NotFound, libc::ENOENT),
            Self::DaemonDown | Self::Recursion | Self::BadAnswer | Self::Panicked => (NssStatus::Unavail, libc::ENOENT),
            Self::TryLater => (NssStatus::TryAgain, libc::EAGAIN),
            Self::BufferTooSmall => (NssStatus::TryAgain, libc::ERANGE),
            Self::NoMemory => (NssStatus::TryAgain, libc::ENOMEM),
            Self::BadArguments => (NssStatus::Unavail, libc::EINVAL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_have_glibc_values() {
        assert_eq!(NssStatus::TryAgain as c_int, -2);
        assert_eq!(NssStatus::Unavail as c_int, -1);
        assert_eq!(NssStatus::NotFound as c_int, 0);
        assert_eq!(NssStatus::Success as c_int, 1);
        assert_eq!(std::mem::size_of::<NssStatus>(), std::mem::size_of::<c_int>());
    }

    #[test]
    fn only_a_small_buffer_asks_for_a_larger_one() {
        // glibc stops and grows the buffer on TRYAGAIN+ERANGE; nothing else may say ERANGE.
        for f in [
            Failure::NotFound,
            Failure::DaemonDown,
            Failure::TryLater,
            Failure::BadAnswer,
            Failure::Recursion,
            Failure::NoMemory,
            Failure::BadArguments,
            Failure::Panicked,
        ] {
            assert_ne!(f.status().1, libc::ERANGE, "{f:?}");
        }
        assert_eq!(Failure::BufferTooSmall.status(), (NssStatus::TryAgain, libc::ERANGE));
    }

    #[test]
    fn daemon_down_is_unavail_and_backend_down_is_tryagain() {
        assert_eq!(Failure::DaemonDown.status(), (NssStatus::Unavail, libc::ENOENT));
        assert_eq!(Failure::Recursion.status(), (NssStatus::Unavail, libc::ENOENT));
        assert_eq!(Failure::TryLater.status(), (NssStatus::TryAgain, libc::EAGAIN));
        assert_eq!(Failure::NotFound.status(), (NssStatus::NotFound, libc::ENOENT));
        assert_eq!(Failure::Panicked.status().0, NssStatus::Unavail);
    }
}
