//! Tests that need no shared data: transactions built in the test, round trips, crafted
//! broken inputs, and WSQ encode -> decode on generated images.

use scomm_nist::an2k::validate::Finding;
use scomm_nist::ebts::{
    Arrest, Charge, CriminalTenprint, FingerImage, Header, ImageRecordKind, Name, SearchResponse,
    Subject,
};
use scomm_nist::{ebts, wsq, Error, GreyImage, Transaction};

/// A ridge-like test pattern: concentric sinusoidal rings, different per `seed`.
fn ridges(width: u32, height: u32, seed: u32) -> GreyImage {
    let (cx, cy) = (width as f32 * 0.45 + seed as f32, height as f32 * 0.55);
    let pixels = (0..height)
        .flat_map(|y| {
            (0..width).map(move |x| {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let r = (dx * dx + dy * dy * 1.3).sqrt();
                let v = 128.0
                    + 90.0 * (r / (2.0 + seed as f32 * 0.1)).sin() * (-(r / (width as f32))).exp();
                v.clamp(0.0, 255.0) as u8
            })
        })
        .collect();
    GreyImage {
        width,
        height,
        ppi: Some(500),
        pixels,
    }
}

fn header() -> Header {
    Header {
        date: "20110315".into(),
        priority: 2,
        destination: "WVIAFIS0Z".into(),
        originating: "CA0190000".into(),
        control_number: "CA0190000-20110315-000042".into(),
        control_reference: None,
    }
}

fn submission(kind: ImageRecordKind, positions: impl Iterator<Item = u8>) -> CriminalTenprint {
    let images = positions
        .map(|p| {
            let img = ridges(96 + u32::from(p), 80, u32::from(p));
            FingerImage::from_grey(p, if p <= 10 { 1 } else { 0 }, &img, wsq::DEFAULT_BITRATE)
                .unwrap()
        })
        .collect();
    CriminalTenprint {
        header: header(),
        subject: Subject {
            name: Name {
                surname: "DOE".into(),
                given: "JANE Q".into(),
            },
            date_of_birth: "19800704".into(),
            sex: 'F',
            race: 'W',
            place_of_birth: "TX".into(),
            citizenship: Some("US".into()),
            height: Some("506".into()),
            weight: Some(140),
            eyes: Some("BRO".into()),
            hair: Some("BLK".into()),
            fbi_number: None,
            state_id: None,
        },
        arrest: Arrest {
            date_of_arrest: "20110314".into(),
            case_number: Some("B11-000123".into()),
            charges: vec![
                Charge {
                    date_of_offense: Some("20110313".into()),
                    ncic_code: Some("5404".into()),
                    literal: "DRIVING UNDER INFLUENCE".into(),
                },
                Charge {
                    date_of_offense: None,
                    ncic_code: None,
                    literal: "RESISTING ARREST".into(),
                },
            ],
        },
        images,
        image_kind: kind,
    }
}

fn rules(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.rule).collect()
}

#[test]
fn car_type4_and_type14_build_validate_parse_and_read_back() {
    for kind in [ImageRecordKind::Type4, ImageRecordKind::Type14] {
        let car = submission(kind, 1..=14);
        let tx = car.build().unwrap();
        let bytes = tx.to_bytes();
        let parsed = Transaction::parse(&bytes).unwrap();
        assert!(parsed == tx, "{kind:?}: parse(write(tx)) != tx");
        assert!(
            parsed.to_bytes() == bytes,
            "{kind:?}: rewrite not byte-exact"
        );
        let findings = ebts::validate(&parsed);
        assert!(findings.is_empty(), "{kind:?}: {findings:#?}");
        let back = CriminalTenprint::read(&parsed).unwrap();
        assert!(back == car, "{kind:?}: read(build(car)) != car");
        for img in &back.images {
            let grey = img.decode().unwrap();
            assert_eq!((grey.width, grey.height), (img.width, img.height));
        }
    }
}

#[test]
fn car_validation_names_record_field_and_rule() {
    let mut car = submission(ImageRecordKind::Type14, 1..=13);
    car.subject.date_of_birth = "19801345".into();
    car.subject.sex = 'Q';
    let tx = car.build().unwrap();
    let findings = ebts::validate(&tx);
    let dob = findings
        .iter()
        .find(|f| f.rule == "EBTS-CAR-DOB")
        .expect("DOB finding");
    assert_eq!(
        (dob.record, dob.record_type, dob.field.as_deref()),
        (2, 2, Some("2.022"))
    );
    assert!(rules(&findings).contains(&"EBTS-CAR-SEX"));
    let missing = findings
        .iter()
        .find(|f| f.rule == "EBTS-CAR-14-IMAGES")
        .expect("image count finding");
    assert!(missing.message.contains("position 14"), "{missing}");
    assert!(missing
        .to_string()
        .starts_with("record 1 (Type-1) field 1.003: [EBTS-CAR-14-IMAGES]"));
}

