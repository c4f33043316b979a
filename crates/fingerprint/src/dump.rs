//! Pictures of every extraction stage, so a person can see what the engine
//! saw: `write_stages` writes one PNG per stage into a folder, and
//! `write_pairing` draws a comparison: both fingers side by side, the
//! paired minutiae joined.

use std::f32::consts::PI;
use std::path::Path;

use crate::extract::grid::Grid;
use crate::extract::segment::BLOCK;
use crate::extract::Stages;
use crate::matcher::Comparison;
use crate::template::{Minutia, MinutiaKind, Template};

type Rgb = [u8; 3];

struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<Rgb>,
}

impl Canvas {
    fn from_grey(grey: &Grid<u8>, dim: f32) -> Self {
        let pixels = grey
            .data
            .iter()
            .map(|&v| {
                let v = (255.0 - (255.0 - v as f32) * dim) as u8;
                [v, v, v]
            })
            .collect();
        Canvas {
            width: grey.width,
            height: grey.height,
            pixels,
        }
    }

    fn put(&mut self, x: isize, y: isize, c: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            self.pixels[y as usize * self.width + x as usize] = c;
        }
    }

    fn line(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, c: Rgb) {
        let steps = ((x1 - x0).abs().max((y1 - y0).abs()).ceil() as usize).max(1);
        for i in 0..=steps {
            let t = i as f32 / steps as f32;
            self.put(
                (x0 + (x1 - x0) * t).round() as isize,
                (y0 + (y1 - y0) * t).round() as isize,
                c,
            );
        }
    }

    /// A minutia as a small circle with a tick in its direction, shifted
    /// right by `dx`.
    fn minutia(&mut self, m: &Minutia, dx: f32, c: Rgb) {
        let (x, y) = (m.x as f32 + dx, m.y as f32);
        for k in 0..16 {
            let a = k as f32 * PI / 8.0;
            self.put(
                (x + 4.0 * a.cos()).round() as isize,
                (y + 4.0 * a.sin()).round() as isize,
                c,
            );
        }
        // Template directions are counter-clockwise on screen (y up).
        self.line(
            x,
            y,
            x + 12.0 * m.direction.cos(),
            y - 12.0 * m.direction.sin(),
            c,
        );
    }

    fn save(&self, path: &Path) -> std::io::Result<()> {
        let file = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut encoder = png::Encoder::new(file, self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
        let data: Vec<u8> = self.pixels.iter().flatten().copied().collect();
        writer
            .write_image_data(&data)
            .map_err(std::io::Error::other)?;
        writer.finish().map_err(std::io::Error::other)
    }
}

