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
/// Overlaps with fewer minutiae than this are counted as this many, so that
/// a tiny chance overlap cannot claim a high fraction.
const MIN_OVERLAP: usize = 8;

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

/// Final score, given how many minutiae of each template lie in the overlap.
pub fn score(evidence: &Evidence, overlap_probe: usize, overlap_candidate: usize) -> f32 {
    let c = evidence.confirmed as f32;
    let fraction = 0.5
        * (c / overlap_probe.max(MIN_OVERLAP) as f32
            + c / overlap_candidate.max(MIN_OVERLAP) as f32);
    evidence.strength() * (BASE_SHARE + fraction.min(1.0))
}
