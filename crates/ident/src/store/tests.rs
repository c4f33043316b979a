use super::first_bad;

#[test]
fn first_bad_finds_the_first_item_across_blocks() {
    let mut bytes = vec![0u8; 4 * 100_000];
    let bad = |k: &[u8]| k[3] != 0;
    assert_eq!(first_bad(&bytes, 4, bad), None);
    for at in [99_999, 16_384, 16_383, 5] {
        bytes[4 * at + 3] = 1;
        assert_eq!(first_bad(&bytes, 4, bad), Some(at));
    }
}

use super::{Header, DIM, HEADER, RECORD};
use crate::index::TripletIndex;
use crate::tests::{gallery, tenprint};
use crate::Gallery;

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

/// Where a file's index sections start: (directory, postings, geo), and
/// its postings.
fn sections(b: &[u8]) -> (usize, usize, usize, usize) {
    let (s, r) = (u32_at(b, 16) as usize, u32_at(b, 20) as usize);
    let (m, k, d) = (
        u64_at(b, 24) as usize,
        u64_at(b, 32) as usize,
        u32_at(b, 44) as usize,
    );
    let dir = HEADER + s * 12 + r * (RECORD + DIM) + m * 6;
    (dir, dir + d * 8, dir + d * 8 + k * 4, k)
}

/// The checksum recomputed after a change, so that the check behind it is
/// what answers.
fn reseal(b: &mut [u8]) {
    let crc = crc32fast::hash(&b[HEADER..]);
    b[40..44].copy_from_slice(&crc.to_le_bytes());
}

fn err(b: &[u8]) -> String {
    Gallery::from_bytes(b).unwrap_err().to_string()
}

/// The index a version-3 file's load built for `g` saved: each live
/// finger's keys (ascending by entry and cell) in the file's order, by
/// `from_record_keys`.
fn as_version_3_loaded(g: &Gallery) -> TripletIndex {
    let (start, keys, cells) = g.triplets.keys_by_record(g.records.len());
    let (mut s, mut k, mut c, mut positions) = (vec![0usize], Vec::new(), Vec::new(), Vec::new());
    for subject in g.subjects.iter().filter(|s| !s.records.is_empty()) {
        for &r in &subject.records {
            let run = start[r as usize] as usize..start[r as usize + 1] as usize;
            k.extend_from_slice(&keys[run.clone()]);
            c.extend_from_slice(&cells[run]);
            s.push(k.len());
            positions.push(g.records[r as usize].position);
        }
    }
    TripletIndex::from_record_keys(&s, &k, &c, &positions)
}

/// A gallery whose file renumbers its fingers: a subject removed, one
/// updated (re-enrolled at the end), one with a second encounter, and
/// those last fingers' keys still pending.
fn renumbered(subjects: u64) -> Gallery {
    let mut g = gallery(subjects);
    g.optimise();
    assert!(g.remove(1));
    g.update(3, &tenprint(3, 2)).unwrap();
    g.enrol(0, &tenprint(1000, 0)).unwrap();
    assert!(g.triplets.pending_len() > 0);
    g
}

#[test]
fn a_large_index_reads_back_as_a_version_3_load_built_it() {
    // Past the pending floor: the table, read as it is.
    let g = renumbered(200);
    let bytes = g.to_bytes();
    let back = Gallery::from_bytes(&bytes).unwrap();
    assert!(back.triplets.is_table());
    assert_eq!(back.triplets, as_version_3_loaded(&g));
    // The file is the index's own form: saved again, the same bytes.
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!((back.subjects(), back.fingers()), (199, 2000));
    let probe = tenprint(3, 1);
    let kept = back.filter_only(&probe, 20).unwrap();
    assert_eq!(kept[0].0, 3);
}

#[test]
fn a_small_index_reads_back_as_the_pending_list_a_version_3_load_made() {
    let g = renumbered(6);
    let bytes = g.to_bytes();
    let back = Gallery::from_bytes(&bytes).unwrap();
    assert!(!back.triplets.is_table());
    assert_eq!(back.triplets, as_version_3_loaded(&g));
    assert_eq!(back.to_bytes(), bytes);
    // The directory names only keys with postings: no 16 MiB table.
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    // An empty gallery, and one whose subjects were all removed.
    let mut gone = g;
    for s in [0, 2, 3, 4, 5] {
        assert!(gone.remove(s));
    }
    for empty in [Gallery::new(), gone] {
        let bytes = empty.to_bytes();
        assert_eq!(bytes.len(), HEADER);
        let back = Gallery::from_bytes(&bytes).unwrap();
        assert_eq!((back.subjects(), back.fingers()), (0, 0));
        assert!(back.filter_only(&tenprint(1, 1), 5).unwrap().is_empty());
    }
}

#[test]
fn a_cut_or_altered_index_section_is_refused() {
    let good = gallery(3).to_bytes();
    let (dir, post, geo, k) = sections(&good);
    assert!(k > 100);
    for cut in [dir + 5, post, post + 3, geo + 1, good.len() - 1] {
        let e = err(&good[..cut]);
        assert!(e.contains("truncated or padded"), "cut at {cut}: {e}");
    }
    for at in [
        dir + 2,
        post + 4 * (k / 2),
        geo + 2 * (k / 2) + 1,
        good.len() - 1,
    ] {
        let mut b = good.clone();
        b[at] ^= 0x10;
        let e = err(&b);
        assert!(e.contains("checksum"), "byte {at}: {e}");
    }
    // Files of earlier versions (3: another index layout; 4: coarser
    // triplet keys) are refused with the advice to rebuild.
    for old in [3u32, 4] {
        let mut b = good.clone();
        b[8..12].copy_from_slice(&old.to_le_bytes());
        let e = err(&b);
        assert!(
            e.contains(&format!("version {old}")) && e.contains("rebuild"),
            "{e}"
        );
    }
    let mut v6 = good;
    v6[8..12].copy_from_slice(&6u32.to_le_bytes());
    assert!(err(&v6).contains("newer build"));
}

