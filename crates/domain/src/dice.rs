//! Keyed randomness. Every random decision is a pure function of the run's
//! seed and what is being decided (booking, purpose), never of how many draws
//! came before: a run killed and resumed draws exactly the same numbers.

/// SplitMix64 finaliser: a fast, well-mixed 64-bit hash step.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dice {
    seed: u64,
}

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice { seed: mix(seed) }
    }
    /// 64 random bits for (`purpose`, `key`, `index`).
    pub fn bits(&self, purpose: &str, key: u64, index: u64) -> u64 {
        let mut h = self.seed;
        for b in purpose.bytes() {
            h = mix(h ^ b as u64);
        }
        mix(mix(h ^ key) ^ index)
    }
    /// Uniform in [0, 1).
    pub fn unit(&self, purpose: &str, key: u64, index: u64) -> f64 {
        (self.bits(purpose, key, index) >> 11) as f64 / (1u64 << 53) as f64
    }
    /// True with probability `p`.
    pub fn chance(&self, purpose: &str, key: u64, p: f64) -> bool {
        self.unit(purpose, key, 0) < p
    }
    /// Uniform integer in [0, n); n must be > 0.
    pub fn below(&self, purpose: &str, key: u64, index: u64, n: u64) -> u64 {
        ((self.bits(purpose, key, index) as u128 * n as u128) >> 64) as u64
    }
    /// Exponential with the given mean.
    pub fn exponential(&self, purpose: &str, key: u64, index: u64, mean: f64) -> f64 {
        -mean * (1.0 - self.unit(purpose, key, index)).ln()
    }
    /// Index drawn from non-negative weights (at least one positive).
    pub fn weighted(&self, purpose: &str, key: u64, index: u64, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit(purpose, key, index) * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_draw_other_key_other_draw() {
        let d = Dice::new(7);
        assert_eq!(d.unit("x", 1, 0), d.unit("x", 1, 0));
        assert_ne!(d.unit("x", 1, 0), d.unit("x", 2, 0));
        assert_ne!(d.unit("x", 1, 0), d.unit("y", 1, 0));
        assert_ne!(Dice::new(8).unit("x", 1, 0), d.unit("x", 1, 0));
    }

    #[test]
    fn chance_frequency_is_close_to_p() {
        let d = Dice::new(1);
        let hits = (0..100_000).filter(|k| d.chance("p", *k, 0.3)).count();
        assert!((29_000..31_000).contains(&hits), "{hits}");
    }

    #[test]
    fn weighted_respects_weights() {
        let d = Dice::new(3);
        let mut counts = [0usize; 3];
        for k in 0..30_000 {
            counts[d.weighted("w", k, 0, &[1.0, 0.0, 2.0])] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((9_000..11_000).contains(&counts[0]), "{counts:?}");
    }
}
