use crate::synthetic::{capture, ImpressionParams};
use crate::*;

pub(crate) fn tenprint(
    subject: u64,
    encounter: u64,
) -> Vec<(FingerPosition, scomm_fingerprint::Template)> {
    let positions: Vec<FingerPosition> = FingerPosition::all().collect();
    capture(subject, encounter, &positions, &ImpressionParams::default())
}

pub(crate) fn gallery(subjects: u64) -> Gallery {
    let batch: Vec<_> = (0..subjects).map(|s| (s, tenprint(s, 0))).collect();
    let mut g = Gallery::new();
    g.enrol_batch(&batch).unwrap();
    g
}

fn only(
    fingers: Vec<(FingerPosition, scomm_fingerprint::Template)>,
    keep: &[FingerPosition],
) -> Vec<(FingerPosition, scomm_fingerprint::Template)> {
    fingers
        .into_iter()
        .filter(|(p, _)| keep.contains(p))
        .collect()
}

#[test]
fn mates_rank_first_and_strangers_are_not_identified() {
    let g = gallery(200);
    assert_eq!((g.subjects(), g.fingers()), (200, 2000));
    let params = SearchParams::default();
    for s in [3u64, 77, 150] {
        let r = g.search(&tenprint(s, 1), &params).unwrap();
        assert_eq!(r.candidates[0].subject, s);
        assert_eq!(r.decision, Decision::Ident);
        assert_eq!(r.candidates[0].fingers.len(), 10);
        let two = only(
            tenprint(s, 1),
            &[FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX],
        );
        let r2 = g.search(&two, &params).unwrap();
        assert_eq!(r2.candidates[0].subject, s, "two-finger search");
        assert_eq!(r2.candidates[0].fingers.len(), 2);
    }
    for stranger in [10_000u64, 10_001] {
        let r = g.search(&tenprint(stranger, 1), &params).unwrap();
        assert_eq!(r.decision, Decision::NonIdent, "{:?}", r.candidates[0]);
    }
}

#[test]
fn filter_keeps_mates_in_a_short_shortlist() {
    let g = gallery(300);
    let params = SearchParams {
        shortlist: 15, // 5 % penetration
        ..Default::default()
    };
    let kept = (0..30u64)
        .filter(|&s| {
            let r = g.search(&tenprint(s, 2), &params).unwrap();
            assert!((r.penetration - 0.05).abs() < 1e-9);
            r.shortlist.contains(&s)
        })
        .count();
    assert!(kept >= 29, "{kept}/30 mates kept");
}

#[test]
fn removed_subject_stops_matching_and_update_replaces() {
    let mut g = gallery(50);
    let probe = tenprint(20, 1);
    assert!(g.remove(20));
    assert!(!g.remove(20));
    assert!(!g.contains(20));
    assert_eq!(g.fingers(), 490);
    let r = g.search(&probe, &SearchParams::default()).unwrap();
    assert!(r.candidates.iter().all(|c| c.subject != 20));
    assert!(r.shortlist.iter().all(|&s| s != 20));
    assert_eq!(r.decision, Decision::NonIdent);
    // Re-enrolled under another id, the same person is found there.
    g.update(999, &tenprint(20, 0)).unwrap();
    let r = g.search(&probe, &SearchParams::default()).unwrap();
    assert_eq!(r.candidates[0].subject, 999);
    // Compaction and a save/load round trip keep exactly the live data.
    let before = g.search(&probe, &SearchParams::default()).unwrap();
    g.compact();
    let reloaded = Gallery::from_bytes(&g.to_bytes()).unwrap();
    assert_eq!(reloaded.subjects(), 50);
    assert_eq!(reloaded.fingers(), 500);
    let after = reloaded.search(&probe, &SearchParams::default()).unwrap();
    assert_eq!(before.candidates[0].subject, after.candidates[0].subject);
    assert_eq!(before.candidates[0].fused, after.candidates[0].fused);
    assert_eq!(g.fingers_of(999), reloaded.fingers_of(999));
}

