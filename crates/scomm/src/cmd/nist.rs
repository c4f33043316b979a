//! `scomm nist ...` and `scomm wsq ...`: thin wrappers over the scomm-nist crate.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Subcommand;
use scomm_nist::an2k::{Record, RS, US};
use scomm_nist::{ebts, wsq, GreyImage, ImageRecord, Transaction};

/// `println!` that ignores a closed stdout (`scomm nist dump F | head` must not panic, and
/// `extract` keeps writing its files).
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

#[derive(Subcommand)]
pub enum NistCommand {
    /// Print the records and fields of a transaction.
    Dump {
        /// ANSI/NIST-ITL file.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check a transaction: structure, and the EBTS rules for TOT CAR and SRE.
    Validate {
        /// ANSI/NIST-ITL file.
        file: PathBuf,
    },
    /// Write every image of a transaction to OUTDIR (PNG when decodable, else raw data).
    Extract {
        /// ANSI/NIST-ITL file.
        file: PathBuf,
        /// Output directory (created if absent).
        outdir: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum WsqCommand {
    /// Decode a WSQ file to PNG.
    Decode { input: PathBuf, output: PathBuf },
    /// Encode an 8-bit greyscale PNG to WSQ.
    Encode {
        input: PathBuf,
        output: PathBuf,
        /// Target bit rate in bits per pixel (0.75 is the FBI's rate for 500 ppi).
        #[arg(long, default_value_t = wsq::DEFAULT_BITRATE)]
        bitrate: f32,
        /// Resolution recorded in the NIST_COM comment.
        #[arg(long, default_value_t = 500)]
        ppi: u32,
    },
}

pub fn run(command: NistCommand) -> anyhow::Result<()> {
    match command {
        NistCommand::Dump { file, json } => dump(&file, json),
        NistCommand::Validate { file } => validate(&file),
        NistCommand::Extract { file, outdir } => extract(&file, &outdir),
    }
}

pub fn run_wsq(command: WsqCommand) -> anyhow::Result<()> {
    match command {
        WsqCommand::Decode { input, output } => {
            let data = read(&input)?;
            let img =
                wsq::decode(&data).with_context(|| format!("decoding {}", input.display()))?;
            write_png(&output, &img)?;
            say!(
                "{}: {}x{} ppi {} -> {}",
                input.display(),
                img.width,
                img.height,
                ppi_text(img.ppi),
                output.display()
            );
            Ok(())
        }
        WsqCommand::Encode {
            input,
            output,
            bitrate,
            ppi,
        } => {
            let mut img = read_png(&input)?;
            img.ppi = Some(ppi);
            let data = wsq::encode(&img, bitrate)?;
            std::fs::write(&output, &data)
                .with_context(|| format!("writing {}", output.display()))?;
            let ratio = img.pixels.len() as f64 / data.len() as f64;
            say!(
                "{}: {}x{} -> {} ({} bytes, {ratio:.1}:1)",
                input.display(),
                img.width,
                img.height,
                output.display(),
                data.len()
            );
            Ok(())
        }
    }
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn parse(path: &Path) -> anyhow::Result<Transaction> {
    let data = read(path)?;
    Transaction::parse(&data).with_context(|| format!("parsing {}", path.display()))
}

fn ppi_text(ppi: Option<u32>) -> String {
    ppi.map_or("unknown".into(), |p| p.to_string())
}

/// Field text with RS/US shown as their visible symbols; binary values as a byte count.
fn show_value(number: u32, value: &[u8]) -> String {
    let printable = value
        .iter()
        .all(|&b| b >= 0x20 || b == RS || b == US || b == b'\t' || b == b'\n' || b == b'\r');
    if number == 999 || !printable || std::str::from_utf8(value).is_err() {
        return format!("<{} bytes>", value.len());
    }
    String::from_utf8_lossy(value)
        .replace(RS as char, "\u{241E}")
        .replace(US as char, "\u{241F}")
}

fn image_summary<'a>(tx: &Transaction, index: usize, rec: &'a Record) -> Option<ImageRecord<'a>> {
    let t1 = tx.type1()?;
    ImageRecord::from_record(index, rec, t1.text(11).as_deref(), t1.text(12).as_deref()).ok()
}

fn dump(path: &Path, json: bool) -> anyhow::Result<()> {
    let tx = parse(path)?;
    if json {
        let records: Vec<serde_json::Value> = tx
            .records
            .iter()
            .enumerate()
            .map(|(i, rec)| {
                let mut obj = serde_json::json!({ "index": i + 1, "type": rec.record_type() });
                match rec {
                    Record::Tagged(t) => {
                        obj["encoding"] = "tagged".into();
                        obj["fields"] = t
                            .fields
                            .iter()
                            .map(|f| {
                                if f.number == 999 || std::str::from_utf8(&f.value).is_err() {
                                    serde_json::json!({ "tag": f.tag, "binary_bytes": f.value.len() })
                                } else {
                                    serde_json::json!({ "tag": f.tag, "subfields": f.items() })
                                }
                            })
                            .collect();
                    }
                    Record::Binary(b) => {
                        obj["encoding"] = "binary".into();
                        obj["length"] = b.bytes.len().into();
                    }
                }
                if let Some(img) = image_summary(&tx, i + 1, rec) {
                    obj["image"] = serde_json::json!({
                        "idc": img.idc, "impression": img.impression, "positions": img.positions,
                        "width": img.width, "height": img.height, "ppi": img.ppi,
                        "compression": img.compression.code_text(), "data_bytes": img.data.len(),
                    });
                }
                obj
            })
            .collect();
        let out = serde_json::json!({ "file": path.display().to_string(), "version": tx.version(), "records": records });
        say!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    say!(
        "{}: {} records, version {}",
        path.display(),
        tx.records.len(),
        tx.version().map_or("?".into(), |v| format!("{v:04}"))
    );
    for (i, rec) in tx.records.iter().enumerate() {
        match rec {
            Record::Tagged(t) => {
                say!(
                    "record {}: Type-{} (tagged, {} fields)",
                    i + 1,
                    t.record_type,
                    t.fields.len()
                );
                for f in &t.fields {
                    say!("  {} = {}", f.tag, show_value(f.number, &f.value));
                }
            }
            Record::Binary(b) => say!(
                "record {}: Type-{} (binary, {} bytes)",
                i + 1,
                b.record_type,
                b.bytes.len()
            ),
        }
        if let Some(img) = image_summary(&tx, i + 1, rec) {
            say!(
                "  image: IDC {}, impression {:?}, positions {:?}, {}x{}, {} ppi, {}, {} data bytes",
                img.idc,
                img.impression,
                img.positions,
                img.width,
                img.height,
                ppi_text(img.ppi),
                img.compression.code_text(),
                img.data.len()
            );
        }
    }
    Ok(())
}

fn validate(path: &Path) -> anyhow::Result<()> {
    let tx = parse(path)?;
    let findings = ebts::validate(&tx);
    let tot = tx.type1().and_then(|t| t.text(4)).unwrap_or_default();
    if findings.is_empty() {
        say!(
            "{}: valid (TOT {tot}, {} records)",
            path.display(),
            tx.records.len()
        );
        return Ok(());
    }
    for f in &findings {
        say!("{f}");
    }
    bail!("{}: {} finding(s)", path.display(), findings.len())
}

fn extract(path: &Path, outdir: &Path) -> anyhow::Result<()> {
    let tx = parse(path)?;
    std::fs::create_dir_all(outdir).with_context(|| format!("creating {}", outdir.display()))?;
    for img in ImageRecord::all(&tx)? {
        let pos = img.positions.first().map_or("na".into(), |p| p.to_string());
        let stem = format!(
            "r{:02}_type{}_idc{}_pos{pos}",
            img.record_index, img.record_type, img.idc
        );
        match img.decode_grey() {
            Ok(grey) => {
                let out = outdir.join(format!("{stem}.png"));
                write_png(&out, &grey)?;
                say!("{}", out.display());
            }
            Err(e) => {
                let out = outdir.join(format!("{stem}.{}", img.compression.extension()));
                std::fs::write(&out, img.data)
                    .with_context(|| format!("writing {}", out.display()))?;
                say!("{} (raw data: {e})", out.display());
            }
        }
    }
    Ok(())
}

pub fn write_png(path: &Path, img: &GreyImage) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), img.width, img.height);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header()?;
    writer.write_image_data(&img.pixels)?;
    writer.finish()?;
    Ok(())
}

