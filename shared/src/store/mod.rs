//! The SQLite user store: users, Digest HA1 values, groups, memberships and tokens.
//!
//! One [`Store`] is one connection. The file is created 0600 (SQLite gives its `-wal` and
//! `-shm` files the same mode), opened in WAL mode with a busy timeout, and migrated in
//! order. Every public mutating method is one `BEGIN IMMEDIATE` transaction: it either
//! commits whole or leaves the file untouched. All SQL is parameterized.

mod schema;

use crate::config::{DigestAlgorithm, UsersConfig};
use crate::error::{Error, Result};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use serde::Serialize;
use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Schema version this build writes.
pub const SCHEMA_VERSION: i64 = schema::MIGRATIONS.len() as i64;

/// Whether an account may log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountState {
    /// May log in.
    Active,
    /// Temporarily refused (`wicket user lock`).
    Locked,
    /// Refused until an administrator re-enables it.
    Disabled,
}

impl AccountState {
    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Locked => "locked",
            Self::Disabled => "disabled",
        }
    }
    fn from_db(s: &str) -> Self {
        match s {
            "active" => Self::Active,
            "locked" => Self::Locked,
            // Anything unexpected fails closed.
            _ => Self::Disabled,
        }
    }
}

/// A stored user. The password hash is never serialized.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// Row id.
    #[serde(skip)]
    pub id: i64,
    /// Login name.
    pub name: String,
    /// POSIX uid.
    pub uid: u32,
    /// POSIX primary gid.
    pub gid: u32,
    /// Full name (GECOS).
    pub display_name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
    /// Active, locked or disabled.
    pub state: AccountState,
    /// Unix time after which the account no longer verifies.
    pub expires_at: Option<i64>,
    /// PHC or legacy hash; `None` when no password is set.
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// When the password was last set.
    pub password_changed_at: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// Names of the groups the user belongs to (filled by `get_user`/`list_users`).
    pub groups: Vec<String>,
}

impl User {
    /// True when the account has an expiry in the past.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }
    /// The stored password hash's scheme, for display (`argon2id`, `bcrypt`, …).
    pub fn hash_scheme(&self) -> &'static str {
        match self.password_hash.as_deref() {
            None => "none",
            Some(h) if h.starts_with("$argon2id$") => "argon2id",
            Some(h) if h.starts_with("$argon2") => "argon2",
            Some(h) if h.starts_with("$2") => "bcrypt",
            Some(h) if h.starts_with("$apr1$") => "apr1",
            Some(h) if h.starts_with("$1$") => "md5-crypt",
            Some(h) if h.starts_with("$5$") => "sha256-crypt",
            Some(h) if h.starts_with("$6$") => "sha512-crypt",
            Some(h) if h.starts_with("{SSHA}") => "ssha",
            Some(h) if h.starts_with("{SHA}") => "sha1",
            Some(_) => "unknown",
        }
    }
}

/// Fields for a new user; `None` takes the configured default.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// Login name (validated by the caller with [`crate::names::validate_name`]).
    pub name: String,
    /// Fixed uid, or allocate from the range.
    pub uid: Option<u32>,
    /// Fixed primary gid, or the user's own (same number as the uid).
    pub gid: Option<u32>,
    /// Full name.
    pub display_name: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Home directory.
    pub home: Option<String>,
    /// Shell.
    pub shell: Option<String>,
    /// Expiry (Unix time).
    pub expires_at: Option<i64>,
}

/// One Digest HA1 value.
#[derive(Debug, Clone)]
pub struct Ha1Entry {
    /// Realm it is bound to.
    pub realm: String,
    /// Hash algorithm.
    pub algorithm: DigestAlgorithm,
    /// `H(user:realm:password)`, hex.
    pub ha1: String,
    /// `H(user:realm)`, hex, for `userhash=true`.
    pub userhash: String,
}

/// A password as stored: the hash plus the Digest values derived while the plaintext was known.
#[derive(Debug, Clone)]
pub struct PasswordRecord {
    /// PHC (or imported legacy) hash.
    pub hash: String,
    /// HA1 values; empty for imported hashes (Digest needs the plaintext once).
    pub ha1: Vec<Ha1Entry>,
}

