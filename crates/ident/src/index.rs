//! Inverted index from triplet keys ([`crate::triplets`]) to gallery
//! fingers: the second half of the filter. A probe finger's keys find the
//! gallery fingers that share them; each shared key counts by its rarity
//! (inverse document frequency, `ln(fingers / (1 + fingers with the key))`),
//! so the common shapes every finger has weigh little. Each posting also
//! holds the direction of the triplet's central minutia (one byte beside
//! the record), so that a hit tells the rotation between probe and gallery
//! finger it implies (see `Gallery::filter`).
//!
//! Each key's list is ordered by finger position, then record, so that a
//! probe finger reads only the postings of its own position (two binary
//! searches in the list) instead of every position's: a tenth of the
//! postings in a ten-print gallery. The index keeps each record's
//! position itself (one byte), as removal does not touch it.
//!
//! Keys of fingers enrolled since the last build wait in a flat list that
//! searches scan; once it outgrows a quarter of the index (and a floor, so
//! small galleries never pay for the table of 2^22 offsets) the index is
//! rebuilt by a counting sort, which keeps enrolment amortised O(1) per key.

use crate::triplets::{entry, entry_dir, entry_key, KEY_BITS};

const KEYS: usize = 1 << KEY_BITS;
/// Pending keys below this never trigger a build.
const PENDING_FLOOR: usize = 1 << 18;

#[derive(Clone, Debug, Default)]
pub(crate) struct TripletIndex {
    /// Records holding key k: `postings[offsets[k]..offsets[k + 1]]`,
    /// ascending by (position, record) (empty until the first build).
    offsets: Vec<u32>,
    postings: Vec<u32>,
    /// Central minutia direction (1/256 turn) of each posting.
    dirs: Vec<u8>,
    /// Finger position code of each record.
    positions: Vec<u8>,
    /// (entry, record) enrolled since the last build.
    pending: Vec<(u32, u32)>,
}

impl TripletIndex {
    /// Add the next record (records are numbered from 0 in order) with its
    /// finger position and entries (see [`crate::triplets::gallery_keys`]).
    pub fn add(&mut self, record: u32, position: u8, entries: &[u32]) {
        debug_assert_eq!(record as usize, self.positions.len());
        self.positions.push(position);
        self.pending.extend(entries.iter().map(|&e| (e, record)));
        if self.pending.len() > PENDING_FLOOR.max(self.postings.len() / 4) {
            self.build();
        }
    }

    /// The index of records whose entries are `keys[start[r]..start[r + 1]]`
    /// and positions `positions[r]` (a loaded gallery), built directly: no
    /// pending list on the way.
    pub fn from_record_keys(start: &[usize], keys: &[u32], positions: &[u8]) -> Self {
        let records = start.len().saturating_sub(1);
        debug_assert_eq!(records, positions.len());
        if keys.len() <= PENDING_FLOOR {
            let mut index = TripletIndex::default();
            for r in 0..records {
                index.add(r as u32, positions[r], &keys[start[r]..start[r + 1]]);
            }
            return index;
        }
        Self::table(start, keys.len(), &|i| keys[i], positions.to_vec())
    }

    /// As [`Self::from_record_keys`], the entries given as little-endian
    /// bytes (a gallery file's), read in place rather than copied.
    pub fn from_record_key_bytes(start: &[usize], bytes: &[u8], positions: &[u8]) -> Self {
        let key_at = |i: usize| {
            u32::from_le_bytes([
                bytes[4 * i],
                bytes[4 * i + 1],
                bytes[4 * i + 2],
                bytes[4 * i + 3],
            ])
        };
        let n = bytes.len() / 4;
        if n <= PENDING_FLOOR {
            let keys: Vec<u32> = (0..n).map(key_at).collect();
            return Self::from_record_keys(start, &keys, positions);
        }
        Self::table(start, n, &key_at, positions.to_vec())
    }

