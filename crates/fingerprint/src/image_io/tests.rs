//! Image loader tests on images generated here (no files from outside).

use super::*;

/// A test pattern with every grey level and some structure.
fn pattern(width: u32, height: u32) -> GrayImage {
    let pixels = (0..height)
        .flat_map(|y| (0..width).map(move |x| ((x * 7 + y * 13) % 256) as u8))
        .collect();
    GrayImage::new(width, height, pixels).unwrap()
}

fn assert_defect(result: Result<GrayImage, ImageError>, words: &[&str]) {
    let error = result.expect_err("decoding should fail").to_string();
    for word in words {
        assert!(
            error.contains(word),
            "error {error:?} should mention {word:?}"
        );
    }
}

// ---------------------------------------------------------------- PNG

fn png_bytes(
    width: u32,
    height: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    data: &[u8],
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(depth);
    if color == png::ColorType::Indexed {
        encoder.set_palette(vec![0, 0, 0, 255, 255, 255, 255, 0, 0]);
    }
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(data).unwrap();
    drop(writer);
    out
}

#[test]
fn png_grey_round_trip() {
    let image = pattern(37, 23);
    let bytes = encode_png(&image).unwrap();
    assert_eq!(detect_format(&bytes), Some(ImageFormat::Png));
    assert_eq!(decode_image(&bytes).unwrap(), image);
}

#[test]
fn png_colour_alpha_16_bit_and_palette_become_grey() {
    let rgb = png_bytes(
        2,
        1,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        &[255, 0, 0, 10, 20, 30],
    );
    assert_eq!(
        decode_image(&rgb).unwrap().pixels,
        vec![luma(255, 0, 0), luma(10, 20, 30)]
    );

    // Transparent black over white is white; opaque black stays black.
    let ga = png_bytes(
        2,
        1,
        png::ColorType::GrayscaleAlpha,
        png::BitDepth::Eight,
        &[0, 0, 0, 255],
    );
    assert_eq!(decode_image(&ga).unwrap().pixels, vec![255, 0]);

    let grey16 = png_bytes(
        2,
        1,
        png::ColorType::Grayscale,
        png::BitDepth::Sixteen,
        &[0xff, 0xff, 0x80, 0x00],
    );
    assert_eq!(decode_image(&grey16).unwrap().pixels, vec![255, 128]);

    // 2-bit palette indices 0, 1, 2 (packed into one byte, MSB first).
    let indexed = png_bytes(
        3,
        1,
        png::ColorType::Indexed,
        png::BitDepth::Two,
        &[0b0001_1000],
    );
    assert_eq!(
        decode_image(&indexed).unwrap().pixels,
        vec![0, 255, luma(255, 0, 0)]
    );
}

