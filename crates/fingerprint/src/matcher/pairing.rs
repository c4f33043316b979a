//! Stage 3 of a comparison, the pairing: from a root pair of minutiae,
//! matching edges are followed outwards, best first, pairing minutiae whose
//! local geometry agrees with an already paired neighbour, while the
//! rotation stays consistent with the root's and, once there are a few
//! pairs, every new pair agrees with their least-squares rigid fit.

use super::prepared::{self, angle_distance, PreparedTemplate};
use super::scoring::{self, LOOSE_CONFIRMATION_WEIGHT, LOOSE_EDGE_WEIGHT};
use super::{
    matches_at, Scratch, LOOSELY, ROTATION_TOLERANCE, TIGHTLY, TIGHT_LEVEL, UNCONFIRMED, UNPAIRED,
};

/// The turn that takes probe minutia `a`'s direction to candidate minutia
/// `b`'s: what a pair implies about the rotation between the prints.
pub(super) fn rotation(
    probe: &PreparedTemplate,
    candidate: &PreparedTemplate,
    a: u16,
    b: u16,
) -> f32 {
    candidate.minutiae[b as usize].direction - probe.minutiae[a as usize].direction
}

/// The rigid transform that puts a probe root minutia onto its candidate.
pub(super) struct Alignment {
    cos: f32,
    sin: f32,
    probe_root: (f32, f32),
    candidate_root: (f32, f32),
}

/// Distortion allowed against the root's rigid alignment: a constant for
/// position noise plus a share of the distance from the root.
const ALIGN_BASE: f32 = 16.0;
const ALIGN_SLOPE: f32 = 0.15;

impl Alignment {
    pub(super) fn new(a: &prepared::PreparedMinutia, b: &prepared::PreparedMinutia) -> Self {
        let r = b.direction - a.direction;
        Alignment {
            cos: r.cos(),
            sin: r.sin(),
            probe_root: (a.x, a.y),
            candidate_root: (b.x, b.y),
        }
    }

    pub(super) fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let (dx, dy) = (x - self.probe_root.0, y - self.probe_root.1);
        (
            self.candidate_root.0 + dx * self.cos - dy * self.sin,
            self.candidate_root.1 + dx * self.sin + dy * self.cos,
        )
    }

    /// The rotation's (cos, sin).
    pub(super) fn rotation(&self) -> (f32, f32) {
        (self.cos, self.sin)
    }

    /// The candidate point that `apply` maps to, back in the probe's frame.
    pub(super) fn invert(&self, x: f32, y: f32) -> (f32, f32) {
        let (dx, dy) = (x - self.candidate_root.0, y - self.candidate_root.1);
        (
            self.probe_root.0 + dx * self.cos + dy * self.sin,
            self.probe_root.1 - dx * self.sin + dy * self.cos,
        )
    }

    pub(super) fn agrees(
        &self,
        a: &prepared::PreparedMinutia,
        b: &prepared::PreparedMinutia,
    ) -> bool {
        let (x, y) = self.apply(a.x, a.y);
        let off = (x - b.x).powi(2) + (y - b.y).powi(2);
        let reach = ALIGN_BASE
            + ALIGN_SLOPE
                * ((a.x - self.probe_root.0).powi(2) + (a.y - self.probe_root.1).powi(2)).sqrt();
        off <= reach * reach
    }
}

/// Once a pairing has this many pairs, each further pair is checked against
/// the least-squares rigid fit of the pairs so far instead of the root's
/// alignment (whose rotation, from one minutia direction, is off by several
/// degrees, which a far minutia sees as many pixels).
pub(super) const FIT_MIN_PAIRS: usize = 4;
/// Distortion allowed against that fit: position noise plus a share of the
/// distance from the pairs' centroid. A chance pairing grows by local
/// agreement and drifts away from any rigid fit (measured on FVC2002 B:
/// rigid residual 12-15 px for impostor pairings scoring like genuine ones,
/// 5-7 px for genuine), so this cuts the impostor tail.
const FIT_BASE: f32 = 6.0;
const FIT_SLOPE: f32 = 0.1;

