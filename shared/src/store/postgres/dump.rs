//! [`StoreDump`] in and out of a PostgreSQL database (`wicket store copy`).

use super::PgStore;
use crate::error::Result;
use crate::store::dump::{Cell, Kind, StoreDump, TABLES, check_tables, not_empty};
use postgres::GenericClient;
use postgres::types::ToSql;

/// Tables whose `id` is an identity: after rows with their own ids, the next id follows them.
const IDENTITIES: &[&str] = &["users", "groups", "tokens", "events"];

impl PgStore {
    /// Every row, read in one `REPEATABLE READ` transaction (one snapshot).
    pub fn dump(&self) -> Result<StoreDump> {
        let location = self.location.clone();
        self.read(|c, e| {
            let mut tx = c
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .map_err(e)?;
            check_tables(&location, &table_names(&mut tx).map_err(e)?)?;
            let mut dump = StoreDump::default();
            for table in TABLES {
                let sql = format!("SELECT {} FROM {} ORDER BY {}", table.column_list(), table.name, table.order_by);
                let mut rows = Vec::new();
                for row in tx.query(&sql, &[]).map_err(e)? {
                    let mut cells = Vec::with_capacity(table.columns.len());
                    for (i, (_, kind)) in table.columns.iter().enumerate() {
                        let cell = match kind {
                            Kind::Int => row.try_get::<_, Option<i64>>(i).map_err(e)?.map(Cell::Int),
                            Kind::Text => row.try_get::<_, Option<String>>(i).map_err(e)?.map(Cell::Text),
                            Kind::Bytes => row.try_get::<_, Option<Vec<u8>>>(i).map_err(e)?.map(Cell::Bytes),
                            Kind::Bool => row.try_get::<_, Option<bool>>(i).map_err(e)?.map(Cell::Bool),
                        };
                        cells.push(cell.unwrap_or(Cell::Null));
                    }
                    rows.push(cells);
                }
                dump.tables.push((table.name, rows));
            }
            tx.commit().map_err(e)?;
            Ok(dump)
        })
    }

    /// Writes every row of `dump` in one write transaction, refusing a database that has
    /// any data; the identity sequences then continue after the copied ids.
    pub fn load(&self, dump: &StoreDump) -> Result<()> {
        let location = self.location.clone();
        self.write(|tx, e| {
            check_tables(&location, &table_names(tx).map_err(e)?)?;
            for table in TABLES {
                let any: bool = tx
                    .query_one(&format!("SELECT EXISTS (SELECT 1 FROM {})", table.name), &[])
                    .map_err(e)?
                    .try_get(0)
                    .map_err(e)?;
                if any {
                    return Err(not_empty(&location, table.name));
                }
            }
            for table in TABLES {
                let marks = (1..=table.columns.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
                let sql = format!("INSERT INTO {} ({}) VALUES ({marks})", table.name, table.column_list());
                let stmt = tx.prepare(&sql).map_err(e)?;
                for row in dump.rows(table.name) {
                    let values: Vec<Box<dyn ToSql + Sync>> =
                        row.iter().zip(table.columns).map(|(c, (_, kind))| param(c, *kind)).collect();
                    let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(AsRef::as_ref).collect();
                    tx.execute(&stmt, &refs).map_err(e)?;
                }
            }
            for table in IDENTITIES {
                tx.execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                         (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                    ),
                    &[],
                )
                .map_err(e)?;
            }
            Ok(())
        })
    }
}

fn table_names(c: &mut impl GenericClient) -> Result<Vec<String>, postgres::Error> {
    let rows = c.query("SELECT tablename::TEXT FROM pg_tables WHERE schemaname = current_schema()", &[])?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

/// A cell as a parameter of its column's type (a typed NULL for a NULL).
fn param(c: &Cell, kind: Kind) -> Box<dyn ToSql + Sync> {
    match (c, kind) {
        (Cell::Int(i), _) => Box::new(*i),
        (Cell::Text(t), _) => Box::new(t.clone()),
        (Cell::Bytes(b), _) => Box::new(b.clone()),
        (Cell::Bool(b), _) => Box::new(*b),
        (Cell::Null, Kind::Int) => Box::new(None::<i64>),
        (Cell::Null, Kind::Text) => Box::new(None::<String>),
        (Cell::Null, Kind::Bytes) => Box::new(None::<Vec<u8>>),
        (Cell::Null, Kind::Bool) => Box::new(None::<bool>),
    }
}
