//! Typed views of image records: Type-3..6 (binary fingerprint), Type-10 (face), Type-13
//! (latent), Type-14 (fingerprint), Type-15 (palm), Type-16/17 (user-defined, iris).
//!
//! The view borrows the record's bytes; [`ImageRecord::decode_grey`] turns uncompressed
//! or WSQ data into 8-bit grey pixels.

use super::{Record, TaggedRecord, Transaction};
use crate::{wsq, Error, Result};

/// How the image data is compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compression {
    /// Uncompressed pixels.
    None,
    /// FBI WSQ.
    Wsq,
    /// JPEG baseline.
    Jpeg,
    /// JPEG lossless.
    JpegLossless,
    /// JPEG 2000 (lossy).
    Jpeg2000,
    /// JPEG 2000 lossless.
    Jpeg2000Lossless,
    /// PNG.
    Png,
    /// Any other code, as written.
    Other(String),
}

impl Compression {
    /// From a binary record's GCA byte (ANSI/NIST-ITL table of compression codes).
    pub fn from_code(code: u8) -> Self {
        match code {
            0 => Compression::None,
            1 => Compression::Wsq,
            2 => Compression::Jpeg,
            3 => Compression::JpegLossless,
            4 => Compression::Jpeg2000,
            5 => Compression::Jpeg2000Lossless,
            6 => Compression::Png,
            c => Compression::Other(c.to_string()),
        }
    }

    /// From a tagged record's CGA text ("NONE", "WSQ20", ... or an old numeric code).
    pub fn from_text(text: &str) -> Self {
        let t = text.trim().to_ascii_uppercase();
        match t.as_str() {
            "NONE" | "0" => Compression::None,
            "WSQ" | "WSQ20" | "1" => Compression::Wsq,
            "JPEGB" | "2" => Compression::Jpeg,
            "JPEGL" | "3" => Compression::JpegLossless,
            "JP2" | "4" => Compression::Jpeg2000,
            "JP2L" | "5" => Compression::Jpeg2000Lossless,
            "PNG" | "6" => Compression::Png,
            _ => Compression::Other(t),
        }
    }

    /// The text code used in tagged records.
    pub fn code_text(&self) -> &str {
        match self {
            Compression::None => "NONE",
            Compression::Wsq => "WSQ20",
            Compression::Jpeg => "JPEGB",
            Compression::JpegLossless => "JPEGL",
            Compression::Jpeg2000 => "JP2",
            Compression::Jpeg2000Lossless => "JP2L",
            Compression::Png => "PNG",
            Compression::Other(s) => s,
        }
    }

    /// A file extension for extracted data.
    pub fn extension(&self) -> &str {
        match self {
            Compression::None => "raw",
            Compression::Wsq => "wsq",
            Compression::Jpeg | Compression::JpegLossless => "jpg",
            Compression::Jpeg2000 | Compression::Jpeg2000Lossless => "jp2",
            Compression::Png => "png",
            Compression::Other(_) => "bin",
        }
    }
}

/// 8-bit grey pixels, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreyImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution in pixels per inch, when known.
    pub ppi: Option<u32>,
    /// `width * height` grey values.
    pub pixels: Vec<u8>,
}

/// A view of one image-bearing record.
#[derive(Debug, Clone)]
pub struct ImageRecord<'a> {
    /// 1-based index of the record in the transaction.
    pub record_index: usize,
    /// Record type.
    pub record_type: u16,
    /// IDC of the record.
    pub idc: u32,
    /// Impression type code (0 live-scan plain, 1 live-scan rolled, ...), if given.
    pub impression: Option<u32>,
    /// Finger (or palm) position codes; 255 fillers of Type-4 are dropped.
    pub positions: Vec<u32>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution in pixels per inch, when it can be determined.
    pub ppi: Option<u32>,
    /// Bits per pixel (8 for grey fingerprints).
    pub bits_per_pixel: u32,
    /// Compression of `data`.
    pub compression: Compression,
    /// The image data bytes.
    pub data: &'a [u8],
}

/// Record types that carry an image this module understands.
pub fn is_image_type(record_type: u16) -> bool {
    matches!(record_type, 3..=6 | 10 | 13..=17)
}

/// Pixels per inch from a scanning resolution in pixels per millimetre ("19.69" -> 500).
fn ppi_from_ppmm(text: &str) -> Option<u32> {
    let ppmm: f64 = text.trim().parse().ok()?;
    if !(ppmm > 0.0 && ppmm < 10_000.0) {
        return None;
    }
    Some((ppmm * 25.4).round() as u32)
}