#[test]
fn hostile_header_counts_are_refused_from_the_header_alone() {
    let good = gallery(2).to_bytes();
    let with = |o: usize, v: &[u8]| {
        let mut h = good[..HEADER].to_vec();
        h[o..o + v.len()].copy_from_slice(v);
        h
    };
    // Refused by the header's own checks, whatever length the body
    // claims: nothing is allocated for these counts.
    let cases: [(usize, Vec<u8>, &str); 7] = [
        (32, (1u64 << 33).to_le_bytes().to_vec(), "2^32 limit"),
        (32, u64::MAX.to_le_bytes().to_vec(), "2^32 limit"),
        (24, u64::MAX.to_le_bytes().to_vec(), "minutiae in"),
        (24, (20u64 * 255 + 1).to_le_bytes().to_vec(), "at most 5100"),
        (
            16,
            21u32.to_le_bytes().to_vec(),
            "21 subjects but 20 fingers",
        ),
        (44, (1u32 << 23).to_le_bytes().to_vec(), "index keys for"),
        (44, 0u32.to_le_bytes().to_vec(), "0 index keys for"),
    ];
    for (at, value, says) in &cases {
        let h = with(*at, value);
        for body in [0, u64::MAX, (good.len() - HEADER) as u64] {
            let e = Header::read(&h, body).unwrap_err().to_string();
            assert!(e.contains(says), "field at {at}: {e}");
        }
    }
    // Counts that agree with each other but not with the file: refused
    // before the body is read (a billion fingers claimed in a small file).
    let mut huge = with(20, &1_000_000_000u32.to_le_bytes());
    huge.extend_from_slice(&good[HEADER..]);
    let e = err(&huge);
    assert!(e.contains("truncated or padded"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.scg");
    std::fs::write(&path, &huge).unwrap();
    let e = Gallery::load(&path).unwrap_err().to_string();
    assert!(e.contains("truncated or padded"), "{e}");
}

#[test]
fn an_index_naming_fingers_the_file_lacks_is_refused() {
    // Three subjects: fingers of rank 0-2 at each position 1-10.
    let good = gallery(3).to_bytes();
    let (dir, post, geo, k) = sections(&good);
    let changed = |at: usize, bytes: &[u8]| {
        let mut b = good.clone();
        b[at..at + bytes.len()].copy_from_slice(bytes);
        reseal(&mut b);
        err(&b)
    };
    for (i, v) in [
        (0, 2u32 << 28 | 3),
        (k / 2, 11 << 28),
        (k - 1, 0),
        (1, u32::MAX),
    ] {
        let e = changed(post + 4 * i, &v.to_le_bytes());
        assert!(e.contains(&format!("triplet posting {i} ")), "{e}");
        assert!(e.contains("where the file holds"), "{e}");
    }
    // Two postings of one key swapped: valid fingers, out of order.
    let entry = |i: usize| (u32_at(&good, dir + 8 * i), u32_at(&good, dir + 8 * i + 4));
    let d = (post - dir) / 8;
    let i = (1..d)
        .find(|&i| entry(i).1 - entry(i - 1).1 >= 2)
        .expect("a key with two postings");
    let first = entry(i - 1).1 as usize;
    let pair = &good[post + 4 * first..post + 4 * first + 8];
    let geo_pair = &good[geo + 2 * first..geo + 2 * first + 4];
    let mut b = good.clone();
    b[post + 4 * first..post + 4 * first + 8].copy_from_slice(&[&pair[4..], &pair[..4]].concat());
    b[geo + 2 * first..geo + 2 * first + 4]
        .copy_from_slice(&[&geo_pair[2..], &geo_pair[..2]].concat());
    reseal(&mut b);
    let e = err(&b);
    assert!(
        e.contains(&format!("key {} are out of order", entry(i).0)),
        "{e}"
    );
    // The directory: a key past 22 bits, keys not ascending, an end
    // before its start or past the postings.
    let end0 = entry(0).1;
    let cases: [(usize, u32, &str); 4] = [
        (dir, 1 << 22, "beyond 22 bits"),
        (dir + 8, entry(0).0, "does not follow"),
        (dir + 8 * 2 + 4, end0, "ends its postings"),
        (dir + 4, k as u32 + 1, "ends its postings"),
    ];
    for (at, v, says) in cases {
        let e = changed(at, &v.to_le_bytes());
        assert!(e.contains(says), "{says}: {e}");
    }
    // Its last key left out (the header counting one key fewer): the
    // directory ends short of the postings.
    let mut b = [&good[..post - 8], &good[post..]].concat();
    b[44..48].copy_from_slice(&(d as u32 - 1).to_le_bytes());
    reseal(&mut b);
    let e = err(&b);
    assert!(e.contains("directory accounts for"), "{e}");
}