    /// The table of records' entries (`key_at(i)` for i in
    /// `start[r]..start[r + 1]`), by a counting sort on all threads: each
    /// thread counts a share of the records, then fills the postings of
    /// its own range of keys (disjoint slices of the output), reading
    /// every record in (position, record) order. The counting sort keeps
    /// that order, so every list comes out grouped by position.
    fn table(
        start: &[usize],
        n_keys: usize,
        key_at: &(dyn Fn(usize) -> u32 + Sync),
        positions: Vec<u8>,
    ) -> Self {
        use rayon::prelude::*;
        let records = start.len().saturating_sub(1);
        let mut by_position: Vec<u32> = (0..records as u32).collect();
        by_position.sort_by_key(|&r| positions[r as usize]);
        let threads = rayon::current_num_threads().max(1);
        let counts = (0..threads)
            .into_par_iter()
            .map(|t| {
                let mut c = vec![0u32; KEYS];
                for i in start[records * t / threads]..start[records * (t + 1) / threads] {
                    c[entry_key(key_at(i)) as usize] += 1;
                }
                c
            })
            .reduce_with(|mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            })
            .unwrap_or_else(|| vec![0u32; KEYS]);
        let mut offsets = vec![0u32; KEYS + 1];
        for k in 0..KEYS {
            offsets[k + 1] = offsets[k] + counts[k];
        }
        drop(counts);
        // Key ranges holding about equal shares of the postings.
        let mut bounds = vec![0usize];
        for t in 1..threads {
            let target = (n_keys * t / threads) as u32;
            bounds.push(offsets.partition_point(|&o| o < target).min(KEYS));
        }
        bounds.push(KEYS);
        bounds.dedup();
        let mut postings = vec![0u32; n_keys];
        let mut dirs = vec![0u8; n_keys];
        let mut parts = Vec::new();
        let (mut rest_p, mut rest_d) = (&mut postings[..], &mut dirs[..]);
        for w in bounds.windows(2) {
            let len = (offsets[w[1]] - offsets[w[0]]) as usize;
            let (p, rp) = std::mem::take(&mut rest_p).split_at_mut(len);
            let (d, rd) = std::mem::take(&mut rest_d).split_at_mut(len);
            parts.push((w[0], w[1], p, d));
            (rest_p, rest_d) = (rp, rd);
        }
        parts.into_par_iter().for_each(|(lo, hi, p, d)| {
            let base = offsets[lo];
            let mut fill: Vec<u32> = offsets[lo..hi].iter().map(|&o| o - base).collect();
            for &r in &by_position {
                for i in start[r as usize]..start[r as usize + 1] {
                    let e = key_at(i);
                    let k = entry_key(e) as usize;
                    if (lo..hi).contains(&k) {
                        let slot = &mut fill[k - lo];
                        p[*slot as usize] = r;
                        d[*slot as usize] = entry_dir(e);
                        *slot += 1;
                    }
                }
            }
        });
        TripletIndex {
            offsets,
            postings,
            dirs,
            positions,
            pending: Vec::new(),
        }
    }

    /// Fold the pending keys into the table (rebuilt whole: amortised over
    /// the quarter of the index that waited).
    pub fn build(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let records = self.positions.len();
        let (start, keys) = self.keys_by_record(records);
        let start: Vec<usize> = start.iter().map(|&s| s as usize).collect();
        let positions = std::mem::take(&mut self.positions);
        *self = Self::table(&start, keys.len(), &|i| keys[i], positions);
    }

    /// Bytes of the offsets table once built (independent of gallery size).
    #[cfg_attr(not(test), allow(dead_code))]
    pub const TABLE_BYTES: usize = (KEYS + 1) * 4;

    pub fn shrink_to_fit(&mut self) {
        self.postings.shrink_to_fit();
        self.dirs.shrink_to_fit();
        self.positions.shrink_to_fit();
        self.pending.shrink_to_fit();
    }

    pub fn memory_bytes(&self) -> usize {
        self.offsets.capacity() * 4
            + self.postings.capacity() * 4
            + self.dirs.capacity()
            + self.positions.capacity()
            + self.pending.capacity() * 8
    }

    /// Every record at finger `position` holding a key of `query` (entries,
    /// ascending): calls
    /// `visit(record, rotation, idf)` once per query entry and posting of
    /// its key, `rotation` being the query entry's direction minus the
    /// posting's (1/256 turn); `fingers` is the gallery size the rarity is
    /// measured against.
    pub fn lookup(
        &self,
        query: &[u32],
        position: u8,
        fingers: usize,
        mut visit: impl FnMut(u32, u8, f32),
    ) {
        // Query entries of one key are adjacent: (first entry, end) per key.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for (i, &e) in query.iter().enumerate() {
            match groups.last_mut() {
                Some(g) if entry_key(query[g.0]) == entry_key(e) => g.1 = i + 1,
                _ => groups.push((i, i + 1)),
            }
        }
        let group_of = |k: u32| {
            let g = groups.partition_point(|g| entry_key(query[g.0]) < k);
            (g < groups.len() && entry_key(query[groups[g].0]) == k).then_some(g)
        };
        let mut pending_hits: Vec<(u32, u32, u8)> = Vec::new();
        let mut df = vec![0u32; groups.len()];
        for &(e, r) in &self.pending {
            if let Some(g) = group_of(entry_key(e)) {
                if self.positions[r as usize] == position {
                    pending_hits.push((g as u32, r, entry_dir(e)));
                }
                df[g] += 1;
            }
        }
        let range = |k: u32| -> std::ops::Range<usize> {
            if self.offsets.is_empty() {
                0..0
            } else {
                self.offsets[k as usize] as usize..self.offsets[k as usize + 1] as usize
            }
        };
        let n = fingers.max(1) as f32;
        let idf: Vec<f32> = groups
            .iter()
            .zip(&df)
            .map(|(g, &d)| {
                let list = range(entry_key(query[g.0])).len();
                (n / (1.0 + d as f32 + list as f32)).ln().max(0.0)
            })
            .collect();
        for (g, &(from, to)) in groups.iter().enumerate() {
            if idf[g] <= 0.0 {
                continue;
            }
            let list = range(entry_key(query[from]));
            let all = &self.postings[list.clone()];
            // This position's run of the list.
            let lo = all.partition_point(|&r| self.positions[r as usize] < position);
            let hi = lo + all[lo..].partition_point(|&r| self.positions[r as usize] == position);
            let run = list.start + lo..list.start + hi;
            let (records, dirs) = (&self.postings[run.clone()], &self.dirs[run]);
            for &q in &query[from..to] {
                let qd = entry_dir(q);
                for (&r, &d) in records.iter().zip(dirs) {
                    visit(r, qd.wrapping_sub(d), idf[g]);
                }
            }
        }
        for (g, r, d) in pending_hits {
            let (from, to) = groups[g as usize];
            for &q in &query[from..to] {
                visit(r, entry_dir(q).wrapping_sub(d), idf[g as usize]);
            }
        }
    }

    /// Each record's entries, for saving and compaction: (start per
    /// record, entries), `entries[start[r]..start[r + 1]]` ascending.
    pub fn keys_by_record(&self, records: usize) -> (Vec<u32>, Vec<u32>) {
        let mut start = vec![0u32; records + 1];
        let each = |f: &mut dyn FnMut(u32, u32)| {
            if !self.offsets.is_empty() {
                for k in 0..KEYS {
                    let list = self.offsets[k] as usize..self.offsets[k + 1] as usize;
                    for (&r, &d) in self.postings[list.clone()].iter().zip(&self.dirs[list]) {
                        f(entry(k as u32, d), r);
                    }
                }
            }
            for &(k, r) in &self.pending {
                f(k, r);
            }
        };
        each(&mut |_, r| start[r as usize + 1] += 1);
        for r in 0..records {
            start[r + 1] += start[r];
        }
        let mut keys = vec![0u32; start[records] as usize];
        let mut fill = start.clone();
        each(&mut |k, r| {
            keys[fill[r as usize] as usize] = k;
            fill[r as usize] += 1;
        });
        for r in 0..records {
            keys[start[r] as usize..start[r + 1] as usize].sort_unstable();
        }
        (start, keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triplets::entry;

    fn hits(index: &TripletIndex, query: &[u32]) -> Vec<(u32, u8, f32)> {
        let mut v = Vec::new();
        index.lookup(query, 7, 100, |r, rot, w| v.push((r, rot, w)));
        v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.total_cmp(&b.2)));
        v
    }

    #[test]
    fn built_and_pending_keys_answer_alike() {
        let mut index = TripletIndex::default();
        index.add(0, 7, &[entry(5, 10), entry(9, 0)]);
        index.add(1, 7, &[entry(9, 250), entry(4_000_000, 7)]);
        index.add(2, 7, &[entry(5, 20)]);
        // Another position's record is never a hit, but counts for rarity.
        index.add(3, 2, &[entry(9, 2)]);
        let q = [entry(5, 12), entry(9, 2)];
        let pending = hits(&index, &q);
        index.build();
        assert_eq!(hits(&index, &q), pending);
        // The rotation each hit implies: query direction minus posting's.
        let rot: Vec<(u32, u8)> = pending.iter().map(|h| (h.0, h.1)).collect();
        assert_eq!(rot, vec![(0, 2), (0, 2), (1, 8), (2, 248)]);
        index.add(4, 7, &[entry(9, 1)]);
        let mixed = hits(&index, &[entry(9, 1)]);
        assert_eq!(mixed.iter().map(|h| h.0).collect::<Vec<_>>(), vec![0, 1, 4]);
        // Rarer keys weigh more: key 9 is held by four records, key 5 by two.
        let w5 = hits(&index, &[entry(5, 0)])[0].2;
        assert!(w5 > mixed[0].2);
        let (start, keys) = index.keys_by_record(5);
        assert_eq!(start, vec![0, 2, 4, 5, 6, 7]);
        assert_eq!(
            keys,
            vec![
                entry(5, 10),
                entry(9, 0),
                entry(9, 250),
                entry(4_000_000, 7),
                entry(5, 20),
                entry(9, 2),
                entry(9, 1)
            ]
        );
        let start: Vec<usize> = start.iter().map(|&s| s as usize).collect();
        let rebuilt = TripletIndex::from_record_keys(&start, &keys, &[7, 7, 7, 2, 7]);
        assert_eq!(hits(&rebuilt, &q), hits(&index, &q));
        // The table keeps each list grouped by position: a query at
        // position 2 finds record 3 alone.
        let mut at2 = Vec::new();
        index.lookup(&[entry(9, 2)], 2, 100, |r, _, _| at2.push(r));
        assert_eq!(at2, vec![3]);
    }
}
