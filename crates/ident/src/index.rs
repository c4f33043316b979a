//! Inverted index from triplet keys ([`crate::triplets`]) to gallery
//! fingers: the second half of the filter. A probe finger's keys find the
//! gallery fingers that share them; each shared key counts by its rarity
//! (inverse document frequency, `ln(fingers / (1 + fingers with the key))`),
//! so the common shapes every finger has weigh little.
//!
//! Keys of fingers enrolled since the last build wait in a flat list that
//! searches scan; once it outgrows a quarter of the index (and a floor, so
//! small galleries never pay for the table of 2^22 offsets) the index is
//! rebuilt by a counting sort, which keeps enrolment amortised O(1) per key.

use crate::triplets::KEY_BITS;

const KEYS: usize = 1 << KEY_BITS;
/// Pending keys below this never trigger a build.
const PENDING_FLOOR: usize = 1 << 18;

#[derive(Clone, Debug, Default)]
pub(crate) struct TripletIndex {
    /// Records holding key k: `postings[offsets[k]..offsets[k + 1]]`
    /// (empty until the first build).
    offsets: Vec<u32>,
    postings: Vec<u32>,
    /// (key, record) enrolled since the last build.
    pending: Vec<(u32, u32)>,
}

impl TripletIndex {
    pub fn add(&mut self, record: u32, keys: &[u32]) {
        self.pending.extend(keys.iter().map(|&k| (k, record)));
        if self.pending.len() > PENDING_FLOOR.max(self.postings.len() / 4) {
            self.build();
        }
    }

    /// The index of records whose keys are `keys[start[r]..start[r + 1]]`
    /// (a loaded gallery), built directly: no pending list on the way.
    pub fn from_record_keys(start: &[usize], keys: &[u32]) -> Self {
        let records = start.len().saturating_sub(1);
        if keys.len() <= PENDING_FLOOR {
            let mut index = TripletIndex::default();
            for r in 0..records {
                index.add(r as u32, &keys[start[r]..start[r + 1]]);
            }
            return index;
        }
        let mut offsets = vec![0u32; KEYS + 1];
        for &k in keys {
            offsets[k as usize + 1] += 1;
        }
        for k in 0..KEYS {
            offsets[k + 1] += offsets[k];
        }
        let mut fill = offsets.clone();
        let mut postings = vec![0u32; keys.len()];
        for r in 0..records {
            for &k in &keys[start[r]..start[r + 1]] {
                postings[fill[k as usize] as usize] = r as u32;
                fill[k as usize] += 1;
            }
        }
        TripletIndex {
            offsets,
            postings,
            pending: Vec::new(),
        }
    }

    /// Fold the pending keys into the table.
    pub fn build(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut counts = vec![0u32; KEYS + 1];
        if !self.offsets.is_empty() {
            for k in 0..KEYS {
                counts[k + 1] = self.offsets[k + 1] - self.offsets[k];
            }
        }
        for &(k, _) in &self.pending {
            counts[k as usize + 1] += 1;
        }
        for k in 0..KEYS {
            counts[k + 1] += counts[k];
        }
        let mut postings = vec![0u32; counts[KEYS] as usize];
        let mut fill = counts.clone();
        // Old postings first, then the newer records: each list stays ascending.
        if !self.offsets.is_empty() {
            for (k, slot) in fill.iter_mut().enumerate().take(KEYS) {
                let old = &self.postings[self.offsets[k] as usize..self.offsets[k + 1] as usize];
                let at = *slot as usize;
                postings[at..at + old.len()].copy_from_slice(old);
                *slot += old.len() as u32;
            }
        }
        for &(k, r) in &self.pending {
            postings[fill[k as usize] as usize] = r;
            fill[k as usize] += 1;
        }
        self.offsets = counts;
        self.postings = postings;
        self.pending = Vec::new();
    }

    /// Bytes of the offsets table once built (independent of gallery size).
    #[cfg_attr(not(test), allow(dead_code))]
    pub const TABLE_BYTES: usize = (KEYS + 1) * 4;

    pub fn shrink_to_fit(&mut self) {
        self.postings.shrink_to_fit();
        self.pending.shrink_to_fit();
    }

    pub fn memory_bytes(&self) -> usize {
        self.offsets.capacity() * 4 + self.postings.capacity() * 4 + self.pending.capacity() * 8
    }

    /// Every record holding a key of `query` (sorted, distinct): calls
    /// `visit(record, idf)` once per shared key; `fingers` is the gallery
    /// size the rarity is measured against.
    pub fn lookup(&self, query: &[u32], fingers: usize, mut visit: impl FnMut(u32, f32)) {
        let mut pending_hits: Vec<(u32, u32)> = Vec::new();
        let mut df = vec![0u32; query.len()];
        for &(k, r) in &self.pending {
            if let Ok(i) = query.binary_search(&k) {
                pending_hits.push((i as u32, r));
                df[i] += 1;
            }
        }
        let list = |k: u32| -> &[u32] {
            if self.offsets.is_empty() {
                &[]
            } else {
                &self.postings
                    [self.offsets[k as usize] as usize..self.offsets[k as usize + 1] as usize]
            }
        };
        let n = fingers.max(1) as f32;
        let idf: Vec<f32> = query
            .iter()
            .zip(&df)
            .map(|(&k, &d)| (n / (1.0 + d as f32 + list(k).len() as f32)).ln().max(0.0))
            .collect();
        for (i, &k) in query.iter().enumerate() {
            if idf[i] > 0.0 {
                for &r in list(k) {
                    visit(r, idf[i]);
                }
            }
        }
        for (i, r) in pending_hits {
            visit(r, idf[i as usize]);
        }
    }

    /// Each record's keys, for saving and compaction: (start per record,
    /// keys), `keys[start[r]..start[r + 1]]` ascending.
    pub fn keys_by_record(&self, records: usize) -> (Vec<u32>, Vec<u32>) {
        let mut start = vec![0u32; records + 1];
        let each = |f: &mut dyn FnMut(u32, u32)| {
            if !self.offsets.is_empty() {
                for k in 0..KEYS {
                    for &r in &self.postings[self.offsets[k] as usize..self.offsets[k + 1] as usize]
                    {
                        f(k as u32, r);
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

    fn hits(index: &TripletIndex, query: &[u32]) -> Vec<(u32, f32)> {
        let mut v = Vec::new();
        index.lookup(query, 100, |r, w| v.push((r, w)));
        v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        v
    }

    #[test]
    fn built_and_pending_keys_answer_alike() {
        let mut index = TripletIndex::default();
        index.add(0, &[5, 9]);
        index.add(1, &[9, 4_000_000]);
        index.add(2, &[5]);
        let pending = hits(&index, &[5, 9]);
        index.build();
        assert_eq!(hits(&index, &[5, 9]), pending);
        index.add(3, &[9]);
        let mixed = hits(&index, &[9]);
        assert_eq!(mixed.iter().map(|h| h.0).collect::<Vec<_>>(), vec![0, 1, 3]);
        // Rarer keys weigh more: key 9 is held by three records, key 5 by two.
        let w5 = hits(&index, &[5])[0].1;
        assert!(w5 > mixed[0].1);
        let (start, keys) = index.keys_by_record(4);
        assert_eq!(start, vec![0, 2, 4, 5, 6]);
        assert_eq!(keys, vec![5, 9, 9, 4_000_000, 5, 9]);
        let start: Vec<usize> = start.iter().map(|&s| s as usize).collect();
        let rebuilt = TripletIndex::from_record_keys(&start, &keys);
        assert_eq!(hits(&rebuilt, &[5, 9]), hits(&index, &[5, 9]));
    }
}
