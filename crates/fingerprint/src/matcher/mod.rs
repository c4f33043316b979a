//! 1:1 comparison of minutiae templates, invariant to translation and
//! rotation and tolerant of skin distortion.
//!
//! The approach follows the edge/neighbourhood pairing of SourceAFIS:
//! 1. `edge matches`: every candidate edge is looked up in the probe's edge
//!    hash; pairs of edges with the same shape (length, angles at both ends)
//!    are the evidence. Each minutia pair collects votes from them.
//! 2. `roots`: the minutia pairs with the most votes seed pairings.
//! 3. `pairing`: from a root, matching edges are followed outwards, best
//!    first, pairing minutiae whose local geometry agrees with an already
//!    paired neighbour (so distortion only has to be small locally), while
//!    the rotation stays consistent with the root's.
//! 4. `score`: the best pairing's size, its support by further matching
//!    edges, and how much of both fingers it explains.

pub mod calibration;
mod coverage;
pub mod prepared;
mod scoring;
mod shape;

pub use prepared::PreparedTemplate;
use prepared::{
    angle_distance, angle_units_distance, length_tolerance, ANGLE_TOLERANCE_UNITS, LANES,
};
use scoring::{LOOSE_CONFIRMATION_WEIGHT, LOOSE_EDGE_WEIGHT};

use crate::template::{MinutiaKind, Template};

/// Roots tried per comparison.
const MAX_ROOTS: usize = 10;
/// A paired minutia may not rotate more than this against its root.
const ROTATION_TOLERANCE: f32 = std::f32::consts::PI / 9.0;

/// One pair of edges with the same shape: probe a->a2 against candidate b->b2.
#[derive(Clone, Copy, Debug, Default)]
struct EdgeMatch {
    a: u16,
    a2: u16,
    b: u16,
    b2: u16,
    /// Shape disagreement as a level of the best-first queue: 0 (identical)
    /// to `ERROR_LEVELS - 1` (at every tolerance).
    level: u8,
}

impl EdgeMatch {
    /// The minutia pairs at both ends, as cells (probe * n_b + candidate):
    /// worked out where needed rather than stored, which keeps a match to
    /// 10 bytes (the accurate profile makes thousands per comparison).
    #[inline]
    fn cells(&self, n_b: usize) -> [usize; 2] {
        [
            self.a as usize * n_b + self.b as usize,
            self.a2 as usize * n_b + self.b2 as usize,
        ]
    }
}

/// The result of a comparison, with the pairing behind the score.
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    pub score: f32,
    /// (probe minutia, candidate minutia) pairs of the best pairing.
    pub pairs: Vec<(u16, u16)>,
    /// Cycle-closing edges of the best pairing, tight or loose, as the
    /// score counts them (each time the pairing reaches one from an end,
    /// halved: most are reached from both ends, some from one only).
    pub supporting_edges: u32,
    /// Paired minutiae confirmed by a cycle-closing edge.
    pub confirmed: u32,
    /// Shape error level (0 to 31, see `TIGHT_LEVEL`) of every
    /// cycle-closing edge of the best pairing, tight or not, each listed
    /// once (filled by `Matcher::explain` only).
    pub cycle_levels: Vec<u8>,
    /// Minutiae of probe and candidate in the area both impressions show.
    pub overlap: (u32, u32),
    /// Minutia pairs of the best pairing (also when `pairs` is not kept).
    pub paired: u32,
    /// Of those, the pairs whose minutiae both have a known kind (ending or
    /// bifurcation; not ISO/ANSI "other")...
    pub kinds_compared: u32,
    /// ...and of these, the pairs of the same kind: genuine pairings agree
    /// more often than chance ones (FVC2002 B: 71 % against 54-57 %,
    /// example `type_agreement`), which the score does not use and a 1:N
    /// fusion can.
    pub kinds_agreeing: u32,
}

