//! Structural validation of a parsed transaction against ANSI/NIST-ITL 1-2011 (traditional
//! encoding). Parsing already guarantees the byte-level framing (lengths, separators, CNT
//! count); these checks report everything else as findings that name the record, the field
//! and the rule, so one run lists every problem instead of stopping at the first.

use super::image::ImageRecord;
use super::{Record, TaggedRecord, Transaction, RS, US};

/// One validation finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// 1-based record index in the file.
    pub record: usize,
    /// Record type.
    pub record_type: u16,
    /// Field tag (`"2.018"`), when the finding is about one field.
    pub field: Option<String>,
    /// Short rule identifier (`"AN2K-TYPE1-REQUIRED"`, `"EBTS-CAR-T2-NAM"`, ...).
    pub rule: &'static str,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "record {} (Type-{})", self.record, self.record_type)?;
        if let Some(field) = &self.field {
            write!(f, " field {field}")?;
        }
        write!(f, ": [{}] {}", self.rule, self.message)
    }
}

/// Versions of the standard this crate reads (field 1.002).
pub const KNOWN_VERSIONS: &[&str] = &["0200", "0201", "0300", "0400", "0500", "0501", "0502"];

pub(crate) fn finding(
    record: usize,
    record_type: u16,
    field: Option<String>,
    rule: &'static str,
    message: impl Into<String>,
) -> Finding {
    Finding {
        record,
        record_type,
        field,
        rule,
        message: message.into(),
    }
}

/// `CCYYMMDD` with a plausible month and day.
pub fn is_date(s: &str) -> bool {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let m: u32 = s[4..6].parse().unwrap_or(0);
    let d: u32 = s[6..8].parse().unwrap_or(0);
    (1..=12).contains(&m) && (1..=31).contains(&d)
}

/// Check a transaction's structure. An empty list means no finding.
pub fn validate(tx: &Transaction) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(t1) = tx.type1() else {
        out.push(finding(
            1,
            1,
            None,
            "AN2K-TYPE1",
            "first record is not a tagged Type-1",
        ));
        return out;
    };
    check_type1(t1, &mut out);
    // CNT entries name each record's type and IDC.
    let cnt: Vec<(String, String)> = t1
        .field(3)
        .map(|f| {
            f.value
                .split(|&b| b == RS)
                .skip(1)
                .map(|s| {
                    let mut it = s
                        .split(|&b| b == US)
                        .map(|b| String::from_utf8_lossy(b).into_owned());
                    (it.next().unwrap_or_default(), it.next().unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    let nsr = t1.text(11);
    let ntr = t1.text(12);
    for (i, rec) in tx.records.iter().enumerate().skip(1) {
        let index = i + 1;
        let rt = rec.record_type();
        if let (Some((_, cnt_idc)), Some(idc)) = (cnt.get(i - 1), rec.idc()) {
            if cnt_idc.trim().parse::<u32>().ok() != Some(idc) {
                out.push(finding(
                    index,
                    rt,
                    None,
                    "AN2K-IDC",
                    format!("IDC {idc} differs from CNT (1.003) entry {cnt_idc:?}"),
                ));
            }
        }
        match rec {
            Record::Tagged(t) => check_tagged(index, t, &mut out),
            Record::Binary(b) => {
                if b.declared_len() as usize != b.bytes.len() {
                    out.push(finding(
                        index,
                        rt,
                        None,
                        "AN2K-LEN",
                        "binary length header disagrees with the record",
                    ));
                }
            }
        }
        if super::image::is_image_type(rt) {
            match ImageRecord::from_record(index, rec, nsr.as_deref(), ntr.as_deref()) {
                Ok(img) => check_image(&img, &mut out),
                Err(e) => out.push(finding(index, rt, None, "AN2K-IMAGE", e.to_string())),
            }
        }
    }
    out
}

fn check_type1(t1: &TaggedRecord, out: &mut Vec<Finding>) {
    // LEN, VER, CNT, TOT, DAT, DAI, ORI, TCN, NSR, NTR.
    for (n, name) in [
        (1, "LEN"),
        (2, "VER"),
        (3, "CNT"),
        (4, "TOT"),
        (5, "DAT"),
        (7, "DAI"),
        (8, "ORI"),
        (9, "TCN"),
        (11, "NSR"),
        (12, "NTR"),
    ] {
        if t1.field(n).is_none() {
            out.push(finding(
                1,
                1,
                Some(format!("1.{n:03}")),
                "AN2K-TYPE1-REQUIRED",
                format!("mandatory field {name} missing"),
            ));
        }
    }
    if let Some(v) = t1.text(2) {
        if !KNOWN_VERSIONS.contains(&v.trim()) {
            out.push(finding(
                1,
                1,
                Some("1.002".into()),
                "AN2K-VERSION",
                format!("version {v:?} is not one of {KNOWN_VERSIONS:?}"),
            ));
        }
    }
    if let Some(d) = t1.text(5) {
        if !is_date(d.trim()) {
            out.push(finding(
                1,
                1,
                Some("1.005".into()),
                "AN2K-DATE",
                format!("DAT {d:?} is not a CCYYMMDD date"),
            ));
        }
    }
    check_tags(1, t1, out);
}

fn check_tags(index: usize, t: &TaggedRecord, out: &mut Vec<Finding>) {
    let mut last = 0;
    for f in &t.fields {
        let tag_type = f.tag.split('.').next().and_then(|s| s.parse::<u16>().ok());
        if tag_type != Some(t.record_type) {
            out.push(finding(
                index,
                t.record_type,
                Some(f.tag.clone()),
                "AN2K-TAG-TYPE",
                format!("tag {} names another record type", f.tag),
            ));
        }
        if f.number <= last && t.record_type != 1 {
            out.push(finding(
                index,
                t.record_type,
                Some(f.tag.clone()),
                "AN2K-FIELD-ORDER",
                "fields out of ascending order or repeated",
            ));
        }
        last = last.max(f.number);
    }
}

fn check_tagged(index: usize, t: &TaggedRecord, out: &mut Vec<Finding>) {
    if t.fields.get(1).map(|f| f.number) != Some(2) {
        out.push(finding(
            index,
            t.record_type,
            Some(format!("{}.002", t.record_type)),
            "AN2K-IDC",
            "second field must be IDC (x.002)",
        ));
    }
    check_tags(index, t, out);
}

fn check_image(img: &ImageRecord, out: &mut Vec<Finding>) {
    let (i, rt) = (img.record_index, img.record_type);
    if img.width == 0 || img.height == 0 {
        out.push(finding(
            i,
            rt,
            None,
            "AN2K-IMAGE-SIZE",
            format!("image size {}x{}", img.width, img.height),
        ));
    }
    if matches!(rt, 3 | 4 | 13 | 14) {
        for &p in &img.positions {
            // 0-10 fingers, 11-15 plain impressions, 16-19 EJI and tips.
            if p > 19 {
                out.push(finding(
                    i,
                    rt,
                    None,
                    "AN2K-FGP",
                    format!("finger position {p} is not a fingerprint position code"),
                ));
            }
        }
        if img.positions.is_empty() {
            out.push(finding(i, rt, None, "AN2K-FGP", "no finger position"));
        }
    }
    if matches!(img.compression, super::image::Compression::None) && img.bits_per_pixel == 8 {
        let need = img.width as usize * img.height as usize;
        if img.data.len() != need {
            out.push(finding(
                i,
                rt,
                None,
                "AN2K-IMAGE-DATA",
                format!(
                    "uncompressed image needs {need} bytes, record holds {}",
                    img.data.len()
                ),
            ));
        }
    }
}
