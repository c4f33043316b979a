//! Synthetic fingers as minutiae templates, no images: a master finger
//! (pattern class, an orientation field with its cores and deltas, minutiae
//! placed at a realistic density with directions along the ridge flow) and
//! impressions of it (partial contact, rotation, elastic distortion, missed
//! and spurious minutiae, position and angle noise, type flips).
//!
//! Everything is a pure function of the seeds. The default impression
//! parameters are tuned so that this engine's matcher scores synthetic
//! genuine and impostor pairs like it scores FVC2002 (see `scomm eval ident
//! --plot`), so that gallery-scale figures say something about real prints.

use std::f32::consts::PI;

use scomm_fingerprint::{Minutia, MinutiaKind, Template};

use crate::rng::{mix, Rng};
use crate::FingerPosition;

/// Henry pattern classes, with the frequencies they are drawn at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatternClass {
    Arch,
    TentedArch,
    LeftLoop,
    RightLoop,
    Whorl,
}

const CLASS_FREQUENCIES: [(PatternClass, f32); 5] = [
    (PatternClass::Arch, 0.04),
    (PatternClass::TentedArch, 0.03),
    (PatternClass::LeftLoop, 0.33),
    (PatternClass::RightLoop, 0.30),
    (PatternClass::Whorl, 0.30),
];

/// The master canvas: a whole fingertip, pixels at 500 ppi.
const MASTER_SIZE: (f32, f32) = (440.0, 540.0);

/// How master minutiae are laid out.
#[derive(Clone, Debug)]
pub struct MasterParams {
    /// Mean skin area per minutia in px². Set so that a minutia's twelve
    /// nearest neighbours (the matcher's edges) lie about as far away as in
    /// this engine's FVC2002 templates (median ~60 px); the extractor's
    /// foreground includes a minutia-free margin, so the density per
    /// foreground pixel is lower (~1 per 3,000 px²).
    pub area_per_minutia: f32,
    /// Spread of that density between fingers (log-normal sigma).
    pub density_spread: f32,
    /// No two independently placed minutiae closer than this (about a ridge
    /// period: closer ones are the facing pairs below and an impression's
    /// spurious minutiae).
    pub min_spacing: f32,
    pub bifurcation_share: f32,
    /// Share of minutiae whose direction points to where the ridges spread
    /// apart (ridges begin there); the rest point either way at random.
    pub spreading_share: f32,
    /// Share of minutiae that come with a facing partner a few pixels along
    /// the same ridge (a break, a short ridge, an enclosure).
    pub pair_share: f32,
}

impl Default for MasterParams {
    fn default() -> Self {
        MasterParams {
            area_per_minutia: 1_500.0,
            density_spread: 0.35,
            min_spacing: 12.0,
            bifurcation_share: 0.45,
            spreading_share: 0.9,
            pair_share: 0.08,
        }
    }
}

/// A synthetic finger: the ground truth every impression is taken from.
#[derive(Clone, Debug)]
pub struct MasterFinger {
    pub class: PatternClass,
    /// Singular points in image coordinates (y down).
    pub cores: Vec<(f32, f32)>,
    pub deltas: Vec<(f32, f32)>,
    /// The fingertip: an ellipse (centre, semi-axes).
    pub centre: (f32, f32),
    pub semi_axes: (f32, f32),
    /// Minutiae in master coordinates.
    pub minutiae: Vec<Minutia>,
    /// Orientation of ridges far from the singular points (radians).
    base_angle: f32,
    /// Skin condition, 0 (worn, dry) to 1 (good): every capture of this
    /// finger is about this good, which is what spreads genuine scores.
    pub skin: f32,
}

impl MasterFinger {
    pub fn generate(seed: u64) -> Self {
        Self::generate_with(seed, &MasterParams::default())
    }

