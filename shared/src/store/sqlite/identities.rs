//! External identities (OpenID Connect subjects) and the Wicket user each signs in as.
//! A created (`oidc`) name belongs to one subject of one provider; a local user is linked
//! to at most one subject per provider. A local user's links go when it is deleted and
//! follow it when it is renamed (triggers in the migration).

use super::{SqliteStore, map_err};
use crate::error::{Error, Result};
use crate::store::ExternalIdentity;
use rusqlite::{OptionalExtension, Row, params};

const SELECT: &str = "SELECT provider, subject, backend, user_name, created_at, last_login FROM external_identities";

fn from_row(r: &Row<'_>) -> rusqlite::Result<ExternalIdentity> {
    Ok(ExternalIdentity {
        provider: r.get(0)?,
        subject: r.get(1)?,
        backend: r.get(2)?,
        user_name: r.get(3)?,
        created_at: r.get(4)?,
        last_login: r.get(5)?,
    })
}

impl SqliteStore {
    /// The identity of `subject` at `provider`.
    pub fn find_identity(&self, provider: &str, subject: &str) -> Result<Option<ExternalIdentity>> {
        let mut stmt =
            self.conn.prepare_cached(&format!("{SELECT} WHERE provider = ?1 AND subject = ?2")).map_err(self.err())?;
        stmt.query_row([provider, subject], from_row).optional().map_err(self.err())
    }

    /// Records a new identity. A name already held (a created name by any subject, a local
    /// user by another subject of the same provider) is [`Error::UserExists`].
    pub fn add_identity(&mut self, id: &ExternalIdentity) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let done = tx.execute(
            "INSERT INTO external_identities (provider, subject, backend, user_name, created_at, last_login) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id.provider, id.subject, id.backend, id.user_name, id.created_at, id.last_login],
        );
        match done {
            Ok(_) => tx.commit().map_err(|e| map_err(&path, e)),
            Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                Err(Error::UserExists(id.user_name.clone()))
            }
            Err(e) => Err(map_err(&path, e)),
        }
    }

    /// Records a sign-in of an identity.
    pub fn touch_identity(&mut self, provider: &str, subject: &str, now: i64) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        tx.execute(
            "UPDATE external_identities SET last_login = ?3 WHERE provider = ?1 AND subject = ?2",
            params![provider, subject, now],
        )
        .map_err(e)?;
        tx.commit().map_err(e)
    }

    /// Every identity, by provider and name.
    pub fn list_identities(&self) -> Result<Vec<ExternalIdentity>> {
        let mut stmt =
            self.conn.prepare_cached(&format!("{SELECT} ORDER BY provider, user_name")).map_err(self.err())?;
        let rows = stmt.query_map([], from_row).map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::UsersConfig;
    use crate::store::NewUser;
    use std::time::Duration;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let s = SqliteStore::open(&dir.path().join("w.db"), Duration::from_secs(1)).unwrap_or_else(|e| panic!("{e}"));
        (dir, s)
    }

    fn id(provider: &str, subject: &str, backend: &str, name: &str) -> ExternalIdentity {
        ExternalIdentity {
            provider: provider.into(),
            subject: subject.into(),
            backend: backend.into(),
            user_name: name.into(),
            created_at: 10,
            last_login: None,
        }
    }

    #[test]
    fn a_subject_keeps_its_name_and_a_created_name_has_one_owner() {
        let (_d, mut s) = store();
        s.add_identity(&id("Example", "sub-1", "oidc", "carol")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.find_identity("Example", "sub-1").ok().flatten().map(|i| i.user_name), Some("carol".into()));
        assert_eq!(s.find_identity("Example", "sub-2").ok().flatten(), None);
        assert_eq!(s.find_identity("Other", "sub-1").ok().flatten(), None);
        // Another subject (same or other provider) cannot take the created name.
        for (p, sub) in [("Example", "sub-2"), ("Other", "x")] {
            assert!(matches!(s.add_identity(&id(p, sub, "oidc", "carol")), Err(Error::UserExists(_))));
        }
        // The same subject twice is refused too.
        assert!(s.add_identity(&id("Example", "sub-1", "oidc", "carol2")).is_err());
        s.touch_identity("Example", "sub-1", 99).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.list_identities().unwrap_or_default()[0].last_login, Some(99));
    }

    #[test]
    fn local_links_follow_the_user() {
        let (_d, mut s) = store();
        let users = UsersConfig::default();
        s.add_user(&NewUser { name: "alice".into(), ..NewUser::default() }, &users, None, 1)
            .unwrap_or_else(|e| panic!("{e}"));
        s.add_identity(&id("Example", "a", "local", "alice")).unwrap_or_else(|e| panic!("{e}"));
        // One subject per provider for a local user; another provider may link too.
        assert!(s.add_identity(&id("Example", "b", "local", "alice")).is_err());
        s.add_identity(&id("Other", "a", "local", "alice")).unwrap_or_else(|e| panic!("{e}"));
        s.rename_user("alice", "alicia", 2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.find_identity("Example", "a").ok().flatten().map(|i| i.user_name), Some("alicia".into()));
        s.delete_user("alicia").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.list_identities().unwrap_or_default(), vec![]);
    }
}
