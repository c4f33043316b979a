//! A template prepared for matching: minutiae in a y-up frame, each with
//! edges to its nearest neighbours (rotation- and translation-invariant
//! shapes), and a hash of those edges by shape so that a comparison finds
//! matching edge pairs without trying every combination.

use std::f32::consts::PI;

use super::coverage::Coverage;
use super::neighbours::neighbour_links;
use super::shape::ShapeQuery;
use crate::template::{MinutiaKind, Template};

/// Edges per minutia (its nearest neighbours).
pub const NEIGHBOURS: usize = 12;
/// Besides the nearest, each minutia links to its nearest neighbour in
/// each of this many equal sectors around its direction. Why: where an
/// impression has a cluster of spurious minutiae (dots of a dry print, a
/// scar), the nearest twelve all fall in the cluster and the true
/// neighbours on the other sides get no edge to pair through; one per
/// sector keeps edges in every direction. FVC2002 B all-pairs EER mean
/// 2.23 -> 1.99 %, FMR1000 6.43 -> 6.07 %; held-out CrossMatch EER 0.35 ->
/// 0.28 %, ZeroFMR 1.40 -> 1.12 % (4 sectors: mean 2.15 %, 8: 2.02 %).
pub const SECTORS: usize = 6;
/// Edges shorter than this have unreliable angles; longer ones are too
/// distorted to compare. Pixels at 500 ppi.
pub const MIN_EDGE: f32 = 10.0;
pub const MAX_EDGE: f32 = 250.0;
/// Tolerances of edge shape comparison (distance grows with length because
/// skin distortion accumulates).
pub const LENGTH_TOLERANCE_BASE: f32 = 7.0;
pub const LENGTH_TOLERANCE_SLOPE: f32 = 0.07;
pub const ANGLE_TOLERANCE: f32 = PI / 12.0;

const LENGTH_BIN: f32 = 16.0;
const LENGTH_BINS: usize = (MAX_EDGE / LENGTH_BIN) as usize + 2;
/// Angle bins twice as wide as the tolerance. Narrower bins (24) scan fewer
/// edges per lookup, but the vector shape test makes a scan of up to
/// [`LANES`] edges cost the same, while the twice larger probe hash misses
/// the cache more: 12 bins measured 2-5 % faster. Scores do not depend on
/// the bins (a lookup finds every probe edge within the tolerances).
const ANGLE_BINS: usize = 12;
pub const BUCKETS: usize = LENGTH_BINS * ANGLE_BINS * ANGLE_BINS;

#[derive(Clone, Copy, Debug)]
pub struct PreparedMinutia {
    pub x: f32,
    /// y up (negated image y) so that directions are ordinary math angles.
    pub y: f32,
    pub direction: f32,
    pub kind: MinutiaKind,
    /// How much this minutia counts in the area both impressions show
    /// ([`overlap_weight`]).
    pub weight: f32,
}

impl PreparedMinutia {
    /// Its place and direction as (x, y up, direction).
    fn reading(&self) -> [f32; 3] {
        [self.x, self.y, self.direction]
    }
}

/// Angles of edges in units of 2π / 65536: the difference of two is one
/// wrapping subtraction (the edge search's innermost loop).
pub const ANGLE_UNITS: f32 = 65536.0 / (2.0 * PI);
/// [`ANGLE_TOLERANCE`] in angle units.
pub const ANGLE_TOLERANCE_UNITS: u16 = (ANGLE_TOLERANCE * ANGLE_UNITS) as u16;

/// Edge from minutia `from` to `to` described by rotation-invariant values.
#[derive(Clone, Copy, Debug)]
pub struct Edge {
    pub length: f32,
    /// Angle of the edge seen from `from`'s direction, in angle units.
    pub from_angle: u16,
    /// Angle of the edge seen from `to`'s direction, in angle units.
    pub to_angle: u16,
    pub from: u16,
    pub to: u16,
}

impl Edge {
    /// `from_angle` in the low half, `to_angle` in the high one: the shape
    /// test takes both differences with one 16-bit-lane subtraction.
    #[inline]
    pub fn angles(&self) -> u32 {
        self.from_angle as u32 | (self.to_angle as u32) << 16
    }

    /// Hash bucket of this exact shape (see [`bucket`]).
    pub fn bucket(&self) -> usize {
        bucket(
            length_bin(self.length),
            units_angle_bin(self.from_angle),
            units_angle_bin(self.to_angle),
        )
    }
}

