//! The WSQ two-channel filter bank with symmetric extension: synthesis (`join_lines`, used by
//! the decoder) and analysis (`split_lines`, used by the encoder).
//!
//! These follow the NBIS reference's sample order and single-precision arithmetic exactly:
//! which sample each tap reads at the borders, the order of the additions, and `f32`
//! rounding after every multiply and add. That is what makes the decoder's output identical
//! to NBIS's, pixel for pixel.
//!
//! Two stages, so each can be inspected: the border walk of the reference is run once per
//! pass on one line, in line-relative sample positions, and recorded as a [`Program`] (for
//! each output: which samples, which coefficients, in which order); the program is then run
//! over every line. Every position a program touches is checked against the buffers before
//! it runs, so a hostile tree or filter length yields an error, never a panic; and when every
//! write stays inside its own line, lines that lie side by side in memory are run together
//! (same arithmetic per line, vectorisable).

use super::runs::Runs;
use crate::{Error, Result};

fn out_of_range() -> Error {
    Error::Wsq("wavelet filter reads outside the image (bad filter or image size)".into())
}

/// What an output does with its taps.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    /// `out = 0`, skipped when outside the buffer (the reference's one-past-the-line zero).
    Zero,
    /// `out = x0*c0; out += x1*c1; ...`
    Set,
    /// `out += (x0*c0)*s0; out += (x1*c1)*s1; ...`
    Add,
}

/// One tap: a line-relative sample position, a coefficient, a sign/scale factor.
#[derive(Clone, Copy, Debug)]
pub(super) struct Tap {
    pub(super) pos: isize,
    pub(super) coef: f32,
    pub(super) sfac: f32,
}

/// The recorded filter walk of one line.
#[derive(Default, Debug)]
pub(crate) struct Program {
    pub(super) ops: Vec<(Kind, isize, std::ops::Range<usize>)>,
    pub(super) taps: Vec<Tap>,
}

impl Program {
    fn push(&mut self, kind: Kind, out: isize, taps: &[Tap]) {
        let start = self.taps.len();
        self.taps.extend_from_slice(taps);
        self.ops.push((kind, out, start..self.taps.len()));
    }

    /// Run over `len1` lines: line `k` reads `old[old_base + k*pitch + pos*stride]` and writes
    /// `new[new_base + k*pitch + out*stride]`.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        new: &mut [f32],
        new_base: isize,
        old: &[f32],
        old_base: isize,
        len1: i32,
        len2: i32,
        pitch: isize,
        stride: isize,
    ) -> Result<()> {
        if len1 <= 0 || self.ops.is_empty() {
            return Ok(());
        }
        let last_line = (len1 - 1) as isize;
        let in_range = |base: isize, lo: isize, hi: isize, len: usize| {
            base + lo * stride >= 0 && base + last_line * pitch + hi * stride < len as isize
        };
        let (mut rlo, mut rhi) = (isize::MAX, isize::MIN);
        for t in &self.taps {
            rlo = rlo.min(t.pos);
            rhi = rhi.max(t.pos);
        }
        let (mut wlo, mut whi) = (isize::MAX, isize::MIN);
        for &(kind, out, _) in &self.ops {
            if kind != Kind::Zero {
                wlo = wlo.min(out);
                whi = whi.max(out);
            }
        }
        if (rlo <= rhi && !in_range(old_base, rlo, rhi, old.len()))
            || (wlo <= whi && !in_range(new_base, wlo, whi, new.len()))
        {
            return Err(out_of_range());
        }
        let own_line = self
            .ops
            .iter()
            .all(|&(_, out, _)| (0..len2 as isize).contains(&out));
        if own_line && pitch == 1 {
            self.run_lines_together(new, new_base, old, old_base, len1 as usize, stride);
            return Ok(());
        }
        if own_line && stride == 1 {
            if let Some(runs) = Runs::compile(self, len2) {
                for line in 0..=last_line {
                    runs.run_line(new, new_base + line * pitch, old, old_base + line * pitch);
                }
                return Ok(());
            }
        }
        for line in 0..=last_line {
            let (nb, ob) = (new_base + line * pitch, old_base + line * pitch);
            for (kind, out, range) in &self.ops {
                let at = nb + out * stride;
                let taps = &self.taps[range.clone()];
                match kind {
                    Kind::Zero => {
                        if at >= 0 && (at as usize) < new.len() {
                            new[at as usize] = 0.0;
                        }
                    }
                    Kind::Set => {
                        let mut acc = old[(ob + taps[0].pos * stride) as usize] * taps[0].coef;
                        for t in &taps[1..] {
                            acc += old[(ob + t.pos * stride) as usize] * t.coef;
                        }
                        new[at as usize] = acc;
                    }
                    Kind::Add => {
                        let mut acc = new[at as usize];
                        for t in taps {
                            acc += old[(ob + t.pos * stride) as usize] * t.coef * t.sfac;
                        }
                        new[at as usize] = acc;
                    }
                }
            }
        }
        Ok(())
    }

    /// Lines adjacent in memory (pitch 1), every write inside its own line: run each op over
    /// all lines at once. Per line, the operations and their order are unchanged.
    fn run_lines_together(
        &self,
        new: &mut [f32],
        new_base: isize,
        old: &[f32],
        old_base: isize,
        n: usize,
        stride: isize,
    ) {
        for (kind, out, range) in &self.ops {
            let at = (new_base + out * stride) as usize;
            let dst = &mut new[at..at + n];
            let taps = &self.taps[range.clone()];
            let row = |pos: isize| {
                let s = (old_base + pos * stride) as usize;
                &old[s..s + n]
            };
            match kind {
                Kind::Zero => dst.fill(0.0),
                Kind::Set => {
                    let (c, src) = (taps[0].coef, row(taps[0].pos));
                    for (d, &x) in dst.iter_mut().zip(src) {
                        *d = x * c;
                    }
                    for t in &taps[1..] {
                        let (c, src) = (t.coef, row(t.pos));
                        for (d, &x) in dst.iter_mut().zip(src) {
                            *d += x * c;
                        }
                    }
                }
                Kind::Add => {
                    for t in taps {
                        let (c, s, src) = (t.coef, t.sfac, row(t.pos));
                        for (d, &x) in dst.iter_mut().zip(src) {
                            *d += x * c * s;
                        }
                    }
                }
            }
        }
    }
}

