//! Reader for the traditional encoding.
//!
//! Order of work: the Type-1 record is read first (its LEN bounds it); its CNT field (1.003)
//! lists the type of every following record, which tells whether the next record is tagged
//! or binary. Every record's length (LEN field or 4-byte header) is checked against the bytes
//! that remain before anything is copied, so a hostile length cannot cause a large
//! allocation: the largest allocation is bounded by the input size.

use super::{is_binary_type, BinaryRecord, Field, Record, TaggedRecord, Transaction, FS, GS};
use super::{RS, US};
use crate::{Error, Result};

/// Most records a transaction may list in CNT (the standard allows 999 IDCs).
pub const MAX_RECORDS: usize = 1000;

/// Longest tag text accepted (`"999.999"` plus slack for zero padding).
const MAX_TAG_LEN: usize = 12;

/// Fixed header sizes of binary record types: a record shorter than this is malformed.
fn binary_header_len(record_type: u16) -> usize {
    match record_type {
        3..=6 => 18,
        8 => 12,
        _ => 5, // Type-7: LEN + IDC, the rest is user-defined.
    }
}

pub(super) fn parse(data: &[u8]) -> Result<Transaction> {
    let type1 = parse_tagged(data, 0, 1, 1)?;
    let type1_len = record_len(&type1, data, 0, 1, 1)?;
    let entries = read_cnt(&type1)?;
    let mut records = Vec::with_capacity(entries.len() + 1);
    records.push(Record::Tagged(type1));
    let mut pos = type1_len;
    for (i, &(record_type, _idc)) in entries.iter().enumerate() {
        let index = i + 2;
        if pos >= data.len() {
            return Err(Error::Transaction(format!(
                "CNT (1.003) lists {} records after Type-1 but the file ends after {} \
                 (record {index}, Type-{record_type}, is missing)",
                entries.len(),
                i
            )));
        }
        if is_binary_type(record_type) {
            let rec = parse_binary(data, pos, index, record_type)?;
            pos += rec.bytes.len();
            records.push(Record::Binary(rec));
        } else {
            let rec = parse_tagged(data, pos, index, record_type)?;
            pos += record_len(&rec, data, pos, index, record_type)?;
            records.push(Record::Tagged(rec));
        }
    }
    if pos != data.len() {
        return Err(Error::Transaction(format!(
            "{} bytes after the last record listed in CNT (1.003) (file is {} bytes, records end at {pos})",
            data.len() - pos,
            data.len()
        )));
    }
    Ok(Transaction { records })
}

fn err(record: usize, record_type: u16, offset: usize, message: impl Into<String>) -> Error {
    Error::Record {
        record,
        record_type,
        offset,
        message: message.into(),
    }
}

/// The record length as stored in a parsed tagged record (already validated by parse_tagged).
fn record_len(
    rec: &TaggedRecord,
    _data: &[u8],
    pos: usize,
    index: usize,
    record_type: u16,
) -> Result<usize> {
    rec.fields
        .first()
        .and_then(|f| parse_decimal(&f.value))
        .ok_or_else(|| err(index, record_type, pos, "LEN field missing"))
}

/// A decimal number of at most 10 digits (ASCII, no sign); spaces around are not allowed.
fn parse_decimal(bytes: &[u8]) -> Option<usize> {
    if bytes.is_empty() || bytes.len() > 10 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    bytes.iter().try_fold(0usize, |acc, &b| {
        acc.checked_mul(10)?.checked_add((b - b'0') as usize)
    })
}

/// Parse a tag `T.NNN` (record type and field number, each 1-3 digits, zero padding allowed).
fn parse_tag(tag: &[u8]) -> Option<(u32, u32)> {
    let dot = tag.iter().position(|&b| b == b'.')?;
    let rt = parse_decimal(&tag[..dot])?;
    let num = parse_decimal(&tag[dot + 1..])?;
    if rt > 999 || num > 999_999 {
        return None;
    }
    Some((rt as u32, num as u32))
}

