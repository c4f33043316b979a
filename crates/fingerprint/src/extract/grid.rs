//! A plain row-major 2-D array, used for images and per-block fields.

#[derive(Clone, Debug, PartialEq)]
pub struct Grid<T> {
    pub width: usize,
    pub height: usize,
    pub data: Vec<T>,
}

impl<T: Copy + Default> Grid<T> {
    pub fn new(width: usize, height: usize) -> Self {
        Self::filled(width, height, T::default())
    }
}

impl<T: Copy> Grid<T> {
    pub fn filled(width: usize, height: usize, value: T) -> Self {
        Grid {
            width,
            height,
            data: vec![value; width * height],
        }
    }

    #[inline]
    pub fn get(&self, x: usize, y: usize) -> T {
        self.data[y * self.width + x]
    }

    #[inline]
    pub fn set(&mut self, x: usize, y: usize, value: T) {
        self.data[y * self.width + x] = value;
    }

    /// Value at (x, y) with coordinates clamped to the grid.
    #[inline]
    pub fn get_clamped(&self, x: isize, y: isize) -> T {
        let x = x.clamp(0, self.width as isize - 1) as usize;
        let y = y.clamp(0, self.height as isize - 1) as usize;
        self.get(x, y)
    }

    pub fn map<U: Copy>(&self, f: impl Fn(T) -> U) -> Grid<U> {
        Grid {
            width: self.width,
            height: self.height,
            data: self.data.iter().map(|&v| f(v)).collect(),
        }
    }
}

impl Grid<f32> {
    /// Bilinear sample at real coordinates (clamped at the borders).
    pub fn sample(&self, x: f32, y: f32) -> f32 {
        self.sample_at(
            &Bilinear::new(x, self.width),
            &Bilinear::new(y, self.height),
        )
    }

    /// [`Grid::sample`] at a column and row worked out before (the same
    /// bits): a caller sampling every pixel of a row, or every row at the
    /// same columns, works each out once.
    #[inline]
    pub fn sample_at(&self, column: &Bilinear, row: &Bilinear) -> f32 {
        let (line0, line1) = (row.low * self.width, row.high * self.width);
        let top = self.data[line0 + column.low] * (1.0 - column.fraction)
            + self.data[line0 + column.high] * column.fraction;
        let bottom = self.data[line1 + column.low] * (1.0 - column.fraction)
            + self.data[line1 + column.high] * column.fraction;
        top * (1.0 - row.fraction) + bottom * row.fraction
    }
}

/// Where a coordinate falls between two pixels along one axis of a grid
/// `size` pixels long, as [`Grid::sample`] reads it: the pixels either side
/// (clamped to the grid) and the weight of the higher one.
#[derive(Clone, Copy, Debug)]
pub struct Bilinear {
    low: usize,
    high: usize,
    fraction: f32,
}

impl Bilinear {
    #[inline]
    pub fn new(v: f32, size: usize) -> Self {
        let v = v.clamp(0.0, (size - 1) as f32);
        // Truncation is the floor here (v is not negative; NaN gives 0
        // either way), without the libm call `floor` is on baseline x86-64.
        let low = v as usize;
        Bilinear {
            low,
            high: (low + 1).min(size - 1),
            fraction: v - low as f32,
        }
    }
}

/// Separable Gaussian smoothing of a float grid (borders clamped).
pub fn gaussian_blur(grid: &Grid<f32>, sigma: f32) -> Grid<f32> {
    let radius = (sigma * 2.5).ceil().max(1.0) as isize;
    let kernel: Vec<f32> = (-radius..=radius)
        .map(|k| (-(k * k) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / sum).collect();
    let (w, h) = (grid.width, grid.height);
    let mut tmp = Grid::new(w, h);
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for (i, k) in kernel.iter().enumerate() {
                acc += k * grid.get_clamped(x as isize + i as isize - radius, y as isize);
            }
            tmp.set(x, y, acc);
        }
    }
    let mut out = Grid::new(w, h);
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for (i, k) in kernel.iter().enumerate() {
                acc += k * tmp.get_clamped(x as isize, y as isize + i as isize - radius);
            }
            out.set(x, y, acc);
        }
    }
    out
}