/// Sums for the least-squares rigid fit (rotation and translation) of the
/// pairs of a growing pairing, updated as pairs join.
#[derive(Default)]
pub(super) struct RigidFit {
    n: f32,
    sum_a: (f32, f32),
    sum_b: (f32, f32),
    /// Sums of a . b and a x b over the pairs.
    dot: f32,
    cross: f32,
}

/// A solved `RigidFit`: the probe centroid maps to the candidate centroid,
/// rotated by (cos, sin).
#[derive(Clone, Copy)]
pub(super) struct FittedAlignment {
    centre_a: (f32, f32),
    centre_b: (f32, f32),
    cos: f32,
    sin: f32,
}

impl RigidFit {
    pub(super) fn add(&mut self, a: &prepared::PreparedMinutia, b: &prepared::PreparedMinutia) {
        self.n += 1.0;
        self.sum_a = (self.sum_a.0 + a.x, self.sum_a.1 + a.y);
        self.sum_b = (self.sum_b.0 + b.x, self.sum_b.1 + b.y);
        self.dot += a.x * b.x + a.y * b.y;
        self.cross += a.x * b.y - a.y * b.x;
    }

    pub(super) fn solve(&self) -> FittedAlignment {
        let ca = (self.sum_a.0 / self.n, self.sum_a.1 / self.n);
        let cb = (self.sum_b.0 / self.n, self.sum_b.1 / self.n);
        // Centred sums: the rotation is their angle (Procrustes in 2-D).
        let dot = self.dot - self.n * (ca.0 * cb.0 + ca.1 * cb.1);
        let cross = self.cross - self.n * (ca.0 * cb.1 - ca.1 * cb.0);
        let norm = (dot * dot + cross * cross).sqrt().max(1e-6);
        FittedAlignment {
            centre_a: ca,
            centre_b: cb,
            cos: dot / norm,
            sin: cross / norm,
        }
    }
}

impl From<FittedAlignment> for Alignment {
    fn from(f: FittedAlignment) -> Self {
        Alignment {
            cos: f.cos,
            sin: f.sin,
            probe_root: f.centre_a,
            candidate_root: f.centre_b,
        }
    }
}

impl FittedAlignment {
    pub(super) fn agrees(
        &self,
        a: &prepared::PreparedMinutia,
        b: &prepared::PreparedMinutia,
    ) -> bool {
        let (dx, dy) = (a.x - self.centre_a.0, a.y - self.centre_a.1);
        let x = self.centre_b.0 + dx * self.cos - dy * self.sin;
        let y = self.centre_b.1 + dx * self.sin + dy * self.cos;
        let off = (x - b.x).powi(2) + (y - b.y).powi(2);
        let reach = FIT_BASE + FIT_SLOPE * (dx * dx + dy * dy).sqrt();
        off <= reach * reach
    }
}