fn parse_tagged(data: &[u8], pos: usize, index: usize, record_type: u16) -> Result<TaggedRecord> {
    let rest = &data[pos..];
    // First field: LEN. Its tag must be `T.001` (or old style `T.01`).
    let colon = rest
        .iter()
        .take(MAX_TAG_LEN + 1)
        .position(|&b| b == b':')
        .ok_or_else(|| {
            err(
                index,
                record_type,
                pos,
                "no field tag (expected LEN field T.001:)",
            )
        })?;
    match parse_tag(&rest[..colon]) {
        Some((rt, 1)) if rt == u32::from(record_type) => {}
        _ => {
            return Err(err(
                index,
                record_type,
                pos,
                format!(
                    "first field tag is {:?}, expected {record_type}.001 (LEN) as listed in CNT",
                    String::from_utf8_lossy(&rest[..colon])
                ),
            ))
        }
    }
    let value_start = colon + 1;
    let value_end = rest[value_start..]
        .iter()
        .take(12)
        .position(|&b| b == GS || b == FS)
        .map(|p| value_start + p)
        .ok_or_else(|| err(index, record_type, pos, "LEN field not terminated"))?;
    let len = parse_decimal(&rest[value_start..value_end]).ok_or_else(|| {
        err(
            index,
            record_type,
            pos + value_start,
            format!(
                "LEN value {:?} is not a decimal number",
                String::from_utf8_lossy(&rest[value_start..value_end])
            ),
        )
    })?;
    if len > rest.len() {
        return Err(err(
            index,
            record_type,
            pos,
            format!(
                "LEN says {len} bytes but only {} remain in the file",
                rest.len()
            ),
        ));
    }
    if len <= value_end {
        return Err(err(
            index,
            record_type,
            pos,
            format!("LEN says {len} bytes, shorter than the LEN field itself"),
        ));
    }
    let rec = &rest[..len];
    if rec[len - 1] != FS {
        return Err(err(
            index,
            record_type,
            pos + len - 1,
            format!(
                "LEN says {len} bytes but the record does not end with FS there (byte 0x{:02X})",
                rec[len - 1]
            ),
        ));
    }
    let mut fields = Vec::new();
    let mut p = 0usize;
    loop {
        let colon = rec[p..]
            .iter()
            .take(MAX_TAG_LEN + 1)
            .position(|&b| b == b':')
            .map(|c| p + c)
            .ok_or_else(|| {
                err(
                    index,
                    record_type,
                    pos + p,
                    format!("field {} has no tag (no ':' found)", fields.len() + 1),
                )
            })?;
        let tag_bytes = &rec[p..colon];
        let (rt, number) = parse_tag(tag_bytes).ok_or_else(|| {
            err(
                index,
                record_type,
                pos + p,
                format!(
                    "malformed field tag {:?}",
                    String::from_utf8_lossy(tag_bytes)
                ),
            )
        })?;
        // A tag naming another record type (seen in NIST's own test data) is kept as
        // written; `an2k::validate` reports it.
        let _ = rt;
        let vstart = colon + 1;
        // Image data (field 999 of Types 10-99, and old-style 2-digit "99") runs to the
        // record's end: it may contain any byte value, separators included.
        let is_data = number == 999 && record_type != 1 && record_type != 2;
        let vend = if is_data {
            len - 1
        } else {
            rec[vstart..]
                .iter()
                .position(|&b| b == GS || b == FS)
                .map(|e| vstart + e)
                .unwrap_or(len - 1)
        };
        fields.push(Field {
            // Tags are ASCII digits and '.', checked by parse_tag.
            tag: String::from_utf8_lossy(tag_bytes).into_owned(),
            number,
            value: rec[vstart..vend].to_vec(),
        });
        if vend == len - 1 {
            break;
        }
        if rec[vend] == FS {
            return Err(err(
                index,
                record_type,
                pos + vend,
                format!(
                    "FS after field {} at byte {} of the record, but LEN says {len} bytes",
                    fields.last().map(|f| f.tag.as_str()).unwrap_or("?"),
                    vend
                ),
            ));
        }
        p = vend + 1;
        if p >= len - 1 {
            return Err(err(
                index,
                record_type,
                pos + p,
                "GS directly before the closing FS (empty field)",
            ));
        }
    }
    Ok(TaggedRecord {
        record_type,
        fields,
    })
}

