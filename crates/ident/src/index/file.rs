//! The index as a gallery file holds it (format version 5, see
//! [`crate::store`]): the table of postings per key exactly as searches
//! read it, so that loading is a read into the buffers the search uses
//! and a check, not a build. The file names only the keys that have
//! postings ([`FileIndex`]'s directory: a key and the end of its list), so
//! a small gallery does not carry the 16 MiB table of offsets; the loader
//! spreads the directory into that table.
//!
//! Postings are written for the file's numbering of records (live ones
//! only, in subject order), each key's list ascending by (posting, geo):
//! the order in which a table built from per-record keys holds them, so a
//! gallery saved and loaded searches bit for bit as before.

use rayon::prelude::*;

use super::{posting, TripletIndex, KEYS, PENDING_FLOOR, RANK_BITS, RANK_MASK};
use crate::triplets::{entry, entry_dir, entry_key};

/// A record left out of the file ([`TripletIndex::for_file`]).
pub(crate) const LEFT_OUT: u32 = u32::MAX;

/// Keys per piece of the work on all threads.
const KEYS_PER_PIECE: usize = 1 << 14;

/// The index's sections of a gallery file, in pieces of consecutive keys
/// (each piece's directory ends counted from the piece's start).
pub(crate) struct FileIndex {
    pieces: Vec<Piece>,
}

#[derive(Default)]
struct Piece {
    /// (key, end of its postings in this piece), keys ascending.
    directory: Vec<(u32, u32)>,
    postings: Vec<u32>,
    geo: Vec<u16>,
}

impl FileIndex {
    /// Keys with postings.
    pub fn keys(&self) -> usize {
        self.pieces.iter().map(|p| p.directory.len()).sum()
    }

    /// Postings.
    pub fn postings(&self) -> usize {
        self.pieces.iter().map(|p| p.postings.len()).sum()
    }

    /// Append the directory (key u32, end u32 per key with postings),
    /// the postings (u32 each) and their geo (u16 each), little endian.
    pub fn write(&self, out: &mut Vec<u8>) {
        let mut base = 0u32;
        for p in &self.pieces {
            for &(key, end) in &p.directory {
                out.extend_from_slice(&key.to_le_bytes());
                out.extend_from_slice(&(base + end).to_le_bytes());
            }
            base += p.postings.len() as u32;
        }
        for p in &self.pieces {
            out.extend(p.postings.iter().flat_map(|v| v.to_le_bytes()));
        }
        for p in &self.pieces {
            out.extend(p.geo.iter().flat_map(|v| v.to_le_bytes()));
        }
    }
}

/// The posting a record gets in a file of records at `positions` (in the
/// file's order): its position and its rank among the file's records there.
pub(crate) fn file_postings(positions: impl Iterator<Item = u8>) -> Vec<u32> {
    let mut next = [0u32; 16];
    positions
        .map(|p| {
            let rank = next[p as usize];
            next[p as usize] += 1;
            posting(p, rank)
        })
        .collect()
}

impl TripletIndex {
    /// The index of the records a file holds, renumbered: `renumber[r]`
    /// is the posting record r has in the file ([`file_postings`]), or
    /// [`LEFT_OUT`] (a removed record). Pending keys are folded in.
    pub fn for_file(&self, renumber: &[u32]) -> FileIndex {
        // Old posting -> new, by position and old rank.
        let by_old: Vec<Vec<u32>> = (self.by_position.iter())
            .map(|records| records.iter().map(|&r| renumber[r as usize]).collect())
            .collect();
        let renamed = |v: u32| by_old[(v >> RANK_BITS) as usize][(v & RANK_MASK) as usize];
        let geo_of = |e: u32, c: u8| (entry_dir(e) as u16) << 8 | c as u16;
        let mut pending: Vec<(u32, u32, u16)> = (self.pending.iter())
            .filter(|&&(_, r, _)| renumber[r as usize] != LEFT_OUT)
            .map(|&(e, r, c)| (entry_key(e), renumber[r as usize], geo_of(e, c)))
            .collect();
        pending.par_sort_unstable();
        let pieces = (0..KEYS.div_ceil(KEYS_PER_PIECE))
            .into_par_iter()
            .map(|i| {
                let keys = i * KEYS_PER_PIECE..((i + 1) * KEYS_PER_PIECE).min(KEYS);
                let from = pending.partition_point(|p| (p.0 as usize) < keys.start);
                let mut pend = pending[from..].iter().peekable();
                let mut piece = Piece::default();
                // (posting << 16 | geo) of one key.
                let mut list: Vec<u64> = Vec::new();
                for k in keys {
                    list.clear();
                    if !self.offsets.is_empty() {
                        let run = self.offsets[k] as usize..self.offsets[k + 1] as usize;
                        let geo = &self.geo[run.clone()];
                        for (&v, &g) in self.postings[run].iter().zip(geo) {
                            let v = renamed(v);
                            if v != LEFT_OUT {
                                list.push((v as u64) << 16 | g as u64);
                            }
                        }
                    }
                    while let Some(&(_, v, g)) = pend.next_if(|p| p.0 as usize == k) {
                        list.push((v as u64) << 16 | g as u64);
                    }
                    if list.is_empty() {
                        continue;
                    }
                    if !list.is_sorted() {
                        list.sort_unstable();
                    }
                    piece
                        .postings
                        .extend(list.iter().map(|&x| (x >> 16) as u32));
                    piece.geo.extend(list.iter().map(|&x| x as u16));
                    piece
                        .directory
                        .push((k as u32, piece.postings.len() as u32));
                }
                piece
            })
            .collect();
        FileIndex { pieces }
    }

