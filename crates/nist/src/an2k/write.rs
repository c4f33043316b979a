//! Writer for the traditional encoding.
//!
//! Fields are written exactly as held. Only a length that disagrees with the bytes written
//! is replaced (LEN field of tagged records, 4-byte header of binary records), so a parsed
//! file is written back byte for byte and a built one gets correct lengths.

use super::{Record, TaggedRecord, Transaction, FS, GS};

pub(super) fn encode(tx: &Transaction) -> Vec<u8> {
    let total: usize = tx.records.iter().map(approx_len).sum();
    let mut out = Vec::with_capacity(total + 64);
    for rec in &tx.records {
        match rec {
            Record::Tagged(t) => encode_tagged(t, &mut out),
            Record::Binary(b) => {
                let start = out.len();
                out.extend_from_slice(&b.bytes);
                let len = b.bytes.len() as u32;
                if b.declared_len() != len && b.bytes.len() >= 4 {
                    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
                }
            }
        }
    }
    out
}

fn approx_len(rec: &Record) -> usize {
    match rec {
        Record::Tagged(t) => t
            .fields
            .iter()
            .map(|f| f.tag.len() + f.value.len() + 2)
            .sum(),
        Record::Binary(b) => b.bytes.len(),
    }
}

/// Bytes of everything but the LEN value: every tag, ':' and separator, every other value.
fn len_without_len_value(rec: &TaggedRecord) -> usize {
    rec.fields
        .iter()
        .enumerate()
        .map(|(i, f)| f.tag.len() + 2 + if i == 0 { 0 } else { f.value.len() })
        .sum()
}

/// Set every record's length (LEN field or binary header) to the size it encodes to.
pub(super) fn fix_lengths(tx: &mut Transaction) {
    for rec in &mut tx.records {
        match rec {
            Record::Tagged(t) => {
                let text = len_text(t);
                if let Some(f) = t.fields.first_mut() {
                    f.value = text;
                }
            }
            Record::Binary(b) => {
                let len = b.bytes.len() as u32;
                if b.bytes.len() >= 4 {
                    b.bytes[..4].copy_from_slice(&len.to_be_bytes());
                }
            }
        }
    }
}

/// The LEN value to write: the held one if it is right, else the self-consistent one.
fn len_text(rec: &TaggedRecord) -> Vec<u8> {
    let fixed = len_without_len_value(rec);
    let held = rec
        .fields
        .first()
        .map(|f| f.value.as_slice())
        .unwrap_or(b"");
    let held_ok = std::str::from_utf8(held)
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .is_some_and(|n| n == fixed + held.len());
    if held_ok {
        held.to_vec()
    } else {
        // The LEN value's own digits count: find the width that is self-consistent.
        let mut digits = 1;
        loop {
            let total = fixed + digits;
            let text = total.to_string();
            if text.len() == digits {
                break text.into_bytes();
            }
            digits = text.len();
        }
    }
}

fn encode_tagged(rec: &TaggedRecord, out: &mut Vec<u8>) {
    let len_text = len_text(rec);
    for (i, f) in rec.fields.iter().enumerate() {
        out.extend_from_slice(f.tag.as_bytes());
        out.push(b':');
        if i == 0 {
            out.extend_from_slice(&len_text);
        } else {
            out.extend_from_slice(&f.value);
        }
        out.push(if i + 1 == rec.fields.len() { FS } else { GS });
    }
}
