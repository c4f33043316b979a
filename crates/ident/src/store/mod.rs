//! The gallery on disk: one file, read by sections on all threads, checked
//! before anything in it is used.
//!
//! Layout (all integers little endian), version 5:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `SCOMMGAL` |
//! | 4 | format version (5) |
//! | 4 | descriptor bytes per finger (must equal this build's [`DIM`]) |
//! | 4 | subjects S |
//! | 4 | fingers R |
//! | 8 | minutiae M |
//! | 8 | triplet postings K (below 2^32) |
//! | 4 | CRC-32 of everything after the header |
//! | 4 | index keys with postings D (at most 2^22) |
//! | S x 12 | subject id (u64), its finger count (u32); fingers follow in subject order |
//! | R x 6 | position (u8), minutiae count (u8), width (u16), height (u16) |
//! | R x DIM | filter descriptors |
//! | M x 6 | packed minutiae (x u16, y u16, direction in 1/256 turn, kind + quality/2 << 2) |
//! | D x 8 | index directory: a key (u32, ascending) and the end of its postings (u32, ascending, the last K) |
//! | K x 4 | postings, each key's after the last: position << 28 \| rank among the file's fingers at that position |
//! | K x 2 | each posting's central minutia direction (1/256 turn) << 8 \| its cell ([`crate::triplets::cell_of`]) |
//!
//! The postings and their directions and cells are the inverted index's
//! own arrays (see `crate::index`), each key's list ascending by
//! (posting, direction, cell): loading reads them straight into the
//! buffers searches read, spreads the directory into the table of 2^22
//! offsets (which the file does not carry: at a million fingers 356,000
//! keys have postings, a 2.8 MB directory, and a small gallery's file
//! stays small), and checks that every posting names a finger of the file
//! and every list ascends. Nothing is built. A finger's own keys are not
//! stored: nothing needs them at load (removal only marks a finger;
//! saving and compaction renumber the index's postings, leaving removed
//! fingers out).
//!
//! Versions 1 (no directions in the keys), 2 (no cells), 3 (per-finger
//! keys, the index built on load) and 4 (coarser triplet keys: 12
//! neighbour-angle and 8 direction bins) are refused, with the advice to rebuild:
//! a gallery is rebuilt from its templates, not converted.
//!
//! Only live subjects are written, so a saved and reloaded gallery is
//! compact. Descriptor norms, cheap to compute, are derived on load.

use std::io::{Read, Write};
use std::path::Path;

use rayon::prelude::*;
use zerocopy::IntoBytes;

use crate::descriptor::{self, DIM};
use crate::gallery::{Gallery, PackedMinutia, Record, Subject};
use crate::index::{file_postings, TripletIndex, LEFT_OUT};
use crate::{FingerPosition, IdentError};

pub const MAGIC: &[u8; 8] = b"SCOMMGAL";
pub const VERSION: u32 = 5;
pub const HEADER: usize = 48;
const RECORD: usize = 6;
/// Bytes of an index directory entry, a posting, a posting's geo.
const DIR_ENTRY: usize = 8;
const POSTING: usize = 4;
const GEO: usize = 2;

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
#[derive(Clone, Copy, Debug)]
struct Header {
    n_subjects: usize,
    n_records: usize,
    n_minutiae: usize,
    n_postings: usize,
    n_keys: usize,
    crc: u32,
}

