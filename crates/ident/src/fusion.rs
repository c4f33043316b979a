//! Turning matcher scores into evidence, and evidence into a decision.
//!
//! Each finger's score becomes a log-likelihood ratio
//! `LLR(s) = ln g(s) - ln i(s)`, with `g` the density of genuine scores and
//! `i` that of impostor scores. Fingers of one person are captured
//! independently, so the LLRs of a probe's fingers add up to the LLR of the
//! whole probe: the sum is the principled fusion (a max would ignore every
//! finger but one, a mean would let a missing finger count against).
//!
//! - Impostor side: the matcher's own calibration table
//!   (`scomm_fingerprint::matcher::calibration::THRESHOLDS`, FMR 10 % to
//!   0.003 %), below 10 % the impostor quantiles measured with it on the
//!   same 49,920 FVC2002 B impostor comparisons (every cross-finger pair of
//!   the 320 images); between points `ln FMR` is linear in the score (an
//!   exponential tail, which is what the table shows), and past the last
//!   point the slope fitted over the whole table below FMR 1 % goes on.
//! - Genuine side: the quantiles of the 1,120 FVC2002 B genuine scores
//!   (every pair of impressions of a finger, DB1-DB4 pooled), linear
//!   between quantiles, with an exponential tail past the 99th.
//!
//! Both tables are printed by the matcher's calibration run
//! (`cargo run --release -p scomm-fingerprint --example calibrate`), which
//! last measured them on 2026-11-29; `scripts/update_calibration.py` writes
//! its output into this file and the matcher's calibration table.
//!
//! A search first refers each score to the template size the tables
//! describe (`size_referred_score`): chance scores grow with the smaller
//! template's minutiae count, about as its square root, so the same score
//! is more evidence between small templates (a poor capture's few
//! minutiae) and less between large ones. The tables stay pooled; the
//! referral only says which pooled score a comparison's score is worth.
//!
//! A finger's evidence also counts what the score does not: whether the
//! best pairing's minutiae agree in kind (ending or bifurcation), each pair
//! adding its own LLR ([`kind_llr`]). Genuine pairings agree more often
//! than chance ones, the lucky strangers a million-finger search meets
//! included.
//!
//! The LLR is made non-decreasing in the score (isotonic regression: a
//! higher score can never be less evidence), floored at the evidence of a
//! failed comparison and capped where extrapolation would claim more than
//! these 10^4-10^5 comparisons can support.
//!
//! Both tables belong to the matcher and extractor that measured them:
//! re-measure them together with the calibration
//! (`tables_belong_to_the_calibrated_matcher` fails when they drift apart).

use std::sync::OnceLock;

use scomm_fingerprint::matcher::calibration::THRESHOLDS;

/// Genuine score quantiles (share of genuine scores below, score).
const GENUINE: [(f64, f64); 20] = [
    (0.0, 0.0),
    (0.005, 2.04),
    (0.01, 3.94),
    (0.02, 6.26),
    (0.03, 9.98),
    (0.05, 13.51),
    (0.075, 16.62),
    (0.1, 19.45),
    (0.15, 23.63),
    (0.2, 28.27),
    (0.3, 40.12),
    (0.4, 50.62),
    (0.5, 61.03),
    (0.6, 74.29),
    (0.7, 87.77),
    (0.8, 106.16),
    (0.9, 136.40),
    (0.95, 166.05),
    (0.975, 193.86),
    (0.99, 212.25),
];

/// Impostor quantiles below the calibration table (share of impostor
/// scores at or above, score).
const IMPOSTOR_LOW: [(f64, f64); 6] = [
    (1.0, 0.0),
    (0.9, 0.65),
    (0.7, 1.08),
    (0.5, 1.54),
    (0.3, 2.09),
    (0.2, 2.49),
];

