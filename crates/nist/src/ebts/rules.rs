//! EBTS profile rules for `CAR` and `SRE` transactions (on top of the structural checks).

use crate::an2k::image::{Compression, ImageRecord};
use crate::an2k::validate::{finding, is_date, validate as validate_structure, Finding};
use crate::an2k::{TaggedRecord, Transaction};

/// Validate a transaction: the structural checks of [`crate::an2k::validate`], then the
/// EBTS rules for its TOT (`CAR` and `SRE`; other TOTs get the structural checks only).
pub fn validate(tx: &Transaction) -> Vec<Finding> {
    let mut out = validate_structure(tx);
    let tot = tx.type1().and_then(|t| t.text(4)).unwrap_or_default();
    match tot.trim() {
        "CAR" => validate_car(tx, &mut out),
        "SRE" => validate_sre(tx, &mut out),
        _ => {}
    }
    out
}

fn type2_of(
    tx: &Transaction,
    out: &mut Vec<Finding>,
    rule: &'static str,
) -> Option<(usize, TaggedRecord)> {
    let found = tx.records.iter().enumerate().find_map(|(i, r)| {
        r.as_tagged()
            .filter(|t| t.record_type == 2)
            .map(|t| (i + 1, t.clone()))
    });
    if found.is_none() {
        out.push(finding(
            1,
            1,
            Some("1.003".into()),
            rule,
            "no Type-2 record",
        ));
    }
    found
}

fn require(
    out: &mut Vec<Finding>,
    idx: usize,
    t2: &TaggedRecord,
    n: u32,
    rule: &'static str,
    what: &str,
    ok: impl Fn(&str) -> bool,
) {
    match t2.text(n) {
        None => out.push(finding(
            idx,
            2,
            Some(format!("2.{n:03}")),
            rule,
            format!("mandatory field {what} missing"),
        )),
        Some(v) if !ok(v.trim()) => out.push(finding(
            idx,
            2,
            Some(format!("2.{n:03}")),
            rule,
            format!("{what} value {v:?} is invalid"),
        )),
        _ => {}
    }
}

fn validate_car(tx: &Transaction, out: &mut Vec<Finding>) {
    let t1 = match tx.type1() {
        Some(t) => t,
        None => return,
    };
    for (n, what) in [(7, "DAI"), (8, "ORI")] {
        if let Some(v) = t1.text(n) {
            if v.trim().len() != 9 {
                out.push(finding(
                    1,
                    1,
                    Some(format!("1.{n:03}")),
                    "EBTS-T1-ORI",
                    format!("{what} {v:?} must be a 9-character ORI"),
                ));
            }
        }
    }
    if let Some((i, t2)) = type2_of(tx, out, "EBTS-CAR-T2") {
        require(out, i, &t2, 18, "EBTS-CAR-NAM", "NAM", |v| {
            v.contains(',') && v.len() <= 50 && !v.starts_with(',')
        });
        require(out, i, &t2, 20, "EBTS-CAR-POB", "POB", |v| {
            v.len() == 2 && v.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        require(out, i, &t2, 22, "EBTS-CAR-DOB", "DOB", is_date);
        require(out, i, &t2, 24, "EBTS-CAR-SEX", "SEX", |v| {
            matches!(v, "M" | "F" | "X" | "U")
        });
        require(out, i, &t2, 25, "EBTS-CAR-RAC", "RAC", |v| {
            matches!(v, "A" | "B" | "I" | "W" | "U")
        });
        require(out, i, &t2, 45, "EBTS-CAR-DOA", "DOA", is_date);
        require(out, i, &t2, 47, "EBTS-CAR-ASL", "ASL", |v| !v.is_empty());
        if let (Some(dob), Some(doa)) = (t2.text(22), t2.text(45)) {
            if is_date(&dob) && is_date(&doa) && dob > doa {
                out.push(finding(
                    i,
                    2,
                    Some("2.022".into()),
                    "EBTS-CAR-DOB-ORDER",
                    "date of birth is after the date of arrest",
                ));
            }
        }
        if let Some(asl) = t2.field(47) {
            for (k, items) in asl.items().iter().enumerate() {
                let doo = items.first().map(String::as_str).unwrap_or("");
                if !doo.is_empty() && !is_date(doo) {
                    out.push(finding(
                        i,
                        2,
                        Some("2.047".into()),
                        "EBTS-CAR-ASL",
                        format!("charge {}: date of offence {doo:?} is not CCYYMMDD", k + 1),
                    ));
                }
                if items.get(1).is_none_or(|a| a.trim().is_empty()) {
                    out.push(finding(
                        i,
                        2,
                        Some("2.047".into()),
                        "EBTS-CAR-ASL",
                        format!("charge {}: offence literal missing", k + 1),
                    ));
                }
            }
        }
    }
    // Fourteen images: positions 1-14, each once, in Type-4 or Type-14 records.
    let images = ImageRecord::all(tx).unwrap_or_default();
    let mut seen = [0usize; 15];
    for img in images
        .iter()
        .filter(|i| i.record_type == 4 || i.record_type == 14)
    {
        for &p in &img.positions {
            if (1..=14).contains(&p) {
                seen[p as usize] += 1;
            } else {
                out.push(finding(
                    img.record_index,
                    img.record_type,
                    None,
                    "EBTS-CAR-FGP",
                    format!("finger position {p} is not 1-14"),
                ));
            }
        }
        if !matches!(img.compression, Compression::Wsq | Compression::None) {
            out.push(finding(
                img.record_index,
                img.record_type,
                None,
                "EBTS-CAR-CGA",
                format!(
                    "compression {} (WSQ or none expected)",
                    img.compression.code_text()
                ),
            ));
        }
        if let Some(ppi) = img.ppi {
            if !(490..=510).contains(&ppi) && ppi < 990 {
                out.push(finding(
                    img.record_index,
                    img.record_type,
                    None,
                    "EBTS-CAR-PPI",
                    format!("{ppi} ppi (500 or 1000 expected)"),
                ));
            }
        }
    }
    for (p, &n) in seen.iter().enumerate().skip(1) {
        if n != 1 {
            out.push(finding(
                1,
                1,
                Some("1.003".into()),
                "EBTS-CAR-14-IMAGES",
                format!("finger position {p} appears {n} times (exactly once required)"),
            ));
        }
    }
}

fn validate_sre(tx: &Transaction, out: &mut Vec<Finding>) {
    if let Some(t1) = tx.type1() {
        if t1.field(10).is_none() {
            out.push(finding(
                1,
                1,
                Some("1.010".into()),
                "EBTS-SRE-TCR",
                "TCR (the submission's TCN) missing",
            ));
        }
    }
    if let Some((i, t2)) = type2_of(tx, out, "EBTS-SRE-T2") {
        require(out, i, &t2, 18, "EBTS-SRE-NAM", "NAM", |v| !v.is_empty());
        require(out, i, &t2, 59, "EBTS-SRE-SRF", "SRF", |v| {
            matches!(v, "I" | "N")
        });
        if t2.text(59).is_some_and(|v| v.trim() == "I") && t2.field(14).is_none() {
            out.push(finding(
                i,
                2,
                Some("2.014".into()),
                "EBTS-SRE-FBI",
                "an identification must return the FBI number",
            ));
        }
    }
}
