//! Stage 1 of a comparison, the edge matches: every candidate edge looked
//! up in the probe's edge hash, each pair of edges with the same shape
//! (length, angles at both ends) kept as a match with its shape error
//! level, its votes counted at the minutia pairs at both ends (the roots'
//! evidence), and the matches indexed by minutia pair for the pairing.

use super::prepared::{angle_units_distance, length_tolerance, ANGLE_TOLERANCE_UNITS, LANES};
use super::{shape, EdgeMatch, PreparedTemplate, Scratch, ERROR_LEVELS, LAST_LEVEL};

/// Every pair of edges with the same shape; counts the matches at each
/// minutia pair (`votes`) and lists the pairs touched.
// Not inlined: the stages stay apart in profiles, at one call each.
#[inline(never)]
pub(super) fn find_edge_matches(
    probe: &PreparedTemplate,
    candidate: &PreparedTemplate,
    scratch: &mut Scratch,
) {
    let n_b = candidate.minutiae.len();
    let cells = probe.minutiae.len() * n_b;
    if scratch.votes.len() < cells {
        scratch.votes.resize(cells, 0);
        scratch.adjacency_end.resize(cells, 0);
    }
    if scratch.touched.len() < cells + 1 {
        scratch.touched.resize(cells + 1, 0);
    }
    let hash = &probe.bucket_edges;
    // First every shape test, listing the passes (about one edge in four
    // passes, at random) without a branch on them; then the matches. The
    // candidate's edges are looked up in the order of its `queries` (bucket
    // order reads the probe's hash front to back), and how many matches
    // each edge makes is counted, so that the matches can be laid out in
    // edge order below whatever that order is.
    let n_edges = candidate.canonical.len();
    if scratch.edge_matches.len() < n_edges {
        scratch.edge_matches.resize(n_edges, 0);
    }
    scratch.edge_matches[..n_edges].fill(0);
    let mut passed = 0;
    for q in &candidate.queries {
        let (b, k) = (q.bucket as usize, q.edge);
        let (start, end) = (
            probe.bucket_start[b] as usize,
            probe.bucket_start[b + 1] as usize,
        );
        let first = passed;
        let chunks = (end - start) / LANES + 1;
        if scratch.hit_entry.len() < passed + LANES * chunks {
            scratch.hit_entry.resize(2 * (passed + LANES * chunks), 0);
            scratch.hit_edge.resize(2 * (passed + LANES * chunks), 0);
        }
        // The first chunk is tested even for an empty bucket (the padding
        // makes that safe), so that only buckets longer than a chunk loop.
        let mut chunk = start;
        loop {
            let lanes = (end - chunk).min(LANES);
            let mask = shape::shape_mask(hash, chunk, &q.shape) & ((1 << lanes) - 1);
            // All lanes written (vector stores), the passes kept.
            let hits = passed..passed + LANES;
            let passed_lanes = &shape::PASSED_LANES[mask as usize];
            let entries: [u32; LANES] =
                std::array::from_fn(|l| chunk as u32 + passed_lanes[l] as u32);
            scratch.hit_entry[hits.clone()].copy_from_slice(&entries);
            scratch.hit_edge[hits].copy_from_slice(&[k; LANES]);
            passed += shape::PASSED_COUNT[mask as usize] as usize;
            chunk += LANES;
            if chunk >= end {
                break;
            }
        }
        scratch.edge_matches[k as usize] += (passed - first) as u32;
    }
    // Each edge's first match's place in edge order: the matches, their
    // votes and so the pairings come out as if the edges had been looked up
    // in their own order.
    let mut at = 0;
    for count in &mut scratch.edge_matches[..n_edges] {
        (*count, at) = (at, at + *count);
    }
    // Error 3 (every tolerance at its limit) maps to the last level.
    let level_per_error = ERROR_LEVELS as f32 / 3.0;
    let angle_scale = level_per_error / ANGLE_TOLERANCE_UNITS as f32;
    // Each field borrowed once, before the loops: through `scratch` the
    // compiler reloads every vector's pointer and length after each store.
    // The matches are made in one loop and counted at their cells in a
    // second: each loop's values then fit the registers.
    if scratch.matches.len() < passed {
        scratch.matches.resize(passed, EdgeMatch::default());
    }
    let matches = &mut scratch.matches[..passed];
    // The hash's arrays cut to one length: one bounds check serves all.
    let entries = hash.length.len();
    let (lengths, angles_of, ends) = (
        &hash.length[..entries],
        &hash.angles[..entries],
        &hash.ends[..entries],
    );
    let place = &mut scratch.edge_matches[..n_edges];
    for (&i, &k) in scratch.hit_entry[..passed]
        .iter()
        .zip(&scratch.hit_edge[..passed])
    {
        let e = &candidate.canonical[k as usize];
        let m = &mut matches[place[k as usize] as usize];
        place[k as usize] += 1;
        let i = i as usize;
        let (length, angles, (from, to)) = (lengths[i], angles_of[i], ends[i]);
        let df = angle_units_distance(angles as u16, e.from_angle);
        let dt = angle_units_distance((angles >> 16) as u16, e.to_angle);
        let dl = (length - e.length).abs();
        // Lengths are never NaN: the plain comparison, not `f32::min`.
        let shorter = if length < e.length { length } else { e.length };
        // Both angle differences are at most 32,768, so their sum is exact
        // in integers and in f32 alike: one conversion.
        let level = dl / length_tolerance(shorter) * level_per_error
            + (df as u32 + dt as u32) as f32 * angle_scale;
        *m = EdgeMatch {
            a: from,
            a2: to,
            b: e.from,
            b2: e.to,
            // The same as `(level as u32).min(LAST_LEVEL)` for the level,
            // which is never negative.
            level: level.min(LAST_LEVEL as f32) as u8,
        };
    }
    let (votes, touched_cells) = (
        &mut scratch.votes[..cells],
        &mut scratch.touched[..cells + 1],
    );
    let mut touched = 0;
    for m in matches.iter() {
        for cell in m.cells(n_b) {
            let v = &mut votes[cell];
            // A cell is listed on its first vote; written always, kept
            // only then (no branch on a coin flip).
            touched_cells[touched] = cell as u32;
            touched += (*v == 0) as usize;
            // At most (edges at a) * (edges at b) matches share a cell.
            *v += 1;
        }
    }
    scratch.match_count = passed;
    scratch.touched_len = touched;
}

