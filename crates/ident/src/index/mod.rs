//! Inverted index from triplet keys ([`crate::triplets`]) to gallery
//! fingers: the second half of the filter. A probe finger's keys find the
//! gallery fingers that share them; each shared key counts by its rarity
//! (inverse document frequency, `ln(fingers / (1 + fingers with the key))`),
//! so the common shapes every finger has weigh little. Each posting also
//! holds the direction of the triplet's central minutia and the cell it
//! lies in (a byte each beside the record), so that a hit tells the
//! rotation and translation between probe and gallery finger it implies
//! (see [`crate::vote`]).
//!
//! Each key's list is ordered by finger position, then record, so that a
//! probe finger reads only the postings of its own position (two binary
//! searches in the list) instead of every position's: a tenth of the
//! postings in a ten-print gallery. A posting names its record by
//! position and rank among the records at that position (`position << 28
//! | rank`), so the lists sort by their own values and a query's hits are
//! counted in an array of its position's records alone (a tenth of the
//! gallery's, which stays in cache where one slot per record did not).
//! The index keeps each record's position itself (one byte) and the
//! records at each position, as removal does not touch them.
//!
//! Keys of fingers enrolled since the last build wait in a flat list that
//! searches scan; once it outgrows a quarter of the index (and a floor, so
//! small galleries never pay for the table of 2^22 offsets) the index is
//! rebuilt by a counting sort, which keeps enrolment amortised O(1) per key.
//! Within a list, a record's postings ascend by direction and cell, so a
//! list is ascending as (posting, direction, cell): the form a gallery
//! file holds it in and a load checks ([`file`]), with no build.

use std::ops::Range;

use crate::triplets::{entry, entry_dir, entry_key, ProbeTriplet, KEY_BITS};
use crate::vote::{hit, Hit};

const KEYS: usize = 1 << KEY_BITS;
/// Pending keys below this never trigger a build.
const PENDING_FLOOR: usize = 1 << 18;

/// A query's reading of the index ([`TripletIndex::plan`]).
struct Plan {
    /// Query triplets of one key: (first, end).
    groups: Vec<(usize, usize)>,
    /// Each group's weight (0: the key is too common to count).
    idf: Vec<f32>,
    /// Each group's postings at the queried position (empty at weight 0).
    runs: Vec<Range<usize>>,
    /// Pending keys at the queried position: (group, rank, direction,
    /// cell).
    pending: Vec<(u32, u32, u8, u8)>,
}

/// Bits of a posting's rank (below its position's code).
const RANK_BITS: u32 = 28;
const RANK_MASK: u32 = (1 << RANK_BITS) - 1;

fn posting(position: u8, rank: u32) -> u32 {
    (position as u32) << RANK_BITS | rank
}

/// A query's hits grouped by record ([`TripletIndex::hits_by_record`]).
pub(crate) struct RecordHits<'a> {
    /// The hits of the record of rank i at the queried position are
    /// `hits[end[i - 1]..end[i]]` (from 0 for i = 0).
    pub hits: Vec<Hit>,
    pub end: Vec<u32>,
    /// The weight (idf) of each query triplet's hits.
    pub weights: Vec<f32>,
    /// The records at the queried position, by rank.
    records: &'a [u32],
}

impl RecordHits<'_> {
    /// Each record with hits and its hits, ascending by record.
    pub fn each(&self) -> impl Iterator<Item = (u32, &[Hit])> + '_ {
        let mut start = 0u32;
        self.end
            .iter()
            .zip(self.records)
            .filter_map(move |(&e, &r)| {
                let s = std::mem::replace(&mut start, e);
                (e > s).then(|| (r, &self.hits[s as usize..e as usize]))
            })
    }
}

#[derive(Clone, Debug, Default)]
#[cfg_attr(test, derive(PartialEq))]
pub(crate) struct TripletIndex {
    /// Records holding key k: `postings[offsets[k]..offsets[k + 1]]`,
    /// each `position << RANK_BITS | rank` ([`posting`]), ascending (empty
    /// until the first build).
    offsets: Vec<u32>,
    postings: Vec<u32>,
    /// Each posting's central minutia direction (1/256 turn) << 8 | its
    /// cell ([`crate::triplets::cell_of`]): one array, so that building
    /// the table scatters two writes per posting rather than three.
    geo: Vec<u16>,
    /// Finger position code of each record.
    positions: Vec<u8>,
    /// The records at each position code, ascending: a rank's record.
    by_position: Vec<Vec<u32>>,
    /// (entry, record, cell) enrolled since the last build.
    pending: Vec<(u32, u32, u8)>,
}

