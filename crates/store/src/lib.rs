//! Durable records of the hub in SQLite: every message with its monotonic
//! id, which are still pending, the append-only audit log, the case record
//! of each booking, the FBI and IDENT repositories, and the simulator's
//! ground truth. Decides nothing about the flow.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{de::DeserializeOwned, Serialize};

use scomm_domain::agency::Subject;
use scomm_domain::immigration::IdentRecord;
use scomm_domain::{AuditLine, Case, Envelope};

mod schema;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database row {table}/{key}: stored record does not decode: {source}")]
    Decode {
        table: &'static str,
        key: String,
        source: serde_json::Error,
    },
    #[error("database schema version {found} is newer than this program knows ({known}); use a newer scomm")]
    TooNew { found: i64, known: i64 },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// An open database.
pub struct Store {
    conn: Connection,
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("domain values serialise")
}

fn decode<T: DeserializeOwned>(table: &'static str, key: impl ToString, body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|source| StoreError::Decode {
        table,
        key: key.to_string(),
        source,
    })
}

impl Store {
    /// Open (creating if needed) and migrate to the current schema.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Self::setup(conn)
    }

    /// A private in-memory database (tests, benchmarks of the logic alone).
    pub fn open_in_memory() -> Result<Store> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Store> {
        // WAL with synchronous=NORMAL: a commit survives a process crash (the
        // case we must survive); only an OS crash may lose the last commits.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Store { conn };
        schema::migrate(&mut store.conn)?;
        Ok(store)
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn begin(&mut self) -> Result<Tx<'_>> {
        Ok(Tx {
            tx: self.conn.transaction()?,
        })
    }

    /// Messages not yet processed, in delivery order.
    pub fn pending(&self) -> Result<Vec<Envelope>> {
        let mut stmt = self.conn.prepare(
            "SELECT m.id, m.body FROM pending p JOIN message m ON m.id = p.id ORDER BY p.deliver_at, p.id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (id, body) = row?;
            decode("message", id, &body)
        })
        .collect()
    }

    pub fn cases(&self) -> Result<Vec<Case>> {
        self.all(
            "booking_case",
            "SELECT booking, body FROM booking_case ORDER BY booking",
        )
    }

    pub fn subjects(&self) -> Result<Vec<Subject>> {
        self.all(
            "fbi_subject",
            "SELECT fbi_number, body FROM fbi_subject ORDER BY fbi_number",
        )
    }

    pub fn ident_records(&self) -> Result<Vec<IdentRecord>> {
        self.all(
            "ident_record",
            "SELECT fin, body FROM ident_record ORDER BY fin",
        )
    }

    /// Ground-truth rows the simulator wrote: (sample, body).
    pub fn persons<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        self.all("person", "SELECT sample, body FROM person ORDER BY sample")
    }

    /// Audit lines of one booking, oldest first: (message id, time, party, event).
    pub fn audit_of(&self, booking: u64) -> Result<Vec<(u64, i64, String, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT message_id, at, party, event FROM audit WHERE booking = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([booking as i64], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Count of rows in a table of this schema (for tests and progress).
    pub fn count(&self, table: &str) -> Result<u64> {
        assert!(schema::TABLES.contains(&table), "unknown table {table}");
        Ok(self
            .conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    fn all<T: DeserializeOwned>(&self, table: &'static str, sql: &str) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (key, body) = row?;
            decode(table, key, &body)
        })
        .collect()
    }
}

/// One transaction: everything written through it lands together or not at all.
pub struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl Tx<'_> {
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.tx.prepare_cached("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")?.execute(params![key, value])?;
        Ok(())
    }

    /// Record a new message and put it in the pending set.
    pub fn insert_message(&self, env: &Envelope) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO message (id, from_party, to_party, kind, booking, sent_at, deliver_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                env.id as i64,
                env.from.name(),
                env.to.name(),
                env.message.kind(),
                env.message.booking().map(|b| b.0 as i64),
                env.sent_at.0,
                env.deliver_at.0,
                json(env)
            ])?;
        self.tx
            .prepare_cached("INSERT INTO pending (id, deliver_at) VALUES (?1, ?2)")?
            .execute(params![env.id as i64, env.deliver_at.0])?;
        Ok(())
    }

    /// Mark a message processed; false if it was not pending (processed before).
    pub fn mark_processed(&self, id: u64) -> Result<bool> {
        let n = self
            .tx
            .prepare_cached("DELETE FROM pending WHERE id = ?1")?
            .execute([id as i64])?;
        Ok(n == 1)
    }

    pub fn insert_audit(&self, message_id: u64, at: i64, line: &AuditLine) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO audit (message_id, at, party, booking, event) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute(params![message_id as i64, at, line.party.name(), line.booking.map(|b| b.0 as i64), line.event])?;
        Ok(())
    }

    pub fn put_case(&self, case: &Case) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO booking_case (booking, ori, body) VALUES (?1, ?2, ?3) ON CONFLICT(booking) DO UPDATE SET body = excluded.body")?
            .execute(params![case.booking.0 as i64, case.ori.as_str(), json(case)])?;
        Ok(())
    }

    pub fn put_subject(&self, s: &Subject) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO fbi_subject (fbi_number, sample, body) VALUES (?1, ?2, ?3) ON CONFLICT(fbi_number) DO UPDATE SET body = excluded.body")?
            .execute(params![s.fbi_number.0 as i64, s.sample.0 as i64, json(s)])?;
        Ok(())
    }

    pub fn put_ident_record(&self, r: &IdentRecord) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO ident_record (fin, sample, body) VALUES (?1, ?2, ?3) ON CONFLICT(fin) DO UPDATE SET body = excluded.body")?
            .execute(params![r.fin.0 as i64, r.sample.0 as i64, json(r)])?;
        Ok(())
    }

    /// Ground truth about a synthetic person (written by the simulator only).
    pub fn put_person<T: Serialize>(&self, sample: u64, body: &T) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO person (sample, body) VALUES (?1, ?2) ON CONFLICT(sample) DO UPDATE SET body = excluded.body")?
            .execute(params![sample as i64, json(body)])?;
        Ok(())
    }

    pub fn commit(self) -> Result<()> {
        Ok(self.tx.commit()?)
    }
}

#[cfg(test)]
mod tests;