    pub fn generate_with(seed: u64, params: &MasterParams) -> Self {
        let mut rng = Rng::new(mix(seed, 0x6d61_7374));
        let class = {
            let u = rng.unit();
            let mut acc = 0.0;
            let mut class = PatternClass::Whorl;
            for (c, f) in CLASS_FREQUENCIES {
                acc += f;
                if u < acc {
                    class = c;
                    break;
                }
            }
            class
        };
        let (w, h) = MASTER_SIZE;
        let centre = (w / 2.0 + rng.normal() * 8.0, h / 2.0 + rng.normal() * 8.0);
        let semi_axes = (rng.range(175.0, 205.0), rng.range(225.0, 260.0));
        let (cx, cy) = centre;
        let jitter =
            |rng: &mut Rng, x: f32, y: f32, s: f32| (x + rng.normal() * s, y + rng.normal() * s);
        let (cores, deltas) = match class {
            PatternClass::Arch => (vec![], vec![]),
            PatternClass::TentedArch => {
                let core = jitter(&mut rng, cx, cy - 20.0, 20.0);
                (vec![core], vec![(core.0, core.1 + rng.range(50.0, 80.0))])
            }
            PatternClass::LeftLoop | PatternClass::RightLoop => {
                let side = if class == PatternClass::LeftLoop {
                    1.0
                } else {
                    -1.0
                };
                (
                    vec![jitter(&mut rng, cx - side * 15.0, cy - 40.0, 25.0)],
                    vec![jitter(&mut rng, cx + side * 120.0, cy + 110.0, 25.0)],
                )
            }
            PatternClass::Whorl => (
                vec![
                    jitter(&mut rng, cx - 12.0, cy - 50.0, 12.0),
                    jitter(&mut rng, cx + 12.0, cy - 30.0, 12.0),
                ],
                vec![
                    jitter(&mut rng, cx - 140.0, cy + 100.0, 25.0),
                    jitter(&mut rng, cx + 140.0, cy + 100.0, 25.0),
                ],
            ),
        };
        let mut master = MasterFinger {
            class,
            cores,
            deltas,
            centre,
            semi_axes,
            minutiae: Vec::new(),
            base_angle: rng.normal() * 0.1,
            skin: rng.unit(),
        };
        master.place_minutiae(&mut rng, params);
        master
    }

    /// Ridge orientation (radians mod π, counter-clockwise on screen) at an
    /// image point: the zero-pole model (Sherlock and Monro), each core
    /// turning the flow by half a turn and each delta by minus half.
    pub fn orientation(&self, x: f32, y: f32) -> f32 {
        if self.class == PatternClass::Arch {
            let (cx, cy) = self.centre;
            let bump = (-((y - cy + 60.0) / 220.0).powi(2)).exp();
            return self.base_angle - 0.7 * ((x - cx) / 110.0).tanh() * bump;
        }
        // y is negated so that angles are counter-clockwise as seen on screen.
        let arg = |p: (f32, f32)| (-(y - p.1)).atan2(x - p.0);
        let turn: f32 = self.cores.iter().map(|&c| arg(c)).sum::<f32>()
            - self.deltas.iter().map(|&d| arg(d)).sum::<f32>();
        self.base_angle + 0.5 * turn
    }

    /// Which way along the ridge flow at a point the ridges move apart:
    /// positive along the orientation vector (cos θ, -sin θ in image
    /// coordinates), negative against it. Two flow lines a little to either
    /// side are followed a short step and their distance compared.
    fn spreading(&self, x: f32, y: f32) -> f32 {
        const SIDE: f32 = 8.0;
        const STEP: f32 = 16.0;
        let theta = self.orientation(x, y);
        let (ux, uy) = (theta.cos(), -theta.sin());
        let step = |px: f32, py: f32| {
            let t = self.orientation(px, py);
            let (mut vx, mut vy) = (t.cos(), -t.sin());
            if vx * ux + vy * uy < 0.0 {
                (vx, vy) = (-vx, -vy);
            }
            (px + vx * STEP, py + vy * STEP)
        };
        let a = step(x - uy * SIDE, y + ux * SIDE);
        let b = step(x + uy * SIDE, y - ux * SIDE);
        ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt() - 2.0 * SIDE
    }