impl Comparison {
    /// Cycle-closing edges of the best pairing whose shape error is under
    /// `TIGHT_LEVEL` (filled by `Matcher::explain` only).
    pub fn tight_edges(&self) -> usize {
        self.cycle_levels
            .iter()
            .filter(|&&l| (l as u32) < TIGHT_LEVEL)
            .count()
    }
}

/// Reusable work space of a comparison (avoids allocating per call).
#[derive(Default)]
pub struct Scratch {
    /// The edge matches: the first `match_count` (the rest are stale).
    matches: Vec<EdgeMatch>,
    match_count: usize,
    /// Each shape test passed: the probe hash entry and the candidate edge
    /// (canonical index). Kept as both indices, not as the chunk and lane
    /// they came from, so that making a match starts with two independent
    /// loads instead of a chain of three.
    hit_entry: Vec<u32>,
    hit_edge: Vec<u32>,
    /// Per candidate edge: its matches' count, then where they start in
    /// edge order, then where the next one goes.
    edge_matches: Vec<u32>,
    /// Matches per minutia pair (probe * n_b + candidate); all zero between
    /// comparisons.
    votes: Vec<u16>,
    /// Cells with votes, in the order first touched: the first
    /// `touched_len` of `touched`, which has room for every cell and one
    /// more (a cell is written before it is known to be new).
    touched: Vec<u32>,
    touched_len: usize,
    adjacency_end: Vec<u32>,
    adjacency: Vec<u32>,
    /// Root keys, (u16::MAX - votes) << 32 | cell, in the first entries.
    roots: Vec<u64>,
    paired_a: Vec<u16>,
    paired_b: Vec<u16>,
    /// The probe minutia each paired one was reached from (`UNPAIRED` for
    /// the root): an edge match between a minutia and its parent is the
    /// tree edge itself or, with second readings, another reading of it.
    parent_a: Vec<u16>,
    /// How each probe minutia of the pairing being grown is confirmed:
    /// `UNCONFIRMED`, `LOOSELY` or `TIGHTLY` (the best of its cycle-closing
    /// edges); all `UNCONFIRMED` between roots.
    support: Vec<u8>,
    queue: ErrorQueue,
    pairs: Vec<(u16, u16)>,
    tried: Vec<bool>,
    tried_cells: Vec<u32>,
    tree_edge: Vec<bool>,
    tree_edges: Vec<u32>,
    /// The cycle-closing edge matches of the pairing being grown, as
    /// reached (explain only).
    cycle_matches: Vec<u32>,
}

const UNPAIRED: u16 = u16::MAX;

/// Levels of the best-first queue over edge-match errors (0..=3).
const ERROR_LEVELS: usize = 32;
const LAST_LEVEL: u32 = ERROR_LEVELS as u32 - 1;

/// A cycle-closing edge is tight when its shape error is under this level,
/// loose otherwise. Measured on FVC2002 B (all pairs within each database,
/// `cycle_edge_errors` example): the cycle-closing edges of genuine
/// pairings peak at levels 5-9, those of chance pairings at 13-17, and the
/// two are equally likely at 11-12; the synthetic fingers' edges lie the
/// same way (`synthetic_tail --levels` in scomm-ident).
const TIGHT_LEVEL: u32 = 12;

/// `Scratch::support` values.
const UNCONFIRMED: u8 = 0;
const LOOSELY: u8 = 1;
const TIGHTLY: u8 = 2;

/// Best-first queue of edge matches by shape error, as buckets of
/// quantised error: O(1) push and pop (the pairing loop's hot spot), the
/// lowest non-empty level found from a bit per level.
#[derive(Default)]
struct ErrorQueue {
    levels: Vec<Vec<u32>>,
    /// Bit l set when level l holds items.
    filled: u32,
}

const _: () = assert!(ERROR_LEVELS <= 32);