#[test]
fn extra_encounters_are_searched() {
    let mut g = Gallery::new();
    let idx = [FingerPosition::RIGHT_INDEX];
    // Subject 1's first encounter is a different finger: only its second
    // encounter can match the probe.
    g.enrol(1, &only(tenprint(500, 0), &idx)).unwrap();
    for s in 2..40 {
        g.enrol(s, &only(tenprint(s, 0), &idx)).unwrap();
    }
    g.enrol(1, &only(tenprint(1, 0), &idx)).unwrap();
    assert_eq!((g.subjects(), g.fingers()), (39, 40));
    let r = g
        .search(&only(tenprint(1, 1), &idx), &SearchParams::default())
        .unwrap();
    assert_eq!(r.candidates[0].subject, 1);
}

#[test]
fn bad_probes_and_enrolments_are_errors() {
    let mut g = Gallery::new();
    assert!(matches!(g.enrol(1, &[]), Err(IdentError::NoFingers)));
    let t = tenprint(1, 0);
    let twice = vec![t[0].clone(), t[0].clone()];
    assert!(matches!(
        g.enrol(1, &twice),
        Err(IdentError::DuplicatePosition(1))
    ));
    assert!(matches!(
        FingerPosition::new(11),
        Err(IdentError::BadPosition(11))
    ));
    assert!(FingerPosition::new(0).is_err());
    let r = g.search(&t, &SearchParams::default()).unwrap();
    assert!(r.candidates.is_empty());
    assert_eq!(r.decision, Decision::NonIdent);
    // An accurate-profile template is refused, enrolled or searched, by
    // position; nothing is enrolled.
    let mut accurate = t.clone();
    accurate[2].1.profile = scomm_fingerprint::Profile::Accurate;
    let position = accurate[2].0.code();
    for result in [
        g.enrol(1, &accurate).map(|_| ()),
        g.search(&accurate, &SearchParams::default()).map(|_| ()),
    ] {
        match result {
            Err(e @ IdentError::Profile { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains(&format!("position {position}")) && text.contains("accurate"),
                    "{text}"
                );
            }
            other => panic!("expected a profile error, got {other:?}"),
        }
    }
    assert_eq!(g.subjects(), 0);
}

#[test]
fn memory_per_finger_is_small() {
    let mut g = gallery(300);
    g.optimise();
    // The index's offsets table is a fixed 16 MiB (16 bytes per finger at
    // a million fingers); everything else grows with the gallery.
    let table = crate::index::TripletIndex::TABLE_BYTES;
    let per_finger = (g.memory_bytes() - table) as f64 / g.fingers() as f64;
    assert!(per_finger < 1536.0 - 16.0, "{per_finger} bytes per finger");
}

#[test]
fn damaged_files_are_rejected_with_the_defect_named() {
    let g = gallery(5);
    let good = g.to_bytes();
    assert!(Gallery::from_bytes(&good).is_ok());
    let err = |bytes: &[u8]| Gallery::from_bytes(bytes).unwrap_err().to_string();
    assert!(err(&good[..10]).contains("shorter than"));
    assert!(err(&good[..good.len() - 1]).contains("truncated"));
    let mut magic = good.clone();
    magic[0] = b'X';
    assert!(err(&magic).contains("magic"));
    let mut version = good.clone();
    version[8] = 9;
    assert!(err(&version).contains("version 9"));
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    assert!(err(&flipped).contains("checksum"));
    let mut counts = good.clone();
    counts[16] = 6; // six subjects claimed, five written
    assert!(err(&counts).contains("truncated"));
    // Every truncation and every single-byte change is an error, no panic.
    for cut in 0..good.len() {
        assert!(Gallery::from_bytes(&good[..cut]).is_err());
    }
    for i in (0..good.len()).step_by(7) {
        let mut b = good.clone();
        b[i] = b[i].wrapping_add(1);
        assert!(Gallery::from_bytes(&b).is_err(), "byte {i}");
    }
}

#[test]
fn semantic_defects_behind_a_valid_checksum_are_named() {
    let g = gallery(2);
    let mut b = g.to_bytes();
    // Subject 1 given subject 0's id, checksum recomputed.
    let h = crate::store::HEADER;
    let id0: [u8; 8] = b[h..h + 8].try_into().unwrap();
    b[h + 12..h + 20].copy_from_slice(&id0);
    let crc = crc32fast::hash(&b[h..]);
    b[40..44].copy_from_slice(&crc.to_le_bytes());
    let e = Gallery::from_bytes(&b).unwrap_err().to_string();
    assert!(e.contains("appears twice"), "{e}");
    // A finger at position 12.
    let mut b = g.to_bytes();
    b[h + 24] = 12;
    let crc = crc32fast::hash(&b[h..]);
    b[40..44].copy_from_slice(&crc.to_le_bytes());
    let e = Gallery::from_bytes(&b).unwrap_err().to_string();
    assert!(e.contains("position code 12"), "{e}");
}