/// A finger's LLR never goes below this: a failed finger (a score under
/// the 10 % FMR threshold) is bounded evidence, not a veto. Set when about
/// 2.5 % of genuine comparisons failed against 90 % of impostors
/// (ln(0.025 / 0.9)). With the current matcher 0.8 % fail (calibration
/// table; the same reckoning gives -4.7), and the tables' own LLR at the
/// lowest scores is about -3.4 (`mate_misses` example, before the minimum
/// minutia quality), just above it.
pub const LLR_FLOOR: f64 = -3.6;
/// A probe finger with fewer minutiae than this is too poor to compare:
/// it is set aside (not searched, not fused, not counted in the
/// threshold's fingers), as an AFIS flags an unusable finger. An enrolled
/// finger that poor is not compared either (the candidate is fused and
/// thresholded on its other fingers): the synthetic measurement below is
/// by the poorer template of a pair, whichever side it is on. Measured
/// (`cargo run --release -p scomm-ident --example probe_floor`, BENCHMARKS.md
/// issue 4): below 8 minutiae a genuine comparison's mean LLR under this
/// model is negative (FVC2002 B templates cut to their k minutiae nearest
/// the centre: -1.15 at 7, +0.20 at 8; 100,000 synthetic genuine
/// index-finger pairs by the poorer template: -1.72 at 6-7, +0.70 at 8-9),
/// i.e. a mate's finger
/// that poor is on average evidence *against* its own mate: its genuine
/// scores have collapsed onto the impostor ones (at 4 minutiae all 1,120
/// FVC genuine pairs fail), while the model, pooled over usable prints,
/// still reads every failure as the strong evidence (-3.4) a failed
/// comparison of two usable prints is. Mean minutia quality is no such
/// cut: FVC2002 pairs whose poorer template has a mean quality of 20-29
/// still give a genuine mean LLR of +5.8.
pub const MIN_PROBE_MINUTIAE: usize = 8;

/// Why a probe finger was set aside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// Fewer minutiae than [`MIN_PROBE_MINUTIAE`].
    TooFewMinutiae { found: usize, needed: usize },
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unusable::TooFewMinutiae { found, needed } => write!(
                f,
                "{found} minutiae, fewer than the {needed} a comparison needs to carry evidence"
            ),
        }
    }
}

/// Whether a template of `minutiae` minutiae, probe or enrolled, is too
/// poor for a comparison to carry evidence ([`MIN_PROBE_MINUTIAE`]).
pub fn too_few_to_compare(minutiae: usize) -> bool {
    minutiae < MIN_PROBE_MINUTIAE
}

/// Whether a probe finger carries evidence, and if not why.
pub fn probe_unusable(template: &scomm_fingerprint::Template) -> Option<Unusable> {
    let found = template.minutiae.len();
    too_few_to_compare(found).then_some(Unusable::TooFewMinutiae {
        found,
        needed: MIN_PROBE_MINUTIAE,
    })
}

/// The template size the score tables describe: about the median, over
/// FVC2002 B's comparisons, of the smaller template's minutiae count (its
/// quintiles are 22 / 26 / 32 / 39).
pub const REFERENCE_MINUTIAE: f32 = 28.0;
/// How chance scores grow with the smaller template's minutiae count `n`:
/// about as `n^0.5`. Two templates with more minutiae offer more chance
/// pairings, so the same score is commoner among impostors; with fewer, a
/// genuine comparison also scores lower. Measured (BENCHMARKS.md, "Evidence
/// by template size"): the impostor score at FMR 1 % rises from 3.1 to 6.7
/// between the smallest and largest tenth of 3,000,000 synthetic
/// index-finger comparisons by that count, and from 4.7 to 5.9 over
/// CrossMatch's 81,600 (FVC2002 B: from 4.7 below 22 minutiae to 6.1-6.7
/// above); dividing scores by `n^a` before a single threshold lowers the
/// synthetic FNMR at FMR 10^-3 / 10^-4 / 10^-5 from 3.0 / 4.5 / 6.1 % to
/// 2.1 / 3.3 / 4.6 % at a = 0.5 (2.4 / 3.5 / 4.8 at 0.3, 2.0 / 3.0 / 4.5 at
/// 0.7).
const SIZE_EXPONENT: f32 = 0.5;

/// A comparison's score referred to two templates of [`REFERENCE_MINUTIAE`]:
/// the score scaled by `(REFERENCE_MINUTIAE / n)^0.5`, `n` the smaller
/// template's minutiae count (not under [`MIN_PROBE_MINUTIAE`], where
/// comparisons stop carrying evidence), so that the pooled score tables
/// read it as the evidence it is for templates of that size.
pub fn size_referred_score(score: f32, probe_minutiae: usize, candidate_minutiae: usize) -> f32 {
    let n = probe_minutiae
        .min(candidate_minutiae)
        .max(MIN_PROBE_MINUTIAE) as f32;
    score * (REFERENCE_MINUTIAE / n).powf(SIZE_EXPONENT)
}

