//! Stage 3: orientation field. Ridge direction (mod π) per block, from the
//! averaged gradient structure tensor in the doubled-angle domain, with a
//! coherence (0 = no dominant direction, 1 = perfectly parallel ridges).
//!
//! Angles here are in image coordinates: x right, y down, angle measured
//! from +x towards +y.

use super::grid::{gaussian_blur, Grid};
use super::segment::{BlockGradients, BLOCK};

pub struct OrientationField {
    /// cos 2θ and sin 2θ of the ridge direction θ, per block (unit length).
    pub cos2: Grid<f32>,
    pub sin2: Grid<f32>,
    pub coherence: Grid<f32>,
}

/// Window over which the structure tensor is summed, as a radius in blocks
/// (a 40x40 pixel window: about four ridge periods at 500 ppi).
const TENSOR_RADIUS: isize = 2;
/// Further smoothing of the doubled-angle field, in blocks.
const SMOOTH_SIGMA: f32 = 1.5;

pub fn orientation_field(grads: &BlockGradients, mask: &Grid<bool>) -> OrientationField {
    let (bw, bh) = (mask.width, mask.height);
    let mut vx = Grid::new(bw, bh);
    let mut vy = Grid::new(bw, bh);
    let mut energy = Grid::new(bw, bh);
    let mut coherence = Grid::new(bw, bh);
    for by in 0..bh as isize {
        for bx in 0..bw as isize {
            let (mut a, mut b, mut e) = (0.0f32, 0.0f32, 0.0f32);
            for dy in -TENSOR_RADIUS..=TENSOR_RADIUS {
                for dx in -TENSOR_RADIUS..=TENSOR_RADIUS {
                    let (x, y) = (bx + dx, by + dy);
                    if x < 0 || y < 0 || x >= bw as isize || y >= bh as isize {
                        continue;
                    }
                    let (x, y) = (x as usize, y as usize);
                    if !mask.get(x, y) {
                        continue;
                    }
                    let (xx, yy, xy) = (
                        grads.gxx.get(x, y),
                        grads.gyy.get(x, y),
                        grads.gxy.get(x, y),
                    );
                    a += xx - yy;
                    b += 2.0 * xy;
                    e += xx + yy;
                }
            }
            // The gradient's doubled angle; the ridge direction is
            // perpendicular, which negates the doubled-angle vector.
            vx.set(bx as usize, by as usize, -a);
            vy.set(bx as usize, by as usize, -b);
            energy.set(bx as usize, by as usize, e);
            let c = if e > 0.0 {
                (a * a + b * b).sqrt() / e
            } else {
                0.0
            };
            coherence.set(bx as usize, by as usize, c);
        }
    }
    let vx = gaussian_blur(&vx, SMOOTH_SIGMA);
    let vy = gaussian_blur(&vy, SMOOTH_SIGMA);
    let mut cos2 = Grid::new(bw, bh);
    let mut sin2 = Grid::new(bw, bh);
    for i in 0..vx.data.len() {
        let n = (vx.data[i] * vx.data[i] + vy.data[i] * vy.data[i]).sqrt();
        if n > 0.0 {
            cos2.data[i] = vx.data[i] / n;
            sin2.data[i] = vy.data[i] / n;
        } else {
            cos2.data[i] = 1.0;
        }
    }
    OrientationField {
        cos2,
        sin2,
        coherence,
    }
}

impl OrientationField {
    /// Ridge angle in [0, π) of a block.
    pub fn block_angle(&self, bx: usize, by: usize) -> f32 {
        half_angle(self.cos2.get(bx, by), self.sin2.get(bx, by))
    }

    /// Ridge angle in [0, π) at a pixel, interpolated between block centres.
    pub fn pixel_angle(&self, x: f32, y: f32) -> f32 {
        let (bx, by) = pixel_to_block(x, y);
        half_angle(self.cos2.sample(bx, by), self.sin2.sample(bx, by))
    }

    pub fn pixel_coherence(&self, x: f32, y: f32) -> f32 {
        let (bx, by) = pixel_to_block(x, y);
        self.coherence.sample(bx, by)
    }
}

fn pixel_to_block(x: f32, y: f32) -> (f32, f32) {
    let half = (BLOCK as f32 - 1.0) / 2.0;
    ((x - half) / BLOCK as f32, (y - half) / BLOCK as f32)
}

fn half_angle(c: f32, s: f32) -> f32 {
    let a = 0.5 * s.atan2(c);
    if a < 0.0 {
        a + std::f32::consts::PI
    } else {
        a
    }
}
