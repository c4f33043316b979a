//! Identification figures: rank-1 rate, FNIR at a target FPIR (threshold
//! set empirically from non-mated searches, as NIST's FRVT/FpVTE do), the
//! filter's mate retention, synthetic galleries at scale, and an SVG of
//! score distributions.

use rayon::prelude::*;
use scomm_fingerprint::Template;

use crate::synthetic::{capture, ImpressionParams};
use crate::{FingerPosition, Gallery, IdentError, SearchParams, SearchResult, SubjectId};

/// What one mated search (the probe's mate is enrolled) gave.
#[derive(Clone, Debug)]
pub struct Mated {
    /// 1-based rank of the mate among the candidates, if returned.
    pub rank: Option<usize>,
    /// The mate's fused LLR, if it reached the full matcher.
    pub mate_fused: Option<f64>,
    /// Whether the filter passed the mate on.
    pub kept: bool,
    /// Whether the search's own decision was "ident" with the mate first.
    pub decided: bool,
}

impl Mated {
    pub fn from_result(result: &SearchResult, mate: SubjectId) -> Self {
        let pos = result.candidates.iter().position(|c| c.subject == mate);
        Mated {
            rank: pos.map(|p| p + 1),
            mate_fused: pos.map(|p| result.candidates[p].fused),
            kept: result.shortlist.contains(&mate),
            decided: result.decision == crate::Decision::Ident && pos == Some(0),
        }
    }
}

/// The best fused LLR of a non-mated search (-inf when nothing came back).
pub fn top_score(result: &SearchResult) -> f64 {
    result
        .candidates
        .first()
        .map_or(f64::NEG_INFINITY, |c| c.fused)
}

#[derive(Clone, Debug, Default)]
pub struct Rates {
    pub mated: usize,
    pub non_mated: usize,
    pub rank1: f64,
    /// Share of mates the filter kept.
    pub mates_kept: f64,
    /// (target FPIR, threshold, FNIR): FNIR counts mated searches whose mate
    /// is not first with a fused LLR at or above the threshold.
    pub fnir_at: Vec<(f64, f64, f64)>,
    /// At the search's own threshold (the FPIR bound): FNIR and the
    /// measured FPIR.
    pub own_fnir: f64,
    pub own_fpir: f64,
}

/// Lowest threshold whose share of non-mated tops at or above it is at
/// most `fpir`.
pub fn threshold_at_fpir(non_mated_tops: &[f64], fpir: f64) -> f64 {
    let mut tops: Vec<f64> = non_mated_tops.to_vec();
    tops.sort_by(|a, b| b.total_cmp(a));
    let allowed = (fpir * tops.len() as f64).floor() as usize;
    match tops.get(allowed) {
        // Just above the first top that would be one false positive too many.
        Some(&t) if t.is_finite() => t + 1e-9 * t.abs().max(1.0),
        _ => f64::NEG_INFINITY,
    }
}

pub fn rates(mated: &[Mated], non_mated_tops: &[f64], own_threshold_hits: usize) -> Rates {
    let n = mated.len().max(1) as f64;
    let fnir = |t: f64| {
        mated
            .iter()
            .filter(|m| !(m.rank == Some(1) && m.mate_fused.is_some_and(|f| f >= t)))
            .count() as f64
            / n
    };
    Rates {
        mated: mated.len(),
        non_mated: non_mated_tops.len(),
        rank1: mated.iter().filter(|m| m.rank == Some(1)).count() as f64 / n,
        mates_kept: mated.iter().filter(|m| m.kept).count() as f64 / n,
        fnir_at: [1e-2, 1e-3]
            .iter()
            .map(|&f| {
                let t = threshold_at_fpir(non_mated_tops, f);
                (f, t, fnir(t))
            })
            .collect(),
        own_fnir: mated.iter().filter(|m| !m.decided).count() as f64 / n,
        own_fpir: own_threshold_hits as f64 / non_mated_tops.len().max(1) as f64,
    }
}

/// A synthetic person's subject seed (subject ids are 0..n; the seed keeps
/// galleries of different runs apart).
pub fn subject_seed(run_seed: u64, subject: SubjectId) -> u64 {
    crate::mix_seed(run_seed, subject)
}