impl<'a> ImageRecord<'a> {
    /// Every image record of a transaction, in file order. Records whose headers are
    /// malformed are reported as errors rather than skipped.
    pub fn all(tx: &'a Transaction) -> Result<Vec<ImageRecord<'a>>> {
        let nsr = tx.type1().and_then(|t| t.text(11));
        let ntr = tx.type1().and_then(|t| t.text(12));
        let mut out = Vec::new();
        for (i, rec) in tx.records.iter().enumerate() {
            if !is_image_type(rec.record_type()) {
                continue;
            }
            out.push(Self::from_record(
                i + 1,
                rec,
                nsr.as_deref(),
                ntr.as_deref(),
            )?);
        }
        Ok(out)
    }

    /// A view of one record; `nsr`/`ntr` are fields 1.011 and 1.012 (binary records refer
    /// to them for their resolution).
    pub fn from_record(
        record_index: usize,
        rec: &'a Record,
        nsr: Option<&str>,
        ntr: Option<&str>,
    ) -> Result<ImageRecord<'a>> {
        match rec {
            Record::Binary(b) => {
                let t = b.record_type;
                let bytes = &b.bytes;
                if !(3..=6).contains(&t) || bytes.len() < 18 {
                    return Err(Error::Record {
                        record: record_index,
                        record_type: t,
                        offset: 0,
                        message: "not a Type-3..6 image record with an 18-byte header".into(),
                    });
                }
                let isr = bytes[12];
                let ppi = if isr == 0 { nsr } else { ntr }.and_then(ppi_from_ppmm);
                Ok(ImageRecord {
                    record_index,
                    record_type: t,
                    idc: u32::from(bytes[4]),
                    impression: Some(u32::from(bytes[5])),
                    // Unused FGP bytes are 255; some writers pad with 0 instead.
                    positions: bytes[6..12]
                        .iter()
                        .enumerate()
                        .filter(|&(i, &p)| p != 255 && (i == 0 || p != 0))
                        .map(|(_, &p)| u32::from(p))
                        .collect(),
                    width: u32::from(u16::from_be_bytes([bytes[13], bytes[14]])),
                    height: u32::from(u16::from_be_bytes([bytes[15], bytes[16]])),
                    ppi,
                    bits_per_pixel: if t == 6 { 1 } else { 8 },
                    // Types 5 and 6 are 1-bit images: their code 1 is ANSI/EIA-538 (Group 4).
                    compression: match (t, bytes[17]) {
                        (5 | 6, 0) => Compression::None,
                        (5 | 6, _) => Compression::Other("EIA-538".into()),
                        (_, c) => Compression::from_code(c),
                    },
                    data: &bytes[18..],
                })
            }
            Record::Tagged(r) => Self::from_tagged(record_index, r),
        }
    }

    fn from_tagged(record_index: usize, r: &'a TaggedRecord) -> Result<ImageRecord<'a>> {
        let bad = |message: String| Error::Record {
            record: record_index,
            record_type: r.record_type,
            offset: 0,
            message,
        };
        let num = |n: u32, name: &str| -> Result<u32> {
            let text = r
                .text(n)
                .ok_or_else(|| bad(format!("{name} field {}.{n:03} missing", r.record_type)))?;
            text.trim().parse().map_err(|_| {
                bad(format!(
                    "{name} field {}.{n:03} is {text:?}, not a number",
                    r.record_type
                ))
            })
        };
        let width = num(6, "HLL")?;
        let height = num(7, "VLL")?;
        let slc = num(8, "SLC").unwrap_or(0);
        let thps = num(9, "THPS").ok();
        let ppi = match (slc, thps) {
            (1, Some(v)) => Some(v),
            (2, Some(v)) => Some((f64::from(v) * 2.54).round() as u32),
            _ => None,
        };
        let compression = Compression::from_text(&r.text(11).unwrap_or_default());
        let bits_per_pixel = if r.record_type == 10 {
            // Type-10 colour space (10.012) decides depth; grey faces are 8-bit.
            match r.text(12).as_deref().map(str::trim) {
                Some("GRAY") => 8,
                _ => 24,
            }
        } else {
            num(12, "BPX").unwrap_or(8)
        };
        let positions = match r.record_type {
            13..=15 => r
                .field(13)
                .map(|f| {
                    f.subfields()
                        .filter_map(|s| std::str::from_utf8(s).ok()?.trim().parse().ok())
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let data = r.field(999).map(|f| f.value.as_slice()).unwrap_or(&[]);
        Ok(ImageRecord {
            record_index,
            record_type: r.record_type,
            idc: r
                .field(2)
                .and_then(|f| f.text().trim().parse().ok())
                .unwrap_or(0),
            impression: r.text(3).and_then(|t| t.trim().parse().ok()),
            positions,
            width,
            height,
            ppi,
            bits_per_pixel,
            compression,
            data,
        })
    }

    /// Decode to 8-bit grey pixels (uncompressed 8-bit data or WSQ).
    pub fn decode_grey(&self) -> Result<GreyImage> {
        let here = |message: String| Error::Record {
            record: self.record_index,
            record_type: self.record_type,
            offset: 0,
            message,
        };
        match self.compression {
            Compression::None => {
                if self.bits_per_pixel != 8 {
                    return Err(here(format!(
                        "uncompressed {}-bit image: only 8-bit grey is decoded",
                        self.bits_per_pixel
                    )));
                }
                let n = self.width as usize * self.height as usize;
                if self.data.len() < n {
                    return Err(here(format!(
                        "uncompressed {}x{} image needs {n} bytes, record holds {}",
                        self.width,
                        self.height,
                        self.data.len()
                    )));
                }
                Ok(GreyImage {
                    width: self.width,
                    height: self.height,
                    ppi: self.ppi,
                    pixels: self.data[..n].to_vec(),
                })
            }
            Compression::Wsq => {
                let img = wsq::decode(self.data).map_err(|e| here(e.to_string()))?;
                Ok(GreyImage {
                    ppi: img.ppi.or(self.ppi),
                    ..img
                })
            }
            ref other => Err(here(format!(
                "{} compression is not decoded by this crate",
                other.code_text()
            ))),
        }
    }
}
