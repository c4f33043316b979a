//! WSQ encoder (FBI spec, part 1 and annex): shift and scale the pixels, 9/7 analysis filter
//! bank over the 20-node tree, subband variances, bit allocation for the target bit rate,
//! uniform quantisation with a dead zone, and two optimal Huffman tables (block 1; blocks 2
//! and 3). The steps and their arithmetic follow the NBIS encoder so files and ratios are
//! comparable with NBIS `cwsq`.

use super::tree::{build_q_tree, build_w_tree, QNode, WNode};
use super::wavelet::split_lines;
use super::{marker, MAX_PIXELS, NUM_SUBBANDS};
use crate::an2k::image::GreyImage;
use crate::{Error, Result};

/// Smallest image side the encoder accepts.
pub const MIN_SIDE: usize = 32;

/// Default bit rate (bits per pixel) for 500 ppi prints, as the FBI uses.
pub const DEFAULT_BITRATE: f32 = 0.75;

/// Analysis highpass filter (7 taps) of the FBI 9/7 biorthogonal filter bank; the decimal
/// values of the spec, rounded once to `f32`.
const HI: [f32; 7] = [
    0.064538882628938_f64 as f32,
    -0.040689417609558_f64 as f32,
    -0.41809227322221_f64 as f32,
    0.78848561640566_f64 as f32,
    -0.41809227322221_f64 as f32,
    -0.040689417609558_f64 as f32,
    0.064538882628938_f64 as f32,
];
/// Analysis lowpass filter (9 taps).
const LO: [f32; 9] = [
    0.037828455506995_f64 as f32,
    -0.02384946501938_f64 as f32,
    -0.11062440441842_f64 as f32,
    0.37740285561265_f64 as f32,
    0.85269867900940_f64 as f32,
    0.37740285561265_f64 as f32,
    -0.11062440441842_f64 as f32,
    -0.02384946501938_f64 as f32,
    0.037828455506995_f64 as f32,
];

/// Largest coefficient magnitude coded directly by a symbol (107..=254 is -73..=74).
const MAX_COEFF: i32 = 74;
/// Longest zero run coded directly by a symbol (1..=100).
const MAX_ZRUN: u32 = 100;
/// Subbands 52-59 are weighted by these (FBI spec table), the rest by 1.
const WEIGHTS_52_59: [f32; 8] = [1.32, 1.08, 1.42, 1.08, 1.32, 1.42, 1.08, 1.08];
const VARIANCE_THRESH: f32 = 1.01;

