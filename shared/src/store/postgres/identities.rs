//! External identities: which Wicket user an OpenID Connect subject signs in as. A local
//! user's links follow a rename and go with the user (triggers, migration 6).

use super::PgStore;
use crate::error::{Error, Result};
use crate::store::ExternalIdentity;
use postgres::Row;
use postgres::error::SqlState;

const SELECT: &str = "SELECT provider, subject, backend, user_name, created_at, last_login FROM external_identities";

fn from_row(r: &Row) -> std::result::Result<ExternalIdentity, postgres::Error> {
    Ok(ExternalIdentity {
        provider: r.try_get(0)?,
        subject: r.try_get(1)?,
        backend: r.try_get(2)?,
        user_name: r.try_get(3)?,
        created_at: r.try_get(4)?,
        last_login: r.try_get(5)?,
    })
}

impl PgStore {
    /// The Wicket user a provider's subject signs in as.
    pub fn find_identity(&self, provider: &str, subject: &str) -> Result<Option<ExternalIdentity>> {
        self.read(|c, e| {
            let row = c
                .query_opt(&format!("{SELECT} WHERE provider = $1 AND subject = $2"), &[&provider, &subject])
                .map_err(e)?;
            row.map(|r| from_row(&r)).transpose().map_err(e)
        })
    }

    /// Records a subject; a name another subject holds is [`Error::UserExists`].
    pub fn add_identity(&mut self, id: &ExternalIdentity) -> Result<()> {
        self.write(|tx, e| {
            let done = tx.execute(
                "INSERT INTO external_identities (provider, subject, backend, user_name, created_at, last_login) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&id.provider, &id.subject, &id.backend, &id.user_name, &id.created_at, &id.last_login],
            );
            match done {
                Ok(_) => Ok(()),
                Err(err) if err.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                    Err(Error::UserExists(id.user_name.clone()))
                }
                Err(err) => Err(e(err)),
            }
        })
    }

    /// Records a sign-in of a subject.
    pub fn touch_identity(&mut self, provider: &str, subject: &str, now: i64) -> Result<()> {
        self.write(|tx, e| {
            tx.execute(
                "UPDATE external_identities SET last_login = $3 WHERE provider = $1 AND subject = $2",
                &[&provider, &subject, &now],
            )
            .map_err(e)
            .map(|_| ())
        })
    }

    /// Every recorded subject, by provider and name.
    pub fn list_identities(&self) -> Result<Vec<ExternalIdentity>> {
        self.read(|c, e| {
            let rows = c.query(&format!("{SELECT} ORDER BY provider, user_name"), &[]).map_err(e)?;
            rows.iter().map(from_row).collect::<std::result::Result<Vec<_>, _>>().map_err(e)
        })
    }
}