impl ErrorQueue {
    fn clear(&mut self) {
        if self.levels.len() != ERROR_LEVELS {
            self.levels = vec![Vec::new(); ERROR_LEVELS];
        }
        while self.filled != 0 {
            self.levels[self.filled.trailing_zeros() as usize].clear();
            self.filled &= self.filled - 1;
        }
    }

    fn push(&mut self, level: u32, item: u32) {
        self.levels[level as usize].push(item);
        self.filled |= 1 << level;
    }

    fn pop(&mut self) -> Option<u32> {
        if self.filled == 0 {
            return None;
        }
        let lowest = self.filled.trailing_zeros() as usize;
        let level = &mut self.levels[lowest];
        let item = level.pop();
        self.filled &= !((level.is_empty() as u32) << lowest);
        item
    }
}

/// A probe prepared once and compared against many candidates.
pub struct Matcher {
    probe: PreparedTemplate,
}

impl Matcher {
    pub fn new(probe: &Template) -> Self {
        Matcher {
            probe: PreparedTemplate::new(probe),
        }
    }

    /// A prepared template as the probe; one prepared as a candidate only
    /// gets its edge hash and coverage bitmap built here.
    pub fn from_prepared(mut probe: PreparedTemplate) -> Self {
        probe.build_probe_hash();
        Matcher { probe }
    }

    pub fn probe(&self) -> &PreparedTemplate {
        &self.probe
    }

    pub fn compare(&self, candidate: &PreparedTemplate) -> f32 {
        self.compare_counted(candidate).score
    }

    /// Like `compare`, also returning the pairing.
    pub fn explain(&self, candidate: &PreparedTemplate) -> Comparison {
        compare_with(&self.probe, candidate, &mut Scratch::default(), true)
    }

    /// Like `compare`, with the best pairing's counts (size, confirmed,
    /// kinds agreeing, overlap) but not its pairs: as cheap as `compare`.
    pub fn compare_counted(&self, candidate: &PreparedTemplate) -> Comparison {
        thread_local! {
            static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
        }
        SCRATCH.with(|s| compare_with(&self.probe, candidate, &mut s.borrow_mut(), false))
    }
}

/// Compare two templates (convenience: prepares both).
pub fn compare(probe: &Template, candidate: &Template) -> f32 {
    Matcher::new(probe).compare(&PreparedTemplate::new(candidate))
}

