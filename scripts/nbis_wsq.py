#!/usr/bin/env python3
"""NBIS WSQ (through the PyPI `wsq` package, NBIS's codec as a Pillow plugin) side by side
with scomm's WSQ codec.

  nbis_wsq.py check TENPRINT_DIR SCOMM_BINARY
      Encode every reference PNG with scomm (0.75 bpp) and with NBIS (ratio 12, which the
      package maps to 0.75 bpp); decode both with NBIS; require that NBIS decodes scomm's
      files to exactly the pixels scomm's own decoder gives; print compression ratio and
      RMS error of both encoders; fail unless every file is byte-identical to NBIS's (which
      also bounds ratio and error; those must in any case be within 10% of NBIS's).

  nbis_wsq.py bench TENPRINT_DIR ROUNDS
      Time NBIS decoding of every .wsq and encoding of every reference PNG, ROUNDS times;
      print one JSON line (seconds per round, pixels per round).
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import _wsq  # the NBIS C extension shipped by the `wsq` package
from PIL import Image

NBIS_RATIO_FOR_075 = 12


def grey_png(path):
    img = Image.open(path).convert("L")
    return img.size[0], img.size[1], img.tobytes()


def rms(a, b):
    assert len(a) == len(b)
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)) / len(a))


def check(tenprint, scomm):
    pngs = sorted(p for p in os.listdir(tenprint) if p.endswith(".png"))
    if not pngs:
        sys.exit(f"no PNG files in {tenprint}")
    failures = []
    totals = {"pixels": 0, "ours": 0, "nbis": 0, "ours_sq": 0.0, "nbis_sq": 0.0, "identical": 0}
    print(f"{'image':<10} {'pixels':>8} {'scomm B':>8} {'NBIS B':>8} {'scomm x':>8} {'NBIS x':>8} {'scomm RMS':>9} {'NBIS RMS':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in pngs:
            w, h, pixels = grey_png(os.path.join(tenprint, name))
            ours_path = os.path.join(tmp, name + ".wsq")
            subprocess.run([scomm, "wsq", "encode", os.path.join(tenprint, name), ours_path],
                           check=True, stdout=subprocess.DEVNULL)
            ours = open(ours_path, "rb").read()
            nbis = _wsq.compress(pixels, h, w, NBIS_RATIO_FOR_075)
            totals["identical"] += ours == nbis
            ours_by_nbis, ow, oh, _ = _wsq.decompress(ours)
            nbis_by_nbis, _, _, _ = _wsq.decompress(nbis)
            if (ow, oh) != (w, h):
                failures.append(f"{name}: NBIS decodes scomm's file as {ow}x{oh}")
                continue
            dec_path = os.path.join(tmp, name + ".dec.png")
            subprocess.run([scomm, "wsq", "decode", ours_path, dec_path], check=True,
                           stdout=subprocess.DEVNULL)
            _, _, ours_by_scomm = grey_png(dec_path)
            if bytes(ours_by_nbis) != ours_by_scomm:
                diff = sum(1 for x, y in zip(ours_by_nbis, ours_by_scomm) if x != y)
                failures.append(f"{name}: NBIS and scomm decode scomm's file differently ({diff} pixels)")
            e_ours, e_nbis = rms(pixels, ours_by_nbis), rms(pixels, nbis_by_nbis)
            n = w * h
            totals["pixels"] += n
            totals["ours"] += len(ours)
            totals["nbis"] += len(nbis)
            totals["ours_sq"] += e_ours ** 2 * n
            totals["nbis_sq"] += e_nbis ** 2 * n
            print(f"{name:<10} {n:>8} {len(ours):>8} {len(nbis):>8} {n / len(ours):>8.2f} {n / len(nbis):>8.2f} {e_ours:>9.3f} {e_nbis:>9.3f}")
    if totals["pixels"]:
        p = totals["pixels"]
        r_ours, r_nbis = p / totals["ours"], p / totals["nbis"]
        e_ours, e_nbis = math.sqrt(totals["ours_sq"] / p), math.sqrt(totals["nbis_sq"] / p)
        print(f"{'all':<10} {p:>8} {totals['ours']:>8} {totals['nbis']:>8} {r_ours:>8.2f} {r_nbis:>8.2f} {e_ours:>9.3f} {e_nbis:>9.3f}")
        print(f"scomm's file is byte-identical to NBIS's for {totals['identical']} of {len(pngs)} images")
        if totals["identical"] != len(pngs):
            failures.append("scomm's encoder no longer reproduces NBIS's files byte for byte")
        if r_ours < 0.9 * r_nbis:
            failures.append(f"compression ratio {r_ours:.2f} is more than 10% below NBIS's {r_nbis:.2f}")
        if e_ours > 1.1 * e_nbis:
            failures.append(f"RMS error {e_ours:.3f} is more than 10% above NBIS's {e_nbis:.3f}")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


def bench(tenprint, rounds):
    wsqs = [open(os.path.join(tenprint, p), "rb").read() for p in sorted(os.listdir(tenprint)) if p.endswith(".wsq")]
    images = [grey_png(os.path.join(tenprint, p)) for p in sorted(os.listdir(tenprint)) if p.endswith(".png")]
    pixels = sum(w * h for w, h, _ in images)
    t = time.perf_counter()
    for _ in range(rounds):
        for data in wsqs:
            _wsq.decompress(data)
    decode = (time.perf_counter() - t) / rounds
    t = time.perf_counter()
    for _ in range(rounds):
        for w, h, px in images:
            _wsq.compress(px, h, w, NBIS_RATIO_FOR_075)
    encode = (time.perf_counter() - t) / rounds
    print(json.dumps({"decode_s": decode, "encode_s": encode, "pixels": pixels,
                      "files": len(wsqs), "rounds": rounds}))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "bench":
        bench(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
