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
use crate::vote_norm::{z_norm, VoteMoments, VoteNorm};
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
        ..Default::default()
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
    for (p, template) in fingers {
        if std::mem::replace(&mut seen[p.code() as usize], true) {
            return Err(IdentError::DuplicatePosition(p.code()));
        }
        // Accurate templates score higher against strangers as well as
        // mates: the fast profile's tables would misread them.
        if template.profile != scomm_fingerprint::Profile::Fast {
            return Err(IdentError::Profile {
                position: p.code(),
                profile: template.profile,
            });
        }
    }
    Ok(())
}

/// A probe's fingers that carry evidence, and those set aside.
fn usable_fingers(
    probe: &[(FingerPosition, Template)],
) -> (Vec<(FingerPosition, Template)>, Vec<SetAside>) {
    let mut usable = Vec::with_capacity(probe.len());
    let mut set_aside = Vec::new();
    for (position, template) in probe {
        match fusion::probe_unusable(template) {
            Some(reason) => set_aside.push(SetAside {
                position: *position,
                reason,
            }),
            None => usable.push((*position, template.clone())),
        }
    }
    (usable, set_aside)
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
    /// A fused-LLR threshold measured for this gallery and the probe's
    /// fingers as searched, overriding the one the score model gives for
    /// `fpir` (see [`fusion::threshold_for_fpir`]). A candidate compared on
    /// fewer fingers (an enrolled finger too poor to compare) is held to it
    /// raised by what the model adds for the fingers it lacks: a measured
    /// level keeps the model's difference between finger counts.
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
    /// Every probe finger was set aside as too poor to compare (see
    /// [`SearchResult::set_aside`]): nothing was searched, and the probe
    /// says nothing either way. Recapture.
    NoUsableFinger,
}

/// A probe finger the search set aside, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetAside {
    pub position: FingerPosition,
    pub reason: fusion::Unusable,
}

/// One probe finger against the candidate's best record at that position.
#[derive(Clone, Debug, PartialEq)]
pub struct FingerScore {
    pub position: FingerPosition,
    /// Matcher score (higher is more similar); with several records of
    /// the position, that of the record with the highest LLR.
    pub score: f32,
    /// Its log-likelihood ratio given both templates' minutiae counts and
    /// the pairing's minutia kinds ([`fusion::ScoreModel::llr_of`]).
    pub llr: f64,
    /// Minutia pairs of the best pairing whose kinds are both known, and
    /// how many of them agree in kind.
    pub kinds_compared: u32,
    pub kinds_agreeing: u32,
}

#[derive(Clone, Debug)]
pub struct Candidate {
    pub subject: SubjectId,
    /// Sum of the fingers' LLRs: the ranking and decision score.
    pub fused: f64,
    /// The fused-LLR threshold this candidate is held to: the one for the
    /// fingers it was compared on (`fingers.len()`), which is fewer than
    /// the probe's where its enrolled finger at a position is too poor to
    /// compare (a subject compared on no finger is not a candidate).
    pub threshold: f64,
    /// The first stage's score (sum of per-finger normalised similarities).
    pub filter: f32,
    /// Per probe finger compared: an enrolled finger too poor to compare
    /// (under [`fusion::MIN_PROBE_MINUTIAE`], as a probe finger is set
    /// aside) is not compared, and its position is missing here.
    pub fingers: Vec<FingerScore>,
}