    /// The index a file holds for records at `positions` (codes 1-10,
    /// checked by the caller): `directory` (key u32, end u32 little
    /// endian per key with postings), `postings` and `geo` as
    /// [`FileIndex::write`] wrote them. Every key, end and posting is
    /// checked (a posting must name a record of the file, each list must
    /// ascend); a defect is named, never a panic. Past the pending floor
    /// the postings become the table as they are; below it the keys wait
    /// in the pending list, as they would had these records been enrolled
    /// ([`TripletIndex::from_record_keys`]).
    pub fn from_file(
        positions: Vec<u8>,
        directory: &[u8],
        postings: Vec<u32>,
        geo: Vec<u16>,
    ) -> Result<Self, String> {
        let n = postings.len();
        if geo.len() != n || directory.len() % 8 != 0 || n > u32::MAX as usize {
            return Err(format!(
                "index sections of {} directory bytes, {n} postings and {} geo entries do not fit together",
                directory.len(),
                geo.len()
            ));
        }
        let mut counts = [0usize; 16];
        for &p in &positions {
            counts[p as usize & 15] += 1;
        }
        if let Some(p) = counts.iter().position(|&c| c > 1 << RANK_BITS) {
            return Err(format!("more than 2^{RANK_BITS} fingers at position {p}"));
        }
        let dir: Vec<(u32, u32)> = directory
            .chunks_exact(8)
            .map(|d| {
                let word = |i: usize| u32::from_le_bytes(d[i..i + 4].try_into().expect("4"));
                (word(0), word(4))
            })
            .collect();
        let (mut last_key, mut last_end) = (None, 0u32);
        for (i, &(key, end)) in dir.iter().enumerate() {
            if key as usize >= KEYS {
                return Err(format!(
                    "index directory entry {i} names key {key}, beyond {} bits",
                    crate::triplets::KEY_BITS
                ));
            }
            if last_key.is_some_and(|k| key <= k) {
                return Err(format!(
                    "index directory entry {i}: key {key} does not follow key {}",
                    last_key.unwrap_or(0)
                ));
            }
            if end <= last_end || end as usize > n {
                return Err(format!(
                    "index directory entry {i} (key {key}) ends its postings at {end}, after {last_end}, of {n}"
                ));
            }
            (last_key, last_end) = (Some(key), end);
        }
        if last_end as usize != n {
            return Err(format!(
                "the index directory accounts for {last_end} postings, the header says {n}"
            ));
        }
        let bad = dir
            .par_chunks(KEYS_PER_PIECE)
            .enumerate()
            .find_map_first(|(c, piece)| {
                let first = c * KEYS_PER_PIECE;
                let mut start = if first == 0 { 0 } else { dir[first - 1].1 };
                for &(key, end) in piece {
                    let run = start as usize..end as usize;
                    start = end;
                    let mut prev = None;
                    for (i, (&v, &g)) in run.clone().zip(postings[run.clone()].iter().zip(&geo[run])) {
                        let (p, rank) = ((v >> RANK_BITS) as usize, (v & RANK_MASK) as usize);
                        if rank >= counts[p] {
                            return Some(format!(
                                "triplet posting {i} (key {key}) names finger {rank} at position {p}, where the file holds {}",
                                counts[p]
                            ));
                        }
                        let this = (v as u64) << 16 | g as u64;
                        if prev.is_some_and(|q| this < q) {
                            return Some(format!(
                                "triplet postings of key {key} are out of order at posting {i}"
                            ));
                        }
                        prev = Some(this);
                    }
                }
                None
            });
        if let Some(e) = bad {
            return Err(e);
        }
        if n <= PENDING_FLOOR {
            return Ok(Self::pending_from_file(positions, &dir, &postings, &geo));
        }
        let mut index = TripletIndex::default();
        for (r, &p) in positions.iter().enumerate() {
            index.place(r as u32, p);
        }
        let mut offsets = vec![0u32; KEYS + 1];
        let (mut next, mut start) = (0usize, 0u32);
        for &(key, end) in &dir {
            offsets[next..=key as usize].fill(start);
            (next, start) = (key as usize + 1, end);
        }
        offsets[next..].fill(start);
        Ok(TripletIndex {
            offsets,
            postings,
            geo,
            positions,
            ..index
        })
    }

    /// A small file's index (checked) as the pending list of its
    /// records' keys, each record's ascending by (entry, cell).
    fn pending_from_file(
        positions: Vec<u8>,
        dir: &[(u32, u32)],
        postings: &[u32],
        geo: &[u16],
    ) -> Self {
        let mut by_position: Vec<Vec<u32>> = vec![Vec::new(); 16];
        for (r, &p) in positions.iter().enumerate() {
            by_position[p as usize].push(r as u32);
        }
        let record_of = |v: u32| by_position[(v >> RANK_BITS) as usize][(v & RANK_MASK) as usize];
        // Keys ascending, and within a key each record's postings by
        // direction and cell: grouped by record (stably), each record's
        // entries come out ascending by (entry, cell).
        let mut start = vec![0usize; positions.len() + 1];
        for &v in postings {
            start[record_of(v) as usize + 1] += 1;
        }
        for r in 0..positions.len() {
            start[r + 1] += start[r];
        }
        let mut pairs = vec![(0u32, 0u8); postings.len()];
        let mut fill = start.clone();
        let mut from = 0usize;
        for &(key, end) in dir {
            for i in from..end as usize {
                let r = record_of(postings[i]) as usize;
                pairs[fill[r]] = (entry(key, (geo[i] >> 8) as u8), geo[i] as u8);
                fill[r] += 1;
            }
            from = end as usize;
        }
        let mut index = TripletIndex::default();
        for (r, &p) in positions.iter().enumerate() {
            index.add(r as u32, p, &pairs[start[r]..start[r + 1]]);
        }
        index
    }
}
