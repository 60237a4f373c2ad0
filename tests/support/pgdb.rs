//! The suite on PostgreSQL: when `WICKET_TEST_PG` holds the URL of a PostgreSQL server
//! (`tests/with_postgres.sh` starts a throwaway cluster and sets it), every [`super::Env`]
//! gets a database of its own there instead of an SQLite file, and wicketd and `wicket`
//! use it through `[store] url` and `--db URL`. Each database is dropped with its `Env`.

use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming the server: `postgresql://USER@HOST:PORT` (no database, no query).
pub const VAR: &str = "WICKET_TEST_PG";

/// One test's database.
pub struct PgDb {
    server: String,
    name: String,
    /// What wicketd and `wicket` are given.
    pub url: String,
}

impl PgDb {
    /// A new database when the run is on PostgreSQL, else `None`.
    pub fn for_run() -> Option<Self> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let server = std::env::var(VAR).ok().filter(|v| !v.is_empty())?;
        let server = server.trim_end_matches('/').to_string();
        let name = format!("t{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        admin(&server, &format!("CREATE DATABASE {name}"));
        let url = format!("{server}/{name}?sslmode=disable");
        Some(Self { server, name, url })
    }

    /// Closes the database to new connections and ends every session on it (waiting for
    /// each to be gone): whatever needs the store from now on fails.
    pub fn close(&self) {
        admin(&self.server, &format!("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false", self.name));
        admin(
            &self.server,
            &format!("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '{}'", self.name),
        );
    }

    /// One row's value for a query with one text parameter (`$1`).
    pub fn query_one<T>(&self, sql: &str, arg: &str, get: impl FnOnce(&postgres::Row) -> T) -> Result<T, String> {
        let mut c = self.connect()?;
        c.query_one(sql, &[&arg]).map(|r| get(&r)).map_err(|e| e.to_string())
    }

    /// The first column of every row of a query without parameters, as text.
    pub fn query_all(&self, sql: &str) -> Result<Vec<String>, String> {
        let mut c = self.connect()?;
        Ok(c.query(sql, &[]).map_err(|e| e.to_string())?.iter().map(|r| r.get(0)).collect())
    }

    /// Every row of every table of the database as text (`ROW::text`, bytes in hex), one
    /// line each, prefixed by its table and sorted: to compare the store before and after
    /// a command, and to look for a secret in any column.
    pub fn snapshot(&self) -> Result<String, String> {
        let mut c = self.connect()?;
        let tables: Vec<String> = c
            .query("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", &[])
            .map_err(|e| e.to_string())?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut out = String::new();
        for t in tables {
            // The names come from the catalogue; quoted as identifiers.
            let q = format!("SELECT t::text FROM \"{}\" t ORDER BY 1", t.replace('"', "\"\""));
            for r in c.query(&q, &[]).map_err(|e| e.to_string())? {
                let row: String = r.get(0);
                out.push_str(&format!("{t}: {row}\n"));
            }
        }
        Ok(out)
    }

    fn connect(&self) -> Result<postgres::Client, String> {
        postgres::Client::connect(&self.url, postgres::NoTls).map_err(|e| e.to_string())
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        // Best effort (the whole cluster goes at the end of the run anyway); never a panic
        // in a drop that may run while a failed test unwinds.
        if let Ok(mut c) = connect(&self.server) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

fn connect(server: &str) -> Result<postgres::Client, postgres::Error> {
    postgres::Client::connect(&format!("{server}/postgres?sslmode=disable"), postgres::NoTls)
}

/// Runs one statement as the server's superuser, on its `postgres` database.
fn admin(server: &str, sql: &str) {
    let mut c = connect(server).unwrap_or_else(|e| panic!("{VAR}={server}: {e}"));
    c.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}