    /// Inside the fingertip, with `shrink` (0..1) of the semi-axes.
    fn inside(&self, x: f32, y: f32, shrink: f32) -> bool {
        let (a, b) = (self.semi_axes.0 * shrink, self.semi_axes.1 * shrink);
        ((x - self.centre.0) / a).powi(2) + ((y - self.centre.1) / b).powi(2) <= 1.0
    }

    fn place_minutiae(&mut self, rng: &mut Rng, params: &MasterParams) {
        let area = PI * self.semi_axes.0 * self.semi_axes.1;
        let target = (area / params.area_per_minutia * (rng.normal() * params.density_spread).exp())
            .round()
            .clamp(8.0, 250.0) as usize;
        let spacing2 = params.min_spacing * params.min_spacing;
        let mut placed: Vec<(f32, f32)> = Vec::with_capacity(target);
        let (w, h) = MASTER_SIZE;
        for _ in 0..target * 40 {
            if placed.len() == target {
                break;
            }
            let (x, y) = (rng.range(0.0, w), rng.range(0.0, h));
            if !self.inside(x, y, 1.0)
                || placed
                    .iter()
                    .any(|&(px, py)| (px - x).powi(2) + (py - y).powi(2) < spacing2)
            {
                continue;
            }
            placed.push((x, y));
        }
        let mut minutiae = Vec::with_capacity(placed.len() * 5 / 4);
        for (x, y) in placed {
            let kind = if rng.chance(params.bifurcation_share) {
                MinutiaKind::Bifurcation
            } else {
                MinutiaKind::Ending
            };
            let theta = self.orientation(x, y);
            let flip = if rng.chance(params.spreading_share) {
                if self.spreading(x, y) >= 0.0 {
                    0.0
                } else {
                    PI
                }
            } else if rng.chance(0.5) {
                PI
            } else {
                0.0
            };
            let direction = theta + flip;
            minutiae.push(Minutia {
                x: x as u16,
                y: y as u16,
                direction: wrap(direction + rng.normal() * 0.08),
                kind,
                quality: 60,
            });
            if rng.chance(params.pair_share) {
                // The partner faces this one across the gap, further along
                // the ridge the way this minutia points away from.
                let gap = rng.range(6.0, 14.0);
                let (px, py) = (x - direction.cos() * gap, y + direction.sin() * gap);
                if self.inside(px, py, 1.0) && px >= 0.0 && py >= 0.0 {
                    minutiae.push(Minutia {
                        x: px as u16,
                        y: py as u16,
                        direction: wrap(direction + PI + rng.normal() * 0.08),
                        kind,
                        quality: 60,
                    });
                }
            }
        }
        self.minutiae = minutiae;
    }

    pub fn impression(&self, seed: u64) -> Template {
        self.impression_with(seed, &ImpressionParams::default())
    }

    /// One capture of this finger.
    pub fn impression_with(&self, seed: u64, p: &ImpressionParams) -> Template {
        self.impression_traced(seed, p).0
    }