#[test]
fn save_and_load_through_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.scg");
    let g = gallery(10);
    g.save(&path).unwrap();
    let back = Gallery::load(&path).unwrap();
    assert_eq!(back.to_bytes(), g.to_bytes());
    let missing = Gallery::load(&dir.path().join("missing")).err().unwrap();
    assert!(matches!(missing, IdentError::Io { .. }), "{missing:?}");
    // The system's reason is in the text, and said only there.
    assert!(std::error::Error::source(&missing).is_none(), "{missing:?}");
    assert!(
        missing.to_string().contains("missing: No such file"),
        "{missing}"
    );
    // Loading reads the file by sections; a damaged file is still named.
    let good = g.to_bytes();
    let load_of = |bytes: &[u8]| {
        let p = dir.path().join("bad.scg");
        std::fs::write(&p, bytes).unwrap();
        Gallery::load(&p).unwrap_err().to_string()
    };
    let e = load_of(&good[..good.len() - 1]);
    assert!(e.contains("truncated or padded"), "{e}");
    let e = load_of(&[&good[..], &[0]].concat());
    assert!(e.contains("truncated or padded"), "{e}");
    let e = load_of(&good[..20]);
    assert!(e.contains("shorter than the 48-byte header"), "{e}");
    let mut altered = good.clone();
    altered[HEADER_BYTES + 3] ^= 1;
    let e = load_of(&altered);
    assert!(e.contains("checksum"), "{e}");
    let mut v2 = good;
    v2[8..12].copy_from_slice(&2u32.to_le_bytes());
    let e = load_of(&v2);
    assert!(e.contains("version 2"), "{e}");
}

/// The gallery file's header length.
const HEADER_BYTES: usize = 48;

#[test]
fn candidate_preparation_scores_exactly_like_the_full_one() {
    // Stage 2 prepares gallery fingers as candidates only
    // (`PreparedTemplate::candidate`); the scores must be those of the full
    // preparation, on this crate's synthetic fingers, mated and not.
    use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};
    for s in 0..40u64 {
        let m = synthetic::MasterFinger::generate(s);
        let probe = Matcher::new(&m.impression(1));
        for other in [
            m.impression(2),
            synthetic::MasterFinger::generate(s + 500).impression(3),
        ] {
            let full = probe.compare(&PreparedTemplate::new(&other));
            let light = probe.compare(&PreparedTemplate::candidate(&other));
            assert_eq!(full.to_bits(), light.to_bits(), "seed {s}");
        }
    }
}

#[test]
fn triplet_cells_survive_save_and_load_and_older_files_are_refused() {
    let g = gallery(20);
    let bytes = g.to_bytes();
    let back = Gallery::from_bytes(&bytes).unwrap();
    let n = g.records.len();
    let (s1, k1, c1) = g.triplets.keys_by_record(n);
    let (s2, k2, c2) = back.triplets.keys_by_record(n);
    assert_eq!((s1, k1), (s2, k2));
    assert_eq!(c1, c2);
    // The cells say where each triplet lies, so they vary.
    let distinct: std::collections::HashSet<u8> = c1.iter().copied().collect();
    assert!(distinct.len() > 50, "{} distinct cells", distinct.len());
    // The file ends with each posting's direction << 8 | cell, by key:
    // the cells, in another order.
    let mut stored: Vec<u8> = bytes[bytes.len() - 2 * c1.len()..]
        .chunks(2)
        .map(|g| g[0])
        .collect();
    let mut cells = c1.clone();
    stored.sort_unstable();
    cells.sort_unstable();
    assert_eq!(stored, cells);
    // The reloaded gallery filters alike.
    let probe = tenprint(4, 1);
    assert_eq!(
        back.filter_only(&probe, 20).unwrap(),
        g.filter_only(&probe, 20).unwrap()
    );
    // A version-2 file (no cells) is named as such, not misread.
    let mut v2 = bytes.clone();
    v2[8..12].copy_from_slice(&2u32.to_le_bytes());
    let e = Gallery::from_bytes(&v2).unwrap_err().to_string();
    assert!(e.contains("version 2"), "{e}");
    // One cell changed: the checksum catches it.
    let mut cell = bytes.clone();
    let last = cell.len() - 1;
    cell[last] = cell[last].wrapping_add(16);
    let e = Gallery::from_bytes(&cell).unwrap_err().to_string();
    assert!(e.contains("checksum"), "{e}");
}