/// Grow a pairing from one root; returns its score and supporting edges,
/// leaving the pairs in `scratch.pairs`.
#[inline(never)]
pub(super) fn pair_from_root(
    probe: &PreparedTemplate,
    candidate: &PreparedTemplate,
    scratch: &mut Scratch,
    root_a: u16,
    root_b: u16,
    explain: bool,
) -> (scoring::Evidence, Alignment) {
    let n_b = candidate.minutiae.len();
    let root_rotation = rotation(probe, candidate, root_a, root_b);
    let alignment = Alignment::new(
        &probe.minutiae[root_a as usize],
        &candidate.minutiae[root_b as usize],
    );
    scratch.pairs.clear();
    scratch.queue.clear();
    scratch.cycle_matches.clear();
    let mut supporting = 0u32;
    let mut supporting_weight = 0f32;
    let mut fit = RigidFit::default();
    fit.add(
        &probe.minutiae[root_a as usize],
        &candidate.minutiae[root_b as usize],
    );
    let mut fitted: Option<FittedAlignment> = None;
    let push_neighbours = |scratch: &mut Scratch, a: u16, b: u16| {
        for i in matches_at(scratch, a as usize * n_b + b as usize) {
            let k = scratch.adjacency[i];
            let level = scratch.matches[k as usize].level as u32;
            scratch.queue.push(level, k);
        }
    };
    scratch.paired_a[root_a as usize] = root_b;
    scratch.paired_b[root_b as usize] = root_a;
    scratch.pairs.push((root_a, root_b));
    push_neighbours(scratch, root_a, root_b);
    while let Some(k) = scratch.queue.pop() {
        let m = scratch.matches[k as usize];
        // The edge may be entered from either end.
        let (from_a, _, to_a, to_b) = if scratch.paired_a[m.a as usize] == m.b {
            (m.a, m.b, m.a2, m.b2)
        } else {
            (m.a2, m.b2, m.a, m.b)
        };
        if scratch.paired_a[to_a as usize] == to_b {
            // Both ends paired together already: unless this is the edge that
            // paired them, it closes a cycle and confirms both ends. Such an
            // edge is popped once from each end, hence counted twice.
            let tree = scratch.tree_edge[k as usize]
                || scratch.parent_a[to_a as usize] == from_a
                || scratch.parent_a[from_a as usize] == to_a;
            if !tree {
                let tight = (m.level as u32) < TIGHT_LEVEL;
                supporting += 1;
                supporting_weight += if tight { 1.0 } else { LOOSE_EDGE_WEIGHT };
                if explain {
                    scratch.cycle_matches.push(k);
                }
                let how = if tight { TIGHTLY } else { LOOSELY };
                for end in [to_a, from_a] {
                    let s = &mut scratch.support[end as usize];
                    *s = (*s).max(how);
                }
            }
            continue;
        }
        if scratch.paired_a[to_a as usize] != UNPAIRED
            || scratch.paired_b[to_b as usize] != UNPAIRED
        {
            continue;
        }
        if angle_distance(rotation(probe, candidate, to_a, to_b), root_rotation)
            > ROTATION_TOLERANCE
        {
            continue;
        }
        let (ma, mb) = (
            &probe.minutiae[to_a as usize],
            &candidate.minutiae[to_b as usize],
        );
        let agrees = match &fitted {
            Some(f) => f.agrees(ma, mb),
            None => alignment.agrees(ma, mb),
        };
        if !agrees {
            continue;
        }
        fit.add(ma, mb);
        if scratch.pairs.len() + 1 >= FIT_MIN_PAIRS {
            fitted = Some(fit.solve());
        }
        scratch.tree_edge[k as usize] = true;
        scratch.tree_edges.push(k);
        scratch.paired_a[to_a as usize] = to_b;
        scratch.paired_b[to_b as usize] = to_a;
        scratch.parent_a[to_a as usize] = from_a;
        scratch.pairs.push((to_a, to_b));
        push_neighbours(scratch, to_a, to_b);
    }
    for &k in &scratch.tree_edges {
        scratch.tree_edge[k as usize] = false;
    }
    scratch.tree_edges.clear();
    let support = |&(a, _): &(u16, u16)| scratch.support[a as usize];
    let evidence = scoring::Evidence {
        pairs: scratch.pairs.len(),
        confirmed: scratch
            .pairs
            .iter()
            .filter(|p| support(p) != UNCONFIRMED)
            .count(),
        confirmed_weight: scratch
            .pairs
            .iter()
            .map(|p| match support(p) {
                TIGHTLY => 1.0,
                LOOSELY => LOOSE_CONFIRMATION_WEIGHT,
                _ => 0.0,
            })
            .sum(),
        cycle_edges: supporting / 2,
        cycle_weight: supporting_weight / 2.0,
    };
    // The whole pairing's fit places the impressions better than the
    // root's direction alone (the overlap is counted with it).
    let placed = if scratch.pairs.len() >= 2 {
        fit.solve().into()
    } else {
        alignment
    };
    (evidence, placed)
}