/// A gallery of `subjects` synthetic ten-print subjects (ids 0..subjects),
/// built on all cores in batches; `progress` gets the subjects done.
pub fn synthetic_gallery(
    subjects: u64,
    run_seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Gallery, IdentError> {
    let positions: Vec<FingerPosition> = FingerPosition::all().collect();
    synthetic_gallery_of(subjects, run_seed, &positions, progress)
}

/// A gallery of `subjects` synthetic subjects enrolled with `positions`
/// only (enough to measure a filter for probes of those positions at a
/// tenth of the cost of ten-print subjects).
pub fn synthetic_gallery_of(
    subjects: u64,
    run_seed: u64,
    positions: &[FingerPosition],
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Gallery, IdentError> {
    let params = ImpressionParams::default();
    let mut gallery = Gallery::new();
    const BATCH: u64 = 5_000;
    let mut start = 0;
    while start < subjects {
        let end = (start + BATCH).min(subjects);
        let batch: Vec<(SubjectId, Vec<(FingerPosition, Template)>)> = (start..end)
            .into_par_iter()
            .map(|s| (s, capture(subject_seed(run_seed, s), 0, positions, &params)))
            .collect();
        gallery.enrol_batch(&batch)?;
        progress(end - start);
        start = end;
    }
    gallery.optimise();
    Ok(gallery)
}

/// The filter alone on `mated` synthetic mated probes of `positions`: the
/// share of mates within the first `penetration` of the gallery's subjects,
/// for each penetration asked, and the mean seconds of one filter pass.
pub fn synthetic_filter_curve(
    gallery: &Gallery,
    enrolled: u64,
    run_seed: u64,
    positions: &[FingerPosition],
    mated: u64,
    penetrations: &[f64],
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Vec<f64>, f64), IdentError> {
    let subjects = gallery.subjects().max(1);
    let keep_at = |p: f64| ((p * subjects as f64).round() as usize).max(1);
    let keep = penetrations.iter().map(|&p| keep_at(p)).max().unwrap_or(1);
    let step = (enrolled / mated.max(1)).max(1);
    let mut ranks = Vec::new();
    let mut seconds = 0.0;
    let n = mated.min(enrolled);
    for k in 0..n {
        let s = k * step;
        let probe = synthetic_probe(run_seed, s, 1, positions);
        let start = std::time::Instant::now();
        let list = gallery.filter_only(&probe, keep)?;
        seconds += start.elapsed().as_secs_f64();
        ranks.push(list.iter().position(|&(id, _)| id == s));
        progress(1);
    }
    let kept = penetrations
        .iter()
        .map(|&p| {
            let k = keep_at(p);
            ranks.iter().filter(|r| r.is_some_and(|r| r < k)).count() as f64 / n.max(1) as f64
        })
        .collect();
    Ok((kept, seconds / n.max(1) as f64))
}

/// A probe of `positions` from a synthetic subject's later encounter.
pub fn synthetic_probe(
    run_seed: u64,
    subject: SubjectId,
    encounter: u64,
    positions: &[FingerPosition],
) -> Vec<(FingerPosition, Template)> {
    capture(
        subject_seed(run_seed, subject),
        encounter,
        positions,
        &ImpressionParams::default(),
    )
}

/// Mated and non-mated searches of synthetic probes against a synthetic
/// gallery of subjects `0..enrolled` (non-mated probes come from subjects
/// past it). Searches run one after another, each on all cores.
pub fn synthetic_rates(
    gallery: &Gallery,
    enrolled: u64,
    run_seed: u64,
    positions: &[FingerPosition],
    (mated, non_mated): (u64, u64),
    params: &SearchParams,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Rates, IdentError> {
    let step = (enrolled / mated.max(1)).max(1);
    let mut outcomes = Vec::new();
    for k in 0..mated.min(enrolled) {
        let s = k * step;
        let r = gallery.search(&synthetic_probe(run_seed, s, 1, positions), params)?;
        outcomes.push(Mated::from_result(&r, s));
        progress(1);
    }
    let mut tops = Vec::new();
    let mut hits = 0;
    for k in 0..non_mated {
        let s = enrolled + 1_000_000 + k;
        let r = gallery.search(&synthetic_probe(run_seed, s, 1, positions), params)?;
        tops.push(top_score(&r));
        hits += (r.decision == crate::Decision::Ident) as usize;
        progress(1);
    }
    Ok(rates(&outcomes, &tops, hits))
}

/// Histograms of score sets as an SVG (density on a log scale, so that the
/// tails that decide identification errors are visible).
pub fn score_svg(title: &str, series: &[(&str, &str, &[f32])]) -> String {
    let (w, h, left, bottom, top) = (760.0, 420.0, 60.0, 40.0, 30.0);
    // Past nearly all genuine scores (FVC2002 B's 99.9th percentile is
    // about 160); the last bin holds whatever lies beyond.
    let max_score = 180.0f32;
    let bins = 90usize;
    let (ymin, ymax) = (-5.0f32, 0.0f32); // log10 of share per bin
    let x = |s: f32| left + (s / max_score).clamp(0.0, 1.0) * (w - left - 20.0);
    let y = |l: f32| top + (ymax - l.clamp(ymin, ymax)) / (ymax - ymin) * (h - top - bottom);
    let mut svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n<text x='{left}' y='18'>{}</text>\n",
        xml(title)
    );
    for k in 0..=(max_score / 20.0) as usize {
        let s = k as f32 * 20.0;
        svg += &format!(
            "<line x1='{0}' y1='{1}' x2='{0}' y2='{2}' stroke='#ddd'/><text x='{0}' y='{3}' text-anchor='middle'>{s}</text>\n",
            x(s), top, h - bottom, h - bottom + 15.0
        );
    }
    for l in -5..=0 {
        svg += &format!(
            "<line x1='{left}' y1='{0}' x2='{1}' y2='{0}' stroke='#ddd'/><text x='{2}' y='{3}' text-anchor='end'>1e{l}</text>\n",
            y(l as f32), w - 20.0, left - 5.0, y(l as f32) + 4.0
        );
    }
    svg += &format!(
        "<text x='{}' y='{}' text-anchor='middle'>matcher score</text><text x='14' y='{}' transform='rotate(-90 14 {})' text-anchor='middle'>share per bin (log)</text>\n",
        (w + left) / 2.0, h - 5.0, h / 2.0, h / 2.0
    );
    for (i, (name, colour, scores)) in series.iter().enumerate() {
        let mut counts = vec![0usize; bins];
        for &s in scores.iter() {
            let b = ((s / max_score * bins as f32) as usize).min(bins - 1);
            counts[b] += 1;
        }
        let n = scores.len().max(1) as f32;
        let dash = if name.contains("FVC") {
            ""
        } else {
            " stroke-dasharray='6 3'"
        };
        let points: Vec<String> = counts
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(b, &c)| {
                let s = (b as f32 + 0.5) * max_score / bins as f32;
                format!("{:.1},{:.1}", x(s), y((c as f32 / n).log10()))
            })
            .collect();
        svg += &format!(
            "<polyline fill='none' stroke='{colour}' stroke-width='2'{dash} points='{}'/>\n<text x='{}' y='{}' fill='{colour}'>{} ({} scores)</text>\n",
            points.join(" "),
            w - 260.0,
            top + 16.0 * (i as f32 + 1.0),
            xml(name),
            scores.len()
        );
    }
    svg + "</svg>\n"
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnir_at_fpir_follows_the_non_mated_tops() {
        let tops: Vec<f64> = (0..1000).map(|k| k as f64 / 100.0).collect(); // 0..9.99
        let t = threshold_at_fpir(&tops, 1e-2);
        assert!(t > 9.89 && t < 9.9 + 1e-6, "{t}");
        let mate = |rank, f| Mated {
            rank: Some(rank),
            mate_fused: Some(f),
            kept: true,
            decided: false,
        };
        let r = rates(
            &[mate(1, 20.0), mate(1, 5.0), mate(2, 30.0), mate(1, 9.95)],
            &tops,
            3,
        );
        assert_eq!(r.rank1, 0.75);
        // At FPIR 1 %: threshold ~9.9 -> only the 20.0 and 9.95 mates pass.
        assert_eq!(r.fnir_at[0].2, 0.5);
        // At 0.1 %: threshold just above 9.99 -> only 20.0 passes.
        assert_eq!(r.fnir_at[1].2, 0.75);
        assert_eq!(r.own_fpir, 0.003);
    }

    #[test]
    fn svg_has_every_series() {
        let svg = score_svg(
            "t",
            &[("a", "red", &[1.0, 2.0]), ("FVC b", "blue", &[50.0])],
        );
        assert!(svg.contains("a (2 scores)") && svg.contains("FVC b (1 scores)"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    }
}
