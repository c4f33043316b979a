//! WSQ decoder: markers and tables, Huffman-coded coefficients, dequantisation, wavelet
//! synthesis, conversion to 8-bit pixels. Each stage follows the NBIS reference's arithmetic
//! so the output is identical to NBIS's (see `wavelet.rs`).

use super::tree::{build_q_tree, build_w_tree, QNode};
use super::wavelet::join_lines;
use super::{marker, MAX_PIXELS, NUM_SUBBANDS};
use crate::an2k::image::GreyImage;
use crate::{Error, Result};

fn bad(msg: impl Into<String>) -> Error {
    Error::Wsq(msg.into())
}

/// Byte reader over the whole stream.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Result<u8> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or_else(|| bad(format!("stream ends at byte {}", self.pos)))?;
        self.pos += 1;
        Ok(b)
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes([
            self.u8()?,
            self.u8()?,
            self.u8()?,
            self.u8()?,
        ]))
    }
    fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| {
                bad(format!(
                    "segment of {n} bytes at {} runs past the end",
                    self.pos
                ))
            })?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    /// A marker: 0xFF then a non-zero code (extra 0xFF fill bytes are skipped).
    fn marker(&mut self) -> Result<u16> {
        let at = self.pos;
        if self.u8()? != 0xFF {
            return Err(bad(format!("expected a marker at byte {at}")));
        }
        let mut b = self.u8()?;
        while b == 0xFF {
            b = self.u8()?;
        }
        Ok(0xFF00 | u16::from(b))
    }
}

/// A scaled value: `v`, then divided by ten `scale` times, each step rounded to `f32` from
/// a `f64` division (as NBIS does).
fn scaled(v: u32, scale: u8) -> f32 {
    let mut f = v as f32;
    for _ in 0..scale {
        f = (f64::from(f) / 10.0) as f32;
    }
    f
}

struct Tables {
    lofilt: Vec<f32>,
    hifilt: Vec<f32>,
    dtt: bool,
    bin_center: f32,
    q_bin: [f32; 64],
    z_bin: [f32; 64],
    dqt: bool,
    dht: [Option<HuffTable>; 8],
    ppi: Option<u32>,
}

#[derive(Clone)]
struct HuffTable {
    bits: [u8; 16],
    values: Vec<u8>,
}

/// Canonical Huffman decoding limits per code length (JPEG style).
struct DecodeTable {
    maxcode: [i32; 17],
    mincode: [i32; 17],
    valptr: [i32; 17],
    values: Vec<u8>,
}

impl DecodeTable {
    fn new(t: &HuffTable) -> DecodeTable {
        let mut d = DecodeTable {
            maxcode: [-1; 17],
            mincode: [0; 17],
            valptr: [0; 17],
            values: t.values.clone(),
        };
        let mut code: u16 = 0;
        let mut k = 0i32;
        for len in 1..=16 {
            let n = t.bits[len - 1];
            if n > 0 {
                d.valptr[len] = k;
                d.mincode[len] = i32::from(code);
                code = code.wrapping_add(u16::from(n) - 1);
                d.maxcode[len] = i32::from(code);
                code = code.wrapping_add(1);
                k += i32::from(n);
            }
            code = code.wrapping_shl(1);
        }
        d
    }
}

impl Tables {
    fn new() -> Tables {
        Tables {
            lofilt: Vec::new(),
            hifilt: Vec::new(),
            dtt: false,
            bin_center: 0.0,
            q_bin: [0.0; 64],
            z_bin: [0.0; 64],
            dqt: false,
            dht: Default::default(),
            ppi: None,
        }
    }

    fn read_dtt(&mut self, r: &mut Reader) -> Result<()> {
        let _len = r.u16()?;
        let hisz = r.u8()? as usize;
        let losz = r.u8()? as usize;
        if hisz == 0 || losz == 0 {
            return Err(bad("transform table with a zero filter length"));
        }
        // The first group (analysis lowpass) gives the synthesis highpass, and vice versa;
        // only the right half is sent, the rest is the (anti)symmetric mirror.
        let mut read_half =
            |size: usize, even_sign_shift: bool, mirror_neg: bool| -> Result<Vec<f32>> {
                let mut filt = vec![0f32; size];
                let a = size.div_ceil(2) - 1;
                for k in 0..=a {
                    let sign = r.u8()?;
                    let scale = r.u8()?;
                    let mut v = scaled(r.u32()?, scale);
                    if sign != 0 {
                        v *= -1.0;
                    }
                    let alt = |k: usize| if k % 2 == 1 { -1.0f32 } else { 1.0 };
                    if size % 2 == 1 {
                        filt[a + k] = alt(k) * v;
                        if k > 0 {
                            filt[a - k] = filt[a + k];
                        }
                    } else {
                        let s = if even_sign_shift { alt(k + 1) } else { alt(k) };
                        filt[a + k + 1] = s * v;
                        filt[a - k] = if mirror_neg {
                            -filt[a + k + 1]
                        } else {
                            filt[a + k + 1]
                        };
                    }
                }
                Ok(filt)
            };
        self.hifilt = read_half(hisz, false, true)?;
        self.lofilt = read_half(losz, true, false)?;
        self.dtt = true;
        Ok(())
    }

