//! Stage 7b: minutiae from the skeleton graph, and false-minutiae removal.
//!
//! Each removal rule names a known artefact of binarised prints:
//! - holes: two junctions joined by two short ridges (a pore or a lake);
//! - bridges: a very short ridge between two junctions (two neighbouring
//!   ridges touching);
//! - spurs: a short ridge from a junction to a free end (a hair on a ridge);
//! - fragments: a short ridge with two free ends (a speck or a dot);
//! - gaps: two ends facing each other across a small gap (a broken ridge);
//! - border: ends where the segmentation cut the ridges.
//!
//! A node of degree 1 is then a ridge ending, degree 3 a bifurcation.

use std::f32::consts::PI;

use super::graph::SkeletonGraph;
use super::grid::Grid;
use super::orientation::OrientationField;
use super::segment::BLOCK;
use crate::template::{Minutia, MinutiaKind};

const HOLE_MAX_LENGTH: usize = 30;
const BRIDGE_MAX_LENGTH: usize = 10;
/// Shorter than a ridge period (8-12 px at 500 ppi): a hair on a ridge is
/// shorter than the gap to the next ridge, while a real ridge that branches
/// off and ends soon after (a bifurcation and an ending the other
/// impression repeats) runs at least about a period. Measured on FVC2002 B
/// against 14 px: mean EER 1.88 % either way, FMR1000 mean 5.98 -> 4.47 %,
/// ZeroFMR 7.06 -> 4.91 %, pooled FNMR at FMR 0.01 % 10.2 -> 8.5 %; 6-8 px
/// alike, 9-12 px between (mean EER 1.96-2.23 %, FMR1000 5.1-5.9 %).
const SPUR_MAX_LENGTH: usize = 8;
const FRAGMENT_MAX_LENGTH: usize = 22;
const GAP_MAX_DISTANCE: f32 = 18.0;
/// How far along a ridge its direction is measured, in pixels.
const DIRECTION_REACH: usize = 12;
/// Endings this close (in blocks, chessboard) to the mask edge are cuts.
const ENDING_BORDER_BLOCKS: u8 = 1;
const BIFURCATION_BORDER_BLOCKS: u8 = 1;
/// At most this many minutiae are kept (best quality first): bounds the
/// template size and the matcher's work on noisy images.
pub const MAX_MINUTIAE: usize = 120;

/// Minutia candidate in image coordinates (angle from +x towards +y).
#[derive(Clone, Copy, Debug)]
pub struct Candidate {
    pub x: f32,
    pub y: f32,
    pub angle: f32,
    pub kind: MinutiaKind,
    pub node: usize,
}

pub fn remove_false_structures(graph: &mut SkeletonGraph) {
    for _ in 0..2 {
        remove_holes(graph);
        remove_short(graph, BRIDGE_MAX_LENGTH, |a, b| a >= 3 && b >= 3, false);
        remove_short(
            graph,
            SPUR_MAX_LENGTH,
            |a, b| (a == 1) != (b == 1) && a.max(b) >= 3,
            true,
        );
        remove_short(graph, FRAGMENT_MAX_LENGTH, |a, b| a == 1 && b == 1, true);
    }
}

/// Two short ridges between the same two junctions enclose a hole: the
/// later of each pair goes (in ridge order, the second, fourth, ... of the
/// short ridges joining a pair of nodes), and a short loop goes. One pass,
/// the node pairs still waiting for a partner kept in a set: searching the
/// later ridges for each short one was most of the 5 s a 2,000 x 2,000
/// image of noise took to extract.
fn remove_holes(graph: &mut SkeletonGraph) {
    let mut waiting = std::collections::HashSet::new();
    for r in graph.ridges.iter_mut() {
        if r.removed || r.length() > HOLE_MAX_LENGTH {
            continue;
        }
        if r.from == r.to {
            r.removed = true;
            continue;
        }
        let ends = (r.from.min(r.to), r.from.max(r.to));
        if !waiting.insert(ends) {
            // The earlier ridge of this pair keeps it; this one is removed.
            waiting.remove(&ends);
            r.removed = true;
        }
    }
}

