//! The one error type of `wicket-core`.

use std::path::PathBuf;

/// Everything that can go wrong inside the core. Messages are one line, name the thing that
/// failed (file, key, user) and never contain a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration file could not be read or is invalid.
    #[error("config {path}: {message}")]
    Config {
        /// The file (or `<inline>` for [`crate::config::Config::parse`]).
        path: String,
        /// What is wrong, with the line and key when known.
        message: String,
    },
    /// A user or group name does not follow the POSIX-portable rules.
    #[error("invalid name `{name}`: {why}")]
    InvalidName {
        /// The refused name (sanitised: control characters escaped).
        name: String,
        /// Which rule it breaks.
        why: &'static str,
    },
    /// An argument that is not a name is out of range or malformed (uid, duration, scope…).
    #[error("{0}")]
    Invalid(String),
    /// An empty password was given; Wicket never stores or verifies one.
    #[error("empty password refused")]
    EmptyPassword,
    /// A new password breaks a rule of `[passwords]` (too short, the user's name, a common
    /// password). Carries which rule, never the password.
    #[error("password refused: {0}")]
    WeakPassword(String),
    /// The user already exists.
    #[error("user `{0}` already exists")]
    UserExists(String),
    /// No user by that name.
    #[error("no such user `{0}`")]
    NoSuchUser(String),
    /// The group already exists.
    #[error("group `{0}` already exists")]
    GroupExists(String),
    /// No group by that name.
    #[error("no such group `{0}`")]
    NoSuchGroup(String),
    /// The user already has a token by that name.
    #[error("user `{owner}` already has a token named `{name}`")]
    TokenExists {
        /// Token owner.
        owner: String,
        /// Token name.
        name: String,
    },
    /// No such token.
    #[error("user `{owner}` has no token named `{name}`")]
    NoSuchToken {
        /// Token owner.
        owner: String,
        /// Token name.
        name: String,
    },
    /// A uid or gid is already taken.
    #[error("id {0} is already in use")]
    IdInUse(u32),
    /// Every id in the configured range is taken.
    #[error("no free id left in {min}..={max}")]
    NoFreeId {
        /// Range start.
        min: u32,
        /// Range end.
        max: u32,
    },
    /// Another process holds the database's write lock for longer than the busy timeout.
    /// Carries where the store is (a file path, or a URL without credentials).
    #[error("database {0} is busy (another wicket or wicketd is writing); nothing was changed, try again")]
    Busy(String),
    /// The store could not be opened or a query failed. Independent of the storage library:
    /// it carries the store's own message as text, which names no user data or secret.
    #[error("database {location}: {message}")]
    Store {
        /// Where the store is: the database file, or a URL without credentials.
        location: String,
        /// What the storage engine said.
        message: String,
    },
    /// The database path is a directory or a file that is not an SQLite database.
    #[error("{}: not a Wicket database ({why})", path.display())]
    NotADatabase {
        /// The path given.
        path: PathBuf,
        /// What it is instead.
        why: &'static str,
    },
    /// The database was written by a newer Wicket.
    #[error("database {path} has schema version {found}, newer than this Wicket knows ({known})")]
    SchemaTooNew {
        /// The database file.
        path: PathBuf,
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        known: i64,
    },
    /// A file or directory operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A stored password hash cannot be used: unknown format, malformed, or over the cost
    /// caps. Carries the reason only, never the hash.
    #[error("password hash refused: {0}")]
    UnusableHash(&'static str),
    /// Hashing a password failed (bad parameters); never carries the password.
    #[error("password hashing: {0}")]
    Hash(String),
    /// The key that seals TOTP secrets cannot be used: missing, too open, wrong size.
    /// Carries the file and the reason, never the key.
    #[error("TOTP key file {}: {why}", path.display())]
    TotpKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// `Result` with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