/// Share of a genuine pairing's minutia pairs whose kinds (ending /
/// bifurcation) agree: FVC2002 B, the matcher's best pairing of all 1,120
/// genuine comparisons (23,635 pairs; example `type_agreement` in
/// scomm-fingerprint). Kinds flip between impressions (a broken or merged
/// ridge), and a genuine pairing holds some chance pairs too.
pub const KINDS_AGREE_GENUINE: f64 = 0.713;
/// The same for chance pairings, measured where a decision meets them:
/// FVC2002 B impostor comparisons scoring over the FMR 1 % threshold (158
/// comparisons, 1,520 pairs; 0.535 over all 11,520 impostor comparisons,
/// 0.593 over FMR 0.1 %, 17 comparisons). The higher of the well-measured
/// figures, so the evidence against a stranger is not overstated.
pub const KINDS_AGREE_CHANCE: f64 = 0.570;
/// Pairs of a chance pairing in the impostor tail the threshold model
/// describes ([`threshold_for_fpir`]): FVC2002 B impostor pairings over
/// FMR 0.1 % have 11.7 on average, the synthetic ones 12.6.
const TAIL_PAIRS: u32 = 12;

/// Evidence of a pairing's minutia kinds: `agreeing` of `compared` pairs
/// (both kinds known) of the same kind, each pair independent given
/// genuine or chance.
pub fn kind_llr(compared: u32, agreeing: u32) -> f64 {
    let agreeing = agreeing.min(compared);
    let agree = (KINDS_AGREE_GENUINE / KINDS_AGREE_CHANCE).ln();
    let differ = ((1.0 - KINDS_AGREE_GENUINE) / (1.0 - KINDS_AGREE_CHANCE)).ln();
    agreeing as f64 * agree + (compared - agreeing) as f64 * differ
}

/// Nor above this (about the evidence of a score FMR 10^-10 would allow):
/// the impostor tail is extrapolated beyond the measured 3·10^-5.
pub const LLR_CAP: f64 = 23.0;

const GRID_STEP: f64 = 0.25;
const GRID_MAX: f64 = 250.0;

/// Score-to-LLR lookup over a fine grid.
pub struct ScoreModel {
    llr: Vec<f64>,
}

/// The model measured for this engine (built once).
pub fn model() -> &'static ScoreModel {
    static MODEL: OnceLock<ScoreModel> = OnceLock::new();
    MODEL.get_or_init(ScoreModel::measured)
}

/// Density of a distribution given as (share, score) points of its CDF.
fn density_from_cdf(points: &[(f64, f64)], s: f64, tail_mass: f64) -> f64 {
    for w in points.windows(2) {
        let ((p0, s0), (p1, s1)) = (w[0], w[1]);
        if s < s1 && s1 > s0 {
            return (p1 - p0) / (s1 - s0);
        }
    }
    // Exponential tail holding `tail_mass`, continuing the last density.
    let n = points.len();
    let ((p0, s0), (p1, s1)) = (points[n - 2], points[n - 1]);
    let d = (p1 - p0) / (s1 - s0);
    let rate = d / tail_mass;
    d * (-(s - s1) * rate).exp()
}

/// Impostor survival points (score, FMR) ascending in score.
fn impostor_points() -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = IMPOSTOR_LOW.iter().map(|&(f, s)| (s, f)).collect();
    pts.extend(THRESHOLDS.iter().map(|&(f, s)| (s as f64, f)));
    pts
}

/// Impostor scores with FMR at or below this make the tail fit.
const TAIL_FIT_FMR: f64 = 1e-2;