/// Remove ridges up to `max_len` whose end degrees satisfy `rule`; with
/// `drop_ends`, free ends of removed ridges are removed as nodes too.
fn remove_short(
    graph: &mut SkeletonGraph,
    max_len: usize,
    rule: impl Fn(usize, usize) -> bool,
    drop_ends: bool,
) {
    let degrees = graph.degrees();
    for r in graph.ridges.iter_mut() {
        if r.removed || r.length() > max_len || r.from == r.to {
            continue;
        }
        if rule(degrees[r.from], degrees[r.to]) {
            r.removed = true;
            if drop_ends {
                for node in [r.from, r.to] {
                    if degrees[node] == 1 {
                        graph.nodes[node].removed = true;
                    }
                }
            }
        }
    }
}

/// Unit vector from a node along a ridge, up to `DIRECTION_REACH` pixels.
fn branch_direction(graph: &SkeletonGraph, node: usize, ridge: usize) -> Option<(f32, f32)> {
    let n = &graph.nodes[node];
    let r = &graph.ridges[ridge];
    let points = r.points_from(node);
    let target = if points.is_empty() {
        let o = &graph.nodes[r.other(node)];
        (o.x, o.y)
    } else {
        let p = points[(DIRECTION_REACH - 1).min(points.len() - 1)];
        (p.0 as f32, p.1 as f32)
    };
    let (dx, dy) = (target.0 - n.x, target.1 - n.y);
    let len = (dx * dx + dy * dy).sqrt();
    (len > 0.5).then(|| (dx / len, dy / len))
}

/// Blend a traced direction with the (smoother) orientation field, keeping
/// the traced sense.
fn refine(angle: f32, field: &OrientationField, x: f32, y: f32) -> f32 {
    let axis = field.pixel_angle(x, y);
    let mut snapped = axis;
    if angle_difference(angle, axis).abs() > PI / 2.0 {
        snapped += PI;
    }
    if angle_difference(angle, snapped).abs() > PI / 5.0 {
        return angle; // the field is unreliable here (core, delta, noise)
    }
    let (c, s) = (angle.cos() + snapped.cos(), angle.sin() + snapped.sin());
    s.atan2(c)
}

pub fn angle_difference(a: f32, b: f32) -> f32 {
    let mut d = (a - b) % (2.0 * PI);
    if d > PI {
        d -= 2.0 * PI;
    } else if d < -PI {
        d += 2.0 * PI;
    }
    d
}

pub fn candidates(graph: &SkeletonGraph, field: &OrientationField) -> Vec<Candidate> {
    let degrees = graph.degrees();
    let mut incident: Vec<Vec<usize>> = vec![Vec::new(); graph.nodes.len()];
    for (i, r) in graph.ridges.iter().enumerate().filter(|(_, r)| !r.removed) {
        incident[r.from].push(i);
        if r.to != r.from {
            incident[r.to].push(i);
        }
    }
    let mut out = Vec::new();
    for (id, node) in graph.nodes.iter().enumerate() {
        if node.removed {
            continue;
        }
        let (angle, kind) = match (degrees[id], incident[id].as_slice()) {
            (1, [r]) => match branch_direction(graph, id, *r) {
                Some((dx, dy)) => (dy.atan2(dx), MinutiaKind::Ending),
                None => continue,
            },
            (3, [a, b, c]) => {
                let dirs: Vec<(f32, f32)> = [*a, *b, *c]
                    .iter()
                    .filter_map(|&r| branch_direction(graph, id, r))
                    .collect();
                if dirs.len() != 3 {
                    continue;
                }
                // The stem is the branch farthest from the other two; the
                // valley that ends here runs opposite to it.
                let dot = |i: usize, j: usize| dirs[i].0 * dirs[j].0 + dirs[i].1 * dirs[j].1;
                let stem = (0..3).min_by(|&i, &j| {
                    let si = dot(i, (i + 1) % 3) + dot(i, (i + 2) % 3);
                    let sj = dot(j, (j + 1) % 3) + dot(j, (j + 2) % 3);
                    si.total_cmp(&sj)
                });
                let stem = stem.unwrap_or(0);
                let (j, k) = ((stem + 1) % 3, (stem + 2) % 3);
                let vx = dirs[j].0 + dirs[k].0 - dirs[stem].0;
                let vy = dirs[j].1 + dirs[k].1 - dirs[stem].1;
                (vy.atan2(vx), MinutiaKind::Bifurcation)
            }
            _ => continue,
        };
        let angle = refine(angle, field, node.x, node.y);
        out.push(Candidate {
            x: node.x,
            y: node.y,
            angle,
            kind,
            node: id,
        });
    }
    out
}

