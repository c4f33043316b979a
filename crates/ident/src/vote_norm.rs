//! The normalisation of the filter's triplet votes: how surprising a
//! record's vote is among the strangers of its minutiae count (see
//! [`VoteNorm`]), so that the gallery can rank sparse and dense records
//! on one scale.

/// A (count, sum, sum of squares) as (mean, 1 / standard deviation).
pub(crate) fn z_norm((k, s, s2): (f64, f64, f64)) -> (f32, f32) {
    let mean = s / k.max(1.0);
    let var = (s2 / k.max(1.0) - mean * mean).max(1e-12);
    (mean as f32, 1.0 / var.sqrt() as f32)
}

/// Minutiae-count classes of the vote's normalisation: one per count up
/// to this, the rest in the last.
const COUNT_CLASSES: usize = 40;

/// Records a class needs for its own mean and spread; a smaller class
/// takes those of the next smaller count that has them (or the whole
/// position's, below the first).
const MIN_CLASS: f64 = 50.0;

/// One probe finger's triplet votes over the records at its position:
/// (count, sum, sum of squares) per minutiae-count class, and overall.
#[derive(Clone, Debug)]
pub(crate) struct VoteMoments {
    classes: [(f64, f64, f64); COUNT_CLASSES],
    all: (f64, f64, f64),
}

impl Default for VoteMoments {
    fn default() -> Self {
        VoteMoments {
            classes: [(0.0, 0.0, 0.0); COUNT_CLASSES],
            all: (0.0, 0.0, 0.0),
        }
    }
}

fn add_moment(m: &mut (f64, f64, f64), v: f64) {
    *m = (m.0 + 1.0, m.1 + v, m.2 + v * v);
}

impl VoteMoments {
    pub(crate) fn add(&mut self, count: u8, vote: f32) {
        add_moment(&mut self.classes[count_class(count)], vote as f64);
        add_moment(&mut self.all, vote as f64);
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        let sum = |a: &mut (f64, f64, f64), b: &(f64, f64, f64)| {
            *a = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
        };
        self.classes
            .iter_mut()
            .zip(&other.classes)
            .for_each(|(a, b)| sum(a, b));
        sum(&mut self.all, &other.all);
    }

    pub(crate) fn norm(&self) -> VoteNorm {
        let mut classes = [(0f32, 0f32); COUNT_CLASSES];
        let mut last = z_norm(self.all);
        for (c, &m) in classes.iter_mut().zip(&self.classes) {
            if m.0 >= MIN_CLASS {
                last = z_norm(m);
            }
            *c = last;
        }
        VoteNorm { classes }
    }
}

/// How surprising a record's triplet vote is for a stranger of its size:
/// the vote's z-score among the records (nearly all strangers) of its
/// minutiae count at the probed position, (mean, 1/sd) per class. A
/// stranger's vote is the best translation bin of chance hits, and its
/// chance hits grow with its triplets (its minutiae, up to
/// [`crate::triplets::MAX_CENTRES`] centres): z-scored over the whole gallery, a
/// dense stranger's chance vote outranks a sparse mate's true one.
/// Synthetic two-index mates kept by the filter at 1,000,000 fingers
/// (3,000 mates, side by side from one pass each, as `bench ident
/// --filter-curve --index-only` ranks them; BENCHMARKS.md), at 0.1 / 0.5
/// / 1 % penetration: one z over the position 97.77 / 98.87 / 99.10 %, by
/// count 98.00 / 99.03 / 99.17 (at 1 %, 2 more kept, none lost; of the 25
/// both miss, 18 rank better); at 10,000 subjects within noise.
/// Conditioning on the record's observed hits instead (which a mate's
/// true hits raise) lost mates: 98.80 -> 96.73 % at 1 % there.
#[derive(Clone, Debug)]
pub(crate) struct VoteNorm {
    classes: [(f32, f32); COUNT_CLASSES],
}

impl VoteNorm {
    pub(crate) fn z(&self, count: u8, vote: f32) -> f32 {
        let (mean, inv_sd) = self.classes[count_class(count)];
        (vote - mean) * inv_sd
    }
}

fn count_class(count: u8) -> usize {
    (count as usize).min(COUNT_CLASSES - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Votes of `n` strangers of `count` minutiae, uniform on `lo..hi`.
    fn strangers(m: &mut VoteMoments, rng: &mut Rng, count: u8, n: usize, (lo, hi): (f32, f32)) {
        for _ in 0..n {
            m.add(count, rng.range(lo, hi));
        }
    }

    #[test]
    fn a_sparse_records_vote_counts_against_strangers_of_its_size() {
        // Sparse strangers gather little by chance, dense ones much.
        let mut rng = Rng::new(3);
        let mut m = VoteMoments::default();
        strangers(&mut m, &mut rng, 12, 500, (0.0, 8.0));
        strangers(&mut m, &mut rng, 30, 500, (8.0, 40.0));
        let norm = m.norm();
        // A sparse mate's vote of 14 is far past its class's chance votes;
        // a dense stranger's 36 is within its class's.
        let (mate, stranger) = (norm.z(12, 14.0), norm.z(30, 36.0));
        assert!(mate > 3.0 && stranger < 2.0, "{mate} {stranger}");
        // One z over all records would rank them the other way round.
        let (mean, inv_sd) = z_norm(m.all);
        assert!((14.0 - mean) * inv_sd < (36.0 - mean) * inv_sd);
    }

    #[test]
    fn a_small_class_takes_the_next_smaller_counts_norm() {
        let mut rng = Rng::new(4);
        let mut m = VoteMoments::default();
        strangers(&mut m, &mut rng, 5, 10, (0.0, 2.0));
        strangers(&mut m, &mut rng, 20, 400, (0.0, 10.0));
        strangers(&mut m, &mut rng, 35, 10, (30.0, 50.0));
        strangers(&mut m, &mut rng, 200, 400, (10.0, 30.0));
        let norm = m.norm();
        // Below the first full class: the position's norm.
        let all = z_norm(m.all);
        assert_eq!(norm.z(5, 7.0), (7.0 - all.0) * all.1);
        // Between full classes: the smaller one's; past the last class
        // (any count of COUNT_CLASSES - 1 or more): one class.
        assert_eq!(norm.z(35, 7.0), norm.z(20, 7.0));
        assert_eq!(norm.z(39, 7.0), norm.z(255, 7.0));
        assert!(norm.z(200, 20.0).abs() < 0.5 && norm.z(20, 20.0) > 2.0);
    }
}
