//! The gallery: enrolled subjects and their fingers, held compactly
//! (packed minutiae and one filter descriptor per finger, no prepared
//! matcher structures), and the two-stage search over it.

use std::collections::HashMap;

use rayon::prelude::*;
use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};
use scomm_fingerprint::{Minutia, MinutiaKind, Template};

use crate::descriptor::{self, DIM};
use crate::fusion;
use crate::index::TripletIndex;
use crate::triplets;
use crate::vote;
use crate::{FingerPosition, IdentError, SubjectId};

/// Most minutiae kept per finger (the highest-quality ones).
pub const MAX_MINUTIAE: usize = 255;

/// One enrolled finger.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Record {
    pub minutiae_start: u32,
    pub count: u8,
    /// ANSI/NIST code; 0 marks a removed record.
    pub position: u8,
    pub width: u16,
    pub height: u16,
}

#[derive(Clone, Debug)]
pub(crate) struct Subject {
    pub id: SubjectId,
    /// Empty once removed.
    pub records: Vec<u32>,
}

/// x, y (little endian), direction in 1/256 turns, kind | quality/2 << 2.
pub(crate) type PackedMinutia = [u8; 6];

pub(crate) fn pack(m: &Minutia) -> PackedMinutia {
    let [x0, x1] = m.x.to_le_bytes();
    let [y0, y1] = m.y.to_le_bytes();
    let turn = m.direction.rem_euclid(std::f32::consts::TAU) / std::f32::consts::TAU;
    let direction = ((turn * 256.0).round() as u32 % 256) as u8;
    let kind = match m.kind {
        MinutiaKind::Ending => 0,
        MinutiaKind::Bifurcation => 1,
        MinutiaKind::Other => 2,
    };
    [
        x0,
        x1,
        y0,
        y1,
        direction,
        kind | (m.quality.min(100) / 2) << 2,
    ]
}

pub(crate) fn unpack(p: &PackedMinutia) -> Minutia {
    Minutia {
        x: u16::from_le_bytes([p[0], p[1]]),
        y: u16::from_le_bytes([p[2], p[3]]),
        direction: p[4] as f32 / 256.0 * std::f32::consts::TAU,
        kind: match p[5] & 3 {
            0 => MinutiaKind::Ending,
            1 => MinutiaKind::Bifurcation,
            _ => MinutiaKind::Other,
        },
        quality: (p[5] >> 2) * 2,
    }
}

/// Enrolled subjects, searchable 1:N.
#[derive(Clone, Debug, Default)]
pub struct Gallery {
    pub(crate) subjects: Vec<Subject>,
    pub(crate) index: HashMap<SubjectId, u32>,
    pub(crate) records: Vec<Record>,
    pub(crate) descriptors: Vec<u8>,
    pub(crate) centred: Vec<descriptor::Centred>,
    pub(crate) minutiae: Vec<PackedMinutia>,
    pub(crate) live_records: usize,
    pub(crate) triplets: TripletIndex,
}

/// A finger ready for the gallery: packed, described.
pub(crate) struct Prepared {
    position: FingerPosition,
    width: u16,
    height: u16,
    minutiae: Vec<PackedMinutia>,
    descriptor: Vec<u8>,
    centred: descriptor::Centred,
    /// A gallery finger's triplets: (entry, cell).
    keys: Vec<(u32, u8)>,
    /// A probe finger's triplets, with the near-edge variants.
    probe_keys: Vec<triplets::ProbeTriplet>,
}

/// A probe's fingers prepared for the filter, and for each finger position
/// code the index of the probe finger there (`u8::MAX`: not probed).
fn prepare_probe(probe: &[(FingerPosition, Template)]) -> (Vec<Prepared>, [u8; 11]) {
    let prepared = probe
        .iter()
        .map(|(p, t)| prepare_finger(*p, t, true))
        .collect();
    let mut finger_of = [u8::MAX; 11];
    for (i, p) in probe.iter().enumerate() {
        finger_of[p.0.code() as usize] = i as u8;
    }
    (prepared, finger_of)
}