/// A walker over one subsampled channel (lowpass or highpass) of a line, reflecting at the
/// ends: `first`/`last` are the channel's end samples.
#[derive(Clone, Copy)]
struct Edge {
    first: isize,
    last: isize,
    pstr: isize,
    nstr: isize,
}

/// Parameters shared by all lines of one synthesis pass.
struct Synthesis<'f> {
    lo: &'f [f32],
    hi: &'f [f32],
    asym: bool,
    da_ev: bool,
}

impl Synthesis<'_> {
    /// One lowpass output: taps `tap, tap+2, ...` over the channel starting at `start`.
    #[allow(clippy::too_many_arguments)]
    fn lowpass(
        &self,
        out: &mut Vec<Tap>,
        e: Edge,
        start: isize,
        step: isize,
        left: bool,
        right: bool,
        tap: usize,
    ) {
        let (mut px, mut pxstr, mut left, mut right) = (start, step, left, right);
        out.clear();
        out.push(Tap {
            pos: px,
            coef: self.lo[tap],
            sfac: 1.0,
        });
        let mut i = tap + 2;
        while i < self.lo.len() {
            if px == e.first {
                if left {
                    pxstr = 0;
                    left = false;
                } else {
                    pxstr = e.pstr;
                }
            }
            if px == e.last {
                if right {
                    pxstr = 0;
                    right = false;
                } else {
                    pxstr = e.nstr;
                }
            }
            px += pxstr;
            out.push(Tap {
                pos: px,
                coef: self.lo[i],
                sfac: 1.0,
            });
            i += 2;
        }
    }

    /// The taps one highpass output adds onto its sample (in the reference's order).
    #[allow(clippy::too_many_arguments)]
    fn highpass_add(
        &self,
        out: &mut Vec<Tap>,
        e: Edge,
        start: isize,
        step: isize,
        left: bool,
        right: bool,
        tap: usize,
        mut sfac: f32,
        fhre: &mut i32,
    ) {
        let (mut px, mut pxstr, mut left, mut right) = (start, step, left, right);
        out.clear();
        let mut i = tap;
        while i < self.hi.len() {
            if px == e.first {
                if left {
                    pxstr = 0;
                    left = false;
                } else {
                    pxstr = e.pstr;
                    sfac = 1.0;
                }
            }
            if px == e.last {
                if right {
                    pxstr = 0;
                    right = false;
                    if self.asym && self.da_ev {
                        right = true;
                        *fhre -= 1;
                        sfac = *fhre as f32;
                        if sfac == 0.0 {
                            right = false;
                        }
                    }
                } else {
                    pxstr = e.nstr;
                    if self.asym {
                        sfac = -1.0;
                    }
                }
            }
            out.push(Tap {
                pos: px,
                coef: self.hi[i],
                sfac,
            });
            px += pxstr;
            i += 2;
        }
    }
}