impl TripletIndex {
    /// Add the next record (records are numbered from 0 in order) with its
    /// finger position and (entry, cell) pairs (see
    /// [`crate::triplets::gallery_keys`]).
    pub fn add(&mut self, record: u32, position: u8, entries: &[(u32, u8)]) {
        debug_assert_eq!(record as usize, self.positions.len());
        self.positions.push(position);
        self.place(record, position);
        self.pending
            .extend(entries.iter().map(|&(e, c)| (e, record, c)));
        if self.pending.len() > PENDING_FLOOR.max(self.postings.len() / 4) {
            self.build();
        }
    }

    /// Give the next record at `position` its rank.
    fn place(&mut self, record: u32, position: u8) {
        assert!(position < 16, "finger position code {position}");
        let p = position as usize;
        if self.by_position.len() <= p {
            self.by_position.resize(p + 1, Vec::new());
        }
        // 2^28 fingers at one position would take hundreds of GB first.
        assert!(
            self.by_position[p].len() < 1 << RANK_BITS,
            "more than 2^28 fingers at position {position}"
        );
        self.by_position[p].push(record);
    }

    /// The records at `position`, ascending.
    fn records_at(&self, position: u8) -> &[u32] {
        self.by_position.get(position as usize).map_or(&[], |v| v)
    }

    /// The record a posting names.
    fn record_of(&self, posting: u32) -> u32 {
        self.by_position[(posting >> RANK_BITS) as usize][(posting & RANK_MASK) as usize]
    }

    /// The index of records whose entries are `keys[start[r]..start[r + 1]]`
    /// (with their cells at the same places in `cells`) and positions
    /// `positions[r]`, built directly: no pending list on the way (what
    /// loading a version-3 file did; the reference for
    /// [`Self::from_file`]).
    #[cfg(test)]
    pub fn from_record_keys(start: &[usize], keys: &[u32], cells: &[u8], positions: &[u8]) -> Self {
        let records = start.len().saturating_sub(1);
        debug_assert_eq!(records, positions.len());
        debug_assert_eq!(keys.len(), cells.len());
        if keys.len() <= PENDING_FLOOR {
            let mut index = TripletIndex::default();
            let mut pairs = Vec::new();
            for r in 0..records {
                pairs.clear();
                let run = start[r]..start[r + 1];
                pairs.extend(
                    keys[run.clone()]
                        .iter()
                        .copied()
                        .zip(cells[run].iter().copied()),
                );
                index.add(r as u32, positions[r], &pairs);
            }
            return index;
        }
        Self::table(start, keys.len(), &|i| keys[i], cells, positions.to_vec())
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
        key_at: &(impl Fn(usize) -> u32 + Sync),
        cell_of: &[u8],
        positions: Vec<u8>,
    ) -> Self {
        use rayon::prelude::*;
        let records = start.len().saturating_sub(1);
        let mut index = TripletIndex::default();
        for (r, &p) in positions.iter().enumerate() {
            index.place(r as u32, p);
        }
        // Every record with its posting, in (position, record) order.
        let by_position: Vec<(u32, u32)> = (index.by_position.iter().enumerate())
            .flat_map(|(p, records)| {
                let ranks = 0..records.len() as u32;
                records
                    .iter()
                    .zip(ranks)
                    .map(move |(&r, i)| (r, posting(p as u8, i)))
            })
            .collect();
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
        let mut geo = vec![0u16; n_keys];
        let mut parts = Vec::new();
        let (mut rest_p, mut rest_g) = (&mut postings[..], &mut geo[..]);
        for w in bounds.windows(2) {
            let len = (offsets[w[1]] - offsets[w[0]]) as usize;
            let (p, rp) = std::mem::take(&mut rest_p).split_at_mut(len);
            let (g, rg) = std::mem::take(&mut rest_g).split_at_mut(len);
            parts.push((w[0], w[1], p, g));
            (rest_p, rest_g) = (rp, rg);
        }
        parts.into_par_iter().for_each(|(lo, hi, p, g)| {
            let base = offsets[lo];
            let mut fill: Vec<u32> = offsets[lo..hi].iter().map(|&o| o - base).collect();
            for &(r, named) in &by_position {
                let run = start[r as usize]..start[r as usize + 1];
                for (i, &cell) in run.clone().zip(&cell_of[run]) {
                    let e = key_at(i);
                    let k = entry_key(e) as usize;
                    if (lo..hi).contains(&k) {
                        let slot = &mut fill[k - lo];
                        p[*slot as usize] = named;
                        g[*slot as usize] = (entry_dir(e) as u16) << 8 | cell as u16;
                        *slot += 1;
                    }
                }
            }
        });
        TripletIndex {
            offsets,
            postings,
            geo,
            positions,
            pending: Vec::new(),
            ..index
        }
    }