/// Encode 8-bit grey pixels at `bitrate` bits per pixel (0.75 is the FBI's choice for
/// 500 ppi prints; larger keeps more detail).
pub fn encode(img: &GreyImage, bitrate: f32) -> Result<Vec<u8>> {
    let (w, h) = (img.width as usize, img.height as usize);
    // Five decomposition levels need some room: below 17 samples a side the filters would
    // reach outside the image; 32 leaves a margin (fingerprints are hundreds of pixels).
    if w < MIN_SIDE || h < MIN_SIDE || w > 0xFFFF || h > 0xFFFF || w * h > MAX_PIXELS {
        return Err(Error::Invalid(format!(
            "cannot WSQ-encode a {w}x{h} image (each side {MIN_SIDE}..65535, at most {MAX_PIXELS} pixels)"
        )));
    }
    if img.pixels.len() != w * h {
        return Err(Error::Invalid(format!(
            "{w}x{h} image has {} pixels",
            img.pixels.len()
        )));
    }
    if !(bitrate.is_finite() && bitrate > 0.0 && bitrate <= 8.0) {
        return Err(Error::Invalid(format!(
            "bit rate {bitrate} (expected 0 < rate <= 8)"
        )));
    }
    let (mut data, m_shift, r_scale) = to_float(&img.pixels);
    let w_tree = build_w_tree(w as i32, h as i32);
    let q_tree = build_q_tree(&w_tree);
    decompose(&mut data, w, &w_tree)?;
    let var = variances(&data, w, &q_tree);
    let (mut qbss, mut qzbs) = allocate_bits(&var, bitrate);
    widen_bins_to_fit(&data, w, &q_tree, &mut qbss, &mut qzbs);
    let q = quantize(&data, w, &q_tree, &qbss, &qzbs);
    let sizes = block_sizes(&w_tree, &q_tree, &qbss);
    let (b1, rest) = q.split_at(sizes[0].min(q.len()));
    let (b2, b3) = rest.split_at(sizes[1].min(rest.len()));
    let t0 = HuffEncoder::optimal(&[b1]);
    let t1 = HuffEncoder::optimal(&[b2, b3]);

    let mut out = Vec::with_capacity(w * h / 8);
    put16(&mut out, marker::SOI);
    if let Some(ppi) = img.ppi {
        let text = format!(
            "NIST_COM 9\nPIX_WIDTH {w}\nPIX_HEIGHT {h}\nPIX_DEPTH 8\nPPI {ppi}\nLOSSY 1\nCOLORSPACE GRAY\nCOMPRESSION WSQ\nWSQ_BITRATE {bitrate:.6}"
        );
        put16(&mut out, marker::COM);
        put16(&mut out, (text.len() + 2) as u16);
        out.extend_from_slice(text.as_bytes());
    }
    put_transform_table(&mut out);
    put_quant_table(&mut out, &qbss, &qzbs);
    put_frame_header(&mut out, w, h, m_shift, r_scale);
    t0.put_table(&mut out, 0);
    put_block(&mut out, 0, &t0, b1);
    t1.put_table(&mut out, 1);
    put_block(&mut out, 1, &t1, b2);
    put_block(&mut out, 1, &t1, b3);
    put16(&mut out, marker::EOI);
    Ok(out)
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Shift by the mean and scale into +/-128.
fn to_float(px: &[u8]) -> (Vec<f32>, f32, f32) {
    let sum: u64 = px.iter().map(|&p| u64::from(p)).sum();
    let (lo, hi) = px
        .iter()
        .fold((255u8, 0u8), |(l, h), &p| (l.min(p), h.max(p)));
    let mean = sum as f32 / px.len() as f32;
    let mut r_scale = ((mean - f32::from(lo)).max(f32::from(hi) - mean)) / 128.0;
    if r_scale <= 0.0 {
        r_scale = 1.0; // a flat image: every coefficient is zero anyway
    }
    let data = px
        .iter()
        .map(|&p| (f32::from(p) - mean) / r_scale)
        .collect();
    (data, mean, r_scale)
}

fn decompose(data: &mut [f32], w: usize, w_tree: &[WNode; 20]) -> Result<()> {
    let mut scratch = vec![0f32; data.len()];
    for node in w_tree.iter() {
        let base = node.y as isize * w as isize + node.x as isize;
        split_lines(
            &mut scratch,
            0,
            data,
            base,
            node.leny,
            node.lenx,
            w as isize,
            1,
            &HI,
            &LO,
            node.inv_rw,
        )?;
        split_lines(
            data,
            base,
            &scratch,
            0,
            node.lenx,
            node.leny,
            1,
            w as isize,
            &HI,
            &LO,
            node.inv_cl,
        )?;
    }
    Ok(())
}

/// Variance of a subband window (the central part unless `whole`).
fn window_variance(data: &[f32], w: usize, n: &QNode, whole: bool) -> f32 {
    let (skipx, skipy, lenx, leny) = if whole {
        (0, 0, n.lenx, n.leny)
    } else {
        (
            n.lenx / 8,
            (9 * n.leny) / 32,
            (3 * n.lenx) / 4,
            (7 * n.leny) / 16,
        )
    };
    if lenx <= 0 || leny <= 0 {
        return 0.0;
    }
    let (mut sum, mut ssq) = (0f32, 0f32);
    for row in 0..leny {
        let start = (n.y + skipy + row) as usize * w + (n.x + skipx) as usize;
        for &v in &data[start..start + lenx as usize] {
            sum += v;
            ssq += v * v;
        }
    }
    let count = lenx * leny;
    let sum2 = (sum * sum) / count as f32;
    ((f64::from(ssq - sum2)) / (f64::from(count) - 1.0)) as f32
}

fn variances(data: &[f32], w: usize, q_tree: &[QNode; 64]) -> [f32; 64] {
    let mut var = [0f32; 64];
    let mut vsum = 0f32;
    for (i, v) in var.iter_mut().enumerate().take(4) {
        *v = window_variance(data, w, &q_tree[i], false);
        vsum += *v;
    }
    // Low-energy images: measure every subband over its whole area.
    let whole = vsum < 20000.0;
    let first = if whole { 0 } else { 4 };
    for (i, v) in var.iter_mut().enumerate().take(NUM_SUBBANDS).skip(first) {
        *v = window_variance(data, w, &q_tree[i], whole);
    }
    var
}

/// Bit allocation (FBI spec): bin widths `Q` and zero-bin widths `Z` per subband such that
/// the expected rate is `bitrate`; subbands whose share would be non-positive are dropped.
fn allocate_bits(var: &[f32; 64], bitrate: f32) -> ([f32; 64], [f32; 64]) {
    let mut qbss = [0f32; 64];
    let mut qzbs = [0f32; 64];
    let weight = |i: usize| if i >= 52 { WEIGHTS_52_59[i - 52] } else { 1.0 };
    let m = |i: usize| -> f32 {
        if i < 4 {
            1.0 / 1024.0
        } else if i < 51 {
            1.0 / 256.0
        } else {
            1.0 / 16.0
        }
    };
    let mut sigma = [0f32; 64];
    let mut k0 = Vec::new();
    for i in 0..NUM_SUBBANDS {
        if var[i] >= VARIANCE_THRESH {
            qbss[i] = if i < 4 {
                1.0
            } else {
                (10.0 / f64::from(weight(i) * (var[i].ln()))) as f32
            };
            sigma[i] = var[i].sqrt();
            k0.push(i);
        }
    }
    let mut k = k0.clone();
    let mut q: f32 = 1.0;
    while !k.is_empty() {
        let s: f32 = k.iter().map(|&i| m(i)).sum();
        let mut p: f32 = 1.0;
        for &i in &k {
            p = (f64::from(p) * f64::from(sigma[i] / qbss[i]).powf(f64::from(m(i)))) as f32;
        }
        q = ((2f64.powf(f64::from(bitrate) / f64::from(s) - 1.0) / 2.5)
            / f64::from(p).powf(1.0 / f64::from(s))) as f32;
        let before = k.len();
        k.retain(|&i| f64::from(qbss[i] / q) < 5.0 * f64::from(sigma[i]));
        if k.len() == before {
            break;
        }
    }
    for i in 0..64 {
        qbss[i] = if k0.contains(&i) { qbss[i] / q } else { 0.0 };
        qzbs[i] = (1.2 * f64::from(qbss[i])) as f32;
    }
    (qbss, qzbs)
}

/// At high bit rates the bins of low-frequency subbands become so narrow that quantised
/// values would not fit the stream's 16-bit range (NBIS silently wraps them). Widen such
/// bins just enough instead.
fn widen_bins_to_fit(
    data: &[f32],
    w: usize,
    q_tree: &[QNode; 64],
    qbss: &mut [f32; 64],
    qzbs: &mut [f32; 64],
) {
    const LIMIT: f32 = 32_000.0;
    for (i, n) in q_tree.iter().enumerate().take(NUM_SUBBANDS) {
        if qbss[i] == 0.0 {
            continue;
        }
        let mut max = 0f32;
        for row in 0..n.leny {
            let start = (n.y + row) as usize * w + n.x as usize;
            for &v in &data[start..start + n.lenx as usize] {
                max = max.max(v.abs());
            }
        }
        if max / qbss[i] + 1.0 > LIMIT {
            qbss[i] = max / (LIMIT - 1.0);
            qzbs[i] = (1.2 * f64::from(qbss[i])) as f32;
        }
    }
}

fn quantize(
    data: &[f32],
    w: usize,
    q_tree: &[QNode; 64],
    qbss: &[f32; 64],
    qzbs: &[f32; 64],
) -> Vec<i16> {
    let mut out = Vec::with_capacity(data.len());
    for (i, n) in q_tree.iter().enumerate().take(NUM_SUBBANDS) {
        if qbss[i] == 0.0 {
            continue;
        }
        let zbin = (f64::from(qzbs[i]) / 2.0) as f32;
        for row in 0..n.leny {
            let start = (n.y + row) as usize * w + n.x as usize;
            for &v in &data[start..start + n.lenx as usize] {
                out.push(if -zbin <= v && v <= zbin {
                    0
                } else if v > 0.0 {
                    (f64::from((v - zbin) / qbss[i]) + 1.0) as i16
                } else {
                    (f64::from((v + zbin) / qbss[i]) - 1.0) as i16
                });
            }
        }
    }
    out
}

/// Coefficients in each of the three blocks (subbands 0-18, 19-51, 52-59).
fn block_sizes(w_tree: &[WNode; 20], q_tree: &[QNode; 64], qbss: &[f32; 64]) -> [usize; 3] {
    let area = |lx: i32, ly: i32| (lx * ly) as usize;
    let mut s = [
        area(w_tree[14].lenx, w_tree[14].leny),
        area(w_tree[5].leny, w_tree[1].lenx) + area(w_tree[4].lenx, w_tree[4].leny),
        area(w_tree[2].lenx, w_tree[2].leny) + area(w_tree[3].lenx, w_tree[3].leny),
    ];
    for (i, n) in q_tree.iter().enumerate().take(NUM_SUBBANDS) {
        if qbss[i] == 0.0 {
            let b = if i < 19 {
                0
            } else if i < 52 {
                1
            } else {
                2
            };
            s[b] = s[b].saturating_sub(area(n.lenx, n.leny));
        }
    }
    s
}

/// One coded event of the coefficient stream: a symbol and its extra bits.
fn symbols(block: &[i16], mut emit: impl FnMut(u8, u16, u32)) {
    let mut run: u32 = 0;
    let flush = |run: &mut u32, emit: &mut dyn FnMut(u8, u16, u32)| {
        while *run > 0 {
            let r = (*run).min(0xFFFF);
            if r <= MAX_ZRUN {
                emit(r as u8, 0, 0);
            } else if r <= 0xFF {
                emit(105, r as u16, 8);
            } else {
                emit(106, r as u16, 16);
            }
            *run -= r;
        }
    };
    for &c in block {
        if c == 0 {
            run += 1;
            continue;
        }
        flush(&mut run, &mut emit);
        let c = i32::from(c);
        if c > MAX_COEFF {
            if c > 255 {
                emit(103, c as u16, 16);
            } else {
                emit(101, c as u16, 8);
            }
        } else if c < 1 - MAX_COEFF {
            if c < -255 {
                emit(104, (-c) as u16, 16);
            } else {
                emit(102, (-c) as u16, 8);
            }
        } else {
            emit((c + 180) as u8, 0, 0);
        }
    }
    flush(&mut run, &mut emit);
}

/// An optimal Huffman code (JPEG annex K procedure, lengths limited to 16 bits, the
/// all-ones code reserved).
struct HuffEncoder {
    bits: [u8; 16],
    values: Vec<u8>,
    code: [u16; 256],
    size: [u8; 256],
}

impl HuffEncoder {
    fn optimal(blocks: &[&[i16]]) -> HuffEncoder {
        let mut freq = [0u64; 257];
        for b in blocks {
            symbols(b, |s, _, _| freq[s as usize] += 1);
        }
        freq[256] = 1; // reserves the all-ones code
        let mut codesize = [0u32; 257];
        let mut others = [usize::MAX; 257];
        loop {
            let least = |skip: usize, freq: &[u64; 257]| {
                (0..257)
                    .filter(|&v| freq[v] > 0 && v != skip)
                    .min_by_key(|&v| (freq[v], std::cmp::Reverse(v)))
            };
            let Some(mut v1) = least(usize::MAX, &freq) else {
                break;
            };
            let Some(mut v2) = least(v1, &freq) else {
                break;
            };
            freq[v1] += freq[v2];
            freq[v2] = 0;
            codesize[v1] += 1;
            while others[v1] != usize::MAX {
                v1 = others[v1];
                codesize[v1] += 1;
            }
            others[v1] = v2;
            codesize[v2] += 1;
            while others[v2] != usize::MAX {
                v2 = others[v2];
                codesize[v2] += 1;
            }
        }
        let mut bits = [0u32; 64];
        for &c in codesize.iter() {
            if c > 0 {
                bits[c as usize] += 1;
            }
        }
        // Limit code lengths to 16 (JPEG K.3).
        for i in (17..64).rev() {
            while bits[i] > 0 {
                let mut j = i - 2;
                while bits[j] == 0 {
                    j -= 1;
                }
                bits[i] -= 2;
                bits[i - 1] += 1;
                bits[j + 1] += 2;
                bits[j] -= 1;
            }
        }
        // Drop the reserved code (the longest).
        let mut i = 16;
        while i > 0 && bits[i] == 0 {
            i -= 1;
        }
        if i > 0 {
            bits[i] -= 1;
        }
        let mut values = Vec::new();
        for len in 1..64 {
            for (v, &size) in codesize.iter().enumerate().take(256) {
                if size == len {
                    values.push(v as u8);
                }
            }
        }
        let mut out_bits = [0u8; 16];
        for (l, b) in out_bits.iter_mut().enumerate() {
            *b = bits[l + 1] as u8;
        }
        let total: usize = out_bits.iter().map(|&b| b as usize).sum();
        values.truncate(total);
        let mut enc = HuffEncoder {
            bits: out_bits,
            values,
            code: [0; 256],
            size: [0; 256],
        };
        let mut code: u16 = 0;
        let mut k = 0;
        for len in 1..=16u8 {
            for _ in 0..enc.bits[len as usize - 1] {
                let v = enc.values[k] as usize;
                enc.code[v] = code;
                enc.size[v] = len;
                code = code.wrapping_add(1);
                k += 1;
            }
            code = code.wrapping_shl(1);
        }
        enc
    }

    fn put_table(&self, out: &mut Vec<u8>, id: u8) {
        put16(out, marker::DHT);
        put16(out, (2 + 1 + 16 + self.values.len()) as u16);
        out.push(id);
        out.extend_from_slice(&self.bits);
        out.extend_from_slice(&self.values);
    }
}

/// Bit writer with 0xFF byte stuffing, padded with 1-bits at the end.
struct BitWriter<'o> {
    out: &'o mut Vec<u8>,
    acc: u32,
    n: u32,
}