#[test]
fn one_good_finger_is_not_buried_by_a_failed_one() {
    // Two-index probes whose left finger failed (a stranger's print in
    // its place): the right finger alone must still bring the mate near
    // the top of the filter, past strangers with two chance fingers.
    let g = gallery(300);
    let two = [FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX];
    let mut near_top = 0;
    for s in 0..20u64 {
        let mut probe = only(tenprint(s, 1), &two);
        let failed = only(tenprint(50_000 + s, 1), &[FingerPosition::LEFT_INDEX]);
        let left = probe
            .iter()
            .position(|(p, _)| *p == FingerPosition::LEFT_INDEX)
            .unwrap();
        probe[left] = failed[0].clone();
        let kept = g.filter_only(&probe, 3).unwrap();
        near_top += usize::from(kept.iter().any(|&(id, _)| id == s));
    }
    // 17 first with the vote z-scored by minutiae count, and with one z
    // over the position alike; of the other three one ranks 8th or 9th,
    // two 100th to 250th.
    assert!(near_top >= 17, "{near_top}/20 mates in the first 3 of 300");
}

/// A template cut to its first `k` minutiae (a finger too poor to compare
/// when `k < fusion::MIN_PROBE_MINUTIAE`).
fn cut(mut t: scomm_fingerprint::Template, k: usize) -> scomm_fingerprint::Template {
    t.minutiae.truncate(k);
    t
}

#[test]
fn a_probe_finger_too_poor_to_compare_is_set_aside_and_not_counted() {
    let g = gallery(100);
    let params = SearchParams::default();
    let floor = fusion::MIN_PROBE_MINUTIAE;
    let mut probe = only(
        tenprint(42, 1),
        &[FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX],
    );
    assert!(probe.iter().all(|(_, t)| t.minutiae.len() >= floor));
    probe[0].1 = cut(probe[0].1.clone(), floor - 1);
    let r = g.search(&probe, &params).unwrap();
    assert_eq!(
        r.set_aside,
        vec![SetAside {
            position: FingerPosition::RIGHT_INDEX,
            reason: fusion::Unusable::TooFewMinutiae {
                found: floor - 1,
                needed: floor,
            },
        }]
    );
    // Searched, fused and thresholded as the one finger it has.
    assert_eq!(r.threshold, fusion::threshold_for_fpir(1e-3, 100, 1));
    assert!(r
        .candidates
        .iter()
        .all(|c| c.fingers.len() == 1 && c.fingers[0].position == FingerPosition::LEFT_INDEX));
    assert_eq!(r.candidates[0].subject, 42);
    assert_eq!(r.decision, Decision::Ident);
    // Exactly what a search with the good finger alone gives.
    let alone = g.search(&probe[1..], &params).unwrap();
    assert_eq!(alone.candidates[0].fused, r.candidates[0].fused);
    assert_eq!(alone.shortlist, r.shortlist);
    assert!(alone.set_aside.is_empty());
    // At the floor a finger is searched.
    probe[0].1 = cut(tenprint(42, 1)[1].1.clone(), floor);
    let r = g.search(&probe, &params).unwrap();
    assert!(r.set_aside.is_empty());
    assert_eq!(r.threshold, fusion::threshold_for_fpir(1e-3, 100, 2));
}