/// Absolute difference of two angles in angle units, in [0, 32768].
#[inline]
pub fn angle_units_distance(a: u16, b: u16) -> u16 {
    (a.wrapping_sub(b) as i16).unsigned_abs()
}

#[derive(Clone, Debug)]
pub struct PreparedTemplate {
    pub minutiae: Vec<PreparedMinutia>,
    /// Each edge once, from the lower index to the higher (a candidate's
    /// edges are walked in this form).
    pub canonical: Vec<Edge>,
    /// The canonical edges as the lookups a comparison makes of them
    /// ([`EdgeQuery`]): in edge order, or in bucket order after
    /// [`PreparedTemplate::order_queries_by_bucket`] (as [`PreparedTemplate::new`]
    /// leaves them). Scores do not depend on the order.
    pub queries: Vec<EdgeQuery>,
    /// A second, independent reading of each minutia (x, y up, direction),
    /// as the valley skeleton gives one (empty when no minutia has one):
    /// every combination of both ends' readings then makes an edge.
    pub second: Vec<Option<[f32; 3]>>,
    /// Which readings each canonical edge joins: bit 0 set for `from`'s
    /// second, bit 1 for `to`'s (empty when no minutia has a second).
    canonical_readings: Vec<u8>,
    /// Edges of both directions by shape hash bucket: entries
    /// `bucket_start[b]..bucket_start[b + 1]` of `bucket_edges`.
    pub bucket_start: Vec<u32>,
    pub bucket_edges: BucketEdges,
    /// The area the minutiae cover (see [`Coverage`]).
    pub coverage: Coverage,
}

/// One canonical edge as a comparison looks it up in the probe's hash:
/// its bucket and the range of lengths that pass the shape test, computed
/// once per template instead of once per comparison.
#[derive(Clone, Copy, Debug)]
pub struct EdgeQuery {
    pub bucket: u32,
    /// The canonical edge's index.
    pub edge: u32,
    /// What the shape test compares the bucket's probe edges with.
    pub(super) shape: ShapeQuery,
}

/// Every canonical edge's lookup, in edge order.
fn edge_queries(canonical: &[Edge]) -> Vec<EdgeQuery> {
    canonical
        .iter()
        .enumerate()
        .map(|(k, e)| EdgeQuery {
            bucket: e.bucket() as u32,
            edge: k as u32,
            // |p - e| <= length_tolerance(min(p, e)), solved for p.
            shape: ShapeQuery {
                shortest: (e.length - LENGTH_TOLERANCE_BASE) / (1.0 + LENGTH_TOLERANCE_SLOPE),
                longest: e.length + length_tolerance(e.length),
                angles: e.angles(),
            },
        })
        .collect()
}

/// Lanes of the edge-shape test: a bucket is scanned this many entries at
/// a time (see `shape`).
pub const LANES: usize = 8;

/// The probe's hashed edges as a structure of arrays, so that the shape
/// test reads each field of [`LANES`] entries at once; every array has
/// [`LANES`] entries of padding at the end, so that a chunk starting in the
/// last bucket never reads past it (lanes past the bucket are masked off).
#[derive(Clone, Debug, Default)]
pub struct BucketEdges {
    pub length: Vec<f32>,
    /// Both angles in one word, [`Edge::angles`].
    pub angles: Vec<u32>,
    /// (from, to) minutiae.
    pub ends: Vec<(u16, u16)>,
}

/// The angle in [0, 2π), bit for bit as `angle.rem_euclid(2π)` (then 2π
/// itself, which rounding can give, as 0). Within two turns the remainder
/// is the angle or one subtraction of 2π, which is exact (Sterbenz's
/// lemma), so the slow floating-point remainder is left for angles
/// further out; every edge of every prepared template wraps two angles.
pub fn wrap(angle: f32) -> f32 {
    const TAU: f32 = 2.0 * PI;
    let r = if angle.abs() < TAU {
        angle
    } else if angle.abs() < 2.0 * TAU {
        let r = angle - TAU.copysign(angle);
        // The remainder keeps the angle's sign when it is zero.
        if r == 0.0 {
            0.0f32.copysign(angle)
        } else {
            r
        }
    } else {
        angle % TAU
    };
    let a = if r < 0.0 { r + TAU } else { r };
    if a >= TAU {
        0.0
    } else {
        a
    }
}