/// Read an 8-bit PNG as grey (colour images take the first channel of grey-coded pixels
/// or the luma of colour ones).
pub fn read_png(path: &Path) -> anyhow::Result<GreyImage> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND);
    let what = || format!("reading {} as PNG", path.display());
    let mut reader = decoder.read_info().with_context(what)?;
    let size = reader.output_buffer_size();
    let mut buf = vec![0; size.with_context(|| format!("{}: too large", what()))?];
    let info = reader.next_frame(&mut buf).with_context(what)?;
    buf.truncate(info.buffer_size());
    if info.bit_depth != png::BitDepth::Eight {
        bail!(
            "{}: {:?}-bit PNG (8-bit expected)",
            path.display(),
            info.bit_depth
        );
    }
    let luma = |c: &[u8]| {
        ((u32::from(c[0]) * 299 + u32::from(c[1]) * 587 + u32::from(c[2]) * 114 + 500) / 1000) as u8
    };
    let pixels = match info.color_type {
        png::ColorType::Grayscale => buf,
        png::ColorType::GrayscaleAlpha => buf.chunks(2).map(|c| c[0]).collect(),
        png::ColorType::Rgb => buf.chunks(3).map(luma).collect(),
        png::ColorType::Rgba => buf.chunks(4).map(luma).collect(),
        other => bail!("{}: unsupported PNG colour type {other:?}", path.display()),
    };
    Ok(GreyImage {
        width: info.width,
        height: info.height,
        ppi: None,
        pixels,
    })
}

