//! The gallery on disk: one file, read in one streamed read, checked
//! before anything in it is used.
//!
//! Layout (all integers little endian), version 3:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `SCOMMGAL` |
//! | 4 | format version (3) |
//! | 4 | descriptor bytes per finger (must equal this build's [`DIM`]) |
//! | 4 | subjects S |
//! | 4 | fingers R |
//! | 8 | minutiae M |
//! | 8 | triplet keys K |
//! | 4 | CRC-32 of everything after the header |
//! | 4 | reserved, zero |
//! | S x 12 | subject id (u64), its finger count (u32); fingers follow in subject order |
//! | R x 8 | position (u8), minutiae count (u8), width (u16), height (u16), key count (u16) |
//! | R x DIM | filter descriptors |
//! | M x 6 | packed minutiae (x u16, y u16, direction in 1/256 turn, kind + quality/2 << 2) |
//! | K x 4 | triplet entries (key << 8 \| central minutia direction, below 2^30), each finger's ascending |
//! | K x 1 | each entry's central minutia cell ([`crate::triplets::cell_of`]; every byte is a cell) |
//!
//! Versions 1 (no directions in the keys) and 2 (no cells) are refused: a
//! gallery is rebuilt from its templates, not converted.
//!
//! Only live subjects are written, so a saved and reloaded gallery is
//! compact. What derives from the stored data (descriptor norms, the
//! inverted index) is rebuilt on load: cheap, and one thing fewer to trust.

use std::io::{Read, Write};
use std::path::Path;

use rayon::prelude::*;

use crate::descriptor::{self, DIM};
use crate::gallery::{Gallery, PackedMinutia, Record, Subject};
use crate::{FingerPosition, IdentError};

pub const MAGIC: &[u8; 8] = b"SCOMMGAL";
pub const VERSION: u32 = 3;
pub const HEADER: usize = 48;
const RECORD: usize = 8;

/// CRC-32 of the sections one after another, summed in pieces on
/// all threads and combined.
fn checksum(sections: &[&[u8]]) -> u32 {
    let pieces: Vec<&[u8]> = sections.iter().flat_map(|s| s.chunks(PIECE)).collect();
    let pieces: Vec<crc32fast::Hasher> = pieces
        .par_iter()
        .map(|piece| {
            let mut h = crc32fast::Hasher::new();
            h.update(piece);
            h
        })
        .collect();
    let mut total = crc32fast::Hasher::new();
    for piece in &pieces {
        total.combine(piece);
    }
    total.finalize()
}

fn corrupt(what: impl Into<String>) -> IdentError {
    IdentError::Corrupt(what.into())
}

fn checksum_mismatch() -> IdentError {
    corrupt("checksum mismatch: the file's contents were altered")
}

/// A file's header, checked: its counts, and the checksum of the body.
#[derive(Clone, Copy)]
struct Header {
    n_subjects: usize,
    n_records: usize,
    n_minutiae: usize,
    n_keys: usize,
    crc: u32,
}

impl Header {
    /// The header at the start of `bytes`, for a body of `body_len` bytes.
    fn read(bytes: &[u8], body_len: u64) -> Result<Header, IdentError> {
        if bytes.len() < HEADER {
            return Err(corrupt(format!(
                "{} bytes is shorter than the {HEADER}-byte header",
                bytes.len()
            )));
        }
        if &bytes[..8] != MAGIC {
            return Err(corrupt("bad magic: not a scomm gallery file"));
        }
        let u32_at =
            |o: usize| u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
        let version = u32_at(8);
        if version != VERSION {
            return Err(IdentError::Version {
                found: version,
                expected: VERSION,
            });
        }
        let dim = u32_at(12) as usize;
        if dim != DIM {
            return Err(corrupt(format!(
                "descriptor size {dim}, this build uses {DIM}"
            )));
        }
        let (n_subjects, n_records) = (u32_at(16) as usize, u32_at(20) as usize);
        let n_minutiae = u64::from_le_bytes(bytes[24..32].try_into().expect("8 bytes"));
        let n_keys = u64::from_le_bytes(bytes[32..40].try_into().expect("8 bytes"));
        let crc = u32_at(40);
        if u32_at(44) != 0 {
            return Err(corrupt("reserved header field is not zero"));
        }
        let expected = (n_subjects as u128) * 12
            + (n_records as u128) * (RECORD + DIM) as u128
            + (n_minutiae as u128) * 6
            + (n_keys as u128) * 5;
        if body_len as u128 != expected {
            return Err(corrupt(format!(
                "body is {body_len} bytes; the header's counts ({n_subjects} subjects, {n_records} fingers, {n_minutiae} minutiae, {n_keys} keys) need {expected} (truncated or padded file)"
            )));
        }
        // The body fits in memory (it is there, or its file's length
        // says so), so the counts fit usize.
        Ok(Header {
            n_subjects,
            n_records,
            n_minutiae: n_minutiae as usize,
            n_keys: n_keys as usize,
            crc,
        })
    }

