//! The FVC evaluation protocol: which comparisons to run on a folder of
//! impressions, and the error rates (EER, FMR100, FMR1000, ZeroFMR) and DET
//! curve of the resulting scores. Scores: higher means more similar.

use std::path::{Path, PathBuf};

/// One image of a folder: which finger, which impression.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub path: PathBuf,
    pub finger: String,
    pub impression: u32,
}

/// The four FVC2002 B databases and their scan resolutions (DB2 is 569
/// dpi; the TIFFs' own resolution tags say 1x1).
pub const FVC2002_B: [(&str, f64); 4] = [
    ("DB1_B", 500.0),
    ("DB2_B", 569.0),
    ("DB3_B", 500.0),
    ("DB4_B", 500.0),
];

/// Images `eval` finds in a folder: formats told by their content. A
/// headerless `.raw` image needs a size, which a folder does not give.
const IMAGE_EXTENSIONS: [&str; 6] = ["tif", "tiff", "png", "bmp", "pgm", "wsq"];

/// Parse `FFF_I.ext` (FVC) or `PPP_F_I.ext` (person, finger, impression).
pub fn parse_name(path: &Path) -> Option<(String, u32)> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if !IMAGE_EXTENSIONS.contains(&ext.as_str()) {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    let parts: Vec<&str> = stem.split('_').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let impression = parts.last()?.parse().ok()?;
    Some((parts[..parts.len() - 1].join("_"), impression))
}

/// Every image in `dir` named by either convention, sorted by finger and impression.
pub fn discover(dir: &Path) -> std::io::Result<Vec<Sample>> {
    let mut samples = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if let Some((finger, impression)) = parse_name(&path) {
            samples.push(Sample {
                path,
                finger,
                impression,
            });
        }
    }
    samples.sort_by(|a, b| {
        a.finger
            .cmp(&b.finger)
            .then(a.impression.cmp(&b.impression))
    });
    Ok(samples)
}

/// Index pairs (i < j) into the sample list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Protocol {
    /// Every pair of impressions of the same finger.
    pub genuine: Vec<(usize, usize)>,
    /// Every pair of impressions of different fingers.
    pub impostor_all: Vec<(usize, usize)>,
    /// First impression of each finger against the first of every other (FVC).
    pub impostor_fvc: Vec<(usize, usize)>,
}

pub fn protocol(samples: &[Sample]) -> Protocol {
    let mut p = Protocol::default();
    let mut first: Vec<usize> = Vec::new();
    for i in 0..samples.len() {
        if i == 0 || samples[i].finger != samples[i - 1].finger {
            first.push(i);
        }
        for j in i + 1..samples.len() {
            if samples[i].finger == samples[j].finger {
                p.genuine.push((i, j));
            } else {
                p.impostor_all.push((i, j));
            }
        }
    }
    for (k, &i) in first.iter().enumerate() {
        for &j in &first[k + 1..] {
            p.impostor_fvc.push((i, j));
        }
    }
    p
}

/// Error rates as fractions (0.05 = 5 %).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rates {
    pub eer: f64,
    pub fmr100: f64,
    pub fmr1000: f64,
    pub zero_fmr: f64,
}

/// (threshold, FMR, FNMR) at every distinct score plus one above all:
/// a comparison matches when its score >= threshold.
pub fn operating_points(genuine: &[f32], impostor: &[f32]) -> Vec<(f32, f64, f64)> {
    let mut g: Vec<f32> = genuine.to_vec();
    let mut i: Vec<f32> = impostor.to_vec();
    g.sort_by(|a, b| a.total_cmp(b));
    i.sort_by(|a, b| a.total_cmp(b));
    let mut thresholds: Vec<f32> = g.iter().chain(&i).copied().collect();
    thresholds.sort_by(|a, b| a.total_cmp(b));
    thresholds.dedup();
    let top = thresholds.last().copied().unwrap_or(0.0);
    thresholds.push(if top.is_finite() {
        top + 1.0 + top.abs() * 1e-3
    } else {
        f32::INFINITY
    });
    let (ng, ni) = (g.len().max(1) as f64, i.len().max(1) as f64);
    thresholds
        .iter()
        .map(|&t| {
            let below_g = g.partition_point(|&s| s < t) as f64;
            let below_i = i.partition_point(|&s| s < t) as f64;
            (t, (i.len() as f64 - below_i) / ni, below_g / ng)
        })
        .collect()
}

