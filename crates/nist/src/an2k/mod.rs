//! ANSI/NIST-ITL traditional encoding: the record model, the reader and the writer.
//!
//! A [`Transaction`] is a list of [`Record`]s. Tagged records (Type-1, 2, 9, 10, 13-99) keep
//! every field's tag text and value bytes exactly as read, so reading and writing reproduces a
//! file byte for byte; binary records (Types 3-8) keep their bytes whole, with typed views of
//! their fixed headers. Typed views of the records this project uses live in [`image`] and
//! [`minutiae`].

pub mod image;
pub mod minutiae;
mod parse;
pub mod validate;
mod write;

pub use parse::MAX_RECORDS;

/// File separator: ends a record.
pub const FS: u8 = 0x1C;
/// Group separator: ends a field.
pub const GS: u8 = 0x1D;
/// Record separator: between subfields (repeated values).
pub const RS: u8 = 0x1E;
/// Unit separator: between information items of a subfield.
pub const US: u8 = 0x1F;

/// A whole ANSI/NIST-ITL transaction, Type-1 first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Records in file order; `records[0]` is the Type-1 record.
    pub records: Vec<Record>,
}

/// One logical record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A tagged-field record (ASCII fields `T.NNN:value`, GS/FS separated).
    Tagged(TaggedRecord),
    /// A binary record (Types 3-8): fixed header, then data; kept byte for byte.
    Binary(BinaryRecord),
}

/// A record made of tagged fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedRecord {
    /// Record type (1, 2, 9, 10, 13, 14, 15, 16, 17, 99, ...).
    pub record_type: u16,
    /// Fields in file order; the first is the LEN field (`T.001`).
    pub fields: Vec<Field>,
}

/// One tagged field. `value` holds the raw bytes between `:` and the separator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Tag text exactly as written (`"1.001"`, old style `"1.01"`, ...).
    pub tag: String,
    /// The field number parsed from the tag (`"2.018"` -> 18).
    pub number: u32,
    /// Raw value bytes (may contain RS/US separators; binary for field 999).
    pub value: Vec<u8>,
}

/// A binary record (Type-3 to Type-8), all bytes including the 4-byte length header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryRecord {
    /// Record type (3..=8).
    pub record_type: u16,
    /// The record's bytes exactly as in the file.
    pub bytes: Vec<u8>,
}

impl Record {
    /// The record type number.
    pub fn record_type(&self) -> u16 {
        match self {
            Record::Tagged(r) => r.record_type,
            Record::Binary(r) => r.record_type,
        }
    }

    /// The IDC (information designation character) of this record, if present.
    pub fn idc(&self) -> Option<u32> {
        match self {
            Record::Tagged(r) => r.field(2).and_then(|f| f.text().trim().parse().ok()),
            Record::Binary(r) => r.bytes.get(4).map(|&b| u32::from(b)),
        }
    }

    /// The tagged record, if this is one.
    pub fn as_tagged(&self) -> Option<&TaggedRecord> {
        match self {
            Record::Tagged(r) => Some(r),
            Record::Binary(_) => None,
        }
    }

    /// The binary record, if this is one.
    pub fn as_binary(&self) -> Option<&BinaryRecord> {
        match self {
            Record::Binary(r) => Some(r),
            Record::Tagged(_) => None,
        }
    }
}

/// Record types that use the binary (fixed header) encoding in the traditional format.
pub fn is_binary_type(record_type: u16) -> bool {
    (3..=8).contains(&record_type)
}

impl TaggedRecord {
    /// An empty record of a type (fields are added with [`TaggedRecord::set`]).
    pub fn new(record_type: u16) -> Self {
        TaggedRecord {
            record_type,
            fields: Vec::new(),
        }
    }

    /// The first field with this number.
    pub fn field(&self, number: u32) -> Option<&Field> {
        self.fields.iter().find(|f| f.number == number)
    }

    /// The field's value as text (lossy UTF-8), if present.
    pub fn text(&self, number: u32) -> Option<String> {
        self.field(number).map(|f| f.text())
    }

