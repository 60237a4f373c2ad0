//! Every row of a store as plain values, for `wicket store copy`: [`StoreDump`] is read by
//! `SqliteStore::dump` / `PgStore::dump` (one consistent snapshot) and written by their
//! `load` (one transaction, into an empty store only), keeping row ids and timestamps.
//!
//! [`TABLES`] lists the tables in the order their foreign keys need, with each column's
//! kind; both stores have the same columns (their migrations are twins). `meta` (the change
//! counter), the migration records and PostgreSQL's Digest state ([`NOT_COPIED`]) are not
//! data: the target keeps its own. A store with a table this list does not know is refused
//! ([`check_tables`]), so a table added by a later migration cannot be left behind silently.

use crate::error::{Error, Result};

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An integer (ids, Unix times, counters).
    Int,
    /// Text.
    Text,
    /// Bytes (sealed TOTP secrets, passkey ids and keys).
    Bytes,
    /// A flag (SQLite: 0/1; PostgreSQL: BOOLEAN).
    Bool,
}

/// One table: its name, columns, and the columns its rows are ordered by.
#[derive(Debug)]
pub struct Table {
    /// The table.
    pub name: &'static str,
    /// Its columns and their kinds.
    pub columns: &'static [(&'static str, Kind)],
    /// `ORDER BY` (the primary key), so two dumps of equal stores compare equal.
    pub order_by: &'static str,
}

impl Table {
    /// The column list, quoted (`user` is a reserved word in PostgreSQL).
    pub fn column_list(&self) -> String {
        self.columns.iter().map(|(c, _)| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
    }
}

use Kind::{Bool, Bytes, Int, Text};

/// Every data table, parents first.
pub const TABLES: &[Table] = &[
    Table {
        name: "users",
        columns: &[
            ("id", Int),
            ("name", Text),
            ("uid", Int),
            ("gid", Int),
            ("display_name", Text),
            ("email", Text),
            ("home", Text),
            ("shell", Text),
            ("state", Text),
            ("expires_at", Int),
            ("password_hash", Text),
            ("password_changed_at", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        order_by: "id",
    },
    Table {
        name: "digest_ha1",
        columns: &[("user_id", Int), ("realm", Text), ("algorithm", Text), ("ha1", Text), ("userhash", Text)],
        order_by: "user_id, realm, algorithm",
    },
    Table {
        name: "groups",
        columns: &[("id", Int), ("name", Text), ("gid", Int), ("created_at", Int)],
        order_by: "id",
    },
    Table { name: "memberships", columns: &[("user_id", Int), ("group_id", Int)], order_by: "user_id, group_id" },
    Table {
        name: "external_members",
        columns: &[("backend", Text), ("user_name", Text), ("group_id", Int)],
        order_by: "backend, user_name, group_id",
    },
    Table {
        name: "tokens",
        columns: &[
            ("id", Int),
            ("hash", Text),
            ("name", Text),
            ("owner_id", Int),
            ("owner_backend", Text),
            ("owner_name", Text),
            ("scopes", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("last_used_at", Int),
            ("revoked_at", Int),
        ],
        order_by: "id",
    },
    Table {
        name: "sessions",
        columns: &[
            ("id_hash", Text),
            ("user_name", Text),
            ("backend", Text),
            ("uid", Int),
            ("gid", Int),
            ("display_name", Text),
            ("email", Text),
            ("groups", Text),
            ("created_at", Int),
            ("last_seen", Int),
            ("expires_at", Int),
            ("remember_me", Bool),
            ("factors", Int),
        ],
        order_by: "id_hash",
    },
    Table {
        name: "events",
        columns: &[
            ("id", Int),
            ("at", Int),
            ("kind", Text),
            ("front", Text),
            ("scheme", Text),
            ("user", Text),
            ("outcome", Text),
            ("backend", Text),
            ("client", Text),
            ("service", Text),
            ("method", Text),
            ("path", Text),
            ("actor_uid", Int),
            ("actor", Text),
            ("detail", Text),
        ],
        order_by: "id",
    },
    Table {
        name: "totp",
        columns: &[
            ("backend", Text),
            ("user_name", Text),
            ("secret_enc", Bytes),
            ("confirmed", Bool),
            ("last_step", Int),
            ("created_at", Int),
        ],
        order_by: "backend, user_name",
    },
    Table {
        name: "recovery_codes",
        columns: &[("backend", Text), ("user_name", Text), ("code_hash", Text), ("used_at", Int)],
        order_by: "backend, user_name, code_hash",
    },
    Table {
        name: "external_identities",
        columns: &[
            ("provider", Text),
            ("subject", Text),
            ("backend", Text),
            ("user_name", Text),
            ("created_at", Int),
            ("last_login", Int),
        ],
        order_by: "provider, subject",
    },
    Table {
        name: "invites",
        columns: &[
            ("user_id", Int),
            ("hash", Text),
            ("reset", Bool),
            ("created_at", Int),
            ("expires_at", Int),
            ("used_at", Int),
        ],
        order_by: "user_id",
    },
    Table {
        name: "passkeys",
        columns: &[
            ("credential_id", Bytes),
            ("backend", Text),
            ("user_name", Text),
            ("public_key", Bytes),
            ("sign_count", Int),
            ("name", Text),
            ("created_at", Int),
            ("last_used", Int),
        ],
        order_by: "credential_id",
    },
];

/// Tables that are the store's bookkeeping, not data.
pub const BOOKKEEPING: &[&str] = &["meta", "schema_migrations"];

/// Tables a store may have that are not copied: the shared Digest state of PostgreSQL (its
/// nonce key and the counts of live nonces; SQLite keeps both in memory). A target makes
/// its own key, and nonces issued against the source are answered `stale=true`.
pub const NOT_COPIED: &[&str] = &["digest_nonce_key", "digest_nonce_uses"];

/// One value.
#[derive(Clone, PartialEq, Eq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A flag.
    Bool(bool),
}

/// Integers and flags as they are; text and bytes by length only (hashes, sealed secrets).
impl std::fmt::Debug for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Null => f.write_str("NULL"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Text(t) => write!(f, "text({} bytes)", t.len()),
            Self::Bytes(b) => write!(f, "bytes({})", b.len()),
        }
    }
}

/// The rows of every table in [`TABLES`], in the same order. `Debug` shows counts only:
/// the rows hold password hashes and sealed secrets.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct StoreDump {
    /// `(table name, rows)`, one entry per table of [`TABLES`].
    pub tables: Vec<(&'static str, Vec<Vec<Cell>>)>,
}

impl std::fmt::Debug for StoreDump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.counts()).finish()
    }
}