pub fn rates(genuine: &[f32], impostor: &[f32]) -> Rates {
    let points = operating_points(genuine, impostor);
    // FVC's EER: between the last threshold where FNMR <= FMR and the first
    // where FNMR >= FMR, the midpoint of whichever pair of rates is closer.
    let mut eer = 1.0;
    for w in points.windows(2) {
        let (_, fmr1, fnmr1) = w[0];
        let (_, fmr2, fnmr2) = w[1];
        if fnmr1 <= fmr1 && fnmr2 >= fmr2 {
            let a = (fmr1 + fnmr1) / 2.0;
            let b = (fmr2 + fnmr2) / 2.0;
            eer = if (fmr1 - fnmr1).abs() <= (fmr2 - fnmr2).abs() {
                a
            } else {
                b
            };
            break;
        }
    }
    let best_fnmr = |max_fmr: f64| {
        points
            .iter()
            .filter(|p| p.1 <= max_fmr + 1e-12)
            .map(|p| p.2)
            .fold(1.0f64, f64::min)
    };
    Rates {
        eer,
        fmr100: best_fnmr(0.01),
        fmr1000: best_fnmr(0.001),
        zero_fmr: best_fnmr(0.0),
    }
}

/// The lowest threshold whose FMR on these impostor scores is at most `fmr`.
pub fn threshold_at_fmr(impostor: &[f32], fmr: f64) -> f32 {
    let mut s: Vec<f32> = impostor.to_vec();
    s.sort_by(|a, b| b.total_cmp(a));
    let allowed = (fmr * s.len() as f64).floor() as usize;
    match s.get(allowed) {
        // Strictly above the (allowed+1)-th highest impostor score.
        Some(&v) => next_up(v),
        None => f32::MIN,
    }
}

fn next_up(v: f32) -> f32 {
    if v.is_nan() || v == f32::INFINITY {
        return v;
    }
    let bits = v.to_bits();
    let next = if v == 0.0 {
        1
    } else if v > 0.0 {
        bits + 1
    } else {
        bits - 1
    };
    f32::from_bits(next)
}

