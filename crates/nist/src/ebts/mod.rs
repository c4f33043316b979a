//! FBI EBTS profile: the criminal tenprint submission (TOT `CAR`) and the search results
//! response (TOT `SRE`), built from plain structs and read back into them, plus the
//! profile's validation rules. Nothing here knows about agencies: strings and images in,
//! bytes out. The implemented subset is listed in `docs/ebts.md`.

mod rules;

pub use rules::validate;

use crate::an2k::image::{Compression, GreyImage, ImageRecord};
use crate::an2k::validate::is_date;
use crate::an2k::{join_subfields, BinaryRecord, Record, TaggedRecord, Transaction, US};
use crate::{wsq, Error, Result};

/// Version written in 1.002: ANSI/NIST-ITL 1-2011.
pub const VERSION: &str = "0500";
/// Native and nominal scanning resolution for 500 ppi prints, in pixels per mm.
pub const RESOLUTION_PPMM: &str = "19.69";

/// Fields of the Type-1 record that identify a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Date (1.005), CCYYMMDD.
    pub date: String,
    /// Priority (1.006), 1 (highest) to 9.
    pub priority: u8,
    /// Destination agency (1.007, DAI), 9-character ORI.
    pub destination: String,
    /// Originating agency (1.008, ORI), 9-character ORI.
    pub originating: String,
    /// Transaction control number (1.009, TCN).
    pub control_number: String,
    /// Transaction control reference (1.010, TCR): the TCN a response answers.
    pub control_reference: Option<String>,
}

/// The arrestee's name (2.018 NAM: `SURNAME,GIVEN MIDDLE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// Family name.
    pub surname: String,
    /// Given name(s), middle names included.
    pub given: String,
}

/// Biographic data of the subject (Type-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// 2.018 NAM.
    pub name: Name,
    /// 2.022 DOB, CCYYMMDD.
    pub date_of_birth: String,
    /// 2.024 SEX: M, F, X or U.
    pub sex: char,
    /// 2.025 RAC: A, B, I, W or U.
    pub race: char,
    /// 2.020 POB: state or country code (2 characters).
    pub place_of_birth: String,
    /// 2.021 CTZ: country of citizenship code, if known.
    pub citizenship: Option<String>,
    /// 2.027 HGT: feet and inches as 3 digits ("510").
    pub height: Option<String>,
    /// 2.029 WGT: pounds.
    pub weight: Option<u32>,
    /// 2.031 EYE: colour code (BRO, BLU, ...).
    pub eyes: Option<String>,
    /// 2.032 HAI: colour code (BLK, BRO, ...).
    pub hair: Option<String>,
    /// 2.014 FBI number, when known.
    pub fbi_number: Option<String>,
    /// 2.015 SID, state identification number, when known.
    pub state_id: Option<String>,
}

/// One charge of the arrest (2.047 ASL subfield: DOO US AOL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// Date of offence, CCYYMMDD, if known.
    pub date_of_offense: Option<String>,
    /// NCIC offence code (4 digits), written at the start of the literal.
    pub ncic_code: Option<String>,
    /// Arrest offence literal (statute text).
    pub literal: String,
}

/// Arrest data (Type-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrest {
    /// 2.045 DOA: date of arrest, CCYYMMDD.
    pub date_of_arrest: String,
    /// 2.009 OCA: originating agency case number (booking number).
    pub case_number: Option<String>,
    /// 2.047 ASL: the charges.
    pub charges: Vec<Charge>,
}

/// One fingerprint image of the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerImage {
    /// Finger position: 1-10 rolled (right thumb .. left little), 11/12 plain thumbs,
    /// 13/14 right/left four-finger slaps.
    pub position: u8,
    /// Impression type: 0 live-scan plain, 1 live-scan rolled, 2/3 ink plain/rolled.
    pub impression: u8,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution in pixels per inch.
    pub ppi: u32,
    /// Compression of `data` (WSQ or none).
    pub compression: Compression,
    /// Image bytes.
    pub data: Vec<u8>,
}

impl FingerImage {
    /// Compress grey pixels with WSQ at `bitrate` (0.75 for the FBI's 500 ppi prints).
    pub fn from_grey(position: u8, impression: u8, img: &GreyImage, bitrate: f32) -> Result<Self> {
        Ok(FingerImage {
            position,
            impression,
            width: img.width,
            height: img.height,
            ppi: img.ppi.unwrap_or(500),
            compression: Compression::Wsq,
            data: wsq::encode(img, bitrate)?,
        })
    }