fn prepare_finger(position: FingerPosition, template: &Template, query: bool) -> Prepared {
    let mut kept: Vec<Minutia> = template.minutiae.clone();
    if kept.len() > MAX_MINUTIAE {
        kept.sort_by_key(|m| std::cmp::Reverse(m.quality));
        kept.truncate(MAX_MINUTIAE);
    }
    let mut descriptor = vec![0u8; DIM];
    // Described as stored (quantised directions), so that a reloaded
    // gallery holds exactly what it would compute.
    let stored = Template {
        width: template.width,
        height: template.height,
        minutiae: kept.iter().map(|m| unpack(&pack(m))).collect(),
    };
    descriptor::describe(&stored, &mut descriptor);
    let centred = descriptor::profile().centre(&descriptor);
    Prepared {
        position,
        width: template.width,
        height: template.height,
        minutiae: kept.iter().map(pack).collect(),
        descriptor,
        centred,
        keys: if query {
            Vec::new()
        } else {
            triplets::gallery_keys(&stored)
        },
        probe_keys: if query {
            triplets::probe_keys(&stored)
        } else {
            Vec::new()
        },
    }
}

fn check_fingers(fingers: &[(FingerPosition, Template)]) -> Result<(), IdentError> {
    if fingers.is_empty() {
        return Err(IdentError::NoFingers);
    }
    let mut seen = [false; 11];
    for (p, _) in fingers {
        if std::mem::replace(&mut seen[p.code() as usize], true) {
            return Err(IdentError::DuplicatePosition(p.code()));
        }
    }
    Ok(())
}

/// What a search is asked for.
#[derive(Clone, Debug)]
pub struct SearchParams {
    /// Target false-positive identification rate of the decision.
    pub fpir: f64,
    /// Candidates returned.
    pub top_k: usize,
    /// Subjects the filter passes on to the full matcher.
    pub shortlist: usize,
    /// A fused-LLR threshold measured for this gallery, overriding the one
    /// the score model gives for `fpir` (see [`fusion::threshold_for_fpir`]).
    pub threshold: Option<f64>,
}

