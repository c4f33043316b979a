"""NIST NBIS (mindtct + bozorth3, through the PyPI package nbis-py) on FVC-style folders with the
FVC protocol (all-pairs impostors), one thread: EER, extraction ms per image and comparisons per
second, for a side-by-side with `scomm eval fvc` and `match_bench` on the same machine and day.

    python3 -m venv target/nbis-venv && target/nbis-venv/bin/pip install nbis-py pillow
    target/nbis-venv/bin/python scripts/nbis_fvc.py ../shared/data/fvc2002/DB1_B ../shared/data/fvc2002/DB2_B:569 ...

Extraction is timed on PNG bytes (the TIFFs are converted first, outside the timing); a
comparison is one `Minutiae.compare` call from Python (bozorth3 prepares both sides each call,
so it is slower than bozorth3 run on one probe against a list). The EER is the mean of FNMR and
FMR where they are closest.
"""
import io, sys, time, itertools
from pathlib import Path
from PIL import Image
import nbis

def eer(gen, imp):
    # Scores: higher is more similar. Sweep thresholds over all scores.
    best = (2.0, 0)
    for t in sorted(set(gen) | set(imp)):
        fnmr = sum(g < t for g in gen) / len(gen)
        fmr = sum(i >= t for i in imp) / len(imp)
        d = abs(fnmr - fmr)
        if d < best[0]:
            best = (d, (fnmr + fmr) / 2)
    return best[1]

for spec in sys.argv[1:]:
    d, _, dpi = spec.partition(':')
    dpi = float(dpi or 500)
    ex = nbis.new_nbis_extractor(nbis.NbisExtractorSettings(min_quality=0.0, get_center=False, check_fingerprint=False, compute_nfiq2=False, ppi=dpi))
    files = sorted(Path(d).glob('*.tif'))
    pngs = []
    for f in files:
        buf = io.BytesIO(); Image.open(f).convert('L').save(buf, 'PNG')
        pngs.append(buf.getvalue())
    t0 = time.perf_counter()
    temps = [ex.extract_minutiae(p) for p in pngs]
    ext_ms = (time.perf_counter() - t0) * 1000 / len(files)
    finger = [f.stem.split('_')[0] for f in files]
    pairs = list(itertools.combinations(range(len(files)), 2))
    t0 = time.perf_counter()
    scores = {(i, j): temps[i].compare(temps[j]) for i, j in pairs}
    cmp_s = len(pairs) / (time.perf_counter() - t0)
    gen = [s for (i, j), s in scores.items() if finger[i] == finger[j]]
    imp = [s for (i, j), s in scores.items() if finger[i] != finger[j]]
    mins = sum(len(t.get()) for t in temps) / len(temps)
    print(f"{Path(d).name:8} EER {eer(gen, imp) * 100:5.2f} %  genuine {len(gen)} impostor {len(imp)}  "
          f"extract {ext_ms:6.1f} ms/image  compare {cmp_s:7.0f}/s  minutiae {mins:5.1f}")