/// Absolute difference of two angles, in [0, π]; both must lie in
/// (-2π, 2π), which holds for wrapped angles and their differences
/// (avoids a floating-point remainder in the innermost loop).
#[inline]
pub fn angle_distance(a: f32, b: f32) -> f32 {
    let mut d = (a - b).abs();
    if d >= 2.0 * PI {
        d -= 2.0 * PI;
    }
    if d > PI {
        2.0 * PI - d
    } else {
        d
    }
}

pub fn length_tolerance(length: f32) -> f32 {
    LENGTH_TOLERANCE_BASE + LENGTH_TOLERANCE_SLOPE * length
}

fn length_bin(length: f32) -> usize {
    ((length / LENGTH_BIN) as usize).min(LENGTH_BINS - 1)
}

fn angle_bin(angle: f32) -> usize {
    ((wrap(angle) / (2.0 * PI) * ANGLE_BINS as f32) as usize).min(ANGLE_BINS - 1)
}

/// [`angle_bin`] of an angle in angle units, in integers (the same bin
/// for every one of the 65,536 values, which a test checks).
#[inline]
fn units_angle_bin(units: u16) -> usize {
    (units as usize * ANGLE_BINS) >> 16
}

/// Every angle bin that [angle - tolerance, angle + tolerance] touches
/// (three when a bin is half the window; room for a fourth that rounding at
/// a bin edge can add), without allocating: preparing a probe is part of
/// every 1:N search.
fn angle_bins_within(angle: f32) -> ([usize; 4], usize) {
    const _: () = assert!(ANGLE_TOLERANCE <= PI / ANGLE_BINS as f32 * 2.0);
    let first = angle_bin(angle - ANGLE_TOLERANCE);
    let last = angle_bin(angle + ANGLE_TOLERANCE);
    let mut bins = [first; 4];
    let mut n = 1;
    let mut b = first;
    while b != last && n < 4 {
        b = (b + 1) % ANGLE_BINS;
        bins[n] = b;
        n += 1;
    }
    (bins, n)
}

/// The hash bucket of a length bin and two angle bins.
fn bucket(length_bin: usize, from_bin: usize, to_bin: usize) -> usize {
    (length_bin * ANGLE_BINS + from_bin) * ANGLE_BINS + to_bin
}

/// A minutia's weight in the overlap, from its quality: it stands for the
/// chance that another impression of the finger shows it too. Measured on
/// FVC2002 B (genuine pairs placed by chains of confident comparisons, the
/// `repeatability` example) when it was set: of the minutiae in the common
/// area, 28 % of quality 20-29 had a counterpart, 54 % of 40-49, 74 % of
/// 60-69, 87 % of 90-99, close to quality / 70 relative to the 75 %
/// typical. With ridge clarity in the quality the curve is flatter (48 /
/// 66 / 77 / 87 %), but reshaping the weight (quality / 62-80, floors
/// 0.2-0.4, caps 1.0-1.2) left the pooled calibration within noise, so it
/// stays. An impression's doubtful minutiae, which the other impression
/// rarely repeats, lower the share a pairing explains less than its clear
/// ones. Quality 0 means "not reported" (ISO/ANSI): weight 1.
pub fn overlap_weight(quality: u8) -> f32 {
    if quality == 0 {
        return 1.0;
    }
    (quality as f32 / 70.0).clamp(0.3, 1.1)
}

impl PreparedTemplate {
    /// Everything either side of a comparison needs: the candidate half
    /// (see [`PreparedTemplate::candidate`]) plus the probe's edge hash.
    pub fn new(template: &Template) -> Self {
        Self::with_second_readings(template, &[])
    }

    /// Only what a template needs as the candidate of one comparison: its
    /// minutiae, canonical edges with their buckets, and its coverage kept
    /// as the points (`Coverage::points`), without the probe-side
    /// edge hash and coverage bitmap, which are most of
    /// [`PreparedTemplate::new`]'s cost. A 1:N search prepares every
    /// shortlisted gallery finger for one comparison as a candidate. Scores
    /// are identical to the full preparation's. As a probe
    /// ([`Matcher::from_prepared`]) it gets the rest built first.
    ///
    /// [`Matcher::from_prepared`]: super::Matcher::from_prepared
    pub fn candidate(template: &Template) -> Self {
        Self::candidate_with_second_readings(template, &[])
    }

    /// As [`PreparedTemplate::new`], each minutia with the second reading
    /// at its index in `second` (none past its end).
    pub fn with_second_readings(template: &Template, second: &[Option<crate::Minutia>]) -> Self {
        let mut prepared = Self::candidate_with_second_readings(template, second);
        prepared.order_queries_by_bucket();
        prepared.build_probe_hash();
        prepared
    }