impl Default for SearchParams {
    fn default() -> Self {
        SearchParams {
            fpir: 1e-3,
            top_k: 10,
            shortlist: 200,
            threshold: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Ident,
    NonIdent,
}

/// One probe finger against the candidate's best record at that position.
#[derive(Clone, Debug, PartialEq)]
pub struct FingerScore {
    pub position: FingerPosition,
    /// Matcher score (higher is more similar).
    pub score: f32,
    /// Its log-likelihood ratio (see [`fusion`]).
    pub llr: f64,
}

#[derive(Clone, Debug)]
pub struct Candidate {
    pub subject: SubjectId,
    /// Sum of the fingers' LLRs: the ranking and decision score.
    pub fused: f64,
    /// The first stage's score (sum of per-finger normalised similarities).
    pub filter: f32,
    pub fingers: Vec<FingerScore>,
}

#[derive(Clone, Debug)]
pub struct SearchResult {
    pub decision: Decision,
    /// The fused-LLR threshold the decision used.
    pub threshold: f64,
    /// Best first, at most `top_k`.
    pub candidates: Vec<Candidate>,
    /// Subjects the full matcher saw, best filter score first.
    pub shortlist: Vec<SubjectId>,
    /// Share of the gallery's subjects that reached the full matcher.
    pub penetration: f64,
}

impl Gallery {
    pub fn new() -> Self {
        Self::default()
    }

    /// Live subjects.
    pub fn subjects(&self) -> usize {
        self.index.len()
    }

    /// Live enrolled fingers (all encounters).
    pub fn fingers(&self) -> usize {
        self.live_records
    }

    pub fn contains(&self, subject: SubjectId) -> bool {
        self.index.contains_key(&subject)
    }

    /// Enrol one encounter of a subject: up to ten fingers, each position at
    /// most once. Enrolling a known subject adds the encounter to it; every
    /// encounter's fingers are searched.
    pub fn enrol(
        &mut self,
        subject: SubjectId,
        fingers: &[(FingerPosition, Template)],
    ) -> Result<(), IdentError> {
        check_fingers(fingers)?;
        let prepared = fingers
            .iter()
            .map(|(p, t)| prepare_finger(*p, t, false))
            .collect();
        self.append(subject, prepared);
        Ok(())
    }

    /// Enrol many encounters, preparing them on all cores.
    pub fn enrol_batch(
        &mut self,
        batch: &[(SubjectId, Vec<(FingerPosition, Template)>)],
    ) -> Result<(), IdentError> {
        for (_, fingers) in batch {
            check_fingers(fingers)?;
        }
        let prepared: Vec<Vec<Prepared>> = batch
            .par_iter()
            .map(|(_, fingers)| {
                fingers
                    .iter()
                    .map(|(p, t)| prepare_finger(*p, t, false))
                    .collect()
            })
            .collect();
        for ((subject, _), fingers) in batch.iter().zip(prepared) {
            self.append(*subject, fingers);
        }
        Ok(())
    }

    /// Replace everything held for a subject by one new encounter.
    pub fn update(
        &mut self,
        subject: SubjectId,
        fingers: &[(FingerPosition, Template)],
    ) -> Result<(), IdentError> {
        check_fingers(fingers)?;
        self.remove(subject);
        self.enrol(subject, fingers)
    }

    fn append(&mut self, subject: SubjectId, fingers: Vec<Prepared>) {
        let slot = match self.index.get(&subject) {
            Some(&s) => s,
            None => {
                self.subjects.push(Subject {
                    id: subject,
                    records: Vec::new(),
                });
                let s = (self.subjects.len() - 1) as u32;
                self.index.insert(subject, s);
                s
            }
        };
        for f in fingers {
            let r = self.records.len() as u32;
            self.records.push(Record {
                minutiae_start: self.minutiae.len() as u32,
                count: f.minutiae.len() as u8,
                position: f.position.code(),
                width: f.width,
                height: f.height,
            });
            self.minutiae.extend_from_slice(&f.minutiae);
            self.descriptors.extend_from_slice(&f.descriptor);
            self.centred.push(f.centred);
            self.triplets.add(r, f.position.code(), &f.keys);
            self.subjects[slot as usize].records.push(r);
            self.live_records += 1;
        }
    }

    /// Remove a subject and all its encounters: it stops matching at once.
    /// Returns whether it was enrolled. (Its bytes stay until [`Self::compact`]
    /// or the next save.)
    pub fn remove(&mut self, subject: SubjectId) -> bool {
        let Some(slot) = self.index.remove(&subject) else {
            return false;
        };
        let records = std::mem::take(&mut self.subjects[slot as usize].records);
        for r in records {
            self.records[r as usize].position = 0;
            self.live_records -= 1;
        }
        true
    }

    /// Rebuild without removed subjects' data (through the file format,
    /// which writes live subjects only).
    pub fn compact(&mut self) {
        match Gallery::from_bytes(&self.to_bytes()) {
            Ok(fresh) => *self = fresh,
            Err(e) => debug_assert!(false, "a gallery must read back its own bytes: {e}"),
        }
    }

    fn packed(&self, rec: Record) -> &[PackedMinutia] {
        let s = rec.minutiae_start as usize;
        &self.minutiae[s..s + rec.count as usize]
    }

    /// A stored finger as a template (directions quantised to 1/256 turn).
    fn template(&self, rec: Record) -> Template {
        Template {
            width: rec.width,
            height: rec.height,
            minutiae: self.packed(rec).iter().map(unpack).collect(),
        }
    }

    /// The fingers enrolled for a subject (every encounter), as stored.
    pub fn fingers_of(&self, subject: SubjectId) -> Vec<(FingerPosition, Template)> {
        let Some(&slot) = self.index.get(&subject) else {
            return Vec::new();
        };
        self.subjects[slot as usize]
            .records
            .iter()
            .map(|&r| {
                let rec = self.records[r as usize];
                (FingerPosition(rec.position), self.template(rec))
            })
            .collect()
    }

    /// After bulk enrolment: fold every pending key into the index and
    /// release spare capacity (searches get a little faster, memory smaller).
    pub fn optimise(&mut self) {
        self.triplets.build();
        self.triplets.shrink_to_fit();
        self.subjects.shrink_to_fit();
        self.records.shrink_to_fit();
        self.descriptors.shrink_to_fit();
        self.centred.shrink_to_fit();
        self.minutiae.shrink_to_fit();
    }

    /// Heap bytes held (capacity, including removed records not yet compacted).
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        self.subjects.capacity() * size_of::<Subject>()
            + self
                .subjects
                .iter()
                .map(|s| s.records.capacity() * 4)
                .sum::<usize>()
            // A hash map entry: key, value and about one control byte, at
            // the map's load factor of 7/8.
            + self.index.capacity() * (size_of::<(SubjectId, u32)>() + 1) * 8 / 7
            + self.records.capacity() * size_of::<Record>()
            + self.descriptors.capacity()
            + self.centred.capacity() * std::mem::size_of::<descriptor::Centred>()
            + self.minutiae.capacity() * size_of::<PackedMinutia>()
            + self.triplets.memory_bytes()
    }

    /// Search the gallery with a probe of any fingers (each position once).
    pub fn search(
        &self,
        probe: &[(FingerPosition, Template)],
        params: &SearchParams,
    ) -> Result<SearchResult, IdentError> {
        check_fingers(probe)?;
        let threshold = params.threshold.unwrap_or_else(|| {
            fusion::threshold_for_fpir(params.fpir, self.subjects(), probe.len())
        });
        let (probe_desc, finger_of) = prepare_probe(probe);
        let shortlist = self.filter(&probe_desc, &finger_of, params.shortlist.max(params.top_k));
        let matchers: Vec<Matcher> = probe.iter().map(|(_, t)| Matcher::new(t)).collect();
        let model = fusion::model();
        let mut candidates: Vec<Candidate> = shortlist
            .par_iter()
            .map(|&(filter, slot)| {
                let mut best: Vec<Option<f32>> = vec![None; probe.len()];
                for &r in &self.subjects[slot as usize].records {
                    let rec = self.records[r as usize];
                    let f = finger_of[rec.position as usize];
                    if f == u8::MAX {
                        continue;
                    }
                    // Candidate side only: the probe-side hash would be
                    // most of the preparation's cost and is never read.
                    let prepared = PreparedTemplate::candidate(&self.template(rec));
                    let score = matchers[f as usize].compare(&prepared);
                    let b = &mut best[f as usize];
                    *b = Some(b.map_or(score, |s: f32| s.max(score)));
                }
                let fingers: Vec<FingerScore> = best
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| {
                        s.map(|score| FingerScore {
                            position: probe[i].0,
                            score,
                            llr: model.llr(score),
                        })
                    })
                    .collect();
                Candidate {
                    subject: self.subjects[slot as usize].id,
                    fused: fingers.iter().map(|f| f.llr).sum(),
                    filter,
                    fingers,
                }
            })
            .collect();
        candidates.sort_by(|a, b| {
            b.fused
                .total_cmp(&a.fused)
                .then(b.filter.total_cmp(&a.filter))
                .then(a.subject.cmp(&b.subject))
        });
        let ranked: Vec<SubjectId> = shortlist
            .iter()
            .map(|&(_, s)| self.subjects[s as usize].id)
            .collect();
        candidates.truncate(params.top_k);
        let decision = match candidates.first() {
            Some(c) if c.fused >= threshold => Decision::Ident,
            _ => Decision::NonIdent,
        };
        Ok(SearchResult {
            decision,
            threshold,
            candidates,
            penetration: ranked.len() as f64 / self.subjects().max(1) as f64,
            shortlist: ranked,
        })
    }