#[derive(Clone, Debug)]
pub struct SearchResult {
    pub decision: Decision,
    /// The fused-LLR threshold for the probe fingers searched (infinite
    /// when none was); a candidate compared on fewer of them is held to
    /// its own [`Candidate::threshold`].
    pub threshold: f64,
    /// Probe fingers too poor to compare ([`fusion::probe_unusable`]): not
    /// searched, not fused, not counted in the threshold.
    pub set_aside: Vec<SetAside>,
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
            ..Default::default()
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
    /// Probe fingers too poor to compare are set aside (listed in the
    /// result); if all are, the decision is [`Decision::NoUsableFinger`].
    /// A measured `params.threshold` is the one for the fingers searched.
    pub fn search(
        &self,
        probe: &[(FingerPosition, Template)],
        params: &SearchParams,
    ) -> Result<SearchResult, IdentError> {
        check_fingers(probe)?;
        let (usable, set_aside) = usable_fingers(probe);
        if usable.is_empty() {
            return Ok(SearchResult {
                decision: Decision::NoUsableFinger,
                threshold: f64::INFINITY,
                set_aside,
                candidates: Vec::new(),
                shortlist: Vec::new(),
                penetration: 0.0,
            });
        }
        let probe = &usable[..];
        // `threshold_for[k - 1]`: for a candidate compared on k fingers (at
        // least one: a subject compared on none is no candidate).
        let modelled: Vec<f64> = (1..=probe.len())
            .map(|k| fusion::threshold_for_fpir(params.fpir, self.subjects(), k))
            .collect();
        let threshold_for: Vec<f64> = match params.threshold {
            None => modelled,
            Some(measured) => {
                let all = modelled[probe.len() - 1];
                modelled
                    .iter()
                    .map(|&t| measured + (t - all).max(0.0))
                    .collect()
            }
        };
        let threshold = threshold_for[probe.len() - 1];
        let (probe_desc, finger_of) = prepare_probe(probe);
        let shortlist = self.filter(&probe_desc, &finger_of, params.shortlist.max(params.top_k));
        let matchers: Vec<Matcher> = probe.iter().map(|(_, t)| Matcher::new(t)).collect();
        let model = fusion::model();
        let mut candidates: Vec<Candidate> = shortlist
            .par_iter()
            .filter_map(|&(filter, slot)| {
                // Per probe finger, the best (LLR, score, kinds compared,
                // kinds agreeing) over the subject's records of that position.
                let mut best: Vec<Option<(f64, f32, u32, u32)>> = vec![None; probe.len()];
                for &r in &self.subjects[slot as usize].records {
                    let rec = self.records[r as usize];
                    let f = finger_of[rec.position as usize];
                    // An enrolled finger too poor to compare carries no
                    // evidence either way, as a probe finger that poor
                    // (`fusion::MIN_PROBE_MINUTIAE` was measured on the
                    // poorer template of a pair, whichever side).
                    if f == u8::MAX || fusion::too_few_to_compare(rec.count as usize) {
                        continue;
                    }
                    // Candidate side only: the probe-side hash would be
                    // most of the preparation's cost and is never read.
                    let prepared = PreparedTemplate::candidate(&self.template(rec));
                    let c = matchers[f as usize].compare_counted(&prepared);
                    let llr = model.llr_of(
                        &c,
                        probe[f as usize].1.minutiae.len(),
                        prepared.minutiae.len(),
                    );
                    let b = &mut best[f as usize];
                    if b.is_none_or(|(l, s, _, _)| (llr, c.score) > (l, s)) {
                        *b = Some((llr, c.score, c.kinds_compared, c.kinds_agreeing));
                    }
                }
                let fingers: Vec<FingerScore> = best
                    .iter()
                    .enumerate()
                    .filter_map(|(i, b)| {
                        b.map(|(llr, score, kinds_compared, kinds_agreeing)| FingerScore {
                            position: probe[i].0,
                            score,
                            llr,
                            kinds_compared,
                            kinds_agreeing,
                        })
                    })
                    .collect();
                // Compared on no finger: nothing to say of this subject.
                (!fingers.is_empty()).then(|| Candidate {
                    subject: self.subjects[slot as usize].id,
                    fused: fingers.iter().map(|f| f.llr).sum(),
                    threshold: threshold_for[fingers.len() - 1],
                    filter,
                    fingers,
                })
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
            Some(c) if c.fused >= c.threshold => Decision::Ident,
            _ => Decision::NonIdent,
        };
        Ok(SearchResult {
            decision,
            threshold,
            set_aside,
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
        let (usable, _) = usable_fingers(probe);
        let (prepared, finger_of) = prepare_probe(&usable);
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
    /// alone, 5 % with both. The triplet vote is z-scored among the records
    /// of the same minutiae count ([`VoteNorm`]): a stranger's vote is the
    /// best bin of its chance hits, which grow with its triplets, so a
    /// dense finger's chance vote is no evidence against a sparse mate.
    /// Returns the `keep` best (score, subject slot).
    fn filter(&self, probe: &[Prepared], finger_of: &[u8; 11], keep: usize) -> Vec<(f32, u32)> {
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
        let scored_hits: Vec<Vec<(u32, f32)>> = probe
            .par_iter()
            .map(|p| {
                let position = p.position.code();
                let found = self.triplets.hits_by_record(&p.probe_keys, position, n);
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
                        (r, score)
                    })
                    .collect()
            })
            .collect();
        let mut trip = vec![0f32; n];
        for v in &scored_hits {
            for &(r, t) in v {
                trip[r as usize] = t;
            }
        }
        // Per probe finger: the histogram's (mean, 1/sd), and the votes'
        // by minutiae count of the record (records without hits vote 0).
        let hist: Vec<(f32, f32)> = moments.iter().map(|&m| z_norm(m)).collect();
        let votes: Vec<VoteNorm> = sims
            .par_chunks(CHUNK)
            .zip(trip.par_chunks(CHUNK))
            .enumerate()
            .map(|(c, (sims, trip))| {
                let mut m = vec![VoteMoments::default(); fingers];
                for (i, (s, &t)) in sims.iter().zip(trip).enumerate() {
                    if s.is_nan() {
                        continue;
                    }
                    let rec = &self.records[c * CHUNK + i];
                    let f = finger_of[rec.position as usize] as usize;
                    m[f].add(rec.count, t);
                }
                m
            })
            .reduce(
                || vec![VoteMoments::default(); fingers],
                |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| x.merge(y));
                    a
                },
            )
            .iter()
            .map(VoteMoments::norm)
            .collect();
        let mut scored: Vec<(f32, u32)> = self
            .subjects
            .par_iter()
            .enumerate()
            .filter_map(|(slot, s)| {
                if s.records.is_empty() {
                    return None;
                }
                let mut best = [f32::NEG_INFINITY; 10];
                let mut any = false;
                for &r in &s.records {
                    let sim = sims[r as usize];
                    if sim.is_nan() {
                        continue;
                    }
                    let rec = &self.records[r as usize];
                    let f = finger_of[rec.position as usize] as usize;
                    let (hm, hs) = hist[f];
                    let score = (sim - hm) * hs + votes[f].z(rec.count, trip[r as usize]);
                    best[f] = best[f].max(score);
                    any = true;
                }
                any.then(|| {
                    let total = best[..fingers].iter().filter(|v| v.is_finite()).sum();
                    (total, slot as u32)
                })
            })
            .collect();
        let by_score = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if keep < scored.len() {
            scored.select_nth_unstable_by(keep, by_score);
            scored.truncate(keep);
        }
        scored.sort_unstable_by(by_score);
        scored
    }
}
