//! Account lookups for NSS: users and groups by name or number, from any backend that has
//! POSIX accounts (the local store, LDAP).

pub use crate::proto::{PosixGroup, PosixUser};

/// Why a lookup could not be answered (the directory is down): distinct from "not found".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable(pub String);

/// Lookup result: `Ok(None)` is "no such entry".
pub type Lookup<T> = std::result::Result<Option<T>, Unavailable>;

/// A source of POSIX accounts.
pub trait Directory: Send + Sync + std::fmt::Debug {
    /// passwd by name.
    fn user_by_name(&self, name: &str) -> Lookup<PosixUser>;
    /// passwd by uid.
    fn user_by_uid(&self, uid: u32) -> Lookup<PosixUser>;
    /// group by name.
    fn group_by_name(&self, name: &str) -> Lookup<PosixGroup>;
    /// group by gid.
    fn group_by_gid(&self, gid: u32) -> Lookup<PosixGroup>;
    /// Supplementary groups of a user (for initgroups); empty when the user is unknown.
    fn groups_of(&self, user: &str) -> std::result::Result<Vec<PosixGroup>, Unavailable>;
}
