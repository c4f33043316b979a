//! The WSQ two-channel filter bank with symmetric extension: synthesis (`join_lines`, used by
//! the decoder) and analysis (`split_lines`, used by the encoder).
//!
//! These follow the NBIS reference's sample order and single-precision arithmetic exactly:
//! which sample each tap reads at the borders, the order of the additions, and `f32`
//! rounding after every multiply and add. That is what makes the decoder's output identical
//! to NBIS's, pixel for pixel. Indices are signed offsets into whole buffers and every read
//! is bounds-checked: a hostile tree or filter length yields an error, never a panic.

use crate::{Error, Result};

fn out_of_range() -> Error {
    Error::Wsq("wavelet filter reads outside the image (bad filter or image size)".into())
}

#[inline(always)]
fn rd(buf: &[f32], idx: isize) -> Result<f32> {
    if idx < 0 {
        return Err(out_of_range());
    }
    buf.get(idx as usize).copied().ok_or_else(out_of_range)
}

#[inline(always)]
fn wr(buf: &mut [f32], idx: isize) -> Result<&mut f32> {
    if idx < 0 {
        return Err(out_of_range());
    }
    buf.get_mut(idx as usize).ok_or_else(out_of_range)
}

/// A walker over one subsampled channel (lowpass or highpass) of a line, reflecting at the
/// ends. `first`/`last` are the channel's end samples; `left`/`right` say whether the end
/// sample is repeated once (half-sample symmetry) before reflecting.
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
        old: &[f32],
        e: Edge,
        start: isize,
        step: isize,
        left: bool,
        right: bool,
        tap: usize,
    ) -> Result<f32> {
        let (mut px, mut pxstr, mut left, mut right) = (start, step, left, right);
        let mut acc = rd(old, px)? * self.lo[tap];
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
            acc += rd(old, px)? * self.lo[i];
            i += 2;
        }
        Ok(acc)
    }

    /// Add one highpass output's taps onto `*out` (in tap order, as the reference does).
    #[allow(clippy::too_many_arguments)]
    fn highpass_add(
        &self,
        old: &[f32],
        out: &mut f32,
        e: Edge,
        start: isize,
        step: isize,
        left: bool,
        right: bool,
        tap: usize,
        mut sfac: f32,
        fhre: &mut i32,
    ) -> Result<()> {
        let (mut px, mut pxstr, mut left, mut right) = (start, step, left, right);
        let mut acc = *out;
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
            acc += rd(old, px)? * self.hi[i] * sfac;
            px += pxstr;
            i += 2;
        }
        *out = acc;
        Ok(())
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
    let (pstr, nstr) = (stride, -stride);
    let mut fhre: i32 = 0;
    for line in 0..len1 as isize {
        let mut limg = new_base + line * pitch;
        let mut himg = limg;
        // Zero the first two outputs: the highpass may add onto them before the lowpass
        // writes them. The second may lie past a one-sample line's buffer: then skip it.
        *wr(new, himg)? = 0.0;
        if let Ok(v) = wr(new, himg + stride) {
            *v = 0.0;
        }
        let (lopass, hipass) = if inv {
            let h = old_base + line * pitch;
            (h + stride * hlen as isize, h)
        } else {
            let l = old_base + line * pitch;
            (l, l + stride * llen as isize)
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
                let v = syn.lowpass(old, le, lspx, lspxstr, lle2, lre2, tap as usize)?;
                *wr(new, limg)? = v;
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
                let out = wr(new, himg)?;
                syn.highpass_add(
                    old,
                    out,
                    he,
                    hspx,
                    hspxstr,
                    hle2,
                    hre2,
                    tap as usize,
                    osfac,
                    &mut fhre,
                )?;
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
            let v = syn.lowpass(old, le, lspx, lspxstr, lle2, lre2, tap as usize)?;
            *wr(new, limg)? = v;
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
            let out = wr(new, himg)?;
            syn.highpass_add(
                old,
                out,
                he,
                hspx,
                hspxstr,
                hle2,
                hre2,
                tap as usize,
                osfac,
                &mut fhre,
            )?;
            himg += stride;
            tap -= 1;
        }
    }
    Ok(())
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
    let (pstr, nstr) = (stride, -stride);
    let (llen, hlen) = if da_ev {
        ((len2 + 1) / 2, (len2 + 1) / 2 - 1)
    } else {
        (len2 / 2, len2 / 2)
    };
    // Reflection about the end samples (whole-sample symmetry): walk toward the start,
    // bounce at the first sample, bounce at the last.
    let filter =
        |old: &[f32], start: isize, step: isize, p0: isize, p1: isize, f: &[f32]| -> Result<f32> {
            let (mut px, mut pxstr) = (start, step);
            let mut acc = rd(old, px)? * f[0];
            for &c in &f[1..] {
                if px == p0 {
                    pxstr = pstr;
                }
                if px == p1 {
                    pxstr = nstr;
                }
                px += pxstr;
                acc += rd(old, px)? * c;
            }
            Ok(acc)
        };
    for line in 0..len1 as isize {
        let (mut lopass, mut hipass) = if inv {
            let h = new_base + line * pitch;
            (h + hlen as isize * stride, h)
        } else {
            let l = new_base + line * pitch;
            (l, l + llen as isize * stride)
        };
        let p0 = old_base + line * pitch;
        let p1 = p0 + (len2 as isize - 1) * stride;
        let mut lspx = p0 + loc * stride;
        let mut lspxstr = nstr;
        let mut hspx = p0 + hoc * stride;
        let mut hspxstr = nstr;
        for _ in 0..hlen {
            *wr(new, lopass)? = filter(old, lspx, lspxstr, p0, p1, lo)?;
            lopass += stride;
            *wr(new, hipass)? = filter(old, hspx, hspxstr, p0, p1, hi)?;
            hipass += stride;
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
            *wr(new, lopass)? = filter(old, lspx, lspxstr, p0, p1, lo)?;
        }
    }
    Ok(())
}