#[test]
fn an_enrolled_finger_too_poor_to_compare_is_not_evidence_against_its_mate() {
    // Subject 42 enrolled with a right index finger of 7 minutiae (a bad
    // capture at enrolment); searched with both index fingers later.
    let floor = fusion::MIN_PROBE_MINUTIAE;
    let mut batch: Vec<_> = (0..100).map(|s| (s, tenprint(s, 0))).collect();
    for (position, template) in &mut batch[42].1 {
        if *position == FingerPosition::RIGHT_INDEX {
            *template = cut(template.clone(), floor - 1);
        }
    }
    let mut g = Gallery::new();
    g.enrol_batch(&batch).unwrap();
    let params = SearchParams::default();
    let two = [FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX];
    let r = g.search(&only(tenprint(42, 1), &two), &params).unwrap();
    let mate = r.candidates.iter().find(|c| c.subject == 42).unwrap();
    // Compared on the left finger alone, and held to one finger's threshold.
    assert_eq!(mate.fingers.len(), 1);
    assert_eq!(mate.fingers[0].position, FingerPosition::LEFT_INDEX);
    assert_eq!(mate.threshold, fusion::threshold_for_fpir(1e-3, 100, 1));
    assert!(mate.threshold > r.threshold);
    assert_eq!(r.threshold, fusion::threshold_for_fpir(1e-3, 100, 2));
    // Exactly the evidence a search with the left finger alone finds.
    let left = g
        .search(&only(tenprint(42, 1), &two[1..]), &params)
        .unwrap();
    let alone = left.candidates.iter().find(|c| c.subject == 42).unwrap();
    assert_eq!(alone.fused, mate.fused);
    assert_eq!(r.candidates[0].subject, 42);
    assert_eq!(r.decision, Decision::Ident);
    // A measured threshold is the two fingers'; the mate, compared on one,
    // is held to it raised by the model's step from two fingers to one.
    let measured = SearchParams {
        threshold: Some(5.0),
        ..Default::default()
    };
    let m = g.search(&only(tenprint(42, 1), &two), &measured).unwrap();
    assert_eq!(m.threshold, 5.0);
    let held = m.candidates.iter().find(|c| c.subject == 42).unwrap();
    let step = fusion::threshold_for_fpir(1e-3, 100, 1) - fusion::threshold_for_fpir(1e-3, 100, 2);
    assert!(step > 0.0);
    assert_eq!(held.threshold, 5.0 + step);
    assert!(m
        .candidates
        .iter()
        .filter(|c| c.subject != 42)
        .all(|c| c.threshold == 5.0));
    // The other subjects were compared on both fingers.
    assert!(r
        .candidates
        .iter()
        .filter(|c| c.subject != 42)
        .all(|c| c.fingers.len() == 2 && c.threshold == r.threshold));
    // A subject whose every probed finger is too poor is no candidate
    // (though the filter passed it on).
    for (position, template) in &mut batch[42].1 {
        if two.contains(position) {
            *template = cut(template.clone(), floor - 1);
        }
    }
    let mut g = Gallery::new();
    g.enrol_batch(&batch).unwrap();
    let forced = SearchParams {
        threshold: Some(-100.0),
        ..Default::default()
    };
    let r = g.search(&only(tenprint(42, 1), &two), &forced).unwrap();
    assert!(r.shortlist.contains(&42));
    assert!(r.candidates.iter().all(|c| c.subject != 42));
    assert_eq!(r.decision, Decision::Ident);
}

#[test]
fn a_probe_with_no_usable_finger_says_so() {
    let g = gallery(30);
    let probe: Vec<_> = only(
        tenprint(3, 1),
        &[FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX],
    )
    .into_iter()
    .map(|(p, t)| (p, cut(t, 3)))
    .collect();
    let r = g.search(&probe, &SearchParams::default()).unwrap();
    assert_eq!(r.decision, Decision::NoUsableFinger);
    assert_eq!(r.set_aside.len(), 2);
    assert!(r.candidates.is_empty() && r.shortlist.is_empty());
    assert!(r.threshold.is_infinite());
    // Not even a measured threshold turns it into a non-ident.
    let forced = SearchParams {
        threshold: Some(0.0),
        ..Default::default()
    };
    assert_eq!(
        g.search(&probe, &forced).unwrap().decision,
        Decision::NoUsableFinger
    );
    assert!(g.filter_only(&probe, 10).unwrap().is_empty());
    let reason = r.set_aside[0].reason.to_string();
    assert!(reason.contains("3 minutiae"), "{reason}");
}