impl BitWriter<'_> {
    fn put(&mut self, value: u16, bits: u32) {
        for i in (0..bits).rev() {
            self.acc = (self.acc << 1) | u32::from((value >> i) & 1);
            self.n += 1;
            if self.n == 8 {
                self.byte();
            }
        }
    }
    fn byte(&mut self) {
        let b = self.acc as u8;
        self.out.push(b);
        if b == 0xFF {
            self.out.push(0);
        }
        self.acc = 0;
        self.n = 0;
    }
    fn finish(mut self) {
        if self.n > 0 {
            let pad = 8 - self.n;
            self.acc = (self.acc << pad) | ((1 << pad) - 1);
            self.byte();
        }
    }
}

fn put_block(out: &mut Vec<u8>, table: u8, enc: &HuffEncoder, block: &[i16]) {
    put16(out, marker::SOB);
    put16(out, 3);
    out.push(table);
    let mut bw = BitWriter { out, acc: 0, n: 0 };
    symbols(block, |s, extra, nbits| {
        bw.put(enc.code[s as usize], u32::from(enc.size[s as usize]));
        if nbits > 0 {
            bw.put(extra, nbits);
        }
    });
    bw.finish();
}

/// Scale a positive value to (exponent, integer) with the integer just below `limit`.
fn scale_to(v: f32, limit: f32) -> (u8, u32) {
    if v <= 0.0 {
        return (0, 0);
    }
    let mut t = v;
    let mut e: i32 = 0;
    while t < limit {
        e += 1;
        t = (f64::from(t) * 10.0) as f32;
    }
    e -= 1;
    let r = (f64::from(t) / 10.0 + 0.5).floor();
    (e.max(0) as u8, r as u32)
}

