//! Template format tests on templates and records built here.

use super::*;
use crate::{Minutia, MinutiaKind};
use std::f32::consts::{PI, TAU};

/// A deterministic template with every kind, edge coordinates and angles
/// near 0 and 2π.
fn sample_template(count: usize) -> Template {
    let mut state = 0x2545_f491_u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let mut minutiae: Vec<Minutia> = (0..count)
        .map(|i| Minutia {
            x: (next() % 388) as u16,
            y: (next() % 374) as u16,
            direction: (next() % 100_000) as f32 / 100_000.0 * TAU,
            kind: [
                MinutiaKind::Ending,
                MinutiaKind::Bifurcation,
                MinutiaKind::Other,
            ][i % 3],
            quality: (next() % 101) as u8,
        })
        .collect();
    if count >= 3 {
        minutiae[0].direction = 0.0;
        minutiae[1].direction = TAU - 0.001; // rounds to angle 0, not 256/180
        minutiae[2].x = 387;
        minutiae[2].y = 373;
    }
    Template {
        width: 388,
        height: 374,
        minutiae,
        ..Default::default()
    }
}

fn angle_difference(a: f32, b: f32) -> f32 {
    let d = (a - b).rem_euclid(TAU);
    d.min(TAU - d)
}

/// Same minutiae up to angle quantisation of `max_angle_error` radians.
fn assert_same(original: &Template, decoded: &Template, max_angle_error: f32) {
    assert_eq!(
        (original.width, original.height),
        (decoded.width, decoded.height)
    );
    assert_eq!(original.minutiae.len(), decoded.minutiae.len());
    for (i, (a, b)) in original.minutiae.iter().zip(&decoded.minutiae).enumerate() {
        assert_eq!(
            (a.x, a.y, a.kind, a.quality),
            (b.x, b.y, b.kind, b.quality),
            "minutia {i}"
        );
        let error = angle_difference(a.direction, b.direction);
        assert!(
            error <= max_angle_error + 1e-5,
            "minutia {i}: {} vs {} ({error})",
            a.direction,
            b.direction
        );
        assert!(
            (0.0..TAU).contains(&b.direction),
            "minutia {i}: direction {} outside [0, 2π)",
            b.direction
        );
    }
}

fn expect_error(result: Result<impl std::fmt::Debug, FormatError>, words: &[&str]) {
    let error = result.expect_err("should be rejected").to_string();
    for word in words {
        assert!(
            error.contains(word),
            "error {error:?} should mention {word:?}"
        );
    }
}

// ---------------------------------------------------------------- native

#[test]
fn native_round_trip_is_compact_and_exact() {
    let template = sample_template(60);
    let bytes = encode_native(&template).unwrap();
    assert_eq!(bytes.len(), 18 + 7 * 60);
    assert!(bytes.len() <= 1024);
    assert_eq!(detect_template_format(&bytes), Some(TemplateFormat::Native));
    assert_same(&template, &decode_template(&bytes).unwrap(), PI / 16384.0);
    let empty = Template::default();
    assert_eq!(
        decode_native(&encode_native(&empty).unwrap()).unwrap(),
        empty
    );
    // The profile travels in the flags byte; fast templates keep flags 0.
    assert_eq!(bytes[5], 0);
    let accurate = Template {
        profile: crate::Profile::Accurate,
        ..template.clone()
    };
    let flagged = encode_native(&accurate).unwrap();
    assert_eq!(flagged[5], 1);
    assert_eq!(
        decode_native(&flagged).unwrap().profile,
        crate::Profile::Accurate
    );
    assert_eq!(decode_native(&bytes).unwrap().profile, crate::Profile::Fast);
}

