use super::*;
use scomm_domain::ids::{BookingId, Ori, SampleRef};
use scomm_domain::{Message, Party, SimTime};

fn env(id: u64, deliver_at: i64) -> Envelope {
    Envelope {
        id,
        from: Party::World,
        to: Party::Lea,
        sent_at: SimTime(0),
        deliver_at: SimTime(deliver_at),
        message: Message::ReleaseDue {
            booking: BookingId(id),
        },
    }
}

#[test]
fn messages_are_pending_until_processed_in_delivery_order() {
    let mut s = Store::open_in_memory().unwrap();
    let tx = s.begin().unwrap();
    tx.insert_message(&env(1, 50)).unwrap();
    tx.insert_message(&env(2, 10)).unwrap();
    tx.insert_message(&env(3, 10)).unwrap();
    tx.commit().unwrap();
    let ids: Vec<u64> = s.pending().unwrap().iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![2, 3, 1]);
    let tx = s.begin().unwrap();
    tx.advance_cursor(10, 2).unwrap();
    tx.commit().unwrap();
    let ids: Vec<u64> = s.pending().unwrap().iter().map(|e| e.id).collect();
    assert_eq!(
        ids,
        vec![3, 1],
        "message 2 is processed, 3 (same time, later id) is not"
    );
    assert_eq!(s.pending_count().unwrap(), 2);
    assert_eq!(s.pending().unwrap()[1], env(1, 50), "envelopes round trip");
    assert_eq!(s.count("message").unwrap(), 3);
}

#[test]
fn uncommitted_transaction_leaves_nothing() {
    let mut s = Store::open_in_memory().unwrap();
    {
        let tx = s.begin().unwrap();
        tx.insert_message(&env(1, 5)).unwrap();
        tx.set_meta("k", "v").unwrap();
        // dropped without commit
    }
    assert_eq!(s.count("message").unwrap(), 0);
    assert_eq!(s.meta("k").unwrap(), None);
}

#[test]
fn audit_log_is_append_only() {
    let mut s = Store::open_in_memory().unwrap();
    let tx = s.begin().unwrap();
    tx.insert_message(&env(1, 5)).unwrap();
    tx.insert_audit(
        1,
        5,
        &AuditLine {
            booking: Some(BookingId(1)),
            party: Party::Lea,
            event: "booked".into(),
        },
    )
    .unwrap();
    tx.commit().unwrap();
    let err = s
        .conn
        .execute("UPDATE audit SET event = 'x'", [])
        .unwrap_err()
        .to_string();
    assert!(err.contains("append-only"), "{err}");
    let err = s
        .conn
        .execute("DELETE FROM audit", [])
        .unwrap_err()
        .to_string();
    assert!(err.contains("append-only"), "{err}");
    assert_eq!(
        s.audit_of(1).unwrap(),
        vec![(1, 5, "LEA".to_string(), "booked".to_string())]
    );
}

#[test]
fn cases_round_trip_and_reopen_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let case = Case::new(
        BookingId(9),
        Ori::new("CA0190000").unwrap(),
        SimTime(100),
        SampleRef(4),
        vec![],
    );
    {
        let mut s = Store::open(&path).unwrap();
        let tx = s.begin().unwrap();
        tx.put_case(&case).unwrap();
        tx.commit().unwrap();
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.cases().unwrap(), vec![case]);
}

#[test]
fn errors_say_their_cause_once_in_their_text() {
    let dir = tempfile::tempdir().unwrap();
    // A folder cannot be opened as a database file.
    let err = Store::open(dir.path()).err().unwrap();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(std::error::Error::source(&err).is_none(), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(text.contains("unable to open database file"), "{text}");
    // A file that is not a database fails at its first statement.
    let path = dir.path().join("notes.db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(std::error::Error::source(&err).is_none(), "{err:?}");
    assert!(err.to_string().contains("notes.db"), "{err}");
    assert!(err.to_string().contains("not a database"), "{err}");
    // SQLite's result code, which rusqlite gives only as a cause.
    assert!(err.to_string().contains("Error code 26"), "{err}");
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    {
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Store::open(&path).err().unwrap().to_string();
    assert!(err.contains("99") && err.contains("newer"), "{err}");
}

/// Batches are written several rows to a statement; every row of a batch
/// that is not a multiple of the statement's size must land, in order.
#[test]
fn batches_of_any_size_land_whole() {
    let mut s = Store::open_in_memory().unwrap();
    let n = 2 * ROWS_PER_INSERT as u64 + 7;
    let rows: Vec<MessageRow> = (1..=n)
        .map(|i| MessageRow::new(&env(i, i as i64)))
        .collect();
    let audits: Vec<(u64, i64, AuditLine)> = (1..=n)
        .map(|i| {
            (
                i,
                i as i64,
                AuditLine {
                    party: Party::Lea,
                    booking: (i % 3 != 0).then_some(BookingId(i)),
                    event: format!("event {i}"),
                },
            )
        })
        .collect();
    let tx = s.begin().unwrap();
    tx.insert_messages(&rows).unwrap();
    tx.insert_audits(&audits).unwrap();
    tx.commit().unwrap();
    let pending = s.pending().unwrap();
    assert_eq!(pending.len() as u64, n);
    assert!(pending.iter().zip(1..).all(|(e, i)| *e == env(i, i as i64)));
    let trail = s.audit_of(n - 1).unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].3, format!("event {}", n - 1));
    assert_eq!(s.count("audit").unwrap(), n);
    assert!(s.audit_of(3).unwrap().is_empty(), "no booking: NULL");
}

#[test]
fn an_audit_line_for_an_unknown_message_is_reported_dangling() {
    let mut s = Store::open_in_memory().unwrap();
    let line = AuditLine {
        party: Party::Lea,
        booking: Some(BookingId(7)),
        event: "released".into(),
    };
    let tx = s.begin().unwrap();
    tx.insert_message(&env(1, 10)).unwrap();
    tx.insert_audit(1, 10, &line).unwrap();
    tx.commit().unwrap();
    assert!(s.dangling_references().unwrap().is_empty());
    let tx = s.begin().unwrap();
    tx.insert_audit(99, 10, &line).unwrap();
    tx.commit().unwrap();
    assert_eq!(
        s.dangling_references().unwrap(),
        vec![("audit".to_string(), 2)]
    );
}

#[test]
fn a_checkpointer_moves_commits_into_the_database_file() {
    assert!(Store::open_in_memory()
        .unwrap()
        .checkpointer()
        .unwrap()
        .is_none());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wal.db");
    let mut s = Store::open(&path).unwrap();
    s.set_autocheckpoint(false).unwrap();
    let wal = s.checkpointer().unwrap().expect("a file database has one");
    let tx = s.begin().unwrap();
    let rows: Vec<MessageRow> = (1..=100)
        .map(|i| MessageRow::new(&env(i, i as i64)))
        .collect();
    tx.insert_messages(&rows).unwrap();
    tx.commit().unwrap();
    let (frames, copied) = wal.passive().unwrap();
    assert!(frames > 0, "the commit went to the WAL");
    assert_eq!(
        copied, frames,
        "with no reader in the way, all of it is copied"
    );
    // Nothing further to copy: a second pass finds the same frames done.
    assert_eq!(wal.passive().unwrap(), (frames, frames));
    drop(wal);
    s.set_autocheckpoint(true).unwrap();
    drop(s);
    let s = Store::open(&path).unwrap();
    assert_eq!(s.count("message").unwrap(), 100);
}