/// Remove pairs of endings that face each other across a small gap.
pub fn remove_gaps(candidates: &mut Vec<Candidate>) {
    let mut drop = vec![false; candidates.len()];
    // Only endings this close can face each other: found through a grid,
    // since a noisy image can give tens of thousands of candidates.
    let grid = NearGrid::new(candidates, GAP_MAX_DISTANCE);
    let mut near = Vec::new();
    for i in 0..candidates.len() {
        let a = &candidates[i];
        if a.kind != MinutiaKind::Ending {
            continue;
        }
        grid.near(a.x, a.y, &mut near);
        for &j in near.iter().filter(|&&j| j > i) {
            if face_across_gap(a, &candidates[j]) {
                drop[i] = true;
                drop[j] = true;
            }
        }
    }
    retain_unmarked(candidates, &drop);
}

/// Keeps the candidates whose mark in `drop` (one per candidate) is unset.
fn retain_unmarked(candidates: &mut Vec<Candidate>, drop: &[bool]) {
    let mut marks = drop.iter();
    candidates.retain(|_| !marks.next().copied().unwrap_or(false));
}

/// Whether endings `a` and `b` (`a` the earlier candidate) are the two
/// ends of one broken ridge: within the gap, directions opposite, and the
/// line between them leaving along `a`'s ridge.
fn face_across_gap(a: &Candidate, b: &Candidate) -> bool {
    if a.kind != MinutiaKind::Ending || b.kind != MinutiaKind::Ending {
        return false;
    }
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let dist = (dx * dx + dy * dy).sqrt();
    if dist > GAP_MAX_DISTANCE {
        return false;
    }
    // a's ridge runs away from b and b's away from a: the line a->b
    // leaves a's tip, so it is opposite to a's direction.
    let line = dy.atan2(dx);
    let opposite = angle_difference(a.angle, b.angle + PI).abs() < PI / 4.0;
    let aligned = dist < 6.0 || angle_difference(line, a.angle + PI).abs() < PI / 4.0;
    opposite && aligned
}

/// Candidates by square cells at least `reach` wide, so that every
/// candidate within `reach` of a point lies in the point's cell or one of
/// the eight around it.
pub struct NearGrid {
    cell: f32,
    columns: usize,
    rows: usize,
    /// Candidate indices by cell, ascending within a cell.
    start: Vec<u32>,
    members: Vec<u32>,
}

impl NearGrid {
    pub fn new(candidates: &[Candidate], reach: f32) -> Self {
        let cell = reach.max(1.0);
        let index = |v: f32| (v.max(0.0) / cell) as usize;
        let columns = candidates.iter().map(|c| index(c.x)).max().unwrap_or(0) + 1;
        let rows = candidates.iter().map(|c| index(c.y)).max().unwrap_or(0) + 1;
        let of = |c: &Candidate| index(c.y) * columns + index(c.x);
        let mut start = vec![0u32; columns * rows + 1];
        for c in candidates {
            start[of(c) + 1] += 1;
        }
        for k in 1..start.len() {
            start[k] += start[k - 1];
        }
        let mut fill = start.clone();
        let mut members = vec![0u32; candidates.len()];
        for (i, c) in candidates.iter().enumerate() {
            let slot = &mut fill[of(c)];
            members[*slot as usize] = i as u32;
            *slot += 1;
        }
        NearGrid {
            cell,
            columns,
            rows,
            start,
            members,
        }
    }