    /// Stage 1 alone, for measuring the filter: the `keep` subjects with
    /// the best filter scores, best first, as [`Self::search`] would pass
    /// them to the full matcher.
    pub fn filter_only(
        &self,
        probe: &[(FingerPosition, Template)],
        keep: usize,
    ) -> Result<Vec<(SubjectId, f32)>, IdentError> {
        check_fingers(probe)?;
        let (prepared, finger_of) = prepare_probe(probe);
        Ok(self
            .filter(&prepared, &finger_of, keep)
            .into_iter()
            .map(|(score, slot)| (self.subjects[slot as usize].id, score))
            .collect())
    }

    /// First stage: every live record at a probed position, compared by
    /// descriptor, and the records sharing triplet keys with the probe
    /// finger, weighted by rarity. Both are z-scored per probe finger over
    /// the gallery (so that no finger dominates by its minutiae count) and
    /// added; a subject's filter score is the sum over probe fingers of its
    /// best record at that position. The two signals fail on different
    /// mates: on synthetic two-finger probes, keeping 99 % of mates takes
    /// 36 % of the gallery with the histogram alone, 43 % with the triplets
    /// alone, 5 % with both. Returns the `keep` best (score, subject slot).
    fn filter(&self, probe: &[Prepared], finger_of: &[u8; 11], keep: usize) -> Vec<(f32, u32)> {
        let ev = self.evidence(probe, finger_of, 0.0);
        let mut scored = self.subject_scores(&ev, finger_of, probe.len(), 0);
        let by_score = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if keep < scored.len() {
            scored.select_nth_unstable_by(keep, by_score);
            scored.truncate(keep);
        }
        scored.sort_unstable_by(by_score);
        scored
    }

