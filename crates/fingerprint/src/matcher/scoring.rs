//! Score of a pairing. The evidence: minutiae confirmed by an edge outside
//! the pairing tree (a chance pairing grows as a tree, a real one as a
//! mesh) and the number of such cycle-closing edges (loose evidence, an
//! edge whose shape agrees no better than chance edges' do, counting
//! less), scaled by the share
//! of the minutiae in the area both impressions show that were confirmed.
//! The scaling is a product, not a bonus: a chance pairing finds a few
//! confirmations wherever two large prints overlap, but explains little of
//! that overlap, while a small partial print can still be a confident match
//! when most of what it shows is explained.

/// A cycle-closing edge is worth this many confirmed minutiae. With
/// `BASE_SHARE` chosen on the pooled FVC2002 B calibration's low-FMR end
/// (FNMR at FMR 0.1 / 0.01 / 0.003 %: 3.8 / 7.2 / 11.2 % with 0.3 and 0.5,
/// 3.2 / 6.5 / 8.3 % with 0.8 and 0.25; 0.6-1.0 and 0.2-0.3 all alike).
const CYCLE_EDGE_WEIGHT: f32 = 0.8;
/// Share of the evidence that counts whatever the explained fraction.
const BASE_SHARE: f32 = 0.25;
/// Overlaps weighing less than this many typical minutiae are counted as
/// this much, so that a tiny chance overlap cannot claim a high fraction.
const MIN_OVERLAP: f32 = 8.0;

/// What a loose cycle-closing edge (`super::TIGHT_LEVEL`) counts for
/// against a tight one, and a paired minutia confirmed by loose edges only
/// against one with a tight edge. Chance pairings close their cycles mostly with loose edges, so
/// counting that evidence less lowers the impostor tail; but genuine pairs
/// of very different impressions (wet against dry, where minutia
/// directions differ by 10-25°) close theirs with loose edges too, so it
/// still counts. Chosen on the FVC2002 B calibration and on synthetic
/// two-index searches (BENCHMARKS.md, "Loose evidence counts less"): 0 for
/// edges drops such genuine pairs under the EER threshold, and 0.5 for
/// confirmations costs DB4's EER as much.
pub(super) const LOOSE_EDGE_WEIGHT: f32 = 0.5;
pub(super) const LOOSE_CONFIRMATION_WEIGHT: f32 = 0.75;

#[derive(Clone, Copy, Debug, Default)]
pub struct Evidence {
    pub pairs: usize,
    /// Paired minutiae touched by at least one cycle-closing edge.
    pub confirmed: usize,
    /// The confirmed minutiae, one confirmed by loose edges only counting
    /// less (`LOOSE_CONFIRMATION_WEIGHT`).
    pub confirmed_weight: f32,
    pub cycle_edges: u32,
    /// The cycle-closing edges, a loose one counting less than a tight one
    /// (`LOOSE_EDGE_WEIGHT`).
    pub cycle_weight: f32,
}

impl Evidence {
    /// Ranks pairings from different roots of one comparison.
    pub fn strength(&self) -> f32 {
        self.confirmed_weight + CYCLE_EDGE_WEIGHT * self.cycle_weight
    }
}

/// Final score, given the summed overlap weights of each template's
/// minutiae in the overlap (about their count, doubtful minutiae counting
/// less: `prepared::overlap_weight`).
pub fn score(evidence: &Evidence, overlap_probe: f32, overlap_candidate: f32) -> f32 {
    let c = evidence.confirmed_weight;
    let fraction =
        0.5 * (c / overlap_probe.max(MIN_OVERLAP) + c / overlap_candidate.max(MIN_OVERLAP));
    evidence.strength() * (BASE_SHARE + fraction.min(1.0))
}