/// Every pair of edges with the same shape; counts the matches at each
/// minutia pair (`votes`) and lists the pairs touched.
// Not inlined: the stages stay apart in profiles, at one call each.
#[inline(never)]
fn find_edge_matches(
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
fn index_matches(scratch: &mut Scratch, n_b: usize) {
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
fn matches_at(scratch: &Scratch, cell: usize) -> std::ops::Range<usize> {
    let end = scratch.adjacency_end[cell] as usize;
    match scratch.votes[cell] as usize {
        0 => 0..0,
        v => end - v..end,
    }
}

fn clear_index(scratch: &mut Scratch) {
    for &c in &scratch.touched[..scratch.touched_len] {
        scratch.votes[c as usize] = 0;
    }
}

fn compare_with(
    probe: &PreparedTemplate,
    candidate: &PreparedTemplate,
    scratch: &mut Scratch,
    explain: bool,
) -> Comparison {
    let (n_a, n_b) = (probe.minutiae.len(), candidate.minutiae.len());
    if n_a < 2 || n_b < 2 {
        return Comparison::default();
    }
    find_edge_matches(probe, candidate, scratch);
    if scratch.match_count == 0 {
        return Comparison::default();
    }
    index_matches(scratch, n_b);
    let result = pair_and_score(probe, candidate, scratch, explain);
    clear_index(scratch);
    result
}

#[inline(never)]
fn pair_and_score(
    probe: &PreparedTemplate,
    candidate: &PreparedTemplate,
    scratch: &mut Scratch,
    explain: bool,
) -> Comparison {
    let (n_a, n_b) = (probe.minutiae.len(), candidate.minutiae.len());
    // All false between comparisons (`pair_from_root` clears what it sets).
    if scratch.tree_edge.len() < scratch.match_count {
        scratch.tree_edge.resize(scratch.match_count, false);
    }
    // Roots by votes, most first, then by cell: as one u64 key, ascending,
    // so that selecting and sorting them compares plain integers. Every
    // touched cell is written, and kept when it has two votes (no branch).
    let touched = &scratch.touched[..scratch.touched_len];
    if scratch.roots.len() < touched.len() {
        scratch.roots.resize(touched.len(), 0);
    }
    let mut roots = 0;
    let (votes, keys) = (&scratch.votes, &mut scratch.roots[..touched.len()]);
    for &cell in touched {
        let v = votes[cell as usize];
        keys[roots] = ((u16::MAX - v) as u64) << 32 | cell as u64;
        roots += (v >= 2) as usize;
    }
    // Only the strongest few roots are tried: select them, then order them.
    let keep = (MAX_ROOTS * 3).min(roots);
    if keep < roots {
        scratch.roots[..roots].select_nth_unstable(keep);
    }
    scratch.roots[..keep].sort_unstable();
    // All false between comparisons: the cells set are cleared at the end.
    if scratch.tried.len() < n_a * n_b {
        scratch.tried.resize(n_a * n_b, false);
    }
    scratch.tried_cells.clear();
    scratch.paired_a.resize(n_a, UNPAIRED);
    scratch.paired_b.resize(n_b, UNPAIRED);
    scratch.parent_a.resize(n_a, UNPAIRED);
    scratch.support.resize(n_a, UNCONFIRMED);
    let mut best = Comparison::default();
    let mut best_evidence = scoring::Evidence::default();
    let mut best_alignment: Option<Alignment> = None;
    let mut tried = 0;
    for r in 0..keep {
        if tried == MAX_ROOTS {
            break;
        }
        let cell = scratch.roots[r] as u32 as usize;
        if scratch.tried[cell] {
            continue; // already part of an earlier pairing: same alignment
        }
        tried += 1;
        let (a, b) = ((cell / n_b) as u16, (cell % n_b) as u16);
        let (evidence, fitted) = pair_from_root(probe, candidate, scratch, a, b, explain);
        for &(pa, pb) in &scratch.pairs {
            let cell = pa as usize * n_b + pb as usize;
            scratch.tried[cell] = true;
            scratch.tried_cells.push(cell as u32);
        }
        if evidence.strength() > best_evidence.strength() {
            best_evidence = evidence;
            best_alignment = Some(fitted);
            best.pairs.clear();
            best.pairs.extend_from_slice(&scratch.pairs);
            if explain {
                // Usually reached from both ends; listed once.
                scratch.cycle_matches.sort_unstable();
                scratch.cycle_matches.dedup();
                best.cycle_levels.clear();
                best.cycle_levels.extend(
                    scratch
                        .cycle_matches
                        .iter()
                        .map(|&k| scratch.matches[k as usize].level),
                );
            }
        }
        for &(pa, pb) in &scratch.pairs {
            scratch.paired_a[pa as usize] = UNPAIRED;
            scratch.paired_b[pb as usize] = UNPAIRED;
            scratch.parent_a[pa as usize] = UNPAIRED;
            scratch.support[pa as usize] = UNCONFIRMED;
        }
    }
    for &cell in &scratch.tried_cells {
        scratch.tried[cell as usize] = false;
    }
    if best_evidence.pairs < 2 {
        return best;
    }
    let Some(alignment) = best_alignment else {
        return best;
    };
    let ((overlap_a, weight_a), (overlap_b, weight_b)) = overlap(probe, candidate, &alignment);
    best.score = scoring::score(&best_evidence, weight_a, weight_b);
    best.supporting_edges = best_evidence.cycle_edges;
    best.confirmed = best_evidence.confirmed as u32;
    best.overlap = (overlap_a as u32, overlap_b as u32);
    best.paired = best.pairs.len() as u32;
    let known = |k: MinutiaKind| k != MinutiaKind::Other;
    for &(a, b) in &best.pairs {
        let (ka, kb) = (
            probe.minutiae[a as usize].kind,
            candidate.minutiae[b as usize].kind,
        );
        if known(ka) && known(kb) {
            best.kinds_compared += 1;
            best.kinds_agreeing += (ka == kb) as u32;
        }
    }
    if !explain {
        best.pairs.clear();
    }
    best
}

/// Minutiae of each template that lie where the other impression also has
/// minutiae, after the rigid fit of the best pairing: how many, and their
/// summed overlap weights (`prepared::overlap_weight`).
#[inline(never)]
fn overlap(
    probe: &PreparedTemplate,
    candidate: &PreparedTemplate,
    alignment: &Alignment,
) -> ((usize, f32), (usize, f32)) {
    let (mut in_a, mut in_b) = ((0, 0.0), (0, 0.0));
    for m in &probe.minutiae {
        let (x, y) = alignment.apply(m.x, m.y);
        if candidate.coverage.contains(x, y) {
            in_a = (in_a.0 + 1, in_a.1 + m.weight);
        }
    }
    for c in &candidate.minutiae {
        let (x, y) = alignment.invert(c.x, c.y);
        if probe.coverage.contains(x, y) {
            in_b = (in_b.0 + 1, in_b.1 + c.weight);
        }
    }
    (in_a, in_b)
}

fn rotation(probe: &PreparedTemplate, candidate: &PreparedTemplate, a: u16, b: u16) -> f32 {
    candidate.minutiae[b as usize].direction - probe.minutiae[a as usize].direction
}

/// The rigid transform that puts a probe root minutia onto its candidate.
struct Alignment {
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
    fn new(a: &prepared::PreparedMinutia, b: &prepared::PreparedMinutia) -> Self {
        let r = b.direction - a.direction;
        Alignment {
            cos: r.cos(),
            sin: r.sin(),
            probe_root: (a.x, a.y),
            candidate_root: (b.x, b.y),
        }
    }

    fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let (dx, dy) = (x - self.probe_root.0, y - self.probe_root.1);
        (
            self.candidate_root.0 + dx * self.cos - dy * self.sin,
            self.candidate_root.1 + dx * self.sin + dy * self.cos,
        )
    }

    /// The candidate point that `apply` maps to, back in the probe's frame.
    fn invert(&self, x: f32, y: f32) -> (f32, f32) {
        let (dx, dy) = (x - self.candidate_root.0, y - self.candidate_root.1);
        (
            self.probe_root.0 + dx * self.cos + dy * self.sin,
            self.probe_root.1 - dx * self.sin + dy * self.cos,
        )
    }

    fn agrees(&self, a: &prepared::PreparedMinutia, b: &prepared::PreparedMinutia) -> bool {
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
const FIT_MIN_PAIRS: usize = 4;
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
struct RigidFit {
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
struct FittedAlignment {
    centre_a: (f32, f32),
    centre_b: (f32, f32),
    cos: f32,
    sin: f32,
}

impl RigidFit {
    fn add(&mut self, a: &prepared::PreparedMinutia, b: &prepared::PreparedMinutia) {
        self.n += 1.0;
        self.sum_a = (self.sum_a.0 + a.x, self.sum_a.1 + a.y);
        self.sum_b = (self.sum_b.0 + b.x, self.sum_b.1 + b.y);
        self.dot += a.x * b.x + a.y * b.y;
        self.cross += a.x * b.y - a.y * b.x;
    }

    fn solve(&self) -> FittedAlignment {
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
    fn agrees(&self, a: &prepared::PreparedMinutia, b: &prepared::PreparedMinutia) -> bool {
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
fn pair_from_root(
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

#[cfg(test)]
mod tests;
