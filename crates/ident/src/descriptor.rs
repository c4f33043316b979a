//! The first-stage filter: a fixed-length descriptor per finger, compared
//! over the whole gallery in a few dozen nanoseconds.
//!
//! A finger is summarised by the histogram of its minutia-pair shapes: for
//! each minutia and each of its nearest neighbours, the distance between
//! them, the angle of the pair's line seen from the minutia's direction,
//! and the neighbour's direction relative to it. These three values do not
//! change when the finger is moved or turned on the sensor, and they are
//! binned softly (each pair spreads over the neighbouring bins) so that
//! skin distortion moves mass between bins instead of losing it. Counts go
//! through a square root (so that a few frequent shapes do not dominate) and
//! are stored as bytes. Every finger shares much of its histogram with every
//! other (ridges flow smoothly, so most neighbours run parallel): two
//! fingers compare by the cosine of their vectors minus the typical profile,
//! which separates mates from strangers about twice as well (d' 1.7 against
//! 0.7 on synthetic impressions). The hot loop stays a byte dot product:
//! `(p-m)·(d-m) = p·d - p·m - d·m + m·m`, the last three precomputed.

use std::f32::consts::PI;
use std::sync::OnceLock;

use scomm_fingerprint::Template;

const DISTANCE_BINS: usize = 8;
const ANGLE_BINS: usize = 8;
/// Four, not eight: half the bytes per finger (256) for the same share of
/// mates kept once the triplet hits vote on rotation (measured on synthetic
/// two-index probes at 10,000 subjects), which pays for the fourth triplet
/// neighbour within 1.5 KiB per finger.
const DIRECTION_BINS: usize = 4;
/// Bytes per descriptor.
pub const DIM: usize = DISTANCE_BINS * ANGLE_BINS * DIRECTION_BINS;
const NEIGHBOURS: usize = 8;
const MIN_DISTANCE: f32 = 10.0;
const MAX_DISTANCE: f32 = 180.0;

/// Scale of the stored vector's L2 norm (before clamping to a byte).
const SCALE: f32 = 600.0;

/// Compute a descriptor into `out` (length [`DIM`]).
pub fn describe(template: &Template, out: &mut [u8]) {
    debug_assert_eq!(out.len(), DIM);
    let mut hist = [0f32; DIM];
    let pts: Vec<(f32, f32, f32)> = template
        .minutiae
        .iter()
        .map(|m| (m.x as f32, -(m.y as f32), m.direction))
        .collect();
    let mut near: Vec<(f32, usize)> = Vec::with_capacity(pts.len());
    let step_d = (MAX_DISTANCE - MIN_DISTANCE) / DISTANCE_BINS as f32;
    let step_a = 2.0 * PI / ANGLE_BINS as f32;
    let step_b = 2.0 * PI / DIRECTION_BINS as f32;
    for (i, &(x, y, dir)) in pts.iter().enumerate() {
        near.clear();
        for (j, &(x2, y2, _)) in pts.iter().enumerate() {
            let d2 = (x2 - x).powi(2) + (y2 - y).powi(2);
            if j != i && (MIN_DISTANCE * MIN_DISTANCE..=MAX_DISTANCE * MAX_DISTANCE).contains(&d2) {
                near.push((d2, j));
            }
        }
        let k = NEIGHBOURS.min(near.len());
        if k < near.len() {
            near.select_nth_unstable_by(k, |a, b| a.0.total_cmp(&b.0));
        }
        for &(d2, j) in &near[..k] {
            let (x2, y2, dir2) = pts[j];
            let d = d2.sqrt();
            let alpha = ((y2 - y).atan2(x2 - x) - dir).rem_euclid(2.0 * PI);
            let beta = (dir2 - dir).rem_euclid(2.0 * PI);
            // Soft binning: linear in distance (clamped), circular in angles.
            let fd = ((d - MIN_DISTANCE) / step_d - 0.5).clamp(0.0, (DISTANCE_BINS - 1) as f32);
            let fa = alpha / step_a - 0.5;
            let fb = beta / step_b - 0.5;
            let (d0, wd) = (fd.floor() as usize, fd - fd.floor());
            let (a0, wa) = (fa.floor(), fa - fa.floor());
            let (b0, wb) = (fb.floor(), fb - fb.floor());
            for (dd, w1) in [(d0, 1.0 - wd), ((d0 + 1).min(DISTANCE_BINS - 1), wd)] {
                for (aa, w2) in [(a0, 1.0 - wa), (a0 + 1.0, wa)] {
                    let ai = (aa as i32).rem_euclid(ANGLE_BINS as i32) as usize;
                    for (bb, w3) in [(b0, 1.0 - wb), (b0 + 1.0, wb)] {
                        let bi = (bb as i32).rem_euclid(DIRECTION_BINS as i32) as usize;
                        hist[(dd * ANGLE_BINS + ai) * DIRECTION_BINS + bi] += w1 * w2 * w3;
                    }
                }
            }
        }
    }
    let norm = hist.iter().map(|v| v.max(0.0)).sum::<f32>().sqrt();
    let scale = if norm > 0.0 { SCALE / norm } else { 0.0 };
    for (o, &v) in out.iter_mut().zip(hist.iter()) {
        *o = (v.max(0.0).sqrt() * scale).round().min(255.0) as u8;
    }
}