/// `scomm bench wsq`.
#[derive(clap::Args)]
pub struct BenchWsqArgs {
    /// Directory of .wsq files with same-stem reference .png decodings.
    #[arg(long, default_value = "../shared/data/wsq/jnbis-tenprint")]
    dir: PathBuf,
    /// Rounds over all files (the best round is reported).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// A Python with the PyPI `wsq` package: times NBIS on the same files in the same run.
    #[arg(long)]
    nbis_python: Option<PathBuf>,
    /// The side-by-side script.
    #[arg(long, default_value = "scripts/nbis_wsq.py")]
    nbis_script: PathBuf,
}

/// `scomm bench nist`.
#[derive(clap::Args)]
pub struct BenchNistArgs {
    /// ANSI/NIST-ITL transaction to parse (a tenprint card by default).
    #[arg(
        long,
        default_value = "../shared/data/ansi-nist/jnbis-nist-reference/type-14-tpcard-nqm.an2"
    )]
    file: PathBuf,
    /// Seconds to spend on each measurement.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
}

fn best_of<T>(rounds: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..rounds.max(1) {
        let t = std::time::Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(best)
}

pub fn bench_wsq(args: BenchWsqArgs) -> anyhow::Result<()> {
    use rayon::prelude::*;
    let mut wsqs = Vec::new();
    let mut images = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&args.dir)
        .with_context(|| format!("reading {}", args.dir.display()))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        match p.extension().and_then(|x| x.to_str()) {
            Some("wsq") => wsqs.push(read(&p)?),
            Some("png") => images.push(read_png(&p)?),
            _ => {}
        }
    }
    if wsqs.is_empty() || images.is_empty() {
        bail!(
            "{}: needs .wsq files and their .png decodings",
            args.dir.display()
        );
    }
    let pixels: usize = images.iter().map(|i| i.pixels.len()).sum();
    let mpx = pixels as f64 / 1e6;
    let dec = best_of(args.rounds, || {
        wsqs.iter()
            .map(|d| Ok(wsq::decode(d)?))
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    let enc = best_of(args.rounds, || {
        images
            .iter()
            .map(|i| Ok(wsq::encode(i, wsq::DEFAULT_BITRATE)?))
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    let dec_par = best_of(args.rounds, || {
        wsqs.par_iter()
            .map(|d| Ok(wsq::decode(d)?))
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    let enc_par = best_of(args.rounds, || {
        images
            .par_iter()
            .map(|i| Ok(wsq::encode(i, wsq::DEFAULT_BITRATE)?))
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    say!(
        "WSQ, {} files, {mpx:.2} Mpx per round, best of {} rounds",
        wsqs.len(),
        args.rounds
    );
    say!(
        "scomm decode, 1 thread        {:8.3} s  {:7.1} Mpx/s",
        dec,
        mpx / dec
    );
    say!(
        "scomm encode 0.75, 1 thread   {:8.3} s  {:7.1} Mpx/s",
        enc,
        mpx / enc
    );
    say!(
        "scomm decode, {} threads       {:8.3} s  {:7.1} Mpx/s",
        rayon::current_num_threads(),
        dec_par,
        mpx / dec_par
    );
    say!(
        "scomm encode, {} threads       {:8.3} s  {:7.1} Mpx/s",
        rayon::current_num_threads(),
        enc_par,
        mpx / enc_par
    );
    if let Some(python) = &args.nbis_python {
        let out = std::process::Command::new(python)
            .arg(&args.nbis_script)
            .arg("bench")
            .arg(&args.dir)
            .arg(args.rounds.to_string())
            .output()
            .with_context(|| format!("running {}", python.display()))?;
        if !out.status.success() {
            bail!(
                "NBIS bench failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).context("NBIS bench output")?;
        let (nd, ne) = (
            v["decode_s"].as_f64().unwrap_or(f64::NAN),
            v["encode_s"].as_f64().unwrap_or(f64::NAN),
        );
        say!(
            "NBIS decode (PyPI wsq)        {:8.3} s  {:7.1} Mpx/s  (scomm 1 thread is {:.2}x)",
            nd,
            mpx / nd,
            nd / dec
        );
        say!(
            "NBIS encode (PyPI wsq)        {:8.3} s  {:7.1} Mpx/s  (scomm 1 thread is {:.2}x)",
            ne,
            mpx / ne,
            ne / enc
        );
    }
    Ok(())
}

pub fn bench_nist(args: BenchNistArgs) -> anyhow::Result<()> {
    let data = read(&args.file)?;
    let tx = Transaction::parse(&data)?;
    let mb = data.len() as f64 / 1e6;
    let measure = |f: &mut dyn FnMut() -> anyhow::Result<()>| -> anyhow::Result<f64> {
        let start = std::time::Instant::now();
        let mut n = 0u64;
        while start.elapsed().as_secs_f64() < args.seconds || n == 0 {
            f()?;
            n += 1;
        }
        Ok(n as f64 * mb / start.elapsed().as_secs_f64())
    };
    let parse_rate = measure(&mut || {
        std::hint::black_box(Transaction::parse(std::hint::black_box(&data))?);
        Ok(())
    })?;
    let write_rate = measure(&mut || {
        std::hint::black_box(tx.to_bytes());
        Ok(())
    })?;
    let validate_rate = measure(&mut || {
        std::hint::black_box(ebts::validate(&tx));
        Ok(())
    })?;
    say!(
        "{}: {} records, {:.3} MB",
        args.file.display(),
        tx.records.len(),
        mb
    );
    say!("parse (no image decoding)   {parse_rate:9.1} MB/s");
    say!("write                       {write_rate:9.1} MB/s");
    say!("validate (structure + EBTS) {validate_rate:9.1} MB/s");
    Ok(())
}