fn parse_binary(data: &[u8], pos: usize, index: usize, record_type: u16) -> Result<BinaryRecord> {
    let rest = &data[pos..];
    if rest.len() < 4 {
        return Err(err(
            index,
            record_type,
            pos,
            "file ends inside the 4-byte record length",
        ));
    }
    let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
    let min = binary_header_len(record_type);
    if len < min {
        return Err(err(
            index,
            record_type,
            pos,
            format!("record length {len} is shorter than the {min}-byte Type-{record_type} header"),
        ));
    }
    if len > rest.len() {
        return Err(err(
            index,
            record_type,
            pos,
            format!(
                "record length {len} but only {} bytes remain in the file",
                rest.len()
            ),
        ));
    }
    Ok(BinaryRecord {
        record_type,
        bytes: rest[..len].to_vec(),
    })
}

/// Read CNT (1.003): `1 US n` then n subfields `type US idc`.
fn read_cnt(type1: &TaggedRecord) -> Result<Vec<(u16, u32)>> {
    let cnt = type1
        .field(3)
        .ok_or_else(|| err(1, 1, 0, "CNT field (1.003) missing"))?;
    let mut entries = Vec::new();
    let mut declared = None;
    for (i, sub) in cnt.value.split(|&b| b == RS).enumerate() {
        let mut items = sub.split(|&b| b == US);
        let a = items.next().and_then(parse_decimal);
        let b = items.next().and_then(parse_decimal);
        let (Some(a), Some(b), None) = (a, b, items.next()) else {
            return Err(err(
                1,
                1,
                0,
                format!(
                    "CNT (1.003) subfield {} is {:?}, expected two numbers separated by US",
                    i + 1,
                    String::from_utf8_lossy(sub)
                ),
            ));
        };
        if i == 0 {
            if a != 1 {
                return Err(err(
                    1,
                    1,
                    0,
                    format!("CNT (1.003) first subfield must describe Type-1, found type {a}"),
                ));
            }
            if b > MAX_RECORDS {
                return Err(err(
                    1,
                    1,
                    0,
                    format!("CNT (1.003) declares {b} records (at most {MAX_RECORDS} accepted)"),
                ));
            }
            declared = Some(b);
            continue;
        }
        if entries.len() >= MAX_RECORDS {
            return Err(err(1, 1, 0, "CNT (1.003) lists too many records"));
        }
        if a == 1 || a > 999 {
            return Err(err(
                1,
                1,
                0,
                format!("CNT (1.003) subfield {} names record type {a}", i + 1),
            ));
        }
        entries.push((a as u16, b as u32));
    }
    let declared = declared.unwrap_or(0);
    if declared != entries.len() {
        return Err(err(
            1,
            1,
            0,
            format!(
                "CNT (1.003) declares {declared} further records but lists {}",
                entries.len()
            ),
        ));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_rejects_signs_and_overflow() {
        assert_eq!(parse_decimal(b"0123"), Some(123));
        assert_eq!(parse_decimal(b"-1"), None);
        assert_eq!(parse_decimal(b""), None);
        assert_eq!(parse_decimal(b"12345678901"), None);
    }

    #[test]
    fn tags_old_and_new() {
        assert_eq!(parse_tag(b"1.001"), Some((1, 1)));
        assert_eq!(parse_tag(b"1.01"), Some((1, 1)));
        assert_eq!(parse_tag(b"14.999"), Some((14, 999)));
        assert_eq!(parse_tag(b"14999"), None);
        assert_eq!(parse_tag(b"a.1"), None);
    }
}