    /// Grey pixels of this image.
    pub fn decode(&self) -> Result<GreyImage> {
        let view = ImageRecord {
            record_index: 0,
            record_type: 14,
            idc: 0,
            impression: Some(u32::from(self.impression)),
            positions: vec![u32::from(self.position)],
            width: self.width,
            height: self.height,
            ppi: Some(self.ppi),
            bits_per_pixel: 8,
            compression: self.compression.clone(),
            data: &self.data,
        };
        view.decode_grey()
    }
}

/// Which record type carries the fingerprints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageRecordKind {
    /// Type-4 (binary header, 500 ppi).
    Type4,
    /// Type-14 (tagged, variable resolution).
    Type14,
}

/// A criminal tenprint submission (TOT `CAR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriminalTenprint {
    /// Type-1 identification.
    pub header: Header,
    /// Biographic data.
    pub subject: Subject,
    /// Arrest data and charges.
    pub arrest: Arrest,
    /// Fourteen images (positions 1-14).
    pub images: Vec<FingerImage>,
    /// Record type used for the images.
    pub image_kind: ImageRecordKind,
}

/// The search results response (TOT `SRE`) to a criminal submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResponse {
    /// Type-1 identification; `control_reference` is the submission's TCN.
    pub header: Header,
    /// 2.018 NAM of the subject as submitted or as on file.
    pub name: Name,
    /// 2.059 SRF: true for an identification ("I"), false for a non-identification ("N").
    pub identified: bool,
    /// 2.014 FBI number (existing or newly assigned).
    pub fbi_number: Option<String>,
    /// 2.015 SID, if returned.
    pub state_id: Option<String>,
    /// 2.075 ERS: the electronic rap sheet text.
    pub rap_sheet: Option<String>,
    /// 2.060 MSG: free text.
    pub message: Option<String>,
}

fn type1(tot: &str, h: &Header) -> TaggedRecord {
    let mut t = TaggedRecord::new(1);
    t.set(1, "0");
    t.set(2, VERSION);
    t.set(3, format!("1{}0", US as char));
    t.set(4, tot);
    t.set(5, h.date.as_str());
    t.set(6, h.priority.to_string());
    t.set(7, h.destination.as_str());
    t.set(8, h.originating.as_str());
    t.set(9, h.control_number.as_str());
    if let Some(tcr) = &h.control_reference {
        t.set(10, tcr.as_str());
    }
    t.set(11, RESOLUTION_PPMM);
    t.set(12, RESOLUTION_PPMM);
    t.set(13, join_subfields(&[&["NORAM"]]));
    t
}

fn name_text(n: &Name) -> String {
    format!("{},{}", n.surname, n.given)
}

fn parse_name(s: &str) -> Name {
    match s.split_once(',') {
        Some((sur, given)) => Name {
            surname: sur.to_string(),
            given: given.to_string(),
        },
        None => Name {
            surname: s.to_string(),
            given: String::new(),
        },
    }
}

fn finish(records: Vec<Record>) -> Transaction {
    let mut tx = Transaction { records };
    tx.update_cnt();
    tx.fix_lengths();
    tx
}

fn check_header(h: &Header) -> Result<()> {
    for (what, v) in [("DAI", &h.destination), ("ORI", &h.originating)] {
        if v.len() != 9 || !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::Invalid(format!(
                "{what} {v:?} must be 9 letters or digits"
            )));
        }
    }
    if !is_date(&h.date) {
        return Err(Error::Invalid(format!("date {:?} is not CCYYMMDD", h.date)));
    }
    Ok(())
}

/// Text must not contain separators (they would break the record structure).
fn clean(what: &str, v: &str) -> Result<()> {
    if v.bytes().any(|b| (0x1C..=0x1F).contains(&b)) {
        return Err(Error::Invalid(format!(
            "{what} contains an ANSI/NIST separator character"
        )));
    }
    Ok(())
}

