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
