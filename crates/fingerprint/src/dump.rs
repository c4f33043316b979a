//! Pictures of every extraction stage, so a person can see what the engine
//! saw: `write_stages` writes one PNG per stage into a folder.

use std::f32::consts::PI;
use std::path::Path;

use crate::extract::grid::Grid;
use crate::extract::segment::BLOCK;
use crate::extract::Stages;
use crate::template::MinutiaKind;

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

/// Write `01-input.png` ... `08-minutiae.png` into `dir` (created if needed);
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

    let binary = stages.binary.map(|r| if r { 0u8 } else { 255 });
    save("06-binary.png", Canvas::from_grey(&binary, 1.0))?;

    let mut skel = Canvas::from_grey(&binary, 0.15);
    for (i, &s) in stages.skeleton.data.iter().enumerate() {
        if s {
            skel.pixels[i] = [0, 0, 0];
        }
    }
    save("07-skeleton.png", skel)?;

    let mut minutiae = Canvas::from_grey(&stages.image, 0.4);
    for r in stages.graph.ridges.iter().filter(|r| !r.removed) {
        for &(x, y) in &r.path {
            minutiae.put(x as isize, y as isize, [70, 110, 255]);
        }
    }
    for m in &stages.template.minutiae {
        let c = match m.kind {
            MinutiaKind::Ending => [230, 0, 0],
            _ => [0, 170, 0],
        };
        let (x, y) = (m.x as f32, m.y as f32);
        for k in 0..16 {
            let a = k as f32 * PI / 8.0;
            minutiae.put(
                (x + 4.0 * a.cos()).round() as isize,
                (y + 4.0 * a.sin()).round() as isize,
                c,
            );
        }
        // Template directions are counter-clockwise on screen (y up).
        minutiae.line(
            x,
            y,
            x + 12.0 * m.direction.cos(),
            y - 12.0 * m.direction.sin(),
            c,
        );
    }
    save("08-minutiae.png", minutiae)?;
    Ok(written)
}