    /// Puts the candidate's lookups ([`EdgeQuery`]) in the order of their
    /// hash buckets, so that a comparison reads the probe's hash front to
    /// back instead of jumping about it (FVC2002 B, fast profile: 3-10 %
    /// more comparisons per second). The matches are laid out in edge
    /// order whatever the order of lookups, so scores do not change. Done
    /// by the full preparation, for a template compared many times; a 1:N
    /// candidate prepared for one comparison
    /// ([`PreparedTemplate::candidate`]) would spend on the sort about what
    /// it saves.
    pub fn order_queries_by_bucket(&mut self) {
        self.queries.sort_by_key(|q| q.bucket);
    }

    pub fn candidate_with_second_readings(
        template: &Template,
        second: &[Option<crate::Minutia>],
    ) -> Self {
        let minutiae: Vec<PreparedMinutia> = template
            .minutiae
            .iter()
            .take(u16::MAX as usize)
            .map(|m| PreparedMinutia {
                x: m.x as f32,
                y: -(m.y as f32),
                direction: wrap(m.direction),
                kind: m.kind,
                weight: overlap_weight(m.quality),
            })
            .collect();
        let second: Vec<Option<[f32; 3]>> = if second.iter().any(Option::is_some) {
            (0..minutiae.len())
                .map(|i| {
                    second
                        .get(i)
                        .copied()
                        .flatten()
                        .map(|s| [s.x as f32, -(s.y as f32), wrap(s.direction)])
                })
                .collect()
        } else {
            Vec::new()
        };
        // Every combination of both ends' readings is an edge (one, the
        // first readings', without second readings).
        let mut canonical: Vec<Edge> = Vec::new();
        let mut canonical_readings = Vec::new();
        let readings = |i: u16| {
            std::iter::once(minutiae[i as usize].reading())
                .chain(second.get(i as usize).copied().flatten())
        };
        for (i, j) in neighbour_links(&minutiae) {
            for (wi, ri) in readings(i).enumerate() {
                for (wj, rj) in readings(j).enumerate() {
                    canonical.push(edge_of(ri, rj, i, j));
                    if !second.is_empty() {
                        canonical_readings.push(wi as u8 | (wj as u8) << 1);
                    }
                }
            }
        }
        PreparedTemplate {
            queries: edge_queries(&canonical),
            canonical,
            canonical_readings,
            second,
            coverage: Coverage::points(minutiae.iter().map(|m| (m.x, m.y))),
            bucket_start: Vec::new(),
            bucket_edges: BucketEdges::default(),
            minutiae,
        }
    }

    /// Whether the probe-side edge hash and coverage bitmap are built
    /// (always, except after [`PreparedTemplate::candidate`]).
    pub fn has_probe_hash(&self) -> bool {
        !self.bucket_start.is_empty()
    }

    /// Builds the probe-side edge hash from the canonical edges, and the
    /// coverage bitmap (a no-op when they are there already).
    pub fn build_probe_hash(&mut self) {
        if self.has_probe_hash() {
            return;
        }
        self.coverage = Coverage::new(self.minutiae.iter().map(|m| (m.x, m.y)));
        // Both directions are stored: a comparison walks the candidate's
        // canonical (from < to) edges and finds the probe's edge of either
        // direction in the hash, so each correspondence is found once.
        let mut edges = Vec::with_capacity(self.canonical.len() * 2);
        let reading = |i: u16, second: bool| match self.second.get(i as usize) {
            Some(&Some(s)) if second => s,
            _ => self.minutiae[i as usize].reading(),
        };
        for (k, e) in self.canonical.iter().enumerate() {
            let which = self.canonical_readings.get(k).copied().unwrap_or(0);
            edges.push(*e);
            edges.push(edge_of(
                reading(e.to, which & 2 != 0),
                reading(e.from, which & 1 != 0),
                e.to,
                e.from,
            ));
        }
        // Each edge goes into every bucket its tolerance window touches, so
        // a lookup needs only the other edge's own bucket.
        let mut entries: Vec<(u32, u32)> = Vec::new();
        for (k, e) in edges.iter().enumerate() {
            let tol = length_tolerance(e.length);
            let (l0, l1) = (
                length_bin((e.length - tol).max(0.0)),
                length_bin(e.length + tol),
            );
            let (fa, nf) = angle_bins_within(e.from_angle as f32 / ANGLE_UNITS);
            let (ta, nt) = angle_bins_within(e.to_angle as f32 / ANGLE_UNITS);
            for l in l0..=l1 {
                for &f in &fa[..nf] {
                    for &t in &ta[..nt] {
                        entries.push((bucket(l, f, t) as u32, k as u32));
                    }
                }
            }
        }
        let mut bucket_start = vec![0u32; BUCKETS + 1];
        for &(b, _) in &entries {
            bucket_start[b as usize + 1] += 1;
        }
        for b in 0..BUCKETS {
            bucket_start[b + 1] += bucket_start[b];
        }
        // Entries are in edge order, so each bucket is filled in edge order
        // (the order a comparison finds its matches in). The padding past
        // the last bucket stays zero.
        let size = entries.len() + LANES;
        let mut bucket_edges = BucketEdges {
            length: vec![0.0; size],
            angles: vec![0; size],
            ends: vec![(0, 0); size],
        };
        let mut fill = bucket_start.clone();
        for &(b, k) in &entries {
            let (i, e) = (fill[b as usize] as usize, &edges[k as usize]);
            bucket_edges.length[i] = e.length;
            bucket_edges.angles[i] = e.angles();
            bucket_edges.ends[i] = (e.from, e.to);
            fill[b as usize] += 1;
        }
        self.bucket_start = bucket_start;
        self.bucket_edges = bucket_edges;
    }
}