/// Decay rate of ln FMR per score unit past the last measured point: the
/// least-squares slope over every point at FMR <= 1 %, not the last segment
/// alone, which rests on a handful of comparisons (at 3·10^-5 of 49,920,
/// one or two) and swings with them.
fn tail_rate(pts: &[(f64, f64)]) -> f64 {
    let tail: Vec<(f64, f64)> = pts
        .iter()
        .filter(|p| p.1 <= TAIL_FIT_FMR)
        .map(|&(s, f)| (s, f.ln()))
        .collect();
    let n = tail.len() as f64;
    let (ms, ml) = (
        tail.iter().map(|p| p.0).sum::<f64>() / n,
        tail.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let cov: f64 = tail.iter().map(|p| (p.0 - ms) * (p.1 - ml)).sum();
    let var: f64 = tail.iter().map(|p| (p.0 - ms).powi(2)).sum();
    -cov / var
}

/// ln FMR at score `s` and its decay rate there: log-linear between the
/// measured points, the fitted tail rate past the last one.
fn impostor_log_survival(pts: &[(f64, f64)], s: f64) -> (f64, f64) {
    let (last_s, last_f) = pts[pts.len() - 1];
    if s >= last_s {
        let rate = tail_rate(pts);
        return (last_f.ln() - rate * (s - last_s), rate);
    }
    let segment = pts.windows(2).find(|w| s < w[1].0).unwrap_or(&pts[..2]);
    let ((s0, f0), (s1, f1)) = (segment[0], segment[1]);
    let rate = (f0.ln() - f1.ln()) / (s1 - s0);
    (f0.ln() - rate * (s - s0), rate)
}

fn impostor_density(pts: &[(f64, f64)], s: f64) -> f64 {
    // ln FMR linear in the score: density = rate * FMR(s).
    let (log_fmr, rate) = impostor_log_survival(pts, s);
    rate * log_fmr.exp()
}

/// Pool-adjacent-violators: the closest non-decreasing sequence.
fn isotonic(values: &[f64]) -> Vec<f64> {
    let mut blocks: Vec<(f64, usize)> = Vec::new();
    for &v in values {
        blocks.push((v, 1));
        while blocks.len() > 1 {
            let (b, nb) = blocks[blocks.len() - 1];
            let (a, na) = blocks[blocks.len() - 2];
            if a <= b {
                break;
            }
            blocks.pop();
            let last = blocks.len() - 1;
            blocks[last] = ((a * na as f64 + b * nb as f64) / (na + nb) as f64, na + nb);
        }
    }
    blocks
        .into_iter()
        .flat_map(|(v, n)| std::iter::repeat_n(v, n))
        .collect()
}

impl ScoreModel {
    fn measured() -> Self {
        let imp = impostor_points();
        let n = (GRID_MAX / GRID_STEP) as usize + 1;
        let raw: Vec<f64> = (0..n)
            .map(|k| {
                let s = k as f64 * GRID_STEP + GRID_STEP / 2.0;
                let g = density_from_cdf(&GENUINE, s, 0.01);
                let i = impostor_density(&imp, s);
                (g.max(1e-300).ln() - i.max(1e-300).ln()).clamp(LLR_FLOOR, LLR_CAP)
            })
            .collect();
        ScoreModel {
            llr: isotonic(&raw),
        }
    }

    /// Evidence of one finger's matcher score, for a comparison of two
    /// templates of the size the tables describe ([`REFERENCE_MINUTIAE`]).
    pub fn llr(&self, score: f32) -> f64 {
        let k = ((score.max(0.0) as f64) / GRID_STEP) as usize;
        self.llr[k.min(self.llr.len() - 1)]
    }

    /// Evidence of one finger's matcher score, given both templates'
    /// minutiae counts ([`size_referred_score`]).
    pub fn llr_sized(&self, score: f32, probe_minutiae: usize, candidate_minutiae: usize) -> f64 {
        self.llr(size_referred_score(
            score,
            probe_minutiae,
            candidate_minutiae,
        ))
    }

    /// Evidence of one finger's comparison: its score's
    /// ([`ScoreModel::llr_sized`]) and its pairing's minutia kinds'
    /// ([`kind_llr`]), together within the floor and the cap. What a
    /// search fuses.
    pub fn llr_of(
        &self,
        comparison: &scomm_fingerprint::matcher::Comparison,
        probe_minutiae: usize,
        candidate_minutiae: usize,
    ) -> f64 {
        let score = self.llr_sized(comparison.score, probe_minutiae, candidate_minutiae);
        let kinds = kind_llr(comparison.kinds_compared, comparison.kinds_agreeing);
        (score + kinds).clamp(LLR_FLOOR, LLR_CAP)
    }
}

/// Impostor survival P(score >= s) of the model (log-linear between points,
/// the fitted tail beyond).
fn impostor_survival(pts: &[(f64, f64)], s: f64) -> f64 {
    if s <= pts[0].0 {
        return 1.0;
    }
    impostor_log_survival(pts, s).0.exp()
}

const LLR_STEP: f64 = 0.05;

/// Survival functions of the fused LLR of 1..=10 impostor fingers:
/// `tails[n - 1][i]` is P(sum >= n * LLR_FLOOR + i * LLR_STEP).
fn impostor_tails() -> &'static Vec<Vec<f64>> {
    static TAILS: OnceLock<Vec<Vec<f64>>> = OnceLock::new();
    TAILS.get_or_init(|| {
        let model = model();
        let imp = impostor_points();
        let bins = ((LLR_CAP - LLR_FLOOR) / LLR_STEP).round() as usize + 1;
        let mut pmf = vec![0f64; bins];
        // (kinds' LLR, probability) of a chance pairing of TAIL_PAIRS pairs.
        let chance_kinds: Vec<(f64, f64)> = binomial(TAIL_PAIRS, KINDS_AGREE_CHANCE)
            .map(|(agreeing, share)| (kind_llr(TAIL_PAIRS, agreeing), share))
            .collect();
        for (k, &llr) in model.llr.iter().enumerate() {
            let (s0, s1) = (k as f64 * GRID_STEP, (k + 1) as f64 * GRID_STEP);
            let mass = if k + 1 == model.llr.len() {
                impostor_survival(&imp, s0) // everything beyond the grid
            } else {
                impostor_survival(&imp, s0) - impostor_survival(&imp, s1)
            };
            // A chance pairing's kinds: Binomial(TAIL_PAIRS,
            // KINDS_AGREE_CHANCE) agreeing pairs, each count's evidence
            // added (more pairs than most chance pairings have: a wider
            // spread, so a heavier tail than the truth's).
            for &(kinds, share) in &chance_kinds {
                let total = (llr + kinds).clamp(LLR_FLOOR, LLR_CAP);
                let b = (((total - LLR_FLOOR) / LLR_STEP).round() as usize).min(bins - 1);
                pmf[b] += mass.max(0.0) * share;
            }
        }
        let mut tails = Vec::with_capacity(10);
        let mut sum = pmf.clone();
        for n in 1..=10 {
            if n > 1 {
                let mut next = vec![0f64; sum.len() + bins - 1];
                for (i, &a) in sum.iter().enumerate() {
                    if a > 0.0 {
                        for (j, &b) in pmf.iter().enumerate() {
                            next[i + j] += a * b;
                        }
                    }
                }
                sum = next;
            }
            let mut tail = sum.clone();
            for i in (0..tail.len() - 1).rev() {
                tail[i] += tail[i + 1];
            }
            tails.push(tail);
        }
        tails
    })
}

