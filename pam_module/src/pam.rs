//! Linux-PAM's numbers as Rust types: return codes, flags, token items, log priorities.
//! Values from `<security/_pam_types.h>` and `<security/pam_modules.h>` (Linux-PAM 1.x).

use std::fmt;

/// A PAM return code (`PAM_SUCCESS`, `PAM_AUTH_ERR`…). A newtype rather than an enum so a
/// code that libpam hands us (from `pam_get_user`, `pam_get_authtok`) passes through unchanged.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code(i32);

impl Code {
    /// `PAM_SUCCESS`.
    pub const SUCCESS: Code = Code(0);
    /// `PAM_SYSTEM_ERR`: a bug, a panic, a garbled answer.
    pub const SYSTEM_ERR: Code = Code(4);
    /// `PAM_PERM_DENIED`: locked or disabled, or the caller may not ask.
    pub const PERM_DENIED: Code = Code(6);
    /// `PAM_AUTH_ERR`: wrong password.
    pub const AUTH_ERR: Code = Code(7);
    /// `PAM_AUTHINFO_UNAVAIL`: wicketd, or every backend that could decide, is down.
    pub const AUTHINFO_UNAVAIL: Code = Code(9);
    /// `PAM_USER_UNKNOWN`.
    pub const USER_UNKNOWN: Code = Code(10);
    /// `PAM_MAXTRIES`: throttled.
    pub const MAXTRIES: Code = Code(11);
    /// `PAM_NEW_AUTHTOK_REQD`.
    pub const NEW_AUTHTOK_REQD: Code = Code(12);
    /// `PAM_ACCT_EXPIRED`.
    pub const ACCT_EXPIRED: Code = Code(13);
    /// `PAM_CONV_ERR`.
    pub const CONV_ERR: Code = Code(19);
    /// `PAM_AUTHTOK_ERR`: the new password was refused or could not be read.
    pub const AUTHTOK_ERR: Code = Code(20);
    /// `PAM_TRY_AGAIN`: the preliminary password-change check failed.
    pub const TRY_AGAIN: Code = Code(24);
    /// `PAM_IGNORE`: this module has no opinion.
    pub const IGNORE: Code = Code(25);

    /// Wraps a raw code from libpam.
    pub const fn from_raw(raw: i32) -> Self {
        Code(raw)
    }

    /// The raw value for libpam.
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// The `PAM_*` name, for log lines and test failures.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "PAM_SUCCESS",
            4 => "PAM_SYSTEM_ERR",
            6 => "PAM_PERM_DENIED",
            7 => "PAM_AUTH_ERR",
            9 => "PAM_AUTHINFO_UNAVAIL",
            10 => "PAM_USER_UNKNOWN",
            11 => "PAM_MAXTRIES",
            12 => "PAM_NEW_AUTHTOK_REQD",
            13 => "PAM_ACCT_EXPIRED",
            19 => "PAM_CONV_ERR",
            20 => "PAM_AUTHTOK_ERR",
            24 => "PAM_TRY_AGAIN",
            25 => "PAM_IGNORE",
            _ => "PAM_(other)",
        }
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `flags` argument of a `pam_sm_*` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(u32);

impl Flags {
    /// `PAM_SILENT`.
    pub const SILENT: Flags = Flags(0x8000);
    /// `PAM_CHANGE_EXPIRED_AUTHTOK`: the password is changed because it expired (so even
    /// root is asked for the current one).
    pub const CHANGE_EXPIRED_AUTHTOK: Flags = Flags(0x0020);
    /// `PAM_PRELIM_CHECK`: first pass of `pam_chauthtok`.
    pub const PRELIM_CHECK: Flags = Flags(0x4000);
    /// `PAM_UPDATE_AUTHTOK`: second pass of `pam_chauthtok`.
    pub const UPDATE_AUTHTOK: Flags = Flags(0x2000);

    /// Wraps the raw flags from libpam.
    pub const fn from_raw(raw: u32) -> Self {
        Flags(raw)
    }

    /// True when every bit of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets of bits.
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

/// Which password item: `PAM_AUTHTOK` (current, or the new one during a change) or
/// `PAM_OLDAUTHTOK` (the current one during a change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Token {
    /// `PAM_AUTHTOK`.
    Current,
    /// `PAM_OLDAUTHTOK`.
    Old,
}

impl Token {
    /// The PAM item number.
    pub const fn item(self) -> i32 {
        match self {
            Token::Current => 6,
            Token::Old => 7,
        }
    }
}

/// A syslog priority (`pam_syslog` chooses the facility: `LOG_AUTHPRIV`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `LOG_ERR`: something is broken (daemon unreachable, garbled answer).
    Err,
    /// `LOG_WARNING`: a refusal an administrator wants to see (a caller asked about
    /// another user, an unknown module option).
    Warning,
    /// `LOG_NOTICE`: worth noting, expected (throttled, unreachable with
    /// `ignore_authinfo_unavail`).
    Notice,
    /// `LOG_INFO`: session lines.
    Info,
    /// `LOG_DEBUG`: every decision, only with `debug`.
    Debug,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_linux_pam() {
        assert_eq!(Code::SUCCESS.raw(), 0);
        assert_eq!(Code::AUTH_ERR.raw(), 7);
        assert_eq!(Code::IGNORE.raw(), 25);
        assert_eq!(format!("{:?}", Code::MAXTRIES), "PAM_MAXTRIES(11)");
        assert_eq!(Code::from_raw(31).name(), "PAM_(other)");
        let f = Flags::from_raw(0x4000 | 0x20);
        assert!(f.contains(Flags::PRELIM_CHECK) && f.contains(Flags::CHANGE_EXPIRED_AUTHTOK));
        assert!(!f.contains(Flags::UPDATE_AUTHTOK));
        assert_eq!(Token::Old.item(), 7);
    }
}
