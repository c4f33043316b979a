//! Gallery fingers made ready for the full matcher at a fraction of the
//! cost of `PreparedTemplate::new`.
//!
//! A comparison reads the probe's edge hash but only the candidate's
//! minutiae and its edges running from a lower to a higher index
//! (`matcher::find_edge_matches`, `pair_from_root`, `overlap`). Building the
//! candidate's hash is most of `PreparedTemplate::new`'s cost (about 230 us
//! of 240 on a 37-minutia template), and stage 2 prepares every shortlisted
//! finger, so this builds only what a candidate needs, with the matcher's
//! own public constants and bucket function. The test
//! `candidate_preparation_scores_exactly_like_the_full_one` holds it to the
//! full preparation: if the matcher's edges change, it fails.

use scomm_fingerprint::matcher::prepared::{
    bucket, wrap, Edge, PreparedMinutia, PreparedTemplate, MAX_EDGE, MIN_EDGE, NEIGHBOURS,
};
use scomm_fingerprint::Template;

pub fn prepare_candidate(template: &Template) -> PreparedTemplate {
    let minutiae: Vec<PreparedMinutia> = template
        .minutiae
        .iter()
        .take(u16::MAX as usize)
        .map(|m| PreparedMinutia {
            x: m.x as f32,
            y: -(m.y as f32),
            direction: wrap(m.direction),
            kind: m.kind,
        })
        .collect();
    let mut linked: Vec<(u16, u16)> = Vec::with_capacity(minutiae.len() * NEIGHBOURS);
    let mut near: Vec<(f32, usize)> = Vec::with_capacity(minutiae.len());
    for (i, a) in minutiae.iter().enumerate() {
        near.clear();
        for (j, b) in minutiae.iter().enumerate() {
            let d = ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt();
            if j != i && (MIN_EDGE..=MAX_EDGE).contains(&d) {
                near.push((d, j));
            }
        }
        // The matcher sorts stably by distance and takes the first few: the
        // same set as the smallest by (distance, index), found without sorting.
        let by = |p: &(f32, usize), q: &(f32, usize)| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1));
        if near.len() > NEIGHBOURS {
            near.select_nth_unstable_by(NEIGHBOURS, by);
        }
        for &(_, j) in near.iter().take(NEIGHBOURS) {
            linked.push((i.min(j) as u16, i.max(j) as u16));
        }
    }
    linked.sort_unstable();
    linked.dedup();
    let edges = linked
        .iter()
        .map(|&(f, t)| {
            let (a, b) = (&minutiae[f as usize], &minutiae[t as usize]);
            let line = (b.y - a.y).atan2(b.x - a.x);
            let length = ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt();
            let (from_angle, to_angle) = (wrap(line - a.direction), wrap(line - b.direction));
            Edge {
                from: f,
                to: t,
                length,
                from_angle,
                to_angle,
                bucket: bucket(length, from_angle, to_angle) as u32,
            }
        })
        .collect();
    PreparedTemplate {
        minutiae,
        edges,
        bucket_start: Vec::new(),
        bucket_items: Vec::new(),
        bucket_edges: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::MasterFinger;
    use scomm_fingerprint::matcher::Matcher;

    #[test]
    fn candidate_preparation_scores_exactly_like_the_full_one() {
        for s in 0..40u64 {
            let m = MasterFinger::generate(s);
            let probe = Matcher::new(&m.impression(1));
            for other in [
                m.impression(2),
                MasterFinger::generate(s + 500).impression(3),
            ] {
                let full = probe.compare(&PreparedTemplate::new(&other));
                let light = probe.compare(&prepare_candidate(&other));
                assert_eq!(full.to_bits(), light.to_bits(), "seed {s}");
            }
        }
    }
}