#[test]
fn png_truncated_or_corrupt_is_an_error() {
    let bytes = encode_png(&pattern(64, 64)).unwrap();
    for cut in [8, 20, 40, bytes.len() / 2, bytes.len() - 13] {
        assert!(decode_image(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut corrupt = bytes.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0xff; // breaks the IDAT checksum or the deflate stream
    assert!(decode_image(&corrupt).is_err());
}

#[test]
fn png_oversized_header_is_rejected_before_allocating() {
    let mut bytes = encode_png(&pattern(4, 4)).unwrap();
    // IHDR width at offset 16; the CRC no longer matches, so either check may fire.
    bytes[16..20].copy_from_slice(&200_000u32.to_be_bytes());
    assert!(decode_image(&bytes).is_err());
}

#[test]
fn tiny_files_cannot_claim_huge_images() {
    // A valid IHDR (correct CRC) declaring 9000x9000 in a ~70-byte file.
    let mut bytes = encode_png(&pattern(4, 4)).unwrap();
    bytes[16..20].copy_from_slice(&9000u32.to_be_bytes());
    bytes[20..24].copy_from_slice(&9000u32.to_be_bytes());
    let crc = crc32fast::hash(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    assert_defect(decode_image(&bytes), &["9000x9000", "more than a"]);

    let huge = base_tags(9000, 9000, 8, 5, 1, 9000);
    assert_defect(
        decode_image(&tiff_bytes(&huge, &[vec![0; 16]])),
        &["9000x9000", "more than a"],
    );

    let rle = bmp_bytes(9000, 9000, 8, 1, &grey_palette(256), &[], &[0, 1]);
    assert_defect(decode_image(&rle), &["9000x9000", "more than a"]);
}

// ---------------------------------------------------------------- BMP

/// A BMP with a 40-byte info header and the given pixel rows (already padded).
fn bmp_bytes(
    width: i32,
    height: i32,
    bits: u16,
    compression: u32,
    palette: &[[u8; 4]],
    extra: &[u8],
    data: &[u8],
) -> Vec<u8> {
    let header_end = 14 + 40 + extra.len() + palette.len() * 4;
    let mut out = Vec::new();
    out.extend_from_slice(b"BM");
    out.extend_from_slice(&((header_end + data.len()) as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(header_end as u32).to_le_bytes());
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(&compression.to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0; 8]); // resolution
    out.extend_from_slice(&(palette.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(extra);
    for entry in palette {
        out.extend_from_slice(entry);
    }
    out.extend_from_slice(data);
    out
}

fn grey_palette(n: usize) -> Vec<[u8; 4]> {
    (0..n)
        .map(|i| {
            let g = (i * 255 / (n - 1)) as u8;
            [g, g, g, 0]
        })
        .collect()
}

#[test]
fn bmp_8_bit_bottom_up_and_top_down() {
    let image = pattern(5, 3); // rows of 5 bytes, padded to 8
    let rows: Vec<&[u8]> = image.pixels.chunks(5).collect();
    let mut bottom_up = Vec::new();
    for row in rows.iter().rev() {
        bottom_up.extend_from_slice(row);
        bottom_up.extend_from_slice(&[0; 3]);
    }
    let bytes = bmp_bytes(5, 3, 8, 0, &grey_palette(256), &[], &bottom_up);
    assert_eq!(decode_image(&bytes).unwrap(), image);

    let mut top_down = Vec::new();
    for row in &rows {
        top_down.extend_from_slice(row);
        top_down.extend_from_slice(&[0; 3]);
    }
    let bytes = bmp_bytes(5, -3, 8, 0, &grey_palette(256), &[], &top_down);
    assert_eq!(decode_image(&bytes).unwrap(), image);
}

#[test]
fn bmp_1_4_24_and_32_bit() {
    // 1-bit: black/white palette, pixels 1 0 1 (one row, padded to 4 bytes).
    let bytes = bmp_bytes(
        3,
        1,
        1,
        0,
        &[[0, 0, 0, 0], [255, 255, 255, 0]],
        &[],
        &[0b1010_0000, 0, 0, 0],
    );
    assert_eq!(decode_image(&bytes).unwrap().pixels, vec![255, 0, 255]);
    // 4-bit: indices 15 and 0 of a 16-level grey palette.
    let bytes = bmp_bytes(2, 1, 4, 0, &grey_palette(16), &[], &[0xf0, 0, 0, 0]);
    assert_eq!(decode_image(&bytes).unwrap().pixels, vec![255, 0]);
    // 24-bit BGR: pure blue then pure red.
    let bytes = bmp_bytes(2, 1, 24, 0, &[], &[], &[255, 0, 0, 0, 0, 255, 0, 0]);
    assert_eq!(
        decode_image(&bytes).unwrap().pixels,
        vec![luma(0, 0, 255), luma(255, 0, 0)]
    );
    // 32-bit with explicit bit fields (R in the low byte this time).
    let masks: Vec<u8> = [0xffu32, 0xff00, 0xff0000]
        .iter()
        .flat_map(|m| m.to_le_bytes())
        .collect();
    let bytes = bmp_bytes(1, 1, 32, 3, &[], &masks, &[200, 0, 0, 0]);
    assert_eq!(decode_image(&bytes).unwrap().pixels, vec![luma(200, 0, 0)]);
    // 16-bit default 5-5-5: white.
    let bytes = bmp_bytes(1, 1, 16, 0, &[], &[], &[0xff, 0x7f, 0, 0]);
    assert_eq!(decode_image(&bytes).unwrap().pixels, vec![255]);
}

#[test]
fn bmp_rle8_and_rle4() {
    // RLE8, 4x2 bottom-up: bottom row "3 x 200, then 10", top row absolute "1 2 3 4".
    let data = [3, 200, 1, 10, 0, 0, 0, 4, 1, 2, 3, 4, 0, 1];
    let bytes = bmp_bytes(4, 2, 8, 1, &grey_palette(256), &[], &data);
    let image = decode_image(&bytes).unwrap();
    assert_eq!(image.pixels, vec![1, 2, 3, 4, 200, 200, 200, 10]);
    // RLE4, 3x1: run of 3 alternating indices 15 and 0.
    let data = [3, 0xf0, 0, 1];
    let bytes = bmp_bytes(3, 1, 4, 2, &grey_palette(16), &[], &data);
    assert_eq!(decode_image(&bytes).unwrap().pixels, vec![255, 0, 255]);
    // A stream without its end-of-bitmap mark is truncated.
    let bytes = bmp_bytes(3, 1, 4, 2, &grey_palette(16), &[], &[3, 0xf0]);
    assert_defect(decode_image(&bytes), &["truncated", "end-of-bitmap"]);
}

#[test]
fn bmp_defects_are_named() {
    let bytes = bmp_bytes(4, 4, 8, 0, &grey_palette(256), &[], &[0; 16]);
    assert_defect(
        decode_image(&bytes[..bytes.len() - 1]),
        &["truncated", "pixel data needs 16 bytes"],
    );
    assert_defect(decode_image(&bytes[..30]), &["truncated", "DIB header"]);
    let huge = bmp_bytes(100_000, 100_000, 8, 0, &grey_palette(256), &[], &[]);
    assert_defect(decode_image(&huge), &["exceeds the limit"]);
    let bad_index = bmp_bytes(1, 1, 8, 0, &grey_palette(2), &[], &[7, 0, 0, 0]);
    assert_defect(decode_image(&bad_index), &["index 7", "2-entry palette"]);
    let jpeg = bmp_bytes(1, 1, 24, 4, &[], &[], &[0; 4]);
    assert_defect(decode_image(&jpeg), &["unsupported", "JPEG"]);
    let zero = bmp_bytes(0, 1, 8, 0, &grey_palette(256), &[], &[]);
    assert_defect(decode_image(&zero), &["width 0"]);
}

// ---------------------------------------------------------------- TIFF

const SHORT: u16 = 3;
const LONG: u16 = 4;

/// A little-endian single-strip-per-entry TIFF with the given tags; strip
/// offsets and byte counts are filled in.
fn tiff_bytes(tags: &[(u16, u16, Vec<u32>)], strips: &[Vec<u8>]) -> Vec<u8> {
    let mut tags: Vec<(u16, u16, Vec<u32>)> = tags.to_vec();
    let data_start = 8u32;
    let mut offsets = Vec::new();
    let mut offset = data_start;
    for strip in strips {
        offsets.push(offset);
        offset += strip.len() as u32;
    }
    tags.push((273, LONG, offsets));
    tags.push((279, LONG, strips.iter().map(|s| s.len() as u32).collect()));
    tags.sort_by_key(|t| t.0);
    let ifd_offset = offset + offset % 2;
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&ifd_offset.to_le_bytes());
    for strip in strips {
        out.extend_from_slice(strip);
    }
    out.resize(ifd_offset as usize, 0);
    let mut extra_offset = ifd_offset + 2 + 12 * tags.len() as u32 + 4;
    let mut extra = Vec::new();
    out.extend_from_slice(&(tags.len() as u16).to_le_bytes());
    for (tag, kind, values) in &tags {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&(values.len() as u32).to_le_bytes());
        let encoded: Vec<u8> = values
            .iter()
            .flat_map(|&v| {
                if *kind == SHORT {
                    (v as u16).to_le_bytes().to_vec()
                } else {
                    v.to_le_bytes().to_vec()
                }
            })
            .collect();
        if encoded.len() <= 4 {
            let mut inline = encoded.clone();
            inline.resize(4, 0);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&extra_offset.to_le_bytes());
            extra_offset += encoded.len() as u32;
            extra.extend_from_slice(&encoded);
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&extra);
    out
}

fn base_tags(
    width: u32,
    height: u32,
    bits: u32,
    compression: u32,
    photometric: u32,
    rows_per_strip: u32,
) -> Vec<(u16, u16, Vec<u32>)> {
    vec![
        (256, LONG, vec![width]),
        (257, LONG, vec![height]),
        (258, SHORT, vec![bits]),
        (259, SHORT, vec![compression]),
        (262, SHORT, vec![photometric]),
        (277, SHORT, vec![1]),
        (278, LONG, vec![rows_per_strip]),
    ]
}

/// A palette whose entry i is grey 255 - i (an inverting map, so a decoder
/// that ignored the map would fail).
fn inverting_colormap() -> Vec<u32> {
    let level: Vec<u32> = (0..256).map(|i| (255 - i) * 257).collect();
    [level.clone(), level.clone(), level].concat()
}

#[test]
fn tiff_grey_uncompressed() {
    let image = pattern(9, 7);
    let tags = base_tags(9, 7, 8, 1, 1, 7);
    let bytes = tiff_bytes(&tags, std::slice::from_ref(&image.pixels));
    assert_eq!(detect_format(&bytes), Some(ImageFormat::Tiff));
    assert_eq!(decode_image(&bytes).unwrap(), image);
}

#[test]
fn tiff_palette_lzw_packbits_and_predictor() {
    let image = pattern(16, 10);
    let indices: Vec<u8> = image.pixels.iter().map(|&p| 255 - p).collect();
    let mut tags = base_tags(16, 10, 8, 5, 3, 4);
    tags.push((320, SHORT, inverting_colormap()));
    // Three LZW strips of 4, 4 and 2 rows.
    let strips: Vec<Vec<u8>> = indices
        .chunks(16 * 4)
        .map(|s| {
            weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
                .encode(s)
                .unwrap()
        })
        .collect();
    assert_eq!(decode_image(&tiff_bytes(&tags, &strips)).unwrap(), image);

    // PackBits: one strip, each row a literal run.
    let mut tags = base_tags(16, 10, 8, 32773, 3, 10);
    tags.push((320, SHORT, inverting_colormap()));
    let packed: Vec<u8> = indices
        .chunks(16)
        .flat_map(|row| [&[15u8][..], row].concat())
        .collect();
    assert_eq!(decode_image(&tiff_bytes(&tags, &[packed])).unwrap(), image);

    // Horizontal differencing (predictor 2) before LZW.
    let mut tags = base_tags(16, 10, 8, 5, 3, 10);
    tags.push((317, SHORT, vec![2]));
    tags.push((320, SHORT, inverting_colormap()));
    let differenced: Vec<u8> = indices
        .chunks(16)
        .flat_map(|row| {
            (0..16)
                .map(|x| {
                    if x == 0 {
                        row[0]
                    } else {
                        row[x].wrapping_sub(row[x - 1])
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let strip = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
        .encode(&differenced)
        .unwrap();
    assert_eq!(decode_image(&tiff_bytes(&tags, &[strip])).unwrap(), image);
}

#[test]
fn tiff_4_bit_palette() {
    let level: Vec<u32> = (0..16).map(|i| i * 17 * 257).collect();
    let mut tags = base_tags(3, 1, 4, 1, 3, 1);
    tags.push((320, SHORT, [level.clone(), level.clone(), level].concat()));
    let bytes = tiff_bytes(&tags, &[vec![0xf0, 0x80]]);
    assert_eq!(decode_image(&bytes).unwrap().pixels, vec![255, 0, 136]);
}

#[test]
fn tiff_defects_are_named() {
    let image = pattern(16, 10);
    let mut tags = base_tags(16, 10, 8, 5, 3, 10);
    tags.push((320, SHORT, inverting_colormap()));
    let strip = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
        .encode(&image.pixels)
        .unwrap();
    let bytes = tiff_bytes(&tags, std::slice::from_ref(&strip));

    // LZW data cut short: the strip decodes to fewer bytes than the rows need.
    let short = tiff_bytes(&tags, &[strip[..strip.len() / 2].to_vec()]);
    assert_defect(decode_image(&short), &["strip 0"]);
    // The file ends before the strip's declared end (the IFD sits after the
    // strip, so cutting the file removes the directory: any error will do).
    for cut in [4, 9, 20, bytes.len() / 2, bytes.len() - 1] {
        assert!(decode_image(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    // Colour map of the wrong length.
    let mut bad_map = base_tags(16, 10, 8, 5, 3, 10);
    bad_map.push((320, SHORT, vec![0; 30]));
    assert_defect(
        decode_image(&tiff_bytes(&bad_map, std::slice::from_ref(&strip))),
        &["ColorMap has 30 values"],
    );
    // No colour map at all.
    let no_map = base_tags(16, 10, 8, 5, 3, 10);
    assert_defect(
        decode_image(&tiff_bytes(&no_map, std::slice::from_ref(&strip))),
        &["without a ColorMap"],
    );
    // Strip pointing past the end of the file.
    let mut far = tiff_bytes(&tags, std::slice::from_ref(&strip));
    let pos = far
        .windows(4)
        .rposition(|w| w == [0x11, 0x01, 4, 0])
        .expect("StripOffsets entry");
    far[pos + 8..pos + 12].copy_from_slice(&1_000_000u32.to_le_bytes());
    assert_defect(decode_image(&far), &["strip 0 spans bytes 1000000"]);
    // Enormous declared size.
    let huge = base_tags(50_000, 50_000, 8, 1, 1, 50_000);
    assert_defect(
        decode_image(&tiff_bytes(&huge, &[vec![0; 4]])),
        &["exceeds the limit"],
    );
}

// ---------------------------------------------------------------- PGM / PPM

#[test]
fn pgm_binary_ascii_16_bit_and_ppm() {
    let image = pattern(6, 4);
    let mut p5 = b"P5\n# made in a test\n6 4\n255\n".to_vec();
    p5.extend_from_slice(&image.pixels);
    assert_eq!(decode_image(&p5).unwrap(), image);

    let numbers: Vec<String> = image.pixels.iter().map(|p| p.to_string()).collect();
    let p2 = format!("P2 6 4 # comment\n255\n{}\n", numbers.join(" "));
    assert_eq!(decode_image(p2.as_bytes()).unwrap(), image);

    let mut p5_16 = b"P5 2 1 65535\n".to_vec();
    p5_16.extend_from_slice(&[0xff, 0xff, 0x00, 0x00]);
    assert_eq!(decode_image(&p5_16).unwrap().pixels, vec![255, 0]);

    let p2_small_max = b"P2 3 1 4 0 2 4";
    assert_eq!(
        decode_image(p2_small_max).unwrap().pixels,
        vec![0, 128, 255]
    );

    let mut p6 = b"P6 1 1 255\n".to_vec();
    p6.extend_from_slice(&[0, 255, 0]);
    assert_eq!(decode_image(&p6).unwrap().pixels, vec![luma(0, 255, 0)]);
}

#[test]
fn pgm_defects_are_named() {
    let mut p5 = b"P5 4 4 255\n".to_vec();
    p5.extend_from_slice(&[0; 15]);
    assert_defect(
        decode_image(&p5),
        &["truncated", "needs 16 bytes but 15 remain"],
    );
    assert_defect(decode_image(b"P5 4"), &["truncated", "height"]);
    assert_defect(decode_image(b"P5 4 x"), &["expected the height"]);
    assert_defect(
        decode_image(b"P2 2 1 10 3 11"),
        &["sample 11 exceeds the maximum value 10"],
    );
    assert_defect(
        decode_image(b"P5 99999 99999 255\n"),
        &["exceeds the limit"],
    );
    assert_defect(decode_image(b"P2 1000 1000 255\n1 2 3"), &["truncated"]);
    assert_defect(decode_image(b"P5 1 1 0\n\0"), &["maximum value 0"]);
    assert_defect(decode_image(b"P5 1 1 99999999999\n"), &["too large"]);
}

// ---------------------------------------------------------------- WSQ

#[test]
fn wsq_through_the_nist_codec() {
    let image = pattern(64, 48);
    let grey = scomm_nist::GreyImage {
        width: 64,
        height: 48,
        ppi: Some(500),
        pixels: image.pixels.clone(),
    };
    let bytes = scomm_nist::wsq::encode(&grey, 2.25).unwrap();
    assert_eq!(detect_format(&bytes), Some(ImageFormat::Wsq));
    let decoded = decode_image(&bytes).unwrap();
    assert_eq!((decoded.width, decoded.height), (64, 48));
    // Lossy: close to the original on average, not equal.
    let error: u64 = decoded
        .pixels
        .iter()
        .zip(&image.pixels)
        .map(|(&a, &b)| a.abs_diff(b) as u64)
        .sum();
    assert!(error / (64 * 48) < 12, "mean error {}", error / (64 * 48));
    assert_defect(decode_image(&bytes[..bytes.len() / 2]), &["WSQ"]);
}

// ---------------------------------------------------------------- raw, detection, files

#[test]
fn raw_needs_the_exact_size() {
    let image = decode_raw(&[1, 2, 3, 4, 5, 6], 3, 2).unwrap();
    assert_eq!(image.row(1), &[4, 5, 6]);
    assert_eq!(image.get(2, 0), Some(3));
    assert_eq!(image.get(3, 0), None);
    let error = decode_raw(&[0; 5], 3, 2).unwrap_err().to_string();
    assert!(error.contains("needs 6 bytes but has 5"), "{error}");
    assert!(decode_raw(&[], 0, 0).is_err());
}

#[test]
fn unknown_and_empty_inputs_name_their_first_bytes() {
    assert_defect(decode_image(b"GIF89a..."), &["unrecognised", "47 49 46 38"]);
    assert_defect(decode_image(b""), &["empty"]);
    assert_defect(decode_image(b"P"), &["unrecognised"]);
}

#[test]
fn save_and_load_png_file() {
    let dir = std::env::temp_dir().join(format!("scomm-image-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pattern.png");
    let image = pattern(30, 20);
    save_png(&image, &path).unwrap();
    assert_eq!(load_image(&path).unwrap(), image);
    let raw_path = dir.join("pattern.raw");
    std::fs::write(&raw_path, &image.pixels).unwrap();
    assert_eq!(load_raw(&raw_path, 30, 20).unwrap(), image);
    std::fs::remove_dir_all(&dir).unwrap();
    let missing = load_image(dir.join("missing.png")).unwrap_err().to_string();
    assert!(missing.contains("missing.png"), "{missing}");
}

#[test]
fn inconsistent_public_fields_are_caught() {
    let broken = GrayImage {
        width: 10,
        height: 10,
        pixels: vec![0; 99],
    };
    assert!(encode_png(&broken).is_err());
    assert!(resample(&broken, 5, 5).is_err());
}

// ---------------------------------------------------------------- resampling

#[test]
fn resampling_569_dpi_to_500_ppi() {
    let image = pattern(296, 560);
    let out = resample_to_500ppi(&image, 569.0).unwrap();
    assert_eq!((out.width, out.height), (260, 492));
    // Within 1 dpi of 500 the image is left alone.
    assert_eq!(resample_to_500ppi(&image, 500.4).unwrap(), image);
    assert!(matches!(
        resample_to_500ppi(&image, 20.0),
        Err(ImageError::BadResolution(_))
    ));
    assert!(resample_to_500ppi(&image, f32::NAN).is_err());
}

#[test]
fn resampling_keeps_flat_areas_and_averages_when_shrinking() {
    let flat = GrayImage::filled(40, 30, 77);
    for (w, h) in [(35, 26), (80, 60), (13, 10), (1, 1)] {
        let out = resample(&flat, w, h).unwrap();
        assert!(out.pixels.iter().all(|&p| p == 77), "{w}x{h}");
    }
    // Columns alternating 0/255 shrunk 2x become mid-grey, not a copy of
    // either column (which point sampling would give).
    let stripes = GrayImage::new(
        8,
        2,
        (0..16).map(|i| if i % 2 == 0 { 0 } else { 255 }).collect(),
    )
    .unwrap();
    let out = resample(&stripes, 4, 1).unwrap();
    assert!(
        out.pixels.iter().all(|&p| (100..=155).contains(&p)),
        "{:?}",
        out.pixels
    );
}

#[test]
fn resampling_preserves_a_ramp() {
    // A horizontal ramp stays a monotonic ramp with the same end levels.
    let ramp = GrayImage::new(256, 4, (0..4).flat_map(|_| 0..=255u8).collect()).unwrap();
    let out = resample(&ramp, 225, 4).unwrap();
    let row = out.row(0);
    assert!(row.windows(2).all(|w| w[0] <= w[1]));
    assert!(row[0] <= 2 && row[224] >= 253, "{} {}", row[0], row[224]);
}

#[test]
fn a_missing_file_names_the_path_and_says_the_reason_once() {
    let path = std::env::temp_dir().join("scomm-no-such-image-7c1e.png");
    let err = load_image(&path).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("scomm-no-such-image-7c1e.png"), "{text}");
    assert!(matches!(err, ImageError::Io { .. }), "{err:?}");
    // The reason is in the message, so nothing is chained to print it again.
    assert!(std::error::Error::source(&err).is_none());
    assert_eq!(text.matches("os error").count(), 1, "{text}");
}