/// (k, P(k)) of a binomial distribution.
fn binomial(n: u32, p: f64) -> impl Iterator<Item = (u32, f64)> {
    (0..=n).map(move |k| {
        let ln_choose: f64 = (1..=k).map(|i| ((n - k + i) as f64 / i as f64).ln()).sum();
        (
            k,
            (ln_choose + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp(),
        )
    })
}

/// Markov's bound: for a likelihood ratio, an impostor reaches `LR >= t`
/// with probability at most `1/t` (since `E_impostor[LR] = 1`), so a
/// non-mated search meeting `subjects` impostors passes `ln(subjects /
/// fpir)` with probability at most `fpir`, whatever the fingers. It holds
/// without any model of the tails, and is loose.
pub fn fpir_bound(fpir: f64, subjects: usize) -> f64 {
    let fpir = if fpir.is_finite() {
        fpir.clamp(1e-12, 1.0)
    } else {
        1e-3
    };
    (subjects.max(1) as f64 / fpir).ln()
}

/// The fused-LLR threshold for a target false-positive identification rate
/// in a gallery of `subjects` people searched with `fingers` fingers: the
/// fused LLR of `fingers` independent impostor fingers (the impostor model
/// above, convolved) must reach it with probability at most
/// `1 - (1 - fpir)^(1 / subjects)` per subject. Never above [`fpir_bound`],
/// and never below 0: with many fingers the impostor sum sits so far below
/// zero that the model would identify on no net evidence at all, and that
/// rests entirely on the fingers' independence.
///
/// `fingers` is the number of probe fingers actually searched (a finger
/// set aside by [`probe_unusable`] is not one).
///
/// Conservative on synthetic galleries, on purpose (BENCHMARKS.md, issue
/// 4; examples `probe_floor` and `fused_tail`). Two reasons, neither fitted
/// away:
/// - The impostor side is FVC2002's, whose tail is heavier than the
///   synthetic fingers' (of 100,000 synthetic impostor comparisons 0.044 %
///   reach FVC's FMR 0.1 % threshold, 0.010 % its 0.03 % one, none its
///   0.01 % one). With every subject scored (1,000 synthetic two-index
///   subjects, 2,000 non-mated searches) the model claims 3.6 % FPIR at
///   the measured FPIR 1 % threshold (5.55 against 3.88). Real prints are
///   what the model answers to, and on them it is not conservative
///   (`scomm eval ident`: own FPIR 0.16 % with one finger).
/// - `subjects` counts the whole gallery although the full matcher scores
///   only the shortlist: with a 1 % shortlist of 100,000 two-index
///   subjects the model claims 3.6 % FPIR at the threshold measured for
///   0.1 % (13.05 against 9.02 at 1M fingers, tables before the minimum
///   minutia quality; the model gives 13.10 with the current ones). The
///   filter keeps the strangers most like
///   the probe, so the shortlist's size is no bound either: without a model
///   of the filter and matcher scores together, the gallery is the count
///   that holds.
///
/// Since scores are referred to the template size the margin is gone on
/// two-index searches at 1M fingers: 4 of 3,000 non-mated searches passed
/// the threshold for FPIR 0.1 % (BENCHMARKS.md, "Enrolled fingers too poor
/// to compare"). The two of them looked at were strangers with one finger
/// at an LLR of about 17, past anything 30 million random synthetic
/// impostor comparisons reach: the filter's choice of the most alike
/// strangers, which this model does not see, rather than the template size
/// (whose tails the referral levels to within about 2x).
pub fn threshold_for_fpir(fpir: f64, subjects: usize, fingers: usize) -> f64 {
    let bound = fpir_bound(fpir, subjects);
    let fpir = if fpir.is_finite() {
        fpir.clamp(1e-12, 1.0)
    } else {
        1e-3
    };
    let per_subject = -(-fpir).ln_1p() / subjects.max(1) as f64; // ~ fpir / subjects
    let n = fingers.clamp(1, 10);
    let tail = &impostor_tails()[n - 1];
    match tail.iter().position(|&p| p <= per_subject) {
        Some(i) => (n as f64 * LLR_FLOOR + i as f64 * LLR_STEP).clamp(0.0, bound),
        None => bound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scomm_fingerprint::matcher::calibration::threshold_for_fmr;

    /// Share of genuine scores below `s` in the genuine table.
    fn genuine_cdf(s: f64) -> f64 {
        GENUINE.windows(2).find(|w| s < w[1].1).map_or(1.0, |w| {
            let ((p0, s0), (p1, s1)) = (w[0], w[1]);
            p0 + (p1 - p0) * (s - s0) / (s1 - s0)
        })
    }

    #[test]
    fn tables_belong_to_the_calibrated_matcher() {
        // One impostor curve: FMR falls as the score rises, through the
        // join of the quantiles below 10 % with the calibration table.
        let pts = impostor_points();
        assert!(
            pts.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 > w[1].1),
            "{pts:?}"
        );
        assert!(GENUINE
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
        // At the calibration's thresholds the genuine table has the FNMR
        // the same calibration run printed beside them (BENCHMARKS.md,
        // "Fingerprint engine"): both come from one matcher.
        for (fmr, fnmr) in [(1e-1, 0.007), (1e-3, 0.027), (1e-4, 0.046)] {
            let below = genuine_cdf(threshold_for_fmr(fmr) as f64);
            assert!(
                (below - fnmr).abs() <= 0.2 * fnmr + 0.005,
                "FMR {fmr}: {below} of genuine scores below, calibration says {fnmr}"
            );
        }
    }

    #[test]
    fn llr_rises_with_the_score_within_its_bounds() {
        let m = model();
        let at = |s: f32| m.llr(s);
        assert!(m.llr.windows(2).all(|w| w[0] <= w[1]));
        assert!(at(0.0) < 0.0, "a failed comparison is evidence against");
        // A score one impostor in ten reaches is weak evidence at most (or,
        // where few genuine scores are that low, as much against as the
        // floor allows); one that one in 10^4 reaches is strong (genuine
        // over 50 times likelier), and more keeps adding to it.
        let (common, rare) = (threshold_for_fmr(1e-1), threshold_for_fmr(1e-4));
        assert!(
            at(common) < 1.0 && at(common) >= LLR_FLOOR,
            "{}",
            at(common)
        );
        assert!(at(rare) > 4.0, "{}", at(rare));
        assert!(at(2.0 * rare) > at(rare) + 3.0, "{}", at(2.0 * rare));
        assert_eq!(at(1e6), LLR_CAP);
        assert!(at(f32::NAN) <= at(1.0));
    }

    #[test]
    fn tail_past_the_table_follows_the_fitted_slope() {
        // A straight exponential tail with one noisy last point: the
        // extrapolation keeps the slope of the whole tail.
        let pts = [
            (0.0, 1.0),
            (5.0, 1e-2),
            (7.0, 1e-3),
            (9.0, 1e-4),
            (9.5, 1e-5),
        ];
        let rate = tail_rate(&pts);
        let exact = (10f64).ln() / 2.0;
        assert!(rate > exact && rate < 2.0 * exact, "{rate}");
        let beyond = impostor_survival(&pts, 12.5);
        assert!((beyond.ln() - ((1e-5f64).ln() - rate * 3.0)).abs() < 1e-9);
        // Continuous at the last point, and the density is positive there.
        assert!((impostor_survival(&pts, 9.5 - 1e-9) - 1e-5).abs() < 1e-9);
        assert!(impostor_density(&pts, 20.0) > 0.0);
        // Between points it stays log-linear.
        assert!((impostor_survival(&pts, 6.0).ln() - (1e-2f64 * 1e-3).sqrt().ln()).abs() < 1e-9);
    }

    #[test]
    fn probe_fingers_under_the_floor_are_unusable() {
        use scomm_fingerprint::{Minutia, MinutiaKind, Template};
        let with = |n: usize| Template {
            width: 300,
            height: 300,
            minutiae: (0..n)
                .map(|i| Minutia {
                    x: 20 + 10 * i as u16,
                    y: 150,
                    direction: 0.0,
                    kind: MinutiaKind::Ending,
                    quality: 90,
                })
                .collect(),
            ..Default::default()
        };
        assert_eq!(probe_unusable(&with(MIN_PROBE_MINUTIAE)), None);
        assert_eq!(
            probe_unusable(&with(MIN_PROBE_MINUTIAE - 1)),
            Some(Unusable::TooFewMinutiae {
                found: MIN_PROBE_MINUTIAE - 1,
                needed: MIN_PROBE_MINUTIAE
            })
        );
        assert!(probe_unusable(&with(0)).is_some());
        // The floor is where a genuine comparison stops being evidence for
        // the mate on average: somewhere between "a handful" and what FVC2002
        // prints always have (12 or more).
        assert!((6..=12).contains(&MIN_PROBE_MINUTIAE));
    }

    #[test]
    fn isotonic_pools_violators() {
        assert_eq!(isotonic(&[1.0, 3.0, 2.0, 4.0]), vec![1.0, 2.5, 2.5, 4.0]);
    }

    #[test]
    fn threshold_grows_with_gallery_and_strictness() {
        assert!((fpir_bound(1e-3, 100_000) - (1e8f64).ln()).abs() < 1e-9);
        for fingers in [1, 2] {
            let t = threshold_for_fpir(1e-3, 100_000, fingers);
            assert!(t <= fpir_bound(1e-3, 100_000));
            assert!(threshold_for_fpir(1e-2, 100_000, fingers) < t);
            assert!(threshold_for_fpir(1e-3, 10, fingers) < t);
        }
        // One impostor finger reaches higher alone than in a sum with others
        // that mostly count against.
        assert!(threshold_for_fpir(1e-3, 1000, 1) > threshold_for_fpir(1e-3, 1000, 2));
        assert_eq!(threshold_for_fpir(1e-3, 1000, 10), 0.0);
    }

    #[test]
    fn fused_impostor_tails_are_distributions() {
        for (n, tail) in impostor_tails().iter().enumerate() {
            assert!((tail[0] - 1.0).abs() < 1e-6, "{n}: total {}", tail[0]);
            assert!(tail.windows(2).all(|w| w[0] >= w[1]));
        }
        // One finger: the tail at the LLR of the FMR 0.1 % threshold is
        // about 0.1 %.
        let llr = model().llr(threshold_for_fmr(1e-3));
        let i = ((llr - LLR_FLOOR) / LLR_STEP).round() as usize;
        let p = impostor_tails()[0][i];
        assert!(p > 3e-4 && p < 3e-3, "{p}");
    }

    #[test]
    fn scores_are_referred_to_the_reference_size_by_the_smaller_template() {
        assert_eq!(size_referred_score(10.0, 28, 28), 10.0);
        assert_eq!(size_referred_score(10.0, 28, 60), 10.0);
        assert_eq!(size_referred_score(10.0, 60, 28), 10.0);
        // Half the minutiae: chance scores sqrt(2) times lower.
        assert!((size_referred_score(10.0, 28, 14) - 10.0 * 2f32.sqrt()).abs() < 1e-4);
        assert!((size_referred_score(10.0, 112, 112) - 5.0).abs() < 1e-4);
        // Under the usable floor, templates count as at the floor.
        assert_eq!(
            size_referred_score(10.0, 3, 40),
            size_referred_score(10.0, MIN_PROBE_MINUTIAE, 40)
        );
        let m = model();
        for s in [4.0f32, 8.0, 12.0] {
            let (small, typical, large) = (
                m.llr_sized(s, 12, 40),
                m.llr_sized(s, 28, 28),
                m.llr_sized(s, 70, 60),
            );
            assert_eq!(typical, m.llr(s));
            assert!(
                small > typical && typical > large,
                "{s}: {small} {typical} {large}"
            );
        }
        // Still a function of the score that never falls.
        for n in [8, 20, 28, 50, 100] {
            let llrs: Vec<f64> = (0..400)
                .map(|k| m.llr_sized(k as f32 * 0.5, n, 40))
                .collect();
            assert!(llrs.windows(2).all(|w| w[0] <= w[1]), "{n}");
        }
    }

    #[test]
    fn kinds_that_agree_are_evidence_for_and_kinds_that_differ_against() {
        assert_eq!(kind_llr(0, 0), 0.0);
        assert!(kind_llr(10, 10) > 0.0 && kind_llr(10, 0) < 0.0);
        // At the genuine agreement rate the evidence is positive, at the
        // chance rate negative (the expected LLR under each hypothesis).
        let at = |share: f64| kind_llr(1000, (share * 1000.0).round() as u32);
        assert!(at(KINDS_AGREE_GENUINE) > 0.0);
        assert!(at(KINDS_AGREE_CHANCE) < 0.0);
        // More agreeing pairs, more evidence; a count past the pairs is
        // the pairs.
        assert!((0..12).all(|k| kind_llr(12, k) < kind_llr(12, k + 1)));
        assert_eq!(kind_llr(5, 9), kind_llr(5, 5));
    }

    #[test]
    fn a_comparison_s_evidence_adds_its_kinds_within_floor_and_cap() {
        use scomm_fingerprint::matcher::Comparison;
        let m = model();
        let comparison = |score: f32, compared: u32, agreeing: u32| Comparison {
            score,
            kinds_compared: compared,
            kinds_agreeing: agreeing,
            ..Comparison::default()
        };
        let plain = m.llr_sized(30.0, 28, 28);
        assert!(plain > LLR_FLOOR + 3.0 && plain < LLR_CAP - 3.0);
        let with = |c, a| m.llr_of(&comparison(30.0, c, a), 28, 28);
        assert_eq!(with(0, 0), plain);
        assert_eq!(with(12, 9), plain + kind_llr(12, 9));
        assert_eq!(with(12, 2), plain + kind_llr(12, 2));
        // A failed comparison stays at the floor, the best at the cap.
        assert_eq!(m.llr_of(&comparison(0.0, 6, 0), 28, 28), LLR_FLOOR);
        assert_eq!(m.llr_of(&comparison(1e4, 40, 40), 28, 28), LLR_CAP);
    }

    #[test]
    fn the_threshold_model_reckons_with_lucky_kinds() {
        // With kinds in each impostor finger's evidence the tail is
        // heavier than the score's alone: the one-finger threshold for a
        // large gallery sits above the score model's own.
        let per_subject = 1e-3 / 100_000.0;
        let model = model();
        let imp = impostor_points();
        // The score alone: the lowest grid LLR whose impostor survival is
        // under the per-subject share.
        let score_only = model
            .llr
            .iter()
            .enumerate()
            .find(|&(k, _)| impostor_survival(&imp, k as f64 * GRID_STEP) <= per_subject)
            .map(|(_, &l)| l)
            .unwrap();
        let with_kinds = threshold_for_fpir(1e-3, 100_000, 1);
        assert!(with_kinds > score_only, "{with_kinds} vs {score_only}");
        assert!(with_kinds < score_only + kind_llr(TAIL_PAIRS, TAIL_PAIRS) + 0.5);
    }
}