/// A DET curve (FNMR against FMR, log-log) of one or more score sets, as SVG.
pub fn det_svg(curves: &[(String, Vec<f32>, Vec<f32>)]) -> String {
    const W: f64 = 560.0;
    const H: f64 = 460.0;
    const LEFT: f64 = 70.0;
    const TOP: f64 = 20.0;
    const PW: f64 = 460.0;
    const PH: f64 = 380.0;
    const MIN_RATE: f64 = 1e-4;
    let to_x =
        |fmr: f64| LEFT + (fmr.max(MIN_RATE).log10() - MIN_RATE.log10()) / -MIN_RATE.log10() * PW;
    let to_y = |fnmr: f64| {
        TOP + PH - (fnmr.max(MIN_RATE).log10() - MIN_RATE.log10()) / -MIN_RATE.log10() * PH
    };
    let colours = [
        "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f",
    ];
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for k in 0..=4 {
        let rate = 10f64.powi(-k);
        let (x, y) = (to_x(rate), to_y(rate));
        svg += &format!(
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{rate}</text>\n\
             <line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{rate}</text>\n",
            TOP + PH,
            TOP + PH + 16.0,
            LEFT + PW,
            LEFT - 6.0,
            y + 4.0
        );
    }
    svg += &format!(
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{PW}\" height=\"{PH}\" fill=\"none\" stroke=\"black\"/>\n\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">FMR (false match rate)</text>\n\
         <text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">FNMR (false non-match rate)</text>\n",
        LEFT + PW / 2.0,
        H - 8.0,
        TOP + PH / 2.0
    );
    for (n, (name, genuine, impostor)) in curves.iter().enumerate() {
        let colour = colours[n % colours.len()];
        let points: Vec<String> = operating_points(genuine, impostor)
            .iter()
            .map(|&(_, fmr, fnmr)| format!("{:.1},{:.1}", to_x(fmr), to_y(fnmr)))
            .collect();
        let r = rates(genuine, impostor);
        svg += &format!(
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{colour}\">{} (EER {:.2}%)</text>\n",
            points.join(" "),
            LEFT + PW - 200.0,
            TOP + 18.0 + 16.0 * n as f64,
            xml_escape(name),
            r.eer * 100.0
        );
    }
    svg + "</svg>\n"
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_both_conventions_parse() {
        assert_eq!(
            parse_name(Path::new("/x/101_3.tif")),
            Some(("101".into(), 3))
        );
        assert_eq!(
            parse_name(Path::new("012_4_2.png")),
            Some(("012_4".into(), 2))
        );
        assert_eq!(parse_name(Path::new("101_3.WSQ")), Some(("101".into(), 3)));
        assert_eq!(parse_name(Path::new("101_3.txt")), None);
        // A headerless image has no size to be read at.
        assert_eq!(parse_name(Path::new("101_3.raw")), None);
        assert_eq!(parse_name(Path::new("a_3.tif")), None);
        assert_eq!(parse_name(Path::new("1_2_3_4.tif")), None);
    }

    fn sample(finger: &str, impression: u32) -> Sample {
        Sample {
            path: PathBuf::new(),
            finger: finger.into(),
            impression,
        }
    }

    #[test]
    fn protocol_counts_follow_fvc() {
        let samples: Vec<Sample> = (0..10)
            .flat_map(|f| (1..=8).map(move |i| sample(&format!("{f}"), i)))
            .collect();
        let p = protocol(&samples);
        assert_eq!(p.genuine.len(), 10 * 28);
        assert_eq!(p.impostor_fvc.len(), 45);
        assert_eq!(p.impostor_all.len(), 80 * 79 / 2 - 280);
        assert!(p
            .impostor_fvc
            .iter()
            .all(|&(i, j)| samples[i].impression == 1 && samples[j].impression == 1));
    }

    #[test]
    fn separable_scores_have_zero_error() {
        let r = rates(&[5.0, 6.0, 7.0], &[1.0, 2.0, 3.0]);
        assert_eq!(
            r,
            Rates {
                eer: 0.0,
                fmr100: 0.0,
                fmr1000: 0.0,
                zero_fmr: 0.0
            }
        );
    }

    #[test]
    fn overlapping_scores_give_known_rates() {
        // One genuine (1.5) below one impostor (2.0) among 4 each.
        let genuine = [1.5, 3.0, 4.0, 5.0];
        let impostor = [0.0, 0.5, 1.0, 2.0];
        let r = rates(&genuine, &impostor);
        assert!((r.eer - 0.25).abs() < 1e-9, "{r:?}");
        assert!((r.zero_fmr - 0.25).abs() < 1e-9);
        let t = threshold_at_fmr(&impostor, 0.0);
        assert!(t > 2.0 && t < 2.001);
        assert!(det_svg(&[("x".into(), genuine.to_vec(), impostor.to_vec())]).contains("polyline"));
    }

    #[test]
    fn errors_name_the_folder_or_image_and_say_their_cause_once() {
        use crate::extract::Profile;
        let dir = std::env::temp_dir().join(format!("scomm-eval-errors-{}", std::process::id()));
        let missing = dir.join("DB9_B");
        let err = evaluate_folder(&missing, 500.0, Profile::Fast, &Quiet)
            .err()
            .unwrap();
        assert!(matches!(err, EvalError::Folder { .. }), "{err:?}");
        assert!(std::error::Error::source(&err).is_none(), "{err:?}");
        assert!(err.to_string().contains("DB9_B"), "{err}");
        // Two fingers of two impressions, one of them not an image.
        std::fs::create_dir_all(&dir).unwrap();
        let print = crate::image_io::GrayImage::new(64, 64, vec![128; 64 * 64]).unwrap();
        for name in ["101_1", "101_2", "102_1"] {
            crate::image_io::save_png(&print, dir.join(format!("{name}.png"))).unwrap();
        }
        std::fs::write(dir.join("102_2.png"), b"\x89PNG\r\n\x1a\n").unwrap();
        let err = evaluate_folder(&dir, 500.0, Profile::Fast, &Quiet)
            .err()
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(std::error::Error::source(&err).is_none(), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(".png:"), "{text}");
    }
}