impl StoreDump {
    /// How many rows each table has, in [`TABLES`] order.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        self.tables.iter().map(|(t, rows)| (*t, rows.len())).collect()
    }

    /// The rows of `table` (empty when absent).
    pub fn rows(&self, table: &str) -> &[Vec<Cell>] {
        self.tables.iter().find(|(t, _)| *t == table).map_or(&[], |(_, r)| r.as_slice())
    }
}

/// Refuses a store whose tables are not exactly [`TABLES`] plus [`BOOKKEEPING`] (and any of
/// [`NOT_COPIED`]): a table this build cannot copy (a newer schema) or one missing.
pub fn check_tables(location: &str, found: &[String]) -> Result<()> {
    let known = |t: &str| TABLES.iter().any(|k| k.name == t) || BOOKKEEPING.contains(&t) || NOT_COPIED.contains(&t);
    let fail = |message: String| Err(Error::Store { location: location.to_string(), message });
    if let Some(extra) = found.iter().find(|t| !known(t)) {
        return fail(format!("table `{extra}` is not one this version of wicket can copy"));
    }
    if let Some(missing) = TABLES.iter().find(|k| !found.iter().any(|t| t == k.name)) {
        return fail(format!("table `{}` is missing", missing.name));
    }
    Ok(())
}

/// The refusal when the target already holds data.
pub fn not_empty(location: &str, table: &str) -> Error {
    Error::Store {
        location: location.to_string(),
        message: format!("the target is not empty (table `{table}` has rows): copy only into a new store"),
    }
}