    /// Experiment hook: the mate's rank (0 = first) under each scoring
    /// variant, or `None` when it is not in the gallery's scored subjects.
    #[doc(hidden)]
    pub fn filter_variant_ranks(
        &self,
        probe: &[(FingerPosition, Template)],
        mate: SubjectId,
        variants: &[u32],
    ) -> Result<Vec<Option<usize>>, IdentError> {
        check_fingers(probe)?;
        let (prepared, finger_of) = prepare_probe(probe);
        const OFFSETS: [f32; 4] = [0.0, 1.0, 2.0, 3.0];
        let evs: Vec<Evidence> = OFFSETS
            .iter()
            .take(1 + variants.iter().map(|&v| v as usize / 100).max().unwrap_or(0))
            .map(|&o| self.evidence(&prepared, &finger_of, o))
            .collect();
        let ev = &evs[0];
        let Some(&mate_slot) = self.index.get(&mate) else {
            return Ok(vec![None; variants.len()]);
        };
        if std::env::var_os("FV_DEBUG").is_some() {
            for &r in &self.subjects[mate_slot as usize].records {
                let r = r as usize;
                let sim = ev.sims[r];
                if sim.is_nan() {
                    continue;
                }
                let f = finger_of[self.records[r].position as usize] as usize;
                let zn = ev.norm[f];
                let zh = (sim - zn.0) * zn.1;
                let zt = (ev.trip[r] - zn.2) * zn.3;
                let c = zh + zt;
                let mut above = 0;
                for q in 0..self.records.len() {
                    if ev.sims[q].is_nan() || finger_of[self.records[q].position as usize] as usize != f {
                        continue;
                    }
                    let x = (ev.sims[q] - zn.0) * zn.1 + (ev.trip[q] - zn.2) * zn.3;
                    above += usize::from(x > c);
                }
                eprintln!(
                    "mate {mate} finger {f}: sim {sim:.3} zh {zh:.2} vote {:.2} zt {:.2} hits {} count {} probe minutiae {} probe keys {} rank alone {above}; vote mean {:.2} sd {:.2}",
                    ev.trip[r], zt, ev.hits[r], self.records[r].count, prepared[f].minutiae.len(), prepared[f].probe_keys.len(), zn.2, 1.0 / zn.3
                );
            }
        }
        Ok(variants
            .iter()
            .map(|&v| {
                let scored =
                    self.subject_scores(&evs[(v / 100) as usize], &finger_of, prepared.len(), v % 100);
                let m = scored.iter().find(|s| s.1 == mate_slot)?;
                Some(
                    scored
                        .iter()
                        .filter(|s| s.0 > m.0 || (s.0 == m.0 && s.1 < m.1))
                        .count(),
                )
            })
            .collect())
    }