    fn read_dqt(&mut self, r: &mut Reader) -> Result<()> {
        let _len = r.u16()?;
        let scale = r.u8()?;
        self.bin_center = scaled(u32::from(r.u16()?), scale);
        for i in 0..64 {
            let s = r.u8()?;
            self.q_bin[i] = scaled(u32::from(r.u16()?), s);
            let s = r.u8()?;
            self.z_bin[i] = scaled(u32::from(r.u16()?), s);
        }
        self.dqt = true;
        Ok(())
    }

    fn read_dht(&mut self, r: &mut Reader) -> Result<()> {
        let len = r.u16()? as i64;
        let mut left = len - 2;
        if left <= 0 {
            return Err(bad("Huffman table segment with no table"));
        }
        let mut first = true;
        while left > 0 {
            let id = r.u8()? as usize;
            if id >= 8 {
                return Err(bad(format!("Huffman table id {id} (at most 7)")));
            }
            let mut bits = [0u8; 16];
            for b in &mut bits {
                *b = r.u8()?;
            }
            let n: usize = bits.iter().map(|&b| b as usize).sum();
            if n > 256 {
                return Err(bad(format!(
                    "Huffman table {id} has {n} codes (at most 256)"
                )));
            }
            let values = r.bytes(n)?.to_vec();
            if !first && self.dht[id].is_some() {
                return Err(bad(format!(
                    "Huffman table {id} defined twice in one segment"
                )));
            }
            self.dht[id] = Some(HuffTable { bits, values });
            first = false;
            left -= 17 + n as i64;
        }
        if left < 0 {
            return Err(bad(
                "Huffman table segment length disagrees with its tables",
            ));
        }
        Ok(())
    }