/// Synthesis: rebuild `len1` lines of `len2` samples in `new` from their lowpass and
/// highpass halves in `old`. Line `k` starts at `base + k * pitch`; samples are `stride`
/// apart. `inv` means the highpass half comes first (spectral inversion).
#[allow(clippy::too_many_arguments)]
pub(crate) fn join_lines(
    new: &mut [f32],
    new_base: isize,
    old: &[f32],
    old_base: isize,
    len1: i32,
    len2: i32,
    pitch: isize,
    stride: isize,
    hi: &[f32],
    lo: &[f32],
    inv: bool,
) -> Result<()> {
    let (hsz, lsz) = (hi.len() as i32, lo.len() as i32);
    if hsz == 0 || lsz == 0 {
        return Err(Error::Wsq("empty synthesis filter".into()));
    }
    let da_ev = len2 % 2 == 1;
    let fi_ev = lsz % 2 == 1;
    let (llen, hlen) = if da_ev {
        ((len2 + 1) / 2, (len2 + 1) / 2 - 1)
    } else {
        (len2 / 2, len2 / 2)
    };
    let negated: Vec<f32>;
    let (asym, ssfac, ofhre, mut loc, mut hoc, lotap, hotap, mut olle, olre, mut ohle, ohre, hi) =
        if fi_ev {
            let (olle, olre, ohle, ohre) = if da_ev {
                (false, false, true, true)
            } else {
                (false, true, true, false)
            };
            (
                false,
                1.0f32,
                0,
                (lsz - 1) / 4,
                (hsz + 1) / 4 - 1,
                ((lsz - 1) / 2) % 2,
                ((hsz + 1) / 2) % 2,
                olle,
                olre,
                ohle,
                ohre,
                hi,
            )
        } else {
            negated = hi.iter().map(|&h| -h).collect();
            let olre = !da_ev;
            (
                true,
                -1.0f32,
                2,
                lsz / 4 - 1,
                hsz / 4 - 1,
                (lsz / 2) % 2,
                (hsz / 2) % 2,
                true,
                olre,
                true,
                true,
                negated.as_slice(),
            )
        };
    if !fi_ev {
        if loc == -1 {
            loc = 0;
            olle = false;
        }
        if hoc == -1 {
            hoc = 0;
            ohle = false;
        }
    }
    let syn = Synthesis {
        lo,
        hi,
        asym,
        da_ev,
    };
    // Record one line in line-relative positions (stride 1), then run it over all lines.
    let stride_1: isize = 1;
    let (pstr, nstr) = (stride_1, -stride_1);
    let mut fhre: i32 = 0;
    let mut prog = Program::default();
    let mut taps = Vec::new();
    {
        let stride = stride_1;
        let mut limg: isize = 0;
        let mut himg: isize = 0;
        // Zero the first two outputs: the highpass may add onto them before the lowpass
        // writes them. The second may lie past a one-sample line's buffer: then skipped.
        prog.push(Kind::Zero, himg, &[]);
        prog.push(Kind::Zero, himg + stride, &[]);
        let (lopass, hipass) = if inv {
            (stride * hlen as isize, 0)
        } else {
            (0, stride * llen as isize)
        };
        let le = Edge {
            first: lopass,
            last: lopass + (llen as isize - 1) * stride,
            pstr,
            nstr,
        };
        let he = Edge {
            first: hipass,
            last: hipass + (hlen as isize - 1) * stride,
            pstr,
            nstr,
        };
        let mut lspx = lopass + loc as isize * stride;
        let mut lspxstr = nstr;
        let mut lstap = lotap;
        let (mut lle2, lre2) = (olle, olre);
        let mut hspx = hipass + hoc as isize * stride;
        let mut hspxstr = nstr;
        let mut hstap = hotap;
        let (mut hle2, hre2) = (ohle, ohre);
        let mut osfac = ssfac;
        for _ in 0..hlen {
            for tap in (0..=lstap).rev() {
                syn.lowpass(&mut taps, le, lspx, lspxstr, lle2, lre2, tap as usize);
                prog.push(Kind::Set, limg, &taps);
                limg += stride;
            }
            if lspx == le.first {
                if lle2 {
                    lspxstr = 0;
                    lle2 = false;
                } else {
                    lspxstr = pstr;
                }
            }
            lspx += lspxstr;
            lstap = 1;
            for tap in (0..=hstap).rev() {
                fhre = ofhre;
                syn.highpass_add(
                    &mut taps,
                    he,
                    hspx,
                    hspxstr,
                    hle2,
                    hre2,
                    tap as usize,
                    osfac,
                    &mut fhre,
                );
                prog.push(Kind::Add, himg, &taps);
                himg += stride;
            }
            if hspx == he.first {
                if hle2 {
                    hspxstr = 0;
                    hle2 = false;
                } else {
                    hspxstr = pstr;
                    osfac = 1.0;
                }
            }
            hspx += hspxstr;
            hstap = 1;
        }
        let lstap = match (da_ev, lotap != 0) {
            (true, true) => 1,
            (true, false) => 0,
            (false, true) => 2,
            (false, false) => 1,
        };
        let mut tap = 1;
        while tap >= lstap {
            syn.lowpass(&mut taps, le, lspx, lspxstr, lle2, lre2, tap as usize);
            prog.push(Kind::Set, limg, &taps);
            limg += stride;
            tap -= 1;
        }
        let hstap = if da_ev {
            if hsz == 2 {
                hspx -= hspxstr;
                fhre = 1;
            }
            if hotap != 0 {
                1
            } else {
                0
            }
        } else if hotap != 0 {
            2
        } else {
            1
        };
        let mut tap = 1;
        while tap >= hstap {
            if hsz != 2 {
                fhre = ofhre;
            }
            syn.highpass_add(
                &mut taps,
                he,
                hspx,
                hspxstr,
                hle2,
                hre2,
                tap as usize,
                osfac,
                &mut fhre,
            );
            prog.push(Kind::Add, himg, &taps);
            himg += stride;
            tap -= 1;
        }
    }
    prog.run(new, new_base, old, old_base, len1, len2, pitch, stride)
}