#[test]
fn minutiae_records_carry_the_accurate_profile() {
    let fast = sample_template(40);
    let accurate = Template {
        profile: crate::Profile::Accurate,
        ..fast.clone()
    };
    for format in [
        TemplateFormat::Iso19794_2_2005,
        TemplateFormat::Ansi378_2004,
        TemplateFormat::Ansi378_2009,
    ] {
        // A fast template's record has no extended data: what other
        // extractors' records look like, and what export wrote before.
        let plain = encode_template(&fast, format).unwrap();
        let record = parse_fmr(&plain).unwrap();
        assert!(record.views[0].extended_data.is_empty(), "{format}");
        assert_eq!(
            decode_template(&plain).unwrap().profile,
            crate::Profile::Fast
        );
        // An accurate one's says so in one vendor block, 4 + 22 bytes more.
        let marked = encode_template(&accurate, format).unwrap();
        assert_eq!(marked.len(), plain.len() + 4 + 22, "{format}");
        let record = parse_fmr(&marked).unwrap();
        assert_eq!(
            record.views[0].extended_data,
            [ExtendedDataBlock {
                type_id: PROFILE_BLOCK_TYPE,
                data: b"scomm profile=accurate".to_vec(),
            }]
        );
        assert!(record.warnings.is_empty(), "{:?}", record.warnings);
        let decoded = decode_template(&marked).unwrap();
        assert_eq!(decoded.profile, crate::Profile::Accurate, "{format}");
        assert_eq!(decoded.minutiae.len(), 40);
    }
}

#[test]
fn profile_blocks_are_checked_and_foreign_ones_ignored() {
    let with_blocks = |blocks: Vec<ExtendedDataBlock>| {
        let mut record =
            FingerMinutiaeRecord::from_template(&sample_template(5), FmrStandard::Iso19794_2_2005)
                .unwrap();
        record.views[0].extended_data = blocks;
        record
    };
    let block = |data: &[u8]| ExtendedDataBlock {
        type_id: PROFILE_BLOCK_TYPE,
        data: data.to_vec(),
    };
    // Another vendor's data under the same type: kept, the record is fast.
    let foreign = with_blocks(vec![block(b"\x01\x02other vendor")]);
    let bytes = foreign.to_bytes().unwrap();
    assert_eq!(parse_fmr(&bytes).unwrap().views[0].extended_data.len(), 1);
    assert_eq!(
        decode_template(&bytes).unwrap().profile,
        crate::Profile::Fast
    );
    // "fast" may be written out, though export never does.
    let bytes = with_blocks(vec![block(b"scomm profile=fast")])
        .to_bytes()
        .unwrap();
    assert_eq!(
        decode_template(&bytes).unwrap().profile,
        crate::Profile::Fast
    );
    // A profile this engine does not know, or two blocks, are refused on
    // export, and on import with an error that names the block. To get them
    // past the export check, each is written as another vendor's block
    // ("scomm_profile"), then made this engine's in the bytes.
    let ours = |mut bytes: Vec<u8>| -> Vec<u8> {
        let disguised = b"scomm_profile=";
        while let Some(at) = bytes.windows(disguised.len()).position(|w| w == disguised) {
            bytes[at..at + disguised.len()].copy_from_slice(PROFILE_BLOCK_PREFIX);
        }
        bytes
    };
    for (blocks, disguised, words) in [
        (
            vec![block(b"scomm profile=exact")],
            vec![block(b"scomm_profile=exact")],
            &["0x5343", "\"exact\"", "expected \"fast\" or \"accurate\""][..],
        ),
        (
            vec![
                block(b"scomm profile=accurate"),
                block(b"scomm profile=fast"),
            ],
            vec![
                block(b"scomm profile=accurate"),
                block(b"scomm_profile=fast"),
            ],
            &["two profile blocks"][..],
        ),
    ] {
        let error = with_blocks(blocks).to_bytes().unwrap_err().to_string();
        assert!(words.iter().all(|w| error.contains(w)), "{error}");
        let bytes = ours(with_blocks(disguised).to_bytes().unwrap());
        expect_error(decode_template(&bytes), words);
    }
}