impl CriminalTenprint {
    /// Build the transaction (Type-1, Type-2, then one image record per finger, IDC 1..).
    pub fn build(&self) -> Result<Transaction> {
        check_header(&self.header)?;
        let s = &self.subject;
        let mut t2 = TaggedRecord::new(2);
        t2.set(1, "0");
        t2.set(2, "00");
        t2.set(5, "Y"); // RET: retain in the criminal file
        if let Some(oca) = &self.arrest.case_number {
            clean("OCA", oca)?;
            t2.set(9, oca.as_str());
        }
        if let Some(v) = &s.fbi_number {
            t2.set(14, v.as_str());
        }
        if let Some(v) = &s.state_id {
            t2.set(15, v.as_str());
        }
        let nam = name_text(&s.name);
        clean("NAM", &nam)?;
        t2.set(18, nam);
        t2.set(20, s.place_of_birth.as_str());
        if let Some(v) = &s.citizenship {
            t2.set(21, v.as_str());
        }
        t2.set(22, s.date_of_birth.as_str());
        t2.set(24, s.sex.to_string());
        t2.set(25, s.race.to_string());
        if let Some(v) = &s.height {
            t2.set(27, v.as_str());
        }
        if let Some(v) = s.weight {
            t2.set(29, v.to_string());
        }
        if let Some(v) = &s.eyes {
            t2.set(31, v.as_str());
        }
        if let Some(v) = &s.hair {
            t2.set(32, v.as_str());
        }
        t2.set(45, self.arrest.date_of_arrest.as_str());
        let asl: Vec<(String, String)> = self
            .arrest
            .charges
            .iter()
            .map(|c| {
                let aol = match &c.ncic_code {
                    Some(code) => format!("{code} {}", c.literal),
                    None => c.literal.clone(),
                };
                (c.date_of_offense.clone().unwrap_or_default(), aol)
            })
            .collect();
        for (doo, aol) in &asl {
            clean("ASL", doo)?;
            clean("ASL", aol)?;
        }
        let asl_refs: Vec<[&str; 2]> = asl.iter().map(|(d, a)| [d.as_str(), a.as_str()]).collect();
        let asl_subs: Vec<&[&str]> = asl_refs.iter().map(|a| a.as_slice()).collect();
        if !asl_subs.is_empty() {
            t2.set(47, join_subfields(&asl_subs));
        }
        t2.set(70, "Y"); // RAP: a rap sheet is requested
        t2.set(73, self.header.originating.as_str()); // CRI: controlling agency
        let mut records = vec![
            Record::Tagged(type1("CAR", &self.header)),
            Record::Tagged(t2),
        ];
        for (i, img) in self.images.iter().enumerate() {
            let idc = i as u32 + 1;
            records.push(match self.image_kind {
                ImageRecordKind::Type4 => Record::Binary(type4(idc, img)?),
                ImageRecordKind::Type14 => Record::Tagged(type14(idc, img, &self.header)),
            });
        }
        Ok(finish(records))
    }