/// A group with its members.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Row id.
    #[serde(skip)]
    pub id: i64,
    /// Group name.
    pub name: String,
    /// POSIX gid.
    pub gid: u32,
    /// Member user names, sorted.
    pub members: Vec<String>,
}

/// A token's metadata. The token itself is never stored; `hash` is its SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    /// Row id.
    pub id: i64,
    /// Owner's user name.
    pub owner: String,
    /// Name given at creation.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Creation time.
    pub created_at: i64,
    /// Expiry, if any.
    pub expires_at: Option<i64>,
    /// Last use (updated in batches by wicketd).
    pub last_used_at: Option<i64>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<i64>,
}

impl TokenInfo {
    /// True when the token may be used at `now`.
    pub fn is_usable(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| t > now)
    }
}

/// One connection to the store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

const USER_COLUMNS: &str = "id, name, uid, gid, display_name, email, home, shell, state, expires_at, \
     password_hash, password_changed_at, created_at, updated_at";

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let state: String = r.get(8)?;
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        uid: r.get(2)?,
        gid: r.get(3)?,
        display_name: r.get(4)?,
        email: r.get(5)?,
        home: r.get(6)?,
        shell: r.get(7)?,
        state: AccountState::from_db(&state),
        expires_at: r.get(9)?,
        password_hash: r.get(10)?,
        password_changed_at: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
        groups: Vec::new(),
    })
}

const TOKEN_SELECT: &str = "SELECT t.id, u.name, t.name, t.scopes, t.created_at, t.expires_at, t.last_used_at, t.revoked_at \
     FROM tokens t JOIN users u ON u.id = t.owner_id";

fn token_from_row(r: &Row<'_>) -> rusqlite::Result<TokenInfo> {
    let scopes: String = r.get(3)?;
    Ok(TokenInfo {
        id: r.get(0)?,
        owner: r.get(1)?,
        name: r.get(2)?,
        scopes: scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        last_used_at: r.get(6)?,
        revoked_at: r.get(7)?,
    })
}

impl Store {
    /// Opens (creating it 0600 if missing) and migrates the database at `path`.
    pub fn open(path: &Path, busy_timeout: Duration) -> Result<Self> {
        if path.is_dir() {
            return Err(Error::NotADatabase { path: path.to_path_buf(), why: "is a directory" });
        }
        create_private_file(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| map_err(path, e))?;
        let mut store = Self { conn, path: path.to_path_buf() };
        store.configure(busy_timeout).and_then(|()| store.migrate()).map_err(not_a_database)?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        move |e| map_err(&self.path, e)
    }