#[test]
fn sre_round_trip_and_rules() {
    let sre = SearchResponse {
        header: Header {
            control_reference: Some("CA0190000-20110315-000042".into()),
            ..header()
        },
        name: Name {
            surname: "DOE".into(),
            given: "JANE Q".into(),
        },
        identified: true,
        fbi_number: Some("123456AB7".into()),
        state_id: None,
        rap_sheet: Some("CYCLE 001 ARREST 20110314 DUI".into()),
        message: None,
    };
    let tx = Transaction::parse(&sre.build().unwrap().to_bytes()).unwrap();
    assert!(ebts::validate(&tx).is_empty());
    assert_eq!(SearchResponse::read(&tx).unwrap(), sre);
    let no_fbi = SearchResponse {
        fbi_number: None,
        ..sre
    };
    assert!(rules(&ebts::validate(&no_fbi.build().unwrap())).contains(&"EBTS-SRE-FBI"));
}

#[test]
fn builder_rejects_separators_and_bad_ori() {
    let mut car = submission(ImageRecordKind::Type4, 1..=1);
    car.subject.name.surname = "DO\u{1d}E".into();
    assert!(matches!(car.build(), Err(Error::Invalid(_))));
    let mut car = submission(ImageRecordKind::Type4, 1..=1);
    car.header.originating = "SHORT".into();
    assert!(matches!(car.build(), Err(Error::Invalid(_))));
}

fn small_transaction() -> Vec<u8> {
    submission(ImageRecordKind::Type4, 1..=2)
        .build()
        .unwrap()
        .to_bytes()
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let bytes = small_transaction();
    for len in 0..bytes.len() {
        assert!(
            Transaction::parse(&bytes[..len]).is_err(),
            "prefix of {len} bytes parsed"
        );
    }
    let mut longer = bytes.clone();
    longer.push(b'x');
    let err = Transaction::parse(&longer).unwrap_err();
    assert!(
        err.to_string().contains("1 bytes after the last record"),
        "{err}"
    );
}

fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    [&bytes[..at], to, &bytes[at + from.len()..]].concat()
}

#[test]
fn bad_cnt_is_reported() {
    let bytes = small_transaction();
    // CNT says three further records but lists two.
    let bad = replace(&bytes, b"1.003:1\x1f3", b"1.003:1\x1f4");
    let err = Transaction::parse(&bad).unwrap_err().to_string();
    assert!(
        err.contains("CNT (1.003) declares 4 further records but lists 3"),
        "{err}"
    );
    let bad = replace(&bytes, b"1.003:1\x1f3", b"1.003:X\x1f3");
    assert!(Transaction::parse(&bad)
        .unwrap_err()
        .to_string()
        .contains("CNT (1.003) subfield 1"));
}

#[test]
fn wrong_and_huge_lengths_are_reported_without_allocating() {
    let bytes = small_transaction();
    let tx = Transaction::parse(&bytes).unwrap();
    let len1 = tx.type1().unwrap().text(1).unwrap();
    // Type-1 LEN one too short: the byte there is not FS.
    let shorter = (len1.parse::<usize>().unwrap() - 1).to_string();
    let bad = replace(
        &bytes,
        format!("1.001:{len1}").as_bytes(),
        format!("1.001:{shorter}").as_bytes(),
    );
    let err = Transaction::parse(&bad).unwrap_err().to_string();
    assert!(err.contains("does not end with FS"), "{err}");
    // A tagged LEN of 4 GiB.
    let bad = replace(&bytes, b"2.001:", b"2.001:4294967295\x1d2.999:");
    let err = Transaction::parse(&bad).unwrap_err().to_string();
    assert!(err.contains("LEN says 4294967295 bytes but only"), "{err}");
    // A binary Type-4 length of 4 GiB - 1.
    let t2_len: usize = tx.records[1]
        .as_tagged()
        .unwrap()
        .text(1)
        .unwrap()
        .parse()
        .unwrap();
    let t4 = len1.parse::<usize>().unwrap() + t2_len;
    let mut bad = bytes.clone();
    bad[t4..t4 + 4].copy_from_slice(&[0xFF; 4]);
    let err = Transaction::parse(&bad).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Record {
                record: 3,
                record_type: 4,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("record length 4294967295"),
        "{err}"
    );
}

