//! Schema migrations, applied in order; `PRAGMA user_version` records how far.

use rusqlite::Connection;

use crate::{Result, StoreError};

pub(crate) const TABLES: &[&str] = &[
    "meta",
    "message",
    "pending",
    "audit",
    "booking_case",
    "fbi_subject",
    "ident_record",
    "person",
];

const MIGRATIONS: &[&str] = &[
    // 1: the hub's records.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE message (
        id INTEGER PRIMARY KEY,
        from_party TEXT NOT NULL,
        to_party TEXT NOT NULL,
        kind TEXT NOT NULL,
        booking INTEGER,
        sent_at INTEGER NOT NULL,
        deliver_at INTEGER NOT NULL,
        body TEXT NOT NULL);
     -- Messages are processed strictly in (deliver_at, id) order and every
     -- new message sorts after the one being processed, so the processed set
     -- is exactly the messages at or before a cursor (meta cursor_deliver_at,
     -- cursor_id), advanced in each batch's transaction. No index on it: it is
     -- read only on restart, and an index would cost every insert.
     -- Plain rowid keys: the table is append-only (no deletes), so ids only
     -- grow; AUTOINCREMENT would add a write to sqlite_sequence per line.
     CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES message (id),
        at INTEGER NOT NULL,
        party TEXT NOT NULL,
        booking INTEGER,
        event TEXT NOT NULL);
     CREATE INDEX audit_booking ON audit (booking);
     CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
     CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
     CREATE TRIGGER message_immutable BEFORE UPDATE ON message BEGIN SELECT RAISE(ABORT, 'messages are immutable'); END;
     CREATE TABLE booking_case (booking INTEGER PRIMARY KEY, ori TEXT NOT NULL, body TEXT NOT NULL);
     CREATE TABLE fbi_subject (fbi_number INTEGER PRIMARY KEY, sample INTEGER NOT NULL, body TEXT NOT NULL);
     CREATE TABLE ident_record (fin INTEGER PRIMARY KEY, sample INTEGER NOT NULL, body TEXT NOT NULL);
     CREATE TABLE person (sample INTEGER PRIMARY KEY, body TEXT NOT NULL);",
    // 2: ANSI/NIST-ITL transactions that entered or left the hub, byte for byte.
    "CREATE TABLE nist_file (
        id INTEGER PRIMARY KEY,
        booking INTEGER NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        tot TEXT NOT NULL,
        bytes BLOB NOT NULL);
     CREATE INDEX nist_file_booking ON nist_file (booking);",
    // 3: no secondary index on the audit log. Like the message table it is
    // written on every step and read per booking only by `scomm trail`; the
    // index cost 15% of the hub's write instructions; scanning oct2010's audit and
    // message tables for one booking takes about 0.2 s.
    "DROP INDEX audit_booking;",
];

pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