    /// Every candidate in the cells around (x, y), into `out` (cleared
    /// first), in no particular order.
    pub fn near(&self, x: f32, y: f32, out: &mut Vec<usize>) {
        out.clear();
        let (cx, cy) = (
            (x.max(0.0) / self.cell) as usize,
            (y.max(0.0) / self.cell) as usize,
        );
        for gy in cy.saturating_sub(1)..=(cy + 1).min(self.rows - 1) {
            for gx in cx.saturating_sub(1)..=(cx + 1).min(self.columns - 1) {
                let k = gy * self.columns + gx;
                let cell = &self.members[self.start[k] as usize..self.start[k + 1] as usize];
                out.extend(cell.iter().map(|&i| i as usize));
            }
        }
    }
}

/// Ridge clarity ([`super::clarity`]) from which an area counts as clean:
/// three quarters of the image explained by the ridge model (the median
/// clarity at a minutia of the FVC2002 B prints is 0.73-0.87 per DB). Under it quality falls
/// with the square of clarity, so a minutia where the filter had to invent
/// half the ridges counts less than half as much.
const CLEAR_RIDGES: f32 = 0.75;

/// Minutiae of lower quality are dropped: there the ridge model explains
/// so little of the image (clarity under about a third of `CLEAR_RIDGES`
/// where the flow is clean, less where it is not) that the filter invented
/// the ridges the minutia sits on.
pub const MIN_QUALITY: f32 = 10.0;