impl Header {
    /// The header at the start of `bytes`, for a body of `body_len` bytes.
    /// Counts that contradict each other or the body's length are refused
    /// here, before anything is allocated for them.
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
        let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
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
        let (n_subjects, n_records) = (u32_at(16) as u64, u32_at(20) as u64);
        let (n_minutiae, n_postings) = (u64_at(24), u64_at(32));
        let (crc, n_keys) = (u32_at(40), u32_at(44) as u64);
        if n_subjects > n_records {
            return Err(corrupt(format!(
                "{n_subjects} subjects but {n_records} fingers: every subject has one"
            )));
        }
        let most = n_records * crate::MAX_MINUTIAE as u64;
        if n_minutiae > most.min(u32::MAX as u64) {
            return Err(corrupt(format!(
                "{n_minutiae} minutiae in {n_records} fingers: at most {most}, and below 2^32"
            )));
        }
        if n_postings > u32::MAX as u64 {
            return Err(corrupt(format!(
                "{n_postings} triplet postings exceed the index's 2^32 limit"
            )));
        }
        let keys = 1u64 << crate::triplets::KEY_BITS;
        if n_keys > n_postings.min(keys) || (n_keys == 0) != (n_postings == 0) {
            return Err(corrupt(format!(
                "{n_keys} index keys for {n_postings} postings (each key has postings; at most {keys} keys)"
            )));
        }
        let expected = (n_subjects as u128) * 12
            + (n_records as u128) * (RECORD + DIM) as u128
            + (n_minutiae as u128) * 6
            + (n_keys as u128) * DIR_ENTRY as u128
            + (n_postings as u128) * (POSTING + GEO) as u128;
        if body_len as u128 != expected {
            return Err(corrupt(format!(
                "body is {body_len} bytes; the header's counts ({n_subjects} subjects, {n_records} fingers, {n_minutiae} minutiae, {n_keys} index keys, {n_postings} postings) need {expected} (truncated or padded file)"
            )));
        }
        // The body fits in memory (it is there, or its file's length
        // says so), so the counts fit usize.
        Ok(Header {
            n_subjects: n_subjects as usize,
            n_records: n_records as usize,
            n_minutiae: n_minutiae as usize,
            n_postings: n_postings as usize,
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
        // A fuzzer cannot forge checksums; without this it would never get
        // past them to the checks that guard against a forged one.
        if checksum(sections) != self.crc && !cfg!(fuzzing) {
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
        let mut renumber = vec![LEFT_OUT; self.records.len()];
        let named = file_postings(records.iter().map(|&r| self.records[r as usize].position));
        for (&r, v) in records.iter().zip(named) {
            renumber[r as usize] = v;
        }
        let index = self.triplets.for_file(&renumber);
        let (n_keys, n_postings) = (index.keys(), index.postings());
        let body_len = live.len() * 12
            + records.len() * (RECORD + DIM)
            + minutiae * 6
            + n_keys * DIR_ENTRY
            + n_postings * (POSTING + GEO);
        let mut out = Vec::with_capacity(HEADER + body_len);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(DIM as u32).to_le_bytes());
        out.extend_from_slice(&(live.len() as u32).to_le_bytes());
        out.extend_from_slice(&(records.len() as u32).to_le_bytes());
        out.extend_from_slice(&(minutiae as u64).to_le_bytes());
        out.extend_from_slice(&(n_postings as u64).to_le_bytes());
        out.extend_from_slice(&[0u8; 4]); // CRC, filled below
        out.extend_from_slice(&(n_keys as u32).to_le_bytes());
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
        index.write(&mut out);
        debug_assert_eq!(out.len(), HEADER + body_len);
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
        let (dir_bytes, rest) = rest.split_at(h.n_keys * DIR_ENTRY);
        let (post_bytes, geo_bytes) = rest.split_at(h.n_postings * POSTING);
        h.check(&[
            meta, desc_bytes, min_bytes, dir_bytes, post_bytes, geo_bytes,
        ])?;
        let minutiae = min_bytes
            .chunks_exact(6)
            .map(|m| -> PackedMinutia { m.try_into().expect("6 bytes") })
            .collect();
        let postings = post_bytes
            .par_chunks_exact(POSTING)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        let geo = geo_bytes
            .par_chunks_exact(GEO)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        Gallery::from_sections(
            &h,
            meta,
            desc_bytes.to_vec(),
            minutiae,
            dir_bytes,
            postings,
            geo,
        )
    }

    /// The gallery from a file's sections, its checksum checked.
    fn from_sections(
        h: &Header,
        meta: &[u8],
        descriptors: Vec<u8>,
        minutiae: Vec<PackedMinutia>,
        directory: &[u8],
        postings: Vec<u32>,
        geo: Vec<u16>,
    ) -> Result<Gallery, IdentError> {
        let Header {
            n_subjects,
            n_records,
            n_minutiae,
            ..
        } = *h;
        let (subj_bytes, rec_bytes) = meta.split_at(n_subjects * 12);
        let min_bytes = minutiae.as_flattened();

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
        let bad = |m: &[u8]| m[5] & 3 == 3 || m[5] >> 2 > 50;
        if let Some(i) = first_bad(min_bytes, 6, bad) {
            let byte = min_bytes[i * 6 + 5];
            return Err(corrupt(format!("minutia {i} has kind/quality byte {byte}")));
        }
        g.minutiae = minutiae;
        let positions: Vec<u8> = g.records.iter().map(|r| r.position).collect();
        g.triplets =
            TripletIndex::from_file(positions, directory, postings, geo).map_err(corrupt)?;
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
        let io = |error| IdentError::Io {
            path: path.to_path_buf(),
            error,
        };
        // The whole name plus ".tmp": galleries differing only in their
        // extension must not share a temporary file.
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(&self.to_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Load a gallery file, each section read straight into the buffer
    /// it stays in (the index's postings and their geo too: nothing is
    /// built), rather than the whole file into one buffer and copied out.
    /// The sections are read in 4 MiB pieces on all threads (the kernel's
    /// zeroing of fresh pages and its copying are most of a single read's
    /// time), each piece's checksum taken while it is in cache. Nothing
    /// is used before the checksum is checked.
    pub fn load(path: &Path) -> Result<Gallery, IdentError> {
        let io = |error| IdentError::Io {
            path: path.to_path_buf(),
            error,
        };
        let mut f = std::fs::File::open(path).map_err(io)?;
        let size = f.metadata().map_err(io)?.len();
        let mut head = vec![0u8; HEADER.min(usize::try_from(size).unwrap_or(HEADER))];
        f.read_exact(&mut head).map_err(io)?;
        let h = Header::read(&head, size.saturating_sub(HEADER as u64))?;
        let mut meta = vec![0u8; h.meta_bytes()];
        let mut descriptors = vec![0u8; h.n_records * DIM];
        let mut minutiae: Vec<PackedMinutia> = vec![[0u8; 6]; h.n_minutiae];
        let mut directory = vec![0u8; h.n_keys * DIR_ENTRY];
        let mut postings = vec![0u32; h.n_postings];
        let mut geo = vec![0u16; h.n_postings];
        let mut pieces: Vec<(u64, &mut [u8])> = Vec::new();
        let mut at = HEADER as u64;
        for section in [
            &mut meta[..],
            &mut descriptors[..],
            minutiae.as_flattened_mut(),
            &mut directory[..],
            postings.as_mut_bytes(),
            geo.as_mut_bytes(),
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
        // The file is little endian; on such a machine these are no-ops.
        postings.iter_mut().for_each(|v| *v = u32::from_le(*v));
        geo.iter_mut().for_each(|v| *v = u16::from_le(*v));
        Gallery::from_sections(&h, &meta, descriptors, minutiae, &directory, postings, geo)
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
mod tests;
