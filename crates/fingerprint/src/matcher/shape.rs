//! The edge-shape test of [`LANES`] hashed probe edges at once: the
//! innermost loop of a comparison (one candidate edge against every probe
//! edge of its hash bucket). With SSE2 (every x86-64) the eight tests are
//! about twenty vector instructions; elsewhere a plain loop gives the same bits.

use super::prepared::{angle_units_distance, BucketEdges, ANGLE_TOLERANCE_UNITS, LANES};

/// For each mask of [`LANES`] bits, the lanes set, in order (the rest zero),
/// and how many there are: a chunk's passes are listed without a branch.
pub const PASSED_LANES: [[u8; LANES]; 1 << LANES] = {
    let mut table = [[0; LANES]; 1 << LANES];
    let mut mask = 0;
    while mask < 1 << LANES {
        let (mut lane, mut n) = (0, 0);
        while lane < LANES {
            if mask >> lane & 1 == 1 {
                table[mask][n] = lane as u8;
                n += 1;
            }
            lane += 1;
        }
        mask += 1;
    }
    table
};
pub const PASSED_COUNT: [u8; 1 << LANES] = {
    let mut table = [0; 1 << LANES];
    let mut mask = 0;
    while mask < 1 << LANES {
        table[mask] = (mask as u32).count_ones() as u8;
        mask += 1;
    }
    table
};

/// A candidate edge's shape, as the test needs it.
#[derive(Clone, Copy, Debug)]
pub struct ShapeQuery {
    /// Probe edge lengths in [shortest, longest] pass.
    pub shortest: f32,
    pub longest: f32,
    /// Both angles, as [`super::prepared::Edge::angles`].
    pub angles: u32,
}

/// Bit `l` is set when hashed edge `chunk + l` has the query's shape (within
/// every tolerance). Entries past a bucket's end are tested too: the caller
/// masks them off.
#[inline]
pub fn shape_mask(edges: &BucketEdges, chunk: usize, q: &ShapeQuery) -> u32 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: the build enables SSE2 (every x86-64 target does), the
        // only requirement of this safe function's target feature.
        unsafe { shape_mask_sse2(edges, chunk, q) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        shape_mask_scalar(edges, chunk, q)
    }
}

#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn shape_mask_scalar(edges: &BucketEdges, chunk: usize, q: &ShapeQuery) -> u32 {
    let length: &[f32; LANES] = edges.length[chunk..chunk + LANES].try_into().unwrap();
    let angles: &[u32; LANES] = edges.angles[chunk..chunk + LANES].try_into().unwrap();
    let mut mask = 0;
    for l in 0..LANES {
        let df = angle_units_distance(angles[l] as u16, q.angles as u16);
        let dt = angle_units_distance((angles[l] >> 16) as u16, (q.angles >> 16) as u16);
        let ok = (length[l] <= q.longest)
            & (length[l] >= q.shortest)
            & (df <= ANGLE_TOLERANCE_UNITS)
            & (dt <= ANGLE_TOLERANCE_UNITS);
        mask |= (ok as u32) << l;
    }
    mask
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
#[inline]
fn shape_mask_sse2(edges: &BucketEdges, chunk: usize, q: &ShapeQuery) -> u32 {
    use std::arch::x86_64::*;
    const _: () = assert!(LANES == 8 && 2 * (ANGLE_TOLERANCE_UNITS as u32) < 1 << 15);
    let length: &[f32; LANES] = edges.length[chunk..chunk + LANES].try_into().unwrap();
    let angles: &[u32; LANES] = edges.angles[chunk..chunk + LANES].try_into().unwrap();
    let (shortest, longest) = (_mm_set1_ps(q.shortest), _mm_set1_ps(q.longest));
    let query = _mm_set1_epi32(q.angles as i32);
    let tolerance = _mm_set1_epi16(ANGLE_TOLERANCE_UNITS as i16);
    let span = _mm_set1_epi16(2 * ANGLE_TOLERANCE_UNITS as i16);
    // Four edges: all-ones lanes where they pass.
    let four = |l: &[f32], a: &[u32]| {
        let len = _mm_set_ps(l[3], l[2], l[1], l[0]);
        let len_ok = _mm_and_ps(_mm_cmple_ps(len, longest), _mm_cmpge_ps(len, shortest));
        let a = _mm_set_epi32(a[3] as i32, a[2] as i32, a[1] as i32, a[0] as i32);
        // A wrapped difference d is within the tolerance t when d + t,
        // taken unsigned, is at most 2t; the saturating subtraction leaves
        // zero exactly then, and a 32-bit lane is zero when both angles pass.
        let shifted = _mm_add_epi16(_mm_sub_epi16(a, query), tolerance);
        let angles_ok = _mm_cmpeq_epi32(_mm_subs_epu16(shifted, span), _mm_setzero_si128());
        _mm_and_si128(_mm_castps_si128(len_ok), angles_ok)
    };
    let (low, high) = (
        four(&length[..4], &angles[..4]),
        four(&length[4..], &angles[4..]),
    );
    let bytes = _mm_packs_epi16(_mm_packs_epi32(low, high), _mm_setzero_si128());
    _mm_movemask_epi8(bytes) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_and_scalar_tests_agree() {
        let mut rng = crate::test_rng::XorShift(0x9e37_79b9_7f4a_7c15);
        let mut next = || rng.next_u64();
        let t = ANGLE_TOLERANCE_UNITS as u32;
        for round in 0..20_000 {
            let q = ShapeQuery {
                shortest: 10.0 + (next() % 2000) as f32 / 10.0,
                longest: 20.0 + (next() % 2000) as f32 / 10.0,
                angles: next() as u32,
            };
            let mut edges = BucketEdges::default();
            for _ in 0..LANES {
                let near = |a: u32, r: u64| a.wrapping_add(r as u32 % (4 * t)).wrapping_sub(2 * t);
                // Angles near the query's half the time, and near the
                // limits of the tolerance, so both outcomes are common.
                let (f, to) = if round % 2 == 0 {
                    (
                        near(q.angles & 0xffff, next()),
                        near(q.angles >> 16, next()),
                    )
                } else {
                    (next() as u32, next() as u32)
                };
                edges.length.push(if next() % 4 == 0 {
                    q.shortest
                } else {
                    5.0 + (next() % 2500) as f32 / 10.0
                });
                edges.angles.push((f & 0xffff) | (to & 0xffff) << 16);
            }
            assert_eq!(
                shape_mask(&edges, 0, &q),
                shape_mask_scalar(&edges, 0, &q),
                "{q:?} {edges:?}"
            );
        }
    }
}