/// Final minutiae: border cuts removed, quality assigned, best kept,
/// converted to template convention (angle counter-clockwise on screen).
pub fn finish(
    candidates: &[Candidate],
    field: &OrientationField,
    border: &Grid<u8>,
    clarity: &Grid<f32>,
) -> Vec<Minutia> {
    let mut out: Vec<(f32, Minutia)> = Vec::new();
    for c in candidates {
        let (bx, by) = (
            (c.x as usize / BLOCK).min(border.width - 1),
            (c.y as usize / BLOCK).min(border.height - 1),
        );
        let depth = border.get(bx, by);
        let limit = match c.kind {
            MinutiaKind::Ending => ENDING_BORDER_BLOCKS,
            _ => BIFURCATION_BORDER_BLOCKS,
        };
        if depth <= limit {
            continue;
        }
        let coherence = field.pixel_coherence(c.x, c.y).clamp(0.0, 1.0);
        let depth_factor = (depth as f32 / 5.0).min(1.0);
        let clear = (clarity.get(bx, by) / CLEAR_RIDGES).min(1.0);
        let q = (100.0 * coherence.sqrt() * clear * clear * (0.5 + 0.5 * depth_factor))
            .round()
            .clamp(1.0, 100.0);
        if q < MIN_QUALITY {
            continue;
        }
        let mut direction = -c.angle;
        direction = direction.rem_euclid(2.0 * PI);
        if direction >= 2.0 * PI {
            direction = 0.0;
        }
        out.push((
            q,
            Minutia {
                x: c.x.round().clamp(0.0, u16::MAX as f32) as u16,
                y: c.y.round().clamp(0.0, u16::MAX as f32) as u16,
                direction,
                kind: c.kind,
                quality: q as u8,
            },
        ));
    }
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    out.truncate(MAX_MINUTIAE);
    out.into_iter().map(|(_, m)| m).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::graph::{Node, Ridge};
    use crate::test_rng::XorShift as Rng;

    /// The holes rule as first written: each short ridge searches the later
    /// ones for a partner between the same two nodes.
    fn remove_holes_by_search(graph: &mut SkeletonGraph) {
        let n = graph.ridges.len();
        for i in 0..n {
            let r = &graph.ridges[i];
            if r.removed || r.length() > HOLE_MAX_LENGTH {
                continue;
            }
            if r.from == r.to {
                graph.ridges[i].removed = true;
                continue;
            }
            let (a, b) = (r.from.min(r.to), r.from.max(r.to));
            for j in i + 1..n {
                let s = &graph.ridges[j];
                if !s.removed
                    && s.length() <= HOLE_MAX_LENGTH
                    && s.from.min(s.to) == a
                    && s.from.max(s.to) == b
                {
                    graph.ridges[j].removed = true;
                    break;
                }
            }
        }
    }

    /// The gap rule over every pair, as first written (the grid only
    /// chooses which pairs are tested).
    fn remove_gaps_by_pairs(candidates: &mut Vec<Candidate>) {
        let mut drop = vec![false; candidates.len()];
        for i in 0..candidates.len() {
            for j in i + 1..candidates.len() {
                if face_across_gap(&candidates[i], &candidates[j]) {
                    drop[i] = true;
                    drop[j] = true;
                }
            }
        }
        retain_unmarked(candidates, &drop);
    }

    #[test]
    fn holes_go_as_the_pairwise_search_removed_them() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut holes = 0;
        for round in 0..200 {
            let nodes = 2 + rng.below(12) as usize;
            let mut graph = SkeletonGraph {
                nodes: (0..nodes)
                    .map(|_| Node {
                        x: 0.0,
                        y: 0.0,
                        pixels: Vec::new(),
                        removed: false,
                    })
                    .collect(),
                ridges: Vec::new(),
            };
            for _ in 0..rng.below(60) {
                // Short and long ridges, loops, some already removed.
                let length = 1 + rng.below(2 * HOLE_MAX_LENGTH as u64) as usize;
                graph.ridges.push(Ridge {
                    from: rng.below(nodes as u64) as usize,
                    to: rng.below(nodes as u64) as usize,
                    path: vec![(0, 0); length],
                    removed: rng.below(8) == 0,
                });
            }
            let mut reference = SkeletonGraph {
                nodes: graph.nodes.clone(),
                ridges: graph.ridges.clone(),
            };
            let before = graph.ridges.iter().filter(|r| r.removed).count();
            remove_holes(&mut graph);
            holes += graph.ridges.iter().filter(|r| r.removed).count() - before;
            remove_holes_by_search(&mut reference);
            let removed =
                |g: &SkeletonGraph| g.ridges.iter().map(|r| r.removed).collect::<Vec<_>>();
            assert_eq!(removed(&graph), removed(&reference), "round {round}");
        }
        assert!(holes > 200, "the rule fired {holes} times only");
    }

    #[test]
    fn gaps_go_as_the_test_of_every_pair_removed_them() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut dropped = 0;
        for round in 0..200 {
            let n = rng.below(150) as usize;
            // Crowded enough that many endings face one within the gap.
            let side = 40.0 + rng.below(300) as f32;
            let candidates: Vec<Candidate> = (0..n)
                .map(|_| Candidate {
                    x: rng.below(1000) as f32 / 1000.0 * side,
                    y: rng.below(1000) as f32 / 1000.0 * side,
                    angle: rng.below(6283) as f32 / 1000.0 - PI,
                    kind: if rng.below(4) == 0 {
                        MinutiaKind::Bifurcation
                    } else {
                        MinutiaKind::Ending
                    },
                    node: 0,
                })
                .collect();
            let (mut fast, mut reference) = (candidates.clone(), candidates.clone());
            remove_gaps(&mut fast);
            remove_gaps_by_pairs(&mut reference);
            let at = |c: &[Candidate]| c.iter().map(|c| (c.x, c.y, c.angle)).collect::<Vec<_>>();
            assert_eq!(at(&fast), at(&reference), "round {round}");
            dropped += n - fast.len();
        }
        assert!(dropped > 100, "the rule fired {dropped} times only");
    }
}