/// Index matches by the minutia pair at either end (both directions). Only
/// the cells that matches touch are visited (a few hundred of the n_a * n_b),
/// and `clear_index` leaves `votes` all zero again for the next comparison.
#[inline(never)]
pub(super) fn index_matches(scratch: &mut Scratch, n_b: usize) {
    // Each touched cell's slice of `adjacency` is filled from its start up
    // to its end, which `adjacency_end` then holds.
    let mut total = 0u32;
    for &c in &scratch.touched[..scratch.touched_len] {
        scratch.adjacency_end[c as usize] = total;
        total += scratch.votes[c as usize] as u32;
    }
    // Every entry up to `total` is written below.
    if scratch.adjacency.len() < total as usize {
        scratch.adjacency.resize(total as usize, 0);
    }
    for (k, m) in scratch.matches[..scratch.match_count].iter().enumerate() {
        for cell in m.cells(n_b) {
            let end = &mut scratch.adjacency_end[cell];
            scratch.adjacency[*end as usize] = k as u32;
            *end += 1;
        }
    }
}

/// Matches indexed at a minutia pair (empty when none touch it).
pub(super) fn matches_at(scratch: &Scratch, cell: usize) -> std::ops::Range<usize> {
    let end = scratch.adjacency_end[cell] as usize;
    match scratch.votes[cell] as usize {
        0 => 0..0,
        v => end - v..end,
    }
}

pub(super) fn clear_index(scratch: &mut Scratch) {
    for &c in &scratch.touched[..scratch.touched_len] {
        scratch.votes[c as usize] = 0;
    }
}