/// Scores and speeds of one folder under the FVC protocol.
pub struct FolderResult {
    pub name: String,
    pub samples: Vec<Sample>,
    pub protocol: Protocol,
    pub templates: Vec<crate::Template>,
    pub genuine: Vec<f32>,
    pub impostor: Vec<f32>,
    pub impostor_fvc: Vec<f32>,
    /// Mean extraction time per image on one core (loading excluded), in
    /// the extracting thread's CPU time.
    pub extract_ms: f64,
    /// Comparisons per second per core with prepared probes: the genuine
    /// and all-pairs impostor comparisons, run on every core and divided
    /// by the CPU time the comparing threads spent on them (their CPU-time
    /// clocks; wall time where there is none), so that time a thread waits
    /// for a core, taken by other processes, does not count as comparing.
    /// A folder compared in under
    /// [`MIN_TIMED_SECONDS`] is compared again until that much time is
    /// spent (at most [`MAX_TIMED_PASSES`] passes), and the median pass
    /// counts: one pass of FVC2002 DB2 takes 60 ms, whose first
    /// milliseconds (cold caches, scratch space growing) and the machine's
    /// moods move the figure by a tenth or more.
    pub comparisons_per_s: f64,
    pub mean_minutiae: f64,
}

/// What `work` returns, and the seconds of this thread's CPU time it took
/// (wall time where the thread has no CPU-time clock): what the thread
/// computed, not the time it waited while other processes had its core.
/// With one busy process beside `eval fvc` on this project's 2-core machine,
/// wall time read FVC2002 DB2 at 19.5-27.9k comparisons/s per core in three
/// runs and CPU time at 33.5-46.5k in five; idle, the two read alike
/// (BENCHMARKS.md).
fn busy_seconds<T>(work: impl FnOnce() -> T) -> (T, f64) {
    let start = (
        std::time::Instant::now(),
        cpu_time::ThreadTime::try_now().ok(),
    );
    let result = work();
    let cpu = start.1.and_then(|t| t.try_elapsed().ok());
    (
        result,
        cpu.unwrap_or_else(|| start.0.elapsed()).as_secs_f64(),
    )
}

/// Comparing time after which a folder's speed is not measured again.
pub const MIN_TIMED_SECONDS: f64 = 1.0;
/// Most passes over a folder's comparisons for its speed.
pub const MAX_TIMED_PASSES: usize = 25;

/// Progress of `evaluate_folder`: images extracted, comparisons done.
pub trait Progress: Sync {
    fn start(&self, phase: &str, total: usize);
    fn advance(&self, n: usize);
    fn finish(&self);
}

/// No progress reporting.
pub struct Quiet;
impl Progress for Quiet {
    fn start(&self, _: &str, _: usize) {}
    fn advance(&self, _: usize) {}
    fn finish(&self) {}
}

// Each cause is part of the text and not the error's source, as in
// `extract::FileError`: a caller that prints the chain says it once.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("reading folder {path}: {error}")]
    Folder {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{0}: no images named FFF_I.ext or PPP_F_I.ext (ext: tif, tiff, png, bmp, pgm or wsq; headerless .raw images carry no size: convert them to PGM)")]
    NoImages(PathBuf),
    #[error("{0}: needs at least two fingers with two impressions each")]
    TooFew(PathBuf),
    #[error("loading {path}: {error}")]
    Load {
        path: PathBuf,
        error: crate::image_io::ImageError,
    },
    #[error("extracting {path}: {error}")]
    Extract {
        path: PathBuf,
        error: crate::extract::ExtractError,
    },
}

/// A folder and its scan resolution from `DIR[:DPI]`, as the examples take
/// them: a trailing `:NUMBER` is the resolution, 500 dpi without one.
pub fn folder_spec(spec: &str) -> (PathBuf, f64) {
    match spec.rsplit_once(':') {
        Some((dir, dpi)) => match dpi.parse::<f64>() {
            Ok(dpi) => (PathBuf::from(dir), dpi),
            Err(_) => (PathBuf::from(spec), 500.0),
        },
        None => (PathBuf::from(spec), 500.0),
    }
}

/// Every image of a folder ([`discover`]'s names and order), extracted at
/// `dpi` on all cores.
pub fn extract_folder(
    dir: &Path,
    dpi: f64,
) -> Result<(Vec<Sample>, Vec<crate::Template>), EvalError> {
    use rayon::prelude::*;
    let samples = discover(dir).map_err(|error| EvalError::Folder {
        path: dir.to_path_buf(),
        error,
    })?;
    let templates = samples
        .par_iter()
        .map(|s| extract_image(s, &load_sample(s)?, dpi, crate::extract::Profile::Fast))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((samples, templates))
}

fn load_sample(s: &Sample) -> Result<crate::image_io::GrayImage, EvalError> {
    crate::image_io::load_image(&s.path).map_err(|error| EvalError::Load {
        path: s.path.clone(),
        error,
    })
}