fn put_transform_table(out: &mut Vec<u8>) {
    put16(out, marker::DTT);
    put16(out, 58);
    out.push(LO.len() as u8);
    out.push(HI.len() as u8);
    for &c in LO[LO.len() / 2..].iter().chain(&HI[HI.len() / 2..]) {
        out.push(u8::from(c < 0.0));
        let (e, v) = scale_to(c.abs(), 4_294_967_295.0);
        out.push(e);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn put_quant_table(out: &mut Vec<u8>, qbss: &[f32; 64], qzbs: &[f32; 64]) {
    put16(out, marker::DQT);
    put16(out, 389);
    out.push(2);
    put16(out, 44); // bin centre 0.44
    for i in 0..64 {
        for v in [qbss[i], qzbs[i]] {
            let (e, s) = if i < NUM_SUBBANDS && qbss[i] != 0.0 {
                scale_to(v, 65535.0)
            } else {
                (0, 0)
            };
            out.push(e);
            put16(out, s.min(0xFFFF) as u16);
        }
    }
}

fn put_frame_header(out: &mut Vec<u8>, w: usize, h: usize, m_shift: f32, r_scale: f32) {
    put16(out, marker::SOF);
    put16(out, 17);
    out.push(0);
    out.push(255);
    put16(out, h as u16);
    put16(out, w as u16);
    for v in [m_shift, r_scale] {
        let (e, s) = scale_to(v, 65535.0);
        out.push(e);
        put16(out, s.min(0xFFFF) as u16);
    }
    out.push(2); // encoder number: this is not the reference encoder (1 would claim that)
    put16(out, 0);
}