    /// Fold the pending keys into the table (rebuilt whole: amortised over
    /// the quarter of the index that waited).
    pub fn build(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let records = self.positions.len();
        let (start, keys, cells) = self.keys_by_record(records);
        let start: Vec<usize> = start.iter().map(|&s| s as usize).collect();
        let positions = std::mem::take(&mut self.positions);
        *self = Self::table(&start, keys.len(), &|i| keys[i], &cells, positions);
    }

    /// Whether the keys are in the table (else all pending).
    #[cfg(test)]
    pub fn is_table(&self) -> bool {
        !self.offsets.is_empty()
    }

    #[cfg(test)]
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Bytes of the offsets table once built (independent of gallery size).
    #[cfg_attr(not(test), allow(dead_code))]
    pub const TABLE_BYTES: usize = (KEYS + 1) * 4;

    pub fn shrink_to_fit(&mut self) {
        self.postings.shrink_to_fit();
        self.geo.shrink_to_fit();
        self.positions.shrink_to_fit();
        self.by_position.iter_mut().for_each(Vec::shrink_to_fit);
        self.pending.shrink_to_fit();
    }

    pub fn memory_bytes(&self) -> usize {
        self.offsets.capacity() * 4
            + self.postings.capacity() * 4
            + self.geo.capacity() * 2
            + self.positions.capacity()
            + (self.by_position.iter())
                .map(|v| v.capacity() * 4)
                .sum::<usize>()
            + self.pending.capacity() * std::mem::size_of::<(u32, u32, u8)>()
    }