    /// One capture, with where each of its minutiae came from: the index
    /// of its master minutia (None for a spurious one) and its place on the
    /// master finger: the ground truth of which minutiae two captures share,
    /// for tests and evaluation tools.
    pub fn impression_traced(&self, seed: u64, p: &ImpressionParams) -> (Template, Vec<Origin>) {
        let mut rng = Rng::new(mix(seed, 0x696d_7072));
        // Qualities draw from their own stream, so that they leave the
        // rest of the capture as it was before they were modelled.
        let mut quality_rng = Rng::new(mix(seed, 0x7175_616c));
        let drawn = self.draw_conditions(&mut rng, p);
        let CaptureConditions {
            bad,
            quality,
            contact,
            axes,
            rotation,
            ..
        } = drawn;
        let (cos, sin) = (rotation.cos(), rotation.sin());
        let displacement = |x: f32, y: f32, r: f32| drawn.displacement_at(x, y, r, p);
        let miss = if bad {
            0.5
        } else {
            p.miss.0 + (p.miss.1 - p.miss.0) * (1.0 - quality)
        };
        // Poor captures are noisier as well as sparser.
        let noise = 0.5 + 0.7 * (1.0 - quality);
        let in_contact = |x: f32, y: f32| drawn.contact_radius((x, y));
        // (x, y, direction, kind, quality, origin) in master coordinates,
        // sub-pixel.
        let mut seen: Vec<(f32, f32, f32, MinutiaKind, u8, Origin)> = Vec::new();
        for (index, m) in self.minutiae.iter().enumerate() {
            let (x, y) = (m.x as f32, m.y as f32);
            let r = in_contact(x, y);
            if r > 1.0 || rng.chance(miss) || (r > p.border && rng.chance(0.5)) {
                continue;
            }
            let (dx, dy) = displacement(x, y, r);
            let kind = if rng.chance(p.type_flip) {
                match m.kind {
                    MinutiaKind::Ending => MinutiaKind::Bifurcation,
                    _ => MinutiaKind::Ending,
                }
            } else {
                m.kind
            };
            let q = minutia_quality(&mut quality_rng, quality, r, axes, false);
            seen.push((
                x + dx + rng.normal() * p.position_noise * noise,
                y + dy + rng.normal() * p.position_noise * noise,
                m.direction + rng.normal() * p.angle_noise * noise,
                kind,
                q,
                Origin {
                    master: Some(index),
                    at: (x, y),
                },
            ));
        }
        // Spurious minutiae: most follow the ridge flow (broken ridges),
        // some do not (noise, scars).
        let spurious = rng.poisson(p.spurious * seen.len() as f32 * (1.5 - quality));
        let (mut tries, mut added) = (0, 0);
        while added < spurious && tries < 50 * (spurious + 1) {
            tries += 1;
            let x = contact.0 + rng.range(-axes.0, axes.0);
            let y = contact.1 + rng.range(-axes.1, axes.1);
            let r = in_contact(x, y);
            if r > 1.0 || !self.inside(x, y, 1.0) {
                continue;
            }
            let direction = if rng.chance(0.7) {
                self.orientation(x, y) + if rng.chance(0.5) { PI } else { 0.0 }
            } else {
                rng.range(0.0, 2.0 * PI)
            };
            let kind = if rng.chance(0.5) {
                MinutiaKind::Ending
            } else {
                MinutiaKind::Bifurcation
            };
            let q = minutia_quality(&mut quality_rng, quality, r, axes, true);
            seen.push((
                x,
                y,
                direction,
                kind,
                q,
                Origin {
                    master: None,
                    at: (x, y),
                },
            ));
            added += 1;
        }
        // The capture's own frame: rotated about the contact centre, which
        // lands near the middle of the image.
        let (width, height) = (2.0 * p.contact_axes.0 + 60.0, 2.0 * p.contact_axes.1 + 60.0);
        let offset = (
            width / 2.0 + rng.normal() * 10.0,
            height / 2.0 + rng.normal() * 10.0,
        );
        let mut minutiae = Vec::with_capacity(seen.len());
        let mut origins = Vec::with_capacity(seen.len());
        for (x, y, direction, kind, quality, origin) in seen {
            let (dx, dy) = (x - contact.0, y - contact.1);
            // Counter-clockwise on screen (y down): see Template's convention.
            let nx = offset.0 + dx * cos + dy * sin;
            let ny = offset.1 - dx * sin + dy * cos;
            if nx < 0.0 || ny < 0.0 || nx >= width || ny >= height {
                continue;
            }
            minutiae.push(Minutia {
                x: nx as u16,
                y: ny as u16,
                direction: wrap(direction + rotation),
                kind,
                quality,
            });
            origins.push(origin);
        }
        let template = Template {
            width: width as u16,
            height: height as u16,
            minutiae,
            ..Default::default()
        };
        (template, origins)
    }
}

