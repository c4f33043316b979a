//! 1:1 comparison of minutiae templates, invariant to translation and
//! rotation and tolerant of skin distortion.
//!
//! The approach follows the edge/neighbourhood pairing of SourceAFIS. Each
//! template is first prepared (`prepared`: minutiae, edges to their
//! nearest neighbours, the probe's edge hash); a comparison then runs four
//! stages, each in its own place:
//! 1. edge matches (`edges`): every candidate edge is looked up in the
//!    probe's edge hash; pairs of edges with the same shape (length, angles
//!    at both ends) are the evidence. Each minutia pair collects votes from
//!    them.
//! 2. roots (`pair_and_score`, here): the minutia pairs with the most votes
//!    seed pairings.
//! 3. pairing (`pairing`): from a root, matching edges are followed
//!    outwards, best first, pairing minutiae whose local geometry agrees
//!    with an already paired neighbour (so distortion only has to be small
//!    locally), while the rotation stays consistent with the root's.
//! 4. score (`scoring`, and the overlap here): the best pairing's size, its
//!    support by further matching edges, and how much of both fingers it
//!    explains.

pub mod calibration;
mod coverage;
mod edges;
mod neighbours;
mod pairing;
pub mod prepared;
mod scoring;
mod shape;

use edges::{clear_index, find_edge_matches, index_matches, matches_at};
use pairing::{pair_from_root, Alignment};
pub use prepared::PreparedTemplate;

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
    /// Every root a pairing was grown from, in the order tried (filled by
    /// `Matcher::explain` only): why the best pairing won, or why none grew.
    pub roots: Vec<RootTrial>,
    /// Where the best pairing's rigid fit puts the probe on the candidate
    /// (filled by `Matcher::explain` only, when a pairing scored).
    pub placement: Option<Placement>,
}

/// One root of a comparison and the pairing grown from it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RootTrial {
    /// The root pair: probe minutia, candidate minutia.
    pub probe: u16,
    pub candidate: u16,
    /// Edge matches at the root pair, which ranked it among the roots.
    pub votes: u16,
    /// Minutia pairs of the pairing grown from it.
    pub pairs: u32,
    /// The pairing's strength, by which the best one is chosen
    /// (confirmed pairs plus weighted cycle-closing edges).
    pub strength: f32,
    /// Whether this is the strongest pairing, the one the score is taken
    /// from (when it has fewer than two pairs the comparison scores 0).
    pub best: bool,
}

/// A rigid placement of the probe on the candidate, in image pixels (y
/// down): candidate = rotate(probe) + translation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placement {
    /// Counter-clockwise as seen on the image (minutia directions' sense),
    /// radians in (-pi, pi].
    pub rotation: f32,
    /// Where the probe's pixel (0, 0) lands on the candidate.
    pub translation: (f32, f32),
}

impl Placement {
    fn of(alignment: &Alignment) -> Placement {
        // The alignment works with y up: image (x, y) is (x, -y) there.
        let (x, y) = alignment.apply(0.0, 0.0);
        let (cos, sin) = alignment.rotation();
        Placement {
            rotation: sin.atan2(cos),
            translation: (x, -y),
        }
    }

    /// Where a probe image pixel lands on the candidate image.
    pub fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let (sin, cos) = self.rotation.sin_cos();
        // Counter-clockwise on an image whose y points down.
        (
            self.translation.0 + x * cos + y * sin,
            self.translation.1 - x * sin + y * cos,
        )
    }
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
    // Which of `best.roots` grew the best pairing (explain only).
    let mut best_root = None;
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
        if explain {
            best.roots.push(RootTrial {
                probe: a,
                candidate: b,
                votes: scratch.votes[cell],
                pairs: scratch.pairs.len() as u32,
                strength: evidence.strength(),
                best: false,
            });
        }
        for &(pa, pb) in &scratch.pairs {
            let cell = pa as usize * n_b + pb as usize;
            scratch.tried[cell] = true;
            scratch.tried_cells.push(cell as u32);
        }
        if evidence.strength() > best_evidence.strength() {
            best_root = best.roots.len().checked_sub(1);
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
    if let Some(i) = best_root {
        best.roots[i].best = true;
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
    if explain {
        best.placement = Some(Placement::of(&alignment));
    }
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

#[cfg(test)]
mod tests;