    /// What a query reads: its triplets grouped by key, each group's
    /// rarity, its run of postings at `position`, and the pending keys'
    /// hits.
    fn plan(&self, query: &[ProbeTriplet], position: u8, fingers: usize) -> Plan {
        let key = |i: usize| entry_key(query[i].entry);
        // Query triplets of one key are adjacent: (first, end) per key.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for i in 0..query.len() {
            match groups.last_mut() {
                Some(g) if key(g.0) == key(i) => g.1 = i + 1,
                _ => groups.push((i, i + 1)),
            }
        }
        let group_of = |k: u32| {
            let g = groups.partition_point(|g| key(g.0) < k);
            (g < groups.len() && key(groups[g].0) == k).then_some(g)
        };
        let mut pending = Vec::new();
        let mut df = vec![0u32; groups.len()];
        let here = self.records_at(position);
        for &(e, r, c) in &self.pending {
            if let Some(g) = group_of(entry_key(e)) {
                if self.positions[r as usize] == position {
                    let rank = here.partition_point(|&x| x < r) as u32;
                    pending.push((g as u32, rank, entry_dir(e), c));
                }
                df[g] += 1;
            }
        }
        let range = |k: u32| -> Range<usize> {
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
                let list = range(key(g.0)).len();
                (n / (1.0 + d as f32 + list as f32)).ln().max(0.0)
            })
            .collect();
        let runs = groups
            .iter()
            .zip(&idf)
            .map(|(&(from, _), &w)| {
                if w <= 0.0 {
                    return 0..0;
                }
                let list = range(key(from));
                let all = &self.postings[list.clone()];
                // This position's run of the list.
                let lo = all.partition_point(|&v| v < posting(position, 0));
                let hi = all.partition_point(|&v| v >> RANK_BITS <= position as u32);
                list.start + lo..list.start + hi
            })
            .collect();
        Plan {
            groups,
            idf,
            runs,
            pending,
        }
    }

    /// Every record at finger `position` holding a key of `query`
    /// (ascending by entry): calls `visit(record, query_index, rotation,
    /// cell, idf)` once per query triplet and posting of its key,
    /// `rotation` being the query triplet's direction minus the posting's
    /// (1/256 turn) and `cell` the posting's; `fingers` is the gallery size
    /// the rarity is measured against. (The reference for
    /// [`Self::hits_by_record`], which searches use.)
    #[cfg(test)]
    pub fn lookup(
        &self,
        query: &[ProbeTriplet],
        position: u8,
        fingers: usize,
        mut visit: impl FnMut(u32, u32, u8, u8, f32),
    ) {
        let plan = self.plan(query, position, fingers);
        for (g, &(from, to)) in plan.groups.iter().enumerate() {
            let run = plan.runs[g].clone();
            let records = &self.postings[run.clone()];
            let geo = &self.geo[run];
            for (q, t) in (from..to).zip(&query[from..to]) {
                let qd = entry_dir(t.entry);
                for (&v, &dc) in records.iter().zip(geo) {
                    let (d, c) = ((dc >> 8) as u8, dc as u8);
                    visit(
                        self.record_of(v),
                        q as u32,
                        qd.wrapping_sub(d),
                        c,
                        plan.idf[g],
                    );
                }
            }
        }
        for &(g, rank, d, c) in &plan.pending {
            let (from, to) = plan.groups[g as usize];
            let r = self.records_at(position)[rank as usize];
            for (q, t) in (from..to).zip(&query[from..to]) {
                let rot = entry_dir(t.entry).wrapping_sub(d);
                visit(r, q as u32, rot, c, plan.idf[g as usize]);
            }
        }
    }

    /// The hits [`Self::lookup`] visits, grouped by record (ascending),
    /// each record's in the order `lookup` visits them, packed
    /// ([`crate::vote::hit`]) with the weight kept per query triplet: a
    /// counting sort straight from the postings (one pass counts each
    /// record's hits, a second writes them in place), over the ranks of
    /// the records at `position`, with no list of all hits in between.
    pub fn hits_by_record(
        &self,
        query: &[ProbeTriplet],
        position: u8,
        fingers: usize,
    ) -> RecordHits<'_> {
        let plan = self.plan(query, position, fingers);
        let records = self.records_at(position);
        // Hits per rank i at `end[i + 1]`, then their running sums.
        let mut end = vec![0u32; records.len() + 1];
        for (&(from, to), run) in plan.groups.iter().zip(&plan.runs) {
            let n = (to - from) as u32;
            for &v in &self.postings[run.clone()] {
                end[(v & RANK_MASK) as usize + 1] += n;
            }
        }
        for &(g, rank, _, _) in &plan.pending {
            let (from, to) = plan.groups[g as usize];
            end[rank as usize + 1] += (to - from) as u32;
        }
        for i in 1..end.len() {
            end[i] += end[i - 1];
        }
        // Filling moves each rank's cursor from its start to its end:
        // `end[i]` is rank i's start until then, its end after.
        let mut hits = vec![0u32; end[records.len()] as usize];
        let mut weights = vec![0f32; query.len()];
        for (g, &(from, to)) in plan.groups.iter().enumerate() {
            weights[from..to].fill(plan.idf[g]);
            let run = plan.runs[g].clone();
            let named = &self.postings[run.clone()];
            let geo = &self.geo[run];
            for (q, t) in (from..to).zip(&query[from..to]) {
                let qd = entry_dir(t.entry);
                for (&v, &dc) in named.iter().zip(geo) {
                    let (d, c) = ((dc >> 8) as u8, dc as u8);
                    let slot = &mut end[(v & RANK_MASK) as usize];
                    hits[*slot as usize] = hit(q as u32, qd.wrapping_sub(d), c);
                    *slot += 1;
                }
            }
        }
        for &(g, rank, d, c) in &plan.pending {
            let (from, to) = plan.groups[g as usize];
            for (q, t) in (from..to).zip(&query[from..to]) {
                let slot = &mut end[rank as usize];
                hits[*slot as usize] = hit(q as u32, entry_dir(t.entry).wrapping_sub(d), c);
                *slot += 1;
            }
        }
        end.pop();
        RecordHits {
            hits,
            end,
            weights,
            records,
        }
    }

    /// Each record's entries and their cells, for saving and compaction:
    /// (start per record, entries, cells), `entries[start[r]..start[r + 1]]`
    /// ascending by (entry, cell).
    pub fn keys_by_record(&self, records: usize) -> (Vec<u32>, Vec<u32>, Vec<u8>) {
        let mut start = vec![0u32; records + 1];
        let each = |f: &mut dyn FnMut(u32, u32, u8)| {
            if !self.offsets.is_empty() {
                for k in 0..KEYS {
                    let list = self.offsets[k] as usize..self.offsets[k + 1] as usize;
                    let geo = &self.geo[list.clone()];
                    for (&v, &dc) in self.postings[list].iter().zip(geo) {
                        f(
                            entry(k as u32, (dc >> 8) as u8),
                            self.record_of(v),
                            dc as u8,
                        );
                    }
                }
            }
            for &(e, r, c) in &self.pending {
                f(e, r, c);
            }
        };
        each(&mut |_, r, _| start[r as usize + 1] += 1);
        for r in 0..records {
            start[r + 1] += start[r];
        }
        let mut pairs = vec![(0u32, 0u8); start[records] as usize];
        let mut fill = start.clone();
        each(&mut |e, r, c| {
            pairs[fill[r as usize] as usize] = (e, c);
            fill[r as usize] += 1;
        });
        for r in 0..records {
            pairs[start[r] as usize..start[r + 1] as usize].sort_unstable();
        }
        let (keys, cells) = pairs.into_iter().unzip();
        (start, keys, cells)
    }
}

mod file;
#[cfg(test)]
mod tests;

pub(crate) use file::{file_postings, LEFT_OUT};
