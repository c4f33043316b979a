#!/usr/bin/env python3
"""FNIR at FPIR 1 % and 0.1 % for decision scores computed from every
shortlisted candidate's per-finger LLRs (the output of the scomm-ident
example `shortlist_scores`): the fused LLR the search decides by, and
cohort normalisations, LLR floors and finger rules to compare it with,
and (when the file has them) a failed finger's evidence by the pair's
quality and the pairing's minutia kinds. Files written since the search
counts kinds hold the score's evidence alone in the LLR fields, so the
"fused LLR" row is the decision before kinds and the "kinds within floor
and cap" row the search's own.

    python3 scripts/shortlist_decisions.py scores.txt

A mated search counts as found when its mate is first by the score and
strictly above the threshold: the highest non-mated best score that the
FPIR still allows past (as `scomm_ident::eval::threshold_at_fpir`).

The cohort rows (against the rest of the shortlist) need a file written
without `shortlist_scores`' MIN_LLR, which leaves out most of the cohort.
"""
import math
import sys

import numpy as np


def read(path):
    mated, non_mated = [], []
    for line in open(path):
        f = line.split()
        ids, llrs, quality, pairing = [], [], [], []
        for c in f[3:]:
            fields = c.split(":")
            ids.append(int(fields[0]))
            llrs.append((float(fields[1]), float(fields[2])))
            q = fields[5:7] if len(fields) >= 7 else ["nan", "nan"]
            quality.append((float(q[0]), float(q[1])))
            t = fields[7:11] if len(fields) >= 11 else ["nan"] * 4
            pairing.append(tuple(float(v) for v in t))
        search = (
            int(f[1]),
            np.array(ids),
            np.array(llrs).reshape(-1, 2),
            np.array(quality).reshape(-1, 2),
            np.array(pairing).reshape(-1, 4),
        )
        (mated if f[0] == "M" else non_mated).append(search)
    return mated, non_mated


def rest(col):
    """The shortlist's values but the best (the cohort the best stands out of)."""
    col = col[~np.isnan(col)]
    return np.sort(col)[::-1][1:]


def cohort(f, top=None):
    c = rest(f)[:top]
    return c.mean(), c.std() + 1e-9


def per_finger(L, norm):
    out = np.zeros(len(L))
    for k in range(2):
        col = L[:, k]
        if np.all(np.isnan(col)):
            continue
        out += np.nan_to_num(norm(col, rest(col)))
    return out


def fused(L):
    return np.nansum(L, axis=1)


SCORES = {
    "fused LLR": fused,
    "minus the mean of the rest": lambda L: fused(L) - cohort(fused(L))[0],
    "z against the rest": lambda L: (fused(L) - cohort(fused(L))[0]) / cohort(fused(L))[1],
    "z against the best 50 of the rest": lambda L: (fused(L) - cohort(fused(L), 50)[0])
    / cohort(fused(L), 50)[1],
    "minus the second-best": lambda L: fused(L) - rest(fused(L))[0],
    "per-finger z, summed": lambda L: per_finger(L, lambda c, r: (c - r.mean()) / (r.std() + 1e-9)),
    **{
        f"LLR floored at -{c}": (lambda c: lambda L: np.nansum(np.maximum(L, -c), axis=1))(c)
        for c in (3.0, 2.5, 2.0, 1.5, 1.0, 0.5, 0.0)
    },
    "best finger only": lambda L: np.nanmax(L, axis=1),
    "best + 0.5 x other": lambda L: np.nanmax(L, axis=1) + 0.5 * np.nanmin(L, axis=1),
}

# The fusion's floor, exp(-3.6), read as the share of genuine comparisons
# that behave like chance ones (a mixture: g = pi * i + (1 - pi) * g_ok).
PI_FLOOR = math.exp(-3.6)


def failed_share(pi):
    """Each finger's LLR with a failed comparison's share `pi(quality)` in
    place of the floor's: exp(LLR') = pi + (1 - pi) * (exp(LLR) - PI_FLOOR)
    / (1 - PI_FLOOR), so a finger at the floor gets ln pi and a high LLR
    stays as it is."""

    def score(L, Q):
        p = pi(Q)
        lr = np.maximum(np.exp(L) - PI_FLOOR, 0.0) / (1.0 - PI_FLOOR)
        return np.nansum(np.log(p + (1.0 - p) * lr), axis=1)

    return score