/// Analysis: split `len1` lines of `len2` samples of `old` into lowpass and highpass halves
/// in `new` (highpass first when `inv`). Used by the encoder with odd-length filters.
#[allow(clippy::too_many_arguments)]
pub(crate) fn split_lines(
    new: &mut [f32],
    new_base: isize,
    old: &[f32],
    old_base: isize,
    len1: i32,
    len2: i32,
    pitch: isize,
    stride: isize,
    hi: &[f32],
    lo: &[f32],
    inv: bool,
) -> Result<()> {
    let (hsz, lsz) = (hi.len(), lo.len());
    if lsz % 2 == 0 || hsz % 2 == 0 {
        return Err(Error::Invalid(
            "the WSQ encoder uses odd-length filters".into(),
        ));
    }
    let da_ev = len2 % 2 == 1;
    let loc = (lsz as isize - 1) / 2;
    let hoc = (hsz as isize - 1) / 2 - 1;
    let (pstr, nstr) = (1isize, -1isize);
    let (llen, hlen) = if da_ev {
        ((len2 + 1) / 2, (len2 + 1) / 2 - 1)
    } else {
        (len2 / 2, len2 / 2)
    };
    let (p0, p1) = (0isize, len2 as isize - 1);
    // Whole-sample symmetric reflection at the line ends, walking from `start`.
    let record = |taps: &mut Vec<Tap>, start: isize, step: isize, f: &[f32]| {
        let (mut px, mut pxstr) = (start, step);
        taps.clear();
        taps.push(Tap {
            pos: px,
            coef: f[0],
            sfac: 1.0,
        });
        for &c in &f[1..] {
            if px == p0 {
                pxstr = pstr;
            }
            if px == p1 {
                pxstr = nstr;
            }
            px += pxstr;
            taps.push(Tap {
                pos: px,
                coef: c,
                sfac: 1.0,
            });
        }
    };
    let mut prog = Program::default();
    let mut taps = Vec::new();
    let (mut lopass, mut hipass) = if inv {
        (hlen as isize, 0)
    } else {
        (0, llen as isize)
    };
    let mut lspx = p0 + loc;
    let mut lspxstr = nstr;
    let mut hspx = p0 + hoc;
    let mut hspxstr = nstr;
    for _ in 0..hlen {
        record(&mut taps, lspx, lspxstr, lo);
        prog.push(Kind::Set, lopass, &taps);
        lopass += 1;
        record(&mut taps, hspx, hspxstr, hi);
        prog.push(Kind::Set, hipass, &taps);
        hipass += 1;
        for _ in 0..2 {
            if lspx == p0 {
                lspxstr = pstr;
            }
            lspx += lspxstr;
            if hspx == p0 {
                hspxstr = pstr;
            }
            hspx += hspxstr;
        }
    }
    if da_ev {
        record(&mut taps, lspx, lspxstr, lo);
        prog.push(Kind::Set, lopass, &taps);
    }
    prog.run(new, new_base, old, old_base, len1, len2, pitch, stride)
}
