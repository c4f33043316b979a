//! Score of a pairing. The evidence: minutiae confirmed by an edge outside
//! the pairing tree (a chance pairing grows as a tree, a real one as a
//! mesh) and the number of such cycle-closing edges, scaled by the share
//! of the minutiae in the area both impressions show that were confirmed.
//! The scaling is a product, not a bonus: a chance pairing finds a few
//! confirmations wherever two large prints overlap, but explains little of
//! that overlap, while a small partial print can still be a confident match
//! when most of what it shows is explained.

const CYCLE_EDGE_WEIGHT: f32 = 0.3;
/// Share of the evidence that counts whatever the explained fraction.
const BASE_SHARE: f32 = 0.5;
/// Overlaps weighing less than this many typical minutiae are counted as
/// this much, so that a tiny chance overlap cannot claim a high fraction.
const MIN_OVERLAP: f32 = 8.0;

#[derive(Clone, Copy, Debug, Default)]
pub struct Evidence {
    pub pairs: usize,
    /// Paired minutiae touched by at least one cycle-closing edge.
    pub confirmed: usize,
    pub cycle_edges: u32,
}

impl Evidence {
    /// Ranks pairings from different roots of one comparison.
    pub fn strength(&self) -> f32 {
        self.confirmed as f32 + CYCLE_EDGE_WEIGHT * self.cycle_edges as f32
    }
}

/// Final score, given the summed overlap weights of each template's
/// minutiae in the overlap (about their count, doubtful minutiae counting
/// less: `prepared::overlap_weight`).
pub fn score(evidence: &Evidence, overlap_probe: f32, overlap_candidate: f32) -> f32 {
    let c = evidence.confirmed as f32;
    let fraction =
        0.5 * (c / overlap_probe.max(MIN_OVERLAP) + c / overlap_candidate.max(MIN_OVERLAP));
    evidence.strength() * (BASE_SHARE + fraction.min(1.0))
}
