//! Durable records of the hub in SQLite: every message with its monotonic
//! id, the delivery cursor that says which are processed, the append-only audit log, the case record
//! of each booking, the FBI and IDENT repositories, and the simulator's
//! ground truth. Decides nothing about the flow.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{de::DeserializeOwned, Serialize};

use scomm_domain::agency::Subject;
use scomm_domain::immigration::IdentRecord;
use scomm_domain::{AuditLine, Case, Envelope, Party, SimTime};

mod raw;
mod schema;

use raw::{RawStatement, Value};

// Each cause is part of the text and not the error's source: a caller that
// prints the chain says it once.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {}", sqlite_reason(error))]
    Open {
        path: String,
        error: rusqlite::Error,
    },
    #[error("database: {}", sqlite_reason(.0))]
    Sql(rusqlite::Error),
    #[error("database row {table}/{key}: stored record does not decode: {error}")]
    Decode {
        table: &'static str,
        key: String,
        error: serde_json::Error,
    },
    #[error("database: {0}")]
    Corrupt(String),
    #[error("database schema version {found} is newer than this program knows ({known}); use a newer scomm")]
    TooNew { found: i64, known: i64 },
}

/// SQLite's message and, where it does not say it, the cause rusqlite
/// chains to it (SQLite's result code, "Error code 26: ...").
fn sqlite_reason(error: &rusqlite::Error) -> String {
    let text = error.to_string();
    match std::error::Error::source(error).map(|cause| cause.to_string()) {
        Some(cause) if !text.contains(&cause) => format!("{text}: {cause}"),
        _ => text,
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Sql(error)
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// WAL pages (16 KiB) after which a commit checkpoints: 256 MiB.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 16_384;

/// A connection that only checkpoints the WAL (see [`Store::checkpointer`]).
pub struct Checkpointer {
    conn: Connection,
}

impl Checkpointer {
    /// Copy the WAL's committed frames into the database file without
    /// blocking the writer (`PRAGMA wal_checkpoint(PASSIVE)`). Returns
    /// (frames in the WAL, frames checkpointed).
    pub fn passive(&self) -> Result<(i64, i64)> {
        Ok(self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(1)?, r.get(2)?))
            })?)
    }
}

/// An open database.
pub struct Store {
    conn: Connection,
    /// The database file; None for an in-memory database.
    path: Option<std::path::PathBuf>,
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("domain values serialise")
}

fn decode<T: DeserializeOwned>(table: &'static str, key: impl ToString, body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|error| StoreError::Decode {
        table,
        key: key.to_string(),
        error,
    })
}

/// Process-wide SQLite settings, applied once before the first connection.
/// SQLite's allocation statistics (on by default) take a global mutex on
/// every allocation; nothing here reads them.
fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: SQLITE_CONFIG_MEMSTATUS takes one int. Called before this
        // crate opens a connection; if SQLite was initialised elsewhere
        // first, it returns SQLITE_MISUSE and changes nothing, which is fine.
        unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
                0 as std::os::raw::c_int,
            );
        }
    });
}

impl Store {
    /// Open (creating if needed) and migrate to the current schema.
    pub fn open(path: &Path) -> Result<Store> {
        configure_sqlite();
        let conn = Connection::open(path).map_err(|error| StoreError::Open {
            path: path.display().to_string(),
            error,
        })?;
        Self::setup(conn, Some(path.to_path_buf()))
    }

    /// A private in-memory database (tests, benchmarks of the logic alone).
    pub fn open_in_memory() -> Result<Store> {
        configure_sqlite();
        Self::setup(Connection::open_in_memory()?, None)
    }

    fn setup(conn: Connection, path: Option<std::path::PathBuf>) -> Result<Store> {
        // A file that is not a database fails at the first statement: name it.
        let named = |error: StoreError| match (error, &path) {
            (StoreError::Sql(error), Some(p)) => StoreError::Open {
                path: p.display().to_string(),
                error,
            },
            (error, _) => error,
        };
        Self::configure(&conn).map_err(named)?;
        let mut store = Store { conn, path };
        schema::migrate(&mut store.conn)?;
        Ok(store)
    }

