//! [`StoreDump`] in and out of an SQLite file (`wicket store copy`).

use super::{SqliteStore, map_err};
use crate::error::Result;
use crate::store::dump::{Cell, Kind, StoreDump, TABLES, check_tables, not_empty};
use rusqlite::types::Value;
use rusqlite::{Connection, TransactionBehavior};

impl SqliteStore {
    /// Every row, read in one transaction (one snapshot).
    pub fn dump(&mut self) -> Result<StoreDump> {
        let path = self.path.clone();
        let e = |err| map_err(&path, err);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Deferred).map_err(e)?;
        check_tables(&path.display().to_string(), &table_names(&tx).map_err(e)?)?;
        let mut dump = StoreDump::default();
        for table in TABLES {
            let sql = format!("SELECT {} FROM {} ORDER BY {}", table.column_list(), table.name, table.order_by);
            let mut stmt = tx.prepare(&sql).map_err(e)?;
            let rows = stmt
                .query_map([], |r| {
                    (0..table.columns.len()).map(|i| Ok(cell(r.get::<_, Value>(i)?, table.columns[i].1))).collect()
                })
                .map_err(e)?
                .collect::<rusqlite::Result<Vec<Vec<Cell>>>>()
                .map_err(e)?;
            dump.tables.push((table.name, rows));
        }
        drop(tx);
        Ok(dump)
    }

    /// Writes every row of `dump` in one transaction, refusing a store that has any data.
    pub fn load(&mut self, dump: &StoreDump) -> Result<()> {
        let path = self.path.clone();
        let location = path.display().to_string();
        let e = |err| map_err(&path, err);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(e)?;
        check_tables(&location, &table_names(&tx).map_err(e)?)?;
        for table in TABLES {
            let any: bool =
                tx.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {})", table.name), [], |r| r.get(0)).map_err(e)?;
            if any {
                return Err(not_empty(&location, table.name));
            }
        }
        for table in TABLES {
            let marks = (1..=table.columns.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
            let sql = format!("INSERT INTO {} ({}) VALUES ({marks})", table.name, table.column_list());
            let mut stmt = tx.prepare(&sql).map_err(e)?;
            for row in dump.rows(table.name) {
                stmt.execute(rusqlite::params_from_iter(row.iter().map(value))).map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }
}

fn table_names(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

fn cell(v: Value, kind: Kind) -> Cell {
    match (v, kind) {
        (Value::Null, _) => Cell::Null,
        (Value::Integer(i), Kind::Bool) => Cell::Bool(i != 0),
        (Value::Integer(i), _) => Cell::Int(i),
        (Value::Text(t), _) => Cell::Text(t),
        (Value::Blob(b), _) => Cell::Bytes(b),
        // STRICT tables hold no REAL in these columns; kept exactly if one appears.
        (Value::Real(f), _) => Cell::Text(f.to_string()),
    }
}

fn value(c: &Cell) -> Value {
    match c {
        Cell::Null => Value::Null,
        Cell::Int(i) => Value::Integer(*i),
        Cell::Text(t) => Value::Text(t.clone()),
        Cell::Bytes(b) => Value::Blob(b.clone()),
        Cell::Bool(b) => Value::Integer(i64::from(*b)),
    }
}