/// The typical descriptor: the mean over 2,000 synthetic impressions
/// (deterministic; computed on first use).
pub struct Profile {
    mean: Vec<f32>,
    mean_sq: f32,
}

pub fn profile() -> &'static Profile {
    static PROFILE: OnceLock<Profile> = OnceLock::new();
    PROFILE.get_or_init(|| {
        use rayon::prelude::*;
        const N: u64 = 2_000;
        let sums = (0..N)
            .into_par_iter()
            .map(|s| {
                let t = crate::synthetic::MasterFinger::generate(crate::rng::mix(s, 0x70726f66))
                    .impression(s);
                let mut d = vec![0u8; DIM];
                describe(&t, &mut d);
                d.iter().map(|&v| v as f64).collect::<Vec<f64>>()
            })
            .reduce(
                || vec![0.0; DIM],
                |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect(),
            );
        let mean: Vec<f32> = sums.iter().map(|s| (s / N as f64) as f32).collect();
        let mean_sq = mean.iter().map(|m| m * m).sum();
        Profile { mean, mean_sq }
    })
}

/// What a descriptor needs beside its bytes for a centred cosine.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Centred {
    /// `d · m`
    pub dot_mean: f32,
    /// `|d - m|`
    pub norm: f32,
}

impl Profile {
    pub fn centre(&self, d: &[u8]) -> Centred {
        let dot_mean: f32 = d.iter().zip(&self.mean).map(|(&v, m)| v as f32 * m).sum();
        let self_dot = dot(d, d) as f32;
        Centred {
            dot_mean,
            norm: (self_dot - 2.0 * dot_mean + self.mean_sq).max(0.0).sqrt(),
        }
    }

    /// Cosine of `a - m` and `b - m` (0 when either is the profile itself).
    #[inline]
    pub fn similarity(&self, a: &[u8], ca: Centred, b: &[u8], cb: Centred) -> f32 {
        let n = ca.norm * cb.norm;
        if n > 0.0 {
            (dot(a, b) as f32 - ca.dot_mean - cb.dot_mean + self.mean_sq) / n
        } else {
            0.0
        }
    }
}

/// Dot product of two descriptors (the hot loop of the filter: integer
/// arithmetic in fixed chunks so that the compiler vectorises it).
#[inline]
pub fn dot(a: &[u8], b: &[u8]) -> u32 {
    let mut total = 0u32;
    for (ca, cb) in a.chunks_exact(32).zip(b.chunks_exact(32)) {
        let mut s = 0u32;
        for i in 0..32 {
            s += ca[i] as u32 * cb[i] as u32;
        }
        total += s;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::MasterFinger;

    fn desc(t: &Template) -> (Vec<u8>, Centred) {
        let mut d = vec![0u8; DIM];
        describe(t, &mut d);
        let c = profile().centre(&d);
        (d, c)
    }

    fn cosine(a: &[u8], ca: Centred, b: &[u8], cb: Centred) -> f32 {
        profile().similarity(a, ca, b, cb)
    }

    #[test]
    fn mates_are_more_similar_than_strangers() {
        let (mut genuine, mut impostor) = (0.0, 0.0);
        let n = 60;
        for s in 0..n {
            let m = MasterFinger::generate(s);
            let (a, na) = desc(&m.impression(1));
            let (b, nb) = desc(&m.impression(2));
            let (c, nc) = desc(&MasterFinger::generate(s + 1000).impression(3));
            genuine += cosine(&a, na, &b, nb);
            impostor += cosine(&a, na, &c, nc);
        }
        let (g, i) = (genuine / n as f32, impostor / n as f32);
        assert!(g > i + 0.15, "genuine {g} impostor {i}");
    }

    #[test]
    fn invariant_to_rotation_and_translation() {
        let t = MasterFinger::generate(3).impression(4);
        let mut turned = t.clone();
        let (c, s) = (0.5f32.cos(), 0.5f32.sin());
        for m in &mut turned.minutiae {
            let (x, y) = (m.x as f32 - 200.0, m.y as f32 - 200.0);
            m.x = (600.0 + x * c + y * s) as u16;
            m.y = (600.0 - x * s + y * c) as u16;
            m.direction = (m.direction + 0.5).rem_euclid(2.0 * PI);
        }
        let (a, na) = desc(&t);
        let (b, nb) = desc(&turned);
        assert!(cosine(&a, na, &b, nb) > 0.9);
        assert!(desc(&Template::default()).0.iter().all(|&v| v == 0));
    }
}