    fn configure(&mut self, busy_timeout: Duration) -> Result<()> {
        self.conn.busy_timeout(busy_timeout).map_err(self.err())?;
        // Reading the schema version first makes "not a database" the first error a
        // corrupt file gives, before anything is written.
        let _: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(self.err())?;
        let mode: String = self.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).map_err(self.err())?;
        if !mode.eq_ignore_ascii_case("wal") {
            let _: String = self.conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(self.err())?;
        }
        self.conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;").map_err(self.err())?;
        Ok(())
    }

    fn schema_version(&self) -> Result<i64> {
        self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(self.err())
    }

    fn migrate(&mut self) -> Result<()> {
        let found = self.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew { path: self.path.clone(), found, known: SCHEMA_VERSION });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        let path = self.path.clone();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| map_err(&path, e))?;
        // Another process may have migrated while we waited for the lock.
        let mut version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| map_err(&path, e))?;
        while version < SCHEMA_VERSION {
            let step = schema::MIGRATIONS.get(usize::try_from(version).unwrap_or(usize::MAX)).copied().unwrap_or("");
            tx.execute_batch(step).map_err(|e| map_err(&path, e))?;
            version += 1;
            tx.execute_batch(&format!("PRAGMA user_version = {version}")).map_err(|e| map_err(&path, e))?;
        }
        tx.commit().map_err(|e| map_err(&path, e))
    }

    fn write_tx(&mut self) -> Result<(Transaction<'_>, PathBuf)> {
        let path = self.path.clone();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| map_err(&path, e))?;
        Ok((tx, path))
    }

    /// The change counter: bumped by every lock, password change, deletion, membership
    /// change or token revocation. wicketd's credential cache keys on it.
    pub fn generation(&self) -> Result<i64> {
        let mut stmt =
            self.conn.prepare_cached("SELECT value FROM meta WHERE key = 'generation'").map_err(self.err())?;
        stmt.query_row([], |r| r.get(0)).map_err(self.err())
    }

    /// `PRAGMA integrity_check` — `"ok"` for a healthy file.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(self.err())
    }

    // ----- users -----

    /// Creates a user (and its Digest values) in one transaction.
    pub fn add_user(
        &mut self,
        new: &NewUser,
        defaults: &UsersConfig,
        password: Option<&PasswordRecord>,
        now: i64,
    ) -> Result<User> {
        let (tx, path) = self.write_tx()?;
        insert_user(&tx, &path, new, defaults, password, now)?;
        tx.commit().map_err(|e| map_err(&path, e))?;
        self.get_user(&new.name)?.ok_or_else(|| Error::NoSuchUser(new.name.clone()))
    }

    /// Creates many users in one transaction (imports): all or nothing.
    pub fn add_users(
        &mut self,
        users: &[(NewUser, Option<PasswordRecord>)],
        defaults: &UsersConfig,
        now: i64,
    ) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        for (new, password) in users {
            insert_user(&tx, &path, new, defaults, password.as_ref(), now)?;
        }
        tx.commit().map_err(|e| map_err(&path, e))
    }

    /// True when a user by that name exists.
    pub fn user_exists(&self, name: &str) -> Result<bool> {
        self.conn
            .query_row("SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)", [name], |r| r.get(0))
            .map_err(self.err())
    }

    /// Replaces a user's password and Digest values.
    pub fn set_password(&mut self, name: &str, record: &PasswordRecord, now: i64) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let id: Option<i64> =
            tx.query_row("SELECT id FROM users WHERE name = ?1", [name], |r| r.get(0)).optional().map_err(e)?;
        let id = id.ok_or_else(|| Error::NoSuchUser(name.to_string()))?;
        tx.execute(
            "UPDATE users SET password_hash = ?1, password_changed_at = ?2, updated_at = ?2 WHERE id = ?3",
            params![record.hash, now, id],
        )
        .map_err(e)?;
        tx.execute("DELETE FROM digest_ha1 WHERE user_id = ?1", [id]).map_err(e)?;
        insert_ha1(&tx, id, &record.ha1).map_err(e)?;
        tx.commit().map_err(e)
    }

    /// Replaces the hash only if it is still `old_hash` (an upgrade after login must not undo
    /// a password change made meanwhile). Returns whether it was replaced.
    pub fn upgrade_password(&mut self, name: &str, old_hash: &str, record: &PasswordRecord) -> Result<bool> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let id: Option<i64> = tx
            .query_row("SELECT id FROM users WHERE name = ?1 AND password_hash = ?2", [name, old_hash], |r| r.get(0))
            .optional()
            .map_err(e)?;
        let Some(id) = id else { return Ok(false) };
        tx.execute("UPDATE users SET password_hash = ?1 WHERE id = ?2", params![record.hash, id]).map_err(e)?;
        tx.execute("DELETE FROM digest_ha1 WHERE user_id = ?1", [id]).map_err(e)?;
        insert_ha1(&tx, id, &record.ha1).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(true)
    }

    /// Deletes a user (memberships, tokens and Digest values go with it).
    pub fn delete_user(&mut self, name: &str) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let n = tx.execute("DELETE FROM users WHERE name = ?1", [name]).map_err(|e| map_err(&path, e))?;
        if n == 0 {
            return Err(Error::NoSuchUser(name.to_string()));
        }
        tx.commit().map_err(|e| map_err(&path, e))
    }

    /// Sets active/locked/disabled.
    pub fn set_state(&mut self, name: &str, state: AccountState, now: i64) -> Result<()> {
        self.update_user_field(
            name,
            "UPDATE users SET state = ?1, updated_at = ?2 WHERE name = ?3",
            &state.as_str(),
            now,
        )
    }

    /// Sets or clears the expiry.
    pub fn set_expiry(&mut self, name: &str, expires_at: Option<i64>, now: i64) -> Result<()> {
        self.update_user_field(
            name,
            "UPDATE users SET expires_at = ?1, updated_at = ?2 WHERE name = ?3",
            &expires_at,
            now,
        )
    }

    fn update_user_field(&mut self, name: &str, sql: &str, value: &dyn rusqlite::ToSql, now: i64) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let n = tx.execute(sql, params![value, now, name]).map_err(|e| map_err(&path, e))?;
        if n == 0 {
            return Err(Error::NoSuchUser(name.to_string()));
        }
        tx.commit().map_err(|e| map_err(&path, e))
    }

    /// A user by name, with groups.
    pub fn get_user(&self, name: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1");
        let user = self
            .conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_row([name], user_from_row).optional())
            .map_err(self.err())?;
        self.with_groups(user)
    }

    /// A user by uid, with groups.
    pub fn get_user_by_uid(&self, uid: u32) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE uid = ?1");
        let user = self.conn.query_row(&sql, [uid], user_from_row).optional().map_err(self.err())?;
        self.with_groups(user)
    }

    fn with_groups(&self, user: Option<User>) -> Result<Option<User>> {
        let Some(mut u) = user else { return Ok(None) };
        u.groups = self.groups_of(u.id)?;
        Ok(Some(u))
    }

    /// Group names of a user, sorted.
    pub fn groups_of(&self, user_id: i64) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT g.name FROM memberships m JOIN groups g ON g.id = m.group_id WHERE m.user_id = ?1 ORDER BY g.name")
            .map_err(self.err())?;
        let rows = stmt.query_map([user_id], |r| r.get(0)).map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<String>>>().map_err(self.err())
    }

    /// Every user, sorted by name, with groups.
    pub fn list_users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name");
        let mut stmt = self.conn.prepare(&sql).map_err(self.err())?;
        let users = stmt.query_map([], user_from_row).map_err(self.err())?;
        let mut users = users.collect::<rusqlite::Result<Vec<User>>>().map_err(self.err())?;
        for u in &mut users {
            u.groups = self.groups_of(u.id)?;
        }
        Ok(users)
    }

    /// The HA1 for a user, realm and algorithm.
    pub fn get_ha1(&self, name: &str, realm: &str, algorithm: DigestAlgorithm) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT d.ha1 FROM digest_ha1 d JOIN users u ON u.id = d.user_id \
                 WHERE u.name = ?1 AND d.realm = ?2 AND d.algorithm = ?3",
                params![name, realm, algorithm.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err())
    }

    /// The user whose `H(user:realm)` is `userhash`, for Digest `userhash=true`.
    pub fn user_by_userhash(&self, userhash: &str, realm: &str, algorithm: DigestAlgorithm) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT u.name FROM digest_ha1 d JOIN users u ON u.id = d.user_id \
                 WHERE d.userhash = ?1 AND d.realm = ?2 AND d.algorithm = ?3",
                params![userhash, realm, algorithm.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err())
    }

    // ----- groups -----

    /// Creates a group with a fixed or allocated gid.
    pub fn add_group(&mut self, name: &str, gid: Option<u32>, defaults: &UsersConfig, now: i64) -> Result<Group> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let exists: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM groups WHERE name = ?1)", [name], |r| r.get(0)).map_err(e)?;
        if exists {
            return Err(Error::GroupExists(name.to_string()));
        }
        let gid = match gid {
            Some(g) => {
                let used: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM groups WHERE gid = ?1) OR EXISTS (SELECT 1 FROM users WHERE gid = ?1 OR uid = ?1)",
                        [g],
                        |r| r.get(0),
                    )
                    .map_err(e)?;
                if used {
                    return Err(Error::IdInUse(g));
                }
                g
            }
            None => allocate_id(&tx, defaults.uid_min, defaults.uid_max).map_err(|err| match err {
                AllocError::Db(x) => map_err(&path, x),
                AllocError::Full => Error::NoFreeId { min: defaults.uid_min, max: defaults.uid_max },
            })?,
        };
        tx.execute("INSERT INTO groups (name, gid, created_at) VALUES (?1, ?2, ?3)", params![name, gid, now])
            .map_err(e)?;
        tx.commit().map_err(e)?;
        self.get_group(name)?.ok_or_else(|| Error::NoSuchGroup(name.to_string()))
    }

    /// Deletes a group (memberships go with it).
    pub fn delete_group(&mut self, name: &str) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let n = tx.execute("DELETE FROM groups WHERE name = ?1", [name]).map_err(|e| map_err(&path, e))?;
        if n == 0 {
            return Err(Error::NoSuchGroup(name.to_string()));
        }
        tx.commit().map_err(|e| map_err(&path, e))
    }

    /// A group by name, with members.
    pub fn get_group(&self, name: &str) -> Result<Option<Group>> {
        let g = self
            .conn
            .query_row("SELECT id, name, gid FROM groups WHERE name = ?1", [name], |r| {
                Ok(Group { id: r.get(0)?, name: r.get(1)?, gid: r.get(2)?, members: Vec::new() })
            })
            .optional()
            .map_err(self.err())?;
        self.with_members(g)
    }

    /// A group by gid, with members.
    pub fn get_group_by_gid(&self, gid: u32) -> Result<Option<Group>> {
        let g = self
            .conn
            .query_row("SELECT id, name, gid FROM groups WHERE gid = ?1", [gid], |r| {
                Ok(Group { id: r.get(0)?, name: r.get(1)?, gid: r.get(2)?, members: Vec::new() })
            })
            .optional()
            .map_err(self.err())?;
        self.with_members(g)
    }

    fn with_members(&self, g: Option<Group>) -> Result<Option<Group>> {
        let Some(mut g) = g else { return Ok(None) };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT u.name FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.group_id = ?1 ORDER BY u.name")
            .map_err(self.err())?;
        let rows = stmt.query_map([g.id], |r| r.get(0)).map_err(self.err())?;
        g.members = rows.collect::<rusqlite::Result<Vec<String>>>().map_err(self.err())?;
        Ok(Some(g))
    }

    /// Every group, sorted by name, with members.
    pub fn list_groups(&self) -> Result<Vec<Group>> {
        let names: Vec<String> = {
            let mut stmt = self.conn.prepare("SELECT name FROM groups ORDER BY name").map_err(self.err())?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(self.err())?;
            rows.collect::<rusqlite::Result<_>>().map_err(self.err())?
        };
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            if let Some(g) = self.get_group(&n)? {
                out.push(g);
            }
        }
        Ok(out)
    }

    /// Adds `user` to `group`; returns false if it already was a member.
    pub fn add_member(&mut self, user: &str, group: &str) -> Result<bool> {
        self.membership(user, group, "INSERT OR IGNORE INTO memberships (user_id, group_id) VALUES (?1, ?2)")
    }

    /// Removes `user` from `group`; returns false if it was not a member.
    pub fn remove_member(&mut self, user: &str, group: &str) -> Result<bool> {
        self.membership(user, group, "DELETE FROM memberships WHERE user_id = ?1 AND group_id = ?2")
    }

    fn membership(&mut self, user: &str, group: &str, sql: &str) -> Result<bool> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let uid: Option<i64> =
            tx.query_row("SELECT id FROM users WHERE name = ?1", [user], |r| r.get(0)).optional().map_err(e)?;
        let uid = uid.ok_or_else(|| Error::NoSuchUser(user.to_string()))?;
        let gid: Option<i64> =
            tx.query_row("SELECT id FROM groups WHERE name = ?1", [group], |r| r.get(0)).optional().map_err(e)?;
        let gid = gid.ok_or_else(|| Error::NoSuchGroup(group.to_string()))?;
        let n = tx.execute(sql, [uid, gid]).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(n > 0)
    }

    // ----- tokens -----

    /// Records a token by its hash.
    pub fn add_token(
        &mut self,
        owner: &str,
        name: &str,
        hash: &str,
        scopes: &[String],
        expires_at: Option<i64>,
        now: i64,
    ) -> Result<TokenInfo> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let uid: Option<i64> =
            tx.query_row("SELECT id FROM users WHERE name = ?1", [owner], |r| r.get(0)).optional().map_err(e)?;
        let uid = uid.ok_or_else(|| Error::NoSuchUser(owner.to_string()))?;
        let exists: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM tokens WHERE owner_id = ?1 AND name = ?2)",
                params![uid, name],
                |r| r.get(0),
            )
            .map_err(e)?;
        if exists {
            return Err(Error::TokenExists { owner: owner.to_string(), name: name.to_string() });
        }
        tx.execute(
            "INSERT INTO tokens (hash, name, owner_id, scopes, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![hash, name, uid, scopes.join(" "), now, expires_at],
        )
        .map_err(e)?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(e)?;
        let sql = format!("{TOKEN_SELECT} WHERE t.id = ?1");
        self.conn.query_row(&sql, [id], token_from_row).map_err(self.err())
    }

    /// Tokens, of one owner or all, oldest first.
    pub fn list_tokens(&self, owner: Option<&str>) -> Result<Vec<TokenInfo>> {
        let sql = format!("{TOKEN_SELECT} WHERE (?1 IS NULL OR u.name = ?1) ORDER BY u.name, t.created_at, t.id");
        let mut stmt = self.conn.prepare(&sql).map_err(self.err())?;
        let rows = stmt.query_map([owner], token_from_row).map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.err())
    }

    /// Revokes a token (idempotent for an already revoked one).
    pub fn revoke_token(&mut self, owner: &str, name: &str, now: i64) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let n = tx
            .execute(
                "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?1) \
                 WHERE name = ?2 AND owner_id = (SELECT id FROM users WHERE name = ?3)",
                params![now, name, owner],
            )
            .map_err(e)?;
        if n == 0 {
            return Err(Error::NoSuchToken { owner: owner.to_string(), name: name.to_string() });
        }
        tx.commit().map_err(e)
    }

    /// The token with this hash and its owner.
    pub fn find_token(&self, hash: &str) -> Result<Option<(TokenInfo, User)>> {
        let sql = format!("{TOKEN_SELECT} WHERE t.hash = ?1");
        let t = self
            .conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_row([hash], token_from_row).optional())
            .map_err(self.err())?;
        let Some(t) = t else { return Ok(None) };
        Ok(self.get_user(&t.owner)?.map(|u| (t, u)))
    }

    /// Records last use for a batch of tokens (wicketd flushes these periodically).
    pub fn touch_tokens(&mut self, uses: &[(i64, i64)]) -> Result<()> {
        if uses.is_empty() {
            return Ok(());
        }
        let (tx, path) = self.write_tx()?;
        {
            let mut stmt = tx
                .prepare("UPDATE tokens SET last_used_at = MAX(COALESCE(last_used_at, 0), ?1) WHERE id = ?2")
                .map_err(|e| map_err(&path, e))?;
            for (id, at) in uses {
                stmt.execute(params![at, id]).map_err(|e| map_err(&path, e))?;
            }
        }
        tx.commit().map_err(|e| map_err(&path, e))
    }
}