    /// Bytes of the subject and finger tables.
    fn meta_bytes(&self) -> usize {
        self.n_subjects * 12 + self.n_records * RECORD
    }

    /// The body's sections, in order, against the header's checksum.
    fn check(&self, sections: &[&[u8]]) -> Result<(), IdentError> {
        if checksum(sections) != self.crc {
            return Err(checksum_mismatch());
        }
        Ok(())
    }
}

impl Gallery {
    /// The gallery as bytes (live subjects only).
    pub fn to_bytes(&self) -> Vec<u8> {
        let live: Vec<&Subject> = self
            .subjects
            .iter()
            .filter(|s| !s.records.is_empty())
            .collect();
        let records: Vec<u32> = live
            .iter()
            .flat_map(|s| s.records.iter().copied())
            .collect();
        let minutiae: usize = records
            .iter()
            .map(|&r| self.records[r as usize].count as usize)
            .sum();
        let (key_start, keys, cells) = self.triplets.keys_by_record(self.records.len());
        let key_count = |r: u32| (key_start[r as usize + 1] - key_start[r as usize]) as usize;
        let n_keys: usize = records.iter().map(|&r| key_count(r)).sum();
        let body_len = live.len() * 12 + records.len() * (RECORD + DIM) + minutiae * 6 + n_keys * 5;
        let mut out = Vec::with_capacity(HEADER + body_len);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(DIM as u32).to_le_bytes());
        out.extend_from_slice(&(live.len() as u32).to_le_bytes());
        out.extend_from_slice(&(records.len() as u32).to_le_bytes());
        out.extend_from_slice(&(minutiae as u64).to_le_bytes());
        out.extend_from_slice(&(n_keys as u64).to_le_bytes());
        out.extend_from_slice(&[0u8; 8]); // CRC and reserved, filled below
        for s in &live {
            out.extend_from_slice(&s.id.to_le_bytes());
            out.extend_from_slice(&(s.records.len() as u32).to_le_bytes());
        }
        for &r in &records {
            let rec = self.records[r as usize];
            out.push(rec.position);
            out.push(rec.count);
            out.extend_from_slice(&rec.width.to_le_bytes());
            out.extend_from_slice(&rec.height.to_le_bytes());
            // At most 6 entries per minutia (pairs of 4 neighbours), 255
            // minutiae: fits u16.
            out.extend_from_slice(&(key_count(r) as u16).to_le_bytes());
        }
        for &r in &records {
            let k = r as usize * DIM;
            out.extend_from_slice(&self.descriptors[k..k + DIM]);
        }
        for &r in &records {
            let rec = self.records[r as usize];
            let s = rec.minutiae_start as usize;
            for m in &self.minutiae[s..s + rec.count as usize] {
                out.extend_from_slice(m);
            }
        }
        for &r in &records {
            for k in &keys[key_start[r as usize] as usize..key_start[r as usize + 1] as usize] {
                out.extend_from_slice(&k.to_le_bytes());
            }
        }
        for &r in &records {
            out.extend_from_slice(
                &cells[key_start[r as usize] as usize..key_start[r as usize + 1] as usize],
            );
        }
        let crc = checksum(&[&out[HEADER..]]);
        out[40..44].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Read a gallery written by [`Gallery::to_bytes`], checking every
    /// count, position and the checksum; a damaged file is an error naming
    /// the defect, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Gallery, IdentError> {
        let h = Header::read(bytes, bytes.len().saturating_sub(HEADER) as u64)?;
        let body = &bytes[HEADER..];
        let (meta, rest) = body.split_at(h.meta_bytes());
        let (desc_bytes, rest) = rest.split_at(h.n_records * DIM);
        let (min_bytes, rest) = rest.split_at(h.n_minutiae * 6);
        let (key_bytes, cell_bytes) = rest.split_at(h.n_keys * 4);
        h.check(&[meta, desc_bytes, min_bytes, key_bytes, cell_bytes])?;
        let minutiae = min_bytes
            .chunks_exact(6)
            .map(|m| -> PackedMinutia { m.try_into().expect("6 bytes") })
            .collect();
        Gallery::from_sections(
            &h,
            meta,
            desc_bytes.to_vec(),
            minutiae,
            key_bytes,
            cell_bytes,
        )
    }

    /// The gallery from a file's sections, its checksum checked.
    fn from_sections(
        h: &Header,
        meta: &[u8],
        descriptors: Vec<u8>,
        minutiae: Vec<PackedMinutia>,
        key_bytes: &[u8],
        cell_bytes: &[u8],
    ) -> Result<Gallery, IdentError> {
        let Header {
            n_subjects,
            n_records,
            n_minutiae,
            n_keys,
            ..
        } = *h;
        let (subj_bytes, rec_bytes) = meta.split_at(n_subjects * 12);
        let min_bytes = minutiae.as_flattened();
        let mut key_counts: Vec<usize> = Vec::with_capacity(n_records);

        let mut g = Gallery::new();
        g.subjects.reserve_exact(n_subjects);
        g.index.reserve(n_subjects);
        g.records.reserve_exact(n_records);
        let mut next_record = 0usize;
        let mut next_minutia = 0usize;
        for (slot, s) in subj_bytes.chunks_exact(12).enumerate() {
            let id = u64::from_le_bytes(s[..8].try_into().expect("8 bytes"));
            let count = u32::from_le_bytes(s[8..12].try_into().expect("4 bytes")) as usize;
            if count == 0 {
                return Err(corrupt(format!("subject {id} has no fingers")));
            }
            if count > n_records - next_record {
                return Err(corrupt(format!(
                    "subject {id} claims {count} fingers; only {} remain",
                    n_records - next_record
                )));
            }
            if g.index.insert(id, slot as u32).is_some() {
                return Err(corrupt(format!("subject {id} appears twice")));
            }
            let mut records = Vec::with_capacity(count);
            for r in next_record..next_record + count {
                let b = &rec_bytes[r * RECORD..(r + 1) * RECORD];
                key_counts.push(u16::from_le_bytes([b[6], b[7]]) as usize);
                let position = FingerPosition::new(b[0])
                    .map_err(|_| corrupt(format!("finger {r} has position code {}", b[0])))?;
                let n = b[1] as usize;
                if n > n_minutiae - next_minutia {
                    return Err(corrupt(format!(
                        "finger {r} claims {n} minutiae; only {} remain",
                        n_minutiae - next_minutia
                    )));
                }
                g.records.push(Record {
                    minutiae_start: next_minutia as u32,
                    count: b[1],
                    position: position.code(),
                    width: u16::from_le_bytes([b[2], b[3]]),
                    height: u16::from_le_bytes([b[4], b[5]]),
                });
                next_minutia += n;
                records.push(r as u32);
            }
            next_record += count;
            g.subjects.push(Subject { id, records });
        }
        if next_record != n_records {
            return Err(corrupt(format!(
                "subjects account for {next_record} fingers, the header says {n_records}"
            )));
        }
        if next_minutia != n_minutiae {
            return Err(corrupt(format!(
                "fingers account for {next_minutia} minutiae, the header says {n_minutiae}"
            )));
        }
        if u32::try_from(n_minutiae).is_err() {
            return Err(corrupt(format!(
                "{n_minutiae} minutiae exceed this build's 2^32 limit"
            )));
        }
        let bad = |m: &[u8]| m[5] & 3 == 3 || m[5] >> 2 > 50;
        if let Some(i) = first_bad(min_bytes, 6, bad) {
            let byte = min_bytes[i * 6 + 5];
            return Err(corrupt(format!("minutia {i} has kind/quality byte {byte}")));
        }
        g.minutiae = minutiae;
        if key_counts.iter().sum::<usize>() != n_keys {
            return Err(corrupt(format!(
                "fingers account for {} triplet keys, the header says {n_keys}",
                key_counts.iter().sum::<usize>()
            )));
        }
        let entry = |k: &[u8]| u32::from_le_bytes(k.try_into().expect("4 bytes"));
        let beyond = |k: &[u8]| entry(k) >> crate::triplets::ENTRY_BITS != 0;
        if let Some(at) = first_bad(key_bytes, 4, beyond) {
            return Err(corrupt(format!(
                "triplet entry {at} is {}, beyond {} bits",
                entry(&key_bytes[at * 4..at * 4 + 4]),
                crate::triplets::ENTRY_BITS
            )));
        }
        let mut start = Vec::with_capacity(n_records + 1);
        start.push(0usize);
        for &c in &key_counts {
            start.push(start[start.len() - 1] + c);
        }
        let positions: Vec<u8> = g.records.iter().map(|r| r.position).collect();
        g.triplets = crate::index::TripletIndex::from_record_key_bytes(
            &start, key_bytes, cell_bytes, &positions,
        );
        g.descriptors = descriptors;
        let profile = descriptor::profile();
        g.centred = g
            .descriptors
            .par_chunks(DIM)
            .map(|d| profile.centre(d))
            .collect();
        g.live_records = n_records;
        Ok(g)
    }

    /// Write the gallery to a file (through a temporary file and a rename,
    /// so that a crash leaves the old file or the new one, never half).
    pub fn save(&self, path: &Path) -> Result<(), IdentError> {
        let io = |source| IdentError::Io {
            path: path.to_path_buf(),
            source,
        };
        let tmp = path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(&self.to_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Load a gallery file, each section read straight into the buffer
    /// it stays in (descriptors, minutiae) or that builds the index (keys,
    /// cells), rather than the whole file into one buffer and copied out:
    /// at a million fingers that was 440 MB more memory to fault in and
    /// copy. The sections are read in 4 MiB pieces on all threads (the
    /// kernel's zeroing of fresh pages and its copying were most of a
    /// single read's time), each piece's checksum taken while it is in
    /// cache. Nothing is used before the checksum is checked.
    pub fn load(path: &Path) -> Result<Gallery, IdentError> {
        let io = |source| IdentError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut f = std::fs::File::open(path).map_err(io)?;
        let size = f.metadata().map_err(io)?.len();
        let mut head = vec![0u8; HEADER.min(usize::try_from(size).unwrap_or(HEADER))];
        f.read_exact(&mut head).map_err(io)?;
        let h = Header::read(&head, size.saturating_sub(HEADER as u64))?;
        let mut meta = vec![0u8; h.meta_bytes()];
        let mut descriptors = vec![0u8; h.n_records * DIM];
        let mut minutiae: Vec<PackedMinutia> = vec![[0u8; 6]; h.n_minutiae];
        let mut keys = vec![0u8; h.n_keys * 4];
        let mut cells = vec![0u8; h.n_keys];
        let mut pieces: Vec<(u64, &mut [u8])> = Vec::new();
        let mut at = HEADER as u64;
        for section in [
            &mut meta[..],
            &mut descriptors[..],
            minutiae.as_flattened_mut(),
            &mut keys[..],
            &mut cells[..],
        ] {
            for piece in section.chunks_mut(PIECE) {
                let len = piece.len() as u64;
                pieces.push((at, piece));
                at += len;
            }
        }
        let sums: Vec<crc32fast::Hasher> = pieces
            .into_par_iter()
            .map(|(at, piece)| {
                // Fails on a file cut short since its length was read.
                read_at(&f, piece, at)?;
                let mut sum = crc32fast::Hasher::new();
                sum.update(piece);
                Ok(sum)
            })
            .collect::<Result<_, std::io::Error>>()
            .map_err(io)?;
        let mut total = crc32fast::Hasher::new();
        for sum in &sums {
            total.combine(sum);
        }
        if total.finalize() != h.crc {
            return Err(checksum_mismatch());
        }
        Gallery::from_sections(&h, &meta, descriptors, minutiae, &keys, &cells)
    }
}

/// Bytes per piece of a checksum or a load's read.
const PIECE: usize = 4 << 20;

/// Fill `buf` from the file at offset `at` (without moving a shared
/// cursor, so that threads read at once).
#[cfg(unix)]
fn read_at(f: &std::fs::File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, at)
}