    fn read_com(&mut self, r: &mut Reader) -> Result<()> {
        let len = r.u16()? as usize;
        let text = r.bytes(len.saturating_sub(2))?;
        if self.ppi.is_none() && text.starts_with(b"NIST_COM") {
            let text = text.split(|&b| b == 0).next().unwrap_or(&[]);
            for line in String::from_utf8_lossy(text).lines() {
                let mut parts = line.split_whitespace();
                if parts.next() == Some("PPI") {
                    if let Some(v) = parts.next().and_then(|v| v.parse::<u32>().ok()) {
                        if v > 0 {
                            self.ppi = Some(v);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Read one table or comment segment; returns false if `m` is not one.
    fn read_segment(&mut self, m: u16, r: &mut Reader) -> Result<bool> {
        match m {
            marker::DTT => self.read_dtt(r)?,
            marker::DQT => self.read_dqt(r)?,
            marker::DHT => self.read_dht(r)?,
            marker::COM => self.read_com(r)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Bit reader over entropy-coded data: `FF 00` is a stuffed `FF`; `FF xx` is a marker that
/// ends the block.
struct Bits<'r, 'a> {
    r: &'r mut Reader<'a>,
    byte: u8,
    left: u8,
}

enum Bit {
    Value(u16),
    Marker(u16),
}

impl Bits<'_, '_> {
    fn load(&mut self) -> Result<Option<u16>> {
        let b = self.r.u8()?;
        if b == 0xFF {
            let b2 = self.r.u8()?;
            if b2 != 0 {
                let mut c = b2;
                while c == 0xFF {
                    c = self.r.u8()?;
                }
                return Ok(Some(0xFF00 | u16::from(c)));
            }
        }
        self.byte = b;
        self.left = 8;
        Ok(None)
    }

    fn bit(&mut self) -> Result<Bit> {
        if self.left == 0 {
            if let Some(m) = self.load()? {
                return Ok(Bit::Marker(m));
            }
        }
        self.left -= 1;
        Ok(Bit::Value(u16::from((self.byte >> self.left) & 1)))
    }

    /// `n` (<= 16) bits MSB first; a marker inside is an error.
    fn bits(&mut self, n: u32) -> Result<u16> {
        let mut v: u16 = 0;
        for _ in 0..n {
            match self.bit()? {
                Bit::Value(b) => v = (v << 1) | b,
                Bit::Marker(m) => {
                    return Err(bad(format!("marker {m:04X} inside a coefficient value")))
                }
            }
        }
        Ok(v)
    }

    fn symbol(&mut self, t: &DecodeTable) -> Result<Option<u8>> {
        let mut code: i32 = match self.bit()? {
            Bit::Value(b) => i32::from(b),
            Bit::Marker(m) => {
                self.r.pos -= 2; // leave the marker to the segment loop
                let _ = m;
                return Ok(None);
            }
        };
        let mut len = 1usize;
        while code > t.maxcode[len] {
            len += 1;
            if len > 16 {
                return Err(bad("Huffman code longer than 16 bits"));
            }
            code = match self.bit()? {
                Bit::Value(b) => (code << 1) | i32::from(b),
                Bit::Marker(_) => {
                    self.r.pos -= 2;
                    return Ok(None);
                }
            };
        }
        let idx = t.valptr[len] + code - t.mincode[len];
        if idx < 0 {
            return Err(bad("Huffman code outside its table"));
        }
        t.values
            .get(idx as usize)
            .copied()
            .map(Some)
            .ok_or_else(|| bad("Huffman code outside its table"))
    }
}

/// Decode one block's coefficients into `q[*ipc..]`; stops at the marker that ends it.
fn decode_block(
    r: &mut Reader,
    t: &DecodeTable,
    q: &mut [i16],
    ipc: &mut usize,
    ipc_max: usize,
) -> Result<()> {
    let mut bits = Bits {
        r,
        byte: 0,
        left: 0,
    };
    let overflow = || bad("more coefficients than the image has");
    loop {
        let Some(sym) = bits.symbol(t)? else {
            return Ok(());
        };
        if *ipc > ipc_max {
            return Err(overflow());
        }
        let mut put = |v: i16, ipc: &mut usize| -> Result<()> {
            *q.get_mut(*ipc).ok_or_else(overflow)? = v;
            *ipc += 1;
            Ok(())
        };
        match sym {
            1..=100 => *ipc += usize::from(sym),
            107..=254 => put(i16::from(sym) - 180, ipc)?,
            101 => put(bits.bits(8)? as i16, ipc)?,
            102 => put((bits.bits(8)? as i16).wrapping_neg(), ipc)?,
            103 => put(bits.bits(16)? as i16, ipc)?,
            104 => put((bits.bits(16)? as i16).wrapping_neg(), ipc)?,
            105 => *ipc += usize::from(bits.bits(8)?),
            106 => *ipc += usize::from(bits.bits(16)?),
            _ => return Err(bad(format!("invalid Huffman symbol {sym}"))),
        }
        if *ipc > ipc_max {
            return Err(overflow());
        }
    }
}

/// Frame header values needed after the coefficients are read.
struct Frame {
    width: usize,
    height: usize,
    m_shift: f32,
    r_scale: f32,
}

fn read_frame(r: &mut Reader, max_pixels: usize) -> Result<Frame> {
    let _len = r.u16()?;
    let _black = r.u8()?;
    let _white = r.u8()?;
    let height = r.u16()? as usize;
    let width = r.u16()? as usize;
    let s = r.u8()?;
    let m_shift = scaled(u32::from(r.u16()?), s);
    let s = r.u8()?;
    let r_scale = scaled(u32::from(r.u16()?), s);
    let _encoder = r.u8()?;
    let _software = r.u16()?;
    if width == 0 || height == 0 {
        return Err(bad(format!("image size {width}x{height}")));
    }
    if width * height > max_pixels {
        return Err(bad(format!(
            "image size {width}x{height} exceeds the limit of {max_pixels} pixels"
        )));
    }
    Ok(Frame {
        width,
        height,
        m_shift,
        r_scale,
    })
}

/// Decode with a pixel-count limit (the frame header is checked before any allocation).
pub fn decode_with_limit(data: &[u8], max_pixels: usize) -> Result<GreyImage> {
    let mut r = Reader { data, pos: 0 };
    if r.u16()? != marker::SOI {
        return Err(bad("no SOI marker at the start"));
    }
    let mut tables = Tables::new();
    let frame = loop {
        let m = r.marker()?;
        if m == marker::SOF {
            break read_frame(&mut r, max_pixels.min(MAX_PIXELS))?;
        }
        if !tables.read_segment(m, &mut r)? {
            return Err(bad(format!(
                "unexpected marker {m:04X} before the frame header"
            )));
        }
    };
    let (w, h) = (frame.width, frame.height);
    let w_tree = build_w_tree(w as i32, h as i32);
    let q_tree = build_q_tree(&w_tree);
    check_tree(&q_tree, w, h)?;
    let mut q = vec![0i16; w * h];
    let mut ipc = 0usize;
    let mut ipc_max: Option<usize> = None;
    let mut blocks = 0;
    loop {
        let m = r.marker()?;
        match m {
            marker::EOI => break,
            marker::SOB => {
                if !tables.dqt {
                    return Err(bad("block before any quantisation table"));
                }
                let max = *ipc_max.get_or_insert_with(|| {
                    let unused: usize = (0..64)
                        .filter(|&i| tables.q_bin[i] == 0.0)
                        .map(|i| (q_tree[i].lenx * q_tree[i].leny) as usize)
                        .sum();
                    (w * h).saturating_sub(unused)
                });
                let _len = r.u16()?;
                let id = r.u8()? as usize;
                let table = tables
                    .dht
                    .get(id)
                    .and_then(Option::as_ref)
                    .ok_or_else(|| bad(format!("block uses undefined Huffman table {id}")))?;
                let dt = DecodeTable::new(table);
                decode_block(&mut r, &dt, &mut q, &mut ipc, max)?;
                blocks += 1;
            }
            _ => {
                if !tables.read_segment(m, &mut r)? {
                    return Err(bad(format!("unexpected marker {m:04X} between blocks")));
                }
            }
        }
    }
    if blocks == 0 {
        return Err(bad("no data blocks"));
    }
    if !tables.dtt {
        return Err(bad("no transform table"));
    }
    let mut img = unquantize(&tables, &q_tree, &q, w, h)?;
    let mut scratch = vec![0f32; w * h];
    for node in w_tree.iter().rev() {
        let base = (node.y as isize) * w as isize + node.x as isize;
        join_lines(
            &mut scratch,
            0,
            &img,
            base,
            node.lenx,
            node.leny,
            1,
            w as isize,
            &tables.hifilt,
            &tables.lofilt,
            node.inv_cl,
        )?;
        join_lines(
            &mut img,
            base,
            &scratch,
            0,
            node.leny,
            node.lenx,
            w as isize,
            1,
            &tables.hifilt,
            &tables.lofilt,
            node.inv_rw,
        )?;
    }
    let pixels = to_u8(&img, frame.m_shift, frame.r_scale);
    Ok(GreyImage {
        width: w as u32,
        height: h as u32,
        ppi: tables.ppi,
        pixels,
    })
}

/// Every subband rectangle must lie inside the image (holds for all sizes >= 1; checked
/// so a later change cannot turn into an out-of-bounds walk).
fn check_tree(q_tree: &[QNode; 64], w: usize, h: usize) -> Result<()> {
    for (i, n) in q_tree.iter().enumerate().take(NUM_SUBBANDS) {
        if n.x < 0
            || n.y < 0
            || n.lenx < 0
            || n.leny < 0
            || (n.x + n.lenx) as usize > w
            || (n.y + n.leny) as usize > h
        {
            return Err(bad(format!("subband {i} lies outside a {w}x{h} image")));
        }
    }
    Ok(())
}

fn unquantize(t: &Tables, q_tree: &[QNode; 64], q: &[i16], w: usize, h: usize) -> Result<Vec<f32>> {
    let mut img = vec![0f32; w * h];
    let c = t.bin_center;
    let mut s = 0usize;
    for (band, node) in q_tree.iter().enumerate().take(NUM_SUBBANDS) {
        if t.q_bin[band] == 0.0 {
            continue;
        }
        let (qb, zb) = (t.q_bin[band], t.z_bin[band]);
        for row in 0..node.leny as usize {
            let start = (node.y as usize + row) * w + node.x as usize;
            let line = &mut img[start..start + node.lenx as usize];
            let src = q
                .get(s..s + node.lenx as usize)
                .ok_or_else(|| bad("coefficients exhausted"))?;
            for (out, &v) in line.iter_mut().zip(src) {
                *out = match v.cmp(&0) {
                    std::cmp::Ordering::Equal => 0.0,
                    std::cmp::Ordering::Greater => {
                        (f64::from(qb * (f32::from(v) - c)) + f64::from(zb) / 2.0) as f32
                    }
                    std::cmp::Ordering::Less => {
                        (f64::from(qb * (f32::from(v) + c)) - f64::from(zb) / 2.0) as f32
                    }
                };
            }
            s += node.lenx as usize;
        }
    }
    Ok(img)
}

fn to_u8(img: &[f32], m_shift: f32, r_scale: f32) -> Vec<u8> {
    img.iter()
        .map(|&v| {
            let t = v * r_scale + m_shift;
            let t = (f64::from(t) + 0.5) as f32;
            if t < 0.0 {
                0
            } else if t > 255.0 {
                255
            } else {
                t as u8
            }
        })
        .collect()
}