impl MasterFinger {
    /// What the capture `seed` draws before any minutia: whether it went
    /// badly, its quality, where and how much of the finger touched the
    /// sensor, the rotation and the elastic distortion field. The same
    /// draws `impression_traced` makes, for evaluation tools that ask why
    /// two captures of a finger do or do not match.
    pub fn capture_conditions(&self, seed: u64, p: &ImpressionParams) -> CaptureConditions {
        self.draw_conditions(&mut Rng::new(mix(seed, 0x696d_7072)), p)
    }

    fn draw_conditions(&self, rng: &mut Rng, p: &ImpressionParams) -> CaptureConditions {
        let bad = rng.chance(p.bad_capture);
        let quality = if bad {
            0.0
        } else {
            (self.skin + rng.normal() * 0.15).clamp(0.0, 1.0)
        };
        // Where the finger touched the sensor, and how much of it.
        let contact = (
            self.centre.0 + rng.normal() * p.centre_sigma,
            self.centre.1 + rng.normal() * p.centre_sigma,
        );
        let scale = rng.range(0.85, 1.1);
        let axes = (p.contact_axes.0 * scale, p.contact_axes.1 * scale);
        let rotation = (rng.normal() * p.rotation_sigma).clamp(-0.8, 0.8);
        // Smooth random displacement field, strongest at the contact border.
        let waves: Vec<(f32, f32, f32, f32)> = (0..4)
            .map(|_| {
                let (angle, length) = (rng.range(0.0, 2.0 * PI), rng.range(250.0, 500.0));
                let k = 2.0 * PI / length;
                (
                    k * angle.cos(),
                    k * angle.sin(),
                    rng.range(0.0, 2.0 * PI),
                    rng.normal(),
                )
            })
            .collect();
        CaptureConditions {
            bad,
            quality,
            contact,
            axes,
            rotation,
            waves,
        }
    }
}

/// The conditions of one capture (see [`MasterFinger::capture_conditions`]).
#[derive(Clone, Debug)]
pub struct CaptureConditions {
    /// A capture that went badly (half the minutiae missed, worst noise).
    pub bad: bool,
    /// Capture quality, 0 (worst) to 1.
    pub quality: f32,
    /// Centre and semi-axes of the contact ellipse, master coordinates.
    pub contact: (f32, f32),
    pub axes: (f32, f32),
    /// The finger's rotation on the sensor, radians.
    pub rotation: f32,
    /// The displacement field's waves (kx, ky, phase, amplitude).
    waves: Vec<(f32, f32, f32, f32)>,
}

impl CaptureConditions {
    /// Where a master point lies in the contact ellipse: 0 at its centre,
    /// 1 on its border.
    pub fn contact_radius(&self, (x, y): (f32, f32)) -> f32 {
        (((x - self.contact.0) / self.axes.0).powi(2)
            + ((y - self.contact.1) / self.axes.1).powi(2))
        .sqrt()
    }

    /// The elastic displacement (px) this capture gives the master point
    /// `(x, y)`, before position noise.
    pub fn displacement(&self, (x, y): (f32, f32), p: &ImpressionParams) -> (f32, f32) {
        self.displacement_at(x, y, self.contact_radius((x, y)), p)
    }

    fn displacement_at(&self, x: f32, y: f32, r: f32, p: &ImpressionParams) -> (f32, f32) {
        let (mut dx, mut dy) = (0.0, 0.0);
        for (i, &(kx, ky, phase, a)) in self.waves.iter().enumerate() {
            let s = a * (kx * x + ky * y + phase).sin();
            if i % 2 == 0 {
                dx += s;
            } else {
                dy += s;
            }
        }
        let strength = p.distortion * (0.4 + 1.2 * (1.0 - self.quality)) * r * r;
        (dx * strength, dy * strength)
    }
}

/// Where a capture's minutia came from (see `impression_traced`).
#[derive(Clone, Copy, Debug)]
pub struct Origin {
    pub master: Option<usize>,
    /// Its place on the master finger, px.
    pub at: (f32, f32),
}

