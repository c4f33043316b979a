//! A faster way to run a filter [`Program`] along lines whose samples are adjacent
//! (stride 1): outputs with the same tap pattern, shifted by a constant step, are grouped
//! into runs that execute as tight loops over slices.
//!
//! Grouping reorders outputs, so it is used only when that cannot change a result: the
//! zeroing comes first, every output position is set at most once and added to at most
//! once, and a position's set precedes its add. Each output's own arithmetic (taps, order,
//! `f32` rounding) is unchanged.

use super::wavelet::{Kind, Program, Tap};

/// Outputs `out0 + r*dout` (r < n) whose taps read `first[k].pos + r*dpos`.
struct Run {
    add: bool,
    n: usize,
    out0: isize,
    dout: isize,
    dpos: isize,
    first: Vec<Tap>,
}

/// A program regrouped into runs (see the module docs).
pub(super) struct Runs {
    zeros: Vec<isize>,
    runs: Vec<Run>,
}

fn same_shape(a: &[Tap], b: &[Tap]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.coef.to_bits() == y.coef.to_bits() && x.sfac.to_bits() == y.sfac.to_bits()
        })
}

impl Runs {
    /// Regroup `p` (outputs of a line of `len2` samples), or `None` when reordering is not
    /// provably harmless.
    pub(super) fn compile(p: &Program, len2: i32) -> Option<Runs> {
        let len = usize::try_from(len2).ok()?;
        let mut zeros = Vec::new();
        let mut set_at = vec![usize::MAX; len];
        let mut added = vec![false; len];
        for (i, (kind, out, taps)) in p.ops.iter().enumerate() {
            let pos = usize::try_from(*out).ok().filter(|&o| o < len);
            match kind {
                Kind::Zero => {
                    if i != zeros.len() {
                        return None;
                    }
                    zeros.push(*out);
                }
                Kind::Set => {
                    let o = pos?;
                    if set_at[o] != usize::MAX || added[o] || taps.is_empty() {
                        return None;
                    }
                    set_at[o] = i;
                }
                Kind::Add => {
                    let o = pos?;
                    if added[o] {
                        return None;
                    }
                    added[o] = true;
                }
            }
        }
        let mut runs: Vec<Run> = Vec::new();
        for want_add in [false, true] {
            // Open runs, one per tap shape seen so far.
            let mut open: Vec<usize> = Vec::new();
            for (kind, out, range) in &p.ops {
                if *kind == Kind::Zero || (*kind == Kind::Add) != want_add {
                    continue;
                }
                let taps = &p.taps[range.clone()];
                let extended = open.iter().any(|&ri| {
                    let run = &mut runs[ri];
                    if !same_shape(&run.first, taps) {
                        return false;
                    }
                    let dpos = taps[0].pos - run.first[0].pos;
                    let dout = out - run.out0;
                    if run.n == 1 {
                        if taps
                            .iter()
                            .zip(&run.first)
                            .any(|(t, f)| t.pos - f.pos != dpos)
                            || dout == 0
                        {
                            return false;
                        }
                        run.dout = dout;
                        run.dpos = dpos;
                    } else {
                        let r = run.n as isize;
                        if out - run.out0 != r * run.dout
                            || taps
                                .iter()
                                .zip(&run.first)
                                .any(|(t, f)| t.pos - f.pos != r * run.dpos)
                        {
                            return false;
                        }
                    }
                    run.n += 1;
                    true
                });
                if !extended {
                    // A new run replaces any open run of the same shape.
                    open.retain(|&ri| !same_shape(&runs[ri].first, taps));
                    open.push(runs.len());
                    runs.push(Run {
                        add: want_add,
                        n: 1,
                        out0: *out,
                        dout: 1,
                        dpos: 1,
                        first: taps.to_vec(),
                    });
                }
            }
        }
        Some(Runs { zeros, runs })
    }

    /// Run one line: `new[nb + out]`, `old[ob + pos]` (stride 1). The caller has checked that
    /// every position of the program lies inside both buffers for this line.
    pub(super) fn run_line(&self, new: &mut [f32], nb: isize, old: &[f32], ob: isize) {
        for &z in &self.zeros {
            let at = nb + z;
            if at >= 0 && (at as usize) < new.len() {
                new[at as usize] = 0.0;
            }
        }
        for run in &self.runs {
            let start = (nb + run.out0) as usize;
            let fast = run.dpos > 0 && run.dout > 0;
            match (fast, run.first.len()) {
                (true, 3) => run_fixed::<3>(run, new, start, old, ob),
                (true, 4) => run_fixed::<4>(run, new, start, old, ob),
                (true, 5) => run_fixed::<5>(run, new, start, old, ob),
                // The encoder's analysis filters.
                (true, 7) => run_fixed::<7>(run, new, start, old, ob),
                (true, 9) => run_fixed::<9>(run, new, start, old, ob),
                _ => run_any(run, new, nb, old, ob),
            }
        }
    }
}

/// `N` taps; source samples `dpos` apart, outputs `dout` apart (both positive).
fn run_fixed<const N: usize>(run: &Run, new: &mut [f32], start: usize, old: &[f32], ob: isize) {
    let n = run.n;
    let (dout, dpos) = (run.dout as usize, run.dpos as usize);
    let src: [&[f32]; N] = std::array::from_fn(|k| {
        let s = (ob + run.first[k].pos) as usize;
        &old[s..s + (n - 1) * dpos + 1]
    });
    let coef: [f32; N] = std::array::from_fn(|k| run.first[k].coef);
    let dst = &mut new[start..start + (n - 1) * dout + 1];
    if run.add {
        let sfac: [f32; N] = std::array::from_fn(|k| run.first[k].sfac);
        for r in 0..n {
            let mut acc = dst[r * dout];
            for k in 0..N {
                acc += src[k][r * dpos] * coef[k] * sfac[k];
            }
            dst[r * dout] = acc;
        }
    } else {
        for r in 0..n {
            let mut acc = src[0][r * dpos] * coef[0];
            for k in 1..N {
                acc += src[k][r * dpos] * coef[k];
            }
            dst[r * dout] = acc;
        }
    }
}

fn run_any(run: &Run, new: &mut [f32], nb: isize, old: &[f32], ob: isize) {
    for r in 0..run.n as isize {
        let at = (nb + run.out0 + r * run.dout) as usize;
        let x = |t: &Tap| old[(ob + t.pos + r * run.dpos) as usize];
        if run.add {
            let mut acc = new[at];
            for t in &run.first {
                acc += x(t) * t.coef * t.sfac;
            }
            new[at] = acc;
        } else {
            let mut acc = x(&run.first[0]) * run.first[0].coef;
            for t in &run.first[1..] {
                acc += x(t) * t.coef;
            }
            new[at] = acc;
        }
    }
}
