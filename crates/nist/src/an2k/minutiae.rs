//! Typed view of Type-9 minutiae records: the legacy standard block (9.005-9.012), the FBI
//! IAFIS block (9.013-9.030) and the INCITS 378 block (9.126-9.150).

use super::{Field, TaggedRecord};

/// Which block of Type-9 fields the minutiae came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinutiaeBlock {
    /// ANSI/NIST legacy standard format (9.010 NMN, 9.012 MRC).
    Standard,
    /// FBI IAFIS features (9.014 FGN, 9.023 MAT).
    Iafis,
    /// INCITS 378 block (9.134 FGP, 9.137 FMD).
    Incits378,
}

/// One minutia as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minutia {
    /// Index within the record.
    pub index: u32,
    /// X coordinate (units of the block: 0.01 mm for standard/IAFIS, pixels for INCITS 378).
    pub x: u32,
    /// Y coordinate (same units as `x`).
    pub y: u32,
    /// Direction: degrees for standard/IAFIS, 2-degree units for INCITS 378 (as recorded).
    pub theta: u32,
    /// Quality, when recorded.
    pub quality: Option<u32>,
    /// Type letter or code as recorded ("A" ridge ending, "B" bifurcation, "1", "2", ...).
    pub kind: String,
}

/// The minutiae of one Type-9 record (one block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinutiaeSet {
    /// Block the data came from.
    pub block: MinutiaeBlock,
    /// Finger position, if recorded.
    pub finger_position: Option<u32>,
    /// Image width/height for INCITS 378 (9.128, 9.129).
    pub image_size: Option<(u32, u32)>,
    /// Minutiae in recorded order.
    pub minutiae: Vec<Minutia>,
}

fn num(s: &str) -> Option<u32> {
    s.trim().parse().ok()
}

/// `XXXXYYYYTTT` packed position used by the standard and IAFIS blocks (some old writers,
/// NBIS's test data among them, use five digits for X and Y).
fn packed_xyt(s: &str) -> Option<(u32, u32, u32)> {
    let s = s.trim();
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let d = match s.len() {
        11 => 4,
        13 => 5,
        _ => return None,
    };
    Some((num(&s[0..d])?, num(&s[d..2 * d])?, num(&s[2 * d..])?))
}

fn packed_list(field: &Field) -> Vec<Minutia> {
    field
        .items()
        .into_iter()
        .filter_map(|items| {
            let (x, y, theta) = packed_xyt(items.get(1)?)?;
            Some(Minutia {
                index: num(&items[0])?,
                x,
                y,
                theta,
                quality: items.get(2).and_then(|q| num(q)),
                kind: items.get(3).cloned().unwrap_or_default(),
            })
        })
        .collect()
}

/// Read the minutiae of a Type-9 record, preferring INCITS 378, then IAFIS, then standard.
/// Returns `None` for records with none of these blocks (e.g. EFS-only records).
pub fn read_minutiae(rec: &TaggedRecord) -> Option<MinutiaeSet> {
    if rec.record_type != 9 {
        return None;
    }
    if let Some(fmd) = rec.field(137) {
        let minutiae = fmd
            .items()
            .into_iter()
            .filter_map(|it| {
                Some(Minutia {
                    index: num(it.first()?)?,
                    x: num(it.get(1)?)?,
                    y: num(it.get(2)?)?,
                    theta: num(it.get(3)?)?,
                    quality: it.get(4).and_then(|q| num(q)),
                    kind: it.get(5).cloned().unwrap_or_default(),
                })
            })
            .collect();
        let size = rec
            .text(128)
            .and_then(|w| Some((num(&w)?, num(&rec.text(129)?)?)));
        return Some(MinutiaeSet {
            block: MinutiaeBlock::Incits378,
            finger_position: rec.text(134).and_then(|t| num(t.split('\x1f').next()?)),
            image_size: size,
            minutiae,
        });
    }
    if let Some(mat) = rec.field(23) {
        return Some(MinutiaeSet {
            block: MinutiaeBlock::Iafis,
            finger_position: rec.text(14).and_then(|t| num(&t)),
            image_size: None,
            minutiae: packed_list(mat),
        });
    }
    if let Some(mrc) = rec.field(12) {
        return Some(MinutiaeSet {
            block: MinutiaeBlock::Standard,
            finger_position: rec.text(6).and_then(|t| num(t.split('\x1e').next()?)),
            image_size: None,
            minutiae: packed_list(mrc),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[(u32, &str)]) -> TaggedRecord {
        let mut r = TaggedRecord::new(9);
        for &(n, v) in fields {
            r.set(n, v.replace('_', "\u{1f}").replace('^', "\u{1e}"));
        }
        r
    }

    #[test]
    fn incits_378_block() {
        let r = record(&[
            (1, "0"),
            (2, "01"),
            (4, "U"),
            (128, "416"),
            (129, "512"),
            (134, "2"),
            (136, "2"),
            (137, "1_100_200_45_60_1^2_150_250_90_40_2"),
        ]);
        let m = read_minutiae(&r).unwrap();
        assert_eq!(m.block, MinutiaeBlock::Incits378);
        assert_eq!(m.finger_position, Some(2));
        assert_eq!(m.image_size, Some((416, 512)));
        assert_eq!(m.minutiae.len(), 2);
        assert_eq!(
            m.minutiae[1],
            Minutia {
                index: 2,
                x: 150,
                y: 250,
                theta: 90,
                quality: Some(40),
                kind: "2".into()
            }
        );
    }

    #[test]
    fn standard_and_iafis_blocks() {
        let std = record(&[
            (4, "S"),
            (6, "03"),
            (10, "1"),
            (12, "001_01320714248_0_A_2,1"),
        ]);
        let m = read_minutiae(&std).unwrap();
        assert_eq!(
            (m.block, m.finger_position),
            (MinutiaeBlock::Standard, Some(3))
        );
        assert_eq!(
            (m.minutiae[0].x, m.minutiae[0].y, m.minutiae[0].theta),
            (132, 714, 248)
        );
        let iafis = record(&[(4, "U"), (14, "7"), (23, "001_21951869281_00_C")]);
        let m = read_minutiae(&iafis).unwrap();
        assert_eq!(
            (m.block, m.finger_position, m.minutiae[0].kind.as_str()),
            (MinutiaeBlock::Iafis, Some(7), "C")
        );
        assert!(read_minutiae(&record(&[(4, "U")])).is_none());
    }
}