    /// The filter's raw evidence per record (see [`Self::filter`]).
    fn evidence(&self, probe: &[Prepared], finger_of: &[u8; 11], offset: f32) -> Evidence {
        const CHUNK: usize = 4096;
        let n = self.records.len();
        let mut sims = vec![f32::NAN; n];
        let fingers = probe.len();
        let profile = descriptor::profile();
        // Per probe finger: count, sum, sum of squares.
        let moments: Vec<(f64, f64, f64)> = sims
            .par_chunks_mut(CHUNK)
            .enumerate()
            .map(|(c, out)| {
                let mut m = vec![(0f64, 0f64, 0f64); fingers];
                for (i, o) in out.iter_mut().enumerate() {
                    let r = c * CHUNK + i;
                    let f = finger_of[self.records[r].position as usize];
                    if f == u8::MAX {
                        continue;
                    }
                    let p = &probe[f as usize];
                    let d = &self.descriptors[r * DIM..(r + 1) * DIM];
                    let s = profile.similarity(&p.descriptor, p.centred, d, self.centred[r]);
                    *o = s;
                    let e = &mut m[f as usize];
                    *e = (e.0 + 1.0, e.1 + s as f64, e.2 + (s * s) as f64);
                }
                m
            })
            .reduce(
                || vec![(0.0, 0.0, 0.0); fingers],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x = (x.0 + y.0, x.1 + y.1, x.2 + y.2);
                    }
                    a
                },
            );
        // Triplet evidence, per probe finger against fingers at its position:
        // each record scores the weight of its hits that agree on one
        // rotation and translation (see [`vote`]).
        let scored_hits: Vec<Vec<(u32, f32, u32)>> = probe
            .par_iter()
            .map(|p| {
                let position = p.position.code();
                let mut found = self.triplets.hits_by_record(&p.probe_keys, position, n);
                if offset != 0.0 {
                    for w in found.weights.iter_mut() {
                        *w = (*w - offset).max(0.0);
                    }
                }
                let mut scratch = vote::Scratch::default();
                found
                    .each()
                    // Removed records (position 0) are still in the index.
                    .filter(|&(r, _)| self.records[r as usize].position == position)
                    .map(|(r, hits)| {
                        let score = vote::geometric_consistent(
                            hits,
                            &found.weights,
                            &p.probe_keys,
                            &mut scratch,
                        );
                        (r, score, hits.len() as u32)
                    })
                    .collect()
            })
            .collect();
        let mut trip = vec![0f32; n];
        let mut hits = vec![0u32; n];
        let mut trip_moments = vec![(0f64, 0f64); fingers];
        for (f, v) in scored_hits.iter().enumerate() {
            // Records without hits add nothing to the sums.
            for &(r, t, h) in v {
                trip[r as usize] = t;
                hits[r as usize] = h;
                trip_moments[f].0 += t as f64;
                trip_moments[f].1 += (t * t) as f64;
            }
        }
        let z = |k: f64, s: f64, s2: f64| {
            let mean = s / k.max(1.0);
            let var = (s2 / k.max(1.0) - mean * mean).max(1e-12);
            (mean as f32, 1.0 / var.sqrt() as f32)
        };
        // Per probe finger: (histogram mean, 1/sd, triplet mean, 1/sd).
        let norm: Vec<(f32, f32, f32, f32)> = moments
            .iter()
            .zip(&trip_moments)
            .map(|(&(k, s, s2), &(t, t2))| {
                let (hm, hs) = z(k, s, s2);
                let (tm, ts) = z(k, t, t2);
                (hm, hs, tm, ts)
            })
            .collect();
        // Per probe finger and bucket of the record's minutiae count: the
        // votes' mean and 1/sd, of ln(1 + vote) too, and the votes sorted.
        let mut bucket_moments = vec![[(0f64, 0f64, 0f64, 0f64, 0f64); BUCKETS]; fingers];
        let mut sorted: Vec<Vec<Vec<f32>>> = vec![vec![Vec::new(); BUCKETS]; fingers];
        let mut all_sorted: Vec<Vec<f32>> = vec![Vec::new(); fingers];
        let mut sim_moments = vec![[(0f64, 0f64, 0f64); BUCKETS]; fingers];
        for r in 0..n {
            if sims[r].is_nan() {
                continue;
            }
            let f = finger_of[self.records[r].position as usize] as usize;
            let t = trip[r] as f64;
            let l = (1.0 + t).ln();
            let b = bucket(self.records[r].count);
            let e = &mut bucket_moments[f][b];
            *e = (e.0 + 1.0, e.1 + t, e.2 + t * t, e.3 + l, e.4 + l * l);
            sorted[f][b].push(trip[r]);
            let h = sims[r] as f64;
            let e = &mut sim_moments[f][b];
            *e = (e.0 + 1.0, e.1 + h, e.2 + h * h);
            all_sorted[f].push(trip[r]);
        }
        for v in sorted.iter_mut().flatten().chain(all_sorted.iter_mut()) {
            v.sort_unstable_by(f32::total_cmp);
        }
        let cond: Vec<[(f32, f32, f32, f32); BUCKETS]> = bucket_moments
            .iter()
            .zip(&norm)
            .map(|(b, g)| {
                let mut out = [(0f32, 1f32, 0f32, 1f32); BUCKETS];
                let mut last = (g.2, g.3, 0f32, 1f32);
                for (o, &(k, s, s2, l, l2)) in out.iter_mut().zip(b.iter()) {
                    if k >= MIN_BUCKET {
                        let (a, b) = z(k, s, s2);
                        let (c, d) = z(k, l, l2);
                        last = (a, b, c, d);
                    }
                    *o = last;
                }
                out
            })
            .collect();
        let sim_cond: Vec<[(f32, f32); BUCKETS]> = sim_moments
            .iter()
            .zip(&norm)
            .map(|(b, g)| {
                let mut out = [(0f32, 1f32); BUCKETS];
                let mut last = (g.0, g.1);
                for (o, &(k, s, s2)) in out.iter_mut().zip(b.iter()) {
                    if k >= MIN_BUCKET {
                        last = z(k, s, s2);
                    }
                    *o = last;
                }
                out
            })
            .collect();
        let log_moments: Vec<(f32, f32)> = bucket_moments
            .iter()
            .map(|b| {
                let (k, l, l2) = b.iter().fold((0.0, 0.0, 0.0), |a, e| (a.0 + e.0, a.1 + e.3, a.2 + e.4));
                z(k, l, l2)
            })
            .collect();
        Evidence {
            sims,
            trip,
            hits,
            norm,
            cond,
            sorted,
            all_sorted,
            log_moments,
            sim_cond,
        }
    }

    /// Every live subject with a record at a probed position and its
    /// filter score under scoring `variant`: (score, subject slot).
    fn subject_scores(
        &self,
        ev: &Evidence,
        finger_of: &[u8; 11],
        fingers: usize,
        variant: u32,
    ) -> Vec<(f32, u32)> {
        self.subjects
            .par_iter()
            .enumerate()
            .filter_map(|(slot, s)| {
                if s.records.is_empty() {
                    return None;
                }
                let mut best = [f32::NEG_INFINITY; 10];
                let mut any = false;
                for &r in &s.records {
                    let r = r as usize;
                    let sim = ev.sims[r];
                    if sim.is_nan() {
                        continue;
                    }
                    let f = finger_of[self.records[r].position as usize] as usize;
                    let zn = ev.norm[f];
                    let zh = (sim - zn.0) * zn.1;
                    let zt = (ev.trip[r] - zn.2) * zn.3;
                    let b = bucket(self.records[r].count);
                    let (cm, cs, lm, ls) = ev.cond[f][b];
                    let t = ev.trip[r];
                    let zc = (t - cm) * cs;
                    let lt = (1.0 + t).ln();
                    let zl = (lt - lm) * ls;
                    let (gm, gs) = ev.log_moments[f];
                    let zg = (lt - gm) * gs;
                    let (hcm, hcs) = ev.sim_cond[f][b];
                    let zhc = (sim - hcm) * hcs;
                    let emp = |v: &Vec<f32>| {
                        let above = v.len() - v.partition_point(|&x| x < t);
                        -(((above + 1) as f32) / (v.len() + 1) as f32).ln()
                    };
                    let score = match variant {
                        0 => zh + zt,
                        1 => zh + zc,
                        2 => tail(zh) + tail(zc),
                        3 => zh + zl,
                        4 => tail(zh) + tail(zl),
                        5 => tail(zh) + tail(zt),
                        6 => zh + zg,
                        7 => tail(zh) + tail(zg),
                        8 => tail(zh) + emp(&ev.sorted[f][b]),
                        9 => tail(zh) + emp(&ev.all_sorted[f]),
                        10 => tail(zh + zl),
                        11 => zh.max(0.0) + zl.max(0.0),
                        12 => 0.7 * zh + zc,
                        13 => zhc + zc,
                        14 => 0.7 * zhc + zc,
                        15 => zhc + zt,
                        16 => zh + 0.7 * zc,
                        17 => tail(zhc) + tail(zc),
                        _ => unreachable!(),
                    };
                    best[f] = best[f].max(score);
                    any = true;
                }
                any.then(|| {
                    let total = best[..fingers].iter().filter(|v| v.is_finite()).sum();
                    (total, slot as u32)
                })
            })
            .collect()
    }
}