/// Rescale an 8-bit image by `factor` (output = input * factor) with bilinear
/// interpolation; when shrinking, each output pixel averages the input area it
/// covers so that fine ridges do not alias.
pub fn resample(image: &Grid<u8>, factor: f64) -> Grid<u8> {
    let out_w = ((image.width as f64 * factor).round() as usize).max(1);
    let out_h = ((image.height as f64 * factor).round() as usize).max(1);
    let src = image.map(|v| v as f32);
    let step = 1.0 / factor;
    // Sub-samples per output pixel along each axis when shrinking.
    let taps = step.ceil().max(1.0) as usize;
    // A sub-sample's column depends only on the output column and the tap,
    // its row only on the output row and the tap: both are worked out once
    // (as `Grid::sample` would, so the result is the same to the bit)
    // instead of per sub-sample, which cost a third of the extraction of a
    // 569 ppi image.
    let axis = |out: usize, size: usize| -> Vec<Bilinear> {
        (0..out)
            .flat_map(|o| {
                (0..taps).map(move |t| {
                    let v = (o as f64 + (t as f64 + 0.5) / taps as f64) * step - 0.5;
                    Bilinear::new(v as f32, size)
                })
            })
            .collect()
    };
    let (columns, rows) = (axis(out_w, src.width), axis(out_h, src.height));
    let mut out = Grid::new(out_w, out_h);
    for oy in 0..out_h {
        let rows = &rows[oy * taps..(oy + 1) * taps];
        for ox in 0..out_w {
            let columns = &columns[ox * taps..(ox + 1) * taps];
            let mut acc = 0.0;
            for row in rows {
                for column in columns {
                    acc += src.sample_at(column, row);
                }
            }
            let v = acc / (taps * taps) as f32;
            out.set(ox, oy, v.round().clamp(0.0, 255.0) as u8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Grid::sample` as first written, with the libm floor.
    fn sample_by_floor(grid: &Grid<f32>, x: f32, y: f32) -> f32 {
        let x = x.clamp(0.0, (grid.width - 1) as f32);
        let y = y.clamp(0.0, (grid.height - 1) as f32);
        let x0 = x.floor() as usize;
        let y0 = y.floor() as usize;
        let x1 = (x0 + 1).min(grid.width - 1);
        let y1 = (y0 + 1).min(grid.height - 1);
        let fx = x - x0 as f32;
        let fy = y - y0 as f32;
        let top = grid.get(x0, y0) * (1.0 - fx) + grid.get(x1, y0) * fx;
        let bottom = grid.get(x0, y1) * (1.0 - fx) + grid.get(x1, y1) * fx;
        top * (1.0 - fy) + bottom * fy
    }

    #[test]
    fn sample_gives_the_floor_version_to_the_bit() {
        let mut rng = crate::test_rng::XorShift(0x9e37_79b9_7f4a_7c15);
        for (width, height) in [(1, 1), (2, 9), (31, 17)] {
            let grid = Grid {
                width,
                height,
                data: (0..width * height)
                    .map(|_| rng.unit() * 2.0 - 1.0)
                    .collect(),
            };
            for _ in 0..10_000 {
                // Inside, on whole pixels, at -0.0, and beyond every border.
                let at = |r: &mut crate::test_rng::XorShift, size: usize| match r.below(4) {
                    0 => r.below(size as u64) as f32,
                    1 => -0.0,
                    _ => r.unit() * (size as f32 + 6.0) - 3.0,
                };
                let (x, y) = (at(&mut rng, width), at(&mut rng, height));
                assert_eq!(
                    grid.sample(x, y).to_bits(),
                    sample_by_floor(&grid, x, y).to_bits(),
                    "{width}x{height} at ({x}, {y})"
                );
            }
        }
    }

    /// `resample` as first written: every sub-sample through the floor
    /// version of `Grid::sample`.
    fn resample_by_samples(image: &Grid<u8>, factor: f64) -> Grid<u8> {
        let out_w = ((image.width as f64 * factor).round() as usize).max(1);
        let out_h = ((image.height as f64 * factor).round() as usize).max(1);
        let src = image.map(|v| v as f32);
        let step = 1.0 / factor;
        let taps = step.ceil().max(1.0) as usize;
        let mut out = Grid::new(out_w, out_h);
        for oy in 0..out_h {
            for ox in 0..out_w {
                let mut acc = 0.0;
                for sy in 0..taps {
                    for sx in 0..taps {
                        let x = (ox as f64 + (sx as f64 + 0.5) / taps as f64) * step - 0.5;
                        let y = (oy as f64 + (sy as f64 + 0.5) / taps as f64) * step - 0.5;
                        acc += sample_by_floor(&src, x as f32, y as f32);
                    }
                }
                let v = acc / (taps * taps) as f32;
                out.set(ox, oy, v.round().clamp(0.0, 255.0) as u8);
            }
        }
        out
    }

    #[test]
    fn resample_gives_the_per_sample_result_to_the_bit() {
        let mut rng = crate::test_rng::XorShift(0x2545_f491_4f6c_dd1d);
        for (width, height) in [(1, 1), (1, 7), (37, 23), (96, 140)] {
            let image = Grid {
                width,
                height,
                data: (0..width * height).map(|_| rng.next_u64() as u8).collect(),
            };
            // Shrinking by one, two and three taps, enlarging, and the
            // FVC2002 DB2 and 1000 ppi factors.
            for factor in [0.2, 0.33, 0.5, 500.0 / 569.0, 0.9, 1.0, 1.37, 2.5] {
                assert_eq!(
                    resample(&image, factor),
                    resample_by_samples(&image, factor),
                    "{width}x{height} by {factor}"
                );
            }
        }
    }
}