fn insert_user(
    tx: &Transaction<'_>,
    path: &Path,
    new: &NewUser,
    defaults: &UsersConfig,
    password: Option<&PasswordRecord>,
    now: i64,
) -> Result<()> {
    let e = |err| map_err(path, err);
    let exists: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)", [&new.name], |r| r.get(0)).map_err(e)?;
    if exists {
        return Err(Error::UserExists(new.name.clone()));
    }
    let uid = match new.uid {
        Some(uid) => {
            let used: bool = tx
                .query_row("SELECT EXISTS (SELECT 1 FROM users WHERE uid = ?1) OR EXISTS (SELECT 1 FROM groups WHERE gid = ?1)", [uid], |r| r.get(0))
                .map_err(e)?;
            if used {
                return Err(Error::IdInUse(uid));
            }
            uid
        }
        None => allocate_id(tx, defaults.uid_min, defaults.uid_max).map_err(|err| match err {
            AllocError::Db(x) => map_err(path, x),
            AllocError::Full => Error::NoFreeId { min: defaults.uid_min, max: defaults.uid_max },
        })?,
    };
    let gid = new.gid.unwrap_or(uid);
    let home = new.home.clone().unwrap_or_else(|| defaults.home.replace("{user}", &new.name));
    let shell = new.shell.clone().unwrap_or_else(|| defaults.shell.clone());
    tx.execute(
        "INSERT INTO users (name, uid, gid, display_name, email, home, shell, state, expires_at, \
         password_hash, password_changed_at, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8, ?9, ?10, ?11, ?11)",
        params![
            new.name,
            uid,
            gid,
            new.display_name,
            new.email,
            home,
            shell,
            new.expires_at,
            password.map(|p| &p.hash),
            password.map(|_| now),
            now
        ],
    )
    .map_err(e)?;
    let id = tx.last_insert_rowid();
    if let Some(p) = password {
        insert_ha1(tx, id, &p.ha1).map_err(e)?;
    }
    Ok(())
}