    /// Read a criminal tenprint submission back into plain structs (Type-4 and Type-14
    /// images both accepted). Run [`validate`] first to learn what is missing or wrong;
    /// this fails only when a field the structs need is absent or unreadable.
    pub fn read(tx: &Transaction) -> Result<CriminalTenprint> {
        let t1 = tx
            .type1()
            .ok_or_else(|| Error::Transaction("no Type-1 record".into()))?;
        let t2 = tx
            .records_of_type(2)
            .find_map(Record::as_tagged)
            .ok_or_else(|| Error::Transaction("no Type-2 record".into()))?;
        let need = |r: &TaggedRecord, n: u32, name: &str| {
            r.text(n).ok_or_else(|| {
                Error::Transaction(format!("field {}.{n:03} ({name}) missing", r.record_type))
            })
        };
        let header = read_header(t1)?;
        let first_char = |n: u32, name: &str| -> Result<char> {
            need(t2, n, name)?
                .chars()
                .next()
                .ok_or_else(|| Error::Transaction(format!("field 2.{n:03} ({name}) empty")))
        };
        let subject = Subject {
            name: parse_name(&need(t2, 18, "NAM")?),
            date_of_birth: need(t2, 22, "DOB")?,
            sex: first_char(24, "SEX")?,
            race: first_char(25, "RAC")?,
            place_of_birth: need(t2, 20, "POB")?,
            citizenship: t2.text(21),
            height: t2.text(27),
            weight: t2.text(29).and_then(|w| w.trim().parse().ok()),
            eyes: t2.text(31),
            hair: t2.text(32),
            fbi_number: t2.text(14),
            state_id: t2.text(15),
        };
        let charges = t2
            .field(47)
            .map(|f| {
                f.items()
                    .into_iter()
                    .map(|items| {
                        let doo = items.first().cloned().filter(|d| !d.is_empty());
                        let aol = items.get(1).cloned().unwrap_or_default();
                        let (ncic_code, literal) = match aol.split_once(' ') {
                            Some((code, rest))
                                if code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit()) =>
                            {
                                (Some(code.to_string()), rest.to_string())
                            }
                            _ => (None, aol),
                        };
                        Charge {
                            date_of_offense: doo,
                            ncic_code,
                            literal,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let arrest = Arrest {
            date_of_arrest: need(t2, 45, "DOA")?,
            case_number: t2.text(9),
            charges,
        };
        let mut images = Vec::new();
        let mut kind = ImageRecordKind::Type14;
        for img in ImageRecord::all(tx)? {
            if img.record_type != 4 && img.record_type != 14 {
                continue;
            }
            if img.record_type == 4 {
                kind = ImageRecordKind::Type4;
            }
            let position = *img.positions.first().ok_or_else(|| {
                Error::Transaction(format!(
                    "record {} has no finger position",
                    img.record_index
                ))
            })?;
            images.push(FingerImage {
                position: position.min(255) as u8,
                impression: img.impression.unwrap_or(0).min(255) as u8,
                width: img.width,
                height: img.height,
                ppi: img.ppi.unwrap_or(500),
                compression: img.compression.clone(),
                data: img.data.to_vec(),
            });
        }
        Ok(CriminalTenprint {
            header,
            subject,
            arrest,
            images,
            image_kind: kind,
        })
    }
}

fn read_header(t1: &TaggedRecord) -> Result<Header> {
    let need = |n: u32, name: &str| {
        t1.text(n)
            .ok_or_else(|| Error::Transaction(format!("field 1.{n:03} ({name}) missing")))
    };
    Ok(Header {
        date: need(5, "DAT")?,
        priority: t1.text(6).and_then(|p| p.trim().parse().ok()).unwrap_or(9),
        destination: need(7, "DAI")?,
        originating: need(8, "ORI")?,
        control_number: need(9, "TCN")?,
        control_reference: t1.text(10),
    })
}

fn type4(idc: u32, img: &FingerImage) -> Result<BinaryRecord> {
    let gca = match img.compression {
        Compression::None => 0,
        Compression::Wsq => 1,
        ref c => {
            return Err(Error::Invalid(format!(
                "Type-4 images are WSQ or uncompressed, not {}",
                c.code_text()
            )))
        }
    };
    if img.width > 0xFFFF || img.height > 0xFFFF || idc > 255 {
        return Err(Error::Invalid(
            "Type-4 image too large or too many records".into(),
        ));
    }
    let mut b = Vec::with_capacity(18 + img.data.len());
    b.extend_from_slice(&((18 + img.data.len()) as u32).to_be_bytes());
    b.push(idc as u8);
    b.push(img.impression);
    b.extend_from_slice(&[img.position, 255, 255, 255, 255, 255]);
    b.push(0); // ISR: native scanning resolution (1.011)
    b.extend_from_slice(&(img.width as u16).to_be_bytes());
    b.extend_from_slice(&(img.height as u16).to_be_bytes());
    b.push(gca);
    b.extend_from_slice(&img.data);
    Ok(BinaryRecord {
        record_type: 4,
        bytes: b,
    })
}

fn type14(idc: u32, img: &FingerImage, h: &Header) -> TaggedRecord {
    let mut t = TaggedRecord::new(14);
    t.set(1, "0");
    t.set(2, format!("{idc:02}"));
    t.set(3, img.impression.to_string());
    t.set(4, h.originating.as_str());
    t.set(5, h.date.as_str());
    t.set(6, img.width.to_string());
    t.set(7, img.height.to_string());
    t.set(8, "1");
    t.set(9, img.ppi.to_string());
    t.set(10, img.ppi.to_string());
    t.set(11, img.compression.code_text());
    t.set(12, "8");
    t.set(13, img.position.to_string());
    t.set(999, img.data.clone());
    t
}

impl SearchResponse {
    /// Build the response transaction (Type-1 and Type-2 only).
    pub fn build(&self) -> Result<Transaction> {
        check_header(&self.header)?;
        let mut t2 = TaggedRecord::new(2);
        t2.set(1, "0");
        t2.set(2, "00");
        if let Some(v) = &self.fbi_number {
            t2.set(14, v.as_str());
        }
        if let Some(v) = &self.state_id {
            t2.set(15, v.as_str());
        }
        t2.set(18, name_text(&self.name));
        t2.set(59, if self.identified { "I" } else { "N" });
        if let Some(m) = &self.message {
            clean("MSG", m)?;
            t2.set(60, m.as_str());
        }
        if let Some(r) = &self.rap_sheet {
            clean("ERS", r)?;
            t2.set(75, r.as_str());
        }
        Ok(finish(vec![
            Record::Tagged(type1("SRE", &self.header)),
            Record::Tagged(t2),
        ]))
    }

    /// Read a response back into plain structs.
    pub fn read(tx: &Transaction) -> Result<SearchResponse> {
        let t1 = tx
            .type1()
            .ok_or_else(|| Error::Transaction("no Type-1 record".into()))?;
        let t2 = tx
            .records_of_type(2)
            .find_map(Record::as_tagged)
            .ok_or_else(|| Error::Transaction("no Type-2 record".into()))?;
        Ok(SearchResponse {
            header: read_header(t1)?,
            name: parse_name(&t2.text(18).unwrap_or_default()),
            identified: t2.text(59).is_some_and(|s| s.trim() == "I"),
            fbi_number: t2.text(14),
            state_id: t2.text(15),
            rap_sheet: t2.text(75),
            message: t2.text(60),
        })
    }
}