def logistic_share(q):
    """Genuine FVC2002 B + CrossMatch comparisons failing, by the poorer
    template's mean minutia quality (example `failure_by_quality`), / 0.9."""
    return 1.0 / (1.0 + np.exp(5.473 + 1.091 * (q - 50.0) / 10.0)) / 0.9


def kind_terms(T, genuine, chance):
    """Per finger, the evidence of its best pairing's kinds: every paired
    minutia pair of one kind (ending / bifurcation) adds ln(genuine /
    chance), every other one ln((1 - genuine) / (1 - chance))."""
    pairs, agree = T[:, 0:2], T[:, 2:4]
    return agree * math.log(genuine / chance) + (pairs - agree) * math.log(
        (1 - genuine) / (1 - chance)
    )


def type_evidence(genuine, chance, above=-math.inf):
    """Each finger's LLR plus its kinds' evidence, only for fingers whose
    LLR is above `above`."""

    def score(L, T):
        t = np.where(L > above, kind_terms(T, genuine, chance), 0.0)
        return np.nansum(L + t, axis=1)

    return score


def within_floor_and_cap(genuine, chance):
    """Each finger's LLR plus its kinds' evidence, clamped to [-3.6, 23]
    before the sum, as `ScoreModel::llr_of` does."""

    def score(L, T):
        return np.nansum(np.clip(L + kind_terms(T, genuine, chance), -3.6, 23.0), axis=1)

    return score


# Agreement measured by the `type_agreement` example: FVC2002 B genuine
# pairings 0.713, impostor pairings scoring over FMR 1 % 0.570 (all 0.535).
TYPE_SCORES = {
    "kinds within floor and cap (the search's)": within_floor_and_cap(0.713, 0.570),
    "type agreement (FVC: 0.713 / 0.570)": type_evidence(0.713, 0.570),
    "the same, fingers over the floor only": type_evidence(0.713, 0.570, above=-3.5),
    "type agreement (FVC: 0.713 / 0.535)": type_evidence(0.713, 0.535),
}

QUALITY_SCORES = {
    "failed share by pair quality (FVC fit)": failed_share(logistic_share),
    "the same, never above the floor's": failed_share(
        lambda q: np.minimum(logistic_share(q), PI_FLOOR)
    ),
    "failed share pooled (0.9 %), any quality": failed_share(lambda q: 0.009 + 0.0 * q),
}


def main():
    mated, non_mated = read(sys.argv[1])
    print(f"{len(mated)} mated, {len(non_mated)} non-mated searches")
    scores = {name: (lambda f: lambda L, Q: f(L))(f) for name, f in SCORES.items()}
    scores = {name: (lambda f: lambda L, Q, T: f(L, Q))(f) for name, f in scores.items()}
    if all(not np.isnan(Q).all() for _, _, _, Q, _ in mated if len(Q)):
        scores.update(
            {name: (lambda f: lambda L, Q, T: f(L, Q))(f) for name, f in QUALITY_SCORES.items()}
        )
    if all(not np.isnan(T).all() for _, _, _, _, T in mated if len(T)):
        scores.update({name: (lambda f: lambda L, Q, T: f(L, T))(f) for name, f in TYPE_SCORES.items()})
    for name, score in scores.items():
        tops = sorted(
            (score(L, Q, T).max() if len(L) else -math.inf for _, _, L, Q, T in non_mated),
            reverse=True,
        )
        row = [f"{name:<42}"]
        for fpir in (0.01, 0.001):
            t = tops[int(math.floor(fpir * len(tops)))]
            missed = 0
            for s, ids, L, Q, T in mated:
                if len(L) == 0:
                    missed += 1
                    continue
                v = score(L, Q, T)
                best = int(np.argmax(v))
                missed += not (ids[best] == s and v[best] > t)
            row.append(f"FPIR {fpir:.1%}: FNIR {missed / len(mated):6.2%} ({missed}, threshold {t:.2f})")
        print("  ".join(row))


if __name__ == "__main__":
    main()