fn extract_image(
    s: &Sample,
    image: &crate::image_io::GrayImage,
    dpi: f64,
    profile: crate::extract::Profile,
) -> Result<crate::Template, EvalError> {
    crate::extract::extract_with(
        &image.pixels,
        image.width as usize,
        image.height as usize,
        dpi,
        profile,
    )
    .map_err(|error| EvalError::Extract {
        path: s.path.clone(),
        error,
    })
}

/// Run the FVC protocol on one folder scanned at `dpi`, with templates of
/// `profile`.
pub fn evaluate_folder(
    dir: &Path,
    dpi: f64,
    profile: crate::extract::Profile,
    progress: &dyn Progress,
) -> Result<FolderResult, EvalError> {
    use rayon::prelude::*;

    use crate::matcher::{Matcher, PreparedTemplate};

    let samples = discover(dir).map_err(|error| EvalError::Folder {
        path: dir.to_path_buf(),
        error,
    })?;
    if samples.is_empty() {
        return Err(EvalError::NoImages(dir.to_path_buf()));
    }
    let protocol = protocol(&samples);
    if protocol.genuine.is_empty() || protocol.impostor_all.is_empty() {
        return Err(EvalError::TooFew(dir.to_path_buf()));
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    progress.start(&format!("{name}: extract"), samples.len());
    let extracted: Vec<Result<(crate::Template, f64), EvalError>> = samples
        .par_iter()
        .map(|s| {
            let image = load_sample(s)?;
            // An image is extracted on one thread: its CPU time is the
            // extraction's.
            let (template, seconds) = busy_seconds(|| extract_image(s, &image, dpi, profile));
            let template = template?;
            let ms = seconds * 1000.0;
            progress.advance(1);
            Ok((template, ms))
        })
        .collect();
    progress.finish();
    let mut templates = Vec::with_capacity(samples.len());
    let mut total_ms = 0.0;
    for r in extracted {
        let (t, ms) = r?;
        templates.push(t);
        total_ms += ms;
    }
    let prepared: Vec<PreparedTemplate> = templates.iter().map(PreparedTemplate::new).collect();
    let matchers: Vec<Matcher> = prepared
        .iter()
        .cloned()
        .map(Matcher::from_prepared)
        .collect();
    let total = protocol.genuine.len() + protocol.impostor_all.len() + protocol.impostor_fvc.len();
    progress.start(&format!("{name}: compare"), total);
    // Scores with the busy time of their comparisons, summed over cores;
    // `report` says whether they count towards the progress bar.
    let score = |pairs: &[(usize, usize)], report: bool| -> (Vec<f32>, f64) {
        let chunks: Vec<(Vec<f32>, f64)> = pairs
            .par_chunks(128)
            .map(|chunk| {
                let (scores, busy) = busy_seconds(|| {
                    chunk
                        .iter()
                        .map(|&(i, j)| matchers[i].compare(&prepared[j]))
                        .collect::<Vec<f32>>()
                });
                if report {
                    progress.advance(chunk.len());
                }
                (scores, busy)
            })
            .collect();
        let busy = chunks.iter().map(|c| c.1).sum();
        (chunks.into_iter().flat_map(|c| c.0).collect(), busy)
    };
    let (genuine, busy_g) = score(&protocol.genuine, true);
    let (impostor, busy_i) = score(&protocol.impostor_all, true);
    let (impostor_fvc, _) = score(&protocol.impostor_fvc, true);
    progress.finish();
    let compared = (genuine.len() + impostor.len()) as f64;
    let mut rates = vec![compared / (busy_g + busy_i).max(1e-9)];
    let mut spent = busy_g + busy_i;
    while spent < MIN_TIMED_SECONDS && rates.len() < MAX_TIMED_PASSES {
        let busy = score(&protocol.genuine, false).1 + score(&protocol.impostor_all, false).1;
        rates.push(compared / busy.max(1e-9));
        spent += busy;
    }
    rates.sort_by(f64::total_cmp);
    let comparisons_per_s = rates[rates.len() / 2];
    let mean_minutiae =
        templates.iter().map(|t| t.minutiae.len()).sum::<usize>() as f64 / templates.len() as f64;
    Ok(FolderResult {
        name,
        extract_ms: total_ms / samples.len() as f64,
        comparisons_per_s,
        mean_minutiae,
        samples,
        protocol,
        templates,
        genuine,
        impostor,
        impostor_fvc,
    })
}