fn insert_ha1(tx: &Transaction<'_>, user_id: i64, entries: &[Ha1Entry]) -> rusqlite::Result<()> {
    for h in entries {
        tx.execute(
            "INSERT OR REPLACE INTO digest_ha1 (user_id, realm, algorithm, ha1, userhash) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![user_id, h.realm, h.algorithm.as_str(), h.ha1, h.userhash],
        )?;
    }
    Ok(())
}

enum AllocError {
    Db(rusqlite::Error),
    Full,
}

/// Lowest id in `min..=max` used by no user (uid or gid) and no group.
fn allocate_id(tx: &Transaction<'_>, min: u32, max: u32) -> std::result::Result<u32, AllocError> {
    let mut stmt = tx
        .prepare(
            "SELECT id FROM (SELECT uid AS id FROM users UNION SELECT gid FROM users UNION SELECT gid FROM groups) \
             WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
        )
        .map_err(AllocError::Db)?;
    let used = stmt.query_map([min, max], |r| r.get::<_, u32>(0)).map_err(AllocError::Db)?;
    let mut candidate = min;
    for id in used {
        let id = id.map_err(AllocError::Db)?;
        if id > candidate {
            break;
        }
        if id == candidate {
            candidate = candidate.checked_add(1).ok_or(AllocError::Full)?;
        }
    }
    if candidate > max { Err(AllocError::Full) } else { Ok(candidate) }
}