/// Write `01-input.png` ... `09-minutiae.png` into `dir` (created if needed);
/// returns the paths written.
pub fn write_stages(stages: &Stages, dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let (w, h) = (stages.image.width, stages.image.height);
    let in_mask = |x: usize, y: usize| stages.mask.get(x / BLOCK, y / BLOCK);
    let mut written = Vec::new();
    let mut save = |name: &str, canvas: Canvas| -> std::io::Result<()> {
        let path = dir.join(name);
        canvas.save(&path)?;
        written.push(path);
        Ok(())
    };

    save("01-input.png", Canvas::from_grey(&stages.image, 1.0))?;

    let mut seg = Canvas::from_grey(&stages.image, 1.0);
    for y in 0..h {
        for x in 0..w {
            if !in_mask(x, y) {
                let p = &mut seg.pixels[y * w + x];
                *p = [p[0] / 2 + 120, p[1] / 2, p[2] / 2];
            }
        }
    }
    save("02-segmentation.png", seg)?;

    let mut orient = Canvas::from_grey(&stages.image, 0.35);
    for by in 0..stages.mask.height {
        for bx in 0..stages.mask.width {
            if !stages.mask.get(bx, by) || (bx + by) % 2 == 1 {
                continue;
            }
            let theta = stages.field.block_angle(bx, by);
            let coherence = stages.field.coherence.get(bx, by).clamp(0.0, 1.0);
            let (cx, cy) = ((bx * BLOCK) as f32 + 3.5, (by * BLOCK) as f32 + 3.5);
            let (dx, dy) = (theta.cos() * 6.0, theta.sin() * 6.0);
            let c = [0, (80.0 + 175.0 * coherence) as u8, 0];
            orient.line(cx - dx, cy - dy, cx + dx, cy + dy, c);
        }
    }
    save("03-orientation.png", orient)?;

    let mut freq = Canvas::from_grey(&stages.image, 0.0);
    for y in 0..h {
        for x in 0..w {
            if in_mask(x, y) {
                let p = stages.period.get(x / BLOCK, y / BLOCK);
                let v = ((p - 5.0) / 10.0 * 255.0).clamp(0.0, 255.0) as u8;
                freq.pixels[y * w + x] = [v, v, 255 - v];
            }
        }
    }
    save("04-frequency.png", freq)?;

    let max = stages
        .enhanced
        .data
        .iter()
        .fold(1e-6f32, |m, v| m.max(v.abs()));
    let enhanced = stages
        .enhanced
        .map(|v| (128.0 - v / max * 127.0).clamp(0.0, 255.0) as u8);
    save("05-enhanced.png", Canvas::from_grey(&enhanced, 1.0))?;

    // Clarity: green where the ridge model explains the image, red where
    // the filter had to invent the ridges (minutiae there count less).
    let mut clarity = Canvas::from_grey(&stages.image, 0.5);
    for y in 0..h {
        for x in 0..w {
            if in_mask(x, y) {
                let c = stages.clarity.get(x / BLOCK, y / BLOCK);
                let p = &mut clarity.pixels[y * w + x];
                let (r, g) = ((255.0 * (1.0 - c)) as u8, (255.0 * c) as u8);
                *p = [p[0] / 2 + r / 2, p[1] / 2 + g / 2, p[2] / 2];
            }
        }
    }
    save("06-clarity.png", clarity)?;

    let binary = stages.binary.map(|r| if r { 0u8 } else { 255 });
    save("07-binary.png", Canvas::from_grey(&binary, 1.0))?;

    // The ridge skeleton black; in the accurate profile the valley
    // skeleton, whose minutiae are read too, blue.
    let mut skel = Canvas::from_grey(&binary, 0.15);
    if let Some(valleys) = &stages.valley_skeleton {
        for (i, &s) in valleys.data.iter().enumerate() {
            if s {
                skel.pixels[i] = [40, 90, 230];
            }
        }
    }
    for (i, &s) in stages.skeleton.data.iter().enumerate() {
        if s {
            skel.pixels[i] = [0, 0, 0];
        }
    }
    save("08-skeleton.png", skel)?;

    let mut minutiae = Canvas::from_grey(&stages.image, 0.4);
    for r in stages.graph.ridges.iter().filter(|r| !r.removed) {
        for &(x, y) in &r.path {
            minutiae.put(x as isize, y as isize, [70, 110, 255]);
        }
    }
    for m in &stages.template.minutiae {
        minutiae.minutia(m, 0.0, kind_colour(m.kind));
    }
    save("09-minutiae.png", minutiae)?;
    Ok(written)
}

fn kind_colour(kind: MinutiaKind) -> Rgb {
    match kind {
        MinutiaKind::Ending => [230, 0, 0],
        _ => [0, 170, 0],
    }
}

/// The line joining the root pair of the scored pairing.
const ROOT_LINE: [u8; 3] = [255, 140, 0];