    /// Set (replace or insert in field-number order) a field with a modern 3-digit tag.
    pub fn set(&mut self, number: u32, value: impl Into<Vec<u8>>) {
        let value = value.into();
        if let Some(f) = self.fields.iter_mut().find(|f| f.number == number) {
            f.value = value;
            return;
        }
        let field = Field::new(self.record_type, number, value);
        let at = self
            .fields
            .iter()
            .position(|f| f.number > number)
            .unwrap_or(self.fields.len());
        self.fields.insert(at, field);
    }

    /// Set a field from subfields of items (joined with RS and US).
    pub fn set_items(&mut self, number: u32, subfields: &[&[&str]]) {
        self.set(number, join_subfields(subfields));
    }
}

/// Join subfields (RS) of items (US) into one field value.
pub fn join_subfields(subfields: &[&[&str]]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, items) in subfields.iter().enumerate() {
        if i > 0 {
            out.push(RS);
        }
        for (j, item) in items.iter().enumerate() {
            if j > 0 {
                out.push(US);
            }
            out.extend_from_slice(item.as_bytes());
        }
    }
    out
}

impl Field {
    /// A field with a modern tag (`T.NNN`).
    pub fn new(record_type: u16, number: u32, value: impl Into<Vec<u8>>) -> Self {
        Field {
            tag: format!("{record_type}.{number:03}"),
            number,
            value: value.into(),
        }
    }

    /// Value as text (lossy UTF-8; ANSI/NIST text is ASCII or UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.value).into_owned()
    }

    /// Subfields (split on RS).
    pub fn subfields(&self) -> impl Iterator<Item = &[u8]> {
        self.value.split(|&b| b == RS)
    }

    /// Items of every subfield (split on RS, then US), as text.
    pub fn items(&self) -> Vec<Vec<String>> {
        self.subfields()
            .map(|s| {
                s.split(|&b| b == US)
                    .map(|i| String::from_utf8_lossy(i).into_owned())
                    .collect()
            })
            .collect()
    }
}

impl BinaryRecord {
    /// The length declared in the 4-byte header.
    pub fn declared_len(&self) -> u32 {
        match self.bytes.get(0..4) {
            Some(b) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            None => 0,
        }
    }
}

impl Transaction {
    /// Parse a transaction from its bytes (see the module docs for what is checked).
    pub fn parse(data: &[u8]) -> crate::Result<Transaction> {
        parse::parse(data)
    }

    /// Encode to bytes. LEN fields and binary lengths are corrected if they do not match the
    /// encoded size; otherwise every byte is written as held.
    pub fn to_bytes(&self) -> Vec<u8> {
        write::encode(self)
    }

    /// Set every record's length field (LEN, or the binary header) to its encoded size.
    /// Builders call this; a parsed file already has correct lengths.
    pub fn fix_lengths(&mut self) {
        write::fix_lengths(self)
    }

    /// The Type-1 record.
    pub fn type1(&self) -> Option<&TaggedRecord> {
        self.records.first().and_then(Record::as_tagged)
    }

    /// The version (field 1.002) as a number, e.g. 400 for "0400", 502 for "0502".
    pub fn version(&self) -> Option<u16> {
        self.type1()?.text(2)?.trim().parse().ok()
    }

    /// Records of one type.
    pub fn records_of_type(&self, record_type: u16) -> impl Iterator<Item = &Record> {
        self.records
            .iter()
            .filter(move |r| r.record_type() == record_type)
    }

    /// Rewrite the CNT field (1.003) from the records held: first subfield `1 US n`, then
    /// `type US idc` for each further record.
    pub fn update_cnt(&mut self) {
        let entries: Vec<(u16, u32)> = self.records[1..]
            .iter()
            .map(|r| (r.record_type(), r.idc().unwrap_or(0)))
            .collect();
        let mut cnt = format!("1{}{}", US as char, entries.len()).into_bytes();
        for (t, idc) in entries {
            cnt.push(RS);
            cnt.extend_from_slice(format!("{t}{}{idc:02}", US as char).as_bytes());
        }
        if let Some(Record::Tagged(t1)) = self.records.first_mut() {
            t1.set(3, cnt);
        }
    }
}