/// `units.round() as u32 as u16` for the non-negative values edges have,
/// without the library call `round` is on baseline x86-64: the fraction
/// is exact below 2^23.
#[inline]
fn round_units(units: f32) -> u16 {
    debug_assert!((0.0..8_388_608.0).contains(&units));
    let whole = units as u32;
    (whole + (units - whole as f32 >= 0.5) as u32) as u16
}

/// The edge from reading `a` (x, y, direction) of minutia `f` to reading
/// `b` of minutia `t`.
fn edge_of(a: [f32; 3], b: [f32; 3], f: u16, t: u16) -> Edge {
    let quantise = |a: f32| round_units(wrap(a) * ANGLE_UNITS);
    let line = (b[1] - a[1]).atan2(b[0] - a[0]);
    Edge {
        from: f,
        to: t,
        length: ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt(),
        from_angle: quantise(line - a[2]),
        to_angle: quantise(line - b[2]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_is_the_euclidean_remainder_bit_for_bit() {
        let reference = |a: f32| {
            let r = a.rem_euclid(2.0 * PI);
            if r >= 2.0 * PI {
                0.0
            } else {
                r
            }
        };
        let tau = 2.0 * PI;
        let mut values = vec![
            0.0,
            -0.0,
            tau,
            -tau,
            2.0 * tau,
            -2.0 * tau,
            PI,
            -PI,
            3.0 * PI,
        ];
        for base in [0.0, PI, tau, -tau, 2.0 * tau, -2.0 * tau, 3.0 * tau] {
            // The floats around each boundary, and a sweep between.
            let mut x: f32 = base;
            for _ in 0..64 {
                x = x.next_up();
                values.push(x);
            }
            x = base;
            for _ in 0..64 {
                x = x.next_down();
                values.push(x);
            }
        }
        values.extend((-400_000..400_000).map(|k| k as f32 * 0.000_131));
        values.extend([f32::NAN, f32::INFINITY, 1e9, -1e9]);
        for a in values {
            assert_eq!(wrap(a).to_bits(), reference(a).to_bits(), "{a:e}");
        }
    }

    #[test]
    fn edge_angles_round_as_the_library_does() {
        let mut x = 0.0f32;
        while x < 65_537.0 {
            assert_eq!(round_units(x), x.round() as u32 as u16, "{x}");
            x += 0.249_987;
        }
        // Every float next to the first half-integers.
        for half in 0..64 {
            let mut x = half as f32 + 0.5;
            for _ in 0..32 {
                x = x.next_down();
            }
            for _ in 0..64 {
                assert_eq!(round_units(x), x.round() as u32 as u16, "{x}");
                x = x.next_up();
            }
        }
        for x in [
            0.5f32,
            1.5,
            2.5,
            65_535.5,
            0.5f32.next_down(),
            65_535.5f32.next_down(),
        ] {
            assert_eq!(round_units(x), x.round() as u32 as u16, "{x}");
        }
    }

    #[test]
    fn angle_bins_in_units_are_the_bins_of_the_angles() {
        for units in 0..=u16::MAX {
            assert_eq!(
                units_angle_bin(units),
                angle_bin(units as f32 / ANGLE_UNITS),
                "{units}"
            );
        }
    }
}