    /// The connection's settings, before the schema is read.
    fn configure(conn: &Connection) -> Result<()> {
        // WAL with synchronous=NORMAL: a commit survives a process crash (the
        // case we must survive); only an OS crash may lose the last commits.
        // Larger pages suit append-mostly tables of JSON rows (takes effect on a new database).
        conn.pragma_update(None, "page_size", 16_384)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // The audit log's reference to its message is declared but not
        // enforced: the hub only audits the message it is processing, which
        // an earlier transaction stored, and checking it cost about a tenth
        // of the writer's time. `Store::dangling_references` verifies it.
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        // The hub writes in large transactions over a working set of recent
        // messages and cases: a 256 MiB page cache keeps it off the disk.
        conn.pragma_update(None, "cache_size", -262_144)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Checkpoint the WAL into the database every 256 MiB (16,384 pages of
        // 16 KiB) rather than every 4 MiB: pages rewritten by consecutive
        // batches reach the database file once. Afterwards the WAL file is cut
        // back to 64 MiB.
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        Ok(())
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// A second connection to this database that copies committed WAL
    /// frames into the database file, so that a writer can leave that work
    /// (and its fsyncs) to another thread; see [`Store::set_autocheckpoint`].
    /// None for an in-memory database.
    pub fn checkpointer(&self) -> Result<Option<Checkpointer>> {
        let Some(path) = &self.path else {
            return Ok(None);
        };
        let conn = Connection::open(path).map_err(|error| StoreError::Open {
            path: path.display().to_string(),
            error,
        })?;
        // Ours never checkpoints by itself; closing it must not either
        // while the writer may still be at work.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(Some(Checkpointer { conn }))
    }

    /// Whether commits on this connection checkpoint the WAL themselves
    /// once it passes 256 MiB (the default), or leave it to a [`Checkpointer`].
    pub fn set_autocheckpoint(&self, on: bool) -> Result<()> {
        let pages = if on { WAL_AUTOCHECKPOINT_PAGES } else { 0 };
        self.conn.pragma_update(None, "wal_autocheckpoint", pages)?;
        Ok(())
    }

    /// Rows whose declared foreign key points at nothing (`PRAGMA
    /// foreign_key_check`), as (table, rowid). Empty in a sound database.
    pub fn dangling_references(&self) -> Result<Vec<(String, i64)>> {
        let mut st = self.conn.prepare("PRAGMA foreign_key_check")?;
        let rows = st.query_map([], |r| {
            Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0)))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn begin(&mut self) -> Result<Tx<'_>> {
        Ok(Tx {
            tx: self.conn.transaction()?,
        })
    }

    fn cursor_at(&self, prefix: &str) -> Result<(i64, u64)> {
        let get =
            |k: String| -> Result<Option<i64>> { Ok(self.meta(&k)?.and_then(|v| v.parse().ok())) };
        Ok(
            match (
                get(format!("{prefix}_deliver_at"))?,
                get(format!("{prefix}_id"))?,
            ) {
                (Some(at), Some(id)) => (at, id.max(0) as u64),
                _ => (i64::MIN, 0),
            },
        )
    }

    /// The delivery cursor: (deliver_at, id) of the last processed message.
    pub fn cursor(&self) -> Result<(i64, u64)> {
        self.cursor_at("cursor")
    }

    /// The checkpoint: the cursor up to which the stored cases, subjects and
    /// FBI number counter reflect every processed message. Messages after it
    /// and up to the cursor are replayed on open.
    pub fn checkpoint(&self) -> Result<(i64, u64)> {
        self.cursor_at("checkpoint")
    }

    /// Messages after the cursor (not yet processed), in delivery order.
    pub fn pending(&self) -> Result<Vec<Envelope>> {
        self.messages_after(self.cursor()?, None)
    }

    /// Messages after `from` and up to `to` (inclusive; `None`: all), in delivery order.
    pub fn messages_after(
        &self,
        from: (i64, u64),
        to: Option<(i64, u64)>,
    ) -> Result<Vec<Envelope>> {
        let (to_at, to_id) = to.unwrap_or((i64::MAX, u64::MAX >> 1));
        let mut stmt = self.conn.prepare(
            "SELECT id, from_party, to_party, sent_at, deliver_at, body FROM message
             WHERE (deliver_at > ?1 OR (deliver_at = ?1 AND id > ?2))
               AND (deliver_at < ?3 OR (deliver_at = ?3 AND id <= ?4))
             ORDER BY deliver_at, id",
        )?;
        let rows = stmt.query_map(params![from.0, from.1 as i64, to_at, to_id as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        rows.map(|row| {
            let (id, from, to, sent_at, deliver_at, body) = row?;
            let party = |name: &str| {
                Party::from_name(name).ok_or_else(|| {
                    StoreError::Corrupt(format!("message {id}: unknown party {name:?}"))
                })
            };
            Ok(Envelope {
                id: id as u64,
                from: party(&from)?,
                to: party(&to)?,
                sent_at: SimTime(sent_at),
                deliver_at: SimTime(deliver_at),
                message: decode("message", id, &body)?,
            })
        })
        .collect()
    }

    /// How many messages the stored cases do not reflect yet (after the checkpoint).
    pub fn unreflected_count(&self) -> Result<u64> {
        self.count_after(self.checkpoint()?)
    }

    /// How many messages are not yet processed.
    pub fn pending_count(&self) -> Result<u64> {
        self.count_after(self.cursor()?)
    }

    fn count_after(&self, (at, id): (i64, u64)) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM message WHERE deliver_at > ?1 OR (deliver_at = ?1 AND id > ?2)",
            params![at, id as i64],
            |r| r.get::<_, i64>(0),
        )? as u64)
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

    /// Ground-truth rows the simulator wrote: (sample, decoded body).
    pub fn persons<T: DeserializeOwned>(&self) -> Result<Vec<(u64, T)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT sample, body FROM person ORDER BY sample")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (key, body) = row?;
            Ok((key as u64, decode("person", key, &body)?))
        })
        .collect()
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

    /// One booking's case record, if any.
    pub fn case(&self, booking: u64) -> Result<Option<Case>> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM booking_case WHERE booking = ?1",
                [booking as i64],
                |r| r.get(0),
            )
            .optional()?;
        body.map(|b| decode("booking_case", booking, &b))
            .transpose()
    }

    /// One booking's messages in delivery order.
    pub fn messages_of(&self, booking: u64) -> Result<Vec<MessageHeader>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, from_party, to_party, kind, sent_at, deliver_at FROM message WHERE booking = ?1 ORDER BY deliver_at, id",
        )?;
        let rows = stmt.query_map([booking as i64], |r| {
            Ok(MessageHeader {
                id: r.get::<_, i64>(0)? as u64,
                from: r.get(1)?,
                to: r.get(2)?,
                kind: r.get(3)?,
                sent_at: r.get(4)?,
                deliver_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// ANSI/NIST-ITL files of one booking, in the order they were stored.
    pub fn nist_files_of(&self, booking: u64) -> Result<Vec<NistFile>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, direction, tot, bytes FROM nist_file WHERE booking = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([booking as i64], |r| {
            Ok(NistFile {
                id: r.get::<_, i64>(0)? as u64,
                direction: r.get(1)?,
                tot: r.get(2)?,
                bytes: r.get(3)?,
            })
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

/// An ANSI/NIST-ITL transaction kept with a booking.
#[derive(Clone, Debug, PartialEq)]
pub struct NistFile {
    pub id: u64,
    /// `in` (received by the hub) or `out` (sent by it).
    pub direction: String,
    /// Type of transaction (1.004), e.g. `CAR`, `SRE`.
    pub tot: String,
    pub bytes: Vec<u8>,
}

/// The routing columns of a stored message.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageHeader {
    pub id: u64,
    pub from: String,
    pub to: String,
    pub kind: String,
    pub sent_at: i64,
    pub deliver_at: i64,
}

/// A message as stored: its routing columns and its body already encoded,
/// so that encoding happens when it is sent and the insert is a plain copy.
#[derive(Clone, Debug)]
pub struct MessageRow {
    pub id: u64,
    pub from: &'static str,
    pub to: &'static str,
    pub kind: &'static str,
    pub booking: Option<u64>,
    pub sent_at: i64,
    pub deliver_at: i64,
    pub body: String,
}

impl MessageRow {
    pub fn new(env: &Envelope) -> MessageRow {
        MessageRow {
            id: env.id,
            from: env.from.name(),
            to: env.to.name(),
            kind: env.message.kind(),
            booking: env.message.booking().map(|b| b.0),
            sent_at: env.sent_at.0,
            deliver_at: env.deliver_at.0,
            body: json(&env.message),
        }
    }
}

/// A case record as stored, its body encoded by whoever builds it (the
/// hub's flow thread), so that the database writer only copies it.
#[derive(Clone, Debug)]
pub struct CaseRow {
    pub booking: u64,
    pub ori: String,
    pub body: String,
}

impl CaseRow {
    pub fn new(case: &Case) -> CaseRow {
        CaseRow {
            booking: case.booking.0,
            ori: case.ori.as_str().to_string(),
            body: json(case),
        }
    }
}

/// An FBI subject as stored, its body already encoded (see [`CaseRow`]).
#[derive(Clone, Debug)]
pub struct SubjectRow {
    pub fbi_number: u64,
    pub sample: u64,
    pub body: String,
}

impl SubjectRow {
    pub fn new(s: &Subject) -> SubjectRow {
        SubjectRow {
            fbi_number: s.fbi_number.0,
            sample: s.sample.0,
            body: json(s),
        }
    }
}

/// Rows per multi-row `INSERT`.
const ROWS_PER_INSERT: usize = 32;

/// One transaction: everything written through it lands together or not at all.
pub struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl Tx<'_> {
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.tx.prepare_cached("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")?.execute(params![key, value])?;
        Ok(())
    }

    /// Record a new message. It must sort after the cursor (the hub ensures it).
    pub fn insert_message(&self, env: &Envelope) -> Result<()> {
        self.insert_messages(&[MessageRow::new(env)])
    }

    /// Record new messages, [`ROWS_PER_INSERT`] to a statement: one
    /// statement per row would spend as much on stepping and resetting
    /// statements as on the rows.
    pub fn insert_messages(&self, rows: &[MessageRow]) -> Result<()> {
        const COLS: &str = "(id, from_party, to_party, kind, booking, sent_at, deliver_at, body)";
        self.insert_chunked("message", COLS, "", 8, rows, |r, out| {
            out.push(Value::Integer(r.id as i64));
            out.push(Value::Text(r.from));
            out.push(Value::Text(r.to));
            out.push(Value::Text(r.kind));
            out.push(r.booking.map_or(Value::Null, |b| Value::Integer(b as i64)));
            out.push(Value::Integer(r.sent_at));
            out.push(Value::Integer(r.deliver_at));
            out.push(Value::Text(&r.body));
        })
    }

    /// `INSERT INTO table cols VALUES (...), (...), ... tail` for `items`, each giving `width` values.
    #[allow(clippy::too_many_arguments)]
    fn insert_chunked<'a, T>(
        &self,
        table: &str,
        cols: &str,
        tail: &str,
        width: usize,
        items: &'a [T],
        mut values: impl FnMut(&'a T, &mut Vec<Value<'a>>),
    ) -> Result<()> {
        let sql = |rows: usize| {
            let one = format!("({})", vec!["?"; width].join(", "));
            format!(
                "INSERT INTO {table} {cols} VALUES {} {tail}",
                vec![one; rows].join(", ")
            )
        };
        let mut bound = Vec::with_capacity(width * ROWS_PER_INSERT);
        let mut chunks = items.chunks_exact(ROWS_PER_INSERT);
        if chunks.len() > 0 {
            let mut full = RawStatement::prepare(&self.tx, &sql(ROWS_PER_INSERT))?;
            for chunk in &mut chunks {
                bound.clear();
                for item in chunk {
                    values(item, &mut bound);
                }
                full.execute(&bound)?;
            }
        }
        // The few rows left over (and single-row calls) go through
        // rusqlite's statement cache: preparing a statement costs more than
        // the copies it would save.
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut one = self.tx.prepare_cached(&sql(1))?;
            for item in rest {
                bound.clear();
                values(item, &mut bound);
                one.execute(rusqlite::params_from_iter(bound.iter()))?;
            }
        }
        Ok(())
    }

    /// Mark every message up to (`deliver_at`, `id`) in delivery order processed.
    pub fn advance_cursor(&self, deliver_at: i64, id: u64) -> Result<()> {
        self.set_meta("cursor_deliver_at", &deliver_at.to_string())?;
        self.set_meta("cursor_id", &id.to_string())
    }

    /// Record that the stored state reflects every message up to (`deliver_at`, `id`).
    pub fn set_checkpoint(&self, deliver_at: i64, id: u64) -> Result<()> {
        self.set_meta("checkpoint_deliver_at", &deliver_at.to_string())?;
        self.set_meta("checkpoint_id", &id.to_string())
    }

    pub fn insert_audit(&self, message_id: u64, at: i64, line: &AuditLine) -> Result<()> {
        self.insert_audits(&[(message_id, at, line.clone())])
    }

    /// Append audit lines: (message id, time, line).
    pub fn insert_audits(&self, lines: &[(u64, i64, AuditLine)]) -> Result<()> {
        const COLS: &str = "(message_id, at, party, booking, event)";
        self.insert_chunked(
            "audit",
            COLS,
            "",
            5,
            lines,
            |(message_id, at, line), out| {
                out.push(Value::Integer(*message_id as i64));
                out.push(Value::Integer(*at));
                out.push(Value::Text(line.party.name()));
                out.push(
                    line.booking
                        .map_or(Value::Null, |b| Value::Integer(b.0 as i64)),
                );
                out.push(Value::Text(&line.event));
            },
        )
    }

    /// Keep an ANSI/NIST-ITL transaction that entered (`in`) or left (`out`) the hub.
    pub fn put_nist_file(
        &self,
        booking: u64,
        direction: &str,
        tot: &str,
        bytes: &[u8],
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO nist_file (booking, direction, tot, bytes) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![booking as i64, direction, tot, bytes])?;
        Ok(())
    }

    pub fn put_case(&self, case: &Case) -> Result<()> {
        self.put_cases(&[CaseRow::new(case)])
    }

    /// Insert or replace case records.
    pub fn put_cases(&self, rows: &[CaseRow]) -> Result<()> {
        const COLS: &str = "(booking, ori, body)";
        const TAIL: &str = "ON CONFLICT(booking) DO UPDATE SET body = excluded.body";
        self.insert_chunked("booking_case", COLS, TAIL, 3, rows, |r, out| {
            out.push(Value::Integer(r.booking as i64));
            out.push(Value::Text(&r.ori));
            out.push(Value::Text(&r.body));
        })
    }

    pub fn put_subject(&self, s: &Subject) -> Result<()> {
        self.put_subjects(&[SubjectRow::new(s)])
    }

    /// Insert or replace FBI subjects.
    pub fn put_subjects(&self, rows: &[SubjectRow]) -> Result<()> {
        const COLS: &str = "(fbi_number, sample, body)";
        const TAIL: &str = "ON CONFLICT(fbi_number) DO UPDATE SET body = excluded.body";
        self.insert_chunked("fbi_subject", COLS, TAIL, 3, rows, |r, out| {
            out.push(Value::Integer(r.fbi_number as i64));
            out.push(Value::Integer(r.sample as i64));
            out.push(Value::Text(&r.body));
        })
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