/// Draw a comparison into one PNG: probe on the left, candidate on the
/// right (each over its 500 ppi image when there is one), unpaired minutiae
/// grey, paired ones in colour (red ending, green bifurcation) and joined
/// by a line (orange for the root the pairing grew from, when the
/// comparison was explained), so a person can check whether the pairing
/// the score rests on is the true correspondence.
pub fn write_pairing(
    probe: (&Template, Option<&Grid<u8>>),
    candidate: (&Template, Option<&Grid<u8>>),
    comparison: &Comparison,
    path: &Path,
) -> std::io::Result<()> {
    const GAP: usize = 8;
    let size = |(t, image): (&Template, Option<&Grid<u8>>)| match image {
        Some(g) => (g.width, g.height),
        None => (t.width.max(1) as usize, t.height.max(1) as usize),
    };
    let (wa, ha) = size(probe);
    let (wb, hb) = size(candidate);
    let (width, height) = (wa + GAP + wb, ha.max(hb));
    let mut canvas = Canvas {
        width,
        height,
        pixels: vec![[255, 255, 255]; width * height],
    };
    for (image, dx) in [(probe.1, 0), (candidate.1, wa + GAP)] {
        if let Some(g) = image {
            for y in 0..g.height {
                for x in 0..g.width {
                    let v = (255.0 - (255.0 - g.get(x, y) as f32) * 0.4) as u8;
                    canvas.pixels[y * width + x + dx] = [v, v, v];
                }
            }
        }
    }
    let shift = (wa + GAP) as f32;
    for m in &probe.0.minutiae {
        canvas.minutia(m, 0.0, [150, 150, 150]);
    }
    for m in &candidate.0.minutiae {
        canvas.minutia(m, shift, [150, 150, 150]);
    }
    // The pair the scored pairing grew from (known when the comparison was
    // explained) is joined in orange, over the others.
    let root = comparison
        .roots
        .iter()
        .find(|r| r.best)
        .map(|r| (r.probe, r.candidate));
    let mut pairs = comparison.pairs.clone();
    pairs.sort_by_key(|&pair| Some(pair) == root);
    for (a, b) in pairs {
        let (Some(ma), Some(mb)) = (
            probe.0.minutiae.get(a as usize),
            candidate.0.minutiae.get(b as usize),
        ) else {
            continue;
        };
        let colour = if Some((a, b)) == root {
            ROOT_LINE
        } else {
            [60, 110, 255]
        };
        canvas.line(
            ma.x as f32,
            ma.y as f32,
            mb.x as f32 + shift,
            mb.y as f32,
            colour,
        );
        canvas.minutia(ma, 0.0, kind_colour(ma.kind));
        canvas.minutia(mb, shift, kind_colour(mb.kind));
    }
    canvas.save(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutia(x: u16, y: u16, kind: MinutiaKind) -> Minutia {
        Minutia {
            x,
            y,
            direction: 0.0,
            kind,
            quality: 50,
        }
    }

    /// A picture written by `write_pairing`, read back and removed.
    fn read_rgb(path: &std::path::Path) -> (png::OutputInfo, Vec<u8>) {
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut data = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut data).unwrap();
        std::fs::remove_file(path).unwrap();
        (info, data)
    }

    #[test]
    fn pairing_picture_joins_paired_minutiae_and_greys_the_rest() {
        let probe = Template {
            width: 100,
            height: 80,
            minutiae: vec![
                minutia(20, 20, MinutiaKind::Ending),
                minutia(60, 50, MinutiaKind::Bifurcation),
            ],
            ..Default::default()
        };
        let candidate = Template {
            width: 90,
            height: 120,
            minutiae: vec![minutia(30, 40, MinutiaKind::Ending)],
            ..Default::default()
        };
        let comparison = Comparison {
            pairs: vec![(0, 0)],
            ..Comparison::default()
        };
        let path = std::env::temp_dir().join(format!("scomm-pairing-{}.png", std::process::id()));
        write_pairing((&probe, None), (&candidate, None), &comparison, &path).unwrap();
        let (info, data) = read_rgb(&path);
        // Side by side with an 8 pixel gap; as tall as the taller finger.
        assert_eq!((info.width, info.height), (100 + 8 + 90, 120));
        let pixel = |x: usize, y: usize| {
            let i = (y * info.width as usize + x) * 3;
            [data[i], data[i + 1], data[i + 2]]
        };
        // Circles (radius 4) left of each minutia: paired red, unpaired grey.
        assert_eq!(pixel(16, 20), [230, 0, 0]);
        assert_eq!(pixel(108 + 26, 40), [230, 0, 0]);
        assert_eq!(pixel(56, 50), [150, 150, 150]);
        // The line joining the pair passes through its midpoint.
        let (mx, my) = ((20 + 108 + 30) / 2, (20 + 40) / 2);
        assert_eq!(pixel(mx, my), [60, 110, 255]);
    }

    #[test]
    fn the_root_pair_is_joined_in_orange() {
        let template = |minutiae| Template {
            width: 100,
            height: 100,
            minutiae,
            ..Default::default()
        };
        let probe = template(vec![
            minutia(20, 20, MinutiaKind::Ending),
            minutia(20, 70, MinutiaKind::Ending),
        ]);
        let candidate = template(vec![
            minutia(40, 20, MinutiaKind::Ending),
            minutia(40, 70, MinutiaKind::Ending),
        ]);
        let root = crate::matcher::RootTrial {
            probe: 1,
            candidate: 1,
            votes: 3,
            pairs: 2,
            strength: 1.0,
            best: true,
        };
        let comparison = Comparison {
            pairs: vec![(1, 1), (0, 0)],
            roots: vec![root],
            ..Comparison::default()
        };
        let path = std::env::temp_dir().join(format!("scomm-root-{}.png", std::process::id()));
        write_pairing((&probe, None), (&candidate, None), &comparison, &path).unwrap();
        let (info, data) = read_rgb(&path);
        let pixel = |x: usize, y: usize| {
            let i = (y * info.width as usize + x) * 3;
            [data[i], data[i + 1], data[i + 2]]
        };
        // Both lines are level; each one's middle is its colour.
        let mx = (20 + 108 + 40) / 2;
        assert_eq!(pixel(mx, 20), [60, 110, 255]);
        assert_eq!(pixel(mx, 70), ROOT_LINE);
    }
}