#[test]
fn native_defects_are_named() {
    let bytes = encode_native(&sample_template(10)).unwrap();
    expect_error(
        decode_native(&bytes[..bytes.len() - 1]),
        &["10 minutiae need 88 bytes but the template has 87"],
    );
    expect_error(decode_native(&bytes[..10]), &["10 bytes"]);
    let mut corrupt = bytes.clone();
    corrupt[20] ^= 1;
    expect_error(decode_native(&corrupt), &["checksum", "corrupt"]);
    let mut newer = bytes.clone();
    newer[4] = 2;
    expect_error(decode_native(&newer), &["version 2"]);
    let mut flags = bytes.clone();
    flags[5] = 0x82;
    let crc = crc32fast::hash(&flags[..flags.len() - 4]);
    let at = flags.len() - 4;
    flags[at..].copy_from_slice(&crc.to_le_bytes());
    expect_error(decode_native(&flags), &["reserved flags 0x82"]);
    let mut magic = bytes.clone();
    magic[0] = b'X';
    expect_error(decode_native(&magic), &["magic"]);
    for cut in 0..bytes.len() {
        assert!(decode_template(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut nan = sample_template(3);
    nan.minutiae[1].direction = f32::NAN;
    expect_error(encode_native(&nan), &["minutia 2 has direction NaN"]);
}

// ---------------------------------------------------------------- ISO / ANSI round trips

#[test]
fn iso_round_trip_within_quantisation() {
    let template = sample_template(60);
    let bytes = encode_template(&template, TemplateFormat::Iso19794_2_2005).unwrap();
    assert_eq!(bytes.len(), 24 + 4 + 6 * 60 + 2);
    assert_eq!(&bytes[..8], b"FMR\0 20\0");
    assert_eq!(
        u32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize,
        bytes.len()
    );
    assert_eq!(
        detect_template_format(&bytes),
        Some(TemplateFormat::Iso19794_2_2005)
    );
    // Half of 1.40625 degrees.
    assert_same(
        &template,
        &decode_template(&bytes).unwrap(),
        TAU / 256.0 / 2.0,
    );
}

#[test]
fn ansi_round_trips_within_quantisation() {
    let template = sample_template(60);
    for format in [TemplateFormat::Ansi378_2004, TemplateFormat::Ansi378_2009] {
        let bytes = encode_template(&template, format).unwrap();
        assert_eq!(detect_template_format(&bytes), Some(format), "{format}");
        // Half of 2 degrees.
        assert_same(
            &template,
            &decode_template(&bytes).unwrap(),
            TAU / 180.0 / 2.0,
        );
    }
    let ansi = encode_template(&template, TemplateFormat::Ansi378_2004).unwrap();
    assert_eq!(ansi.len(), 26 + 4 + 6 * 60 + 2);
    assert_eq!(u16::from_be_bytes([ansi[8], ansi[9]]) as usize, ansi.len());
}

#[test]
fn record_fields_survive_a_round_trip() {
    let mut record =
        FingerMinutiaeRecord::from_template(&sample_template(12), FmrStandard::Ansi378_2004)
            .unwrap();
    record.cbeff_product_id = 0x0042_0011;
    record.equipment_compliance = 1;
    record.equipment_id = 0xb5;
    record.views[0].finger_position = 7;
    record.views[0].impression_type = 1;
    record.views[0].view_number = 2;
    record.views[0].extended_data = vec![
        ExtendedDataBlock {
            type_id: 1,
            data: vec![1, 1, 2, 3],
        },
        ExtendedDataBlock {
            type_id: 0x0144,
            data: vec![0x97],
        },
    ];
    let mut second = record.views[0].clone();
    second.finger_position = 2;
    second.minutiae.truncate(5);
    record.views.push(second);
    for standard in [
        FmrStandard::Iso19794_2_2005,
        FmrStandard::Ansi378_2004,
        FmrStandard::Ansi378_2009,
    ] {
        let mut record = record.clone();
        record.standard = standard;
        if standard == FmrStandard::Iso19794_2_2005 {
            record.cbeff_product_id = 0;
        }
        for view in &mut record.views {
            view.standard = standard;
        }
        let bytes = record.to_bytes().unwrap();
        assert_eq!(parse_fmr(&bytes).unwrap(), record, "{standard}");
    }
}

#[test]
fn ansi_long_length_form() {
    // 60 views of 200 minutiae exceed 65535 bytes: the 6-byte length form.
    let mut record =
        FingerMinutiaeRecord::from_template(&sample_template(200), FmrStandard::Ansi378_2004)
            .unwrap();
    let view = record.views[0].clone();
    record.views = vec![view; 60];
    let bytes = record.to_bytes().unwrap();
    assert!(bytes.len() > 0xffff);
    assert_eq!(&bytes[8..10], &[0, 0]);
    assert_eq!(
        u32::from_be_bytes(bytes[10..14].try_into().unwrap()) as usize,
        bytes.len()
    );
    assert_eq!(
        detect_template_format(&bytes),
        Some(TemplateFormat::Ansi378_2004)
    );
    assert_eq!(parse_fmr(&bytes).unwrap(), record);
}

// ---------------------------------------------------------------- conventions

/// A one-minutia ISO record, hand-assembled from the standard's layout.
fn iso_record(resolution: u16, x: u16, y: u16, type_bits: u16, angle: u8, quality: u8) -> Vec<u8> {
    let mut r = b"FMR\0 20\0".to_vec();
    r.extend_from_slice(&36u32.to_be_bytes());
    r.extend_from_slice(&[0, 0]); // capture equipment
    for v in [800u16, 750, resolution, resolution] {
        r.extend_from_slice(&v.to_be_bytes());
    }
    r.extend_from_slice(&[1, 0]); // one view, reserved
    r.extend_from_slice(&[3, 0, 60, 1]); // finger 3, view 0 / impression 0, quality 60, 1 minutia
    r.extend_from_slice(&((type_bits << 14) | x).to_be_bytes());
    r.extend_from_slice(&y.to_be_bytes());
    r.extend_from_slice(&[angle, quality, 0, 0]);
    assert_eq!(r.len(), 36);
    r
}

#[test]
fn angle_units_and_direction_convention() {
    // ISO: 64 units of 1.40625 degrees = 90 degrees counter-clockwise.
    let t = decode_template(&iso_record(197, 100, 200, 1, 64, 80)).unwrap();
    let m = t.minutiae[0];
    assert!((m.direction - PI / 2.0).abs() < 1e-6);
    assert_eq!(
        (m.x, m.y, m.kind, m.quality),
        (100, 200, MinutiaKind::Ending, 80)
    );
    // ANSI: 45 units of 2 degrees = 90 degrees, and it exports back to 45.
    let ansi = encode_template(&t, TemplateFormat::Ansi378_2004).unwrap();
    let record = parse_fmr(&ansi).unwrap();
    assert_eq!(record.views[0].minutiae[0].angle, 45);
    let iso = encode_template(&t, TemplateFormat::Iso19794_2_2005).unwrap();
    assert_eq!(parse_fmr(&iso).unwrap().views[0].minutiae[0].angle, 64);
    // Type bits: 10 bifurcation, 00 other.
    assert_eq!(
        decode_template(&iso_record(197, 1, 1, 2, 0, 0))
            .unwrap()
            .minutiae[0]
            .kind,
        MinutiaKind::Bifurcation
    );
    assert_eq!(
        decode_template(&iso_record(197, 1, 1, 0, 0, 0))
            .unwrap()
            .minutiae[0]
            .kind,
        MinutiaKind::Other
    );
}

#[test]
fn import_rescales_to_500_ppi() {
    // 394 px/cm is 1000 ppi: coordinates and image size halve.
    let t = decode_template(&iso_record(394, 300, 600, 1, 0, 0)).unwrap();
    assert_eq!((t.width, t.height), (400, 375));
    assert_eq!((t.minutiae[0].x, t.minutiae[0].y), (150, 300));
    // 196 and 197 px/cm are both 500 ppi: kept as they are.
    for resolution in [196, 197] {
        let t = decode_template(&iso_record(resolution, 300, 601, 1, 0, 0)).unwrap();
        assert_eq!((t.width, t.minutiae[0].x, t.minutiae[0].y), (800, 300, 601));
    }
}

// ---------------------------------------------------------------- defects

#[test]
fn truncated_records_name_both_lengths() {
    let bytes = encode_template(&sample_template(20), TemplateFormat::Iso19794_2_2005).unwrap();
    let n = bytes.len();
    for cut in 1..=3 {
        expect_error(
            decode_template(&bytes[..n - cut]),
            &[&format!(
                "record length {n} in header but file has {} bytes",
                n - cut
            )],
        );
    }
    // Every prefix is rejected, none panics.
    for cut in 0..n {
        assert!(decode_template(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let ansi = encode_template(&sample_template(20), TemplateFormat::Ansi378_2004).unwrap();
    for cut in 0..ansi.len() {
        assert!(decode_template(&ansi[..cut]).is_err(), "ANSI cut at {cut}");
    }
    expect_error(
        decode_template(&ansi[..ansi.len() - 1]),
        &[
            "ANSI INCITS 378-2004",
            &format!(
                "record length {} in header but file has {}",
                ansi.len(),
                ansi.len() - 1
            ),
        ],
    );
}

#[test]
fn zero_padding_is_accepted_other_trailing_bytes_are_not() {
    let mut bytes = encode_template(&sample_template(5), TemplateFormat::Iso19794_2_2005).unwrap();
    let n = bytes.len();
    bytes.resize(384, 0);
    assert_eq!(decode_template(&bytes).unwrap().minutiae.len(), 5);
    bytes[300] = 1;
    expect_error(
        decode_template(&bytes),
        &[
            &format!("record length {n} in header but file has 384 bytes"),
            "not zero padding",
        ],
    );
}

#[test]
fn structural_defects_are_named() {
    let good = iso_record(197, 100, 200, 1, 64, 80);
    let mut reserved_type = good.clone();
    reserved_type[28] |= 0xc0;
    expect_error(
        decode_template(&reserved_type),
        &["minutia 1", "type bits 11"],
    );

    let mut bad_quality = good.clone();
    bad_quality[33] = 101;
    expect_error(decode_template(&bad_quality), &["quality 101"]);

    let mut zero_resolution = good.clone();
    zero_resolution[18..20].copy_from_slice(&[0, 0]);
    expect_error(decode_template(&zero_resolution), &["resolution 0x197"]);

    let mut too_many = good.clone();
    too_many[27] = 9; // 9 minutiae declared, one present
    expect_error(
        decode_template(&too_many),
        &["finger view 1: 9 minutiae declared"],
    );

    let mut no_views = good.clone();
    no_views[22] = 0;
    expect_error(decode_template(&no_views), &["0 finger views"]);

    let mut extra_view = good.clone();
    extra_view[22] = 2;
    expect_error(decode_template(&extra_view), &["finger view 2"]);

    // Bytes after the last view but inside the record length are kept.
    let mut slack = good.clone();
    slack.extend_from_slice(&[0xab, 0xcd]);
    slack[8..12].copy_from_slice(&38u32.to_be_bytes());
    let record = parse_fmr(&slack).unwrap();
    assert_eq!(record.trailing_data, vec![0xab, 0xcd]);
    assert!(record.warnings[0].contains("2 bytes after the last finger view"));
    assert_eq!(record.to_bytes().unwrap(), slack);

    // Malformed extended data is tolerated with a warning naming it.
    let mut ext = good.clone();
    ext[34..36].copy_from_slice(&2u16.to_be_bytes()); // 2 bytes of extended data that are not there
    let record = parse_fmr(&ext).unwrap();
    assert_eq!(
        record.warnings,
        vec![
            "finger view 1: extended data length 2 but only 0 bytes remain in the record; read 0"
                .to_string()
        ]
    );

    let mut bad_block = good.clone();
    bad_block[34..36].copy_from_slice(&6u16.to_be_bytes());
    bad_block.extend_from_slice(&[0x01, 0x00, 0x00, 0x09, 0xaa, 0xbb]); // block claims 9 of 6
    bad_block[8..12].copy_from_slice(&42u32.to_be_bytes());
    let record = parse_fmr(&bad_block).unwrap();
    assert!(
        record.warnings[0].contains("block 1 (type 0x0100) claims 9 bytes"),
        "{:?}",
        record.warnings
    );
    assert_eq!(record.views[0].extended_data[0].data, vec![0xaa, 0xbb]);
    assert_eq!(record.views[0].minutiae.len(), 1);

    let mut short_header_length = good.clone();
    short_header_length[8..12].copy_from_slice(&10u32.to_be_bytes());
    expect_error(
        decode_template(&short_header_length),
        &["record length 10", "shorter than the 24-byte"],
    );

    let mut version = good.clone();
    version[4..8].copy_from_slice(b"021\0");
    expect_error(decode_template(&version), &["version \"021\""]);

    expect_error(
        decode_template(b"FMX\0 20\0"),
        &["unrecognised", "46 4d 58 00"],
    );
    expect_error(decode_template(b""), &["empty"]);
    expect_error(parse_fmr(b"FMR\0"), &["4 bytes"]);
}

#[test]
fn ansi_angle_range_is_checked() {
    let t = decode_template(&iso_record(197, 100, 200, 1, 64, 80)).unwrap();
    let mut bytes = encode_template(&t, TemplateFormat::Ansi378_2004).unwrap();
    bytes[26 + 4 + 4] = 180; // first minutia's angle byte
    expect_error(decode_template(&bytes), &["angle 180 out of range 0-179"]);
}

#[test]
fn export_rejects_what_the_standards_cannot_hold() {
    expect_error(
        encode_template(&sample_template(256), TemplateFormat::Iso19794_2_2005),
        &["256 minutiae"],
    );
    let mut far = sample_template(3);
    far.minutiae[0].x = 20_000;
    expect_error(
        encode_template(&far, TemplateFormat::Ansi378_2004),
        &["14-bit"],
    );
    let mut nan = sample_template(3);
    nan.minutiae[2].direction = f32::INFINITY;
    expect_error(
        encode_template(&nan, TemplateFormat::Iso19794_2_2005),
        &["minutia 3 has direction inf"],
    );
}

#[test]
fn format_names() {
    assert_eq!(
        TemplateFormat::from_name("ISO"),
        Some(TemplateFormat::Iso19794_2_2005)
    );
    assert_eq!(
        TemplateFormat::from_name("ansi"),
        Some(TemplateFormat::Ansi378_2004)
    );
    assert_eq!(
        TemplateFormat::from_name("ansi2009"),
        Some(TemplateFormat::Ansi378_2009)
    );
    assert_eq!(
        TemplateFormat::from_name("native"),
        Some(TemplateFormat::Native)
    );
    assert_eq!(TemplateFormat::from_name("xml"), None);
}

#[test]
fn save_and_load_template_file() {
    let path = std::env::temp_dir().join(format!("scomm-formats-{}.iso", std::process::id()));
    let template = sample_template(30);
    save_template(&template, TemplateFormat::Iso19794_2_2005, &path).unwrap();
    assert_same(&template, &load_template(&path).unwrap(), TAU / 512.0);
    std::fs::remove_file(&path).unwrap();
    expect_error(load_template(&path), &["cannot read"]);
}

#[test]
fn a_missing_template_file_says_the_reason_once() {
    let path = std::env::temp_dir().join("scomm-no-such-template-7c1e.tpl");
    let err = load_template(&path).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("scomm-no-such-template-7c1e.tpl"), "{text}");
    assert_eq!(text.matches("os error").count(), 1, "{text}");
    assert!(std::error::Error::source(&err).is_none());
}