#[test]
fn old_two_digit_tags_round_trip() {
    // Version 2.0 style: two-digit field numbers. LEN values are filled in by fix_lengths.
    let t1 = scomm_nist::TaggedRecord {
        record_type: 1,
        fields: [
            ("1.01", ""),
            ("1.02", "0200"),
            ("1.03", "1\x1f1\x1e2\x1f00"),
            ("1.04", "CAR"),
            ("1.05", "19990105"),
        ]
        .iter()
        .map(|(t, v)| scomm_nist::Field {
            tag: t.to_string(),
            number: t[2..].parse().unwrap(),
            value: v.as_bytes().to_vec(),
        })
        .collect(),
    };
    let t2 = scomm_nist::TaggedRecord {
        record_type: 2,
        fields: [("2.01", ""), ("2.02", "00"), ("2.18", "A,B")]
            .iter()
            .map(|(t, v)| scomm_nist::Field {
                tag: t.to_string(),
                number: t[2..].parse().unwrap(),
                value: v.as_bytes().to_vec(),
            })
            .collect(),
    };
    let mut tx = Transaction {
        records: vec![
            scomm_nist::Record::Tagged(t1),
            scomm_nist::Record::Tagged(t2),
        ],
    };
    tx.fix_lengths();
    let bytes = tx.to_bytes();
    assert!(bytes.starts_with(b"1.01:"));
    let parsed = Transaction::parse(&bytes).unwrap();
    assert_eq!(parsed.version(), Some(200));
    assert_eq!(
        parsed.records[1].as_tagged().unwrap().text(18).as_deref(),
        Some("A,B")
    );
    assert!(parsed == tx);
    assert_eq!(parsed.to_bytes(), bytes);
}

fn rms(a: &[u8], b: &[u8]) -> f64 {
    let sum: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    (sum / a.len() as f64).sqrt()
}

#[test]
fn wsq_encode_decode_round_trip() {
    for (w, h) in [(256, 300), (97, 61), (501, 433)] {
        let img = ridges(w, h, 3);
        let data = wsq::encode(&img, wsq::DEFAULT_BITRATE).unwrap();
        let back = wsq::decode(&data).unwrap();
        assert_eq!((back.width, back.height, back.ppi), (w, h, Some(500)));
        let err = rms(&img.pixels, &back.pixels);
        let ratio = img.pixels.len() as f64 / data.len() as f64;
        assert!(err < 6.0, "{w}x{h}: RMS error {err}");
        // Small images carry about 700 bytes of tables.
        let min_ratio = if w * h > 50_000 { 8.0 } else { 3.0 };
        assert!(ratio > min_ratio, "{w}x{h}: ratio {ratio}");
        // More bits, less error.
        let fine = wsq::decode(&wsq::encode(&img, 2.5).unwrap()).unwrap();
        let fine_err = rms(&img.pixels, &fine.pixels);
        assert!(
            fine_err < err,
            "{w}x{h}: RMS {fine_err} at 2.5 bpp, {err} at 0.75"
        );
    }
    let tiny = GreyImage {
        width: 31,
        height: 200,
        ppi: None,
        pixels: vec![0; 31 * 200],
    };
    assert!(matches!(wsq::encode(&tiny, 0.75), Err(Error::Invalid(_))));
    let flat = GreyImage {
        width: 64,
        height: 64,
        ppi: None,
        pixels: vec![77; 64 * 64],
    };
    let back = wsq::decode(&wsq::encode(&flat, 0.75).unwrap()).unwrap();
    assert_eq!(back.pixels, flat.pixels);
}

#[test]
fn wsq_truncations_and_corruptions_are_errors() {
    let data = wsq::encode(&ridges(120, 100, 1), 0.75).unwrap();
    for len in 0..data.len() - 2 {
        // A cut inside the last block may still decode (missing coefficients are zero);
        // what matters is: no panic, and an error whenever the structure is incomplete.
        let _ = wsq::decode(&data[..len]);
    }
    assert!(wsq::decode(&data[..data.len() / 2]).is_err());
    // Frame header claiming 65535 x 65535: refused before allocating.
    let sof = data.windows(2).position(|w| w == [0xFF, 0xA2]).unwrap();
    let mut big = data.clone();
    big[sof + 6..sof + 10].copy_from_slice(&[0xFF; 4]);
    let err = wsq::decode(&big).unwrap_err().to_string();
    assert!(err.contains("exceeds the limit"), "{err}");
    // Every single-byte corruption: no panic.
    for i in 0..data.len() {
        let mut bad = data.clone();
        bad[i] ^= 0x5A;
        let _ = wsq::decode(&bad);
    }
}