/// Minutiae-count buckets of the conditional vote model.
const BUCKETS: usize = 40;
/// Records a bucket needs for its own mean and spread (else the next
/// smaller bucket's are used).
const MIN_BUCKET: f64 = 50.0;

fn bucket(count: u8) -> usize {
    (count as usize).min(BUCKETS - 1)
}

/// -ln of the standard normal upper tail at z (for z below zero about
/// 0, for large z about z^2/2).
fn tail(z: f32) -> f32 {
    let z = z as f64;
    // Complementary error function (Numerical Recipes' erfcc, rel. error
    // < 1.2e-7), as -ln: erfc(x) = t exp(-x^2 + poly(t)).
    let x = z * std::f64::consts::FRAC_1_SQRT_2;
    let ax = x.abs();
    let t = 1.0 / (1.0 + 0.5 * ax);
    let poly = -1.26551223
        + t * (1.00002368
            + t * (0.37409196
                + t * (0.09678418
                    + t * (-0.18628806
                        + t * (0.27886807
                            + t * (-1.13520398
                                + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
    // ln erfc(|x|)
    let ln_erfc = t.ln() - ax * ax + poly;
    let ln_q = if x >= 0.0 {
        ln_erfc - std::f64::consts::LN_2
    } else {
        (1.0 - 0.5 * ln_erfc.exp()).ln()
    };
    -ln_q as f32
}

/// Raw filter evidence of one probe ([`Gallery::evidence`]).
struct Evidence {
    /// Histogram similarity per record (NaN: not at a probed position).
    sims: Vec<f32>,
    /// Best geometric vote per record (0 without hits).
    trip: Vec<f32>,
    /// Triplet hits per record.
    hits: Vec<u32>,
    /// Per probe finger: (histogram mean, 1/sd, vote mean, 1/sd).
    norm: Vec<(f32, f32, f32, f32)>,
    /// Per probe finger and minutiae-count bucket: vote mean and 1/sd,
    /// ln(1 + vote) mean and 1/sd.
    cond: Vec<[(f32, f32, f32, f32); BUCKETS]>,
    sorted: Vec<Vec<Vec<f32>>>,
    all_sorted: Vec<Vec<f32>>,
    log_moments: Vec<(f32, f32)>,
    sim_cond: Vec<[(f32, f32); BUCKETS]>,
}