#[cfg(windows)]
fn read_at(f: &std::fs::File, mut buf: &mut [u8], mut at: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match f.seek_read(buf, at)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

/// Index of the first `size`-byte item of `bytes` that is `bad`, scanning
/// blocks on all threads (one rayon task per item cost more than the test:
/// a million-finger file holds 160 million triplet entries).
fn first_bad(bytes: &[u8], size: usize, bad: impl Fn(&[u8]) -> bool + Sync) -> Option<usize> {
    const BLOCK_ITEMS: usize = 1 << 14;
    let block = bytes
        .par_chunks(BLOCK_ITEMS * size)
        .position_first(|b| b.chunks_exact(size).any(&bad))?;
    let items = &bytes[block * BLOCK_ITEMS * size..];
    let within = items.chunks_exact(size).position(&bad)?;
    Some(block * BLOCK_ITEMS + within)
}

#[cfg(test)]
mod tests {
    use super::first_bad;

    #[test]
    fn first_bad_finds_the_first_item_across_blocks() {
        let mut bytes = vec![0u8; 4 * 100_000];
        let bad = |k: &[u8]| k[3] != 0;
        assert_eq!(first_bad(&bytes, 4, bad), None);
        for at in [99_999, 16_384, 16_383, 5] {
            bytes[4 * at + 3] = 1;
            assert_eq!(first_bad(&bytes, 4, bad), Some(at));
        }
    }
}
