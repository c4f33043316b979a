//! Load times of the image loaders and template formats on ../shared/data,
//! one thread, best of several rounds (figures in BENCHMARKS.md).
//!
//! `cargo run --release -p scomm-fingerprint --example formats_bench [ROUNDS]`
//! `... --example formats_bench -- --fnv` prints an FNV-1a 64 hash of every
//! decoded TIFF instead (to compare pixel-for-pixel with another decoder).

use scomm_fingerprint::{formats, image_io};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut list: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    list.sort();
    list
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Best-of-`rounds` time to decode every file from memory (file reads excluded).
fn best_of<T>(rounds: usize, inputs: &[Vec<u8>], decode: impl Fn(&[u8]) -> T) -> f64 {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for input in inputs {
                std::hint::black_box(decode(input));
            }
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut tiff_sets = vec![(
        "neurotech-crossmatch (palette LZW TIFF)",
        data.join("neurotech-crossmatch"),
    )];
    for db in ["DB1_B", "DB2_B", "DB3_B", "DB4_B"] {
        tiff_sets.push((db, data.join("fvc2002").join(db)));
    }
    if args.first().map(String::as_str) == Some("--fnv") {
        for (_, dir) in &tiff_sets {
            for file in files(dir, "tif") {
                let image = image_io::load_image(&file).unwrap();
                println!(
                    "{} {} {} {:016x}",
                    file.display(),
                    image.width,
                    image.height,
                    fnv1a(&image.pixels)
                );
            }
        }
        return;
    }
    let rounds: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(5);
    println!("best of {rounds} rounds, one thread, decoding from memory");
    for (name, dir) in &tiff_sets {
        let inputs: Vec<Vec<u8>> = files(dir, "tif")
            .iter()
            .map(|f| std::fs::read(f).unwrap())
            .collect();
        let pixels: usize = inputs
            .iter()
            .map(|b| image_io::decode_image(b).unwrap().pixels.len())
            .sum();
        let seconds = best_of(rounds, &inputs, |b| image_io::decode_image(b).unwrap());
        println!(
            "{name}: {} images, {:.3} ms/image, {:.0} Mpx/s",
            inputs.len(),
            seconds * 1e3 / inputs.len() as f64,
            pixels as f64 / seconds / 1e6
        );
        if name.starts_with("DB2") {
            let images: Vec<image_io::GrayImage> = inputs
                .iter()
                .map(|b| image_io::decode_image(b).unwrap())
                .collect();
            let start = Instant::now();
            for _ in 0..rounds {
                for image in &images {
                    std::hint::black_box(image_io::resample_to_500ppi(image, 569.0).unwrap());
                }
            }
            println!(
                "DB2_B resampled 569 -> 500 ppi: {:.3} ms/image (mean of {rounds} rounds)",
                start.elapsed().as_secs_f64() * 1e3 / (rounds * images.len()) as f64
            );
        }
    }
    let mut templates = Vec::new();
    for db in ["DB1_B", "DB2_B", "DB3_B", "DB4_B"] {
        for file in files(&data.join("iso19794-2/fvc2002").join(db), "iso") {
            templates.push(std::fs::read(file).unwrap());
        }
    }
    let decoded: Vec<_> = templates
        .iter()
        .map(|b| formats::decode_template(b).unwrap())
        .collect();
    let seconds = best_of(rounds, &templates, |b| formats::decode_template(b).unwrap());
    println!(
        "ISO 19794-2 import: {} templates, {:.2} us/template",
        templates.len(),
        seconds * 1e6 / templates.len() as f64
    );
    for format in [
        formats::TemplateFormat::Native,
        formats::TemplateFormat::Iso19794_2_2005,
    ] {
        let encoded: Vec<Vec<u8>> = decoded
            .iter()
            .map(|t| formats::encode_template(t, format).unwrap())
            .collect();
        let bytes: usize = encoded.iter().map(Vec::len).sum();
        let max = encoded.iter().map(Vec::len).max().unwrap_or(0);
        let decode_seconds = best_of(rounds, &encoded, |b| formats::decode_template(b).unwrap());
        let start = Instant::now();
        for template in &decoded {
            std::hint::black_box(formats::encode_template(template, format).unwrap());
        }
        let encode_seconds = start.elapsed().as_secs_f64();
        println!(
            "{format}: mean {} bytes, largest {max}; encode {:.2} us, decode {:.2} us per template",
            bytes / encoded.len(),
            encode_seconds * 1e6 / encoded.len() as f64,
            decode_seconds * 1e6 / encoded.len() as f64
        );
    }
}