/// While opening: SQLite's "file is not a database" becomes one plain [`Error::NotADatabase`].
fn not_a_database(e: Error) -> Error {
    match e {
        Error::Store { path, source: rusqlite::Error::SqliteFailure(f, _) } if f.code == ErrorCode::NotADatabase => {
            Error::NotADatabase { path, why: "file is not a database" }
        }
        other => other,
    }
}

fn map_err(path: &Path, e: rusqlite::Error) -> Error {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) {
            return Error::Busy(path.to_path_buf());
        }
    }
    Error::Store { path: path.to_path_buf(), source: e }
}

/// Creates the file 0600 if it does not exist, and its directory 0750 if that is missing.
fn create_private_file(path: &Path) -> Result<()> {
    let io = |e| Error::Io { path: path.to_path_buf(), source: e };
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o750)
                .create(dir)
                .map_err(|e| Error::Io { path: dir.to_path_buf(), source: e })?;
        }
    }
    match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(f) => adopt_directory_owner(path, &f).map_err(io),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io(e)),
    }
}

/// When root creates the store inside a directory owned by someone else (the `wicket`
/// service user's `/var/lib/wicket`), hand the file to that owner so the daemon can open it.
/// SQLite gives its `-wal`/`-shm` files the database file's owner when running as root.
fn adopt_directory_owner(path: &Path, file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else { return Ok(()) };
    let (me, parent) = (file.metadata()?, std::fs::metadata(dir)?);
    if me.uid() == 0 && parent.uid() != 0 {
        std::os::unix::fs::fchown(file, Some(parent.uid()), Some(parent.gid()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