/// A minutia's quality as the extractor would rate it (1-100): ridge
/// clarity times nearness to the contact border, as the extractor's
/// `sqrt(coherence) * clarity² * (0.5 + 0.5 * depth)` with depth full 40 px
/// inside the print. Clarity follows the capture's quality, varies much
/// from place to place, and is lower where a spurious minutia comes from
/// (noise, a scar). What the matcher reads from it is how likely another
/// capture repeats the minutia (`overlap_weight`);
/// `quality_predicts_repetition_as_in_real_prints` checks that it does so
/// as on FVC2002.
fn minutia_quality(rng: &mut Rng, capture: f32, r: f32, axes: (f32, f32), spurious: bool) -> u8 {
    let clarity = (0.5 + 0.2 * capture + rng.normal() * 0.2) * if spurious { 0.8 } else { 1.0 };
    let depth = ((1.0 - r) * axes.0.min(axes.1) / 40.0).clamp(0.0, 1.0);
    (100.0 * clarity.clamp(0.1, 1.0) * (0.5 + 0.5 * depth)).clamp(1.0, 100.0) as u8
}

fn wrap(a: f32) -> f32 {
    let w = a.rem_euclid(2.0 * PI);
    if w >= 2.0 * PI {
        0.0
    } else {
        w
    }
}

/// How an impression is taken from its master.
#[derive(Clone, Debug)]
pub struct ImpressionParams {
    /// Semi-axes of the contact area, px (before a per-capture scale of 0.85-1.1).
    pub contact_axes: (f32, f32),
    /// Spread of the contact centre around the fingertip's centre, px.
    pub centre_sigma: f32,
    /// Spread of the finger's rotation on the sensor, radians.
    pub rotation_sigma: f32,
    /// Elastic displacement at the contact border, px (grows as r²).
    pub distortion: f32,
    pub position_noise: f32,
    pub angle_noise: f32,
    /// Share of minutiae missed, from the best to the worst capture quality.
    pub miss: (f32, f32),
    /// Minutiae beyond this share of the contact radius are lost half the time.
    pub border: f32,
    /// Spurious minutiae per genuine one seen (at medium quality).
    pub spurious: f32,
    /// Ending seen as bifurcation or the reverse.
    pub type_flip: f32,
    /// Share of captures that go badly (smudged, too light): half the
    /// minutiae missed, noise as at the worst quality.
    pub bad_capture: f32,
}

impl Default for ImpressionParams {
    /// Tuned to resemble FVC2002's plain impressions as this engine sees them.
    fn default() -> Self {
        ImpressionParams {
            contact_axes: (120.0, 140.0),
            centre_sigma: 15.0,
            rotation_sigma: 0.2,
            distortion: 2.5,
            position_noise: 1.5,
            angle_noise: 0.08,
            miss: (0.015, 0.15),
            border: 0.85,
            spurious: 0.25,
            type_flip: 0.15,
            bad_capture: 0.05,
        }
    }
}

/// The ten master fingers of a synthetic person, keyed by finger position.
pub fn master_for(subject_seed: u64, position: FingerPosition) -> MasterFinger {
    MasterFinger::generate(mix(subject_seed, position.code() as u64))
}

/// One capture of the given fingers of a synthetic person (`encounter`
/// tells captures apart: the same encounter gives the same templates).
pub fn capture(
    subject_seed: u64,
    encounter: u64,
    positions: &[FingerPosition],
    params: &ImpressionParams,
) -> Vec<(FingerPosition, Template)> {
    positions
        .iter()
        .map(|&p| {
            let master = master_for(subject_seed, p);
            (
                p,
                master.impression_with(capture_seed(subject_seed, encounter, p), params),
            )
        })
        .collect()
}

/// The impression seed [`capture`] uses for one finger of one encounter
/// (with [`master_for`], what `impression_traced` needs to say which
/// minutiae two captures share).
pub fn capture_seed(subject_seed: u64, encounter: u64, position: FingerPosition) -> u64 {
    mix(
        subject_seed ^ encounter.rotate_left(17),
        position.code() as u64 + 100,
    )
}

#[cfg(test)]
mod tests;
