//! Generated fingerprint-like images with known ground truth (ridge
//! direction, period, planted minutiae), for tests and benchmarks that must
//! not depend on external data.

use std::f32::consts::PI;

/// A planted minutia: a phase singularity of the ridge pattern. `+1`
/// adds a ridge on one side (a bifurcation as seen from one direction, an
/// ending from the other).
#[derive(Clone, Copy, Debug)]
pub struct Singularity {
    pub x: f32,
    pub y: f32,
    pub sign: f32,
}

/// Ridge pattern description: ridges run perpendicular to `wave_angle`
/// (radians, image coordinates), `period` pixels apart, inside an ellipse
/// filling most of the image, on a light background.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub width: usize,
    pub height: usize,
    pub period: f32,
    pub wave_angle: f32,
    pub singularities: Vec<Singularity>,
    /// Gentle curvature of the ridges (0 = straight).
    pub bend: f32,
    /// Rotation (radians) and shift applied to the whole finger.
    pub rotation: f32,
    pub shift: (f32, f32),
}

impl Pattern {
    /// A 320x360 finger with eleven planted minutiae (more than the 8 a 1:N
    /// probe finger needs): `seed` moves them (9 px right and 7 px up per
    /// step) and alternates their signs, so different seeds (with different
    /// `wave_angle`s for clearly different ridge flow) are different
    /// fingers; `rotation` and `shift` make another impression of the same
    /// one.
    pub fn planted(seed: u32, wave_angle: f32, rotation: f32, shift: (f32, f32)) -> Self {
        let mut p = Pattern::straight(320, 360, 9.0, wave_angle);
        p.bend = 0.6;
        p.rotation = rotation;
        p.shift = shift;
        let s = seed as f32;
        let sites = [
            (120.0, 120.0),
            (200.0, 150.0),
            (150.0, 220.0),
            (210.0, 250.0),
            (110.0, 280.0),
            (230.0, 100.0),
            (100.0, 200.0),
            (220.0, 190.0),
            (170.0, 300.0),
            (180.0, 90.0),
            (160.0, 170.0),
        ];
        for (i, (x, y)) in sites.into_iter().enumerate() {
            p.singularities.push(Singularity {
                x: x + 9.0 * s,
                y: y - 7.0 * s,
                sign: if (i as u32 + seed) % 2 == 0 {
                    1.0
                } else {
                    -1.0
                },
            });
        }
        p
    }

    pub fn straight(width: usize, height: usize, period: f32, wave_angle: f32) -> Self {
        Pattern {
            width,
            height,
            period,
            wave_angle,
            singularities: Vec::new(),
            bend: 0.0,
            rotation: 0.0,
            shift: (0.0, 0.0),
        }
    }

    /// Ridge phase at finger coordinates (before rotation/shift).
    fn phase(&self, x: f32, y: f32) -> f32 {
        let (c, s) = (self.wave_angle.cos(), self.wave_angle.sin());
        let cy = self.height as f32 / 2.0;
        let t = x * c + y * s + self.bend * (y - cy).powi(2) / self.height as f32;
        let mut phase = 2.0 * PI * t / self.period;
        for m in &self.singularities {
            phase += m.sign * (y - m.y).atan2(x - m.x);
        }
        phase
    }

    /// Grey image, 0 = black ridges, 255 = white background.
    pub fn render(&self) -> Vec<u8> {
        let (w, h) = (self.width as f32, self.height as f32);
        let (cx, cy) = (w / 2.0, h / 2.0);
        let (rc, rs) = (self.rotation.cos(), self.rotation.sin());
        let mut pixels = Vec::with_capacity(self.width * self.height);
        for y in 0..self.height {
            for x in 0..self.width {
                // Image point -> finger point (inverse of rotate-then-shift).
                let (dx, dy) = (x as f32 - cx - self.shift.0, y as f32 - cy - self.shift.1);
                let fx = cx + dx * rc + dy * rs;
                let fy = cy - dx * rs + dy * rc;
                let ex = (fx - cx) / (0.42 * w);
                let ey = (fy - cy) / (0.45 * h);
                let inside = ex * ex + ey * ey;
                let v = if inside < 1.0 {
                    let ridge = 0.5 + 0.5 * self.phase(fx, fy).cos(); // 1 on ridge
                                                                      // Soft edge over the outer part of the ellipse.
                    let fade = ((1.0 - inside) * 8.0).min(1.0);
                    235.0 - 190.0 * ridge * fade
                } else {
                    235.0
                };
                // Deterministic mild noise.
                let n = (((x * 7919 + y * 104_729) % 97) as f32 / 97.0 - 0.5) * 16.0;
                pixels.push((v + n).clamp(0.0, 255.0) as u8);
            }
        }
        pixels
    }

    /// Where a finger point lands in the image.
    pub fn to_image(&self, x: f32, y: f32) -> (f32, f32) {
        let (cx, cy) = (self.width as f32 / 2.0, self.height as f32 / 2.0);
        let (rc, rs) = (self.rotation.cos(), self.rotation.sin());
        let (dx, dy) = (x - cx, y - cy);
        (
            cx + dx * rc - dy * rs + self.shift.0,
            cy + dx * rs + dy * rc + self.shift.1,
        )
    }
}
